//! Helpers shared by the core's integration tests: where the vectors live,
//! decoding, how an outcome is written down, and how a conformance keyset
//! (`tests/conformance/README.md`, "key source") is loaded.
//!
//! Vectors are read in place from `../shared/vectors/` (never copied into
//! the repository; see that folder's README for sources and licences).

// Each test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

use std::path::PathBuf;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::Value;
use tokenlane::{Algorithm, Error, KeyError, KeySet};

/// `<repo>/../shared/vectors`, the read-only vector folder.
pub(crate) fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("..")
        .join("shared")
        .join("vectors")
}

/// Reads and parses one JSON vector file; panics with the path on failure
/// (a missing vector file is a broken checkout, not a test result).
pub(crate) fn load_json(path: &std::path::Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Decodes lowercase or uppercase hex; `None` on odd length or a non-hex digit.
pub(crate) fn hex(s: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let b = s.as_bytes();
    if b.len() % 2 != 0 {
        return None;
    }
    b.chunks(2)
        .map(|p| Some((nibble(p[0])? << 4) | nibble(p[1])?))
        .collect()
}

/// Decodes unpadded base64url (RFC 7515 §2).
pub(crate) fn b64url(s: &str) -> Option<Vec<u8>> {
    Base64UrlUnpadded::decode_vec(s).ok()
}

/// Encodes unpadded base64url.
pub(crate) fn b64url_encode(b: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(b)
}

/// The JWK members that only a private key has (RFC 7518 §6.2.2, §6.3.2).
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// A copy of `jwk` without its private members: what a verifier's JWKS
/// would publish. `k` (a symmetric secret) is kept: it is the key.
pub(crate) fn public_jwk(jwk: &Value) -> Value {
    let mut out = jwk.clone();
    if let Some(obj) = out.as_object_mut() {
        for m in PRIVATE_MEMBERS {
            obj.remove(m);
        }
    }
    out
}

/// A JWKS document (`{"keys":[jwk]}`) holding one JWK, as bytes for
/// `KeySet::from_jwks`.
pub(crate) fn jwks_of(jwk: &Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "keys": [jwk] })).expect("serialize JWKS")
}

/// What tokenlane did with one vector, written the way the exceptions file
/// records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The signature (or JWS) was accepted.
    Accepted,
    /// Refused; the text is `refused: <code>` or, for a key refused at
    /// load, `refused: invalid_key (<KeyError>)`.
    Refused { code: &'static str, text: String },
}

impl Outcome {
    /// A refusal by the verifier.
    pub(crate) fn refused(e: &Error) -> Self {
        match e {
            Error::InvalidKey(k) => Self::key_refused(k),
            _ => Outcome::Refused {
                code: e.code(),
                text: format!("refused: {}", e.code()),
            },
        }
    }

    /// A refusal while loading the key.
    pub(crate) fn key_refused(k: &KeyError) -> Self {
        let code = Error::from(*k).code();
        Outcome::Refused {
            code,
            text: format!("refused: {code} ({k:?})"),
        }
    }

    /// From a verification result.
    pub(crate) fn of(r: Result<(), Error>) -> Self {
        match r {
            Ok(()) => Outcome::Accepted,
            Err(e) => Self::refused(&e),
        }
    }

    pub(crate) fn is_accepted(&self) -> bool {
        matches!(self, Outcome::Accepted)
    }

    /// The error code of a refusal.
    pub(crate) fn code(&self) -> Option<&'static str> {
        match self {
            Outcome::Accepted => None,
            Outcome::Refused { code, .. } => Some(code),
        }
    }

    /// The text recorded as `actual` in the exceptions file.
    pub(crate) fn text(&self) -> String {
        match self {
            Outcome::Accepted => "accepted".to_owned(),
            Outcome::Refused { text, .. } => text.clone(),
        }
    }
}

