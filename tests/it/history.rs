//! Run logic against the in-memory store: commits, event recovery, state trees, payload blobs and chunks.

use hive::id::ObjectKind;
use hive::object::{Chunks, Commit, EventList, RawObject};
use hive::payload;
use hive::repo::{CommitInput, build_commit, event_id_at, read_run_events};
use hive::store::{MemoryStore, ObjectStore};
use hive::time::Timestamp;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn events(first_seq: u64, values: Vec<Value>) -> Vec<Map<String, Value>> {
    values
        .into_iter()
        .enumerate()
        .map(|(offset, value)| {
            let mut map = value.as_object().unwrap().clone();
            map.insert("seq".into(), json!(first_seq + offset as u64));
            map.entry("ts").or_insert(json!(format!(
                "2026-01-01T00:00:{:02}Z",
                (first_seq + offset as u64) % 60
            )));
            // The normal form `append` stages (defaults filled in), which is what a run stores.
            hive::event::Event::from_map(map).unwrap().into_map()
        })
        .collect()
}

fn input<'a>(
    run: &'a str,
    parent: Option<(hive::ObjectId, &'a Commit)>,
    events: Vec<Map<String, Value>>,
) -> CommitInput<'a> {
    CommitInput {
        run,
        parent,
        events,
        author: "A <a@example.com>".into(),
        time: Timestamp(1_700_000_000_000),
        message: String::new(),
        threshold: 64,
        workspace: None,
        code: None,
        fork: None,
    }
}

fn commit_into(
    store: &MemoryStore,
    run: &str,
    parent: Option<(hive::ObjectId, &Commit)>,
    batch: Vec<Map<String, Value>>,
) -> (hive::ObjectId, Commit) {
    let built = build_commit(store, input(run, parent, batch)).unwrap();
    store.write_batch(&built.objects).unwrap();
    (built.id, built.commit)
}

#[test]
fn appending_n_events_writes_o_n_objects_and_history_is_recoverable() {
    let store = MemoryStore::new();
    let first = events(
        0,
        (0..50)
            .map(|index| json!({"kind": "user_message", "text": format!("message {index}")}))
            .collect(),
    );
    let (head, commit) = commit_into(&store, "r", None, first.clone());
    assert_eq!(commit.run.events, 50);
    let before = store.len();
    let second = events(
        50,
        (0..10)
            .map(|index| json!({"kind": "reasoning", "text": format!("thought {index}")}))
            .collect(),
    );
    let built = build_commit(&store, input("r", Some((head, &commit)), second.clone())).unwrap();
    // 10 events + 1 event list + 1 commit, whatever the run's length.
    assert_eq!(built.objects.len(), 12);
    store.write_batch(&built.objects).unwrap();
    assert_eq!(store.len(), before + 12);
    let all = read_run_events(&store, built.id).unwrap();
    assert_eq!(all.len(), 60);
    for (seq, (_, event)) in all.iter().enumerate() {
        assert_eq!(event["seq"], json!(seq));
    }
    assert_eq!(all[55].1, second[5]);
    assert_eq!(event_id_at(&store, built.id, 3).unwrap(), Some(all[3].0));
    assert_eq!(event_id_at(&store, built.id, 60).unwrap(), None);
}

#[test]
fn run_metadata_sums_usage_and_tracks_status() {
    let store = MemoryStore::new();
    let batch = events(
        0,
        vec![
            json!({"kind": "session_start", "agent": "codex", "model": "m1", "session_id": "abc", "ts": "2026-01-01T00:00:00Z"}),
            json!({"kind": "assistant_message", "text": "a", "model": "m2", "usage": {"input_tokens": 10, "output_tokens": 1, "cost_usd": 0.25}, "ts": "2026-01-01T00:00:10Z"}),
            json!({"kind": "assistant_message", "text": "b", "usage": {"input_tokens": 5, "output_tokens": 2, "cache_read_tokens": 3, "cost_usd": 0.5}, "ts": "2026-01-01T00:01:00Z"}),
        ],
    );
    let (head, commit) = commit_into(&store, "r", None, batch);
    let meta = &commit.run;
    assert_eq!(
        (
            meta.agent.as_deref(),
            meta.model.as_deref(),
            meta.session_id.as_deref()
        ),
        (Some("codex"), Some("m2"), Some("abc"))
    );
    assert_eq!(
        (
            meta.tokens.input,
            meta.tokens.output,
            meta.tokens.cache_read
        ),
        (15, 3, 3)
    );
    assert_eq!(meta.cost_usd, Some(0.75));
    assert_eq!(meta.duration_ms, Some(60_000));
    assert_eq!(meta.status.as_deref(), Some("running"));
    let end = events(
        3,
        vec![json!({"kind": "session_end", "status": "failure", "ts": "2026-01-01T00:02:00Z"})],
    );
    let (_, commit) = commit_into(&store, "r", Some((head, &commit)), end);
    assert_eq!(commit.run.status.as_deref(), Some("failure"));
    assert_eq!(commit.run.duration_ms, Some(120_000));
    assert_eq!(commit.run.tokens.input, 15);
}

