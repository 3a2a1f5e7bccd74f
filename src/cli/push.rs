//! `hive push`.

use super::Context;
use super::error::{CliError, code};
use super::output::{Output, human_bytes};
use super::transfer::{self, short_or_dash, shown, status_name};
use hive::sync::{PushOptions, RefStatus};
use serde_json::json;

/// Send runs and workspaces to a remote.
///
/// Only the objects the remote lacks travel, as one compressed stream: the two sides compare commits first,
/// then payloads, so a file another run already stored there is not sent again. The remote checks every
/// object's hash and that each new head reaches nothing missing before it moves a reference, by
/// compare-and-swap. A run whose remote head is not an ancestor of yours is refused (pull first, or
/// --force, which needs admin access on a server). An interrupted push leaves the remote as it was; running it
/// again sends only what is still missing.
///
/// With no runs named, every run and workspace is pushed. A path remote that does not exist yet is created.
///
/// Example: hive push origin fix-login
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The remote (a name from `hive remote list`, or a URL); default: origin. Then the runs or workspaces to
    /// push (NAME, runs/NAME, workspaces/NAME).
    words: Vec<String>,
    /// Push every run and workspace (what no names means).
    #[arg(long, conflicts_with = "words")]
    all: bool,
    /// Replace remote heads even when yours do not descend from them.
    #[arg(long, short)]
    force: bool,
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
    let (named, transport) = transfer::open(&repo, context, remote_word.as_deref(), true)?;
    let progress = transfer::progress(args.quiet || args.json, "sending");
    let options = PushOptions {
        refs: words,
        force: args.force,
    };
    let report = hive::sync::push(
        &repo,
        named.name.as_deref(),
        transport.as_ref(),
        &options,
        &progress,
    );
    transfer::end_progress(args.quiet || args.json);
    let report = report?;
    let url = named.url.to_url();
    let mut out = Output::new();
    if args.json {
        out.json_pretty(&json!({
            "remote": named.name,
            "url": url,
            "objects": report.objects,
            "bytes": report.bytes,
            "refs": report.refs.iter().map(|outcome| json!({
                "name": outcome.name.as_str(),
                "old": outcome.old.map(|id| id.to_hex()),
                "new": outcome.new.map(|id| id.to_hex()),
                "status": status_name(&outcome.status),
                "message": outcome.message,
            })).collect::<Vec<_>>(),
        }))?;
    } else {
        out.line(format!("To {url}"))?;
        for outcome in &report.refs {
            let name = shown(&outcome.name);
            let line = match outcome.status {
                RefStatus::UpToDate => format!(" = {name} (up to date)"),
                RefStatus::Created => format!(" * {name} (new, {})", short_or_dash(outcome.new)),
                RefStatus::FastForward => format!(
                    "   {name} {}..{}",
                    short_or_dash(outcome.old),
                    short_or_dash(outcome.new)
                ),
                RefStatus::Forced => format!(
                    " + {name} {}...{} (forced)",
                    short_or_dash(outcome.old),
                    short_or_dash(outcome.new)
                ),
                RefStatus::Deleted => format!(" - {name} (deleted)"),
                _ => format!(
                    " ! {name} (refused: {}{})",
                    status_name(&outcome.status),
                    outcome
                        .message
                        .as_ref()
                        .map(|message| format!(": {message}"))
                        .unwrap_or_default()
                ),
            };
            out.line(line)?;
        }
        if report.objects > 0 {
            super::output::note(format!(
                "sent {} objects, {}",
                report.objects,
                human_bytes(report.bytes)
            ));
        }
    }
    out.finish()?;
    if report.all_accepted() {
        return Ok(0);
    }
    let non_ff = report
        .refs
        .iter()
        .any(|outcome| matches!(outcome.status, RefStatus::NonFastForward | RefStatus::Stale));
    Err(CliError::new(
        code::CONFLICT,
        "some runs were refused (see above)",
        if non_ff {
            "the remote has commits you do not: `hive pull` first, then push again (or push --force to replace them)"
        } else {
            "a token with more access may be needed; see the reasons above"
        },
    ))
}
