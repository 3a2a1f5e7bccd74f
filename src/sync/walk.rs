//! Walking the object graph for a transfer: what to send (children before parents), ancestry for
//! fast-forward checks, and the objects each commit brings.

use super::{Progress, ProgressFn, SyncError};
use crate::id::{IdHashState, ObjectId, ObjectKind};
use crate::object::DecodeError;
use crate::repo::{RepoError, children, read_commit};
use crate::store::ObjectStore;
use std::collections::{HashSet, VecDeque};

/// A set of ids hashed cheaply (ids are already random).
pub type IdSet = HashSet<ObjectId, IdHashState>;

/// An empty [`IdSet`].
pub fn id_set() -> IdSet {
    IdSet::with_hasher(IdHashState::default())
}

/// Whether an object of `found` kind may stand where `expected` is referenced (a large blob is a chunk list).
pub fn kind_fits(expected: ObjectKind, found: ObjectKind) -> bool {
    expected == found || (expected == ObjectKind::Blob && found == ObjectKind::Chunks)
}

/// Everything reachable from `heads`, in an order where every object comes after all the objects it references
/// (so a receiver that keeps any prefix of the transfer never holds an object without what it references). An
/// object for which `stop` answers true is left out and not looked into (the other side has it, and so has
/// everything it references).
pub fn objects_beyond(
    store: &dyn ObjectStore,
    heads: &[ObjectId],
    stop: &mut dyn FnMut(ObjectId, ObjectKind) -> Result<bool, SyncError>,
    progress: ProgressFn<'_>,
) -> Result<Vec<ObjectId>, SyncError> {
    let mut order = Vec::new();
    let mut seen = id_set();
    let mut stack: Vec<(ObjectId, ObjectKind, bool)> = heads
        .iter()
        .rev()
        .map(|id| (*id, ObjectKind::Commit, false))
        .collect();
    while let Some((id, expected, expanded)) = stack.pop() {
        if expanded {
            order.push(id);
            if order.len() % 4096 == 0 {
                progress(Progress::Counting(order.len() as u64));
            }
            continue;
        }
        if !seen.insert(id) || stop(id, expected)? {
            continue;
        }
        let raw = store
            .read(&id)?
            .ok_or(SyncError::Repo(RepoError::MissingObject(id)))?;
        if !kind_fits(expected, raw.kind) {
            return Err(SyncError::Repo(RepoError::Decode {
                id,
                source: DecodeError::Kind {
                    expected,
                    found: raw.kind,
                },
            }));
        }
        stack.push((id, expected, true));
        children(&raw, &mut |child, kind| {
            if !seen.contains(&child) {
                stack.push((child, kind, false));
            }
        })
        .map_err(|reason| {
            SyncError::Repo(RepoError::Decode {
                id,
                source: DecodeError::Malformed {
                    kind: raw.kind,
                    reason,
                },
            })
        })?;
    }
    progress(Progress::Counting(order.len() as u64));
    Ok(order)
}

/// The commits reachable from `heads` through parents, not going past commits for which `stop` is true; heads
/// first.
pub fn commits_beyond(
    store: &dyn ObjectStore,
    heads: &[ObjectId],
    stop: &dyn Fn(&ObjectId) -> bool,
) -> Result<Vec<ObjectId>, SyncError> {
    let mut seen = id_set();
    let mut queue: VecDeque<ObjectId> = heads.iter().copied().collect();
    let mut found = Vec::new();
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id) || stop(&id) {
            continue;
        }
        found.push(id);
        queue.extend(read_commit(store, id)?.parents);
    }
    Ok(found)
}

/// Whether `ancestor` is `descendant` or one of its ancestors.
pub fn is_ancestor(
    store: &dyn ObjectStore,
    ancestor: ObjectId,
    descendant: ObjectId,
) -> Result<bool, SyncError> {
    if ancestor == descendant {
        return Ok(true);
    }
    if !store.contains(&ancestor)? {
        return Ok(false);
    }
    let mut seen = id_set();
    let mut queue = VecDeque::from([descendant]);
    while let Some(id) = queue.pop_front() {
        if id == ancestor {
            return Ok(true);
        }
        if seen.insert(id) {
            queue.extend(read_commit(store, id)?.parents);
        }
    }
    Ok(false)
}

/// The objects a commit brings beside its parents: itself, its event list, events, payloads and state tree (the
/// objects reachable from it without passing through another commit).
pub fn own_objects(store: &dyn ObjectStore, commit: ObjectId) -> Result<Vec<ObjectId>, SyncError> {
    let mut found = vec![commit];
    let mut seen = id_set();
    seen.insert(commit);
    let mut stack = vec![commit];
    while let Some(id) = stack.pop() {
        let Some(raw) = store.read(&id)? else {
            continue;
        };
        let mut next = Vec::new();
        let _ = children(&raw, &mut |child, kind| {
            if kind != ObjectKind::Commit {
                next.push(child);
            }
        });
        for child in next {
            if seen.insert(child) {
                found.push(child);
                stack.push(child);
            }
        }
    }
    Ok(found)
}
