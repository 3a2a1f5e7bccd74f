//! Objects: the raw (kind, body) pair every store holds, and the typed bodies hive builds from it.
//!
//! Byte layouts are in docs/FORMAT.md; golden tests in tests/golden.rs pin them.

use crate::id::{self, HEADER_LEN, ID_LEN, ObjectId, ObjectKind};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An object as stores hold it: a kind and its body bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawObject {
    /// The kind written into the header.
    pub kind: ObjectKind,
    /// The body bytes that follow the header.
    pub body: Vec<u8>,
}

impl RawObject {
    /// Pairs a kind with its body.
    pub fn new(kind: ObjectKind, body: Vec<u8>) -> Self {
        RawObject { kind, body }
    }

    /// Computes the id.
    pub fn id(&self) -> ObjectId {
        ObjectId::hash(self.kind, &self.body)
    }

    /// Hashes the object, for writing.
    pub fn hashed(self) -> HashedObject {
        HashedObject {
            id: self.id(),
            raw: self,
        }
    }

    /// Header followed by body: the bytes the id is the hash of.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.body.len());
        out.extend_from_slice(&id::header(self.kind, self.body.len() as u64));
        out.extend_from_slice(&self.body);
        out
    }

    /// Parses canonical bytes back into an object.
    pub fn from_canonical(bytes: &[u8]) -> Result<RawObject, id::HeaderError> {
        let (kind, body) = id::parse_header(bytes)?;
        Ok(RawObject::new(kind, body.to_vec()))
    }
}

/// An object together with its id; only [`RawObject::hashed`] makes one, so the id always matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashedObject {
    id: ObjectId,
    raw: RawObject,
}

impl HashedObject {
    /// The object's id.
    pub fn id(&self) -> ObjectId {
        self.id
    }
    /// The object's kind.
    pub fn kind(&self) -> ObjectKind {
        self.raw.kind
    }
    /// The object's body.
    pub fn body(&self) -> &[u8] {
        &self.raw.body
    }
    /// The object without its id.
    pub fn raw(&self) -> &RawObject {
        &self.raw
    }
}

/// Why a body does not decode as the typed object its kind promises.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The object has another kind than the one asked for.
    #[error("expected a {expected} object, found a {found}")]
    Kind {
        /// The kind asked for.
        expected: ObjectKind,
        /// The kind found.
        found: ObjectKind,
    },
    /// A binary body is cut short or has trailing bytes.
    #[error("{kind} body is malformed: {reason}")]
    Malformed {
        /// The kind being decoded.
        kind: ObjectKind,
        /// What is wrong.
        reason: String,
    },
    /// A JSON body does not parse.
    #[error("{kind} body is not valid JSON: {source}")]
    Json {
        /// The kind being decoded.
        kind: ObjectKind,
        /// The parser's complaint.
        source: serde_json::Error,
    },
}

fn expect_kind(raw: &RawObject, expected: ObjectKind) -> Result<(), DecodeError> {
    if raw.kind == expected {
        Ok(())
    } else {
        Err(DecodeError::Kind {
            expected,
            found: raw.kind,
        })
    }
}

fn malformed(kind: ObjectKind, reason: impl Into<String>) -> DecodeError {
    DecodeError::Malformed {
        kind,
        reason: reason.into(),
    }
}

/// A small cursor over a binary body.
struct Reader<'a> {
    bytes: &'a [u8],
    kind: ObjectKind,
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [u8], DecodeError> {
        if self.bytes.len() < count {
            return Err(malformed(self.kind, "body ends early"));
        }
        let (head, rest) = self.bytes.split_at(count);
        self.bytes = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn id(&mut self) -> Result<ObjectId, DecodeError> {
        Ok(ObjectId::from_bytes(
            self.take(ID_LEN)?.try_into().expect("32 bytes"),
        ))
    }
    fn finish(self) -> Result<(), DecodeError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(malformed(
                self.kind,
                format!("{} trailing bytes", self.bytes.len()),
            ))
        }
    }
}

/// An ordered segment of a run's events: the seq of the first one, then the ids in seq order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventList {
    /// Seq of the first event in the segment.
    pub first_seq: u64,
    /// Event ids, in seq order.
    pub events: Vec<ObjectId>,
}

