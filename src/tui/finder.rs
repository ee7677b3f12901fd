//! "Go to anything" (Ctrl-P or `:`): one fuzzy finder over modules, lessons and terms.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::app::App;
use super::glossary::{mentions_heading, result_rows, Row};
use super::keys::{hint, typed_char, KeyHint};
use super::view::{centered, highlighted, list_window, panel, truncate};
use crate::search::{Hit, SearchIndex, Target};

pub struct Finder {
    pub query: String,
    pub hits: Vec<Hit>,
    pub selected: usize,
}

pub enum Outcome {
    Stay,
    Close,
    Open(Target),
}

pub const HINTS: &[KeyHint] = &[
    hint("type", "search"),
    hint("↑↓", "move"),
    hint("Enter", "open"),
    hint("Esc", "clear / close"),
];

const LIMIT: usize = 200;

impl Finder {
    pub fn new(index: &SearchIndex) -> Finder {
        Finder {
            query: String::new(),
            hits: index.search("", LIMIT),
            selected: 0,
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, index: &SearchIndex) -> Outcome {
        if let Some(c) = typed_char(&key) {
            self.query.push(c);
            self.hits = index.search(&self.query, LIMIT);
            self.selected = 0;
            return Outcome::Stay;
        }
        match key.code {
            KeyCode::Backspace => {
                self.query.pop();
                self.hits = index.search(&self.query, LIMIT);
                self.selected = 0;
            }
            KeyCode::Esc if !self.query.is_empty() => {
                self.query.clear();
                self.hits = index.search("", LIMIT);
                self.selected = 0;
            }
            KeyCode::Esc => return Outcome::Close,
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => self.selected = (self.selected + 1).min(self.hits.len().saturating_sub(1)),
            KeyCode::Enter => {
                if let Some(hit) = self.hits.get(self.selected) {
                    return Outcome::Open(hit.target);
                }
            }
            _ => {}
        }
        Outcome::Stay
    }

    pub fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        let t = &app.theme;
        let rect = centered(
            area,
            area.width.saturating_sub(8).min(90),
            area.height.saturating_sub(2).min(24),
        );
        frame.render_widget(Clear, rect);
        let inner = panel(app, frame, rect, Line::styled(" Go to anything ", t.title));
        let [field, list] = Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(inner);
        let line = Line::from(vec![
            Span::styled(" › ", t.accent),
            Span::styled(self.query.clone(), t.text),
            Span::styled("▏", t.accent),
        ]);
        frame.render_widget(Paragraph::new(line), field);
        let rows = result_rows(&self.hits);
        let selected_row = rows.iter().position(|r| *r == Row::Hit(self.selected)).unwrap_or(0);
        let (start, end) = list_window(selected_row, rows.len(), usize::from(list.height));
        let width = usize::from(list.width);
        let mut lines = Vec::new();
        for row in rows.iter().take(end).skip(start) {
            let i = match *row {
                Row::Hit(i) => i,
                Row::MentionsHeading => {
                    let heading = mentions_heading(&self.query, &self.hits, "Nothing");
                    lines.push(Line::styled(truncate(&format!("   {heading}"), width), t.dim));
                    continue;
                }
            };
            let hit = &self.hits[i];
            let name = app.finder_index.name(hit.target).unwrap_or_default();
            let detail = match hit.target {
                Target::Term(x) => app.content.terms[x].summary.as_str(),
                Target::Lesson(x) => app.content.lessons[x].id.as_str(),
                Target::Module(x) => app.content.modules[x].summary.as_str(),
                Target::Lab(x) => crate::engines::lab::registry()[x].summary,
                Target::Quiz(_) => "practise this module's interview questions",
            };
            let selected = i == self.selected;
            let base = if selected { t.selected } else { t.text };
            let mut spans = vec![
                Span::styled(if selected { " › " } else { "   " }, t.accent),
                Span::styled(format!("{:<7}", hit.target.kind()), t.dim),
            ];
            let name = truncate(name, width.saturating_sub(12));
            let used = 10 + name.chars().count();
            spans.extend(highlighted(&name, &hit.name_matches, base, t.matched));
            if width > used + 8 {
                spans.push(Span::styled(format!("  {}", truncate(detail, width - used - 2)), t.dim));
            }
            lines.push(Line::from(spans));
        }
        if self.hits.is_empty() {
            lines.push(Line::styled("   Nothing matches.", t.dim));
        }
        frame.render_widget(Paragraph::new(lines), list);
    }
}
