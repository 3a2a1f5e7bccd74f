//! `append` and `commit`: staging events in the journal and sealing them into a run's history.

use super::history::{self, CommitInput};
use super::{RepoError, Repository};
use crate::event::Event;
use crate::id::ObjectId;
use crate::object::Commit;
use crate::refs::{RefError, RefName, RefStore, ReflogEntry};
use crate::store::ObjectStore;
use crate::time::Timestamp;
use serde_json::{Map, Value};
use std::io::BufRead;
use std::path::PathBuf;

/// What `append` staged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendSummary {
    /// The run.
    pub run: String,
    /// Seq of the first staged event.
    pub first_seq: u64,
    /// Number of events staged.
    pub count: u64,
    /// Bytes of a torn record, left by an earlier crash, that were cut off.
    pub repaired_bytes: Option<u64>,
    /// Secrets masked before staging, by detector.
    pub redactions: crate::redact::Counts,
}

/// How to commit.
#[derive(Clone, Debug, Default)]
pub struct CommitOptions {
    /// The commit message; empty for one that counts the events.
    pub message: String,
    /// Directory whose git repository is recorded when no event names one.
    pub cwd: Option<PathBuf>,
    /// The commit's time; `None` for now (or `HIVE_TIMESTAMP`).
    pub time: Option<Timestamp>,
}

/// One commit made by `commit`.
#[derive(Clone, Debug)]
pub struct CommitOutcome {
    /// The run.
    pub run: String,
    /// The new commit.
    pub id: ObjectId,
    /// Its decoded form.
    pub commit: Commit,
    /// Seq of the first event it added.
    pub first_seq: u64,
    /// Number of events it added.
    pub added: u64,
    /// Secrets masked in the events of the input it committed, by detector (`commit_input` only).
    pub redactions: crate::redact::Counts,
}

/// Makes the events a commit adds after the staged ones (called again if the commit starts over).
type FreshEvents<'a> = dyn FnMut() -> Result<Vec<Map<String, Value>>, RepoError> + 'a;

/// Inputs at least this large are parsed on several threads.
const PARALLEL_PARSE_BYTES: usize = 64 * 1024;

/// Retries of a commit that lost a race for the run's reference before hive gives up.
const MAX_ATTEMPTS: usize = 1000;

impl Repository {
    /// Parses JSON Lines into checked event objects, with `ts` set to now where absent. Blank lines are skipped.
    /// Fails on the first bad line, naming it.
    pub fn parse_events(&self, input: impl BufRead) -> Result<Vec<Map<String, Value>>, RepoError> {
        self.parse_event_lines(&read_input(input)?)
    }

    /// [`Repository::parse_events`] over JSON Lines already in memory.
    pub fn parse_event_lines(&self, bytes: &[u8]) -> Result<Vec<Map<String, Value>>, RepoError> {
        let now = Timestamp::now().map_err(RepoError::BadTimestamp)?;
        parse_lines(bytes, Some(now.to_rfc3339()))
    }

    /// [`Repository::parse_event_lines`], leaving events without `ts` without one: the same bytes always give
    /// the same events (what an import compares with the run it continues).
    pub fn parse_event_lines_as_given(
        &self,
        bytes: &[u8],
    ) -> Result<Vec<Map<String, Value>>, RepoError> {
        parse_lines(bytes, None)
    }

    /// Stages checked events (from [`Repository::parse_events`]) for `run`. Durable when it returns.
    pub fn append_events(
        &self,
        run: &str,
        mut events: Vec<Map<String, Value>>,
    ) -> Result<AppendSummary, RepoError> {
        let name = RefName::run(run)?;
        self.add_code_context(&mut events);
        let mut redactions = crate::redact::Counts::new();
        self.redact_events(&mut events, &mut redactions);
        if events.is_empty() {
            return Ok(AppendSummary {
                run: run.to_string(),
                first_seq: 0,
                count: 0,
                repaired_bytes: None,
                redactions,
            });
        }
        self.check_run_name_free(run)?;
        let outcome = self
            .journal
            .append(run, events, || self.committed_events(&name))?;
        Ok(AppendSummary {
            run: run.to_string(),
            first_seq: outcome.first_seq,
            count: outcome.count,
            repaired_bytes: outcome.repaired.map(|torn| torn.bytes),
            redactions,
        })
    }