impl EventList {
    /// Encodes as `first_seq u64 LE | count u32 LE | count × id`.
    pub fn encode(&self) -> RawObject {
        let mut body = Vec::with_capacity(12 + self.events.len() * ID_LEN);
        body.extend_from_slice(&self.first_seq.to_le_bytes());
        body.extend_from_slice(&(self.events.len() as u32).to_le_bytes());
        for event in &self.events {
            body.extend_from_slice(event.as_bytes());
        }
        RawObject::new(ObjectKind::EventList, body)
    }

    /// Decodes an event-list object.
    pub fn decode(raw: &RawObject) -> Result<EventList, DecodeError> {
        expect_kind(raw, ObjectKind::EventList)?;
        let mut reader = Reader {
            bytes: &raw.body,
            kind: raw.kind,
        };
        let first_seq = reader.u64()?;
        let count = reader.u32()? as usize;
        if reader.bytes.len() != count * ID_LEN {
            return Err(malformed(
                raw.kind,
                format!("count {count} disagrees with body length"),
            ));
        }
        let events = (0..count).map(|_| reader.id()).collect::<Result<_, _>>()?;
        reader.finish()?;
        Ok(EventList { first_seq, events })
    }
}

/// What a tree entry names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A blob holding a value.
    Blob,
    /// A nested tree.
    Tree,
}

/// One named entry of a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeEntry {
    /// Entry name: non-empty UTF-8, unique within the tree.
    pub name: String,
    /// What the id names.
    pub kind: EntryKind,
    /// The entry's object.
    pub id: ObjectId,
}

/// Workspace state: entries sorted by the bytes of their names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    /// Entries, sorted by name bytes, names unique.
    pub entries: Vec<TreeEntry>,
}

impl Tree {
    /// Encodes as a sequence of `kind u8 | name length u16 LE | name | id`, sorted by name.
    pub fn encode(&self) -> RawObject {
        let mut entries: Vec<&TreeEntry> = self.entries.iter().collect();
        entries.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        let mut body = Vec::new();
        for entry in entries {
            body.push(match entry.kind {
                EntryKind::Blob => 1,
                EntryKind::Tree => 2,
            });
            body.extend_from_slice(&(entry.name.len() as u16).to_le_bytes());
            body.extend_from_slice(entry.name.as_bytes());
            body.extend_from_slice(entry.id.as_bytes());
        }
        RawObject::new(ObjectKind::Tree, body)
    }

    /// Decodes a tree, refusing unsorted or duplicate names.
    pub fn decode(raw: &RawObject) -> Result<Tree, DecodeError> {
        expect_kind(raw, ObjectKind::Tree)?;
        let mut reader = Reader {
            bytes: &raw.body,
            kind: raw.kind,
        };
        let mut entries: Vec<TreeEntry> = Vec::new();
        while !reader.bytes.is_empty() {
            let kind = match reader.u8()? {
                1 => EntryKind::Blob,
                2 => EntryKind::Tree,
                other => return Err(malformed(raw.kind, format!("unknown entry kind {other}"))),
            };
            let length = reader.u16()? as usize;
            let name = std::str::from_utf8(reader.take(length)?)
                .map_err(|_| malformed(raw.kind, "entry name is not UTF-8"))?
                .to_string();
            let id = reader.id()?;
            if let Some(previous) = entries.last()
                && previous.name.as_bytes() >= name.as_bytes()
            {
                return Err(malformed(raw.kind, "entries are not sorted and unique"));
            }
            entries.push(TreeEntry { name, kind, id });
        }
        Ok(Tree { entries })
    }
}

/// A large payload split at content-defined boundaries: total size, then each chunk's size and blob id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunks {
    /// Sum of the chunk sizes.
    pub total: u64,
    /// `(size, blob id)` of each chunk, in order.
    pub chunks: Vec<(u32, ObjectId)>,
}

