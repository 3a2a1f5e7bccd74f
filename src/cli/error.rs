//! The command line's one error type: what failed, a hint for what to do, and a documented exit code.

use hive::RepoError;
use hive::journal::JournalError;
use hive::refs::RefError;
use hive::store::StoreError;

/// Exit codes (docs/CLI.md).
pub mod code {
    /// A check found problems (`fsck`).
    pub const CHECK_FAILED: u8 = 1;
    /// The command line is wrong.
    pub const USAGE: u8 = 2;
    /// Input data is wrong: a malformed event, a bad name.
    pub const BAD_INPUT: u8 = 3;
    /// Something named does not exist: repository, run, object, event.
    pub const NOT_FOUND: u8 = 4;
    /// Another process is in the way, or a prefix is ambiguous: try again or be more precise.
    pub const CONFLICT: u8 = 5;
    /// The repository is damaged.
    pub const CORRUPT: u8 = 6;
    /// The system refused: permissions, disk full.
    pub const SYSTEM: u8 = 7;
}

/// A failure as the user sees it.
#[derive(Debug)]
pub struct CliError {
    /// One line saying what was wrong; empty to exit silently.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The exit code.
    pub code: u8,
}

impl CliError {
    /// An error with a hint.
    pub fn new(code: u8, message: impl Into<String>, hint: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            hint: Some(hint.into()),
            code,
        }
    }

    /// Stdout was closed early (`hive log | head`): exit quietly.
    pub fn broken_pipe() -> Self {
        CliError {
            message: String::new(),
            hint: None,
            code: 0,
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(error: std::io::Error) -> Self {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            return CliError::broken_pipe();
        }
        CliError::new(
            code::SYSTEM,
            format!("cannot write output: {error}"),
            "check that the output is writable",
        )
    }
}

