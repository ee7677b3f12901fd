//! Quiz logic: grading an answer, turning it into an FSRS rating, scheduling the card, choosing
//! what to ask, and exporting the bank for Anki. No terminal here; the time is passed in.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use rs_fsrs::{Card, Rating, FSRS};
use serde::{Deserialize, Serialize};

use crate::content::quiz::{Kind, Question};
use crate::content::Content;

/// What the learner answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// Chosen choice indices (0-based).
    Choice(Vec<usize>),
    TrueFalse(bool),
    Numeric(f64),
    /// Item indices (into the question's correct order) in the order the learner put them.
    Order(Vec<usize>),
    /// Which key points the learner says they covered.
    Recall(Vec<bool>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grade {
    pub correct: bool,
    /// 0.0 to 1.0: the share of the answer that was right.
    pub score: f64,
    pub rating: Rating,
}

/// Quick, confident answers are easy; slow ones, though right, were hard. These are rules of
/// thumb for a question read on screen, not FSRS parameters.
const EASY_SECONDS: f64 = 12.0;
const HARD_SECONDS: f64 = 60.0;

fn timed(seconds: f64) -> Rating {
    if seconds <= EASY_SECONDS {
        Rating::Easy
    } else if seconds <= HARD_SECONDS {
        Rating::Good
    } else {
        Rating::Hard
    }
}

/// Grades a response. Objective kinds are rated from correctness and time; recall from the
/// share of key points ticked.
pub fn grade(question: &Question, response: &Response, seconds: f64) -> Grade {
    let (correct, score) = match (&question.kind, response) {
        (Kind::Choice { correct, .. }, Response::Choice(chosen)) => {
            let mut chosen = chosen.clone();
            chosen.sort_unstable();
            chosen.dedup();
            let right = chosen.iter().filter(|c| correct.contains(c)).count();
            let wrong = chosen.len() - right;
            let exact = chosen == *correct;
            (exact, (right.saturating_sub(wrong)) as f64 / correct.len() as f64)
        }
        (Kind::TrueFalse { truth }, Response::TrueFalse(said)) => (truth == said, f64::from(u8::from(truth == said))),
        (Kind::Numeric { answer, tolerance, .. }, Response::Numeric(x)) => {
            let ok = tolerance.accepts(*answer, *x);
            (ok, f64::from(u8::from(ok)))
        }
        (Kind::Order { items }, Response::Order(order)) => {
            let in_place = order.iter().enumerate().filter(|(i, item)| i == *item).count();
            (
                in_place == items.len() && order.len() == items.len(),
                in_place as f64 / items.len() as f64,
            )
        }
        (Kind::Recall { points }, Response::Recall(ticked)) => {
            let share = ticked.iter().filter(|t| **t).count() as f64 / points.len() as f64;
            let rating = if share >= 1.0 {
                Rating::Easy
            } else if share >= 2.0 / 3.0 {
                Rating::Good
            } else if share >= 1.0 / 3.0 {
                Rating::Hard
            } else {
                Rating::Again
            };
            return Grade {
                correct: share >= 2.0 / 3.0,
                score: share,
                rating,
            };
        }
        _ => (false, 0.0),
    };
    let rating = match (correct, &question.kind) {
        (true, _) => timed(seconds),
        // Most of an ordering right is a lapse of detail, not of the idea.
        (false, Kind::Order { .. }) if score >= 0.5 => Rating::Hard,
        (false, _) => Rating::Again,
    };
    Grade { correct, score, rating }
}

/// Reads an estimate as people write one: `2800`, `2,800`, `2 800`, `2.8k`, `3e3`, `1.2M` or
/// `1.2m` (million: nobody estimates in milli-units), `2.8 thousand`, `~3000`, and the question's
/// own unit after the number (`270 TB`, `10%`). The error says what to type instead.
pub fn parse_estimate(text: &str, unit: &str) -> Result<f64, String> {
    let mut s = text.trim().trim_start_matches(['~', '≈']).trim().to_string();
    if unit.contains('$') {
        s = s.trim_start_matches('$').to_string();
    }
    if s.is_empty() {
        return Err("type a number first, e.g. 2800 or 2.8k".into());
    }
    let unit = unit.trim();
    if !unit.is_empty() && s.len() > unit.len() {
        let cut = s.len() - unit.len();
        if s.is_char_boundary(cut) && s[cut..].eq_ignore_ascii_case(unit) {
            s.truncate(cut);
            s = s.trim_end().to_string();
        }
    }
    if let Some(rest) = s.strip_suffix('%') {
        if unit != "%" {
            return Err(format!("this answer is in {unit}, not a percentage"));
        }
        s = rest.trim_end().to_string();
    }
    let lower = s.to_ascii_lowercase();
    let (number, scale) = [
        ("thousand", 1e3),
        ("million", 1e6),
        ("billion", 1e9),
        ("trillion", 1e12),
        ("bn", 1e9),
        ("k", 1e3),
        ("m", 1e6),
        ("b", 1e9),
    ]
    .iter()
    .find_map(|(suffix, scale)| lower.strip_suffix(suffix).map(|n| (n.trim_end(), *scale)))
    .unwrap_or((lower.as_str(), 1.0));
    let digits = thousands(number)?;
    match digits.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x * scale),
        _ => Err("not a number: type digits, e.g. 2800, 2.8k or 3e3".into()),
    }
}

