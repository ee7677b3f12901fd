//! Markdown → ratatui lines, wrapped to a width, with the position of every followable link so a
//! screen can cycle through links with Tab and scroll the selected one into view.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The styles the renderer uses; the theme provides them.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkdownStyles {
    pub text: Style,
    pub heading: Style,
    pub code: Style,
    pub code_block: Style,
    pub link: Style,
    pub link_selected: Style,
    pub quote: Style,
    pub rule: Style,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedLink {
    /// `term:<id>` or `lesson:<id>`.
    pub target: String,
    /// The first line (index into `Rendered::lines`) the link appears on.
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub lines: Vec<Line<'static>>,
    pub links: Vec<RenderedLink>,
}

impl Rendered {
    /// The lines as plain text, for the CLI and for tests.
    pub fn plain(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            for span in &line.spans {
                out.push_str(&span.content);
            }
            out.push('\n');
        }
        out
    }
}

/// One piece of inline text with its style and the link it belongs to.
#[derive(Clone)]
struct Run {
    text: String,
    style: Style,
    link: Option<usize>,
}

enum Container {
    Quote,
    /// A list item: its marker is shown on the first line only.
    Item {
        marker: String,
        used: bool,
    },
}

struct Renderer<'s> {
    width: usize,
    styles: &'s MarkdownStyles,
    selected: Option<usize>,
    out: Rendered,
    runs: Vec<Run>,
    modifiers: Vec<Modifier>,
    link: Option<usize>,
    heading: Option<HeadingLevel>,
    containers: Vec<Container>,
    lists: Vec<Option<u64>>,
    code: Option<String>,
    table: Option<Table>,
    blank_pending: bool,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    cell: String,
    header_rows: usize,
    in_head: bool,
}

/// The columns the widest code-block line needs as rendered (with its indent), so a layout can
/// give a diagram its full width rather than cut it: code keeps its alignment and never wraps.
pub fn code_width(markdown: &str) -> usize {
    let mut in_code = false;
    let mut widest = 0;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Text(text) if in_code => {
                widest = text.lines().map(|l| l.width() + 2).fold(widest, usize::max);
            }
            _ => {}
        }
    }
    widest
}

/// Renders `markdown` to lines at most `width` columns wide; `selected` highlights that link.
pub fn render(markdown: &str, width: u16, styles: &MarkdownStyles, selected: Option<usize>) -> Rendered {
    let mut r = Renderer {
        width: usize::from(width.max(10)),
        styles,
        selected,
        out: Rendered::default(),
        runs: Vec::new(),
        modifiers: Vec::new(),
        link: None,
        heading: None,
        containers: Vec::new(),
        lists: Vec::new(),
        code: None,
        table: None,
        blank_pending: false,
    };
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(markdown, options) {
        r.event(event);
    }
    r.flush_runs();
    while r.out.lines.last().is_some_and(|l| l.width() == 0) {
        r.out.lines.pop();
    }
    for link in &mut r.out.links {
        link.line = link.line.min(r.out.lines.len().saturating_sub(1));
    }
    r.out
}

