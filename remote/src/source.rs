//! The key source: keys from an issuer or a `jwks_uri`, kept fresh by the
//! refresh policy, read without waiting on the network.

use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use arc_swap::{ArcSwapOption, Guard};
use tokenlane::{AccessPolicy, AccessToken, IdChecks, IdPolicy, IdToken, Key, KeySet, UnixTime};

use crate::discovery::{discover, metadata_urls, Metadata};
use crate::error::{RemoteError, ValidationError};
use crate::fetch::{fetch, Fetched};
use crate::policy::{Conditional, Event, KidMiss, Outcome, ReadPlan, RefreshPolicy, RefreshState};
use crate::transport::{HttpOptions, HttpTransport, Transport};

/// A callback that receives every [`Event`], outside every lock.
pub type EventCallback = Arc<dyn Fn(&Event) + Send + Sync>;

/// How a [`KeySource`] behaves. `Default` is the table in the crate docs.
#[derive(Clone, Default)]
pub struct KeySourceOptions {
    /// The HTTP client and fetch rules.
    pub http: HttpOptions,
    /// The refresh policy.
    pub policy: RefreshPolicy,
    /// When true, a refresh ahead of expiry (or of stale keys) runs inline
    /// in the request that notices it. Default false: it runs on a
    /// short-lived background thread, so no request waits.
    pub inline_refresh: bool,
    /// Receives every event (log it with `Display`: no key material).
    pub on_event: Option<EventCallback>,
}

impl core::fmt::Debug for KeySourceOptions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeySourceOptions")
            .field("http", &self.http)
            .field("policy", &self.policy)
            .field("inline_refresh", &self.inline_refresh)
            .field("on_event", &self.on_event.is_some())
            .finish()
    }
}

/// How many of each event a key source has seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventCounts {
    /// Successful fetches of a new key set.
    pub fetched: u64,
    /// 304 answers.
    pub not_modified: u64,
    /// Failed fetches (transport, status, garbage, no usable key, discovery).
    pub failed: u64,
    /// Failed refreshes after which stale keys kept serving.
    pub served_stale: u64,
    /// Unknown kids that caused no fetch (cooldown).
    pub cooldown: u64,
}

#[derive(Default)]
struct Counters {
    fetched: AtomicU64,
    not_modified: AtomicU64,
    failed: AtomicU64,
    served_stale: AtomicU64,
    cooldown: AtomicU64,
}

#[derive(Debug, Clone)]
enum Location {
    Issuer(String),
    JwksUri(String),
}

struct Inner {
    location: Location,
    http: HttpOptions,
    transport: Arc<dyn Transport>,
    keys: ArcSwapOption<KeySet>,
    /// The SHA-256 of the document `keys` came from: a refetch that brings
    /// the same bytes keeps the same `Arc`, so a caller's per-key-set state
    /// ([`Keys::shared`]) survives a refresh that changed nothing.
    document_sha256: Mutex<Option<[u8; 32]>>,
    /// `RefreshState::fresh_until` mirrored for the lock-free fast path.
    fresh_until: AtomicU64,
    state: Mutex<RefreshState>,
    flight_done: Condvar,
    metadata: Mutex<Option<Metadata>>,
    counters: Counters,
    on_event: Option<EventCallback>,
    inline_refresh: bool,
}

/// Keys from an authorization server, kept fresh by the refresh policy.
///
/// Cheap to clone (one `Arc`); share it between threads. Reading the keys
/// is an atomic load while they are fresh; only the first load, a kid miss
/// outside the cooldown, and keys past their stale limit wait on the
/// network. See the crate docs for the policy.
#[derive(Clone)]
pub struct KeySource {
    inner: Arc<Inner>,
}

impl core::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeySource")
            .field("location", &self.inner.location)
            .field("counts", &self.counts())
            .finish()
    }
}

/// The current keys: derefs to `[Key]`, what validation takes, like a
/// [`KeySet`]. Holding it keeps this set alive across a rotation; drop it
/// soon (it is a cheap `arc-swap` guard).
pub struct Keys(Guard<Option<Arc<KeySet>>>);

impl core::ops::Deref for Keys {
    type Target = [Key];
    fn deref(&self) -> &[Key] {
        match self.0.as_ref() {
            Some(set) => set,
            None => &[],
        }
    }
}

