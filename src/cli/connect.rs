//! `hive connect`.

use super::Context;
use super::error::{CliError, code};
use super::output::Output;
use hive::Repository;
use hive::hooks::{self, Change};
use serde_json::json;
use std::path::PathBuf;

/// Capture every later session of an agent: install hive's hooks into its settings.
///
/// For Claude Code, hooks on SessionStart, UserPromptSubmit, PostToolUse, PostToolUseFailure, Stop,
/// SubagentStop and SessionEnd run `hive hook claude-code`, which stages what each hook reports and, when the
/// agent stops, commits the session from its transcript (docs/CAPTURE.md, "Live capture"). The hooks are merged
/// into the settings file: what is there stays, and `hive disconnect` removes exactly what was added.
///
/// --scope project (the default) writes `.claude/settings.json` of this project (the folder of its `.hivemind`,
/// or the one holding `.hive`); its sessions go to the repository found from where the agent runs. --scope user
/// writes `~/.claude/settings.json` (or `$CLAUDE_CONFIG_DIR/settings.json`); the sessions of every project go to
/// this repository.
///
/// Example: hive connect claude-code
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent: claude-code.
    #[arg(value_parser = ["claude-code"])]
    agent: String,
    /// Which settings file: project or user.
    #[arg(long, default_value = "project", value_parser = ["project", "user"])]
    scope: String,
    /// The command the hooks run (default: `hive hook claude-code`, with `--repo` for --scope user).
    #[arg(long)]
    command: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// The settings file of `scope`; `repo` gives the project's and is opened only for --scope project.
pub(super) fn settings_path(
    scope: &str,
    context: &Context,
    repo: Option<&Repository>,
) -> Result<PathBuf, CliError> {
    if scope == "user" {
        let dir = match std::env::var_os("CLAUDE_CONFIG_DIR") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => {
                let home = std::env::var_os("HOME")
                    .filter(|home| !home.is_empty())
                    .ok_or_else(|| {
                        CliError::new(
                            code::USAGE,
                            "HOME is not set, so the user's Claude Code settings cannot be found",
                            "set HOME, or CLAUDE_CONFIG_DIR to the folder holding settings.json",
                        )
                    })?;
                PathBuf::from(home).join(".claude")
            }
        };
        return Ok(dir.join("settings.json"));
    }
    let opened;
    let repo = match repo {
        Some(repo) => repo,
        None => {
            opened = context.repo()?;
            &opened
        }
    };
    let project = match repo.project() {
        Some((file, _)) => file.parent().map(PathBuf::from),
        None => repo.dir().parent().map(PathBuf::from),
    }
    .unwrap_or_else(|| context.cwd.clone());
    Ok(project.join(".claude").join("settings.json"))
}

/// Applies `change` to the settings file at `path`, writing it only when something changed.
pub(super) fn edit(
    path: &std::path::Path,
    change: impl FnOnce(&mut serde_json::Value) -> Result<Change, hooks::HookError>,
) -> Result<Change, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => {
            return Err(CliError::new(
                code::SYSTEM,
                format!("cannot read {}: {error}", path.display()),
                "check the file's permissions",
            ));
        }
    };
    let (edited, made) = hooks::edit_settings(&text, change).map_err(|error| {
        CliError::new(
            code::BAD_INPUT,
            format!("{}: {error}", path.display()),
            "fix the settings file (it must be a JSON object, with \"hooks\" as Claude Code documents it); nothing was changed",
        )
    })?;
    if !made.events.is_empty() {
        // Through a symbolic link to the file it names (dotfiles setups link settings.json), keeping its mode.
        let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mode = std::fs::metadata(&target)
            .ok()
            .map(|meta| meta.permissions());
        let dir = target.parent().expect("a settings file is in a folder");
        hive::fsutil::create_dir_all(dir).map_err(hive::repo::RepoError::from)?;
        hive::fsutil::write_atomic(&target, edited.as_bytes(), true)
            .map_err(hive::repo::RepoError::from)?;
        if let Some(mode) = mode {
            let _ = std::fs::set_permissions(&target, mode);
        }
    }
    Ok(made)
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let path = settings_path(&args.scope, context, Some(&repo))?;
    let command = args.command.unwrap_or_else(|| {
        if args.scope == "user" {
            format!(
                "hive hook claude-code --repo '{}'",
                repo.dir().display().to_string().replace('\'', "'\\''")
            )
        } else {
            "hive hook claude-code".to_string()
        }
    });
    let made = edit(&path, |settings| hooks::install(settings, &command))?;
    let mut out = Output::new();
    if args.json {
        out.json(&json!({"settings": path.display().to_string(), "command": command, "added": made.events}))?;
    } else if made.events.is_empty() {
        out.line(format!("hive's hooks are already in {}", path.display()))?;
    } else {
        out.line(format!(
            "added `{command}` to {} in {}",
            made.events.join(", "),
            path.display()
        ))?;
        out.line("every new Claude Code session is captured; `hive disconnect claude-code` removes the hooks")?;
    }
    out.finish()?;
    Ok(0)
}
