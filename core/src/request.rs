//! The request around the token: what an HTTP request carries besides the
//! JWT itself.
//!
//! Today that is the `Authorization` header (RFC 6750 §2.1, RFC 9110 §11):
//! [`bearer_token`] finds the one Bearer credential in it. Every front end
//! (C `tokenlane_bearer_token`, Python `tokenlane.bearer_token`, the CLI)
//! calls this function, so there is one rule for what a valid header is.
//! The request lane is here too: [`authorize`] decides a whole request
//! (a `Bearer` or `DPoP` credential from [`credential`], a DPoP proof
//! checked by [`crate::dpop::verify_proof`], a DPoP- or certificate-bound
//! token), and [`write_challenge`] writes its `WWW-Authenticate` value.
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

use crate::dpop::{check_proof, record, ProofHooks, ProofPolicy, ProofRequest, Thumbprint};
use crate::error::{Absent, BindingFault, Error, HeaderFault, ProofFault};
use crate::json::{self, Members, Value};
use crate::keys::Key;
use crate::lane::access::{AccessPolicy, AccessToken};
use crate::lane::witness::{SignatureCheck, SignatureWitness};
use crate::limits::scratch_len;
use crate::time::UnixTime;

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
    match credential(authorization)? {
        (Scheme::Bearer, token) => Ok(token),
        (Scheme::Dpop, _) => Err(Error::MissingToken(Absent::OtherScheme)),
    }
}

/// The authorization scheme a credential came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scheme {
    /// `Bearer` (RFC 6750).
    Bearer,
    /// `DPoP` (RFC 9449 §7.1).
    Dpop,
}

/// The one `Bearer` or `DPoP` credential of an `Authorization` header
/// value: the rules of the [module docs](self), with `DPoP` accepted as a
/// second scheme (case-insensitive too).
pub fn credential(authorization: Option<&[u8]>) -> Result<(Scheme, &str), Error> {
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
    let scheme = if scheme.eq_ignore_ascii_case(b"Bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case(b"DPoP") {
        Scheme::Dpop
    } else {
        return Err(Error::MissingToken(Absent::OtherScheme));
    };
    let credential = token68(skip_spaces(rest))?;
    // token68 is ASCII, so this never fails; the fallback is a refusal,
    // never a panic.
    let token = core::str::from_utf8(credential)
        .map_err(|_| Error::InvalidRequest(HeaderFault::NotToken68))?;
    Ok((scheme, token))
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

/// The facts of one HTTP request that decide how its access token is
/// checked. Header values are passed as received, one slice per header
/// line (a proxy may also have joined several lines with commas, which the
/// parsers refuse).
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// The HTTP method (`GET`, `POST`, ...), compared with a proof's `htm`.
    pub method: &'a str,
    /// The absolute target URI, compared with a proof's `htu` (its query
    /// and fragment are ignored).
    pub uri: &'a str,
    /// Every `Authorization` header value.
    pub authorization: &'a [&'a [u8]],
    /// Every `DPoP` header value.
    pub dpop: &'a [&'a [u8]],
    /// The SHA-256 of the client certificate's DER, from the TLS terminator
    /// (RFC 8705 §3.1), when the connection had one.
    pub certificate_sha256: Option<&'a [u8; 32]>,
}

/// Whether and how a server accepts DPoP (RFC 9449).
#[derive(Debug, Clone, Copy)]
pub enum DpopMode<'p> {
    /// Bearer tokens only: the `DPoP` scheme is another scheme
    /// (`missing_token`), and a `DPoP` header or a DPoP-bound token is
    /// refused (no downgrade).
    BearerOnly,
    /// Both schemes, proofs checked by this policy.
    Allowed(&'p ProofPolicy),
    /// The `DPoP` scheme only: a `Bearer` credential is another scheme.
    Required(&'p ProofPolicy),
}

/// How an accepted token was bound to its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// The scheme the credential came with.
    pub scheme: Scheme,
    /// The thumbprint of the proof key, which the token's `cnf.jkt` names
    /// (DPoP scheme only).
    pub jkt: Option<Thumbprint>,
    /// Whether the token is bound to the client certificate
    /// (`cnf.x5t#S256`) and the certificate matched.
    pub certificate: bool,
}

