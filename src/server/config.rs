//! What a reference server is configured with: the clients it knows and the
//! keys they sign with, the provider key it signs answers with, the
//! cancellable windows, and the transport limits.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use time::{Time, UtcOffset};

use crate::signing::{SigningKey, VerifyingKey, test_keys};

// The client ids and the control token are the control plane's contract,
// which the suite shares: they live in the spec.
pub use crate::spec::control_plane::{
    CONTROL_TOKEN_SCHEME, ControlToken, DEFAULT_CLIENT_ID, OTHER_CLIENT_ID, SANDBOX_CLIENT_ID,
};

/// The key version every test client is registered under.
pub const DEFAULT_KEY_VERSION: &str = crate::signing::test_keys::KEY_VERSION;

/// One client the server accepts requests from.
#[derive(Debug, Clone)]
pub struct ClientKey {
    /// The merchant public key the client's requests must verify with.
    pub public_key: VerifyingKey,
    /// The only `keyVersion` the client may announce in its `Signature`
    /// header; an absent `keyVersion` means this one.
    pub key_version: String,
}

/// How long a paid payment stays cancellable (rule `window.reference-defaults`).
///
/// Both limits are inclusive: a cancel that arrives exactly at the deadline
/// is still in time, one millisecond later it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// Card payments: this long after the buyer paid.
    pub card: Duration,
    /// Every other method: until this wall-clock time, in `wallet_offset`,
    /// on the calendar day (in `wallet_offset`) after the payment.
    pub wallet_until: Time,
    /// The contract's time zone, in which the wallet deadline's day and time
    /// are counted (`window.contract-time-zone`; UTC+8 unless configured).
    pub wallet_offset: UtcOffset,
    /// How long an unpaid payment lives before the provider closes it as
    /// FAIL (`state.unpaid-closes-after-14-minutes`), counted from its
    /// creation on its own clock.
    pub unpaid_lifetime: Duration,
}

/// The status pages' unpaid lifetime: 14 minutes after the pay call.
pub(super) const UNPAID_LIFETIME: Duration = Duration::from_secs(14 * 60);

/// The contract's default time zone, the one the vendor's guides name.
pub(super) const DEFAULT_CONTRACT_OFFSET: UtcOffset = time::macros::offset!(+8);

impl Default for Windows {
    fn default() -> Self {
        Self {
            card: Duration::from_secs(7 * 24 * 60 * 60),
            wallet_until: time::macros::time!(00:15),
            wallet_offset: DEFAULT_CONTRACT_OFFSET,
            unpaid_lifetime: UNPAID_LIFETIME,
        }
    }
}

/// Everything [`crate::server::app`] and [`crate::server::start`] need.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Client id → the key its requests are signed with. A request from any
    /// other client id gets F / CLIENT_INVALID.
    pub clients: BTreeMap<String, ClientKey>,
    /// Signs every API answer (when `sign_responses`).
    pub provider_key: Arc<SigningKey>,
    /// Announced as `keyVersion` in the answers' `signature` header.
    pub provider_key_version: String,
    pub windows: Windows,
    /// The acquirer whose behaviour the server plays where the sources
    /// disagree (unpaid cancels, where windows start).
    pub profile: crate::profile::Profile,
    /// Serve `/control/v1/...` (seeding, events, clock, faults, request log).
    /// Off for a server that should look like a real provider.
    pub control_plane: bool,
    /// When set, every control-plane call must carry it
    /// (`Authorization: Bearer <token>`); a call without it gets HTTP 401.
    pub control_token: Option<ControlToken>,
    /// Sign API answers. Off only to show how clients react to unsigned answers.
    pub sign_responses: bool,
    /// Request bodies larger than this get F / PARAM_ILLEGAL; no more than
    /// this is ever buffered.
    pub max_body_bytes: usize,
    /// How long a client may take to send a request's head (slow-loris
    /// protection).
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body once its head has
    /// arrived; the same protection for the body.
    pub body_read_timeout: Duration,
}

impl ServerConfig {
    /// The configuration the suite's embedded server uses: the three test
    /// client ids, all with the TEST merchant public key under key version
    /// "1", the TEST provider key, control plane and response signing on,
    /// 64 KiB bodies and 10 s to send a request head (and body).
    pub fn test_default() -> Self {
        let merchant = test_keys::merchant_verifying();
        let clients = [DEFAULT_CLIENT_ID, OTHER_CLIENT_ID, SANDBOX_CLIENT_ID]
            .into_iter()
            .map(|id| {
                let key = ClientKey {
                    public_key: merchant.clone(),
                    key_version: DEFAULT_KEY_VERSION.to_string(),
                };
                (id.to_string(), key)
            })
            .collect();
        Self {
            clients,
            provider_key: Arc::new(test_keys::provider_signing()),
            provider_key_version: DEFAULT_KEY_VERSION.to_string(),
            windows: Windows::default(),
            profile: crate::profile::Profile::default(),
            control_plane: true,
            control_token: None,
            sign_responses: true,
            max_body_bytes: 64 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
        }
    }
}
