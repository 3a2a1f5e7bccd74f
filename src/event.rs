//! The typed event model and its JSON form (docs/EVENTS.md).
//!
//! Input is one JSON object per event with a snake_case `kind`. Known fields are checked and typed; every other
//! field is kept as it came, in [`Event::extra`]. hive assigns `seq`; `ts` is kept as given (RFC 3339) or set
//! to the capture time.

use crate::object::TokenTotals;
use crate::time::Timestamp;
use serde_json::{Map, Value};

/// The kinds of event, as written in the `kind` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A session began.
    SessionStart,
    /// A person (or a calling program) spoke to the agent.
    UserMessage,
    /// The model answered.
    AssistantMessage,
    /// The model's visible reasoning.
    Reasoning,
    /// The agent called a tool.
    ToolCall,
    /// A tool answered.
    ToolResult,
    /// A file was read, written, edited or deleted.
    FileOp,
    /// Something failed.
    Error,
    /// A key of the workspace state changed.
    StateUpdate,
    /// A resumable point with a status.
    Checkpoint,
    /// The session ended.
    SessionEnd,
    /// Anything else, named by the producer.
    Custom,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 12] = [
        EventKind::SessionStart,
        EventKind::UserMessage,
        EventKind::AssistantMessage,
        EventKind::Reasoning,
        EventKind::ToolCall,
        EventKind::ToolResult,
        EventKind::FileOp,
        EventKind::Error,
        EventKind::StateUpdate,
        EventKind::Checkpoint,
        EventKind::SessionEnd,
        EventKind::Custom,
    ];

    /// The snake_case name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::SessionStart => "session_start",
            EventKind::UserMessage => "user_message",
            EventKind::AssistantMessage => "assistant_message",
            EventKind::Reasoning => "reasoning",
            EventKind::ToolCall => "tool_call",
            EventKind::ToolResult => "tool_result",
            EventKind::FileOp => "file_op",
            EventKind::Error => "error",
            EventKind::StateUpdate => "state_update",
            EventKind::Checkpoint => "checkpoint",
            EventKind::SessionEnd => "session_end",
            EventKind::Custom => "custom",
        }
    }

    /// The kind with this JSON name.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// What happened to a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileOpKind {
    /// Read.
    Read,
    /// Created or overwritten.
    Write,
    /// Changed in place.
    Edit,
    /// Removed.
    Delete,
}

impl FileOpKind {
    /// The name events use for it: `read`, `write`, `edit`, `delete`.
    pub fn name(self) -> &'static str {
        match self {
            FileOpKind::Read => "read",
            FileOpKind::Write => "write",
            FileOpKind::Edit => "edit",
            FileOpKind::Delete => "delete",
        }
    }
}

/// Token usage of one model turn.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage {
    /// Token counts.
    pub tokens: TokenTotals,
    /// Cost in US dollars, when the producer knows it.
    pub cost_usd: Option<f64>,
}

/// The kind-specific part of an event.
#[derive(Clone, Debug, PartialEq)]
pub enum EventBody {
    /// A session began.
    SessionStart {
        /// The agent program.
        agent: Option<String>,
        /// The model.
        model: Option<String>,
        /// Working directory.
        cwd: Option<String>,
        /// The agent's own session id.
        session_id: Option<String>,
        /// The code repository: `{root, commit, branch, dirty}`.
        code: Option<Value>,
    },
    /// A user's message.
    UserMessage {
        /// The message.
        text: Value,
    },
    /// A model's answer.
    AssistantMessage {
        /// The answer.
        text: Value,
        /// The model that answered.
        model: Option<String>,
        /// Tokens and cost of this turn.
        usage: Option<Usage>,
    },
    /// Visible reasoning.
    Reasoning {
        /// The reasoning text.
        text: Value,
    },
    /// A tool call.
    ToolCall {
        /// Joins the call to its result.
        call_id: String,
        /// Tool name.
        tool: String,
        /// Arguments, any JSON.
        input: Value,
    },
    /// A tool's answer.
    ToolResult {
        /// The call this answers.
        call_id: String,
        /// Output, any JSON.
        output: Value,
        /// Whether the tool failed.
        is_error: bool,
        /// How long the tool ran.
        duration_ms: Option<u64>,
    },
    /// A file operation.
    FileOp {
        /// What happened.
        op: FileOpKind,
        /// Which file.
        path: String,
        /// Content before, when known.
        before: Option<Value>,
        /// Content after, when known.
        after: Option<Value>,
    },
    /// A failure.
    Error {
        /// What failed.
        message: String,
        /// Seq of the event this retries, if any.
        retry_of: Option<u64>,
    },
    /// A state key changed; a null value removes the key.
    StateUpdate {
        /// The key.
        key: String,
        /// The new value.
        value: Value,
    },
    /// A resumable point.
    Checkpoint {
        /// Status at this point.
        status: Option<String>,
        /// Where the agent is, any JSON.
        position: Option<Value>,
    },
    /// The end of the session.
    SessionEnd {
        /// Final status, such as `success` or `failure`.
        status: Option<String>,
        /// The session's result, any JSON.
        result: Option<Value>,
    },
    /// A producer-defined event.
    Custom {
        /// The producer's name for it.
        name: String,
        /// Its data.
        data: Option<Value>,
    },
}

