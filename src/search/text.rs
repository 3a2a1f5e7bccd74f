//! What of an event is searchable: every string it holds (message and reasoning text, tool input and output, file
//! contents, error messages, state values, producers' own fields), except the bookkeeping (seq, time, attributes,
//! the source record kept for export, ids, usage); plus its tool and the file paths it names.

use crate::payload;
use crate::store::ObjectStore;
use serde_json::{Map, Value};

/// Fields whose strings are not searched: they say where and when, not what.
const SKIPPED: [&str; 9] = [
    "seq",
    "ts",
    "attrs",
    "source",
    "call_id",
    "usage",
    "duration_ms",
    "parent",
    crate::event::REFS_FIELD,
];

/// Keys whose string values are file paths.
const PATH_KEYS: [&str; 5] = ["path", "file_path", "filePath", "notebook_path", "filename"];

/// One event's searchable parts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventText {
    /// Its strings, one per line.
    pub text: String,
    /// Its kind.
    pub kind: String,
    /// Its own tool (a tool call's).
    pub tool: Option<String>,
    /// Its call id (a result's tool is its call's).
    pub call: Option<String>,
    /// File paths it names, one per line.
    pub files: String,
    /// Its time.
    pub ts: String,
    /// A failed tool result (found by `kind:error` too).
    pub failed: bool,
}

fn collect(value: &Value, key: Option<&str>, text: &mut String, files: &mut String) {
    match value {
        Value::String(string) if !string.is_empty() => {
            text.push_str(string);
            text.push('\n');
            if key.is_some_and(|key| PATH_KEYS.contains(&key)) {
                files.push_str(string);
                files.push('\n');
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, key, text, files);
            }
        }
        Value::Object(map) => {
            for (inner, item) in map {
                collect(item, Some(inner), text, files);
            }
        }
        _ => {}
    }
}

/// The searchable parts of `event` (as stored); payloads of at most `max_payload` bytes are read back from `store`
/// and searched, larger ones are not.
pub fn event_text(
    store: &dyn ObjectStore,
    event: &Map<String, Value>,
    max_payload: u64,
) -> Result<EventText, payload::PayloadError> {
    let mut resolved;
    let event = match event.get(crate::event::REFS_FIELD) {
        Some(_) => {
            resolved = event.clone();
            let small: Vec<Value> = payload::refs_of(event)?
                .into_iter()
                .filter(|reference| reference.size <= max_payload)
                .map(|reference| {
                    serde_json::json!({
                        "path": reference.path,
                        "blob": reference.blob.to_hex(),
                        "size": reference.size,
                        "media_type": reference.media_type,
                    })
                })
                .collect();
            resolved.insert(crate::event::REFS_FIELD.into(), Value::Array(small));
            payload::resolve(&mut resolved, store)?;
            &resolved
        }
        None => event,
    };
    let string = |field: &str| event.get(field).and_then(Value::as_str).map(str::to_string);
    let mut out = EventText {
        kind: string("kind").unwrap_or_default(),
        tool: string("tool"),
        call: string("call_id"),
        ts: string("ts").unwrap_or_default(),
        failed: event.get("is_error") == Some(&Value::Bool(true)),
        ..EventText::default()
    };
    for (key, value) in event {
        if SKIPPED.contains(&key.as_str()) || key == "kind" || key == "tool" {
            continue;
        }
        collect(value, Some(key), &mut out.text, &mut out.files);
    }
    Ok(out)
}
