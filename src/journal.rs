//! The staging journal: events captured for a run but not yet committed.
//!
//! One append-only file per run, `.hive/journal/NAME.jnl`: an 8-byte header, then records of
//! `length u32 LE | checksum (first 8 bytes of blake3 of the payload) | payload`, the payload being the event's
//! canonical JSON with its `seq` assigned. Appends take the file's lock, write whole records and flush before they
//! report success. After a crash, a torn final record is detected by its length or checksum, reported, and cut
//! off by the next append; every complete record survives. A commit removes the records it sealed by seq, so a
//! crash between the commit and the removal never commits an event twice.

use crate::canonical;
use crate::fsutil::{self, IoContext, IoError, LockError, LockedFile};
use serde_json::{Map, Value};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"hivejnl\x01";
const RECORD_HEADER: usize = 12;
/// Largest record accepted: larger ones are damage, not data.
const MAX_RECORD: usize = 1 << 30;

/// Why a journal operation failed.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file system refused.
    #[error(transparent)]
    Io(#[from] IoError),
    /// Another process held the journal's lock for the whole timeout.
    #[error("the staging journal {} is locked by another process", path.display())]
    Locked {
        /// The journal file.
        path: PathBuf,
    },
    /// One event is larger than a journal record can hold.
    #[error("event {seq} is {size} bytes; an event is limited to 1 GiB")]
    TooLarge {
        /// The seq it would have had.
        seq: u64,
        /// Its size.
        size: usize,
    },
    /// A record before the end is damaged: later records cannot be trusted.
    #[error("staging journal {} is damaged at byte {offset}: {reason}", path.display())]
    Corrupt {
        /// The journal file.
        path: PathBuf,
        /// Where the damage starts.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
}

impl From<LockError> for JournalError {
    fn from(error: LockError) -> Self {
        match error {
            LockError::Busy { path, .. } => JournalError::Locked { path },
            LockError::Io(error) => JournalError::Io(error),
        }
    }
}

/// A staged event.
#[derive(Clone, Debug, PartialEq)]
pub struct StagedEvent {
    /// Its seq in the run.
    pub seq: u64,
    /// The event's JSON object, `seq` included.
    pub event: Map<String, Value>,
}

/// An incomplete final record left by a crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// Where the torn record starts.
    pub offset: u64,
    /// How many bytes it has.
    pub bytes: u64,
}

/// What a journal file holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JournalScan {
    /// Complete records, in order.
    pub events: Vec<StagedEvent>,
    /// Length of the valid prefix of the file.
    pub valid_len: u64,
    /// A torn final record, if any.
    pub torn: Option<TornTail>,
}

/// What an append did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Seq of the first appended event.
    pub first_seq: u64,
    /// Number of events appended.
    pub count: u64,
    /// A torn record from an earlier crash that this append cut off.
    pub repaired: Option<TornTail>,
}

/// The gate's file in the journal directory (no run name starts with `.`).
const GATE: &str = ".gate";

/// The journal directory of a repository.
#[derive(Debug, Clone)]
pub struct Journal {
    dir: PathBuf,
}

