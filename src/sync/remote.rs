//! Remotes: their URLs, their entries in `.hive/config`, and connecting to one.

use super::{PathTransport, SyncError, Transport};
use crate::config::RemoteConfig;
use crate::fsutil;
use crate::repo::Repository;
use std::path::{Path, PathBuf};

/// Where a remote is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemoteUrl {
    /// A directory on this machine or a shared file system.
    Path(PathBuf),
    /// A repository served by `hive serve`.
    Http {
        /// Scheme, host, port and any path before the repository (`http://host:8474`).
        base: String,
        /// The repository's name on the server.
        repo: String,
    },
}

/// Checks a repository name on a server: 1–100 letters, digits, `.`, `_` and `-`, not starting with `.` or `-`.
pub fn check_repo_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 100 {
        return Err("a repository name has 1 to 100 characters".into());
    }
    if !name
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || b"._-".contains(&byte))
    {
        return Err("a repository name uses only letters, digits and . _ -".into());
    }
    if name.starts_with('.') || name.starts_with('-') {
        return Err("a repository name does not start with '.' or '-'".into());
    }
    Ok(())
}

/// Checks a remote's name: 1–64 letters, digits, `_` and `-`.
pub fn check_remote_name(name: &str) -> Result<(), SyncError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"_-".contains(&byte));
    if ok {
        Ok(())
    } else {
        Err(SyncError::BadUrl {
            url: name.to_string(),
            reason: "a remote's name has 1 to 64 letters, digits, _ and -".into(),
        })
    }
}

impl RemoteUrl {
    /// Parses a URL; a relative path is taken from `cwd`.
    pub fn parse(text: &str, cwd: &Path) -> Result<RemoteUrl, SyncError> {
        let bad = |reason: &str| SyncError::BadUrl {
            url: text.to_string(),
            reason: reason.to_string(),
        };
        if let Some(rest) = text
            .strip_prefix("http://")
            .or_else(|| text.strip_prefix("https://"))
        {
            let scheme_len = text.len() - rest.len();
            let rest = rest.trim_end_matches('/');
            let Some((host_and_path, repo)) = rest.rsplit_once('/') else {
                return Err(bad(
                    "name the repository after the server: http://HOST:PORT/REPO",
                ));
            };
            if host_and_path.is_empty() || host_and_path.starts_with('/') {
                return Err(bad("the URL has no host"));
            }
            if rest.contains(['?', '#', '@']) {
                return Err(bad(
                    "a URL with a query, fragment or credentials is not supported; give the token with HIVE_TOKEN or --token",
                ));
            }
            check_repo_name(repo).map_err(|reason| bad(&reason))?;
            return Ok(RemoteUrl::Http {
                base: format!("{}{host_and_path}", &text[..scheme_len]),
                repo: repo.to_string(),
            });
        }
        if text.contains("://") && !text.starts_with("file://") {
            return Err(bad(
                "the URL is a path, file://PATH, or http(s)://HOST:PORT/REPO",
            ));
        }
        let path = text.strip_prefix("file://").unwrap_or(text);
        if path.is_empty() {
            return Err(bad("the path is empty"));
        }
        Ok(RemoteUrl::Path(cwd.join(path)))
    }

    /// The URL as stored: an absolute path, or the HTTP URL. A path that holds `://` is written as `file://PATH`,
    /// so that it parses back as the same path rather than as a URL of another scheme.
    pub fn to_url(&self) -> String {
        match self {
            RemoteUrl::Path(path) => {
                let text = path.display().to_string();
                if text.contains("://") {
                    format!("file://{text}")
                } else {
                    text
                }
            }
            RemoteUrl::Http { base, repo } => format!("{base}/{repo}"),
        }
    }
}

/// Adds `[remote.NAME]` to the repository's configuration. The rest of the file is kept as written.
pub fn add(
    repo: &Repository,
    name: &str,
    url: &RemoteUrl,
    token: Option<&str>,
) -> Result<(), SyncError> {
    check_remote_name(name)?;
    if repo.config().remote.contains_key(name) {
        return Err(SyncError::RemoteExists(name.to_string()));
    }
    let entry = RemoteConfig {
        url: url.to_url(),
        token: token.map(str::to_string),
    };
    let mut table = toml::Table::new();
    table.insert(
        "remote".into(),
        toml::Value::Table(toml::Table::from_iter([(
            name.to_string(),
            toml::Value::try_from(&entry).expect("a remote entry is TOML"),
        )])),
    );
    let mut text = read_config(repo)?;
    if !text.ends_with('\n') && !text.is_empty() {
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&toml::to_string(&table).expect("a table is TOML"));
    write_config(repo, &text)
}

