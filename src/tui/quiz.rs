//! The quiz: choose what to practise, answer (number keys, typing or arrows), see the
//! explanation at once, and a summary at the end. Every answer reschedules its card (FSRS).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::app::{App, Cmd, Ctx};
use super::keys::{hint, more, typed_char, KeyHint};
use super::view::{
    draw_scrolled, list_window, panel, reading_area, reading_key, scroll_for, scroll_to_show, text_column, truncate,
};
use crate::content::markdown::wrap_plain;
use crate::content::markdown::{render, Rendered};
use crate::content::quiz::{fmt_num, Kind, Question};
use crate::content::Content;
use crate::quiz::{
    choose, counts, grade, mastery, parse_estimate, rating_of, rating_word, shuffled_order, CardRecord, Grade, Regrade,
    Response, Selection,
};
use rs_fsrs::Rating;

pub struct QuizView {
    pub phase: Phase,
    pub scroll: usize,
    /// The selected link of feedback; on the summary, the selected missed question.
    pub link: Option<usize>,
    /// How the answer on the feedback screen was scheduled, so its grade can be changed.
    pub rated: Option<Box<Rated>>,
    /// The selected link of a question reviewed from the summary.
    pub review_link: Option<usize>,
}

pub enum Phase {
    Setup {
        selected: usize,
        empty: bool,
    },
    Asking(Session, Answer),
    Feedback(Session, Answer, Grade),
    Summary(Session),
    /// A missed question opened again from the summary (index into `Session::results`).
    Review(Session, usize),
}

pub struct Session {
    pub selection: Selection,
    pub questions: Vec<usize>,
    pub current: usize,
    /// Question index, grade, seconds taken; `answers` holds what was answered, in step.
    pub results: Vec<(usize, Grade, f64)>,
    pub answers: Vec<Answer>,
    pub started: DateTime<Utc>,
}

/// The schedule an answer changed: the card before it, when it was given, the automatic grade.
pub struct Rated {
    pub before: Option<CardRecord>,
    pub at: DateTime<Utc>,
    pub auto: Rating,
}

/// The learner's answer in progress.
#[derive(Default, Clone)]
pub struct Answer {
    pub asked_at: Option<DateTime<Utc>>,
    pub cursor: usize,
    pub chosen: Vec<bool>,
    pub truth: Option<bool>,
    pub input: String,
    pub order: Vec<usize>,
    pub ticked: Vec<bool>,
    /// Recall: the model answer's key points are shown.
    pub revealed: bool,
    pub error: Option<String>,
}

const SETUP_HINTS: &[KeyHint] = &[
    hint("↑↓", "move"),
    hint("Enter", "start"),
    hint("q/Esc", "back"),
    hint("?", "help"),
    more("j k", "move"),
];
const CHOICE_HINTS: &[KeyHint] = &[
    hint("1-9", "choose"),
    hint("↑↓ Space", "move / toggle"),
    hint("Enter", "answer"),
    hint("Esc", "end quiz"),
    hint("?", "help"),
];
const TRUTH_HINTS: &[KeyHint] = &[
    hint("t/f", "true / false"),
    hint("←→", "choose"),
    hint("Enter", "answer"),
    hint("Esc", "end quiz"),
    hint("?", "help"),
    more("1 2", "true / false"),
];
const NUMERIC_HINTS: &[KeyHint] = &[
    hint("type", "a number: 2800, 2.8k, 3e3"),
    hint("Enter", "answer"),
    hint("Esc", "end quiz"),
    more("F1", "help"),
];
const ORDER_HINTS: &[KeyHint] = &[
    hint("↑↓", "select"),
    hint("Shift-↑↓ K J", "move item"),
    hint("Enter", "answer"),
    hint("Esc", "end quiz"),
    hint("?", "help"),
];
const RECALL_WRITE_HINTS: &[KeyHint] = &[
    hint("type", "your answer"),
    hint("Alt-Enter", "new line"),
    hint("Enter", "show model answer"),
    hint("Esc", "end quiz"),
    more("Ctrl-J", "new line"),
    more("F1", "help"),
];
const RECALL_TICK_HINTS: &[KeyHint] = &[
    hint("1-9", "tick a point"),
    hint("↑↓ Space", "move / tick"),
    hint("Enter", "grade"),
    hint("Esc", "end quiz"),
    hint("?", "help"),
];
const FEEDBACK_HINTS: &[KeyHint] = &[
    hint("Enter/n", "next"),
    hint("1-4", "change grade"),
    hint("Tab", "link"),
    hint("↑↓", "scroll"),
    hint("q/Esc", "end quiz"),
    hint("?", "help"),
    more(
        "1 2 3 4",
        "grade again / hard / good / easy: the next review follows it",
    ),
    more("Shift-Tab", "previous link"),
    more("Enter on a link", "open it; Backspace comes back"),
];
const SUMMARY_HINTS: &[KeyHint] = &[
    hint("↑↓", "select"),
    hint("Enter", "review it"),
    hint("r", "retry missed"),
    hint("n", "new quiz"),
    hint("q/Esc", "back"),
    hint("?", "help"),
    more("PgUp PgDn Home End", "scroll"),
];
const SUMMARY_ALL_RIGHT_HINTS: &[KeyHint] = &[
    hint("↑↓", "scroll"),
    hint("Enter/n", "new quiz"),
    hint("q/Esc", "back"),
    hint("?", "help"),
];
const REVIEW_HINTS: &[KeyHint] = &[
    hint("Esc/Backspace", "back to the summary"),
    hint("Tab", "link"),
    hint("↑↓", "scroll"),
    hint("?", "help"),
    more("Enter on a link", "open it; Backspace comes back"),
];

