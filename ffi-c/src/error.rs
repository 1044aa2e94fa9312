//! Result codes, their names and HTTP mappings, the per-call error detail,
//! and the `WWW-Authenticate` writer.

use core::any::Any;
use core::ffi::{c_char, CStr};
use std::ffi::CString;
use std::sync::OnceLock;

use tokenlane::{Error, ErrorCode, KeyError, ServerFault};

use crate::ffi::{self, Castable, Filled, OutBuf, OutPtr, Text};
use crate::panic::ffi_boundary;

/// The result of every fallible function. 0 is success.
///
/// The numbers are stable: a number never changes meaning, and a retired
/// number stays reserved. Values from 1 to 99 are exactly the numbers of
/// the Rust crate's `tokenlane::ErrorCode` (the refusal codes shared by the
/// Rust, C and Python front ends; a test checks every one has its variant
/// here, with the same number and name); values from 100 up belong to the
/// C ABI only. Functions that take a code (`tokenlane_error_code_str` and the
/// others) take it as a `uint32_t`, so a number this header does not know
/// still gets a defined answer.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum_macros::FromRepr)]
pub enum tokenlane_result {
    /// Success.
    Ok = 0,
    /// Not three base64url parts, bad base64, bad JSON, duplicate members,
    /// nesting too deep.
    Malformed = 1,
    /// Over the configured size limit (`max_token_bytes`).
    TokenTooLarge = 2,
    /// `alg` is `none`, unknown, or not implemented.
    UnsupportedAlgorithm = 3,
    /// `alg` is not in the validator's list, or does not fit the key.
    AlgorithmNotAllowed = 4,
    /// The header has `crit` (no extension is implemented).
    UnsupportedCriticalHeader = 5,
    /// No key for the token's `kid`, or no fitting key when it has none.
    KeyNotFound = 6,
    /// The signature does not verify.
    InvalidSignature = 7,
    /// `exp` + leeway <= now.
    Expired = 8,
    /// `nbf` (or `iat`) - leeway > now.
    NotYetValid = 9,
    /// `iss` is not the configured issuer.
    IssuerMismatch = 10,
    /// `aud` lacks the expected audience (or the client_id).
    AudienceMismatch = 11,
    /// A token of the other lane, or another kind of JWT.
    WrongTokenType = 12,
    /// A claim the lane requires is absent.
    MissingClaim = 13,
    /// A registered claim of the wrong type or out of range.
    InvalidClaim = 14,
    /// A required scope is missing (HTTP 403).
    InsufficientScope = 15,
    /// ID token: `nonce` differs from the expected one.
    NonceMismatch = 16,
    /// ID token: `at_hash` does not match the access token.
    AtHashMismatch = 17,
    /// ID token: `auth_time` is older than `max_age` allows.
    AuthTooOld = 18,
    /// ID token: `azp` is not the client_id.
    AzpMismatch = 19,
    /// A key could not be loaded (bad JWKS, weak or broken key).
    InvalidKey = 20,
    /// The `Authorization` header is not one well-formed Bearer credential
    /// (`tokenlane_bearer_token`; HTTP 400).
    InvalidRequest = 21,
    /// The request carries no Bearer credential: no `Authorization` header,
    /// an empty one, or another scheme (`tokenlane_bearer_token`; HTTP 401
    /// with a challenge that has no error, RFC 6750 §3.1).
    MissingToken = 22,
    /// The DPoP proof is refused (RFC 9449 §4.3; HTTP 401, `DPoP` scheme).
    InvalidDpopProof = 23,
    /// The server requires a DPoP nonce the proof lacks (RFC 9449 §8).
    UseDpopNonce = 24,
    /// The token's `cnf` binding (DPoP key or client certificate) does not
    /// fit the request.
    TokenBindingMismatch = 25,
    /// The caller's DPoP replay store failed (HTTP 500, never an accept).
    ReplayCheckFailed = 26,
    /// C ABI: a required pointer argument was NULL. Nothing was done.
    NullParameter = 100,
    /// C ABI: an argument is invalid: text that is not UTF-8, an unknown
    /// algorithm name or bit, an index out of range, an unknown enum value,
    /// or a validator configuration the lane refuses (empty issuer, no
    /// audience, leeway over a day, ...). The error detail says which.
    InvalidArgument = 101,
    /// C ABI: a bug in tokenlane was caught at the boundary (a Rust panic).
    /// Nothing was returned; please report it.
    Panic = 102,
    /// C ABI: the caller's buffer is too small. `*out_len` holds the needed
    /// length (without the NUL, so the buffer needs `*out_len + 1` bytes);
    /// the buffer was not written.
    BufferTooSmall = 103,
    /// C ABI: the token does not carry this optional claim. Outputs were not
    /// written.
    ClaimAbsent = 104,
    /// A validator that follows a `tokenlane_keysource` could not get keys
    /// (the first load failed, or the last good keys are past their stale
    /// limit and refreshing fails): the token was not judged. HTTP 503,
    /// never the client's `invalid_token`. The detail says why.
    KeysUnavailable = 105,
    /// The introspection endpoint could not judge the token: down, slow,
    /// an HTTP status other than 200 (except 401/403), HTML or invalid
    /// JSON, a body over the cap. HTTP 503. The detail says why.
    IntrospectionUnavailable = 106,
    /// The introspection endpoint refused the resource server's own
    /// credentials (HTTP 401/403 from the endpoint): a configuration fault
    /// of this server, answered with HTTP 500, never the client's
    /// `invalid_token`.
    IntrospectionCredentialsRefused = 107,
}

