//! `hive merge`.

use super::Context;
use super::error::CliError;
use super::output::{Output, merge_report};
use super::workspace::MergeFlags;

/// Merge the memory (state) of one branch into another: any two workspaces or runs.
///
/// The same three-way merge as `hive promote`, for any target: a workspace, or a run (whose state is what its
/// `state_update` events set). The merge is a commit on the target whose second parent is the source's head.
///
/// Example: hive merge --from fix-login-retry --to fix-login --strategy theirs
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The branch merged from (runs/NAME or workspaces/NAME when both exist).
    #[arg(long)]
    from: String,
    /// The branch merged into.
    #[arg(long)]
    to: String,
    #[command(flatten)]
    merge: MergeFlags,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let options = args.merge.options("merge");
    let outcome = repo.merge_state(&args.from, &args.to, &options)?;
    let mut out = Output::new();
    let code = merge_report(&mut out, &outcome, &options, args.merge.json)?;
    out.finish()?;
    Ok(code)
}
