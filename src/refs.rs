//! References: names for commits, updated by compare-and-swap, with a log of every change.
//!
//! A run `NAME` is the reference `runs/NAME`. On disk a reference is a file `.hive/refs/runs/NAME` holding the
//! commit id in hex; its log is `.hive/logs/refs/runs/NAME`, one JSON object per change (docs/FORMAT.md).

use crate::fsutil::{self, IoContext, IoError, LockError};
use crate::id::ObjectId;
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A validated reference name such as `runs/fix-login`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RefName(String);

/// Why a name cannot be a reference or run name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{name}' is not a valid name: {reason}")]
pub struct RefNameError {
    /// The refused name.
    pub name: String,
    /// The rule it breaks.
    pub reason: &'static str,
}

/// Checks a run name (or any path-like name): 1–200 bytes of letters, digits and `. _ - + /`, with no empty,
/// `.`-leading or `.lock`-ending part.
pub fn check_name(name: &str) -> Result<(), RefNameError> {
    let fail = |reason| {
        Err(RefNameError {
            name: name.to_string(),
            reason,
        })
    };
    if name.is_empty() || name.len() > 200 {
        return fail("names have 1 to 200 characters");
    }
    if !name
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || b"._-+/".contains(&byte))
    {
        return fail("names use only letters, digits and . _ - + /");
    }
    for part in name.split('/') {
        if part.is_empty() {
            return fail("names have no empty part between slashes");
        }
        if part.starts_with('.') || part.starts_with('-') {
            return fail("no part of a name starts with '.' or '-'");
        }
        if part.ends_with(".lock") {
            return fail("no part of a name ends with '.lock'");
        }
    }
    Ok(())
}

/// One part of a run name made from any text (a file name, a session's id): characters a name cannot hold
/// become `-`, a part that would start with `.` or `-` gets a leading `_`, and one ending in `.lock` a trailing
/// `_`. The empty string stays empty.
pub fn clean_component(text: &str) -> String {
    let mut clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-+".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if clean.starts_with('.') || clean.starts_with('-') {
        clean.insert(0, '_');
    }
    if clean.ends_with(".lock") {
        clean.push('_');
    }
    clean
}

impl RefName {
    /// The reference of run `name`.
    pub fn run(name: &str) -> Result<RefName, RefNameError> {
        check_name(name)?;
        Ok(RefName(format!("runs/{name}")))
    }

    /// The reference of workspace `name`.
    pub fn workspace(name: &str) -> Result<RefName, RefNameError> {
        check_name(name)?;
        Ok(RefName(format!("workspaces/{name}")))
    }

    /// The workspace name, if this is a workspace reference.
    pub fn workspace_name(&self) -> Option<&str> {
        self.0.strip_prefix("workspaces/")
    }

    /// A reference by its full name (`runs/NAME`).
    pub fn parse(full: &str) -> Result<RefName, RefNameError> {
        check_name(full)?;
        Ok(RefName(full.to_string()))
    }

    /// The full name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The run name, if this is a run reference.
    pub fn run_name(&self) -> Option<&str> {
        self.0.strip_prefix("runs/")
    }
}

impl std::fmt::Display for RefName {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// One change of a reference.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReflogEntry {
    /// Value before; absent when the reference was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    /// Value after; absent when the reference was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// Who changed it.
    pub author: String,
    /// When, RFC 3339.
    pub time: String,
    /// Why.
    pub message: String,
}

/// Why a reference operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RefError {
    /// The reference does not hold the value the caller expected: someone else changed it first.
    #[error(
        "{name} changed concurrently: expected {}, found {}",
        show(expected),
        show(found)
    )]
    Stale {
        /// The reference.
        name: RefName,
        /// What the caller expected.
        expected: Option<ObjectId>,
        /// What it holds.
        found: Option<ObjectId>,
    },
    /// Another process holds the reference's lock.
    #[error("{name} is locked by another process ({})", lock.display())]
    Locked {
        /// The reference.
        name: RefName,
        /// The lock file.
        lock: PathBuf,
    },
    /// One batch of updates names the reference twice.
    #[error("{name} is updated twice in one batch")]
    Repeated {
        /// The reference.
        name: RefName,
    },
    /// A reference file does not hold an id.
    #[error("reference file {} is damaged: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The file system refused.
    #[error(transparent)]
    Io(#[from] IoError),
}

