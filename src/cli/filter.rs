//! The run filters that `hive runs` and `hive search` share.

use super::error::{CliError, code};
use hive::repo::RunFilter;
use hive::time::Timestamp;

/// Which runs: the filters keep the runs that meet all of them. A run's time, for --since and --until, is its first
/// event's (or its last commit's when its events have none).
#[derive(Debug, Default, clap::Args)]
pub struct FilterArgs {
    /// Only runs with this status (success, failure, running, …).
    #[arg(long)]
    status: Option<String>,
    /// Only runs rated at least this (1 to 5).
    #[arg(long, value_name = "N")]
    min_rating: Option<i64>,
    /// Only runs with this tag (repeat: all of them).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Only runs whose agent's name contains this (ignoring case).
    #[arg(long)]
    agent: Option<String>,
    /// Only runs whose model's name contains this (ignoring case).
    #[arg(long)]
    model: Option<String>,
    /// Only runs whose first commit's author ("Name <email>") contains this (ignoring case).
    #[arg(long)]
    author: Option<String>,
    /// Only runs from this time on: 2026-11-01, RFC 3339, or an age such as 7d, 12h, 2w.
    #[arg(long, value_name = "WHEN")]
    since: Option<String>,
    /// Only runs up to this time (same forms as --since).
    #[arg(long, value_name = "WHEN")]
    until: Option<String>,
    /// Only runs in this workspace.
    #[arg(long)]
    workspace: Option<String>,
}

/// A --since or --until value.
fn point(option: &str, text: Option<&String>) -> Result<Option<Timestamp>, CliError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let now = Timestamp::now().map_err(hive::RepoError::BadTimestamp)?;
    Timestamp::parse_point(text, now).map(Some).map_err(|_| {
        CliError::new(
            code::USAGE,
            format!("--{option} '{text}' is not a time"),
            "give a day (2026-11-01), RFC 3339 (2026-11-01T09:30:00Z) or an age (90s, 30m, 12h, 7d, 2w)",
        )
    })
}

impl FilterArgs {
    /// The library's filter.
    pub fn filter(self) -> Result<RunFilter, CliError> {
        Ok(RunFilter {
            since: point("since", self.since.as_ref())?,
            until: point("until", self.until.as_ref())?,
            status: self.status,
            min_rating: self.min_rating,
            tags: self.tags,
            agent: self.agent,
            model: self.model,
            author: self.author,
            workspace: self.workspace,
        })
    }
}
