//! Cross-file checks: every id unique and well formed, every link resolves, every term taught,
//! sizes within the limits CONTENT.md states.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use unicode_width::UnicodeWidthStr;

use super::{
    problem::Problem,
    text::{line_of, LineIndex},
    Content, SourceFile,
};

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
    /// Per lesson id, (path, first line) of each step's body, in step order.
    pub step_lines: StepLines,
}

/// Per lesson id, (path, first line) of each step's body, in step order.
pub type StepLines = HashMap<String, Vec<(String, usize)>>;

/// Widest code-block line that fits the text column of an 80-column terminal: 78 inside the
/// border, less a column of padding each side and the block's 2-column indent. Code never wraps
/// (diagrams keep their alignment), so a wider line is cut off there.
pub const MAX_CODE_WIDTH: usize = 74;

impl Parsed {
    /// Records every `term:` / `lesson:` link in a Markdown text that starts at `first_line`.
    pub fn scan_links(&mut self, path: &str, first_line: usize, markdown: &str, owner: &str) {
        if let Some(lesson) = owner.strip_prefix("lesson ") {
            self.step_lines
                .entry(lesson.to_string())
                .or_default()
                .push((path.to_string(), first_line));
        }
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
        for (lesson, lines) in other.step_lines {
            self.step_lines.entry(lesson).or_default().extend(lines);
        }
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

/// Words that point at material a learner never saw (the notes a course was written from, a
/// tutorial nobody linked). Matched at the start of a word, so plurals are included.
const OFF_PAGE: [&str; 12] = [
    "tutorial",
    "source note",
    "original note",
    "our source",
    "our notes",
    "the notes",
    "set of notes",
    "some sources",
    "one source",
    "some notes",
    "older notes",
    "study notes",
];

/// TOML keys whose values are ids, lab checks or key sequences, never text a learner reads.
const NOT_TEXT_KEYS: [&str; 8] = [
    "id", "terms", "see_also", "lesson", "lab", "check", "solution", "scenario",
];

/// Rejects, line by line, wording in learner-facing text that refers to unseen sources
/// ("the seeds", "our source notes", "one tutorial"): the learner cannot place them, so the text
/// must name the claim itself.
pub fn scan_wording(file: &SourceFile, problems: &mut Vec<Problem>) {
    let lower = file.text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let starts_word = |pos: usize| pos == 0 || !bytes[pos - 1].is_ascii_alphanumeric();
    // (start, length of the phrase found). Every phrase contains one of three anchor words, so
    // the text is searched three times rather than once per phrase: this runs on every file at
    // start-up.
    let mut hits: Vec<(usize, usize)> = Vec::new();
    for anchor in ["tutorial", "note", "source"] {
        for at in memchr::memmem::find_iter(bytes, anchor.as_bytes()) {
            for phrase in OFF_PAGE {
                let Some(offset) = phrase.find(anchor) else { continue };
                let Some(pos) = at.checked_sub(offset) else { continue };
                if lower[pos..].starts_with(phrase)
                    && starts_word(pos)
                    && !lower[pos + phrase.len()..].starts_with(" of truth")
                {
                    hits.push((pos, phrase.len()));
                }
            }
        }
    }
    hits.extend(
        memchr::memmem::find_iter(bytes, b"seed")
            .filter(|&pos| starts_word(pos) && is_source_seed(bytes, pos))
            .map(|pos| (pos, 4)),
    );
    if hits.is_empty() {
        return;
    }
    hits.sort_unstable();
    let lines = LineIndex::new(&file.text);
    let mut last_line = 0;
    for (pos, len) in hits {
        let line = lines.line(pos);
        if line == last_line {
            continue;
        }
        let line_start = memchr::memrchr(b'\n', &bytes[..pos]).map_or(0, |n| n + 1);
        let key = lower[line_start..pos].trim_start();
        let key = key.split(['=', ' ']).next().unwrap_or("");
        if NOT_TEXT_KEYS.contains(&key) && lower[line_start..pos].contains('=') {
            continue;
        }
        last_line = line;
        // The whole word: "tutorials", "seeds'", "seed's".
        let tail = &file.text[pos + len..];
        let end = pos
            + len
            + tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '\''))
                .unwrap_or(tail.len());
        let found = &file.text[pos..end];
        problems.push(Problem::new(
            &file.display,
            line,
            format!(
                "{found:?} refers to material the learner never saw: name the claim itself \
                 (\"A common claim is ... In fact ...\", \"Some courses call this ...\")"
            ),
        ));
    }
}