impl Journal {
    /// The journal in `dir` (`.hive/journal`).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Journal { dir: dir.into() }
    }

    /// The file of run `run`.
    pub fn path_of(&self, run: &str) -> PathBuf {
        self.dir.join(format!("{run}.jnl"))
    }

    /// The gate between appends and commits that number events themselves (`commit FILE`, `import`): appends
    /// hold it shared while they number and write their events; those commits hold it exclusively from reading
    /// the journal to updating the run's reference. Without it an append could number its events from a head
    /// that such a commit is about to move, and the next commit would drop them as already committed.
    pub fn gate(&self, exclusive: bool) -> Result<LockedFile, JournalError> {
        fsutil::create_dir_all(&self.dir)?;
        let path = self.dir.join(GATE);
        let timeout = fsutil::lock_timeout();
        Ok(if exclusive {
            fsutil::lock_file(&path, timeout)?
        } else {
            fsutil::lock_file_shared(&path, timeout)?
        })
    }

    /// Whether run `run` has a journal file (staged events, or a leftover of a crash).
    pub fn has_staged(&self, run: &str) -> Result<bool, JournalError> {
        if !self.path_of(run).exists() {
            return Ok(false);
        }
        Ok(!self.read(run)?.events.is_empty())
    }

    fn lock(&self, run: &str) -> Result<LockedFile, JournalError> {
        let path = self.path_of(run);
        fsutil::create_dir_all(path.parent().expect("journal path has a parent"))?;
        Ok(fsutil::lock_file(&path, fsutil::lock_timeout())?)
    }

    /// Appends `events` to run `run`, numbering them from `max(last staged seq + 1, committed)` where
    /// `committed` is the number of events the run's head already holds. Durable when it returns.
    pub fn append<E: From<JournalError>>(
        &self,
        run: &str,
        events: Vec<Map<String, Value>>,
        committed: impl FnOnce() -> Result<u64, E>,
    ) -> Result<AppendOutcome, E> {
        if events.is_empty() {
            return Ok(AppendOutcome {
                first_seq: 0,
                count: 0,
                repaired: None,
            });
        }
        let _gate = self.gate(false)?;
        let mut locked = self.lock(run)?;
        let scan = scan_file(&mut locked.file, &locked.path)?;
        let next = scan
            .events
            .last()
            .map(|staged| staged.seq + 1)
            .unwrap_or(0)
            .max(committed()?);
        Ok(write_records(&mut locked, &scan, next, events)?)
    }

    /// The staged events of run `run`.
    pub fn read(&self, run: &str) -> Result<JournalScan, JournalError> {
        let path = self.path_of(run);
        if !path.exists() {
            return Ok(JournalScan::default());
        }
        let mut locked = self.lock(run)?;
        scan_file(&mut locked.file, &locked.path)
    }

    /// Removes the staged events with seq below `committed` (they are in the run's head now).
    pub fn consume(&self, run: &str, committed: u64) -> Result<(), JournalError> {
        let path = self.path_of(run);
        if !path.exists() {
            return Ok(());
        }
        let mut locked = self.lock(run)?;
        let scan = scan_file(&mut locked.file, &locked.path)?;
        let keep: Vec<&StagedEvent> = scan
            .events
            .iter()
            .filter(|staged| staged.seq >= committed)
            .collect();
        if keep.len() == scan.events.len() {
            return Ok(());
        }
        if keep.is_empty() && scan.torn.is_none() {
            fsutil::remove_file(&locked.path)?;
            return fsutil::sync_dir(locked.path.parent().expect("journal has a parent"))
                .map_err(Into::into);
        }
        let mut bytes = MAGIC.to_vec();
        for staged in keep {
            encode_record(
                &canonical::to_vec(&Value::Object(staged.event.clone())),
                &mut bytes,
            );
        }
        fsutil::write_atomic(&locked.path, &bytes, true)?;
        Ok(())
    }

    /// Deletes every event staged for `run`; returns how many there were.
    pub fn remove(&self, run: &str) -> Result<u64, JournalError> {
        let path = self.path_of(run);
        if !path.exists() {
            fsutil::remove_empty_parents(&path, &self.dir);
            return Ok(0);
        }
        let mut locked = self.lock(run)?;
        let count = scan_file(&mut locked.file, &locked.path)
            .map(|scan| scan.events.len() as u64)
            .unwrap_or(0);
        fsutil::remove_file(&locked.path)?;
        let dir = locked
            .path
            .parent()
            .expect("journal has a parent")
            .to_path_buf();
        drop(locked);
        fsutil::sync_dir(&dir)?;
        fsutil::remove_empty_parents(&path, &self.dir);
        Ok(count)
    }

    /// Names of the runs that have a journal file, sorted.
    pub fn runs(&self) -> Result<Vec<String>, JournalError> {
        let mut out = Vec::new();
        collect(&self.dir, &self.dir, &mut out)?;
        out.sort();
        Ok(out)
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), JournalError> {
    let entries = fsutil::list_dir(dir)?;
    for entry in entries {
        let path = entry.path();
        if entry.file_type().context("inspect", &path)?.is_dir() {
            collect(root, &path, out)?;
        } else if let Some(run) = path
            .strip_prefix(root)
            .ok()
            .and_then(|relative| relative.to_str())
            .and_then(|name| name.strip_suffix(".jnl"))
        {
            out.push(run.to_string());
        }
    }
    Ok(())
}

