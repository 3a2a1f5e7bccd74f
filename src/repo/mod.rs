//! A hive repository on disk: objects, references and the staging journal under `.hive/`.
//!
//! Layout (docs/FORMAT.md): `config`, `objects/xx/…` (loose), `objects/pack/` (packs), `refs/runs/NAME`,
//! `logs/refs/runs/NAME` (reference logs), `journal/NAME.jnl` (staged events).

mod capture;
mod curate;
mod diff;
mod digest;
mod export;
mod fork;
mod fsck;
mod gc;
mod history;
mod import;
mod merge;
mod read;
mod remove;
mod repack;
mod replay;
mod resolve;
mod state;
mod workspace;

pub use capture::{AppendSummary, CommitOptions, CommitOutcome};
pub use curate::{CurateOutcome, Curation, check_status, check_tag};
pub use diff::{
    DiffEvent, DiffOp, DiffOptions, DiffSide, FieldChange, RunDiff, RunStats, VOLATILE_FIELDS,
    diff_commits, field_changes,
};
pub use fork::ForkOutcome;
pub(crate) use fsck::children;
pub use fsck::{FsckReport, Problem, Severity};
pub use gc::{GcOptions, GcReport};
pub use history::{
    BuiltCommit, CommitInput, ForkInput, StateCommit, build_commit, build_fork, event_id_at,
    read_commit, read_event, read_run_events, run_segments,
};
pub use import::{
    ImportOptions, ImportOutcome, ImportProgress, ImportReport, ImportSession, SessionReport,
};
pub use merge::{Branch, Conflict, MergeOptions, MergeOutcome, merge_base};
pub use read::{RunFacts, RunFilter, RunSummary, ShownEvent};
pub use remove::RemoveOutcome;
pub use repack::geometric_split;
pub use replay::{Replay, ReplayedEvent};
pub use resolve::Resolved;
pub use state::{KeyChange, KeyConflict, StateEntry, StateMerge, Strategy};
pub use workspace::{DEFAULT_WORKSPACE, MemoryOutcome, WorkspaceInfo, check_key};

use crate::config::{self, ConfigError, ProjectConfig, RepoConfig};
use crate::fsutil::{self, IoError};
use crate::id::ObjectId;
use crate::journal::{Journal, JournalError};
use crate::object::DecodeError;
use crate::payload::PayloadError;
use crate::refs::{FileRefStore, RefError, RefNameError};
use crate::store::{Odb, OdbOptions, StoreError};
use std::path::{Path, PathBuf};

/// Name of the repository directory inside a project.
pub const HIVE_DIR: &str = ".hive";
/// Name of the project configuration file.
pub const PROJECT_FILE: &str = ".hivemind";

