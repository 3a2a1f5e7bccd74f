//! `fsck`: checks every object's hash, every pack and index, every reference's reachability and the journal.

use super::{RepoError, Repository};
use crate::id::{IdMap, IdSet, ObjectId, ObjectKind};
use crate::object::{Chunks, Commit, EventList, RawObject, Tree, decode_event_json};
use crate::payload;
use crate::store::{ObjectStore, verify_pack_with};
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
        let mut push = |child, kind| stack.push((child, kind, from.clone()));
        if let Err(detail) = children(&raw, &mut push) {
            walk.problems.push(error("corrupt-object", id, detail));
        }
        if raw.kind == ObjectKind::Commit {
            check_history(store, id, &raw, &mut walk.problems)?;
        }
    }
    Ok(walk)
}

/// Hands every object `raw` references to `push`, with the kind it must have, last first (the order a stack wants).
pub(crate) fn children(
    raw: &RawObject,
    push: &mut dyn FnMut(ObjectId, ObjectKind),
) -> Result<(), String> {
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
    problems.extend(history_problem(id, before, first, count, commit.run.events));
    Ok(())
}

/// The problem with a commit whose event list (`count` events from `first`) does not continue its parent's
/// `before` events up to the `total` it claims, if there is one.
fn history_problem(
    id: ObjectId,
    before: u64,
    first: u64,
    count: u64,
    total: u64,
) -> Option<Problem> {
    (first != before || before + count != total).then(|| {
        error(
            "bad-history",
            id,
            format!(
                "commit adds events {first}..{} after {before} events but says the run has {total}",
                first + count
            ),
        )
    })
}

/// What `fsck` learns from one sound object: its kind, what it references, and what the history check needs.
struct Node {
    kind: ObjectKind,
    children: Box<[(ObjectId, ObjectKind)]>,
    facts: Option<Box<Facts>>,
    /// Why the body does not decode, if it does not.
    broken: Option<Box<str>>,
}

enum Facts {
    Commit {
        first_parent: Option<ObjectId>,
        events: Option<ObjectId>,
        total: u64,
    },
    List {
        first: u64,
        count: u64,
    },
}

/// Reads what an object references. Events are only scanned for their `$refs`, and blobs are not read at all.
fn inspect(kind: ObjectKind, body: &[u8]) -> Node {
    let mut node = Node {
        kind,
        children: Box::default(),
        facts: None,
        broken: None,
    };
    let decoded: Result<(), String> = match kind {
        ObjectKind::Blob => Ok(()),
        ObjectKind::Event => payload::blob_refs(body)
            .map(|blobs| {
                node.children = blobs
                    .into_iter()
                    .map(|blob| (blob, ObjectKind::Blob))
                    .collect();
            })
            .map_err(|error| error.to_string()),
        _ => {
            let raw = RawObject::new(kind, body.to_vec());
            let mut listed_children = Vec::new();
            let listed = children(&raw, &mut |child, kind| listed_children.push((child, kind)));
            listed_children.reverse();
            node.children = listed_children.into();
            match kind {
                ObjectKind::Commit => {
                    if let Ok(commit) = Commit::decode(&raw) {
                        node.facts = Some(Box::new(Facts::Commit {
                            first_parent: commit.first_parent(),
                            events: commit.events,
                            total: commit.run.events,
                        }));
                    }
                }
                ObjectKind::EventList => {
                    if let Ok(list) = EventList::decode(&raw) {
                        node.facts = Some(Box::new(Facts::List {
                            first: list.first_seq,
                            count: list.events.len() as u64,
                        }));
                    }
                }
                _ => {}
            }
            listed
        }
    };
    node.broken = decoded.err().map(String::into_boxed_str);
    node
}

/// Who points at an object, for messages.
#[derive(Clone, Copy)]
enum Referrer {
    Run(usize),
    Object(u32),
}

/// The object graph `fsck` read: every copy of every object by number, and each id's chosen copy.
struct Graph<'a> {
    nodes: &'a [Option<Node>],
    copies: &'a [ObjectId],
    located: &'a IdMap<u32>,
    heads: &'a [(String, ObjectId)],
}

struct GraphWalk {
    /// Objects reachable from the heads, missing ones included.
    reachable: u64,
    /// Reachable objects that are stored.
    present: u64,
    problems: Vec<Problem>,
}

