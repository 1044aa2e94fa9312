//! Lines over semihosting without `core::fmt`.
//!
//! `hprintln!` formats through `core::fmt` (`Formatter::pad`,
//! `pad_integral`, `write_fmt`, …: about 2 KB of flash in every image).
//! The firmware prints only strings and unsigned numbers, so [`say!`]
//! writes those pieces one by one through the semihosting stdout that
//! `hprint!` uses for a plain string (`export::hstdout_str`), with no
//! buffer on the caller's stack. With it and the panic handler's location
//! left out (`main.rs`), the images link no `core::fmt` at all, and
//! `scripts/test-embedded.sh` checks that none is in them.

use cortex_m_semihosting::export::hstdout_str;

/// Something [`say!`] can print.
pub(crate) trait Piece {
    /// Writes itself.
    fn put(&self);
}

/// A number printed as `0x` and eight hex digits.
pub(crate) struct Hex(pub(crate) u32);

/// Writes ASCII digits (always valid UTF-8).
#[inline(never)]
fn digits(bytes: &[u8]) {
    if let Ok(s) = core::str::from_utf8(bytes) {
        hstdout_str(s);
    }
}

impl Piece for &str {
    fn put(&self) {
        hstdout_str(self);
    }
}

impl Piece for u32 {
    #[inline(never)]
    fn put(&self) {
        let mut buf = [0u8; 10];
        let mut n = *self;
        let mut at = buf.len();
        while let Some(next) = at.checked_sub(1) {
            at = next;
            if let (Some(d), Ok(r)) = (buf.get_mut(at), u8::try_from(n % 10)) {
                *d = b'0' + r;
            }
            n /= 10;
            if n == 0 {
                break;
            }
        }
        digits(buf.get(at..).unwrap_or(&[]));
    }
}

impl Piece for usize {
    fn put(&self) {
        u32::try_from(*self).unwrap_or(u32::MAX).put();
    }
}

impl Piece for Hex {
    #[inline(never)]
    fn put(&self) {
        let mut buf = *b"0x00000000";
        let mut shift = 32u32;
        for d in buf.iter_mut().skip(2) {
            shift = shift.saturating_sub(4);
            let nibble = (self.0 >> shift) & 0xf;
            if let Some(&h) = b"0123456789abcdef".get(usize::try_from(nibble).unwrap_or(0)) {
                *d = h;
            }
        }
        digits(&buf);
    }
}

/// Prints its arguments (strings, `u32`, `usize`, [`Hex`]) and a newline.
macro_rules! say {
    ($($piece:expr),* $(,)?) => {{
        $( $crate::out::Piece::put(&$piece); )*
        cortex_m_semihosting::export::hstdout_str("\n");
    }};
}
pub(crate) use say;
