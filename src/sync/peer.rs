//! The serving side of the protocol over a repository this process holds: what `hive serve` runs for each
//! request, and what a path remote runs in the client's own process.

use super::receive::Quarantine;
use super::stream::Limits;
/// The transfer stream's reader and writer, for the fuzz targets (they live in a private module).
#[doc(hidden)]
pub use super::stream::{StreamReader, StreamWriter};
use super::walk::{IdSet, id_set, is_ancestor, objects_beyond, own_objects};
use super::{
    Advertisement, PROTOCOL_VERSION, ProgressFn, ReceiveReport, RefCommand, RefResult, RefStatus,
    RemoteRef, SyncError, WantRequest, hex_ids, parse_ids,
};
use crate::id::ObjectId;
use crate::object::{HashedObject, RawObject};
use crate::refs::{RefName, RefStore, ReflogEntry};
use crate::repo::{RepoError, Repository, read_commit};
use crate::store::{ObjectStore, PackOptions, PackStore, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// What a grant allows: each level includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Read references and the objects they reach.
    Read,
    /// Also create references and move them forward.
    Write,
    /// Also force non-fast-forward updates, delete references, and create the repository by pushing to it.
    Admin,
}

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "read" => Ok(Level::Read),
            "write" => Ok(Level::Write),
            "admin" => Ok(Level::Admin),
            _ => Err(format!(
                "'{text}' is not an access level (read, write, admin)"
            )),
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Level::Read => "read",
            Level::Write => "write",
            Level::Admin => "admin",
        })
    }
}

/// One permission of a token: a level on the runs and workspaces of a repository whose names start with a
/// prefix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The repository's name, or `*` for every repository.
    pub repo: String,
    /// The run and workspace names covered (empty: all of them).
    #[serde(default)]
    pub prefix: String,
    /// What is allowed.
    pub level: Level,
}

impl Grant {
    /// Whether this grant covers repository `repo`.
    pub fn covers_repo(&self, repo: &str) -> bool {
        self.repo == "*" || self.repo == repo
    }
}

/// What a client may do in one repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Everything: a path remote, whose user can read and write the files anyway.
    Full,
    /// What the grants of a token allow in this repository.
    Scoped(Vec<Grant>),
}

impl Access {
    /// Whether `name` (`runs/NAME` or `workspaces/NAME`) may be used at `level`.
    pub fn allows(&self, level: Level, name: &RefName) -> bool {
        let short = name
            .run_name()
            .or_else(|| name.workspace_name())
            .unwrap_or(name.as_str());
        match self {
            Access::Full => true,
            Access::Scoped(grants) => grants
                .iter()
                .any(|grant| grant.level >= level && short.starts_with(&grant.prefix)),
        }
    }

    /// Whether anything in the repository may be used at `level`.
    pub fn any(&self, level: Level) -> bool {
        match self {
            Access::Full => true,
            Access::Scoped(grants) => grants.iter().any(|grant| grant.level >= level),
        }
    }

    /// Whether the whole repository may be read.
    fn reads_everything(&self) -> bool {
        match self {
            Access::Full => true,
            Access::Scoped(grants) => grants
                .iter()
                .any(|grant| grant.prefix.is_empty() && grant.level >= Level::Read),
        }
    }
}

/// What a server remembers between requests about one repository: the objects each commit brings (they never
/// change), and the objects reachable from the references a scope may read.
#[derive(Debug, Default)]
pub struct ReachCache {
    own: Mutex<HashMap<ObjectId, Arc<Vec<ObjectId>>>>,
    reach: Mutex<Vec<(blake3::Hash, Arc<IdSet>)>>,
}

