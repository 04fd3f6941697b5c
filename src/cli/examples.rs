//! The examples shown in `--help` and the man pages, as data: the tests
//! parse each with the clap definitions (see [`super::check`]).

/// One example of a command line, shown in `--help` and the man pages, and
/// parsed by the tests with these very definitions (so it cannot drift).
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// The shell line; the `zpgp …` part of it must parse.
    pub command: &'static str,
    /// What it does, shown as a `# comment` after the line (may be empty).
    pub note: &'static str,
}

/// The `Examples:` block of a help text, one example a line, the notes
/// lined up in one column.
pub fn examples(list: &[Example]) -> String {
    let mut text = String::from("Examples:");
    for e in list {
        text.push_str("\n  ");
        if e.note.is_empty() {
            text.push_str(e.command);
        } else {
            text.push_str(&format!("{:<52}# {}", e.command, e.note));
        }
    }
    text
}

/// Every example block of the zpgp binary, named by its command ("" for
/// the main page).
pub const ALL_EXAMPLES: &[(&str, &[Example])] = &[
    ("", MAIN_EXAMPLES),
    ("generate", GENERATE_EXAMPLES),
    ("import", IMPORT_EXAMPLES),
    ("export", EXPORT_EXAMPLES),
    ("certify", CERTIFY_EXAMPLES),
    ("fetch", FETCH_EXAMPLES),
    ("publish", PUBLISH_EXAMPLES),
    ("refresh", REFRESH_EXAMPLES),
    ("wkd", WKD_EXAMPLES),
    ("list", LIST_EXAMPLES),
    ("delete", DELETE_EXAMPLES),
    ("passwd", PASSWD_EXAMPLES),
    ("expire", EXPIRE_EXAMPLES),
    ("revoke", REVOKE_EXAMPLES),
    ("userid", USERID_EXAMPLES),
    ("subkey", SUBKEY_EXAMPLES),
    ("config", CONFIG_EXAMPLES),
    ("watch", WATCH_EXAMPLES),
    ("doctor", DOCTOR_EXAMPLES),
    ("audit", AUDIT_EXAMPLES),
    ("agent", AGENT_EXAMPLES),
    ("encrypt", ENCRYPT_EXAMPLES),
    ("decrypt", DECRYPT_EXAMPLES),
    ("sign", SIGN_EXAMPLES),
    ("verify", VERIFY_EXAMPLES),
    ("inspect", INSPECT_EXAMPLES),
    ("armor", ARMOR_EXAMPLES),
    ("dearmor", DEARMOR_EXAMPLES),
    ("completions", COMPLETIONS_EXAMPLES),
];

/// The main page's examples: a first session.
pub const MAIN_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp generate --name 'Alice Lovelace' --email alice@example.org",
        note: "",
    },
    Example {
        command: "zpgp export alice@example.org > alice.asc",
        note: "give this to your contacts",
    },
    Example {
        command: "zpgp import bob.asc",
        note: "",
    },
    Example {
        command: "zpgp encrypt --sign -r bob@example.org report.pdf",
        note: "writes report.pdf.pgp",
    },
    Example {
        command: "zpgp decrypt reply.pdf.pgp",
        note: "writes reply.pdf",
    },
    Example {
        command: "zpgp inspect mystery.asc",
        note: "what is this file?",
    },
];

pub const ENCRYPT_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp encrypt -r bob@example.org report.pdf",
        note: "writes report.pdf.pgp",
    },
    Example {
        command: "zpgp encrypt -r bob@example.org *.pdf",
        note: "each to its own FILE.pdf.pgp",
    },
    Example {
        command: "echo hi | zpgp encrypt -r bob -r carol --armor > hi.asc",
        note: "",
    },
    Example {
        command: "zpgp encrypt --sign -r bob@example.org -o out.pgp notes.txt",
        note: "",
    },
    Example {
        command: "zpgp encrypt --password backup.tar",
        note: "password only",
    },
    Example {
        command: "zpgp encrypt --recipient-file deploy.asc secrets.env",
        note: "writes secrets.env.pgp; no keyring needed",
    },
];

pub const DECRYPT_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp decrypt report.pdf.pgp",
        note: "writes report.pdf",
    },
    Example {
        command: "zpgp decrypt *.pgp",
        note: "each to its own file; one passphrase prompt per key",
    },
    Example {
        command: "zpgp decrypt < hi.asc",
        note: "",
    },
    Example {
        command: "zpgp decrypt --signer alice@example.org -o notes.txt notes.txt.pgp",
        note: "",
    },
    Example {
        command: "zpgp --batch --password-file @ENV:MSG_PASSWORD decrypt backup.tar.pgp",
        note: "",
    },
    Example {
        command: "zpgp decrypt --key-file @ENV:CI_KEY secrets.env.pgp",
        note: "a key from a CI secret, never stored",
    },
];

