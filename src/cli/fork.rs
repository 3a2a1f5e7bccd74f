//! `hive fork`.

use super::Context;
use super::error::{CliError, code};
use super::output::{Output, short};
use serde_json::json;

/// Start a new run from the first events of another, to try a different path from that point.
///
/// RUN@SEQ takes the first SEQ events of RUN (seqs 0 to SEQ-1), so the new run's next event is seq SEQ: the
/// event at RUN@SEQ is where the two runs part. RUN alone takes all of its events. Nothing is copied: the new
/// run shares the events with RUN, and `hive show NEW` says where it was forked from.
///
/// Example: hive fork fix-login@12 fix-login-retry
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run to fork, and how many of its first events to take: RUN@SEQ, or RUN for all of them.
    source: String,
    /// The new run's name.
    new: String,
    /// Commit message; by default "fork of RUN@SEQ".
    #[arg(short, long, default_value = "")]
    message: String,
    /// Print the result as JSON (docs/JSON.md).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let (source, seq) = match args.source.rsplit_once('@') {
        Some((run, seq)) => {
            let seq = seq.parse::<u64>().map_err(|_| {
                CliError::new(
                    code::USAGE,
                    format!(
                        "'{}': what follows @ is not a number of events",
                        args.source
                    ),
                    "write RUN@SEQ, as in fix-login@12, or RUN to take all its events",
                )
            })?;
            (run.to_string(), seq)
        }
        None => {
            let (_, head) = repo.require_head(&args.source)?;
            (args.source.clone(), head.run.events)
        }
    };
    let outcome = repo.fork(&source, seq, &args.new, &args.message)?;
    let mut out = Output::new();
    if args.json {
        out.json_pretty(&json!({
            "run": outcome.run,
            "commit": outcome.id.to_hex(),
            "forked_from": {"run": source, "seq": seq, "head": outcome.source_head.to_hex()},
            "events": outcome.commit.run.events,
        }))?;
    } else {
        out.line(format!(
            "forked {source}@{seq} as {} ({} shared event{}, commit {})",
            outcome.run,
            seq,
            if seq == 1 { "" } else { "s" },
            short(&outcome.id)
        ))?;
    }
    // A search index, when there is one, follows at once (best effort: a search catches it up anyway).
    #[cfg(feature = "search")]
    hive::search::update_if_present(&repo, std::slice::from_ref(&outcome.run));
    out.finish()?;
    Ok(0)
}
