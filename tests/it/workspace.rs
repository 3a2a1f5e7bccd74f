//! Workspaces and memory: inheritance without copying, isolation between workspaces, and promote / merge / update
//! as three-way merges of state entries that never drop an entry silently.

use crate::util::{Project, session};
use hive::Repository;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[test]
fn a_read_scoped_to_a_workspace_never_sees_what_only_another_wrote() {
    let project = tempfile::tempdir().unwrap();
    let (repo, _) = Repository::init(project.path()).unwrap();
    // A model of every workspace's memory, checked against the repository after each of 300 seeded operations.
    let mut model: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    let mut seed = 0x5eed_u64;
    let mut next = |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };
    repo.create_workspace("root", None).unwrap();
    model.insert("root".into(), BTreeMap::new());
    for step in 0..300 {
        let names: Vec<String> = model.keys().cloned().collect();
        let workspace = names[next(names.len() as u64) as usize].clone();
        let key = format!("k{}", next(6));
        match next(10) {
            0 if model.len() < 8 => {
                let child = format!("w{step}");
                repo.create_workspace(&child, Some(&workspace)).unwrap();
                let inherited = model[&workspace].clone();
                model.insert(child, inherited);
            }
            1 | 2 => {
                let removed = repo.memory_write(&workspace, &key, None, &[]);
                match model.get_mut(&workspace).unwrap().remove(&key) {
                    Some(_) => assert!(removed.is_ok(), "{removed:?}"),
                    None => assert!(matches!(removed, Err(hive::RepoError::NoSuchKey { .. }))),
                }
            }
            _ => {
                let value = json!({"written_by": workspace, "step": step});
                repo.memory_write(&workspace, &key, Some(&value), &[])
                    .unwrap();
                model.get_mut(&workspace).unwrap().insert(key, value);
            }
        }
        for (name, expected) in &model {
            let held: BTreeMap<String, Value> = repo
                .memory_list(name, &[])
                .unwrap()
                .into_iter()
                .map(|(key, entry)| (key, entry.value))
                .collect();
            assert_eq!(&held, expected, "workspace {name} after step {step}");
        }
    }
    assert!(model.len() > 3, "the walk made workspaces: {}", model.len());
    assert!(!repo.fsck().unwrap().has_errors());
}

