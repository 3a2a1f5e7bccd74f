//! `fork`: a new run that starts as the first events of another, sharing them.

use super::history::{self, ForkInput};
use super::{RepoError, Repository};
use crate::id::ObjectId;
use crate::object::Commit;
use crate::refs::{RefError, RefName, RefStore, ReflogEntry};
use crate::store::ObjectStore;
use crate::time::Timestamp;

/// What `fork` made.
#[derive(Clone, Debug)]
pub struct ForkOutcome {
    /// The new run.
    pub run: String,
    /// Its first commit.
    pub id: ObjectId,
    /// That commit.
    pub commit: Commit,
    /// The source run's head when it was forked.
    pub source_head: ObjectId,
}

impl Repository {
    /// Starts run `new` whose history is the first `seq` events of run `source` (see [`history::build_fork`]).
    /// Refuses a `new` that names an existing run or one with staged events.
    pub fn fork(
        &self,
        source: &str,
        seq: u64,
        new: &str,
        message: &str,
    ) -> Result<ForkOutcome, RepoError> {
        let name = RefName::run(new)?;
        // A name under a run, or over runs, is refused before its reference is looked up.
        self.check_run_name_free(new)?;
        if self.refs.read(&name)?.is_some() {
            return Err(RepoError::RunExists(new.to_string()));
        }
        if self.journal.has_staged(new)? {
            return Err(RepoError::StagedEvents(new.to_string()));
        }
        let cwd = std::env::current_dir().unwrap_or_default();
        let author = self.author(&cwd);
        let time = Timestamp::now().map_err(RepoError::BadTimestamp)?;
        // Held from reading the source to the reference update, so gc never prunes what the fork points at.
        let guard = self.write_guard()?;
        let (head, _) = self.require_head(source)?;
        let built = history::build_fork(
            &self.odb,
            ForkInput {
                source,
                head,
                seq,
                run: new,
                author: author.clone(),
                time,
                message: message.to_string(),
            },
        )?;
        self.odb.write_batch(&built.objects)?;
        let entry = ReflogEntry {
            old: None,
            new: Some(built.id.to_hex()),
            author,
            time: time.to_rfc3339(),
            message: format!("fork: {}", built.commit.message),
        };
        let updated = self.refs.update(&name, None, Some(built.id), &entry);
        drop(guard);
        match updated {
            Ok(()) => Ok(ForkOutcome {
                run: new.to_string(),
                id: built.id,
                commit: built.commit,
                source_head: head,
            }),
            Err(RefError::Stale { .. }) => Err(RepoError::RunExists(new.to_string())),
            Err(error) => Err(error.into()),
        }
    }
}