/// The C ABI's own codes (100 to 104), with their names and the HTTP status
/// a server answers with (a fault of the server, 500: never the token's).
/// Codes 105 and up are the core's [`ServerFault`]s: their names and statuses
/// come from its table ([`tokenlane_result::fault`]).
const FFI_CODES: [(tokenlane_result, &CStr, u16); 5] = [
    (tokenlane_result::NullParameter, c"null_parameter", 500),
    (tokenlane_result::InvalidArgument, c"invalid_argument", 500),
    (tokenlane_result::Panic, c"panic", 500),
    (tokenlane_result::BufferTooSmall, c"buffer_too_small", 500),
    (tokenlane_result::ClaimAbsent, c"claim_absent", 500),
];

/// The C codes of the core's server faults, in [`ServerFault::ALL`] order.
const FAULT_CODES: [(tokenlane_result, ServerFault); 3] = [
    (
        tokenlane_result::KeysUnavailable,
        ServerFault::KeysUnavailable,
    ),
    (
        tokenlane_result::IntrospectionUnavailable,
        ServerFault::IntrospectionUnavailable,
    ),
    (
        tokenlane_result::IntrospectionCredentialsRefused,
        ServerFault::IntrospectionCredentialsRefused,
    ),
];

impl tokenlane_result {
    /// The C code for a core refusal code: the same number.
    pub(crate) fn from_core(code: ErrorCode) -> Self {
        Self::from_number(code.number()).unwrap_or(Self::Panic)
    }

    /// The code with this number, if it has one (derived from the variants
    /// above by `strum_macros::FromRepr`, so the list is written once).
    pub(crate) fn from_number(n: u32) -> Option<Self> {
        Self::from_repr(n)
    }

    /// The core's server fault this code reports, if it is one.
    pub(crate) fn fault(self) -> Option<ServerFault> {
        FAULT_CODES
            .iter()
            .find(|(r, _)| *r == self)
            .map(|(_, f)| *f)
    }

    /// The C code of a core server fault.
    #[cfg(any(feature = "remote", test))]
    pub(crate) fn from_fault(fault: ServerFault) -> Self {
        FAULT_CODES
            .iter()
            .find(|(_, f)| *f == fault)
            .map_or(Self::Panic, |(r, _)| *r)
    }

    /// The stable number.
    pub(crate) fn number(self) -> u32 {
        // Reading the discriminant of a fieldless `repr(u32)` enum.
        #[allow(clippy::as_conversions)]
        let n = self as u32;
        n
    }
}

/// Why an entry point failed: its code and a one-sentence message.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: tokenlane_result,
    pub(crate) message: String,
}

impl Failure {
    /// `null_parameter` naming the argument.
    pub(crate) fn null(name: &str) -> Self {
        Self {
            code: tokenlane_result::NullParameter,
            message: format!("argument `{name}` is NULL"),
        }
    }

    /// `invalid_argument` with a message.
    pub(crate) fn invalid(message: String) -> Self {
        Self {
            code: tokenlane_result::InvalidArgument,
            message,
        }
    }

    /// A refusal of the core, with its `Display` sentence.
    pub(crate) fn core(e: &Error) -> Self {
        Self {
            code: tokenlane_result::from_core(e.kind()),
            message: e.to_string(),
        }
    }

