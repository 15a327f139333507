//! A request as it goes on the wire and an answer as it comes off it: the
//! one recorded shape the runner, the project's client and the scripted
//! provider share. `Debug` masks secret headers, so no log of either can
//! leak a signature.

use std::fmt;

use super::headers::{MaskedHeaders, header};

/// The most of an answer anyone here reads, runner and client alike: a
/// cancel answer is a few hundred bytes, and a larger one is a fault of the
/// peer, not a reason to run out of memory. One value for both: the client
/// used to stop at 256 KiB, but the runner's 1 MiB is what its reports
/// promise (a hostile target's oversized answer is named with this number),
/// and either cap is a thousand times any real answer.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// A request exactly as it goes on the wire. Its `Debug` masks the
/// signature, so that no log of it can leak one.
#[derive(Clone)]
pub struct SentRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl fmt::Debug for SentRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &MaskedHeaders(&self.headers))
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// An answer exactly as it came off the wire (header names lowercase).
/// Its `Debug` masks the signature too.
#[derive(Clone)]
pub struct Received {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl fmt::Debug for Received {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Received")
            .field("status", &self.status)
            .field("headers", &MaskedHeaders(&self.headers))
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

impl Received {
    /// The first header with this name (names are stored lowercase and
    /// compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// An answer together with its header names exactly as they came off the
/// wire. `raw_names` is `None` where the runner cannot see them (an
/// `https://` target, read through a client that lowercases every name).
#[derive(Debug, Clone)]
pub struct Exchanged {
    pub received: Received,
    pub raw_names: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_match_in_any_case_and_secrets_are_masked() {
        let answer = Received {
            status: 200,
            headers: vec![
                (
                    "signature".into(),
                    "algorithm=RSA256,signature=SECRET".into(),
                ),
                ("client-id".into(), "C".into()),
            ],
            body: b"{}".to_vec(),
        };
        assert_eq!(answer.header("Client-Id"), Some("C"));
        assert_eq!(answer.header("client-id"), Some("C"));
        assert_eq!(answer.header("response-time"), None);
        let request = SentRequest {
            method: "POST".into(),
            path: "/p".into(),
            headers: vec![(
                "Signature".into(),
                "algorithm=RSA256,signature=SECRET".into(),
            )],
            body: b"{}".to_vec(),
        };
        for shown in [format!("{answer:?}"), format!("{request:?}")] {
            assert!(!shown.contains("SECRET"), "{shown}");
            assert!(shown.contains("***"), "{shown}");
        }
    }
}
