//! `hive remote`.

use super::Context;
use super::error::CliError;
use super::output::Output;
use hive::sync::RemoteUrl;
use hive::sync::remote;
use serde_json::json;

/// Manage remotes: the repositories `hive push`, `fetch` and `pull` exchange runs with.
///
/// A remote is a path (a directory on this machine or a shared file system: /mnt/team/agents.hive,
/// file:///mnt/team/agents.hive) or a repository of `hive serve` (http://HOST:PORT/REPO; https:// through a
/// reverse proxy). What a fetch last saw of a remote's runs is kept as remote-tracking references,
/// remotes/NAME/runs/RUN, which `hive log` and `hive diff` accept.
///
/// Example: hive remote add origin http://hive.internal:8474/team --token "$TOKEN"
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Add a remote.
    Add {
        /// Its name (origin is the default remote).
        name: String,
        /// A path, file://PATH, or http(s)://HOST:PORT/REPO.
        url: String,
        /// The token sent to a server, stored in .hive/config (HIVE_TOKEN overrides it).
        #[arg(long)]
        token: Option<String>,
    },
    /// Remove a remote and its remote-tracking references.
    Remove {
        /// Its name.
        name: String,
    },
    /// List the remotes (the default when no subcommand is given).
    List {
        /// Print the list as JSON (docs/JSON.md).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let mut out = Output::new();
    match args.command.unwrap_or(Command::List { json: false }) {
        Command::Add { name, url, token } => {
            let url = RemoteUrl::parse(&url, &context.cwd)?;
            remote::add(&repo, &name, &url, token.as_deref())?;
            super::output::note(format!("added remote {name}: {}", url.to_url()));
        }
        Command::Remove { name } => {
            remote::remove(&repo, &name)?;
            super::output::note(format!("removed remote {name}"));
        }
        Command::List { json } => {
            let remotes = &repo.config().remote;
            if json {
                out.json_pretty(&json!({
                    "remotes": remotes.iter().map(|(name, entry)| json!({
                        "name": name,
                        "url": entry.url,
                        "token": entry.token.is_some(),
                    })).collect::<Vec<_>>()
                }))?;
            } else {
                for (name, entry) in remotes {
                    out.line(format!("{name}\t{}", entry.url))?;
                }
            }
        }
    }
    out.finish()?;
    Ok(0)
}
