//! The key source: keys from an issuer (discovery) or a `jwks_uri`, kept
//! fresh by `tokenlane-remote`'s refresh policy, with an optional
//! background refresher thread, events through counters and a callback,
//! and validators that follow it.
//!
//! Every rule (URLs, redirects, timeouts, the refresh policy, kid misses,
//! stale-if-error) is `tokenlane-remote`'s; this module only translates
//! options, results and events.

use core::ffi::{c_char, c_void};
use core::time::Duration;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use tokenlane::UnixTime;
use tokenlane_remote::{
    Event, EventCallback, HttpOptions, KeySource, KeySourceOptions, RefreshPolicy, RemoteError,
    MAX_REDIRECTS_LIMIT,
};

use crate::error::{tokenlane_error_detail, tokenlane_result, Failure};
use crate::ffi::{self, Castable, OutPtr};
use crate::panic::ffi_boundary;

/// HTTP client settings shared by the key source and the introspector.
/// Filled with the defaults by `tokenlane_keysource_options_init` /
/// `tokenlane_introspector_options_init`; change only what you need.
///
/// It is embedded in both options structs, so its layout never changes:
/// a new HTTP setting is appended to the options structs instead.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tokenlane_http_options {
    /// TCP connect timeout in milliseconds (default 5000; 1 to 600000).
    pub connect_timeout_ms: u64,
    /// Total time of one request, DNS to the last body byte, in
    /// milliseconds (default 10000; 1 to 600000). A server that trickles
    /// bytes hits this.
    pub total_timeout_ms: u64,
    /// Redirects followed per fetch (default 3; at most 10; never
    /// `https` to `http`). The introspector never follows redirects.
    pub max_redirects: u32,
    /// Trust the system's certificate store (default true).
    pub system_roots: bool,
    /// NULL (default), or the path of a PEM file of extra trusted CA
    /// certificates (`ca_bundle_path_len` bytes, UTF-8), read when the
    /// object is made.
    pub ca_bundle_path: *const c_char,
    /// Length of `ca_bundle_path` in bytes.
    pub ca_bundle_path_len: usize,
    /// **Dangerous.** Allow plain `http` to any host, not only to loopback
    /// IP literals (`127.0.0.1`, `::1`): anyone on the path can then hand
    /// you keys or answer introspection for you. Default false.
    pub dangerously_allow_plain_http: bool,
}

/// The largest timeout accepted, in milliseconds (ten minutes).
const MAX_TIMEOUT_MS: u64 = 600_000;

impl tokenlane_http_options {
    /// The defaults (those of `tokenlane-remote`'s `HttpOptions`).
    pub(crate) fn defaults() -> Self {
        let d = HttpOptions::default();
        Self {
            connect_timeout_ms: millis(d.connect_timeout),
            total_timeout_ms: millis(d.total_timeout),
            max_redirects: d.max_redirects,
            system_roots: d.system_roots,
            ca_bundle_path: core::ptr::null(),
            ca_bundle_path_len: 0,
            dangerously_allow_plain_http: d.dangerously_allow_plain_http,
        }
    }

