//! Times for people: RFC 3339 (UTC) from Unix seconds and back, and
//! "in 58 minutes" / "2 hours ago" relative to a given `now`.
//!
//! The calendar is the `time` crate's (exact proleptic Gregorian, RFC 3339
//! formatting and parsing). The range shown is the core's NumericDate range,
//! 1970-01-01T00:00:00Z ..= [`MAX_NUMERIC_DATE`] (9999-12-31T23:59:59Z);
//! anything later is printed as "after year 9999". Every function here is
//! total: any `u64` (a claim value, `--now`) gives text, never a panic.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokenlane::time::MAX_NUMERIC_DATE;

/// What is printed for a time past [`MAX_NUMERIC_DATE`].
pub(crate) const AFTER_9999: &str = "after year 9999";

/// `2026-01-01T00:00:00Z`, or `after year 9999` past the core's range.
pub(crate) fn rfc3339(secs: u64) -> String {
    if secs > MAX_NUMERIC_DATE {
        return AFTER_9999.to_owned();
    }
    i64::try_from(secs)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| AFTER_9999.to_owned())
}

/// Parses a time given on the command line: Unix seconds (`1767225600`,
/// any `u64`: a `now` past year 9999 is shown as such) or an RFC 3339
/// date-time (`2026-01-01T00:00:00Z`, `T` or a space between date and time,
/// `Z` or a numeric offset, fractional seconds floored). `None` for
/// anything else and for instants before 1970 (no NumericDate is negative).
pub(crate) fn parse_time(s: &str) -> Option<u64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    if !matches!(s.as_bytes().get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp()).ok()
}

/// [`parse_time`] as a clap value parser for `--now`.
pub(crate) fn parse_now(s: &str) -> Result<u64, String> {
    parse_time(s).ok_or_else(|| {
        "expected Unix seconds or an RFC 3339 time such as 2026-01-01T00:00:00Z".to_owned()
    })
}

/// A duration in the largest unit that reads naturally: `45 seconds`,
/// `58 minutes`, `23 hours`, `12 days`, `3 years`. A duration longer than
/// the whole NumericDate range (only possible when one end is after year
/// 9999) reads `more than 8000 years`.
pub(crate) fn duration(secs: u64) -> String {
    if secs > MAX_NUMERIC_DATE {
        return "more than 8000 years".to_owned();
    }
    // Below MAX_NUMERIC_DATE (~2^38), none of these sums can overflow.
    let (n, unit) = match secs {
        0..90 => (secs, "second"),
        90..5_400 => ((secs + 30) / 60, "minute"),
        5_400..172_800 => ((secs + 1800) / 3600, "hour"),
        172_800..63_072_000 => ((secs + 43_200) / 86_400, "day"),
        _ => ((secs + 15_778_800) / 31_557_600, "year"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// `in 58 minutes`, `23 hours ago`, or `now`, for time `t` seen at `now`.
pub(crate) fn relative(t: u64, now: u64) -> String {
    match t.cmp(&now) {
        core::cmp::Ordering::Equal => "now".to_owned(),
        core::cmp::Ordering::Greater => format!("in {}", duration(t - now)),
        core::cmp::Ordering::Less => format!("{} ago", duration(now - t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_known_dates() {
        for (secs, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (1_767_225_600, "2026-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (MAX_NUMERIC_DATE, "9999-12-31T23:59:59Z"),
        ] {
            assert_eq!(rfc3339(secs), text);
            assert_eq!(parse_time(text), Some(secs));
        }
    }

    #[test]
    fn parse_time_takes_offsets_spaces_and_fractions() {
        assert_eq!(parse_time("2026-01-01 00:00:00Z"), Some(1_767_225_600));
        assert_eq!(parse_time("2026-01-01t00:00:00z"), Some(1_767_225_600));
        assert_eq!(parse_time("2026-01-01T01:00:00+01:00"), Some(1_767_225_600));
        assert_eq!(parse_time("2026-01-01T00:00:00.9Z"), Some(1_767_225_600));
        assert_eq!(parse_time(" 1767225600 "), Some(1_767_225_600));
        assert_eq!(parse_time("18446744073709551615"), Some(u64::MAX));
    }

    #[test]
    fn parse_time_refuses_impossible_and_negative_dates() {
        for bad in [
            "2025-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01X00:00:00Z",
            "2026-01-01T00:00:00",
            "1969-12-31T23:59:59Z",
            "2026-01-01",
            "-5",
            "",
            "18446744073709551616",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn relative_uses_natural_units() {
        assert_eq!(relative(1000 + 3480, 1000), "in 58 minutes");
        assert_eq!(relative(1000, 1000 + 82_800), "23 hours ago");
        assert_eq!(relative(5, 5), "now");
        assert_eq!(relative(1, 0), "in 1 second");
        assert_eq!(relative(MAX_NUMERIC_DATE, 0), "in 8030 years");
    }

    #[test]
    fn times_past_year_9999_saturate_instead_of_overflowing() {
        assert_eq!(rfc3339(MAX_NUMERIC_DATE + 1), "after year 9999");
        assert_eq!(rfc3339(u64::MAX), "after year 9999");
        assert_eq!(duration(u64::MAX), "more than 8000 years");
        assert_eq!(relative(u64::MAX, 0), "in more than 8000 years");
        assert_eq!(relative(5, u64::MAX), "more than 8000 years ago");
        assert_eq!(relative(u64::MAX, u64::MAX - 1), "in 1 second");
    }
}
