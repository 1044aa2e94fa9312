//! The ID-token lane (OpenID Connect Core 1.0 §3.1.3.7): what a client app
//! checks. An [`IdToken`] has no scope API at all.

use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;

use crate::alg::{AlgorithmSet, Hash};
use crate::claims::{self, Arena, StrList};
use crate::error::{Claim, Error};
use crate::json::{Elements, Value};
use crate::jws::verify_parts;
use crate::keys::Key;
use crate::lane::marks::{self, Lane};
use crate::lane::witness::SignatureCheck;
use crate::lane::{aud_contains, require, Common, PolicyError};
use crate::time::UnixTime;

/// What a client app accepts as its ID token: issuer, its client_id,
/// algorithms, leeway, size limit. Built once, then immutable.
#[derive(Debug, Clone, Copy)]
pub struct IdPolicy<'a> {
    common: Common<'a>,
    client_id: &'a str,
}

/// Per-login checks of an ID token (each is enforced only when given).
#[derive(Debug, Clone, Copy, Default)]
pub struct IdChecks<'a> {
    /// The nonce sent in the authentication request: `nonce` must be present
    /// and equal.
    pub nonce: Option<&'a str>,
    /// Maximum authentication age in seconds: `auth_time` must be present,
    /// not in the future (`auth_time - leeway <= now`, else `not_yet_valid`)
    /// and `auth_time + max_age + leeway >= now` (else `auth_too_old`).
    pub max_age: Option<u64>,
    /// The access token issued with the ID token: `at_hash` must be present
    /// and match it (hash chosen by the ID token's `alg`).
    pub access_token: Option<&'a [u8]>,
}

impl<'a> IdPolicy<'a> {
    /// A policy with no leeway and the default size limit.
    /// Errors: `EmptyIssuer`, `NoAudience` (empty client_id), `NoAlgorithm`.
    pub fn new(
        issuer: &'a str,
        client_id: &'a str,
        algorithms: AlgorithmSet,
    ) -> Result<Self, PolicyError> {
        if client_id.is_empty() {
            return Err(PolicyError::NoAudience);
        }
        Ok(Self {
            common: Common::new(issuer, algorithms)?,
            client_id,
        })
    }

    /// A policy from settings already checked (when an owned policy was
    /// built): no checks here.
    #[cfg(feature = "alloc")]
    pub(crate) fn from_checked(common: Common<'a>, client_id: &'a str) -> Self {
        Self { common, client_id }
    }

    /// Sets the clock-skew leeway in seconds. Errors: `LeewayTooLarge`.
    pub fn with_leeway(mut self, secs: u64) -> Result<Self, PolicyError> {
        self.common.set_leeway(secs)?;
        Ok(self)
    }

    /// Sets the token size limit. Errors: `MaxTokenBytes`.
    pub fn with_max_token_bytes(mut self, n: usize) -> Result<Self, PolicyError> {
        self.common.set_max_token_bytes(n)?;
        Ok(self)
    }

    /// Chooses the verification backend (default [`crate::Backend::DEFAULT`]).
    #[must_use]
    pub fn with_backend(mut self, backend: crate::Backend) -> Self {
        self.common.backend = backend;
        self
    }

    /// The token size limit in force.
    pub fn max_token_bytes(&self) -> usize {
        self.common.max_token_bytes
    }

