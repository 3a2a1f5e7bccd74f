//! Building commits from events and reading a run's events back, over any [`ObjectStore`].
//!
//! These functions hold the run logic and are tested against the in-memory store; [`super::Repository`] adds
//! the journal, the references and the files around them.

use super::RepoError;
use crate::canonical;
use crate::event::{Event, EventBody};
use crate::id::{ObjectId, ObjectKind};
use crate::object::{CodeContext, Commit, EventList, ForkPoint, HashedObject, RawObject, RunMeta};
use crate::payload;
use crate::store::ObjectStore;
use crate::time::Timestamp;
use serde_json::{Map, Value};

/// Everything a new commit of a run is made from.
#[derive(Debug)]
pub struct CommitInput<'a> {
    /// The run's name.
    pub run: &'a str,
    /// The run's current head, if it has one.
    pub parent: Option<(ObjectId, &'a Commit)>,
    /// Events to seal, with consecutive seqs continuing the parent's. They are checked and stored in their normal
    /// form ([`Event::into_map`]: defaults filled in), which is the form `append` stages.
    pub events: Vec<Map<String, Value>>,
    /// `Name <email>`.
    pub author: String,
    /// Commit time.
    pub time: Timestamp,
    /// Commit message; empty for the default.
    pub message: String,
    /// Field size above which payloads become blobs.
    pub threshold: usize,
    /// Workspace to record when the run has none yet.
    pub workspace: Option<String>,
    /// Code repository to record when no event names one.
    pub code: Option<CodeContext>,
    /// For the first commit of a run forked from another: where from.
    pub fork: Option<ForkPoint>,
}

/// A built commit: the objects to write (the commit last) and the decoded commit.
#[derive(Debug)]
pub struct BuiltCommit {
    /// New objects, in writing order; the last one is the commit.
    pub objects: Vec<HashedObject>,
    /// The commit's id.
    pub id: ObjectId,
    /// The commit.
    pub commit: Commit,
}

impl BuiltCommit {
    /// Encodes `commit` and adds it last to `objects`, the new objects it refers to.
    fn seal(mut objects: Vec<HashedObject>, commit: Commit) -> BuiltCommit {
        let object = commit.encode().hashed();
        let id = object.id();
        objects.push(object);
        BuiltCommit {
            objects,
            id,
            commit,
        }
    }
}

fn missing(id: ObjectId) -> RepoError {
    RepoError::MissingObject(id)
}

/// Reads and decodes a commit.
pub fn read_commit(store: &dyn ObjectStore, id: ObjectId) -> Result<Commit, RepoError> {
    let raw = store.read(&id)?.ok_or_else(|| missing(id))?;
    Commit::decode(&raw).map_err(|source| RepoError::Decode { id, source })
}

/// Commits with at least this many events encode them on several threads.
const PARALLEL_EVENTS: usize = 64;

