//! **Untrusted** view of a compact JWS: decodes the header and claims
//! *without verifying anything*. Nothing read here may be used to decide
//! access; use [`crate::AccessPolicy::validate`] or
//! [`crate::IdPolicy::validate`] for that.
//!
//! What it is for: tools that show a token (`tokenlane inspect`), routing a
//! token to the right issuer's key set before validation (read `iss` and
//! `kid`, then validate with that issuer's policy), and telling a user which
//! lane a token looks like and why. Like jwt-compact's `UntrustedToken` and
//! jsonwebtoken's `dangerous` module, the name says what it is.
//!
//! It reads exactly as validation reads, so what it shows is what the lanes
//! would see: the same size limit (step 1 of the refusal order), the same
//! strict base64url and strict JSON reader (step 2: duplicate members,
//! depth and member bounds anywhere), the same claim table
//! ([`crate::Claim`]) and the same lane-mark predicates ([`crate::Mark`],
//! one table shared with the lanes). It does not check the signature, the
//! algorithm, `crit`, times, issuer or audience.
//!
//! No heap: the caller lends a scratch buffer of
//! [`crate::scratch_len`]`(token.len())` bytes and the view borrows from it.
//!
//! ```
//! use tokenlane::untrusted::{self, LooksLike};
//! use tokenlane::limits::DEFAULT_MAX_TOKEN_BYTES;
//! use tokenlane::{Claim, Lane, Mark, TypMode, scratch_len};
//!
//! // header {"alg":"RS256","kid":"k1"}, claims {"iss":"https://issuer.example/",
//! // "sub":"user-123","aud":"client-app","nonce":"n-0S6","exp":1767229200}
//! let token = b"eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.\
//!     eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLyIsInN1YiI6InVzZXItMTIzIiwi\
//!     YXVkIjoiY2xpZW50LWFwcCIsIm5vbmNlIjoibi0wUzYiLCJleHAiOjE3NjcyMjkyMDB9.c2ln";
//! let mut scratch = vec![0u8; scratch_len(token.len())];
//! let t = untrusted::decode(token, DEFAULT_MAX_TOKEN_BYTES, &mut scratch)?;
//!
//! assert_eq!(t.alg(), Some("RS256"));
//! assert_eq!(t.kid(), Some("k1"));
//! assert_eq!(t.string(Claim::Iss), Some("https://issuer.example/"));
//! assert_eq!(t.date(Claim::Exp), Some(1_767_229_200));
//! assert!(t.aud().contains("client-app"));
//! assert_eq!(t.signature(), b"sig");
//!
//! // It looks like an ID token: the nonce says so, and the access lane
//! // refuses it for that mark (after the header typ in strict mode).
//! assert_eq!(t.looks_like(), LooksLike::Id);
//! assert!(t.marks().any(|m| m == Mark::Nonce));
//! assert_eq!(t.refusal(Lane::Access(TypMode::Compat)), Some(Mark::Nonce));
//! assert_eq!(t.refusal(Lane::Access(TypMode::Strict)), Some(Mark::TypAbsent));
//! assert_eq!(t.refusal(Lane::Id), None);
//! # Ok::<(), tokenlane::Error>(())
//! ```

use core::fmt;

use crate::alg::Algorithm;
use crate::b64;
use crate::claims::{self, Arena, Raw, StrList};
use crate::error::{Claim, Error, Part};
use crate::json::{self, Elements, JsonStr, Members, Value};
use crate::jws::{decode_parts, json_error, Decoded};
use crate::lane::marks::{self, Facts, Lane, Mark, Place, TokenKind};

/// Decodes one base64url segment of a compact JWS into the start of `out`,
/// with the core's strict decoder (no padding, no `+` or `/`, no
/// whitespace, zero trailing bits), and returns the decoded bytes.
///
/// `out` must hold [`decoded_len`]`(segment.len())` bytes. `None` when the
/// segment is not strict base64url or `out` is too short.
///
/// ```
/// let mut out = [0u8; 16];
/// assert_eq!(tokenlane::untrusted::decode_segment(b"eyJhIjoxfQ", &mut out), Some(&br#"{"a":1}"#[..]));
/// assert_eq!(tokenlane::untrusted::decode_segment(b"eyJhIjoxfQ==", &mut out), None);
/// ```
pub fn decode_segment<'o>(segment: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    b64::decode_url(segment, out)
}

