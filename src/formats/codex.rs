//! OpenAI Codex CLI rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`): one `{timestamp, type, payload}`
//! record per line.
//!
//! | record | events |
//! |---|---|
//! | the first record | `session_start` (agent `codex`; `session_meta`'s `id` and `cwd`, the first `turn_context`'s `model`; `attrs.forked_from` from `forked_from_id`), then its own events |
//! | `session_meta` | nothing more (its fields are on `session_start`) |
//! | `turn_context` | `state_update` with key `turn_context` (model, cwd, approval and sandbox policy, effort) |
//! | `response_item` `message`, role `user` / `assistant` | `user_message` / `assistant_message` (the turn's `model`) |
//! | `response_item` `message`, role `developer` / `system` | `custom` named `system_prompt` |
//! | `response_item` `reasoning` | `reasoning` (the summary's text, else the content's; `attrs.encrypted` when only encrypted content is kept) |
//! | `response_item` `function_call` / `custom_tool_call` / `local_shell_call` / `web_search_call` | `tool_call` (`input`: the parsed `arguments`, the `input`, or the `action`) |
//! | `response_item` `function_call_output` / `custom_tool_call_output` | `tool_result`, joined to its call by `call_id` |
//! | `event_msg` `error` / `stream_error` | `error` |
//! | `event_msg` `token_count` | `custom` `token_count` with the turn's token counts |
//! | any other record (`event_msg` echoes of messages, `compacted`, unknown types) | `custom` named after the payload's or the record's type |

use super::Format;
use super::build::{
    Assembler, Container, arguments, custom, event, session_start, str_at, text_of, timestamp,
    tool_call, tool_result, usage, with_text,
};
use serde_json::{Map, Value, json};

const RECORD_TYPES: [&str; 5] = [
    "session_meta",
    "turn_context",
    "response_item",
    "event_msg",
    "compacted",
];

/// Whether a record looks like a rollout's.
pub(super) fn looks_like(record: &Map<String, Value>) -> bool {
    record
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|kind| RECORD_TYPES.contains(&kind))
        && record.get("payload").is_some_and(Value::is_object)
}

/// The text of a message's content parts (`input_text`, `output_text`, ...), joined; the content itself when
/// it has parts that are not text.
fn content_text(content: Option<&Value>) -> Value {
    let Some(Value::Array(parts)) = content else {
        return text_of(content);
    };
    let texts: Option<Vec<&str>> = parts
        .iter()
        .map(|part| part.get("text").and_then(Value::as_str))
        .collect();
    match texts {
        Some(texts) => Value::String(texts.join("\n")),
        None => Value::Array(parts.clone()),
    }
}

/// Converts a rollout's records, in order.
pub(super) fn to_events(records: &[Value], container: Container) -> Vec<Map<String, Value>> {
    let mut session = Assembler::new(Format::Codex, container);
    let meta = records
        .iter()
        .find(|record| record.get("type").and_then(Value::as_str) == Some("session_meta"))
        .and_then(|record| record.get("payload"));
    let mut model = records
        .iter()
        .find(|record| record.get("type").and_then(Value::as_str) == Some("turn_context"))
        .and_then(|record| str_at(record, &["payload", "model"]))
        .map(str::to_string);
    for record in records {
        let kind = record.get("type").and_then(Value::as_str).unwrap_or("");
        let payload = record.get("payload").unwrap_or(&Value::Null);
        let mut events = Vec::new();
        if session.is_empty() {
            let id = meta.and_then(|meta| str_at(meta, &["id"]));
            let cwd = meta.and_then(|meta| str_at(meta, &["cwd"]));
            let mut start = session_start("codex", id, model.as_deref(), cwd);
            if let Some(parent) = meta.and_then(|meta| str_at(meta, &["forked_from_id"])) {
                start.insert("attrs".into(), json!({"forked_from": parent}));
            }
            events.push(start);
        }
        if kind == "turn_context"
            && let Some(turn_model) = str_at(payload, &["model"])
        {
            model = Some(turn_model.to_string());
        }
        events.extend(record_events(
            kind,
            payload,
            model.as_deref(),
            events.is_empty(),
        ));
        let ts = timestamp(record.get("timestamp"));
        session.record(record, None, events, ts.as_deref(), &Map::new());
    }
    session.finish()
}