    /// Records the code repository in every `session_start` event that names none: the git repository of its
    /// `cwd`, or of the current directory.
    fn add_code_context(&self, events: &mut [Map<String, Value>]) {
        if !self.code_context_enabled() {
            return;
        }
        for event in events
            .iter_mut()
            .filter(|event| event["kind"] == "session_start" && !event.contains_key("code"))
        {
            let dir = event
                .get("cwd")
                .and_then(Value::as_str)
                .map(PathBuf::from)
                .or_else(|| std::env::current_dir().ok());
            if let Some(code) = dir.and_then(|dir| crate::codectx::detect(&dir)) {
                event.insert(
                    "code".into(),
                    serde_json::to_value(code).expect("code context serializes"),
                );
            }
        }
    }

    /// Commits a whole session in one step: the events of `input` (JSON Lines, as for [`Repository::append`])
    /// go straight into a new commit of `run`, after any events already staged for it, without passing through
    /// the journal. Nothing is written if any line is bad; an input without events commits what is staged.
    pub fn commit_input(
        &self,
        run: &str,
        input: impl BufRead,
        options: &CommitOptions,
    ) -> Result<Option<CommitOutcome>, RepoError> {
        RefName::run(run)?;
        let bytes = read_input(input)?;
        let mut checked = false;
        let mut redactions = crate::redact::Counts::new();
        // Parsed again only if another process moves the run's head during the commit and it starts over.
        let mut fresh = || -> Result<Vec<Map<String, Value>>, RepoError> {
            let mut events = self.parse_event_lines(&bytes)?;
            self.add_code_context(&mut events);
            redactions.clear();
            self.redact_events(&mut events, &mut redactions);
            if !events.is_empty() && !checked {
                self.check_run_name_free(run)?;
                checked = true;
            }
            Ok(events)
        };
        let outcome = self.commit_run(run, options, Some(&mut fresh))?;
        Ok(outcome.map(|outcome| CommitOutcome {
            redactions,
            ..outcome
        }))
    }

    /// Parses and stages JSON Lines for `run`; nothing is staged if any line is bad.
    pub fn append(&self, run: &str, input: impl BufRead) -> Result<AppendSummary, RepoError> {
        RefName::run(run)?;
        let events = self.parse_events(input)?;
        self.append_events(run, events)
    }

    /// The head commit of `run`, if it has one.
    pub fn head(&self, run: &str) -> Result<Option<(ObjectId, Commit)>, RepoError> {
        // A remote-tracking run (remotes/REMOTE/runs/NAME) reads like a run.
        let name = if run.starts_with("remotes/") {
            RefName::parse(run)?
        } else {
            RefName::run(run)?
        };
        match self.refs.read(&name)? {
            None => Ok(None),
            Some(id) => Ok(Some((id, history::read_commit(&self.odb, id)?))),
        }
    }

    fn committed_events(&self, name: &RefName) -> Result<u64, RepoError> {
        match self.refs.read(name)? {
            None => Ok(0),
            Some(id) => Ok(history::read_commit(&self.odb, id)?.run.events),
        }
    }

    /// Seals the staged events of `run` (or of every run with staged events) into new commits.
    /// A run with nothing staged gets no commit.
    pub fn commit(
        &self,
        run: Option<&str>,
        options: &CommitOptions,
    ) -> Result<Vec<CommitOutcome>, RepoError> {
        let runs = match run {
            Some(run) => vec![run.to_string()],
            None => self.journal.runs()?,
        };
        let mut outcomes = Vec::new();
        for run in runs {
            if let Some(outcome) = self.commit_run(&run, options, None)? {
                outcomes.push(outcome);
            }
        }
        Ok(outcomes)
    }

