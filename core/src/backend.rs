//! Verification backends: who does the signature arithmetic.
//!
//! [`Backend::RustCrypto`] (`rsa`, `p256`, `p384`, `p521`, `ed25519-dalek`,
//! `hmac`/`sha2`) is always present
//! and is the only backend in `no_std`. With the `ring` feature, keys also
//! carry `ring`'s prepared form, and [`Backend::Ring`] becomes the default.
//! Both backends get exactly the same inputs after the same checks (key
//! bounds at load, exact signature lengths, the same fit rules), so their
//! verdicts are identical; the test suites run once per backend and compare.
//! `ring` has no P-521 verifier: ES512 uses `p521` on both backends.
//!
//! With the `p256-cm4` feature on an Arm target (`thumbv7em`, Cortex-M4),
//! ES256 keys also carry the public point as little-endian words for the
//! `p256-cm4` crate (a Rust port, with stable `naked_asm`, of the
//! P256-Cortex-M4 assembly), and `Backend::Cm4` (present only then) becomes the default. It
//! gets the same inputs after the same checks as the other backends (the
//! point validated at load by `p256-cm4`, and by `p256` when `ecdsa` is on
//! too; exactly 64 signature bytes); every other algorithm goes to
//! `RustCrypto` under it. Without `ecdsa` the `p256` crate is not linked and
//! `p256-cm4` verifies ES256 under every backend (it is the only ES256
//! implementation in such a build).
//! The crate has no host build (its arithmetic is Armv7E-M assembly), so on
//! other targets the feature adds nothing (and needs `ecdsa`); its verdicts are checked in
//! the firmware under QEMU (`embedded/`, `scripts/test-embedded.sh`), on the
//! Wycheproof P-256 file and the ES256 conformance cases.
//!
//! With the `aws-lc` feature, keys also carry aws-lc-rs's parsed forms
//! (`ParsedPublicKey`, built once at load: one per RSA padding and hash,
//! since a parsed key is tied to one verification algorithm; one for each
//! EC or Ed25519 key; `hmac::Key`s for secrets), and [`Backend::AwsLc`]
//! becomes the default (over `Ring` when both are in). It gets the same
//! inputs after the same checks as the others. AWS-LC has P-521, so ES512
//! goes to AWS-LC under it. Unlike the Rust backends, AWS-LC allocates with
//! C `malloc` inside a verification (an `EVP_PKEY_CTX` per RSA/ECDSA/Ed25519
//! check, the DER form of an ECDSA signature): not through Rust's global
//! allocator, so it is invisible to a counting allocator, but it is a heap
//! allocation: 32 per ES256 validation, 25 per RS256, 1 per Ed25519, none
//! per HS256 (valgrind counts in BENCHMARKS.md, "Backend choice").
//!
//! Which backend the server artifacts use by default, and why, is measured
//! in BENCHMARKS.md, "Backend choice".

/// Which implementation verifies signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Pure Rust: `rsa`, `p256`, `hmac` + `sha2`. Always available.
    RustCrypto,
    /// `ring` (feature `ring`): assembly-optimised, servers only.
    #[cfg(feature = "ring")]
    Ring,
    /// `aws-lc-rs` (feature `aws-lc`): AWS-LC with keys parsed once,
    /// servers only; every algorithm, P-521 included.
    #[cfg(feature = "aws-lc")]
    AwsLc,
    /// `p256-cm4` (feature `p256-cm4`, Arm targets only): the P256-Cortex-M4
    /// assembly for ES256; other algorithms as `RustCrypto`.
    #[cfg(all(feature = "p256-cm4", target_arch = "arm"))]
    Cm4,
}

