//! DPoP proofs (RFC 9449) and the JWK thumbprint that binds a token to the
//! proof's key (RFC 7638).
//!
//! A DPoP proof is a JWT the client signs, per request, with a key it holds;
//! the public half travels in the proof's header `jwk`. That is the one
//! place tokenlane ever takes a key from a token, and the key checks only
//! that proof: never an access token, never an ID token (the lanes refuse
//! `typ: dpop+jwt`, so a proof cannot pass as either).
//!
//! [`verify_proof`] checks one proof against one request, with no heap on
//! the ES256 path (RSA proof keys need the `rsa` feature, hence `alloc`).
//!
//! ## The checks, in order (RFC 9449 §4.3)
//!
//! Every failure is [`Error::InvalidDpopProof`] with the [`ProofFault`]
//! named here, except the nonce ([`Error::UseDpopNonce`]) and a failing
//! replay store ([`Error::ReplayCheckFailed`]).
//!
//! 1. Size: at most the policy's `max_proof_bytes`
//!    (default [`DEFAULT_MAX_PROOF_BYTES`]) → `TooLarge`.
//! 2. Three strict base64url segments; the header a JSON object →
//!    `Malformed`.
//! 3. Header `typ` exactly `dpop+jwt` (case-sensitive, unlike a media type:
//!    RFC 9449 §4.2 names the value) → `Typ`.
//! 4. Header `alg` an implemented asymmetric algorithm in the policy's
//!    proof algorithms; `none` and the HMAC family are always refused, even
//!    when the policy lists them → `Alg`.
//! 5. No `crit` → `Crit`.
//! 6. Header `jwk`: an object with no private member (`d`, `p`, `q`, `dp`,
//!    `dq`, `qi`, `oth`, `k`) → else `PrivateJwk`; a public key of the
//!    type `alg` needs (`EC` on `P-256`, `P-384`, `P-521` for ES256, ES384,
//!    ES512; `OKP` on `Ed25519` for EdDSA and Ed25519; `RSA` for RS*/PS*)
//!    that loads under the key bounds of [`crate::Key`] → else `Jwk`.
//! 7. The signature verifies with that key → `Signature`.
//! 8. The claims a JSON object → `Malformed`.
//! 9. `htm` equals the request's method, case-sensitively (RFC 9110 §9.1)
//!    → `Htm`.
//! 10. `htu` equals the request's target URI, see [below](#htu) → `Htu`.
//! 11. `iat` a NumericDate → `Iat`; not older than `now - iat_window` →
//!     `IatTooOld`; not newer than `now + iat_window` → `IatInFuture`
//!     (default window [`DEFAULT_IAT_WINDOW_SECS`], both directions).
//! 12. `jti` a non-empty string of at most [`MAX_JTI_BYTES`] bytes → `Jti`.
//! 13. When an access token is presented: `ath` equals
//!     base64url(SHA-256(token)) → `Ath`. Without one, `ath` is ignored.
//! 14. When [`ProofHooks::nonce_required`]: `nonce` present and accepted by
//!     [`ProofHooks::nonce_ok`] → else [`Error::UseDpopNonce`]. The core's
//!     stateless nonces are [`crate::nonce::NonceIssuer`] (an HMAC of a time
//!     bucket under a server key, so any replica checks any replica's
//!     nonce), plugged in by [`crate::nonce::IssuedNonces`], which also says
//!     what to send in the `DPoP-Nonce` response header.
//! 15. Last, only for a proof that passed every other check (so junk proofs
//!     never fill the store; `MemoryReplayStore` is a bounded one for a
//!     single `std` process): [`ProofHooks::check_replay`] →
//!     `Replayed`, or [`Error::ReplayCheckFailed`] when the store fails.
//!     [`crate::request::authorize`] defers this step further, until the
//!     access token and its binding have passed too.
//!
//! ## htu
//!
//! RFC 9449 §4.2 defines `htu` as the target URI *without* query and
//! fragment, so an `htu` that carries a `?` or `#` is refused; the request
//! URI's query and fragment are dropped before the comparison. Both must be
//! absolute (`scheme://authority[path]`), without userinfo. They are
//! compared after the RFC 3986 §6.2.2–6.2.3 normalisations that need no
//! buffer: scheme and host case-insensitively, the default port (`:80` for
//! http, `:443` for https, and an empty port) dropped, an empty path read
//! as `/`, percent-encodings compared by value with the hex digits in any
//! case, and a percent-encoded unreserved character equal to the character.
//! Dot segments are not removed: `/a/../b` matches only `/a/../b` (a
//! stricter comparison, never a looser one).
//!
//! ## Decisions
//!
//! - The `iat` window is one number for both directions, at most
//!   [`crate::time::MAX_LEEWAY_SECS`]; the replay store must remember a
//!   `jti` for twice the window (a proof is acceptable from `iat - window`
//!   to `iat + window`).
//! - The proof's `kid`, `x5c` and every other header member are ignored:
//!   only `jwk` names the key.
//! - Bounds, all on the stack: `htu` at most [`MAX_HTU_BYTES`] bytes
//!   (longer → `Htu`), `nonce` at most [`MAX_NONCE_BYTES`] (longer →
//!   `use_dpop_nonce`), `jti` at most [`MAX_JTI_BYTES`]. JWK members with a
//!   JSON escape are refused (`Jwk`): base64url and curve names never need
//!   one.
//! - Proof keys: `EC` P-256, P-384, P-521 (ES256, ES384, ES512), `OKP`
//!   Ed25519 (EdDSA, Ed25519; canonical, not of small order) and, with the
//!   `rsa` feature, `RSA` (RS*/PS*, 2048–8192 bits); each with its
//!   algorithm's Cargo feature. The thumbprint of an `OKP` key hashes
//!   `crv`, `kty`, `x` (RFC 8037 §2). The `jwk` members are found by the
//!   same reader as the key-set loader's (`crate::jwk`).