#[test]
fn state_updates_build_a_tree_and_null_deletes() {
    let store = MemoryStore::new();
    let batch = events(
        0,
        vec![
            json!({"kind": "state_update", "key": "b", "value": 1}),
            json!({"kind": "state_update", "key": "a", "value": {"x": true}}),
        ],
    );
    let (head, commit) = commit_into(&store, "r", None, batch);
    let tree =
        hive::object::Tree::decode(&store.read(&commit.tree.unwrap()).unwrap().unwrap()).unwrap();
    assert_eq!(
        tree.entries
            .iter()
            .map(|entry| entry.name.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    // A commit without state updates keeps the tree.
    let (head2, commit2) = commit_into(
        &store,
        "r",
        Some((head, &commit)),
        events(2, vec![json!({"kind": "reasoning", "text": "t"})]),
    );
    assert_eq!(commit2.tree, commit.tree);
    let (_, commit3) = commit_into(
        &store,
        "r",
        Some((head2, &commit2)),
        events(
            3,
            vec![json!({"kind": "state_update", "key": "a", "value": null})],
        ),
    );
    let tree =
        hive::object::Tree::decode(&store.read(&commit3.tree.unwrap()).unwrap().unwrap()).unwrap();
    assert_eq!(tree.entries.len(), 1);
}

#[test]
fn a_gap_in_seqs_is_refused() {
    let store = MemoryStore::new();
    let batch = events(1, vec![json!({"kind": "reasoning", "text": "t"})]);
    assert!(matches!(
        build_commit(&store, input("r", None, batch)),
        Err(hive::RepoError::StagedGap { .. })
    ));
}

#[test]
fn large_fields_become_blobs_and_resolve() {
    let store = MemoryStore::new();
    let big = "x".repeat(200);
    let batch = events(
        0,
        vec![
            json!({"kind": "tool_call", "call_id": "c", "tool": "Write", "input": {"path": "a", "content": big, "list": [big, "small"]}, "attrs": {"note": big}}),
        ],
    );
    let (head, _) = commit_into(&store, "r", None, batch.clone());
    let stored_event_id = event_id_at(&store, head, 0).unwrap().unwrap();
    let stored = hive::repo::read_event(&store, stored_event_id).unwrap();
    let refs = payload::refs_of(&stored).unwrap();
    let paths: Vec<&str> = refs
        .iter()
        .map(|reference| reference.path.as_str())
        .collect();
    assert_eq!(paths, ["/attrs/note", "/input/content", "/input/list/0"]);
    assert_eq!(stored["input"]["path"], "a");
    assert_eq!(stored["input"]["content"], Value::Null);
    // The same payload is stored once.
    assert_eq!(refs[0].blob, refs[1].blob);
    let all = read_run_events(&store, head).unwrap();
    assert_eq!(all[0].1, batch[0]);
}

#[test]
fn payloads_over_a_mebibyte_are_chunked_and_near_copies_share_chunks() {
    let store = MemoryStore::new();
    let mut state = 42u64;
    let text: String = (0..3_000_000)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (b'a' + ((state >> 33) % 26) as u8) as char
        })
        .collect();
    let mut edited = text.clone();
    edited.replace_range(1_500_000..1_500_010, "EDITED-HERE");
    let batch = events(
        0,
        vec![
            json!({"kind": "tool_result", "call_id": "a", "output": text}),
            json!({"kind": "tool_result", "call_id": "b", "output": edited}),
        ],
    );
    let (head, _) = commit_into(&store, "r", None, batch.clone());
    let first =
        hive::repo::read_event(&store, event_id_at(&store, head, 0).unwrap().unwrap()).unwrap();
    let second =
        hive::repo::read_event(&store, event_id_at(&store, head, 1).unwrap().unwrap()).unwrap();
    let chunks_of = |event: &Map<String, Value>| {
        let reference = &payload::refs_of(event).unwrap()[0];
        let raw = store.read(&reference.blob).unwrap().unwrap();
        assert_eq!(raw.kind, ObjectKind::Chunks);
        Chunks::decode(&raw)
            .unwrap()
            .chunks
            .into_iter()
            .map(|(_, id)| id)
            .collect::<Vec<_>>()
    };
    let (a, b) = (chunks_of(&first), chunks_of(&second));
    assert!(a.len() >= 4, "3 MB splits into several chunks");
    let shared = a.iter().filter(|id| b.contains(id)).count();
    assert!(
        shared + 2 >= a.len(),
        "all but the edited chunks are shared: {shared} of {}",
        a.len()
    );
    let all = read_run_events(&store, head).unwrap();
    assert_eq!(all[0].1, batch[0]);
    assert_eq!(all[1].1, batch[1]);
}

