//! Drawing: the frame around every screen (header, footer of key hints, help overlay, the
//! "too small" notice) and small helpers the screens share.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::app::{App, Overlay, Screen};
use super::keys::{KeyHint, GLOBAL};
use super::{glossary, home, term};
use crate::content::markdown::wrap_plain;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 18;
/// Prose is easier to read in lines of bounded length, however wide the terminal.
pub const MAX_TEXT_WIDTH: u16 = 100;

pub fn view(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(app, frame, area);
        return;
    }
    let [header, body, footer] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)]).areas(area);
    draw_header(app, frame, header);
    match app.screen() {
        Screen::Home(s) => s.view(app, frame, body),
        Screen::Glossary(s) => s.view(app, frame, body),
        Screen::Term(s) => s.view(app, frame, body),
        Screen::Lessons(s) => s.view(app, frame, body),
        Screen::Lesson(s) => s.view(app, frame, body),
        Screen::Quiz(s) => s.view(app, frame, body),
        Screen::Labs(s) => s.view(app, frame, body),
        Screen::Lab(s) => s.view(app, frame, body),
    }
    match &app.overlay {
        Overlay::None => draw_footer(app, frame, footer, &hints(app)),
        Overlay::Help(scroll) => {
            let keys = [
                super::keys::hint("↑↓ PgUp PgDn", "scroll"),
                super::keys::hint("any other key", "close help"),
            ];
            draw_footer(app, frame, footer, &keys);
            draw_help(app, frame, body, *scroll);
        }
        Overlay::Finder(f) => {
            draw_footer(app, frame, footer, super::finder::HINTS);
            f.view(app, frame, body);
        }
    }
}

/// The key hints of the screen on top.
pub fn hints(app: &App) -> Vec<KeyHint> {
    match app.screen() {
        Screen::Home(_) => home::HINTS.to_vec(),
        Screen::Glossary(_) => glossary::HINTS.to_vec(),
        Screen::Term(_) => term::HINTS.to_vec(),
        Screen::Lessons(s) => s.hints().to_vec(),
        Screen::Lesson(s) => {
            let mut hints = s.hints(app);
            // A lab step lists the lab's keys; `?` still opens the help unless a field is typed in.
            let typing = s.pane.as_ref().is_some_and(super::lab::LabPane::typing);
            if !typing && !hints.iter().any(|h| h.action == "help") {
                hints.push(super::keys::hint("?", "help"));
            }
            hints
        }
        Screen::Quiz(s) => s.hints(&app.content).to_vec(),
        Screen::Labs(_) => super::labs::HINTS.to_vec(),
        // While a trace is typed, Esc cancels it and `?` is a character: only the field's keys.
        Screen::Lab(s) if s.pane.typing() => s.pane.hints(),
        Screen::Lab(s) => s
            .pane
            .hints()
            .into_iter()
            .chain(super::labs::LAB_HINTS.iter().copied())
            .collect(),
    }
}

fn too_small(app: &App, frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::styled("Terminal too small", app.theme.title),
        Line::from(format!(
            "sdlab needs at least {MIN_WIDTH}×{MIN_HEIGHT}; this one is {}×{}.",
            area.width, area.height
        )),
        Line::from("Enlarge the window, or press Ctrl-C to quit."),
    ];
    let height = (text.len() as u16).min(area.height);
    let y = area.y + area.height.saturating_sub(height) / 2;
    let rect = Rect::new(area.x, y, area.width, height);
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }).centered(), rect);
}

fn draw_header(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" sdlab ", t.selected)];
    for screen in app.stack.iter().skip(1) {
        spans.push(Span::styled(" › ", t.dim));
        spans.push(Span::styled(screen.name(), t.text));
    }
    if let Some(notice) = &app.notice {
        spans.push(Span::styled("  ⚠ ", t.notice));
        spans.push(Span::styled(notice.clone(), t.notice));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_footer(app: &App, frame: &mut Frame, area: Rect, hints: &[KeyHint]) {
    let t = &app.theme;
    let spans = footer_hints(hints, usize::from(area.width))
        .into_iter()
        .flat_map(|(keys, action)| {
            [
                Span::styled(format!(" {keys}"), t.key),
                Span::styled(format!(" {action} "), t.dim),
            ]
        })
        .collect::<Vec<_>>();
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The hints the footer shows in `width` columns: the screen's footer hints in order while they
/// fit, then its help key (`?`, or `F1` where typing takes `?`) saying `more` when the help lists
/// keys the footer left out, else `help`. Room for the help key is kept first, so it never falls
/// off a narrow terminal. Screens without a help key (a text field's) just show what fits.
pub fn footer_hints(hints: &[KeyHint], width: usize) -> Vec<(&'static str, &'static str)> {
    let cost = |keys: &str, action: &str| keys.width() + action.width() + 3;
    let help = hints.iter().find(|h| h.footer && h.action == "help").map(|h| h.keys);
    let mut shown = Vec::new();
    let mut used = help.map_or(0, |k| cost(k, "more"));
    // "more" when the help lists keys of this screen that the footer does not.
    let mut left_out = hints.iter().any(|h| !h.footer);
    for h in hints.iter().filter(|h| h.footer && Some(h.keys) != help) {
        let w = cost(h.keys, h.action);
        if used + w > width {
            left_out = true;
            break;
        }
        if !shown.contains(&(h.keys, h.action)) {
            shown.push((h.keys, h.action));
            used += w;
        }
    }
    if let Some(keys) = help {
        shown.push((keys, if left_out { "more" } else { "help" }));
    }
    shown
}

fn draw_help(app: &App, frame: &mut Frame, area: Rect, scroll: u16) {
    let t = &app.theme;
    let (lines, width) = help_lines(app, area);
    let height = (lines.len() as u16 + 2).min(area.height);
    let hidden = (lines.len() as u16 + 2).saturating_sub(height);
    let scroll = scroll.min(hidden);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border)
        .title(Span::styled(" Help ", t.title));
    if hidden > 0 {
        block = block.title_bottom(Line::styled(format!(" ↓ {} more ", hidden - scroll), t.dim).right_aligned());
    }
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), rect);
}

