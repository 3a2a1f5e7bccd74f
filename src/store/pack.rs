//! Packs: many objects in one file, compressed in zstd frames, found through a memory-mapped sorted index.
//!
//! A pack is written whole, flushed, and named by its checksum; its index is written after it, so a pack is
//! visible to readers only once both files are complete. Layouts are in docs/FORMAT.md, "Packs".

use super::{ObjectStore, StoreError};
use crate::fsutil::{self, IoContext};
use crate::id::{HexPrefix, ID_LEN, ObjectId, ObjectKind};
use crate::object::{HashedObject, RawObject};
use memmap2::Mmap;
use rayon::prelude::*;
use std::collections::HashSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

const PACK_MAGIC: &[u8; 8] = b"hivepack";
const INDEX_MAGIC: &[u8; 8] = b"hiveidx\0";
/// Pack file version.
const VERSION: u32 = 1;
/// Index version written: 2 (8-byte entries and a frame table). Version 1 indexes (24-byte entries) are read too.
const INDEX_VERSION: u32 = 2;
const PACK_HEADER_LEN: usize = 16;
const INDEX_HEADER_LEN: usize = 16;
const FANOUT_LEN: usize = 256 * 4;
/// Version 1 entry: frame offset u64, frame length u32, frame raw length u32, start u32, object length u32.
const ENTRY_V1_LEN: usize = 24;
/// Version 2 entry: frame number u32, start u32 (the object's length is in its header, inside the frame).
const ENTRY_LEN: usize = 8;
/// Version 2 frame table row: frame offset u64, frame length u32, frame raw length u32.
const FRAME_ROW_LEN: usize = 16;
/// An entry length meaning "read the object's length from its header".
const LENGTH_IN_HEADER: u32 = u32::MAX;
const CHECKSUM_LEN: usize = 32;
/// Compressed bytes given to the decoder at a time by [`Pack::canonical_sparse`].
const SPARSE_INPUT: usize = 32 << 10;

/// The largest frame whose decompressed size is reserved up front (from the size its index and header declare); a
/// larger one grows as it decompresses.
const RESERVE_LIMIT: usize = 64 << 20;

/// Decompressed frames kept per pack, so that reading a run's events in order decompresses each frame once.
const FRAME_CACHE: usize = 4;

/// How a pack is compressed.
#[derive(Clone, Debug)]
pub struct PackOptions {
    /// zstd level.
    pub level: i32,
    /// Objects are grouped into frames of about this many uncompressed bytes.
    pub frame_size: usize,
    /// zstd long-distance matching, for repacking.
    pub long_distance: bool,
}

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions {
            level: 3,
            frame_size: 64 * 1024,
            long_distance: false,
        }
    }
}

impl PackOptions {
    /// Settings for packs that hold many sessions (an import, a merge of packs): frames of 8 MiB with a window
    /// as large and long-distance matching, so that what sessions repeat of each other (the same files read,
    /// the same command output) is found across sessions, at the speed of level 3. Reading one object
    /// decompresses at most its frame (about 3 ms); reading a run touches one or two frames.
    pub fn bulk() -> Self {
        PackOptions {
            level: 3,
            frame_size: 8 << 20,
            long_distance: true,
        }
    }

    /// The stronger settings `gc` repacks with: level 19 over the frames of [`PackOptions::bulk`] (compressed on
    /// every core, a frame each).
    pub fn repack() -> Self {
        PackOptions {
            level: 19,
            ..PackOptions::bulk()
        }
    }
}

/// What a written pack holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackSummary {
    /// The pack's name: the hex checksum in its file name.
    pub name: String,
    /// Objects in the pack.
    pub objects: usize,
    /// Sum of the objects' canonical sizes.
    pub raw_bytes: u64,
    /// Size of the pack file.
    pub packed_bytes: u64,
}

struct Frame {
    raw: Vec<u8>,
    /// (id, offset in frame, length) of each object.
    members: Vec<(ObjectId, u32, u32)>,
}

/// Writes `objects` as a new pack in `dir`, flushed before it returns. Duplicate ids are written once.
/// Returns `None` when there is nothing to write.
pub fn write_pack(
    dir: &Path,
    objects: &[&HashedObject],
    options: &PackOptions,
) -> Result<Option<PackSummary>, StoreError> {
    let mut writer = PackWriter::new(dir, options.clone())?;
    writer.add(objects)?;
    writer.finish()
}

/// Orders objects for packing: commits, event lists and trees first (`log` and `runs` read only those, from the
/// first frames), then events in the order given (a run's events are read together), then payloads ordered by
/// their first bytes, so that similar ones are neighbours (versions of one file share their beginning; so do the
/// outputs of one command). The order is stable: objects that compare equal keep their order.
pub fn order_for_packing(objects: &mut [HashedObject]) {
    objects.sort_by_cached_key(|object| {
        let rank = match object.kind() {
            ObjectKind::Commit => 0u8,
            ObjectKind::EventList => 1,
            ObjectKind::Tree => 2,
            ObjectKind::Chunks => 3,
            ObjectKind::Event => 4,
            ObjectKind::Blob => 5,
        };
        let body = object.body();
        let prefix = if rank == 5 {
            body[..body.len().min(SIMILARITY_PREFIX)].to_vec()
        } else {
            Vec::new()
        };
        (rank, prefix)
    });
}

/// Bytes of a payload's beginning that decide its neighbours in a pack.
const SIMILARITY_PREFIX: usize = 48;

/// Objects for a [`PackWriter`] gathered a bounded amount at a time: each batch is ordered with
/// [`order_for_packing`] and compressed, so memory stays bounded whatever the pack's size.
pub struct PackBuffer<'a> {
    store: &'a PackStore,
    writer: PackWriter,
    pending: Vec<HashedObject>,
    bytes: usize,
}

/// Raw bytes a [`PackBuffer`] gathers before it compresses them.
const PACK_BUFFER_BYTES: usize = 64 << 20;

impl PackBuffer<'_> {
    /// Adds an object.
    pub fn push(&mut self, object: HashedObject) -> Result<(), StoreError> {
        self.bytes += object.body().len() + crate::id::HEADER_LEN;
        self.pending.push(object);
        if self.bytes >= PACK_BUFFER_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        let mut batch = std::mem::take(&mut self.pending);
        order_for_packing(&mut batch);
        self.writer.add(&batch.iter().collect::<Vec<_>>())?;
        self.bytes = 0;
        Ok(())
    }

    /// Writes what is left, finishes the pack and opens it.
    pub fn finish(mut self) -> Result<Option<PackSummary>, StoreError> {
        self.flush()?;
        self.store.finish(self.writer)
    }
}

/// A pack written a batch of objects at a time, so that a large import never holds all its objects in memory.
/// Nothing is visible to readers until [`PackWriter::finish`] renames the pack and its index into place.
pub struct PackWriter {
    dir: PathBuf,
    options: PackOptions,
    temp: tempfile::NamedTempFile,
    hasher: blake3::Hasher,
    offset: u64,
    entries: Vec<(ObjectId, [u8; ENTRY_LEN])>,
    frames: Vec<[u8; FRAME_ROW_LEN]>,
    seen: HashSet<ObjectId>,
    raw_bytes: u64,
}