pub const SIGN_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp sign --detached release.tar.gz",
        note: "writes release.tar.gz.sig",
    },
    Example {
        command: "zpgp sign --detached *.tar.gz",
        note: "one FILE.sig each; the key is unlocked once",
    },
    Example {
        command: "zpgp sign --clear announcement.txt",
        note: "writes announcement.txt.asc",
    },
    Example {
        command: "echo hi | zpgp sign --armor > hi.asc",
        note: "",
    },
    Example {
        command: "zpgp sign --detached --key-file release.key tool.tar",
        note: "",
    },
];

pub const VERIFY_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp verify --signature release.tar.gz.sig release.tar.gz",
        note: "",
    },
    Example {
        command: "zpgp verify release.tar.gz.sig release.tar.gz",
        note: "as gpg --verify takes them",
    },
    Example {
        command: "zpgp verify release.tar.gz.sig",
        note: "checks release.tar.gz, beside it",
    },
    Example {
        command: "zpgp verify *.sig",
        note: "each against the file it is named after",
    },
    Example {
        command: "zpgp verify announcement.txt.asc",
        note: "",
    },
    Example {
        command: "zpgp verify --signer alice@example.org -o hi.txt hi.asc",
        note: "",
    },
    Example {
        command: "zpgp verify --cert-file vendor.asc --signature tool.tar.sig tool.tar",
        note: "the keyring is not read",
    },
];

pub const GENERATE_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp generate --name 'Alice Lovelace' --email alice@example.org",
        note: "",
    },
    Example {
        command: "zpgp generate --email bob@example.org --profile rfc9580 --expires 1y",
        note: "",
    },
    Example {
        command: "zpgp generate --name Carol --cipher-suite rsa4k --passphrase-file pass.txt",
        note: "",
    },
];

pub const IMPORT_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp import bob.asc",
        note: "",
    },
    Example {
        command: "gpg --export bob@example.org | zpgp import",
        note: "",
    },
    Example {
        command: "zpgp import keyring.pgp secret-key.asc",
        note: "",
    },
    Example {
        command: "zpgp import --from-gnupg --secret --dry-run",
        note: "what moving in from GnuPG would do",
    },
];

pub const EXPORT_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp export alice@example.org > alice.asc",
        note: "",
    },
    Example {
        command: "zpgp export --binary -o alice.pgp alice@example.org",
        note: "",
    },
    Example {
        command: "zpgp export --secret -o alice-secret.asc alice@example.org",
        note: "",
    },
    Example {
        command: "zpgp export --secret --with-local -o backup.asc alice@example.org",
        note: "with your local certifications",
    },
];

pub const FETCH_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp fetch bob@example.org",
        note: "WKD of example.org, then the keyservers",
    },
    Example {
        command: "zpgp fetch 0x963FD9FAFF284BDF795108FBD78934721464A7C8",
        note: "by fingerprint, from the keyservers",
    },
    Example {
        command: "zpgp fetch --from wkd --dry-run bob@example.org",
        note: "what WKD has, imported nowhere",
    },
    Example {
        command: "zpgp fetch --keyserver hkps://keyserver.ubuntu.com carol@example.net",
        note: "",
    },
];

pub const PUBLISH_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp publish alice@example.org",
        note: "to keys.openpgp.org; it mails you a link",
    },
    Example {
        command: "zpgp publish alice@example.org --keyserver hkps://keyserver.ubuntu.com",
        note: "",
    },
];

pub const REFRESH_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp refresh",
        note: "every certificate on file",
    },
    Example {
        command: "zpgp refresh bob@example.org",
        note: "one contact's",
    },
    Example {
        command: "zpgp refresh --from keyserver --json",
        note: "a report for scripts",
    },
];

pub const WKD_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp wkd export /srv/openpgpkey --domain example.org",
        note: "serve it as https://openpgpkey.example.org",
    },
    Example {
        command: "zpgp wkd export /var/www/example.org --domain example.org --direct",
        note: "",
    },
];

pub const CERTIFY_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp certify bob@example.org",
        note: "shows the fingerprint and asks",
    },
    Example {
        command: "zpgp certify bob@example.org --fingerprint 963FD9FAFF284BDF795108FBD78934721464A7C8",
        note: "",
    },
    Example {
        command: "zpgp certify --yes 963FD9FAFF284BDF795108FBD78934721464A7C8",
        note: "the full fingerprint is the answer",
    },
    Example {
        command: "zpgp certify --local --email bob@example.org bob",
        note: "one address, never exported",
    },
    Example {
        command: "zpgp certify --introducer --domain example.org ca@example.org",
        note: "trust its certifications in example.org",
    },
    Example {
        command: "zpgp certify --introducer --amount partial --depth 2 carol",
        note: "",
    },
    Example {
        command: "zpgp certify --revoke bob@example.org",
        note: "withdraw your certification",
    },
    Example {
        command: "zpgp export bob@example.org > bob.asc",
        note: "give Bob your certification",
    },
];

pub const LIST_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp list",
        note: "",
    },
    Example {
        command: "zpgp list bob@example.org",
        note: "",
    },
    Example {
        command: "zpgp list --secret --json",
        note: "",
    },
];