    /// The Rust options, checked; reads the CA bundle.
    ///
    /// # Safety
    /// `ca_bundle_path` is NULL or points to `ca_bundle_path_len` readable
    /// bytes.
    pub(crate) unsafe fn to_rust(self) -> Result<HttpOptions, Failure> {
        let timeout = |name: &str, ms: u64| {
            if (1..=MAX_TIMEOUT_MS).contains(&ms) {
                Ok(Duration::from_millis(ms))
            } else {
                Err(Failure::invalid(format!(
                    "{name} must be between 1 and {MAX_TIMEOUT_MS} milliseconds"
                )))
            }
        };
        if self.max_redirects > MAX_REDIRECTS_LIMIT {
            return Err(Failure::invalid(format!(
                "max_redirects must be at most {MAX_REDIRECTS_LIMIT}"
            )));
        }
        // SAFETY: forwarded contract.
        let path = unsafe {
            ffi::try_opt_str(
                self.ca_bundle_path,
                self.ca_bundle_path_len,
                "ca_bundle_path",
            )
        }?;
        let ca_bundle_pem = match path {
            None => None,
            Some(p) => Some(std::fs::read(p).map_err(|e| {
                Failure::invalid(format!("could not read the CA bundle {p:?}: {e}"))
            })?),
        };
        Ok(HttpOptions {
            connect_timeout: timeout("connect_timeout_ms", self.connect_timeout_ms)?,
            total_timeout: timeout("total_timeout_ms", self.total_timeout_ms)?,
            max_redirects: self.max_redirects,
            system_roots: self.system_roots,
            ca_bundle_pem,
            dangerously_allow_plain_http: self.dangerously_allow_plain_http,
        })
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Receives the key source's events. `kind` is a `TOKENLANE_KEYSOURCE_EVENT_*`
/// value (a newer library may send numbers this header does not know:
/// ignore them); `message` (`message_len` bytes, UTF-8, not NUL-terminated,
/// valid only during the call) is a log line without key material.
///
/// Which thread: the one that caused the event: a validating thread (the
/// first load, a kid miss, a cooldown), the background refresher, or a
/// short-lived refresh thread of the library. It is called outside every
/// lock of the library, so it may call tokenlane functions (the counters,
/// a validation), but it must be thread-safe, return quickly, not unwind
/// (no C++ exception may leave it), and must not stop or free the key
/// source (the refresher would wait for itself).
pub type tokenlane_keysource_event_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        kind: u32,
        message: *const c_char,
        message_len: usize,
    ),
>;

/// Event: a new key set was fetched and loaded.
pub const TOKENLANE_KEYSOURCE_EVENT_FETCHED: u32 = 1;
/// Event: the server answered 304; the keys are unchanged, their TTL renewed.
pub const TOKENLANE_KEYSOURCE_EVENT_NOT_MODIFIED: u32 = 2;
/// Event: a fetch failed (transport, status, garbage, no usable key,
/// discovery); the current keys, if any, stay.
pub const TOKENLANE_KEYSOURCE_EVENT_FAILED: u32 = 3;
/// Event: after a failed fetch, the last good keys keep serving past expiry.
pub const TOKENLANE_KEYSOURCE_EVENT_SERVED_STALE: u32 = 4;
/// Event: a token with an unknown `kid` caused no fetch (cooldown).
pub const TOKENLANE_KEYSOURCE_EVENT_COOLDOWN: u32 = 5;

/// How a key source behaves. Initialize it with
/// `tokenlane_keysource_options_init(&options, sizeof options)`, which
/// writes the defaults and `struct_size`, then change what you need.
///
/// ABI evolution: `struct_size` says which version of this struct the
/// caller compiled against. Fields are only ever appended; a library reads
/// the fields that `struct_size` covers and uses the defaults for the rest.
/// A `struct_size` that is not the size of a version the library knows is
/// `INVALID_ARGUMENT`.
///
/// The refresh policy's settings are seconds, with `tokenlane-remote`'s
/// defaults and bounds (outside them: `INVALID_ARGUMENT` naming the
/// setting): `default_ttl` 600 (60..=86400), `min_ttl` 60 (1..=3600),
/// `max_ttl` 86400 (60..=604800), `refresh_ahead` 30 (0..=3600),
/// `kid_miss_cooldown` 30 (1..=600), `retry_interval` 10 (1..=600),
/// `max_stale` 86400 (0..=604800).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tokenlane_keysource_options {
    /// `sizeof(tokenlane_keysource_options)` as the caller compiled it.
    pub struct_size: usize,
    /// The HTTP client.
    pub http: tokenlane_http_options,
    /// TTL of a key set whose response has no `Cache-Control: max-age`.
    pub default_ttl: u64,
    /// Floor of a response's `max-age`.
    pub min_ttl: u64,
    /// Ceiling of a response's `max-age`.
    pub max_ttl: u64,
    /// A background refresh starts this long before expiry.
    pub refresh_ahead: u64,
    /// After any fetch attempt, an unknown `kid` fetches nothing for this long.
    pub kid_miss_cooldown: u64,
    /// After a failed fetch, no new attempt for this long.
    pub retry_interval: u64,
    /// Stale-if-error: how long past expiry the last good keys keep serving.
    pub max_stale: u64,
    /// How often the background refresher (`tokenlane_keysource_start`)
    /// wakes up to apply the policy, seconds (default 5; 1..=3600).
    pub refresher_interval: u64,
    /// NULL (default), or the event callback (see
    /// `tokenlane_keysource_event_fn` for the thread that calls it).
    pub on_event: tokenlane_keysource_event_fn,
    /// Passed unchanged to `on_event`. It must stay valid until the key
    /// source and every validator following it are freed, and then for as
    /// long as a refresh they started may still run (a short-lived thread,
    /// bounded by the timeouts): simplest is static or process-long data.
    pub user_data: *mut c_void,
}

