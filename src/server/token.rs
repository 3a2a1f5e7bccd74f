//! Tokens of a hive server: who may read or write what.
//!
//! The file (by default `ROOT/.tokens.json`) holds, per token, its id, a name, the blake3 hash of its secret
//! and its grants; never the secret. A token is presented as `hive_ID_SECRET`: the id finds the entry, and the
//! secret's hash is compared with the stored one in constant time. Secrets are 32 random bytes, so a fast hash
//! is enough: there is nothing to guess.

use crate::fsutil::{self, IoError};
use crate::sync::Grant;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Why a token operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file system refused.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The tokens file does not parse.
    #[error("{} is not a valid tokens file: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No token has this id or name.
    #[error("no token with id or name '{0}'")]
    Unknown(String),
    /// A token of this name exists.
    #[error("a token named '{0}' already exists")]
    Exists(String),
    /// A grant that does not parse.
    #[error("'{grant}' is not a grant: {reason}")]
    BadGrant {
        /// The text.
        grant: String,
        /// Why.
        reason: String,
    },
    /// The system's random source failed.
    #[error("cannot draw random bytes: {0}")]
    Random(String),
}

/// One token as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenEntry {
    /// Public id (12 hex digits), part of the token.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// blake3 of the secret, in hex.
    pub hash: String,
    /// What it may do.
    pub grants: Vec<Grant>,
    /// When it was made (RFC 3339).
    pub created: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TokenFile {
    version: u32,
    tokens: Vec<TokenEntry>,
}

/// Parses `LEVEL:REPO[:PREFIX]` (`write:team:alice/`, `read:*`).
pub fn parse_grant(text: &str) -> Result<Grant, TokenError> {
    let bad = |reason: &str| TokenError::BadGrant {
        grant: text.to_string(),
        reason: reason.to_string(),
    };
    let mut parts = text.splitn(3, ':');
    let level = parts.next().unwrap_or_default();
    let repo = parts
        .next()
        .ok_or_else(|| bad("write LEVEL:REPO[:PREFIX], e.g. write:team:alice/"))?;
    let prefix = parts.next().unwrap_or_default();
    let level = level.parse().map_err(|reason: String| bad(&reason))?;
    if repo != "*" {
        crate::sync::remote::check_repo_name(repo).map_err(|reason| bad(&reason))?;
    }
    if !prefix.is_empty()
        && !prefix
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"._-+/".contains(&byte))
    {
        return Err(bad("a prefix uses the characters of run names"));
    }
    Ok(Grant {
        repo: repo.to_string(),
        prefix: prefix.to_string(),
        level,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn load(path: &Path) -> Result<TokenFile, TokenError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|error| TokenError::Corrupt {
            path: path.to_path_buf(),
            reason: error.to_string(),
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(TokenFile {
            version: 1,
            tokens: Vec::new(),
        }),
        Err(source) => Err(IoError {
            operation: "read",
            path: path.to_path_buf(),
            source,
        }
        .into()),
    }
}

/// Reads, changes and writes the tokens file under its lock.
fn change<T>(
    path: &Path,
    edit: impl FnOnce(&mut TokenFile) -> Result<T, TokenError>,
) -> Result<T, TokenError> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        fsutil::create_dir_all(parent)?;
    }
    let lock_path = path.with_extension("lock");
    let _lock = fsutil::lock_file(&lock_path, fsutil::lock_timeout()).map_err(|error| {
        TokenError::Io(IoError {
            operation: "lock",
            path: lock_path.clone(),
            source: std::io::Error::other(error.to_string()),
        })
    })?;
    let mut file = load(path)?;
    file.version = 1;
    let result = edit(&mut file)?;
    let text = serde_json::to_vec_pretty(&file).expect("tokens serialize");
    fsutil::write_atomic(path, &text, true)?;
    Ok(result)
}

/// Makes a token; returns its entry and the token itself (`hive_ID_SECRET`), which is shown once and never
/// stored.
pub fn create(
    path: &Path,
    name: &str,
    grants: Vec<Grant>,
) -> Result<(TokenEntry, String), TokenError> {
    let mut random = [0u8; 38];
    getrandom::fill(&mut random).map_err(|error| TokenError::Random(error.to_string()))?;
    let id = hex(&random[..6]);
    let secret = hex(&random[6..]);
    let entry = TokenEntry {
        id: id.clone(),
        name: name.to_string(),
        hash: blake3::hash(secret.as_bytes()).to_hex().to_string(),
        grants,
        created: crate::time::Timestamp::now()
            .map(|time| time.to_rfc3339())
            .unwrap_or_default(),
    };
    change(path, |file| {
        if file.tokens.iter().any(|token| token.name == name) {
            return Err(TokenError::Exists(name.to_string()));
        }
        file.tokens.push(entry.clone());
        Ok(())
    })?;
    Ok((entry, format!("hive_{id}_{secret}")))
}

