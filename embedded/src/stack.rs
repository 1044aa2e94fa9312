//! Peak stack measurement by painting.
//!
//! [`paint`] fills the free stack below the current stack pointer with a
//! pattern; after the work, [`lowest_touched`] scans up from the bottom for
//! the first word that is no longer the pattern. Everything between that
//! word and the top of the stack (`_stack_start`) has been used.
//!
//! The painted window is [`WINDOW`] bytes (or down to `_stack_end`, the end
//! of `.bss`, if that is closer); a measurement that reaches the window's
//! bottom is reported as an overflow rather than a number.

use core::ptr;

/// The pattern free stack is painted with.
const PATTERN: u32 = 0xC0FF_EE5A;

/// How far below the stack pointer [`paint`] paints, in bytes.
pub(crate) const WINDOW: usize = 64 * 1024;

extern "C" {
    /// Top of the stack (initial SP), from cortex-m-rt's `link.x`.
    static _stack_start: u32;
    /// Lowest address the stack may use (end of `.bss`), from `link.x`.
    static _stack_end: u32;
}

/// The address of the top of the stack.
pub(crate) fn top() -> usize {
    ptr::addr_of!(_stack_start).addr()
}

/// The current stack pointer.
#[inline(always)]
pub(crate) fn sp() -> usize {
    // Lossless on this 32-bit target.
    usize::try_from(cortex_m::register::msp::read()).unwrap_or(usize::MAX)
}

/// A painted region: `[bottom, end)`.
#[derive(Clone, Copy)]
pub(crate) struct Painted {
    bottom: usize,
    end: usize,
}

/// Bytes left unpainted below the stack pointer read in [`paint`]: the
/// compiler may read SP before pushing `paint`'s own frame (shrink
/// wrapping), and that frame must not be painted over.
const SLACK: usize = 128;

/// Paints the free stack below this function's own frame.
#[inline(never)]
pub(crate) fn paint() -> Painted {
    let end = sp().saturating_sub(SLACK) & !3;
    let floor = ptr::addr_of!(_stack_end).addr();
    let bottom = end.saturating_sub(WINDOW).max(floor);
    let mut at = bottom;
    while at < end {
        let word = ptr::with_exposed_provenance_mut::<u32>(at);
        // SAFETY: `[bottom, end)` is RAM between the end of `.bss` and this
        // function's stack pointer: no live data is there (no interrupts are
        // enabled, so nothing else pushes below the stack pointer), and the
        // address is 4-byte aligned.
        unsafe { ptr::write_volatile(word, PATTERN) };
        at += 4;
    }
    Painted { bottom, end }
}

/// The lowest address written since `painted` was painted, or `None` if the
/// stack reached the bottom of the painted window.
#[inline(never)]
pub(crate) fn lowest_touched(painted: Painted) -> Option<usize> {
    let mut at = painted.bottom;
    while at < painted.end {
        let word = ptr::with_exposed_provenance::<u32>(at);
        // SAFETY: the address is aligned RAM inside the painted window,
        // below every live frame that matters; reading it has no effect.
        if unsafe { ptr::read_volatile(word) } != PATTERN {
            return (at > painted.bottom).then_some(at);
        }
        at += 4;
    }
    Some(painted.end)
}
