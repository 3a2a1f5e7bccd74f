//! Test support: injected I/O faults and simulated power loss for every file a repository writes.
//!
//! Each step that changes a repository's files (creating, writing, flushing, renaming or removing one) first calls
//! [`check`], and each flush that succeeded reports itself ([`flushed_file`], [`flushed_dir`], [`flushed_all`]).
//! In normal use nothing is armed and a step costs one atomic load.
//!
//! A test arms a [`Plan`] on a directory ([`arm`]); from then on the steps on paths under it are logged, and:
//! - [`Plan::Record`] only logs them (to count an operation's steps);
//! - [`Plan::Fail`] fails the N-th step with an operating-system error (EIO, ENOSPC) and lets the others run;
//! - [`Plan::Crash`] cuts the power at the N-th step: it writes what a disk could hold after a power cut at that
//!   moment into new directories ([`Guard::images`]) and fails that step and every later one, as if the process had
//!   died there.
//!
//! The power-cut model is a strict POSIX file system, the one hive's durability argument assumes: a file's bytes
//! are durable once the file is flushed, a directory's names once the directory is flushed, everything once the
//! whole file system is flushed (`syncfs`). The state at arming counts as durable. A power cut keeps what was
//! durable; of what was not, it may keep any part: each name of each directory independently as it was when last
//! flushed or as it is, and each file's bytes as they were flushed, as they are, or torn in between. The first
//! image keeps nothing that was not flushed, the second everything (what a killed process leaves), and the others
//! draw a choice at random (seeded) for each name and each file.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsString;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A step that changes files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// Creating a file or a directory.
    Create,
    /// Writing bytes into a file (or cutting it short).
    Write,
    /// Flushing a file, a directory or the file system.
    Flush,
    /// Renaming a file over another name.
    Rename,
    /// Removing a file or a directory.
    Remove,
}

/// What an armed directory does with its steps.
#[derive(Clone, Debug)]
pub enum Plan {
    /// Logs the steps.
    Record,
    /// Fails step `at` (counted from 0) with the operating-system error `errno`.
    Fail {
        /// The step to fail.
        at: usize,
        /// The error, such as `libc`'s `EIO` (5) or `ENOSPC` (28).
        errno: i32,
    },
    /// Cuts the power at step `at` (counted from 0): `images` crash images are written under `out`.
    Crash {
        /// The step at which the power goes.
        at: usize,
        /// Where the images go (`out/0`, `out/1`, ...).
        out: PathBuf,
        /// How many images: the first keeps only flushed state, the second everything, the others a random mix.
        images: usize,
        /// The seed of the random mixes.
        seed: u64,
    },
}

/// One logged step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    /// What was done.
    pub step: Step,
    /// To which path.
    pub path: PathBuf,
    /// Whether the step was failed (by [`Plan::Fail`], or because the power was cut).
    pub failed: bool,
}

/// The error of a step failed after the power was cut.
pub const POWER_CUT: &str = "simulated power cut";

static ARMED_COUNT: AtomicUsize = AtomicUsize::new(0);
static ARMED: Mutex<Vec<Arc<Armed>>> = Mutex::new(Vec::new());

struct Armed {
    roots: Vec<PathBuf>,
    plan: Plan,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    log: Vec<Logged>,
    crashed: bool,
    images: Vec<PathBuf>,
    model: Option<Model>,
}

/// A directory armed with a plan; disarmed when dropped.
pub struct Guard {
    armed: Arc<Armed>,
}

impl Guard {
    /// The steps logged so far.
    pub fn log(&self) -> Vec<Logged> {
        lock(&self.armed.state).log.clone()
    }

    /// Whether the power was cut.
    pub fn crashed(&self) -> bool {
        lock(&self.armed.state).crashed
    }

