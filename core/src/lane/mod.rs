//! The two lanes. Each lane's rules live in its one file; what they share
//! (policy bounds, the time checks) lives here.

pub(crate) mod access;
pub(crate) mod id;
pub(crate) mod introspection;
pub(crate) mod marks;
#[cfg(feature = "alloc")]
pub(crate) mod owned;
pub(crate) mod witness;

use crate::error::{Claim, Error};
use crate::json::JsonStr;
use crate::limits::{DEFAULT_MAX_TOKEN_BYTES, MAX_TOKEN_BYTES_LIMIT};
use crate::time::{UnixTime, MAX_LEEWAY_SECS};
use crate::AlgorithmSet;

/// Why a policy could not be built. Policies are checked once, when built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// The issuer is empty.
    EmptyIssuer,
    /// No audience (access lane) or an empty client_id (ID lane).
    NoAudience,
    /// The algorithm set is empty, or holds only algorithms this build does
    /// not implement.
    NoAlgorithm,
    /// Leeway over [`crate::time::MAX_LEEWAY_SECS`].
    LeewayTooLarge,
    /// `max_token_bytes` is 0 or over [`crate::limits::MAX_TOKEN_BYTES_LIMIT`].
    MaxTokenBytes,
    /// A required scope is empty or is not an RFC 6749 §3.3 scope-token
    /// (it holds a space, `"`, `\`, or a character outside printable ASCII).
    InvalidScope,
    /// A setting of the other lane was configured (a [`crate::PolicyBuilder`]
    /// refuses it rather than ignoring it): a client_id for the access lane,
    /// or an audience, a required scope or a typ mode for the ID lane.
    OtherLaneSetting(LaneSetting),
    /// A DPoP nonce key shorter than
    /// [`crate::nonce::MIN_NONCE_KEY_BYTES`] (32 bytes).
    NonceKeyTooShort,
    /// A DPoP nonce bucket of 0 seconds or over
    /// [`crate::nonce::MAX_NONCE_BUCKET_SECS`] (one day).
    NonceBucket,
    /// A replay store that forgets proofs sooner than the proof policy's
    /// `iat` window accepts them: a proof could be replayed.
    ReplayWindowTooShort,
}

/// A setting that belongs to one lane only (the detail of
/// [`PolicyError::OtherLaneSetting`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LaneSetting {
    /// The ID lane's client_id, set for an access policy.
    ClientId,
    /// An audience (access lane), set for an ID policy.
    Audience,
    /// A required scope (access lane), set for an ID policy.
    RequiredScope,
    /// The typ mode (access lane), set for an ID policy.
    TypMode,
    /// The introspection audience rule (access lane), set for an ID policy.
    IntrospectionAudience,
}

impl core::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            PolicyError::EmptyIssuer => "the issuer is empty",
            PolicyError::NoAudience => "no audience (or client_id) is configured",
            PolicyError::NoAlgorithm => "no implemented algorithm is allowed",
            PolicyError::LeewayTooLarge => "leeway is over one day",
            PolicyError::MaxTokenBytes => "max_token_bytes must be between 1 and 1 MiB",
            PolicyError::InvalidScope => {
                "a required scope is empty or holds a space, a quote, a backslash or a non-ASCII character"
            }
            PolicyError::OtherLaneSetting(LaneSetting::ClientId) => {
                "client_id is an ID-lane setting; the access lane checks audiences"
            }
            PolicyError::OtherLaneSetting(LaneSetting::Audience) => {
                "an audience is an access-lane setting; the ID lane checks the client_id"
            }
            PolicyError::OtherLaneSetting(LaneSetting::RequiredScope) => {
                "a required scope is an access-lane setting; ID tokens carry no scopes"
            }
            PolicyError::OtherLaneSetting(LaneSetting::TypMode) => {
                "the typ mode is an access-lane setting; the ID lane has one typ rule"
            }
            PolicyError::OtherLaneSetting(LaneSetting::IntrospectionAudience) => {
                "the introspection audience rule is an access-lane setting; ID tokens are never introspected"
            }
            PolicyError::NonceKeyTooShort => "the DPoP nonce key must be at least 32 bytes",
            PolicyError::NonceBucket => {
                "the DPoP nonce bucket must be between 1 second and one day"
            }
            PolicyError::ReplayWindowTooShort => {
                "the replay store's iat_window is shorter than the proof policy's: a proof could be replayed"
            }
        })
    }
}

