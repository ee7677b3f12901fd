//! The rule that content is only text: no control character other than newline and tab (CR
//! only in CRLF line endings) in any file of a content tree. A shared content pack must not be
//! able to send a terminal escape sequence (`ESC ] 0 ; title BEL` retitles the window; OSC 52
//! writes the clipboard in terminals that allow it) through `sdlab glossary` or any other
//! plain-text output.
//!
//! Such a character reaches a field two ways: written raw in the file, or as a TOML escape
//! (`\u001b`, `\e`, `\x1b`, `\b`, `\f`, `\r`). The first is found by one byte scan of the
//! file; the second by walking the parsed TOML values with their spans, done only when the
//! file holds one of those escapes, so clean content pays for a scan and nothing more.

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::{problem::Problem, text::LineIndex, SourceFile};
use crate::safe_text;

/// A file holding thousands (a binary renamed `.md`) is reported this many times, then once
/// more with the count, so the problem list stays readable and bounded.
const MAX_REPORTS: usize = 20;

/// Reports every control character in `file`, raw or escaped, at its line.
pub fn check(file: &SourceFile, problems: &mut Vec<Problem>) {
    let mut report = Reports::new(&file.text);
    scan(&file.text, file.rel.ends_with(".md"), &mut report);
    report.finish(&file.display, problems);
}

/// The first control character in a TOML text, raw or escaped, as (line, character): the
/// same rule for the lab scenarios learners share.
pub fn first_control_in_toml(text: &str) -> Option<(usize, char)> {
    let mut report = Reports::new(text);
    scan(text, false, &mut report);
    report
        .found
        .iter()
        .min_by_key(|(line, _, _)| *line)
        .map(|(line, c, _)| (*line, *c))
}

fn scan(text: &str, markdown: bool, report: &mut Reports<'_>) {
    let mut from = 0;
    while let Some((at, c)) = safe_text::first_unsafe(&text[from..]) {
        let at = from + at;
        report.push(at, c, "");
        from = at + c.len_utf8();
    }
    // The TOML a file holds: all of a `.toml` file, a lesson's front matter between `+++` lines.
    let (toml, offset) = if markdown {
        match front_matter(text) {
            Some(range) => (&text[range.clone()], range.start),
            None => ("", 0),
        }
    } else {
        (text, 0)
    };
    if has_control_escape(toml) {
        // A file that does not parse is reported by its own parser; nothing to add here.
        if let Ok(doc) = DeTable::parse(toml) {
            walk_table(doc.get_ref(), offset, report);
        }
    }
}

/// The byte range of a lesson's front matter, as the lesson parser finds it.
fn front_matter(text: &str) -> Option<std::ops::Range<usize>> {
    let open = if text.starts_with("+++\n") {
        4
    } else if text.starts_with("+++\r\n") {
        5
    } else {
        return None;
    };
    let rest = &text[open..];
    let close = rest.find("\n+++").unwrap_or(rest.len());
    Some(open..open + close)
}

/// Whether a TOML text holds an escape that can decode to a control character. Over-eager on
/// purpose (`\\u` or `'\u'` in a literal string count too): a false alarm only costs a walk.
fn has_control_escape(toml: &str) -> bool {
    memchr::memchr_iter(b'\\', toml.as_bytes()).any(|i| {
        matches!(
            toml.as_bytes().get(i + 1),
            Some(b'u' | b'U' | b'x' | b'e' | b'b' | b'f' | b'r')
        )
    })
}

fn walk_table(table: &DeTable<'_>, offset: usize, report: &mut Reports<'_>) {
    for (key, value) in table.iter() {
        check_string(key, offset, report, " in a key");
        walk_value(value, offset, report);
    }
}

fn walk_value(value: &Spanned<DeValue<'_>>, offset: usize, report: &mut Reports<'_>) {
    match value.get_ref() {
        DeValue::String(s) => {
            if let Some((_, c)) = safe_text::first_unsafe(s) {
                // A multi-line string's problem is on the line of its escape, not its first.
                let span = value.span();
                let raw = report.text.get(offset + span.start..offset + span.end).unwrap_or("");
                let at = control_escape_at(raw).unwrap_or(0);
                report.push(offset + span.start + at, c, " (written as an escape)");
            }
        }
        DeValue::Array(items) => {
            for item in items.iter() {
                walk_value(item, offset, report);
            }
        }
        DeValue::Table(t) => walk_table(t, offset, report),
        _ => {}
    }
}

