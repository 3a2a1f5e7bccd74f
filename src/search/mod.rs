//! Search: a full-text index of every run's events, ranked by BM25.
//!
//! The index is a tantivy index in `.hive/index/search/`, derived from the objects and never the only copy of
//! anything. Each commit of the index names, in its payload, the file that says what it holds of each run (the
//! head, the number of events indexed, what filters look at). [`SearchIndex::sync`] compares that with the references and indexes what is new (events
//! appended to a run), re-indexes a run whose history was replaced, and drops runs that are gone, in one index
//! commit, so the index and its bookkeeping never disagree. A search syncs first, so its results always match the
//! references at that moment: a removed run's events are never returned, and nothing outside the scope asked for
//! (run filters, a workspace) is either. One process writes the index at a time (tantivy's writer lock; others
//! wait); searches read the last commit and never wait.
//!
//! Ranking is a stage of its own ([`fuse`]): today one ranked list (BM25 over the text, tool, kind and file
//! fields); a second list (semantic search) can be fused with it by reciprocal rank.

mod query;
mod snippet;
mod text;

pub use query::{Field, Query, words};
pub use snippet::{Snippet, snippet};
pub use text::{EventText, event_text};

use crate::id::ObjectId;
use crate::repo::{RepoError, Repository, RunFacts, RunFilter};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, TermQuery, TermSetQuery};
use tantivy::schema::{
    FAST, INDEXED, IndexRecordOption, STORED, STRING, Schema, TEXT, TantivyDocument, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term, doc};

/// Index format; an index of another format is made again.
const FORMAT: u32 = 12;

/// Payloads stored as blobs of at most this many bytes are searched (config `search.max_payload`).
pub const DEFAULT_MAX_PAYLOAD: u64 = 1 << 20;

/// Events read and added per step of a sync (the writer flushes its own segments as it goes).
const BATCH_EVENTS: usize = 20_000;

/// Memory for the index writer, over its threads.
const WRITER_MEMORY: usize = 128 << 20;

/// An update of fewer events than this (a commit's) uses one writer thread and this much memory.
const SMALL_UPDATE: u64 = 5_000;
const SMALL_WRITER_MEMORY: usize = 20 << 20;

/// How long a sync waits for another process that is writing the index.
const WRITER_WAIT: Duration = Duration::from_secs(60);

/// Why a search or an index update failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query is not one.
    #[error("{0}")]
    Query(String),
    /// The index failed.
    #[error("search index {path}: {message}")]
    Index {
        /// The index folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
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

/// What the index holds of each run. Kept in a file of its own, `.hive/index/search-runs/DIGEST`, named by the
/// payload of the index commit it goes with (see [`Payload`]).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
struct Bookkeeping {
    next_id: u64,
    runs: BTreeMap<String, IndexedRun>,
}

/// The payload of each index commit: the index's format and the blake3 digest of its bookkeeping file. Small, so that opening the index stays cheap however many runs it holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Payload {
    format: u32,
    runs: String,
}

/// The stamp kept beside the index (`.hive/index/search.stamp`): the index whose bookkeeping has this digest
/// matched the references when their folders had this stamp.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedStamp {
    bookkeeping: String,
    refs: crate::refs::RefsStamp,
}

/// What the index holds of one run.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct IndexedRun {
    /// The run's number in the index (documents name runs by it).
    id: u64,
    /// The head indexed.
    head: String,
    /// Events indexed (seqs 0 to events - 1).
    events: u64,
    /// The id of the last event indexed, to tell that a moved run goes on from it.
    last_event: Option<String>,
    /// What filters look at, from the head indexed, so that a filtered search reads no commit.
    facts: RunFacts,
}

/// The index's fields.
#[derive(Clone, Copy)]
struct Fields {
    text: tantivy::schema::Field,
    tool: tantivy::schema::Field,
    kind: tantivy::schema::Field,
    file: tantivy::schema::Field,
    run: tantivy::schema::Field,
    seq: tantivy::schema::Field,
    event: tantivy::schema::Field,
    call: tantivy::schema::Field,
    /// The start of the event's text, kept for passages without reading the event.
    head: tantivy::schema::Field,
    /// The event's time.
    ts: tantivy::schema::Field,
}

/// A match before its passage is made.
struct Found {
    run: String,
    seq: u64,
    id: ObjectId,
    kind: String,
    tool: Option<String>,
    score: f64,
    kept: String,
    ts: String,
}

