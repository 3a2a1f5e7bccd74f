//! State: the key/value entries (a run's `state_update`s, a workspace's memory) in a commit's tree, and the
//! three-way merge of two states against their merge base.
//!
//! An entry without tags is a blob of the value's canonical JSON (as every run has stored it from the start); an
//! entry with tags is a tree of two blobs, `tags` (a JSON array of strings, sorted) and `value`.

use super::RepoError;
use crate::canonical;
use crate::id::{ObjectId, ObjectKind};
use crate::object::{EntryKind, HashedObject, RawObject, Tree, TreeEntry};
use crate::store::ObjectStore;
use serde_json::Value;
use std::collections::BTreeMap;

/// One entry as stored: its kind and object. Equal content gives equal ids, so entries compare by this alone.
pub type StoredEntry = (EntryKind, ObjectId);

/// A state as stored: every key with its entry.
pub type StoredState = BTreeMap<String, StoredEntry>;

/// One entry read back.
#[derive(Clone, Debug, PartialEq)]
pub struct StateEntry {
    /// The value.
    pub value: Value,
    /// Its tags, sorted, each once.
    pub tags: Vec<String>,
}

fn missing(id: ObjectId) -> RepoError {
    RepoError::MissingObject(id)
}

fn read_tree(store: &dyn ObjectStore, id: ObjectId) -> Result<Tree, RepoError> {
    let raw = store.read(&id)?.ok_or_else(|| missing(id))?;
    Tree::decode(&raw).map_err(|source| RepoError::Decode { id, source })
}

/// The entries of the state tree `tree` (none for no tree).
pub fn load(store: &dyn ObjectStore, tree: Option<ObjectId>) -> Result<StoredState, RepoError> {
    let Some(id) = tree else {
        return Ok(StoredState::new());
    };
    Ok(read_tree(store, id)?
        .entries
        .into_iter()
        .map(|entry| (entry.name, (entry.kind, entry.id)))
        .collect())
}

/// Stores a state as a tree (added to `objects`); none for an empty state.
pub fn save(state: &StoredState, objects: &mut Vec<HashedObject>) -> Option<ObjectId> {
    if state.is_empty() {
        return None;
    }
    let tree = Tree {
        entries: state
            .iter()
            .map(|(name, (kind, id))| TreeEntry {
                name: name.clone(),
                kind: *kind,
                id: *id,
            })
            .collect(),
    }
    .encode()
    .hashed();
    let id = tree.id();
    objects.push(tree);
    Some(id)
}

/// Stores one entry (its objects added to `objects`).
pub fn encode_entry(
    value: &Value,
    tags: &[String],
    objects: &mut Vec<HashedObject>,
) -> StoredEntry {
    let blob = RawObject::new(ObjectKind::Blob, canonical::to_vec(value)).hashed();
    let value_id = blob.id();
    objects.push(blob);
    let mut tags: Vec<&String> = tags.iter().collect();
    tags.sort();
    tags.dedup();
    if tags.is_empty() {
        return (EntryKind::Blob, value_id);
    }
    let tag_blob = RawObject::new(
        ObjectKind::Blob,
        canonical::to_vec(&Value::Array(
            tags.into_iter()
                .map(|tag| Value::String(tag.clone()))
                .collect(),
        )),
    )
    .hashed();
    let tree = Tree {
        entries: vec![
            TreeEntry {
                name: "tags".into(),
                kind: EntryKind::Blob,
                id: tag_blob.id(),
            },
            TreeEntry {
                name: "value".into(),
                kind: EntryKind::Blob,
                id: value_id,
            },
        ],
    }
    .encode()
    .hashed();
    let id = tree.id();
    objects.push(tag_blob);
    objects.push(tree);
    (EntryKind::Tree, id)
}