/// The token's `cnf` members that bind it (RFC 7800, RFC 9449 §6.1,
/// RFC 8705 §3.1).
struct Cnf<'a> {
    jkt: Option<json::JsonStr<'a>>,
    x5t: Option<json::JsonStr<'a>>,
}

fn cnf_of(claims: &str) -> Result<Cnf<'_>, Error> {
    let bad = Error::TokenBindingMismatch(BindingFault::BadCnf);
    let mut out = Cnf {
        jkt: None,
        x5t: None,
    };
    let Some((_, cnf)) = Members::of(claims).find(|(k, _)| k.eq_str("cnf")) else {
        return Ok(out);
    };
    let Value::Object(cnf) = cnf else {
        return Err(bad);
    };
    for (k, v) in Members::of(cnf) {
        if k.eq_str("jkt") {
            out.jkt = Some(v.as_str().ok_or(bad)?);
        } else if k.eq_str("x5t#S256") {
            out.x5t = Some(v.as_str().ok_or(bad)?);
        }
    }
    Ok(out)
}

/// Decides one request: finds its credential, checks the DPoP proof when
/// DPoP is in play, validates the access token with `policy`, and checks
/// the token's binding. Returns the token and how it was bound.
///
/// `scratch` must hold `scratch_len(proof) + scratch_len(token)` bytes
/// (the proof is checked in the first part; the token borrows the rest);
/// a shorter buffer is `token_too_large`.
///
/// ## The rules, in order
///
/// 1. Exactly one `Authorization` header: none is `missing_token`, several
///    are `invalid_request`. Its credential by [`credential`]: `Bearer`
///    or `DPoP`; any other scheme (and `DPoP` under
///    [`DpopMode::BearerOnly`], `Bearer` under [`DpopMode::Required`]) is
///    `missing_token`, so the challenge offers the right scheme.
/// 2. `DPoP` scheme: exactly one `DPoP` header, else
///    `invalid_dpop_proof` (`HeaderCount`); the proof is checked by the
///    rules of [`crate::dpop::verify_proof`] with `ath` over the
///    credential, except its replay hook, which runs last (step 6).
///    `Bearer` scheme: a `DPoP` header is refused
///    (`invalid_request`, [`HeaderFault::DpopWithBearer`]): DPoP rules apply
///    whenever a DPoP signal is present, so the request cannot be read as a
///    plain Bearer one.
/// 3. The token by [`AccessPolicy::validate`] (a proof presented as the
///    token is `wrong_token_type`: the lanes refuse `typ: dpop+jwt`).
/// 4. Its `cnf` (not an object of strings → `token_binding_mismatch`,
///    `BadCnf`). `DPoP` scheme: `cnf.jkt` must equal the proof key's
///    thumbprint (`JktMismatch`; absent → `UnboundTokenWithProof`: a DPoP
///    request with an unbound token is refused, not silently downgraded).
///    `Bearer` scheme: a `cnf.jkt` is refused (`BoundTokenWithoutProof`,
///    RFC 9449 §7.2).
/// 5. `cnf.x5t#S256` (either scheme): a certificate must have been
///    presented (`NoCertificate`) and its SHA-256, base64url, must equal it
///    (`CertificateMismatch`), RFC 8705 §3.
/// 6. `DPoP` scheme: the replay hook ([`ProofHooks::check_replay`]) →
///    `invalid_dpop_proof` (`Replayed`) or `replay_check_failed`. It runs
///    after the token and its binding passed, so only a request that would
///    be accepted is recorded: proofs sent with a garbage token or with
///    someone else's token never fill the store.
#[allow(clippy::too_many_arguments)]
pub fn authorize<'s, S: AsRef<str>>(
    facts: &RequestFacts<'_>,
    policy: &AccessPolicy<'_, S>,
    keys: &[Key],
    mode: DpopMode<'_>,
    hooks: &dyn ProofHooks,
    now: UnixTime,
    scratch: &'s mut [u8],
) -> Result<(AccessToken<'s>, Binding), Error> {
    let signature = SignatureCheck::Keys(keys);
    authorize_by(facts, policy, signature, mode, hooks, now, scratch).map(|(t, b, _)| (t, b))
}