/// Builds the objects of a commit that appends `input.events` to the run.
pub fn build_commit(
    store: &dyn ObjectStore,
    input: CommitInput<'_>,
) -> Result<BuiltCommit, RepoError> {
    let expected = input
        .parent
        .map(|(_, commit)| commit.run.events)
        .unwrap_or(0);
    let first_seq = input
        .events
        .first()
        .and_then(|event| event["seq"].as_u64())
        .unwrap_or(expected);
    if first_seq != expected {
        return Err(RepoError::StagedGap {
            run: input.run.to_string(),
            expected,
            found: first_seq,
        });
    }
    let mut meta = input
        .parent
        .map(|(_, commit)| commit.run.clone())
        .unwrap_or_else(|| RunMeta {
            name: input.run.to_string(),
            ..RunMeta::default()
        });
    meta.name = input.run.to_string();
    if meta.workspace.is_none() {
        meta.workspace = input.workspace.clone();
    }
    let mut objects = Vec::with_capacity(input.events.len() + 4);
    let mut event_ids = Vec::with_capacity(input.events.len());
    let mut run = RunState::new(meta, input.parent.and_then(|(_, commit)| commit.tree));
    let mut maps = Vec::with_capacity(input.events.len());
    for (offset, map) in input.events.into_iter().enumerate() {
        let seq = first_seq + offset as u64;
        if map.get("seq").and_then(Value::as_u64) != Some(seq) {
            return Err(RepoError::StagedGap {
                run: input.run.to_string(),
                expected: seq,
                found: map.get("seq").and_then(Value::as_u64).unwrap_or(u64::MAX),
            });
        }
        let event = Event::from_map(map).map_err(|error| RepoError::BadEvent {
            line: offset + 1,
            message: error.to_string(),
        })?;
        run.apply(store, &event, &mut objects)?;
        maps.push(event.into_map());
    }
    // Externalizing, encoding and hashing each event is independent of the others: spread over the cores, in
    // chunks large enough to be worth a thread.
    let threshold = input.threshold;
    let encode = |mut map: Map<String, Value>| {
        let mut payloads = Vec::new();
        payload::externalize(&mut map, threshold, &mut payloads);
        let object =
            RawObject::new(ObjectKind::Event, canonical::to_vec(&Value::Object(map))).hashed();
        (payloads, object)
    };
    let encoded: Vec<(Vec<HashedObject>, HashedObject)> = if maps.len() >= PARALLEL_EVENTS {
        use rayon::prelude::*;
        maps.into_par_iter()
            .with_min_len(PARALLEL_EVENTS / 2)
            .map(encode)
            .collect()
    } else {
        maps.into_iter().map(encode).collect()
    };
    for (payloads, object) in encoded {
        objects.extend(payloads);
        event_ids.push(object.id());
        objects.push(object);
    }
    let (mut meta, tree) = run.finish(first_seq + event_ids.len() as u64, &mut objects);
    if let Some(fork) = input.fork {
        meta.forked_from = Some(fork);
    }
    if meta.code.is_none() {
        meta.code = input.code;
    }
    let events = if event_ids.is_empty() {
        None
    } else {
        let list = EventList {
            first_seq,
            events: event_ids,
        }
        .encode()
        .hashed();
        let id = list.id();
        objects.push(list);
        Some(id)
    };
    let message = match (input.message.is_empty(), meta.events - first_seq) {
        (false, _) => input.message,
        (true, 0) => "no events".to_string(),
        (true, 1) => format!("1 event (seq {first_seq})"),
        (true, added) => format!("{added} events (seq {first_seq}..{})", meta.events - 1),
    };
    let commit = Commit {
        parents: input.parent.map(|(id, _)| vec![id]).unwrap_or_default(),
        events,
        tree,
        author: input.author,
        time: input.time.to_rfc3339(),
        message,
        run: meta,
        extra: Map::new(),
    };
    Ok(BuiltCommit::seal(objects, commit))
}

/// A commit that adds no event: a tag, rating or status set by hand, a workspace's memory write, a merge.
#[derive(Debug)]
pub struct StateCommit {
    /// The branch's head first; a merge's source second.
    pub parents: Vec<ObjectId>,
    /// The run's (or workspace's) metadata after it.
    pub meta: RunMeta,
    /// The state after it.
    pub tree: Option<ObjectId>,
    /// The new objects it refers to (the tree and its entries).
    pub objects: Vec<HashedObject>,
    /// `Name <email>`.
    pub author: String,
    /// Commit time.
    pub time: Timestamp,
    /// Commit message.
    pub message: String,
    /// Further fields of the commit (a partial merge's keys).
    pub extra: Map<String, Value>,
}

impl StateCommit {
    /// Encodes the commit; its objects come first.
    pub fn build(self) -> BuiltCommit {
        let commit = Commit {
            parents: self.parents,
            events: None,
            tree: self.tree,
            author: self.author,
            time: self.time.to_rfc3339(),
            message: self.message,
            run: self.meta,
            extra: self.extra,
        };
        BuiltCommit::seal(self.objects, commit)
    }
}

