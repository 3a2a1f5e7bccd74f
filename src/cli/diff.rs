//! `hive diff`.

use super::Context;
use super::error::CliError;
use super::output::{Output, short};
use hive::event::Event;
use hive::repo::{DiffEvent, DiffOp, DiffSide, FieldChange, RunDiff, RunStats};
use serde_json::{Value, json};

/// Compare two runs event by event: where they part, and what each did differently.
///
/// Events are aligned by what they are (kind, tool, input, text, output), not by position, so an extra step in
/// one run shows as one event only in that run and the rest still line up. Each event after the history the runs
/// share is shown as same (=), changed (~, with the fields that differ), only in A (-) or only in B (+). Seqs,
/// times, ids and usage are not compared. A fork and its source share their first events, which are not read
/// again.
///
/// Example: hive diff fix-login fix-login-retry
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run A (or RUN~N, or a commit id).
    a: String,
    /// Run B.
    b: String,
    /// Put the two runs side by side instead: events, tool calls per tool, errors, tokens, cost, duration, status.
    #[arg(long)]
    stat: bool,
    /// Show every event, including those that are the same (by default, same events are counted, not listed).
    #[arg(long)]
    all: bool,
    /// Print the result as JSON (docs/JSON.md).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let mut out = Output::new();
    if args.stat {
        let (a, b) = (repo.run_stats(&args.a)?, repo.run_stats(&args.b)?);
        if args.json {
            out.json_pretty(&json!({"a": stats_json(&a), "b": stats_json(&b)}))?;
        } else {
            print_stats(&mut out, &a, &b)?;
        }
        out.finish()?;
        return Ok(0);
    }
    let diff = repo.diff_with(&args.a, &args.b, args.all)?;
    if args.json {
        out.json_pretty(&diff_json(&diff))?;
    } else {
        print_diff(&mut out, &repo, &diff, args.all)?;
    }
    out.finish()?;
    Ok(0)
}

fn side_json(side: &DiffSide) -> Value {
    json!({
        "name": side.name,
        "run": side.commit.run.name,
        "head": side.head.to_hex(),
        "events": side.commit.run.events,
    })
}

fn event_brief(event: Option<&DiffEvent>) -> Value {
    match event {
        Some(event) => json!({"kind": event.kind, "tool": event.tool}),
        None => Value::Null,
    }
}

fn fields_json(fields: &[FieldChange]) -> Value {
    Value::Array(
        fields
            .iter()
            .map(|field| json!({"path": field.path, "a": field.a, "b": field.b}))
            .collect(),
    )
}

fn op_json(diff: &RunDiff, op: &DiffOp) -> Value {
    let (a, b) = op.seqs();
    let event = a
        .and_then(|seq| diff.events_a.get(&seq))
        .or_else(|| b.and_then(|seq| diff.events_b.get(&seq)));
    let mut value = json!({
        "op": match op {
            DiffOp::Same { .. } => "same",
            DiffOp::Changed { .. } => "changed",
            DiffOp::OnlyA { .. } => "only_a",
            DiffOp::OnlyB { .. } => "only_b",
        },
        "a": a,
        "b": b,
        "kind": event.map(|event| event.kind.clone()),
        "tool": event.and_then(|event| event.tool.clone()),
    });
    if let DiffOp::Changed { fields, .. } = op {
        value["fields"] = fields_json(fields);
    }
    value
}

fn diff_json(diff: &RunDiff) -> Value {
    let (same, changed, only_a, only_b) = diff.counts();
    let divergence = diff.first_divergence().map(|op| {
        let value = op_json(diff, op);
        json!({
            "a": value["a"],
            "b": value["b"],
            "event_a": event_brief(value["a"].as_u64().and_then(|seq| diff.events_a.get(&seq))),
            "event_b": event_brief(value["b"].as_u64().and_then(|seq| diff.events_b.get(&seq))),
        })
    });
    json!({
        "a": side_json(&diff.a),
        "b": side_json(&diff.b),
        "shared_prefix": diff.shared_prefix,
        "first_divergence": divergence,
        "counts": {"same": same, "changed": changed, "only_a": only_a, "only_b": only_b},
        "ops": diff.ops.iter().map(|op| op_json(diff, op)).collect::<Vec<_>>(),
    })
}

