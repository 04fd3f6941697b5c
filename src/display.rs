//! One sanitizing wrapper for every string that comes from someone else's
//! key or message, so a hostile user ID cannot move the cursor, fake a line
//! or flood the screen; and one for zpgp's own messages, which quote file
//! names and user IDs.

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
            write_char(f, c)?;
        }
        Ok(())
    }
}

/// A message of zpgp's own (an error, its causes, a hint), which may quote
/// strings from anywhere: escaped like [`Safe`], except that its line
/// breaks are meant (a list of candidates, one per line) and stay, and it
/// is not cut (what it quotes from keys is cut already).
pub struct SafeText<'a>(pub &'a str);

impl fmt::Display for SafeText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c == '\n' {
                f.write_str("\n")?;
            } else {
                write_char(f, c)?;
            }
        }
        Ok(())
    }
}

fn write_char(f: &mut fmt::Formatter<'_>, c: char) -> fmt::Result {
    if needs_escape(c) {
        write!(f, "{}", c.escape_unicode())
    } else {
        f.write_fmt(format_args!("{c}"))
    }
}

/// Whether `s` shows differently through [`SafeText`] than raw.
pub fn needs_escaping(s: &str) -> bool {
    s.chars().any(|c| c != '\n' && needs_escape(c))
}

fn needs_escape(c: char) -> bool {
    c.is_control() || is_bidi_or_invisible(c)
}

/// Characters that reorder text, break lines outside the terminal's
/// notion of a line, or show nothing at all (so two different names look
/// alike).
fn is_bidi_or_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                      // soft hyphen
        | '\u{034F}'                    // combining grapheme joiner
        | '\u{061C}'                    // Arabic letter mark
        | '\u{115F}' | '\u{1160}'       // Hangul fillers
        | '\u{180E}'                    // Mongolian vowel separator
        | '\u{200B}'..='\u{200F}'       // zero widths, LRM, RLM
        | '\u{2028}' | '\u{2029}'       // line and paragraph separators
        | '\u{202A}'..='\u{202E}'       // embeddings and overrides
        | '\u{2060}'..='\u{2064}'       // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}'       // isolates
        | '\u{206A}'..='\u{206F}'       // deprecated format characters
        | '\u{3164}'                    // Hangul filler
        | '\u{FEFF}'                    // zero-width no-break space
        | '\u{FFA0}'                    // halfwidth Hangul filler
        | '\u{E0000}'..='\u{E007F}'     // tags
    )
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

    #[test]
    fn escapes_invisible_and_line_breaking_characters() {
        for (raw, shown) in [
            ("a\u{2060}b", "a\\u{2060}b"),
            ("pay\u{00AD}pal", "pay\\u{ad}pal"),
            ("\u{3164}", "\\u{3164}"),
            ("line\u{2028}fake", "line\\u{2028}fake"),
            ("x\u{2029}y", "x\\u{2029}y"),
            (
                "\u{E0001}\u{E0041}\u{E007F}",
                "\\u{e0001}\\u{e0041}\\u{e007f}",
            ),
            ("\u{FFA0}\u{115F}", "\\u{ffa0}\\u{115f}"),
        ] {
            assert_eq!(Safe(raw).to_string(), shown, "{raw:?}");
            assert_eq!(SafeText(raw).to_string(), shown, "{raw:?}");
        }
        // Ordinary letters on both sides of those ranges stay.
        assert_eq!(Safe("Łódź 東京 émoji 🎉").to_string(), "Łódź 東京 émoji 🎉");
    }

    #[test]
    fn messages_keep_their_lines_and_length() {
        let msg = "\"alice\" matches 2 keys:\n  AAAA alice\n  BBBB alice";
        assert_eq!(SafeText(msg).to_string(), msg);
        assert!(!needs_escaping(msg));
        let name = "out\x1b]0;pwned\x07.txt exists already";
        assert_eq!(
            SafeText(name).to_string(),
            "out\\u{1b}]0;pwned\\u{7}.txt exists already"
        );
        assert!(needs_escaping(name));
        assert!(needs_escaping("a\rb"));
        let long = "b".repeat(500);
        assert_eq!(SafeText(&long).to_string(), long);
    }
}
