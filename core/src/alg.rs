//! Algorithms, the key family each one needs, and sets of them.
//!
//! `none` is not an [`Algorithm`]: it cannot be expressed, so no policy can
//! allow it.

use core::fmt;

/// Generates [`Algorithm`], [`Algorithm::ALL`] and the row lookup from one
/// list of rows (rustls-webpki keeps its algorithms in one static slice,
/// `ALL_VERIFICATION_ALGS`; this is the same idea as a table the compiler
/// checks for completeness).
///
/// Each row is: the doc line, then `NAME: family, hash, scheme, implemented`
/// where `NAME` is the JWA name (RFC 7518 §3.1), `family` a [`KeyFamily`],
/// `hash` the SHA-2 hash, `scheme` how the signature is checked, and
/// `implemented` the cargo feature that compiles it in. A row's position is
/// its bit in [`AlgorithmSet`] and in the C API's `tokenlane_alg`: rows are
/// only ever appended, so published bits never move.
macro_rules! algorithm_table {
    ($(
        $(#[doc = $doc:literal])*
        $alg:ident: $family:ident, $hash:ident, $scheme:ident, $implemented:expr;
    )*) => {
        /// A JWS signature algorithm that tokenlane implements (RFC 7518 §3).
        ///
        /// Each algorithm fits one key family: RSA keys verify `RS*`/`PS*`, P-256
        /// keys verify `ES256`, P-384 keys `ES384`, P-521 keys `ES512`, Ed25519
        /// keys `EdDSA` and `Ed25519`, HMAC secrets verify `HS*` when they are at least as
        /// long as the hash. An algorithm whose cargo feature is disabled still has a
        /// name here but is refused as `unsupported_algorithm`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(clippy::upper_case_acronyms)]
        pub enum Algorithm {
            $(
                $(#[doc = $doc])*
                $alg,
            )*
        }

        impl Algorithm {
            /// Every algorithm, in table order (also the bit order of
            /// [`AlgorithmSet`] and of the C API's `tokenlane_alg`).
            pub const ALL: [Algorithm; [$(stringify!($alg)),*].len()] = [$(Algorithm::$alg),*];

            /// The algorithm's row of the table.
            const fn row(self) -> Row {
                match self {
                    $(Algorithm::$alg => Row {
                        name: stringify!($alg),
                        family: KeyFamily::$family,
                        hash: Hash::$hash,
                        scheme: Scheme::$scheme,
                        implemented: $implemented,
                    },)*
                }
            }
        }
    };
}

algorithm_table! {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256: Rsa, Sha256, Pkcs1v15, cfg!(feature = "rsa");
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384: Rsa, Sha384, Pkcs1v15, cfg!(feature = "rsa");
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512: Rsa, Sha512, Pkcs1v15, cfg!(feature = "rsa");
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-byte salt.
    PS256: Rsa, Sha256, Pss, cfg!(feature = "rsa");
    /// RSASSA-PSS with SHA-384, MGF1-SHA-384, 48-byte salt.
    PS384: Rsa, Sha384, Pss, cfg!(feature = "rsa");
    /// RSASSA-PSS with SHA-512, MGF1-SHA-512, 64-byte salt.
    PS512: Rsa, Sha512, Pss, cfg!(feature = "rsa");
    /// ECDSA on P-256 with SHA-256; the signature is the raw 64-byte R‖S.
    ES256: P256, Sha256, Ecdsa, cfg!(feature = "es256");
    /// HMAC-SHA-256; the secret must be at least 32 bytes.
    HS256: Hmac, Sha256, Hmac, cfg!(feature = "hs256");
    /// HMAC-SHA-384; the secret must be at least 48 bytes.
    HS384: Hmac, Sha384, Hmac, cfg!(feature = "hs384");
    /// HMAC-SHA-512; the secret must be at least 64 bytes.
    HS512: Hmac, Sha512, Hmac, cfg!(feature = "hs512");
    /// ECDSA on P-384 with SHA-384; the signature is the raw 96-byte R‖S.
    ES384: P384, Sha384, Ecdsa, cfg!(feature = "es384");
    /// ECDSA on P-521 with SHA-512; the signature is the raw 132-byte R‖S
    /// (two 66-byte integers).
    ES512: P521, Sha512, Ecdsa, cfg!(feature = "es512");
    /// EdDSA (RFC 8037), verified with Ed25519 keys only (Ed448 is not
    /// implemented: an `OKP` key on `Ed448` is skipped as an unsupported key
    /// type). The signature is 64 bytes. Its OIDC `at_hash` hash is
    /// SHA-512, the hash inside Ed25519 (see the crate docs).
    EdDSA: Ed25519, Sha512, Eddsa, cfg!(feature = "eddsa");
    /// Ed25519 under its RFC 9864 fully specified name: the same
    /// verification as `EdDSA` with an Ed25519 key.
    Ed25519: Ed25519, Sha512, Eddsa, cfg!(feature = "eddsa");
}

/// One row of the algorithm table.
#[derive(Debug, Clone, Copy)]
struct Row {
    name: &'static str,
    family: KeyFamily,
    hash: Hash,
    // Read by the RSA and HMAC verifiers only (an ES256-only build has none).
    #[cfg_attr(not(any(feature = "rsa", feature = "hs256")), allow(dead_code))]
    scheme: Scheme,
    implemented: bool,
}

/// The key family an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    /// An RSA public key ([`crate::limits::RSA_MIN_BITS`] to
    /// [`crate::limits::RSA_MAX_BITS`] bits).
    Rsa,
    /// A P-256 public key.
    P256,
    /// A P-384 public key.
    P384,
    /// A P-521 public key.
    P521,
    /// An Ed25519 public key (canonical, not of small order).
    Ed25519,
    /// An HMAC secret.
    Hmac,
}

/// The SHA-2 hash an algorithm uses (also the `at_hash` hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// Output length in bytes.
    pub(crate) const fn len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }
}

