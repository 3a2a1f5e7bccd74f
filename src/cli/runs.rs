//! `hive runs`.

use super::Context;
use super::error::CliError;
use super::output::{Output, short};
use serde_json::json;

/// List runs: one line each with name, status, agent, model, events and last time.
///
/// Runs with staged but uncommitted events show `+N staged`. The filters keep the runs that meet all of them; a
/// run's time, for --since and --until, is its first event's (or its last commit's when its events have none).
///
/// Example: hive runs --status success --min-rating 4 --since 7d
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    filter: super::filter::FilterArgs,
    /// Print one JSON object per run (JSON Lines).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let filter = args.filter.filter()?;
    let runs = repo.runs_matching(&filter)?;
    let mut out = Output::new();
    if args.json {
        for run in &runs {
            let meta = run.head.as_ref().map(|(_, commit)| &commit.run);
            out.json(&json!({
                "name": run.name,
                "head": run.head.as_ref().map(|(id, _)| id.to_hex()),
                "status": meta.and_then(|meta| meta.status.clone()),
                "agent": meta.and_then(|meta| meta.agent.clone()),
                "model": meta.and_then(|meta| meta.model.clone()),
                "events": meta.map(|meta| meta.events).unwrap_or(0),
                "staged": run.staged,
                "last": run.head.as_ref().map(|(_, commit)| commit.time.clone()),
                "tokens": meta.map(|meta| meta.tokens),
                "cost_usd": meta.and_then(|meta| meta.cost_usd),
                "duration_ms": meta.and_then(|meta| meta.duration_ms),
                "forked_from": meta.and_then(|meta| meta.forked_from.clone()),
                "tags": meta.map(|meta| meta.tags.clone()).unwrap_or_default(),
                "rating": meta.and_then(|meta| meta.rating),
                "workspace": meta.and_then(|meta| meta.workspace.clone()),
            }))?;
        }
        return out.finish().map(|()| 0);
    }
    if runs.is_empty() && !filter.is_empty() {
        super::output::note("no run matches");
    } else if runs.is_empty() {
        super::output::note(
            "no runs yet: stage events with `hive append --run NAME FILE`, then `hive commit`",
        );
    }
    let width = runs
        .iter()
        .map(|run| run.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    if !runs.is_empty() {
        out.line(format!(
            "{:<width$}  {:<10}  {:<12}  {:<24}  {:>16}  {:<24}  HEAD",
            "RUN", "STATUS", "AGENT", "MODEL", "EVENTS", "LAST"
        ))?;
    }
    for run in &runs {
        let meta = run.head.as_ref().map(|(_, commit)| &commit.run);
        let text = |value: Option<&Option<String>>| {
            value
                .and_then(|value| value.clone())
                .unwrap_or_else(|| "-".into())
        };
        let mut events = meta.map(|meta| meta.events).unwrap_or(0).to_string();
        if run.staged > 0 {
            events.push_str(&format!(" +{} staged", run.staged));
        }
        out.line(format!(
            "{:<width$}  {:<10}  {:<12}  {:<24}  {:>16}  {:<24}  {}",
            run.name,
            text(meta.map(|meta| &meta.status)),
            text(meta.map(|meta| &meta.agent)),
            text(meta.map(|meta| &meta.model)),
            events,
            run.head
                .as_ref()
                .map(|(_, commit)| commit.time.as_str())
                .unwrap_or("-"),
            run.head
                .as_ref()
                .map(|(id, _)| short(id))
                .unwrap_or_else(|| "-".into()),
        ))?;
    }
    out.finish()?;
    Ok(0)
}