/// References updated together by [`FileRefStore`]'s `update_many` before one flush; each holds a lock file open.
const UPDATE_CHUNK: usize = 256;

/// One update of [`RefStore::update_many`].
#[derive(Clone, Debug)]
pub struct RefUpdate {
    /// The reference.
    pub name: RefName,
    /// What it must hold now (`None`: must not exist).
    pub expected: Option<ObjectId>,
    /// What it will hold (`None`: deleted).
    pub new: Option<ObjectId>,
    /// The log entry.
    pub entry: ReflogEntry,
}

fn show(id: &Option<ObjectId>) -> String {
    id.map(|id| id.short(12))
        .unwrap_or_else(|| "nothing".into())
}

/// The narrow interface every reference store offers.
pub trait RefStore: Send + Sync {
    /// The value of a reference; `Ok(None)` when it does not exist.
    fn read(&self, name: &RefName) -> Result<Option<ObjectId>, RefError>;

    /// Sets `name` to `new` (or deletes it when `new` is `None`) if it currently holds `expected`
    /// (`None`: does not exist), and records the change in its log.
    fn update(
        &self,
        name: &RefName,
        expected: Option<ObjectId>,
        new: Option<ObjectId>,
        entry: &ReflogEntry,
    ) -> Result<(), RefError>;

    /// Applies many updates, each as [`RefStore::update`] would (each its own compare-and-swap, logged), and
    /// returns one result per update, in order. A store may make them durable together, which is much faster
    /// than one at a time.
    fn update_many(&self, updates: &[RefUpdate]) -> Vec<Result<(), RefError>> {
        updates
            .iter()
            .map(|update| self.update(&update.name, update.expected, update.new, &update.entry))
            .collect()
    }

    /// Every reference whose name starts with `prefix`, sorted by name.
    fn list(&self, prefix: &str) -> Result<Vec<(RefName, ObjectId)>, RefError>;

    /// The log of a reference, oldest first.
    fn reflog(&self, name: &RefName) -> Result<Vec<ReflogEntry>, RefError>;
}

#[derive(Debug, Default)]
struct MemoryRefs {
    values: BTreeMap<RefName, ObjectId>,
    logs: BTreeMap<RefName, Vec<ReflogEntry>>,
}

/// Every reference file with its value, or why it cannot be read.
pub type RefScan = Vec<(RefName, Result<ObjectId, RefError>)>;

/// References held in memory, for tests.
#[derive(Debug, Default)]
pub struct MemoryRefStore {
    state: Mutex<MemoryRefs>,
}

impl MemoryRefStore {
    /// An empty reference store.
    pub fn new() -> Self {
        MemoryRefStore::default()
    }
}

impl RefStore for MemoryRefStore {
    fn read(&self, name: &RefName) -> Result<Option<ObjectId>, RefError> {
        Ok(self
            .state
            .lock()
            .expect("lock poisoned only by a panic")
            .values
            .get(name)
            .copied())
    }