impl PackWriter {
    /// Starts a pack in `dir`.
    pub fn new(dir: &Path, options: PackOptions) -> Result<PackWriter, StoreError> {
        fsutil::create_dir_all(dir)?;
        let temp = fsutil::temp_file(dir, ".tmp-pack-")?;
        let mut writer = PackWriter {
            dir: dir.to_path_buf(),
            options,
            temp,
            hasher: blake3::Hasher::new(),
            offset: 0,
            entries: Vec::new(),
            frames: Vec::new(),
            seen: HashSet::new(),
            raw_bytes: 0,
        };
        let mut header = Vec::with_capacity(PACK_HEADER_LEN);
        header.extend_from_slice(PACK_MAGIC);
        header.extend_from_slice(&VERSION.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        writer.emit(&header)?;
        Ok(writer)
    }

    fn emit(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.hasher.update(bytes);
        let path = self.temp.path().to_path_buf();
        fsutil::write_all(self.temp.as_file_mut(), &path, bytes)?;
        self.offset += bytes.len() as u64;
        Ok(())
    }

    /// Compresses `objects` into frames (on every core when there are several) and appends them. Ids already
    /// added are skipped.
    pub fn add(&mut self, objects: &[&HashedObject]) -> Result<(), StoreError> {
        let fresh: Vec<&HashedObject> = objects
            .iter()
            .copied()
            .filter(|object| self.seen.insert(object.id()))
            .collect();
        let frames = group_frames(&fresh, self.options.frame_size)?;
        let options = &self.options;
        let compress = |frame: &Frame| -> std::io::Result<Vec<u8>> {
            let mut compressor = zstd::bulk::Compressor::new(options.level)?;
            if options.long_distance {
                use zstd::zstd_safe::CParameter;
                compressor.set_parameter(CParameter::EnableLongDistanceMatching(true))?;
                // A window that spans the whole frame (within what every decoder accepts by default).
                let window = frame.raw.len().max(1).next_power_of_two().trailing_zeros();
                compressor.set_parameter(CParameter::WindowLog(window.clamp(17, 27)))?;
            }
            compressor.compress(&frame.raw)
        };
        let compressed: Vec<Vec<u8>> = if frames.len() > 1 {
            frames.par_iter().map(compress).collect::<Result<_, _>>()
        } else {
            frames.iter().map(compress).collect::<Result<_, _>>()
        }
        .context("compress pack frames in", &self.dir)?;
        for (frame, packed) in frames.iter().zip(&compressed) {
            let number = self.frames.len() as u32;
            let mut row = [0u8; FRAME_ROW_LEN];
            row[0..8].copy_from_slice(&self.offset.to_le_bytes());
            row[8..12].copy_from_slice(&(packed.len() as u32).to_le_bytes());
            row[12..16].copy_from_slice(&(frame.raw.len() as u32).to_le_bytes());
            self.frames.push(row);
            for &(id, start, length) in &frame.members {
                let mut entry = [0u8; ENTRY_LEN];
                entry[0..4].copy_from_slice(&number.to_le_bytes());
                entry[4..8].copy_from_slice(&start.to_le_bytes());
                self.entries.push((id, entry));
                self.raw_bytes += u64::from(length);
            }
            self.emit(packed)?;
        }
        Ok(())
    }

    /// Writes the checksum, flushes the pack, renames it into place and writes its index. Returns `None` (and
    /// leaves nothing behind) when no object was added.
    pub fn finish(mut self) -> Result<Option<PackSummary>, StoreError> {
        if self.entries.is_empty() {
            return Ok(None);
        }
        let checksum = self.hasher.finalize();
        let temp_path = self.temp.path().to_path_buf();
        fsutil::write_all(self.temp.as_file_mut(), &temp_path, checksum.as_bytes())?;
        fsutil::flush(self.temp.as_file(), &temp_path)?;
        let name = checksum.to_hex().to_string();
        let pack_path = self.dir.join(format!("pack-{name}.pack"));
        fsutil::persist(self.temp, &pack_path)?;
        self.entries.sort_unstable_by_key(|entry| entry.0);
        let index = encode_index(&self.entries, &self.frames, checksum.as_bytes());
        fsutil::write_atomic(&self.dir.join(format!("pack-{name}.idx")), &index, true)?;
        Ok(Some(PackSummary {
            name,
            objects: self.entries.len(),
            raw_bytes: self.raw_bytes,
            packed_bytes: self.offset + CHECKSUM_LEN as u64,
        }))
    }
}

fn group_frames(objects: &[&HashedObject], frame_size: usize) -> Result<Vec<Frame>, StoreError> {
    let mut seen = HashSet::with_capacity(objects.len());
    let mut frames = Vec::with_capacity(objects.len() / 64 + 1);
    let mut current = Frame {
        raw: Vec::new(),
        members: Vec::new(),
    };
    // History (commits, event lists, trees) never shares a frame with events or payloads: `log` and `runs` read
    // only history, and should decompress only that.
    let history = |object: &HashedObject| {
        matches!(
            object.kind(),
            ObjectKind::Commit | ObjectKind::EventList | ObjectKind::Tree
        )
    };
    let mut current_history = false;
    for object in objects {
        if !seen.insert(object.id()) {
            continue;
        }
        let length = crate::id::HEADER_LEN + object.body().len();
        if length > u32::MAX as usize / 2 {
            return Err(StoreError::TooLarge {
                id: object.id(),
                size: length as u64,
            });
        }
        let is_history = history(object);
        if !current.raw.is_empty()
            && (current.raw.len() + length > frame_size || is_history != current_history)
        {
            frames.push(std::mem::replace(
                &mut current,
                Frame {
                    raw: Vec::new(),
                    members: Vec::new(),
                },
            ));
        }
        current_history = is_history;
        current
            .members
            .push((object.id(), current.raw.len() as u32, length as u32));
        current.raw.extend_from_slice(&crate::id::header(
            object.kind(),
            object.body().len() as u64,
        ));
        current.raw.extend_from_slice(object.body());
    }
    if !current.members.is_empty() {
        frames.push(current);
    }
    Ok(frames)
}

fn encode_index(
    entries: &[(ObjectId, [u8; ENTRY_LEN])],
    frames: &[[u8; FRAME_ROW_LEN]],
    pack_checksum: &[u8; 32],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        INDEX_HEADER_LEN
            + FANOUT_LEN
            + entries.len() * (ID_LEN + ENTRY_LEN)
            + frames.len() * FRAME_ROW_LEN
            + 8
            + 64,
    );
    out.extend_from_slice(INDEX_MAGIC);
    out.extend_from_slice(&INDEX_VERSION.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    let mut fanout = [0u32; 256];
    for (id, _) in entries {
        fanout[id.first_byte() as usize] += 1;
    }
    let mut total = 0u32;
    for count in fanout {
        total += count;
        out.extend_from_slice(&total.to_le_bytes());
    }
    for (id, _) in entries {
        out.extend_from_slice(id.as_bytes());
    }
    for (_, entry) in entries {
        out.extend_from_slice(entry);
    }
    for row in frames {
        out.extend_from_slice(row);
    }
    out.extend_from_slice(&(frames.len() as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(pack_checksum);
    let checksum = blake3::hash(&out);
    out.extend_from_slice(checksum.as_bytes());
    out
}

/// The canonical bytes of the object `entry` places in its decompressed `frame`, if they lie inside it.
fn object_bytes<'f>(frame: &'f [u8], entry: &Entry) -> Option<&'f [u8]> {
    frame.get(entry.start as usize..object_end(frame, entry)?)
}

/// Where in its frame the object `entry` places ends, given the frame's first bytes: at least as far as the
/// object's header when its length is there. `None` when that is not known or overflows.
fn object_end(frame: &[u8], entry: &Entry) -> Option<usize> {
    let start = entry.start as usize;
    let length = if entry.length == LENGTH_IN_HEADER {
        let body = crate::id::declared_len(frame.get(start..)?)?;
        crate::id::HEADER_LEN.checked_add(usize::try_from(body).ok()?)?
    } else {
        entry.length as usize
    };
    start.checked_add(length)
}

/// Where an object sits in a pack.
#[derive(Clone, Copy, Debug)]
struct Entry {
    frame_offset: u64,
    frame_len: u32,
    frame_raw_len: u32,
    start: u32,
    length: u32,
}

/// One open pack: its index and data, both memory-mapped.
pub struct Pack {
    name: String,
    pack_path: PathBuf,
    index: Mmap,
    data: Mmap,
    count: usize,
    /// Index version (1 or 2).
    version: u32,
    /// Frames in the frame table (version 2).
    frame_count: usize,
    frames: Mutex<Vec<(u64, Arc<Vec<u8>>)>>,
}

impl std::fmt::Debug for Pack {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Pack")
            .field("name", &self.name)
            .field("count", &self.count)
            .finish()
    }
}

