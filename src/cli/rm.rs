//! `hive rm`.

use super::Context;
use super::error::CliError;
use super::output::{Output, human_bytes, short};
use serde_json::json;

/// Remove runs: each leaves every listing at once, with its staged events.
///
/// The objects that only the removed runs reached (their events, payloads and commits) are deleted from disk by
/// the next `hive gc`, whatever their age; with --purge, before this command returns (it runs that gc now, which
/// also repacks). Objects that other runs share (a fork's history, a payload seen twice) stay.
///
/// Example: hive rm leaked-session --purge
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The runs to remove.
    #[arg(required = true)]
    runs: Vec<String>,
    /// Delete their objects from disk now.
    #[arg(long)]
    purge: bool,
    /// Print the result as JSON (docs/JSON.md).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    // Every name is checked before anything is removed.
    for (index, run) in args.runs.iter().enumerate() {
        if args.runs[..index].contains(run) {
            return Err(CliError::new(
                super::error::code::USAGE,
                format!("'{run}' is named twice"),
                "name each run once",
            ));
        }
        hive::refs::RefName::run(run).map_err(hive::RepoError::from)?;
        if repo.head(run)?.is_none()
            && !repo
                .journal()
                .has_staged(run)
                .map_err(hive::RepoError::from)?
        {
            return Err(hive::RepoError::UnknownRun(run.clone()).into());
        }
    }
    let mut removed = Vec::new();
    for run in &args.runs {
        removed.push(repo.remove_run(run)?);
    }
    let purge = if args.purge {
        Some(repo.purge()?)
    } else {
        None
    };
    let mut out = Output::new();
    if args.json {
        out.json_pretty(&json!({
            "removed": removed.iter().map(|outcome| json!({
                "run": outcome.run,
                "head": outcome.head.map(|id| id.to_hex()),
                "events": outcome.events,
                "staged": outcome.staged,
            })).collect::<Vec<_>>(),
            "purge": purge.map(|report| serde_json::to_value(report).expect("a report serializes")),
        }))?;
    } else {
        for outcome in &removed {
            let mut line = format!("removed {} ({} events", outcome.run, outcome.events);
            if outcome.staged > 0 {
                line.push_str(&format!(", {} staged", outcome.staged));
            }
            if let Some(head) = outcome.head {
                line.push_str(&format!(", head {}", short(&head)));
            }
            line.push(')');
            out.line(line)?;
        }
        match purge {
            Some(report) => {
                out.line(format!(
                    "purged {} objects only they reached; {} -> {}",
                    report.purged,
                    human_bytes(report.bytes_before),
                    human_bytes(report.bytes_after)
                ))?;
                for name in &report.removed_still_reachable {
                    super::output::note(format!(
                        "warning: the history of {} is still reachable from another run or workspace (merged into it, or forked at its head), so its objects stay; remove that branch too to delete them",
                        name.trim_start_matches("runs/")
                    ));
                }
            }
            None => super::output::note(
                "their objects are deleted by the next `hive gc` (or now with `hive rm --purge`)",
            ),
        }
    }
    // A search index, when there is one, follows at once (best effort: a search catches it up anyway).
    #[cfg(feature = "search")]
    hive::search::update_if_present(&repo, &args.runs);
    out.finish()?;
    Ok(0)
}