/// Verifies with every backend compiled in ([`tokenlane::Backend::AVAILABLE`])
/// and panics if they disagree: the backends must give identical verdicts.
pub(crate) fn verify_signature_every_backend(
    key: &tokenlane::Key,
    alg: tokenlane::Algorithm,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), tokenlane::Error> {
    let mut verdicts = tokenlane::Backend::AVAILABLE
        .iter()
        .map(|b| (*b, key.verify_signature_with(*b, alg, msg, sig)));
    let (first_backend, first) = verdicts.next().expect("at least one backend");
    for (b, v) in verdicts {
        assert_eq!(
            v, first,
            "backends disagree: {b:?} vs {first_backend:?} on {alg}"
        );
    }
    first
}

/// [`tokenlane::verify_compact`] on every backend; panics if they disagree.
pub(crate) fn verify_compact_every_backend(
    token: &[u8],
    keys: &[tokenlane::Key],
    algs: tokenlane::AlgorithmSet,
    max: usize,
) -> Result<Vec<u8>, tokenlane::Error> {
    let mut first: Option<Result<Vec<u8>, tokenlane::Error>> = None;
    for b in tokenlane::Backend::AVAILABLE {
        let mut scratch = vec![0u8; tokenlane::scratch_len(token.len())];
        let r = tokenlane::verify_compact_with(*b, token, keys, algs, max, &mut scratch)
            .map(<[u8]>::to_vec);
        match &first {
            None => first = Some(r),
            Some(f) => assert_eq!(&r, f, "backends disagree on a JWS ({b:?})"),
        }
    }
    first.expect("at least one backend")
}

/// Prints one summary line and records it in `<target>/<file>` (e.g.
/// `wycheproof-summary.txt`), because cargo hides the stdout of passing
/// tests and the project's test script reads these lines. The file holds the
/// lines recorded by this test process, sorted, so a rerun rewrites it
/// whole; it is replaced atomically (write, then rename).
pub(crate) fn summary(file: &str, line: String) {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Mutex;
    static LINES: Mutex<BTreeMap<String, BTreeSet<String>>> = Mutex::new(BTreeMap::new());
    println!("{line}");
    let mut all = LINES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let lines = all.entry(file.to_owned()).or_default();
    lines.insert(line);
    let dir = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").to_owned());
    let _ = std::fs::create_dir_all(&dir);
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let tmp = format!("{dir}/{file}.tmp");
    if std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, format!("{dir}/{file}")))
        .is_err()
    {
        eprintln!("could not write {dir}/{file}");
    }
}

/// Loads one conformance key source (`jwks`, `pem`, `der`, `secret`).
pub(crate) fn load_key_source(src: &Value) -> Result<KeySet, Error> {
    let kid = src.get("kid").and_then(Value::as_str);
    let alg = src
        .get("alg")
        .and_then(Value::as_str)
        .map(|a| Algorithm::from_name(a).unwrap_or_else(|| panic!("case names unknown alg {a}")));
    let data = src["data"].as_str().expect("source data");
    let set = match src["kind"].as_str().expect("source kind") {
        "jwks" => KeySet::from_jwks(data.as_bytes()),
        "pem" => KeySet::from_spki_pem(data, kid, alg),
        "der" => KeySet::from_spki_der(
            &Base64UrlUnpadded::decode_vec(data).expect("der b64"),
            kid,
            alg,
        ),
        "secret" => KeySet::from_secret(
            &Base64UrlUnpadded::decode_vec(data).expect("secret b64"),
            kid,
            alg,
        ),
        other => panic!("unknown key source kind {other}"),
    };
    set.map_err(Error::from)
}

/// Loads a conformance keyset: the union of its sources, in order.
pub(crate) fn load_keyset(sources: &Value) -> Result<KeySet, Error> {
    let mut set = KeySet::new();
    for src in sources.as_array().expect("keyset is a list") {
        set.extend(load_key_source(src)?).map_err(Error::from)?;
    }
    Ok(set)
}