pub const DELETE_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp delete bob@example.org",
        note: "",
    },
    Example {
        command: "zpgp delete --secret --yes 0x1234567890ABCDEF",
        note: "",
    },
];

pub const PASSWD_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp passwd alice@example.org",
        note: "",
    },
    Example {
        command: "zpgp passwd --passphrase-file old.txt --new-passphrase-file new.txt alice",
        note: "",
    },
    Example {
        command: "zpgp passwd --no-passphrase alice",
        note: "",
    },
];

pub const EXPIRE_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp expire alice@example.org 2y",
        note: "the key and its subkeys: two more years",
    },
    Example {
        command: "zpgp expire alice@example.org 2030-06-30 --subkey 0x1234567890ABCDEF",
        note: "one subkey only",
    },
    Example {
        command: "zpgp expire --force alice@example.org 2020-01-01",
        note: "retire the key: it expires at once",
    },
];

pub const REVOKE_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp revoke alice@example.org --reason superseded --message 'use 0xAB12CD34EF567890 instead'",
        note: "",
    },
    Example {
        command: "zpgp revoke alice --subkey 0x1234567890ABCDEF --reason compromised",
        note: "one subkey",
    },
    Example {
        command: "zpgp revoke alice --userid 'Alice <alice@old.example>' --reason retired --yes",
        note: "one user ID",
    },
    Example {
        command: "zpgp export alice@example.org > alice.asc",
        note: "then share the revocation",
    },
];

pub const USERID_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp userid add alice@example.org 'Alice Lovelace <alice@example.net>'",
        note: "",
    },
    Example {
        command: "zpgp userid add alice --name 'Alice Lovelace' --email alice@work.example",
        note: "",
    },
    Example {
        command: "zpgp userid revoke alice 'Alice <alice@old.example>'",
        note: "",
    },
];

pub const SUBKEY_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp subkey add alice@example.org --for sign",
        note: "",
    },
    Example {
        command: "zpgp subkey add alice --for encrypt --cipher-suite cv448 --expires 1y",
        note: "",
    },
    Example {
        command: "zpgp subkey rotate alice@example.org --for encrypt --grace 60d",
        note: "old subkeys expire in 60 days",
    },
];

pub const CONFIG_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp config set default-key alice@example.org",
        note: "sign with this key by default",
    },
    Example {
        command: "zpgp config get default-key",
        note: "",
    },
    Example {
        command: "zpgp config list",
        note: "",
    },
    Example {
        command: "zpgp config unset default-key",
        note: "",
    },
];

pub const WATCH_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp watch",
        note: "your keys expiring within 30 days",
    },
    Example {
        command: "zpgp watch --days 90 --contacts --json",
        note: "",
    },
    Example {
        command: "zpgp --quiet watch || echo 'renew your key: zpgp expire KEY 2y' | mail -s zpgp me",
        note: "a cron job",
    },
];

pub const DOCTOR_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp doctor",
        note: "each finding with the command that fixes it",
    },
    Example {
        command: "zpgp --json doctor",
        note: "problems and what was fixed, as JSON",
    },
];

pub const AUDIT_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp audit",
        note: "your keys: what is weak or ageing, and the fix",
    },
    Example {
        command: "zpgp audit --contacts",
        note: "also every certificate on file",
    },
    Example {
        command: "zpgp --json audit --contacts",
        note: "findings with stable ids, as JSON",
    },
];

pub const AGENT_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp agent",
        note: "which keys are unlocked, until when",
    },
    Example {
        command: "zpgp agent --forget",
        note: "lock every key again (e.g. before leaving the desk)",
    },
    Example {
        command: "zpgp --no-agent decrypt report.pdf.pgp",
        note: "ask for the passphrase, keep nothing unlocked",
    },
    Example {
        command: "zpgp config set agent-ttl 30m",
        note: "keep keys unlocked for 30 minutes since last use",
    },
];

pub const INSPECT_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp inspect message.pgp",
        note: "recipients, format, signers",
    },
    Example {
        command: "zpgp inspect bob.asc",
        note: "a certificate: keys, user IDs",
    },
    Example {
        command: "curl -s https://example.org/key.asc | zpgp inspect --json",
        note: "",
    },
];

pub const ARMOR_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp armor message.pgp -o message.asc",
        note: "",
    },
    Example {
        command: "gpg --export alice@example.org | zpgp armor > alice.asc",
        note: "",
    },
];

pub const DEARMOR_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp dearmor message.asc -o message.pgp",
        note: "",
    },
    Example {
        command: "zpgp dearmor < alice.asc > alice.pgp",
        note: "",
    },
];

pub const COMPLETIONS_EXAMPLES: &[Example] = &[
    Example {
        command: "echo 'source <(zpgp completions bash)' >> ~/.bashrc",
        note: "",
    },
    Example {
        command: "zpgp completions zsh > ~/.zfunc/_zpgp",
        note: "with fpath+=~/.zfunc in ~/.zshrc",
    },
    Example {
        command: "zpgp completions fish > ~/.config/fish/completions/zpgp.fish",
        note: "",
    },
];
