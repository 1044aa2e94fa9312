//! The one place errors cross into Python.
//!
//! The exception classes are plain Python classes in
//! `tokenlane/exceptions.py` (docstrings, attributes and typing live there);
//! Rust imports them with `pyo3::import_exception!` and raises them from
//! `impl From<NativeError> for PyErr` below, and nowhere else. The code
//! table itself (code, RFC 6750 error, HTTP status, description) is the
//! core's `ErrorCode`: the Python classes repeat the first three as class
//! attributes, and `tests/test_errors.py` compares them with
//! [`error_codes`] so they cannot drift.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use tokenlane::{Error, ErrorCode, KeyError, PolicyError};

/// The exception classes of `tokenlane.exceptions`, imported on first use.
mod exc {
    pyo3::import_exception!(tokenlane.exceptions, TokenError);
    pyo3::import_exception!(tokenlane.exceptions, InvalidKey);
    pyo3::import_exception!(tokenlane.exceptions, Malformed);
    pyo3::import_exception!(tokenlane.exceptions, TokenTooLarge);
    pyo3::import_exception!(tokenlane.exceptions, UnsupportedAlgorithm);
    pyo3::import_exception!(tokenlane.exceptions, AlgorithmNotAllowed);
    pyo3::import_exception!(tokenlane.exceptions, UnsupportedCriticalHeader);
    pyo3::import_exception!(tokenlane.exceptions, KeyNotFound);
    pyo3::import_exception!(tokenlane.exceptions, InvalidSignature);
    pyo3::import_exception!(tokenlane.exceptions, Expired);
    pyo3::import_exception!(tokenlane.exceptions, NotYetValid);
    pyo3::import_exception!(tokenlane.exceptions, IssuerMismatch);
    pyo3::import_exception!(tokenlane.exceptions, AudienceMismatch);
    pyo3::import_exception!(tokenlane.exceptions, WrongTokenType);
    pyo3::import_exception!(tokenlane.exceptions, MissingClaim);
    pyo3::import_exception!(tokenlane.exceptions, InvalidClaim);
    pyo3::import_exception!(tokenlane.exceptions, InsufficientScope);
    pyo3::import_exception!(tokenlane.exceptions, NonceMismatch);
    pyo3::import_exception!(tokenlane.exceptions, AtHashMismatch);
    pyo3::import_exception!(tokenlane.exceptions, AuthTooOld);
    pyo3::import_exception!(tokenlane.exceptions, AzpMismatch);
}

/// Everything that can go wrong in this module, before it becomes a Python
/// exception.
#[derive(Debug)]
pub(crate) enum NativeError {
    /// A refusal from the core (or a key that failed to load while
    /// validating, which cannot happen with a loaded key set).
    Token {
        /// The core's error.
        error: Error,
        /// For `insufficient_scope`: the scopes the policy requires, space
        /// separated, which `InsufficientScope.www_authenticate()` reports.
        scope: Option<String>,
    },
    /// A key could not be loaded.
    Key(KeyError),
    /// A validator's configuration is refused by the core.
    Policy(PolicyError),
    /// A configuration value is refused here (unknown algorithm name, bad
    /// typ mode, a number out of range).
    Config(String),
}

impl From<Error> for NativeError {
    fn from(error: Error) -> Self {
        NativeError::Token { error, scope: None }
    }
}

impl From<KeyError> for NativeError {
    fn from(e: KeyError) -> Self {
        NativeError::Key(e)
    }
}

impl From<PolicyError> for NativeError {
    fn from(e: PolicyError) -> Self {
        NativeError::Policy(e)
    }
}

impl NativeError {
    /// The exception, with `cause` as its `__cause__`.
    pub(crate) fn with_cause(self, py: Python<'_>, cause: PyErr) -> PyErr {
        let err = PyErr::from(self);
        err.set_cause(py, Some(cause));
        err
    }
}

