//! `hive gc`.

use super::Context;
use super::error::{CliError, code};
use super::output::Output;
use hive::repo::GcOptions;
use std::time::Duration;

/// Repack every reachable object into one pack (zstd level 19 with long-distance matching) and delete
/// unreachable objects older than the grace period.
///
/// Safe while other hive processes write: objects they may be about to reference are younger than the grace
/// period and are kept. Nothing is deleted if the repository has missing or damaged objects.
///
/// Example: hive gc --prune now
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Delete unreachable objects older than this: `now`, `never`, or a number with s, m, h, d or w.
    #[arg(long, value_name = "AGE", default_value = "2w")]
    prune: String,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_age(text: &str) -> Option<Duration> {
    match text {
        "now" => return Some(Duration::ZERO),
        "never" => return Some(Duration::MAX),
        _ => {}
    }
    let split = text.find(|char: char| !char.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    Some(Duration::from_secs(number.checked_mul(seconds)?))
}

pub fn run(args: Args, context: &Context) -> Result<u8, CliError> {
    let grace = parse_age(&args.prune).ok_or_else(|| {
        CliError::new(
            code::USAGE,
            format!("--prune '{}' is not an age", args.prune),
            "use now, never, or a number with s, m, h, d or w, such as 2w",
        )
    })?;
    let repo = context.repo()?;
    let report = repo.gc(&GcOptions {
        grace,
        ..GcOptions::default()
    })?;
    let mut out = Output::new();
    if args.json {
        out.json(&serde_json::to_value(&report).expect("a report serializes"))?;
    } else {
        out.line(format!(
            "packed {} objects{}; pruned {} unreachable{}, kept {} recent; {} -> {}",
            report.packed,
            report
                .pack
                .as_deref()
                .map(|name| format!(" into pack-{}", &name[..12]))
                .unwrap_or_default(),
            report.pruned,
            if report.purged > 0 {
                format!(" ({} of removed runs)", report.purged)
            } else {
                String::new()
            },
            report.kept_recent,
            super::output::human_bytes(report.bytes_before),
            super::output::human_bytes(report.bytes_after)
        ))?;
    }
    out.finish()?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::parse_age;
    use std::time::Duration;

    #[test]
    fn ages() {
        assert_eq!(parse_age("now"), Some(Duration::ZERO));
        assert_eq!(parse_age("2w"), Some(Duration::from_secs(1_209_600)));
        assert_eq!(parse_age("90m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_age("soon"), None);
        assert_eq!(parse_age("5y"), None);
    }
}