    /// A key that could not be loaded (`invalid_key`).
    pub(crate) fn key(e: KeyError) -> Self {
        Self::core(&Error::InvalidKey(e))
    }

    /// An absent optional claim.
    pub(crate) fn absent(claim: &str) -> Self {
        Self {
            code: tokenlane_result::ClaimAbsent,
            message: format!("the token has no `{claim}`"),
        }
    }

    /// A buffer too small for `len` bytes and a NUL.
    pub(crate) fn too_small(len: usize) -> Self {
        Self {
            code: tokenlane_result::BufferTooSmall,
            message: format!("the buffer needs {} bytes", len.saturating_add(1)),
        }
    }

    fn panic() -> Self {
        Self {
            code: tokenlane_result::Panic,
            message: String::from("internal error: a panic was caught"),
        }
    }
}

/// The outcome of a `result:` boundary as a code.
pub(crate) fn code_of(run: Result<Result<(), Failure>, Box<dyn Any + Send>>) -> tokenlane_result {
    match run {
        Ok(Ok(())) => tokenlane_result::Ok,
        Ok(Err(f)) => f.code,
        Err(_) => tokenlane_result::Panic,
    }
}

/// Writes the outcome of a `detail:` boundary into the optional detail and
/// returns its code.
///
/// # Safety
/// `detail` is NULL or a live detail handle that no other thread uses during
/// the call.
pub(crate) unsafe fn report(
    detail: *mut tokenlane_error_detail,
    run: Result<Result<(), Failure>, Box<dyn Any + Send>>,
) -> tokenlane_result {
    let failure = match run {
        Ok(Ok(())) => None,
        Ok(Err(f)) => Some(f),
        Err(_) => Some(Failure::panic()),
    };
    let code = failure.as_ref().map_or(tokenlane_result::Ok, |f| f.code);
    // SAFETY: forwarded contract.
    if let Some(d) = unsafe { ffi::try_mut(detail) } {
        d.code = code;
        d.message = Text::new(failure.as_ref().map_or("", |f| f.message.as_str()));
    }
    code
}

/// Per-call error details: the code and a one-sentence message, safe to log
/// (it never contains key material; it may quote the token's `alg`, times
/// and the caller's own arguments).
///
/// Functions that can fail for a reason worth explaining take an optional
/// `tokenlane_error_detail *detail` as their last parameter. Pass NULL to
/// skip it, or a detail from `tokenlane_error_detail_new`: the call then
/// overwrites it with its outcome (code `TOKENLANE_RESULT_OK` and an empty
/// message on success). There is no global "last error": a detail belongs
/// to its caller, so use one per thread (a detail must not be passed to two
/// calls running at the same time). Free it with
/// `tokenlane_error_detail_free`.
pub struct tokenlane_error_detail {
    _private: [u8; 0],
}

/// The Rust value behind a `tokenlane_error_detail`.
#[derive(Debug)]
pub(crate) struct Detail {
    code: tokenlane_result,
    message: Text,
}

impl Castable for tokenlane_error_detail {
    type RustType = Detail;
}

/// Creates an empty error detail (code `TOKENLANE_RESULT_OK`, empty
/// message) in `*out`. Free it with `tokenlane_error_detail_free`.
///
/// Errors: `NULL_PARAMETER` when `out` is NULL.
#[no_mangle]
pub extern "C" fn tokenlane_error_detail_new(
    out: *mut *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out = unsafe { OutPtr::new(out, "out") }?;
        out.write(ffi::box_into_ptr(Detail { code: tokenlane_result::Ok, message: Text::new("") }));
        Ok(())
    }
}

/// Frees a detail. NULL is a no-op. The detail must not be used afterwards.
#[no_mangle]
pub extern "C" fn tokenlane_error_detail_free(detail: *mut tokenlane_error_detail) {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a detail it owns and stops using.
        unsafe { ffi::free_box(detail) }
    }
}

/// The code of the last call that was given this detail
/// (`TOKENLANE_RESULT_NULL_PARAMETER` when `detail` is NULL).
#[no_mangle]
pub extern "C" fn tokenlane_error_detail_code(
    detail: *const tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! {
        // SAFETY: the caller passes NULL or a live detail.
        match unsafe { ffi::try_ref(detail) } {
            Some(d) => d.code,
            None => tokenlane_result::NullParameter,
        }
    }
}

