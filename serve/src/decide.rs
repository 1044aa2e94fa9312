//! One decision: the request facts in, allow (with identity headers) or
//! deny (status and challenge) out. Every rule about the token is the
//! core's ([`tokenlane::request::authorize`]); this file only picks the
//! route, the issuer's policy and keys, and turns the core's answer into
//! the edge's protocol.
//!
//! Where it runs: a Bearer request whose issuer's keys are ready is pure
//! computation and is decided on the async worker ([`decide_inline`]);
//! everything that may wait — the first key load, keys past `max_stale`, an
//! unknown `kid` outside the cooldown, a DPoP request (its replay check may
//! be a Redis round trip) — runs [`decide`] on tokio's blocking pool, so no
//! async worker waits on the network.

use core::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokenlane::dpop::{MemoryReplayStore, ProofHooks, ProofPolicy, DEFAULT_REPLAY_CAPACITY};
use tokenlane::nonce::IssuedNonces;
use tokenlane::request::{
    authorize, authorize_remembering, authorize_scratch_len, authorize_witnessed, credential,
    tried_scheme, write_challenge, write_challenge_with_metadata, DpopMode, RequestFacts, Scheme,
};
use tokenlane::{Error, ErrorCode, Key, KeySet, UnixTime};

use crate::cache::TokenCache;
use tokenlane_remote::{KeySource, KeySourceOptions};

use crate::config::{Config, DpopSetting, KeyLocation, ReplayStore, MAX_FORWARDED_VALUE_BYTES};
use crate::metrics::Metrics;
use crate::redis::RedisReplay;

/// An issuer's keys at run time.
#[derive(Clone)]
pub enum IssuerKeys {
    /// Loaded from a file.
    Static(Arc<KeySet>),
    /// Kept fresh by a key source (shared across reloads when its location
    /// is unchanged), with its readiness: set by the readiness task once
    /// the source serves keys, so a decision may read them without waiting.
    /// The flag travels with the source, so a new source after a reload
    /// starts not ready whatever the issuer's name.
    Source(KeySource, Arc<AtomicBool>),
}

/// A key source kept across a reload, with its readiness flag.
pub type ReusedSource = (KeySource, Arc<AtomicBool>);

/// The replay hook in force.
pub enum Hooks {
    /// In-process store.
    Memory(MemoryReplayStore),
    /// The fleet's Redis.
    Redis(RedisReplay),
}

impl Hooks {
    fn as_dyn(&self) -> &dyn ProofHooks {
        match self {
            Hooks::Memory(m) => m,
            Hooks::Redis(r) => r,
        }
    }
}

/// A configuration made ready to serve: the checked file plus keys and
/// the replay store.
pub struct State {
    /// The checked configuration.
    pub config: Config,
    /// Per issuer, in [`Config::issuers`] order.
    pub keys: Vec<IssuerKeys>,
    /// The proof policy (when DPoP is not off).
    pub proofs: Option<ProofPolicy>,
    /// The replay store.
    pub hooks: Hooks,
    /// The verified-token cache of this configuration (a reload starts a
    /// new, empty one).
    pub cache: TokenCache,
}

/// A key-source identity: sources are reused across reloads when this is equal.
pub fn source_key(i: &crate::config::Issuer) -> Option<String> {
    match &i.keys {
        KeyLocation::File(_) => None,
        KeyLocation::JwksUri(u) => Some(format!("uri {u} {:?} {:?}", i.refresh, i.ca_file)),
        KeyLocation::Discovery => Some(format!(
            "issuer {} {:?} {:?}",
            i.issuer, i.refresh, i.ca_file
        )),
    }
}

