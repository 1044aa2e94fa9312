//! RFC 7520 ("Examples of Protecting Content Using JOSE") §3 keys and §4
//! signatures, read in place from `../shared/vectors/jose-cookbook/`
//! (ietf-jose/cookbook), drive the JWS layer ([`verify_compact`]).
//!
//! §4.1 (RS256), §4.2 (PS384), §4.3 (ES512, P-521) and §4.4 (HS256) must
//! verify with the public part of the example key (for §4.4 the symmetric
//! `k`) and return the RFC's payload. RFC 8037 Appendix A.4's Ed25519 JWS
//! (quoted from the RFC below, it is not in the cookbook) verifies as
//! `EdDSA`. Each test prints one line
//! starting with `rfc7520 ` (also written to `target/rfc7520-summary.txt`,
//! since cargo hides the stdout of passing tests):
//!
//! ```text
//! cargo test -p tokenlane --release --test rfc7520 -- --nocapture
//! ```

mod common;

use common::{b64url, jwks_of, load_json, public_jwk, vectors_dir};
use serde_json::Value;
use tokenlane::{scratch_len, verify_compact, Algorithm, AlgorithmSet, Error, KeyError, KeySet};

/// Where the summary lines are also written (`<target>/rfc7520-summary.txt`).
const SUMMARY_FILE: &str = "rfc7520-summary.txt";

/// The token size cap the cases run with (the lanes' default).
const MAX_TOKEN_BYTES: usize = 16 * 1024;

fn cookbook(name: &str) -> Value {
    load_json(&vectors_dir().join("jose-cookbook").join(name))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(v, |v, p| &v[*p])
        .as_str()
        .unwrap_or_else(|| panic!("vector lacks string {}", path.join(".")))
}

/// The verifier's key set: the example key without its private members.
fn public_keys(vector: &Value) -> Result<KeySet, KeyError> {
    KeySet::from_jwks(&jwks_of(&public_jwk(&vector["input"]["key"])))
}

/// Every algorithm this build implements.
fn all_implemented() -> AlgorithmSet {
    Algorithm::ALL
        .into_iter()
        .filter(|a| a.is_implemented())
        .collect()
}

fn verify(token: &str, keys: &KeySet, algs: AlgorithmSet) -> Result<Vec<u8>, Error> {
    let mut scratch = vec![0u8; scratch_len(token.len())];
    verify_compact(token.as_bytes(), keys, algs, MAX_TOKEN_BYTES, &mut scratch).map(<[u8]>::to_vec)
}

/// The token with the first signature character changed (the first
/// base64url character carries 6 full bits, so the result stays canonical).
fn with_tampered_signature(token: &str) -> String {
    let dot = token.rfind('.').expect("compact JWS") + 1;
    let first = token[dot..].chars().next().expect("signature");
    let replacement = if first == 'A' { 'B' } else { 'A' };
    format!("{}{replacement}{}", &token[..dot], &token[dot + 1..])
}

/// §4.1, §4.2, §4.4: the compact output verifies with the public key and
/// only with the algorithm it names, returns the RFC's payload, and a
/// changed signature or the JSON serializations are refused.
fn check_signature_example(file: &str, alg: Algorithm) {
    let v = cookbook(file);
    assert_eq!(
        str_at(&v, &["input", "alg"]),
        alg.name(),
        "{file} names another alg"
    );
    let token = str_at(&v, &["output", "compact"]);
    let payload = str_at(&v, &["input", "payload"]);
    let keys = public_keys(&v).unwrap_or_else(|e| panic!("{file}: key refused: {e:?}"));
    assert_eq!(keys.len(), 1, "{file}: one key loaded");

    // The signature step alone, on the RFC's signing input.
    let sig = b64url(str_at(&v, &["signing", "sig"])).expect("sig is base64url");
    let signing_input = str_at(&v, &["signing", "sig-input"]);
    assert_eq!(
        keys[0].verify_signature(alg, signing_input.as_bytes(), &sig),
        Ok(())
    );

    // The JWS layer, with only this algorithm allowed and with all of them.
    for algs in [AlgorithmSet::from_slice(&[alg]), all_implemented()] {
        let got =
            verify(token, &keys, algs).unwrap_or_else(|e| panic!("{file}: refused: {}", e.code()));
        assert_eq!(
            got,
            payload.as_bytes(),
            "{file}: payload is the RFC's input.payload"
        );
        let middle = token
            .split('.')
            .nth(1)
            .and_then(b64url)
            .expect("payload segment");
        assert_eq!(got, middle, "{file}: payload is the decoded middle segment");
    }

    // What must not pass.
    let others: AlgorithmSet = all_implemented().iter().filter(|a| *a != alg).collect();
    let code = |r: Result<Vec<u8>, Error>| r.err().map(|e| e.code());
    assert_eq!(
        code(verify(token, &keys, others)),
        Some("algorithm_not_allowed"),
        "{file}: alg outside policy"
    );
    assert_eq!(
        code(verify(
            &with_tampered_signature(token),
            &keys,
            all_implemented()
        )),
        Some("invalid_signature"),
        "{file}: changed signature"
    );
    for form in ["json", "json_flat"] {
        let json = serde_json::to_string(&v["output"][form]).expect("serialize");
        assert_eq!(
            code(verify(&json, &keys, all_implemented())),
            Some("malformed"),
            "{file}: {form} serialization is not compact"
        );
    }
    common::summary(
        SUMMARY_FILE,
        format!(
            "rfc7520 {file}: {} verified, payload {} bytes matches; alg outside policy, changed signature and JSON serializations refused",
            alg.name(),
            payload.len()
        ),
    );
}