impl ReachCache {
    /// The objects reachable from `heads`, computed from the commits' own objects.
    fn reachable(&self, repo: &Repository, heads: &[ObjectId]) -> Result<Arc<IdSet>, SyncError> {
        let mut key = blake3::Hasher::new();
        for head in heads {
            key.update(head.as_bytes());
        }
        let key = key.finalize();
        if let Some((_, set)) = self
            .reach
            .lock()
            .expect("lock poisoned only by a panic")
            .iter()
            .find(|(seen, _)| *seen == key)
        {
            return Ok(set.clone());
        }
        let commits = super::walk::commits_beyond(repo.odb(), heads, &|_| false)?;
        let mut set = id_set();
        for commit in commits {
            let cached = self
                .own
                .lock()
                .expect("lock poisoned only by a panic")
                .get(&commit)
                .cloned();
            let own = match cached {
                Some(own) => own,
                None => {
                    let own = Arc::new(own_objects(repo.odb(), commit)?);
                    self.own
                        .lock()
                        .expect("lock poisoned only by a panic")
                        .insert(commit, own.clone());
                    own
                }
            };
            set.extend(own.iter().copied());
        }
        let set = Arc::new(set);
        let mut reach = self.reach.lock().expect("lock poisoned only by a panic");
        if reach.len() >= 8 {
            reach.remove(0);
        }
        reach.push((key, set.clone()));
        Ok(set)
    }
}

/// The header of a push's transfer stream.
#[doc(hidden)]
#[derive(Debug, Serialize, Deserialize)]
pub struct PushHeader {
    pub protocol: u32,
    /// Names the push, so that a retry finds what an interrupted attempt sent.
    pub push: String,
    pub commands: Vec<CommandJson>,
}

/// One reference command in JSON.
#[doc(hidden)]
#[derive(Debug, Serialize, Deserialize)]
pub struct CommandJson {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    #[serde(default)]
    pub force: bool,
}

impl CommandJson {
    pub(crate) fn from_command(command: &RefCommand) -> Self {
        CommandJson {
            name: command.name.as_str().to_string(),
            old: command.old.map(|id| id.to_hex()),
            new: command.new.map(|id| id.to_hex()),
            force: command.force,
        }
    }
}

/// The serving side over one repository, for one client.
pub struct Peer<'a> {
    repo: &'a Repository,
    access: Access,
    /// Who the client is, in reference logs.
    who: String,
    /// Keeps different clients' quarantines apart.
    identity: String,
    limits: Limits,
    cache: Option<&'a ReachCache>,
}

/// Only references under these folders travel.
pub(crate) fn is_synced(name: &RefName) -> bool {
    name.run_name().is_some() || name.workspace_name().is_some()
}

impl<'a> Peer<'a> {
    /// Serves `repo` to a client with `access`. `who` names the client in reference logs; `identity` keeps its
    /// interrupted pushes apart from other clients'; `cache` (a server's) keeps reachability between requests.
    pub fn new(
        repo: &'a Repository,
        access: Access,
        who: &str,
        identity: &str,
        limits: Limits,
        cache: Option<&'a ReachCache>,
    ) -> Self {
        Peer {
            repo,
            access,
            who: who.to_string(),
            identity: identity.to_string(),
            limits,
            cache,
        }
    }

    /// The repository served.
    pub fn repo(&self) -> &Repository {
        self.repo
    }

    /// What the client may do.
    pub fn access(&self) -> &Access {
        &self.access
    }

    fn readable_refs(&self) -> Result<Vec<RemoteRef>, SyncError> {
        let mut refs = Vec::new();
        for folder in ["runs/", "workspaces/"] {
            for (name, id) in self.repo.refs().list(folder)? {
                if self.access.allows(Level::Read, &name) {
                    refs.push(RemoteRef { name, id });
                }
            }
        }
        refs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(refs)
    }

    /// The readable references, protocol versions and limits.
    pub fn advertise(&self) -> Result<Advertisement, SyncError> {
        Ok(Advertisement {
            protocols: vec![PROTOCOL_VERSION],
            refs: self.readable_refs()?,
            limits: self.limits,
        })
    }

    fn quarantine_key(&self, push: &ObjectId) -> ObjectId {
        let mut hasher = blake3::Hasher::new();
        hasher.update(self.identity.as_bytes());
        hasher.update(&[0]);
        hasher.update(push.as_bytes());
        ObjectId::from_bytes(*hasher.finalize().as_bytes())
    }

