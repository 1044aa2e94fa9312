//! Algorithms, the key family each one needs, and sets of them.
//!
//! `none` is not an [`Algorithm`]: it cannot be expressed, so no policy can
//! allow it.

use core::fmt;

/// A JWS signature algorithm that tokenlane implements (RFC 7518 §3).
///
/// Each algorithm fits one key family: RSA keys verify `RS*`/`PS*`, P-256
/// keys verify `ES256`, HMAC secrets verify `HS*` when they are at least as
/// long as the hash. An algorithm whose cargo feature is disabled still has a
/// name here but is refused as `unsupported_algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-byte salt.
    PS256,
    /// RSASSA-PSS with SHA-384, MGF1-SHA-384, 48-byte salt.
    PS384,
    /// RSASSA-PSS with SHA-512, MGF1-SHA-512, 64-byte salt.
    PS512,
    /// ECDSA on P-256 with SHA-256; the signature is the raw 64-byte R‖S.
    ES256,
    /// HMAC-SHA-256; the secret must be at least 32 bytes.
    HS256,
    /// HMAC-SHA-384; the secret must be at least 48 bytes.
    HS384,
    /// HMAC-SHA-512; the secret must be at least 64 bytes.
    HS512,
}

/// The key family an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    /// An RSA public key (2048 to 8192 bits).
    Rsa,
    /// A P-256 public key.
    P256,
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

impl Algorithm {
    /// Every algorithm, in a fixed order (also the bit order of [`AlgorithmSet`]).
    pub const ALL: [Algorithm; 10] = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
    ];

    /// The JWA name, e.g. `"ES256"`.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
        }
    }

    /// Looks up a JWA name. Names are case-sensitive (RFC 7515 §4.1.1):
    /// `"hs256"` and every casing of `"none"` return `None`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// The key family this algorithm needs.
    pub const fn family(self) -> KeyFamily {
        match self {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => KeyFamily::Rsa,
            Algorithm::ES256 => KeyFamily::P256,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => KeyFamily::Hmac,
        }
    }

    pub(crate) const fn hash(self) -> Hash {
        match self {
            Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256 | Algorithm::HS256 => {
                Hash::Sha256
            }
            Algorithm::RS384 | Algorithm::PS384 | Algorithm::HS384 => Hash::Sha384,
            Algorithm::RS512 | Algorithm::PS512 | Algorithm::HS512 => Hash::Sha512,
        }
    }

    /// Whether this build implements the algorithm (its cargo feature is on).
    pub const fn is_implemented(self) -> bool {
        match self {
            Algorithm::HS256 => cfg!(feature = "hs256"),
            Algorithm::HS384 => cfg!(feature = "hs384"),
            Algorithm::HS512 => cfg!(feature = "hs512"),
            _ => match self.family() {
                KeyFamily::Rsa => cfg!(feature = "rsa"),
                KeyFamily::P256 => cfg!(feature = "ecdsa"),
                KeyFamily::Hmac => false,
            },
        }
    }

    const fn bit(self) -> u16 {
        let index = match self {
            Algorithm::RS256 => 0,
            Algorithm::RS384 => 1,
            Algorithm::RS512 => 2,
            Algorithm::PS256 => 3,
            Algorithm::PS384 => 4,
            Algorithm::PS512 => 5,
            Algorithm::ES256 => 6,
            Algorithm::HS256 => 7,
            Algorithm::HS384 => 8,
            Algorithm::HS512 => 9,
        };
        1 << index
    }
}

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
            bits |= algs[i].bit();
            i += 1;
        }
        AlgorithmSet(bits)
    }

    /// This set with `alg` added.
    #[must_use]
    pub const fn with(self, alg: Algorithm) -> Self {
        AlgorithmSet(self.0 | alg.bit())
    }

    /// Whether `alg` is in the set.
    pub const fn contains(self, alg: Algorithm) -> bool {
        self.0 & alg.bit() != 0
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
