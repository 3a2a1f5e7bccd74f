//! Crash safety: `hive append`, `hive commit`, `hive gc` and `hive push` (whose path remote receives in the same
//! process), and `hive serve` while it receives a push, are killed (SIGKILL) at random points: hundreds of times,
//! over a thousand in the slow tier. Afterwards fsck finds no damage on either side, every acknowledged commit is
//! in its run's history, every acknowledged append's events are in the repository exactly once, every
//! acknowledged push is on the remote, and the next commit, gc and push work without anyone removing a lock.

use crate::util::{Lcg, Project, assert_in_history, hive_command};
use hive::Repository;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Kills of local commands: 220, or 800 in the slow tier.
fn kills() -> usize {
    if crate::util::slow() { 800 } else { 220 }
}

/// Kills of a server receiving a push: 30, or 250 in the slow tier.
fn server_kills() -> usize {
    if crate::util::slow() { 250 } else { 30 }
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
    Gc,
    Push,
}

impl Job {
    fn kind(&self) -> &'static str {
        match self {
            Job::Append { .. } => "append",
            Job::Commit => "commit",
            Job::Gc => "gc",
            Job::Push => "push",
        }
    }
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
        Job::Gc => {
            command.args(["gc", "--prune", "now"]).stdin(Stdio::null());
        }
        Job::Push => {
            command.args(["push", "--json"]).stdin(Stdio::null());
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
    let remote = tempfile::tempdir().unwrap();
    let remote_dir = remote.path().join("team.hive");
    project
        .hive(&["remote", "add", "origin", remote_dir.to_str().unwrap()])
        .ok();
    let mut acknowledged_pushes: Vec<(String, String)> = Vec::new();
    let mut durations: HashMap<&'static str, Duration> = HashMap::new();
    let mut random = Lcg(0x5eed);
    let mut acknowledged_commits: Vec<(String, String)> = Vec::new();
    let mut acknowledged_tags: HashSet<String> = HashSet::new();
    let mut all_tags: HashSet<String> = HashSet::new();
    let mut killed = 0;
    let mut iteration = 0;
    while killed < kills() {
        iteration += 1;
        let run = format!("run-{}", random.next() % 3);
        let pick = random.next() % 20;
        let job = if pick < 9 {
            let size = 1 + (random.next() % 60) as usize;
            let input = batch(iteration, size);
            let tags = input
                .lines()
                .map(|line| event_tag(&serde_json::from_str(line).unwrap()))
                .collect();
            (Job::Append { run, tags }, input)
        } else if pick < 15 {
            (Job::Commit, String::new())
        } else if pick < 17 {
            (Job::Gc, String::new())
        } else {
            (Job::Push, String::new())
        };
        let (job, input) = job;
        if let Job::Append { tags, .. } = &job {
            all_tags.extend(tags.iter().cloned());
        }
        let kind = job.kind();
        let started = Instant::now();
        let mut child = spawn(&project, &job, &input);
        // One run in three completes; the others are killed at a random moment within how long that kind of
        // command last took (so the kills land inside the work on a fast machine and a slow one alike).
        if !iteration.is_multiple_of(3) {
            let typical = durations
                .get(kind)
                .copied()
                .unwrap_or(Duration::from_millis(20));
            std::thread::sleep(typical.mul_f64((random.next() % 1000) as f64 / 1000.0));
            if child.try_wait().unwrap().is_none() {
                let _ = child.kill();
                killed += 1;
            }
        }
        let output = child.wait_with_output().unwrap();
        if output.status.success() {
            durations.insert(kind, started.elapsed());
        }
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
            Job::Gc => {}
            Job::Push => acknowledged_pushes.extend(pushed(&value)),
        }
    }
    assert!(killed >= kills());
    assert!(
        !acknowledged_commits.is_empty() && !acknowledged_tags.is_empty(),
        "some work completed between kills: {} commits, {} events in {iteration} runs",
        acknowledged_commits.len(),
        acknowledged_tags.len()
    );

    let repo = Repository::open(&project.hive_dir()).unwrap();
    let report = repo.fsck().unwrap();
    assert!(
        !report.has_errors(),
        "fsck after {killed} kills: {:?}",
        report.problems
    );
    assert_in_history(&repo, &acknowledged_commits, "acknowledged commit");
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

    // The remote: whole, and holding every acknowledged push.
    let remote_repo = Repository::open(&remote_dir).unwrap();
    let report = remote_repo.fsck().unwrap();
    assert!(!report.has_errors(), "remote: {:?}", report.problems);
    assert!(!acknowledged_pushes.is_empty(), "some pushes completed");
    assert_in_history(&remote_repo, &acknowledged_pushes, "acknowledged push");
    // Nothing needs a person to remove a lock: gc and a push go through at once.
    let gc = hive_command(project.path())
        .args(["gc", "--prune", "now"])
        .env("HIVE_LOCK_TIMEOUT_MS", "2000")
        .output()
        .unwrap();
    assert!(
        gc.status.success(),
        "{}",
        String::from_utf8_lossy(&gc.stderr)
    );
    let push = hive_command(project.path())
        .args(["push"])
        .env("HIVE_LOCK_TIMEOUT_MS", "2000")
        .output()
        .unwrap();
    assert!(
        push.status.success(),
        "{}",
        String::from_utf8_lossy(&push.stderr)
    );
    assert!(!repo.fsck().unwrap().has_errors());
    assert!(!remote_repo.fsck().unwrap().has_errors());
    eprintln!(
        "kill -9: {killed} local commands killed in {iteration} runs; {} commits, {} appends and {} pushes acknowledged, all kept",
        acknowledged_commits.len(),
        acknowledged_tags.len(),
        acknowledged_pushes.len()
    );
}

