//! Live capture for Claude Code: the hooks `hive connect claude-code` installs in a `settings.json`, and the
//! events a hook's payload becomes.
//!
//! Installing merges: for each hook event hive listens to, one matcher group holding hive's command is added
//! beside whatever is there. Removing takes out exactly the hook entries whose command is hive's, and the groups,
//! event lists and `hooks` object that become empty by it; everything else in the file stays as it was.

use serde_json::{Map, Value, json};

/// The Claude Code hook events hive listens to.
pub const CLAUDE_CODE_EVENTS: [&str; 7] = [
    "SessionStart",
    "UserPromptSubmit",
    "PostToolUse",
    "PostToolUseFailure",
    "Stop",
    "SubagentStop",
    "SessionEnd",
];

/// Events whose hooks take a tool matcher.
const MATCHED: [&str; 2] = ["PostToolUse", "PostToolUseFailure"];

/// Why a settings file cannot take the hooks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookError {
    /// The file is not a JSON object, or its `hooks` is not shaped as Claude Code reads it.
    #[error("{0}")]
    Settings(String),
    /// A hook's input lacks a field every hook input has.
    #[error("{0}")]
    Input(String),
}

/// A settings file's text with `hooks` changed by `change` and everything else as it was: the other top-level
/// keys keep their order and their exact text. A file that does not exist or is blank counts as `{}`.
pub fn edit_settings(
    text: &str,
    change: impl FnOnce(&mut Value) -> Result<Change, HookError>,
) -> Result<(String, Change), HookError> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    let top: Ordered = serde_json::from_str(text)
        .map_err(|error| HookError::Settings(format!("it is not a JSON object ({error})")))?;
    let mut settings = json!({});
    if let Some((_, raw)) = top.0.iter().find(|(key, _)| key == "hooks") {
        let hooks: Value = serde_json::from_str(raw.get()).map_err(|error| {
            HookError::Settings(format!("its \"hooks\" cannot be read ({error})"))
        })?;
        settings["hooks"] = hooks;
    }
    let made = change(&mut settings)?;
    let hooks = settings.get("hooks").map(|hooks| {
        let pretty = serde_json::to_string_pretty(hooks).expect("JSON serializes");
        pretty.replace('\n', "\n  ")
    });
    let mut out = String::from("{\n");
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut placed = false;
    for (key, raw) in &top.0 {
        if key == "hooks" {
            placed = true;
            if let Some(hooks) = &hooks {
                entries.push((key.clone(), hooks.clone()));
            }
        } else {
            entries.push((key.clone(), raw.get().to_string()));
        }
    }
    if !placed && let Some(hooks) = hooks {
        entries.push(("hooks".into(), hooks));
    }
    for (index, (key, value)) in entries.iter().enumerate() {
        out.push_str("  ");
        out.push_str(&serde_json::to_string(key).expect("a string serializes"));
        out.push_str(": ");
        out.push_str(value);
        out.push_str(if index + 1 < entries.len() {
            ",\n"
        } else {
            "\n"
        });
    }
    out.push_str("}\n");
    Ok((out, made))
}

/// A JSON object's entries in file order, each value as its exact text.
struct Ordered(Vec<(String, Box<serde_json::value::RawValue>)>);

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Ordered;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

/// What installing or removing changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Change {
    /// Hook events that got hive's command (install) or lost it (remove).
    pub events: Vec<String>,
}

fn hooks_of(settings: &mut Value) -> Result<&mut Map<String, Value>, HookError> {
    let Value::Object(object) = settings else {
        return Err(HookError::Settings(
            "the settings file is not a JSON object".into(),
        ));
    };
    match object
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()))
    {
        Value::Object(hooks) => Ok(hooks),
        _ => Err(HookError::Settings("its \"hooks\" is not an object".into())),
    }
}

/// Whether a matcher group already runs `command`.
fn runs_command(group: &Value, command: &str) -> bool {
    group
        .get("hooks")
        .and_then(Value::as_array)
        .is_some_and(|hooks| hooks.iter().any(|hook| is_ours(hook, command)))
}

