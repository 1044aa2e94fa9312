//! The two lanes: `AccessTokenValidator` → `AccessToken` (an API) and
//! `IdTokenValidator` → `IdToken` (a client app).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use tokenlane::{IdChecks, OwnedAccessPolicy, OwnedIdPolicy, PolicyBuilder, TypMode, UnixTime};

use crate::errors::NativeError;
use crate::input;
use crate::remote::{in_executor, Introspector, Keys, Routing};

// The signatures below spell the core's default `max_token_bytes` as a
// literal (so `help()` and the stubs show it); this keeps them equal.
const _: () = assert!(tokenlane::limits::DEFAULT_MAX_TOKEN_BYTES == 16384);

/// Parses the core's verified claims JSON into a new dict
/// (`tokenlane._claims.loads`: Python's `json`, with integers past CPython's
/// digit limit read as floats). The core's reader is strict RFC 8259, so
/// this does not fail; if it ever did, the caller gets a `Malformed`
/// `TokenError`, never another exception type.
fn parse_claims<'py>(py: Python<'py>, json: &str) -> PyResult<Bound<'py, PyDict>> {
    let parsed = py
        .import("tokenlane._claims")
        .and_then(|m| m.call_method1("loads", (json,)))
        .and_then(|obj| Ok(obj.cast_into::<PyDict>()?));
    parsed.map_err(|e| {
        NativeError::Token {
            error: tokenlane::Error::Malformed(tokenlane::Malformed::Json(tokenlane::Part::Claims)),
            scope: None,
        }
        .with_cause(py, e)
    })
}

// ---------------------------------------------------------------------------
// Access-token lane.

/// Validates access tokens for one API (RFC 9068): the issuer, audience(s),
/// algorithms, required scopes, typ mode, leeway and size limit are fixed
/// when it is built. Immutable; share one across threads.
#[pyclass(frozen, module = "tokenlane._native")]
pub(crate) struct AccessTokenValidator {
    /// A `KeySet`, a `KeySource` it follows, or none (introspection only).
    keys: Keys,
    /// The core's owned policy, checked once in `__new__`; shared with the
    /// validators `with_keys` makes.
    policy: Arc<OwnedAccessPolicy>,
    /// JWT, introspection or both (`remote.rs`).
    routing: Routing,
}

impl AccessTokenValidator {
    /// The key set and the policy, for the request lane (`request.rs`).
    pub(crate) fn parts(&self) -> (&Keys, &OwnedAccessPolicy) {
        (&self.keys, &self.policy)
    }

    fn check(&self, token: &[u8], now: UnixTime) -> Result<AccessToken, NativeError> {
        self.with_scope(self.routing.access(&self.keys, &self.policy, token, now))
    }

    /// Adds the required scopes to an `insufficient_scope` refusal.
    fn with_scope(&self, r: Result<AccessToken, NativeError>) -> Result<AccessToken, NativeError> {
        r.map_err(|e| match e {
            NativeError::Token { error, scope: None } => {
                let scopes = self.policy.required_scopes();
                NativeError::Token {
                    error,
                    scope: (!scopes.is_empty()).then(|| scopes.join(" ")),
                }
            }
            other => other,
        })
    }
}