impl State {
    /// Builds the run-time state. `reuse` finds an existing key source for
    /// an unchanged key location (so a reload keeps the cached keys).
    ///
    /// Errors: a key source that cannot be built (bad URL, unreadable CA
    /// bundle), as text naming the issuer.
    pub fn build(
        config: Config,
        metrics: &Arc<Metrics>,
        reuse: &dyn Fn(&str) -> Option<ReusedSource>,
    ) -> Result<Self, String> {
        let mut keys = Vec::new();
        for (n, i) in config.issuers.iter().enumerate() {
            if let Some(k) = &i.static_keys {
                keys.push(IssuerKeys::Static(Arc::new(k.clone())));
                continue;
            }
            let id = source_key(i).unwrap_or_default();
            if let Some((s, ready)) = reuse(&id) {
                keys.push(IssuerKeys::Source(s, ready));
                continue;
            }
            let mut options = KeySourceOptions {
                policy: i.refresh,
                ..KeySourceOptions::default()
            };
            if let Some(ca) = &i.ca_file {
                let pem = std::fs::read(ca)
                    .map_err(|e| format!("issuer {:?}: ca_file {ca}: {e}", i.issuer))?;
                options.http.ca_bundle_pem = Some(pem);
            }
            let m = Arc::clone(metrics);
            let issuer = i.issuer.clone();
            options.on_event = Some(Arc::new(move |e| m.key_event(n, &issuer, e)));
            let source = match &i.keys {
                KeyLocation::JwksUri(u) => KeySource::from_jwks_uri(u, options),
                _ => KeySource::from_issuer(&i.issuer, options),
            }
            .map_err(|e| format!("issuer {:?}: key source: {e}", i.issuer))?;
            keys.push(IssuerKeys::Source(source, Arc::new(AtomicBool::new(false))));
        }
        let proofs = match config.dpop.mode {
            DpopSetting::Off => None,
            _ => Some(
                ProofPolicy::new(config.dpop.algorithms)
                    .and_then(|p| p.with_iat_window(config.dpop.iat_window))
                    .map_err(|e| format!("dpop: {e}"))?,
            ),
        };
        let hooks = match &config.dpop.replay {
            ReplayStore::Memory => Hooks::Memory(MemoryReplayStore::new(
                DEFAULT_REPLAY_CAPACITY,
                config.dpop.iat_window,
            )),
            ReplayStore::Redis {
                address,
                prefix,
                timeout_ms,
            } => Hooks::Redis(RedisReplay::new(
                address,
                prefix,
                *timeout_ms,
                config.dpop.iat_window,
                Arc::clone(metrics),
            )),
        };
        let cache = TokenCache::new(config.cache.max_entries, Arc::clone(metrics));
        Ok(Self {
            config,
            keys,
            proofs,
            hooks,
            cache,
        })
    }

    fn mode(&self) -> DpopMode<'_> {
        match (self.config.dpop.mode, &self.proofs) {
            (DpopSetting::Allowed, Some(p)) => DpopMode::Allowed(p),
            (DpopSetting::Required, Some(p)) => DpopMode::Required(p),
            _ => DpopMode::BearerOnly,
        }
    }
}

/// The facts of one request, as the edge passed them (already read from
/// the configured, trusted sources).
#[derive(Debug, Default)]
pub struct Facts {
    /// The original method.
    pub method: String,
    /// The original path (no query).
    pub path: String,
    /// The absolute original URI (for DPoP `htu`), or empty when unknown.
    pub uri: String,
    /// Every `Authorization` value.
    pub authorization: Vec<Vec<u8>>,
    /// Every `DPoP` value.
    pub dpop: Vec<Vec<u8>>,
}

/// The outcome.
#[derive(Debug)]
pub enum Decision {
    /// 200, with these identity headers (name, value).
    Allow {
        /// Identity headers to forward.
        headers: Vec<(String, String)>,
        /// The route was public (no token checked).
        public: bool,
        /// The accepting issuer's index.
        issuer: Option<usize>,
        /// A `DPoP-Nonce` to send (the proof carried the previous one).
        nonce: Option<String>,
    },
    /// A refusal.
    Deny {
        /// The core's HTTP status (401, 403, 400, 500, 503).
        status: u16,
        /// The result code (the core's, or `no_route`, `untrusted_peer`,
        /// `identity_too_long`, `keys_unavailable`, `overloaded`).
        code: &'static str,
        /// The `WWW-Authenticate` value, when the refusal has one.
        challenge: Option<String>,
        /// A `DPoP-Nonce` to send (every refusal of a DPoP request, when
        /// nonces are on).
        nonce: Option<String>,
    },
}

