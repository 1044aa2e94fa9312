//! Key sets: a JWKS (RFC 7517) or keys added one by one, parsed once.

use alloc::vec::Vec;
use core::ops::Deref;

use crate::alg::Algorithm;
use crate::b64::decode_url_vec;
use crate::error::{KeyError, SkipReason};
use crate::json::{self, Elements, JsonStr, Members, Value};
use crate::keys::Key;
use crate::limits::MAX_KEYS;

/// A JWKS entry that was not loaded, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skipped {
    /// Position of the key in the document's `keys` array.
    pub index: usize,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// An owned, immutable-after-load set of verification keys (needs `alloc`).
///
/// Lookup: a token with a `kid` is checked only against the keys with
/// exactly that kid (several keys may share one during a rotation, and each
/// that fits the token's `alg` is tried); a token without `kid` tries every
/// key that fits its `alg` when at most
/// [`MAX_KIDLESS_CANDIDATES`](crate::limits::MAX_KIDLESS_CANDIDATES) fit, and
/// is refused as `key_not_found` when more do.
///
/// Derefs to `[Key]`, which is what validation takes; without `alloc`,
/// pass a `[Key; N]` array instead (sorted with
/// [`sort_by_kid`](crate::sort_by_kid) for the same lookup).
///
/// Index: the set keeps its keys sorted by `kid` bytes (keys without a
/// `kid` first; keys sharing a `kid` in load order), so a token's key is
/// found by binary search, O(log n) `kid` comparisons, whatever the size of
/// the set (BENCHMARKS.md, "Cost as the work grows"). The slice it derefs to
/// is in that order; [`KeySet::in_load_order`] gives the order the keys were
/// loaded (document order for a JWKS, then each added key).
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    /// Sorted by [`crate::keys::kid_order`] (stable).
    keys: Vec<Key>,
    /// Load order: `order[i]` is the position in `keys` of the i-th key
    /// loaded. At most [`MAX_KEYS`] entries, so a `u16` holds each.
    order: Vec<u16>,
    skipped: Vec<Skipped>,
}

impl Deref for KeySet {
    type Target = [Key];
    fn deref(&self) -> &[Key] {
        &self.keys
    }
}

