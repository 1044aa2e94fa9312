//! Stateless DPoP server nonces (RFC 9449 §8): a [`NonceIssuer`] issues and
//! checks nonces without storing any, so every replica that holds the same
//! key checks every replica's nonces.
//!
//! ## The scheme
//!
//! Time is cut into buckets of `bucket_secs` seconds (default
//! [`DEFAULT_NONCE_BUCKET_SECS`]); bucket `b = floor(now / bucket_secs)`.
//! The nonce of bucket `b` is
//!
//! ```text
//! base64url( HMAC-SHA256( key, "tokenlane-dpop-nonce-v1" || be64(bucket_secs) || be64(b) ) )
//! ```
//!
//! 43 ASCII characters (RFC 9449 `NQCHAR`s). [`NonceIssuer::issue`] gives
//! the current bucket's nonce; [`NonceIssuer::check`] accepts the current
//! bucket's and the previous bucket's (a nonce is accepted for at least
//! `bucket_secs` and less than `2 × bucket_secs` after it was issued), and
//! refuses everything else, including the *next* bucket's: replicas must
//! agree on the time within the client's retry (a client refused with
//! `use_dpop_nonce` gets the refusing replica's current nonce and retries).
//! The comparison is constant-time.
//!
//! ## Decisions
//!
//! - The key is at least [`MIN_NONCE_KEY_BYTES`] (32) bytes: HMAC-SHA256's
//!   output size, RFC 2104 §3's minimum for full strength. Longer keys are
//!   hashed as RFC 2104 says. Generate it from a CSPRNG and share it
//!   between the replicas; rotate it like any server secret (a new key
//!   invalidates the outstanding nonces, and clients recover through one
//!   `use_dpop_nonce` round trip).
//! - The bucket length is part of the MAC input, so issuers with the same
//!   key and different bucket lengths never accept each other's nonces.
//! - A nonce does not bind a client or a key: RFC 9449 §8 uses it to bound
//!   a proof's freshness by the server's clock, not to identify anyone.
//!   Replays inside the window are the replay store's job.
//! - Time is passed in, never read; no heap, no `unsafe`, no state. The
//!   precomputed HMAC pads hold key material: the issuer does not print
//!   them (`Debug` shows the bucket length only).

use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::dpop::{ProofHooks, Replay, Thumbprint};
use crate::lane::PolicyError;
use crate::time::UnixTime;

/// The default bucket length: 5 minutes, so a nonce lives between 5 and 10
/// minutes (a client retries with a new one about every 5 minutes).
pub const DEFAULT_NONCE_BUCKET_SECS: u64 = 300;
/// The longest bucket allowed: one day.
pub const MAX_NONCE_BUCKET_SECS: u64 = 86_400;
/// The shortest key accepted, in bytes (HMAC-SHA256's output size).
pub const MIN_NONCE_KEY_BYTES: usize = 32;
/// The length of every nonce, in bytes (32 bytes of MAC in base64url).
pub const NONCE_LEN: usize = 43;

const DOMAIN: &[u8] = b"tokenlane-dpop-nonce-v1";
const BLOCK: usize = 64;

/// A server nonce: [`NONCE_LEN`] base64url characters, for the
/// `DPoP-Nonce` response header.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Nonce([u8; NONCE_LEN]);

