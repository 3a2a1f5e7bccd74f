//! `hive log`.

use super::Context;
use super::error::CliError;
use super::output::{Output, commit_json, short};
use hive::repo::Resolved;

/// Show commits, newest first: of one run (following its history), or of every run.
///
/// Example: hive log fix-login --oneline
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run (or commit: RUN~N, an id) to start from; default: every run.
    run: Option<String>,
    /// One line per commit: short id, run, message.
    #[arg(long)]
    oneline: bool,
    /// Show at most this many commits.
    #[arg(short = 'n', long = "max-count", value_name = "N")]
    max_count: Option<usize>,
    /// Print one JSON object per commit (JSON Lines).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let commits = match &args.run {
        None => repo.log_all(args.max_count)?,
        Some(revision) => {
            let start = match repo.resolve(revision)? {
                Resolved::Commit { id, .. } => id,
                other => {
                    return Err(super::error::CliError::new(
                        super::error::code::BAD_INPUT,
                        format!(
                            "'{revision}' names {}, not a run or commit",
                            describe(&other)
                        ),
                        "give a run name, RUN~N or a commit id",
                    ));
                }
            };
            repo.log_from(start, args.max_count)?
        }
    };
    let mut out = Output::new();
    for (id, commit) in &commits {
        if args.json {
            out.json(&commit_json(id, commit))?;
        } else if args.oneline {
            out.line(format!(
                "{} {} {}",
                short(id),
                commit.run.name,
                commit.message.lines().next().unwrap_or("")
            ))?;
        } else {
            let added = commit.run.events;
            out.line(format!("commit {id}"))?;
            out.line(format!("Run:    {} ({} events)", commit.run.name, added))?;
            out.line(format!("Author: {}", commit.author))?;
            out.line(format!("Date:   {}", commit.time))?;
            out.line("")?;
            for line in commit.message.lines() {
                out.line(format!("    {line}"))?;
            }
            out.line("")?;
        }
    }
    out.finish()?;
    Ok(0)
}

fn describe(resolved: &Resolved) -> &'static str {
    match resolved {
        Resolved::Commit { .. } => "a commit",
        Resolved::Event { .. } => "an event",
        Resolved::Object(_) => "an object",
    }
}
