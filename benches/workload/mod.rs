//! A deterministic, seeded workload of coding-agent sessions, rendered both as Claude Code transcripts and as
//! hive event JSON Lines, for benchmarks; and the real sessions of `HIVE_TEST_DATA`.
//!
//! Each session works on one evolving code base (this project's own source, so the text is real code): it reads
//! files chosen by a Zipf law (popular files are read by many sessions), edits them, runs tests, greps, looks at
//! git status and diffs, and sometimes hits a panic. The code base drifts a little between sessions, so the same
//! file is read in many near-identical versions. Message text, token usage and timestamps vary per session.

#![allow(dead_code)]

use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// The code base sessions work on: real source text.
const SOURCES: &[(&str, &str)] = &[
    ("src/canonical.rs", include_str!("../../src/canonical.rs")),
    ("src/codectx.rs", include_str!("../../src/codectx.rs")),
    ("src/config.rs", include_str!("../../src/config.rs")),
    ("src/event.rs", include_str!("../../src/event.rs")),
    ("src/fsutil.rs", include_str!("../../src/fsutil.rs")),
    ("src/id.rs", include_str!("../../src/id.rs")),
    ("src/journal.rs", include_str!("../../src/journal.rs")),
    ("src/object.rs", include_str!("../../src/object.rs")),
    ("src/payload.rs", include_str!("../../src/payload.rs")),
    ("src/refs.rs", include_str!("../../src/refs.rs")),
    ("src/time.rs", include_str!("../../src/time.rs")),
    (
        "src/repo/capture.rs",
        include_str!("../../src/repo/capture.rs"),
    ),
    ("src/repo/fsck.rs", include_str!("../../src/repo/fsck.rs")),
    ("src/repo/gc.rs", include_str!("../../src/repo/gc.rs")),
    (
        "src/repo/history.rs",
        include_str!("../../src/repo/history.rs"),
    ),
    ("src/repo/mod.rs", include_str!("../../src/repo/mod.rs")),
    ("src/repo/read.rs", include_str!("../../src/repo/read.rs")),
    (
        "src/repo/resolve.rs",
        include_str!("../../src/repo/resolve.rs"),
    ),
    (
        "src/store/loose.rs",
        include_str!("../../src/store/loose.rs"),
    ),
    (
        "src/store/memory.rs",
        include_str!("../../src/store/memory.rs"),
    ),
    ("src/store/mod.rs", include_str!("../../src/store/mod.rs")),
    ("src/store/odb.rs", include_str!("../../src/store/odb.rs")),
    ("src/store/pack.rs", include_str!("../../src/store/pack.rs")),
    ("src/cli/append.rs", include_str!("../../src/cli/append.rs")),
    ("src/cli/commit.rs", include_str!("../../src/cli/commit.rs")),
    ("src/cli/error.rs", include_str!("../../src/cli/error.rs")),
    ("src/cli/log.rs", include_str!("../../src/cli/log.rs")),
    ("src/cli/mod.rs", include_str!("../../src/cli/mod.rs")),
    ("src/cli/show.rs", include_str!("../../src/cli/show.rs")),
];

/// A small, fast, seeded generator (splitmix-style output over an LCG state).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let x = self.0;
        (x ^ (x >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) >> 16
    }
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// A rank in `0..count` drawn with probability proportional to 1 / (rank + 1)^1.1.
    pub fn zipf(&mut self, count: usize) -> usize {
        let weights: Vec<f64> = (0..count)
            .map(|rank| 1.0 / ((rank + 1) as f64).powf(1.1))
            .collect();
        let total: f64 = weights.iter().sum();
        let mut target = (self.below(1 << 40) as f64 / (1u64 << 40) as f64) * total;
        for (rank, weight) in weights.iter().enumerate() {
            if target < *weight {
                return rank;
            }
            target -= weight;
        }
        count - 1
    }
    fn hex(&mut self, digits: usize) -> String {
        (0..digits)
            .map(|_| char::from_digit(self.below(16) as u32, 16).expect("a hex digit"))
            .collect()
    }
    fn uuid(&mut self) -> String {
        format!(
            "{}-{}-4{}-a{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(3),
            self.hex(3),
            self.hex(12)
        )
    }
}

