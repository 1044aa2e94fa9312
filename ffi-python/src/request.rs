//! The request around the token: the `Authorization` header, parsed by the
//! core's `tokenlane::request::bearer_token` (one rule for every front end).

use pyo3::prelude::*;

use crate::errors::NativeError;
use crate::input;

/// The Bearer token of an `Authorization` header value (RFC 6750 §2.1),
/// found by the core: `str`, `bytes` or `bytearray` (a `str` is read as
/// UTF-8), or `None` when the request has no such header.
///
/// Raises `MissingToken` (no Bearer credential: `None`, empty, another
/// scheme) or `InvalidRequest` (not one well-formed Bearer credential), and
/// `TypeError` for any other type.
#[pyfunction]
#[pyo3(signature = (authorization))]
pub(crate) fn bearer_token(authorization: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    let value = match authorization {
        Some(v) if !v.is_none() => Some(input::text_or_bytes(v, "authorization")?),
        _ => None,
    };
    let token = tokenlane::request::bearer_token(value.as_deref()).map_err(NativeError::from)?;
    Ok(token.to_owned())
}
