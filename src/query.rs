//! What a user may type to name a key.

use std::fmt;

use sequoia_openpgp::{Fingerprint, KeyID};

/// A parsed query: a fingerprint, a key ID, an email address, or part of a
/// name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Fingerprint(Fingerprint),
    KeyId(KeyID),
    /// Lower-cased address, without angle brackets.
    Email(String),
    /// Lower-cased text to find inside a user ID.
    Text(String),
}

impl Query {
    /// The key a fingerprint or key ID query names; `None` for an address
    /// or text, which name user IDs.
    pub fn key_handle(&self) -> Option<sequoia_openpgp::KeyHandle> {
        match self {
            Query::Fingerprint(f) => Some(f.clone().into()),
            Query::KeyId(id) => Some(id.clone().into()),
            Query::Email(_) | Query::Text(_) => None,
        }
    }

    /// Whether a user ID matches an address or text query, as the
    /// keyring's index matches them (fingerprints and key IDs name keys,
    /// not user IDs).
    pub fn matches_userid(&self, uid: &sequoia_openpgp::packet::UserID) -> bool {
        match self {
            Query::Email(e) => simple_address_match(uid.value(), e)
                .unwrap_or_else(|| uid.email_normalized().ok().flatten().as_deref() == Some(e)),
            Query::Text(t) => String::from_utf8_lossy(uid.value())
                .to_lowercase()
                .contains(t.as_str()),
            Query::Fingerprint(_) | Query::KeyId(_) => false,
        }
    }

    /// Parses what the user typed.  Fingerprints may contain spaces and a
    /// `0x` prefix; key IDs are 16 hex digits; anything with an `@` is an
    /// email address, optionally in angle brackets.
    pub fn parse(input: &str) -> Result<Query, String> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err("an empty query matches nothing".into());
        }
        let hex: String = trimmed
            .strip_prefix("0x")
            .or_else(|| trimmed.strip_prefix("0X"))
            .unwrap_or(trimmed)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            match hex.len() {
                40 | 64 => {
                    if let Ok(fp) = hex.parse::<Fingerprint>() {
                        return Ok(Query::Fingerprint(fp));
                    }
                }
                16 => {
                    if let Ok(id) = hex.parse::<KeyID>() {
                        return Ok(Query::KeyId(id));
                    }
                }
                _ => {}
            }
        }
        if trimmed.contains('@') {
            let email = trimmed
                .strip_prefix('<')
                .and_then(|s| s.strip_suffix('>'))
                .unwrap_or(trimmed);
            if email.contains(['<', '>']) || email.chars().any(char::is_whitespace) {
                return Err(format!("{input:?} is not an email address"));
            }
            return Ok(Query::Email(email.to_lowercase()));
        }
        Ok(Query::Text(trimmed.to_lowercase()))
    }
}

/// Whether the user ID `value` has the address `email` (lowercase), for
/// the two plain forms most user IDs take, `<email>` and `Name <email>`
/// with a name of letters, digits, spaces, dots, apostrophes and hyphens;
/// `None` for anything else, which sequoia's parser decides.  Sequoia
/// builds a large regular expression for its parser on first use: a
/// millisecond of a 4 KiB `encrypt -r EMAIL`.  For these forms its answer
/// is the same: the address between the brackets, lowercased (an ASCII
/// domain is its own punycode).
fn simple_address_match(value: &[u8], email: &str) -> Option<bool> {
    let value = std::str::from_utf8(value).ok()?;
    let (name, rest) = value.rsplit_once('<')?;
    let addr = rest.strip_suffix('>')?;
    let plain_name = name.is_empty()
        || (name.ends_with(' ')
            && name
                .trim_end()
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '\'' | '-'))
            && !name.trim().is_empty());
    let plain_addr = addr.is_ascii()
        && addr.matches('@').count() == 1
        && !addr.starts_with('@')
        && !addr.ends_with('@')
        && addr
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@.-_+".contains(&b));
    if !(plain_name && plain_addr) {
        return None;
    }
    Some(addr.eq_ignore_ascii_case(email))
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Query::Fingerprint(fp) => write!(f, "fingerprint {fp:X}"),
            Query::KeyId(id) => write!(f, "key ID {id:X}"),
            Query::Email(e) => write!(f, "<{e}>"),
            Query::Text(t) => write!(f, "{t:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut agrees with sequoia's parser wherever it answers.
    #[test]
    fn simple_address_match_agrees_with_sequoia() {
        use sequoia_openpgp::packet::UserID;
        let cases = [
            "Alice Lovelace <alice@example.org>",
            "<alice@example.org>",
            "Alice <ALICE@Example.ORG>",
            "J. O'Neil-Smith <j.oneil+pgp@mail.example.org>",
            "Zoë Ünal <zoe@example.org>",
            "Alice <alice@example.org",
            "Alice<alice@example.org>",
            "\"Alice <bob@example.org>\" <alice@example.org>",
            "Alice (work) <alice@example.org>",
            "alice@example.org",
            "Alice <alice@exämple.org>",
            "Alice <alice@@example.org>",
            "Mallory <mallory@evil.example> <alice@example.org>",
            " <alice@example.org>",
        ];
        for case in cases {
            let uid = UserID::from(case);
            let sequoia = uid.email_normalized().ok().flatten();
            for query in [
                "alice@example.org",
                "j.oneil+pgp@mail.example.org",
                "zoe@example.org",
            ] {
                if let Some(fast) = simple_address_match(case.as_bytes(), query) {
                    assert_eq!(
                        fast,
                        sequoia.as_deref() == Some(query),
                        "{case:?} for {query}"
                    );
                }
            }
        }
        // The plain forms are answered without the parser.
        assert_eq!(
            simple_address_match(b"Alice Lovelace <alice@example.org>", "alice@example.org"),
            Some(true)
        );
        assert_eq!(
            simple_address_match(b"\"A\" <alice@example.org>", "alice@example.org"),
            None
        );
    }

    #[test]
    fn parses_each_form() {
        let fp = "EB85 BB5F A33A 75E1 5E94  4E63 F231 550C 4F47 E38E";
        assert!(matches!(Query::parse(fp), Ok(Query::Fingerprint(_))));
        assert!(matches!(
            Query::parse("0xF231550C4F47E38E"),
            Ok(Query::KeyId(_))
        ));
        assert_eq!(
            Query::parse("<Alice@Example.org>"),
            Ok(Query::Email("alice@example.org".into()))
        );
        assert_eq!(Query::parse("Alice L"), Ok(Query::Text("alice l".into())));
        assert_eq!(Query::parse("cafe"), Ok(Query::Text("cafe".into())));
        assert!(Query::parse("  ").is_err());
        assert!(Query::parse("a <b@c>").is_err());
    }
}