#[pymethods]
impl AccessTokenValidator {
    #[new]
    #[pyo3(signature = (
        keys, *, issuer, audience, algorithms, leeway=0, required_scopes=Vec::new(),
        typ="strict".to_owned(), max_token_bytes=16384, introspection=None, path=None,
        introspection_audience="required".to_owned()
    ))]
    #[pyo3(
        text_signature = "(keys, *, issuer, audience, algorithms, leeway=0, required_scopes=(), typ='strict', max_token_bytes=16384, introspection=None, path=None, introspection_audience='required')"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        keys: &Bound<'_, PyAny>,
        issuer: String,
        audience: &Bound<'_, PyAny>,
        algorithms: Vec<String>,
        leeway: i128,
        required_scopes: Vec<String>,
        typ: String,
        max_token_bytes: i128,
        introspection: Option<&Bound<'_, Introspector>>,
        path: Option<String>,
        introspection_audience: String,
    ) -> PyResult<Self> {
        let typ = match typ.as_str() {
            "strict" => TypMode::Strict,
            "compat" => TypMode::Compat,
            other => {
                return Err(NativeError::Config(format!(
                    "typ must be \"strict\" or \"compat\", not {other:?}"
                ))
                .into())
            }
        };
        // Converted in the order the arguments are documented, so the first
        // bad one is the one reported.
        let audiences = input::strings(audience, "audience", true)?;
        let mut b = PolicyBuilder::new();
        b.set_issuer(&issuer)
            .set_algorithms(input::algorithms(&algorithms)?)
            .set_typ_mode(typ)
            .set_leeway(input::bounded(leeway, "leeway")?)
            .set_max_token_bytes(input::bounded(max_token_bytes, "max_token_bytes")?);
        for a in &audiences {
            b.add_audience(a);
        }
        for s in &required_scopes {
            b.add_required_scope(s);
        }
        let policy = b.build_access().map_err(NativeError::from)?;
        let keys = Keys::extract(keys, true)?;
        let routing = Routing::new(
            &keys,
            introspection,
            path.as_deref(),
            &introspection_audience,
        )?;
        Ok(Self {
            keys,
            policy: Arc::new(policy),
            routing,
        })
    }

    /// Validates `token` (`str` or `bytes`) at `now` (seconds since the
    /// epoch; `None` reads the system clock). Returns the `AccessToken` or
    /// raises a `TokenError` subclass. The GIL is released while the core
    /// works.
    #[pyo3(signature = (token, now=None))]
    fn validate(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<AccessToken> {
        let token = input::token(token, "token")?;
        let now = input::now(now)?;
        let token: &[u8] = &token;
        Ok(py.detach(|| self.check(token, now))?)
    }

    /// `validate` on the running asyncio loop's default executor: `await
    /// validator.validate_async(token)` never blocks the loop, even while
    /// a key source fetches or an introspection request is in flight.
    #[pyo3(signature = (token, now=None))]
    fn validate_async<'py>(
        slf: &Bound<'py, Self>,
        token: Bound<'py, PyAny>,
        now: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let now = now.unwrap_or_else(|| py.None().into_bound(py));
        in_executor(
            slf.getattr("validate")?,
            PyTuple::new(py, [token, now])?,
            None,
        )
    }

    /// Decides an RFC 7662 introspection response (the endpoint's JSON
    /// body, `str` or `bytes`) with this validator's issuer, audiences,
    /// scopes, leeway and `introspection_audience`: the core's
    /// `validate_introspection`, no I/O. Returns the `AccessToken` or
    /// raises the core's `TokenError` (`malformed` for a body that is not
    /// one strict JSON object; `token_too_large` over 64 KiB).
    #[pyo3(signature = (response, now=None))]
    fn validate_introspection(
        &self,
        py: Python<'_>,
        response: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<AccessToken> {
        let response = input::text_or_bytes(response, "response")?;
        let now = input::now(now)?;
        let response: &[u8] = &response;
        Ok(py.detach(|| self.with_scope(self.routing.decide(&self.policy, response, now)))?)
    }

    /// Decides one HTTP request (the core's `tokenlane::request::authorize`):
    /// the one `Authorization` credential (`Bearer`, or `DPoP` when `dpop`
    /// allows it), the DPoP proof of the `DPoP` header, the access token,
    /// and its `cnf` binding (`jkt` to the proof key, `x5t#S256` to
    /// `client_cert_sha256`). Returns an `AuthorizedRequest`; a refusal
    /// raises the code's `TokenError` subclass carrying `challenge` (the
    /// `WWW-Authenticate` value, with `realm` and, when given, the RFC 9728
    /// `resource_metadata` URL on every scheme), `dpop_nonce` and `headers`.
    /// Through a `KeySource`, a `kid` the current keys lack fetches (outside
    /// the cooldown) and the request is decided once more, as `validate`
    /// does. (The core consults the DPoP replay store last, after the
    /// token, so the first decision recorded nothing; should a proof ever
    /// have reached the store, the request is not decided twice.)
    /// Implemented in `request.rs`; the GIL is released while the core
    /// works (a Python replay or nonce hook takes it back for its call).
    #[pyo3(signature = (
        method, url, headers, *, dpop=None, client_cert_sha256=None, realm=None,
        resource_metadata=None, now=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn authorize(
        &self,
        py: Python<'_>,
        method: &str,
        url: &str,
        headers: &Bound<'_, PyAny>,
        dpop: Option<&Bound<'_, crate::request::DpopPolicy>>,
        client_cert_sha256: Option<&Bound<'_, PyAny>>,
        realm: Option<&str>,
        resource_metadata: Option<&str>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<crate::request::AuthorizedRequest> {
        crate::request::authorize(
            self,
            py,
            method,
            url,
            headers,
            dpop,
            client_cert_sha256,
            realm,
            resource_metadata,
            now,
            true,
        )
        .and_then(|done| {
            // A waiting decision always decides.
            done.ok_or_else(|| {
                pyo3::exceptions::PyRuntimeError::new_err("authorize did not decide")
            })
        })
    }

    /// `authorize` that never waits on the network: the same decision, or
    /// `None` when deciding would have to wait (a key source whose keys are
    /// not fresh, or a token whose `kid` its keys lack, which may fetch).
    /// An event-loop server calls it inline and, on `None`, calls
    /// `authorize` on a thread. With a `KeySet` it never answers `None`.
    /// Nothing is recorded when it answers `None` (the core consults the
    /// DPoP replay store last, after the token); a request whose proof did
    /// reach the store is always decided, never answered `None`.
    #[pyo3(signature = (
        method, url, headers, *, dpop=None, client_cert_sha256=None, realm=None,
        resource_metadata=None, now=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn try_authorize(
        &self,
        py: Python<'_>,
        method: &str,
        url: &str,
        headers: &Bound<'_, PyAny>,
        dpop: Option<&Bound<'_, crate::request::DpopPolicy>>,
        client_cert_sha256: Option<&Bound<'_, PyAny>>,
        realm: Option<&str>,
        resource_metadata: Option<&str>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<crate::request::AuthorizedRequest>> {
        crate::request::authorize(
            self,
            py,
            method,
            url,
            headers,
            dpop,
            client_cert_sha256,
            realm,
            resource_metadata,
            now,
            false,
        )
    }

    /// A validator with the same configuration and other keys (a `KeySet`
    /// or a `KeySource`; key rotation with a `KeySet`: build it, then swap
    /// the reference your code uses).
    fn with_keys(&self, keys: &Bound<'_, PyAny>) -> PyResult<Self> {
        let keys = Keys::extract(keys, false)?;
        Ok(Self {
            routing: self.routing.with_keys(&keys)?,
            keys,
            policy: Arc::clone(&self.policy),
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "<AccessTokenValidator issuer={:?} audience={:?}>",
            self.policy.issuer(),
            self.policy.audiences()
        )
    }
}

/// A verified access token (RFC 9068). Every attribute comes from a token
/// whose signature, issuer, audience, times, type and scopes were checked.
///
/// Held as one string (the verified claims JSON, then a copy of each
/// string claim that is not plain text inside it, i.e. had escapes) and
/// spans into it, so building one costs two allocations, not one per
/// claim; the attributes make their Python values when read, as before.
#[pyclass(frozen, module = "tokenlane._native")]
pub(crate) struct AccessToken {
    /// The claims JSON (`..json_len`), then the unescaped string claims.
    text: String,
    json_len: usize,
    sub: Option<Span>,
    client_id: Option<Span>,
    iss: Span,
    jti: Option<Span>,
    /// The `aud` values (`..n_aud`), then the scopes.
    lists: Vec<Span>,
    n_aud: usize,
    exp: u64,
    iat: Option<u64>,
    nbf: Option<u64>,
    alg: &'static str,
}

/// A byte range of an [`AccessToken`]'s `text`.
type Span = (usize, usize);

/// Builds the `text` of an [`AccessToken`]: the claims JSON, plus any
/// string that is not a slice of it.
struct Text<'j> {
    json: &'j str,
    text: String,
}

impl<'j> Text<'j> {
    fn new(json: &'j str) -> Self {
        let mut text = String::with_capacity(json.len() + 64);
        text.push_str(json);
        Self { json, text }
    }

    /// Where `s` is in the text: its place inside the JSON when it is a
    /// slice of it (a claim without escapes), else appended.
    fn span(&mut self, s: &str) -> Span {
        let (base, at) = (self.json.as_ptr().addr(), s.as_ptr().addr());
        if let Some(off) = at.checked_sub(base) {
            if off
                .checked_add(s.len())
                .is_some_and(|end| end <= self.json.len())
            {
                return (off, off + s.len());
            }
        }
        let start = self.text.len();
        self.text.push_str(s);
        (start, self.text.len())
    }
}

impl AccessToken {
    pub(crate) fn from_core(t: &tokenlane::AccessToken<'_>) -> Self {
        let mut text = Text::new(t.claims_json());
        let sub = t.sub().map(|s| text.span(s));
        let client_id = t.client_id().map(|s| text.span(s));
        let iss = text.span(t.iss());
        let jti = t.jti().map(|s| text.span(s));
        let mut lists: Vec<Span> = t.aud().iter().map(|s| text.span(s)).collect();
        let n_aud = lists.len();
        lists.extend(t.scopes().iter().map(|s| text.span(s)));
        Self {
            json_len: text.json.len(),
            text: text.text,
            sub,
            client_id,
            iss,
            jti,
            lists,
            n_aud,
            exp: t.exp(),
            iat: t.iat(),
            nbf: t.nbf(),
            alg: t.alg().map_or("", |a| a.name()),
        }
    }

    fn str_at(&self, (start, end): Span) -> &str {
        self.text.get(start..end).unwrap_or("")
    }
}

#[pymethods]
impl AccessToken {
    /// `sub` (always present in strict mode).
    #[getter]
    fn sub(&self) -> Option<&str> {
        self.sub.map(|s| self.str_at(s))
    }

    /// `client_id` (always present in strict mode).
    #[getter]
    fn client_id(&self) -> Option<&str> {
        self.client_id.map(|s| self.str_at(s))
    }

    /// `iss`.
    #[getter]
    fn iss(&self) -> &str {
        self.str_at(self.iss)
    }

    /// `aud`, as a list even when the token has one string.
    #[getter]
    fn aud(&self) -> Vec<&str> {
        let aud = self.lists.get(..self.n_aud).unwrap_or_default();
        aud.iter().map(|s| self.str_at(*s)).collect()
    }

    /// The granted scopes (`scope`, or `scp`), in token order.
    #[getter]
    fn scopes(&self) -> Vec<&str> {
        let scopes = self.lists.get(self.n_aud..).unwrap_or_default();
        scopes.iter().map(|s| self.str_at(*s)).collect()
    }

    /// `exp`.
    #[getter]
    fn exp(&self) -> u64 {
        self.exp
    }

    /// `iat` (always present in strict mode).
    #[getter]
    fn iat(&self) -> Option<u64> {
        self.iat
    }

    /// `nbf`, if present.
    #[getter]
    fn nbf(&self) -> Option<u64> {
        self.nbf
    }

    /// `jti` (always present in strict mode).
    #[getter]
    fn jti(&self) -> Option<&str> {
        self.jti.map(|s| self.str_at(s))
    }

    /// The algorithm the signature was verified with.
    #[getter]
    fn alg(&self) -> &'static str {
        self.alg
    }

    /// Every claim, as the verified JSON text.
    #[getter]
    fn claims_json(&self) -> &str {
        self.text.get(..self.json_len).unwrap_or("")
    }

    /// Every claim, as a new dict (parsed from `claims_json`).
    #[getter]
    fn claims<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        parse_claims(py, self.claims_json())
    }

    /// Whether `scope` is one of the granted scopes (whole-word match).
    fn has_scope(&self, scope: &Bound<'_, pyo3::types::PyString>) -> PyResult<bool> {
        let scope = scope.to_cow()?;
        let scopes = self.lists.get(self.n_aud..).unwrap_or_default();
        Ok(scopes.iter().any(|s| self.str_at(*s) == &*scope))
    }

    fn __repr__(&self) -> String {
        format!(
            "<AccessToken sub={:?} client_id={:?} iss={:?}>",
            self.sub(),
            self.client_id(),
            self.iss()
        )
    }
}