/// Removes thousands separators (commas, spaces, underscores), refusing a comma that cannot be
/// one: `2,8` is a decimal comma, and silently reading it as 28 would mark a right answer wrong.
fn thousands(number: &str) -> Result<String, String> {
    let compact: String = number.chars().filter(|c| !c.is_whitespace() && *c != '_').collect();
    if !compact.contains(',') {
        return Ok(compact);
    }
    let whole = compact.split(['.', 'e']).next().unwrap_or("");
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or("");
    let grouped = (1..=3).contains(&first.trim_start_matches('-').len()) && groups.all(|g| g.len() == 3);
    if grouped {
        Ok(compact.replace(',', ""))
    } else {
        Err("use a point for decimals (2.8) and commas only between thousands (2,800)".into())
    }
}

/// One card's memory state and its review history, as saved in the state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardRecord {
    pub card: Card,
    #[serde(default)]
    pub reviews: Vec<Review>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub at: DateTime<Utc>,
    /// 1 again, 2 hard, 3 good, 4 easy.
    pub rating: u8,
    pub correct: bool,
    pub seconds: f64,
}

/// A grade the learner changed on the feedback screen: the card goes back to how it stood before
/// the answer and is scheduled again with the chosen rating, as if that had been the grade.
#[derive(Debug, Clone, PartialEq)]
pub struct Regrade {
    pub id: String,
    /// The card before this answer was scheduled (`None`: the question was new).
    pub before: Option<CardRecord>,
    pub grade: Grade,
    pub seconds: f64,
    /// When the answer was given.
    pub at: DateTime<Utc>,
}

impl Regrade {
    pub fn apply(self, cards: &mut BTreeMap<String, CardRecord>) {
        match self.before {
            Some(before) => {
                cards.insert(self.id.clone(), before);
            }
            None => {
                cards.remove(&self.id);
            }
        }
        review(cards, &self.id, self.grade, self.seconds, self.at);
    }
}

pub fn rating_of(n: u8) -> Option<Rating> {
    match n {
        1 => Some(Rating::Again),
        2 => Some(Rating::Hard),
        3 => Some(Rating::Good),
        4 => Some(Rating::Easy),
        _ => None,
    }
}

pub fn rating_word(rating: Rating) -> &'static str {
    match rating {
        Rating::Again => "again",
        Rating::Hard => "hard",
        Rating::Good => "good",
        Rating::Easy => "easy",
    }
}

/// Schedules the next review of a card with FSRS (default parameters) and records the review.
pub fn review(cards: &mut BTreeMap<String, CardRecord>, id: &str, grade: Grade, seconds: f64, now: DateTime<Utc>) {
    let record = cards.entry(id.to_string()).or_insert_with(|| CardRecord {
        card: new_card(now),
        reviews: vec![],
    });
    let next = FSRS::default().next(record.card.clone(), now, grade.rating);
    record.card = next.card;
    record.reviews.push(Review {
        at: now,
        rating: grade.rating as u8,
        correct: grade.correct,
        seconds,
    });
}

fn new_card(now: DateTime<Utc>) -> Card {
    Card {
        due: now,
        last_review: now,
        ..Card::default()
    }
}