const REFRESHER_DEFAULT: u64 = 5;
const REFRESHER_MAX: u64 = 3_600;

impl tokenlane_keysource_options {
    fn defaults() -> Self {
        let p = RefreshPolicy::default();
        Self {
            struct_size: core::mem::size_of::<Self>(),
            http: tokenlane_http_options::defaults(),
            default_ttl: p.default_ttl(),
            min_ttl: p.min_ttl(),
            max_ttl: p.max_ttl(),
            refresh_ahead: p.refresh_ahead(),
            kid_miss_cooldown: p.kid_miss_cooldown(),
            retry_interval: p.retry_interval(),
            max_stale: p.max_stale(),
            refresher_interval: REFRESHER_DEFAULT,
            on_event: None,
            user_data: core::ptr::null_mut(),
        }
    }
}

/// Checks a caller's `struct_size` against the one version known so far.
pub(crate) fn check_struct_size(name: &str, given: usize, known: usize) -> Result<(), Failure> {
    if given == known {
        Ok(())
    } else {
        Err(Failure::invalid(format!(
            "{name}.struct_size is {given}, this library knows {known} (initialize it with its _options_init)"
        )))
    }
}

/// The caller's callback, callable from any thread.
#[derive(Clone, Copy)]
struct CCallback {
    f: unsafe extern "C" fn(*mut c_void, u32, *const c_char, usize),
    user_data: *mut c_void,
}

// SAFETY: the options' contract: the callback is thread-safe and
// `user_data` stays valid for every thread until the key source and its
// validators are freed; the library only passes the pointer back.
unsafe impl Send for CCallback {}
// SAFETY: as for `Send`: the library never dereferences `user_data`.
unsafe impl Sync for CCallback {}

impl CCallback {
    fn call(&self, e: &Event) {
        let kind = match e {
            Event::Fetched { .. } => TOKENLANE_KEYSOURCE_EVENT_FETCHED,
            Event::NotModified { .. } => TOKENLANE_KEYSOURCE_EVENT_NOT_MODIFIED,
            Event::Failed { .. } => TOKENLANE_KEYSOURCE_EVENT_FAILED,
            Event::ServedStale { .. } => TOKENLANE_KEYSOURCE_EVENT_SERVED_STALE,
            Event::Cooldown { .. } => TOKENLANE_KEYSOURCE_EVENT_COOLDOWN,
            // A newer `tokenlane-remote` event: a number C ignores.
            _ => 0,
        };
        let message = e.to_string();
        // SAFETY: the caller's callback with its own `user_data` and a
        // borrowed buffer valid for the call; the options' contract says
        // it is thread-safe and does not unwind.
        unsafe { (self.f)(self.user_data, kind, message.as_ptr().cast(), message.len()) }
    }
}

/// Options for `tokenlane-remote`, checked.
///
/// # Safety
/// `options` is NULL or an initialized struct whose pointers follow its
/// field docs.
unsafe fn rust_options(
    options: *const tokenlane_keysource_options,
) -> Result<(KeySourceOptions, Duration), Failure> {
    // SAFETY: forwarded contract.
    let o = match unsafe { ffi::try_struct(options) } {
        Some(o) => {
            check_struct_size(
                "tokenlane_keysource_options",
                o.struct_size,
                core::mem::size_of::<tokenlane_keysource_options>(),
            )?;
            *o
        }
        None => tokenlane_keysource_options::defaults(),
    };
    let bound = |e: tokenlane_remote::policy::PolicyBoundError| Failure::invalid(e.to_string());
    let policy = RefreshPolicy::default()
        .with_default_ttl(o.default_ttl)
        .and_then(|p| p.with_min_ttl(o.min_ttl))
        .and_then(|p| p.with_max_ttl(o.max_ttl))
        .and_then(|p| p.with_refresh_ahead(o.refresh_ahead))
        .and_then(|p| p.with_kid_miss_cooldown(o.kid_miss_cooldown))
        .and_then(|p| p.with_retry_interval(o.retry_interval))
        .and_then(|p| p.with_max_stale(o.max_stale))
        .map_err(bound)?;
    if !(1..=REFRESHER_MAX).contains(&o.refresher_interval) {
        return Err(Failure::invalid(format!(
            "refresher_interval must be between 1 and {REFRESHER_MAX} seconds"
        )));
    }
    // SAFETY: forwarded contract (the CA bundle path).
    let http = unsafe { o.http.to_rust() }?;
    let on_event: Option<EventCallback> = o.on_event.map(|f| {
        let cb = CCallback {
            f,
            user_data: o.user_data,
        };
        let arc: EventCallback = Arc::new(move |e: &Event| cb.call(e));
        arc
    });
    Ok((
        KeySourceOptions {
            http,
            policy,
            inline_refresh: false,
            on_event,
        },
        Duration::from_secs(o.refresher_interval),
    ))
}