/// Why a repository operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// No repository at or above the starting directory.
    #[error("not a hive repository (or any parent up to /): {}", start.display())]
    NotARepository {
        /// Where the search started.
        start: PathBuf,
    },
    /// The repository was written by a newer hive.
    #[error("repository format {found} is newer than this hive reads ({supported})")]
    UnsupportedFormat {
        /// Version found.
        found: u32,
        /// Newest version this build reads.
        supported: u32,
    },
    /// Configuration could not be read.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An input line is not a valid event.
    #[error("line {line}: {message}")]
    BadEvent {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A session file is not in the format it was read as.
    #[error(transparent)]
    Format(#[from] crate::formats::FormatError),
    /// A name is not a valid run name.
    #[error(transparent)]
    BadName(#[from] RefNameError),
    /// No run has this name.
    #[error("no run named '{0}'")]
    UnknownRun(String),
    /// Nothing matches a revision.
    #[error("'{0}' names no run, object or event")]
    UnknownRevision(String),
    /// A prefix matches several objects.
    #[error("'{prefix}' is ambiguous: it starts {} objects", candidates.len())]
    Ambiguous {
        /// The prefix.
        prefix: String,
        /// What it matches.
        candidates: Vec<ObjectId>,
    },
    /// A run has no event with this seq.
    #[error("run '{run}' has {count} events, so no event {seq}")]
    NoSuchEvent {
        /// The run.
        run: String,
        /// The seq asked for.
        seq: u64,
        /// Events in the run.
        count: u64,
    },
    /// No workspace has this name.
    #[error("no workspace named '{0}'")]
    UnknownWorkspace(String),
    /// A new workspace's name is taken.
    #[error("a workspace named '{0}' already exists")]
    WorkspaceExists(String),
    /// A workspace others inherit from.
    #[error("workspace '{workspace}' is inherited by {}", children.join(", "))]
    WorkspaceHasChildren {
        /// The workspace.
        workspace: String,
        /// Those that inherit from it.
        children: Vec<String>,
    },
    /// A memory key that is not there.
    #[error("workspace '{workspace}' has no memory entry '{key}'")]
    NoSuchKey {
        /// The workspace.
        workspace: String,
        /// The key.
        key: String,
    },
    /// A name that is both a run's and a workspace's.
    #[error("'{0}' is both a run and a workspace")]
    AmbiguousBranch(String),
    /// A branch merged into itself.
    #[error("'{0}' cannot be merged into itself")]
    MergeIntoItself(String),
    /// A workspace (or run) that inherits from no workspace.
    #[error("'{0}' inherits from no workspace")]
    NoParent(String),
    /// Neither a workspace nor a run has this name.
    #[error("no workspace or run named '{0}'")]
    UnknownBranch(String),
    /// A run changed while it was being removed.
    #[error("'{0}' changed while it was being removed; nothing was removed")]
    RunMoved(String),
    /// A tag, rating or status that is not allowed.
    #[error("'{value}' is not a valid {what}: {rule}")]
    InvalidCuration {
        /// Tag, rating or status.
        what: String,
        /// The value given.
        value: String,
        /// What is allowed.
        rule: String,
    },
    /// A range of seqs that ends before it starts.
    #[error("seq {from} comes after seq {to}")]
    EmptyRange {
        /// The first seq asked for.
        from: u64,
        /// The last.
        to: u64,
    },
    /// An object a commit or event refers to is absent.
    #[error("object {0} is missing")]
    MissingObject(ObjectId),
    /// An object does not decode.
    #[error("object {id} is damaged: {source}")]
    Decode {
        /// The object.
        id: ObjectId,
        /// Why.
        source: DecodeError,
    },
    /// The staged events of a run do not continue its history.
    #[error("staged events of run '{run}' start at seq {found}, but the run has {expected} events")]
    StagedGap {
        /// The run.
        run: String,
        /// The seq expected next.
        expected: u64,
        /// The seq found.
        found: u64,
    },
    /// A run has staged events, so an import leaves it alone.
    #[error("run '{0}' has staged events that are not committed")]
    StagedEvents(String),
    /// An import names one run for two sessions.
    #[error("run '{0}' is named by an earlier session of this import")]
    DuplicateRun(String),
    /// An imported session does not continue the run of its name.
    #[error(
        "run '{run}' already holds {held} events, and this session's first {held} are not the same"
    )]
    ImportDiverged {
        /// The run.
        run: String,
        /// Events the run holds.
        held: u64,
    },
    /// A branch of a session was not imported because the run it forks from was not.
    #[error("run '{run}' forks from run '{base}', which this import could not bring in")]
    BranchBaseFailed {
        /// The branch's run.
        run: String,
        /// The run it forks from.
        base: String,
    },
    /// Object store failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reference failure.
    #[error(transparent)]
    Ref(#[from] RefError),
    /// Journal failure.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// Payload failure.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// File system failure.
    #[error(transparent)]
    Io(#[from] IoError),
    /// `HIVE_TIMESTAMP` is not a time.
    #[error("HIVE_TIMESTAMP: {0}")]
    BadTimestamp(crate::time::TimestampError),
    /// A run name clashes with an existing run: one would be a directory of the other.
    #[error("run name '{name}' clashes with the existing run '{existing}'")]
    NameClash {
        /// The new name.
        name: String,
        /// The run it clashes with.
        existing: String,
    },
    /// A commit kept losing the race for its run's reference.
    #[error(
        "gave up updating '{run}' after {attempts} attempts: other processes kept changing it first"
    )]
    Contended {
        /// The run.
        run: String,
        /// Attempts made.
        attempts: usize,
    },
    /// A run has fewer commits than a revision goes back.
    #[error("run '{run}' has {count} commit(s), so no commit {back} before its head")]
    NoSuchCommit {
        /// The run.
        run: String,
        /// Commits back from the head.
        back: u64,
        /// Commits in the run.
        count: u64,
    },
    /// A redaction rule of `.hivemind` or `.hive/config` does not compile.
    #[error("{}: {error}", file.display())]
    Redact {
        /// The file with the rule.
        file: PathBuf,
        /// The rule and what is wrong with it.
        error: crate::redact::RedactError,
    },
    /// A revision names an event or another object where a run or commit is wanted.
    #[error("'{0}' names no run or commit")]
    NotACommit(String),
    /// A new run's name is taken.
    #[error("a run named '{0}' already exists")]
    RunExists(String),
    /// `gc` is already running in another process.
    #[error("another gc is running on this repository")]
    GcRunning,
}