    /// Decides, per object, whether the client may be told it exists: with read access to everything, every
    /// object is; otherwise only those reachable from references the client may read.
    fn visibility(&self) -> Result<Option<Arc<IdSet>>, SyncError> {
        if self.access.reads_everything() {
            return Ok(None);
        }
        let heads: Vec<ObjectId> = self.readable_refs()?.iter().map(|r| r.id).collect();
        let local = ReachCache::default();
        let cache = self.cache.unwrap_or(&local);
        Ok(Some(cache.reachable(self.repo, &heads)?))
    }

    /// For each id, whether the repository (or this client's quarantine for push `push`) holds it and the
    /// client may know it.
    pub fn has(&self, ids: &[ObjectId], push: &ObjectId) -> Result<Vec<bool>, SyncError> {
        let quarantine = Quarantine::existing(self.repo, &self.quarantine_key(push))?;
        let visible = self.visibility()?;
        ids.iter()
            .map(|id| {
                if let Some(quarantine) = &quarantine
                    && quarantine.contains(id)?
                {
                    return Ok(true);
                }
                Ok(match &visible {
                    None => self.repo.odb().contains(id)?,
                    Some(set) => set.contains(id),
                })
            })
            .collect()
    }

    /// Refuses a request whose wants are not all values of references the client may read (a reference that
    /// moved since it was advertised, or an id the client has no business asking for).
    pub fn check_wants(&self, request: &WantRequest) -> Result<(), SyncError> {
        let readable: IdSet = self.readable_refs()?.iter().map(|r| r.id).collect();
        match request.wants.iter().find(|id| !readable.contains(id)) {
            None => Ok(()),
            Some(unknown) => Err(SyncError::Refused {
                peer: String::new(),
                status: 409,
                code: "unknown-want".into(),
                message: format!(
                    "{unknown} is not the value of a reference you may read (it may have moved; fetch again)"
                ),
            }),
        }
    }

    /// The objects a fetch of `request` sends, children first. Every want must be the value of a reference the
    /// client may read.
    pub fn offer(&self, request: &WantRequest) -> Result<Vec<ObjectId>, SyncError> {
        self.check_wants(request)?;
        let haves: IdSet = request.haves.iter().copied().collect();
        let odb = self.repo.odb();
        let mut stop =
            |id: ObjectId, kind| Ok(kind == crate::id::ObjectKind::Commit && haves.contains(&id));
        objects_beyond(odb, &request.wants, &mut stop, &|_| {})
    }

    /// Writes the transfer stream of a fetch: every object of the offer, or those the bitmap `select` picks.
    pub fn send(
        &self,
        request: &WantRequest,
        select: Option<&[u8]>,
        out: &mut dyn Write,
    ) -> Result<(), SyncError> {
        let offer = self.offer(request)?;
        let chosen: Vec<ObjectId> = match select {
            None => offer,
            Some(bitmap) => {
                let select = super::from_bitmap("the client", bitmap, offer.len()).map_err(
                    |_| SyncError::Refused {
                        peer: String::new(),
                        status: 409,
                        code: "offer-changed".into(),
                        message: format!(
                            "the selection has {} bytes for an offer of {} objects; fetch again",
                            bitmap.len(),
                            offer.len()
                        ),
                    },
                )?;
                offer
                    .into_iter()
                    .zip(select)
                    .filter(|(_, chosen)| *chosen)
                    .map(|(id, _)| id)
                    .collect()
            }
        };
        write_objects(self.repo.odb(), &chosen, b"{}", out)
    }