/// Maps a file into memory read-only.
///
/// This is the crate's one use of `unsafe`: `memmap2` cannot promise that no other process changes the file while
/// it is mapped. hive never changes a pack or index after renaming it into place (they are named by checksum and
/// only ever created whole or deleted, and deleting keeps the mapping valid), so the mapping stays valid. The speed
/// this buys is measured in docs/BENCHMARKS.md: index lookups touch a few pages instead of reading whole files.
#[allow(unsafe_code)]
fn map_file(path: &Path) -> Result<Mmap, StoreError> {
    let file = File::open(path).context("open", path)?;
    // SAFETY: see above; packs and indexes are immutable once visible.
    unsafe { Mmap::map(&file) }
        .context("map", path)
        .map_err(StoreError::from)
}

fn corrupt(path: &Path, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

impl Pack {
    /// Opens the pack whose index is at `index_path`, checking both headers and the index size.
    pub fn open(index_path: &Path) -> Result<Pack, StoreError> {
        let pack_path = index_path.with_extension("pack");
        let name = index_path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .and_then(|stem| stem.strip_prefix("pack-"))
            .ok_or_else(|| corrupt(index_path, "index file is not named pack-<checksum>.idx"))?
            .to_string();
        let index = map_file(index_path)?;
        if index.len() < INDEX_HEADER_LEN + FANOUT_LEN + 2 * CHECKSUM_LEN
            || &index[..8] != INDEX_MAGIC
        {
            return Err(corrupt(index_path, "not a hive pack index"));
        }
        let version = u32::from_le_bytes(index[8..12].try_into().expect("4 bytes"));
        let count = u32::from_le_bytes(index[12..16].try_into().expect("4 bytes")) as usize;
        let (expected, frame_count) = match version {
            1 => (
                INDEX_HEADER_LEN + FANOUT_LEN + count * (ID_LEN + ENTRY_V1_LEN) + 2 * CHECKSUM_LEN,
                0,
            ),
            2 => {
                let at = index.len() - 2 * CHECKSUM_LEN - 8;
                let frames =
                    u32::from_le_bytes(index[at..at + 4].try_into().expect("4 bytes")) as usize;
                (
                    INDEX_HEADER_LEN
                        + FANOUT_LEN
                        + count * (ID_LEN + ENTRY_LEN)
                        + frames * FRAME_ROW_LEN
                        + 8
                        + 2 * CHECKSUM_LEN,
                    frames,
                )
            }
            _ => {
                return Err(corrupt(
                    index_path,
                    format!("index version {version} is not supported"),
                ));
            }
        };
        if index.len() != expected {
            return Err(corrupt(
                index_path,
                format!(
                    "index is {} bytes, {expected} expected for {count} objects",
                    index.len()
                ),
            ));
        }
        let data = map_file(&pack_path)?;
        if data.len() < PACK_HEADER_LEN + CHECKSUM_LEN || &data[..8] != PACK_MAGIC {
            return Err(corrupt(&pack_path, "not a hive pack"));
        }
        Ok(Pack {
            name,
            pack_path,
            index,
            data,
            count,
            version,
            frame_count,
            frames: Mutex::new(Vec::new()),
        })
    }

    /// The pack's name (its checksum in hex).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Path of the pack's data file.
    pub fn path(&self) -> &Path {
        &self.pack_path
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the pack holds no object.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn fanout(&self, byte: usize) -> usize {
        let at = INDEX_HEADER_LEN + byte * 4;
        u32::from_le_bytes(self.index[at..at + 4].try_into().expect("4 bytes")) as usize
    }

    /// The id at sorted position `position`.
    pub fn id_at(&self, position: usize) -> ObjectId {
        let at = INDEX_HEADER_LEN + FANOUT_LEN + position * ID_LEN;
        ObjectId::from_bytes(self.index[at..at + ID_LEN].try_into().expect("32 bytes"))
    }

    fn entry(&self, position: usize) -> Entry {
        let read_u32 =
            |at: usize| u32::from_le_bytes(self.index[at..at + 4].try_into().expect("4 bytes"));
        let read_u64 =
            |at: usize| u64::from_le_bytes(self.index[at..at + 8].try_into().expect("8 bytes"));
        let entries = INDEX_HEADER_LEN + FANOUT_LEN + self.count * ID_LEN;
        if self.version == 1 {
            let at = entries + position * ENTRY_V1_LEN;
            return Entry {
                frame_offset: read_u64(at),
                frame_len: read_u32(at + 8),
                frame_raw_len: read_u32(at + 12),
                start: read_u32(at + 16),
                length: read_u32(at + 20),
            };
        }
        let at = entries + position * ENTRY_LEN;
        let frame = read_u32(at) as usize;
        let start = read_u32(at + 4);
        if frame >= self.frame_count {
            // A damaged index: an empty frame before the pack's data, which reading reports as damage.
            return Entry {
                frame_offset: 0,
                frame_len: 0,
                frame_raw_len: 0,
                start,
                length: LENGTH_IN_HEADER,
            };
        }
        let row = entries + self.count * ENTRY_LEN + frame * FRAME_ROW_LEN;
        Entry {
            frame_offset: read_u64(row),
            frame_len: read_u32(row + 8),
            frame_raw_len: read_u32(row + 12),
            start,
            length: LENGTH_IN_HEADER,
        }
    }

    fn range_of(&self, first_byte: u8) -> (usize, usize) {
        let low = if first_byte == 0 {
            0
        } else {
            self.fanout(first_byte as usize - 1)
        };
        (low, self.fanout(first_byte as usize).min(self.count))
    }

    /// The sorted position of `id`, if the pack has it.
    pub fn find(&self, id: &ObjectId) -> Option<usize> {
        let (mut low, mut high) = self.range_of(id.first_byte());
        while low < high {
            let middle = (low + high) / 2;
            match self.id_at(middle).cmp(id) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return Some(middle),
            }
        }
        None
    }

    /// The ids that start with `prefix`.
    pub fn ids_with_prefix(&self, prefix: &HexPrefix) -> Vec<ObjectId> {
        let (low, high) = self.range_of(prefix.first_byte());
        (low..high)
            .map(|position| self.id_at(position))
            .filter(|id| prefix.matches(id))
            .collect()
    }

    /// Every id, sorted.
    pub fn ids(&self) -> impl Iterator<Item = ObjectId> + '_ {
        (0..self.count).map(|position| self.id_at(position))
    }

    /// Positions of the objects grouped by frame, in pack order.
    fn frames(&self) -> Vec<Vec<usize>> {
        if self.version == 1 {
            return self.frames_by_offset();
        }
        // Version 2 numbers frames in pack order: bucket positions by frame number, then order each frame's
        // members by where they start.
        let entries = INDEX_HEADER_LEN + FANOUT_LEN + self.count * ID_LEN;
        let frame_of = |position: usize| {
            let at = entries + position * ENTRY_LEN;
            let frame = u32::from_le_bytes(self.index[at..at + 4].try_into().expect("4 bytes"));
            let start = u32::from_le_bytes(self.index[at + 4..at + 8].try_into().expect("4 bytes"));
            (frame as usize, start)
        };
        let mut frames: Vec<Vec<(u32, usize)>> = vec![Vec::new(); self.frame_count];
        let mut damaged = Vec::new();
        for position in 0..self.count {
            let (frame, start) = frame_of(position);
            match frames.get_mut(frame) {
                Some(members) => members.push((start, position)),
                // A damaged entry: grouped apart, and reading it reports the damage.
                None => damaged.push(position),
            }
        }
        let mut grouped: Vec<Vec<usize>> = frames
            .into_iter()
            .filter(|members| !members.is_empty())
            .map(|mut members| {
                members.sort_unstable();
                members.into_iter().map(|(_, position)| position).collect()
            })
            .collect();
        if !damaged.is_empty() {
            grouped.push(damaged);
        }
        grouped
    }

    /// [`Pack::frames`] for version 1 indexes, which name frames by offset.
    fn frames_by_offset(&self) -> Vec<Vec<usize>> {
        let mut positions: Vec<usize> = (0..self.count).collect();
        positions.sort_by_key(|&position| {
            let entry = self.entry(position);
            (entry.frame_offset, entry.start)
        });
        let mut frames: Vec<Vec<usize>> = Vec::new();
        let mut last = None;
        for position in positions {
            let offset = self.entry(position).frame_offset;
            if last != Some(offset) {
                frames.push(Vec::new());
                last = Some(offset);
            }
            frames.last_mut().expect("pushed above").push(position);
        }
        frames
    }

    /// The objects `ids` that this pack holds, read frame by frame in pack order (each frame decompressed once):
    /// `visit(id, object)` for each. Ids the pack does not hold are passed over.
    pub fn read_many(
        &self,
        ids: &[ObjectId],
        mut visit: impl FnMut(ObjectId, RawObject),
    ) -> Result<(), StoreError> {
        let mut found: Vec<(u64, usize, ObjectId)> = ids
            .iter()
            .filter_map(|id| {
                let position = self.find(id)?;
                Some((self.entry(position).frame_offset, position, *id))
            })
            .collect();
        found.sort_unstable();
        let mut index = 0;
        while index < found.len() {
            let offset = found[index].0;
            let frame = self.frame(&self.entry(found[index].1))?;
            while index < found.len() && found[index].0 == offset {
                let (_, position, id) = found[index];
                let entry = self.entry(position);
                let object = self.object_in(&frame, &entry, id)?;
                visit(id, object);
                index += 1;
            }
        }
        Ok(())
    }

    /// The object `id` at `entry` in its decompressed `frame`.
    fn object_in(
        &self,
        frame: &[u8],
        entry: &Entry,
        id: ObjectId,
    ) -> Result<RawObject, StoreError> {
        object_bytes(frame, entry)
            .ok_or_else(|| format!("object {id} lies outside its frame"))
            .and_then(|canonical| hashes_to(canonical, id))
            .and_then(|canonical| {
                RawObject::from_canonical(canonical)
                    .map_err(|error| format!("object {id}: {error}"))
            })
            .map_err(|reason| corrupt(&self.pack_path, reason))
    }

    /// Every object of the pack in pack order, decompressing each frame once: `visit(id, object)`.
    pub fn scan(
        &self,
        mut visit: impl FnMut(ObjectId, RawObject) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for members in self.frames() {
            let frame = self.decompress(&self.entry(members[0]))?;
            for position in members {
                let id = self.id_at(position);
                let entry = self.entry(position);
                let object = self.object_in(&frame, &entry, id)?;
                visit(id, object)?;
            }
        }
        Ok(())
    }

    fn decompress(&self, entry: &Entry) -> Result<Vec<u8>, StoreError> {
        let mut raw = Vec::new();
        self.decompress_into(entry, &mut raw)?;
        Ok(raw)
    }

    /// The compressed bytes of the frame `entry` lies in, checked against the pack's bounds and the size the index
    /// gives it (so that a damaged index cannot ask for an absurd allocation).
    fn frame_input(&self, entry: &Entry) -> Result<(usize, &[u8]), StoreError> {
        let start = usize::try_from(entry.frame_offset).unwrap_or(usize::MAX);
        let end = start.saturating_add(entry.frame_len as usize);
        if end > self.data.len() - CHECKSUM_LEN || start < PACK_HEADER_LEN {
            return Err(corrupt(
                &self.pack_path,
                format!("frame at {start} runs past the end of the pack"),
            ));
        }
        let declared = zstd::zstd_safe::get_frame_content_size(&self.data[start..end]);
        if !matches!(declared, Ok(Some(size)) if size == u64::from(entry.frame_raw_len)) {
            return Err(corrupt(
                &self.pack_path,
                format!("frame at {start} does not hold the size its index says"),
            ));
        }
        Ok((start, &self.data[start..end]))
    }

    /// The canonical bytes of the object at `position`, decompressing its frame only as far as the object's end
    /// (half of it on average) and leaving the frame cache alone: for objects read one here and one there, such
    /// as the passages of search results. A frame already cached is used as it is.
    pub fn canonical_sparse(&self, position: usize) -> Result<Vec<u8>, StoreError> {
        let entry = self.entry(position);
        let outside = || {
            corrupt(
                &self.pack_path,
                format!("object {} lies outside its frame", self.id_at(position)),
            )
        };
        let id = self.id_at(position);
        let verified = |canonical: &[u8]| {
            hashes_to(canonical, id)
                .map(<[u8]>::to_vec)
                .map_err(|reason| corrupt(&self.pack_path, reason))
        };
        if let Some(frame) = self.cached(entry.frame_offset) {
            return object_bytes(&frame, &entry)
                .ok_or_else(outside)
                .and_then(verified);
        }
        let (start, input) = self.frame_input(&entry)?;
        let broken = |error: &dyn std::fmt::Display| {
            corrupt(
                &self.pack_path,
                format!("frame at {start} does not decompress: {error}"),
            )
        };
        let object_start = entry.start as usize;
        let limit = entry.frame_raw_len as usize;
        if limit > RESERVE_LIMIT {
            // Decoded in place below, which needs the whole frame reserved: a large frame is read whole instead.
            return self.canonical_at(position);
        }
        let mut decoder = zstd::zstd_safe::DCtx::create();
        // Straight into `out`, which never moves (its capacity is the whole frame, its pages touched only as
        // written), rather than through the decoder's window and a copy; the input is given a piece at a time, so
        // decoding stops soon after the object's end.
        decoder
            .set_parameter(zstd::zstd_safe::DParameter::StableOutBuffer(true))
            .map_err(|code| broken(&zstd::zstd_safe::get_error_name(code)))?;
        let mut out: Vec<u8> = Vec::with_capacity(limit);
        let mut fed = 0;
        // First as far as the object's header (when its length is there), then as far as its end.
        let mut target = if entry.length == LENGTH_IN_HEADER {
            object_start.saturating_add(crate::id::HEADER_LEN)
        } else {
            object_start.saturating_add(entry.length as usize)
        };
        loop {
            if target > limit {
                return Err(outside());
            }
            while out.len() < target {
                if fed == input.len() {
                    return Err(outside());
                }
                let piece = &input[fed..input.len().min(fed + SPARSE_INPUT)];
                let mut piece = zstd::zstd_safe::InBuffer::around(piece);
                let position = out.len();
                let mut output = zstd::zstd_safe::OutBuffer::around_pos(&mut out, position);
                decoder
                    .decompress_stream(&mut output, &mut piece)
                    .map_err(|code| broken(&zstd::zstd_safe::get_error_name(code)))?;
                if piece.pos() == 0 && out.len() == position {
                    return Err(broken(&"no progress"));
                }
                fed += piece.pos();
            }
            let end = object_end(&out, &entry).ok_or_else(outside)?;
            if end <= out.len() {
                return verified(&out[object_start..end]);
            }
            target = end;
        }
    }

    /// The decompressed frame at `offset`, if the cache holds it.
    fn cached(&self, offset: u64) -> Option<Arc<Vec<u8>>> {
        self.frames
            .lock()
            .expect("lock poisoned only by a panic")
            .iter()
            .find(|(cached, _)| *cached == offset)
            .map(|(_, frame)| frame.clone())
    }

    /// Decompresses the frame `entry` lies in into `raw`, reusing its allocation.
    fn decompress_into(&self, entry: &Entry, raw: &mut Vec<u8>) -> Result<(), StoreError> {
        let (start, input) = self.frame_input(entry)?;
        let broken = |error: std::io::Error| {
            corrupt(
                &self.pack_path,
                format!("frame at {start} does not decompress: {error}"),
            )
        };
        raw.clear();
        let size = entry.frame_raw_len as usize;
        if size <= RESERVE_LIMIT {
            raw.reserve(size);
            zstd::bulk::Decompressor::new()
                .and_then(|mut decompressor| decompressor.decompress_to_buffer(input, raw))
                .map_err(broken)?;
        } else {
            // A large frame grows as its bytes arrive, so that a damaged pack that claims gigabytes costs only
            // what it really holds.
            use std::io::Read;
            zstd::stream::read::Decoder::with_buffer(input)
                .and_then(|decoder| decoder.take(size as u64 + 1).read_to_end(raw))
                .map_err(broken)?;
        }
        if raw.len() != entry.frame_raw_len as usize {
            return Err(corrupt(
                &self.pack_path,
                format!("frame at {start} has the wrong size"),
            ));
        }
        Ok(())
    }

    fn frame(&self, entry: &Entry) -> Result<Arc<Vec<u8>>, StoreError> {
        let mut cache = self.frames.lock().expect("lock poisoned only by a panic");
        if let Some(found) = cache
            .iter()
            .position(|(offset, _)| *offset == entry.frame_offset)
        {
            let hit = cache.remove(found);
            let frame = hit.1.clone();
            cache.insert(0, hit);
            return Ok(frame);
        }
        drop(cache);
        let raw = self.decompress(entry)?;
        let frame = Arc::new(raw);
        let mut cache = self.frames.lock().expect("lock poisoned only by a panic");
        cache.insert(0, (entry.frame_offset, frame.clone()));
        cache.truncate(FRAME_CACHE);
        Ok(frame)
    }

    /// The canonical bytes of the object at sorted position `position`.
    pub fn canonical_at(&self, position: usize) -> Result<Vec<u8>, StoreError> {
        let entry = self.entry(position);
        let frame = self.frame(&entry)?;
        let id = self.id_at(position);
        object_bytes(&frame, &entry)
            .ok_or_else(|| format!("object {id} lies outside its frame"))
            .and_then(|canonical| hashes_to(canonical, id))
            .map(<[u8]>::to_vec)
            .map_err(|reason| corrupt(&self.pack_path, reason))
    }

    /// Reads the object at sorted position `position`.
    pub fn read_at(&self, position: usize) -> Result<RawObject, StoreError> {
        let canonical = self.canonical_at(position)?;
        RawObject::from_canonical(&canonical).map_err(|error| {
            corrupt(
                &self.pack_path,
                format!("object {}: {error}", self.id_at(position)),
            )
        })
    }

    /// When the pack was written or last freshened.
    pub fn modified(&self) -> Option<SystemTime> {
        fs::metadata(&self.pack_path)
            .and_then(|meta| meta.modified())
            .ok()
    }
}

