//! The reference server: a faithful mock of the provider's cancel API (and
//! the inquiry used to observe a payment), plus a control plane that lets the
//! suite seed payments, make outside events happen, move a payment's clock
//! and script faults.
//!
//! [`app`] builds the one router that in-process tests and `serve` both use;
//! [`start`] puts it on a socket, plain or TLS:
//!
//! ```no_run
//! # async fn demo() -> Result<(), cancel_conformance::server::ServeError> {
//! use cancel_conformance::server::{ServerConfig, start};
//! let server = start(ServerConfig::test_default(), "127.0.0.1:0".parse().unwrap(), None).await?;
//! println!("cancel API at {}/ams/api/v1/payments/cancel", server.base_url);
//! server.shutdown().await
//! # }
//! ```
//!
//! Modules: `config` (what the server is told), `store` (the payments:
//! `store/lifecycle` holds every rule about a payment's life, `store/ids`
//! the id codec and sharding), `api` (the check pipeline of an API request),
//! `answer` (result codes, signing, the bytes sent), `control` (the control
//! plane), `body` (size- and time-limited body reading), `request_log`,
//! `clock`, `tls` and `serve`.
//!
//! The payment model (state, method, events, ids) is [`crate::domain`]'s and
//! header names are [`crate::wire`]'s; the server imports nothing from the
//! suite.

mod answer;
mod api;
mod body;
mod clock;
mod config;
mod control;
mod request_log;
mod serve;
mod store;
mod tls;

use std::sync::Arc;

use axum::Router;

pub use crate::spec::control_plane::PREFIX as CONTROL_PREFIX;
pub use config::{
    CONTROL_TOKEN_SCHEME, ClientKey, ControlToken, DEFAULT_CLIENT_ID, DEFAULT_KEY_VERSION,
    OTHER_CLIENT_ID, SANDBOX_CLIENT_ID, ServerConfig, Windows,
};
pub use serve::{RunningServer, ServeError, serve_router, start};
pub use store::{MAX_SEED_COUNT, MAX_STORED_PAYMENTS};
pub use tls::TlsSetup;

/// What every handler shares: the configuration, the payments, the log.
pub(crate) struct Shared {
    config: ServerConfig,
    store: store::Store,
    log: request_log::RequestLog,
}

/// The whole server as a router: the API (every path outside the control
/// plane goes through its check pipeline, so unknown paths get
/// F / NO_INTERFACE_DEF) and, when configured, the control plane.
pub fn app(config: ServerConfig) -> Router {
    router(shared(config))
}

/// A payment the server holds from its start, before any request: how a
/// server without a control plane gets the payments a fixtures file names
/// (`serve --no-control-plane --write-fixtures`).
pub use store::Seed as StartingPayment;

/// Why [`app_with_payments`] cannot hold a payment it is given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartingPaymentError {
    /// The payment's method does not exist under the server's profile.
    #[error(
        "method `{method}` exists under the antom profile only; this server plays profile {profile}"
    )]
    MethodNotPlayed {
        method: &'static str,
        profile: crate::profile::Profile,
    },
    /// The store refused it (`detail` is the store's reason).
    #[error("cannot seed a {state} payment: {detail}")]
    NotSeeded { state: &'static str, detail: String },
}

/// The command line reports it as text.
impl From<StartingPaymentError> for String {
    fn from(error: StartingPaymentError) -> String {
        error.to_string()
    }
}

/// [`app`] holding `payments` from the start; their ids, in order.
pub fn app_with_payments(
    config: ServerConfig,
    payments: &[StartingPayment],
) -> Result<(Router, Vec<crate::domain::PaymentIds>), StartingPaymentError> {
    let shared = shared(config);
    let profile = shared.config.profile;
    let mut ids = Vec::with_capacity(payments.len());
    for payment in payments {
        if !store::profile::has_method(profile, payment.method) {
            return Err(StartingPaymentError::MethodNotPlayed {
                method: payment.method.as_str(),
                profile,
            });
        }
        let (first, _) = shared
            .store
            .seed_many_at(payment.clone(), 1, store::SeedTimes::default())
            .map_err(|error| StartingPaymentError::NotSeeded {
                state: payment.state.as_str(),
                detail: format!("{error:?}"),
            })?;
        ids.push(first);
    }
    Ok((router(shared), ids))
}

fn shared(config: ServerConfig) -> Arc<Shared> {
    Arc::new(Shared {
        store: store::Store::new(config.windows).with_profile(config.profile),
        log: request_log::RequestLog::default(),
        config,
    })
}

fn router(shared: Arc<Shared>) -> Router {
    let router = if shared.config.control_plane {
        control::routes().layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            control::require_token,
        ))
    } else {
        Router::new()
    };
    router.fallback(api::handle).with_state(shared)
}
