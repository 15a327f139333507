//! The reference server. Placeholder.
