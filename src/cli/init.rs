//! `hive init`.

use super::Context;
use super::error::CliError;
use super::output::Output;
use hive::repo::{InitOutcome, Repository};
use serde_json::json;
use std::path::PathBuf;

/// Create a repository (.hive/) in a project directory.
///
/// Running it again in an existing repository is safe: nothing stored is changed.
///
/// Example: hive init ~/code/my-project
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Project directory (default: the current directory).
    directory: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let project = context.cwd.join(args.directory.unwrap_or_default());
    hive::fsutil::create_dir_all(&project).map_err(hive::RepoError::from)?;
    let (repo, outcome) = Repository::init(&project)?;
    let path = repo.dir().display().to_string();
    let mut out = Output::new();
    if args.json {
        out.json(&json!({"path": path, "created": outcome == InitOutcome::Created}))?;
    } else if outcome == InitOutcome::Created {
        out.line(format!("Initialized empty hive repository in {path}"))?;
    } else {
        out.line(format!("Reinitialized existing hive repository in {path}"))?;
    }
    out.finish()?;
    Ok(0)
}
