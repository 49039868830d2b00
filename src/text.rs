//! Text from a user's file made safe to show on a terminal. A file's text,
//! or its name, must not be able to drive the terminal (escape sequences
//! that retitle or clear it) nor reorder or hide what the user reads (bidi
//! overrides, zero-width characters): such characters are escaped
//! everywhere a file's text or name is shown.

use std::borrow::Cow;

/// Characters that change how the text around them is read without being
/// seen: bidi embeddings, overrides and isolates, marks, zero-width
/// characters, invisible operators, line and paragraph separators, the
/// byte-order mark and the soft hyphen.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
    )
}

/// Whether `c` must not reach a terminal raw: a control character (C0, DEL
/// or C1) or an invisible one.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

/// `text` with every unsafe character escaped the way Rust writes it
/// (`\u{1b}`, `\u{202e}`, `\n`); borrowed when there is none.
pub fn escaped(text: &str) -> Cow<'_, str> {
    // Printable ASCII, byte by byte, is nearly every name.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) || !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// Pushes `c`, escaped if it is unsafe.
pub fn push_escaped(out: &mut String, c: char) {
    if is_unsafe(c) {
        out.extend(c.escape_default());
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_invisibles_are_escaped() {
        assert_eq!(
            escaped("x\u{1b}]0;PWNED\u{7}.yaml"),
            "x\\u{1b}]0;PWNED\\u{7}.yaml"
        );
        assert_eq!(
            escaped("a\u{202e}b\u{200b}c\u{2028}"),
            "a\\u{202e}b\\u{200b}c\\u{2028}"
        );
        assert!(matches!(escaped("Living Room €"), Cow::Borrowed(_)));
    }
}
