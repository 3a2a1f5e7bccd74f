//! End-to-end tests of every command, their JSON output, their errors and exit codes.

use crate::util::{Project, session};
use serde_json::json;

fn tree_snapshot(project: &Project) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in crate::util::all_files(&project.hive_dir()) {
        if entry.ends_with(".lock") {
            continue;
        }
        out.push((entry.display().to_string(), std::fs::read(&entry).unwrap()));
    }
    out.sort();
    out
}

#[test]
fn init_creates_and_reinitializes() {
    let project = Project::empty();
    let first = project.hive(&["init", "--json"]).json();
    assert_eq!(first["created"], true);
    assert!(project.hive_dir().join("config").is_file());
    let again = project.hive(&["init"]);
    assert!(
        again
            .ok()
            .starts_with("Reinitialized existing hive repository")
    );
    let other = project.hive(&["init", "sub/dir"]);
    assert!(other.ok().contains("sub/dir/.hive"));
}

#[test]
fn append_commit_runs_log_show() {
    let project = Project::new();
    project.write("s.jsonl", &session("fix"));
    let staged = project
        .hive(&["append", "--run", "fix", "s.jsonl", "--json"])
        .json();
    assert_eq!(
        staged,
        json!({"run": "fix", "first_seq": 0, "count": 6, "repaired_bytes": null, "redactions": {}})
    );
    let runs = project.hive(&["runs", "--json"]).json_lines();
    assert_eq!(runs[0]["staged"], 6);
    assert_eq!(runs[0]["head"], json!(null));

    let committed = project.hive(&["commit", "-m", "first", "--json"]).json();
    let commit = &committed["commits"][0];
    assert_eq!(commit["run"]["name"], "fix");
    assert_eq!(commit["run"]["events"], 6);
    assert_eq!(commit["run"]["status"], "success");
    assert_eq!(commit["run"]["tokens"]["input"], 100);
    assert_eq!(commit["author"], "Test Author <test@example.com>");
    assert_eq!(commit["time"], "2026-01-02T03:04:05.000Z");
    assert_eq!(commit["added"], 6);
    let id = commit["id"].as_str().unwrap().to_string();
    // Ids are stable: time, author and content are pinned.
    assert_eq!(id.len(), 64);

    let runs = project.hive(&["runs", "--json"]).json_lines();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["head"], json!(id));
    assert_eq!(runs[0]["agent"], "claude-code");
    assert_eq!(runs[0]["model"], "claude-test");
    assert_eq!(runs[0]["cost_usd"], 0.25);
    let table = project.hive(&["runs"]);
    assert!(
        table.ok().lines().nth(1).unwrap().starts_with("fix "),
        "{}",
        table.stdout
    );

    // Nothing staged: nothing committed.
    let nothing = project.hive(&["commit", "--json"]).json();
    assert_eq!(nothing, json!({"commits": []}));
    assert!(
        project
            .hive(&["commit"])
            .stderr
            .contains("nothing to commit")
    );

    project
        .hive_stdin(
            &["append", "--run", "fix"],
            "{\"kind\":\"user_message\",\"text\":\"more\"}\n",
        )
        .ok();
    let second = project.hive(&["commit", "--run", "fix"]);
    assert!(second.ok().starts_with("[fix "));

    let log = project.hive(&["log", "fix", "--json"]).json_lines();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1]["id"], json!(id));
    assert_eq!(log[0]["parents"], json!([id]));
    let oneline = project.hive(&["log", "--oneline"]);
    assert_eq!(oneline.ok().lines().count(), 2);
    assert!(
        project
            .hive(&["log", "-n", "1", "--oneline"])
            .ok()
            .lines()
            .count()
            == 1
    );
    assert!(
        project
            .hive(&["log", "fix"])
            .ok()
            .contains("Author: Test Author <test@example.com>")
    );

    let shown = project.hive(&["show", "fix", "--json"]).json();
    assert_eq!(shown["type"], "commit");
    assert_eq!(shown["added"][0]["seq"], 6);
    assert_eq!(shown["added"][0]["event"]["text"], "more");
    let event = project.hive(&["show", "fix@3", "--json"]).json();
    assert_eq!(event["event"]["output"], "a\nb\n");
    assert_eq!(event["seq"], 3);
    let text = project.hive(&["show", "fix~1"]);
    assert!(text.ok().contains("tool_call"), "{}", text.stdout);
}

#[test]
fn rev_parse_and_cat_file() {
    let project = Project::new();
    project.stage_and_commit("r", &session("x"));
    let head = project.hive(&["rev-parse", "r"]).ok().trim().to_string();
    let event = project.hive(&["rev-parse", "r@1"]).ok().trim().to_string();
    assert_ne!(head, event);
    assert_eq!(project.hive(&["rev-parse", &head[..10]]).ok().trim(), head);
    assert_eq!(project.hive(&["rev-parse", "r~0"]).ok().trim(), head);
    assert_eq!(
        project.hive(&["cat-file", "-t", &head]).ok().trim(),
        "commit"
    );
    assert_eq!(
        project.hive(&["cat-file", "-t", "r@1"]).ok().trim(),
        "event"
    );
    let pretty = project.hive(&["cat-file", "-p", "r@1"]).json();
    assert_eq!(pretty["text"], "please x");
    let size: usize = project
        .hive(&["cat-file", "-s", "r@1"])
        .ok()
        .trim()
        .parse()
        .unwrap();
    assert!(size > 20);
    let all = project.hive(&["cat-file", "--all"]).json_lines();
    // 6 events, 1 event list, 1 commit.
    assert_eq!(all.len(), 8);
    assert!(
        all.iter()
            .any(|object| object["kind"] == "commit" && object["body"]["run"]["name"] == "r")
    );
    let json = project.hive(&["rev-parse", "--json", "r"]).json_lines();
    assert_eq!(json[0], json!({"revision": "r", "id": head}));
}

