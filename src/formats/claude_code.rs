//! Claude Code transcripts: one JSON record per line (`user`, `assistant`, `system`, `summary`,
//! `file-history-snapshot`, `queue-operation`, `progress`, ...), content blocks inside `message.content`.
//!
//! | record | events |
//! |---|---|
//! | the first record | `session_start` (agent `claude-code`, its `sessionId`, `cwd`), then its own events |
//! | `user`, text content or `text` block | `user_message` |
//! | `user`, `tool_result` block | `tool_result` (`call_id` = `tool_use_id`, `output` = `content`, `is_error`), `parent` = the call's event |
//! | `user`, other blocks (`image`, ...) | `custom` named after the block type |
//! | `assistant`, `text` block | `assistant_message` (`model`; `usage` on the first record of each message id) |
//! | `assistant`, `thinking` block | `reasoning` |
//! | `assistant`, `tool_use` block | `tool_call` (`call_id` = `id`, `tool` = `name`, `input`) |
//! | `system` with `level: error` | `error` |
//! | any other record (`system`, `summary`, snapshots, unknown types) | `custom` named after the record type |
//!
//! Every event has the record's `timestamp` as `ts` when it has one, and `attrs.uuid` (plus `attrs.sidechain` and
//! `attrs.agent_id` for sub-agent records).

use super::{Format, source_part, source_record};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};

const RECORD_TYPES: [&str; 9] = [
    "user",
    "assistant",
    "system",
    "summary",
    "file-history-snapshot",
    "queue-operation",
    "progress",
    "attachment",
    "last-prompt",
];

const IDENTIFYING_FIELDS: [&str; 6] = [
    "sessionId",
    "uuid",
    "leafUuid",
    "messageId",
    "snapshot",
    "parentUuid",
];

/// Whether a first record looks like Claude Code's.
pub(super) fn looks_like(record: &Map<String, Value>) -> bool {
    record
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|kind| RECORD_TYPES.contains(&kind))
        && IDENTIFYING_FIELDS
            .iter()
            .any(|field| record.contains_key(*field))
}

fn event(kind: &str) -> Map<String, Value> {
    let mut event = Map::new();
    event.insert("kind".into(), kind.into());
    event
}

fn text_of(value: Option<&Value>) -> Value {
    match value {
        Some(Value::Null) | None => Value::String(String::new()),
        Some(other) => other.clone(),
    }
}

/// An event of `kind` whose `text` is `value` (the empty string when absent).
fn with_text(kind: &str, value: Option<&Value>) -> Map<String, Value> {
    let mut event = event(kind);
    event.insert("text".into(), text_of(value));
    event
}

fn custom(name: &str, data: Value) -> Map<String, Value> {
    let mut event = event("custom");
    event.insert("name".into(), name.into());
    if !data.is_null() {
        event.insert("data".into(), data);
    }
    event
}

/// Maps Claude Code's usage to hive's token counts.
fn usage(value: &Value) -> Option<Value> {
    let usage = value.as_object()?;
    let count = |name: &str| usage.get(name).and_then(Value::as_u64).unwrap_or(0);
    Some(json!({
        "input_tokens": count("input_tokens"),
        "output_tokens": count("output_tokens"),
        "cache_read_tokens": count("cache_read_input_tokens"),
        "cache_write_tokens": count("cache_creation_input_tokens"),
    }))
}

/// Converts a transcript's records, in order.
pub(super) fn to_events(records: Vec<Value>) -> Vec<Map<String, Value>> {
    let mut out: Vec<Map<String, Value>> = Vec::with_capacity(records.len() * 2);
    let empty = Map::new();
    // The session's id and folder, from the first record that names them (a transcript may open with a summary).
    let named = |field: &str| {
        records
            .iter()
            .find_map(|record| record.get(field).and_then(Value::as_str))
            .map(str::to_string)
    };
    let (session_id, cwd) = (named("sessionId"), named("cwd"));
    // Where each tool call is, to point its result at it; which message ids have had their usage counted.
    let mut calls: HashMap<String, usize> = HashMap::new();
    let mut counted: HashSet<String> = HashSet::new();
    for (index, value) in records.iter().enumerate() {
        let record = value.as_object().unwrap_or(&empty);
        let mut events = Vec::new();
        if index == 0 {
            let mut start = event("session_start");
            start.insert("agent".into(), "claude-code".into());
            for (field, text) in [("session_id", &session_id), ("cwd", &cwd)] {
                if let Some(text) = text {
                    start.insert(field.into(), text.clone().into());
                }
            }
            events.push(start);
        }
        if value.is_object() {
            events.extend(record_events(record, &mut counted));
        } else {
            // Not a record at all (a stray line of text): kept as it is.
            events.push(custom("record", Value::Null));
        }
        let ts = record
            .get("timestamp")
            .and_then(Value::as_str)
            .filter(|text| crate::time::Timestamp::parse(text).is_ok())
            .map(str::to_string);
        let mut attrs = Map::new();
        if let Some(Value::String(uuid)) = record.get("uuid") {
            attrs.insert("uuid".into(), uuid.clone().into());
        }
        if record.get("isSidechain") == Some(&Value::Bool(true)) {
            attrs.insert("sidechain".into(), true.into());
        }
        if let Some(Value::String(agent)) = record.get("agentId") {
            attrs.insert("agent_id".into(), agent.clone().into());
        }
        let mut source = Some(source_record(Format::ClaudeCode, value));
        for (part, mut event) in events.into_iter().enumerate() {
            let seq = out.len();
            if let Some(ts) = &ts {
                event.insert("ts".into(), ts.clone().into());
            }
            if !attrs.is_empty() {
                event.insert("attrs".into(), Value::Object(attrs.clone()));
            }
            match event.get("kind").and_then(Value::as_str) {
                Some("tool_call") => {
                    if let Some(Value::String(id)) = event.get("call_id") {
                        calls.insert(id.clone(), seq);
                    }
                }
                Some("tool_result") => {
                    if let Some(call) = event
                        .get("call_id")
                        .and_then(Value::as_str)
                        .and_then(|id| calls.get(id))
                    {
                        event.insert("parent".into(), (*call as u64).into());
                    }
                }
                _ => {}
            }
            let tie = match source.take() {
                Some(record) => record,
                None => source_part(Format::ClaudeCode, part),
            };
            event.insert(super::SOURCE_FIELD.into(), tie);
            out.push(event);
        }
    }
    out
}

