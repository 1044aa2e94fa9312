//! The request around the token: the `Authorization` header, parsed by the
//! core's `tokenlane::request::bearer_token` (one rule for every front end),
//! and the request lane (`AccessTokenValidator.authorize`: Bearer, DPoP,
//! certificate-bound tokens), decided by the core's
//! `tokenlane::request::authorize`. This module only converts: the headers
//! of a Python request into the core's `RequestFacts`, the core's verdict
//! into an `AuthorizedRequest` or an exception that carries the core's
//! challenge, and Python replay/nonce objects into the core's `ProofHooks`.

use core::cell::RefCell;
use std::sync::Arc;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tokenlane::dpop::{
    MemoryReplayStore, ProofHooks, ProofPolicy, Replay, Thumbprint, DEFAULT_MAX_PROOF_BYTES,
    DEFAULT_REPLAY_CAPACITY,
};
use tokenlane::request::{DpopMode, RequestFacts, Scheme};
use tokenlane::UnixTime;

use crate::errors::NativeError;
use crate::input;
use crate::lanes::{AccessToken, AccessTokenValidator};

// The signatures below spell the core's defaults as literals (so `help()`
// and the stubs show them); these keep them equal.
const _: () = assert!(DEFAULT_MAX_PROOF_BYTES == 8192);
const _: () = assert!(DEFAULT_REPLAY_CAPACITY == 100_000);
const _: () = assert!(tokenlane::dpop::DEFAULT_IAT_WINDOW_SECS == 60);

/// The Bearer token of an `Authorization` header value (RFC 6750 §2.1),
/// found by the core: `str`, `bytes` or `bytearray` (a `str` is read as
/// UTF-8), or `None` when the request has no such header.
///
/// Raises `MissingToken` (no Bearer credential: `None`, empty, another
/// scheme) or `InvalidRequest` (not one well-formed Bearer credential), and
/// `TypeError` for any other type.
#[pyfunction]
#[pyo3(signature = (authorization))]
pub(crate) fn bearer_token(authorization: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    let value = match authorization {
        Some(v) if !v.is_none() => Some(input::text_or_bytes(v, "authorization")?),
        _ => None,
    };
    let token = tokenlane::request::bearer_token(value.as_deref()).map_err(NativeError::from)?;
    Ok(token.to_owned())
}

// ---------------------------------------------------------------------------
// Replay store and DPoP policy.

/// A bounded in-memory DPoP replay store for one process (the core's
/// `MemoryReplayStore`): it remembers each proof's `(jkt, jti)` until
/// `iat + iat_window` and never forgets a live one earlier. When it holds
/// `capacity` live proofs, a new proof is refused with `ReplayCheckFailed`
/// (HTTP 500), never accepted and never let in by evicting a live entry.
/// Thread-safe; share one between the policies of a process. Several
/// processes or replicas need a shared store: pass a callable instead.
#[pyclass(frozen, module = "tokenlane._native")]
pub(crate) struct ReplayStore {
    inner: Arc<MemoryReplayStore>,
}

#[pymethods]
impl ReplayStore {
    #[new]
    #[pyo3(signature = (capacity=100_000, *, iat_window=60))]
    fn new(capacity: i128, iat_window: i128) -> PyResult<Self> {
        let capacity: usize = input::bounded(capacity, "capacity")?;
        if capacity == 0 {
            return Err(NativeError::Config("capacity must be at least 1".to_owned()).into());
        }
        let iat_window: u64 = input::bounded(iat_window, "iat_window")?;
        Ok(Self {
            inner: Arc::new(MemoryReplayStore::new(capacity, iat_window)),
        })
    }

    /// The most live proofs it holds.
    #[getter]
    fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    /// The seconds each side of `iat` it remembers a proof for.
    #[getter]
    fn iat_window(&self) -> u64 {
        self.inner.iat_window()
    }

    /// Entries held (live, or expired and not yet swept).
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "<ReplayStore capacity={} iat_window={} len={}>",
            self.inner.capacity(),
            self.inner.iat_window(),
            self.inner.len()
        )
    }
}