/// `canonical` when it hashes to `id`: a read never returns bytes other than the ones the id names, whatever
/// happened to the pack, its index or the memory they were read into.
fn hashes_to(canonical: &[u8], id: ObjectId) -> Result<&[u8], String> {
    let actual = ObjectId::hash_canonical(canonical);
    if actual == id {
        Ok(canonical)
    } else {
        Err(format!(
            "object {id} reads back as bytes that hash to {actual}"
        ))
    }
}

/// Checks a pack completely: both checksums, the index order, and every object's hash. Returns each problem.
pub fn verify_pack(pack: &Pack) -> Vec<String> {
    verify_pack_with(pack, |_, _, _, _| ()).0
}

/// Checks a pack like [`verify_pack`], and hands every object that is sound (its bytes lie inside its frame, hash
/// to its id and start with a valid header) to `inspect(position, id, kind, body)`, frames in parallel. Returns the
/// problems and what `inspect` returned, in no particular order. An object not handed over is damaged, and one of
/// the problems says how.
pub fn verify_pack_with<T: Send>(
    pack: &Pack,
    inspect: impl Fn(usize, ObjectId, ObjectKind, &[u8]) -> T + Sync,
) -> (Vec<String>, Vec<T>) {
    let mut problems = Vec::new();
    let data = &pack.data;
    let body = &data[..data.len() - CHECKSUM_LEN];
    let (checksum, index_sum) = rayon::join(
        || blake3::hash(body),
        || blake3::hash(&pack.index[..pack.index.len() - CHECKSUM_LEN]),
    );
    if checksum.as_bytes()[..] != data[data.len() - CHECKSUM_LEN..] {
        problems.push("pack checksum does not match its contents".to_string());
    }
    if checksum.to_hex().as_str() != pack.name {
        problems.push("pack file name does not match its checksum".to_string());
    }
    let index = &pack.index;
    let stored_index_sum = &index[index.len() - CHECKSUM_LEN..];
    if index_sum.as_bytes()[..] != stored_index_sum[..] {
        problems.push("index checksum does not match its contents".to_string());
    }
    let recorded_pack_sum = &index[index.len() - 2 * CHECKSUM_LEN..index.len() - CHECKSUM_LEN];
    if recorded_pack_sum != &data[data.len() - CHECKSUM_LEN..] {
        problems.push("index belongs to another pack".to_string());
    }
    for byte in 0..256 {
        let low = if byte == 0 { 0 } else { pack.fanout(byte - 1) };
        let high = pack.fanout(byte);
        if high < low
            || high > pack.count
            || (low..high).any(|position| pack.id_at(position).first_byte() as usize != byte)
        {
            problems.push(format!("index fan-out is wrong at byte {byte:02x}"));
            break;
        }
    }
    let mut unsorted =
        (1..pack.count).filter(|&position| pack.id_at(position - 1) >= pack.id_at(position));
    if let Some(position) = unsorted.next() {
        problems.push(format!("index is not sorted at {}", pack.id_at(position)));
    }
    let frames = pack.frames();
    // Frame by frame, each decompressed once, frames checked in parallel.
    let checked: Vec<(Vec<String>, Vec<T>)> = frames
        .into_par_iter()
        .map_init(Vec::new, |frame, members| {
            let mut found = Vec::new();
            let mut inspected = Vec::with_capacity(members.len());
            let entry = pack.entry(members[0]);
            match pack.decompress_into(&entry, frame) {
                Err(error) => found.push(format!("frame at {}: {error}", entry.frame_offset)),
                Ok(()) => {
                    for position in members {
                        let id = pack.id_at(position);
                        let entry = pack.entry(position);
                        let Some(canonical) = object_bytes(frame, &entry) else {
                            found.push(format!("object {id} lies outside its frame"));
                            continue;
                        };
                        let actual = ObjectId::hash_canonical(canonical);
                        if actual != id {
                            found.push(format!("object {id}: contents hash to {actual}"));
                            continue;
                        }
                        match crate::id::parse_header(canonical) {
                            Err(error) => found.push(format!("object {id}: {error}")),
                            Ok((kind, body)) => inspected.push(inspect(position, id, kind, body)),
                        }
                    }
                }
            }
            (found, inspected)
        })
        .collect();
    let mut results = Vec::with_capacity(pack.count);
    for (found, inspected) in checked {
        problems.extend(found);
        results.extend(inspected);
    }
    (problems, results)
}

