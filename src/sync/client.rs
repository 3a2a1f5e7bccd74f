//! The client side: push, fetch, pull and clone over any [`Transport`].

use super::peer::{CommandJson, PushHeader, is_synced, write_objects};
use super::receive::Quarantine;
use super::stream::{Limits, StreamReader};
use super::walk::{IdSet, commits_beyond, id_set, is_ancestor, objects_beyond};
use super::{
    Advertisement, PROTOCOL_VERSION, Progress, ProgressFn, RefCommand, RefStatus, SyncError,
    Transport, WantRequest,
};
use crate::id::{ObjectId, ObjectKind};
use crate::refs::{RefName, RefStore, ReflogEntry};
use crate::repo::{MergeOptions, RepoError, Repository, Strategy};
use crate::store::ObjectStore;
use std::io::{Read, Write};

/// What to push.
#[derive(Clone, Debug, Default)]
pub struct PushOptions {
    /// Runs or workspaces (`NAME`, `runs/NAME`, `workspaces/NAME`); empty: every run and workspace.
    pub refs: Vec<String>,
    /// Replace remote references even when the push does not descend from them.
    pub force: bool,
}

/// What happened to one reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefOutcome {
    /// The reference.
    pub name: RefName,
    /// Its value on the remote before.
    pub old: Option<ObjectId>,
    /// The value pushed.
    pub new: Option<ObjectId>,
    /// What happened.
    pub status: RefStatus,
    /// Why, when refused.
    pub message: Option<String>,
}

/// The result of a push.
#[derive(Clone, Debug, Default)]
pub struct PushReport {
    /// Objects sent.
    pub objects: u64,
    /// Bytes sent (the transfer stream, compressed).
    pub bytes: u64,
    /// One entry per reference considered.
    pub refs: Vec<RefOutcome>,
}

impl PushReport {
    /// Whether every reference holds what was pushed.
    pub fn all_accepted(&self) -> bool {
        self.refs.iter().all(|outcome| outcome.status.accepted())
    }
}

/// How to fetch.
#[derive(Clone, Debug, Default)]
pub struct FetchOptions {
    /// Delete remote-tracking references whose reference is gone from the remote.
    pub prune: bool,
}

/// A remote-tracking reference that changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackedRef {
    /// The reference on the remote.
    pub name: RefName,
    /// Its remote-tracking reference here (`remotes/REMOTE/...`).
    pub tracking: RefName,
    /// Before (`None`: new).
    pub old: Option<ObjectId>,
    /// After (`None`: pruned).
    pub new: Option<ObjectId>,
}

/// The result of a fetch.
#[derive(Clone, Debug, Default)]
pub struct FetchReport {
    /// Objects received.
    pub objects: u64,
    /// Bytes received (compressed).
    pub bytes: u64,
    /// Remote-tracking references that changed.
    pub updated: Vec<TrackedRef>,
    /// References the remote has, all told.
    pub remote_refs: usize,
    /// What the remote advertised (reference and value).
    pub advertised: Vec<(RefName, ObjectId)>,
}

/// What a pull did to one local reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PullOutcome {
    /// The reference did not exist here and was created.
    Created(ObjectId),
    /// It moved forward to the remote's value.
    FastForward(ObjectId),
    /// It already held the remote's value.
    UpToDate,
    /// It holds commits the remote does not have, and everything the remote has.
    Ahead,
    /// Both sides had new commits: a merge commit joins them.
    Merged(ObjectId),
    /// Both sides changed the same memory keys; nothing was written.
    Conflicts(Vec<String>),
    /// Someone moved the reference during the pull; nothing was written.
    Moved,
}

/// The result of a pull.
#[derive(Clone, Debug, Default)]
pub struct PullReport {
    /// The fetch it began with.
    pub fetch: FetchReport,
    /// Each reference the remote has, and what happened to it here.
    pub refs: Vec<(RefName, PullOutcome)>,
}