/// The (run, id) pairs a `hive push --json` reports the remote holds.
fn pushed(value: &Value) -> Vec<(String, String)> {
    value["refs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| {
            matches!(
                entry["status"].as_str(),
                Some("created" | "fast-forward" | "forced" | "up-to-date")
            )
        })
        .filter_map(|entry| {
            let run = entry["name"].as_str()?.strip_prefix("runs/")?;
            Some((run.to_string(), entry["new"].as_str()?.to_string()))
        })
        .collect()
}

/// About `bytes` of text that compresses poorly, so that a push takes long enough to be killed in the middle.
fn noise(seed: u64, bytes: usize) -> String {
    let mut random = Lcg(seed.wrapping_mul(7919) | 1);
    (0..bytes)
        .map(|_| char::from(b'a' + (random.next() % 26) as u8))
        .collect()
}

#[test]
fn a_server_killed_while_receiving_pushes_loses_nothing_acknowledged() {
    let root = tempfile::tempdir().unwrap();
    let project = Project::new();
    let mut random = Lcg(0x5e7e);
    let mut acknowledged: Vec<(String, String)> = Vec::new();
    let mut killed = 0;
    let mut round = 0u64;
    let mut typical = Duration::from_millis(100);
    while killed < server_kills() {
        round += 1;
        let mut server = crate::sync::Server::start_open(root.path());
        let url = server.repo_url("team");
        // A new commit of about 600 kB on one of three runs.
        let run = format!("run-{}", random.next() % 3);
        let input: String = (0..3)
            .map(|part| {
                format!(
                    "{{\"kind\":\"tool_result\",\"call_id\":\"c{round}-{part}\",\"output\":\"{}\"}}\n",
                    noise(round * 10 + part, 200_000)
                )
            })
            .collect();
        project.stage_and_commit(&run, &input);
        let started = Instant::now();
        let mut child = hive_command(project.path())
            .args(["push", "--json", &url])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // One push in three completes; the server is killed during the others, at a random moment within how
        // long the last completed push took.
        if !round.is_multiple_of(3) {
            std::thread::sleep(typical.mul_f64((random.next() % 1000) as f64 / 1000.0));
            if child.try_wait().unwrap().is_none() {
                server.kill();
                killed += 1;
            }
        }
        let output = child.wait_with_output().unwrap();
        server.kill();
        if output.status.success() {
            typical = started.elapsed();
            acknowledged.extend(pushed(&serde_json::from_slice(&output.stdout).unwrap()));
        }
    }
    // Restarted, the server takes the rest; its repository is whole and holds every acknowledged push.
    let mut server = crate::sync::Server::start_open(root.path());
    let url = server.repo_url("team");
    let push = hive_command(project.path())
        .args(["push", &url])
        .output()
        .unwrap();
    assert!(
        push.status.success(),
        "{}",
        String::from_utf8_lossy(&push.stderr)
    );
    server.kill();
    let remote = Repository::open(&root.path().join("team")).unwrap();
    let report = remote.fsck().unwrap();
    assert!(!report.has_errors(), "{:?}", report.problems);
    assert_in_history(&remote, &acknowledged, "acknowledged push");
    eprintln!(
        "kill -9: the server killed {killed} times while receiving, in {round} pushes; {} acknowledged, all kept",
        acknowledged.len()
    );
}