// ---------------------------------------------------------------------------
// ID-token lane.

/// Validates OpenID Connect ID tokens for one client app (OIDC Core
/// §3.1.3.7). Immutable; share one across threads.
#[pyclass(frozen, module = "tokenlane._native")]
pub(crate) struct IdTokenValidator {
    /// A `KeySet` or a `KeySource` it follows.
    keys: Keys,
    /// The core's owned policy, checked once in `__new__`.
    policy: Arc<OwnedIdPolicy>,
}

impl IdTokenValidator {
    fn check(
        &self,
        token: &[u8],
        now: UnixTime,
        checks: &IdChecks<'_>,
    ) -> Result<IdToken, NativeError> {
        self.keys.id(&self.policy, token, now, checks)
    }
}

#[pymethods]
impl IdTokenValidator {
    #[new]
    #[pyo3(signature = (
        keys, *, issuer, client_id, algorithms, leeway=0, max_token_bytes=16384
    ))]
    fn new(
        keys: &Bound<'_, PyAny>,
        issuer: String,
        client_id: String,
        algorithms: Vec<String>,
        leeway: i128,
        max_token_bytes: i128,
    ) -> PyResult<Self> {
        let mut b = PolicyBuilder::new();
        b.set_issuer(&issuer)
            .set_client_id(&client_id)
            .set_algorithms(input::algorithms(&algorithms)?)
            .set_leeway(input::bounded(leeway, "leeway")?)
            .set_max_token_bytes(input::bounded(max_token_bytes, "max_token_bytes")?);
        let policy = b.build_id().map_err(NativeError::from)?;
        Ok(Self {
            keys: Keys::extract(keys, false)?,
            policy: Arc::new(policy),
        })
    }

    /// Validates the ID token `token` at `now` (`None` reads the clock)
    /// with the per-login checks: `nonce` (the one sent in the
    /// authentication request), `max_age` (seconds), `access_token` (the
    /// one issued with it, for `at_hash`). Returns the `IdToken` or raises
    /// a `TokenError` subclass. The GIL is released while the core works.
    #[pyo3(signature = (token, *, nonce=None, max_age=None, access_token=None, now=None))]
    fn validate(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        nonce: Option<String>,
        max_age: Option<&Bound<'_, PyAny>>,
        access_token: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<IdToken> {
        let token = input::token(token, "token")?;
        let max_age = match max_age {
            Some(m) if !m.is_none() => Some(input::non_negative(m, "max_age")?),
            _ => None,
        };
        let access_token = match access_token {
            Some(a) if !a.is_none() => Some(input::text_or_bytes(a, "access_token")?),
            _ => None,
        };
        let now = input::now(now)?;
        let token: &[u8] = &token;
        let checks = IdChecks {
            nonce: nonce.as_deref(),
            max_age,
            access_token: access_token.as_deref(),
        };
        Ok(py.detach(|| self.check(token, now, &checks))?)
    }

    /// `validate` on the running asyncio loop's default executor (see
    /// `AccessTokenValidator.validate_async`).
    #[pyo3(signature = (token, *, nonce=None, max_age=None, access_token=None, now=None))]
    fn validate_async<'py>(
        slf: &Bound<'py, Self>,
        token: Bound<'py, PyAny>,
        nonce: Option<Bound<'py, PyAny>>,
        max_age: Option<Bound<'py, PyAny>>,
        access_token: Option<Bound<'py, PyAny>>,
        now: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let kwargs = PyDict::new(py);
        kwargs.set_item("nonce", nonce)?;
        kwargs.set_item("max_age", max_age)?;
        kwargs.set_item("access_token", access_token)?;
        kwargs.set_item("now", now)?;
        in_executor(
            slf.getattr("validate")?,
            PyTuple::new(py, [token])?,
            Some(kwargs),
        )
    }

    /// A validator with the same configuration and other keys (a `KeySet`
    /// or a `KeySource`).
    fn with_keys(&self, keys: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            keys: Keys::extract(keys, false)?,
            policy: Arc::clone(&self.policy),
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "<IdTokenValidator issuer={:?} client_id={:?}>",
            self.policy.issuer(),
            self.policy.client_id()
        )
    }
}

