//! `gc`: repacks reachable objects into one pack at a stronger zstd level, and prunes unreachable objects older
//! than a grace period.
//!
//! Safety with concurrent writers: gc only deletes files it listed before it started, never a pack or loose
//! object written after; an unreachable object is kept while it is younger than the grace period, and writers
//! refresh the age of an object they reuse, so an object a writer is about to reference is never pruned.
//! gc refuses to delete anything when the repository has missing or damaged objects.

use super::fsck::{walk, walk_beyond};
use super::{RepoError, Repository};
use crate::fsutil;
use crate::id::ObjectId;
use crate::refs::RefStore;
use crate::store::{ObjectStore, PackOptions, StoreError};
use std::collections::HashSet;
use std::time::{Duration, SystemTime};

/// How `gc` works.
#[derive(Clone, Debug)]
pub struct GcOptions {
    /// Unreachable objects younger than this are kept (default two weeks, as git's prune expiry).
    pub grace: Duration,
    /// Compression of the new pack.
    pub pack: PackOptions,
}

impl Default for GcOptions {
    fn default() -> Self {
        GcOptions {
            grace: Duration::from_secs(14 * 24 * 3600),
            pack: PackOptions::repack(),
        }
    }
}

/// What `gc` did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct GcReport {
    /// Packs before.
    pub packs_before: u64,
    /// Loose objects before.
    pub loose_before: u64,
    /// Bytes of packs and loose objects before.
    pub bytes_before: u64,
    /// Reachable objects written to the new pack.
    pub packed: u64,
    /// Unreachable objects kept because they are recent.
    pub kept_recent: u64,
    /// Unreachable objects deleted.
    pub pruned: u64,
    /// Of those, objects deleted because only removed runs reached them (whatever their age).
    pub purged: u64,
    /// Removed runs (or workspaces) whose head another branch still reaches (it was merged, or forked at its
    /// head): their objects stay.
    pub removed_still_reachable: Vec<String>,
    /// Bytes of packs and loose objects after.
    pub bytes_after: u64,
    /// The new pack, if one was written.
    pub pack: Option<String>,
}

/// A lock another process holds means gc (or a pack merge) is running.
fn gc_lock_error(failure: fsutil::LockError) -> RepoError {
    match failure {
        fsutil::LockError::Busy { .. } => RepoError::GcRunning,
        fsutil::LockError::Io(failure) => RepoError::Io(failure),
    }
}

/// The lock writers share and gc takes exclusively to delete.
const WRITERS_LOCK: &str = "objects.lock";

/// How long gc waits for writers to finish, and writers for gc's deleting phase.
const GC_FINAL_PHASE: Duration = Duration::from_secs(60);

fn stop_on_problems(dir: &std::path::Path, problems: &[super::Problem]) -> Result<(), RepoError> {
    match problems.first() {
        None => Ok(()),
        Some(problem) => Err(StoreError::Corrupt {
            path: dir.to_path_buf(),
            reason: format!(
                "gc stopped before deleting anything: {} {}: {}",
                problem.kind, problem.subject, problem.detail
            ),
        }
        .into()),
    }
}

/// Temporary files older than this were left by a process that died while writing.
const TEMPORARY_AGE: Duration = Duration::from_secs(3600);

/// Removes `.tmp-*` files, left by writers that died, older than `age`. Best effort.
fn remove_stale_temporaries(dir: &std::path::Path, age: Duration, now: SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            remove_stale_temporaries(&path, age, now);
        } else if entry.file_name().to_string_lossy().starts_with(".tmp-") {
            let old = entry
                .metadata()
                .and_then(|meta| meta.modified())
                .is_ok_and(|time| now.duration_since(time).unwrap_or_default() >= age);
            if old {
                let _ = fsutil::remove_file(&path);
            }
        }
    }
}

/// The object with the id the index gives it, or damage: a copy that hashes differently is never carried into
/// a new pack (and the pack it came from is then not deleted).
pub(super) fn checked(
    pack: &crate::store::Pack,
    id: ObjectId,
    raw: crate::object::RawObject,
) -> Result<crate::object::HashedObject, StoreError> {
    let object = raw.hashed();
    if object.id() != id {
        return Err(StoreError::Corrupt {
            path: pack.path().to_path_buf(),
            reason: format!("object {id} hashes to {}", object.id()),
        });
    }
    Ok(object)
}

