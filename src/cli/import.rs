//! `hive import`.

use super::Context;
use super::error::{CliError, code};
use super::output::{Output, human_bytes, note, short};
use hive::formats::Format;
use hive::repo::{ImportOptions, ImportOutcome, ImportProgress, ImportSession};
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Import agent sessions in bulk: one run per session.
///
/// Formats: hive event JSON Lines, Claude Code transcripts (`~/.claude/projects`), Codex rollouts
/// (`~/.codex/sessions`), SWE-agent `.traj` files, mini-swe-agent `.traj.json` files (with a `results_summary.json`
/// beside them), OpenHands event lists and evaluation outputs, tau-bench results and OpenAI chat JSONL, recognised
/// per file unless --format says. Each record becomes typed events that keep the record itself, so `hive export RUN`
/// gives the session back.
///
/// PATH is a file or a folder; folders are searched recursively for `*.jsonl`, `*.json` and `*.traj` files, and
/// files in no session format there are passed over with the reason. Each session becomes one run, named after its
/// file: its path inside the folder without the ending (`sessions/2026/a.jsonl` under `sessions` becomes run
/// `2026/a`); a file of many sessions (tau-bench) gives runs `<file>/<session>`. Characters a run name cannot hold
/// become `-`. docs/CAPTURE.md has the details.
///
/// Importing is idempotent and incremental: a session already imported adds nothing; a session that grew since
/// adds one commit with its new events; a session whose first events differ from its run's is refused. A file
/// that cannot be read or parsed is reported by name and the others still import (exit code 3). Sessions are
/// parsed and encoded on every core, written in large packs, and all runs are published with one flush.
///
/// Example: hive import ~/.claude/projects
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or folders of sessions.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The sessions' format: auto (recognised per file), hive, claude-code, codex, swe-agent, mini-swe-agent,
    /// openhands, tau-bench or openai-chat.
    #[arg(long, default_value = "auto", value_parser = parse_format)]
    format: FormatChoice,
    /// Run name for the session (only when importing a single file; for a file of many sessions, the name their
    /// runs go under).
    #[arg(long)]
    run: Option<String>,
    /// Commit message (default: the events each commit adds).
    #[arg(short, long)]
    message: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// No progress display, and no line per session: only the summary (and errors).
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Clone, Copy, Debug)]
struct FormatChoice(Option<Format>);

fn parse_format(text: &str) -> Result<FormatChoice, String> {
    if text == "auto" {
        return Ok(FormatChoice(None));
    }
    Format::from_name(text)
        .map(|format| FormatChoice(Some(format)))
        .ok_or_else(|| {
            format!(
                "unknown format '{text}' (auto, {})",
                Format::ALL.map(Format::name).join(", ")
            )
        })
}

/// The endings of session files, taken off to name their runs (longest first).
const SUFFIXES: [&str; 4] = [".traj.json", ".jsonl", ".json", ".traj"];

/// A run name from a file's path relative to what was named on the command line.
pub(super) fn run_name(relative: &Path) -> String {
    let text = relative.to_string_lossy().replace('\\', "/");
    let text = SUFFIXES
        .iter()
        .find_map(|suffix| text.strip_suffix(suffix))
        .unwrap_or(&text);
    let parts: Vec<String> = text
        .split('/')
        .filter(|part| !part.is_empty())
        // `+` names the forks a transcript holds (`<run>+<uuid8>`), never a file.
        .map(|part| hive::refs::clean_component(&part.replace('+', "-")))
        .collect();
    parts.join("/")
}

/// What a folder search set aside.
#[derive(Default)]
struct Skipped {
    /// Empty files.
    empty: usize,
    /// Files in none of the session formats (agents' metadata, summaries, manifests), with the reason.
    other: Vec<(PathBuf, String)>,
}

