//! The network front end: `KeySource` (keys that stay fresh, issue 17) and
//! `Introspector` (opaque access tokens, RFC 7662, issue 18), over the
//! `tokenlane-remote` crate. As everywhere in this crate, nothing is
//! decided here: the remote crate fetches, caches and runs the refresh
//! policy, the core decides tokens and introspection answers.
//!
//! - **The GIL is released for every call that can touch the network**
//!   (`KeySource.refresh`/`keys`, validation through a key source or an
//!   introspector), so other Python threads, and an asyncio loop whose
//!   blocking calls run on an executor thread, keep running during a fetch.
//! - **Options are checked when built**: the refresh policy's bounds are the
//!   Rust `RefreshPolicy` setters' (one table, `RefreshPolicy::TABLE`);
//!   a bad value, URL or CA bundle raises `ValueError` at construction.
//! - **Remote faults are server errors**: keys that cannot be had, an
//!   introspection endpoint that cannot judge the token. They raise the
//!   classes of `tokenlane.exceptions` whose codes are
//!   the core's `ServerFault` table (looked up in `_BY_CODE` like the core's
//!   codes), never a `TokenError`.
//! - **Events** (fetched, not modified, failed, served stale, cooldown) are
//!   counted by the remote crate (`KeySource.counts`), logged through
//!   `logging` (logger `tokenlane.keysource`, the remote crate's one-line
//!   `Display`, no key material) and passed to an optional callback, by
//!   `tokenlane._remote._emit`.

use core::time::Duration;
use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use tokenlane::{
    route_access_token, AccessPath, AccessPolicy, IdChecks, IntrospectionAudience, Malformed,
    OwnedAccessPolicy, OwnedIdPolicy, Part, Route, ServerFault, UnixTime,
};
use tokenlane_remote::introspection::MAX_INTROSPECTION_RESPONSE_BYTES;
use tokenlane_remote::policy::PolicyBoundError;
use tokenlane_remote::{
    ClientAuth, Event, EventCallback, HttpOptions, IntrospectionError, IntrospectionOptions,
    KeySourceOptions, RefreshPolicy, RemoteError, ValidationError, WellKnown, MAX_REDIRECTS_LIMIT,
};

use crate::errors::NativeError;
use crate::input;
use crate::keys::KeySet;
use crate::lanes::{AccessToken, IdToken};

fn keys_unavailable(e: &RemoteError) -> NativeError {
    NativeError::Remote {
        code: ServerFault::KeysUnavailable.as_str(),
        message: format!("keys unavailable: {e}"),
    }
}

fn introspection_error(e: IntrospectionError) -> NativeError {
    match e {
        IntrospectionError::Token(error) => error.into(),
        IntrospectionError::Endpoint(_) => NativeError::Remote {
            code: e
                .fault()
                .unwrap_or(ServerFault::IntrospectionUnavailable)
                .as_str(),
            message: e.to_string(),
        },
    }
}

fn validation_error(e: ValidationError) -> NativeError {
    match e {
        ValidationError::Token(error) => error.into(),
        ValidationError::KeysUnavailable(r) => keys_unavailable(&r),
    }
}

/// A bad URL or CA bundle at construction: `ValueError`.
fn config_error(e: &RemoteError) -> NativeError {
    NativeError::Config(e.to_string())
}

// ---------------------------------------------------------------------------
// Options.

/// The HTTP options common to `KeySource` and `Introspector`.
pub(crate) struct HttpArgs {
    pub(crate) connect_timeout: f64,
    pub(crate) total_timeout: f64,
    pub(crate) max_redirects: i128,
    pub(crate) system_roots: bool,
    pub(crate) ca_bundle: Option<PathBuf>,
    pub(crate) ca_bundle_pem: Option<Vec<u8>>,
    pub(crate) dangerously_allow_plain_http: bool,
}

/// The longest timeout accepted, seconds (the Rust options take any
/// `Duration`; an hour is far past any sane fetch).
const MAX_TIMEOUT_SECS: f64 = 3600.0;