impl Graph<'_> {
    fn node_of(&self, id: &ObjectId) -> Option<&Node> {
        self.located
            .get(id)
            .and_then(|&number| self.nodes[number as usize].as_ref())
    }

    fn describe(&self, referrer: Referrer) -> String {
        match referrer {
            Referrer::Run(head) => format!("run {}", self.heads[head].0),
            Referrer::Object(number) => {
                let id = self.copies[number as usize];
                match &self.nodes[number as usize] {
                    Some(node) => format!("{} {}", node.kind, id.short(12)),
                    None => format!("object {}", id.short(12)),
                }
            }
        }
    }

    /// Walks everything reachable from the heads, checking kinds, presence and run histories.
    fn walk(&self) -> GraphWalk {
        let mut walked = GraphWalk {
            reachable: 0,
            present: 0,
            problems: Vec::new(),
        };
        let mut visited = vec![false; self.nodes.len()];
        let mut counted = vec![false; self.nodes.len()];
        let mut missing = IdSet::default();
        let mut stack: Vec<(ObjectId, ObjectKind, Referrer)> = self
            .heads
            .iter()
            .enumerate()
            .rev()
            .map(|(head, (_, id))| (*id, ObjectKind::Commit, Referrer::Run(head)))
            .collect();
        while let Some((id, expected, referrer)) = stack.pop() {
            let Some(&number) = self.located.get(&id) else {
                if missing.insert(id) {
                    let detail = format!(
                        "{expected} referenced by {} is missing",
                        self.describe(referrer)
                    );
                    walked.problems.push(error("missing-object", id, detail));
                }
                continue;
            };
            // Present and reachable however it is referenced (counted once).
            if !std::mem::replace(&mut counted[number as usize], true) {
                walked.present += 1;
            }
            // Checked on every reference, not only the first: an object may be referenced rightly from one place
            // and as another kind from another.
            if let Some(node) = &self.nodes[number as usize] {
                let kind_ok = node.kind == expected
                    || (expected == ObjectKind::Blob && node.kind == ObjectKind::Chunks);
                if !kind_ok {
                    let detail = format!(
                        "{} expects a {expected}, found a {}",
                        self.describe(referrer),
                        node.kind
                    );
                    walked.problems.push(error("wrong-kind", id, detail));
                    continue;
                }
            }
            if std::mem::replace(&mut visited[number as usize], true) {
                continue;
            }
            let Some(node) = &self.nodes[number as usize] else {
                let detail = format!(
                    "{expected} referenced by {}: its stored copy is damaged (see the problems with its pack or file)",
                    self.describe(referrer)
                );
                walked.problems.push(error("corrupt-object", id, detail));
                continue;
            };
            if let Some(detail) = &node.broken {
                walked.problems.push(error("corrupt-object", id, detail));
            }
            for (child, kind) in node.children.iter().rev() {
                stack.push((*child, *kind, Referrer::Object(number)));
            }
            if let Some(facts) = &node.facts {
                walked.problems.extend(self.check_history(id, facts));
            }
        }
        walked.reachable = walked.present + missing.len() as u64;
        walked
    }

    /// A commit's event list must start where its first parent's run ended, and its event count must add up.
    fn check_history(&self, id: ObjectId, facts: &Facts) -> Option<Problem> {
        let Facts::Commit {
            first_parent,
            events,
            total,
        } = facts
        else {
            return None;
        };
        let before = match first_parent {
            None => 0,
            Some(parent) => match self.node_of(parent)?.facts.as_deref()? {
                Facts::Commit { total, .. } => *total,
                _ => return None,
            },
        };
        let (first, count) = match events {
            None => (before, 0),
            Some(list) => match self.node_of(list)?.facts.as_deref()? {
                Facts::List { first, count } => (*first, *count),
                _ => return None,
            },
        };
        history_problem(id, before, first, count, *total)
    }
}