impl Backend {
    /// The default: `Cm4` when the `p256-cm4` feature is on (Arm only),
    /// else `AwsLc` when the `aws-lc` feature is on, else `Ring` when the
    /// `ring` feature is on, else `RustCrypto`.
    #[cfg(all(feature = "p256-cm4", target_arch = "arm"))]
    pub const DEFAULT: Backend = Backend::Cm4;
    /// The default: `Cm4` when the `p256-cm4` feature is on (Arm only),
    /// else `AwsLc` when the `aws-lc` feature is on, else `Ring` when the
    /// `ring` feature is on, else `RustCrypto`.
    #[cfg(all(
        feature = "aws-lc",
        not(all(feature = "p256-cm4", target_arch = "arm"))
    ))]
    pub const DEFAULT: Backend = Backend::AwsLc;
    /// The default: `Cm4` when the `p256-cm4` feature is on (Arm only),
    /// else `AwsLc` when the `aws-lc` feature is on, else `Ring` when the
    /// `ring` feature is on, else `RustCrypto`.
    #[cfg(all(
        feature = "ring",
        not(feature = "aws-lc"),
        not(all(feature = "p256-cm4", target_arch = "arm"))
    ))]
    pub const DEFAULT: Backend = Backend::Ring;
    /// The default: `Cm4` when the `p256-cm4` feature is on (Arm only),
    /// else `AwsLc` when the `aws-lc` feature is on, else `Ring` when the
    /// `ring` feature is on, else `RustCrypto`.
    #[cfg(not(any(
        feature = "ring",
        feature = "aws-lc",
        all(feature = "p256-cm4", target_arch = "arm")
    )))]
    pub const DEFAULT: Backend = Backend::RustCrypto;

    /// Every backend compiled into this build.
    pub const AVAILABLE: &'static [Backend] = &[
        Backend::RustCrypto,
        #[cfg(feature = "ring")]
        Backend::Ring,
        #[cfg(feature = "aws-lc")]
        Backend::AwsLc,
        #[cfg(all(feature = "p256-cm4", target_arch = "arm"))]
        Backend::Cm4,
    ];

    /// A short name: `"rustcrypto"`, `"ring"`, `"aws-lc"` or `"cm4"` (the
    /// name of the cargo feature that brings it in, `rustcrypto` aside).
    pub const fn name(self) -> &'static str {
        match self {
            Backend::RustCrypto => "rustcrypto",
            #[cfg(feature = "ring")]
            Backend::Ring => "ring",
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => "aws-lc",
            #[cfg(all(feature = "p256-cm4", target_arch = "arm"))]
            Backend::Cm4 => "cm4",
        }
    }

    /// The backend compiled into this build whose [`name`](Self::name) is
    /// `name`, or `None` (an unknown name, or a backend not compiled in).
    pub fn from_name(name: &str) -> Option<Backend> {
        Self::AVAILABLE.iter().copied().find(|b| b.name() == name)
    }
}

impl Default for Backend {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How long a key lives, for the backends that prepare keys: a key of a key
/// set serves many verifications (prepared at load); a DPoP proof's `jwk`
/// serves one (the `aws-lc` backend then keeps its bytes and parses them in
/// the call, rather than paying a parse and a heap allocation at build).
#[cfg(any(
    feature = "rsa",
    feature = "es256",
    feature = "es384",
    feature = "es512",
    feature = "eddsa"
))]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Uses {
    /// A key of a key set: prepare once.
    Many,
    /// A key for one verification (a DPoP proof key).
    #[cfg_attr(not(feature = "aws-lc"), allow(dead_code))]
    Once,
}

