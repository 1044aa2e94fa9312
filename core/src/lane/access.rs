//! The access-token lane (RFC 9068, RFC 6750, RFC 8725): what an API checks.

use crate::alg::{Algorithm, AlgorithmSet};
use crate::claims::{self, Arena, Raw, StrList};
use crate::error::{Claim, Error};
use crate::jws::verify_parts;
use crate::keys::Key;
use crate::lane::introspection::IntrospectionAudience;
use crate::lane::marks::{self, Lane};
use crate::lane::witness::{SignatureCheck, SignatureWitness};
use crate::lane::{aud_contains, require, Common, PolicyError};
use crate::time::UnixTime;

/// How the access lane treats the header `typ`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TypMode {
    /// `typ` must be `at+jwt` or `application/at+jwt` (case-insensitive),
    /// and iss, exp, aud, sub, client_id, iat, jti are required (RFC 9068).
    #[default]
    Strict,
    /// Also accepts a missing `typ` or `JWT`, for identity providers that
    /// sign access tokens without `at+jwt`; only iss, exp, aud are required.
    /// ID-token marks are refused in both modes.
    Compat,
}

/// What an API accepts: issuer, audiences, algorithms, scopes, typ mode,
/// leeway, size limit. Built once, then immutable; configuring a value makes
/// it required (there is no "skip the audience check" switch).
///
/// `S` lets wrappers keep owned strings (`AccessPolicy<'_, String>`)
/// while embedded callers use `&str` slices; no heap either way.
#[derive(Debug, Clone, Copy)]
pub struct AccessPolicy<'a, S: AsRef<str> = &'a str> {
    common: Common<'a>,
    audiences: &'a [S],
    scopes: &'a [S],
    typ: TypMode,
    introspection_aud: IntrospectionAudience,
}

impl<'a, S: AsRef<str>> AccessPolicy<'a, S> {
    /// A strict-mode policy with no leeway, no required scopes and the
    /// default size limit.
    ///
    /// Errors: `EmptyIssuer`, `NoAudience` (no audiences or an empty one),
    /// `NoAlgorithm` (none implemented in this build).
    pub fn new(
        issuer: &'a str,
        audiences: &'a [S],
        algorithms: AlgorithmSet,
    ) -> Result<Self, PolicyError> {
        if audiences.is_empty() || audiences.iter().any(|a| a.as_ref().is_empty()) {
            return Err(PolicyError::NoAudience);
        }
        Ok(Self {
            common: Common::new(issuer, algorithms)?,
            audiences,
            scopes: &[],
            typ: TypMode::Strict,
            introspection_aud: IntrospectionAudience::Required,
        })
    }

    /// A policy from settings already checked (by [`Self::new`] and the
    /// `with_*` setters, when an owned policy was built): no checks here.
    #[cfg(feature = "alloc")]
    pub(crate) fn from_checked(
        common: Common<'a>,
        audiences: &'a [S],
        scopes: &'a [S],
        typ: TypMode,
    ) -> Self {
        Self {
            common,
            audiences,
            scopes,
            typ,
            introspection_aud: IntrospectionAudience::Required,
        }
    }

    /// Requires every one of `scopes` (whole-word match).
    ///
    /// Errors: `InvalidScope` when a scope is empty or holds a character
    /// outside RFC 6749 §3.3's `scope-token` (printable ASCII except space,
    /// `"` and `\`): such a scope could never be granted by a `scope`
    /// string, only by an odd `scp` array, so it is a configuration mistake.
    pub fn with_required_scopes(mut self, scopes: &'a [S]) -> Result<Self, PolicyError> {
        if scopes.iter().any(|s| !is_scope_token(s.as_ref())) {
            return Err(PolicyError::InvalidScope);
        }
        self.scopes = scopes;
        Ok(self)
    }

