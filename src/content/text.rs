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
const fn continues_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'\'' | b'.' | b',' | b'%' | b'/' | b'+' | b'-')
}

/// Per byte: bit 0 set if it starts a word, bit 1 if it continues one. UTF-8 continuation bytes
/// continue without starting (they belong to the character their lead byte began), and lead
/// bytes break a word; the one exception, ’, is checked where it starts.
const WORD_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = if c < 0x80 {
            (c.is_ascii_alphanumeric() as u8) | ((continues_word(c) as u8) << 1)
        } else if c < 0xC0 {
            0b10
        } else {
            0
        };
        b += 1;
    }
    table
};

/// The typographic apostrophe ’ (E2 80 99), the one non-ASCII character inside words.
const APOSTROPHE: [u8; 3] = [0xE2, 0x80, 0x99];

/// Counts words the way authors would: a run that starts with a letter or digit, continuing
/// through letters, digits and the punctuation that sits inside numbers and compounds.
pub fn word_count(text: &str) -> usize {
    // A branch-free state machine over bytes: this runs over every lesson and term at start-up,
    // and the branchy version spent most of its time on mispredicted word boundaries.
    let bytes = text.as_bytes();
    let (mut count, mut in_word) = (0usize, 0u8);
    for (i, &b) in bytes.iter().enumerate() {
        let class = if b == APOSTROPHE[0] && bytes.get(i..i + 3) == Some(&APOSTROPHE[..]) {
            0b10
        } else {
            WORD_CLASS[usize::from(b)]
        };
        count += usize::from(class & 1 & (in_word ^ 1));
        in_word = (class >> in_word) & 1;
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

    /// The definition, one character at a time.
    fn reference_word_count(text: &str) -> usize {
        let (mut count, mut in_word) = (0, false);
        for ch in text.chars() {
            in_word = if in_word {
                ch == '’' || (ch.is_ascii() && continues_word(ch as u8))
            } else if ch.is_ascii_alphanumeric() {
                count += 1;
                true
            } else {
                false
            };
        }
        count
    }

    proptest::proptest! {
        #[test]
        fn word_count_agrees_with_its_definition(text in "[a-z0-9 ,.’'\\-—é→\n]{0,60}") {
            proptest::prop_assert_eq!(word_count(&text), reference_word_count(&text));
        }
    }

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