#[test]
fn workspaces_inherit_write_to_themselves_and_promote_to_their_parent() {
    let project = Project::new();
    // The default workspace is made on the first write.
    project
        .hive(&[
            "memory",
            "set",
            "build.command",
            "\"cargo test\"",
            "--tag",
            "build",
        ])
        .ok();
    project.hive(&["memory", "set", "style", "tabs"]).ok();
    project.hive(&["memory", "set", "limit", "5"]).ok();
    project
        .hive(&["memory", "set", "word", "5", "--string"])
        .ok();
    assert_eq!(
        project.hive(&["memory", "get", "limit", "--json"]).json()["value"],
        5
    );
    assert_eq!(
        project.hive(&["memory", "get", "word", "--json"]).json()["value"],
        "5"
    );
    assert_eq!(
        project.hive(&["memory", "get", "build.command"]).ok(),
        "cargo test\n"
    );
    let created = project
        .hive(&[
            "workspace",
            "create",
            "alice",
            "--inherit",
            "main",
            "--json",
        ])
        .json();
    assert_eq!(created["inherits"], "main");
    project
        .hive(&["workspace", "create", "bob", "--inherit", "main"])
        .ok();
    project
        .hive(&["workspace", "create", "carol", "--inherit", "alice"])
        .ok();
    // A child starts with its parent's memory and history: its first commit's parent is the parent's head.
    let main_head = project.hive(&["rev-parse", "main"]).ok().trim().to_string();
    let alice_log = project.hive(&["log", "alice", "--json"]).json_lines();
    assert_eq!(alice_log[0]["parents"], json!([main_head]));
    assert_eq!(
        project
            .hive(&["memory", "list", "-w", "alice", "--json"])
            .json_lines()
            .len(),
        4
    );
    // Writes stay in their workspace.
    project
        .hive(&[
            "memory",
            "set",
            "build.command",
            "\"cargo nextest run\"",
            "--tag",
            "build",
            "-w",
            "alice",
        ])
        .ok();
    project
        .hive(&["memory", "set", "scratch", "\"alice only\"", "-w", "alice"])
        .ok();
    project
        .hive(&["memory", "set", "style", "spaces", "-w", "bob"])
        .ok();
    assert_eq!(
        project.hive(&["memory", "get", "build.command"]).ok(),
        "cargo test\n"
    );
    assert_eq!(
        project
            .hive(&["memory", "get", "scratch", "-w", "bob"])
            .code,
        4
    );
    assert_eq!(
        project
            .hive(&["memory", "get", "style", "-w", "alice"])
            .ok(),
        "tabs\n"
    );
    let tagged = project
        .hive(&["memory", "list", "--tag", "build", "-w", "alice", "--json"])
        .json_lines();
    assert_eq!(
        tagged,
        [json!({"key": "build.command", "value": "cargo nextest run", "tags": ["build"]})]
    );
    // The tree of workspaces.
    let listed = project.hive(&["workspace", "list"]).ok().to_string();
    let shape: Vec<&str> = listed
        .lines()
        .map(|line| line.split("  (").next().unwrap())
        .collect();
    assert_eq!(
        shape,
        ["main", "├── alice", "│   └── carol", "└── bob"],
        "{listed}"
    );

    // Promote, dry run first: nothing changes.
    let dry = project
        .hive(&["promote", "--from", "alice", "--dry-run", "--json"])
        .json();
    assert_eq!(dry["commit"], Value::Null);
    assert_eq!(dry["taken"].as_array().unwrap().len(), 2, "{dry:#}");
    assert_eq!(project.hive(&["rev-parse", "main"]).ok().trim(), main_head);
    // Only the build entries, then: a merge commit whose second parent is alice's head.
    let alice_head = project
        .hive(&["rev-parse", "alice"])
        .ok()
        .trim()
        .to_string();
    let promoted = project
        .hive(&[
            "promote", "--from", "alice", "--to", "main", "--tag", "build", "--json",
        ])
        .json();
    assert_eq!(
        promoted["taken"],
        json!([{"key": "build.command", "change": "changed"}])
    );
    let merge = &project
        .hive(&["log", "main", "-n", "1", "--json"])
        .json_lines()[0];
    assert_eq!(merge["parents"], json!([main_head, alice_head]));
    assert_eq!(
        project.hive(&["memory", "get", "build.command"]).ok(),
        "cargo nextest run\n"
    );
    assert_eq!(project.hive(&["memory", "get", "scratch"]).code, 4);
    assert!(
        project
            .hive(&["show", "main"])
            .ok()
            .contains(&format!("Merge:    {} (alice)", &alice_head[..12]))
    );

    // Bob changed build.command too: a conflict, shown with base, ours and theirs, and nothing merged.
    project
        .hive(&[
            "memory",
            "set",
            "build.command",
            "\"make test\"",
            "--tag",
            "build",
            "-w",
            "bob",
        ])
        .ok();
    let before = project.hive(&["rev-parse", "main"]).ok().to_string();
    let conflict = project.hive(&["promote", "--from", "bob"]);
    assert_eq!(conflict.code, 5, "{conflict:?}");
    for expected in [
        "conflict: build.command",
        "base:   \"cargo test\"  [build]",
        "ours:   \"cargo nextest run\"  [build]  (main)",
        "theirs: \"make test\"  [build]  (bob)",
        "nothing merged into main",
    ] {
        assert!(
            conflict.stdout.contains(expected),
            "{expected}: {conflict:?}"
        );
    }
    assert!(conflict.stderr.contains("--strategy"));
    assert_eq!(project.hive(&["rev-parse", "main"]).ok(), before);
    let json_conflict = project.hive(&["promote", "--from", "bob", "--json"]);
    assert_eq!(json_conflict.code, 5);
    let report: Value = serde_json::from_str(&json_conflict.stdout).unwrap();
    assert_eq!(report["refused"], true);
    assert_eq!(report["conflicts"][0]["theirs"]["value"], "make test");
    // Settled explicitly: ours keeps main's, theirs takes bob's; style comes along either way.
    let ours = project
        .hive(&[
            "promote",
            "--from",
            "bob",
            "--strategy",
            "ours",
            "--dry-run",
            "--json",
        ])
        .json();
    assert_eq!(
        ours["taken"],
        json!([{"key": "style", "change": "changed"}])
    );
    project
        .hive(&["promote", "--from", "bob", "--strategy", "theirs"])
        .ok();
    assert_eq!(
        project.hive(&["memory", "get", "build.command"]).ok(),
        "make test\n"
    );
    assert_eq!(project.hive(&["memory", "get", "style"]).ok(), "spaces\n");

    // Alice brings in what main learned since: style, and build.command, which main took from alice and then
    // changed (the partial promote made alice's history main's for that key); the entry it left out (scratch) is
    // not taken as dropped.
    let update = project
        .hive(&["workspace", "update", "alice", "--json"])
        .json();
    assert_eq!(
        update["taken"],
        json!([{"key": "build.command", "change": "changed"}, {"key": "style", "change": "changed"}])
    );
    assert_eq!(
        project
            .hive(&["memory", "get", "scratch", "-w", "alice"])
            .ok(),
        "alice only\n"
    );
    assert_eq!(
        project
            .hive(&["memory", "get", "style", "-w", "alice"])
            .ok(),
        "spaces\n"
    );
    assert_eq!(
        project
            .hive(&["memory", "get", "build.command", "-w", "alice"])
            .ok(),
        "make test\n"
    );
    let again = project
        .hive(&["workspace", "update", "alice"])
        .ok()
        .to_string();
    assert!(again.contains("alice is up to date with main"), "{again}");

    // Deleting: a workspace others inherit from needs --force; a leaf goes; rm'd memory is gone.
    assert_eq!(project.hive(&["workspace", "delete", "alice"]).code, 5);
    project.hive(&["workspace", "delete", "carol"]).ok();
    project.hive(&["memory", "rm", "limit"]).ok();
    assert_eq!(project.hive(&["memory", "rm", "limit"]).code, 4);
    assert_eq!(
        project.hive(&["memory", "get", "limit", "-w", "main"]).code,
        4
    );
    // Refusals.
    assert_eq!(project.hive(&["workspace", "create", "bob"]).code, 5);
    assert_eq!(
        project
            .hive(&["workspace", "create", "x", "--inherit", "nope"])
            .code,
        4
    );
    assert_eq!(
        project
            .hive(&["memory", "set", "k", "v", "-w", "nope"])
            .code,
        4
    );
    assert_eq!(project.hive(&["memory", "set", "k", "null"]).code, 2);
    assert_eq!(project.hive(&["promote", "--from", "main"]).code, 2);
    assert_eq!(
        project
            .hive(&["promote", "--from", "bob", "--to", "bob"])
            .code,
        2
    );
    assert!(project.hive(&["fsck"]).ok().contains("ok"));
    // gc keeps every workspace's history.
    project.hive(&["gc", "--prune", "now"]).ok();
    assert_eq!(
        project.hive(&["memory", "get", "style", "-w", "bob"]).ok(),
        "spaces\n"
    );
    assert!(project.hive(&["fsck"]).ok().contains("ok"));
}

