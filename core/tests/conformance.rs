//! Runs every case of `tests/conformance/cases.json` (tokens minted by an
//! independent library, see that folder's README) through the core, and
//! checks the exact code, or the claims of an accepted token; and its
//! Authorization header cases through `tokenlane::request::bearer_token`,
//! and its request cases (DPoP proofs, bound tokens) through
//! `tokenlane::request::authorize`.
//!
//! Each case is its own named test (a `libtest-mimic` harness: the cases
//! come from the data file, so a new case in the generator is a new test
//! with no change here). One case alone:
//!
//! ```text
//! cargo test -p tokenlane --release --test conformance -- --exact <case name>
//! cargo test -p tokenlane <case name>          # the same, across the crate's test binaries
//! ```
//!
//! Every token case runs on every backend compiled in
//! ([`Backend::AVAILABLE`]) and fails if any verdict differs from the
//! default backend's. A run of the whole set (no filter) writes its one-line
//! summary to `<target>/conformance-summary.txt`, which `scripts/test.sh`
//! prints.

mod common;

use std::sync::Arc;

use common::load_keyset;
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use tokenlane::{
    scratch_len, AccessPolicy, Algorithm, AlgorithmSet, Backend, IdChecks, IdPolicy, TypMode,
    UnixTime,
};

const CASES: &str = include_str!("../../tests/conformance/cases.json");

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

fn algorithms(policy: &Value) -> AlgorithmSet {
    policy["algorithms"]
        .as_array()
        .expect("algorithms")
        .iter()
        .map(|a| {
            let a = a.as_str().expect("alg name");
            Algorithm::from_name(a).unwrap_or_else(|| panic!("policy names unknown alg {a}"))
        })
        .collect()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().expect("string").to_owned())
            .collect(),
        Some(other) => panic!("expected strings, got {other}"),
    }
}

/// The outcome of one case: `Ok(claims)` with the fields the file compares,
/// or the error code.
///
/// `order` is the order of the key slice validation gets: the `KeySet`
/// itself (sorted by kid: the lookup's index), the keys in load order, or
/// reversed. The verdicts must not depend on it.
fn run_case(
    case: &Value,
    keysets: &Value,
    backend: Backend,
    order: KeyOrder,
) -> Result<Value, String> {
    let set = load_keyset(&keysets[case["keyset"].as_str().expect("keyset name")])
        .map_err(|e| e.code().to_owned())?;
    let keys: Vec<tokenlane::Key> = match order {
        KeyOrder::Index => set.to_vec(),
        KeyOrder::Load => set.in_load_order().cloned().collect(),
        KeyOrder::Reversed => set.iter().rev().cloned().collect(),
    };
    let policy = &case["policy"];
    let token = case["token"].as_str().expect("token").as_bytes();
    let now = UnixTime::from_secs(case["now"].as_u64().expect("now"));
    let issuer = policy["issuer"].as_str().expect("issuer");
    let leeway = policy.get("leeway").and_then(Value::as_u64).unwrap_or(0);
    let max = policy.get("max_token_bytes").and_then(Value::as_u64);
    let mut scratch = vec![0u8; scratch_len(token.len())];
    match case["lane"].as_str().expect("lane") {
        "access" => {
            let aud = strings(policy.get("audience"));
            let scopes = strings(policy.get("required_scopes"));
            let typ = match policy.get("typ").and_then(s).unwrap_or("strict") {
                "strict" => TypMode::Strict,
                "compat" => TypMode::Compat,
                other => panic!("unknown typ mode {other}"),
            };
            let mut p = AccessPolicy::new(issuer, &aud, algorithms(policy))
                .expect("policy")
                .with_required_scopes(&scopes)
                .expect("scopes")
                .with_typ_mode(typ)
                .with_backend(backend)
                .with_leeway(leeway)
                .expect("leeway");
            if let Some(m) = max {
                p = p
                    .with_max_token_bytes(usize::try_from(m).expect("size"))
                    .expect("max");
            }
            let t = p
                .validate(token, &keys, now, &mut scratch)
                .map_err(|e| e.code().to_owned())?;
            Ok(serde_json::json!({
                "sub": t.sub(),
                "client_id": t.client_id(),
                "scopes": t.scopes().iter().collect::<Vec<_>>(),
            }))
        }
        "id" => {
            let client_id = policy["client_id"].as_str().expect("client_id");
            let mut p = IdPolicy::new(issuer, client_id, algorithms(policy))
                .expect("policy")
                .with_backend(backend)
                .with_leeway(leeway)
                .expect("leeway");
            if let Some(m) = max {
                p = p
                    .with_max_token_bytes(usize::try_from(m).expect("size"))
                    .expect("max");
            }
            let checks = IdChecks {
                nonce: policy.get("nonce").and_then(s),
                max_age: policy.get("max_age").and_then(Value::as_u64),
                access_token: policy.get("access_token").and_then(s).map(str::as_bytes),
            };
            let t = p
                .validate(token, &keys, now, &checks, &mut scratch)
                .map_err(|e| e.code().to_owned())?;
            Ok(serde_json::json!({ "sub": t.sub() }))
        }
        other => panic!("unknown lane {other}"),
    }
}