/// Everything a fork is made from.
#[derive(Debug)]
pub struct ForkInput<'a> {
    /// The run forked.
    pub source: &'a str,
    /// Its head.
    pub head: ObjectId,
    /// How many of its first events the fork takes.
    pub seq: u64,
    /// The new run's name.
    pub run: &'a str,
    /// `Name <email>`.
    pub author: String,
    /// Commit time.
    pub time: Timestamp,
    /// Commit message; empty for the default.
    pub message: String,
}

/// Builds the first commit of a run whose history is the first `seq` events of another, copying no event.
///
/// Forked where one of the source's commits ends, the new commit's parent is that commit. Forked inside the events
/// a commit added, its parent is the commit before and it lists the first of those events (the same event
/// objects, in a new event list), so that nothing past the fork point is reachable from the new run. Its metadata
/// and state are those of the source after its event `seq - 1`; tags and rating are not carried over.
pub fn build_fork(store: &dyn ObjectStore, input: ForkInput<'_>) -> Result<BuiltCommit, RepoError> {
    let head_commit = read_commit(store, input.head)?;
    if input.seq > head_commit.run.events {
        return Err(RepoError::NoSuchEvent {
            run: input.source.to_string(),
            seq: input.seq,
            count: head_commit.run.events,
        });
    }
    let fork = ForkPoint {
        run: input.source.to_string(),
        seq: input.seq,
    };
    // What a run keeps from its first commit whatever its events say: the workspace and the code it ran in.
    let first_meta = |commit: &Commit| RunMeta {
        name: input.run.to_string(),
        workspace: commit.run.workspace.clone(),
        code: commit.run.code.clone(),
        ..RunMeta::default()
    };
    // From the head back: the newest commit that ends exactly at the fork point, or the one whose events span it.
    let (mut id, mut commit) = (input.head, head_commit);
    let mut objects = Vec::new();
    let (parents, events, meta, tree) = loop {
        if commit.run.events == input.seq {
            break (vec![id], None, commit.run, commit.tree);
        }
        let parent = match commit.first_parent() {
            Some(parent) => Some((parent, read_commit(store, parent)?)),
            None => None,
        };
        let before = parent.as_ref().map_or(0, |(_, parent)| parent.run.events);
        if before >= input.seq {
            match parent {
                Some(parent) => {
                    (id, commit) = parent;
                    continue;
                }
                None => {
                    // Forked at 0 in a run whose first commit adds events: a run with no history.
                    let (meta, tree) =
                        RunState::new(first_meta(&commit), None).finish(0, &mut objects);
                    break (Vec::new(), None, meta, tree);
                }
            }
        }
        // The fork point falls inside this commit's events: the first `seq - before` of them, replayed over the
        // parent's metadata and state.
        let list_id = commit.events.ok_or_else(|| RepoError::Decode {
            id,
            source: crate::object::DecodeError::Malformed {
                kind: ObjectKind::Commit,
                reason: "it adds to the run's event count but lists no events".into(),
            },
        })?;
        let raw = store.read(&list_id)?.ok_or_else(|| missing(list_id))?;
        let list = EventList::decode(&raw).map_err(|source| RepoError::Decode {
            id: list_id,
            source,
        })?;
        let taken: Vec<ObjectId> = list
            .events
            .iter()
            .take((input.seq - before) as usize)
            .copied()
            .collect();
        let meta = parent
            .as_ref()
            .map_or_else(|| first_meta(&commit), |(_, parent)| parent.run.clone());
        let mut state = RunState::new(meta, parent.as_ref().and_then(|(_, parent)| parent.tree));
        for (offset, event_id) in taken.iter().enumerate() {
            let mut map = read_event(store, *event_id)?;
            payload::resolve(&mut map, store)?;
            let event = Event::from_map(map).map_err(|error| RepoError::BadEvent {
                line: offset + 1,
                message: error.to_string(),
            })?;
            state.apply(store, &event, &mut objects)?;
        }
        let (meta, tree) = state.finish(input.seq, &mut objects);
        let listed = EventList {
            first_seq: before,
            events: taken,
        }
        .encode()
        .hashed();
        let listed_id = listed.id();
        objects.push(listed);
        break (
            parent.map(|(id, _)| vec![id]).unwrap_or_default(),
            Some(listed_id),
            meta,
            tree,
        );
    };
    let mut meta = meta;
    meta.name = input.run.to_string();
    meta.forked_from = Some(fork);
    meta.tags.clear();
    meta.rating = None;
    let message = if input.message.is_empty() {
        format!("fork of {}@{}", input.source, input.seq)
    } else {
        input.message
    };
    let commit = Commit {
        parents,
        events,
        tree,
        author: input.author,
        time: input.time.to_rfc3339(),
        message,
        run: meta,
        extra: Map::new(),
    };
    Ok(BuiltCommit::seal(objects, commit))
}

