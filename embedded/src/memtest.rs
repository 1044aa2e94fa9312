//! Checks `mem.s` (feature `memtest`): `memcpy`, `memmove` (both
//! directions, overlapping) and `memset` on every alignment of source and
//! destination (0..4) and every length 0..=40, against a byte-by-byte
//! reference written with volatile accesses (so the compiler cannot turn
//! the reference itself into a call to the routine under test). The
//! routines are reached through `core::ptr::{copy_nonoverlapping, copy,
//! write_bytes}` with lengths hidden from the optimiser.

use core::hint::black_box;
use core::ptr;

use crate::out::say;
use crate::Tally;

const LEN: usize = 96;

fn pattern(seed: u8) -> [u8; LEN] {
    let mut b = [0u8; LEN];
    let mut x = seed;
    for v in b.iter_mut() {
        x = x.wrapping_mul(31).wrapping_add(7);
        *v = x;
    }
    b
}

/// The reference: copies through a temporary (so overlap is handled), one
/// volatile byte at a time.
fn reference_move(buf: &mut [u8; LEN], src: usize, dst: usize, n: usize) {
    let mut tmp = [0u8; LEN];
    for i in 0..n {
        // SAFETY: src + i < LEN and i < LEN (callers keep src + n, dst + n
        // <= LEN); both pointers are in bounds of their arrays.
        unsafe {
            ptr::write_volatile(
                tmp.as_mut_ptr().add(i),
                ptr::read_volatile(buf.as_ptr().add(src + i)),
            )
        };
    }
    for i in 0..n {
        // SAFETY: as above, dst + i < LEN.
        unsafe {
            ptr::write_volatile(
                buf.as_mut_ptr().add(dst + i),
                ptr::read_volatile(tmp.as_ptr().add(i)),
            )
        };
    }
}

/// Runs every case; one `[ok]` or `[FAIL]` line.
#[inline(never)]
pub(crate) fn run(tally: &mut Tally) {
    let (mut cases, mut wrong) = (0u32, 0u32);
    for n in 0..=40usize {
        for src in 0..4usize {
            for dst in 0..4usize {
                // memcpy: disjoint halves of one buffer.
                let (mut got, mut want) = (pattern(1), pattern(1));
                let (s, d) = (src, 48 + dst);
                // SAFETY: s + n <= 44 < 48 <= d and d + n <= 91 <= LEN: in
                // bounds and not overlapping.
                unsafe {
                    ptr::copy_nonoverlapping(
                        got.as_ptr().add(black_box(s)),
                        got.as_mut_ptr().add(black_box(d)),
                        black_box(n),
                    )
                };
                reference_move(&mut want, s, d, n);
                cases += 1;
                wrong += u32::from(got != want);

                // memmove: overlapping, forwards and backwards.
                for (s, d) in [(src, src + dst + 1), (src + dst + 1, src)] {
                    let (mut got, mut want) = (pattern(2), pattern(2));
                    // SAFETY: s, d < 8 and n <= 40: both ranges are in
                    // bounds; ptr::copy allows overlap.
                    unsafe {
                        ptr::copy(
                            got.as_ptr().add(black_box(s)),
                            got.as_mut_ptr().add(black_box(d)),
                            black_box(n),
                        )
                    };
                    reference_move(&mut want, s, d, n);
                    cases += 1;
                    wrong += u32::from(got != want);
                }
            }
            // memset at every destination alignment.
            let (mut got, mut want) = (pattern(3), pattern(3));
            // SAFETY: src + n <= 43 < LEN.
            unsafe {
                ptr::write_bytes(
                    got.as_mut_ptr().add(black_box(src)),
                    black_box(0xA5),
                    black_box(n),
                )
            };
            for i in src..src + n {
                // SAFETY: i < LEN.
                unsafe { ptr::write_volatile(want.as_mut_ptr().add(i), 0xA5) };
            }
            cases += 1;
            wrong += u32::from(got != want);
        }
    }
    if wrong == 0 {
        tally.passed += 1;
        say!(
            "[ok] mem.s: memcpy, memmove, memset right on ",
            cases,
            " cases"
        );
    } else {
        tally.failed += 1;
        say!("[FAIL] mem.s: ", wrong, " of ", cases, " cases wrong");
    }
}
