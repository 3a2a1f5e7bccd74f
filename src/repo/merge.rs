//! Merging state between branches: `promote` (a workspace's or a run's memory into a workspace, optionally only
//! entries with given tags), `merge` (any branch into any other) and `workspace update` (a parent's newer state into
//! its child). Each is a three-way merge of state entries against the merge base, recorded as a commit whose second
//! parent is the source's head, so the target's history shows where each entry came from.

use super::history::{self, read_commit};
use super::state::{self, BaseEntry, KeyChange, StateEntry, Strategy};
use super::{RepoError, Repository};
use crate::id::ObjectId;
use crate::refs::{RefName, RefStore};
use crate::store::ObjectStore;
use crate::time::Timestamp;
use std::collections::{HashMap, HashSet, VecDeque};

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
    /// The verb in the commit message (`promote`, `merge`, `update`, `pull`).
    pub action: String,
    /// Record the merge commit even when it takes nothing, so that the source's history becomes the target's
    /// (a pull of a diverged branch needs that before it can push).
    pub record: bool,
}

/// A key both sides changed, with the three entries read back.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// The key.
    pub key: String,
    /// In the merge base (none: absent, or no single base).
    pub base: Option<StateEntry>,
    /// Whether the histories have several merge bases that disagree about the key.
    pub ambiguous_base: bool,
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

/// The commit field of a merge that took only some of the source's entries (`--tag`): the keys it considered. For
/// any other key, the merge did not bring the source's history, and merge bases follow only its first parent.
pub const PARTIAL: &str = "partial";

/// The commits of two histories, read once: each commit's parents, and for a partial merge the keys it considered.
struct Graph {
    commits: HashMap<ObjectId, (Vec<ObjectId>, Option<HashSet<String>>)>,
}

