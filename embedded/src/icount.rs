//! Instructions per call, on QEMU with `-icount shift=0` (feature `icount`).
//!
//! With `-icount shift=0`, QEMU advances virtual time by exactly 1 ns per
//! guest instruction, so a timer clocked from virtual time counts
//! instructions. SysTick runs from the mps2-an386's 25 MHz core clock, i.e.
//! one tick every [`INSNS_PER_TICK`] = 40 instructions, as a 24-bit down
//! counter. [`calibrate`] checks this on a loop of known length before any
//! number is printed; counts are then exact to one tick (±40 instructions)
//! minus the measured cost of reading the counter.
//!
//! Without `-icount` the numbers are host time, not instructions: the
//! scripts always pass `-icount shift=0` with this feature.

use core::arch::asm;

use crate::out::say;
use cortex_m::peripheral::{syst::SystClkSource, SYST};

/// Instructions per SysTick tick under `-icount shift=0`: 1 ns per
/// instruction, 25 MHz core clock.
pub(crate) const INSNS_PER_TICK: u32 = 40;

/// SysTick is a 24-bit counter.
const MASK: u32 = 0x00FF_FFFF;

/// Starts SysTick from the core clock, free running over its 24 bits (no
/// interrupt: its exception stays disabled). A call longer than
/// 2^24 ticks (671 M instructions) would wrap; none comes close.
pub(crate) fn init(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(MASK);
    syst.clear_current();
    syst.enable_counter();
}

/// Runs `job`; returns its result and the ticks it took.
#[inline(never)]
fn ticks<T>(job: impl FnOnce() -> T) -> (T, u32) {
    let start = SYST::get_current();
    let out = job();
    let end = SYST::get_current();
    (out, start.wrapping_sub(end) & MASK)
}

/// Runs `job`; returns its result and the instructions it executed, less
/// the measured cost of the measurement itself.
pub(crate) fn measure<T>(overhead: u32, job: impl FnOnce() -> T) -> (T, u32) {
    let (out, t) = ticks(job);
    (out, (t * INSNS_PER_TICK).saturating_sub(overhead))
}

/// Exactly `2 * n` instructions (`subs` + `bne`, `n` times), `n >= 1`.
#[inline(never)]
fn known_loop(n: u32) {
    // SAFETY: touches only the one register it is given, no memory, no
    // stack; terminates after n iterations for n >= 1.
    unsafe {
        asm!(
            "2:",
            "subs {0}, #1",
            "bne 2b",
            inout(reg) n => _,
            options(nomem, nostack),
        );
    }
}

/// Measures the counter's own cost (an empty job) and checks it on loops of
/// 200,000 and 2,000,000 instructions: both must measure within one tick of
/// their length. Returns the overhead to subtract, or `None` (after
/// printing why) if the counter is not counting instructions.
pub(crate) fn calibrate() -> Option<u32> {
    let ((), empty) = ticks(|| ());
    let overhead = empty * INSNS_PER_TICK;
    let mut ok = true;
    for n in [100_000u32, 1_000_000] {
        let ((), got) = measure(overhead, || known_loop(core::hint::black_box(n)));
        let want = 2 * n;
        let good = got.abs_diff(want) <= 2 * INSNS_PER_TICK;
        ok &= good;
        say!(
            "[icount] calibration: loop of ",
            want,
            " instructions measured as ",
            got,
            " (",
            if good {
                "ok"
            } else {
                "WRONG: is QEMU run with -icount shift=0?"
            },
            ")"
        );
    }
    ok.then_some(overhead)
}
