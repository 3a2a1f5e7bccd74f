//! Decoding stored objects: canonical bytes (`RawObject::from_canonical`), every typed decoder (event list, tree,
//! chunk list, commit, event JSON and its `$refs`), canonical JSON, and a loose object file (an input that starts
//! as a zstd frame) read through `LooseStore` from a temporary directory.
//!
//! Besides "no panic", it checks: canonical bytes that parse encode back to themselves and hash to the object's
//! id; binary bodies that decode encode back to the same bytes; a commit that decodes encodes to a commit that
//! decodes to the same value; for an event hive accepts, its JSON object gives the same event back, the canonical
//! encoder's length prediction is its output's length, its output parses back to the same value, and the two
//! readers of `$refs` agree; a loose file reads as the canonical bytes it decompresses to.
#![no_main]

use hive::canonical;
use hive::event::Event;
use hive::id::{ObjectId, ObjectKind};
use hive::object::{Chunks, Commit, EventList, RawObject, Tree, decode_event_json};
use hive::store::{LooseStore, ObjectStore};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    match RawObject::from_canonical(data) {
        Ok(raw) => {
            assert_eq!(raw.canonical_bytes(), data, "canonical bytes round trip");
            assert_eq!(
                ObjectId::hash_canonical(data),
                raw.id(),
                "id of canonical bytes"
            );
            typed(&raw);
        }
        Err(_) => {
            // Reach the typed decoders without a valid header: the first byte is the kind, the rest the body.
            if let Some((&tag, body)) = data.split_first()
                && let Some(kind) = ObjectKind::from_tag(tag)
            {
                typed(&RawObject::new(kind, body.to_vec()));
            }
        }
    }
    // Only a zstd frame can be a loose file: other inputs skip the file system, which is slow.
    if data.starts_with(&ZSTD_MAGIC) {
        loose(data);
    }
});

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

fn typed(raw: &RawObject) {
    match raw.kind {
        ObjectKind::EventList => {
            if let Ok(list) = EventList::decode(raw) {
                assert_eq!(&list.encode(), raw, "event list round trip");
            }
        }
        ObjectKind::Tree => {
            if let Ok(tree) = Tree::decode(raw) {
                assert_eq!(&tree.encode(), raw, "tree round trip");
            }
        }
        ObjectKind::Chunks => {
            if let Ok(chunks) = Chunks::decode(raw) {
                assert_eq!(&chunks.encode(), raw, "chunk list round trip");
            }
        }
        ObjectKind::Commit => {
            if let Ok(commit) = Commit::decode(raw) {
                let again = Commit::decode(&commit.encode()).expect("an encoded commit decodes");
                assert_eq!(again, commit, "commit round trip");
            }
        }
        ObjectKind::Event => event(raw),
        _ => {}
    }
    // Every decoder refuses a kind other than its own.
    if raw.kind != ObjectKind::EventList {
        assert!(EventList::decode(raw).is_err());
    }
    if raw.kind != ObjectKind::Tree {
        assert!(Tree::decode(raw).is_err());
    }
    if raw.kind != ObjectKind::Chunks {
        assert!(Chunks::decode(raw).is_err());
    }
    if raw.kind != ObjectKind::Commit {
        assert!(Commit::decode(raw).is_err());
    }
}

fn event(raw: &RawObject) {
    let Ok(map) = decode_event_json(raw) else {
        return;
    };
    // What follows holds for the events hive accepts.
    let Ok(parsed) = Event::from_map(map.clone()) else {
        return;
    };
    let again = Event::from_map(parsed.to_map()).expect("an event's own map parses");
    assert_eq!(again, parsed, "event round trip");
    let value = Value::Object(map.clone());
    let encoded = canonical::to_vec(&value);
    assert_eq!(canonical::encoded_len(&value), encoded.len(), "encoded_len");
    let back: Value = serde_json::from_slice(&encoded).expect("canonical JSON parses");
    assert_eq!(back, value, "canonical JSON round trip");
    if encoded == raw.body
        && let Ok(refs) = hive::payload::refs_of(&map)
    {
        let ids = hive::payload::blob_refs(&raw.body).expect("blob_refs reads what refs_of reads");
        let expected: Vec<ObjectId> = refs.iter().map(|reference| reference.blob).collect();
        assert_eq!(ids, expected, "the two readers of $refs agree");
    }
}

/// The objects directory of a loose store in a temporary directory kept for the whole run.
fn loose_dir() -> &'static PathBuf {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let temp = tempfile::tempdir().expect("temporary directory");
        let objects = temp.path().join("objects");
        std::fs::create_dir_all(objects.join("ab")).expect("fan-out directory");
        (temp, objects)
    })
    .1
}

fn loose(data: &[u8]) {
    let store = LooseStore::new(loose_dir());
    let id = ObjectId::from_bytes([0xab; 32]);
    std::fs::write(store.path_of(&id), data).expect("write the loose file");
    let read = store.read(&id);
    let canonical = store.read_canonical(&id);
    match (read, canonical) {
        (Ok(Some(raw)), Ok(Some(bytes))) => assert_eq!(raw.canonical_bytes(), bytes),
        (Ok(Some(_)), _) => panic!("read succeeded where read_canonical did not"),
        (Ok(None), _) => panic!("a present file reads as absent"),
        (Err(_), _) => {}
    }
}
