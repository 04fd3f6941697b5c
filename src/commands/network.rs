//! What the network commands share: the client built from their options,
//! the keyservers to ask, and one error out of several sources' errors.

use std::time::Duration;

use anyhow::Result;

use crate::cli::{NetArgs, NetSource};
use crate::context::Context;
use crate::error::{Error, Failure};
use crate::net::{self, Keyserver, Net};

/// The client and the keyservers: `--keyserver`, else the config's
/// `keyserver`, else keys.openpgp.org.
pub fn open(ctx: &Context, args: &NetArgs) -> Result<(Net, Vec<Keyserver>)> {
    let net = Net::new(net::Settings {
        timeout: Duration::from_secs(args.timeout),
        max_response: net::MAX_RESPONSE,
        cacerts: args.cacert.clone(),
        resolve: args.resolve.clone(),
    })?;
    let urls: Vec<String> = if !args.keyserver.is_empty() {
        args.keyserver.clone()
    } else if let Some(urls) = ctx.config()?.keyservers() {
        urls.to_vec()
    } else {
        vec![net::DEFAULT_KEYSERVER.to_string()]
    };
    let servers = urls
        .iter()
        .map(|u| Keyserver::new(u, net.http.clone()))
        .collect::<Result<Vec<_>>>()?;
    Ok((net, servers))
}

/// Which sources `--from` allows (none given: all).
pub fn allows(from: &[NetSource], source: NetSource) -> bool {
    from.is_empty() || from.contains(&source)
}

/// One error for a lookup of `what` that failed at every source: the
/// words of each, and the exit code of the most telling (a network failure
/// or bad data over "not found").
pub fn combine(what: &str, errors: Vec<anyhow::Error>) -> anyhow::Error {
    let failure = if let [e] = &errors[..] {
        crate::error::failure_of(e).unwrap_or(Failure::Network)
    } else {
        errors
            .iter()
            .filter_map(crate::error::failure_of)
            .find(|f| *f != Failure::KeyNotFound)
            .unwrap_or(Failure::KeyNotFound)
    };
    let words: Vec<String> = errors.iter().map(crate::error::chain_text).collect();
    let lead = if failure == Failure::KeyNotFound {
        "no key found for"
    } else {
        "cannot look up"
    };
    Error::new(failure, format!("{lead} {what}: {}", words.join("; "))).into()
}