/// Bytes of an event's text kept in the index for passages.
const KEPT_TEXT: usize = 2048;

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let fields = Fields {
        text: builder.add_text_field("text", TEXT),
        tool: builder.add_text_field("tool", TEXT | STORED),
        kind: builder.add_text_field("kind", TEXT | STORED),
        file: builder.add_text_field("file", TEXT),
        run: builder.add_u64_field("run", INDEXED | FAST | STORED),
        seq: builder.add_u64_field("seq", STORED),
        event: builder.add_bytes_field("event", STORED),
        call: builder.add_text_field("call", STRING),
        head: builder.add_text_field("head", STORED),
        ts: builder.add_text_field("ts", STORED),
    };
    (builder.build(), fields)
}

/// A handle on a repository's search index.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    path: PathBuf,
    /// Whether to wait for another process that writes the index (else give up at once).
    wait: bool,
}

/// An event as stored, with its seq and id.
type StoredEvent = (u64, ObjectId, serde_json::Map<String, serde_json::Value>);

/// One run's events read for indexing: seq, event id, searchable parts.
type Extracted = Vec<(u64, ObjectId, EventText)>;

impl SearchIndex {
    /// Where a repository's index lives.
    pub fn path_in(repo: &Repository) -> PathBuf {
        repo.dir().join("index").join("search")
    }

    fn fail(path: &Path, error: impl std::fmt::Display) -> SearchError {
        SearchError::Index {
            path: path.to_path_buf(),
            message: error.to_string(),
        }
    }

