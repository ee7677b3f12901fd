//! Reading a lesson step by step; the last step asks the lesson's check questions, with answers
//! revealed on a key. A lesson with a lab shows it beside the text (below it when narrow), with
//! the step's goals ticked the moment an action in the lab meets them.

use std::collections::{HashMap, HashSet};

use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::app::{App, Cmd, Ctx};
use super::keys::{hint, more, KeyHint};
use super::lab::LabPane;
use super::view::{draw_scrolled, panel, progress_bar, reading_key, text_column, MAX_TEXT_WIDTH};
use crate::content::markdown::{code_width, render, wrap_plain, Rendered};
use crate::content::{Content, Lesson};
use crate::theme::Theme;

pub struct LessonView {
    pub lesson: usize,
    pub step: usize,
    pub scroll: usize,
    pub link: Option<usize>,
    pub revealed: bool,
    /// The lab beside the text, for lessons that have one.
    pub pane: Option<LabPane>,
    /// Goals met, as (step, goal index within the lesson).
    pub met: HashSet<usize>,
    /// 0 nothing, 1 the hint, 2 the solution too (`h` steps through them).
    pub help_level: u8,
    /// Predictions committed, by goal index; kept in the state file too.
    pub predictions: HashMap<usize, f64>,
    /// What the lab measured when a predicted goal was met, by goal index.
    pub measured: HashMap<usize, f64>,
    /// The prediction being typed: (goal index, text, the last error).
    pub predicting: Option<(usize, String, Option<String>)>,
    /// Predictions the learner chose not to make this visit (Esc).
    skipped: HashSet<usize>,
}

const PREDICT_HINTS: &[KeyHint] = &[
    hint("type", "your number (2.5k, 1,200, 3e3)"),
    hint("Enter", "commit, then run the lab"),
    hint("Esc", "skip predicting"),
];

/// A typed prediction as a number: `1,200`, `2.5k`, `3M`, `3e3`, `40%` (as 40).
pub fn parse_number(text: &str) -> Option<f64> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' ' | '~' | '%'))
        .collect();
    let (digits, scale) = match t.chars().last()? {
        'k' | 'K' => (&t[..t.len() - 1], 1e3),
        'm' | 'M' => (&t[..t.len() - 1], 1e6),
        'b' | 'B' | 'g' | 'G' => (&t[..t.len() - 1], 1e9),
        _ => (t.as_str(), 1.0),
    };
    let x: f64 = digits.parse().ok()?;
    x.is_finite().then_some(x * scale)
}

