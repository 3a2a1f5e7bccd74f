//! Live capture for Claude Code: `hive connect`/`disconnect` edit settings without clobbering them, and hook
//! payloads written from Claude Code's documented hook fields, replayed against real transcripts as they grow,
//! leave each session in hive exactly as `hive import` would.

use crate::util::{Project, Run, files_under, hive_command, run_with_input};
use serde_json::{Value, json};
use std::path::Path;

/// Runs `hive hook claude-code` in `project` with `payload` on stdin and `home` as HOME.
fn hook(project: &Project, home: &Path, payload: &Value) -> Run {
    run_with_input(
        hive_command(project.path())
            .env("HOME", home)
            .args(["hook", "claude-code"]),
        &payload.to_string(),
    )
}

#[test]
fn connect_merges_into_settings_and_disconnect_removes_exactly_that() {
    let project = Project::new();
    let settings = project.path().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let original = "{\n  \"permissions\": {\"allow\": [\"Bash(cargo test:*)\"]},\n  \"hooks\": {\"PostToolUse\": [{\"matcher\": \"Edit\", \"hooks\": [{\"type\": \"command\", \"command\": \"fmt.sh\"}]}]}\n}\n";
    std::fs::write(&settings, original).unwrap();
    let connected = project.hive(&["connect", "claude-code", "--json"]).json();
    assert_eq!(connected["added"].as_array().unwrap().len(), 7);
    let text = std::fs::read_to_string(&settings).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["permissions"]["allow"][0], "Bash(cargo test:*)");
    assert_eq!(
        value["hooks"]["PostToolUse"][0]["hooks"][0]["command"],
        "fmt.sh"
    );
    assert_eq!(
        value["hooks"]["PostToolUse"][1]["hooks"][0]["command"],
        "hive hook claude-code"
    );
    for event in [
        "SessionStart",
        "UserPromptSubmit",
        "PostToolUseFailure",
        "Stop",
        "SubagentStop",
        "SessionEnd",
    ] {
        assert_eq!(
            value["hooks"][event][0]["hooks"][0]["command"], "hive hook claude-code",
            "{event}"
        );
    }
    // Connecting again adds nothing.
    let again = project.hive(&["connect", "claude-code"]);
    assert!(again.ok().contains("already"), "{}", again.stdout);
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), text);
    let removed = project
        .hive(&["disconnect", "claude-code", "--json"])
        .json();
    assert_eq!(removed["removed"].as_array().unwrap().len(), 7);
    assert_eq!(
        serde_json::from_str::<Value>(&std::fs::read_to_string(&settings).unwrap()).unwrap(),
        serde_json::from_str::<Value>(original).unwrap()
    );
    // A settings file that is not an object is refused and left alone.
    std::fs::write(&settings, "[1]").unwrap();
    let refused = project.hive(&["connect", "claude-code"]);
    assert_eq!(refused.code, 3, "{refused:?}");
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), "[1]");
    // --scope user writes the user's settings, with this repository named.
    let config = project.path().join("claude-config");
    let user = hive_command(project.path())
        .env("CLAUDE_CONFIG_DIR", &config)
        .args(["connect", "claude-code", "--scope", "user", "--json"])
        .output()
        .unwrap();
    assert!(user.status.success());
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(config.join("settings.json")).unwrap())
            .unwrap();
    let command = written["hooks"]["Stop"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    assert!(
        command.starts_with("hive hook claude-code --repo"),
        "{command}"
    );
    let gone = hive_command(project.path())
        .env("CLAUDE_CONFIG_DIR", &config)
        .args(["disconnect", "claude-code", "--scope", "user"])
        .output()
        .unwrap();
    assert!(gone.status.success());
    assert_eq!(
        std::fs::read_to_string(config.join("settings.json")).unwrap(),
        "{\n}\n"
    );
}

