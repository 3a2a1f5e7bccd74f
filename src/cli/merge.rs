//! `hive merge`.

use super::Context;
use super::error::CliError;
use super::output::{Output, merge_report};
use super::workspace::StrategyArg;
use hive::repo::MergeOptions;

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
    /// Only entries with this tag (repeat: any of them).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Settle keys both changed: keep ours (the target's), or take theirs (the source's).
    #[arg(long, value_enum)]
    strategy: Option<StrategyArg>,
    /// Show what would change without changing it.
    #[arg(long)]
    dry_run: bool,
    /// Print the result as JSON (docs/JSON.md).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let options = MergeOptions {
        tags: args.tags,
        strategy: StrategyArg::strategy(args.strategy),
        dry_run: args.dry_run,
        action: "merge".into(),
    };
    let outcome = repo.merge_state(&args.from, &args.to, &options)?;
    let mut out = Output::new();
    let code = merge_report(&mut out, &outcome, &options, args.json)?;
    out.finish()?;
    Ok(code)
}
