//! Fuzz target `cli_inspect`: see fuzz/README.md and [`tokenlane_fuzz::cli_inspect`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenlane_fuzz::cli_inspect(data));
