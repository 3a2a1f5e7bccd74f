//! `hive tag`.

use super::Context;
use super::error::{CliError, code};
use super::output::{Output, curation_report};
use hive::repo::Curation;

/// Label a run, remove labels, or list them.
///
/// Tags are recorded as a commit on the run that changes only its metadata, so they travel with the run (push,
/// pull, clone) and `hive log` shows who set them and when. A tag is 1 to 100 characters without spaces. `hive runs
/// --tag T` lists the runs that carry T.
///
/// Example: hive tag fix-login reviewed dataset:v2
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run.
    run: String,
    /// Tags to add (or, with --delete, to remove); none: list the run's tags.
    tags: Vec<String>,
    /// Remove the tags instead.
    #[arg(short, long)]
    delete: bool,
    /// Print the result as JSON (docs/JSON.md).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let mut out = Output::new();
    if args.tags.is_empty() {
        if args.delete {
            return Err(CliError::new(
                code::USAGE,
                "--delete needs the tags to remove",
                "for example `hive tag --delete fix-login reviewed`",
            ));
        }
        let (_, head) = repo.require_head(&args.run)?;
        if args.json {
            out.json(&serde_json::json!({"run": args.run, "tags": head.run.tags}))?;
        } else {
            for tag in &head.run.tags {
                out.line(tag)?;
            }
        }
        return out.finish().map(|()| 0);
    }
    let change = if args.delete {
        Curation::Tags {
            add: Vec::new(),
            remove: args.tags,
        }
    } else {
        Curation::Tags {
            add: args.tags,
            remove: Vec::new(),
        }
    };
    let outcome = repo.curate(&args.run, &change)?;
    curation_report(&mut out, &outcome, args.json)?;
    out.finish()?;
    Ok(0)
}
