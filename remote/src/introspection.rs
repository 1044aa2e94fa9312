//! RFC 7662 token introspection: the client half. The core decides the
//! response ([`tokenlane::AccessPolicy::validate_introspection`]); this
//! module only POSTs the token, caches the answer and reports faults.
//!
//! # The request
//!
//! `POST` to the introspection endpoint, `application/x-www-form-urlencoded`
//! body `token=<token>&token_type_hint=access_token`, authenticated as the
//! resource server with `client_secret_basic` (the id and secret each
//! form-encoded, RFC 6749 §2.3.1, then `Basic base64(id ":" secret)`) or
//! `client_secret_post` (`client_id` and `client_secret` in the body). The
//! URL rules of the key source apply (`https`; plain `http` only to a
//! loopback IP literal or with the dangerous opt-in), with its timeouts.
//! **Redirects are never followed**: a redirect would re-send the
//! resource server's secret and the user's token to the `Location`; a 3xx
//! is `HttpStatus`. The response body is capped at
//! [`MAX_INTROSPECTION_RESPONSE_BYTES`].
//!
//! # Faults and outcomes
//!
//! | fault | outcome | HTTP status to answer |
//! |---|---|---|
//! | the core refuses the response (`active: false`, `wrong_token_type`, `audience_mismatch`, ...) | `Token(code)` | the core's (401 / 403) |
//! | endpoint down, connection refused | `Endpoint(Transport(Connect))` | 503 |
//! | endpoint slow (past `total_timeout`) | `Endpoint(Transport(Timeout))` | 503 |
//! | 401 / 403 from the endpoint (our credentials are wrong) | `Endpoint(HttpStatus(401))` | 500 |
//! | any other non-200 status, a redirect | `Endpoint(HttpStatus(code))` | 503 |
//! | HTML, invalid JSON, not an object | `Endpoint(InvalidResponse)` | 503 |
//! | body over the cap | `Endpoint(Transport(BodyTooLarge))` | 503 |
//!
//! An endpoint fault is never the user's `invalid_token`: the token was not
//! judged. Faults are not cached.
//!
//! # Cache
//!
//! Keyed by the SHA-256 of the token (the raw token is never stored, and
//! never logged: no `Debug` output holds it). A response the core accepts
//! is kept until the earlier of its `exp` and `positive_ttl`; one it refuses
//! (inactive, another kind of token, ...) for `negative_ttl`. Each lookup
//! decides the cached body again at the caller's `now`, so an expiry or a
//! `nbf` is judged at the time of the request. At most `max_entries`;
//! when full, expired entries go first, then the one expiring soonest.
//! Concurrent lookups of one token make one request (single flight); the
//! threads that waited share its outcome, a fault included.
//!
//! | setting | default | meaning |
//! |---|---:|---|
//! | `positive_ttl` | 60 s | upper bound for an accepted answer (revocation latency) |
//! | `negative_ttl` | 10 s | how long a refused answer is reused |
//! | `max_entries` | 10 000 | bound of the cache |

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use base64ct::{Base64, Encoding};
use tokenlane::{AccessPolicy, AccessToken, ErrorCode, ServerFault, UnixTime};

use crate::error::{RemoteError, TransportError};
use crate::transport::{HttpOptions, HttpPost, HttpTransport, Transport};
use crate::url;

/// The largest introspection response read (64 KiB): an answer is a small
/// JSON object; a larger body is `Transport(BodyTooLarge)`.
pub const MAX_INTROSPECTION_RESPONSE_BYTES: usize = 64 * 1024;

/// How the resource server authenticates to the introspection endpoint.
#[derive(Clone, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_secret_basic`: HTTP Basic with the form-encoded id and
    /// secret (RFC 6749 §2.3.1).
    Basic {
        /// The resource server's client id.
        client_id: String,
        /// Its secret.
        client_secret: String,
    },
    /// `client_secret_post`: `client_id` and `client_secret` in the body.
    Post {
        /// The resource server's client id.
        client_id: String,
        /// Its secret.
        client_secret: String,
    },
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, id) = match self {
            ClientAuth::Basic { client_id, .. } => ("Basic", client_id),
            ClientAuth::Post { client_id, .. } => ("Post", client_id),
        };
        write!(
            f,
            "ClientAuth::{kind} {{ client_id: {id:?}, client_secret: <redacted> }}"
        )
    }
}

