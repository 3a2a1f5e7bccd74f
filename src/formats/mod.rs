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

mod build;
mod chat;
mod claude_code;
mod codex;
mod mini_swe_agent;
mod openhands;
mod swe_agent;
mod tau_bench;

use build::Container;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The field of an event that ties it to its source record.
pub const SOURCE_FIELD: &str = "source";

/// A session format hive can import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// hive's own event JSON Lines.
    Hive,
    /// Claude Code transcripts (`~/.claude/projects/<project>/<session>.jsonl`).
    ClaudeCode,
    /// OpenAI Codex CLI rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`).
    Codex,
    /// SWE-agent trajectories (`*.traj`).
    SweAgent,
    /// mini-swe-agent trajectories (`*.traj.json`).
    MiniSweAgent,
    /// OpenHands event lists, and evaluation outputs holding one session per line.
    OpenHands,
    /// tau-bench results: many sessions in one file.
    TauBench,
    /// OpenAI chat messages: one message per line, or one conversation (`{"messages": [...]}`) per line.
    OpenAiChat,
}

impl Format {
    /// Every format, in the order detection tries them.
    pub const ALL: [Format; 8] = [
        Format::Hive,
        Format::ClaudeCode,
        Format::Codex,
        Format::OpenHands,
        Format::SweAgent,
        Format::MiniSweAgent,
        Format::TauBench,
        Format::OpenAiChat,
    ];

    /// The name used on the command line and in `source.format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Hive => "hive",
            Format::ClaudeCode => "claude-code",
            Format::Codex => "codex",
            Format::SweAgent => "swe-agent",
            Format::MiniSweAgent => "mini-swe-agent",
            Format::OpenHands => "openhands",
            Format::TauBench => "tau-bench",
            Format::OpenAiChat => "openai-chat",
        }
    }

    /// The format named `name`.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|format| format.name() == name)
    }

    /// Whether a record (a line, an element of a list, or a whole file) looks like this format's.
    fn matches(self, record: &Map<String, Value>) -> bool {
        match self {
            Format::Hive => record
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|kind| crate::event::EventKind::from_name(kind).is_some()),
            Format::ClaudeCode => claude_code::looks_like(record),
            Format::Codex => codex::looks_like(record),
            Format::OpenHands => openhands::looks_like(record),
            Format::SweAgent => swe_agent::looks_like(record),
            Format::MiniSweAgent => mini_swe_agent::looks_like(record),
            Format::TauBench => tau_bench::looks_like(record),
            Format::OpenAiChat => chat::looks_like(record),
        }
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

/// A file's JSON: one value per line, or one document (pretty-printed JSON, a `.traj` file).
#[derive(Debug)]
pub enum Layout {
    /// JSON Lines: each non-blank line one value (a file holding one compact value is one line).
    Lines(Vec<Value>),
    /// One JSON document spread over lines.
    Document(Value),
}

impl Layout {
    /// Reads `bytes`: JSON Lines when the first non-blank line is a whole JSON value, else one document.
    pub fn read(bytes: &[u8]) -> Result<Layout, FormatError> {
        let first = bytes
            .split(|&byte| byte == b'\n')
            .map(|line| line.trim_ascii())
            .find(|line| !line.is_empty());
        let Some(first) = first else {
            return Ok(Layout::Lines(Vec::new()));
        };
        if serde_json::from_slice::<serde::de::IgnoredAny>(first).is_ok() {
            let mut lines = json_lines(bytes)?;
            // A JSON list written on one line is a document, as it would be pretty-printed.
            if lines.len() == 1 && lines[0].is_array() {
                return Ok(Layout::Document(lines.remove(0)));
            }
            return Ok(Layout::Lines(lines));
        }
        match serde_json::from_slice(bytes) {
            Ok(document) => Ok(Layout::Document(document)),
            Err(_) if std::str::from_utf8(bytes).is_err() => Err(FormatError::BadRecord {
                line: 1,
                message: "not UTF-8 text".into(),
            }),
            Err(error) => Err(FormatError::BadRecord {
                line: error.line(),
                message: format!(
                    "neither JSON Lines (its first line is not a JSON value) nor one JSON document ({error})"
                ),
            }),
        }
    }

    /// The values as the file holds them: each line's, or the one document.
    pub fn into_values(self) -> Vec<Value> {
        match self {
            Layout::Lines(values) => values,
            Layout::Document(document) => vec![document],
        }
    }

    /// The value that decides the format: the first line, the document, or the document's first element.
    fn first_record(&self) -> Option<&Value> {
        let value = match self {
            Layout::Lines(values) => values.first()?,
            Layout::Document(document) => document,
        };
        match value {
            Value::Array(items) => items.first(),
            other => Some(other),
        }
    }
}

