//! Strict base64: `base64ct` (constant-time, so secrets in JWKs do not leak
//! through timing) with its canonical-encoding checks: no padding, no `+`
//! or `/`, no whitespace, zero trailing bits.

use base64ct::{Base64UrlUnpadded, Encoding};

/// Decodes strict unpadded base64url into the start of `out`; returns the
/// decoded bytes, or `None` for any non-canonical input or a short `out`.
pub(crate) fn decode_url<'o>(input: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    Base64UrlUnpadded::decode(input, out).ok()
}

/// Decoded length of `n` base64url characters (unpadded).
pub(crate) const fn decoded_len(n: usize) -> usize {
    (n / 4) * 3 + (n % 4) * 3 / 4
}

/// Decodes strict unpadded base64url into a new vector.
#[cfg(feature = "alloc")]
pub(crate) fn decode_url_vec(input: &str) -> Option<alloc::vec::Vec<u8>> {
    Base64UrlUnpadded::decode_vec(input).ok()
}

/// The DER inside a PEM block labelled `label`. Whitespace in the body is
/// ignored; anything else outside the alphabet is an error.
#[cfg(feature = "alloc")]
pub(crate) fn pem_body(pem: &str, label: &str) -> Result<alloc::vec::Vec<u8>, crate::KeyError> {
    use alloc::string::String;
    use alloc::vec::Vec;
    let mut begin = String::from("-----BEGIN ");
    begin.push_str(label);
    begin.push_str("-----");
    let mut end = String::from("-----END ");
    end.push_str(label);
    end.push_str("-----");
    let start = pem.find(&begin).ok_or(crate::KeyError::Encoding)? + begin.len();
    let stop = pem
        .get(start..)
        .and_then(|rest| rest.find(&end))
        .ok_or(crate::KeyError::Encoding)?
        + start;
    let body: Vec<u8> = pem
        .get(start..stop)
        .ok_or(crate::KeyError::Encoding)?
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64ct::Base64::decode_vec(core::str::from_utf8(&body).map_err(|_| crate::KeyError::Base64)?)
        .map_err(|_| crate::KeyError::Base64)
}