fn timeout(secs: f64, what: &str) -> Result<Duration, NativeError> {
    if secs.is_finite() && secs > 0.0 && secs <= MAX_TIMEOUT_SECS {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(NativeError::Config(format!(
            "{what} must be more than 0 and at most {MAX_TIMEOUT_SECS} seconds, not {secs}"
        )))
    }
}

impl HttpArgs {
    fn options(self) -> Result<HttpOptions, NativeError> {
        let max_redirects: u32 = input::bounded(self.max_redirects, "max_redirects")?;
        if max_redirects > MAX_REDIRECTS_LIMIT {
            return Err(NativeError::Config(format!(
                "max_redirects must be at most {MAX_REDIRECTS_LIMIT}, not {max_redirects}"
            )));
        }
        let ca_bundle_pem =
            match (self.ca_bundle, self.ca_bundle_pem) {
                (Some(_), Some(_)) => {
                    return Err(NativeError::Config(
                        "give ca_bundle (a path) or ca_bundle_pem (bytes), not both".to_owned(),
                    ))
                }
                (Some(path), None) => Some(std::fs::read(&path).map_err(|e| {
                    NativeError::Config(format!("ca_bundle {}: {e}", path.display()))
                })?),
                (None, pem) => pem,
            };
        Ok(HttpOptions {
            connect_timeout: timeout(self.connect_timeout, "connect_timeout")?,
            total_timeout: timeout(self.total_timeout, "total_timeout")?,
            max_redirects,
            system_roots: self.system_roots,
            ca_bundle_pem,
            dangerously_allow_plain_http: self.dangerously_allow_plain_http,
        })
    }
}

type Setter = fn(RefreshPolicy, u64) -> Result<RefreshPolicy, PolicyBoundError>;
type Getter = fn(&RefreshPolicy) -> u64;

/// The refresh policy's settings by name: the Python keyword arguments and
/// `KeySource.policy` use these names, and the bounds are the setters'.
const POLICY_SETTINGS: [(&str, Setter, Getter); 7] = [
    (
        "default_ttl",
        RefreshPolicy::with_default_ttl,
        RefreshPolicy::default_ttl,
    ),
    (
        "min_ttl",
        RefreshPolicy::with_min_ttl,
        RefreshPolicy::min_ttl,
    ),
    (
        "max_ttl",
        RefreshPolicy::with_max_ttl,
        RefreshPolicy::max_ttl,
    ),
    (
        "refresh_ahead",
        RefreshPolicy::with_refresh_ahead,
        RefreshPolicy::refresh_ahead,
    ),
    (
        "kid_miss_cooldown",
        RefreshPolicy::with_kid_miss_cooldown,
        RefreshPolicy::kid_miss_cooldown,
    ),
    (
        "retry_interval",
        RefreshPolicy::with_retry_interval,
        RefreshPolicy::retry_interval,
    ),
    (
        "max_stale",
        RefreshPolicy::with_max_stale,
        RefreshPolicy::max_stale,
    ),
];

/// The refresh policy from the keyword arguments, in `POLICY_SETTINGS`
/// order (`None`: the default).
fn refresh_policy(values: [Option<i128>; 7]) -> Result<RefreshPolicy, NativeError> {
    let mut policy = RefreshPolicy::default();
    for ((name, set, _), value) in POLICY_SETTINGS.iter().zip(values) {
        let Some(v) = value else { continue };
        let secs = u64::try_from(v).unwrap_or(u64::MAX);
        policy = set(policy, secs)
            .map_err(|e| NativeError::Config(format!("{e} (given {v}, setting {name})")))?;
    }
    Ok(policy)
}

// ---------------------------------------------------------------------------
// Events.

fn event_kind(e: &Event) -> &'static str {
    match e {
        Event::Fetched { .. } => "fetched",
        Event::NotModified { .. } => "not_modified",
        Event::Failed { .. } => "failed",
        Event::ServedStale { .. } => "served_stale",
        Event::Cooldown { .. } => "cooldown",
        _ => "other",
    }
}