fn check_version(transport: &dyn Transport, adv: &Advertisement) -> Result<(), SyncError> {
    if adv.protocols.contains(&PROTOCOL_VERSION) {
        Ok(())
    } else {
        Err(SyncError::Version {
            peer: transport.peer().to_string(),
            theirs: adv.protocols.clone(),
        })
    }
}

fn now() -> Result<String, SyncError> {
    Ok(crate::time::Timestamp::now()
        .map_err(RepoError::BadTimestamp)?
        .to_rfc3339())
}

/// The remote-tracking reference of `name` for `remote`.
pub fn tracking_name(remote: &str, name: &RefName) -> Result<RefName, SyncError> {
    Ok(RefName::parse(&format!("remotes/{remote}/{name}")).map_err(RepoError::from)?)
}

/// Moves a reference here to `new` if it still holds `expected`; false when someone changed it meanwhile.
fn set_ref(
    repo: &Repository,
    name: &RefName,
    expected: Option<ObjectId>,
    new: Option<ObjectId>,
    message: String,
) -> Result<bool, SyncError> {
    let entry = ReflogEntry {
        old: expected.map(|id| id.to_hex()),
        new: new.map(|id| id.to_hex()),
        author: repo.author(&std::env::current_dir().unwrap_or_default()),
        time: now()?,
        message,
    };
    match repo.refs().update(name, expected, new, &entry) {
        Ok(()) => Ok(true),
        Err(crate::refs::RefError::Stale { .. }) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// The references named by `wanted` (all runs and workspaces when empty), with their values.
fn local_refs(repo: &Repository, wanted: &[String]) -> Result<Vec<(RefName, ObjectId)>, SyncError> {
    if wanted.is_empty() {
        let mut all = repo.refs().list("runs/")?;
        all.extend(repo.refs().list("workspaces/")?);
        return Ok(all);
    }
    let mut chosen = Vec::new();
    for name in wanted {
        let (branch, head) = repo.branch(name)?;
        if !is_synced(&branch.reference) {
            return Err(RepoError::UnknownBranch(name.clone()).into());
        }
        if !chosen.iter().any(|(seen, _)| *seen == branch.reference) {
            chosen.push((branch.reference, head));
        }
    }
    Ok(chosen)
}

/// Pushes runs and workspaces to a remote. References the remote refuses are reported, not errors; the others
/// land. `remote` names the remote-tracking references to update (none for a URL given directly).
pub fn push(
    repo: &Repository,
    remote: Option<&str>,
    transport: &dyn Transport,
    options: &PushOptions,
    progress: ProgressFn<'_>,
) -> Result<PushReport, SyncError> {
    let adv = transport.advertise()?;
    check_version(transport, &adv)?;
    let theirs: std::collections::HashMap<&RefName, ObjectId> =
        adv.refs.iter().map(|r| (&r.name, r.id)).collect();
    let odb = repo.odb();
    let mut report = PushReport::default();
    let mut commands = Vec::new();
    for (name, local) in local_refs(repo, &options.refs)? {
        let old = theirs.get(&name).copied();
        let outcome = |status, message: Option<String>| RefOutcome {
            name: name.clone(),
            old,
            new: Some(local),
            status,
            message,
        };
        if old == Some(local) {
            report.refs.push(outcome(RefStatus::UpToDate, None));
        } else if let Some(old) = old.filter(|_| !options.force)
            && !is_ancestor(odb, old, local)?
        {
            report.refs.push(outcome(
                RefStatus::NonFastForward,
                Some(format!(
                    "the remote's {name} has commits this repository does not (pull first, or push --force)"
                )),
            ));
        } else {
            commands.push(RefCommand {
                name: name.clone(),
                old,
                new: Some(local),
                force: options.force,
            });
        }
    }
    if commands.is_empty() {
        return Ok(report);
    }
    // The push's name: the same commands make the same name, so a retry finds what an interrupted attempt sent.
    let mut hasher = blake3::Hasher::new();
    for command in &commands {
        hasher.update(command.name.as_str().as_bytes());
        hasher.update(command.new.expect("pushes set values").as_bytes());
    }
    let push_id = ObjectId::from_bytes(*hasher.finalize().as_bytes());
    let heads: Vec<ObjectId> = commands.iter().filter_map(|c| c.new).collect();
    let advertised: IdSet = adv.refs.iter().map(|r| r.id).collect();
    // Commits first: those the remote has stop the walk, with everything below them.
    let commits = commits_beyond(odb, &heads, &|id| advertised.contains(id))?;
    let has = transport.has(&commits, &push_id)?;
    let mut known: IdSet = commits
        .iter()
        .zip(&has)
        .filter(|(_, had)| **had)
        .map(|(id, _)| *id)
        .collect();
    known.extend(advertised.iter().copied());
    let mut stop = |id: ObjectId, kind| Ok(kind == ObjectKind::Commit && known.contains(&id));
    let candidates = objects_beyond(odb, &heads, &mut stop, progress)?;
    // Then everything else: payloads shared with runs the remote already has are not sent again.
    let has = transport.has(&candidates, &push_id)?;
    let send: Vec<ObjectId> = candidates
        .into_iter()
        .zip(has)
        .filter(|(_, had)| !had)
        .map(|(id, _)| id)
        .collect();
    let header = serde_json::to_vec(&PushHeader {
        protocol: PROTOCOL_VERSION,
        push: push_id.to_hex(),
        commands: commands.iter().map(CommandJson::from_command).collect(),
    })
    .expect("a header serializes");
    let (mut reader, writer) = std::io::pipe().map_err(|error| SyncError::Connection {
        peer: transport.peer().to_string(),
        reason: error.to_string(),
    })?;
    let sent = std::sync::atomic::AtomicU64::new(0);
    let received = std::thread::scope(|scope| {
        let sender = scope.spawn(|| {
            let mut counted = CountingWriter {
                inner: writer,
                bytes: &sent,
                objects: 0,
                progress,
            };
            write_objects(odb, &send, &header, &mut counted)
        });
        let received = transport.push(&mut reader);
        drop(reader);
        // The receiver's answer says what happened; a sending error only explains a broken connection, which
        // the receiver reports too.
        let _ = sender.join().expect("the sending thread does not panic");
        received
    })?;
    report.objects = send.len() as u64;
    report.bytes = sent.load(std::sync::atomic::Ordering::Relaxed);
    progress(Progress::Transferring {
        objects: report.objects,
        bytes: report.bytes,
    });
    for (command, result) in commands.iter().zip(&received.refs) {
        if result.status.accepted()
            && let Some(remote) = remote
        {
            let tracking = tracking_name(remote, &command.name)?;
            let current = repo.refs().read(&tracking)?;
            if current != command.new {
                set_ref(repo, &tracking, current, command.new, "push".into())?;
            }
        }
        report.refs.push(RefOutcome {
            name: command.name.clone(),
            old: command.old,
            new: command.new,
            status: result.status.clone(),
            message: result.message.clone(),
        });
    }
    report.refs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(report)
}

struct CountingWriter<'a, W> {
    inner: W,
    bytes: &'a std::sync::atomic::AtomicU64,
    objects: u64,
    progress: ProgressFn<'a>,
}

impl<W: Write> Write for CountingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        let total = self
            .bytes
            .fetch_add(written as u64, std::sync::atomic::Ordering::Relaxed)
            + written as u64;
        self.objects += 1;
        if self.objects.is_multiple_of(256) {
            (self.progress)(Progress::Transferring {
                objects: 0,
                bytes: total,
            });
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Fetches the remote's runs and workspaces into remote-tracking references (`remotes/REMOTE/...`; none for a
/// URL given directly). Only objects this repository lacks travel.
pub fn fetch(
    repo: &Repository,
    remote: Option<&str>,
    transport: &dyn Transport,
    options: &FetchOptions,
    progress: ProgressFn<'_>,
) -> Result<FetchReport, SyncError> {
    let adv = transport.advertise()?;
    check_version(transport, &adv)?;
    let odb = repo.odb();
    let mut report = FetchReport {
        remote_refs: adv.refs.len(),
        advertised: adv.refs.iter().map(|r| (r.name.clone(), r.id)).collect(),
        ..FetchReport::default()
    };
    let mut wants = Vec::new();
    for advertised in &adv.refs {
        if !odb.contains(&advertised.id)? && !wants.contains(&advertised.id) {
            wants.push(advertised.id);
        }
    }
    if !wants.is_empty() {
        let (objects, bytes) = receive_objects(repo, transport, wants, progress)?;
        report.objects = objects;
        report.bytes = bytes;
    }
    let Some(remote) = remote else {
        return Ok(report);
    };
    let mut advertised_names = std::collections::HashSet::new();
    for advertised in &adv.refs {
        let tracking = tracking_name(remote, &advertised.name)?;
        advertised_names.insert(tracking.clone());
        let current = repo.refs().read(&tracking)?;
        if current != Some(advertised.id)
            && set_ref(
                repo,
                &tracking,
                current,
                Some(advertised.id),
                "fetch".into(),
            )?
        {
            report.updated.push(TrackedRef {
                name: advertised.name.clone(),
                tracking,
                old: current,
                new: Some(advertised.id),
            });
        }
    }
    if options.prune {
        for (tracking, id) in repo.refs().list(&format!("remotes/{remote}/"))? {
            if !advertised_names.contains(&tracking)
                && set_ref(repo, &tracking, Some(id), None, "fetch --prune".into())?
            {
                let name = tracking.as_str()[format!("remotes/{remote}/").len()..].to_string();
                report.updated.push(TrackedRef {
                    name: RefName::parse(&name).map_err(RepoError::from)?,
                    tracking,
                    old: Some(id),
                    new: None,
                });
            }
        }
    }
    Ok(report)
}

/// Brings the objects `wants` reach into the repository: through a quarantine, checked, then published.
fn receive_objects(
    repo: &Repository,
    transport: &dyn Transport,
    wants: Vec<ObjectId>,
    progress: ProgressFn<'_>,
) -> Result<(u64, u64), SyncError> {
    let odb = repo.odb();
    let mut haves = id_set();
    for folder in ["runs/", "workspaces/", "remotes/"] {
        for (_, id) in repo.refs().list(folder)? {
            haves.insert(id);
        }
    }
    let mut haves: Vec<ObjectId> = haves.into_iter().collect();
    haves.sort();
    let request = WantRequest { wants, haves };
    let key = ObjectId::from_bytes(
        *blake3::hash(format!("fetch {}", transport.peer()).as_bytes()).as_bytes(),
    );
    let quarantine = Quarantine::open(repo, &key)?;
    let resuming = std::fs::read_dir(repo.dir().join("incoming").join(key.to_hex()))
        .is_ok_and(|mut entries| entries.next().is_some());
    // With nothing here yet (a clone), everything offered is wanted: no need to ask first.
    let select = if request.haves.is_empty() && !resuming {
        None
    } else {
        let offer = transport.offer(&request)?;
        progress(Progress::Counting(offer.len() as u64));
        let mut select = Vec::with_capacity(offer.len());
        for id in &offer {
            select.push(!odb.contains(id)? && !quarantine.contains(id)?);
        }
        Some(select)
    };
    let mut totals = (0u64, 0u64);
    transport.fetch(&request, select.as_deref(), &mut |input: &mut dyn Read| {
        let (mut reader, _) = StreamReader::open(transport.peer(), input, Limits::default())?;
        quarantine.receive(repo, &mut reader, true, progress)?;
        totals = (reader.objects(), reader.wire_bytes());
        Ok(())
    })?;
    let _guard = repo.write_guard()?;
    let mut reached = id_set();
    for want in &request.wants {
        if let Some(missing) =
            quarantine.check(repo, *want, &mut |_| Ok(true), &mut reached, progress)?
        {
            return Err(SyncError::NotConnected {
                name: format!("the remote's reference to {}", want.short(12)),
                id: *want,
                missing,
            });
        }
    }
    quarantine.publish(repo, &reached)?;
    quarantine.remove();
    Ok(totals)
}

/// Fetches, then brings each of the remote's runs and workspaces into the local one of the same name: creates
/// it, moves it forward, or (when both sides have new commits) merges it as `hive merge` does, with the remote's
/// head as the merge's second parent. `refs` limits the references pulled (empty: all).
pub fn pull(
    repo: &Repository,
    remote: &str,
    transport: &dyn Transport,
    refs: &[String],
    progress: ProgressFn<'_>,
) -> Result<PullReport, SyncError> {
    let fetched = fetch(
        repo,
        Some(remote),
        transport,
        &FetchOptions::default(),
        progress,
    )?;
    let mut report = PullReport {
        refs: Vec::new(),
        fetch: fetched,
    };
    let wanted: Vec<RefName> = refs
        .iter()
        .map(|name| {
            if name.starts_with("runs/") || name.starts_with("workspaces/") {
                RefName::parse(name)
            } else {
                RefName::run(name)
            }
        })
        .collect::<Result<_, _>>()
        .map_err(RepoError::from)?;
    let odb = repo.odb();
    let mut changed_runs = Vec::new();
    for (name, theirs) in report.fetch.advertised.clone() {
        if !wanted.is_empty() && !wanted.contains(&name) {
            continue;
        }
        let ours = repo.refs().read(&name)?;
        let outcome = match ours {
            None => {
                repo.check_run_name_free_ref(&name)?;
                if set_ref(
                    repo,
                    &name,
                    None,
                    Some(theirs),
                    format!("pull {remote}: created"),
                )? {
                    PullOutcome::Created(theirs)
                } else {
                    PullOutcome::Moved
                }
            }
            Some(ours) if ours == theirs => PullOutcome::UpToDate,
            Some(ours) if is_ancestor(odb, ours, theirs)? => {
                if set_ref(
                    repo,
                    &name,
                    Some(ours),
                    Some(theirs),
                    format!("pull {remote}: fast-forward"),
                )? {
                    PullOutcome::FastForward(theirs)
                } else {
                    PullOutcome::Moved
                }
            }
            Some(ours) if is_ancestor(odb, theirs, ours)? => PullOutcome::Ahead,
            Some(_) => {
                let options = MergeOptions {
                    tags: Vec::new(),
                    strategy: Strategy::Refuse,
                    dry_run: false,
                    action: format!("pull {remote}:"),
                    record: true,
                };
                let tracking = tracking_name(remote, &name)?;
                let merged = repo.merge_state(tracking.as_str(), name.as_str(), &options)?;
                match merged.commit {
                    Some(commit) => PullOutcome::Merged(commit),
                    None => PullOutcome::Conflicts(
                        merged.conflicts.iter().map(|c| c.key.clone()).collect(),
                    ),
                }
            }
        };
        if matches!(
            outcome,
            PullOutcome::Created(_) | PullOutcome::FastForward(_) | PullOutcome::Merged(_)
        ) && let Some(run) = name.run_name()
        {
            changed_runs.push(run.to_string());
        }
        report.refs.push((name, outcome));
    }
    #[cfg(feature = "search")]
    crate::search::update_if_present(repo, &changed_runs);
    let _ = changed_runs;
    Ok(report)
}

/// Fills a new repository from a remote: adds it as `origin`, then pulls every run and workspace.
pub fn clone(
    repo: &Repository,
    transport: &dyn Transport,
    progress: ProgressFn<'_>,
) -> Result<PullReport, SyncError> {
    pull(repo, "origin", transport, &[], progress)
}

impl Repository {
    /// Fails when a run of this reference's name would clash with an existing run (one a folder of the other).
    fn check_run_name_free_ref(&self, name: &RefName) -> Result<(), SyncError> {
        if let Some(run) = name.run_name() {
            self.check_run_name_free(run)?;
        }
        Ok(())
    }
}
