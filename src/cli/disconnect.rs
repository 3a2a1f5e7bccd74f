//! `hive disconnect`.

use super::Context;
use super::error::CliError;
use super::output::Output;
use hive::hooks;
use serde_json::json;

/// Stop capturing an agent's sessions: remove the hooks `hive connect` installed.
///
/// Removes exactly the hook entries that run `hive hook claude-code` (with whatever arguments), and the groups
/// and lists that become empty by it; the rest of the settings file is left as it is.
///
/// Example: hive disconnect claude-code
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent: claude-code.
    #[arg(value_parser = ["claude-code"])]
    agent: String,
    /// Which settings file: project or user.
    #[arg(long, default_value = "project", value_parser = ["project", "user"])]
    scope: String,
    /// The command the hooks run, if `hive connect --command` changed it.
    #[arg(long, default_value = "hive hook claude-code")]
    command: String,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let path = super::connect::settings_path(&args.scope, context, None)?;
    let made = super::connect::edit(&path, |settings| hooks::remove(settings, &args.command))?;
    let mut out = Output::new();
    if args.json {
        out.json(&json!({"settings": path.display().to_string(), "removed": made.events}))?;
    } else if made.events.is_empty() {
        out.line(format!("no hook of hive's in {}", path.display()))?;
    } else {
        out.line(format!(
            "removed hive's hooks from {} in {}",
            made.events.join(", "),
            path.display()
        ))?;
    }
    out.finish()?;
    Ok(0)
}
