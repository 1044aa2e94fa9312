//! Project Wycheproof vectors (C2SP/wycheproof `testvectors_v1/`, read in
//! place from `../shared/vectors/wycheproof/` and
//! `../shared/vectors/wycheproof-es384-es512-ed25519/`) drive the signature layer
//! ([`Key::verify_signature`]) and the JWS layer ([`tokenlane::verify_compact`],
//! [`KeySet::from_jwks`]).
//!
//! Like webpki's x509-limbo harness, every case sorts into exactly one of:
//!
//! - **pass-valid** / **pass-invalid**: tokenlane agrees with the vector;
//! - **acceptable**: a Wycheproof `acceptable` case, handled as the written
//!   decision for one of its flags says (`decisions` in
//!   `wycheproof_exceptions.json`);
//! - **not-jwa**: a group whose parameters JWS never uses (a truncated HMAC
//!   tag, a PSS salt length other than the hash length, another hash): every
//!   case must be refused, whatever its `result`;
//! - **unsupported**: a `valid` JWS in an algorithm this build does not
//!   implement: it must be refused with `unsupported_algorithm` (with the
//!   default features every JWS algorithm in the files is implemented, and
//!   only JSON-serialized JWS count here);
//! - **skipped** (with a reason): none today, every case is run;
//! - **divergence**: a known, deliberate difference, listed with `file`,
//!   `tcId`, `expected`, `actual` and `reason` in the exceptions file;
//! - **unexpected**: a valid case refused or an invalid case accepted (or an
//!   acceptable case handled against its decision).
//!
//! The tests fail on any unexpected outcome and on any exception entry or
//! decision that no longer matches a case (stale). Per-file counts are
//! printed as one line each starting with `wycheproof `, then a total line
//! (also written to `target/wycheproof-summary.txt`, since cargo hides the
//! stdout of passing tests):
//!
//! ```text
//! cargo test -p tokenlane --release --test wycheproof -- --nocapture
//! ```

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use common::{b64url, hex, jwks_of, load_json, public_jwk, vectors_dir, Outcome};
use serde_json::Value;
use tokenlane::{Algorithm, AlgorithmSet, Key, KeyError, KeySet};

/// Decisions for `acceptable` flags and the known divergences.
const EXCEPTIONS: &str = include_str!("wycheproof_exceptions.json");

/// The token size cap the JWS cases run with (the lanes' default).
const MAX_TOKEN_BYTES: usize = 16 * 1024;

// ---------------------------------------------------------------------------
// Classification

/// Which harness reads a vector file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    EcdsaP256,
    EcdsaP384,
    EcdsaP521,
    Ed25519,
    RsaPkcs1,
    RsaPss,
    Hmac,
    Jws,
    Jwk,
}

impl Family {
    fn of(file: &str) -> Option<Self> {
        let table = [
            ("ecdsa_secp256r1_sha256_p1363_", Family::EcdsaP256),
            ("ecdsa_secp384r1_sha384_p1363_", Family::EcdsaP384),
            ("ecdsa_secp521r1_sha512_p1363_", Family::EcdsaP521),
            ("ed25519_", Family::Ed25519),
            ("rsa_signature_", Family::RsaPkcs1),
            ("rsa_pss_", Family::RsaPss),
            ("hmac_sha", Family::Hmac),
            ("json_web_signature_", Family::Jws),
            ("json_web_key_", Family::Jwk),
        ];
        table
            .iter()
            .find(|(p, _)| file.starts_with(p))
            .map(|&(_, f)| f)
    }
}

/// How a case is judged besides its `result`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Judged by `result`.
    Normal,
    /// The group's parameters are not the JWA ones: must be refused.
    NotJwa,
    /// A JWS in an algorithm (or serialization) tokenlane does not
    /// implement: a `valid` case must be refused with this code.
    Unsupported(&'static str),
}

/// Where a case that agrees with the vector (or with a decision) is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    PassValid,
    PassInvalid,
    Acceptable,
    NotJwa,
    Unsupported,
}