/// The setup rows: due, weakest, then one per module.
fn setup_selection(content: &Content, row: usize) -> Selection {
    match row {
        0 => Selection::Due,
        1 => Selection::Weakest,
        r => Selection::Module(content.modules[r - 2].id.clone()),
    }
}

impl QuizView {
    pub fn setup() -> QuizView {
        QuizView {
            phase: Phase::Setup {
                selected: 0,
                empty: false,
            },
            scroll: 0,
            link: None,
            rated: None,
            review_link: None,
        }
    }

    /// Starts at once on `selection` (from a lesson or module), or shows the setup when it has
    /// nothing to ask.
    pub fn start(selection: Selection, ctx: &Ctx) -> QuizView {
        let mut view = QuizView::setup();
        view.begin(selection, ctx);
        view
    }

    fn begin(&mut self, selection: Selection, ctx: &Ctx) {
        let now = ctx.now;
        let questions = choose(ctx.content, &ctx.state.cards, &selection, now);
        if questions.is_empty() {
            self.phase = Phase::Setup {
                selected: 0,
                empty: true,
            };
            return;
        }
        let session = Session {
            selection,
            questions,
            current: 0,
            results: vec![],
            answers: vec![],
            started: now,
        };
        let answer = new_answer(&ctx.content.questions[session.questions[0]], now);
        self.phase = Phase::Asking(session, answer);
        self.scroll = 0;
        self.link = None;
    }

    pub fn hints(&self, content: &Content) -> &'static [KeyHint] {
        match &self.phase {
            Phase::Setup { .. } => SETUP_HINTS,
            Phase::Asking(s, a) => match &content.questions[s.questions[s.current]].kind {
                Kind::Choice { .. } => CHOICE_HINTS,
                Kind::TrueFalse { .. } => TRUTH_HINTS,
                Kind::Numeric { .. } => NUMERIC_HINTS,
                Kind::Order { .. } => ORDER_HINTS,
                Kind::Recall { .. } if a.revealed => RECALL_TICK_HINTS,
                Kind::Recall { .. } => RECALL_WRITE_HINTS,
            },
            Phase::Feedback(..) => FEEDBACK_HINTS,
            Phase::Summary(s) if missed(s).is_empty() => SUMMARY_ALL_RIGHT_HINTS,
            Phase::Summary(_) => SUMMARY_HINTS,
            Phase::Review(..) => REVIEW_HINTS,
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Cmd {
        match std::mem::replace(
            &mut self.phase,
            Phase::Setup {
                selected: 0,
                empty: false,
            },
        ) {
            Phase::Setup { mut selected, empty } => {
                let rows = 2 + ctx.content.modules.len();
                match key.code {
                    KeyCode::Up | KeyCode::Char('k') => selected = selected.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => selected = (selected + 1).min(rows - 1),
                    KeyCode::Enter | KeyCode::Right => {
                        self.begin(setup_selection(ctx.content, selected), ctx);
                        if let Phase::Setup { selected: s, .. } = &mut self.phase {
                            *s = selected;
                        }
                        return Cmd::None;
                    }
                    KeyCode::Esc | KeyCode::Char('q') | KeyCode::Backspace => return Cmd::Back,
                    _ => {
                        self.phase = Phase::Setup { selected, empty };
                        return Cmd::Unhandled;
                    }
                }
                self.phase = Phase::Setup { selected, empty: false };
                Cmd::None
            }
            Phase::Asking(session, answer) => self.on_answer_key(key, session, answer, ctx),
            Phase::Feedback(session, answer, g) => self.on_feedback_key(key, session, answer, g, ctx),
            Phase::Summary(session) => self.on_summary_key(key, session, ctx),
            Phase::Review(session, result) => self.on_review_key(key, session, result, ctx),
        }
    }

    fn show_summary(&mut self, session: Session) {
        self.link = missed(&session).first().map(|_| 0);
        self.scroll = 0;
        self.rated = None;
        self.phase = Phase::Summary(session);
    }

    fn on_summary_key(&mut self, key: KeyEvent, session: Session, ctx: &Ctx) -> Cmd {
        let missed = missed(&session);
        let (lines, rows) = summary_lines(ctx, &session, self.link, summary_area(ctx.size).width);
        let height = usize::from(summary_area(ctx.size).height);
        let new_quiz = |view: &mut QuizView| {
            view.phase = Phase::Setup {
                selected: 0,
                empty: false,
            };
            view.scroll = 0;
            view.link = None;
            Cmd::None
        };
        match key.code {
            KeyCode::Enter if !missed.is_empty() => {
                let result = missed[self.link.unwrap_or(0).min(missed.len() - 1)];
                self.phase = Phase::Review(session, result);
                self.scroll = 0;
                return Cmd::None;
            }
            KeyCode::Enter | KeyCode::Char('n') => return new_quiz(self),
            KeyCode::Char('r') if !missed.is_empty() => {
                let ids = missed
                    .iter()
                    .map(|&r| ctx.content.questions[session.results[r].0].id.clone())
                    .collect();
                self.begin(Selection::Questions(ids), ctx);
                return Cmd::None;
            }
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Backspace => return Cmd::Back,
            KeyCode::Up | KeyCode::Down | KeyCode::Char('k' | 'j') if !missed.is_empty() => {
                let at = self.link.unwrap_or(0);
                let next = if matches!(key.code, KeyCode::Up | KeyCode::Char('k')) {
                    at.saturating_sub(1)
                } else {
                    (at + 1).min(missed.len() - 1)
                };
                self.link = Some(next);
                // Show the whole row and, on the first one, the score above it.
                let (start, end) = rows[next];
                self.scroll = scroll_to_show(self.scroll, end, height);
                self.scroll = scroll_to_show(self.scroll, if next == 0 { 0 } else { start }, height);
            }
            code => match scroll_for(code, self.scroll, lines.len(), height) {
                Some(s) => self.scroll = s,
                None => {
                    self.phase = Phase::Summary(session);
                    return Cmd::Unhandled;
                }
            },
        }
        self.phase = Phase::Summary(session);
        Cmd::None
    }

    fn on_review_key(&mut self, key: KeyEvent, session: Session, result: usize, ctx: &Ctx) -> Cmd {
        let (qi, g, _) = session.results[result];
        let a = &session.answers[result];
        let area = reading_area(ctx.size, 2);
        let md = feedback_markdown(ctx.content, &ctx.content.questions[qi], a, g);
        let doc = render(&md, area.width, &ctx.theme.markdown, self.review_link);
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Backspace | KeyCode::Left => {
                let selected = missed(&session).iter().position(|&r| r == result);
                self.review_link = None;
                let (_, rows) = summary_lines(ctx, &session, selected, summary_area(ctx.size).width);
                let height = usize::from(summary_area(ctx.size).height);
                self.show_summary(session);
                self.link = selected;
                if let Some(&(start, end)) = selected.and_then(|k| rows.get(k)) {
                    self.scroll = scroll_to_show(scroll_to_show(0, end, height), start, height);
                }
                Cmd::None
            }
            KeyCode::Enter if self.review_link.is_some() => {
                let target = doc.links[self.review_link.unwrap_or(0)].target.clone();
                self.phase = Phase::Review(session, result);
                Cmd::Follow(target)
            }
            code => {
                let handled = reading_key(
                    code,
                    &mut self.scroll,
                    &mut self.review_link,
                    &doc,
                    usize::from(area.height),
                    true,
                );
                self.phase = Phase::Review(session, result);
                if handled {
                    Cmd::None
                } else {
                    Cmd::Unhandled
                }
            }
        }
    }

