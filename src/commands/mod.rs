//! One module per subcommand: user words (queries, file names, flags) in,
//! keys and streams to the ops, a report out.

use anyhow::Result;

use crate::cli::Command;
use crate::context::Context;

mod agent;
mod armor;
mod audit;
pub(crate) mod auth;
mod batch;
mod certify;
pub(crate) mod common;
mod completions;
mod config;
mod decrypt;
mod delete;
mod doctor;
mod encrypt;
mod expire;
mod export;
mod fetch;
mod generate;
mod gnupg;
mod import;
mod inspect;
mod keyfiles;
mod keystore;
mod list;
mod network;
mod passwd;
mod progress;
mod publish;
mod refresh;
mod revoke;
mod sign;
mod subkey;
mod upkeep;
mod userid;
mod verify;
mod watch;
mod wipe;
mod wkd;

pub fn dispatch(ctx: &Context, command: Command) -> Result<()> {
    let result = run(ctx, command);
    // The keyring does not print; what it noticed is said here, on
    // success and failure alike.
    for w in ctx.keyring_warnings() {
        ctx.warn(w);
    }
    result
}

fn run(ctx: &Context, command: Command) -> Result<()> {
    match command {
        Command::Generate(args) => generate::run(ctx, args.0),
        Command::Import(args) => import::run(ctx, args.0),
        Command::Export(args) => export::run(ctx, args.0),
        Command::Certify(args) => certify::run(ctx, args.0),
        Command::Fetch(args) => fetch::run(ctx, args.0),
        Command::Publish(args) => publish::run(ctx, args.0),
        Command::Refresh(args) => refresh::run(ctx, args.0),
        Command::Wkd(command) => wkd::run(ctx, command),
        Command::List(args) => list::run(ctx, args.0),
        Command::Delete(args) => delete::run(ctx, args.0),
        Command::Passwd(args) => passwd::run(ctx, args.0),
        Command::Expire(args) => expire::run(ctx, args.0),
        Command::Revoke(args) => revoke::run(ctx, args.0),
        Command::Userid(args) => userid::run(ctx, args.0),
        Command::Subkey(args) => subkey::run(ctx, args.0),
        Command::Config(args) => config::run(ctx, args.0),
        Command::Watch(args) => watch::run(ctx, args.0),
        Command::Doctor(args) => doctor::run(ctx, args.0),
        Command::Audit(args) => audit::run(ctx, args.0),
        Command::Agent(args) => agent::run(ctx, args.0),
        Command::Encrypt(args) => encrypt::run(ctx, args.0),
        Command::Decrypt(args) => decrypt::run(ctx, args.0),
        Command::Sign(args) => sign::run(ctx, args.0),
        Command::Verify(args) => verify::run(ctx, args.0),
        Command::Inspect(args) => inspect::run(ctx, args.0),
        Command::Armor(args) => armor::armor(ctx, args.0),
        Command::Dearmor(args) => armor::dearmor(ctx, args.0),
        Command::Completions(args) => completions::run(ctx, args.0),
        Command::Sop(args) => crate::sop::run("zpgp sop", args.args),
    }
}
