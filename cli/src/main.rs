//! The `tokenlane` binary; the command lives in the `tokenlane_cli` library
//! (`src/lib.rs`) so that tests and the fuzz target can drive it.

fn main() -> std::process::ExitCode {
    tokenlane_cli::run()
}
