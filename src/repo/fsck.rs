//! `fsck`: checks every object's hash, every pack and index, every reference's reachability and the journal.

use super::{RepoError, Repository};
use crate::id::{ObjectId, ObjectKind};
use crate::object::{Chunks, Commit, EventList, RawObject, Tree, decode_event_json};
use crate::payload;
use crate::store::{ObjectStore, verify_pack};
use rayon::prelude::*;
use std::collections::HashSet;

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Data is damaged or missing: `fsck` fails.
    Error,
    /// Worth knowing, nothing lost (a torn journal record left by a crash).
    Warning,
}

/// One thing `fsck` found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// A stable keyword: `corrupt-object`, `missing-object`, `wrong-kind`, `bad-pack`, `bad-ref`,
    /// `bad-history`, `torn-journal`, `bad-journal`.
    pub kind: &'static str,
    /// What it is about: an object id, a file, a reference.
    pub subject: String,
    /// What is wrong.
    pub detail: String,
}

/// What `fsck` checked and found.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct FsckReport {
    /// Objects whose hash was checked.
    pub objects: u64,
    /// Bytes of stored data read (pack and loose files).
    pub bytes: u64,
    /// Packs checked.
    pub packs: u64,
    /// Loose objects checked.
    pub loose: u64,
    /// References checked.
    pub refs: u64,
    /// Objects reachable from references.
    pub reachable: u64,
    /// Objects no reference reaches (kept until `gc` prunes them).
    pub dangling: u64,
    /// Events staged in the journal.
    pub staged: u64,
    /// Everything wrong, errors first.
    pub problems: Vec<Problem>,
}

impl FsckReport {
    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.problems
            .iter()
            .any(|problem| problem.severity == Severity::Error)
    }
}

fn error(kind: &'static str, subject: impl ToString, detail: impl ToString) -> Problem {
    Problem {
        severity: Severity::Error,
        kind,
        subject: subject.to_string(),
        detail: detail.to_string(),
    }
}

/// Objects reachable from some roots, in the order first met, with the problems found on the way.
pub(super) struct Reachable {
    pub order: Vec<ObjectId>,
    pub seen: HashSet<ObjectId>,
    pub problems: Vec<Problem>,
}

/// Walks everything reachable from `heads`: commits and their parents, event lists, events and the payloads
/// they reference, trees and chunk lists. Checks each object's kind and that run histories are gapless.
pub(super) fn walk(
    store: &dyn ObjectStore,
    heads: &[(String, ObjectId)],
) -> Result<Reachable, RepoError> {
    walk_beyond(store, heads, HashSet::new())
}

/// Like [`walk`], but stops at objects in `known` (a set closed under reachability, such as an earlier walk's):
/// `order` then lists only what is reachable beyond it, and `seen` is `known` plus that.
pub(super) fn walk_beyond(
    store: &dyn ObjectStore,
    heads: &[(String, ObjectId)],
    known: HashSet<ObjectId>,
) -> Result<Reachable, RepoError> {
    let mut walk = Reachable {
        order: Vec::new(),
        seen: known,
        problems: Vec::new(),
    };
    let mut stack: Vec<(ObjectId, ObjectKind, String)> = heads
        .iter()
        .rev()
        .map(|(name, id)| (*id, ObjectKind::Commit, format!("run {name}")))
        .collect();
    while let Some((id, expected, referrer)) = stack.pop() {
        if !walk.seen.insert(id) {
            continue;
        }
        let raw = match store.read(&id) {
            Ok(Some(raw)) => raw,
            Ok(None) => {
                walk.problems.push(error(
                    "missing-object",
                    id,
                    format!("{expected} referenced by {referrer} is missing"),
                ));
                continue;
            }
            Err(failure) => {
                walk.problems.push(error(
                    "corrupt-object",
                    id,
                    format!("{expected} referenced by {referrer}: {failure}"),
                ));
                continue;
            }
        };
        walk.order.push(id);
        let kind_ok = raw.kind == expected
            || (expected == ObjectKind::Blob && raw.kind == ObjectKind::Chunks);
        if !kind_ok {
            walk.problems.push(error(
                "wrong-kind",
                id,
                format!("{referrer} expects a {expected}, found a {}", raw.kind),
            ));
            continue;
        }
        let from = format!("{} {}", raw.kind, id.short(12));
        if let Err(detail) = children(&raw, &from, &mut stack) {
            walk.problems.push(error("corrupt-object", id, detail));
        }
        if raw.kind == ObjectKind::Commit {
            check_history(store, id, &raw, &mut walk.problems)?;
        }
    }
    Ok(walk)
}

fn children(
    raw: &RawObject,
    from: &str,
    stack: &mut Vec<(ObjectId, ObjectKind, String)>,
) -> Result<(), String> {
    let mut push = |id: ObjectId, kind: ObjectKind| stack.push((id, kind, from.to_string()));
    match raw.kind {
        ObjectKind::Blob => {}
        ObjectKind::Commit => {
            let commit = Commit::decode(raw).map_err(|error| error.to_string())?;
            for parent in commit.parents.iter().rev() {
                push(*parent, ObjectKind::Commit);
            }
            if let Some(tree) = commit.tree {
                push(tree, ObjectKind::Tree);
            }
            if let Some(events) = commit.events {
                push(events, ObjectKind::EventList);
            }
        }
        ObjectKind::EventList => {
            let list = EventList::decode(raw).map_err(|error| error.to_string())?;
            for event in list.events.into_iter().rev() {
                push(event, ObjectKind::Event);
            }
        }
        ObjectKind::Event => {
            let event = decode_event_json(raw).map_err(|error| error.to_string())?;
            for reference in payload::refs_of(&event).map_err(|error| error.to_string())? {
                push(reference.blob, ObjectKind::Blob);
            }
        }
        ObjectKind::Tree => {
            for entry in Tree::decode(raw)
                .map_err(|error| error.to_string())?
                .entries
            {
                let kind = match entry.kind {
                    crate::object::EntryKind::Blob => ObjectKind::Blob,
                    crate::object::EntryKind::Tree => ObjectKind::Tree,
                };
                push(entry.id, kind);
            }
        }
        ObjectKind::Chunks => {
            for (_, chunk) in Chunks::decode(raw)
                .map_err(|error| error.to_string())?
                .chunks
            {
                push(chunk, ObjectKind::Blob);
            }
        }
    }
    Ok(())
}

