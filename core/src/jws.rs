//! The JWS compact layer: size cap, split, strict base64url, header checks
//! (alg, crit, typ, kid) before any key lookup or crypto, then the signature.
//!
//! [`verify_compact`] is this layer on its own (it returns the verified
//! payload, whatever it is); the lanes build on [`verify_parts`].

use crate::alg::{Algorithm, AlgorithmSet};
use crate::b64::{decode_url, decoded_len};
use crate::backend::Backend;
use crate::error::{AlgorithmRefusal, Error, Malformed, Part};
use crate::json::{self, JsonError, JsonStr, Value};
use crate::keys::{verify_with_keys, Key};
use crate::lane::witness::SignatureCheck;
use crate::limits::scratch_len;

/// The checked JOSE header of a token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    pub(crate) alg: Algorithm,
}

/// A token whose signature verified: its header, its payload bytes, and the
/// unused rest of the scratch buffer.
pub(crate) struct Verified<'s> {
    pub(crate) header: Header,
    pub(crate) payload: &'s [u8],
    pub(crate) rest: &'s mut [u8],
}

pub(crate) fn json_error(e: JsonError, part: Part) -> Error {
    Error::Malformed(match e {
        JsonError::Syntax => Malformed::Json(part),
        JsonError::NotObject => Malformed::NotAnObject(part),
        JsonError::Duplicate => Malformed::DuplicateMember(part),
        JsonError::TooDeep => Malformed::TooDeep(part),
        JsonError::TooManyMembers => Malformed::TooManyMembers(part),
    })
}

/// Verifies a compact JWS and returns its payload, without any JWT rules
/// (no typ, no claims): the signature layer on its own, as the Wycheproof
/// JWS vectors exercise it.
///
/// `scratch` must hold at least [`scratch_len`]`(token.len())` bytes; the
/// payload borrows from it. Errors: as the token path of the crate docs,
/// steps 1–5.
pub fn verify_compact<'s>(
    token: &[u8],
    keys: &[Key],
    algorithms: AlgorithmSet,
    max_token_bytes: usize,
    scratch: &'s mut [u8],
) -> Result<&'s [u8], Error> {
    verify_compact_with(
        Backend::DEFAULT,
        token,
        keys,
        algorithms,
        max_token_bytes,
        scratch,
    )
}

/// [`verify_compact`] with a chosen backend.
pub fn verify_compact_with<'s>(
    backend: Backend,
    token: &[u8],
    keys: &[Key],
    algorithms: AlgorithmSet,
    max_token_bytes: usize,
    scratch: &'s mut [u8],
) -> Result<&'s [u8], Error> {
    let limits = (backend, algorithms, max_token_bytes);
    verify_parts(token, SignatureCheck::Keys(keys), limits, scratch, |_| {
        Ok(())
    })
    .map(|v| v.payload)
}

/// A compact JWS split and base64url-decoded, nothing checked beyond that.
pub(crate) struct Decoded<'t, 's> {
    pub(crate) header: &'s [u8],
    pub(crate) payload: &'s [u8],
    pub(crate) signature: &'s [u8],
    pub(crate) signing_input: &'t [u8],
    pub(crate) rest: &'s mut [u8],
}

/// Steps 1–2 of the refusal order, shared by validation and the untrusted
/// view: the size limit, exactly three segments, a non-empty header, and
/// strict base64url for every segment, decoded into `scratch`.
pub(crate) fn decode_parts<'t, 's>(
    token: &'t [u8],
    max_token_bytes: usize,
    scratch: &'s mut [u8],
) -> Result<Decoded<'t, 's>, Error> {
    // 1. Size, before any decoding.
    if token.len() > max_token_bytes {
        return Err(Error::TokenTooLarge {
            len: token.len(),
            max: max_token_bytes,
        });
    }
    if scratch.len() < scratch_len(token.len()) {
        return Err(Error::TokenTooLarge {
            len: token.len(),
            max: scratch.len().saturating_mul(2) / 3,
        });
    }
    // 2. Exactly three segments.
    let (h, p, s) = match three_segments(token) {
        Some(parts) => parts,
        None => return Err(Error::Malformed(Malformed::SegmentCount)),
    };
    if h.is_empty() {
        return Err(Error::Malformed(Malformed::EmptySegment(Part::Header)));
    }
    // An empty signature segment is not refused here: it fails at the
    // signature step (no algorithm has a zero-length signature), so the
    // classic `alg: none` token with an empty signature is reported as
    // `unsupported_algorithm`, the attack it is.
    let signing_input = token.get(..h.len() + 1 + p.len()).unwrap_or(&[]);

    // 3. Strict base64url for every segment.
    let (hbuf, rest) = scratch.split_at_mut(decoded_len(h.len()));
    let (pbuf, rest) = rest.split_at_mut(decoded_len(p.len()));
    let (sbuf, rest) = rest.split_at_mut(decoded_len(s.len()));
    let header = decode_url(h, hbuf).ok_or(Error::Malformed(Malformed::Base64(Part::Header)))?;
    let payload = decode_url(p, pbuf).ok_or(Error::Malformed(Malformed::Base64(Part::Claims)))?;
    let sig = decode_url(s, sbuf).ok_or(Error::Malformed(Malformed::Base64(Part::Signature)))?;

    Ok(Decoded {
        header,
        payload,
        signature: sig,
        signing_input,
        rest,
    })
}