use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};

use crate::alg::{Algorithm, AlgorithmSet, KeyFamily};
use crate::backend::Backend;
use crate::claims;
use crate::error::{Claim, Error, ProofFault};
use crate::json::{self, JsonStr, Members, Value};
use crate::jws::decode_parts;
use crate::keys::{verify_with_keys, Key};
use crate::lane::PolicyError;
use crate::limits::scratch_len;
use crate::time::{UnixTime, MAX_LEEWAY_SECS};

/// Default proof size limit: 8 KiB holds an RS256 proof with an 8192-bit
/// key; an ES256 proof is about 500 bytes.
pub const DEFAULT_MAX_PROOF_BYTES: usize = 8 * 1024;
/// Default `iat` window, in seconds, each way.
pub const DEFAULT_IAT_WINDOW_SECS: u64 = 60;
/// The longest `jti` accepted, in bytes (unescaped).
pub const MAX_JTI_BYTES: usize = 256;
/// The longest `htu` compared, in bytes (unescaped).
pub const MAX_HTU_BYTES: usize = 2048;
/// The longest `nonce` passed to [`ProofHooks::nonce_ok`], in bytes.
pub const MAX_NONCE_BYTES: usize = 512;
/// The typ of a DPoP proof (RFC 9449 §4.2).
pub const DPOP_TYP: &str = "dpop+jwt";

fn fault(f: ProofFault) -> Error {
    Error::InvalidDpopProof(f)
}

/// An RFC 7638 JWK SHA-256 thumbprint, base64url without padding (43 ASCII
/// characters), as `cnf.jkt` carries it (RFC 9449 §6.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Thumbprint([u8; 43]);

impl Thumbprint {
    fn of_digest(d: &[u8]) -> Self {
        let mut out = [0u8; 43];
        // 32 bytes always encode to exactly 43 characters.
        let _ = Base64UrlUnpadded::encode(d, &mut out);
        Self(out)
    }

    /// The thumbprint as base64url text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl core::fmt::Debug for Thumbprint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The RFC 7638 thumbprint of a public JWK given as JSON text (an `EC` key
/// with `crv`, `x`, `y`, or an `RSA` key with `e`, `n`), with no heap.
///
/// Only the required members enter the hash, in lexicographic order, as
/// RFC 7638 §3.2 says; the member values are hashed as written (base64url
/// has nothing to escape; a value holding a JSON escape is refused).
/// Errors: `InvalidDpopProof(Jwk)` for anything else (another `kty`, a
/// missing member, not JSON).
///
/// ```
/// // RFC 7638 §3.1.
/// let jwk = r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#;
/// let t = tokenlane::dpop::jwk_thumbprint(jwk.as_bytes()).unwrap();
/// assert_eq!(t.as_str(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
/// ```
pub fn jwk_thumbprint(jwk: &[u8]) -> Result<Thumbprint, Error> {
    let text = json::validate(jwk).map_err(|_| fault(ProofFault::Jwk))?;
    thumbprint_of(text)
}

/// The public members of a proof's `jwk`, as written (read by the one JWK
/// member reader the key-set loader also uses, `crate::jwk`).
struct JwkMembers<'a> {
    kty: Option<JsonStr<'a>>,
    crv: Option<&'a str>,
    x: Option<&'a str>,
    y: Option<&'a str>,
    n: Option<&'a str>,
    e: Option<&'a str>,
    private: bool,
}

fn text(v: Option<Value<'_>>) -> Result<Option<&str>, Error> {
    v.map(plain).transpose().map(Option::flatten)
}

fn jwk_members(object: &str) -> Result<JwkMembers<'_>, Error> {
    let m = crate::jwk::JwkMembers::of(object);
    Ok(JwkMembers {
        kty: match m.kty {
            None => None,
            Some(v) => Some(v.as_str().ok_or(fault(ProofFault::Jwk))?),
        },
        crv: text(m.crv)?,
        x: text(m.x)?,
        y: text(m.y)?,
        n: text(m.n)?,
        e: text(m.e)?,
        // A proof key is never symmetric: `k` is a secret here too.
        private: m.private || m.k.is_some(),
    })
}

/// A JWK member's value as written; base64url and curve names have nothing
/// to escape, so a value with an escape (or not a string) is refused.
fn plain(v: Value<'_>) -> Result<Option<&str>, Error> {
    match v {
        Value::Str(s) => s.as_plain().map(Some).ok_or(fault(ProofFault::Jwk)),
        _ => Err(fault(ProofFault::Jwk)),
    }
}

