//! End-to-end tests of the `tokenlane` binary on the bundled samples
//! (`cli/samples/`, minted by `cli/samples/generate.py` with Python
//! `cryptography`, never by tokenlane).

#![allow(missing_docs)]

mod common;

use common::Out;

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
/// The samples' fixed clock (settings.json).
const NOW: &str = "1767225600";
const ISSUER: &str = "https://issuer.example/";
const API: &str = "https://api.example";
const CLIENT: &str = "client-app";
const NONCE: &str = "n-0S6_WzA2Mj";

fn run(args: &[&str], stdin: Option<&str>) -> Out {
    common::run(args, stdin.unwrap_or(""))
}

fn sample(name: &str) -> String {
    std::fs::read_to_string(format!("{SAMPLES}/{name}")).expect("sample")
}

fn path(name: &str) -> String {
    format!("{SAMPLES}/{name}")
}

/// `verify` at the API (access lane) with the sample JWKS, the token on stdin.
fn verify_api(token_file: &str, extra: &[&str]) -> Out {
    let jwks = path("jwks.json");
    let mut args = vec![
        "verify",
        "--jwks",
        &jwks,
        "--issuer",
        ISSUER,
        "--audience",
        API,
        "--now",
        NOW,
    ];
    args.extend_from_slice(extra);
    args.push("-");
    run(&args, Some(&sample(token_file)))
}

/// `verify` at the client app (ID lane) with the sample JWKS.
fn verify_client(token_file: &str, extra: &[&str]) -> Out {
    let jwks = path("jwks.json");
    let mut args = vec![
        "verify",
        "--jwks",
        &jwks,
        "--issuer",
        ISSUER,
        "--id-token",
        "--client-id",
        CLIENT,
        "--now",
        NOW,
    ];
    args.extend_from_slice(extra);
    args.push("-");
    run(&args, Some(&sample(token_file)))
}

fn assert_refused(out: &Out, code: &str, status: i32, http: u64) {
    assert_eq!(
        out.status, status,
        "stdout: {} stderr: {}",
        out.stdout, out.stderr
    );
    let v = out.json();
    assert_eq!(v["valid"], false);
    let e = &v["error"];
    assert_eq!(e["code"], code, "{v}");
    assert_eq!(e["http_status"], http);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{code}: ")),
        "{v}"
    );
    assert!(
        e["www_authenticate"]
            .as_str()
            .unwrap()
            .starts_with("Bearer "),
        "{v}"
    );
    assert!(e["rfc6750_error"].is_string());
}

fn one_line_error(out: &Out) {
    assert_eq!(out.stderr.lines().count(), 1, "stderr: {:?}", out.stderr);
    assert!(
        out.stderr.starts_with("tokenlane: error: "),
        "stderr: {:?}",
        out.stderr
    );
}

// ---------------------------------------------------------------- demo

#[test]
fn demo_shows_every_verdict_with_http_answers() {
    let out = run(&["demo"], None);
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    let o = &out.stdout;
    for needle in [
        "ACCEPTED  sub alice · client_id client-app · scopes read:appointments write:appointments",
        "REFUSED   wrong_token_type: header typ is JWT, and strict mode requires typ at+jwt",
        "REFUSED   wrong_token_type: claims carry nonce, an ID-token claim",
        "ACCEPTED  sub alice · name Alice Example",
        "REFUSED   wrong_token_type: header typ is at+jwt: an access token, not an ID token",
        "REFUSED   unsupported_algorithm:",
        "REFUSED   algorithm_not_allowed: HS256 is not in the policy's algorithms",
        "REFUSED   algorithm_not_allowed: HS256 does not fit the type of the key named by kid",
        "REFUSED   expired:",
        "REFUSED   insufficient_scope:",
        "HTTP 401  WWW-Authenticate: Bearer realm=\"api\", error=\"invalid_token\"",
        "HTTP 403  WWW-Authenticate: Bearer realm=\"api\", error=\"insufficient_scope\"",
        "scope=\"delete:appointments\"",
        "All 10 verdicts as expected.",
    ] {
        assert!(o.contains(needle), "demo output lacks {needle:?}:\n{o}");
    }
}

