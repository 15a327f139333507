//! The wire: everything about the bytes the cancel API exchanges, declared
//! once and used by the runner (`suite`), the project's client (`client`)
//! and the scripted provider the client half talks to.
//!
//! - [`headers`]: header names, the JSON content type, which headers are
//!   secrets and how they are shown.
//! - [`message`]: a request as sent (`SentRequest`) and an answer as
//!   received (`Received`), both with masked `Debug`, and the one size cap
//!   on an answer (`MAX_ANSWER_BYTES`).
//! - [`http`]: the HTTP client, sending and reading whole answers, and the
//!   one transport-error type (`TransportError`).
//! - [`raw`]: the runner's own HTTP/1.1 for plain `http://` targets, which
//!   keeps header names as written in both directions.
//! - [`url`]: the endpoints accepted (no user-info) and every URL as shown
//!   (user-info masked).
//! - [`text`]: text from outside as shown: clipped at one documented
//!   length, control characters escaped.
//!
//! The `Signature` header's grammar and the signing scheme live in
//! [`crate::signing`] (keys, DER, header grammar, signing). Each item has
//! one path: `wire::headers::…`, `wire::message::…`, `wire::http::…`.

pub mod headers;
pub mod http;
pub mod message;
pub mod raw;
pub mod text;
pub mod url;