/// A run's metadata and state as events are applied to it, from a commit's.
struct RunState {
    meta: RunMeta,
    started: Option<Timestamp>,
    last_time: Option<Timestamp>,
    /// The tree the events start from.
    base_tree: Option<ObjectId>,
    /// The state entries, once an event changed one.
    entries: Option<super::state::StoredState>,
}

impl RunState {
    fn new(meta: RunMeta, base_tree: Option<ObjectId>) -> RunState {
        let started = meta
            .started
            .as_deref()
            .and_then(|text| Timestamp::parse(text).ok());
        RunState {
            meta,
            started,
            last_time: None,
            base_tree,
            entries: None,
        }
    }

    /// Applies one event; a state value it sets is added to `objects` as a blob.
    fn apply(
        &mut self,
        store: &dyn ObjectStore,
        event: &Event,
        objects: &mut Vec<HashedObject>,
    ) -> Result<(), RepoError> {
        if let Ok(time) = Timestamp::parse(&event.ts) {
            self.started = Some(self.started.map_or(time, |first| first.min(time)));
            self.last_time = Some(
                self.last_time
                    .map_or(time, |last: Timestamp| last.max(time)),
            );
        }
        apply_to_meta(&mut self.meta, event);
        if let EventBody::StateUpdate { key, value } = &event.body {
            let entries = match &mut self.entries {
                Some(entries) => entries,
                None => self
                    .entries
                    .insert(super::state::load(store, self.base_tree)?),
            };
            if value.is_null() {
                entries.remove(key);
            } else {
                // Tags, when the update names any, travel with the entry (promote can select by them).
                let tags: Vec<String> = event
                    .extra
                    .get("tags")
                    .and_then(Value::as_array)
                    .map(|tags| {
                        tags.iter()
                            .filter_map(|tag| tag.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let entry = super::state::encode_entry(value, &tags, objects);
                entries.insert(key.clone(), entry);
            }
        }
        Ok(())
    }

    /// The metadata of the run once it holds `events` events, and its state tree (a new tree is added to
    /// `objects`).
    fn finish(self, events: u64, objects: &mut Vec<HashedObject>) -> (RunMeta, Option<ObjectId>) {
        let mut meta = self.meta;
        meta.events = events;
        if let Some(started) = self.started {
            meta.started = Some(started.to_rfc3339());
            if let Some(last) = self.last_time {
                meta.duration_ms = Some(
                    meta.duration_ms
                        .unwrap_or(0)
                        .max((last.0 - started.0).max(0) as u64),
                );
            }
        }
        if meta.status.is_none() {
            meta.status = Some("running".to_string());
        }
        let tree = match self.entries {
            None => self.base_tree,
            Some(entries) => super::state::save(&entries, objects),
        };
        (meta, tree)
    }
}

fn apply_to_meta(meta: &mut RunMeta, event: &Event) {
    match &event.body {
        EventBody::SessionStart {
            agent,
            model,
            session_id,
            code,
            ..
        } => {
            meta.agent = agent.clone().or(meta.agent.take());
            meta.model = model.clone().or(meta.model.take());
            meta.session_id = session_id.clone().or(meta.session_id.take());
            if let Some(code) = code
                .as_ref()
                .and_then(|code| serde_json::from_value::<CodeContext>(code.clone()).ok())
            {
                meta.code = Some(code);
            }
        }
        EventBody::AssistantMessage { model, usage, .. } => {
            if model.is_some() {
                meta.model = model.clone();
            }
            if let Some(usage) = usage {
                meta.tokens.add(&usage.tokens);
                if let Some(cost) = usage.cost_usd {
                    meta.cost_usd = Some(meta.cost_usd.unwrap_or(0.0) + cost);
                }
            }
        }
        EventBody::Checkpoint {
            status: Some(status),
            ..
        } => meta.status = Some(status.clone()),
        EventBody::SessionEnd { status, .. } => {
            meta.status = Some(status.clone().unwrap_or_else(|| "ended".to_string()));
        }
        _ => {}
    }
}

/// The event lists of a run, oldest first, following first parents from `head`.
pub fn run_segments(store: &dyn ObjectStore, head: ObjectId) -> Result<Vec<EventList>, RepoError> {
    Ok(run_lists(store, head)?
        .into_iter()
        .map(|(_, list)| list)
        .collect())
}

/// The event lists of a run with their ids, oldest first, following first parents from `head`.
pub fn run_lists(
    store: &dyn ObjectStore,
    head: ObjectId,
) -> Result<Vec<(ObjectId, EventList)>, RepoError> {
    let mut lists = Vec::new();
    let mut next = Some(head);
    while let Some(id) = next {
        let commit = read_commit(store, id)?;
        if let Some(list_id) = commit.events {
            let raw = store.read(&list_id)?.ok_or_else(|| missing(list_id))?;
            let list = EventList::decode(&raw).map_err(|source| RepoError::Decode {
                id: list_id,
                source,
            })?;
            lists.push((list_id, list));
        }
        next = commit.first_parent();
    }
    lists.reverse();
    Ok(lists)
}

/// Reads an event object as stored (payload references not resolved).
pub fn read_event(store: &dyn ObjectStore, id: ObjectId) -> Result<Map<String, Value>, RepoError> {
    let raw = store.read(&id)?.ok_or_else(|| missing(id))?;
    crate::object::decode_event_json(&raw).map_err(|source| RepoError::Decode { id, source })
}

/// A run's events: each event object's id and its JSON with payloads resolved.
pub type RunEvents = Vec<(ObjectId, Map<String, Value>)>;

/// Every event of the run at `head`, in seq order, with payloads resolved.
pub fn read_run_events(store: &dyn ObjectStore, head: ObjectId) -> Result<RunEvents, RepoError> {
    let mut out = Vec::new();
    for segment in run_segments(store, head)? {
        for id in segment.events {
            let mut event = read_event(store, id)?;
            payload::resolve(&mut event, store)?;
            out.push((id, event));
        }
    }
    Ok(out)
}

/// The id of the event with `seq` in the run at `head`.
pub fn event_id_at(
    store: &dyn ObjectStore,
    head: ObjectId,
    seq: u64,
) -> Result<Option<ObjectId>, RepoError> {
    let mut next = Some(head);
    while let Some(id) = next {
        let commit = read_commit(store, id)?;
        if let Some(list_id) = commit.events {
            let raw = store.read(&list_id)?.ok_or_else(|| missing(list_id))?;
            let list = EventList::decode(&raw).map_err(|source| RepoError::Decode {
                id: list_id,
                source,
            })?;
            if seq >= list.first_seq {
                return Ok(list.events.get((seq - list.first_seq) as usize).copied());
            }
        }
        next = commit.first_parent();
    }
    Ok(None)
}