    fn update(
        &self,
        name: &RefName,
        expected: Option<ObjectId>,
        new: Option<ObjectId>,
        entry: &ReflogEntry,
    ) -> Result<(), RefError> {
        let mut state = self.state.lock().expect("lock poisoned only by a panic");
        let found = state.values.get(name).copied();
        if found != expected {
            return Err(RefError::Stale {
                name: name.clone(),
                expected,
                found,
            });
        }
        match new {
            Some(id) => state.values.insert(name.clone(), id),
            None => state.values.remove(name),
        };
        state
            .logs
            .entry(name.clone())
            .or_default()
            .push(entry.clone());
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<(RefName, ObjectId)>, RefError> {
        Ok(self
            .state
            .lock()
            .expect("lock poisoned only by a panic")
            .values
            .iter()
            .filter(|(name, _)| name.as_str().starts_with(prefix))
            .map(|(name, id)| (name.clone(), *id))
            .collect())
    }

    fn reflog(&self, name: &RefName) -> Result<Vec<ReflogEntry>, RefError> {
        Ok(self
            .state
            .lock()
            .expect("lock poisoned only by a panic")
            .logs
            .get(name)
            .cloned()
            .unwrap_or_default())
    }
}

/// How long a folder of references must have been left alone before [`FileRefStore::stamp`] trusts its time.
pub const STAMP_SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

/// See [`FileRefStore::stamp`]: (folder under `refs/`, inode, modification time in nanoseconds) of each folder.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RefsStamp {
    folders: Vec<(String, u64, u64)>,
}

/// References as files under `.hive/refs`, logs under `.hive/logs/refs`.
#[derive(Debug, Clone)]
pub struct FileRefStore {
    refs: PathBuf,
    logs: PathBuf,
}

impl FileRefStore {
    /// A store rooted at the repository directory (`.hive`).
    pub fn new(hive_dir: &Path) -> Self {
        FileRefStore {
            refs: hive_dir.join("refs"),
            logs: hive_dir.join("logs").join("refs"),
        }
    }

    /// The file holding a reference.
    pub fn path_of(&self, name: &RefName) -> PathBuf {
        self.refs.join(name.as_str())
    }

    /// Deletes the log of a reference that no longer exists, and the folders of both that are left empty.
    pub fn remove_log(&self, name: &RefName) -> Result<(), RefError> {
        let log = self.logs.join(name.as_str());
        crate::fsutil::remove_file(&log)?;
        crate::fsutil::remove_empty_parents(&log, &self.logs);
        crate::fsutil::remove_empty_parents(&self.path_of(name), &self.refs);
        Ok(())
    }

    /// The lock file of a reference.
    pub fn lock_path(&self, name: &RefName) -> PathBuf {
        self.refs.join(format!("{}.lock", name.as_str()))
    }

