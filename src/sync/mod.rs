//! Sync: remotes, and moving runs between repositories with push, fetch, pull and clone (docs/PROTOCOL.md).
//!
//! Two roles meet over a [`Transport`]. The serving side ([`Peer`]) answers over a repository it holds: it
//! advertises the references a client may read, says which objects it already has, offers and sends the objects
//! reachable from references, and receives pushes. The client side ([`push`], [`fetch`], [`pull`], [`clone`]) works
//! out what the other side lacks and moves only that. A path remote calls a [`Peer`] in this process; an HTTP
//! remote reaches one inside `hive serve`. Both receive through a quarantine (`incoming/` of the receiving
//! repository): objects are hashed as they arrive, kept there across an interrupted transfer so that a retry
//! sends only what is missing, and moved into the repository only once every new reference is known to reach
//! nothing missing. References move by compare-and-swap.

mod client;
#[cfg(feature = "http")]
pub(crate) mod http;
mod path;
pub(crate) mod peer;
mod receive;
pub mod remote;
mod stream;
mod walk;

pub use client::{
    FetchOptions, FetchReport, PullOutcome, PullReport, PushOptions, PushReport, RefOutcome,
    TrackedRef, clone, fetch, pull, push,
};
#[cfg(feature = "http")]
pub use http::HttpTransport;
pub use path::PathTransport;
pub use peer::{Access, Grant, Level, Peer, ReachCache};
pub use remote::{RemoteUrl, connect};
pub use stream::Limits;

use crate::fsutil::IoError;
use crate::id::ObjectId;
use crate::refs::RefName;
use crate::repo::RepoError;
use serde::{Deserialize, Serialize};
use std::io::Read;

/// The protocol version this build speaks; [`Advertisement::protocols`] lists those a server speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// Why a sync operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The local or the remote repository failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The file system refused.
    #[error(transparent)]
    Io(#[from] IoError),
    /// A remote URL that hive cannot use.
    #[error("'{url}' is not a remote hive can use: {reason}")]
    BadUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// No remote of this name.
    #[error("no remote named '{0}'")]
    UnknownRemote(String),
    /// A remote of this name exists.
    #[error("a remote named '{0}' already exists")]
    RemoteExists(String),
    /// The peer sent bytes that break the protocol: a bad hash, a truncated stream, an object not asked for.
    #[error("{peer} sent invalid data: {reason}")]
    Protocol {
        /// The peer.
        peer: String,
        /// What is wrong.
        reason: String,
    },
    /// A transfer went over a limit.
    #[error("{what} is over the limit of {limit} bytes")]
    TooLarge {
        /// What.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// The connection failed or was cut.
    #[error("cannot reach {peer}: {reason}")]
    Connection {
        /// The peer.
        peer: String,
        /// Why.
        reason: String,
    },
    /// The remote refused the request; `status` is the HTTP status (401: no or wrong token, 404: no such
    /// repository or no access to it).
    #[error("{peer} refused: {message}")]
    Refused {
        /// The peer.
        peer: String,
        /// HTTP status, or a status the path transport maps to the same meaning.
        status: u16,
        /// The error code of the body (docs/PROTOCOL.md).
        code: String,
        /// The remote's message.
        message: String,
    },
    /// The remote speaks no protocol version this build speaks.
    #[error("{peer} speaks protocol versions {theirs:?}; this hive speaks {PROTOCOL_VERSION}")]
    Version {
        /// The peer.
        peer: String,
        /// What it speaks.
        theirs: Vec<u32>,
    },
    /// An object a new reference needs is absent on both sides of the transfer.
    #[error("{name} would point at {id}, which reaches the missing object {missing}")]
    NotConnected {
        /// The reference.
        name: String,
        /// Its new value.
        id: ObjectId,
        /// The missing object.
        missing: ObjectId,
    },
    /// The destination of a clone is not empty.
    #[error("{0} exists and is not an empty directory")]
    DestinationExists(std::path::PathBuf),
    /// The user stopped the transfer.
    #[error("stopped")]
    Cancelled,
}

impl SyncError {
    pub(crate) fn protocol(peer: &str, reason: impl Into<String>) -> SyncError {
        SyncError::Protocol {
            peer: peer.to_string(),
            reason: reason.into(),
        }
    }
}

impl From<crate::store::StoreError> for SyncError {
    fn from(error: crate::store::StoreError) -> Self {
        SyncError::Repo(error.into())
    }
}

impl From<crate::refs::RefError> for SyncError {
    fn from(error: crate::refs::RefError) -> Self {
        SyncError::Repo(error.into())
    }
}

/// A reference as a remote advertises it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteRef {
    /// Its full name (`runs/NAME` or `workspaces/NAME`).
    pub name: RefName,
    /// Its value.
    pub id: ObjectId,
}

/// What a remote says first: the protocol versions it speaks, its references (only those the client may read),
/// and its limits.
#[derive(Clone, Debug)]
pub struct Advertisement {
    /// Protocol versions the remote speaks.
    pub protocols: Vec<u32>,
    /// References the client may read, sorted by name.
    pub refs: Vec<RemoteRef>,
    /// The remote's limits.
    pub limits: Limits,
}

/// One reference update of a push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefCommand {
    /// The reference.
    pub name: RefName,
    /// What the client believes it holds (`None`: absent).
    pub old: Option<ObjectId>,
    /// What it should hold (`None`: delete it).
    pub new: Option<ObjectId>,
    /// Whether a non-fast-forward update is wanted.
    pub force: bool,
}

