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
use super::view::{draw_scrolled, list_window, panel, reading_area, reading_key, text_column, truncate};
use crate::content::markdown::{render, Rendered};
use crate::content::quiz::{fmt_num, Kind, Question};
use crate::content::Content;
use crate::quiz::{choose, counts, grade, mastery, parse_estimate, shuffled_order, Grade, Response, Selection};

pub struct QuizView {
    pub phase: Phase,
    pub scroll: usize,
    pub link: Option<usize>,
}

pub enum Phase {
    Setup { selected: usize, empty: bool },
    Asking(Session, Answer),
    Feedback(Session, Answer, Grade),
    Summary(Session),
}

pub struct Session {
    pub selection: Selection,
    pub questions: Vec<usize>,
    pub current: usize,
    pub results: Vec<(usize, Grade, f64)>,
    pub started: DateTime<Utc>,
}

/// The learner's answer in progress.
#[derive(Default)]
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
    more("F1", "help"),
];
const TRUTH_HINTS: &[KeyHint] = &[
    hint("t/f", "true / false"),
    hint("←→", "choose"),
    hint("Enter", "answer"),
    hint("Esc", "end quiz"),
    more("1 2", "true / false"),
];
const NUMERIC_HINTS: &[KeyHint] = &[
    hint("type", "a number"),
    hint("Enter", "answer"),
    hint("Esc", "end quiz"),
    more("F1", "help"),
];
const ORDER_HINTS: &[KeyHint] = &[
    hint("↑↓", "select"),
    hint("Shift-↑↓ K J", "move item"),
    hint("Enter", "answer"),
    hint("Esc", "end quiz"),
    more("F1", "help"),
];
const RECALL_WRITE_HINTS: &[KeyHint] = &[
    hint("type", "your answer (optional)"),
    hint("Enter", "show model answer"),
    hint("Esc", "end quiz"),
];
const RECALL_TICK_HINTS: &[KeyHint] = &[
    hint("1-9", "tick a point"),
    hint("↑↓ Space", "move / tick"),
    hint("Enter", "grade"),
    hint("Esc", "end quiz"),
];
const FEEDBACK_HINTS: &[KeyHint] = &[
    hint("Enter/n", "next"),
    hint("Tab", "link"),
    hint("↑↓", "scroll"),
    hint("q/Esc", "end quiz"),
    hint("?", "help"),
    more("Shift-Tab", "previous link"),
    more("Enter on a link", "open it; Backspace comes back"),
];
const SUMMARY_HINTS: &[KeyHint] = &[hint("Enter", "another quiz"), hint("q/Esc", "back"), hint("?", "help")];

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
            Phase::Summary(_) => SUMMARY_HINTS,
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
            Phase::Summary(session) => match key.code {
                KeyCode::Enter => {
                    self.phase = Phase::Setup {
                        selected: 0,
                        empty: false,
                    };
                    Cmd::None
                }
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Backspace => Cmd::Back,
                _ => {
                    self.phase = Phase::Summary(session);
                    Cmd::Unhandled
                }
            },
        }
    }

    fn on_answer_key(&mut self, key: KeyEvent, session: Session, mut a: Answer, ctx: &Ctx) -> Cmd {
        let q = &ctx.content.questions[session.questions[session.current]];
        if key.code == KeyCode::Esc {
            self.phase = Phase::Summary(session);
            return Cmd::None;
        }
        if key.code == KeyCode::F(1) {
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
                    match key.code {
                        KeyCode::Enter => a.revealed = true,
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
        let id = q.id.clone();
        self.phase = Phase::Feedback(session, a, g);
        self.scroll = 0;
        self.link = None;
        Cmd::Review(id, g, seconds)
    }

    fn on_feedback_key(&mut self, key: KeyEvent, mut session: Session, a: Answer, g: Grade, ctx: &Ctx) -> Cmd {
        let (doc, area) = self.feedback_doc(ctx, &session, &a, g);
        let height = usize::from(area.height);
        match key.code {
            KeyCode::Enter if self.link.is_some() => {
                let target = doc.links[self.link.unwrap_or(0)].target.clone();
                self.phase = Phase::Feedback(session, a, g);
                return Cmd::Follow(target);
            }
            KeyCode::Enter | KeyCode::Char('n') | KeyCode::Right => {
                session.current += 1;
                self.scroll = 0;
                self.link = None;
                if session.current >= session.questions.len() {
                    self.phase = Phase::Summary(session);
                } else {
                    let next = new_answer(&ctx.content.questions[session.questions[session.current]], ctx.now);
                    self.phase = Phase::Asking(session, next);
                }
                return Cmd::None;
            }
            KeyCode::Esc | KeyCode::Char('q') => {
                self.phase = Phase::Summary(session);
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

    fn feedback_doc(&self, ctx: &Ctx, session: &Session, a: &Answer, g: Grade) -> (Rendered, Rect) {
        let area = reading_area(ctx.size, 2);
        let q = &ctx.content.questions[session.questions[session.current]];
        let md = feedback_markdown(ctx.content, q, a, g);
        (render(&md, area.width, &ctx.theme.markdown, self.link), area)
    }

    pub fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        let ctx = app.ctx();
        match &self.phase {
            Phase::Setup { selected, empty } => self.view_setup(app, &ctx, frame, area, *selected, *empty),
            Phase::Asking(s, a) => self.view_question(app, frame, area, s, a, None),
            Phase::Feedback(s, a, g) => self.view_question(app, frame, area, s, a, Some(*g)),
            Phase::Summary(s) => view_summary(app, &ctx, frame, area, s),
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

    fn view_question(&self, app: &App, frame: &mut Frame, area: Rect, s: &Session, a: &Answer, g: Option<Grade>) {
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
        let md = match g {
            None => question_markdown(q, a),
            Some(g) => feedback_markdown(&app.content, q, a, g),
        };
        let status = match g {
            Some(g) if g.correct => Line::styled(format!("✓ Correct ({})", rating_word(g)), t.done),
            Some(g) => Line::styled(
                format!("✗ Not quite — scheduled again soon ({})", rating_word(g)),
                t.notice,
            ),
            None => Line::styled(input_line(q, a), t.accent),
        };
        if g.is_some() {
            // Feedback: the verdict on top, the explanation below it (scrollable, with links).
            frame.render_widget(Paragraph::new(status), Rect { height: 1, ..column });
            let text = Rect {
                y: column.y + 2,
                height: column.height.saturating_sub(2),
                ..column
            };
            let doc = render(&md, text.width, &t.markdown, self.link);
            draw_scrolled(frame, text, doc.lines, self.scroll);
        } else {
            // Asking: the question, then the answer being typed or chosen right below it.
            let mut lines = render(&md, column.width, &t.markdown, None).lines;
            lines.push(Line::default());
            lines.push(status);
            if let Some(e) = &a.error {
                lines.push(Line::styled(e.clone(), t.notice));
            }
            let overflow = lines.len().saturating_sub(usize::from(column.height));
            draw_scrolled(frame, column, lines, overflow);
        }
    }
}

fn rating_word(g: Grade) -> &'static str {
    match g.rating as u8 {
        1 => "again",
        2 => "hard",
        3 => "good",
        _ => "easy",
    }
}

fn input_line(q: &Question, a: &Answer) -> String {
    match &q.kind {
        Kind::Numeric { unit, .. } => format!("Your estimate: {}▏ {unit}", a.input),
        Kind::TrueFalse { .. } => match a.truth {
            None => "True or false?".into(),
            Some(t) => format!("Your answer: {}", if t { "true" } else { "false" }),
        },
        Kind::Recall { .. } if !a.revealed => format!("Your answer: {}▏", a.input),
        Kind::Recall { .. } => "Tick the points your answer covered.".into(),
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
        Kind::Recall { points } if a.revealed => {
            md.push_str("**Model answer — key points:**\n\n");
            for (i, p) in points.iter().enumerate() {
                let cursor = cursor_mark(i == a.cursor);
                let mark = if a.ticked[i] { "[x]" } else { "[ ]" };
                md.push_str(&format!("{cursor} {mark} **{}.** {p}  \n", i + 1));
            }
        }
        Kind::Recall { .. } => md.push_str(
            "*Write a short answer, or think it through, then press Enter to compare it with the model answer.*\n",
        ),
        _ => {}
    }
    md
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

fn view_summary(app: &App, ctx: &Ctx, frame: &mut Frame, area: Rect, s: &Session) {
    let t = &app.theme;
    let inner = panel(app, frame, area, Line::styled(" Quiz summary ", t.title));
    let right = s.results.iter().filter(|r| r.1.correct).count();
    let seconds: f64 = s.results.iter().map(|r| r.2).sum();
    let mut lines = vec![
        Line::styled(format!("Score: {right} of {} correct", s.results.len()), t.title),
        Line::styled(
            format!("Time: {}:{:02} answering", (seconds as u64) / 60, (seconds as u64) % 60),
            t.text,
        ),
        Line::default(),
    ];
    // Weakest topics: the terms of the questions missed, most often missed first.
    let mut missed: BTreeMap<&str, usize> = BTreeMap::new();
    for (qi, g, _) in &s.results {
        if !g.correct {
            for term in &app.content.questions[*qi].terms {
                *missed.entry(term.as_str()).or_default() += 1;
            }
        }
    }
    let mut weak: Vec<(&str, usize)> = missed.into_iter().collect();
    weak.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if weak.is_empty() {
        lines.push(Line::styled("Weakest topics: none this time.", t.text));
    } else {
        let names: Vec<String> = weak
            .iter()
            .take(5)
            .filter_map(|(id, _)| app.content.term(id).map(|t| t.name.clone()))
            .collect();
        lines.push(Line::styled(format!("Weakest topics: {}", names.join(", ")), t.text));
    }
    let c = counts(app.content.questions.iter(), &app.state.cards, ctx.now);
    let next = app
        .state
        .cards
        .values()
        .map(|r| r.card.due)
        .filter(|d| *d > ctx.now)
        .min();
    lines.push(Line::styled(
        format!("Due now: {} · new: {} · scheduled later: {}", c.due, c.new, c.later),
        t.text,
    ));
    if let Some(next) = next {
        lines.push(Line::styled(format!("Next review: {}", until(next, ctx.now)), t.text));
    }
    lines.push(Line::default());
    for (qi, g, _) in &s.results {
        let q = &app.content.questions[*qi];
        let (mark, style) = if g.correct { ("✓", t.done) } else { ("✗", t.notice) };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::styled(
                truncate(
                    q.prompt.lines().next().unwrap_or(""),
                    usize::from(inner.width).saturating_sub(6),
                ),
                t.dim,
            ),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), text_column(inner));
}

fn until(when: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let mins = (when - now).num_minutes().max(1);
    match mins {
        m if m < 60 => format!("in {m} min"),
        m if m < 48 * 60 => format!("in {} h", m / 60),
        m => format!("in {} days", m / (24 * 60)),
    }
}
