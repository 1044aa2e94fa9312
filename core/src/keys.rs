//! Verification keys: RSA, P-256, P-384, P-521 and Ed25519 public keys and
//! HMAC secrets, loaded once (JWK, JWKS, SPKI PEM/DER, raw secret) into
//! [`Key`]s.
//!
//! A [`Key`] can only be built through constructors that enforce the bounds
//! (RSA 2048–8192 bits with a sane exponent, an EC point on its curve and
//! not the identity, an Ed25519 point in canonical encoding and not of small
//! order, an HMAC secret of at least 32 bytes): a weak key cannot exist. Everything
//! that depends only on the key (the decoded point, the RSA modulus, the
//! keyed HMAC state) is prepared at load, never per token.

use core::fmt;

use crate::alg::{Algorithm, KeyFamily};
use crate::backend::Backend;
use crate::error::{AlgorithmRefusal, KeyError};
use crate::limits::MAX_KID_LEN;

#[cfg(feature = "hs256")]
use hmac::{Hmac, Mac};

/// Whether an HMAC secret is really a public key: PEM armour, a JSON
/// object with `kty` or `keys` (a JWK or JWKS), DER that parses as an SPKI
/// or PKCS#1 RSA public key, or the base64 of an SPKI (a PEM body without
/// its armour). A random secret matches none of these except by a
/// negligible chance (the DER and JSON tests need a complete, valid
/// structure, not just a first byte).
#[cfg(feature = "hs256")]
fn looks_like_public_key(secret: &[u8]) -> bool {
    let start = secret
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(secret.len());
    let text = secret.get(start..).unwrap_or(&[]);
    if text.starts_with(b"-----BEGIN") {
        return true;
    }
    if text.first() == Some(&b'{') {
        if let Ok(doc) = crate::json::validate(secret) {
            if crate::json::Members::of(doc).any(|(k, _)| k.eq_str("kty") || k.eq_str("keys")) {
                return true;
            }
        }
    }
    // The base64 of the DER AlgorithmIdentifier of rsaEncryption and of
    // id-ecPublicKey (the latter at each of its three base64 alignments: a
    // P-521 SPKI's longer length field shifts it), as they appear in every
    // SPKI body of a usable size, and the fixed start of every Ed25519 SPKI
    // body (its 12-byte header).
    let head = text.get(..text.len().min(64)).unwrap_or(&[]);
    if [
        &b"BgkqhkiG9w0BAQEF"[..],
        &b"KoZIzj0CAQ"[..],
        &b"BgcqhkjOPQIB"[..],
        &b"ByqGSM49Ag"[..],
        &b"MCowBQYDK2VwAyEA"[..],
    ]
    .iter()
    .any(|oid| head.windows(oid.len()).any(|w| w == *oid))
    {
        return true;
    }
    is_der_public_key(secret)
}

/// One DER TLV header at `pos`: its tag and its contents' span, which must
/// lie inside `b`.
#[cfg(feature = "hs256")]
fn der_tlv(b: &[u8], pos: usize) -> Option<(u8, usize, usize)> {
    let tag = *b.get(pos)?;
    let first = *b.get(pos.checked_add(1)?)?;
    let (len, start) = if first < 0x80 {
        (usize::from(first), pos.checked_add(2)?)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let digits = b.get(pos.checked_add(2)?..pos.checked_add(2 + n)?)?;
        let len = digits
            .iter()
            .fold(0usize, |acc, &d| (acc << 8) | usize::from(d));
        (len, pos.checked_add(2 + n)?)
    };
    let end = start.checked_add(len)?;
    (end <= b.len()).then_some((tag, start, end))
}

/// Whether `b` is, as a whole, a DER SubjectPublicKeyInfo (`SEQUENCE {
/// SEQUENCE { OID, … }, BIT STRING }`, any algorithm) or a PKCS#1
/// RSAPublicKey (`SEQUENCE { INTEGER, INTEGER }`). Checked by structure
/// (exact nested lengths), with a few lines instead of a DER parser, so the
/// HMAC constructor pulls no ASN.1 code into small firmware.
#[cfg(feature = "hs256")]
fn is_der_public_key(b: &[u8]) -> bool {
    let Some((0x30, start, end)) = der_tlv(b, 0) else {
        return false;
    };
    if end != b.len() {
        return false;
    }
    match der_tlv(b, start) {
        Some((0x30, alg_start, alg_end)) => {
            matches!(der_tlv(b, alg_start), Some((0x06, _, _)))
                && matches!(der_tlv(b, alg_end), Some((0x03, _, e)) if e == end)
        }
        Some((0x02, _, n_end)) => matches!(der_tlv(b, n_end), Some((0x02, _, e)) if e == end),
        _ => false,
    }
}

/// A key identifier, stored inline (no heap), at most [`MAX_KID_LEN`] bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Kid {
    len: u8,
    bytes: [u8; MAX_KID_LEN],
}

impl Kid {
    /// A kid from a string; `KidTooLong` over [`MAX_KID_LEN`] bytes.
    pub fn new(s: &str) -> Result<Self, KeyError> {
        let len = u8::try_from(s.len()).map_err(|_| KeyError::KidTooLong)?;
        let mut bytes = [0u8; MAX_KID_LEN];
        bytes
            .get_mut(..s.len())
            .ok_or(KeyError::KidTooLong)?
            .copy_from_slice(s.as_bytes());
        Ok(Self { len, bytes })
    }