/// Recognises the format of a file from its contents: from its first line when that is a whole JSON value, else
/// from the whole file read as one document.
pub fn detect(bytes: &[u8]) -> Result<Format, FormatError> {
    detect_read(bytes).map(|(format, _)| format)
}

/// [`detect`], also giving back the file's [`Layout`] when recognising it took reading the whole file, so that a
/// caller going on to [`read_layout`] does not parse it again.
pub fn detect_read(bytes: &[u8]) -> Result<(Format, Option<Layout>), FormatError> {
    if let Some(found) = detect_start(bytes) {
        return found.map(|format| (format, None));
    }
    let layout = Layout::read(bytes).map_err(|error| {
        FormatError::Unrecognised(format!("it is not JSON or JSON Lines ({error})"))
    })?;
    Ok((detect_layout(&layout)?, Some(layout)))
}

/// Recognises the format of a file from its first bytes when its first line is a whole JSON value and ends
/// within them; `None` when the whole file is needed ([`detect`]).
pub fn detect_start(head: &[u8]) -> Option<Result<Format, FormatError>> {
    let mut lines = head.split(|&byte| byte == b'\n');
    let line = lines.find(|line| !line.trim_ascii().is_empty())?;
    // The line must end before the head does.
    lines.next()?;
    let value: Value = serde_json::from_slice(line).ok()?;
    Some(detect_layout(&Layout::Lines(vec![value])))
}

fn detect_layout(layout: &Layout) -> Result<Format, FormatError> {
    let Some(first) = layout.first_record() else {
        return Err(FormatError::Unrecognised(
            "it holds no records (an empty file or an empty list)".into(),
        ));
    };
    let Value::Object(record) = first else {
        return Err(FormatError::Unrecognised(
            "its first record is JSON but not an object".into(),
        ));
    };
    if let Some(format) = Format::ALL
        .into_iter()
        .find(|format| format.matches(record))
    {
        return Ok(format);
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

/// What the files around a session say about it.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Instances resolved or not, by instance id (mini-swe-agent's `results_summary.json`).
    pub resolved: Option<std::sync::Arc<HashMap<String, bool>>>,
}

impl Context {
    /// Reads a `results_summary.json` (`{"instances": [{"instance_id", "resolved"}, ...]}`); `None` when it is
    /// not one.
    pub fn results_summary(bytes: &[u8]) -> Option<HashMap<String, bool>> {
        let summary: Value = serde_json::from_slice(bytes).ok()?;
        let instances = summary.get("instances")?.as_array()?;
        Some(
            instances
                .iter()
                .filter_map(|instance| {
                    Some((
                        instance.get("instance_id")?.as_str()?.to_string(),
                        instance.get("resolved")?.as_bool()?,
                    ))
                })
                .collect(),
        )
    }
}

/// One session of a source file: its events, in order, unnumbered and not yet checked.
#[derive(Debug)]
pub struct SourceSession {
    /// For a file holding many sessions, the session's name among them (its run is `<file's run>/<key>`); `None`
    /// for a file that is one session.
    pub key: Option<String>,
    /// The events.
    pub events: Vec<Map<String, Value>>,
    /// For a later branch of a transcript's conversation tree: its name and the session it grew from.
    pub branch: Option<Branch>,
}

/// A later branch of a session's conversation (a prompt edited or a conversation rewound, so that one message has
/// two answers): its run is `<file's run>+<name>`, a fork of the run of the session it grew from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branch {
    /// Its name among the file's branches: the start of the uuid of its first record of its own.
    pub name: String,
    /// The index, among the file's sessions, of the session it grew from (0: the whole file).
    pub from: usize,
}

impl SourceSession {
    fn whole(events: Vec<Map<String, Value>>) -> Vec<SourceSession> {
        vec![SourceSession {
            key: None,
            events,
            branch: None,
        }]
    }
}

/// Gives each of many sessions its key: its name, cleaned, when it has one that is not taken, else its position in
/// the file.
fn keyed(sessions: Vec<Vec<Map<String, Value>>>, names: Vec<Option<String>>) -> Vec<SourceSession> {
    let mut taken = std::collections::HashSet::new();
    sessions
        .into_iter()
        .zip(names)
        .enumerate()
        .map(|(index, (events, name))| {
            let key = name
                .map(|name| crate::refs::clean_component(&name))
                .filter(|name| !name.is_empty() && taken.insert(name.clone()))
                .unwrap_or_else(|| {
                    let key = index.to_string();
                    taken.insert(key.clone());
                    key
                });
            SourceSession {
                key: Some(key),
                events,
                branch: None,
            }
        })
        .collect()
}

