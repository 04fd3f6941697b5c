//! One sanitizing wrapper for every string that comes from someone else's
//! key or message, so a hostile user ID cannot move the cursor, fake a line
//! or flood the screen.

use std::fmt;

/// The longest string shown before it is cut.
const MAX_CHARS: usize = 200;

/// Displays the wrapped text with control characters, terminal escapes and
/// bidirectional overrides escaped, and cut at a sane length.
pub struct Safe<'a>(pub &'a str);

impl fmt::Display for Safe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, c) in self.0.chars().enumerate() {
            if n == MAX_CHARS {
                return f.write_str("…");
            }
            if c.is_control() || is_bidi_or_invisible(c) {
                write!(f, "{}", c.escape_unicode())?;
            } else {
                f.write_fmt(format_args!("{c}"))?;
            }
        }
        Ok(())
    }
}

fn is_bidi_or_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}' | '\u{061C}')
}

/// A user ID's bytes, shown safely.
pub fn userid(bytes: &[u8]) -> String {
    Safe(&String::from_utf8_lossy(bytes)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_hostile_text() {
        assert_eq!(Safe("Alice <a@b>").to_string(), "Alice <a@b>");
        assert_eq!(Safe("a\x1b[2Jb").to_string(), "a\\u{1b}[2Jb");
        assert_eq!(Safe("x\ny").to_string(), "x\\u{a}y");
        assert_eq!(Safe("\u{202E}abc").to_string(), "\\u{202e}abc");
        assert_eq!(
            Safe(&"a".repeat(500)).to_string().chars().count(),
            MAX_CHARS + 1
        );
    }
}
