//! Quiz logic: grading an answer, turning it into an FSRS rating, scheduling the card, choosing
//! what to ask, and exporting the bank for Anki. No terminal here; the time is passed in.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
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
            let ok = (x - answer).abs() <= *tolerance;
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
    let module_order = |q: &Question| content.module_idx(&q.module).unwrap_or(usize::MAX);
    let mut chosen: Vec<usize> = match selection {
        Selection::Due => {
            let mut due: Vec<usize> = all
                .clone()
                .filter(|&i| cards.get(&content.questions[i].id).is_some_and(|r| r.card.due <= now))
                .collect();
            due.sort_by_key(|&i| cards[&content.questions[i].id].card.due);
            let new = all.filter(|&i| !cards.contains_key(&content.questions[i].id));
            let mut new: Vec<usize> = new.collect();
            new.sort_by_key(|&i| (module_order(&content.questions[i]), i));
            due.extend(new);
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
            v.extend((0..content.questions.len()).filter(|&i| !cards.contains_key(&content.questions[i].id)));
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

/// Anki-importable TSV: front, back, tags (the module). Fields hold no tab or newline; line
/// breaks become `<br>`, which Anki renders.
pub fn anki_tsv(content: &Content) -> String {
    // Anki shows fields as HTML, so a control character is at best noise: it is dropped.
    let clean = |s: &str| {
        crate::safe_text::strip(s.trim())
            .replace('\t', " ")
            .replace("\r\n", "<br>")
            .replace('\n', "<br>")
    };
    let mut out = String::new();
    for q in &content.questions {
        let mut front = clean(&q.prompt);
        match &q.kind {
            Kind::Choice { choices, .. } => {
                for (i, c) in choices.iter().enumerate() {
                    front.push_str(&format!("<br>{}. {}", i + 1, clean(c)));
                }
            }
            Kind::Order { items } => {
                front.push_str("<br>Put in order:");
                for &i in &shuffled_order(q) {
                    front.push_str(&format!("<br>• {}", clean(&items[i])));
                }
            }
            Kind::TrueFalse { .. } => front.push_str("<br>True or false?"),
            _ => {}
        }
        let back = format!("{}<br><br>{}", clean(&q.answer_text()), clean(&q.explanation));
        out.push_str(&format!("{front}\t{back}\tsdlab::{}\n", clean(&q.module)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
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
            tolerance: 5.0,
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