/// The sessions of a source file in `format` (for [`Format::Hive`], one session of its lines as they are).
pub fn read(
    format: Format,
    bytes: &[u8],
    context: &Context,
) -> Result<Vec<SourceSession>, FormatError> {
    read_layout(format, Layout::read(bytes)?, context)
}

/// [`read`] of a file already parsed.
pub fn read_layout(
    format: Format,
    layout: Layout,
    context: &Context,
) -> Result<Vec<SourceSession>, FormatError> {
    let sessions = match format {
        Format::Hive => SourceSession::whole(
            layout
                .into_values()
                .into_iter()
                .enumerate()
                .map(|(index, record)| match record {
                    Value::Object(event) => Ok(event),
                    _ => Err(FormatError::Mapping {
                        event: index,
                        message: "an event is a JSON object".into(),
                    }),
                })
                .collect::<Result<_, _>>()?,
        ),
        Format::ClaudeCode => {
            let (container, records) = records_of(layout);
            let mut sessions = SourceSession::whole(claude_code::to_events(&records, container));
            for branch in claude_code::branches(&records) {
                let records: Vec<Value> = branch
                    .records
                    .iter()
                    .map(|&index| records[index].clone())
                    .collect();
                sessions.push(SourceSession {
                    key: None,
                    events: claude_code::to_events(&records, container),
                    branch: Some(Branch {
                        name: branch.name,
                        from: branch.from,
                    }),
                });
            }
            sessions
        }
        Format::Codex => {
            let (container, records) = records_of(layout);
            SourceSession::whole(codex::to_events(&records, container))
        }
        Format::OpenHands => openhands::sessions(layout),
        Format::SweAgent => one_object(layout, format, swe_agent::to_events)?,
        Format::MiniSweAgent => one_object(layout, format, |session| {
            mini_swe_agent::to_events(session, context)
        })?,
        Format::TauBench => {
            let sessions: Vec<&Map<String, Value>> = match &layout {
                Layout::Document(Value::Array(items)) => {
                    items.iter().filter_map(Value::as_object).collect()
                }
                Layout::Document(Value::Object(session)) => vec![session],
                Layout::Lines(values) => values.iter().filter_map(Value::as_object).collect(),
                Layout::Document(_) => Vec::new(),
            };
            let names = sessions
                .iter()
                .map(|session| tau_bench::key(session))
                .collect();
            keyed(
                sessions.into_iter().map(tau_bench::to_events).collect(),
                names,
            )
        }
        Format::OpenAiChat => chat::sessions(layout),
    };
    if sessions.is_empty() {
        return Err(FormatError::Mapping {
            event: 0,
            message: format!("the file holds no {format} session"),
        });
    }
    Ok(sessions)
}

/// A session of records: one per line, or the elements of one JSON list, or one record that is the whole file.
fn records_of(layout: Layout) -> (Container, Vec<Value>) {
    match layout {
        Layout::Lines(records) => (Container::Lines, records),
        Layout::Document(Value::Array(records)) => (Container::Array, records),
        Layout::Document(record) => (Container::Lines, vec![record]),
    }
}

