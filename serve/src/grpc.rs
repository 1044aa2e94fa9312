//! Envoy's gRPC `ext_authz`: `envoy.service.auth.v3.Authorization/Check`
//! on the optional `grpc_listen` address (HTTP/2 without TLS, as Envoy's
//! `envoy_grpc` cluster speaks to a local sidecar).
//!
//! The same decision as the HTTP endpoints: the `CheckRequest`'s
//! `attributes.request.http` becomes the same [`Facts`] and goes through
//! [`server::decide_request`] (trusted peers, the dot-segment rule, the
//! concurrency bound, the core), then [`server::record`] (the same
//! metrics, `endpoint="envoy_grpc"`, and log line). This file is only the
//! translation.
//!
//! ## Facts
//!
//! `http.method`; `http.path` (the request target, query included; the
//! query is cut before routing, as on the HTTP endpoints); the headers
//! from `http.headers` (Envoy lower-cases the names and joins repeated
//! ones with `,`), or from `http.header_map` when Envoy's
//! `encode_raw_headers` is on (repeated headers kept apart). Only
//! `authorization` and `dpop` are read. The DPoP `htu` origin is
//! `external_origin` when set, else `http.scheme` (`http`/`https`) and
//! `http.host`, which Envoy itself fills from the request it is holding
//! (not from client-supplied `X-Forwarded-*`).
//!
//! ## Answers
//!
//! | decision | `CheckResponse` |
//! |---|---|
//! | allow | `status` OK; `ok_response.headers`: each identity header with a value, `OVERWRITE_IF_EXISTS_OR_ADD` (a client's copy is replaced); `ok_response.headers_to_remove`: each configured identity header without a value (the token lacks it, or a public route), so a client's copy never reaches the upstream; `response_headers_to_add`: `DPoP-Nonce` when the client needs a new one |
//! | 401 | `status` UNAUTHENTICATED (16); `denied_response` {`status` 401, `WWW-Authenticate`, `DPoP-Nonce` when due} |
//! | 403 | `status` PERMISSION_DENIED (7); `denied_response` {`status` 403, `WWW-Authenticate` when the core has a challenge (`insufficient_scope`); serve's own refusals have none} |
//! | 400 | `status` INVALID_ARGUMENT (3); `denied_response` {`status` 400, `WWW-Authenticate` `invalid_request`} |
//! | 5xx (keys unavailable, overloaded, replay store down) | no `CheckResponse`: the RPC fails with UNAVAILABLE (503) or INTERNAL (500) |
//!
//! A denial carries exactly those headers and no body, so whatever Envoy's
//! `allowed_client_headers` says, the client sees only the intended ones.
//!
//! **Server faults are RPC errors**, because that is what Envoy's own
//! knobs are for: a failed `Check` is an error in Envoy's terms, answered
//! with `status_on_error` (default 403) unless `failure_mode_allow: true`,
//! which lets the request through unauthenticated. Keep
//! `failure_mode_allow: false` (the shipped `deploy/envoy/envoy-grpc.yaml`)
//! for the fail-closed behaviour of the HTTP endpoints, including the DPoP
//! replay store's (Redis down refuses DPoP requests). A `CheckResponse`
//! with a 503 instead would have hidden the fault from Envoy's
//! `ext_authz_error` statistics and its failure mode.
//!
//! ## Bounds
//!
//! One `CheckRequest` is at most `max_header_bytes` (tonic's
//! `max_decoding_message_size`; a longer one fails with
//! OUT_OF_RANGE before anything is decoded), and HTTP/2 header lists
//! too; at most `max_concurrency` streams per connection, and decisions
//! share the HTTP endpoints' `max_concurrency` (over it: UNAVAILABLE);
//! connections count against `max_connections` with the HTTP ones. On
//! SIGTERM the listener closes with the HTTP one, open connections get an
//! HTTP/2 GOAWAY and finish their streams; SIGHUP's new configuration
//! applies to the next `Check` (the address itself needs a restart).
//!
//! ## Why hand-written messages
//!
//! The ten messages below are the subset of Envoy's public
//! `envoy/service/auth/v3/{external_auth,attribute_context}.proto`,
//! `envoy/config/core/v3/base.proto`, `envoy/type/v3/http_status.proto`
//! and `google/rpc/status.proto` that serve reads or writes, with their
//! field numbers; prost skips every other field. The `envoy-types` crate
//! (every Envoy proto pregenerated) needs tonic's `transport` feature and
//! compiles 8 MB of generated code: several times this crate's whole
//! build on the project's two cores, for ten messages.