    pub(crate) fn issuer(&self) -> &'a str {
        self.common.issuer
    }

    pub(crate) fn set_introspection_aud(&mut self, rule: IntrospectionAudience) {
        self.introspection_aud = rule;
    }

    /// Sets the typ mode.
    #[must_use]
    pub fn with_typ_mode(mut self, typ: TypMode) -> Self {
        self.typ = typ;
        self
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

    /// Validates an access token at time `now`.
    ///
    /// `scratch` must hold [`crate::scratch_len`]`(token.len())` bytes; the
    /// result borrows from it. The ES256/HS256 path makes no heap
    /// allocation. Errors: every code of the crate docs' refusal order,
    /// first failure wins.
    pub fn validate<'s>(
        &self,
        token: &[u8],
        keys: &[Key],
        now: UnixTime,
        scratch: &'s mut [u8],
    ) -> Result<AccessToken<'s>, Error> {
        self.validate_by(token, SignatureCheck::Keys(keys), now, scratch)
    }

    /// [`Self::validate`], and with an accepted token a [`SignatureWitness`]
    /// of its bytes (their SHA-256 and `exp`) for
    /// [`Self::validate_witnessed`]. Costs one SHA-256 of the token more
    /// than [`Self::validate`], and only on acceptance; a refusal makes no
    /// witness. Errors: as [`Self::validate`].
    pub fn validate_remembering<'s>(
        &self,
        token: &[u8],
        keys: &[Key],
        now: UnixTime,
        scratch: &'s mut [u8],
    ) -> Result<(AccessToken<'s>, SignatureWitness), Error> {
        let t = self.validate_by(token, SignatureCheck::Keys(keys), now, scratch)?;
        let w = SignatureWitness::of(token, t.exp());
        Ok((t, w))
    }

    /// Validates a token whose signature an earlier
    /// [`Self::validate_remembering`] verified: every rule of
    /// [`Self::validate`], in the same order and through the same code,
    /// except that steps 4–5 (key and signature) are the token's SHA-256
    /// compared in constant time with `witness`'s. So time (with this
    /// policy's leeway), issuer, audience, typ mode, lane marks, `alg`
    /// allowed by *this* policy and required scopes are all decided anew.
    ///
    /// Errors: as [`Self::validate`], except `key_not_found` (no key is
    /// looked up); a token whose bytes are not the witness's is
    /// `invalid_signature` (no verified signature vouches for them), after
    /// the size, format and header rules that come before it. The witness
    /// does not say the key is still trusted: drop witnesses when the key
    /// set changes (see [`SignatureWitness`]).
    pub fn validate_witnessed<'s>(
        &self,
        token: &[u8],
        witness: &SignatureWitness,
        now: UnixTime,
        scratch: &'s mut [u8],
    ) -> Result<AccessToken<'s>, Error> {
        self.validate_by(token, SignatureCheck::Witness(witness), now, scratch)
    }

    /// The one JWT path of the access lane: steps 1–6 by the JWS layer
    /// (steps 4–5 as `signature` says), then [`Self::decide`].
    pub(crate) fn validate_by<'s>(
        &self,
        token: &[u8],
        signature: SignatureCheck<'_>,
        now: UnixTime,
        scratch: &'s mut [u8],
    ) -> Result<AccessToken<'s>, Error> {
        let lane = Lane::Access(self.typ);
        let v = verify_parts(token, signature, self.common.jws(), scratch, |typ| {
            match marks::header_refusal(lane, typ) {
                Some(mark) => Err(Error::WrongTokenType { mark }),
                None => Ok(()),
            }
        })?;
        let (text, raw) = claims::parse(v.payload)?;
        self.decide(Carrier::Jws(v.header.alg), text, &raw, v.rest, now)
    }

    /// Steps 7–14 of the refusal order over claims that a carrier vouched
    /// for: the JWS signature ([`Self::validate`]) or the authorization
    /// server's `active: true` ([`Self::validate_introspection`]). The one
    /// code path for the access lane's claim rules; only what the carrier
    /// cannot provide differs (see the `Carrier` arms).
    pub(crate) fn decide<'s>(
        &self,
        carrier: Carrier<'s>,
        text: &'s str,
        raw: &Raw<'s>,
        rest: &'s mut [u8],
        now: UnixTime,
    ) -> Result<AccessToken<'s>, Error> {
        let strict = self.typ == TypMode::Strict;
        let lane = Lane::Access(self.typ);
        let jws = matches!(carrier, Carrier::Jws(_));
        // 7. Claim types and bounds.
        let t = raw.typed()?;

        // 8. Lane marks (ID-token marks, other kinds), in both modes.
        if let Some(mark) = marks::claims_refusal(lane, raw) {
            return Err(Error::WrongTokenType { mark });
        }

        // 9. Required claims. An introspection response may omit `iss`
        // (RFC 7662 §2.2: the server answers for itself) and is never held
        // to RFC 9068's JWT profile; its `aud` is required unless the policy
        // opted out for servers that omit it.
        let iss = if jws {
            Some(require(t.iss, Claim::Iss)?)
        } else {
            t.iss
        };
        let exp = require(t.exp, Claim::Exp)?;
        let aud_required = jws || self.introspection_aud == IntrospectionAudience::Required;
        if aud_required {
            require(t.aud, Claim::Aud)?;
        }
        if strict && jws {
            require(t.sub, Claim::Sub)?;
            require(t.client_id, Claim::ClientId)?;
            require(t.iat, Claim::Iat)?;
            require(t.jti, Claim::Jti)?;
        }

        // 10–13. A present `aud` must always match, opt-out or not.
        let aud_ok = match t.aud {
            None => !aud_required,
            Some(_) => self
                .audiences
                .iter()
                .any(|a| aud_contains(t.aud, a.as_ref())),
        };
        self.common.check(iss, aud_ok, exp, t.nbf, t.iat, now)?;

        // 14. Scopes.
        let mut arena = Arena::new(rest);
        let scopes = arena.list(t.scopes, true)?;
        for (i, want) in self.scopes.iter().enumerate() {
            if !scopes.contains(want.as_ref()) {
                return Err(Error::InsufficientScope { missing: i });
            }
        }

        Ok(AccessToken {
            alg: match carrier {
                Carrier::Jws(alg) => Some(alg),
                Carrier::Introspection(_) => None,
            },
            iss: match iss {
                Some(iss) => arena.str(iss)?,
                None => match carrier {
                    Carrier::Introspection(issuer) => issuer,
                    Carrier::Jws(_) => "",
                },
            },
            sub: arena.opt(t.sub)?,
            client_id: arena.opt(t.client_id)?,
            jti: arena.opt(t.jti)?,
            aud: arena.list(t.aud, false)?,
            scopes,
            exp,
            iat: t.iat,
            nbf: t.nbf,
            claims: text,
        })
    }
}

