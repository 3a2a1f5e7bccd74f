//! Search: a full-text index of every run's events, ranked by BM25.
//!
//! The index is SQLite with an FTS5 table (`.hive/index/search.sqlite`), derived from the objects and never the
//! only copy of anything. It records, per run, the head and the number of events it indexed; [`SearchIndex::sync`]
//! compares that with the references and indexes what is new (events appended to a run), re-indexes a run whose
//! history was replaced, and drops runs that are gone. A search syncs first, so its results always match the
//! references at that moment: a removed run's events are never returned, and nothing outside the scope asked for
//! (run filters, a workspace) is either. SQLite's locking makes concurrent syncs and searches safe; a sync is one
//! transaction per batch of runs.
//!
//! Ranking is a stage of its own ([`fuse`]): today one ranked list (BM25 over the text, tool, kind and file
//! columns); a second list (semantic search) can be fused with it by reciprocal rank.

mod query;
mod snippet;
mod text;

pub use query::{Field, Query, words};
pub use snippet::{Snippet, snippet};
pub use text::{EventText, event_text};

use crate::id::ObjectId;
use crate::repo::{RepoError, Repository, RunFilter};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Index format; a different one is rebuilt.
const FORMAT: &str = "4";

/// Payloads stored as blobs of at most this many bytes are searched (config `search.max_payload`).
pub const DEFAULT_MAX_PAYLOAD: u64 = 1 << 20;

/// Events indexed per transaction.
const BATCH_EVENTS: usize = 20_000;

/// A sync that indexes at least this many events optimizes the index after.
const OPTIMIZE_AFTER: u64 = 5_000;

/// Why a search or an index update failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query is not one.
    #[error("{0}")]
    Query(String),
    /// The index database failed.
    #[error("search index {path}: {source}")]
    Database {
        /// The index file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// Reading the repository failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// One event found.
#[derive(Clone, Debug)]
pub struct Hit {
    /// Its run.
    pub run: String,
    /// Its seq.
    pub seq: u64,
    /// The event object.
    pub id: ObjectId,
    /// Its kind.
    pub kind: String,
    /// Its tool, for a tool call or result.
    pub tool: Option<String>,
    /// Its time.
    pub ts: String,
    /// BM25 score (higher is better).
    pub score: f64,
    /// The best passage, with the query's words marked.
    pub snippet: Snippet,
}

/// What to search.
#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// Only runs this filter keeps.
    pub filter: RunFilter,
    /// Only these runs (none: all).
    pub runs: Vec<String>,
    /// At most this many hits.
    pub limit: usize,
}

/// What a sync did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct SyncReport {
    /// Runs whose new events were indexed.
    pub runs_updated: u64,
    /// Runs dropped (removed, or re-indexed from the start).
    pub runs_dropped: u64,
    /// Events indexed.
    pub events: u64,
    /// Bytes of text indexed.
    pub text_bytes: u64,
}

/// Progress of a sync: events indexed so far, of how many.
#[derive(Clone, Copy, Debug)]
pub struct SyncProgress {
    /// Indexed so far.
    pub done: u64,
    /// To index in all.
    pub total: u64,
}

/// A run's events read for indexing: seq, event id, searchable parts.
type Extracted = Vec<(u64, ObjectId, EventText)>;

/// A handle on a repository's search index.
pub struct SearchIndex {
    conn: Connection,
    path: PathBuf,
}

/// Fuses ranked lists by reciprocal rank (k = 60): the seam where a second ranking (semantic search) joins BM25.
/// Each list is best first; the result is every key once, best first.
pub fn fuse<K: Clone + Eq + std::hash::Hash>(lists: &[Vec<K>]) -> Vec<K> {
    if let [only] = lists {
        return only.clone();
    }
    let mut scores: HashMap<K, f64> = HashMap::new();
    let mut order: Vec<K> = Vec::new();
    for list in lists {
        for (rank, key) in list.iter().enumerate() {
            let score = scores.entry(key.clone()).or_insert_with(|| {
                order.push(key.clone());
                0.0
            });
            *score += 1.0 / (60.0 + rank as f64 + 1.0);
        }
    }
    order.sort_by(|a, b| scores[b].total_cmp(&scores[a]));
    order
}

