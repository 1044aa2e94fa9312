//! The URL rules every request follows: absolute `https` URLs, plain `http`
//! only to a loopback address or under the loudly named opt-in, no
//! credentials in the authority, no fragment.

use core::net::IpAddr;

use ureq::http::Uri;

use crate::error::RemoteError;

/// An absolute `http`/`https` URL that passed [`parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    pub(crate) text: String,
    pub(crate) https: bool,
    /// `scheme://authority`, as written.
    pub(crate) origin: String,
    /// The path, `/` when empty.
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    loopback: bool,
}

impl Url {
    #[cfg(test)]
    /// Whether the host is a loopback IP literal (127.0.0.0/8 or `::1`).
    /// The name `localhost` is not: name resolution can send it elsewhere.
    pub(crate) fn is_loopback(&self) -> bool {
        self.loopback
    }
}

/// Parses `text` as an absolute `http`/`https` URL and applies the scheme
/// rule: `https` always; `http` only for a loopback IP literal or when
/// `allow_plain_http` is set. Errors: `InvalidUrl`, `InsecureUrl`.
pub(crate) fn parse(text: &str, allow_plain_http: bool) -> Result<Url, RemoteError> {
    let invalid = || RemoteError::InvalidUrl;
    if text.contains('#')
        || text
            .chars()
            .any(|c| c.is_ascii_whitespace() || c.is_control())
    {
        return Err(invalid());
    }
    let uri: Uri = text.parse().map_err(|_| invalid())?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(invalid()),
    };
    let authority = uri.authority().ok_or_else(invalid)?;
    if authority.as_str().contains('@') {
        return Err(invalid());
    }
    let host = authority.host();
    if host.is_empty() {
        return Err(invalid());
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !https && !loopback && !allow_plain_http {
        return Err(RemoteError::InsecureUrl);
    }
    let path = match uri.path() {
        "" => "/".to_owned(),
        p => p.to_owned(),
    };
    Ok(Url {
        text: text.to_owned(),
        https,
        origin: format!(
            "{}://{}",
            if https { "https" } else { "http" },
            authority.as_str()
        ),
        path,
        query: uri.query().map(str::to_owned),
        loopback,
    })
}

/// Resolves a redirect's `Location` against `base`: an absolute URL, or an
/// absolute path (`/x`). Other relative forms are refused (`InvalidRedirect`):
/// authorization servers do not send them, and refusing is simpler than
/// getting RFC 3986 §5 merging subtly wrong.
pub(crate) fn resolve_location(base: &Url, location: &str) -> Result<String, RemoteError> {
    if location.starts_with("https://") || location.starts_with("http://") {
        Ok(location.to_owned())
    } else if location.starts_with('/') && !location.starts_with("//") {
        Ok(format!("{}{}", base.origin, location))
    } else {
        Err(RemoteError::InvalidRedirect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_and_loopback() {
        assert!(parse("https://issuer.example/", false).is_ok());
        assert_eq!(
            parse("http://issuer.example/", false),
            Err(RemoteError::InsecureUrl)
        );
        assert!(parse("http://issuer.example/", true).is_ok());
        assert!(parse("http://127.0.0.1:8080/jwks", false)
            .unwrap()
            .is_loopback());
        assert!(parse("http://127.9.9.9/", false).is_ok());
        assert!(parse("http://[::1]:80/", false).unwrap().is_loopback());
        assert_eq!(
            parse("http://localhost/", false),
            Err(RemoteError::InsecureUrl)
        );
        assert_eq!(parse("ftp://x/", false), Err(RemoteError::InvalidUrl));
        assert_eq!(parse("/jwks", false), Err(RemoteError::InvalidUrl));
        assert_eq!(parse("https://u:p@h/", false), Err(RemoteError::InvalidUrl));
        assert_eq!(parse("https://h/#f", false), Err(RemoteError::InvalidUrl));
        assert_eq!(parse("https://h/ x", false), Err(RemoteError::InvalidUrl));
    }

    #[test]
    fn redirects_resolve() {
        let base = parse("https://h:8443/a/b?q", false).unwrap();
        assert_eq!(resolve_location(&base, "/c").unwrap(), "https://h:8443/c");
        assert_eq!(
            resolve_location(&base, "https://o/x").unwrap(),
            "https://o/x"
        );
        assert_eq!(
            resolve_location(&base, "c"),
            Err(RemoteError::InvalidRedirect)
        );
        assert_eq!(
            resolve_location(&base, "//o/x"),
            Err(RemoteError::InvalidRedirect)
        );
    }
}