/// Stateless DPoP server nonces (RFC 9449 §8; the core's `NonceIssuer`):
/// the nonce of time bucket `now // bucket_secs` is an HMAC-SHA256 of the
/// bucket under `key` (at least 32 bytes, from a CSPRNG, shared by the
/// replicas), base64url. The current and the previous bucket's nonces are
/// accepted (constant-time), so every process or replica made with the same
/// key and bucket checks every other's nonces with no shared state.
/// Satisfies the `nonce=` protocol of `DpopPolicy` (`issue(now)`,
/// `check(nonce, now)`); given there, it runs in the core without the GIL,
/// and an accepted request that used the previous bucket's nonce gets a
/// fresh one in `AuthorizedRequest.dpop_nonce`. Immutable, thread-safe.
#[pyclass(frozen, module = "tokenlane._native")]
pub(crate) struct NonceIssuer {
    inner: Arc<tokenlane::nonce::NonceIssuer>,
}

#[pymethods]
impl NonceIssuer {
    #[new]
    #[pyo3(signature = (key, *, bucket_secs=300))]
    fn new(key: &Bound<'_, PyAny>, bucket_secs: i128) -> PyResult<Self> {
        let key = key
            .cast::<pyo3::types::PyBytes>()
            .map_err(|_| PyTypeError::new_err("key must be bytes (at least 32, from a CSPRNG)"))?;
        let bucket: u64 = input::bounded(bucket_secs, "bucket_secs")?;
        let inner = tokenlane::nonce::NonceIssuer::new(key.as_bytes(), bucket)
            .map_err(|e| NativeError::Config(e.to_string()))?;
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The bucket length in seconds.
    #[getter]
    fn bucket_secs(&self) -> u64 {
        self.inner.bucket_secs()
    }

    /// The nonce to hand out at `now` (Unix seconds): the current bucket's.
    #[pyo3(signature = (now, /))]
    fn issue(&self, now: i128) -> PyResult<String> {
        let now: u64 = input::bounded(now, "now")?;
        Ok(self
            .inner
            .issue(UnixTime::from_secs(now))
            .as_str()
            .to_owned())
    }

    /// Whether `nonce` is the current or the previous bucket's at `now`.
    #[pyo3(signature = (nonce, now, /))]
    fn check(&self, nonce: &str, now: i128) -> PyResult<bool> {
        let now: u64 = input::bounded(now, "now")?;
        Ok(self
            .inner
            .check(nonce, UnixTime::from_secs(now))
            .is_accepted())
    }

    fn __repr__(&self) -> String {
        format!("<NonceIssuer bucket_secs={}>", self.inner.bucket_secs())
    }
}

/// Where a policy's nonces come from.
enum NonceSource {
    /// The core's issuer, checked without the GIL.
    Native(Arc<tokenlane::nonce::NonceIssuer>),
    /// An object with `issue(now) -> str` and `check(nonce, now) -> bool`.
    Python(Py<PyAny>),
}

/// Where a policy's replay answers come from.
enum ReplayCheck {
    /// The built-in store.
    Memory(Arc<MemoryReplayStore>),
    /// `replay(jti, jkt, iat, now) -> bool`: `True` for a fresh proof (now
    /// recorded), `False` for a replay; anything else fails the store.
    Callback(Py<PyAny>),
}

/// How DPoP proofs are checked (RFC 9449): the mode, the proof algorithms,
/// the `iat` window, the size limit, the replay store and the nonce source.
/// Immutable; pass it to `AccessTokenValidator.authorize(dpop=...)`.
#[pyclass(frozen, module = "tokenlane._native")]
pub(crate) struct DpopPolicy {
    required: bool,
    proofs: ProofPolicy,
    replay: ReplayCheck,
    /// The nonce source, when nonces are required.
    nonce: Option<NonceSource>,
}

impl DpopPolicy {
    fn core_mode(&self) -> DpopMode<'_> {
        if self.required {
            DpopMode::Required(&self.proofs)
        } else {
            DpopMode::Allowed(&self.proofs)
        }
    }
}

