//! Runs every case of `tests/conformance/introspection.json` (hand-written
//! RFC 7662 introspection responses, see that folder's README) through
//! [`AccessPolicy::validate_introspection`] and checks the exact code (and
//! the claim it names, for `missing_claim` / `invalid_claim`), or the fields
//! of an accepted token. One named test per case:
//!
//! ```text
//! cargo test -p tokenlane --release --test introspection -- --exact <case name>
//! ```

use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{json, Value};
use tokenlane::{
    AccessPolicy, AccessToken, Algorithm, AlgorithmSet, Error, IntrospectionAudience, UnixTime,
};

const CASES: &str = include_str!("../../tests/conformance/introspection.json");

fn setting<'v>(case: &'v Value, defaults: &'v Value, name: &str) -> &'v Value {
    case.get("policy")
        .and_then(|p| p.get(name))
        .unwrap_or(&defaults[name])
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array of strings")
        .iter()
        .map(|s| s.as_str().expect("string").to_owned())
        .collect()
}

fn fields(t: &AccessToken<'_>) -> Value {
    json!({
        "iss": t.iss(),
        "sub": t.sub(),
        "client_id": t.client_id(),
        "jti": t.jti(),
        "aud": t.aud().iter().collect::<Vec<_>>(),
        "scopes": t.scopes().iter().collect::<Vec<_>>(),
        "exp": t.exp(),
        "iat": t.iat(),
        "nbf": t.nbf(),
    })
}

fn run(doc: &Value, i: usize) -> Result<(), Failed> {
    let case = &doc["cases"][i];
    let defaults = &doc["defaults"];
    let issuer = setting(case, defaults, "issuer").as_str().expect("issuer");
    let aud = strings(setting(case, defaults, "audience"));
    let scopes = strings(setting(case, defaults, "required_scopes"));
    let leeway = setting(case, defaults, "leeway").as_u64().expect("leeway");
    let now = UnixTime::from_secs(setting(case, defaults, "now").as_u64().expect("now"));
    let rule = match setting(case, defaults, "introspection_audience").as_str() {
        Some("required") => IntrospectionAudience::Required,
        Some("allow_absent") => IntrospectionAudience::AllowAbsent,
        other => panic!("introspection_audience {other:?}"),
    };
    let policy = AccessPolicy::new(issuer, &aud, AlgorithmSet::from_slice(&[Algorithm::ES256]))
        .and_then(|p| p.with_required_scopes(&scopes))
        .and_then(|p| p.with_leeway(leeway))
        .map_err(|e| format!("policy: {e}"))?
        .with_introspection_audience(rule);

    let body = match (case.get("response"), case.get("response_text")) {
        (Some(v), None) => serde_json::to_string(v).expect("serialize"),
        (None, Some(Value::String(s))) => s.clone(),
        _ => panic!("a case has exactly one of response, response_text"),
    };
    let mut scratch = vec![0u8; body.len()];
    let got = policy.validate_introspection(body.as_bytes(), now, &mut scratch);
    let expect = case["expect"].as_str().expect("expect");
    match (expect, got) {
        ("ok", Ok(t)) => {
            let have = fields(&t);
            if t.alg().is_some() {
                return Err("an introspected token reports an alg".into());
            }
            if let Some(want) = case.get("accepted").and_then(Value::as_object) {
                for (k, v) in want {
                    if &have[k] != v {
                        return Err(format!("{k}: expected {v}, got {}", have[k]).into());
                    }
                }
            }
            Ok(())
        }
        ("ok", Err(e)) => Err(format!("expected acceptance, got {} ({e})", e.code()).into()),
        (code, Ok(t)) => Err(format!("expected {code}, accepted {}", fields(&t)).into()),
        (code, Err(e)) => {
            if e.code() != code {
                return Err(format!("expected {code}, got {} ({e})", e.code()).into());
            }
            let named = match e {
                Error::MissingClaim { claim } | Error::InvalidClaim { claim } => Some(claim.name()),
                _ => None,
            };
            let want = case.get("claim").and_then(Value::as_str);
            if named != want {
                return Err(format!("expected claim {want:?}, got {named:?} ({e})").into());
            }
            Ok(())
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    let doc: Arc<Value> = Arc::new(serde_json::from_str(CASES).expect("introspection.json parses"));
    let cases = doc["cases"].as_array().expect("cases");
    assert!(!cases.is_empty(), "introspection.json holds no cases");
    let trials = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let doc = Arc::clone(&doc);
            let name = c["name"].as_str().expect("case name").to_owned();
            Trial::test(name, move || run(&doc, i)).with_kind("introspection")
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