/// How the learner's cards stand at `now`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Seen before and due for review.
    pub due: usize,
    /// Never answered.
    pub new: usize,
    /// Seen and not yet due.
    pub later: usize,
}

pub fn counts<'a>(
    questions: impl Iterator<Item = &'a Question>,
    cards: &BTreeMap<String, CardRecord>,
    now: DateTime<Utc>,
) -> Counts {
    let mut c = Counts::default();
    for q in questions {
        match cards.get(&q.id) {
            None => c.new += 1,
            Some(r) if r.card.due <= now => c.due += 1,
            Some(_) => c.later += 1,
        }
    }
    c
}

/// Mastery of a set of questions, 0 to 100: the mean recall probability now, unseen counting 0.
pub fn mastery<'a>(
    questions: impl Iterator<Item = &'a Question>,
    cards: &BTreeMap<String, CardRecord>,
    now: DateTime<Utc>,
) -> u32 {
    let mut total = 0.0;
    let mut n = 0usize;
    for q in questions {
        n += 1;
        if let Some(r) = cards.get(&q.id) {
            total += retrievability(&r.card, now);
        }
    }
    if n == 0 {
        0
    } else {
        (100.0 * total / n as f64).round() as u32
    }
}

/// Probability of recall at `now`, with FSRS's forgetting curve counted in fractional days (the
/// crate's own helper rounds to whole days, which would call every card 100% on its first day).
pub fn retrievability(card: &Card, now: DateTime<Utc>) -> f64 {
    if card.state == rs_fsrs::State::New || card.stability <= 0.0 {
        return 0.0;
    }
    let days = (now - card.last_review).num_seconds().max(0) as f64 / 86_400.0;
    // FSRS-4.5+: R(t) = (1 + FACTOR · t / S) ^ DECAY with DECAY = -0.5, FACTOR = 19/81.
    (1.0 + 19.0 / 81.0 * days / card.stability).powf(-0.5)
}

/// What a quiz session asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Cards due for review, then new ones.
    Due,
    /// Lowest recall probability first (unseen last).
    Weakest,
    Module(String),
    Lesson(String),
    /// These questions (ids) in this order: the ones missed in a session, asked again.
    Questions(Vec<String>),
}

/// Unseen questions dealt round-robin across modules (each module's first question, then each
/// one's second…), so a new learner's "due now" spans the course instead of one module. A
/// question's place in its module is counted over the whole bank, so the modules a session did
/// not reach come first in the next one.
fn interleaved(content: &Content, unseen: Vec<usize>) -> Vec<usize> {
    let module_order = |i: usize| content.module_idx(&content.questions[i].module).unwrap_or(usize::MAX);
    let mut place = vec![0; content.questions.len()];
    let mut per_module: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, p) in place.iter_mut().enumerate() {
        let n = per_module.entry(module_order(i)).or_default();
        *p = *n;
        *n += 1;
    }
    let mut ranked: Vec<(usize, usize, usize)> = unseen.into_iter().map(|i| (place[i], module_order(i), i)).collect();
    ranked.sort_unstable();
    ranked.into_iter().map(|(_, _, i)| i).collect()
}

pub const SESSION_LENGTH: usize = 10;