use core::convert::Infallible;
use core::future::Future;
use core::net::SocketAddr;
use core::pin::{pin, Pin};
use core::time::Duration;
use std::collections::HashMap;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Request, Response};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tonic::body::Body;
use tonic::{Code, Status};

use crate::decide::{Decision, Facts};
use crate::io::{Exec, Io, Timer};
use crate::server::{self, decide_request, record, until, Outcome, Shared};

/// The one method served; any other path answers UNIMPLEMENTED.
pub const CHECK_PATH: &str = "/envoy.service.auth.v3.Authorization/Check";

/// `HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD`.
const OVERWRITE_IF_EXISTS_OR_ADD: i32 = 2;

/// The messages, from Envoy's public protos (field numbers as there).
#[allow(missing_docs, clippy::all)]
pub(crate) mod pb {
    use std::collections::HashMap;

    /// `envoy.service.auth.v3.CheckRequest`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct CheckRequest {
        #[prost(message, optional, tag = "1")]
        pub(crate) attributes: Option<AttributeContext>,
    }

    /// `envoy.service.auth.v3.AttributeContext` (only `request`).
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct AttributeContext {
        #[prost(message, optional, tag = "4")]
        pub(crate) request: Option<AttributeRequest>,
    }

    /// `AttributeContext.Request` (only `http`).
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct AttributeRequest {
        #[prost(message, optional, tag = "2")]
        pub(crate) http: Option<HttpRequest>,
    }

    /// `AttributeContext.HttpRequest` (the fields serve reads).
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct HttpRequest {
        #[prost(string, tag = "2")]
        pub(crate) method: String,
        #[prost(map = "string, string", tag = "3")]
        pub(crate) headers: HashMap<String, String>,
        #[prost(string, tag = "4")]
        pub(crate) path: String,
        #[prost(string, tag = "5")]
        pub(crate) host: String,
        #[prost(string, tag = "6")]
        pub(crate) scheme: String,
        #[prost(message, optional, tag = "13")]
        pub(crate) header_map: Option<HeaderMap>,
    }

    /// `envoy.config.core.v3.HeaderMap`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct HeaderMap {
        #[prost(message, repeated, tag = "1")]
        pub(crate) headers: Vec<HeaderValue>,
    }

    /// `envoy.config.core.v3.HeaderValue`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct HeaderValue {
        #[prost(string, tag = "1")]
        pub(crate) key: String,
        #[prost(string, tag = "2")]
        pub(crate) value: String,
        #[prost(bytes = "vec", tag = "3")]
        pub(crate) raw_value: Vec<u8>,
    }

    /// `envoy.config.core.v3.HeaderValueOption` (`append` is deprecated
    /// and left unset: `append_action` decides).
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct HeaderValueOption {
        #[prost(message, optional, tag = "1")]
        pub(crate) header: Option<HeaderValue>,
        #[prost(int32, tag = "3")]
        pub(crate) append_action: i32,
    }

    /// `envoy.service.auth.v3.CheckResponse`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct CheckResponse {
        #[prost(message, optional, tag = "1")]
        pub(crate) status: Option<RpcStatus>,
        #[prost(oneof = "HttpResponse", tags = "2, 3")]
        pub(crate) http_response: Option<HttpResponse>,
    }

    /// `CheckResponse.http_response`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub(crate) enum HttpResponse {
        #[prost(message, tag = "2")]
        DeniedResponse(DeniedHttpResponse),
        #[prost(message, tag = "3")]
        OkResponse(OkHttpResponse),
    }

    /// `google.rpc.Status` (no details).
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct RpcStatus {
        #[prost(int32, tag = "1")]
        pub(crate) code: i32,
        #[prost(string, tag = "2")]
        pub(crate) message: String,
    }

    /// `envoy.service.auth.v3.DeniedHttpResponse`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct DeniedHttpResponse {
        #[prost(message, optional, tag = "1")]
        pub(crate) status: Option<HttpStatus>,
        #[prost(message, repeated, tag = "2")]
        pub(crate) headers: Vec<HeaderValueOption>,
        #[prost(string, tag = "3")]
        pub(crate) body: String,
    }

    /// `envoy.type.v3.HttpStatus` (`code` is the `StatusCode` enum, whose
    /// numbers are the HTTP statuses).
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct HttpStatus {
        #[prost(int32, tag = "1")]
        pub(crate) code: i32,
    }

    /// `envoy.service.auth.v3.OkHttpResponse` (the fields serve writes).
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct OkHttpResponse {
        #[prost(message, repeated, tag = "2")]
        pub(crate) headers: Vec<HeaderValueOption>,
        #[prost(string, repeated, tag = "5")]
        pub(crate) headers_to_remove: Vec<String>,
        #[prost(message, repeated, tag = "6")]
        pub(crate) response_headers_to_add: Vec<HeaderValueOption>,
    }
}