impl KeySet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one key (after the keys of the same `kid`, in the index's
    /// order). Errors: `TooManyKeys` past [`MAX_KEYS`].
    pub fn push(&mut self, key: Key) -> Result<(), KeyError> {
        if self.keys.len() >= MAX_KEYS {
            return Err(KeyError::TooManyKeys);
        }
        let at = self
            .keys
            .partition_point(|k| crate::keys::kid_order(k, &key).is_le());
        let at16 = u16::try_from(at).map_err(|_| KeyError::TooManyKeys)?;
        for o in &mut self.order {
            if *o >= at16 {
                *o += 1;
            }
        }
        self.keys.insert(at, key);
        self.order.push(at16);
        Ok(())
    }

    /// Sorts `keys`, which are in load order with `order` empty, into the
    /// index's order (a stable sort: O(n log n), once per load, instead of
    /// an insertion per key) and records the load order.
    fn index(&mut self) {
        let mut tagged: Vec<(usize, Key)> = core::mem::take(&mut self.keys)
            .into_iter()
            .enumerate()
            .collect();
        tagged.sort_by(|a, b| crate::keys::kid_order(&a.1, &b.1));
        self.order = alloc::vec![0; tagged.len()];
        for (pos, (loaded, _)) in tagged.iter().enumerate() {
            if let (Some(o), Ok(p)) = (self.order.get_mut(*loaded), u16::try_from(pos)) {
                *o = p;
            }
        }
        self.keys = tagged.into_iter().map(|(_, k)| k).collect();
    }

    /// The keys in the order they were loaded (a JWKS's document order,
    /// then each key pushed or extended); the set itself derefs to them
    /// sorted by `kid`.
    pub fn in_load_order(&self) -> impl Iterator<Item = &Key> + '_ {
        self.order
            .iter()
            .filter_map(|&i| self.keys.get(usize::from(i)))
    }

    /// The JWKS entries that were skipped (encryption keys, unknown `kty`,
    /// other curves, non-signature `alg`, keys carrying private members),
    /// with their positions.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// Loads a JWKS document (`{"keys":[...]}`, RFC 7517 §5). A bare JWK
    /// is refused here (`MissingMember("keys")`); use [`KeySet::from_jwk`].
    ///
    /// Keys a verifier cannot use are skipped and reported
    /// ([`KeySet::skipped`]). A key of a usable kind that is broken (bad
    /// base64, RSA under 2048 bits, a point off the curve, a short secret)
    /// fails the whole load with that key's [`KeyError`]: a published key set
    /// with a broken key is a configuration fault to fix, not to paper over.
    /// A document with no usable key is `NoUsableKey`.
    pub fn from_jwks(doc: &[u8]) -> Result<Self, KeyError> {
        if doc.len() > crate::limits::MAX_KEY_DOCUMENT_BYTES {
            return Err(KeyError::DocumentTooLarge);
        }
        let text = json::validate(doc).map_err(|_| KeyError::Encoding)?;
        let keys_array = Members::of(text)
            .find(|(k, _)| k.eq_str("keys"))
            .map(|(_, v)| v);
        let mut set = KeySet::new();
        let mut count = 0usize;
        let add = |set: &mut KeySet, index: usize, obj: &str| -> Result<(), KeyError> {
            match jwk(obj)? {
                Ok(key) => {
                    // Load order here; `index` sorts once at the end.
                    set.keys.push(key);
                    Ok(())
                }
                Err(reason) => {
                    set.skipped.push(Skipped { index, reason });
                    Ok(())
                }
            }
        };
        match keys_array {
            Some(Value::Array(a)) => {
                for (index, v) in Elements::of(a).enumerate() {
                    count += 1;
                    if count > MAX_KEYS {
                        return Err(KeyError::TooManyKeys);
                    }
                    match v {
                        Value::Object(o) => add(&mut set, index, o)?,
                        _ => return Err(KeyError::Encoding),
                    }
                }
            }
            _ => return Err(KeyError::MissingMember("keys")),
        }
        set.index();
        if set.keys.is_empty() {
            let n = |r: SkipReason| set.skipped.iter().filter(|s| s.reason == r).count();
            return Err(KeyError::NoUsableKey {
                keys: count,
                not_for_verifying: n(SkipReason::NotForVerifying),
                unsupported_key_type: n(SkipReason::UnsupportedKeyType),
                unsupported_alg: n(SkipReason::UnsupportedAlg),
                private_key: n(SkipReason::PrivateKey),
            });
        }
        Ok(set)
    }

    /// Loads a single JWK object (RFC 7517 §4), with the rules of
    /// [`KeySet::from_jwks`]: a key that is not for verifying is
    /// `NoUsableKey`.
    pub fn from_jwk(doc: &[u8]) -> Result<Self, KeyError> {
        if doc.len() > crate::limits::MAX_KEY_DOCUMENT_BYTES {
            return Err(KeyError::DocumentTooLarge);
        }
        let text = json::validate(doc).map_err(|_| KeyError::Encoding)?;
        let mut set = KeySet::new();
        match jwk(text)? {
            Ok(key) => set.push(key)?,
            Err(reason) => {
                return Err(KeyError::NoUsableKey {
                    keys: 1,
                    not_for_verifying: usize::from(reason == SkipReason::NotForVerifying),
                    unsupported_key_type: usize::from(reason == SkipReason::UnsupportedKeyType),
                    unsupported_alg: usize::from(reason == SkipReason::UnsupportedAlg),
                    private_key: usize::from(reason == SkipReason::PrivateKey),
                })
            }
        }
        Ok(set)
    }

    /// A set holding one SPKI PEM key, optionally named and pinned.
    pub fn from_spki_pem(
        pem: &str,
        kid: Option<&str>,
        alg: Option<Algorithm>,
    ) -> Result<Self, KeyError> {
        Self::single(Key::from_spki_pem(pem)?, kid, alg)
    }

    /// A set holding one SPKI DER key, optionally named and pinned.
    pub fn from_spki_der(
        der: &[u8],
        kid: Option<&str>,
        alg: Option<Algorithm>,
    ) -> Result<Self, KeyError> {
        Self::single(Key::from_spki_der(der)?, kid, alg)
    }

    /// A set holding one HMAC secret, optionally named and pinned.
    #[cfg(feature = "hs256")]
    pub fn from_secret(
        secret: &[u8],
        kid: Option<&str>,
        alg: Option<Algorithm>,
    ) -> Result<Self, KeyError> {
        Self::single(Key::hmac(secret)?, kid, alg)
    }

    fn single(mut key: Key, kid: Option<&str>, alg: Option<Algorithm>) -> Result<Self, KeyError> {
        if let Some(kid) = kid {
            key = key.with_kid(kid)?;
        }
        if let Some(alg) = alg {
            key = key.with_alg(alg)?;
        }
        let mut set = KeySet::new();
        set.push(key)?;
        Ok(set)
    }

    /// Appends every key (and skip report) of `other`.
    pub fn extend(&mut self, other: KeySet) -> Result<(), KeyError> {
        let KeySet {
            keys,
            order,
            skipped,
        } = other;
        let mut slots: Vec<Option<Key>> = keys.into_iter().map(Some).collect();
        for i in order {
            if let Some(k) = slots.get_mut(usize::from(i)).and_then(Option::take) {
                self.push(k)?;
            }
        }
        self.skipped.extend(skipped);
        Ok(())
    }
}