    /// The kid as a string.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// The kid's bytes (UTF-8), without the UTF-8 check of [`Kid::as_str`]:
    /// what the key lookup compares.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

impl fmt::Debug for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// The prepared key material.
///
/// Variants differ in size (keyed HMAC states are a few hundred bytes);
/// boxing them would need a heap on embedded targets, and keys are built
/// once, so the size is accepted.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)]
enum Material {
    #[cfg(feature = "rsa")]
    Rsa(RsaKey),
    #[cfg(feature = "es256")]
    P256(P256Key),
    #[cfg(feature = "es384")]
    P384(P384Key),
    #[cfg(feature = "es512")]
    P521(P521Key),
    #[cfg(feature = "eddsa")]
    Ed25519(Ed25519Key),
    #[cfg(feature = "hs256")]
    Hmac(HmacKey),
}

#[cfg(feature = "rsa")]
#[derive(Clone)]
struct RsaKey {
    rc: rsa::RsaPublicKey,
    #[cfg(feature = "ring")]
    ring: crate::backend::ring_impl::Rsa,
    #[cfg(feature = "aws-lc")]
    awslc: crate::backend::awslc_impl::Rsa,
}

#[cfg(feature = "es256")]
#[derive(Clone)]
struct P256Key {
    #[cfg(feature = "ecdsa")]
    rc: p256::ecdsa::VerifyingKey,
    #[cfg(feature = "ring")]
    point: [u8; 65],
    #[cfg(feature = "aws-lc")]
    awslc: crate::backend::awslc_impl::Point,
    #[cfg(all(feature = "p256-cm4", target_arch = "arm"))]
    cm4: crate::backend::cm4_impl::Point,
}

#[cfg(feature = "es384")]
#[derive(Clone)]
struct P384Key {
    rc: p384::ecdsa::VerifyingKey,
    #[cfg(feature = "ring")]
    point: [u8; 97],
    #[cfg(feature = "aws-lc")]
    awslc: crate::backend::awslc_impl::Point,
}

/// P-521 has no `ring` verifier: `Ring` uses `p521` as `RustCrypto` does;
/// `AwsLc` has its own.
#[cfg(feature = "es512")]
#[derive(Clone)]
struct P521Key {
    rc: p521::ecdsa::VerifyingKey,
    #[cfg(feature = "aws-lc")]
    awslc: crate::backend::awslc_impl::Point,
}

#[cfg(feature = "eddsa")]
#[derive(Clone)]
struct Ed25519Key {
    rc: ed25519_dalek::VerifyingKey,
    #[cfg(feature = "ring")]
    bytes: [u8; 32],
    #[cfg(feature = "aws-lc")]
    awslc: crate::backend::awslc_impl::Point,
}

/// The uncompressed SEC1 point `04 ‖ x ‖ y` from JWK coordinates of
/// exactly `N` bytes each (`MissingMember` names the coordinate otherwise).
#[cfg(any(feature = "es256", feature = "es384", feature = "es512"))]
fn sec1_from_xy<const N: usize, const P: usize>(x: &[u8], y: &[u8]) -> Result<[u8; P], KeyError> {
    if x.len() != N {
        return Err(KeyError::MissingMember("x"));
    }
    if y.len() != N {
        return Err(KeyError::MissingMember("y"));
    }
    let mut sec1 = [0u8; P];
    let (head, rest) = sec1.split_at_mut(1);
    let (xs, ys) = rest.split_at_mut(N);
    head.copy_from_slice(&[0x04]);
    xs.copy_from_slice(x);
    ys.get_mut(..N)
        .ok_or(KeyError::Encoding)?
        .copy_from_slice(y);
    Ok(sec1)
}

/// An HMAC secret, held only as keyed hash states (the secret bytes are not
/// kept). States exist only for the hashes the secret is long enough for.
#[cfg(feature = "hs256")]
#[derive(Clone)]
struct HmacKey {
    len: usize,
    s256: Hmac<sha2::Sha256>,
    #[cfg(feature = "hs384")]
    s384: Option<Hmac<sha2::Sha384>>,
    #[cfg(feature = "hs512")]
    s512: Option<Hmac<sha2::Sha512>>,
    #[cfg(feature = "ring")]
    ring: crate::backend::ring_impl::Hmac,
    #[cfg(feature = "aws-lc")]
    awslc: crate::backend::awslc_impl::Hmac,
}

/// One verification key, with its optional `kid` and pinned `alg`.
#[derive(Clone)]
pub struct Key {
    kid: Option<Kid>,
    alg: Option<Algorithm>,
    material: Material,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never prints key material.
        f.debug_struct("Key")
            .field("family", &self.family())
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish()
    }
}

impl Key {
    /// An RSA public key from big-endian modulus and exponent bytes (leading
    /// zero bytes are ignored).
    ///
    /// Errors: `RsaTooSmall`/`RsaTooLarge` outside 2048–8192 bits,
    /// `RsaBadNumbers` for an even modulus or an exponent that is even,
    /// under 3 or over [`RSA_MAX_EXPONENT`](crate::limits::RSA_MAX_EXPONENT)
    /// (65537).
    #[cfg(feature = "rsa")]
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<Self, KeyError> {
        Self::rsa_for(n, e, crate::backend::Uses::Many)
    }

