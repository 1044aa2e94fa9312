//! `tokenlane serve`: an authorization decision service for the edges
//! people already run — nginx `auth_request` and Envoy's `ext_authz`
//! (HTTP, or gRPC on the optional `grpc_listen` address: [`grpc`]).
//!
//! The edge asks, serve decides with the core, the edge forwards or
//! refuses. Every rule about a token is the core's
//! ([`tokenlane::request::authorize`]); this crate is translation: the
//! configuration ([`config`]), the request facts from the edge's protocol,
//! the answer in the edge's terms, keys kept fresh by
//! [`tokenlane_remote::KeySource`], DPoP replay state shared through Redis
//! ([`redis`]), and operations (health, readiness, metrics, logs, reload,
//! shutdown).
//!
//! ## Endpoints
//!
//! | path | what |
//! |---|---|
//! | `/auth/nginx` | nginx `auth_request`: the original request in `X-Original-Method`, `X-Original-URI` (and `X-Forwarded-Proto`/`-Host` for DPoP `htu`) |
//! | `/auth/envoy/<original path>` | Envoy HTTP `ext_authz` (`path_prefix: /auth/envoy`): the request's own method, path and headers |
//! | `/healthz` | 200 while the process runs |
//! | `/readyz` | 200 once every issuer's keys loaded (and while servable), else 503 |
//! | `/metrics` | Prometheus text ([`metrics`]) |
//! | `/.well-known/oauth-protected-resource/...` | RFC 9728 metadata of each `[[resource]]` (and its URL as `resource_metadata` in the challenges of the paths it covers) |
//! | gRPC `envoy.service.auth.v3.Authorization/Check` | Envoy gRPC `ext_authz`, on `grpc_listen` only (HTTP/2): the same decisions, as a `CheckResponse` ([`grpc`]) |
//!
//! ## Answers
//!
//! - Allow: `200` with the identity headers of `[forward]` (values
//!   percent-encoded outside visible ASCII, so no header injection).
//! - Deny: the core's status — 401 (with `WWW-Authenticate`), 403
//!   `insufficient_scope` (with its challenge), 400 `invalid_request`
//!   (Envoy; **401 on the nginx endpoint**, since nginx turns anything but
//!   2xx/401/403 into a 500), 500 `replay_check_failed` (no challenge),
//!   503 keys unavailable or overloaded. serve's own refusals (no route,
//!   an untrusted peer, a dot-segment path) are 403 without a challenge.
//!
//! ## Decisions
//!
//! - **Deny by default.** A request matching no `[[route]]` is refused.
//! - **Routing grants no trust.** The token's unverified `iss` only picks
//!   which issuer's policy and keys judge it; a token naming no configured
//!   issuer is judged (and refused) by the first issuer's.
//! - **Facts from configured sources only.** The decision endpoints answer
//!   only peers in `trusted_proxies` (default loopback); `htu` uses
//!   `external_origin` when set.
//! - **No verified-token cache.** The core has no entry point that skips
//!   the signature check while keeping the others; re-implementing the
//!   time/scope/route checks outside the core would break the project's
//!   one rule (decisions only in the core), so every request is verified
//!   in full (HS256/ES256 cost microseconds; see BENCHMARKS.md).
//! - **DPoP nonces are stateless**: with `[dpop] nonce_key_file`, proofs
//!   must carry a nonce of the core's [`tokenlane::nonce::NonceIssuer`];
//!   every instance holding the same key checks every instance's nonces,
//!   and answers to DPoP requests carry `DPoP-Nonce` when the client needs
//!   a new one.
//! - **gRPC `ext_authz` is a translation**: a `CheckRequest` becomes the
//!   same request facts and goes through the same decision path as the
//!   HTTP endpoints; server faults are RPC errors, so Envoy's
//!   `failure_mode_allow` / `status_on_error` decide them ([`grpc`]).
#![forbid(unsafe_code)]

pub mod config;
pub mod decide;
pub mod grpc;
mod io;
pub mod log;
pub mod metrics;
pub mod redis;
mod server;

use std::path::Path;
use std::sync::Arc;

/// Runs the service with the configuration at `path` until SIGTERM/SIGINT.
///
/// Errors (before serving): the configuration's (with its line), a key
/// source that cannot be built, the listen (or `grpc_listen`) address.
pub fn run(path: &Path) -> Result<(), String> {
    let config = config::load(path).map_err(|e| e.to_string())?;
    let metrics = Arc::new(metrics::Metrics::default());
    let state = decide::State::build(config, &metrics, &|_| None)?;
    let listen = state.config.server.listen;
    let grpc_listen = state.config.server.grpc_listen;
    let max_concurrency = state.config.server.max_concurrency;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tokenlane-serve")
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("listen {listen}: {e}"))?;
        let grpc = match grpc_listen {
            Some(a) => Some(
                tokio::net::TcpListener::bind(a)
                    .await
                    .map_err(|e| format!("grpc_listen {a}: {e}"))?,
            ),
            None => None,
        };
        let shared = Arc::new(server::Shared {
            state: arc_swap::ArcSwap::from_pointee(state),
            metrics,
            decisions: Arc::new(tokio::sync::Semaphore::new(max_concurrency)),
            path: path.to_owned(),
        });
        server::serve(shared, listener, grpc).await
    })
}

/// Checks the configuration at `path` without serving (`--check`).
pub fn check(path: &Path) -> Result<(), String> {
    config::load(path).map(|_| ()).map_err(|e| e.to_string())
}