    fn on_answer_key(&mut self, key: KeyEvent, session: Session, mut a: Answer, ctx: &Ctx) -> Cmd {
        let q = &ctx.content.questions[session.questions[session.current]];
        if key.code == KeyCode::Esc {
            self.show_summary(session);
            return Cmd::None;
        }
        // `?` is text in a field being typed; elsewhere it is help, as on every screen.
        let typing = match &q.kind {
            Kind::Numeric { .. } => true,
            Kind::Recall { .. } => !a.revealed,
            _ => false,
        };
        if key.code == KeyCode::F(1) || (!typing && key.code == KeyCode::Char('?')) {
            self.phase = Phase::Asking(session, a);
            return Cmd::Unhandled;
        }
        a.error = None;
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        let mut submit: Option<Response> = None;
        match &q.kind {
            Kind::Choice { choices, correct } => {
                let single = correct.len() == 1;
                match key.code {
                    KeyCode::Char(c @ '1'..='9') => {
                        let i = c as usize - '1' as usize;
                        if i < choices.len() {
                            toggle(&mut a.chosen, i, single);
                            a.cursor = i;
                        }
                    }
                    KeyCode::Up | KeyCode::Char('k') => a.cursor = a.cursor.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => a.cursor = (a.cursor + 1).min(choices.len() - 1),
                    KeyCode::Char(' ') => toggle(&mut a.chosen, a.cursor, single),
                    KeyCode::Enter => {
                        if single && !a.chosen.iter().any(|c| *c) {
                            toggle(&mut a.chosen, a.cursor, true);
                        }
                        submit = Some(Response::Choice(
                            a.chosen
                                .iter()
                                .enumerate()
                                .filter(|(_, c)| **c)
                                .map(|(i, _)| i)
                                .collect(),
                        ));
                    }
                    _ => {}
                }
            }
            Kind::TrueFalse { .. } => match key.code {
                KeyCode::Char('t' | '1') | KeyCode::Left => a.truth = Some(true),
                KeyCode::Char('f' | '2') | KeyCode::Right => a.truth = Some(false),
                KeyCode::Enter => match a.truth {
                    Some(t) => submit = Some(Response::TrueFalse(t)),
                    None => a.error = Some("Choose true (t) or false (f) first.".into()),
                },
                _ => {}
            },
            Kind::Numeric { unit, .. } => match key.code {
                // The input stays in its field for mending; the error only says what is wrong.
                KeyCode::Enter => match parse_estimate(&a.input, unit) {
                    Ok(x) => submit = Some(Response::Numeric(x)),
                    Err(e) => a.error = Some(format!("Not an estimate yet: {e}.")),
                },
                KeyCode::Backspace => {
                    a.input.pop();
                }
                _ => {
                    if let Some(c) = typed_char(&key) {
                        a.input.push(c);
                    }
                }
            },
            Kind::Order { .. } => {
                let n = a.order.len();
                match key.code {
                    KeyCode::Up if shift => move_item(&mut a, -1),
                    KeyCode::Down if shift => move_item(&mut a, 1),
                    KeyCode::Char('K') => move_item(&mut a, -1),
                    KeyCode::Char('J') => move_item(&mut a, 1),
                    KeyCode::Up | KeyCode::Char('k') => a.cursor = a.cursor.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => a.cursor = (a.cursor + 1).min(n - 1),
                    KeyCode::Enter => submit = Some(Response::Order(a.order.clone())),
                    _ => {}
                }
            }
            Kind::Recall { points } => {
                if !a.revealed {
                    let alt = key.modifiers.contains(KeyModifiers::ALT);
                    match key.code {
                        // Plain Enter is what every terminal sends; Alt-Enter and Ctrl-J
                        // (a raw line feed) are the new-line keys terminals can tell apart.
                        KeyCode::Enter if alt => a.input.push('\n'),
                        KeyCode::Char('j') if key.modifiers.contains(KeyModifiers::CONTROL) => a.input.push('\n'),
                        KeyCode::Enter => {
                            a.revealed = true;
                            a.cursor = 0;
                        }
                        KeyCode::Backspace => {
                            a.input.pop();
                        }
                        _ => {
                            if let Some(c) = typed_char(&key) {
                                a.input.push(c);
                            }
                        }
                    }
                } else {
                    match key.code {
                        KeyCode::Char(c @ '1'..='9') => {
                            let i = c as usize - '1' as usize;
                            if i < points.len() {
                                toggle(&mut a.ticked, i, false);
                                a.cursor = i;
                            }
                        }
                        KeyCode::Up | KeyCode::Char('k') => a.cursor = a.cursor.saturating_sub(1),
                        KeyCode::Down | KeyCode::Char('j') => a.cursor = (a.cursor + 1).min(points.len() - 1),
                        KeyCode::Char(' ') => toggle(&mut a.ticked, a.cursor, false),
                        KeyCode::Enter => submit = Some(Response::Recall(a.ticked.clone())),
                        _ => {}
                    }
                }
            }
        }
        let Some(response) = submit else {
            self.phase = Phase::Asking(session, a);
            return Cmd::None;
        };
        let seconds = a
            .asked_at
            .map_or(0.0, |t| (ctx.now - t).num_milliseconds().max(0) as f64 / 1000.0);
        let g = grade(q, &response, seconds);
        let mut session = session;
        session.results.push((session.questions[session.current], g, seconds));
        session.answers.push(a.clone());
        let id = q.id.clone();
        self.rated = Some(Box::new(Rated {
            before: ctx.state.cards.get(&id).cloned(),
            at: ctx.now,
            auto: g.rating,
        }));
        self.phase = Phase::Feedback(session, a, g);
        self.scroll = 0;
        self.link = None;
        Cmd::Review(id, g, seconds)
    }

