//! What the core's benchmarks share (`mod common;` in each bench target).

use core::time::Duration;
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
use std::time::Instant;

/// This thread's CPU time (Linux `CLOCK_THREAD_CPUTIME_ID`): on a shared,
/// loaded machine the wall clock also counts the time other processes had
/// the core, and that is not ours to measure.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
#[allow(unsafe_code)]
pub(crate) fn cpu_now() -> Duration {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `struct timespec`, which on 64-bit
    // Linux (the cfg above) is two 64-bit fields, and clock_gettime writes
    // nothing else.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

/// Elsewhere: the wall clock.
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
pub(crate) fn cpu_now() -> Duration {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}
