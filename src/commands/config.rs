//! `zpgp config get|set|unset|list`: the settings of HOME/config.toml.

use anyhow::Result;

use crate::cli::{ConfigArgs, ConfigCommand};
use crate::config::{self, Setting, Value};
use crate::context::Context;
use crate::error::{Error, Failure, Reported};
use crate::ops;
use crate::printer::ReportTo;

pub fn run(ctx: &Context, args: ConfigArgs) -> Result<()> {
    match args.command {
        ConfigCommand::Get(a) => {
            let setting = known(&a.key)?;
            match ctx.config()?.get(setting.name) {
                Some(e) => {
                    println!("{}", e.value);
                    Ok(())
                }
                // Like `git config`: nothing on stdout, exit 1, so that
                // `KEY=$(zpgp config get default-key) || …` tells "unset"
                // from a value.
                None => Err(Reported(None).into()),
            }
        }
        ConfigCommand::List => {
            let config = ctx.config()?;
            if ctx.json {
                let map: serde_json::Map<String, serde_json::Value> = config
                    .entries()
                    .iter()
                    .map(|e| (e.setting.name.to_string(), e.value.to_json()))
                    .collect();
                ctx.report(ReportTo::Stdout, &map)?;
            } else {
                for e in config.entries() {
                    println!("{} = {}", e.setting.name, e.value);
                }
            }
            Ok(())
        }
        ConfigCommand::Set(a) => {
            let setting = known(&a.key)?;
            let value = value_for(ctx, setting, &a.value)?;
            let keyring = ctx.keyring()?;
            let _lock = keyring.lock()?;
            let old = config::write(&ctx.home, setting, Some(&value))?;
            let path = ctx.home.join(config::FILE_NAME);
            if old.as_ref() == Some(&value) {
                ctx.info(format!(
                    "zpgp: {} is {value} already ({})",
                    setting.name,
                    path.display()
                ));
            } else {
                ctx.info(format!(
                    "zpgp: {} = {value}{} in {}",
                    setting.name,
                    describe(ctx, &value),
                    path.display()
                ));
            }
            Ok(())
        }
        ConfigCommand::Unset(a) => {
            let setting = known(&a.key)?;
            let keyring = ctx.keyring()?;
            let _lock = keyring.lock()?;
            let path = ctx.home.join(config::FILE_NAME);
            match config::write(&ctx.home, setting, None)? {
                Some(old) => ctx.info(format!(
                    "zpgp: {} unset (it was {old}) in {}",
                    setting.name,
                    path.display()
                )),
                None => ctx.info(format!("zpgp: {} is not set", setting.name)),
            }
            Ok(())
        }
    }
}

/// The setting called `name`, or a usage error that lists them all.
fn known(name: &str) -> Result<&'static Setting> {
    config::setting(name).ok_or_else(|| {
        let mut msg = format!("zpgp has no setting {name:?}; the settings are:");
        for s in config::SETTINGS {
            msg.push_str(&format!("\n  {}: {}", s.name, s.doc));
        }
        Error::new(Failure::Usage, msg).into()
    })
}

/// The value to store for what the user typed.  default-key takes a query
/// and stores the full fingerprint, so that a key added later with a
/// similar name or address never changes which key signs.
fn value_for(ctx: &Context, setting: &'static Setting, typed: &str) -> Result<Value> {
    match setting.name {
        "default-key" => {
            let keyring = ctx.keyring()?;
            let cert = keyring.find(typed)?;
            let fpr = cert.fingerprint();
            if !keyring.has_secret(&fpr) {
                return Err(Error::new(
                    Failure::KeyNotFound,
                    format!(
                        "you do not hold the secret key for {}: only your own keys can be the default",
                        ops::cert_label(&cert, &ctx.policy, Some(ctx.time))
                    ),
                )
                .hint("your secret keys are listed by 'zpgp list --secret'")
                .into());
            }
            Ok(Value::Fingerprint(fpr))
        }
        // Settings that need nothing of the keyring are checked by their
        // own parser.
        _ => setting.parse_typed(typed).map_err(|why| {
            Error::new(
                Failure::Usage,
                format!("{typed:?} is not a value for {}: {why}", setting.name),
            )
            .into()
        }),
    }
}

/// A few words about a value, for the message after `set`.
fn describe(ctx: &Context, value: &Value) -> String {
    match value {
        Value::Fingerprint(fpr) => ctx
            .keyring()
            .ok()
            .and_then(|k| k.get(fpr).ok().flatten())
            .and_then(|c| {
                let vc = c.with_policy(&ctx.policy, ctx.time).ok()?;
                let uid = vc.primary_userid().ok()?;
                Some(format!(
                    " ({})",
                    crate::display::Safe(&String::from_utf8_lossy(uid.userid().value()))
                ))
            })
            .unwrap_or_default(),
        Value::Bool(_) | Value::Seconds(_) | Value::Urls(_) => String::new(),
    }
}
