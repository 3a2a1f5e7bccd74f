//! The path transport: a remote that is a directory on this machine or a shared file system, served by a
//! [`Peer`] in this process.

use super::peer::Peer;
use super::stream::Limits;
use super::{Access, Advertisement, ReceiveReport, SyncError, Transport, WantRequest, to_bitmap};
use crate::id::ObjectId;
use crate::repo::{HIVE_DIR, Repository};
use std::io::Read;
use std::path::Path;

/// A repository reached through the file system: a bare repository directory (holding `config`, `objects`,
/// `refs`) or a project directory holding `.hive`.
pub struct PathTransport {
    url: String,
    repo: Repository,
    who: String,
}

impl PathTransport {
    /// Opens the repository at `path`. With `create`, a missing one is created there as a bare repository (a
    /// push to a new path does that).
    pub fn open(
        url: &str,
        path: &Path,
        create: bool,
        who: &str,
    ) -> Result<PathTransport, SyncError> {
        let dir = if path.join("config").is_file() {
            path.to_path_buf()
        } else if path.join(HIVE_DIR).join("config").is_file() {
            path.join(HIVE_DIR)
        } else if create && (!path.exists() || is_empty_dir(path)) {
            Repository::init_bare(path)?;
            path.to_path_buf()
        } else {
            return Err(SyncError::Refused {
                peer: url.to_string(),
                status: 404,
                code: "not-found".into(),
                message: format!("no hive repository at {}", path.display()),
            });
        };
        Ok(PathTransport {
            url: url.to_string(),
            repo: Repository::open(&dir)?,
            who: who.to_string(),
        })
    }

    fn peer(&self) -> Peer<'_> {
        Peer::new(
            &self.repo,
            Access::Full,
            &self.who,
            "path",
            Limits::default(),
            None,
        )
    }
}

fn is_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_none())
}

impl Transport for PathTransport {
    fn peer(&self) -> &str {
        &self.url
    }

    fn advertise(&self) -> Result<Advertisement, SyncError> {
        self.peer().advertise()
    }

    fn has(&self, ids: &[ObjectId], push: &ObjectId) -> Result<Vec<bool>, SyncError> {
        self.peer().has(ids, push)
    }

    fn offer(&self, request: &WantRequest) -> Result<Vec<ObjectId>, SyncError> {
        self.peer().offer(request)
    }

    fn fetch(
        &self,
        request: &WantRequest,
        select: Option<&[bool]>,
        receive: &mut dyn FnMut(&mut dyn Read) -> Result<(), SyncError>,
    ) -> Result<(), SyncError> {
        let bitmap = select.map(to_bitmap);
        let (mut reader, mut writer) = std::io::pipe().map_err(|error| SyncError::Connection {
            peer: self.url.clone(),
            reason: error.to_string(),
        })?;
        let peer = self.peer();
        std::thread::scope(|scope| {
            let sender = scope.spawn(move || {
                let sent = peer.send(request, bitmap.as_deref(), &mut writer);
                drop(writer);
                sent
            });
            let received = receive(&mut reader);
            // Unblocks the sender if the receiver stopped early.
            drop(reader);
            let sent = sender.join().expect("the sending thread does not panic");
            // The receiver's error explains a sender's broken pipe, so it comes first.
            received.and(sent)
        })
    }

    fn push(&self, stream: &mut (dyn Read + Send)) -> Result<ReceiveReport, SyncError> {
        self.peer().receive(stream, &|_| {})
    }
}