/// An open repository.
#[derive(Debug)]
pub struct Repository {
    dir: PathBuf,
    config: RepoConfig,
    project: Option<(PathBuf, ProjectConfig)>,
    odb: Odb,
    refs: FileRefStore,
    journal: Journal,
    redactor: std::sync::OnceLock<Option<crate::redact::Redactor>>,
}

/// What `init` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitOutcome {
    /// A new repository was created.
    Created,
    /// A repository was already there; nothing was changed but missing directories.
    Existing,
}

impl Repository {
    /// Creates a repository in `project/.hive` (or opens the one there).
    pub fn init(project: &Path) -> Result<(Repository, InitOutcome), RepoError> {
        let outcome = Self::create_dir(&project.join(HIVE_DIR))?;
        if outcome == InitOutcome::Created {
            fsutil::sync_dir(project)?;
        }
        Ok((Repository::open(&project.join(HIVE_DIR))?, outcome))
    }

    /// Creates a bare repository (no project around it) in `dir` itself, or opens the one there: what a push to
    /// a new path remote makes.
    pub fn init_bare(dir: &Path) -> Result<(Repository, InitOutcome), RepoError> {
        let outcome = Self::create_dir(dir)?;
        if outcome == InitOutcome::Created
            && let Some(parent) = dir.parent().filter(|parent| !parent.as_os_str().is_empty())
        {
            fsutil::sync_dir(parent)?;
        }
        Ok((Repository::open(dir)?, outcome))
    }

    fn create_dir(dir: &Path) -> Result<InitOutcome, RepoError> {
        let config_path = dir.join("config");
        let outcome = if config_path.exists() {
            InitOutcome::Existing
        } else {
            InitOutcome::Created
        };
        for sub in ["objects/pack", "refs/runs", "logs/refs/runs", "journal"] {
            fsutil::create_dir_all(&dir.join(sub))?;
        }
        if outcome == InitOutcome::Created {
            fsutil::write_atomic(
                &config_path,
                RepoConfig::default().to_toml().as_bytes(),
                true,
            )?;
            fsutil::sync_dir(dir)?;
        }
        Ok(outcome)
    }

    /// Opens the repository whose directory (`.hive`) is `dir`.
    pub fn open(dir: &Path) -> Result<Repository, RepoError> {
        let config_path = dir.join("config");
        if !config_path.is_file() {
            return Err(RepoError::NotARepository {
                start: dir.to_path_buf(),
            });
        }
        let config = RepoConfig::load(&config_path)?;
        if config.core.format > config::FORMAT_VERSION {
            return Err(RepoError::UnsupportedFormat {
                found: config.core.format,
                supported: config::FORMAT_VERSION,
            });
        }
        let mut repo = Repository {
            dir: dir.to_path_buf(),
            odb: Odb::open(&dir.join("objects"), OdbOptions::default())?,
            refs: FileRefStore::new(dir),
            journal: Journal::new(dir.join("journal")),
            config,
            project: None,
            redactor: std::sync::OnceLock::new(),
        };
        repo.check_redaction()?;
        Ok(repo)
    }