/// What vouched for the claims the access lane decides on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Carrier<'s> {
    /// A compact JWS verified with this algorithm.
    Jws(Algorithm),
    /// An RFC 7662 introspection response that said `active: true`; the
    /// configured issuer, which the result names when `iss` is absent.
    Introspection(&'s str),
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// A validated access token. Only [`AccessPolicy::validate`] (a JWT) and
/// [`AccessPolicy::validate_introspection`] (an RFC 7662 response for an
/// opaque token) make one, through the same rules, so callers do not
/// branch. Borrows from the scratch buffer (or the response).
#[derive(Debug, Clone, Copy)]
pub struct AccessToken<'a> {
    alg: Option<Algorithm>,
    iss: &'a str,
    sub: Option<&'a str>,
    client_id: Option<&'a str>,
    jti: Option<&'a str>,
    aud: StrList<'a>,
    scopes: StrList<'a>,
    exp: u64,
    iat: Option<u64>,
    nbf: Option<u64>,
    claims: &'a str,
}

impl<'a> AccessToken<'a> {
    /// The algorithm whose signature verified it; `None` when the
    /// authorization server vouched for it by introspection
    /// ([`AccessPolicy::validate_introspection`]).
    pub fn alg(&self) -> Option<Algorithm> {
        self.alg
    }
    /// `iss`.
    pub fn iss(&self) -> &'a str {
        self.iss
    }
    /// `sub` (always present in strict mode).
    pub fn sub(&self) -> Option<&'a str> {
        self.sub
    }
    /// `client_id` (always present in strict mode).
    pub fn client_id(&self) -> Option<&'a str> {
        self.client_id
    }
    /// `jti` (always present in strict mode).
    pub fn jti(&self) -> Option<&'a str> {
        self.jti
    }
    /// The `aud` values.
    pub fn aud(&self) -> StrList<'a> {
        self.aud
    }
    /// The granted scopes: `scope` split on spaces, or `scp` when `scope` is absent.
    pub fn scopes(&self) -> StrList<'a> {
        self.scopes
    }
    /// Whether `scope` is granted (whole-word match).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }
    /// `exp`.
    pub fn exp(&self) -> u64 {
        self.exp
    }
    /// `iat` (always present in strict mode).
    pub fn iat(&self) -> Option<u64> {
        self.iat
    }
    /// `nbf`, if present.
    pub fn nbf(&self) -> Option<u64> {
        self.nbf
    }
    /// Every claim, as the verified JSON text.
    pub fn claims_json(&self) -> &'a str {
        self.claims
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Algorithm;

    fn policy<'a>(aud: &'a [&'a str]) -> AccessPolicy<'a> {
        AccessPolicy::new(
            "https://issuer.example/",
            aud,
            AlgorithmSet::from_slice(&[Algorithm::ES256]),
        )
        .expect("policy")
    }

    #[test]
    fn required_scopes_that_are_not_scope_tokens_are_refused_at_build_time() {
        let aud = ["https://api.example"];
        for bad in [
            &[""][..],
            &["read write"],
            &["ok", ""],
            &["tab\tscope"],
            &["quo\"te"],
            &["back\\slash"],
            &["café"],
        ] {
            assert_eq!(
                policy(&aud).with_required_scopes(bad).err(),
                Some(PolicyError::InvalidScope),
                "{bad:?}"
            );
        }
        let good = ["read:appointments", "api://x/User.Read", "!#[]~"];
        assert!(policy(&aud).with_required_scopes(&good).is_ok());
        assert!(policy(&aud).with_required_scopes(&[]).is_ok());
    }
}
