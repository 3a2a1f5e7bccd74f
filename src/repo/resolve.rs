//! Revisions: what `hive show`, `hive rev-parse` and `hive cat-file` accept.
//!
//! `RUN` (the run's head), `RUN@SEQ` (one event), `RUN~N` (the Nth commit before the head), a workspace's name
//! (or `runs/NAME`, `workspaces/NAME`) and `NAME~N`, or a full or abbreviated (4+ hexadecimal digits) object id. A
//! run name wins over a workspace's, and both over an id prefix that is spelled the same.

use super::history;
use super::{RepoError, Repository};
use crate::id::{HexPrefix, ObjectId};
use crate::refs::check_name;
use crate::store::ObjectStore;

/// What a revision names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A commit of a run: its head (`back` 0) or an ancestor.
    Commit {
        /// The run.
        run: String,
        /// Commits before the head.
        back: u64,
        /// The commit.
        id: ObjectId,
    },
    /// One event of a run.
    Event {
        /// The run.
        run: String,
        /// The event's seq.
        seq: u64,
        /// The event object.
        id: ObjectId,
    },
    /// Any object, by id.
    Object(ObjectId),
}

impl Resolved {
    /// The object the revision names.
    pub fn id(&self) -> ObjectId {
        match self {
            Resolved::Commit { id, .. } | Resolved::Event { id, .. } | Resolved::Object(id) => *id,
        }
    }
}

impl Repository {
    /// Resolves a revision.
    pub fn resolve(&self, revision: &str) -> Result<Resolved, RepoError> {
        if let Some((run, seq)) = revision.rsplit_once('@') {
            let seq = seq
                .parse::<u64>()
                .map_err(|_| RepoError::UnknownRevision(revision.to_string()))?;
            let (head, commit) = self.require_head(run)?;
            let id = history::event_id_at(&self.odb, head, seq)?.ok_or(RepoError::NoSuchEvent {
                run: run.to_string(),
                seq,
                count: commit.run.events,
            })?;
            return Ok(Resolved::Event {
                run: run.to_string(),
                seq,
                id,
            });
        }
        if let Some((run, back)) = revision.rsplit_once('~') {
            let back = if back.is_empty() {
                1
            } else {
                back.parse::<u64>()
                    .map_err(|_| RepoError::UnknownRevision(revision.to_string()))?
            };
            let (head, _) = self
                .named_head(run)?
                .ok_or_else(|| RepoError::UnknownRun(run.to_string()))?;
            let wanted = usize::try_from(back)
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            let commits = self.log_from(head, Some(wanted))?;
            let (id, _) = commits.get(wanted - 1).ok_or(RepoError::NoSuchCommit {
                run: run.to_string(),
                back,
                count: commits.len() as u64,
            })?;
            return Ok(Resolved::Commit {
                run: run.to_string(),
                back,
                id: *id,
            });
        }
        if check_name(revision).is_ok()
            && let Some((id, _)) = self.named_head(revision)?
        {
            return Ok(Resolved::Commit {
                run: revision.to_string(),
                back: 0,
                id,
            });
        }
        match HexPrefix::parse(revision) {
            Ok(prefix) => Ok(Resolved::Object(self.resolve_prefix(&prefix)?)),
            Err(_) if check_name(revision).is_ok() => {
                Err(RepoError::UnknownRun(revision.to_string()))
            }
            Err(_) => Err(RepoError::UnknownRevision(revision.to_string())),
        }
    }

    /// The head of a branch by name: `runs/NAME`, `workspaces/NAME`, else a run, else a workspace.
    pub fn named_head(
        &self,
        name: &str,
    ) -> Result<Option<(ObjectId, crate::object::Commit)>, RepoError> {
        match self.branch(name) {
            Ok((_, head)) => Ok(Some((head, history::read_commit(&self.odb, head)?))),
            Err(RepoError::UnknownBranch(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The one object whose id starts with `prefix`.
    pub fn resolve_prefix(&self, prefix: &HexPrefix) -> Result<ObjectId, RepoError> {
        let candidates = self.odb.ids_with_prefix(prefix)?;
        match candidates.as_slice() {
            [] => Err(RepoError::UnknownRevision(prefix.as_str().to_string())),
            [one] => Ok(*one),
            _ => Err(RepoError::Ambiguous {
                prefix: prefix.as_str().to_string(),
                candidates,
            }),
        }
    }
}