/// The hook payloads Claude Code would send while `records` are written, in order, with the number of records
/// in the transcript when each is sent.
fn payloads(
    records: &[Value],
    session: &str,
    transcript: &Path,
    cwd: &Path,
) -> Vec<(usize, Value)> {
    let base = |event: &str| {
        json!({
            "hook_event_name": event, "session_id": session,
            "transcript_path": transcript.display().to_string(), "cwd": cwd.display().to_string(),
            "permission_mode": "default",
        })
    };
    let mut out = vec![(0, {
        let mut start = base("SessionStart");
        start["source"] = json!("startup");
        start
    })];
    let mut calls: std::collections::HashMap<String, (Value, Value)> = Default::default();
    for (index, record) in records.iter().enumerate() {
        let written = index + 1;
        let content = &record["message"]["content"];
        match record["type"].as_str() {
            Some("user") => {
                if let Some(prompt) = content.as_str() {
                    let mut payload = base("UserPromptSubmit");
                    payload["prompt"] = json!(prompt);
                    out.push((written, payload));
                }
                for block in content.as_array().into_iter().flatten() {
                    if block["type"] == "tool_result" {
                        let id = block["tool_use_id"].as_str().unwrap_or("");
                        let (name, input) = calls.get(id).cloned().unwrap_or_default();
                        let failed = block["is_error"] == true;
                        let mut payload = base(if failed {
                            "PostToolUseFailure"
                        } else {
                            "PostToolUse"
                        });
                        payload["tool_name"] = name;
                        payload["tool_input"] = input;
                        payload["tool_use_id"] = json!(id);
                        payload[if failed { "error" } else { "tool_response" }] =
                            block["content"].clone();
                        out.push((written, payload));
                    }
                }
            }
            Some("assistant") => {
                for block in content.as_array().into_iter().flatten() {
                    if block["type"] == "tool_use" {
                        calls.insert(
                            block["id"].as_str().unwrap_or("").to_string(),
                            (block["name"].clone(), block["input"].clone()),
                        );
                    }
                }
                // A turn ends with text and no tool call: Claude Code runs Stop.
                let ends_turn = content.as_array().is_some_and(|blocks| {
                    blocks.iter().any(|block| block["type"] == "text")
                        && !blocks.iter().any(|block| block["type"] == "tool_use")
                });
                if ends_turn {
                    let mut payload = base("Stop");
                    payload["stop_hook_active"] = json!(false);
                    out.push((written, payload));
                }
            }
            _ => {}
        }
    }
    let mut end = base("SessionEnd");
    end["reason"] = json!("other");
    out.push((records.len(), end));
    out
}

