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
//! `attrs.agent_id` for sub-agent records, and `attrs.subagent` for the result of a Task call that ran one).

use super::Format;
use super::build::{
    Assembler, Container, custom, event, text_of, timestamp, usage as counts, with_text,
};
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

/// Record types no other format has.
const OWN_TYPES: [&str; 3] = ["file-history-snapshot", "queue-operation", "last-prompt"];

/// Whether a first record looks like Claude Code's.
pub(super) fn looks_like(record: &Map<String, Value>) -> bool {
    let kind = record.get("type").and_then(Value::as_str).unwrap_or("");
    // `sessionId` with a `type` is Claude Code's whatever the type (new record types appear with new versions).
    OWN_TYPES.contains(&kind)
        || (!kind.is_empty() && record.get("sessionId").is_some_and(Value::is_string))
        || (RECORD_TYPES.contains(&kind)
            && IDENTIFYING_FIELDS
                .iter()
                .any(|field| record.contains_key(*field)))
}

/// Maps Claude Code's usage to hive's token counts.
fn usage(value: &Value) -> Option<Value> {
    counts(
        value,
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
    )
}

/// A later branch of a transcript's `parentUuid` tree.
pub(super) struct TreeBranch {
    /// The start of the uuid of its first record (more of it when two branches start alike).
    pub name: String,
    /// The branch it grew from: 0 for the first, `n` for the `n`th of those returned.
    pub from: usize,
    /// Its conversation, as indexes into the records: those of the branch it grew from up to where they part,
    /// then its own.
    pub records: Vec<usize>,
    /// Where its own records start in `records`.
    own: usize,
}

/// Whether a record is a turn of the main conversation: a message, not a sub-agent's record, an attachment,
/// progress, or what a local command (`/clear`, `!ls`) and its caveat leave, which Claude Code hangs from whatever
/// message it likes and the model never answers on its own.
fn is_turn(record: &Value) -> bool {
    matches!(
        record.get("type").and_then(Value::as_str),
        Some("user" | "assistant")
    ) && record.get("isSidechain") != Some(&Value::Bool(true))
        && record.get("isMeta") != Some(&Value::Bool(true))
        && !is_local_command(record)
}

/// The tags that open what a local command leaves in the transcript: the command, its output, shell input and
/// output.
const LOCAL_COMMAND_TAGS: [&str; 8] = [
    "<command-name>",
    "<command-message>",
    "<local-command-stdout>",
    "<local-command-stderr>",
    "<local-command-caveat>",
    "<bash-input>",
    "<bash-stdout>",
    "<bash-stderr>",
];

/// Whether a user record is a local command or its output rather than a prompt.
fn is_local_command(record: &Value) -> bool {
    let content = record.pointer("/message/content");
    let text = match content {
        Some(Value::String(text)) => Some(text.as_str()),
        Some(Value::Array(blocks)) => blocks.iter().find_map(|block| {
            (block.get("type").and_then(Value::as_str) == Some("text"))
                .then(|| block.get("text").and_then(Value::as_str))
                .flatten()
        }),
        _ => None,
    };
    text.is_some_and(|text| {
        let text = text.trim_start();
        LOCAL_COMMAND_TAGS.iter().any(|tag| text.starts_with(tag))
    })
}

