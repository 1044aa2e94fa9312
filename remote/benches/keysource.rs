//! What does a key source cost over a static key set?
//!
//! For ES256, RS256 and HS256 this bench times, interleaved round by round
//! in one process, the whole access-token lane
//! ([`tokenlane::AccessPolicy::validate`]) with keys from
//!
//! - `static`: a [`tokenlane::KeySet`] loaded once;
//! - `source`: a warm [`tokenlane_remote::KeySource`] (its keys fetched once
//!   through a stub transport serving the same JWKS, then fresh), through
//!   [`KeySource::validate_access`]: the atomic freshness check, the
//!   `arc-swap` load, the scratch split.
//!
//! The ratio is the median over rounds of the per-round ratio (wall time;
//! each round runs both contenders back to back, so machine load mostly
//! cancels). The aim: source ÷ static ≤ 1.05.
//!
//! ```text
//! cargo bench -p tokenlane-remote --bench keysource            # full
//! cargo bench -p tokenlane-remote --bench keysource -- --quick # smoke
//! ```
//!
//! Tokens and keys come from `bench/tokens.json` (Python `cryptography`).
#![allow(missing_docs)]

use core::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use tokenlane::{scratch_len, AccessPolicy, Algorithm, AlgorithmSet, KeySet, UnixTime};
use tokenlane_remote::{
    HttpRequest, HttpResponse, KeySource, KeySourceOptions, Transport, TransportError,
};

const TOKENS: &str = include_str!("../../bench/tokens.json");

struct Stub(Vec<u8>);

impl Transport for Stub {
    fn get(&self, _: &HttpRequest<'_>) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status: 200,
            body: self.0.clone(),
            ..HttpResponse::default()
        })
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let doc: Value = serde_json::from_str(TOKENS).expect("bench/tokens.json");
    let s = |v: &Value| v.as_str().expect("string").to_owned();
    let jwks = s(&doc["jwks"]);
    let now = UnixTime::from_secs(doc["now"].as_u64().expect("now"));
    let issuer = s(&doc["issuer"]);
    let aud = [s(&doc["audience"])];
    let scopes = [s(&doc["scope"])];
    let static_keys = KeySet::from_jwks(jwks.as_bytes()).expect("jwks");
    let source = KeySource::with_transport_jwks_uri(
        "https://issuer.example/jwks",
        KeySourceOptions::default(),
        Arc::new(Stub(jwks.into_bytes())),
    )
    .expect("source");
    source.refresh(now).expect("warm");

    let (rounds, calls_pk, calls_hs) = if quick {
        (3, 5, 200)
    } else {
        (31, 200, 20_000)
    };
    println!("=== BEGIN REMOTE TABLE ===");
    println!("| alg | static KeySet µs / call | warm KeySource µs / call | KeySource ÷ KeySet |");
    println!("|---|---:|---:|---:|");
    for alg in [Algorithm::ES256, Algorithm::RS256, Algorithm::HS256] {
        let token = s(&doc["tokens"][alg.name()]);
        let token = token.as_bytes();
        let policy = AccessPolicy::<String>::new(&issuer, &aud, AlgorithmSet::from_slice(&[alg]))
            .expect("policy")
            .with_required_scopes(&scopes)
            .expect("scopes");
        let n = if alg == Algorithm::HS256 {
            calls_hs
        } else {
            calls_pk
        };
        let mut scratch = vec![0u8; tokenlane_remote::scratch_len(token.len())];
        let need = scratch_len(token.len());
        let (mut ratios, mut t_static, mut t_source) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let start = Instant::now();
            for _ in 0..n {
                let ok = policy
                    .validate(black_box(token), &static_keys, now, &mut scratch[..need])
                    .is_ok();
                assert!(black_box(ok));
            }
            let a = start.elapsed().as_secs_f64();
            let start = Instant::now();
            for _ in 0..n {
                let ok = source
                    .validate_access(&policy, black_box(token), now, &mut scratch)
                    .is_ok();
                assert!(black_box(ok));
            }
            let b = start.elapsed().as_secs_f64();
            ratios.push(b / a);
            t_static.push(a / f64::from(n) * 1e6);
            t_source.push(b / f64::from(n) * 1e6);
        }
        println!(
            "| {} | {:.2} | {:.2} | {:.3} |",
            alg.name(),
            median(&mut t_static),
            median(&mut t_source),
            median(&mut ratios)
        );
    }
    println!("=== END REMOTE TABLE ===");
    assert_eq!(source.counts().fetched, 1, "the warm source fetched again");
}
