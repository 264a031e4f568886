//! Parsing of the DUR and TIME arguments of the contract.
//!
//! DUR is humantime syntax (`30m`, `7d`, `1w`, `1d 12h`); TIME is RFC 3339 or `YYYY-MM-DD`
//! (midnight UTC).

use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The longest duration accepted anywhere: beyond it a timestamp would leave the calendar
/// that PostgreSQL and chrono share.
const MAX_DURATION: Duration = Duration::from_secs(1000 * 366 * 24 * 3600);

/// Parses a DUR such as `7d` or `1d 12h` (used as a clap value parser).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    // Options taking a DUR accept a leading hyphen, so that this is said instead of clap's
    // "unexpected argument '-1'".
    let mut chars = text.trim_start().chars();
    if chars.next() == Some('-') && chars.next().is_some_and(|c| c.is_ascii_digit()) {
        return Err(format!(
            "'{}' is negative: give a length of time, such as 30m or 7d",
            text.escape_debug()
        ));
    }
    let duration = humantime::parse_duration(text.trim()).map_err(|err| {
        format!(
            "'{}' is not a duration ({err}); examples: 30m, 12h, 7d, 1w, 1d 12h",
            text.escape_debug()
        )
    })?;
    if duration > MAX_DURATION {
        return Err(format!(
            "'{}' is too long (at most 1000 years)",
            text.escape_debug()
        ));
    }
    Ok(duration)
}

/// Parses a TIME: RFC 3339 (`2026-12-01T09:00:00Z`) or a date (`2026-12-01`, midnight UTC).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(midnight) = date.and_hms_opt(0, 0, 0)
    {
        return Ok(midnight.and_utc());
    }
    if lacks_zone(text) {
        return Err(zone_missing(text));
    }
    Err(format!(
        "'{}' is not a time: use RFC 3339 (2026-12-01T09:00:00Z) or a date (2026-12-01)",
        text.escape_debug()
    ))
}

/// Whether `text` is a date and time of day without a zone (`2026-12-01T09:00`), which could
/// mean any of the world's clocks.
pub fn lacks_zone(text: &str) -> bool {
    let text = text.trim();
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .any(|format| NaiveDateTime::parse_from_str(text, format).is_ok())
}

/// The error for a time given without a zone.
pub fn zone_missing(text: &str) -> String {
    format!(
        "'{}' has no time zone: add Z for UTC (2026-12-01T09:00:00Z) or an offset (+02:00)",
        text.trim().escape_debug()
    )
}

/// A duration as the seconds PostgreSQL multiplies into an interval.
pub fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_of_the_contract() {
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(
            parse_duration("7d").unwrap(),
            Duration::from_secs(7 * 86400)
        );
        assert_eq!(
            parse_duration("1w").unwrap(),
            Duration::from_secs(7 * 86400)
        );
        assert_eq!(
            parse_duration("1d 12h").unwrap(),
            Duration::from_secs(36 * 3600)
        );
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
    }

    #[test]
    fn bad_durations() {
        for bad in ["", "7", "-1d", "7x", "d", "99999999999y"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times() {
        let date = parse_time("2026-12-01").unwrap();
        assert_eq!(date.to_rfc3339(), "2026-12-01T00:00:00+00:00");
        let offset = parse_time("2026-12-01T10:00:00+02:00").unwrap();
        assert_eq!(offset.to_rfc3339(), "2026-12-01T08:00:00+00:00");
        for bad in [
            "",
            "tomorrow",
            "2026-13-01",
            "2026-02-30",
            "2026-12-01 10:00",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        // A time of day needs a zone, and the error says so.
        for local in [
            "2026-12-01T10:00:00",
            "2026-12-01 10:00",
            "2026-12-01T10:00:00.5",
        ] {
            let err = parse_time(local).unwrap_err();
            assert!(err.contains("has no time zone: add Z"), "{local}: {err}");
        }
        assert!(
            parse_time("2026-12-01T25:00:00")
                .unwrap_err()
                .contains("is not a time")
        );
    }
}
