//! The glossary: a search field, the matching terms best first, and a preview of the selected one.
//! Terms whose text only mentions the query are listed after the named ones, under a heading that
//! says so, so a query that names no term never passes a mention off as the answer.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::app::{App, Cmd};
use super::keys::{hint, more, typed_char, KeyHint};
use super::term::term_markdown;
use super::view::{highlighted, list_window, panel, text_column, truncate};
use crate::content::markdown::render;
use crate::search::{Hit, SearchIndex, Target};

pub struct Glossary {
    pub query: String,
    pub hits: Vec<Hit>,
    pub selected: usize,
}

pub const HINTS: &[KeyHint] = &[
    hint("type", "search"),
    hint("↑↓", "move"),
    hint("Enter", "open"),
    hint("Esc", "clear / back"),
    hint("Ctrl-P", "go to"),
    hint("F1", "help"),
    more("PgUp PgDn", "move a page"),
    more("Backspace", "delete a character"),
];

/// One row of a result list: a hit (index into the hits) or the heading above the mentions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Hit(usize),
    MentionsHeading,
}

/// The rows of a result list: the named hits, then a heading, then the hits that only mention
/// the query.
pub fn result_rows(hits: &[Hit]) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::with_capacity(hits.len() + 1);
    for (i, hit) in hits.iter().enumerate() {
        if hit.mention && (i == 0 || !hits[i - 1].mention) {
            rows.push(Row::MentionsHeading);
        }
        rows.push(Row::Hit(i));
    }
    rows
}

/// The heading above the mentions: whether the query named anything decides its wording
/// (`nothing` is what names nothing: "No term", "Nothing").
pub fn mentions_heading(query: &str, hits: &[Hit], nothing: &str) -> String {
    if hits.first().is_some_and(|h| h.mention) {
        format!("{nothing} named \"{}\". Mentioned in:", query.trim())
    } else {
        "Also mentioned in:".to_string()
    }
}

impl Glossary {
    /// How many hits name the query (the rest only mention it).
    pub fn named_count(&self) -> usize {
        self.hits.iter().take_while(|h| !h.mention).count()
    }

    pub fn new(index: &SearchIndex) -> Glossary {
        Glossary {
            query: String::new(),
            hits: index.search("", usize::MAX),
            selected: 0,
        }
    }

    fn refresh(&mut self, index: &SearchIndex) {
        self.hits = index.search(&self.query, usize::MAX);
        self.selected = 0;
    }

    pub fn on_key(&mut self, key: KeyEvent, index: &SearchIndex) -> Cmd {
        if let Some(c) = typed_char(&key) {
            self.query.push(c);
            self.refresh(index);
            return Cmd::None;
        }
        let last = self.hits.len().saturating_sub(1);
        match key.code {
            KeyCode::Backspace => {
                if self.query.pop().is_some() {
                    self.refresh(index);
                }
            }
            KeyCode::Esc if !self.query.is_empty() => {
                self.query.clear();
                self.refresh(index);
            }
            KeyCode::Esc => return Cmd::Back,
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => self.selected = (self.selected + 1).min(last),
            KeyCode::PageUp => self.selected = self.selected.saturating_sub(10),
            KeyCode::PageDown => self.selected = (self.selected + 10).min(last),
            KeyCode::Home => self.selected = 0,
            KeyCode::End => self.selected = last,
            KeyCode::Enter | KeyCode::Right => {
                if let Some(hit) = self.hits.get(self.selected) {
                    return Cmd::Open(hit.target);
                }
            }
            _ => return Cmd::Unhandled,
        }
        Cmd::None
    }

    pub fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        let t = &app.theme;
        let (left, right) = if area.width >= 100 {
            let [l, r] = Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
            (l, Some(r))
        } else {
            (area, None)
        };
        let [search, list] = Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas(left);
        let inner = panel(app, frame, search, Line::styled(" Search the glossary ", t.title));
        let field = Line::from(vec![
            Span::styled("› ", t.accent),
            Span::styled(self.query.clone(), t.text),
            Span::styled("▏", t.accent),
        ]);
        frame.render_widget(Paragraph::new(field), inner);
        let named = self.named_count();
        let mentions = self.hits.len() - named;
        let mut count = format!(" {named} of {} terms ", app.content.terms.len());
        if mentions > 0 {
            count.push_str(&format!("· {mentions} mention it "));
        }
        let inner = panel(app, frame, list, Line::styled(count, t.title));
        let rows = result_rows(&self.hits);
        let selected_row = rows.iter().position(|r| *r == Row::Hit(self.selected)).unwrap_or(0);
        let (start, end) = list_window(selected_row, rows.len(), usize::from(inner.height));
        let width = usize::from(inner.width);
        let mut lines = Vec::new();
        for row in rows.iter().take(end).skip(start) {
            let i = match *row {
                Row::Hit(i) => i,
                Row::MentionsHeading => {
                    let heading = mentions_heading(&self.query, &self.hits, "No term");
                    lines.push(Line::styled(truncate(&format!("  {heading}"), width), t.dim));
                    continue;
                }
            };
            let hit = &self.hits[i];
            let Target::Term(ti) = hit.target else {
                continue;
            };
            let term = &app.content.terms[ti];
            let selected = i == self.selected;
            let base = if selected { t.selected } else { t.text };
            let mut spans = vec![Span::styled(if selected { "› " } else { "  " }, t.accent)];
            let name = truncate(&term.name, width.saturating_sub(4));
            spans.extend(highlighted(&name, &hit.name_matches, base, t.matched));
            let used = name.chars().count() + 2;
            if width > used + 8 {
                spans.push(Span::styled(
                    format!("  {}", truncate(&term.summary, width - used - 2)),
                    t.dim,
                ));
            }
            lines.push(Line::from(spans));
        }
        if self.hits.is_empty() {
            lines.push(Line::styled(
                format!(
                    "  No term named \"{}\" or mentioning it. Esc clears the search.",
                    self.query.trim()
                ),
                t.dim,
            ));
        }
        frame.render_widget(Paragraph::new(lines), inner);

        if let (Some(right), Some(hit)) = (right, self.hits.get(self.selected)) {
            let Target::Term(ti) = hit.target else { return };
            let term = &app.content.terms[ti];
            let inner = panel(app, frame, right, Line::styled(format!(" {} ", term.name), t.title));
            let column = text_column(inner);
            let doc = render(&term_markdown(&app.content, ti), column.width, &t.markdown, None);
            let lines: Vec<Line> = doc.lines.into_iter().take(usize::from(column.height)).collect();
            frame.render_widget(Paragraph::new(lines), column);
        }
    }
}
