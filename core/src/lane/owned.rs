//! Owned policies (feature `alloc`): for callers that configure at run time
//! and keep the policy for the life of a server, such as the C and Python
//! front ends.
//!
//! [`AccessPolicy`] and [`IdPolicy`] borrow their strings, which suits
//! firmware (`&'static str` in flash) but makes a wrapper keep the strings
//! somewhere and rebuild the policy around them. Here the core keeps them:
//! a [`PolicyBuilder`] collects the settings of either lane (one setter per
//! setting, in any order), and [`PolicyBuilder::build_access`] /
//! [`PolicyBuilder::build_id`] check them **once** into an
//! [`OwnedAccessPolicy`] / [`OwnedIdPolicy`]. Validating then only
//! borrows the checked settings ([`OwnedAccessPolicy::policy`] is a view
//! made of references, no check and no allocation).
//!
//! Lane mixes are refused, not ignored: a client_id on an access policy, or
//! an audience, a required scope or a typ mode on an ID policy, is
//! [`PolicyError::OtherLaneSetting`] (checked before the other settings),
//! so a setting a caller made is never silently without effect.
//!
//! ```
//! use tokenlane::{Algorithm, PolicyBuilder, PolicyError, LaneSetting, TypMode};
//!
//! let mut b = PolicyBuilder::new();
//! b.set_issuer("https://issuer.example/")
//!     .add_audience("https://api.example")
//!     .add_algorithm(Algorithm::ES256)
//!     .add_required_scope("read:appointments")
//!     .set_typ_mode(TypMode::Strict)
//!     .set_leeway(60);
//! let api = b.build_access()?;
//! assert_eq!(api.required_scopes(), ["read:appointments"]);
//! assert_eq!(
//!     b.build_id().unwrap_err(),
//!     PolicyError::OtherLaneSetting(LaneSetting::Audience)
//! );
//! # Ok::<(), PolicyError>(())
//! ```

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use crate::alg::{Algorithm, AlgorithmSet};
use crate::error::Error;
use crate::keys::Key;
use crate::lane::access::{AccessPolicy, AccessToken, TypMode};
use crate::lane::id::{IdChecks, IdPolicy, IdToken};
use crate::lane::introspection::IntrospectionAudience;
use crate::lane::witness::SignatureWitness;
use crate::lane::{Common, LaneSetting, PolicyError};
use crate::time::UnixTime;
use crate::Backend;

/// The settings of a policy under construction, for either lane: issuer,
/// audiences or client_id, algorithms, required scopes, typ mode, leeway,
/// size limit, backend. Setters only record; every check happens in
/// [`Self::build_access`] / [`Self::build_id`], so the builder can be
/// filled in any order and reused for several policies.
#[derive(Debug, Clone, Default)]
pub struct PolicyBuilder {
    issuer: String,
    audiences: Vec<String>,
    client_id: Option<String>,
    algorithms: AlgorithmSet,
    scopes: Vec<String>,
    typ: Option<TypMode>,
    introspection_aud: Option<IntrospectionAudience>,
    leeway: u64,
    max_token_bytes: Option<usize>,
    backend: Option<Backend>,
}

impl PolicyBuilder {
    /// An empty builder: no issuer, audience, client_id or algorithm,
    /// leeway 0, strict typ, the default size limit and backend.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the issuer `iss` must equal exactly.
    pub fn set_issuer(&mut self, issuer: &str) -> &mut Self {
        issuer.clone_into(&mut self.issuer);
        self
    }

    /// Adds an audience (access lane): `aud` must contain one of them.
    pub fn add_audience(&mut self, audience: &str) -> &mut Self {
        self.audiences.push(audience.to_owned());
        self
    }

    /// Sets the client_id (ID lane).
    pub fn set_client_id(&mut self, client_id: &str) -> &mut Self {
        self.client_id = Some(client_id.to_owned());
        self
    }

    /// Allows one more algorithm.
    pub fn add_algorithm(&mut self, alg: Algorithm) -> &mut Self {
        self.algorithms = self.algorithms.with(alg);
        self
    }

    /// Replaces the allowed algorithms.
    pub fn set_algorithms(&mut self, algorithms: AlgorithmSet) -> &mut Self {
        self.algorithms = algorithms;
        self
    }

    /// Adds a scope every accepted access token must grant (access lane).
    pub fn add_required_scope(&mut self, scope: &str) -> &mut Self {
        self.scopes.push(scope.to_owned());
        self
    }

