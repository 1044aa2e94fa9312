//! Python bindings for tokenlane (placeholder).
