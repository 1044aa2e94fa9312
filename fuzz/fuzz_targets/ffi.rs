//! Fuzz target `ffi` (feature `ffi`): see fuzz/README.md and [`tokenlane_fuzz::ffi`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenlane_fuzz::ffi(data));