fn thumbprint_of(object: &str) -> Result<Thumbprint, Error> {
    let m = jwk_members(object)?;
    let kty = m.kty.ok_or(fault(ProofFault::Jwk))?;
    let mut h = Sha256::new();
    if kty.eq_str("EC") {
        let (crv, x, y) = match (m.crv, m.x, m.y) {
            (Some(c), Some(x), Some(y)) => (c, x, y),
            _ => return Err(fault(ProofFault::Jwk)),
        };
        for part in [
            "{\"crv\":\"",
            crv,
            "\",\"kty\":\"EC\",\"x\":\"",
            x,
            "\",\"y\":\"",
            y,
            "\"}",
        ] {
            h.update(part.as_bytes());
        }
    } else if kty.eq_str("OKP") {
        // RFC 8037 §2: crv, kty, x.
        let (crv, x) = match (m.crv, m.x) {
            (Some(c), Some(x)) => (c, x),
            _ => return Err(fault(ProofFault::Jwk)),
        };
        for part in ["{\"crv\":\"", crv, "\",\"kty\":\"OKP\",\"x\":\"", x, "\"}"] {
            h.update(part.as_bytes());
        }
    } else if kty.eq_str("RSA") {
        let (n, e) = match (m.n, m.e) {
            (Some(n), Some(e)) => (n, e),
            _ => return Err(fault(ProofFault::Jwk)),
        };
        for part in ["{\"e\":\"", e, "\",\"kty\":\"RSA\",\"n\":\"", n, "\"}"] {
            h.update(part.as_bytes());
        }
    } else {
        return Err(fault(ProofFault::Jwk));
    }
    Ok(Thumbprint::of_digest(&h.finalize()))
}

/// The verification key of a proof's `jwk` for `alg`: the key type and
/// curve `alg` needs (`EC` `P-256`/`P-384`/`P-521` for ES256/ES384/ES512,
/// `OKP` `Ed25519` for EdDSA/Ed25519, `RSA` for RS*/PS*), decoded on the
/// stack (RSA needs `alloc` anyway) and built by the same fallible
/// constructors as every other key, so the key bounds hold.
fn proof_key(m: &JwkMembers<'_>, alg: Algorithm) -> Result<Key, Error> {
    let bad = fault(ProofFault::Jwk);
    let kty = m.kty.ok_or(bad)?;
    // EC: (x, y) of the curve's field size, on the stack.
    #[cfg(any(feature = "es256", feature = "es384", feature = "es512"))]
    let ec = |crv: &str, make: fn(&[u8], &[u8]) -> Result<Key, crate::KeyError>| {
        if !kty.eq_str("EC") || m.crv != Some(crv) || m.n.is_some() {
            return Err(bad);
        }
        let mut xb = [0u8; 67];
        let mut yb = [0u8; 67];
        let x = decode_into(m.x, &mut xb).ok_or(bad)?;
        let y = decode_into(m.y, &mut yb).ok_or(bad)?;
        make(x, y).map_err(|_| bad)
    };
    match alg.family() {
        #[cfg(feature = "es256")]
        KeyFamily::P256 => ec("P-256", |x, y| {
            Key::p256_for(x, y, crate::backend::Uses::Once)
        }),
        #[cfg(feature = "es384")]
        KeyFamily::P384 => ec("P-384", |x, y| {
            Key::p384_for(x, y, crate::backend::Uses::Once)
        }),
        #[cfg(feature = "es512")]
        KeyFamily::P521 => ec("P-521", |x, y| {
            Key::p521_for(x, y, crate::backend::Uses::Once)
        }),
        #[cfg(feature = "eddsa")]
        KeyFamily::Ed25519 => {
            // RFC 8037 §2: an OKP key has `crv` and `x`, no `y`.
            if !kty.eq_str("OKP") || m.crv != Some("Ed25519") || m.y.is_some() {
                return Err(bad);
            }
            let mut xb = [0u8; 33];
            let x = decode_into(m.x, &mut xb).ok_or(bad)?;
            Key::ed25519_for(x, crate::backend::Uses::Once).map_err(|_| bad)
        }
        #[cfg(feature = "rsa")]
        KeyFamily::Rsa => {
            if !kty.eq_str("RSA") {
                return Err(bad);
            }
            let mut nb = [0u8; crate::limits::RSA_MAX_BITS / 8 + 1];
            let mut eb = [0u8; 8];
            let n = decode_into(m.n, &mut nb).ok_or(bad)?;
            let e = decode_into(m.e, &mut eb).ok_or(bad)?;
            Key::rsa_for(n, e, crate::backend::Uses::Once).map_err(|_| bad)
        }
        _ => {
            // A build without this family has no key for the proof.
            let _ = kty;
            Err(bad)
        }
    }
}

/// Strict base64url `text` decoded into `buf`, when it fits.
#[cfg_attr(
    not(any(
        feature = "es256",
        feature = "es384",
        feature = "es512",
        feature = "eddsa",
        feature = "rsa"
    )),
    allow(dead_code)
)]
fn decode_into<'b>(text: Option<&str>, buf: &'b mut [u8]) -> Option<&'b [u8]> {
    let text = text?.as_bytes();
    if crate::b64::decoded_len(text.len()) > buf.len() {
        return None;
    }
    crate::b64::decode_url(text, buf)
}

/// What the server decides about nonces and replays: the state a stateless
/// core leaves to the caller.
///
/// Both hooks see only a proof whose signature verified; `check_replay`
/// sees only a proof that passed every other check.
pub trait ProofHooks {
    /// Whether this server requires a `nonce` in proofs (RFC 9449 §8).
    /// Default: no.
    fn nonce_required(&self) -> bool {
        false
    }

