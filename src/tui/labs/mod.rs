//! The Labs screen: every live engine, opened as a sandbox. Each lab's own UI lives beside it,
//! in `labs/<lab>.rs`.

pub mod autoscale;
pub mod balancer;
pub mod cache;
pub mod cdn;
pub mod consensus;
pub mod cost;
pub mod geodns;
pub mod multimaster;
pub mod queue;
pub mod replication;
pub mod ring;
pub mod timeline;

use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::app::{App, Cmd};
use super::keys::{hint, KeyHint};
use super::lab::LabPane;
use super::view::{list_window, panel, text_column, truncate};
use crate::engines::lab::registry;

#[derive(Default)]
pub struct LabList {
    pub selected: usize,
}

pub const HINTS: &[KeyHint] = &[
    hint("↑↓", "move"),
    hint("Enter", "open"),
    hint("q/Esc", "back"),
    hint("?", "help"),
];
/// Keys of a lab open full-screen, after its own.
pub const LAB_HINTS: &[KeyHint] = &[hint("q/Esc", "back"), hint("?", "help")];

impl LabList {
    pub fn on_key(&mut self, key: KeyEvent) -> Cmd {
        let n = registry().len();
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            KeyCode::Enter | KeyCode::Right => return Cmd::OpenLab(registry()[self.selected].id.to_string()),
            _ => return Cmd::Unhandled,
        }
        Cmd::None
    }

    pub fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        let t = &app.theme;
        let inner = panel(app, frame, area, Line::styled(" Labs ", t.title));
        let mut lines = vec![
            Line::styled(
                "Live engines you drive from the keyboard. Each is also embedded in its lessons.",
                t.text,
            ),
            Line::default(),
        ];
        let column = text_column(inner);
        let width = usize::from(column.width);
        // Two lines a lab; the list scrolls to the selection and says what it hides, so every
        // lab stays reachable on a short terminal.
        let len = registry().len();
        let shown = usize::from(column.height).saturating_sub(lines.len() + 1) / 2;
        let (start, end) = list_window(self.selected, len, shown.max(1));
        for (i, info) in registry().iter().enumerate().take(end).skip(start) {
            let sel = i == self.selected;
            lines.push(Line::from(vec![
                Span::styled(if sel { "› " } else { "  " }, t.accent),
                Span::styled(info.title, if sel { t.selected } else { t.title }),
                Span::styled(format!("  ({})", info.id), t.dim),
            ]));
            lines.push(Line::styled(truncate(&format!("    {}", info.summary), width), t.dim));
        }
        if start > 0 || end < len {
            lines.push(Line::styled(
                format!("  ↑ {} more · ↓ {} more", start, len - end),
                t.dim,
            ));
        }
        frame.render_widget(Paragraph::new(lines), column);
    }
}

/// A lab open full-screen.
pub struct LabView {
    pub pane: LabPane,
}

impl LabView {
    pub fn on_key(&mut self, key: KeyEvent) -> Cmd {
        let (handled, _) = self.pane.on_key(key);
        if handled {
            return Cmd::None;
        }
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Backspace => Cmd::Back,
            _ => Cmd::Unhandled,
        }
    }

    pub fn on_mouse(&mut self, mouse: MouseEvent) {
        if let MouseEventKind::Down(_) = mouse.kind {
            self.pane.click(mouse.column, mouse.row);
        }
    }

    pub fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        let inner = panel(
            app,
            frame,
            area,
            Line::styled(format!(" {} ", self.pane.title()), app.theme.title),
        );
        self.pane.draw(frame, inner, &app.theme);
    }
}