/// The number of bytes `n` base64url characters decode to (unpadded).
pub const fn decoded_len(n: usize) -> usize {
    b64::decoded_len(n)
}

/// [`decode_segment`] into a new vector.
#[cfg(feature = "alloc")]
pub fn decode_segment_vec(segment: &[u8]) -> Option<alloc::vec::Vec<u8>> {
    let mut out = alloc::vec![0u8; decoded_len(segment.len())];
    let n = decode_segment(segment, &mut out)?.len();
    out.truncate(n);
    Some(out)
}

/// A JSON string read from an untrusted token, still escaped as written.
/// Compares and prints by its unescaped value.
#[derive(Clone, Copy)]
pub struct JsonString<'a>(JsonStr<'a>);

impl<'a> JsonString<'a> {
    /// The value without copying, when it has no escapes.
    pub fn as_plain(&self) -> Option<&'a str> {
        self.0.as_plain()
    }

    /// The string as written between its quotes (escapes included).
    pub fn as_escaped(&self) -> &'a str {
        self.0.raw()
    }

    /// The unescaped characters.
    pub fn chars(&self) -> impl Iterator<Item = char> + 'a {
        self.0.chars()
    }

    /// Whether the unescaped value equals `s`.
    pub fn eq_str(&self, s: &str) -> bool {
        self.0.eq_str(s)
    }

    /// Writes the unescaped value into `out`; `None` when `out` is too short.
    pub fn unescape_into<'o>(&self, out: &'o mut [u8]) -> Option<&'o str> {
        let n = self.0.unescape_into(out)?;
        core::str::from_utf8(out.get(..n)?).ok()
    }
}

impl fmt::Display for JsonString<'_> {
    /// The unescaped value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        self.chars().try_for_each(|c| f.write_char(c))
    }
}

impl fmt::Debug for JsonString<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        f.write_str(self.as_escaped())?;
        f.write_str("\"")
    }
}

/// A JSON value read from an untrusted token, borrowed from its decoded
/// text. Containers are given as their JSON text; read them with
/// [`members`] and [`elements`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum JsonValue<'a> {
    /// A string.
    String(JsonString<'a>),
    /// A number, as its JSON text (not converted: see [`UntrustedToken::date`]).
    Number(&'a str),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An array, as its JSON text with brackets.
    Array(&'a str),
    /// An object, as its JSON text with braces.
    Object(&'a str),
}

impl<'a> JsonValue<'a> {
    fn of(v: Value<'a>) -> Self {
        match v {
            Value::Str(s) => JsonValue::String(JsonString(s)),
            Value::Num(n) => JsonValue::Number(n),
            Value::Bool(b) => JsonValue::Bool(b),
            Value::Null => JsonValue::Null,
            Value::Array(a) => JsonValue::Array(a),
            Value::Object(o) => JsonValue::Object(o),
        }
    }

    /// The string, if this is one.
    pub fn as_string(&self) -> Option<JsonString<'a>> {
        match self {
            JsonValue::String(s) => Some(*s),
            _ => None,
        }
    }
}

/// The members of a JSON object taken from this view (the header, the
/// claims, or a [`JsonValue::Object`] found in them), in document order.
/// Only text this module handed out is accepted: it was validated already.
pub fn members(object: &str) -> impl Iterator<Item = (JsonString<'_>, JsonValue<'_>)> {
    Members::of(object).map(|(k, v)| (JsonString(k), JsonValue::of(v)))
}

/// The elements of a [`JsonValue::Array`] from this view, in order.
pub fn elements(array: &str) -> impl Iterator<Item = JsonValue<'_>> {
    Elements::of(array).map(JsonValue::of)
}

/// Which lane a token looks like, from the marks it carries (see
/// [`UntrustedToken::looks_like`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LooksLike {
    /// Marks of an access token only.
    Access,
    /// Marks of an ID token only.
    Id,
    /// A mark of another kind of JWT (refresh, logout, security event, DPoP
    /// proof, ...): neither lane accepts it.
    Other,
    /// Marks of both lanes: each lane refuses it.
    Conflicting,
    /// No mark of either lane.
    Undecided,
}

