//! `hive search`.

use super::Context;
use super::error::{CliError, code};
use super::filter::FilterArgs;
use super::output::Output;
use hive::search::{Hit, Query, SearchError, SearchIndex, SearchOptions, SyncProgress};
use serde_json::json;
use std::io::IsTerminal;

/// Find events in every run: messages, reasoning, tool calls and their output, file paths, errors.
///
/// Hits are ranked by BM25, best first, each with its run, seq, kind, tool, time and the passage that matched;
/// `hive show RUN@SEQ` or `hive replay RUN --from SEQ` opens one. Query syntax: words (all must match), "exact
/// phrases", prefix*, fields tool:Bash kind:error file:src/auth.rs, AND, OR, NOT (or -word) and parentheses. The
/// index (.hive/index) is brought up to date with the runs before each search, so a removed run is never found.
///
/// Example: hive search '"linker error" tool:Bash' --since 7d
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to find.
    query: String,
    /// One line per matching run (session), best first, instead of one per event.
    #[arg(long)]
    runs: bool,
    /// Only in this run (repeat for several).
    #[arg(long = "run", value_name = "RUN")]
    run: Vec<String>,
    #[command(flatten)]
    filter: FilterArgs,
    /// At most this many hits (runs, with --runs).
    #[arg(long, short = 'n', default_value_t = 20)]
    limit: usize,
    /// Print one JSON object per hit (JSON Lines; docs/JSON.md).
    #[arg(long)]
    json: bool,
}

pub fn search_error(error: SearchError) -> CliError {
    match error {
        SearchError::Query(message) => CliError::new(
            code::USAGE,
            format!("the query: {message}"),
            "words, \"phrases\", prefix*, tool:NAME kind:KIND file:PATH, AND OR NOT (or -word), parentheses",
        ),
        SearchError::Repo(error) => error.into(),
        SearchError::Index { path, message } => CliError::new(
            code::SYSTEM,
            format!("search index {}: {message}", path.display()),
            "`hive index rebuild` makes it again from the repository",
        ),
    }
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let query = Query::parse(&args.query).map_err(search_error)?;
    for run in &args.run {
        if repo.head(run)?.is_none() {
            return Err(hive::RepoError::UnknownRun(run.clone()).into());
        }
    }
    let mut index = SearchIndex::open(&repo).map_err(search_error)?;
    let limit = args.limit.max(1);
    let options = SearchOptions {
        filter: args.filter.filter()?,
        runs: args.run,
        limit: if args.runs { limit * 50 } else { limit },
    };
    let hits = index
        // A first search builds the index: its progress goes to the terminal.
        .search(&repo, &query, &options, &indexing_progress)
        .map_err(search_error)?;
    let mut out = Output::new();
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if args.runs {
        // Best hit per run, in the order of the best hits.
        let mut order: Vec<(String, usize)> = Vec::new();
        let mut counts: std::collections::HashMap<String, u64> = Default::default();
        for (index, hit) in hits.iter().enumerate() {
            let count = counts.entry(hit.run.clone()).or_insert(0);
            if *count == 0 {
                order.push((hit.run.clone(), index));
            }
            *count += 1;
        }
        for (run, index) in order.into_iter().take(limit) {
            let best = &hits[index];
            if args.json {
                out.json(&json!({
                    "run": run,
                    "hits": counts[&run],
                    "score": best.score,
                    "best": hit_json(best),
                }))?;
            } else {
                out.line(format!(
                    "{run}  {} hit{}, best {}@{}",
                    counts[&run],
                    if counts[&run] == 1 { "" } else { "s" },
                    run,
                    best.seq
                ))?;
                out.line(format!("    {}", marked(best, color)))?;
            }
        }
    } else {
        for hit in &hits {
            if args.json {
                out.json(&hit_json(hit))?;
            } else {
                let tool = hit
                    .tool
                    .as_deref()
                    .map(|tool| format!(" {tool}"))
                    .unwrap_or_default();
                out.line(format!(
                    "{}@{}  {}{tool}  {}",
                    hit.run, hit.seq, hit.kind, hit.ts
                ))?;
                out.line(format!("    {}", marked(hit, color)))?;
            }
        }
    }
    if hits.is_empty() && !args.json {
        super::output::note("no event matches");
    }
    out.finish()?;
    Ok(0)
}

fn hit_json(hit: &Hit) -> serde_json::Value {
    json!({
        "run": hit.run,
        "seq": hit.seq,
        "id": hit.id.to_hex(),
        "kind": hit.kind,
        "tool": hit.tool,
        "ts": hit.ts,
        "score": hit.score,
        "snippet": hit.snippet.text,
        "highlights": hit.snippet.highlights,
    })
}

/// Shows how far indexing got, on standard error when it is a terminal.
pub fn indexing_progress(progress: SyncProgress) {
    if std::io::stderr().is_terminal() {
        eprint!("\rindexing: {}/{} events", progress.done, progress.total);
        if progress.done == progress.total {
            eprintln!();
        }
    }
}

/// The snippet with its matches in bold on a terminal.
fn marked(hit: &Hit, color: bool) -> String {
    if !color {
        return hit.snippet.text.clone();
    }
    let mut out = String::new();
    let mut at = 0;
    for &(begin, end) in &hit.snippet.highlights {
        out.push_str(&hit.snippet.text[at..begin]);
        out.push_str("\u{1b}[1m");
        out.push_str(&hit.snippet.text[begin..end]);
        out.push_str("\u{1b}[0m");
        at = end;
    }
    out.push_str(&hit.snippet.text[at..]);
    out
}
