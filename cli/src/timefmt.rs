//! Times for people: RFC 3339 (UTC) from Unix seconds and back, and
//! "in 58 minutes" / "2 hours ago" relative to a given `now`.
//!
//! No time crate: the calendar arithmetic is Howard Hinnant's
//! `civil_from_days` / `days_from_civil`, exact for the proleptic Gregorian
//! calendar, bounded to years 1970..=9999 (the core's NumericDate range).

/// 9999-12-31T23:59:59Z, the largest NumericDate the core accepts.
const MAX_SECS: u64 = 253_402_300_799;

/// `2026-01-01T00:00:00Z`, or `+<secs>s (after year 9999)` when out of range.
pub(crate) fn rfc3339(secs: u64) -> String {
    if secs > MAX_SECS {
        return format!("{secs} (after year 9999)");
    }
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Year, month, day of `days` since 1970-01-01 (non-negative).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 of a date in 1970..=9999, if valid.
fn days_from_civil(y: u64, m: u64, d: u64) -> Option<u64> {
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).checked_sub(719_468)
}

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses a time given on the command line: Unix seconds (`1767225600`) or
/// RFC 3339 UTC (`2026-01-01T00:00:00Z`, also with a space for `T`).
pub(crate) fn parse_time(s: &str) -> Option<u64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let b = s.as_bytes();
    if b.len() != 20 || b.get(19).copied() != Some(b'Z') {
        return None;
    }
    let num = |r: core::ops::Range<usize>| -> Option<u64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let sep_ok = b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && matches!(b.get(10), Some(b'T' | b't' | b' '))
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':');
    if !sep_ok {
        return None;
    }
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let days = days_from_civil(num(0..4)?, num(5..7)?, num(8..10)?)?;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// A duration in the largest unit that reads naturally: `45 seconds`,
/// `58 minutes`, `23 hours`, `12 days`, `3 years`.
pub(crate) fn duration(secs: u64) -> String {
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
            (MAX_SECS, "9999-12-31T23:59:59Z"),
        ] {
            assert_eq!(rfc3339(secs), text);
            assert_eq!(parse_time(text), Some(secs));
        }
    }

    #[test]
    fn parse_time_refuses_impossible_dates() {
        for bad in [
            "2025-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01",
            "-5",
            "",
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
    }
}