impl core::fmt::Debug for Keys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Keys({} keys)", self.len())
    }
}

impl Keys {
    /// The key set itself (its skipped entries, for instance).
    pub fn key_set(&self) -> Option<&KeySet> {
        self.0.as_deref()
    }

    /// The key set as a shared pointer (`None` before any load): every
    /// fetch that changes the keys makes a new one, so a caller keeping
    /// state per key set (a verified-token cache) compares it with
    /// [`Arc::ptr_eq`] while holding the old one (which rules out an
    /// address being reused).
    pub fn shared(&self) -> Option<Arc<KeySet>> {
        self.0.as_ref().map(Arc::clone)
    }
}

/// Scratch bytes [`KeySource::validate_access`] and
/// [`KeySource::validate_id`] need for a token of `token_len` bytes: twice
/// the core's [`tokenlane::scratch_len`], so a kid miss can retry with new
/// keys into the second half while the borrow rules stay safe.
pub const fn scratch_len(token_len: usize) -> usize {
    tokenlane::scratch_len(token_len).saturating_mul(2)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl KeySource {
    /// A source that discovers `issuer`'s metadata (OpenID Connect, then
    /// RFC 8414) on the first load and follows its `jwks_uri`. No I/O here.
    ///
    /// Errors: the issuer URL's (`InvalidUrl`, `InsecureUrl`) and `CaBundle`.
    pub fn from_issuer(issuer: &str, options: KeySourceOptions) -> Result<Self, RemoteError> {
        let transport = Arc::new(HttpTransport::new(&options.http)?);
        Self::with_transport_issuer(issuer, options, transport)
    }

    /// A source reading `jwks_uri` directly. No I/O here.
    ///
    /// Errors: the URL's (`InvalidUrl`, `InsecureUrl`) and `CaBundle`.
    pub fn from_jwks_uri(jwks_uri: &str, options: KeySourceOptions) -> Result<Self, RemoteError> {
        let transport = Arc::new(HttpTransport::new(&options.http)?);
        Self::with_transport_jwks_uri(jwks_uri, options, transport)
    }

    /// [`Self::from_issuer`] over another transport (a stub in tests, or a
    /// client of your own). The rules above the transport are the same.
    pub fn with_transport_issuer(
        issuer: &str,
        options: KeySourceOptions,
        transport: Arc<dyn Transport>,
    ) -> Result<Self, RemoteError> {
        metadata_urls(issuer, options.http.dangerously_allow_plain_http)?;
        Ok(Self::build(
            Location::Issuer(issuer.to_owned()),
            options,
            transport,
        ))
    }

    /// [`Self::from_jwks_uri`] over another transport.
    pub fn with_transport_jwks_uri(
        jwks_uri: &str,
        options: KeySourceOptions,
        transport: Arc<dyn Transport>,
    ) -> Result<Self, RemoteError> {
        crate::url::parse(jwks_uri, options.http.dangerously_allow_plain_http)?;
        Ok(Self::build(
            Location::JwksUri(jwks_uri.to_owned()),
            options,
            transport,
        ))
    }

    fn build(location: Location, options: KeySourceOptions, transport: Arc<dyn Transport>) -> Self {
        Self {
            inner: Arc::new(Inner {
                location,
                http: options.http,
                transport,
                keys: ArcSwapOption::empty(),
                document_sha256: Mutex::new(None),
                fresh_until: AtomicU64::new(0),
                state: Mutex::new(RefreshState::new(options.policy)),
                flight_done: Condvar::new(),
                metadata: Mutex::new(None),
                counters: Counters::default(),
                on_event: options.on_event,
                inline_refresh: options.inline_refresh,
            }),
        }
    }

    /// The current keys at `now`.
    ///
    /// Fresh keys: an atomic load, no lock. Keys in the refresh-ahead window
    /// or stale within `max_stale`: served at once while a background
    /// refresh runs. No keys yet, or past the stale limit: fetches and waits
    /// (or joins the fetch in flight).
    ///
    /// Errors: the fetch's [`RemoteError`]; `RetryLater` / `StaleTooLong`
    /// when no keys can be served and the last attempt failed less than the
    /// retry interval ago.
    pub fn keys(&self, now: UnixTime) -> Result<Keys, RemoteError> {
        match self.fresh_keys(now) {
            Some(keys) => Ok(keys),
            None => self.slow_keys(now.as_secs()),
        }
    }

    /// The current keys at `now` when they are fresh: the lock-free path of
    /// [`Self::keys`], which never fetches, waits or starts a refresh.
    /// `None` when [`Self::keys`] would have to do more (no keys yet, the
    /// refresh-ahead window, stale keys): an event-loop caller then calls
    /// [`Self::keys`] on a thread that may wait.
    pub fn fresh_keys(&self, now: UnixTime) -> Option<Keys> {
        if now.as_secs() < self.inner.fresh_until.load(Ordering::Acquire) {
            let guard = self.inner.keys.load();
            if guard.is_some() {
                return Some(Keys(guard));
            }
        }
        None
    }

    fn slow_keys(&self, t: u64) -> Result<Keys, RemoteError> {
        let mut st = lock(&self.inner.state);
        let plan = st.read(t);
        match plan {
            ReadPlan::Serve | ReadPlan::ServeStale => {}
            ReadPlan::ServeAndRefresh => {
                if let Some(cond) = st.begin(t) {
                    drop(st);
                    self.refresh_in_background(cond, t);
                    return Ok(Keys(self.inner.keys.load()));
                }
            }
            ReadPlan::FetchAndWait => {
                if let Some(cond) = st.begin(t) {
                    drop(st);
                    self.inner.run_fetch(&cond, t);
                    st = lock(&self.inner.state);
                }
            }
            ReadPlan::WaitForFlight => st = self.inner.wait_for_flight(st),
            ReadPlan::Unavailable => {}
        }
        if st.servable(t) {
            return Ok(Keys(self.inner.keys.load()));
        }
        let last = st
            .last_error()
            .cloned()
            .unwrap_or(RemoteError::Transport(crate::TransportError::Timeout));
        Err(if st.expires_at().is_some() {
            RemoteError::StaleTooLong(Box::new(last))
        } else if plan == ReadPlan::Unavailable {
            RemoteError::RetryLater(Box::new(last))
        } else {
            last
        })
    }

    fn refresh_in_background(&self, cond: Conditional, t: u64) {
        if self.inner.inline_refresh {
            self.inner.run_fetch(&cond, t);
            return;
        }
        let inner = Arc::clone(&self.inner);
        let spawned = std::thread::Builder::new()
            .name("tokenlane-jwks-refresh".into())
            .spawn(move || inner.run_fetch(&cond, t));
        if spawned.is_err() {
            // No thread to be had: end the flight as failed so nothing waits on it.
            let events = lock(&self.inner.state).finish(
                t,
                Outcome::Failed(RemoteError::Transport(crate::TransportError::Io)),
            );
            self.inner.flight_done.notify_all();
            self.inner.emit(&events);
        }
    }

    /// Fetches now (joining a fetch in flight), whatever the policy says;
    /// for a warm-up at start or an operator's "reload". Returns the keys
    /// served afterwards. Errors: as [`Self::keys`].
    pub fn refresh(&self, now: UnixTime) -> Result<Keys, RemoteError> {
        let t = now.as_secs();
        let mut st = lock(&self.inner.state);
        if let Some(cond) = st.begin(t) {
            drop(st);
            self.inner.run_fetch(&cond, t);
            st = lock(&self.inner.state);
        } else {
            st = self.inner.wait_for_flight(st);
        }
        if st.servable(t) {
            return Ok(Keys(self.inner.keys.load()));
        }
        Err(st
            .last_error()
            .cloned()
            .unwrap_or(RemoteError::Transport(crate::TransportError::Timeout)))
    }

    /// Handles a token whose `kid` the current keys lack: fetches unless
    /// within the cooldown (or joins the fetch in flight). Returns whether a
    /// fetch completed, i.e. whether a retry can see other keys.
    ///
    /// Prefer [`Self::kid_miss_since`] when the miss was found on keys read
    /// earlier: another thread's fetch may have replaced them in between,
    /// and this call then answers `false` (cooldown) although a retry would
    /// see the new keys.
    pub fn kid_miss(&self, now: UnixTime) -> bool {
        let t = now.as_secs();
        let mut st = lock(&self.inner.state);
        match st.kid_miss(t) {
            KidMiss::Cooldown => {
                let remaining = st.cooldown_remaining(t);
                drop(st);
                self.inner.emit(&[Event::Cooldown { remaining }]);
                false
            }
            KidMiss::WaitForFlight => {
                drop(self.inner.wait_for_flight(st));
                true
            }
            KidMiss::Fetch => match st.begin(t) {
                Some(cond) => {
                    drop(st);
                    self.inner.run_fetch(&cond, t);
                    true
                }
                None => false,
            },
        }
    }

    /// [`Self::kid_miss`] for a miss found on `seen`, keys read earlier:
    /// also `true` when the current key set is no longer `seen` (another
    /// thread's fetch replaced it meanwhile, whatever the cooldown says), so
    /// a token signed by a freshly rotated key is never refused in that
    /// race. The cooldown still bounds the fetches.
    pub fn kid_miss_since(&self, seen: &Keys, now: UnixTime) -> bool {
        self.retry_after_miss(seen.0.as_ref().map(Arc::clone), now)
    }

    /// [`Self::kid_miss_since`] on the set itself, so the caller can drop
    /// its guard before a fetch.
    fn retry_after_miss(&self, seen: Option<Arc<KeySet>>, now: UnixTime) -> bool {
        // The cooldown's answer first: a fetch it runs is what replaces the keys.
        self.kid_miss(now) || !self.is_current(seen.as_ref())
    }

    /// Whether `seen` is still the key set served.
    fn is_current(&self, seen: Option<&Arc<KeySet>>) -> bool {
        match (self.inner.keys.load().as_ref(), seen) {
            (Some(now), Some(seen)) => Arc::ptr_eq(now, seen),
            (None, None) => true,
            _ => false,
        }
    }

    /// Validates an access token with the current keys; on `key_not_found`
    /// for a token that names a `kid`, follows [`Self::kid_miss_since`] and
    /// retries once with the keys it brings.
    ///
    /// `scratch` must hold [`scratch_len`]`(token.len())` bytes (twice the
    /// core's; shorter is the core's `token_too_large`). Errors:
    /// `Token(code)` from the core, `KeysUnavailable` when no keys can be had.
    pub fn validate_access<'s, S: AsRef<str>>(
        &self,
        policy: &AccessPolicy<'_, S>,
        token: &[u8],
        now: UnixTime,
        scratch: &'s mut [u8],
    ) -> Result<AccessToken<'s>, ValidationError> {
        let (first, second) = scratch.split_at_mut(scratch.len() / 2);
        let keys = self.keys(now).map_err(ValidationError::KeysUnavailable)?;
        let miss = match policy.validate(token, &keys, now, first) {
            Err(e @ tokenlane::Error::KeyNotFound { kid_given: true }) => e,
            other => return other.map_err(ValidationError::Token),
        };
        let seen = keys.0.as_ref().map(Arc::clone);
        drop(keys);
        if !self.retry_after_miss(seen, now) {
            return Err(ValidationError::Token(miss));
        }
        let keys = self.keys(now).map_err(ValidationError::KeysUnavailable)?;
        policy
            .validate(token, &keys, now, second)
            .map_err(ValidationError::Token)
    }

    /// [`Self::validate_access`] for the ID-token lane.
    pub fn validate_id<'s>(
        &self,
        policy: &IdPolicy<'_>,
        token: &[u8],
        now: UnixTime,
        checks: &IdChecks<'_>,
        scratch: &'s mut [u8],
    ) -> Result<IdToken<'s>, ValidationError> {
        let (first, second) = scratch.split_at_mut(scratch.len() / 2);
        let keys = self.keys(now).map_err(ValidationError::KeysUnavailable)?;
        let miss = match policy.validate(token, &keys, now, checks, first) {
            Err(e @ tokenlane::Error::KeyNotFound { kid_given: true }) => e,
            other => return other.map_err(ValidationError::Token),
        };
        let seen = keys.0.as_ref().map(Arc::clone);
        drop(keys);
        if !self.retry_after_miss(seen, now) {
            return Err(ValidationError::Token(miss));
        }
        let keys = self.keys(now).map_err(ValidationError::KeysUnavailable)?;
        policy
            .validate(token, &keys, now, checks, second)
            .map_err(ValidationError::Token)
    }

    /// The discovered metadata (issuer sources, after the first load).
    pub fn metadata(&self) -> Option<Metadata> {
        lock(&self.inner.metadata).clone()
    }

    /// How many of each event so far.
    pub fn counts(&self) -> EventCounts {
        let c = &self.inner.counters;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        EventCounts {
            fetched: l(&c.fetched),
            not_modified: l(&c.not_modified),
            failed: l(&c.failed),
            served_stale: l(&c.served_stale),
            cooldown: l(&c.cooldown),
        }
    }
}