impl EventBody {
    /// The kind of this body.
    pub fn kind(&self) -> EventKind {
        match self {
            EventBody::SessionStart { .. } => EventKind::SessionStart,
            EventBody::UserMessage { .. } => EventKind::UserMessage,
            EventBody::AssistantMessage { .. } => EventKind::AssistantMessage,
            EventBody::Reasoning { .. } => EventKind::Reasoning,
            EventBody::ToolCall { .. } => EventKind::ToolCall,
            EventBody::ToolResult { .. } => EventKind::ToolResult,
            EventBody::FileOp { .. } => EventKind::FileOp,
            EventBody::Error { .. } => EventKind::Error,
            EventBody::StateUpdate { .. } => EventKind::StateUpdate,
            EventBody::Checkpoint { .. } => EventKind::Checkpoint,
            EventBody::SessionEnd { .. } => EventKind::SessionEnd,
            EventBody::Custom { .. } => EventKind::Custom,
        }
    }
}

/// One event of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Position in the run: 0, 1, 2, … with no gaps; assigned by hive.
    pub seq: u64,
    /// When it happened, RFC 3339.
    pub ts: String,
    /// Seq of the event that caused this one, if any.
    pub parent: Option<u64>,
    /// The kind-specific fields.
    pub body: EventBody,
    /// Free-form attributes.
    pub attrs: Map<String, Value>,
    /// Fields hive does not know, kept as they came.
    pub extra: Map<String, Value>,
}

/// Why a JSON object is not a valid event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The value is not a JSON object.
    #[error("an event is a JSON object, not {0}")]
    NotObject(&'static str),
    /// No `kind`.
    #[error("missing \"kind\" (one of {})", kind_names())]
    MissingKind,
    /// An unknown `kind`.
    #[error("unknown kind \"{0}\" (one of {names})", names = kind_names())]
    UnknownKind(String),
    /// A required field is absent.
    #[error("{kind} needs the field \"{field}\"")]
    Missing {
        /// The event kind.
        kind: &'static str,
        /// The absent field.
        field: &'static str,
    },
    /// A field has the wrong type or value.
    #[error("field \"{field}\" {expected}")]
    Invalid {
        /// The field.
        field: String,
        /// What it should be.
        expected: String,
    },
    /// A field hive reserves for itself.
    #[error("field \"{0}\" is reserved for hive's own use")]
    Reserved(String),
}

