//! OpenHands event lists: each event `{id, timestamp, source, message, action | observation, args | extras,
//! cause, tool_call_metadata}`, in a JSON list or one per line; and evaluation outputs, one session per line
//! (`{instance_id, instruction, history, metadata, metrics, error, test_result, instance}`).
//!
//! | event | events |
//! |---|---|
//! | the first event (or the evaluation line without its `history`) | `session_start` (agent `openhands`, the model from `metadata.llm_config` or the first `tool_call_metadata`, `session_id` = `instance_id`) |
//! | action `message` from the user / the agent | `user_message` / `assistant_message` (`args.content`) |
//! | action `system` | `custom` named `system_prompt` |
//! | action `think` | `reasoning` (`args.thought`) |
//! | any other action of the agent or user (`run`, `read`, `edit`, `browse`, `recall`, `finish`, ...) | `reasoning` when `args.thought` is not empty, then `tool_call` (`call_id` = the event's `id`, `tool` = the action, `input` = `args`) |
//! | observation of such an action | `tool_result` joined to the action by `cause` (`is_error` for `error` observations) |
//! | `agent_state_changed` observation | `state_update` with key `agent_state` |
//! | other observations, and the environment's actions | `custom` named after the observation or action |
//! | anything else | `custom` named `event` |
//! | (evaluation line) | `session_end` last: `status` `error` when `error` is set, else `finished`; `result`: `metrics.accumulated_cost` |

use super::build::{
    Assembler, Container, custom, event, session_end, session_start, str_at, text_of, timestamp,
    tool_call, tool_result, with_text,
};
use super::{Format, Layout, SourceSession};
use serde_json::{Map, Value, json};
use std::collections::HashSet;

fn is_event(record: &Map<String, Value>) -> bool {
    record.contains_key("id")
        && record.contains_key("source")
        && (record.contains_key("action") || record.contains_key("observation"))
}

fn is_evaluation(record: &Map<String, Value>) -> bool {
    record.contains_key("instance_id") && record.get("history").is_some_and(Value::is_array)
}

/// Whether a record is an OpenHands event or evaluation output.
pub(super) fn looks_like(record: &Map<String, Value>) -> bool {
    is_event(record) || is_evaluation(record)
}

/// The sessions of an OpenHands file.
pub(super) fn sessions(layout: Layout) -> Vec<SourceSession> {
    match layout {
        Layout::Lines(values)
            if values
                .first()
                .and_then(Value::as_object)
                .is_some_and(is_evaluation) =>
        {
            let names = values
                .iter()
                .map(|value| str_at(value, &["instance_id"]).map(str::to_string))
                .collect();
            let sessions = values
                .iter()
                .map(|value| match value.as_object() {
                    Some(line) => evaluation_events(line),
                    None => events_of(std::slice::from_ref(value), Container::Lines),
                })
                .collect();
            super::keyed(sessions, names)
        }
        Layout::Document(Value::Object(line)) if is_evaluation(&line) => {
            SourceSession::whole(evaluation_events(&line))
        }
        Layout::Lines(values) => SourceSession::whole(events_of(&values, Container::Lines)),
        Layout::Document(Value::Array(values)) => {
            SourceSession::whole(events_of(&values, Container::Array))
        }
        Layout::Document(value) => {
            SourceSession::whole(events_of(std::slice::from_ref(&value), Container::Lines))
        }
    }
}

/// The model named by the first event that has a model response.
fn first_model(events: &[Value]) -> Option<&str> {
    events
        .iter()
        .find_map(|event| str_at(event, &["tool_call_metadata", "model_response", "model"]))
}

/// A list of events as one session.
fn events_of(events: &[Value], container: Container) -> Vec<Map<String, Value>> {
    let model = first_model(events);
    let mut calls = HashSet::new();
    Assembler::list(
        Format::OpenHands,
        container,
        events,
        session_start("openhands", None, model, None),
        |value| event_events(value, model, &mut calls),
    )
}