    fn on_feedback_key(&mut self, key: KeyEvent, mut session: Session, a: Answer, mut g: Grade, ctx: &Ctx) -> Cmd {
        let (doc, area) = self.feedback_doc(ctx, &session, &a, g);
        let height = usize::from(area.height);
        match key.code {
            KeyCode::Char(c @ '1'..='4') => {
                let rating = rating_of(c as u8 - b'0').unwrap_or(g.rating);
                let (Some(rated), Some(last)) = (&self.rated, session.results.last_mut()) else {
                    self.phase = Phase::Feedback(session, a, g);
                    return Cmd::None;
                };
                if rating == g.rating {
                    self.phase = Phase::Feedback(session, a, g);
                    return Cmd::None;
                }
                g.rating = rating;
                last.1 = g;
                let regrade = Regrade {
                    id: ctx.content.questions[last.0].id.clone(),
                    before: rated.before.clone(),
                    grade: g,
                    seconds: last.2,
                    at: rated.at,
                };
                self.phase = Phase::Feedback(session, a, g);
                return Cmd::Regrade(Box::new(regrade));
            }
            // Backspace is "history back" elsewhere; here it would drop the quiz and its
            // summary, so it does nothing (Esc ends the quiz with the summary).
            KeyCode::Backspace => {}
            KeyCode::Enter if self.link.is_some() => {
                let target = doc.links[self.link.unwrap_or(0)].target.clone();
                self.phase = Phase::Feedback(session, a, g);
                return Cmd::Follow(target);
            }
            KeyCode::Enter | KeyCode::Char('n') | KeyCode::Right => {
                session.current += 1;
                self.scroll = 0;
                self.link = None;
                self.rated = None;
                if session.current >= session.questions.len() {
                    self.show_summary(session);
                } else {
                    let next = new_answer(&ctx.content.questions[session.questions[session.current]], ctx.now);
                    self.phase = Phase::Asking(session, next);
                }
                return Cmd::None;
            }
            KeyCode::Esc | KeyCode::Char('q') => {
                self.show_summary(session);
                return Cmd::None;
            }
            code => {
                if !reading_key(code, &mut self.scroll, &mut self.link, &doc, height, true) {
                    self.phase = Phase::Feedback(session, a, g);
                    return Cmd::Unhandled;
                }
            }
        }
        self.phase = Phase::Feedback(session, a, g);
        Cmd::None
    }

