//! Cross-file checks: every id unique and well formed, every link resolves, every term taught,
//! sizes within the limits CONTENT.md states.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use unicode_width::UnicodeWidthStr;

use super::{problem::Problem, text::line_of, Content, SourceFile};

type At = (String, usize);

/// Where things were found while parsing, so problems can name a file and line.
#[derive(Default)]
pub struct Parsed {
    /// (path, line, kind, id) of every declared id.
    pub ids: Vec<(String, usize, &'static str, String)>,
    pub module_lines: HashMap<String, At>,
    pub term_lines: HashMap<String, At>,
    pub lesson_lines: HashMap<String, At>,
    /// (path, line, module id) for glossary files and lesson folders.
    pub module_refs: Vec<(String, usize, String)>,
    /// (path, line, what refers, kind, target).
    pub refs: Vec<(String, usize, String, &'static str, String)>,
    /// (path, line, lesson id, term id) of each `terms` entry.
    pub lesson_terms: Vec<(String, usize, String, String)>,
    /// (path, body line, term id).
    /// (path, body line, term id, words in the body).
    pub term_bodies: Vec<(String, usize, String, usize)>,
    /// (path, lesson id, steps, checks, words).
    pub lesson_stats: Vec<(String, String, usize, usize, usize)>,
    /// Term ids linked from each lesson's body.
    pub lesson_links: HashMap<String, HashSet<String>>,
    /// (path, line, width) of code-block lines too wide for an 80-column terminal.
    pub wide_code: Vec<(String, usize, usize)>,
    /// (path, term id) of terms in glossary files that failed to parse.
    pub unparsed_terms: Vec<(String, String)>,
}

/// Widest code-block line that fits the text column of an 80-column terminal: 78 inside the
/// border, less a column of padding each side and the block's 2-column indent. Code never wraps
/// (diagrams keep their alignment), so a wider line is cut off there.
pub const MAX_CODE_WIDTH: usize = 74;

impl Parsed {
    /// Records every `term:` / `lesson:` link in a Markdown text that starts at `first_line`.
    pub fn scan_links(&mut self, path: &str, first_line: usize, markdown: &str, owner: &str) {
        // A plain scan for `](target)` outside fenced code, rather than a full Markdown parse:
        // this runs over all content at start-up, and the renderer's links are exactly these.
        let bytes = markdown.as_bytes();
        let line_start = |pos: usize| memchr::memrchr(b'\n', &bytes[..pos]).map_or(0, |n| n + 1);
        let mut fences: Vec<(usize, usize)> = Vec::new();
        let mut open = None;
        for pos in memchr::memmem::find_iter(bytes, b"```") {
            if bytes[line_start(pos)..pos].iter().all(|b| *b == b' ') {
                match open.take() {
                    None => open = Some(pos),
                    Some(start) => fences.push((start, pos)),
                }
            }
        }
        for (start, end) in fences.iter().copied().chain(open.map(|a| (a, bytes.len()))) {
            let mut line = first_line + memchr::memchr_iter(b'\n', &bytes[..start]).count();
            // The fence's own line (with its info string) is not code.
            for code in markdown[start..end].split('\n').skip(1) {
                line += 1;
                let width = code.trim_end().width();
                if width > MAX_CODE_WIDTH {
                    self.wide_code.push((path.to_string(), line, width));
                }
            }
        }
        let (mut line, mut counted_to) = (first_line, 0);
        for pos in memchr::memmem::find_iter(bytes, b"](") {
            if fences.iter().any(|(a, b)| (*a..*b).contains(&pos)) || open.is_some_and(|a| pos > a) {
                continue;
            }
            line += memchr::memchr_iter(b'\n', &bytes[counted_to..pos]).count();
            counted_to = pos;
            let after = &markdown[pos + 2..];
            let end = after
                .find(|c: char| c == ')' || c.is_whitespace())
                .unwrap_or(after.len());
            self.record_link(path, line, owner, &after[..end]);
        }
    }

    /// Appends what another run of files found (the later files).
    pub fn merge(&mut self, other: Parsed) {
        self.ids.extend(other.ids);
        self.module_lines.extend(other.module_lines);
        self.term_lines.extend(other.term_lines);
        self.lesson_lines.extend(other.lesson_lines);
        self.module_refs.extend(other.module_refs);
        self.refs.extend(other.refs);
        self.lesson_terms.extend(other.lesson_terms);
        self.term_bodies.extend(other.term_bodies);
        self.lesson_stats.extend(other.lesson_stats);
        self.wide_code.extend(other.wide_code);
        self.unparsed_terms.extend(other.unparsed_terms);
        for (lesson, links) in other.lesson_links {
            self.lesson_links.entry(lesson).or_default().extend(links);
        }
    }

    fn record_link(&mut self, path: &str, line: usize, owner: &str, dest: &str) {
        let (kind, target) = match dest.split_once(':') {
            Some(("term", t)) => ("term", t),
            Some(("lesson", l)) => ("lesson", l),
            Some(("http" | "https" | "mailto", _)) => return,
            _ => ("link", dest),
        };
        self.refs
            .push((path.to_string(), line, owner.to_string(), kind, target.to_string()));
        if let (Some(lesson), "term") = (owner.strip_prefix("lesson "), kind) {
            self.lesson_links
                .entry(lesson.to_string())
                .or_default()
                .insert(target.to_string());
        }
    }
}

/// A TOML error as a problem on the line its span points at; `line_offset` is where `file.text`
/// starts in the real file (front matter starts after the `+++` line).
pub fn toml_problem(file: &SourceFile, line_offset: usize, err: &toml::de::Error) -> Problem {
    let line = err.span().map(|s| line_of(&file.text, s.start)).unwrap_or(1) + line_offset;
    let message = err.message().trim().replace('\n', " ");
    Problem::new(&file.display, line, format!("invalid TOML: {message}"))
}

pub fn check(content: &Content, parsed: &Parsed, problems: &mut Vec<Problem>) {
    let mut seen: HashMap<(&str, &str), (&str, usize)> = HashMap::default();
    for (path, line, kind, id) in &parsed.ids {
        let bare = if *kind == "lesson" {
            id.split_once('/').map_or(id.as_str(), |(_, s)| s)
        } else {
            id.as_str()
        };
        if *kind != "lesson" && !super::text::is_kebab_id(bare) {
            problems.push(Problem::new(
                path,
                *line,
                format!("{kind} id {id:?} must be lowercase kebab-case (a-z, 0-9, -)"),
            ));
        }
        if let Some((p, l)) = seen.insert((kind, id.as_str()), (path.as_str(), *line)) {
            problems.push(Problem::new(
                path,
                *line,
                format!("duplicate {kind} id {id:?} (first at {p}:{l})"),
            ));
        }
    }
    for (path, line, module) in &parsed.module_refs {
        if content.module(module).is_none() {
            problems.push(Problem::new(
                path,
                *line,
                format!("unknown module {module:?}: not in content/modules.toml"),
            ));
        }
    }
    // A glossary file that does not parse is reported once; the links into it are counted in
    // one line there, not each reported as an unknown term.
    let unparsed: HashMap<&str, &str> = parsed
        .unparsed_terms
        .iter()
        .map(|(path, id)| (id.as_str(), path.as_str()))
        .collect();
    let mut into_unparsed: std::collections::BTreeMap<&str, usize> = Default::default();
    for (path, line, owner, kind, target) in &parsed.refs {
        if *kind == "term" && content.term(target).is_none() {
            if let Some(file) = unparsed.get(target.as_str()) {
                *into_unparsed.entry(file).or_default() += 1;
                continue;
            }
        }
        let ok = match *kind {
            "term" => content.term(target).is_some(),
            "lesson" => content.lesson(target).is_some(),
            "lab" => crate::engines::lab::find(target).is_some(),
            _ => false,
        };
        if !ok {
            let msg = match *kind {
                "link" => format!("{owner}: link target {target:?} is not term:<id>, lesson:<id> or a web address"),
                _ => format!("{owner}: unknown {kind} {target:?}"),
            };
            problems.push(Problem::new(path, *line, msg));
        }
    }
    for (file, n) in into_unparsed {
        let links = if n == 1 {
            "1 link".to_string()
        } else {
            format!("{n} links")
        };
        problems.push(Problem::new(
            file,
            1,
            format!("{links} elsewhere point to terms of this file; they are checked once it parses"),
        ));
    }
    for (path, line, width) in &parsed.wide_code {
        problems.push(Problem::new(
            path,
            *line,
            format!("code line is {width} columns wide; at most {MAX_CODE_WIDTH} fit an 80-column terminal"),
        ));
    }
    for (path, line, term, words) in &parsed.term_bodies {
        let words = *words;
        if let Some(t) = content.term(term) {
            if !(80..=250).contains(&words) {
                problems.push(Problem::new(
                    path,
                    *line,
                    format!("term {term}: body has {words} words (80 to 250)"),
                ));
            }
            if t.see_also.iter().any(|s| s == term) {
                problems.push(Problem::new(
                    path,
                    *line,
                    format!("term {term}: see_also lists the term itself"),
                ));
            }
        }
    }
    for (path, line, lesson, term) in &parsed.lesson_terms {
        let linked = parsed.lesson_links.get(lesson).is_some_and(|l| l.contains(term));
        if content.term(term).is_some() && !linked {
            problems.push(Problem::new(
                path,
                *line,
                format!("term {term} is taught here but never linked in the text as [..](term:{term})"),
            ));
        }
    }
    for (path, id, steps, checks, words) in &parsed.lesson_stats {
        let total = steps + usize::from(*checks > 0);
        if !(2..=7).contains(steps) {
            problems.push(Problem::new(
                path,
                1,
                format!("lesson {id} has {steps} `## ` steps (2 to 7, plus Check yourself)"),
            ));
        }
        if !(2..=4).contains(checks) {
            problems.push(Problem::new(
                path,
                1,
                format!("lesson {id} has {checks} [[check]] questions (2 to 4)"),
            ));
        }
        if !(3..=8).contains(&total) && (2..=7).contains(steps) {
            problems.push(Problem::new(
                path,
                1,
                format!("lesson {id} has {total} steps in all (3 to 8)"),
            ));
        }
        if !(400..=1500).contains(words) {
            problems.push(Problem::new(
                path,
                1,
                format!("lesson {id} has {words} words (400 to 1500)"),
            ));
        }
    }
    for term in &content.terms {
        if term.taught_in.is_empty() {
            let (path, line) = parsed.term_lines.get(&term.id).cloned().unwrap_or_default();
            problems.push(Problem::new(
                &path,
                line,
                format!(
                    "term {} is not taught by any lesson: list it in a lesson's `terms`",
                    term.id
                ),
            ));
        }
    }
    for module in &content.modules {
        if module.lessons.is_empty() {
            let (path, line) = parsed.module_lines.get(&module.id).cloned().unwrap_or_default();
            problems.push(Problem::new(
                &path,
                line,
                format!("module {} has no lessons under lessons/{}/", module.id, module.id),
            ));
        }
    }
}
