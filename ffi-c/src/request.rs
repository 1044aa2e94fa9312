//! The request around the token: the `Authorization` header, parsed by the
//! core's `tokenlane::request::bearer_token` (one rule for every front end).

use core::ffi::c_char;

use crate::error::{tokenlane_error_detail, tokenlane_result, Failure};
use crate::ffi::{self, OutPtr};
use crate::panic::ffi_boundary;

/// Finds the Bearer token in an `Authorization` header value (RFC 6750 §2.1):
/// `header` is the value (`header_len` bytes, no NUL needed), or NULL when
/// the request has no `Authorization` header (`header_len` is then ignored).
///
/// The rules (the Rust core's, the same in Python and the CLI): leading and
/// trailing spaces and tabs are ignored; the scheme `Bearer` matches in any
/// casing; one or more spaces; then exactly one `token68` credential.
///
/// On success `*out_token` points **into `header`** (no copy, nothing to
/// free; valid as long as `header` is) and `*out_token_len` receives its
/// length; pass them to `tokenlane_access_validator_validate`. On failure
/// the outputs are not written.
///
/// Errors:
/// - `MISSING_TOKEN`: no credentials (`header` NULL, empty, or another
///   scheme such as `Basic`). Answer 401 with the challenge
///   `tokenlane_error_www_authenticate(TOKENLANE_RESULT_MISSING_TOKEN, ...)`
///   writes: `Bearer realm="..."`, without an error (RFC 6750 §3.1).
/// - `INVALID_REQUEST`: not one well-formed Bearer credential (`Bearer`
///   alone, two credentials, a tab after the scheme, a character outside
///   `token68`, ...). Answer 400 with its challenge
///   (`error="invalid_request"`).
/// - `NULL_PARAMETER`: `out_token` or `out_token_len` is NULL.
///
/// `detail` (optional, NULL for none) receives the reason in one sentence.
/// Thread safety: no shared state; any thread may call it.
#[no_mangle]
pub extern "C" fn tokenlane_bearer_token(
    header: *const c_char,
    header_len: usize,
    out_token: *mut *const c_char,
    out_token_len: *mut usize,
    detail: *mut tokenlane_error_detail,
) -> tokenlane_result {
    ffi_boundary! { detail: detail;
        // SAFETY: the caller passes NULL or `header_len` readable bytes that
        // stay unchanged during the call.
        let header = unsafe { ffi::try_opt_slice(header, header_len, "header") }?;
        // SAFETY: the caller passes NULL or a writable pointer location.
        let out_token = unsafe { OutPtr::new(out_token, "out_token") }?;
        // SAFETY: the caller passes NULL or a writable size_t.
        let out_token_len = unsafe { OutPtr::new(out_token_len, "out_token_len") }?;
        let token = tokenlane::request::bearer_token(header).map_err(|e| Failure::core(&e))?;
        out_token.write(token.as_ptr().cast::<c_char>());
        out_token_len.write(token.len());
        Ok(())
    }
}
