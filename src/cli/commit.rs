//! `hive commit`.

use super::Context;
use super::error::CliError;
use super::output::{Output, commit_json, note, short};
use hive::repo::CommitOptions;
use serde_json::json;

/// Seal staged events into a new commit of their run.
///
/// Without --run, commits every run that has staged events. The commit records run metadata (agent, model,
/// status, token and cost totals, duration), the author (HIVE_AUTHOR, [user] in .hive/config, or git's
/// user.name/user.email) and the code repository the session ran in. With nothing staged, nothing is committed.
///
/// Example: hive commit --run fix-login -m "first attempt"
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run to commit (default: every run with staged events).
    #[arg(long)]
    run: Option<String>,
    /// Commit message (default: the events it adds).
    #[arg(short, long)]
    message: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let options = CommitOptions {
        message: args.message.unwrap_or_default(),
        cwd: Some(context.cwd.clone()),
    };
    let outcomes = repo.commit(args.run.as_deref(), &options)?;
    let mut out = Output::new();
    if args.json {
        let commits: Vec<_> = outcomes
            .iter()
            .map(|outcome| {
                let mut value = commit_json(&outcome.id, &outcome.commit);
                value["first_seq"] = json!(outcome.first_seq);
                value["added"] = json!(outcome.added);
                value
            })
            .collect();
        out.json(&json!({"commits": commits}))?;
    } else if outcomes.is_empty() {
        note("nothing to commit: no staged events (stage some with `hive append`)");
    }
    if !args.json {
        for outcome in &outcomes {
            out.line(format!(
                "[{} {}] {}",
                outcome.run,
                short(&outcome.id),
                outcome.commit.message
            ))?;
        }
    }
    out.finish()?;
    Ok(0)
}