/// Per-file (and total) counts. `skipped` is part of the stable line format
/// but no case is skipped today: every case of every driven file is run.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    cases: usize,
    pass_valid: usize,
    pass_invalid: usize,
    acceptable: usize,
    not_jwa: usize,
    unsupported: usize,
    skipped: usize,
    divergences: usize,
    unexpected: usize,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.cases += o.cases;
        self.pass_valid += o.pass_valid;
        self.pass_invalid += o.pass_invalid;
        self.acceptable += o.acceptable;
        self.not_jwa += o.not_jwa;
        self.unsupported += o.unsupported;
        self.skipped += o.skipped;
        self.divergences += o.divergences;
        self.unexpected += o.unexpected;
    }

    fn line(&self) -> String {
        format!(
            "{} cases, {} pass-valid, {} pass-invalid, {} acceptable, {} not-jwa, {} unsupported, \
             {} skipped, {} divergences, {} unexpected",
            self.cases,
            self.pass_valid,
            self.pass_invalid,
            self.acceptable,
            self.not_jwa,
            self.unsupported,
            self.skipped,
            self.divergences,
            self.unexpected
        )
    }
}

/// A written decision for an `acceptable` flag.
struct Decision {
    accept: bool,
}

/// A known divergence from the exceptions file.
struct Divergence {
    expected: String,
    actual: String,
}

struct Exceptions {
    decisions: BTreeMap<String, Decision>,
    divergences: BTreeMap<(String, u64), Divergence>,
}