#[pymethods]
impl DpopPolicy {
    #[new]
    #[pyo3(signature = (
        *, algorithms, mode="allowed".to_owned(), iat_window=60, max_proof_bytes=8192,
        replay=None, nonce=None
    ))]
    #[pyo3(
        text_signature = "(*, algorithms, mode='allowed', iat_window=60, max_proof_bytes=8192, replay=None, nonce=None)"
    )]
    fn new(
        algorithms: Vec<String>,
        mode: String,
        iat_window: i128,
        max_proof_bytes: i128,
        replay: Option<&Bound<'_, PyAny>>,
        nonce: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let required = match mode.as_str() {
            "allowed" => false,
            "required" => true,
            other => {
                return Err(NativeError::Config(format!(
                    "mode must be \"allowed\" or \"required\", not {other:?}"
                ))
                .into())
            }
        };
        let iat_window: u64 = input::bounded(iat_window, "iat_window")?;
        let max_proof_bytes: usize = input::bounded(max_proof_bytes, "max_proof_bytes")?;
        let proofs = ProofPolicy::new(input::algorithms(&algorithms)?)
            .and_then(|p| p.with_iat_window(iat_window))
            .and_then(|p| p.with_max_proof_bytes(max_proof_bytes))
            .map_err(NativeError::from)?;
        let replay = match replay {
            None => ReplayCheck::Memory(Arc::new(MemoryReplayStore::new(
                DEFAULT_REPLAY_CAPACITY,
                iat_window,
            ))),
            Some(r) if r.is_none() => ReplayCheck::Memory(Arc::new(MemoryReplayStore::new(
                DEFAULT_REPLAY_CAPACITY,
                iat_window,
            ))),
            Some(r) => match r.cast::<ReplayStore>() {
                Ok(store) => {
                    let store = &store.get().inner;
                    store.covers(&proofs).map_err(|e| {
                        NativeError::Config(format!(
                            "{e} (the store's {} seconds, the policy's {iat_window})",
                            store.iat_window()
                        ))
                    })?;
                    ReplayCheck::Memory(Arc::clone(store))
                }
                Err(_) if r.is_callable() => ReplayCheck::Callback(r.clone().unbind()),
                Err(_) => {
                    return Err(PyTypeError::new_err(
                        "replay must be a ReplayStore, a callable (jti, jkt, iat, now) -> bool, or None",
                    ))
                }
            },
        };
        let nonce = match nonce {
            Some(n) if !n.is_none() => {
                if let Ok(native) = n.cast::<NonceIssuer>() {
                    Some(NonceSource::Native(Arc::clone(&native.get().inner)))
                } else if n.hasattr("issue")? && n.hasattr("check")? {
                    Some(NonceSource::Python(n.clone().unbind()))
                } else {
                    return Err(PyTypeError::new_err(
                        "nonce must be a NonceIssuer or have issue(now) -> str and check(nonce, now) -> bool",
                    ));
                }
            }
            _ => None,
        };
        Ok(Self {
            required,
            proofs,
            replay,
            nonce,
        })
    }

    /// `"allowed"` or `"required"`.
    #[getter]
    fn mode(&self) -> &'static str {
        if self.required {
            "required"
        } else {
            "allowed"
        }
    }

    /// The proof algorithms accepted (and offered in the `DPoP` challenge's
    /// `algs`): those of the list whose proof keys the core reads.
    #[getter]
    fn algorithms(&self) -> Vec<&'static str> {
        self.proofs.algorithms().iter().map(|a| a.name()).collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "<DpopPolicy mode={:?} algorithms={:?}>",
            self.mode(),
            self.algorithms()
        )
    }
}

/// A failure of the caller's Python hook, kept to be raised after the
/// core has answered.
enum HookFailure {
    /// `nonce.check` raised: re-raised as is (a server fault, not a
    /// `use_dpop_nonce` answer).
    Nonce(PyErr),
    /// The replay callable raised or answered a non-bool: the core answers
    /// `replay_check_failed`, with this as its `__cause__`.
    Replay(PyErr),
}

/// The core's `ProofHooks` over a `DpopPolicy`: the built-in store runs
/// without the GIL; Python hooks take it for their call.
struct Hooks<'a> {
    /// `None` for a bearer-only call, whose hooks are never consulted.
    policy: Option<&'a DpopPolicy>,
    failure: RefCell<Option<HookFailure>>,
    /// Whether the replay store was consulted: the core checks (and the
    /// store records) a proof's `jti` before it reads the token, so a
    /// request whose proof was recorded cannot be decided a second time.
    consulted: core::cell::Cell<bool>,
}