    /// [`Key::rsa`] for `uses` verifications.
    #[cfg(feature = "rsa")]
    pub(crate) fn rsa_for(
        n: &[u8],
        e: &[u8],
        uses: crate::backend::Uses,
    ) -> Result<Self, KeyError> {
        let _ = uses;
        use crate::limits::{RSA_MAX_BITS, RSA_MAX_EXPONENT, RSA_MIN_BITS};
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = match n.first() {
            None => 0,
            Some(&top) => {
                let top_bits = usize::try_from(8 - top.leading_zeros()).unwrap_or(8);
                (n.len() - 1).saturating_mul(8).saturating_add(top_bits)
            }
        };
        if bits < RSA_MIN_BITS {
            return Err(KeyError::RsaTooSmall { bits });
        }
        if bits > RSA_MAX_BITS {
            return Err(KeyError::RsaTooLarge { bits });
        }
        let n_odd = n.last().is_some_and(|b| b & 1 == 1);
        let e_odd = e.last().is_some_and(|b| b & 1 == 1);
        let e_val = if e.len() <= 5 {
            e.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
        } else {
            u64::MAX
        };
        if !n_odd || !e_odd || !(3..=RSA_MAX_EXPONENT).contains(&e_val) {
            return Err(KeyError::RsaBadNumbers);
        }
        let key = rsa::RsaPublicKey::new_with_max_size(
            rsa::BigUint::from_bytes_be(n),
            rsa::BigUint::from_bytes_be(e),
            RSA_MAX_BITS,
        )
        .map_err(|_| KeyError::RsaBadNumbers)?;
        #[cfg(feature = "aws-lc")]
        let awslc =
            crate::backend::awslc_impl::Rsa::new(n, e, uses).ok_or(KeyError::RsaBadNumbers)?;
        Ok(Self::from_material(Material::Rsa(RsaKey {
            rc: key,
            #[cfg(feature = "ring")]
            ring: crate::backend::ring_impl::Rsa {
                n: n.to_vec(),
                e: e.to_vec(),
            },
            #[cfg(feature = "aws-lc")]
            awslc,
        })))
    }

    /// A P-256 public key from its 32-byte affine coordinates.
    ///
    /// Errors: `MissingMember` when a coordinate is not 32 bytes,
    /// `PointNotOnCurve` when the point is not on P-256.
    #[cfg(feature = "es256")]
    pub fn p256(x: &[u8], y: &[u8]) -> Result<Self, KeyError> {
        Self::p256_for(x, y, crate::backend::Uses::Many)
    }

    /// [`Key::p256`] for `uses` verifications.
    #[cfg(feature = "es256")]
    pub(crate) fn p256_for(
        x: &[u8],
        y: &[u8],
        uses: crate::backend::Uses,
    ) -> Result<Self, KeyError> {
        Self::p256_sec1_for(&sec1_from_xy::<32, 65>(x, y)?, uses)
    }

    /// A P-256 public key from a SEC1 encoded point (compressed or not).
    #[cfg(feature = "es256")]
    pub fn p256_sec1(point: &[u8]) -> Result<Self, KeyError> {
        Self::p256_sec1_for(point, crate::backend::Uses::Many)
    }

    #[cfg(feature = "es256")]
    fn p256_sec1_for(point: &[u8], uses: crate::backend::Uses) -> Result<Self, KeyError> {
        let _ = uses;
        #[cfg(feature = "ecdsa")]
        let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
            .map_err(|_| KeyError::PointNotOnCurve)?;
        // Checked by p256-cm4 too (range below p, on the curve), with or
        // without `ecdsa`: the key it verifies with is one it accepted.
        #[cfg(all(feature = "p256-cm4", target_arch = "arm"))]
        let cm4 = crate::backend::cm4_impl::Point::new(point).ok_or(KeyError::PointNotOnCurve)?;
        #[cfg(all(any(feature = "ring", feature = "aws-lc"), feature = "ecdsa"))]
        let point = {
            let enc = vk.to_encoded_point(false);
            let mut p = [0u8; 65];
            p.copy_from_slice(enc.as_bytes());
            p
        };
        #[cfg(all(any(feature = "ring", feature = "aws-lc"), not(feature = "ecdsa")))]
        let point = cm4.uncompressed();
        #[cfg(feature = "aws-lc")]
        let awslc = crate::backend::awslc_impl::Point::p256(&point, uses)
            .ok_or(KeyError::PointNotOnCurve)?;
        Ok(Self::from_material(Material::P256(P256Key {
            #[cfg(feature = "ecdsa")]
            rc: vk,
            #[cfg(feature = "ring")]
            point,
            #[cfg(feature = "aws-lc")]
            awslc,
            #[cfg(all(feature = "p256-cm4", target_arch = "arm"))]
            cm4,
        })))
    }

    /// A P-384 public key from its 48-byte affine coordinates.
    ///
    /// Errors: `MissingMember` when a coordinate is not 48 bytes,
    /// `PointNotOnCurve` when the point is not on P-384.
    #[cfg(feature = "es384")]
    pub fn p384(x: &[u8], y: &[u8]) -> Result<Self, KeyError> {
        Self::p384_for(x, y, crate::backend::Uses::Many)
    }

    /// [`Key::p384`] for `uses` verifications.
    #[cfg(feature = "es384")]
    pub(crate) fn p384_for(
        x: &[u8],
        y: &[u8],
        uses: crate::backend::Uses,
    ) -> Result<Self, KeyError> {
        Self::p384_sec1_for(&sec1_from_xy::<48, 97>(x, y)?, uses)
    }

    /// A P-384 public key from a SEC1 encoded point (compressed or not).
    /// Errors: `PointNotOnCurve` (off the curve, the identity, bad length).
    #[cfg(feature = "es384")]
    pub fn p384_sec1(point: &[u8]) -> Result<Self, KeyError> {
        Self::p384_sec1_for(point, crate::backend::Uses::Many)
    }

    #[cfg(feature = "es384")]
    fn p384_sec1_for(point: &[u8], uses: crate::backend::Uses) -> Result<Self, KeyError> {
        let _ = uses;
        let vk = p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
            .map_err(|_| KeyError::PointNotOnCurve)?;
        #[cfg(any(feature = "ring", feature = "aws-lc"))]
        let point = {
            let enc = vk.to_encoded_point(false);
            let mut p = [0u8; 97];
            p.copy_from_slice(enc.as_bytes());
            p
        };
        #[cfg(feature = "aws-lc")]
        let awslc = crate::backend::awslc_impl::Point::p384(&point, uses)
            .ok_or(KeyError::PointNotOnCurve)?;
        Ok(Self::from_material(Material::P384(P384Key {
            rc: vk,
            #[cfg(feature = "ring")]
            point,
            #[cfg(feature = "aws-lc")]
            awslc,
        })))
    }

