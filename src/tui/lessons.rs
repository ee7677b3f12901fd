//! The lesson list: every module's lessons with completion marks, a mark for those with a lab,
//! and reading time.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::app::{App, Cmd, Ctx};
use super::keys::{hint, more, KeyHint};
use super::view::{list_window, panel, truncate};
use crate::content::Content;
use crate::search::Target;
use crate::state::State;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Module(usize),
    Lesson(usize),
}

pub struct LessonList {
    rows: Vec<Row>,
    pub selected: usize,
    /// Waiting for `y` to reset: Some(None) is "all progress".
    confirm: Option<Option<String>>,
    done: Vec<bool>,
    started: Vec<bool>,
}

const HINTS: &[KeyHint] = &[
    hint("↑↓", "move"),
    hint("Enter", "open"),
    hint("r", "reset lesson"),
    hint("R", "reset all"),
    hint("t", "quiz module"),
    hint("q/Esc", "back"),
    hint("?", "help"),
    more("j k", "move"),
    more("PgUp PgDn", "move a page"),
];
const CONFIRM_HINTS: &[KeyHint] = &[hint("y", "yes, reset"), hint("any other key", "cancel")];

impl LessonList {
    pub fn new(content: &Content, state: &State, module: Option<usize>) -> LessonList {
        let mut rows = Vec::new();
        for (mi, m) in content.modules.iter().enumerate() {
            rows.push(Row::Module(mi));
            rows.extend(m.lessons.iter().map(|&l| Row::Lesson(l)));
        }
        let mut list = LessonList {
            rows,
            selected: 0,
            confirm: None,
            done: vec![],
            started: vec![],
        };
        list.refresh(content, state);
        // Start on the module's first unfinished lesson (or its first lesson).
        let wanted = module.and_then(|mi| {
            let lessons = &content.modules[mi].lessons;
            lessons.iter().find(|&&l| !list.done[l]).or(lessons.first()).copied()
        });
        list.selected = match wanted {
            Some(l) => list.rows.iter().position(|r| *r == Row::Lesson(l)).unwrap_or(0),
            None => list.rows.iter().position(|r| matches!(r, Row::Lesson(_))).unwrap_or(0),
        };
        list
    }

    pub fn refresh(&mut self, content: &Content, state: &State) {
        self.done = content
            .lessons
            .iter()
            .map(|l| state.progress(&l.id).completed)
            .collect();
        self.started = content
            .lessons
            .iter()
            .map(|l| state.lessons.contains_key(&l.id))
            .collect();
    }

    pub fn hints(&self) -> &'static [KeyHint] {
        if self.confirm.is_some() {
            CONFIRM_HINTS
        } else {
            HINTS
        }
    }

    fn selected_lesson(&self) -> Option<usize> {
        match self.rows.get(self.selected) {
            Some(Row::Lesson(l)) => Some(*l),
            _ => None,
        }
    }

    /// Moves the selection by `delta` rows, skipping module headings.
    fn move_by(&mut self, delta: isize) {
        let mut i = self.selected as isize;
        let last = self.rows.len() as isize - 1;
        let step = delta.signum();
        let mut remaining = delta.abs();
        while remaining > 0 {
            let mut j = i + step;
            while (0..=last).contains(&j) && matches!(self.rows[j as usize], Row::Module(_)) {
                j += step;
            }
            if !(0..=last).contains(&j) {
                break;
            }
            i = j;
            remaining -= 1;
        }
        self.selected = i as usize;
    }

    pub fn on_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Cmd {
        if let Some(scope) = self.confirm.take() {
            return if key.code == KeyCode::Char('y') {
                Cmd::Reset(scope)
            } else {
                Cmd::None
            };
        }
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.move_by(-1),
            KeyCode::Down | KeyCode::Char('j') => self.move_by(1),
            KeyCode::PageUp => self.move_by(-10),
            KeyCode::PageDown => self.move_by(10),
            KeyCode::Enter | KeyCode::Right => {
                if let Some(l) = self.selected_lesson() {
                    return Cmd::Open(Target::Lesson(l));
                }
            }
            KeyCode::Char('r') => {
                if let Some(l) = self.selected_lesson() {
                    self.confirm = Some(Some(ctx.content.lessons[l].id.clone()));
                }
            }
            KeyCode::Char('R') => self.confirm = Some(None),
            KeyCode::Char('t') => {
                if let Some(l) = self.selected_lesson() {
                    return Cmd::Quiz(crate::quiz::Selection::Module(ctx.content.lessons[l].module.clone()));
                }
            }
            _ => return Cmd::Unhandled,
        }
        Cmd::None
    }

    pub fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        let t = &app.theme;
        let content = &app.content;
        let done = self.done.iter().filter(|d| **d).count();
        let title = format!(" Lessons · {done} of {} done ", content.lessons.len());
        let inner = panel(app, frame, area, Line::styled(title, t.title));
        let confirm_rows = u16::from(self.confirm.is_some()) * 2;
        let list_area = Rect {
            height: inner.height.saturating_sub(confirm_rows),
            ..inner
        };
        let rows = usize::from(list_area.height);
        let (start, end) = list_window(self.selected, self.rows.len(), rows);
        let width = usize::from(inner.width);
        let mut lines = Vec::new();
        for (i, row) in self.rows.iter().enumerate().take(end).skip(start) {
            match *row {
                Row::Module(mi) => {
                    let m = &content.modules[mi];
                    let n = m.lessons.iter().filter(|&&l| self.done[l]).count();
                    lines.push(Line::from(vec![
                        Span::styled(format!(" {} ", m.title), t.title),
                        Span::styled(format!("{n}/{}", m.lessons.len()), t.dim),
                    ]));
                }
                Row::Lesson(li) => {
                    let l = &content.lessons[li];
                    let selected = i == self.selected;
                    let (mark, mark_style) = if self.done[li] {
                        ("✓", t.done)
                    } else if self.started[li] {
                        ("•", t.accent)
                    } else {
                        (" ", t.text)
                    };
                    let minutes = format!("{:>3} min", l.minutes);
                    // A column of its own, so lessons with a lab stand out while titles align.
                    let lab = if l.lab.is_some() { "  lab" } else { "     " };
                    let title_w = width.saturating_sub(8 + minutes.len() + 2 + lab.len());
                    let title = truncate(&format!("{:02} {}", l.number, l.title), title_w);
                    lines.push(Line::from(vec![
                        Span::styled(if selected { "  › " } else { "    " }, t.accent),
                        Span::styled(format!("{mark} "), mark_style),
                        Span::styled(format!("{title:<title_w$}"), if selected { t.selected } else { t.text }),
                        Span::styled(lab, t.accent),
                        Span::styled(format!("  {minutes}"), t.dim),
                    ]));
                }
            }
        }
        frame.render_widget(Paragraph::new(lines), list_area);
        if let Some(scope) = &self.confirm {
            let question = match scope {
                Some(id) => format!("Reset your progress in {id}? Press y to confirm."),
                None => "Reset ALL lesson progress? Press y to confirm.".to_string(),
            };
            let y = inner.y + inner.height.saturating_sub(1);
            frame.render_widget(
                Paragraph::new(Line::styled(question, t.notice)),
                Rect::new(inner.x + 1, y, inner.width.saturating_sub(1), 1),
            );
        }
    }
}
