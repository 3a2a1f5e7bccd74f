//! `hive show`.

use super::Context;
use super::error::CliError;
use super::output::{Output, commit_json, object_json, short};
use hive::event::Event;
use hive::object::{Commit, EventList};
use hive::repo::{Repository, Resolved, ShownEvent};
use hive::store::ObjectStore;
use hive::{ObjectId, ObjectKind, RepoError};
use serde_json::{Value, json};

/// Show a run, a commit, an event or any object.
///
/// RUN or a commit: the commit and the events it added, one line each. RUN@SEQ or an event id: the whole event
/// with large payloads put back in place. Other objects: decoded, as `hive cat-file -p`.
///
/// Example: hive show fix-login@3
#[derive(Debug, clap::Args)]
pub struct Args {
    /// RUN, RUN~N, RUN@SEQ, or an object id (4+ hex digits).
    revision: String,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let resolved = repo.resolve(&args.revision)?;
    let id = resolved.id();
    let raw = repo.odb().read(&id)?.ok_or(RepoError::MissingObject(id))?;
    let mut out = Output::new();
    match raw.kind {
        ObjectKind::Commit => {
            let commit = Commit::decode(&raw).map_err(|source| RepoError::Decode { id, source })?;
            show_commit(&repo, id, &commit, args.json, &mut out)?;
        }
        ObjectKind::Event => {
            let mut event = hive::repo::read_event(repo.odb(), id)?;
            hive::payload::resolve(&mut event, repo.odb()).map_err(RepoError::from)?;
            let (run, seq) = match &resolved {
                Resolved::Event { run, seq, .. } => (Some(run.clone()), Some(*seq)),
                _ => (None, event.get("seq").and_then(Value::as_u64)),
            };
            if args.json {
                out.json(&json!({"type": "event", "id": id.to_hex(), "run": run, "seq": seq, "event": event}))?;
            } else {
                out.json_pretty(&Value::Object(event))?;
            }
        }
        _ => {
            if args.json {
                out.json(
                    &json!({"type": raw.kind.name(), "id": id.to_hex(), "body": object_json(&raw)}),
                )?;
            } else if raw.kind == ObjectKind::Blob {
                out.bytes(&raw.body)?;
            } else {
                out.json_pretty(&object_json(&raw))?;
            }
        }
    }
    out.finish()?;
    Ok(0)
}

fn added_events(repo: &Repository, commit: &Commit) -> Result<Vec<ShownEvent>, CliError> {
    let Some(list_id) = commit.events else {
        return Ok(Vec::new());
    };
    let raw = repo
        .odb()
        .read(&list_id)?
        .ok_or(RepoError::MissingObject(list_id))?;
    let list = EventList::decode(&raw).map_err(|source| RepoError::Decode {
        id: list_id,
        source,
    })?;
    let mut out = Vec::with_capacity(list.events.len());
    for (offset, id) in list.events.iter().enumerate() {
        let mut event = hive::repo::read_event(repo.odb(), *id)?;
        hive::payload::resolve(&mut event, repo.odb()).map_err(RepoError::from)?;
        out.push(ShownEvent {
            run: commit.run.name.clone(),
            seq: list.first_seq + offset as u64,
            id: *id,
            event,
        });
    }
    Ok(out)
}

fn show_commit(
    repo: &Repository,
    id: ObjectId,
    commit: &Commit,
    json_output: bool,
    out: &mut Output,
) -> Result<(), CliError> {
    let events = added_events(repo, commit)?;
    if json_output {
        let mut value = commit_json(&id, commit);
        value["type"] = json!("commit");
        value["added"] = Value::Array(
            events
                .into_iter()
                .map(|shown| json!({"seq": shown.seq, "id": shown.id.to_hex(), "event": shown.event}))
                .collect(),
        );
        return out.json(&value);
    }
    let meta = &commit.run;
    out.line(format!("commit {id}"))?;
    out.line(format!("Run:      {}", meta.name))?;
    if let [_, merged @ ..] = commit.parents.as_slice() {
        for parent in merged {
            let name = repo
                .odb()
                .read(parent)
                .ok()
                .flatten()
                .and_then(|raw| Commit::decode(&raw).ok())
                .map(|commit| commit.run.name)
                .unwrap_or_default();
            out.line(format!("Merge:    {} ({name})", short(parent)))?;
        }
    }
    out.line(format!("Author:   {}", commit.author))?;
    out.line(format!("Date:     {}", commit.time))?;
    let mut facts = vec![format!("status {}", meta.status.as_deref().unwrap_or("-"))];
    if let Some(agent) = &meta.agent {
        facts.push(format!("agent {agent}"));
    }
    if let Some(model) = &meta.model {
        facts.push(format!("model {model}"));
    }
    facts.push(format!("{} events", meta.events));
    if !meta.tokens.is_zero() {
        facts.push(format!(
            "tokens {} in / {} out",
            meta.tokens.input, meta.tokens.output
        ));
    }
    if let Some(cost) = meta.cost_usd {
        facts.push(format!("${cost:.4}"));
    }
    if let Some(duration) = meta.duration_ms {
        facts.push(format!("{:.1}s", duration as f64 / 1000.0));
    }
    if let Some(rating) = meta.rating {
        facts.push(format!("rated {rating}/5"));
    }
    out.line(format!("Run info: {}", facts.join(", ")))?;
    if !meta.tags.is_empty() {
        out.line(format!("Tags:     {}", meta.tags.join(", ")))?;
    }
    if let Some(workspace) = &meta.workspace {
        out.line(format!("Workspace: {workspace}"))?;
    }
    if let Some(fork) = &meta.forked_from {
        out.line(format!(
            "Forked:   from {}@{} (its first {} events)",
            fork.run, fork.seq, fork.seq
        ))?;
    }
    if let Some(code) = &meta.code {
        let commit_text = code
            .commit
            .as_deref()
            .map(|text| &text[..text.len().min(12)])
            .unwrap_or("-");
        out.line(format!(
            "Code:     {} {} {}{}",
            code.root,
            code.branch.as_deref().unwrap_or("(detached)"),
            commit_text,
            if code.dirty { " (dirty)" } else { "" }
        ))?;
    }
    out.line("")?;
    for line in commit.message.lines() {
        out.line(format!("    {line}"))?;
    }
    out.line("")?;
    for shown in events {
        let (seq, event_id, event) = (shown.seq, shown.id, shown.event);
        let kind = event
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let summary = Event::from_map(event)
            .map(|event| event.summary(80))
            .unwrap_or_default();
        out.line(format!(
            "{seq:>6}  {}  {kind:<17}  {summary}",
            short(&event_id)
        ))?;
    }
    Ok(())
}
