//! `KeySet`: verification keys, loaded once and shared by validators.

use std::sync::Arc;

use pyo3::prelude::*;
use tokenlane::{Algorithm, KeyError};

use crate::errors::NativeError;
use crate::input;

/// An immutable set of verification keys: a JWKS, an SPKI public key (PEM
/// or DER) or an HMAC secret. Validators share it; it is safe to use from
/// any number of threads.
#[pyclass(frozen, module = "tokenlane._native")]
pub(crate) struct KeySet {
    pub(crate) inner: Arc<tokenlane::KeySet>,
}

impl KeySet {
    fn new(inner: tokenlane::KeySet) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }
}

#[pymethods]
impl KeySet {
    /// Loads a JWKS document (`{"keys": [...]}`), as `str` or `bytes` (a
    /// bare JWK is refused: use `from_jwk`). Keys a verifier cannot use (encryption keys, other key
    /// types or curves) are skipped and listed in `skipped`; a broken key
    /// or a document without any usable key raises `InvalidKey`.
    #[staticmethod]
    fn from_jwks(jwks: &Bound<'_, PyAny>) -> PyResult<Self> {
        let doc = input::key_text(jwks, "jwks")?.ok_or(NativeError::Key(KeyError::Encoding))?;
        Ok(Self::new(
            tokenlane::KeySet::from_jwks(&doc).map_err(NativeError::from)?,
        ))
    }

    /// Loads one JWK object (RFC 7517 §4), as `str` or `bytes`, with the
    /// rules of `from_jwks`; a key that is not for verifying raises
    /// `InvalidKey`.
    #[staticmethod]
    fn from_jwk(jwk: &Bound<'_, PyAny>) -> PyResult<Self> {
        let doc = input::key_text(jwk, "jwk")?.ok_or(NativeError::Key(KeyError::Encoding))?;
        Ok(Self::new(
            tokenlane::KeySet::from_jwk(&doc).map_err(NativeError::from)?,
        ))
    }

    /// One SPKI public key in PEM (`-----BEGIN PUBLIC KEY-----`), as `str`
    /// or `bytes`, optionally named by `kid` and pinned to `alg`.
    #[staticmethod]
    #[pyo3(signature = (pem, kid=None, alg=None))]
    fn from_pem(
        pem: &Bound<'_, PyAny>,
        kid: Option<String>,
        alg: Option<String>,
    ) -> PyResult<Self> {
        let alg = pinned(alg)?;
        let pem = input::key_text(pem, "pem")?.ok_or(NativeError::Key(KeyError::Encoding))?;
        let pem = core::str::from_utf8(&pem).map_err(|_| NativeError::Key(KeyError::Encoding))?;
        let set = tokenlane::KeySet::from_spki_pem(pem, kid.as_deref(), alg)
            .map_err(NativeError::from)?;
        Ok(Self::new(set))
    }

    /// One SPKI public key in DER, optionally named by `kid` and pinned to
    /// `alg`.
    #[staticmethod]
    #[pyo3(signature = (der, kid=None, alg=None))]
    fn from_der(der: &[u8], kid: Option<String>, alg: Option<String>) -> PyResult<Self> {
        let alg = pinned(alg)?;
        let set = tokenlane::KeySet::from_spki_der(der, kid.as_deref(), alg)
            .map_err(NativeError::from)?;
        Ok(Self::new(set))
    }

    /// One HMAC secret (`bytes`, at least 32 of them), optionally named by
    /// `kid` and pinned to `alg` (HS256, HS384 or HS512).
    #[staticmethod]
    #[pyo3(signature = (secret, kid=None, alg=None))]
    fn from_secret(secret: &[u8], kid: Option<String>, alg: Option<String>) -> PyResult<Self> {
        let alg = pinned(alg)?;
        let set = tokenlane::KeySet::from_secret(secret, kid.as_deref(), alg)
            .map_err(NativeError::from)?;
        Ok(Self::new(set))
    }

    /// The JWKS entries that were not loaded: `(index in "keys", reason)`.
    #[getter]
    fn skipped(&self) -> Vec<(usize, &'static str)> {
        self.inner
            .skipped()
            .iter()
            .map(|s| (s.index, s.reason.describe()))
            .collect()
    }

    /// The `kid` of each loaded key, in order (`None` for a key without one).
    #[getter]
    fn kids(&self) -> Vec<Option<String>> {
        self.inner
            .in_load_order()
            .map(|k| k.kid().map(str::to_owned))
            .collect()
    }

    /// A new set holding this set's keys followed by `other`'s (e.g. a JWKS
    /// plus a pinned PEM key). Raises `InvalidKey` past 256 keys.
    fn __add__(&self, other: &Bound<'_, KeySet>) -> PyResult<Self> {
        let mut set = tokenlane::KeySet::clone(&self.inner);
        set.extend(tokenlane::KeySet::clone(&other.get().inner))
            .map_err(NativeError::from)?;
        Ok(Self::new(set))
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "<KeySet: {} key(s), {} skipped>",
            self.inner.len(),
            self.inner.skipped().len()
        )
    }
}

/// The `alg` a key is pinned to, by name; an unknown name is a `ValueError`.
fn pinned(alg: Option<String>) -> Result<Option<Algorithm>, NativeError> {
    alg.map(|a| input::algorithm(&a)).transpose()
}
