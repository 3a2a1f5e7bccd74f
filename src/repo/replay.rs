//! Replay: a run's events in seq order, each read when it is reached and its payloads put back only when asked.

use super::history::{read_commit, read_event, run_segments};
use super::{RepoError, Repository};
use crate::id::ObjectId;
use crate::payload;
use crate::store::ObjectStore;
use serde_json::{Map, Value};
use std::ops::RangeInclusive;

/// A run's events in seq order, over a range of seqs.
///
/// Only the run's event lists are read when a replay starts; each event object is read as the iterator reaches it,
/// and its large payloads (blobs in the store) only when [`ReplayedEvent::resolve`] is called. The iterator runs
/// both ways, and [`Replay::get`] reads any seq of the range, for stepping back and forth.
///
/// ```
/// # let project = tempfile::tempdir().unwrap();
/// # let (repo, _) = hive::Repository::init(project.path()).unwrap();
/// # let event = serde_json::json!({"kind": "user_message", "text": "hello", "ts": "2026-01-01T00:00:00Z"});
/// # repo.append_events("demo", vec![event.as_object().unwrap().clone()]).unwrap();
/// # repo.commit(Some("demo"), &hive::repo::CommitOptions::default()).unwrap();
/// for replayed in repo.replay("demo", None, None)? {
///     let replayed = replayed?;
///     let event = replayed.resolve(repo.odb())?;
///     assert_eq!(event["text"], "hello");
/// }
/// # Ok::<(), hive::RepoError>(())
/// ```
pub struct Replay<'a> {
    store: &'a dyn ObjectStore,
    run: String,
    /// The run's event ids, seq 0 first.
    ids: Vec<ObjectId>,
    /// The seqs still to be yielded from the front and the back.
    front: u64,
    back: u64,
    /// The seqs of the range.
    range: RangeInclusive<u64>,
}

/// One event of a replay, as committed.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayedEvent {
    /// Its seq in the run.
    pub seq: u64,
    /// The event object's id.
    pub id: ObjectId,
    /// The event as stored: large payloads are references in `$refs`.
    pub stored: Map<String, Value>,
}

impl ReplayedEvent {
    /// The event as it was committed, its payloads read back from `store` and put in place.
    pub fn resolve(&self, store: &dyn ObjectStore) -> Result<Map<String, Value>, RepoError> {
        let mut event = self.stored.clone();
        payload::resolve(&mut event, store)?;
        Ok(event)
    }

    /// Whether any of the event's payloads is stored apart from it.
    pub fn has_payloads(&self) -> bool {
        self.stored.contains_key(crate::event::REFS_FIELD)
    }
}

impl<'a> Replay<'a> {
    /// A replay of the run whose head commit is `head`, over seqs `from..=to` (the whole run by default).
    pub fn new(
        store: &'a dyn ObjectStore,
        run: &str,
        head: ObjectId,
        from: Option<u64>,
        to: Option<u64>,
    ) -> Result<Replay<'a>, RepoError> {
        let count = read_commit(store, head)?.run.events;
        let mut ids = Vec::with_capacity(count as usize);
        for segment in run_segments(store, head)? {
            ids.extend(segment.events);
        }
        let range = seq_range(run, count, from, to)?;
        Ok(Replay {
            store,
            run: run.to_string(),
            ids,
            front: *range.start(),
            back: range.end().saturating_add(1),
            range,
        })
    }

    /// The seqs this replay covers; empty for a run without events.
    pub fn range(&self) -> RangeInclusive<u64> {
        self.range.clone()
    }

    /// Reads the event with `seq`, which must lie in [`Replay::range`].
    pub fn get(&self, seq: u64) -> Result<ReplayedEvent, RepoError> {
        let id = *self
            .range
            .contains(&seq)
            .then(|| self.ids.get(seq as usize))
            .flatten()
            .ok_or_else(|| RepoError::NoSuchEvent {
                run: self.run.clone(),
                seq,
                count: self.ids.len() as u64,
            })?;
        Ok(ReplayedEvent {
            seq,
            id,
            stored: read_event(self.store, id)?,
        })
    }
}

/// The seqs `from..=to` of a run of `count` events, checked.
fn seq_range(
    run: &str,
    count: u64,
    from: Option<u64>,
    to: Option<u64>,
) -> Result<RangeInclusive<u64>, RepoError> {
    let from = from.unwrap_or(0);
    if count == 0 {
        return Ok(RangeInclusive::new(1, 0));
    }
    // A range that runs past the end stops at the last event; one that starts past it is refused.
    let to = to.unwrap_or(count - 1).min(count - 1);
    if from >= count {
        return Err(RepoError::NoSuchEvent {
            run: run.to_string(),
            seq: from,
            count,
        });
    }
    if from > to {
        return Err(RepoError::EmptyRange { from, to });
    }
    Ok(from..=to)
}

impl Iterator for Replay<'_> {
    type Item = Result<ReplayedEvent, RepoError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        let seq = self.front;
        self.front += 1;
        Some(self.get(seq))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.back.saturating_sub(self.front) as usize;
        (left, Some(left))
    }
}

impl DoubleEndedIterator for Replay<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        self.back -= 1;
        Some(self.get(self.back))
    }
}

impl ExactSizeIterator for Replay<'_> {}

impl Repository {
    /// Replays a run (or a run as it was at a commit: `RUN~N`, a commit id) from seq `from` to seq `to`, both
    /// included (the whole run by default; `to` past the end stops at the last event).
    pub fn replay(
        &self,
        revision: &str,
        from: Option<u64>,
        to: Option<u64>,
    ) -> Result<Replay<'_>, RepoError> {
        let head = match self.resolve(revision)? {
            super::Resolved::Commit { id, .. } => id,
            super::Resolved::Object(id)
                if self
                    .odb
                    .read(&id)?
                    .is_some_and(|raw| raw.kind == crate::id::ObjectKind::Commit) =>
            {
                id
            }
            _ => return Err(RepoError::NotACommit(revision.to_string())),
        };
        Replay::new(&self.odb, revision, head, from, to)
    }
}
