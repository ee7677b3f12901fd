use std::fmt;

/// One thing wrong with a content file, reported as `path:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl Problem {
    pub fn new(path: &str, line: usize, message: impl Into<String>) -> Problem {
        Problem {
            path: path.to_string(),
            line,
            message: message.into(),
        }
    }
}

/// One line whatever the file's name or the message quotes: a name can hold an escape sequence
/// or a newline as easily as a field can.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::safe_text::one_line;
        write!(f, "{}:{}: {}", one_line(&self.path), self.line, one_line(&self.message))
    }
}
