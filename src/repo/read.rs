//! Reading runs: listing them, their commits and their events.

use super::history::{self, read_commit};
use super::{RepoError, Repository};
use crate::id::ObjectId;
use crate::object::Commit;
use crate::payload;
use crate::refs::{RefName, RefStore};
use serde_json::{Map, Value};

/// One run as `hive runs` lists it.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// The run's name.
    pub name: String,
    /// Its head commit and that commit, if anything was committed.
    pub head: Option<(ObjectId, Commit)>,
    /// Events staged but not committed.
    pub staged: u64,
}

/// One event, resolved, with where it sits.
#[derive(Clone, Debug)]
pub struct ShownEvent {
    /// The run.
    pub run: String,
    /// Its seq.
    pub seq: u64,
    /// The event object's id.
    pub id: ObjectId,
    /// The event with its payloads resolved.
    pub event: Map<String, Value>,
}

impl Repository {
    /// Every run with a head or staged events, sorted by name.
    pub fn runs(&self) -> Result<Vec<RunSummary>, RepoError> {
        let mut out: Vec<RunSummary> = Vec::new();
        for (name, id) in self.refs.list("runs/")? {
            let run = name.run_name().expect("listed under runs/").to_string();
            let commit = read_commit(&self.odb, id)?;
            out.push(RunSummary {
                name: run,
                head: Some((id, commit)),
                staged: 0,
            });
        }
        for run in self.journal.runs()? {
            let scan = self.journal.read(&run)?;
            let position = out.iter().position(|summary| summary.name == run);
            let committed = position
                .and_then(|at| out[at].head.as_ref())
                .map(|(_, commit)| commit.run.events)
                .unwrap_or(0);
            let staged = scan
                .events
                .iter()
                .filter(|staged| staged.seq >= committed)
                .count() as u64;
            match position {
                Some(at) => out[at].staged = staged,
                None if staged > 0 => out.push(RunSummary {
                    name: run,
                    head: None,
                    staged,
                }),
                None => {}
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The head of `run`, or an error naming the unknown run.
    pub fn require_head(&self, run: &str) -> Result<(ObjectId, Commit), RepoError> {
        self.head(run)?
            .ok_or_else(|| RepoError::UnknownRun(run.to_string()))
    }

    /// Commits from `start` following first parents, newest first; at most `limit`.
    pub fn log_from(
        &self,
        start: ObjectId,
        limit: Option<usize>,
    ) -> Result<Vec<(ObjectId, Commit)>, RepoError> {
        let mut out = Vec::new();
        let mut next = Some(start);
        while let Some(id) = next {
            if limit.is_some_and(|limit| out.len() >= limit) {
                break;
            }
            let commit = read_commit(&self.odb, id)?;
            next = commit.first_parent();
            out.push((id, commit));
        }
        Ok(out)
    }

    /// Commits of every run, newest first by time, each once.
    pub fn log_all(&self, limit: Option<usize>) -> Result<Vec<(ObjectId, Commit)>, RepoError> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for (_, head) in self.refs.list("runs/")? {
            for (id, commit) in self.log_from(head, None)? {
                if seen.insert(id) {
                    out.push((id, commit));
                }
            }
        }
        out.sort_by(|a, b| {
            b.1.time
                .cmp(&a.1.time)
                .then_with(|| b.1.run.events.cmp(&a.1.run.events))
        });
        if let Some(limit) = limit {
            out.truncate(limit);
        }
        Ok(out)
    }

    /// Every event of `run`, resolved, in seq order.
    pub fn events(&self, run: &str) -> Result<Vec<ShownEvent>, RepoError> {
        let (head, _) = self.require_head(run)?;
        Ok(history::read_run_events(&self.odb, head)?
            .into_iter()
            .enumerate()
            .map(|(seq, (id, event))| ShownEvent {
                run: run.to_string(),
                seq: seq as u64,
                id,
                event,
            })
            .collect())
    }

    /// The event with `seq` in `run`, resolved.
    pub fn event(&self, run: &str, seq: u64) -> Result<ShownEvent, RepoError> {
        let (head, commit) = self.require_head(run)?;
        let id = history::event_id_at(&self.odb, head, seq)?.ok_or(RepoError::NoSuchEvent {
            run: run.to_string(),
            seq,
            count: commit.run.events,
        })?;
        let mut event = history::read_event(&self.odb, id)?;
        payload::resolve(&mut event, &self.odb)?;
        Ok(ShownEvent {
            run: run.to_string(),
            seq,
            id,
            event,
        })
    }

    /// The reference log of `run`.
    pub fn reflog(&self, run: &str) -> Result<Vec<crate::refs::ReflogEntry>, RepoError> {
        Ok(self.refs.reflog(&RefName::run(run)?)?)
    }
}

/// Which runs to keep: every condition given must hold. Text conditions on agent, model and author match any part
/// of the value, ignoring case; status, tags and workspace match exactly.
#[derive(Clone, Debug, Default)]
pub struct RunFilter {
    /// The run's status.
    pub status: Option<String>,
    /// The lowest rating kept (runs without a rating are left out).
    pub min_rating: Option<i64>,
    /// Tags the run must all carry.
    pub tags: Vec<String>,
    /// Part of the agent's name.
    pub agent: Option<String>,
    /// Part of the model's name.
    pub model: Option<String>,
    /// Part of the author of the run's first commit (`Name <email>`).
    pub author: Option<String>,
    /// Runs whose time (first event, else head commit) is at or after this.
    pub since: Option<crate::time::Timestamp>,
    /// Runs whose time is at or before this.
    pub until: Option<crate::time::Timestamp>,
    /// The run's workspace.
    pub workspace: Option<String>,
}

impl RunFilter {
    /// Whether the filter keeps every run.
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.min_rating.is_none()
            && self.tags.is_empty()
            && self.agent.is_none()
            && self.model.is_none()
            && self.author.is_none()
            && self.since.is_none()
            && self.until.is_none()
            && self.workspace.is_none()
    }

    /// Whether the run described by `facts` is kept. An author is compared only with `facts.author`, so facts
    /// made without it are not kept by a filter on the author.
    pub fn matches(&self, facts: &RunFacts) -> bool {
        let contains = |value: &Option<String>, part: &Option<String>| match part {
            None => true,
            Some(part) => value
                .as_deref()
                .is_some_and(|value| value.to_lowercase().contains(&part.to_lowercase())),
        };
        let time = facts
            .time
            .as_deref()
            .and_then(|text| crate::time::Timestamp::parse(text).ok());
        self.status
            .as_ref()
            .is_none_or(|status| facts.status.as_ref() == Some(status))
            && self
                .min_rating
                .is_none_or(|least| facts.rating.is_some_and(|rating| rating >= least))
            && self.tags.iter().all(|tag| facts.tags.contains(tag))
            && contains(&facts.agent, &self.agent)
            && contains(&facts.model, &self.model)
            && contains(&facts.author, &self.author)
            && self
                .workspace
                .as_ref()
                .is_none_or(|workspace| facts.workspace.as_ref() == Some(workspace))
            && self
                .since
                .is_none_or(|since| time.is_some_and(|time| time >= since))
            && self
                .until
                .is_none_or(|until| time.is_some_and(|time| time <= until))
    }
}

/// What a [`RunFilter`] looks at in a run: its head commit's metadata and the author of its first commit.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunFacts {
    /// The run's status.
    pub status: Option<String>,
    /// The run's rating.
    pub rating: Option<i64>,
    /// The run's tags.
    pub tags: Vec<String>,
    /// The agent.
    pub agent: Option<String>,
    /// The model.
    pub model: Option<String>,
    /// The run's workspace.
    pub workspace: Option<String>,
    /// The time of the run's first event, else of its head commit (RFC 3339).
    pub time: Option<String>,
    /// The author of the run's first commit (`Name <email>`); `None` when not looked up.
    pub author: Option<String>,
}

