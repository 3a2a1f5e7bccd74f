//! A deterministic, seeded workload of coding-agent sessions for benchmarks: hive event objects with realistic
//! shapes (prompts, tool calls on source files, test output, usage), and the real sessions of HIVE_TEST_DATA.

#![allow(dead_code)]

use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// A small, fast, seeded generator.
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
}

const WORDS: &[&str] = &[
    "the", "test", "fails", "because", "login", "session", "token", "cache", "returns", "error",
    "when", "user", "password", "hash", "salt", "config", "value", "missing", "function", "module",
    "import", "refactor", "add", "check", "handler", "request", "response", "timeout", "retry",
    "parse", "file", "path", "build", "cargo", "should", "now", "passes",
];

const TOOLS: &[&str] = &["Read", "Edit", "Bash", "Grep", "Glob", "Write", "TodoWrite"];

fn sentence(rng: &mut Rng, words: usize) -> String {
    (0..words)
        .map(|_| *rng.pick(WORDS))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Source-like text of about `lines` lines, the same for the same `file`.
pub fn source_file(file: u64, lines: usize) -> String {
    let mut rng = Rng::new(file);
    (0..lines)
        .map(|line| {
            let indent = "    ".repeat((rng.below(3)) as usize);
            match rng.below(5) {
                0 => format!("{indent}// {}", sentence(&mut rng, 8)),
                1 => format!(
                    "{indent}fn {}_{line}(value: u64) -> Result<u64, Error> {{",
                    rng.pick(WORDS)
                ),
                2 => format!(
                    "{indent}let {} = {}.{}()?;",
                    rng.pick(WORDS),
                    rng.pick(WORDS),
                    rng.pick(WORDS)
                ),
                3 => format!("{indent}}}"),
                _ => format!(
                    "{indent}if {} > {} {{ return Err(Error::{}); }}",
                    rng.pick(WORDS),
                    rng.below(1000),
                    rng.pick(WORDS)
                ),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One session of `events` hive events (seq not set), seeded by `session`.
pub fn session(session: u64, events: usize) -> Vec<Map<String, Value>> {
    let mut rng = Rng::new(session.wrapping_mul(7919));
    let mut out = Vec::with_capacity(events);
    let base = 1_767_225_600 + session as i64 * 3600;
    let ts = |index: usize| {
        let seconds = base + index as i64 * 7;
        hive::time::Timestamp(seconds * 1000).to_rfc3339()
    };
    out.push(json!({"kind": "session_start", "agent": "claude-code", "model": "claude-sonnet-4-5", "cwd": "/home/dev/project", "session_id": format!("s-{session}"), "ts": ts(0)}));
    out.push(json!({"kind": "user_message", "text": sentence(&mut rng, 30), "ts": ts(1)}));
    let mut index = 2;
    while index + 1 < events {
        let choice = if index + 2 < events { rng.below(4) } else { 1 };
        match choice {
            0 => {
                out.push(json!({"kind": "assistant_message", "text": sentence(&mut rng, 40), "model": "claude-sonnet-4-5",
                    "usage": {"input_tokens": 2000 + rng.below(30000), "output_tokens": 50 + rng.below(800), "cache_read_tokens": rng.below(20000)}, "ts": ts(index)}));
                index += 1;
            }
            1 => {
                out.push(
                    json!({"kind": "reasoning", "text": sentence(&mut rng, 60), "ts": ts(index)}),
                );
                index += 1;
            }
            _ => {
                let tool = *rng.pick(TOOLS);
                let call = format!("toolu_{session}_{index}");
                // Zipf-like popularity: small file numbers are read far more often.
                let file = (rng.below(100) * rng.below(100)) / 100;
                let input = json!({"file_path": format!("src/module_{file}.rs"), "command": format!("cargo test {}", rng.pick(WORDS))});
                out.push(json!({"kind": "tool_call", "call_id": call, "tool": tool, "input": input, "ts": ts(index)}));
                let output = match tool {
                    "Read" => source_file(file, 40 + (file as usize % 200)),
                    "Bash" => format!(
                        "running {} tests\n{}\ntest result: ok. {} passed",
                        rng.below(50),
                        sentence(&mut rng, 50),
                        rng.below(50)
                    ),
                    _ => sentence(&mut rng, 12),
                };
                out.push(json!({"kind": "tool_result", "call_id": call, "output": output, "is_error": rng.below(20) == 0, "ts": ts(index + 1)}));
                index += 2;
            }
        }
    }
    out.push(json!({"kind": "session_end", "status": if rng.below(3) == 0 { "failure" } else { "success" }, "ts": ts(index)}));
    out.into_iter()
        .map(|value| value.as_object().expect("objects").clone())
        .collect()
}

/// Real sessions: every record of every JSON/JSONL file under HIVE_TEST_DATA, as `custom` events grouped per file.
pub fn real_sessions() -> Vec<Vec<Map<String, Value>>> {
    let Some(dir) = std::env::var_os("HIVE_TEST_DATA").map(PathBuf::from) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    collect(&dir, &mut files);
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
                .map(|record| json!({"kind": "custom", "name": "record", "data": record, "ts": "2026-01-01T00:00:00Z"}).as_object().expect("object").clone())
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
pub fn numbered(events: &[Map<String, Value>], first: u64) -> Vec<Map<String, Value>> {
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
