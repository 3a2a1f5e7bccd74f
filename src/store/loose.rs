//! Loose objects: one zstd file per object under `objects/xx/`, named by the rest of the id.

use super::{ObjectStore, StoreError};
use crate::fsutil::{self, IoContext};
use crate::id::{HexPrefix, ObjectId};
use crate::object::{HashedObject, RawObject};
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// zstd level for loose objects: fast, since `gc` recompresses them into packs.
const LEVEL: i32 = 3;

/// A directory of loose objects.
#[derive(Debug, Clone)]
pub struct LooseStore {
    dir: PathBuf,
}

impl LooseStore {
    /// A store rooted at `dir` (usually `.hive/objects`); the directory must exist.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LooseStore { dir: dir.into() }
    }

    /// The file an object lives in.
    pub fn path_of(&self, id: &ObjectId) -> PathBuf {
        let hex = id.to_hex();
        self.dir.join(&hex[..2]).join(&hex[2..])
    }

    /// Writes an object's file, flushed but with its directory not yet flushed. Returns the directory when a
    /// new file was created there.
    fn write_unsynced(&self, object: &HashedObject) -> Result<Option<PathBuf>, StoreError> {
        let path = self.path_of(&object.id());
        if path.exists() {
            freshen(&path);
            return Ok(None);
        }
        let dir = path
            .parent()
            .expect("object path has a parent")
            .to_path_buf();
        fsutil::create_dir_all(&dir)?;
        let compressed = zstd::bulk::compress(&object.raw().canonical_bytes(), LEVEL)
            .context("compress object for", &path)?;
        let mut temp = fsutil::temp_file(&dir, ".tmp-")?;
        let temp_path = temp.path().to_path_buf();
        fsutil::write_all(temp.as_file_mut(), &temp_path, &compressed)?;
        fsutil::flush(temp.as_file(), &temp_path)?;
        fsutil::persist(temp, &path)?;
        Ok(Some(dir))
    }

    /// Writes objects, each file flushed and each directory flushed once; present objects are only freshened.
    pub fn write_objects(&self, objects: &[&HashedObject]) -> Result<(), StoreError> {
        let mut dirs = BTreeSet::new();
        for object in objects {
            if let Some(dir) = self.write_unsynced(object)? {
                dirs.insert(dir);
            }
        }
        dirs.iter()
            .try_for_each(|dir| fsutil::sync_dir(dir).map_err(StoreError::from))
    }

    /// Deletes an object's file; absent files are fine.
    pub fn remove(&self, id: &ObjectId) -> Result<(), StoreError> {
        let path = self.path_of(id);
        fsutil::remove_file(&path)?;
        Ok(())
    }

    /// When the object's file was last written or freshened.
    pub fn modified(&self, id: &ObjectId) -> Option<SystemTime> {
        fs::metadata(self.path_of(id))
            .and_then(|meta| meta.modified())
            .ok()
    }

    /// Reads and checks an object file, returning its canonical bytes.
    pub fn read_canonical(&self, id: &ObjectId) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path_of(id);
        let compressed = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(fsutil::IoError {
                    operation: "read",
                    path,
                    source,
                }
                .into());
            }
        };
        // Bits a decoder passes over (the frame header's unused and reserved bits) are never set by hive: one set
        // is damage, even though the bytes would decode the same.
        if compressed
            .get(4)
            .is_some_and(|descriptor| descriptor & 0x18 != 0)
        {
            return Err(StoreError::Corrupt {
                path,
                reason: "the zstd frame header has bits set that hive never sets".into(),
            });
        }
        // hive writes the decompressed size into the frame header: reading stops there, so a small damaged or
        // planted file cannot inflate without bound.
        let declared = match zstd::zstd_safe::get_frame_content_size(&compressed) {
            Ok(Some(size)) if size <= MAX_OBJECT => size,
            _ => {
                return Err(StoreError::Corrupt {
                    path,
                    reason: "the zstd frame header does not give a size hive could have written"
                        .into(),
                });
            }
        };
        let mut canonical = Vec::with_capacity((declared as usize).min(64 << 20));
        let read = zstd::stream::read::Decoder::with_buffer(&compressed[..]).and_then(|decoder| {
            use std::io::Read;
            decoder.take(declared + 1).read_to_end(&mut canonical)
        });
        if read.is_ok() && canonical.len() as u64 != declared {
            return Err(StoreError::Corrupt {
                path,
                reason: format!(
                    "the zstd frame holds {} bytes, its header says {declared}",
                    canonical.len()
                ),
            });
        }
        read.map_err(|error| StoreError::Corrupt {
            path: path.clone(),
            reason: format!("not a zstd stream: {error}"),
        })?;
        Ok(Some(canonical))
    }

    fn fan_dirs(&self) -> Result<Vec<PathBuf>, StoreError> {
        let mut dirs = Vec::new();
        let entries = fsutil::list_dir(&self.dir)?;
        for entry in entries {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.len() == 2 && name.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                dirs.push(entry.path());
            }
        }
        Ok(dirs)
    }

    fn ids_in(dir: &Path, out: &mut Vec<ObjectId>) -> Result<(), StoreError> {
        let fan = dir
            .file_name()
            .expect("fan directory has a name")
            .to_string_lossy()
            .to_string();
        let entries = fsutil::list_dir(dir)?;
        for entry in entries {
            let name = entry.file_name();
            if let Ok(id) = ObjectId::from_hex(&format!("{fan}{}", name.to_string_lossy())) {
                out.push(id);
            }
        }
        Ok(())
    }
}