    /// Opens (creating when needed) the index of `repo`; an index of another format is made again.
    pub fn open(repo: &Repository) -> Result<SearchIndex, SearchError> {
        let path = Self::path_in(repo);
        let (schema, fields) = schema();
        let fail = |error: &dyn std::fmt::Display| Self::fail(&path, error);
        std::fs::create_dir_all(&path).map_err(|error| fail(&error))?;
        let index = match Index::open_in_dir(&path) {
            Ok(index) if index.schema() == schema && read_payload(&index, &path).is_ok() => index,
            _ => {
                // Absent, of another format, or unreadable: derived data, made again from nothing.
                let _ = std::fs::remove_dir_all(&path);
                std::fs::create_dir_all(&path).map_err(|error| fail(&error))?;
                // Kept text is compressed with zstd, in blocks larger than tantivy's default.
                let settings = tantivy::IndexSettings {
                    docstore_compression: tantivy::store::Compressor::Zstd(
                        tantivy::store::ZstdCompressor {
                            compression_level: Some(9),
                        },
                    ),
                    docstore_blocksize: 256 << 10,
                    ..tantivy::IndexSettings::default()
                };
                let index = Index::builder()
                    .schema(schema)
                    .settings(settings)
                    .create_in_dir(&path)
                    .map_err(|error| fail(&error))?;
                let mut writer: IndexWriter = index
                    .writer_with_num_threads(1, 15 << 20)
                    .map_err(|error| fail(&error))?;
                let _ = std::fs::remove_dir_all(runs_dir(&path));
                // Run numbers start from the clock, so that a search still holding the record of a former index
                // never takes another run's documents for its own.
                let seed = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |since| since.as_micros() as u64);
                commit_with(
                    &path,
                    &mut writer,
                    &Bookkeeping {
                        next_id: seed << 8,
                        ..Bookkeeping::default()
                    },
                )?;
                index
            }
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|error| fail(&error))?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
            path,
            wait: true,
        })
    }

    /// The index writer, waiting while another process holds it.
    /// The index writer for about `events` new events (a small update gets one thread and little memory), waiting
    /// while another process holds it.
    fn writer(&self, events: u64) -> Result<IndexWriter, SearchError> {
        let started = Instant::now();
        let (threads, memory) = if events < SMALL_UPDATE {
            (1, SMALL_WRITER_MEMORY)
        } else {
            let threads =
                std::thread::available_parallelism().map_or(1, |count| count.get().min(4));
            (threads, WRITER_MEMORY)
        };
        loop {
            match self.index.writer_with_num_threads(threads, memory) {
                Ok(writer) => return Ok(writer),
                Err(tantivy::TantivyError::LockFailure(..))
                    if self.wait && started.elapsed() < WRITER_WAIT =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(error) => return Err(Self::fail(&self.path, error)),
            }
        }
    }

    /// Deletes everything indexed; the next sync indexes every run again.
    pub fn clear(&mut self) -> Result<(), SearchError> {
        let mut writer = self.writer(0)?;
        let path = self.path.clone();
        let fail = |error: tantivy::TantivyError| Self::fail(&path, error);
        writer.delete_all_documents().map_err(fail)?;
        // Run numbers go on from where they were: never one a search may still hold for another run.
        let next_id = self.current().map_or(0, |(_, kept)| kept.next_id);
        commit_with(
            &path,
            &mut writer,
            &Bookkeeping {
                next_id,
                ..Bookkeeping::default()
            },
        )?;
        writer.wait_merging_threads().map_err(fail)?;
        self.reader.reload().map_err(fail)?;
        Ok(())
    }

    /// Brings the index up to date with the runs of `repo` (see the module documentation).
    pub fn sync(
        &mut self,
        repo: &Repository,
        progress: &dyn Fn(SyncProgress),
    ) -> Result<SyncReport, SearchError> {
        let heads = run_heads(repo)?;
        Ok(self.sync_with(repo, &heads, None, progress)?.0)
    }

    /// Brings the index up to date with `runs` alone (the runs a command just changed, made or removed), reading
    /// only their references.
    pub fn sync_runs(
        &mut self,
        repo: &Repository,
        runs: &[String],
    ) -> Result<SyncReport, SearchError> {
        use crate::refs::{RefName, RefStore};
        let mut heads = HashMap::new();
        for run in runs {
            if let Some(head) = repo
                .refs()
                .read(&RefName::run(run).map_err(RepoError::from)?)
                .map_err(RepoError::from)?
            {
                heads.insert(run.clone(), head);
            }
        }
        let only: HashSet<String> = runs.iter().cloned().collect();
        Ok(self.sync_with(repo, &heads, Some(&only), &|_| {})?.0)
    }

    /// What a sync would do given the bookkeeping `kept`: runs to drop, runs to index from a seq, runs whose head
    /// moved without new events. With `only`, runs not in it are left as they are.
    #[allow(clippy::type_complexity)]
    fn plan(
        repo: &Repository,
        kept: &Bookkeeping,
        heads: &HashMap<String, ObjectId>,
        only: Option<&HashSet<String>>,
    ) -> Result<
        (
            Vec<String>,
            Vec<(String, ObjectId, u64, u64)>,
            Vec<(String, ObjectId)>,
        ),
        SearchError,
    > {
        let count_of = |head: ObjectId| -> Result<u64, SearchError> {
            Ok(crate::repo::read_commit(repo.odb(), head)?.run.events)
        };
        let mut drop = Vec::new();
        let mut work = Vec::new();
        let mut moved = Vec::new();
        for (name, indexed) in &kept.runs {
            if only.is_some_and(|only| !only.contains(name)) {
                continue;
            }
            let Some(&now) = heads.get(name) else {
                drop.push(name.clone());
                continue;
            };
            if indexed.head == now.to_hex() {
                continue;
            }
            let count = count_of(now)?;
            let continues = indexed.events <= count
                && match (indexed.events, &indexed.last_event) {
                    (0, _) => true,
                    (held, Some(last)) => crate::repo::event_id_at(repo.odb(), now, held - 1)?
                        .is_some_and(|id| &id.to_hex() == last),
                    _ => false,
                };
            if !continues {
                drop.push(name.clone());
                work.push((name.clone(), now, 0, count));
            } else if indexed.events == count {
                moved.push((name.clone(), now));
            } else {
                work.push((name.clone(), now, indexed.events, count));
            }
        }
        for (name, head) in heads {
            if !kept.runs.contains_key(name) {
                work.push((name.clone(), *head, 0, count_of(*head)?));
            }
        }
        work.sort();
        Ok((drop, work, moved))
    }

    /// [`SearchIndex::sync`] against `heads`, every run's head; also returns the payload and bookkeeping of the
    /// index commit it left (or found, with nothing to do).
    fn sync_with(
        &mut self,
        repo: &Repository,
        heads: &HashMap<String, ObjectId>,
        only: Option<&HashSet<String>>,
        progress: &dyn Fn(SyncProgress),
    ) -> Result<(SyncReport, Payload, Bookkeeping), SearchError> {
        let mut report = SyncReport::default();
        // Nothing to do is found without the writer's lock; anything to do is planned again once it is held.
        let (seen, current) = self.current()?;
        let (drop, work, moved) = Self::plan(repo, &current, heads, only)?;
        if drop.is_empty() && work.is_empty() && moved.is_empty() {
            return Ok((report, seen, current));
        }
        let planned: u64 = work.iter().map(|(_, _, from, to)| to - from).sum();
        let mut writer = self.writer(planned)?;
        self.reader
            .reload()
            .map_err(|error| Self::fail(&self.path, error))?;
        // Read again only if another process committed while the lock was awaited.
        let (seen, mut kept) = if read_payload(&self.index, &self.path)? == seen {
            (seen, current)
        } else {
            self.current()?
        };
        let (drop, work, moved) = Self::plan(repo, &kept, heads, only)?;
        if drop.is_empty() && work.is_empty() && moved.is_empty() {
            return Ok((report, seen, kept));
        }
        let fields = self.fields;
        for name in &drop {
            if let Some(indexed) = kept.runs.remove(name) {
                writer.delete_term(Term::from_field_u64(fields.run, indexed.id));
            }
        }
        report.runs_dropped = drop.len() as u64;
        for (name, head) in &moved {
            if let Some(indexed) = kept.runs.get_mut(name) {
                indexed.head = head.to_hex();
                let author = indexed.facts.author.take();
                indexed.facts = RunFacts {
                    author,
                    ..RunFacts::of_head(&crate::repo::read_commit(repo.odb(), *head)?)
                };
            }
        }
        let max_payload = repo.search_max_payload();
        let total: u64 = work.iter().map(|(_, _, from, to)| to - from).sum();
        let mut done = 0u64;
        let mut batch: Vec<(String, ObjectId, u64, u64)> = Vec::new();
        let mut batch_events = 0usize;
        for item in work {
            batch_events += (item.3 - item.2) as usize;
            batch.push(item);
            if batch_events >= BATCH_EVENTS {
                self.index_batch(repo, &writer, &mut kept, &batch, max_payload, &mut report)?;
                done += batch_events as u64;
                progress(SyncProgress { done, total });
                batch.clear();
                batch_events = 0;
            }
        }
        if !batch.is_empty() {
            self.index_batch(repo, &writer, &mut kept, &batch, max_payload, &mut report)?;
            done += batch_events as u64;
            progress(SyncProgress { done, total });
        }
        let path = self.path.clone();
        let fail = |error: tantivy::TantivyError| Self::fail(&path, error);
        let payload = commit_with(&path, &mut writer, &kept)?;
        writer.wait_merging_threads().map_err(fail)?;
        self.reader.reload().map_err(fail)?;
        Ok((report, payload, kept))
    }

    /// Adds seqs `from..to` of each run in `batch`.
    fn index_batch(
        &self,
        repo: &Repository,
        writer: &IndexWriter,
        kept: &mut Bookkeeping,
        batch: &[(String, ObjectId, u64, u64)],
        max_payload: u64,
        report: &mut SyncReport,
    ) -> Result<(), SearchError> {
        use rayon::prelude::*;
        let fields = self.fields;
        let path = self.path.clone();
        let fail = |error: tantivy::TantivyError| Self::fail(&path, error);
        // Run after run (a run's events sit together in packs, so each frame is decompressed once), each run's
        // events on every core, as stored.
        let events: Vec<Vec<StoredEvent>> = batch
            .iter()
            .map(|(_, head, from, to)| {
                let ids: Vec<ObjectId> = crate::repo::run_segments(repo.odb(), *head)?
                    .into_iter()
                    .flat_map(|segment| segment.events)
                    .collect();
                ids[*from as usize..*to as usize]
                    .par_iter()
                    .with_min_len(32)
                    .enumerate()
                    .map(|(offset, id)| {
                        Ok((
                            from + offset as u64,
                            *id,
                            crate::repo::read_event(repo.odb(), *id)?,
                        ))
                    })
                    .collect::<Result<Vec<_>, RepoError>>()
            })
            .collect::<Result<_, RepoError>>()?;
        // Payloads sit in packs by likeness, not by run: for a large batch, each pack is read once in its own order
        // and the payloads wanted are kept, instead of a frame decompressed for every payload.
        let count: usize = events.iter().map(Vec::len).sum();
        let payloads = if count >= PREFETCH_EVENTS {
            let mut wanted: HashSet<ObjectId> = HashSet::new();
            for (_, _, event) in events.iter().flatten() {
                if event.contains_key(crate::event::REFS_FIELD) {
                    for reference in crate::payload::refs_of(event).map_err(RepoError::from)? {
                        if reference.size <= max_payload {
                            wanted.insert(reference.blob);
                        }
                    }
                }
            }
            prefetch(repo, &wanted)?
        } else {
            HashMap::new()
        };
        let store = Prefetched {
            inner: repo.odb(),
            objects: payloads,
        };
        let extracted: Vec<Extracted> = events
            .into_iter()
            .map(|run| {
                run.into_par_iter()
                    .with_min_len(32)
                    .map(|(seq, id, event)| {
                        let text =
                            event_text(&store, &event, max_payload).map_err(RepoError::from)?;
                        Ok((seq, id, text))
                    })
                    .collect::<Result<Vec<_>, RepoError>>()
            })
            .collect::<Result<_, RepoError>>()?;
        let searcher = self.reader.searcher();
        for ((name, head, from, to), texts) in batch.iter().zip(extracted) {
            let id = match kept.runs.get(name) {
                Some(indexed) if indexed.events == *from => indexed.id,
                Some(_) => continue,
                None => {
                    kept.next_id += 1;
                    kept.next_id
                }
            };
            // A result's tool is its call's: from this run's events here, or from what the index holds.
            let mut calls: HashMap<String, String> = HashMap::new();
            let mut last = None;
            for (seq, event_id, text) in &texts {
                let tool = match (&text.tool, &text.call) {
                    (Some(tool), Some(call)) => {
                        calls.insert(call.clone(), tool.clone());
                        Some(tool.clone())
                    }
                    (Some(tool), None) => Some(tool.clone()),
                    (None, Some(call)) if text.kind == "tool_result" => match calls.get(call) {
                        Some(tool) => Some(tool.clone()),
                        None if *from > 0 => call_tool(&searcher, fields, id, call)?,
                        None => None,
                    },
                    _ => None,
                };
                let kind = if text.failed {
                    format!("{} error", text.kind)
                } else {
                    text.kind.clone()
                };
                let mut document = doc!(
                    fields.text => text.text.as_str(),
                    fields.tool => tool.as_deref().unwrap_or(""),
                    fields.kind => kind,
                    fields.file => text.files.as_str(),
                    fields.run => id,
                    fields.seq => *seq,
                    fields.event => event_id.as_bytes().as_slice(),
                );
                if text.kind == "tool_call"
                    && let Some(call) = &text.call
                {
                    document.add_text(fields.call, call);
                }
                let mut end = text.text.len().min(KEPT_TEXT);
                while !text.text.is_char_boundary(end) {
                    end -= 1;
                }
                document.add_text(fields.head, &text.text[..end]);
                document.add_text(fields.ts, &text.ts);
                writer.add_document(document).map_err(fail)?;
                report.events += 1;
                report.text_bytes += text.text.len() as u64;
                last = Some(event_id.to_hex());
            }
            let previous = kept.runs.get(name);
            let last_event =
                last.or_else(|| previous.and_then(|indexed| indexed.last_event.clone()));
            // The first commit stays as the run grows.
            let author = match previous.and_then(|indexed| indexed.facts.author.clone()) {
                Some(author) if *from > 0 => author,
                _ => repo.first_author(*head)?,
            };
            let facts = RunFacts {
                author: Some(author),
                ..RunFacts::of_head(&crate::repo::read_commit(repo.odb(), *head)?)
            };
            kept.runs.insert(
                name.clone(),
                IndexedRun {
                    id,
                    head: head.to_hex(),
                    events: *to,
                    last_event,
                    facts,
                },
            );
            report.runs_updated += 1;
        }
        Ok(())
    }

    /// The tantivy query for `query`, limited to the runs `scope` (none: every run).
    fn tantivy_query(
        &self,
        query: &Query,
        scope: Option<&[u64]>,
    ) -> Box<dyn tantivy::query::Query> {
        let fields = self.fields;
        let translated = query.to_tantivy(&|field| match field {
            None => vec![
                (fields.text, 1.0),
                (fields.tool, 2.0),
                (fields.kind, 2.0),
                (fields.file, 2.0),
            ],
            Some(Field::Tool) => vec![(fields.tool, 1.0)],
            Some(Field::Kind) => vec![(fields.kind, 1.0)],
            Some(Field::File) => vec![(fields.file, 1.0)],
        });
        match scope {
            None => translated,
            Some(runs) => {
                let terms = runs.iter().map(|id| Term::from_field_u64(fields.run, *id));
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, translated),
                    (Occur::Must, Box::new(TermSetQuery::new(terms))),
                ]))
            }
        }
    }

    /// The bookkeeping of the index once it matches every run's reference. When the references have not changed
    /// since the index was last found to match them (the stamp kept beside the index: the folders' stamp and the
    /// bookkeeping's digest), no reference is read; otherwise every reference is read and the index synced.
    fn matching(
        &mut self,
        repo: &Repository,
        progress: &dyn Fn(SyncProgress),
    ) -> Result<Bookkeeping, SearchError> {
        let stamp_path = self.path.with_extension("stamp");
        let saved: Option<SavedStamp> = std::fs::read(&stamp_path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        if let Some(saved) = saved {
            let (payload, kept) = self.current()?;
            if payload.runs == saved.bookkeeping
                && repo.refs().stamp("runs").map_err(RepoError::from)? == Some(saved.refs)
            {
                return Ok(kept);
            }
        }
        // Taken before the references are read: a change made while they are read shows in the next stamp.
        let before = repo.refs().stamp("runs").map_err(RepoError::from)?;
        let heads = run_heads(repo)?;
        let (_, payload, kept) = self.sync_with(repo, &heads, None, progress)?;
        // Stamped only if the index holds exactly the heads read (a commit of another process it waited for may
        // have left it elsewhere).
        let holds_heads = kept.runs.len() == heads.len()
            && kept.runs.iter().all(|(name, indexed)| {
                heads
                    .get(name)
                    .is_some_and(|head| head.to_hex() == indexed.head)
            });
        if let Some(refs) = before
            && holds_heads
        {
            let saved = SavedStamp {
                bookkeeping: payload.runs,
                refs,
            };
            // Derived and checked when read: its folder is not flushed, and a failure to write it only costs the
            // next search a reading of the references.
            let _ = crate::fsutil::write_atomic(
                &stamp_path,
                &serde_json::to_vec(&saved).expect("the stamp serializes"),
                false,
            );
        }
        Ok(kept)
    }

    /// The payload of the index's last commit and the bookkeeping it names, checked against its digest.
    fn current(&self) -> Result<(Payload, Bookkeeping), SearchError> {
        let mut attempts = 0;
        loop {
            let payload = read_payload(&self.index, &self.path)?;
            let file = runs_dir(&self.path).join(&payload.runs);
            match std::fs::read(&file) {
                Ok(bytes) => {
                    if blake3::hash(&bytes).to_hex().as_str() != payload.runs {
                        return Err(Self::fail(
                            &self.path,
                            format!("{} does not match its digest", file.display()),
                        ));
                    }
                    let kept = serde_json::from_slice(&bytes).map_err(|error| {
                        Self::fail(&self.path, format!("{}: {error}", file.display()))
                    })?;
                    return Ok((payload, kept));
                }
                // Another process committed twice since the payload was read and removed the file: read again.
                Err(error) if error.kind() == std::io::ErrorKind::NotFound && attempts < 8 => {
                    attempts += 1;
                }
                Err(error) => {
                    return Err(Self::fail(
                        &self.path,
                        format!("{}: {error}", file.display()),
                    ));
                }
            }
        }
    }

    /// Finds events matching `query` in the runs `options` allow, best first. Syncs the index first, telling
    /// `progress` how far it got.
    pub fn search(
        &mut self,
        repo: &Repository,
        query: &Query,
        options: &SearchOptions,
        progress: &dyn Fn(SyncProgress),
    ) -> Result<Vec<Hit>, SearchError> {
        // The index as it matches the references: the runs searched and their facts come from it.
        let kept = self.matching(repo, progress)?;
        let everything = options.filter.is_empty() && options.runs.is_empty();
        let names: HashMap<u64, String> = kept
            .runs
            .iter()
            .filter(|(name, indexed)| {
                (options.runs.is_empty() || options.runs.contains(*name))
                    && options.filter.matches(&indexed.facts)
            })
            .map(|(name, indexed)| (indexed.id, name.clone()))
            .collect();
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let scope: Vec<u64> = names.keys().copied().collect();
        let tantivy_query = self.tantivy_query(query, (!everything).then_some(scope.as_slice()));
        // What other processes committed to the index since it was opened is seen too.
        self.reader
            .reload()
            .map_err(|error| Self::fail(&self.path, error))?;
        let searcher = self.reader.searcher();
        let path = self.path.clone();
        let fail = |error: tantivy::TantivyError| Self::fail(&path, error);
        let top = searcher
            .search(&tantivy_query, &TopDocs::with_limit(options.limit.max(1)))
            .map_err(fail)?;
        let mut found = Vec::with_capacity(top.len());
        for (score, address) in top {
            let document: TantivyDocument = searcher.doc(address).map_err(fail)?;
            let fields = self.fields;
            let run = document
                .get_first(fields.run)
                .and_then(|value| value.as_u64());
            let Some(run) = run.and_then(|run| names.get(&run)) else {
                continue;
            };
            let seq = document
                .get_first(fields.seq)
                .and_then(|value| value.as_u64())
                .unwrap_or(0);
            let Some(event) = document
                .get_first(fields.event)
                .and_then(|value| value.as_bytes())
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            else {
                continue;
            };
            let kind = document
                .get_first(fields.kind)
                .and_then(|value| value.as_str())
                .unwrap_or("")
                .split(' ')
                .next()
                .unwrap_or("")
                .to_string();
            let tool = document
                .get_first(fields.tool)
                .and_then(|value| value.as_str())
                .filter(|tool| !tool.is_empty())
                .map(str::to_string);
            let stored_text = |field| {
                document
                    .get_first(field)
                    .and_then(|value| value.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            found.push(Found {
                run: run.clone(),
                seq,
                id: ObjectId::from_bytes(event),
                kind,
                tool,
                score: f64::from(score),
                kept: stored_text(fields.head),
                ts: stored_text(fields.ts),
            });
        }
        // One ranked list today; fused by (run, seq) so that another can join it.
        let bm25: Vec<(String, u64)> = found.iter().map(|hit| (hit.run.clone(), hit.seq)).collect();
        let mut by_key: HashMap<(String, u64), Found> = found
            .into_iter()
            .map(|hit| ((hit.run.clone(), hit.seq), hit))
            .collect();
        // Equal scores in a stable order: by run, then seq.
        let mut bm25 = bm25;
        let scores: HashMap<(String, u64), f64> = by_key
            .iter()
            .map(|(key, hit)| (key.clone(), hit.score))
            .collect();
        bm25.sort_by(|a, b| scores[b].total_cmp(&scores[a]).then_with(|| a.cmp(b)));
        let ranked: Vec<Found> = fuse(&[bm25])
            .into_iter()
            .filter_map(|key| by_key.remove(&key))
            .collect();
        let highlight = query.highlight_words();
        let max_payload = repo.search_max_payload();
        // The passage comes from the text the index keeps when the words are in it or it is the whole text (a cut
        // one is at most 3 bytes short of KEPT_TEXT, at a character boundary); else the event is read (on
        // every core, each frame decompressed only as far as the event, as events sit in different frames).
        use rayon::prelude::*;
        ranked
            .into_par_iter()
            .map(|hit| {
                let kept = snippet(&hit.kept, &highlight, 160);
                let passage = if !kept.highlights.is_empty() || hit.kept.len() + 4 <= KEPT_TEXT {
                    kept
                } else {
                    let sparse = repo.odb().sparse();
                    let stored = crate::repo::read_event(&sparse, hit.id)?;
                    let text =
                        event_text(&sparse, &stored, max_payload).map_err(RepoError::from)?;
                    snippet(&text.text, &highlight, 160)
                };
                Ok(Hit {
                    run: hit.run,
                    seq: hit.seq,
                    id: hit.id,
                    kind: hit.kind,
                    tool: hit.tool,
                    ts: hit.ts,
                    score: hit.score,
                    snippet: passage,
                })
            })
            .collect()
    }

    /// Events indexed, and the index's size in bytes.
    pub fn stats(&mut self) -> Result<(u64, u64), SearchError> {
        self.reader
            .reload()
            .map_err(|error| Self::fail(&self.path, error))?;
        let events = self.reader.searcher().num_docs();
        Ok((events, folder_size(&self.path)))
    }
}

/// A batch of at least this many events reads its payloads pack by pack.
const PREFETCH_EVENTS: usize = 2_000;

/// The objects `wanted`, read pack by pack in each pack's order (each frame needed decompressed once), then the
/// rest (loose objects) one by one.
fn prefetch(
    repo: &Repository,
    wanted: &HashSet<ObjectId>,
) -> Result<HashMap<ObjectId, crate::object::RawObject>, SearchError> {
    use crate::store::ObjectStore;
    let mut found: HashMap<ObjectId, crate::object::RawObject> =
        HashMap::with_capacity(wanted.len());
    let packs = repo.odb().packs();
    packs.refresh().map_err(RepoError::from)?;
    for pack in packs.packs() {
        if found.len() == wanted.len() {
            break;
        }
        let missing: Vec<ObjectId> = wanted
            .iter()
            .filter(|id| !found.contains_key(*id))
            .copied()
            .collect();
        pack.read_many(&missing, |id, object| {
            found.insert(id, object);
        })
        .map_err(RepoError::from)?;
    }
    for id in wanted {
        if !found.contains_key(id)
            && let Some(object) = repo.odb().read(id).map_err(RepoError::from)?
        {
            found.insert(*id, object);
        }
    }
    Ok(found)
}

/// A store that answers from objects read ahead, and from `inner` for the rest.
struct Prefetched<'a> {
    inner: &'a dyn crate::store::ObjectStore,
    objects: HashMap<ObjectId, crate::object::RawObject>,
}

impl crate::store::ObjectStore for Prefetched<'_> {
    fn read(
        &self,
        id: &ObjectId,
    ) -> Result<Option<crate::object::RawObject>, crate::store::StoreError> {
        match self.objects.get(id) {
            Some(object) => Ok(Some(object.clone())),
            None => self.inner.read(id),
        }
    }

    fn contains(&self, id: &ObjectId) -> Result<bool, crate::store::StoreError> {
        Ok(self.objects.contains_key(id) || self.inner.contains(id)?)
    }

    fn write(&self, object: &crate::object::HashedObject) -> Result<(), crate::store::StoreError> {
        self.inner.write(object)
    }

    fn ids(&self) -> Result<Vec<ObjectId>, crate::store::StoreError> {
        self.inner.ids()
    }
}

