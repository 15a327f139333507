//! Request and response signing (SHA256withRSA). Placeholder.
