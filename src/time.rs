//! Timestamps: RFC 3339 text in, Unix milliseconds inside, RFC 3339 UTC out.
//!
//! hive reads the time from `HIVE_TIMESTAMP` (RFC 3339 or Unix seconds) when it is set, so tests and
//! reproducible imports get stable ids.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// Why text is not an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not an RFC 3339 timestamp such as 2026-01-31T12:00:00Z")]
pub struct TimestampError {
    /// The text that was refused.
    pub text: String,
}

impl Timestamp {
    /// The current time, or `HIVE_TIMESTAMP` when set.
    pub fn now() -> Result<Timestamp, TimestampError> {
        if let Ok(text) = std::env::var("HIVE_TIMESTAMP") {
            return Timestamp::parse_override(&text);
        }
        let elapsed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|duration| duration.as_millis() as i64)
            .unwrap_or(0);
        Ok(Timestamp(elapsed))
    }

    /// Parses an override: RFC 3339 text or whole Unix seconds.
    pub fn parse_override(text: &str) -> Result<Timestamp, TimestampError> {
        match text.trim().parse::<i64>() {
            Ok(seconds) => Ok(Timestamp(seconds.saturating_mul(1000))),
            Err(_) => Timestamp::parse(text.trim()),
        }
    }

    /// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`); a space may stand for `T`.
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        parse_rfc3339(text).ok_or_else(|| TimestampError {
            text: text.to_string(),
        })
    }

    /// Parses a point in time as a person gives it on a command line: RFC 3339, a day (`2026-11-01`, its
    /// midnight UTC), or an age before `now` (`90s`, `30m`, `12h`, `7d`, `2w`).
    pub fn parse_point(text: &str, now: Timestamp) -> Result<Timestamp, TimestampError> {
        let text = text.trim();
        let refused = || TimestampError {
            text: text.to_string(),
        };
        let age = text
            .chars()
            .last()
            .filter(char::is_ascii_alphabetic)
            .and_then(|unit| Some((unit, text[..text.len() - 1].parse::<i64>().ok()?)));
        if let Some((unit, amount)) = age {
            let seconds = match unit {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => return Err(refused()),
            };
            return Ok(Timestamp(now.0.saturating_sub(
                amount.saturating_mul(seconds).saturating_mul(1000),
            )));
        }
        if text.len() == 10 {
            return Timestamp::parse(&format!("{text}T00:00:00Z")).map_err(|_| refused());
        }
        Timestamp::parse(text)
    }

    /// Formats as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub fn to_rfc3339(self) -> String {
        let millis = self.0.rem_euclid(1000);
        let seconds = self.0.div_euclid(1000);
        let days = seconds.div_euclid(86_400);
        let second_of_day = seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
            second_of_day / 3600,
            (second_of_day / 60) % 60,
            second_of_day % 60
        )
    }
}

fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        if !part.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let separators_ok = bytes[4] == b'-'
        && bytes[7] == b'-'
        && matches!(bytes[10], b'T' | b't' | b' ')
        && bytes[13] == b':'
        && bytes[16] == b':';
    if !separators_ok {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut index = 19;
    let mut millis = 0i64;
    if bytes[index] == b'.' {
        index += 1;
        let start = index;
        while index < bytes.len() && bytes[index].is_ascii_digit() {
            index += 1;
        }
        if index == start {
            return None;
        }
        let digits = &text[start..index.min(start + 3)];
        millis = digits.parse::<i64>().ok()? * 10i64.pow(3 - digits.len() as u32);
    }
    let offset_minutes = match bytes.get(index)? {
        b'Z' | b'z' if index + 1 == bytes.len() => 0,
        sign @ (b'+' | b'-') if index + 6 == bytes.len() && bytes[index + 3] == b':' => {
            let hours = number(index + 1..index + 3)?;
            let minutes = number(index + 4..index + 6)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let total = hours * 60 + minutes;
            if *sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset_minutes * 60;
    Some(Timestamp(seconds * 1000 + millis))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_points_in_time() {
        let now = Timestamp::parse("2026-11-21T12:00:00Z").unwrap();
        let point = |text| Timestamp::parse_point(text, now).map(Timestamp::to_rfc3339);
        assert_eq!(point("7d").unwrap(), "2026-11-14T12:00:00.000Z");
        assert_eq!(point("2w").unwrap(), "2026-11-07T12:00:00.000Z");
        assert_eq!(point("90s").unwrap(), "2026-11-21T11:58:30.000Z");
        assert_eq!(point("2026-11-01").unwrap(), "2026-11-01T00:00:00.000Z");
        assert_eq!(
            point("2026-11-01T08:00:00+01:00").unwrap(),
            "2026-11-01T07:00:00.000Z"
        );
        for bad in ["", "7y", "d", "yesterday", "2026-13-01", "-"] {
            assert!(point(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_and_formats() {
        let stamp = Timestamp::parse("2026-11-21T14:05:58.123Z").unwrap();
        assert_eq!(stamp.to_rfc3339(), "2026-11-21T14:05:58.123Z");
        let offset = Timestamp::parse("2026-11-21T16:05:58.1234+02:00").unwrap();
        assert_eq!(offset, stamp);
        assert_eq!(
            Timestamp::parse("1970-01-01T00:00:00Z").unwrap(),
            Timestamp(0)
        );
        assert_eq!(Timestamp(-1).to_rfc3339(), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn refuses_bad_text() {
        for bad in [
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "yesterday",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00.Z",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn override_accepts_seconds() {
        assert_eq!(
            Timestamp::parse_override("1700000000").unwrap(),
            Timestamp(1_700_000_000_000)
        );
    }
}