#[test]
fn a_run_state_merges_and_promotes_like_a_workspace() {
    let project = Project::new();
    let learned = [
        r#"{"kind":"state_update","key":"test.command","value":"cargo test -p auth","tags":["build"]}"#,
        r#"{"kind":"state_update","key":"note","value":"the salt is per user"}"#,
    ]
    .join("\n");
    project.stage_and_commit("fix", &format!("{}{learned}\n", session("fix")));
    project.hive(&["fork", "fix@6", "retry"]).ok();
    project.stage_and_commit(
        "retry",
        r#"{"kind":"state_update","key":"note","value":"the salt is per tenant"}"#,
    );
    // Promote a run's learnings into a workspace: only the tagged one.
    project.hive(&["workspace", "create", "team"]).ok();
    project
        .hive(&["promote", "--from", "fix", "--to", "team", "--tag", "build"])
        .ok();
    let team = project
        .hive(&["memory", "list", "-w", "team", "--json"])
        .json_lines();
    assert_eq!(
        team,
        [json!({"key": "test.command", "value": "cargo test -p auth", "tags": ["build"]})]
    );
    // Merge one run into another: the fork changed a note the source also set after the fork point, so it
    // conflicts; with --strategy theirs the fork's wins, recorded as a merge commit on the run, events untouched.
    let conflict = project.hive(&["merge", "--from", "retry", "--to", "fix"]);
    assert_eq!(conflict.code, 5, "{conflict:?}");
    let merged = project
        .hive(&[
            "merge",
            "--from",
            "retry",
            "--to",
            "fix",
            "--strategy",
            "theirs",
            "--json",
        ])
        .json();
    assert!(merged["commit"].is_string(), "{merged:#}");
    let log = project
        .hive(&["log", "fix", "-n", "1", "--json"])
        .json_lines();
    assert_eq!(log[0]["parents"].as_array().unwrap().len(), 2);
    assert_eq!(log[0]["run"]["events"], 8);
    assert_eq!(
        project
            .hive(&["replay", "fix", "--json"])
            .json_lines()
            .len(),
        8
    );
    assert!(project.hive(&["fsck"]).ok().contains("ok"));
    // A name that is both a run and a workspace is the run's, unless spelled out.
    project.hive(&["workspace", "create", "fix"]).ok();
    project.hive(&["memory", "set", "x", "1", "-w", "fix"]).ok();
    let dry = project
        .hive(&[
            "merge",
            "--from",
            "workspaces/fix",
            "--to",
            "team",
            "--dry-run",
            "--json",
        ])
        .json();
    assert_eq!(dry["taken"], json!([{"key": "x", "change": "added"}]));
}