/// A file that is one session object.
fn one_object(
    layout: Layout,
    format: Format,
    convert: impl Fn(&Map<String, Value>) -> Vec<Map<String, Value>>,
) -> Result<Vec<SourceSession>, FormatError> {
    let mut values = layout.into_values();
    match (values.len(), values.pop()) {
        (1, Some(Value::Object(session))) => Ok(SourceSession::whole(convert(&session))),
        _ => Err(FormatError::BadRecord {
            line: 1,
            message: format!("a {format} file is one JSON object"),
        }),
    }
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

/// A run's session in its source format (events resolved: payloads in place), as the values its file holds:
/// one per line for formats of JSON Lines, or one JSON document. Each event that carries a record gives it back;
/// further parts of a record give nothing.
pub fn export(
    format: Format,
    events: impl IntoIterator<Item = Map<String, Value>>,
) -> Result<Vec<Value>, FormatError> {
    let mut container = Container::Lines;
    let mut records: Vec<(Option<String>, Value)> = Vec::new();
    for (seq, mut event) in events.into_iter().enumerate() {
        if format == Format::Hive {
            event.remove("seq");
            records.push((None, Value::Object(event)));
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
        if seq == 0
            && let Some(name) = source.get("container").and_then(Value::as_str)
        {
            container = Container::from_name(name).ok_or_else(|| {
                FormatError::Export(format!("event 0 names an unknown layout '{name}'"))
            })?;
        }
        if let Some(record) = source.remove("record") {
            let field = source.get("in").and_then(Value::as_str).map(str::to_string);
            records.push((field, record));
        }
    }
    let nested =
        |records: &[(Option<String>, Value)]| records.iter().position(|(field, _)| field.is_some());
    match container {
        Container::Lines | Container::Array => {
            if let Some(at) = nested(&records) {
                return Err(FormatError::Export(format!(
                    "record {at} is an item of a session object, but the session is a list of records"
                )));
            }
            let records = records.into_iter().map(|(_, record)| record);
            Ok(if container == Container::Lines {
                records.collect()
            } else {
                vec![Value::Array(records.collect())]
            })
        }
        Container::Object => {
            let mut records = records.into_iter();
            let Some((None, Value::Object(mut session))) = records.next() else {
                return Err(FormatError::Export(
                    "the session's first record is not the session object".into(),
                ));
            };
            for (index, (field, record)) in records.enumerate() {
                let field = field.ok_or_else(|| {
                    FormatError::Export(format!(
                        "record {} is not an item of the session object",
                        index + 1
                    ))
                })?;
                match session
                    .entry(field.clone())
                    .or_insert_with(|| Value::Array(Vec::new()))
                {
                    Value::Array(items) => items.push(record),
                    _ => {
                        return Err(FormatError::Export(format!(
                            "the session object's '{field}' is not a list"
                        )));
                    }
                }
            }
            Ok(vec![Value::Object(session)])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats_by_their_first_record() {
        assert_eq!(
            detect(b"\n{\"kind\":\"user_message\",\"text\":\"hi\"}\n"),
            Ok(Format::Hive)
        );
        let cases: [(&str, Format); 9] = [
            (
                r#"{"type":"user","sessionId":"s","uuid":"u","message":{"role":"user","content":"hi"}}"#,
                Format::ClaudeCode,
            ),
            (
                r#"{"type":"session_meta","payload":{"id":"x"}}"#,
                Format::Codex,
            ),
            (
                r#"{"trajectory":[],"history":[],"info":{}}"#,
                Format::SweAgent,
            ),
            (
                "{\n \"info\": {\"exit_status\": \"Submitted\"},\n \"messages\": [{\"role\": \"system\", \"content\": \"x\"}]\n}",
                Format::MiniSweAgent,
            ),
            (
                r#"[{"id":0,"source":"user","action":"message","args":{"content":"hi"}}]"#,
                Format::OpenHands,
            ),
            (
                r#"{"instance_id":"a","history":[],"metadata":{}}"#,
                Format::OpenHands,
            ),
            (
                "[\n{\"task_id\": 0, \"reward\": 1.0, \"traj\": []}\n]",
                Format::TauBench,
            ),
            (r#"{"role":"user","content":"hi"}"#, Format::OpenAiChat),
            (
                r#"{"messages":[{"role":"user","content":"hi"}]}"#,
                Format::OpenAiChat,
            ),
        ];
        for (text, format) in cases {
            assert_eq!(detect(text.as_bytes()), Ok(format), "{text}");
        }
        for bad in [&b""[..], b"not json", b"[1,2]", br#"{"x":1}"#, b"[]"] {
            assert!(
                matches!(detect(bad), Err(FormatError::Unrecognised(_))),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_started_line_is_enough_and_a_cut_one_is_not() {
        let line = br#"{"type":"session_meta","payload":{"id":"x"}}"#;
        let mut head = line.to_vec();
        head.push(b'\n');
        assert_eq!(detect_start(&head), Some(Ok(Format::Codex)));
        assert_eq!(detect_start(&line[..20]), None);
        assert_eq!(detect_start(b"{\n \"info\": 1"), None);
    }

    #[test]
    fn a_session_object_exports_back_with_its_lists() {
        let session = serde_json::json!({
            "task_id": 3, "trial": 0, "reward": 1.0, "info": {},
            "traj": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "find", "arguments": "{\"q\": 1}"}}
                ]},
                {"role": "tool", "tool_call_id": "c1", "name": "find", "content": "found"}
            ]
        });
        let bytes = serde_json::to_vec(&vec![session.clone()]).unwrap();
        let sessions = read(Format::TauBench, &bytes, &Context::default()).unwrap();
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].key.as_deref(), Some("task-3-trial-0"));
        let events = &sessions[0].events;
        let kinds: Vec<&str> = events
            .iter()
            .map(|event| event["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "session_start",
                "user_message",
                "tool_call",
                "tool_result",
                "session_end"
            ]
        );
        assert_eq!(events[2]["input"], serde_json::json!({"q": 1}));
        assert_eq!(events[3]["parent"], 2);
        assert_eq!(events[4]["status"], "success");
        assert_eq!(
            export(Format::TauBench, events.clone()).unwrap(),
            vec![session]
        );
    }
}
