//! Accepted tokens: owned copies of what validation exposed, read through
//! getters. An access token has scopes; an ID token has none.

use core::ffi::c_char;

use tokenlane::{AccessToken, IdToken, StrList};

use crate::error::{tokenlane_result, Failure};
use crate::ffi::{self, Castable, OutPtr, Text};
use crate::panic::ffi_boundary;

fn texts(list: StrList<'_>) -> Vec<Text> {
    list.iter().map(Text::new).collect()
}

/// Hands out a text owned by a token handle: pointer and length.
fn give(text: &Text, out: OutPtr<*const c_char>, out_len: OutPtr<usize>) -> Result<(), Failure> {
    out.write(text.as_ptr());
    out_len.write(text.len());
    Ok(())
}

/// The shared body of every text getter.
///
/// # Safety
/// `handle` is NULL or a live token handle of type `C`; `out` and `out_len`
/// are NULL or writable.
unsafe fn text_getter<C: Castable>(
    handle: *const C,
    out: *mut *const c_char,
    out_len: *mut usize,
    pick: impl FnOnce(&C::RustType) -> Result<&Text, Failure>,
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

fn present<'a>(text: &'a Option<Text>, claim: &str) -> Result<&'a Text, Failure> {
    text.as_ref().ok_or_else(|| Failure::absent(claim))
}

fn nth(list: &[Text], index: usize) -> Result<&Text, Failure> {
    list.get(index).ok_or_else(|| {
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

/// The Rust value behind a `tokenlane_access_token`.
#[derive(Debug)]
pub(crate) struct AccessData {
    alg: Text,
    iss: Text,
    sub: Option<Text>,
    client_id: Option<Text>,
    jti: Option<Text>,
    aud: Vec<Text>,
    scopes: Vec<Text>,
    exp: u64,
    iat: Option<u64>,
    nbf: Option<u64>,
    claims: Text,
}

impl AccessData {
    pub(crate) fn new(t: &AccessToken<'_>) -> Self {
        Self {
            alg: Text::new(t.alg().map_or("", |a| a.name())),
            iss: Text::new(t.iss()),
            sub: t.sub().map(Text::new),
            client_id: t.client_id().map(Text::new),
            jti: t.jti().map(Text::new),
            aud: texts(t.aud()),
            scopes: texts(t.scopes()),
            exp: t.exp(),
            iat: t.iat(),
            nbf: t.nbf(),
            claims: Text::new(t.claims_json()),
        }
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
        unsafe { text_getter(token, out, out_len, |t| Ok(&t.alg)) }
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
        unsafe { text_getter(token, out, out_len, |t| Ok(&t.iss)) }
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
        unsafe { text_getter(token, out, out_len, |t| present(&t.sub, "sub")) }
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
        unsafe { text_getter(token, out, out_len, |t| present(&t.client_id, "client_id")) }
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
        unsafe { text_getter(token, out, out_len, |t| present(&t.jti, "jti")) }
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
        unsafe { text_getter(token, out, out_len, |t| nth(&t.aud, index)) }
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
        unsafe { text_getter(token, out, out_len, |t| nth(&t.scopes, index)) }
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
        t.scopes.iter().any(|s| s.as_bytes() == scope)
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
        unsafe { text_getter(token, out, out_len, |t| Ok(&t.claims)) }
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

/// The Rust value behind a `tokenlane_id_token`.
#[derive(Debug)]
pub(crate) struct IdData {
    iss: Text,
    sub: Text,
    aud: Vec<Text>,
    exp: u64,
    iat: u64,
    auth_time: Option<u64>,
    nonce: Option<Text>,
    azp: Option<Text>,
    claims: Text,
}

impl IdData {
    pub(crate) fn new(t: &IdToken<'_>) -> Self {
        Self {
            iss: Text::new(t.iss()),
            sub: Text::new(t.sub()),
            aud: texts(t.aud()),
            exp: t.exp(),
            iat: t.iat(),
            auth_time: t.auth_time(),
            nonce: t.nonce().map(Text::new),
            azp: t.azp().map(Text::new),
            claims: Text::new(t.claims_json()),
        }
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
        unsafe { text_getter(token, out, out_len, |t| Ok(&t.iss)) }
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
        unsafe { text_getter(token, out, out_len, |t| Ok(&t.sub)) }
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
        unsafe { text_getter(token, out, out_len, |t| present(&t.nonce, "nonce")) }
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
        unsafe { text_getter(token, out, out_len, |t| present(&t.azp, "azp")) }
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
        unsafe { text_getter(token, out, out_len, |t| nth(&t.aud, index)) }
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
        unsafe { text_getter(token, out, out_len, |t| Ok(&t.claims)) }
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