/// A commit's event list must start where its first parent's run ended, and its event count must add up.
fn check_history(
    store: &dyn ObjectStore,
    id: ObjectId,
    raw: &RawObject,
    problems: &mut Vec<Problem>,
) -> Result<(), RepoError> {
    let Ok(commit) = Commit::decode(raw) else {
        return Ok(());
    };
    let before = match commit.first_parent() {
        None => 0,
        Some(parent) => match store
            .read(&parent)
            .ok()
            .flatten()
            .map(|raw| Commit::decode(&raw))
        {
            Some(Ok(parent)) => parent.run.events,
            _ => return Ok(()),
        },
    };
    let (first, count) = match commit.events {
        None => (before, 0),
        Some(list) => match store
            .read(&list)
            .ok()
            .flatten()
            .map(|raw| EventList::decode(&raw))
        {
            Some(Ok(list)) => (list.first_seq, list.events.len() as u64),
            _ => return Ok(()),
        },
    };
    if first != before || before + count != commit.run.events {
        problems.push(error(
            "bad-history",
            id,
            format!(
                "commit adds events {first}..{} after {before} events but says the run has {}",
                first + count,
                commit.run.events
            ),
        ));
    }
    Ok(())
}

impl Repository {
    /// Checks the whole repository.
    pub fn fsck(&self) -> Result<FsckReport, RepoError> {
        let mut report = FsckReport::default();
        let packs = self.odb.packs();
        packs.refresh()?;
        for (path, reason) in packs.broken() {
            report
                .problems
                .push(error("bad-pack", path.display(), reason));
        }
        for pack in packs.packs() {
            report.packs += 1;
            report.objects += pack.len() as u64;
            report.bytes += std::fs::metadata(pack.path())
                .map(|meta| meta.len())
                .unwrap_or(0);
            for detail in verify_pack(&pack) {
                report
                    .problems
                    .push(error("bad-pack", pack.path().display(), detail));
            }
        }
        let loose = self.odb.loose();
        let loose_ids = loose.ids()?;
        report.loose = loose_ids.len() as u64;
        report.objects += report.loose;
        let checked: Vec<(u64, Option<Problem>)> = loose_ids
            .par_iter()
            .map(|id| match loose.read_canonical(id) {
                Err(failure) => (0, Some(error("corrupt-object", id, failure))),
                Ok(None) => (0, None),
                Ok(Some(canonical)) => {
                    let length = std::fs::metadata(loose.path_of(id))
                        .map(|meta| meta.len())
                        .unwrap_or(0);
                    if ObjectId::hash_canonical(&canonical) != *id {
                        (
                            length,
                            Some(error(
                                "corrupt-object",
                                id,
                                format!(
                                    "contents hash to {}",
                                    ObjectId::hash_canonical(&canonical)
                                ),
                            )),
                        )
                    } else if let Err(failure) = RawObject::from_canonical(&canonical) {
                        (length, Some(error("corrupt-object", id, failure)))
                    } else {
                        (length, None)
                    }
                }
            })
            .collect();
        for (bytes, problem) in checked {
            report.bytes += bytes;
            report.problems.extend(problem);
        }
        let mut heads = Vec::new();
        for (name, value) in self.refs.scan()? {
            report.refs += 1;
            match value {
                Ok(id) => heads.push((name.run_name().unwrap_or(name.as_str()).to_string(), id)),
                Err(failure) => report.problems.push(error("bad-ref", name, failure)),
            }
        }
        let reachable = walk(&self.odb, &heads)?;
        report.reachable = reachable.seen.len() as u64;
        report.problems.extend(reachable.problems);
        let all: HashSet<ObjectId> = self.odb.ids()?.into_iter().collect();
        report.dangling = all.iter().filter(|id| !reachable.seen.contains(id)).count() as u64;
        for run in self.journal.runs()? {
            let path = self.journal.path_of(&run);
            match self.journal.read(&run) {
                Ok(scan) => {
                    report.staged += scan.events.len() as u64;
                    if let Some(torn) = scan.torn {
                        report.problems.push(Problem {
                            severity: Severity::Warning,
                            kind: "torn-journal",
                            subject: path.display().to_string(),
                            detail: format!(
                                "an incomplete record of {} bytes at byte {} (a write cut off by a crash; it was never acknowledged, and the next append removes it)",
                                torn.bytes, torn.offset
                            ),
                        });
                    }
                }
                Err(failure) => report
                    .problems
                    .push(error("bad-journal", path.display(), failure)),
            }
        }
        report
            .problems
            .sort_by_key(|problem| problem.severity == Severity::Warning);
        Ok(report)
    }
}