#[test]
fn demo_is_deterministic_and_uncoloured_when_piped() {
    let a = run(&["demo"], None);
    let b = run(&["demo"], None);
    assert_eq!(a.stdout, b.stdout);
    assert!(!a.stdout.contains('\x1b'), "colour escape in piped output");
}

// ---------------------------------------------------------------- verify: access lane

#[test]
fn access_token_is_accepted_at_the_api_with_json_shape() {
    let out = verify_api("access.jwt", &["--scope", "read:appointments", "--json"]);
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    let v = out.json();
    assert_eq!(v["valid"], true);
    assert_eq!(v["lane"], "access");
    assert_eq!(v["sub"], "alice");
    assert_eq!(v["client_id"], "client-app");
    assert_eq!(
        v["scopes"],
        serde_json::json!(["read:appointments", "write:appointments"])
    );
    assert_eq!(v["aud"], serde_json::json!([API]));
    assert_eq!(v["exp"], 1_767_229_080u64);
    assert!(
        out.stdout
            .starts_with("{\"valid\":true,\"lane\":\"access\""),
        "{}",
        out.stdout
    );
}

#[test]
fn access_token_is_accepted_in_text_mode() {
    let out = verify_api("access.jwt", &[]);
    assert_eq!(out.status, 0);
    assert!(
        out.stdout.starts_with("valid access token\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("client_id  client-app"));
    assert!(out.stdout.contains("(in 58 minutes)"));
}

#[test]
fn id_token_at_the_api_is_wrong_token_type_by_its_typ() {
    let out = verify_api("id.jwt", &["--json"]);
    assert_refused(&out, "wrong_token_type", 22, 401);
    assert!(out.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("typ is JWT"));
    assert_eq!(out.json()["lane"], "access");
}

#[test]
fn id_token_at_a_compat_api_is_wrong_token_type_by_its_nonce() {
    let out = verify_api("id.jwt", &["--compat", "--json"]);
    assert_refused(&out, "wrong_token_type", 22, 401);
    assert!(out.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("nonce"));
}

#[test]
fn alg_none_is_refused_as_unsupported_algorithm() {
    assert_refused(
        &verify_api("alg-none.jwt", &["--json"]),
        "unsupported_algorithm",
        13,
        401,
    );
}

#[test]
fn hs256_keyed_with_the_public_key_pem_is_refused() {
    assert_refused(
        &verify_api("hs256-pem-forgery.jwt", &["--json"]),
        "algorithm_not_allowed",
        14,
        401,
    );
    // Even when the policy allows HS256 and the key comes from that PEM file.
    let pem = path("ec-public.pem");
    let out = run(
        &[
            "verify",
            "--pem",
            &pem,
            "--kid",
            "demo-ec-1",
            "--alg",
            "ES256",
            "--alg",
            "HS256",
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "--now",
            NOW,
            "--json",
            "-",
        ],
        Some(&sample("hs256-pem-forgery.jwt")),
    );
    assert_refused(&out, "algorithm_not_allowed", 14, 401);
    assert!(out.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("does not fit"));
}

#[test]
fn expired_token_is_refused_with_its_age() {
    let out = verify_api("expired-access.jwt", &["--json"]);
    assert_refused(&out, "expired", 18, 401);
    assert!(out.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("23 hours ago"));
    // And with the system clock, later than the samples' fixed time.
    let jwks = path("jwks.json");
    let out = run(
        &[
            "verify",
            "--jwks",
            &jwks,
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "-",
        ],
        Some(&sample("expired-access.jwt")),
    );
    assert_eq!(out.status, 18);
}

#[test]
fn a_clock_after_year_9999_is_shown_as_such_not_a_panic() {
    // `--now` 2^64-1 once overflowed the "N years ago" arithmetic (exit 101).
    let jwks = path("jwks.json");
    let out = run(
        &[
            "verify",
            "--jwks",
            &jwks,
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "--now",
            "18446744073709551615",
            "-",
        ],
        Some(&sample("access.jwt")),
    );
    assert_eq!(out.status, 18, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout.lines().next().unwrap(),
        "refused (access lane): expired: exp 1767229080 + leeway 0 <= now 18446744073709551615 \
         (exp 2026-01-01T00:58:00Z, more than 8000 years ago)"
    );
}

#[test]
fn missing_scope_is_insufficient_scope_with_403_and_scope_in_header() {
    let out = verify_api(
        "access.jwt",
        &[
            "--scope",
            "read:appointments",
            "--scope",
            "delete:appointments",
            "--json",
        ],
    );
    assert_refused(&out, "insufficient_scope", 25, 403);
    let e = &out.json()["error"];
    assert_eq!(e["rfc6750_error"], "insufficient_scope");
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("\"delete:appointments\""));
    assert!(e["www_authenticate"]
        .as_str()
        .unwrap()
        .contains("scope=\"read:appointments delete:appointments\""));
}

#[test]
fn wrong_audience_and_issuer_are_named() {
    let jwks = path("jwks.json");
    let out = run(
        &[
            "verify",
            "--jwks",
            &jwks,
            "--issuer",
            ISSUER,
            "--audience",
            "https://other.example",
            "--now",
            NOW,
            "--json",
            "-",
        ],
        Some(&sample("access.jwt")),
    );
    assert_refused(&out, "audience_mismatch", 21, 401);
    let out = run(
        &[
            "verify",
            "--jwks",
            &jwks,
            "--issuer",
            "https://evil.example/",
            "--audience",
            API,
            "--now",
            NOW,
            "--json",
            "-",
        ],
        Some(&sample("access.jwt")),
    );
    assert_refused(&out, "issuer_mismatch", 20, 401);
}

#[test]
fn realm_goes_into_www_authenticate() {
    let out = verify_api("expired-access.jwt", &["--realm", "appointments", "--json"]);
    let h = out.json()["error"]["www_authenticate"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        h.starts_with("Bearer realm=\"appointments\", error=\"invalid_token\""),
        "{h}"
    );
}

#[test]
fn text_refusal_names_the_rule_and_the_http_answer() {
    let out = verify_api("id.jwt", &[]);
    assert_eq!(out.status, 22);
    assert!(
        out.stdout
            .starts_with("refused (access lane): wrong_token_type: header typ is JWT"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("HTTP 401"));
    assert!(out
        .stdout
        .contains("WWW-Authenticate: Bearer error=\"invalid_token\""));
}

#[test]
fn pem_key_without_kid_gets_a_hint_and_with_kid_verifies() {
    let pem = path("ec-public.pem");
    let base = [
        "verify",
        "--pem",
        pem.as_str(),
        "--issuer",
        ISSUER,
        "--audience",
        API,
        "--now",
        NOW,
    ];
    let out = run(&[&base[..], &["-"]].concat(), Some(&sample("access.jwt")));
    assert_eq!(out.status, 16, "key_not_found: {}", out.stdout);
    assert!(out.stdout.contains("--kid"), "{}", out.stdout);
    let out = run(
        &[&base[..], &["--kid", "demo-ec-1", "-"]].concat(),
        Some(&sample("access.jwt")),
    );
    assert_eq!(out.status, 0, "{}", out.stdout);
}

#[test]
fn secret_file_verifies_hs256_and_is_never_printed() {
    let secret = path("hs256.secret");
    let secret_text = sample("hs256.secret");
    let base = [
        "verify",
        "--secret-file",
        secret.as_str(),
        "--kid",
        "demo-hs-1",
        "--issuer",
        ISSUER,
        "--audience",
        API,
        "--now",
        NOW,
    ];
    let out = run(
        &[&base[..], &["--json", "-"]].concat(),
        Some(&sample("hs256-access.jwt")),
    );
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.json()["sub"], "alice");
    // A refusal (an ES256 token: not among the algorithms an HMAC secret fits) prints no secret either.
    let out = run(
        &[&base[..], &["-"]].concat(),
        Some(&sample("expired-access.jwt")),
    );
    assert_eq!(
        out.status, 14,
        "ES256 token, only an HMAC key: {}",
        out.stdout
    );
    for o in [&out.stdout, &out.stderr] {
        assert!(!o.contains(&secret_text[..16]), "secret printed: {o}");
    }
}

#[test]
fn token_as_argument_and_bearer_prefix_are_accepted() {
    let jwks = path("jwks.json");
    let token = sample("access.jwt");
    let out = run(
        &[
            "verify",
            "--jwks",
            &jwks,
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "--now",
            NOW,
            token.trim(),
        ],
        None,
    );
    assert_eq!(out.status, 0, "{}", out.stdout);
    let bearer = format!("Bearer {token}");
    let out = run(
        &[
            "verify",
            "--jwks",
            &jwks,
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "--now",
            NOW,
            "-",
        ],
        Some(&bearer),
    );
    assert_eq!(out.status, 0, "{}", out.stdout);
}

#[test]
fn now_accepts_rfc3339() {
    let jwks = path("jwks.json");
    let args = [
        "verify",
        "--jwks",
        &jwks,
        "--issuer",
        ISSUER,
        "--audience",
        API,
        "--now",
        "2026-01-01T00:00:00Z",
        "-",
    ];
    let out = run(&args, Some(&sample("access.jwt")));
    assert_eq!(out.status, 0, "{}", out.stdout);
}

// ---------------------------------------------------------------- verify: ID lane

#[test]
fn id_token_is_accepted_in_the_client_lane_without_scopes() {
    let at = sample("access.jwt");
    let out = verify_client(
        "id.jwt",
        &[
            "--nonce",
            NONCE,
            "--max-age",
            "3600",
            "--access-token",
            at.trim(),
            "--json",
        ],
    );
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    let v = out.json();
    assert_eq!(v["valid"], true);
    assert_eq!(v["lane"], "id");
    assert_eq!(v["sub"], "alice");
    assert_eq!(v["name"], "Alice Example");
    assert_eq!(v["aud"], serde_json::json!([CLIENT]));
    assert!(v.get("scopes").is_none(), "the ID lane has no scopes: {v}");
}

/// Control characters, DEL, C1 controls and bidi overrides: what must never
/// reach a terminal raw (an independent list, not the CLI's own).
fn raw_controls(s: &str) -> Vec<char> {
    s.chars()
        .filter(|&c| {
            c != '\n'
                && (c.is_control()
                    || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        })
        .collect()
}

#[test]
fn claims_with_terminal_escapes_are_printed_escaped_by_verify() {
    // A validly signed ID token (minted by Python `cryptography`,
    // cli/samples/generate.py) whose name and email carry an OSC retitle,
    // BEL, clear-screen, a newline, a bidi override and an 8-bit CSI.
    let out = verify_client("id-control-chars.jwt", &[]);
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout,
        "valid ID token
  sub        alice
  name       \\u001b]0;pwned\\u0007\\u001b[2J
  email      eve@example.com\\u000avalid access token\\u202e\\u009b2J
  iss        https://issuer.example/
  aud        client-app
  nonce      n-0S6_WzA2Mj
  auth_time  1767225480 = 2025-12-31T23:58:00Z (2 minutes ago)
  iat        1767225480 = 2025-12-31T23:58:00Z (2 minutes ago)
  exp        1767229080 = 2026-01-01T00:58:00Z (in 58 minutes)
"
    );
    let out = verify_client("id-control-chars.jwt", &["--json"]);
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        raw_controls(&out.stdout),
        Vec::<char>::new(),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            r#""name":"\u001b]0;pwned\u0007\u001b[2J","email":"eve@example.com\nvalid access token\u202e\u009b2J""#
        ),
        "{}",
        out.stdout
    );
    // The escapes change the bytes shown, not the value.
    let v = out.json();
    assert_eq!(v["name"], "\u{1b}]0;pwned\u{7}\u{1b}[2J");
    assert_eq!(
        v["email"],
        "eve@example.com\nvalid access token\u{202e}\u{9b}2J"
    );
}

