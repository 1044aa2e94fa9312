//! The fixed world every target validates against: the conformance key set
//! `all` (rsa-1, rsa-2, ec-1, ec-2, hs-32, hs-64 with those kids), the
//! conformance policy values and clock, and the RFC 7520 cookbook keys when
//! `../shared/vectors` is beside the repository.
//!
//! The keys are the public halves of `tests/conformance/keys/*`, derived once
//! with the `rsa` and `p256` crates; tokenlane only receives SPKI DER, as an
//! application would.

use std::sync::OnceLock;

use base64ct::{Base64UrlUnpadded, Encoding};
use p256::pkcs8::{DecodePrivateKey, EncodePublicKey};
use tokenlane::{Algorithm, AlgorithmSet, Key, KeySet};

/// The validation time of every conformance case (2026-01-01T00:00:00Z).
pub const NOW: u64 = 1_767_225_600;
/// The conformance leeway in seconds.
pub const LEEWAY: u64 = 60;
/// The issuer of every policy.
pub const ISSUER: &str = "https://issuer.example/";
/// The API's audience (access lane).
pub const API: &str = "https://api.example";
/// The client's `client_id` (ID lane, and the access lane's second audience).
pub const CLIENT: &str = "client-app";
/// The nonce the checked ID-lane run expects.
pub const NONCE: &str = "n-0S6_WzA2Mj";
/// The scope the scoped access-lane run requires.
pub const SCOPE: &str = "read:appointments";
/// The `max_age` of the checked ID-lane run.
pub const MAX_AGE: u64 = 3600;
/// The access token the checked ID-lane run binds `at_hash` to (any fixed
/// bytes: `at_hash` is the left half of their SHA-256, base64url).
pub const ACCESS_TOKEN: &[u8] = b"tokenlane-fuzz-access-token";

/// The secret the `claims` target signs with (HS256): conformance `hs-32`.
pub const HS32_KID: &str = "hs-32";

/// Every implemented algorithm: the policies allow them all, so the key
/// binding (not the policy) is what the fuzzer meets.
pub fn all_algorithms() -> AlgorithmSet {
    AlgorithmSet::from_slice(&Algorithm::ALL)
}

const RSA_1: &str = include_str!("../../tests/conformance/keys/rsa-1.pem");
const RSA_2: &str = include_str!("../../tests/conformance/keys/rsa-2.pem");
const EC_1: &str = include_str!("../../tests/conformance/keys/ec-1.pem");
const EC_2: &str = include_str!("../../tests/conformance/keys/ec-2.pem");
const HS_32: &str = include_str!("../../tests/conformance/keys/hs-32.secret");
const HS_64: &str = include_str!("../../tests/conformance/keys/hs-64.secret");

/// The `hs-32` secret bytes.
pub fn hs32_secret() -> &'static [u8] {
    static S: OnceLock<Vec<u8>> = OnceLock::new();
    S.get_or_init(|| secret(HS_32))
}

fn secret(text: &str) -> Vec<u8> {
    Base64UrlUnpadded::decode_vec(text.trim()).expect("conformance secret is base64url")
}

fn rsa_spki(pem: &str) -> Vec<u8> {
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(pem).expect("conformance RSA key");
    rsa::RsaPublicKey::from(&private)
        .to_public_key_der()
        .expect("RSA SPKI")
        .into_vec()
}

fn ec_spki(pem: &str) -> Vec<u8> {
    let private = p256::SecretKey::from_pkcs8_pem(pem).expect("conformance P-256 key");
    private
        .public_key()
        .to_public_key_der()
        .expect("P-256 SPKI")
        .into_vec()
}

/// How a fixture key reaches a key set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// SubjectPublicKeyInfo DER (`Key::from_spki_der`).
    SpkiDer,
    /// An HMAC secret (`Key::hmac`).
    Secret,
}

/// One conformance key: its kid, kind and bytes.
#[derive(Debug, Clone)]
pub struct Source {
    /// The kid it is loaded with.
    pub kid: &'static str,
    /// SPKI DER or secret.
    pub kind: SourceKind,
    /// The DER or the secret.
    pub bytes: Vec<u8>,
}

/// The conformance key set `all`, as sources (public halves only).
pub fn sources() -> &'static [Source] {
    static S: OnceLock<Vec<Source>> = OnceLock::new();
    S.get_or_init(|| {
        let src = |kid, kind, bytes| Source { kid, kind, bytes };
        vec![
            src("rsa-1", SourceKind::SpkiDer, rsa_spki(RSA_1)),
            src("rsa-2", SourceKind::SpkiDer, rsa_spki(RSA_2)),
            src("ec-1", SourceKind::SpkiDer, ec_spki(EC_1)),
            src("ec-2", SourceKind::SpkiDer, ec_spki(EC_2)),
            src("hs-32", SourceKind::Secret, secret(HS_32)),
            src("hs-64", SourceKind::Secret, secret(HS_64)),
        ]
    })
}

/// [`sources`] as a key set (what the `ffi` target compares with).
pub fn conformance_keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut set = KeySet::new();
        for s in sources() {
            let key = match s.kind {
                SourceKind::SpkiDer => Key::from_spki_der(&s.bytes),
                SourceKind::Secret => Key::hmac(&s.bytes),
            };
            set.push(key.and_then(|k| k.with_kid(s.kid)).expect("fixture key"))
                .expect("room");
        }
        set
    })
}

/// The key set of the `token` and `claims` targets: conformance `all`, plus
/// the RFC 7520 §4.1/§4.2 RSA key and §4.4 HMAC key when the shared vectors
/// are present (so the cookbook seeds verify in the JWS layer).
pub fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut set = conformance_keys().clone();
        for key in cookbook_keys() {
            set.push(key).expect("key set room");
        }
        set
    })
}

/// Public JWKs from the RFC 7520 cookbook files, if `../shared/vectors` is
/// there (it is in CI and on developer machines; a lone checkout still
/// fuzzes, with the conformance keys only).
fn cookbook_keys() -> Vec<Key> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/jose-cookbook/"
    );
    let mut out = Vec::new();
    for file in [
        "4_1.rsa_v15_signature.json",
        "4_4.hmac-sha2_integrity_protection.json",
    ] {
        let Ok(text) = std::fs::read_to_string(format!("{dir}{file}")) else {
            continue;
        };
        let doc: serde_json::Value = serde_json::from_str(&text).expect("cookbook JSON");
        let mut jwk = doc["input"]["key"].clone();
        if let Some(obj) = jwk.as_object_mut() {
            for private in ["d", "p", "q", "dp", "dq", "qi"] {
                obj.remove(private);
            }
        }
        let doc = serde_json::json!({ "keys": [jwk] });
        let set = KeySet::from_jwks(doc.to_string().as_bytes()).expect("cookbook JWK loads");
        out.extend(set.iter().cloned());
    }
    out
}