/// How a receiver answered one [`RefCommand`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefStatus {
    /// The reference was created.
    Created,
    /// The reference moved forward.
    FastForward,
    /// The reference was replaced by a value that does not descend from the old one (forced).
    Forced,
    /// The reference was deleted.
    Deleted,
    /// The reference already held the value.
    UpToDate,
    /// The new value does not descend from the reference's value, and the update was not forced.
    NonFastForward,
    /// The reference changed since the client read it.
    Stale,
    /// The client may not make this update.
    Forbidden,
    /// The update names an invalid reference, or a value whose objects are missing.
    Invalid,
}

impl RefStatus {
    /// Whether the reference holds the pushed value now.
    pub fn accepted(&self) -> bool {
        matches!(
            self,
            RefStatus::Created
                | RefStatus::FastForward
                | RefStatus::Forced
                | RefStatus::Deleted
                | RefStatus::UpToDate
        )
    }
}

/// The receiver's answer to one [`RefCommand`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefResult {
    /// The reference.
    pub name: RefName,
    /// What happened.
    pub status: RefStatus,
    /// Why, when refused.
    pub message: Option<String>,
}

/// The receiver's answer to a push.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiveReport {
    /// Objects received and verified (including those an interrupted earlier attempt sent).
    pub objects: u64,
    /// Objects moved into the repository.
    pub published: u64,
    /// One result per command, in order.
    pub refs: Vec<RefResult>,
}

/// Which objects a fetch asks for: what the references it wants point at, and commits it has (their history is
/// not sent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WantRequest {
    /// Values of advertised references.
    pub wants: Vec<ObjectId>,
    /// Commits the client holds.
    pub haves: Vec<ObjectId>,
}

/// Progress of a long transfer, for a display; the library never draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Objects looked at to work out what to send, so far.
    Counting(u64),
    /// Objects and bytes of the transfer stream sent or received, so far.
    Transferring {
        /// Objects.
        objects: u64,
        /// Bytes on the wire.
        bytes: u64,
    },
    /// Objects checked for connectivity, so far.
    Checking(u64),
}

/// Where progress goes.
pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Sync);

/// The one interface push, fetch, pull and clone use to reach a remote. A path remote and an HTTP remote
/// implement it; another transport (S3-compatible storage, a git remote) would implement it the same way.
pub trait Transport {
    /// How the remote is named in messages (its URL).
    fn peer(&self) -> &str;

    /// The protocol versions, readable references and limits of the remote.
    fn advertise(&self) -> Result<Advertisement, SyncError>;

    /// For each id, whether the remote has the object and may tell this client so. `push` names the push
    /// these ids are for, so that objects an interrupted attempt of the same push sent count as present.
    fn has(&self, ids: &[ObjectId], push: &ObjectId) -> Result<Vec<bool>, SyncError>;

    /// The objects a fetch of `request` would send, children before the objects that reference them.
    fn offer(&self, request: &WantRequest) -> Result<Vec<ObjectId>, SyncError>;

    /// Streams the objects of `request` (all of them, or those `select`ed among the [`Transport::offer`]) to
    /// `receive`, which reads a transfer stream (docs/PROTOCOL.md).
    fn fetch(
        &self,
        request: &WantRequest,
        select: Option<&[bool]>,
        receive: &mut dyn FnMut(&mut dyn Read) -> Result<(), SyncError>,
    ) -> Result<(), SyncError>;

    /// Sends a push's transfer stream (its reference commands, then objects) and returns the receiver's report.
    fn push(&self, stream: &mut (dyn Read + Send)) -> Result<ReceiveReport, SyncError>;
}

/// Hex of each id, for JSON.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) fn hex_ids(ids: &[ObjectId]) -> Vec<String> {
    ids.iter().map(ObjectId::to_hex).collect()
}

/// Ids from hex strings; `what` names the field in errors.
pub(crate) fn parse_ids(
    peer: &str,
    what: &str,
    hex: &[String],
) -> Result<Vec<ObjectId>, SyncError> {
    hex.iter()
        .map(|text| {
            ObjectId::from_hex(text).map_err(|_| {
                SyncError::protocol(peer, format!("{what}: '{text}' is not an object id"))
            })
        })
        .collect()
}

/// Packs booleans into bits, first id in the lowest bit of the first byte.
pub(crate) fn to_bitmap(bits: &[bool]) -> Vec<u8> {
    let mut bytes = vec![0u8; bits.len().div_ceil(8)];
    for (index, _) in bits.iter().enumerate().filter(|(_, bit)| **bit) {
        bytes[index / 8] |= 1 << (index % 8);
    }
    bytes
}

/// Unpacks `count` booleans from [`to_bitmap`]'s bytes.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) fn from_bitmap(peer: &str, bytes: &[u8], count: usize) -> Result<Vec<bool>, SyncError> {
    if bytes.len() != count.div_ceil(8) {
        return Err(SyncError::protocol(
            peer,
            format!("a bitmap of {} bytes for {count} ids", bytes.len()),
        ));
    }
    Ok((0..count)
        .map(|index| bytes[index / 8] & (1 << (index % 8)) != 0)
        .collect())
}

/// Ids as 32-byte records, for binary request and response bodies.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) fn ids_to_bytes(ids: &[ObjectId]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(ids.len() * 32);
    for id in ids {
        bytes.extend_from_slice(id.as_bytes());
    }
    bytes
}

/// Ids from 32-byte records.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) fn ids_from_bytes(peer: &str, bytes: &[u8]) -> Result<Vec<ObjectId>, SyncError> {
    if !bytes.len().is_multiple_of(32) {
        return Err(SyncError::protocol(
            peer,
            format!("{} bytes are not a list of 32-byte ids", bytes.len()),
        ));
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|chunk| ObjectId::from_bytes(chunk.try_into().expect("chunks are 32 bytes")))
        .collect())
}