/// Whether the "seed" at `pos` (lowercased text) is the word for a source ("the seeds", "the
/// seed's answer") rather than a random or hash seed ("random seed", "seed 42", `seed = 7`).
fn is_source_seed(bytes: &[u8], pos: usize) -> bool {
    let mut after = pos + 4;
    if bytes.get(after) == Some(&b's') {
        after += 1;
    }
    if bytes.get(after).is_some_and(u8::is_ascii_alphanumeric) {
        return false; // seeded, seeding, seedling
    }
    let rest = &bytes[after..];
    let next = rest.iter().find(|b| **b != b' ');
    if matches!(next, Some(b'=' | b'0'..=b'9')) {
        return false;
    }
    let before = bytes[..pos].trim_ascii_end();
    let word_start = before
        .iter()
        .rposition(|b| !b.is_ascii_alphanumeric())
        .map_or(0, |n| n + 1);
    !matches!(&before[word_start..], b"random" | b"hash" | b"rng" | b"prng")
}

/// Byte spans of the words of `text`, grouped into phrases: spaces, hyphens, slashes and
/// apostrophes separate words of one phrase ("last-write-wins" is three words of one), any other
/// punctuation ends the phrase, so a name never matches across "data. Center".
fn phrases(text: &str, mut each: impl FnMut(&[(usize, usize)])) {
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), '.'))) {
        if c.is_ascii_alphanumeric() {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            words.push((s, i));
        }
        if !matches!(c, ' ' | '-' | '/' | '\'' | '’') && !words.is_empty() {
            each(&words);
            words.clear();
        }
    }
}

/// Term names of two words or more, by their first word, lowercased. Single words ("server",
/// "cache", "traffic") occur in nearly every lesson and are linked where a lesson teaches them;
/// a multi-word name is specific enough that its first mention should lead to the glossary.
fn multi_word_names(content: &Content) -> Names {
    let mut by_first: HashMap<String, Vec<(Vec<String>, usize)>> = HashMap::default();
    for (ti, term) in content.terms.iter().enumerate() {
        let mut groups = Vec::new();
        phrases(&term.name, |w| groups.push(w.to_vec()));
        let [words] = groups.as_slice() else { continue };
        if words.len() < 2 {
            continue;
        }
        let words: Vec<String> = words
            .iter()
            .map(|&(a, b)| term.name[a..b].to_ascii_lowercase())
            .collect();
        by_first.entry(words[0].clone()).or_default().push((words, ti));
    }
    let mut first_words = [0u64; 256];
    for word in by_first.keys() {
        first_words[usize::from(word.as_bytes()[0])] |= 1 << word.len().min(63);
    }
    Names { by_first, first_words }
}

/// Multi-word term names, looked up by their first word.
struct Names {
    /// First word → (every word of the name, term index).
    by_first: HashMap<String, Vec<(Vec<String>, usize)>>,
    /// Per first byte, a bit per length (capped at 63) of the first words that start with it:
    /// most words of a lesson are rejected by this before any hashing.
    first_words: [u64; 256],
}

impl Names {
    fn starting_with(&self, word: &str) -> &[(Vec<String>, usize)] {
        let bits = self.first_words[usize::from(word.as_bytes()[0])];
        if bits >> word.len().min(63) & 1 == 0 {
            return &[];
        }
        self.by_first.get(word).map_or(&[], Vec::as_slice)
    }
}

