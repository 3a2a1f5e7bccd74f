//! `hive promote`.

use super::Context;
use super::error::CliError;
use super::output::{Output, merge_report};
use super::workspace::MergeFlags;

/// Keep what a good run or workspace learned: merge its memory into a workspace.
///
/// A three-way merge of memory entries against the merge base of the two histories: a key only the source changed
/// is taken, a key only the target changed stays, a key both changed differently is a conflict, shown as base /
/// ours (the target) / theirs (the source), and nothing is merged unless --strategy settles it. The merge is a
/// commit on the target whose second parent is the source's head, so the target's history shows where each entry
/// came from. --tag takes only entries carrying one of the tags.
///
/// Example: hive promote --from alice --to main --tag build
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace or run whose memory is promoted (runs/NAME or workspaces/NAME when both exist).
    #[arg(long)]
    from: String,
    /// The workspace it goes to; by default the one --from inherits from.
    #[arg(long)]
    to: Option<String>,
    #[command(flatten)]
    merge: MergeFlags,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let options = args.merge.options("promote");
    let outcome = repo.promote(&args.from, args.to.as_deref(), &options)?;
    let mut out = Output::new();
    let code = merge_report(&mut out, &outcome, &options, args.merge.json)?;
    out.finish()?;
    Ok(code)
}