    /// Sets the typ mode (access lane; default strict).
    pub fn set_typ_mode(&mut self, typ: TypMode) -> &mut Self {
        self.typ = Some(typ);
        self
    }

    /// Sets whether an introspection response must carry `aud` (access
    /// lane; default [`IntrospectionAudience::Required`]; see
    /// [`AccessPolicy::with_introspection_audience`]). No effect on JWTs.
    pub fn set_introspection_audience(&mut self, rule: IntrospectionAudience) -> &mut Self {
        self.introspection_aud = Some(rule);
        self
    }

    /// Sets the clock-skew leeway in seconds (checked when built: at most
    /// [`crate::time::MAX_LEEWAY_SECS`]).
    pub fn set_leeway(&mut self, secs: u64) -> &mut Self {
        self.leeway = secs;
        self
    }

    /// Sets the token size limit (checked when built: 1 to
    /// [`crate::limits::MAX_TOKEN_BYTES_LIMIT`]).
    pub fn set_max_token_bytes(&mut self, n: usize) -> &mut Self {
        self.max_token_bytes = Some(n);
        self
    }

    /// Chooses the verification backend (default [`Backend::DEFAULT`]).
    pub fn set_backend(&mut self, backend: Backend) -> &mut Self {
        self.backend = Some(backend);
        self
    }

    /// The common settings, checked (issuer, algorithms, leeway, size).
    fn common(&self) -> Result<Common<'_>, PolicyError> {
        let mut c = Common::new(&self.issuer, self.algorithms)?;
        c.set_leeway(self.leeway)?;
        if let Some(n) = self.max_token_bytes {
            c.set_max_token_bytes(n)?;
        }
        if let Some(b) = self.backend {
            c.backend = b;
        }
        Ok(c)
    }

    /// Checks the settings for the access lane and copies them into an
    /// [`OwnedAccessPolicy`].
    ///
    /// Errors, in this order: `OtherLaneSetting(ClientId)`; then as
    /// [`AccessPolicy::new`] and its setters: `NoAudience` (none, or an empty
    /// one), `EmptyIssuer`, `NoAlgorithm`, `InvalidScope`, `LeewayTooLarge`,
    /// `MaxTokenBytes`.
    pub fn build_access(&self) -> Result<OwnedAccessPolicy, PolicyError> {
        if self.client_id.is_some() {
            return Err(PolicyError::OtherLaneSetting(LaneSetting::ClientId));
        }
        // The borrowed constructor's checks (audiences, issuer, algorithms),
        // the required scopes', then leeway and size.
        AccessPolicy::new(&self.issuer, &self.audiences, self.algorithms)?
            .with_required_scopes(&self.scopes)?;
        let common = self.common()?;
        Ok(OwnedAccessPolicy {
            settings: Settings::of(&common),
            issuer: self.issuer.clone(),
            audiences: self.audiences.clone(),
            scopes: self.scopes.clone(),
            typ: self.typ.unwrap_or_default(),
            introspection_aud: self.introspection_aud.unwrap_or_default(),
        })
    }

    /// Checks the settings for the ID lane and copies them into an
    /// [`OwnedIdPolicy`].
    ///
    /// Errors, in this order: `OtherLaneSetting(Audience | RequiredScope |
    /// TypMode | IntrospectionAudience)`; then as [`IdPolicy::new`] and its setters: `NoAudience`
    /// (no or an empty client_id), `EmptyIssuer`, `NoAlgorithm`,
    /// `LeewayTooLarge`, `MaxTokenBytes`.
    pub fn build_id(&self) -> Result<OwnedIdPolicy, PolicyError> {
        let other = if !self.audiences.is_empty() {
            Some(LaneSetting::Audience)
        } else if !self.scopes.is_empty() {
            Some(LaneSetting::RequiredScope)
        } else if self.typ.is_some() {
            Some(LaneSetting::TypMode)
        } else if self.introspection_aud.is_some() {
            Some(LaneSetting::IntrospectionAudience)
        } else {
            None
        };
        if let Some(setting) = other {
            return Err(PolicyError::OtherLaneSetting(setting));
        }
        let client_id = self.client_id.clone().unwrap_or_default();
        IdPolicy::new(&self.issuer, &client_id, self.algorithms)?;
        let common = self.common()?;
        Ok(OwnedIdPolicy {
            settings: Settings::of(&common),
            issuer: self.issuer.clone(),
            client_id,
        })
    }
}

