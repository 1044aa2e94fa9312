//! Fuzz target `claims`: see fuzz/README.md and [`tokenlane_fuzz::claims`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenlane_fuzz::claims(data));
