//! The request lane's cost (issue 19): a DPoP-bound ES256 request through
//! [`tokenlane::request::authorize`] (the proof's ES256 signature, its
//! claims, the RFC 7638 thumbprint, `ath`, the access token's ES256
//! signature and the `cnf.jkt` binding) against a bearer ES256 validation
//! ([`AccessPolicy::validate`]) of the same access token without `cnf`.
//! Aim: DPoP ÷ bearer ≤ 2.1× (two signature checks, little else).
//!
//! The token and the proof are the conformance cases
//! `dpop_bound_token_with_valid_proof` and `bearer_unbound_token`
//! (tests/conformance/cases.json, minted by Python `cryptography`). The
//! replay hook is `NoReplayCheck` (the same proof is sent every time); the
//! built-in `MemoryReplayStore` adds one hash-map insert, measured in its
//! own row with a fresh store per call batch.
//!
//! ```text
//! cargo bench -p tokenlane --features ring --bench request            # full
//! cargo bench -p tokenlane --features ring --bench request -- --quick # smoke
//! ```
//!
//! Times are this thread's CPU time, per round: the bearer validation and
//! the DPoP request back to back; the ratio is the median of the per-round
//! ratios.

use serde_json::Value;
use tokenlane::dpop::{NoReplayCheck, ProofPolicy};
use tokenlane::request::{authorize, DpopMode, RequestFacts};
use tokenlane::{AccessPolicy, Algorithm, AlgorithmSet, Backend, KeySet, UnixTime};

mod common;
use common::cpu_now;

const CASES: &str = include_str!("../../tests/conformance/cases.json");

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// µs per call of `f`, `iters` times.
fn time(iters: u32, f: &mut dyn FnMut()) -> f64 {
    let t = cpu_now();
    for _ in 0..iters {
        f();
    }
    (cpu_now() - t).as_secs_f64() * 1e6 / f64::from(iters)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let doc: Value = serde_json::from_str(CASES).expect("cases.json");
    let case = |name: &str| -> Value {
        doc["request_cases"]
            .as_array()
            .expect("request_cases")
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no case {name}"))
            .clone()
    };
    let dpop_case = case("dpop_bound_token_with_valid_proof");
    let bearer_case = case("bearer_unbound_token");
    let s = |v: &Value| v.as_str().expect("string").to_owned();
    let keyset = &doc["keysets"][s(&dpop_case["keyset"])];
    assert_eq!(
        keyset[0]["kind"], "jwks",
        "the main keyset's first source is a JWKS"
    );
    let keys = KeySet::from_jwks(s(&keyset[0]["data"]).as_bytes()).expect("jwks");
    let p = &dpop_case["policy"];
    let issuer = s(&p["issuer"]);
    let audiences: Vec<String> = p["audience"]
        .as_array()
        .expect("aud")
        .iter()
        .map(&s)
        .collect();
    let now = UnixTime::from_secs(dpop_case["now"].as_u64().expect("now"));
    let auth = s(&dpop_case["request"]["authorization"][0]);
    let proof = s(&dpop_case["request"]["dpop"][0]);
    let bearer = s(&bearer_case["request"]["authorization"][0]);
    let bearer_token = bearer.strip_prefix("Bearer ").expect("Bearer").to_owned();
    let (method, uri) = (
        s(&dpop_case["request"]["method"]),
        s(&dpop_case["request"]["uri"]),
    );
    let authz = [auth.as_bytes()];
    let dpop = [proof.as_bytes()];
    let facts = RequestFacts {
        method: &method,
        uri: &uri,
        authorization: &authz,
        dpop: &dpop,
        certificate_sha256: None,
    };
    let rounds = if quick { 1 } else { 15 };
    let iters = if quick { 2 } else { 400 };
    let mut rows = Vec::new();
    for &backend in Backend::AVAILABLE {
        let policy = AccessPolicy::new(
            &issuer,
            &audiences,
            AlgorithmSet::from_slice(&[Algorithm::ES256]),
        )
        .expect("policy")
        .with_leeway(p["leeway"].as_u64().expect("leeway"))
        .expect("leeway")
        .with_backend(backend);
        let proofs = ProofPolicy::new(AlgorithmSet::from_slice(&[Algorithm::ES256]))
            .expect("proof policy")
            .with_backend(backend);
        let mode = DpopMode::Allowed(&proofs);
        let mut scratch = vec![0u8; 64 * 1024];
        let mut buf = vec![0u8; 64 * 1024];
        let mut bearer_run = || {
            policy
                .validate(bearer_token.as_bytes(), &keys, now, &mut buf)
                .expect("bearer token valid");
        };
        let mut dpop_run = || {
            let (_, b) = authorize(
                &facts,
                &policy,
                &keys,
                mode,
                &NoReplayCheck,
                now,
                &mut scratch,
            )
            .expect("DPoP request accepted");
            assert!(b.jkt.is_some());
        };
        let (mut tb, mut td, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let b = time(iters, &mut bearer_run);
            let d = time(iters, &mut dpop_run);
            tb.push(b);
            td.push(d);
            ratios.push(d / b);
        }
        // The built-in replay store's insert: a fresh store per batch, so
        // every call records (the same proof under a new jti is not
        // needed: the store is emptied, not the proof changed).
        let mut store_cost = Vec::new();
        for _ in 0..rounds {
            let mut total = 0.0;
            for _ in 0..iters {
                let store = tokenlane::dpop::MemoryReplayStore::new(16, 60);
                let t = cpu_now();
                authorize(&facts, &policy, &keys, mode, &store, now, &mut scratch)
                    .expect("accepted");
                total += (cpu_now() - t).as_secs_f64() * 1e6;
            }
            store_cost.push(total / f64::from(iters));
        }
        let (b, d, r, st) = (median(tb), median(td), median(ratios), median(store_cost));
        rows.push(format!(
            "| {} | {b:.1} | {d:.1} | {st:.1} | {r:.2}× | ≤ 2.1× |",
            backend.name()
        ));
    }
    println!(
        "tokenlane request bench: {rounds} rounds of {iters} calls, thread CPU time medians; the ratio is the median of per-round ratios"
    );
    println!("=== BEGIN REQUEST TABLE ===");
    println!("| backend | bearer ES256 validate µs | DPoP-bound ES256 request µs | DPoP request + MemoryReplayStore µs | DPoP ÷ bearer | aim |");
    println!("|---|---:|---:|---:|---:|---|");
    for r in rows {
        println!("{r}");
    }
    println!("=== END REQUEST TABLE ===");
}