/// The checked scalar settings of a [`Common`], kept without its borrowed
/// issuer.
#[derive(Debug, Clone, Copy)]
struct Settings {
    algorithms: AlgorithmSet,
    leeway: u64,
    max_token_bytes: usize,
    backend: Backend,
}

impl Settings {
    fn of(c: &Common<'_>) -> Self {
        Self {
            algorithms: c.algorithms,
            leeway: c.leeway,
            max_token_bytes: c.max_token_bytes,
            backend: c.backend,
        }
    }

    /// The [`Common`] again, around `issuer` (no checks: they were made
    /// when these settings were).
    fn common<'a>(&self, issuer: &'a str) -> Common<'a> {
        Common {
            issuer,
            algorithms: self.algorithms,
            leeway: self.leeway,
            max_token_bytes: self.max_token_bytes,
            backend: self.backend,
        }
    }
}

/// An access-lane policy that owns its strings: checked once by
/// [`PolicyBuilder::build_access`], then immutable. `Send + Sync`, so one
/// can serve every thread of a server.
#[derive(Debug, Clone)]
pub struct OwnedAccessPolicy {
    settings: Settings,
    issuer: String,
    audiences: Vec<String>,
    scopes: Vec<String>,
    typ: TypMode,
    introspection_aud: IntrospectionAudience,
}

impl OwnedAccessPolicy {
    /// The borrowed [`AccessPolicy`] over these settings: references only,
    /// no checks (they were made when this policy was built), no heap.
    pub fn policy(&self) -> AccessPolicy<'_, String> {
        AccessPolicy::from_checked(
            self.settings.common(&self.issuer),
            &self.audiences,
            &self.scopes,
            self.typ,
        )
        .with_introspection_audience(self.introspection_aud)
    }

    /// Validates an access token at `now`, as [`AccessPolicy::validate`].
    pub fn validate<'s>(
        &self,
        token: &[u8],
        keys: &[Key],
        now: UnixTime,
        scratch: &'s mut [u8],
    ) -> Result<AccessToken<'s>, Error> {
        self.policy().validate(token, keys, now, scratch)
    }

    /// As [`AccessPolicy::validate_remembering`]: validation, and with an
    /// accepted token its [`SignatureWitness`].
    pub fn validate_remembering<'s>(
        &self,
        token: &[u8],
        keys: &[Key],
        now: UnixTime,
        scratch: &'s mut [u8],
    ) -> Result<(AccessToken<'s>, SignatureWitness), Error> {
        self.policy()
            .validate_remembering(token, keys, now, scratch)
    }

    /// As [`AccessPolicy::validate_witnessed`]: every rule but the
    /// signature, which `witness` stands for (a token whose bytes are not
    /// the witness's is `invalid_signature`).
    pub fn validate_witnessed<'s>(
        &self,
        token: &[u8],
        witness: &SignatureWitness,
        now: UnixTime,
        scratch: &'s mut [u8],
    ) -> Result<AccessToken<'s>, Error> {
        self.policy()
            .validate_witnessed(token, witness, now, scratch)
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audiences, in the order they were added.
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// The required scopes, in the order they were added (for the `scope`
    /// of an `insufficient_scope` challenge).
    pub fn required_scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The token size limit in force.
    pub fn max_token_bytes(&self) -> usize {
        self.settings.max_token_bytes
    }
}

/// An ID-lane policy that owns its strings: checked once by
/// [`PolicyBuilder::build_id`], then immutable.
#[derive(Debug, Clone)]
pub struct OwnedIdPolicy {
    settings: Settings,
    issuer: String,
    client_id: String,
}

