//! The tokenlane command (placeholder).
fn main() {}