impl From<RepoError> for CliError {
    fn from(error: RepoError) -> Self {
        let message = error.to_string();
        let (code, hint): (u8, String) = match &error {
            RepoError::NotARepository { .. } => (code::NOT_FOUND, "run `hive init` in your project, or `cd` into one that has a .hive directory".into()),
            RepoError::UnsupportedFormat { .. } => (code::CORRUPT, "upgrade hive to read this repository".into()),
            RepoError::Config(_) => (code::BAD_INPUT, "fix the file named above; it is TOML".into()),
            RepoError::BadEvent { .. } => (code::BAD_INPUT, "fix that line and run the command again; nothing was staged (docs/EVENTS.md describes each kind)".into()),
            RepoError::Redact { .. } => (code::BAD_INPUT, "fix the rule's pattern under [redact] (docs/CAPTURE.md, \"Redaction\")".into()),
            RepoError::Format(hive::formats::FormatError::Unrecognised(_)) => (code::BAD_INPUT, "give --format if you know it (docs/CAPTURE.md lists the formats)".into()),
            RepoError::Format(hive::formats::FormatError::BadRecord { .. }) => (code::BAD_INPUT, "the file is damaged at that line, or not in the format given with --format".into()),
            RepoError::Format(hive::formats::FormatError::Mapping { .. }) => (code::BAD_INPUT, "the session holds a record hive cannot map; please report it with the record".into()),
            RepoError::Format(hive::formats::FormatError::Export(_)) => (code::BAD_INPUT, "export a run in the format it was imported from (`hive export RUN` picks it)".into()),
            RepoError::BadName(_) => (code::BAD_INPUT, "choose a name like fix-login or team/fix-login-2".into()),
            RepoError::UnknownRun(_) => (code::NOT_FOUND, "`hive runs` lists the runs".into()),
            RepoError::UnknownRevision(_) => (code::NOT_FOUND, "give a run name, RUN@SEQ, RUN~N, or 4 or more hex digits of an object id; `hive runs` lists runs".into()),
            RepoError::Ambiguous { candidates, .. } => (
                code::CONFLICT,
                format!(
                    "give more digits; candidates: {}",
                    candidates.iter().take(5).map(|id| id.short(16)).collect::<Vec<_>>().join(", ")
                ),
            ),
            RepoError::NoSuchEvent { run, .. } => (code::NOT_FOUND, format!("`hive show {run}` lists its events")),
            RepoError::UnknownWorkspace(_) => (code::NOT_FOUND, "`hive workspace list` lists the workspaces; `hive workspace create NAME` makes one".into()),
            RepoError::WorkspaceExists(_) => (code::CONFLICT, "choose another name, or use the workspace as it is".into()),
            RepoError::WorkspaceHasChildren { .. } => (code::CONFLICT, "delete those first, or pass --force (they keep their state, and no longer have a parent to update from)".into()),
            RepoError::NoSuchKey { workspace, .. } => (code::NOT_FOUND, format!("`hive memory list --workspace {workspace}` lists its keys")),
            RepoError::AmbiguousBranch(name) => (code::USAGE, format!("write runs/{name} or workspaces/{name}")),
            RepoError::MergeIntoItself(_) => (code::USAGE, "name two different branches".into()),
            RepoError::NoParent(_) => (
                code::USAGE,
                "`hive promote --to W` names the target; a workspace made without --inherit (or whose parent was deleted) has no parent to update from".into(),
            ),
            RepoError::UnknownBranch(_) => (code::NOT_FOUND, "`hive workspace list` and `hive runs` list what can be merged; prefix runs/ or workspaces/ to be explicit".into()),
            RepoError::RunMoved(run) => (code::CONFLICT, format!("look at `hive log {run}`, then run the command again")),
            RepoError::InvalidCuration { what, .. } => (
                code::BAD_INPUT,
                match what.as_str() {
                    "tag" => "for example `hive tag RUN reviewed dataset:v2`".into(),
                    "rating" => "for example `hive rate RUN 4`; `hive rate RUN --clear` removes it".into(),
                    _ => "for example `hive status RUN success`".into(),
                },
            ),
            RepoError::EmptyRange { .. } => (code::USAGE, "give --from a seq no later than --to".into()),
            RepoError::MissingObject(_) | RepoError::Decode { .. } | RepoError::Payload(_) => {
                (code::CORRUPT, "run `hive fsck` for a full report".into())
            }
            RepoError::StagedGap { run, .. } => (code::CORRUPT, format!("run `hive fsck`; the staged events of '{run}' are in .hive/journal")),
            RepoError::BadTimestamp(_) => (code::BAD_INPUT, "set HIVE_TIMESTAMP to RFC 3339 (2026-01-02T03:04:05Z) or Unix seconds, or unset it".into()),
            RepoError::NameClash { .. } => (
                code::BAD_INPUT,
                "a run named like a directory of another run (a and a/b) cannot coexist; choose another name".into(),
            ),
            RepoError::Contended { .. } => (code::CONFLICT, "run the command again".into()),
            RepoError::NoSuchCommit { run, .. } => (code::NOT_FOUND, format!("`hive log {run} --oneline` lists its commits")),
            RepoError::NotACommit(_) => (code::BAD_INPUT, "give a run name, RUN~N or a commit id; `hive runs` lists runs".into()),
            RepoError::RunExists(_) => (code::CONFLICT, "choose another name; `hive runs` lists the names taken".into()),
            RepoError::GcRunning => (code::CONFLICT, "wait for the other gc to finish".into()),
            RepoError::Ref(RefError::Locked { lock, .. }) => (
                code::CONFLICT,
                format!("another hive process is updating it; try again (the lock is {})", lock.display()),
            ),
            RepoError::Ref(RefError::Stale { .. }) => (code::CONFLICT, "another process changed it; run the command again".into()),
            RepoError::StagedEvents(run) => (code::CONFLICT, format!("commit them first (`hive commit --run {run}`), then try again")),
            RepoError::DuplicateRun(_) => (code::USAGE, "give each session its own run".into()),
            RepoError::ImportDiverged { .. } => (code::CONFLICT, "import it as another run with --run NAME".into()),
            RepoError::BranchBaseFailed { base, .. } => (
                code::CONFLICT,
                format!("fix what kept '{base}' out (reported above), then import the file again"),
            ),
            RepoError::Ref(RefError::Repeated { .. }) => (code::USAGE, "give each run once".into()),
            RepoError::Ref(RefError::Corrupt { .. }) => (code::CORRUPT, "run `hive fsck`; `hive log` of the run shows its history".into()),
            RepoError::Journal(JournalError::Locked { .. }) => (code::CONFLICT, "another hive process is using the journal; try again".into()),
            RepoError::Journal(JournalError::TooLarge { .. }) => {
                (code::BAD_INPUT, "split the payload over several events; nothing was staged".into())
            }
            RepoError::Journal(JournalError::Corrupt { .. }) => (code::CORRUPT, "run `hive fsck` for a full report".into()),
            RepoError::Store(StoreError::Corrupt { .. }) => (code::CORRUPT, "run `hive fsck` for a full report; to recover, `hive clone` a teammate's or a server's copy into a new folder".into()),
            RepoError::Store(StoreError::TooLarge { .. }) => (code::BAD_INPUT, "split the payload; objects over 2 GiB are not stored".into()),
            RepoError::Store(StoreError::Io(_)) | RepoError::Ref(RefError::Io(_)) | RepoError::Journal(JournalError::Io(_)) | RepoError::Io(_) => {
                (code::SYSTEM, "check permissions and free space of the path above".into())
            }
        };
        CliError {
            message,
            hint: Some(hint),
            code,
        }
    }
}

