//! The target a server run judges, made from the run's settings: the
//! embedded reference server started on a free loopback port, or the
//! endpoint given; with the keys read (a private key file others can read
//! is warned about), the fixtures file and the control-plane token.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::server::{self, ServerConfig};
use crate::signing::{SigningKey, VerifyingKey, test_keys};
use crate::suite::settings::{KeySource, RunSettings};
use crate::suite::target::{self, ControlPlane, FixturePools, Target};

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
/// `need`: per fixture name, the payments a full run takes and whether
/// some case only reads it (`sandbox::needs`), to hand out a fixtures
/// file's pools. An endpoint is probed once for a control plane.
pub(super) async fn prepare_target(
    settings: &RunSettings,
    http: &reqwest::Client,
    need: std::collections::BTreeMap<String, (usize, bool)>,
) -> Result<(Target, Option<server::RunningServer>), String> {
    if let KeySource::File(file) = &settings.merchant_key {
        warn_if_readable_by_others(file);
    }
    let merchant_text = settings.merchant_key.text(test_keys::MERCHANT_PRIVATE)?;
    let merchant_key = SigningKey::from_base64_pkcs8(&merchant_text)
        .map_err(|err| format!("the merchant private key: {err}"))?;
    let provider_text = settings.provider_key.text(test_keys::PROVIDER_PUBLIC)?;
    let provider_key = VerifyingKey::from_base64_spki(&provider_text)
        .map_err(|err| format!("the provider public key: {err}"))?;
    let fixtures = match &settings.fixtures {
        Some(file) => Some(Arc::new(FixturePools::new(
            target::load_fixtures(file).map_err(|err| err.to_string())?,
            need,
        ))),
        None => None,
    };
    let other_client_id = settings.other_client_id.clone();
    let (base_url, description, running) = match &settings.endpoint {
        Some(url) => {
            let url = crate::wire::url::endpoint(url)?;
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
            .map_err(|err| format!("cannot start the embedded reference server: {err}"))?;
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
        control_token: settings.control_token.clone()?,
        profile: settings.profile,
        time_zone: settings.time_zone,
    };
    if running.is_none() {
        target.control_plane = target.probe_control_plane(http).await?;
    }
    Ok((target, running))
}