#[test]
fn malformed_line_is_refused_and_nothing_changes() {
    let project = Project::new();
    project.stage_and_commit("r", &session("x"));
    let before = tree_snapshot(&project);
    let input =
        "{\"kind\":\"user_message\",\"text\":\"ok\"}\n{\"kind\":\"tool_call\",\"tool\":\"Bash\"}\n";
    let run = project.hive_stdin(&["append", "--run", "r"], input);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "error: line 2: tool_call needs the field \"call_id\""
    );
    assert!(run.stderr.contains("hint: "));
    let run = project.hive_stdin(
        &["append", "--run", "r"],
        "{\"kind\":\"user_message\",\"text\":\"ok\"}\n{not json\n",
    );
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.starts_with("error: line 2: not valid JSON"),
        "{}",
        run.stderr
    );
    assert_eq!(
        tree_snapshot(&project),
        before,
        "a refused append changes nothing"
    );
}

#[test]
fn errors_name_the_problem_and_have_exit_codes() {
    let outside = Project::empty();
    let run = outside.hive(&["runs"]);
    assert_eq!(run.code, 4);
    assert!(run.stderr.starts_with("error: not a hive repository"));
    assert!(run.stderr.contains("hint: run `hive init`"));

    let project = Project::new();
    let run = project.hive(&["log", "nope"]);
    assert_eq!(run.code, 4);
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "error: no run named 'nope'"
    );
    let run = project.hive(&["append", "--run", "bad name"]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("not a valid name"));
    let run = project.hive(&["show", "zzzz~x"]);
    assert_eq!(run.code, 4);

    project.stage_and_commit("r", &session("x"));
    let run = project.hive(&["show", "r@99"]);
    assert_eq!(run.code, 4);
    assert!(run.stderr.contains("run 'r' has 6 events, so no event 99"));
    // Make an ambiguous prefix: find two objects sharing a first hex digit pair and use 4 chars that both start with.
    let all = project.hive(&["cat-file", "--all"]).json_lines();
    let ids: Vec<String> = all
        .iter()
        .map(|object| object["id"].as_str().unwrap().to_string())
        .collect();
    let mut found = None;
    for length in (1..4).rev() {
        for a in &ids {
            if ids.iter().filter(|b| b[..length] == a[..length]).count() > 1 {
                found = Some(a[..length].to_string());
            }
        }
        if found.is_some() {
            break;
        }
    }
    if let Some(short) = found {
        // Prefixes under four digits are refused as revisions, so check the message on a 4+ digit one only if present.
        let run = project.hive(&["rev-parse", &short]);
        assert_ne!(run.code, 0);
    }
    let run = project.hive(&["gc", "--prune", "soon"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not an age"));
    let run = project.hive(&["frobnicate"]);
    assert_eq!(run.code, 2);
}

#[test]
fn ambiguous_prefix_is_reported_with_candidates() {
    let project = Project::new();
    // Write blobs until two share a 4-digit prefix, through a state update per blob.
    let mut lines = String::new();
    for index in 0..3000 {
        lines.push_str(&format!(
            "{{\"kind\":\"state_update\",\"key\":\"k{index}\",\"value\":{index}}}\n"
        ));
    }
    project.stage_and_commit("r", &lines);
    let all = project.hive(&["cat-file", "--all"]).json_lines();
    let mut ids: Vec<String> = all
        .iter()
        .map(|object| object["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    let pair = ids
        .windows(2)
        .find(|pair| pair[0][..4] == pair[1][..4])
        .expect("9000 ids share some 4-digit prefix");
    let run = project.hive(&["rev-parse", &pair[0][..4]]);
    assert_eq!(run.code, 5);
    assert!(run.stderr.contains("is ambiguous"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: give more digits; candidates:"));
}

#[test]
fn locked_ref_is_reported() {
    let project = Project::new();
    project
        .hive_stdin(&["append", "--run", "r"], &session("x"))
        .ok();
    // Hold the ref's lock as another process would.
    let lock_path = project.hive_dir().join("refs/runs/r.lock");
    let file = std::fs::File::create(&lock_path).unwrap();
    file.lock().unwrap();
    let run = crate::util::hive_command(project.path())
        .env("HIVE_LOCK_TIMEOUT_MS", "200")
        .args(["commit"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("runs/r is locked by another process"),
        "{stderr}"
    );
    drop(file);
    // The staged events are still there and commit once the lock is free.
    let runs = project.hive(&["runs", "--json"]).json_lines();
    assert_eq!(runs[0]["staged"], 6);
    project.hive(&["commit"]).ok();
    assert_eq!(
        project.hive(&["runs", "--json"]).json_lines()[0]["events"],
        6
    );
}

#[test]
fn fsck_reports_damage_precisely() {
    let project = Project::new();
    project.stage_and_commit("r", &session("x"));
    let report = project.hive(&["fsck", "--json"]).json();
    assert_eq!(report["ok"], true);
    assert_eq!(report["reachable"], 8);
    // Delete the pack: every object the run reaches is now missing.
    let pack_dir = project.hive_dir().join("objects/pack");
    for entry in std::fs::read_dir(&pack_dir).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let run = project.hive(&["fsck"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("error: missing-object"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("referenced by run r"));
    let run = project.hive(&["show", "r"]);
    assert_eq!(run.code, 6);
    assert!(run.stderr.contains("hint: run `hive fsck`"));
}

#[test]
fn fsck_finds_a_flipped_bit_in_a_loose_object() {
    let project = Project::new();
    project.stage_and_commit("r", "{\"kind\":\"user_message\",\"text\":\"one\"}\n");
    let loose: Vec<_> = crate::util::all_files(&project.hive_dir().join("objects"))
        .into_iter()
        .filter(|path| !path.to_string_lossy().contains("pack"))
        .collect();
    assert_eq!(loose.len(), 3, "a small commit is written as loose objects");
    let victim = &loose[0];
    let hex = format!(
        "{}{}",
        victim
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy(),
        victim.file_name().unwrap().to_string_lossy()
    );
    // Replace the object with another valid zstd stream of different content.
    let other =
        zstd::bulk::compress(b"hive\x01\x01\x05\x00\x00\x00\x00\x00\x00\x00wrong", 3).unwrap();
    std::fs::write(victim, other).unwrap();
    let report = project.hive(&["fsck", "--json"]);
    assert_eq!(report.code, 1);
    let value: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    let problem = &value["problems"][0];
    assert_eq!(problem["kind"], "corrupt-object");
    assert_eq!(problem["subject"], hex);
}

#[test]
fn gc_repacks_and_prunes_only_old_unreachable_objects() {
    let project = Project::new();
    project.stage_and_commit("r", &session("x"));
    project.stage_and_commit("r", "{\"kind\":\"user_message\",\"text\":\"one\"}\n");
    // An unreachable object: a loose blob nobody references.
    let orphan = hive::object::RawObject::new(hive::ObjectKind::Blob, b"orphan".to_vec()).hashed();
    let store = hive::store::LooseStore::new(project.hive_dir().join("objects"));
    hive::store::ObjectStore::write(&store, &orphan).unwrap();
    let report = project.hive(&["gc", "--json"]).json();
    assert_eq!(report["packed"], 11);
    assert_eq!(
        report["kept_recent"], 1,
        "a young unreachable object survives the default grace period"
    );
    assert_eq!(report["pruned"], 0);
    assert_eq!(project.hive(&["fsck", "--json"]).json()["dangling"], 1);
    let report = project.hive(&["gc", "--prune", "now", "--json"]).json();
    assert_eq!(report["pruned"], 1);
    let fsck = project.hive(&["fsck", "--json"]).json();
    assert_eq!(
        (
            fsck["ok"].clone(),
            fsck["dangling"].clone(),
            fsck["packs"].clone(),
            fsck["loose"].clone()
        ),
        (json!(true), json!(0), json!(1), json!(0))
    );
    assert_eq!(
        project.hive(&["show", "r@6", "--json"]).json()["event"]["text"],
        "one"
    );
}

#[test]
fn help_has_examples() {
    let project = Project::empty();
    for command in [
        "init",
        "append",
        "commit",
        "runs",
        "log",
        "show",
        "cat-file",
        "rev-parse",
        "fsck",
        "gc",
    ] {
        let run = project.hive(&[command, "--help"]);
        assert!(
            run.ok().contains("Example"),
            "{command} --help has an example"
        );
    }
    assert!(project.hive(&["--help"]).ok().contains("Exit codes"));
}

#[test]
fn hivemind_file_sets_repository_run_and_workspace() {
    let project = Project::empty();
    std::fs::create_dir(project.path().join("store")).unwrap();
    project.write(".hivemind", "[repository]\npath = \"store\"\n[capture]\nrun = \"default-run\"\n[workspace]\nname = \"team\"\n");
    project.hive(&["init", "store"]).ok();
    std::fs::create_dir(project.path().join("deep")).unwrap();
    let nested = project.path().join("deep");
    let run = crate::util::hive_command(&nested)
        .args(["append"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    crate::util::run_with_input(
        crate::util::hive_command(&nested).args(["append"]),
        &session("y"),
    )
    .ok();
    let output = crate::util::hive_command(&nested)
        .args(["commit", "--json"])
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["commits"][0]["run"]["name"], "default-run");
    assert_eq!(value["commits"][0]["run"]["workspace"], "team");
    assert!(
        project
            .path()
            .join("store/.hive/refs/runs/default-run")
            .is_file()
    );
}

#[test]
fn broken_pipe_is_quiet() {
    let project = Project::new();
    let mut lines = String::new();
    for index in 0..2000 {
        lines.push_str(&format!(
            "{{\"kind\":\"user_message\",\"text\":\"m{index}\"}}\n"
        ));
    }
    project.stage_and_commit("r", &lines);
    let mut child = crate::util::hive_command(project.path())
        .args(["cat-file", "--all"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn git(dir: &std::path::Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn code_context_and_author_come_from_git() {
    let project = Project::empty();
    let code = project.path().join("code");
    std::fs::create_dir(&code).unwrap();
    git(&code, &["init", "-q", "-b", "trunk"]);
    git(&code, &["config", "user.name", "Git Person"]);
    git(&code, &["config", "user.email", "git@example.com"]);
    std::fs::write(code.join("a.txt"), "one\n").unwrap();
    git(&code, &["add", "a.txt"]);
    git(&code, &["commit", "-q", "-m", "first"]);
    let head = String::from_utf8(
        std::process::Command::new("git")
            .current_dir(&code)
            .args(["rev-parse", "HEAD"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    project.hive(&["init", "code"]).ok();
    // Real git configuration: no pinned author, code context on.
    let hive_in_code = || {
        let mut command = crate::util::hive_command(&code);
        command
            .env_remove("HIVE_NO_CODE_CONTEXT")
            .env_remove("HIVE_AUTHOR")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1");
        command
    };
    let run = |input: &str| {
        crate::util::run_with_input(hive_in_code().args(["append", "--run", "r"]), input).ok();
        crate::util::run_with_input(hive_in_code().args(["commit", "--json"]), "").json()
    };
    let first = run(&format!(
        "{{\"kind\":\"session_start\",\"agent\":\"a\",\"cwd\":{}}}\n",
        serde_json::to_string(code.to_str().unwrap()).unwrap()
    ));
    let commit = &first["commits"][0];
    assert_eq!(commit["author"], "Git Person <git@example.com>");
    let context = &commit["run"]["code"];
    assert_eq!(context["commit"], head.trim());
    assert_eq!(context["branch"], "trunk");
    assert_eq!(context["dirty"], false);
    assert_eq!(
        std::path::Path::new(context["root"].as_str().unwrap())
            .canonicalize()
            .unwrap(),
        code.canonicalize().unwrap()
    );
    // The session_start event itself records the code context.
    let event = project
        .hive(&["-C", "code", "show", "r@0", "--json"])
        .json();
    assert_eq!(event["event"]["code"]["branch"], "trunk");
    // A new session started with an edited tracked file records dirty.
    std::fs::write(code.join("a.txt"), "two\n").unwrap();
    run("{\"kind\":\"session_start\",\"agent\":\"a\"}\n");
    let event = project
        .hive(&["-C", "code", "show", "r@1", "--json"])
        .json();
    assert_eq!(event["event"]["code"]["dirty"], true);
}

#[test]
fn awkward_input_is_refused_cleanly() {
    let project = Project::new();
    // Empty input stages nothing and creates nothing.
    assert!(
        project
            .hive_stdin(&["append", "--run", "empty"], "")
            .ok()
            .contains("nothing staged")
    );
    assert!(!project.hive_dir().join("journal/empty.jnl").exists());
    // Non-UTF-8 input names the line.
    let binary = project.write("binary.bin", "");
    std::fs::write(&binary, b"\x7fELF\xff\xfe\x00\n{}\n").unwrap();
    let run = project.hive(&["append", "--run", "r", binary.to_str().unwrap()]);
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.starts_with("error: line 1: not UTF-8 text"),
        "{}",
        run.stderr
    );
    // A directory is not a file of events.
    let run = project.hive(&["append", "--run", "r", "."]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("is a directory"));
    // A run and a run inside it cannot coexist.
    project
        .hive_stdin(
            &["append", "--run", "a"],
            "{\"kind\":\"reasoning\",\"text\":\"t\"}\n",
        )
        .ok();
    let run = project.hive_stdin(
        &["append", "--run", "a/b"],
        "{\"kind\":\"reasoning\",\"text\":\"t\"}\n",
    );
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.contains("clashes with the existing run 'a'"),
        "{}",
        run.stderr
    );
    assert!(!project.hive_dir().join("journal/a").exists());
    project.hive(&["commit"]).ok();
    // Absurd token counts are summed without overflow.
    let huge = "{\"kind\":\"assistant_message\",\"text\":\"x\",\"usage\":{\"input_tokens\":18446744073709551615}}\n";
    project
        .hive_stdin(&["append", "--run", "tokens"], &format!("{huge}{huge}"))
        .ok();
    let commit = project.hive(&["commit", "--json"]).json();
    assert_eq!(
        commit["commits"][0]["run"]["tokens"]["input"],
        json!(u64::MAX)
    );
    // Revisions past the start of a run.
    let run = project.hive(&["rev-parse", "a~18446744073709551615"]);
    assert_eq!(run.code, 4);
    assert!(
        run.stderr.contains("run 'a' has 1 commit(s)"),
        "{}",
        run.stderr
    );
    // A bad fixed time is named as such.
    let run = crate::util::hive_command(project.path())
        .env("HIVE_TIMESTAMP", "noon")
        .args(["append", "--run", "t", "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&run.stderr).starts_with("error: HIVE_TIMESTAMP: 'noon'"));
}

#[test]
fn fsck_reports_a_truncated_pack_index_and_other_commands_still_work() {
    let project = Project::new();
    project.stage_and_commit("r", &session("x"));
    project.stage_and_commit("s", "{\"kind\":\"reasoning\",\"text\":\"t\"}\n");
    let index = crate::util::all_files(&project.hive_dir().join("objects/pack"))
        .into_iter()
        .find(|path| path.extension().is_some_and(|ext| ext == "idx"))
        .unwrap();
    let bytes = std::fs::read(&index).unwrap();
    std::fs::write(&index, &bytes[..bytes.len() / 2]).unwrap();
    let run = project.hive(&["fsck"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error: bad-pack"), "{}", run.stdout);
    assert!(run.stdout.contains("missing-object"));
    // The run stored loose is still readable.
    assert_eq!(
        project.hive(&["show", "s@0", "--json"]).json()["event"]["text"],
        "t"
    );
    // gc refuses to touch a damaged repository.
    let run = project.hive(&["gc", "--prune", "now"]);
    assert_eq!(run.code, 6);
    assert!(
        run.stderr.contains("gc stopped before changing anything"),
        "{}",
        run.stderr
    );
}

#[test]
fn commit_of_a_session_file_in_one_step() {
    let project = Project::new();
    // Staged events come first, then the file's, all in one commit.
    project
        .hive_stdin(
            &["append", "--run", "s"],
            "{\"kind\":\"user_message\",\"text\":\"staged\"}\n",
        )
        .ok();
    let big = "x".repeat(10_000);
    let file = project.write(
        "session.jsonl",
        &format!(
            "{{\"kind\":\"tool_call\",\"call_id\":\"1\",\"tool\":\"Read\",\"input\":{{}}}}\n\n{{\"kind\":\"tool_result\",\"call_id\":\"1\",\"output\":\"{big}\"}}\n"
        ),
    );
    let run = project.hive(&["commit", "--run", "s", "--json", file.to_str().unwrap()]);
    let commits = run.json()["commits"].clone();
    assert_eq!(commits.as_array().unwrap().len(), 1);
    assert_eq!(commits[0]["first_seq"], 0);
    assert_eq!(commits[0]["added"], 3);
    let shown = project.hive(&["show", "s@2", "--json"]).json();
    assert_eq!(shown["event"]["output"], big, "{shown}");
    assert_eq!(shown["event"]["seq"], 2);
    let staged = project.hive(&["show", "s@0", "--json"]).json();
    assert_eq!(staged["event"]["text"], "staged");
    // The journal was consumed: nothing is left to commit.
    let again = project.hive(&["commit", "--run", "s", "--json"]).json();
    assert_eq!(again["commits"].as_array().unwrap().len(), 0);

    // Standard input works the same; the reused payload is the same object, so three objects are new.
    let input = format!("{{\"kind\":\"tool_result\",\"call_id\":\"2\",\"output\":\"{big}\"}}\n");
    let first = project.hive(&["fsck", "--json"]).json();
    project
        .hive_stdin(&["commit", "--run", "t", "-"], &input)
        .ok();
    let second = project.hive(&["fsck", "--json"]).json();
    assert_eq!(
        second["objects"].as_u64(),
        Some(first["objects"].as_u64().unwrap() + 3)
    );
}

#[test]
fn commit_of_a_bad_session_file_changes_nothing() {
    let project = Project::new();
    project.stage_and_commit("r", &session("x"));
    let before = tree_snapshot(&project);
    let file = project.write(
        "bad.jsonl",
        "{\"kind\":\"user_message\",\"text\":\"ok\"}\n{\"kind\":\"tool_call\",\"tool\":\"Bash\"}\n",
    );
    let run = project.hive(&["commit", "--run", "r", file.to_str().unwrap()]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "error: line 2: tool_call needs the field \"call_id\""
    );
    let missing = project.hive(&["commit", "--run", "r", "nope.jsonl"]);
    assert_eq!(missing.code, 4, "{missing:?}");
    assert!(missing.stderr.contains("cannot open"), "{missing:?}");
    std::fs::remove_file(file).unwrap();
    assert_eq!(
        tree_snapshot(&project),
        before,
        "a refused commit changes nothing"
    );
}

#[test]
fn fork_starts_a_run_from_the_first_events_of_another() {
    let project = Project::new();
    project.stage_and_commit("fix", &session("fix"));
    let forked = project.hive(&["fork", "fix@4", "retry", "--json"]).json();
    assert_eq!(forked["run"], "retry");
    assert_eq!(forked["events"], 4);
    assert_eq!(forked["forked_from"]["run"], "fix");
    assert_eq!(forked["forked_from"]["seq"], 4);
    // The first four events are the same objects.
    for seq in 0..4 {
        let a = project.hive(&["rev-parse", &format!("fix@{seq}")]);
        let b = project.hive(&["rev-parse", &format!("retry@{seq}")]);
        assert_eq!(a.ok(), b.ok());
    }
    assert_eq!(project.hive(&["rev-parse", "retry@4"]).code, 4);
    // The fork goes on by itself; its metadata is that of the first four events.
    let runs = project.hive(&["runs", "--json"]).json_lines();
    let retry = runs.iter().find(|run| run["name"] == "retry").unwrap();
    assert_eq!(retry["status"], "running");
    assert_eq!(retry["forked_from"], json!({"run": "fix", "seq": 4}));
    project.stage_and_commit(
        "retry",
        r#"{"kind":"assistant_message","text":"another way"}"#,
    );
    let shown = project.hive(&["show", "retry"]);
    assert!(shown.ok().contains("Forked:   from fix@4"), "{shown:?}");
    assert!(shown.ok().contains("another way"));
    // RUN alone takes every event.
    let whole = project.hive(&["fork", "fix", "copy", "--json"]).json();
    assert_eq!(whole["events"], 6);
    assert_eq!(
        project.hive(&["rev-parse", "fix"]).ok(),
        project.hive(&["rev-parse", "copy~1"]).ok()
    );
    // Refusals, each with its reason.
    let taken = project.hive(&["fork", "fix@1", "retry"]);
    assert_eq!(taken.code, 5);
    assert!(taken.stderr.contains("a run named 'retry' already exists"));
    let past = project.hive(&["fork", "fix@7", "late"]);
    assert_eq!(past.code, 4);
    assert!(past.stderr.contains("has 6 events"), "{past:?}");
    let bad = project.hive(&["fork", "fix@x", "late"]);
    assert_eq!(bad.code, 2);
    assert_eq!(project.hive(&["fork", "nope@1", "late"]).code, 4);
    assert_eq!(project.hive(&["fork", "fix@1", "a//b"]).code, 3);
    // A name under an existing run is refused as such, not as a failure to read its reference.
    let under = project.hive(&["fork", "fix@1", "fix/again"]);
    assert_eq!(under.code, 3, "{under:?}");
    assert!(under.stderr.contains("choose another name"), "{under:?}");
    assert!(project.hive(&["fsck"]).ok().contains("ok"));
}

#[test]
fn diff_shows_where_two_runs_part_and_what_changed() {
    let project = Project::new();
    project.stage_and_commit("fix", &session("fix"));
    project.hive(&["fork", "fix@2", "retry"]).ok();
    project.stage_and_commit(
        "retry",
        &[
            r#"{"kind":"tool_call","call_id":"c9","tool":"Bash","input":{"command":"ls -la"}}"#,
            r#"{"kind":"tool_result","call_id":"c9","output":"a\nb\nc\n"}"#,
            r#"{"kind":"error","message":"disk full"}"#,
            r#"{"kind":"assistant_message","text":"done","usage":{"input_tokens":100,"output_tokens":20,"cost_usd":0.25}}"#,
            r#"{"kind":"session_end","status":"failure"}"#,
        ]
        .join("\n"),
    );
    let diff = project.hive(&["diff", "fix", "retry", "--json"]).json();
    // The digests kept for the next diff are a cache: damaged, they are rebuilt, and the answer is the same.
    let cache = project.hive_dir().join("cache/diff");
    let mut kept = 0;
    for folder in std::fs::read_dir(&cache).unwrap() {
        for file in std::fs::read_dir(folder.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let mut bytes = std::fs::read(&path).unwrap();
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x40;
            std::fs::write(&path, bytes).unwrap();
            kept += 1;
        }
    }
    assert!(kept > 0);
    assert_eq!(
        project.hive(&["diff", "fix", "retry", "--json"]).json(),
        diff
    );
    assert_eq!(
        project.hive(&["diff", "fix", "retry", "--json"]).json(),
        diff
    );
    assert_eq!(diff["shared_prefix"], 2);
    assert_eq!(diff["a"]["run"], "fix");
    assert_eq!(diff["b"]["events"], 7);
    assert_eq!(
        diff["counts"],
        json!({"same": 3, "changed": 3, "only_a": 0, "only_b": 1})
    );
    assert_eq!(diff["first_divergence"]["a"], 2);
    assert_eq!(diff["first_divergence"]["event_a"]["tool"], "Bash");
    let ops = diff["ops"].as_array().unwrap();
    assert_eq!(ops[0]["op"], "changed");
    assert_eq!(
        ops[0]["fields"],
        json!([{"path": "/input/command", "a": "ls", "b": "ls -la"}])
    );
    assert_eq!(ops[1]["kind"], "tool_result");
    assert_eq!(ops[1]["tool"], "Bash");
    assert_eq!(ops[2]["op"], "only_b");
    assert_eq!(ops[2]["kind"], "error");
    let text = project.hive(&["diff", "fix", "retry"]);
    let text = text.ok();
    assert!(text.contains("shared: the first 2 events"), "{text}");
    assert!(
        text.contains("/input/command: \"ls\" → \"ls -la\""),
        "{text}"
    );
    assert!(text.contains("+ c"), "a line diff of the output: {text}");
    assert!(text.contains("3 same, 3 changed, 0 only in fix, 1 only in retry"));
    let stat = project
        .hive(&["diff", "--stat", "fix", "retry", "--json"])
        .json();
    assert_eq!(stat["a"]["status"], "success");
    assert_eq!(stat["b"]["status"], "failure");
    assert_eq!(stat["b"]["errors"], 1);
    assert_eq!(stat["a"]["tool_calls"], json!({"Bash": 1}));
    assert!(
        project
            .hive(&["diff", "--stat", "fix", "retry"])
            .ok()
            .contains("errors")
    );
    // A run against itself: nothing differs.
    let itself = project.hive(&["diff", "fix", "fix~0", "--json"]).json();
    assert_eq!(itself["first_divergence"], json!(null));
    assert_eq!(project.hive(&["diff", "fix", "nope"]).code, 4);
    assert_eq!(project.hive(&["diff", "fix", "fix@1"]).code, 3);
}

#[test]
fn replay_streams_a_run_and_steps_through_it() {
    let project = Project::new();
    project.stage_and_commit("fix", &session("fix"));
    project.stage_and_commit(
        "fix",
        &[
            r#"{"kind":"user_message","text":"now find the needle"}"#,
            r#"{"kind":"reasoning","text":"the needle is in b"}"#,
            r#"{"kind":"session_end","status":"success"}"#,
        ]
        .join("\n"),
    );
    // Text: every event with its seq, kind and content.
    let text = project.hive(&["replay", "fix"]).ok().to_string();
    for expected in [
        "#0 ",
        "session_start",
        "    please fix",
        "tool_call Bash [c1]",
        "\"command\": \"ls\"",
        "tool_result [c1] 3 ms",
        "    a\n    b\n",
        "assistant_message",
        "100 in / 20 out tokens",
        "#8 ",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
    // JSON Lines: each event as `hive show RUN@SEQ --json` gives it, within the range asked for.
    let lines = project
        .hive(&["replay", "fix", "--from", "2", "--to", "4", "--json"])
        .json_lines();
    assert_eq!(lines.len(), 3);
    for (line, seq) in lines.iter().zip(2..) {
        assert_eq!(line["seq"], seq);
        assert_eq!(
            line,
            &project
                .hive(&["show", &format!("fix@{seq}"), "--json"])
                .json()
        );
    }
    let from_at = project.hive(&["replay", "fix@7", "--json"]).json_lines();
    assert_eq!(
        from_at
            .iter()
            .map(|line| line["seq"].clone())
            .collect::<Vec<_>>(),
        [json!(7), json!(8)]
    );
    // Stepping: Enter, back, search, next match, quit.
    let stepped = project.hive_stdin(
        &["replay", "fix", "--step", "--json"],
        "\n\nb\n/NEEDLE\nn\nn\nq\n",
    );
    let seqs: Vec<u64> = stepped
        .json_lines()
        .iter()
        .map(|line| line["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [0, 1, 2, 1, 6, 7]);
    assert!(
        stepped.stderr.contains("is not in any event after seq 7"),
        "{stepped:?}"
    );
    // Refusals.
    let backwards = project.hive(&["replay", "fix", "--from", "5", "--to", "2"]);
    assert_eq!(backwards.code, 2, "{backwards:?}");
    assert!(backwards.stderr.contains("seq 5 comes after seq 2"));
    // A range past the end stops at the last event; one that starts past it is refused.
    let lines = project
        .hive(&["replay", "fix", "--from", "7", "--to", "99", "--json"])
        .json_lines();
    assert_eq!(lines.len(), 2);
    let past = project.hive(&["replay", "fix", "--from", "9"]);
    assert_eq!(past.code, 4, "{past:?}");
    assert_eq!(project.hive(&["replay", "fix@2", "--from", "1"]).code, 2);
    // The run as it was a commit ago.
    assert_eq!(
        project
            .hive(&["replay", "fix~1", "--json"])
            .json_lines()
            .len(),
        6
    );
    assert_eq!(project.hive(&["replay", "nope"]).code, 4);
    assert_eq!(project.hive(&["replay", "fix@x"]).code, 2);
}

#[test]
fn tag_rate_and_status_are_commits_that_runs_filters_see() {
    let project = Project::new();
    project.stage_and_commit("fix", &session("fix"));
    project.stage_and_commit("retry", &session("retry"));
    project.stage_and_commit(
        "other",
        &session("other")
            .replace("claude-code", "codex")
            .replace("claude-test", "gpt-5"),
    );
    let head = project.hive(&["rev-parse", "fix"]).ok().trim().to_string();
    // Tags: added once each, listed, removed; each change is a commit that adds no event.
    let tagged = project
        .hive(&["tag", "fix", "reviewed", "dataset:v2", "reviewed", "--json"])
        .json();
    assert_eq!(tagged["tags"], json!(["reviewed", "dataset:v2"]));
    assert_eq!(tagged["changed"], true);
    let again = project.hive(&["tag", "fix", "reviewed", "--json"]).json();
    assert_eq!(again["changed"], false);
    assert_eq!(again["commit"], tagged["commit"]);
    assert_eq!(project.hive(&["tag", "fix"]).ok(), "reviewed\ndataset:v2\n");
    let log = project.hive(&["log", "fix", "--json"]).json_lines();
    assert_eq!(log[0]["message"], "tag: +reviewed +dataset:v2");
    assert_eq!(log[0]["parents"], json!([head]));
    assert_eq!(log[0]["run"]["events"], 6);
    project.hive(&["tag", "retry", "reviewed"]).ok();
    let removed = project
        .hive(&["tag", "-d", "retry", "reviewed", "--json"])
        .json();
    assert_eq!(removed["tags"], json!([]));
    // Rating and status.
    let rated = project.hive(&["rate", "fix", "4", "--json"]).json();
    assert_eq!(rated["rating"], 4);
    project.hive(&["rate", "retry", "2"]).ok();
    let status = project
        .hive(&["status", "retry", "failure"])
        .ok()
        .to_string();
    assert!(
        status
            .starts_with("retry: status: failure (tags none; rating 2/5; status failure; commit "),
        "{status}"
    );
    let cleared = project.hive(&["rate", "retry", "--clear", "--json"]).json();
    assert_eq!(cleared["rating"], json!(null));
    project.hive(&["rate", "retry", "2"]).ok();
    let shown = project.hive(&["show", "fix"]).ok().to_string();
    assert!(shown.contains("rated 4/5"), "{shown}");
    assert!(shown.contains("Tags:     reviewed, dataset:v2"), "{shown}");
    // The events are untouched.
    assert_eq!(
        project
            .hive(&["replay", "fix", "--json"])
            .json_lines()
            .len(),
        6
    );

    // Filters.
    let names = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["runs", "--json"];
        all.extend_from_slice(args);
        project
            .hive(&all)
            .json_lines()
            .iter()
            .map(|run| run["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&[]), ["fix", "other", "retry"]);
    assert_eq!(names(&["--status", "success"]), ["fix", "other"]);
    assert_eq!(names(&["--status", "failure"]), ["retry"]);
    assert_eq!(names(&["--min-rating", "3"]), ["fix"]);
    assert_eq!(names(&["--min-rating", "1"]), ["fix", "retry"]);
    assert_eq!(names(&["--tag", "reviewed"]), ["fix"]);
    assert_eq!(
        names(&["--tag", "reviewed", "--tag", "nope"]),
        Vec::<String>::new()
    );
    assert_eq!(names(&["--agent", "CODEX"]), ["other"]);
    assert_eq!(names(&["--model", "claude"]), ["fix", "retry"]);
    assert_eq!(names(&["--author", "test@example"]).len(), 3);
    assert_eq!(names(&["--author", "somebody else"]), Vec::<String>::new());
    assert_eq!(names(&["--since", "2000-01-01"]).len(), 3);
    assert_eq!(names(&["--until", "2000-01-01"]), Vec::<String>::new());
    assert_eq!(names(&["--since", "1d", "--status", "success"]).len(), 2);
    assert_eq!(names(&["--workspace", "nowhere"]), Vec::<String>::new());
    let listed = project
        .hive(&["runs", "--json", "--tag", "reviewed"])
        .json_lines();
    assert_eq!(listed[0]["tags"], json!(["reviewed", "dataset:v2"]));
    assert_eq!(listed[0]["rating"], 4);
    let none = project.hive(&["runs", "--status", "abandoned"]);
    assert_eq!(none.ok(), "");
    assert!(none.stderr.contains("no run matches"));

    // Refusals.
    for (args, code) in [
        (vec!["rate", "fix", "6"], 3),
        (vec!["rate", "fix", "0"], 3),
        (vec!["rate", "fix"], 2),
        (vec!["status", "fix", "Done!"], 3),
        (vec!["tag", "fix", "has space"], 3),
        (vec!["tag", "-d", "fix"], 2),
        (vec!["tag", "nope", "x"], 4),
        (vec!["runs", "--since", "yesterday"], 2),
    ] {
        let refused = project.hive(&args);
        assert_eq!(refused.code, code, "{args:?}: {refused:?}");
        assert!(
            refused.stderr.contains("hint:") || refused.stderr.contains("Usage:"),
            "{args:?}: {refused:?}"
        );
    }
    assert!(project.hive(&["fsck"]).ok().contains("ok"));
}

#[test]
fn runs_filters_on_real_sessions() {
    let Some(data) = crate::util::test_data() else {
        eprintln!("HIVE_TEST_DATA is not set: filters on real sessions are skipped");
        return;
    };
    let project = Project::new();
    for folder in ["codex", "swe-agent"] {
        let path = data.join(folder);
        project
            .hive(&["import", path.to_str().unwrap(), "-q", "--json"])
            .json();
    }
    let all = project.hive(&["runs", "--json"]).json_lines();
    let count = |args: &[&str]| {
        let mut full = vec!["runs", "--json"];
        full.extend_from_slice(args);
        project.hive(&full).json_lines().len()
    };
    // Each run is one agent's, and the agent filters split them.
    let codex = count(&["--agent", "codex"]);
    let swe = count(&["--agent", "swe-agent"]);
    assert!(codex > 0 && swe > 0, "{codex} {swe}");
    assert_eq!(codex + swe, all.len());
    // A model named by a run is found by part of its name, and only runs with that model are.
    let model = all
        .iter()
        .find_map(|run| run["model"].as_str())
        .expect("a run with a model")
        .to_string();
    let part = &model[..model.len().min(6)];
    for run in project
        .hive(&["runs", "--json", "--model", part])
        .json_lines()
    {
        assert!(
            run["model"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(&part.to_lowercase())
        );
    }
    // Curated runs are found by their tags and rating, and their events are untouched.
    let first = all[0]["name"].as_str().unwrap();
    let events = all[0]["events"].as_u64().unwrap();
    project.hive(&["tag", first, "gold"]).ok();
    project.hive(&["rate", first, "5"]).ok();
    let gold = project
        .hive(&["runs", "--json", "--tag", "gold", "--min-rating", "5"])
        .json_lines();
    assert_eq!(gold.len(), 1);
    assert_eq!(gold[0]["name"], first);
    assert_eq!(gold[0]["events"], events);
    // Importing the same files again changes nothing, tagged run included.
    for folder in ["codex", "swe-agent"] {
        let path = data.join(folder);
        let again = project
            .hive(&["import", path.to_str().unwrap(), "-q", "--json"])
            .json();
        assert_eq!(again["totals"]["created"], 0, "{again:#}");
        assert_eq!(again["totals"]["appended"], 0, "{again:#}");
        assert_eq!(again["totals"]["failed"], 0, "{again:#}");
    }
    assert!(project.hive(&["fsck"]).ok().contains("ok"));
}

#[test]
fn diff_fork_and_replay_on_real_sessions() {
    let Some(data) = crate::util::test_data() else {
        eprintln!("HIVE_TEST_DATA is not set: diff on real sessions is skipped");
        return;
    };
    let project = Project::new();
    for folder in [
        "claude-code/edge-cases",
        "codex",
        "tau-bench",
        "mini-swe-agent",
    ] {
        let path = data.join(folder);
        project
            .hive(&["import", path.to_str().unwrap(), "-q", "--json"])
            .json();
    }
    let runs = project.hive(&["runs", "--json"]).json_lines();
    let events_of = |name: &str| {
        runs.iter()
            .find(|run| run["name"] == name)
            .map(|run| run["events"].as_u64().unwrap())
            .unwrap()
    };
    // Every op covers each event after the shared prefix once, on each side.
    let check = |a: &str, b: &str| -> serde_json::Value {
        let diff = project.hive(&["diff", a, b, "--json"]).json();
        let prefix = diff["shared_prefix"].as_u64().unwrap();
        for (side, name) in [("a", a), ("b", b)] {
            let covered = diff["ops"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|op| !op[side].is_null())
                .count() as u64;
            assert_eq!(prefix + covered, events_of(name), "{a} vs {b}, side {side}");
        }
        diff
    };
    // A transcript's branch against the run it grew from: their shared events are found as such.
    let mut forks = 0;
    for run in &runs {
        if let Some(point) = run["forked_from"].as_object() {
            let base = point["run"].as_str().unwrap();
            let diff = check(base, run["name"].as_str().unwrap());
            assert!(diff["shared_prefix"].as_u64().unwrap() >= point["seq"].as_u64().unwrap());
            forks += 1;
        }
    }
    assert!(forks >= 2, "{forks} branch runs");
    // Two tau-bench trials of the same task: the same opening, then each its own way.
    let names: Vec<&str> = runs
        .iter()
        .map(|run| run["name"].as_str().unwrap())
        .collect();
    let trial = names
        .iter()
        .find(|name| name.contains("/task-") && name.ends_with("-trial-0"))
        .expect("a tau-bench trial");
    let other = trial.replace("-trial-0", "-trial-1");
    assert!(names.contains(&other.as_str()), "{other}");
    let trials = check(trial, &other);
    assert!(
        trials["counts"]["same"].as_u64().unwrap() >= 1,
        "{trials:#}"
    );
    let stat = project
        .hive(&["diff", trial, &other, "--stat", "--json"])
        .json();
    assert_eq!(stat["a"]["events"], events_of(trial));
    // Two mini-swe-agent runs on different tasks.
    let swe: Vec<&&str> = names
        .iter()
        .filter(|name| name.contains("trajs/"))
        .take(2)
        .collect();
    assert_eq!(swe.len(), 2, "{names:?}");
    let tasks = check(swe[0], swe[1]);
    assert!(tasks["first_divergence"].is_object(), "{tasks:#}");
    // A real Codex session forked halfway and taken another way.
    let codex = runs
        .iter()
        .find(|run| run["agent"] == "codex" && run["events"].as_u64().unwrap() > 10)
        .expect("a codex run");
    let name = codex["name"].as_str().unwrap().to_string();
    let half = codex["events"].as_u64().unwrap() / 2;
    project
        .hive(&["fork", &format!("{name}@{half}"), "other-way"])
        .ok();
    project.stage_and_commit(
        "other-way",
        r#"{"kind":"user_message","text":"try the other approach"}"#,
    );
    let runs = project.hive(&["runs", "--json"]).json_lines();
    let diff = {
        let events_of = |wanted: &str| {
            runs.iter()
                .find(|run| run["name"] == wanted)
                .map(|run| run["events"].as_u64().unwrap())
                .unwrap()
        };
        let diff = project.hive(&["diff", &name, "other-way", "--json"]).json();
        assert_eq!(diff["shared_prefix"], half);
        assert_eq!(diff["b"]["events"], events_of("other-way"));
        diff
    };
    assert!(diff["counts"]["only_b"].as_u64().unwrap() >= 1, "{diff:#}");
    assert!(diff["counts"]["only_a"].as_u64().unwrap() >= 1, "{diff:#}");
    // Replayed, the fork is the source's first half, then its own event.
    let replayed = project
        .hive(&["replay", "other-way", "--json"])
        .json_lines();
    let source = project
        .hive(&["replay", &name, "--to", &(half - 1).to_string(), "--json"])
        .json_lines();
    assert_eq!(replayed.len() as u64, half + 1);
    for (mine, theirs) in replayed.iter().zip(&source) {
        assert_eq!(mine["id"], theirs["id"]);
    }
    assert!(project.hive(&["fsck"]).ok().contains("ok"));
}