/// How far the help overlay can scroll on the app's current terminal: the rows that do not fit.
pub fn help_max_scroll(app: &App) -> u16 {
    let (w, h) = app.size;
    let body = Rect::new(0, 1, w, h.saturating_sub(2));
    let (lines, _) = help_lines(app, body);
    (lines.len() as u16 + 2).saturating_sub(body.height)
}

/// The help overlay's lines, wrapped to its width, and that width (within `area`).
fn help_lines(app: &App, area: Rect) -> (Vec<Line<'static>>, u16) {
    const CLOSING: &str = "q / Esc goes back; q on the home screen quits. Esc never quits.";
    let t = &app.theme;
    let mut own = hints(app);
    let mut seen = Vec::new();
    own.retain(|h| {
        let fresh = !seen.contains(&(h.keys, h.action));
        seen.push((h.keys, h.action));
        fresh
    });
    let legend: Vec<(&str, &str)> = lab_legend(app).to_vec();
    let pairs = || {
        own.iter()
            .chain(GLOBAL)
            .map(|h| (h.keys, h.action))
            .chain(legend.iter().copied())
    };
    let key_w = pairs().map(|(k, _)| k.width()).max().unwrap_or(8) + 2;
    // As wide as the longest row (within the screen); longer actions wrap under themselves.
    let natural = pairs()
        .map(|(_, a)| 2 + key_w + a.width())
        .max()
        .unwrap_or(0)
        .max(CLOSING.width());
    // At least 40 columns when the screen has them; never wider than the screen (a terminal
    // narrower than 40 still computes the overlay, to cap its scroll).
    let width = u16::try_from(natural + 2).unwrap_or(u16::MAX).max(40).min(area.width);
    let text_w = usize::from(width.saturating_sub(2)).saturating_sub(2 + key_w).max(10);
    let rows = |lines: &mut Vec<Line>, keys: &str, action: &str| {
        for (i, part) in wrap_plain(action, text_w).into_iter().enumerate() {
            let keys = if i == 0 { keys } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<key_w$}"), t.key),
                Span::styled(part, t.text),
            ]));
        }
    };
    let mut lines = vec![Line::styled(
        format!("Keys on this screen ({})", app.screen().name()),
        t.title,
    )];
    for h in &own {
        rows(&mut lines, h.keys, h.action);
    }
    if !legend.is_empty() {
        lines.push(Line::default());
        lines.push(Line::styled("What the lab shows", t.title));
        for (what, meaning) in &legend {
            rows(&mut lines, what, meaning);
        }
    }
    lines.push(Line::default());
    lines.push(Line::styled("Everywhere (outside a text field)", t.title));
    for h in GLOBAL {
        rows(&mut lines, h.keys, h.action);
    }
    lines.push(Line::default());
    for part in wrap_plain(CLOSING, usize::from(width.saturating_sub(2)).max(1)) {
        lines.push(Line::styled(part, t.dim));
    }
    (lines, width)
}

/// The legend of the lab on screen (the labs screen's, or the one beside a lesson).
fn lab_legend(app: &App) -> &'static [(&'static str, &'static str)] {
    match app.screen() {
        Screen::Lab(s) => s.pane.legend(),
        Screen::Lesson(s) => s.pane.as_ref().map_or(&[], |p| p.legend()),
        _ => &[],
    }
}

pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    Rect::new(
        area.x + area.width.saturating_sub(width) / 2,
        area.y + area.height.saturating_sub(height) / 2,
        width.min(area.width),
        height.min(area.height),
    )
}

/// A bordered panel with a title; returns the area inside the border.
pub fn panel(app: &App, frame: &mut Frame, area: Rect, title: Line) -> Rect {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border)
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// The text column inside a reading panel: one column of padding, at most MAX_TEXT_WIDTH wide.
pub fn text_column(inner: Rect) -> Rect {
    let x = inner.x + 1;
    let width = inner.width.saturating_sub(2).min(MAX_TEXT_WIDTH);
    Rect::new(x, inner.y, width, inner.height)
}

