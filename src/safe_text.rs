//! Text from content packs, scenarios and file names on its way to a terminal or an export.
//!
//! A shared file must never do more than show text. A terminal obeys escape sequences wherever
//! they appear in its output — an OSC sequence can retitle the window or, where OSC 52 is
//! allowed, write the clipboard — so every plain-text path prints through here. The loader
//! rejects such characters too; this is the second wall, for what reaches output another way
//! (file names, error messages quoting input, a tree never checked). The TUI needs none of
//! it: ratatui drops control characters when it fills its buffer.

use std::borrow::Cow;

/// C0 controls (except newline and tab), DEL and C1 controls: the characters a terminal may
/// act on instead of showing. Exactly Unicode's `Cc` category less `\n` and `\t`.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// Whether `text` holds a character `is_unsafe` rejects, a CR before LF aside (the loader
/// accepts CRLF line endings).
pub fn has_unsafe(text: &str) -> bool {
    first_unsafe(text).is_some()
}

/// Byte offset and character of the first unsafe character, a CR that ends a CRLF aside.
pub fn first_unsafe(text: &str) -> Option<(usize, char)> {
    // Every unsafe character starts with a byte below 0x20, 0x7F or the C1 lead byte 0xC2 (all
    // of them character boundaries). The loader runs this over all content at start-up, so
    // blocks are screened with a branch-free fold the compiler vectorises, and only a block
    // holding such a byte (a CRLF file, a `·`) is looked at character by character.
    const BLOCK: usize = 64;
    let bytes = text.as_bytes();
    let suspicious = |b: u8| (b < 0x20 && b != b'\n' && b != b'\t') | (b == 0x7F) | (b == 0xC2);
    for (n, block) in bytes.chunks(BLOCK).enumerate() {
        if !block.iter().fold(false, |acc, &b| acc | suspicious(b)) {
            continue;
        }
        for (i, _) in block.iter().enumerate().filter(|(_, &b)| suspicious(b)) {
            let at = n * BLOCK + i;
            let c = text[at..].chars().next()?;
            let crlf = c == '\r' && bytes.get(at + 1) == Some(&b'\n');
            if is_unsafe(c) && !crlf {
                return Some((at, c));
            }
        }
    }
    None
}

/// The character's name in messages: `U+001B`.
pub fn code(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// Text safe to print: CRLF becomes LF and every other unsafe character is shown as a visible
/// escape (`\u{1b}`), so the reader sees that something was there. Newlines and tabs stay.
pub fn clean(text: &str) -> Cow<'_, str> {
    replace(text, false, |c, out| out.push_str(&c.escape_default().to_string()))
}

/// `clean`, for text that must stay on one line (a file name in `path:line: message`): newlines
/// and tabs are escaped as well.
pub fn one_line(text: &str) -> Cow<'_, str> {
    replace(text, true, |c, out| out.push_str(&c.escape_default().to_string()))
}

/// Text with every unsafe character removed (CRLF becomes LF), for fields another program
/// imports (the Anki export) where an escape would be noise.
pub fn strip(text: &str) -> Cow<'_, str> {
    replace(text, false, |_, _| {})
}

/// Serialised JSON made safe to print. serde_json escapes C0 controls but writes DEL and the
/// C1 controls raw (the JSON grammar allows them), and a terminal reading UTF-8 may act on C1
/// ones; outside strings JSON has none, so escaping them as `\u00XX` keeps the same value.
pub fn json(serialised: String) -> String {
    if !serialised.chars().any(is_unsafe) {
        return serialised;
    }
    let mut out = String::with_capacity(serialised.len() + 16);
    for c in serialised.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

fn replace(text: &str, one_line: bool, mut write: impl FnMut(char, &mut String)) -> Cow<'_, str> {
    let bad = |c: char| is_unsafe(c) || (one_line && (c == '\n' || c == '\t'));
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') && !one_line {
            continue;
        }
        if bad(c) {
            write(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_osc_and_csi_sequences() {
        let hostile = "Quorum\u{1b}]0;owned\u{7}\u{1b}[31m red";
        let shown = clean(hostile);
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}'));
        assert_eq!(shown, "Quorum\\u{1b}]0;owned\\u{7}\\u{1b}[31m red");
    }

    #[test]
    fn c1_controls_and_del_are_unsafe() {
        // U+009B is the one-character CSI of 8-bit terminals.
        for c in ['\u{9b}', '\u{9d}', '\u{7f}', '\u{0}', '\u{8}', '\r'] {
            assert!(is_unsafe(c), "{c:?}");
            assert!(!clean(&format!("a{c}b")).contains(c), "{c:?}");
        }
        assert!(!is_unsafe('\n') && !is_unsafe('\t') && !is_unsafe('é') && !is_unsafe('\u{a0}'));
    }

    #[test]
    fn clean_text_is_borrowed_and_crlf_accepted() {
        assert!(matches!(clean("plain\ttext\nnext — ✓"), Cow::Borrowed(_)));
        assert_eq!(clean("a\r\nb"), "a\nb");
        assert_eq!(first_unsafe("a\r\nb"), None);
        assert_eq!(first_unsafe("a\rb"), Some((1, '\r')));
        assert_eq!(first_unsafe("é\u{85}"), Some((2, '\u{85}')));
    }

    #[test]
    fn one_line_escapes_newlines_and_strip_removes() {
        assert_eq!(one_line("a\nb\u{1b}"), "a\\nb\\u{1b}");
        assert_eq!(strip("x\u{1b}[2Jy\r\nz"), "x[2Jy\nz");
    }

    #[test]
    fn json_escapes_what_serde_json_leaves_raw() {
        let v = serde_json::json!({ "name": "a\u{1b}b\u{7f}c\u{9b}d" });
        let printed = json(v.to_string());
        assert!(!has_unsafe(&printed), "{printed:?}");
        assert_eq!(printed, r#"{"name":"a\u001bb\u007fc\u009bd"}"#);
        let back: serde_json::Value = serde_json::from_str(&printed).unwrap();
        assert_eq!(back, v);
    }

    proptest::proptest! {
        #[test]
        fn output_never_holds_an_unsafe_character(text in "(\\PC|[\\x00-\\x20\\x7f-\\u{a0}a·\r\n]){0,300}") {
            proptest::prop_assert!(!has_unsafe(&clean(&text)));
            proptest::prop_assert!(!has_unsafe(&strip(&text)));
            proptest::prop_assert!(!one_line(&text).contains(|c: char| c.is_control()));
            // The byte scan against the definition, one character at a time.
            let reference = text.replace("\r\n", "\n").chars().any(is_unsafe);
            proptest::prop_assert_eq!(has_unsafe(&text), reference);
        }
    }
}
