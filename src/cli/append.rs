//! `hive append`.

use super::Context;
use super::error::{CliError, code};
use super::output::{Output, note};
use serde_json::json;
use std::io::BufReader;
use std::path::PathBuf;

/// Stage events for a run: JSON Lines, one event per line (docs/EVENTS.md).
///
/// Events go to an append-only, crash-safe journal; `hive commit` seals them into the run's history. Every line
/// is checked first: if one is malformed, nothing is staged. hive numbers the events (seq) and sets `ts` to
/// now where it is missing.
///
/// Example: echo '{"kind":"user_message","text":"fix the login bug"}' | hive append --run fix-login
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run to append to (default: $HIVE_RUN, the `.hivemind` capture.run, or `main`).
    #[arg(long)]
    run: Option<String>,
    /// File of JSON Lines; `-` or nothing reads standard input.
    file: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Opens a file of JSON Lines events named on the command line, with an error that says what to give instead.
pub fn open_events_file(full: &std::path::Path) -> Result<std::fs::File, CliError> {
    if full.is_dir() {
        return Err(CliError::new(
            code::BAD_INPUT,
            format!("{} is a directory, not a file of events", full.display()),
            "give the path of a JSON Lines file, or - for standard input",
        ));
    }
    std::fs::File::open(full).map_err(|error| {
        CliError::new(
            code::NOT_FOUND,
            format!("cannot open {}: {error}", full.display()),
            "give the path of a JSON Lines file, or - for standard input",
        )
    })
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let run = args.run.unwrap_or_else(|| repo.default_run());
    let summary = match args.file.as_deref() {
        None => repo.append(&run, std::io::stdin().lock())?,
        Some(path) if path.as_os_str() == "-" => repo.append(&run, std::io::stdin().lock())?,
        Some(path) => {
            let file = open_events_file(&context.cwd.join(path))?;
            repo.append(&run, BufReader::with_capacity(1 << 20, file))?
        }
    };
    if let Some(bytes) = summary.repaired_bytes {
        note(format!(
            "warning: removed an incomplete record of {bytes} bytes left in the journal of '{run}' by an earlier crash"
        ));
    }
    if !args.json
        && let Some(masked) = super::output::redaction_summary(&summary.redactions)
    {
        note(masked);
    }
    let mut out = Output::new();
    if args.json {
        out.json(&json!({
            "run": summary.run,
            "first_seq": summary.first_seq,
            "count": summary.count,
            "repaired_bytes": summary.repaired_bytes,
            "redactions": summary.redactions,
        }))?;
    } else if summary.count == 0 {
        out.line(format!(
            "no events in the input; nothing staged for '{run}'"
        ))?;
    } else {
        out.line(format!(
            "staged {} event{} for '{}' (seq {}..{})",
            summary.count,
            if summary.count == 1 { "" } else { "s" },
            summary.run,
            summary.first_seq,
            summary.first_seq + summary.count - 1
        ))?;
    }
    out.finish()?;
    Ok(0)
}
