//! Agents' formats: Claude Code transcripts import as typed events and export back record for record, on a small
//! transcript written here and on every Claude Code file of HIVE_TEST_DATA.

use crate::util::{Project, files_under};
use hive::Repository;
use serde_json::{Value, json};

/// A small transcript in Claude Code's shape: a prompt, thinking, a tool call and its result, an answer, and
/// record types hive has no kind for.
pub const TRANSCRIPT: &str = r#"{"type":"summary","summary":"Fix the login bug","leafUuid":"u4"}
{"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/p","sessionId":"s1","version":"2.0.42","type":"user","message":{"role":"user","content":"fix the login bug"},"uuid":"u1","timestamp":"2026-01-02T10:00:00.000Z"}
{"parentUuid":"u1","isSidechain":false,"cwd":"/p","sessionId":"s1","type":"assistant","message":{"model":"claude-sonnet-4-5","id":"m1","type":"message","role":"assistant","content":[{"type":"thinking","thinking":"look at auth.rs","signature":"x"},{"type":"tool_use","id":"t1","name":"Read","input":{"file_path":"/p/auth.rs"}}],"usage":{"input_tokens":10,"output_tokens":5,"cache_read_input_tokens":100,"cache_creation_input_tokens":7}},"uuid":"u2","timestamp":"2026-01-02T10:00:01.000Z","requestId":"r1"}
{"parentUuid":"u2","isSidechain":false,"cwd":"/p","sessionId":"s1","type":"user","message":{"role":"user","content":[{"tool_use_id":"t1","type":"tool_result","content":"fn login() {}"}]},"uuid":"u3","timestamp":"2026-01-02T10:00:02.000Z","toolUseResult":{"type":"text","file":{"filePath":"/p/auth.rs"}}}
{"parentUuid":"u3","isSidechain":false,"cwd":"/p","sessionId":"s1","type":"assistant","message":{"model":"claude-sonnet-4-5","id":"m2","role":"assistant","content":[{"type":"text","text":"Fixed."}],"usage":{"input_tokens":20,"output_tokens":3}},"uuid":"u4","timestamp":"2026-01-02T10:00:03.000Z"}
{"type":"file-history-snapshot","messageId":"u4","snapshot":{"messageId":"u4","trackedFileBackups":{},"timestamp":"2026-01-02T10:00:03.500Z"},"isSnapshotUpdate":false}
{"type":"some-future-record","sessionId":"s1","payload":{"n":[1,2.5,null,true]}}
"#;

