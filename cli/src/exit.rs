//! Exit statuses: one per outcome class, and one per refusal code.
//!
//! | status | meaning |
//! |---|---|
//! | 0 | accepted (verify); done (inspect, demo) |
//! | 1 | inspect: the token could not be decoded at all; demo: a verdict differed from the expected one |
//! | 2 | usage: bad flags, unreadable file, no token |
//! | 3 | configuration: `invalid_key`, or a policy the core refuses |
//! | 10 + N | verify refused the token with the code whose stable number is N (11 `malformed` … 29 `azp_mismatch`) |

use tokenlane::{Error, ErrorCode};

/// Accepted / done.
pub(crate) const OK: u8 = 0;
/// inspect could not decode; demo saw an unexpected verdict.
pub(crate) const FAILED: u8 = 1;
/// Bad flags, unreadable file, no token.
pub(crate) const USAGE: u8 = 2;
/// `invalid_key` or a policy the core refuses.
pub(crate) const CONFIG: u8 = 3;
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

/// The exit-status table shown by `--help` (kept equal to the core's code
/// table by a unit test).
pub(crate) const TABLE: &str = "\
Exit status:
  0   accepted
  2   usage: bad flags, unreadable file, no token
  3   configuration: invalid_key (a key the core refuses), or a bad policy
  10+N  refused; N is the error code's stable number:
      11 malformed                    21 audience_mismatch
      12 token_too_large              22 wrong_token_type
      13 unsupported_algorithm        23 missing_claim
      14 algorithm_not_allowed        24 invalid_claim
      15 unsupported_critical_header  25 insufficient_scope
      16 key_not_found                26 nonce_mismatch
      17 invalid_signature            27 at_hash_mismatch
      18 expired                      28 auth_too_old
      19 not_yet_valid                29 azp_mismatch
      20 issuer_mismatch";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_table_lists_every_refusal_code_with_its_status() {
        for code in ErrorCode::ALL {
            if code == ErrorCode::InvalidKey {
                assert!(TABLE.contains("3   configuration: invalid_key"));
                continue;
            }
            let entry = format!("{} {}", for_code(code), code.as_str());
            assert!(TABLE.contains(&entry), "exit table lacks `{entry}`");
        }
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
