//! `now` and leeway at the edges of their ranges give defined results, never
//! an overflow: a valid token (minted by Python `cryptography`, from the
//! conformance cases) checked at `now = 0` and `now = u64::MAX`.

mod common;

use serde_json::Value;
use tokenlane::{
    scratch_len, AccessPolicy, Algorithm, AlgorithmSet, Error, KeySet, PolicyError, UnixTime,
};

const CASES: &str = include_str!("../../tests/conformance/cases.json");

fn fixture() -> (KeySet, String, u64) {
    let doc: Value = serde_json::from_str(CASES).expect("cases.json");
    let case = doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["name"] == "access_es256_strict_at_jwt_is_accepted")
        .expect("the accepted ES256 case");
    let keys = common::load_keyset(&doc["keysets"]["main"]).expect("keys");
    (
        keys,
        case["token"].as_str().expect("token").to_owned(),
        case["now"].as_u64().expect("now"),
    )
}

fn validate(keys: &KeySet, token: &str, now: u64, leeway: u64) -> Result<(), Error> {
    let aud = ["https://api.example"];
    let policy = AccessPolicy::new(
        "https://issuer.example/",
        &aud,
        AlgorithmSet::from_slice(&[Algorithm::ES256]),
    )
    .expect("policy")
    .with_leeway(leeway)
    .expect("leeway");
    let mut scratch = vec![0u8; scratch_len(token.len())];
    policy
        .validate(
            token.as_bytes(),
            keys,
            UnixTime::from_secs(now),
            &mut scratch,
        )
        .map(|_| ())
}

#[test]
fn now_at_u64_max_is_expired_not_an_overflow() {
    let (keys, token, now) = fixture();
    assert_eq!(validate(&keys, &token, now, 60), Ok(()));
    for leeway in [0, 60, tokenlane::time::MAX_LEEWAY_SECS] {
        assert!(matches!(
            validate(&keys, &token, u64::MAX, leeway),
            Err(Error::Expired { now: u64::MAX, .. })
        ));
    }
}

#[test]
fn now_at_zero_is_not_yet_valid_because_iat_is_in_the_future() {
    let (keys, token, _) = fixture();
    assert!(matches!(
        validate(&keys, &token, 0, tokenlane::time::MAX_LEEWAY_SECS),
        Err(Error::NotYetValid { now: 0, .. })
    ));
}

#[test]
fn a_leeway_over_one_day_is_a_policy_error() {
    let aud = ["https://api.example"];
    let p = AccessPolicy::new(
        "https://issuer.example/",
        &aud,
        AlgorithmSet::from_slice(&[Algorithm::ES256]),
    )
    .expect("policy");
    assert_eq!(
        p.with_leeway(u64::MAX).err(),
        Some(PolicyError::LeewayTooLarge)
    );
    assert_eq!(
        p.with_leeway(tokenlane::time::MAX_LEEWAY_SECS + 1).err(),
        Some(PolicyError::LeewayTooLarge)
    );
}
