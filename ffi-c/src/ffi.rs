//! Every conversion between C pointers and Rust values lives here, so the
//! entry points hold no casts and no pointer arithmetic of their own.
//!
//! A C handle type (`tokenlane_keyset`, ...) is an opaque marker struct;
//! [`Castable`] names the Rust type a handle pointer really points to. A
//! handle is created by [`box_into_ptr`], borrowed by [`try_ref`] /
//! [`try_mut`] and destroyed by [`free_box`]. Caller-provided memory is read
//! through [`try_slice`] / [`try_str`] and written through [`OutPtr`] and
//! [`OutBuf`].

use core::ffi::c_char;
use core::{ptr, slice, str};

use crate::error::Failure;

/// Links a C-visible opaque marker type to the Rust value behind it.
pub(crate) trait Castable {
    /// The Rust value a `*const Self` really points to.
    type RustType;
}

/// Moves `value` to the heap and returns the owning handle pointer; C frees
/// it with the type's `*_free`, which calls [`free_box`].
pub(crate) fn box_into_ptr<C: Castable>(value: C::RustType) -> *mut C {
    Box::into_raw(Box::new(value)).cast::<C>()
}

/// Borrows the value behind a handle, or `None` for NULL.
///
/// # Safety
/// `handle` is NULL or came from [`box_into_ptr::<C>`] and has not been freed,
/// and nothing frees or mutably borrows it during `'a` (the C caller's
/// promise, written on every function taking a handle).
pub(crate) unsafe fn try_ref<'a, C: Castable>(handle: *const C) -> Option<&'a C::RustType> {
    // SAFETY: per this function's contract, a non-NULL `handle` points to a
    // live `C::RustType` allocated by `box_into_ptr`, not mutated during 'a.
    unsafe { handle.cast::<C::RustType>().as_ref() }
}

/// Mutably borrows the value behind a handle, or `None` for NULL.
///
/// # Safety
/// As [`try_ref`], and additionally no other reference to the value exists
/// during `'a` (the caller does not use the handle from another thread
/// meanwhile).
pub(crate) unsafe fn try_mut<'a, C: Castable>(handle: *mut C) -> Option<&'a mut C::RustType> {
    // SAFETY: per this function's contract, a non-NULL `handle` points to a
    // live, exclusively borrowed `C::RustType` allocated by `box_into_ptr`.
    unsafe { handle.cast::<C::RustType>().as_mut() }
}

/// Drops the value behind a handle; NULL is a no-op.
///
/// # Safety
/// `handle` is NULL or came from [`box_into_ptr::<C>`], has not been freed
/// yet, and is not used by anyone after this call.
pub(crate) unsafe fn free_box<C: Castable>(handle: *mut C) {
    if handle.is_null() {
        return;
    }
    // SAFETY: per this function's contract, the pointer came from
    // `Box::into_raw` of a `C::RustType` and ownership comes back here once.
    drop(unsafe { Box::from_raw(handle.cast::<C::RustType>()) });
}

/// Reads `len` bytes at `data`. NULL is `null_parameter` (even when `len`
/// is 0); a length over `isize::MAX` is `invalid_argument`.
///
/// # Safety
/// A non-NULL `data` points to `len` readable bytes that stay unchanged
/// during `'a`.
pub(crate) unsafe fn try_slice<'a>(
    data: *const c_char,
    len: usize,
    name: &'static str,
) -> Result<&'a [u8], Failure> {
    if data.is_null() {
        return Err(Failure::null(name));
    }
    if isize::try_from(len).is_err() {
        return Err(Failure::invalid(format!(
            "`{name}_len` is larger than any object"
        )));
    }
    // SAFETY: `data` is non-NULL, `len` fits isize, and the caller promises
    // `len` readable bytes there for 'a.
    Ok(unsafe { slice::from_raw_parts(data.cast::<u8>(), len) })
}

/// As [`try_slice`] for byte (`uint8_t`) inputs.
///
/// # Safety
/// As [`try_slice`].
pub(crate) unsafe fn try_bytes<'a>(
    data: *const u8,
    len: usize,
    name: &'static str,
) -> Result<&'a [u8], Failure> {
    // SAFETY: forwarded contract of `try_slice`.
    unsafe { try_slice(data.cast::<c_char>(), len, name) }
}

/// As [`try_slice`], and the bytes must be UTF-8 (else `invalid_argument`).
///
/// # Safety
/// As [`try_slice`].
pub(crate) unsafe fn try_str<'a>(
    data: *const c_char,
    len: usize,
    name: &'static str,
) -> Result<&'a str, Failure> {
    // SAFETY: forwarded contract of `try_slice`.
    let bytes = unsafe { try_slice(data, len, name) }?;
    str::from_utf8(bytes).map_err(|_| Failure::invalid(format!("`{name}` is not valid UTF-8")))
}

/// An optional text input: NULL means "not given" (its length is ignored).
///
/// # Safety
/// As [`try_slice`].
pub(crate) unsafe fn try_opt_str<'a>(
    data: *const c_char,
    len: usize,
    name: &'static str,
) -> Result<Option<&'a str>, Failure> {
    if data.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract of `try_slice`; `data` is non-NULL.
    unsafe { try_str(data, len, name) }.map(Some)
}

