//! The verified-signature witness (`validate_remembering` /
//! `validate_witnessed`): the witnessed path skips the signature and
//! nothing else. Tokens are the conformance cases' (minted by Python
//! `cryptography`, `tests/conformance/generate.py`).

mod common;

use serde_json::Value;
use tokenlane::{
    scratch_len, token_sha256, AccessPolicy, Algorithm, AlgorithmSet, Error, ErrorCode, KeySet,
    SignatureWitness, UnixTime,
};

const CASES: &str = include_str!("../../tests/conformance/cases.json");
const ISS: &str = "https://issuer.example/";
const AUD: [&str; 1] = ["https://api.example"];

/// The keyset and token of an accepted case, and its `now`.
fn case(name: &str) -> (KeySet, String, u64) {
    let doc: Value = serde_json::from_str(CASES).expect("cases.json");
    let case = doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("case {name}"));
    let ks = case["keyset"].as_str().expect("keyset");
    let keys = common::load_keyset(&doc["keysets"][ks]).expect("keys");
    (
        keys,
        case["token"].as_str().expect("token").to_owned(),
        case["now"].as_u64().expect("now"),
    )
}

fn policy<'a>(iss: &'a str, scopes: &'a [&'a str], alg: Algorithm) -> AccessPolicy<'a> {
    AccessPolicy::new(iss, &AUD, AlgorithmSet::from_slice(&[alg]))
        .and_then(|p| p.with_required_scopes(scopes))
        .and_then(|p| p.with_leeway(60))
        .expect("policy")
}

/// A witness for the case's token, from a full validation.
fn remember(keys: &KeySet, token: &str, now: u64, alg: Algorithm) -> SignatureWitness {
    let mut scratch = vec![0u8; scratch_len(token.len())];
    let (t, w) = policy(ISS, &["read:appointments"], alg)
        .validate_remembering(
            token.as_bytes(),
            keys,
            UnixTime::from_secs(now),
            &mut scratch,
        )
        .expect("the case is accepted");
    assert_eq!(w.exp(), t.exp());
    assert_eq!(w.token_sha256(), &token_sha256(token.as_bytes()));
    w
}

fn witnessed(
    p: &AccessPolicy<'_>,
    token: &str,
    w: &SignatureWitness,
    now: u64,
) -> Result<(String, Vec<String>), Error> {
    let mut scratch = vec![0u8; scratch_len(token.len())];
    p.validate_witnessed(token.as_bytes(), w, UnixTime::from_secs(now), &mut scratch)
        .map(|t| {
            (
                t.sub().unwrap_or("").to_owned(),
                t.scopes().iter().map(str::to_owned).collect(),
            )
        })
}

#[test]
fn the_witnessed_path_accepts_what_the_full_path_accepted() {
    for (name, alg) in [
        ("access_es256_strict_at_jwt_is_accepted", Algorithm::ES256),
        (
            "access_hs256_with_32_byte_secret_is_accepted",
            Algorithm::HS256,
        ),
    ] {
        let (keys, token, now) = case(name);
        let w = remember(&keys, &token, now, alg);
        let p = policy(ISS, &["read:appointments"], alg);
        let (sub, scopes) = witnessed(&p, &token, &w, now).expect(name);
        assert_eq!(sub, "user-123");
        assert_eq!(scopes, ["read:appointments", "write:appointments"]);
    }
}

#[test]
fn a_witness_of_token_a_does_not_vouch_for_token_b() {
    let (keys, a, now) = case("access_es256_strict_at_jwt_is_accepted");
    let w = remember(&keys, &a, now, Algorithm::ES256);
    let p = policy(ISS, &["read:appointments"], Algorithm::ES256);
    // Another genuine token (RS256) under a policy allowing its algorithm.
    let (_, b, _) = case("access_rs256_strict_is_accepted");
    let p_rs = policy(ISS, &["read:appointments"], Algorithm::RS256);
    assert_eq!(witnessed(&p_rs, &b, &w, now), Err(Error::InvalidSignature));
    // Token A with one signature character changed: never vouched for.
    let mut bytes = a.clone().into_bytes();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).expect("ascii");
    let e = witnessed(&p, &tampered, &w, now).expect_err("tampered");
    assert_eq!(e, Error::InvalidSignature);
    assert_eq!(e.kind(), ErrorCode::InvalidSignature);
    assert_eq!(e.code(), "invalid_signature");
    // The same token through the full path: the same code.
    let mut scratch = vec![0u8; scratch_len(tampered.len())];
    assert_eq!(
        p.validate(
            tampered.as_bytes(),
            &keys,
            UnixTime::from_secs(now),
            &mut scratch
        )
        .map(|_| ()),
        Err(Error::InvalidSignature)
    );
}

#[test]
fn an_expired_token_is_refused_on_the_witnessed_path() {
    let (keys, token, now) = case("access_es256_strict_at_jwt_is_accepted");
    let w = remember(&keys, &token, now, Algorithm::ES256);
    let p = policy(ISS, &["read:appointments"], Algorithm::ES256);
    // Within the leeway (60 s) after exp: still accepted; at exp + leeway:
    // expired.
    assert!(witnessed(&p, &token, &w, w.exp() + 59).is_ok());
    let late = w.exp() + 60;
    assert_eq!(
        witnessed(&p, &token, &w, late),
        Err(Error::Expired {
            exp: w.exp(),
            now: late,
            leeway: 60
        })
    );
}