fn load_exceptions() -> Exceptions {
    let v: Value = serde_json::from_str(EXCEPTIONS).expect("wycheproof_exceptions.json is JSON");
    let mut decisions = BTreeMap::new();
    for (flag, d) in v["decisions"].as_object().expect("decisions object") {
        let accept = match d["decision"].as_str() {
            Some("accept") => true,
            Some("refuse") => false,
            other => panic!("decision for {flag} must be accept or refuse, not {other:?}"),
        };
        assert!(
            d["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "decision for {flag} needs a reason"
        );
        decisions.insert(flag.clone(), Decision { accept });
    }
    let mut divergences = BTreeMap::new();
    for e in v["divergences"].as_array().expect("divergences array") {
        let file = e["file"].as_str().expect("divergence file").to_owned();
        let tc = e["tcId"].as_u64().expect("divergence tcId");
        let expected = e["expected"]
            .as_str()
            .expect("divergence expected")
            .to_owned();
        let actual = e["actual"].as_str().expect("divergence actual").to_owned();
        assert!(
            e["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "divergence {file} #{tc} needs a reason"
        );
        let dup = divergences.insert((file.clone(), tc), Divergence { expected, actual });
        assert!(dup.is_none(), "divergence {file} #{tc} is listed twice");
    }
    Exceptions {
        decisions,
        divergences,
    }
}

/// One file's counts and its unexpected outcomes.
struct FileReport {
    name: String,
    family: Family,
    counts: Counts,
    problems: Vec<String>,
}

/// Everything one run found.
struct Run {
    files: Vec<FileReport>,
    undriven: Vec<String>,
    stale: Vec<String>,
}

/// Sorts cases of one file; shares the exceptions and records what it used.
struct Judge<'a> {
    ex: &'a Exceptions,
    used_divergences: &'a mut BTreeSet<(String, u64)>,
    used_decisions: &'a mut BTreeSet<String>,
    stale: &'a mut Vec<String>,
    file: String,
    counts: Counts,
    problems: Vec<String>,
}

impl Judge<'_> {
    fn problem(&mut self, msg: String) {
        self.counts.unexpected += 1;
        self.problems.push(format!("{}: {msg}", self.file));
    }

    /// Sorts one case into its category.
    fn case(&mut self, test: &Value, kind: Kind, outcome: &Outcome) {
        let tc = test["tcId"].as_u64().expect("tcId");
        let result = test["result"].as_str().expect("result");
        let flags: Vec<&str> = test["flags"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let comment = test["comment"].as_str().unwrap_or("");
        self.counts.cases += 1;
        if verbose() {
            println!(
                "case {} #{tc} {result} {flags:?} ({comment}): {}",
                self.file,
                outcome.text()
            );
        }

        // What the vector alone says about this outcome: Ok(category) or
        // Err(why it is unexpected).
        let verdict: Result<Category, String> = match (kind, result) {
            (Kind::NotJwa, _) if outcome.is_accepted() => {
                Err("accepted, but the group's parameters are not JWA's".to_owned())
            }
            (Kind::NotJwa, _) => Ok(Category::NotJwa),
            (Kind::Unsupported(code), "valid" | "acceptable") => {
                if outcome.code() == Some(code) {
                    Ok(Category::Unsupported)
                } else {
                    Err(format!("unsupported algorithm: wanted refused: {code}"))
                }
            }
            (_, "valid") if outcome.is_accepted() => Ok(Category::PassValid),
            (_, "valid") => Err("valid case refused".to_owned()),
            (_, "invalid") if outcome.is_accepted() => Err("invalid case accepted".to_owned()),
            (_, "invalid") => Ok(Category::PassInvalid),
            (_, "acceptable") => {
                let decided: Vec<(&str, bool)> = flags
                    .iter()
                    .filter_map(|f| self.ex.decisions.get(*f).map(|d| (*f, d.accept)))
                    .collect();
                for (f, _) in &decided {
                    self.used_decisions.insert((*f).to_owned());
                }
                match decided.as_slice() {
                    [] => Err(format!(
                        "acceptable case has no written decision for its flags {flags:?}"
                    )),
                    [(_, accept), rest @ ..] if rest.iter().any(|(_, a)| a != accept) => {
                        Err(format!("flags {flags:?} have conflicting decisions"))
                    }
                    [(_, accept), ..] if *accept == outcome.is_accepted() => {
                        Ok(Category::Acceptable)
                    }
                    [(f, accept), ..] => Err(format!(
                        "decision for {f} is to {}",
                        if *accept { "accept" } else { "refuse" }
                    )),
                }
            }
            (_, other) => Err(format!("unknown result {other:?}")),
        };

        let key = (self.file.clone(), tc);
        let listed = self.ex.divergences.get(&key);
        match (verdict, listed) {
            (Ok(cat), None) => self.count(cat),
            (Ok(cat), Some(_)) => {
                self.stale.push(format!(
                    "{} #{tc}: listed as a divergence, but the case now passes ({cat:?}, {})",
                    self.file,
                    outcome.text()
                ));
                self.count(cat);
            }
            (Err(_), Some(d)) if d.expected == result && d.actual == outcome.text() => {
                self.used_divergences.insert(key);
                self.counts.divergences += 1;
            }
            (Err(why), Some(d)) => {
                self.stale.push(format!(
                    "{} #{tc}: divergence lists expected {:?} actual {:?}, the case is {result:?} with {:?}",
                    self.file,
                    d.expected,
                    d.actual,
                    outcome.text()
                ));
                self.problem(format!(
                    "#{tc} ({comment}, {flags:?}): {why}; got {}",
                    outcome.text()
                ));
            }
            (Err(why), None) => {
                self.problem(format!(
                    "#{tc} ({comment}, {flags:?}): {why}; got {}",
                    outcome.text()
                ));
            }
        }
    }

    fn count(&mut self, cat: Category) {
        let c = &mut self.counts;
        match cat {
            Category::PassValid => c.pass_valid += 1,
            Category::PassInvalid => c.pass_invalid += 1,
            Category::Acceptable => c.acceptable += 1,
            Category::NotJwa => c.not_jwa += 1,
            Category::Unsupported => c.unsupported += 1,
        }
    }
}

/// `WYCHEPROOF_VERBOSE=1` prints every case's outcome (lines start with
/// `case `, so the summary lines stay greppable).
fn verbose() -> bool {
    static V: OnceLock<bool> = OnceLock::new();
    *V.get_or_init(|| std::env::var_os("WYCHEPROOF_VERBOSE").is_some_and(|v| v == "1"))
}

// ---------------------------------------------------------------------------
// Vector readers

fn hex_field(v: &Value, name: &str) -> Vec<u8> {
    let s = v[name]
        .as_str()
        .unwrap_or_else(|| panic!("hex field {name}"));
    hex(s).unwrap_or_else(|| panic!("field {name} is not hex"))
}

fn groups(doc: &Value) -> &[Value] {
    doc["testGroups"].as_array().expect("testGroups")
}

fn tests(group: &Value) -> &[Value] {
    group["tests"].as_array().expect("tests")
}

/// An EC coordinate from hex, as exactly `size` bytes (Wycheproof writes
/// them as ASN.1 integers: a leading `00` when the top bit is set).
fn coordinate(pk: &Value, name: &str, size: usize) -> Vec<u8> {
    let b = hex_field(pk, name);
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    let digits = &b[first..];
    let mut out = vec![0u8; size.saturating_sub(digits.len())];
    out.extend_from_slice(digits);
    out
}

/// The first key a single JWK loads as.
fn key_from_jwk(jwk: &Value) -> Result<Key, KeyError> {
    let set = KeySet::from_jwks(&jwks_of(jwk))?;
    Ok(set.first().cloned().expect("a loaded set holds a key"))
}

/// Verifies one case with the group's key loaded the first way; for `valid`
/// and `acceptable` cases also with every other way the key can be loaded
/// (SPKI DER, JWK, coordinates), which must agree, else it is a problem. The
/// other paths skip `invalid` cases only to keep the RSA files fast: one
/// accepted signature already proves the paths loaded the same key.
fn verify_all_paths(
    judge: &mut Judge<'_>,
    tc: &Value,
    keys: &[(&str, Result<Key, KeyError>)],
    alg: Algorithm,
    msg: &[u8],
    sig: &[u8],
) -> Outcome {
    let verify = |k: &Result<Key, KeyError>| match k {
        Ok(k) => Outcome::of(common::verify_signature_every_backend(k, alg, msg, sig)),
        Err(e) => Outcome::key_refused(e),
    };
    let (first_path, first_key) = &keys[0];
    let first = verify(first_key);
    if tc["result"].as_str() == Some("invalid") {
        return first;
    }
    for (path, k) in &keys[1..] {
        let o = verify(k);
        if o != first {
            judge.problem(format!(
                "#{}: key loaded via {path} gives {}, via {first_path} gives {}",
                tc["tcId"],
                o.text(),
                first.text()
            ));
        }
    }
    first
}

/// The JWA algorithm for a hash name and family, if JWS has one.
fn jwa_alg(family: Family, sha: &str) -> Option<Algorithm> {
    use Algorithm::*;
    let by_hash = |a256, a384, a512| match sha {
        "SHA-256" => Some(a256),
        "SHA-384" => Some(a384),
        "SHA-512" => Some(a512),
        _ => None,
    };
    match family {
        Family::EcdsaP256 => (sha == "SHA-256").then_some(ES256),
        Family::EcdsaP384 => (sha == "SHA-384").then_some(ES384),
        Family::EcdsaP521 => (sha == "SHA-512").then_some(ES512),
        Family::Ed25519 => Some(EdDSA),
        Family::RsaPkcs1 => by_hash(RS256, RS384, RS512),
        Family::RsaPss => by_hash(PS256, PS384, PS512),
        Family::Hmac => by_hash(HS256, HS384, HS512),
        Family::Jws | Family::Jwk => None,
    }
}

fn hash_len(sha: &str) -> Option<u64> {
    match sha {
        "SHA-256" => Some(32),
        "SHA-384" => Some(48),
        "SHA-512" => Some(64),
        _ => None,
    }
}

/// The curve of an ECDSA file: its Wycheproof name, JWA algorithm,
/// coordinate size, and the two key constructors (SEC1 point, x/y).
struct Curve {
    name: &'static str,
    alg: Algorithm,
    size: usize,
    sec1: fn(&[u8]) -> Result<Key, KeyError>,
    xy: fn(&[u8], &[u8]) -> Result<Key, KeyError>,
}

fn curve_of(family: Family) -> Curve {
    match family {
        Family::EcdsaP256 => Curve {
            name: "secp256r1",
            alg: Algorithm::ES256,
            size: 32,
            sec1: Key::p256_sec1,
            xy: Key::p256,
        },
        Family::EcdsaP384 => Curve {
            name: "secp384r1",
            alg: Algorithm::ES384,
            size: 48,
            sec1: Key::p384_sec1,
            xy: Key::p384,
        },
        Family::EcdsaP521 => Curve {
            name: "secp521r1",
            alg: Algorithm::ES512,
            size: 66,
            sec1: Key::p521_sec1,
            xy: Key::p521,
        },
        other => panic!("{other:?} is not an ECDSA family"),
    }
}

fn run_ecdsa(judge: &mut Judge<'_>, doc: &Value, family: Family) {
    let c = curve_of(family);
    for g in groups(doc) {
        let sha = g["sha"].as_str().unwrap_or("");
        let curve = g["publicKey"]["curve"].as_str().unwrap_or("");
        let (alg, kind) = match jwa_alg(family, sha) {
            Some(a) if curve == c.name => (a, Kind::Normal),
            _ => (c.alg, Kind::NotJwa),
        };
        let pk = &g["publicKey"];
        let mut keys = vec![
            ("SEC1 point", (c.sec1)(&hex_field(pk, "uncompressed"))),
            (
                "SPKI DER",
                Key::from_spki_der(&hex_field(g, "publicKeyDer")),
            ),
            (
                "x/y",
                (c.xy)(&coordinate(pk, "wx", c.size), &coordinate(pk, "wy", c.size)),
            ),
        ];
        if let Some(pem) = g["publicKeyPem"].as_str() {
            keys.push(("SPKI PEM", Key::from_spki_pem(pem)));
        }
        if let Some(jwk) = g.get("publicKeyJwk") {
            keys.push(("JWK", key_from_jwk(jwk)));
        }
        for t in tests(g) {
            let o = verify_all_paths(
                judge,
                t,
                &keys,
                alg,
                &hex_field(t, "msg"),
                &hex_field(t, "sig"),
            );
            judge.case(t, kind, &o);
        }
    }
}

/// Ed25519 (RFC 8032): every group's key loaded four ways (raw 32 bytes,
/// SPKI DER and PEM, OKP JWK), each case verified as `EdDSA` and, since the
/// RFC 9864 name is the same verification, also as `Ed25519`, which must
/// agree.
fn run_ed25519(judge: &mut Judge<'_>, doc: &Value) {
    for g in groups(doc) {
        let keys = vec![
            ("raw", Key::ed25519(&hex_field(&g["publicKey"], "pk"))),
            (
                "SPKI DER",
                Key::from_spki_der(&hex_field(g, "publicKeyDer")),
            ),
            (
                "SPKI PEM",
                Key::from_spki_pem(g["publicKeyPem"].as_str().expect("publicKeyPem")),
            ),
            ("JWK", key_from_jwk(&g["publicKeyJwk"])),
        ];
        for t in tests(g) {
            let (msg, sig) = (hex_field(t, "msg"), hex_field(t, "sig"));
            let o = verify_all_paths(judge, t, &keys, Algorithm::EdDSA, &msg, &sig);
            let o2 = verify_all_paths(judge, t, &keys, Algorithm::Ed25519, &msg, &sig);
            if o != o2 {
                judge.problem(format!(
                    "#{}: EdDSA gives {}, Ed25519 gives {}",
                    t["tcId"],
                    o.text(),
                    o2.text()
                ));
            }
            judge.case(t, Kind::Normal, &o);
        }
    }
}

fn run_rsa(judge: &mut Judge<'_>, doc: &Value, family: Family) {
    for g in groups(doc) {
        let sha = g["sha"].as_str().unwrap_or("");
        let jwa = jwa_alg(family, sha);
        let params_ok = match family {
            Family::RsaPss => {
                g["mgf"].as_str() == Some("MGF1")
                    && g["mgfSha"].as_str() == Some(sha)
                    && g["sLen"].as_u64() == hash_len(sha)
            }
            _ => true,
        };
        let fallback = if family == Family::RsaPss {
            Algorithm::PS256
        } else {
            Algorithm::RS256
        };
        let (alg, kind) = match jwa {
            Some(a) if params_ok => (a, Kind::Normal),
            Some(a) => (a, Kind::NotJwa),
            None => (fallback, Kind::NotJwa),
        };
        let pk = &g["publicKey"];
        let mut keys = vec![
            (
                "n/e",
                Key::rsa(&hex_field(pk, "modulus"), &hex_field(pk, "publicExponent")),
            ),
            (
                "SPKI DER",
                Key::from_spki_der(&hex_field(g, "publicKeyDer")),
            ),
        ];
        if let Some(jwk) = g.get("keyJwk").or_else(|| g.get("publicKeyJwk")) {
            keys.push(("JWK", key_from_jwk(jwk)));
        }
        for t in tests(g) {
            let o = verify_all_paths(
                judge,
                t,
                &keys,
                alg,
                &hex_field(t, "msg"),
                &hex_field(t, "sig"),
            );
            judge.case(t, kind, &o);
        }
    }
}

fn run_hmac(judge: &mut Judge<'_>, doc: &Value) {
    let sha = match doc["algorithm"].as_str() {
        Some("HMACSHA256") => "SHA-256",
        Some("HMACSHA384") => "SHA-384",
        Some("HMACSHA512") => "SHA-512",
        other => panic!("unknown HMAC algorithm {other:?}"),
    };
    let alg = jwa_alg(Family::Hmac, sha).expect("HMAC alg");
    let hash_bits = hash_len(sha).expect("hash") * 8;
    for g in groups(doc) {
        // JWS never truncates a MAC (RFC 7518 §3.2): a shorter tag is not JWA.
        let kind = if g["tagSize"].as_u64() == Some(hash_bits) {
            Kind::Normal
        } else {
            Kind::NotJwa
        };
        for t in tests(g) {
            let o = match Key::hmac(&hex_field(t, "key")) {
                Ok(k) => Outcome::of(common::verify_signature_every_backend(
                    &k,
                    alg,
                    &hex_field(t, "msg"),
                    &hex_field(t, "tag"),
                )),
                Err(e) => Outcome::key_refused(&e),
            };
            judge.case(t, kind, &o);
        }
    }
}

/// Every algorithm this build implements: the JWK `alg` pins and the key
/// families decide, not the policy.
fn all_implemented() -> AlgorithmSet {
    Algorithm::ALL
        .into_iter()
        .filter(|a| a.is_implemented())
        .collect()
}

/// The header `alg` of a compact JWS, if it decodes.
fn header_alg(jws: &str) -> Option<String> {
    let h = b64url(jws.split('.').next()?)?;
    let v: Value = serde_json::from_slice(&h).ok()?;
    v["alg"].as_str().map(str::to_owned)
}

/// Runs one JWS test against the loaded key set.
fn run_jws_case(judge: &mut Judge<'_>, t: &Value, keys: &Result<KeySet, KeyError>) {
    let (token, kind) = match &t["jws"] {
        Value::String(s) => {
            // A header that does not decode is judged by `result` alone.
            let kind = match header_alg(s) {
                Some(a) if !Algorithm::from_name(&a).is_some_and(Algorithm::is_implemented) => {
                    Kind::Unsupported("unsupported_algorithm")
                }
                _ => Kind::Normal,
            };
            (s.clone(), kind)
        }
        // JSON serialization (RFC 7515 §7.2) is not implemented.
        other => (
            serde_json::to_string(other).expect("serialize"),
            Kind::Unsupported("malformed"),
        ),
    };
    let empty = KeySet::new();
    let set = keys.as_ref().unwrap_or(&empty);
    let r = common::verify_compact_every_backend(
        token.as_bytes(),
        set,
        all_implemented(),
        MAX_TOKEN_BYTES,
    );
    if let Ok(payload) = r.as_deref() {
        let expected = token.split('.').nth(1).and_then(b64url);
        if expected.as_deref() != Some(payload) {
            judge.problem(format!(
                "#{}: accepted, but the payload differs from the token's",
                t["tcId"]
            ));
        }
    }
    let outcome = match (keys, kind) {
        // An unimplemented algorithm is refused before any key is looked at,
        // so the key set's own refusal (e.g. a P-521 key) does not decide.
        (_, Kind::Unsupported(_)) => Outcome::of(r.map(|_| ())),
        (Err(e), _) => Outcome::key_refused(e),
        (Ok(_), _) => Outcome::of(r.map(|_| ())),
    };
    judge.case(t, kind, &outcome);
}

fn run_jws(judge: &mut Judge<'_>, doc: &Value) {
    for g in groups(doc) {
        // The verifier's view: the public JWK, or for a symmetric key the
        // private one without anything but its public members and `k`.
        let jwk = match g.get("public") {
            Some(p) if !p.is_null() => p.clone(),
            _ => public_jwk(&g["private"]),
        };
        let keys = KeySet::from_jwks(&jwks_of(&jwk));
        for t in tests(g) {
            run_jws_case(judge, t, &keys);
        }
    }
}

fn run_jwk(judge: &mut Judge<'_>, doc: &Value) {
    for g in groups(doc) {
        // The key set document exactly as a verifier would be handed it.
        let set = match g.get("public") {
            Some(p) if !p.is_null() => p,
            _ => &g["private"],
        };
        let keys = KeySet::from_jwks(&serde_json::to_vec(set).expect("serialize"));
        for t in tests(g) {
            run_jws_case(judge, t, &keys);
        }
        // The private form of a key set (RSA/EC keys with `d`, `p`, …) must
        // never load a key: each such key is skipped as a leaked private key.
        let private = &g["private"];
        let has_private_members = private["keys"].as_array().is_some_and(|ks| {
            ks.iter().any(|k| {
                ["d", "p", "q", "dp", "dq", "qi", "oth"]
                    .iter()
                    .any(|m| k.get(*m).is_some())
            })
        });
        if has_private_members {
            match KeySet::from_jwks(&serde_json::to_vec(private).expect("serialize")) {
                Err(KeyError::NoUsableKey { private_key, .. }) if private_key > 0 => {}
                // Other keys of the set may fail first (a 1024-bit modulus);
                // what matters is that no private key was loaded.
                Err(e) if !matches!(e, KeyError::NoUsableKey { .. }) => {}
                other => judge.problem(format!(
                    "{}: the private key set loaded ({other:?}): private keys must be skipped",
                    g["comment"]
                )),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The run

/// The vector folders under `../shared/vectors/`, each read whole.
const VECTOR_DIRS: [&str; 2] = ["wycheproof", "wycheproof-es384-es512-ed25519"];

/// Where the summary lines are also written (`<target>/wycheproof-summary.txt`).
const SUMMARY_FILE: &str = "wycheproof-summary.txt";

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let ex = load_exceptions();
        let mut names: Vec<(std::path::PathBuf, String)> = Vec::new();
        for sub in VECTOR_DIRS {
            let dir = vectors_dir().join(sub);
            let mut here: Vec<(std::path::PathBuf, String)> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".json"))
                .map(|n| (dir.clone(), n))
                .collect();
            here.sort_by(|a, b| a.1.cmp(&b.1));
            names.extend(here);
        }
        let mut used_divergences = BTreeSet::new();
        let mut used_decisions = BTreeSet::new();
        let mut stale = Vec::new();
        let mut files = Vec::new();
        let mut undriven = Vec::new();
        for (dir, name) in names {
            let Some(family) = Family::of(&name) else {
                undriven.push(name);
                continue;
            };
            let doc = load_json(&dir.join(&name));
            let mut judge = Judge {
                ex: &ex,
                used_divergences: &mut used_divergences,
                used_decisions: &mut used_decisions,
                stale: &mut stale,
                file: name.clone(),
                counts: Counts::default(),
                problems: Vec::new(),
            };
            match family {
                Family::EcdsaP256 | Family::EcdsaP384 | Family::EcdsaP521 => {
                    run_ecdsa(&mut judge, &doc, family)
                }
                Family::Ed25519 => run_ed25519(&mut judge, &doc),
                Family::RsaPkcs1 | Family::RsaPss => run_rsa(&mut judge, &doc, family),
                Family::Hmac => run_hmac(&mut judge, &doc),
                Family::Jws => run_jws(&mut judge, &doc),
                Family::Jwk => run_jwk(&mut judge, &doc),
            }
            let declared = doc["numberOfTests"]
                .as_u64()
                .and_then(|n| usize::try_from(n).ok());
            if declared != Some(judge.counts.cases) {
                let msg = format!(
                    "numberOfTests is {declared:?}, the harness saw {}",
                    judge.counts.cases
                );
                judge.problem(msg);
            }
            files.push(FileReport {
                name,
                family,
                counts: judge.counts,
                problems: judge.problems,
            });
        }
        for (file, tc) in ex.divergences.keys() {
            let key = (file.clone(), *tc);
            let reported = stale
                .iter()
                .any(|s| s.starts_with(&format!("{file} #{tc}:")));
            if !used_divergences.contains(&key) && !reported {
                stale.push(format!(
                    "{file} #{tc}: listed as a divergence, but no such case was run"
                ));
            }
        }
        for flag in ex.decisions.keys() {
            if !used_decisions.contains(flag) {
                stale.push(format!(
                    "decision for flag {flag}: no acceptable case carries it"
                ));
            }
        }

        let mut total = Counts::default();
        for f in &files {
            common::summary(
                SUMMARY_FILE,
                format!("wycheproof {}: {}", f.name, f.counts.line()),
            );
            total.add(&f.counts);
        }
        common::summary(
            SUMMARY_FILE,
            format!(
                "wycheproof total: {} files, {}, {} stale exceptions",
                files.len(),
                total.line(),
                stale.len()
            ),
        );
        Run {
            files,
            undriven,
            stale,
        }
    })
}