fn folder_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| match entry.metadata() {
                    Ok(meta) if meta.is_dir() => folder_size(&entry.path()),
                    Ok(meta) => meta.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// The tool of call `call` in run `run`, from what the index holds.
fn call_tool(
    searcher: &tantivy::Searcher,
    fields: Fields,
    run: u64,
    call: &str,
) -> Result<Option<String>, SearchError> {
    let query = BooleanQuery::new(vec![
        (
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_u64(fields.run, run),
                IndexRecordOption::Basic,
            )),
        ),
        (
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_text(fields.call, call),
                IndexRecordOption::Basic,
            )),
        ),
    ]);
    let fail = |error: tantivy::TantivyError| SearchError::Index {
        path: PathBuf::new(),
        message: error.to_string(),
    };
    let top = searcher
        .search(&query, &TopDocs::with_limit(1))
        .map_err(fail)?;
    let Some((_, address)) = top.first() else {
        return Ok(None);
    };
    let document: TantivyDocument = searcher.doc(*address).map_err(fail)?;
    Ok(document
        .get_first(fields.tool)
        .and_then(|value| value.as_str())
        .filter(|tool| !tool.is_empty())
        .map(str::to_string))
}

/// The folder of bookkeeping files beside the index at `path`.
fn runs_dir(path: &Path) -> PathBuf {
    path.with_file_name("search-runs")
}