/// Options of an [`Introspector`]; defaults in the module docs.
#[derive(Debug, Clone)]
pub struct IntrospectionOptions {
    /// How to authenticate.
    pub auth: ClientAuth,
    /// The HTTP client's options (timeouts, trust, the plain-http opt-in;
    /// `max_redirects` is ignored: introspection never follows redirects).
    pub http: HttpOptions,
    /// Upper bound of an accepted answer's cache life, seconds. Default 60.
    pub positive_ttl: u64,
    /// Cache life of a refused answer, seconds. Default 10.
    pub negative_ttl: u64,
    /// Most cached answers. Default 10 000; 0 disables the cache.
    pub max_entries: usize,
}

impl IntrospectionOptions {
    /// The defaults with `auth`.
    pub fn new(auth: ClientAuth) -> Self {
        Self {
            auth,
            http: HttpOptions::default(),
            positive_ttl: 60,
            negative_ttl: 10,
            max_entries: 10_000,
        }
    }
}

/// Why an introspected token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntrospectionError {
    /// The core refused the answer: the token is not valid for this API.
    /// Answer with the code's status (401 / 403).
    Token(tokenlane::Error),
    /// The endpoint could not judge the token (down, slow, refused our
    /// credentials, answered something that is not a response). The token
    /// was not judged: answer [`IntrospectionError::http_status`] (500 /
    /// 503), never 401.
    Endpoint(RemoteError),
}

impl IntrospectionError {
    /// The HTTP status a resource server answers with: the core's for
    /// `Token`; 500 when the endpoint refused our credentials (401 / 403:
    /// a configuration fault); 503 for every other endpoint fault.
    pub fn http_status(&self) -> u16 {
        match self.fault() {
            Some(f) => f.http_status(),
            None => match self {
                IntrospectionError::Token(e) => e.kind().http_status(),
                IntrospectionError::Endpoint(_) => {
                    ServerFault::IntrospectionUnavailable.http_status()
                }
            },
        }
    }

    /// The server-side fault, `None` for a refusal of the token: the
    /// endpoint refusing our credentials (HTTP 401/403) is
    /// [`ServerFault::IntrospectionCredentialsRefused`], every other
    /// endpoint fault [`ServerFault::IntrospectionUnavailable`].
    pub fn fault(&self) -> Option<ServerFault> {
        match self {
            IntrospectionError::Token(_) => None,
            IntrospectionError::Endpoint(RemoteError::HttpStatus(401 | 403)) => {
                Some(ServerFault::IntrospectionCredentialsRefused)
            }
            IntrospectionError::Endpoint(_) => Some(ServerFault::IntrospectionUnavailable),
        }
    }
}

impl fmt::Display for IntrospectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntrospectionError::Token(e) => e.fmt(f),
            IntrospectionError::Endpoint(e) => write!(f, "introspection endpoint: {e}"),
        }
    }
}

impl core::error::Error for IntrospectionError {}

type Key = [u8; 32];

type Flight = Mutex<Option<Result<Arc<[u8]>, IntrospectionError>>>;

struct Entry {
    body: Arc<[u8]>,
    until: u64,
}

#[derive(Default)]
struct Cache {
    entries: HashMap<Key, Entry>,
    /// One lock per token being fetched (single flight); the leader leaves
    /// its outcome in it for the threads that waited.
    flights: HashMap<Key, Arc<Flight>>,
}

/// An RFC 7662 client with a cache. Thread-safe; share it.
pub struct Introspector {
    endpoint: String,
    options: IntrospectionOptions,
    transport: Arc<dyn Transport>,
    cache: Mutex<Cache>,
}