/// Adds `command` to every event of [`CLAUDE_CODE_EVENTS`] that does not run it yet.
pub fn install(settings: &mut Value, command: &str) -> Result<Change, HookError> {
    let hooks = hooks_of(settings)?;
    let mut change = Change::default();
    for event in CLAUDE_CODE_EVENTS {
        let groups = hooks
            .entry(event)
            .or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(groups) = groups else {
            return Err(HookError::Settings(format!(
                "its \"hooks\".\"{event}\" is not a list"
            )));
        };
        if groups.iter().any(|group| runs_command(group, command)) {
            continue;
        }
        let mut group = Map::new();
        if MATCHED.contains(&event) {
            group.insert("matcher".into(), "*".into());
        }
        group.insert(
            "hooks".into(),
            json!([{"type": "command", "command": command}]),
        );
        groups.push(Value::Object(group));
        change.events.push(event.to_string());
    }
    Ok(change)
}

/// Whether a hook's command is `command`, or `command` with further arguments.
fn is_ours(hook: &Value, command: &str) -> bool {
    hook.get("command")
        .and_then(Value::as_str)
        .is_some_and(|text| {
            text == command
                || text
                    .strip_prefix(command)
                    .is_some_and(|rest| rest.starts_with(' '))
        })
}

/// Removes every hook entry that runs `command` (with or without further arguments), and what becomes empty by
/// it.
pub fn remove(settings: &mut Value, command: &str) -> Result<Change, HookError> {
    let mut change = Change::default();
    let Value::Object(object) = settings else {
        return Err(HookError::Settings(
            "the settings file is not a JSON object".into(),
        ));
    };
    let Some(Value::Object(hooks)) = object.get_mut("hooks") else {
        return Ok(change);
    };
    let names: Vec<String> = hooks.keys().cloned().collect();
    for name in names {
        let Some(Value::Array(groups)) = hooks.get_mut(&name) else {
            continue;
        };
        let mut removed = false;
        groups.retain_mut(|group| {
            let Some(Value::Array(entries)) = group.get_mut("hooks") else {
                return true;
            };
            let before = entries.len();
            entries.retain(|hook| !is_ours(hook, command));
            if entries.len() == before {
                return true;
            }
            removed = true;
            !entries.is_empty()
        });
        if removed {
            change.events.push(name.clone());
            if groups.is_empty() {
                hooks.remove(&name);
            }
        }
    }
    if !change.events.is_empty() && hooks.is_empty() {
        object.remove("hooks");
    }
    Ok(change)
}

/// The fields every Claude Code hook payload has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookInput {
    /// `hook_event_name`.
    pub event: String,
    /// `session_id`.
    pub session_id: String,
    /// `transcript_path`: the session's transcript.
    pub transcript_path: Option<String>,
    /// `cwd`.
    pub cwd: Option<String>,
}