/// Hands every event to `tokenlane._remote._emit` (logging, then the
/// user's callback), attaching to the interpreter; during interpreter
/// shutdown the event is only counted.
fn event_callback(on_event: Option<Py<PyAny>>) -> EventCallback {
    Arc::new(move |e: &Event| {
        let (kind, message) = (event_kind(e), e.to_string());
        let _ = Python::try_attach(|py| {
            let callback = on_event.as_ref().map(|c| c.bind(py));
            let result = py
                .import("tokenlane._remote")
                .and_then(|m| m.call_method1("_emit", (kind, message, callback)));
            if let Err(err) = result {
                err.write_unraisable(py, None);
            }
        });
    })
}

/// Runs `func(*args, **kwargs)` on the running asyncio loop's default
/// executor (`tokenlane._remote._in_executor`); returns the awaitable.
pub(crate) fn in_executor<'py>(
    func: Bound<'py, PyAny>,
    args: Bound<'py, PyTuple>,
    kwargs: Option<Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = func.py();
    let mut all = vec![func];
    all.extend(args.iter());
    py.import("tokenlane._remote")?
        .getattr("_in_executor")?
        .call(PyTuple::new(py, all)?, kwargs.as_ref())
}

// ---------------------------------------------------------------------------
// The keys a validator reads.

/// What a validator verifies with: a fixed `KeySet`, a `KeySource` it
/// follows, or nothing (a validator that only introspects).
#[derive(Clone)]
pub(crate) enum Keys {
    Static(Arc<tokenlane::KeySet>),
    Source(tokenlane_remote::KeySource),
    None,
}

impl Keys {
    /// `keys` as given to a validator: a `KeySet` or a `KeySource`, or
    /// `None` where `none_ok`. Anything else is a `TypeError`.
    pub(crate) fn extract(obj: &Bound<'_, PyAny>, none_ok: bool) -> PyResult<Self> {
        if let Ok(k) = obj.cast::<KeySet>() {
            return Ok(Keys::Static(Arc::clone(&k.get().inner)));
        }
        if let Ok(s) = obj.cast::<KeySource>() {
            return Ok(Keys::Source(s.get().inner.clone()));
        }
        if none_ok && obj.is_none() {
            return Ok(Keys::None);
        }
        let ty = obj
            .get_type()
            .name()
            .map_or_else(|_| "object".to_owned(), |n| n.to_string());
        Err(PyTypeError::new_err(format!(
            "keys must be a KeySet or a KeySource, not {ty}"
        )))
    }

    /// Validates an access token with these keys. Through a key source, a
    /// `kid` the current keys lack fetches (outside the cooldown) and
    /// retries once; no keys at all is `keys_unavailable`.
    pub(crate) fn access(
        &self,
        policy: &AccessPolicy<'_, String>,
        token: &[u8],
        now: UnixTime,
    ) -> Result<AccessToken, NativeError> {
        let max = policy.max_token_bytes();
        match self.resolve() {
            Ok(keys) => input::with_scratch(token.len(), max, |scratch| {
                let t = policy.validate(token, keys, now, scratch)?;
                Ok(AccessToken::from_core(&t))
            }),
            Err(source) => {
                within(token, max)?;
                let mut scratch = vec![0; tokenlane_remote::scratch_len(token.len())];
                source
                    .validate_access(policy, token, now, &mut scratch)
                    .map(|t| AccessToken::from_core(&t))
                    .map_err(validation_error)
            }
        }
    }

    /// [`Self::access`] for the ID-token lane.
    pub(crate) fn id(
        &self,
        policy: &OwnedIdPolicy,
        token: &[u8],
        now: UnixTime,
        checks: &IdChecks<'_>,
    ) -> Result<IdToken, NativeError> {
        let max = policy.max_token_bytes();
        let policy = policy.policy();
        match self.resolve() {
            Ok(keys) => input::with_scratch(token.len(), max, |scratch| {
                let t = policy.validate(token, keys, now, checks, scratch)?;
                Ok(IdToken::from_core(&t))
            }),
            Err(source) => {
                within(token, max)?;
                let mut scratch = vec![0; tokenlane_remote::scratch_len(token.len())];
                source
                    .validate_id(&policy, token, now, checks, &mut scratch)
                    .map(|t| IdToken::from_core(&t))
                    .map_err(validation_error)
            }
        }
    }

