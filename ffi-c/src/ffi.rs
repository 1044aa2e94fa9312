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
}

/// Where one text lies in a [`Texts`]: its first byte and its length (the
/// NUL after it not counted).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    start: usize,
    len: usize,
}

/// A list of texts in a [`Texts`]: `n` [`Span`]s stored in its table from
/// byte `at` on, [`SPAN_BYTES`] each.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct List {
    at: usize,
    n: usize,
}

impl List {
    /// The number of texts in the list.
    pub(crate) fn len(self) -> usize {
        self.n
    }
}

/// Bytes of one [`Span`] in a [`Texts`] table (its start and its length,
/// native-endian `usize`s).
const SPAN_BYTES: usize = 2 * core::mem::size_of::<usize>();

/// Every text of one handle (an accepted token) in ONE allocation, each
/// followed by a NUL, and the span tables of its lists (audiences, scopes):
/// one allocation per token instead of one per text, and each text copied
/// once, straight from the validated token. Sized exactly beforehand with
/// [`TextsLen`] and filled with [`TextsBuilder`]; immutable afterwards, so
/// a pointer handed to C stays valid until the handle is freed.
#[derive(Debug)]
pub(crate) struct Texts(Box<[u8]>);

/// The empty text handed out for a span that is not in a [`Texts`]: its
/// pointer is followed by a NUL, as every text's.
static EMPTY: [u8; 1] = [0];

/// A text inside a [`Texts`], with the NUL that follows it there.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextRef<'a>(&'a [u8]);

impl<'a> TextRef<'a> {
    /// The text without its NUL.
    pub(crate) fn as_bytes(self) -> &'a [u8] {
        self.0
    }

    /// The start of the text, for C (NUL-terminated).
    pub(crate) fn as_ptr(self) -> *const c_char {
        self.0.as_ptr().cast::<c_char>()
    }

    /// The length without the NUL.
    pub(crate) fn len(self) -> usize {
        self.0.len()
    }
}

impl Texts {
    /// The text at `span` (a NUL-terminated empty text for a span that is
    /// not this value's: never the case for spans its builder returned).
    pub(crate) fn get(&self, span: Span) -> TextRef<'_> {
        let end = span.start.saturating_add(span.len);
        match (self.0.get(span.start..end), self.0.get(end)) {
            (Some(text), Some(0)) => TextRef(text),
            _ => TextRef(EMPTY.get(..0).unwrap_or_default()),
        }
    }

    /// The `index`-th text of `list`, or `None` past its end.
    pub(crate) fn nth(&self, list: List, index: usize) -> Option<TextRef<'_>> {
        if index >= list.n {
            return None;
        }
        let at = index.checked_mul(SPAN_BYTES)?.checked_add(list.at)?;
        let entry = self.0.get(at..at.checked_add(SPAN_BYTES)?)?;
        let (start, len) = entry.split_at(SPAN_BYTES / 2);
        let start = usize::from_ne_bytes(start.try_into().ok()?);
        let len = usize::from_ne_bytes(len.try_into().ok()?);
        Some(self.get(Span { start, len }))
    }

    /// The texts of `list`, in order.
    pub(crate) fn iter(&self, list: List) -> impl Iterator<Item = TextRef<'_>> {
        (0..list.n).filter_map(move |i| self.nth(list, i))
    }
}

/// The exact size of a [`Texts`], counted text by text before building it
/// (the same texts, in any order, as the builder then receives).
#[derive(Debug, Default)]
pub(crate) struct TextsLen(usize);

impl TextsLen {
    /// Counts one text and its NUL.
    pub(crate) fn text(&mut self, s: &str) {
        self.0 = self.0.saturating_add(s.len()).saturating_add(1);
    }

    /// Counts an optional text.
    pub(crate) fn opt(&mut self, s: Option<&str>) {
        if let Some(s) = s {
            self.text(s);
        }
    }

    /// Counts a list (its texts and its table), reading it once: the
    /// result holds the texts for [`TextsBuilder::list`] when they are few.
    pub(crate) fn list<'a, L>(&mut self, list: L) -> ListItems<'a, L>
    where
        L: IntoIterator<Item = &'a str> + Copy,
    {
        let mut few = [""; FEW];
        let mut n = 0usize;
        for s in list {
            if let Some(slot) = few.get_mut(n) {
                *slot = s;
            }
            self.text(s);
            self.0 = self.0.saturating_add(SPAN_BYTES);
            n = n.saturating_add(1);
        }
        ListItems { few, n, list }
    }
}

/// How many texts of a list [`TextsLen::list`] keeps on the stack (one
/// audience and a few scopes are the common token), so that copying them
/// does not read the token's list a second time.
const FEW: usize = 8;

/// A list as [`TextsLen::list`] counted it: its length, and its texts when
/// there are at most [`FEW`] (a longer list is read again when copied).
#[derive(Debug)]
pub(crate) struct ListItems<'a, L> {
    few: [&'a str; FEW],
    n: usize,
    list: L,
}

/// Fills a [`Texts`] of a size [`TextsLen`] counted.
#[derive(Debug)]
pub(crate) struct TextsBuilder(Vec<u8>);

impl TextsBuilder {
    /// An empty builder with room for exactly `len` (so [`Self::finish`]
    /// does not reallocate).
    pub(crate) fn new(len: &TextsLen) -> Self {
        Self(Vec::with_capacity(len.0))
    }