    /// The grade line of the feedback screen, wrapped to the text column.
    fn grade_lines(&self, ctx: &Ctx, q: &Question, a: &Answer, g: Grade, width: u16) -> Vec<String> {
        let auto = self.rated.as_ref().map_or(g.rating, |r| r.auto);
        let why = if auto == g.rating {
            grade_reason(q, a, g)
        } else {
            format!("your choice; automatic: {}", rating_word(auto))
        };
        let next = ctx
            .state
            .cards
            .get(&q.id)
            .map(|r| format!(", next review {}", until(r.card.due, ctx.now)))
            .unwrap_or_default();
        let text = format!(
            "Grade: {} ({why}){next}. Press 1 again · 2 hard · 3 good · 4 easy to change it.",
            rating_word(g.rating)
        );
        wrap_plain(&text, usize::from(width))
    }

    /// Rows above the explanation on the feedback screen: verdict, grade lines, a blank.
    fn feedback_rows(&self, ctx: &Ctx, q: &Question, a: &Answer, g: Grade) -> u16 {
        let width = reading_area(ctx.size, 0).width;
        2 + self.grade_lines(ctx, q, a, g, width).len() as u16
    }

    fn feedback_doc(&self, ctx: &Ctx, session: &Session, a: &Answer, g: Grade) -> (Rendered, Rect) {
        let q = &ctx.content.questions[session.questions[session.current]];
        let area = reading_area(ctx.size, self.feedback_rows(ctx, q, a, g));
        let md = feedback_markdown(ctx.content, q, a, g);
        (render(&md, area.width, &ctx.theme.markdown, self.link), area)
    }

    pub fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        let ctx = app.ctx();
        match &self.phase {
            Phase::Setup { selected, empty } => self.view_setup(app, &ctx, frame, area, *selected, *empty),
            Phase::Asking(s, a) => self.view_question(app, &ctx, frame, area, s, a, None),
            Phase::Feedback(s, a, g) => self.view_question(app, &ctx, frame, area, s, a, Some(*g)),
            Phase::Summary(s) => self.view_summary(&ctx, frame, area, s),
            Phase::Review(s, r) => self.view_review(app, &ctx, frame, area, s, *r),
        }
    }

    fn view_setup(&self, app: &App, ctx: &Ctx, frame: &mut Frame, area: Rect, selected: usize, empty: bool) {
        let t = &app.theme;
        let content = &app.content;
        let cards = &app.state.cards;
        let inner = panel(
            app,
            frame,
            area,
            Line::styled(format!(" Quiz · {} questions ", content.questions.len()), t.title),
        );
        let all = counts(content.questions.iter(), cards, ctx.now);
        let mut rows: Vec<(String, String)> = vec![
            (
                "Due now".into(),
                format!("{} due for review · {} new", all.due, all.new),
            ),
            (
                "Weakest first".into(),
                "the questions you are most likely to have forgotten".into(),
            ),
        ];
        for m in &content.modules {
            let qs = || content.questions.iter().filter(|q| q.module == m.id);
            rows.push((
                m.title.clone(),
                format!(
                    "{} questions · mastery {}%",
                    qs().count(),
                    mastery(qs(), cards, ctx.now)
                ),
            ));
        }
        let mut lines = vec![Line::styled("What do you want to practise?", t.text), Line::default()];
        let list_rows = usize::from(inner.height).saturating_sub(4);
        let (start, end) = list_window(selected, rows.len(), list_rows);
        let name_w = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(10);
        let column = text_column(inner);
        let detail_w = usize::from(column.width).saturating_sub(name_w + 5);
        for (i, (name, detail)) in rows.iter().enumerate().take(end).skip(start) {
            let sel = i == selected;
            lines.push(Line::from(vec![
                Span::styled(if sel { " › " } else { "   " }, t.accent),
                Span::styled(format!("{name:<name_w$}"), if sel { t.selected } else { t.text }),
                Span::styled(format!("  {}", truncate(detail, detail_w)), t.dim),
            ]));
        }
        if empty {
            lines.push(Line::default());
            lines.push(Line::styled(
                "Nothing to ask there right now: pick another set.",
                t.notice,
            ));
        }
        frame.render_widget(Paragraph::new(lines), column);
    }

    #[allow(clippy::too_many_arguments)]
    fn view_question(
        &self,
        app: &App,
        ctx: &Ctx,
        frame: &mut Frame,
        area: Rect,
        s: &Session,
        a: &Answer,
        g: Option<Grade>,
    ) {
        let t = &app.theme;
        let q = &app.content.questions[s.questions[s.current]];
        let module = app
            .content
            .module(&q.module)
            .map_or(q.module.as_str(), |m| m.title.as_str());
        let title = Line::from(vec![
            Span::styled(
                format!(" Question {} of {} ", s.current + 1, s.questions.len()),
                t.title,
            ),
            Span::styled(format!("· {module} · {} ", q.kind.name()), t.dim),
        ]);
        let inner = panel(app, frame, area, title);
        let column = text_column(inner);
        let Some(g) = g else {
            // Asking: the question, then the answer being typed or chosen right below it.
            let mut lines = render(&question_markdown(q, a), column.width, &t.markdown, None).lines;
            if let Kind::Recall { points } = &q.kind {
                lines.push(Line::default());
                lines.extend(answer_box(&a.input, column.width, !a.revealed, t));
                if a.revealed {
                    lines.push(Line::default());
                    lines.extend(render(&points_markdown(points, a), column.width, &t.markdown, None).lines);
                }
            }
            lines.push(Line::default());
            lines.push(Line::styled(input_line(q, a), t.accent));
            if let Some(e) = &a.error {
                lines.extend(
                    wrap_plain(e, usize::from(column.width))
                        .into_iter()
                        .map(|l| Line::styled(l, t.notice)),
                );
            }
            let overflow = lines.len().saturating_sub(usize::from(column.height));
            draw_scrolled(frame, column, lines, overflow);
            return;
        };
        // Feedback: the verdict and the grade on top, the explanation below (scrollable, with
        // links).
        let mut top = vec![verdict(g, t)];
        top.extend(
            self.grade_lines(ctx, q, a, g, column.width)
                .into_iter()
                .map(|l| Line::styled(l, t.text)),
        );
        let rows = top.len() as u16 + 1;
        frame.render_widget(
            Paragraph::new(top),
            Rect {
                height: rows.min(column.height),
                ..column
            },
        );
        let text = Rect {
            y: column.y + rows,
            height: column.height.saturating_sub(rows),
            ..column
        };
        let md = feedback_markdown(&app.content, q, a, g);
        let doc = render(&md, text.width, &t.markdown, self.link);
        draw_scrolled(frame, text, doc.lines, self.scroll);
    }

    #[allow(clippy::too_many_arguments)]
    fn view_review(&self, app: &App, ctx: &Ctx, frame: &mut Frame, area: Rect, s: &Session, result: usize) {
        let t = &app.theme;
        let (qi, g, _) = s.results[result];
        let q = &ctx.content.questions[qi];
        let missed = missed(s);
        let k = missed.iter().position(|&r| r == result).map_or(0, |k| k + 1);
        let title = Line::from(vec![
            Span::styled(format!(" Missed question {k} of {} ", missed.len()), t.title),
            Span::styled(format!("· {} ", q.kind.name()), t.dim),
        ]);
        let inner = panel(app, frame, area, title);
        let column = text_column(inner);
        frame.render_widget(Paragraph::new(verdict(g, t)), Rect { height: 1, ..column });
        let text = Rect {
            y: column.y + 2,
            height: column.height.saturating_sub(2),
            ..column
        };
        let md = feedback_markdown(&app.content, q, &s.answers[result], g);
        let doc = render(&md, text.width, &t.markdown, self.review_link);
        draw_scrolled(frame, text, doc.lines, self.scroll);
    }

    fn view_summary(&self, ctx: &Ctx, frame: &mut Frame, area: Rect, s: &Session) {
        let t = ctx.theme;
        let block = ratatui::widgets::Block::default()
            .borders(ratatui::widgets::Borders::ALL)
            .border_style(t.border)
            .title(Line::styled(" Quiz summary ", t.title));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let column = text_column(inner);
        let (lines, _) = summary_lines(ctx, s, self.link, column.width);
        draw_scrolled(frame, column, lines, self.scroll);
    }
}

