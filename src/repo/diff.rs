//! `diff`: two runs aligned event by event.
//!
//! Events are compared by signature: the event without what differs between any two runs (its seq, time,
//! attributes, source record, call ids, parent link, usage and timing). The two sequences are aligned with the
//! patience algorithm over signatures; between two aligned events, events of the same kind (and tool) are paired
//! as changed, in order, and the rest are only in one run. Runs that share history (a fork and its source) share
//! event objects: that prefix is found from the event ids alone, without reading an event, so the cost is that of
//! the part that differs.

use super::digest::{Digest, Digests};
use super::history::{self, read_event};
use super::{RepoError, Repository};
use crate::id::ObjectId;
use crate::object::{Commit, EventList};
use crate::payload;
use crate::store::ObjectStore;
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Fields of an event that say nothing about what happened: left out of signatures and field comparisons.
pub const VOLATILE_FIELDS: [&str; 9] = [
    "seq",
    "ts",
    "attrs",
    "source",
    "parent",
    "call_id",
    "usage",
    "duration_ms",
    crate::event::REFS_FIELD,
];

/// One side of a diff.
#[derive(Clone, Debug)]
pub struct DiffSide {
    /// What was asked for (a run name or a revision).
    pub name: String,
    /// The commit compared.
    pub head: ObjectId,
    /// That commit.
    pub commit: Commit,
}

/// What became of one event, or a pair of them.
#[derive(Clone, Debug, PartialEq)]
pub enum DiffOp {
    /// The same in both runs.
    Same {
        /// Seq in A.
        a: u64,
        /// Seq in B.
        b: u64,
    },
    /// The same kind (and tool) at the same place, with different content.
    Changed {
        /// Seq in A.
        a: u64,
        /// Seq in B.
        b: u64,
        /// The fields that differ.
        fields: Vec<FieldChange>,
    },
    /// Only in A.
    OnlyA {
        /// Seq in A.
        a: u64,
    },
    /// Only in B.
    OnlyB {
        /// Seq in B.
        b: u64,
    },
}

/// One field that differs between two paired events.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldChange {
    /// JSON Pointer (RFC 6901) of the field inside the event, as `/input/command`.
    pub path: String,
    /// Its value in A; `None` when A does not have it.
    pub a: Option<Value>,
    /// Its value in B; `None` when B does not have it.
    pub b: Option<Value>,
}

/// A diffed event: its kind and tool, and the event when it was read.
#[derive(Clone, Debug)]
pub struct DiffEvent {
    /// The event's kind.
    pub kind: String,
    /// The tool, for a tool call or its result.
    pub tool: Option<String>,
    /// The event, read for changed pairs (payloads resolved), events only one run has and, when asked, the same
    /// ones (as stored: large values are `null` with `$refs`, which [`crate::payload::resolve`] puts back).
    pub event: Option<Map<String, Value>>,
}

/// Two runs compared.
#[derive(Clone, Debug)]
pub struct RunDiff {
    /// Run A.
    pub a: DiffSide,
    /// Run B.
    pub b: DiffSide,
    /// Events at the start of both that are the same event objects (shared history, or identical starts).
    pub shared_prefix: u64,
    /// What became of each event after the shared prefix, in the order of both runs.
    pub ops: Vec<DiffOp>,
    /// The events of A after the shared prefix, by seq (each with its kind and tool; read as [`DiffEvent`] says).
    pub events_a: HashMap<u64, DiffEvent>,
    /// The events of B after the shared prefix, by seq.
    pub events_b: HashMap<u64, DiffEvent>,
}

impl DiffOp {
    /// The seqs of the event in A and in B (`None` on the side that lacks it).
    pub fn seqs(&self) -> (Option<u64>, Option<u64>) {
        match self {
            DiffOp::Same { a, b } | DiffOp::Changed { a, b, .. } => (Some(*a), Some(*b)),
            DiffOp::OnlyA { a } => (Some(*a), None),
            DiffOp::OnlyB { b } => (None, Some(*b)),
        }
    }
}

impl RunDiff {
    /// The first op that is not `Same`: where the runs part.
    pub fn first_divergence(&self) -> Option<&DiffOp> {
        self.ops
            .iter()
            .find(|op| !matches!(op, DiffOp::Same { .. }))
    }

