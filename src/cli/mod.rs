//! The command line: parsing, dispatch, output and errors. Each command is one file.

mod append;
mod cat_file;
mod clone;
mod commit;
mod connect;
mod diff;
mod disconnect;
mod error;
mod export;
mod fetch;
mod filter;
mod fork;
mod fsck;
mod gc;
mod hook;
mod import;
#[cfg(feature = "search")]
mod index;
mod init;
mod log;
mod memory;
mod merge;
mod output;
mod promote;
mod pull;
mod push;
mod rate;
mod remote;
mod replay;
mod rev_parse;
mod rm;
mod runs;
#[cfg(feature = "search")]
mod search;
#[cfg(feature = "server")]
mod serve;
mod show;
mod status;
mod tag;
#[cfg(feature = "server")]
mod token;
mod transfer;
mod workspace;

use clap::{Parser, Subcommand};
use error::{CliError, code};
use hive::Repository;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// git for AI-agent sessions: capture runs as typed events, store them content-addressed, and
/// review, compare and share them like code.
#[derive(Debug, Parser)]
#[command(name = "hive", version, max_term_width = 100)]
#[command(
    after_help = "Start here:\n  hive init\n  hive append --run first session.jsonl\n  hive commit\n  hive runs\n\n\
Environment: HIVE_DIR (repository to use), HIVE_RUN (default run), HIVE_AUTHOR (\"Name <email>\"),\n\
HIVE_TIMESTAMP (fixed time, RFC 3339 or Unix seconds), HIVE_LOCK_TIMEOUT_MS, NO_COLOR.\n\
Exit codes: 0 ok, 1 check failed, 2 usage, 3 bad input, 4 not found, 5 conflict, 6 damaged repository, 7 system error."
)]
struct Cli {
    /// Run as if hive was started in this directory.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    chdir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Init(init::Args),
    Append(append::Args),
    Commit(commit::Args),
    Runs(runs::Args),
    Log(log::Args),
    Show(show::Args),
    CatFile(cat_file::Args),
    RevParse(rev_parse::Args),
    Fsck(fsck::Args),
    Gc(gc::Args),
    Import(import::Args),
    Export(export::Args),
    Fork(fork::Args),
    Diff(diff::Args),
    Replay(replay::Args),
    Tag(tag::Args),
    Rate(rate::Args),
    Status(status::Args),
    Rm(rm::Args),
    Workspace(workspace::Args),
    Memory(memory::Args),
    Promote(promote::Args),
    Merge(merge::Args),
    #[cfg(feature = "search")]
    Search(search::Args),
    #[cfg(feature = "search")]
    Index(index::Args),
    Remote(remote::Args),
    Push(push::Args),
    Fetch(fetch::Args),
    Pull(pull::Args),
    Clone(clone::Args),
    #[cfg(feature = "server")]
    Serve(serve::Args),
    #[cfg(feature = "server")]
    Token(token::Args),
    Connect(connect::Args),
    Disconnect(disconnect::Args),
    Hook(hook::Args),
}

/// Where the command runs.
pub struct Context {
    /// The working directory.
    pub cwd: PathBuf,
}

impl Context {
    /// The repository: `HIVE_DIR` if set, else the nearest one at or above the working directory.
    pub fn repo(&self) -> Result<Repository, CliError> {
        if let Some(dir) = std::env::var_os("HIVE_DIR").filter(|dir| !dir.is_empty()) {
            let dir = self.cwd.join(dir);
            let dir = if dir.join("config").is_file() {
                dir
            } else {
                dir.join(hive::repo::HIVE_DIR)
            };
            return Ok(Repository::open(&dir)?);
        }
        Ok(Repository::discover(&self.cwd)?)
    }
}