    /// Receives a push: its reference commands, then its objects into a quarantine. Then, under the repository's
    /// writers' lock, decides what each command does before anything is published: a reference that moved is
    /// `stale`; a new value that reaches an object missing on both sides, or that is not a commit, is `invalid`; an
    /// update that does not descend from the reference's value is `non-fast-forward` unless forced; forcing and
    /// deleting without admin access are `forbidden`. Only the objects the commands that go ahead reach are
    /// published, and then their references move by compare-and-swap: a refused command leaves the repository as
    /// it was.
    pub fn receive(
        &self,
        input: &mut dyn Read,
        progress: ProgressFn<'_>,
    ) -> Result<ReceiveReport, SyncError> {
        let peer = format!("the client ({})", self.who);
        let (mut reader, header) = StreamReader::open(&peer, input, self.limits)?;
        let header: PushHeader = serde_json::from_slice(&header)
            .map_err(|error| SyncError::protocol(&peer, format!("push header: {error}")))?;
        if header.protocol != PROTOCOL_VERSION {
            return Err(SyncError::Version {
                peer,
                theirs: vec![header.protocol],
            });
        }
        let push = ObjectId::from_hex(&header.push)
            .map_err(|_| SyncError::protocol(&peer, "push: not an id"))?;
        if header.commands.is_empty() {
            return Err(SyncError::protocol(
                &peer,
                "the push names no reference to update",
            ));
        }
        let commands = parse_commands(&peer, &header.commands)?;
        let mut results: Vec<Option<RefResult>> = commands
            .iter()
            .map(|command| {
                if !is_synced(&command.name) {
                    Some(refused(
                        command,
                        RefStatus::Invalid,
                        "only runs/ and workspaces/ references can be pushed".into(),
                    ))
                } else if !self.access.allows(Level::Write, &command.name) {
                    Some(refused(
                        command,
                        RefStatus::Forbidden,
                        format!("your token may not write {}", command.name),
                    ))
                } else {
                    None
                }
            })
            .collect();
        if results.iter().all(Option::is_some) {
            return Err(SyncError::Refused {
                peer: String::new(),
                status: 403,
                code: "forbidden".into(),
                message: results
                    .iter()
                    .flatten()
                    .filter_map(|result| result.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            });
        }
        let key = self.quarantine_key(&push);
        let quarantine = Quarantine::open(self.repo, &key)?;
        let objects = match quarantine.receive(
            self.repo,
            &mut reader,
            self.access.reads_everything(),
            progress,
        ) {
            Ok(objects) => objects,
            Err(error) => {
                // A transfer that broke off keeps what arrived whole, for its retry; one that broke the protocol
                // keeps nothing.
                if reader.interrupted() {
                    self.remove_quarantine_if_empty(&key);
                } else {
                    quarantine.remove();
                }
                return Err(error);
            }
        };
        // From here to the reference updates, gc leaves the repository's objects alone.
        let _guard = self.repo.write_guard()?;
        let refs = self.repo.refs();
        // A reference that moved since the client read it, or that holds the value already, needs no objects.
        for (command, result) in commands.iter().zip(results.iter_mut()) {
            if result.is_some() {
                continue;
            }
            let current = refs.read(&command.name)?;
            if current != command.old {
                let status = if current == command.new {
                    RefStatus::UpToDate
                } else {
                    RefStatus::Stale
                };
                *result = Some(outcome(command, status));
            } else if command.old == command.new {
                *result = Some(outcome(command, RefStatus::UpToDate));
            }
        }
        let visible = self.visibility()?;
        let mut trusted = |id: &ObjectId| -> Result<bool, SyncError> {
            Ok(visible.as_ref().is_none_or(|set| set.contains(id)))
        };
        let mut reached = self.connected(
            &quarantine,
            &commands,
            with_values(&commands, &results),
            &mut results,
            &mut trusted,
            progress,
        )?;
        let connected = with_values(&commands, &results);
        // What each connected command would do, read through the quarantine before anything is published.
        let planned = {
            let incoming = PackStore::new(self.quarantine_dir(&key), PackOptions::default())?;
            let store = Incoming {
                quarantine: &incoming,
                repo: self.repo.odb(),
            };
            let mut planned = Vec::new();
            for (index, command) in commands.iter().enumerate() {
                if results[index].is_some() {
                    continue;
                }
                match self.plan(command, &store)? {
                    Ok(status) => planned.push((index, status)),
                    Err(result) => results[index] = Some(result),
                }
            }
            planned
        };
        // Commands refused since the connectivity check publish nothing: what the others reach is found again.
        let going = with_values(&commands, &results);
        if going != connected {
            reached = self.connected(
                &quarantine,
                &commands,
                going,
                &mut results,
                &mut trusted,
                progress,
            )?;
        }
        let published = quarantine.publish(self.repo, &reached)?;
        let mut changed = Vec::new();
        for (index, status) in planned {
            let command = &commands[index];
            if results[index].is_some() {
                continue;
            }
            let status = self.apply(command, status)?;
            if status.accepted() && status != RefStatus::UpToDate {
                changed.push(command.name.clone());
            }
            results[index] = Some(outcome(command, status));
        }
        let results: Vec<RefResult> = results.into_iter().flatten().collect();
        if results
            .iter()
            .any(|result| result.status == RefStatus::Invalid)
        {
            // Kept for a retry that sends what was missing; never an empty directory.
            self.remove_quarantine_if_empty(&key);
        } else {
            quarantine.remove();
        }
        drop(_guard);
        #[cfg(feature = "search")]
        {
            let runs: Vec<String> = changed
                .iter()
                .filter_map(|name| name.run_name().map(str::to_string))
                .collect();
            crate::search::update_if_present(self.repo, &runs);
        }
        let _ = changed;
        let _ = self.repo.consolidate_packs();
        Ok(ReceiveReport {
            objects,
            published,
            refs: results,
        })
    }

    /// Checks that the new values of `candidates` (indexes into `commands`) reach nothing missing, refusing as
    /// `invalid` those that do, and returns the quarantine objects the others reach. A walk that stops at a missing
    /// object adds nothing to what is reached, so one command's refusal never lets another through.
    fn connected(
        &self,
        quarantine: &Quarantine,
        commands: &[RefCommand],
        candidates: Vec<usize>,
        results: &mut [Option<RefResult>],
        trusted: &mut dyn FnMut(&ObjectId) -> Result<bool, SyncError>,
        progress: ProgressFn<'_>,
    ) -> Result<IdSet, SyncError> {
        let mut reached = id_set();
        for index in candidates {
            let command = &commands[index];
            let new = command.new.expect("candidates have new values");
            let problem = match quarantine.check(self.repo, new, trusted, &mut reached, progress) {
                Ok(None) => continue,
                Ok(Some(missing)) => {
                    format!("{new} reaches object {missing}, which was not sent and is not here")
                }
                Err(SyncError::Repo(error @ RepoError::Decode { .. })) => {
                    format!("{new} reaches an object that is not what it should be: {error}")
                }
                Err(error) => return Err(error),
            };
            results[index] = Some(refused(command, RefStatus::Invalid, problem));
        }
        Ok(reached)
    }

    /// What a connected command does (`Ok`), or why it is refused (`Err`), read through `store` (the quarantine
    /// over the repository). The reference holds `command.old`, and `command.old != command.new`.
    fn plan(
        &self,
        command: &RefCommand,
        store: &dyn ObjectStore,
    ) -> Result<Result<RefStatus, RefResult>, SyncError> {
        let status = match (command.old, command.new) {
            (_, None) => RefStatus::Deleted,
            (None, Some(_)) => RefStatus::Created,
            (Some(old), Some(new)) => match is_ancestor(store, old, new) {
                Ok(true) => RefStatus::FastForward,
                Ok(false) if command.force => RefStatus::Forced,
                Ok(false) => return Ok(Err(outcome(command, RefStatus::NonFastForward))),
                Err(SyncError::Repo(error @ RepoError::Decode { .. })) => {
                    return Ok(Err(refused(
                        command,
                        RefStatus::Invalid,
                        format!("the history of {new} is not made of commits: {error}"),
                    )));
                }
                Err(error) => return Err(error),
            },
        };
        if matches!(status, RefStatus::Deleted | RefStatus::Forced)
            && !self.access.allows(Level::Admin, &command.name)
        {
            return Ok(Err(outcome(command, RefStatus::Forbidden)));
        }
        if let Some(new) = command.new {
            // A value must be a commit.
            match read_commit(store, new) {
                Ok(_) => {}
                Err(error @ RepoError::Decode { .. }) => {
                    return Ok(Err(refused(
                        command,
                        RefStatus::Invalid,
                        format!("{new} is not a commit: {error}"),
                    )));
                }
                Err(error) => return Err(error.into()),
            }
        }
        Ok(Ok(status))
    }

    /// Moves the reference of a planned command by compare-and-swap.
    fn apply(&self, command: &RefCommand, status: RefStatus) -> Result<RefStatus, SyncError> {
        let entry = ReflogEntry {
            old: command.old.map(|id| id.to_hex()),
            new: command.new.map(|id| id.to_hex()),
            author: self.who.clone(),
            time: crate::time::Timestamp::now()
                .map_err(RepoError::BadTimestamp)?
                .to_rfc3339(),
            message: format!("push: {}", status_word(&status)),
        };
        match self
            .repo
            .refs()
            .update(&command.name, command.old, command.new, &entry)
        {
            Ok(()) => Ok(status),
            Err(crate::refs::RefError::Stale { .. }) => Ok(RefStatus::Stale),
            Err(crate::refs::RefError::Locked { .. }) => Ok(RefStatus::Stale),
            Err(error) => Err(error.into()),
        }
    }

    /// The quarantine directory of `key` (docs/FORMAT.md: `incoming/KEY/`).
    fn quarantine_dir(&self, key: &ObjectId) -> PathBuf {
        self.repo.dir().join("incoming").join(key.to_hex())
    }

    /// Deletes the quarantine of `key` if nothing is in it.
    fn remove_quarantine_if_empty(&self, key: &ObjectId) {
        // Only an empty directory is removed; a concurrent retry that already wrote a pack keeps it.
        let _ = std::fs::remove_dir(self.quarantine_dir(key));
    }
}

/// The commands still undecided that set a value.
fn with_values(commands: &[RefCommand], results: &[Option<RefResult>]) -> Vec<usize> {
    (0..commands.len())
        .filter(|index| results[*index].is_none() && commands[*index].new.is_some())
        .collect()
}

fn refused(command: &RefCommand, status: RefStatus, message: String) -> RefResult {
    RefResult {
        name: command.name.clone(),
        status,
        message: Some(message),
    }
}

fn outcome(command: &RefCommand, status: RefStatus) -> RefResult {
    RefResult {
        name: command.name.clone(),
        message: refusal_message(&status, command),
        status,
    }
}

/// A push's quarantine over the repository: the pushed history read before any of it is published.
struct Incoming<'a> {
    quarantine: &'a PackStore,
    repo: &'a dyn ObjectStore,
}