impl fmt::Debug for Introspector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Introspector")
            .field("endpoint", &self.endpoint)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Introspector {
    /// A client of `endpoint` (e.g. [`crate::Metadata`]'s
    /// `introspection_endpoint`) over the production transport. Errors:
    /// `InvalidUrl`, `InsecureUrl`, `CaBundle`.
    pub fn new(endpoint: &str, options: IntrospectionOptions) -> Result<Self, RemoteError> {
        let transport = Arc::new(HttpTransport::new(&options.http)?);
        Self::with_transport(endpoint, options, transport)
    }

    /// [`Self::new`] over a given transport (tests, custom stacks).
    pub fn with_transport(
        endpoint: &str,
        options: IntrospectionOptions,
        transport: Arc<dyn Transport>,
    ) -> Result<Self, RemoteError> {
        let checked = url::parse(endpoint, options.http.dangerously_allow_plain_http)?;
        Ok(Self {
            endpoint: checked.text,
            options,
            transport,
            cache: Mutex::new(Cache::default()),
        })
    }

    /// Validates an opaque access token: the cached answer or a new
    /// request, decided by the core with `policy` at `now`.
    ///
    /// The answer is copied into `buf` (cleared first) and the result
    /// borrows from it. Errors: `Token(code)` when the core refuses the
    /// answer, `Endpoint(..)` for every fault of the module docs' table.
    pub fn validate<'p: 's, 's, S: AsRef<str>>(
        &self,
        policy: &AccessPolicy<'p, S>,
        token: &str,
        now: UnixTime,
        buf: &'s mut Vec<u8>,
    ) -> Result<AccessToken<'s>, IntrospectionError> {
        let key = hash(token);
        let body = match self.cached(&key, now) {
            Some(body) => body,
            None => self.fetch_single_flight(policy, token, &key, now)?,
        };
        decide(policy, &body, now, buf)
    }

    /// Number of cached answers (expired ones included until evicted).
    pub fn cached_len(&self) -> usize {
        self.lock().entries.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn cached(&self, key: &Key, now: UnixTime) -> Option<Arc<[u8]>> {
        let cache = self.lock();
        cache
            .entries
            .get(key)
            .filter(|e| e.until > now.as_secs())
            .map(|e| Arc::clone(&e.body))
    }

    fn fetch_single_flight<S: AsRef<str>>(
        &self,
        policy: &AccessPolicy<'_, S>,
        token: &str,
        key: &Key,
        now: UnixTime,
    ) -> Result<Arc<[u8]>, IntrospectionError> {
        let flight = Arc::clone(self.lock().flights.entry(*key).or_default());
        let mut slot = flight.lock().unwrap_or_else(|p| p.into_inner());
        // A thread that waited for the leader shares its outcome, a fault
        // too (so N waiters on a down endpoint cost one timeout, not N).
        if let Some(outcome) = slot.as_ref() {
            return outcome.clone();
        }
        if let Some(body) = self.cached(key, now) {
            return Ok(body);
        }
        let outcome = self.fetch_and_cache(policy, token, key, now);
        *slot = Some(outcome.clone());
        let mut cache = self.lock();
        if cache
            .flights
            .get(key)
            .is_some_and(|f| Arc::ptr_eq(f, &flight))
        {
            cache.flights.remove(key);
        }
        outcome
    }

    fn fetch_and_cache<S: AsRef<str>>(
        &self,
        policy: &AccessPolicy<'_, S>,
        token: &str,
        key: &Key,
        now: UnixTime,
    ) -> Result<Arc<[u8]>, IntrospectionError> {
        let body: Arc<[u8]> = Arc::from(self.post(token).map_err(IntrospectionError::Endpoint)?);
        // Decide once to choose the cache life; a fault is not cached.
        let mut buf = Vec::new();
        let until = match decide(policy, &body, now, &mut buf) {
            Ok(t) => t
                .exp()
                .min(now.as_secs().saturating_add(self.options.positive_ttl)),
            Err(IntrospectionError::Token(_)) => {
                now.as_secs().saturating_add(self.options.negative_ttl)
            }
            Err(e @ IntrospectionError::Endpoint(_)) => return Err(e),
        };
        if self.options.max_entries > 0 && until > now.as_secs() {
            let mut cache = self.lock();
            insert(
                &mut cache,
                self.options.max_entries,
                *key,
                Arc::clone(&body),
                until,
                now,
            );
        }
        Ok(body)
    }

    fn post(&self, token: &str) -> Result<Vec<u8>, RemoteError> {
        let mut form = String::new();
        form_pair(&mut form, "token", token);
        form_pair(&mut form, "token_type_hint", "access_token");
        let authorization = match &self.options.auth {
            ClientAuth::Basic {
                client_id,
                client_secret,
            } => {
                let mut creds = String::new();
                form_encode(&mut creds, client_id);
                creds.push(':');
                form_encode(&mut creds, client_secret);
                Some(format!("Basic {}", Base64::encode_string(creds.as_bytes())))
            }
            ClientAuth::Post {
                client_id,
                client_secret,
            } => {
                form_pair(&mut form, "client_id", client_id);
                form_pair(&mut form, "client_secret", client_secret);
                None
            }
        };
        let response = self
            .transport
            .post(&HttpPost {
                url: &self.endpoint,
                authorization: authorization.as_deref(),
                form: form.as_bytes(),
                max_body: MAX_INTROSPECTION_RESPONSE_BYTES,
            })
            .map_err(RemoteError::Transport)?;
        if response.status != 200 {
            return Err(RemoteError::HttpStatus(response.status));
        }
        if response.body.len() > MAX_INTROSPECTION_RESPONSE_BYTES {
            return Err(RemoteError::Transport(TransportError::BodyTooLarge));
        }
        Ok(response.body)
    }
}