    /// Whether `nonce` is one the server issued and still accepts.
    /// Default: no nonce is accepted.
    fn nonce_ok(&self, nonce: &str, now: UnixTime) -> bool {
        let _ = (nonce, now);
        false
    }

    /// Records `jti` for the proof key `jkt` and says whether it was seen
    /// before. The store must keep a `jti` at least until
    /// `iat + iat_window` (the proof is refused as stale afterwards).
    fn check_replay(&self, jti: &str, jkt: &Thumbprint, iat: u64, now: UnixTime) -> Replay;
}

/// The replay store's answer ([`ProofHooks::check_replay`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// First time seen; now recorded.
    Fresh,
    /// Seen before: the proof is refused (`invalid_dpop_proof`).
    Replayed,
    /// The store failed: the request is refused with `replay_check_failed`
    /// (HTTP 500), never accepted.
    StoreFailed,
}

/// Hooks for a server that requires no nonce and checks replays elsewhere
/// (or accepts the replay window): every `jti` is [`Replay::Fresh`].
/// Say so in your threat model before using it.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReplayCheck;

impl ProofHooks for NoReplayCheck {
    fn check_replay(&self, _: &str, _: &Thumbprint, _: u64, _: UnixTime) -> Replay {
        Replay::Fresh
    }
}

/// A bounded in-memory replay store (feature `std`) for a single process:
/// it remembers each `(jkt, jti)` until `iat + iat_window`, and never
/// forgets one earlier. When it holds `capacity` live entries it answers
/// [`Replay::StoreFailed`] (the request is refused with HTTP 500) instead
/// of evicting a live entry, since eviction would let that proof be
/// replayed. Size `capacity` for the proofs a window can bring (requests
/// per second × 2 × window); several replicas need a shared store of their
/// own behind [`ProofHooks`].
///
/// A full store sweeps expired entries only when the earliest one has
/// expired, so a store kept full by live proofs costs one comparison per
/// refused request, not a scan.
#[cfg(feature = "std")]
#[derive(Debug)]
pub struct MemoryReplayStore {
    capacity: usize,
    iat_window: u64,
    seen: std::sync::Mutex<Seen>,
}

/// The live entries, and the earliest expiry among them (`u64::MAX` when
/// empty), so a full store knows without a scan whether a sweep frees room.
#[cfg(feature = "std")]
#[derive(Debug)]
struct Seen {
    map: std::collections::HashMap<(Thumbprint, alloc::string::String), u64>,
    earliest: u64,
}

/// The default capacity of a [`MemoryReplayStore`] made by a front end:
/// 100,000 live proofs cover about 800 DPoP requests per second with the
/// default 60-second window (a proof stays live for twice the window),
/// in roughly 15 MB.
pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;

#[cfg(feature = "std")]
impl MemoryReplayStore {
    /// A store for at most `capacity` live proofs, checked with a proof
    /// policy whose window is `iat_window` seconds.
    pub fn new(capacity: usize, iat_window: u64) -> Self {
        Self {
            capacity,
            iat_window,
            seen: std::sync::Mutex::new(Seen {
                map: std::collections::HashMap::new(),
                earliest: u64::MAX,
            }),
        }
    }

    /// The most live proofs it holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The `iat` window it remembers proofs for (each entry lives until
    /// `iat + iat_window`).
    pub fn iat_window(&self) -> u64 {
        self.iat_window
    }

    /// Checks that this store remembers proofs for as long as `policy`
    /// accepts them (its `iat_window` is at least the policy's).
    /// Errors: [`PolicyError::ReplayWindowTooShort`].
    pub fn covers(&self, policy: &ProofPolicy) -> Result<(), PolicyError> {
        if self.iat_window < policy.iat_window {
            return Err(PolicyError::ReplayWindowTooShort);
        }
        Ok(())
    }

    /// The number of entries held (live, or expired and not yet swept).
    pub fn len(&self) -> usize {
        self.seen.lock().map_or(0, |s| s.map.len())
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(feature = "std")]
impl ProofHooks for MemoryReplayStore {
    fn check_replay(&self, jti: &str, jkt: &Thumbprint, iat: u64, now: UnixTime) -> Replay {
        let Ok(mut seen) = self.seen.lock() else {
            return Replay::StoreFailed;
        };
        let key = (*jkt, alloc::string::String::from(jti));
        let now = now.as_secs();
        if seen.map.get(&key).is_some_and(|&until| until >= now) {
            return Replay::Replayed;
        }
        if seen.map.len() >= self.capacity && seen.earliest < now {
            seen.map.retain(|_, until| *until >= now);
            seen.earliest = seen.map.values().copied().min().unwrap_or(u64::MAX);
        }
        if seen.map.len() >= self.capacity {
            return Replay::StoreFailed;
        }
        let until = iat.saturating_add(self.iat_window);
        seen.earliest = seen.earliest.min(until);
        seen.map.insert(key, until);
        Replay::Fresh
    }
}

/// How proofs are checked: the allowed proof algorithms, the `iat` window,
/// the size limit and the backend.
#[derive(Debug, Clone, Copy)]
pub struct ProofPolicy {
    algorithms: AlgorithmSet,
    iat_window: u64,
    max_proof_bytes: usize,
    backend: Backend,
}

impl ProofPolicy {
    /// A policy accepting proofs signed with the algorithms of `algorithms`
    /// that this build implements: ES256, ES384, ES512 (`EC` P-256, P-384,
    /// P-521), EdDSA and Ed25519 (`OKP` Ed25519) and RS*/PS* (RSA). HMAC
    /// algorithms are never used for proofs, so they are dropped from the
    /// set, as are algorithms this build leaves out: the `DPoP algs`
    /// challenge never offers an algorithm whose proofs would be refused.
    ///
    /// Errors: [`PolicyError::NoAlgorithm`] when the set holds no
    /// implemented proof algorithm.
    pub fn new(algorithms: AlgorithmSet) -> Result<Self, PolicyError> {
        let algorithms: AlgorithmSet = algorithms
            .iter()
            .filter(|a| a.family() != KeyFamily::Hmac && a.is_implemented())
            .collect();
        if algorithms.iter().next().is_none() {
            return Err(PolicyError::NoAlgorithm);
        }
        Ok(Self {
            algorithms,
            iat_window: DEFAULT_IAT_WINDOW_SECS,
            max_proof_bytes: DEFAULT_MAX_PROOF_BYTES,
            backend: Backend::DEFAULT,
        })
    }