/// Copies the message of the last call that was given this detail into
/// `buf` (capacity `buf_len` bytes), followed by a NUL, and stores its
/// length (without the NUL) in `*out_len`.
///
/// When the message and its NUL do not fit, nothing is written to `buf`,
/// `*out_len` receives the needed length (the buffer needs `*out_len + 1`
/// bytes) and the result is `TOKENLANE_RESULT_BUFFER_TOO_SMALL`. Passing
/// `buf = NULL, buf_len = 0` asks for the length only.
///
/// Errors: `NULL_PARAMETER` (`detail` or `out_len` NULL, or `buf` NULL with
/// a non-zero `buf_len`), `BUFFER_TOO_SMALL`.
#[no_mangle]
pub extern "C" fn tokenlane_error_detail_message(
    detail: *const tokenlane_error_detail,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller passes NULL or a live detail.
        let d = unsafe { ffi::try_ref(detail) }.ok_or_else(|| Failure::null("detail"))?;
        // SAFETY: the caller promises `buf_len` writable bytes at `buf` and a
        // writable `*out_len`.
        let out = unsafe { OutBuf::new(buf, buf_len, out_len) }?;
        fill(out, d.message.as_bytes())
    }
}

/// Fills a caller buffer, reporting a too-small one.
pub(crate) fn fill(out: OutBuf, text: &[u8]) -> Result<(), Failure> {
    match out.fill(text) {
        Filled::Written => Ok(()),
        Filled::TooSmall => Err(Failure::too_small(text.len())),
    }
}

/// A table of NUL-terminated strings for the core refusal codes, built once
/// from the core's own table (so the names are never copied by hand).
fn core_table(pick: fn(ErrorCode) -> &'static str) -> Vec<CString> {
    ErrorCode::ALL
        .iter()
        .map(|c| CString::new(pick(*c)).unwrap_or_default())
        .collect()
}

fn core_entry(
    table: &'static OnceLock<Vec<CString>>,
    pick: fn(ErrorCode) -> &'static str,
    code: ErrorCode,
) -> *const c_char {
    let table = table.get_or_init(|| core_table(pick));
    let found = ErrorCode::ALL
        .iter()
        .position(|c| *c == code)
        .and_then(|i| table.get(i));
    found.map_or(c"unknown".as_ptr(), |s| s.as_ptr())
}

/// The core refusal code with this number (1 to 99), if any.
pub(crate) fn core_code(code: u32) -> Option<ErrorCode> {
    ErrorCode::from_number(code)
}

/// A server fault's name as a static NUL-terminated string, built once from
/// the core's table.
fn fault_name(fault: ServerFault) -> *const c_char {
    static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
    let table = NAMES.get_or_init(|| {
        ServerFault::ALL
            .iter()
            .map(|f| CString::new(f.as_str()).unwrap_or_default())
            .collect()
    });
    let found = ServerFault::ALL
        .iter()
        .position(|f| *f == fault)
        .and_then(|i| table.get(i));
    found.map_or(c"unknown".as_ptr(), |s| s.as_ptr())
}

/// The name of a code as a static NUL-terminated string, e.g. `"expired"`
/// for 8, the same string the Rust and Python front ends use. 0 is `"ok"`;
/// the C ABI codes are `"null_parameter"`, `"invalid_argument"`, `"panic"`,
/// `"buffer_too_small"`, `"claim_absent"`, `"keys_unavailable"`,
/// `"introspection_unavailable"`, `"introspection_credentials_refused"`; any other
/// number is `"unknown"`. Never returns NULL; the string must not be freed.
#[no_mangle]
pub extern "C" fn tokenlane_error_code_str(code: u32) -> *const c_char {
    static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
    ffi_boundary! {
        if code == 0 {
            return c"ok".as_ptr();
        }
        if let Some(c) = core_code(code) {
            return core_entry(&NAMES, ErrorCode::as_str, c);
        }
        if let Some(f) = tokenlane_result::from_number(code).and_then(tokenlane_result::fault) {
            return fault_name(f);
        }
        FFI_CODES
            .iter()
            .find(|(r, _, _)| r.number() == code)
            .map_or(c"unknown".as_ptr(), |(_, name, _)| name.as_ptr())
    }
}