impl RunFacts {
    /// The facts `head` states, without the author (see [`Repository::first_author`]).
    pub fn of_head(head: &Commit) -> RunFacts {
        let meta = &head.run;
        RunFacts {
            status: meta.status.clone(),
            rating: meta.rating,
            tags: meta.tags.clone(),
            agent: meta.agent.clone(),
            model: meta.model.clone(),
            workspace: meta.workspace.clone(),
            time: meta
                .started
                .clone()
                .filter(|text| crate::time::Timestamp::parse(text).is_ok())
                .or_else(|| Some(head.time.clone())),
            author: None,
        }
    }
}

impl Repository {
    /// The runs `filter` keeps, sorted by name; a run with staged events only is kept by an empty filter alone.
    pub fn runs_matching(&self, filter: &RunFilter) -> Result<Vec<RunSummary>, RepoError> {
        let runs = self.runs()?;
        if filter.is_empty() {
            return Ok(runs);
        }
        let mut kept = Vec::new();
        for run in runs {
            let Some((head, commit)) = &run.head else {
                continue;
            };
            let mut facts = RunFacts::of_head(commit);
            if filter.author.is_some() {
                facts.author = Some(self.first_author(*head)?);
            }
            if filter.matches(&facts) {
                kept.push(run);
            }
        }
        Ok(kept)
    }

    /// The author of the first commit of the run whose head is `head`.
    pub fn first_author(&self, head: ObjectId) -> Result<String, RepoError> {
        Ok(self
            .log_from(head, None)?
            .pop()
            .map(|(_, commit)| commit.author)
            .unwrap_or_default())
    }
}
