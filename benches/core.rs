//! Micro-benchmarks of the hot paths: event encoding and hashing, object writes (loose and pack), pack index
//! lookups, reading and replaying a 10,000-event run, committing one session, and creating a workspace. Run: `cargo bench --bench core`.

mod workload;

use divan::Bencher;
use divan::counter::{BytesCount, ItemsCount};
use hive::canonical;
use hive::id::{ObjectId, ObjectKind};
use hive::object::{HashedObject, RawObject};
use hive::payload;
use hive::repo::{CommitInput, CommitOptions, Replay, Repository, build_commit, read_run_events};
use hive::store::{LooseStore, ObjectStore, Odb, OdbOptions, PackOptions, PackStore};
use hive::time::Timestamp;
use serde_json::Value;

fn main() {
    divan::main();
}

fn session_objects(session: u64) -> Vec<HashedObject> {
    let mut objects = Vec::new();
    for mut event in workload::numbered_events(&workload::session(session, 200), 0) {
        payload::externalize(&mut event, payload::DEFAULT_THRESHOLD, &mut objects);
        objects.push(
            RawObject::new(ObjectKind::Event, canonical::to_vec(&Value::Object(event))).hashed(),
        );
    }
    objects
}

/// Externalize large fields, encode canonically and hash every event of a 200-event session.
#[divan::bench]
fn encode_and_hash_session(bencher: Bencher) {
    let events = workload::numbered_events(&workload::session(1, 200), 0);
    let bytes: usize = events
        .iter()
        .map(|event| serde_json::to_vec(event).unwrap().len())
        .sum();
    bencher
        .counter(BytesCount::new(bytes))
        .with_inputs(|| events.clone())
        .bench_values(|events| {
            let mut objects = Vec::new();
            for mut event in events {
                payload::externalize(&mut event, payload::DEFAULT_THRESHOLD, &mut objects);
                objects.push(
                    RawObject::new(ObjectKind::Event, canonical::to_vec(&Value::Object(event)))
                        .hashed(),
                );
            }
            objects
        });
}

/// Write 200 objects of one session as loose files (each flushed, directories flushed once).
#[divan::bench(sample_count = 20, sample_size = 1)]
fn write_loose_session(bencher: Bencher) {
    let objects = session_objects(2);
    bencher
        .counter(ItemsCount::new(objects.len()))
        .with_inputs(|| tempfile::tempdir().unwrap())
        .bench_local_refs(|dir| LooseStore::new(dir.path()).write_batch(&objects).unwrap());
}

/// Write 200 objects of one session as one pack (one flush for the pack, one for the index).
#[divan::bench(sample_count = 50, sample_size = 1)]
fn write_pack_session(bencher: Bencher) {
    let objects = session_objects(3);
    bencher
        .counter(ItemsCount::new(objects.len()))
        .with_inputs(|| tempfile::tempdir().unwrap())
        .bench_local_refs(|dir| {
            PackStore::new(dir.path(), PackOptions::default())
                .unwrap()
                .write_batch(&objects)
                .unwrap();
        });
}

/// A pack of 100,000 small event objects, and their ids.
fn pack_of_100k() -> (tempfile::TempDir, PackStore, Vec<ObjectId>) {
    let dir = tempfile::tempdir().unwrap();
    let store = PackStore::new(dir.path(), PackOptions::default()).unwrap();
    let objects: Vec<HashedObject> = (0..100_000u32)
        .map(|index| {
            let body = format!("{{\"kind\":\"reasoning\",\"seq\":{index},\"text\":\"t\"}}");
            RawObject::new(ObjectKind::Event, body.into_bytes()).hashed()
        })
        .collect();
    store.write_batch(&objects).unwrap();
    let ids = objects.iter().map(HashedObject::id).collect();
    (dir, store, ids)
}

/// Find and read one object in a pack of 100,000 objects.
#[divan::bench]
fn pack_lookup(bencher: Bencher) {
    let (_dir, store, ids) = pack_of_100k();
    let mut rng = workload::Rng::new(9);
    bencher.bench_local(|| {
        store
            .read(&ids[rng.below(ids.len() as u64) as usize])
            .unwrap()
            .unwrap()
    });
}

/// Find one id in the index of a pack of 100,000 objects, without reading the object.
#[divan::bench]
fn pack_index_contains(bencher: Bencher) {
    let (_dir, store, ids) = pack_of_100k();
    let mut rng = workload::Rng::new(9);
    bencher.bench_local(|| {
        store
            .contains(&ids[rng.below(ids.len() as u64) as usize])
            .unwrap()
    });
}

/// Read back every event of a 10,000-event run (50 commits of 200 events), payloads resolved.
#[divan::bench(sample_count = 20)]
fn read_run_10k_events(bencher: Bencher) {
    let (_dir, odb, head) = run_of_10k();
    bencher
        .counter(ItemsCount::new(10_000usize))
        .bench(|| read_run_events(&odb, head).unwrap().len());
}