/// `hive` in `project` with `args`, its exit code.
fn code(project: &Project, args: &[&str]) -> i32 {
    project.hive(args).code
}

#[test]
fn tag_limited_promotes_leave_later_merges_right() {
    // (a) A key promoted by tag, changed again in the child, is promoted again without a conflict.
    let project = Project::new();
    project
        .hive(&["memory", "set", "k1", "v1", "--tag", "x"])
        .ok();
    project
        .hive(&["memory", "set", "other", "o", "--tag", "y"])
        .ok();
    project
        .hive(&["workspace", "create", "w", "--inherit", "main"])
        .ok();
    project
        .hive(&["memory", "set", "k1", "v2", "--tag", "x", "-w", "w"])
        .ok();
    project
        .hive(&["memory", "set", "note", "n", "-w", "w"])
        .ok();
    project.hive(&["promote", "--from", "w", "--tag", "x"]).ok();
    project
        .hive(&["memory", "set", "k1", "v3", "--tag", "x", "-w", "w"])
        .ok();
    project.hive(&["promote", "--from", "w", "--tag", "x"]).ok();
    assert_eq!(project.hive(&["memory", "get", "k1"]).ok(), "v3\n");
    // (b) The child takes the parent's later edit of a key it promoted.
    project
        .hive(&["memory", "set", "k1", "v4", "--tag", "x"])
        .ok();
    project.hive(&["workspace", "update", "w"]).ok();
    assert_eq!(
        project.hive(&["memory", "get", "k1", "-w", "w"]).ok(),
        "v4\n"
    );
    // What the tag left out is neither dropped from the child nor counted as seen by the parent.
    assert_eq!(
        project.hive(&["memory", "get", "note", "-w", "w"]).ok(),
        "n\n"
    );
    // (c) A key the parent removed after promoting it does not come back with a full promote; the key the tag
    // left out does come.
    project.hive(&["memory", "rm", "k1"]).ok();
    let full = project.hive(&["promote", "--from", "w", "--json"]).json();
    assert_eq!(
        full["taken"],
        json!([{"key": "note", "change": "added"}]),
        "{full:#}"
    );
    assert_eq!(code(&project, &["memory", "get", "k1"]), 4);
    assert!(project.hive(&["fsck"]).ok().contains("ok"));
}