/// The run of a Claude Code transcript found by path (what `hive hook` captures): the name `hive import
/// ~/.claude/projects` gives it by [`collect`]'s rules (its path under `projects/`, a folder beside a session of its
/// name called `<name>.d`), or `claude-code/<session id>` for a transcript elsewhere.
pub(super) fn transcript_run(transcript: Option<&Path>, session_id: &str) -> String {
    let fallback = || format!("claude-code/{}", hive::refs::clean_component(session_id));
    let Some(path) = transcript else {
        return fallback();
    };
    let components: Vec<_> = path.components().collect();
    let Some(at) = components
        .iter()
        .rposition(|part| part.as_os_str() == "projects")
    else {
        return fallback();
    };
    let root: PathBuf = components[..=at].iter().collect();
    let mut relative = PathBuf::new();
    let mut dir = root.clone();
    let rest = &components[at + 1..];
    for (index, part) in rest.iter().enumerate() {
        let name = part.as_os_str().to_string_lossy().into_owned();
        let last = index + 1 == rest.len();
        if !last && beside_session(&dir, &name) {
            relative.push(format!("{name}.d"));
        } else {
            relative.push(&name);
        }
        dir.push(&name);
    }
    let run = run_name(&relative);
    if run.is_empty() { fallback() } else { run }
}

/// Whether `dir` holds a session file named `name` (with any of the session endings).
fn beside_session(dir: &Path, name: &str) -> bool {
    SUFFIXES
        .iter()
        .any(|suffix| dir.join(format!("{name}{suffix}")).is_file())
}

/// Whether a file is empty or holds only whitespace.
fn is_blank(path: &Path) -> bool {
    match path.metadata() {
        Ok(meta) if meta.len() == 0 => true,
        Ok(meta) if meta.len() <= 4096 => {
            std::fs::read(path).is_ok_and(|bytes| bytes.iter().all(u8::is_ascii_whitespace))
        }
        _ => false,
    }
}

/// The format of a session file, read from as little of it as tells.
fn detect(path: &Path) -> Result<Format, String> {
    use std::io::Read;
    let mut head = Vec::with_capacity(64 << 10);
    let mut file = std::fs::File::open(path).map_err(|error| error.to_string())?;
    (&mut file)
        .take(64 << 10)
        .read_to_end(&mut head)
        .map_err(|error| error.to_string())?;
    let started = hive::formats::detect_start(&head);
    let detected = match started {
        Some(result) => result,
        None => {
            file.read_to_end(&mut head)
                .map_err(|error| error.to_string())?;
            hive::formats::detect(&head)
        }
    };
    detected.map_err(|error| error.to_string())
}