/// The reading panel of the term and lesson screens for a terminal of `size`, as the view lays
/// it out: the update uses it to scroll links into view and to page.
pub fn reading_area(size: (u16, u16), extra_rows: u16) -> Rect {
    let body = Rect::new(0, 1, size.0, size.1.saturating_sub(2));
    let inner = Block::default().borders(Borders::ALL).inner(body);
    let col = text_column(inner);
    Rect::new(
        col.x,
        col.y + extra_rows,
        col.width,
        col.height.saturating_sub(extra_rows),
    )
}

/// The first and one-past-last index of a list of `len` rows shown in `rows` lines with
/// `selected` visible.
pub fn list_window(selected: usize, len: usize, rows: usize) -> (usize, usize) {
    if rows == 0 {
        return (0, 0);
    }
    let start = if selected >= rows { selected + 1 - rows } else { 0 };
    (start, (start + rows).min(len))
}

pub fn progress_bar(done: usize, total: usize, width: usize) -> String {
    let filled = if total == 0 {
        0
    } else {
        (done * width).div_ceil(total).min(width)
    };
    format!("{}{}", "■".repeat(filled), "□".repeat(width - filled))
}

/// Cuts `text` to `width` columns, ending with … when cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for ch in text.chars() {
        if out.width() + 2 > width {
            break;
        }
        out.push(ch);
    }
    out.push('…');
    out
}

/// The name with the matched characters highlighted.
pub fn highlighted(name: &str, matches: &[usize], base: Style, matched: Style) -> Vec<Span<'static>> {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            Span::styled(
                c.to_string(),
                if matches.contains(&i) {
                    base.patch(matched)
                } else {
                    base
                },
            )
        })
        .collect()
}

/// Draws `lines` from `scroll`, clamped so the last page stays full; returns the clamped scroll.
pub fn draw_scrolled(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>, scroll: usize) -> usize {
    let max = lines.len().saturating_sub(usize::from(area.height));
    let scroll = scroll.min(max);
    let visible: Vec<Line> = lines.into_iter().skip(scroll).take(usize::from(area.height)).collect();
    frame.render_widget(Paragraph::new(visible), area);
    scroll
}

/// Scroll position after a scrolling key, given the document length and the view height.
pub fn scroll_for(code: crossterm::event::KeyCode, scroll: usize, len: usize, height: usize) -> Option<usize> {
    use crossterm::event::KeyCode;
    let max = len.saturating_sub(height);
    let scroll = scroll.min(max);
    let page = height.saturating_sub(2).max(1);
    Some(match code {
        KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => (scroll + 1).min(max),
        KeyCode::PageUp => scroll.saturating_sub(page),
        KeyCode::PageDown | KeyCode::Char(' ') => (scroll + page).min(max),
        KeyCode::Home => 0,
        KeyCode::End => max,
        _ => return None,
    })
}

/// Scroll position that shows line `line`, keeping the current one when it already does.
pub fn scroll_to_show(scroll: usize, line: usize, height: usize) -> usize {
    if line < scroll {
        line
    } else if line >= scroll + height {
        line + 1 - height.max(1)
    } else {
        scroll
    }
}

/// The link Tab (forward) or Shift-Tab selects among `count` links, from the one selected now.
pub fn cycle_link(current: Option<usize>, count: usize, forward: bool) -> usize {
    match (current, forward) {
        (None, true) => 0,
        (None, false) => count - 1,
        (Some(l), true) => (l + 1) % count,
        (Some(l), false) => (l + count - 1) % count,
    }
}

/// Scrolling and Tab / Shift-Tab link selection, shared by the screens that show a rendered
/// document in `height` rows. Returns whether the key was one of those; `scroll_keys: false`
/// leaves j, k and Space to a lab beside the text.
pub fn reading_key(
    code: crossterm::event::KeyCode,
    scroll: &mut usize,
    link: &mut Option<usize>,
    doc: &crate::content::markdown::Rendered,
    height: usize,
    scroll_keys: bool,
) -> bool {
    use crossterm::event::KeyCode;
    match code {
        KeyCode::Tab | KeyCode::BackTab if !doc.links.is_empty() => {
            let next = cycle_link(*link, doc.links.len(), code == KeyCode::Tab);
            *link = Some(next);
            *scroll = scroll_to_show(*scroll, doc.links[next].line, height);
            true
        }
        KeyCode::Char('j' | 'k' | ' ') if !scroll_keys => false,
        _ => match scroll_for(code, *scroll, doc.lines.len(), height) {
            Some(s) => {
                *scroll = s;
                true
            }
            None => false,
        },
    }
}

/// `1234567` → `1,234,567`: counts up to a million are read at a glance.
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod grouped_tests {
    use super::grouped;

    #[test]
    fn groups_thousands() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (10_000, "10,000"),
            (1_000_000, "1,000,000"),
        ];
        for (n, want) in cases {
            assert_eq!(grouped(n), want);
        }
    }
}
