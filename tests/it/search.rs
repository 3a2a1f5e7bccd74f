//! `hive search`: ranking, the query language, every filter, scope isolation, removal, and an index built bit by
//! bit that answers as one rebuilt from scratch.

use crate::util::{Project, session};
use serde_json::{Value, json};

/// The hits of a search, as (run, seq).
fn hits(project: &Project, args: &[&str]) -> Vec<(String, u64)> {
    let mut all = vec!["search", "--json"];
    all.extend_from_slice(args);
    project
        .hive(&all)
        .json_lines()
        .iter()
        .map(|hit| {
            (
                hit["run"].as_str().unwrap().to_string(),
                hit["seq"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn runs_of(found: &[(String, u64)]) -> Vec<String> {
    let mut runs: Vec<String> = found.iter().map(|(run, _)| run.clone()).collect();
    runs.sort();
    runs.dedup();
    runs
}

fn stage(project: &Project, run: &str, lines: &[Value]) {
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    project.stage_and_commit(run, &text);
}

#[test]
fn the_query_language_and_every_filter() {
    let project = Project::new();
    stage(
        &project,
        "auth",
        &[
            json!({"kind": "session_start", "agent": "claude-code", "model": "claude-opus-4"}),
            json!({"kind": "user_message", "text": "refactor the auth module"}),
            json!({"kind": "tool_call", "call_id": "c1", "tool": "Read", "input": {"file_path": "src/auth.rs"}}),
            json!({"kind": "tool_result", "call_id": "c1", "output": "fn authenticate(user: &User) -> bool"}),
            json!({"kind": "tool_call", "call_id": "c2", "tool": "Bash", "input": {"command": "cargo test"}}),
            json!({"kind": "tool_result", "call_id": "c2", "output": "error: linker `cc` failed", "is_error": true}),
            json!({"kind": "session_end", "status": "failure"}),
        ],
    );
    stage(
        &project,
        "docs",
        &[
            json!({"kind": "session_start", "agent": "codex", "model": "gpt-5"}),
            json!({"kind": "user_message", "text": "write the docs for the linker flags"}),
            json!({"kind": "error", "message": "rate limited, retrying"}),
            json!({"kind": "file_op", "op": "write", "path": "docs/linker.md", "after": "# Linker flags"}),
            json!({"kind": "session_end", "status": "success"}),
        ],
    );
    // Words, phrases, prefixes, fields, operators.
    assert_eq!(runs_of(&hits(&project, &["linker"])), ["auth", "docs"]);
    assert_eq!(hits(&project, &["\"linker flags\""]).len(), 2);
    assert_eq!(runs_of(&hits(&project, &["\"linker flags\""])), ["docs"]);
    assert_eq!(hits(&project, &["authent*"]), [("auth".to_string(), 3)]);
    assert_eq!(
        hits(&project, &["tool:Bash linker"]),
        [("auth".to_string(), 5)]
    );
    assert_eq!(
        hits(&project, &["file:src/auth.rs"]),
        [("auth".to_string(), 2)]
    );
    assert_eq!(
        hits(&project, &["file:docs/linker.md"]),
        [("docs".to_string(), 3)]
    );
    // A failed tool result is an error too.
    assert_eq!(runs_of(&hits(&project, &["kind:error"])), ["auth", "docs"]);
    assert_eq!(
        hits(&project, &["kind:error tool:Bash"]),
        [("auth".to_string(), 5)]
    );
    assert_eq!(runs_of(&hits(&project, &["linker NOT flags"])), ["auth"]);
    assert_eq!(runs_of(&hits(&project, &["linker -flags"])), ["auth"]);
    assert_eq!(
        runs_of(&hits(&project, &["authenticate OR \"rate limited\""])),
        ["auth", "docs"]
    );
    assert_eq!(
        runs_of(&hits(
            &project,
            &["(authenticate OR limited) AND kind:error"]
        )),
        ["docs"]
    );
    // Filters.
    let linker = |extra: &[&str]| {
        let mut args = vec!["linker"];
        args.extend_from_slice(extra);
        runs_of(&hits(&project, &args))
    };
    assert_eq!(linker(&["--run", "docs"]), ["docs"]);
    assert_eq!(linker(&["--agent", "codex"]), ["docs"]);
    assert_eq!(linker(&["--model", "opus"]), ["auth"]);
    assert_eq!(linker(&["--status", "failure"]), ["auth"]);
    assert_eq!(linker(&["--author", "test@example.com"]).len(), 2);
    assert_eq!(linker(&["--author", "nobody"]), Vec::<String>::new());
    assert_eq!(linker(&["--since", "2026-01-01"]).len(), 2);
    assert_eq!(linker(&["--until", "2025-12-31"]), Vec::<String>::new());
    project.hive(&["tag", "auth", "reviewed"]).ok();
    assert_eq!(linker(&["--tag", "reviewed"]), ["auth"]);
    assert_eq!(hits(&project, &["linker", "--limit", "1"]).len(), 1);
    // One line per run, best first.
    let grouped = project
        .hive(&["search", "linker", "--runs", "--json"])
        .json_lines();
    assert_eq!(grouped.len(), 2);
    assert!(grouped.iter().all(|run| run["hits"].as_u64().unwrap() >= 1));
    // Each hit says where it is and shows the passage, marked.
    let hit = &project.hive(&["search", "cargo", "--json"]).json_lines()[0];
    assert_eq!(
        (
            hit["run"].as_str(),
            hit["kind"].as_str(),
            hit["tool"].as_str()
        ),
        (Some("auth"), Some("tool_call"), Some("Bash"))
    );
    let snippet = hit["snippet"].as_str().unwrap();
    let (begin, end) = (
        hit["highlights"][0][0].as_u64().unwrap() as usize,
        hit["highlights"][0][1].as_u64().unwrap() as usize,
    );
    assert_eq!(&snippet[begin..end], "cargo");
    let text = project.hive(&["search", "cargo"]).ok().to_string();
    assert!(
        text.starts_with("auth@4  tool_call Bash  2026-01-02T03:04:05.000Z\n    cargo test"),
        "{text}"
    );
    // A run that is not there is named as such.
    assert_eq!(project.hive(&["search", "linker", "--run", "nope"]).code, 4);
    // Bad queries say what is wrong.
    for bad in ["", "NOT x", "(a", "colour:red", "\"open"] {
        let refused = project.hive(&["search", bad]);
        assert_eq!(refused.code, 2, "{bad:?}: {refused:?}");
        assert!(refused.stderr.contains("the query:"), "{refused:?}");
    }
}

#[test]
fn scope_removal_and_rebuild() {
    let project = Project::new();
    // Two workspaces' runs: a search in one never shows the other's.
    std::fs::write(
        project.path().join(".hivemind"),
        "[workspace]\nname = \"alpha\"\n",
    )
    .unwrap();
    project.stage_and_commit("a1", &session("shared secret word"));
    std::fs::write(
        project.path().join(".hivemind"),
        "[workspace]\nname = \"beta\"\n",
    )
    .unwrap();
    project.stage_and_commit("b1", &session("shared secret word"));
    std::fs::remove_file(project.path().join(".hivemind")).unwrap();
    assert_eq!(runs_of(&hits(&project, &["secret"])), ["a1", "b1"]);
    assert_eq!(
        runs_of(&hits(&project, &["secret", "--workspace", "alpha"])),
        ["a1"]
    );
    assert_eq!(
        runs_of(&hits(&project, &["secret", "--workspace", "beta"])),
        ["b1"]
    );
    // Grows bit by bit: appended events, a fork, a new run, a tag.
    project.stage_and_commit(
        "a1",
        "{\"kind\":\"user_message\",\"text\":\"one more secret\"}\n",
    );
    project.hive(&["fork", "a1@3", "a2"]).ok();
    project.stage_and_commit(
        "a2",
        "{\"kind\":\"user_message\",\"text\":\"the fork's secret\"}\n",
    );
    project.hive(&["tag", "b1", "kept"]).ok();
    let queries = [
        vec!["secret"],
        vec!["please"],
        vec!["tool:Bash"],
        vec!["fork*"],
        vec!["secret", "--tag", "kept"],
    ];
    let before: Vec<Vec<(String, u64)>> =
        queries.iter().map(|query| hits(&project, query)).collect();
    assert!(
        before[0].contains(&("a1".to_string(), 6)),
        "{:?}",
        before[0]
    );
    assert!(
        before[0].contains(&("a2".to_string(), 3)),
        "{:?}",
        before[0]
    );
    // A removed run is gone from results at once.
    project.hive(&["rm", "b1"]).ok();
    assert!(!runs_of(&hits(&project, &["secret"])).contains(&"b1".to_string()));
    assert_eq!(
        hits(&project, &["secret", "--tag", "kept"]),
        Vec::<(String, u64)>::new()
    );
    // The same events are found (ranks can differ by a hair: removed events count in the statistics until the
    // index merges them away).
    let found = |query: &Vec<&str>| {
        let mut found = hits(&project, query);
        found.sort();
        found
    };
    let incremental: Vec<Vec<(String, u64)>> = queries.iter().map(found).collect();
    // Rebuilt from the objects: the same answers.
    let rebuilt = project.hive(&["index", "rebuild", "--json"]).json();
    assert_eq!(rebuilt["events"], 7 + 4);
    let fresh: Vec<Vec<(String, u64)>> = queries.iter().map(found).collect();
    assert_eq!(incremental, fresh);
    // An index deleted by hand is made again by the next search.
    std::fs::remove_dir_all(project.hive_dir().join("index")).unwrap();
    assert_eq!(queries.iter().map(found).collect::<Vec<_>>(), fresh);
    assert!(project.hive(&["fsck"]).ok().contains("ok"));
}

/// Sets the modification time of every folder of run references to a minute ago, as if none had changed lately.
fn settle_references(project: &Project) {
    let when = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    let mut pending = vec![project.hive_dir().join("refs").join("runs")];
    while let Some(dir) = pending.pop() {
        std::fs::File::open(&dir)
            .unwrap()
            .set_modified(when)
            .unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            }
        }
    }
}

#[test]
fn a_search_reads_no_reference_while_none_changed() {
    let project = Project::new();
    project.stage_and_commit("a1", &session("needle in the first"));
    project.stage_and_commit("fix/a2", &session("nothing here"));
    settle_references(&project);
    assert_eq!(runs_of(&hits(&project, &["needle"])), ["a1"]);
    let stamp = project.hive_dir().join("index").join("search.stamp");
    assert!(stamp.exists());
    // The next search trusts the stamp: a reference spoilt in place (its folder untouched) is not even read.
    let reference = project.hive_dir().join("refs").join("runs").join("a1");
    let value = std::fs::read(&reference).unwrap();
    std::fs::write(&reference, "not an id\n").unwrap();
    assert_ne!(
        project.hive(&["runs"]).code,
        0,
        "a reader of the references sees it"
    );
    assert_eq!(runs_of(&hits(&project, &["needle"])), ["a1"]);
    // Filters are answered from the index too.
    assert_eq!(
        runs_of(&hits(&project, &["needle", "--agent", "claude"])),
        ["a1"]
    );
    std::fs::write(&reference, value).unwrap();
    // Every change to the references is seen by the next search: a new run, a tag (a new head), a run in a new
    // folder, a removal.
    project.stage_and_commit("a3", &session("needle in the third"));
    assert_eq!(runs_of(&hits(&project, &["needle"])), ["a1", "a3"]);
    settle_references(&project);
    assert_eq!(runs_of(&hits(&project, &["needle"])), ["a1", "a3"]);
    project.hive(&["tag", "a3", "kept"]).ok();
    assert_eq!(
        runs_of(&hits(&project, &["needle", "--tag", "kept"])),
        ["a3"]
    );
    settle_references(&project);
    project.stage_and_commit("more/a4", &session("needle in the fourth"));
    assert_eq!(
        runs_of(&hits(&project, &["needle"])),
        ["a1", "a3", "more/a4"]
    );
    settle_references(&project);
    assert_eq!(
        runs_of(&hits(&project, &["needle"])),
        ["a1", "a3", "more/a4"]
    );
    project.hive(&["rm", "a1"]).ok();
    assert_eq!(runs_of(&hits(&project, &["needle"])), ["a3", "more/a4"]);
}

#[test]
fn commits_and_searches_run_at_once() {
    let project = Project::new();
    project.stage_and_commit("seed", &session("seed"));
    project.hive(&["index", "status"]).ok();
    let children: Vec<_> = (0..6)
        .map(|index| {
            let mut command = crate::util::hive_command(project.path());
            if index % 2 == 0 {
                let file = project.write(
                    &format!("s{index}.jsonl"),
                    &session(&format!("parallel{index}")),
                );
                command.args([
                    "commit",
                    "--run",
                    &format!("p{index}"),
                    file.to_str().unwrap(),
                ]);
            } else {
                command.args(["search", "please", "--json"]);
            }
            command
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            command.spawn().unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(
        runs_of(&hits(&project, &["please"])),
        ["p0", "p2", "p4", "seed"]
    );
}

#[test]
fn a_distinctive_phrase_finds_its_real_session_first() {
    let Some(data) = crate::util::test_data() else {
        eprintln!("HIVE_TEST_DATA is not set: ranking on real sessions is skipped");
        return;
    };
    let project = Project::new();
    for folder in ["claude-code", "codex", "swe-agent", "tau-bench"] {
        let path = data.join(folder);
        project
            .hive(&["import", path.to_str().unwrap(), "-q", "--json"])
            .json();
    }
    // Every run's searchable text as its words, to tell which phrases only one run holds.
    let repo = hive::Repository::open(&project.hive_dir()).unwrap();
    let texts: Vec<(String, String)> = repo
        .runs()
        .unwrap()
        .into_iter()
        .map(|run| {
            let mut joined = String::from(" ");
            for shown in repo.events(&run.name).unwrap() {
                let stored = hive::repo::read_event(repo.odb(), shown.id).unwrap();
                let text = hive::search::event_text(repo.odb(), &stored, u64::MAX).unwrap();
                for word in hive::search::words(&format!("{} {}", text.text, text.files)) {
                    joined.push_str(&word);
                    joined.push(' ');
                }
            }
            (run.name, joined)
        })
        .collect();
    // From every seventh run, the first five words in a row of a user message that no other run holds: searched
    // as a phrase, that run comes first.
    let mut checked = 0;
    for (name, _) in texts.iter().step_by(7) {
        let events = repo.events(name).unwrap();
        let phrase = events.iter().find_map(|shown| {
            if shown.event["kind"] != "user_message" {
                return None;
            }
            let words = hive::search::words(shown.event["text"].as_str()?);
            words.windows(5).find_map(|window| {
                let needle = format!(" {} ", window.join(" "));
                let holders = texts
                    .iter()
                    .filter(|(_, text)| text.contains(&needle))
                    .count();
                (holders == 1).then(|| window.join(" "))
            })
        });
        let Some(phrase) = phrase else {
            continue;
        };
        let found = project
            .hive(&["search", &format!("\"{phrase}\""), "--runs", "--json"])
            .json_lines();
        assert_eq!(found.len(), 1, "\"{phrase}\": {found:?}");
        assert_eq!(found[0]["run"], name.as_str(), "\"{phrase}\"");
        // Its words without quotes (any order, anywhere in an event): the run is among the hits.
        let loose = project
            .hive(&["search", &phrase, "--runs", "--json", "--limit", "500"])
            .json_lines();
        assert!(
            loose.iter().any(|hit| hit["run"] == name.as_str()),
            "{phrase}"
        );
        checked += 1;
    }
    assert!(checked >= 10, "{checked} sessions checked");
}