/// An optional byte input: NULL means "not given".
///
/// # Safety
/// As [`try_slice`].
pub(crate) unsafe fn try_opt_slice<'a>(
    data: *const c_char,
    len: usize,
    name: &'static str,
) -> Result<Option<&'a [u8]>, Failure> {
    if data.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract of `try_slice`; `data` is non-NULL.
    unsafe { try_slice(data, len, name) }.map(Some)
}

/// Reads an optional `const T *` input (NULL: not given).
///
/// # Safety
/// A non-NULL `value` points to a readable, initialized `T`.
pub(crate) unsafe fn try_opt_value<T: Copy>(value: *const T) -> Option<T> {
    // SAFETY: per the contract, non-NULL means a readable initialized T.
    unsafe { value.as_ref() }.copied()
}

/// Reads a caller-owned `const T *` struct; NULL is `None`.
///
/// # Safety
/// A non-NULL `value` points to an initialized `T` unchanged during `'a`.
pub(crate) unsafe fn try_struct<'a, T>(value: *const T) -> Option<&'a T> {
    // SAFETY: per the contract.
    unsafe { value.as_ref() }
}

/// A checked, non-NULL output location: created before any work is done
/// (so a NULL output fails the call up front), written only on success.
pub(crate) struct OutPtr<T>(ptr::NonNull<T>);

impl<T> OutPtr<T> {
    /// Checks `out` for NULL.
    ///
    /// # Safety
    /// A non-NULL `out` is valid for writing one `T` until the call returns.
    pub(crate) unsafe fn new(out: *mut T, name: &'static str) -> Result<Self, Failure> {
        ptr::NonNull::new(out)
            .map(Self)
            .ok_or_else(|| Failure::null(name))
    }

    /// Stores `value` (without reading or dropping the old contents: C
    /// output locations hold plain data).
    pub(crate) fn write(self, value: T) {
        // SAFETY: `new`'s caller promised the location is writable for one T
        // until the call returns, and `self` is consumed, so this is the
        // one write.
        unsafe { self.0.as_ptr().write(value) }
    }
}

/// A checked caller-owned text buffer (`char *buf, size_t buf_len,
/// size_t *out_len`).
pub(crate) struct OutBuf {
    buf: *mut c_char,
    cap: usize,
    out_len: OutPtr<usize>,
}

/// What [`OutBuf::fill`] did.
pub(crate) enum Filled {
    /// Written, with a NUL after it.
    Written,
    /// Not written: the buffer needs `len + 1` bytes.
    TooSmall,
}

impl OutBuf {
    /// Checks `out_len` for NULL, and `buf` for NULL unless `cap` is 0 (a
    /// `NULL, 0` buffer asks for the needed length only).
    ///
    /// # Safety
    /// A non-NULL `buf` is valid for writing `cap` bytes and `out_len` for
    /// one `size_t`, until the call returns.
    pub(crate) unsafe fn new(
        buf: *mut c_char,
        cap: usize,
        out_len: *mut usize,
    ) -> Result<Self, Failure> {
        // SAFETY: forwarded contract.
        let out_len = unsafe { OutPtr::new(out_len, "out_len") }?;
        if buf.is_null() && cap != 0 {
            return Err(Failure::null("buf"));
        }
        Ok(Self { buf, cap, out_len })
    }

    /// Writes `text` and a NUL when `len + 1 <= cap`; in every case stores
    /// `len` (without the NUL) in `*out_len`.
    pub(crate) fn fill(self, text: &[u8]) -> Filled {
        let len = text.len();
        self.out_len.write(len);
        if len >= self.cap {
            return Filled::TooSmall;
        }
        // SAFETY: `len < cap`, so `len + 1` bytes fit in the `cap` writable
        // bytes `new`'s caller promised; `text` is Rust memory, so the two
        // regions cannot overlap.
        unsafe {
            let dst = self.buf.cast::<u8>();
            ptr::copy_nonoverlapping(text.as_ptr(), dst, len);
            dst.add(len).write(0);
        }
        Filled::Written
    }
}

/// Text owned by a handle, kept with a trailing NUL so C may also read it as
/// a C string (the length stays authoritative: a claim may contain `\u0000`).
#[derive(Debug, Clone)]
pub(crate) struct Text(Box<[u8]>);

impl Text {
    /// Copies `s` and appends a NUL.
    pub(crate) fn new(s: &str) -> Self {
        let mut v = Vec::with_capacity(s.len().saturating_add(1));
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        Self(v.into_boxed_slice())
    }

    /// The text without its NUL.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.split_last().map_or(&[], |(_, rest)| rest)
    }

    /// The start of the text, for C (NUL-terminated).
    pub(crate) fn as_ptr(&self) -> *const c_char {
        self.0.as_ptr().cast::<c_char>()
    }

    /// The length without the NUL.
    pub(crate) fn len(&self) -> usize {
        self.as_bytes().len()
    }
}