    /// The keys to verify with at `now`, for callers that take a key slice
    /// (the request lane). Through a key source this reads its current keys
    /// (fetching on the first load or past the stale limit: call it with
    /// the GIL released); on an unknown `kid` the caller follows
    /// [`Self::kid_miss_since`].
    /// Errors: `keys_unavailable`.
    pub(crate) fn current(&self, now: UnixTime) -> Result<CurrentKeys, NativeError> {
        Ok(match self {
            Keys::Static(keys) => CurrentKeys::Fixed(Arc::clone(keys)),
            Keys::None => CurrentKeys::Fixed(Arc::default()),
            Keys::Source(source) => {
                CurrentKeys::Source(source.keys(now).map_err(|e| keys_unavailable(&e))?)
            }
        })
    }

    /// [`Self::current`] without waiting: `None` when a key source's keys
    /// are not fresh (reading them could fetch or wait); fixed keys always.
    pub(crate) fn fresh(&self, now: UnixTime) -> Option<CurrentKeys> {
        match self {
            Keys::Static(keys) => Some(CurrentKeys::Fixed(Arc::clone(keys))),
            Keys::None => Some(CurrentKeys::Fixed(Arc::default())),
            Keys::Source(source) => source.fresh_keys(now).map(CurrentKeys::Source),
        }
    }

    /// Whether these keys come from a key source (which may fetch on a miss).
    pub(crate) fn follows_a_source(&self) -> bool {
        matches!(self, Keys::Source(_))
    }

    /// After [`Self::current`] gave `seen` and the request lane found no
    /// key for the token's `kid`: whether a retry can see other keys (the
    /// key source's `kid_miss_since`: a fetch outside the cooldown, or keys
    /// another thread's fetch replaced meanwhile). Always `false` for fixed
    /// keys. May fetch: call it with the GIL released.
    pub(crate) fn kid_miss_since(&self, seen: &CurrentKeys, now: UnixTime) -> bool {
        match (self, seen) {
            (Keys::Source(source), CurrentKeys::Source(keys)) => source.kid_miss_since(keys, now),
            _ => false,
        }
    }

    /// The fixed keys (`Ok`: a `KeySet`'s, or none), or the key source
    /// (`Err`) to validate through.
    fn resolve(&self) -> Result<&[tokenlane::Key], &tokenlane_remote::KeySource> {
        match self {
            Keys::Static(keys) => Ok(keys),
            Keys::None => Ok(&[]),
            Keys::Source(source) => Err(source),
        }
    }
}

/// What [`Keys::current`] returns: derefs to the key slice validation takes.
pub(crate) enum CurrentKeys {
    Fixed(Arc<tokenlane::KeySet>),
    Source(tokenlane_remote::Keys),
}

impl core::ops::Deref for CurrentKeys {
    type Target = [tokenlane::Key];
    fn deref(&self) -> &[tokenlane::Key] {
        match self {
            CurrentKeys::Fixed(keys) => keys,
            CurrentKeys::Source(keys) => keys,
        }
    }
}

