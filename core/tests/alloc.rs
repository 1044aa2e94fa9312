//! The ES256 and HS256 paths make zero heap allocations per validation, on
//! every backend compiled in: a counting global allocator watches a
//! validation of tokens from the conformance cases (minted by an
//! independent library). The counter is the `allocation-counter` crate, so
//! this test holds no `unsafe` of ours.
//!
//! It counts Rust's global allocator. The `aws-lc` backend's C code calls
//! `malloc` itself (an `EVP_PKEY_CTX` and the DER signature per ECDSA
//! verification), which no Rust allocator sees: measured separately with
//! valgrind, see BENCHMARKS.md, "Backend choice".

mod common;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::Value;
use tokenlane::{scratch_len, AccessPolicy, Algorithm, Backend, TypMode, UnixTime};

const CASES: &str = include_str!("../../tests/conformance/cases.json");

/// The first accepted access-lane case whose token uses `alg`.
fn accepted_case(doc: &Value, alg: &str) -> Value {
    doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| {
            let header = c["token"]
                .as_str()
                .and_then(|t| t.split('.').next())
                .unwrap_or("");
            let header: Value = Base64UrlUnpadded::decode_vec(header)
                .ok()
                .and_then(|h| serde_json::from_slice(&h).ok())
                .unwrap_or(Value::Null);
            c["lane"] == "access" && c["expect"].get("error").is_none() && header["alg"] == alg
        })
        .unwrap_or_else(|| panic!("no accepted {alg} access case in cases.json"))
        .clone()
}

fn validate_counting(doc: &Value, alg: &str, backend: Backend) -> usize {
    let case = accepted_case(doc, alg);
    let keys = common::load_keyset(&doc["keysets"][case["keyset"].as_str().expect("keyset")])
        .expect("keys load");
    let policy = &case["policy"];
    let aud: Vec<String> = policy["audience"]
        .as_array()
        .expect("aud")
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    let scopes: Vec<String> = policy
        .get("required_scopes")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    let algs = policy["algorithms"]
        .as_array()
        .expect("algs")
        .iter()
        .filter_map(|a| Algorithm::from_name(a.as_str()?))
        .collect();
    let typ = if policy.get("typ").and_then(Value::as_str) == Some("compat") {
        TypMode::Compat
    } else {
        TypMode::Strict
    };
    let p = AccessPolicy::new(policy["issuer"].as_str().unwrap(), &aud, algs)
        .unwrap()
        .with_required_scopes(&scopes)
        .unwrap()
        .with_typ_mode(typ)
        .with_leeway(policy.get("leeway").and_then(Value::as_u64).unwrap_or(0))
        .unwrap()
        .with_backend(backend);
    let token = case["token"].as_str().unwrap().as_bytes();
    let now = UnixTime::from_secs(case["now"].as_u64().unwrap());
    let mut scratch = vec![0u8; scratch_len(token.len())];

    let mut n = 0;
    let info = allocation_counter::measure(|| {
        let t = p
            .validate(token, &keys, now, &mut scratch)
            .expect("accepted");
        n = t.scopes().len() + t.aud().len(); // read the results inside the window too
    });
    assert!(n > 0);
    usize::try_from(info.count_total).expect("count")
}

#[test]
fn es256_and_hs256_validation_make_zero_heap_allocations() {
    let doc: Value = serde_json::from_str(CASES).expect("cases.json");
    assert!(Backend::AVAILABLE.len() >= 3, "rustcrypto, ring and aws-lc");
    for &b in Backend::AVAILABLE {
        for alg in ["ES256", "HS256"] {
            assert_eq!(
                validate_counting(&doc, alg, b),
                0,
                "{alg} validation allocated on {}",
                b.name()
            );
        }
    }
}

#[test]
fn the_counting_allocator_does_count() {
    let info = allocation_counter::measure(|| {
        let v = core::hint::black_box(vec![1u8; 16]);
        assert_eq!(v.len(), 16);
    });
    assert_eq!(info.count_total, 1);
}

/// Issue 19: a DPoP-bound ES256 request (the proof's jwk, its signature,
/// htu, ath, the thumbprint, the token and its `cnf.jkt`) is decided by
/// `request::authorize` with no heap allocation, on the conformance
/// generator's accepted case, on every backend (the proof's key is built
/// per request: under `aws-lc` it is kept as bytes, not parsed into a
/// heap-held `ParsedPublicKey`).
#[test]
fn a_dpop_bound_es256_request_makes_zero_heap_allocations() {
    use tokenlane::dpop::{NoReplayCheck, ProofPolicy};
    use tokenlane::request::{authorize, DpopMode, RequestFacts, Scheme};
    use tokenlane::AlgorithmSet;
    let doc: Value = serde_json::from_str(CASES).expect("cases.json");
    let case = doc["request_cases"]
        .as_array()
        .expect("request_cases")
        .iter()
        .find(|c| c["name"] == "dpop_bound_token_with_valid_proof")
        .expect("the accepted DPoP case");
    let keys = common::load_keyset(&doc["keysets"][case["keyset"].as_str().expect("keyset")])
        .expect("keys load");
    let policy = &case["policy"];
    let aud = [policy["audience"][0].as_str().expect("aud")];
    let scopes = [policy["required_scopes"][0].as_str().expect("scope")];
    let p = AccessPolicy::new(
        policy["issuer"].as_str().unwrap(),
        &aud,
        AlgorithmSet::from_slice(&[Algorithm::ES256]),
    )
    .unwrap()
    .with_required_scopes(&scopes)
    .unwrap()
    .with_leeway(60)
    .unwrap();
    let proofs = ProofPolicy::new(AlgorithmSet::from_slice(&[Algorithm::ES256])).unwrap();
    let req = &case["request"];
    let authorization = [req["authorization"][0].as_str().unwrap().as_bytes()];
    let dpop = [req["dpop"][0].as_str().unwrap().as_bytes()];
    let facts = RequestFacts {
        method: req["method"].as_str().unwrap(),
        uri: req["uri"].as_str().unwrap(),
        authorization: &authorization,
        dpop: &dpop,
        certificate_sha256: None,
    };
    let now = UnixTime::from_secs(case["now"].as_u64().unwrap());
    let mut scratch = vec![0u8; 8 * 1024];
    for &backend in Backend::AVAILABLE {
        let p = p.with_backend(backend);
        let proofs = proofs.with_backend(backend);
        let mut scheme = None;
        let info = allocation_counter::measure(|| {
            let (_, b) = authorize(
                &facts,
                &p,
                &keys,
                DpopMode::Allowed(&proofs),
                &NoReplayCheck,
                now,
                &mut scratch,
            )
            .expect("accepted");
            scheme = Some(b.scheme);
        });
        assert_eq!(scheme, Some(Scheme::Dpop));
        assert_eq!(
            info.count_total,
            0,
            "the DPoP request allocated on {}",
            backend.name()
        );
    }
}