/// Writes the default options into `*out` (the defaults above, no
/// callback) and sets `out->struct_size` to `out_size`.
///
/// Errors: `NULL_PARAMETER`; `INVALID_ARGUMENT` when `out_size` is not
/// `sizeof(tokenlane_keysource_options)` of this library (nothing written).
#[no_mangle]
pub extern "C" fn tokenlane_keysource_options_init(
    out: *mut tokenlane_keysource_options,
    out_size: usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a struct it may write.
        let out = unsafe { OutPtr::new(out, "out") }?;
        check_struct_size(
            "tokenlane_keysource_options",
            out_size,
            core::mem::size_of::<tokenlane_keysource_options>(),
        )?;
        out.write(tokenlane_keysource_options::defaults());
        Ok(())
    }
}

/// Keys from an authorization server, kept fresh: made by
/// `tokenlane_keysource_from_issuer` or `_from_jwks_uri`, followed by
/// validators (`tokenlane_access_validator_new_with_keysource`, ...).
///
/// Thread-safe: every function may be called from any thread at any time,
/// also while validators use it; validation never waits on the network
/// except for the first load, a kid miss outside the cooldown and keys past
/// their stale limit. Validators hold their own reference: freeing the key
/// source stops its refresher, and validators keep following the keys
/// (refreshed by the requests themselves).
pub struct tokenlane_keysource {
    _private: [u8; 0],
}

struct Refresher {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: JoinHandle<()>,
}

/// The Rust value behind a `tokenlane_keysource`.
pub(crate) struct CKeySource {
    pub(crate) source: KeySource,
    interval: Duration,
    refresher: Mutex<Option<Refresher>>,
}

impl Castable for tokenlane_keysource {
    type RustType = CKeySource;
}

impl CKeySource {
    fn stop(&self) {
        let taken = self
            .refresher
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(r) = taken {
            let (flag, cv) = &*r.stop;
            *flag.lock().unwrap_or_else(PoisonError::into_inner) = true;
            cv.notify_all();
            // A panic on the refresher thread has nothing left to report.
            let _ = r.thread.join();
        }
    }
}

impl Drop for CKeySource {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A `RemoteError` met while making an object: the caller's argument.
fn construction_failure(what: &str, e: &RemoteError) -> Failure {
    Failure::invalid(format!("{what}: {e}"))
}

/// No keys could be had (`KEYS_UNAVAILABLE`).
pub(crate) fn keys_unavailable(e: &RemoteError) -> Failure {
    Failure {
        code: tokenlane_result::KeysUnavailable,
        message: format!("keys unavailable: {e}"),
    }
}

fn new_source(
    url: *const c_char,
    url_len: usize,
    name: &'static str,
    options: *const tokenlane_keysource_options,
    out: *mut *mut tokenlane_keysource,
    make: fn(&str, KeySourceOptions) -> Result<KeySource, RemoteError>,
) -> Result<(), Failure> {
    // SAFETY: the caller passes `url_len` readable bytes at `url`.
    let url = unsafe { ffi::try_str(url, url_len, name) }?;
    // SAFETY: the caller passes NULL or an initialized options struct.
    let (opts, interval) = unsafe { rust_options(options) }?;
    // SAFETY: the caller passes NULL or a writable pointer location.
    let out = unsafe { OutPtr::new(out, "out") }?;
    let source = make(url, opts).map_err(|e| construction_failure(name, &e))?;
    out.write(ffi::box_into_ptr(CKeySource {
        source,
        interval,
        refresher: Mutex::new(None),
    }));
    Ok(())
}

/// Makes a key source that discovers `issuer`'s metadata (OpenID Connect
/// Discovery, then RFC 8414 with path insertion) on the first load and
/// follows its `jwks_uri`; the metadata's `issuer` must equal `issuer`
/// exactly. `options` NULL means the defaults. No I/O here: keys are
/// fetched by the first validation, `tokenlane_keysource_refresh` or the
/// refresher. Free it with `tokenlane_keysource_free`.
///
/// URL rules: `https`; plain `http` only to a loopback IP literal, or to
/// any host with `http.dangerously_allow_plain_http`; no credentials or
/// fragment.
///
/// Errors: `NULL_PARAMETER`; `INVALID_ARGUMENT` (not UTF-8, a URL the rules
/// refuse, an option out of its bounds, a wrong `struct_size`, a CA bundle
/// that cannot be read or holds no PEM certificate; the detail says which).
#[no_mangle]
pub extern "C" fn tokenlane_keysource_from_issuer(
    issuer: *const c_char,
    issuer_len: usize,
    options: *const tokenlane_keysource_options,
    out: *mut *mut tokenlane_keysource,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        new_source(issuer, issuer_len, "issuer", options, out, KeySource::from_issuer)
    }
}