/// The RFC 6750 §3.1 error a resource server sends for a refusal code, as a
/// static NUL-terminated string: `"invalid_token"`, `"invalid_request"` or
/// `"insufficient_scope"`. For `MISSING_TOKEN` (no credentials: RFC 6750
/// §3.1 sends no error code), 0, the C ABI codes and unknown numbers (not
/// token refusals) it is the empty string `""`. Never returns NULL.
#[no_mangle]
pub extern "C" fn tokenlane_error_rfc6750(code: u32) -> *const c_char {
    static ERRORS: OnceLock<Vec<CString>> = OnceLock::new();
    ffi_boundary! {
        match core_code(code) {
            Some(c) => core_entry(&ERRORS, ErrorCode::rfc6750_error, c),
            None => c"".as_ptr(),
        }
    }
}

/// The HTTP status a resource server answers a refusal code with: 401, 403
/// (`INSUFFICIENT_SCOPE`), 400 (`TOKEN_TOO_LARGE`, `INVALID_REQUEST`) or 500 (`INVALID_KEY`,
/// a server configuration fault). 0 gives 200; `KEYS_UNAVAILABLE` and
/// `INTROSPECTION_UNAVAILABLE` give 503 (a server this one depends on
/// failed); the other C ABI codes, `INTROSPECTION_CREDENTIALS_REFUSED` and unknown
/// numbers give 500 (a fault of the server, not of the token).
#[no_mangle]
pub extern "C" fn tokenlane_error_http_status(code: u32) -> u16 {
    ffi_boundary! {
        if code == 0 {
            return 200;
        }
        if let Some(c) = core_code(code) {
            return c.http_status();
        }
        if let Some(f) = tokenlane_result::from_number(code).and_then(tokenlane_result::fault) {
            return f.http_status();
        }
        FFI_CODES
            .iter()
            .find(|(r, _, _)| r.number() == code)
            .map_or(500, |(_, _, status)| *status)
    }
}

