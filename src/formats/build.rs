//! What every format's mapping shares: constructors for hive's event shapes, and the assembly of a session's
//! events that ties each event to its source record and each tool result to its call.

use super::{Format, SOURCE_FIELD};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// An event of `kind` with no fields yet.
pub(super) fn event(kind: &str) -> Map<String, Value> {
    let mut event = Map::new();
    event.insert("kind".into(), kind.into());
    event
}

/// A text value: the value itself (a string, or a list of content parts), or the empty string when absent.
pub(super) fn text_of(value: Option<&Value>) -> Value {
    match value {
        Some(Value::Null) | None => Value::String(String::new()),
        Some(other) => other.clone(),
    }
}

/// An event of `kind` whose `text` is `value` (the empty string when absent).
pub(super) fn with_text(kind: &str, value: Option<&Value>) -> Map<String, Value> {
    let mut event = event(kind);
    event.insert("text".into(), text_of(value));
    event
}

/// A `custom` event; `data` is left out when null.
pub(super) fn custom(name: &str, data: Value) -> Map<String, Value> {
    let mut event = event("custom");
    event.insert(
        "name".into(),
        if name.is_empty() { "record" } else { name }.into(),
    );
    if !data.is_null() {
        event.insert("data".into(), data);
    }
    event
}

/// A `tool_call` event.
pub(super) fn tool_call(call_id: &str, tool: &str, input: Value) -> Map<String, Value> {
    let mut call = event("tool_call");
    call.insert("call_id".into(), call_id.into());
    call.insert("tool".into(), tool.into());
    call.insert("input".into(), input);
    call
}

/// A `tool_result` event.
pub(super) fn tool_result(call_id: &str, output: Value, is_error: bool) -> Map<String, Value> {
    let mut result = event("tool_result");
    result.insert("call_id".into(), call_id.into());
    result.insert("output".into(), output);
    result.insert("is_error".into(), is_error.into());
    result
}

/// A `session_start` event of `agent`, with the fields that are known.
pub(super) fn session_start(
    agent: &str,
    session_id: Option<&str>,
    model: Option<&str>,
    cwd: Option<&str>,
) -> Map<String, Value> {
    let mut start = event("session_start");
    start.insert("agent".into(), agent.into());
    for (field, value) in [("session_id", session_id), ("model", model), ("cwd", cwd)] {
        if let Some(value) = value {
            start.insert(field.into(), value.into());
        }
    }
    start
}

/// A `session_end` event.
pub(super) fn session_end(status: Option<&str>, result: Value) -> Map<String, Value> {
    let mut end = event("session_end");
    if let Some(status) = status {
        end.insert("status".into(), status.into());
    }
    if !result.is_null() {
        end.insert("result".into(), result);
    }
    end
}

/// A tool call's arguments: a JSON text parsed into its value (function-calling APIs send arguments as a JSON
/// string), anything else as it is.
pub(super) fn arguments(value: Option<&Value>) -> Value {
    match value {
        Some(Value::String(text)) => {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
        }
        Some(other) => other.clone(),
        None => Value::Object(Map::new()),
    }
}

/// Token counts in hive's shape from counts named `input`, `output`, `cache_read`, `cache_write` in the source.
pub(super) fn usage(
    source: &Value,
    input: &str,
    output: &str,
    cache_read: &str,
    cache_write: &str,
) -> Option<Value> {
    let usage = source.as_object()?;
    let count = |name: &str| usage.get(name).and_then(Value::as_u64).unwrap_or(0);
    Some(json!({
        "input_tokens": count(input),
        "output_tokens": count(output),
        "cache_read_tokens": count(cache_read),
        "cache_write_tokens": count(cache_write),
    }))
}

/// An event time from a source's timestamp: RFC 3339 as it is; a date and time without an offset (as Python's
/// `isoformat()` writes) is read as UTC. Anything else gives no time.
pub(super) fn timestamp(value: Option<&Value>) -> Option<String> {
    let text = value?.as_str()?;
    if crate::time::Timestamp::parse(text).is_ok() {
        return Some(text.to_string());
    }
    let utc = format!("{text}Z");
    crate::time::Timestamp::parse(&utc).is_ok().then_some(utc)
}

/// The string at `path` inside `value`.
pub(super) fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |value, key| value.get(key))?
        .as_str()
}

/// How a session's records are laid out in its file, which [`super::export`] rebuilds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Container {
    /// One record per line (or a file holding a single record).
    Lines,
    /// One JSON array of records.
    Array,
    /// One JSON object whose arrays (named by each item's `in`) hold the further records; the first record is
    /// the object with those arrays emptied.
    Object,
}

impl Container {
    pub(super) fn name(self) -> &'static str {
        match self {
            Container::Lines => "lines",
            Container::Array => "array",
            Container::Object => "object",
        }
    }

    pub(super) fn from_name(name: &str) -> Option<Container> {
        [Container::Lines, Container::Array, Container::Object]
            .into_iter()
            .find(|container| container.name() == name)
    }
}

