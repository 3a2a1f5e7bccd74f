//! Curation: tags, a rating and a status set on a run by a reviewer, each recorded as a commit on the run so that
//! it travels with the run wherever the run goes.

use super::history::{self, BuiltCommit};
use super::{RepoError, Repository};
use crate::id::ObjectId;
use crate::object::{Commit, RunMeta};
use crate::refs::{RefError, RefName, RefStore, ReflogEntry};
use crate::store::ObjectStore;
use crate::time::Timestamp;

/// Times a branch update is tried again when another process moves the branch first.
const ATTEMPTS: usize = 32;

/// A change to a run's curation metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Curation {
    /// Labels added and removed.
    Tags {
        /// Labels to add (kept once, in the order first given).
        add: Vec<String>,
        /// Labels to remove.
        remove: Vec<String>,
    },
    /// A rating from 1 to 5, or none.
    Rating(Option<i64>),
    /// A status such as `success` or `failure`.
    Status(String),
}

/// What a curation did.
#[derive(Clone, Debug)]
pub struct CurateOutcome {
    /// The run.
    pub run: String,
    /// The run's head afterwards.
    pub id: ObjectId,
    /// That commit.
    pub commit: Commit,
    /// Whether a commit was made (false when the run already was as asked).
    pub changed: bool,
}

/// Why a tag, rating or status is refused.
fn invalid(what: &str, value: &str, rule: &str) -> RepoError {
    RepoError::InvalidCuration {
        what: what.to_string(),
        value: value.to_string(),
        rule: rule.to_string(),
    }
}

/// Checks a tag: 1 to 100 characters, none of them white space or control characters.
pub fn check_tag(tag: &str) -> Result<(), RepoError> {
    if tag.is_empty()
        || tag.chars().count() > 100
        || tag.chars().any(|c| c.is_whitespace() || c.is_control())
        || tag.starts_with('-')
    {
        return Err(invalid(
            "tag",
            tag,
            "1 to 100 characters without spaces or control characters, not starting with '-'",
        ));
    }
    Ok(())
}

/// Checks a status: a lowercase word (letters, digits, `_`, `-`) of 1 to 32 characters, starting with a letter.
pub fn check_status(status: &str) -> Result<(), RepoError> {
    let mut chars = status.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if !first_ok
        || status.len() > 32
        || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return Err(invalid(
            "status",
            status,
            "a lowercase word such as success, failure, partial or abandoned",
        ));
    }
    Ok(())
}

impl Curation {
    /// Checks the values.
    pub fn check(&self) -> Result<(), RepoError> {
        match self {
            Curation::Tags { add, remove } => {
                add.iter().chain(remove).try_for_each(|tag| check_tag(tag))
            }
            Curation::Rating(Some(rating)) if !(1..=5).contains(rating) => Err(invalid(
                "rating",
                &rating.to_string(),
                "a whole number from 1 to 5",
            )),
            Curation::Rating(_) => Ok(()),
            Curation::Status(status) => check_status(status),
        }
    }

    /// Applies the change to `meta`; returns the commit message, or `None` when nothing changes.
    fn apply(&self, meta: &mut RunMeta) -> Option<String> {
        match self {
            Curation::Tags { add, remove } => {
                let mut words = Vec::new();
                for tag in add {
                    if !meta.tags.contains(tag) {
                        meta.tags.push(tag.clone());
                        words.push(format!("+{tag}"));
                    }
                }
                for tag in remove {
                    if let Some(at) = meta.tags.iter().position(|held| held == tag) {
                        meta.tags.remove(at);
                        words.push(format!("-{tag}"));
                    }
                }
                (!words.is_empty()).then(|| format!("tag: {}", words.join(" ")))
            }
            Curation::Rating(rating) => {
                if meta.rating == *rating {
                    return None;
                }
                meta.rating = *rating;
                Some(match rating {
                    Some(rating) => format!("rate: {rating}"),
                    None => "rate: cleared".to_string(),
                })
            }
            Curation::Status(status) => {
                if meta.status.as_deref() == Some(status) {
                    return None;
                }
                meta.status = Some(status.clone());
                Some(format!("status: {status}"))
            }
        }
    }
}

impl Repository {
    /// Tags, rates or sets the status of `run`: a commit on the run that adds no event and changes only its
    /// metadata. Nothing is committed when the run already is as asked.
    pub fn curate(&self, run: &str, change: &Curation) -> Result<CurateOutcome, RepoError> {
        change.check()?;
        let name = RefName::run(run)?;
        let cwd = std::env::current_dir().unwrap_or_default();
        let author = self.author(&cwd);
        let time = Timestamp::now().map_err(RepoError::BadTimestamp)?;
        let mut changed = false;
        let (id, commit) = self.advance(&name, run, "curate", |head, commit| {
            let mut meta = commit.run.clone();
            let Some(message) = change.apply(&mut meta) else {
                changed = false;
                return Ok(None);
            };
            changed = true;
            Ok(Some(
                history::StateCommit {
                    parents: vec![head],
                    meta,
                    tree: commit.tree,
                    objects: Vec::new(),
                    author: author.clone(),
                    time,
                    message,
                    extra: Default::default(),
                }
                .build(),
            ))
        })?;
        Ok(CurateOutcome {
            run: run.to_string(),
            id,
            commit,
            changed,
        })
    }

    /// Moves the existing branch `name` to the commit `build` makes from its head (or leaves it when `build` makes
    /// none), starting again from the new head when another process moved the branch first. Returns the head
    /// afterwards. `action` names the update in the reference log.
    pub(super) fn advance(
        &self,
        name: &RefName,
        shown: &str,
        action: &str,
        mut build: impl FnMut(ObjectId, &Commit) -> Result<Option<BuiltCommit>, RepoError>,
    ) -> Result<(ObjectId, Commit), RepoError> {
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                // Many writers of one branch: wait a little, longer each time, at a different pace each.
                let jitter = u64::from(std::process::id() % 7) + attempt as u64;
                std::thread::sleep(std::time::Duration::from_millis(jitter * (attempt as u64)));
            }
            // Held from reading what the new commit refers to (this head, and whatever `build` reads: another
            // branch's head for a merge) to the reference update, so that gc never deletes any of it meanwhile.
            let guard = self.write_guard()?;
            let head = self
                .refs
                .read(name)?
                .ok_or_else(|| RepoError::UnknownRun(shown.to_string()))?;
            let commit = history::read_commit(&self.odb, head)?;
            let Some(built) = build(head, &commit)? else {
                return Ok((head, commit));
            };
            self.odb.write_batch(&built.objects)?;
            let entry = ReflogEntry {
                old: Some(head.to_hex()),
                new: Some(built.id.to_hex()),
                author: built.commit.author.clone(),
                time: built.commit.time.clone(),
                message: format!("{action}: {}", built.commit.message),
            };
            let updated = self.refs.update(name, Some(head), Some(built.id), &entry);
            drop(guard);
            match updated {
                Ok(()) => return Ok((built.id, built.commit)),
                Err(RefError::Stale { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(RepoError::Contended {
            run: shown.to_string(),
            attempts: ATTEMPTS,
        })
    }
}