#[test]
fn rfc7520_4_1_rs256_signature_verifies_with_the_public_rsa_key() {
    check_signature_example("4_1.rsa_v15_signature.json", Algorithm::RS256);
}

#[test]
fn rfc7520_4_2_ps384_signature_verifies_with_the_public_rsa_key() {
    check_signature_example("4_2.rsa-pss_signature.json", Algorithm::PS384);
}

#[test]
fn rfc7520_4_4_hs256_mac_verifies_with_the_symmetric_key() {
    check_signature_example("4_4.hmac-sha2_integrity_protection.json", Algorithm::HS256);
}

#[test]
fn rfc7520_4_3_es512_signature_verifies_with_the_public_p521_key() {
    check_signature_example("4_3.ecdsa_signature.json", Algorithm::ES512);
}

/// RFC 8037 Appendix A.1 (the public key) and A.4 (the JWS of
/// "Example of Ed25519 signing" with `{"alg":"EdDSA"}`), copied from the RFC.
const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const RFC8037_JWS: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

#[test]
fn rfc8037_a4_ed25519_signature_verifies_with_the_okp_key() {
    let jwk = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{RFC8037_X}"}}"#);
    let keys = KeySet::from_jwk(jwk.as_bytes()).expect("RFC 8037 A.1 key loads");
    let got = verify(
        RFC8037_JWS,
        &keys,
        AlgorithmSet::from_slice(&[Algorithm::EdDSA]),
    )
    .unwrap_or_else(|e| panic!("RFC 8037 A.4 refused: {}", e.code()));
    assert_eq!(got, b"Example of Ed25519 signing");
    let code = |r: Result<Vec<u8>, Error>| r.err().map(|e| e.code());
    // The policy decides: EdDSA not allowed (the fully specified name
    // Ed25519 is another algorithm name, not an alias in the policy).
    assert_eq!(
        code(verify(
            RFC8037_JWS,
            &keys,
            AlgorithmSet::from_slice(&[Algorithm::Ed25519, Algorithm::ES256])
        )),
        Some("algorithm_not_allowed")
    );
    assert_eq!(
        code(verify(
            &with_tampered_signature(RFC8037_JWS),
            &keys,
            all_implemented()
        )),
        Some("invalid_signature")
    );
    // A JWK pinned to the other name does not fit EdDSA: the token has no
    // kid, so no key fits it (key_not_found, refusal order step 4).
    let pinned = format!(r#"{{"kty":"OKP","crv":"Ed25519","alg":"Ed25519","x":"{RFC8037_X}"}}"#);
    let keys = KeySet::from_jwk(pinned.as_bytes()).expect("pinned key loads");
    assert_eq!(
        code(verify(RFC8037_JWS, &keys, all_implemented())),
        Some("key_not_found")
    );
    common::summary(
        SUMMARY_FILE,
        "rfc8037 A.4: EdDSA verified with the A.1 OKP key; policy without EdDSA, changed signature and a key pinned to Ed25519 refused".to_owned(),
    );
}

#[test]
fn rfc7520_3_public_keys_load_and_are_the_section_4_keys() {
    // §3.3 (RSA) verifies §4.1 and §4.2; §3.5 (oct, alg HS256) verifies §4.4.
    let cases = [
        (
            "3_3.rsa_public_key.json",
            "4_1.rsa_v15_signature.json",
            Algorithm::RS256,
        ),
        (
            "3_3.rsa_public_key.json",
            "4_2.rsa-pss_signature.json",
            Algorithm::PS384,
        ),
        (
            "3_5.symmetric_key_mac_computation.json",
            "4_4.hmac-sha2_integrity_protection.json",
            Algorithm::HS256,
        ),
        (
            "3_1.ec_public_key.json",
            "4_3.ecdsa_signature.json",
            Algorithm::ES512,
        ),
    ];
    for (key_file, jws_file, alg) in cases {
        let jwk = cookbook(key_file);
        let keys =
            KeySet::from_jwks(&jwks_of(&jwk)).unwrap_or_else(|e| panic!("{key_file}: {e:?}"));
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid(), jwk["kid"].as_str(), "{key_file}: kid kept");
        let vector = cookbook(jws_file);
        let token = str_at(&vector, &["output", "compact"]);
        let r = verify(token, &keys, AlgorithmSet::from_slice(&[alg]));
        assert!(
            r.is_ok(),
            "{key_file} verifies {jws_file}: {:?}",
            r.err().map(|e| e.code())
        );
        common::summary(
            SUMMARY_FILE,
            format!(
                "rfc7520 {key_file}: loads and verifies {jws_file} ({})",
                alg.name()
            ),
        );
    }
}
