//! `hive rm`: a removed run leaves every listing at once, and with --purge (or at the next gc) every byte that only
//! it held leaves the disk, while what other runs share stays.

use crate::util::{Project, session};
use serde_json::Value;
use std::path::Path;

/// Every file under `dir`, read whole.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

/// Where `needle` is in `.hive/`: in a file's bytes, or in an object decoded (`hive cat-file --all`).
fn traces(project: &Project, needle: &str) -> Vec<String> {
    let mut found: Vec<String> = files(&project.hive_dir())
        .into_iter()
        .filter(|(_, bytes)| {
            bytes
                .windows(needle.len())
                .any(|window| window == needle.as_bytes())
        })
        .map(|(path, _)| path)
        .collect();
    let decoded = project.hive(&["cat-file", "--all"]);
    for line in decoded.ok().lines() {
        if line.contains(needle) {
            let object: Value = serde_json::from_str(line).unwrap();
            found.push(format!("object {}", object["id"]));
        }
    }
    found
}

/// A run `leak` forked from `keep` (sharing its first events) that holds `secret` in a message, in a payload large
/// enough to be a blob of its own, in a commit message and in an event still staged.
fn leaky_project(secret: &str) -> Project {
    let project = Project::new();
    project.stage_and_commit("keep", &session("keep"));
    project.hive(&["fork", "keep@3", "leak"]).ok();
    let output = format!("{secret}\n").repeat(400);
    let events = [
        serde_json::json!({"kind": "user_message", "text": format!("the phrase is {secret}")}),
        serde_json::json!({"kind": "tool_result", "call_id": "c1", "output": output}),
    ]
    .map(|event| event.to_string())
    .join("\n");
    project
        .hive_stdin(&["append", "--run", "leak"], &events)
        .ok();
    project
        .hive(&[
            "commit",
            "--run",
            "leak",
            "-m",
            &format!("remember {secret}"),
        ])
        .ok();
    project
        .hive_stdin(
            &["append", "--run", "leak"],
            &serde_json::json!({"kind": "user_message", "text": format!("staged {secret}")})
                .to_string(),
        )
        .ok();
    assert!(
        traces(&project, secret).len() >= 4,
        "{:?}",
        traces(&project, secret)
    );
    project
}

#[test]
fn rm_purge_leaves_no_byte_of_what_only_the_run_held() {
    // Not a pattern any detector masks: it is stored as written.
    let secret = "orange-walrus-launch-phrase";
    let project = leaky_project(secret);
    let kept_before = project.hive(&["replay", "keep", "--json"]).ok().to_string();
    let removed = project.hive(&["rm", "leak", "--purge", "--json"]).json();
    assert_eq!(removed["removed"][0]["run"], "leak");
    assert_eq!(removed["removed"][0]["events"], 5);
    assert_eq!(removed["removed"][0]["staged"], 1);
    assert!(
        removed["purge"]["purged"].as_u64().unwrap() >= 4,
        "{removed:#}"
    );
    assert_eq!(traces(&project, secret), Vec::<String>::new());
    // Gone from every listing; the run it shared events with is whole, and the repository is sound.
    let runs = project.hive(&["runs", "--json"]).json_lines();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["name"], "keep");
    assert_eq!(project.hive(&["log", "leak"]).code, 4);
    assert_eq!(
        project.hive(&["replay", "keep", "--json"]).ok(),
        kept_before
    );
    let fsck = project.hive(&["fsck", "--json"]).json();
    assert_eq!(fsck["ok"], true, "{fsck:#}");
    // The name is free again, and removing it again is refused.
    assert_eq!(project.hive(&["rm", "leak"]).code, 4);
    project.stage_and_commit("leak", &session("again"));
}