fn verdict(g: Grade, t: &crate::theme::Theme) -> Line<'static> {
    if g.correct {
        Line::styled("✓ Correct", t.done)
    } else {
        Line::styled("✗ Not quite — scheduled again soon", t.notice)
    }
}

/// Why the automatic grade is what it is, in the words of its rule.
fn grade_reason(q: &Question, a: &Answer, g: Grade) -> String {
    match &q.kind {
        Kind::Recall { points } => format!(
            "{} of {} key points covered",
            a.ticked.iter().filter(|t| **t).count(),
            points.len()
        ),
        _ if g.correct => match g.rating {
            Rating::Easy => "right and quick".into(),
            Rating::Good => "right".into(),
            _ => "right, but slow".into(),
        },
        Kind::Order { .. } if g.rating == Rating::Hard => "most of the order right".into(),
        _ => "not right".into(),
    }
}

/// The indices (into `Session::results`) of the questions answered wrong.
pub fn missed(s: &Session) -> Vec<usize> {
    (0..s.results.len()).filter(|&r| !s.results[r].1.correct).collect()
}

/// The summary area for a terminal of `size`, as the view lays it out.
fn summary_area(size: (u16, u16)) -> Rect {
    reading_area(size, 0)
}

/// The summary's lines at `width`, and the first and last line of each missed question's row.
fn summary_lines(
    ctx: &Ctx,
    s: &Session,
    selected: Option<usize>,
    width: u16,
) -> (Vec<Line<'static>>, Vec<(usize, usize)>) {
    let t = ctx.theme;
    let content = ctx.content;
    let right = s.results.iter().filter(|r| r.1.correct).count();
    let seconds: f64 = s.results.iter().map(|r| r.2).sum();
    let mut lines = vec![
        Line::styled(format!("Score: {right} of {} correct", s.results.len()), t.title),
        Line::styled(
            format!("Time: {}:{:02} answering", (seconds as u64) / 60, (seconds as u64) % 60),
            t.text,
        ),
    ];
    // Weakest topics: the terms of the questions missed, most often missed first.
    let mut missed_terms: BTreeMap<&str, usize> = BTreeMap::new();
    for (qi, g, _) in &s.results {
        if !g.correct {
            for term in &content.questions[*qi].terms {
                *missed_terms.entry(term.as_str()).or_default() += 1;
            }
        }
    }
    let mut weak: Vec<(&str, usize)> = missed_terms.into_iter().collect();
    weak.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let weak = if weak.is_empty() {
        "none this time".to_string()
    } else {
        weak.iter()
            .take(5)
            .filter_map(|(id, _)| content.term(id).map(|t| t.name.clone()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for l in wrap_plain(&format!("Weakest topics: {weak}"), usize::from(width)) {
        lines.push(Line::styled(l, t.text));
    }
    let c = counts(content.questions.iter(), &ctx.state.cards, ctx.now);
    lines.push(Line::styled(
        format!("Due now: {} · new: {} · scheduled later: {}", c.due, c.new, c.later),
        t.text,
    ));
    let next = ctx
        .state
        .cards
        .values()
        .map(|r| r.card.due)
        .filter(|d| *d > ctx.now)
        .min();
    if let Some(next) = next {
        lines.push(Line::styled(format!("Next review: {}", until(next, ctx.now)), t.text));
    }
    let missed = missed(s);
    let mut rows = Vec::new();
    // A question's row: its mark, then the prompt's first paragraph rendered (code and bold
    // as on the question screen), wrapped under itself.
    let row = |lines: &mut Vec<Line<'static>>, r: usize, here: bool| {
        let (qi, g, _) = s.results[r];
        let first = content.questions[qi].prompt.trim().split("\n\n").next().unwrap_or("");
        let body = render(first, width.saturating_sub(4), &t.markdown, None).lines;
        let (mark, style) = if g.correct { ("✓", t.done) } else { ("✗", t.notice) };
        for (i, mut line) in body.into_iter().enumerate() {
            if here {
                line.spans
                    .iter_mut()
                    .for_each(|sp| sp.style = sp.style.patch(t.selected));
            }
            let lead = if i > 0 {
                Span::raw("    ")
            } else if here {
                Span::styled(format!("› {mark} "), t.accent)
            } else {
                Span::styled(format!("  {mark} "), style)
            };
            line.spans.insert(0, lead);
            lines.push(line);
        }
    };
    if !missed.is_empty() {
        lines.push(Line::default());
        lines.push(Line::styled(
            "What you missed — Enter reviews one, r asks them all again:",
            t.title,
        ));
        for (k, &r) in missed.iter().enumerate() {
            let start = lines.len();
            row(&mut lines, r, selected == Some(k));
            rows.push((start, lines.len() - 1));
        }
    }
    if right > 0 {
        lines.push(Line::default());
        lines.push(Line::styled("Answered right:", t.title));
        for r in (0..s.results.len()).filter(|&r| s.results[r].1.correct) {
            row(&mut lines, r, false);
        }
    }
    (lines, rows)
}

/// The learner's own answer: a field that wraps, with the cursor at its end while typing.
fn answer_box(text: &str, width: u16, typing: bool, t: &crate::theme::Theme) -> Vec<Line<'static>> {
    let width = usize::from(width.saturating_sub(2)).max(10);
    let mut rows: Vec<String> = Vec::new();
    for paragraph in text.split('\n') {
        rows.extend(wrap_plain(paragraph, width));
    }
    if typing {
        // Wrapping drops a trailing space; keep it so the cursor moves when one is typed.
        let last = rows.last_mut().expect("at least one row");
        if text.ends_with(' ') && !last.is_empty() {
            last.push(' ');
        }
        last.push('▏');
        while rows.len() < 3 {
            rows.push(String::new());
        }
    }
    let mut lines = vec![Line::styled(
        if typing { "Your answer:" } else { "You wrote:" },
        t.title,
    )];
    if !typing && text.trim().is_empty() {
        lines.push(Line::styled("│ (nothing written)", t.dim));
        return lines;
    }
    lines.extend(rows.into_iter().map(|r| Line::styled(format!("│ {r}"), t.text)));
    lines
}

fn input_line(q: &Question, a: &Answer) -> String {
    match &q.kind {
        Kind::Numeric { unit, .. } => format!("Your estimate: {}▏ {unit}", a.input),
        Kind::TrueFalse { .. } => match a.truth {
            None => "True or false?".into(),
            Some(t) => format!("Your answer: {}", if t { "true" } else { "false" }),
        },
        Kind::Recall { .. } if !a.revealed => "Enter shows the model answer; Alt-Enter starts a new line.".into(),
        Kind::Recall { .. } => "Tick the points your answer covered, then press Enter.".into(),
        Kind::Order { .. } => "Put the items in the right order.".into(),
        Kind::Choice { correct, .. } if correct.len() > 1 => {
            format!("Choose all that apply ({} are right).", correct.len())
        }
        Kind::Choice { .. } => "Choose one.".into(),
    }
}

fn toggle(v: &mut [bool], i: usize, single: bool) {
    if single {
        v.iter_mut().for_each(|x| *x = false);
        v[i] = true;
    } else {
        v[i] = !v[i];
    }
}

fn move_item(a: &mut Answer, delta: isize) {
    let j = a.cursor as isize + delta;
    if j >= 0 && (j as usize) < a.order.len() {
        a.order.swap(a.cursor, j as usize);
        a.cursor = j as usize;
    }
}

fn new_answer(q: &Question, now: DateTime<Utc>) -> Answer {
    let mut a = Answer {
        asked_at: Some(now),
        ..Answer::default()
    };
    match &q.kind {
        Kind::Choice { choices, .. } => a.chosen = vec![false; choices.len()],
        Kind::Order { .. } => a.order = shuffled_order(q),
        Kind::Recall { points } => a.ticked = vec![false; points.len()],
        _ => {}
    }
    a
}

/// The cursor column of a list: a blank that is not whitespace, so wrapping keeps the column.
fn cursor_mark(here: bool) -> &'static str {
    if here {
        "›"
    } else {
        "\u{2800}"
    }
}

