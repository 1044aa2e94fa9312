//! Accepted tokens: owned copies of what validation exposed, read through
//! getters. An access token has scopes; an ID token has none.
//!
//! A token's texts live in one allocation ([`Texts`]), each copied once
//! from the validated token and followed by a NUL; the token value itself
//! is the second and last allocation of a validation through the C ABI.

use core::ffi::c_char;

use tokenlane::{AccessToken, IdToken};

use crate::error::{tokenlane_result, Failure};
use crate::ffi::{self, Castable, List, OutPtr, Span, TextRef, Texts, TextsBuilder, TextsLen};
use crate::panic::ffi_boundary;

/// Hands out a text owned by a token handle: pointer and length.
fn give(
    text: TextRef<'_>,
    out: OutPtr<*const c_char>,
    out_len: OutPtr<usize>,
) -> Result<(), Failure> {
    out.write(text.as_ptr());
    out_len.write(text.len());
    Ok(())
}

/// The texts of a token value (its `texts` field).
trait HasTexts {
    fn texts(&self) -> &Texts;
}

/// The shared body of every text getter: `pick` chooses the text's span.
///
/// # Safety
/// `handle` is NULL or a live token handle of type `C`; `out` and `out_len`
/// are NULL or writable.
unsafe fn text_getter<C: Castable>(
    handle: *const C,
    out: *mut *const c_char,
    out_len: *mut usize,
    pick: impl FnOnce(&C::RustType) -> Result<TextRef<'_>, Failure>,
) -> Result<(), Failure> {
    // SAFETY: forwarded contract.
    let t = unsafe { ffi::try_ref(handle) }.ok_or_else(|| Failure::null("token"))?;
    // SAFETY: forwarded contract.
    let out = unsafe { OutPtr::new(out, "out") }?;
    // SAFETY: forwarded contract.
    let out_len = unsafe { OutPtr::new(out_len, "out_len") }?;
    give(pick(t)?, out, out_len)
}

/// The shared body of every optional number getter.
///
/// # Safety
/// `handle` is NULL or a live token handle of type `C`; `out` is NULL or
/// writable.
unsafe fn number_getter<C: Castable>(
    handle: *const C,
    out: *mut u64,
    pick: impl FnOnce(&C::RustType) -> Result<u64, Failure>,
) -> Result<(), Failure> {
    // SAFETY: forwarded contract.
    let t = unsafe { ffi::try_ref(handle) }.ok_or_else(|| Failure::null("token"))?;
    // SAFETY: forwarded contract.
    let out = unsafe { OutPtr::new(out, "out") }?;
    out.write(pick(t)?);
    Ok(())
}

/// A text the token always has.
fn text<T: HasTexts>(t: &T, span: Span) -> Result<TextRef<'_>, Failure> {
    Ok(t.texts().get(span))
}

/// An optional claim's text, or `CLAIM_ABSENT`.
fn present<'a, T: HasTexts>(
    t: &'a T,
    span: Option<Span>,
    claim: &str,
) -> Result<TextRef<'a>, Failure> {
    span.map(|s| t.texts().get(s))
        .ok_or_else(|| Failure::absent(claim))
}

/// The `index`-th text of a list, or `INVALID_ARGUMENT`.
fn nth<T: HasTexts>(t: &T, list: List, index: usize) -> Result<TextRef<'_>, Failure> {
    t.texts().nth(list, index).ok_or_else(|| {
        Failure::invalid(format!(
            "index {index} is out of range (count {})",
            list.len()
        ))
    })
}

/// An accepted access token. Immutable; its getters may be called from any
/// thread. Free it once with `tokenlane_access_token_free`.
///
/// Text getters hand out a pointer and a length into memory owned by the
/// token: valid until `tokenlane_access_token_free`, never to be freed or
/// modified by the caller. A NUL follows each text, so it may be printed
/// as a C string, but the length is authoritative (a claim may contain an
/// escaped NUL). Getters of optional claims return `CLAIM_ABSENT` when the
/// token does not carry them; outputs are written only on success.
pub struct tokenlane_access_token {
    _private: [u8; 0],
}

/// The Rust value behind a `tokenlane_access_token`: the numbers, and the
/// spans of its texts in `texts`.
#[derive(Debug)]
pub(crate) struct AccessData {
    texts: Texts,
    alg: Span,
    iss: Span,
    sub: Option<Span>,
    client_id: Option<Span>,
    jti: Option<Span>,
    aud: List,
    scopes: List,
    claims: Span,
    exp: u64,
    iat: Option<u64>,
    nbf: Option<u64>,
}