/// Parses one JWK. Outer `Err`: a broken key of a usable kind; inner
/// `Err`: a key to skip.
fn jwk(obj: &str) -> Result<Result<Key, SkipReason>, KeyError> {
    let crate::jwk::JwkMembers {
        kty,
        use_,
        key_ops,
        alg,
        kid,
        n,
        e,
        crv,
        x,
        y,
        k,
        private,
    } = crate::jwk::JwkMembers::of(obj);
    let kty = str_member(kty, "kty")?.ok_or(KeyError::MissingMember("kty"))?;
    // A private key (or a secret `k` on a public-key type) is never used to
    // verify: whoever read the document can sign with it. See the crate
    // docs, "Design choices".
    if private || (k.is_some() && !kty.eq_str("oct")) {
        return Ok(Err(SkipReason::PrivateKey));
    }
    if let Some(u) = str_member(use_, "use")? {
        if !u.eq_str("sig") {
            return Ok(Err(SkipReason::NotForVerifying));
        }
    }
    match key_ops {
        None => {}
        Some(Value::Array(a))
            if !Elements::of(a).any(|v| v.as_str().is_some_and(|s| s.eq_str("verify"))) =>
        {
            return Ok(Err(SkipReason::NotForVerifying));
        }
        Some(Value::Array(_)) => {}
        Some(_) => return Err(KeyError::MissingMember("key_ops")),
    }
    let alg = match str_member(alg, "alg")? {
        None => None,
        Some(a) => match unescaped(a, &mut [0u8; 16]).and_then(Algorithm::from_name) {
            Some(a) if a.is_implemented() => Some(a),
            _ => return Ok(Err(SkipReason::UnsupportedAlg)),
        },
    };
    let key = match unescaped(kty, &mut [0u8; 8]).unwrap_or("") {
        "RSA" => {
            #[cfg(feature = "rsa")]
            {
                Key::rsa(&b64_uint(n, "n")?, &b64_uint(e, "e")?)?
            }
            #[cfg(not(feature = "rsa"))]
            {
                let _ = (n, e);
                return Ok(Err(SkipReason::UnsupportedKeyType));
            }
        }
        "EC" => {
            // The coordinates must have the length of `crv`'s field (32, 48,
            // 66 bytes): a P-256 point labelled P-384 is `MissingMember`, not
            // a key of another curve. `crv` compares by its unescaped value,
            // like `kty` and `alg`.
            let crv = str_member(crv, "crv")?.ok_or(KeyError::MissingMember("crv"))?;
            let _ = (&x, &y);
            match unescaped(crv, &mut [0u8; 8]).unwrap_or("") {
                #[cfg(feature = "es256")]
                "P-256" => Key::p256(&b64(x, "x")?, &b64(y, "y")?)?,
                #[cfg(feature = "es384")]
                "P-384" => Key::p384(&b64(x, "x")?, &b64(y, "y")?)?,
                #[cfg(feature = "es512")]
                "P-521" => Key::p521(&b64(x, "x")?, &b64(y, "y")?)?,
                _ => return Ok(Err(SkipReason::UnsupportedKeyType)),
            }
        }
        "OKP" => {
            // RFC 8037: `crv` Ed25519 with `x`. Ed448 (not implemented) and
            // the key-agreement curves X25519/X448 are skipped.
            let crv = str_member(crv, "crv")?.ok_or(KeyError::MissingMember("crv"))?;
            let _ = &x;
            match unescaped(crv, &mut [0u8; 8]).unwrap_or("") {
                #[cfg(feature = "eddsa")]
                "Ed25519" => {
                    if y.is_some() {
                        // An OKP key has no `y` (RFC 8037 §2): a mislabelled EC key.
                        return Err(KeyError::MissingMember("y"));
                    }
                    Key::ed25519(&b64(x, "x")?)?
                }
                _ => return Ok(Err(SkipReason::UnsupportedKeyType)),
            }
        }
        "oct" => {
            #[cfg(feature = "hs256")]
            {
                Key::hmac(&b64(k, "k")?)?
            }
            #[cfg(not(feature = "hs256"))]
            {
                let _ = k;
                return Ok(Err(SkipReason::UnsupportedKeyType));
            }
        }
        _ => return Ok(Err(SkipReason::UnsupportedKeyType)),
    };
    let mut key = key;
    if let Some(kid) = str_member(kid, "kid")? {
        let mut buf = [0u8; crate::limits::MAX_KID_LEN];
        let n = kid.unescape_into(&mut buf).ok_or(KeyError::KidTooLong)?;
        let s =
            core::str::from_utf8(buf.get(..n).unwrap_or(&[])).map_err(|_| KeyError::Encoding)?;
        key = key.with_kid(s)?;
    }
    if let Some(alg) = alg {
        // A secret pinned to a hash it is too short for is a broken key of a
        // usable kind (invalid_key), not an unusable kind to skip.
        if key.fits(alg) == Err(crate::AlgorithmRefusal::SecretTooShort) {
            return Err(KeyError::SecretTooShort {
                len: key.secret_len().unwrap_or(0),
            });
        }
        match key.with_alg(alg) {
            Ok(k) => key = k,
            Err(_) => return Ok(Err(SkipReason::UnsupportedAlg)),
        }
    }
    Ok(Ok(key))
}

