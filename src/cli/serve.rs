//! `hive serve`.

use super::Context;
use super::error::{CliError, code};
use hive::server::{ServeOptions, serve};
use hive::sync::Limits;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Serve the repositories under a directory to a team over HTTP.
///
/// Each subdirectory ROOT/REPO is a repository, reached as http://HOST:PORT/REPO (`hive clone`, `hive remote
/// add`). Requests carry a token (`hive token create`): without a valid one the answer is 401; a repository
/// the token may not read answers 404, as a missing one does. A token's grants give read, write or admin access
/// to a repository's runs and workspaces, or to those whose names start with a prefix; a push to a missing
/// repository creates it when the token has admin access to all of it. Clients only ever receive objects
/// reachable from references they may read.
///
/// The server speaks plain HTTP: put a reverse proxy (nginx, Caddy) in front of it for TLS. It prints its URL
/// on stdout once it listens, and logs to stderr. SIGINT or SIGTERM stops it: transfers in flight get --grace
/// seconds to finish; one cut off leaves its repository as it was, and the client's retry resumes it.
///
/// Example: hive serve --root /srv/hive --addr 0.0.0.0:8474
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory holding the repositories.
    #[arg(long)]
    root: PathBuf,
    /// Where to listen (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8474")]
    addr: SocketAddr,
    /// The tokens file (default: ROOT/.tokens.json).
    #[arg(long)]
    tokens: Option<PathBuf>,
    /// Serve without tokens: everyone who can connect may read and write everything. For a trusted network.
    #[arg(long, conflicts_with = "tokens")]
    no_auth: bool,
    /// Largest push, in MiB on the wire.
    #[arg(long, default_value_t = 4096)]
    max_push_mb: u64,
    /// Largest single object, in MiB.
    #[arg(long, default_value_t = 512)]
    max_object_mb: u64,
    /// Largest decompressed push, in MiB.
    #[arg(long, default_value_t = 32768)]
    max_unpacked_mb: u64,
    /// Seconds transfers in flight may take to finish after a shutdown signal.
    #[arg(long, default_value_t = 30)]
    grace: u64,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let root = context.cwd.join(&args.root);
    let tokens = if args.no_auth {
        None
    } else {
        let path = args
            .tokens
            .map(|path| context.cwd.join(path))
            .unwrap_or_else(|| root.join(".tokens.json"));
        if !path.is_file() {
            return Err(CliError::new(
                code::NOT_FOUND,
                format!("no tokens file at {}", path.display()),
                format!(
                    "create a token first: `hive token create --root {} --name NAME --grant admin:*`, or pass --no-auth on a trusted network",
                    args.root.display()
                ),
            ));
        }
        Some(path)
    };
    let limits = Limits {
        max_body: args.max_push_mb << 20,
        max_stream: args.max_unpacked_mb << 20,
        max_object: args.max_object_mb << 20,
        ..Limits::default()
    };
    let options = ServeOptions {
        root,
        addr: args.addr,
        tokens,
        limits,
        grace: Duration::from_secs(args.grace),
    };
    let log: hive::server::LogFn = Arc::new(|line: &str| {
        let _ = writeln!(std::io::stderr().lock(), "hive serve: {line}");
    });
    serve(
        options,
        |addr| {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "http://{addr}");
            let _ = stdout.flush();
        },
        log,
    )
    .map_err(|error| {
        CliError::new(
            code::SYSTEM,
            error.to_string(),
            "check the address (is the port taken?), the root directory and the tokens file",
        )
    })?;
    Ok(0)
}