impl AccessData {
    /// Copies what `t` exposes: every text once, into one allocation.
    pub(crate) fn new(t: &AccessToken<'_>) -> Self {
        let alg = t.alg().map_or("", |a| a.name());
        let (iss, sub, client_id, jti) = (t.iss(), t.sub(), t.client_id(), t.jti());
        let claims = t.claims_json();
        let mut len = TextsLen::default();
        len.text(alg);
        len.text(iss);
        len.opt(sub);
        len.opt(client_id);
        len.opt(jti);
        let aud_n = len.list(t.aud());
        let scope_n = len.list(t.scopes());
        len.text(claims);
        let mut b = TextsBuilder::new(&len);
        let alg = b.text(alg);
        let iss = b.text(iss);
        let sub = b.opt(sub);
        let client_id = b.opt(client_id);
        let jti = b.opt(jti);
        let aud = b.list(&aud_n);
        let scopes = b.list(&scope_n);
        let claims = b.text(claims);
        Self {
            texts: b.finish(),
            alg,
            iss,
            sub,
            client_id,
            jti,
            aud,
            scopes,
            claims,
            exp: t.exp(),
            iat: t.iat(),
            nbf: t.nbf(),
        }
    }
}

impl HasTexts for AccessData {
    fn texts(&self) -> &Texts {
        &self.texts
    }
}

impl Castable for tokenlane_access_token {
    type RustType = AccessData;
}

/// The `alg` the token was verified with (e.g. `"ES256"`); empty for a
/// token vouched for by introspection.
///
/// Errors: `NULL_PARAMETER`.
#[no_mangle]
pub extern "C" fn tokenlane_access_token_alg(
    token: *const tokenlane_access_token,
    out: *mut *const c_char,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and writable outputs.
        unsafe { text_getter(token, out, out_len, |t| text(t, t.alg)) }
    }
}

/// The issuer (`iss`, JSON-unescaped; it equals the configured issuer).
///
/// Errors: `NULL_PARAMETER`.
#[no_mangle]
pub extern "C" fn tokenlane_access_token_iss(
    token: *const tokenlane_access_token,
    out: *mut *const c_char,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and writable outputs.
        unsafe { text_getter(token, out, out_len, |t| text(t, t.iss)) }
    }
}

/// The subject (`sub`): the resource owner, or the client for a
/// client-credentials token. Always present in strict typ mode.
///
/// Errors: `NULL_PARAMETER`, `CLAIM_ABSENT` (compat mode only).
#[no_mangle]
pub extern "C" fn tokenlane_access_token_sub(
    token: *const tokenlane_access_token,
    out: *mut *const c_char,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and writable outputs.
        unsafe { text_getter(token, out, out_len, |t| present(t, t.sub, "sub")) }
    }
}

/// The OAuth client the token was issued to (`client_id`).
///
/// Errors: `NULL_PARAMETER`, `CLAIM_ABSENT` (compat mode only).
#[no_mangle]
pub extern "C" fn tokenlane_access_token_client_id(
    token: *const tokenlane_access_token,
    out: *mut *const c_char,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and writable outputs.
        unsafe { text_getter(token, out, out_len, |t| present(t, t.client_id, "client_id")) }
    }
}

/// The token's unique id (`jti`), for replay tracking.
///
/// Errors: `NULL_PARAMETER`, `CLAIM_ABSENT` (compat mode only).
#[no_mangle]
pub extern "C" fn tokenlane_access_token_jti(
    token: *const tokenlane_access_token,
    out: *mut *const c_char,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and writable outputs.
        unsafe { text_getter(token, out, out_len, |t| present(t, t.jti, "jti")) }
    }
}

/// The number of audiences in `aud` (a single string counts as 1; 0 when
/// `token` is NULL).
#[no_mangle]
pub extern "C" fn tokenlane_access_token_aud_count(token: *const tokenlane_access_token) -> usize {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a live token.
        unsafe { ffi::try_ref(token) }.map_or(0, |t| t.aud.len())
    }
}

/// The `index`-th audience (0 <= index < `tokenlane_access_token_aud_count`).
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT` (index out of range).
#[no_mangle]
pub extern "C" fn tokenlane_access_token_aud_get(
    token: *const tokenlane_access_token,
    index: usize,
    out: *mut *const c_char,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and writable outputs.
        unsafe { text_getter(token, out, out_len, |t| nth(t, t.aud, index)) }
    }
}

/// The number of scopes the token grants (`scope` split on spaces, or `scp`
/// when `scope` is absent; 0 when `token` is NULL).
#[no_mangle]
pub extern "C" fn tokenlane_access_token_scope_count(
    token: *const tokenlane_access_token,
) -> usize {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a live token.
        unsafe { ffi::try_ref(token) }.map_or(0, |t| t.scopes.len())
    }
}

/// The `index`-th scope, in token order
/// (0 <= index < `tokenlane_access_token_scope_count`).
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT` (index out of range).
#[no_mangle]
pub extern "C" fn tokenlane_access_token_scope_get(
    token: *const tokenlane_access_token,
    index: usize,
    out: *mut *const c_char,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and writable outputs.
        unsafe { text_getter(token, out, out_len, |t| nth(t, t.scopes, index)) }
    }
}

