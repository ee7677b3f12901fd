//! One glossary term: its text, see-also links and the lessons that teach it, with a history of
//! the links followed so Backspace can walk back.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::Frame;

use super::app::{App, Cmd, Ctx};
use super::keys::{hint, more, KeyHint};
use super::view::{draw_scrolled, panel, reading_area, reading_key, text_column};
use crate::content::markdown::{render, Rendered};
use crate::content::Content;

pub struct TermView {
    pub current: usize,
    pub history: Vec<usize>,
    pub scroll: usize,
    pub link: Option<usize>,
}

pub const HINTS: &[KeyHint] = &[
    hint("↑↓", "scroll"),
    hint("Tab", "next link"),
    hint("Enter", "follow"),
    hint("Backspace", "back"),
    hint("q/Esc", "to list"),
    hint("?", "help"),
    more("j k", "scroll"),
    more("PgUp PgDn", "scroll a page"),
    more("Shift-Tab", "previous link"),
    more("Home End", "top / bottom"),
];

/// The term as one Markdown document: aliases and module, summary, body, then links to related
/// terms and the lessons that teach it (so Tab reaches every link in one cycle).
pub fn term_markdown(content: &Content, index: usize) -> String {
    let term = &content.terms[index];
    let module = content
        .module(&term.module)
        .map_or(term.module.as_str(), |m| m.title.as_str());
    let mut md = String::new();
    if term.aliases.is_empty() {
        md.push_str(&format!("*Module: {module}*\n\n"));
    } else {
        md.push_str(&format!("*Also: {} · Module: {module}*\n\n", term.aliases.join(", ")));
    }
    md.push_str(&format!("> {}\n\n{}\n\n", term.summary, term.body.trim()));
    let see: Vec<String> = term
        .see_also
        .iter()
        .filter_map(|id| content.term(id).map(|t| format!("[{}](term:{id})", t.name)))
        .collect();
    if !see.is_empty() {
        md.push_str(&format!("**See also:** {}\n\n", see.join(" · ")));
    }
    let taught: Vec<String> = term
        .taught_in
        .iter()
        .map(|&l| format!("[{}](lesson:{})", content.lessons[l].title, content.lessons[l].id))
        .collect();
    if !taught.is_empty() {
        md.push_str(&format!("**Taught in:** {}\n", taught.join(" · ")));
    }
    md
}

impl TermView {
    pub fn new(term: usize) -> TermView {
        TermView {
            current: term,
            history: Vec::new(),
            scroll: 0,
            link: None,
        }
    }

    fn rendered(&self, ctx: &Ctx) -> (Rendered, Rect) {
        let area = reading_area(ctx.size, 0);
        let doc = render(
            &term_markdown(ctx.content, self.current),
            area.width,
            &ctx.theme.markdown,
            self.link,
        );
        (doc, area)
    }

    fn go(&mut self, term: usize) {
        self.current = term;
        self.scroll = 0;
        self.link = None;
    }

    pub fn on_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Cmd {
        let (doc, area) = self.rendered(ctx);
        let height = usize::from(area.height);
        if reading_key(key.code, &mut self.scroll, &mut self.link, &doc, height, true) {
            return Cmd::None;
        }
        match key.code {
            KeyCode::Enter | KeyCode::Right => {
                let Some(link) = self.link.and_then(|l| doc.links.get(l)) else {
                    return Cmd::None;
                };
                match link
                    .target
                    .strip_prefix("term:")
                    .and_then(|id| ctx.content.term_idx(id))
                {
                    Some(next) => {
                        self.history.push(self.current);
                        self.go(next);
                    }
                    None => return Cmd::Follow(link.target.clone()),
                }
            }
            KeyCode::Backspace => match self.history.pop() {
                Some(prev) => self.go(prev),
                None => return Cmd::Back,
            },
            KeyCode::Esc | KeyCode::Char('q') => return Cmd::Back,
            _ => return Cmd::Unhandled,
        }
        Cmd::None
    }

    pub fn view(&self, app: &App, frame: &mut Frame, area: Rect) {
        let t = &app.theme;
        let term = &app.content.terms[self.current];
        let mut title = format!(" {} ", term.name);
        if !self.history.is_empty() {
            title.push_str(&format!("· {} back ", self.history.len()));
        }
        let inner = panel(app, frame, area, Line::styled(title, t.title));
        let column = text_column(inner);
        let doc = render(
            &term_markdown(&app.content, self.current),
            column.width,
            &t.markdown,
            self.link,
        );
        draw_scrolled(frame, column, doc.lines, self.scroll);
    }
}