impl Repository {
    /// Checks the whole repository.
    ///
    /// Every stored object is read once: packs frame by frame and loose files one by one, on all cores, checking
    /// hashes and noting what each object references. Reachability and run histories are then checked on that
    /// graph, in memory.
    pub fn fsck(&self) -> Result<FsckReport, RepoError> {
        let mut report = FsckReport::default();
        let packs = self.odb.packs();
        packs.refresh()?;
        for (path, reason) in packs.broken() {
            report
                .problems
                .push(error("bad-pack", path.display(), reason));
        }
        let pack_list = packs.packs();
        let loose = self.odb.loose();
        // Packs are verified on all cores while references and loose files are listed and every copy of every
        // object gets a number: packs' objects first, in pack order, then loose objects.
        let (verified, listed) = rayon::join(
            || {
                pack_list
                    .iter()
                    .map(|pack| {
                        verify_pack_with(pack, |position, _, kind, body| {
                            (position, inspect(kind, body))
                        })
                    })
                    .collect::<Vec<_>>()
            },
            || -> Result<_, RepoError> {
                let scan = self.refs.scan()?;
                let loose_ids = loose.ids()?;
                let mut copies: Vec<ObjectId> = Vec::new();
                for pack in &pack_list {
                    copies.extend(pack.ids());
                }
                copies.extend(loose_ids.iter().copied());
                let mut located: IdMap<u32> =
                    IdMap::with_capacity_and_hasher(copies.len(), Default::default());
                for (number, id) in copies.iter().enumerate() {
                    located.entry(*id).or_insert(number as u32);
                }
                Ok((scan, loose_ids, copies, located))
            },
        );
        let (scan, loose_ids, copies, mut located) = listed?;
        // What was learnt from every sound copy, by number.
        let mut nodes: Vec<Option<Node>> = Vec::with_capacity(copies.len());
        for (pack, (problems, inspected)) in pack_list.iter().zip(verified) {
            report.packs += 1;
            report.objects += pack.len() as u64;
            report.bytes += std::fs::metadata(pack.path())
                .map(|meta| meta.len())
                .unwrap_or(0);
            for detail in problems {
                report
                    .problems
                    .push(error("bad-pack", pack.path().display(), detail));
            }
            let base = nodes.len();
            nodes.resize_with(base + pack.len(), || None);
            for (position, node) in inspected {
                nodes[base + position] = Some(node);
            }
        }
        report.loose = loose_ids.len() as u64;
        report.objects += report.loose;
        let checked: Vec<(u64, Result<Node, Problem>)> = loose_ids
            .par_iter()
            .map(|id| {
                let length = std::fs::metadata(loose.path_of(id))
                    .map(|meta| meta.len())
                    .unwrap_or(0);
                let canonical = match loose.read_canonical(id) {
                    Err(failure) => return (length, Err(error("corrupt-object", id, failure))),
                    Ok(None) => {
                        return (
                            0,
                            Err(error("missing-object", id, "removed while fsck ran")),
                        );
                    }
                    Ok(Some(canonical)) => canonical,
                };
                let actual = ObjectId::hash_canonical(&canonical);
                if actual != *id {
                    let detail = format!("contents hash to {actual}");
                    return (length, Err(error("corrupt-object", id, detail)));
                }
                match crate::id::parse_header(&canonical) {
                    Err(failure) => (length, Err(error("corrupt-object", id, failure))),
                    Ok((kind, body)) => (length, Ok(inspect(kind, body))),
                }
            })
            .collect();
        for (bytes, node) in checked {
            report.bytes += bytes;
            match node {
                Ok(node) => nodes.push(Some(node)),
                // A loose file removed while fsck ran was packed by a concurrent gc: not a problem.
                Err(problem) if problem.kind == "missing-object" => nodes.push(None),
                Err(problem) => {
                    report.problems.push(problem);
                    nodes.push(None);
                }
            }
        }
        // An id whose first copy is damaged is read from a sound copy, if there is one.
        let damaged: IdSet = located
            .iter()
            .filter(|(_, number)| nodes[**number as usize].is_none())
            .map(|(id, _)| *id)
            .collect();
        if !damaged.is_empty() {
            for (number, id) in copies.iter().enumerate() {
                if nodes[number].is_some() && damaged.contains(id) {
                    located.insert(*id, number as u32);
                }
            }
        }
        let mut heads = Vec::new();
        for (name, value) in scan {
            report.refs += 1;
            match value {
                Ok(id) => heads.push((name.run_name().unwrap_or(name.as_str()).to_string(), id)),
                Err(failure) => report.problems.push(error("bad-ref", name, failure)),
            }
        }
        let graph = Graph {
            nodes: &nodes,
            copies: &copies,
            located: &located,
            heads: &heads,
        };
        let walked = graph.walk();
        report.reachable = walked.reachable;
        report.problems.extend(walked.problems);
        report.dangling = (located.len() as u64).saturating_sub(walked.present);
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
