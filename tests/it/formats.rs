//! Agents' formats: Claude Code transcripts import as typed events and export back record for record, on a small
//! transcript written here and on every Claude Code file of HIVE_TEST_DATA.

use crate::util::{Project, files_under};
use hive::Repository;
use hive::formats::Format;
use hive::repo::{ImportOptions, ImportSession};
use serde_json::Value;
use std::path::PathBuf;

/// A small transcript in Claude Code's shape: a prompt, thinking, a tool call and its result, an answer, and
/// record types hive has no kind for.
const TRANSCRIPT: &str = r#"{"type":"summary","summary":"Fix the login bug","leafUuid":"u4"}
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
    let run = project.hive(&["import", "sessions"]);
    assert_eq!(run.code, 3);
    assert!(
        run.stderr
            .contains("odd.jsonl: not a recognised session format"),
        "{}",
        run.stderr
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

#[test]
fn every_real_claude_code_file_round_trips() {
    let Some(data) = crate::util::test_data() else {
        eprintln!("HIVE_TEST_DATA is not set: real Claude Code round trip skipped");
        return;
    };
    let files: Vec<PathBuf> = files_under(&data.join("claude-code"), &["jsonl"])
        .into_iter()
        .filter(|path| path.metadata().unwrap().len() > 0)
        .collect();
    assert!(files.len() >= 100, "{} files", files.len());
    let project = Project::new();
    let repo = Repository::open(&project.hive_dir()).unwrap();
    let sessions: Vec<ImportSession> = files
        .iter()
        .enumerate()
        .map(|(index, path)| ImportSession {
            path: path.clone(),
            run: format!("cc/{index}"),
            format: Some(Format::ClaudeCode),
        })
        .collect();
    let report = repo
        .import(&sessions, &ImportOptions::default(), &|_| {})
        .unwrap();
    let mut records_total = 0;
    for (session, outcome) in sessions.iter().zip(&report.sessions) {
        assert!(
            outcome.result.is_ok(),
            "{}: {:?}",
            session.path.display(),
            outcome.result
        );
        let (format, exported) = repo.export(&session.run, None).unwrap();
        assert_eq!(format, Format::ClaudeCode);
        let original = records(&std::fs::read_to_string(&session.path).unwrap());
        records_total += original.len();
        assert_eq!(exported, original, "{}", session.path.display());
    }
    assert!(!repo.fsck().unwrap().has_errors());
    eprintln!(
        "{} Claude Code files, {records_total} records: every one exported JSON-equal",
        files.len()
    );
}
