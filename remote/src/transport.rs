//! The thin HTTP transport: one GET, no redirects followed, body capped.
//! Every rule (schemes, redirects, statuses, caching) lives above it, in
//! [`crate::fetch`], so it is tested with a stub transport and no network.

use core::time::Duration;
use std::io::ErrorKind;
use std::sync::Arc;

use tokenlane::limits::MAX_KEY_DOCUMENT_BYTES;
use ureq::tls::{parse_pem, PemItem, RootCerts, TlsConfig, TlsProvider};

use crate::error::{RemoteError, TransportError};

/// One GET request.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The absolute URL (already checked against the URL rules).
    pub url: &'a str,
    /// `If-None-Match` to send (an ETag from an earlier response).
    pub if_none_match: Option<&'a str>,
    /// `If-Modified-Since` to send (a `Last-Modified` from an earlier response).
    pub if_modified_since: Option<&'a str>,
    /// The largest body to read; a longer one is `BodyTooLarge`.
    pub max_body: usize,
}

/// One HTTP response, with the headers the rules read.
#[derive(Debug, Clone, Default)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// `Location` (redirects).
    pub location: Option<String>,
    /// `ETag`.
    pub etag: Option<String>,
    /// `Last-Modified`.
    pub last_modified: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// The body, at most the request's `max_body` bytes.
    pub body: Vec<u8>,
}

/// One form POST (the introspection request, RFC 7662 §2.1).
#[derive(Debug, Clone, Copy)]
pub struct HttpPost<'a> {
    /// The absolute URL (already checked against the URL rules).
    pub url: &'a str,
    /// `Authorization` to send (`Basic ...` for `client_secret_basic`).
    pub authorization: Option<&'a str>,
    /// The `application/x-www-form-urlencoded` body. It holds the token:
    /// implementations must never log it.
    pub form: &'a [u8],
    /// The largest body to read; a longer one is `BodyTooLarge`.
    pub max_body: usize,
}

/// Sends one request and returns the response as is: no redirect followed,
/// any status returned, the body capped at `max_body`. Implementations must
/// honour their timeouts and never panic.
pub trait Transport: Send + Sync {
    /// Performs a GET.
    fn get(&self, request: &HttpRequest<'_>) -> Result<HttpResponse, TransportError>;

    /// Performs a form POST. The default answers
    /// [`TransportError::Unsupported`], for transports that only fetch keys.
    fn post(&self, request: &HttpPost<'_>) -> Result<HttpResponse, TransportError> {
        let _ = request;
        Err(TransportError::Unsupported)
    }
}

/// Options of the HTTP client and the fetch rules. Defaults and bounds: the
/// table in the crate docs.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// TCP connect timeout. Default 5 s.
    pub connect_timeout: Duration,
    /// Total time for one request, from DNS lookup to the last body byte
    /// (a server that trickles bytes hits this). Default 10 s.
    pub total_timeout: Duration,
    /// Redirects followed per fetch. Default 3, at most 10.
    pub max_redirects: u32,
    /// Trust the system's certificate store. Default true.
    pub system_roots: bool,
    /// Extra trusted CA certificates, PEM. Default none.
    pub ca_bundle_pem: Option<Vec<u8>>,
    /// Allow plain `http` to any host, not only loopback IP literals.
    /// **Dangerous**: anyone on the path can then hand you keys. Default false.
    pub dangerously_allow_plain_http: bool,
}

/// The most redirects [`HttpOptions::max_redirects`] accepts.
pub const MAX_REDIRECTS_LIMIT: u32 = 10;

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(10),
            max_redirects: 3,
            system_roots: true,
            ca_bundle_pem: None,
            dangerously_allow_plain_http: false,
        }
    }
}

/// The production transport: `ureq` 3 over `rustls` with the `ring`
/// provider, trusting the system store (`rustls-native-certs`) plus the
/// configured CA bundle. No gzip (no decompression bomb), no cookies, no
/// proxy from the environment.
pub struct HttpTransport {
    agent: ureq::Agent,
}

impl core::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HttpTransport")
    }
}