/// A directory of packs.
pub struct PackStore {
    dir: PathBuf,
    options: PackOptions,
    state: RwLock<PackList>,
}

#[derive(Default)]
struct PackList {
    packs: Vec<Arc<Pack>>,
    /// Packs that could not be opened, with the reason; their objects read as absent.
    broken: Vec<(PathBuf, String)>,
    scanned: Option<SystemTime>,
}

impl std::fmt::Debug for PackStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PackStore")
            .field("dir", &self.dir)
            .finish()
    }
}

impl PackStore {
    /// Opens the packs in `dir` (usually `.hive/objects/pack`); new packs are written with `options`.
    pub fn new(dir: impl Into<PathBuf>, options: PackOptions) -> Result<PackStore, StoreError> {
        let store = PackStore {
            dir: dir.into(),
            options,
            state: RwLock::new(PackList::default()),
        };
        store.refresh()?;
        Ok(store)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Rescans the directory for packs written by other processes, keeping those already open.
    pub fn refresh(&self) -> Result<(), StoreError> {
        let stamp = fs::metadata(&self.dir)
            .and_then(|meta| meta.modified())
            .ok();
        let mut names: Vec<PathBuf> = match fs::read_dir(&self.dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "idx"))
                .filter(|path| {
                    path.file_name()
                        .is_some_and(|name| name.to_string_lossy().starts_with("pack-"))
                })
                .collect(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => {
                return Err(fsutil::IoError {
                    operation: "list",
                    path: self.dir.clone(),
                    source,
                }
                .into());
            }
        };
        names.sort();
        let mut state = self.state.write().expect("lock poisoned only by a panic");
        let mut packs = Vec::with_capacity(names.len());
        let mut broken = Vec::new();
        for index_path in names {
            let existing = state
                .packs
                .iter()
                .find(|pack| pack.pack_path == index_path.with_extension("pack"));
            match existing {
                Some(pack) => packs.push(pack.clone()),
                None => match Pack::open(&index_path) {
                    Ok(pack) => packs.push(Arc::new(pack)),
                    // A pack removed by gc between listing and opening is simply gone.
                    Err(StoreError::Io(error))
                        if error.source.kind() == std::io::ErrorKind::NotFound => {}
                    // A damaged pack must not make the rest of the repository unreadable: fsck reports it.
                    Err(error) => broken.push((index_path.clone(), error.to_string())),
                },
            }
        }
        state.packs = packs;
        state.broken = broken;
        state.scanned = stamp;
        Ok(())
    }