impl ProofHooks for Hooks<'_> {
    fn nonce_required(&self) -> bool {
        // A native issuer is plugged in by the core's `IssuedNonces` instead.
        self.policy
            .is_some_and(|p| matches!(p.nonce, Some(NonceSource::Python(_))))
    }

    fn nonce_ok(&self, nonce: &str, now: UnixTime) -> bool {
        let Some(NonceSource::Python(source)) = self.policy.and_then(|p| p.nonce.as_ref()) else {
            return false;
        };
        Python::attach(|py| {
            match source
                .call_method1(py, "check", (nonce, now.as_secs()))
                .and_then(|r| r.extract::<bool>(py))
            {
                Ok(ok) => ok,
                Err(e) => {
                    *self.failure.borrow_mut() = Some(HookFailure::Nonce(e));
                    false
                }
            }
        })
    }

    fn check_replay(&self, jti: &str, jkt: &Thumbprint, iat: u64, now: UnixTime) -> Replay {
        self.consulted.set(true);
        let Some(policy) = self.policy else {
            return Replay::StoreFailed;
        };
        match &policy.replay {
            ReplayCheck::Memory(store) => store.check_replay(jti, jkt, iat, now),
            ReplayCheck::Callback(f) => Python::attach(|py| {
                match f
                    .call1(py, (jti, jkt.as_str(), iat, now.as_secs()))
                    .and_then(|r| r.extract::<bool>(py))
                {
                    Ok(true) => Replay::Fresh,
                    Ok(false) => Replay::Replayed,
                    Err(e) => {
                        *self.failure.borrow_mut() = Some(HookFailure::Replay(e));
                        Replay::StoreFailed
                    }
                }
            }),
        }
    }
}

// ---------------------------------------------------------------------------
// The request.

/// Every `Authorization` value, then every `DPoP` value.
type HeaderValues = (Vec<Vec<u8>>, Vec<Vec<u8>>);

