//! mini-swe-agent trajectories (`*.traj.json`): one JSON object with `info` (exit status, submission, model
//! stats, config), `messages` (a chat whose assistant messages hold one ```bash block each and whose next user
//! message is that command's output) and `instance_id`. A `results_summary.json` in the file's folder or above
//! says which instances were resolved.
//!
//! | part | events |
//! |---|---|
//! | the object without `messages` | `session_start` (agent `mini-swe-agent`, `session_id` = `instance_id`, the model from `info.config`); `session_end` last (`status`: `success` or `failure` when the results summary names the instance, else `info.exit_status`; `result`: exit status, resolved, cost, API calls) |
//! | `system` message | `custom` named `system_prompt` |
//! | first `user` message | `user_message` (the task) |
//! | `assistant` message | `assistant_message` (the model and token counts from `extra.response`), then `tool_call` (`tool` = `bash`, `input.command` = its last ```bash block) when it has one |
//! | `user` message after a command | `tool_result` of that command |

use super::build::{
    Assembler, custom, session_end, session_start, str_at, text_of, timestamp, tool_call,
    tool_result, usage, with_text,
};
use super::{Context, Format};
use serde_json::{Map, Value, json};

/// Whether a record is a mini-swe-agent trajectory.
pub(super) fn looks_like(record: &Map<String, Value>) -> bool {
    record.get("messages").is_some_and(Value::is_array)
        && (record
            .get("trajectory_format")
            .and_then(Value::as_str)
            .is_some_and(|format| format.starts_with("mini-swe-agent"))
            || record
                .get("info")
                .is_some_and(|info| info.get("exit_status").is_some()))
}

/// The command of an assistant message: its last ```bash (or ```sh) block.
fn command(text: &str) -> Option<&str> {
    let mut found = None;
    let mut rest = text;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let Some(line_end) = after.find('\n') else {
            break;
        };
        let language = after[..line_end].trim();
        let body = &after[line_end + 1..];
        let Some(end) = body.find("```") else {
            break;
        };
        if matches!(language, "bash" | "sh" | "shell") {
            found = Some(body[..end].trim_end());
        }
        rest = &body[end + 3..];
    }
    found
}

/// Converts a trajectory.
pub(super) fn to_events(
    trajectory: &Map<String, Value>,
    context: &Context,
) -> Vec<Map<String, Value>> {
    let info = trajectory.get("info").unwrap_or(&Value::Null);
    let instance = trajectory.get("instance_id").and_then(Value::as_str);
    let model = str_at(info, &["config", "model", "model_name"]);
    let (mut session, items) = Assembler::open_object(
        Format::MiniSweAgent,
        trajectory,
        &["messages"],
        session_start("mini-swe-agent", instance, model, None),
    );
    let mut pending: Option<String> = None;
    let mut steps = 0;
    let mut asked = false;
    for (field, messages) in items {
        for message in messages {
            let content = message.get("content");
            let mut events = Vec::new();
            match message.get("role").and_then(Value::as_str).unwrap_or("") {
                "system" => events.push(custom(
                    "system_prompt",
                    json!({"role": "system", "text": text_of(content)}),
                )),
                "user" => match pending.take() {
                    Some(call) if asked => events.push(tool_result(&call, text_of(content), false)),
                    _ => {
                        asked = true;
                        events.push(with_text("user_message", content));
                    }
                },
                "assistant" => {
                    let response = message.get("extra").and_then(|extra| extra.get("response"));
                    let mut answer = with_text("assistant_message", content);
                    if let Some(model) = response.and_then(|response| str_at(response, &["model"]))
                    {
                        answer.insert("model".into(), model.into());
                    }
                    if let Some(tokens) = response
                        .and_then(|response| response.get("usage"))
                        .and_then(|found| {
                            usage(
                                found,
                                "prompt_tokens",
                                "completion_tokens",
                                "cache_read_tokens",
                                "cache_write_tokens",
                            )
                        })
                    {
                        answer.insert("usage".into(), tokens);
                    }
                    events.push(answer);
                    if let Some(command) = content.and_then(Value::as_str).and_then(command) {
                        let call = format!("step-{steps}");
                        steps += 1;
                        events.push(tool_call(&call, "bash", json!({"command": command})));
                        pending = Some(call);
                    }
                }
                other => events.push(custom(other, Value::Null)),
            }
            let ts = timestamp(message.get("timestamp"));
            session.record(message, Some(field), events, ts.as_deref(), &Map::new());
        }
    }
    let resolved = instance.and_then(|instance| context.resolved.as_ref()?.get(instance).copied());
    let exit_status = str_at(info, &["exit_status"]);
    let status = match resolved {
        Some(true) => Some("success"),
        Some(false) => Some("failure"),
        None => exit_status,
    };
    let stats = info.get("model_stats").unwrap_or(&Value::Null);
    session.trailing(
        vec![session_end(
            status,
            json!({
                "exit_status": exit_status,
                "resolved": resolved,
                "cost_usd": stats.get("instance_cost"),
                "api_calls": stats.get("api_calls"),
            }),
        )],
        None,
    );
    session.finish()
}

#[cfg(test)]
mod tests {
    use super::command;

    #[test]
    fn the_command_is_the_last_bash_block() {
        assert_eq!(
            command("THOUGHT: x\n\n```bash\nls -la\n```"),
            Some("ls -la")
        );
        assert_eq!(
            command("```python\nprint()\n```\n```bash\ncd a && make\n```\n"),
            Some("cd a && make")
        );
        assert_eq!(command("no block"), None);
        assert_eq!(command("```bash\nunterminated"), None);
    }
}