fn check(name: &str, expect: &Value, got: Result<Value, String>) -> Option<String> {
    match (expect.get("error").and_then(Value::as_str), got) {
        (Some(want), Err(code)) if code == want => None,
        (Some(want), Err(code)) => Some(format!("{name}: expected {want}, got {code}")),
        (Some(want), Ok(_)) => Some(format!(
            "{name}: expected {want}, but the token was accepted"
        )),
        (None, Err(code)) => Some(format!("{name}: expected acceptance, got {code}")),
        (None, Ok(claims)) => {
            for field in ["sub", "client_id", "scopes"] {
                if let Some(want) = expect.get(field) {
                    if claims.get(field) != Some(want) {
                        return Some(format!(
                            "{name}: {field} is {:?}, expected {want}",
                            claims.get(field)
                        ));
                    }
                }
            }
            None
        }
    }
}

/// The order of the key slice a case validates against (see `run_case`).
#[derive(Debug, Clone, Copy)]
enum KeyOrder {
    /// The `KeySet`'s own order: sorted by kid, found by binary search.
    Index,
    /// The order the keys were loaded in (not sorted in general).
    Load,
    /// The `KeySet`'s order reversed (never sorted when kids differ).
    Reversed,
}

/// Runs one token case on the default backend and on every other backend
/// compiled in, and with the keys in index, load and reversed order; the
/// verdicts must agree and match the case's `expect`.
fn token_case(doc: &Value, index: usize) -> Result<(), Failed> {
    let case = &doc["cases"][index];
    let keysets = &doc["keysets"];
    let name = case["name"].as_str().expect("name");
    let outcome = run_case(case, keysets, Backend::DEFAULT, KeyOrder::Index);
    for other in Backend::AVAILABLE {
        let o = run_case(case, keysets, *other, KeyOrder::Index);
        if o != outcome {
            return Err(format!(
                "{name}: backend {other:?} gives {o:?}, the default backend {outcome:?}"
            )
            .into());
        }
    }
    for order in [KeyOrder::Load, KeyOrder::Reversed] {
        let o = run_case(case, keysets, Backend::DEFAULT, order);
        if o != outcome {
            return Err(format!(
                "{name}: keys in {order:?} order give {o:?}, the KeySet's order {outcome:?}"
            )
            .into());
        }
    }
    check(name, &case["expect"], outcome).map_or(Ok(()), |f| Err(f.into()))
}

/// Runs one key case: the source loads with the expected counts, or is
/// refused with the expected code.
fn key_case(doc: &Value, index: usize) -> Result<(), Failed> {
    let kc = &doc["key_cases"][index];
    let name = kc["name"].as_str().expect("name");
    let got = common::load_key_source(&kc["source"]);
    let expect = &kc["expect"];
    let failure = match (expect.get("error").and_then(Value::as_str), got) {
        (Some(want), Err(e)) if e.code() == want => None,
        (Some(want), Err(e)) => Some(format!("{name}: expected {want}, got {e}")),
        (Some(want), Ok(_)) => Some(format!("{name}: expected {want}, but the keys loaded")),
        (None, Err(e)) => Some(format!("{name}: expected the keys to load, got {e}")),
        (None, Ok(set)) => {
            let loaded = expect.get("loaded").and_then(Value::as_u64);
            let skipped = expect.get("skipped").and_then(Value::as_u64);
            if loaded.is_some_and(|l| usize::try_from(l).ok() != Some(set.len()))
                || skipped.is_some_and(|k| usize::try_from(k).ok() != Some(set.skipped().len()))
            {
                Some(format!(
                    "{name}: loaded {} skipped {}, expected {loaded:?}/{skipped:?}",
                    set.len(),
                    set.skipped().len()
                ))
            } else {
                None
            }
        }
    };
    failure.map_or(Ok(()), |f| Err(f.into()))
}

