//! Configuration: the repository's `.hive/config` and the project's `.hivemind` file, both TOML.

use crate::fsutil::IoError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The repository format version this build writes; it reads every version up to this one.
pub const FORMAT_VERSION: u32 = 2;

/// Why configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The file is not valid TOML or has a value of the wrong type.
    #[error("{} is not valid: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's complaint.
        message: String,
    },
}

/// `.hive/config`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RepoConfig {
    /// Format of the repository.
    pub core: CoreConfig,
    /// How events are stored.
    pub capture: CaptureConfig,
    /// The default author of commits.
    pub user: UserConfig,
    /// Masking secrets before they are stored.
    pub redact: RedactConfig,
    /// `hive search`.
    pub search: SearchConfig,
    /// `[remote.NAME]`: where `hive push`, `fetch` and `pull` go.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub remote: std::collections::BTreeMap<String, RemoteConfig>,
}

/// `[remote.NAME]` in `.hive/config`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RemoteConfig {
    /// A path (`/mnt/team/x.hive`, `file:///...`) or a `hive serve` URL (`http://host:port/REPO`).
    pub url: String,
    /// The token sent to a server (`HIVE_TOKEN` overrides it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// `[search]` in `.hive/config`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchConfig {
    /// Payloads stored as blobs of at most this many bytes are searched (default 1 MiB); larger ones are not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_payload: Option<u64>,
}

/// `[redact]` in `.hive/config` and in `.hivemind`: rules of both apply.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RedactConfig {
    /// Whether to mask secrets at all (default true; `false` in either file turns it off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Further detectors: `{name, pattern}`, a regular expression whose match (or group `secret`) is masked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<crate::redact::Rule>,
    /// Regular expressions for text that is never masked (test keys, known false positives).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
}

/// `[core]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CoreConfig {
    /// The repository format version.
    pub format: u32,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            format: FORMAT_VERSION,
        }
    }
}

/// `[capture]` in `.hive/config` and in `.hivemind`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CaptureConfig {
    /// Whether agents' hooks capture sessions (default true); `false` makes `hive hook` do nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Run that `hive append` and `hive commit` use when none is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// Fields larger than this many bytes are stored as blobs (default 4096).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_threshold: Option<usize>,
    /// Whether to record the git repository a session ran in (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_context: Option<bool>,
}

/// `[user]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserConfig {
    /// Author name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Author email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The project file `.hivemind`: where captures go and how. Keys this version does not know are ignored, so a
/// file written for a newer hive still works.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ProjectConfig {
    /// `[repository]`.
    pub repository: RepositorySection,
    /// `[capture]`, overriding the repository's.
    pub capture: CaptureConfig,
    /// `[workspace]`.
    pub workspace: WorkspaceSection,
    /// `[redact]`, adding to the repository's.
    pub redact: RedactConfig,
}

/// `[repository]` of `.hivemind`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RepositorySection {
    /// Path of the repository (the `.hive` directory or the directory holding it), relative to the file.
    pub path: Option<PathBuf>,
}

/// `[workspace]` of `.hivemind`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct WorkspaceSection {
    /// The workspace runs are recorded under.
    pub name: Option<String>,
}

fn parse_toml<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| IoError {
        operation: "read",
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|error| ConfigError::Parse {
        path: path.to_path_buf(),
        message: error.message().to_string(),
    })
}

impl RepoConfig {
    /// Reads `.hive/config`.
    pub fn load(path: &Path) -> Result<RepoConfig, ConfigError> {
        parse_toml(path)
    }

    /// The TOML text written by `hive init`.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!("# hive repository configuration\n{body}")
    }
}

impl ProjectConfig {
    /// Reads a `.hivemind` file.
    pub fn load(path: &Path) -> Result<ProjectConfig, ConfigError> {
        parse_toml(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example `.hivemind` sets every key there is, each to a value that parses, and its rules compile.
    #[test]
    fn the_example_hivemind_sets_every_key() {
        let text = include_str!("../.hivemind-example/.hivemind");
        let config: ProjectConfig = toml::from_str(text).expect("the example parses");
        assert!(config.repository.path.is_some());
        let capture = &config.capture;
        assert!(capture.run.is_some() && capture.blob_threshold.is_some());
        assert!(capture.code_context.is_some());
        assert!(config.workspace.name.is_some());
        let redact = &config.redact;
        assert!(redact.enabled.is_some() && !redact.rules.is_empty() && !redact.allow.is_empty());
        crate::redact::Redactor::new(&redact.rules, &redact.allow).expect("the rules compile");
    }
}
