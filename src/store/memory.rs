//! An in-memory object store, for tests and for building objects before they are written.

use super::{ObjectStore, StoreError};
use crate::id::ObjectId;
use crate::object::{HashedObject, RawObject};
use std::collections::HashMap;
use std::sync::RwLock;

/// Objects held in a hash map.
#[derive(Debug, Default)]
pub struct MemoryStore {
    objects: RwLock<HashMap<ObjectId, RawObject>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// Number of objects held.
    pub fn len(&self) -> usize {
        self.objects
            .read()
            .expect("lock poisoned only by a panic")
            .len()
    }

    /// Whether the store holds no object.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ObjectStore for MemoryStore {
    fn read(&self, id: &ObjectId) -> Result<Option<RawObject>, StoreError> {
        Ok(self
            .objects
            .read()
            .expect("lock poisoned only by a panic")
            .get(id)
            .cloned())
    }

    fn contains(&self, id: &ObjectId) -> Result<bool, StoreError> {
        Ok(self
            .objects
            .read()
            .expect("lock poisoned only by a panic")
            .contains_key(id))
    }

    fn write(&self, object: &HashedObject) -> Result<(), StoreError> {
        self.objects
            .write()
            .expect("lock poisoned only by a panic")
            .entry(object.id())
            .or_insert_with(|| object.raw().clone());
        Ok(())
    }

    fn ids(&self) -> Result<Vec<ObjectId>, StoreError> {
        Ok(self
            .objects
            .read()
            .expect("lock poisoned only by a panic")
            .keys()
            .copied()
            .collect())
    }
}
