//! Object stores: a narrow trait with loose-file, pack and in-memory implementations.
//!
//! Every implementation passes the same conformance suite (tests/it/conformance.rs). Writes are idempotent:
//! writing an object that is already present succeeds and changes nothing but its age (so that `gc` keeps it).

mod loose;
mod memory;
mod odb;
mod pack;

pub use loose::LooseStore;
pub use memory::MemoryStore;
pub use odb::{Odb, OdbOptions, SparseReads};
pub use pack::{
    Pack, PackBuffer, PackOptions, PackStore, PackSummary, PackWriter, order_for_packing,
    verify_pack, verify_pack_with,
};

use crate::fsutil::IoError;
use crate::id::{HexPrefix, ObjectId};
use crate::object::{HashedObject, RawObject};
use std::path::PathBuf;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file system refused.
    #[error(transparent)]
    Io(#[from] IoError),
    /// An object file or pack is damaged.
    #[error("{} is damaged: {reason}", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An object is larger than a pack can hold.
    #[error("object {id} is {size} bytes; a single object is limited to 2 GiB")]
    TooLarge {
        /// The object.
        id: ObjectId,
        /// Its size.
        size: u64,
    },
}

/// The narrow interface every object store offers.
pub trait ObjectStore: Send + Sync {
    /// Reads an object; `Ok(None)` when it is absent.
    fn read(&self, id: &ObjectId) -> Result<Option<RawObject>, StoreError>;

    /// Whether the object is present.
    fn contains(&self, id: &ObjectId) -> Result<bool, StoreError>;

    /// Writes one object durably. Writing a present object succeeds.
    fn write(&self, object: &HashedObject) -> Result<(), StoreError>;

    /// Writes many objects; durable when it returns. Stores that can write a batch more cheaply override it.
    fn write_batch(&self, objects: &[HashedObject]) -> Result<(), StoreError> {
        objects.iter().try_for_each(|object| self.write(object))
    }

    /// Every object id in the store, in no particular order, without duplicates.
    fn ids(&self) -> Result<Vec<ObjectId>, StoreError>;

    /// The ids that start with `prefix`.
    fn ids_with_prefix(&self, prefix: &HexPrefix) -> Result<Vec<ObjectId>, StoreError> {
        Ok(self
            .ids()?
            .into_iter()
            .filter(|id| prefix.matches(id))
            .collect())
    }
}