/// Runs one Authorization header case through
/// `tokenlane::request::bearer_token`: the token found, or the exact code.
fn authorization_case(doc: &Value, index: usize) -> Result<(), Failed> {
    let case = &doc["authorization_cases"][index];
    let name = case["name"].as_str().expect("name");
    let header: Option<Vec<u8>> = match case["header_hex"].as_str() {
        Some(h) => Some(common::hex(h).expect("header_hex is hex")),
        None => case["header"].as_str().map(|s| s.as_bytes().to_vec()),
    };
    let got = match tokenlane::request::bearer_token(header.as_deref()) {
        Ok(t) => format!("token {t}"),
        Err(e) => format!("error {}", e.code()),
    };
    let expect = &case["expect"];
    let want = match (expect["token"].as_str(), expect["error"].as_str()) {
        (Some(t), _) => format!("token {t}"),
        (None, Some(code)) => format!("error {code}"),
        _ => return Err(format!("{name}: expect has neither token nor error").into()),
    };
    if got == want {
        Ok(())
    } else {
        Err(format!("{name}: expected {want}, got {got}").into())
    }
}

/// The replay store and nonce check of a request case: `seen_jti` is
/// pre-filled; `dpop_nonce`, when present, is the one nonce accepted.
struct CaseHooks {
    seen: std::sync::Mutex<Vec<String>>,
    nonce: Option<String>,
}

impl tokenlane::dpop::ProofHooks for CaseHooks {
    fn nonce_required(&self) -> bool {
        self.nonce.is_some()
    }
    fn nonce_ok(&self, nonce: &str, _now: UnixTime) -> bool {
        self.nonce.as_deref() == Some(nonce)
    }
    fn check_replay(
        &self,
        jti: &str,
        _jkt: &tokenlane::dpop::Thumbprint,
        _iat: u64,
        _now: UnixTime,
    ) -> tokenlane::dpop::Replay {
        let mut seen = self.seen.lock().expect("lock");
        if seen.iter().any(|s| s == jti) {
            return tokenlane::dpop::Replay::Replayed;
        }
        seen.push(jti.to_owned());
        tokenlane::dpop::Replay::Fresh
    }
}

/// Runs one request case through `tokenlane::request::authorize` on every
/// backend: the scheme, the proof key's thumbprint and the certificate
/// binding of an accepted request, or the exact code (and, when the case
/// names it, the core's fault: which check refused).
fn request_case(doc: &Value, index: usize) -> Result<(), Failed> {
    use tokenlane::dpop::ProofPolicy;
    use tokenlane::nonce::{IssuedNonces, NonceIssuer};
    use tokenlane::request::{authorize, DpopMode, RequestFacts, Scheme};
    let case = &doc["request_cases"][index];
    let name = case["name"].as_str().expect("name");
    let keys = load_keyset(&doc["keysets"][case["keyset"].as_str().expect("keyset")])
        .map_err(|e| format!("{name}: keyset: {e}"))?;
    let policy = &case["policy"];
    let req = &case["request"];
    let now = UnixTime::from_secs(case["now"].as_u64().expect("now"));
    let bytes = |v: &Value| -> Vec<Vec<u8>> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|h| h.as_str().expect("header").as_bytes().to_vec())
            .collect()
    };
    let authorization = bytes(&req["authorization"]);
    let dpop = bytes(&req["dpop"]);
    let auth_refs: Vec<&[u8]> = authorization.iter().map(Vec::as_slice).collect();
    let dpop_refs: Vec<&[u8]> = dpop.iter().map(Vec::as_slice).collect();
    let cert: Option<[u8; 32]> = req["certificate_sha256"]
        .as_str()
        .map(|h| common::hex(h).expect("hex").try_into().expect("32 bytes"));
    let facts = RequestFacts {
        method: req["method"].as_str().expect("method"),
        uri: req["uri"].as_str().expect("uri"),
        authorization: &auth_refs,
        dpop: &dpop_refs,
        certificate_sha256: cert.as_ref(),
    };
    let issuer = policy["issuer"].as_str().expect("issuer");
    let aud = strings(policy.get("audience"));
    let scopes = strings(policy.get("required_scopes"));
    let proof_algs: AlgorithmSet = strings(policy.get("proof_algorithms"))
        .iter()
        .filter_map(|a| Algorithm::from_name(a))
        .collect();
    let expect = &case["expect"];
    let mut first: Option<Value> = None;
    for &backend in Backend::AVAILABLE {
        let p = AccessPolicy::new(issuer, &aud, algorithms(policy))
            .expect("policy")
            .with_required_scopes(&scopes)
            .expect("scopes")
            .with_backend(backend)
            .with_leeway(policy["leeway"].as_u64().expect("leeway"))
            .expect("leeway");
        let proof_policy = ProofPolicy::new(proof_algs)
            .expect("proof policy")
            .with_iat_window(policy["iat_window"].as_u64().expect("iat_window"))
            .expect("window")
            .with_backend(backend);
        let mode = match policy["dpop"].as_str().expect("dpop mode") {
            "bearer_only" => DpopMode::BearerOnly,
            "allowed" => DpopMode::Allowed(&proof_policy),
            "required" => DpopMode::Required(&proof_policy),
            other => panic!("unknown dpop mode {other}"),
        };
        let hooks = CaseHooks {
            seen: std::sync::Mutex::new(strings(policy.get("seen_jti"))),
            nonce: policy.get("dpop_nonce").and_then(s).map(str::to_owned),
        };
        let nonce_issuer = policy.get("dpop_nonce_key").and_then(s).map(|k| {
            let key = <base64ct::Base64UrlUnpadded as base64ct::Encoding>::decode_vec(k)
                .expect("nonce key");
            NonceIssuer::new(&key, policy["dpop_nonce_bucket"].as_u64().expect("bucket"))
                .expect("nonce issuer")
        });
        let issued = nonce_issuer.as_ref().map(|i| IssuedNonces::new(i, &hooks));
        let hooks: &dyn tokenlane::dpop::ProofHooks = match &issued {
            Some(h) => h,
            None => &hooks,
        };
        let mut scratch = vec![0u8; 64 * 1024];
        let result = authorize(&facts, &p, &keys, mode, hooks, now, &mut scratch);
        let response_nonce = issued
            .as_ref()
            .and_then(|h| h.response_nonce(result.is_ok(), now));
        let mut got = match result {
            Ok((_, b)) => serde_json::json!({
                "ok": true,
                "scheme": match b.scheme { Scheme::Bearer => "bearer", _ => "dpop" },
                "jkt": b.jkt.as_ref().map(|t| t.as_str().to_owned()),
                "certificate": b.certificate,
            }),
            Err(e) if expect.get("detail").is_some() => {
                serde_json::json!({ "error": e.code(), "detail": format!("{e:?}") })
            }
            Err(e) => serde_json::json!({ "error": e.code() }),
        };
        if issued.is_some() {
            got["dpop_nonce"] = serde_json::json!(response_nonce.map(|n| n.as_str().to_owned()));
        }
        if let Some(f) = &first {
            if *f != got {
                return Err(format!("{name}: backends disagree: {f} vs {got}").into());
            }
        } else {
            first = Some(got.clone());
        }
        if got != *expect {
            return Err(format!("{name}: expected {expect}, got {got}").into());
        }
    }
    Ok(())
}