impl Nonce {
    /// The nonce as text (ASCII).
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl core::fmt::Debug for Nonce {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`NonceIssuer::check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck {
    /// The current bucket's nonce.
    Current,
    /// The previous bucket's nonce: accepted; send the client a fresh one
    /// ([`IssuedNonces::response_nonce`] does).
    Previous,
    /// Anything else: another key, an older bucket, a later bucket, not a
    /// nonce at all.
    Invalid,
}

impl NonceCheck {
    /// Whether the nonce is accepted.
    pub fn is_accepted(self) -> bool {
        self != NonceCheck::Invalid
    }
}

/// Issues and checks stateless DPoP nonces under one server key (see the
/// [module docs](self) for the scheme and its decisions).
#[derive(Clone)]
pub struct NonceIssuer {
    inner: Sha256,
    outer: Sha256,
    bucket_secs: u64,
}

impl core::fmt::Debug for NonceIssuer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NonceIssuer")
            .field("bucket_secs", &self.bucket_secs)
            .finish_non_exhaustive()
    }
}

impl NonceIssuer {
    /// An issuer keyed with `key`, rotating every `bucket_secs` seconds.
    ///
    /// Errors: [`PolicyError::NonceKeyTooShort`] for a key under
    /// [`MIN_NONCE_KEY_BYTES`]; [`PolicyError::NonceBucket`] for a bucket of
    /// 0 or over [`MAX_NONCE_BUCKET_SECS`].
    pub fn new(key: &[u8], bucket_secs: u64) -> Result<Self, PolicyError> {
        if key.len() < MIN_NONCE_KEY_BYTES {
            return Err(PolicyError::NonceKeyTooShort);
        }
        if bucket_secs == 0 || bucket_secs > MAX_NONCE_BUCKET_SECS {
            return Err(PolicyError::NonceBucket);
        }
        let (inner, outer) = pads(key);
        Ok(Self {
            inner,
            outer,
            bucket_secs,
        })
    }

    /// The bucket length in seconds.
    pub fn bucket_secs(&self) -> u64 {
        self.bucket_secs
    }

    /// The nonce to hand out at `now` (the current bucket's).
    pub fn issue(&self, now: UnixTime) -> Nonce {
        self.nonce_of(now.as_secs() / self.bucket_secs)
    }

    /// Whether `nonce` was issued under this key in the current or the
    /// previous bucket at `now`; constant-time in the nonce's value.
    pub fn check(&self, nonce: &str, now: UnixTime) -> NonceCheck {
        let Ok(given) = <&[u8; NONCE_LEN]>::try_from(nonce.as_bytes()) else {
            return NonceCheck::Invalid;
        };
        let bucket = now.as_secs() / self.bucket_secs;
        if bool::from(given.ct_eq(&self.nonce_of(bucket).0)) {
            return NonceCheck::Current;
        }
        match bucket.checked_sub(1) {
            Some(prev) if bool::from(given.ct_eq(&self.nonce_of(prev).0)) => NonceCheck::Previous,
            _ => NonceCheck::Invalid,
        }
    }

    fn nonce_of(&self, bucket: u64) -> Nonce {
        let mut h = self.inner.clone();
        h.update(DOMAIN);
        h.update(self.bucket_secs.to_be_bytes());
        h.update(bucket.to_be_bytes());
        let mac = self.outer.clone().chain_update(h.finalize()).finalize();
        let mut out = [0u8; NONCE_LEN];
        // 32 bytes always encode to exactly 43 characters.
        let _ = Base64UrlUnpadded::encode(&mac, &mut out);
        Nonce(out)
    }
}

/// The HMAC-SHA256 inner and outer states after the padded key (RFC 2104).
fn pads(key: &[u8]) -> (Sha256, Sha256) {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        let d = Sha256::digest(key);
        for (b, k) in block.iter_mut().zip(d.iter()) {
            *b = *k;
        }
    } else {
        for (b, k) in block.iter_mut().zip(key) {
            *b = *k;
        }
    }
    let mut ipad = [0x36u8; BLOCK];
    let mut opad = [0x5cu8; BLOCK];
    for ((i, o), k) in ipad.iter_mut().zip(opad.iter_mut()).zip(block.iter()) {
        *i ^= k;
        *o ^= k;
    }
    (
        Sha256::new().chain_update(ipad),
        Sha256::new().chain_update(opad),
    )
}

/// The core's [`ProofHooks`] with nonces from a [`NonceIssuer`] and replays
/// from `replay`: a nonce is required, and accepted by
/// [`NonceIssuer::check`]; the replay check is `replay`'s.
///
/// After [`crate::request::authorize`] (or [`crate::dpop::verify_proof`])
/// answers, [`IssuedNonces::response_nonce`] says what to send in the
/// `DPoP-Nonce` response header. One value per request (it records which
/// bucket the proof's nonce came from).
pub struct IssuedNonces<'a, R: ProofHooks + ?Sized> {
    issuer: &'a NonceIssuer,
    replay: &'a R,
    previous: core::cell::Cell<bool>,
}

impl<'a, R: ProofHooks + ?Sized> IssuedNonces<'a, R> {
    /// Hooks requiring `issuer`'s nonces, with `replay`'s replay check
    /// (its own nonce hooks are not consulted).
    pub fn new(issuer: &'a NonceIssuer, replay: &'a R) -> Self {
        Self {
            issuer,
            replay,
            previous: core::cell::Cell::new(false),
        }
    }

    /// The `DPoP-Nonce` to send with the response: on a refusal (any code:
    /// RFC 9449 §8 lets the server send a nonce with every answer, and a
    /// client refused for another reason retries with it), the current
    /// nonce; on an acceptance, the current nonce when the proof carried
    /// the previous bucket's (so the client switches before it expires),
    /// else none.
    pub fn response_nonce(&self, accepted: bool, now: UnixTime) -> Option<Nonce> {
        (!accepted || self.previous.get()).then(|| self.issuer.issue(now))
    }
}

impl<R: ProofHooks + ?Sized> ProofHooks for IssuedNonces<'_, R> {
    fn nonce_required(&self) -> bool {
        true
    }

    fn nonce_ok(&self, nonce: &str, now: UnixTime) -> bool {
        let c = self.issuer.check(nonce, now);
        self.previous.set(c == NonceCheck::Previous);
        c.is_accepted()
    }

    fn check_replay(&self, jti: &str, jkt: &Thumbprint, iat: u64, now: UnixTime) -> Replay {
        self.replay.check_replay(jti, jkt, iat, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dpop::NoReplayCheck;

    fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
        let (inner, outer) = pads(key);
        outer
            .chain_update(inner.chain_update(msg).finalize())
            .finalize()
            .into()
    }

    fn hex(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (o, pair) in out.iter_mut().zip(s.as_bytes().chunks(2)) {
            *o = u8::from_str_radix(core::str::from_utf8(pair).unwrap(), 16).unwrap();
        }
        out
    }

    /// RFC 4231 §4.3 (test case 2: a short key) and §4.7 (test case 6: a
    /// key longer than the block, hashed first).
    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        assert_eq!(
            hmac(b"Jefe", b"what do ya want for nothing?"),
            hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
        assert_eq!(
            hmac(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        );
    }

    #[test]
    fn buckets_rotate_and_the_previous_one_is_accepted() {
        let n = NonceIssuer::new(&[7u8; 32], 300).unwrap();
        let t = |s| UnixTime::from_secs(s);
        let a = n.issue(t(600));
        assert_eq!(a.as_str().len(), NONCE_LEN);
        assert_eq!(n.issue(t(899)), a);
        assert_eq!(n.check(a.as_str(), t(600)), NonceCheck::Current);
        assert_eq!(n.check(a.as_str(), t(899)), NonceCheck::Current);
        assert_eq!(n.check(a.as_str(), t(900)), NonceCheck::Previous);
        assert_eq!(n.check(a.as_str(), t(1199)), NonceCheck::Previous);
        assert_eq!(n.check(a.as_str(), t(1200)), NonceCheck::Invalid);
        // The next bucket's nonce is not accepted early.
        assert_eq!(n.check(a.as_str(), t(599)), NonceCheck::Invalid);
        // Another key, another bucket length, junk.
        let other = NonceIssuer::new(&[8u8; 32], 300).unwrap();
        assert_eq!(other.check(a.as_str(), t(600)), NonceCheck::Invalid);
        let longer = NonceIssuer::new(&[7u8; 32], 600).unwrap();
        assert_eq!(longer.check(a.as_str(), t(600)), NonceCheck::Invalid);
        assert_eq!(n.check("", t(600)), NonceCheck::Invalid);
        assert_eq!(n.check(&a.as_str()[1..], t(600)), NonceCheck::Invalid);
        // Bucket 0 has no previous one.
        let z = n.issue(t(0));
        assert_eq!(n.check(z.as_str(), t(0)), NonceCheck::Current);
    }

    #[test]
    fn weak_settings_are_refused() {
        assert_eq!(
            NonceIssuer::new(&[0u8; 31], 300).unwrap_err(),
            PolicyError::NonceKeyTooShort
        );
        assert_eq!(
            NonceIssuer::new(&[0u8; 32], 0).unwrap_err(),
            PolicyError::NonceBucket
        );
        assert_eq!(
            NonceIssuer::new(&[0u8; 32], MAX_NONCE_BUCKET_SECS + 1).unwrap_err(),
            PolicyError::NonceBucket
        );
    }

    #[test]
    #[cfg(feature = "alloc")]
    fn debug_shows_no_key_material() {
        let n = NonceIssuer::new(&[0x41u8; 32], 300).unwrap();
        assert_eq!(
            alloc::format!("{n:?}"),
            "NonceIssuer { bucket_secs: 300, .. }"
        );
    }

    #[test]
    fn response_nonce_on_refusals_and_after_the_previous_bucket() {
        let n = NonceIssuer::new(&[7u8; 32], 300).unwrap();
        let t = UnixTime::from_secs(900);
        let hooks = IssuedNonces::new(&n, &NoReplayCheck);
        assert!(hooks.nonce_required());
        assert_eq!(hooks.response_nonce(false, t), Some(n.issue(t)));
        assert!(hooks.nonce_ok(n.issue(t).as_str(), t));
        assert_eq!(hooks.response_nonce(true, t), None);
        assert!(hooks.nonce_ok(n.issue(UnixTime::from_secs(600)).as_str(), t));
        assert_eq!(hooks.response_nonce(true, t), Some(n.issue(t)));
    }
}
