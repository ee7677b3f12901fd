//! Small text helpers shared by the parsers and the validator.

/// 1-based line number of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Counts words the way authors would: a run that starts with a letter or digit, continuing
/// through letters, digits and the punctuation that sits inside numbers and compounds.
pub fn word_count(text: &str) -> usize {
    let mut count = 0;
    let mut in_word = false;
    for c in text.chars() {
        if in_word {
            in_word = c.is_ascii_alphanumeric() || "'’.,%/+-".contains(c);
        } else if c.is_ascii_alphanumeric() {
            in_word = true;
            count += 1;
        }
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
    }

    #[test]
    fn lines_are_one_based() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }

    #[test]
    fn kebab_ids() {
        assert!(is_kebab_id("cap-theorem"));
        assert!(!is_kebab_id("Cap"));
        assert!(!is_kebab_id("-x"));
        assert!(!is_kebab_id(""));
    }
}