impl OwnedIdPolicy {
    /// The borrowed [`IdPolicy`] over these settings (references only, no
    /// checks, no heap).
    pub fn policy(&self) -> IdPolicy<'_> {
        IdPolicy::from_checked(self.settings.common(&self.issuer), &self.client_id)
    }

    /// Validates an ID token at `now` with the per-login `checks`, as
    /// [`IdPolicy::validate`].
    pub fn validate<'s>(
        &self,
        token: &[u8],
        keys: &[Key],
        now: UnixTime,
        checks: &IdChecks<'_>,
        scratch: &'s mut [u8],
    ) -> Result<IdToken<'s>, Error> {
        self.policy().validate(token, keys, now, checks, scratch)
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The client_id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The token size limit in force.
    pub fn max_token_bytes(&self) -> usize {
        self.settings.max_token_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access() -> PolicyBuilder {
        let mut b = PolicyBuilder::new();
        b.set_issuer("https://issuer.example/")
            .add_audience("https://api.example")
            .add_algorithm(Algorithm::ES256);
        b
    }

    #[test]
    fn lane_mixes_are_policy_errors_checked_first() {
        let mut b = access();
        b.set_client_id("app").set_leeway(u64::MAX);
        assert_eq!(
            b.build_access().unwrap_err(),
            PolicyError::OtherLaneSetting(LaneSetting::ClientId)
        );
        assert_eq!(
            b.build_id().unwrap_err(),
            PolicyError::OtherLaneSetting(LaneSetting::Audience)
        );
        let mut id = PolicyBuilder::new();
        id.set_issuer("i")
            .set_client_id("app")
            .add_algorithm(Algorithm::RS256);
        assert!(id.build_id().is_ok());
        id.add_required_scope("read");
        assert_eq!(
            id.build_id().unwrap_err(),
            PolicyError::OtherLaneSetting(LaneSetting::RequiredScope)
        );
        let mut id2 = PolicyBuilder::new();
        id2.set_issuer("i")
            .set_client_id("app")
            .set_typ_mode(TypMode::Compat);
        assert_eq!(
            id2.build_id().unwrap_err(),
            PolicyError::OtherLaneSetting(LaneSetting::TypMode)
        );
        let mut id3 = PolicyBuilder::new();
        id3.set_issuer("i")
            .set_client_id("app")
            .set_introspection_audience(IntrospectionAudience::AllowAbsent);
        assert_eq!(
            id3.build_id().unwrap_err(),
            PolicyError::OtherLaneSetting(LaneSetting::IntrospectionAudience)
        );
    }

    #[test]
    fn the_introspection_audience_rule_reaches_the_owned_policy() {
        // node-oidc-provider's refresh-token answer: active, no aud.
        let body = br#"{"active":true,"exp":2000000000,"scope":"read"}"#;
        let decide = |b: &PolicyBuilder| {
            let p = b.build_access().unwrap();
            let mut scratch = [0u8; 64];
            p.policy()
                .validate_introspection(body, UnixTime::from_secs(1_000), &mut scratch)
                .map(|_| ())
                .map_err(|e| e.kind())
        };
        let mut b = access();
        assert_eq!(decide(&b), Err(crate::ErrorCode::MissingClaim));
        b.set_introspection_audience(IntrospectionAudience::AllowAbsent);
        assert_eq!(decide(&b), Ok(()));
    }

    #[test]
    fn the_borrowed_checks_apply_once_when_built() {
        let mut b = access();
        b.set_leeway(86_401);
        assert_eq!(b.build_access().unwrap_err(), PolicyError::LeewayTooLarge);
        let mut b = access();
        b.set_max_token_bytes(0);
        assert_eq!(b.build_access().unwrap_err(), PolicyError::MaxTokenBytes);
        let mut b = access();
        b.add_audience("");
        assert_eq!(b.build_access().unwrap_err(), PolicyError::NoAudience);
        let mut b = PolicyBuilder::new();
        b.add_audience("a").add_algorithm(Algorithm::ES256);
        assert_eq!(b.build_access().unwrap_err(), PolicyError::EmptyIssuer);
        let mut b = PolicyBuilder::new();
        b.set_issuer("i").add_algorithm(Algorithm::ES256);
        assert_eq!(b.build_id().unwrap_err(), PolicyError::NoAudience);
        let mut b = access();
        b.set_algorithms(AlgorithmSet::default());
        assert_eq!(b.build_access().unwrap_err(), PolicyError::NoAlgorithm);
        let mut b = access();
        b.add_required_scope("read write");
        assert_eq!(b.build_access().unwrap_err(), PolicyError::InvalidScope);
    }

    #[test]
    fn the_owned_policy_keeps_what_was_set() {
        let mut b = access();
        b.add_required_scope("read").set_max_token_bytes(4096);
        let p = b.build_access().unwrap();
        assert_eq!(p.issuer(), "https://issuer.example/");
        assert_eq!(p.audiences(), ["https://api.example"]);
        assert_eq!(p.required_scopes(), ["read"]);
        assert_eq!(p.max_token_bytes(), 4096);
        assert_eq!(p.policy().max_token_bytes(), 4096);
        // Changing the builder afterwards does not change the built policy.
        b.set_issuer("other");
        assert_eq!(p.issuer(), "https://issuer.example/");
    }
}