/// A compact JWS decoded without verification. Only [`decode`] makes one;
/// it borrows from the caller's scratch buffer.
pub struct UntrustedToken<'s> {
    header: &'s str,
    claims: &'s str,
    signature: &'s [u8],
    alg: Option<&'s str>,
    typ: Option<&'s str>,
    kid: Option<&'s str>,
    /// The header `typ` as the mark predicates read it; `Err` when `typ` is
    /// present but not a string (validation refuses that as malformed, and
    /// no header mark is reported).
    typ_json: Result<Option<JsonStr<'s>>, ()>,
    raw: Raw<'s>,
    strings: [Option<&'s str>; Claim::COUNT],
    aud: StrList<'s>,
    scopes: StrList<'s>,
}

/// Decodes `token` without verifying it.
///
/// `max_token_bytes` is the limit validation would apply (the policy's
/// `max_token_bytes()`, or [`crate::limits::DEFAULT_MAX_TOKEN_BYTES`]).
/// `scratch` must hold [`crate::scratch_len`]`(token.len())` bytes.
/// Errors, the same as validation's steps 1–2 and 6: `token_too_large`
/// when `token` is over `max_token_bytes` (or `scratch` is too short);
/// `malformed` when it is not three segments, a segment is not strict
/// base64url, the header is empty, or the header or the claims are not a
/// JSON object that the strict reader accepts (duplicate members, nesting,
/// member counts, UTF-8). A header without `alg`, an unimplemented `alg`,
/// `crit`, or claims of the wrong type are *not* errors here: they are
/// reported ([`UntrustedToken::alg`], [`UntrustedToken::claim_types`]).
pub fn decode<'s>(
    token: &[u8],
    max_token_bytes: usize,
    scratch: &'s mut [u8],
) -> Result<UntrustedToken<'s>, Error> {
    let Decoded {
        header,
        payload,
        signature,
        rest,
        ..
    } = decode_parts(token, max_token_bytes, scratch)?;
    let header = json::validate(header).map_err(|e| json_error(e, Part::Header))?;
    let claims = json::validate(payload).map_err(|e| json_error(e, Part::Claims))?;

    let mut arena = Arena::new(rest);
    let (mut alg, mut typ, mut kid) = (None, None, None);
    let mut typ_json = Ok(None);
    for (name, v) in Members::of(header) {
        let s = v.as_str();
        if name.eq_str("alg") {
            alg = s;
        } else if name.eq_str("typ") {
            typ = s;
            typ_json = s.map(Some).ok_or(());
        } else if name.eq_str("kid") {
            kid = s;
        }
    }
    let raw = Raw::of(claims);
    let mut strings = [None; Claim::COUNT];
    for (c, slot) in Claim::ALL.iter().zip(strings.iter_mut()) {
        if !matches!(c, Claim::Aud | Claim::Scope | Claim::Scp) {
            *slot = arena.opt(raw.get(*c).and_then(|v| v.as_str()))?;
        }
    }
    let scope = raw.get(Claim::Scope).filter(|v| v.as_str().is_some());
    let scp = raw.get(Claim::Scp);
    let aud = arena.list(raw.get(Claim::Aud), false)?;
    let scopes = match scope {
        Some(s) => arena.list(Some(s), true)?,
        None => arena.list(scp, true)?,
    };
    Ok(UntrustedToken {
        header,
        claims,
        signature,
        alg: arena.opt(alg)?,
        typ: arena.opt(typ)?,
        kid: arena.opt(kid)?,
        typ_json,
        raw,
        strings,
        aud,
        scopes,
    })
}