impl Renderer<'_> {
    fn event(&mut self, event: Event) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => {
                if let Some(code) = &mut self.code {
                    code.push_str(&text);
                } else if let Some(table) = &mut self.table {
                    table.cell.push_str(&text);
                } else {
                    self.push_text(&text, None);
                }
            }
            Event::Code(code) => {
                if let Some(table) = &mut self.table {
                    table.cell.push_str(&code);
                } else {
                    self.push_text(&code, Some(self.styles.code));
                }
            }
            Event::SoftBreak => self.push_text(" ", None),
            Event::HardBreak => {
                self.flush_runs();
                self.blank_pending = false;
            }
            Event::Rule => {
                self.block_start();
                let width = self.width.saturating_sub(self.prefix_width());
                let prefix = self.prefix(false);
                let mut spans = prefix;
                spans.push(Span::styled("─".repeat(width), self.styles.rule));
                self.out.lines.push(Line::from(spans));
                self.blank_pending = true;
            }
            Event::Html(html) | Event::InlineHtml(html) => self.push_text(&html, None),
            Event::TaskListMarker(done) => self.push_text(if done { "[x] " } else { "[ ] " }, None),
            Event::FootnoteReference(_) | Event::InlineMath(_) | Event::DisplayMath(_) => {}
        }
    }

    fn start(&mut self, tag: Tag) {
        match tag {
            Tag::Paragraph => self.block_start(),
            Tag::Heading { level, .. } => {
                self.flush_runs();
                self.blank_pending = !self.out.lines.is_empty();
                self.block_start();
                self.heading = Some(level);
            }
            Tag::BlockQuote(_) => {
                self.flush_runs();
                self.block_start();
                self.containers.push(Container::Quote);
            }
            Tag::CodeBlock(_) => {
                self.flush_runs();
                self.block_start();
                self.code = Some(String::new());
            }
            Tag::List(start) => {
                self.flush_runs();
                if self.lists.is_empty() {
                    self.block_start();
                }
                self.lists.push(start);
            }
            Tag::Item => {
                self.flush_runs();
                // Items of a loose list (paragraphs inside) are separated by a blank line.
                self.block_start();
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ => "• ".to_string(),
                };
                self.containers.push(Container::Item { marker, used: false });
            }
            Tag::Emphasis => self.modifiers.push(Modifier::ITALIC),
            Tag::Strong => self.modifiers.push(Modifier::BOLD),
            Tag::Strikethrough => self.modifiers.push(Modifier::CROSSED_OUT),
            Tag::Link { dest_url, .. } => {
                let followable = dest_url.starts_with("term:") || dest_url.starts_with("lesson:");
                if followable && self.table.is_none() {
                    self.link = Some(self.out.links.len());
                    // The line is known once the link's text is wrapped (emit_line).
                    self.out.links.push(RenderedLink {
                        target: dest_url.to_string(),
                        line: usize::MAX,
                    });
                } else {
                    self.modifiers.push(Modifier::UNDERLINED);
                }
            }
            Tag::Table(_) => {
                self.flush_runs();
                self.block_start();
                self.table = Some(Table::default());
            }
            Tag::TableHead => {
                if let Some(t) = &mut self.table {
                    t.in_head = true;
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableRow => {
                if let Some(t) = &mut self.table {
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableCell => {
                if let Some(t) = &mut self.table {
                    t.cell.clear();
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => {
                self.flush_runs();
                self.blank_pending = true;
            }
            TagEnd::Heading(_) => {
                self.flush_runs();
                self.heading = None;
                self.blank_pending = true;
            }
            TagEnd::BlockQuote(_) => {
                self.flush_runs();
                self.containers.pop();
                self.blank_pending = true;
            }
            TagEnd::CodeBlock => {
                let code = self.code.take().unwrap_or_default();
                for line in code.trim_end_matches('\n').split('\n') {
                    let mut spans = self.prefix(true);
                    spans.push(Span::styled(format!("  {line}"), self.styles.code_block));
                    self.out.lines.push(Line::from(spans));
                }
                self.blank_pending = true;
            }
            TagEnd::List(_) => {
                self.flush_runs();
                self.lists.pop();
                self.blank_pending = true;
            }
            TagEnd::Item => {
                self.flush_runs();
                self.containers.pop();
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.modifiers.pop();
            }
            // A followable link set `self.link`; any other link pushed an underline.
            TagEnd::Link => match self.link.take() {
                Some(_) => {}
                None => {
                    self.modifiers.pop();
                }
            },
            TagEnd::TableCell => {
                if let Some(t) = &mut self.table {
                    let cell = std::mem::take(&mut t.cell);
                    if let Some(row) = t.rows.last_mut() {
                        row.push(cell.trim().to_string());
                    }
                }
            }
            TagEnd::TableHead => {
                if let Some(t) = &mut self.table {
                    t.in_head = false;
                    t.header_rows = t.rows.len();
                }
            }
            TagEnd::Table => {
                if let Some(table) = self.table.take() {
                    self.emit_table(table);
                }
                self.blank_pending = true;
            }
            _ => {}
        }
    }

    fn current_style(&self, base: Option<Style>) -> Style {
        let mut style = base.unwrap_or(self.styles.text);
        if self.heading.is_some() {
            style = style.patch(self.styles.heading);
        }
        if self.containers.iter().any(|c| matches!(c, Container::Quote)) {
            style = style.patch(self.styles.quote);
        }
        for m in &self.modifiers {
            style = style.add_modifier(*m);
        }
        if let Some(link) = self.link {
            style = style.patch(if self.selected == Some(link) {
                self.styles.link_selected
            } else {
                self.styles.link
            });
        }
        style
    }

    fn push_text(&mut self, text: &str, base: Option<Style>) {
        let style = self.current_style(base);
        self.runs.push(Run {
            text: text.to_string(),
            style,
            link: self.link,
        });
    }

    /// Emits the blank line owed between two blocks.
    fn block_start(&mut self) {
        if self.blank_pending && !self.out.lines.is_empty() {
            let prefix = self.prefix(true);
            let line = Line::from(
                prefix
                    .into_iter()
                    .map(|s| Span::styled(s.content.trim_end().to_string(), s.style))
                    .collect::<Vec<_>>(),
            );
            self.out.lines.push(line);
        }
        self.blank_pending = false;
    }

    fn prefix_width(&self) -> usize {
        self.containers
            .iter()
            .map(|c| match c {
                Container::Quote => 2,
                Container::Item { marker, .. } => marker.width(),
            })
            .sum()
    }

    /// The container prefix for a line; `continuation` hides list markers already shown.
    fn prefix(&mut self, continuation: bool) -> Vec<Span<'static>> {
        let quote = self.styles.quote;
        let text = self.styles.text;
        let innermost_item = self
            .containers
            .iter()
            .rposition(|c| matches!(c, Container::Item { .. }));
        self.containers
            .iter_mut()
            .enumerate()
            .map(|(i, c)| match c {
                Container::Quote => Span::styled("│ ", quote),
                Container::Item { marker, used } => {
                    let show = !continuation && !*used && Some(i) == innermost_item;
                    if show {
                        *used = true;
                        Span::styled(marker.clone(), text)
                    } else {
                        Span::raw(" ".repeat(marker.width()))
                    }
                }
            })
            .collect()
    }

    /// Wraps the pending inline runs into lines.
    fn flush_runs(&mut self) {
        if self.runs.is_empty() {
            return;
        }
        let runs = std::mem::take(&mut self.runs);
        // Words: maximal non-space stretches, possibly spanning several styles.
        let mut words: Vec<Vec<Run>> = Vec::new();
        let mut current: Vec<Run> = Vec::new();
        for run in runs {
            let mut piece = String::new();
            for ch in run.text.chars() {
                if ch.is_whitespace() {
                    if !piece.is_empty() {
                        current.push(Run {
                            text: std::mem::take(&mut piece),
                            ..run.clone()
                        });
                    }
                    if !current.is_empty() {
                        words.push(std::mem::take(&mut current));
                    }
                } else {
                    piece.push(ch);
                }
            }
            if !piece.is_empty() {
                current.push(Run { text: piece, ..run });
            }
        }
        if !current.is_empty() {
            words.push(current);
        }
        let avail = self.width.saturating_sub(self.prefix_width()).max(8);
        let mut line: Vec<Run> = Vec::new();
        let mut line_width = 0usize;
        let mut first = true;
        for word in words {
            let word_width: usize = word.iter().map(|r| r.text.width()).sum();
            if line_width > 0 && line_width + 1 + word_width > avail {
                self.emit_line(std::mem::take(&mut line), !first);
                first = false;
                line_width = 0;
            }
            if word_width > avail {
                // A word longer than the line: break it by characters.
                for run in word {
                    for ch in run.text.chars() {
                        let w = ch.width().unwrap_or(0);
                        if line_width + w > avail {
                            self.emit_line(std::mem::take(&mut line), !first);
                            first = false;
                            line_width = 0;
                        }
                        push_char(&mut line, ch, &run);
                        line_width += w;
                    }
                }
                continue;
            }
            if line_width > 0 {
                let space_style = match (line.last(), word.first()) {
                    (Some(a), Some(b)) if a.link.is_some() && a.link == b.link => a.style,
                    _ => self.styles.text,
                };
                line.push(Run {
                    text: " ".into(),
                    style: space_style,
                    link: None,
                });
                line_width += 1;
            }
            line_width += word_width;
            line.extend(word);
        }
        if !line.is_empty() {
            self.emit_line(line, !first);
        }
    }

    fn emit_line(&mut self, runs: Vec<Run>, continuation: bool) {
        let index = self.out.lines.len();
        for run in &runs {
            if let Some(link) = run.link {
                let l = &mut self.out.links[link];
                l.line = l.line.min(index);
            }
        }
        let mut spans = self.prefix(continuation);
        spans.extend(merge(runs).into_iter().map(|r| Span::styled(r.text, r.style)));
        self.out.lines.push(Line::from(spans));
    }

    fn emit_table(&mut self, table: Table) {
        let cols = table.rows.iter().map(Vec::len).max().unwrap_or(0);
        if cols == 0 {
            return;
        }
        let mut widths = vec![1usize; cols];
        for row in &table.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.width());
            }
        }
        let avail = self.width.saturating_sub(self.prefix_width() + 3 * (cols - 1));
        while widths.iter().sum::<usize>() > avail {
            let (i, &w) = widths.iter().enumerate().max_by_key(|(_, w)| **w).unwrap();
            if w <= 4 {
                break;
            }
            widths[i] -= 1;
        }
        let border = self.styles.rule;
        for (r, row) in table.rows.iter().enumerate() {
            let wrapped: Vec<Vec<String>> = (0..cols)
                .map(|i| wrap_plain(row.get(i).map_or("", String::as_str), widths[i]))
                .collect();
            let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
            let style = if r < table.header_rows {
                self.styles.text.add_modifier(Modifier::BOLD)
            } else {
                self.styles.text
            };
            for h in 0..height {
                let mut spans = self.prefix(true);
                for (i, cell) in wrapped.iter().enumerate() {
                    if i > 0 {
                        spans.push(Span::styled(" │ ", border));
                    }
                    let text = cell.get(h).map_or("", String::as_str);
                    let pad = widths[i].saturating_sub(text.width());
                    spans.push(Span::styled(format!("{text}{}", " ".repeat(pad)), style));
                }
                self.out.lines.push(Line::from(spans));
            }
            if r + 1 == table.header_rows {
                let mut spans = self.prefix(true);
                let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
                spans.push(Span::styled(rule.join("─┼─"), border));
                self.out.lines.push(Line::from(spans));
            }
        }
    }
}