/// [`authorize`], and with an accepted request the access token's
/// [`SignatureWitness`] (see [`AccessPolicy::validate_remembering`]) for
/// [`authorize_witnessed`]. Errors: as [`authorize`]; a refusal makes no
/// witness.
#[allow(clippy::too_many_arguments)]
pub fn authorize_remembering<'s, S: AsRef<str>>(
    facts: &RequestFacts<'_>,
    policy: &AccessPolicy<'_, S>,
    keys: &[Key],
    mode: DpopMode<'_>,
    hooks: &dyn ProofHooks,
    now: UnixTime,
    scratch: &'s mut [u8],
) -> Result<(AccessToken<'s>, Binding, SignatureWitness), Error> {
    let signature = SignatureCheck::Keys(keys);
    let (t, b, token) = authorize_by(facts, policy, signature, mode, hooks, now, scratch)?;
    let witness = SignatureWitness::of(token.as_bytes(), t.exp());
    Ok((t, b, witness))
}

/// [`authorize`] for a request whose access token an earlier
/// [`authorize_remembering`] accepted: every rule of [`authorize`] in the
/// same order (credential, the DPoP proof verified in full, the token by
/// [`AccessPolicy::validate_witnessed`] — every access-lane rule but the
/// signature, which `witness` stands for —, `cnf` binding, replay).
/// Errors: as [`authorize`], except `key_not_found`; a token whose bytes
/// are not the witness's is `invalid_signature`.
#[allow(clippy::too_many_arguments)]
pub fn authorize_witnessed<'s, S: AsRef<str>>(
    facts: &RequestFacts<'_>,
    policy: &AccessPolicy<'_, S>,
    witness: &SignatureWitness,
    mode: DpopMode<'_>,
    hooks: &dyn ProofHooks,
    now: UnixTime,
    scratch: &'s mut [u8],
) -> Result<(AccessToken<'s>, Binding), Error> {
    let signature = SignatureCheck::Witness(witness);
    authorize_by(facts, policy, signature, mode, hooks, now, scratch).map(|(t, b, _)| (t, b))
}

