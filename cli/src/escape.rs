//! The one rule for printing text that came from outside: a token's header
//! and claims, a kid from a key file, a value given on the command line.
//!
//! A claim such as `"name":"\u001b]0;pwned\u0007\u001b[2J"` is valid JSON
//! and can sit in a validly signed token; printed raw it would retitle or
//! clear the terminal, move the cursor, or forge lines of the report. So
//! every character for which [`is_unsafe`] holds is written as a JSON-style
//! escape (`\u001b`) wherever the CLI prints token text, in text and in
//! JSON output alike, and in every subcommand (`inspect`, `verify`, `demo`).
//!
//! Unsafe: the C0 controls (U+0000–U+001F, including newline and tab: a
//! newline inside a claim could forge a line of the report), DEL and the C1
//! controls (U+007F–U+009F; U+009B is an 8-bit CSI), the line and paragraph
//! separators U+2028/U+2029, the bidirectional controls (U+061C, U+200E,
//! U+200F, U+202A–U+202E, U+2066–U+2069: they reorder what follows, the
//! "Trojan Source" trick) and the invisible characters that make two
//! different values look the same (U+200B, U+2060–U+2064, U+FEFF,
//! U+FFF9–U+FFFB). Joiners U+200C/U+200D stay: scripts and emoji need them.
//! Backslashes are not doubled, so an escape in the output and the same six
//! characters typed in a claim look alike; the JSON forms (`inspect`'s
//! header and claims, `--json`) are unambiguous.

use core::fmt::Write as _;
use std::borrow::Cow;

/// Whether `c` is never printed raw (see the module docs for the list).
pub(crate) fn is_unsafe(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200b}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

/// Appends the JSON escape of `c` (`\u001b`). Every unsafe character is in
/// the Basic Multilingual Plane, so four hex digits always suffice.
fn push_escape(out: &mut String, c: char) {
    // Writing to a String cannot fail.
    let _ = write!(out, "\\u{:04x}", u32::from(c));
}

/// Escapes `chars` of `s` for which `pick` holds; borrows when none does.
fn escape_where(s: &str, pick: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&pick) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if pick(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Token text for a line of the report, unquoted: every unsafe character
/// written as `\uXXXX`, everything else as it is.
pub(crate) fn text(s: &str) -> Cow<'_, str> {
    escape_where(s, is_unsafe)
}

/// Token text inside a sentence: a JSON string literal (`"at+jwt"`), with
/// every unsafe character escaped.
pub(crate) fn quoted(s: &str) -> String {
    json(&serde_json::Value::from(s).to_string()).into_owned()
}

/// Serialized JSON made safe for a terminal: `serde_json` already escapes
/// the C0 controls inside strings (outside strings the only control
/// characters are the layout's own newlines), so this escapes the other
/// unsafe characters. The result is valid JSON with the same value.
pub(crate) fn json(serialized: &str) -> Cow<'_, str> {
    escape_where(serialized, |c| c >= ' ' && is_unsafe(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_and_invisibles_are_escaped() {
        assert_eq!(
            text("\u{1b}]0;pwned\u{7}\u{1b}[2J"),
            "\\u001b]0;pwned\\u0007\\u001b[2J"
        );
        assert_eq!(
            text("a\nb\tc\u{9b}d\u{202e}e\u{feff}"),
            "a\\u000ab\\u0009c\\u009bd\\u202ee\\ufeff"
        );
        assert!(matches!(
            text("Alice Example, Zoë, 山田, 👩\u{200d}💻"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn quoted_and_json_stay_valid_json_with_the_same_value() {
        let hostile = "x\u{1b}[2J\u{85}\u{2066}y\"\\";
        let q = quoted(hostile);
        assert_eq!(q, "\"x\\u001b[2J\\u0085\\u2066y\\\"\\\\\"");
        assert_eq!(serde_json::from_str::<String>(&q).unwrap(), hostile);
        let doc = serde_json::to_string_pretty(&serde_json::json!({"name": hostile})).unwrap();
        let safe = json(&doc);
        assert!(!safe.chars().any(|c| c != '\n' && is_unsafe(c)), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["name"], hostile);
    }
}
