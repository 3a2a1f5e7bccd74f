//! `hive replay`.

use super::Context;
use super::error::CliError;
use super::output::{Output, note};
use hive::event::{Event, EventBody};
use hive::repo::{Replay, ReplayedEvent};
use hive::{RepoError, Repository};
use serde_json::{Map, Value, json};
use std::io::BufRead;

/// Play a run back event by event, in the order it happened.
///
/// Each event is printed whole: who spoke, what the model answered and thought, each tool call with its input and
/// each result with its output (long ones cut to 40 lines unless --full), file operations, errors, state changes.
/// --from and --to choose a range of seqs (both included). With --step, one event is shown at a time: Enter shows
/// the next, `b` the one before, `/TEXT` the next event that mentions TEXT (`n` the one after that), `q` quits;
/// commands are read a line at a time from standard input.
///
/// Example: hive replay fix-login --from 12 --step
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run (RUN, RUN@SEQ to start there, or RUN~N / a commit id for the run as it was then).
    run: String,
    /// First seq to show.
    #[arg(long, value_name = "SEQ")]
    from: Option<u64>,
    /// Last seq to show (included; past the end, the last event).
    #[arg(long, value_name = "SEQ")]
    to: Option<u64>,
    /// Show one event at a time and wait for a command.
    #[arg(long)]
    step: bool,
    /// Print every line of long text and output.
    #[arg(long)]
    full: bool,
    /// Print one JSON object per event (JSON Lines; docs/JSON.md).
    #[arg(long)]
    json: bool,
}

/// Lines of one field's text shown before it is cut.
const SHOWN_LINES: usize = 40;

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let (run, at) = match args.run.rsplit_once('@') {
        Some((run, seq)) if !run.is_empty() => {
            let seq = seq.parse::<u64>().map_err(|_| {
                CliError::new(
                    super::error::code::USAGE,
                    format!("'{seq}' in '{}' is not a seq", args.run),
                    "write RUN@SEQ with SEQ a number, such as fix-login@12",
                )
            })?;
            (run.to_string(), Some(seq))
        }
        _ => (args.run.clone(), None),
    };
    if at.is_some() && args.from.is_some() {
        return Err(CliError::new(
            super::error::code::USAGE,
            format!("'{}' and --from both say where to start", args.run),
            "give one of them",
        ));
    }
    let replay = repo.replay(&run, args.from.or(at), args.to)?;
    let printer = Printer {
        repo: &repo,
        run: &run,
        json: args.json,
        full: args.full,
    };
    let mut out = Output::new();
    if args.step {
        step(&printer, &replay, &mut out)?;
    } else {
        for replayed in replay {
            printer.print(&replayed?, &mut out)?;
        }
    }
    out.finish()?;
    Ok(0)
}

/// How events are printed.
struct Printer<'a> {
    repo: &'a Repository,
    run: &'a str,
    json: bool,
    full: bool,
}

impl Printer<'_> {
    fn print(&self, replayed: &ReplayedEvent, out: &mut Output) -> Result<(), CliError> {
        let event = replayed.resolve(self.repo.odb())?;
        if self.json {
            return out.json(&json!({
                "type": "event",
                "run": self.run,
                "seq": replayed.seq,
                "id": replayed.id.to_hex(),
                "event": event,
            }));
        }
        for line in render(replayed.seq, event, self.full) {
            out.line(line)?;
        }
        Ok(())
    }
}

/// Shows events one at a time, moving as the commands on standard input say.
fn step(printer: &Printer, replay: &Replay, out: &mut Output) -> Result<(), CliError> {
    let range = replay.range();
    if range.is_empty() {
        return Ok(());
    }
    let mut at = *range.start();
    let mut shown = None;
    let mut search: Option<String> = None;
    let mut input = std::io::stdin().lock();
    loop {
        if shown != Some(at) {
            printer.print(&replay.get(at)?, out)?;
            out.flush()?;
            shown = Some(at);
        }
        eprint!(
            "[{at} of {}..{}] Enter next, b back, /TEXT search, n next match, q quit: ",
            range.start(),
            range.end()
        );
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            eprintln!();
            return Ok(());
        }
        let command = line.trim_end_matches(['\n', '\r']);
        match command.trim() {
            "" => {
                if at == *range.end() {
                    note(format!("seq {at} is the last of the range"));
                } else {
                    at += 1;
                }
            }
            "b" => {
                if at == *range.start() {
                    note(format!("seq {at} is the first of the range"));
                } else {
                    at -= 1;
                }
            }
            "q" => return Ok(()),
            "n" => match &search {
                Some(text) => at = find(printer.repo, replay, at, text)?.unwrap_or(at),
                None => note("no search yet: /TEXT searches"),
            },
            typed if typed.starts_with('/') => {
                let text = typed[1..].to_lowercase();
                if text.is_empty() {
                    note("write the text to find after /");
                    continue;
                }
                at = find(printer.repo, replay, at, &text)?.unwrap_or(at);
                search = Some(text);
            }
            other => note(format!(
                "'{other}' is not a command: Enter, b, /TEXT, n or q"
            )),
        }
    }
}

