//! Fuzz target `token`: see fuzz/README.md and [`tokenlane_fuzz::token`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenlane_fuzz::token(data));
