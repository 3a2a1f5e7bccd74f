//! `hive rate`.

use super::Context;
use super::error::CliError;
use super::output::{Output, curation_report};
use hive::repo::Curation;

/// Rate a run from 1 (useless) to 5 (exemplary), or clear its rating.
///
/// The rating is recorded as a commit on the run that changes only its metadata, so it travels with the run.
/// `hive runs --min-rating N` lists the runs rated N or more.
///
/// Example: hive rate fix-login 4
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run.
    run: String,
    /// The rating, 1 to 5.
    #[arg(required_unless_present = "clear")]
    rating: Option<i64>,
    /// Remove the rating instead.
    #[arg(long, conflicts_with = "rating")]
    clear: bool,
    /// Print the result as JSON (docs/JSON.md).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let outcome = repo.curate(&args.run, &Curation::Rating(args.rating))?;
    let mut out = Output::new();
    curation_report(&mut out, &outcome, args.json)?;
    out.finish()?;
    Ok(0)
}