impl HttpTransport {
    /// Builds the client. Errors: `CaBundle` when the bundle has no PEM
    /// certificate or does not parse. System certificates that do not load
    /// are skipped (with neither those nor a bundle, every https fetch
    /// fails with `Transport(Tls)`).
    pub fn new(options: &HttpOptions) -> Result<Self, RemoteError> {
        let mut roots: Vec<ureq::tls::Certificate<'static>> = Vec::new();
        if options.system_roots {
            for der in rustls_native_certs::load_native_certs().certs {
                roots.push(ureq::tls::Certificate::from_der(der.as_ref()).to_owned());
            }
        }
        if let Some(pem) = &options.ca_bundle_pem {
            let mut found = 0usize;
            for item in parse_pem(pem) {
                match item {
                    Ok(PemItem::Certificate(c)) => {
                        roots.push(c);
                        found += 1;
                    }
                    Ok(_) => {}
                    Err(_) => return Err(RemoteError::CaBundle),
                }
            }
            if found == 0 {
                return Err(RemoteError::CaBundle);
            }
        }
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .root_certs(RootCerts::new_with_certs(&roots))
            .build();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .timeout_connect(Some(options.connect_timeout))
            .timeout_global(Some(options.total_timeout))
            .user_agent(concat!("tokenlane-remote/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build()
            .new_agent();
        Ok(Self { agent })
    }
}

fn transport_error(e: &ureq::Error) -> TransportError {
    match e {
        ureq::Error::Timeout(_) => TransportError::Timeout,
        ureq::Error::BodyExceedsLimit(_) => TransportError::BodyTooLarge,
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => TransportError::Tls,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportError::Connect,
        ureq::Error::Protocol(_) | ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
            TransportError::Protocol
        }
        // rustls reports a refused certificate as an I/O error wrapping its own.
        ureq::Error::Io(io) if io.get_ref().is_some_and(|e| e.is::<rustls::Error>()) => {
            TransportError::Tls
        }
        ureq::Error::Io(io) => match io.kind() {
            ErrorKind::TimedOut | ErrorKind::WouldBlock => TransportError::Timeout,
            ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset | ErrorKind::NotFound => {
                TransportError::Connect
            }
            ErrorKind::InvalidData => TransportError::Protocol,
            _ => TransportError::Io,
        },
        _ => TransportError::Io,
    }
}

impl Transport for HttpTransport {
    fn get(&self, request: &HttpRequest<'_>) -> Result<HttpResponse, TransportError> {
        let mut req = self
            .agent
            .get(request.url)
            .header("Accept", "application/json");
        if let Some(v) = request.if_none_match {
            req = req.header("If-None-Match", v);
        }
        if let Some(v) = request.if_modified_since {
            req = req.header("If-Modified-Since", v);
        }
        let resp = req.call().map_err(|e| transport_error(&e))?;
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let out = HttpResponse {
            status: resp.status().as_u16(),
            location: header("location"),
            etag: header("etag"),
            last_modified: header("last-modified"),
            cache_control: header("cache-control"),
            body: Vec::new(),
        };
        read_body(resp, out, request.max_body)
    }

    fn post(&self, request: &HttpPost<'_>) -> Result<HttpResponse, TransportError> {
        let mut req = self
            .agent
            .post(request.url)
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded");
        if let Some(v) = request.authorization {
            req = req.header("Authorization", v);
        }
        let resp = req.send(request.form).map_err(|e| transport_error(&e))?;
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let out = HttpResponse {
            status: resp.status().as_u16(),
            location: header("location"),
            etag: None,
            last_modified: None,
            cache_control: header("cache-control"),
            body: Vec::new(),
        };
        read_body(resp, out, request.max_body)
    }
}

/// Reads the body into `out`, capped at `max_body` (and at the key
/// documents' cap, the largest any request reads).
fn read_body(
    mut resp: ureq::http::Response<ureq::Body>,
    mut out: HttpResponse,
    max_body: usize,
) -> Result<HttpResponse, TransportError> {
    let cap = max_body.min(MAX_KEY_DOCUMENT_BYTES);
    out.body = resp
        .body_mut()
        .with_config()
        .limit(u64::try_from(cap).unwrap_or(u64::MAX))
        .read_to_vec()
        .map_err(|e| transport_error(&e))?;
    Ok(out)
}
