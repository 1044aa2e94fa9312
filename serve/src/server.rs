//! The HTTP side: endpoints, the accept loop, reload and shutdown.

use core::future::{poll_fn, Future};
use core::net::SocketAddr;
use core::pin::pin;
use core::task::Poll;
use core::time::Duration;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Request, Response, StatusCode};
use tokenlane::UnixTime;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use crate::config;
use crate::decide::{self, deny_plain, Decision, Facts, IssuerKeys, State};
use crate::io::{Io, Timer};
use crate::log;
use crate::metrics::Metrics;

/// What every connection shares.
pub(crate) struct Shared {
    /// The configuration in force.
    pub(crate) state: ArcSwap<State>,
    /// Process-wide metrics.
    pub(crate) metrics: Arc<Metrics>,
    /// Decisions in flight.
    pub(crate) decisions: Arc<Semaphore>,
    /// The configuration file (reloaded on SIGHUP).
    pub(crate) path: PathBuf,
}

type Body = Full<Bytes>;

fn reply(status: u16, body: &'static str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r
}

/// Which decision protocol a request speaks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Edge {
    /// nginx `auth_request`: the original request in `X-Original-Method`
    /// and `X-Original-URI`; only 2xx/401/403 are answers.
    Nginx,
    /// Envoy HTTP `ext_authz`: the original method, path (after the
    /// `/auth/envoy` prefix) and headers are the request's own.
    Envoy,
}

impl Edge {
    fn name(self) -> &'static str {
        match self {
            Edge::Nginx => "nginx",
            Edge::Envoy => "envoy",
        }
    }
}

/// A path whose meaning an edge and an upstream could read differently:
/// dot segments and encoded `.`, `/`, `\` (the edge may route on the
/// normalised path while serve matches the raw one). Refused, so a
/// `public` prefix can never be borrowed by `/public/../admin`.
fn unsafe_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.contains("%2e")
        || lower.contains("%2f")
        || lower.contains("%5c")
        || lower.contains('\\')
        || path.split('/').any(|seg| seg == "." || seg == "..")
}

fn header_str<'a>(req: &'a Request<Incoming>, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The original request's facts.
fn facts(req: &Request<Incoming>, edge: Edge, external_origin: Option<&str>) -> Option<Facts> {
    let (method, target) = match edge {
        Edge::Nginx => (
            header_str(req, "x-original-method")?.to_owned(),
            header_str(req, "x-original-uri")?.to_owned(),
        ),
        Edge::Envoy => {
            let pq = req.uri().path_and_query().map_or("/", |p| p.as_str());
            let rest = pq.strip_prefix("/auth/envoy")?;
            let rest = if rest.starts_with('/') {
                rest.to_owned()
            } else {
                format!("/{rest}")
            };
            (req.method().as_str().to_owned(), rest)
        }
    };
    if !target.starts_with('/') {
        return None;
    }
    let path = target.split(['?', '#']).next().unwrap_or("").to_owned();
    let origin = match external_origin {
        Some(o) => Some(o.to_owned()),
        None => {
            let proto = header_str(req, "x-forwarded-proto").unwrap_or("https");
            let host = header_str(req, "x-forwarded-host").or_else(|| match edge {
                Edge::Envoy => header_str(req, "host"),
                Edge::Nginx => None,
            });
            match (proto, host) {
                ("http" | "https", Some(h)) if !h.is_empty() && !h.contains(['/', ' ', '@']) => {
                    Some(format!("{proto}://{h}"))
                }
                _ => None,
            }
        }
    };
    let values = |name: &str| -> Vec<Vec<u8>> {
        req.headers()
            .get_all(name)
            .iter()
            .map(|v| v.as_bytes().to_vec())
            .collect()
    };
    Some(Facts {
        uri: origin.map(|o| format!("{o}{target}")).unwrap_or_default(),
        method,
        path,
        authorization: values("authorization"),
        dpop: values("dpop"),
    })
}

fn now() -> UnixTime {
    UnixTime::now()
}