    /// A P-521 public key from its 66-byte affine coordinates (RFC 7518
    /// §6.2.1.2: the full field size, leading zeros included).
    ///
    /// Errors: `MissingMember` when a coordinate is not 66 bytes,
    /// `PointNotOnCurve` when the point is not on P-521.
    #[cfg(feature = "es512")]
    pub fn p521(x: &[u8], y: &[u8]) -> Result<Self, KeyError> {
        Self::p521_for(x, y, crate::backend::Uses::Many)
    }

    /// [`Key::p521`] for `uses` verifications.
    #[cfg(feature = "es512")]
    pub(crate) fn p521_for(
        x: &[u8],
        y: &[u8],
        uses: crate::backend::Uses,
    ) -> Result<Self, KeyError> {
        Self::p521_sec1_for(&sec1_from_xy::<66, 133>(x, y)?, uses)
    }

    /// A P-521 public key from a SEC1 encoded point (compressed or not).
    /// Errors: `PointNotOnCurve` (off the curve, the identity, bad length).
    #[cfg(feature = "es512")]
    pub fn p521_sec1(point: &[u8]) -> Result<Self, KeyError> {
        Self::p521_sec1_for(point, crate::backend::Uses::Many)
    }

    #[cfg(feature = "es512")]
    fn p521_sec1_for(point: &[u8], uses: crate::backend::Uses) -> Result<Self, KeyError> {
        let _ = uses;
        let vk = p521::ecdsa::VerifyingKey::from_sec1_bytes(point)
            .map_err(|_| KeyError::PointNotOnCurve)?;
        #[cfg(feature = "aws-lc")]
        let awslc =
            crate::backend::awslc_impl::Point::p521(vk.to_encoded_point(false).as_bytes(), uses)
                .ok_or(KeyError::PointNotOnCurve)?;
        Ok(Self::from_material(Material::P521(P521Key {
            rc: vk,
            #[cfg(feature = "aws-lc")]
            awslc,
        })))
    }

    /// An Ed25519 public key from its 32-byte encoding (RFC 8032 §5.1.2;
    /// the JWK `x` of RFC 8037).
    ///
    /// Errors: `MissingMember("x")` when it is not 32 bytes;
    /// `PointNotOnCurve` when it does not decode to a curve point, is not
    /// the canonical encoding of its point (y ≥ p, or a "negative zero"
    /// x), or is a point of small order (the identity and the other seven
    /// torsion points). A small-order key is refused because a signature
    /// that verifies under it for one message verifies for nearly every
    /// message; no honest signer has one. See the crate docs, "Ed25519".
    #[cfg(feature = "eddsa")]
    pub fn ed25519(x: &[u8]) -> Result<Self, KeyError> {
        Self::ed25519_for(x, crate::backend::Uses::Many)
    }