#[test]
fn merge_bases_that_disagree_make_a_conflict() {
    // A criss-cross: A and B each merged the other, then B went back to the first value.
    let project = Project::new();
    project.hive(&["memory", "set", "k", "1"]).ok();
    project
        .hive(&["workspace", "create", "a", "--inherit", "main"])
        .ok();
    project
        .hive(&["workspace", "create", "b", "--inherit", "main"])
        .ok();
    project.hive(&["memory", "set", "k", "2", "-w", "a"]).ok();
    project.hive(&["memory", "set", "j", "1", "-w", "b"]).ok();
    project
        .hive(&["workspace", "create", "c", "--inherit", "b"])
        .ok();
    project.hive(&["merge", "--from", "a", "--to", "b"]).ok();
    project.hive(&["merge", "--from", "c", "--to", "a"]).ok();
    project.hive(&["memory", "set", "k", "1", "-w", "b"]).ok();
    let merge = project.hive(&["merge", "--from", "b", "--to", "a", "--json"]);
    assert_eq!(merge.code, 5, "{merge:?}");
    let report: Value = serde_json::from_str(&merge.stdout).unwrap();
    assert_eq!(report["conflicts"][0]["key"], "k");
    assert_eq!(report["conflicts"][0]["ambiguous_base"], true);
    assert!(
        project
            .hive(&["merge", "--from", "b", "--to", "a"])
            .stdout
            .contains("several merge bases")
    );
}

#[test]
fn names_branches_and_formats_safely() {
    let project = Project::new();
    // The default run and the default workspace are both `main`: a bare `main` is refused where either could be
    // meant, and promote always means the workspace.
    project.stage_and_commit("main", &session("main"));
    project.hive(&["memory", "set", "k", "1"]).ok();
    project
        .hive(&["workspace", "create", "w", "--inherit", "main"])
        .ok();
    project.hive(&["memory", "set", "k", "2", "-w", "w"]).ok();
    let ambiguous = project.hive(&["merge", "--from", "w", "--to", "main"]);
    assert_eq!(ambiguous.code, 2, "{ambiguous:?}");
    assert!(ambiguous.stderr.contains("workspaces/main"));
    project.hive(&["promote", "--from", "w"]).ok();
    assert_eq!(project.hive(&["memory", "get", "k"]).ok(), "2\n");
    assert_eq!(
        project
            .hive(&["log", "runs/main", "-n", "1", "--json"])
            .json_lines()[0]["run"]["events"],
        6
    );

    // Deleting a parent with --force leaves its children without one: a new workspace of its name is not theirs.
    project.hive(&["workspace", "create", "team"]).ok();
    project
        .hive(&["workspace", "create", "alice", "--inherit", "team"])
        .ok();
    project
        .hive(&["workspace", "delete", "team", "--force"])
        .ok();
    project.hive(&["workspace", "create", "team"]).ok();
    assert_eq!(code(&project, &["workspace", "update", "alice"]), 2);
    let listed = project.hive(&["workspace", "list", "--json"]).json_lines();
    let alice = listed
        .iter()
        .find(|workspace| workspace["name"] == "alice")
        .unwrap();
    assert_eq!(alice["inherits"], Value::Null);

    // A repository of the first format is upgraded when it gets its first workspace, so that an older hive (whose
    // gc would not see workspaces) refuses it.
    let old = Project::new();
    let config = old.hive_dir().join("config");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("format = 2", "format = 1");
    std::fs::write(&config, text).unwrap();
    old.hive(&["runs"]).ok();
    old.hive(&["workspace", "create", "w"]).ok();
    assert!(
        std::fs::read_to_string(&config)
            .unwrap()
            .contains("format = 2")
    );
}

#[test]
fn many_writers_of_one_workspace_all_land() {
    let project = Project::new();
    project.hive(&["workspace", "create", "busy"]).ok();
    let writers: Vec<_> = (0..16)
        .map(|index| {
            let mut command = crate::util::hive_command(project.path());
            command.args([
                "memory",
                "set",
                &format!("k{index}"),
                &index.to_string(),
                "-w",
                "busy",
            ]);
            command
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            command.spawn().unwrap()
        })
        .collect();
    for writer in writers {
        let output = writer.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(
        project
            .hive(&["memory", "list", "-w", "busy", "--json"])
            .json_lines()
            .len(),
        16
    );
    assert!(project.hive(&["fsck"]).ok().contains("ok"));
}
