//! `hive export`.

use super::Context;
use super::error::{CliError, code};
use super::output::Output;
use hive::formats::Format;

/// Write a run's session in an agent's format on standard output: one JSON record per line, or the session's
/// one JSON document for formats that are not JSON Lines (SWE-agent, mini-swe-agent, OpenHands lists, tau-bench).
///
/// By default the format is the one the run was imported from, and the records are those of the imported
/// transcript, the same and in the same order (`hive import` keeps every record). `--format hive` writes the
/// run's events as hive event JSON Lines.
///
/// Example: hive export claude/3f2a > session.jsonl
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run.
    run: String,
    /// The format to write: hive, or the run's source format (the default).
    #[arg(long)]
    format: Option<String>,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let format = match args.format.as_deref() {
        None => None,
        Some(name) => Some(Format::from_name(name).ok_or_else(|| {
            CliError::new(
                code::USAGE,
                format!("unknown format '{name}'"),
                format!(
                    "choose one of: {}",
                    Format::ALL.map(Format::name).join(", ")
                ),
            )
        })?),
    };
    let repo = context.repo()?;
    let (_, records) = repo.export(&args.run, format)?;
    let mut out = Output::new();
    for record in &records {
        out.json(record)?;
    }
    Ok(0)
}