#[cfg(feature = "ring")]
pub(crate) mod ring_impl {
    #[cfg(any(feature = "rsa", feature = "hs256"))]
    use crate::alg::{Algorithm, Hash, Scheme};
    #[cfg(feature = "rsa")]
    use alloc::vec::Vec;
    #[cfg(any(
        feature = "rsa",
        feature = "ecdsa",
        feature = "es384",
        feature = "eddsa"
    ))]
    use ring::signature as sig;

    #[cfg(feature = "rsa")]
    /// RSA modulus and exponent, big-endian without leading zeros.
    #[derive(Clone)]
    pub(crate) struct Rsa {
        pub(crate) n: Vec<u8>,
        pub(crate) e: Vec<u8>,
    }

    #[cfg(feature = "rsa")]
    impl Rsa {
        pub(crate) fn verify(&self, alg: Algorithm, msg: &[u8], s: &[u8]) -> bool {
            let params: &sig::RsaParameters = match (alg.scheme(), alg.hash()) {
                (Scheme::Pkcs1v15, Hash::Sha256) => &sig::RSA_PKCS1_2048_8192_SHA256,
                (Scheme::Pkcs1v15, Hash::Sha384) => &sig::RSA_PKCS1_2048_8192_SHA384,
                (Scheme::Pkcs1v15, Hash::Sha512) => &sig::RSA_PKCS1_2048_8192_SHA512,
                (Scheme::Pss, Hash::Sha256) => &sig::RSA_PSS_2048_8192_SHA256,
                (Scheme::Pss, Hash::Sha384) => &sig::RSA_PSS_2048_8192_SHA384,
                (Scheme::Pss, Hash::Sha512) => &sig::RSA_PSS_2048_8192_SHA512,
                (Scheme::Ecdsa | Scheme::Eddsa | Scheme::Hmac, _) => return false,
            };
            sig::RsaPublicKeyComponents {
                n: &self.n,
                e: &self.e,
            }
            .verify(params, msg, s)
            .is_ok()
        }
    }

    #[cfg(feature = "ecdsa")]
    pub(crate) fn verify_p256(point: &[u8; 65], msg: &[u8], s: &[u8]) -> bool {
        sig::UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, point)
            .verify(msg, s)
            .is_ok()
    }

    #[cfg(feature = "es384")]
    pub(crate) fn verify_p384(point: &[u8; 97], msg: &[u8], s: &[u8]) -> bool {
        sig::UnparsedPublicKey::new(&sig::ECDSA_P384_SHA384_FIXED, point)
            .verify(msg, s)
            .is_ok()
    }

    #[cfg(feature = "eddsa")]
    pub(crate) fn verify_ed25519(key: &[u8; 32], msg: &[u8], s: &[u8]) -> bool {
        sig::UnparsedPublicKey::new(&sig::ED25519, key)
            .verify(msg, s)
            .is_ok()
    }

    #[cfg(feature = "hs256")]
    /// Keyed HMAC states, prepared once.
    #[derive(Clone)]
    pub(crate) struct Hmac {
        pub(crate) k256: ring::hmac::Key,
        pub(crate) k384: ring::hmac::Key,
        pub(crate) k512: ring::hmac::Key,
    }

    #[cfg(feature = "hs256")]
    impl Hmac {
        pub(crate) fn new(secret: &[u8]) -> Self {
            Self {
                k256: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
                k384: ring::hmac::Key::new(ring::hmac::HMAC_SHA384, secret),
                k512: ring::hmac::Key::new(ring::hmac::HMAC_SHA512, secret),
            }
        }

        /// The caller has checked the secret length for `alg`.
        pub(crate) fn verify(&self, alg: Algorithm, msg: &[u8], tag: &[u8]) -> bool {
            if alg.scheme() != Scheme::Hmac {
                return false;
            }
            let key = match alg.hash() {
                Hash::Sha256 => &self.k256,
                Hash::Sha384 => &self.k384,
                Hash::Sha512 => &self.k512,
            };
            ring::hmac::verify(key, msg, tag).is_ok()
        }
    }
}