/// A refusal that is serve's own, not the core's: 403 without a challenge.
pub fn deny_plain(status: u16, code: &'static str) -> Decision {
    Decision::Deny {
        status,
        code,
        challenge: None,
        nonce: None,
    }
}

/// No keys could be had: the core's server-fault table names it and gives
/// the status (503), no challenge (the client is not at fault).
fn keys_unavailable() -> Decision {
    let f = tokenlane::ServerFault::KeysUnavailable;
    deny_plain(f.http_status(), f.as_str())
}

/// Percent-encodes every byte outside visible ASCII, and `%` itself, so a
/// claim value can never end a header line or start another (RFC 3986
/// style; a space is kept, as scope lists are space-separated).
pub fn header_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if (0x20..0x7f).contains(&b) && b != b'%' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decides one request at `now`, on a thread that may block (a key fetch,
/// the Redis round trip).
pub fn decide(state: &State, facts: &Facts, now: UnixTime) -> Decision {
    match decide_with(state, facts, now, false) {
        Some(d) => d,
        // Unreachable: only the inline mode answers None.
        None => deny_plain(500, "internal_error"),
    }
}

/// Decides one request on an async worker, or answers `None` when the
/// decision might have to wait: a `DPoP` header (the replay store may be
/// Redis, and a proof is never decided twice), an issuer whose key source
/// is not ready (its flag, see [`IssuerKeys::Source`]: the first load,
/// keys past `max_stale`), or an unknown `kid` (its refetch). The caller then runs
/// [`decide`] on the blocking pool. A Bearer request with ready keys is
/// pure computation (microseconds), so it skips the thread hop.
///
/// The readiness flag is refreshed every few seconds, so in the rare
/// moment between keys passing `max_stale` and the flag turning false, one
/// inline read may wait for a fetch (bounded by the fetch timeout).
pub fn decide_inline(state: &State, facts: &Facts, now: UnixTime) -> Option<Decision> {
    if !facts.dpop.is_empty() {
        return None;
    }
    decide_with(state, facts, now, true)
}

fn decide_with(state: &State, facts: &Facts, now: UnixTime, inline: bool) -> Option<Decision> {
    let config = &state.config;
    let Some(route_ix) = config.route(&facts.method, &facts.path) else {
        return Some(deny_plain(403, "no_route"));
    };
    let route = &config.routes[route_ix];
    if route.public {
        // Every identity header, empty: an edge that copies the decision's
        // headers over the request's (Envoy's allowed_upstream_headers,
        // nginx's proxy_set_header) thereby drops the client's own.
        return Some(Decision::Allow {
            headers: config
                .forward
                .names()
                .map(|n| (n.to_owned(), String::new()))
                .collect(),
            public: true,
            issuer: None,
            nonce: None,
        });
    }
    let mode = state.mode();
    let authorization: Vec<&[u8]> = facts.authorization.iter().map(Vec::as_slice).collect();
    let dpop: Vec<&[u8]> = facts.dpop.iter().map(Vec::as_slice).collect();
    let rf = RequestFacts {
        method: &facts.method,
        uri: &facts.uri,
        authorization: &authorization,
        dpop: &dpop,
        certificate_sha256: None,
    };
    // Route by the untrusted `iss`: it only picks which policy and keys
    // judge the token. A token naming no configured issuer is judged by the
    // first issuer's, which refuses it (issuer_mismatch, or whatever the
    // core finds first): routing grants no trust.
    let issuer_ix = match authorization.as_slice() {
        [one] => credential(Some(one))
            .ok()
            .and_then(|(_, token)| untrusted_iss(token, config))
            .unwrap_or(0),
        _ => 0,
    };
    let policy_owned = &config.issuers[issuer_ix].policies[route_ix];
    let policy = policy_owned.policy();
    let mut scratch = vec![0u8; authorize_scratch_len(&rf, policy.max_token_bytes(), mode)];
    let nonces = state
        .config
        .dpop
        .nonce
        .as_ref()
        .map(|n| IssuedNonces::new(n, state.hooks.as_dyn()));
    let hooks: &dyn ProofHooks = match &nonces {
        Some(n) => n,
        None => state.hooks.as_dyn(),
    };
    // The nonce goes only on answers to requests in the DPoP lane.
    let dpop_request = !facts.dpop.is_empty() || tried_scheme(&authorization) == Some(Scheme::Dpop);
    let nonce_for = |accepted: bool| {
        nonces
            .as_ref()
            .filter(|_| dpop_request)
            .and_then(|n| n.response_nonce(accepted, now))
            .map(|n| n.as_str().to_owned())
    };
    // The verified-token cache: the SHA-256 of the one credential's token.
    let token_sha = match (state.cache.enabled(), authorization.as_slice()) {
        (true, [one]) => credential(Some(one))
            .ok()
            .map(|(_, t)| tokenlane::token_sha256(t.as_bytes())),
        _ => None,
    };
    // One decision with `keys` (the issuer's key set `set`): a cached
    // witness → the core's witnessed path (every rule but the signature);
    // else the full path, remembering the witness of an acceptance.
    let run = |keys: &[Key], set: Option<&Arc<KeySet>>, scratch: &mut [u8]| {
        let Some((sha, set)) = token_sha.as_ref().zip(set) else {
            return authorize(&rf, &policy, keys, mode, hooks, now, scratch)
                .map(|(t, b)| identity(state, &t, b.jkt.as_ref().map(|j| j.as_str())));
        };
        match state.cache.get(sha, issuer_ix, set, now.as_secs()) {
            Some(w) => authorize_witnessed(&rf, &policy, &w, mode, hooks, now, scratch)
                .map(|(t, b)| identity(state, &t, b.jkt.as_ref().map(|j| j.as_str()))),
            None => authorize_remembering(&rf, &policy, keys, mode, hooks, now, scratch).map(
                |(t, b, w)| {
                    state.cache.insert(w, issuer_ix, set);
                    identity(state, &t, b.jkt.as_ref().map(|j| j.as_str()))
                },
            ),
        }
    };
    let result = match &state.keys[issuer_ix] {
        IssuerKeys::Static(k) => run(k, Some(k), &mut scratch).map_err(Some),
        IssuerKeys::Source(_, ready) if inline && !ready.load(Ordering::Acquire) => return None,
        IssuerKeys::Source(source, _) => {
            let first = match source.keys(now) {
                Ok(k) => k,
                Err(_) => return Some(keys_unavailable()),
            };
            match run(&first, first.shared().as_ref(), &mut scratch) {
                Ok(headers) => Ok(headers),
                Err(Error::KeyNotFound { kid_given: true }) if inline => return None,
                Err(e @ Error::KeyNotFound { kid_given: true }) => {
                    // An unknown kid: one rate-limited refetch (the key
                    // source's cooldown), then one retry. A DPoP request is
                    // not retried: its proof's jti was recorded by the first
                    // attempt (the core checks the proof before the token),
                    // so a retry would refuse it as its own replay. It still
                    // triggers the refetch, so the client's next request
                    // (with a fresh proof) sees the new keys.
                    let fetched = source.kid_miss_since(&first, now);
                    let retry = fetched && rf.dpop.is_empty();
                    drop(first);
                    if retry {
                        match source.keys(now) {
                            Ok(k) => run(&k, k.shared().as_ref(), &mut scratch).map_err(Some),
                            Err(_) => return Some(keys_unavailable()),
                        }
                    } else {
                        Err(Some(e))
                    }
                }
                Err(e) => Err(Some(e)),
            }
        }
    };
    Some(match result {
        Ok(Some(headers)) => Decision::Allow {
            headers,
            public: false,
            issuer: Some(issuer_ix),
            nonce: nonce_for(true),
        },
        Ok(None) => deny_plain(403, "identity_too_long"),
        Err(Some(e)) => {
            let tried = tried_scheme(&authorization);
            let scope = (e.kind() == ErrorCode::InsufficientScope && !route.scopes.is_empty())
                .then(|| route.scopes.join(" "));
            let mut challenge = String::new();
            // With a [[resource]] covering the path, the challenge names its
            // metadata (RFC 9728 §5.1), so a client without a token finds
            // the authorization server.
            let _ = match config.resource_for(&facts.path) {
                Some(r) => write_challenge_with_metadata(
                    &mut challenge,
                    e.kind(),
                    mode,
                    tried,
                    config.server.realm.as_deref(),
                    scope.as_deref(),
                    Some(&r.metadata_url),
                ),
                None => write_challenge(
                    &mut challenge,
                    &e,
                    mode,
                    tried,
                    config.server.realm.as_deref(),
                    scope.as_deref(),
                ),
            };
            // No challenge on a 5xx (the store failed, not the client).
            let status = e.http_status();
            Decision::Deny {
                status,
                code: e.code(),
                challenge: (status < 500).then_some(challenge),
                nonce: nonce_for(false),
            }
        }
        Err(None) => deny_plain(403, "identity_too_long"),
    })
}

/// Which configured issuer the token's unverified `iss` names.
fn untrusted_iss(token: &str, config: &Config) -> Option<usize> {
    let max = tokenlane::limits::DEFAULT_MAX_TOKEN_BYTES;
    let mut scratch = vec![0u8; tokenlane::scratch_len(token.len().min(max))];
    let t = tokenlane::untrusted::decode(token.as_bytes(), max, &mut scratch).ok()?;
    let iss = t.string(tokenlane::Claim::Iss)?;
    config.issuers.iter().position(|i| i.issuer == iss)
}

/// The identity headers of an accepted token (every configured one, empty
/// when the token lacks its value); `None` when a value is
/// longer than [`MAX_FORWARDED_VALUE_BYTES`].
fn identity(
    state: &State,
    t: &tokenlane::AccessToken<'_>,
    jkt: Option<&str>,
) -> Option<Vec<(String, String)>> {
    let f = &state.config.forward;
    let mut out = Vec::new();
    let scopes: Vec<&str> = t.scopes().iter().collect();
    let scope = scopes.join(" ");
    for (name, value) in [
        (&f.sub, t.sub()),
        (&f.client_id, t.client_id()),
        (&f.scope, Some(scope.as_str()).filter(|s| !s.is_empty())),
        (&f.issuer, Some(t.iss())),
        (&f.jkt, jkt),
    ] {
        // A configured header is always sent, empty when the token lacks
        // the value, so a client-supplied header of that name never
        // survives the edge (see the public route above).
        if let Some(name) = name {
            let v = header_value(value.unwrap_or(""));
            if v.len() > MAX_FORWARDED_VALUE_BYTES {
                return None;
            }
            out.push((name.clone(), v));
        }
    }
    Some(out)
}

/// The scheme name for logs.
pub fn scheme_name(s: Option<Scheme>) -> &'static str {
    match s {
        Some(Scheme::Bearer) => "Bearer",
        Some(Scheme::Dpop) => "DPoP",
        _ => "-",
    }
}

#[cfg(test)]
mod tests {
    use super::header_value;

    #[test]
    fn identity_values_cannot_inject_headers() {
        assert_eq!(header_value("alice"), "alice");
        assert_eq!(header_value("a\r\nX-Admin: 1"), "a%0D%0AX-Admin: 1");
        assert_eq!(header_value("100%"), "100%25");
        assert_eq!(header_value("é"), "%C3%A9");
        assert_eq!(header_value("read write"), "read write");
    }
}
