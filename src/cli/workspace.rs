//! `hive workspace`.

use super::Context;
use super::error::CliError;
use super::output::{Output, merge_report, short};
use hive::repo::{MergeOptions, Strategy, WorkspaceInfo};
use serde_json::json;

/// Create, list, delete and update workspaces: branches that hold memory (`hive memory`).
///
/// A workspace created with --inherit starts with its parent's memory and history (nothing is copied) and writes
/// only to itself; `hive workspace update` brings in what the parent learned since, and `hive promote` sends what
/// it learned up to the parent.
///
/// Example: hive workspace create alice --inherit main
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Create a workspace, empty or inheriting another's memory and history.
    Create {
        /// Its name.
        name: String,
        /// The workspace it inherits from.
        #[arg(long, value_name = "PARENT")]
        inherit: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the workspaces as a tree of who inherits from whom.
    List {
        /// Print one JSON object per workspace (JSON Lines).
        #[arg(long)]
        json: bool,
    },
    /// Delete a workspace; what only it held is deleted from disk by the next `hive gc`.
    Delete {
        /// Its name.
        name: String,
        /// Delete it even when others inherit from it.
        #[arg(long)]
        force: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Bring the parent's newer memory into a workspace (a three-way merge; conflicts are reported).
    Update {
        /// The workspace.
        name: String,
        /// Settle keys both changed: keep ours, or take the parent's.
        #[arg(long, value_enum)]
        strategy: Option<StrategyArg>,
        /// Show what would change without changing it.
        #[arg(long)]
        dry_run: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The options promote and merge share.
#[derive(Debug, clap::Args)]
pub struct MergeFlags {
    /// Only entries with this tag (repeat: any of them).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Settle keys both changed: keep ours (the target's), or take theirs (the source's).
    #[arg(long, value_enum)]
    strategy: Option<StrategyArg>,
    /// Show what would change without changing it.
    #[arg(long)]
    dry_run: bool,
    /// Print the result as JSON (docs/JSON.md).
    #[arg(long)]
    pub json: bool,
}

impl MergeFlags {
    /// The library's options, for a merge named `action` in commit messages.
    pub fn options(&self, action: &str) -> MergeOptions {
        MergeOptions {
            tags: self.tags.clone(),
            strategy: StrategyArg::strategy(self.strategy),
            dry_run: self.dry_run,
            action: action.into(),
            record: false,
        }
    }
}

/// `--strategy` values.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum StrategyArg {
    /// Keep the target's entry.
    Ours,
    /// Take the source's entry.
    Theirs,
}

impl StrategyArg {
    pub fn strategy(choice: Option<StrategyArg>) -> Strategy {
        match choice {
            None => Strategy::Refuse,
            Some(StrategyArg::Ours) => Strategy::Ours,
            Some(StrategyArg::Theirs) => Strategy::Theirs,
        }
    }
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let mut out = Output::new();
    let code = match args.command {
        Command::Create {
            name,
            inherit,
            json,
        } => {
            let created = repo.create_workspace(&name, inherit.as_deref())?;
            if json {
                out.json(&json!({
                    "workspace": created.name,
                    "head": created.head.to_hex(),
                    "inherits": created.inherits,
                }))?;
            } else {
                out.line(match &created.inherits {
                    Some(parent) => format!(
                        "created workspace {name} inheriting {parent} (commit {})",
                        short(&created.head)
                    ),
                    None => format!("created workspace {name} (commit {})", short(&created.head)),
                })?;
            }
            0
        }
        Command::List { json } => {
            let workspaces = repo.workspaces()?;
            let counts: Vec<usize> = workspaces
                .iter()
                .map(|workspace| {
                    repo.memory_list(&workspace.name, &[])
                        .map(|entries| entries.len())
                })
                .collect::<Result<_, _>>()?;
            if json {
                for (workspace, count) in workspaces.iter().zip(&counts) {
                    out.json(&json!({
                        "name": workspace.name,
                        "head": workspace.head.to_hex(),
                        "inherits": workspace.inherits,
                        "entries": count,
                    }))?;
                }
            } else if workspaces.is_empty() {
                super::output::note(
                    "no workspaces yet: `hive workspace create NAME`, or `hive memory set KEY VALUE` (creates main)",
                );
            } else {
                for line in tree_lines(&workspaces, &counts) {
                    out.line(line)?;
                }
            }
            0
        }
        Command::Delete { name, force, json } => {
            let head = repo.delete_workspace(&name, force)?;
            if json {
                out.json(&json!({"workspace": name, "head": head.to_hex()}))?;
            } else {
                out.line(format!("deleted workspace {name} (was {})", short(&head)))?;
            }
            0
        }
        Command::Update {
            name,
            strategy,
            dry_run,
            json,
        } => {
            let options = MergeOptions {
                tags: Vec::new(),
                strategy: StrategyArg::strategy(strategy),
                dry_run,
                action: "update".into(),
                record: false,
            };
            let outcome = repo.update_workspace(&name, &options)?;
            merge_report(&mut out, &outcome, &options, json)?
        }
    };
    out.finish()?;
    Ok(code)
}

/// The workspaces as a tree: roots (and those whose parent is gone) first, children indented under their parent.
fn tree_lines(workspaces: &[WorkspaceInfo], counts: &[usize]) -> Vec<String> {
    let known = |name: &str| workspaces.iter().any(|workspace| workspace.name == name);
    let mut lines = Vec::new();
    fn walk(
        workspaces: &[WorkspaceInfo],
        counts: &[usize],
        parent: Option<&str>,
        prefix: &str,
        is_root: &dyn Fn(&WorkspaceInfo) -> bool,
        lines: &mut Vec<String>,
    ) {
        let children: Vec<usize> = (0..workspaces.len())
            .filter(|&index| match parent {
                None => is_root(&workspaces[index]),
                Some(parent) => workspaces[index].inherits.as_deref() == Some(parent),
            })
            .collect();
        for (position, &index) in children.iter().enumerate() {
            let workspace = &workspaces[index];
            let last = position + 1 == children.len();
            let (branch, next) = match parent {
                None => (String::new(), String::new()),
                Some(_) if last => (format!("{prefix}└── "), format!("{prefix}    ")),
                Some(_) => (format!("{prefix}├── "), format!("{prefix}│   ")),
            };
            lines.push(format!(
                "{branch}{}  ({} entr{}, {})",
                workspace.name,
                counts[index],
                if counts[index] == 1 { "y" } else { "ies" },
                short(&workspace.head)
            ));
            walk(
                workspaces,
                counts,
                Some(&workspace.name),
                &next,
                is_root,
                lines,
            );
        }
    }
    let is_root = |workspace: &WorkspaceInfo| {
        workspace
            .inherits
            .as_deref()
            .is_none_or(|parent| !known(parent))
    };
    walk(workspaces, counts, None, "", &is_root, &mut lines);
    lines
}
