//! `hive clone`.

use super::Context;
use super::error::CliError;
use super::output::Output;
use super::transfer;
use hive::Repository;
use hive::sync::{RemoteUrl, SyncError, remote};
use std::path::PathBuf;

/// Copy a remote repository into a new project directory.
///
/// Creates DIR/.hive, adds the remote as origin, and pulls every run and workspace the remote lets you read.
/// Every object is checked against its hash on arrival. An interrupted clone can be finished with `hive pull`
/// inside DIR.
///
/// Example: hive clone http://hive.internal:8474/team team-sessions
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A path, file://PATH, or http(s)://HOST:PORT/REPO.
    url: String,
    /// The new directory (default: the repository's name, without .hive).
    directory: Option<PathBuf>,
    /// The token for a server, stored with the remote (HIVE_TOKEN is used when this is not given).
    #[arg(long)]
    token: Option<String>,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
    /// Print the result as JSON (docs/JSON.md).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let url = RemoteUrl::parse(&args.url, &context.cwd)?;
    let directory = match args.directory {
        Some(directory) => context.cwd.join(directory),
        None => {
            let last = match &url {
                RemoteUrl::Path(path) => path
                    .file_name()
                    .map(|name| name.to_string_lossy().to_string())
                    .filter(|name| name != ".hive")
                    .or_else(|| {
                        path.parent()
                            .and_then(|parent| parent.file_name())
                            .map(|name| name.to_string_lossy().to_string())
                    })
                    .unwrap_or_else(|| "hive".into()),
                RemoteUrl::Http { repo, .. } => repo.clone(),
            };
            context.cwd.join(last.trim_end_matches(".hive"))
        }
    };
    let empty = std::fs::read_dir(&directory).is_ok_and(|mut entries| entries.next().is_none());
    if directory.exists() && !empty {
        return Err(SyncError::DestinationExists(directory).into());
    }
    let existed = directory.exists();
    hive::fsutil::create_dir_all(&directory).map_err(hive::RepoError::from)?;
    let cloned = clone_into(
        &url,
        &directory,
        args.token.as_deref(),
        args.quiet || args.json,
        context,
    );
    let report = match cloned {
        Ok(report) => report,
        Err(error) => {
            // A failed clone leaves nothing behind: the directory as it was (absent, or empty).
            if existed {
                let _ = std::fs::remove_dir_all(directory.join(hive::repo::HIVE_DIR));
            } else {
                let _ = std::fs::remove_dir_all(&directory);
            }
            return Err(error);
        }
    };
    let mut out = Output::new();
    if !args.json {
        out.line(format!(
            "Cloned {} into {}",
            url.to_url(),
            directory.display()
        ))?;
    }
    super::pull::print_pull(&mut out, &report, &url.to_url(), args.json)?;
    out.finish()?;
    Ok(0)
}

fn clone_into(
    url: &RemoteUrl,
    directory: &std::path::Path,
    token: Option<&str>,
    quiet: bool,
    context: &Context,
) -> Result<hive::sync::PullReport, CliError> {
    let (repo, _) = Repository::init(directory)?;
    remote::add(&repo, "origin", url, token)?;
    let repo = Repository::open(repo.dir())?;
    let who = repo.author(&context.cwd);
    let transport = remote::connect(url, token, false, &who)?;
    let progress = transfer::progress(quiet, "receiving");
    let report = hive::sync::clone(&repo, transport.as_ref(), &progress);
    transfer::end_progress(quiet);
    Ok(report?)
}
