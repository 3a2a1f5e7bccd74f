//! hive: git for AI-agent sessions.
//!
//! Sessions are captured as typed, ordered [`event::Event`]s, stored as content-addressed objects
//! ([`id::ObjectId`], blake3 over a canonical encoding, zstd on disk), and every run is a branch of commits.
//!
//! Layers, each depending only on those above it in this list:
//! [`id`], [`canonical`], [`time`] → [`object`], [`event`], [`payload`] → [`store`], [`refs`], [`journal`],
//! [`config`] → [`repo`]. The library never prints; the `hive` binary is a thin layer over [`repo::Repository`].
//!
//! ```
//! use hive::object::RawObject;
//! use hive::id::ObjectKind;
//! use hive::store::{MemoryStore, ObjectStore};
//!
//! let store = MemoryStore::new();
//! let blob = RawObject::new(ObjectKind::Blob, b"hello".to_vec()).hashed();
//! store.write(&blob).unwrap();
//! assert_eq!(store.read(&blob.id()).unwrap().unwrap().body, b"hello");
//! ```

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod canonical;
pub mod codectx;
pub mod config;
pub mod event;
pub mod fault;
pub mod formats;
pub mod fsutil;
pub mod hooks;
pub mod id;
pub mod journal;
pub mod object;
pub mod payload;
pub mod redact;
pub mod refs;
pub mod repo;
#[cfg(feature = "search")]
pub mod search;
#[cfg(feature = "server")]
pub mod server;
pub mod store;
pub mod sync;
pub mod time;

pub use id::{ObjectId, ObjectKind};

/// Parsers of the sync protocol that the rest of the API keeps private, reached by the fuzz targets in `fuzz/`.
/// Not part of the API: they may change at any time.
#[doc(hidden)]
pub mod fuzzing {
    #[cfg(feature = "http")]
    pub use crate::sync::http::{
        ErrorJson, RefJson, RefResultJson, RefsJson, ReportJson, error_of, parse_refs, parse_report,
    };
    pub use crate::sync::peer::{
        CommandJson, PushHeader, StreamReader, StreamWriter, WantJson, parse_commands,
    };
}
pub use repo::{RepoError, Repository};