impl Repository {
    /// The lock every object writer holds, shared, from its first object write to the reference update that makes
    /// its objects reachable; `gc` holds it exclusively while it decides what to delete and deletes it.
    pub fn write_guard(&self) -> Result<fsutil::LockedFile, RepoError> {
        fsutil::lock_file_shared(
            &self.dir.join(WRITERS_LOCK),
            fsutil::lock_timeout().max(GC_FINAL_PHASE),
        )
        .map_err(gc_lock_error)
    }

    /// Repacks and prunes. Fails without deleting anything if the repository has missing or damaged objects.
    pub fn gc(&self, options: &GcOptions) -> Result<GcReport, RepoError> {
        let lock_path = self.dir.join("gc.lock");
        let _gc = fsutil::lock_file(&lock_path, Duration::ZERO).map_err(gc_lock_error)?;
        let mut report = GcReport::default();
        let packs = self.odb.packs();
        packs.refresh()?;
        if let Some((path, reason)) = packs.broken().first() {
            return Err(StoreError::Corrupt {
                path: path.clone(),
                reason: format!("gc stopped before changing anything: {reason}"),
            }
            .into());
        }
        let old_packs = packs.packs();
        let loose = self.odb.loose();
        let loose_ids = loose.ids()?;
        report.packs_before = old_packs.len() as u64;
        report.loose_before = loose_ids.len() as u64;
        report.bytes_before = self.stored_bytes()?;

        // Heads of removed runs: what only they reach is deleted whatever its age. Objects already gone are passed
        // over (a crash after an earlier gc deleted them, before it forgot the heads).
        let removed = self.removed_heads()?;
        let removed_heads: Vec<(String, ObjectId)> = removed
            .iter()
            .filter_map(|entry| Some((entry.run.clone(), ObjectId::from_hex(&entry.head).ok()?)))
            .collect();
        let condemned = walk(&self.odb, &removed_heads)?.seen;

        // Phase 1, while writers go on: repack everything reachable now.
        let reachable = walk(&self.odb, &self.heads()?)?;
        stop_on_problems(&self.dir, &reachable.problems)?;
        // Read packs frame by frame (each frame decompressed once), then whatever is loose or newer.
        // Streamed into the new pack a bounded batch at a time, so memory does not grow with the repository.
        let mut pack = packs.buffer(options.pack.clone())?;
        let mut gathered: HashSet<ObjectId> = HashSet::with_capacity(reachable.order.len());
        for old in &old_packs {
            old.scan(|id, raw| {
                if reachable.seen.contains(&id) && gathered.insert(id) {
                    pack.push(checked(old, id, raw)?)?;
                }
                Ok(())
            })?;
        }
        for id in reachable.order.iter().filter(|id| !gathered.contains(id)) {
            let raw = self.odb.read(id)?.ok_or(RepoError::MissingObject(*id))?;
            pack.push(raw.hashed())?;
        }
        // Every reachable object, from a pack or from the loop above.
        report.packed = reachable.order.len() as u64;
        drop(gathered);
        let summary = pack.finish()?;
        let mut new_packs: Vec<String> =
            summary.iter().map(|summary| summary.name.clone()).collect();
        report.pack = new_packs.first().cloned();

        // Phase 2, with writers held off: whatever they made reachable meanwhile is kept too.
        let guard_path = self.dir.join(WRITERS_LOCK);
        let _writers = fsutil::lock_file(&guard_path, GC_FINAL_PHASE).map_err(gc_lock_error)?;
        let later = walk_beyond(&self.odb, &self.heads()?, reachable.seen)?;
        stop_on_problems(&self.dir, &later.problems)?;
        let mut reachable_now = later.seen;
        if !later.order.is_empty() {
            let mut objects = Vec::with_capacity(later.order.len());
            for id in &later.order {
                objects.push(
                    self.odb
                        .read(id)?
                        .ok_or(RepoError::MissingObject(*id))?
                        .hashed(),
                );
            }
            report.packed += objects.len() as u64;
            if let Some(summary) = packs
                .write_pack_with(&objects.iter().collect::<Vec<_>>(), &PackOptions::default())?
            {
                new_packs.push(summary.name);
            }
        }
        reachable_now.shrink_to_fit();

        let now = SystemTime::now();
        let young = |modified: Option<SystemTime>| {
            modified.is_none_or(|time| now.duration_since(time).unwrap_or_default() < options.grace)
        };
        report.removed_still_reachable = removed_heads
            .iter()
            .filter(|(_, head)| reachable_now.contains(head))
            .map(|(name, _)| name.clone())
            .collect();
        // Unreachable now and reached by a removed run: never kept.
        let doomed = |id: &ObjectId| condemned.contains(id) && !reachable_now.contains(id);
        let mut kept: HashSet<ObjectId> = HashSet::new();
        // Unreachable objects of old packs: keep the young ones as loose objects with their age.
        for pack in old_packs
            .iter()
            .filter(|pack| !new_packs.iter().any(|name| name == pack.name()))
        {
            let modified = pack.modified();
            if !young(modified) {
                for id in pack.ids() {
                    if !reachable_now.contains(&id) && !kept.contains(&id) {
                        report.pruned += 1;
                        report.purged += u64::from(condemned.contains(&id));
                    }
                }
                continue;
            }
            let mut keep = Vec::new();
            pack.scan(|id, raw| {
                if doomed(&id) {
                    report.purged += 1;
                    report.pruned += 1;
                } else if !reachable_now.contains(&id) && kept.insert(id) {
                    keep.push(raw.hashed());
                }
                Ok(())
            })?;
            loose.write_batch(&keep)?;
            if let Some(time) = modified {
                for object in &keep {
                    if let Ok(file) = std::fs::File::options()
                        .write(true)
                        .open(loose.path_of(&object.id()))
                    {
                        let _ = file.set_modified(time);
                    }
                }
            }
        }
        for pack in old_packs
            .iter()
            .filter(|pack| !new_packs.iter().any(|name| name == pack.name()))
        {
            packs.remove(pack)?;
        }
        for id in &loose_ids {
            if kept.contains(id) {
                continue;
            }
            if reachable_now.contains(id) {
                loose.remove(id)?;
            } else if doomed(id) {
                loose.remove(id)?;
                report.purged += 1;
                report.pruned += 1;
            } else if young(loose.modified(id)) {
                report.kept_recent += 1;
            } else {
                loose.remove(id)?;
                report.pruned += 1;
            }
        }
        report.kept_recent += kept.len() as u64;
        // Digests kept for diff of event lists that are gone go with them.
        super::digest::prune_cache(&self.dir.join("cache").join("diff"), &reachable_now);
        remove_stale_temporaries(self.odb.dir(), TEMPORARY_AGE, now);
        remove_stale_temporaries(&self.dir.join("refs"), TEMPORARY_AGE, now);
        fsutil::sync_dir(packs.dir())?;
        report.bytes_after = self.stored_bytes()?;
        self.forget_removed(&removed)?;
        Ok(report)
    }

    fn heads(&self) -> Result<Vec<(String, ObjectId)>, RepoError> {
        Ok(self
            .refs
            .list("")?
            .into_iter()
            .map(|(name, id)| (name.as_str().to_string(), id))
            .collect())
    }

    /// Bytes of every pack, index and loose object file.
    pub fn stored_bytes(&self) -> Result<u64, RepoError> {
        fn size(dir: &std::path::Path) -> u64 {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return 0;
            };
            entries
                .filter_map(Result::ok)
                .map(|entry| match entry.file_type() {
                    Ok(kind) if kind.is_dir() => size(&entry.path()),
                    Ok(_) => entry.metadata().map(|meta| meta.len()).unwrap_or(0),
                    Err(_) => 0,
                })
                .sum()
        }
        Ok(size(self.odb.dir()))
    }
}