    /// [`Key::ed25519`] for `uses` verifications.
    #[cfg(feature = "eddsa")]
    pub(crate) fn ed25519_for(x: &[u8], uses: crate::backend::Uses) -> Result<Self, KeyError> {
        let _ = uses;
        let bytes: [u8; 32] = x.try_into().map_err(|_| KeyError::MissingMember("x"))?;
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| KeyError::PointNotOnCurve)?;
        // from_bytes reduces y mod p and keeps the given bytes: re-encode the
        // decoded point to catch a non-canonical encoding.
        let canonical = vk.to_edwards().compress().to_bytes() == bytes;
        if !canonical || vk.is_weak() {
            return Err(KeyError::PointNotOnCurve);
        }
        #[cfg(feature = "aws-lc")]
        let awslc = crate::backend::awslc_impl::Point::ed25519(&bytes, uses)
            .ok_or(KeyError::PointNotOnCurve)?;
        Ok(Self::from_material(Material::Ed25519(Ed25519Key {
            rc: vk,
            #[cfg(feature = "ring")]
            bytes,
            #[cfg(feature = "aws-lc")]
            awslc,
        })))
    }

    /// An HMAC secret. Errors: `SecretTooShort` under 32 bytes;
    /// `SecretIsPublicKey` when the bytes are a public key in disguise (PEM
    /// text, a JWK/JWKS JSON document, SPKI or PKCS#1 DER, or a bare base64
    /// SPKI body): handing a public key to an HMAC verifier is the classic
    /// key-confusion setup (anyone holding the public key could then mint
    /// HS256 tokens), so it is refused for every front end alike.
    ///
    /// A 32-byte secret verifies HS256 only; 48 bytes adds HS384; 64 adds
    /// HS512 (RFC 7518 §3.2).
    #[cfg(feature = "hs256")]
    pub fn hmac(secret: &[u8]) -> Result<Self, KeyError> {
        use crate::limits::HMAC_MIN_SECRET;
        use hmac::digest::KeyInit;
        let len = secret.len();
        if len < HMAC_MIN_SECRET {
            return Err(KeyError::SecretTooShort { len });
        }
        if looks_like_public_key(secret) {
            return Err(KeyError::SecretIsPublicKey);
        }
        let s256 = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret)
            .map_err(|_| KeyError::Encoding)?;
        #[cfg(feature = "hs384")]
        let s384 = (len >= 48)
            .then(|| <Hmac<sha2::Sha384> as KeyInit>::new_from_slice(secret).ok())
            .flatten();
        #[cfg(feature = "hs512")]
        let s512 = (len >= 64)
            .then(|| <Hmac<sha2::Sha512> as KeyInit>::new_from_slice(secret).ok())
            .flatten();
        Ok(Self::from_material(Material::Hmac(HmacKey {
            len,
            s256,
            #[cfg(feature = "hs384")]
            s384,
            #[cfg(feature = "hs512")]
            s512,
            #[cfg(feature = "ring")]
            ring: crate::backend::ring_impl::Hmac::new(secret),
            #[cfg(feature = "aws-lc")]
            awslc: crate::backend::awslc_impl::Hmac::new(secret),
        })))
    }

    /// A key from a DER SubjectPublicKeyInfo (RSA, EC on P-256, P-384 or
    /// P-521, or Ed25519 per RFC 8410).
    ///
    /// Errors: `Encoding` for bad DER, `UnsupportedKeyType` for another
    /// algorithm (Ed448, X25519, …) or a family whose feature is off,
    /// `UnsupportedCurve` for an EC key on another curve, and the bounds of
    /// [`Key::rsa`], [`Key::p256_sec1`], [`Key::p384_sec1`],
    /// [`Key::p521_sec1`], [`Key::ed25519`].
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        if der.len() > crate::limits::MAX_KEY_DOCUMENT_BYTES {
            return Err(KeyError::DocumentTooLarge);
        }
        use spki::der::Decode;
        const RSA_ENCRYPTION: spki::ObjectIdentifier =
            spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
        const EC_PUBLIC_KEY: spki::ObjectIdentifier =
            spki::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
        const PRIME256V1: spki::ObjectIdentifier =
            spki::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
        const SECP384R1: spki::ObjectIdentifier =
            spki::ObjectIdentifier::new_unwrap("1.3.132.0.34");
        const SECP521R1: spki::ObjectIdentifier =
            spki::ObjectIdentifier::new_unwrap("1.3.132.0.35");
        const ED25519: spki::ObjectIdentifier = spki::ObjectIdentifier::new_unwrap("1.3.101.112");
        let info = spki::SubjectPublicKeyInfoRef::from_der(der).map_err(|_| KeyError::Encoding)?;
        #[cfg_attr(
            not(any(
                feature = "rsa",
                feature = "es256",
                feature = "es384",
                feature = "es512",
                feature = "eddsa"
            )),
            allow(unused_variables)
        )]
        let bits = info
            .subject_public_key
            .as_bytes()
            .ok_or(KeyError::Encoding)?;
        if info.algorithm.oid == RSA_ENCRYPTION {
            #[cfg(feature = "rsa")]
            {
                let pk =
                    rsa::pkcs1::RsaPublicKey::from_der(bits).map_err(|_| KeyError::Encoding)?;
                return Self::rsa(pk.modulus.as_bytes(), pk.public_exponent.as_bytes());
            }
            #[cfg(not(feature = "rsa"))]
            return Err(KeyError::UnsupportedKeyType);
        }
        if info.algorithm.oid == EC_PUBLIC_KEY {
            let curve = info
                .algorithm
                .parameters_oid()
                .map_err(|_| KeyError::UnsupportedCurve)?;
            if curve == PRIME256V1 {
                #[cfg(feature = "es256")]
                return Self::p256_sec1(bits);
                #[cfg(not(feature = "es256"))]
                return Err(KeyError::UnsupportedKeyType);
            }
            if curve == SECP384R1 {
                #[cfg(feature = "es384")]
                return Self::p384_sec1(bits);
                #[cfg(not(feature = "es384"))]
                return Err(KeyError::UnsupportedKeyType);
            }
            if curve == SECP521R1 {
                #[cfg(feature = "es512")]
                return Self::p521_sec1(bits);
                #[cfg(not(feature = "es512"))]
                return Err(KeyError::UnsupportedKeyType);
            }
            return Err(KeyError::UnsupportedCurve);
        }
        if info.algorithm.oid == ED25519 {
            // RFC 8410 §3: the parameters are absent.
            if info.algorithm.parameters.is_some() {
                return Err(KeyError::Encoding);
            }
            #[cfg(feature = "eddsa")]
            return Self::ed25519(bits);
            #[cfg(not(feature = "eddsa"))]
            return Err(KeyError::UnsupportedKeyType);
        }
        Err(KeyError::UnsupportedKeyType)
    }

    /// A key from a PEM `PUBLIC KEY` (SPKI) block; whitespace inside the
    /// base64 body is ignored. Errors: as [`Key::from_spki_der`], plus
    /// `Encoding` for a missing block or bad base64.
    #[cfg(feature = "alloc")]
    pub fn from_spki_pem(pem: &str) -> Result<Self, KeyError> {
        if pem.len() > crate::limits::MAX_KEY_DOCUMENT_BYTES {
            return Err(KeyError::DocumentTooLarge);
        }
        let der = crate::b64::pem_body(pem, "PUBLIC KEY")?;
        Self::from_spki_der(&der)
    }

    /// This key, named `kid`. Errors: `KidTooLong`.
    pub fn with_kid(mut self, kid: &str) -> Result<Self, KeyError> {
        self.kid = Some(Kid::new(kid)?);
        Ok(self)
    }

    /// This key, pinned to `alg` (as a JWK `alg` does). Errors:
    /// `UnsupportedAlg` when `alg` does not fit the key.
    pub fn with_alg(mut self, alg: Algorithm) -> Result<Self, KeyError> {
        self.alg = None;
        if self.fits(alg).is_err() {
            return Err(KeyError::UnsupportedAlg);
        }
        self.alg = Some(alg);
        Ok(self)
    }

    fn from_material(material: Material) -> Self {
        Self {
            kid: None,
            alg: None,
            material,
        }
    }

    /// The key's `kid`, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_ref().map(Kid::as_str)
    }

    /// The length of an HMAC secret in bytes (`None` for public keys).
    pub fn secret_len(&self) -> Option<usize> {
        match &self.material {
            #[cfg(feature = "hs256")]
            Material::Hmac(h) => Some(h.len),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// The pinned algorithm, if any.
    pub fn alg(&self) -> Option<Algorithm> {
        self.alg
    }

    /// The key family.
    pub fn family(&self) -> KeyFamily {
        match &self.material {
            #[cfg(feature = "rsa")]
            Material::Rsa(_) => KeyFamily::Rsa,
            #[cfg(feature = "es256")]
            Material::P256(_) => KeyFamily::P256,
            #[cfg(feature = "es384")]
            Material::P384(_) => KeyFamily::P384,
            #[cfg(feature = "es512")]
            Material::P521(_) => KeyFamily::P521,
            #[cfg(feature = "eddsa")]
            Material::Ed25519(_) => KeyFamily::Ed25519,
            #[cfg(feature = "hs256")]
            Material::Hmac(_) => KeyFamily::Hmac,
        }
    }

    /// Whether `alg` may be verified with this key: same family, equal to a
    /// pinned `alg`, and (HMAC) a secret at least as long as the hash.
    pub fn fits(&self, alg: Algorithm) -> Result<(), AlgorithmRefusal> {
        if alg.family() != self.family() {
            return Err(AlgorithmRefusal::WrongKeyFamily);
        }
        if let Some(pinned) = self.alg {
            if pinned != alg {
                return Err(AlgorithmRefusal::PinnedToOther(pinned));
            }
        }
        if self.secret_len().is_some_and(|len| len < alg.hash().len()) {
            return Err(AlgorithmRefusal::SecretTooShort);
        }
        Ok(())
    }

    /// The signature step on its own, with the default [`Backend`]:
    /// verifies `sig` over `message` with `alg` and this key (JWS format: RSA
    /// signatures are exactly the modulus length, ES256/ES384/ES512 are the
    /// raw 64/96/132-byte R‖S, Ed25519 is 64 bytes, HMAC tags are never
    /// truncated).
    ///
    /// Errors: `AlgorithmNotAllowed` when `alg` does not fit the key,
    /// `InvalidSignature` otherwise.
    pub fn verify_signature(
        &self,
        alg: Algorithm,
        message: &[u8],
        sig: &[u8],
    ) -> Result<(), crate::Error> {
        self.verify_signature_with(Backend::DEFAULT, alg, message, sig)
    }

    /// [`Key::verify_signature`] with a chosen backend.
    pub fn verify_signature_with(
        &self,
        backend: Backend,
        alg: Algorithm,
        message: &[u8],
        sig: &[u8],
    ) -> Result<(), crate::Error> {
        if let Err(reason) = self.fits(alg) {
            return Err(crate::Error::AlgorithmNotAllowed { alg, reason });
        }
        if self.verify(backend, alg, message, sig) {
            Ok(())
        } else {
            Err(crate::Error::InvalidSignature)
        }
    }

    /// Verifies `sig` over `signing_input` with `alg`. Both backends see the
    /// same checks first: the key fits, and the signature has the exact
    /// length of the algorithm (RSA: modulus length; ES256: 64; ES384: 96;
    /// ES512: 132; EdDSA/Ed25519: 64; HS*: hash).
    pub(crate) fn verify(
        &self,
        backend: Backend,
        alg: Algorithm,
        signing_input: &[u8],
        sig: &[u8],
    ) -> bool {
        if self.fits(alg).is_err() {
            return false;
        }
        let _ = backend;
        match &self.material {
            #[cfg(feature = "rsa")]
            Material::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                if sig.len() != k.rc.size() {
                    return false;
                }
                match backend {
                    #[cfg(feature = "ring")]
                    Backend::Ring => k.ring.verify(alg, signing_input, sig),
                    #[cfg(feature = "aws-lc")]
                    Backend::AwsLc => k.awslc.verify(alg, signing_input, sig),
                    // RustCrypto; `Cm4` is ES256 only, so RSA goes here too.
                    _ => verify_rsa(&k.rc, alg, signing_input, sig),
                }
            }
            #[cfg(feature = "es256")]
            Material::P256(k) => {
                #[cfg(feature = "ecdsa")]
                use p256::ecdsa::signature::Verifier;
                if sig.len() != 64 {
                    return false;
                }
                match backend {
                    #[cfg(feature = "ring")]
                    Backend::Ring => {
                        crate::backend::ring_impl::verify_p256(&k.point, signing_input, sig)
                    }
                    #[cfg(feature = "aws-lc")]
                    Backend::AwsLc => k.awslc.verify(signing_input, sig),
                    #[cfg(all(feature = "p256-cm4", target_arch = "arm"))]
                    Backend::Cm4 => k.cm4.verify(signing_input, sig),
                    #[cfg(feature = "ecdsa")]
                    Backend::RustCrypto => match p256::ecdsa::Signature::from_slice(sig) {
                        Ok(s) => k.rc.verify(signing_input, &s).is_ok(),
                        Err(_) => false,
                    },
                    // Without `ecdsa`, p256-cm4 is the only ES256
                    // implementation in the build: every backend uses it.
                    #[cfg(all(not(feature = "ecdsa"), feature = "p256-cm4", target_arch = "arm"))]
                    _ => k.cm4.verify(signing_input, sig),
                }
            }
            #[cfg(feature = "es384")]
            Material::P384(k) => {
                use p384::ecdsa::signature::Verifier;
                if sig.len() != 96 {
                    return false;
                }
                match backend {
                    #[cfg(feature = "ring")]
                    Backend::Ring => {
                        crate::backend::ring_impl::verify_p384(&k.point, signing_input, sig)
                    }
                    #[cfg(feature = "aws-lc")]
                    Backend::AwsLc => k.awslc.verify(signing_input, sig),
                    // Cm4 (P-256 assembly) has no P-384: the RustCrypto
                    // verifier serves it, as for the RustCrypto backend.
                    #[cfg(all(feature = "p256-cm4", target_arch = "arm"))]
                    Backend::Cm4 => match p384::ecdsa::Signature::from_slice(sig) {
                        Ok(s) => k.rc.verify(signing_input, &s).is_ok(),
                        Err(_) => false,
                    },
                    Backend::RustCrypto => match p384::ecdsa::Signature::from_slice(sig) {
                        Ok(s) => k.rc.verify(signing_input, &s).is_ok(),
                        Err(_) => false,
                    },
                }
            }
            #[cfg(feature = "es512")]
            Material::P521(k) => {
                use p521::ecdsa::signature::Verifier;
                if sig.len() != 132 {
                    return false;
                }
                match backend {
                    #[cfg(feature = "aws-lc")]
                    Backend::AwsLc => k.awslc.verify(signing_input, sig),
                    // ring has no P-521 verifier: the other backends use p521.
                    _ => match p521::ecdsa::Signature::from_slice(sig) {
                        Ok(s) => k.rc.verify(signing_input, &s).is_ok(),
                        Err(_) => false,
                    },
                }
            }
            #[cfg(feature = "eddsa")]
            Material::Ed25519(k) => {
                use ed25519_dalek::Verifier;
                let Ok(bytes) = <[u8; 64]>::try_from(sig) else {
                    return false;
                };
                match backend {
                    #[cfg(feature = "ring")]
                    Backend::Ring => {
                        crate::backend::ring_impl::verify_ed25519(&k.bytes, signing_input, sig)
                    }
                    #[cfg(feature = "aws-lc")]
                    Backend::AwsLc => k.awslc.verify(signing_input, sig),
                    // `verify`, not `verify_strict`: the same cofactorless
                    // equation as ring (s < L required, R compared by its
                    // encoding); small-order keys never get this far.
                    // Cm4 is P-256 only: Ed25519 uses ed25519-dalek there.
                    #[cfg(all(feature = "p256-cm4", target_arch = "arm"))]
                    Backend::Cm4 => {
                        k.rc.verify(signing_input, &ed25519_dalek::Signature::from_bytes(&bytes))
                            .is_ok()
                    }
                    Backend::RustCrypto => {
                        k.rc.verify(signing_input, &ed25519_dalek::Signature::from_bytes(&bytes))
                            .is_ok()
                    }
                }
            }
            #[cfg(feature = "hs256")]
            Material::Hmac(h) => {
                use crate::alg::{Hash, Scheme};
                if alg.scheme() != Scheme::Hmac || sig.len() != alg.hash().len() {
                    return false;
                }
                match backend {
                    #[cfg(feature = "ring")]
                    Backend::Ring => h.ring.verify(alg, signing_input, sig),
                    #[cfg(feature = "aws-lc")]
                    Backend::AwsLc => h.awslc.verify(alg, signing_input, sig),
                    // RustCrypto; `Cm4` is ES256 only, so HMAC goes here too.
                    _ => match alg.hash() {
                        Hash::Sha256 => h
                            .s256
                            .clone()
                            .chain_update(signing_input)
                            .verify_slice(sig)
                            .is_ok(),
                        #[cfg(feature = "hs384")]
                        Hash::Sha384 => h.s384.clone().is_some_and(|m| {
                            m.chain_update(signing_input).verify_slice(sig).is_ok()
                        }),
                        #[cfg(feature = "hs512")]
                        Hash::Sha512 => h.s512.clone().is_some_and(|m| {
                            m.chain_update(signing_input).verify_slice(sig).is_ok()
                        }),
                        #[allow(unreachable_patterns)] // every hash compiled in
                        _ => false,
                    },
                }
            }
        }
    }
}