    /// How many ops of each sort: same (including the shared prefix), changed, only in A, only in B.
    pub fn counts(&self) -> (u64, u64, u64, u64) {
        let mut counts = (self.shared_prefix, 0, 0, 0);
        for op in &self.ops {
            match op {
                DiffOp::Same { .. } => counts.0 += 1,
                DiffOp::Changed { .. } => counts.1 += 1,
                DiffOp::OnlyA { .. } => counts.2 += 1,
                DiffOp::OnlyB { .. } => counts.3 += 1,
            }
        }
        counts
    }
}

/// The ids of a run's events, oldest first, from its commits and event lists (no event is read).
fn event_ids(store: &dyn ObjectStore, head: ObjectId) -> Result<Vec<ObjectId>, RepoError> {
    Ok(history::run_segments(store, head)?
        .into_iter()
        .flat_map(|segment| segment.events)
        .collect())
}

/// One run after the shared prefix: its event ids and digests, and each event's pairing key (kind, and tool for a
/// tool call or result).
struct Side {
    ids: Vec<ObjectId>,
    digests: Vec<Digest>,
    keys: Vec<String>,
    tools: Vec<Option<String>>,
}

/// The events of `lists` from seq `prefix` on, digested; a result's tool is its call's, found among them or else
/// among the events before them, read backwards only as far as needed.
fn side(
    digests: &Digests,
    lists: &[(ObjectId, EventList)],
    prefix: usize,
) -> Result<Side, RepoError> {
    let mut ids = Vec::new();
    let mut digested = Vec::new();
    let mut before: Vec<&(ObjectId, EventList)> = Vec::new();
    for entry in lists {
        let (id, list) = entry;
        let first = list.first_seq as usize;
        let end = first + list.events.len();
        if end <= prefix {
            before.push(entry);
            continue;
        }
        let skip = prefix.saturating_sub(first);
        let all = digests.of_list(*id, list)?;
        ids.extend_from_slice(&list.events[skip..]);
        digested.extend(all.into_iter().skip(skip));
        if skip > 0 {
            before.push(entry);
        }
    }
    let mut tools: HashMap<String, String> = HashMap::new();
    for digest in &digested {
        if digest.kind == "tool_call"
            && let (Some(call), Some(tool)) = (&digest.call, &digest.tool)
        {
            tools.insert(call.clone(), tool.clone());
        }
    }
    let mut wanted: std::collections::HashSet<&String> = digested
        .iter()
        .filter(|digest| digest.kind == "tool_result" && digest.tool.is_none())
        .filter_map(|digest| digest.call.as_ref())
        .filter(|call| !tools.contains_key(*call))
        .collect();
    for (id, list) in before.iter().rev() {
        if wanted.is_empty() {
            break;
        }
        let earlier = digests.of_list(*id, list)?;
        let usable = (prefix.saturating_sub(list.first_seq as usize)).min(earlier.len());
        for digest in earlier[..usable].iter().rev() {
            if digest.kind == "tool_call"
                && let (Some(call), Some(tool)) = (&digest.call, &digest.tool)
                && wanted.remove(call)
            {
                tools.insert(call.clone(), tool.clone());
            }
        }
    }
    let resolved: Vec<Option<String>> = digested
        .iter()
        .map(|digest| match (&digest.tool, digest.kind.as_str()) {
            (Some(tool), _) => Some(tool.clone()),
            (None, "tool_result") => digest
                .call
                .as_ref()
                .and_then(|call| tools.get(call).cloned()),
            _ => None,
        })
        .collect();
    let keys = digested
        .iter()
        .zip(&resolved)
        .map(|(digest, tool)| match tool {
            Some(tool) => format!("{}\u{0}{tool}", digest.kind),
            None => digest.kind.clone(),
        })
        .collect();
    Ok(Side {
        ids,
        digests: digested,
        keys,
        tools: resolved,
    })
}