    /// The `iat` window in seconds, each way. Errors:
    /// [`PolicyError::LeewayTooLarge`] over [`MAX_LEEWAY_SECS`].
    pub fn with_iat_window(mut self, secs: u64) -> Result<Self, PolicyError> {
        if secs > MAX_LEEWAY_SECS {
            return Err(PolicyError::LeewayTooLarge);
        }
        self.iat_window = secs;
        Ok(self)
    }

    /// The proof size limit. Errors: [`PolicyError::MaxTokenBytes`] for 0
    /// or over [`crate::limits::MAX_TOKEN_BYTES_LIMIT`].
    pub fn with_max_proof_bytes(mut self, n: usize) -> Result<Self, PolicyError> {
        if n == 0 || n > crate::limits::MAX_TOKEN_BYTES_LIMIT {
            return Err(PolicyError::MaxTokenBytes);
        }
        self.max_proof_bytes = n;
        Ok(self)
    }

    /// This policy with another verification backend.
    pub fn with_backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// The allowed proof algorithms (for the `algs` of a `DPoP` challenge).
    pub fn algorithms(&self) -> AlgorithmSet {
        self.algorithms
    }

    /// The `iat` window in seconds, each way.
    pub fn iat_window(&self) -> u64 {
        self.iat_window
    }

    /// The proof size limit.
    pub fn max_proof_bytes(&self) -> usize {
        self.max_proof_bytes
    }
}

/// The request a proof must be bound to.
#[derive(Debug, Clone, Copy)]
pub struct ProofRequest<'a> {
    /// The HTTP method, as received (`GET`, `POST`, ...).
    pub method: &'a str,
    /// The absolute target URI (`https://api.example/path?query`); its
    /// query and fragment are ignored.
    pub uri: &'a str,
    /// The access token presented with the proof, if any (then `ath` is
    /// required).
    pub access_token: Option<&'a str>,
}

/// A proof that passed every check.
#[derive(Clone, Copy)]
pub struct Proof {
    alg: Algorithm,
    jkt: Thumbprint,
    iat: u64,
    jti: [u8; MAX_JTI_BYTES],
    jti_len: usize,
}

impl core::fmt::Debug for Proof {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Proof")
            .field("alg", &self.alg)
            .field("jkt", &self.jkt)
            .field("iat", &self.iat)
            .field("jti", &self.jti())
            .finish()
    }
}

impl Proof {
    /// The proof's algorithm.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }
    /// The RFC 7638 thumbprint of the proof's key (compare with `cnf.jkt`).
    pub fn jkt(&self) -> &Thumbprint {
        &self.jkt
    }
    /// The proof's `iat`.
    pub fn iat(&self) -> u64 {
        self.iat
    }
    /// The proof's `jti`, unescaped.
    pub fn jti(&self) -> &str {
        let b = self.jti.get(..self.jti_len).unwrap_or(&[]);
        core::str::from_utf8(b).unwrap_or("")
    }
}

/// Checks a DPoP proof against `request`, in the order of the
/// [module docs](self); `scratch` must hold at least
/// [`scratch_len`]`(proof.len())` bytes (a shorter one is `TooLarge`).
///
/// Errors: [`Error::InvalidDpopProof`] with its [`ProofFault`],
/// [`Error::UseDpopNonce`], [`Error::ReplayCheckFailed`].
pub fn verify_proof(
    proof: &[u8],
    policy: &ProofPolicy,
    request: &ProofRequest<'_>,
    hooks: &dyn ProofHooks,
    now: UnixTime,
    scratch: &mut [u8],
) -> Result<Proof, Error> {
    let out = check_proof(proof, policy, request, hooks, now, scratch)?;
    record(&out, hooks, now)?;
    Ok(out)
}

/// Step 15: the replay hook, for a proof (and, in
/// [`crate::request::authorize`], a whole request) that passed every other
/// check.
pub(crate) fn record(proof: &Proof, hooks: &dyn ProofHooks, now: UnixTime) -> Result<(), Error> {
    match hooks.check_replay(proof.jti(), &proof.jkt, proof.iat, now) {
        Replay::Fresh => Ok(()),
        Replay::Replayed => Err(fault(ProofFault::Replayed)),
        Replay::StoreFailed => Err(Error::ReplayCheckFailed),
    }
}

