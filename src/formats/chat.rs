//! OpenAI chat messages (`{"role", "content", "tool_calls", "tool_call_id"}`), the shape many agents and
//! benchmarks store: a file of one message per line, a file of one conversation (`{"messages": [...]}`) per line,
//! or one JSON list or object of them. The message mapping here serves tau-bench and SWE-agent too.
//!
//! | message | events |
//! |---|---|
//! | `system` (or `developer`) | `custom` named `system_prompt` (`data.text`) |
//! | `user` | `user_message` |
//! | `assistant` | `assistant_message` when it has content (`model` when known), then a `tool_call` per entry of `tool_calls` (`call_id` = `id`, `tool` = `function.name`, `input` = the parsed `function.arguments`) |
//! | `tool` | `tool_result` (`call_id` = `tool_call_id`, or the first of `tool_call_ids`; `output` = `content`) |
//! | `function` (the older API) | `tool_result` (`call_id` = `name`) |
//! | anything else | `custom` named after the role |

use super::build::{
    Assembler, Container, arguments, custom, session_start, text_of, timestamp, tool_call,
    tool_result, with_text,
};
use super::{Format, Layout, SourceSession};
use serde_json::{Map, Value, json};

/// Whether a record is a chat message or a conversation.
pub(super) fn looks_like(record: &Map<String, Value>) -> bool {
    let is_message = |record: &Map<String, Value>| {
        record.get("role").is_some_and(Value::is_string)
            && (record.contains_key("content") || record.contains_key("tool_calls"))
    };
    is_message(record)
        || record
            .get("messages")
            .and_then(Value::as_array)
            .and_then(|messages| messages.first())
            .and_then(Value::as_object)
            .is_some_and(is_message)
}

/// The events of one chat message. `model`: the model that wrote the assistant's messages, when known.
pub(super) fn message_events(message: &Value, model: Option<&str>) -> Vec<Map<String, Value>> {
    let role = message.get("role").and_then(Value::as_str).unwrap_or("");
    let content = message.get("content");
    let has_content = match content {
        None | Some(Value::Null) => false,
        Some(Value::String(text)) => !text.is_empty(),
        Some(_) => true,
    };
    let mut events = Vec::new();
    match role {
        "system" | "developer" => events.push(custom(
            "system_prompt",
            json!({"role": role, "text": text_of(content)}),
        )),
        "user" => events.push(with_text("user_message", content)),
        "assistant" => {
            let calls = message.get("tool_calls").and_then(Value::as_array);
            if has_content || calls.is_none_or(|calls| calls.is_empty()) {
                let mut answer = with_text("assistant_message", content);
                if let Some(model) = model {
                    answer.insert("model".into(), model.into());
                }
                events.push(answer);
            }
            for call in calls.into_iter().flatten() {
                let id = call.get("id").and_then(Value::as_str).unwrap_or("");
                let function = call.get("function");
                let name = function
                    .and_then(|function| function.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let input = arguments(function.and_then(|function| function.get("arguments")));
                events.push(tool_call(id, name, input));
            }
            if let Some(call) = message.get("function_call") {
                let name = call.get("name").and_then(Value::as_str).unwrap_or("");
                events.push(tool_call(name, name, arguments(call.get("arguments"))));
            }
        }
        "tool" => {
            // `tool_call_ids` (a list) in SWE-agent's history.
            let id = message
                .get("tool_call_id")
                .or_else(|| message.get("tool_call_ids").and_then(|ids| ids.get(0)))
                .and_then(Value::as_str)
                .unwrap_or("");
            events.push(tool_result(id, text_of(content), false));
        }
        "function" => {
            let name = message.get("name").and_then(Value::as_str).unwrap_or("");
            events.push(tool_result(name, text_of(content), false));
        }
        other => events.push(custom(other, Value::Null)),
    }
    events
}

/// The sessions of an OpenAI chat file.
pub(super) fn sessions(layout: Layout) -> Vec<SourceSession> {
    let conversation = |value: &Value| {
        value.get("messages").is_some_and(Value::is_array) && value.get("role").is_none()
    };
    match layout {
        Layout::Lines(values) if values.first().is_some_and(conversation) => {
            let names = values
                .iter()
                .map(|value| value.get("id").and_then(Value::as_str).map(str::to_string))
                .collect();
            let sessions = values
                .iter()
                .map(|value| match value.as_object() {
                    Some(object) => conversation_events(object),
                    None => messages_events(std::slice::from_ref(value), Container::Lines),
                })
                .collect();
            super::keyed(sessions, names)
        }
        Layout::Lines(values) => SourceSession::whole(messages_events(&values, Container::Lines)),
        Layout::Document(Value::Array(values)) => {
            SourceSession::whole(messages_events(&values, Container::Array))
        }
        Layout::Document(Value::Object(object))
            if object.get("messages").is_some_and(Value::is_array) =>
        {
            SourceSession::whole(conversation_events(&object))
        }
        Layout::Document(value) => SourceSession::whole(messages_events(
            std::slice::from_ref(&value),
            Container::Lines,
        )),
    }
}

/// A session of messages, one record each.
fn messages_events(messages: &[Value], container: Container) -> Vec<Map<String, Value>> {
    Assembler::list(
        Format::OpenAiChat,
        container,
        messages,
        session_start("openai-chat", None, None, None),
        |message| message_events(message, None),
    )
}

/// A conversation object: its fields other than `messages` on the first event, then a record per message.
fn conversation_events(conversation: &Map<String, Value>) -> Vec<Map<String, Value>> {
    let model = conversation.get("model").and_then(Value::as_str);
    let id = conversation.get("id").and_then(Value::as_str);
    let (mut session, items) = Assembler::open_object(
        Format::OpenAiChat,
        conversation,
        &["messages"],
        session_start("openai-chat", id, model, None),
    );
    for (field, messages) in items {
        for message in messages {
            let ts = timestamp(message.get("timestamp"));
            session.record(
                message,
                Some(field),
                message_events(message, model),
                ts.as_deref(),
                &Map::new(),
            );
        }
    }
    session.finish()
}
