//! Workspaces: branches of commits that hold memory (state entries: key, JSON value, tags) and may inherit from a
//! parent workspace. A workspace's commits add no events; each changes its state tree.
//!
//! Creating a workspace with a parent is one commit on the parent's head (the child starts with the parent's state
//! and history, nothing copied) that names the parent in `run.inherits`. Every write goes to the workspace's own
//! reference, so a read of workspace A (its head's tree) never sees what only a sibling B wrote.

use super::history;
use super::state::{self, StateEntry, StoredState};
use super::{RepoError, Repository};
use crate::id::ObjectId;
use crate::object::{Commit, RunMeta};
use crate::refs::{RefError, RefName, RefStore, ReflogEntry};
use crate::store::ObjectStore;
use crate::time::Timestamp;
use serde_json::{Map, Value};

/// The workspace memory goes to when none is named or configured.
pub const DEFAULT_WORKSPACE: &str = "main";

/// One workspace.
#[derive(Clone, Debug)]
pub struct WorkspaceInfo {
    /// Its name.
    pub name: String,
    /// Its head commit.
    pub head: ObjectId,
    /// That commit.
    pub commit: Commit,
    /// The workspace it inherits from.
    pub inherits: Option<String>,
}

/// What a memory write did.
#[derive(Clone, Debug)]
pub struct MemoryOutcome {
    /// The workspace.
    pub workspace: String,
    /// Its head afterwards.
    pub head: ObjectId,
    /// Whether a commit was made (false when the entry already was as asked).
    pub changed: bool,
}

impl Repository {
    fn author_and_time(&self) -> Result<(String, Timestamp), RepoError> {
        let cwd = std::env::current_dir().unwrap_or_default();
        Ok((
            self.author(&cwd),
            Timestamp::now().map_err(RepoError::BadTimestamp)?,
        ))
    }

    /// The head of workspace `name`.
    pub fn workspace_head(&self, name: &str) -> Result<(ObjectId, Commit), RepoError> {
        let reference = RefName::workspace(name)?;
        let head = self
            .refs
            .read(&reference)?
            .ok_or_else(|| RepoError::UnknownWorkspace(name.to_string()))?;
        Ok((head, history::read_commit(&self.odb, head)?))
    }

    /// Creates workspace `name`, empty or inheriting `parent`'s state and history.
    pub fn create_workspace(
        &self,
        name: &str,
        parent: Option<&str>,
    ) -> Result<WorkspaceInfo, RepoError> {
        let reference = RefName::workspace(name)?;
        super::capture::check_name_free(
            name,
            "workspaces/",
            &[(self.dir.join("refs/workspaces"), "")],
        )?;
        if self.refs.read(&reference)?.is_some() {
            return Err(RepoError::WorkspaceExists(name.to_string()));
        }
        self.require_workspace_format()?;
        let (author, time) = self.author_and_time()?;
        // Held from reading the parent's head to the new reference, so gc never deletes what it points at.
        let guard = self.write_guard()?;
        let (parents, tree, events, message) = match parent {
            Some(parent) => {
                let (head, commit) = self.workspace_head(parent)?;
                (
                    vec![head],
                    commit.tree,
                    commit.run.events,
                    format!("workspace {name}, inheriting {parent}"),
                )
            }
            None => (Vec::new(), None, 0, format!("workspace {name}")),
        };
        let commit = Commit {
            parents,
            events: None,
            tree,
            author: author.clone(),
            time: time.to_rfc3339(),
            message,
            run: RunMeta {
                name: name.to_string(),
                inherits: parent.map(str::to_string),
                events,
                ..RunMeta::default()
            },
            extra: Map::new(),
        };
        let object = commit.encode().hashed();
        let id = object.id();
        self.odb.write(&object)?;
        let entry = ReflogEntry {
            old: None,
            new: Some(id.to_hex()),
            author,
            time: time.to_rfc3339(),
            message: format!("workspace: {}", commit.message),
        };
        let updated = self.refs.update(&reference, None, Some(id), &entry);
        drop(guard);
        match updated {
            Ok(()) => Ok(WorkspaceInfo {
                name: name.to_string(),
                head: id,
                inherits: commit.run.inherits.clone(),
                commit,
            }),
            Err(RefError::Stale { .. }) => Err(RepoError::WorkspaceExists(name.to_string())),
            Err(error) => Err(error.into()),
        }
    }