fn kind_names() -> String {
    EventKind::ALL.map(EventKind::name).join(", ")
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The field that holds references to payloads moved into blobs (see [`crate::payload`]).
pub const REFS_FIELD: &str = "$refs";

/// The key serde_json (with its `raw_value` feature) takes, as an object's first key, for a value written as JSON
/// text: canonical JSON sorts it first, so an event holding it would be stored in a form that does not read back.
const RAW_VALUE_KEY: &str = "$serde_json::private::RawValue";

/// Whether [`RAW_VALUE_KEY`] is a key of `map` or of any object inside it.
fn has_raw_value_key(map: &Map<String, Value>) -> bool {
    let mut pending: Vec<&Value> = Vec::new();
    let mut current = map;
    loop {
        if current.contains_key(RAW_VALUE_KEY) {
            return true;
        }
        pending.extend(current.values());
        current = loop {
            match pending.pop() {
                None => return false,
                Some(Value::Object(inner)) => break inner,
                Some(Value::Array(items)) => pending.extend(items),
                Some(_) => {}
            }
        };
    }
}

/// Takes known fields out of an event object, checking their types.
struct Fields {
    map: Map<String, Value>,
    kind: &'static str,
}

impl Fields {
    fn invalid(field: &str, expected: &str, found: &Value) -> EventError {
        EventError::Invalid {
            field: field.to_string(),
            expected: format!("must be {expected}, not {}", json_type(found)),
        }
    }

    fn any(&mut self, field: &str) -> Option<Value> {
        self.map.remove(field)
    }

    fn required_any(&mut self, field: &'static str) -> Result<Value, EventError> {
        self.map.remove(field).ok_or(EventError::Missing {
            kind: self.kind,
            field,
        })
    }

    fn string(&mut self, field: &str) -> Result<Option<String>, EventError> {
        match self.map.remove(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(Self::invalid(field, "a string", &other)),
        }
    }

    fn required_string(&mut self, field: &'static str) -> Result<String, EventError> {
        self.string(field)?.ok_or(EventError::Missing {
            kind: self.kind,
            field,
        })
    }

    fn unsigned(&mut self, field: &str) -> Result<Option<u64>, EventError> {
        match self.map.remove(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(number)) if number.as_u64().is_some() => Ok(number.as_u64()),
            Some(other) => Err(Self::invalid(field, "a whole number ≥ 0", &other)),
        }
    }

    fn text(&mut self, field: &'static str) -> Result<Value, EventError> {
        match self.required_any(field)? {
            value @ (Value::String(_) | Value::Array(_)) => Ok(value),
            other => Err(Self::invalid(
                field,
                "a string or an array of content parts",
                &other,
            )),
        }
    }
}

impl Event {
    /// Parses an event from its JSON object. `seq` in the input is ignored: hive assigns it.
    pub fn from_json(value: Value) -> Result<Event, EventError> {
        let map = match value {
            Value::Object(map) => map,
            other => return Err(EventError::NotObject(json_type(&other))),
        };
        Event::from_map(map)
    }

    /// Parses an event from a JSON object's fields.
    pub fn from_map(mut map: Map<String, Value>) -> Result<Event, EventError> {
        if map.contains_key(REFS_FIELD) {
            return Err(EventError::Reserved(REFS_FIELD.to_string()));
        }
        if has_raw_value_key(&map) {
            return Err(EventError::Invalid {
                field: RAW_VALUE_KEY.into(),
                expected: "is a name the JSON reader keeps for itself: an event holding it, at any depth, \
                           could not be read back"
                    .into(),
            });
        }
        let kind_name = match map.remove("kind") {
            None => return Err(EventError::MissingKind),
            Some(Value::String(name)) => name,
            Some(other) => return Err(Fields::invalid("kind", "a string", &other)),
        };
        let kind = EventKind::from_name(&kind_name).ok_or(EventError::UnknownKind(kind_name))?;
        let mut fields = Fields {
            map,
            kind: kind.name(),
        };
        let seq = fields.unsigned("seq")?.unwrap_or(0);
        let ts = match fields.string("ts")? {
            Some(text) => {
                Timestamp::parse(&text).map_err(|error| EventError::Invalid {
                    field: "ts".into(),
                    expected: error.to_string(),
                })?;
                text
            }
            None => String::new(),
        };
        let parent = fields.unsigned("parent")?;
        let attrs = match fields.any("attrs") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(attrs)) => attrs,
            Some(other) => return Err(Fields::invalid("attrs", "an object", &other)),
        };
        let body = parse_body(kind, &mut fields)?;
        Ok(Event {
            seq,
            ts,
            parent,
            body,
            attrs,
            extra: fields.map,
        })
    }

    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        self.body.kind()
    }

    /// The JSON object form: known fields, then `attrs` and unknown fields as they came.
    pub fn to_map(&self) -> Map<String, Value> {
        self.clone().into_map()
    }

    /// [`Event::to_map`], consuming the event: no field is copied.
    pub fn into_map(self) -> Map<String, Value> {
        let kind = self.kind();
        let mut map = self.extra;
        map.insert("kind".into(), kind.name().into());
        map.insert("seq".into(), self.seq.into());
        if !self.ts.is_empty() {
            map.insert("ts".into(), self.ts.into());
        }
        if let Some(parent) = self.parent {
            map.insert("parent".into(), parent.into());
        }
        if !self.attrs.is_empty() {
            map.insert("attrs".into(), Value::Object(self.attrs));
        }
        write_body(self.body, &mut map);
        map
    }

    /// The usage of an assistant message, if any.
    pub fn usage(&self) -> Option<&Usage> {
        match &self.body {
            EventBody::AssistantMessage { usage, .. } => usage.as_ref(),
            _ => None,
        }
    }

    /// A one-line summary for listings.
    pub fn summary(&self, width: usize) -> String {
        let text = match &self.body {
            EventBody::SessionStart { agent, model, .. } => {
                format!(
                    "{} {}",
                    agent.as_deref().unwrap_or("agent"),
                    model.as_deref().unwrap_or("")
                )
            }
            EventBody::UserMessage { text } | EventBody::Reasoning { text } => plain_text(text),
            EventBody::AssistantMessage { text, .. } => plain_text(text),
            EventBody::ToolCall { tool, input, .. } => format!("{tool} {}", compact(input)),
            EventBody::ToolResult {
                output, is_error, ..
            } => {
                format!(
                    "{}{}",
                    if *is_error { "error: " } else { "" },
                    plain_text(output)
                )
            }
            EventBody::FileOp { op, path, .. } => format!("{} {path}", op.name()),
            EventBody::Error { message, .. } => message.clone(),
            EventBody::StateUpdate { key, value } => format!("{key} = {}", compact(value)),
            EventBody::Checkpoint { status, .. } => status.clone().unwrap_or_default(),
            EventBody::SessionEnd { status, .. } => status.clone().unwrap_or_default(),
            EventBody::Custom { name, .. } => name.clone(),
        };
        truncate(
            &text.split_whitespace().collect::<Vec<_>>().join(" "),
            width,
        )
    }
}