impl core::error::Error for PolicyError {}

/// The settings both lanes share.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Common<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) algorithms: AlgorithmSet,
    pub(crate) leeway: u64,
    pub(crate) max_token_bytes: usize,
    pub(crate) backend: crate::Backend,
}

impl<'a> Common<'a> {
    pub(crate) fn new(issuer: &'a str, algorithms: AlgorithmSet) -> Result<Self, PolicyError> {
        if issuer.is_empty() {
            return Err(PolicyError::EmptyIssuer);
        }
        if !algorithms.iter().any(|a| a.is_implemented()) {
            return Err(PolicyError::NoAlgorithm);
        }
        Ok(Self {
            issuer,
            algorithms,
            leeway: 0,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            backend: crate::Backend::DEFAULT,
        })
    }

    pub(crate) fn set_leeway(&mut self, secs: u64) -> Result<(), PolicyError> {
        if secs > MAX_LEEWAY_SECS {
            return Err(PolicyError::LeewayTooLarge);
        }
        self.leeway = secs;
        Ok(())
    }

    pub(crate) fn set_max_token_bytes(&mut self, n: usize) -> Result<(), PolicyError> {
        if n == 0 || n > MAX_TOKEN_BYTES_LIMIT {
            return Err(PolicyError::MaxTokenBytes);
        }
        self.max_token_bytes = n;
        Ok(())
    }

    /// The arguments of the JWS layer.
    pub(crate) fn jws(&self) -> (crate::Backend, AlgorithmSet, usize) {
        (self.backend, self.algorithms, self.max_token_bytes)
    }

    /// Rules 10–13 of the refusal order: issuer (when stated), audience,
    /// expiry, not-before.
    pub(crate) fn check<'s>(
        &self,
        iss: Option<JsonStr<'s>>,
        aud_ok: bool,
        exp: u64,
        nbf: Option<u64>,
        iat: Option<u64>,
        now: UnixTime,
    ) -> Result<(), Error> {
        // `None`: the carrier did not state an issuer (an introspection
        // response without `iss`); the JWT lanes always pass one.
        if iss.is_some_and(|iss| !iss.eq_str(self.issuer)) {
            return Err(Error::IssuerMismatch);
        }
        if !aud_ok {
            return Err(Error::AudienceMismatch);
        }
        let now = now.as_secs();
        let leeway = self.leeway;
        // exp + leeway <= now: expired. Saturating: exp is bounded by
        // MAX_NUMERIC_DATE, so this never saturates in practice.
        if exp.saturating_add(leeway) <= now {
            return Err(Error::Expired { exp, now, leeway });
        }
        for (claim, v) in [(Claim::Nbf, nbf), (Claim::Iat, iat)] {
            if let Some(value) = v {
                if value.saturating_sub(leeway) > now {
                    return Err(Error::NotYetValid {
                        claim,
                        value,
                        now,
                        leeway,
                    });
                }
            }
        }
        Ok(())
    }
}

/// Whether a claim's `aud` (string or array) holds `want`.
pub(crate) fn aud_contains(aud: Option<crate::json::Value<'_>>, want: &str) -> bool {
    use crate::json::{Elements, Value};
    match aud {
        Some(Value::Str(s)) => s.eq_str(want),
        Some(Value::Array(a)) => {
            Elements::of(a).any(|e| e.as_str().is_some_and(|s| s.eq_str(want)))
        }
        _ => false,
    }
}

/// Required claim helper: `Ok(v)` or `missing_claim`.
pub(crate) fn require<T>(v: Option<T>, claim: Claim) -> Result<T, Error> {
    v.ok_or(Error::MissingClaim { claim })
}