/// The event without its volatile fields.
fn essence(event: &Map<String, Value>) -> Map<String, Value> {
    event
        .iter()
        .filter(|(key, _)| !VOLATILE_FIELDS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// The event as stored without its volatile fields: large values stay `null` with their blob named under `$refs`
/// (a blob's id is a hash of its content, so equal values have equal references).
pub(super) fn stored_essence(event: &Map<String, Value>) -> Map<String, Value> {
    let mut essence = essence(event);
    if let Some(Value::Array(refs)) = event.get(crate::event::REFS_FIELD) {
        let kept: Vec<Value> = refs
            .iter()
            .filter(|reference| {
                let path = reference.get("path").and_then(Value::as_str).unwrap_or("");
                let field = path.trim_start_matches('/').split('/').next().unwrap_or("");
                !VOLATILE_FIELDS.contains(&field)
            })
            .map(|reference| serde_json::json!([reference.get("path"), reference.get("blob")]))
            .collect();
        if !kept.is_empty() {
            essence.insert(crate::event::REFS_FIELD.into(), Value::Array(kept));
        }
    }
    essence
}

/// The fields that differ between two values, as JSON Pointers: objects are compared key by key, arrays of the
/// same length element by element, anything else as a whole.
pub fn field_changes(a: &Value, b: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    compare(a, b, &mut String::new(), &mut out);
    out
}

fn compare(a: &Value, b: &Value, path: &mut String, out: &mut Vec<FieldChange>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let length = path.len();
                path.push('/');
                path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                match (a.get(key), b.get(key)) {
                    (Some(a), Some(b)) => compare(a, b, path, out),
                    (a, b) => out.push(FieldChange {
                        path: path.clone(),
                        a: a.cloned(),
                        b: b.cloned(),
                    }),
                }
                path.truncate(length);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (index, (a, b)) in a.iter().zip(b).enumerate() {
                let length = path.len();
                path.push('/');
                path.push_str(&index.to_string());
                compare(a, b, path, out);
                path.truncate(length);
            }
        }
        _ => out.push(FieldChange {
            path: path.clone(),
            a: Some(a.clone()),
            b: Some(b.clone()),
        }),
    }
}

/// A changed pair once compared: its op's index, the fields that differ, and both events with payloads resolved.
/// Aligns `a` and `b` (after the shared prefix, which starts both at `prefix`): the ops, and for each changed pair
/// its op's index and its two event indexes. Events whose signature the other run lacks are never aligned
/// (patience alignment over the signatures both have); between two aligned events, events with the same pairing key
/// pair up in order as changed.
fn align(a: &Side, b: &Side, prefix: u64) -> (Vec<DiffOp>, Vec<(usize, usize, usize)>) {
    let in_a: std::collections::HashSet<[u8; 16]> =
        a.digests.iter().map(|digest| digest.signature).collect();
    let in_b: std::collections::HashSet<[u8; 16]> =
        b.digests.iter().map(|digest| digest.signature).collect();
    let kept_a: Vec<usize> = (0..a.digests.len())
        .filter(|&index| in_b.contains(&a.digests[index].signature))
        .collect();
    let kept_b: Vec<usize> = (0..b.digests.len())
        .filter(|&index| in_a.contains(&b.digests[index].signature))
        .collect();
    let sig_a: Vec<[u8; 16]> = kept_a
        .iter()
        .map(|&index| a.digests[index].signature)
        .collect();
    let sig_b: Vec<[u8; 16]> = kept_b
        .iter()
        .map(|&index| b.digests[index].signature)
        .collect();
    let mut matches: Vec<(usize, usize)> = Vec::new();
    for op in similar::capture_diff_slices(similar::Algorithm::Patience, &sig_a, &sig_b) {
        if let similar::DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            for offset in 0..len {
                matches.push((kept_a[old_index + offset], kept_b[new_index + offset]));
            }
        }
    }
    let seq = |index: usize| prefix + index as u64;
    let mut ops = Vec::with_capacity(a.ids.len().max(b.ids.len()));
    let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
    let mut start = (0, 0);
    for end in matches.into_iter().map(Some).chain(std::iter::once(None)) {
        let (end_a, end_b) = end.unwrap_or((a.ids.len(), b.ids.len()));
        // Between two aligned events: events of the same kind and tool pair up in order (each B event of a key
        // is found from a queue, so a long stretch costs its length, not its square).
        let mut queues: HashMap<&str, std::collections::VecDeque<usize>> = HashMap::new();
        for (index_b, key) in b.keys.iter().enumerate().take(end_b).skip(start.1) {
            queues.entry(key.as_str()).or_default().push_back(index_b);
        }
        let mut next_b = start.1;
        for (index_a, key) in a.keys.iter().enumerate().take(end_a).skip(start.0) {
            let queue = queues.get_mut(key.as_str());
            let partner = queue.and_then(|queue| {
                while queue.front().is_some_and(|&index_b| index_b < next_b) {
                    queue.pop_front();
                }
                queue.pop_front()
            });
            match partner {
                Some(index_b) => {
                    for skipped in next_b..index_b {
                        ops.push(DiffOp::OnlyB { b: seq(skipped) });
                    }
                    pairs.push((ops.len(), index_a, index_b));
                    ops.push(DiffOp::Changed {
                        a: seq(index_a),
                        b: seq(index_b),
                        fields: Vec::new(),
                    });
                    next_b = index_b + 1;
                }
                None => ops.push(DiffOp::OnlyA { a: seq(index_a) }),
            }
        }
        for rest in next_b..end_b {
            ops.push(DiffOp::OnlyB { b: seq(rest) });
        }
        if let Some((index_a, index_b)) = end {
            ops.push(DiffOp::Same {
                a: seq(index_a),
                b: seq(index_b),
            });
            start = (index_a + 1, index_b + 1);
        }
    }
    (ops, pairs)
}