/// How a signature is checked, beyond the key family and the hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2).
    Pkcs1v15,
    /// RSASSA-PSS with MGF1 over the same hash and a salt as long as the
    /// hash (RFC 7518 §3.5).
    Pss,
    /// ECDSA with the fixed-size R‖S signature (RFC 7518 §3.4).
    Ecdsa,
    /// Ed25519 (RFC 8032 §5.1.7, RFC 8037).
    Eddsa,
    /// HMAC (RFC 7518 §3.2).
    Hmac,
}

impl Algorithm {
    /// The JWA name, e.g. `"ES256"`.
    pub const fn name(self) -> &'static str {
        self.row().name
    }

    /// Looks up a JWA name. Names are case-sensitive (RFC 7515 §4.1.1):
    /// `"hs256"` and every casing of `"none"` return `None`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// The key family this algorithm needs.
    pub const fn family(self) -> KeyFamily {
        self.row().family
    }

    pub(crate) const fn hash(self) -> Hash {
        self.row().hash
    }

    #[cfg_attr(not(any(feature = "rsa", feature = "hs256")), allow(dead_code))]
    pub(crate) const fn scheme(self) -> Scheme {
        self.row().scheme
    }

    /// Whether this build implements the algorithm (its cargo feature is on).
    pub const fn is_implemented(self) -> bool {
        self.row().implemented
    }

    /// The algorithm's bit: `1 << ` its position in [`Algorithm::ALL`].
    /// Stable: it is the value of the C API's `tokenlane_alg` for this
    /// algorithm, and rows are only appended.
    pub const fn bit(self) -> u32 {
        1 << self.index()
    }

    /// The row's position: the discriminant of a fieldless enum whose
    /// variants are declared in table order without explicit values.
    #[allow(clippy::as_conversions)]
    const fn index(self) -> u32 {
        self as u32
    }

    /// The bit inside an [`AlgorithmSet`] (16 bits hold the table; a const
    /// assertion below fails the build if it outgrows them).
    const fn set_bit(self) -> u16 {
        1 << self.index()
    }
}