/// The three `.`-separated segments of `token`, or `None` for any other
/// count.
fn three_segments(token: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let d1 = find_dot(token, 0)?;
    let d2 = find_dot(token, d1 + 1)?;
    if find_dot(token, d2 + 1).is_some() {
        return None;
    }
    Some((
        token.get(..d1)?,
        token.get(d1 + 1..d2)?,
        token.get(d2 + 1..)?,
    ))
}

/// The position of the first `.` at or after `pos`, eight bytes at a time
/// (SWAR, as `json`'s string scan: a `.` is a zero byte of `w ^ 0x2e…`).
fn find_dot(b: &[u8], mut pos: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const DOT: u64 = ONES * 0x2e;
    while let Some(word) = b
        .get(pos..pos.saturating_add(8))
        .and_then(|c| <[u8; 8]>::try_from(c).ok())
    {
        let x = u64::from_le_bytes(word) ^ DOT;
        let found = x.wrapping_sub(ONES) & !x & HIGH;
        if found != 0 {
            return Some(pos + usize::try_from(found.trailing_zeros() / 8).unwrap_or(0));
        }
        pos += 8;
    }
    b.get(pos..)?
        .iter()
        .position(|&c| c == b'.')
        .map(|i| pos + i)
}

/// The token path up to a verified signature. `typ_check` sees the header
/// `typ` before any key lookup.
pub(crate) fn verify_parts<'s>(
    token: &[u8],
    signature: SignatureCheck<'_>,
    (backend, algorithms, max_token_bytes): (Backend, AlgorithmSet, usize),
    scratch: &'s mut [u8],
    typ_check: impl FnOnce(Option<JsonStr<'_>>) -> Result<(), Error>,
) -> Result<Verified<'s>, Error> {
    let Decoded {
        header,
        payload,
        signature: sig,
        signing_input,
        rest,
    } = decode_parts(token, max_token_bytes, scratch)?;

    // 4. Header, before any key lookup or crypto.
    // One pass: the parser hands each header member over as it reads it.
    let (mut alg, mut typ, mut kid, mut crit) = (None, None, None, false);
    json::validate_with(header, &mut |name, v| {
        if name.eq_str("alg") {
            alg = Some(v);
        } else if name.eq_str("typ") {
            typ = Some(v);
        } else if name.eq_str("kid") {
            kid = Some(v);
        } else if name.eq_str("crit") {
            crit = true;
        }
    })
    .map_err(|e| json_error(e, Part::Header))?;
    let alg = match alg {
        None => return Err(Error::Malformed(Malformed::MissingAlg)),
        Some(Value::Str(s)) => s,
        Some(_) => return Err(Error::Malformed(Malformed::HeaderMemberType("alg"))),
    };
    let alg = lookup_alg(alg).ok_or(Error::UnsupportedAlgorithm)?;
    if crit {
        return Err(Error::UnsupportedCriticalHeader);
    }
    if !algorithms.contains(alg) {
        return Err(Error::AlgorithmNotAllowed {
            alg,
            reason: AlgorithmRefusal::NotInPolicy,
        });
    }
    let typ = string_member(typ, "typ")?;
    let kid = string_member(kid, "kid")?;
    typ_check(typ)?;

    // 5. Key and signature, or (the witnessed path) the token's SHA-256
    // against the witness of an earlier full verification.
    match signature {
        SignatureCheck::Keys(keys) => {
            verify_with_keys(backend, keys, kid, alg, signing_input, sig)?
        }
        SignatureCheck::Witness(w) => w.check(token)?,
    }
    Ok(Verified {
        header: Header { alg },
        payload,
        rest,
    })
}

fn string_member<'a>(
    v: Option<Value<'a>>,
    name: &'static str,
) -> Result<Option<JsonStr<'a>>, Error> {
    match v {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s)),
        Some(_) => Err(Error::Malformed(Malformed::HeaderMemberType(name))),
    }
}

/// The implemented algorithm named by a header `alg` (compared by unescaped
/// value, case-sensitively).
fn lookup_alg(s: JsonStr<'_>) -> Option<Algorithm> {
    let mut buf = [0u8; 8];
    let n = s.unescape_into(&mut buf)?;
    let name = core::str::from_utf8(buf.get(..n)?).ok()?;
    Algorithm::from_name(name).filter(|a| a.is_implemented())
}
