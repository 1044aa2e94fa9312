//! The scratch buffer a validation decodes the token into, for front ends
//! that validate on many threads (the C library, the Python wheel): one per
//! thread, reused from call to call instead of an allocation per
//! validation, and zeroed after every use (it holds the decoded token).
//! Feature `std` (thread-local storage).
//!
//! Bounds: a thread keeps at most [`KEPT_SCRATCH`] bytes between calls; a
//! larger buffer (a token over about 40 KiB) is freed after its call. The
//! buffer is freed when its thread exits (Rust's thread-local destructor,
//! which also runs for threads a C caller created).

use alloc::vec::Vec;
use core::cell::RefCell;

/// The largest scratch buffer a thread keeps between calls (64 KiB: tokens
/// up to about 40 KiB); a larger one is freed after its call, so one huge
/// token does not pin memory in a thread.
pub const KEPT_SCRATCH: usize = 64 * 1024;

std::thread_local! {
    /// This thread's reused scratch buffer ([`with_scratch`]). All zero
    /// between calls.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Zeroes the bytes a call used, also when the call panics (the panic
/// boundary catches it, and the thread's buffer must not keep the token).
struct ZeroOnDrop<'a>(&'a mut [u8]);

impl Drop for ZeroOnDrop<'_> {
    fn drop(&mut self) {
        self.0.fill(0);
    }
}

/// Runs `f` with a zeroed buffer of `need` bytes (for a validation,
/// [`crate::scratch_len`] of the token's length): this thread's buffer
/// (grown when too small), zeroed again after `f` returns or panics. Should
/// `f` run while the buffer is already in use (a nested validation on the
/// same thread), it gets a fresh allocation instead. Whatever `f` returns
/// must not borrow the buffer (the signature enforces it). Never fails;
/// allocates only when the thread's buffer is too small or in use.
pub fn with_scratch<R>(need: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            if buf.len() < need {
                buf.resize(need, 0);
            }
            let r = {
                let used = ZeroOnDrop(buf.get_mut(..need).unwrap_or_default());
                f(used.0)
            };
            if buf.len() > KEPT_SCRATCH {
                *buf = Vec::new();
            }
            r
        }
        Err(_) => f(&mut alloc::vec![0; need]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_after_use_and_on_panic() {
        with_scratch(100, |b| {
            assert!(b.iter().all(|&x| x == 0));
            b.fill(7);
        });
        with_scratch(50, |b| assert!(b.iter().all(|&x| x == 0)));
        let caught = std::panic::catch_unwind(|| {
            with_scratch(100, |b| {
                b.fill(9);
                panic!("inside");
            })
        });
        assert!(caught.is_err());
        with_scratch(100, |b| {
            assert_eq!(b.len(), 100);
            assert!(b.iter().all(|&x| x == 0));
        });
    }

    #[test]
    fn nested_use_gets_its_own_buffer_and_large_ones_are_not_kept() {
        with_scratch(10, |outer| {
            outer.fill(1);
            with_scratch(10, |inner| {
                assert!(inner.iter().all(|&x| x == 0));
                inner.fill(2);
            });
            assert!(outer.iter().all(|&x| x == 1));
        });
        with_scratch(KEPT_SCRATCH + 1, |b| assert_eq!(b.len(), KEPT_SCRATCH + 1));
        SCRATCH.with(|c| assert!(c.borrow().capacity() == 0));
        with_scratch(16, |_| {});
        SCRATCH.with(|c| assert!(c.borrow().iter().all(|&x| x == 0)));
    }
}