impl ObjectStore for Incoming<'_> {
    fn read(&self, id: &ObjectId) -> Result<Option<RawObject>, StoreError> {
        match self.quarantine.read(id)? {
            Some(raw) => Ok(Some(raw)),
            None => self.repo.read(id),
        }
    }

    fn contains(&self, id: &ObjectId) -> Result<bool, StoreError> {
        Ok(self.quarantine.contains(id)? || self.repo.contains(id)?)
    }

    fn write(&self, _: &HashedObject) -> Result<(), StoreError> {
        Err(StoreError::Io(crate::fsutil::IoError {
            operation: "write",
            path: self.quarantine.dir().to_path_buf(),
            source: std::io::Error::other(
                "a push's objects are not written before they are published",
            ),
        }))
    }

    fn ids(&self) -> Result<Vec<ObjectId>, StoreError> {
        let mut ids = self.quarantine.ids()?;
        ids.extend(self.repo.ids()?);
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }
}

fn status_word(status: &RefStatus) -> &'static str {
    match status {
        RefStatus::Created => "created",
        RefStatus::FastForward => "fast-forward",
        RefStatus::Forced => "forced update",
        RefStatus::Deleted => "deleted",
        _ => "unchanged",
    }
}

fn refusal_message(status: &RefStatus, command: &RefCommand) -> Option<String> {
    match status {
        RefStatus::NonFastForward => Some(format!(
            "{} holds commits the push does not have (pull first, or force)",
            command.name
        )),
        RefStatus::Stale => Some(format!(
            "{} changed since it was read (fetch or pull, then push again)",
            command.name
        )),
        RefStatus::Forbidden => Some(format!(
            "forcing or deleting {} needs admin access",
            command.name
        )),
        _ => None,
    }
}