/// Writes `events` numbered from `next` after the valid part of a locked journal, cutting off a torn tail.
fn write_records(
    locked: &mut LockedFile,
    scan: &JournalScan,
    next: u64,
    events: Vec<Map<String, Value>>,
) -> Result<AppendOutcome, JournalError> {
    // A new (or torn-headed) file starts with the header.
    let fresh = scan.valid_len < MAGIC.len() as u64;
    let start = if fresh { 0 } else { scan.valid_len };
    let mut buffer = Vec::new();
    if fresh {
        buffer.extend_from_slice(MAGIC);
    }
    let count = events.len() as u64;
    for (offset, mut event) in events.into_iter().enumerate() {
        event.insert("seq".into(), Value::from(next + offset as u64));
        let payload = canonical::to_vec(&Value::Object(event));
        if payload.len() > MAX_RECORD {
            return Err(JournalError::TooLarge {
                seq: next + offset as u64,
                size: payload.len(),
            });
        }
        encode_record(&payload, &mut buffer);
    }
    let file = &mut locked.file;
    if file.metadata().context("inspect", &locked.path)?.len() != start {
        crate::fault::check(crate::fault::Step::Write, &locked.path)
            .and_then(|()| file.set_len(start))
            .context("cut the torn record off", &locked.path)?;
    }
    file.seek(SeekFrom::Start(start))
        .context("seek in", &locked.path)?;
    crate::fault::check(crate::fault::Step::Write, &locked.path)
        .and_then(|()| file.write_all(&buffer))
        .context("append to", &locked.path)?;
    fsutil::flush_data(file, &locked.path)?;
    if fresh {
        // The file may be new: make its name durable too.
        fsutil::sync_dir(locked.path.parent().expect("journal has a parent"))?;
    }
    Ok(AppendOutcome {
        first_seq: next,
        count,
        repaired: scan.torn,
    })
}

/// Appends one record: length, checksum, payload.
fn encode_record(payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&blake3::hash(payload).as_bytes()[..8]);
    out.extend_from_slice(payload);
}

/// Reads every complete record of an open journal file.
fn scan_file(file: &mut File, path: &Path) -> Result<JournalScan, JournalError> {
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0)).context("seek in", path)?;
    file.read_to_end(&mut bytes).context("read", path)?;
    scan_bytes(&bytes, path)
}