/// The questions (indices into `content.questions`) a session asks, at most SESSION_LENGTH.
pub fn choose(
    content: &Content,
    cards: &BTreeMap<String, CardRecord>,
    selection: &Selection,
    now: DateTime<Utc>,
) -> Vec<usize> {
    let all = 0..content.questions.len();
    let unseen = || {
        (0..content.questions.len())
            .filter(|&i| !cards.contains_key(&content.questions[i].id))
            .collect::<Vec<usize>>()
    };
    let mut chosen: Vec<usize> = match selection {
        Selection::Due => {
            let mut due: Vec<usize> = all
                .clone()
                .filter(|&i| cards.get(&content.questions[i].id).is_some_and(|r| r.card.due <= now))
                .collect();
            due.sort_by_key(|&i| cards[&content.questions[i].id].card.due);
            due.extend(interleaved(content, unseen()));
            due
        }
        Selection::Weakest => {
            let mut seen: Vec<(f64, usize)> = all
                .filter_map(|i| {
                    cards
                        .get(&content.questions[i].id)
                        .map(|r| (retrievability(&r.card, now), i))
                })
                .collect();
            seen.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut v: Vec<usize> = seen.into_iter().map(|(_, i)| i).collect();
            v.extend(interleaved(content, unseen()));
            v
        }
        Selection::Module(m) => {
            let mut v: Vec<usize> = all.filter(|&i| &content.questions[i].module == m).collect();
            // Due and unseen questions first, so repeating a module moves on.
            v.sort_by_key(|&i| cards.get(&content.questions[i].id).map(|r| r.card.due).unwrap_or(now));
            v
        }
        Selection::Lesson(l) => {
            let lesson = content.lesson(l);
            let mut v: Vec<usize> = all
                .clone()
                .filter(|&i| content.questions[i].lesson.as_deref() == Some(l.as_str()))
                .collect();
            if let Some(lesson) = lesson {
                v.extend(all.filter(|&i| {
                    content.questions[i].module == lesson.module
                        && content.questions[i].lesson.as_deref().is_none_or(|x| x != l)
                }));
            }
            v
        }
        Selection::Questions(ids) => ids
            .iter()
            .filter_map(|id| content.questions.iter().position(|q| &q.id == id))
            .collect(),
    };
    chosen.truncate(SESSION_LENGTH);
    chosen
}

/// The order an order question's items are shown in: a fixed shuffle per question (so a
/// screen and its snapshot are stable), never already solved.
pub fn shuffled_order(question: &Question) -> Vec<usize> {
    let Kind::Order { items } = &question.kind else {
        return vec![];
    };
    let n = items.len();
    let mut seed = question.id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        order.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    if order.iter().enumerate().all(|(i, x)| i == *x) {
        order.rotate_left(1);
    }
    order
}

/// Markdown as one line of plain text, for the terminal outside the TUI: emphasis and code
/// marks are dropped, breaks and paragraphs become spaces.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::new();
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph | TagEnd::Item) => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Markdown as HTML on one line (Anki renders HTML in fields): bold, italics and code as tags,
/// text escaped so a `<` in a prompt is not read as a tag, code-block lines kept with `<br>`.
pub fn anki_html(markdown: &str) -> String {
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('\t', "    ")
    };
    // Anki shows fields as HTML, so a control character is at best noise: it is dropped.
    let markdown = crate::safe_text::strip(markdown);
    let markdown: &str = &markdown;
    let mut out = String::new();
    let mut in_code_block = false;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(t) if in_code_block => {
                out.push_str(&escape(t.trim_end_matches('\n')).replace('\n', "<br>"));
            }
            Event::Text(t) => out.push_str(&escape(&t)),
            Event::Code(t) => out.push_str(&format!("<code>{}</code>", escape(&t))),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push_str("<br>"),
            Event::Start(Tag::Strong) => out.push_str("<b>"),
            Event::End(TagEnd::Strong) => out.push_str("</b>"),
            Event::Start(Tag::Emphasis) => out.push_str("<i>"),
            Event::End(TagEnd::Emphasis) => out.push_str("</i>"),
            Event::Start(Tag::Item) => out.push_str("<br>• "),
            Event::Start(Tag::CodeBlock(_)) => {
                in_code_block = true;
                out.push_str("<br><pre>");
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                out.push_str("</pre>");
            }
            Event::End(TagEnd::Paragraph) => out.push_str("<br><br>"),
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => out.push_str("<br>"),
            Event::End(TagEnd::TableCell) => out.push_str(" | "),
            _ => {}
        }
    }
    // A block after a paragraph would otherwise leave three breaks: one blank line is enough.
    while out.contains("<br><br><br>") {
        out = out.replace("<br><br><br>", "<br><br>");
    }
    let mut out = out.trim().to_string();
    while let Some(rest) = out.strip_suffix("<br>") {
        out = rest.trim_end().to_string();
    }
    while let Some(rest) = out.strip_prefix("<br>") {
        out = rest.trim_start().to_string();
    }
    out.replace(['\r', '\n'], " ")
}

