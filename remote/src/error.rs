//! What can go wrong talking to an authorization server.

use core::fmt;

use tokenlane::{KeyError, ServerFault};

/// Why a transport request failed before an HTTP response was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// The connect timeout or the total timeout passed (a slow server, one
    /// that trickles bytes, a black-holed address).
    Timeout,
    /// The connection was refused, reset, or the name did not resolve.
    Connect,
    /// The TLS handshake failed: an untrusted or mismatched certificate, or
    /// a protocol error.
    Tls,
    /// The body is larger than the cap ([`tokenlane::limits::MAX_KEY_DOCUMENT_BYTES`]).
    BodyTooLarge,
    /// The server's reply is not valid HTTP/1.1.
    Protocol,
    /// Any other I/O failure.
    Io,
    /// The transport does not implement this kind of request (a custom
    /// [`crate::Transport`] without `post`).
    Unsupported,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportError::Timeout => "timed out",
            TransportError::Connect => "could not connect",
            TransportError::Tls => "TLS handshake failed",
            TransportError::BodyTooLarge => "the response body is over the size cap",
            TransportError::Protocol => "the reply is not valid HTTP",
            TransportError::Io => "I/O error",
            TransportError::Unsupported => "the transport does not support this request",
        })
    }
}

/// Why discovery or a key fetch failed, or why no keys can be served.
///
/// Each variant is an outcome of the fault table in the crate docs; none
/// carries key material.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RemoteError {
    /// Not an absolute `http`/`https` URL, or it has credentials, a
    /// fragment, whitespace or control characters.
    InvalidUrl,
    /// A plain `http` URL to a host that is not a loopback IP literal,
    /// without [`crate::HttpOptions::dangerously_allow_plain_http`].
    InsecureUrl,
    /// The transport failed.
    Transport(TransportError),
    /// The server answered with a status other than 200 (or 304 to a
    /// conditional request, or a followed redirect).
    HttpStatus(u16),
    /// More redirects than [`crate::HttpOptions::max_redirects`] (a loop).
    TooManyRedirects,
    /// A redirect from `https` to `http`: never followed.
    RedirectToHttp,
    /// A redirect without a usable `Location`.
    InvalidRedirect,
    /// The CA bundle given is not PEM with at least one certificate.
    CaBundle,
    /// The metadata is not a JSON object with a string `issuer` (and string
    /// `jwks_uri` / `introspection_endpoint` when present), or it repeats one
    /// of those members.
    InvalidMetadata,
    /// The metadata's `issuer` is not exactly the configured issuer
    /// (RFC 8414 §3.3, OpenID Connect Discovery §4.3): the mix-up defence.
    IssuerMismatch {
        /// The issuer configured.
        expected: String,
        /// The issuer the metadata names.
        found: String,
    },
    /// The metadata has no `jwks_uri`.
    NoJwksUri,
    /// The JWKS did not load: not JSON, no `keys`, a broken key, or no
    /// usable key (the core's [`KeyError`], which says why).
    Keys(KeyError),
    /// An introspection endpoint answered 200 with a body that is not a
    /// JSON object the core's strict reader accepts (HTML, invalid JSON).
    InvalidResponse,
    /// No keys yet, and the last attempt failed less than the retry
    /// interval ago (the error it failed with is inside).
    RetryLater(Box<RemoteError>),
    /// The last good key set is older than its TTL plus `max_stale`, and
    /// refreshing it failed (the error is inside).
    StaleTooLong(Box<RemoteError>),
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoteError::InvalidUrl => f.write_str("not an absolute http(s) URL without credentials or fragment"),
            RemoteError::InsecureUrl => {
                f.write_str("plain http is refused except to a loopback address (or with dangerously_allow_plain_http)")
            }
            RemoteError::Transport(e) => write!(f, "request failed: {e}"),
            RemoteError::HttpStatus(s) => write!(f, "the server answered HTTP {s}"),
            RemoteError::TooManyRedirects => f.write_str("too many redirects"),
            RemoteError::RedirectToHttp => f.write_str("refused a redirect from https to http"),
            RemoteError::InvalidRedirect => f.write_str("a redirect without a usable Location"),
            RemoteError::CaBundle => f.write_str("the CA bundle holds no PEM certificate"),
            RemoteError::InvalidMetadata => f.write_str("the metadata is not a valid JSON object"),
            RemoteError::IssuerMismatch { expected, found } => {
                write!(f, "the metadata names issuer {found:?}, not the configured {expected:?}")
            }
            RemoteError::NoJwksUri => f.write_str("the metadata has no jwks_uri"),
            RemoteError::InvalidResponse => f.write_str("the response is not a JSON object"),
            RemoteError::Keys(e) => write!(f, "the key set did not load: {e}"),
            RemoteError::RetryLater(e) => write!(f, "no keys yet; the last attempt failed ({e}), retrying later"),
            RemoteError::StaleTooLong(e) => {
                write!(f, "the last good keys are past their stale limit and refreshing failed ({e})")
            }
        }
    }
}

impl core::error::Error for RemoteError {}

/// A refusal from a validator that follows a [`crate::KeySource`].
///
/// Deliberately exhaustive: a refusal is about the token (401/403) or about
/// the keys (503), and a server must be able to match both without a
/// catch-all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidationError {
    /// The core refused the token (its code, e.g. `key_not_found`): answer
    /// 401/403 as the core's table says.
    Token(tokenlane::Error),
    /// No keys could be had: the token was not judged. A server answers 503,
    /// not 401.
    KeysUnavailable(RemoteError),
}

impl ValidationError {
    /// The server-side fault ([`ServerFault::KeysUnavailable`]), `None` for
    /// a refusal of the token.
    pub fn fault(&self) -> Option<ServerFault> {
        match self {
            ValidationError::Token(_) => None,
            ValidationError::KeysUnavailable(_) => Some(ServerFault::KeysUnavailable),
        }
    }

    /// The HTTP status a server answers with: the core's for a refusal,
    /// the fault's (503) when no keys could be had.
    pub fn http_status(&self) -> u16 {
        match self {
            ValidationError::Token(e) => e.kind().http_status(),
            ValidationError::KeysUnavailable(_) => ServerFault::KeysUnavailable.http_status(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidationError::Token(e) => e.fmt(f),
            ValidationError::KeysUnavailable(e) => write!(f, "keys unavailable: {e}"),
        }
    }
}

impl core::error::Error for ValidationError {}

impl From<tokenlane::Error> for ValidationError {
    fn from(e: tokenlane::Error) -> Self {
        ValidationError::Token(e)
    }
}