/// The `Authorization` and `DPoP` header values of `headers`: a mapping
/// (anything with `items()`: a dict, Starlette's or Werkzeug's headers,
/// which yield a repeated header once per line) or an iterable of
/// `(name, value)` pairs (ASGI's `scope["headers"]`). Names match
/// case-insensitively; names and values are `str` or `bytes`.
fn request_headers(headers: &Bound<'_, PyAny>) -> PyResult<HeaderValues> {
    let items = if headers.hasattr("items")? {
        headers.call_method0("items")?
    } else {
        headers.clone()
    };
    let (mut authorization, mut dpop) = (Vec::new(), Vec::new());
    for item in items.try_iter()? {
        let item = item?;
        let (name, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract().map_err(|_| {
            PyTypeError::new_err("headers must be a mapping or an iterable of (name, value) pairs")
        })?;
        let name = input::text_or_bytes(&name, "a header name")?;
        let list = if name.eq_ignore_ascii_case(b"authorization") {
            &mut authorization
        } else if name.eq_ignore_ascii_case(b"dpop") {
            &mut dpop
        } else {
            continue;
        };
        list.push(input::text_or_bytes(&value, "a header value")?.into_owned());
    }
    Ok((authorization, dpop))
}

/// The client certificate's SHA-256: 32 bytes.
fn certificate(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<[u8; 32]>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let bytes = obj.cast::<pyo3::types::PyBytes>().map_err(|_| {
        PyTypeError::new_err("client_cert_sha256 must be bytes (the 32-byte SHA-256 of the DER)")
    })?;
    <[u8; 32]>::try_from(bytes.as_bytes())
        .map(Some)
        .map_err(|_| {
            PyValueError::new_err(format!(
                "client_cert_sha256 must be 32 bytes (a SHA-256), not {}",
                bytes.as_bytes().len()
            ))
        })
}

/// The challenge context of a refusal: the mode and the scheme the client
/// tried, so `TokenError.www_authenticate(realm)` writes the core's
/// request-aware challenge (`tokenlane::request::write_challenge_for_code`).
#[pyclass(frozen, module = "tokenlane._native")]
pub(crate) struct RequestChallenge {
    /// `None` for bearer-only; else (required, proof policy).
    dpop: Option<(bool, ProofPolicy)>,
    tried: Option<Scheme>,
    /// The validator's required scopes, for `insufficient_scope`.
    scope: Option<String>,
    /// The RFC 9728 metadata URL written in every challenge, if any.
    resource_metadata: Option<String>,
}

impl RequestChallenge {
    fn write(&self, code: &str, realm: Option<&str>, scope: Option<&str>) -> PyResult<String> {
        let code = tokenlane::ErrorCode::from_str_code(code)
            .ok_or_else(|| NativeError::Config(format!("unknown error code {code:?}")))?;
        let mode = match &self.dpop {
            None => DpopMode::BearerOnly,
            Some((true, p)) => DpopMode::Required(p),
            Some((false, p)) => DpopMode::Allowed(p),
        };
        let scope = scope.or(self.scope.as_deref());
        let mut out = String::new();
        tokenlane::request::write_challenge_with_metadata(
            &mut out,
            code,
            mode,
            self.tried,
            realm,
            scope,
            self.resource_metadata.as_deref(),
        )
        .map_err(|_| NativeError::Config("could not format the header".to_owned()))?;
        Ok(out)
    }
}

#[pymethods]
impl RequestChallenge {
    /// The `WWW-Authenticate` value for `code`.
    #[pyo3(signature = (code, realm=None, scope=None))]
    fn challenge(&self, code: &str, realm: Option<&str>, scope: Option<&str>) -> PyResult<String> {
        self.write(code, realm, scope)
    }
}

/// A request `AccessTokenValidator.authorize` accepted: the token and how
/// it was bound to the request.
#[pyclass(frozen, module = "tokenlane._native")]
pub(crate) struct AuthorizedRequest {
    /// The verified access token.
    #[pyo3(get)]
    token: Py<AccessToken>,
    /// `"Bearer"` or `"DPoP"`: the scheme the credential came with.
    #[pyo3(get)]
    scheme: &'static str,
    /// The RFC 7638 thumbprint of the DPoP proof key, which the token's
    /// `cnf.jkt` names (`DPoP` scheme only).
    #[pyo3(get)]
    jkt: Option<String>,
    /// Whether the token is certificate-bound (`cnf.x5t#S256`) and the
    /// client certificate matched.
    #[pyo3(get)]
    certificate_bound: bool,
    /// A fresh `DPoP-Nonce` to send with the response, when the nonce
    /// source wants the client to switch to a new one.
    #[pyo3(get)]
    dpop_nonce: Option<String>,
}

#[pymethods]
impl AuthorizedRequest {
    /// The response headers to add: `{"DPoP-Nonce": ...}` when there is a
    /// new nonce, else empty.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        if let Some(n) = &self.dpop_nonce {
            d.set_item("DPoP-Nonce", n)?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "<AuthorizedRequest scheme={:?} jkt={:?} certificate_bound={}>",
            self.scheme, self.jkt, self.certificate_bound
        )
    }
}