/// The answer side built from its parts: `answer_text` numbers its lines ("1. …"), which
/// Markdown would read as a list and renumber.
fn anki_answer(q: &Question) -> String {
    let numbered = |texts: &mut dyn Iterator<Item = (usize, &String)>| {
        texts
            .map(|(i, t)| format!("{}. {}", i + 1, anki_html(t)))
            .collect::<Vec<_>>()
            .join("<br>")
    };
    match &q.kind {
        Kind::Choice { choices, correct } => numbered(&mut correct.iter().map(|&i| (i, &choices[i]))),
        Kind::Order { items } => numbered(&mut items.iter().enumerate()),
        Kind::Recall { points } => points
            .iter()
            .map(|p| format!("• {}", anki_html(p)))
            .collect::<Vec<_>>()
            .join("<br>"),
        Kind::TrueFalse { .. } | Kind::Numeric { .. } => q
            .answer_text()
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
    }
}

/// Anki-importable TSV: front, back, tags (the module). Fields are HTML (Anki's import option
/// "Allow HTML in fields") on one line each: no tab or newline inside a field.
pub fn anki_tsv(content: &Content) -> String {
    let mut out = String::new();
    for q in &content.questions {
        let mut front = anki_html(&q.prompt);
        match &q.kind {
            Kind::Choice { choices, .. } => {
                for (i, c) in choices.iter().enumerate() {
                    front.push_str(&format!("<br>{}. {}", i + 1, anki_html(c)));
                }
            }
            Kind::Order { items } => {
                front.push_str("<br>Put in order:");
                for &i in &shuffled_order(q) {
                    front.push_str(&format!("<br>• {}", anki_html(&items[i])));
                }
            }
            Kind::TrueFalse { .. } => front.push_str("<br>True or false?"),
            _ => {}
        }
        let back = format!("{}<br><br>{}", anki_answer(q), anki_html(&q.explanation));
        out.push_str(&format!("{front}\t{back}\tsdlab::{}\n", q.module));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::quiz::Tolerance;
    use chrono::TimeZone;

    fn q(kind: Kind) -> Question {
        Question {
            id: "q".into(),
            module: "m".into(),
            prompt: "p".into(),
            kind,
            explanation: "e".into(),
            terms: vec![],
            lesson: None,
            lab: None,
        }
    }

    #[test]
    fn grading_objective_answers() {
        let choice = q(Kind::Choice {
            choices: vec!["a".into(), "b".into(), "c".into()],
            correct: vec![0, 2],
        });
        assert_eq!(grade(&choice, &Response::Choice(vec![2, 0]), 5.0).rating, Rating::Easy);
        assert_eq!(grade(&choice, &Response::Choice(vec![0, 2]), 30.0).rating, Rating::Good);
        assert_eq!(grade(&choice, &Response::Choice(vec![0, 2]), 90.0).rating, Rating::Hard);
        let partial = grade(&choice, &Response::Choice(vec![0]), 5.0);
        assert!(!partial.correct);
        assert_eq!(partial.rating, Rating::Again);
        assert_eq!(partial.score, 0.5);

        let numeric = q(Kind::Numeric {
            answer: 143.0,
            tolerance: Tolerance::Absolute(5.0),
            unit: "servers".into(),
        });
        assert!(grade(&numeric, &Response::Numeric(140.0), 20.0).correct);
        assert!(!grade(&numeric, &Response::Numeric(100.0), 20.0).correct);

        let order = q(Kind::Order {
            items: vec!["a".into(), "b".into(), "c".into(), "d".into()],
        });
        assert!(grade(&order, &Response::Order(vec![0, 1, 2, 3]), 20.0).correct);
        assert_eq!(
            grade(&order, &Response::Order(vec![0, 1, 3, 2]), 20.0).rating,
            Rating::Hard
        );
        assert_eq!(
            grade(&order, &Response::Order(vec![3, 2, 1, 0]), 20.0).rating,
            Rating::Again
        );
    }

    #[test]
    fn estimates_parse_as_people_write_them() {
        let ok = |s: &str, unit: &str| parse_estimate(s, unit).unwrap_or_else(|e| panic!("{s}: {e}"));
        for (text, want) in [
            ("2800", 2800.0),
            ("2,800", 2800.0),
            ("2 800", 2800.0),
            ("2.8k", 2800.0),
            ("2.8K", 2800.0),
            ("2.8 k", 2800.0),
            ("3e3", 3000.0),
            ("~3000", 3000.0),
            ("~ 3k", 3000.0),
            ("≈2.8k", 2800.0),
            ("1.2M", 1_200_000.0),
            ("1.2m", 1_200_000.0),
            ("1.2 million", 1_200_000.0),
            ("2.8 thousand", 2800.0),
            ("2bn", 2e9),
            ("1,234,567.5", 1_234_567.5),
            ("2,778 req/s", 2778.0),
            ("2778 REQ/S", 2778.0),
            ("-5", -5.0),
            ("0.75", 0.75),
        ] {
            assert_eq!(ok(text, "req/s"), want, "{text}");
        }
        assert_eq!(ok("10%", "%"), 10.0);
        assert_eq!(ok("99.9 %", "%"), 99.9);
        assert_eq!(ok("270 TB", "TB"), 270.0);
        assert_eq!(ok("270tb", "TB"), 270.0);
        assert_eq!(ok("$600", "$"), 600.0);
        for bad in ["", "  ", "abc", "2,8", "28,00", "1,2345", "3 servers", "2.8q", "1e999"] {
            assert!(parse_estimate(bad, "req/s").is_err(), "{bad:?} was accepted");
        }
        let e = parse_estimate("10%", "req/s").unwrap_err();
        assert!(e.contains("req/s"), "{e}");
    }

    /// 2,778 req/s (8M users × 30 requests / 86,400 s) answered as "3,000" is the interview
    /// answer; with a 10% relative tolerance it counts, and 2,000 does not.
    #[test]
    fn a_relative_tolerance_accepts_interview_rounding() {
        let rps = q(Kind::Numeric {
            answer: 2778.0,
            tolerance: Tolerance::Percent(10.0),
            unit: "req/s".into(),
        });
        let answer = |s: &str| grade(&rps, &Response::Numeric(parse_estimate(s, "req/s").unwrap()), 20.0).correct;
        assert!(answer("3,000"));
        assert!(answer("2.8k"));
        assert!(answer("3e3"));
        assert!(answer("2550"));
        assert!(!answer("2450"));
        assert!(!answer("2000"));
        assert!(!answer("3.1k"));
        assert!(!answer("28k"));
        assert_eq!(Tolerance::Percent(10.0).band(2778.0), 277.8);
        // The edge of an absolute band counts despite binary rounding.
        assert!(Tolerance::Absolute(0.1).accepts(2.8, 2.9));
    }

    #[test]
    fn grading_recall_by_ticked_points() {
        let recall = q(Kind::Recall {
            points: vec!["a".into(), "b".into(), "c".into()],
        });
        let r = |t: [bool; 3]| grade(&recall, &Response::Recall(t.to_vec()), 100.0).rating;
        assert_eq!(r([true, true, true]), Rating::Easy);
        assert_eq!(r([true, true, false]), Rating::Good);
        assert_eq!(r([true, false, false]), Rating::Hard);
        assert_eq!(r([false, false, false]), Rating::Again);
    }

    /// The reference schedule of FSRS (default parameters, short-term steps on): the interval
    /// sequence the py-fsrs / ts-fsrs / rs-fsrs test suites expect for this rating sequence.
    #[test]
    fn fsrs_reproduces_the_reference_intervals() {
        let ratings = [3, 3, 3, 3, 3, 3, 1, 1, 3, 3, 3, 3, 3];
        let mut cards = BTreeMap::new();
        let mut now = Utc.with_ymd_and_hms(2022, 11, 29, 12, 30, 0).unwrap();
        let mut intervals = Vec::new();
        for r in ratings {
            let rating = match r {
                1 => Rating::Again,
                _ => Rating::Good,
            };
            review(
                &mut cards,
                "x",
                Grade {
                    correct: r > 1,
                    score: 1.0,
                    rating,
                },
                10.0,
                now,
            );
            let card = &cards["x"].card;
            intervals.push(card.scheduled_days);
            now = card.due;
        }
        assert_eq!(intervals, [0, 4, 15, 48, 136, 351, 0, 0, 7, 13, 24, 43, 77]);
        assert_eq!(cards["x"].reviews.len(), 13);
    }

    /// By hand from the FSRS formulas: a new card rated Good starts with stability w2 = 3.1262
    /// days and difficulty D0(3) = w4 − e^(w5·2) + 1 = 7.2102 − e^1.0632 + 1 ≈ 5.3146.
    #[test]
    fn first_review_matches_the_formulas() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut cards = BTreeMap::new();
        review(
            &mut cards,
            "x",
            Grade {
                correct: true,
                score: 1.0,
                rating: Rating::Good,
            },
            10.0,
            now,
        );
        let card = &cards["x"].card;
        assert!((card.stability - 3.1262).abs() < 1e-4, "{}", card.stability);
        assert!((card.difficulty - 5.3146).abs() < 1e-3, "{}", card.difficulty);
        // A day later recall is (1 + 19/81 · 1/3.1262)^-0.5 ≈ 0.965.
        let later = now + chrono::Duration::days(1);
        assert!((retrievability(card, later) - 0.965).abs() < 1e-3);
    }

    #[test]
    fn counts_follow_the_schedule() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let qs = [
            q(Kind::TrueFalse { truth: true }),
            Question {
                id: "b".into(),
                ..q(Kind::TrueFalse { truth: true })
            },
        ];
        let mut cards = BTreeMap::new();
        review(
            &mut cards,
            "q",
            Grade {
                correct: true,
                score: 1.0,
                rating: Rating::Good,
            },
            3.0,
            now,
        );
        assert_eq!(
            counts(qs.iter(), &cards, now),
            Counts {
                due: 0,
                new: 1,
                later: 1
            }
        );
        let tomorrow = now + chrono::Duration::days(1);
        assert_eq!(
            counts(qs.iter(), &cards, tomorrow),
            Counts {
                due: 1,
                new: 1,
                later: 0
            }
        );
    }

    #[test]
    fn markdown_is_stripped_for_the_terminal_and_rendered_for_anki() {
        let md = "Page size is `skip = (page - 1) x size`, **not** *always* 0 < n & m.\n\n- one\n- two";
        assert_eq!(
            plain_text(md),
            "Page size is skip = (page - 1) x size, not always 0 < n & m. one two"
        );
        let html = anki_html(md);
        assert_eq!(
            html,
            "Page size is <code>skip = (page - 1) x size</code>, <b>not</b> <i>always</i> 0 &lt; n &amp; m.<br><br>• one<br>• two"
        );
        let code = anki_html("Look:\n\n```\na  b\nc\td\n```\n");
        assert_eq!(code, "Look:<br><br><pre>a  b<br>c    d</pre>");
        assert!(!code.contains('\n') && !code.contains('\t'));
    }

    /// A new learner's first "due now" session spans the course, one question per module in
    /// module order, and the next one carries on with the modules not reached yet.
    #[test]
    fn due_now_interleaves_modules_for_a_new_learner() {
        let (content, _) = Content::embedded();
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut cards = BTreeMap::new();
        let first = choose(&content, &cards, &Selection::Due, now);
        assert_eq!(first.len(), SESSION_LENGTH);
        let modules: Vec<&str> = first.iter().map(|&i| content.questions[i].module.as_str()).collect();
        let expected: Vec<&str> = content
            .modules
            .iter()
            .take(SESSION_LENGTH)
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(modules, expected);
        for &i in &first {
            let grade = grade(&content.questions[i], &Response::TrueFalse(true), 5.0);
            review(&mut cards, &content.questions[i].id, grade, 5.0, now);
        }
        let second = choose(&content, &cards, &Selection::Due, now);
        let modules: Vec<&str> = second.iter().map(|&i| content.questions[i].module.as_str()).collect();
        let later: Vec<&str> = content.modules[SESSION_LENGTH..]
            .iter()
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(&modules[..later.len()], later.as_slice());
        assert_eq!(modules[later.len()], content.modules[0].id);
        assert!(second.iter().all(|i| !first.contains(i)));
        // Weakest-first deals unseen questions the same way.
        let weakest = choose(&content, &BTreeMap::new(), &Selection::Weakest, now);
        assert_eq!(weakest, first);
    }

    #[test]
    fn order_questions_are_never_shown_solved() {
        for id in ["a", "b", "failover", "x1", "x2"] {
            let question = Question {
                id: id.into(),
                ..q(Kind::Order {
                    items: vec!["a".into(), "b".into(), "c".into()],
                })
            };
            let order = shuffled_order(&question);
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, vec![0, 1, 2]);
            assert_ne!(order, vec![0, 1, 2]);
        }
    }
}
