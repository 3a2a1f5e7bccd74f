//! The repository's object database: loose objects and packs behind one [`ObjectStore`].
//!
//! Single writes go to loose files; batches of [`OdbOptions::pack_threshold`] or more objects go to a new pack,
//! flushed once, so a commit of a whole session costs a few flushes rather than one per object.

use super::{LooseStore, ObjectStore, PackOptions, PackStore, StoreError};
use crate::id::{HexPrefix, ObjectId};
use crate::object::{HashedObject, RawObject};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// How the object database writes.
#[derive(Clone, Debug)]
pub struct OdbOptions {
    /// Batches with at least this many new objects are written as a pack.
    pub pack_threshold: usize,
    /// Compression of packs written for batches.
    pub pack: PackOptions,
}

impl Default for OdbOptions {
    fn default() -> Self {
        OdbOptions {
            pack_threshold: 8,
            pack: PackOptions::default(),
        }
    }
}

/// Loose objects and packs under one directory.
#[derive(Debug)]
pub struct Odb {
    dir: PathBuf,
    loose: LooseStore,
    packs: PackStore,
    options: OdbOptions,
}

impl Odb {
    /// Opens the object database in `dir` (`.hive/objects`).
    pub fn open(dir: &Path, options: OdbOptions) -> Result<Odb, StoreError> {
        Ok(Odb {
            dir: dir.to_path_buf(),
            loose: LooseStore::new(dir),
            packs: PackStore::new(dir.join("pack"), options.pack.clone())?,
            options,
        })
    }

    /// The `objects` directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The loose part.
    pub fn loose(&self) -> &LooseStore {
        &self.loose
    }

    /// The packed part.
    pub fn packs(&self) -> &PackStore {
        &self.packs
    }

    /// This database for reading a few objects scattered over packs (see [`SparseReads`]).
    pub fn sparse(&self) -> SparseReads<'_> {
        SparseReads(self)
    }
}

/// The object database, reading each packed object by decompressing its frame only as far as the object's end,
/// without caching the frame: the cheaper way to read objects that share no frame. Writes go to the database.
pub struct SparseReads<'a>(&'a Odb);

impl ObjectStore for SparseReads<'_> {
    fn read(&self, id: &ObjectId) -> Result<Option<RawObject>, StoreError> {
        match self.0.packs.read_sparse(id)? {
            Some(found) => Ok(Some(found)),
            None => self.0.read(id),
        }
    }

    fn contains(&self, id: &ObjectId) -> Result<bool, StoreError> {
        self.0.contains(id)
    }

    fn write(&self, object: &HashedObject) -> Result<(), StoreError> {
        self.0.write(object)
    }

    fn ids(&self) -> Result<Vec<ObjectId>, StoreError> {
        self.0.ids()
    }
}

impl ObjectStore for Odb {
    fn read(&self, id: &ObjectId) -> Result<Option<RawObject>, StoreError> {
        if let Some(found) = self.packs.read(id)? {
            return Ok(Some(found));
        }
        if let Some(found) = self.loose.read(id)? {
            return Ok(Some(found));
        }
        // gc may have moved the object from a loose file into a new pack between the two looks.
        self.packs.refresh()?;
        self.packs.read(id)
    }

    fn contains(&self, id: &ObjectId) -> Result<bool, StoreError> {
        Ok(self.loose.contains(id)? || self.packs.contains(id)?)
    }

    fn write(&self, object: &HashedObject) -> Result<(), StoreError> {
        if self.packs.contains(&object.id())? {
            return self.packs.write(object);
        }
        self.loose.write(object)
    }

    fn write_batch(&self, objects: &[HashedObject]) -> Result<(), StoreError> {
        let mut seen = HashSet::with_capacity(objects.len());
        let unique: Vec<&HashedObject> = objects
            .iter()
            .filter(|object| seen.insert(object.id()))
            .collect();
        if unique.len() >= self.options.pack_threshold {
            // A loose copy is not looked for (a file-system lookup per object): the object goes into the pack
            // too, and gc keeps one.
            return self.packs.write_objects(&unique);
        }
        let mut fresh = Vec::with_capacity(unique.len());
        for object in unique {
            if self.loose.contains(&object.id())? {
                self.loose.write(object)?;
            } else {
                fresh.push(object);
            }
        }
        let mut loose = Vec::with_capacity(fresh.len());
        for object in fresh {
            // Already packed: the pack's age is refreshed rather than the object written again.
            if !self.packs.freshen(&object.id())? {
                loose.push(object);
            }
        }
        self.loose.write_objects(&loose)
    }

    fn ids(&self) -> Result<Vec<ObjectId>, StoreError> {
        let mut ids = self.packs.ids()?;
        let known: HashSet<ObjectId> = ids.iter().copied().collect();
        ids.extend(
            self.loose
                .ids()?
                .into_iter()
                .filter(|id| !known.contains(id)),
        );
        Ok(ids)
    }

    fn ids_with_prefix(&self, prefix: &HexPrefix) -> Result<Vec<ObjectId>, StoreError> {
        let mut ids = self.packs.ids_with_prefix(prefix)?;
        ids.extend(self.loose.ids_with_prefix(prefix)?);
        ids.sort();
        ids.dedup();
        Ok(ids)
    }
}
