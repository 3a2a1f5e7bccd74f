//! Crash safety: `hive append` and `hive commit` are killed at random points, hundreds of times. Afterwards
//! fsck finds no damage, every acknowledged commit is in its run's history, and every acknowledged append's
//! events are in the repository exactly once.

use crate::util::{Project, hive_command};
use hive::Repository;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::process::{Child, Stdio};
use std::time::Duration;

const KILLS: usize = 220;

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn batch(tag: usize, size: usize) -> String {
    let payload = "x".repeat(5000);
    (0..size)
        .map(|event| {
            if event % 7 == 3 {
                format!("{{\"kind\":\"tool_result\",\"call_id\":\"c{tag}-{event}\",\"output\":\"{tag}-{event} {payload}\"}}\n")
            } else {
                format!("{{\"kind\":\"user_message\",\"text\":\"b{tag}-e{event}\"}}\n")
            }
        })
        .collect()
}

fn event_tag(event: &Value) -> String {
    match event["kind"].as_str().unwrap() {
        "user_message" => event["text"].as_str().unwrap().to_string(),
        _ => event["call_id"].as_str().unwrap().to_string(),
    }
}

enum Job {
    Append { run: String, tags: Vec<String> },
    Commit,
}

fn spawn(project: &Project, job: &Job, input: &str) -> Child {
    let mut command = hive_command(project.path());
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    match job {
        Job::Append { run, .. } => {
            command
                .args(["append", "--json", "--run", run])
                .stdin(Stdio::piped());
        }
        Job::Commit => {
            command.args(["commit", "--json"]).stdin(Stdio::null());
        }
    }
    let mut child = command.spawn().unwrap();
    if let Some(mut stdin) = child.stdin.take() {
        // The child may be killed before it reads: a broken pipe here is expected.
        let _ = stdin.write_all(input.as_bytes());
    }
    child
}

#[test]
fn killed_writers_never_lose_acknowledged_data() {
    let project = Project::new();
    let mut random = Lcg(0x5eed);
    let mut acknowledged_commits: Vec<(String, String)> = Vec::new();
    let mut acknowledged_tags: HashSet<String> = HashSet::new();
    let mut all_tags: HashSet<String> = HashSet::new();
    let mut killed = 0;
    let mut iteration = 0;
    while killed < KILLS {
        iteration += 1;
        let run = format!("run-{}", random.next() % 3);
        let job = if random.next().is_multiple_of(2) {
            let size = 1 + (random.next() % 60) as usize;
            let input = batch(iteration, size);
            let tags = input
                .lines()
                .map(|line| event_tag(&serde_json::from_str(line).unwrap()))
                .collect();
            (Job::Append { run, tags }, input)
        } else {
            (Job::Commit, String::new())
        };
        let (job, input) = job;
        if let Job::Append { tags, .. } = &job {
            all_tags.extend(tags.iter().cloned());
        }
        let mut child = spawn(&project, &job, &input);
        std::thread::sleep(Duration::from_micros(random.next() % 40_000));
        let finished = child.try_wait().unwrap().is_some();
        if !finished {
            let _ = child.kill();
            killed += 1;
        }
        let output = child.wait_with_output().unwrap();
        if !output.status.success() {
            continue;
        }
        let value: Value = match serde_json::from_slice(&output.stdout) {
            Ok(value) => value,
            Err(_) => continue,
        };
        match job {
            Job::Append { tags, .. } => acknowledged_tags.extend(tags),
            Job::Commit => {
                for commit in value["commits"].as_array().unwrap() {
                    acknowledged_commits.push((
                        commit["run"]["name"].as_str().unwrap().to_string(),
                        commit["id"].as_str().unwrap().to_string(),
                    ));
                }
            }
        }
    }
    assert!(killed >= KILLS);
    assert!(
        !acknowledged_commits.is_empty() && !acknowledged_tags.is_empty(),
        "some work completed between kills"
    );

    let repo = Repository::open(&project.hive_dir()).unwrap();
    let report = repo.fsck().unwrap();
    assert!(
        !report.has_errors(),
        "fsck after {killed} kills: {:?}",
        report.problems
    );
    // Every acknowledged commit is in its run's first-parent history.
    for (run, id) in &acknowledged_commits {
        let (head, _) = repo.require_head(run).unwrap();
        let history: HashSet<String> = repo
            .log_from(head, None)
            .unwrap()
            .into_iter()
            .map(|(id, _)| id.to_hex())
            .collect();
        assert!(
            history.contains(id),
            "acknowledged commit {id} of {run} is in its history"
        );
    }
    // Seal whatever is staged, then every acknowledged event is present exactly once.
    let final_commit = hive_command(project.path()).arg("commit").output().unwrap();
    assert!(
        final_commit.status.success(),
        "{}",
        String::from_utf8_lossy(&final_commit.stderr)
    );
    let mut counts: HashMap<String, usize> = HashMap::new();
    for run in repo.runs().unwrap() {
        for (seq, shown) in repo.events(&run.name).unwrap().into_iter().enumerate() {
            assert_eq!(shown.event["seq"], Value::from(seq));
            *counts
                .entry(event_tag(&Value::Object(shown.event)))
                .or_default() += 1;
        }
    }
    for tag in &acknowledged_tags {
        assert_eq!(
            counts.get(tag),
            Some(&1),
            "acknowledged event {tag} is stored exactly once"
        );
    }
    assert!(counts.keys().all(|tag| all_tags.contains(tag)));
    assert!(
        counts.values().all(|count| *count == 1),
        "no event is stored twice"
    );
    let report = repo.fsck().unwrap();
    assert!(!report.has_errors(), "{:?}", report.problems);
}
