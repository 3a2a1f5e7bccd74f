//! `import`: many session files into the repository in one pass, the bulk path.
//!
//! Sessions are read, parsed, encoded and hashed in parallel, a batch at a time (bounded memory whatever the
//! input size); each batch's objects go into one pack with one flush; the runs' references are updated together
//! at the end with one flush for all of them (`RefStore::update_many`). The writers' lock is held throughout, so
//! gc never prunes an object written here before its run points to it.
//!
//! Importing is idempotent and incremental: a session whose run already holds exactly its events changes
//! nothing; a session that grew since (the same first events, then more) adds one commit with the new events;
//! a session whose first events differ from the run's is refused, and the rest still import.

use super::capture::number_from;
use super::history::{self, CommitInput};
use super::{RepoError, Repository};
use crate::event::Event;
use crate::formats::{self, Format};
use crate::id::ObjectId;
use crate::object::{Commit, ForkPoint, HashedObject};
use crate::refs::{RefName, RefStore, RefUpdate, ReflogEntry};
use crate::store::{PackOptions, order_for_packing};
use crate::time::Timestamp;
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// One session to import: a file and the run it goes to.
#[derive(Clone, Debug)]
pub struct ImportSession {
    /// The file.
    pub path: PathBuf,
    /// The run.
    pub run: String,
    /// The file's format; `None`: recognised from its first record.
    pub format: Option<Format>,
}

/// How to import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Commit message; empty for one that counts the events.
    pub message: String,
    /// Sessions are processed in batches of about this many bytes of input: the bound on memory (two batches are
    /// in flight, one prepared while the other is packed).
    pub batch_bytes: u64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            message: String::new(),
            batch_bytes: 16 << 20,
        }
    }
}

/// What became of one session.
#[derive(Debug)]
pub enum ImportOutcome {
    /// A new run.
    Created {
        /// Its commit.
        commit: ObjectId,
        /// Events in it.
        events: u64,
    },
    /// The run held the session's first events; the rest were added in a new commit.
    Appended {
        /// The new commit.
        commit: ObjectId,
        /// Seq of the first event added.
        first_seq: u64,
        /// Events added.
        added: u64,
    },
    /// The run already holds exactly this session.
    Unchanged {
        /// Its head.
        commit: ObjectId,
        /// Events in it.
        events: u64,
    },
}

/// One session's line in the report.
#[derive(Debug)]
pub struct SessionReport {
    /// The file.
    pub path: PathBuf,
    /// The run.
    pub run: String,
    /// Size of the file.
    pub bytes: u64,
    /// What happened, or why the session was not imported.
    pub result: Result<ImportOutcome, RepoError>,
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Every session, in the order given.
    pub sessions: Vec<SessionReport>,
    /// Events in the sessions imported (all of each session, including events the run already held).
    pub events: u64,
    /// Bytes of input read.
    pub bytes_in: u64,
    /// Growth of the object store.
    pub bytes_stored: u64,
    /// Secrets masked in the events this import added, by detector (distinct secrets per session, summed).
    pub redactions: crate::redact::Counts,
}

/// Where a long import stands, for a progress display.
#[derive(Clone, Copy, Debug)]
pub struct ImportProgress {
    /// Sessions read so far.
    pub sessions_done: u64,
    /// Sessions in all.
    pub sessions_total: u64,
    /// Bytes of input read so far.
    pub bytes_done: u64,
    /// Bytes of input in all.
    pub bytes_total: u64,
}

/// A file's sessions, each with its run and what preparing it gave; or why the file could not be read.
type PreparedFile = Result<Vec<(String, Result<Prepared, RepoError>)>, RepoError>;

/// Which instances a results summary says were resolved.
type Resolved = std::sync::Arc<std::collections::HashMap<String, bool>>;

/// The `results_summary.json` files found so far, by folder, so that each is read once per import.
#[derive(Default)]
struct ContextCache {
    summaries: std::sync::Mutex<std::collections::HashMap<PathBuf, Option<Resolved>>>,
}

impl ContextCache {
    /// What the files around `path` say: the results summary in its folder or up to three folders above.
    fn for_file(&self, path: &std::path::Path) -> formats::Context {
        let resolved = path.ancestors().skip(1).take(4).find_map(|dir| {
            let mut summaries = self.summaries.lock().expect("summary cache");
            summaries
                .entry(dir.to_path_buf())
                .or_insert_with(|| {
                    let bytes = std::fs::read(dir.join("results_summary.json")).ok()?;
                    formats::Context::results_summary(&bytes).map(std::sync::Arc::new)
                })
                .clone()
        });
        formats::Context { resolved }
    }
}