/// The core's decision over `body`, copied into `buf`. A `malformed` answer
/// (not a strict JSON object: HTML, invalid JSON) is the endpoint's fault,
/// not the token's: the token itself is never parsed on this path.
fn decide<'p: 's, 's, S: AsRef<str>>(
    policy: &AccessPolicy<'p, S>,
    body: &[u8],
    now: UnixTime,
    buf: &'s mut Vec<u8>,
) -> Result<AccessToken<'s>, IntrospectionError> {
    buf.clear();
    buf.extend_from_slice(body);
    buf.resize(body.len() * 2, 0);
    let (response, scratch) = buf.split_at_mut(body.len());
    policy
        .validate_introspection(response, now, scratch)
        .map_err(|e| match e.kind() {
            ErrorCode::Malformed => IntrospectionError::Endpoint(RemoteError::InvalidResponse),
            _ => IntrospectionError::Token(e),
        })
}

fn insert(cache: &mut Cache, max: usize, key: Key, body: Arc<[u8]>, until: u64, now: UnixTime) {
    if cache.entries.len() >= max && !cache.entries.contains_key(&key) {
        let now = now.as_secs();
        cache.entries.retain(|_, e| e.until > now);
        while cache.entries.len() >= max {
            let Some(soonest) = cache
                .entries
                .iter()
                .min_by_key(|(_, e)| e.until)
                .map(|(k, _)| *k)
            else {
                break;
            };
            cache.entries.remove(&soonest);
        }
    }
    cache.entries.insert(key, Entry { body, until });
}

fn hash(token: &str) -> Key {
    let d = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut k = [0u8; 32];
    k.copy_from_slice(d.as_ref());
    k
}

/// `application/x-www-form-urlencoded` (the WHATWG serializer RFC 6749
/// Appendix B points to): `A-Z a-z 0-9 * - . _` kept, space as `+`, every
/// other byte of the UTF-8 as `%XX`.
pub fn form_encode(out: &mut String, s: &str) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
}

fn form_pair(out: &mut String, name: &str, value: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    form_encode(out, name);
    out.push('=');
    form_encode(out, value);
}

#[cfg(test)]
mod tests {
    use super::form_encode;

    #[test]
    fn form_encoding_of_rfc6749_appendix_b_characters() {
        let enc = |s: &str| {
            let mut o = String::new();
            form_encode(&mut o, s);
            o
        };
        assert_eq!(enc("s6BhdRkqt3"), "s6BhdRkqt3");
        assert_eq!(enc("a b:c+d%e&f=g/h"), "a+b%3Ac%2Bd%25e%26f%3Dg%2Fh");
        assert_eq!(enc("*-._~"), "*-._%7E");
        // RFC 6749 Appendix B: " %&+£€" encodes as "+%25%26%2B%C2%A3%E2%82%AC".
        assert_eq!(enc(" %&+£€"), "+%25%26%2B%C2%A3%E2%82%AC");
    }
}
