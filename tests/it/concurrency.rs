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
        let collector = scope.spawn(|| {
            let mut runs = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let output = hive_command(project.path())
                    .args(["gc", "--prune", "now"])
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
        });
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
