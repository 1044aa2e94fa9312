//! Fuzz target `jwks`: see fuzz/README.md and [`tokenlane_fuzz::jwks`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenlane_fuzz::jwks(data));