    /// Finds the repository for `start`: the nearest directory at or above it with a `.hivemind` naming a
    /// repository or with a `.hive` directory. A `.hivemind` there also supplies project settings.
    pub fn discover(start: &Path) -> Result<Repository, RepoError> {
        let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
        for dir in start.ancestors() {
            let project_file = dir.join(PROJECT_FILE);
            let project = if project_file.is_file() {
                Some(ProjectConfig::load(&project_file)?)
            } else {
                None
            };
            let named = project
                .as_ref()
                .and_then(|project| project.repository.path.clone())
                .map(|path| {
                    let path = dir.join(path);
                    if path.join("config").is_file() || !path.join(HIVE_DIR).is_dir() {
                        path
                    } else {
                        path.join(HIVE_DIR)
                    }
                });
            let candidate = named.or_else(|| Some(dir.join(HIVE_DIR)).filter(|path| path.is_dir()));
            if let Some(candidate) = candidate {
                let mut repo = Repository::open(&candidate)?;
                repo.project = project.map(|config| (project_file, config));
                repo.check_redaction()?;
                return Ok(repo);
            }
            if project.is_some() {
                // A .hivemind without a repository path still sets the project; keep looking for .hive above.
                let mut found = Self::discover_above(dir)?;
                found.project = project.map(|config| (project_file, config));
                found.check_redaction()?;
                return Ok(found);
            }
        }
        Err(RepoError::NotARepository { start })
    }

    /// Fails when a redaction rule does not compile, naming the file it is in. The detectors themselves are
    /// built when first needed, so commands that capture nothing do not pay for them.
    fn check_redaction(&mut self) -> Result<(), RepoError> {
        self.redactor = std::sync::OnceLock::new();
        let files = [
            Some((self.dir.join("config"), &self.config.redact)),
            self.project
                .as_ref()
                .map(|(path, project)| (path.clone(), &project.redact)),
        ];
        for (file, section) in files.into_iter().flatten() {
            crate::redact::Redactor::check(&section.rules, &section.allow)
                .map_err(|error| RepoError::Redact { file, error })?;
        }
        Ok(())
    }

    /// This repository with the project settings of the nearest `.hivemind` at or above `start` (its capture,
    /// masking and workspace settings; not its repository path). Used when the repository is named directly but
    /// the session belongs to a project.
    pub fn with_project_from(mut self, start: &Path) -> Result<Repository, RepoError> {
        for dir in start.ancestors() {
            let file = dir.join(PROJECT_FILE);
            if file.is_file() {
                let project = ProjectConfig::load(&file)?;
                self.project = Some((file, project));
                self.check_redaction()?;
                break;
            }
        }
        Ok(self)
    }

    fn discover_above(dir: &Path) -> Result<Repository, RepoError> {
        for above in dir.ancestors() {
            let candidate = above.join(HIVE_DIR);
            if candidate.is_dir() {
                return Repository::open(&candidate);
            }
        }
        Err(RepoError::NotARepository {
            start: dir.to_path_buf(),
        })
    }

    /// The repository directory (`.hive`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The object database.
    pub fn odb(&self) -> &Odb {
        &self.odb
    }

    /// The references.
    pub fn refs(&self) -> &FileRefStore {
        &self.refs
    }

    /// The staging journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The repository's configuration.
    pub fn config(&self) -> &RepoConfig {
        &self.config
    }

    /// The `.hivemind` file that applies, if any.
    pub fn project(&self) -> Option<&(PathBuf, ProjectConfig)> {
        self.project.as_ref()
    }

    fn project_capture(&self) -> Option<&config::CaptureConfig> {
        self.project.as_ref().map(|(_, project)| &project.capture)
    }

    /// Size above which event fields become blobs: `.hivemind`, then `.hive/config`, then 4096.
    pub fn blob_threshold(&self) -> usize {
        self.project_capture()
            .and_then(|capture| capture.blob_threshold)
            .or(self.config.capture.blob_threshold)
            .unwrap_or(crate::payload::DEFAULT_THRESHOLD)
    }