#[test]
fn access_token_in_the_client_lane_is_wrong_token_type() {
    let out = verify_client("access.jwt", &["--json"]);
    assert_refused(&out, "wrong_token_type", 22, 401);
    assert_eq!(out.json()["lane"], "id");
    assert!(out.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("at+jwt"));
}

#[test]
fn id_token_with_another_nonce_is_nonce_mismatch() {
    assert_refused(
        &verify_client("id.jwt", &["--nonce", "other", "--json"]),
        "nonce_mismatch",
        26,
        401,
    );
}

#[test]
fn id_token_with_another_access_token_is_at_hash_mismatch() {
    let other = sample("expired-access.jwt");
    let out = verify_client("id.jwt", &["--access-token", other.trim(), "--json"]);
    assert_refused(&out, "at_hash_mismatch", 27, 401);
}

#[test]
fn id_token_older_than_max_age_is_auth_too_old() {
    let out = verify_client("id.jwt", &["--max-age", "30", "--json"]);
    assert_refused(&out, "auth_too_old", 28, 401);
}

#[test]
fn id_token_for_another_client_is_audience_mismatch() {
    let jwks = path("jwks.json");
    let out = run(
        &[
            "verify",
            "--jwks",
            &jwks,
            "--issuer",
            ISSUER,
            "--id-token",
            "--client-id",
            "other-app",
            "--now",
            NOW,
            "--json",
            "-",
        ],
        Some(&sample("id.jwt")),
    );
    assert_refused(&out, "audience_mismatch", 21, 401);
}

