use anyhow::{Context as _, Result};
use openpgp::packet::UserID;
use openpgp::serialize::SerializeInto;
use sequoia_openpgp as openpgp;

use crate::cli::{self, GenerateArgs};
use crate::context::Context;
use crate::error::{Error, Failure};
use crate::ops::generate::{self, CipherSuite, GenerateOptions, Profile};

pub fn run(ctx: &Context, args: GenerateArgs) -> Result<()> {
    let userids = userids(&args)?;
    let created = generate::creation_time(ctx.time);
    let validity = crate::time::parse_expiry(&args.expires, created)
        .map_err(|e| Error::new(Failure::MissingArg, e))?;
    let keyring = ctx.keyring()?;

    let password = if args.no_passphrase {
        None
    } else {
        let inputs = crate::passphrase::user_inputs(
            userids
                .iter()
                .filter_map(|u| std::str::from_utf8(u.value()).ok()),
        );
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let typed = ctx.passphrase_file.is_none();
        let pw = ctx.checked_new_secret("the new passphrase", typed, false, &inputs, || {
            ctx.passphrase("Passphrase for the new key", true)
        })?;
        if pw.map(|p| p.is_empty()) {
            return Err(Error::new(Failure::MissingArg, "the passphrase is empty")
                .hint("choose a passphrase, or pass --no-passphrase to store the key unprotected")
                .into());
        }
        Some(pw)
    };

    let suite = profile_suite(args.profile, args.cipher_suite)?;
    let (cert, revocation) = generate::generate(GenerateOptions {
        userids,
        profile: match args.profile {
            cli::Profile::Rfc4880 => Profile::RFC4880,
            cli::Profile::Rfc9580 | cli::Profile::Pqc => Profile::RFC9580,
        },
        cipher_suite: cipher_suite(suite),
        validity,
        password,
        creation_time: created,
    })?;

    let fpr = cert.fingerprint();
    // The revocation certificate first: a key on file without its way out
    // would be worse than no key.
    let rev_dir = keyring.home().join("revocations");
    crate::keyring::create_private_dir(&rev_dir)
        .with_context(|| format!("cannot create {}", rev_dir.display()))?;
    let rev_path = rev_dir.join(format!("{fpr:X}.rev"));
    let rev_cert = cert
        .clone()
        .insert_packets(Some(revocation))?
        .0
        .strip_secret_key_material();
    let armored = rev_cert
        .armored()
        .to_vec()
        .context("cannot serialize the revocation certificate")?;
    let text = format!(
        "This is a revocation certificate for the key {fpr:X}.\n\
         Importing it ('zpgp import {}') revokes the key for good.\n\
         Keep it safe, away from the secret key.\n\n",
        rev_path.display()
    );
    write_new(&rev_path, [text.as_bytes(), &armored].concat().as_slice())?;

    keyring.import(vec![cert.clone()])?;

    println!("{fpr:X}");
    let info = crate::ops::keyinfo::describe(&cert, &ctx.policy, ctx.time);
    ctx.info(format!(
        "zpgp: created {} key {fpr:X}",
        match args.profile {
            cli::Profile::Rfc4880 => "a v4",
            cli::Profile::Rfc9580 => "a v6",
            cli::Profile::Pqc => "a post-quantum v6",
        }
    ));
    for u in &info.userids {
        ctx.info(format!("      {}", crate::display::Safe(&u.userid)));
    }
    ctx.info(format!(
        "      {} primary key, expires {}",
        info.algorithm,
        info.expires.as_deref().map(|e| &e[..10]).unwrap_or("never")
    ));
    if args.no_passphrase {
        ctx.info("      WARNING: the secret key is stored without a passphrase");
    }
    ctx.info(format!(
        "zpgp: revocation certificate written to {}",
        rev_path.display()
    ));
    Ok(())
}