/// The first seq after `from` in the replay's range whose event mentions `text` (lowercase), or a note that none
/// does.
fn find(
    repo: &Repository,
    replay: &Replay,
    from: u64,
    text: &str,
) -> Result<Option<u64>, RepoError> {
    for seq in from + 1..=*replay.range().end() {
        let event = replay.get(seq)?.resolve(repo.odb())?;
        if Value::Object(event)
            .to_string()
            .to_lowercase()
            .contains(text)
        {
            return Ok(Some(seq));
        }
    }
    note(format!("'{text}' is not in any event after seq {from}"));
    Ok(None)
}

/// An event as lines: a heading (seq, kind, tool, time) and its content, indented.
fn render(seq: u64, event: Map<String, Value>, full: bool) -> Vec<String> {
    let kind = event
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    let parsed = match Event::from_map(event.clone()) {
        Ok(parsed) => parsed,
        Err(_) => {
            let mut lines = vec![format!("#{seq} {kind}")];
            push_text(&mut lines, &pretty(&Value::Object(event)), full);
            return lines;
        }
    };
    let time = parsed.ts.get(11..19).unwrap_or(&parsed.ts).to_string();
    let mut lines = Vec::new();
    let heading = |label: String| format!("#{seq} {time} {label}");
    match parsed.body {
        EventBody::SessionStart {
            agent,
            model,
            cwd,
            session_id,
            ..
        } => {
            lines.push(heading(kind));
            let facts: Vec<String> = [
                agent.map(|agent| format!("agent {agent}")),
                model.map(|model| format!("model {model}")),
                cwd.map(|cwd| format!("in {cwd}")),
                session_id.map(|id| format!("session {id}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            push_text(&mut lines, &facts.join(", "), full);
        }
        EventBody::UserMessage { text } | EventBody::Reasoning { text } => {
            lines.push(heading(kind));
            push_text(&mut lines, &text_of(&text), full);
        }
        EventBody::AssistantMessage { text, model, usage } => {
            let mut label = kind;
            if let Some(model) = model {
                label = format!("{label} ({model})");
            }
            if let Some(usage) = usage {
                label = format!(
                    "{label} {} in / {} out tokens",
                    usage.tokens.input, usage.tokens.output
                );
            }
            lines.push(heading(label));
            push_text(&mut lines, &text_of(&text), full);
        }
        EventBody::ToolCall {
            call_id,
            tool,
            input,
        } => {
            lines.push(heading(format!("{kind} {tool} [{call_id}]")));
            push_text(&mut lines, &text_of(&input), full);
        }
        EventBody::ToolResult {
            call_id,
            output,
            is_error,
            duration_ms,
        } => {
            let mut label = format!("{kind} [{call_id}]");
            if is_error {
                label.push_str(" error");
            }
            if let Some(duration) = duration_ms {
                label = format!("{label} {duration} ms");
            }
            lines.push(heading(label));
            push_text(&mut lines, &text_of(&output), full);
        }
        EventBody::FileOp {
            op,
            path,
            before,
            after,
        } => {
            lines.push(heading(format!("{kind} {} {path}", op.name())));
            for (label, value) in [("before", before), ("after", after)] {
                if let Some(value) = value {
                    lines.push(format!("    {label}:"));
                    push_text(&mut lines, &text_of(&value), full);
                }
            }
        }
        EventBody::Error { message, retry_of } => {
            let label = match retry_of {
                Some(retried) => format!("{kind} (retries #{retried})"),
                None => kind,
            };
            lines.push(heading(label));
            push_text(&mut lines, &message, full);
        }
        EventBody::StateUpdate { key, value } => {
            lines.push(heading(format!("{kind} {key}")));
            push_text(&mut lines, &text_of(&value), full);
        }
        EventBody::Checkpoint { status, position } => {
            lines.push(heading(format!("{kind} {}", status.unwrap_or_default())));
            if let Some(position) = position {
                push_text(&mut lines, &text_of(&position), full);
            }
        }
        EventBody::SessionEnd { status, result } => {
            lines.push(heading(format!("{kind} {}", status.unwrap_or_default())));
            if let Some(result) = result {
                push_text(&mut lines, &text_of(&result), full);
            }
        }
        EventBody::Custom { name, data } => {
            lines.push(heading(format!("{kind} {name}")));
            if let Some(data) = data {
                push_text(&mut lines, &text_of(&data), full);
            }
        }
    }
    lines
}

/// A value as text to read: a string as it is, anything else as indented JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => pretty(other),
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// Adds `text` indented, cut to [`SHOWN_LINES`] lines unless `full`.
fn push_text(lines: &mut Vec<String>, text: &str, full: bool) {
    let all: Vec<&str> = text.lines().collect();
    let shown = if full {
        all.len()
    } else {
        all.len().min(SHOWN_LINES)
    };
    lines.extend(all[..shown].iter().map(|line| format!("    {line}")));
    if shown < all.len() {
        lines.push(format!(
            "    … {} more lines (--full shows them)",
            all.len() - shown
        ));
    }
}