/// One decision, whatever edge asked: the trusted-peer rule, the facts
/// (`facts`, read from the edge's protocol with the configuration in
/// force), the dot-segment rule, the concurrency bound, then the core's
/// decision ([`decide::decide_inline`], or [`decide::decide`] on the
/// blocking pool). Every edge (nginx, Envoy HTTP, Envoy gRPC) comes
/// through here, so they decide alike; each renders the [`Outcome`] in its
/// own protocol and then calls [`record`].
pub(crate) async fn decide_request(
    shared: &Arc<Shared>,
    peer: SocketAddr,
    facts: impl FnOnce(&config::Server) -> Option<Facts>,
) -> Outcome {
    let started = Instant::now();
    let state = shared.state.load_full();
    let server = &state.config.server;
    let (decision, path, method) = if !server.trusted_proxies.iter().any(|c| c.contains(peer.ip()))
    {
        (
            deny_plain(403, "untrusted_peer"),
            String::new(),
            String::new(),
        )
    } else {
        match facts(server) {
            None => (
                deny_plain(403, "no_original_request"),
                String::new(),
                String::new(),
            ),
            Some(f) if unsafe_path(&f.path) => (deny_plain(403, "unsafe_path"), f.path, f.method),
            Some(f) => match Arc::clone(&shared.decisions).try_acquire_owned() {
                Err(_) => (deny_plain(503, "overloaded"), f.path, f.method),
                Ok(permit) => {
                    let (path, method) = (f.path.clone(), f.method.clone());
                    // A Bearer request with ready keys is decided here
                    // (microseconds of computation); anything that may
                    // wait (a key fetch, Redis) goes to the blocking pool.
                    let d = match decide::decide_inline(&state, &f, now()) {
                        Some(d) => {
                            drop(permit);
                            d
                        }
                        None => {
                            let st = Arc::clone(&state);
                            tokio::task::spawn_blocking(move || {
                                let d = decide::decide(&st, &f, now());
                                drop(permit);
                                d
                            })
                            .await
                            .unwrap_or_else(|_| deny_plain(500, "internal_error"))
                        }
                    };
                    (d, path, method)
                }
            },
        }
    };
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    Outcome {
        decision,
        state,
        method,
        path,
        micros,
    }
}

/// A decision with what its metrics and log line need.
pub(crate) struct Outcome {
    /// The decision.
    pub(crate) decision: Decision,
    /// The configuration it was made with.
    pub(crate) state: Arc<State>,
    /// The original method (empty when unknown).
    pub(crate) method: String,
    /// The original path (empty when unknown).
    pub(crate) path: String,
    /// From arrival to decision.
    pub(crate) micros: u64,
}

/// Counts the decision (`endpoint` label) and logs it per `log_decisions`
/// with the `status` the edge was given (never a token).
pub(crate) fn record(
    shared: &Shared,
    peer: SocketAddr,
    endpoint: &'static str,
    out: &Outcome,
    status: &str,
) {
    let (allow, code) = match &out.decision {
        Decision::Allow { public, .. } => (true, if *public { "public" } else { "ok" }),
        Decision::Deny { code, .. } => (false, *code),
    };
    shared.metrics.decision(endpoint, allow, code, out.micros);
    let log_it = match out.state.config.server.log_decisions {
        config::LogDecisions::None => false,
        config::LogDecisions::Denied => !allow,
        config::LogDecisions::All => true,
    };
    if log_it {
        let issuer = match &out.decision {
            Decision::Allow {
                issuer: Some(i), ..
            } => out.state.config.issuers.get(*i).map(|i| i.issuer.as_str()),
            _ => None,
        };
        log::event(
            "decision",
            &[
                ("edge", endpoint),
                ("peer", &peer.ip().to_string()),
                ("method", &out.method),
                ("path", &out.path),
                ("result", if allow { "allow" } else { "deny" }),
                ("code", code),
                ("status", status),
                ("issuer", issuer.unwrap_or("-")),
                ("micros", &out.micros.to_string()),
            ],
        );
    }
}

