//! The verified-signature witness: how a cache skips the signature check
//! and nothing else.
//!
//! [`AccessPolicy::validate_remembering`](crate::AccessPolicy::validate_remembering)
//! returns, with an accepted token, a [`SignatureWitness`]: the SHA-256 of
//! the exact token bytes whose signature the core verified (and the token's
//! `exp`, so a cache knows when to drop it). Only the core can make one (its
//! fields are private, there is no constructor), so holding one proves that
//! a full validation accepted those bytes.
//!
//! [`AccessPolicy::validate_witnessed`](crate::AccessPolicy::validate_witnessed)
//! takes the token again with its witness and runs **every** access-lane
//! rule through the same code as a full validation (size, segments,
//! base64url, header, `alg` allowed by *this* policy, `crit`, `typ` mode,
//! claim types, lane marks, required claims, `iss`, `aud`, `exp`/`nbf`/`iat`
//! with leeway, required scopes). Only steps 4–5 differ: instead of finding a
//! key and verifying the signature, the SHA-256 of the token is compared,
//! in constant time, with the witness's. A mismatch is
//! [`Error::InvalidSignature`](crate::Error::InvalidSignature): no verified
//! signature vouches for these bytes, the same answer a full validation
//! gives a token whose signature bytes were altered.
//!
//! What a witness does not vouch for: that the key which verified the
//! signature is still trusted. A caller that keeps witnesses must drop them
//! when the issuer's key set changes (a rotation, a revoked key), as
//! `tokenlane serve`'s token cache does.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::Error;
use crate::keys::Key;

/// Proof that the core verified the signature of exactly one token's bytes
/// under some key set: the SHA-256 of the token and its `exp`. Made only by
/// [`crate::AccessPolicy::validate_remembering`]; used by
/// [`crate::AccessPolicy::validate_witnessed`]. 40 bytes, no heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignatureWitness {
    token_sha256: [u8; 32],
    exp: u64,
}

impl SignatureWitness {
    /// A witness for `token` (whose signature was just verified).
    pub(crate) fn of(token: &[u8], exp: u64) -> Self {
        Self {
            token_sha256: token_sha256(token),
            exp,
        }
    }

    /// The SHA-256 of the token bytes it vouches for (not a secret: a
    /// cache may key on it).
    pub fn token_sha256(&self) -> &[u8; 32] {
        &self.token_sha256
    }

    /// The token's `exp` (seconds since the epoch), as verified: a cache
    /// can drop the witness then (validation refuses the token from then
    /// on anyway, with `expired`).
    pub fn exp(&self) -> u64 {
        self.exp
    }

    /// Steps 4–5 of the refusal order on the witnessed path: the token's
    /// SHA-256 must equal this witness's (constant-time compare), else
    /// `invalid_signature`.
    pub(crate) fn check(&self, token: &[u8]) -> Result<(), Error> {
        if bool::from(token_sha256(token).ct_eq(&self.token_sha256)) {
            Ok(())
        } else {
            Err(Error::InvalidSignature)
        }
    }
}

/// The SHA-256 of a token's bytes: the key a verified-token cache looks a
/// [`SignatureWitness`] up by (equal to
/// [`SignatureWitness::token_sha256`] for the token it vouches for).
pub fn token_sha256(token: &[u8]) -> [u8; 32] {
    Sha256::digest(token).into()
}

/// How steps 4–5 of the refusal order (key and signature) are satisfied.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SignatureCheck<'k> {
    /// Find the key and verify the signature.
    Keys(&'k [Key]),
    /// The token's SHA-256 must equal the witness's.
    Witness(&'k SignatureWitness),
}