    /// Packs found but not readable at the last scan, with the reason.
    pub fn broken(&self) -> Vec<(PathBuf, String)> {
        self.state
            .read()
            .expect("lock poisoned only by a panic")
            .broken
            .clone()
    }

    /// The packs currently open.
    pub fn packs(&self) -> Vec<Arc<Pack>> {
        self.state
            .read()
            .expect("lock poisoned only by a panic")
            .packs
            .clone()
    }

    /// Rescans only if the directory changed since the last scan.
    fn refresh_if_changed(&self) -> Result<bool, StoreError> {
        let stamp = fs::metadata(&self.dir)
            .and_then(|meta| meta.modified())
            .ok();
        let scanned = self
            .state
            .read()
            .expect("lock poisoned only by a panic")
            .scanned;
        if stamp.is_some() && stamp == scanned {
            return Ok(false);
        }
        self.refresh()?;
        Ok(true)
    }

    fn locate(&self, id: &ObjectId) -> Result<Option<(Arc<Pack>, usize)>, StoreError> {
        let find = |packs: &[Arc<Pack>]| {
            packs
                .iter()
                .rev()
                .find_map(|pack| pack.find(id).map(|position| (pack.clone(), position)))
        };
        if let Some(found) = find(&self.packs()) {
            return Ok(Some(found));
        }
        if self.refresh_if_changed()? {
            return Ok(find(&self.packs()));
        }
        Ok(None)
    }

