//! `fsck` reads every object once and checks the graph in memory: these tests build damaged graphs by hand and
//! damage packs on disk, and check that each problem is found and named.

use crate::util::{Project, session};
use hive::Repository;
use hive::id::{ObjectId, ObjectKind};
use hive::object::{Commit, EventList, RawObject};
use hive::refs::{RefName, RefStore, ReflogEntry};
use hive::store::ObjectStore;

fn store(repo: &Repository, raw: RawObject) -> ObjectId {
    let object = raw.hashed();
    repo.odb().write(&object).unwrap();
    object.id()
}

fn event(json: &str) -> RawObject {
    RawObject::new(ObjectKind::Event, json.as_bytes().to_vec())
}

fn commit(parents: Vec<ObjectId>, events: Option<ObjectId>, run: &str, total: u64) -> RawObject {
    let mut commit = Commit {
        parents,
        events,
        tree: None,
        author: "T <t@example.com>".into(),
        time: "2026-01-01T00:00:00Z".into(),
        message: String::new(),
        run: Default::default(),
        extra: Default::default(),
    };
    commit.run.name = run.into();
    commit.run.events = total;
    commit.encode()
}

fn point(repo: &Repository, run: &str, id: ObjectId) {
    let entry = ReflogEntry {
        old: None,
        new: Some(id.to_hex()),
        author: "T <t@example.com>".into(),
        time: "2026-01-01T00:00:00Z".into(),
        message: "test".into(),
    };
    repo.refs()
        .update(&RefName::run(run).unwrap(), None, Some(id), &entry)
        .unwrap();
}

fn problems_of<'a>(report: &'a hive::repo::FsckReport, kind: &str) -> Vec<&'a hive::repo::Problem> {
    report
        .problems
        .iter()
        .filter(|problem| problem.kind == kind)
        .collect()
}

#[test]
fn fsck_finds_missing_payloads_wrong_kinds_and_broken_histories() {
    let project = Project::new();
    let repo = Repository::open(&project.hive_dir()).unwrap();
    let missing = RawObject::new(ObjectKind::Blob, b"never stored".to_vec()).id();
    let stored = store(&repo, RawObject::new(ObjectKind::Blob, b"stored".to_vec()));
    let with_ref = store(
        &repo,
        event(&format!(
            r#"{{"$refs":[{{"blob":"{missing}","media_type":"text/plain; charset=utf-8","path":"/output","size":12}}],"kind":"tool_result","output":null}}"#
        )),
    );
    let plain = store(&repo, event(r#"{"kind":"user_message","text":"hi"}"#));
    let first = store(
        &repo,
        EventList {
            first_seq: 0,
            events: vec![with_ref, plain],
        }
        .encode(),
    );
    let root = store(&repo, commit(vec![], Some(first), "a", 2));
    // The second commit's events say they start at 5, after a parent that has 2.
    let gap = store(
        &repo,
        EventList {
            first_seq: 5,
            events: vec![plain],
        }
        .encode(),
    );
    let broken = store(&repo, commit(vec![root], Some(gap), "a", 3));
    point(&repo, "a", broken);
    // A commit whose event list is a blob.
    let wrong = store(&repo, commit(vec![], Some(stored), "b", 0));
    point(&repo, "b", wrong);
    // Nothing points at this one.
    store(
        &repo,
        RawObject::new(ObjectKind::Blob, b"dangling".to_vec()),
    );

    let report = repo.fsck().unwrap();
    assert!(report.has_errors());
    let found = problems_of(&report, "missing-object");
    assert_eq!(found.len(), 1, "{:?}", report.problems);
    assert_eq!(found[0].subject, missing.to_hex());
    assert!(
        found[0]
            .detail
            .contains(&format!("referenced by event {}", with_ref.short(12))),
        "{}",
        found[0].detail
    );
    let found = problems_of(&report, "bad-history");
    assert_eq!(found.len(), 1, "{:?}", report.problems);
    assert_eq!(found[0].subject, broken.to_hex());
    assert!(found[0].detail.contains("adds events 5..6 after 2 events"));
    let found = problems_of(&report, "wrong-kind");
    assert_eq!(found.len(), 1, "{:?}", report.problems);
    assert_eq!(found[0].subject, stored.to_hex());
    assert_eq!(report.problems.len(), 3, "{:?}", report.problems);
    // Reachable: 2 commits, 2 lists, 2 events and the missing blob on run a; a commit and a blob on run b.
    assert_eq!(report.reachable, 9);
    assert_eq!(report.dangling, 1);
    assert_eq!(report.refs, 2);
}

#[test]
fn fsck_names_objects_in_a_damaged_pack_and_accepts_a_sound_copy_elsewhere() {
    let project = Project::new();
    project.stage_and_commit("r", &session("x"));
    let repo = Repository::open(&project.hive_dir()).unwrap();
    assert!(!repo.fsck().unwrap().has_errors());
    let ids = repo.odb().ids().unwrap();
    let objects: Vec<RawObject> = ids
        .iter()
        .map(|id| repo.odb().read(id).unwrap().unwrap())
        .collect();
    let pack = std::fs::read_dir(project.hive_dir().join("objects/pack"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|ext| ext == "pack"))
        .expect("a session of 8 objects is written as a pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&pack, &bytes).unwrap();

    let repo = Repository::open(&project.hive_dir()).unwrap();
    let report = repo.fsck().unwrap();
    assert!(report.has_errors());
    assert!(!problems_of(&report, "bad-pack").is_empty());
    let damaged = problems_of(&report, "corrupt-object");
    assert!(!damaged.is_empty(), "{:?}", report.problems);
    for problem in &damaged {
        assert!(
            ids.iter().any(|id| id.to_hex() == problem.subject),
            "{problem:?}"
        );
        assert!(problem.detail.contains("referenced by"), "{problem:?}");
    }

    // With a sound copy of every object in loose files, only the pack itself is reported.
    for object in objects {
        repo.odb().loose().write(&object.hashed()).unwrap();
    }
    let report = repo.fsck().unwrap();
    assert!(!problems_of(&report, "bad-pack").is_empty());
    assert!(
        report
            .problems
            .iter()
            .all(|problem| problem.kind == "bad-pack"),
        "{:?}",
        report.problems
    );
    assert_eq!(report.reachable, ids.len() as u64);
}

#[test]
fn fsck_checks_the_kind_at_every_reference_to_an_object() {
    let project = Project::new();
    let repo = Repository::open(&project.hive_dir()).unwrap();
    let plain = store(&repo, event(r#"{"kind":"user_message","text":"hi"}"#));
    let list = store(
        &repo,
        EventList {
            first_seq: 0,
            events: vec![plain],
        }
        .encode(),
    );
    let root = store(&repo, commit(vec![], Some(list), "a", 1));
    point(&repo, "a", root);
    // The event is first reached rightly (run a's event list), then as run b's parent commit.
    let child = store(&repo, commit(vec![plain], None, "b", 1));
    point(&repo, "b", child);
    let report = repo.fsck().unwrap();
    let wrong = problems_of(&report, "wrong-kind");
    assert_eq!(wrong.len(), 1, "{:?}", report.problems);
    assert_eq!(wrong[0].subject, plain.to_hex());
}