/// Removes `[remote.NAME]` from the configuration, and the remote-tracking references under
/// `refs/remotes/NAME/`.
pub fn remove(repo: &Repository, name: &str) -> Result<(), SyncError> {
    if !repo.config().remote.contains_key(name) {
        return Err(SyncError::UnknownRemote(name.to_string()));
    }
    let text = read_config(repo)?;
    let mut kept = String::new();
    let mut skipping = false;
    let headers = [format!("[remote.{name}]"), format!("[remote.\"{name}\"]")];
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            skipping = headers.iter().any(|header| trimmed == header);
        }
        if !skipping {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    let check: crate::config::RepoConfig =
        toml::from_str(&kept).map_err(|error| SyncError::BadUrl {
            url: name.to_string(),
            reason: format!(
                "the configuration would not parse without it ({}); edit .hive/config by hand",
                error.message()
            ),
        })?;
    if check.remote.contains_key(name) {
        return Err(SyncError::BadUrl {
            url: name.to_string(),
            reason:
                "it is written in a form hive does not edit; remove it from .hive/config by hand"
                    .into(),
        });
    }
    write_config(repo, kept.trim_end_matches('\n'))?;
    let prefix = format!("remotes/{name}/");
    for (reference, id) in crate::refs::RefStore::list(repo.refs(), &prefix)? {
        let entry = crate::refs::ReflogEntry {
            old: Some(id.to_hex()),
            new: None,
            author: "hive".into(),
            time: crate::time::Timestamp::now()
                .map_err(crate::repo::RepoError::BadTimestamp)?
                .to_rfc3339(),
            message: format!("remote remove {name}"),
        };
        crate::refs::RefStore::update(repo.refs(), &reference, Some(id), None, &entry)?;
    }
    Ok(())
}

fn read_config(repo: &Repository) -> Result<String, SyncError> {
    let path = repo.dir().join("config");
    std::fs::read_to_string(&path).map_err(|source| {
        SyncError::Io(fsutil::IoError {
            operation: "read",
            path,
            source,
        })
    })
}

fn write_config(repo: &Repository, text: &str) -> Result<(), SyncError> {
    let mut text = text.to_string();
    text.push('\n');
    fsutil::write_atomic(&repo.dir().join("config"), text.as_bytes(), true)?;
    Ok(())
}

/// A remote given by name (a `[remote.NAME]` entry) or directly by URL.
#[derive(Clone, Debug)]
pub struct Named {
    /// The remote's name; `None` for a URL given directly (no remote-tracking references are kept for it).
    pub name: Option<String>,
    /// Where it is.
    pub url: RemoteUrl,
    /// The token of its configuration entry.
    pub token: Option<String>,
}

/// Finds the remote `name_or_url`: a configured remote, else a URL.
pub fn find(repo: &Repository, name_or_url: &str, cwd: &Path) -> Result<Named, SyncError> {
    if let Some(entry) = repo.config().remote.get(name_or_url) {
        return Ok(Named {
            name: Some(name_or_url.to_string()),
            url: RemoteUrl::parse(&entry.url, repo.dir())?,
            token: entry.token.clone(),
        });
    }
    if name_or_url.contains('/') || name_or_url.contains("://") || name_or_url.starts_with('.') {
        return Ok(Named {
            name: None,
            url: RemoteUrl::parse(name_or_url, cwd)?,
            token: None,
        });
    }
    Err(SyncError::UnknownRemote(name_or_url.to_string()))
}

/// Connects to a remote. `create` makes a missing path remote (for a push); `who` names this user in the
/// remote's reference logs when the remote is a path. The token is `HIVE_TOKEN`, else the remote's entry.
pub fn connect(
    url: &RemoteUrl,
    token: Option<&str>,
    create: bool,
    who: &str,
) -> Result<Box<dyn Transport>, SyncError> {
    match url {
        RemoteUrl::Path(path) => Ok(Box::new(PathTransport::open(
            &url.to_url(),
            path,
            create,
            who,
        )?)),
        #[cfg(feature = "http")]
        RemoteUrl::Http { base, repo } => {
            let token = std::env::var("HIVE_TOKEN")
                .ok()
                .filter(|token| !token.is_empty())
                .or_else(|| token.map(str::to_string));
            Ok(Box::new(super::HttpTransport::new(base, repo, token)))
        }
        #[cfg(not(feature = "http"))]
        RemoteUrl::Http { .. } => {
            let _ = token;
            Err(SyncError::BadUrl {
                url: url.to_url(),
                reason: "this hive was built without HTTP remotes (feature `http`)".into(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `protocol` fuzz target (fuzz/regressions/protocol/): a path holding `://` was stored as it
    /// was, and the stored URL did not parse back, so the remote could be added but not used.
    #[test]
    fn a_stored_path_with_a_scheme_separator_parses_back() {
        let cwd = Path::new("/fuzz/cwd");
        for text in [
            "file://~file://",
            "file://a://b",
            "file://./x://",
            "file:///srv/http://team",
        ] {
            let url = RemoteUrl::parse(text, cwd).unwrap();
            let stored = url.to_url();
            assert_eq!(
                RemoteUrl::parse(&stored, cwd).unwrap(),
                url,
                "{text} stored as {stored}"
            );
        }
        let plain = RemoteUrl::parse("../shared.hive", cwd).unwrap();
        assert_eq!(plain.to_url(), "/fuzz/cwd/../shared.hive");
        let http = RemoteUrl::parse("http://host:8474/team/", cwd).unwrap();
        assert_eq!(http.to_url(), "http://host:8474/team");
    }
}