#[cfg(feature = "rsa")]
fn verify_rsa(k: &rsa::RsaPublicKey, alg: Algorithm, msg: &[u8], sig: &[u8]) -> bool {
    use crate::alg::{Hash, Scheme};
    use rsa::{Pkcs1v15Sign, Pss};
    use sha2::{Digest, Sha256, Sha384, Sha512};
    // The table's scheme and hash pick the padding; the PSS salt is as long
    // as the hash (RFC 7518 §3.5).
    let salt = alg.hash().len();
    let r = match (alg.scheme(), alg.hash()) {
        (Scheme::Pkcs1v15, Hash::Sha256) => {
            k.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg), sig)
        }
        (Scheme::Pkcs1v15, Hash::Sha384) => {
            k.verify(Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(msg), sig)
        }
        (Scheme::Pkcs1v15, Hash::Sha512) => {
            k.verify(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(msg), sig)
        }
        (Scheme::Pss, Hash::Sha256) => k.verify(
            Pss::new_with_salt::<Sha256>(salt),
            &Sha256::digest(msg),
            sig,
        ),
        (Scheme::Pss, Hash::Sha384) => k.verify(
            Pss::new_with_salt::<Sha384>(salt),
            &Sha384::digest(msg),
            sig,
        ),
        (Scheme::Pss, Hash::Sha512) => k.verify(
            Pss::new_with_salt::<Sha512>(salt),
            &Sha512::digest(msg),
            sig,
        ),
        (Scheme::Ecdsa | Scheme::Eddsa | Scheme::Hmac, _) => return false,
    };
    r.is_ok()
}

