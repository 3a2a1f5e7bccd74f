//! `hive rev-parse`.

use super::Context;
use super::error::CliError;
use super::output::Output;
use serde_json::json;

/// Print the full object id each revision names.
///
/// Revisions: RUN (its head commit), RUN~N (N commits before the head), RUN@SEQ (one event), or 4 or more
/// hexadecimal digits of an object id.
///
/// Example: hive rev-parse fix-login fix-login@0 3fa9
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Revisions to resolve.
    #[arg(required = true)]
    revisions: Vec<String>,
    /// Print one JSON object per revision (JSON Lines).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let mut out = Output::new();
    for revision in &args.revisions {
        let id = repo.resolve(revision)?.id();
        if args.json {
            out.json(&json!({"revision": revision, "id": id.to_hex()}))?;
        } else {
            out.line(id.to_hex())?;
        }
    }
    out.finish()?;
    Ok(0)
}
