//! Keys that stay fresh: issuer discovery and a JWKS source with a refresh
//! policy, for [`tokenlane`].
//!
//! The core decides; this crate only fetches bytes and hands them to it
//! ([`tokenlane::KeySet::from_jwks`] loads them). It owns the network:
//!
//! - **Discovery** ([`discovery`]): OpenID Connect Discovery, then RFC 8414
//!   with §3.1 path insertion; the metadata's `issuer` must equal the
//!   configured issuer exactly (mix-up defence); `jwks_uri` is followed and
//!   `introspection_endpoint` kept. A `jwks_uri` can be given directly.
//! - **Fetching** ([`HttpOptions`], [`Transport`]): `https` only; plain
//!   `http` only to a loopback IP literal or with
//!   [`HttpOptions::dangerously_allow_plain_http`]; connect and total
//!   timeouts; the body capped at the core's
//!   [`tokenlane::limits::MAX_KEY_DOCUMENT_BYTES`]; a few redirects, never
//!   `https` → `http`; the system trust store plus a CA bundle.
//! - **The refresh policy** ([`policy`]): a deterministic state machine
//!   (time in, no I/O) — TTL from `Cache-Control: max-age`, revalidation
//!   with `ETag` / `Last-Modified`, refresh ahead of expiry, refresh on an
//!   unknown `kid` with a cooldown, single flight, stale-if-error.
//! - **Introspection** ([`introspection`]): an RFC 7662 client for opaque
//!   access tokens, with a hashed, bounded, single-flight cache; the core
//!   decides each answer.
//! - **The key source** ([`KeySource`]): what validation reads, lock-free
//!   while fresh (`arc-swap`), and validators that follow it.
//!
//! # Defaults and bounds
//!
//! The one table (seconds unless said). The policy rows are
//! [`RefreshPolicy::TABLE`]; a unit test checks this table against it.
//!
//! | setting | default | min | max | meaning |
//! |---|---:|---:|---:|---|
//! | `default_ttl` | 600 | 60 | 86400 | TTL when the response has no `max-age` |
//! | `min_ttl` | 60 | 1 | 3600 | floor of `max-age` (and of `no-cache` / `no-store`) |
//! | `max_ttl` | 86400 | 60 | 604800 | ceiling of `max-age` |
//! | `refresh_ahead` | 30 | 0 | 3600 | background refresh this long before expiry (at most half the TTL) |
//! | `kid_miss_cooldown` | 30 | 1 | 600 | after any fetch attempt, an unknown `kid` fetches nothing for this long |
//! | `retry_interval` | 10 | 1 | 600 | after a failed fetch, no new attempt for this long |
//! | `max_stale` | 86400 | 0 | 604800 | stale-if-error: the last good keys serve this long past expiry |
//! | `connect_timeout` | 5 s | | | [`HttpOptions::connect_timeout`] |
//! | `total_timeout` | 10 s | | | [`HttpOptions::total_timeout`]: DNS to last body byte, per request |
//! | `max_redirects` | 3 | 0 | 10 | [`HttpOptions::max_redirects`] per fetch |
//! | body cap | 1 MiB | | | [`tokenlane::limits::MAX_KEY_DOCUMENT_BYTES`], every document |
//!
//! # Faults and outcomes
//!
//! | fault | outcome | event |
//! |---|---|---|
//! | 5xx, 4xx, unconditional 304 | `HttpStatus(code)` | `Failed` (+ `ServedStale` when past expiry) |
//! | timeout, a trickling server | `Transport(Timeout)` | `Failed` |
//! | body over 1 MiB | `Transport(BodyTooLarge)` | `Failed` |
//! | invalid JSON, HTML error page, no usable key | `Keys(..)` (the core's reason) | `Failed` |
//! | redirect loop / to `http` | `TooManyRedirects` / `RedirectToHttp` | `Failed` |
//! | metadata naming another issuer | `IssuerMismatch` | `Failed` |
//! | unknown `kid` within the cooldown | the core's `key_not_found`, no fetch | `Cooldown` |
//!
//! Whatever fails, the last good keys keep serving until `max_stale` past
//! their expiry; a removed `kid` stops verifying only once a fetch
//! succeeded. Past `max_stale`, validation answers
//! [`ValidationError::KeysUnavailable`] (a 503, not a 401).
//!
//! # Decisions
//!
//! - The cooldown runs from the last fetch attempt of any kind (like
//!   panva/jose): a flood of random kids costs at most one fetch per
//!   cooldown, whether or not a scheduled refresh just ran.
//! - Time is the caller's: validation's `now` drives the policy too, so a
//!   test (or a replay) controls both.
//! - `localhost` is not loopback for the `http` rule (only IP literals):
//!   name resolution can point it elsewhere.
//! - Discovery runs once, on the first load; the metadata is then kept.
//! - HTTP client: `ureq` 3 on `rustls` with the `ring` provider (the one
//!   the core's `ring` backend already ships), blocking, no async runtime,
//!   no C toolchain beyond `ring`'s; no gzip, cookies or proxy.
#![forbid(unsafe_code)]

pub mod discovery;
mod error;
mod fetch;
pub mod introspection;
pub mod policy;
mod source;
mod transport;
mod url;

pub use discovery::{Metadata, WellKnown};
pub use error::{RemoteError, TransportError, ValidationError};
pub use fetch::CacheHeaders;
pub use introspection::{
    ClientAuth, IntrospectionError, IntrospectionOptions, Introspector,
    MAX_INTROSPECTION_RESPONSE_BYTES,
};
pub use policy::{Event, RefreshPolicy};
pub use source::{scratch_len, EventCallback, EventCounts, KeySource, KeySourceOptions, Keys};
pub use transport::{
    HttpOptions, HttpPost, HttpRequest, HttpResponse, HttpTransport, Transport, MAX_REDIRECTS_LIMIT,
};

/// The README's example compiles (it is `no_run`: it needs the network;
/// `tests/readme.rs` runs the same lines against a stub transport).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    /// The crate docs' table agrees with `RefreshPolicy::TABLE`.
    #[test]
    fn docs_table_matches_policy() {
        let docs = include_str!("lib.rs");
        for (name, default, min, max, _) in crate::RefreshPolicy::TABLE {
            let row = format!("//! | `{name}` | {default} | {min} | {max} |");
            assert!(docs.contains(&row), "missing or stale row: {row}");
        }
    }
}