const _: () = assert!(
    Algorithm::ALL.len() <= 16,
    "AlgorithmSet holds 16 algorithms"
);

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of algorithms a policy allows. `Copy`, no heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct AlgorithmSet(u16);

impl AlgorithmSet {
    /// The empty set (a policy refuses it).
    pub const EMPTY: AlgorithmSet = AlgorithmSet(0);

    /// A set holding `algs`.
    pub const fn from_slice(algs: &[Algorithm]) -> Self {
        let mut bits = 0u16;
        let mut i = 0;
        while i < algs.len() {
            bits |= algs[i].set_bit();
            i += 1;
        }
        AlgorithmSet(bits)
    }

    /// This set with `alg` added.
    #[must_use]
    pub const fn with(self, alg: Algorithm) -> Self {
        AlgorithmSet(self.0 | alg.set_bit())
    }

    /// Whether `alg` is in the set.
    pub const fn contains(self, alg: Algorithm) -> bool {
        self.0 & alg.set_bit() != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The algorithms in the set, in [`Algorithm::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(move |a| self.contains(*a))
    }
}

impl FromIterator<Algorithm> for AlgorithmSet {
    fn from_iter<I: IntoIterator<Item = Algorithm>>(iter: I) -> Self {
        iter.into_iter()
            .fold(AlgorithmSet::EMPTY, AlgorithmSet::with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_bits_and_names_stay_where_they_are() {
        // The C API's tokenlane_alg values: rows are only appended.
        let published = [
            ("RS256", 1),
            ("RS384", 2),
            ("RS512", 4),
            ("PS256", 8),
            ("PS384", 16),
            ("PS512", 32),
            ("ES256", 64),
            ("HS256", 128),
            ("HS384", 256),
            ("HS512", 512),
            ("ES384", 1024),
            ("ES512", 2048),
            ("EdDSA", 4096),
            ("Ed25519", 8192),
        ];
        for (i, (name, bit)) in published.into_iter().enumerate() {
            let alg = Algorithm::ALL[i];
            assert_eq!((alg.name(), alg.bit()), (name, bit));
            assert_eq!(Algorithm::from_name(name), Some(alg));
            assert!(AlgorithmSet::EMPTY.with(alg).contains(alg));
        }
    }

    #[test]
    fn rows_say_family_hash_and_scheme() {
        use Algorithm as A;
        assert_eq!(
            (A::PS384.family(), A::PS384.hash(), A::PS384.scheme()),
            (KeyFamily::Rsa, Hash::Sha384, Scheme::Pss)
        );
        assert_eq!(
            (A::RS512.family(), A::RS512.hash(), A::RS512.scheme()),
            (KeyFamily::Rsa, Hash::Sha512, Scheme::Pkcs1v15)
        );
        assert_eq!(
            (A::ES256.family(), A::ES256.hash(), A::ES256.scheme()),
            (KeyFamily::P256, Hash::Sha256, Scheme::Ecdsa)
        );
        assert_eq!(
            (A::HS384.family(), A::HS384.hash(), A::HS384.scheme()),
            (KeyFamily::Hmac, Hash::Sha384, Scheme::Hmac)
        );
        assert_eq!(
            (A::ES384.family(), A::ES384.hash(), A::ES384.scheme()),
            (KeyFamily::P384, Hash::Sha384, Scheme::Ecdsa)
        );
        assert_eq!(
            (A::ES512.family(), A::ES512.hash(), A::ES512.scheme()),
            (KeyFamily::P521, Hash::Sha512, Scheme::Ecdsa)
        );
        for a in [A::EdDSA, A::Ed25519] {
            assert_eq!(
                (a.family(), a.hash(), a.scheme()),
                (KeyFamily::Ed25519, Hash::Sha512, Scheme::Eddsa)
            );
        }
        // Names are case-sensitive; Ed448 is not implemented.
        assert_eq!(Algorithm::from_name("EDDSA"), None);
        assert_eq!(Algorithm::from_name("Ed448"), None);
    }
}
