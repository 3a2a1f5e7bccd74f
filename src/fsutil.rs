//! File-system helpers shared by the stores, refs and the journal: durable atomic writes and file locks.

use crate::fault::{self, Step};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// An I/O failure with the path and the operation that failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot {operation} {}: {source}", path.display())]
pub struct IoError {
    /// What was being done.
    pub operation: &'static str,
    /// The file or directory.
    pub path: PathBuf,
    /// The operating system's error.
    pub source: io::Error,
}

/// Attaches an operation and a path to an `io::Result`.
pub trait IoContext<T> {
    /// Wraps the error with what was being done to which path.
    fn context(self, operation: &'static str, path: &Path) -> Result<T, IoError>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn context(self, operation: &'static str, path: &Path) -> Result<T, IoError> {
        self.map_err(|source| IoError {
            operation,
            path: path.to_path_buf(),
            source,
        })
    }
}

/// The entries of a directory; none when it does not exist.
pub fn list_dir(dir: &Path) -> Result<Vec<fs::DirEntry>, IoError> {
    match fs::read_dir(dir) {
        Ok(entries) => entries.map(|entry| entry.context("list", dir)).collect(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(IoError {
            operation: "list",
            path: dir.to_path_buf(),
            source,
        }),
    }
}

/// Flushes a directory's entries (new names, renames) to stable storage.
pub fn sync_dir(dir: &Path) -> Result<(), IoError> {
    fault::check(Step::Flush, dir)
        .and_then(|()| File::open(dir))
        .and_then(|handle| handle.sync_all())
        .context("flush directory", dir)?;
    fault::flushed_dir(dir);
    Ok(())
}

/// Flushes a file's bytes and size to stable storage (never retried: after a failed flush the bytes may be lost
/// whatever a second flush says).
pub fn flush(file: &File, path: &Path) -> Result<(), IoError> {
    fault::check(Step::Flush, path)
        .and_then(|()| file.sync_all())
        .context("flush", path)?;
    fault::flushed_file(path);
    Ok(())
}

/// Like [`flush`], without the file's times.
pub fn flush_data(file: &File, path: &Path) -> Result<(), IoError> {
    fault::check(Step::Flush, path)
        .and_then(|()| file.sync_data())
        .context("flush", path)?;
    fault::flushed_file(path);
    Ok(())
}

/// Writes all of `bytes` at the file's position.
pub fn write_all(file: &mut File, path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    fault::check(Step::Write, path)
        .and_then(|()| file.write_all(bytes))
        .context("write", path)
}

/// Creates (or replaces) the file `path` holding `bytes`, not flushed.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    fault::check(Step::Create, path)
        .and_then(|()| fault::check(Step::Write, path))
        .and_then(|()| fs::write(path, bytes))
        .context("write", path)
}

/// A new temporary file (`.tmp-` and `prefix`) in `dir`, removed when dropped unless persisted.
pub fn temp_file(dir: &Path, prefix: &str) -> Result<tempfile::NamedTempFile, IoError> {
    fault::check(Step::Create, dir)
        .and_then(|()| tempfile::Builder::new().prefix(prefix).tempfile_in(dir))
        .context("create a temporary file in", dir)
}

/// Renames a temporary file over `path`.
pub fn persist(temp: tempfile::NamedTempFile, path: &Path) -> Result<(), IoError> {
    fault::check(Step::Rename, path)
        .and_then(|()| temp.persist(path).map(drop).map_err(|error| error.error))
        .context("rename into place", path)
}

/// Renames `from` over `to`.
pub fn rename(from: &Path, to: &Path) -> Result<(), IoError> {
    fault::check(Step::Rename, to)
        .and_then(|()| fs::rename(from, to))
        .context("rename into place", to)
}

/// Removes the file `path`; one already gone is fine.
pub fn remove_file(path: &Path) -> Result<(), IoError> {
    remove_with(path, |path| fs::remove_file(path))
}

/// Removes the directory `path` and everything in it; one already gone is fine.
pub fn remove_dir_all(path: &Path) -> Result<(), IoError> {
    remove_with(path, |path| fs::remove_dir_all(path))
}

fn remove_with(path: &Path, remove: impl FnOnce(&Path) -> io::Result<()>) -> Result<(), IoError> {
    match fault::check(Step::Remove, path).and_then(|()| remove(path)) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        result => result.context("remove", path),
    }
}

/// A handle for [`sync_files`], opened on a directory of the file system *before* the files are written, so that
/// write-back errors that happen after it was opened are reported to it.
pub fn sync_handle(dir: &Path) -> Result<File, IoError> {
    File::open(dir).context("open", dir)
}

/// Makes `files` (already written, not yet flushed) durable, with their names. On Linux this is one `syncfs` of
/// the file system of `handle` (from [`sync_handle`]), far cheaper than flushing thousands of small files one by
/// one; elsewhere each file and each directory holding one is flushed.
pub fn sync_files(handle: &File, dir: &Path, files: &[PathBuf]) -> Result<(), IoError> {
    #[cfg(target_os = "linux")]
    {
        let _ = files;
        fault::check(Step::Flush, dir)
            .and_then(|()| rustix::fs::syncfs(handle).map_err(std::io::Error::from))
            .context("flush the file system of", dir)?;
        fault::flushed_all(dir);
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (handle, dir);
        let mut dirs = std::collections::BTreeSet::new();
        for file in files {
            flush(&File::open(file).context("open", file)?, file)?;
            if let Some(parent) = file.parent() {
                dirs.insert(parent.to_path_buf());
            }
        }
        for dir in dirs {
            sync_dir(&dir)?;
        }
        Ok(())
    }
}