/// What the last import of a run leaves to make the next one cheap, in `.hive/cache/import/<run>.json` (derived
/// data: deleting it only makes the next import verify the run's events the long way).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct ImportMark {
    /// The run's head after the import.
    head: String,
    /// Events of the session then.
    events: u64,
    /// blake3 of the session's events as mapped (before masking and numbering) and of the settings that shape
    /// what is stored (masking rules, blob threshold, workspace).
    fingerprint: String,
}

/// A session ready to be written: its new objects and the reference update that publishes them.
struct Prepared {
    /// What to remember of this session once its run is published.
    mark: ImportMark,
    redactions: crate::redact::Counts,
    objects: Vec<HashedObject>,
    update: Option<(ObjectId, Commit, Option<ObjectId>)>,
    outcome: ImportOutcome,
    events: u64,
}

impl Repository {
    /// Imports `sessions`. Fails as a whole only when the repository cannot be written; a session that cannot be
    /// read or parsed, or that conflicts with its run, is reported in its line of the report and the others go on.
    pub fn import(
        &self,
        sessions: &[ImportSession],
        options: &ImportOptions,
        progress: &(dyn Fn(ImportProgress) + Sync),
    ) -> Result<ImportReport, RepoError> {
        let cwd = std::env::current_dir().unwrap_or_default();
        let author = self.author(&cwd);
        let time = Timestamp::now().map_err(RepoError::BadTimestamp)?;
        let sizes: Vec<u64> = sessions
            .iter()
            .map(|session| {
                std::fs::metadata(&session.path)
                    .map(|meta| meta.len())
                    .unwrap_or(0)
            })
            .collect();
        let bytes_total: u64 = sizes.iter().sum();
        let stored_before = self.stored_bytes()?;
        // Per file: its sessions' reports, once known.
        let mut results: Vec<Option<Vec<SessionReport>>> = sessions.iter().map(|_| None).collect();
        let failed = |index: usize, error: RepoError| {
            Some(vec![SessionReport {
                path: sessions[index].path.clone(),
                run: sessions[index].run.clone(),
                bytes: sizes[index],
                result: Err(error),
            }])
        };
        let mut events_total = 0u64;
        // Each update with the file and the session in it that it publishes.
        let mut updates: Vec<((usize, usize), RefUpdate)> = Vec::new();
        let mut produced: HashSet<String> = HashSet::new();
        let mut redactions = crate::redact::Counts::new();
        let mut marks: Vec<((usize, usize), String, ImportMark)> = Vec::new();
        let contexts = ContextCache::default();
        let done_sessions = AtomicU64::new(0);
        let done_bytes = AtomicU64::new(0);

        // A run named twice: only its first session is imported. Nor can `a` and `a/b` both be runs (one would be
        // a file, the other a directory): the longer name is refused.
        let mut named = HashSet::new();
        for (index, session) in sessions.iter().enumerate() {
            if !named.insert(session.run.as_str()) {
                results[index] = failed(index, RepoError::DuplicateRun(session.run.clone()));
            }
        }
        for (index, session) in sessions.iter().enumerate() {
            let clash = session
                .run
                .match_indices('/')
                .map(|(at, _)| &session.run[..at])
                .find(|prefix| named.contains(prefix));
            if let Some(prefix) = clash
                && results[index].is_none()
            {
                results[index] = failed(
                    index,
                    RepoError::NameClash {
                        name: session.run.clone(),
                        existing: prefix.to_string(),
                    },
                );
            }
        }

        let guard = self.write_guard()?;
        let packs = self.odb.packs();
        // Batches are prepared on every core while the previous one is compressed and written: one pack for
        // the whole import, so the objects of one batch only wait for the next to be ready.
        let written = std::thread::scope(|scope| -> Result<(), RepoError> {
            let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<HashedObject>>(1);
            let writer = scope.spawn(move || -> Result<(), crate::store::StoreError> {
                let mut pack = packs.writer(PackOptions::bulk())?;
                for batch in receiver {
                    let batch: Vec<&HashedObject> = batch.iter().collect();
                    pack.add(&packs.missing(&batch)?)?;
                }
                packs.finish(pack)?;
                Ok(())
            });
            let mut start = 0;
            while start < sessions.len() {
                let mut end = start;
                let mut batch_bytes = 0;
                while end < sessions.len() && (end == start || batch_bytes < options.batch_bytes) {
                    batch_bytes += sizes[end];
                    end += 1;
                }
                let prepared: Vec<(usize, PreparedFile)> = (start..end)
                    .into_par_iter()
                    .filter(|&index| results[index].is_none())
                    .map(|index| {
                        let result = self.prepare_import(
                            &sessions[index],
                            options,
                            &author,
                            time,
                            &contexts,
                        );
                        let sessions_done = done_sessions.fetch_add(1, Ordering::Relaxed) + 1;
                        let bytes_done =
                            done_bytes.fetch_add(sizes[index], Ordering::Relaxed) + sizes[index];
                        progress(ImportProgress {
                            sessions_done,
                            sessions_total: sessions.len() as u64,
                            bytes_done,
                            bytes_total,
                        });
                        (index, result)
                    })
                    .collect();
                let mut objects = Vec::new();
                for (index, result) in prepared {
                    let units = match result {
                        Ok(units) => units,
                        Err(error) => {
                            results[index] = failed(index, error);
                            continue;
                        }
                    };
                    let mut reports = Vec::with_capacity(units.len());
                    for (run, unit) in units {
                        let report = |result| SessionReport {
                            path: sessions[index].path.clone(),
                            run: run.clone(),
                            bytes: sizes[index],
                            result,
                        };
                        let ready = match unit {
                            Ok(_) if !produced.insert(run.clone()) => {
                                reports.push(report(Err(RepoError::DuplicateRun(run.clone()))));
                                continue;
                            }
                            Ok(ready) => ready,
                            Err(error) => {
                                reports.push(report(Err(error)));
                                continue;
                            }
                        };
                        let mut ready = ready;
                        marks.push(((index, reports.len()), run.clone(), ready.mark.clone()));
                        events_total += ready.events;
                        for (detector, count) in &ready.redactions {
                            *redactions.entry(detector.clone()).or_default() += count;
                        }
                        objects.append(&mut ready.objects);
                        if let Some((id, commit, old)) = ready.update {
                            updates.push((
                                (index, reports.len()),
                                RefUpdate {
                                    name: RefName::run(&run)?,
                                    expected: old,
                                    new: Some(id),
                                    entry: ReflogEntry {
                                        old: old.map(|id| id.to_hex()),
                                        new: Some(id.to_hex()),
                                        author: author.clone(),
                                        time: time.to_rfc3339(),
                                        message: format!("import: {}", commit.message),
                                    },
                                },
                            ));
                        }
                        reports.push(report(Ok(ready.outcome)));
                    }
                    results[index] = Some(reports);
                }
                order_for_packing(&mut objects);
                if sender.send(objects).is_err() {
                    // The writer stopped on an error, which join() returns below.
                    break;
                }
                start = end;
            }
            drop(sender);
            writer.join().expect("the pack writer does not panic")?;
            Ok(())
        });
        written?;
        // Appends wait while the runs move (see Journal::gate); a run with staged events is left alone, since its
        // staged events were numbered from the head this import would replace.
        let gate = self.journal.gate(true)?;
        let mut published = Vec::with_capacity(updates.len());
        let mut publish = Vec::with_capacity(updates.len());
        for ((index, unit), update) in updates {
            let report = &mut results[index].as_mut().expect("a prepared file")[unit];
            if self.journal.has_staged(&report.run)? {
                report.result = Err(RepoError::StagedEvents(report.run.clone()));
            } else {
                published.push((index, unit));
                publish.push(update);
            }
        }
        let outcomes = self.refs.update_many(&publish);
        drop(gate);
        drop(guard);
        for ((index, unit), outcome) in published.into_iter().zip(outcomes) {
            if let Err(error) = outcome {
                results[index].as_mut().expect("a prepared file")[unit].result = Err(error.into());
            }
        }
        for ((index, unit), run, mark) in &marks {
            let published = results[*index]
                .as_ref()
                .is_some_and(|reports| reports[*unit].result.is_ok());
            if published {
                self.write_import_mark(run, mark);
            }
        }
        // Best effort, as after a commit: a failed merge leaves every pack in place.
        let _ = self.consolidate_packs();
        let stored_after = self.stored_bytes()?;
        Ok(ImportReport {
            sessions: results
                .into_iter()
                .flat_map(|reports| reports.expect("every file has a result"))
                .collect(),
            events: events_total,
            bytes_in: bytes_total,
            bytes_stored: stored_after.saturating_sub(stored_before),
            redactions,
        })
    }

