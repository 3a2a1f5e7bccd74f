//! Agents' own session formats: recognising a file's format, turning its records into hive events, and turning
//! those events back into the records.
//!
//! Every record of a source file becomes one or more typed events. The first event of each record carries the
//! record itself, verbatim, under `source` (`{"format": F, "record": {...}}`), and each further event of the same
//! record says which part of it it is (`{"format": F, "part": N}`). So nothing the agent wrote is lost, record
//! types hive does not know included, and [`export`] gives back the same records in the same order. Large values
//! inside a record are moved into blobs like any other large value (docs/FORMAT.md), and a value that is also an
//! event's typed field (a tool's output) is the same blob, stored once.
//!
//! Converting is deterministic and works record by record, so the events of a file that has grown since its
//! last import begin with the events of what it held then: importing again appends only the new ones.

mod claude_code;

use serde_json::{Map, Value, json};
use std::path::Path;

/// The field of an event that ties it to its source record.
pub const SOURCE_FIELD: &str = "source";

/// A session format hive can import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// hive's own event JSON Lines.
    Hive,
    /// Claude Code transcripts (`~/.claude/projects/<project>/<session>.jsonl`).
    ClaudeCode,
}

impl Format {
    /// Every format, in the order detection tries them.
    pub const ALL: [Format; 2] = [Format::Hive, Format::ClaudeCode];

    /// The name used on the command line and in `source.format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Hive => "hive",
            Format::ClaudeCode => "claude-code",
        }
    }

    /// The format named `name`.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|format| format.name() == name)
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

/// Why a file cannot be read in a format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The file's format was not recognised.
    #[error("not a recognised session format: {0}")]
    Unrecognised(String),
    /// A record is not what its format allows.
    #[error("line {line}: {message}")]
    BadRecord {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A record became an event hive does not accept.
    #[error("event {event} of the session: {message}")]
    Mapping {
        /// Position of the event in the session.
        event: usize,
        /// What is wrong.
        message: String,
    },
    /// A run's events cannot be written in the asked format.
    #[error("{0}")]
    Export(String),
}

/// Recognises the format of a file from its name and first bytes (a few KiB are enough).
pub fn detect(path: &Path, head: &[u8]) -> Result<Format, FormatError> {
    let first = head
        .split(|&byte| byte == b'\n')
        .map(|line| line.trim_ascii())
        .find(|line| !line.is_empty())
        .ok_or_else(|| FormatError::Unrecognised("the file is empty".into()))?;
    let value: Value = match serde_json::from_slice(first) {
        Ok(value) => value,
        Err(error) if error.is_eof() => {
            return Err(FormatError::Unrecognised(
                "its first line is longer than what was read, or not complete JSON".into(),
            ));
        }
        Err(error) => {
            let what = if path.extension().is_some_and(|ext| ext == "jsonl") {
                "its first line is not JSON"
            } else {
                "it does not start with a JSON record"
            };
            return Err(FormatError::Unrecognised(format!("{what} ({error})")));
        }
    };
    let Value::Object(record) = &value else {
        return Err(FormatError::Unrecognised(
            "its first line is JSON but not an object".into(),
        ));
    };
    if record
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|kind| crate::event::EventKind::from_name(kind).is_some())
    {
        return Ok(Format::Hive);
    }
    if claude_code::looks_like(record) {
        return Ok(Format::ClaudeCode);
    }
    let keys: Vec<&str> = record.keys().map(String::as_str).take(8).collect();
    Err(FormatError::Unrecognised(format!(
        "its first record (fields {}) matches none of: {}",
        keys.join(", "),
        Format::ALL.map(Format::name).join(", ")
    )))
}

/// Reads the records of a JSON Lines file: each line one JSON value (objects, as a rule; other values are kept as
/// they are).
fn json_lines(bytes: &[u8]) -> Result<Vec<Value>, FormatError> {
    let mut records = Vec::new();
    for (index, line) in bytes.split(|&byte| byte == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let bad = |message: String| FormatError::BadRecord {
            line: index + 1,
            message,
        };
        match serde_json::from_slice(line) {
            Ok(record) => records.push(record),
            Err(_) if std::str::from_utf8(line).is_err() => {
                return Err(bad("not UTF-8 text".into()));
            }
            Err(error) => return Err(bad(format!("not valid JSON: {error}"))),
        }
    }
    Ok(records)
}

/// The events of a source file, in order, unnumbered and not yet checked (for [`Format::Hive`], its lines as they
/// are).
pub fn to_events(format: Format, bytes: &[u8]) -> Result<Vec<Map<String, Value>>, FormatError> {
    let records = json_lines(bytes)?;
    match format {
        Format::Hive => records
            .into_iter()
            .enumerate()
            .map(|(index, record)| match record {
                Value::Object(event) => Ok(event),
                _ => Err(FormatError::Mapping {
                    event: index,
                    message: "an event is a JSON object".into(),
                }),
            })
            .collect(),
        Format::ClaudeCode => Ok(claude_code::to_events(records)),
    }
}

/// The `source` of the first event of a record.
fn source_record(format: Format, record: &Value) -> Value {
    json!({"format": format.name(), "record": record})
}

/// The `source` of a further event of the same record.
fn source_part(format: Format, part: usize) -> Value {
    json!({"format": format.name(), "part": part})
}

/// The format a run's events came from: the `source.format` of its first event that has one.
pub fn source_format<'a>(
    events: impl IntoIterator<Item = &'a Map<String, Value>>,
) -> Option<Format> {
    events.into_iter().find_map(|event| {
        event
            .get(SOURCE_FIELD)?
            .get("format")?
            .as_str()
            .and_then(Format::from_name)
    })
}

/// The source records of a run's events (resolved: payloads in place), in order: each event that carries a record
/// gives it back; further parts of a record give nothing.
pub fn export(
    format: Format,
    events: impl IntoIterator<Item = Map<String, Value>>,
) -> Result<Vec<Value>, FormatError> {
    let mut records = Vec::new();
    for (seq, mut event) in events.into_iter().enumerate() {
        if format == Format::Hive {
            event.remove("seq");
            records.push(Value::Object(event));
            continue;
        }
        let Some(Value::Object(mut source)) = event.remove(SOURCE_FIELD) else {
            return Err(FormatError::Export(format!(
                "event {seq} was not imported from a {format} session (it has no source record)"
            )));
        };
        match source.get("format").and_then(Value::as_str) {
            Some(name) if name == format.name() => {}
            other => {
                return Err(FormatError::Export(format!(
                    "event {seq} came from {}, not {format}",
                    other.unwrap_or("an unnamed format")
                )));
            }
        }
        if let Some(record) = source.remove("record") {
            records.push(record);
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats_by_their_first_record() {
        let path = Path::new("a.jsonl");
        assert_eq!(
            detect(path, b"\n{\"kind\":\"user_message\",\"text\":\"hi\"}\n"),
            Ok(Format::Hive)
        );
        assert_eq!(
            detect(
                path,
                br#"{"type":"user","sessionId":"s","uuid":"u","message":{"role":"user","content":"hi"}}"#
            ),
            Ok(Format::ClaudeCode)
        );
        for bad in [&b""[..], b"not json", b"[1,2]", br#"{"x":1}"#] {
            assert!(
                matches!(detect(path, bad), Err(FormatError::Unrecognised(_))),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