#[doc(hidden)]
pub fn parse_commands(peer: &str, commands: &[CommandJson]) -> Result<Vec<RefCommand>, SyncError> {
    let mut seen = std::collections::HashSet::new();
    commands
        .iter()
        .map(|command| {
            let name = RefName::parse(&command.name)
                .map_err(|error| SyncError::protocol(peer, error.to_string()))?;
            if !seen.insert(name.clone()) {
                return Err(SyncError::protocol(peer, format!("{name} is named twice")));
            }
            let id = |hex: &Option<String>| -> Result<Option<ObjectId>, SyncError> {
                hex.as_ref()
                    .map(|hex| Ok(parse_ids(peer, "command", std::slice::from_ref(hex))?[0]))
                    .transpose()
            };
            Ok(RefCommand {
                name,
                old: id(&command.old)?,
                new: id(&command.new)?,
                force: command.force,
            })
        })
        .collect()
}

/// Writes a transfer stream of `ids` (read from `store`) with `header`.
pub(crate) fn write_objects(
    store: &dyn ObjectStore,
    ids: &[ObjectId],
    header: &[u8],
    out: &mut dyn Write,
) -> Result<(), SyncError> {
    let io = |error: std::io::Error| SyncError::Connection {
        peer: "the receiver".into(),
        reason: error.to_string(),
    };
    let mut writer = StreamWriter::new(out, header).map_err(io)?;
    for id in ids {
        let object = store
            .read(id)?
            .ok_or(SyncError::Repo(RepoError::MissingObject(*id)))?;
        writer.add(id, &object).map_err(io)?;
    }
    writer.finish().map_err(io)?;
    Ok(())
}