/// Steps 1–14 of [`verify_proof`]: everything but the replay hook.
pub(crate) fn check_proof(
    proof: &[u8],
    policy: &ProofPolicy,
    request: &ProofRequest<'_>,
    hooks: &dyn ProofHooks,
    now: UnixTime,
    scratch: &mut [u8],
) -> Result<Proof, Error> {
    // 1–2. Size, segments, base64url.
    if proof.len() > policy.max_proof_bytes || scratch.len() < scratch_len(proof.len()) {
        return Err(fault(ProofFault::TooLarge));
    }
    let parts = decode_parts(proof, policy.max_proof_bytes, scratch)
        .map_err(|_| fault(ProofFault::Malformed))?;
    let header = json::validate(parts.header).map_err(|_| fault(ProofFault::Malformed))?;

    let (mut typ, mut alg, mut jwk, mut crit) = (None, None, None, false);
    for (name, v) in Members::of(header) {
        if name.eq_str("typ") {
            typ = Some(v);
        } else if name.eq_str("alg") {
            alg = Some(v);
        } else if name.eq_str("jwk") {
            jwk = Some(v);
        } else if name.eq_str("crit") {
            crit = true;
        }
    }
    // 3. typ.
    match typ {
        Some(Value::Str(s)) if s.eq_str(DPOP_TYP) => {}
        _ => return Err(fault(ProofFault::Typ)),
    }
    // 4. alg.
    let alg = match alg {
        Some(Value::Str(s)) => lookup_alg(s),
        _ => None,
    }
    .filter(|a| a.family() != KeyFamily::Hmac && policy.algorithms.contains(*a))
    .ok_or(fault(ProofFault::Alg))?;
    // 5. crit.
    if crit {
        return Err(fault(ProofFault::Crit));
    }
    // 6. jwk.
    let jwk = match jwk {
        Some(Value::Object(o)) => o,
        _ => return Err(fault(ProofFault::Jwk)),
    };
    let members = jwk_members(jwk)?;
    if members.private {
        return Err(fault(ProofFault::PrivateJwk));
    }
    let key = proof_key(&members, alg)?;
    let jkt = thumbprint_of(jwk)?;
    // 7. Signature.
    verify_with_keys(
        policy.backend,
        core::slice::from_ref(&key),
        None,
        alg,
        parts.signing_input,
        parts.signature,
    )
    .map_err(|_| fault(ProofFault::Signature))?;

    // 8. Claims.
    let text = json::validate(parts.payload).map_err(|_| fault(ProofFault::Malformed))?;
    let (mut htm, mut htu, mut iat, mut jti, mut ath, mut nonce) =
        (None, None, None, None, None, None);
    for (name, v) in Members::of(text) {
        if name.eq_str("htm") {
            htm = Some(v);
        } else if name.eq_str("htu") {
            htu = Some(v);
        } else if name.eq_str("iat") {
            iat = Some(v);
        } else if name.eq_str("jti") {
            jti = Some(v);
        } else if name.eq_str("ath") {
            ath = Some(v);
        } else if name.eq_str("nonce") {
            nonce = Some(v);
        }
    }
    // 9. htm.
    match htm {
        Some(Value::Str(s)) if s.eq_str(request.method) => {}
        _ => return Err(fault(ProofFault::Htm)),
    }
    // 10. htu (compared unescaped; a URI longer than this buffer is refused).
    let mut ubuf = [0u8; MAX_HTU_BYTES];
    let htu = match htu {
        Some(Value::Str(s)) => s
            .unescape_into(&mut ubuf)
            .and_then(|n| ubuf.get(..n))
            .ok_or(fault(ProofFault::Htu))?,
        _ => return Err(fault(ProofFault::Htu)),
    };
    if !htu_matches(htu, request.uri.as_bytes()) {
        return Err(fault(ProofFault::Htu));
    }
    // 11. iat.
    let iat = claims::date(iat, Claim::Iat)
        .ok()
        .flatten()
        .ok_or(fault(ProofFault::Iat))?;
    let now_s = now.as_secs();
    if iat.saturating_add(policy.iat_window) < now_s {
        return Err(fault(ProofFault::IatTooOld));
    }
    if iat > now_s.saturating_add(policy.iat_window) {
        return Err(fault(ProofFault::IatInFuture));
    }
    // 12. jti.
    let mut jti_buf = [0u8; MAX_JTI_BYTES];
    let jti_len = match jti {
        Some(Value::Str(s)) => s.unescape_into(&mut jti_buf),
        _ => None,
    }
    .filter(|&n| n > 0)
    .ok_or(fault(ProofFault::Jti))?;
    // 13. ath.
    if let Some(token) = request.access_token {
        let want = Thumbprint::of_digest(&Sha256::digest(token.as_bytes()));
        match ath {
            Some(Value::Str(s)) if s.eq_str(want.as_str()) => {}
            _ => return Err(fault(ProofFault::Ath)),
        }
    }
    // 14. nonce.
    if hooks.nonce_required() {
        let mut nbuf = [0u8; MAX_NONCE_BYTES];
        let ok = match nonce {
            Some(Value::Str(s)) => s
                .unescape_into(&mut nbuf)
                .and_then(|n| nbuf.get(..n))
                .and_then(|b| core::str::from_utf8(b).ok())
                .is_some_and(|n| hooks.nonce_ok(n, now)),
            _ => false,
        };
        if !ok {
            return Err(Error::UseDpopNonce);
        }
    }
    Ok(Proof {
        alg,
        jkt,
        iat,
        jti: jti_buf,
        jti_len,
    })
}

