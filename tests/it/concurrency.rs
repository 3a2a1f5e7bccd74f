//! Many processes appending and committing at once, to their own runs and to one shared run.

use crate::util::{Project, hive_command};
use hive::Repository;
use serde_json::Value;
use std::collections::HashMap;

const WRITERS: usize = 6;
const ROUNDS: usize = 8;
const EVENTS: usize = 5;

fn batch(writer: usize, round: usize) -> String {
    (0..EVENTS)
        .map(|event| {
            format!("{{\"kind\":\"user_message\",\"text\":\"w{writer}-r{round}-e{event}\"}}\n")
        })
        .collect()
}

fn append(project: &Project, run: &str, input: &str) {
    project.hive_stdin(&["append", "--run", run], input).ok();
}

fn commit(project: &Project, run: Option<&str>) {
    let mut command = hive_command(project.path());
    command.arg("commit");
    if let Some(run) = run {
        command.args(["--run", run]);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "commit failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn concurrent_writers_lose_and_duplicate_nothing() {
    let project = Project::new();
    std::thread::scope(|scope| {
        for writer in 0..WRITERS {
            let project = &project;
            scope.spawn(move || {
                for round in 0..ROUNDS {
                    append(project, &format!("own-{writer}"), &batch(writer, round));
                    append(project, "shared", &batch(writer, round));
                    match round % 3 {
                        0 => commit(project, Some("shared")),
                        1 => commit(project, Some(&format!("own-{writer}"))),
                        _ => commit(project, None),
                    }
                }
            });
        }
    });
    commit(&project, None);
    let repo = Repository::open(&project.hive_dir()).unwrap();
    let check = |run: &str, expected: usize| {
        let events = repo.events(run).unwrap();
        assert_eq!(events.len(), expected, "run {run}");
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (seq, shown) in events.iter().enumerate() {
            assert_eq!(
                shown.event["seq"],
                Value::from(seq),
                "gapless seqs in {run}"
            );
            *seen
                .entry(shown.event["text"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        assert!(
            seen.values().all(|count| *count == 1),
            "no event twice in {run}"
        );
        seen
    };
    let shared = check("shared", WRITERS * ROUNDS * EVENTS);
    for writer in 0..WRITERS {
        for round in 0..ROUNDS {
            // Each writer's batches stay in order and whole within the shared run.
            assert!(shared.contains_key(&format!("w{writer}-r{round}-e0")));
        }
        check(&format!("own-{writer}"), ROUNDS * EVENTS);
    }
    let shared_events = repo.events("shared").unwrap();
    for window in shared_events.windows(EVENTS) {
        let first = window[0].event["text"].as_str().unwrap();
        if first.ends_with("-e0") {
            let prefix = first.trim_end_matches("e0");
            for (offset, shown) in window.iter().enumerate() {
                assert_eq!(
                    shown.event["text"].as_str().unwrap(),
                    format!("{prefix}e{offset}"),
                    "a batch is contiguous"
                );
            }
        }
    }
    let report = repo.fsck().unwrap();
    assert!(!report.has_errors(), "{:?}", report.problems);
}

/// Runs `hive gc --prune now` again and again until `done`; returns how many times. Every run must succeed.
fn gc_until(project: &Project, done: &std::sync::atomic::AtomicBool) -> usize {
    let mut runs = 0;
    while !done.load(std::sync::atomic::Ordering::SeqCst) {
        let output = hive_command(project.path())
            .args(["gc", "--prune", "now"])
            .env("HIVE_LOCK_TIMEOUT_MS", "120000")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "gc failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        runs += 1;
    }
    runs
}

#[test]
fn gc_prune_now_during_commits_loses_nothing() {
    let project = Project::new();
    let done = std::sync::atomic::AtomicBool::new(false);
    let mut gcs = 0;
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..3)
            .map(|writer| {
                let project = &project;
                scope.spawn(move || {
                    for round in 0..15 {
                        append(project, &format!("gc-{writer}"), &batch(writer, round));
                        commit(project, Some(&format!("gc-{writer}")));
                    }
                })
            })
            .collect();
        let collector = scope.spawn(|| gc_until(&project, &done));
        for writer in writers {
            writer.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        gcs = collector.join().unwrap();
    });
    assert!(gcs > 0);
    let repo = Repository::open(&project.hive_dir()).unwrap();
    let report = repo.fsck().unwrap();
    assert!(
        !report.has_errors(),
        "after {gcs} gc runs: {:?}",
        report.problems
    );
    for writer in 0..3 {
        assert_eq!(
            repo.events(&format!("gc-{writer}")).unwrap().len(),
            15 * EVENTS
        );
    }
}

/// Runs `hive commit --json` (with `input` on stdin as a whole session when given) and returns the commits it
/// acknowledged.
fn acknowledged_commits(project: &Project, run: &str, input: Option<&str>) -> Vec<String> {
    use std::io::Write;
    let mut command = hive_command(project.path());
    command
        .args(["commit", "--json", "--run", run])
        .env("HIVE_LOCK_TIMEOUT_MS", "120000")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if input.is_some() {
        command.arg("-").stdin(std::process::Stdio::piped());
    }
    let mut child = command.spawn().unwrap();
    if let Some(input) = input {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "commit failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    value["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|commit| commit["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn eight_writers_and_a_gc_loop_leave_exactly_the_acknowledged_commits() {
    const EIGHT: usize = 8;
    let rounds = if crate::util::slow() { 12 } else { 5 };
    let project = Project::new();
    let done = std::sync::atomic::AtomicBool::new(false);
    let acknowledged = std::sync::Mutex::new(std::collections::HashSet::new());
    let mut gcs = 0;
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..EIGHT)
            .map(|writer| {
                let (project, acknowledged) = (&project, &acknowledged);
                scope.spawn(move || {
                    for round in 0..rounds {
                        let own = format!("own-{writer}");
                        let commits = match round % 4 {
                            // A whole session straight into its own run, or into the shared one.
                            0 => acknowledged_commits(project, &own, Some(&batch(writer, round))),
                            1 => {
                                acknowledged_commits(project, "shared", Some(&batch(writer, round)))
                            }
                            // Staged, then committed (another writer's commit may take the shared events).
                            2 => {
                                append(project, &own, &batch(writer, round));
                                acknowledged_commits(project, &own, None)
                            }
                            _ => {
                                append(project, "shared", &batch(writer, round));
                                acknowledged_commits(project, "shared", None)
                            }
                        };
                        acknowledged.lock().unwrap().extend(commits);
                    }
                })
            })
            .collect();
        let collector = scope.spawn(|| gc_until(&project, &done));
        for writer in writers {
            writer.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        gcs = collector.join().unwrap();
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    let repo = Repository::open(&project.hive_dir()).unwrap();
    let report = repo.fsck().unwrap();
    assert!(
        !report.has_errors(),
        "after {gcs} gc runs: {:?}",
        report.problems
    );
    let reachable: std::collections::HashSet<String> = repo
        .log_all(None)
        .unwrap()
        .into_iter()
        .map(|(id, _)| id.to_hex())
        .collect();
    eprintln!(
        "concurrency: {EIGHT} writers x {rounds} rounds, {gcs} gc runs, {} acknowledged commits, {} reachable",
        acknowledged.len(),
        reachable.len()
    );
    assert!(gcs > 0 && acknowledged.len() >= EIGHT * rounds / 2);
    assert_eq!(
        reachable, acknowledged,
        "the reachable commits are exactly the acknowledged ones"
    );
    // Every event committed is there once.
    for writer in 0..EIGHT {
        assert_eq!(
            repo.events(&format!("own-{writer}")).unwrap().len(),
            rounds.div_ceil(2) * EVENTS
        );
    }
    assert_eq!(
        repo.events("shared").unwrap().len(),
        EIGHT * (rounds / 2) * EVENTS
    );
}
