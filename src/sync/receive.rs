//! Receiving objects: a quarantine beside the repository's objects, the connectivity check of new references,
//! and publishing what they reach.
//!
//! Objects arrive into `incoming/<key>/` as packs of at most [`PACK_BYTES`], each flushed and renamed into place
//! as it fills, so an interrupted transfer keeps whole packs of verified objects and a retry under the same key
//! skips them. Nothing in a quarantine is visible to readers of the repository. Once the transfer is complete,
//! each new reference is walked through the quarantine down to objects the repository holds (which are complete
//! by construction: only checked objects ever enter it); then the objects reached are moved into the repository,
//! and only then do references change.

use super::stream::StreamReader;
use super::walk::{IdSet, id_set, kind_fits};
use super::{Progress, ProgressFn, SyncError};
use crate::fsutil;
use crate::id::{ObjectId, ObjectKind};
use crate::object::HashedObject;
use crate::repo::{RepoError, Repository, children};
use crate::store::{ObjectStore, PackOptions, PackStore};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A quarantine pack is closed (flushed and made durable) once this many bytes of objects are in it.
pub const PACK_BYTES: u64 = 8 << 20;
/// Quarantines untouched for this long are abandoned transfers, and are deleted.
pub const QUARANTINE_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

/// Objects received but not yet part of a repository.
pub struct Quarantine {
    dir: PathBuf,
    packs: PackStore,
}

impl Quarantine {
    /// The quarantine `key` of `repo` (created when absent). Quarantines older than [`QUARANTINE_EXPIRY`] are
    /// deleted on the way.
    pub fn open(repo: &Repository, key: &ObjectId) -> Result<Quarantine, SyncError> {
        let root = repo.dir().join("incoming");
        expire(&root);
        let dir = root.join(key.to_hex());
        fsutil::create_dir_all(&dir)?;
        // Touched, so a transfer that keeps retrying is never expired under its feet.
        let _ = std::fs::File::open(&dir).and_then(|file| file.set_modified(SystemTime::now()));
        Ok(Quarantine {
            packs: PackStore::new(dir.clone(), PackOptions::default())?,
            dir,
        })
    }

    /// The quarantine `key` of `repo` if a transfer left one, without creating it.
    pub fn existing(repo: &Repository, key: &ObjectId) -> Result<Option<Quarantine>, SyncError> {
        let dir = repo.dir().join("incoming").join(key.to_hex());
        if !dir.is_dir() {
            return Ok(None);
        }
        Ok(Some(Quarantine {
            packs: PackStore::new(dir.clone(), PackOptions::default())?,
            dir,
        }))
    }

    /// Whether the quarantine holds `id`.
    pub fn contains(&self, id: &ObjectId) -> Result<bool, SyncError> {
        Ok(self.packs.contains(id)?)
    }

    /// Reads the stream's objects into the quarantine, skipping those the quarantine already holds, and (when
    /// `skip_held`) those the repository holds. Returns how many objects the stream held. On a failure mid-stream,
    /// what arrived before it is kept.
    pub fn receive(
        &self,
        repo: &Repository,
        reader: &mut StreamReader<'_>,
        skip_held: bool,
        progress: ProgressFn<'_>,
    ) -> Result<u64, SyncError> {
        let mut writer = self.packs.writer(PackOptions::default())?;
        let mut pending: Vec<HashedObject> = Vec::new();
        let mut pending_bytes = 0u64;
        let mut pack_bytes = 0u64;
        let outcome = loop {
            let object = match reader.next_object() {
                Ok(Some(object)) => object,
                Ok(None) => break Ok(()),
                Err(error) => break Err(error),
            };
            if reader.objects().is_multiple_of(1024) {
                progress(Progress::Transferring {
                    objects: reader.objects(),
                    bytes: reader.wire_bytes(),
                });
            }
            let id = object.id();
            if (skip_held && repo.odb().contains(&id)?) || self.packs.contains(&id)? {
                continue;
            }
            pending_bytes += object.body().len() as u64;
            pending.push(object);
            if pending_bytes >= 4 << 20 {
                writer.add(&pending.iter().collect::<Vec<_>>())?;
                pack_bytes += pending_bytes;
                pending.clear();
                pending_bytes = 0;
                if pack_bytes >= PACK_BYTES {
                    let full =
                        std::mem::replace(&mut writer, self.packs.writer(PackOptions::default())?);
                    self.packs.finish(full)?;
                    pack_bytes = 0;
                }
            }
        };
        // Whatever arrived whole is kept, also when the stream broke off.
        writer.add(&pending.iter().collect::<Vec<_>>())?;
        self.packs.finish(writer)?;
        progress(Progress::Transferring {
            objects: reader.objects(),
            bytes: reader.wire_bytes(),
        });
        outcome.map(|()| reader.objects())
    }