/// Refuses a token over `max` bytes before a key source is read, so an
/// oversized token never causes a fetch (the core's `token_too_large`).
fn within(token: &[u8], max: usize) -> Result<(), NativeError> {
    if token.len() > max {
        return Err(tokenlane::Error::TokenTooLarge {
            len: token.len(),
            max,
        }
        .into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Path choice: JWT, introspection, or both.

/// How an access-token validator chooses between local JWT validation and
/// introspection (the core's [`route_access_token`]), and the introspection
/// audience rule.
#[derive(Clone)]
pub(crate) struct Routing {
    path: AccessPath,
    introspector: Option<Arc<tokenlane_remote::Introspector>>,
    audience: IntrospectionAudience,
}

impl Routing {
    /// Checks the validator's `keys`, `introspection`, `path` and
    /// `introspection_audience` arguments together. `path` defaults to
    /// `"both"` with an introspector and `"jwt"` without; a path that
    /// introspects needs an introspector, one that validates JWTs needs
    /// keys.
    pub(crate) fn new(
        keys: &Keys,
        introspection: Option<&Bound<'_, Introspector>>,
        path: Option<&str>,
        introspection_audience: &str,
    ) -> Result<Self, NativeError> {
        let path = match (path, introspection.is_some()) {
            (None, true) | (Some("both"), _) => AccessPath::Both,
            (None, false) | (Some("jwt"), _) => AccessPath::JwtOnly,
            (Some("introspection"), _) => AccessPath::IntrospectionOnly,
            (Some(other), _) => {
                return Err(NativeError::Config(format!(
                    "path must be \"jwt\", \"introspection\" or \"both\", not {other:?}"
                )))
            }
        };
        let audience = match introspection_audience {
            "required" => IntrospectionAudience::Required,
            "allow_absent" => IntrospectionAudience::AllowAbsent,
            other => {
                return Err(NativeError::Config(format!(
                    "introspection_audience must be \"required\" or \"allow_absent\", not {other:?}"
                )))
            }
        };
        if path != AccessPath::JwtOnly && introspection.is_none() {
            return Err(NativeError::Config(
                "this path introspects: pass introspection=tokenlane.Introspector(...)".to_owned(),
            ));
        }
        if path != AccessPath::IntrospectionOnly && matches!(keys, Keys::None) {
            return Err(NativeError::Config(
                "keys=None only with path=\"introspection\": this path validates JWTs".to_owned(),
            ));
        }
        Ok(Self {
            path,
            introspector: introspection.map(|i| Arc::clone(&i.get().inner)),
            audience,
        })
    }

    /// The routing of a validator built with other keys (`with_keys`).
    pub(crate) fn with_keys(&self, keys: &Keys) -> Result<Self, NativeError> {
        if matches!(keys, Keys::None) && self.path != AccessPath::IntrospectionOnly {
            return Err(NativeError::Config(
                "keys=None only with path=\"introspection\"".to_owned(),
            ));
        }
        Ok(self.clone())
    }

    /// Validates an access token: the core routes it, then the keys or the
    /// introspector (the core deciding its answer) judge it.
    pub(crate) fn access(
        &self,
        keys: &Keys,
        policy: &OwnedAccessPolicy,
        token: &[u8],
        now: UnixTime,
    ) -> Result<AccessToken, NativeError> {
        let policy = policy.policy().with_introspection_audience(self.audience);
        let max = policy.max_token_bytes();
        // Routing refuses an oversized token first, on every path: it is
        // neither decoded, nor sent, nor a reason to fetch keys.
        let route = match self.path {
            AccessPath::JwtOnly => route_access_token(token, AccessPath::JwtOnly, max, &mut [])?,
            path => {
                let mut scratch = input::scratch(token.len(), max);
                route_access_token(token, path, max, &mut scratch)?
            }
        };
        match (route, &self.introspector) {
            (Route::Introspect, Some(introspector)) => {
                // A token that is not UTF-8 cannot be what a server issued
                // as an opaque token, and is never sent.
                let token = core::str::from_utf8(token)
                    .map_err(|_| tokenlane::Error::Malformed(Malformed::Base64(Part::Token)))?;
                let mut buf = Vec::new();
                introspector
                    .validate(&policy, token, now, &mut buf)
                    .map(|t| AccessToken::from_core(&t))
                    .map_err(introspection_error)
            }
            _ => keys.access(&policy, token, now),
        }
    }

    /// Decides an introspection response the caller fetched (no I/O): the
    /// core's `validate_introspection` with this policy and audience rule.
    /// A response over the remote crate's cap is `token_too_large`.
    pub(crate) fn decide(
        &self,
        policy: &OwnedAccessPolicy,
        response: &[u8],
        now: UnixTime,
    ) -> Result<AccessToken, NativeError> {
        if response.len() > MAX_INTROSPECTION_RESPONSE_BYTES {
            return Err(tokenlane::Error::TokenTooLarge {
                len: response.len(),
                max: MAX_INTROSPECTION_RESPONSE_BYTES,
            }
            .into());
        }
        let mut scratch = vec![0; response.len()];
        let t = policy
            .policy()
            .with_introspection_audience(self.audience)
            .validate_introspection(response, now, &mut scratch)?;
        Ok(AccessToken::from_core(&t))
    }
}

// ---------------------------------------------------------------------------
// KeySource.

/// Keys from an authorization server, kept fresh by the refresh policy of
/// `tokenlane-remote`: built with `KeySource.from_issuer(url, ...)` or
/// `KeySource.from_jwks_uri(url, ...)`, then given to validators as their
/// `keys`. Thread-safe; share one per issuer.
#[pyclass(frozen, module = "tokenlane._native")]
pub(crate) struct KeySource {
    inner: tokenlane_remote::KeySource,
    location: String,
    policy: RefreshPolicy,
}

enum Location {
    Issuer,
    JwksUri,
}

impl KeySource {
    #[allow(clippy::too_many_arguments)]
    fn build(
        location: Location,
        url: String,
        http: HttpArgs,
        policy: [Option<i128>; 7],
        inline_refresh: bool,
        on_event: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let options = KeySourceOptions {
            http: http.options()?,
            policy: refresh_policy(policy)?,
            inline_refresh,
            on_event: Some(event_callback(on_event)),
        };
        let policy = options.policy;
        let inner = match location {
            Location::Issuer => tokenlane_remote::KeySource::from_issuer(&url, options),
            Location::JwksUri => tokenlane_remote::KeySource::from_jwks_uri(&url, options),
        }
        .map_err(|e| config_error(&e))?;
        Ok(Self {
            inner,
            location: url,
            policy,
        })
    }

    fn snapshot(keys: &tokenlane_remote::Keys) -> KeySet {
        KeySet {
            inner: Arc::new(keys.key_set().cloned().unwrap_or_default()),
        }
    }
}

#[pymethods]
impl KeySource {
    /// A source that discovers `issuer`'s metadata (OpenID Connect
    /// Discovery, then RFC 8414) on the first load, refuses metadata naming
    /// another issuer, and follows its `jwks_uri`. No I/O here. Raises
    /// `ValueError` for a bad URL, a plain-http URL off loopback (without
    /// `dangerously_allow_plain_http`), a bad CA bundle or an option out of
    /// its bounds.
    #[staticmethod]
    #[pyo3(signature = (
        issuer, *, connect_timeout=5.0, total_timeout=10.0, max_redirects=3,
        system_roots=true, ca_bundle=None, ca_bundle_pem=None,
        dangerously_allow_plain_http=false, default_ttl=None, min_ttl=None,
        max_ttl=None, refresh_ahead=None, kid_miss_cooldown=None,
        retry_interval=None, max_stale=None, inline_refresh=false, on_event=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn from_issuer(
        issuer: String,
        connect_timeout: f64,
        total_timeout: f64,
        max_redirects: i128,
        system_roots: bool,
        ca_bundle: Option<PathBuf>,
        ca_bundle_pem: Option<Vec<u8>>,
        dangerously_allow_plain_http: bool,
        default_ttl: Option<i128>,
        min_ttl: Option<i128>,
        max_ttl: Option<i128>,
        refresh_ahead: Option<i128>,
        kid_miss_cooldown: Option<i128>,
        retry_interval: Option<i128>,
        max_stale: Option<i128>,
        inline_refresh: bool,
        on_event: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        Self::build(
            Location::Issuer,
            issuer,
            HttpArgs {
                connect_timeout,
                total_timeout,
                max_redirects,
                system_roots,
                ca_bundle,
                ca_bundle_pem,
                dangerously_allow_plain_http,
            },
            [
                default_ttl,
                min_ttl,
                max_ttl,
                refresh_ahead,
                kid_miss_cooldown,
                retry_interval,
                max_stale,
            ],
            inline_refresh,
            on_event,
        )
    }

    /// A source reading `jwks_uri` directly; options and errors as
    /// `from_issuer`.
    #[staticmethod]
    #[pyo3(signature = (
        jwks_uri, *, connect_timeout=5.0, total_timeout=10.0, max_redirects=3,
        system_roots=true, ca_bundle=None, ca_bundle_pem=None,
        dangerously_allow_plain_http=false, default_ttl=None, min_ttl=None,
        max_ttl=None, refresh_ahead=None, kid_miss_cooldown=None,
        retry_interval=None, max_stale=None, inline_refresh=false, on_event=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn from_jwks_uri(
        jwks_uri: String,
        connect_timeout: f64,
        total_timeout: f64,
        max_redirects: i128,
        system_roots: bool,
        ca_bundle: Option<PathBuf>,
        ca_bundle_pem: Option<Vec<u8>>,
        dangerously_allow_plain_http: bool,
        default_ttl: Option<i128>,
        min_ttl: Option<i128>,
        max_ttl: Option<i128>,
        refresh_ahead: Option<i128>,
        kid_miss_cooldown: Option<i128>,
        retry_interval: Option<i128>,
        max_stale: Option<i128>,
        inline_refresh: bool,
        on_event: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        Self::build(
            Location::JwksUri,
            jwks_uri,
            HttpArgs {
                connect_timeout,
                total_timeout,
                max_redirects,
                system_roots,
                ca_bundle,
                ca_bundle_pem,
                dangerously_allow_plain_http,
            },
            [
                default_ttl,
                min_ttl,
                max_ttl,
                refresh_ahead,
                kid_miss_cooldown,
                retry_interval,
                max_stale,
            ],
            inline_refresh,
            on_event,
        )
    }

    /// The keys served at `now` (`None`: the clock), as a `KeySet`
    /// snapshot. Fetches only when the policy says so (first load, past
    /// the stale limit). The GIL is released meanwhile. Raises
    /// `KeysUnavailable` when no keys can be had.
    #[pyo3(signature = (now=None))]
    fn keys(&self, py: Python<'_>, now: Option<&Bound<'_, PyAny>>) -> PyResult<KeySet> {
        let now = input::now(now)?;
        let set = py.detach(|| {
            self.inner
                .keys(now)
                .map(|k| Self::snapshot(&k))
                .map_err(|e| keys_unavailable(&e))
        })?;
        Ok(set)
    }

    /// Fetches now (or joins the fetch in flight), whatever the policy
    /// says: a warm-up at start, an operator's reload. Returns the keys
    /// served afterwards. The GIL is released meanwhile. Raises
    /// `KeysUnavailable` when the fetch fails and no keys can be served.
    #[pyo3(signature = (now=None))]
    fn refresh(&self, py: Python<'_>, now: Option<&Bound<'_, PyAny>>) -> PyResult<KeySet> {
        let now = input::now(now)?;
        let set = py.detach(|| {
            self.inner
                .refresh(now)
                .map(|k| Self::snapshot(&k))
                .map_err(|e| keys_unavailable(&e))
        })?;
        Ok(set)
    }

    /// `refresh` on the running asyncio loop's default executor: `await
    /// source.refresh_async()` never blocks the loop.
    #[pyo3(signature = (now=None))]
    fn refresh_async<'py>(
        slf: &Bound<'py, Self>,
        now: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let now = now.unwrap_or_else(|| py.None().into_bound(py));
        in_executor(slf.getattr("refresh")?, PyTuple::new(py, [now])?, None)
    }

    /// How many of each event so far: `fetched`, `not_modified`, `failed`,
    /// `served_stale`, `cooldown`.
    #[getter]
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = self.inner.counts();
        let d = PyDict::new(py);
        d.set_item("fetched", c.fetched)?;
        d.set_item("not_modified", c.not_modified)?;
        d.set_item("failed", c.failed)?;
        d.set_item("served_stale", c.served_stale)?;
        d.set_item("cooldown", c.cooldown)?;
        Ok(d)
    }

    /// The refresh policy in force, seconds by setting name.
    #[getter]
    fn policy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, _, get) in POLICY_SETTINGS {
            d.set_item(name, get(&self.policy))?;
        }
        Ok(d)
    }

    /// The discovered metadata (sources built `from_issuer`, after the
    /// first load): `issuer`, `jwks_uri`, `introspection_endpoint` (or
    /// `None`) and `source` (`"openid-configuration"` or
    /// `"oauth-authorization-server"`); `None` before.
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(m) = self.inner.metadata() else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("issuer", m.issuer)?;
        d.set_item("jwks_uri", m.jwks_uri)?;
        d.set_item("introspection_endpoint", m.introspection_endpoint)?;
        d.set_item(
            "source",
            match m.source {
                WellKnown::OpenIdConfiguration => "openid-configuration",
                WellKnown::OAuthAuthorizationServer => "oauth-authorization-server",
            },
        )?;
        Ok(Some(d))
    }

    fn __repr__(&self) -> String {
        format!("<KeySource {:?}>", self.location)
    }
}