/// Parses the command line, runs the command, and turns failures into messages and exit codes.
pub fn main() -> ExitCode {
    // `hive hook` runs inside an agent, which treats some exit codes as "block": whatever goes wrong there (even
    // arguments an older hive does not know, or a missing working directory) is logged and the exit code is 0.
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let mut words = arguments.iter();
    let mut is_hook = false;
    while let Some(word) = words.next() {
        if word == "-C" {
            words.next();
        } else if !word.starts_with('-') {
            is_hook = word == "hook";
            break;
        }
    }
    if is_hook {
        let failure = match Cli::try_parse() {
            Ok(cli) => run(cli).err().map(|error| error.message),
            Err(error) => Some(error.to_string()),
        };
        // The agent writes the payload whatever happens: take what is left of it, so that it never meets a
        // closed pipe (after a normal run this is the end of input already).
        use std::io::Read;
        let _ = std::io::copy(
            &mut std::io::stdin().lock().take(64 << 20),
            &mut std::io::sink(),
        );
        if let Some(message) = failure {
            hook::log(None, &[], &message);
        }
        return ExitCode::SUCCESS;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(match error.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => code::USAGE,
            });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            if !error.message.is_empty() {
                let mut stderr = std::io::stderr().lock();
                let _ = writeln!(stderr, "error: {}", error.message);
                if let Some(hint) = &error.hint {
                    let _ = writeln!(stderr, "hint: {hint}");
                }
            }
            ExitCode::from(error.code)
        }
    }
}

fn run(cli: Cli) -> Result<u8, CliError> {
    let current = std::env::current_dir().map_err(|error| {
        CliError::new(
            code::SYSTEM,
            format!("cannot read the working directory: {error}"),
            "cd into an existing directory",
        )
    })?;
    let cwd = match cli.chdir {
        Some(dir) => current.join(dir),
        None => current,
    };
    if !cwd.is_dir() {
        return Err(CliError::new(
            code::NOT_FOUND,
            format!("{} is not a directory", cwd.display()),
            "give -C an existing directory",
        ));
    }
    let context = Context { cwd };
    match cli.command {
        Command::Init(args) => init::run(args, &context),
        Command::Append(args) => append::run(args, &context),
        Command::Commit(args) => commit::run(args, &context),
        Command::Runs(args) => runs::run(args, &context),
        Command::Log(args) => log::run(args, &context),
        Command::Show(args) => show::run(args, &context),
        Command::CatFile(args) => cat_file::run(args, &context),
        Command::RevParse(args) => rev_parse::run(args, &context),
        Command::Fsck(args) => fsck::run(args, &context),
        Command::Gc(args) => gc::run(args, &context),
        Command::Import(args) => import::run(args, &context),
        Command::Export(args) => export::run(args, &context),
        Command::Fork(args) => fork::run(args, &context),
        Command::Diff(args) => diff::run(args, &context),
        Command::Replay(args) => replay::run(args, &context),
        Command::Tag(args) => tag::run(args, &context),
        Command::Rate(args) => rate::run(args, &context),
        Command::Status(args) => status::run(args, &context),
        Command::Rm(args) => rm::run(args, &context),
        Command::Workspace(args) => workspace::run(args, &context),
        Command::Memory(args) => memory::run(args, &context),
        Command::Promote(args) => promote::run(args, &context),
        Command::Merge(args) => merge::run(args, &context),
        #[cfg(feature = "search")]
        Command::Search(args) => search::run(args, &context),
        #[cfg(feature = "search")]
        Command::Index(args) => index::run(args, &context),
        Command::Remote(args) => remote::run(args, &context),
        Command::Push(args) => push::run(args, &context),
        Command::Fetch(args) => fetch::run(args, &context),
        Command::Pull(args) => pull::run(args, &context),
        Command::Clone(args) => clone::run(args, &context),
        #[cfg(feature = "server")]
        Command::Serve(args) => serve::run(args, &context),
        #[cfg(feature = "server")]
        Command::Token(args) => token::run(args, &context),
        Command::Connect(args) => connect::run(args, &context),
        Command::Disconnect(args) => disconnect::run(args, &context),
        Command::Hook(args) => hook::run(args, &context),
    }
}