/// Puts a session's events together in order: the first event of each record carries the record under
/// `source`, further events say which part they are, each `tool_result` points at its call (`parent`) when the
/// call came before it, and each event gets its record's time and attributes.
pub(super) struct Assembler {
    format: Format,
    container: Container,
    out: Vec<Map<String, Value>>,
    calls: HashMap<String, usize>,
}

impl Assembler {
    pub(super) fn new(format: Format, container: Container) -> Assembler {
        Assembler {
            format,
            container,
            out: Vec::new(),
            calls: HashMap::new(),
        }
    }

    /// Starts a session that is one JSON object: its first record is the object with the lists named in `fields`
    /// emptied, whose events are `start`; the items of those lists, in the order of `fields`, are returned for
    /// the caller to add as records `in` their list.
    pub(super) fn open_object<'a>(
        format: Format,
        session: &'a Map<String, Value>,
        fields: &[&'static str],
        start: Map<String, Value>,
    ) -> (Assembler, Vec<(&'static str, &'a [Value])>) {
        let mut envelope = session.clone();
        let mut items = Vec::new();
        for field in fields {
            if let Some(Value::Array(list)) = session.get(*field) {
                envelope.insert((*field).into(), Value::Array(Vec::new()));
                items.push((*field, list.as_slice()));
            }
        }
        let mut assembler = Assembler::new(format, Container::Object);
        assembler.record(
            &Value::Object(envelope),
            None,
            vec![start],
            None,
            &Map::new(),
        );
        (assembler, items)
    }

    /// A session that is a list of records, one each, each with its `timestamp` as time; the first record's
    /// events begin with `start`.
    pub(super) fn list(
        format: Format,
        container: Container,
        records: &[Value],
        start: Map<String, Value>,
        mut events_of: impl FnMut(&Value) -> Vec<Map<String, Value>>,
    ) -> Vec<Map<String, Value>> {
        let mut session = Assembler::new(format, container);
        let mut start = Some(start);
        for record in records {
            let mut events: Vec<Map<String, Value>> = start.take().into_iter().collect();
            events.extend(events_of(record));
            let ts = timestamp(record.get("timestamp"));
            session.record(record, None, events, ts.as_deref(), &Map::new());
        }
        session.finish()
    }

    /// Adds the events of `record` (at least one is added: a record with none becomes a `custom` event named
    /// `record`). `field`: the array of the session object the record is an item of.
    pub(super) fn record(
        &mut self,
        record: &Value,
        field: Option<&str>,
        events: Vec<Map<String, Value>>,
        ts: Option<&str>,
        attrs: &Map<String, Value>,
    ) {
        let mut source = Map::new();
        source.insert("format".into(), self.format.name().into());
        if self.out.is_empty() && self.container != Container::Lines {
            source.insert("container".into(), self.container.name().into());
        }
        if let Some(field) = field {
            source.insert("in".into(), field.into());
        }
        source.insert("record".into(), record.clone());
        let events = if events.is_empty() {
            vec![custom("record", Value::Null)]
        } else {
            events
        };
        let mut tie = Some(Value::Object(source));
        for (part, event) in events.into_iter().enumerate() {
            let tie = tie
                .take()
                .unwrap_or_else(|| json!({"format": self.format.name(), "part": part}));
            self.push(event, tie, ts, attrs);
        }
    }

    /// Adds events that belong to no record of their own (a session's outcome, said in its first record but
    /// placed last): parts of the session's first record.
    pub(super) fn trailing(&mut self, events: Vec<Map<String, Value>>, ts: Option<&str>) {
        for event in events {
            let tie = json!({"format": self.format.name(), "part": self.out.len()});
            self.push(event, tie, ts, &Map::new());
        }
    }

    fn push(
        &mut self,
        mut event: Map<String, Value>,
        tie: Value,
        ts: Option<&str>,
        attrs: &Map<String, Value>,
    ) {
        let seq = self.out.len();
        if let Some(ts) = ts {
            event.insert("ts".into(), ts.into());
        }
        if !attrs.is_empty() {
            event.insert("attrs".into(), Value::Object(attrs.clone()));
        }
        let call_id = event
            .get("call_id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty());
        match (event.get("kind").and_then(Value::as_str), call_id) {
            (Some("tool_call"), Some(id)) => {
                self.calls.insert(id.to_string(), seq);
            }
            (Some("tool_result"), Some(id)) => {
                if let Some(&call) = self.calls.get(id) {
                    event.insert("parent".into(), (call as u64).into());
                }
            }
            _ => {}
        }
        event.insert(SOURCE_FIELD.into(), tie);
        self.out.push(event);
    }

    /// Whether no event has been added.
    pub(super) fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    pub(super) fn finish(self) -> Vec<Map<String, Value>> {
        self.out
    }
}