/// `AccessTokenValidator.authorize`: see its docs in `lanes.rs` and the
/// stubs.
#[allow(clippy::too_many_arguments)]
pub(crate) fn authorize(
    validator: &AccessTokenValidator,
    py: Python<'_>,
    method: &str,
    url: &str,
    headers: &Bound<'_, PyAny>,
    dpop: Option<&Bound<'_, DpopPolicy>>,
    client_cert_sha256: Option<&Bound<'_, PyAny>>,
    realm: Option<&str>,
    resource_metadata: Option<&str>,
    now: Option<&Bound<'_, PyAny>>,
    wait: bool,
) -> PyResult<Option<AuthorizedRequest>> {
    let (authorization, dpop_headers) = request_headers(headers)?;
    let cert = certificate(client_cert_sha256)?;
    let now = input::now(now)?;
    let dpop = dpop.map(Bound::get);
    let (source, policy) = validator.parts();
    let auth_refs: Vec<&[u8]> = authorization.iter().map(Vec::as_slice).collect();
    let dpop_refs: Vec<&[u8]> = dpop_headers.iter().map(Vec::as_slice).collect();
    let facts = RequestFacts {
        method,
        uri: url,
        authorization: &auth_refs,
        dpop: &dpop_refs,
        certificate_sha256: cert.as_ref(),
    };
    let decide = |keys: &[tokenlane::Key]| {
        let mode = dpop.map_or(DpopMode::BearerOnly, DpopPolicy::core_mode);
        let mut scratch =
            vec![
                0u8;
                tokenlane::request::authorize_scratch_len(&facts, policy.max_token_bytes(), mode)
            ];
        let hooks = Hooks {
            policy: dpop,
            failure: RefCell::new(None),
            consulted: core::cell::Cell::new(false),
        };
        let issued = match dpop.and_then(|d| d.nonce.as_ref()) {
            Some(NonceSource::Native(i)) => Some(tokenlane::nonce::IssuedNonces::new(i, &hooks)),
            _ => None,
        };
        let core_hooks: &dyn ProofHooks = match &issued {
            Some(h) => h,
            None => &hooks,
        };
        let outcome = tokenlane::request::authorize(
            &facts,
            &policy.policy(),
            keys,
            mode,
            core_hooks,
            now,
            &mut scratch,
        )
        .map(|(t, b)| (AccessToken::from_core(&t), b));
        // The core's rule for the response's DPoP-Nonce (native issuer).
        let fresh = issued
            .as_ref()
            .and_then(|h| h.response_nonce(outcome.is_ok(), now))
            .map(|n| n.as_str().to_owned());
        let consulted = hooks.consulted.get();
        ((outcome, hooks.failure.into_inner(), fresh), consulted)
    };
    // A key source may fetch here: on the first load, near or past
    // expiry, and once per cooldown for a `kid` its current keys lack, as
    // `validate` does; the request is then decided again. The core consults
    // the replay store last (after the token and its binding), so a
    // refusal for an unknown key has recorded nothing; `recorded` guards
    // that: a request whose proof reached the store is never decided twice.
    //
    // Without `wait` (`try_authorize`), nothing may wait: keys that are not
    // fresh, or an unknown `kid` a key source might fetch for, answer
    // `None`, and the caller decides the request with `authorize` on a
    // thread.
    let decided = py.detach(|| -> Result<Option<_>, NativeError> {
        let keys = if wait {
            source.current(now)?
        } else {
            match source.fresh(now) {
                Some(keys) => keys,
                None => return Ok(None),
            }
        };
        let (first, recorded) = decide(&keys);
        let missed = matches!(
            first.0,
            Err(tokenlane::Error::KeyNotFound { kid_given: true })
        );
        if !missed || !source.follows_a_source() {
            return Ok(Some(first));
        }
        if !wait {
            return Ok((recorded).then_some(first));
        }
        if !source.kid_miss_since(&keys, now) || recorded {
            return Ok(Some(first));
        }
        drop(keys);
        let keys = source.current(now)?;
        Ok(Some(decide(&keys).0))
    })?;
    let Some((outcome, failure, fresh)) = decided else {
        return Ok(None);
    };
    let nonce_source = dpop.and_then(|d| d.nonce.as_ref());
    match outcome {
        Ok((token, binding)) => Ok(Some(AuthorizedRequest {
            token: Py::new(py, token)?,
            scheme: match binding.scheme {
                Scheme::Bearer => "Bearer",
                _ => "DPoP",
            },
            jkt: binding.jkt.map(|j| j.as_str().to_owned()),
            certificate_bound: binding.certificate,
            dpop_nonce: fresh,
        })),
        Err(error) => {
            if let Some(HookFailure::Nonce(e)) = failure {
                return Err(e);
            }
            let scopes = policy.required_scopes();
            let scope = (!scopes.is_empty()).then(|| scopes.join(" "));
            let context = RequestChallenge {
                dpop: dpop.map(|d| (d.required, d.proofs)),
                tried: tokenlane::request::tried_scheme(&auth_refs),
                scope: scope.clone(),
                resource_metadata: resource_metadata.map(str::to_owned),
            };
            let challenge = context.write(error.code(), realm, None)?;
            let dpop_nonce = match nonce_source {
                Some(NonceSource::Python(source)) => Some(
                    source
                        .call_method1(py, "issue", (now.as_secs(),))?
                        .extract::<String>(py)?,
                ),
                Some(NonceSource::Native(_)) => fresh,
                None => None,
            };
            let err = PyErr::from(NativeError::Token { error, scope });
            let value = err.value(py);
            value.setattr("challenge", challenge)?;
            value.setattr("dpop_nonce", dpop_nonce)?;
            value.setattr("_request", Py::new(py, context)?)?;
            if let Some(HookFailure::Replay(cause)) = failure {
                err.set_cause(py, Some(cause));
            }
            Err(err)
        }
    }
}