/// Makes a key source that reads the JWKS at `jwks_uri` directly (no
/// discovery). Otherwise as `tokenlane_keysource_from_issuer`.
///
/// Errors: as `tokenlane_keysource_from_issuer`.
#[no_mangle]
pub extern "C" fn tokenlane_keysource_from_jwks_uri(
    jwks_uri: *const c_char,
    jwks_uri_len: usize,
    options: *const tokenlane_keysource_options,
    out: *mut *mut tokenlane_keysource,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        new_source(jwks_uri, jwks_uri_len, "jwks_uri", options, out, KeySource::from_jwks_uri)
    }
}

/// Fetches the keys now (or joins the fetch in flight), whatever the policy
/// says: a warm-up at start, or an operator's "reload". Blocks for at most
/// the fetch's timeouts. `now`: Unix seconds (`tokenlane_now()`).
///
/// Errors: `NULL_PARAMETER`; `KEYS_UNAVAILABLE` when no keys can be served
/// afterwards (the detail says why: the fetch's error).
#[no_mangle]
pub extern "C" fn tokenlane_keysource_refresh(
    keysource: *const tokenlane_keysource,
    now: u64,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes NULL or a live key source.
        let k = unsafe { ffi::try_ref(keysource) }.ok_or_else(|| Failure::null("keysource"))?;
        k.source
            .refresh(UnixTime::from_secs(now))
            .map(drop)
            .map_err(|e| keys_unavailable(&e))
    }
}

/// Starts the background refresher: a thread (`tokenlane-jwks-refresher`)
/// that loads the keys at once, then wakes every `refresher_interval`
/// seconds and applies the refresh policy with the system clock (refresh
/// ahead of expiry, retry after a failure), so keys stay fresh without
/// traffic. Validation does not need it.
///
/// Errors: `NULL_PARAMETER`; `INVALID_ARGUMENT` when it already runs (stop
/// it first) or no thread can be made.
#[no_mangle]
pub extern "C" fn tokenlane_keysource_start(
    keysource: *const tokenlane_keysource,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes NULL or a live key source.
        let k = unsafe { ffi::try_ref(keysource) }.ok_or_else(|| Failure::null("keysource"))?;
        let mut slot = k.refresher.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_some() {
            return Err(Failure::invalid(String::from("the refresher already runs")));
        }
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let (source, interval, signal) = (k.source.clone(), k.interval, Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name("tokenlane-jwks-refresher".into())
            .spawn(move || refresher(&source, interval, &signal))
            .map_err(|e| Failure::invalid(format!("could not start the refresher thread: {e}")))?;
        *slot = Some(Refresher { stop, thread });
        Ok(())
    }
}

fn refresher(source: &KeySource, interval: Duration, stop: &(Mutex<bool>, Condvar)) {
    let (flag, cv) = stop;
    loop {
        // The outcome is in the events and counters; an error here is one
        // more failed attempt the policy already recorded.
        let _ = source.keys(UnixTime::now());
        let stopped = flag.lock().unwrap_or_else(PoisonError::into_inner);
        let (stopped, _) = cv
            .wait_timeout_while(stopped, interval, |s| !*s)
            .unwrap_or_else(PoisonError::into_inner);
        if *stopped {
            return;
        }
    }
}

