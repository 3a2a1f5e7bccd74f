//! Merging state between branches: `promote` (a workspace's or a run's memory into a workspace, optionally only
//! entries with given tags), `merge` (any branch into any other) and `workspace update` (a parent's newer state into
//! its child). Each is a three-way merge of state entries against the merge base, recorded as a commit whose second
//! parent is the source's head, so the target's history shows where each entry came from.

use super::history::{self, read_commit};
use super::state::{self, KeyChange, StateEntry, Strategy};
use super::{RepoError, Repository};
use crate::id::ObjectId;
use crate::refs::{RefName, RefStore};
use crate::store::ObjectStore;
use crate::time::Timestamp;
use std::collections::{HashSet, VecDeque};

/// A branch: a workspace or a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branch {
    /// Its reference.
    pub reference: RefName,
    /// Its name as a person gives it.
    pub name: String,
    /// Whether it is a workspace.
    pub workspace: bool,
}

/// How to merge.
#[derive(Clone, Debug)]
pub struct MergeOptions {
    /// Only entries carrying one of these tags (on the source's side; for a removal, in the merge base).
    pub tags: Vec<String>,
    /// How to settle keys both sides changed.
    pub strategy: Strategy,
    /// Work out the merge without writing it.
    pub dry_run: bool,
    /// The verb in the commit message (`promote`, `merge`, `update`).
    pub action: String,
}

/// A key both sides changed, with the three entries read back.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// The key.
    pub key: String,
    /// In the merge base.
    pub base: Option<StateEntry>,
    /// In the target.
    pub ours: Option<StateEntry>,
    /// In the source.
    pub theirs: Option<StateEntry>,
}

/// What a merge did or would do.
#[derive(Clone, Debug)]
pub struct MergeOutcome {
    /// The source.
    pub from: Branch,
    /// The target.
    pub to: Branch,
    /// The merge base of their heads, if they have one.
    pub base: Option<ObjectId>,
    /// The source's head.
    pub from_head: ObjectId,
    /// The target's head before.
    pub to_head: ObjectId,
    /// Keys taken from the source.
    pub taken: Vec<(String, KeyChange)>,
    /// Keys both changed; with the `Refuse` strategy nothing was merged.
    pub conflicts: Vec<Conflict>,
    /// The merge commit, when one was made.
    pub commit: Option<ObjectId>,
}

impl MergeOutcome {
    /// Whether conflicts stopped the merge.
    pub fn refused(&self, strategy: Strategy) -> bool {
        strategy == Strategy::Refuse && !self.conflicts.is_empty()
    }
}

/// The commit field that marks a merge that took only some of the source's entries (`--tag`).
pub const PARTIAL: &str = "partial";

/// The parents a merge base follows: all of them, but only the first of a partial merge.
fn history_parents(store: &dyn ObjectStore, id: ObjectId) -> Result<Vec<ObjectId>, RepoError> {
    let commit = read_commit(store, id)?;
    let mut parents = commit.parents;
    if commit.extra.get(PARTIAL) == Some(&serde_json::Value::Bool(true)) {
        parents.truncate(1);
    }
    Ok(parents)
}

/// Every commit reachable from `head` through the parents merge bases follow.
fn ancestors(store: &dyn ObjectStore, head: ObjectId) -> Result<HashSet<ObjectId>, RepoError> {
    let mut seen = HashSet::new();
    let mut stack = vec![head];
    while let Some(id) = stack.pop() {
        if seen.insert(id) {
            stack.extend(history_parents(store, id)?);
        }
    }
    Ok(seen)
}