#[test]
fn a_required_scope_the_token_lacks_is_refused_on_the_witnessed_path() {
    let (keys, token, now) = case("access_es256_strict_at_jwt_is_accepted");
    let w = remember(&keys, &token, now, Algorithm::ES256);
    let p = policy(
        ISS,
        &["read:appointments", "admin:appointments"],
        Algorithm::ES256,
    );
    let e = witnessed(&p, &token, &w, now).expect_err("scope");
    assert_eq!(e, Error::InsufficientScope { missing: 1 });
    assert_eq!(e.code(), "insufficient_scope");
}

#[test]
fn other_policies_decide_anew_on_the_witnessed_path() {
    let (keys, token, now) = case("access_es256_strict_at_jwt_is_accepted");
    let w = remember(&keys, &token, now, Algorithm::ES256);
    // Another issuer.
    let other = policy("https://other.example/", &[], Algorithm::ES256);
    assert_eq!(
        witnessed(&other, &token, &w, now),
        Err(Error::IssuerMismatch)
    );
    // A policy that does not allow the token's algorithm.
    let rs = policy(ISS, &[], Algorithm::RS256);
    let e = witnessed(&rs, &token, &w, now).expect_err("alg");
    assert_eq!(e.code(), "algorithm_not_allowed");
    // Another audience.
    let aud = ["https://other-api.example"];
    let p = AccessPolicy::new(ISS, &aud, AlgorithmSet::from_slice(&[Algorithm::ES256]))
        .expect("policy");
    assert_eq!(witnessed(&p, &token, &w, now), Err(Error::AudienceMismatch));
}

#[test]
fn the_request_path_verifies_a_dpop_proof_in_full_and_the_binding_on_a_witness() {
    use tokenlane::dpop::{MemoryReplayStore, ProofPolicy};
    use tokenlane::request::{
        authorize_remembering, authorize_scratch_len, authorize_witnessed, DpopMode, RequestFacts,
    };
    use tokenlane::{BindingFault, ProofFault};

    let doc: Value = serde_json::from_str(CASES).expect("cases.json");
    let case = doc["request_cases"]
        .as_array()
        .expect("request cases")
        .iter()
        .find(|c| c["name"] == "dpop_bound_token_with_valid_proof")
        .expect("case");
    let keys = common::load_keyset(&doc["keysets"]["main"]).expect("keys");
    let now = UnixTime::from_secs(case["now"].as_u64().expect("now"));
    let req = &case["request"];
    let authorization = req["authorization"][0].as_str().expect("authorization");
    let proof = req["dpop"][0].as_str().expect("proof");
    let token = authorization.split_once(' ').expect("scheme").1;
    let proofs = ProofPolicy::new(AlgorithmSet::from_slice(&[Algorithm::ES256]))
        .and_then(|p| p.with_iat_window(60))
        .expect("proof policy");
    let mode = DpopMode::Allowed(&proofs);
    let policy = policy(ISS, &["read:appointments"], Algorithm::ES256);
    let authz = [authorization.as_bytes()];
    let dpop = [proof.as_bytes()];
    let facts = RequestFacts {
        method: "GET",
        uri: req["uri"].as_str().expect("uri"),
        authorization: &authz,
        dpop: &dpop,
        certificate_sha256: None,
    };
    let mut scratch = vec![0u8; authorize_scratch_len(&facts, policy.max_token_bytes(), mode)];
    let store = MemoryReplayStore::new(16, 60);
    let (_, bound, w) =
        authorize_remembering(&facts, &policy, &keys, mode, &store, now, &mut scratch)
            .expect("accepted");
    assert_eq!(w.token_sha256(), &token_sha256(token.as_bytes()));
    let want = bound.jkt.expect("jkt");
    // The same proof again on the witnessed path: a replay, as in full.
    let e = authorize_witnessed(&facts, &policy, &w, mode, &store, now, &mut scratch)
        .map(|_| ())
        .expect_err("replay");
    assert_eq!(e, Error::InvalidDpopProof(ProofFault::Replayed));
    // A store that has not seen it: accepted, bound to the same key.
    let fresh = MemoryReplayStore::new(16, 60);
    let (_, b) = authorize_witnessed(&facts, &policy, &w, mode, &fresh, now, &mut scratch)
        .expect("witnessed");
    assert_eq!(b.jkt, Some(want));
    // The bound token as Bearer: the cnf rule runs on the witnessed path.
    let bearer = format!("Bearer {token}");
    let authz = [bearer.as_bytes()];
    let facts = RequestFacts {
        authorization: &authz,
        dpop: &[],
        ..facts
    };
    let e = authorize_witnessed(&facts, &policy, &w, mode, &fresh, now, &mut scratch)
        .map(|_| ())
        .expect_err("bearer");
    assert_eq!(
        e,
        Error::TokenBindingMismatch(BindingFault::BoundTokenWithoutProof)
    );
}
