//! The panic boundary: every entry point's body runs inside
//! [`ffi_boundary!`], so no panic ever unwinds into C. A caught panic becomes
//! `TOKENLANE_RESULT_PANIC`, or the documented default (false, 0, NULL) for
//! functions that return no result code.

use core::ffi::c_char;
use core::ptr;

use crate::error::tokenlane_result;

/// The value an entry point returns when its body panicked.
pub(crate) trait PanicOrDefault {
    /// The value.
    fn value() -> Self;
}

impl PanicOrDefault for tokenlane_result {
    fn value() -> Self {
        tokenlane_result::Panic
    }
}

impl PanicOrDefault for () {
    fn value() -> Self {}
}

impl PanicOrDefault for bool {
    fn value() -> Self {
        false
    }
}

impl PanicOrDefault for usize {
    fn value() -> Self {
        0
    }
}

impl PanicOrDefault for u64 {
    fn value() -> Self {
        0
    }
}

impl PanicOrDefault for u16 {
    fn value() -> Self {
        500
    }
}

impl PanicOrDefault for *const c_char {
    fn value() -> Self {
        ptr::null()
    }
}

/// Runs an entry point's body with panics caught. Three forms:
///
/// - `ffi_boundary!(detail: ptr; body)`: `body` evaluates to
///   `Result<(), Failure>`; the outcome (or a caught panic) is written to the
///   optional `tokenlane_error_detail` and its code returned.
/// - `ffi_boundary!(result: body)`: the same without a detail.
/// - `ffi_boundary!(body)`: `body` evaluates to the return value; a panic
///   gives [`PanicOrDefault::value`].
macro_rules! ffi_boundary {
    (detail: $detail:expr; $($body:tt)*) => {{
        let detail = $detail;
        let run = ::std::panic::catch_unwind(::core::panic::AssertUnwindSafe(
            || -> ::core::result::Result<(), $crate::error::Failure> { $($body)* },
        ));
        // SAFETY: every entry point taking a detail documents that it is NULL
        // or a live `tokenlane_error_detail` no other thread uses meanwhile.
        unsafe { $crate::error::report(detail, run) }
    }};
    (result: $($body:tt)*) => {{
        let run = ::std::panic::catch_unwind(::core::panic::AssertUnwindSafe(
            || -> ::core::result::Result<(), $crate::error::Failure> { $($body)* },
        ));
        $crate::error::code_of(run)
    }};
    ($($body:tt)*) => {
        match ::std::panic::catch_unwind(::core::panic::AssertUnwindSafe(|| { $($body)* })) {
            Ok(ret) => ret,
            Err(_) => $crate::panic::PanicOrDefault::value(),
        }
    };
}

pub(crate) use ffi_boundary;
