//! Properties of the CLI's output over arbitrary inputs (stable Rust; the
//! coverage-guided counterpart is the fuzz target `cli_inspect`):
//!
//! - `inspect` on a token with arbitrary header and claim values (any
//!   number including 2^64-1 and floats, any string including control and
//!   bidi characters, nested arrays and objects) and any `now` never panics,
//!   prints no raw control character, and its `--json` output parses back
//!   to the very header and claims;
//! - `inspect` on arbitrary text never panics;
//! - `verify` at any `--now`, `--leeway` and `--max-age` never panics
//!   (exit 101) and prints no raw control character.

#![allow(missing_docs)]

use std::process::Command;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{Map, Value};

const BIN: &str = env!("CARGO_BIN_EXE_tokenlane");
const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");

/// What must never reach a terminal raw (an independent list, not the
/// CLI's own): control characters other than the layout's newline, and
/// the bidi overrides and isolates.
fn raw_controls(s: &str) -> Vec<char> {
    s.chars()
        .filter(|&c| {
            c != '\n'
                && (c.is_control()
                    || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        })
        .collect()
}

/// Strings biased towards what breaks terminals and parsers.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        r#"[\x00-\x1f\x7f-\x{9f}\x{202a}-\x{202e}a./\\"]{0,12}"#,
        Just("\u{1b}]0;pwned\u{7}\u{1b}[2J".to_owned()),
    ]
}

/// Numbers at the edges of every range the CLI converts.
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u64>().prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        Just(Value::from(253_402_300_799u64)),
        Just(Value::from(253_402_300_800u64)),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from), // NaN and infinities become null
        Just(Value::from(1e300)),
        Just(Value::from(-0.5)),
        Just(Value::from(1.8446744073709552e19)),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        number(),
        text().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object whose members are the names inspect reads, plus arbitrary
/// ones, each with an arbitrary value.
fn object(names: &'static [&'static str]) -> impl Strategy<Value = Map<String, Value>> {
    let name = prop_oneof![prop::sample::select(names).prop_map(str::to_owned), text(),];
    prop::collection::vec((name, json_value()), 0..10).prop_map(|m| m.into_iter().collect())
}

const HEADER_NAMES: &[&str] = &[
    "alg", "typ", "kid", "crit", "jwk", "jku", "x5u", "x5c", "cty",
];
const CLAIM_NAMES: &[&str] = &[
    "exp",
    "iat",
    "nbf",
    "auth_time",
    "iss",
    "sub",
    "aud",
    "azp",
    "client_id",
    "scope",
    "scp",
    "nonce",
    "at_hash",
    "c_hash",
    "typ",
    "token_use",
    "name",
    "email",
];

fn token(header: &Map<String, Value>, claims: &Map<String, Value>, sig: &[u8]) -> String {
    let seg = |v: &Map<String, Value>| URL_SAFE_NO_PAD.encode(Value::Object(v.clone()).to_string());
    format!(
        "{}.{}.{}",
        seg(header),
        seg(claims),
        URL_SAFE_NO_PAD.encode(sig)
    )
}

/// `cases` cases; failures are reported (with the minimal input), not
/// written to a regressions file.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn inspect_reports_any_claim_values_without_panic_or_raw_controls(
        header in object(HEADER_NAMES),
        claims in object(CLAIM_NAMES),
        sig in prop::collection::vec(any::<u8>(), 0..80),
        now in prop_oneof![any::<u64>(), Just(u64::MAX), Just(0u64), Just(1_767_225_600u64)],
    ) {
        let tok = token(&header, &claims, &sig);
        let text = tokenlane_cli::inspect_report(&tok, now, false).expect("a JWS of two objects decodes");
        prop_assert!(text.starts_with("UNVERIFIED"), "{}", text);
        prop_assert_eq!(raw_controls(&text), Vec::<char>::new(), "{}", text);
        let json = tokenlane_cli::inspect_report(&tok, now, true).expect("decodes");
        prop_assert_eq!(raw_controls(&json), Vec::<char>::new(), "{}", json);
        let v: Value = serde_json::from_str(&json).expect("--json prints JSON");
        prop_assert_eq!(&v["verified"], &Value::Bool(false));
        // Compared with serde_json's own reading of the segments' JSON (its
        // float parsing is not exactly round-trip without a feature).
        let reread = |m: Map<String, Value>| -> Value {
            serde_json::from_str(&Value::Object(m).to_string()).expect("JSON")
        };
        prop_assert_eq!(&v["header"], &reread(header));
        prop_assert_eq!(&v["claims"], &reread(claims));
        prop_assert_eq!(&v["now"], &Value::from(now));
    }

    #[test]
    fn inspect_never_panics_on_arbitrary_text(s in text(), now in any::<u64>()) {
        for json in [false, true] {
            match tokenlane_cli::inspect_report(&s, now, json) {
                Ok(out) | Err(out) => prop_assert_eq!(raw_controls(&out), Vec::<char>::new(), "{}", out),
            }
        }
    }
}

proptest! {
    // Each case runs the binary; fewer cases, the edges always included.
    #![proptest_config(config(48))]

    #[test]
    fn verify_at_any_clock_leeway_and_max_age_never_panics(
        now in prop_oneof![any::<u64>(), Just(u64::MAX), Just(0u64), Just(1_767_225_600u64)],
        leeway in prop_oneof![0..=86_400u64, any::<u64>()],
        max_age in prop_oneof![any::<u64>(), Just(u64::MAX), Just(0u64)],
        json in any::<bool>(),
    ) {
        let (now, leeway, max_age) = (now.to_string(), leeway.to_string(), max_age.to_string());
        let jwks = format!("{SAMPLES}/jwks.json");
        let mut args = vec![
            "verify", "--jwks", &jwks, "--issuer", "https://issuer.example/",
            "--id-token", "--client-id", "client-app", "--now", &now,
            "--leeway", &leeway, "--max-age", &max_age,
        ];
        if json {
            args.push("--json");
        }
        let token = std::fs::read_to_string(format!("{SAMPLES}/id-control-chars.jwt")).unwrap();
        args.push(token.trim());
        let out = Command::new(BIN).args(&args).env("NO_COLOR", "1").output().expect("run");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let status = out.status.code().expect("exited");
        // 0 accepted, 3 a leeway the core refuses, 18/19/28 time refusals.
        prop_assert!([0, 3, 18, 19, 28].contains(&status), "exit {}: {}{}", status, stdout, stderr);
        prop_assert_eq!(raw_controls(&stdout), Vec::<char>::new(), "{}", stdout);
        prop_assert_eq!(raw_controls(&stderr), Vec::<char>::new(), "{}", stderr);
    }
}