#[cfg(feature = "aws-lc")]
pub(crate) mod awslc_impl {
    //! AWS-LC through aws-lc-rs. A key kept for many tokens is parsed once
    //! at load: a `ParsedPublicKey` is tied to one verification algorithm,
    //! so an RSA key keeps one per padding and hash it may be used with
    //! (six), an EC or Ed25519 key one; an HMAC secret keeps one
    //! `hmac::Key` per hash. A key made for one verification (a DPoP
    //! proof's `jwk`) keeps its bytes instead and is parsed in the call, so
    //! building it costs no parse and no Rust heap. The callers have made
    //! the same checks as for every backend (the key fits the algorithm,
    //! the signature has its exact length).
    #[cfg(any(feature = "rsa", feature = "hs256"))]
    use crate::alg::{Algorithm, Hash, Scheme};
    #[cfg(feature = "rsa")]
    use alloc::{boxed::Box, vec::Vec};
    #[cfg(any(
        feature = "es256",
        feature = "es384",
        feature = "es512",
        feature = "eddsa"
    ))]
    use aws_lc_rs::signature::UnparsedPublicKey;
    #[cfg(any(
        feature = "rsa",
        feature = "es256",
        feature = "es384",
        feature = "es512",
        feature = "eddsa"
    ))]
    use aws_lc_rs::signature::{self as sig, ParsedPublicKey};

    #[cfg(any(
        feature = "rsa",
        feature = "es256",
        feature = "es384",
        feature = "es512",
        feature = "eddsa"
    ))]
    pub(crate) use super::Uses;

    #[cfg(feature = "rsa")]
    const RSA: [&sig::RsaParameters; 6] = [
        &sig::RSA_PKCS1_2048_8192_SHA256,
        &sig::RSA_PKCS1_2048_8192_SHA384,
        &sig::RSA_PKCS1_2048_8192_SHA512,
        &sig::RSA_PSS_2048_8192_SHA256,
        &sig::RSA_PSS_2048_8192_SHA384,
        &sig::RSA_PSS_2048_8192_SHA512,
    ];

    /// An RSA key parsed for each JWS RSA algorithm (PKCS#1 v1.5, then PSS
    /// with salt = hash length; SHA-256/384/512 each), or its components.
    #[cfg(feature = "rsa")]
    #[derive(Clone)]
    pub(crate) enum Rsa {
        /// Boxed: one allocation at load, and a small enum.
        Parsed(Box<[ParsedPublicKey; 6]>),
        Once {
            n: Vec<u8>,
            e: Vec<u8>,
        },
    }

    #[cfg(feature = "rsa")]
    impl Rsa {
        /// From the big-endian modulus and exponent (no leading zeros),
        /// already within tokenlane's bounds; `None` if AWS-LC refuses them
        /// (a key that passed those bounds is not refused: the suites
        /// would show it as a differing verdict).
        pub(crate) fn new(n: &[u8], e: &[u8], uses: Uses) -> Option<Self> {
            if uses == Uses::Once {
                return Some(Self::Once {
                    n: n.to_vec(),
                    e: e.to_vec(),
                });
            }
            let c = sig::RsaPublicKeyComponents { n, e };
            let p = |i: usize| c.to_parsed_public_key(RSA[i]).ok();
            Some(Self::Parsed(Box::new([
                p(0)?,
                p(1)?,
                p(2)?,
                p(3)?,
                p(4)?,
                p(5)?,
            ])))
        }

        pub(crate) fn verify(&self, alg: Algorithm, msg: &[u8], s: &[u8]) -> bool {
            let i = match (alg.scheme(), alg.hash()) {
                (Scheme::Pkcs1v15, Hash::Sha256) => 0,
                (Scheme::Pkcs1v15, Hash::Sha384) => 1,
                (Scheme::Pkcs1v15, Hash::Sha512) => 2,
                (Scheme::Pss, Hash::Sha256) => 3,
                (Scheme::Pss, Hash::Sha384) => 4,
                (Scheme::Pss, Hash::Sha512) => 5,
                (Scheme::Ecdsa | Scheme::Eddsa | Scheme::Hmac, _) => return false,
            };
            match self {
                Self::Parsed(keys) => keys.get(i).is_some_and(|k| k.verify_sig(msg, s).is_ok()),
                Self::Once { n, e } => sig::RsaPublicKeyComponents { n, e }
                    .verify(RSA[i], msg, s)
                    .is_ok(),
            }
        }
    }

    /// The longest public key kept as bytes: an uncompressed P-521 point.
    #[cfg(any(
        feature = "es256",
        feature = "es384",
        feature = "es512",
        feature = "eddsa"
    ))]
    const MAX_POINT: usize = 133;

    /// An EC (P-256/384/521, fixed-length `r ‖ s` signatures) or Ed25519
    /// public key: parsed, or its bytes (uncompressed SEC1 point, or the
    /// 32-byte Ed25519 encoding) for one verification.
    #[cfg(any(
        feature = "es256",
        feature = "es384",
        feature = "es512",
        feature = "eddsa"
    ))]
    #[derive(Clone)]
    pub(crate) enum Point {
        Parsed(ParsedPublicKey),
        Once {
            alg: &'static dyn sig::VerificationAlgorithm,
            len: usize,
            bytes: [u8; MAX_POINT],
        },
    }

    #[cfg(any(
        feature = "es256",
        feature = "es384",
        feature = "es512",
        feature = "eddsa"
    ))]
    impl Point {
        fn new(
            alg: &'static dyn sig::VerificationAlgorithm,
            key: &[u8],
            uses: Uses,
        ) -> Option<Self> {
            match uses {
                Uses::Many => ParsedPublicKey::new(alg, key).ok().map(Self::Parsed),
                Uses::Once => {
                    let mut bytes = [0u8; MAX_POINT];
                    bytes.get_mut(..key.len())?.copy_from_slice(key);
                    Some(Self::Once {
                        alg,
                        len: key.len(),
                        bytes,
                    })
                }
            }
        }

        /// P-256 from its uncompressed SEC1 point (ES256).
        #[cfg(feature = "es256")]
        pub(crate) fn p256(point: &[u8; 65], uses: Uses) -> Option<Self> {
            Self::new(&sig::ECDSA_P256_SHA256_FIXED, point, uses)
        }

        /// P-384 from its uncompressed SEC1 point (ES384).
        #[cfg(feature = "es384")]
        pub(crate) fn p384(point: &[u8; 97], uses: Uses) -> Option<Self> {
            Self::new(&sig::ECDSA_P384_SHA384_FIXED, point, uses)
        }

        /// P-521 from its uncompressed SEC1 point (ES512).
        #[cfg(feature = "es512")]
        pub(crate) fn p521(point: &[u8], uses: Uses) -> Option<Self> {
            Self::new(&sig::ECDSA_P521_SHA512_FIXED, point, uses)
        }

        /// Ed25519 from its 32-byte encoding (EdDSA / Ed25519).
        #[cfg(feature = "eddsa")]
        pub(crate) fn ed25519(key: &[u8; 32], uses: Uses) -> Option<Self> {
            Self::new(&sig::ED25519, key, uses)
        }

        pub(crate) fn verify(&self, msg: &[u8], s: &[u8]) -> bool {
            match self {
                Self::Parsed(k) => k.verify_sig(msg, s).is_ok(),
                Self::Once { alg, len, bytes } => bytes
                    .get(..*len)
                    .is_some_and(|b| UnparsedPublicKey::new(*alg, b).verify(msg, s).is_ok()),
            }
        }
    }

    #[cfg(feature = "hs256")]
    /// Keyed HMAC states, prepared once.
    #[derive(Clone)]
    pub(crate) struct Hmac {
        k256: aws_lc_rs::hmac::Key,
        k384: aws_lc_rs::hmac::Key,
        k512: aws_lc_rs::hmac::Key,
    }

    #[cfg(feature = "hs256")]
    impl Hmac {
        pub(crate) fn new(secret: &[u8]) -> Self {
            use aws_lc_rs::hmac;
            Self {
                k256: hmac::Key::new(hmac::HMAC_SHA256, secret),
                k384: hmac::Key::new(hmac::HMAC_SHA384, secret),
                k512: hmac::Key::new(hmac::HMAC_SHA512, secret),
            }
        }

        /// The caller has checked the secret length for `alg`.
        pub(crate) fn verify(&self, alg: Algorithm, msg: &[u8], tag: &[u8]) -> bool {
            if alg.scheme() != Scheme::Hmac {
                return false;
            }
            let key = match alg.hash() {
                Hash::Sha256 => &self.k256,
                Hash::Sha384 => &self.k384,
                Hash::Sha512 => &self.k512,
            };
            aws_lc_rs::hmac::verify(key, msg, tag).is_ok()
        }
    }
}