fn records(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn a_claude_code_transcript_becomes_typed_events_and_exports_back() {
    let project = Project::new();
    let path = project.write("s1.jsonl", TRANSCRIPT);
    let run = project.hive(&["import", path.to_str().unwrap(), "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let repo = Repository::open(&project.hive_dir()).unwrap();
    let events: Vec<_> = repo
        .events("s1")
        .unwrap()
        .into_iter()
        .map(|shown| shown.event)
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|event| event["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "session_start",
            "custom",
            "user_message",
            "reasoning",
            "tool_call",
            "tool_result",
            "assistant_message",
            "custom",
            "custom"
        ]
    );
    assert_eq!(events[0]["session_id"], "s1");
    assert_eq!(events[2]["text"], "fix the login bug");
    assert_eq!(events[2]["ts"], "2026-01-02T10:00:00.000Z");
    assert_eq!(events[4]["tool"], "Read");
    assert_eq!(events[4]["input"]["file_path"], "/p/auth.rs");
    assert_eq!(events[5]["call_id"], "t1");
    assert_eq!(events[5]["output"], "fn login() {}");
    assert_eq!(events[5]["parent"], 4, "a result points at its call");
    assert_eq!(events[6]["model"], "claude-sonnet-4-5");
    assert_eq!(events[6]["usage"]["input_tokens"], 20);
    assert_eq!(events[8]["name"], "some-future-record");
    // The thinking and the tool call come from one record: the record rides on the first.
    assert_eq!(events[3]["source"]["record"]["uuid"], "u2");
    assert_eq!(events[4]["source"]["part"], 1);

    let exported = project.hive(&["export", "s1"]);
    assert_eq!(exported.code, 0, "{}", exported.stderr);
    assert_eq!(records(&exported.stdout), records(TRANSCRIPT));

    // Grown since: only the new records' events are added, as one commit.
    let grown = format!(
        "{TRANSCRIPT}{}\n",
        r#"{"parentUuid":"u4","cwd":"/p","sessionId":"s1","type":"user","message":{"role":"user","content":"thanks"},"uuid":"u5","timestamp":"2026-01-02T10:01:00.000Z"}"#
    );
    std::fs::write(&path, &grown).unwrap();
    let again = project
        .hive(&["import", path.to_str().unwrap(), "--json"])
        .json();
    assert_eq!(again["totals"]["appended"], 1);
    assert_eq!(repo.events("s1").unwrap().len(), 10);
    assert_eq!(
        records(&project.hive(&["export", "s1"]).stdout),
        records(&grown)
    );
    let unchanged = project
        .hive(&["import", path.to_str().unwrap(), "--json"])
        .json();
    assert_eq!(unchanged["totals"]["unchanged"], 1);
}

#[test]
fn an_unrecognised_file_is_named_and_the_rest_import() {
    let project = Project::new();
    let dir = project.path().join("sessions");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("good.jsonl"), TRANSCRIPT).unwrap();
    std::fs::write(dir.join("odd.jsonl"), "{\"hello\":1}\n").unwrap();
    std::fs::write(dir.join("empty.jsonl"), "").unwrap();
    // Sub-agents beside their session, as Claude Code keeps them: the folder is named `good.d`.
    std::fs::create_dir_all(dir.join("good/subagents")).unwrap();
    std::fs::write(dir.join("good/subagents/agent-1.jsonl"), TRANSCRIPT).unwrap();
    // A file in no session format is passed over, named with the reason; the others import.
    let run = project.hive(&["import", "sessions"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("odd.jsonl: not a recognised session format"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("skipped 1 file in no session format"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("[good "), "{}", run.stdout);
    assert!(
        run.stdout.contains("[good.d/subagents/agent-1 "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("skipped 1 empty file"),
        "{}",
        run.stdout
    );
    // Named on its own, it is an error.
    let alone = project.hive(&["import", "sessions/odd.jsonl"]);
    assert_eq!(alone.code, 3);
    assert!(
        alone
            .stderr
            .contains("odd.jsonl: not a recognised session format"),
        "{}",
        alone.stderr
    );
    // --format forces a reading, and says what does not fit.
    let forced = project.hive(&["import", "sessions/odd.jsonl", "--format", "hive"]);
    assert_eq!(forced.code, 3);
    let unknown = project.hive(&["import", "sessions", "--format", "cobol"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown format 'cobol'"),
        "{}",
        unknown.stderr
    );
}

/// The JSON values a file holds: one per line, or its one document.
fn file_values(path: &std::path::Path) -> Vec<Value> {
    hive::formats::Layout::read(&std::fs::read(path).unwrap())
        .unwrap()
        .into_values()
}

/// Files of HIVE_TEST_DATA that hold no session, each with why: agents' metadata beside sessions, summaries and
/// manifests. Anything else a folder import passes over is a failure.
const NOT_SESSIONS: [&str; 5] = [
    ".meta.json",                // Claude Code sub-agent metadata
    "/journal.jsonl",            // Claude Code workflow journal
    "/workflows/wf_demo01.json", // Claude Code workflow summary
    "/manifest.json",            // index of the Codex record samples
    "/results_summary.json", // mini-swe-agent's resolved/unresolved list, read beside its trajectories
];

#[test]
fn every_real_file_imports_and_exports_back_json_equal() {
    let Some(data) = crate::util::test_data() else {
        eprintln!("HIVE_TEST_DATA is not set: the real-data round trip is skipped");
        return;
    };
    let project = Project::new();
    let data_arg = data.to_str().unwrap();
    let report = project.hive(&["import", data_arg, "--json"]).json();
    let totals = &report["totals"];
    assert_eq!(totals["failed"], 0, "{report:#}");
    for skipped in totals["not_sessions"].as_array().unwrap() {
        let path = skipped["path"].as_str().unwrap();
        assert!(
            NOT_SESSIONS.iter().any(|end| path.ends_with(end)),
            "{path} was passed over: {}",
            skipped["reason"]
        );
    }
    // Every file of a session format was imported: the files under the folder are the sessions' files, the
    // empty ones and the ones that hold no session.
    let mut by_file: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for session in report["sessions"].as_array().unwrap() {
        by_file
            .entry(session["path"].as_str().unwrap().to_string())
            .or_default()
            .push(session["run"].as_str().unwrap().to_string());
    }
    let candidates = files_under(&data, &["jsonl", "json", "traj"]);
    assert_eq!(
        candidates.len(),
        by_file.len()
            + totals["not_sessions"].as_array().unwrap().len()
            + totals["empty_skipped"].as_u64().unwrap() as usize,
    );
    let repo = Repository::open(&project.hive_dir()).unwrap();
    let redactor = hive::redact::Redactor::built_in();
    let mut formats: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    let mut records_total = 0;
    // Branches of a transcript's conversation are forks of its run: checked below, not part of the round trip.
    let forks: std::collections::BTreeMap<String, hive::object::ForkPoint> = repo
        .runs()
        .unwrap()
        .into_iter()
        .filter_map(|run| Some((run.name, run.head?.1.run.forked_from?)))
        .collect();
    assert!(forks.len() >= 3, "{forks:?}");
    for (path, runs) in &by_file {
        let mut exported = Vec::new();
        let mut format = None;
        let (branches, runs): (Vec<&String>, Vec<&String>) =
            runs.iter().partition(|run| forks.contains_key(*run));
        for branch in branches {
            // The branch shares its first events with the run it grew from, and its records are the file's, in
            // the file's order.
            let fork = &forks[branch];
            let ids = |run: &str| -> Vec<hive::ObjectId> {
                repo.events(run)
                    .unwrap()
                    .into_iter()
                    .map(|event| event.id)
                    .collect()
            };
            let (base, own) = (ids(&fork.run), ids(branch));
            assert!(fork.seq > 0 && own.len() as u64 > fork.seq, "{branch}");
            assert_eq!(
                own[..fork.seq as usize],
                base[..fork.seq as usize],
                "{branch}"
            );
            let (_, records) = repo.export(branch, None).unwrap();
            let (_, whole) = repo.export(&fork.run, None).unwrap();
            let mut rest = whole.iter();
            for record in &records {
                assert!(rest.any(|other| other == record), "{branch}: {record}");
            }
        }
        for run in &runs {
            let (found, values) = repo.export(run, None).unwrap();
            format = Some(found);
            exported.extend(values);
        }
        let mut original = file_values(std::path::Path::new(path));
        // Secrets are masked before storage: the run gives back the file as masked.
        let mut tally = hive::redact::Tally::default();
        for value in &mut original {
            redactor.redact_value(value, &mut tally);
        }
        // Many sessions in one JSON list (tau-bench): each run gives back its element.
        if runs.len() > 1 && original.len() == 1 && original[0].is_array() {
            original = original.remove(0).as_array().unwrap().clone();
        }
        assert_eq!(exported, original, "{path}");
        records_total += original.len();
        let entry = formats.entry(format.unwrap().name()).or_default();
        entry.0 += 1;
        entry.1 += runs.len();
    }
    for expected in [
        "claude-code",
        "codex",
        "swe-agent",
        "mini-swe-agent",
        "openhands",
        "tau-bench",
    ] {
        assert!(
            formats.contains_key(expected),
            "no {expected} file: {formats:?}"
        );
    }
    // Replayed, every run gives back its event objects as stored, in seq order, and each resolves to the event
    // read by `events`.
    let mut replayed = 0;
    for summary in repo.runs().unwrap() {
        let events = repo.events(&summary.name).unwrap();
        let replay = repo.replay(&summary.name, None, None).unwrap();
        assert_eq!(replay.len(), events.len(), "{}", summary.name);
        for (item, shown) in replay.zip(&events) {
            let item = item.unwrap();
            assert_eq!(
                (item.seq, item.id),
                (shown.seq, shown.id),
                "{}",
                summary.name
            );
            let object = hive::object::RawObject::new(
                hive::ObjectKind::Event,
                hive::canonical::to_vec(&Value::Object(item.stored.clone())),
            )
            .hashed();
            assert_eq!(object.id(), item.id);
            assert_eq!(item.resolve(repo.odb()).unwrap(), shown.event);
            replayed += 1;
        }
    }
    assert!(!repo.fsck().unwrap().has_errors());
    eprintln!("{replayed} events replayed as stored");
    eprintln!(
        "{} files, {} sessions, {records_total} top-level values: every one exported JSON-equal; by format (files, sessions): {formats:?}",
        by_file.len(),
        report["sessions"].as_array().unwrap().len()
    );
}

#[test]
fn a_task_call_and_its_sub_agent_run_name_each_other() {
    let Some(data) = crate::util::test_data() else {
        eprintln!("HIVE_TEST_DATA is not set: the sub-agent link on real data is skipped");
        return;
    };
    let project = Project::new();
    let folder = data.join("claude-code/projects/-src-deep-manifest");
    project
        .hive(&["import", folder.to_str().unwrap(), "-q"])
        .ok();
    let parent: Vec<Value> = project
        .hive(&[
            "export",
            "a7da6a22-facc-4fcd-8bab-f83c87862004",
            "--format",
            "hive",
        ])
        .json_lines();
    let call = parent
        .iter()
        .find(|event| event["attrs"]["subagent"].is_string())
        .expect("the Task call's result names its sub-agent");
    assert_eq!(call["kind"], "tool_result");
    let agent = call["attrs"]["subagent"].as_str().unwrap();
    let child: Vec<Value> = project
        .hive(&["export", &format!("agent-{agent}"), "--format", "hive"])
        .json_lines();
    assert_eq!(child[0]["kind"], "session_start");
    assert_eq!(child[0]["attrs"]["agent_id"], agent);
    assert_eq!(child[0]["session_id"], parent[0]["session_id"]);
}

#[test]
fn an_import_mark_gives_the_same_commits_as_the_long_check() {
    let lines: Vec<&str> = TRANSCRIPT.lines().collect();
    let half = lines[..4].join("\n") + "\n";
    let whole = TRANSCRIPT.to_string();
    let heads: Vec<String> = [true, false]
        .into_iter()
        .map(|keep_mark| {
            let project = Project::new();
            let path = project.write("s1.jsonl", &half);
            project.hive(&["import", path.to_str().unwrap()]).ok();
            if !keep_mark {
                std::fs::remove_dir_all(project.hive_dir().join("cache")).unwrap();
            }
            project.write("s1.jsonl", &whole);
            let grown = project
                .hive(&["import", path.to_str().unwrap(), "--json"])
                .json();
            assert_eq!(grown["sessions"][0]["status"], "appended", "{grown:#}");
            // An earlier record changed: refused, mark or not.
            project.write(
                "s1.jsonl",
                &whole.replacen("fix the login bug", "fix the logout bug", 1),
            );
            let changed = project.hive(&["import", path.to_str().unwrap(), "--json"]);
            assert_eq!(changed.code, 3, "{changed:?}");
            project.hive(&["rev-parse", "s1"]).ok().trim().to_string()
        })
        .collect();
    assert_eq!(heads[0], heads[1]);
}

#[test]
fn numbers_folders_and_forced_formats() {
    let project = Project::new();
    // Floats come back as the same numbers (read with correct rounding).
    let texts = [
        "0.23051419999999997",
        "0.0034425000000000002",
        "1e-7",
        "12345678901234567",
    ];
    let line = format!(
        "{{\"type\":\"user\",\"sessionId\":\"n1\",\"uuid\":\"u\",\"message\":{{\"role\":\"user\",\"content\":\"x\"}},\"costs\":[{}]}}\n",
        texts.join(",")
    );
    let path = project.write("n1.jsonl", &line);
    project.hive(&["import", path.to_str().unwrap()]).ok();
    let exported = project.hive(&["export", "n1"]).json_lines();
    for (number, text) in exported[0]["costs"].as_array().unwrap().iter().zip(texts) {
        let expected: f64 = text.parse().unwrap();
        assert_eq!(
            number.as_f64().unwrap(),
            expected,
            "{text} came back as {number}"
        );
    }
    // A record type this hive does not know, with a session id, is still Claude Code's; --format is honoured for
    // a single file.
    let odd = project.write(
        "t1.jsonl",
        "{\"type\":\"custom-title\",\"sessionId\":\"t1\",\"title\":\"x\"}\n",
    );
    assert_eq!(project.hive(&["import", odd.to_str().unwrap()]).code, 0);
    let forced = project.write("f1.jsonl", "{\"role\":\"user\",\"content\":\"hi\"}\n");
    let report = project
        .hive(&[
            "import",
            forced.to_str().unwrap(),
            "--format",
            "openai-chat",
            "--json",
        ])
        .json();
    assert_eq!(report["totals"]["created"], 1, "{report:#}");
    // A linked folder that leads back up is not followed.
    #[cfg(unix)]
    {
        let dir = project.path().join("loop");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.jsonl"), TRANSCRIPT).unwrap();
        std::os::unix::fs::symlink(&dir, dir.join("up")).unwrap();
        let report = project.hive(&["import", "loop", "--json"]).json();
        assert_eq!(report["totals"]["sessions"], 1, "{report:#}");
    }
}

/// A Claude Code record of the main conversation.
fn turn(kind: &str, uuid: &str, parent: Option<&str>, text: &str) -> String {
    let content = if kind == "user" {
        json!(text)
    } else {
        json!([{"type": "text", "text": text}])
    };
    json!({
        "parentUuid": parent, "isSidechain": false, "sessionId": "s1", "type": kind, "uuid": uuid,
        "message": {"role": kind, "content": content}, "timestamp": "2026-01-02T10:00:00.000Z"
    })
    .to_string()
}

#[test]
fn a_rewound_conversation_becomes_a_fork_of_its_run() {
    let project = Project::new();
    let mut lines = vec![
        turn("user", "caveat-0", None, "Caveat: local commands below"),
        turn(
            "user",
            "clear-01",
            Some("caveat-0"),
            "<command-name>/clear</command-name>",
        ),
        turn("user", "ask-0001", Some("caveat-0"), "list 5 strengths"),
        turn("assistant", "answer-1", Some("ask-0001"), "strengths..."),
        turn("user", "more-001", Some("answer-1"), "and weaknesses?"),
        turn("assistant", "answer-2", Some("more-001"), "weaknesses..."),
        // A shell command run with `!` hangs from the first message, and the next prompt from its output: the
        // conversation goes on, no fork.
        turn(
            "user",
            "bash-001",
            Some("caveat-0"),
            "<bash-input>ls</bash-input>",
        ),
        turn(
            "user",
            "bash-out",
            Some("bash-001"),
            "<bash-stdout>a.rs</bash-stdout><bash-stderr></bash-stderr>",
        ),
        turn("user", "after-01", Some("bash-out"), "what is in a.rs?"),
        turn("assistant", "answer-a", Some("after-01"), "a.rs holds..."),
        // The user edits the first prompt: a second answer to the same message.
        turn("user", "edited-1", Some("caveat-0"), "list 5 weak points"),
        turn("assistant", "answer-3", Some("edited-1"), "weak points..."),
    ];
    let path = project.write("s1.jsonl", &(lines.join("\n") + "\n"));
    let report = project
        .hive(&["import", path.to_str().unwrap(), "--json"])
        .json();
    let runs: Vec<&str> = report["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|session| session["run"].as_str().unwrap())
        .collect();
    assert_eq!(runs, ["s1", "s1+edited-1"]);
    let listed = project.hive(&["runs", "--json"]).json_lines();
    let branch = listed
        .iter()
        .find(|run| run["name"] == "s1+edited-1")
        .unwrap();
    // Its first three events (the session start, the caveat and `/clear`) are the transcript's run's, the same
    // objects.
    assert_eq!(branch["forked_from"], json!({"run": "s1", "seq": 3}));
    assert_eq!(branch["events"], 5);
    for seq in 0..3 {
        assert_eq!(
            project.hive(&["rev-parse", &format!("s1@{seq}")]).ok(),
            project
                .hive(&["rev-parse", &format!("s1+edited-1@{seq}")])
                .ok()
        );
    }
    // Exported, the branch is the conversation as the user saw it after the edit.
    let exported: Vec<Value> = project.hive(&["export", "s1+edited-1"]).json_lines();
    let uuids: Vec<&str> = exported
        .iter()
        .map(|record| record["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(uuids, ["caveat-0", "clear-01", "edited-1", "answer-3"]);
    // The transcript's run still gives back the whole file.
    assert_eq!(
        project.hive(&["export", "s1"]).json_lines(),
        records(&(lines.join("\n") + "\n"))
    );

    // The session goes on in the branch, and the user rewinds once more: the branch grows by a commit, and the
    // new branch is a fork of the first branch.
    lines.push(turn("user", "again-01", Some("answer-3"), "thanks"));
    lines.push(turn(
        "user",
        "edited-2",
        Some("edited-1"),
        "list 3 weak points",
    ));
    lines.push(turn("assistant", "answer-4", Some("edited-2"), "three..."));
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let again = project
        .hive(&["import", path.to_str().unwrap(), "--json"])
        .json();
    assert_eq!(again["totals"]["created"], 1, "{again:#}");
    assert_eq!(again["totals"]["appended"], 2, "{again:#}");
    let listed = project.hive(&["runs", "--json"]).json_lines();
    let second = listed
        .iter()
        .find(|run| run["name"] == "s1+edited-2")
        .unwrap();
    assert_eq!(
        second["forked_from"],
        json!({"run": "s1+edited-1", "seq": 4})
    );
    let unchanged = project
        .hive(&["import", path.to_str().unwrap(), "--json"])
        .json();
    assert_eq!(unchanged["totals"]["unchanged"], 3, "{unchanged:#}");
    assert!(project.hive(&["fsck"]).ok().contains("ok"));
}

#[test]
fn a_branch_is_not_imported_when_its_run_is_not() {
    let project = Project::new();
    let mut lines = vec![
        turn("user", "ask-0001", None, "list 5 strengths"),
        turn("assistant", "answer-1", Some("ask-0001"), "strengths..."),
        turn("user", "more-001", Some("answer-1"), "and weaknesses?"),
        turn("assistant", "answer-2", Some("more-001"), "weaknesses..."),
        turn("user", "edited-1", Some("answer-1"), "and risks?"),
        turn("assistant", "answer-3", Some("edited-1"), "risks..."),
    ];
    let path = project.write("s1.jsonl", &(lines.join("\n") + "\n"));
    let first = project
        .hive(&["import", path.to_str().unwrap(), "--json"])
        .json();
    assert_eq!(first["totals"]["created"], 2, "{first:#}");
    // The file is rewritten so that it no longer continues its run, and it gains a branch: the run is refused,
    // and so is every branch, rather than stored as a fork of events the run does not hold.
    lines[1] = turn("assistant", "answer-1", Some("ask-0001"), "other strengths");
    lines.push(turn("user", "edited-2", Some("answer-1"), "and costs?"));
    lines.push(turn("assistant", "answer-4", Some("edited-2"), "costs..."));
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let output = project.hive(&["import", path.to_str().unwrap(), "--json"]);
    assert_ne!(output.code, 0);
    let report: Value = serde_json::from_str(&output.stdout).unwrap();
    let failed: Vec<(&str, &str)> = report["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|session| {
            (
                session["run"].as_str().unwrap(),
                session["error"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(failed.len(), 3, "{report:#}");
    assert!(failed[0].1.contains("already holds"), "{failed:?}");
    for (run, error) in &failed[1..] {
        assert!(run.starts_with("s1+edited-"), "{failed:?}");
        assert!(error.contains("forks from run 's1'"), "{failed:?}");
    }
    let names: Vec<String> = project
        .hive(&["runs", "--json"])
        .json_lines()
        .iter()
        .map(|run| run["name"].as_str().unwrap().to_string())
        .collect();
    assert!(!names.contains(&"s1+edited-2".to_string()), "{names:?}");
    assert!(project.hive(&["fsck"]).ok().contains("ok"));
}
