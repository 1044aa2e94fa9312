//! The one place errors cross into Python.
//!
//! The exception classes are plain Python classes in
//! `tokenlane/exceptions.py` (docstrings, attributes and typing live there);
//! Rust looks the class up by the core's code string in that module's
//! `_BY_CODE` map and raises it from `impl From<NativeError> for PyErr`
//! below, and nowhere else. The code table itself (code, number, RFC 6750
//! error, HTTP status, description) is the core's `ErrorCode`: the Python
//! classes repeat the code, RFC 6750 error and status as class attributes,
//! and `tests/test_errors.py` compares them with [`error_codes`] so they
//! cannot drift.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyType;
use tokenlane::{Error, ErrorCode, KeyError, PolicyError, ServerFault};

/// The base class, for a code `tokenlane.exceptions` does not (yet) map.
mod exc {
    pyo3::import_exception!(tokenlane.exceptions, TokenError);
    pyo3::import_exception!(tokenlane.exceptions, RemoteError);
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
    /// The authorization server could not be used (keys unavailable, an
    /// introspection endpoint fault): the token was not judged. `code` is
    /// a [`ServerFault`]'s name.
    Remote {
        /// The fault's code.
        code: &'static str,
        /// One sentence (the remote crate's `Display`), no key material,
        /// no token.
        message: String,
    },
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
            NativeError::Key(k) => token_error(&Error::InvalidKey(k)),
            NativeError::Policy(p) => PyValueError::new_err(p.to_string()),
            NativeError::Config(msg) => PyValueError::new_err(msg),
            NativeError::Remote { code, message } => {
                by_code(code, message).unwrap_or_else(exc::RemoteError::new_err)
            }
        }
    }
}

/// The exception for a core error: the class `tokenlane.exceptions` maps
/// the code string to (`_BY_CODE`, derived there from the classes' own
/// `code` attributes), with the core's one sentence as the message. No
/// per-code list lives here: a code the module does not map yet still ends
/// in a `TokenError`, and the drift test in `tests/test_errors.py` names it.
fn token_error(error: &Error) -> PyErr {
    by_code(error.code(), error.to_string()).unwrap_or_else(exc::TokenError::new_err)
}

/// The exception of the class `tokenlane.exceptions._BY_CODE` maps `code`
/// to, with `msg`; `Err(msg)` when no class is mapped (the caller picks the
/// base class).
fn by_code(code: &str, msg: String) -> Result<PyErr, String> {
    Python::attach(|py| {
        let class = py
            .import("tokenlane.exceptions")
            .and_then(|m| m.getattr("_BY_CODE"))
            .and_then(|map| map.get_item(code))
            .ok()
            .and_then(|c| c.cast_into::<PyType>().ok());
        match class {
            Some(class) => Ok(PyErr::from_type(class, msg)),
            None => Err(msg),
        }
    })
}

/// The server-side faults of the network front end (`remote.rs`):
/// `(code, HTTP status, meaning)`, from the core's [`ServerFault`] table.
/// They are not refusal codes (the core judges tokens; these say the token
/// was not judged): `tokenlane.exceptions` has one `RemoteError` subclass
/// per row, raised through `_BY_CODE` like the core's, and
/// `tests/test_remote_errors.py` checks the classes and the README against
/// this table.
#[pyfunction]
pub(crate) fn remote_error_codes() -> Vec<(&'static str, u16, &'static str)> {
    ServerFault::ALL
        .iter()
        .map(|f| (f.as_str(), f.http_status(), f.description()))
        .collect()
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

/// The core's fixed one-phrase description of `code`
/// (`ErrorCode::description`, the `error_description` of its challenge):
/// safe to send to a client, never the token. Raises `ValueError` for a
/// code the core does not define.
#[pyfunction]
pub(crate) fn error_description(code: &str) -> PyResult<&'static str> {
    ErrorCode::from_str_code(code)
        .map(ErrorCode::description)
        .ok_or_else(|| NativeError::Config(format!("unknown error code {code:?}")).into())
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