fn push_char(line: &mut Vec<Run>, ch: char, run: &Run) {
    match line.last_mut() {
        Some(last) if last.style == run.style && last.link == run.link => last.text.push(ch),
        _ => line.push(Run {
            text: ch.to_string(),
            ..run.clone()
        }),
    }
}

/// Joins neighbouring runs of the same style so a line is a few spans, not one per word.
fn merge(runs: Vec<Run>) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::with_capacity(runs.len());
    for run in runs {
        match out.last_mut() {
            Some(last) if last.style == run.style => last.text.push_str(&run.text),
            _ => out.push(run),
        }
    }
    out
}

/// Greedy word wrap of plain text (table cells, and the help and goal panels); a word wider
/// than `width` is broken across lines.
pub fn wrap_plain(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().unwrap();
        if !last.is_empty() && last.width() + 1 + word.width() > width {
            lines.push(String::new());
        }
        let last = lines.last_mut().unwrap();
        if !last.is_empty() {
            last.push(' ');
        }
        if word.width() > width {
            for ch in word.chars() {
                if lines.last().unwrap().width() + ch.width().unwrap_or(0) > width {
                    lines.push(String::new());
                }
                lines.last_mut().unwrap().push(ch);
            }
        } else {
            last.push_str(word);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(md: &str, width: u16) -> String {
        render(md, width, &MarkdownStyles::default(), None).plain()
    }

    #[test]
    fn wraps_paragraphs_at_width() {
        let out = plain("one two three four five six seven eight nine ten", 20);
        assert!(out.lines().all(|l| l.width() <= 20), "{out}");
        assert_eq!(out.lines().count(), 3);
    }

    #[test]
    fn code_blocks_keep_alignment() {
        let out = plain("```\n  a   b\n  |   |\n```", 40);
        assert_eq!(out, "    a   b\n    |   |\n");
    }

    #[test]
    fn lists_quotes_and_headings() {
        let out = plain(
            "### Title\n\n- first item\n- second\n\n> quoted text\n\n1. one\n2. two",
            40,
        );
        assert_eq!(
            out,
            "Title\n\n• first item\n• second\n\n│ quoted text\n\n1. one\n2. two\n"
        );
    }

    #[test]
    fn nested_list_continuation_lines_are_indented() {
        let out = plain("- alpha beta gamma delta epsilon zeta", 16);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "• alpha beta");
        assert!(lines[1].starts_with("  "), "{out}");
    }

    #[test]
    fn tables_align_columns() {
        let out = plain("| a | bb |\n|---|---|\n| ccc | d |", 40);
        assert_eq!(out, "a   │ bb\n────┼───\nccc │ d \n");
    }

    #[test]
    fn links_are_recorded_with_their_line() {
        let md = "first line of text\n\nsee [Quorum](term:quorum) and [the lesson](lesson:consensus/04-quorum) or [web](https://example.com)";
        let r = render(md, 80, &MarkdownStyles::default(), Some(1));
        assert_eq!(r.links.len(), 2);
        assert_eq!(r.links[0].target, "term:quorum");
        assert_eq!(r.links[0].line, 2);
        assert_eq!(r.links[1].target, "lesson:consensus/04-quorum");
    }

    #[test]
    fn selected_link_gets_its_own_style() {
        let styles = MarkdownStyles {
            link_selected: Style::new().add_modifier(Modifier::REVERSED),
            ..Default::default()
        };
        let r = render("[a](term:a) [b](term:b)", 40, &styles, Some(1));
        let reversed: Vec<_> = r.lines[0]
            .spans
            .iter()
            .filter(|s| s.style.add_modifier.contains(Modifier::REVERSED))
            .collect();
        assert_eq!(reversed.len(), 1);
        assert_eq!(reversed[0].content, "b");
    }

    #[test]
    fn emphasis_and_inline_code_are_styled() {
        let styles = MarkdownStyles {
            code: Style::new().add_modifier(Modifier::DIM),
            ..Default::default()
        };
        let r = render("**bold** and `code`", 40, &styles, None);
        let spans = &r.lines[0].spans;
        assert!(spans[0].style.add_modifier.contains(Modifier::BOLD));
        assert!(spans
            .iter()
            .any(|s| s.content == "code" && s.style.add_modifier.contains(Modifier::DIM)));
    }

    #[test]
    fn code_width_is_the_widest_diagram_line_with_its_indent() {
        let md = "Some prose that is much longer than the diagram below, and wraps.\n\n```\nA --> B\n  ring: ..A..B..\n```\n";
        assert_eq!(code_width(md), "  ring: ..A..B..".len() + 2);
        assert_eq!(code_width("no code at all"), 0);
    }
}