/// Commits what `writer` holds with `kept` as its bookkeeping: the file first (flushed, so that a committed index
/// never names a file that is not there), then the index commit that names it, then the files no reader needs
/// any more (all but this one and the one before, which a search that started just now may still be reading).
fn commit_with(
    path: &Path,
    writer: &mut IndexWriter,
    kept: &Bookkeeping,
) -> Result<Payload, SearchError> {
    let fail = |error: &dyn std::fmt::Display| SearchIndex::fail(path, error);
    let dir = runs_dir(path);
    let previous = read_payload(writer.index(), path)
        .ok()
        .map(|payload| payload.runs);
    // Written even when it holds no run, for the run numbers it has given out.
    let text = serde_json::to_vec(kept).expect("the bookkeeping serializes");
    let runs = blake3::hash(&text).to_hex().to_string();
    crate::fsutil::create_dir_all(&dir).map_err(|error| fail(&error))?;
    crate::fsutil::write_atomic(&dir.join(&runs), &text, true).map_err(|error| fail(&error))?;
    let payload = Payload {
        format: FORMAT,
        runs,
    };
    let mut prepared = writer.prepare_commit().map_err(|error| fail(&error))?;
    prepared.set_payload(&serde_json::to_string(&payload).expect("the payload serializes"));
    prepared.commit().map_err(|error| fail(&error))?;
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name != payload.runs.as_str() && Some(name.as_ref()) != previous.as_deref() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    Ok(payload)
}

