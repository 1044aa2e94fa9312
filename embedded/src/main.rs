//! tokenlane on a Cortex-M4 with no heap.
//!
//! Validates ES256 and HS256 access tokens (minted by Python `cryptography`,
//! see `gen_tokens.py`) against fixed keys and a fixed `now`, checks that an
//! ID token, a tampered signature and an expired token are refused with the
//! right codes, prints each verdict and the peak stack over semihosting, and
//! exits through semihosting with success only if every verdict was right.
//!
//! There is no global allocator: nothing here or in tokenlane (built without
//! `alloc`) can use a heap, so any heap use would fail to link.
//!
//! Features: `es256` (ES256 on `p256`), `cm4` (ES256 on `p256-cm4`), `hs256`,
//! `eddsa` (Ed25519 on `ed25519-dalek`) (default: `es256` + `hs256`); `icount`, `wycheproof`, `steps` add
//! measurements and checks. With no algorithm, the firmware is
//! the bare harness, the baseline of the footprint table in `EMBEDDED.md`.

#![no_std]
#![no_main]

mod out;
mod stack;

// Size-tuned memcpy / memmove / memset (see the file's header).
core::arch::global_asm!(include_str!("mem.s"), options(raw));
#[rustfmt::skip]
#[cfg_attr(
    not(all(any(feature = "es256", feature = "cm4"), feature = "hs256", feature = "eddsa")),
    allow(dead_code)
)]
mod tokens;

use cortex_m_rt::{entry, exception, ExceptionFrame};
use cortex_m_semihosting::debug;

use crate::out::{say, Hex};

#[cfg(feature = "icount")]
mod icount;
#[cfg(feature = "memtest")]
mod memtest;
#[cfg(any(
    feature = "es256",
    feature = "cm4",
    feature = "hs256",
    feature = "eddsa"
))]
mod validate;
#[cfg(all(feature = "wycheproof", any(feature = "es256", feature = "cm4")))]
mod wycheproof;

/// Tally of verdicts.
#[derive(Default)]
pub(crate) struct Tally {
    pub(crate) passed: u32,
    pub(crate) failed: u32,
}

/// Stack bookkeeping across jobs.
///
/// The free stack is painted when the meter starts and repainted before
/// each job; every repaint is preceded by a scan, so the whole-firmware peak
/// covers everything that ran in between (key setup, printing).
pub(crate) struct StackMeter {
    /// The current painting.
    painted: stack::Painted,
    /// Lowest stack address seen touched, by anything.
    lowest: usize,
    /// Deepest single job, in bytes below `main`'s stack pointer.
    job_peak: usize,
    /// Set if a measurement ran past the painted window.
    overflow: bool,
}

impl StackMeter {
    fn start() -> Self {
        Self {
            painted: stack::paint(),
            lowest: stack::top(),
            job_peak: 0,
            overflow: false,
        }
    }

    /// Scans the current painting; returns the lowest touched address.
    fn scan(&mut self) -> usize {
        match stack::lowest_touched(self.painted) {
            Some(low) => {
                self.lowest = self.lowest.min(low);
                low
            }
            None => {
                self.overflow = true;
                0
            }
        }
    }

    /// Runs `job` on a freshly painted stack; returns its result and its
    /// depth in bytes below `base` (`main`'s stack pointer).
    pub(crate) fn measure<T>(&mut self, base: usize, job: impl FnOnce() -> T) -> (T, usize) {
        self.scan();
        self.painted = stack::paint();
        let out = job();
        let depth = base.saturating_sub(self.scan());
        self.job_peak = self.job_peak.max(depth);
        (out, depth)
    }
}

/// Exits with failure.
#[cfg(any(
    any(feature = "es256", feature = "cm4"),
    feature = "hs256",
    feature = "eddsa",
    feature = "icount"
))]
pub(crate) fn fail_now() -> ! {
    debug::exit(debug::EXIT_FAILURE);
    #[allow(clippy::empty_loop)]
    loop {}
}

