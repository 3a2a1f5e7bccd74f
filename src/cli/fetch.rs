//! `hive fetch`.

use super::Context;
use super::error::CliError;
use super::output::{Output, human_bytes};
use super::transfer::{self, short_or_dash};
use hive::sync::FetchOptions;
use serde_json::json;

/// Download a remote's runs and workspaces into remote-tracking references.
///
/// Each of the remote's runs RUN becomes remotes/REMOTE/runs/RUN here (`hive log remotes/origin/runs/RUN` and
/// `hive diff` read them); your own runs do not change (`hive pull` does that). Only objects this repository
/// lacks travel, and each is checked against its hash; nothing is kept unless every new head is complete. An
/// interrupted fetch resumes where it stopped.
///
/// Example: hive fetch origin --prune
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The remote (default: origin).
    remote: Option<String>,
    /// Delete remote-tracking references of runs the remote no longer has.
    #[arg(long)]
    prune: bool,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
    /// Print the result as JSON (docs/JSON.md).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let (named, transport) = transfer::open(&repo, context, args.remote.as_deref(), false)?;
    let progress = transfer::progress(args.quiet || args.json, "receiving");
    let report = hive::sync::fetch(
        &repo,
        named.name.as_deref(),
        transport.as_ref(),
        &FetchOptions { prune: args.prune },
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
            "remote_refs": report.remote_refs,
            "updated": report.updated.iter().map(|tracked| json!({
                "name": tracked.name.as_str(),
                "tracking": tracked.tracking.as_str(),
                "old": tracked.old.map(|id| id.to_hex()),
                "new": tracked.new.map(|id| id.to_hex()),
            })).collect::<Vec<_>>(),
        }))?;
    } else {
        if !report.updated.is_empty() {
            out.line(format!("From {url}"))?;
        }
        for tracked in &report.updated {
            let line = match (tracked.old, tracked.new) {
                (None, _) => format!(
                    " * {} (new, {})",
                    tracked.tracking,
                    short_or_dash(tracked.new)
                ),
                (Some(_), None) => format!(" - {} (pruned)", tracked.tracking),
                (old, new) => format!(
                    "   {} {}..{}",
                    tracked.tracking,
                    short_or_dash(old),
                    short_or_dash(new)
                ),
            };
            out.line(line)?;
        }
        if report.objects > 0 {
            super::output::note(format!(
                "received {} objects, {}",
                report.objects,
                human_bytes(report.bytes)
            ));
        }
    }
    out.finish()?;
    Ok(0)
}