#[cfg(feature = "rsa")]
fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(first..).unwrap_or(&[])
}

/// The order of the key lookup's index: by `kid` bytes, keys without a
/// `kid` first. A slice sorted by it ([`sort_by_kid`], or a
/// [`KeySet`](crate::KeySet), which keeps its keys so) finds a token's key
/// by binary search; any other order is still correct, only slower (see
/// `verify_with_keys`).
pub(crate) fn kid_order(a: &Key, b: &Key) -> core::cmp::Ordering {
    let ka = a.kid.as_ref().map(Kid::as_bytes);
    let kb = b.kid.as_ref().map(Kid::as_bytes);
    ka.cmp(&kb)
}

/// Sorts `keys` into the order of the `kid` lookup's index (by `kid`
/// bytes, keys without one first; keys sharing a `kid` keep their order),
/// in place, without a heap: for a `[Key; N]` array in a build without
/// `alloc` (a [`KeySet`](crate::KeySet) does this itself).
///
/// A token's key is then found by binary search (O(log n) `kid`
/// comparisons) instead of a scan of every key. Validation gives the same
/// verdicts on a sorted and an unsorted slice; only the time differs.
/// Cost: an insertion sort, O(n²) comparisons and moves, meant for the
/// handful of keys of a firmware.
pub fn sort_by_kid(keys: &mut [Key]) {
    for i in 1..keys.len() {
        let mut j = i;
        while j > 0 {
            let (Some(a), Some(b)) = (keys.get(j - 1), keys.get(j)) else {
                break;
            };
            if kid_order(a, b).is_gt() {
                keys.swap(j - 1, j);
                j -= 1;
            } else {
                break;
            }
        }
    }
}

