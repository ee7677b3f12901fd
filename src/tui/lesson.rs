//! Reading a lesson step by step; the last step asks the lesson's check questions, with answers
//! revealed on a key.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::app::{App, Cmd, Ctx};
use super::keys::{hint, more, KeyHint};
use super::view::{draw_scrolled, panel, progress_bar, reading_area, scroll_for, scroll_to_show, text_column};
use crate::content::markdown::{render, Rendered};
use crate::content::Lesson;

pub struct LessonView {
    pub lesson: usize,
    pub step: usize,
    pub scroll: usize,
    pub link: Option<usize>,
    pub revealed: bool,
}

/// Rows above the text: the step heading and a blank line.
const STEP_HEADER_ROWS: u16 = 2;

const HINTS: &[KeyHint] = &[
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
const CHECK_HINTS: &[KeyHint] = &[
    hint("a", "reveal answers"),
    hint("p/←", "previous"),
    hint("↑↓", "scroll"),
    hint("Tab", "link"),
    hint("q/Esc", "back"),
    hint("?", "help"),
    more("Space", "reveal answers"),
    more("j k  PgUp PgDn", "scroll"),
    more("Enter", "follow the selected link"),
    more("r", "restart this lesson (forget its progress)"),
    more("t", "quiz on this lesson"),
    more("Backspace", "back"),
];

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

impl LessonView {
    pub fn new(lesson: usize, step: usize) -> LessonView {
        LessonView {
            lesson,
            step,
            scroll: 0,
            link: None,
            revealed: false,
        }
    }

    pub fn restart(&mut self) {
        self.step = 0;
        self.scroll = 0;
        self.link = None;
        self.revealed = false;
    }

    fn is_check_step(&self, lesson: &Lesson) -> bool {
        self.step >= lesson.steps.len()
    }

    pub fn hints(&self, app: &App) -> &'static [KeyHint] {
        if self.is_check_step(&app.content.lessons[self.lesson]) {
            CHECK_HINTS
        } else {
            HINTS
        }
    }

    fn rendered(&self, ctx: &Ctx) -> (Rendered, Rect) {
        let area = reading_area(ctx.size, STEP_HEADER_ROWS);
        let (_, md) = step_markdown(&ctx.content.lessons[self.lesson], self.step, self.revealed);
        (render(&md, area.width, &ctx.theme.markdown, self.link), area)
    }

    fn go_to(&mut self, step: usize) -> Cmd {
        self.step = step;
        self.scroll = 0;
        self.link = None;
        self.revealed = false;
        Cmd::Visit(self.lesson, step)
    }

    pub fn scroll_by(&mut self, delta: isize, ctx: &Ctx) -> Cmd {
        let (doc, area) = self.rendered(ctx);
        let max = doc.lines.len().saturating_sub(usize::from(area.height));
        self.scroll = self.scroll.min(max).saturating_add_signed(delta).min(max);
        Cmd::None
    }

    pub fn on_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Cmd {
        let lesson = &ctx.content.lessons[self.lesson];
        let count = lesson.step_count();
        match key.code {
            KeyCode::Char('n') | KeyCode::Right if self.step + 1 < count => return self.go_to(self.step + 1),
            KeyCode::Char('p') | KeyCode::Left if self.step > 0 => return self.go_to(self.step - 1),
            KeyCode::Char('n' | 'p') | KeyCode::Right | KeyCode::Left => return Cmd::None,
            KeyCode::Char('a' | ' ') if self.is_check_step(lesson) && !self.revealed => {
                self.revealed = true;
                return Cmd::None;
            }
            KeyCode::Char('r') => return Cmd::Reset(Some(lesson.id.clone())),
            KeyCode::Char('t') => return Cmd::Quiz(crate::quiz::Selection::Lesson(lesson.id.clone())),
            _ => {}
        }
        let (doc, area) = self.rendered(ctx);
        let height = usize::from(area.height);
        if let Some(scroll) = scroll_for(key.code, self.scroll, doc.lines.len(), height) {
            self.scroll = scroll;
            return Cmd::None;
        }
        let links = doc.links.len();
        match key.code {
            KeyCode::Tab | KeyCode::BackTab if links > 0 => {
                let next = match (self.link, key.code) {
                    (None, KeyCode::Tab) => 0,
                    (None, _) => links - 1,
                    (Some(l), KeyCode::Tab) => (l + 1) % links,
                    (Some(l), _) => (l + links - 1) % links,
                };
                self.link = Some(next);
                self.scroll = scroll_to_show(self.scroll, doc.links[next].line, height);
                Cmd::None
            }
            KeyCode::Enter => match self.link.and_then(|l| doc.links.get(l)) {
                Some(link) => Cmd::Follow(link.target.clone()),
                None => Cmd::None,
            },
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Backspace => Cmd::Back,
            _ => Cmd::Unhandled,
        }
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
        let column = text_column(inner);
        let (step_title, md) = step_markdown(lesson, self.step, self.revealed);
        let header = Line::from(vec![
            Span::styled(format!("Step {} of {count} · ", self.step + 1), t.dim),
            Span::styled(step_title, t.title),
            Span::styled(
                format!("  {}", progress_bar(self.step + 1, count, count.min(12))),
                t.accent,
            ),
        ]);
        frame.render_widget(Paragraph::new(header), Rect { height: 1, ..column });
        let text_area = Rect {
            y: column.y + STEP_HEADER_ROWS,
            height: column.height.saturating_sub(STEP_HEADER_ROWS),
            ..column
        };
        let doc = render(&md, text_area.width, &t.markdown, self.link);
        draw_scrolled(frame, text_area, doc.lines, self.scroll);
    }
}
