//! `hive token`.

use super::Context;
use super::error::{CliError, code};
use super::output::Output;
use hive::server::token::{self, TokenError};
use serde_json::json;
use std::path::PathBuf;

/// Manage the tokens of a `hive serve` root.
///
/// A token carries grants LEVEL:REPO[:PREFIX]: LEVEL is read, write (also create runs and move them forward) or
/// admin (also force, delete, and create the repository by pushing to it); REPO is a repository under the root
/// or * for all; PREFIX limits the grant to runs and workspaces whose names start with it (write:team:alice/).
/// The token is printed once, by create; the file keeps only its hash. A revoked token stops working at the
/// server's next request.
///
/// Example: hive token create --root /srv/hive --name alice --grant write:team:alice/ --grant read:team
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct Where {
    /// The directory `hive serve` serves.
    #[arg(long)]
    root: PathBuf,
    /// The tokens file (default: ROOT/.tokens.json).
    #[arg(long)]
    tokens: Option<PathBuf>,
    /// Print the result as JSON (docs/JSON.md).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Make a token and print it (once).
    Create {
        #[command(flatten)]
        place: Where,
        /// A name for people (who holds it).
        #[arg(long)]
        name: String,
        /// A grant, LEVEL:REPO[:PREFIX]; repeat for several.
        #[arg(long = "grant", required = true)]
        grants: Vec<String>,
    },
    /// List the tokens (never their secrets).
    List {
        #[command(flatten)]
        place: Where,
    },
    /// Revoke a token by id or name.
    Revoke {
        #[command(flatten)]
        place: Where,
        /// Its id or name.
        token: String,
    },
}

impl Where {
    fn path(&self, context: &Context) -> PathBuf {
        self.tokens
            .as_ref()
            .map(|path| context.cwd.join(path))
            .unwrap_or_else(|| context.cwd.join(&self.root).join(".tokens.json"))
    }
}

fn failed(error: TokenError) -> CliError {
    let (code, hint) = match &error {
        TokenError::Io(_) => (code::SYSTEM, "check the path and its permissions"),
        TokenError::Corrupt { .. } => (
            code::CORRUPT,
            "restore the file from a backup, or fix the JSON by hand",
        ),
        TokenError::Unknown(_) => (
            code::NOT_FOUND,
            "`hive token list --root DIR` lists the tokens",
        ),
        TokenError::Exists(_) => (
            code::CONFLICT,
            "choose another name, or revoke the old token first",
        ),
        TokenError::BadGrant { .. } => (
            code::USAGE,
            "for example --grant write:team:alice/ or --grant read:*",
        ),
        TokenError::Random(_) => (code::SYSTEM, "the system's random source failed; try again"),
    };
    CliError::new(code, error.to_string(), hint)
}

fn entry_json(entry: &token::TokenEntry) -> serde_json::Value {
    json!({
        "id": entry.id,
        "name": entry.name,
        "created": entry.created,
        "grants": entry.grants.iter().map(grant_text).collect::<Vec<_>>(),
    })
}

fn grant_text(grant: &hive::sync::Grant) -> String {
    if grant.prefix.is_empty() {
        format!("{}:{}", grant.level, grant.repo)
    } else {
        format!("{}:{}:{}", grant.level, grant.repo, grant.prefix)
    }
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let mut out = Output::new();
    match args.command {
        Command::Create {
            place,
            name,
            grants,
        } => {
            let grants = grants
                .iter()
                .map(|grant| token::parse_grant(grant))
                .collect::<Result<Vec<_>, _>>()
                .map_err(failed)?;
            let (entry, secret) =
                token::create(&place.path(context), &name, grants).map_err(failed)?;
            if place.json {
                let mut value = entry_json(&entry);
                value["token"] = json!(secret);
                out.json_pretty(&value)?;
            } else {
                out.line(&secret)?;
                super::output::note(format!(
                    "token {} ({}) created: {}; this is the only time it is shown",
                    entry.id,
                    entry.name,
                    entry
                        .grants
                        .iter()
                        .map(grant_text)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        Command::List { place } => {
            let tokens = token::list(&place.path(context)).map_err(failed)?;
            if place.json {
                out.json_pretty(
                    &json!({"tokens": tokens.iter().map(entry_json).collect::<Vec<_>>()}),
                )?;
            } else {
                for entry in &tokens {
                    out.line(format!(
                        "{}  {}  {}  {}",
                        entry.id,
                        entry.name,
                        entry.created,
                        entry
                            .grants
                            .iter()
                            .map(grant_text)
                            .collect::<Vec<_>>()
                            .join(" ")
                    ))?;
                }
            }
        }
        Command::Revoke {
            place,
            token: which,
        } => {
            let entry = token::revoke(&place.path(context), &which).map_err(failed)?;
            if place.json {
                out.json_pretty(&entry_json(&entry))?;
            } else {
                super::output::note(format!("revoked token {} ({})", entry.id, entry.name));
            }
        }
    }
    out.finish()?;
    Ok(0)
}
