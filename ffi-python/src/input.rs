//! Python values in: tokens, string lists, algorithm names, numbers, time.

use std::borrow::Cow;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};
use tokenlane::{scratch_len, Algorithm, AlgorithmSet, UnixTime};

use crate::errors::NativeError;

/// The bytes of a token (or of any other text-or-bytes input): `bytes` as
/// they are, `bytearray` copied, `str` as UTF-8.
///
/// A `str` that cannot be encoded (lone surrogates) has those code points
/// replaced by U+FFFD: no token contains them, and the core refuses the
/// result with its usual code, so every `str` ends in a result or a
/// `TokenError`. Any other type is a `TypeError` (a programming error, not
/// an input).
pub(crate) fn text_or_bytes<'a>(obj: &'a Bound<'_, PyAny>, what: &str) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Cow::Borrowed(b.as_bytes()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let text = match s.to_cow() {
            Ok(t) => t.into_owned(),
            Err(_) => s.to_string_lossy().into_owned(),
        };
        return Ok(Cow::Owned(text.into_bytes()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Cow::Owned(b.to_vec()));
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be str or bytes, not {}",
        type_name(obj)
    )))
}

/// The bytes of a token, without a copy where one can be avoided: `bytes`
/// borrowed; `str` encoded once by Python (`PyUnicode_AsUTF8String`, the
/// only UTF-8 view the abi3-py39 API offers) and borrowed from that
/// `bytes` object; `bytearray` copied (it is mutable). Same refusals and
/// the same lossy rule for lone surrogates as [`text_or_bytes`].
pub(crate) fn token<'a, 'py>(obj: &'a Bound<'py, PyAny>, what: &str) -> PyResult<Token<'a, 'py>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Token::Borrowed(b.as_bytes()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(match s.encode_utf8() {
            Ok(b) => Token::Encoded(b),
            Err(_) => Token::Owned(s.to_string_lossy().into_owned().into_bytes()),
        });
    }
    text_or_bytes(obj, what).map(|c| Token::Owned(c.into_owned()))
}

/// A token's bytes (see [`token`]): borrowed from a `bytes` object, held in
/// the `bytes` Python encoded a `str` to, or owned.
pub(crate) enum Token<'a, 'py> {
    /// A `bytes` argument's buffer.
    Borrowed(&'a [u8]),
    /// A `str` argument, encoded to UTF-8 by Python.
    Encoded(Bound<'py, PyBytes>),
    /// A copy (`bytearray`, or a `str` with lone surrogates replaced).
    Owned(Vec<u8>),
}

impl core::ops::Deref for Token<'_, '_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Token::Borrowed(b) => b,
            Token::Encoded(b) => b.as_bytes(),
            Token::Owned(v) => v,
        }
    }
}

/// Text for key documents (JWKS, PEM): a `str` that cannot be encoded as
/// UTF-8 is not a key document, so it is reported as such (`None`) rather
/// than repaired.
pub(crate) fn key_text<'a>(
    obj: &'a Bound<'_, PyAny>,
    what: &str,
) -> PyResult<Option<Cow<'a, [u8]>>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s
            .to_cow()
            .ok()
            .map(|t| Cow::Owned(t.into_owned().into_bytes())));
    }
    text_or_bytes(obj, what).map(Some)
}

/// A list of strings. A single `str` is accepted only where `single_ok`
/// (the audience); elsewhere it is a `TypeError`, because iterating a
/// string would silently turn `"read"` into `["r", "e", "a", "d"]`.
pub(crate) fn strings(
    obj: &Bound<'_, PyAny>,
    what: &str,
    single_ok: bool,
) -> PyResult<Vec<String>> {
    if let Ok(s) = obj.cast::<PyString>() {
        if single_ok {
            return Ok(vec![s.to_cow()?.into_owned()]);
        }
        return Err(PyTypeError::new_err(format!(
            "{what} must be a list of str, not a single str"
        )));
    }
    let mut out = Vec::new();
    for item in obj.try_iter()? {
        let item = item?;
        match item.cast::<PyString>() {
            Ok(s) => out.push(s.to_cow()?.into_owned()),
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "{what} must hold only str, not {}",
                    type_name(&item)
                )))
            }
        }
    }
    Ok(out)
}

/// The algorithm set named by `names`. An unknown name (`none`, `ES512`,
/// `hs256`) is a `ValueError`: a policy that names an algorithm it cannot
/// get is a configuration mistake to surface, not to ignore.
pub(crate) fn algorithms(names: &[String]) -> Result<AlgorithmSet, NativeError> {
    let mut set = AlgorithmSet::EMPTY;
    for name in names {
        set = set.with(algorithm(name)?);
    }
    Ok(set)
}

/// One algorithm by its JWA name (case-sensitive).
pub(crate) fn algorithm(name: &str) -> Result<Algorithm, NativeError> {
    Algorithm::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = Algorithm::ALL.iter().map(|a| a.name()).collect();
        NativeError::Config(format!(
            "unknown algorithm {name:?}; the supported names are {}",
            known.join(", ")
        ))
    })
}

/// A non-negative integer setting (`leeway`, `max_age`, `max_token_bytes`):
/// a negative or oversized `int` is a `ValueError`, another type a
/// `TypeError`.
pub(crate) fn non_negative(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    match obj.extract::<u64>() {
        Ok(v) => Ok(v),
        Err(_) if obj.is_instance_of::<pyo3::types::PyInt>() => Err(NativeError::Config(format!(
            "{what} must be a non-negative integer below 2**64"
        ))
        .into()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{what} must be an int, not {}",
            type_name(obj)
        ))),
    }
}

/// A non-negative integer setting that Python passed as an `int`: negative
/// or too large for `T` is a `ValueError` (the core then applies its own
/// bounds, e.g. a leeway of at most one day).
pub(crate) fn bounded<T: TryFrom<i128>>(v: i128, what: &str) -> Result<T, NativeError> {
    T::try_from(v)
        .map_err(|_| NativeError::Config(format!("{what} must be a non-negative integer, not {v}")))
}

/// The time to validate at: the caller's `now`, or the system clock. The
/// core never reads a clock; this wrapper does, only when `now` is `None`.
pub(crate) fn now(now: Option<&Bound<'_, PyAny>>) -> PyResult<UnixTime> {
    match now {
        Some(obj) if !obj.is_none() => Ok(UnixTime::from_secs(non_negative(obj, "now")?)),
        _ => Ok(UnixTime::now()),
    }
}

/// A scratch buffer for a token of `len` bytes. A token over the policy's
/// limit gets none: the core refuses it (`token_too_large`) before it
/// looks at the buffer, so a hostile 2 MB token costs no allocation.
pub(crate) fn scratch(len: usize, max_token_bytes: usize) -> Vec<u8> {
    if len > max_token_bytes {
        Vec::new()
    } else {
        vec![0; scratch_len(len)]
    }
}

/// Runs `f` with a zeroed scratch buffer for a token of `len` bytes (none
/// over `max_token_bytes`, as [`scratch`]): the core's per-thread buffer
/// ([`tokenlane::with_scratch`]), reused from call to call instead of a new
/// allocation per validation, and zeroed again after `f` returns or panics
/// (it held the decoded token).
pub(crate) fn with_scratch<R>(
    len: usize,
    max_token_bytes: usize,
    f: impl FnOnce(&mut [u8]) -> R,
) -> R {
    let need = if len > max_token_bytes {
        0
    } else {
        scratch_len(len)
    };
    tokenlane::with_scratch(need, f)
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .and_then(|n| n.extract::<String>())
        .unwrap_or_else(|_| "object".to_owned())
}
