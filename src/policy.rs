//! The one policy every door (the CLI, SOP) judges algorithms by: sequoia's
//! standard policy, adjusted by the system's crypto policy or a file named
//! in the environment.

use anyhow::{Context as _, Result};
use sequoia_openpgp::policy::StandardPolicy;

/// The environment variable that names a policy file for zpgp alone; when
/// it is unset, sequoia's `SEQUOIA_CRYPTO_POLICY`, then the system's
/// crypto policy (`/etc/crypto-policies/back-ends/sequoia.config`) apply,
/// as they do for sq.  An empty value means the standard policy as is.
pub const POLICY_ENV: &str = "ZPGP_CRYPTO_POLICY";

/// The one policy every command judges algorithms by, built once.
pub fn load() -> Result<StandardPolicy<'static>> {
    use sequoia_policy_config::ConfiguredStandardPolicy;
    let mut p = ConfiguredStandardPolicy::new();
    let configured = if std::env::var_os(POLICY_ENV).is_some() {
        p.parse_env_config(POLICY_ENV)
    } else {
        p.parse_default_config()
    };
    configured.context("cannot read the crypto policy")?;
    Ok(p.build())
}