/// Transcripts to replay: some real ones with tool calls when HIVE_TEST_DATA is set, else the suite's own.
fn transcripts() -> Vec<(String, String)> {
    let Some(data) = crate::util::test_data() else {
        return vec![("own".into(), crate::formats::TRANSCRIPT.to_string())];
    };
    files_under(&data.join("claude-code/projects"), &["jsonl"])
        .into_iter()
        .filter(|path| !path.to_string_lossy().contains("subagents"))
        .map(|path| {
            (
                path.file_stem().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .filter(|(_, text)| text.contains("\"tool_use\"") && text.contains("\"tool_result\""))
        .take(5)
        .collect()
}

#[test]
fn replayed_hooks_capture_each_session_as_import_would() {
    let project = Project::new();
    let home = project.path().join("home");
    let projects = home.join(".claude/projects");
    let mut checked = 0;
    for (name, text) in transcripts() {
        let lines: Vec<&str> = text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .collect();
        let records: Vec<Value> = lines
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let session = format!("s-{name}");
        let transcript = projects.join("-work-app").join(format!("{session}.jsonl"));
        std::fs::create_dir_all(transcript.parent().unwrap()).unwrap();
        let mut stops = 0;
        for (written, payload) in payloads(&records, &session, &transcript, project.path()) {
            // The transcript holds what Claude Code has written by the time the hook runs.
            std::fs::write(
                &transcript,
                lines[..written]
                    .iter()
                    .map(|line| format!("{line}\n"))
                    .collect::<String>(),
            )
            .unwrap();
            stops += usize::from(payload["hook_event_name"] == "Stop");
            let ran = hook(&project, &home, &payload);
            assert_eq!(ran.code, 0, "{ran:?}");
            assert_eq!(ran.stdout, "", "a hook prints nothing");
        }
        assert!(stops > 0, "{name}: no turn ended");
        let log = project.hive_dir().join("logs/hooks.log");
        assert!(
            !log.exists(),
            "{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        let run = format!("_-work-app/{session}");
        let exported: Vec<Value> = project.hive(&["export", &run]).json_lines();
        let redactor = hive::redact::Redactor::built_in();
        let mut expected = records.clone();
        let mut tally = hive::redact::Tally::default();
        for record in &mut expected {
            redactor.redact_value(record, &mut tally);
        }
        assert_eq!(exported, expected, "{name}");
        // The staged hook events are gone once the transcript is in.
        let runs = project.hive(&["runs", "--json"]).json_lines();
        assert!(runs.iter().all(|line| line["staged"] == 0), "{runs:?}");
        checked += 1;
    }
    assert!(checked > 0);
    // Importing the projects folder afterwards adds nothing.
    let imported = project
        .hive(&["import", projects.to_str().unwrap(), "--json"])
        .json();
    assert_eq!(imported["totals"]["unchanged"], checked, "{imported:#}");
    assert_eq!(imported["totals"]["created"], 0);
    assert_eq!(project.hive(&["fsck"]).code, 0);
}

#[test]
fn a_hook_never_fails_the_agent() {
    let project = Project::new();
    let home = project.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // Not JSON: exit 0, and a line in the log outside any repository.
    let ran = run_with_input(
        hive_command(project.path())
            .env("HOME", &home)
            .args(["hook", "claude-code"]),
        "{oops",
    );
    assert_eq!(ran.code, 0, "{ran:?}");
    let log = std::fs::read_to_string(home.join(".hive-hooks.log")).unwrap();
    assert!(log.contains("not JSON"), "{log}");
    // A transcript that is not there: exit 0, logged in the repository.
    let stop = json!({"hook_event_name": "Stop", "session_id": "s1", "cwd": project.path(), "transcript_path": project.path().join("missing.jsonl")});
    assert_eq!(hook(&project, &home, &stop).code, 0);
    let log = std::fs::read_to_string(project.hive_dir().join("logs/hooks.log")).unwrap();
    assert!(log.contains("missing.jsonl"), "{log}");
    // A prompt is staged at once, with its secret masked.
    let prompt = json!({"hook_event_name": "UserPromptSubmit", "session_id": "s1", "cwd": project.path(), "prompt": "use ghp_Zk9yVGVzdGluZ09ubHlOb3RBUmVhbFRva2VuMTIz"});
    assert_eq!(hook(&project, &home, &prompt).code, 0);
    let runs = project.hive(&["runs", "--json"]).json_lines();
    assert_eq!(runs[0]["name"], "_live/claude-code/s1");
    assert_eq!(runs[0]["staged"], 1);
    // Capture turned off: nothing more is staged.
    project.write(".hivemind", "[capture]\nenabled = false\n");
    assert_eq!(hook(&project, &home, &prompt).code, 0);
    let runs = project.hive(&["runs", "--json"]).json_lines();
    assert_eq!(runs[0]["staged"], 1);
}

#[test]
fn review_cases_of_the_hook_and_connect() {
    let project = Project::new();
    let home = project.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // Arguments this hive does not know (an older binary): still exit 0, logged.
    let unknown = run_with_input(
        hive_command(project.path()).env("HOME", &home).args([
            "hook",
            "claude-code",
            "--no-such-flag",
        ]),
        "{}",
    );
    assert_eq!(unknown.code, 0, "{unknown:?}");
    assert!(
        std::fs::read_to_string(home.join(".hive-hooks.log"))
            .unwrap()
            .contains("no-such-flag")
    );
    // A repository path with a quote, connected for the user: the command works in a shell.
    let quoted = project.path().join("o'b");
    std::fs::create_dir_all(&quoted).unwrap();
    let init = hive_command(&quoted).args(["init"]).output().unwrap();
    assert!(init.status.success());
    let config = project.path().join("claude-config");
    let connect = hive_command(&quoted)
        .env("CLAUDE_CONFIG_DIR", &config)
        .args(["connect", "claude-code", "--scope", "user"])
        .output()
        .unwrap();
    assert!(connect.status.success());
    let settings: Value =
        serde_json::from_str(&std::fs::read_to_string(config.join("settings.json")).unwrap())
            .unwrap();
    let command = settings["hooks"]["UserPromptSubmit"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    let hive_dir = Path::new(crate::util::hive_bin())
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        hive_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let prompt = json!({"hook_event_name": "UserPromptSubmit", "session_id": "q1", "cwd": project.path(), "prompt": "hello"});
    let ran = run_with_input(
        std::process::Command::new("sh")
            .args(["-c", command])
            .current_dir(project.path())
            .env("PATH", &path)
            .env("HOME", &home),
        &prompt.to_string(),
    );
    assert_eq!(ran.code, 0, "{ran:?}");
    let runs = hive_command(&quoted)
        .args(["runs", "--json"])
        .output()
        .unwrap();
    let runs = String::from_utf8(runs.stdout).unwrap();
    assert!(runs.contains("_live/claude-code/q1"), "{runs}");
    // The project's .hivemind still decides, even with --repo: capture off, nothing more is staged.
    project.write(".hivemind", "[capture]\nenabled = false\n");
    let again = run_with_input(
        std::process::Command::new("sh")
            .args(["-c", command])
            .current_dir(project.path())
            .env("PATH", &path)
            .env("HOME", &home),
        &prompt.to_string(),
    );
    assert_eq!(again.code, 0);
    let runs = hive_command(&quoted)
        .args(["runs", "--json"])
        .output()
        .unwrap();
    let line: Value =
        serde_json::from_slice(runs.stdout.split(|&b| b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["staged"], 1);
    // A linked settings.json stays a link, and its file keeps its mode.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let real = project.path().join("dotfiles-settings.json");
        std::fs::write(&real, "{}\n").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o644)).unwrap();
        let link_dir = project.path().join(".claude");
        std::fs::create_dir_all(&link_dir).unwrap();
        std::os::unix::fs::symlink(&real, link_dir.join("settings.json")).unwrap();
        std::fs::remove_file(project.path().join(".hivemind")).unwrap();
        project.hive(&["connect", "claude-code"]).ok();
        assert!(link_dir.join("settings.json").is_symlink());
        assert!(
            std::fs::read_to_string(&real)
                .unwrap()
                .contains("hive hook claude-code")
        );
        assert_eq!(
            std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }
}