/// Fails with every unexpected outcome of the family's files.
fn assert_family(family: Family) {
    let run = run();
    let files: Vec<&FileReport> = run.files.iter().filter(|f| f.family == family).collect();
    assert!(!files.is_empty(), "no vector file for {family:?}");
    let problems: Vec<&String> = files.iter().flat_map(|f| &f.problems).collect();
    assert!(
        problems.is_empty(),
        "{} unexpected outcome(s):\n{}",
        problems.len(),
        problems
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn wycheproof_ecdsa_p256_p1363_signatures_match_expected_results() {
    assert_family(Family::EcdsaP256);
}

#[test]
fn wycheproof_ecdsa_p384_p1363_signatures_match_expected_results() {
    assert_family(Family::EcdsaP384);
}

#[test]
fn wycheproof_ecdsa_p521_p1363_signatures_match_expected_results() {
    assert_family(Family::EcdsaP521);
}

#[test]
fn wycheproof_ed25519_signatures_match_expected_results() {
    assert_family(Family::Ed25519);
}

#[test]
fn wycheproof_rsa_pkcs1v15_signatures_match_expected_results() {
    assert_family(Family::RsaPkcs1);
}

#[test]
fn wycheproof_rsa_pss_signatures_match_expected_results_and_non_jwa_parameters_are_refused() {
    assert_family(Family::RsaPss);
}

#[test]
fn wycheproof_hmac_tags_match_expected_results_and_truncated_tags_are_refused() {
    assert_family(Family::Hmac);
}

#[test]
fn wycheproof_jws_compact_tokens_match_expected_results_and_unimplemented_algs_are_unsupported() {
    assert_family(Family::Jws);
}

#[test]
fn wycheproof_jwk_sets_match_expected_results() {
    assert_family(Family::Jwk);
}

#[test]
fn wycheproof_exceptions_file_has_no_stale_entries() {
    let stale = &run().stale;
    assert!(stale.is_empty(), "stale exceptions:\n{}", stale.join("\n"));
}

#[test]
fn wycheproof_every_vector_file_is_driven_by_a_harness() {
    let undriven = &run().undriven;
    assert!(
        undriven.is_empty(),
        "vector files no harness reads: {undriven:?}"
    );
}