impl SearchIndex {
    /// Where a repository's index lives.
    pub fn path_in(repo: &Repository) -> PathBuf {
        repo.dir().join("index").join("search.sqlite")
    }

    /// Opens (creating when needed) the index of `repo`.
    pub fn open(repo: &Repository) -> Result<SearchIndex, SearchError> {
        let path = Self::path_in(repo);
        std::fs::create_dir_all(path.parent().expect("the index has a folder")).map_err(
            |source| {
                RepoError::Io(crate::fsutil::IoError {
                    operation: "create",
                    path: path.clone(),
                    source,
                })
            },
        )?;
        let conn = Connection::open(&path).map_err(|source| SearchError::Database {
            path: path.clone(),
            source,
        })?;
        let index = SearchIndex { conn, path };
        index.setup()?;
        Ok(index)
    }

    fn db<T>(&self, result: Result<T, rusqlite::Error>) -> Result<T, SearchError> {
        result.map_err(|source| SearchError::Database {
            path: self.path.clone(),
            source,
        })
    }

    fn setup(&self) -> Result<(), SearchError> {
        self.db(self.conn.busy_timeout(Duration::from_secs(30)))?;
        self.db(self.conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);",
        ))?;
        let format: Option<String> = self.db(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'format'", [], |row| {
                row.get(0)
            })
            .optional())?;
        if format.as_deref() != Some(FORMAT) {
            self.db(self.conn.execute_batch(
                "BEGIN IMMEDIATE;
                 DROP TABLE IF EXISTS runs; DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS fts;
                 CREATE TABLE runs(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, head TEXT NOT NULL,
                                   events INTEGER NOT NULL, last_event TEXT);
                 CREATE TABLE docs(id INTEGER PRIMARY KEY, run INTEGER NOT NULL, seq INTEGER NOT NULL,
                                   event BLOB NOT NULL, kind TEXT NOT NULL, tool TEXT, call TEXT);
                 CREATE INDEX docs_run ON docs(run, seq);
                 CREATE VIRTUAL TABLE fts USING fts5(text, tool, kind, file, content='', contentless_delete=1);
                 INSERT INTO fts(fts, rank) VALUES ('rank', 'bm25(1.0, 2.0, 2.0, 2.0)');
                 INSERT OR REPLACE INTO meta(key, value) VALUES ('format', '4');
                 COMMIT;",
            ))?;
        }
        Ok(())
    }

    /// Deletes everything indexed; the next sync indexes every run again.
    pub fn clear(&mut self) -> Result<(), SearchError> {
        self.db(self.conn.execute_batch(
            "BEGIN IMMEDIATE; DELETE FROM fts; DELETE FROM docs; DELETE FROM runs; COMMIT;",
        ))
    }

    /// Brings the index up to date with the runs of `repo` (see the module documentation).
    pub fn sync(
        &mut self,
        repo: &Repository,
        progress: &dyn Fn(SyncProgress),
    ) -> Result<SyncReport, SearchError> {
        let heads = run_heads(repo)?;
        self.sync_with(repo, &heads, progress)
    }

    /// [`SearchIndex::sync`] against `heads`, every run's head.
    fn sync_with(
        &mut self,
        repo: &Repository,
        heads: &HashMap<String, ObjectId>,
        progress: &dyn Fn(SyncProgress),
    ) -> Result<SyncReport, SearchError> {
        let max_payload = repo.search_max_payload();
        let mut report = SyncReport::default();
        let indexed: HashMap<String, (i64, String, u64, Option<String>)> = {
            let mut statement = self.db(self
                .conn
                .prepare("SELECT id, name, head, events, last_event FROM runs"))?;
            let rows = self.db(statement.query_map([], |row| {
                Ok((
                    row.get::<_, String>(1)?,
                    (
                        row.get(0)?,
                        row.get(2)?,
                        row.get::<_, i64>(3)? as u64,
                        row.get(4)?,
                    ),
                ))
            }))?;
            self.db(rows.collect::<Result<_, _>>())?
        };
        // What each run needs: dropping, and indexing from some seq.
        let mut drop: Vec<i64> = Vec::new();
        let mut work: Vec<(String, ObjectId, u64, u64)> = Vec::new();
        let mut moved: Vec<(i64, ObjectId)> = Vec::new();
        // A run's event count, read from its head only when the run changed.
        let count_of = |head: ObjectId| -> Result<u64, SearchError> {
            Ok(crate::repo::read_commit(repo.odb(), head)?.run.events)
        };
        for (name, (id, head, events, last)) in &indexed {
            let Some(&now) = heads.get(name) else {
                drop.push(*id);
                continue;
            };
            if head == &now.to_hex() {
                continue;
            }
            let count = count_of(now)?;
            // The run moved: it goes on from what was indexed when the event indexed last is still there.
            let continues = *events <= count
                && match (events, last) {
                    (0, _) => true,
                    (held, Some(last)) => crate::repo::event_id_at(repo.odb(), now, held - 1)?
                        .is_some_and(|id| &id.to_hex() == last),
                    _ => false,
                };
            if continues {
                if *events == count {
                    moved.push((*id, now));
                } else {
                    work.push((name.clone(), now, *events, count));
                }
            } else {
                drop.push(*id);
                work.push((name.clone(), now, 0, count));
            }
        }
        for (name, head) in heads {
            if !indexed.contains_key(name) {
                work.push((name.clone(), *head, 0, count_of(*head)?));
            }
        }
        work.sort();
        let total: u64 = work.iter().map(|(_, _, from, to)| to - from).sum();
        if !drop.is_empty() || !moved.is_empty() {
            let path = self.path.clone();
            let fail = |source| SearchError::Database {
                path: path.clone(),
                source,
            };
            let transaction = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(fail)?;
            for id in &drop {
                delete_run(&transaction, *id).map_err(fail)?;
            }
            for (id, head) in &moved {
                transaction
                    .execute(
                        "UPDATE runs SET head = ?1 WHERE id = ?2",
                        params![head.to_hex(), id],
                    )
                    .map_err(fail)?;
            }
            transaction.commit().map_err(fail)?;
            report.runs_dropped = drop.len() as u64;
        }
        // A large update merges the index's segments once at the end rather than as it goes.
        let bulk = total >= OPTIMIZE_AFTER;
        if bulk {
            self.db(self
                .conn
                .execute_batch("INSERT INTO fts(fts, rank) VALUES ('automerge', 0);"))?;
        }
        let mut done = 0u64;
        let mut batch: Vec<(String, ObjectId, u64, u64)> = Vec::new();
        let mut batch_events = 0usize;
        for item in work {
            batch_events += (item.3 - item.2) as usize;
            batch.push(item);
            if batch_events >= BATCH_EVENTS {
                self.index_batch(repo, &batch, max_payload, &mut report)?;
                done += batch_events as u64;
                progress(SyncProgress { done, total });
                batch.clear();
                batch_events = 0;
            }
        }
        if !batch.is_empty() {
            self.index_batch(repo, &batch, max_payload, &mut report)?;
            done += batch_events as u64;
            progress(SyncProgress { done, total });
        }
        if bulk {
            self.db(self
                .conn
                .execute_batch("INSERT INTO fts(fts, rank) VALUES ('automerge', 4);"))?;
            self.optimize()?;
        }
        Ok(report)
    }

    /// Indexes seqs `from..to` of each run in `batch`, in one transaction.
    fn index_batch(
        &mut self,
        repo: &Repository,
        batch: &[(String, ObjectId, u64, u64)],
        max_payload: u64,
        report: &mut SyncReport,
    ) -> Result<(), SearchError> {
        use rayon::prelude::*;
        // Read and extract in parallel; insert in order.
        // Run after run (a run's events sit together in packs, so each frame is decompressed once), each run's
        // events on every core.
        let extracted: Vec<(usize, Extracted)> = batch
            .iter()
            .enumerate()
            .map(|(index, (_, head, from, to))| {
                let ids: Vec<ObjectId> = crate::repo::run_segments(repo.odb(), *head)?
                    .into_iter()
                    .flat_map(|segment| segment.events)
                    .collect();
                let texts = ids[*from as usize..*to as usize]
                    .par_iter()
                    .with_min_len(32)
                    .enumerate()
                    .map(|(offset, id)| {
                        let event = crate::repo::read_event(repo.odb(), *id)?;
                        let text =
                            event_text(repo.odb(), &event, max_payload).map_err(RepoError::from)?;
                        Ok((from + offset as u64, *id, text))
                    })
                    .collect::<Result<Vec<_>, RepoError>>()?;
                Ok((index, texts))
            })
            .collect::<Result<_, RepoError>>()?;
        let path = self.path.clone();
        let fail = |source| SearchError::Database {
            path: path.clone(),
            source,
        };
        let transaction = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(fail)?;
        {
            let mut insert_doc = transaction
                .prepare_cached(
                    "INSERT INTO docs(run, seq, event, kind, tool, call) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(fail)?;
            let mut insert_fts = transaction
                .prepare_cached(
                    "INSERT INTO fts(rowid, text, tool, kind, file) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(fail)?;
            for (index, texts) in extracted {
                let (name, head, from, to) = &batch[index];
                let run_id: i64 = match transaction
                    .query_row("SELECT id FROM runs WHERE name = ?1", [name], |row| {
                        row.get(0)
                    })
                    .optional()
                    .map_err(fail)?
                {
                    Some(id) => id,
                    None => {
                        transaction
                            .execute(
                                "INSERT INTO runs(name, head, events) VALUES (?1, '', 0)",
                                [name],
                            )
                            .map_err(fail)?;
                        transaction.last_insert_rowid()
                    }
                };
                // Another process may have indexed this run meanwhile: only what it lacks is added.
                let held: u64 = transaction
                    .query_row("SELECT events FROM runs WHERE id = ?1", [run_id], |row| {
                        row.get::<_, i64>(0)
                    })
                    .map_err(fail)? as u64;
                if held != *from {
                    continue;
                }
                // A result's tool is its call's: from this batch or from what was indexed before.
                let mut calls: HashMap<String, String> = HashMap::new();
                let mut last = None;
                for (seq, id, text) in &texts {
                    let tool = match (&text.tool, &text.call) {
                        (Some(tool), Some(call)) => {
                            calls.insert(call.clone(), tool.clone());
                            Some(tool.clone())
                        }
                        (Some(tool), None) => Some(tool.clone()),
                        (None, Some(call)) if text.kind == "tool_result" => match calls.get(call) {
                            Some(tool) => Some(tool.clone()),
                            None => transaction
                                .query_row(
                                    "SELECT tool FROM docs WHERE run = ?1 AND call = ?2 AND kind = 'tool_call'",
                                    params![run_id, call],
                                    |row| row.get::<_, Option<String>>(0),
                                )
                                .optional()
                                .map_err(fail)?
                                .flatten(),
                        },
                        _ => None,
                    };
                    // A call keeps its id, for the results of later commits to find their tool.
                    let call = (text.kind == "tool_call")
                        .then_some(text.call.as_deref())
                        .flatten();

                    insert_doc
                        .execute(params![
                            run_id,
                            *seq as i64,
                            id.as_bytes().as_slice(),
                            text.kind,
                            tool,
                            call
                        ])
                        .map_err(fail)?;
                    let doc = transaction.last_insert_rowid();
                    // A failed tool result is found by `kind:error` too.
                    let kind = if text.failed {
                        format!("{} error", text.kind)
                    } else {
                        text.kind.clone()
                    };
                    insert_fts
                        .execute(params![
                            doc,
                            text.text,
                            tool.as_deref().unwrap_or(""),
                            kind,
                            text.files
                        ])
                        .map_err(fail)?;
                    report.events += 1;
                    report.text_bytes += text.text.len() as u64;
                    last = Some(id.to_hex());
                }
                transaction
                    .execute(
                        "UPDATE runs SET head = ?1, events = ?2, last_event = COALESCE(?3, last_event) WHERE id = ?4",
                        params![head.to_hex(), *to as i64, last, run_id],
                    )
                    .map_err(fail)?;
                report.runs_updated += 1;
            }
        }
        transaction.commit().map_err(fail)?;
        Ok(())
    }

    /// Finds events matching `query` in the runs `options` allow, best first. Syncs the index first.
    pub fn search(
        &mut self,
        repo: &Repository,
        query: &Query,
        options: &SearchOptions,
    ) -> Result<Vec<Hit>, SearchError> {
        // One listing of the references: the index is brought up to it, and the scope is taken from it.
        let heads = run_heads(repo)?;
        self.sync_with(repo, &heads, &|_| {})?;
        let mut allowed: HashSet<String> = if options.filter.is_empty() {
            heads.into_keys().collect()
        } else {
            repo.runs_matching(&options.filter)?
                .into_iter()
                .map(|run| run.name)
                .collect()
        };
        if !options.runs.is_empty() {
            allowed.retain(|name| options.runs.contains(name));
        }
        if allowed.is_empty() {
            return Ok(Vec::new());
        }
        let run_ids: HashMap<i64, String> = {
            let mut statement = self.db(self.conn.prepare("SELECT id, name FROM runs"))?;
            let rows = self.db(statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))))?;
            let all: Vec<(i64, String)> = self.db(rows.collect())?;
            all.into_iter()
                .filter(|(_, name)| allowed.contains(name))
                .collect()
        };
        // Best first, as FTS5 ranks them (BM25 over text, tool, kind and file); the scope is applied as rows come.
        let found = self.ranked(query, &run_ids, options.limit)?;
        // One ranked list today; fused by (run, seq) so that another can join it.
        let mut by_key: HashMap<(i64, i64), _> = HashMap::new();
        let bm25: Vec<(i64, i64)> = found.iter().map(|row| (row.0, row.1)).collect();
        for row in found {
            by_key.insert((row.0, row.1), row);
        }
        let ranked: Vec<_> = fuse(&[bm25])
            .into_iter()
            .filter_map(|key| by_key.remove(&key))
            .collect();
        let highlight = query.highlight_words();
        let max_payload = repo.search_max_payload();
        // Each hit's event is read for its passage: on every core, as hits sit in different pack frames.
        use rayon::prelude::*;
        let path = self.path.clone();
        let hits = ranked
            .into_par_iter()
            .map(|(run, seq, event, kind, tool, rank)| {
                let bytes: [u8; 32] =
                    event
                        .as_slice()
                        .try_into()
                        .map_err(|_| SearchError::Database {
                            path: path.clone(),
                            source: rusqlite::Error::InvalidColumnType(
                                2,
                                "event".into(),
                                rusqlite::types::Type::Blob,
                            ),
                        })?;
                let id = ObjectId::from_bytes(bytes);
                let stored = crate::repo::read_event(repo.odb(), id)?;
                let text = event_text(repo.odb(), &stored, max_payload).map_err(RepoError::from)?;
                Ok(Hit {
                    run: run_ids[&run].clone(),
                    seq: seq as u64,
                    id,
                    kind,
                    tool,
                    ts: text.ts.clone(),
                    score: -rank,
                    snippet: snippet(&text.text, &highlight, 160),
                })
            })
            .collect::<Result<Vec<Hit>, SearchError>>()?;
        Ok(hits)
    }

    /// The best `limit` matches of `query` in the runs of `run_ids`: (run, seq, event id, kind, tool, rank).
    #[allow(clippy::type_complexity)]
    fn ranked(
        &self,
        query: &Query,
        run_ids: &HashMap<i64, String>,
        limit: usize,
    ) -> Result<Vec<(i64, i64, Vec<u8>, String, Option<String>, f64)>, SearchError> {
        let path = self.path.clone();
        let fail = |source| SearchError::Database {
            path: path.clone(),
            source,
        };
        let mut ranked = self
            .conn
            .prepare_cached("SELECT rowid, rank FROM fts WHERE fts MATCH ?1 ORDER BY rank")
            .map_err(fail)?;
        let mut doc = self
            .conn
            .prepare_cached("SELECT run, seq, event, kind, tool FROM docs WHERE id = ?1")
            .map_err(fail)?;
        let mut rows = ranked.query(params![query.to_fts()]).map_err(fail)?;
        let mut found = Vec::new();
        while found.len() < limit {
            let Some(row) = rows.next().map_err(fail)? else {
                break;
            };
            let rowid: i64 = row.get(0).map_err(fail)?;
            let rank: f64 = row.get(1).map_err(fail)?;
            let entry = doc
                .query_row([rowid], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, Vec<u8>>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, Option<String>>(4)?,
                    ))
                })
                .optional()
                .map_err(fail)?;
            if let Some((run, seq, event, kind, tool)) = entry
                && run_ids.contains_key(&run)
            {
                found.push((run, seq, event, kind, tool, rank));
            }
        }
        Ok(found)
    }

    /// Merges the index's segments (smaller and faster to query) and folds the write-ahead log into the file.
    pub fn optimize(&self) -> Result<(), SearchError> {
        self.db(self
            .conn
            .execute_batch("INSERT INTO fts(fts) VALUES ('optimize');"))?;
        // Merging leaves the old segments' pages free: give them back when they are a quarter of the file.
        let free: i64 = self.db(self
            .conn
            .query_row("PRAGMA freelist_count", [], |row| row.get(0)))?;
        let pages: i64 = self.db(self
            .conn
            .query_row("PRAGMA page_count", [], |row| row.get(0)))?;
        if free * 4 > pages {
            self.db(self.conn.execute_batch("VACUUM;"))?;
        }
        self.db(self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);"))
    }

    /// Events and text bytes indexed, and the index file's size.
    pub fn stats(&self) -> Result<(u64, u64), SearchError> {
        let events: i64 = self.db(self
            .conn
            .query_row("SELECT count(*) FROM docs", [], |row| row.get(0)))?;
        let bytes = std::fs::metadata(&self.path)
            .map(|meta| meta.len())
            .unwrap_or(0)
            + std::fs::metadata(self.path.with_extension("sqlite-wal"))
                .map(|meta| meta.len())
                .unwrap_or(0);
        Ok((events as u64, bytes))
    }

    /// The index file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Every run's head, from the references alone.
