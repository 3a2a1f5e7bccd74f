//! Writing data to stdout: text lines or JSON, stopping quietly when the reader goes away.

use super::error::CliError;
use serde_json::Value;
use std::io::{BufWriter, StdoutLock, Write};

/// Buffered stdout.
pub struct Output {
    out: BufWriter<StdoutLock<'static>>,
}

impl Output {
    /// Locks stdout.
    pub fn new() -> Self {
        Output {
            out: BufWriter::new(std::io::stdout().lock()),
        }
    }

    /// Writes one line.
    pub fn line(&mut self, text: impl AsRef<str>) -> Result<(), CliError> {
        self.out.write_all(text.as_ref().as_bytes())?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    /// Writes raw bytes.
    pub fn bytes(&mut self, bytes: &[u8]) -> Result<(), CliError> {
        self.out.write_all(bytes)?;
        Ok(())
    }

    /// Writes a value as one line of JSON.
    pub fn json(&mut self, value: &Value) -> Result<(), CliError> {
        serde_json::to_writer(&mut self.out, value).map_err(std::io::Error::from)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    /// Writes a value as indented JSON.
    pub fn json_pretty(&mut self, value: &Value) -> Result<(), CliError> {
        serde_json::to_writer_pretty(&mut self.out, value).map_err(std::io::Error::from)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    /// Sends what is buffered to the reader now.
    pub fn flush(&mut self) -> Result<(), CliError> {
        self.out.flush()?;
        Ok(())
    }

    /// Flushes; call before returning.
    pub fn finish(mut self) -> Result<(), CliError> {
        self.out.flush()?;
        Ok(())
    }
}

/// A note for the person at the terminal, on stderr.
pub fn note(text: impl AsRef<str>) {
    let _ = writeln!(std::io::stderr().lock(), "{}", text.as_ref());
}

/// Short display form of an id.
pub fn short(id: &hive::ObjectId) -> String {
    id.short(12)
}

/// The documented JSON form of a commit (docs/JSON.md, "commit").
pub fn commit_json(id: &hive::ObjectId, commit: &hive::object::Commit) -> Value {
    let mut value = serde_json::to_value(commit).expect("a commit serializes");
    value["id"] = Value::from(id.to_hex());
    value
}

/// The documented JSON form of any object (docs/JSON.md, "object").
pub fn object_json(raw: &hive::object::RawObject) -> Value {
    use hive::ObjectKind;
    use hive::object::{Chunks, Commit, EventList, Tree, decode_event_json};
    let decoded: Result<Value, String> = match raw.kind {
        ObjectKind::Blob => Ok(match std::str::from_utf8(&raw.body) {
            Ok(text) => serde_json::json!({"text": text}),
            Err(_) => serde_json::json!({"hex": raw.body.iter().map(|byte| format!("{byte:02x}")).collect::<String>()}),
        }),
        ObjectKind::Event => decode_event_json(raw).map(Value::Object).map_err(|error| error.to_string()),
        ObjectKind::EventList => EventList::decode(raw)
            .map(|list| serde_json::json!({"first_seq": list.first_seq, "events": list.events.iter().map(|id| id.to_hex()).collect::<Vec<_>>()}))
            .map_err(|error| error.to_string()),
        ObjectKind::Tree => Tree::decode(raw)
            .map(|tree| {
                serde_json::json!({"entries": tree.entries.iter().map(|entry| serde_json::json!({
                    "name": entry.name,
                    "kind": match entry.kind { hive::object::EntryKind::Blob => "blob", hive::object::EntryKind::Tree => "tree" },
                    "id": entry.id.to_hex(),
                })).collect::<Vec<_>>()})
            })
            .map_err(|error| error.to_string()),
        ObjectKind::Commit => Commit::decode(raw).map(|commit| serde_json::to_value(commit).expect("a commit serializes")).map_err(|error| error.to_string()),
        ObjectKind::Chunks => Chunks::decode(raw)
            .map(|chunks| {
                serde_json::json!({"total": chunks.total, "chunks": chunks.chunks.iter().map(|(size, id)| serde_json::json!({"size": size, "id": id.to_hex()})).collect::<Vec<_>>()})
            })
            .map_err(|error| error.to_string()),
    };
    decoded.unwrap_or_else(|error| serde_json::json!({"error": error}))
}

/// A byte count for people: 512 B, 3.4 KB, 12.0 MB.
/// "masked 3 secrets (github_token: 1, openai_key: 2)", or `None` when nothing was masked. Never the secrets.
pub fn redaction_summary(counts: &hive::redact::Counts) -> Option<String> {
    let total: u64 = counts.values().sum();
    if total == 0 {
        return None;
    }
    let each: Vec<String> = counts
        .iter()
        .map(|(detector, count)| format!("{detector}: {count}"))
        .collect();
    Some(format!(
        "masked {total} secret{} ({})",
        if total == 1 { "" } else { "s" },
        each.join(", ")
    ))
}

pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// What `tag`, `rate` and `status` did: the run's curation metadata afterwards, and whether it changed.
pub fn curation_report(
    out: &mut Output,
    outcome: &hive::repo::CurateOutcome,
    json_output: bool,
) -> Result<(), CliError> {
    let meta = &outcome.commit.run;
    if json_output {
        return out.json(&serde_json::json!({
            "run": outcome.run,
            "commit": outcome.id.to_hex(),
            "changed": outcome.changed,
            "tags": meta.tags,
            "rating": meta.rating,
            "status": meta.status,
        }));
    }
    let tags = if meta.tags.is_empty() {
        "none".to_string()
    } else {
        meta.tags.join(", ")
    };
    let rating = meta
        .rating
        .map_or_else(|| "none".to_string(), |rating| format!("{rating}/5"));
    let status = meta.status.as_deref().unwrap_or("none");
    let what = if outcome.changed {
        format!("{}: {}", outcome.run, outcome.commit.message)
    } else {
        format!("{}: unchanged", outcome.run)
    };
    out.line(format!(
        "{what} (tags {tags}; rating {rating}; status {status}; commit {})",
        short(&outcome.id)
    ))
}

/// What a promote, merge or workspace update did (or would do); returns the exit code: 5 when conflicts stopped
/// it.
pub fn merge_report(
    out: &mut Output,
    outcome: &hive::repo::MergeOutcome,
    options: &hive::repo::MergeOptions,
    json_output: bool,
) -> Result<u8, CliError> {
    use hive::repo::KeyChange;
    let refused = outcome.refused(options.strategy);
    let change = |change: &KeyChange| match change {
        KeyChange::Added => "added",
        KeyChange::Changed => "changed",
        KeyChange::Removed => "removed",
    };
    let entry = |entry: &Option<hive::repo::StateEntry>| match entry {
        Some(entry) => serde_json::json!({"value": entry.value, "tags": entry.tags}),
        None => Value::Null,
    };
    if json_output {
        out.json_pretty(&serde_json::json!({
            "from": outcome.from.name,
            "to": outcome.to.name,
            "base": outcome.base.map(|id| id.to_hex()),
            "from_head": outcome.from_head.to_hex(),
            "to_head": outcome.to_head.to_hex(),
            "taken": outcome.taken.iter().map(|(key, kind)| serde_json::json!({"key": key, "change": change(kind)})).collect::<Vec<_>>(),
            "conflicts": outcome.conflicts.iter().map(|conflict| serde_json::json!({
                "key": conflict.key,
                "base": entry(&conflict.base),
                "ambiguous_base": conflict.ambiguous_base,
                "ours": entry(&conflict.ours),
                "theirs": entry(&conflict.theirs),
            })).collect::<Vec<_>>(),
            "commit": outcome.commit.map(|id| id.to_hex()),
            "dry_run": options.dry_run,
            "refused": refused,
        }))?;
    } else {
        let shown = |entry: &Option<hive::repo::StateEntry>| match entry {
            None => "(absent)".to_string(),
            Some(entry) if entry.tags.is_empty() => entry.value.to_string(),
            Some(entry) => format!("{}  [{}]", entry.value, entry.tags.join(", ")),
        };
        for conflict in &outcome.conflicts {
            let settled = match options.strategy {
                hive::repo::Strategy::Refuse => "",
                hive::repo::Strategy::Ours => " (kept ours)",
                hive::repo::Strategy::Theirs => " (took theirs)",
            };
            out.line(format!("conflict: {}{settled}", conflict.key))?;
            if conflict.ambiguous_base {
                out.line("  base:   (the histories have several merge bases, which disagree)")?;
            } else {
                out.line(format!("  base:   {}", shown(&conflict.base)))?;
            }
            out.line(format!(
                "  ours:   {}  ({})",
                shown(&conflict.ours),
                outcome.to.name
            ))?;
            out.line(format!(
                "  theirs: {}  ({})",
                shown(&conflict.theirs),
                outcome.from.name
            ))?;
        }
        let verb = if options.dry_run || refused {
            "would take"
        } else {
            "took"
        };
        for (key, kind) in &outcome.taken {
            if !refused {
                out.line(format!("{verb} {key} ({})", change(kind)))?;
            }
        }
        let summary = match (refused, outcome.commit, options.dry_run) {
            (true, _, _) => format!(
                "{} conflict{}: nothing merged into {}",
                outcome.conflicts.len(),
                if outcome.conflicts.len() == 1 {
                    ""
                } else {
                    "s"
                },
                outcome.to.name
            ),
            (false, _, true) => format!(
                "dry run: {} key{} would change in {}",
                outcome.taken.len(),
                if outcome.taken.len() == 1 { "" } else { "s" },
                outcome.to.name
            ),
            (false, Some(id), false) => format!(
                "{} {} into {}: {} key{} (commit {})",
                options.action,
                outcome.from.name,
                outcome.to.name,
                outcome.taken.len(),
                if outcome.taken.len() == 1 { "" } else { "s" },
                short(&id)
            ),
            (false, None, false) => format!(
                "{} is up to date with {}",
                outcome.to.name, outcome.from.name
            ),
        };
        out.line(summary)?;
        if refused {
            note(
                "hint: settle them with --strategy ours (keep the target's) or --strategy theirs (take the source's), or change one side first",
            );
        }
    }
    Ok(if refused {
        super::error::code::CONFLICT
    } else {
        0
    })
}