impl Chunks {
    /// Encodes as `total u64 LE | count u32 LE | count × (size u32 LE | id)`.
    pub fn encode(&self) -> RawObject {
        let mut body = Vec::with_capacity(12 + self.chunks.len() * (4 + ID_LEN));
        body.extend_from_slice(&self.total.to_le_bytes());
        body.extend_from_slice(&(self.chunks.len() as u32).to_le_bytes());
        for (size, id) in &self.chunks {
            body.extend_from_slice(&size.to_le_bytes());
            body.extend_from_slice(id.as_bytes());
        }
        RawObject::new(ObjectKind::Chunks, body)
    }

    /// Decodes a chunk list, checking that the sizes add up.
    pub fn decode(raw: &RawObject) -> Result<Chunks, DecodeError> {
        expect_kind(raw, ObjectKind::Chunks)?;
        let mut reader = Reader {
            bytes: &raw.body,
            kind: raw.kind,
        };
        let total = reader.u64()?;
        let count = reader.u32()? as usize;
        let mut chunks = Vec::with_capacity(count.min(1 << 20));
        for _ in 0..count {
            chunks.push((reader.u32()?, reader.id()?));
        }
        reader.finish()?;
        let sum: u64 = chunks.iter().map(|(size, _)| u64::from(*size)).sum();
        if sum != total {
            return Err(malformed(
                raw.kind,
                format!("chunk sizes add up to {sum}, not {total}"),
            ));
        }
        Ok(Chunks { total, chunks })
    }
}

/// Token counts summed over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenTotals {
    /// Prompt tokens.
    #[serde(default)]
    pub input: u64,
    /// Completion tokens.
    #[serde(default)]
    pub output: u64,
    /// Prompt tokens read from a cache.
    #[serde(default)]
    pub cache_read: u64,
    /// Prompt tokens written to a cache.
    #[serde(default)]
    pub cache_write: u64,
}

impl TokenTotals {
    /// Adds another set of counts (saturating: absurd counts cannot make a run uncommittable).
    pub fn add(&mut self, other: &TokenTotals) {
        self.input = self.input.saturating_add(other.input);
        self.output = self.output.saturating_add(other.output);
        self.cache_read = self.cache_read.saturating_add(other.cache_read);
        self.cache_write = self.cache_write.saturating_add(other.cache_write);
    }

    /// Whether every count is zero.
    pub fn is_zero(&self) -> bool {
        *self == TokenTotals::default()
    }
}

/// The code repository a session ran in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeContext {
    /// Work tree root.
    pub root: String,
    /// HEAD commit, hex; absent in a repository without commits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Checked-out branch; absent when HEAD is detached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Whether tracked files differ from HEAD.
    #[serde(default)]
    pub dirty: bool,
}

/// Run metadata carried by every commit: the state of the run after it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    /// The run's name (its branch).
    pub name: String,
    /// The agent's own session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The agent that ran the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The model that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The workspace the run belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// `running`, or the status of the last checkpoint or session end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Free-form labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// A reviewer's rating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<i64>,
    /// Tokens summed over the run's assistant messages.
    #[serde(default, skip_serializing_if = "TokenTotals::is_zero")]
    pub tokens: TokenTotals,
    /// Cost summed over the run, in US dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Time of the run's first event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    /// Milliseconds from the first to the last event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Number of events in the run up to and including this commit.
    pub events: u64,
    /// The code repository the session ran in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeContext>,
    /// The run this one was forked from, for a fork.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forked_from: Option<ForkPoint>,
    /// For a workspace's commits: the workspace it inherits from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inherits: Option<String>,
    /// Fields written by a newer hive, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where a fork came from: its first `seq` events are the first `seq` events of `run` (the same event objects),
/// and its own events, if any, follow them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForkPoint {
    /// The run forked.
    pub run: String,
    /// Events taken from it.
    pub seq: u64,
}

