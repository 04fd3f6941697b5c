//! `zpgp publish`: your certificate to the keyservers.

use anyhow::Result;
use openpgp::cert::amalgamation::ValidAmalgamation as _;
use openpgp::types::RevocationStatus;
use sequoia_openpgp as openpgp;

use super::network;
use crate::cli::PublishArgs;
use crate::context::Context;
use crate::display::Safe;
use crate::error::{Error, Failure, Reported};
use crate::net;

pub fn run(ctx: &Context, args: PublishArgs) -> Result<()> {
    if args.secret {
        return Err(Error::new(
            Failure::Usage,
            "publish never uploads a secret key: keyservers are public, and your secret \
             key must stay with you",
        )
        .hint("without --secret, publish uploads the certificate (your public key) only")
        .into());
    }
    let keyring = ctx.keyring()?;
    let cert = keyring.find(&args.query)?;
    let fpr = cert.fingerprint();
    let label = crate::ops::cert_label(&cert, &ctx.policy, Some(ctx.time));
    let vc = cert.with_policy(&ctx.policy, ctx.time).map_err(|e| {
        Error::new(
            Failure::PrimaryKeyBad,
            format!(
                "{label} is not valid: {}",
                crate::ops::keyinfo::rejection_reason(&cert, &ctx.policy, ctx.time, &e)
            ),
        )
    })?;
    let addresses: Vec<String> = vc
        .userids()
        .filter(|u| !matches!(u.revocation_status(), RevocationStatus::Revoked(_)))
        .filter_map(|u| u.userid().email_normalized().ok().flatten())
        .collect();
    let valid_userids = vc
        .userids()
        .filter(|u| !matches!(u.revocation_status(), RevocationStatus::Revoked(_)))
        .count();
    if valid_userids == 0 {
        return Err(Error::new(
            Failure::CertUserIdNoMatch,
            format!("{fpr:X} has no valid user ID: nobody could find it by name or address"),
        )
        .hint(format!(
            "add one first: zpgp userid add {fpr:X} \"Your Name <you@example.org>\""
        ))
        .into());
    }
    if !keyring.has_secret(&fpr) {
        ctx.info(format_args!(
            "zpgp: {} is not one of your keys (you hold no secret key for it); uploading it anyway",
            Safe(&label)
        ));
    }
    if matches!(vc.revocation_status(), RevocationStatus::Revoked(_)) {
        ctx.info(format_args!(
            "zpgp: {fpr:X} is revoked: publishing the revocation of {}",
            Safe(&label)
        ));
    }
    let public = net::exportable(&cert)?;
    let (net, servers) = network::open(ctx, &args.net)?;

    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for server in &servers {
        let name = server.name();
        let result = net.block_on(async {
            let upload = server.upload(&public).await?;
            let Some(upload) = upload else {
                return Ok::<_, anyhow::Error>((None, Vec::new()));
            };
            let unverified: Vec<String> = upload
                .status
                .iter()
                .filter(|(_, state)| state.as_str() == "unpublished")
                .map(|(a, _)| a.clone())
                .collect();
            if unverified.is_empty() {
                return Ok((Some(upload), unverified));
            }
            let after = server.request_verify(&upload.token, &unverified).await?;
            Ok((Some(after), unverified))
        });
        match result {
            Ok((upload, requested)) => {
                match &upload {
                    None => ctx.info(format_args!("zpgp: uploaded {fpr:X} to {name}")),
                    Some(u) => {
                        ctx.info(format_args!("zpgp: uploaded {fpr:X} to {name}"));
                        for (addr, state) in &u.status {
                            let words = match state.as_str() {
                                "published" => "published: anyone can find your key by it",
                                "pending" if requested.contains(addr) => {
                                    "a verification link was mailed to it: open it to publish the address"
                                }
                                "pending" => {
                                    "waiting for you to open the verification link mailed earlier"
                                }
                                "revoked" => "revoked: not published",
                                _ => "not published",
                            };
                            ctx.info(format_args!("zpgp:   {}: {words}", Safe(addr)));
                        }
                        if u.status.values().any(|s| s != "published") {
                            ctx.info(format_args!(
                                "zpgp: until an address is verified, {name} gives out your key by \
                                 fingerprint only, without its user IDs"
                            ));
                        }
                    }
                }
                reports.push(serde_json::json!({
                    "keyserver": name,
                    "protocol": if upload.is_some() { "vks" } else { "hkp" },
                    "uploaded": true,
                    "addresses": upload.as_ref().map(|u| u.status.clone()),
                    "verification_requested": requested,
                }));
            }
            Err(e) => {
                ctx.say(format_args!(
                    "cannot publish to {name}: {}",
                    Safe(&crate::error::chain_text(&e))
                ));
                reports.push(serde_json::json!({
                    "keyserver": name,
                    "uploaded": false,
                    "error": crate::error::chain_text(&e),
                }));
                failures.push(e);
            }
        }
    }
    if ctx.json {
        ctx.report(
            crate::printer::ReportTo::Stdout,
            &serde_json::json!({
                "fingerprint": format!("{fpr:X}"),
                "addresses": addresses,
                "keyservers": reports,
            }),
        )?;
    }
    match failures.len() {
        0 => Ok(()),
        _ => Err(Reported(failures.iter().find_map(crate::error::failure_of)).into()),
    }
}