/// A 10,000-event run (50 commits of 200 events) in a fresh object database.
fn run_of_10k() -> (tempfile::TempDir, Odb, ObjectId) {
    let dir = tempfile::tempdir().unwrap();
    let odb = Odb::open(dir.path(), OdbOptions::default()).unwrap();
    let events = (0..50u64)
        .flat_map(|commit| workload::session(100 + commit, 200))
        .collect();
    let (head, _) = commit_in_200s(&odb, "bench", events);
    (dir, odb, head)
}

/// Replay a 10,000-event run: start (read its event lists), then take the first 20 events as stored, as a reader
/// stepping through it does.
#[divan::bench(sample_count = 50)]
fn replay_start_and_first_20(bencher: Bencher) {
    let (_dir, odb, head) = run_of_10k();
    bencher.bench(|| {
        Replay::new(&odb, "bench", head, None, None)
            .unwrap()
            .take(20)
            .map(|event| event.unwrap().seq)
            .sum::<u64>()
    });
}

/// Replay every event of a 10,000-event run, payloads resolved.
#[divan::bench(sample_count = 20)]
fn replay_10k_events_resolved(bencher: Bencher) {
    let (_dir, odb, head) = run_of_10k();
    bencher.counter(ItemsCount::new(10_000usize)).bench(|| {
        Replay::new(&odb, "bench", head, None, None)
            .unwrap()
            .map(|event| event.unwrap().resolve(&odb).unwrap().len())
            .sum::<usize>()
    });
}

/// Create a workspace that inherits a parent holding 200 memory entries: one commit on the parent's head and a new
/// reference, both flushed (the target is at most 5 ms).
#[divan::bench(sample_count = 50)]
fn workspace_create_inherit(bencher: Bencher) {
    let dir = tempfile::tempdir().unwrap();
    let (repo, _) = Repository::init(dir.path()).unwrap();
    repo.create_workspace("main", None).unwrap();
    for index in 0..200 {
        let value = serde_json::json!({"fact": format!("learned thing {index}"), "weight": index});
        repo.memory_write("main", &format!("key-{index}"), Some(&value), &[])
            .unwrap();
    }
    let mut count = 0u64;
    bencher.bench_local(|| {
        count += 1;
        repo.create_workspace(&format!("child-{count}"), Some("main"))
            .unwrap()
            .head
    });
}

/// A commit of `events` to `run` by the benchmarks' author at time 0.
fn bench_input<'a>(
    run: &'a str,
    parent: Option<(ObjectId, &'a hive::object::Commit)>,
    events: Vec<serde_json::Map<String, Value>>,
) -> CommitInput<'a> {
    CommitInput {
        run,
        parent,
        events,
        author: "Bench <bench@example.com>".into(),
        time: Timestamp(0),
        message: String::new(),
        threshold: payload::DEFAULT_THRESHOLD,
        workspace: None,
        code: None,
        fork: None,
    }
}

/// Commits `events` to run `run` in commits of 200, on `odb`; returns the head.
fn commit_in_200s(
    odb: &Odb,
    run: &str,
    events: Vec<serde_json::Map<String, Value>>,
) -> (ObjectId, hive::object::Commit) {
    let mut head: Option<(ObjectId, hive::object::Commit)> = None;
    let mut events = events.into_iter().peekable();
    let mut seq = 0u64;
    while events.peek().is_some() {
        let mut batch: Vec<serde_json::Map<String, Value>> = events.by_ref().take(200).collect();
        for event in &mut batch {
            event.insert("seq".into(), seq.into());
            seq += 1;
        }
        let built = build_commit(
            odb,
            bench_input(run, head.as_ref().map(|(id, commit)| (*id, commit)), batch),
        )
        .unwrap();
        odb.write_batch(&built.objects).unwrap();
        head = Some((built.id, built.commit));
    }
    head.unwrap()
}