/// The one request path of [`authorize`], [`authorize_remembering`] and
/// [`authorize_witnessed`]: they differ only in step 3's signature check.
/// Also returns the accepted token's text (for its witness).
#[allow(clippy::too_many_arguments)]
fn authorize_by<'s, 'f, S: AsRef<str>>(
    facts: &RequestFacts<'f>,
    policy: &AccessPolicy<'_, S>,
    signature: SignatureCheck<'_>,
    mode: DpopMode<'_>,
    hooks: &dyn ProofHooks,
    now: UnixTime,
    scratch: &'s mut [u8],
) -> Result<(AccessToken<'s>, Binding, &'f str), Error> {
    // 1. The credential.
    let header = match facts.authorization {
        [] => None,
        [one] => Some(*one),
        _ => return Err(Error::InvalidRequest(HeaderFault::SeveralCredentials)),
    };
    let (scheme, token) = credential(header)?;
    let proof_policy = match (scheme, mode) {
        (Scheme::Dpop, DpopMode::BearerOnly) | (Scheme::Bearer, DpopMode::Required(_)) => {
            return Err(Error::MissingToken(Absent::OtherScheme))
        }
        (Scheme::Dpop, DpopMode::Allowed(p) | DpopMode::Required(p)) => Some(p),
        (Scheme::Bearer, _) => None,
    };
    // 2. The proof.
    let (proof_scratch, token_scratch) = match proof_policy {
        Some(p) => {
            let [proof] = facts.dpop else {
                return Err(Error::InvalidDpopProof(ProofFault::HeaderCount));
            };
            if proof.len() > p.max_proof_bytes() {
                return Err(Error::InvalidDpopProof(ProofFault::TooLarge));
            }
            let need = scratch_len(proof.len());
            if scratch.len() < need {
                return Err(Error::TokenTooLarge {
                    len: token.len(),
                    max: 0,
                });
            }
            let (a, b) = scratch.split_at_mut(need);
            (Some((a, *proof, p)), b)
        }
        None => {
            if !facts.dpop.is_empty() {
                return Err(Error::InvalidRequest(HeaderFault::DpopWithBearer));
            }
            (None, scratch)
        }
    };
    let proof = match proof_scratch {
        Some((buf, proof, p)) => {
            let request = ProofRequest {
                method: facts.method,
                uri: facts.uri,
                access_token: Some(token),
            };
            Some(check_proof(proof, p, &request, hooks, now, buf)?)
        }
        None => None,
    };
    // 3. The token.
    let at = policy.validate_by(token.as_bytes(), signature, now, token_scratch)?;
    // 4. DPoP binding.
    let cnf = cnf_of(at.claims_json())?;
    let jkt = match (proof, cnf.jkt) {
        (Some(p), Some(j)) if j.eq_str(p.jkt().as_str()) => Some(*p.jkt()),
        (Some(_), Some(_)) => return Err(Error::TokenBindingMismatch(BindingFault::JktMismatch)),
        (Some(_), None) => {
            return Err(Error::TokenBindingMismatch(
                BindingFault::UnboundTokenWithProof,
            ))
        }
        (None, Some(_)) => {
            return Err(Error::TokenBindingMismatch(
                BindingFault::BoundTokenWithoutProof,
            ))
        }
        (None, None) => None,
    };
    // 5. Certificate binding.
    let certificate = match cnf.x5t {
        None => false,
        Some(x5t) => {
            let cert = facts
                .certificate_sha256
                .ok_or(Error::TokenBindingMismatch(BindingFault::NoCertificate))?;
            let mut b = [0u8; 43];
            let want = <base64ct::Base64UrlUnpadded as base64ct::Encoding>::encode(cert, &mut b)
                .map_err(|_| Error::TokenBindingMismatch(BindingFault::CertificateMismatch))?;
            if !x5t.eq_str(want) {
                return Err(Error::TokenBindingMismatch(
                    BindingFault::CertificateMismatch,
                ));
            }
            true
        }
    };
    // 6. Replay, last: only a request that passed every other check is
    // recorded, so junk (a garbage token, another key's token) never fills
    // the store.
    if let Some(p) = &proof {
        record(p, hooks, now)?;
    }
    Ok((
        at,
        Binding {
            scheme,
            jkt,
            certificate,
        },
        token,
    ))
}

/// The scheme the client tried, for [`write_challenge`]: the scheme of the
/// request's one `Authorization` credential (by [`credential`]), or `None`
/// when there is no header, several, or no `Bearer`/`DPoP` credential.
/// Every front end asks this function, so the challenge puts its error on
/// the same scheme everywhere.
pub fn tried_scheme(authorization: &[&[u8]]) -> Option<Scheme> {
    match authorization {
        [one] => credential(Some(one)).ok().map(|(s, _)| s),
        _ => None,
    }
}

/// The scratch size [`authorize`] needs for `facts`: room for the longest
/// `Authorization` value (at most `max_token_bytes`, the access policy's
/// limit) and, when `mode` checks proofs, for the longest `DPoP` value (at
/// most the proof policy's limit). Longer inputs are refused before the
/// buffer is used, so a hostile header costs no more than the limits.
pub fn authorize_scratch_len(
    facts: &RequestFacts<'_>,
    max_token_bytes: usize,
    mode: DpopMode<'_>,
) -> usize {
    let longest = |list: &[&[u8]]| list.iter().map(|h| h.len()).max().unwrap_or(0);
    let token = longest(facts.authorization).min(max_token_bytes);
    let proof = match mode {
        DpopMode::BearerOnly => 0,
        DpopMode::Allowed(p) | DpopMode::Required(p) => {
            longest(facts.dpop).min(p.max_proof_bytes())
        }
    };
    scratch_len(token).saturating_add(scratch_len(proof))
}