/// An event on one line: kind, tool and a short summary (its payloads read back first).
fn describe(repo: &hive::Repository, event: Option<&DiffEvent>) -> String {
    let Some(event) = event else {
        return String::new();
    };
    let label = match &event.tool {
        Some(tool) if event.kind != "tool_call" || event.event.is_none() => {
            format!("{} {tool}", event.kind)
        }
        _ => event.kind.clone(),
    };
    let summary = match &event.event {
        Some(stored) => {
            let mut resolved = stored.clone();
            let _ = hive::payload::resolve(&mut resolved, repo.odb());
            Event::from_map(resolved)
                .map(|parsed| parsed.summary(70))
                .unwrap_or_default()
        }
        None => String::new(),
    };
    format!("{label:<22} {summary}")
}

/// A value on one line, cut to `width` characters.
fn brief(value: Option<&Value>, width: usize) -> String {
    let text = match value {
        None => return "(absent)".into(),
        Some(value) => value.to_string(),
    };
    if text.chars().count() > width {
        let cut: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// Lines of changes between two field values: a line diff for text of several lines, else `a → b`.
fn field_lines(field: &FieldChange) -> Vec<String> {
    if let (Some(Value::String(a)), Some(Value::String(b))) = (&field.a, &field.b)
        && (a.contains('\n') || b.contains('\n'))
    {
        let mut lines = vec![format!("        {}:", field.path)];
        let text = similar::TextDiff::from_lines(a.as_str(), b.as_str());
        let mut shown = 0;
        let mut hidden = 0;
        for change in text.iter_all_changes() {
            let sign = match change.tag() {
                similar::ChangeTag::Equal => continue,
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
            };
            if shown < 12 {
                let line = change.value().trim_end_matches('\n');
                let cut: String = line.chars().take(100).collect();
                lines.push(format!("          {sign} {cut}"));
                shown += 1;
            } else {
                hidden += 1;
            }
        }
        if hidden > 0 {
            lines.push(format!("          … {hidden} more changed lines"));
        }
        return lines;
    }
    vec![format!(
        "        {}: {} → {}",
        field.path,
        brief(field.a.as_ref(), 60),
        brief(field.b.as_ref(), 60)
    )]
}

fn print_diff(
    out: &mut Output,
    repo: &hive::Repository,
    diff: &RunDiff,
    all: bool,
) -> Result<(), CliError> {
    let (same, changed, only_a, only_b) = diff.counts();
    for (label, side) in [("A", &diff.a), ("B", &diff.b)] {
        out.line(format!(
            "{label}: {} ({} events, head {})",
            side.commit.run.name,
            side.commit.run.events,
            short(&side.head)
        ))?;
    }
    if diff.shared_prefix > 0 {
        out.line(format!(
            "shared: the first {} events (seq 0..{}), the same event objects",
            diff.shared_prefix,
            diff.shared_prefix - 1
        ))?;
    }
    match diff.first_divergence() {
        None => out.line("the runs hold the same events")?,
        Some(op) => {
            let (a, b) = op.seqs();
            let at = |seq: Option<u64>,
                      name: &str,
                      events: &std::collections::HashMap<u64, DiffEvent>| {
                seq.map(|seq| {
                    let event = events.get(&seq);
                    format!(
                        "{name}@{seq} ({})",
                        event.map(|event| event.kind.as_str()).unwrap_or("?")
                    )
                })
                .unwrap_or_else(|| format!("nothing in {name}"))
            };
            out.line(format!(
                "first divergence: {} / {}",
                at(a, &diff.a.commit.run.name, &diff.events_a),
                at(b, &diff.b.commit.run.name, &diff.events_b)
            ))?;
        }
    }
    out.line("")?;
    let mut hidden_same = 0u64;
    for op in &diff.ops {
        let sign = match op {
            DiffOp::Same { .. } => '=',
            DiffOp::Changed { .. } => '~',
            DiffOp::OnlyA { .. } => '-',
            DiffOp::OnlyB { .. } => '+',
        };
        let (a, b) = op.seqs();
        if sign == '=' && !all {
            hidden_same += 1;
            continue;
        }
        if hidden_same > 0 {
            out.line(format!("  ({hidden_same} same)"))?;
            hidden_same = 0;
        }
        let seq = |seq: Option<u64>| seq.map_or("-".to_string(), |seq| seq.to_string());
        let event = a
            .and_then(|seq| diff.events_a.get(&seq))
            .or_else(|| b.and_then(|seq| diff.events_b.get(&seq)));
        out.line(format!(
            "{sign} {:>6} {:>6}  {}",
            seq(a),
            seq(b),
            describe(repo, event)
        ))?;
        if let DiffOp::Changed { fields, .. } = op {
            for field in fields {
                for line in field_lines(field) {
                    out.line(line)?;
                }
            }
        }
    }
    if hidden_same > 0 {
        out.line(format!("  ({hidden_same} same)"))?;
    }
    out.line("")?;
    out.line(format!(
        "{same} same, {changed} changed, {only_a} only in {}, {only_b} only in {}",
        diff.a.commit.run.name, diff.b.commit.run.name
    ))?;
    Ok(())
}

fn stats_json(stats: &RunStats) -> Value {
    let meta = &stats.commit.run;
    json!({
        "name": stats.name,
        "run": meta.name,
        "head": stats.head.to_hex(),
        "events": meta.events,
        "tool_calls": stats.tool_calls,
        "errors": stats.errors,
        "tokens": meta.tokens,
        "cost_usd": meta.cost_usd,
        "duration_ms": meta.duration_ms,
        "status": meta.status,
        "model": meta.model,
        "agent": meta.agent,
    })
}

fn print_stats(out: &mut Output, a: &RunStats, b: &RunStats) -> Result<(), CliError> {
    let (ma, mb) = (&a.commit.run, &b.commit.run);
    let width = ma.name.len().max(mb.name.len()).max(12);
    let row = |label: &str, left: String, right: String| {
        format!("{label:<18} {left:>width$}  {right:>width$}")
    };
    let text = |value: Option<&String>| value.cloned().unwrap_or_else(|| "-".into());
    out.line(row("", ma.name.clone(), mb.name.clone()))?;
    out.line(row(
        "status",
        text(ma.status.as_ref()),
        text(mb.status.as_ref()),
    ))?;
    out.line(row(
        "agent",
        text(ma.agent.as_ref()),
        text(mb.agent.as_ref()),
    ))?;
    out.line(row(
        "model",
        text(ma.model.as_ref()),
        text(mb.model.as_ref()),
    ))?;
    out.line(row("events", ma.events.to_string(), mb.events.to_string()))?;
    let calls = |stats: &RunStats| stats.tool_calls.values().sum::<u64>().to_string();
    out.line(row("tool calls", calls(a), calls(b)))?;
    let mut tools: Vec<&String> = a.tool_calls.keys().chain(b.tool_calls.keys()).collect();
    tools.sort();
    tools.dedup();
    for tool in tools {
        let count = |stats: &RunStats| stats.tool_calls.get(tool).copied().unwrap_or(0).to_string();
        out.line(row(&format!("  {tool}"), count(a), count(b)))?;
    }
    out.line(row("errors", a.errors.to_string(), b.errors.to_string()))?;
    out.line(row(
        "tokens in / out",
        format!("{} / {}", ma.tokens.input, ma.tokens.output),
        format!("{} / {}", mb.tokens.input, mb.tokens.output),
    ))?;
    let cost = |cost: Option<f64>| cost.map_or("-".into(), |cost| format!("${cost:.4}"));
    out.line(row("cost", cost(ma.cost_usd), cost(mb.cost_usd)))?;
    let duration =
        |ms: Option<u64>| ms.map_or("-".into(), |ms| format!("{:.1}s", ms as f64 / 1000.0));
    out.line(row(
        "duration",
        duration(ma.duration_ms),
        duration(mb.duration_ms),
    ))?;
    Ok(())
}
