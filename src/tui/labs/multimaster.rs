//! The multi-master lab's UI: two masters with their clocks and rows, the changes travelling
//! between them both ways, and the event log where each discarded write stands out.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::timeline::event_log;
use crate::engines::lab::{Lab, Session};
use crate::engines::replication::multimaster::{clock_text, stamp_text, MultiMaster, NODES};
use crate::theme::Theme;
use crate::tui::keys::{hint, more, KeyHint};
use crate::tui::lab::{LabKey, LabUi};

pub const LEGEND: &[(&str, &str)] = &[
    ("clock", "how far the master's clock is from true time"),
    (
        "age=30 @0.000 s",
        "the value a master holds and the stamp its writer's clock gave it",
    ),
    ("• on a link", "a change on its way to the other master"),
    ("LWW", "each master keeps the version with the later stamp (ties: b)"),
    (
        "⚠ in the log",
        "a write discarded after its client was told it was saved, or an id both masters gave out",
    ),
];

pub const HINTS: &[KeyHint] = &[
    hint("←→", "select master"),
    hint("1", "write age"),
    hint("i", "insert"),
    hint("-/+", "skew clock"),
    hint("P", "partition/heal"),
    more("/", "type a write on the selected master, e.g. name=ana"),
    more("o", "auto-increment offsets (odd / even ids) on / off"),
    more("d", "replication delay: 100 → 500 → 1,000 → 20 ms"),
];

pub fn multimaster(lab: &dyn Lab) -> Option<&MultiMaster> {
    lab.as_any().downcast_ref::<Session<MultiMaster>>().map(|s| &s.engine)
}

pub struct MultiMasterUi;

impl LabUi for MultiMasterUi {
    fn hints(&self) -> &'static [KeyHint] {
        HINTS
    }

    fn legend(&self) -> &'static [(&'static str, &'static str)] {
        LEGEND
    }

    fn selectable(&self, lab: &dyn Lab) -> usize {
        multimaster(lab).map_or(0, |_| NODES.len())
    }

    fn on_key(&self, lab: &dyn Lab, selected: usize, key: KeyEvent) -> LabKey {
        let Some(mm) = multimaster(lab) else {
            return LabKey::Unhandled;
        };
        let node = NODES[selected.min(1)];
        let skew = mm.skew_ms(selected.min(1));
        let action = match key.code {
            // Values rise with each write, so the newest write is always the largest number.
            KeyCode::Char('1') => format!("write {node} age={}", 20 + 5 * mm.writes().len()),
            KeyCode::Char('i') => format!("insert {node}"),
            KeyCode::Char('-') => format!("skew {node} {}", skew - 100.0),
            KeyCode::Char('+') | KeyCode::Char('=') => format!("skew {node} {}", skew + 100.0),
            KeyCode::Char('P') if mm.partitioned() => "heal".into(),
            KeyCode::Char('P') => "partition".into(),
            KeyCode::Char('o') => format!("offsets {}", if mm.offsets() { "off" } else { "on" }),
            KeyCode::Char('d') => {
                let next = match mm.delay_ms() {
                    d if d < 100.0 => 100,
                    d if d < 500.0 => 500,
                    d if d < 1000.0 => 1000,
                    _ => 20,
                };
                format!("delay {next}")
            }
            KeyCode::Char('/') => {
                return LabKey::Prompt {
                    label: "write (node row=value)",
                    command: "write",
                    initial: format!("{node} "),
                }
            }
            _ => return LabKey::Unhandled,
        };
        LabKey::Action(action)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, selected: usize, theme: &Theme) {
        if let Some(mm) = multimaster(lab) {
            draw(frame, area, lab, mm, selected, theme);
        }
    }

    fn hit(&self, area: Rect, lab: &dyn Lab, _selected: usize, column: u16, row: u16) -> Option<usize> {
        multimaster(lab)?;
        let inside = column >= area.x && column < area.x + area.width;
        // The masters' name lines: the first under the two summary lines, the second under the
        // links.
        [area.y + 2, area.y + 6].iter().position(|&y| inside && row == y)
    }
}

/// A link of `width` cells carrying a dot per change in flight, drawn in the direction it goes.
fn link(progress: &[f64], width: usize, rightwards: bool) -> String {
    let mut cells = vec!['─'; width];
    for &p in progress {
        let along = if rightwards { p } else { 1.0 - p };
        let i = ((along * width.saturating_sub(1) as f64).round() as usize).min(width - 1);
        cells[i] = '•';
    }
    if rightwards {
        if let Some(last) = cells.last_mut().filter(|c| **c == '─') {
            *last = '▶';
        }
    } else if let Some(first) = cells.first_mut().filter(|c| **c == '─') {
        *first = '◀';
    }
    cells.into_iter().collect()
}

