//! Small text helpers shared by the parsers and the validator.

/// 1-based line number of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Line numbers of byte offsets in one text, answered by binary search over the newline
/// positions (a parser asks for many lines; counting from the start each time is quadratic).
pub struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        LineIndex {
            newlines: memchr::memchr_iter(b'\n', text.as_bytes()).collect(),
        }
    }

    /// 1-based line of byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&n| n < offset) + 1
    }
}

/// ASCII bytes that continue a word: letters, digits and the punctuation inside numbers and
/// compounds ("3.5", "p99", "read-only", "50%").
const WORD_CONTINUES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'\'' | b'.' | b',' | b'%' | b'/' | b'+' | b'-');
        b += 1;
    }
    table
};

/// Counts words the way authors would: a run that starts with a letter or digit, continuing
/// through letters, digits and the punctuation that sits inside numbers and compounds.
pub fn word_count(text: &str) -> usize {
    // Bytes, not chars: this runs over every lesson and term at start-up. The one non-ASCII
    // character that continues a word is the typographic apostrophe ’ (E2 80 99).
    let bytes = text.as_bytes();
    let (mut count, mut in_word, mut i) = (0, false, 0);
    while i < bytes.len() {
        let b = bytes[i];
        if b >= 0x80 {
            let apostrophe = bytes.get(i..i + 3) == Some(&[0xE2, 0x80, 0x99][..]);
            in_word &= apostrophe;
            // Skip the rest of the UTF-8 sequence.
            i += 1;
            while i < bytes.len() && bytes[i] & 0xC0 == 0x80 {
                i += 1;
            }
            continue;
        }
        if in_word {
            in_word = WORD_CONTINUES[usize::from(b)];
        } else if b.is_ascii_alphanumeric() {
            in_word = true;
            count += 1;
        }
        i += 1;
    }
    count
}

pub fn is_kebab_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words_like_authors() {
        assert_eq!(word_count("Hello, world — 3.5 ms at p99."), 6);
        assert_eq!(word_count("[quorum](term:quorum) wins"), 4);
        assert_eq!(word_count(""), 0);
        assert_eq!(word_count("don’t stop — now…ok"), 4);
    }

    #[test]
    fn lines_are_one_based() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }

    #[test]
    fn line_index_agrees_with_counting() {
        let text = "a\nbb\n\nccc\n";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 2 {
            assert_eq!(index.line(offset), line_of(text, offset), "offset {offset}");
        }
    }

    #[test]
    fn kebab_ids() {
        assert!(is_kebab_id("cap-theorem"));
        assert!(!is_kebab_id("Cap"));
        assert!(!is_kebab_id("-x"));
        assert!(!is_kebab_id(""));
    }
}
