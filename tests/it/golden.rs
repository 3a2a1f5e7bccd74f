//! Golden vectors: exact ids that pin the canonical encoding (docs/FORMAT.md) forever.
//! Every expected id here was computed independently (Python, blake3) from the byte layouts in docs/FORMAT.md.

use hive::canonical;
use hive::id::{ObjectId, ObjectKind};
use hive::object::{
    Chunks, Commit, EntryKind, EventList, RawObject, RunMeta, TokenTotals, Tree, TreeEntry,
};
use serde_json::{Map, json};

fn id(kind: ObjectKind, body: &[u8]) -> String {
    RawObject::new(kind, body.to_vec()).id().to_hex()
}

#[test]
fn blob_ids() {
    assert_eq!(
        id(ObjectKind::Blob, b"hello"),
        "8bd665c928bae3cc247eb402e559dd7abbaf615a0d2c5d1ce53fe54dbf919b2e"
    );
    assert_eq!(
        id(ObjectKind::Blob, b""),
        "9bba25b3ffadfd1e1df664df6d6f7b05fd7274a327bbed8d97106e117421a71d"
    );
}

#[test]
fn event_id() {
    let event =
        json!({"ts": "2026-01-01T00:00:00Z", "text": "hi", "seq": 0, "kind": "user_message"});
    let body = canonical::to_vec(&event);
    assert_eq!(
        body,
        br#"{"kind":"user_message","seq":0,"text":"hi","ts":"2026-01-01T00:00:00Z"}"#
    );
    assert_eq!(
        id(ObjectKind::Event, &body),
        "f139770baf96a6259ef710936fb7c53d0b1c13d4bb647a953d368a633b22bbaf"
    );
}

fn blob(text: &str) -> ObjectId {
    RawObject::new(ObjectKind::Blob, text.as_bytes().to_vec()).id()
}

#[test]
fn structural_ids() {
    let list = EventList {
        first_seq: 2,
        events: vec![blob("a"), blob("b")],
    }
    .encode();
    assert_eq!(list.body.len(), 8 + 4 + 64);
    assert_eq!(
        list.id().to_hex(),
        "5eb661c714a6646e56cdc19b3a0483f1a5a88cd1a98c7f300925e0c745e7a830"
    );
    let tree = Tree {
        entries: vec![
            TreeEntry {
                name: "memory".into(),
                kind: EntryKind::Blob,
                id: blob("m"),
            },
            TreeEntry {
                name: "lessons".into(),
                kind: EntryKind::Tree,
                id: blob("l"),
            },
        ],
    }
    .encode();
    assert_eq!(
        tree.id().to_hex(),
        "e55fe809f8cd82dc03196d363be080307d3ef02eba5f2da3b4ab74d2d5d921fe"
    );
    let chunks = Chunks {
        total: 3,
        chunks: vec![(1, blob("x")), (2, blob("yz"))],
    }
    .encode();
    assert_eq!(
        chunks.id().to_hex(),
        "60426f6bf739d6de1a551dc195f7355b620886486cf162bdc52949fcf84189c9"
    );
}

#[test]
fn commit_id() {
    let commit = Commit {
        parents: vec![blob("parent")],
        events: Some(blob("events")),
        tree: None,
        author: "Ada <ada@example.com>".into(),
        time: "2026-01-02T03:04:05.000Z".into(),
        message: "first".into(),
        run: RunMeta {
            name: "fix-login".into(),
            agent: Some("claude-code".into()),
            status: Some("success".into()),
            tokens: TokenTotals {
                input: 10,
                output: 2,
                cache_read: 0,
                cache_write: 0,
            },
            cost_usd: Some(0.5),
            events: 7,
            ..RunMeta::default()
        },
        extra: Map::new(),
    };
    let raw = commit.encode();
    let text = String::from_utf8(raw.body.clone()).unwrap();
    assert!(
        text.starts_with(r#"{"author":"Ada <ada@example.com>","events":""#),
        "{text}"
    );
    assert_eq!(
        raw.id().to_hex(),
        "cf06e011e906ad34f79e3e9692d167950db25a37bd53c000cf5db07a10eab4ae"
    );
}

/// docs/events.schema.json and the parser agree on the kinds and on which fields each kind requires.
#[test]
fn event_schema_matches_the_parser() {
    use hive::event::{Event, EventKind};
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/events.schema.json"
    ))
    .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let kinds: Vec<&str> = schema["properties"]["kind"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kind| kind.as_str().unwrap())
        .collect();
    assert_eq!(kinds, EventKind::ALL.map(EventKind::name));
    let sample = |field: &str| match field {
        "op" => json!("read"),
        "text" | "call_id" | "tool" | "path" | "message" | "key" | "name" => json!("x"),
        _ => json!({"any": 1}),
    };
    for rule in schema["allOf"].as_array().unwrap() {
        let kind = rule["if"]["properties"]["kind"]["const"].as_str().unwrap();
        let required: Vec<&str> = rule["then"]["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|field| field.as_str().unwrap())
            .collect();
        let mut full = serde_json::Map::new();
        full.insert("kind".into(), json!(kind));
        for field in &required {
            full.insert(field.to_string(), sample(field));
        }
        assert!(
            Event::from_json(serde_json::Value::Object(full.clone())).is_ok(),
            "{kind} with its required fields"
        );
        for field in &required {
            let mut partial = full.clone();
            partial.remove(*field);
            assert!(
                Event::from_json(serde_json::Value::Object(partial)).is_err(),
                "{kind} without {field} is refused"
            );
        }
    }
}
