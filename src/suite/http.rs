//! The runner's HTTP, by the name the runner's code and tests have always
//! used: everything here is the one wire layer in [`crate::wire`].

pub use crate::wire::headers::{SECRET_HEADERS, shown_header_value};
pub use crate::wire::http::{
    FetchFailure, TransportError, client, error_chain, exchange, fetch, plain_http_client, send,
};
pub use crate::wire::message::{Exchanged, MAX_ANSWER_BYTES, Received, SentRequest};
