//! Deliberately broken servers, with which `tests/defects.rs` proves the
//! suite's power to fail: each [`Defect`] is one way a server can be wrong,
//! played by a proxy wrapped around the real reference server, never by a
//! switch inside the shipped one. [`DEFECTS`] names the case that must
//! catch each, and what its failure must say.
//!
//! The parts: the defects (`defects`), the HTTP front that reads requests
//! and writes answers by hand (`front`), the proxy that forwards to the
//! reference server and remembers what it saw (`proxy`), and what a defect
//! does to a request (`requests`) and to an answer (`answers`).

mod answers;
mod defects;
mod front;
mod proxy;
mod requests;

use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;

pub use defects::{DEFECTS, Defect};

/// A broken server listening on a local port, in front of a reference
/// server; it stops accepting when dropped.
pub struct BrokenServer {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    front: JoinHandle<()>,
}

impl BrokenServer {
    /// Starts a proxy with `defect` in front of the reference server at
    /// `upstream` (its base URL), reaching it through `http`.
    pub async fn start(
        defect: Defect,
        upstream: &str,
        http: reqwest::Client,
    ) -> std::io::Result<BrokenServer> {
        let proxy = Arc::new(proxy::Proxy {
            defect,
            upstream: upstream.to_string(),
            http,
            memory: Mutex::default(),
        });
        let (address, front) = front::listen(proxy).await?;
        Ok(BrokenServer {
            base_url: format!("http://{address}"),
            front,
        })
    }
}

impl Drop for BrokenServer {
    fn drop(&mut self) {
        self.front.abort();
    }
}