fn write_summary(line: &str) {
    println!("{line}");
    let dir = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").to_owned());
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        format!("{dir}/conformance-summary.txt"),
        format!("{line}\n"),
    );
}

fn main() {
    let args = Arguments::from_args();
    let doc: Arc<Value> = Arc::new(serde_json::from_str(CASES).expect("cases.json parses"));
    let names = |list: &str| -> Vec<String> {
        doc[list]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|c| c["name"].as_str().expect("case name").to_owned())
            .collect()
    };
    let token_names = names("cases");
    let key_names = names("key_cases");
    let auth_names = names("authorization_cases");
    let request_names = names("request_cases");
    assert!(!token_names.is_empty(), "cases.json holds no token cases");
    let mut trials = Vec::with_capacity(token_names.len() + key_names.len() + auth_names.len());
    for (i, name) in token_names.iter().enumerate() {
        let doc = Arc::clone(&doc);
        trials.push(Trial::test(name.clone(), move || token_case(&doc, i)).with_kind("token"));
    }
    for (i, name) in key_names.iter().enumerate() {
        let doc = Arc::clone(&doc);
        trials.push(Trial::test(name.clone(), move || key_case(&doc, i)).with_kind("key"));
    }
    for (i, name) in auth_names.iter().enumerate() {
        let doc = Arc::clone(&doc);
        trials.push(
            Trial::test(name.clone(), move || authorization_case(&doc, i))
                .with_kind("authorization"),
        );
    }
    for (i, name) in request_names.iter().enumerate() {
        let doc = Arc::clone(&doc);
        trials.push(Trial::test(name.clone(), move || request_case(&doc, i)).with_kind("request"));
    }
    let conclusion = libtest_mimic::run(&args, trials);
    if !args.list && conclusion.num_filtered_out == 0 {
        write_summary(&format!(
            "conformance: {} token cases, {} key cases, {} Authorization header cases, {} request cases, backends {:?} agree: {} passed, {} failed",
            token_names.len(),
            key_names.len(),
            auth_names.len(),
            request_names.len(),
            Backend::AVAILABLE
                .iter()
                .map(|b| b.name())
                .collect::<Vec<_>>(),
            conclusion.num_passed,
            conclusion.num_failed
        ));
    }
    conclusion.exit();
}