fn question_markdown(q: &Question, a: &Answer) -> String {
    let mut md = format!("{}\n\n", q.prompt.trim());
    match &q.kind {
        Kind::Choice { choices, correct } => {
            for (i, c) in choices.iter().enumerate() {
                let mark = match (correct.len() > 1, a.chosen[i]) {
                    (true, true) => "[x]",
                    (true, false) => "[ ]",
                    (false, true) => "(•)",
                    (false, false) => "( )",
                };
                let cursor = cursor_mark(i == a.cursor);
                md.push_str(&format!("{cursor} {mark} **{}.** {}  \n", i + 1, c));
            }
        }
        Kind::Order { items } => {
            for (pos, &i) in a.order.iter().enumerate() {
                let cursor = cursor_mark(pos == a.cursor);
                md.push_str(&format!("{cursor} **{}.** {}  \n", pos + 1, items[i]));
            }
        }
        Kind::Recall { .. } if !a.revealed => md.push_str(
            "*Write a short answer, or think it through, then press Enter to compare it with the model answer.*\n",
        ),
        _ => {}
    }
    md
}

/// The model answer's key points with the learner's ticks (drawn under their own answer).
fn points_markdown(points: &[String], a: &Answer) -> String {
    let mut md = "**Model answer — key points:**\n\n".to_string();
    for (i, p) in points.iter().enumerate() {
        let cursor = cursor_mark(i == a.cursor);
        let mark = if a.ticked[i] { "[x]" } else { "[ ]" };
        md.push_str(&format!("{cursor} {mark} **{}.** {p}  \n", i + 1));
    }
    md
}

