//! What push, fetch, pull and clone share: choosing the remote, connecting, showing progress, and printing
//! reference changes.

use super::Context;
use super::error::{CliError, code};
use super::output::human_bytes;
use hive::Repository;
use hive::sync::remote::{self, Named};
use hive::sync::{Progress, RefStatus, Transport};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Whether `word` names a remote rather than a run: a configured remote, or something shaped like a URL.
pub fn is_remote(repo: &Repository, word: &str) -> bool {
    repo.config().remote.contains_key(word)
        || word.contains("://")
        || word.starts_with('/')
        || word.starts_with("./")
        || word.starts_with("../")
}

/// Splits a command's words into the remote (the first word, when [`is_remote`] says it names one) and the runs.
pub fn remote_and_runs(repo: &Repository, words: &[String]) -> (Option<String>, Vec<String>) {
    match words.split_first() {
        Some((first, rest)) if is_remote(repo, first) => (Some(first.clone()), rest.to_vec()),
        _ => (None, words.to_vec()),
    }
}

/// The remote used when none is named: `origin`, else the only one configured.
pub fn default_remote(repo: &Repository) -> Result<String, CliError> {
    let remotes = &repo.config().remote;
    if remotes.contains_key("origin") {
        return Ok("origin".into());
    }
    match remotes.keys().collect::<Vec<_>>().as_slice() {
        [only] => Ok((*only).clone()),
        [] => Err(CliError::new(
            code::USAGE,
            "this repository has no remote",
            "add one with `hive remote add origin URL` (a path, or http://HOST:PORT/REPO of `hive serve`)",
        )),
        many => Err(CliError::new(
            code::USAGE,
            format!(
                "this repository has {} remotes and none is called origin",
                many.len()
            ),
            format!(
                "name one: {}",
                many.iter()
                    .map(|name| name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// The remote `word` (or the default one) and a connection to it.
pub fn open(
    repo: &Repository,
    context: &Context,
    word: Option<&str>,
    create: bool,
) -> Result<(Named, Box<dyn Transport>), CliError> {
    let word = match word {
        Some(word) => word.to_string(),
        None => default_remote(repo)?,
    };
    let named = remote::find(repo, &word, &context.cwd)?;
    let who = repo.author(&context.cwd);
    let transport = remote::connect(&named.url, named.token.as_deref(), create, &who)?;
    Ok((named, transport))
}

/// A progress display on stderr, when it is a terminal and `quiet` is off; redrawn at most ten times a second.
pub fn progress(quiet: bool, verb: &'static str) -> impl Fn(Progress) + Sync {
    let show = !quiet && std::io::stderr().is_terminal();
    let last = Mutex::new(None::<Instant>);
    move |now: Progress| {
        if !show {
            return;
        }
        let mut last = last.lock().expect("progress lock");
        if last.is_some_and(|at| at.elapsed() < Duration::from_millis(100)) {
            return;
        }
        *last = Some(Instant::now());
        let text = match now {
            Progress::Counting(objects) => format!("counting objects: {objects}"),
            Progress::Transferring { objects, bytes } if objects > 0 => {
                format!("{verb}: {objects} objects, {}", human_bytes(bytes))
            }
            Progress::Transferring { bytes, .. } => format!("{verb}: {}", human_bytes(bytes)),
            Progress::Checking(objects) => format!("checking connectivity: {objects} objects"),
        };
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[K{text}");
    }
}

/// Ends a progress line, if one was drawn.
pub fn end_progress(quiet: bool) {
    if !quiet && std::io::stderr().is_terminal() {
        let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
    }
}

/// The JSON name of a status (docs/JSON.md).
pub fn status_name(status: &RefStatus) -> &'static str {
    match status {
        RefStatus::Created => "created",
        RefStatus::FastForward => "fast-forward",
        RefStatus::Forced => "forced",
        RefStatus::Deleted => "deleted",
        RefStatus::UpToDate => "up-to-date",
        RefStatus::NonFastForward => "non-fast-forward",
        RefStatus::Stale => "stale",
        RefStatus::Forbidden => "forbidden",
        RefStatus::Invalid => "invalid",
    }
}

/// A reference's short name for people: runs are shown bare, workspaces as `workspaces/NAME`.
pub fn shown(name: &hive::refs::RefName) -> String {
    name.run_name()
        .map(str::to_string)
        .unwrap_or_else(|| name.to_string())
}

/// An id for people, or `-`.
pub fn short_or_dash(id: Option<hive::ObjectId>) -> String {
    id.map(|id| id.short(10)).unwrap_or_else(|| "-".into())
}