    /// Makes sure the repository's format is one whose readers know workspaces (2): a format 1 repository is
    /// upgraded in place (its `[core] format` line), so that an older hive, whose gc would not see workspace
    /// references, refuses it instead of deleting their objects.
    fn require_workspace_format(&self) -> Result<(), RepoError> {
        let path = self.dir.join("config");
        let text = std::fs::read_to_string(&path).map_err(|source| crate::fsutil::IoError {
            operation: "read",
            path: path.clone(),
            source,
        })?;
        let current = crate::config::RepoConfig::load(&path)?.core.format;
        if current >= 2 {
            return Ok(());
        }
        let line =
            regex::Regex::new(r"(?m)^(\s*format\s*=\s*)1(\s*(#.*)?)$").expect("a valid pattern");
        let upgraded = if line.is_match(&text) {
            line.replace(&text, "${1}2${2}").into_owned()
        } else if text.contains("[core]") {
            text.replacen("[core]", "[core]\nformat = 2", 1)
        } else {
            format!("[core]\nformat = 2\n{text}")
        };
        crate::fsutil::write_atomic(&path, upgraded.as_bytes(), true)?;
        Ok(())
    }

    /// Every workspace, sorted by name.
    pub fn workspaces(&self) -> Result<Vec<WorkspaceInfo>, RepoError> {
        let mut out = Vec::new();
        for (reference, head) in self.refs.list("workspaces/")? {
            let name = reference
                .workspace_name()
                .expect("listed under workspaces/")
                .to_string();
            let commit = history::read_commit(&self.odb, head)?;
            out.push(WorkspaceInfo {
                name,
                head,
                inherits: commit.run.inherits.clone(),
                commit,
            });
        }
        Ok(out)
    }

    /// Deletes workspace `name`: its reference and log. What only it reached is deleted by the next gc, as for a
    /// removed run. A workspace others inherit from is refused unless `force`, which leaves them without a parent.
    pub fn delete_workspace(&self, name: &str, force: bool) -> Result<ObjectId, RepoError> {
        let reference = RefName::workspace(name)?;
        let (head, _) = self.workspace_head(name)?;
        let children: Vec<String> = self
            .workspaces()?
            .into_iter()
            .filter(|workspace| workspace.inherits.as_deref() == Some(name))
            .map(|workspace| workspace.name)
            .collect();
        if !children.is_empty() && !force {
            return Err(RepoError::WorkspaceHasChildren {
                workspace: name.to_string(),
                children,
            });
        }
        self.forget_reference(&reference, name, head, "workspace delete")?;
        // Those that inherited from it no longer have a parent: a workspace made later with its name is not theirs.
        let (author, time) = self.author_and_time()?;
        for child in children {
            let child_ref = RefName::workspace(&child)?;
            self.advance(&child_ref, &child, "workspace", |child_head, commit| {
                if commit.run.inherits.as_deref() != Some(name) {
                    return Ok(None);
                }
                let mut meta = commit.run.clone();
                meta.inherits = None;
                Ok(Some(
                    history::StateCommit {
                        parents: vec![child_head],
                        meta,
                        tree: commit.tree,
                        objects: Vec::new(),
                        author: author.clone(),
                        time,
                        message: format!("workspace {child}: parent {name} deleted"),
                        extra: Default::default(),
                    }
                    .build(),
                ))
            })?;
        }
        Ok(head)
    }

    /// The memory of `workspace`: every entry, or those carrying one of `tags`, sorted by key.
    pub fn memory_list(
        &self,
        workspace: &str,
        tags: &[String],
    ) -> Result<Vec<(String, StateEntry)>, RepoError> {
        let (_, commit) = self.workspace_head(workspace)?;
        let mut out = Vec::new();
        for (key, stored) in state::load(&self.odb, commit.tree)? {
            let entry = state::read_entry(&self.odb, stored)?;
            if tags.is_empty() || entry.tags.iter().any(|tag| tags.contains(tag)) {
                out.push((key, entry));
            }
        }
        Ok(out)
    }