impl From<NativeError> for PyErr {
    fn from(e: NativeError) -> PyErr {
        match e {
            NativeError::Token { error, scope } => {
                let err = token_error(&error);
                if let (Some(scope), ErrorCode::InsufficientScope) = (scope, error.kind()) {
                    Python::attach(|py| {
                        // Best effort: the attribute only feeds the default
                        // of `www_authenticate(scope=...)`.
                        let _ = err.value(py).setattr("scope", scope);
                    });
                }
                err
            }
            NativeError::Key(k) => exc::InvalidKey::new_err(Error::InvalidKey(k).to_string()),
            NativeError::Policy(p) => PyValueError::new_err(p.to_string()),
            NativeError::Config(msg) => PyValueError::new_err(msg),
        }
    }
}

/// The exception for a core error: one class per code, the core's one
/// sentence as the message.
fn token_error(error: &Error) -> PyErr {
    let msg = error.to_string();
    match error.kind() {
        ErrorCode::Malformed => exc::Malformed::new_err(msg),
        ErrorCode::TokenTooLarge => exc::TokenTooLarge::new_err(msg),
        ErrorCode::UnsupportedAlgorithm => exc::UnsupportedAlgorithm::new_err(msg),
        ErrorCode::AlgorithmNotAllowed => exc::AlgorithmNotAllowed::new_err(msg),
        ErrorCode::UnsupportedCriticalHeader => exc::UnsupportedCriticalHeader::new_err(msg),
        ErrorCode::KeyNotFound => exc::KeyNotFound::new_err(msg),
        ErrorCode::InvalidSignature => exc::InvalidSignature::new_err(msg),
        ErrorCode::Expired => exc::Expired::new_err(msg),
        ErrorCode::NotYetValid => exc::NotYetValid::new_err(msg),
        ErrorCode::IssuerMismatch => exc::IssuerMismatch::new_err(msg),
        ErrorCode::AudienceMismatch => exc::AudienceMismatch::new_err(msg),
        ErrorCode::WrongTokenType => exc::WrongTokenType::new_err(msg),
        ErrorCode::MissingClaim => exc::MissingClaim::new_err(msg),
        ErrorCode::InvalidClaim => exc::InvalidClaim::new_err(msg),
        ErrorCode::InsufficientScope => exc::InsufficientScope::new_err(msg),
        ErrorCode::NonceMismatch => exc::NonceMismatch::new_err(msg),
        ErrorCode::AtHashMismatch => exc::AtHashMismatch::new_err(msg),
        ErrorCode::AuthTooOld => exc::AuthTooOld::new_err(msg),
        ErrorCode::AzpMismatch => exc::AzpMismatch::new_err(msg),
        ErrorCode::InvalidKey => exc::InvalidKey::new_err(msg),
        // A code added to the core before this module learns it still ends
        // in a TokenError; the drift test in tests/test_errors.py names it.
        _ => exc::TokenError::new_err(msg),
    }
}

/// The core's code table, in number order: `(code, rfc6750_error,
/// http_status)` for every `tokenlane::ErrorCode`.
#[pyfunction]
pub(crate) fn error_codes() -> Vec<(&'static str, &'static str, u16)> {
    ErrorCode::ALL
        .iter()
        .map(|c| (c.as_str(), c.rfc6750_error(), c.http_status()))
        .collect()
}

/// The value of a `WWW-Authenticate` header (RFC 6750 §3) for the error
/// code `code`, written by the core's `Error::write_www_authenticate`.
///
/// Raises `ValueError` for a code the core does not define.
#[pyfunction]
#[pyo3(signature = (code, realm=None, scope=None))]
pub(crate) fn www_authenticate(
    code: String,
    realm: Option<String>,
    scope: Option<String>,
) -> PyResult<String> {
    let error = ErrorCode::from_str_code(&code)
        .ok_or_else(|| NativeError::Config(format!("unknown error code {code:?}")))?;
    let mut out = String::new();
    error
        .write_www_authenticate(&mut out, realm.as_deref(), scope.as_deref())
        .map_err(|_| NativeError::Config("could not format the header".to_owned()))?;
    Ok(out)
}