/// The request facts of a `CheckRequest` (`None`: no `http` attributes,
/// or a target that is not origin-form).
fn facts(req: &pb::CheckRequest, external_origin: Option<&str>) -> Option<Facts> {
    let http = req.attributes.as_ref()?.request.as_ref()?.http.as_ref()?;
    let target = http.path.as_str();
    if !target.starts_with('/') {
        return None;
    }
    let path = target.split(['?', '#']).next().unwrap_or("").to_owned();
    let origin = match external_origin {
        Some(o) => Some(o.to_owned()),
        None => match (http.scheme.as_str(), http.host.as_str()) {
            (s @ ("http" | "https"), h) if !h.is_empty() && !h.contains(['/', ' ', '@']) => {
                Some(format!("{s}://{h}"))
            }
            _ => None,
        },
    };
    let values = |name: &str| -> Vec<Vec<u8>> {
        match &http.header_map {
            Some(m) if !m.headers.is_empty() => m
                .headers
                .iter()
                .filter(|h| h.key.eq_ignore_ascii_case(name))
                .map(|h| {
                    if h.raw_value.is_empty() {
                        h.value.as_bytes().to_vec()
                    } else {
                        h.raw_value.clone()
                    }
                })
                .collect(),
            _ => header(&http.headers, name)
                .map(|v| vec![v.as_bytes().to_vec()])
                .unwrap_or_default(),
        }
    };
    Some(Facts {
        uri: origin.map(|o| format!("{o}{target}")).unwrap_or_default(),
        method: http.method.clone(),
        path,
        authorization: values("authorization"),
        dpop: values("dpop"),
    })
}

/// A header of Envoy's map (names lower-cased by Envoy; compared without
/// case anyway).
fn header<'a>(headers: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn option(key: &str, value: &str) -> pb::HeaderValueOption {
    pb::HeaderValueOption {
        header: Some(pb::HeaderValue {
            key: key.to_owned(),
            value: value.to_owned(),
            raw_value: Vec::new(),
        }),
        append_action: OVERWRITE_IF_EXISTS_OR_ADD,
    }
}

/// The gRPC code of a denial's HTTP status.
fn deny_code(status: u16) -> Code {
    match status {
        401 => Code::Unauthenticated,
        400 => Code::InvalidArgument,
        _ => Code::PermissionDenied,
    }
}