    /// Checks that `head` reaches nothing missing: walks the quarantine's objects from it down to objects the
    /// repository holds and `trusted` accepts. Adds the quarantine objects reached to `reached`. Returns the first
    /// object that is missing (or held but not trusted), if any.
    pub fn check(
        &self,
        repo: &Repository,
        head: ObjectId,
        trusted: &mut dyn FnMut(&ObjectId) -> Result<bool, SyncError>,
        reached: &mut IdSet,
        progress: ProgressFn<'_>,
    ) -> Result<Option<ObjectId>, SyncError> {
        let wrong_kind = |id, expected, found| {
            SyncError::Repo(RepoError::Decode {
                id,
                source: crate::object::DecodeError::Kind { expected, found },
            })
        };
        let mut stack = vec![(head, ObjectKind::Commit)];
        let mut seen = id_set();
        // Merged into `reached` only when the whole walk succeeds: an object is never taken as checked while
        // something below it is missing.
        let mut walked = id_set();
        while let Some((id, expected)) = stack.pop() {
            if reached.contains(&id) || !seen.insert(id) {
                continue;
            }
            let held = match self.packs.read(&id)? {
                Some(raw) => raw,
                // Held already (and readable by the pusher): it must be of the kind it is referenced as.
                None => match repo.odb().read(&id)? {
                    Some(found) if trusted(&id)? => {
                        if !kind_fits(expected, found.kind) {
                            return Err(wrong_kind(id, expected, found.kind));
                        }
                        continue;
                    }
                    _ => return Ok(Some(id)),
                },
            };
            if !kind_fits(expected, held.kind) {
                return Err(wrong_kind(id, expected, held.kind));
            }
            walked.insert(id);
            if (reached.len() + walked.len()).is_multiple_of(4096) {
                progress(Progress::Checking((reached.len() + walked.len()) as u64));
            }
            children(&held, &mut |child, kind| stack.push((child, kind))).map_err(|reason| {
                SyncError::Repo(RepoError::Decode {
                    id,
                    source: crate::object::DecodeError::Malformed {
                        kind: held.kind,
                        reason,
                    },
                })
            })?;
        }
        reached.extend(walked);
        Ok(None)
    }

    /// Moves the objects of `reached` into the repository: whole quarantine packs are renamed into place when all
    /// their objects were reached; the others' reached objects are copied into a new pack. Returns how many
    /// objects were published. The caller holds the repository's write guard.
    pub fn publish(&self, repo: &Repository, reached: &IdSet) -> Result<u64, SyncError> {
        self.packs.refresh()?;
        let target = repo.odb().packs();
        let mut published = 0u64;
        let mut copy = target.buffer(PackOptions::default())?;
        for pack in self.packs.packs() {
            let all = pack.ids().all(|id| reached.contains(&id));
            if all {
                let pack_path = pack.path().to_path_buf();
                let index_path = pack_path.with_extension("idx");
                let file = |path: &Path| target.dir().join(path.file_name().expect("a pack file"));
                // The pack first, then its index: readers find packs by their index.
                fsutil::rename(&pack_path, &file(&pack_path))?;
                fsutil::rename(&index_path, &file(&index_path))?;
                published += pack.len() as u64;
                self.packs.forget(pack.name());
            } else {
                for position in 0..pack.len() {
                    let id = pack.id_at(position);
                    if reached.contains(&id) && !repo.odb().contains(&id)? {
                        copy.push(pack.read_at(position)?.hashed())?;
                        published += 1;
                    }
                }
            }
        }
        copy.finish()?;
        fsutil::sync_dir(target.dir())?;
        target.refresh()?;
        Ok(published)
    }

    /// Deletes the quarantine and what is left in it.
    pub fn remove(self) {
        let _ = fsutil::remove_dir_all(&self.dir);
    }
}

/// Deletes quarantines untouched for [`QUARANTINE_EXPIRY`].
fn expire(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .ok()
            .and_then(|time| time.elapsed().ok())
            .is_some_and(|age| age > QUARANTINE_EXPIRY);
        if old {
            let _ = fsutil::remove_dir_all(&entry.path());
        }
    }
}