fn run_heads(repo: &Repository) -> Result<HashMap<String, ObjectId>, SearchError> {
    use crate::refs::RefStore;
    Ok(repo
        .refs()
        .list("runs/")
        .map_err(RepoError::from)?
        .into_iter()
        .filter_map(|(name, head)| Some((name.run_name()?.to_string(), head)))
        .collect())
}

fn delete_run(transaction: &rusqlite::Transaction, id: i64) -> Result<(), rusqlite::Error> {
    transaction.execute(
        "DELETE FROM fts WHERE rowid IN (SELECT id FROM docs WHERE run = ?1)",
        [id],
    )?;
    transaction.execute("DELETE FROM docs WHERE run = ?1", [id])?;
    transaction.execute("DELETE FROM runs WHERE id = ?1", [id])?;
    Ok(())
}

/// Updates the index of `repo` if it has one (after a commit, import or removal), so that the next search starts
/// warm. Best effort: a failure leaves the index to the next search's sync.
pub fn update_if_present(repo: &Repository) {
    if SearchIndex::path_in(repo).exists()
        && let Ok(mut index) = SearchIndex::open(repo)
    {
        let _ = index.sync(repo, &|_| {});
    }
}

impl Repository {
    /// The largest payload blob that search reads (`search.max_payload` in the config; 1 MiB by default).
    pub fn search_max_payload(&self) -> u64 {
        self.config()
            .search
            .max_payload
            .unwrap_or(DEFAULT_MAX_PAYLOAD)
    }
}
