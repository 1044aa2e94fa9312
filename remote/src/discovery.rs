//! Issuer discovery: OpenID Connect Discovery 1.0 and RFC 8414 metadata.
//!
//! The metadata JSON is read with `serde_json` into a derived struct: the
//! core's strict reader is not public (it is the token path's, and this
//! crate edits nothing in the core), and a derived struct refuses a
//! document that repeats `issuer`, `jwks_uri` or `introspection_endpoint`
//! (serde's duplicate-field check), the members that matter here. Members
//! nobody reads are skipped; `serde_json`'s recursion limit (128) bounds
//! their nesting, and the fetch cap bounds the size.

use serde::Deserialize;

use crate::error::RemoteError;
use crate::fetch::{fetch, Fetched};
use crate::transport::{HttpOptions, Transport};
use crate::url;

/// Which well-known document the metadata came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WellKnown {
    /// `{issuer}/.well-known/openid-configuration` (OpenID Connect Discovery §4).
    OpenIdConfiguration,
    /// `{origin}/.well-known/oauth-authorization-server{path}` (RFC 8414 §3.1).
    OAuthAuthorizationServer,
}

/// The metadata members this crate uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// The issuer, equal to the configured one.
    pub issuer: String,
    /// Where the key set is.
    pub jwks_uri: String,
    /// RFC 7662 introspection, kept for the introspection client.
    pub introspection_endpoint: Option<String>,
    /// Where it was found.
    pub source: WellKnown,
}

#[derive(Deserialize)]
struct RawMetadata {
    issuer: String,
    jwks_uri: Option<String>,
    introspection_endpoint: Option<String>,
}

/// The two metadata URLs for `issuer`, OpenID Connect's first.
///
/// Errors: `InvalidUrl` when the issuer has a query or fragment (RFC 8414
/// §2) or is not an absolute URL; `InsecureUrl` for plain `http` off
/// loopback without the opt-in.
pub fn metadata_urls(
    issuer: &str,
    allow_plain_http: bool,
) -> Result<[(WellKnown, String); 2], RemoteError> {
    let u = url::parse(issuer, allow_plain_http)?;
    if u.query.is_some() {
        return Err(RemoteError::InvalidUrl);
    }
    let path = u.path.trim_end_matches('/');
    Ok([
        (
            WellKnown::OpenIdConfiguration,
            format!("{}{}/.well-known/openid-configuration", u.origin, path),
        ),
        (
            WellKnown::OAuthAuthorizationServer,
            format!(
                "{}/.well-known/oauth-authorization-server{}",
                u.origin, path
            ),
        ),
    ])
}

/// Reads a metadata document and checks it names `expected_issuer` exactly
/// (byte for byte: no trailing-slash or case folding).
///
/// Errors: `InvalidMetadata`, `IssuerMismatch`, `NoJwksUri`.
pub fn parse_metadata(
    expected_issuer: &str,
    body: &[u8],
    source: WellKnown,
) -> Result<Metadata, RemoteError> {
    let raw: RawMetadata =
        serde_json::from_slice(body).map_err(|_| RemoteError::InvalidMetadata)?;
    if raw.issuer != expected_issuer {
        return Err(RemoteError::IssuerMismatch {
            expected: expected_issuer.to_owned(),
            found: raw.issuer,
        });
    }
    Ok(Metadata {
        issuer: raw.issuer,
        jwks_uri: raw.jwks_uri.ok_or(RemoteError::NoJwksUri)?,
        introspection_endpoint: raw.introspection_endpoint,
        source,
    })
}

/// Discovers `issuer`'s metadata: OpenID Connect's document first; when it
/// answers with an HTTP error status, RFC 8414's. Errors: those of
/// [`metadata_urls`] and [`parse_metadata`], and the fetch's (the second
/// document's when both were tried).
pub fn discover(
    transport: &dyn Transport,
    options: &HttpOptions,
    issuer: &str,
) -> Result<Metadata, RemoteError> {
    let urls = metadata_urls(issuer, options.dangerously_allow_plain_http)?;
    let mut last = RemoteError::InvalidMetadata;
    for (source, u) in urls {
        match fetch(transport, options, &u, None, None) {
            Ok(Fetched::Document { body, .. }) => return parse_metadata(issuer, &body, source),
            Ok(Fetched::NotModified { .. }) => return Err(RemoteError::HttpStatus(304)),
            Err(e @ RemoteError::HttpStatus(_)) => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_insertion() {
        let [(_, oidc), (_, oauth)] = metadata_urls("https://as.example/tenant/1/", false).unwrap();
        assert_eq!(
            oidc,
            "https://as.example/tenant/1/.well-known/openid-configuration"
        );
        assert_eq!(
            oauth,
            "https://as.example/.well-known/oauth-authorization-server/tenant/1"
        );
        let [(_, oidc), (_, oauth)] = metadata_urls("https://as.example", false).unwrap();
        assert_eq!(oidc, "https://as.example/.well-known/openid-configuration");
        assert_eq!(
            oauth,
            "https://as.example/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            metadata_urls("https://as.example/?x=1", false),
            Err(RemoteError::InvalidUrl)
        );
    }

    #[test]
    fn issuer_must_match_exactly() {
        let doc = br#"{"issuer":"https://as.example/","jwks_uri":"https://as.example/jwks"}"#;
        let m = parse_metadata("https://as.example/", doc, WellKnown::OpenIdConfiguration).unwrap();
        assert_eq!(m.jwks_uri, "https://as.example/jwks");
        assert!(matches!(
            parse_metadata("https://as.example", doc, WellKnown::OpenIdConfiguration),
            Err(RemoteError::IssuerMismatch { .. })
        ));
        let dup =
            br#"{"issuer":"https://evil.example/","issuer":"https://as.example/","jwks_uri":"x"}"#;
        assert_eq!(
            parse_metadata("https://as.example/", dup, WellKnown::OpenIdConfiguration),
            Err(RemoteError::InvalidMetadata)
        );
        let no_jwks = br#"{"issuer":"https://as.example/"}"#;
        assert_eq!(
            parse_metadata(
                "https://as.example/",
                no_jwks,
                WellKnown::OpenIdConfiguration
            ),
            Err(RemoteError::NoJwksUri)
        );
        for bad in [&b"<html>500</html>"[..], b"[]", b"{\"issuer\":1}", b""] {
            assert_eq!(
                parse_metadata("https://as.example/", bad, WellKnown::OpenIdConfiguration),
                Err(RemoteError::InvalidMetadata)
            );
        }
    }
}