fn userids(args: &GenerateArgs) -> Result<Vec<UserID>> {
    if args.name.is_none() && args.email.is_empty() && args.userid.is_empty() {
        return Err(Error::new(
            Failure::MissingArg,
            "a new key needs a name or an email address",
        )
        .hint("zpgp generate --name 'Alice Lovelace' --email alice@example.org")
        .into());
    }
    let mut uids = Vec::new();
    let name = args.name.as_deref().map(str::trim);
    if name.is_some_and(|n| !plausible_name(n)) {
        return Err(Error::new(
            Failure::MissingArg,
            "the name is empty or contains '<', '>' or a line break",
        )
        .into());
    }
    for email in &args.email {
        let email = email.trim();
        if !plausible_email(email) {
            return Err(Error::new(
                Failure::MissingArg,
                format!("{email:?} is not an email address"),
            )
            .into());
        }
    }
    match (name, args.email.as_slice()) {
        (Some(n), []) => uids.push(UserID::from(n)),
        (n, emails) => {
            for e in emails {
                let e = e.trim();
                uids.push(UserID::from(match n {
                    Some(n) => format!("{n} <{e}>"),
                    None => format!("<{e}>"),
                }));
            }
        }
    }
    for u in &args.userid {
        if u.trim().is_empty() || u.contains('\n') {
            return Err(Error::new(
                Failure::MissingArg,
                "a user ID is empty or contains a line break",
            )
            .into());
        }
        uids.push(UserID::from(u.as_str()));
    }
    Ok(uids)
}

/// The cipher suite for a profile: post-quantum algorithms for `pqc` and
/// for v6 keys only.
fn profile_suite(
    profile: cli::Profile,
    suite: Option<cli::CipherSuite>,
) -> Result<cli::CipherSuite> {
    match (profile, suite) {
        (cli::Profile::Pqc, None) => Ok(cli::CipherSuite::Mldsa65Ed25519),
        (cli::Profile::Pqc, Some(s)) if !s.is_post_quantum() => Err(Error::new(
            Failure::IncompatibleOptions,
            "--profile pqc makes post-quantum keys; the cipher suite is mldsa65-ed25519 or \
             mldsa87-ed448",
        )
        .hint("zpgp generate --profile pqc --cipher-suite mldsa87-ed448 --email EMAIL")
        .into()),
        (cli::Profile::Rfc4880, Some(s)) if s.is_post_quantum() => Err(Error::new(
            Failure::IncompatibleOptions,
            "post-quantum algorithms (RFC 9980) are for v6 keys only",
        )
        .hint("zpgp generate --profile pqc --email EMAIL")
        .into()),
        (_, s) => Ok(s.unwrap_or(cli::CipherSuite::Cv25519)),
    }
}

/// The one mapping of `--cipher-suite` (generate, subkey) to sequoia's.
pub(super) fn cipher_suite(suite: cli::CipherSuite) -> CipherSuite {
    match suite {
        cli::CipherSuite::Cv25519 => CipherSuite::Cv25519,
        cli::CipherSuite::Cv448 => CipherSuite::Cv448,
        cli::CipherSuite::Rsa3k => CipherSuite::RSA3k,
        cli::CipherSuite::Rsa4k => CipherSuite::RSA4k,
        cli::CipherSuite::P256 => CipherSuite::P256,
        cli::CipherSuite::P384 => CipherSuite::P384,
        cli::CipherSuite::P521 => CipherSuite::P521,
        cli::CipherSuite::Mldsa65Ed25519 => CipherSuite::MLDSA65_Ed25519,
        cli::CipherSuite::Mldsa87Ed448 => CipherSuite::MLDSA87_Ed448,
    }
}

/// Whether `name` can be the name part of a user ID: not empty, and
/// without the brackets of an address or a line break.
pub(super) fn plausible_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['<', '>', '\n', '\r'])
}

/// Whether `email` looks like an address: something@something, without
/// spaces or brackets (whether it is deliverable is not ours to judge).
pub(super) fn plausible_email(email: &str) -> bool {
    email.split_once('@').is_some_and(|(l, d)| {
        !l.is_empty()
            && !d.is_empty()
            && !email.contains(|c: char| c.is_whitespace() || c == '<' || c == '>')
    })
}

fn write_new(path: &std::path::Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(data)?;
    f.sync_all()?;
    Ok(())
}