fn read_json(store: &dyn ObjectStore, id: ObjectId) -> Result<Value, RepoError> {
    let raw = store.read(&id)?.ok_or_else(|| missing(id))?;
    serde_json::from_slice(&raw.body).map_err(|error| RepoError::Decode {
        id,
        source: crate::object::DecodeError::Malformed {
            kind: raw.kind,
            reason: format!("a state value is not JSON: {error}"),
        },
    })
}

/// Reads one entry back.
pub fn read_entry(store: &dyn ObjectStore, entry: StoredEntry) -> Result<StateEntry, RepoError> {
    match entry {
        (EntryKind::Blob, id) => Ok(StateEntry {
            value: read_json(store, id)?,
            tags: Vec::new(),
        }),
        (EntryKind::Tree, id) => {
            let tree = read_tree(store, id)?;
            let part = |name: &str| {
                tree.entries
                    .iter()
                    .find(|entry| entry.name == name)
                    .map(|entry| entry.id)
                    .ok_or_else(|| RepoError::Decode {
                        id,
                        source: crate::object::DecodeError::Malformed {
                            kind: ObjectKind::Tree,
                            reason: format!("a tagged state entry has no {name}"),
                        },
                    })
            };
            let tags = match read_json(store, part("tags")?)? {
                Value::Array(tags) => tags
                    .into_iter()
                    .filter_map(|tag| tag.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            };
            Ok(StateEntry {
                value: read_json(store, part("value")?)?,
                tags,
            })
        }
    }
}

/// How one key changed from the merge base to the merged state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyChange {
    /// Absent in the base, taken from theirs.
    Added,
    /// Changed on their side, taken.
    Changed,
    /// Removed on their side, removed.
    Removed,
}

/// A key both sides changed differently since the merge base.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyConflict {
    /// The key.
    pub key: String,
    /// Its entry in the merge base (none: absent, or no single base).
    pub base: Option<StoredEntry>,
    /// Whether the histories have several merge bases that disagree about the key.
    pub ambiguous_base: bool,
    /// In ours.
    pub ours: Option<StoredEntry>,
    /// In theirs.
    pub theirs: Option<StoredEntry>,
}

/// How a conflict is settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Report it and merge nothing.
    Refuse,
    /// Keep ours.
    Ours,
    /// Take theirs.
    Theirs,
}

/// A key's entry in the merge base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaseEntry {
    /// The entry (none: absent).
    Known(Option<StoredEntry>),
    /// Several merge bases that disagree.
    Ambiguous,
}

/// A three-way merge of states.
#[derive(Clone, Debug, Default)]
pub struct StateMerge {
    /// The state after the merge (ours with theirs' changes).
    pub merged: StoredState,
    /// The keys taken from theirs, in key order.
    pub taken: Vec<(String, KeyChange)>,
    /// Keys both sides changed differently, in key order (settled by the strategy when it is not `Refuse`).
    pub conflicts: Vec<KeyConflict>,
    /// The keys `selected` let in (those a partial merge considered).
    pub considered: Vec<String>,
}

