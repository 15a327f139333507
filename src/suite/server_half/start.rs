//! The target a server run judges, made from the run's settings: the
//! embedded reference server started on a free loopback port, or the
//! endpoint given; with the keys read (a private key file others can read
//! is warned about), the fixtures file and the control-plane token.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::server::{self, ServeError, ServerConfig};
use crate::signing::{KeyError, SigningKey, VerifyingKey, test_keys};
use crate::spec::yaml::YamlError;
use crate::suite::server_half::target::{self, ControlPlane, FixturePools, ProbeError, Target};
use crate::suite::settings::{KeySource, RunSettings};

/// Why the run's target cannot be prepared: the run cannot start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PrepareError {
    /// A key (or the control token) could not be read; the reason names
    /// the file or variable, never its text.
    #[error("{0}")]
    Unreadable(String),
    #[error("the merchant private key: {0}")]
    MerchantKey(KeyError),
    #[error("the provider public key: {0}")]
    ProviderKey(KeyError),
    #[error("{0}")]
    Fixtures(YamlError),
    /// The endpoint given is not a usable URL.
    #[error("{0}")]
    Endpoint(String),
    #[error("cannot start the embedded reference server: {0}")]
    EmbeddedServer(ServeError),
    #[error("{0}")]
    Probe(ProbeError),
    /// The runner's HTTP client cannot be built (the CA file).
    #[error("{0}")]
    HttpClient(String),
}

/// A private key file other users can read is a leak waiting to happen:
/// says so on stderr, naming the file (never the key), and goes on.
fn warn_if_readable_by_others(file: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = std::fs::metadata(file) {
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o044 != 0 {
                eprintln!(
                    "warning: the private key file {} can be read by other users (mode {mode:03o}); \
                     run `chmod 600 {}`",
                    file.display(),
                    file.display()
                );
            }
        }
    }
}

/// Builds the target: the embedded reference server (started here) or the
/// given endpoint. The returned server handle keeps the server alive.
/// `pools`: the fixtures file's payments, as read; `need`: per fixture
/// name, the payments a full run takes and whether some case only reads
/// it (`sandbox::needs`), to hand them out. An endpoint is probed once for
/// a control plane.
pub(super) async fn prepare_target(
    settings: &RunSettings,
    http: &reqwest::Client,
    pools: Option<std::collections::BTreeMap<String, Vec<crate::domain::PaymentIds>>>,
    need: std::collections::BTreeMap<String, (usize, bool)>,
) -> Result<(Target, Option<server::RunningServer>), PrepareError> {
    if let KeySource::File(file) = &settings.merchant_key {
        warn_if_readable_by_others(file);
    }
    let merchant_text = settings
        .merchant_key
        .text(test_keys::MERCHANT_PRIVATE)
        .map_err(PrepareError::Unreadable)?;
    let merchant_key =
        SigningKey::from_base64_pkcs8(&merchant_text).map_err(PrepareError::MerchantKey)?;
    let provider_text = settings
        .provider_key
        .text(test_keys::PROVIDER_PUBLIC)
        .map_err(PrepareError::Unreadable)?;
    let provider_key =
        VerifyingKey::from_base64_spki(&provider_text).map_err(PrepareError::ProviderKey)?;
    let fixtures = pools.map(|pools| Arc::new(FixturePools::new(pools, need)));
    let other_client_id = settings.other_client_id.clone();
    let (base_url, description, running) = match &settings.endpoint {
        Some(url) => {
            let url = crate::wire::url::endpoint(url).map_err(PrepareError::Endpoint)?;
            (url.clone(), crate::wire::url::shown(&url), None)
        }
        None => {
            let running = server::start(
                ServerConfig {
                    profile: settings.profile,
                    windows: crate::server::Windows {
                        wallet_offset: settings.time_zone.0,
                        ..crate::server::Windows::default()
                    },
                    ..ServerConfig::test_default()
                },
                std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                None,
            )
            .await
            .map_err(PrepareError::EmbeddedServer)?;
            let url = running.base_url.clone();
            (url, "embedded reference server".to_string(), Some(running))
        }
    };
    let mut target = Target {
        base_url,
        description,
        client_id: settings.client_id.clone(),
        other_client_id,
        merchant_key: Arc::new(merchant_key),
        key_version: settings.key_version.clone(),
        provider_key,
        fixtures,
        control_plane: ControlPlane::Present,
        pacer: settings
            .rate
            .and_then(|rate| target::Pacer::per_second(rate.per_second))
            .map(Arc::new),
        timeout: Duration::from_millis(settings.timeout_ms),
        control_token: settings
            .control_token
            .clone()
            .map_err(PrepareError::Unreadable)?,
        profile: settings.profile,
        time_zone: settings.time_zone,
    };
    if running.is_none() {
        target.control_plane = target
            .probe_control_plane(http)
            .await
            .map_err(PrepareError::Probe)?;
    }
    Ok((target, running))
}