    /// Reads and parses one file, and builds each of its sessions against its run's head.
    fn prepare_import(
        &self,
        session: &ImportSession,
        options: &ImportOptions,
        author: &str,
        time: Timestamp,
        contexts: &ContextCache,
    ) -> PreparedFile {
        RefName::run(&session.run)?;
        let bytes = std::fs::read(&session.path).map_err(|source| crate::fsutil::IoError {
            operation: "read",
            path: session.path.clone(),
            source,
        })?;
        let (format, layout) = match session.format {
            Some(format) => (format, None),
            None => formats::detect_read(&bytes)?,
        };
        if format == Format::Hive {
            let events = self.parse_event_lines_as_given(&bytes)?;
            let prepared = self.prepare_session(&session.run, events, options, author, time, None);
            return Ok(vec![(session.run.clone(), prepared)]);
        }
        let context = if format == Format::MiniSweAgent {
            contexts.for_file(&session.path)
        } else {
            formats::Context::default()
        };
        let mut units: Vec<(String, Result<Prepared, RepoError>)> = Vec::new();
        let layout = match layout {
            Some(layout) => layout,
            None => formats::Layout::read(&bytes)?,
        };
        let sources = formats::read_layout(format, layout, &context)?;
        let runs: Vec<String> = sources
            .iter()
            .map(|source| match (&source.branch, &source.key) {
                (Some(branch), _) => format!("{}+{}", session.run, branch.name),
                (None, Some(key)) => format!("{}/{key}", session.run),
                (None, None) => session.run.clone(),
            })
            .collect();
        // A branch is a fork of the run it grew from, at the last event they have in common.
        let forks: Vec<Option<ForkPoint>> = sources
            .iter()
            .map(|source| {
                let branch = source.branch.as_ref()?;
                let base = &sources.get(branch.from)?.events;
                let seq = base
                    .iter()
                    .zip(&source.events)
                    .take_while(|(a, b)| a == b)
                    .count() as u64;
                Some(ForkPoint {
                    run: runs[branch.from].clone(),
                    seq,
                })
            })
            .collect();
        for ((source, run), fork) in sources.into_iter().zip(runs).zip(forks) {
            // A branch is only a fork of its run when that run holds the events they share.
            if let Some(branch) = &source.branch {
                let (base, prepared) = &units[branch.from];
                if prepared.is_err() {
                    let error = RepoError::BranchBaseFailed {
                        run: run.clone(),
                        base: base.clone(),
                    };
                    units.push((run, Err(error)));
                    continue;
                }
            }
            let events = source
                .events
                .into_iter()
                .enumerate()
                .map(|(index, event)| {
                    Event::from_json(Value::Object(event))
                        .map(Event::into_map)
                        .map_err(|error| {
                            RepoError::Format(formats::FormatError::Mapping {
                                event: index,
                                message: format!(
                                    "a {format} record gave an invalid event: {error}"
                                ),
                            })
                        })
                })
                .collect::<Result<Vec<_>, _>>();
            let prepared = events
                .and_then(|events| self.prepare_session(&run, events, options, author, time, fork));
            units.push((run, prepared));
        }
        Ok(units)
    }