fn lookup_alg(s: JsonStr<'_>) -> Option<Algorithm> {
    let mut buf = [0u8; 8];
    let n = s.unescape_into(&mut buf)?;
    let name = core::str::from_utf8(buf.get(..n)?).ok()?;
    Algorithm::from_name(name).filter(|a| a.is_implemented())
}

/// An absolute URI split for comparison.
struct Uri<'a> {
    scheme: &'a [u8],
    host: &'a [u8],
    port: Option<u32>,
    path: &'a [u8],
}

/// Splits `scheme://host[:port][path]`; `rest_allowed` says whether a query
/// or fragment may follow (it is dropped).
fn split_uri(u: &[u8], rest_allowed: bool) -> Option<Uri<'_>> {
    let colon = u.iter().position(|&b| b == b':')?;
    let (scheme, after) = u.split_at(colon);
    if scheme.is_empty()
        || !scheme
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
    {
        return None;
    }
    let after = after.strip_prefix(b"://")?;
    let end = after
        .iter()
        .position(|&b| b == b'?' || b == b'#')
        .unwrap_or(after.len());
    if end != after.len() && !rest_allowed {
        return None;
    }
    let hier = after.get(..end)?;
    let slash = hier.iter().position(|&b| b == b'/').unwrap_or(hier.len());
    let (authority, path) = hier.split_at(slash);
    if authority.is_empty() || authority.contains(&b'@') {
        return None;
    }
    // The port follows the last ':' that is outside an IPv6 literal.
    let bracket = authority.iter().rposition(|&b| b == b']').unwrap_or(0);
    let (host, port) = match authority.iter().rposition(|&b| b == b':') {
        Some(i) if i >= bracket => {
            let digits = authority.get(i + 1..)?;
            let port = if digits.is_empty() {
                None
            } else if digits.len() <= 5 && digits.iter().all(u8::is_ascii_digit) {
                Some(
                    digits
                        .iter()
                        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')),
                )
            } else {
                return None;
            };
            (authority.get(..i)?, port)
        }
        _ => (authority, None),
    };
    if host.is_empty() {
        return None;
    }
    Some(Uri {
        scheme,
        host,
        port,
        path: if path.is_empty() { b"/" } else { path },
    })
}

fn default_port(scheme: &[u8]) -> Option<u32> {
    if scheme.eq_ignore_ascii_case(b"https") {
        Some(443)
    } else if scheme.eq_ignore_ascii_case(b"http") {
        Some(80)
    } else {
        None
    }
}

/// One unit of a path: a literal byte, or a percent-encoded byte that is
/// not unreserved (a percent-encoded unreserved byte is its literal).
#[derive(PartialEq, Eq)]
enum Unit {
    Literal(u8),
    Encoded(u8),
}

fn units(path: &[u8]) -> impl Iterator<Item = Option<Unit>> + '_ {
    let mut i = 0usize;
    core::iter::from_fn(move || {
        let b = *path.get(i)?;
        if b != b'%' {
            i += 1;
            return Some(Some(Unit::Literal(b)));
        }
        let hex = |c: Option<&u8>| c.and_then(|c| char::from(*c).to_digit(16));
        let v = match (hex(path.get(i + 1)), hex(path.get(i + 2))) {
            (Some(h), Some(l)) => u8::try_from(h * 16 + l).ok(),
            _ => None,
        };
        i += 3;
        Some(v.map(|v| {
            if v.is_ascii_alphanumeric() || b"-._~".contains(&v) {
                Unit::Literal(v)
            } else {
                Unit::Encoded(v)
            }
        }))
    })
}