/// Merges `theirs` into `ours` key by key against each key's entry in the merge base (`base_of`): a key only
/// theirs changed takes their entry, a key only ours changed (or both alike) keeps ours, a key both changed
/// differently (or whose merge bases disagree) is a conflict, which `strategy` settles (or leaves to the caller).
/// `selected` says which of their keys to consider, given the key and its base entry; a key left out keeps ours.
pub fn merge(
    ours: &StoredState,
    theirs: &StoredState,
    strategy: Strategy,
    mut base_of: impl FnMut(&str) -> Result<BaseEntry, RepoError>,
    mut selected: impl FnMut(&str, Option<&StoredEntry>) -> bool,
) -> Result<StateMerge, RepoError> {
    let mut result = StateMerge {
        merged: ours.clone(),
        ..StateMerge::default()
    };
    let keys: std::collections::BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
    for key in keys {
        let (o, t) = (ours.get(key), theirs.get(key));
        if t == o {
            continue;
        }
        let base = base_of(key)?;
        let known = match base {
            BaseEntry::Known(entry) => entry,
            BaseEntry::Ambiguous => None,
        };
        if !selected(key, known.as_ref()) {
            continue;
        }
        result.considered.push(key.clone());
        if base == BaseEntry::Known(t.copied()) {
            continue;
        }
        let change = match (known, t) {
            (None, _) => KeyChange::Added,
            (Some(_), None) => KeyChange::Removed,
            (Some(_), Some(_)) => KeyChange::Changed,
        };
        if base != BaseEntry::Known(o.copied()) {
            result.conflicts.push(KeyConflict {
                key: key.clone(),
                base: known,
                ambiguous_base: base == BaseEntry::Ambiguous,
                ours: o.copied(),
                theirs: t.copied(),
            });
            if strategy != Strategy::Theirs {
                continue;
            }
        }
        match t {
            Some(entry) => result.merged.insert(key.clone(), *entry),
            None => result.merged.remove(key),
        };
        result.taken.push((key.clone(), change));
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(byte: u8) -> StoredEntry {
        (EntryKind::Blob, ObjectId::from_bytes([byte; 32]))
    }

    fn state(pairs: &[(&str, u8)]) -> StoredState {
        pairs
            .iter()
            .map(|(key, byte)| (key.to_string(), entry(*byte)))
            .collect()
    }

    #[test]
    fn merges_key_by_key_and_reports_conflicts() {
        let base = state(&[
            ("same", 1),
            ("ours", 2),
            ("theirs", 3),
            ("both", 4),
            ("gone", 5),
            ("alike", 6),
        ]);
        let ours = state(&[
            ("same", 1),
            ("ours", 20),
            ("theirs", 3),
            ("both", 40),
            ("gone", 5),
            ("alike", 60),
        ]);
        let theirs = state(&[
            ("same", 1),
            ("ours", 2),
            ("theirs", 30),
            ("both", 41),
            ("new", 7),
            ("alike", 60),
        ]);
        let base_of = |key: &str| Ok(BaseEntry::Known(base.get(key).copied()));
        let refused = merge(&ours, &theirs, Strategy::Refuse, base_of, |_, _| true).unwrap();
        assert_eq!(
            refused.taken,
            [
                ("gone".to_string(), KeyChange::Removed),
                ("new".to_string(), KeyChange::Added),
                ("theirs".to_string(), KeyChange::Changed),
            ]
        );
        assert_eq!(refused.conflicts.len(), 1);
        assert_eq!(refused.conflicts[0].key, "both");
        assert_eq!(refused.merged["both"], entry(40));
        assert_eq!(refused.merged["ours"], entry(20));
        assert_eq!(refused.merged["theirs"], entry(30));
        assert!(!refused.merged.contains_key("gone"));
        let theirs_win = merge(&ours, &theirs, Strategy::Theirs, base_of, |_, _| true).unwrap();
        assert_eq!(theirs_win.merged["both"], entry(41));
        let ours_win = merge(&ours, &theirs, Strategy::Ours, base_of, |_, _| true).unwrap();
        assert_eq!(ours_win.merged["both"], entry(40));
        // Only the keys selected are taken.
        let some = merge(&ours, &theirs, Strategy::Refuse, base_of, |key, _| {
            key == "new"
        })
        .unwrap();
        assert_eq!(some.taken, [("new".to_string(), KeyChange::Added)]);
        assert_eq!(some.considered, ["new"]);
        assert!(some.merged.contains_key("gone"));
        // Merge bases that disagree about a key make it a conflict, never a silent choice.
        let ambiguous = merge(
            &ours,
            &theirs,
            Strategy::Refuse,
            |_| Ok(BaseEntry::Ambiguous),
            |_, _| true,
        )
        .unwrap();
        assert!(ambiguous.taken.is_empty());
        assert!(
            ambiguous
                .conflicts
                .iter()
                .all(|conflict| conflict.ambiguous_base)
        );
    }
}