#[cfg(all(feature = "p256-cm4", target_arch = "arm"))]
pub(crate) mod cm4_impl {
    //! ES256 through `p256-cm4`. All of it is safe Rust: the crate's own
    //! `unsafe` wraps its assembly.

    /// A P-256 public point as `p256-cm4` takes it: x and y as eight
    /// little-endian 32-bit words each (least significant word first).
    #[derive(Clone)]
    pub(crate) struct Point {
        x: [u32; 8],
        y: [u32; 8],
    }

    /// A 32-byte big-endian integer as eight little-endian words.
    fn words(be: &[u8; 32]) -> [u32; 8] {
        let mut out = [0u32; 8];
        for (w, chunk) in out.iter_mut().zip(be.rchunks_exact(4)) {
            let mut b = [0u8; 4];
            b.copy_from_slice(chunk);
            *w = u32::from_be_bytes(b);
        }
        out
    }

    impl Point {
        /// The point from its SEC1 form (`04 || x || y`, or `02`/`03 || x`),
        /// or `None` unless `p256-cm4` finds it valid (coordinates below p,
        /// on the curve; a compressed x with a square root). Other lengths
        /// and tags (the hybrid `06`/`07` `p256` refuses too) are refused
        /// before the crate sees them.
        pub(crate) fn new(sec1: &[u8]) -> Option<Self> {
            match (sec1.len(), sec1.first()) {
                (65, Some(4)) | (33, Some(2 | 3)) => {}
                _ => return None,
            }
            let mut x = [0u32; 8];
            let mut y = [0u32; 8];
            if !p256_cm4::octet_string_to_point(&mut x, &mut y, sec1) {
                return None;
            }
            Some(Self { x, y })
        }