async fn decision(
    shared: Arc<Shared>,
    peer: SocketAddr,
    req: Request<Incoming>,
    edge: Edge,
) -> Response<Body> {
    let out = decide_request(&shared, peer, |server| {
        facts(&req, edge, server.external_origin.as_deref())
    })
    .await;
    let mut resp = reply(200, "");
    match &out.decision {
        Decision::Allow { headers, .. } => {
            for (name, value) in headers {
                if let (Ok(n), Ok(v)) = (
                    hyper::header::HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    resp.headers_mut().insert(n, v);
                }
            }
        }
        Decision::Deny {
            status, challenge, ..
        } => {
            // nginx knows only 2xx/401/403: a 400 (invalid_request) becomes
            // a 401 with the same challenge, so the client learns why
            // instead of getting nginx's 500. 5xx stay 5xx (nginx turns
            // them into its own 500: fail closed).
            let status = match (edge, *status) {
                (Edge::Nginx, 400) => 401,
                (_, s) => s,
            };
            resp = reply(status, "");
            if let Some(c) = challenge {
                if let Ok(v) = HeaderValue::from_str(c) {
                    resp.headers_mut()
                        .insert(hyper::header::WWW_AUTHENTICATE, v);
                }
            }
        }
    }
    let nonce = match &out.decision {
        Decision::Allow { nonce, .. } | Decision::Deny { nonce, .. } => nonce,
    };
    if let Some(v) = nonce.as_deref().and_then(|n| HeaderValue::from_str(n).ok()) {
        resp.headers_mut()
            .insert(hyper::header::HeaderName::from_static("dpop-nonce"), v);
    }
    record(&shared, peer, edge.name(), &out, resp.status().as_str());
    resp
}

async fn handle(
    shared: Arc<Shared>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Body>, core::convert::Infallible> {
    let path = req.uri().path();
    let resp = if path == "/auth/nginx" {
        decision(shared, peer, req, Edge::Nginx).await
    } else if path == "/auth/envoy" || path.starts_with("/auth/envoy/") {
        decision(shared, peer, req, Edge::Envoy).await
    } else if req.method() != hyper::Method::GET {
        reply(405, "")
    } else if path == "/healthz" {
        reply(200, "ok\n")
    } else if path == "/readyz" {
        // Ready when every issuer's keys are: the flags the readiness task
        // sets on the configuration in force (a new key source after a
        // reload starts not ready).
        let state = shared.state.load();
        if state.keys.iter().all(|k| match k {
            IssuerKeys::Static(_) => true,
            IssuerKeys::Source(_, ready) => ready.load(core::sync::atomic::Ordering::Acquire),
        }) {
            reply(200, "ready\n")
        } else {
            reply(503, "not ready: keys not loaded\n")
        }
    } else if path == "/metrics" {
        let mut r = Response::new(Full::new(Bytes::from(shared.metrics.render())));
        r.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        );
        r
    } else {
        let state = shared.state.load();
        match state
            .config
            .resources
            .iter()
            .find(|r| r.well_known_path == path)
        {
            Some(r) => {
                let mut resp = Response::new(Full::new(Bytes::from(r.document.clone())));
                resp.headers_mut().insert(
                    hyper::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                resp
            }
            None => reply(404, ""),
        }
    };
    Ok(resp)
}

/// Polls `a` until it finishes (`Some`) or `b` does (`None`).
pub(crate) async fn until<A: Future, B: Future>(a: A, b: B) -> Option<A::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        if b.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

pub(crate) async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// The accept loop both listeners (HTTP and gRPC) share: logs `event` with
/// the listening address, then takes a permit of `connections` (the bound on
/// open connections) before each `accept`, and hands the connection with its
/// permit to `spawn`; returns when `stop` completes. A failed accept is
/// skipped (the permit goes back).
pub(crate) async fn accept_loop<S: Future>(
    event: &str,
    listener: &TcpListener,
    connections: &Arc<Semaphore>,
    stop: S,
    mut spawn: impl FnMut(TcpStream, SocketAddr, OwnedSemaphorePermit),
) {
    let mut stop = pin!(stop);
    log::event(
        event,
        &[(
            "address",
            &listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default(),
        )],
    );
    loop {
        let accept = async {
            let permit = Arc::clone(connections).acquire_owned().await;
            (permit, listener.accept().await)
        };
        let Some((permit, accepted)) = until(accept, stop.as_mut()).await else {
            return;
        };
        let (Ok(permit), Ok((stream, peer))) = (permit, accepted) else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        spawn(stream, peer, permit);
    }
}

/// Checks each issuer's keys every few seconds on the blocking pool (the
/// first round loads them): readiness, and keys kept warm.
async fn readiness(shared: Arc<Shared>, stop: watch::Receiver<bool>) {
    loop {
        let state = shared.state.load_full();
        for (i, keys) in state.keys.iter().enumerate() {
            let issuer = state.config.issuers[i].issuer.clone();
            let ok = match keys {
                IssuerKeys::Static(_) => true,
                IssuerKeys::Source(s, ready) => {
                    let s = s.clone();
                    let ok = tokio::task::spawn_blocking(move || s.keys(now()).is_ok())
                        .await
                        .unwrap_or(false);
                    ready.store(ok, core::sync::atomic::Ordering::Release);
                    ok
                }
            };
            shared.metrics.set_ready(&issuer, ok);
        }
        let issuers: Vec<String> = state
            .config
            .issuers
            .iter()
            .map(|i| i.issuer.clone())
            .collect();
        shared.metrics.retain_ready(&issuers);
        let pause = if shared.metrics.all_ready(&issuers) {
            5
        } else {
            1
        };
        if until(
            tokio::time::sleep(Duration::from_secs(pause)),
            stopped(stop.clone()),
        )
        .await
        .is_none()
        {
            return;
        }
    }
}

/// SIGHUP: reads the file again; an invalid one is logged and the old
/// configuration keeps serving.
async fn reloads(shared: Arc<Shared>) {
    let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        log::event("reload_unavailable", &[]);
        return;
    };
    while hup.recv().await.is_some() {
        let s = Arc::clone(&shared);
        let result = tokio::task::spawn_blocking(move || {
            let old = s.state.load_full();
            let config = config::load(&s.path).map_err(|e| e.to_string())?;
            if config.server.listen != old.config.server.listen
                || config.server.grpc_listen != old.config.server.grpc_listen
            {
                log::event(
                    "reload_listen_ignored",
                    &[("listen", &old.config.server.listen.to_string())],
                );
            }
            let reuse = |id: &str| {
                old.config
                    .issuers
                    .iter()
                    .zip(&old.keys)
                    .find_map(|(i, k)| match k {
                        IssuerKeys::Source(src, ready)
                            if decide::source_key(i).as_deref() == Some(id) =>
                        {
                            Some((src.clone(), Arc::clone(ready)))
                        }
                        _ => None,
                    })
            };
            let state = State::build(config, &s.metrics, &reuse)?;
            s.state.store(Arc::new(state));
            Ok::<(), String>(())
        })
        .await
        .unwrap_or_else(|_| Err("reload panicked".into()));
        match result {
            Ok(()) => {
                shared.metrics.reload("ok");
                log::event(
                    "reloaded",
                    &[("config", &shared.path.display().to_string())],
                );
            }
            Err(e) => {
                shared.metrics.reload("invalid");
                log::event("reload_refused_old_config_kept", &[("error", &e)]);
            }
        }
    }
}