/// Whether the token grants `scope` (`scope_len` bytes; whole-word, exact
/// match). False when `token` or `scope` is NULL.
#[no_mangle]
pub extern "C" fn tokenlane_access_token_has_scope(
    token: *const tokenlane_access_token,
    scope: *const c_char,
    scope_len: usize,
) -> bool {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a live token.
        let Some(t) = (unsafe { ffi::try_ref(token) }) else { return false };
        // SAFETY: the caller passes NULL or `scope_len` readable bytes.
        let Ok(scope) = (unsafe { ffi::try_slice(scope, scope_len, "scope") }) else { return false };
        t.texts.iter(t.scopes).any(|s| s.as_bytes() == scope)
    }
}

/// The expiry time (`exp`, Unix seconds; fractions floored). 0 when `token`
/// is NULL.
#[no_mangle]
pub extern "C" fn tokenlane_access_token_exp(token: *const tokenlane_access_token) -> u64 {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a live token.
        unsafe { ffi::try_ref(token) }.map_or(0, |t| t.exp)
    }
}

/// The issue time (`iat`, Unix seconds) in `*out`.
///
/// Errors: `NULL_PARAMETER`, `CLAIM_ABSENT` (compat mode only).
#[no_mangle]
pub extern "C" fn tokenlane_access_token_iat(
    token: *const tokenlane_access_token,
    out: *mut u64,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and a writable output.
        unsafe { number_getter(token, out, |t| t.iat.ok_or_else(|| Failure::absent("iat"))) }
    }
}

/// The not-before time (`nbf`, Unix seconds) in `*out`.
///
/// Errors: `NULL_PARAMETER`, `CLAIM_ABSENT`.
#[no_mangle]
pub extern "C" fn tokenlane_access_token_nbf(
    token: *const tokenlane_access_token,
    out: *mut u64,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and a writable output.
        unsafe { number_getter(token, out, |t| t.nbf.ok_or_else(|| Failure::absent("nbf"))) }
    }
}

/// The whole claims object as JSON text (exactly the signed payload), for
/// claims without a getter (roles, tenant, ...).
///
/// Errors: `NULL_PARAMETER`.
#[no_mangle]
pub extern "C" fn tokenlane_access_token_claims_json(
    token: *const tokenlane_access_token,
    out: *mut *const c_char,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and writable outputs.
        unsafe { text_getter(token, out, out_len, |t| text(t, t.claims)) }
    }
}

/// Frees an access token and every text its getters handed out. NULL is a
/// no-op.
#[no_mangle]
pub extern "C" fn tokenlane_access_token_free(token: *mut tokenlane_access_token) {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a token it owns and stops using.
        unsafe { ffi::free_box(token) }
    }
}

/// An accepted OpenID Connect ID token: who logged in. Immutable; getters
/// may be called from any thread; free it once with
/// `tokenlane_id_token_free`. It deliberately has no scope getters: an ID
/// token grants no access. Text getters follow the rules of
/// `tokenlane_access_token`.
pub struct tokenlane_id_token {
    _private: [u8; 0],
}

/// The Rust value behind a `tokenlane_id_token`: the numbers, and the
/// spans of its texts in `texts`.
#[derive(Debug)]
pub(crate) struct IdData {
    texts: Texts,
    iss: Span,
    sub: Span,
    aud: List,
    nonce: Option<Span>,
    azp: Option<Span>,
    claims: Span,
    exp: u64,
    iat: u64,
    auth_time: Option<u64>,
}

impl IdData {
    /// Copies what `t` exposes: every text once, into one allocation.
    pub(crate) fn new(t: &IdToken<'_>) -> Self {
        let (iss, sub, nonce, azp) = (t.iss(), t.sub(), t.nonce(), t.azp());
        let claims = t.claims_json();
        let mut len = TextsLen::default();
        len.text(iss);
        len.text(sub);
        let aud_n = len.list(t.aud());
        len.opt(nonce);
        len.opt(azp);
        len.text(claims);
        let mut b = TextsBuilder::new(&len);
        let iss = b.text(iss);
        let sub = b.text(sub);
        let aud = b.list(&aud_n);
        let nonce = b.opt(nonce);
        let azp = b.opt(azp);
        let claims = b.text(claims);
        Self {
            texts: b.finish(),
            iss,
            sub,
            aud,
            nonce,
            azp,
            claims,
            exp: t.exp(),
            iat: t.iat(),
            auth_time: t.auth_time(),
        }
    }
}