#[test]
fn rm_then_gc_deletes_what_only_the_run_held_whatever_its_age() {
    let secret = "violet-heron-access-phrase";
    let project = leaky_project(secret);
    let text = project.hive(&["rm", "leak"]);
    assert!(
        text.ok()
            .starts_with("removed leak (5 events, 1 staged, head "),
        "{text:?}"
    );
    assert!(text.stderr.contains("next `hive gc`"), "{text:?}");
    // Listed nowhere at once; the objects stay until gc.
    assert!(!project.hive(&["runs"]).ok().contains("leak"));
    assert!(!traces(&project, secret).is_empty());
    // The default gc keeps unreachable objects younger than two weeks, but not a removed run's.
    let gc = project.hive(&["gc", "--json"]).json();
    assert!(gc["purged"].as_u64().unwrap() >= 4, "{gc:#}");
    assert_eq!(traces(&project, secret), Vec::<String>::new());
    assert!(!project.hive_dir().join("removed").exists());
    assert_eq!(project.hive(&["fsck", "--json"]).json()["ok"], true);
    assert_eq!(
        project
            .hive(&["replay", "keep", "--json"])
            .json_lines()
            .len(),
        6
    );
}

#[test]
fn rm_refuses_unknown_runs_before_removing_any() {
    let project = Project::new();
    project.stage_and_commit("a", &session("a"));
    let refused = project.hive(&["rm", "a", "nope"]);
    assert_eq!(refused.code, 4, "{refused:?}");
    assert!(refused.stderr.contains("nope"));
    assert_eq!(project.hive(&["runs", "--json"]).json_lines().len(), 1);
    // A run with staged events only is removed with them.
    project
        .hive_stdin(
            &["append", "--run", "b"],
            "{\"kind\":\"user_message\",\"text\":\"x\"}\n",
        )
        .ok();
    let removed = project.hive(&["rm", "b", "--json"]).json();
    assert_eq!(removed["removed"][0]["staged"], 1);
    assert_eq!(removed["removed"][0]["head"], Value::Null);
    // A run under a folder leaves no folder behind that would block the folder's name.
    project.stage_and_commit("team/x", &session("x"));
    project.hive(&["rm", "team/x"]).ok();
    project.stage_and_commit("team", &session("team"));
    // The source of a fork goes; the fork keeps the history they shared.
    project.hive(&["fork", "a@4", "a-fork"]).ok();
    let fork_before = project
        .hive(&["replay", "a-fork", "--json"])
        .ok()
        .to_string();
    project.hive(&["rm", "a", "--purge"]).ok();
    assert_eq!(
        project.hive(&["replay", "a-fork", "--json"]).ok(),
        fork_before
    );
    assert_eq!(project.hive(&["fsck", "--json"]).json()["ok"], true);
}

#[test]
fn rm_says_when_a_merge_keeps_the_run_and_names_each_run_once() {
    let project = Project::new();
    project.stage_and_commit(
        "leak",
        &format!(
            "{}{}\n",
            session("leak"),
            r#"{"kind":"state_update","key":"lesson","value":"keep tests fast"}"#
        ),
    );
    project.hive(&["workspace", "create", "team"]).ok();
    project
        .hive(&["promote", "--from", "leak", "--to", "team"])
        .ok();
    // Named twice: refused before anything is removed.
    assert_eq!(project.hive(&["rm", "leak", "leak"]).code, 2);
    assert_eq!(project.hive(&["runs", "--json"]).json_lines().len(), 1);
    // The workspace's merge commit still reaches the run: purging keeps it and says so.
    let removed = project.hive(&["rm", "leak", "--purge"]);
    assert!(removed.stderr.contains("still reachable"), "{removed:?}");
    let report = project.hive(&["gc", "--json"]).json();
    assert_eq!(report["removed_still_reachable"], serde_json::json!([]));
    assert_eq!(
        project
            .hive(&["memory", "get", "lesson", "-w", "team"])
            .ok(),
        "keep tests fast\n"
    );
    assert_eq!(project.hive(&["fsck", "--json"]).json()["ok"], true);
}
