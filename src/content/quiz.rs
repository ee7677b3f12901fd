//! The interview question bank: `content/quizzes/<module>.toml`.

use serde::Deserialize;
use toml::Spanned;

use super::{problem::Problem, text::LineIndex, validate::Parsed, SourceFile};

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// One or several correct choices (0-based indices).
    Choice {
        choices: Vec<String>,
        correct: Vec<usize>,
    },
    TrueFalse {
        truth: bool,
    },
    /// Correct when within `tolerance` of `answer`.
    Numeric {
        answer: f64,
        tolerance: Tolerance,
        unit: String,
    },
    /// `items` in the correct order; shown shuffled.
    Order {
        items: Vec<String>,
    },
    /// Free recall: the model answer as key points the learner ticks.
    Recall {
        points: Vec<String>,
    },
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Choice { correct, .. } if correct.len() > 1 => "multiple answers",
            Kind::Choice { .. } => "multiple choice",
            Kind::TrueFalse { .. } => "true or false",
            Kind::Numeric { .. } => "estimate",
            Kind::Order { .. } => "put in order",
            Kind::Recall { .. } => "design prompt",
        }
    }
}

/// How far from the answer an estimate may land and still count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// Plus or minus this much, in the question's unit: for exact counts (servers, shards) and
    /// percentages, where being off by a few is a different answer.
    Absolute(f64),
    /// Plus or minus this percentage of the answer: for back-of-envelope estimates, where an
    /// interview answer is rounded (3,000 for 2,778 req/s is a good answer).
    Percent(f64),
}

impl Tolerance {
    /// The half-width of the accepted band around `answer`.
    pub fn band(self, answer: f64) -> f64 {
        match self {
            Tolerance::Absolute(t) => t,
            Tolerance::Percent(p) => answer.abs() * p / 100.0,
        }
    }

    pub fn accepts(self, answer: f64, x: f64) -> bool {
        // A hair of slack so a value typed exactly on the edge (2.9 for 2.8 ± 0.1) counts
        // despite binary rounding.
        (x - answer).abs() <= self.band(answer) * (1.0 + 1e-9)
    }