/// Byte offset in a raw TOML string literal of the first escape that decodes to a control
/// character (`\\` pairs skipped, so `\\\\u001b` is not one).
fn control_escape_at(raw: &str) -> Option<usize> {
    let bytes = raw.as_bytes();
    let mut i = 0;
    while let Some(n) = memchr::memchr(b'\\', &bytes[i..]) {
        let at = i + n;
        let hex = |len: usize| {
            raw.get(at + 2..at + 2 + len)
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .and_then(char::from_u32)
        };
        let decoded = match bytes.get(at + 1) {
            Some(b'e') => Some('\u{1b}'),
            Some(b'b') => Some('\u{8}'),
            Some(b'f') => Some('\u{c}'),
            Some(b'r') => Some('\r'),
            Some(b'x') => hex(2),
            Some(b'u') => hex(4),
            Some(b'U') => hex(8),
            _ => None,
        };
        if decoded.is_some_and(safe_text::is_unsafe) {
            return Some(at);
        }
        i = (at + 2).min(bytes.len());
    }
    None
}

fn check_string(s: &Spanned<std::borrow::Cow<'_, str>>, offset: usize, report: &mut Reports<'_>, what: &'static str) {
    if let Some((_, c)) = safe_text::first_unsafe(s.get_ref()) {
        report.push(offset + s.span().start, c, what);
    }
}

/// The problems of one file, at most one per line and `MAX_REPORTS` in all.
struct Reports<'a> {
    text: &'a str,
    lines: Option<LineIndex>,
    found: Vec<(usize, char, &'static str)>,
    /// Lines with a control character, the reported ones included.
    total: usize,
    last_line: usize,
}

impl<'a> Reports<'a> {
    fn new(text: &'a str) -> Reports<'a> {
        Reports {
            text,
            lines: None,
            found: Vec::new(),
            total: 0,
            last_line: 0,
        }
    }

    fn push(&mut self, offset: usize, c: char, how: &'static str) {
        let lines = self.lines.get_or_insert_with(|| LineIndex::new(self.text));
        let line = lines.line(offset);
        if line == self.last_line || self.found.iter().any(|(l, _, _)| *l == line) {
            return;
        }
        self.last_line = line;
        self.total += 1;
        if self.found.len() < MAX_REPORTS {
            self.found.push((line, c, how));
        }
    }

    fn finish(mut self, path: &str, problems: &mut Vec<Problem>) {
        self.found.sort_by_key(|(line, _, _)| *line);
        for (line, c, how) in &self.found {
            problems.push(Problem::new(
                path,
                *line,
                format!(
                    "control character {}{how}: content may hold only text, newlines and tabs",
                    safe_text::code(*c)
                ),
            ));
        }
        if self.total > self.found.len() {
            let (line, _, _) = self.found[self.found.len() - 1];
            problems.push(Problem::new(
                path,
                line,
                format!(
                    "{} more lines with control characters in this file",
                    self.total - self.found.len()
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(rel: &str, text: &str) -> Vec<String> {
        let file = SourceFile {
            rel: rel.into(),
            display: rel.into(),
            text: text.to_string().into(),
        };
        let mut out = Vec::new();
        check(&file, &mut out);
        out.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn escaped_control_in_a_toml_string_is_found_at_its_line() {
        let text = "[[term]]\nid = \"x\"\nsummary = \"a\\u001b]0;title\\u0007b\"\n";
        assert_eq!(
            problems("content/glossary/m.toml", text),
            ["content/glossary/m.toml:3: control character U+001B (written as an escape): content may hold only text, newlines and tabs"]
        );
        for escape in ["\\e", "\\x1b", "\\b", "\\f", "\\r", "\\U0000009b"] {
            let text = format!("a = \"ok\"\nb = [\"x{escape}\"]\n");
            let found = problems("content/modules.toml", &text);
            assert_eq!(found.len(), 1, "{escape}: {found:?}");
            assert!(
                found[0].starts_with("content/modules.toml:2: control character"),
                "{found:?}"
            );
        }
    }

    #[test]
    fn a_multi_line_string_is_reported_at_the_escape() {
        let text = "a = \"\"\"\nfirst \\\\u001b is text\nsecond\nthird \\u009b\n\"\"\"\n";
        let found = problems("content/modules.toml", text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("content/modules.toml:4: control character U+009B"),
            "{found:?}"
        );
    }

    #[test]
    fn allowed_escapes_and_crlf_pass() {
        let text = "a = \"tab\\there\\nline \\\\u001b\"\r\nb = '\\u001b is literal'\r\n";
        assert!(problems("content/modules.toml", text).is_empty());
    }

    #[test]
    fn raw_control_in_a_lesson_body_and_front_matter() {
        let text = "+++\ntitle = \"T\\u009b\"\n+++\n\n## Step\nhello \u{1b}[2J world\n";
        let found = problems("lessons/m/01-a.md", text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("lessons/m/01-a.md:2: control character U+009B"));
        assert!(found[1].starts_with("lessons/m/01-a.md:6: control character U+001B:"));
    }

    #[test]
    fn a_file_full_of_controls_gives_a_bounded_report() {
        let text = "x\u{1}\n".repeat(1000);
        let found = problems("lessons/m/01-a.md", &text);
        assert_eq!(found.len(), MAX_REPORTS + 1);
        assert!(found[MAX_REPORTS].contains("980 more lines"), "{}", found[MAX_REPORTS]);
    }
}
