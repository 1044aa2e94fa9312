//! One document fetch under the rules: URL checks on every hop, at most
//! [`HttpOptions::max_redirects`] redirects and never `https` → `http`,
//! 200 (or 304 to a conditional request) only, the size cap, and the
//! caching headers read.

use tokenlane::limits::MAX_KEY_DOCUMENT_BYTES;

use crate::error::RemoteError;
use crate::transport::{HttpOptions, HttpRequest, Transport, MAX_REDIRECTS_LIMIT};
use crate::url;

/// The caching facts of a response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheHeaders {
    /// `Cache-Control: max-age` in seconds; `Some(0)` for `no-cache` or
    /// `no-store` (the policy clamps it to its minimum TTL).
    pub max_age: Option<u64>,
    /// `ETag`, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// `Last-Modified`, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

impl CacheHeaders {
    fn read(
        cache_control: Option<&str>,
        etag: Option<String>,
        last_modified: Option<String>,
    ) -> Self {
        let mut max_age = None;
        for directive in cache_control.unwrap_or("").split(',') {
            let d = directive.trim();
            let (name, value) = match d.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
                None => (d, None),
            };
            let secs = if name.eq_ignore_ascii_case("max-age") {
                // Digits only; a huge value saturates (then the policy clamps it).
                value
                    .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                    .map(|v| v.parse::<u64>().unwrap_or(u64::MAX))
            } else if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store")
            {
                Some(0)
            } else {
                None
            };
            if let Some(s) = secs {
                max_age = Some(max_age.map_or(s, |m: u64| m.min(s)));
            }
        }
        Self {
            max_age,
            etag,
            last_modified,
        }
    }
}

/// The result of a successful fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fetched {
    /// 200 with its body.
    Document { body: Vec<u8>, cache: CacheHeaders },
    /// 304 to a conditional request.
    NotModified { cache: CacheHeaders },
}

/// Fetches `start` with optional validators. Errors: every URL, redirect,
/// status, size and transport outcome of [`RemoteError`].
pub(crate) fn fetch(
    transport: &dyn Transport,
    options: &HttpOptions,
    start: &str,
    if_none_match: Option<&str>,
    if_modified_since: Option<&str>,
) -> Result<Fetched, RemoteError> {
    let allow_http = options.dangerously_allow_plain_http;
    let mut current = url::parse(start, allow_http)?;
    let conditional = if_none_match.is_some() || if_modified_since.is_some();
    let mut redirects = 0u32;
    loop {
        let response = transport
            .get(&HttpRequest {
                url: &current.text,
                if_none_match,
                if_modified_since,
                max_body: MAX_KEY_DOCUMENT_BYTES,
            })
            .map_err(RemoteError::Transport)?;
        match response.status {
            200 => {
                if response.body.len() > MAX_KEY_DOCUMENT_BYTES {
                    return Err(RemoteError::Transport(crate::TransportError::BodyTooLarge));
                }
                let cache = CacheHeaders::read(
                    response.cache_control.as_deref(),
                    response.etag,
                    response.last_modified,
                );
                return Ok(Fetched::Document {
                    body: response.body,
                    cache,
                });
            }
            304 if conditional => {
                let cache = CacheHeaders::read(
                    response.cache_control.as_deref(),
                    response.etag,
                    response.last_modified,
                );
                return Ok(Fetched::NotModified { cache });
            }
            301 | 302 | 303 | 307 | 308 => {
                redirects += 1;
                if redirects > options.max_redirects.min(MAX_REDIRECTS_LIMIT) {
                    return Err(RemoteError::TooManyRedirects);
                }
                let location = response
                    .location
                    .as_deref()
                    .ok_or(RemoteError::InvalidRedirect)?;
                let next = url::resolve_location(&current, location)?;
                if current.https && next.starts_with("http://") {
                    return Err(RemoteError::RedirectToHttp);
                }
                current = url::parse(&next, allow_http)?;
            }
            status => return Err(RemoteError::HttpStatus(status)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control() {
        let r = |s| CacheHeaders::read(Some(s), None, None).max_age;
        assert_eq!(r("public, max-age=300"), Some(300));
        assert_eq!(r("MAX-AGE=\"60\""), Some(60));
        assert_eq!(r("max-age=300, no-cache"), Some(0));
        assert_eq!(r("no-store"), Some(0));
        assert_eq!(r("max-age=-1"), None);
        assert_eq!(r("max-age=abc"), None);
        assert_eq!(r("max-age=99999999999999999999999"), Some(u64::MAX));
        assert_eq!(r("private"), None);
        assert_eq!(CacheHeaders::read(None, None, None).max_age, None);
    }
}