    /// Reads `id` as [`Pack::canonical_sparse`] does, if a pack holds it.
    pub fn read_sparse(&self, id: &ObjectId) -> Result<Option<RawObject>, StoreError> {
        let Some((pack, position)) = self.locate(id)? else {
            return Ok(None);
        };
        let canonical = pack.canonical_sparse(position)?;
        RawObject::from_canonical(&canonical)
            .map(Some)
            .map_err(|error| corrupt(&pack.pack_path, format!("object {id}: {error}")))
    }

    /// Writes a pack with explicit options and opens it.
    pub fn write_pack_with(
        &self,
        objects: &[&HashedObject],
        options: &PackOptions,
    ) -> Result<Option<PackSummary>, StoreError> {
        let summary = write_pack(&self.dir, objects, options)?;
        if let Some(summary) = &summary {
            self.open_written(&summary.name)?;
        }
        Ok(summary)
    }

    fn open_written(&self, name: &str) -> Result<(), StoreError> {
        let pack = match Pack::open(&self.dir.join(format!("pack-{name}.idx"))) {
            Ok(pack) => pack,
            // Another process merged it away already; its objects are in the merged pack, which the next refresh
            // finds.
            Err(StoreError::Io(error)) if error.source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        let mut state = self.state.write().expect("lock poisoned only by a panic");
        if !state
            .packs
            .iter()
            .any(|existing| existing.name == pack.name)
        {
            state.packs.push(Arc::new(pack));
        }
        Ok(())
    }

    /// Deletes a pack's files (the index first, so that a crash in between leaves no index without its pack) and
    /// drops it from the open list. Files already gone are fine.
    pub fn remove(&self, pack: &Pack) -> Result<(), StoreError> {
        for path in [pack.pack_path.with_extension("idx"), pack.pack_path.clone()] {
            fsutil::remove_file(&path)?;
        }
        self.forget(&pack.name);
        Ok(())
    }

    /// Writes the objects not yet in a pack as one new pack, refreshing the age of the packs that hold the others
    /// (so that gc keeps them). Durable when it returns.
    ///
    /// Only payloads (blobs and chunk lists) are looked up: they are what recurs (the same file read again, the
    /// same output), while an event or a commit is new by construction, and looking each one up in every pack
    /// would cost more than it saves. The pack list is read once, up front.
    pub fn write_objects(&self, objects: &[&HashedObject]) -> Result<(), StoreError> {
        let fresh = self.missing(objects)?;
        self.write_pack_with(&fresh, &self.options)?;
        Ok(())
    }

    /// The objects of `objects` that no pack holds, for writing; the packs that hold the others have their age
    /// refreshed, so that gc keeps them.
    ///
    /// Only payloads (blobs and chunk lists) are looked up: they are what recurs (the same file read again, the
    /// same output), while an event or a commit is new by construction, and looking each one up in every pack
    /// would cost more than it saves. The pack list is read once, up front.
    pub fn missing<'a>(
        &self,
        objects: &[&'a HashedObject],
    ) -> Result<Vec<&'a HashedObject>, StoreError> {
        // Listed afresh (not by the directory's time stamp, which may not change between two removals), so a pack
        // gc deleted is never taken to hold an object.
        self.refresh()?;
        let packs = self.packs();
        let mut fresh = Vec::with_capacity(objects.len());
        let mut touched: Vec<(Arc<Pack>, Vec<&'a HashedObject>)> = Vec::new();
        for &object in objects {
            let payload = matches!(object.kind(), ObjectKind::Blob | ObjectKind::Chunks);
            let holder = if payload {
                packs
                    .iter()
                    .rev()
                    .find(|pack| pack.find(&object.id()).is_some())
            } else {
                None
            };
            match holder {
                Some(pack) => match touched.iter_mut().find(|(seen, _)| Arc::ptr_eq(seen, pack)) {
                    Some((_, held)) => held.push(object),
                    None => touched.push((pack.clone(), vec![object])),
                },
                None => fresh.push(object),
            }
        }
        for (pack, held) in touched {
            // A pack deleted since the listing holds nothing: its objects are written.
            if !super::loose::freshen(&pack.pack_path) {
                fresh.extend(held);
            }
        }
        Ok(fresh)
    }

    /// If a pack holds `id`, refreshes that pack's age (so that gc keeps it) and returns true.
    pub fn freshen(&self, id: &ObjectId) -> Result<bool, StoreError> {
        if let Some((pack, _)) = self.locate(id)? {
            if super::loose::freshen(&pack.pack_path) {
                return Ok(true);
            }
            // That pack was deleted since it was listed: look again.
            self.refresh()?;
            if let Some((pack, _)) = self.locate(id)? {
                return Ok(super::loose::freshen(&pack.pack_path));
            }
        }
        Ok(false)
    }

    /// Starts a pack to be written batch by batch; [`PackStore::finish`] publishes it.
    pub fn writer(&self, options: PackOptions) -> Result<PackWriter, StoreError> {
        PackWriter::new(&self.dir, options)
    }

    /// A pack to be filled an object at a time with bounded memory.
    pub fn buffer(&self, options: PackOptions) -> Result<PackBuffer<'_>, StoreError> {
        Ok(PackBuffer {
            store: self,
            writer: self.writer(options)?,
            pending: Vec::new(),
            bytes: 0,
        })
    }

    /// Finishes a pack started with [`PackStore::writer`] and opens it.
    pub fn finish(&self, writer: PackWriter) -> Result<Option<PackSummary>, StoreError> {
        let summary = writer.finish()?;
        if let Some(summary) = &summary {
            self.open_written(&summary.name)?;
        }
        Ok(summary)
    }

    /// Drops a pack from the open list (after `gc` deleted its files).
    pub fn forget(&self, name: &str) {
        self.state
            .write()
            .expect("lock poisoned only by a panic")
            .packs
            .retain(|pack| pack.name != name);
    }
}

