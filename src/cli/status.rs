//! `hive status`.

use super::Context;
use super::error::CliError;
use super::output::{Output, curation_report};
use hive::repo::Curation;

/// Set a run's status by hand: success, failure, partial, abandoned, or any lowercase word.
///
/// A run's status comes from its last checkpoint or session end; this overrides it with a reviewer's verdict,
/// recorded as a commit on the run that changes only its metadata (a later session end sets it again).
/// `hive runs --status S` lists the runs with status S.
///
/// Example: hive status fix-login failure
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run.
    run: String,
    /// The status: a lowercase word (letters, digits, `_`, `-`).
    status: String,
    /// Print the result as JSON (docs/JSON.md).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let outcome = repo.curate(&args.run, &Curation::Status(args.status))?;
    let mut out = Output::new();
    curation_report(&mut out, &outcome, args.json)?;
    out.finish()?;
    Ok(0)
}