impl<'s> UntrustedToken<'s> {
    /// The header, as its JSON text (read it with [`members`]).
    pub fn header_json(&self) -> &'s str {
        self.header
    }

    /// The claims, as their JSON text (read them with [`members`]).
    pub fn claims_json(&self) -> &'s str {
        self.claims
    }

    /// The decoded signature bytes (not checked).
    pub fn signature(&self) -> &'s [u8] {
        self.signature
    }

    /// Header `alg`, unescaped, when it is a string (whatever it names).
    pub fn alg(&self) -> Option<&'s str> {
        self.alg
    }

    /// The implemented algorithm header `alg` names, if any (exact,
    /// case-sensitive; `none` never is one).
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.alg
            .and_then(Algorithm::from_name)
            .filter(|a| a.is_implemented())
    }

    /// Header `typ`, unescaped, when it is a string.
    pub fn typ(&self) -> Option<&'s str> {
        self.typ
    }

    /// Header `kid`, unescaped, when it is a string.
    pub fn kid(&self) -> Option<&'s str> {
        self.kid
    }

    /// A header member by (unescaped) name, e.g. `"jku"` or `"crit"`.
    pub fn header_member(&self, name: &str) -> Option<JsonValue<'s>> {
        members(self.header)
            .find(|(k, _)| k.eq_str(name))
            .map(|(_, v)| v)
    }

    /// A claim by (unescaped) name, registered or not.
    pub fn claim_member(&self, name: &str) -> Option<JsonValue<'s>> {
        members(self.claims)
            .find(|(k, _)| k.eq_str(name))
            .map(|(_, v)| v)
    }

    /// A claim of the core's table, as found (any JSON type).
    pub fn claim(&self, claim: Claim) -> Option<JsonValue<'s>> {
        self.raw.get(claim).map(JsonValue::of)
    }

    /// A claim's unescaped value when it is a JSON string (`None` when
    /// absent or of another type). For `aud` and `scope`/`scp` use
    /// [`Self::aud`] and [`Self::scopes`].
    pub fn string(&self, claim: Claim) -> Option<&'s str> {
        self.strings.get(claim.index()).copied().flatten()
    }

    /// A claim as a NumericDate (seconds, fractions floored), when it is a
    /// well-formed one (a non-negative number up to year 9999), as the lanes
    /// read `exp`, `nbf`, `iat` and `auth_time`.
    pub fn date(&self, claim: Claim) -> Option<u64> {
        claims::date(self.raw.get(claim), claim).ok().flatten()
    }

    /// The `aud` values (a string or the strings of an array; empty when
    /// absent or of another type).
    pub fn aud(&self) -> StrList<'s> {
        self.aud
    }

    /// The scopes as the access lane reads them: `scope` split on spaces,
    /// or `scp` (string or array) when `scope` is absent.
    pub fn scopes(&self) -> StrList<'s> {
        self.scopes
    }

    /// The claim-type check of validation (step 7 of the refusal order):
    /// `Err(invalid_claim)` naming the first registered claim of the wrong
    /// type or out of range.
    pub fn claim_types(&self) -> Result<(), Error> {
        self.raw.typed().map(|_| ())
    }

    fn facts(&self) -> Option<Facts<'_, 's>> {
        Some(Facts {
            typ: self.typ_json.ok()?,
            claims: &self.raw,
        })
    }

    /// Every lane mark the token carries, in the table's order (header
    /// marks first). The same predicates the lanes use.
    pub fn marks(&self) -> impl Iterator<Item = Mark> + '_ {
        let facts = self.facts();
        Mark::ALL.iter().copied().filter(move |m| {
            match &facts {
                Some(f) => m.found(f),
                // typ is not a string: report the claim marks only.
                None => {
                    m.place() == Place::Claims
                        && m.found(&Facts {
                            typ: None,
                            claims: &self.raw,
                        })
                }
            }
        })
    }

    /// The mark `lane` refuses this token for (`wrong_token_type`), header
    /// `typ` first as validation checks it, or `None` when the lane's mark
    /// rules let it through. Only the marks: the token may still fail every
    /// other check.
    pub fn refusal(&self, lane: Lane) -> Option<Mark> {
        match self.facts() {
            Some(f) => marks::refusal(Place::Header, lane, &f)
                .or_else(|| marks::refusal(Place::Claims, lane, &f)),
            None => marks::claims_refusal(lane, &self.raw),
        }
    }

    /// Which lane the token looks like, from the kinds its marks point to
    /// ([`Mark::points_to`]): a mark of another kind wins; marks of both
    /// lanes conflict.
    pub fn looks_like(&self) -> LooksLike {
        let (mut access, mut id, mut other) = (false, false, false);
        for m in self.marks() {
            match m.points_to() {
                Some(TokenKind::Access) => access = true,
                Some(TokenKind::Id) => id = true,
                Some(TokenKind::Other) => other = true,
                None => {}
            }
        }
        match (other, access, id) {
            (true, _, _) => LooksLike::Other,
            (false, true, true) => LooksLike::Conflicting,
            (false, true, false) => LooksLike::Access,
            (false, false, true) => LooksLike::Id,
            (false, false, false) => LooksLike::Undecided,
        }
    }
}

impl fmt::Debug for UntrustedToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UntrustedToken")
            .field("header", &self.header)
            .field("claims", &self.claims)
            .field("signature_len", &self.signature.len())
            .finish_non_exhaustive()
    }
}