/// Writes the `WWW-Authenticate` value for a refusal of [`authorize`]
/// (RFC 6750 §3, RFC 9449 §7.1), with no heap.
///
/// The schemes offered follow `mode`: `Bearer` ([`DpopMode::BearerOnly`]),
/// `DPoP` ([`DpopMode::Required`]), or both, `Bearer` first
/// ([`DpopMode::Allowed`]). The `DPoP` challenge carries
/// `algs="ES256 …"` from the proof policy. The error (`error=`,
/// `error_description=`, and `scope=` for `insufficient_scope`) goes only on
/// the scheme the client tried: `DPoP` for a proof or nonce refusal or a
/// `DPoP` credential, else `Bearer`; `missing_token` (no credential of an
/// offered scheme) carries no error on either (RFC 6750 §3.1). `realm` and
/// `scope` drop characters not allowed in a quoted value. The status is
/// the error's [`Error::http_status`].
///
/// ```
/// use tokenlane::dpop::ProofPolicy;
/// use tokenlane::request::{write_challenge, DpopMode, Scheme};
/// use tokenlane::{Algorithm, AlgorithmSet, Error, ProofFault};
/// let proofs = ProofPolicy::new(AlgorithmSet::from_slice(&[Algorithm::ES256]))?;
/// let mut out = String::new();
/// let e = Error::InvalidDpopProof(ProofFault::Htu);
/// write_challenge(&mut out, &e, DpopMode::Allowed(&proofs), Some(Scheme::Dpop), Some("api"), None)?;
/// assert_eq!(out, "Bearer realm=\"api\", DPoP realm=\"api\", algs=\"ES256\", \
///     error=\"invalid_dpop_proof\", error_description=\"the DPoP proof is invalid\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_challenge<W: core::fmt::Write>(
    out: &mut W,
    error: &Error,
    mode: DpopMode<'_>,
    tried: Option<Scheme>,
    realm: Option<&str>,
    scope: Option<&str>,
) -> core::fmt::Result {
    let params = Params {
        realm,
        scope,
        resource_metadata: None,
    };
    challenge(out, error.kind(), error.description(), mode, tried, &params)
}

/// [`write_challenge`] for a refusal known only by its code (a front end
/// that reports codes, such as the C ABI): the description is the code's
/// fixed phrase ([`ErrorCode::description`](crate::ErrorCode::description)).
pub fn write_challenge_for_code<W: core::fmt::Write>(
    out: &mut W,
    code: crate::ErrorCode,
    mode: DpopMode<'_>,
    tried: Option<Scheme>,
    realm: Option<&str>,
    scope: Option<&str>,
) -> core::fmt::Result {
    write_challenge_with_metadata(out, code, mode, tried, realm, scope, None)
}

/// [`write_challenge_for_code`] with the RFC 9728 §5.1 `resource_metadata`
/// parameter: the URL of this resource's protected-resource metadata
/// document, written on every scheme offered (after `realm`, before the
/// error), also when no credentials were sent (`missing_token`), which is
/// how a client that has no token yet finds the authorization server.
/// `None` writes exactly what [`write_challenge_for_code`] writes. The URL
/// drops, like `realm`, characters not allowed in a quoted value; it is
/// the caller's configuration, never taken from the request.
///
/// ```
/// use tokenlane::request::{write_challenge_with_metadata, DpopMode};
/// use tokenlane::ErrorCode;
/// let mut out = String::new();
/// write_challenge_with_metadata(&mut out, ErrorCode::MissingToken, DpopMode::BearerOnly, None,
///     Some("api"), None, Some("https://api.example/.well-known/oauth-protected-resource"))?;
/// assert_eq!(out, "Bearer realm=\"api\", \
///     resource_metadata=\"https://api.example/.well-known/oauth-protected-resource\"");
/// # Ok::<(), core::fmt::Error>(())
/// ```
pub fn write_challenge_with_metadata<W: core::fmt::Write>(
    out: &mut W,
    code: crate::ErrorCode,
    mode: DpopMode<'_>,
    tried: Option<Scheme>,
    realm: Option<&str>,
    scope: Option<&str>,
    resource_metadata: Option<&str>,
) -> core::fmt::Result {
    let params = Params {
        realm,
        scope,
        resource_metadata,
    };
    challenge(out, code, code.description(), mode, tried, &params)
}