fn plain_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => compact(other),
    }
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn parse_usage(value: Value) -> Result<Usage, EventError> {
    let map = match value {
        Value::Object(map) => map,
        other => return Err(Fields::invalid("usage", "an object", &other)),
    };
    let mut fields = Fields { map, kind: "usage" };
    let mut count = |name: &str| -> Result<u64, EventError> {
        fields
            .unsigned(name)
            .map(Option::unwrap_or_default)
            .map_err(|_| EventError::Invalid {
                field: format!("usage.{name}"),
                expected: "must be a whole number ≥ 0".into(),
            })
    };
    let tokens = TokenTotals {
        input: count("input_tokens")?,
        output: count("output_tokens")?,
        cache_read: count("cache_read_tokens")?,
        cache_write: count("cache_write_tokens")?,
    };
    let cost_usd = match fields.map.get("cost_usd") {
        None | Some(Value::Null) => None,
        Some(Value::Number(number)) => number.as_f64(),
        Some(other) => return Err(Fields::invalid("usage.cost_usd", "a number", other)),
    };
    Ok(Usage { tokens, cost_usd })
}

fn usage_to_value(usage: &Usage) -> Value {
    let mut map = Map::new();
    map.insert("input_tokens".into(), usage.tokens.input.into());
    map.insert("output_tokens".into(), usage.tokens.output.into());
    if usage.tokens.cache_read > 0 {
        map.insert("cache_read_tokens".into(), usage.tokens.cache_read.into());
    }
    if usage.tokens.cache_write > 0 {
        map.insert("cache_write_tokens".into(), usage.tokens.cache_write.into());
    }
    if let Some(cost) = usage.cost_usd {
        map.insert("cost_usd".into(), cost.into());
    }
    Value::Object(map)
}