/// Stops the background refresher and waits for its thread to end (at most
/// the fetch it may be running, bounded by the timeouts). Stopping a key
/// source whose refresher does not run (never started, or stopped already)
/// does nothing and succeeds.
///
/// Errors: `NULL_PARAMETER`.
#[no_mangle]
pub extern "C" fn tokenlane_keysource_stop(
    keysource: *const tokenlane_keysource,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live key source.
        let k = unsafe { ffi::try_ref(keysource) }.ok_or_else(|| Failure::null("keysource"))?;
        k.stop();
        Ok(())
    }
}

/// How many events of `kind` (a `TOKENLANE_KEYSOURCE_EVENT_*` value) the
/// key source has seen: the polled status, for a metrics endpoint or a
/// health check. 0 for a NULL key source or an unknown kind.
#[no_mangle]
pub extern "C" fn tokenlane_keysource_event_count(
    keysource: *const tokenlane_keysource,
    kind: u32,
) -> u64 {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a live key source.
        match unsafe { ffi::try_ref(keysource) } {
            None => 0,
            Some(k) => {
                let c = k.source.counts();
                match kind {
                    TOKENLANE_KEYSOURCE_EVENT_FETCHED => c.fetched,
                    TOKENLANE_KEYSOURCE_EVENT_NOT_MODIFIED => c.not_modified,
                    TOKENLANE_KEYSOURCE_EVENT_FAILED => c.failed,
                    TOKENLANE_KEYSOURCE_EVENT_SERVED_STALE => c.served_stale,
                    TOKENLANE_KEYSOURCE_EVENT_COOLDOWN => c.cooldown,
                    _ => 0,
                }
            }
        }
    }
}

/// Whether the background refresher runs. False for NULL.
#[no_mangle]
pub extern "C" fn tokenlane_keysource_running(keysource: *const tokenlane_keysource) -> bool {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a live key source.
        unsafe { ffi::try_ref(keysource) }.is_some_and(|k| {
            k.refresher.lock().unwrap_or_else(PoisonError::into_inner).is_some()
        })
    }
}

/// Frees a key source. NULL is a no-op. A running refresher is stopped
/// first (this waits for its thread, as `tokenlane_keysource_stop`).
/// Validators following it keep their own reference and keep working; the
/// event callback may still be called for them, and by a refresh in
/// flight on a short-lived thread (it ends within the timeouts).
#[no_mangle]
pub extern "C" fn tokenlane_keysource_free(keysource: *mut tokenlane_keysource) {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a key source it owns and no
        // thread uses any more.
        unsafe { ffi::free_box(keysource) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options' doc states each policy setting's default and bounds as
    /// `tokenlane-remote`'s one table does, and `_options_init` writes
    /// those defaults.
    #[test]
    fn option_docs_and_defaults_are_the_remote_table() {
        let source = include_str!("keysource.rs");
        let d = tokenlane_keysource_options::defaults();
        let given = [
            ("default_ttl", d.default_ttl),
            ("min_ttl", d.min_ttl),
            ("max_ttl", d.max_ttl),
            ("refresh_ahead", d.refresh_ahead),
            ("kid_miss_cooldown", d.kid_miss_cooldown),
            ("retry_interval", d.retry_interval),
            ("max_stale", d.max_stale),
        ];
        assert_eq!(given.len(), RefreshPolicy::TABLE.len());
        for ((name, default, min, max, _), (field, value)) in
            RefreshPolicy::TABLE.iter().zip(given.iter())
        {
            assert_eq!(name, field);
            assert_eq!(*default, *value, "{name}");
            let doc = format!("`{name}` {default} ({min}..={max})");
            assert!(source.contains(&doc), "the options' doc lacks {doc}");
        }
    }

    /// The C codes of introspection faults carry the HTTP status the
    /// remote crate's table gives each fault.
    #[test]
    fn endpoint_fault_codes_have_the_remote_status() {
        use tokenlane_remote::IntrospectionError;
        let faults = [
            RemoteError::HttpStatus(401),
            RemoteError::HttpStatus(403),
            RemoteError::HttpStatus(503),
            RemoteError::InvalidResponse,
            RemoteError::Transport(tokenlane_remote::TransportError::Timeout),
        ];
        for f in faults {
            let e = IntrospectionError::Endpoint(f);
            let code = crate::introspector::endpoint_failure(&e).code;
            assert_eq!(
                crate::error::tokenlane_error_http_status(code.number()),
                e.http_status(),
                "{e}"
            );
        }
    }
}
