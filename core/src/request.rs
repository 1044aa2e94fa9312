//! The request around the token: what an HTTP request carries besides the
//! JWT itself.
//!
//! Today that is the `Authorization` header (RFC 6750 §2.1, RFC 9110 §11):
//! [`bearer_token`] finds the one Bearer credential in it. Every front end
//! (C `tokenlane_bearer_token`, Python `tokenlane.bearer_token`, the CLI)
//! calls this function, so there is one rule for what a valid header is.
//! The request lane (DPoP proofs, certificate-bound tokens) grows here.
//!
//! ## The rules, in order
//!
//! 1. No header → [`Error::MissingToken`] ([`Absent::NoHeader`]).
//! 2. Leading and trailing spaces and tabs are not part of the value
//!    (RFC 9110 §5.5); what is left is empty → `MissingToken`
//!    ([`Absent::Empty`]).
//! 3. The scheme is everything up to the first space. It must be an
//!    RFC 9110 `token` (`tchar`s), else [`Error::InvalidRequest`]
//!    ([`HeaderFault::BadScheme`]: a tab instead of the space, a control
//!    character, a quote, non-ASCII).
//! 4. The scheme is compared with `Bearer` case-insensitively (RFC 9110
//!    §11.1). Another scheme (`Basic`, `Digest`, `Bearerabc`) carries no
//!    Bearer credential → `MissingToken` ([`Absent::OtherScheme`]).
//! 5. One or more spaces, then exactly one credential in `token68` syntax
//!    (RFC 9110 §11.2; RFC 6750's `b64token` is the same set):
//!    `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
//!    Nothing after the scheme → `InvalidRequest`
//!    ([`HeaderFault::NoCredential`]); a space or comma after the credential
//!    (`Bearer a b`, or two headers joined as `Bearer a, Bearer b`) →
//!    [`HeaderFault::SeveralCredentials`]; any other character
//!    (`"`, `%`, `=` inside, CR/LF, non-ASCII) → [`HeaderFault::NotToken68`].
//!
//! The token is only found, not validated: pass it to a policy. Both
//! refusals have a challenge: `MissingToken` answers 401 with
//! `Bearer realm="…"` and no error (RFC 6750 §3.1: a client that sent no
//! credentials learns nothing more), `InvalidRequest` answers 400 with
//! `error="invalid_request"` ([`Error::write_www_authenticate`]).
//!
//! No heap, no `unsafe`, linear in the header's length.

use crate::error::{Absent, Error, HeaderFault};

/// The Bearer token of an `Authorization` header value (RFC 6750 §2.1).
///
/// `authorization` is the header's value as the server received it, or
/// `None` when the request has no `Authorization` header. The result
/// borrows from it.
///
/// Errors: [`Error::MissingToken`] (no header, an empty one, or another
/// scheme) and [`Error::InvalidRequest`] (not a single well-formed Bearer
/// credential), by the rules in the [module docs](self).
///
/// ```
/// use tokenlane::request::bearer_token;
/// assert_eq!(bearer_token(Some(b"bearer mF_9.B5f-4.1JqM")), Ok("mF_9.B5f-4.1JqM"));
/// assert_eq!(bearer_token(Some(b"Basic dXNlcjpwYXNz")).unwrap_err().http_status(), 401);
/// assert_eq!(bearer_token(Some(b"Bearer a b")).unwrap_err().code(), "invalid_request");
/// ```
pub fn bearer_token(authorization: Option<&[u8]>) -> Result<&str, Error> {
    let value = trim_ows(authorization.ok_or(Error::MissingToken(Absent::NoHeader))?);
    if value.is_empty() {
        return Err(Error::MissingToken(Absent::Empty));
    }
    let (scheme, rest) = match value.iter().position(|&b| b == b' ') {
        Some(i) => value.split_at(i),
        None => (value, &[][..]),
    };
    if !scheme.iter().all(|&b| is_tchar(b)) {
        return Err(Error::InvalidRequest(HeaderFault::BadScheme));
    }
    if !scheme.eq_ignore_ascii_case(b"Bearer") {
        return Err(Error::MissingToken(Absent::OtherScheme));
    }
    let credential = token68(skip_spaces(rest))?;
    // token68 is ASCII, so this never fails; the fallback is a refusal,
    // never a panic.
    core::str::from_utf8(credential).map_err(|_| Error::InvalidRequest(HeaderFault::NotToken68))
}