impl Inner {
    fn emit(&self, events: &[Event]) {
        for e in events {
            let counter = match e {
                Event::Fetched { .. } => &self.counters.fetched,
                Event::NotModified { .. } => &self.counters.not_modified,
                Event::Failed { .. } => &self.counters.failed,
                Event::ServedStale { .. } => &self.counters.served_stale,
                Event::Cooldown { .. } => &self.counters.cooldown,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            if let Some(cb) = &self.on_event {
                cb(e);
            }
        }
    }

    /// The longest a waiter waits for a fetch in flight: every request a
    /// fetch can make (two metadata documents and the JWKS, each with its
    /// redirects) at the total timeout, plus a second.
    fn flight_deadline(&self) -> Duration {
        let requests = self.http.max_redirects.saturating_add(1).saturating_mul(3);
        self.http
            .total_timeout
            .saturating_mul(requests)
            .saturating_add(Duration::from_secs(1))
    }

    fn wait_for_flight<'a>(
        &self,
        mut st: MutexGuard<'a, RefreshState>,
    ) -> MutexGuard<'a, RefreshState> {
        let generation = st.generation();
        let deadline = Instant::now() + self.flight_deadline();
        while st.in_flight() && st.generation() == generation {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            st = self
                .flight_done
                .wait_timeout(st, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        st
    }

    fn jwks_uri(&self) -> Result<String, RemoteError> {
        match &self.location {
            Location::JwksUri(u) => Ok(u.clone()),
            Location::Issuer(issuer) => {
                if let Some(m) = lock(&self.metadata).as_ref() {
                    return Ok(m.jwks_uri.clone());
                }
                let m = discover(self.transport.as_ref(), &self.http, issuer)?;
                let uri = m.jwks_uri.clone();
                *lock(&self.metadata) = Some(m);
                Ok(uri)
            }
        }
    }

    fn fetch_keys(&self, cond: &Conditional) -> (Outcome, Option<(KeySet, [u8; 32])>) {
        let uri = match self.jwks_uri() {
            Ok(u) => u,
            Err(e) => return (Outcome::Failed(e), None),
        };
        match fetch(
            self.transport.as_ref(),
            &self.http,
            &uri,
            cond.if_none_match.as_deref(),
            cond.if_modified_since.as_deref(),
        ) {
            Ok(Fetched::Document { body, cache }) => match KeySet::from_jwks(&body) {
                Ok(set) => {
                    let mut sha = [0u8; 32];
                    sha.copy_from_slice(
                        ring::digest::digest(&ring::digest::SHA256, &body).as_ref(),
                    );
                    (
                        Outcome::Fetched {
                            cache,
                            keys: set.len(),
                            skipped: set.skipped().len(),
                        },
                        Some((set, sha)),
                    )
                }
                Err(e) => (Outcome::Failed(RemoteError::Keys(e)), None),
            },
            Ok(Fetched::NotModified { cache }) => (Outcome::NotModified { cache }, None),
            Err(e) => (Outcome::Failed(e), None),
        }
    }

    /// Runs the fetch begun at `started` and applies its outcome. The new
    /// keys are stored before the state says they are fresh.
    fn run_fetch(&self, cond: &Conditional, started: u64) {
        let clock = Instant::now();
        let (outcome, set) = self.fetch_keys(cond);
        let done = started.saturating_add(clock.elapsed().as_secs());
        let events = {
            let mut st = lock(&self.state);
            if let Some((set, sha)) = set {
                // The same document again keeps the same set (and `Arc`).
                let mut last = lock(&self.document_sha256);
                if *last != Some(sha) || self.keys.load().is_none() {
                    self.keys.store(Some(Arc::new(set)));
                    *last = Some(sha);
                }
            }
            let events = st.finish(done, outcome);
            self.fresh_until.store(st.fresh_until(), Ordering::Release);
            events
        };
        self.flight_done.notify_all();
        self.emit(&events);
    }
}
