//! # tokenlane C ABI
//!
//! The C interface of [`tokenlane`](https://docs.rs/tokenlane): `libtokenlane`
//! (static and shared) and the header `include/tokenlane.h`, generated from
//! this crate by cbindgen. `ffi-c/README.md` states the conventions every
//! function follows (parameter order, ownership, outputs written only on
//! success, stable result numbers) and a complete example.
//!
//! Structure (as rustls-ffi): [`ffi`](crate) holds every pointer cast,
//! [`panic`](crate) the one panic boundary macro wrapping every entry point,
//! the core's `tokenlane::with_scratch` the per-thread buffer validations decode into, and each module one object: `error` (result codes, error detail,
//! `WWW-Authenticate`), `keyset`, `config`, `validator`, `token`, `request`
//! (the `Authorization` header).
#![allow(non_camel_case_types)]
// The crate's purpose is the C boundary: raw pointers cross it, each
// dereference in `ffi.rs` with a `// SAFETY:` comment naming the caller's
// promise.
#![allow(unsafe_code)]
// `extern "C"` entry points take raw pointers by design (C cannot call an
// `unsafe fn` any differently); each checks them for NULL and the header
// documents the caller's obligations.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

// Internal plumbing.
mod ffi;
mod panic;

// The objects, in the order the header presents them (cbindgen follows the
// module order, hence one group each, which rustfmt keeps).
pub mod error;

pub mod keyset;

#[cfg(feature = "remote")]
pub mod keysource;

pub mod config;

pub mod validator;

pub mod token;

pub mod dpop;

pub mod request;

#[cfg(feature = "remote")]
pub mod introspector;

use core::ffi::c_char;

/// The major version of this header; `tokenlane_version()` returns the
/// library's full version for checking at run time.
pub const TOKENLANE_VERSION_MAJOR: u32 = 0;
/// The minor version of this header.
pub const TOKENLANE_VERSION_MINOR: u32 = 1;
/// The patch version of this header.
pub const TOKENLANE_VERSION_PATCH: u32 = 0;

/// The library's version as a static NUL-terminated string, e.g. `"0.1.0"`.
/// Never NULL; must not be freed.
#[no_mangle]
pub extern "C" fn tokenlane_version() -> *const c_char {
    panic::ffi_boundary! {
        const VERSION: &core::ffi::CStr = match core::ffi::CStr::from_bytes_with_nul(
            concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
        ) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
        VERSION.as_ptr()
    }
}

/// The system clock as Unix seconds (0 if the clock reads before 1970), for
/// the `now` argument of the validate functions. Validation itself never
/// reads a clock: `now` is always the caller's.
#[no_mangle]
pub extern "C" fn tokenlane_now() -> u64 {
    panic::ffi_boundary! { tokenlane::UnixTime::now().as_secs() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn header_version_defines_match_the_crate_version() {
        let v = format!(
            "{}.{}.{}",
            super::TOKENLANE_VERSION_MAJOR,
            super::TOKENLANE_VERSION_MINOR,
            super::TOKENLANE_VERSION_PATCH
        );
        assert_eq!(v, env!("CARGO_PKG_VERSION"));
    }
}