    /// Builds one session's events against its run's head; a new run records `fork` as where it was forked from.
    fn prepare_session(
        &self,
        run: &str,
        mut events: Vec<Map<String, Value>>,
        options: &ImportOptions,
        author: &str,
        time: Timestamp,
        fork: Option<ForkPoint>,
    ) -> Result<Prepared, RepoError> {
        let name = RefName::run(run)?;
        let mut redactions = crate::redact::Counts::new();
        let count = events.len() as u64;
        let head = self.refs.read(&name)?;
        // The run's event count, to fingerprint the session's first that many events on the way to all of them.
        let head_commit = match head {
            Some(head) => Some(history::read_commit(&self.odb, head)?),
            None => None,
        };
        let held = head_commit.as_ref().map_or(0, |commit| commit.run.events);
        let (prefix_print, whole) = {
            let mut hasher = blake3::Hasher::new();
            hasher.update(&self.capture_settings_key());
            let mut prefix = None;
            for (index, event) in events.iter().enumerate() {
                if index as u64 == held {
                    prefix = Some(hasher.finalize().to_hex().to_string());
                }
                let bytes = serde_json::to_vec(event).expect("JSON serializes");
                hasher.update(&(bytes.len() as u64).to_le_bytes());
                hasher.update(&bytes);
            }
            let whole = hasher.finalize().to_hex().to_string();
            (prefix.unwrap_or_else(|| whole.clone()), whole)
        };
        let mark = |head: ObjectId| ImportMark {
            head: head.to_hex(),
            events: count,
            fingerprint: whole.clone(),
        };
        let build = |events: Vec<Map<String, Value>>,
                     parent: Option<(ObjectId, &Commit)>,
                     fork: Option<ForkPoint>| {
            history::build_commit(
                &self.odb,
                CommitInput {
                    run,
                    parent,
                    events,
                    author: author.to_string(),
                    time,
                    message: options.message.clone(),
                    threshold: self.blob_threshold(),
                    workspace: self.workspace(),
                    code: None,
                    fork,
                },
            )
        };
        let (Some(head), Some(head_commit)) = (head, head_commit) else {
            if count == 0 {
                return Err(RepoError::BadEvent {
                    line: 1,
                    message: "the file holds no events".into(),
                });
            }
            self.check_run_name_free(run)?;
            self.redact_events(&mut events, &mut redactions);
            number_from(&mut events, 0);
            let built = build(events, None, fork)?;
            return Ok(Prepared {
                mark: mark(built.id),
                redactions,
                outcome: ImportOutcome::Created {
                    commit: built.id,
                    events: count,
                },
                update: Some((built.id, built.commit, None)),
                objects: built.objects,
                events: count,
            });
        };
        if count < held {
            return Err(RepoError::ImportDiverged {
                run: run.to_string(),
                held,
            });
        }
        // The run holds the session's first events when the last import left a mark saying so for this very head
        // and these very events; else they are built as they would be stored and compared with what the run holds.
        let marked = self.read_import_mark(run).is_some_and(|last| {
            last.head == head.to_hex() && last.events == held && last.fingerprint == prefix_print
        });
        let mut tail = events.split_off(held as usize);
        if !marked {
            // Masked as they were when stored; counted then, not now.
            self.redact_events(&mut events, &mut crate::redact::Counts::new());
            number_from(&mut events, 0);
            let held_ids: Vec<ObjectId> = history::run_segments(&self.odb, head)?
                .into_iter()
                .flat_map(|segment| segment.events)
                .collect();
            let ids: Vec<ObjectId> = build(events, None, None)?
                .objects
                .iter()
                .filter(|object| object.kind() == crate::id::ObjectKind::Event)
                .map(|object| object.id())
                .collect();
            if ids != held_ids {
                return Err(RepoError::ImportDiverged {
                    run: run.to_string(),
                    held,
                });
            }
        }
        self.redact_events(&mut tail, &mut redactions);
        number_from(&mut tail, held);
        if tail.is_empty() {
            return Ok(Prepared {
                mark: mark(head),
                redactions,
                objects: Vec::new(),
                update: None,
                outcome: ImportOutcome::Unchanged {
                    commit: head,
                    events: count,
                },
                events: count,
            });
        }
        let built = build(tail, Some((head, &head_commit)), None)?;
        Ok(Prepared {
            mark: mark(built.id),
            redactions,
            outcome: ImportOutcome::Appended {
                commit: built.id,
                first_seq: held,
                added: count - held,
            },
            update: Some((built.id, built.commit, Some(head))),
            objects: built.objects,
            events: count,
        })
    }

    /// Where the import mark of `run` is kept.
    pub(super) fn import_mark_path(&self, run: &str) -> PathBuf {
        self.dir()
            .join("cache")
            .join("import")
            .join(format!("{run}.json"))
    }

    fn read_import_mark(&self, run: &str) -> Option<ImportMark> {
        let bytes = std::fs::read(self.import_mark_path(run)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Best effort and not flushed: a mark that is missing, torn or stale only costs the next import the long
    /// check (a torn file does not parse; a stale one names another head).
    fn write_import_mark(&self, run: &str, mark: &ImportMark) {
        let path = self.import_mark_path(run);
        let Some(dir) = path.parent() else {
            return;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let temp = dir.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            path.file_name()
                .map(|name| name.to_string_lossy())
                .unwrap_or_default()
        ));
        let bytes = serde_json::to_vec(mark).expect("JSON serializes");
        if std::fs::write(&temp, bytes).is_ok() && std::fs::rename(&temp, &path).is_err() {
            let _ = std::fs::remove_file(&temp);
        }
    }
}
