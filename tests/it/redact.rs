//! Redaction before storage: secrets planted in sessions leave no byte in `.hive/`, on every capture path, and
//! the summaries count them without printing them.

use crate::util::{Project, files_under};
use serde_json::Value;
use std::path::Path;

/// One secret per built-in detector, each unlike anything in real sessions.
const SECRETS: [&str; 10] = [
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----",
    "sk-ant-api03-Qm9ndXNLZXlGb3JUZXN0aW5nT25seTEyMzQ1",
    "sk-proj-Zm9yVGVzdGluZ1JlZGFjdGlvbk9ubHk5ODc2NTQz",
    "ghp_Zk9yVGVzdGluZ09ubHlOb3RBUmVhbFRva2VuMTIz",
    "AKIAZ7TESTREDACTQ2X9",
    "xoxb-998877665544-TestingRedactionOnly",
    "hf_TestingRedactionOnlyNotARealTokenXyZ12",
    "Bearer eyJhbGciOiJIUzI1NiJ9.dGVzdGluZ3JlZGFjdGlvbg.c2lnbmF0dXJlMTIz",
    "postgres://admin:Pl4ntedPassw0rdXyZ@db.internal:5432/app",
    "DEPLOY_API_KEY=Pl4ntedApiKey9Q7w",
];

/// The part of each planted secret that must not be stored (the secret itself, not its context).
const SECRET_BYTES: [&str; 10] = [
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
    "Qm9ndXNLZXlGb3JUZXN0aW5nT25seTEyMzQ1",
    "Zm9yVGVzdGluZ1JlZGFjdGlvbk9ubHk5ODc2NTQz",
    "Zk9yVGVzdGluZ09ubHlOb3RBUmVhbFRva2VuMTIz",
    "AKIAZ7TESTREDACTQ2X9",
    "998877665544-TestingRedactionOnly",
    "TestingRedactionOnlyNotARealTokenXyZ12",
    "eyJhbGciOiJIUzI1NiJ9.dGVzdGluZ3JlZGFjdGlvbg",
    "Pl4ntedPassw0rdXyZ",
    "Pl4ntedApiKey9Q7w",
];

/// Appends a secret to every `every`-th string of prose (a string with a space: messages, outputs, commands;
/// not the type tags and ids the formats are recognised by) in `value`, cycling through the secrets; returns how
/// many were planted.
fn plant(value: &mut Value, every: usize, seen: &mut usize) -> usize {
    match value {
        Value::String(text) if text.contains(' ') => {
            *seen += 1;
            if every == 1 {
                // Dense planting: every secret in every string.
                for secret in SECRETS {
                    text.push_str(" then ");
                    text.push_str(secret);
                }
                return SECRETS.len();
            }
            if (*seen).is_multiple_of(every) {
                text.push_str(" then ");
                text.push_str(SECRETS[(*seen / every) % SECRETS.len()]);
                return 1;
            }
            0
        }
        Value::Array(items) => items.iter_mut().map(|item| plant(item, every, seen)).sum(),
        Value::Object(fields) => fields
            .values_mut()
            .map(|item| plant(item, every, seen))
            .sum(),
        _ => 0,
    }
}

/// Writes a copy of `source` with secrets planted, in the same layout (JSON Lines or one document).
fn planted_copy(source: &Path, target: &Path, every: usize) -> usize {
    let bytes = std::fs::read(source).unwrap();
    let layout = hive::formats::Layout::read(&bytes).unwrap();
    let (lines, mut values) = match layout {
        hive::formats::Layout::Lines(values) => (true, values),
        hive::formats::Layout::Document(value) => (false, vec![value]),
    };
    let mut seen = 0;
    let planted: usize = values
        .iter_mut()
        .map(|value| plant(value, every, &mut seen))
        .sum();
    let text = if lines {
        values
            .iter()
            .map(|value| serde_json::to_string(value).unwrap() + "\n")
            .collect::<String>()
    } else {
        serde_json::to_string_pretty(&values[0]).unwrap()
    };
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(target, text).unwrap();
    planted
}

/// Every file under `.hive/`, and every object decoded, hold none of the secrets.
#[track_caller]
fn assert_no_secret_stored(project: &Project) {
    let mut stored = Vec::new();
    for path in crate::util::all_files(&project.hive_dir()) {
        stored.extend(std::fs::read(&path).unwrap());
    }
    let decoded = project.hive(&["cat-file", "--all"]);
    let decoded = decoded.ok();
    assert!(
        decoded.contains("\"kind\""),
        "cat-file --all printed the objects"
    );
    let haystack = String::from_utf8_lossy(&stored);
    for secret in SECRET_BYTES {
        assert!(!decoded.contains(secret), "{secret} in a decoded object");
        assert!(!haystack.contains(secret), "{secret} in a file of .hive/");
    }
}

/// Session files of each format to plant secrets in: the real ones when HIVE_TEST_DATA is set, else the test
/// suite's own Claude Code transcript.
fn sources(project: &Project) -> Vec<(std::path::PathBuf, String)> {
    let Some(data) = crate::util::test_data() else {
        let own = project.write("own.jsonl", crate::formats::TRANSCRIPT);
        return vec![(own, "own.jsonl".into())];
    };
    let mut picked = Vec::new();
    for (folder, count) in [
        ("claude-code/projects", 6),
        ("codex", 2),
        ("swe-agent", 2),
        ("mini-swe-agent/trajs", 2),
        ("openhands", 2),
        ("tau-bench", 1),
    ] {
        let files: Vec<_> = files_under(&data.join(folder), &["jsonl", "json", "traj"])
            .into_iter()
            .filter(|path| {
                path.metadata().unwrap().len() > 0
                    && hive::formats::detect(&std::fs::read(path).unwrap()).is_ok()
            })
            .take(count)
            .collect();
        assert!(!files.is_empty(), "no {folder} file");
        for path in files {
            let name = path
                .strip_prefix(&data)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            picked.push((path, name));
        }
    }
    picked
}