/// The best common ancestor of `a` and `b`: a common ancestor that no other common ancestor descends from (the
/// nearest to `b` when several qualify). None when their histories never meet.
pub fn merge_base(
    store: &dyn ObjectStore,
    a: ObjectId,
    b: ObjectId,
) -> Result<Option<ObjectId>, RepoError> {
    let of_a = ancestors(store, a)?;
    // Breadth first from b, stopping at common ancestors: what is found is the frontier of the common history.
    let mut candidates = Vec::new();
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([b]);
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id) {
            continue;
        }
        if of_a.contains(&id) {
            candidates.push(id);
            continue;
        }
        queue.extend(history_parents(store, id)?);
    }
    // A candidate that is an ancestor of another is not the best.
    let mut best = Vec::new();
    for (index, candidate) in candidates.iter().enumerate() {
        let mut below_another = false;
        for (other_index, other) in candidates.iter().enumerate() {
            if other_index != index && ancestors(store, *other)?.contains(candidate) {
                below_another = true;
                break;
            }
        }
        if !below_another {
            best.push(*candidate);
        }
    }
    Ok(best.first().copied())
}

impl Repository {
    /// A branch by name: `workspaces/NAME` or `runs/NAME`, else a run of that name, else a workspace.
    pub fn branch(&self, name: &str) -> Result<(Branch, ObjectId), RepoError> {
        let explicit = [("workspaces/", true), ("runs/", false)]
            .into_iter()
            .find_map(|(prefix, workspace)| Some((name.strip_prefix(prefix)?, workspace)));
        let tries: Vec<(&str, bool)> = match explicit {
            Some(found) => vec![found],
            None => vec![(name, false), (name, true)],
        };
        for (short, workspace) in tries {
            let reference = if workspace {
                RefName::workspace(short)?
            } else {
                RefName::run(short)?
            };
            if let Some(head) = self.refs.read(&reference)? {
                return Ok((
                    Branch {
                        reference,
                        name: short.to_string(),
                        workspace,
                    },
                    head,
                ));
            }
        }
        Err(RepoError::UnknownBranch(name.to_string()))
    }