/// The payload of the index's last commit; an error when it is not one this hive writes (an index of another
/// format, written by another hive since this one was opened, is never taken for an empty one).
fn read_payload(index: &Index, path: &Path) -> Result<Payload, SearchError> {
    let fail = |message: String| SearchIndex::fail(path, message);
    let metas = index
        .load_metas()
        .map_err(|error| fail(error.to_string()))?;
    let payload: Payload = metas
        .payload
        .as_deref()
        .and_then(|payload| serde_json::from_str(payload).ok())
        .ok_or_else(|| fail("the index's last commit does not say what it holds".into()))?;
    if payload.format != FORMAT {
        return Err(fail(format!(
            "the index is of format {}, this hive reads {FORMAT}",
            payload.format
        )));
    }
    Ok(payload)
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

/// Updates the index of `repo`, if it has one, for `runs` (those a commit, import, fork or removal changed), so that
/// the next search starts warm. Best effort: a failure leaves the index to the next search's sync.
pub fn update_if_present(repo: &Repository, runs: &[String]) {
    if SearchIndex::path_in(repo).exists()
        && let Ok(mut index) = SearchIndex::open(repo)
    {
        // Never held up by another process writing the index: the next search catches up instead.
        index.wait = false;
        let _ = index.sync_runs(repo, runs);
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
