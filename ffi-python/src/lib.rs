//! Python bindings for tokenlane: the extension module `tokenlane._native`.
//!
//! Users import `tokenlane` (the Python package in `python/tokenlane/`),
//! which re-exports what this module defines. Every decision is the core's:
//! this crate converts Python values in and out, reads the clock when the
//! caller passes `now=None`, releases the GIL while the core verifies, and
//! turns the core's errors into the Python exception classes of
//! `tokenlane.exceptions` (in one place, [`errors`]).
//!
//! Design choices:
//!
//! - **Objects are immutable and shared.** Every class is `frozen`; a
//!   validator holds its configuration as owned values and its key set in an
//!   `Arc`, so one validator can serve any number of threads, and verifying
//!   needs no lock.
//! - **The policy is checked once, when the validator is built** (bad
//!   issuer, algorithm name, leeway, typ → `ValueError`), into the core's
//!   owned policy (`tokenlane::PolicyBuilder` → `OwnedAccessPolicy` /
//!   `OwnedIdPolicy`), which each call only borrows.
//! - **The GIL is released for the token path** (decode, verify, claims),
//!   so threads validate in parallel; Python objects are built after.
//! - **The network is `tokenlane-remote`'s** (`remote.rs`): `KeySource`
//!   and `Introspector` wrap it, the GIL is released for every call that
//!   can wait on it, and its faults raise `RemoteError` classes (server
//!   errors), never a `TokenError`.
//! - **Every token input ends in a result or a `TokenError`**: `str` or
//!   `bytes`, empty, huge, non-UTF-8. A `str` that cannot be encoded as UTF-8
//!   (lone surrogates) is passed to the core with the offending code points
//!   replaced by U+FFFD, which is not base64url, so the core refuses it with
//!   its usual code.

mod errors;
mod input;
mod keys;
mod lanes;
mod remote;
mod request;

use pyo3::prelude::*;

/// The verification backend this build's validators use: the name of the
/// core's `Backend::DEFAULT` (`"aws-lc"`, `"ring"` or `"rustcrypto"`), set
/// when the wheel is built (its cargo features); never fails.
#[pyfunction]
fn backend() -> &'static str {
    tokenlane::Backend::DEFAULT.name()
}

/// The extension module. Its table of contents is the whole native API.
#[pymodule]
mod _native {
    #[pymodule_export]
    use super::backend;
    #[pymodule_export]
    use super::errors::{error_codes, error_description, remote_error_codes, www_authenticate};
    #[pymodule_export]
    use super::keys::KeySet;
    #[pymodule_export]
    use super::lanes::{AccessToken, AccessTokenValidator, IdToken, IdTokenValidator};
    #[pymodule_export]
    use super::remote::{Introspector, KeySource};
    #[pymodule_export]
    use super::request::{bearer_token, AuthorizedRequest, DpopPolicy, NonceIssuer, ReplayStore};
}
