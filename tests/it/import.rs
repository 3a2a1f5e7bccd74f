//! `hive import`: the bulk path. Many sessions in one pass, idempotent and incremental, bad files reported by
//! name while the rest import; and the real sessions of HIVE_TEST_DATA through the same command.

use crate::util::Project;
use serde_json::{Value, json};
use std::path::Path;

fn session_lines(tag: &str, events: usize) -> Vec<String> {
    (0..events)
        .map(|index| {
            let event = match index % 3 {
                0 => json!({"kind": "user_message", "text": format!("{tag} asks {index}"), "ts": format!("2026-01-01T00:00:{:02}Z", index % 60)}),
                1 => json!({"kind": "tool_call", "call_id": format!("c{index}"), "tool": "Read", "input": {"path": "src/lib.rs"}, "ts": format!("2026-01-01T00:01:{:02}Z", index % 60)}),
                // The same large output in every session: stored once.
                _ => json!({"kind": "tool_result", "call_id": format!("c{}", index - 1), "output": "fn main() {}\n".repeat(600), "ts": format!("2026-01-01T00:02:{:02}Z", index % 60)}),
            };
            event.to_string()
        })
        .collect()
}

fn write_session(dir: &Path, name: &str, lines: &[String]) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn objects_files(project: &Project) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(project.hive_dir().join("objects/pack"))
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_folder_imports_as_one_run_per_session_and_again_changes_nothing() {
    let project = Project::new();
    let sessions = project.path().join("sessions");
    write_session(&sessions, "a.jsonl", &session_lines("a", 30));
    write_session(&sessions, "2026/b c.jsonl", &session_lines("b", 12));
    std::fs::write(sessions.join("notes.txt"), "not a session").unwrap();

    let report = project.hive(&["import", "sessions", "--json"]).json();
    let totals = &report["totals"];
    assert_eq!(totals["sessions"], 2, "{report}");
    assert_eq!(totals["created"], 2);
    assert_eq!(totals["events"], 42);
    let runs: Vec<&str> = report["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|session| session["run"].as_str().unwrap())
        .collect();
    assert_eq!(runs, ["2026/b-c", "a"]);
    let shown = project.hive(&["show", "a@2", "--json"]).json();
    assert_eq!(
        shown["event"]["output"],
        "fn main() {}\n".repeat(600),
        "payloads read back whole"
    );
    assert_eq!(shown["event"]["seq"], 2);
    let log = project.hive(&["log", "2026/b-c", "--json"]);
    assert_eq!(log.code, 0, "{log:?}");
    let fsck = project.hive(&["fsck"]);
    assert_eq!(fsck.code, 0, "{fsck:?}");

    // Idempotent: the same sessions again add no object, no pack and no commit.
    let before = objects_files(&project);
    let again = project.hive(&["import", "sessions", "--json"]).json();
    assert_eq!(again["totals"]["unchanged"], 2, "{again}");
    assert_eq!(again["totals"]["bytes_stored"], 0);
    assert_eq!(objects_files(&project), before);
    let heads = project.hive(&["rev-parse", "a"]).ok().to_string();

    // Incremental: a session that went on adds one commit with the new events only.
    let mut grown = session_lines("a", 30);
    grown.extend(
        session_lines("a-more", 5)
            .into_iter()
            .map(|line| line.replace("asks", "then asks")),
    );
    write_session(&sessions, "a.jsonl", &grown);
    let third = project.hive(&["import", "sessions", "--json"]).json();
    let a = third["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|session| session["run"] == "a")
        .unwrap()
        .clone();
    assert_eq!(a["status"], "appended", "{third}");
    assert_eq!(a["first_seq"], 30);
    assert_eq!(a["added"], 5);
    let parent = project.hive(&["rev-parse", "a~1"]).ok().to_string();
    assert_eq!(parent, heads, "the new commit continues the run");
    let last = project.hive(&["show", "a@34", "--json"]).json();
    assert_eq!(last["event"]["seq"], 34);
}

#[test]
fn bad_sessions_are_named_and_the_rest_import() {
    let project = Project::new();
    let sessions = project.path().join("sessions");
    write_session(&sessions, "good.jsonl", &session_lines("g", 6));
    write_session(
        &sessions,
        "broken.jsonl",
        &[
            "{\"kind\":\"user_message\",\"text\":\"ok\"}".into(),
            "{not json".into(),
        ],
    );
    write_session(&sessions, "empty.jsonl", &[]);
    let run = project.hive(&["import", "sessions"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("broken.jsonl: line 2: not valid JSON"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("skipped 1 empty file"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("1 created"), "{}", run.stdout);
    assert_eq!(project.hive(&["show", "good@5", "--json"]).code, 0);
    assert_eq!(project.hive(&["rev-parse", "broken"]).code, 4);

    // A session whose first events differ from its run's is refused, and the run is untouched.
    let head = project.hive(&["rev-parse", "good"]).ok().to_string();
    write_session(&sessions, "good.jsonl", &session_lines("other", 6));
    let diverged = project.hive(&["import", "sessions/good.jsonl", "--json"]);
    assert_eq!(diverged.code, 3);
    let report: Value = serde_json::from_str(&diverged.stdout).unwrap();
    assert_eq!(report["sessions"][0]["status"], "failed");
    assert!(
        report["sessions"][0]["error"]
            .as_str()
            .unwrap()
            .contains("already holds 6 events"),
        "{report}"
    );
    assert_eq!(project.hive(&["rev-parse", "good"]).ok(), head);
    // Under another name it imports.
    let renamed = project.hive(&["import", "sessions/good.jsonl", "--run", "good-2"]);
    assert_eq!(renamed.code, 0, "{renamed:?}");
    let usage = project.hive(&["import", "sessions", "--run", "x"]);
    assert_eq!(usage.code, 2, "{usage:?}");
    let missing = project.hive(&["import", "nowhere"]);
    assert_eq!(missing.code, 4, "{missing:?}");
}

#[test]
fn real_sessions_import_in_bulk() {
    let Some(dir) = crate::util::test_data() else {
        eprintln!("HIVE_TEST_DATA is not set: real-session import skipped");
        return;
    };
    // Every JSON Lines record of the real transcripts, one custom event each, one session file per transcript.
    let project = Project::new();
    let sessions = project.path().join("sessions");
    let mut expected = Vec::new();
    for path in crate::util::files_under(&dir, &["jsonl"]) {
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<String> = text
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .map(|record| json!({"kind": "custom", "name": "record", "data": record, "ts": "2026-01-01T00:00:00Z"}).to_string())
            .collect();
        if lines.is_empty() {
            continue;
        }
        let name = format!("s{:04}.jsonl", expected.len());
        write_session(&sessions, &name, &lines);
        expected.push((name.trim_end_matches(".jsonl").to_string(), lines));
    }
    assert!(
        expected.len() > 50,
        "found {} JSON Lines transcripts",
        expected.len()
    );
    let report = project.hive(&["import", "sessions", "--json"]).json();
    assert_eq!(
        report["totals"]["created"],
        expected.len(),
        "{}",
        report["totals"]
    );
    assert_eq!(report["totals"]["failed"], 0);
    eprintln!("real sessions imported: {}", report["totals"]);
    let fsck = project.hive(&["fsck"]);
    assert_eq!(fsck.code, 0, "{fsck:?}");
    // Spot checks: the last record of a few runs reads back JSON-equal.
    for (run, lines) in expected.iter().step_by(17) {
        let seq = lines.len() - 1;
        let shown = project
            .hive(&["show", &format!("{run}@{seq}"), "--json"])
            .json();
        let original: Value = serde_json::from_str(&lines[seq]).unwrap();
        assert_eq!(shown["event"]["data"], original["data"], "{run}@{seq}");
    }
}

#[test]
fn imports_refuse_what_they_would_damage_and_repeat_exactly() {
    let project = Project::new();
    let sessions = project.path().join("sessions");
    // Events without ts import the same way every time.
    let untimed: Vec<String> = (0..4)
        .map(|index| {
            json!({"kind": "user_message", "text": format!("no time {index}")}).to_string()
        })
        .collect();
    write_session(&sessions, "untimed.jsonl", &untimed);
    // `a` and `a/b` cannot both be runs: the longer name is refused, the shorter imports. (Within one folder, a
    // folder `a` beside `a.jsonl` is named `a.d`; from two folders the names meet.)
    write_session(&sessions, "a.jsonl", &session_lines("a", 3));
    let more = project.path().join("more");
    write_session(&more, "a/b.jsonl", &session_lines("ab", 3));
    let first = project.hive(&["import", "sessions", "more", "--json"]);
    assert_eq!(first.code, 3, "{first:?}");
    let report: Value = serde_json::from_str(&first.stdout).unwrap();
    let status = |report: &Value, run: &str| {
        report["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|session| session["run"] == run)
            .map(|session| (session["status"].clone(), session["error"].clone()))
            .unwrap()
    };
    assert_eq!(status(&report, "a").0, "created", "{report}");
    assert_eq!(status(&report, "untimed").0, "created");
    let (clash, error) = status(&report, "a/b");
    assert_eq!(clash, "failed");
    assert!(error.as_str().unwrap().contains("'a'"), "{error}");
    assert_eq!(project.hive(&["fsck"]).code, 0);

    let again = project.hive(&["import", "sessions", "--json"]).json();
    assert_eq!(status(&again, "untimed").0, "unchanged", "{again}");

    // A run with staged events is left alone: those events were numbered from its current head.
    project
        .hive_stdin(
            &["append", "--run", "untimed"],
            "{\"kind\":\"user_message\",\"text\":\"staged\"}\n",
        )
        .ok();
    let mut grown = untimed.clone();
    grown.push(json!({"kind": "user_message", "text": "more"}).to_string());
    write_session(&sessions, "untimed.jsonl", &grown);
    let refused = project.hive(&["import", "sessions", "--json"]);
    assert_eq!(refused.code, 3, "{refused:?}");
    let report: Value = serde_json::from_str(&refused.stdout).unwrap();
    let (state, error) = status(&report, "untimed");
    assert_eq!(state, "failed");
    assert!(error.as_str().unwrap().contains("staged events"), "{error}");
    // The staged event is still there, and commits after the run's four events.
    let committed = project
        .hive(&["commit", "--run", "untimed", "--json"])
        .json();
    assert_eq!(committed["commits"][0]["first_seq"], 4, "{committed}");
}