    fn read_path(path: &Path) -> Result<Option<ObjectId>, RefError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(IoError {
                    operation: "read",
                    path: path.to_path_buf(),
                    source,
                }
                .into());
            }
        };
        ObjectId::from_hex(text.trim_end())
            .map(Some)
            .map_err(|error| RefError::Corrupt {
                path: path.to_path_buf(),
                reason: error.to_string(),
            })
    }

    /// Every reference file with its value or the reason it cannot be read, for `fsck`.
    pub fn scan(&self) -> Result<RefScan, RefError> {
        let mut out = Vec::new();
        self.collect_with(&self.refs, &mut |name, path| {
            out.push((
                name,
                Self::read_path(path).and_then(|id| {
                    id.ok_or(RefError::Corrupt {
                        path: path.to_path_buf(),
                        reason: "vanished while reading".into(),
                    })
                }),
            ));
            Ok(())
        })?;
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    fn collect(&self, dir: &Path, out: &mut Vec<(RefName, ObjectId)>) -> Result<(), RefError> {
        let mut found: Vec<(RefName, PathBuf)> = Vec::new();
        self.collect_with(dir, &mut |name, path| {
            found.push((name, path.to_path_buf()));
            Ok(())
        })?;
        // Thousands of small files: read on every core.
        use rayon::prelude::*;
        let read: Vec<Option<(RefName, ObjectId)>> = found
            .into_par_iter()
            .with_min_len(64)
            .map(|(name, path)| Ok(Self::read_path(&path)?.map(|id| (name, id))))
            .collect::<Result<_, RefError>>()?;
        out.extend(read.into_iter().flatten());
        Ok(())
    }

    /// A stamp of the references under `refs/<folder>`: the identity and modification time of that folder and of
    /// every folder below it. Any reference added, replaced or removed there (hive writes a reference by renaming
    /// a new file into its folder) changes the time of its folder, so while two stamps are equal the references
    /// are the same. `None` when a folder changed within the last [`STAMP_SETTLE`] (the clock of a file system
    /// may be too coarse to tell a change made just now from one made a moment later), when there is no folder,
    /// or when one vanished while it was looked at. Meant for local file systems: a network file system may show
    /// a folder's time from its cache.
    pub fn stamp(&self, folder: &str) -> Result<Option<RefsStamp>, RefError> {
        let now = std::time::SystemTime::now();
        let mut folders = Vec::new();
        let mut settled = true;
        let root = self.refs.join(folder);
        let mut pending = vec![root.clone()];
        while let Some(dir) = pending.pop() {
            let metadata = match fs::metadata(&dir) {
                Ok(metadata) => metadata,
                // No folder (no run yet, or the last one just removed), or one removed while walking: nothing that
                // tells a later state from this one, so no stamp.
                Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(source) => {
                    return Err(IoError {
                        operation: "inspect",
                        path: dir,
                        source,
                    }
                    .into());
                }
            };
            let modified = metadata.modified().context("inspect", &dir)?;
            settled &= now
                .duration_since(modified)
                .is_ok_and(|age| age >= STAMP_SETTLE);
            let since_epoch = modified
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            #[cfg(unix)]
            let identity = std::os::unix::fs::MetadataExt::ino(&metadata);
            #[cfg(not(unix))]
            let identity = 0;
            for entry in fsutil::list_dir(&dir)? {
                match entry.file_type() {
                    Ok(kind) if kind.is_dir() => pending.push(entry.path()),
                    Ok(_) => {}
                    Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
                    Err(source) => {
                        return Err(IoError {
                            operation: "inspect",
                            path: entry.path(),
                            source,
                        }
                        .into());
                    }
                }
            }
            let relative = dir
                .strip_prefix(&self.refs)
                .expect("under refs")
                .to_string_lossy()
                .to_string();
            folders.push((relative, identity, since_epoch.as_nanos() as u64));
        }
        folders.sort();
        Ok(settled.then_some(RefsStamp { folders }))
    }

    fn collect_with(
        &self,
        dir: &Path,
        visit: &mut dyn FnMut(RefName, &Path) -> Result<(), RefError>,
    ) -> Result<(), RefError> {
        let entries = fsutil::list_dir(dir)?;
        for entry in entries {
            let path = entry.path();
            let file_type = entry.file_type().context("inspect", &path)?;
            if file_type.is_dir() {
                self.collect_with(&path, visit)?;
                continue;
            }
            let relative = path
                .strip_prefix(&self.refs)
                .expect("under refs")
                .to_string_lossy()
                .to_string();
            // Lock files and temporary files are not references.
            let Ok(name) = RefName::parse(&relative) else {
                continue;
            };
            visit(name, &path)?;
        }
        Ok(())
    }

    /// One chunk of [`RefStore::update_many`]: every update is prepared under its lock (compare, log entry, new
    /// value in a temporary file), then one flush of the file system makes them all durable, then the values
    /// are renamed into place and their directories flushed. A crash leaves each reference at its old or its new
    /// value, with its log entry written first.
    fn update_chunk(&self, updates: &[RefUpdate]) -> Vec<Result<(), RefError>> {
        let mut results: Vec<Result<(), RefError>> = updates.iter().map(|_| Ok(())).collect();
        // Locks in name order, so two batches never wait on each other in a cycle.
        let mut order: Vec<usize> = (0..updates.len()).collect();
        order.sort_by(|a, b| updates[*a].name.cmp(&updates[*b].name));
        // Opened before anything is written, so the flush reports every write-back error since.
        let handle = fsutil::sync_handle(&self.refs);
        let mut locks = Vec::new();
        let mut written = Vec::new();
        let mut renames: Vec<(usize, Option<PathBuf>)> = Vec::new();
        for (position, &index) in order.iter().enumerate() {
            let update = &updates[index];
            if position > 0 && updates[order[position - 1]].name == update.name {
                results[index] = Err(RefError::Repeated {
                    name: update.name.clone(),
                });
                continue;
            }
            let dir = self
                .path_of(&update.name)
                .parent()
                .expect("ref path has a parent")
                .to_path_buf();
            let prepared = fsutil::create_dir_all(&dir)
                .map_err(RefError::from)
                .and_then(|()| self.lock(&update.name))
                .and_then(|lock| {
                    locks.push(lock);
                    self.prepare(update)
                });
            match prepared {
                Ok((files, temp)) => {
                    written.extend(files);
                    renames.push((index, temp));
                }
                Err(error) => results[index] = Err(error),
            }
        }
        if !renames.is_empty()
            && let Err(error) =
                handle.and_then(|handle| fsutil::sync_files(&handle, &self.refs, &written))
        {
            let message = error.to_string();
            for (index, temp) in &renames {
                if let Some(temp) = temp {
                    let _ = fs::remove_file(temp);
                }
                results[*index] = Err(RefError::Io(IoError {
                    operation: "flush",
                    path: self.path_of(&updates[*index].name),
                    source: io::Error::other(message.clone()),
                }));
            }
            renames.clear();
        }
        let mut dirs = std::collections::BTreeSet::new();
        for (index, temp) in renames {
            let path = self.path_of(&updates[index].name);
            let done = match temp {
                Some(temp) => fsutil::rename(&temp, &path).inspect_err(|_| {
                    let _ = fs::remove_file(&temp);
                }),
                None => fsutil::remove_file(&path),
            };
            match done {
                Ok(()) => {
                    dirs.insert(path.parent().expect("ref path has a parent").to_path_buf());
                }
                Err(error) => results[index] = Err(error.into()),
            }
        }
        for dir in dirs {
            if let Err(error) = fsutil::sync_dir(&dir) {
                let message = error.to_string();
                for result in results.iter_mut().filter(|result| result.is_ok()) {
                    *result = Err(RefError::Io(IoError {
                        operation: "flush directory",
                        path: dir.clone(),
                        source: io::Error::other(message.clone()),
                    }));
                }
            }
        }
        for lock in locks {
            let _ = fs::remove_file(&lock.path);
            drop(lock);
        }
        results
    }

    fn lock(&self, name: &RefName) -> Result<fsutil::LockedFile, RefError> {
        let lock_path = self.lock_path(name);
        fsutil::lock_file(&lock_path, fsutil::lock_timeout()).map_err(|error| match error {
            LockError::Busy { .. } => RefError::Locked {
                name: name.clone(),
                lock: lock_path.clone(),
            },
            LockError::Io(error) => RefError::Io(error),
        })
    }

    /// The first steps of an update, under its lock and without flushing: the compare, the log entry, the new
    /// value in a temporary file beside the reference. Returns the files written (to flush) and the temporary.
    fn prepare(&self, update: &RefUpdate) -> Result<(Vec<PathBuf>, Option<PathBuf>), RefError> {
        let path = self.path_of(&update.name);
        Self::expect(&update.name, &path, update.expected)?;
        let log = self.append_log(&update.name, &update.entry, false)?;
        let Some(id) = update.new else {
            return Ok((vec![log], None));
        };
        // `.tmp-batch-` never matches the random `.tmp-XXXXXX` names of single updates.
        let temp = path.with_file_name(format!(
            ".tmp-batch-{}",
            path.file_name().expect("ref has a name").to_string_lossy()
        ));
        fsutil::write_file(&temp, format!("{id}\n").as_bytes())?;
        Ok((vec![log, temp.clone()], Some(temp)))
    }

    /// Refuses the update unless the reference at `path` holds `expected`.
    fn expect(name: &RefName, path: &Path, expected: Option<ObjectId>) -> Result<(), RefError> {
        let found = Self::read_path(path)?;
        if found != expected {
            return Err(RefError::Stale {
                name: name.clone(),
                expected,
                found,
            });
        }
        Ok(())
    }

    /// Appends `entry` to the log of `name`, flushed (with a new file's directory) when `flush` is set. Returns
    /// the log's path.
    fn append_log(
        &self,
        name: &RefName,
        entry: &ReflogEntry,
        flush: bool,
    ) -> Result<PathBuf, RefError> {
        let path = self.logs.join(name.as_str());
        fsutil::create_dir_all(path.parent().expect("log path has a parent"))?;
        let line = serde_json::to_vec(entry).expect("a reflog entry serializes");
        fsutil::append_line(&path, &line, flush)?;
        Ok(path)
    }
}