/// Warns where a lesson first mentions a glossary term by its (multi-word) name without linking
/// it, and no link to the term came earlier in the lesson. Code, headings and tables are skipped.
pub fn unlinked_first_mentions(content: &Content, step_lines: &StepLines, problems: &mut Vec<Problem>) {
    let names = multi_word_names(content);
    for lesson in &content.lessons {
        let Some(lines) = step_lines.get(&lesson.id) else {
            continue;
        };
        let mut seen: HashSet<usize> = HashSet::default();
        for (step, (path, first_line)) in lesson.steps.iter().zip(lines) {
            let mut in_fence = false;
            for (i, line) in step.body.split('\n').enumerate() {
                let trimmed = line.trim_start();
                if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                    in_fence = !in_fence;
                    continue;
                }
                if in_fence || trimmed.starts_with('#') || trimmed.starts_with('|') {
                    continue;
                }
                for segment in segments(line) {
                    match segment {
                        Segment::Link(text, target) => {
                            if let Some(ti) = target.strip_prefix("term:").and_then(|t| content.term_idx(t)) {
                                seen.insert(ti);
                            }
                            mentions(text, &names, |ti, _| {
                                seen.insert(ti);
                            });
                        }
                        Segment::Plain(text) => mentions(text, &names, |ti, found| {
                            if seen.insert(ti) {
                                let id = &content.terms[ti].id;
                                problems.push(Problem::warning(
                                    path,
                                    first_line + i,
                                    format!("first mention of term {id} is not linked: write [{found}](term:{id})"),
                                ));
                            }
                        }),
                    }
                }
            }
        }
    }
}

enum Segment<'a> {
    Plain(&'a str),
    /// Link text and target.
    Link(&'a str, &'a str),
}

/// A line of Markdown cut into plain text and links, inline code left out.
fn segments(line: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let (mut plain_from, mut i) = (0, 0);
    let bytes = line.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'`' => {
                let end = line[i + 1..].find('`').map_or(line.len(), |n| i + 1 + n + 1);
                out.push(Segment::Plain(&line[plain_from..i]));
                (i, plain_from) = (end, end);
            }
            b'[' => {
                let link = line[i..].find("](").and_then(|close| {
                    let target_from = i + close + 2;
                    let target_len = line[target_from..].find(')')?;
                    Some((i + 1, i + close, target_from, target_from + target_len))
                });
                match link {
                    Some((ta, tb, ua, ub)) if !line[ta..tb].contains('[') => {
                        out.push(Segment::Plain(&line[plain_from..i]));
                        out.push(Segment::Link(&line[ta..tb], &line[ua..ub]));
                        (i, plain_from) = (ub + 1, ub + 1);
                    }
                    _ => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    out.push(Segment::Plain(&line[plain_from.min(line.len())..]));
    out
}

/// Calls `found(term index, text as written)` for each multi-word term name in `text`, leftmost
/// and longest first; the name's last word may carry a plural -s or -es.
fn mentions(text: &str, names: &Names, mut found: impl FnMut(usize, &str)) {
    // ASCII lowercasing keeps byte offsets, so the words are slices of one lowered copy.
    let lowered = text.to_ascii_lowercase();
    let mut lower: Vec<&str> = Vec::new();
    phrases(text, |words| {
        lower.clear();
        lower.extend(words.iter().map(|&(a, b)| &lowered[a..b]));
        let mut k = 0;
        while k < lower.len() {
            let best = names
                .starting_with(lower[k])
                .iter()
                .filter(|(name, _)| {
                    let Some(have) = lower.get(k..k + name.len()) else {
                        return false;
                    };
                    let (last, init) = name.split_last().unwrap_or((&name[0], &[]));
                    let said = have[have.len() - 1];
                    have[..init.len()].iter().zip(init).all(|(h, w)| *h == w.as_str())
                        && (said == last || said.strip_prefix(last.as_str()).is_some_and(|s| s == "s" || s == "es"))
                })
                .max_by_key(|(name, _)| name.len());
            match best {
                Some((name, ti)) => {
                    let (from, to) = (words[k].0, words[k + name.len() - 1].1);
                    found(*ti, &text[from..to]);
                    k += name.len();
                }
                None => k += 1,
            }
        }
    });
}
