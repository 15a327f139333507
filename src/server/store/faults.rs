//! What the control plane scripts for a payment's next calls: a fault
//! (a U answer with one of the U codes, an answer held, a connection
//! dropped) and how an answer reaches the client.

use std::time::Duration;

use crate::domain::FaultKind;

/// The U codes a scripted `unknown` fault may answer with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(in crate::server) enum UnknownCode {
    SystemError,
    RequestTrafficExceedLimit,
    /// The default: the U code the vendor's sandbox and published tables use.
    #[default]
    UnknownException,
}

impl UnknownCode {
    pub(in crate::server) const ALL: [UnknownCode; 3] = [
        UnknownCode::SystemError,
        UnknownCode::RequestTrafficExceedLimit,
        UnknownCode::UnknownException,
    ];

    pub(in crate::server) fn as_str(self) -> &'static str {
        match self {
            UnknownCode::SystemError => "SYSTEM_ERROR",
            UnknownCode::RequestTrafficExceedLimit => "REQUEST_TRAFFIC_EXCEED_LIMIT",
            UnknownCode::UnknownException => "UNKNOWN_EXCEPTION",
        }
    }

    pub(in crate::server) fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|known| known.as_str() == code)
    }
}

/// A fault scripted for a payment's next `count` API calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::server) struct Fault {
    pub kind: FaultKind,
    /// Used by `unknown` only.
    pub code: UnknownCode,
    /// Used by `delay` only.
    pub delay: Duration,
    pub count: u32,
}

/// How an answer that was carried out reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::server) enum Delivery {
    Now,
    /// Held this long before it is sent.
    After(Duration),
    /// The connection ends before the answer is complete.
    Drop,
}