// ---------------------------------------------------------------- usage and configuration errors

#[test]
fn unknown_flag_is_a_one_line_usage_error() {
    let out = run(&["verify", "--jwkz", "x"], None);
    assert_eq!(out.status, 2);
    one_line_error(&out);
    assert!(out.stderr.contains("--jwks"), "suggestion: {}", out.stderr);
}

#[test]
fn clap_errors_name_what_is_missing_or_wrong() {
    // Built from clap's error kind and context, not from its rendered text.
    let jwks = path("jwks.json");
    for (args, want) in [
        (
            vec!["verify", "--jwks", &jwks, "--issuer", ISSUER, "--id-token", "tok"],
            "tokenlane: error: the following required arguments were not provided: --client-id <C>; \
             usage: tokenlane verify --client-id <C> --jwks <FILE> --issuer <ISS> --id-token <TOKEN>\n",
        ),
        (
            vec!["verify", "--jwkz", "x"],
            "tokenlane: error: unexpected argument '--jwkz' (did you mean '--jwks'?); \
             usage: tokenlane verify --jwks <FILE> [TOKEN]\n",
        ),
        (
            vec!["inspect", "--now", "yesterday", "tok"],
            "tokenlane: error: invalid value 'yesterday' for '--now <TIME>': \
             expected Unix seconds or an RFC 3339 time such as 2026-01-01T00:00:00Z\n",
        ),
        (
            vec!["inspect", "--now", "\u{1b}[2J", "tok"],
            "tokenlane: error: invalid value '\\u001b[2J' for '--now <TIME>': \
             expected Unix seconds or an RFC 3339 time such as 2026-01-01T00:00:00Z\n",
        ),
        (
            vec!["frob"],
            "tokenlane: error: unrecognized subcommand 'frob'; usage: tokenlane <COMMAND>\n",
        ),
    ] {
        let out = run(&args, None);
        assert_eq!(out.status, 2, "{args:?}");
        assert_eq!(out.stderr, want, "{args:?}");
    }
}