    /// Appends `s` and a NUL.
    pub(crate) fn text(&mut self, s: &str) -> Span {
        let span = Span {
            start: self.0.len(),
            len: s.len(),
        };
        self.0.extend_from_slice(s.as_bytes());
        self.0.push(0);
        span
    }

    /// Appends an optional text.
    pub(crate) fn opt(&mut self, s: Option<&str>) -> Option<Span> {
        s.map(|s| self.text(s))
    }

    /// Appends a list [`TextsLen::list`] counted: its table, then its texts.
    pub(crate) fn list<'a, L>(&mut self, items: &ListItems<'a, L>) -> List
    where
        L: IntoIterator<Item = &'a str> + Copy,
    {
        match items.few.get(..items.n) {
            Some(few) => self.list_of(items.n, few.iter().copied()),
            None => self.list_of(items.n, items.list),
        }
    }

    /// Appends a table of `n` spans, then the texts of `items`, which has
    /// `n` (items past `n` are not stored: a list read twice cannot yield
    /// more the second time).
    fn list_of<'a>(&mut self, n: usize, items: impl IntoIterator<Item = &'a str>) -> List {
        let at = self.0.len();
        let table = n.saturating_mul(SPAN_BYTES);
        self.0.resize(at.saturating_add(table), 0);
        let mut stored = 0usize;
        for (i, s) in items.into_iter().take(n).enumerate() {
            let span = self.text(s);
            let slot = at.saturating_add(i.saturating_mul(SPAN_BYTES));
            if let Some(entry) = self.0.get_mut(slot..slot.saturating_add(SPAN_BYTES)) {
                let (start, len) = entry.split_at_mut(SPAN_BYTES / 2);
                start.copy_from_slice(&span.start.to_ne_bytes());
                len.copy_from_slice(&span.len.to_ne_bytes());
            }
            stored = i.saturating_add(1);
        }
        List { at, n: stored }
    }

    /// The finished texts.
    pub(crate) fn finish(self) -> Texts {
        Texts(self.0.into_boxed_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a handed-out text as C does: the bytes and the one after them.
    fn c_view(t: TextRef<'_>) -> (Vec<u8>, u8) {
        let with_nul = t.as_bytes().len() + 1;
        // SAFETY: a `TextRef` is followed by a NUL inside its `Texts`.
        let all = unsafe { slice::from_raw_parts(t.as_ptr().cast::<u8>(), with_nul) };
        (t.as_bytes().to_vec(), all[t.len()])
    }

    #[test]
    fn texts_are_one_exact_allocation_each_followed_by_a_nul() {
        let aud = ["https://api.example", "a\0b", ""];
        let scopes = ["read", "write"];
        let mut len = TextsLen::default();
        len.text("RS256");
        len.opt(None);
        len.opt(Some("user-123"));
        let aud_n = len.list(aud);
        let scope_n = len.list(scopes);
        let many: [&str; FEW + 2] = ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"];
        let many_n = len.list(many);
        let empty_n = len.list([]);
        assert_eq!(
            (aud_n.n, scope_n.n, many_n.n, empty_n.n),
            (3, 2, FEW + 2, 0)
        );
        let counted = len.0;
        let mut b = TextsBuilder::new(&len);
        let alg = b.text("RS256");
        assert!(b.opt(None).is_none());
        let sub = b.opt(Some("user-123")).expect("given");
        let aud_list = b.list(&aud_n);
        let scope_list = b.list(&scope_n);
        let many_list = b.list(&many_n);
        let empty = b.list(&empty_n);
        assert_eq!(b.0.capacity(), counted, "sized exactly: no reallocation");
        let t = b.finish();
        assert_eq!(t.0.len(), counted);
        assert_eq!(c_view(t.get(alg)), (b"RS256".to_vec(), 0));
        assert_eq!(c_view(t.get(sub)), (b"user-123".to_vec(), 0));
        assert_eq!(aud_list.len(), 3);
        for (i, want) in aud.iter().enumerate() {
            let got = t.nth(aud_list, i).expect("in range");
            assert_eq!(c_view(got), (want.as_bytes().to_vec(), 0));
        }
        assert!(t.nth(aud_list, 3).is_none());
        let got: Vec<&[u8]> = t.iter(scope_list).map(|s| s.as_bytes()).collect();
        assert_eq!(got, [b"read".as_slice(), b"write".as_slice()]);
        let got: Vec<&[u8]> = t.iter(many_list).map(|s| s.as_bytes()).collect();
        let want: Vec<&[u8]> = many.iter().map(|s| s.as_bytes()).collect();
        assert_eq!(got, want, "a list longer than FEW is read again, whole");
        assert_eq!(empty.len(), 0);
        assert!(t.nth(empty, 0).is_none());
        assert_eq!(t.iter(empty).count(), 0);
    }

    #[test]
    fn a_span_from_elsewhere_is_an_empty_nul_terminated_text() {
        let mut len = TextsLen::default();
        len.text("x");
        let mut b = TextsBuilder::new(&len);
        let _ = b.text("x");
        let t = b.finish();
        for span in [
            Span { start: 0, len: 5 },
            Span { start: 9, len: 0 },
            Span {
                start: usize::MAX,
                len: 2,
            },
            Span { start: 0, len: 0 }, // followed by `x`, not a NUL
        ] {
            assert_eq!(c_view(t.get(span)), (Vec::new(), 0));
        }
    }
}