/// An evaluation output line: its fields other than `history` first, then an event per history entry, then the
/// outcome.
fn evaluation_events(line: &Map<String, Value>) -> Vec<Map<String, Value>> {
    let history = line
        .get("history")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let model = line
        .get("metadata")
        .and_then(|metadata| str_at(metadata, &["llm_config", "model"]))
        .or_else(|| first_model(history));
    let instance = line.get("instance_id").and_then(Value::as_str);
    let (mut session, _) = Assembler::open_object(
        Format::OpenHands,
        line,
        &["history"],
        session_start("openhands", instance, model, None),
    );
    let mut calls = HashSet::new();
    for value in history {
        let ts = timestamp(value.get("timestamp"));
        session.record(
            value,
            Some("history"),
            event_events(value, model, &mut calls),
            ts.as_deref(),
            &Map::new(),
        );
    }
    let status = if line.get("error").is_some_and(|error| !error.is_null()) {
        "error"
    } else {
        "finished"
    };
    let cost = line
        .get("metrics")
        .and_then(|metrics| metrics.get("accumulated_cost"))
        .cloned()
        .unwrap_or(Value::Null);
    session.trailing(
        vec![session_end(Some(status), json!({"cost_usd": cost}))],
        None,
    );
    session.finish()
}

/// The typed events of one OpenHands event. `calls`: the ids of the events that became tool calls so far.
fn event_events(
    value: &Value,
    model: Option<&str>,
    calls: &mut HashSet<String>,
) -> Vec<Map<String, Value>> {
    let args = value.get("args").unwrap_or(&Value::Null);
    let mut events = Vec::new();
    let id = match value.get("id") {
        Some(Value::Number(number)) => number.to_string(),
        Some(Value::String(text)) => text.clone(),
        _ => String::new(),
    };
    let source = value.get("source").and_then(Value::as_str).unwrap_or("");
    if let Some(action) = value.get("action").and_then(Value::as_str) {
        let from_user = source == "user";
        match action {
            _ if source == "environment" => events.push(custom(action, Value::Null)),
            "message" => {
                let content = args.get("content").or_else(|| value.get("message"));
                if from_user {
                    events.push(with_text("user_message", content));
                } else {
                    let mut answer = with_text("assistant_message", content);
                    if let Some(model) = model {
                        answer.insert("model".into(), model.into());
                    }
                    events.push(answer);
                }
            }
            "system" => events.push(custom(
                "system_prompt",
                json!({"role": "system", "text": text_of(args.get("content").or_else(|| value.get("message")))}),
            )),
            "think" => events.push(with_text("reasoning", args.get("thought"))),
            other => {
                if let Some(thought) = args.get("thought").filter(|thought| thought.as_str().is_some_and(|text| !text.is_empty())) {
                    events.push(with_text("reasoning", Some(thought)));
                }
                calls.insert(id.clone());
                events.push(tool_call(&id, other, args.clone()));
            }
        }
    } else if let Some(observation) = value.get("observation").and_then(Value::as_str) {
        let cause = match value.get("cause") {
            Some(Value::Number(number)) => number.to_string(),
            Some(Value::String(text)) => text.clone(),
            _ => String::new(),
        };
        let output = value.get("content").or_else(|| value.get("message"));
        if calls.contains(&cause) {
            events.push(tool_result(&cause, text_of(output), observation == "error"));
        } else if observation == "agent_state_changed" {
            let mut update = event("state_update");
            update.insert("key".into(), "agent_state".into());
            let state = value
                .get("extras")
                .and_then(|extras| extras.get("agent_state"));
            update.insert("value".into(), state.cloned().unwrap_or(Value::Null));
            events.push(update);
        } else {
            events.push(custom(observation, Value::Null));
        }
    } else {
        events.push(custom("event", Value::Null));
    }
    events
}
