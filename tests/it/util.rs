//! Helpers: a temporary project and a way to run `hive` in it with pinned time, author and settings.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The folder of real agent sessions (HIVE_TEST_DATA, set by .ci/run to ../shared/trajectories), if given.
pub fn test_data() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("HIVE_TEST_DATA")?);
    assert!(
        dir.is_dir(),
        "HIVE_TEST_DATA={} is not a directory",
        dir.display()
    );
    Some(dir)
}

/// Whether the slow tier runs (`HIVE_SLOW=1`, set by .ci/run): the long crash, kill and bit-rot loops at full
/// length.
pub fn slow() -> bool {
    std::env::var_os("HIVE_SLOW").is_some_and(|value| value != "0" && !value.is_empty())
}

/// A small deterministic generator (a linear congruential one), so that a failure can be replayed.
pub struct Lcg(pub u64);

impl Lcg {
    /// The next 31 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Asserts that each `(run, commit id in hex)` of `acknowledged` is in that run's history in `repo`; `what` names
/// them in the failure.
pub fn assert_in_history(repo: &hive::Repository, acknowledged: &[(String, String)], what: &str) {
    for (run, id) in acknowledged {
        let (head, _) = repo.require_head(run).unwrap();
        let found = repo
            .log_from(head, None)
            .unwrap()
            .into_iter()
            .any(|(commit, _)| commit.to_hex() == *id);
        assert!(found, "{what} {id} of {run} is in the run's history");
    }
}

/// Every file under `dir` whose extension is one of `extensions`, in sorted path order.
pub fn files_under(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for path in entries {
        if path.is_dir() {
            out.extend(files_under(&path, extensions));
        } else if path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| extensions.contains(&ext))
        {
            out.push(path);
        }
    }
    out
}

/// Every file under `dir`, whatever its name, depth first.
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Path of the hive binary under test.
pub fn hive_bin() -> &'static str {
    env!("CARGO_BIN_EXE_hive")
}

/// A command running hive with deterministic settings in `dir`.
pub fn hive_command(dir: &Path) -> Command {
    let mut command = Command::new(hive_bin());
    command
        .current_dir(dir)
        .env("HIVE_AUTHOR", "Test Author <test@example.com>")
        .env("HIVE_TIMESTAMP", "2026-01-02T03:04:05Z")
        .env("HIVE_NO_CODE_CONTEXT", "1")
        .env("NO_COLOR", "1")
        .env_remove("HIVE_DIR")
        .env_remove("HIVE_RUN")
        .env_remove("HIVE_LOCK_TIMEOUT_MS");
    command
}

/// What a hive invocation did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// What a finished process did.
    pub fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "hive failed: {self:?}");
        &self.stdout
    }

    /// Parses stdout as one JSON value.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok())
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.stdout))
    }

    /// Parses stdout as JSON Lines.
    #[track_caller]
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.ok()
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect()
    }
}

/// Runs a prepared command with `input` on its stdin.
pub fn run_with_input(command: &mut Command, input: &str) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hive runs");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(input.as_bytes())
        .expect("stdin accepts input");
    Run::from(child.wait_with_output().expect("hive finishes"))
}

/// A temporary project directory with a hive repository.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A new project, initialized.
    pub fn new() -> Project {
        let project = Project::empty();
        project.hive(&["init"]).ok();
        project
    }

    /// A new directory without a repository.
    pub fn empty() -> Project {
        Project {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn hive_dir(&self) -> PathBuf {
        self.path().join(".hive")
    }

    /// Runs hive with arguments.
    pub fn hive(&self, args: &[&str]) -> Run {
        Run::from(
            hive_command(self.path())
                .args(args)
                .output()
                .expect("hive runs"),
        )
    }

    /// Runs hive with arguments and `input` on stdin.
    pub fn hive_stdin(&self, args: &[&str], input: &str) -> Run {
        run_with_input(hive_command(self.path()).args(args), input)
    }

    /// Stages JSON Lines for `run` and commits, asserting both succeed.
    pub fn stage_and_commit(&self, run: &str, input: &str) {
        self.hive_stdin(&["append", "--run", run], input).ok();
        self.hive(&["commit", "--run", run]).ok();
    }

    /// Writes a file in the project.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path
    }
}

/// A small, varied session as JSON Lines.
pub fn session(text: &str) -> String {
    [
        format!(r#"{{"kind":"session_start","agent":"claude-code","model":"claude-test","session_id":"s-{text}"}}"#),
        format!(r#"{{"kind":"user_message","text":"please {text}"}}"#),
        r#"{"kind":"tool_call","call_id":"c1","tool":"Bash","input":{"command":"ls"}}"#.to_string(),
        r#"{"kind":"tool_result","call_id":"c1","output":"a\nb\n","duration_ms":3}"#.to_string(),
        r#"{"kind":"assistant_message","text":"done","usage":{"input_tokens":100,"output_tokens":20,"cost_usd":0.25}}"#.to_string(),
        r#"{"kind":"session_end","status":"success"}"#.to_string(),
    ]
    .join("\n")
        + "\n"
}
