//! The README's first command: the worked example's tour runs and shows what it promises.

use std::path::Path;
use std::process::Command;

#[test]
fn tour_runs() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".hivemind-example/tour.sh");
    let scratch = tempfile::tempdir().unwrap();
    let output = Command::new("bash")
        .arg(&script)
        .env("HIVE", crate::util::hive_bin())
        .env("TMPDIR", scratch.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "tour failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "Initialized empty hive repository",
        "staged 15 events for 'fix-login' (seq 0..14)",
        "[fix-login-retry ",
        "follow-up: empty password test",
        "fix-login        success     claude-code",
        "fix-login-retry  failure     codex",
        "tokens 11140 in / 306 out",
        "\"$refs\"",
        "#3 09:10:06 tool_call Read [toolu_01]",
        "more lines (--full shows them)",
        "#6 09:10:15 assistant_message (claude-sonnet-4-5)",
        "forked fix-login@6 as fix-login-alt (6 shared events",
        "  shell                          0                2",
        "fix-login: tag: +reviewed",
        "fix-login: rate: 4",
        "created workspace alice inheriting login-service",
        "└── alice  (2 entries,",
        "took test.command (changed)",
        "fix-login-alt: status: abandoned",
        "fix-login@7  tool_call Edit  2026-03-02T09:10:16Z",
        "fix-login  2 hits, best fix-login@11",
        "the index holds 34 events",
        "would take scratch (added)",
        "removed fix-login-alt (6 events",
        "test.command = \"cargo nextest run -p auth\"  [build]",
        "ok",
        "[REDACTED:openai_key]",
        "masked 1 secret (openai_key: 1)",
        "Rate-limit the login endpoint",
        "added `hive hook claude-code` to SessionStart",
        "_live/_-home-ada-live/live-1",
        "removed hive's hooks",
    ] {
        assert!(
            stdout.contains(expected),
            "tour output lacks {expected:?}:\n{stdout}"
        );
    }
}