/// Parses journal bytes: complete records, the valid length, and a torn tail if the last record is incomplete.
pub fn scan_bytes(bytes: &[u8], path: &Path) -> Result<JournalScan, JournalError> {
    let mut scan = JournalScan::default();
    if bytes.len() < MAGIC.len() {
        if !bytes.is_empty() {
            scan.torn = Some(TornTail {
                offset: 0,
                bytes: bytes.len() as u64,
            });
        }
        return Ok(scan);
    }
    if &bytes[..MAGIC.len()] != MAGIC {
        return Err(JournalError::Corrupt {
            path: path.to_path_buf(),
            offset: 0,
            reason: "not a hive staging journal".into(),
        });
    }
    let mut offset = MAGIC.len();
    scan.valid_len = offset as u64;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        let torn = TornTail {
            offset: offset as u64,
            bytes: rest.len() as u64,
        };
        if rest.len() < RECORD_HEADER {
            scan.torn = Some(torn);
            break;
        }
        let length = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
        if length > MAX_RECORD {
            return Err(JournalError::Corrupt {
                path: path.to_path_buf(),
                offset: offset as u64,
                reason: format!("record length {length} is impossible"),
            });
        }
        if rest.len() < RECORD_HEADER + length {
            scan.torn = Some(torn);
            break;
        }
        let payload = &rest[RECORD_HEADER..RECORD_HEADER + length];
        let at_end = rest.len() == RECORD_HEADER + length;
        if blake3::hash(payload).as_bytes()[..8] != rest[4..12] {
            if at_end {
                scan.torn = Some(torn);
                break;
            }
            return Err(JournalError::Corrupt {
                path: path.to_path_buf(),
                offset: offset as u64,
                reason: "record checksum does not match".into(),
            });
        }
        let event: Map<String, Value> =
            serde_json::from_slice(payload).map_err(|error| JournalError::Corrupt {
                path: path.to_path_buf(),
                offset: offset as u64,
                reason: format!("record is not a JSON object: {error}"),
            })?;
        let seq =
            event
                .get("seq")
                .and_then(Value::as_u64)
                .ok_or_else(|| JournalError::Corrupt {
                    path: path.to_path_buf(),
                    offset: offset as u64,
                    reason: "record has no seq".into(),
                })?;
        scan.events.push(StagedEvent { seq, event });
        offset += RECORD_HEADER + length;
        scan.valid_len = offset as u64;
    }
    Ok(scan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::fs;

    fn event(text: &str) -> Map<String, Value> {
        json!({"kind": "user_message", "text": text})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn append_read_consume() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(dir.path());
        let outcome = journal
            .append("r", vec![event("a"), event("b")], || {
                Ok::<_, JournalError>(0)
            })
            .unwrap();
        assert_eq!((outcome.first_seq, outcome.count), (0, 2));
        let outcome = journal
            .append("r", vec![event("c")], || Ok::<_, JournalError>(0))
            .unwrap();
        assert_eq!(outcome.first_seq, 2);
        let scan = journal.read("r").unwrap();
        assert_eq!(
            scan.events
                .iter()
                .map(|staged| staged.seq)
                .collect::<Vec<_>>(),
            [0, 1, 2]
        );
        journal.consume("r", 2).unwrap();
        assert_eq!(journal.read("r").unwrap().events.len(), 1);
        journal.consume("r", 3).unwrap();
        assert!(journal.read("r").unwrap().events.is_empty());
        // Numbering continues from the committed count once the journal is empty.
        assert_eq!(
            journal
                .append("r", vec![event("d")], || Ok::<_, JournalError>(3))
                .unwrap()
                .first_seq,
            3
        );
    }

    #[test]
    fn torn_tail_is_reported_and_cut() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(dir.path());
        journal
            .append("r", vec![event("a"), event("b")], || {
                Ok::<_, JournalError>(0)
            })
            .unwrap();
        let path = journal.path_of("r");
        let full = fs::read(&path).unwrap();
        for cut in 1..30 {
            fs::write(&path, &full[..full.len() - cut]).unwrap();
            let scan = journal.read("r").unwrap();
            assert_eq!(scan.events.len(), 1, "cut {cut}");
            assert!(scan.torn.is_some());
        }
        let outcome = journal
            .append("r", vec![event("c")], || Ok::<_, JournalError>(0))
            .unwrap();
        assert!(outcome.repaired.is_some());
        assert_eq!(outcome.first_seq, 1);
        let scan = journal.read("r").unwrap();
        assert_eq!(scan.events.len(), 2);
        assert!(scan.torn.is_none());
    }

    #[test]
    fn damage_in_the_middle_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(dir.path());
        journal
            .append("r", vec![event("a"), event("b")], || {
                Ok::<_, JournalError>(0)
            })
            .unwrap();
        let path = journal.path_of("r");
        let mut bytes = fs::read(&path).unwrap();
        bytes[MAGIC.len() + RECORD_HEADER + 2] ^= 0xff;
        fs::write(&path, &bytes).unwrap();
        assert!(matches!(
            journal.read("r"),
            Err(JournalError::Corrupt { .. })
        ));
    }
}