    /// Merges the state of branch `from` into branch `to` (see the module documentation). Nothing is written
    /// when the merge is a dry run or conflicts stop it, or when `from` brings nothing new.
    pub fn merge_state(
        &self,
        from: &str,
        to: &str,
        options: &MergeOptions,
    ) -> Result<MergeOutcome, RepoError> {
        for tag in &options.tags {
            super::check_tag(tag)?;
        }
        let (from_branch, from_head) = self.branch(from)?;
        let (to_branch, _) = self.branch(to)?;
        if from_branch == to_branch {
            return Err(RepoError::MergeIntoItself(to.to_string()));
        }
        let cwd = std::env::current_dir().unwrap_or_default();
        let author = self.author(&cwd);
        let time = Timestamp::now().map_err(RepoError::BadTimestamp)?;
        let mut outcome = None;
        let shown = to_branch.name.clone();
        let result = self.advance(
            &to_branch.reference,
            &shown,
            &options.action,
            |to_head, target| {
                let from_commit = read_commit(&self.odb, from_head)?;
                let base = merge_base(&self.odb, to_head, from_head)?;
                let base_state = match base {
                    Some(base) => state::load(&self.odb, read_commit(&self.odb, base)?.tree)?,
                    None => state::StoredState::new(),
                };
                let ours = state::load(&self.odb, target.tree)?;
                let theirs = state::load(&self.odb, from_commit.tree)?;
                let mut selected = |key: &str| -> bool {
                    if options.tags.is_empty() {
                        return true;
                    }
                    let entry = theirs.get(key).or_else(|| base_state.get(key));
                    entry
                        .and_then(|entry| state::read_entry(&self.odb, *entry).ok())
                        .is_some_and(|entry| {
                            entry.tags.iter().any(|tag| options.tags.contains(tag))
                        })
                };
                let merged =
                    state::merge(&base_state, &ours, &theirs, options.strategy, &mut selected);
                let read =
                    |entry: Option<state::StoredEntry>| -> Result<Option<StateEntry>, RepoError> {
                        entry
                            .map(|entry| state::read_entry(&self.odb, entry))
                            .transpose()
                    };
                let conflicts = merged
                    .conflicts
                    .iter()
                    .map(|conflict| {
                        Ok(Conflict {
                            key: conflict.key.clone(),
                            base: read(conflict.base)?,
                            ours: read(conflict.ours)?,
                            theirs: read(conflict.theirs)?,
                        })
                    })
                    .collect::<Result<Vec<_>, RepoError>>()?;
                let settled = !conflicts.is_empty() && options.strategy != Strategy::Refuse;
                let stopped = options.strategy == Strategy::Refuse && !conflicts.is_empty();
                let write = !options.dry_run && !stopped && (!merged.taken.is_empty() || settled);
                outcome = Some(MergeOutcome {
                    from: from_branch.clone(),
                    to: to_branch.clone(),
                    base,
                    from_head,
                    to_head,
                    taken: merged.taken.clone(),
                    conflicts,
                    commit: None,
                });
                if !write {
                    return Ok(None);
                }
                let mut objects = Vec::new();
                let tree = state::save(&merged.merged, &mut objects);
                let words: Vec<String> = merged
                    .taken
                    .iter()
                    .map(|(key, change)| {
                        let sign = match change {
                            KeyChange::Added => '+',
                            KeyChange::Changed => '~',
                            KeyChange::Removed => '-',
                        };
                        format!("{sign}{key}")
                    })
                    .collect();
                let message = format!(
                    "{} {} into {}: {}",
                    options.action,
                    from_branch.name,
                    to_branch.name,
                    if words.is_empty() {
                        "conflicts settled, nothing taken".to_string()
                    } else {
                        words.join(" ")
                    }
                );
                // A merge that took only some entries does not make the source's history the target's: later merge
                // bases pass over its second parent, so what it left out is never taken as seen and dropped.
                let mut extra = serde_json::Map::new();
                if !options.tags.is_empty() {
                    extra.insert(PARTIAL.into(), true.into());
                }
                Ok(Some(history::build_state_commit(
                    vec![to_head, from_head],
                    target,
                    tree,
                    objects,
                    author.clone(),
                    time,
                    message,
                    extra,
                )))
            },
        );
        let (head, _) = result.map_err(|error| match error {
            RepoError::UnknownRun(_) => RepoError::UnknownBranch(to.to_string()),
            other => other,
        })?;
        let mut outcome = outcome.expect("the merge was worked out");
        if head != outcome.to_head {
            outcome.commit = Some(head);
        }
        Ok(outcome)
    }

    /// Promotes what `from` (a workspace or a run) holds into workspace `to` (by default the workspace `from`
    /// inherits from).
    pub fn promote(
        &self,
        from: &str,
        to: Option<&str>,
        options: &MergeOptions,
    ) -> Result<MergeOutcome, RepoError> {
        let to = match to {
            Some(to) => to.to_string(),
            None => {
                let (branch, head) = self.branch(from)?;
                read_commit(&self.odb, head)?
                    .run
                    .inherits
                    .filter(|_| branch.workspace)
                    .ok_or_else(|| RepoError::NoParent(from.to_string()))?
            }
        };
        let (target, _) = self.branch(&to)?;
        if !target.workspace {
            return Err(RepoError::UnknownWorkspace(to));
        }
        self.merge_state(from, &format!("workspaces/{}", target.name), options)
    }

    /// Brings the newer state of the workspace `workspace` inherits from into it.
    pub fn update_workspace(
        &self,
        workspace: &str,
        options: &MergeOptions,
    ) -> Result<MergeOutcome, RepoError> {
        let (_, commit) = self.workspace_head(workspace)?;
        let parent = commit
            .run
            .inherits
            .ok_or_else(|| RepoError::NoParent(workspace.to_string()))?;
        self.merge_state(
            &format!("workspaces/{parent}"),
            &format!("workspaces/{workspace}"),
            options,
        )
    }
}
