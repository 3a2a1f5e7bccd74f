//! tau-bench results: a JSON list (or JSON Lines) of sessions `{task_id, trial, reward, info, traj}`, where
//! `traj` is an OpenAI chat. Each session becomes its own run, `<file's run>/task-<task_id>-trial-<trial>`.
//!
//! | part | events |
//! |---|---|
//! | the session without `traj` | `session_start` (agent `tau-bench`, `session_id` = `task-<task_id>-trial-<trial>`); `session_end` last (`status`: `success` when `reward` is 1, else `failure`; `result.reward`) |
//! | each `traj` message | the chat mapping (docs/CAPTURE.md) |

use super::build::{Assembler, session_end, session_start};
use super::{Format, chat};
use serde_json::{Map, Value, json};

/// Whether a record is a tau-bench session.
pub(super) fn looks_like(record: &Map<String, Value>) -> bool {
    record.get("traj").is_some_and(Value::is_array)
        && (record.contains_key("task_id") || record.contains_key("reward"))
}

/// The session's name among the file's sessions.
pub(super) fn key(session: &Map<String, Value>) -> Option<String> {
    let part = |field: &str| match session.get(field)? {
        Value::Number(number) => Some(number.to_string()),
        Value::String(text) => Some(text.clone()),
        _ => None,
    };
    let task = part("task_id")?;
    Some(match part("trial") {
        Some(trial) => format!("task-{task}-trial-{trial}"),
        None => format!("task-{task}"),
    })
}

/// Converts one session.
pub(super) fn to_events(session_value: &Map<String, Value>) -> Vec<Map<String, Value>> {
    let name = key(session_value);
    let (mut session, items) = Assembler::open_object(
        Format::TauBench,
        session_value,
        &["traj"],
        session_start("tau-bench", name.as_deref(), None, None),
    );
    for (field, messages) in items {
        for message in messages {
            session.record(
                message,
                Some(field),
                chat::message_events(message, None),
                None,
                &Map::new(),
            );
        }
    }
    let reward = session_value.get("reward").cloned().unwrap_or(Value::Null);
    let status = match reward.as_f64() {
        Some(value) if value >= 1.0 => Some("success"),
        Some(_) => Some("failure"),
        None => None,
    };
    session.trailing(vec![session_end(status, json!({"reward": reward}))], None);
    session.finish()
}