/// How to diff.
#[derive(Clone, Debug, Default)]
pub struct DiffOptions {
    /// Read the events that are the same in both runs too (by default only their kind and tool are known).
    pub same_events: bool,
    /// Where event digests are kept between diffs (`.hive/cache/diff`); none: computed each time.
    pub cache: Option<std::path::PathBuf>,
}

impl Repository {
    /// Compares two runs (or any two commits, named as `hive show` names them).
    pub fn diff(&self, a: &str, b: &str) -> Result<RunDiff, RepoError> {
        self.diff_with(a, b, false)
    }

    /// Like [`Repository::diff`]; `same_events` reads the events both runs hold alike as well.
    pub fn diff_with(&self, a: &str, b: &str, same_events: bool) -> Result<RunDiff, RepoError> {
        let side = |name: &str| -> Result<DiffSide, RepoError> {
            let head = self.resolve_commit(name)?;
            let commit = history::read_commit(&self.odb, head)?;
            Ok(DiffSide {
                name: name.to_string(),
                head,
                commit,
            })
        };
        let (a, b) = (side(a)?, side(b)?);
        let options = DiffOptions {
            same_events,
            cache: Some(self.dir.join("cache").join("diff")),
        };
        diff_commits(&self.odb, a, b, &options)
    }
}

/// Compares the runs at two commits. Only event lists and digests are read to align them; events are read for
/// what is shown: both events of each changed pair (payloads resolved, to compare their fields), the events only
/// one run has, and, when asked, the events that are the same.
pub fn diff_commits(
    store: &dyn ObjectStore,
    a: DiffSide,
    b: DiffSide,
    options: &DiffOptions,
) -> Result<RunDiff, RepoError> {
    let (lists_a, lists_b) = (
        history::run_lists(store, a.head)?,
        history::run_lists(store, b.head)?,
    );
    let ids = |lists: &[(ObjectId, EventList)]| -> Vec<ObjectId> {
        lists
            .iter()
            .flat_map(|(_, list)| list.events.iter().copied())
            .collect()
    };
    let (ids_a, ids_b) = (ids(&lists_a), ids(&lists_b));
    let prefix = ids_a.iter().zip(&ids_b).take_while(|(a, b)| a == b).count();
    let digests = Digests {
        store,
        cache: options.cache.as_deref(),
    };
    let (side_a, side_b) = (
        side(&digests, &lists_a, prefix)?,
        side(&digests, &lists_b, prefix)?,
    );
    let (mut ops, pairs) = align(&side_a, &side_b, prefix as u64);
    // Which events to read: (side, index, resolve payloads).
    let mut wanted: Vec<(bool, usize, bool)> = Vec::new();
    let paired: std::collections::HashSet<(usize, usize)> = pairs
        .iter()
        .map(|&(_, index_a, index_b)| (index_a, index_b))
        .collect();
    for op in &ops {
        let (seq_a, seq_b) = op.seqs();
        let resolve = matches!(op, DiffOp::Changed { .. });
        if matches!(op, DiffOp::Same { .. }) && !options.same_events {
            continue;
        }
        if let Some(seq) = seq_a {
            wanted.push((true, (seq - prefix as u64) as usize, resolve));
        }
        if let Some(seq) = seq_b {
            wanted.push((false, (seq - prefix as u64) as usize, resolve));
        }
    }
    debug_assert!(paired.len() <= wanted.len());
    let read: Vec<(bool, usize, Map<String, Value>)> = wanted
        .par_iter()
        .with_min_len(16)
        .map(|&(is_a, index, resolve)| {
            let id = if is_a {
                side_a.ids[index]
            } else {
                side_b.ids[index]
            };
            let mut event = read_event(store, id)?;
            if resolve {
                payload::resolve(&mut event, store)?;
            }
            Ok((is_a, index, event))
        })
        .collect::<Result<_, RepoError>>()?;
    let mut events_a: HashMap<u64, DiffEvent> = HashMap::new();
    let mut events_b: HashMap<u64, DiffEvent> = HashMap::new();
    for (is_a, index, event) in read {
        let (side, events) = if is_a {
            (&side_a, &mut events_a)
        } else {
            (&side_b, &mut events_b)
        };
        events.insert(
            (prefix + index) as u64,
            DiffEvent {
                kind: side.digests[index].kind.clone(),
                tool: side.tools[index].clone(),
                event: Some(event),
            },
        );
    }
    // Same events not read are known by kind and tool.
    for (side, events) in [(&side_a, &mut events_a), (&side_b, &mut events_b)] {
        for (index, digest) in side.digests.iter().enumerate() {
            events
                .entry((prefix + index) as u64)
                .or_insert_with(|| DiffEvent {
                    kind: digest.kind.clone(),
                    tool: side.tools[index].clone(),
                    event: None,
                });
        }
    }
    // The fields of each changed pair, from the events with payloads resolved.
    for &(op, index_a, index_b) in &pairs {
        let field = |events: &HashMap<u64, DiffEvent>, index: usize| {
            events
                .get(&((prefix + index) as u64))
                .and_then(|event| event.event.as_ref())
                .map(|event| Value::Object(essence(event)))
                .unwrap_or(Value::Null)
        };
        let changes = field_changes(&field(&events_a, index_a), &field(&events_b, index_b));
        if let DiffOp::Changed { fields, .. } = &mut ops[op] {
            *fields = changes;
        }
    }
    Ok(RunDiff {
        a,
        b,
        shared_prefix: prefix as u64,
        ops,
        events_a,
        events_b,
    })
}