/// `credential` when it is exactly one `token68`, else the fault.
fn token68(credential: &[u8]) -> Result<&[u8], Error> {
    if credential.is_empty() {
        return Err(Error::InvalidRequest(HeaderFault::NoCredential));
    }
    let body = credential.iter().take_while(|&&b| is_b64token(b)).count();
    let pad = credential
        .iter()
        .skip(body)
        .take_while(|&&b| b == b'=')
        .count();
    let (token, after) = credential.split_at(body.saturating_add(pad));
    match after.first() {
        None if body > 0 => Ok(token),
        Some(b' ' | b',') if body > 0 => {
            Err(Error::InvalidRequest(HeaderFault::SeveralCredentials))
        }
        _ => Err(Error::InvalidRequest(HeaderFault::NotToken68)),
    }
}

/// Removes leading and trailing optional whitespace (SP and HTAB).
fn trim_ows(v: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = v.iter().position(|b| !is_ows(b)).unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i.saturating_add(1));
    v.get(start..end).unwrap_or_default()
}

/// Removes leading spaces (the `1*SP` after the scheme).
fn skip_spaces(v: &[u8]) -> &[u8] {
    let n = v.iter().take_while(|&&b| b == b' ').count();
    v.get(n..).unwrap_or_default()
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The characters of RFC 9110 `token68` before its `=` padding.
fn is_b64token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn ok(h: &str) -> &str {
        bearer_token(Some(h.as_bytes())).unwrap()
    }
    fn err(h: &[u8]) -> Error {
        bearer_token(Some(h)).unwrap_err()
    }

    #[test]
    fn scheme_is_case_insensitive_and_spaces_are_one_or_more() {
        for h in [
            "Bearer abc",
            "bearer abc",
            "BEARER abc",
            "bEaReR  abc",
            " \tBearer abc\t ",
        ] {
            assert_eq!(ok(h), "abc", "{h:?}");
        }
        assert_eq!(ok("Bearer abc+/~=="), "abc+/~==");
    }

    #[test]
    fn no_credentials_is_missing_token_with_its_reason() {
        assert_eq!(
            bearer_token(None),
            Err(Error::MissingToken(Absent::NoHeader))
        );
        assert_eq!(err(b" \t "), Error::MissingToken(Absent::Empty));
        assert_eq!(
            err(b"Basic dXNlcjpwYXNz"),
            Error::MissingToken(Absent::OtherScheme)
        );
        assert_eq!(err(b"Bearerabc"), Error::MissingToken(Absent::OtherScheme));
        assert_eq!(err(b"Basic"), Error::MissingToken(Absent::OtherScheme));
    }

    #[test]
    fn malformed_headers_are_invalid_request_with_the_fault() {
        use HeaderFault::*;
        for (h, fault) in [
            (&b"Bearer"[..], NoCredential),
            (b"Bearer\tabc", BadScheme),
            (b"\"Bearer\" abc", BadScheme),
            (b"Bearer a b", SeveralCredentials),
            (b"Bearer a, Bearer b", SeveralCredentials),
            (b"Bearer a,b", SeveralCredentials),
            (b"Bearer a=b", NotToken68),
            (b"Bearer =abc", NotToken68),
            (b"Bearer ab%cd", NotToken68),
            (b"Bearer \"abc\"", NotToken68),
            (b"Bearer \xff", NotToken68),
            (b"Bearer abc\r\nX-Evil: 1", NotToken68),
        ] {
            assert_eq!(err(h), Error::InvalidRequest(fault), "{h:?}");
        }
    }

    #[test]
    #[cfg(feature = "alloc")]
    fn the_codes_and_challenges_follow_rfc_6750() {
        let missing = err(b"Basic x");
        assert_eq!(missing.kind(), ErrorCode::MissingToken);
        assert_eq!(missing.http_status(), 401);
        let mut s = alloc::string::String::new();
        missing
            .write_www_authenticate(&mut s, Some("api"), None)
            .unwrap();
        assert_eq!(s, "Bearer realm=\"api\"");
        s.clear();
        missing.write_www_authenticate(&mut s, None, None).unwrap();
        assert_eq!(s, "Bearer");

        let bad = err(b"Bearer a b");
        assert_eq!(bad.kind(), ErrorCode::InvalidRequest);
        assert_eq!(bad.http_status(), 400);
        s.clear();
        bad.write_www_authenticate(&mut s, Some("api"), None)
            .unwrap();
        assert_eq!(
            s,
            "Bearer realm=\"api\", error=\"invalid_request\", \
             error_description=\"the Authorization header is not a valid Bearer credential\""
        );
    }
}
