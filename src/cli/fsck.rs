//! `hive fsck`.

use super::Context;
use super::error::CliError;
use super::output::Output;

/// Verify the repository: every object's hash, every pack and index, that everything a run reaches exists and
/// has the right kind, that run histories are gapless, and the staging journal.
///
/// Exits 0 when nothing is wrong (warnings, such as a torn journal record left by a crash, are printed but do
/// not fail), 1 when something is damaged or missing, with one line per problem.
///
/// Example: hive fsck --json | jq '.problems[]'
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let repo = context.repo()?;
    let started = std::time::Instant::now();
    let report = repo.fsck()?;
    let seconds = started.elapsed().as_secs_f64();
    let mut out = Output::new();
    if args.json {
        let mut value = serde_json::to_value(&report).expect("a report serializes");
        value["ok"] = serde_json::json!(!report.has_errors());
        out.json(&value)?;
    } else {
        for problem in &report.problems {
            let level = match problem.severity {
                hive::repo::Severity::Error => "error",
                hive::repo::Severity::Warning => "warning",
            };
            out.line(format!(
                "{level}: {} {}: {}",
                problem.kind, problem.subject, problem.detail
            ))?;
        }
        out.line(format!(
            "checked {} objects ({} in {} packs and {} loose files) in {:.2}s; {} refs, {} reachable, {} dangling, {} staged events",
            report.objects,
            super::output::human_bytes(report.bytes),
            report.packs,
            report.loose,
            seconds,
            report.refs,
            report.reachable,
            report.dangling,
            report.staged
        ))?;
        let errors = report
            .problems
            .iter()
            .filter(|problem| problem.severity == hive::repo::Severity::Error)
            .count();
        out.line(if errors == 0 {
            "ok".to_string()
        } else {
            format!(
                "{errors} problem{} found",
                if errors == 1 { "" } else { "s" }
            )
        })?;
    }
    out.finish()?;
    Ok(if report.has_errors() {
        super::error::code::CHECK_FAILED
    } else {
        0
    })
}
