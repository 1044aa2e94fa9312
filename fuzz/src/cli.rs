//! Fuzz target `cli_inspect`: the `tokenlane` command's inspect formatting
//! (`tokenlane_cli::inspect_report`, exactly what `tokenlane inspect` prints),
//! text and `--json`, on arbitrary tokens, header and claim values and
//! clocks.
//!
//! Input layout: the first byte is the mode.
//!
//! - `mode % 4 == 0`: the rest is the token (as UTF-8, lossily);
//! - `1`, `2`: the rest is the claims JSON, under the header
//!   [`CLI_HEADERS`]`[mode % 4 - 1]`;
//! - `3`: the header is the rest up to the first NUL, the claims after it.
//!
//! With `mode & 4`, the next 8 bytes (little-endian) are `now`; otherwise
//! `now` is the conformance clock. Built tokens get a fixed 64-byte
//! signature: inspect verifies nothing, so no signing is needed.
//!
//! Invariants, besides "no panic": neither output holds a raw control
//! character (other than the layout's newlines) or a bidi control; the text
//! starts with the UNVERIFIED banner; the JSON parses, says
//! `"verified":false` and `now`, and when the header and claims are JSON
//! objects its `header` and `claims` are those very values.

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::Value;

use crate::fixtures::NOW;

/// The header templates of modes 1 and 2.
pub const CLI_HEADERS: [&[u8]; 2] = [
    br#"{"alg":"ES256","typ":"at+jwt","kid":"ec-1"}"#,
    br#"{"alg":"RS256","typ":"JWT"}"#,
];

/// What must never reach a terminal raw: control characters other than
/// newline, and the bidi overrides and isolates (an independent list, not
/// the CLI's own).
fn assert_no_raw_controls(out: &str) {
    if let Some(c) = out.chars().find(|&c| {
        c != '\n'
            && (c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
    }) {
        panic!("raw control character U+{:04X} in: {out:?}", u32::from(c));
    }
}

/// Fuzz target `cli_inspect` (see the module docs).
pub fn cli_inspect(data: &[u8]) {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let mut now = NOW;
    if mode & 4 != 0 {
        let Some((clock, tail)) = rest.split_first_chunk::<8>() else {
            return;
        };
        now = u64::from_le_bytes(*clock);
        rest = tail;
    }
    let (token, parts) = match mode % 4 {
        0 => (String::from_utf8_lossy(rest).into_owned(), None),
        m => {
            let (header, claims) = match CLI_HEADERS.get(usize::from(m - 1)) {
                Some(h) => (*h, rest),
                None => match rest.iter().position(|&b| b == 0) {
                    Some(i) => (&rest[..i], &rest[i + 1..]),
                    None => return,
                },
            };
            let token = format!(
                "{}.{}.{}",
                Base64UrlUnpadded::encode_string(header),
                Base64UrlUnpadded::encode_string(claims),
                Base64UrlUnpadded::encode_string(&[0x5a; 64])
            );
            (token, Some((header, claims)))
        }
    };
    let text = tokenlane_cli::inspect_report(&token, now, false);
    let json = tokenlane_cli::inspect_report(&token, now, true);
    match (&text, &json) {
        (Ok(t), Ok(j)) => {
            assert_no_raw_controls(t);
            assert_no_raw_controls(j);
            assert!(t.starts_with("UNVERIFIED"), "{t}");
            let v: Value = serde_json::from_str(j).expect("inspect --json prints JSON");
            assert_eq!(v["verified"], Value::Bool(false), "{j}");
            assert_eq!(v["now"], Value::from(now), "{j}");
            if let Some((header, claims)) = parts {
                for (bytes, key) in [(header, "header"), (claims, "claims")] {
                    if let Ok(want @ Value::Object(_)) = serde_json::from_slice::<Value>(bytes) {
                        assert_eq!(v[key], want, "{key} differs: {j}");
                    }
                }
            }
        }
        (Err(t), Err(j)) => {
            assert_no_raw_controls(t);
            assert_no_raw_controls(j);
        }
        _ => panic!("text and --json disagree on decoding: {text:?} / {json:?}"),
    }
}
