//! Home: the modules in order with progress, and "continue where you left off".

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::app::{App, Cmd, Ctx};
use super::keys::{hint, more, KeyHint};
use super::view::{list_window, progress_bar, truncate};
use crate::search::Target;

#[derive(Debug, Default)]
pub struct Home {
    pub selected: usize,
}

pub const HINTS: &[KeyHint] = &[
    hint("↑↓", "move"),
    hint("Enter", "open"),
    hint("c", "continue"),
    hint("g", "glossary"),
    hint("l", "lessons"),
    hint("b", "labs"),
    hint("t", "quiz"),
    hint("Ctrl-P", "go to"),
    hint("?", "help"),
    hint("q", "quit"),
    more("j k", "move"),
];

/// The lesson to continue: the last one read while it is unfinished, else the next unfinished
/// lesson after it in course order (wrapping round to the start). None for a learner who has
/// opened no lesson yet, or who has finished them all.
pub fn continue_lesson(ctx: &Ctx) -> Option<usize> {
    let lessons = &ctx.content.lessons;
    let unfinished = |l: &usize| !ctx.state.progress(&lessons[*l].id).completed;
    let order = super::lesson::course_order(ctx.content);
    let last = ctx
        .state
        .last_lesson
        .as_deref()
        .and_then(|id| ctx.content.lesson_idx(id));
    match last {
        Some(last) if unfinished(&last) => Some(last),
        Some(last) => {
            let at = order.iter().position(|&l| l == last).unwrap_or(0);
            order[at..].iter().chain(&order[..at]).copied().find(unfinished)
        }
        // The last lesson's progress was reset, but others were read.
        None if !ctx.state.lessons.is_empty() => order.into_iter().find(unfinished),
        None => None,
    }
}

impl Home {
    pub fn on_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Cmd {
        let modules = ctx.content.modules.len();
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => self.selected = (self.selected + 1).min(modules.saturating_sub(1)),
            KeyCode::Home => self.selected = 0,
            KeyCode::End => self.selected = modules.saturating_sub(1),
            KeyCode::Enter | KeyCode::Right if modules > 0 => return Cmd::Open(Target::Module(self.selected)),
            KeyCode::Char('c') => {
                return match continue_lesson(ctx) {
                    Some(l) => Cmd::Open(Target::Lesson(l)),
                    None => Cmd::None,
                }
            }
            _ => return Cmd::Unhandled,
        }
        Cmd::None
    }

    pub fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        let ctx = app.ctx();
        let t = &app.theme;
        let content = &app.content;
        // A notice (state file trouble) is shown whole here; the header can only show its start.
        let area = match &app.notice {
            Some(notice) => {
                let line = format!("⚠ {notice}");
                let wrapped = crate::content::markdown::render(
                    &line.replace('*', "\\*"),
                    area.width.saturating_sub(2),
                    &t.markdown,
                    None,
                );
                let rows = (wrapped.lines.len() as u16 + 1).min(area.height / 3);
                let text = Paragraph::new(wrapped.lines).style(t.notice);
                frame.render_widget(
                    text,
                    Rect { height: rows, ..area }.inner(ratatui::layout::Margin::new(1, 0)),
                );
                Rect {
                    y: area.y + rows,
                    height: area.height - rows,
                    ..area
                }
            }
            None => area,
        };
        let width = usize::from(area.width.saturating_sub(2));
        let mut lines = vec![
            Line::from(vec![
                Span::styled("sdlab", t.title),
                Span::styled(" — learn system design by reading, searching and driving it", t.text),
            ]),
            Line::styled(
                format!(
                    "{} modules · {} lessons · {} glossary terms",
                    content.modules.len(),
                    content.lessons.len(),
                    content.terms.len()
                ),
                t.dim,
            ),
            Line::default(),
        ];
        match continue_lesson(&ctx) {
            Some(li) => {
                let lesson = &content.lessons[li];
                let p = app.state.progress(&lesson.id);
                lines.push(Line::from(vec![
                    Span::styled("▶ Continue (c): ", t.accent),
                    Span::styled(truncate(&lesson.title, width.saturating_sub(40)), t.text),
                    Span::styled(format!(" — step {} of {}", p.step + 1, lesson.step_count()), t.dim),
                ]));
            }
            None if !content.lessons.is_empty()
                && content.lessons.iter().all(|l| app.state.progress(&l.id).completed) =>
            {
                lines.push(Line::styled(
                    "✓ Every lesson done. Press t to keep it fresh with the quiz.",
                    t.done,
                ));
            }
            None => {
                let first = content.modules.first().map_or("the first module", |m| m.title.as_str());
                lines.push(Line::styled(
                    format!("New here? Open {first} below, or press g to search the glossary."),
                    t.accent,
                ));
            }
        }
        if !content.questions.is_empty() {
            let c = crate::quiz::counts(content.questions.iter(), &app.state.cards, ctx.now);
            lines.push(Line::from(vec![
                Span::styled("◆ Quiz (t): ", t.accent),
                Span::styled(
                    format!("{} cards due now", c.due),
                    if c.due > 0 { t.notice } else { t.text },
                ),
                Span::styled(format!(" · {} new · {} scheduled later", c.new, c.later), t.dim),
            ]));
        }
        lines.push(Line::default());
        lines.push(Line::styled("Modules · lessons done · quiz mastery", t.title));
        let header_rows = lines.len();
        let rows = usize::from(area.height).saturating_sub(header_rows);
        let (start, end) = list_window(self.selected, content.modules.len(), rows);
        let name_w = content
            .modules
            .iter()
            .map(|m| m.title.chars().count())
            .max()
            .unwrap_or(10)
            .min(34);
        for (i, m) in content.modules.iter().enumerate().take(end).skip(start) {
            let done = m
                .lessons
                .iter()
                .filter(|&&l| app.state.progress(&content.lessons[l].id).completed)
                .count();
            let total = m.lessons.len();
            let selected = i == self.selected;
            let marker = if selected { "›" } else { " " };
            let title_style = if selected { t.selected } else { t.text };
            let mut used = 2 + 3 + name_w + 2 + 8 + 7;
            let mut spans = vec![
                Span::styled(format!("{marker} "), t.accent),
                Span::styled(format!("{:>2} ", i + 1), t.dim),
                Span::styled(format!("{:<name_w$}", truncate(&m.title, name_w)), title_style),
                Span::raw("  "),
                Span::styled(
                    progress_bar(done, total, 8),
                    if done == total && total > 0 { t.done } else { t.accent },
                ),
                Span::styled(format!(" {done:>2}/{total:<2} "), t.dim),
            ];
            if !content.questions.is_empty() {
                let qs = content.questions.iter().filter(|q| q.module == m.id);
                let pct = crate::quiz::mastery(qs, &app.state.cards, ctx.now);
                spans.push(Span::styled(format!(" {pct:>3}%  "), t.dim));
                used += 7;
            }
            if width > used + 10 {
                spans.push(Span::styled(truncate(&m.summary, width - used), t.dim));
            }
            lines.push(Line::from(spans));
        }
        frame.render_widget(Paragraph::new(lines), area.inner(ratatui::layout::Margin::new(1, 0)));
    }
}
