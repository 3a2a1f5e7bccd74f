//! SWE-agent trajectories (`*.traj`): one JSON object with `trajectory` (the steps: `thought`, `action`,
//! `observation`, `response`, `state`), `history` (the messages the model saw), `info` (exit status, submission,
//! model stats) and `environment`, `replay_config`.
//!
//! | part | events |
//! |---|---|
//! | the object without its lists | `session_start` (agent `swe-agent`, the model from `replay_config` when named); `session_end` last (`status` = `info.exit_status`, `result` = `info.model_stats`) |
//! | each `trajectory` step | `reasoning` (`thought`, when not empty), `tool_call` (`call_id` = `step-N`, `tool` = the action's first word, `input.command` = the action), `tool_result` (`observation`), `state_update` (`state`, parsed when it is JSON text) |
//! | each `history` message, when there are trajectory steps | `custom` named `history` (`role`, `message_type`): the model's view of the same steps, kept for the record |
//! | each `history` message, when there are none | the chat mapping (docs/CAPTURE.md) |

use super::build::{
    Assembler, custom, event, session_end, session_start, str_at, text_of, tool_call, tool_result,
    with_text,
};
use super::{Format, chat};
use serde_json::{Map, Value, json};

/// Whether a record is a SWE-agent trajectory.
pub(super) fn looks_like(record: &Map<String, Value>) -> bool {
    let is_step_list = |field: &str| record.get(field).is_some_and(Value::is_array);
    is_step_list("trajectory")
        || (is_step_list("history")
            && (record.contains_key("info")
                || record.contains_key("environment")
                || record
                    .get("history")
                    .and_then(|history| history.get(0))
                    .is_some_and(|first| {
                        first.get("agent").is_some() || first.get("message_type").is_some()
                    })))
}

/// Converts a trajectory.
pub(super) fn to_events(trajectory: &Map<String, Value>) -> Vec<Map<String, Value>> {
    // `replay_config` is an object, or JSON text in some versions.
    let replay = match trajectory.get("replay_config") {
        Some(Value::String(text)) => serde_json::from_str(text).ok(),
        other => other.cloned(),
    };
    let model = replay
        .as_ref()
        .and_then(|replay| str_at(replay, &["agent", "model", "name"]));
    let (mut session, items) = Assembler::open_object(
        Format::SweAgent,
        trajectory,
        &["trajectory", "history"],
        session_start("swe-agent", None, model, None),
    );
    let has_steps = items
        .iter()
        .any(|(field, steps)| *field == "trajectory" && !steps.is_empty());
    for (field, list) in items {
        for (index, item) in list.iter().enumerate() {
            let events = match field {
                "trajectory" => step_events(index, item),
                _ if has_steps => {
                    let mut data = Map::new();
                    for key in ["role", "message_type", "agent"] {
                        if let Some(value) = item.get(key) {
                            data.insert(key.into(), value.clone());
                        }
                    }
                    vec![custom("history", Value::Object(data))]
                }
                _ => chat::message_events(item, model),
            };
            session.record(item, Some(field), events, None, &Map::new());
        }
    }
    let info = trajectory.get("info").unwrap_or(&Value::Null);
    session.trailing(
        vec![session_end(
            str_at(info, &["exit_status"]),
            info.get("model_stats").cloned().unwrap_or(Value::Null),
        )],
        None,
    );
    session.finish()
}

/// The events of one trajectory step.
fn step_events(index: usize, step: &Value) -> Vec<Map<String, Value>> {
    let mut events = Vec::new();
    if let Some(thought) = step
        .get("thought")
        .filter(|thought| thought.as_str() != Some(""))
    {
        events.push(with_text("reasoning", Some(thought)));
    }
    let call_id = format!("step-{index}");
    if let Some(action) = step.get("action").and_then(Value::as_str) {
        let tool = action.split_whitespace().next().unwrap_or("");
        events.push(tool_call(&call_id, tool, json!({"command": action})));
        events.push(tool_result(
            &call_id,
            text_of(step.get("observation")),
            false,
        ));
    }
    if let Some(state) = step.get("state").filter(|state| !state.is_null()) {
        let value = match state {
            Value::String(text) => serde_json::from_str(text).unwrap_or_else(|_| state.clone()),
            other => other.clone(),
        };
        let mut update = event("state_update");
        update.insert("key".into(), "state".into());
        update.insert("value".into(), value);
        events.push(update);
    }
    events
}