#[test]
fn planted_secrets_leave_no_byte_in_the_repository() {
    let project = Project::new();
    let mut planted = 0;
    let sources = sources(&project);
    // Every prose string of the small fixture, every seventh of the real files.
    let every = if sources.len() == 1 { 1 } else { 7 };
    for (source, name) in sources {
        planted += planted_copy(&source, &project.path().join("planted").join(name), every);
    }
    assert!(planted >= SECRETS.len(), "{planted} planted");
    let report = project.hive(&["import", "planted", "--json"]).json();
    assert_eq!(report["totals"]["failed"], 0, "{report:#}");
    let counts = report["totals"]["redactions"].as_object().unwrap();
    for detector in [
        "private_key",
        "anthropic_key",
        "openai_key",
        "github_token",
        "aws_access_key",
        "slack_token",
        "huggingface_token",
        "authorization",
        "url_credentials",
        "secret_assignment",
    ] {
        assert!(
            counts.get(detector).and_then(Value::as_u64).unwrap_or(0) > 0,
            "{detector} never fired: {counts:?}"
        );
    }
    // The summary counts them and never prints them.
    let fresh = Project::new();
    let first = fresh.hive(&["import", project.path().join("planted").to_str().unwrap()]);
    let output = first.ok().to_string() + &first.stderr;
    assert!(output.contains("masked "), "{output}");
    for secret in SECRET_BYTES {
        assert!(!output.contains(secret));
    }
    // Importing again adds nothing, so masks nothing.
    let again = project.hive(&["import", "planted", "--json"]).json();
    assert_eq!(
        again["totals"]["redactions"],
        serde_json::json!({}),
        "{again:#}"
    );
    assert_eq!(again["totals"]["unchanged"], again["totals"]["sessions"]);
    assert_no_secret_stored(&project);
    assert_eq!(project.hive(&["fsck"]).code, 0);
}

#[test]
fn append_and_commit_mask_before_staging() {
    let project = Project::new();
    let line = |text: &str| {
        serde_json::to_string(
            &serde_json::json!({"kind": "tool_result", "call_id": "c", "output": text}),
        )
        .unwrap()
            + "\n"
    };
    let staged = project.hive_stdin(&["append", "--run", "r", "--json"], &line(SECRETS[3]));
    let summary = staged.json();
    assert_eq!(summary["redactions"]["github_token"], 1);
    // Staged, not yet committed: the journal holds the mask.
    let file = project.write("s.jsonl", &line(SECRETS[1]));
    let committed = project
        .hive(&["commit", "--run", "s", file.to_str().unwrap(), "--json"])
        .json();
    assert_eq!(committed["commits"][0]["redactions"]["anthropic_key"], 1);
    assert_no_secret_stored(&project);
    project.hive(&["commit", "--run", "r"]).ok();
    assert_no_secret_stored(&project);
    let shown = project.hive(&["show", "r@0", "--json"]).json();
    assert_eq!(shown["event"]["output"], "[REDACTED:github_token]");
}

#[test]
fn rules_from_hivemind_add_detectors_and_allow_exempts() {
    let project = Project::new();
    project.write(
        ".hivemind",
        r#"[redact]
rules = [{ name = "ticket", pattern = 'TICKET-(?P<secret>\d{5})' }]
allow = ['^sk-proj-Zm9yVGVzdGluZ1JlZGFjdGlvbk9ubHk5ODc2NTQz$']
"#,
    );
    let input = r#"{"kind":"user_message","text":"see TICKET-12345 with sk-proj-Zm9yVGVzdGluZ1JlZGFjdGlvbk9ubHk5ODc2NTQz"}"#;
    project.hive_stdin(&["append", "--run", "r"], input).ok();
    project.hive(&["commit", "--run", "r"]).ok();
    let shown = project.hive(&["show", "r@0", "--json"]).json();
    assert_eq!(
        shown["event"]["text"],
        "see TICKET-[REDACTED:ticket] with sk-proj-Zm9yVGVzdGluZ1JlZGFjdGlvbk9ubHk5ODc2NTQz"
    );
    // A rule that does not compile stops every command with the file and the rule named.
    project.write(
        ".hivemind",
        "[redact]\nrules = [{ name = \"bad\", pattern = \"(\" }]\n",
    );
    let refused = project.hive(&["runs"]);
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(refused.stderr.contains(".hivemind"), "{}", refused.stderr);
    assert!(refused.stderr.contains("'bad'"), "{}", refused.stderr);
    // Turned off, nothing is masked.
    project.write(".hivemind", "[redact]\nenabled = false\n");
    project
        .hive_stdin(
            &["append", "--run", "plain"],
            r#"{"kind":"user_message","text":"AKIAZ7TESTREDACTQ2X9"}"#,
        )
        .ok();
    project.hive(&["commit", "--run", "plain"]).ok();
    let shown = project.hive(&["show", "plain@0", "--json"]).json();
    assert_eq!(shown["event"]["text"], "AKIAZ7TESTREDACTQ2X9");
}
