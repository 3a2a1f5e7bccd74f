//! `hive hook`: what an agent's hooks run. It never fails the agent: every problem goes to a log, and the exit
//! code is 0.

use super::Context;
use super::error::CliError;
use hive::Repository;
use hive::formats::Format;
use hive::hooks::{self, HookInput};
use hive::repo::{ImportOptions, ImportOutcome, ImportSession};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Capture one hook event of an agent's session (run by the hooks `hive connect` installs).
///
/// Reads the hook's JSON on standard input. Prompts, tool calls and failures are staged at once in the run
/// `_live/<run>`; at Stop and SessionEnd the session's transcript (`transcript_path`) is imported into `<run>`,
/// only what is new, with model, usage, reasoning and text, and the staged events are dropped; at SubagentStop the
/// sub-agent's transcript is imported the same way. `<run>` is the name `hive import ~/.claude/projects` gives the
/// transcript, so importing that folder later adds nothing. Secrets are masked as on every capture path.
///
/// It always exits 0 and prints nothing: a problem is written to `.hive/logs/hooks.log` (or `~/.hive-hooks.log`
/// when no repository is found), so that a hook never interrupts the agent. `[capture] enabled = false` in
/// `.hivemind` turns it off.
///
/// Example: echo '{"hook_event_name":"Stop","session_id":"s","transcript_path":"…"}' | hive hook claude-code
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent: claude-code.
    #[arg(value_parser = ["claude-code"])]
    agent: String,
    /// The repository (`.hive`) to capture into; default: the one found from the session's `cwd`.
    #[arg(long)]
    repo: Option<PathBuf>,
}

/// Input larger than this is not a hook's (Claude Code's payloads are small; a tool's output is cut short).
const MAX_INPUT: u64 = 64 << 20;

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let mut input = Vec::new();
    let read = std::io::stdin()
        .lock()
        .take(MAX_INPUT)
        .read_to_end(&mut input);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let payload: Value = match read {
            Ok(_) => serde_json::from_slice(&input)
                .map_err(|error| (None, format!("the hook input is not JSON: {error}")))?,
            Err(error) => return Err((None, format!("cannot read the hook input: {error}"))),
        };
        handle(&args, context, &payload)
    }));
    let failure = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(failure)) => Some(failure),
        Err(_) => Some((None, "the hook panicked".to_string())),
    };
    if let Some((repo_dir, message)) = failure {
        log(repo_dir.as_deref(), &input, &message);
    }
    Ok(0)
}

type Failure = (Option<PathBuf>, String);

fn handle(args: &Args, context: &Context, payload: &Value) -> Result<(), Failure> {
    let hook = HookInput::parse(payload).map_err(|error| (None, error.to_string()))?;
    let session_dir = hook
        .cwd
        .as_deref()
        .map(|cwd| context.cwd.join(cwd))
        .unwrap_or_else(|| context.cwd.clone());
    let repo = match &args.repo {
        // The repository is named, but the project's `.hivemind` still says whether and how to capture.
        Some(dir) => Repository::open(&context.cwd.join(dir))
            .and_then(|repo| repo.with_project_from(&session_dir)),
        None => Repository::discover(&session_dir),
    }
    .map_err(|error| (None, format!("no repository to capture into: {error}")))?;
    let at = |error: String| (Some(repo.dir().to_path_buf()), error);
    if !repo.capture_enabled() {
        return Ok(());
    }
    let transcript = hook.transcript_path.as_deref().map(PathBuf::from);
    let run = super::import::transcript_run(transcript.as_deref(), &hook.session_id);
    let live = format!("_live/{run}");
    match hook.event.as_str() {
        "Stop" | "SessionEnd" => {
            let Some(transcript) = transcript.filter(|path| path.is_file()) else {
                return Err(at(format!(
                    "{}: the transcript {} is not there",
                    hook.event,
                    hook.transcript_path.as_deref().unwrap_or("(none given)")
                )));
            };
            import(&repo, &transcript, &run).map_err(at)?;
            repo.journal()
                .consume(&live, u64::MAX)
                .map_err(|error| at(error.to_string()))?;
        }
        "SubagentStop" => {
            let agent = payload
                .get("agent_transcript_path")
                .and_then(Value::as_str)
                .map(PathBuf::from)
                .filter(|path| path.is_file());
            if let Some(agent) = agent {
                let agent_run = super::import::transcript_run(Some(&agent), &hook.session_id);
                import(&repo, &agent, &agent_run).map_err(at)?;
            }
            repo.append_events(&live, hooks::payload_events(payload))
                .map_err(|error| at(error.to_string()))?;
        }
        _ => {
            repo.append_events(&live, hooks::payload_events(payload))
                .map_err(|error| at(error.to_string()))?;
        }
    }
    Ok(())
}

/// Imports a transcript into `run`: only what is new.
fn import(repo: &Repository, path: &Path, run: &str) -> Result<(), String> {
    let session = ImportSession {
        path: path.to_path_buf(),
        run: run.to_string(),
        format: Some(Format::ClaudeCode),
    };
    let report = repo
        .import(&[session], &ImportOptions::default(), &|_| {})
        .map_err(|error| error.to_string())?;
    for session in report.sessions {
        match session.result {
            Ok(
                ImportOutcome::Created { .. }
                | ImportOutcome::Appended { .. }
                | ImportOutcome::Unchanged { .. },
            ) => {}
            Err(error) => return Err(format!("{}: {error}", session.path.display())),
        }
    }
    Ok(())
}

/// Appends one line to the hook log: the repository's `.hive/logs/hooks.log`, or `~/.hive-hooks.log`.
pub(super) fn log(repo_dir: Option<&Path>, input: &[u8], message: &str) {
    let path = match repo_dir {
        Some(dir) => dir.join("logs").join("hooks.log"),
        None => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".hive-hooks.log"),
            None => return,
        },
    };
    let payload: Value = serde_json::from_slice(input).unwrap_or(Value::Null);
    let line = json!({
        "time": hive::time::Timestamp::now().map(|now| now.to_rfc3339()).unwrap_or_default(),
        "hook": payload.get("hook_event_name"),
        "session_id": payload.get("session_id"),
        "error": message,
    });
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        let _ = writeln!(file, "{line}");
    }
}