fn node_lines<'a>(mm: &'a MultiMaster, node: usize, selected: bool, theme: &Theme) -> Vec<Line<'a>> {
    let skew = mm.skew_ms(node);
    let clock = clock_text(skew);
    let ids: Vec<String> = mm.ids(node).map(|i| i.to_string()).collect();
    let ids = match ids.len() {
        0 => String::new(),
        n if n > 12 => format!("  ids …{}", ids[n - 12..].join(" ")),
        _ => format!("  ids {}", ids.join(" ")),
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(if selected { "›" } else { " " }, theme.accent),
        Span::styled(
            format!("master {}", NODES[node]),
            if selected { theme.selected } else { theme.title },
        ),
        Span::styled(format!("  {clock}"), theme.dim),
        Span::styled(ids, theme.text),
    ])];
    let rows: Vec<Span> = mm
        .rows(node)
        .take(4)
        .map(|(row, w)| {
            let style = if w.lost { theme.notice } else { theme.text };
            Span::styled(
                format!("  {row}={} @{} ({})", w.value, stamp_text(w.stamp), NODES[w.node]),
                style,
            )
        })
        .collect();
    lines.push(if rows.is_empty() {
        Line::styled("  no rows yet", theme.dim)
    } else {
        Line::from(rows)
    });
    lines
}

fn draw(frame: &mut Frame, area: Rect, lab: &dyn Lab, mm: &MultiMaster, selected: usize, theme: &Theme) {
    let m = lab.metrics();
    let state = if mm.partitioned() {
        "link cut".to_string()
    } else if m["converged"] == true {
        "converged".to_string()
    } else {
        format!("{} rows differ", m["rows_differ"])
    };
    let summary = format!(
        "LWW · delay {} ms · offsets {} · {state}",
        mm.delay_ms(),
        if mm.offsets() { "on" } else { "off" }
    );
    let counts = format!(
        "conflicts {} · lost {} · older won {} · id collisions {}",
        m["conflicts"], m["lost_updates"], m["older_wins"], m["id_collisions"]
    );
    let width = usize::from(area.width).max(12);
    let link_w = (width / 2).clamp(6, 40);
    let gap = " ".repeat(4);
    let (cut_r, cut_l) = if mm.partitioned() {
        (format!("{:─<link_w$}", "─ ✂ cut "), format!("{:─<link_w$}", "─ ✂ cut "))
    } else {
        (
            link(&mm.in_flight_to(1), link_w, true),
            link(&mm.in_flight_to(0), link_w, false),
        )
    };
    let link_style = if mm.partitioned() { theme.notice } else { theme.dim };
    let mut lines = vec![Line::styled(summary, theme.title), Line::styled(counts, theme.dim)];
    lines.extend(node_lines(mm, 0, selected == 0, theme));
    lines.push(Line::from(vec![
        Span::styled(format!("{gap}a "), theme.dim),
        Span::styled(cut_r, link_style),
        Span::styled(" b", theme.dim),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("{gap}a "), theme.dim),
        Span::styled(cut_l, link_style),
        Span::styled(" b", theme.dim),
    ]));
    lines.extend(node_lines(mm, 1, selected == 1, theme));
    if let Some(last) = mm.anomalies().list().next_back() {
        let style = theme.notice.add_modifier(Modifier::BOLD);
        let text = format!("⚠ {}: {}", last.kind.replace('_', " "), last.detail);
        // Two lines, the kept write then the discarded one, so both fit at 80 columns.
        match text.split_once(" over ") {
            Some((kept, dropped)) => {
                lines.push(Line::styled(kept.to_string(), style));
                lines.push(Line::styled(format!("  over {dropped}"), style));
            }
            None => lines.push(Line::styled(text, style)),
        }
    }
    let top_h = (lines.len() as u16).min(area.height);
    frame.render_widget(Paragraph::new(lines), Rect { height: top_h, ..area });
    let rest = area.height.saturating_sub(top_h);
    if rest >= 2 {
        let log = Rect {
            y: area.y + top_h,
            height: rest,
            ..area
        };
        event_log(frame, log, mm.event_log().entries(), theme);
    }
}