/// Two 5,000-event runs, diffed: `unrelated` (two different sessions: every event read and aligned), `retry`
/// (the same session again with one event in 50 changed and one in 97 left out), `fork` (a fork at 4,800 with 200
/// events of its own: only the divergent part is read). Each with the event digests kept from an earlier diff (as
/// `hive diff` keeps them in `.hive/cache/diff`), and `-cold` without them (every divergent event read to digest).
#[divan::bench(
    sample_count = 20,
    args = ["unrelated", "retry", "fork", "unrelated-cold", "retry-cold", "fork-cold"]
)]
fn diff_two_5k_runs(bencher: Bencher, case: &str) {
    use hive::repo::{DiffOptions, DiffSide, ForkInput, build_fork, diff_commits};
    let (case, cold) = match case.strip_suffix("-cold") {
        Some(case) => (case, true),
        None => (case, false),
    };
    let cache = tempfile::tempdir().unwrap();
    let options = DiffOptions {
        same_events: false,
        cache: (!cold).then(|| cache.path().to_path_buf()),
    };
    let dir = tempfile::tempdir().unwrap();
    let odb = Odb::open(dir.path(), OdbOptions::default()).unwrap();
    let session = |seed: u64| workload::session(seed, 5_000);
    let a_events = session(7);
    let a = commit_in_200s(&odb, "a", a_events.clone());
    let b = match case {
        "unrelated" => commit_in_200s(&odb, "b", session(8)),
        "retry" => {
            let events = a_events
                .iter()
                .enumerate()
                .filter(|(index, _)| index % 97 != 96)
                .map(|(index, event)| {
                    let mut event = event.clone();
                    if index % 50 == 49 {
                        event.insert("text".into(), format!("changed {index}").into());
                    }
                    event
                })
                .collect();
            commit_in_200s(&odb, "b", events)
        }
        _ => {
            let fork = build_fork(
                &odb,
                ForkInput {
                    source: "a",
                    head: a.0,
                    seq: 4_800,
                    run: "b",
                    author: "Bench <bench@example.com>".into(),
                    time: Timestamp(0),
                    message: String::new(),
                },
            )
            .unwrap();
            odb.write_batch(&fork.objects).unwrap();
            let own = workload::numbered_events(&workload::session(9, 200), 4_800);
            let built =
                build_commit(&odb, bench_input("b", Some((fork.id, &fork.commit)), own)).unwrap();
            odb.write_batch(&built.objects).unwrap();
            (built.id, built.commit)
        }
    };
    bencher.bench(|| {
        let diff = diff_commits(
            &odb,
            DiffSide {
                name: "a".into(),
                head: a.0,
                commit: a.1.clone(),
            },
            DiffSide {
                name: "b".into(),
                head: b.0,
                commit: b.1.clone(),
            },
            &options,
        )
        .unwrap();
        diff.ops.len()
    });
}

/// The per-session path: stage a 200-event session in the journal, then commit it durably.
#[divan::bench(sample_count = 30, sample_size = 1)]
fn append_and_commit_session(bencher: Bencher) {
    let project = tempfile::tempdir().unwrap();
    let (repo, _) = Repository::init(project.path()).unwrap();
    let events = workload::session(4, 200);
    let options = CommitOptions {
        message: "bench".into(),
        cwd: Some(project.path().to_path_buf()),
        time: None,
    };
    let mut counter = 0u64;
    bencher
        .counter(ItemsCount::new(events.len()))
        .with_inputs(|| {
            counter += 1;
            (format!("run-{counter}"), events.clone())
        })
        .bench_local_values(|(run, events)| {
            repo.append_events(&run, events).unwrap();
            repo.commit(Some(&run), &options).unwrap()
        });
}

/// The one-step per-session path: commit a 200-event session file (JSON Lines bytes) durably, as
/// `hive commit --run R FILE` does, without process start.
#[divan::bench(sample_count = 50, sample_size = 1)]
fn commit_session_file(bencher: Bencher) {
    let project = tempfile::tempdir().unwrap();
    let (repo, _) = Repository::init(project.path()).unwrap();
    let mut bytes = Vec::new();
    for event in workload::session(5, 200) {
        serde_json::to_writer(&mut bytes, &event).unwrap();
        bytes.push(b'\n');
    }
    let options = CommitOptions {
        message: "bench".into(),
        cwd: Some(project.path().to_path_buf()),
        time: None,
    };
    let mut counter = 0u64;
    bencher
        .counter(BytesCount::new(bytes.len()))
        .with_inputs(|| {
            counter += 1;
            format!("run-{counter}")
        })
        .bench_local_values(|run| repo.commit_input(&run, &bytes[..], &options).unwrap());
}

/// The physical ceiling: bytes of generated session JSON (about 4 MiB) that one core hashes, compresses,
/// decompresses and parses per second.
mod ceiling {
    use super::workload;
    use divan::Bencher;
    use divan::counter::BytesCount;

    fn sample() -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut session = 0;
        while bytes.len() < 4 << 20 {
            for event in workload::session(session, 200) {
                bytes.extend_from_slice(serde_json::Value::Object(event).to_string().as_bytes());
                bytes.push(b'\n');
            }
            session += 1;
        }
        bytes
    }

    #[divan::bench(sample_count = 20)]
    fn blake3(bencher: Bencher) {
        let data = sample();
        bencher
            .counter(BytesCount::new(data.len()))
            .bench(|| blake3::hash(&data));
    }

    #[divan::bench(sample_count = 10, args = [1, 3, 19])]
    fn zstd_compress(bencher: Bencher, level: i32) {
        let data = sample();
        bencher
            .counter(BytesCount::new(data.len()))
            .bench(|| zstd::bulk::compress(&data, level).unwrap());
    }

    #[divan::bench(sample_count = 20)]
    fn zstd_decompress(bencher: Bencher) {
        let data = sample();
        let packed = zstd::bulk::compress(&data, 3).unwrap();
        bencher
            .counter(BytesCount::new(data.len()))
            .bench(|| zstd::bulk::decompress(&packed, data.len()).unwrap());
    }

    #[divan::bench(sample_count = 20)]
    fn json_parse(bencher: Bencher) {
        let data = sample();
        bencher.counter(BytesCount::new(data.len())).bench(|| {
            for line in data
                .split(|byte| *byte == b'\n')
                .filter(|line| !line.is_empty())
            {
                divan::black_box(serde_json::from_slice::<serde_json::Value>(line).unwrap());
            }
        });
    }
}