// ---------------------------------------------------------------------------
// Introspector.

/// An RFC 7662 introspection client for opaque access tokens, with the
/// remote crate's cache (keyed by the token's SHA-256, bounded, single
/// flight). Give it to an `AccessTokenValidator` as `introspection=`; the
/// core decides every answer. Thread-safe; share it.
#[pyclass(frozen, module = "tokenlane._native")]
pub(crate) struct Introspector {
    inner: Arc<tokenlane_remote::Introspector>,
    endpoint: String,
}

#[pymethods]
impl Introspector {
    /// A client of `endpoint` authenticating as `client_id` with
    /// `client_secret`: `auth="basic"` (`client_secret_basic`, the id and
    /// secret form-encoded per RFC 6749 §2.3.1) or `"post"`
    /// (`client_secret_post`). Raises `ValueError` for a bad URL, a
    /// plain-http URL off loopback without the opt-in, an empty client_id,
    /// an unknown `auth`, a bad CA bundle or a value out of its bounds.
    #[new]
    #[pyo3(signature = (
        endpoint, *, client_id, client_secret, auth="basic",
        positive_ttl=60, negative_ttl=10, max_entries=10000,
        connect_timeout=5.0, total_timeout=10.0, system_roots=true,
        ca_bundle=None, ca_bundle_pem=None, dangerously_allow_plain_http=false
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        endpoint: String,
        client_id: String,
        client_secret: String,
        auth: &str,
        positive_ttl: i128,
        negative_ttl: i128,
        max_entries: i128,
        connect_timeout: f64,
        total_timeout: f64,
        system_roots: bool,
        ca_bundle: Option<PathBuf>,
        ca_bundle_pem: Option<Vec<u8>>,
        dangerously_allow_plain_http: bool,
    ) -> PyResult<Self> {
        if client_id.is_empty() {
            return Err(PyValueError::new_err("client_id must not be empty"));
        }
        let auth = match auth {
            "basic" => ClientAuth::Basic {
                client_id,
                client_secret,
            },
            "post" => ClientAuth::Post {
                client_id,
                client_secret,
            },
            other => {
                return Err(PyValueError::new_err(format!(
                    "auth must be \"basic\" or \"post\", not {other:?}"
                )))
            }
        };
        let mut options = IntrospectionOptions::new(auth);
        options.http = HttpArgs {
            connect_timeout,
            total_timeout,
            max_redirects: 0,
            system_roots,
            ca_bundle,
            ca_bundle_pem,
            dangerously_allow_plain_http,
        }
        .options()?;
        options.positive_ttl = input::bounded(positive_ttl, "positive_ttl")?;
        options.negative_ttl = input::bounded(negative_ttl, "negative_ttl")?;
        options.max_entries = input::bounded(max_entries, "max_entries")?;
        let inner = tokenlane_remote::Introspector::new(&endpoint, options)
            .map_err(|e| config_error(&e))?;
        Ok(Self {
            inner: Arc::new(inner),
            endpoint,
        })
    }

    /// Cached answers (expired ones included until evicted).
    #[getter]
    fn cached_len(&self) -> usize {
        self.inner.cached_len()
    }

    fn __repr__(&self) -> String {
        format!("<Introspector {:?}>", self.endpoint)
    }
}