#[test]
fn event_list_segments_chain() {
    let store = MemoryStore::new();
    let (head, commit) = commit_into(
        &store,
        "r",
        None,
        events(0, vec![json!({"kind": "reasoning", "text": "a"})]),
    );
    let (head2, _) = commit_into(
        &store,
        "r",
        Some((head, &commit)),
        events(1, vec![json!({"kind": "reasoning", "text": "b"})]),
    );
    let segments = hive::repo::run_segments(&store, head2).unwrap();
    assert_eq!(
        segments
            .iter()
            .map(|segment: &EventList| segment.first_seq)
            .collect::<Vec<_>>(),
        [0, 1]
    );
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z~/ é\"\\\\]{0,120}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z~/]{1,6}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn externalize_then_resolve_is_identity(data in json_value(), threshold in 8usize..200) {
        let mut event = json!({"kind": "custom", "name": "n", "seq": 0, "data": data}).as_object().unwrap().clone();
        let original = event.clone();
        let mut objects = Vec::new();
        payload::externalize(&mut event, threshold, &mut objects);
        let store = MemoryStore::new();
        store.write_batch(&objects).unwrap();
        payload::resolve(&mut event, &store).unwrap();
        prop_assert_eq!(event, original);
    }
}

#[test]
fn gc_keeps_an_old_object_that_a_writer_just_reused() {
    use hive::store::LooseStore;
    use std::time::{Duration, SystemTime};
    let project = tempfile::tempdir().unwrap();
    let (repo, _) = hive::Repository::init(project.path()).unwrap();
    let loose = LooseStore::new(repo.dir().join("objects"));
    let reused = RawObject::new(ObjectKind::Blob, b"reused".to_vec()).hashed();
    let forgotten = RawObject::new(ObjectKind::Blob, b"forgotten".to_vec()).hashed();
    loose
        .write_batch(&[reused.clone(), forgotten.clone()])
        .unwrap();
    let month_ago = SystemTime::now() - Duration::from_secs(30 * 24 * 3600);
    for id in [reused.id(), forgotten.id()] {
        std::fs::File::options()
            .write(true)
            .open(loose.path_of(&id))
            .unwrap()
            .set_modified(month_ago)
            .unwrap();
    }
    // A writer about to reference `reused` writes it again: it exists, so only its age is refreshed.
    repo.odb().write(&reused).unwrap();
    let report = repo.gc(&hive::repo::GcOptions::default()).unwrap();
    assert_eq!((report.pruned, report.kept_recent), (1, 1));
    assert!(repo.odb().contains(&reused.id()).unwrap());
    assert!(!repo.odb().contains(&forgotten.id()).unwrap());
}