/// Writes the `WWW-Authenticate` header value for a refusal code (1 to 99)
/// into `buf` (capacity `buf_len`), followed by a NUL, and its length
/// (without the NUL) into `*out_len`, e.g.
/// `Bearer realm="api", error="invalid_token", error_description="the token has expired"`.
///
/// `realm` (optional: NULL for none) is quoted after dropping `"`, `\` and
/// non-printable characters. `scope` (optional) is added only for
/// `INSUFFICIENT_SCOPE` (RFC 6750 §3). The description is a fixed phrase per
/// code and never echoes the token. For `MISSING_TOKEN` (the request sent no
/// credentials) the value is only `Bearer realm="api"` (or `Bearer`): RFC
/// 6750 §3.1 gives such a request no error information.
///
/// When the value and its NUL do not fit, `buf` is not written, `*out_len`
/// receives the needed length (the buffer needs `*out_len + 1` bytes) and the
/// result is `BUFFER_TOO_SMALL`; `buf = NULL, buf_len = 0` asks for the
/// length only.
///
/// Errors: `NULL_PARAMETER` (`out_len` NULL, or `buf` NULL with a non-zero
/// `buf_len`), `INVALID_ARGUMENT` (`code` is not a refusal code, or
/// `realm`/`scope` is not UTF-8), `BUFFER_TOO_SMALL`.
#[no_mangle]
pub extern "C" fn tokenlane_error_www_authenticate(
    code: u32,
    realm: *const c_char,
    realm_len: usize,
    scope: *const c_char,
    scope_len: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> tokenlane_result {
    ffi_boundary! { result:
        // SAFETY: the caller promises `buf_len` writable bytes at `buf` and a
        // writable `*out_len`.
        let out = unsafe { OutBuf::new(buf, buf_len, out_len) }?;
        // SAFETY: the caller passes NULL or `realm_len` readable bytes.
        let realm = unsafe { ffi::try_opt_str(realm, realm_len, "realm") }?;
        // SAFETY: the caller passes NULL or `scope_len` readable bytes.
        let scope = unsafe { ffi::try_opt_str(scope, scope_len, "scope") }?;
        let core = core_code(code)
            .ok_or_else(|| Failure::invalid(format!("{code} is not a refusal code")))?;
        let mut value = String::new();
        core
            .write_www_authenticate(&mut value, realm, scope)
            .map_err(|_| Failure::invalid(String::from("formatting failed")))?;
        fill(out, value.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_has_the_same_number_in_c() {
        for c in ErrorCode::ALL {
            assert!(
                (1..100).contains(&c.number()),
                "{c}: core codes are 1 to 99"
            );
            let r = tokenlane_result::from_core(c);
            assert_eq!(r.number(), c.number(), "{c}");
            // The C enum variant's name is the code in CamelCase.
            let camel: String = c
                .as_str()
                .split('_')
                .map(|w| {
                    let mut cs = w.chars();
                    cs.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                        .unwrap_or_default()
                })
                .collect();
            assert_eq!(format!("{r:?}"), camel);
        }
    }

    /// The refusal-code table of `ffi-c/README.md`, as the core's table makes it.
    fn readme_table() -> String {
        let mut out = String::from(
            "| number | `TOKENLANE_RESULT_…` | `tokenlane_error_code_str` | HTTP | RFC 6750 `error` |\n|---|---|---|---|---|\n",
        );
        for c in ErrorCode::ALL {
            // missing_token has no RFC 6750 error (§3.1).
            let rfc6750 = match c.rfc6750_error() {
                "" => String::from("(none)"),
                e => format!("`{e}`"),
            };
            out.push_str(&format!(
                "| {} | `{}` | `{}` | {} | {} |\n",
                c.number(),
                c.as_str().to_ascii_uppercase(),
                c.as_str(),
                c.http_status(),
                rfc6750
            ));
        }
        out
    }

    // `check_generated`: one README-block checker for every crate that
    // generates a README table from the core.
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/support/generated_block.rs"
    ));

    #[test]
    fn readme_and_header_list_every_core_code_with_its_number() {
        check_generated(
            concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"),
            &readme_table(),
        );
        let header = include_str!("../../include/tokenlane.h");
        for c in ErrorCode::ALL {
            let line = format!(
                "  TOKENLANE_RESULT_{} = {},",
                c.as_str().to_ascii_uppercase(),
                c.number()
            );
            assert!(header.contains(&line), "include/tokenlane.h lacks `{line}`");
        }
    }

    /// Every core server fault has a C code, whose name and status are
    /// the core's.
    #[test]
    fn server_faults_are_the_cores_table() {
        for f in ServerFault::ALL {
            let r = tokenlane_result::from_fault(f);
            assert_eq!(r.fault(), Some(f));
            // SAFETY: the function returns a static NUL-terminated string.
            let name = unsafe { CStr::from_ptr(tokenlane_error_code_str(r.number())) };
            assert_eq!(name.to_str(), Ok(f.as_str()));
            assert_eq!(tokenlane_error_http_status(r.number()), f.http_status());
        }
    }

    #[test]
    fn ffi_codes_round_trip_and_unknown_numbers_are_defined() {
        for (r, _, _) in FFI_CODES {
            assert_eq!(tokenlane_result::from_number(r.number()), Some(r));
        }
        // Every number that is neither a core code, 0 nor a C ABI code is
        // unknown.
        for n in 0..1000 {
            let known = n == 0
                || ErrorCode::from_number(n).is_some()
                || FFI_CODES.iter().any(|(r, _, _)| r.number() == n)
                || FAULT_CODES.iter().any(|(r, _)| r.number() == n);
            assert_eq!(tokenlane_result::from_number(n).is_some(), known, "{n}");
        }
        // SAFETY: the function returns a static NUL-terminated string.
        let s = unsafe { CStr::from_ptr(tokenlane_error_code_str(9999)) };
        assert_eq!(s.to_str(), Ok("unknown"));
        assert_eq!(tokenlane_error_http_status(9999), 500);
    }

    #[test]
    fn panic_in_a_result_boundary_is_the_panic_code() {
        let code: tokenlane_result = ffi_boundary! { result:
            if tokenlane_result::from_number(0).is_some() {
                panic!("test panic");
            }
            Ok(())
        };
        assert_eq!(code, tokenlane_result::Panic);
    }

    #[test]
    fn panic_in_a_detail_boundary_is_reported_in_the_detail() {
        let mut detail: *mut tokenlane_error_detail = core::ptr::null_mut();
        assert_eq!(
            tokenlane_error_detail_new(&mut detail),
            tokenlane_result::Ok
        );
        let code: tokenlane_result = ffi_boundary! { detail: detail;
            if tokenlane_result::from_number(0).is_some() {
                panic!("test panic");
            }
            Ok(())
        };
        assert_eq!(code, tokenlane_result::Panic);
        assert_eq!(tokenlane_error_detail_code(detail), tokenlane_result::Panic);
        let mut len = 0usize;
        assert_eq!(
            tokenlane_error_detail_message(detail, core::ptr::null_mut(), 0, &mut len),
            tokenlane_result::BufferTooSmall
        );
        assert!(len > 0);
        tokenlane_error_detail_free(detail);
    }
}