fn parse_body(kind: EventKind, fields: &mut Fields) -> Result<EventBody, EventError> {
    Ok(match kind {
        EventKind::SessionStart => EventBody::SessionStart {
            agent: fields.string("agent")?,
            model: fields.string("model")?,
            cwd: fields.string("cwd")?,
            session_id: fields.string("session_id")?,
            code: match fields.any("code") {
                None | Some(Value::Null) => None,
                Some(value @ Value::Object(_)) => Some(value),
                Some(other) => return Err(Fields::invalid("code", "an object", &other)),
            },
        },
        EventKind::UserMessage => EventBody::UserMessage {
            text: fields.text("text")?,
        },
        EventKind::AssistantMessage => EventBody::AssistantMessage {
            text: fields.text("text")?,
            model: fields.string("model")?,
            usage: match fields.any("usage") {
                None | Some(Value::Null) => None,
                Some(value) => {
                    // Keep the usage object exactly as given; parse it only to check and to sum it.
                    let parsed = parse_usage(value.clone())?;
                    fields.map.insert("usage".into(), value);
                    Some(parsed)
                }
            },
        },
        EventKind::Reasoning => EventBody::Reasoning {
            text: fields.text("text")?,
        },
        EventKind::ToolCall => EventBody::ToolCall {
            call_id: fields.required_string("call_id")?,
            tool: fields.required_string("tool")?,
            input: fields.any("input").unwrap_or(Value::Null),
        },
        EventKind::ToolResult => EventBody::ToolResult {
            call_id: fields.required_string("call_id")?,
            output: fields.required_any("output")?,
            is_error: match fields.any("is_error") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(flag)) => flag,
                Some(other) => return Err(Fields::invalid("is_error", "true or false", &other)),
            },
            duration_ms: fields.unsigned("duration_ms")?,
        },
        EventKind::FileOp => EventBody::FileOp {
            op: match fields.required_string("op")?.as_str() {
                "read" => FileOpKind::Read,
                "write" => FileOpKind::Write,
                "edit" => FileOpKind::Edit,
                "delete" => FileOpKind::Delete,
                other => {
                    return Err(EventError::Invalid {
                        field: "op".into(),
                        expected: format!("must be read, write, edit or delete, not \"{other}\""),
                    });
                }
            },
            path: fields.required_string("path")?,
            before: fields.any("before"),
            after: fields.any("after"),
        },
        EventKind::Error => EventBody::Error {
            message: fields.required_string("message")?,
            retry_of: fields.unsigned("retry_of")?,
        },
        EventKind::StateUpdate => EventBody::StateUpdate {
            key: fields.required_string("key")?,
            value: fields.required_any("value")?,
        },
        EventKind::Checkpoint => EventBody::Checkpoint {
            status: fields.string("status")?,
            position: fields.any("position"),
        },
        EventKind::SessionEnd => EventBody::SessionEnd {
            status: fields.string("status")?,
            result: fields.any("result"),
        },
        EventKind::Custom => EventBody::Custom {
            name: fields.required_string("name")?,
            data: fields.any("data"),
        },
    })
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        map.insert(key.to_string(), value);
    }
}