impl HookInput {
    /// Reads the common fields of a payload.
    pub fn parse(payload: &Value) -> Result<HookInput, HookError> {
        let text = |field: &str| {
            payload
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let event = text("hook_event_name")
            .ok_or_else(|| HookError::Input("the hook input has no \"hook_event_name\"".into()))?;
        let session_id = text("session_id")
            .ok_or_else(|| HookError::Input("the hook input has no \"session_id\"".into()))?;
        Ok(HookInput {
            event,
            session_id,
            transcript_path: text("transcript_path"),
            cwd: text("cwd"),
        })
    }
}

/// The events a hook payload stands for, staged until the transcript is read at `Stop`/`SessionEnd`: a prompt, a
/// tool's call and result, a failure, the session's start and end. Each carries `attrs.hook` (the hook event).
pub fn payload_events(payload: &Value) -> Vec<Map<String, Value>> {
    let text = |field: &str| payload.get(field).cloned().unwrap_or(Value::Null);
    let event = payload
        .get("hook_event_name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let tool_id = payload
        .get("tool_use_id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut events: Vec<Value> = match event {
        "SessionStart" => vec![json!({
            "kind": "session_start", "agent": "claude-code",
            "session_id": text("session_id"), "cwd": text("cwd"),
            "attrs": {"source": text("source")},
        })],
        "UserPromptSubmit" => vec![json!({"kind": "user_message", "text": text("prompt")})],
        "PostToolUse" => vec![
            json!({"kind": "tool_call", "call_id": tool_id, "tool": text("tool_name"), "input": text("tool_input")}),
            json!({"kind": "tool_result", "call_id": tool_id, "output": text("tool_response"), "is_error": false}),
        ],
        "PostToolUseFailure" => vec![
            json!({"kind": "tool_call", "call_id": tool_id, "tool": text("tool_name"), "input": text("tool_input")}),
            json!({"kind": "tool_result", "call_id": tool_id, "output": text("error"), "is_error": true}),
        ],
        "Stop" | "SubagentStop" => vec![json!({"kind": "checkpoint", "status": event})],
        "SessionEnd" => vec![json!({"kind": "session_end", "status": text("reason")})],
        other => vec![json!({"kind": "custom", "name": other})],
    };
    for event_value in &mut events {
        if let Value::Object(fields) = event_value {
            fields.retain(|_, value| !value.is_null());
            let attrs = fields
                .entry("attrs")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(attrs) = attrs {
                attrs.retain(|_, value| !value.is_null());
                attrs.insert("hook".into(), event.into());
            }
        }
    }
    events
        .into_iter()
        .filter_map(|value| match value {
            Value::Object(fields) => Some(fields),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_merges_and_remove_takes_out_exactly_what_was_added() {
        let original = json!({
            "model": "opus",
            "hooks": {
                "PostToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "lint.sh"}]}],
                "Notification": [{"hooks": [{"type": "command", "command": "notify"}]}]
            }
        });
        let mut settings = original.clone();
        let added = install(&mut settings, "hive hook claude-code").unwrap();
        assert_eq!(added.events.len(), CLAUDE_CODE_EVENTS.len());
        assert_eq!(
            settings["hooks"]["PostToolUse"].as_array().unwrap().len(),
            2
        );
        assert_eq!(
            settings["hooks"]["PostToolUse"][0],
            original["hooks"]["PostToolUse"][0]
        );
        assert_eq!(
            settings["hooks"]["Stop"][0]["hooks"][0]["command"],
            "hive hook claude-code"
        );
        // Installing again changes nothing.
        let again = settings.clone();
        assert!(
            install(&mut settings, "hive hook claude-code")
                .unwrap()
                .events
                .is_empty()
        );
        assert_eq!(settings, again);
        let removed = remove(&mut settings, "hive hook claude-code").unwrap();
        assert_eq!(removed.events.len(), CLAUDE_CODE_EVENTS.len());
        assert_eq!(settings, original);
        // On an empty file, removing leaves it empty.
        let mut empty = json!({});
        install(&mut empty, "hive hook claude-code").unwrap();
        remove(&mut empty, "hive hook claude-code").unwrap();
        assert_eq!(empty, json!({}));
        assert!(install(&mut json!([1]), "x").is_err());
        assert!(install(&mut json!({"hooks": {"Stop": 3}}), "x").is_err());
    }

    #[test]
    fn editing_keeps_other_keys_in_order_and_as_written() {
        let text = "{\n  \"zeta\": [1,   2],\n  \"alpha\": {\"b\": 1, \"a\": 2}\n}\n";
        let (installed, _) =
            edit_settings(text, |settings| install(settings, "hive hook claude-code")).unwrap();
        assert!(
            installed.starts_with(
                "{\n  \"zeta\": [1,   2],\n  \"alpha\": {\"b\": 1, \"a\": 2},\n  \"hooks\": {"
            ),
            "{installed}"
        );
        let (removed, change) = edit_settings(&installed, |settings| {
            remove(settings, "hive hook claude-code")
        })
        .unwrap();
        assert_eq!(change.events.len(), CLAUDE_CODE_EVENTS.len());
        assert_eq!(removed, text);
        let (fresh, _) = edit_settings("", |settings| install(settings, "x")).unwrap();
        serde_json::from_str::<Value>(&fresh).unwrap();
        assert!(edit_settings("[]", |settings| install(settings, "x")).is_err());
    }

    #[test]
    fn payloads_become_staged_events() {
        let events = payload_events(&json!({
            "hook_event_name": "PostToolUse", "session_id": "s", "tool_name": "Bash",
            "tool_input": {"command": "ls"}, "tool_response": {"stdout": "a"}, "tool_use_id": "t1"
        }));
        assert_eq!(events.len(), 2);
        assert_eq!(events[0]["tool"], "Bash");
        assert_eq!(events[1]["output"]["stdout"], "a");
        assert_eq!(events[1]["attrs"]["hook"], "PostToolUse");
        let prompt = payload_events(
            &json!({"hook_event_name": "UserPromptSubmit", "session_id": "s", "prompt": "hi"}),
        );
        assert_eq!(prompt[0]["text"], "hi");
    }
}