/// The largest object (canonical bytes) a store holds, as packs limit it: 2 GiB.
const MAX_OBJECT: u64 = u32::MAX as u64 / 2;

/// Marks an object as recently written, so a concurrent `gc` keeps it. Best effort.
/// Sets a file's modification time to now; false when the file is gone.
pub(crate) fn freshen(path: &Path) -> bool {
    match fs::File::options().write(true).open(path) {
        Ok(file) => {
            let _ = file.set_modified(SystemTime::now());
            true
        }
        Err(_) => false,
    }
}

impl ObjectStore for LooseStore {
    fn read(&self, id: &ObjectId) -> Result<Option<RawObject>, StoreError> {
        let Some(canonical) = self.read_canonical(id)? else {
            return Ok(None);
        };
        // A read never returns bytes other than the ones the id names.
        let actual = ObjectId::hash_canonical(&canonical);
        if actual != *id {
            return Err(StoreError::Corrupt {
                path: self.path_of(id),
                reason: format!("object {id} reads back as bytes that hash to {actual}"),
            });
        }
        RawObject::from_canonical(&canonical)
            .map(Some)
            .map_err(|error| StoreError::Corrupt {
                path: self.path_of(id),
                reason: error.to_string(),
            })
    }

    fn contains(&self, id: &ObjectId) -> Result<bool, StoreError> {
        Ok(self.path_of(id).exists())
    }

    fn write(&self, object: &HashedObject) -> Result<(), StoreError> {
        // A new fan-out directory is made durable by create_dir_all; the new file by flushing its directory.
        if let Some(dir) = self.write_unsynced(object)? {
            fsutil::sync_dir(&dir)?;
        }
        Ok(())
    }

    fn write_batch(&self, objects: &[HashedObject]) -> Result<(), StoreError> {
        self.write_objects(&objects.iter().collect::<Vec<_>>())
    }

    fn ids(&self) -> Result<Vec<ObjectId>, StoreError> {
        let mut out = Vec::new();
        for dir in self.fan_dirs()? {
            Self::ids_in(&dir, &mut out)?;
        }
        Ok(out)
    }

    fn ids_with_prefix(&self, prefix: &HexPrefix) -> Result<Vec<ObjectId>, StoreError> {
        let mut out = Vec::new();
        Self::ids_in(&self.dir.join(&prefix.as_str()[..2]), &mut out)?;
        out.retain(|id| prefix.matches(id));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 4 kB file of 1,024 run-length blocks, without the size hive always writes in the frame header, would
    /// inflate to 128 MiB: it is refused before anything is decompressed (found by the `object_decode` fuzz target).
    #[test]
    fn a_frame_without_its_size_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let store = LooseStore::new(dir.path());
        let id = ObjectId::hash_canonical(b"anything");
        let path = store.path_of(&id);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            include_bytes!("../../fuzz/regressions/object_decode/loose-rle-bomb"),
        )
        .unwrap();
        match store.read_canonical(&id) {
            Err(StoreError::Corrupt { reason, .. }) => {
                assert!(reason.contains("size"), "{reason}")
            }
            other => panic!("refused as damaged: {other:?}"),
        }
    }

    /// A frame that holds more or fewer bytes than its header says is damaged.
    #[test]
    fn a_frame_whose_size_disagrees_with_its_header_is_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let store = LooseStore::new(dir.path());
        let object = RawObject::new(crate::id::ObjectKind::Blob, b"some bytes".to_vec()).hashed();
        store.write(&object).unwrap();
        let path = store.path_of(&object.id());
        let mut bytes = std::fs::read(&path).unwrap();
        // The size sits after the magic and the descriptor (single segment: no window byte), in one byte here.
        assert_eq!(bytes[4] & 0xE0, 0x20, "single segment, one-byte size");
        bytes[5] += 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(
            store.read_canonical(&object.id()),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(store.read(&object.id()).is_err());
    }
}
