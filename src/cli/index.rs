//! `hive index`.

use super::Context;
use super::error::CliError;
use super::output::{Output, human_bytes};
use super::search::{indexing_progress, search_error};
use hive::search::SearchIndex;
use serde_json::json;

/// The search index: derived from the repository, kept up to date by every search, commit and import.
///
/// `hive index rebuild` deletes it and indexes every run again (with progress); `hive index status` says what it
/// holds. Neither is ever needed for correct results: a search brings the index up to date with the runs first.
///
/// Example: hive index rebuild
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Delete the index and index every run again.
    Rebuild {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Bring the index up to date and say what it holds.
    Status {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let mut index = SearchIndex::open(&repo).map_err(search_error)?;
    let started = std::time::Instant::now();
    let json_output = match args.command {
        Command::Rebuild { json } => {
            index.clear().map_err(search_error)?;
            json
        }
        Command::Status { json } => json,
    };
    let report = index
        .sync(&repo, &indexing_progress)
        .map_err(search_error)?;
    let seconds = started.elapsed().as_secs_f64();
    let (events, bytes) = index.stats().map_err(search_error)?;
    let mut out = Output::new();
    if json_output {
        out.json(&json!({
            "indexed_now": report,
            "events": events,
            "index_bytes": bytes,
            "seconds": seconds,
        }))?;
    } else {
        out.line(format!(
            "indexed {} events ({} of text) from {} runs in {seconds:.2} s; the index holds {events} events in {}",
            report.events,
            human_bytes(report.text_bytes),
            report.runs_updated,
            human_bytes(bytes)
        ))?;
    }
    out.finish()?;
    Ok(0)
}