/// A short member value by its unescaped text (`"\u0052SA"` is `RSA`), in
/// `buf`; `None` when it does not fit (then it names nothing known).
fn unescaped<'b>(s: JsonStr<'_>, buf: &'b mut [u8]) -> Option<&'b str> {
    let n = s.unescape_into(buf)?;
    core::str::from_utf8(buf.get(..n)?).ok()
}

fn str_member<'a>(
    v: Option<Value<'a>>,
    name: &'static str,
) -> Result<Option<JsonStr<'a>>, KeyError> {
    match v {
        None => Ok(None),
        Some(v) => v.as_str().map(Some).ok_or(KeyError::MissingMember(name)),
    }
}

/// An RSA integer member (RFC 7518 §6.3.1.1: base64url of the big-endian
/// value "using the minimum number of octets"): a leading zero byte is
/// refused as `NonMinimalInteger`, not silently stripped.
#[cfg(feature = "rsa")]
fn b64_uint(v: Option<Value<'_>>, name: &'static str) -> Result<Vec<u8>, KeyError> {
    let bytes = b64(v, name)?;
    if bytes.first() == Some(&0) {
        return Err(KeyError::NonMinimalInteger(name));
    }
    Ok(bytes)
}

#[allow(dead_code)]
fn b64(v: Option<Value<'_>>, name: &'static str) -> Result<Vec<u8>, KeyError> {
    let s = str_member(v, name)?.ok_or(KeyError::MissingMember(name))?;
    let plain = s.as_plain().ok_or(KeyError::Base64)?;
    decode_url_vec(plain).ok_or(KeyError::Base64)
}