/// The typed events of one record (at least one).
fn record_events(
    record: &Map<String, Value>,
    counted: &mut HashSet<String>,
) -> Vec<Map<String, Value>> {
    let kind = record.get("type").and_then(Value::as_str).unwrap_or("");
    let message = record.get("message").and_then(Value::as_object);
    let content = message.and_then(|message| message.get("content"));
    let mut events = Vec::new();
    match (kind, content) {
        ("user", Some(text @ Value::String(_))) => {
            events.push(with_text("user_message", Some(text)))
        }
        ("user", Some(Value::Array(blocks))) => {
            for block in blocks {
                let block_type = block.get("type").and_then(Value::as_str).unwrap_or("");
                match block_type {
                    "text" => events.push(with_text("user_message", block.get("text"))),
                    "tool_result" => {
                        let mut result = event("tool_result");
                        let call = block.get("tool_use_id").and_then(Value::as_str);
                        result.insert("call_id".into(), call.unwrap_or("").into());
                        result.insert("output".into(), text_of(block.get("content")));
                        result.insert(
                            "is_error".into(),
                            (block.get("is_error") == Some(&Value::Bool(true))).into(),
                        );
                        events.push(result);
                    }
                    other => {
                        let media = block
                            .get("source")
                            .and_then(|source| source.get("media_type"))
                            .cloned()
                            .map(|media| json!({"media_type": media}))
                            .unwrap_or(Value::Null);
                        events.push(custom(
                            if other.is_empty() { "block" } else { other },
                            media,
                        ));
                    }
                }
            }
        }
        ("assistant", Some(Value::Array(blocks))) => {
            let model = message.and_then(|message| message.get("model")).cloned();
            let id = message
                .and_then(|message| message.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let mut usage_left = message
                .and_then(|message| message.get("usage"))
                .and_then(usage)
                .filter(|_| id.as_ref().is_none_or(|id| counted.insert(id.clone())));
            for block in blocks {
                match block.get("type").and_then(Value::as_str).unwrap_or("") {
                    "text" => {
                        let mut answer = with_text("assistant_message", block.get("text"));
                        if let Some(Value::String(model)) = &model {
                            answer.insert("model".into(), model.clone().into());
                        }
                        if let Some(usage) = usage_left.take() {
                            answer.insert("usage".into(), usage);
                        }
                        events.push(answer);
                    }
                    "thinking" => events.push(with_text("reasoning", block.get("thinking"))),
                    "tool_use" => {
                        let mut call = event("tool_call");
                        let id = block.get("id").and_then(Value::as_str).unwrap_or("");
                        let name = block.get("name").and_then(Value::as_str).unwrap_or("");
                        call.insert("call_id".into(), id.into());
                        call.insert("tool".into(), name.into());
                        call.insert(
                            "input".into(),
                            block.get("input").cloned().unwrap_or(Value::Null),
                        );
                        events.push(call);
                    }
                    other => events.push(custom(
                        if other.is_empty() { "block" } else { other },
                        Value::Null,
                    )),
                }
            }
        }
        ("system", _) if record.get("level").and_then(Value::as_str) == Some("error") => {
            let mut error = event("error");
            let text = record
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or("system error");
            error.insert("message".into(), text.into());
            events.push(error);
        }
        ("system", _) => {
            let mut data = Map::new();
            for field in ["subtype", "level", "content"] {
                if let Some(value) = record.get(field) {
                    data.insert(field.into(), value.clone());
                }
            }
            events.push(custom("system", Value::Object(data)));
        }
        ("summary", _) => {
            let summary = record.get("summary").cloned().unwrap_or(Value::Null);
            events.push(custom("summary", json!({"summary": summary})));
        }
        _ => {}
    }
    if events.is_empty() {
        events.push(custom(
            if kind.is_empty() { "record" } else { kind },
            Value::Null,
        ));
    }
    events
}
