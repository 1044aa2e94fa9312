//! Verification backends: who does the signature arithmetic.
//!
//! [`Backend::RustCrypto`] (`rsa`, `p256`, `hmac`/`sha2`) is always present
//! and is the only backend in `no_std`. With the `ring` feature, keys also
//! carry `ring`'s prepared form, and [`Backend::Ring`] becomes the default.
//! Both backends get exactly the same inputs after the same checks (key
//! bounds at load, exact signature lengths, the same fit rules), so their
//! verdicts are identical; the test suites run once per backend and compare.
//!
//! Why `ring` and not `aws-lc-rs`: both are far faster than the pure-Rust
//! crates; `ring` builds in seconds with no C toolchain beyond `cc`, adds
//! less to the wheel and the C library, and is what `rustls` and
//! `jsonwebtoken` use. `aws-lc-rs` can be added behind the same seam.

/// Which implementation verifies signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Pure Rust: `rsa`, `p256`, `hmac` + `sha2`. Always available.
    RustCrypto,
    /// `ring` (feature `ring`): assembly-optimised, servers only.
    #[cfg(feature = "ring")]
    Ring,
}

impl Backend {
    /// The default: `Ring` when the `ring` feature is on, else `RustCrypto`.
    #[cfg(feature = "ring")]
    pub const DEFAULT: Backend = Backend::Ring;
    /// The default: `Ring` when the `ring` feature is on, else `RustCrypto`.
    #[cfg(not(feature = "ring"))]
    pub const DEFAULT: Backend = Backend::RustCrypto;

    /// Every backend compiled into this build.
    pub const AVAILABLE: &'static [Backend] = &[
        Backend::RustCrypto,
        #[cfg(feature = "ring")]
        Backend::Ring,
    ];

    /// A short name: `"rustcrypto"` or `"ring"`.
    pub const fn name(self) -> &'static str {
        match self {
            Backend::RustCrypto => "rustcrypto",
            #[cfg(feature = "ring")]
            Backend::Ring => "ring",
        }
    }
}

impl Default for Backend {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(feature = "ring")]
pub(crate) mod ring_impl {
    use crate::alg::{Algorithm, Hash, Scheme};
    use alloc::vec::Vec;
    use ring::signature as sig;

    /// RSA modulus and exponent, big-endian without leading zeros.
    #[derive(Clone)]
    pub(crate) struct Rsa {
        pub(crate) n: Vec<u8>,
        pub(crate) e: Vec<u8>,
    }

    impl Rsa {
        pub(crate) fn verify(&self, alg: Algorithm, msg: &[u8], s: &[u8]) -> bool {
            let params: &sig::RsaParameters = match (alg.scheme(), alg.hash()) {
                (Scheme::Pkcs1v15, Hash::Sha256) => &sig::RSA_PKCS1_2048_8192_SHA256,
                (Scheme::Pkcs1v15, Hash::Sha384) => &sig::RSA_PKCS1_2048_8192_SHA384,
                (Scheme::Pkcs1v15, Hash::Sha512) => &sig::RSA_PKCS1_2048_8192_SHA512,
                (Scheme::Pss, Hash::Sha256) => &sig::RSA_PSS_2048_8192_SHA256,
                (Scheme::Pss, Hash::Sha384) => &sig::RSA_PSS_2048_8192_SHA384,
                (Scheme::Pss, Hash::Sha512) => &sig::RSA_PSS_2048_8192_SHA512,
                (Scheme::Ecdsa | Scheme::Hmac, _) => return false,
            };
            sig::RsaPublicKeyComponents {
                n: &self.n,
                e: &self.e,
            }
            .verify(params, msg, s)
            .is_ok()
        }
    }

    pub(crate) fn verify_p256(point: &[u8; 65], msg: &[u8], s: &[u8]) -> bool {
        sig::UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, point)
            .verify(msg, s)
            .is_ok()
    }

    /// Keyed HMAC states, prepared once.
    #[derive(Clone)]
    pub(crate) struct Hmac {
        pub(crate) k256: ring::hmac::Key,
        pub(crate) k384: ring::hmac::Key,
        pub(crate) k512: ring::hmac::Key,
    }

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