    /// One entry of `workspace`'s memory, if it is there.
    pub fn memory_get(&self, workspace: &str, key: &str) -> Result<Option<StateEntry>, RepoError> {
        let (_, commit) = self.workspace_head(workspace)?;
        match state::load(&self.odb, commit.tree)?.get(key) {
            Some(stored) => Ok(Some(state::read_entry(&self.odb, *stored)?)),
            None => Ok(None),
        }
    }

    /// Sets `key` to `value` with `tags` in `workspace`'s memory (a commit on the workspace), or removes it
    /// (`value` None; refused when the key is absent). The default workspace (`main`, or the one the project's
    /// `.hivemind` names) is created on first use.
    pub fn memory_write(
        &self,
        workspace: &str,
        key: &str,
        value: Option<&Value>,
        tags: &[String],
    ) -> Result<MemoryOutcome, RepoError> {
        check_key(key)?;
        for tag in tags {
            super::check_tag(tag)?;
        }
        let reference = RefName::workspace(workspace)?;
        let default =
            workspace == DEFAULT_WORKSPACE || self.workspace().as_deref() == Some(workspace);
        if default && value.is_some() && self.refs.read(&reference)?.is_none() {
            match self.create_workspace(workspace, None) {
                Ok(_) | Err(RepoError::WorkspaceExists(_)) => {}
                Err(error) => return Err(error),
            }
        }
        let (author, time) = self.author_and_time()?;
        let mut changed = false;
        let (head, _) = self
            .advance(&reference, workspace, "memory", |head, commit| {
                let mut entries: StoredState = state::load(&self.odb, commit.tree)?;
                let mut objects = Vec::new();
                let message = match value {
                    Some(value) => {
                        let entry = state::encode_entry(value, tags, &mut objects);
                        if entries.get(key) == Some(&entry) {
                            changed = false;
                            return Ok(None);
                        }
                        entries.insert(key.to_string(), entry);
                        format!("memory: set {key}")
                    }
                    None => {
                        if entries.remove(key).is_none() {
                            return Err(RepoError::NoSuchKey {
                                workspace: workspace.to_string(),
                                key: key.to_string(),
                            });
                        }
                        format!("memory: rm {key}")
                    }
                };
                changed = true;
                let tree = state::save(&entries, &mut objects);
                Ok(Some(
                    history::StateCommit {
                        parents: vec![head],
                        meta: commit.run.clone(),
                        tree,
                        objects,
                        author: author.clone(),
                        time,
                        message,
                        extra: Default::default(),
                    }
                    .build(),
                ))
            })
            .map_err(|error| match error {
                RepoError::UnknownRun(_) => RepoError::UnknownWorkspace(workspace.to_string()),
                other => other,
            })?;
        Ok(MemoryOutcome {
            workspace: workspace.to_string(),
            head,
            changed,
        })
    }

    /// Deletes reference `name` (whose value is `head`) and its log, and records `head` for gc to delete what only
    /// it reached.
    pub(super) fn forget_reference(
        &self,
        name: &RefName,
        shown: &str,
        head: ObjectId,
        action: &str,
    ) -> Result<(), RepoError> {
        let (author, time) = self.author_and_time()?;
        self.record_removed(&super::remove::Removed {
            run: name.as_str().to_string(),
            head: head.to_hex(),
            time: time.to_rfc3339(),
        })?;
        let entry = ReflogEntry {
            old: Some(head.to_hex()),
            new: None,
            author,
            time: time.to_rfc3339(),
            message: action.to_string(),
        };
        match self.refs.update(name, Some(head), None, &entry) {
            Ok(()) => {}
            Err(RefError::Stale { .. }) => {
                return Err(RepoError::RunMoved(shown.to_string()));
            }
            Err(error) => return Err(error.into()),
        }
        self.refs.remove_log(name)?;
        Ok(())
    }
}

/// Checks a memory key: 1 to 200 characters, no control characters.
pub fn check_key(key: &str) -> Result<(), RepoError> {
    if key.is_empty() || key.chars().count() > 200 || key.chars().any(char::is_control) {
        return Err(RepoError::InvalidCuration {
            what: "memory key".into(),
            value: key.to_string(),
            rule: "1 to 200 characters without control characters".into(),
        });
    }
    Ok(())
}