const WORDS: &[&str] = &[
    "the",
    "test",
    "fails",
    "because",
    "journal",
    "commit",
    "pack",
    "index",
    "returns",
    "error",
    "when",
    "run",
    "event",
    "hash",
    "object",
    "config",
    "value",
    "missing",
    "function",
    "module",
    "import",
    "refactor",
    "add",
    "check",
    "lock",
    "reference",
    "payload",
    "timeout",
    "retry",
    "parse",
    "file",
    "path",
    "build",
    "cargo",
    "should",
    "now",
    "passes",
    "seq",
    "blob",
    "chunk",
    "frame",
    "stale",
    "expected",
    "found",
    "fsync",
    "rename",
    "directory",
    "crash",
    "torn",
];

const PROMPTS: &[&str] = &[
    "The commit path is slow on large sessions, can you find out why?",
    "Add a test for a torn journal record and fix what it finds.",
    "fsck reports a missing object after gc, investigate.",
    "Refactor the pack writer so frames are compressed in parallel.",
    "Why does `hive show` print the wrong seq for the last event?",
    "Make the error message for an ambiguous prefix list the candidates.",
    "Rename the payload module's helpers to something clearer and update callers.",
    "The CI run fails on clippy, please fix the warnings.",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut text: String = (0..words)
        .map(|_| *rng.pick(WORDS))
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(first) = text.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    text.push('.');
    text
}