impl ObjectStore for PackStore {
    fn read(&self, id: &ObjectId) -> Result<Option<RawObject>, StoreError> {
        match self.locate(id)? {
            Some((pack, position)) => pack.read_at(position).map(Some),
            None => Ok(None),
        }
    }

    fn contains(&self, id: &ObjectId) -> Result<bool, StoreError> {
        Ok(self.locate(id)?.is_some())
    }

    fn write(&self, object: &HashedObject) -> Result<(), StoreError> {
        self.write_batch(std::slice::from_ref(object))
    }

    fn write_batch(&self, objects: &[HashedObject]) -> Result<(), StoreError> {
        self.write_objects(&objects.iter().collect::<Vec<_>>())
    }

    fn ids(&self) -> Result<Vec<ObjectId>, StoreError> {
        self.refresh()?;
        let mut seen = HashSet::new();
        Ok(self
            .packs()
            .iter()
            .flat_map(|pack| pack.ids().collect::<Vec<_>>())
            .filter(|id| seen.insert(*id))
            .collect())
    }

    fn ids_with_prefix(&self, prefix: &HexPrefix) -> Result<Vec<ObjectId>, StoreError> {
        self.refresh()?;
        let mut found: Vec<ObjectId> = self
            .packs()
            .iter()
            .flat_map(|pack| pack.ids_with_prefix(prefix))
            .collect();
        found.sort();
        found.dedup();
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1,234-byte pack whose index (and frame header) give a frame 4 GiB: reading it costs what the frame really
    /// holds, not what it claims (found by the `pack_index` fuzz target, which runs with a 2 GiB memory limit).
    #[test]
    fn a_frame_that_claims_gigabytes_is_not_reserved() {
        let input: &[u8] = include_bytes!("../../fuzz/regressions/pack_index/frame-declares-4gib");
        let (length, rest) = input.split_first_chunk::<4>().unwrap();
        let (pack, index) = rest.split_at((u32::from_le_bytes(*length) as usize).min(rest.len()));
        let name: String = pack[pack.len() - 32..]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(format!("pack-{name}.pack")), pack).unwrap();
        let index_path = dir.path().join(format!("pack-{name}.idx"));
        std::fs::write(&index_path, index).unwrap();
        let pack = Pack::open(&index_path).unwrap();
        assert!((0..pack.len()).any(|position| pack.entry(position).frame_raw_len > u32::MAX / 2));
        for position in 0..pack.len() {
            assert!(pack.read_at(position).is_err());
            assert!(pack.canonical_sparse(position).is_err());
        }
    }

    /// Version 1 indexes (24-byte entries, no frame table), written by earlier hive, are still read.
    #[test]
    fn version_1_indexes_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let objects: Vec<HashedObject> = (0..300)
            .map(|index| {
                RawObject::new(
                    ObjectKind::Blob,
                    format!("object {index} ")
                        .repeat(index % 50 + 1)
                        .into_bytes(),
                )
                .hashed()
            })
            .collect();
        let options = PackOptions {
            frame_size: 4096,
            ..PackOptions::default()
        };
        let summary = write_pack(dir.path(), &objects.iter().collect::<Vec<_>>(), &options)
            .unwrap()
            .unwrap();
        let index_path = dir.path().join(format!("pack-{}.idx", summary.name));
        let pack = Pack::open(&index_path).unwrap();
        assert!(pack.frame_count > 10, "several frames");
        // The same pack, indexed the old way.
        let mut old = Vec::new();
        old.extend_from_slice(INDEX_MAGIC);
        old.extend_from_slice(&1u32.to_le_bytes());
        old.extend_from_slice(&(pack.len() as u32).to_le_bytes());
        old.extend_from_slice(&pack.index[INDEX_HEADER_LEN..INDEX_HEADER_LEN + FANOUT_LEN]);
        for position in 0..pack.len() {
            old.extend_from_slice(pack.id_at(position).as_bytes());
        }
        for position in 0..pack.len() {
            let entry = pack.entry(position);
            let length = pack.canonical_at(position).unwrap().len() as u32;
            old.extend_from_slice(&entry.frame_offset.to_le_bytes());
            old.extend_from_slice(&entry.frame_len.to_le_bytes());
            old.extend_from_slice(&entry.frame_raw_len.to_le_bytes());
            old.extend_from_slice(&entry.start.to_le_bytes());
            old.extend_from_slice(&length.to_le_bytes());
        }
        old.extend_from_slice(&pack.data[pack.data.len() - CHECKSUM_LEN..]);
        let checksum = blake3::hash(&old);
        old.extend_from_slice(checksum.as_bytes());
        drop(pack);
        std::fs::write(&index_path, &old).unwrap();
        let pack = Pack::open(&index_path).unwrap();
        assert_eq!(pack.version, 1);
        assert!(verify_pack(&pack).is_empty(), "{:?}", verify_pack(&pack));
        for object in &objects {
            let position = pack.find(&object.id()).unwrap();
            assert_eq!(pack.read_at(position).unwrap().body, object.body());
        }
        for object in objects.iter().rev() {
            let position = pack.find(&object.id()).unwrap();
            assert_eq!(
                pack.canonical_sparse(position).unwrap(),
                object.raw().canonical_bytes()
            );
        }
    }

    /// An object read by decompressing its frame only as far as its end is the object, whether its frame is cached
    /// or not, wherever it sits in its frame (first, middle, last, larger than the frame size).
    #[test]
    fn sparse_reads_return_each_object() {
        let dir = tempfile::tempdir().unwrap();
        let objects: Vec<HashedObject> = (0..400)
            .map(|index| {
                let repeat = if index % 97 == 0 {
                    2000
                } else {
                    index % 50 + 1
                };
                RawObject::new(
                    ObjectKind::Blob,
                    format!("object {index} ").repeat(repeat).into_bytes(),
                )
                .hashed()
            })
            .collect();
        let options = PackOptions {
            frame_size: 8192,
            ..PackOptions::default()
        };
        let summary = write_pack(dir.path(), &objects.iter().collect::<Vec<_>>(), &options)
            .unwrap()
            .unwrap();
        let pack = Pack::open(&dir.path().join(format!("pack-{}.idx", summary.name))).unwrap();
        assert!(pack.frame_count > 10, "several frames");
        for warm in [false, true] {
            for object in &objects {
                let position = pack.find(&object.id()).unwrap();
                assert_eq!(
                    pack.canonical_sparse(position).unwrap(),
                    object.raw().canonical_bytes(),
                    "warm: {warm}"
                );
                if warm {
                    pack.canonical_at(position).unwrap();
                }
            }
        }
        // Nothing was cached by the cold reads.
        let store = PackStore::new(dir.path(), options).unwrap();
        for object in &objects {
            assert_eq!(
                store.read_sparse(&object.id()).unwrap().as_ref(),
                Some(object.raw())
            );
        }
        let absent = RawObject::new(ObjectKind::Blob, b"absent".to_vec()).hashed();
        assert_eq!(store.read_sparse(&absent.id()).unwrap(), None);
    }
}