    /// `± 0.5` or `within 10%`, as the learner reads it.
    pub fn describe(self) -> String {
        match self {
            Tolerance::Absolute(t) => format!("± {}", fmt_num(t)),
            Tolerance::Percent(p) => format!("within {}%", fmt_num(p)),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Question {
    pub id: String,
    pub module: String,
    pub prompt: String,
    pub kind: Kind,
    pub explanation: String,
    pub terms: Vec<String>,
    pub lesson: Option<String>,
    pub lab: Option<String>,
}

impl Question {
    /// The correct answer as text, for feedback and the Anki export.
    pub fn answer_text(&self) -> String {
        match &self.kind {
            Kind::Choice { choices, correct } => correct
                .iter()
                .map(|&i| format!("{}. {}", i + 1, choices[i]))
                .collect::<Vec<_>>()
                .join("; "),
            Kind::TrueFalse { truth } => if *truth { "True" } else { "False" }.to_string(),
            Kind::Numeric {
                answer,
                tolerance,
                unit,
            } => format!("{} {unit} ({})", fmt_num(*answer), tolerance.describe()),
            Kind::Order { items } => items
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{}. {s}", i + 1))
                .collect::<Vec<_>>()
                .join("; "),
            Kind::Recall { points } => points.iter().map(|p| format!("• {p}")).collect::<Vec<_>>().join("; "),
        }
    }
}

/// A number without a pointless ".0".
pub fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuizFile {
    #[serde(default)]
    question: Vec<Spanned<RawQuestion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: String,
    kind: String,
    prompt: String,
    explanation: String,
    #[serde(default)]
    terms: Vec<Spanned<String>>,
    lesson: Option<Spanned<String>>,
    lab: Option<Spanned<String>>,
    choices: Option<Vec<String>>,
    correct: Option<Vec<i64>>,
    truth: Option<bool>,
    answer: Option<f64>,
    tolerance: Option<f64>,
    tolerance_pct: Option<Spanned<f64>>,
    unit: Option<String>,
    items: Option<Vec<String>>,
    points: Option<Vec<String>>,
}

pub fn parse(
    file: &SourceFile,
    module: &str,
    out: &mut Vec<Question>,
    parsed: &mut Parsed,
    problems: &mut Vec<Problem>,
) {
    let doc: QuizFile = match toml::from_str(&file.text) {
        Ok(doc) => doc,
        Err(e) => return problems.push(super::validate::toml_problem(file, 0, &e)),
    };
    let lines = LineIndex::new(&file.text);
    let path = file.display.as_str();
    parsed.module_refs.push((path.to_string(), 1, module.to_string()));
    for q in doc.question {
        let line = lines.line(q.span().start);
        let q = q.into_inner();
        let owner = format!("question {}", q.id);
        parsed.ids.push((path.to_string(), line, "question", q.id.clone()));
        for t in &q.terms {
            parsed.refs.push((
                path.to_string(),
                lines.line(t.span().start),
                owner.clone(),
                "term",
                t.get_ref().clone(),
            ));
        }
        if let Some(l) = &q.lesson {
            parsed.refs.push((
                path.to_string(),
                lines.line(l.span().start),
                owner.clone(),
                "lesson",
                l.get_ref().clone(),
            ));
        }
        if let Some(l) = &q.lab {
            parsed.refs.push((
                path.to_string(),
                lines.line(l.span().start),
                owner.clone(),
                "lab",
                l.get_ref().clone(),
            ));
        }
        let pct_line = q.tolerance_pct.as_ref().map_or(line, |t| lines.line(t.span().start));
        let mut problem_at = |at: usize, msg: String| problems.push(Problem::new(path, at, format!("{owner}: {msg}")));
        if q.terms.is_empty() {
            problem_at(line, "list the glossary terms it tests in `terms`".into());
        }
        if q.prompt.trim().is_empty() || q.explanation.trim().is_empty() {
            problem_at(line, "needs a prompt and an explanation".into());
        }
        let Some(kind) = kind_of(&q, line, pct_line, &mut problem_at) else {
            continue;
        };
        out.push(Question {
            id: q.id,
            module: module.to_string(),
            prompt: q.prompt,
            kind,
            explanation: q.explanation,
            terms: q.terms.into_iter().map(Spanned::into_inner).collect(),
            lesson: q.lesson.map(Spanned::into_inner),
            lab: q.lab.map(Spanned::into_inner),
        });
    }
}

/// Checks the fields of the question's kind (and that no other kind's fields are set). Problems
/// are reported on the question's line, or on `tolerance_pct`'s own line for that field.
fn kind_of(q: &RawQuestion, line: usize, pct_line: usize, problem_at: &mut impl FnMut(usize, String)) -> Option<Kind> {
    let mut problem = |msg: String| problem_at(line, msg);
    let fields: [(&str, bool); 8] = [
        ("choices", q.choices.is_some()),
        ("correct", q.correct.is_some()),
        ("truth", q.truth.is_some()),
        ("answer", q.answer.is_some()),
        ("tolerance", q.tolerance.is_some() || q.tolerance_pct.is_some()),
        ("unit", q.unit.is_some()),
        ("items", q.items.is_some()),
        ("points", q.points.is_some()),
    ];
    let allowed: &[&str] = match q.kind.as_str() {
        "choice" => &["choices", "correct"],
        "truefalse" => &["truth"],
        "numeric" => &["answer", "tolerance", "unit"],
        "order" => &["items"],
        "recall" => &["points"],
        other => {
            problem(format!(
                "unknown kind {other:?}: use choice, truefalse, numeric, order or recall"
            ));
            return None;
        }
    };
    let mut ok = true;
    for (name, set) in fields {
        if set && !allowed.contains(&name) {
            let name = if name == "tolerance" && q.tolerance.is_none() {
                "tolerance_pct"
            } else {
                name
            };
            problem(format!("`{name}` does not belong to kind = {:?}", q.kind));
            ok = false;
        }
        if !set && allowed.contains(&name) {
            let name = if name == "tolerance" {
                "tolerance` (absolute) or `tolerance_pct"
            } else {
                name
            };
            problem(format!("kind = {:?} needs `{name}`", q.kind));
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let kind = match q.kind.as_str() {
        "choice" => {
            let choices = q.choices.clone().unwrap_or_default();
            let raw = q.correct.clone().unwrap_or_default();
            if choices.len() < 2 {
                problem("a choice question needs at least 2 choices".into());
                return None;
            }
            if raw.is_empty() {
                problem("`correct` must name at least one choice".into());
                return None;
            }
            let mut correct = Vec::new();
            for c in raw {
                if c < 1 || c as usize > choices.len() {
                    problem(format!(
                        "correct choice {c} does not exist: choices are numbered 1 to {}",
                        choices.len()
                    ));
                    return None;
                }
                if correct.contains(&(c as usize - 1)) {
                    problem(format!("correct choice {c} is listed twice"));
                    return None;
                }
                correct.push(c as usize - 1);
            }
            correct.sort_unstable();
            Kind::Choice { choices, correct }
        }
        "truefalse" => Kind::TrueFalse {
            truth: q.truth.unwrap_or_default(),
        },
        "numeric" => {
            let answer = q.answer.unwrap_or_default();
            if !answer.is_finite() {
                problem(format!("answer must be a finite number (it is {answer})"));
                return None;
            }
            let tolerance = match (q.tolerance, q.tolerance_pct.as_ref().map(|t| *t.get_ref())) {
                (Some(_), Some(_)) => {
                    problem_at(
                        pct_line,
                        "give `tolerance` (absolute) or `tolerance_pct` (relative), not both".into(),
                    );
                    return None;
                }
                (Some(t), None) if t > 0.0 && t.is_finite() => Tolerance::Absolute(t),
                (Some(t), None) => {
                    problem(format!("tolerance must be a number above 0 (it is {t})"));
                    return None;
                }
                // Above 50% an estimate off by a factor of three would count.
                (None, Some(p)) if p > 0.0 && p <= 50.0 && answer != 0.0 => Tolerance::Percent(p),
                (None, Some(p)) if answer == 0.0 => {
                    problem_at(
                        pct_line,
                        format!("tolerance_pct = {p} of an answer of 0 accepts only 0: use `tolerance`"),
                    );
                    return None;
                }
                (None, Some(p)) => {
                    problem_at(
                        pct_line,
                        format!("tolerance_pct must be above 0 and at most 50 (it is {p})"),
                    );
                    return None;
                }
                (None, None) => return None,
            };
            Kind::Numeric {
                answer,
                tolerance,
                unit: q.unit.clone().unwrap_or_default(),
            }
        }
        "order" => {
            let items = q.items.clone().unwrap_or_default();
            if items.len() < 3 {
                problem("an order question needs at least 3 items".into());
                return None;
            }
            Kind::Order { items }
        }
        _ => {
            let points = q.points.clone().unwrap_or_default();
            if points.len() < 2 {
                problem("a recall question needs at least 2 key points".into());
                return None;
            }
            Kind::Recall { points }
        }
    };
    Some(kind)
}