impl RefStore for FileRefStore {
    fn read(&self, name: &RefName) -> Result<Option<ObjectId>, RefError> {
        Self::read_path(&self.path_of(name))
    }

    fn update(
        &self,
        name: &RefName,
        expected: Option<ObjectId>,
        new: Option<ObjectId>,
        entry: &ReflogEntry,
    ) -> Result<(), RefError> {
        let path = self.path_of(name);
        let dir = path.parent().expect("ref path has a parent").to_path_buf();
        fsutil::create_dir_all(&dir)?;
        let lock = self.lock(name)?;
        let result = (|| {
            Self::expect(name, &path, expected)?;
            // The log first, as git does: a crash in between leaves a log entry for an update that did not
            // happen, never an update missing from the log.
            self.append_log(name, entry, true)?;
            match new {
                Some(id) => fsutil::write_atomic(&path, format!("{id}\n").as_bytes(), true)?,
                None => {
                    fsutil::remove_file(&path)?;
                    fsutil::sync_dir(&dir)?;
                }
            }
            Ok(())
        })();
        // Remove the lock file while still holding its lock; waiters notice it is gone and start again.
        let _ = fs::remove_file(&lock.path);
        drop(lock);
        result
    }

    fn update_many(&self, updates: &[RefUpdate]) -> Vec<Result<(), RefError>> {
        // Each update holds its lock file open until the batch is flushed: a few hundred at a time.
        updates
            .chunks(UPDATE_CHUNK)
            .flat_map(|chunk| self.update_chunk(chunk))
            .collect()
    }

