//! Writes the generated seeds of the fuzz corpora (`fuzz/corpus/<target>/seed-*`): objects of every kind, a loose
//! object file, a small pack with its index, journal records, and the sync protocol's messages and a transfer
//! stream. The importers' and event parser's seeds are written by hand.
//!
//! Run from the repository: `cargo run --manifest-path fuzz/Cargo.toml --example make_seeds`.

use hive::fuzzing::{CommandJson, PushHeader, StreamWriter, WantJson};
use hive::id::{ObjectId, ObjectKind};
use hive::object::{Chunks, Commit, EntryKind, EventList, RawObject, RunMeta, Tree, TreeEntry};
use hive::store::{LooseStore, ObjectStore, PackOptions, PackWriter};
use hive::sync::WantRequest;
use serde_json::json;
use std::path::{Path, PathBuf};

fn corpus(target: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    std::fs::write(corpus(target).join(format!("seed-{name}")), bytes).unwrap();
}

fn objects() -> Vec<(&'static str, RawObject)> {
    let blob = RawObject::new(ObjectKind::Blob, b"fn main() {}\n".to_vec());
    let event = RawObject::new(
        ObjectKind::Event,
        hive::canonical::to_vec(&json!({
            "kind": "tool_result", "seq": 3, "ts": "2026-11-22T10:00:00Z", "call_id": "c1",
            "output": "ok", "is_error": false,
            "$refs": [{"path": "/output", "blob": blob.id().to_hex(), "size": 13, "media_type": "text/plain"}]
        })),
    );
    let list = EventList {
        first_seq: 2,
        events: vec![event.id(), blob.id()],
    }
    .encode();
    let tree = Tree {
        entries: vec![
            TreeEntry {
                name: "build.cmd".into(),
                kind: EntryKind::Blob,
                id: blob.id(),
            },
            TreeEntry {
                name: "notes".into(),
                kind: EntryKind::Tree,
                id: ObjectId::from_bytes([7; 32]),
            },
        ],
    }
    .encode();
    let chunks = Chunks {
        total: 20,
        chunks: vec![(13, blob.id()), (7, ObjectId::from_bytes([9; 32]))],
    }
    .encode();
    let commit = Commit {
        parents: vec![ObjectId::from_bytes([1; 32])],
        events: Some(list.id()),
        tree: Some(tree.id()),
        author: "Ada <ada@example.com>".into(),
        time: "2026-11-22T10:00:00Z".into(),
        message: "first attempt".into(),
        run: RunMeta {
            name: "fix-login".into(),
            agent: Some("claude-code".into()),
            tags: vec!["reviewed".into()],
            rating: Some(4),
            cost_usd: Some(0.25),
            events: 4,
            ..RunMeta::default()
        },
        extra: Default::default(),
    }
    .encode();
    vec![
        ("blob", blob),
        ("event", event),
        ("event-list", list),
        ("tree", tree),
        ("chunks", chunks),
        ("commit", commit),
    ]
}

