//! `hive memory`.

use super::Context;
use super::error::{CliError, code};
use super::output::{Output, short};
use hive::Repository;
use hive::repo::{DEFAULT_WORKSPACE, StateEntry};
use serde_json::{Value, json};

/// Read and write a workspace's memory: entries of a key, a JSON value and tags.
///
/// The workspace is --workspace, else the one `.hivemind` names, else `main` (created on the first `set`). Each
/// write is a commit on the workspace; a read sees only what the workspace holds (its own writes and what it
/// inherited or was given by update, promote or merge), never what a sibling wrote.
///
/// Example: hive memory set build.command '"cargo test --workspace"' --tag build
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Set a key: VALUE is read as JSON when it is JSON (5, true, {"a":1}, "quoted"), else kept as a string.
    Set {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Keep VALUE as a string even when it is JSON.
        #[arg(long)]
        string: bool,
        /// Tags of the entry (repeat for several); `hive promote --tag` selects by them.
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// The workspace.
        #[arg(long, short)]
        workspace: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a key's value (a string as it is, anything else as JSON); exit 4 when it is not there.
    Get {
        /// The key.
        key: String,
        /// The workspace.
        #[arg(long, short)]
        workspace: Option<String>,
        /// Print the entry as JSON: {"key", "value", "tags"}.
        #[arg(long)]
        json: bool,
    },
    /// List the entries, or those with one of the tags.
    List {
        /// Only entries with this tag (repeat: any of them).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// The workspace.
        #[arg(long, short)]
        workspace: Option<String>,
        /// Print one JSON object per entry (JSON Lines).
        #[arg(long)]
        json: bool,
    },
    /// Remove a key.
    Rm {
        /// The key.
        key: String,
        /// The workspace.
        #[arg(long, short)]
        workspace: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn workspace_of(repo: &Repository, given: Option<String>) -> String {
    given
        .or_else(|| repo.workspace())
        .unwrap_or_else(|| DEFAULT_WORKSPACE.to_string())
}

fn entry_json(key: &str, entry: &StateEntry) -> Value {
    json!({"key": key, "value": entry.value, "tags": entry.tags})
}

/// A value on one line for a listing.
fn brief(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(79).collect::<String>())
    } else {
        text
    }
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let mut out = Output::new();
    match args.command {
        Command::Set {
            key,
            value,
            string,
            tags,
            workspace,
            json,
        } => {
            let workspace = workspace_of(&repo, workspace);
            let value = if string {
                Value::String(value)
            } else {
                serde_json::from_str(&value).unwrap_or(Value::String(value))
            };
            if value.is_null() {
                return Err(CliError::new(
                    code::USAGE,
                    "a memory value cannot be null",
                    format!("`hive memory rm {key}` removes a key"),
                ));
            }
            let outcome = repo.memory_write(&workspace, &key, Some(&value), &tags)?;
            if json {
                out.json(&json!({
                    "workspace": workspace, "key": key, "head": outcome.head.to_hex(), "changed": outcome.changed,
                }))?;
            } else if outcome.changed {
                out.line(format!(
                    "set {key} in {workspace} (commit {})",
                    short(&outcome.head)
                ))?;
            } else {
                out.line(format!("{key} in {workspace} is already so"))?;
            }
        }
        Command::Get {
            key,
            workspace,
            json,
        } => {
            let workspace = workspace_of(&repo, workspace);
            let entry =
                repo.memory_get(&workspace, &key)?
                    .ok_or_else(|| hive::RepoError::NoSuchKey {
                        workspace: workspace.clone(),
                        key: key.clone(),
                    })?;
            if json {
                out.json(&entry_json(&key, &entry))?;
            } else {
                match &entry.value {
                    Value::String(text) => out.line(text)?,
                    other => out.json_pretty(other)?,
                }
            }
        }
        Command::List {
            tags,
            workspace,
            json,
        } => {
            let workspace = workspace_of(&repo, workspace);
            for (key, entry) in repo.memory_list(&workspace, &tags)? {
                if json {
                    out.json(&entry_json(&key, &entry))?;
                } else {
                    let tags = if entry.tags.is_empty() {
                        String::new()
                    } else {
                        format!("  [{}]", entry.tags.join(", "))
                    };
                    out.line(format!("{key} = {}{tags}", brief(&entry.value)))?;
                }
            }
        }
        Command::Rm {
            key,
            workspace,
            json,
        } => {
            let workspace = workspace_of(&repo, workspace);
            let outcome = repo.memory_write(&workspace, &key, None, &[])?;
            if json {
                out.json(&json!({"workspace": workspace, "key": key, "head": outcome.head.to_hex(), "changed": true}))?;
            } else {
                out.line(format!(
                    "removed {key} from {workspace} (commit {})",
                    short(&outcome.head)
                ))?;
            }
        }
    }
    out.finish()?;
    Ok(0)
}