/// Wants and haves as JSON.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
#[doc(hidden)]
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct WantJson {
    pub wants: Vec<String>,
    #[serde(default)]
    pub haves: Vec<String>,
    /// For a fetch: which objects of the offer to send, as a bitmap in hex (absent: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<String>,
}

#[cfg_attr(not(feature = "http"), allow(dead_code))]
impl WantJson {
    pub fn new(request: &WantRequest, select: Option<&[bool]>) -> Self {
        WantJson {
            wants: hex_ids(&request.wants),
            haves: hex_ids(&request.haves),
            select: select.map(|bits| {
                super::to_bitmap(bits)
                    .iter()
                    .map(|byte| format!("{byte:02x}"))
                    .collect()
            }),
        }
    }

    /// The request and selection (its length checked against `offer_len` later).
    pub fn parse(&self, peer: &str) -> Result<(WantRequest, Option<Vec<u8>>), SyncError> {
        let request = WantRequest {
            wants: parse_ids(peer, "wants", &self.wants)?,
            haves: parse_ids(peer, "haves", &self.haves)?,
        };
        let select = self
            .select
            .as_ref()
            .map(|hex| {
                if hex.len() % 2 != 0 {
                    return Err(SyncError::protocol(
                        peer,
                        "select: odd number of hex digits",
                    ));
                }
                // Pairs of ASCII hex digits only: slicing the text by twos would split a multi-byte character,
                // and `from_str_radix` would take a sign.
                hex.as_bytes()
                    .chunks(2)
                    .map(|pair| match (hex_digit(pair[0]), hex_digit(pair[1])) {
                        (Some(high), Some(low)) => Ok((high << 4) | low),
                        _ => Err(SyncError::protocol(peer, "select: not hex")),
                    })
                    .collect::<Result<Vec<u8>, _>>()
            })
            .transpose()?;
        Ok((request, select))
    }
}

/// The value of an ASCII hex digit.
fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).map(|digit| digit as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A selection holding a multi-byte character panicked (slicing it by twos) in the server's fetch handler;
    /// the `protocol` fuzz target replays the input from fuzz/regressions/protocol/.
    #[test]
    fn a_selection_that_is_not_ascii_hex_is_refused() {
        for select in ["a\u{e9}0", "\u{e9}", "+f", "-1", "0g", "abc"] {
            let json = WantJson {
                select: Some(select.to_string()),
                ..WantJson::default()
            };
            assert!(json.parse("test").is_err(), "{select:?}");
        }
        let json: WantJson = serde_json::from_slice(b"{\"wants\":[],\"select\":\"0aFf\"}").unwrap();
        assert_eq!(json.parse("test").unwrap().1, Some(vec![0x0a, 0xff]));
        let json: WantJson =
            serde_json::from_slice(b"{\"wants\":[],\"select\":\"a\xc3\xa90\"}").unwrap();
        assert!(json.parse("test").is_err());
    }
}