/// Serves until SIGTERM or SIGINT, then stops accepting and lets the open
/// connections finish (at most 10 seconds). `grpc`: the gRPC `ext_authz`
/// listener ([`crate::grpc`]), stopped and drained with this one.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    listener: TcpListener,
    grpc: Option<TcpListener>,
) -> Result<(), String> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let server = shared.state.load().config.server.clone();
    let connections = Arc::new(Semaphore::new(server.max_connections));
    if let Some(g) = grpc {
        tokio::spawn(crate::grpc::serve(
            Arc::clone(&shared),
            g,
            Arc::clone(&connections),
            stop_rx.clone(),
        ));
    }
    tokio::spawn(readiness(Arc::clone(&shared), stop_rx.clone()));
    tokio::spawn(reloads(Arc::clone(&shared)));
    let signals = async {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return core::future::pending::<()>().await;
        };
        let _ = until(term.recv(), int.recv()).await;
    };
    accept_loop(
        "listening",
        &listener,
        &connections,
        signals,
        |stream, peer, permit| {
            let shared = Arc::clone(&shared);
            let stop = stop_rx.clone();
            let max_buf = server.max_header_bytes;
            let read_timeout = Duration::from_millis(server.header_read_timeout_ms);
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(move |req| handle(Arc::clone(&shared), peer, req));
                let conn = hyper::server::conn::http1::Builder::new()
                    .max_buf_size(max_buf)
                    .timer(Timer)
                    .header_read_timeout(read_timeout)
                    .serve_connection(Io(stream), svc);
                let mut conn = pin!(conn);
                if until(conn.as_mut(), stopped(stop)).await.is_none() {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
                drop(permit);
            });
        },
    )
    .await;
    log::event("shutting_down", &[]);
    let _ = stop_tx.send(true);
    let max = u32::try_from(server.max_connections).unwrap_or(u32::MAX);
    let drained =
        tokio::time::timeout(Duration::from_secs(10), connections.acquire_many(max)).await;
    log::event(
        "stopped",
        &[("drained", if drained.is_ok() { "true" } else { "false" })],
    );
    Ok(())
}
