//! Real agent sessions (HIVE_TEST_DATA, set by .ci/run to ../shared/trajectories): every record of every file is
//! stored as a `custom` event, committed, and must read back JSON-equal, with fsck clean.

use hive::Repository;
use hive::repo::CommitOptions;
use serde_json::{Map, Value, json};
use std::path::Path;

/// The records of a file: JSON Lines records, the elements of a top-level array, or the one top-level value.
fn records(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    if path.extension().is_some_and(|ext| ext == "jsonl") {
        return text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
    }
    match serde_json::from_str(&text) {
        Ok(Value::Array(items)) => items,
        Ok(value) => vec![value],
        Err(_) => Vec::new(),
    }
}

#[test]
fn real_sessions_round_trip_through_the_repository() {
    let Some(dir) = crate::util::test_data() else {
        eprintln!("HIVE_TEST_DATA is not set: real-session test skipped");
        return;
    };
    let paths = crate::util::files_under(&dir, &["json", "jsonl", "traj"]);
    assert!(
        paths.len() > 100,
        "expected the trajectories collection, found {} files",
        paths.len()
    );
    let project = tempfile::tempdir().unwrap();
    let (repo, _) = Repository::init(project.path()).unwrap();
    let mut expected: Vec<(String, Vec<Value>)> = Vec::new();
    let mut input_bytes = 0u64;
    // Secrets are masked before storage: what reads back is the records as masked.
    let redactor = hive::redact::Redactor::built_in();
    for (index, path) in paths.iter().enumerate() {
        let mut records = records(path);
        let mut tally = hive::redact::Tally::default();
        for record in &mut records {
            redactor.redact_value(record, &mut tally);
        }
        if records.is_empty() {
            continue;
        }
        input_bytes += std::fs::metadata(path).unwrap().len();
        let run = format!("file-{index}");
        let name = path.strip_prefix(&dir).unwrap().display().to_string();
        let events: Vec<Map<String, Value>> = records
            .iter()
            .map(|record| {
                json!({"kind": "custom", "name": name, "data": record, "ts": "2026-01-01T00:00:00Z"}).as_object().unwrap().clone()
            })
            .collect();
        repo.append_events(&run, events).unwrap();
        expected.push((run, records));
    }
    let outcomes = repo.commit(None, &CommitOptions::default()).unwrap();
    assert_eq!(outcomes.len(), expected.len());
    let mut total = 0;
    for (run, records) in &expected {
        let events = repo.events(run).unwrap();
        assert_eq!(events.len(), records.len(), "run {run}");
        for (shown, record) in events.iter().zip(records) {
            assert_eq!(
                &shown.event["data"], record,
                "record {} of {run} reads back JSON-equal",
                shown.seq
            );
        }
        total += events.len();
    }
    let report = repo.fsck().unwrap();
    assert!(!report.has_errors(), "{:?}", report.problems);
    let stored = repo.stored_bytes().unwrap();
    eprintln!(
        "real sessions: {} files, {total} records, {input_bytes} bytes in, {stored} bytes stored ({:.2}x), {} objects",
        expected.len(),
        input_bytes as f64 / stored as f64,
        report.objects
    );
    // Large payloads went to blobs: there are more objects than events, event lists and commits.
    assert!(report.objects as usize > total + 2 * expected.len());
}