    /// The run used when none is named: `HIVE_RUN`, then `.hivemind`, then `.hive/config`, then `main`.
    pub fn default_run(&self) -> String {
        std::env::var("HIVE_RUN")
            .ok()
            .filter(|run| !run.is_empty())
            .or_else(|| {
                self.project_capture()
                    .and_then(|capture| capture.run.clone())
            })
            .or_else(|| self.config.capture.run.clone())
            .unwrap_or_else(|| "main".to_string())
    }

    /// Whether hooks capture sessions: `[capture] enabled` of `.hivemind`, then of `.hive/config`, then true.
    pub fn capture_enabled(&self) -> bool {
        self.project_capture()
            .and_then(|capture| capture.enabled)
            .or(self.config.capture.enabled)
            .unwrap_or(true)
    }

    /// Whether to record the git repository a session ran in.
    pub fn code_context_enabled(&self) -> bool {
        if std::env::var("HIVE_NO_CODE_CONTEXT").is_ok_and(|value| !value.is_empty()) {
            return false;
        }
        self.project_capture()
            .and_then(|capture| capture.code_context)
            .or(self.config.capture.code_context)
            .unwrap_or(true)
    }

    /// The redactor that applies, or `None` when `[redact] enabled = false` in `.hivemind` or `.hive/config`:
    /// the built-in detectors plus the rules of both files. Checked when the repository is opened.
    pub fn redactor(&self) -> Option<&crate::redact::Redactor> {
        self.redactor
            .get_or_init(|| self.build_redactor().expect("rules were checked on open"))
            .as_ref()
    }

    /// The masking settings of both files.
    fn redact_sections(&self) -> Vec<&config::RedactConfig> {
        std::iter::once(&self.config.redact)
            .chain(self.project.as_ref().map(|(_, project)| &project.redact))
            .collect()
    }

    fn build_redactor(
        &self,
    ) -> Result<Option<crate::redact::Redactor>, crate::redact::RedactError> {
        let sections = self.redact_sections();
        if sections
            .iter()
            .any(|section| section.enabled == Some(false))
        {
            return Ok(None);
        }
        let rules: Vec<crate::redact::Rule> = sections
            .iter()
            .flat_map(|section| section.rules.iter().cloned())
            .collect();
        let allow: Vec<String> = sections
            .iter()
            .flat_map(|section| section.allow.iter().cloned())
            .collect();
        crate::redact::Redactor::new(&rules, &allow).map(Some)
    }

    /// Masks secrets in `events` (see [`crate::redact`]) and counts the distinct secrets by detector.
    pub fn redact_events(
        &self,
        events: &mut [serde_json::Map<String, serde_json::Value>],
        counts: &mut crate::redact::Counts,
    ) {
        if let Some(redactor) = self.redactor() {
            let mut tally = crate::redact::Tally::default();
            for event in events {
                redactor.redact_map(event, &mut tally);
            }
            tally.add_to(counts);
        }
    }

    /// Bytes that change when a setting that shapes stored events changes: masking, blob threshold, workspace.
    pub(crate) fn capture_settings_key(&self) -> Vec<u8> {
        serde_json::to_vec(&(
            &self.config.redact,
            self.project.as_ref().map(|(_, project)| &project.redact),
            self.blob_threshold(),
            self.workspace(),
        ))
        .expect("settings serialize")
    }

    /// The workspace named by `.hivemind`, if any.
    pub fn workspace(&self) -> Option<String> {
        self.project
            .as_ref()
            .and_then(|(_, project)| project.workspace.name.clone())
    }

    /// The author of new commits: `HIVE_AUTHOR`, then `[user]` in `.hive/config`, then git's configuration.
    pub fn author(&self, dir: &Path) -> String {
        if let Ok(author) = std::env::var("HIVE_AUTHOR")
            && !author.trim().is_empty()
        {
            return author.trim().to_string();
        }
        if let (Some(name), Some(email)) = (&self.config.user.name, &self.config.user.email) {
            return format!("{name} <{email}>");
        }
        crate::codectx::git_author(dir).unwrap_or_else(|| "unknown <unknown>".to_string())
    }
}