/// The decision in `CheckResponse` terms (see the module's table), and
/// the HTTP status it stands for (for the log).
fn answer(decision: &Decision) -> (Result<pb::CheckResponse, Status>, u16) {
    match decision {
        Decision::Allow { headers, nonce, .. } => {
            let mut ok = pb::OkHttpResponse::default();
            for (name, value) in headers {
                if value.is_empty() {
                    ok.headers_to_remove.push(name.clone());
                } else {
                    ok.headers.push(option(name, value));
                }
            }
            if let Some(n) = nonce {
                ok.response_headers_to_add.push(option("dpop-nonce", n));
            }
            let r = pb::CheckResponse {
                status: Some(pb::RpcStatus {
                    code: i32::from(Code::Ok),
                    message: String::new(),
                }),
                http_response: Some(pb::HttpResponse::OkResponse(ok)),
            };
            (Ok(r), 200)
        }
        Decision::Deny { status, code, .. } if *status >= 500 => {
            let c = if *status == 503 {
                Code::Unavailable
            } else {
                Code::Internal
            };
            (Err(Status::new(c, *code)), *status)
        }
        Decision::Deny {
            status,
            code,
            challenge,
            nonce,
        } => {
            let mut headers = Vec::new();
            if let Some(c) = challenge {
                headers.push(option("www-authenticate", c));
            }
            if let Some(n) = nonce {
                headers.push(option("dpop-nonce", n));
            }
            let r = pb::CheckResponse {
                status: Some(pb::RpcStatus {
                    code: i32::from(deny_code(*status)),
                    message: (*code).to_owned(),
                }),
                http_response: Some(pb::HttpResponse::DeniedResponse(pb::DeniedHttpResponse {
                    status: Some(pb::HttpStatus {
                        code: i32::from(*status),
                    }),
                    headers,
                    body: String::new(),
                })),
            };
            (Ok(r), *status)
        }
    }
}

/// `Check` for tonic's generic unary server.
struct Check {
    shared: Arc<Shared>,
    peer: SocketAddr,
}

type CheckFuture =
    Pin<Box<dyn Future<Output = Result<tonic::Response<pb::CheckResponse>, Status>> + Send>>;

impl tonic::server::UnaryService<pb::CheckRequest> for Check {
    type Response = pb::CheckResponse;
    type Future = CheckFuture;

    fn call(&mut self, request: tonic::Request<pb::CheckRequest>) -> CheckFuture {
        let shared = Arc::clone(&self.shared);
        let peer = self.peer;
        Box::pin(async move {
            let req = request.into_inner();
            let out: Outcome = decide_request(&shared, peer, |server| {
                facts(&req, server.external_origin.as_deref())
            })
            .await;
            let (response, status) = answer(&out.decision);
            record(&shared, peer, "envoy_grpc", &out, &status.to_string());
            response.map(tonic::Response::new)
        })
    }
}

async fn handle(
    shared: Arc<Shared>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    if req.uri().path() != CHECK_PATH {
        return Ok(Status::unimplemented("tokenlane serves only Authorization/Check").into_http());
    }
    let max = shared.state.load().config.server.max_header_bytes;
    let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::<
        pb::CheckResponse,
        pb::CheckRequest,
    >::default())
    .max_decoding_message_size(max);
    Ok(grpc.unary(Check { shared, peer }, req).await)
}

