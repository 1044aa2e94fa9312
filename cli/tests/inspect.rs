//! `tokenlane inspect`: decoding without trusting, the lane guess and its
//! reasons, times, and what is unusual. Inspect never accepts anything, so
//! besides the bundled samples these tests also build unsigned tokens by
//! hand to show each unusual header.

#![allow(missing_docs)]

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
const NOW: &str = "1767225600";

fn inspect(token: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["inspect", "--now", NOW];
    args.extend_from_slice(extra);
    args.push("-");
    let out = common::run(&args, token);
    (out.status, out.stdout, out.stderr)
}

fn inspect_json(token: &str) -> Value {
    let (status, out, err) = inspect(token, &["--json"]);
    assert_eq!(status, 0, "{out}{err}");
    serde_json::from_str(&out).expect("json")
}

fn sample(name: &str) -> String {
    std::fs::read_to_string(format!("{SAMPLES}/{name}")).expect("sample")
}

fn b64u(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// An unsigned token for display tests (inspect never verifies).
fn hand_made(header: &Value, claims: &Value, sig: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64u(header.to_string().as_bytes()),
        b64u(claims.to_string().as_bytes()),
        b64u(sig)
    )
}

fn unusual(v: &Value) -> Vec<String> {
    v["unusual"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

fn reasons(v: &Value) -> String {
    v["lane"]["reasons"].to_string()
}

#[test]
fn sample_access_token_looks_like_an_access_token() {
    let v = inspect_json(&sample("access.jwt"));
    assert_eq!(v["verified"], false);
    assert_eq!(v["lane"]["guess"], "access");
    assert!(reasons(&v).contains("at+jwt"));
    assert_eq!(v["header"]["kid"], "demo-ec-1");
    assert_eq!(v["claims"]["sub"], "alice");
    assert_eq!(v["signature_bytes"], 64);
    assert_eq!(v["expired"], false);
    assert_eq!(v["expires"], "in 58 minutes");
    assert_eq!(unusual(&v), Vec::<String>::new());
}

#[test]
fn sample_id_token_looks_like_an_id_token() {
    let v = inspect_json(&sample("id.jwt"));
    assert_eq!(v["lane"]["guess"], "id");
    let r = reasons(&v);
    assert!(r.contains("nonce") && r.contains("at_hash"), "{r}");
}

#[test]
fn text_report_is_under_an_unverified_banner_in_token_order() {
    let (status, out, _) = inspect(&sample("id.jwt"), &[]);
    assert_eq!(status, 0);
    assert!(out.starts_with("UNVERIFIED"), "{out}");
    assert!(out.contains("Looks like: an ID token"));
    assert!(out.contains("expires in 58 minutes"));
    let (iss, nonce) = (out.find("\"iss\"").unwrap(), out.find("\"nonce\"").unwrap());
    assert!(iss < nonce, "claims keep the token's member order");
}

#[test]
fn expired_sample_says_how_long_ago() {
    let v = inspect_json(&sample("expired-access.jwt"));
    assert_eq!(v["expired"], true);
    assert_eq!(v["expires"], "23 hours ago");
    let (_, out, _) = inspect(&sample("expired-access.jwt"), &[]);
    assert!(out.contains("expired 23 hours ago"), "{out}");
}

#[test]
fn alg_none_and_hmac_forgery_are_flagged() {
    let v = inspect_json(&sample("alg-none.jwt"));
    let u = unusual(&v).join("\n");
    assert!(u.contains("alg \"none\""), "{u}");
    assert!(u.contains("no kid"), "{u}");
    let v = inspect_json(&sample("hs256-pem-forgery.jwt"));
    assert!(unusual(&v).join("\n").contains("alg HS256"));
}

#[test]
fn embedded_keys_crit_and_rare_algorithms_are_flagged() {
    let claims = json!({"iss": "i", "sub": "s", "aud": "a", "exp": 1_767_229_080u64});
    let header = json!({
        "alg": "Ed448", "typ": "at+jwt", "crit": ["exp"],
        "jwk": {"kty": "EC"}, "jku": "https://evil.example/jwks", "x5u": "https://evil.example/c", "x5c": ["AA"]
    });
    let v = inspect_json(&hand_made(&header, &claims, b"sig"));
    let u = unusual(&v).join("\n");
    for needle in [
        "alg \"Ed448\" is not in common use",
        "crit",
        "header jwk",
        "header jku",
        "header x5u",
        "header x5c",
        "no kid",
    ] {
        assert!(u.contains(needle), "lacks {needle:?}: {u}");
    }
    let v = inspect_json(&hand_made(
        &json!({"alg": "hs256", "kid": "../../etc/passwd"}),
        &claims,
        b"sig",
    ));
    let u = unusual(&v).join("\n");
    assert!(u.contains("case-sensitive"), "{u}");
    assert!(u.contains("looks like a path"), "{u}");
}

#[test]
fn missing_exp_long_lifetime_and_future_iat_are_flagged() {
    let v = inspect_json(&hand_made(
        &json!({"alg": "RS256", "kid": "k"}),
        &json!({"sub": "s"}),
        b"sig",
    ));
    assert!(unusual(&v).join("\n").contains("no exp"));
    let claims = json!({"iat": 1_767_225_600u64 + 600, "exp": 1_767_225_600u64 + 30 * 86_400});
    let v = inspect_json(&hand_made(
        &json!({"alg": "RS256", "kid": "k"}),
        &claims,
        b"sig",
    ));
    let u = unusual(&v).join("\n");
    assert!(u.contains("long-lived"), "{u}");
    assert!(u.contains("iat is in the future"), "{u}");
}

#[test]
fn what_validation_refuses_as_malformed_cannot_be_inspected_and_says_why() {
    // Inspect decodes with the core's untrusted view: the same strict
    // base64url and strict JSON reader as validation, and its reason.
    let tok = sample("access.jwt");
    let parts: Vec<&str> = tok.trim().split('.').collect();
    let padded = format!("{}==.{}.{}", parts[0], parts[1], parts[2]);
    let dup = format!(
        "{}.{}.c2ln",
        b64u(br#"{"alg":"ES256","alg":"none"}"#),
        parts[1]
    );
    let mut nested = json!(1);
    for _ in 0..tokenlane::limits::MAX_JSON_DEPTH {
        nested = json!([nested]);
    }
    let deep = hand_made(&json!({"alg": "ES256"}), &json!({ "x": nested }), b"s");
    for (token, why) in [
        (padded, "malformed: the header is not strict base64url"),
        (dup, "malformed: the header has a duplicate member"),
        (deep, "malformed: the claims is nested too deeply"),
    ] {
        let (status, out, err) = inspect(&token, &[]);
        assert_eq!(status, 1, "{out}");
        assert!(
            err.starts_with(&format!("tokenlane: cannot decode the token: {why}")),
            "{err}"
        );
        let (status, out, _) = inspect(&token, &["--json"]);
        assert_eq!(status, 1);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["verified"], false);
        assert!(v["error"].as_str().unwrap().starts_with(why), "{v}");
    }
    // An empty signature decodes (validation refuses it at the signature
    // step) and is noted.
    let empty_sig = format!("{}.{}.", parts[0], parts[1]);
    let v = inspect_json(&empty_sig);
    assert_eq!(v["signature_bytes"], 0);
    assert!(unusual(&v)
        .join("\n")
        .contains("signature segment is empty"));
}

#[test]
fn other_jwt_kinds_and_contradictions_are_named() {
    let claims = json!({"iss": "i", "aud": "a", "exp": 1u64});
    let v = inspect_json(&hand_made(
        &json!({"alg": "ES256", "typ": "logout+jwt"}),
        &claims,
        b"s",
    ));
    assert_eq!(v["lane"]["guess"], "other");
    for lane in ["access-strict", "access-compat", "id"] {
        assert_eq!(
            v["lane"]["refused_by"][lane],
            "header typ names another kind of JWT"
        );
    }
    let v = inspect_json(&hand_made(
        &json!({"alg": "ES256", "typ": "at+jwt"}),
        &json!({"nonce": "n"}),
        b"s",
    ));
    assert_eq!(v["lane"]["guess"], "conflicting");
    assert_eq!(
        v["lane"]["refused_by"]["access-strict"],
        "claims carry nonce, an ID-token claim"
    );
    assert_eq!(
        v["lane"]["refused_by"]["id"],
        "header typ is at+jwt: an access token, not an ID token"
    );
    let v = inspect_json(&hand_made(
        &json!({"alg": "ES256"}),
        &json!({"sub": "s"}),
        b"s",
    ));
    assert_eq!(v["lane"]["guess"], "undecided");
    assert_eq!(v["lane"]["refused_by"]["access-compat"], Value::Null);
    assert_eq!(v["lane"]["refused_by"]["id"], Value::Null);
}

#[test]
fn provider_specific_marks_are_read() {
    // The core's mark table, as the lanes read it (case-insensitive).
    let h = json!({"alg": "RS256", "kid": "k"});
    for (claims, lane, why) in [
        (json!({"token_use": "id"}), "id", "token_use is id"),
        (
            json!({"token_use": "ACCESS"}),
            "access",
            "token_use is access",
        ),
        (json!({"typ": "ID"}), "id", "payload typ is ID"),
        (json!({"typ": "bearer"}), "access", "payload typ is Bearer"),
        (json!({"c_hash": "x"}), "id", "c_hash"),
        (json!({"scp": ["a"]}), "access", "scp"),
        (json!({"events": {}}), "other", "events"),
    ] {
        let v = inspect_json(&hand_made(&h, &claims, b"s"));
        assert_eq!(v["lane"]["guess"], lane, "{claims}");
        assert!(reasons(&v).contains(why), "{claims}: {}", reasons(&v));
    }
}

#[test]
fn undecodable_input_fails_with_status_1() {
    for bad in ["abc", "a.b.c", "e30.bm90IGpzb24.c2ln", "a.b.c.d.e"] {
        let (status, _, err) = inspect(bad, &[]);
        assert_eq!(status, 1, "{bad}");
        assert_eq!(err.lines().count(), 1, "{bad}: {err}");
    }
}

#[test]
fn times_after_year_9999_saturate_instead_of_panicking() {
    // exp 2^64-1 with iat 0 once overflowed (exit 101) on five paths: the
    // text and JSON expiry, the time lines, the lifetime and the future nbf.
    // The core reads it as out of range, and inspect says so.
    let claims = json!({"exp": u64::MAX, "iat": 0, "nbf": u64::MAX});
    let tok = hand_made(&json!({"alg": "ES256", "kid": "k"}), &claims, b"s");
    let (status, out, err) = inspect(&tok, &[]);
    assert_eq!(status, 0, "{out}{err}");
    assert!(
        out.lines().any(|l| l
            == "  - validation refuses the claims: invalid_claim: `exp` has the wrong type or is out of range"),
        "{out}"
    );
    assert_eq!(inspect_json(&tok)["expires"], Value::Null);
    // The core's largest NumericDate, seen from 1970 and from after it.
    let claims = json!({"exp": 253_402_300_799u64, "iat": 0});
    let tok = hand_made(&json!({"alg": "ES256", "kid": "k"}), &claims, b"s");
    let run = common::run(&["inspect", "--now", "0", &tok], "");
    let out = run.stdout;
    assert_eq!(run.status, 0, "{out}");
    for line in [
        "  exp       253402300799 = 9999-12-31T23:59:59Z  expires in 8030 years",
        "  - long-lived: exp is 8030 years after iat",
    ] {
        assert!(out.lines().any(|l| l == line), "lacks {line:?}:\n{out}");
    }
    // And a clock after year 9999 against exp 5.
    let tok = hand_made(
        &json!({"alg": "ES256", "kid": "k"}),
        &json!({"exp": 5}),
        b"s",
    );
    let run = common::run(&["inspect", "--now", "18446744073709551615", &tok], "");
    let out = run.stdout;
    assert_eq!(run.status, 0, "{out}");
    assert!(
        out.contains("(now = 18446744073709551615 = after year 9999)"),
        "{out}"
    );
    assert!(out.contains("expired more than 8000 years ago"), "{out}");
}

#[test]
fn claims_with_terminal_escapes_are_printed_escaped_by_inspect() {
    // The validly signed hostile ID token from cli/samples/generate.py.
    let tok = sample("id-control-chars.jwt");
    let (status, out, _) = inspect(&tok, &[]);
    assert_eq!(status, 0);
    let raw: Vec<char> = out
        .chars()
        .filter(|&c| c != '\n' && (c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)))
        .collect();
    assert_eq!(raw, Vec::<char>::new(), "{out}");
    for line in [
        r#"  "name": "\u001b]0;pwned\u0007\u001b[2J","#,
        r#"  "email": "eve@example.com\nvalid access token\u202e\u009b2J""#,
    ] {
        assert!(out.lines().any(|l| l == line), "lacks {line:?}:\n{out}");
    }
    let v = inspect_json(&tok);
    assert_eq!(v["claims"]["name"], "\u{1b}]0;pwned\u{7}\u{1b}[2J");
    // A hostile kid is quoted and escaped in the report's sentences, a
    // hostile typ in the header shown.
    let tok = hand_made(
        &json!({"alg": "ES256", "typ": "x\u{1b}[31m", "kid": "../\u{9b}k"}),
        &json!({"sub": "s"}),
        b"s",
    );
    let u = unusual(&inspect_json(&tok)).join("\n");
    assert!(u.contains(r#"kid "../\u009bk" looks like a path"#), "{u}");
    let (_, out, _) = inspect(&tok, &[]);
    assert!(out.contains(r#"  "typ": "x\u001b[31m""#), "{out}");
    assert!(
        out.contains("[other] header typ names another kind of JWT"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}') && !out.contains('\u{9b}'), "{out}");
}

#[test]
fn claims_serde_json_cannot_hold_are_shown_as_text_without_raw_whitespace() {
    // Found by the cli_inspect fuzz target: a number such as 1e400 (valid
    // JSON, accepted by the core's reader, out of serde_json's range) made
    // inspect print the claims as decoded, carriage return and all.
    let claims = "{\"a\":\t\r1e400,\"exp\":5}";
    let tok = format!(
        "{}.{}.c2ln",
        b64u(br#"{"alg":"ES256","kid":"k"}"#),
        b64u(claims.as_bytes())
    );
    let (status, out, err) = inspect(&tok, &[]);
    assert_eq!(status, 0, "{out}{err}");
    assert!(
        out.lines()
            .any(|l| l == r#"{"a":\u0009\u000d1e400,"exp":5}"#),
        "{out}"
    );
    assert!(!out.contains(['\t', '\r']), "{out:?}");
    let v = inspect_json(&tok);
    assert_eq!(v["claims"], claims);
}

/// A header's array or object is printed compact: JSON whitespace between
/// its values (a tab, a newline) never reaches the report raw (found by the
/// cli_inspect fuzz target).
#[test]
fn whitespace_inside_a_header_array_is_not_printed_raw() {
    let header = b"{\"alg\":\"ES256\",\"crit\":[\"a\"\t,\n\"b\"\r]}";
    let claims = br#"{"iss":"i","exp":1767229080}"#;
    let token = format!("{}.{}.{}", b64u(header), b64u(claims), b64u(b"sig"));
    let (_, out, _) = inspect(&token, &[]);
    let line = out
        .lines()
        .find(|l| l.starts_with("  - crit"))
        .unwrap_or_else(|| panic!("no crit line: {out}"));
    assert!(line.contains(r#"crit ["a","b"]: "#), "{line}");
    assert!(!out.contains('\t') && !out.contains('\r'), "{out:?}");
}