/// The branches of a transcript's conversation after the first. Records link to their parent by `parentUuid`; a
/// turn whose parent already has a turn after it that the model answered (a prompt edited, a conversation rewound)
/// starts a branch. Each record goes to its parent's branch, or, without a known parent, to the branch of the record
/// before it.
pub(super) fn branches(records: &[Value]) -> Vec<TreeBranch> {
    // Per branch (0: the first): its records; and for each uuid, its branch; for each parent with a turn after it,
    // where that turn sits in its branch.
    let mut lines: Vec<Vec<usize>> = vec![Vec::new()];
    let mut found: Vec<TreeBranch> = Vec::new();
    let mut branch_of: HashMap<&str, usize> = HashMap::new();
    let mut first_turn: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut current = 0;
    for (index, record) in records.iter().enumerate() {
        let parent = record
            .get("parentUuid")
            .and_then(Value::as_str)
            .and_then(|parent| Some((parent, *branch_of.get(parent)?)));
        let line = match parent {
            None => current,
            Some((parent, line)) if is_turn(record) => match first_turn.get(parent) {
                None => {
                    first_turn.insert(parent, (line, lines[line].len()));
                    line
                }
                // A later turn under the same parent parts from the conversation only when the model answered
                // on the way it parts from; local commands (`/status`, `/clear`) hang from one message by design.
                Some(&(from, at))
                    if lines[from][at..].iter().any(|&earlier| {
                        records[earlier].get("type").and_then(Value::as_str) == Some("assistant")
                    }) =>
                {
                    let uuid = record.get("uuid").and_then(Value::as_str).unwrap_or("");
                    let mut name =
                        crate::refs::clean_component(&uuid.chars().take(8).collect::<String>());
                    if name.is_empty() || found.iter().any(|branch| branch.name == name) {
                        name =
                            format!("{}-{}", crate::refs::clean_component(uuid), found.len() + 1);
                    }
                    lines.push(lines[from][..at].to_vec());
                    found.push(TreeBranch {
                        name,
                        from,
                        records: Vec::new(),
                        own: at,
                    });
                    lines.len() - 1
                }
                Some(_) => line,
            },
            Some((_, line)) => line,
        };
        lines[line].push(index);
        if let Some(uuid) = record.get("uuid").and_then(Value::as_str) {
            branch_of.entry(uuid).or_insert(line);
        }
        current = line;
    }
    for (branch, records) in found.iter_mut().zip(lines.into_iter().skip(1)) {
        branch.records = records;
    }
    // Only a branch the model answered in is a fork of the conversation (a shell command run with `!` also hangs
    // from the first message); one that is not stays in the transcript's run only, and a branch of it counts as a
    // branch of what it grew from.
    let mut kept: Vec<TreeBranch> = Vec::new();
    // For each branch found, the index it has in `kept` (0 for the first branch), or what it grew from.
    let mut index_of: Vec<usize> = Vec::with_capacity(found.len());
    for branch in found {
        let from = if branch.from == 0 {
            0
        } else {
            index_of[branch.from - 1]
        };
        let answered = branch.records[branch.own..]
            .iter()
            .any(|&index| records[index].get("type").and_then(Value::as_str) == Some("assistant"));
        if answered {
            kept.push(TreeBranch { from, ..branch });
            index_of.push(kept.len());
        } else {
            index_of.push(from);
        }
    }
    kept
}

/// Converts a transcript's records, in order.
pub(super) fn to_events(records: &[Value], container: Container) -> Vec<Map<String, Value>> {
    let mut session = Assembler::new(Format::ClaudeCode, container);
    let empty = Map::new();
    // The session's id and folder, from the first record that names them (a transcript may open with a summary).
    let named = |field: &str| {
        records
            .iter()
            .find_map(|record| record.get(field).and_then(Value::as_str))
    };
    let (session_id, cwd) = (named("sessionId"), named("cwd"));
    // Which message ids have had their usage counted.
    let mut counted: HashSet<String> = HashSet::new();
    for value in records {
        let record = value.as_object().unwrap_or(&empty);
        let mut events = Vec::new();
        if session.is_empty() {
            events.push(super::build::session_start(
                "claude-code",
                session_id,
                None,
                cwd,
            ));
        }
        if value.is_object() {
            events.extend(record_events(record, &mut counted));
        }
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
        // A Task (agent) call's result names the sub-agent it ran, whose transcript is `agent-<id>.jsonl`.
        if let Some(Value::String(agent)) = record
            .get("toolUseResult")
            .and_then(|result| result.get("agentId"))
        {
            attrs.insert("subagent".into(), agent.clone().into());
        }
        let ts = timestamp(record.get("timestamp"));
        // A stray line that is not a record at all is kept as it is, in an event of its own.
        if !value.is_object() {
            events.push(custom("record", Value::Null));
        }
        session.record(value, None, events, ts.as_deref(), &attrs);
    }
    session.finish()
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
