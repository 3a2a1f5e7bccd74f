//! `hive pull`.

use super::Context;
use super::error::{CliError, code};
use super::output::{Output, human_bytes};
use super::transfer::{self, short_or_dash, shown};
use hive::sync::{PullOutcome, PullReport};
use serde_json::json;

/// Fetch a remote's runs and workspaces, and bring each into yours.
///
/// A run you do not have is created; one that is behind moves forward. When both sides added commits, the
/// remote's head is merged in as `hive merge` does: a merge commit whose second parent is the remote's head,
/// with memory (state) merged by key; your run's events stay as they are, and the remote's are in the merge's
/// second parent (a run's events are one sequence; fork a run to keep two). Keys both sides changed stop the
/// merge: settle them with `hive merge --from remotes/REMOTE/runs/RUN --to RUN --strategy ours|theirs`.
///
/// Example: hive pull origin
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The remote (default: origin), then the runs or workspaces to bring in (default: all).
    words: Vec<String>,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
    /// Print the result as JSON (docs/JSON.md).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let (remote_word, words) = transfer::remote_and_runs(&repo, &args.words);
    let (named, transport) = transfer::open(&repo, context, remote_word.as_deref(), false)?;
    let Some(name) = named.name.clone() else {
        return Err(CliError::new(
            code::USAGE,
            "pull needs a named remote",
            "add it first: `hive remote add NAME URL`",
        ));
    };
    let progress = transfer::progress(args.quiet || args.json, "receiving");
    let report = hive::sync::pull(&repo, &name, transport.as_ref(), &words, &progress);
    transfer::end_progress(args.quiet || args.json);
    let report = report?;
    let mut out = Output::new();
    print_pull(&mut out, &report, &named.url.to_url(), args.json)?;
    out.finish()?;
    let conflicts: Vec<String> = report
        .refs
        .iter()
        .filter(|(_, outcome)| matches!(outcome, PullOutcome::Conflicts(_) | PullOutcome::Moved))
        .map(|(name, _)| shown(name))
        .collect();
    if conflicts.is_empty() {
        Ok(0)
    } else {
        Err(CliError::new(
            code::CONFLICT,
            format!("not merged: {}", conflicts.join(", ")),
            format!(
                "settle the keys: `hive merge --from remotes/{name}/runs/RUN --to RUN --strategy ours` (or theirs), then push"
            ),
        ))
    }
}

/// Prints what a pull (or clone) did.
pub fn print_pull(
    out: &mut Output,
    report: &PullReport,
    url: &str,
    json: bool,
) -> Result<(), CliError> {
    if json {
        return out.json_pretty(&json!({
            "url": url,
            "objects": report.fetch.objects,
            "bytes": report.fetch.bytes,
            "refs": report.refs.iter().map(|(name, outcome)| {
                let (status, id, keys) = match outcome {
                    PullOutcome::Created(id) => ("created", Some(id), None),
                    PullOutcome::FastForward(id) => ("fast-forward", Some(id), None),
                    PullOutcome::UpToDate => ("up-to-date", None, None),
                    PullOutcome::Ahead => ("ahead", None, None),
                    PullOutcome::Merged(id) => ("merged", Some(id), None),
                    PullOutcome::Conflicts(keys) => ("conflicts", None, Some(keys)),
                    PullOutcome::Moved => ("moved", None, None),
                };
                json!({
                    "name": name.as_str(),
                    "status": status,
                    "head": id.map(|id| id.to_hex()),
                    "conflicts": keys,
                })
            }).collect::<Vec<_>>(),
        }));
    }
    for (name, outcome) in &report.refs {
        let name = shown(name);
        let line = match outcome {
            PullOutcome::Created(id) => format!(" * {name} (new, {})", short_or_dash(Some(*id))),
            PullOutcome::FastForward(id) => {
                format!("   {name} fast-forward to {}", short_or_dash(Some(*id)))
            }
            PullOutcome::UpToDate => continue,
            PullOutcome::Ahead => format!("   {name} (ahead of {url}: push it)"),
            PullOutcome::Merged(id) => format!(" M {name} merged ({})", short_or_dash(Some(*id))),
            PullOutcome::Conflicts(keys) => {
                format!(
                    " ! {name} not merged: keys changed on both sides: {}",
                    keys.join(", ")
                )
            }
            PullOutcome::Moved => format!(" ! {name} changed during the pull; run it again"),
        };
        out.line(line)?;
    }
    if report.fetch.objects > 0 {
        super::output::note(format!(
            "received {} objects, {}",
            report.fetch.objects,
            human_bytes(report.fetch.bytes)
        ));
    }
    Ok(())
}