#[entry]
fn main() -> ! {
    let base = stack::sp();
    let mut meter = StackMeter::start();
    let mut tally = Tally::default();
    #[cfg(feature = "icount")]
    let overhead = {
        match cortex_m::Peripherals::take() {
            Some(p) => icount::init(p.SYST),
            None => fail_now(),
        }
        match icount::calibrate() {
            Some(o) => o,
            None => fail_now(),
        }
    };
    #[cfg(not(feature = "icount"))]
    let overhead = 0;

    #[cfg(any(
        feature = "es256",
        feature = "cm4",
        feature = "hs256",
        feature = "eddsa"
    ))]
    validate::run(base, &mut meter, &mut tally, overhead);
    #[cfg(all(feature = "wycheproof", any(feature = "es256", feature = "cm4")))]
    wycheproof::run(&mut tally);
    #[cfg(feature = "memtest")]
    memtest::run(&mut tally);
    #[cfg(not(any(
        feature = "es256",
        feature = "cm4",
        feature = "hs256",
        feature = "eddsa"
    )))]
    {
        let _ = overhead;
        let _ = meter.measure(base, || core::hint::black_box(tokens::NOW));
        say!("harness only: no validation");
    }

    // The stack line's own printing is as deep as a verdict's, measured
    // above; the summary line is printed after the last scan.
    meter.scan();
    if meter.overflow {
        say!(
            "stack: overflowed the ",
            stack::WINDOW,
            "-byte painted window"
        );
        tally.failed += 1;
    } else {
        say!(
            "stack: peak ",
            stack::top().saturating_sub(meter.lowest),
            " bytes (reset+main frames ",
            stack::top().saturating_sub(base),
            ", deepest job ",
            meter.job_peak,
            " below main)"
        );
    }
    say!(
        "embedded: ",
        tally.passed,
        " passed, ",
        tally.failed,
        " failed"
    );
    debug::exit(if tally.failed == 0 {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    #[allow(clippy::empty_loop)]
    loop {}
}

/// Number of external interrupts of the AN386 image's CMSDK Cortex-M4
/// (and of QEMU's `mps2-an386` model).
const IRQS: usize = 32;

extern "C" {
    /// cortex-m-rt's handler for every unexpected exception (defined below
    /// with `#[exception]`).
    fn DefaultHandler();
}

/// The device interrupt vector (cortex-m-rt's `device` feature leaves it to
/// the application): every interrupt goes to `DefaultHandler`, and none is
/// ever enabled.
#[link_section = ".vector_table.interrupts"]
#[no_mangle]
#[used]
static __INTERRUPTS: [unsafe extern "C" fn(); IRQS] = [DefaultHandler; IRQS];

/// A fault is a failed run: say so and exit with failure.
#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    say!("HardFault at pc=", Hex(frame.pc()), " lr=", Hex(frame.lr()));
    debug::exit(debug::EXIT_FAILURE);
    #[allow(clippy::empty_loop)]
    loop {}
}

/// Any other exception or interrupt: unexpected, so a failure.
#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    say!(
        "unexpected exception ",
        u32::from(irqn.unsigned_abs()),
        if irqn < 0 { " (negative)" } else { "" }
    );
    debug::exit(debug::EXIT_FAILURE);
}

/// A panic (none is expected: the core does not panic on any input) is a
/// failed run.
///
/// It prints its file and line only with the `panic-location` feature:
/// reading `info.location()` keeps every panic site's location and message
/// arguments (and with them `core::fmt`'s integer formatting) in the image,
/// about 2.5 KB of flash for a line that a correct run never prints.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    #[cfg(feature = "panic-location")]
    match info.location() {
        Some(at) => say!("panic at ", at.file(), ":", at.line()),
        None => say!("panic"),
    }
    #[cfg(not(feature = "panic-location"))]
    {
        let _ = info;
        say!("panic (rebuild with --features panic-location for its file and line)");
    }
    debug::exit(debug::EXIT_FAILURE);
    #[allow(clippy::empty_loop)]
    loop {}
}