    /// Commits the staged events of `run` followed by the events `fresh` makes, if given (numbered here, after
    /// the staged ones; called once per attempt). With `fresh`, appends wait from the journal read to the
    /// reference update (see [`crate::journal::Journal::gate`]).
    fn commit_run(
        &self,
        run: &str,
        options: &CommitOptions,
        mut fresh: Option<&mut FreshEvents<'_>>,
    ) -> Result<Option<CommitOutcome>, RepoError> {
        let name = RefName::run(run)?;
        let cwd = options
            .cwd
            .clone()
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        let author = self.author(&cwd);
        let time = match options.time {
            Some(time) => time,
            None => Timestamp::now().map_err(RepoError::BadTimestamp)?,
        };
        for _ in 0..MAX_ATTEMPTS {
            // The journal first, then the head: a concurrent commit removes from the journal only events that its
            // head already holds, so a head read after the journal never misses staged events.
            let _gate = match fresh {
                Some(_) => Some(self.journal.gate(true)?),
                None => None,
            };
            let scan = self.journal.read(run)?;
            let had_journal = !scan.events.is_empty();
            let head = self.refs.read(&name)?;
            let parent = match head {
                Some(id) => Some((id, history::read_commit(&self.odb, id)?)),
                None => None,
            };
            let committed = parent
                .as_ref()
                .map(|(_, commit)| commit.run.events)
                .unwrap_or(0);
            let mut staged: Vec<Map<String, Value>> = scan
                .events
                .into_iter()
                .filter(|staged| staged.seq >= committed)
                .map(|staged| staged.event)
                .collect();
            if let Some(fresh) = fresh.as_mut() {
                let mut events = fresh()?;
                number_from(&mut events, committed + staged.len() as u64);
                staged.append(&mut events);
            }
            if staged.is_empty() {
                if had_journal {
                    self.journal.consume(run, committed)?;
                }
                return Ok(None);
            }
            let code = match parent
                .as_ref()
                .and_then(|(_, commit)| commit.run.code.clone())
            {
                Some(code) => Some(code),
                // Only when no staged session_start names it already: detection runs a git status.
                None if self.code_context_enabled()
                    && !staged.iter().any(|event| event.contains_key("code")) =>
                {
                    crate::codectx::detect(&cwd)
                }
                None => None,
            };
            let added = staged.len() as u64;
            let built = history::build_commit(
                &self.odb,
                CommitInput {
                    run,
                    parent: parent.as_ref().map(|(id, commit)| (*id, commit)),
                    events: staged,
                    author: author.clone(),
                    time,
                    message: options.message.clone(),
                    threshold: self.blob_threshold(),
                    workspace: self.workspace(),
                    code,
                    fork: None,
                },
            )?;
            // Held from the first object write to the reference update, so gc never prunes these objects.
            let guard = self.write_guard()?;
            self.odb.write_batch(&built.objects)?;
            let entry = ReflogEntry {
                old: head.map(|id| id.to_hex()),
                new: Some(built.id.to_hex()),
                author: author.clone(),
                time: time.to_rfc3339(),
                message: format!("commit: {}", built.commit.message),
            };
            let updated = self.refs.update(&name, head, Some(built.id), &entry);
            drop(guard);
            match updated {
                Ok(()) => {
                    if had_journal {
                        self.journal.consume(run, built.commit.run.events)?;
                    }
                    // Best effort: a failed merge leaves every pack in place, and the commit stands.
                    let _ = self.consolidate_packs();
                    return Ok(Some(CommitOutcome {
                        run: run.to_string(),
                        id: built.id,
                        first_seq: committed,
                        added,
                        commit: built.commit,
                        redactions: crate::redact::Counts::new(),
                    }));
                }
                // Another process committed this run first: start again from its head.
                Err(RefError::Stale { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(RepoError::Contended {
            run: run.to_string(),
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Refuses a run name that would clash with an existing run on disk: `a` and `a/b` cannot both exist, as a
    /// file and a directory cannot share a path. Costs a few file-system lookups.
    pub fn check_run_name_free(&self, run: &str) -> Result<(), RepoError> {
        check_name_free(
            run,
            "",
            &[
                (self.dir.join("refs/runs"), ""),
                (self.dir.join("journal"), ".jnl"),
            ],
        )
    }
}

/// Refuses `name` where, in one of `places` (a folder, and the ending of its files), a file stands where one of the
/// name's folders would, or a folder of further names stands where the name would. `shown` prefixes the names in
/// the error.
pub(super) fn check_name_free(
    name: &str,
    shown: &str,
    places: &[(PathBuf, &str)],
) -> Result<(), RepoError> {
    let clash = |existing: String| {
        Err(RepoError::NameClash {
            name: format!("{shown}{name}"),
            existing: format!("{shown}{existing}"),
        })
    };
    for (index, _) in name.match_indices('/') {
        let prefix = &name[..index];
        if places
            .iter()
            .any(|(folder, ending)| folder.join(format!("{prefix}{ending}")).is_file())
        {
            return clash(prefix.to_string());
        }
    }
    if places.iter().any(|(folder, _)| folder.join(name).is_dir()) {
        return clash(format!("{name}/…"));
    }
    Ok(())
}

/// Parses JSON Lines into checked events; `now` fills a missing `ts` when given.
fn parse_lines(bytes: &[u8], now: Option<String>) -> Result<Vec<Map<String, Value>>, RepoError> {
    let parse = |(index, line): (usize, &[u8])| -> Option<Result<Map<String, Value>, RepoError>> {
        let number = index + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        // serde_json checks that the text is UTF-8 as it goes.
        let value: Value = match serde_json::from_slice(line) {
            Ok(value) => value,
            Err(error) => {
                return Some(Err(RepoError::BadEvent {
                    line: number,
                    message: if std::str::from_utf8(line).is_err() {
                        "not UTF-8 text".into()
                    } else {
                        format!("not valid JSON: {error}")
                    },
                }));
            }
        };
        Some(
            Event::from_json(value)
                .map(|mut event| {
                    if event.ts.is_empty()
                        && let Some(now) = &now
                    {
                        event.ts = now.clone();
                    }
                    event.into_map()
                })
                .map_err(|error| RepoError::BadEvent {
                    line: number,
                    message: error.to_string(),
                }),
        )
    };
    let lines: Vec<&[u8]> = bytes.split(|&byte| byte == b'\n').collect();
    // Lines parse independently; a large input is spread over the cores. The first bad line is reported.
    let parsed: Vec<Result<Map<String, Value>, RepoError>> = if bytes.len() >= PARALLEL_PARSE_BYTES
    {
        use rayon::prelude::*;
        lines
            .into_par_iter()
            .enumerate()
            .with_min_len(16)
            .filter_map(parse)
            .collect()
    } else {
        lines.into_iter().enumerate().filter_map(parse).collect()
    };
    // In line order, so the error is the first bad line's.
    parsed.into_iter().collect()
}

/// All of an input, with a read error naming it.
fn read_input(mut input: impl BufRead) -> Result<Vec<u8>, RepoError> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|source| crate::fsutil::IoError {
            operation: "read",
            path: PathBuf::from("<input>"),
            source,
        })?;
    Ok(bytes)
}

/// Gives `events` consecutive seqs starting at `first`.
pub(super) fn number_from(events: &mut [Map<String, Value>], first: u64) {
    for (offset, event) in events.iter_mut().enumerate() {
        event.insert("seq".into(), (first + offset as u64).into());
    }
}