    /// Validates an ID token at time `now` with the per-login `checks`.
    ///
    /// `scratch` must hold [`crate::scratch_len`]`(token.len())` bytes; the
    /// result borrows from it. Errors: every code of the crate docs' refusal
    /// order, first failure wins.
    pub fn validate<'s>(
        &self,
        token: &[u8],
        keys: &[Key],
        now: UnixTime,
        checks: &IdChecks<'_>,
        scratch: &'s mut [u8],
    ) -> Result<IdToken<'s>, Error> {
        let v = verify_parts(
            token,
            SignatureCheck::Keys(keys),
            self.common.jws(),
            scratch,
            |typ| match marks::header_refusal(Lane::Id, typ) {
                Some(mark) => Err(Error::WrongTokenType { mark }),
                None => Ok(()),
            },
        )?;
        let (text, raw) = claims::parse(v.payload)?;
        let t = raw.typed()?;

        // 8. Lane marks (access-token marks, other kinds).
        if let Some(mark) = marks::claims_refusal(Lane::Id, &raw) {
            return Err(Error::WrongTokenType { mark });
        }

        // 9. Required claims.
        let iss = require(t.iss, Claim::Iss)?;
        let sub = require(t.sub, Claim::Sub)?;
        let aud = require(t.aud, Claim::Aud)?;
        let exp = require(t.exp, Claim::Exp)?;
        let iat = require(t.iat, Claim::Iat)?;

        // 10–13.
        self.common.check(
            Some(iss),
            aud_contains(Some(aud), self.client_id),
            exp,
            t.nbf,
            Some(iat),
            now,
        )?;

        // 15. azp, nonce, auth_time, at_hash.
        let several_aud = matches!(aud, Value::Array(a) if Elements::of(a).nth(1).is_some());
        match t.azp {
            None if several_aud => return Err(Error::MissingClaim { claim: Claim::Azp }),
            Some(azp) if !azp.eq_str(self.client_id) => return Err(Error::AzpMismatch),
            _ => {}
        }
        if let Some(want) = checks.nonce {
            let got = require(t.nonce, Claim::Nonce)?;
            if !got.eq_str(want) {
                return Err(Error::NonceMismatch);
            }
        }
        if let Some(max_age) = checks.max_age {
            let auth_time = require(t.auth_time, Claim::AuthTime)?;
            let now_s = now.as_secs();
            let leeway = self.common.leeway;
            // A future authentication would satisfy max_age for the
            // token's whole life: refuse it as a time claim not yet valid.
            if auth_time.saturating_sub(leeway) > now_s {
                return Err(Error::NotYetValid {
                    claim: Claim::AuthTime,
                    value: auth_time,
                    now: now_s,
                    leeway,
                });
            }
            if auth_time
                .saturating_add(max_age)
                .saturating_add(self.common.leeway)
                < now_s
            {
                return Err(Error::AuthTooOld {
                    auth_time,
                    max_age,
                    now: now_s,
                });
            }
        }
        if let Some(at) = checks.access_token {
            let got = require(t.at_hash, Claim::AtHash)?;
            // Compared by its unescaped value, as every JSON string is; an
            // at_hash longer than any hash's encoding cannot match.
            let mut buf = [0u8; AT_HASH_MAX];
            let got = got
                .unescape_into(&mut buf)
                .and_then(|n| buf.get(..n))
                .unwrap_or(&[]);
            if !at_hash_matches(v.header.alg.hash(), at, got) {
                return Err(Error::AtHashMismatch);
            }
        }

        let mut arena = Arena::new(v.rest);
        Ok(IdToken {
            alg: v.header.alg,
            iss: arena.str(iss)?,
            sub: arena.str(sub)?,
            aud: arena.list(Some(aud), false)?,
            exp,
            iat,
            auth_time: t.auth_time,
            nonce: arena.opt(t.nonce)?,
            azp: arena.opt(t.azp)?,
            name: arena.opt(raw.get(Claim::Name).and_then(|v| v.as_str()))?,
            email: arena.opt(raw.get(Claim::Email).and_then(|v| v.as_str()))?,
            claims: text,
        })
    }
}

/// The longest `at_hash` any algorithm produces: base64url of half a
/// SHA-512 digest is 43 characters.
const AT_HASH_MAX: usize = 44;

/// OIDC Core §3.1.3.6: base64url of the left half of the hash of the
/// access token's ASCII, compared in constant time.
fn at_hash_matches(hash: Hash, access_token: &[u8], at_hash: &[u8]) -> bool {
    let mut digest = [0u8; 64];
    let n = hash.len();
    match hash {
        Hash::Sha256 => digest[..32].copy_from_slice(&Sha256::digest(access_token)),
        Hash::Sha384 => digest[..48].copy_from_slice(&Sha384::digest(access_token)),
        Hash::Sha512 => digest.copy_from_slice(&Sha512::digest(access_token)),
    }
    let mut enc = [0u8; 44];
    let Ok(want) = Base64UrlUnpadded::encode(&digest[..n / 2], &mut enc) else {
        return false;
    };
    want.len() == at_hash.len() && bool::from(want.as_bytes().ct_eq(at_hash))
}

/// A validated ID token. Only [`IdPolicy::validate`] makes one. It has no
/// scope API: an ID token says who logged in, never what they may do.
#[derive(Debug, Clone, Copy)]
pub struct IdToken<'a> {
    alg: crate::Algorithm,
    iss: &'a str,
    sub: &'a str,
    aud: StrList<'a>,
    exp: u64,
    iat: u64,
    auth_time: Option<u64>,
    nonce: Option<&'a str>,
    azp: Option<&'a str>,
    name: Option<&'a str>,
    email: Option<&'a str>,
    claims: &'a str,
}

impl<'a> IdToken<'a> {
    /// The algorithm that verified it.
    pub fn alg(&self) -> crate::Algorithm {
        self.alg
    }
    /// `iss`.
    pub fn iss(&self) -> &'a str {
        self.iss
    }
    /// `sub`: who logged in.
    pub fn sub(&self) -> &'a str {
        self.sub
    }
    /// The `aud` values.
    pub fn aud(&self) -> StrList<'a> {
        self.aud
    }
    /// `exp`.
    pub fn exp(&self) -> u64 {
        self.exp
    }
    /// `iat`.
    pub fn iat(&self) -> u64 {
        self.iat
    }
    /// `auth_time`, if present.
    pub fn auth_time(&self) -> Option<u64> {
        self.auth_time
    }
    /// `nonce`, if present.
    pub fn nonce(&self) -> Option<&'a str> {
        self.nonce
    }
    /// `azp`, if present.
    pub fn azp(&self) -> Option<&'a str> {
        self.azp
    }
    /// `name`, if present and a string.
    pub fn name(&self) -> Option<&'a str> {
        self.name
    }
    /// `email`, if present and a string.
    pub fn email(&self) -> Option<&'a str> {
        self.email
    }
    /// Every claim, as the verified JSON text.
    pub fn claims_json(&self) -> &'a str {
        self.claims
    }
}
