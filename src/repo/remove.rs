//! `rm`: a run leaves every listing at once, and what only it reached leaves the disk at the next gc (or at once,
//! purged).
//!
//! Removing a run first records its head in `.hive/removed` (flushed), then deletes its reference, its log, its
//! staged events and its import mark. gc reads the list: every object reachable from a removed head and from no
//! reference is deleted whatever its age (the grace period protects objects a writer is about to reference, and
//! no writer references a removed run's objects without making them reachable from a reference again).

use super::gc::GcReport;
use super::{RepoError, Repository};
use crate::fsutil::{self, IoError};
use crate::id::ObjectId;
use crate::refs::{RefName, RefStore};
use std::path::PathBuf;

/// The list of removed heads whose objects gc deletes.
pub(super) const REMOVED_FILE: &str = "removed";

/// What removing one run did.
#[derive(Clone, Debug)]
pub struct RemoveOutcome {
    /// The run.
    pub run: String,
    /// Its head when it was removed (none for a run with staged events only).
    pub head: Option<ObjectId>,
    /// Its events.
    pub events: u64,
    /// Staged events deleted with it.
    pub staged: u64,
}

/// A removed head, as `.hive/removed` holds it (one JSON object per line).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Removed {
    pub run: String,
    pub head: String,
    pub time: String,
}

impl Repository {
    fn removed_path(&self) -> PathBuf {
        self.dir.join(REMOVED_FILE)
    }

    fn removed_lock(&self) -> Result<fsutil::LockedFile, RepoError> {
        let path = self.dir.join(format!("{REMOVED_FILE}.lock"));
        fsutil::lock_file(&path, fsutil::lock_timeout()).map_err(|failure| match failure {
            fsutil::LockError::Busy { path, .. } => RepoError::Io(IoError {
                operation: "lock",
                path,
                source: std::io::Error::new(
                    std::io::ErrorKind::WouldBlock,
                    "another hive process holds it",
                ),
            }),
            fsutil::LockError::Io(failure) => RepoError::Io(failure),
        })
    }

    /// The heads removed since the last gc (a torn last line, from a crash while writing it, is passed over).
    pub(super) fn removed_heads(&self) -> Result<Vec<Removed>, RepoError> {
        Ok(fsutil::read_json_lines(&self.removed_path())?)
    }

    /// Forgets the removed heads `done` (gc deleted what only they reached); keeps any added since.
    pub(super) fn forget_removed(&self, done: &[Removed]) -> Result<(), RepoError> {
        let _lock = self.removed_lock()?;
        let left: Vec<Removed> = self
            .removed_heads()?
            .into_iter()
            .filter(|removed| !done.contains(removed))
            .collect();
        let path = self.removed_path();
        if left.is_empty() {
            fsutil::remove_file(&path)?;
            return Ok(fsutil::sync_dir(&self.dir)?);
        }
        let mut bytes = Vec::new();
        for removed in left {
            serde_json::to_writer(&mut bytes, &removed).expect("an entry serializes");
            bytes.push(b'\n');
        }
        Ok(fsutil::write_atomic(&path, &bytes, true)?)
    }

    pub(super) fn record_removed(&self, removed: &Removed) -> Result<(), RepoError> {
        let _lock = self.removed_lock()?;
        let line = serde_json::to_vec(removed).expect("an entry serializes");
        Ok(fsutil::append_line(&self.removed_path(), &line, true)?)
    }

    /// Removes `run`: its reference, reference log, staged events and import mark. Its objects stay until the
    /// next [`Repository::gc`] (or [`Repository::purge`]), which deletes those no other run reaches.
    pub fn remove_run(&self, run: &str) -> Result<RemoveOutcome, RepoError> {
        let name = RefName::run(run)?;
        let head = self.refs.read(&name)?;
        let staged = self.journal.has_staged(run)?;
        let Some(head) = head else {
            if !staged {
                return Err(RepoError::UnknownRun(run.to_string()));
            }
            let staged = self.journal.remove(run)?;
            return Ok(RemoveOutcome {
                run: run.to_string(),
                head: None,
                events: 0,
                staged,
            });
        };
        let events = super::history::read_commit(&self.odb, head)?.run.events;
        // The head is recorded before the reference goes: a crash in between leaves a removed head that is still a
        // run, whose objects gc keeps because a reference reaches them.
        self.forget_reference(&name, run, head, "rm")?;
        let staged = self.journal.remove(run)?;
        let mark = self.import_mark_path(run);
        if mark.exists() {
            fsutil::remove_file(&mark)?;
            fsutil::remove_empty_parents(&mark, &self.dir.join("cache").join("import"));
        }
        Ok(RemoveOutcome {
            run: run.to_string(),
            head: Some(head),
            events,
            staged,
        })
    }

    /// Deletes now every object that only removed runs reached, from loose files and packs: a [`Repository::gc`]
    /// that keeps the grace period for other unreachable objects.
    pub fn purge(&self) -> Result<GcReport, RepoError> {
        self.gc(&super::GcOptions::default())
    }
}