/// The typed events of one record. `alone`: whether the record has no event yet (a `session_meta` that opens
/// the rollout has its `session_start`).
fn record_events(
    kind: &str,
    payload: &Value,
    model: Option<&str>,
    alone: bool,
) -> Vec<Map<String, Value>> {
    let item = payload.get("type").and_then(Value::as_str).unwrap_or("");
    let call_id = payload.get("call_id").and_then(Value::as_str).unwrap_or("");
    let mut events = Vec::new();
    match (kind, item) {
        ("session_meta", _) => {
            if alone {
                events.push(custom("session_meta", Value::Null));
            }
        }
        ("turn_context", _) => {
            let mut value = Map::new();
            for field in ["model", "cwd", "approval_policy", "effort", "summary"] {
                if let Some(found) = payload.get(field) {
                    value.insert(field.into(), found.clone());
                }
            }
            if let Some(sandbox) = payload
                .get("sandbox_policy")
                .and_then(|policy| policy.get("type"))
            {
                value.insert("sandbox".into(), sandbox.clone());
            }
            let mut update = event("state_update");
            update.insert("key".into(), "turn_context".into());
            update.insert("value".into(), Value::Object(value));
            events.push(update);
        }
        ("response_item", "message") => {
            let text = content_text(payload.get("content"));
            match payload.get("role").and_then(Value::as_str).unwrap_or("") {
                "user" => events.push(with_text("user_message", Some(&text))),
                "assistant" => {
                    let mut answer = with_text("assistant_message", Some(&text));
                    if let Some(model) = model {
                        answer.insert("model".into(), model.into());
                    }
                    events.push(answer);
                }
                role => events.push(custom("system_prompt", json!({"role": role, "text": text}))),
            }
        }
        ("response_item", "reasoning") => {
            let summary = content_text(payload.get("summary"));
            let text = match (&summary, payload.get("content")) {
                (Value::String(text), Some(content)) if text.is_empty() && !content.is_null() => {
                    content_text(Some(content))
                }
                _ => summary,
            };
            let mut reasoning = with_text("reasoning", Some(&text));
            if text.as_str() == Some("") && payload.get("encrypted_content").is_some() {
                reasoning.insert("attrs".into(), json!({"encrypted": true}));
            }
            events.push(reasoning);
        }
        ("response_item", "function_call") => {
            let name = payload.get("name").and_then(Value::as_str).unwrap_or("");
            events.push(tool_call(
                call_id,
                name,
                arguments(payload.get("arguments")),
            ));
        }
        ("response_item", "custom_tool_call") => {
            let name = payload.get("name").and_then(Value::as_str).unwrap_or("");
            events.push(tool_call(call_id, name, text_of(payload.get("input"))));
        }
        ("response_item", "local_shell_call" | "web_search_call") => {
            let tool = item.trim_end_matches("_call");
            let id = payload
                .get("call_id")
                .or_else(|| payload.get("id"))
                .and_then(Value::as_str)
                .unwrap_or("");
            events.push(tool_call(id, tool, text_of(payload.get("action"))));
        }
        ("response_item", "function_call_output" | "custom_tool_call_output") => {
            let output = payload.get("output");
            let failed = output
                .and_then(|output| output.get("success"))
                .and_then(Value::as_bool)
                == Some(false);
            events.push(tool_result(call_id, text_of(output), failed));
        }
        ("event_msg", "error" | "stream_error") => {
            let mut error = event("error");
            let message = payload
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("error");
            error.insert("message".into(), message.into());
            events.push(error);
        }
        ("event_msg", "token_count") => {
            let last = payload
                .get("info")
                .and_then(|info| info.get("last_token_usage"))
                .and_then(|last| {
                    usage(
                        last,
                        "input_tokens",
                        "output_tokens",
                        "cached_input_tokens",
                        "cache_creation_input_tokens",
                    )
                })
                .unwrap_or(Value::Null);
            events.push(custom("token_count", last));
        }
        ("event_msg" | "response_item", other) => events.push(custom(other, Value::Null)),
        (other, _) => events.push(custom(other, Value::Null)),
    }
    events
}