/// Whether `htu` names the request's target URI `uri` (module docs, htu).
pub fn htu_matches(htu: &[u8], uri: &[u8]) -> bool {
    let (Some(a), Some(b)) = (split_uri(htu, false), split_uri(uri, true)) else {
        return false;
    };
    if !a.scheme.eq_ignore_ascii_case(b.scheme) || !a.host.eq_ignore_ascii_case(b.host) {
        return false;
    }
    let dp = default_port(a.scheme);
    if a.port.or(dp) != b.port.or(dp) {
        return false;
    }
    let mut ua = units(a.path);
    let mut ub = units(b.path);
    loop {
        match (ua.next(), ub.next()) {
            (None, None) => return true,
            (Some(Some(x)), Some(Some(y))) if x == y => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(
        feature = "ecdsa",
        feature = "es384",
        feature = "eddsa",
        feature = "hmac"
    ))]
    #[test]
    fn proof_policy_offers_every_asymmetric_algorithm_and_no_hmac() {
        let p = ProofPolicy::new(AlgorithmSet::from_slice(&[
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
            Algorithm::HS256,
        ]))
        .unwrap();
        assert!(p.algorithms.contains(Algorithm::ES256));
        assert!(p.algorithms.contains(Algorithm::ES384));
        assert!(p.algorithms.contains(Algorithm::EdDSA));
        assert!(!p.algorithms.contains(Algorithm::HS256));
        assert_eq!(
            ProofPolicy::new(AlgorithmSet::from_slice(&[Algorithm::HS256])).unwrap_err(),
            PolicyError::NoAlgorithm
        );
    }

    #[test]
    fn rfc_7638_thumbprint_and_an_ec_key() {
        let jwk = br#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#;
        assert_eq!(
            jwk_thumbprint(jwk).unwrap().as_str(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        assert_eq!(
            jwk_thumbprint(br#"{"kty":"oct","k":"AAAA"}"#),
            Err(Error::InvalidDpopProof(ProofFault::Jwk))
        );
    }

    /// RFC 9449 §4.1 (Figure 3): the token-request proof, with its key's
    /// thumbprint from §6.1, accepted at the RFC's own time.
    #[test]
    #[cfg(feature = "ecdsa")]
    fn rfc_9449_example_proof() {
        use crate::{Algorithm, AlgorithmSet};
        const PROOF: &str = concat!(
            "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMz",
            "R0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFq",
            "SG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.",
            "eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW",
            "1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.",
            "2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
        );
        let policy = ProofPolicy::new(AlgorithmSet::from_slice(&[Algorithm::ES256])).unwrap();
        let request = ProofRequest {
            method: "POST",
            uri: "https://server.example.com/token",
            access_token: None,
        };
        let mut scratch = [0u8; 1024];
        let now = UnixTime::from_secs(1_562_262_616);
        let p = verify_proof(
            PROOF.as_bytes(),
            &policy,
            &request,
            &NoReplayCheck,
            now,
            &mut scratch,
        )
        .unwrap();
        assert_eq!(
            p.jkt().as_str(),
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
        assert_eq!(p.jti(), "-BwC3ESc6acc2lTc");
        // The same proof for another method, or an hour later, is refused.
        let get = ProofRequest {
            method: "GET",
            ..request
        };
        assert_eq!(
            verify_proof(
                PROOF.as_bytes(),
                &policy,
                &get,
                &NoReplayCheck,
                now,
                &mut scratch
            )
            .unwrap_err(),
            Error::InvalidDpopProof(ProofFault::Htm)
        );
        let later = UnixTime::from_secs(1_562_262_616 + 3600);
        assert_eq!(
            verify_proof(
                PROOF.as_bytes(),
                &policy,
                &request,
                &NoReplayCheck,
                later,
                &mut scratch
            )
            .unwrap_err(),
            Error::InvalidDpopProof(ProofFault::IatTooOld)
        );
        // RFC 9449 §7.1's ath example.
        let ath = Thumbprint::of_digest(&Sha256::digest(
            b"Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU",
        ));
        assert_eq!(ath.as_str(), "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
    }

    #[test]
    #[cfg(feature = "std")]
    fn the_memory_store_refuses_replays_and_never_evicts_a_live_entry() {
        let store = MemoryReplayStore::new(2, 60);
        let k = Thumbprint::of_digest(&[0u8; 32]);
        let other = Thumbprint::of_digest(&[1u8; 32]);
        let t = UnixTime::from_secs(1000);
        assert_eq!(store.check_replay("a", &k, 1000, t), Replay::Fresh);
        assert_eq!(store.check_replay("a", &k, 1000, t), Replay::Replayed);
        // The same jti from another key is another proof.
        assert_eq!(store.check_replay("a", &other, 1000, t), Replay::Fresh);
        // Full of live entries: a server fault, not an eviction.
        assert_eq!(store.check_replay("b", &k, 1000, t), Replay::StoreFailed);
        assert_eq!(store.check_replay("a", &k, 1000, t), Replay::Replayed);
        // After the window the entries expire and make room.
        let later = UnixTime::from_secs(1061);
        assert_eq!(store.check_replay("b", &k, 1061, later), Replay::Fresh);
    }

    #[test]
    fn htu_normalisation() {
        let m = |a: &str, b: &str| htu_matches(a.as_bytes(), b.as_bytes());
        assert!(m(
            "https://server.example.com/token",
            "https://server.example.com/token"
        ));
        assert!(m(
            "HTTPS://Server.Example.COM/token",
            "https://server.example.com/token?x=1#f"
        ));
        assert!(m("https://a.example:443/p", "https://a.example/p"));
        assert!(m("https://a.example:/p", "https://a.example/p"));
        assert!(m("http://a.example:80", "http://a.example/"));
        assert!(m(
            "https://a.example/%7euser/%2f",
            "https://a.example/~user/%2F"
        ));
        assert!(m("https://[::1]:8443/x", "https://[::1]:8443/x"));
        assert!(!m("https://a.example/p?x=1", "https://a.example/p?x=1"));
        assert!(!m("https://a.example/p#f", "https://a.example/p"));
        assert!(!m("https://a.example/P", "https://a.example/p"));
        assert!(!m("https://a.example/%2f", "https://a.example//"));
        assert!(!m("https://a.example:8443/p", "https://a.example/p"));
        assert!(!m("http://a.example/p", "https://a.example/p"));
        assert!(!m("https://u@a.example/p", "https://u@a.example/p"));
        assert!(!m("https://a.example/%zz", "https://a.example/%zz"));
        assert!(!m("/p", "/p"));
    }
}