impl HasTexts for IdData {
    fn texts(&self) -> &Texts {
        &self.texts
    }
}

impl Castable for tokenlane_id_token {
    type RustType = IdData;
}

/// The issuer (`iss`).
///
/// Errors: `NULL_PARAMETER`.
#[no_mangle]
pub extern "C" fn tokenlane_id_token_iss(
    token: *const tokenlane_id_token,
    out: *mut *const c_char,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and writable outputs.
        unsafe { text_getter(token, out, out_len, |t| text(t, t.iss)) }
    }
}

/// The subject (`sub`): the user's stable identifier at the issuer.
///
/// Errors: `NULL_PARAMETER`.
#[no_mangle]
pub extern "C" fn tokenlane_id_token_sub(
    token: *const tokenlane_id_token,
    out: *mut *const c_char,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and writable outputs.
        unsafe { text_getter(token, out, out_len, |t| text(t, t.sub)) }
    }
}

/// The `nonce` claim.
///
/// Errors: `NULL_PARAMETER`, `CLAIM_ABSENT`.
#[no_mangle]
pub extern "C" fn tokenlane_id_token_nonce(
    token: *const tokenlane_id_token,
    out: *mut *const c_char,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and writable outputs.
        unsafe { text_getter(token, out, out_len, |t| present(t, t.nonce, "nonce")) }
    }
}

/// The authorized party (`azp`).
///
/// Errors: `NULL_PARAMETER`, `CLAIM_ABSENT`.
#[no_mangle]
pub extern "C" fn tokenlane_id_token_azp(
    token: *const tokenlane_id_token,
    out: *mut *const c_char,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and writable outputs.
        unsafe { text_getter(token, out, out_len, |t| present(t, t.azp, "azp")) }
    }
}

/// The number of audiences in `aud` (0 when `token` is NULL).
#[no_mangle]
pub extern "C" fn tokenlane_id_token_aud_count(token: *const tokenlane_id_token) -> usize {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a live token.
        unsafe { ffi::try_ref(token) }.map_or(0, |t| t.aud.len())
    }
}

/// The `index`-th audience (0 <= index < `tokenlane_id_token_aud_count`).
///
/// Errors: `NULL_PARAMETER`, `INVALID_ARGUMENT` (index out of range).
#[no_mangle]
pub extern "C" fn tokenlane_id_token_aud_get(
    token: *const tokenlane_id_token,
    index: usize,
    out: *mut *const c_char,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and writable outputs.
        unsafe { text_getter(token, out, out_len, |t| nth(t, t.aud, index)) }
    }
}

/// The expiry time (`exp`, Unix seconds). 0 when `token` is NULL.
#[no_mangle]
pub extern "C" fn tokenlane_id_token_exp(token: *const tokenlane_id_token) -> u64 {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a live token.
        unsafe { ffi::try_ref(token) }.map_or(0, |t| t.exp)
    }
}

/// The issue time (`iat`, Unix seconds; required in the ID lane). 0 when
/// `token` is NULL.
#[no_mangle]
pub extern "C" fn tokenlane_id_token_iat(token: *const tokenlane_id_token) -> u64 {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a live token.
        unsafe { ffi::try_ref(token) }.map_or(0, |t| t.iat)
    }
}

/// The time the user authenticated (`auth_time`, Unix seconds) in `*out`.
///
/// Errors: `NULL_PARAMETER`, `CLAIM_ABSENT`.
#[no_mangle]
pub extern "C" fn tokenlane_id_token_auth_time(
    token: *const tokenlane_id_token,
    out: *mut u64,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and a writable output.
        unsafe { number_getter(token, out, |t| t.auth_time.ok_or_else(|| Failure::absent("auth_time"))) }
    }
}

/// The whole claims object as JSON text (exactly the signed payload), for
/// claims without a getter (name, email, ...).
///
/// Errors: `NULL_PARAMETER`.
#[no_mangle]
pub extern "C" fn tokenlane_id_token_claims_json(
    token: *const tokenlane_id_token,
    out: *mut *const c_char,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live token and writable outputs.
        unsafe { text_getter(token, out, out_len, |t| text(t, t.claims)) }
    }
}

/// Frees an ID token and every text its getters handed out. NULL is a no-op.
#[no_mangle]
pub extern "C" fn tokenlane_id_token_free(token: *mut tokenlane_id_token) {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a token it owns and stops using.
        unsafe { ffi::free_box(token) }
    }
}