        /// The uncompressed SEC1 form (for `ring`/`aws-lc`, when `p256` is absent).
        #[cfg(all(any(feature = "ring", feature = "aws-lc"), not(feature = "ecdsa")))]
        pub(crate) fn uncompressed(&self) -> [u8; 65] {
            let mut out = [0u8; 65];
            p256_cm4::point_to_octet_string_uncompressed(&mut out, &self.x, &self.y);
            out
        }

        /// Verifies a 64-byte `r || s` ES256 signature over `msg`. The
        /// caller has checked the length; r and s outside 1..n-1 are refused
        /// by `p256-cm4::verify`.
        pub(crate) fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
            use sha2::Digest;
            let (Some(r), Some(s)) = (sig.get(..32), sig.get(32..64)) else {
                return false;
            };
            let (Ok(r), Ok(s)) = (<&[u8; 32]>::try_from(r), <&[u8; 32]>::try_from(s)) else {
                return false;
            };
            let hash = sha2::Sha256::digest(msg);
            p256_cm4::verify(&self.x, &self.y, &hash, &words(r), &words(s))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Backend;

    #[test]
    fn every_compiled_in_backend_is_found_by_its_name_and_no_other() {
        for &b in Backend::AVAILABLE {
            assert_eq!(Backend::from_name(b.name()), Some(b));
        }
        assert!(Backend::AVAILABLE.contains(&Backend::DEFAULT));
        assert_eq!(Backend::from_name("aws_lc"), None);
        assert_eq!(Backend::from_name(""), None);
        #[cfg(feature = "aws-lc")]
        assert_eq!(Backend::DEFAULT, Backend::AwsLc);
    }
}
