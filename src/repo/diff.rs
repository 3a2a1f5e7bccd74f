//! `diff`: two runs aligned event by event.
//!
//! Events are compared by signature: the event without what differs between any two runs (its seq, time,
//! attributes, source record, call ids, parent link, usage and timing). The two sequences are aligned with the
//! patience algorithm over signatures; between two aligned events, events of the same kind (and tool) are paired
//! as changed, in order, and the rest are only in one run. Runs that share history (a fork and its source) share
//! event objects: that prefix is found from the event ids alone, without reading an event, so the cost is that of
//! the part that differs.

use super::history::{self, read_event};
use super::{RepoError, Repository};
use crate::id::ObjectId;
use crate::object::Commit;
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

/// A diffed event: its kind and tool, and a short text for display.
#[derive(Clone, Debug)]
pub struct DiffEvent {
    /// The event's kind.
    pub kind: String,
    /// The tool, for a tool call or its result.
    pub tool: Option<String>,
    /// The event as stored: payloads resolved for the events of changed pairs, left in their blobs (`null` with
    /// `$refs`) for the others ([`crate::payload::resolve`] puts them back).
    pub event: Map<String, Value>,
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
    /// The events of A after the shared prefix, by seq.
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

/// An event read for comparing: its signature, its pairing key, and the event.
struct Read {
    signature: [u8; 32],
    key: String,
    event: DiffEvent,
}

/// The ids of a run's events, oldest first, from its commits and event lists (no event is read).
fn event_ids(store: &dyn ObjectStore, head: ObjectId) -> Result<Vec<ObjectId>, RepoError> {
    Ok(history::run_segments(store, head)?
        .into_iter()
        .flat_map(|segment| segment.events)
        .collect())
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
fn stored_essence(event: &Map<String, Value>) -> Map<String, Value> {
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

/// Reads events `ids` as stored (payloads not resolved), each with its signature and pairing key. A result's tool is its call's:
/// found among `ids`, or else among `before` (the events before them), read backwards only as far as needed.
fn read_events(
    store: &dyn ObjectStore,
    ids: &[ObjectId],
    before: &[ObjectId],
) -> Result<Vec<Read>, RepoError> {
    let mut reads: Vec<Read> = ids
        .par_iter()
        .with_min_len(64)
        .map(|id| {
            let event = read_event(store, *id)?;
            let kind = event
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let tool = event
                .get("tool")
                .and_then(Value::as_str)
                .map(str::to_string);
            let bytes = crate::canonical::to_vec(&Value::Object(stored_essence(&event)));
            Ok(Read {
                signature: *blake3::hash(&bytes).as_bytes(),
                key: String::new(),
                event: DiffEvent { kind, tool, event },
            })
        })
        .collect::<Result<_, RepoError>>()?;
    let call_of = |event: &Map<String, Value>| {
        event
            .get("call_id")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut tools: HashMap<String, String> = HashMap::new();
    for read in &reads {
        if read.event.kind == "tool_call"
            && let (Some(call), Some(tool)) = (call_of(&read.event.event), &read.event.tool)
        {
            tools.insert(call, tool.clone());
        }
    }
    let mut wanted: std::collections::HashSet<String> = reads
        .iter()
        .filter(|read| read.event.tool.is_none() && read.event.kind == "tool_result")
        .filter_map(|read| call_of(&read.event.event))
        .filter(|call| !tools.contains_key(call))
        .collect();
    for id in before.iter().rev() {
        if wanted.is_empty() {
            break;
        }
        let event = read_event(store, *id)?;
        if event.get("kind").and_then(Value::as_str) == Some("tool_call")
            && let (Some(call), Some(tool)) =
                (call_of(&event), event.get("tool").and_then(Value::as_str))
            && wanted.remove(&call)
        {
            tools.insert(call, tool.to_string());
        }
    }
    for read in &mut reads {
        if read.event.tool.is_none() && read.event.kind == "tool_result" {
            read.event.tool = call_of(&read.event.event).and_then(|call| tools.get(&call).cloned());
        }
        read.key = match &read.event.tool {
            Some(tool) => format!("{}\u{0}{tool}", read.event.kind),
            None => read.event.kind.clone(),
        };
    }
    Ok(reads)
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
type ChangedPair = (
    usize,
    Vec<FieldChange>,
    Map<String, Value>,
    Map<String, Value>,
);

/// Aligns `a` and `b` (after the shared prefix, which starts both at `prefix`). Events whose signature the other
/// run does not have can never be matched, so the patience alignment runs over the others only: runs that have
/// little in common cost little to align.
fn align(
    store: &dyn ObjectStore,
    a: &mut [Read],
    b: &mut [Read],
    prefix: u64,
) -> Result<Vec<DiffOp>, RepoError> {
    let in_a: std::collections::HashSet<[u8; 32]> = a.iter().map(|read| read.signature).collect();
    let in_b: std::collections::HashSet<[u8; 32]> = b.iter().map(|read| read.signature).collect();
    let kept_a: Vec<usize> = (0..a.len())
        .filter(|&index| in_b.contains(&a[index].signature))
        .collect();
    let kept_b: Vec<usize> = (0..b.len())
        .filter(|&index| in_a.contains(&b[index].signature))
        .collect();
    let sig_a: Vec<[u8; 32]> = kept_a.iter().map(|&index| a[index].signature).collect();
    let sig_b: Vec<[u8; 32]> = kept_b.iter().map(|&index| b[index].signature).collect();
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
    let mut ops = Vec::with_capacity(a.len().max(b.len()));
    let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
    let mut start = (0, 0);
    for end in matches.into_iter().map(Some).chain(std::iter::once(None)) {
        let (end_a, end_b) = end.unwrap_or((a.len(), b.len()));
        // Between two aligned events: events of the same kind and tool pair up in order (each B event of a key
        // is found from a queue, so a long stretch costs its length, not its square).
        let mut queues: HashMap<&str, std::collections::VecDeque<usize>> = HashMap::new();
        for (index_b, read) in b.iter().enumerate().take(end_b).skip(start.1) {
            queues
                .entry(read.key.as_str())
                .or_default()
                .push_back(index_b);
        }
        let mut next_b = start.1;
        for (index_a, read) in a.iter().enumerate().take(end_a).skip(start.0) {
            let queue = queues.get_mut(read.key.as_str());
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
    // The fields of each changed pair, payloads resolved (only these events' payloads are read).
    let fields: Vec<ChangedPair> = pairs
        .par_iter()
        .with_min_len(16)
        .map(|&(op, index_a, index_b)| {
            let mut event_a = a[index_a].event.event.clone();
            let mut event_b = b[index_b].event.event.clone();
            payload::resolve(&mut event_a, store)?;
            payload::resolve(&mut event_b, store)?;
            let changes = field_changes(
                &Value::Object(essence(&event_a)),
                &Value::Object(essence(&event_b)),
            );
            Ok((op, changes, event_a, event_b))
        })
        .collect::<Result<_, RepoError>>()?;
    for ((op, changes, event_a, event_b), &(_, index_a, index_b)) in fields.into_iter().zip(&pairs)
    {
        if let DiffOp::Changed { fields, .. } = &mut ops[op] {
            *fields = changes;
        }
        a[index_a].event.event = event_a;
        b[index_b].event.event = event_b;
    }
    Ok(ops)
}

impl Repository {
    /// Compares two runs (or any two commits, named as `hive show` names them).
    pub fn diff(&self, a: &str, b: &str) -> Result<RunDiff, RepoError> {
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
        diff_commits(&self.odb, a, b)
    }
}

/// Compares the runs at two commits.
pub fn diff_commits(
    store: &dyn ObjectStore,
    a: DiffSide,
    b: DiffSide,
) -> Result<RunDiff, RepoError> {
    let (ids_a, ids_b) = (event_ids(store, a.head)?, event_ids(store, b.head)?);
    let prefix = ids_a.iter().zip(&ids_b).take_while(|(a, b)| a == b).count();
    let (rest_a, rest_b) = (&ids_a[prefix..], &ids_b[prefix..]);
    let mut read_a = read_events(store, rest_a, &ids_a[..prefix])?;
    let mut read_b = read_events(store, rest_b, &ids_b[..prefix])?;
    let ops = align(store, &mut read_a, &mut read_b, prefix as u64)?;
    let events = |reads: Vec<Read>| -> HashMap<u64, DiffEvent> {
        reads
            .into_iter()
            .enumerate()
            .map(|(index, read)| ((prefix + index) as u64, read.event))
            .collect()
    };
    Ok(RunDiff {
        a,
        b,
        shared_prefix: prefix as u64,
        ops,
        events_a: events(read_a),
        events_b: events(read_b),
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