fn write_body(body: EventBody, map: &mut Map<String, Value>) {
    let text = |value: Option<String>| value.map(Value::String);
    match body {
        EventBody::SessionStart {
            agent,
            model,
            cwd,
            session_id,
            code,
        } => {
            put(map, "agent", text(agent));
            put(map, "model", text(model));
            put(map, "cwd", text(cwd));
            put(map, "session_id", text(session_id));
            put(map, "code", code);
        }
        EventBody::UserMessage { text } | EventBody::Reasoning { text } => {
            map.insert("text".into(), text);
        }
        EventBody::AssistantMessage {
            text: body_text,
            model,
            usage,
        } => {
            map.insert("text".into(), body_text);
            put(map, "model", text(model));
            if !map.contains_key("usage") {
                put(map, "usage", usage.as_ref().map(usage_to_value));
            }
        }
        EventBody::ToolCall {
            call_id,
            tool,
            input,
        } => {
            map.insert("call_id".into(), call_id.into());
            map.insert("tool".into(), tool.into());
            map.insert("input".into(), input);
        }
        EventBody::ToolResult {
            call_id,
            output,
            is_error,
            duration_ms,
        } => {
            map.insert("call_id".into(), call_id.into());
            map.insert("output".into(), output);
            map.insert("is_error".into(), is_error.into());
            put(map, "duration_ms", duration_ms.map(Value::from));
        }
        EventBody::FileOp {
            op,
            path,
            before,
            after,
        } => {
            map.insert("op".into(), op.name().into());
            map.insert("path".into(), path.into());
            put(map, "before", before);
            put(map, "after", after);
        }
        EventBody::Error { message, retry_of } => {
            map.insert("message".into(), message.into());
            put(map, "retry_of", retry_of.map(Value::from));
        }
        EventBody::StateUpdate { key, value } => {
            map.insert("key".into(), key.into());
            map.insert("value".into(), value);
        }
        EventBody::Checkpoint { status, position } => {
            put(map, "status", text(status));
            put(map, "position", position);
        }
        EventBody::SessionEnd { status, result } => {
            put(map, "status", text(status));
            put(map, "result", result);
        }
        EventBody::Custom { name, data } => {
            map.insert("name".into(), name.into());
            put(map, "data", data);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_round_trips_with_unknown_fields() {
        let samples = [
            json!({"kind": "session_start", "agent": "claude-code", "model": "m", "cwd": "/w", "x": 1}),
            json!({"kind": "user_message", "text": "hi", "ts": "2026-01-01T00:00:00Z"}),
            json!({"kind": "assistant_message", "text": "ok", "usage": {"input_tokens": 3, "output_tokens": 4, "extra": true}}),
            json!({"kind": "reasoning", "text": "think"}),
            json!({"kind": "tool_call", "call_id": "c1", "tool": "Bash", "input": {"command": "ls"}}),
            json!({"kind": "tool_result", "call_id": "c1", "output": "a\nb", "is_error": false, "duration_ms": 5}),
            json!({"kind": "file_op", "op": "edit", "path": "src/x.rs", "before": "a", "after": "b"}),
            json!({"kind": "error", "message": "boom", "retry_of": 3}),
            json!({"kind": "state_update", "key": "k", "value": [1, 2]}),
            json!({"kind": "checkpoint", "status": "running", "position": {"step": 2}}),
            json!({"kind": "session_end", "status": "success", "result": "done"}),
            json!({"kind": "custom", "name": "mine", "data": {"a": 1}, "attrs": {"who": "me"}}),
        ];
        for (seq, sample) in samples.into_iter().enumerate() {
            let event = Event::from_json(sample.clone()).unwrap();
            let mut expected = sample.as_object().unwrap().clone();
            expected.insert("seq".into(), 0.into());
            if event.kind() == EventKind::ToolResult || expected.contains_key("is_error") {
                expected.entry("is_error").or_insert(false.into());
            }
            assert_eq!(event.to_map(), expected, "sample {seq}");
        }
    }

    #[test]
    fn precise_errors() {
        let cases = [
            (json!([1]), "an event is a JSON object, not an array"),
            (json!({"text": "x"}), "missing \"kind\""),
            (json!({"kind": "nope"}), "unknown kind \"nope\""),
            (
                json!({"kind": "tool_call", "tool": "x"}),
                "tool_call needs the field \"call_id\"",
            ),
            (
                json!({"kind": "tool_result", "call_id": "c", "output": 1, "is_error": "no"}),
                "field \"is_error\" must be true or false, not a string",
            ),
            (
                json!({"kind": "user_message", "text": "x", "ts": "later"}),
                "field \"ts\" 'later' is not an RFC 3339",
            ),
            (
                json!({"kind": "user_message", "text": "x", "$refs": []}),
                "reserved",
            ),
        ];
        for (input, message) in cases {
            let error = Event::from_json(input).unwrap_err().to_string();
            assert!(error.contains(message), "{error} should contain {message}");
        }
    }

    /// Found by the `object_decode` fuzz target (fuzz/regressions/object_decode/raw-value-key): serde_json takes
    /// an object whose first key is `$serde_json::private::RawValue` for JSON text, and canonical JSON sorts that
    /// key first, so an event holding it at any depth was stored in a form that did not read back.
    #[test]
    fn the_json_readers_private_key_is_refused_at_any_depth() {
        let key = "$serde_json::private::RawValue";
        for event in [
            json!({"kind": "custom", "name": "x", key: "1"}),
            json!({"kind": "custom", "name": "x", "data": {"a": 1, key: "/output"}}),
            json!({"kind": "tool_call", "call_id": "c", "tool": "t", "input": [{"b": [{key: "x"}]}]}),
            json!({"kind": "user_message", "text": "x", "attrs": {"z": {key: 1}}}),
        ] {
            let error = Event::from_json(event.clone()).unwrap_err().to_string();
            assert!(error.contains(key), "{event}: {error}");
        }
        let body = include_bytes!("../fuzz/regressions/object_decode/raw-value-key");
        let raw = crate::object::RawObject::from_canonical(body).unwrap();
        let map = crate::object::decode_event_json(&raw).unwrap();
        let error = Event::from_map(map).unwrap_err().to_string();
        assert!(error.contains(key), "{error}");
        // Keys that only look alike are kept.
        let event =
            json!({"kind": "custom", "name": "x", "data": {"$serde_json": 1, "RawValue": 2}});
        Event::from_json(event).unwrap();
    }

    #[test]
    fn usage_is_summed_from_known_fields() {
        let event = Event::from_json(json!({"kind": "assistant_message", "text": "x", "usage": {"input_tokens": 10, "output_tokens": 2, "cost_usd": 0.5}})).unwrap();
        let usage = event.usage().unwrap();
        assert_eq!(usage.tokens.input, 10);
        assert_eq!(usage.cost_usd, Some(0.5));
    }
}