#[test]
fn packs_are_merged_as_commits_accumulate() {
    let project = tempfile::tempdir().unwrap();
    let (repo, _) = hive::Repository::init(project.path()).unwrap();
    let options = hive::repo::CommitOptions::default();
    for run in 0..40 {
        let batch: Vec<Map<String, Value>> = (0..10)
            .map(|index| json!({"kind": "user_message", "text": format!("run {run} message {index}"), "ts": "2026-01-01T00:00:00Z"}).as_object().unwrap().clone())
            .collect();
        repo.append_events(&format!("r{run}"), batch).unwrap();
        repo.commit(None, &options).unwrap();
    }
    let packs = repo.odb().packs();
    packs.refresh().unwrap();
    assert!(
        packs.packs().len() <= 10,
        "{} packs after 40 commits",
        packs.packs().len()
    );
    for run in 0..40 {
        assert_eq!(repo.events(&format!("r{run}")).unwrap().len(), 10);
    }
    assert!(!repo.fsck().unwrap().has_errors());
}

/// Every event object reachable from a run's head.
fn reachable_events(store: &MemoryStore, head: hive::ObjectId) -> Vec<hive::ObjectId> {
    hive::repo::run_segments(store, head)
        .unwrap()
        .into_iter()
        .flat_map(|segment| segment.events)
        .collect()
}

#[test]
fn a_fork_at_every_seq_shares_the_first_events_and_nothing_after() {
    use hive::repo::{ForkInput, build_fork};
    let store = MemoryStore::new();
    let all = events(
        0,
        vec![
            json!({"kind": "session_start", "agent": "codex", "model": "m1", "session_id": "s"}),
            json!({"kind": "user_message", "text": "go"}),
            json!({"kind": "state_update", "key": "plan", "value": "first"}),
            json!({"kind": "assistant_message", "text": "a", "model": "m2", "usage": {"input_tokens": 10, "output_tokens": 1, "cost_usd": 0.25}}),
            json!({"kind": "tool_call", "call_id": "c1", "tool": "Bash", "input": {"command": "ls"}}),
            json!({"kind": "tool_result", "call_id": "c1", "output": "x".repeat(200)}),
            json!({"kind": "state_update", "key": "plan", "value": "second"}),
            json!({"kind": "state_update", "key": "notes", "value": [1, 2]}),
            json!({"kind": "assistant_message", "text": "b", "usage": {"input_tokens": 5, "output_tokens": 2, "cost_usd": 0.5}}),
            json!({"kind": "session_end", "status": "success"}),
        ],
    );
    // Commits of 3, 0 (metadata only), 4 and 3 events; the run is in a workspace and ran in a code repository.
    let placed = |run, events: Vec<Map<String, Value>>| CommitInput {
        workspace: Some("team".into()),
        code: Some(hive::object::CodeContext {
            root: "/src/app".into(),
            commit: Some("ab".repeat(20)),
            branch: Some("main".into()),
            dirty: false,
        }),
        ..input(run, None, events)
    };
    let first = build_commit(&store, placed("src", all[..3].to_vec())).unwrap();
    store.write_batch(&first.objects).unwrap();
    let (c1, k1) = (first.id, first.commit);
    let (c2, k2) = commit_into(&store, "src", Some((c1, &k1)), Vec::new());
    let (c3, k3) = commit_into(&store, "src", Some((c2, &k2)), all[3..7].to_vec());
    let (head, head_commit) = commit_into(&store, "src", Some((c3, &k3)), all[7..].to_vec());
    let source_ids = reachable_events(&store, head);
    let source_events = read_run_events(&store, head).unwrap();
    for seq in 0..=10u64 {
        let built = build_fork(
            &store,
            ForkInput {
                source: "src",
                head,
                seq,
                run: "fork",
                author: "A <a@example.com>".into(),
                time: Timestamp(1_700_000_000_000),
                message: String::new(),
            },
        )
        .unwrap();
        store.write_batch(&built.objects).unwrap();
        // No event is written: only an event list (when forked inside a commit) and the commit.
        assert!(
            built
                .objects
                .iter()
                .all(|object| object.kind() != ObjectKind::Event),
            "seq {seq}"
        );
        let fork = &built.commit.run;
        assert_eq!(fork.events, seq);
        assert_eq!(fork.name, "fork");
        let point = fork.forked_from.as_ref().unwrap();
        assert_eq!((point.run.as_str(), point.seq), ("src", seq));
        // The same event objects, and none past the fork point.
        let ids = reachable_events(&store, built.id);
        assert_eq!(ids, source_ids[..seq as usize], "seq {seq}");
        assert_eq!(
            read_run_events(&store, built.id).unwrap(),
            source_events[..seq as usize]
        );
        // Metadata and state as if the first `seq` events had been committed on their own.
        let alone = build_commit(&store, placed("alone", all[..seq as usize].to_vec()))
            .unwrap()
            .commit;
        assert_eq!(
            (&fork.workspace, &fork.code),
            (&alone.run.workspace, &alone.run.code),
            "seq {seq}"
        );
        assert_eq!(fork.workspace.as_deref(), Some("team"), "seq {seq}");
        assert_eq!(
            (
                &fork.model,
                &fork.status,
                fork.tokens.input,
                fork.cost_usd,
                &fork.started,
                fork.duration_ms
            ),
            (
                &alone.run.model,
                &alone.run.status,
                alone.run.tokens.input,
                alone.run.cost_usd,
                &alone.run.started,
                alone.run.duration_ms
            ),
            "seq {seq}"
        );
        assert_eq!(built.commit.tree, alone.tree, "seq {seq}");
        // Forked where a commit ends: that commit is the parent and nothing is listed.
        let boundary = [(3, c2), (7, c3), (10, head)];
        if let Some((_, parent)) = boundary.iter().find(|(at, _)| *at == seq) {
            assert_eq!(built.commit.parents, [*parent]);
            assert_eq!(built.commit.events, None);
        }
        // The fork goes on from its own point.
        let next = events(
            seq,
            vec![json!({"kind": "user_message", "text": "another way"})],
        );
        let (grown, grown_commit) =
            commit_into(&store, "fork", Some((built.id, &built.commit)), next);
        assert_eq!(grown_commit.run.events, seq + 1);
        assert_eq!(grown_commit.run.forked_from, fork.forked_from);
        assert_eq!(
            reachable_events(&store, grown)[..seq as usize],
            source_ids[..seq as usize]
        );
        assert!(event_id_at(&store, grown, seq).unwrap().is_some());
    }
    let past = build_fork(
        &store,
        ForkInput {
            source: "src",
            head,
            seq: 11,
            run: "fork",
            author: "A <a@example.com>".into(),
            time: Timestamp(1_700_000_000_000),
            message: String::new(),
        },
    );
    assert!(
        matches!(
            past,
            Err(hive::repo::RepoError::NoSuchEvent {
                seq: 11,
                count: 10,
                ..
            })
        ),
        "{past:?}"
    );
    assert_eq!(head_commit.run.events, 10);
}