/// A number as people write it: no trailing zeros, at most four decimals.
fn plain(x: f64) -> String {
    let s = format!("{:.4}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Rows above the text: the step heading and a blank line.
const STEP_HEADER_ROWS: u16 = 2;

const READ_HINTS: &[KeyHint] = &[
    hint("n/→", "next step"),
    hint("p/←", "previous"),
    hint("↑↓", "scroll"),
    hint("Tab", "link"),
    hint("Enter", "follow"),
    hint("q/Esc", "back"),
    hint("?", "help"),
    more("j k  PgUp PgDn", "scroll"),
    more("Shift-Tab", "previous link"),
    more("r", "restart this lesson (forget its progress)"),
    more("t", "quiz on this lesson"),
    more("Backspace", "back"),
];
/// The check step's keys after the first, which says whether `a` reveals or hides.
const CHECK_HINTS: &[KeyHint] = &[
    hint("p/←", "previous"),
    hint("↑↓", "scroll"),
    hint("Tab", "link"),
    hint("q/Esc", "back"),
    hint("?", "help"),
    more("Space", "reveal or hide the answers (as a)"),
    more("j k  PgUp PgDn", "scroll"),
    more("Enter", "follow the selected link"),
    more("r", "restart this lesson (forget its progress)"),
    more("t", "quiz on this lesson"),
    more("Backspace", "back"),
];
/// With a lab, ← → belong to the lab; steps move with n and p.
const LAB_STEP_HINTS: &[KeyHint] = &[
    hint("n/p", "step"),
    hint("h", "hint"),
    hint("↑↓", "scroll text"),
    more("Tab / Enter", "select / follow a link in the text"),
    more("h h", "show the solution (the keys that reach the goal)"),
    more("t", "quiz on this lesson"),
    more("q / Esc / Backspace", "back"),
];

/// The lessons in course order: module by module, each module's lessons in order.
pub fn course_order(content: &Content) -> Vec<usize> {
    content.modules.iter().flat_map(|m| m.lessons.iter().copied()).collect()
}

/// The lesson after `lesson` in course order, if it is not the last.
pub fn next_lesson(content: &Content, lesson: usize) -> Option<usize> {
    let order = course_order(content);
    let at = order.iter().position(|&l| l == lesson)?;
    order.get(at + 1).copied()
}

/// The Markdown of step `step`: an authored step, or the generated "Check yourself".
pub fn step_markdown(lesson: &Lesson, step: usize, revealed: bool) -> (String, String) {
    if let Some(s) = lesson.steps.get(step) {
        return (s.title.clone(), s.body.clone());
    }
    let mut md = String::from("Answer each question in your head (or on paper) first, then reveal the answers.\n\n");
    for (i, c) in lesson.checks.iter().enumerate() {
        md.push_str(&format!("{}. **{}**\n\n", i + 1, c.question.trim()));
        if revealed {
            md.push_str(&format!("   > {}\n\n", c.answer.trim().replace('\n', " ")));
        } else {
            md.push_str("   *(answer hidden)*\n\n");
        }
    }
    ("Check yourself".to_string(), md)
}

/// Where the parts of a lesson screen go inside its panel.
struct Areas {
    header: Rect,
    text: Rect,
    goals: Rect,
    lab: Option<Rect>,
}

/// The lab beside the text needs this many columns to draw its ring and load bars.
const LAB_MIN_WIDTH: u16 = 50;

/// `code_w` is the width the step's widest diagram needs (see `markdown::code_width`); `goals`
/// are the goal panel's lines, wrapped here to the text column.
fn areas(inner: Rect, goals: &[(String, Style)], with_lab: bool, code_w: usize) -> Areas {
    let (text_col, lab) = if !with_lab {
        (text_column(inner), None)
    } else if inner.width >= 110 {
        // Room for the widest diagram (plus the column's padding) while the lab keeps its own.
        let wanted = u16::try_from(code_w + 2).unwrap_or(u16::MAX);
        let text_w = (inner.width * 45 / 100)
            .max(wanted.min(inner.width - LAB_MIN_WIDTH))
            .clamp(50, MAX_TEXT_WIDTH + 2);
        let [t, l] = Layout::horizontal([Constraint::Length(text_w), Constraint::Min(40)]).areas(inner);
        (text_column(t), Some(l))
    } else {
        let text_h = (inner.height * 45 / 100).max(8);
        let [t, l] = Layout::vertical([Constraint::Length(text_h), Constraint::Min(6)]).areas(inner);
        (text_column(t), Some(l))
    };
    let header = Rect { height: 1, ..text_col };
    let body_h = text_col.height.saturating_sub(STEP_HEADER_ROWS);
    let goal_rows: usize = goals
        .iter()
        .map(|(text, _)| wrap_plain(text, usize::from(text_col.width)).len())
        .sum();
    // Goals, and a hint asked for, matter more than the text (which scrolls); two rows of text stay.
    let goals_h = (goal_rows as u16).min(body_h.saturating_sub(2));
    let text = Rect {
        y: text_col.y + STEP_HEADER_ROWS,
        height: body_h - goals_h,
        ..text_col
    };
    let goals = Rect {
        y: text.y + text.height,
        height: goals_h,
        ..text_col
    };
    Areas {
        header,
        text,
        goals,
        lab,
    }
}

impl LessonView {
    pub fn new(lesson: &Lesson, index: usize, step: usize) -> LessonView {
        let mut view = LessonView {
            lesson: index,
            step,
            scroll: 0,
            link: None,
            revealed: false,
            pane: None,
            met: HashSet::new(),
            help_level: 0,
            predictions: HashMap::new(),
            measured: HashMap::new(),
            predicting: None,
            skipped: HashSet::new(),
        };
        view.setup_lab(lesson, true);
        view
    }

    /// Takes the predictions already made in this lesson from the state file, then asks for the
    /// current step's, if it has one still to make.
    pub fn load_predictions(&mut self, lesson: &Lesson, state: &crate::state::State) {
        for i in 0..lesson.goals.len() {
            if let Some(p) = state
                .predictions
                .get(&crate::state::State::prediction_key(&lesson.id, i))
            {
                self.predictions.insert(i, *p);
            }
        }
        self.ask_prediction(lesson);
    }

    /// Opens the prediction field for the first goal of this step that asks for one and has
    /// none yet.
    fn ask_prediction(&mut self, lesson: &Lesson) {
        self.predicting = lesson
            .goals
            .iter()
            .enumerate()
            .find(|(i, g)| {
                g.step == self.step
                    && g.predict.is_some()
                    && !self.predictions.contains_key(i)
                    && !self.skipped.contains(i)
                    && !self.met.contains(i)
            })
            .map(|(i, _)| (i, String::new(), None));
    }

    /// Keys while a prediction is typed: the field takes them all.
    fn predict_key(&mut self, key: KeyEvent, lesson: &Lesson) -> Cmd {
        let Some((goal, text, error)) = &mut self.predicting else {
            return Cmd::None;
        };
        let goal = *goal;
        match key.code {
            KeyCode::Enter => match parse_number(text) {
                Some(x) => {
                    self.predictions.insert(goal, x);
                    self.predicting = None;
                    self.ask_prediction(lesson);
                    return Cmd::Predict(crate::state::State::prediction_key(&lesson.id, goal), x);
                }
                None => *error = Some(format!("{:?} is not a number", text.trim())),
            },
            KeyCode::Esc => {
                self.skipped.insert(goal);
                self.predicting = None;
                self.ask_prediction(lesson);
            }
            KeyCode::Backspace => {
                text.pop();
                *error = None;
            }
            _ => {
                if let Some(c) = super::keys::typed_char(&key).filter(|c| !c.is_control()) {
                    if text.chars().count() < 24 {
                        text.push(c);
                    }
                    *error = None;
                }
            }
        }
        Cmd::None
    }

    /// The goal panel's lines about goal `i`'s prediction.
    fn prediction_lines(&self, i: usize, g: &crate::content::Goal, t: &Theme, lines: &mut Vec<(String, Style)>) {
        let Some(p) = &g.predict else { return };
        if let Some((goal, text, error)) = &self.predicting {
            if *goal == i {
                lines.push((format!("  Predict first: {}", p.question), t.notice));
                lines.push((format!("  Your prediction › {text}▏"), t.accent));
                if let Some(e) = error {
                    lines.push((format!("  {e}: type a number, then Enter"), t.notice));
                }
                return;
            }
        }
        let Some(predicted) = self.predictions.get(&i) else {
            return;
        };
        match self.measured.get(&i) {
            Some(m) if p.within(*predicted, *m) => lines.push((
                format!(
                    "  you predicted {} · the lab measured {} · within {} ✓",
                    plain(*predicted),
                    plain(*m),
                    plain(p.tolerance)
                ),
                t.done,
            )),
            Some(m) => lines.push((
                format!(
                    "  you predicted {} · the lab measured {} · ✗ off by {} (within {} counts)",
                    plain(*predicted),
                    plain(*m),
                    plain((predicted - m).abs()),
                    plain(p.tolerance)
                ),
                t.notice,
            )),
            None => lines.push((
                format!("  you predicted {} · now run the lab and see", plain(*predicted)),
                t.dim,
            )),
        }
    }

    /// Builds the lab for the current step: from the latest scenario at or before it, when the
    /// step brings one (or `always`, when the lesson is opened).
    fn setup_lab(&mut self, lesson: &Lesson, always: bool) {
        let Some(lab) = &lesson.lab else { return };
        let here = lesson.goals.iter().any(|g| g.step == self.step && g.scenario.is_some());
        if !(always || here || self.pane.is_none()) {
            return;
        }
        let scenario = lesson
            .goals
            .iter()
            .rev()
            .filter(|g| g.step <= self.step)
            .find_map(|g| g.scenario.as_deref());
        self.pane = LabPane::new(lab, scenario).ok();
    }

    pub fn restart(&mut self) {
        self.step = 0;
        self.scroll = 0;
        self.link = None;
        self.revealed = false;
        self.met.clear();
        self.help_level = 0;
        self.predictions.clear();
        self.measured.clear();
        self.predicting = None;
        self.skipped.clear();
    }

    fn is_check_step(&self, lesson: &Lesson) -> bool {
        self.step >= lesson.steps.len()
    }

    fn shows_lab(&self, lesson: &Lesson) -> bool {
        self.pane.is_some() && !self.is_check_step(lesson)
    }

    pub fn hints(&self, app: &App) -> Vec<KeyHint> {
        let lesson = &app.content.lessons[self.lesson];
        let mut hints = if self.is_check_step(lesson) {
            let a = hint(
                "a",
                if self.revealed {
                    "hide answers"
                } else {
                    "reveal answers"
                },
            );
            std::iter::once(a).chain(CHECK_HINTS.iter().copied()).collect()
        } else {
            match &self.pane {
                Some(_) if self.predicting.is_some() => return PREDICT_HINTS.to_vec(),
                Some(pane) if pane.typing() => return pane.hints(),
                Some(pane) => LAB_STEP_HINTS.iter().copied().chain(pane.hints()).collect(),
                None => READ_HINTS.to_vec(),
            }
        };
        if self.step + 1 >= lesson.step_count() {
            // On the last step `n` leads on to the next lesson, not to a next step.
            hints.retain(|h| h.keys != "n/→");
            if next_lesson(&app.content, self.lesson).is_some() {
                hints.insert(0, hint("n", "next lesson"));
            }
        }
        hints
    }

    /// The current step's Markdown; the last step ends by offering the next lesson.
    fn markdown(&self, content: &Content) -> (String, String) {
        let lesson = &content.lessons[self.lesson];
        let (title, mut md) = step_markdown(lesson, self.step, self.revealed);
        if self.step + 1 >= lesson.step_count() {
            if let Some(next) = next_lesson(content, self.lesson) {
                let next = &content.lessons[next];
                md.push_str(&format!(
                    "\n\n---\n\nNext lesson: **{}**. Press n to start it.\n",
                    next.title
                ));
            }
        }
        (title, md)
    }

    /// The goals of the current step, with their index in the lesson.
    fn step_goals<'a>(&self, lesson: &'a Lesson) -> Vec<(usize, &'a crate::content::Goal)> {
        lesson
            .goals
            .iter()
            .enumerate()
            .filter(|(_, g)| g.step == self.step)
            .collect()
    }

    /// The goal panel's lines (title, goals with their marks, hint and solution when asked
    /// for), unwrapped; none when the step has no goals or the lab is not shown.
    fn goal_lines(&self, lesson: &Lesson, t: &Theme) -> Vec<(String, Style)> {
        let goals = self.step_goals(lesson);
        if goals.is_empty() || !self.shows_lab(lesson) {
            return Vec::new();
        }
        let mut lines = vec![("Goals".to_string(), t.title)];
        for (i, g) in &goals {
            let (mark, style) = if self.met.contains(i) {
                ("✓", t.done)
            } else {
                ("☐", t.text)
            };
            lines.push((format!("{mark} {}", g.text), style));
            self.prediction_lines(*i, g, t, &mut lines);
        }
        // The hint and solution are those of the first goal still open; with none open, none.
        if let Some((_, g)) = goals.iter().find(|(i, _)| !self.met.contains(i)) {
            if self.help_level >= 1 {
                lines.push((format!("Hint: {}", g.hint), t.notice));
            }
            if self.help_level >= 2 {
                let keys = super::keys::describe_keys(&g.solution);
                lines.push((format!("Solution: press {keys}"), t.notice));
            }
        }
        lines
    }

    fn layout(&self, ctx: &Ctx) -> Areas {
        let lesson = &ctx.content.lessons[self.lesson];
        let body = Rect::new(0, 1, ctx.size.0, ctx.size.1.saturating_sub(2));
        let inner = Block::default().borders(Borders::ALL).inner(body);
        let (_, md) = self.markdown(ctx.content);
        areas(
            inner,
            &self.goal_lines(lesson, ctx.theme),
            self.shows_lab(lesson),
            code_width(&md),
        )
    }

    fn rendered(&self, ctx: &Ctx) -> (Rendered, Rect) {
        let area = self.layout(ctx).text;
        let (_, md) = self.markdown(ctx.content);
        (render(&md, area.width, &ctx.theme.markdown, self.link), area)
    }

    fn go_to(&mut self, step: usize, lesson: &Lesson) -> Cmd {
        self.step = step;
        self.scroll = 0;
        self.link = None;
        self.revealed = false;
        self.help_level = 0;
        self.setup_lab(lesson, false);
        self.ask_prediction(lesson);
        Cmd::Visit(self.lesson, step)
    }

    /// Re-checks the current step's goals after a lab action.
    fn check_goals(&mut self, lesson: &Lesson) {
        let Some(pane) = &self.pane else { return };
        let metrics = pane.lab.metrics();
        for (i, goal) in lesson.goals.iter().enumerate().filter(|(_, g)| g.step == self.step) {
            if !self.met.contains(&i) && goal.check.holds(&metrics) {
                self.met.insert(i);
                if let Some(p) = &goal.predict {
                    if let Some(x) = metrics[p.metric.as_str()].as_f64() {
                        self.measured.insert(i, x);
                    }
                }
            }
        }
        // Every goal of the step done: the hint has nothing left to help with.
        if self.step_goals(lesson).iter().all(|(i, _)| self.met.contains(i)) {
            self.help_level = 0;
        }
    }

    /// Whether a goal of the current step is still open.
    fn goal_open(&self, lesson: &Lesson) -> bool {
        self.step_goals(lesson).iter().any(|(i, _)| !self.met.contains(i))
    }

    pub fn scroll_by(&mut self, delta: isize, ctx: &Ctx) -> Cmd {
        let (doc, area) = self.rendered(ctx);
        let max = doc.lines.len().saturating_sub(usize::from(area.height));
        self.scroll = self.scroll.min(max).saturating_add_signed(delta).min(max);
        Cmd::None
    }

    /// Hands a key to the lab, re-checking the goals when it changed the engine; returns whether
    /// the lab took the key.
    fn lab_key(&mut self, key: KeyEvent, lesson: &Lesson) -> bool {
        let Some(pane) = &mut self.pane else { return false };
        let (handled, changed) = pane.on_key(key);
        if changed {
            self.check_goals(lesson);
        }
        handled
    }

    /// A tick of a running timed lab; goals are checked after it, as after any action.
    pub fn tick(&mut self, content: &crate::content::Content) {
        let lesson = &content.lessons[self.lesson];
        if self.pane.as_mut().is_some_and(LabPane::tick) {
            self.check_goals(lesson);
        }
    }

    pub fn on_mouse(&mut self, mouse: MouseEvent) {
        if let (MouseEventKind::Down(_), Some(pane)) = (mouse.kind, &mut self.pane) {
            pane.click(mouse.column, mouse.row);
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Cmd {
        let lesson = &ctx.content.lessons[self.lesson];
        let count = lesson.step_count();
        let with_lab = self.shows_lab(lesson);
        if with_lab && self.predicting.is_some() {
            return self.predict_key(key, lesson);
        }
        if with_lab && self.pane.as_ref().is_some_and(LabPane::typing) {
            self.lab_key(key, lesson);
            return Cmd::None;
        }
        match key.code {
            KeyCode::Char('n') if self.step + 1 < count => return self.go_to(self.step + 1, lesson),
            KeyCode::Char('n') => {
                // The last step leads on to the next lesson, in place of this one.
                let Some(next) = next_lesson(ctx.content, self.lesson) else {
                    return Cmd::None;
                };
                let l = &ctx.content.lessons[next];
                let p = ctx.state.progress(&l.id);
                // A lesson already finished starts again from its beginning.
                let step = if p.completed {
                    0
                } else {
                    p.step.min(l.step_count().saturating_sub(1))
                };
                *self = LessonView::new(l, next, step);
                return Cmd::Visit(next, step);
            }
            KeyCode::Char('p') if self.step > 0 => return self.go_to(self.step - 1, lesson),
            KeyCode::Right if !with_lab && self.step + 1 < count => return self.go_to(self.step + 1, lesson),
            KeyCode::Left if !with_lab && self.step > 0 => return self.go_to(self.step - 1, lesson),
            KeyCode::Char('p') => return Cmd::None,
            KeyCode::Right | KeyCode::Left if !with_lab => return Cmd::None,
            KeyCode::Char('a' | ' ') if self.is_check_step(lesson) => {
                self.revealed = !self.revealed;
                return Cmd::None;
            }
            KeyCode::Char('h') if with_lab && self.goal_open(lesson) => {
                self.help_level = (self.help_level + 1).min(2);
                return Cmd::None;
            }
            KeyCode::Char('r') if !with_lab => return Cmd::Reset(Some(lesson.id.clone())),
            KeyCode::Char('t') => return Cmd::Quiz(crate::quiz::Selection::Lesson(lesson.id.clone())),
            _ => {}
        }
        let (doc, area) = self.rendered(ctx);
        let height = usize::from(area.height);
        if reading_key(key.code, &mut self.scroll, &mut self.link, &doc, height, !with_lab) {
            return Cmd::None;
        }
        match key.code {
            KeyCode::Enter => {
                return match self.link.and_then(|l| doc.links.get(l)) {
                    Some(link) => Cmd::Follow(link.target.clone()),
                    None => Cmd::None,
                }
            }
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Backspace => return Cmd::Back,
            _ => {}
        }
        if with_lab && self.lab_key(key, lesson) {
            return Cmd::None;
        }
        Cmd::Unhandled
    }

    pub fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        let t = &app.theme;
        let lesson = &app.content.lessons[self.lesson];
        let module = app
            .content
            .module(&lesson.module)
            .map_or(lesson.module.as_str(), |m| m.title.as_str());
        let count = lesson.step_count();
        let title = Line::from(vec![
            Span::styled(format!(" {module} › "), t.dim),
            Span::styled(format!("{} ", lesson.title), t.title),
        ]);
        let inner = panel(app, frame, area, title);
        let (step_title, md) = self.markdown(&app.content);
        let goal_lines = self.goal_lines(lesson, t);
        let a = areas(inner, &goal_lines, self.shows_lab(lesson), code_width(&md));
        let header = Line::from(vec![
            Span::styled(format!("Step {} of {count} · ", self.step + 1), t.dim),
            Span::styled(step_title, t.title),
            Span::styled(
                format!("  {}", progress_bar(self.step + 1, count, count.min(12))),
                t.accent,
            ),
        ]);
        frame.render_widget(Paragraph::new(header), a.header);
        let doc = render(&md, a.text.width, &t.markdown, self.link);
        draw_scrolled(frame, a.text, doc.lines, self.scroll);
        if a.goals.height > 0 {
            let width = usize::from(a.goals.width);
            let lines: Vec<Line> = goal_lines
                .iter()
                .flat_map(|(text, style)| {
                    wrap_plain(text, width)
                        .into_iter()
                        .map(move |l| Line::styled(l, *style))
                })
                .collect();
            frame.render_widget(Paragraph::new(lines), a.goals);
        }
        if let (Some(lab_area), Some(pane)) = (a.lab, &self.pane) {
            // Beside the text the lab is a box of its own, all four sides; below it, a top
            // rule alone keeps the panel from showing two vertical lines.
            let beside = lab_area.y == a.header.y;
            let block = Block::default()
                .borders(if beside { Borders::ALL } else { Borders::TOP })
                .border_style(t.border)
                .title(Span::styled(format!(" {} ", pane.title()), t.title));
            let lab_inner = block.inner(lab_area);
            frame.render_widget(block, lab_area);
            pane.draw(frame, lab_inner, t);
        }
    }
}