/// Serves `Check` on `listener` until `stop` turns true; each connection
/// holds a permit of `connections` (shared with the HTTP listener, which
/// waits for them all when draining).
pub(crate) async fn serve(
    shared: Arc<Shared>,
    listener: TcpListener,
    connections: Arc<Semaphore>,
    stop: watch::Receiver<bool>,
) {
    let until_stopped = server::stopped(stop.clone());
    server::accept_loop(
        "listening_grpc",
        &listener,
        &connections,
        until_stopped,
        |stream, peer, permit| {
            let shared = Arc::clone(&shared);
            let stop = stop.clone();
            let limits = shared.state.load().config.server.clone();
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(move |req| handle(Arc::clone(&shared), peer, req));
                let streams = u32::try_from(limits.max_concurrency).unwrap_or(u32::MAX);
                let header_list = u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX);
                let conn = hyper::server::conn::http2::Builder::new(Exec)
                    .timer(Timer)
                    .max_concurrent_streams(streams)
                    .max_header_list_size(header_list)
                    .keep_alive_interval(Some(Duration::from_secs(60)))
                    .serve_connection(Io(stream), svc);
                let mut conn = pin!(conn);
                if until(conn.as_mut(), server::stopped(stop)).await.is_none() {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
                drop(permit);
            });
        },
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> pb::CheckRequest {
        pb::CheckRequest {
            attributes: Some(pb::AttributeContext {
                request: Some(pb::AttributeRequest {
                    http: Some(pb::HttpRequest {
                        method: "GET".into(),
                        headers: headers
                            .iter()
                            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                            .collect(),
                        path: "/api/x?q=1".into(),
                        host: "api.example".into(),
                        scheme: "https".into(),
                        header_map: None,
                    }),
                }),
            }),
        }
    }

    #[test]
    fn facts_come_from_envoys_attributes_with_the_query_cut_for_routing() {
        let f = facts(
            &request(&[("authorization", "Bearer t"), ("dpop", "p")]),
            None,
        )
        .unwrap();
        assert_eq!(f.method, "GET");
        assert_eq!(f.path, "/api/x");
        assert_eq!(f.uri, "https://api.example/api/x?q=1");
        assert_eq!(f.authorization, vec![b"Bearer t".to_vec()]);
        assert_eq!(f.dpop, vec![b"p".to_vec()]);
        let f = facts(&request(&[]), Some("https://edge.example")).unwrap();
        assert_eq!(f.uri, "https://edge.example/api/x?q=1");
        assert!(f.authorization.is_empty());
        assert!(facts(&pb::CheckRequest::default(), None).is_none());
    }

    #[test]
    fn raw_header_map_keeps_repeated_authorization_headers_apart() {
        let mut r = request(&[]);
        if let Some(h) = r
            .attributes
            .as_mut()
            .and_then(|a| a.request.as_mut())
            .and_then(|r| r.http.as_mut())
        {
            h.header_map = Some(pb::HeaderMap {
                headers: ["Bearer a", "Bearer b"]
                    .iter()
                    .map(|v| pb::HeaderValue {
                        key: "authorization".into(),
                        value: String::new(),
                        raw_value: v.as_bytes().to_vec(),
                    })
                    .collect(),
            });
        }
        let f = facts(&r, None).unwrap();
        assert_eq!(f.authorization.len(), 2);
    }

    #[test]
    fn an_allow_sets_values_by_overwrite_removes_empty_ones_and_returns_the_nonce() {
        let d = Decision::Allow {
            headers: vec![
                ("X-Auth-Subject".into(), "alice".into()),
                ("X-Auth-Client-Id".into(), String::new()),
            ],
            public: false,
            issuer: Some(0),
            nonce: Some("n-2".into()),
        };
        let (r, s) = answer(&d);
        assert_eq!(s, 200);
        let r = r.unwrap();
        assert_eq!(r.status.unwrap().code, 0);
        let Some(pb::HttpResponse::OkResponse(ok)) = r.http_response else {
            panic!("not an allow");
        };
        assert_eq!(ok.headers, vec![option("X-Auth-Subject", "alice")]);
        assert_eq!(ok.headers[0].append_action, OVERWRITE_IF_EXISTS_OR_ADD);
        assert_eq!(ok.headers_to_remove, vec!["X-Auth-Client-Id".to_owned()]);
        assert_eq!(
            ok.response_headers_to_add,
            vec![option("dpop-nonce", "n-2")]
        );
    }

    #[test]
    fn server_faults_are_rpc_errors_and_denials_carry_only_their_headers() {
        let (r, s) = answer(&crate::decide::deny_plain(503, "keys_unavailable"));
        assert_eq!(s, 503);
        assert_eq!(r.unwrap_err().code(), Code::Unavailable);
        let (r, _) = answer(&crate::decide::deny_plain(500, "replay_check_failed"));
        assert_eq!(r.unwrap_err().code(), Code::Internal);
        let (r, s) = answer(&crate::decide::deny_plain(403, "no_route"));
        assert_eq!(s, 403);
        let r = r.unwrap();
        assert_eq!(r.status.unwrap().code, i32::from(Code::PermissionDenied));
        match r.http_response {
            Some(pb::HttpResponse::DeniedResponse(d)) => {
                assert_eq!(d.status.unwrap().code, 403);
                assert!(d.headers.is_empty());
            }
            other => panic!("not a denial: {other:?}"),
        }
    }
}
