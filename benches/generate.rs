//! Writes the benchmark workload: the same sessions as Claude Code transcripts and as hive event JSON Lines.
//!
//! `cargo bench --bench generate -- --out DIR [--sessions 1000] [--events 200] [--first 0]`
//! writes DIR/claude/session-NNNNN.jsonl and DIR/hive/session-NNNNN.jsonl. The output depends only on the
//! arguments: the same arguments give the same bytes on every machine.
//!
//! `cargo bench --bench generate -- --out DIR --real TRAJECTORIES` instead writes every file of real sessions
//! (JSON and JSON Lines, as in ../shared/trajectories) as DIR/hive/real-NNNNN.jsonl, one `custom` event per record.

mod workload;

use rayon::prelude::*;
use std::io::Write;
use std::path::PathBuf;

struct Options {
    out: PathBuf,
    sessions: u64,
    events: usize,
    first: u64,
    real: Option<PathBuf>,
}

fn parse() -> Result<Options, String> {
    let mut options = Options {
        out: PathBuf::new(),
        sessions: 1000,
        events: 200,
        first: 0,
        real: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--out" => options.out = PathBuf::from(value("--out")?),
            "--sessions" => {
                options.sessions = value("--sessions")?
                    .parse()
                    .map_err(|_| "--sessions takes a number")?
            }
            "--events" => {
                options.events = value("--events")?
                    .parse()
                    .map_err(|_| "--events takes a number")?
            }
            "--first" => {
                options.first = value("--first")?
                    .parse()
                    .map_err(|_| "--first takes a number")?
            }
            "--real" => options.real = Some(PathBuf::from(value("--real")?)),
            // cargo bench passes --bench to every bench binary.
            "--bench" => {}
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if options.out.as_os_str().is_empty() {
        return Err("--out DIR is required".into());
    }
    if options.events < 3 {
        return Err("--events is at least 3".into());
    }
    Ok(options)
}

fn write_lines(path: &PathBuf, lines: impl Iterator<Item = String>) -> std::io::Result<u64> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut bytes = 0;
    for line in lines {
        file.write_all(line.as_bytes())?;
        file.write_all(b"\n")?;
        bytes += line.len() as u64 + 1;
    }
    file.flush()?;
    Ok(bytes)
}

fn write_real(source: &std::path::Path, out: &std::path::Path) {
    let sessions = workload::real_sessions_in(source);
    std::fs::create_dir_all(out.join("hive")).expect("create the output directory");
    let mut bytes = 0;
    for (index, events) in sessions.iter().enumerate() {
        let lines = events
            .iter()
            .map(|event| serde_json::Value::Object(event.clone()).to_string());
        bytes += write_lines(
            &out.join("hive").join(format!("real-{index:05}.jsonl")),
            lines,
        )
        .expect("write a session");
    }
    println!(
        "{} real sessions from {} in {}: {:.1} MB of hive event JSONL",
        sessions.len(),
        source.display(),
        out.display(),
        bytes as f64 / 1e6
    );
}

fn main() {
    let options = match parse() {
        Ok(options) => options,
        Err(message) => {
            eprintln!(
                "error: {message}\nusage: cargo bench --bench generate -- --out DIR [--sessions N] [--events N] [--first N]"
            );
            std::process::exit(2);
        }
    };
    if let Some(real) = &options.real {
        write_real(real, &options.out);
        return;
    }
    for sub in ["claude", "hive"] {
        std::fs::create_dir_all(options.out.join(sub)).expect("create the output directories");
    }
    let started = std::time::Instant::now();
    let totals: (u64, u64) = (options.first..options.first + options.sessions)
        .into_par_iter()
        .map(|session| {
            let name = format!("session-{session:05}.jsonl");
            let claude = workload::claude_records(session, options.events)
                .into_iter()
                .map(|record| record.to_string());
            let claude_bytes = write_lines(&options.out.join("claude").join(&name), claude)
                .expect("write a transcript");
            let hive = workload::session(session, options.events)
                .into_iter()
                .map(|event| serde_json::Value::Object(event).to_string());
            let hive_bytes =
                write_lines(&options.out.join("hive").join(&name), hive).expect("write a session");
            (claude_bytes, hive_bytes)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    println!(
        "{} sessions x {} events in {}: {:.1} MB of Claude Code JSONL, {:.1} MB of hive event JSONL ({:.1}s)",
        options.sessions,
        options.events,
        options.out.display(),
        totals.0 as f64 / 1e6,
        totals.1 as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
}