fn main() {
    let objects = objects();
    let temp = tempfile::tempdir().unwrap();

    // object_decode: canonical bytes of each kind, and a loose object file.
    for (name, raw) in &objects {
        write("object_decode", name, &raw.canonical_bytes());
    }
    let loose = LooseStore::new(temp.path().join("objects"));
    std::fs::create_dir_all(temp.path().join("objects")).unwrap();
    let commit = objects[5].1.clone().hashed();
    loose.write(&commit).unwrap();
    write(
        "object_decode",
        "loose-commit",
        &std::fs::read(loose.path_of(&commit.id())).unwrap(),
    );

    // pack_index: `pack length u32 LE | pack | index` of a small pack.
    let packs = temp.path().join("packs");
    let mut writer = PackWriter::new(&packs, PackOptions::default()).unwrap();
    let hashed: Vec<_> = objects
        .iter()
        .map(|(_, raw)| raw.clone().hashed())
        .collect();
    writer.add(&hashed.iter().collect::<Vec<_>>()).unwrap();
    let summary = writer.finish().unwrap().unwrap();
    let pack = std::fs::read(packs.join(format!("pack-{}.pack", summary.name))).unwrap();
    let index = std::fs::read(packs.join(format!("pack-{}.idx", summary.name))).unwrap();
    let mut seed = (pack.len() as u32).to_le_bytes().to_vec();
    seed.extend_from_slice(&pack);
    seed.extend_from_slice(&index);
    write("pack_index", "pack", &seed);

    // event_jsonl: journal records (the target also reads its input as a journal).
    let mut journal = b"hivejnl\x01".to_vec();
    for (seq, text) in ["hello", "again"].iter().enumerate() {
        let payload = hive::canonical::to_vec(
            &json!({"kind": "user_message", "seq": seq, "text": text, "ts": "2026-11-22T10:00:00Z"}),
        );
        journal.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        journal.extend_from_slice(&blake3::hash(&payload).as_bytes()[..8]);
        journal.extend_from_slice(&payload);
    }
    write("event_jsonl", "journal", &journal);

    // protocol: the first byte picks the parser.
    let header = serde_json::to_vec(&PushHeader {
        protocol: 1,
        push: ObjectId::from_bytes([3; 32]).to_hex(),
        commands: vec![
            CommandJson {
                name: "runs/fix-login".into(),
                old: None,
                new: Some(commit.id().to_hex()),
                force: false,
            },
            CommandJson {
                name: "workspaces/main".into(),
                old: Some(ObjectId::from_bytes([4; 32]).to_hex()),
                new: None,
                force: true,
            },
        ],
    })
    .unwrap();
    let mut stream = StreamWriter::new(vec![0u8], &header).unwrap();
    for object in &hashed {
        stream.add(&object.id(), object.raw()).unwrap();
    }
    write("protocol", "0-stream", &stream.finish().unwrap());
    write("protocol", "1-push-header", &[&[1u8][..], &header].concat());
    let request = WantRequest {
        wants: vec![commit.id()],
        haves: vec![ObjectId::from_bytes([5; 32])],
    };
    let wants = serde_json::to_vec(&WantJson::new(&request, Some(&[true, false, true]))).unwrap();
    write("protocol", "2-wants", &[&[2u8][..], &wants].concat());
    let refs = json!({
        "protocols": [1],
        "refs": [{"name": "runs/fix-login", "id": commit.id().to_hex()}, {"name": "workspaces/main", "id": commit.id().to_hex()}],
        "limits": {"max_body": 4294967296u64, "max_stream": 34359738368u64, "max_object": 536870912, "max_header": 67108864}
    });
    write(
        "protocol",
        "3-refs",
        &[&[3u8][..], refs.to_string().as_bytes()].concat(),
    );
    let report = json!({
        "objects": 6, "published": 6,
        "refs": [{"name": "runs/fix-login", "status": "created"}, {"name": "runs/old", "status": "non-fast-forward", "message": "fetch first"}]
    });
    write(
        "protocol",
        "4-report",
        &[&[4u8][..], report.to_string().as_bytes()].concat(),
    );
    let error = json!({"error": "forbidden", "message": "your token may not write runs/x"});
    write(
        "protocol",
        "5-error",
        &[&[5u8][..], error.to_string().as_bytes()].concat(),
    );
    for (name, url) in [
        ("6-url-http", "http://hive.internal:8474/team"),
        ("6-url-path", "file:///mnt/team/agents.hive"),
        ("6-url-relative", "../shared.hive/"),
    ] {
        write("protocol", name, &[&[6u8][..], url.as_bytes()].concat());
    }
    let grants = json!([
        {"repo": "team", "prefix": "alice/", "level": "write"},
        {"repo": "*", "level": "read"}
    ]);
    write(
        "protocol",
        "7-grants",
        &[&[7u8, 1][..], grants.to_string().as_bytes()].concat(),
    );
}