/// Text the learner typed, made literal for Markdown: every ASCII punctuation mark escaped.
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn feedback_markdown(content: &Content, q: &Question, a: &Answer, g: Grade) -> String {
    let mut md = format!("{}\n\n", q.prompt.trim());
    let yours = match &q.kind {
        Kind::Choice { choices, .. } => {
            let picked: Vec<String> = a
                .chosen
                .iter()
                .enumerate()
                .filter(|(_, c)| **c)
                .map(|(i, _)| format!("{}. {}", i + 1, choices[i]))
                .collect();
            picked.join("; ")
        }
        Kind::TrueFalse { .. } => if a.truth == Some(true) { "True" } else { "False" }.into(),
        Kind::Numeric { unit, .. } => format!(
            "{} {unit}",
            parse_estimate(&a.input, unit).map(fmt_num).unwrap_or_default()
        ),
        Kind::Order { items } => a
            .order
            .iter()
            .enumerate()
            .map(|(p, &i)| format!("{}. {}", p + 1, items[i]))
            .collect::<Vec<_>>()
            .join("; "),
        Kind::Recall { points } => format!(
            "{} of {} key points",
            a.ticked.iter().filter(|t| **t).count(),
            points.len()
        ),
    };
    md.push_str(&format!("**Your answer:** {yours}\n\n"));
    if matches!(q.kind, Kind::Recall { .. }) && !a.input.trim().is_empty() {
        md.push_str("**You wrote:**\n\n");
        for line in a.input.trim().lines() {
            md.push_str(&format!("> {}  \n", escape_markdown(line)));
        }
        md.push('\n');
    }
    if !g.correct || matches!(q.kind, Kind::Numeric { .. } | Kind::Recall { .. }) {
        match &q.kind {
            Kind::Recall { points } | Kind::Order { items: points } => {
                md.push_str("**Model answer:**\n\n");
                for (i, p) in points.iter().enumerate() {
                    md.push_str(&format!("{}. {p}\n", i + 1));
                }
                md.push('\n');
            }
            _ => md.push_str(&format!("**Answer:** {}\n\n", q.answer_text())),
        }
    }
    md.push_str(&format!("{}\n\n", q.explanation.trim()));
    let terms: Vec<String> = q
        .terms
        .iter()
        .filter_map(|id| content.term(id).map(|t| format!("[{}](term:{id})", t.name)))
        .collect();
    if !terms.is_empty() {
        md.push_str(&format!("**Tests:** {}\n\n", terms.join(" · ")));
    }
    if let Some(l) = q.lesson.as_deref().and_then(|l| content.lesson(l)) {
        md.push_str(&format!("**Lesson:** [{}](lesson:{})\n", l.title, l.id));
    }
    md
}

fn until(when: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let mins = (when - now).num_minutes().max(1);
    match mins {
        m if m < 60 => format!("in {m} min"),
        m if m < 48 * 60 => format!("in {} h", m / 60),
        m => format!("in {} days", m / (24 * 60)),
    }
}