/// Every token's entry.
pub fn list(path: &Path) -> Result<Vec<TokenEntry>, TokenError> {
    Ok(load(path)?.tokens)
}

/// Deletes the token with this id or name; it stops working at the server's next request.
pub fn revoke(path: &Path, id_or_name: &str) -> Result<TokenEntry, TokenError> {
    change(path, |file| {
        let position = file
            .tokens
            .iter()
            .position(|token| token.id == id_or_name || token.name == id_or_name)
            .ok_or_else(|| TokenError::Unknown(id_or_name.to_string()))?;
        Ok(file.tokens.remove(position))
    })
}

/// The tokens of a server, reread when the file changes.
#[derive(Debug)]
pub struct TokenStore {
    path: PathBuf,
    cached: std::sync::RwLock<(Option<std::time::SystemTime>, u64, Vec<TokenEntry>)>,
}

impl TokenStore {
    /// Reads the tokens at `path`.
    pub fn open(path: &Path) -> Result<TokenStore, TokenError> {
        let store = TokenStore {
            path: path.to_path_buf(),
            cached: std::sync::RwLock::new((None, 0, Vec::new())),
        };
        store.refresh()?;
        Ok(store)
    }

    fn refresh(&self) -> Result<(), TokenError> {
        let meta = std::fs::metadata(&self.path).ok();
        let stamp = (
            meta.as_ref().and_then(|meta| meta.modified().ok()),
            meta.as_ref().map(|meta| meta.len()).unwrap_or(0),
        );
        {
            let cached = self.cached.read().expect("lock poisoned only by a panic");
            if cached.0.is_some() && (cached.0, cached.1) == stamp {
                return Ok(());
            }
        }
        let tokens = load(&self.path)?.tokens;
        *self.cached.write().expect("lock poisoned only by a panic") = (stamp.0, stamp.1, tokens);
        Ok(())
    }

    /// The entry of a presented token, if it is valid.
    pub fn authenticate(&self, presented: &str) -> Result<Option<TokenEntry>, TokenError> {
        self.refresh()?;
        let Some(rest) = presented.strip_prefix("hive_") else {
            return Ok(None);
        };
        let Some((id, secret)) = rest.split_once('_') else {
            return Ok(None);
        };
        let cached = self.cached.read().expect("lock poisoned only by a panic");
        let Some(entry) = cached.2.iter().find(|entry| entry.id == id) else {
            return Ok(None);
        };
        let Ok(stored) = blake3::Hash::from_hex(&entry.hash) else {
            return Ok(None);
        };
        // blake3::Hash compares in constant time.
        Ok((blake3::hash(secret.as_bytes()) == stored).then(|| entry.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_works_until_revoked_and_only_with_its_secret() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("tokens.json");
        let (entry, token) = create(
            &path,
            "alice",
            vec![parse_grant("write:team:alice/").expect("grant")],
        )
        .expect("made");
        let text = std::fs::read_to_string(&path).expect("written");
        let secret = token.rsplit('_').next().expect("secret");
        assert!(!text.contains(secret), "the secret is never stored");
        let store = TokenStore::open(&path).expect("opens");
        assert_eq!(
            store.authenticate(&token).expect("reads"),
            Some(entry.clone())
        );
        let mut wrong = token.clone();
        wrong.pop();
        wrong.push(if token.ends_with('0') { '1' } else { '0' });
        assert_eq!(store.authenticate(&wrong).expect("reads"), None);
        assert_eq!(store.authenticate("hive_nothing").expect("reads"), None);
        assert!(matches!(
            create(&path, "alice", Vec::new()),
            Err(TokenError::Exists(_))
        ));
        revoke(&path, "alice").expect("revoked");
        // A file rewritten within the same second but with another length is seen.
        assert_eq!(store.authenticate(&token).expect("reads"), None);
    }

    #[test]
    fn grants_parse_or_say_why_not() {
        let grant = parse_grant("read:*").expect("parses");
        assert_eq!((grant.repo.as_str(), grant.prefix.as_str()), ("*", ""));
        assert!(parse_grant("write:team:alice/").is_ok());
        for bad in ["owner:team", "write", "write:../x", "read:team:a b"] {
            assert!(parse_grant(bad).is_err(), "{bad}");
        }
    }
}
