use std::fmt;

/// How bad a problem is. An error makes the content unusable (and `sdlab check` fail); a warning
/// points at something worth fixing, such as an unlinked first mention of a term, and is only
/// reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Severity {
    #[default]
    Error,
    Warning,
}

/// One thing wrong with a content file, reported as `path:line: message` (an error) or
/// `path:line: warning: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub line: usize,
    pub message: String,
    pub severity: Severity,
}

impl Problem {
    pub fn new(path: &str, line: usize, message: impl Into<String>) -> Problem {
        Problem {
            path: path.to_string(),
            line,
            message: message.into(),
            severity: Severity::Error,
        }
    }

    pub fn warning(path: &str, line: usize, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Warning,
            ..Problem::new(path, line, message)
        }
    }

    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }
}

/// One line whatever the file's name or the message quotes: a name can hold an escape sequence
/// or a newline as easily as a field can.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A path or message from a content pack may hold control characters: shown escaped.
        use crate::safe_text::one_line;
        let (path, message) = (one_line(&self.path), one_line(&self.message));
        match self.severity {
            Severity::Error => write!(f, "{path}:{}: {message}", self.line),
            Severity::Warning => write!(f, "{path}:{}: warning: {message}", self.line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_says_so_and_an_error_does_not() {
        assert_eq!(Problem::new("a.md", 3, "bad").to_string(), "a.md:3: bad");
        let w = Problem::warning("a.md", 3, "unlinked");
        assert_eq!(w.to_string(), "a.md:3: warning: unlinked");
        assert!(w.is_warning() && !Problem::new("a.md", 1, "x").is_warning());
    }
}