/// What `diff --stat` puts side by side: a run's metadata, its tool calls per tool and its errors.
#[derive(Clone, Debug)]
pub struct RunStats {
    /// What was asked for.
    pub name: String,
    /// The commit.
    pub head: ObjectId,
    /// That commit (its `run` holds events, tokens, cost, duration, status).
    pub commit: Commit,
    /// Tool calls per tool.
    pub tool_calls: std::collections::BTreeMap<String, u64>,
    /// `error` events and tool results marked as errors.
    pub errors: u64,
}

impl Repository {
    /// The figures of one run (or commit) for `diff --stat`.
    pub fn run_stats(&self, name: &str) -> Result<RunStats, RepoError> {
        let head = self.resolve_commit(name)?;
        let commit = history::read_commit(&self.odb, head)?;
        let ids = event_ids(&self.odb, head)?;
        // Only the fields counted are needed: events are read as stored, payloads left in their blobs.
        let counted: Vec<(Option<String>, bool)> = ids
            .par_iter()
            .with_min_len(64)
            .map(|id| {
                let event = read_event(&self.odb, *id)?;
                let kind = event.get("kind").and_then(Value::as_str).unwrap_or("");
                let tool = (kind == "tool_call").then(|| {
                    event
                        .get("tool")
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_string()
                });
                let error = kind == "error"
                    || (kind == "tool_result" && event.get("is_error") == Some(&Value::Bool(true)));
                Ok((tool, error))
            })
            .collect::<Result<_, RepoError>>()?;
        let mut tool_calls = std::collections::BTreeMap::new();
        let mut errors = 0;
        for (tool, error) in counted {
            if let Some(tool) = tool {
                *tool_calls.entry(tool).or_insert(0) += 1;
            }
            errors += u64::from(error);
        }
        Ok(RunStats {
            name: name.to_string(),
            head,
            commit,
            tool_calls,
            errors,
        })
    }

    /// The commit a run name or revision names; an event or another object is refused.
    fn resolve_commit(&self, name: &str) -> Result<ObjectId, RepoError> {
        match self.resolve(name)? {
            super::Resolved::Commit { id, .. } => Ok(id),
            super::Resolved::Event { .. } => Err(RepoError::NotACommit(name.to_string())),
            super::Resolved::Object(id) => {
                history::read_commit(&self.odb, id)
                    .map_err(|_| RepoError::NotACommit(name.to_string()))?;
                Ok(id)
            }
        }
    }
}
