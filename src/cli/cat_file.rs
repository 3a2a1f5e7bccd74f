//! `hive cat-file`.

use super::Context;
use super::error::{CliError, code};
use super::output::{Output, object_json};
use hive::ObjectKind;
use hive::store::ObjectStore;
use serde_json::json;

/// Print one stored object, or every object (--all), decoded. Plumbing, for audits and scripts.
///
/// Events are printed as stored: payloads moved into blobs appear as references under `$refs`
/// (`hive show RUN@SEQ` resolves them).
///
/// Example: hive cat-file -p fix-login    (the run's head commit)
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("mode").args(["kind", "size", "pretty", "all"]).required(true))]
pub struct Args {
    /// Print the object's kind.
    #[arg(short = 't')]
    kind: bool,
    /// Print the size of the object's body in bytes.
    #[arg(short = 's')]
    size: bool,
    /// Print the object decoded: blobs as their bytes, everything else as JSON.
    #[arg(short = 'p')]
    pretty: bool,
    /// Print every object in the repository, one JSON object per line: id, kind, size, body.
    #[arg(long)]
    all: bool,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
    /// The object: an id or id prefix, RUN, RUN~N or RUN@SEQ.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    object: Option<String>,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let mut out = Output::new();
    if args.all {
        let mut ids = repo.odb().ids()?;
        ids.sort();
        for id in ids {
            let raw = repo
                .odb()
                .read(&id)?
                .ok_or(hive::RepoError::MissingObject(id))?;
            out.json(&json!({"id": id.to_hex(), "kind": raw.kind.name(), "size": raw.body.len(), "body": object_json(&raw)}))?;
        }
        return out.finish().map(|()| 0);
    }
    let revision = args
        .object
        .as_deref()
        .expect("clap requires an object without --all");
    let id = repo.resolve(revision)?.id();
    let raw = repo
        .odb()
        .read(&id)?
        .ok_or(hive::RepoError::MissingObject(id))?;
    if args.kind {
        if args.json {
            out.json(&json!({"id": id.to_hex(), "kind": raw.kind.name()}))?;
        } else {
            out.line(raw.kind.name())?;
        }
    } else if args.size {
        if args.json {
            out.json(&json!({"id": id.to_hex(), "size": raw.body.len()}))?;
        } else {
            out.line(raw.body.len().to_string())?;
        }
    } else if args.json {
        out.json(&json!({"id": id.to_hex(), "kind": raw.kind.name(), "size": raw.body.len(), "body": object_json(&raw)}))?;
    } else if raw.kind == ObjectKind::Blob {
        out.bytes(&raw.body)?;
    } else {
        let body = object_json(&raw);
        if body.get("error").is_some() && raw.kind != ObjectKind::Event {
            return Err(CliError::new(
                code::CORRUPT,
                format!("object {id} does not decode: {}", body["error"]),
                "run `hive fsck`",
            ));
        }
        out.json_pretty(&body)?;
    }
    out.finish()?;
    Ok(0)
}
