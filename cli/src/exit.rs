//! Exit statuses: one per outcome class, and one per refusal code.
//!
//! | status | meaning |
//! |---|---|
//! | 0 | accepted (verify); done (inspect, demo) |
//! | 1 | inspect: the token could not be decoded at all; demo: a verdict differed from the expected one |
//! | 2 | usage: bad flags, unreadable file, no token |
//! | 3 | configuration: `invalid_key`, or a policy the core refuses |
//! | 4 | remote: the keys (`--issuer-url`, `keys`) or the introspection endpoint could not be had; the token was not judged |
//! | 10 + N | verify refused the token with the code whose stable number is N (from the core's `ErrorCode` table: 11 `malformed`, 18 `expired`, …) |

use tokenlane::{Error, ErrorCode};

/// Accepted / done.
pub(crate) const OK: u8 = 0;
/// inspect could not decode; demo saw an unexpected verdict.
pub(crate) const FAILED: u8 = 1;
/// Bad flags, unreadable file, no token.
pub(crate) const USAGE: u8 = 2;
/// `invalid_key` or a policy the core refuses.
pub(crate) const CONFIG: u8 = 3;
/// The keys or the introspection endpoint could not be had: the token was
/// not judged (an API answers 503, or 500 when the endpoint refused the
/// resource server's credentials).
pub(crate) const REMOTE: u8 = 4;
/// A refusal exits with this plus the code's stable number.
pub(crate) const REFUSAL_BASE: u8 = 10;

/// The exit status for a refusal.
pub(crate) fn for_code(code: ErrorCode) -> u8 {
    if code == ErrorCode::InvalidKey {
        return CONFIG;
    }
    u8::try_from(code.number())
        .ok()
        .and_then(|n| REFUSAL_BASE.checked_add(n))
        .unwrap_or(u8::MAX)
}

/// The exit status for a core error.
pub(crate) fn for_error(e: &Error) -> u8 {
    for_code(e.kind())
}

/// The exit-status table shown by `verify --help`, written from the core's
/// code table (two columns, in number order), so it never drifts.
pub(crate) fn table() -> String {
    let refusals: Vec<String> = ErrorCode::ALL
        .into_iter()
        .filter(|c| *c != ErrorCode::InvalidKey)
        .map(|c| format!("{} {}", for_code(c), c.as_str()))
        .collect();
    let rows = refusals.len().div_ceil(2);
    let width = refusals
        .iter()
        .take(rows)
        .map(String::len)
        .max()
        .unwrap_or(0);
    let mut out = String::from(
        "Exit status:
  0   accepted
  2   usage: bad flags, unreadable file, no token
  3   configuration: invalid_key (a key the core refuses), or a bad policy
  4   remote: keys or the introspection endpoint unavailable (not judged)
  10+N  refused; N is the error code's stable number:",
    );
    for (i, left) in refusals.iter().take(rows).enumerate() {
        out.push_str("\n      ");
        match refusals.get(i + rows) {
            Some(right) => out.push_str(&format!("{left:width$}  {right}")),
            None => out.push_str(left),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_table_lists_every_refusal_code_with_its_status() {
        let table = table();
        for code in ErrorCode::ALL {
            if code == ErrorCode::InvalidKey {
                assert!(table.contains("3   configuration: invalid_key"));
                continue;
            }
            let entry = format!("{} {}", for_code(code), code.as_str());
            assert!(table.contains(&entry), "exit table lacks `{entry}`");
        }
        // Two columns in number order: row i holds refusal i and refusal
        // i + rows (whatever the number of codes, so a new code needs no
        // edit here).
        let refusals: Vec<String> = ErrorCode::ALL
            .into_iter()
            .filter(|c| *c != ErrorCode::InvalidKey)
            .map(|c| format!("{} {}", for_code(c), c.as_str()))
            .collect();
        let rows = refusals.len().div_ceil(2);
        let lines: Vec<&str> = table.lines().skip(6).collect();
        assert_eq!(lines.len(), rows);
        for (i, line) in lines.iter().enumerate() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let left: Vec<&str> = refusals[i].split(' ').collect();
            assert_eq!(words[..2], left[..], "row {i}: {line}");
            if let Some(right) = refusals.get(i + rows) {
                assert_eq!(words[2..].join(" "), *right, "row {i}: {line}");
            } else {
                assert_eq!(words.len(), 2, "row {i}: {line}");
            }
        }
        assert!(lines[0].trim_start().starts_with("11 malformed "));
    }

    /// The status table of `cli/README.md`, as the core's table makes it.
    fn readme_table() -> String {
        let refusals: Vec<(u8, &str)> = ErrorCode::ALL
            .into_iter()
            .filter(|c| *c != ErrorCode::InvalidKey)
            .map(|c| (for_code(c), c.as_str()))
            .collect();
        let rows = refusals.len().div_ceil(2);
        let mut out = String::from("| status | code | | status | code |\n|---|---|---|---|---|\n");
        for (i, (status, code)) in refusals.iter().take(rows).enumerate() {
            let right = refusals
                .get(i + rows)
                .map_or(String::from("| | |"), |(s, c)| format!("| {s} | `{c}` |"));
            out.push_str(&format!("| {status} | `{code}` | {right}\n"));
        }
        out
    }

    // `check_generated`: one README-block checker for every crate that
    // generates a README table from the core.
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/support/generated_block.rs"
    ));

    #[test]
    fn readme_exit_table_is_the_core_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        check_generated(path, &readme_table());
        let readme = std::fs::read_to_string(path).expect("README is readable");
        let invalid_key = ErrorCode::InvalidKey;
        let sentence = format!(
            "`{invalid_key}` (number {} in the core) is a configuration fault, so it exits {CONFIG},",
            invalid_key.number()
        );
        assert!(
            readme.contains(&sentence),
            "cli/README.md lacks: {sentence}"
        );
    }

    #[test]
    fn refusal_statuses_are_distinct_and_above_the_fixed_ones() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            let s = for_code(code);
            assert!(s == CONFIG || s > REFUSAL_BASE, "{code}");
            assert!(code == ErrorCode::InvalidKey || seen.insert(s), "{code}");
        }
    }
}
