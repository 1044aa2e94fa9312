//! The `authorization_cases` of `tests/conformance/cases.json`: RFC 6750
//! §2.1 `Authorization` header parsing by `tokenlane::request::bearer_token`,
//! the same cases the C and Python suites run.

mod common;

use std::path::PathBuf;

use serde_json::Value;
use tokenlane::request::bearer_token;

fn cases() -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("conformance")
        .join("cases.json");
    let doc = common::load_json(&path);
    doc["authorization_cases"]
        .as_array()
        .expect("cases.json has authorization_cases")
        .clone()
}

/// The header bytes of a case: `header` (a string or null) or `header_hex`.
fn header(case: &Value) -> Option<Vec<u8>> {
    if let Some(h) = case["header_hex"].as_str() {
        return Some(common::hex(h).expect("header_hex is hex"));
    }
    case["header"].as_str().map(|s| s.as_bytes().to_vec())
}

#[test]
fn every_authorization_case_gives_its_expected_result() {
    let cases = cases();
    assert!(
        cases.len() >= 20,
        "only {} authorization cases",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let h = header(case);
        let got = match bearer_token(h.as_deref()) {
            Ok(t) => format!("token {t}"),
            Err(e) => format!("error {}", e.code()),
        };
        let want = match (
            case["expect"]["token"].as_str(),
            case["expect"]["error"].as_str(),
        ) {
            (Some(t), _) => format!("token {t}"),
            (None, Some(code)) => format!("error {code}"),
            _ => panic!("{name}: expect has neither token nor error"),
        };
        if got != want {
            failures.push(format!("{name}: expected {want}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn missing_token_challenge_has_no_error_and_invalid_request_is_400() {
    let e = bearer_token(None).unwrap_err();
    let mut s = String::new();
    e.write_www_authenticate(&mut s, Some("api"), None).unwrap();
    assert_eq!(s, r#"Bearer realm="api""#);
    assert_eq!(
        (e.code(), e.rfc6750_error(), e.http_status()),
        ("missing_token", "", 401)
    );
    let e = bearer_token(Some(b"Bearer a b")).unwrap_err();
    assert_eq!(
        (e.code(), e.rfc6750_error(), e.http_status()),
        ("invalid_request", "invalid_request", 400)
    );
}