/// A verified OpenID Connect ID token. It has no scope API at all: scopes
/// belong to access tokens.
#[pyclass(frozen, module = "tokenlane._native")]
pub(crate) struct IdToken {
    /// `sub`.
    #[pyo3(get)]
    sub: String,
    /// `iss`.
    #[pyo3(get)]
    iss: String,
    /// `aud`, as a list.
    #[pyo3(get)]
    aud: Vec<String>,
    /// `exp`.
    #[pyo3(get)]
    exp: u64,
    /// `iat`.
    #[pyo3(get)]
    iat: u64,
    /// `auth_time`, if present.
    #[pyo3(get)]
    auth_time: Option<u64>,
    /// `nonce`, if present.
    #[pyo3(get)]
    nonce: Option<String>,
    /// `azp`, if present.
    #[pyo3(get)]
    azp: Option<String>,
    /// `name`, if present and a string.
    #[pyo3(get)]
    name: Option<String>,
    /// `email`, if present and a string.
    #[pyo3(get)]
    email: Option<String>,
    /// Every claim, as the verified JSON text.
    #[pyo3(get)]
    claims_json: String,
}

impl IdToken {
    pub(crate) fn from_core(t: &tokenlane::IdToken<'_>) -> Self {
        Self {
            sub: t.sub().to_owned(),
            iss: t.iss().to_owned(),
            aud: t.aud().iter().map(str::to_owned).collect(),
            exp: t.exp(),
            iat: t.iat(),
            auth_time: t.auth_time(),
            nonce: t.nonce().map(str::to_owned),
            azp: t.azp().map(str::to_owned),
            name: t.name().map(str::to_owned),
            email: t.email().map(str::to_owned),
            claims_json: t.claims_json().to_owned(),
        }
    }
}

#[pymethods]
impl IdToken {
    /// Every claim, as a new dict (parsed from `claims_json`).
    #[getter]
    fn claims<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        parse_claims(py, &self.claims_json)
    }

    fn __repr__(&self) -> String {
        format!("<IdToken sub={:?} iss={:?}>", self.sub, self.iss)
    }
}