    /// The crash images written when the power was cut.
    pub fn images(&self) -> Vec<PathBuf> {
        lock(&self.armed.state).images.clone()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let mut armed = lock(&ARMED);
        armed.retain(|other| !Arc::ptr_eq(other, &self.armed));
        ARMED_COUNT.store(armed.len(), Ordering::SeqCst);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Arms `plan` on the directory `root` (which exists; its present files count as durable) until the guard drops.
pub fn arm(root: &Path, plan: Plan) -> io::Result<Guard> {
    let mut roots = vec![root.to_path_buf()];
    let canonical = root.canonicalize()?;
    if canonical != root {
        roots.push(canonical);
    }
    let model = match plan {
        Plan::Crash { .. } => Some(Model::snapshot(root)?),
        _ => None,
    };
    let armed = Arc::new(Armed {
        roots,
        plan,
        state: Mutex::new(State {
            model,
            ..State::default()
        }),
    });
    let mut all = lock(&ARMED);
    all.push(armed.clone());
    ARMED_COUNT.store(all.len(), Ordering::SeqCst);
    Ok(Guard { armed })
}

fn armed_for(path: &Path) -> Option<(Arc<Armed>, PathBuf)> {
    if ARMED_COUNT.load(Ordering::Relaxed) == 0 {
        return None;
    }
    let armed = lock(&ARMED);
    armed.iter().find_map(|armed| {
        armed
            .roots
            .iter()
            .find_map(|root| path.strip_prefix(root).ok())
            .map(|relative| (armed.clone(), armed.roots[0].join(relative)))
    })
}

/// Called before each step that changes `path`: an error means the step must not be taken.
pub fn check(step: Step, path: &Path) -> io::Result<()> {
    let Some((armed, path)) = armed_for(path) else {
        return Ok(());
    };
    let mut state = lock(&armed.state);
    let number = state.log.len();
    let mut logged = Logged {
        step,
        path: path.clone(),
        failed: false,
    };
    let outcome = if state.crashed {
        Err(io::Error::other(POWER_CUT))
    } else {
        match &armed.plan {
            Plan::Record => Ok(()),
            Plan::Fail { at, errno } if *at == number => Err(io::Error::from_raw_os_error(*errno)),
            Plan::Fail { .. } => Ok(()),
            Plan::Crash {
                at,
                out,
                images,
                seed,
            } if *at == number => {
                let model = state.model.as_ref().expect("a crash plan has a model");
                let written = model.write_images(out, *images, *seed)?;
                state.images = written;
                state.crashed = true;
                Err(io::Error::other(POWER_CUT))
            }
            Plan::Crash { .. } => {
                if let Some(model) = state.model.as_mut() {
                    model.before(step, &path);
                }
                Ok(())
            }
        }
    };
    logged.failed = outcome.is_err();
    state.log.push(logged);
    outcome
}

/// Reports that the file at `path` was flushed (its bytes are durable).
pub fn flushed_file(path: &Path) {
    flushed(path, |model, path| model.flush_file(path));
}

/// Reports that the directory `dir` was flushed (its names are durable).
pub fn flushed_dir(dir: &Path) {
    flushed(dir, |model, dir| model.flush_dir(dir));
}

/// Reports that the file system holding `dir` was flushed (everything on it is durable).
pub fn flushed_all(dir: &Path) {
    if ARMED_COUNT.load(Ordering::Relaxed) == 0 {
        return;
    }
    // Every armed directory on the file system flushed.
    let device = |path: &Path| std::fs::metadata(path).map(|meta| meta.dev()).ok();
    let flushed_device = device(dir);
    let armed: Vec<Arc<Armed>> = lock(&ARMED).clone();
    for armed in armed {
        if device(&armed.roots[0]) != flushed_device {
            continue;
        }
        let mut state = lock(&armed.state);
        if state.crashed {
            continue;
        }
        let root = armed.roots[0].clone();
        if let Some(model) = state.model.as_mut() {
            let _ = model.flush_all(&root);
        }
    }
}

fn flushed(path: &Path, update: impl FnOnce(&mut Model, &Path) -> io::Result<()>) {
    let Some((armed, path)) = armed_for(path) else {
        return;
    };
    let mut state = lock(&armed.state);
    if state.crashed {
        return;
    }
    if let Some(model) = state.model.as_mut() {
        let _ = update(model, &path);
    }
}

/// A file or directory, by inode and the number of times that inode number was seen freed (so that a number the
/// file system hands out again names a new file).
type Key = (u64, u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    Dir(Key),
    File(Key),
}

/// What the disk holds durably, and how to read what the files hold now.
struct Model {
    root: PathBuf,
    root_key: Key,
    reuse: HashMap<u64, u32>,
    /// The durable names of each directory.
    dirs: HashMap<Key, BTreeMap<OsString, Entry>>,
    /// The durable bytes of each file.
    files: HashMap<Key, Vec<u8>>,
}

/// The tree as it is now: names of each directory, bytes of each file.
struct Current {
    dirs: HashMap<Key, BTreeMap<OsString, Entry>>,
    files: HashMap<Key, Vec<u8>>,
}

impl Model {
    fn snapshot(root: &Path) -> io::Result<Model> {
        let mut model = Model {
            root: root.to_path_buf(),
            root_key: (0, 0),
            reuse: HashMap::new(),
            dirs: HashMap::new(),
            files: HashMap::new(),
        };
        model.flush_all(root)?;
        Ok(model)
    }

    fn key(&self, ino: u64) -> Key {
        (ino, self.reuse.get(&ino).copied().unwrap_or(0))
    }

    fn entry_of(&self, path: &Path) -> io::Result<Entry> {
        let meta = std::fs::symlink_metadata(path)?;
        let key = self.key(meta.ino());
        Ok(if meta.is_dir() {
            Entry::Dir(key)
        } else {
            Entry::File(key)
        })
    }

    fn read_current(&self) -> io::Result<Current> {
        let mut current = Current {
            dirs: HashMap::new(),
            files: HashMap::new(),
        };
        self.read_dir_into(&self.root.clone(), &mut current)?;
        Ok(current)
    }

    fn read_dir_into(&self, dir: &Path, current: &mut Current) -> io::Result<Key> {
        let Entry::Dir(key) = self.entry_of(dir)? else {
            return Err(io::Error::other("not a directory"));
        };
        let mut names = self.names_in(dir)?;
        for (name, found) in names.clone() {
            let path = dir.join(&name);
            match found {
                Entry::Dir(_) => {
                    self.read_dir_into(&path, current)?;
                }
                Entry::File(child) => match std::fs::read(&path) {
                    Ok(bytes) => {
                        current.files.insert(child, bytes);
                    }
                    // Removed between the listing and the read: simply not there.
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {
                        names.remove(&name);
                    }
                    Err(error) => return Err(error),
                },
            }
        }
        current.dirs.insert(key, names);
        Ok(key)
    }

    /// The names in `dir` now (one removed while listing is left out).
    fn names_in(&self, dir: &Path) -> io::Result<BTreeMap<OsString, Entry>> {
        let mut names = BTreeMap::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if let Ok(found) = self.entry_of(&entry.path()) {
                names.insert(entry.file_name(), found);
            }
        }
        Ok(names)
    }

    /// Before a step: a name about to be removed or replaced frees its inode number.
    fn before(&mut self, step: Step, path: &Path) {
        if !matches!(step, Step::Remove | Step::Rename) {
            return;
        }
        let mut freed = Vec::new();
        collect_inodes(path, &mut freed);
        for ino in freed {
            *self.reuse.entry(ino).or_default() += 1;
        }
    }

    fn flush_file(&mut self, path: &Path) -> io::Result<()> {
        if let Entry::File(key) = self.entry_of(path)? {
            self.files.insert(key, std::fs::read(path)?);
        }
        Ok(())
    }

    fn flush_dir(&mut self, dir: &Path) -> io::Result<()> {
        if let Entry::Dir(key) = self.entry_of(dir)? {
            let names = self.names_in(dir)?;
            self.dirs.insert(key, names);
        }
        Ok(())
    }

    fn flush_all(&mut self, root: &Path) -> io::Result<()> {
        let current = self.read_current()?;
        self.root_key = match self.entry_of(root)? {
            Entry::Dir(key) => key,
            Entry::File(_) => return Err(io::Error::other("the armed root is not a directory")),
        };
        self.dirs = current.dirs;
        self.files = current.files;
        Ok(())
    }

    fn write_images(&self, out: &Path, images: usize, seed: u64) -> io::Result<Vec<PathBuf>> {
        let current = self.read_current()?;
        let mut written = Vec::new();
        for image in 0..images {
            let dir = out.join(image.to_string());
            if dir.exists() {
                std::fs::remove_dir_all(&dir)?;
            }
            std::fs::create_dir_all(&dir)?;
            let mut choice = Choice {
                mode: match image {
                    0 => Mode::Durable,
                    1 => Mode::Current,
                    _ => Mode::Mixed,
                },
                random: seed
                    .wrapping_add(image as u64)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    | 1,
            };
            self.write_dir(self.root_key, &dir, &current, &mut choice)?;
            written.push(dir);
        }
        Ok(written)
    }

    fn write_dir(
        &self,
        key: Key,
        to: &Path,
        current: &Current,
        choice: &mut Choice,
    ) -> io::Result<()> {
        let durable = self.dirs.get(&key);
        let now = current.dirs.get(&key);
        let names: BTreeSet<&OsString> = durable
            .into_iter()
            .chain(now)
            .flat_map(|names| names.keys())
            .collect();
        for name in names {
            let old = durable.and_then(|names| names.get(name));
            let new = now.and_then(|names| names.get(name));
            let kept = if old == new || choice.keep_new() {
                new
            } else {
                old
            };
            let path = to.join(name);
            match kept {
                None => {}
                Some(Entry::Dir(child)) => {
                    std::fs::create_dir(&path)?;
                    self.write_dir(*child, &path, current, choice)?;
                }
                Some(Entry::File(child)) => {
                    let flushed = self.files.get(child).map(Vec::as_slice).unwrap_or(&[]);
                    let bytes = match current.files.get(child) {
                        Some(now) if now.as_slice() != flushed => choice.bytes(flushed, now),
                        _ => flushed.to_vec(),
                    };
                    std::fs::write(&path, bytes)?;
                }
            }
        }
        Ok(())
    }
}

fn collect_inodes(path: &Path, out: &mut Vec<u64>) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    out.push(meta.ino());
    if meta.is_dir()
        && let Ok(entries) = std::fs::read_dir(path)
    {
        for entry in entries.flatten() {
            collect_inodes(&entry.path(), out);
        }
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Durable,
    Current,
    Mixed,
}

struct Choice {
    mode: Mode,
    random: u64,
}

impl Choice {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.random ^= self.random >> 12;
        self.random ^= self.random << 25;
        self.random ^= self.random >> 27;
        self.random.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Whether a name's present state survives rather than its last flushed one.
    fn keep_new(&mut self) -> bool {
        match self.mode {
            Mode::Durable => false,
            Mode::Current => true,
            Mode::Mixed => self.next().is_multiple_of(2),
        }
    }

    /// A file's bytes after the cut: flushed, present, or (when the present bytes extend the flushed ones) torn in
    /// between.
    fn bytes(&mut self, flushed: &[u8], now: &[u8]) -> Vec<u8> {
        match self.mode {
            Mode::Durable => flushed.to_vec(),
            Mode::Current => now.to_vec(),
            Mode::Mixed => match self.next() % 3 {
                0 => flushed.to_vec(),
                1 => now.to_vec(),
                _ if now.starts_with(flushed) && now.len() > flushed.len() => {
                    let extra = (self.next() % (now.len() - flushed.len()) as u64) as usize;
                    now[..flushed.len() + extra].to_vec()
                }
                _ => {
                    // A prefix of the new bytes, the rest of the file as it was flushed.
                    let cut = (self.next() % now.len().max(1) as u64) as usize;
                    let mut bytes = now[..cut.min(now.len())].to_vec();
                    if flushed.len() > cut {
                        bytes.extend_from_slice(&flushed[cut..]);
                    }
                    bytes
                }
            },
        }
    }
}