#[test]
fn unreadable_key_file_is_a_one_line_usage_error() {
    let out = run(
        &[
            "verify",
            "--jwks",
            "/nonexistent/keys.json",
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "tok",
        ],
        None,
    );
    assert_eq!(out.status, 2);
    one_line_error(&out);
    assert!(out.stderr.contains("/nonexistent/keys.json"));
}

#[test]
fn a_file_that_is_not_a_key_is_a_configuration_error() {
    let not_a_key = path("access.jwt");
    let out = run(
        &[
            "verify",
            "--pem",
            &not_a_key,
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "tok",
        ],
        None,
    );
    assert_eq!(out.status, 3);
    one_line_error(&out);
    assert!(out.stderr.contains("invalid_key"));
}

#[test]
fn jwks_with_no_usable_key_is_a_configuration_error() {
    let dir = std::env::temp_dir().join(format!("tokenlane-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("enc.json");
    std::fs::write(
        &f,
        r#"{"keys":[{"kty":"EC","crv":"P-256","use":"enc","x":"AA","y":"AA"}]}"#,
    )
    .unwrap();
    let out = run(
        &[
            "verify",
            "--jwks",
            f.to_str().unwrap(),
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "tok",
        ],
        None,
    );
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(out.status, 3);
    one_line_error(&out);
}

#[test]
fn missing_pieces_and_contradictions_are_usage_errors() {
    let jwks = path("jwks.json");
    let cases: &[&[&str]] = &[
        &["verify", "--issuer", ISSUER, "--audience", API, "tok"],
        &["verify", "--jwks", &jwks, "--issuer", ISSUER, "tok"],
        &[
            "verify",
            "--jwks",
            &jwks,
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "--alg",
            "none",
            "tok",
        ],
        &[
            "verify",
            "--jwks",
            &jwks,
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "--alg",
            "Ed448",
            "tok",
        ],
        &[
            "verify",
            "--jwks",
            &jwks,
            "--issuer",
            ISSUER,
            "--id-token",
            "--client-id",
            CLIENT,
            "--scope",
            "x",
            "tok",
        ],
        &[
            "verify",
            "--jwks",
            &jwks,
            "--issuer",
            ISSUER,
            "--id-token",
            "tok",
        ],
        &[
            "verify",
            "--jwks",
            &jwks,
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "--nonce",
            "n",
            "tok",
        ],
        &[
            "verify",
            "--jwks",
            "-",
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "-",
        ],
        &[
            "verify",
            "--jwks",
            &jwks,
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "--now",
            "yesterday",
            "tok",
        ],
        &[
            "verify",
            "--jwks",
            &jwks,
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "--leeway",
            "-1",
            "tok",
        ],
    ];
    for args in cases {
        let out = run(args, Some(""));
        assert_eq!(out.status, 2, "{args:?}: {}", out.stderr);
        one_line_error(&out);
    }
}

#[test]
fn a_policy_the_core_refuses_is_a_configuration_error() {
    let out = verify_api("access.jwt", &["--leeway", "999999"]);
    assert_eq!(out.status, 3, "{}", out.stderr);
    one_line_error(&out);
}

#[test]
fn empty_token_is_malformed() {
    let jwks = path("jwks.json");
    let args = [
        "verify",
        "--jwks",
        &jwks,
        "--issuer",
        ISSUER,
        "--audience",
        API,
        "--json",
        "-",
    ];
    assert_refused(&run(&args, Some("  \n")), "malformed", 11, 401);
}

#[test]
fn garbage_token_is_malformed() {
    let jwks = path("jwks.json");
    let out = run(
        &[
            "verify",
            "--jwks",
            &jwks,
            "--issuer",
            ISSUER,
            "--audience",
            API,
            "--json",
            "not.a.token",
        ],
        None,
    );
    assert_refused(&out, "malformed", 11, 401);
}

// ---------------------------------------------------------------- help

#[test]
fn every_subcommand_has_help_with_an_example() {
    for sub in ["demo", "inspect", "verify"] {
        let out = run(&[sub, "--help"], None);
        assert_eq!(out.status, 0, "{sub}");
        assert!(
            out.stdout.contains("Example"),
            "{sub} --help lacks an example:\n{}",
            out.stdout
        );
    }
    let out = run(&["verify", "--help"], None);
    for needle in [
        "Exit status:",
        "22 wrong_token_type",
        "3   configuration",
        "ES384, ES512, EdDSA, Ed25519",
    ] {
        assert!(
            out.stdout.contains(needle),
            "verify --help lacks {needle:?}"
        );
    }
    let out = run(&["--help"], None);
    assert_eq!(out.status, 0);
    assert!(out.stdout.contains("tokenlane demo"));
}

#[test]
fn verify_help_states_the_cores_named_limits() {
    let out = run(&["verify", "--help"], None);
    for needle in [
        format!(
            "The token size limit in bytes (default {}, at most {})",
            tokenlane::limits::DEFAULT_MAX_TOKEN_BYTES,
            tokenlane::limits::MAX_TOKEN_BYTES_LIMIT
        ),
        format!(
            "Clock-skew leeway in seconds (at most {})",
            tokenlane::time::MAX_LEEWAY_SECS
        ),
    ] {
        assert!(
            out.stdout.contains(&needle),
            "lacks {needle:?}:\n{}",
            out.stdout
        );
    }
}

#[test]
fn no_subcommand_prints_help_and_fails() {
    let out = run(&[], None);
    assert_eq!(out.status, 2);
    assert!(out.stderr.contains("Usage:"));
}

#[test]
fn a_file_name_given_as_the_token_gets_a_hint() {
    let file = path("access.jwt");
    let out = run(&["inspect", &file], None);
    assert_eq!(out.status, 2);
    one_line_error(&out);
    assert!(out.stderr.contains("- <"), "{}", out.stderr);
}

// ---------------------------------------------------------------- README

#[test]
fn readme_example_is_what_the_command_prints() {
    // The first ```console block of cli/README.md, run as written: each
    // `$ cargo run --release -p tokenlane-cli -- ARGS [< FILE]` (with `\`
    // continuations) must print the lines shown under it (a line `  ...`
    // elides the rest), and each `$ echo $?` the status of the one before.
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let block = readme
        .split("```console\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a console block");
    let mut lines = block.lines().peekable();
    let mut last_status: Option<i32> = None;
    let mut ran = 0;
    while let Some(line) = lines.next() {
        let Some(mut cmd) = line.strip_prefix("$ ").map(str::to_owned) else {
            panic!("output without a command: {line:?}");
        };
        while cmd.ends_with('\\') {
            cmd.pop();
            cmd.push_str(lines.next().expect("continuation").trim_start());
        }
        let mut expected = Vec::new();
        while let Some(l) = lines.next_if(|l| !l.starts_with("$ ")) {
            expected.push(l);
        }
        if cmd == "echo $?" {
            assert_eq!(
                expected,
                [last_status.expect("a command before").to_string().as_str()]
            );
            continue;
        }
        let args = cmd
            .strip_prefix("cargo run --release -p tokenlane-cli -- ")
            .unwrap_or_else(|| panic!("not a tokenlane command: {cmd}"));
        let (args, stdin) = match args.split_once(" < ") {
            Some((a, file)) => (
                a,
                Some(std::fs::read_to_string(format!("{root}/{file}")).unwrap()),
            ),
            None => (args, None),
        };
        let argv: Vec<String> = args
            .split_whitespace()
            .map(|a| {
                if a.starts_with("cli/") {
                    format!("{root}/{a}")
                } else {
                    a.to_owned()
                }
            })
            .collect();
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let out = run(&argv, stdin.as_deref());
        let shown = match expected.iter().position(|l| l.trim() == "...") {
            Some(i) => &expected[..i],
            None => &expected[..],
        };
        let printed: Vec<&str> = out.stdout.lines().collect();
        if shown.len() == expected.len() && !shown.is_empty() {
            assert_eq!(printed, shown, "README: {cmd}");
        } else {
            assert!(printed.starts_with(shown), "README: {cmd}\n{}", out.stdout);
        }
        last_status = Some(out.status);
        ran += 1;
    }
    assert_eq!(ran, 3, "the README example runs three commands");
}