/// `min` to `min + spread - 1` sentences.
fn paragraph(rng: &mut Rng, min: usize, spread: u64) -> String {
    let sentences = min + rng.below(spread) as usize;
    (0..sentences)
        .map(|_| {
            let words = 6 + rng.below(14) as usize;
            sentence(rng, words)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The code base as session `session` sees it: every 25 sessions one more file gets a small change.
fn file_text(file: usize, session: u64) -> String {
    let (_, text) = SOURCES[file];
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for epoch in 0..session / 25 {
        let mut rng = Rng::new(epoch * 31 + 7);
        if rng.below(SOURCES.len() as u64) as usize == file && !lines.is_empty() {
            let at = rng.below(lines.len() as u64) as usize;
            lines.insert(
                at,
                format!(
                    "    // revised in change {epoch}: {}",
                    sentence(&mut rng, 6)
                ),
            );
        }
    }
    lines.join("\n")
}

/// `cat -n` style, as Claude Code's Read tool returns files.
fn numbered(text: &str, from: usize, count: usize) -> String {
    text.lines()
        .enumerate()
        .skip(from)
        .take(count)
        .map(|(index, line)| format!("{:>6}\u{2192}{line}", index + 1))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One step of a session.
enum Step {
    Prompt(String),
    Thinking(String),
    Answer {
        text: String,
        input: u64,
        output: u64,
        cache_read: u64,
    },
    Tool {
        name: &'static str,
        input: Value,
        output: String,
        is_error: bool,
        duration_ms: u64,
        detail: Value,
    },
}

fn tool_step(rng: &mut Rng, session: u64, edited: &mut Vec<usize>) -> Step {
    let file = rng.zipf(SOURCES.len());
    let (path, _) = SOURCES[file];
    let text = file_text(file, session);
    let total = text.lines().count();
    match rng.below(10) {
        0..=2 => {
            let count = total.min(2000);
            let output = numbered(&text, 0, count);
            Step::Tool {
                name: "Read",
                input: json!({"file_path": format!("/work/hive/{path}")}),
                detail: json!({"type": "text", "file": {"filePath": format!("/work/hive/{path}"), "content": text, "numLines": count, "startLine": 1, "totalLines": total}}),
                output,
                is_error: false,
                duration_ms: 2 + rng.below(30),
            }
        }
        3 | 4 => {
            let line = text
                .lines()
                .nth(rng.below(total as u64) as usize)
                .unwrap_or("")
                .to_string();
            let replacement = format!("{line} // {}", sentence(rng, 4));
            edited.push(file);
            Step::Tool {
                name: "Edit",
                input: json!({"file_path": format!("/work/hive/{path}"), "old_string": line, "new_string": replacement}),
                output: format!(
                    "The file /work/hive/{path} has been updated. Here's the result of running `cat -n` on a snippet of the edited file:\n{}",
                    numbered(&text, rng.below(total as u64) as usize, 12)
                ),
                is_error: rng.below(15) == 0,
                duration_ms: 3 + rng.below(20),
                detail: json!({"filePath": format!("/work/hive/{path}"), "oldString": line, "newString": replacement, "userModified": false}),
            }
        }
        5 | 6 => {
            let (output, failed) = cargo_test(rng, session);
            Step::Tool {
                name: "Bash",
                input: json!({"command": "cargo test 2>&1 | tail -40", "description": "Run the tests"}),
                detail: json!({"stdout": output, "stderr": "", "interrupted": false, "isImage": false}),
                output,
                is_error: failed,
                duration_ms: 8_000 + rng.below(40_000),
            }
        }
        7 => {
            let word = *rng.pick(WORDS);
            let hits: Vec<String> = SOURCES
                .iter()
                .flat_map(|(name, text)| {
                    text.lines()
                        .enumerate()
                        .filter(move |(_, line)| line.contains(word))
                        .map(move |(at, line)| format!("{name}:{}:{line}", at + 1))
                })
                .take(30 + rng.below(60) as usize)
                .collect();
            Step::Tool {
                name: "Grep",
                input: json!({"pattern": word, "path": "src", "output_mode": "content", "-n": true}),
                output: hits.join("\n"),
                is_error: false,
                duration_ms: 20 + rng.below(200),
                detail: json!({"mode": "content", "numFiles": hits.len().min(12), "numLines": hits.len()}),
            }
        }
        8 => {
            let output = git_output(rng, session, edited);
            Step::Tool {
                name: "Bash",
                input: json!({"command": if edited.is_empty() { "git status" } else { "git diff" }}),
                detail: json!({"stdout": output, "stderr": "", "interrupted": false, "isImage": false}),
                output,
                is_error: false,
                duration_ms: 10 + rng.below(90),
            }
        }
        _ => {
            let output = panic_output(rng, session);
            Step::Tool {
                name: "Bash",
                input: json!({"command": "cargo run --quiet -- fsck"}),
                detail: json!({"stdout": "", "stderr": output, "interrupted": false, "isImage": false}),
                output,
                is_error: true,
                duration_ms: 500 + rng.below(3000),
            }
        }
    }
}

fn function_names(rng: &mut Rng, count: usize) -> Vec<String> {
    let all: Vec<&str> = SOURCES
        .iter()
        .flat_map(|(_, text)| {
            text.lines().filter_map(|line| {
                line.trim_start()
                    .strip_prefix("fn ")
                    .or_else(|| line.trim_start().strip_prefix("pub fn "))
            })
        })
        .filter_map(|rest| rest.split('(').next())
        .collect();
    (0..count)
        .map(|_| rng.pick(&all).split('<').next().unwrap_or("f").to_string())
        .collect()
}

fn cargo_test(rng: &mut Rng, session: u64) -> (String, bool) {
    let count = 20 + rng.below(30) as usize;
    let names = function_names(rng, count);
    let failing = if rng.below(4) == 0 {
        Some(rng.below(names.len() as u64) as usize)
    } else {
        None
    };
    let mut out = format!(
        "   Compiling hive v0.1.{} (/work/hive)\n    Finished `test` profile [unoptimized + debuginfo] target(s) in {}.{:02}s\n     Running tests/it/main.rs (target/debug/deps/it-{})\n\nrunning {} tests\n",
        session % 7,
        3 + rng.below(40),
        rng.below(100),
        rng.hex(16),
        names.len()
    );
    for (index, name) in names.iter().enumerate() {
        let result = if Some(index) == failing {
            "FAILED"
        } else {
            "ok"
        };
        out.push_str(&format!("test it::{name} ... {result}\n"));
    }
    if let Some(index) = failing {
        out.push_str(&format!(
            "\nfailures:\n\n---- it::{} stdout ----\nthread 'it::{}' panicked at tests/it/cli.rs:{}:{}:\nassertion `left == right` failed\n  left: {}\n right: {}\n",
            names[index],
            names[index],
            rng.below(700),
            rng.below(80),
            rng.below(100),
            rng.below(100)
        ));
    }
    out.push_str(&format!(
        "\ntest result: {}. {} passed; {} failed; 0 ignored; 0 measured; 0 filtered out; finished in {}.{:02}s\n",
        if failing.is_some() { "FAILED" } else { "ok" },
        names.len() - usize::from(failing.is_some()),
        usize::from(failing.is_some()),
        rng.below(12),
        rng.below(100)
    ));
    (out, failing.is_some())
}

fn git_output(rng: &mut Rng, session: u64, edited: &[usize]) -> String {
    if edited.is_empty() {
        return format!("On branch session-{session}\nnothing to commit, working tree clean\n");
    }
    let mut out = String::new();
    for &file in edited.iter().take(3) {
        let (path, _) = SOURCES[file];
        let text = file_text(file, session);
        let total = text.lines().count().max(1);
        let at = rng.below(total as u64) as usize;
        out.push_str(&format!(
            "diff --git a/{path} b/{path}\nindex {}..{} 100644\n--- a/{path}\n+++ b/{path}\n@@ -{},7 +{},8 @@\n",
            rng.hex(7),
            rng.hex(7),
            at + 1,
            at + 1
        ));
        for (offset, line) in text.lines().skip(at).take(7).enumerate() {
            out.push_str(&format!(" {line}\n"));
            if offset == 3 {
                out.push_str(&format!("+    // {}\n", sentence(rng, 5)));
            }
        }
    }
    out
}

fn panic_output(rng: &mut Rng, session: u64) -> String {
    let count = 8 + rng.below(10) as usize;
    let names = function_names(rng, count);
    let mut out = format!(
        "thread 'main' panicked at src/{}.rs:{}:{}:\ncalled `Result::unwrap()` on an `Err` value: Corrupt {{ path: \"/tmp/s{session}/.hive/objects/pack\", reason: \"{}\" }}\nstack backtrace:\n",
        rng.pick(&["journal", "refs", "store/pack", "repo/gc"]),
        rng.below(600),
        rng.below(60),
        sentence(rng, 5)
    );
    for (index, name) in names.iter().enumerate() {
        out.push_str(&format!(
            "  {index:>2}: hive::{name}\n             at ./src/{}.rs:{}:{}\n",
            rng.pick(&["journal", "refs", "object", "payload"]),
            rng.below(600),
            rng.below(40)
        ));
    }
    out.push_str(
        "note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.\n",
    );
    out
}

/// The steps of session `session`: enough for `events` hive events.
fn plan(session: u64, events: usize) -> Vec<Step> {
    let mut rng = Rng::new(session.wrapping_mul(7919).wrapping_add(13));
    let opening = rng.pick(PROMPTS).to_string();
    let mut steps = vec![Step::Prompt(format!(
        "{opening} {}",
        paragraph(&mut rng, 1, 3)
    ))];
    // session_start, the prompt and session_end are three events; a tool step is two (call and result) or three
    // (with a file operation), the others one.
    let mut count = 3;
    let mut edited = Vec::new();
    while count < events {
        let room = events - count;
        let step = match rng.below(10) {
            _ if room < 3 => Step::Thinking(paragraph(&mut rng, 1, 1)),
            0 => Step::Thinking(paragraph(&mut rng, 2, 6)),
            1 | 2 => Step::Answer {
                text: paragraph(&mut rng, 1, 5),
                input: 2_000 + rng.below(60_000),
                output: 20 + rng.below(1_500),
                cache_read: rng.below(50_000),
            },
            3 if rng.below(8) == 0 => Step::Prompt(paragraph(&mut rng, 1, 2)),
            _ => tool_step(&mut rng, session, &mut edited),
        };
        count += match &step {
            Step::Tool {
                name: "Read" | "Edit",
                ..
            } => 3,
            Step::Tool { .. } => 2,
            _ => 1,
        };
        steps.push(step);
    }
    steps
}

fn timestamp(session: u64, step: usize) -> String {
    let seconds = 1_767_225_600 + session as i64 * 5_400 + step as i64 * 9;
    hive::time::Timestamp(seconds * 1000 + (session as i64 * 37 + step as i64 * 101) % 1000)
        .to_rfc3339()
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("events are objects"),
    }
}

/// Session `session` as hive events (no seq), exactly `events` of them when `events` ≥ 3.
pub fn session(session: u64, events: usize) -> Vec<Map<String, Value>> {
    let steps = plan(session, events);
    let mut out = Vec::with_capacity(events);
    out.push(object(json!({"kind": "session_start", "agent": "claude-code", "model": "claude-sonnet-4-5", "cwd": "/work/hive", "session_id": format!("session-{session}"), "ts": timestamp(session, 0)})));
    for (index, step) in steps.iter().enumerate() {
        let ts = timestamp(session, index + 1);
        match step {
            Step::Prompt(text) => out.push(object(json!({"kind": "user_message", "text": text, "ts": ts}))),
            Step::Thinking(text) => out.push(object(json!({"kind": "reasoning", "text": text, "ts": ts}))),
            Step::Answer { text, input, output, cache_read } => out.push(object(json!({
                "kind": "assistant_message", "text": text, "model": "claude-sonnet-4-5", "ts": ts,
                "usage": {"input_tokens": input, "output_tokens": output, "cache_read_tokens": cache_read},
            }))),
            Step::Tool { name, input, output, is_error, duration_ms, .. } => {
                let call = format!("toolu_{session:04}_{index:03}");
                out.push(object(json!({"kind": "tool_call", "call_id": call, "tool": name, "input": input, "ts": ts})));
                out.push(object(json!({"kind": "tool_result", "call_id": call, "output": output, "is_error": is_error, "duration_ms": duration_ms, "ts": ts})));
                if matches!(*name, "Read" | "Edit") {
                    let op = if *name == "Read" { "read" } else { "edit" };
                    out.push(object(json!({"kind": "file_op", "op": op, "path": input["file_path"], "ts": ts})));
                }
            }
        }
    }
    let status = if session.is_multiple_of(3) {
        "failure"
    } else {
        "success"
    };
    out.push(object(
        json!({"kind": "session_end", "status": status, "ts": timestamp(session, steps.len() + 1)}),
    ));
    out
}

/// Session `session` as a Claude Code transcript: one record per line, chained by `parentUuid`.
pub fn claude_records(session: u64, events: usize) -> Vec<Value> {
    let steps = plan(session, events);
    let mut rng = Rng::new(session ^ 0xc1a0de);
    let session_id = rng.uuid();
    let mut parent: Option<String> = None;
    let mut out = Vec::with_capacity(steps.len() * 2);
    let mut push = |rng: &mut Rng, record: Value, at: usize, out: &mut Vec<Value>| {
        let uuid = rng.uuid();
        let mut record = object(record);
        record.insert(
            "parentUuid".into(),
            parent.clone().map(Value::from).unwrap_or(Value::Null),
        );
        record.insert("isSidechain".into(), false.into());
        record.insert("userType".into(), "external".into());
        record.insert("cwd".into(), "/work/hive".into());
        record.insert("sessionId".into(), session_id.clone().into());
        record.insert("version".into(), "2.0.37".into());
        record.insert("gitBranch".into(), format!("session-{session}").into());
        record.insert("uuid".into(), uuid.clone().into());
        record.insert("timestamp".into(), timestamp(session, at).into());
        parent = Some(uuid);
        out.push(Value::Object(record));
    };
    let assistant = |rng: &mut Rng, content: Value, usage: Value| {
        json!({"type": "assistant", "requestId": format!("req_{}", rng.hex(24)), "message": {
            "id": format!("msg_{}", rng.hex(24)), "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
            "content": content, "stop_reason": null, "stop_sequence": null, "usage": usage}})
    };
    for (index, step) in steps.iter().enumerate() {
        let at = index + 1;
        let usage = json!({"input_tokens": 4 + rng.below(20), "cache_creation_input_tokens": rng.below(5000), "cache_read_input_tokens": rng.below(40000), "output_tokens": 1 + rng.below(400), "service_tier": "standard"});
        match step {
            Step::Prompt(text) => push(
                &mut rng,
                json!({"type": "user", "message": {"role": "user", "content": text}}),
                at,
                &mut out,
            ),
            Step::Thinking(text) => {
                let signature = rng.hex(120);
                let record = assistant(
                    &mut rng,
                    json!([{"type": "thinking", "thinking": text, "signature": signature}]),
                    usage,
                );
                push(&mut rng, record, at, &mut out);
            }
            Step::Answer {
                text,
                input,
                output,
                cache_read,
            } => {
                let usage = json!({"input_tokens": input, "cache_creation_input_tokens": 0, "cache_read_input_tokens": cache_read, "output_tokens": output, "service_tier": "standard"});
                let record = assistant(&mut rng, json!([{"type": "text", "text": text}]), usage);
                push(&mut rng, record, at, &mut out);
            }
            Step::Tool {
                name,
                input,
                output,
                is_error,
                detail,
                ..
            } => {
                let id = format!("toolu_01{}", rng.hex(22));
                let record = assistant(
                    &mut rng,
                    json!([{"type": "tool_use", "id": id, "name": name, "input": input}]),
                    usage,
                );
                push(&mut rng, record, at, &mut out);
                let result = json!({"type": "user", "message": {"role": "user", "content": [{"tool_use_id": id, "type": "tool_result", "content": output, "is_error": is_error}]}, "toolUseResult": detail});
                push(&mut rng, result, at, &mut out);
            }
        }
    }
    out
}

/// Real sessions: every record of every JSON/JSONL file under HIVE_TEST_DATA, as `custom` events grouped per file.
pub fn real_sessions() -> Vec<Vec<Map<String, Value>>> {
    match std::env::var_os("HIVE_TEST_DATA") {
        Some(dir) => real_sessions_in(Path::new(&dir)),
        None => Vec::new(),
    }
}

/// Every record of every JSON/JSONL file under `dir`, as `custom` events grouped per file.
pub fn real_sessions_in(dir: &Path) -> Vec<Vec<Map<String, Value>>> {
    let mut files = Vec::new();
    collect(dir, &mut files);
    files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            let records: Vec<Value> = if path.extension().is_some_and(|ext| ext == "jsonl") {
                text.lines().filter_map(|line| serde_json::from_str(line).ok()).collect()
            } else {
                match serde_json::from_str(&text).ok()? {
                    Value::Array(items) => items,
                    value => vec![value],
                }
            };
            let events: Vec<Map<String, Value>> = records
                .into_iter()
                .map(|record| object(json!({"kind": "custom", "name": "record", "data": record, "ts": "2026-01-01T00:00:00Z"})))
                .collect();
            (!events.is_empty()).then_some(events)
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(&path, out);
        } else if matches!(
            path.extension().and_then(|ext| ext.to_str()),
            Some("json" | "jsonl" | "traj")
        ) {
            out.push(path);
        }
    }
}

/// Sets seq on a session's events, starting at `first`.
pub fn numbered_events(events: &[Map<String, Value>], first: u64) -> Vec<Map<String, Value>> {
    events
        .iter()
        .enumerate()
        .map(|(offset, event)| {
            let mut event = event.clone();
            event.insert("seq".into(), Value::from(first + offset as u64));
            event
        })
        .collect()
}
