//! Text from outside (a target's answer, an adapter's line, a name from a
//! matrix file) as a person is shown it: clipped at a documented length,
//! so that no answer can swell a report or overflow a formatter, and with
//! control characters escaped, so that none can rewrite a terminal.

use std::borrow::Cow;

/// How many characters of one value from a target (a field, a header, an
/// expected-vs-actual line) any output shows; the rest is counted, not
/// shown. INTERPRETING.md and the README's security notes name this length.
pub const SHOWN_CHARS: usize = 2000;

/// `text` cut after `max` characters, with how many bytes were left out:
/// `abc… (1234 more bytes)`. Never panics, whatever the length.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!(
            "{}… ({} more bytes)",
            &text[..end],
            text.len() - end
        )),
    }
}

/// `text` with every control character (ESC, BEL, CR, a newline...) written
/// as a Rust escape (`\u{1b}`), so that it prints as one inert line.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_counts_characters_and_says_how_much_was_left_out() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "abc… (1 more bytes)");
        assert_eq!(clip("ééé", 1), "é… (4 more bytes)");
        assert_eq!(clip("", 0), "");
        let long = "x".repeat(70_000);
        let clipped = clip(&long, SHOWN_CHARS);
        assert!(clipped.starts_with(&long[..SHOWN_CHARS]));
        assert!(clipped.ends_with("x… (68000 more bytes)"), "{clipped}");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\n");
        assert_eq!(escape_controls("plain é"), "plain é");
    }
}