    fn list(&self, prefix: &str) -> Result<Vec<(RefName, ObjectId)>, RefError> {
        let mut out = Vec::new();
        self.collect(&self.refs, &mut out)?;
        out.retain(|(name, _)| name.as_str().starts_with(prefix));
        out.sort();
        Ok(out)
    }

    fn reflog(&self, name: &RefName) -> Result<Vec<ReflogEntry>, RefError> {
        // A torn last line (a crash while appending) is not an entry.
        Ok(fsutil::read_json_lines(&self.logs.join(name.as_str()))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> ReflogEntry {
        ReflogEntry {
            old: None,
            new: None,
            author: "A <a@example.com>".into(),
            time: "2026-01-01T00:00:00Z".into(),
            message: "test".into(),
        }
    }

    #[test]
    fn many_updates_each_compare_and_log() {
        let dir = tempfile::tempdir().unwrap();
        let file = FileRefStore::new(dir.path());
        let memory = MemoryRefStore::new();
        let one = ObjectId::from_bytes([1; 32]);
        let two = ObjectId::from_bytes([2; 32]);
        for (store, refuses_repeats) in [(&file as &dyn RefStore, true), (&memory, false)] {
            store
                .update(&RefName::run("held").unwrap(), None, Some(one), &entry())
                .unwrap();
            let update = |name: &str, expected, new| RefUpdate {
                name: RefName::run(name).unwrap(),
                expected,
                new,
                entry: entry(),
            };
            let results = store.update_many(&[
                update("b/new", None, Some(two)),
                update("held", None, Some(two)),
                update("a", None, Some(one)),
                update("held", Some(one), None),
            ]);
            assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
            assert!(
                matches!(results[1], Err(RefError::Stale { .. })),
                "{results:?}"
            );
            // The file store refuses a name given twice; the default applies them in order.
            if refuses_repeats {
                assert!(
                    matches!(results[3], Err(RefError::Repeated { .. })),
                    "{results:?}"
                );
                assert_eq!(
                    store.read(&RefName::run("held").unwrap()).unwrap(),
                    Some(one)
                );
            }
            assert_eq!(
                store.read(&RefName::run("b/new").unwrap()).unwrap(),
                Some(two)
            );
            assert_eq!(store.read(&RefName::run("a").unwrap()).unwrap(), Some(one));
            assert_eq!(store.reflog(&RefName::run("a").unwrap()).unwrap().len(), 1);
        }
        let names: Vec<String> = file
            .list("")
            .unwrap()
            .into_iter()
            .map(|(name, _)| name.to_string())
            .collect();
        assert_eq!(
            names,
            ["runs/a", "runs/b/new", "runs/held"],
            "no temporary or lock file left"
        );
    }

    #[test]
    fn names_are_checked() {
        for good in ["main", "fix/login-2", "a.b_c+d"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "", "a//b", ".hidden", "x.lock", "a b", "run@3", "-x", "a/../b",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    /// Sets the modification time of every folder under `root` to `seconds` ago.
    fn age_folders(root: &Path, seconds: u64) {
        let when = std::time::SystemTime::now() - std::time::Duration::from_secs(seconds);
        let mut pending = vec![root.to_path_buf()];
        while let Some(dir) = pending.pop() {
            fs::File::open(&dir).unwrap().set_modified(when).unwrap();
            for entry in fs::read_dir(&dir).unwrap() {
                let entry = entry.unwrap();
                if entry.file_type().unwrap().is_dir() {
                    pending.push(entry.path());
                }
            }
        }
    }

    #[test]
    fn a_stamp_changes_with_every_reference_and_waits_for_quiet_folders() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileRefStore::new(dir.path());
        let runs = dir.path().join("refs").join("runs");
        let one = ObjectId::from_bytes([1; 32]);
        let two = ObjectId::from_bytes([2; 32]);
        // No folder yet: no stamp, since nothing would tell a later state from this one.
        assert_eq!(store.stamp("runs").unwrap(), None);
        let set = |name: &str, old, new| {
            store
                .update(&RefName::run(name).unwrap(), old, new, &entry())
                .unwrap()
        };
        set("a", None, Some(one));
        // Just written: not to be trusted yet.
        assert_eq!(store.stamp("runs").unwrap(), None);
        age_folders(&runs, 60);
        let first = store.stamp("runs").unwrap().unwrap();
        assert_eq!(store.stamp("runs").unwrap().as_ref(), Some(&first));
        let mut seen = vec![first];
        // Each kind of change, aged a different amount so that the folders are settled again: a new value, a new
        // reference in a new folder, one in that folder, a removal.
        let changes: [(&str, Option<ObjectId>, Option<ObjectId>); 4] = [
            ("a", Some(one), Some(two)),
            ("fix/again", None, Some(one)),
            ("fix/more", None, Some(two)),
            ("a", Some(two), None),
        ];
        for (age, (name, old, new)) in (30..).zip(changes) {
            set(name, old, new);
            assert_eq!(store.stamp("runs").unwrap(), None, "{name}");
            age_folders(&runs, age);
            let stamp = store.stamp("runs").unwrap().unwrap();
            assert!(!seen.contains(&stamp), "{name}: {stamp:?}");
            seen.push(stamp);
        }
    }
}
