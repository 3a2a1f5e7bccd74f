//! `hive commit`.

use super::Context;
use super::error::CliError;
use super::output::{Output, commit_json, note, short};
use hive::repo::CommitOptions;
use serde_json::json;
use std::io::BufReader;
use std::path::PathBuf;

/// Seal staged events into a new commit of their run, or commit a whole session file in one step.
///
/// Without FILE: commits the events staged by `hive append`; without --run, every run that has some. With FILE
/// (JSON Lines events, as for `hive append`; `-` reads standard input): its events are committed straight to the
/// run (--run, else $HIVE_RUN, the `.hivemind` capture.run, or `main`) after any events staged for it, in one
/// step and one durable write; if a line is malformed, nothing is committed. The commit records run metadata (agent, model,
/// status, token and cost totals, duration), the author (HIVE_AUTHOR, [user] in .hive/config, or git's
/// user.name/user.email) and the code repository the session ran in. With nothing staged, nothing is committed.
///
/// Examples:
///   hive commit --run fix-login -m "first attempt"
///   hive commit --run fix-login session.jsonl
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
    /// File of JSON Lines events to commit in one step; `-` reads standard input.
    file: Option<PathBuf>,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let options = CommitOptions {
        message: args.message.unwrap_or_default(),
        cwd: Some(context.cwd.clone()),
        time: None,
    };
    let outcomes = match args.file.as_deref() {
        None => repo.commit(args.run.as_deref(), &options)?,
        Some(path) => {
            let run = args.run.unwrap_or_else(|| repo.default_run());
            let outcome = if path.as_os_str() == "-" {
                repo.commit_input(&run, std::io::stdin().lock(), &options)?
            } else {
                let file = super::append::open_events_file(&context.cwd.join(path))?;
                repo.commit_input(&run, BufReader::with_capacity(1 << 20, file), &options)?
            };
            outcome.into_iter().collect()
        }
    };
    let mut out = Output::new();
    if args.json {
        let commits: Vec<_> = outcomes
            .iter()
            .map(|outcome| {
                let mut value = commit_json(&outcome.id, &outcome.commit);
                value["first_seq"] = json!(outcome.first_seq);
                value["added"] = json!(outcome.added);
                value["redactions"] = json!(outcome.redactions);
                value
            })
            .collect();
        out.json(&json!({"commits": commits}))?;
    } else if outcomes.is_empty() {
        note(if args.file.is_some() {
            "nothing to commit: the file holds no events and none are staged"
        } else {
            "nothing to commit: no staged events (stage some with `hive append`)"
        });
    }
    if !args.json {
        for outcome in &outcomes {
            if let Some(masked) = super::output::redaction_summary(&outcome.redactions) {
                note(masked);
            }
            out.line(format!(
                "[{} {}] {}",
                outcome.run,
                short(&outcome.id),
                outcome.commit.message
            ))?;
        }
    }
    // A search index, when there is one, follows at once (best effort: a search catches it up anyway).
    #[cfg(feature = "search")]
    hive::search::update_if_present(
        &repo,
        &outcomes
            .iter()
            .map(|outcome| outcome.run.clone())
            .collect::<Vec<_>>(),
    );
    out.finish()?;
    Ok(0)
}