impl From<StoreError> for CliError {
    fn from(error: StoreError) -> Self {
        CliError::from(RepoError::from(error))
    }
}

impl From<hive::sync::SyncError> for CliError {
    fn from(error: hive::sync::SyncError) -> Self {
        use hive::sync::SyncError;
        let error = match error {
            SyncError::Repo(inner) => return CliError::from(inner),
            other => other,
        };
        let message = error.to_string();
        let (code, hint): (u8, String) = match &error {
            SyncError::Repo(_) | SyncError::Io(_) => (code::SYSTEM, "check permissions and free space of the path above".into()),
            SyncError::BadUrl { .. } => (
                code::USAGE,
                "a remote is a path (/mnt/team/x.hive, file:///...) or http(s)://HOST:PORT/REPO of `hive serve`".into(),
            ),
            SyncError::UnknownRemote(_) => (code::NOT_FOUND, "`hive remote list` shows the remotes; `hive remote add NAME URL` adds one".into()),
            SyncError::RemoteExists(name) => (code::CONFLICT, format!("choose another name, or `hive remote remove {name}` first")),
            SyncError::Protocol { .. } => (
                code::CORRUPT,
                "nothing was changed by the broken transfer; try again, and if it persists, run `hive fsck` on both sides".into(),
            ),
            SyncError::TooLarge { .. } => (code::BAD_INPUT, "split the transfer (push fewer runs at once), or raise the server's limits".into()),
            SyncError::Connection { .. } => (
                code::SYSTEM,
                "check the URL and that the server runs; run the command again to resume (what arrived is kept)".into(),
            ),
            SyncError::Refused { status: 401, .. } => (
                code::CONFLICT,
                "set HIVE_TOKEN, or give the remote a token: `hive remote add NAME URL --token TOKEN`".into(),
            ),
            SyncError::Refused { status: 404, .. } => (
                code::NOT_FOUND,
                "check the repository's name in the URL; a token without read access to it sees it as missing".into(),
            ),
            SyncError::Refused { status: 403, .. } => (code::CONFLICT, "ask the server's admin for a token with write access".into()),
            SyncError::Refused { status: 413, .. } => (code::BAD_INPUT, "push fewer runs at once, or raise the server's limits".into()),
            SyncError::Refused { status: 409, .. } => (code::CONFLICT, "the remote changed meanwhile; run the command again".into()),
            SyncError::Refused { .. } => (code::SYSTEM, "see the server's log for details".into()),
            SyncError::Version { .. } => (code::CONFLICT, "upgrade hive on the older side".into()),
            SyncError::NotConnected { .. } => (
                code::CORRUPT,
                "the sending repository is missing objects: run `hive fsck` there".into(),
            ),
            SyncError::DestinationExists(_) => (code::CONFLICT, "give another directory, or empty this one".into()),
            SyncError::Cancelled => (code::CONFLICT, "run the command again to resume".into()),
        };
        CliError {
            message,
            hint: Some(hint),
            code,
        }
    }
}