/// Verifies a compact JWS signature with the keys, following the key rules:
/// `kid` given → exact match; otherwise every fitting key is tried.
///
/// Lookup: when the token names a `kid`, the run of keys with that `kid` is
/// first found by binary search, as if `keys` were sorted by [`kid_order`]
/// (a [`KeySet`](crate::KeySet) is), and tried. Only a verified signature
/// is taken from that shortcut: any other outcome (no run found, no key of
/// the run fitting or verifying) falls through to the scan of every key
/// below, which decides the verdict exactly as before the index existed
/// (it does not verify again with a key of the run, whose answer is known).
/// So an unsorted slice gets the same verdicts, and a sorted one finds a
/// valid token's key in O(log n) `kid` comparisons.
pub(crate) fn verify_with_keys(
    backend: Backend,
    keys: &[Key],
    kid: Option<crate::json::JsonStr<'_>>,
    alg: Algorithm,
    signing_input: &[u8],
    sig: &[u8],
) -> Result<(), crate::Error> {
    use crate::Error;
    // A token without `kid` may be tried against a few fitting keys (a
    // rotation), never against a whole key set: past the bound it is refused
    // before any signature work, whichever key signed it.
    if kid.is_none()
        && keys.iter().filter(|k| k.fits(alg).is_ok()).count()
            > crate::limits::MAX_KIDLESS_CANDIDATES
    {
        return Err(Error::KeyNotFound { kid_given: false });
    }
    // The token's kid, unescaped (a plain kid is borrowed as is). A kid
    // longer than MAX_KID_LEN once unescaped names no key.
    let mut buf = [0u8; MAX_KID_LEN];
    let want: Option<Option<&[u8]>> = kid.map(|k| match k.as_plain() {
        Some(p) => Some(p.as_bytes()),
        None => k.unescape_into(&mut buf).and_then(|n| buf.get(..n)),
    });
    // The index: the run of keys with this kid, if `keys` is sorted.
    let mut tried_run = 0..0;
    if let Some(Some(want)) = want {
        let lo = keys.partition_point(|k| k.kid.as_ref().map(Kid::as_bytes) < Some(want));
        let run = keys
            .get(lo..)
            .unwrap_or(&[])
            .iter()
            .take_while(|k| k.kid.as_ref().map(Kid::as_bytes) == Some(want));
        let mut n = 0usize;
        for key in run {
            n += 1;
            if key.fits(alg).is_ok() && key.verify(backend, alg, signing_input, sig) {
                return Ok(());
            }
        }
        tried_run = lo..lo + n;
    }
    let mut found_kid = false;
    let mut refusal = None;
    let mut tried = false;
    for (i, key) in keys.iter().enumerate() {
        if let Some(want) = want {
            match (want, key.kid.as_ref()) {
                (Some(w), Some(k)) if k.as_bytes() == w => found_kid = true,
                _ => continue,
            }
        }
        if let Err(r) = key.fits(alg) {
            refusal.get_or_insert(r);
            continue;
        }
        tried = true;
        // A key of the run above already answered no.
        if !tried_run.contains(&i) && key.verify(backend, alg, signing_input, sig) {
            return Ok(());
        }
    }
    if tried {
        return Err(Error::InvalidSignature);
    }
    match (kid.is_some(), found_kid, refusal) {
        (true, true, Some(reason)) => Err(Error::AlgorithmNotAllowed { alg, reason }),
        (given, _, _) => Err(Error::KeyNotFound { kid_given: given }),
    }
}

#[cfg(all(test, feature = "hs256"))]
mod tests {
    use super::*;

    #[test]
    fn der_public_keys_of_any_algorithm_are_refused_as_secrets() {
        // An Ed25519 SPKI (RFC 8410): not an algorithm tokenlane verifies,
        // still a public key, never a secret.
        let mut ed = [0u8; 44];
        ed[..12].copy_from_slice(&[
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ]);
        ed[12..].fill(0x5a);
        assert_eq!(Key::hmac(&ed).err(), Some(KeyError::SecretIsPublicKey));
        // A secret that starts like DER but whose lengths do not nest is a
        // secret: one byte more breaks the outer length.
        let mut not_der = [0x42u8; 45];
        not_der[..44].copy_from_slice(&ed);
        assert!(Key::hmac(&not_der).is_ok());
        let mut brace = [0x41u8; 40];
        brace[0] = b'{';
        assert!(Key::hmac(&brace).is_ok());
        // A JSON object without kty/keys is a (strange) secret, not a key.
        assert!(Key::hmac(br#"{"not":"a key","padding":"xxxxxxxxxxxxxxx"}"#).is_ok());
    }
}