/// Writes `bytes` to `path` atomically and durably: a temporary file in the same directory, flushed, then
/// renamed over `path`; the directory is flushed when `sync_parent` is set.
pub fn write_atomic(path: &Path, bytes: &[u8], sync_parent: bool) -> Result<(), IoError> {
    let dir = path.parent().expect("a file path has a parent");
    let mut temp = temp_file(dir, ".tmp-")?;
    let temp_path = temp.path().to_path_buf();
    write_all(temp.as_file_mut(), &temp_path, bytes)?;
    flush(temp.as_file(), &temp_path)?;
    persist(temp, path)?;
    if sync_parent {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Creates a directory and its missing parents, and makes each new name durable by flushing the directory that
/// holds it.
pub fn create_dir_all(path: &Path) -> Result<(), IoError> {
    if path.is_dir() {
        return Ok(());
    }
    let mut missing = Vec::new();
    let mut current = path;
    while !current.exists() {
        missing.push(current);
        match current.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => current = parent,
            _ => break,
        }
    }
    for dir in missing.into_iter().rev() {
        match fault::check(Step::Create, dir).and_then(|()| fs::create_dir(dir)) {
            Ok(()) => {}
            // Another process created it first.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(source) => {
                return Err(IoError {
                    operation: "create directory",
                    path: dir.to_path_buf(),
                    source,
                });
            }
        }
        if let Some(parent) = dir.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
    }
    Ok(())
}

/// How long to wait for a lock another process holds before giving up: `HIVE_LOCK_TIMEOUT_MS`, default 10 s.
pub fn lock_timeout() -> Duration {
    std::env::var("HIVE_LOCK_TIMEOUT_MS")
        .ok()
        .and_then(|text| text.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(10))
}

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process held the lock for the whole timeout.
    #[error("{} is locked by another process (waited {}ms)", path.display(), waited.as_millis())]
    Busy {
        /// The lock file.
        path: PathBuf,
        /// How long hive waited.
        waited: Duration,
    },
    /// The lock file could not be opened or locked.
    #[error(transparent)]
    Io(#[from] IoError),
}

/// An open file whose exclusive advisory lock this process holds; unlocked when dropped, or by the kernel when
/// the process dies, so a crash never leaves a lock behind.
#[derive(Debug)]
pub struct LockedFile {
    /// The locked file.
    pub file: File,
    /// Its path.
    pub path: PathBuf,
}

/// Opens (creating if needed) `path` and takes an exclusive lock on it, waiting up to `timeout`.
///
/// The file may be renamed or removed by the holder while a waiter waits; after locking, the waiter checks that
/// the path still names the file it locked and starts again if not.
pub fn lock_file(path: &Path, timeout: Duration) -> Result<LockedFile, LockError> {
    lock_file_as(path, timeout, false)
}

/// Like [`lock_file`], but a shared lock: many holders at once, none while an exclusive lock is held.
pub fn lock_file_shared(path: &Path, timeout: Duration) -> Result<LockedFile, LockError> {
    lock_file_as(path, timeout, true)
}

fn lock_file_as(path: &Path, timeout: Duration, shared: bool) -> Result<LockedFile, LockError> {
    use std::os::unix::fs::MetadataExt;
    let started = Instant::now();
    let mut pause = Duration::from_micros(200);
    loop {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .context("open lock file", path)?;
        let attempt = if shared {
            file.try_lock_shared()
        } else {
            file.try_lock()
        };
        match attempt {
            Ok(()) => {
                let locked = file.metadata().context("inspect", path)?;
                match fs::metadata(path) {
                    Ok(current)
                        if current.ino() == locked.ino() && current.dev() == locked.dev() =>
                    {
                        return Ok(LockedFile {
                            file,
                            path: path.to_path_buf(),
                        });
                    }
                    _ => continue,
                }
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                if started.elapsed() >= timeout {
                    return Err(LockError::Busy {
                        path: path.to_path_buf(),
                        waited: started.elapsed(),
                    });
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(IoError {
                    operation: "lock",
                    path: path.to_path_buf(),
                    source,
                }
                .into());
            }
        }
    }
}

/// Appends `line` and a newline to the file at `path` (created when absent); with `flush`, durably: the data,
/// and the folder when the file is new.
pub fn append_line(path: &Path, line: &[u8], flush: bool) -> Result<(), IoError> {
    let created = !path.exists();
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line);
    bytes.push(b'\n');
    let mut file = (if created {
        fault::check(Step::Create, path)
    } else {
        Ok(())
    })
    .and_then(|()| OpenOptions::new().create(true).append(true).open(path))
    .context("open", path)?;
    fault::check(Step::Write, path)
        .and_then(|()| file.write_all(&bytes))
        .context("append to", path)?;
    if flush {
        flush_data(&file, path)?;
        if created {
            sync_dir(path.parent().expect("a file has a folder"))?;
        }
    }
    Ok(())
}

/// The JSON values of a JSON Lines file, one per line; none when the file is absent. A line that does not parse
/// (a torn last line, from a crash while appending) is passed over.
pub fn read_json_lines<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, IoError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(IoError {
                operation: "read",
                path: path.to_path_buf(),
                source,
            });
        }
    };
    Ok(text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect())
}

/// Removes the folders above `path` that are empty, up to (not including) `root`. Best effort: a folder another
/// process has just put something in stays.
pub fn remove_empty_parents(path: &Path, root: &Path) {
    let mut dir = path.parent();
    while let Some(current) = dir {
        if current == root || !current.starts_with(root) || std::fs::remove_dir(current).is_err() {
            break;
        }
        dir = current.parent();
    }
}