/// A store that counts the event objects and payload blobs read from it.
struct Counting {
    inner: MemoryStore,
    events_read: std::sync::atomic::AtomicUsize,
    blobs_read: std::sync::atomic::AtomicUsize,
}

impl Counting {
    fn new() -> Counting {
        Counting {
            inner: MemoryStore::new(),
            events_read: Default::default(),
            blobs_read: Default::default(),
        }
    }

    fn reads(&self) -> (usize, usize) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.events_read.load(Relaxed),
            self.blobs_read.load(Relaxed),
        )
    }
}

impl ObjectStore for Counting {
    fn read(&self, id: &hive::ObjectId) -> Result<Option<RawObject>, hive::store::StoreError> {
        let raw = self.inner.read(id)?;
        let counter = match raw.as_ref().map(|raw| raw.kind) {
            Some(ObjectKind::Event) => Some(&self.events_read),
            Some(ObjectKind::Blob | ObjectKind::Chunks) => Some(&self.blobs_read),
            _ => None,
        };
        if let Some(counter) = counter {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(raw)
    }
    fn contains(&self, id: &hive::ObjectId) -> Result<bool, hive::store::StoreError> {
        self.inner.contains(id)
    }
    fn write(&self, object: &hive::object::HashedObject) -> Result<(), hive::store::StoreError> {
        self.inner.write(object)
    }
    fn ids(&self) -> Result<Vec<hive::ObjectId>, hive::store::StoreError> {
        self.inner.ids()
    }
}

#[test]
fn diff_aligns_by_content_and_reads_only_what_a_fork_changed() {
    use hive::repo::{DiffOp, DiffSide, ForkInput, build_fork, diff_commits};
    let store = Counting::new();
    // 1000 shared events, then each run goes its own way.
    let shared: Vec<Value> = (0..1000)
        .map(|index| json!({"kind": "user_message", "text": format!("step {index}")}))
        .collect();
    let (head, commit) = {
        let built = build_commit(&store, input("a", None, events(0, shared))).unwrap();
        store.write_batch(&built.objects).unwrap();
        (built.id, built.commit)
    };
    let tail_a = events(
        1000,
        vec![
            json!({"kind": "tool_call", "call_id": "a1", "tool": "Bash", "input": {"command": "cargo test"}}),
            json!({"kind": "tool_result", "call_id": "a1", "output": "1 failed\nlinker error\n"}),
            json!({"kind": "reasoning", "text": "only in a"}),
            json!({"kind": "assistant_message", "text": "done"}),
        ],
    );
    let (head_a, commit_a) = {
        let built = build_commit(&store, input("a", Some((head, &commit)), tail_a)).unwrap();
        store.write_batch(&built.objects).unwrap();
        (built.id, built.commit)
    };
    let fork = build_fork(
        &store,
        ForkInput {
            source: "a",
            head: head_a,
            seq: 1000,
            run: "b",
            author: "A <a@example.com>".into(),
            time: Timestamp(1_700_000_000_000),
            message: String::new(),
        },
    )
    .unwrap();
    store.write_batch(&fork.objects).unwrap();
    let tail_b = events(
        1000,
        vec![
            json!({"kind": "user_message", "text": "only in b"}),
            json!({"kind": "tool_call", "call_id": "b1", "tool": "Bash", "input": {"command": "cargo test --lib"}}),
            json!({"kind": "tool_result", "call_id": "b1", "output": "ok\nall passed\n"}),
            json!({"kind": "assistant_message", "text": "done", "ts": "2026-05-05T00:00:00Z"}),
        ],
    );
    let built_b = build_commit(&store, input("b", Some((fork.id, &fork.commit)), tail_b)).unwrap();
    store.write_batch(&built_b.objects).unwrap();
    store
        .events_read
        .store(0, std::sync::atomic::Ordering::Relaxed);
    let cache = tempfile::tempdir().unwrap();
    let options = hive::repo::DiffOptions {
        same_events: false,
        cache: Some(cache.path().to_path_buf()),
    };
    let run_diff = || {
        diff_commits(
            &store,
            DiffSide {
                name: "a".into(),
                head: head_a,
                commit: commit_a.clone(),
            },
            DiffSide {
                name: "b".into(),
                head: built_b.id,
                commit: built_b.commit.clone(),
            },
            &options,
        )
        .unwrap()
    };
    let reads = || {
        store
            .events_read
            .swap(0, std::sync::atomic::Ordering::Relaxed)
    };
    // The first time, the 8 events past the shared history are read to digest them, and the 6 shown (2 changed
    // pairs, one only in A, one only in B) once more; the shared 1000 never.
    let diff = run_diff();
    assert_eq!(reads(), 14);
    // Then their digests are kept: only the events shown are read.
    let again = run_diff();
    assert_eq!(reads(), 6);
    assert_eq!(again.ops, diff.ops);
    assert_eq!(diff.shared_prefix, 1000);
    let ops: Vec<String> = diff
        .ops
        .iter()
        .map(|op| match op {
            DiffOp::Same { a, b } => format!("= {a} {b}"),
            DiffOp::Changed { a, b, fields } => format!(
                "~ {a} {b} {}",
                fields
                    .iter()
                    .map(|field| field.path.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            DiffOp::OnlyA { a } => format!("- {a}"),
            DiffOp::OnlyB { b } => format!("+ {b}"),
        })
        .collect();
    // The time and call ids differ without counting; the command and the output are what changed.
    assert_eq!(
        ops,
        [
            "+ 1000",
            "~ 1000 1001 /input/command",
            "~ 1001 1002 /output",
            "- 1002",
            "= 1003 1003"
        ]
    );
    assert_eq!(diff.counts(), (1001, 2, 1, 1));
    assert_eq!(
        diff.events_b[&1002].tool.as_deref(),
        Some("Bash"),
        "a result takes its call's tool"
    );
}

#[test]
fn replay_yields_the_events_committed_byte_for_byte_reading_each_when_reached() {
    use hive::repo::{Replay, ReplayedEvent};
    let store = Counting::new();
    // A payload over the threshold (64 bytes here) is a blob; one over the chunking threshold is a chunk list.
    let long = "test output line\n".repeat(100);
    let huge: String = (0..120_000).map(|index| format!("{index:08}\n")).collect();
    let all = events(
        0,
        vec![
            json!({"kind": "session_start", "agent": "codex", "model": "m1"}),
            json!({"kind": "user_message", "text": "run the tests"}),
            json!({"kind": "tool_call", "call_id": "c1", "tool": "Bash", "input": {"command": "cargo test"}}),
            json!({"kind": "tool_result", "call_id": "c1", "output": long, "is_error": true}),
            json!({"kind": "file_op", "op": "edit", "path": "src/a.rs", "before": huge, "after": format!("{huge}x")}),
            json!({"kind": "assistant_message", "text": "fixed", "attrs": {"note": [1, 2.5, null]}}),
            json!({"kind": "custom", "name": "x", "data": {"deep": {"k": "v"}}, "extra_field": true}),
            json!({"kind": "session_end", "status": "success"}),
        ],
    );
    let first = build_commit(&store, input("r", None, all[..4].to_vec())).unwrap();
    store.write_batch(&first.objects).unwrap();
    let second = build_commit(
        &store,
        input("r", Some((first.id, &first.commit)), all[4..].to_vec()),
    )
    .unwrap();
    store.write_batch(&second.objects).unwrap();
    let head = second.id;

    let before = store.reads();
    let mut replay = Replay::new(&store, "r", head, None, None).unwrap();
    assert_eq!(store.reads(), before, "starting a replay reads no event");
    assert_eq!(replay.range(), 0..=7);
    assert_eq!(replay.len(), 8);
    let mut replayed: Vec<ReplayedEvent> = Vec::new();
    for (index, committed) in all.iter().enumerate() {
        let (events, blobs) = store.reads();
        let item = replay.next().unwrap().unwrap();
        assert_eq!(
            store.reads(),
            (events + 1, blobs),
            "seq {index}: one event read, no payload"
        );
        assert_eq!(item.seq, index as u64);
        // The stored form is the event object itself, and resolved it is the event committed, byte for byte.
        let object = RawObject::new(
            ObjectKind::Event,
            hive::canonical::to_vec(&Value::Object(item.stored.clone())),
        )
        .hashed();
        assert_eq!(object.id(), item.id, "seq {index}");
        let resolved = item.resolve(&store).unwrap();
        assert_eq!(
            hive::canonical::to_vec(&Value::Object(resolved)),
            hive::canonical::to_vec(&Value::Object(committed.clone())),
            "seq {index}"
        );
        assert_eq!(item.has_payloads(), matches!(index, 3 | 4), "seq {index}");
        replayed.push(item);
    }
    assert!(replay.next().is_none());
    assert!(store.reads().1 > 0, "payloads were read when resolved");
    // Backwards, and over a range.
    let backwards: Vec<u64> = Replay::new(&store, "r", head, None, None)
        .unwrap()
        .rev()
        .map(|item| item.unwrap().seq)
        .collect();
    assert_eq!(backwards, (0..8).rev().collect::<Vec<_>>());
    let range = Replay::new(&store, "r", head, Some(2), Some(5)).unwrap();
    assert_eq!(range.get(4).unwrap(), replayed[4]);
    assert!(range.get(6).is_err());
    let seqs: Vec<u64> = range.map(|item| item.unwrap().seq).collect();
    assert_eq!(seqs, [2, 3, 4, 5]);
    assert!(matches!(
        Replay::new(&store, "r", head, Some(5), Some(2)),
        Err(hive::RepoError::EmptyRange { from: 5, to: 2 })
    ));
    assert_eq!(
        Replay::new(&store, "r", head, Some(6), Some(80))
            .unwrap()
            .range(),
        6..=7
    );
    assert!(matches!(
        Replay::new(&store, "r", head, Some(8), None),
        Err(hive::RepoError::NoSuchEvent {
            seq: 8,
            count: 8,
            ..
        })
    ));
}