/// A commit: one step of a run's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Commit {
    /// Previous commit of the run first; a second parent for merges and promotions.
    #[serde(default, with = "id_list")]
    pub parents: Vec<ObjectId>,
    /// The event list this commit appends; absent when it appends none.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "optional_id")]
    pub events: Option<ObjectId>,
    /// Workspace state after the commit; absent while the run has no state.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "optional_id")]
    pub tree: Option<ObjectId>,
    /// `Name <email>`.
    pub author: String,
    /// RFC 3339 time of the commit.
    pub time: String,
    /// What the commit is.
    #[serde(default)]
    pub message: String,
    /// The run after this commit.
    pub run: RunMeta,
    /// Fields written by a newer hive, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Commit {
    /// Encodes as canonical JSON.
    pub fn encode(&self) -> RawObject {
        let value = serde_json::to_value(self).expect("a commit always serializes");
        RawObject::new(ObjectKind::Commit, crate::canonical::to_vec(&value))
    }

    /// Decodes a commit object.
    pub fn decode(raw: &RawObject) -> Result<Commit, DecodeError> {
        expect_kind(raw, ObjectKind::Commit)?;
        serde_json::from_slice(&raw.body).map_err(|source| DecodeError::Json {
            kind: raw.kind,
            source,
        })
    }

    /// The commit time, parsed.
    pub fn timestamp(&self) -> Option<Timestamp> {
        Timestamp::parse(&self.time).ok()
    }

    /// The first parent: the run's previous commit.
    pub fn first_parent(&self) -> Option<ObjectId> {
        self.parents.first().copied()
    }
}

/// Decodes an event object's body as JSON.
pub fn decode_event_json(raw: &RawObject) -> Result<Map<String, Value>, DecodeError> {
    expect_kind(raw, ObjectKind::Event)?;
    serde_json::from_slice(&raw.body).map_err(|source| DecodeError::Json {
        kind: raw.kind,
        source,
    })
}

mod id_list {
    use crate::id::ObjectId;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(ids: &[ObjectId], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(ids.iter().map(ObjectId::to_hex))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<ObjectId>, D::Error> {
        let texts = Vec::<String>::deserialize(deserializer)?;
        texts
            .iter()
            .map(|text| ObjectId::from_hex(text).map_err(D::Error::custom))
            .collect()
    }
}

mod optional_id {
    use crate::id::ObjectId;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(
        id: &Option<ObjectId>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match id {
            Some(id) => serializer.serialize_str(&id.to_hex()),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<ObjectId>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| ObjectId::from_hex(&text).map_err(D::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some_id(seed: u8) -> ObjectId {
        ObjectId::hash(ObjectKind::Blob, &[seed])
    }

    #[test]
    fn event_list_round_trip() {
        let list = EventList {
            first_seq: 7,
            events: vec![some_id(1), some_id(2)],
        };
        assert_eq!(EventList::decode(&list.encode()).unwrap(), list);
        let mut raw = list.encode();
        raw.body.pop();
        assert!(EventList::decode(&raw).is_err());
    }

    #[test]
    fn tree_round_trip_sorts() {
        let tree = Tree {
            entries: vec![
                TreeEntry {
                    name: "b".into(),
                    kind: EntryKind::Blob,
                    id: some_id(1),
                },
                TreeEntry {
                    name: "a".into(),
                    kind: EntryKind::Tree,
                    id: some_id(2),
                },
            ],
        };
        let decoded = Tree::decode(&tree.encode()).unwrap();
        assert_eq!(decoded.entries[0].name, "a");
        assert_eq!(decoded.entries.len(), 2);
    }

    #[test]
    fn chunks_round_trip_checks_total() {
        let chunks = Chunks {
            total: 5,
            chunks: vec![(2, some_id(1)), (3, some_id(2))],
        };
        assert_eq!(Chunks::decode(&chunks.encode()).unwrap(), chunks);
        let bad = Chunks { total: 6, ..chunks };
        assert!(Chunks::decode(&bad.encode()).is_err());
    }

    #[test]
    fn commit_keeps_unknown_fields() {
        let text = br#"{"author":"A <a@x>","future":{"x":1},"message":"m","parents":[],"run":{"events":0,"later":true,"name":"r"},"time":"2026-01-01T00:00:00.000Z"}"#;
        let raw = RawObject::new(ObjectKind::Commit, text.to_vec());
        let commit = Commit::decode(&raw).unwrap();
        assert_eq!(commit.extra["future"]["x"], 1);
        assert_eq!(commit.run.extra["later"], true);
        assert_eq!(commit.encode(), raw);
    }
}