/// Finds the sessions under `dir`, whose runs are named under `prefix`: files ending in `.jsonl`, `.json` or
/// `.traj` whose format is recognised. Empty files are skipped (agents leave empty transcripts behind), and so
/// are files in no session format; both are counted. Each run is named after its file without the ending; files
/// of one folder that would share a name keep their endings. A folder beside a session file of the same name
/// (Claude Code keeps a session's sub-agents in `<session>/subagents/`) is named `<name>.d`, since a run cannot be
/// both a run and a folder of runs.
fn collect(
    dir: &Path,
    prefix: &Path,
    format: Option<Format>,
    out: &mut Vec<ImportSession>,
    skipped: &mut Skipped,
) -> Result<(), CliError> {
    let entries = std::fs::read_dir(dir).map_err(|error| {
        CliError::new(
            code::NOT_FOUND,
            format!("cannot list {}: {error}", dir.display()),
            "give readable files or folders of sessions",
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    paths.sort();
    // Session files and folders in name order, each with its name (and a file with its format).
    let mut found_entries: Vec<(PathBuf, String, Option<Format>)> = Vec::new();
    for path in paths {
        let Some(name) = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
        else {
            continue;
        };
        if path.is_dir() {
            // A linked folder may lead back up the tree: only real folders are searched.
            if !path.is_symlink() {
                found_entries.push((path, name, None));
            }
            continue;
        }
        if !SUFFIXES.iter().any(|suffix| name.ends_with(suffix)) {
            continue;
        }
        if is_blank(&path) {
            skipped.empty += 1;
            continue;
        }
        let found = match format {
            Some(format) => format,
            None => match detect(&path) {
                Ok(found) => found,
                Err(reason) => {
                    skipped.other.push((path, reason));
                    continue;
                }
            },
        };
        found_entries.push((path, name, Some(found)));
    }
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (_, name, found) in &found_entries {
        if found.is_some() {
            *counts.entry(run_name(Path::new(name))).or_default() += 1;
        }
    }
    for (path, name, found) in found_entries {
        let Some(found) = found else {
            // Beside a session of the same name: the folder's runs go under `<name>.d`.
            let beside = counts.contains_key(&run_name(Path::new(&name)));
            let named = if beside { format!("{name}.d") } else { name };
            collect(&path, &prefix.join(named), format, out, skipped)?;
            continue;
        };
        let short = run_name(Path::new(&name));
        let part = if counts[&short] > 1 {
            hive::refs::clean_component(&name)
        } else {
            short
        };
        let folder = run_name(prefix);
        out.push(ImportSession {
            run: if folder.is_empty() {
                part
            } else {
                format!("{folder}/{part}")
            },
            path,
            format: Some(found),
        });
    }
    Ok(())
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let mut sessions = Vec::new();
    let mut skipped = Skipped::default();
    for path in &args.paths {
        let full = context.cwd.join(path);
        if full.is_dir() {
            collect(
                &full,
                Path::new(""),
                args.format.0,
                &mut sessions,
                &mut skipped,
            )?;
        } else if full.is_file() {
            let name = full.file_name().map(PathBuf::from).unwrap_or_default();
            sessions.push(ImportSession {
                run: run_name(&name),
                path: full,
                format: args.format.0,
            });
        } else {
            return Err(CliError::new(
                code::NOT_FOUND,
                format!("{} does not exist", full.display()),
                "give files or folders of sessions (hive event JSON Lines)",
            ));
        }
    }
    if let Some(run) = args.run {
        if sessions.len() != 1 {
            return Err(CliError::new(
                code::USAGE,
                format!(
                    "--run names one run, but there are {} sessions",
                    sessions.len()
                ),
                "drop --run to name each run after its file",
            ));
        }
        sessions[0].run = run;
    }
    let options = ImportOptions {
        message: args.message.unwrap_or_default(),
        ..ImportOptions::default()
    };
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let last_shown = Mutex::new(None::<Instant>);
    let started = Instant::now();
    let progress = |now: ImportProgress| {
        if !show_progress {
            return;
        }
        let mut last = last_shown.lock().expect("progress lock");
        let finished = now.sessions_done == now.sessions_total;
        if !finished && last.is_some_and(|at| at.elapsed() < Duration::from_millis(100)) {
            return;
        }
        *last = Some(Instant::now());
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "\rimporting: {}/{} sessions, {} of {}",
            now.sessions_done,
            now.sessions_total,
            human_bytes(now.bytes_done),
            human_bytes(now.bytes_total)
        );
        if finished {
            let _ = writeln!(stderr);
        }
    };
    let report = repo.import(&sessions, &options, &progress)?;
    #[cfg(feature = "search")]
    let touched: Vec<String> = report
        .sessions
        .iter()
        .map(|session| session.run.clone())
        .collect();
    let seconds = started.elapsed().as_secs_f64();

    let (mut created, mut appended, mut unchanged, mut failed) = (0, 0, 0, 0);
    let mut lines = Vec::new();
    let count = report.sessions.len();
    for session in report.sessions {
        let mut line = json!({
            "path": session.path.display().to_string(),
            "run": session.run,
            "bytes": session.bytes,
        });
        match session.result {
            Ok(ImportOutcome::Created { commit, events }) => {
                created += 1;
                line["status"] = json!("created");
                line["commit"] = json!(commit.to_hex());
                line["events"] = json!(events);
            }
            Ok(ImportOutcome::Appended {
                commit,
                first_seq,
                added,
            }) => {
                appended += 1;
                line["status"] = json!("appended");
                line["commit"] = json!(commit.to_hex());
                line["first_seq"] = json!(first_seq);
                line["added"] = json!(added);
            }
            Ok(ImportOutcome::Unchanged { commit, events }) => {
                unchanged += 1;
                line["status"] = json!("unchanged");
                line["commit"] = json!(commit.to_hex());
                line["events"] = json!(events);
            }
            Err(error) => {
                failed += 1;
                let error = CliError::from(error);
                line["status"] = json!("failed");
                line["error"] = json!(error.message);
                line["hint"] = json!(error.hint);
                if !args.json {
                    note(format!(
                        "error: {}: {}",
                        session.path.display(),
                        error.message
                    ));
                    if let Some(hint) = &error.hint {
                        note(format!("hint: {hint}"));
                    }
                }
            }
        }
        lines.push(line);
    }
    let mut out = Output::new();
    if args.json {
        out.json(&json!({
            "sessions": lines,
            "totals": {
                "sessions": count,
                "created": created,
                "appended": appended,
                "unchanged": unchanged,
                "failed": failed,
                "empty_skipped": skipped.empty,
                "not_sessions": skipped
                    .other
                    .iter()
                    .map(|(path, reason)| json!({"path": path.display().to_string(), "reason": reason}))
                    .collect::<Vec<_>>(),
                "events": report.events,
                "bytes_in": report.bytes_in,
                "bytes_stored": report.bytes_stored,
                "redactions": report.redactions,
                "seconds": seconds,
            },
        }))?;
    } else {
        for line in lines.iter().filter(|_| !args.quiet) {
            if let Some(commit) = line["commit"].as_str()
                && line["status"] != "unchanged"
            {
                let id = hive::ObjectId::from_hex(commit).expect("an id just printed");
                out.line(format!(
                    "[{} {}] {}",
                    line["run"].as_str().unwrap_or(""),
                    short(&id),
                    line["status"].as_str().unwrap_or("")
                ))?;
            }
        }
        out.line(format!(
            "imported {} session{}: {created} created, {appended} appended, {unchanged} unchanged, {failed} failed; {} events, {} read, {} stored, {seconds:.2} s",
            count,
            if count == 1 { "" } else { "s" },
            report.events,
            human_bytes(report.bytes_in),
            human_bytes(report.bytes_stored),
        ))?;
        if let Some(masked) = super::output::redaction_summary(&report.redactions) {
            out.line(masked)?;
        }
        if skipped.empty > 0 {
            out.line(format!(
                "skipped {} empty file{}",
                skipped.empty,
                if skipped.empty == 1 { "" } else { "s" }
            ))?;
        }
        for (path, reason) in skipped.other.iter().take(3) {
            note(format!("skipped {}: {reason}", path.display()));
        }
        if !skipped.other.is_empty() {
            let shown: Vec<String> = skipped
                .other
                .iter()
                .take(3)
                .map(|(path, _)| path.display().to_string())
                .collect();
            let more = skipped.other.len().saturating_sub(shown.len());
            out.line(format!(
                "skipped {} file{} in no session format: {}{}",
                skipped.other.len(),
                if skipped.other.len() == 1 { "" } else { "s" },
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ))?;
        }
    }
    // A search index, when there is one, follows at once (best effort: a search catches it up anyway).
    #[cfg(feature = "search")]
    hive::search::update_if_present(&repo, &touched);
    out.finish()?;
    Ok(if failed > 0 { code::BAD_INPUT } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::run_name;
    use std::path::Path;

    #[test]
    fn run_names_from_paths() {
        assert_eq!(run_name(Path::new("a.jsonl")), "a");
        assert_eq!(run_name(Path::new("2026/x y.jsonl")), "2026/x-y");
        assert_eq!(run_name(Path::new(".hidden.jsonl")), "_.hidden");
        assert_eq!(run_name(Path::new("z.lock.jsonl")), "z.lock_");
        assert_eq!(run_name(Path::new("s+abcd1234.jsonl")), "s-abcd1234");
        assert_eq!(run_name(Path::new("+x.jsonl")), "_-x");
        hive::refs::check_name(&run_name(Path::new("é/-x.jsonl"))).unwrap();
    }
}