/// The caller's parameters of a challenge.
struct Params<'a> {
    realm: Option<&'a str>,
    scope: Option<&'a str>,
    resource_metadata: Option<&'a str>,
}

fn challenge<W: core::fmt::Write>(
    out: &mut W,
    code: crate::ErrorCode,
    description: &str,
    mode: DpopMode<'_>,
    tried: Option<Scheme>,
    params: &Params<'_>,
) -> core::fmt::Result {
    use crate::error::{write_quoted_safe, ErrorCode};
    let Params {
        realm,
        scope,
        resource_metadata,
    } = *params;
    let dpop_error = matches!(
        code,
        ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce | ErrorCode::ReplayCheckFailed
    ) || tried == Some(Scheme::Dpop);
    let with_error = code != ErrorCode::MissingToken;
    let (bearer, dpop) = match mode {
        DpopMode::BearerOnly => (true, None),
        DpopMode::Allowed(p) => (true, Some(p)),
        DpopMode::Required(p) => (false, Some(p)),
    };
    if bearer {
        let code = if with_error && !(dpop_error && dpop.is_some()) {
            code
        } else {
            ErrorCode::MissingToken
        };
        crate::error::write_challenge(out, code, description, realm, scope, resource_metadata)?;
    }
    if let Some(p) = dpop {
        if bearer {
            out.write_str(", ")?;
        }
        out.write_str("DPoP")?;
        if let Some(realm) = realm {
            out.write_str(" realm=\"")?;
            write_quoted_safe(out, realm)?;
            out.write_str("\",")?;
        }
        if let Some(url) = resource_metadata {
            out.write_str(" resource_metadata=\"")?;
            write_quoted_safe(out, url)?;
            out.write_str("\",")?;
        }
        out.write_str(" algs=\"")?;
        for (i, a) in p.algorithms().iter().enumerate() {
            if i > 0 {
                out.write_str(" ")?;
            }
            out.write_str(a.name())?;
        }
        out.write_str("\"")?;
        if with_error && (dpop_error || !bearer) {
            crate::error::write_error_params(out, ", ", code, description, scope)?;
        }
    }
    Ok(())
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
    fn a_code_alone_writes_the_same_challenge() {
        use crate::dpop::ProofPolicy;
        use crate::{Algorithm, AlgorithmSet, BindingFault, ProofFault};
        let p = ProofPolicy::new(AlgorithmSet::from_slice(&[Algorithm::ES256])).unwrap();
        let errors = [
            Error::MissingToken(Absent::NoHeader),
            Error::InvalidRequest(HeaderFault::SeveralCredentials),
            Error::InvalidDpopProof(ProofFault::Htu),
            Error::UseDpopNonce,
            Error::TokenBindingMismatch(BindingFault::JktMismatch),
        ];
        for e in &errors {
            for mode in [
                DpopMode::BearerOnly,
                DpopMode::Allowed(&p),
                DpopMode::Required(&p),
            ] {
                for tried in [None, Some(Scheme::Bearer), Some(Scheme::Dpop)] {
                    let (mut a, mut b) =
                        (alloc::string::String::new(), alloc::string::String::new());
                    write_challenge(&mut a, e, mode, tried, Some("api"), Some("read")).unwrap();
                    write_challenge_for_code(
                        &mut b,
                        e.kind(),
                        mode,
                        tried,
                        Some("api"),
                        Some("read"),
                    )
                    .unwrap();
                    assert_eq!(a, b);
                }
            }
        }
    }

    #[test]
    #[cfg(feature = "alloc")]
    fn challenges_name_the_scheme_tried() {
        use crate::dpop::ProofPolicy;
        use crate::{Algorithm, AlgorithmSet, BindingFault};
        let p = ProofPolicy::new(AlgorithmSet::from_slice(&[
            Algorithm::ES256,
            Algorithm::HS256,
        ]))
        .unwrap();
        let w = |e: Error, mode, tried| {
            let mut s = alloc::string::String::new();
            write_challenge(&mut s, &e, mode, tried, Some("api"), None).unwrap();
            s
        };
        // No credentials: both schemes offered, no error on either.
        assert_eq!(
            w(
                Error::MissingToken(Absent::NoHeader),
                DpopMode::Allowed(&p),
                None
            ),
            "Bearer realm=\"api\", DPoP realm=\"api\", algs=\"ES256\""
        );
        // A Bearer refusal: the error on Bearer only.
        assert_eq!(
            w(
                Error::TokenBindingMismatch(BindingFault::BoundTokenWithoutProof),
                DpopMode::Allowed(&p),
                Some(Scheme::Bearer)
            ),
            "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"the token \
             is bound to another key or certificate\", DPoP realm=\"api\", algs=\"ES256\""
        );
        // DPoP required: only DPoP, with the nonce error.
        assert_eq!(
            w(
                Error::UseDpopNonce,
                DpopMode::Required(&p),
                Some(Scheme::Dpop)
            ),
            "DPoP realm=\"api\", algs=\"ES256\", error=\"use_dpop_nonce\", \
             error_description=\"the DPoP proof must carry the server's nonce\""
        );
        // Bearer only: today's challenge.
        assert_eq!(
            w(
                Error::MissingToken(Absent::OtherScheme),
                DpopMode::BearerOnly,
                Some(Scheme::Dpop)
            ),
            "Bearer realm=\"api\""
        );
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

    #[test]
    #[cfg(feature = "alloc")]
    fn resource_metadata_is_on_every_scheme_offered_and_escaped() {
        use crate::dpop::ProofPolicy;
        use crate::{Algorithm, AlgorithmSet};
        let p = ProofPolicy::new(AlgorithmSet::from_slice(&[Algorithm::ES256])).unwrap();
        let url = "https://api.example/.well-known/oauth-protected-resource/mcp";
        let w = |code, mode, tried, realm, url| {
            let mut s = alloc::string::String::new();
            write_challenge_with_metadata(&mut s, code, mode, tried, realm, Some("read"), url)
                .unwrap();
            s
        };
        // No credentials: the metadata URL, no error, on both schemes.
        assert_eq!(
            w(ErrorCode::MissingToken, DpopMode::Allowed(&p), None, None, Some(url)),
            "Bearer resource_metadata=\"https://api.example/.well-known/oauth-protected-resource/mcp\", \
             DPoP resource_metadata=\"https://api.example/.well-known/oauth-protected-resource/mcp\", \
             algs=\"ES256\""
        );
        // An error after realm and metadata; scope for insufficient_scope.
        assert_eq!(
            w(
                ErrorCode::InsufficientScope,
                DpopMode::BearerOnly,
                Some(Scheme::Bearer),
                Some("api"),
                Some("https://a.example/m\"x\\y")
            ),
            "Bearer realm=\"api\", resource_metadata=\"https://a.example/mxy\", \
             error=\"insufficient_scope\", error_description=\"the token lacks a required scope\", \
             scope=\"read\""
        );
        // None: exactly write_challenge_for_code.
        let mut plain = alloc::string::String::new();
        write_challenge_for_code(
            &mut plain,
            ErrorCode::InvalidDpopProof,
            DpopMode::Required(&p),
            Some(Scheme::Dpop),
            Some("api"),
            None,
        )
        .unwrap();
        assert_eq!(
            w(
                ErrorCode::InvalidDpopProof,
                DpopMode::Required(&p),
                Some(Scheme::Dpop),
                Some("api"),
                None
            )
            .replace(", scope=\"read\"", ""),
            plain
        );
    }
}
