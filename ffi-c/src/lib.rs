//! C ABI for tokenlane (placeholder).