impl Graph {
    fn read(store: &dyn ObjectStore, heads: &[ObjectId]) -> Result<Graph, RepoError> {
        let mut commits = HashMap::new();
        let mut stack: Vec<ObjectId> = heads.to_vec();
        while let Some(id) = stack.pop() {
            if commits.contains_key(&id) {
                continue;
            }
            let commit = read_commit(store, id)?;
            let partial = commit.extra.get(PARTIAL).map(|keys| {
                keys.as_array()
                    .map(|keys| {
                        keys.iter()
                            .filter_map(|key| key.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            });
            stack.extend(commit.parents.iter().copied());
            commits.insert(id, (commit.parents, partial));
        }
        Ok(Graph { commits })
    }

    /// The parents a merge base for `key` follows: all, but only the first of a partial merge that did not
    /// consider `key`.
    fn parents(&self, id: &ObjectId, key: Option<&str>) -> &[ObjectId] {
        let (parents, partial) = &self.commits[id];
        match (partial, key) {
            (Some(keys), Some(key)) if keys.contains(key) => parents,
            (Some(_), _) => &parents[..parents.len().min(1)],
            (None, _) => parents,
        }
    }

    fn ancestors(&self, head: ObjectId, key: Option<&str>) -> HashSet<ObjectId> {
        let mut seen = HashSet::new();
        let mut stack = vec![head];
        while let Some(id) = stack.pop() {
            if seen.insert(id) {
                stack.extend(self.parents(&id, key).iter().copied());
            }
        }
        seen
    }

    /// The best common ancestors of `a` and `b` for `key` (none of them descends from another); several in a
    /// criss-cross history, none when the histories never meet.
    fn bases(&self, a: ObjectId, b: ObjectId, key: Option<&str>) -> Vec<ObjectId> {
        let of_a = self.ancestors(a, key);
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
            queue.extend(self.parents(&id, key).iter().copied());
        }
        let below: Vec<HashSet<ObjectId>> = candidates
            .iter()
            .map(|candidate| {
                let mut all = self.ancestors(*candidate, key);
                all.remove(candidate);
                all
            })
            .collect();
        candidates
            .iter()
            .filter(|candidate| !below.iter().any(|set| set.contains(candidate)))
            .copied()
            .collect()
    }
}

/// The best common ancestor of `a` and `b` (the first found from `b` when a criss-cross history has several);
/// none when their histories never meet.
pub fn merge_base(
    store: &dyn ObjectStore,
    a: ObjectId,
    b: ObjectId,
) -> Result<Option<ObjectId>, RepoError> {
    let graph = Graph::read(store, &[a, b])?;
    Ok(graph.bases(a, b, None).first().copied())
}

impl Repository {
    /// A branch by name: `workspaces/NAME` or `runs/NAME`, else the run or the workspace of that name (refused when
    /// both exist).
    pub fn branch(&self, name: &str) -> Result<(Branch, ObjectId), RepoError> {
        // A remote-tracking branch: remotes/REMOTE/runs/NAME or remotes/REMOTE/workspaces/NAME.
        if let Some(rest) = name.strip_prefix("remotes/") {
            let workspace = rest
                .split_once('/')
                .is_some_and(|(_, tail)| tail.starts_with("workspaces/"));
            let reference = RefName::parse(name)?;
            let head = self
                .refs
                .read(&reference)?
                .ok_or_else(|| RepoError::UnknownBranch(name.to_string()))?;
            return Ok((
                Branch {
                    reference,
                    name: name.to_string(),
                    workspace,
                },
                head,
            ));
        }
        let explicit = [("workspaces/", true), ("runs/", false)]
            .into_iter()
            .find_map(|(prefix, workspace)| Some((name.strip_prefix(prefix)?, workspace)));
        let tries: Vec<(&str, bool)> = match explicit {
            Some(found) => vec![found],
            None => vec![(name, false), (name, true)],
        };
        if explicit.is_none()
            && self.refs.read(&RefName::run(name)?)?.is_some()
            && self.refs.read(&RefName::workspace(name)?)?.is_some()
        {
            return Err(RepoError::AmbiguousBranch(name.to_string()));
        }
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
        // Held from reading the source's head to the target's update (`advance` holds it too), so that gc never
        // deletes the source's objects in between, even if the source is removed meanwhile.
        let _guard = self.write_guard()?;
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
                let graph = Graph::read(&self.odb, &[to_head, from_head])?;
                let global = graph.bases(to_head, from_head, None);
                let partial_history = graph.commits.values().any(|(_, partial)| partial.is_some());
                let base = global.first().copied();
                // Each base's state, read once.
                let mut states: HashMap<ObjectId, state::StoredState> = HashMap::new();
                let mut base_of = |key: &str| -> Result<BaseEntry, RepoError> {
                    let bases = if partial_history {
                        graph.bases(to_head, from_head, Some(key))
                    } else {
                        global.clone()
                    };
                    let mut entries = Vec::new();
                    for base in &bases {
                        if !states.contains_key(base) {
                            let tree = read_commit(&self.odb, *base)?.tree;
                            states.insert(*base, state::load(&self.odb, tree)?);
                        }
                        entries.push(states[base].get(key).copied());
                    }
                    entries.dedup();
                    Ok(match entries.as_slice() {
                        [] => BaseEntry::Known(None),
                        [one] => BaseEntry::Known(*one),
                        _ => BaseEntry::Ambiguous,
                    })
                };
                let ours = state::load(&self.odb, target.tree)?;
                let theirs = state::load(&self.odb, from_commit.tree)?;
                let selected = |key: &str, base: Option<&state::StoredEntry>| -> bool {
                    if options.tags.is_empty() {
                        return true;
                    }
                    theirs
                        .get(key)
                        .or(base)
                        .and_then(|entry| state::read_entry(&self.odb, *entry).ok())
                        .is_some_and(|entry| {
                            entry.tags.iter().any(|tag| options.tags.contains(tag))
                        })
                };
                let merged =
                    state::merge(&ours, &theirs, options.strategy, &mut base_of, selected)?;
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
                            ambiguous_base: conflict.ambiguous_base,
                            ours: read(conflict.ours)?,
                            theirs: read(conflict.theirs)?,
                        })
                    })
                    .collect::<Result<Vec<_>, RepoError>>()?;
                let settled = !conflicts.is_empty() && options.strategy != Strategy::Refuse;
                let stopped = options.strategy == Strategy::Refuse && !conflicts.is_empty();
                let write = !options.dry_run
                    && !stopped
                    && (!merged.taken.is_empty() || settled || options.record);
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
                    extra.insert(PARTIAL.into(), merged.considered.clone().into());
                }
                Ok(Some(
                    history::StateCommit {
                        parents: vec![to_head, from_head],
                        meta: target.run.clone(),
                        tree,
                        objects,
                        author: author.clone(),
                        time,
                        message,
                        extra,
                    }
                    .build(),
                ))
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
        // The target is always a workspace, whatever runs are called.
        let to = to.strip_prefix("workspaces/").unwrap_or(&to).to_string();
        self.workspace_head(&to)?;
        self.merge_state(from, &format!("workspaces/{to}"), options)
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
