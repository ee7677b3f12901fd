//! The election lab's UI, RaftScope's picture in a terminal: the nodes on a circle with role,
//! term, log length and how much of the election timer is left, messages as dots on their way,
//! the partition as a cut between the sides' arcs; beside it the vote tallies, the leaders of
//! every term and split brain; below it the event log.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine, Points};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{angle, bar, circle_order, cut_angles, isolate, move_across, node_style, partition_or_heal};
use crate::engines::consensus::node_index;
use crate::engines::consensus::raft::{NodeView, Raft, RaftMetrics, Role};
use crate::engines::lab::{Lab, Session};
use crate::theme::Theme;
use crate::tui::keys::{hint, more, KeyHint};
use crate::tui::lab::{LabKey, LabUi};
use crate::tui::labs::timeline::event_log;

pub const HINTS: &[KeyHint] = &[
    hint("←→", "select node"),
    hint("x", "crash/restart"),
    hint("c", "client write"),
    hint("P", "cut 2|3 / heal"),
    hint("m", "majority rule"),
    hint("o", "time out now"),
    more("i", "cut the selected node off alone"),
    more("s", "move the selected node to the other side of the cut (pick a side)"),
];

pub const LEGEND: &[(&str, &str)] = &[
    (
        "LEADER / cand / follow",
        "what the node believes it is; a cut-off leader can be wrong",
    ),
    ("t3", "the node's current term"),
    (
        "log 4/3",
        "entries in the node's log / how many of them it knows are committed",
    ),
    (
        "▕███░░▏",
        "election timer left: the node stands for election when it runs out",
    ),
    (
        "cand 2/5",
        "a candidate's votes so far (itself included) out of all nodes",
    ),
    (
        "• between nodes",
        "a message on its way (vote request, reply, heartbeat, entries)",
    ),
    (
        "✂ line",
        "the partition: nodes on either side of it cannot exchange messages",
    ),
    (
        "leaders by term",
        "who led each term and how many writes each acknowledged in it",
    ),
    (
        "SPLIT BRAIN",
        "two nodes that each believed they led both acknowledged writes at the same time",
    ),
];

pub fn raft(lab: &dyn Lab) -> Option<&Raft> {
    lab.as_any().downcast_ref::<Session<Raft>>().map(|s| &s.engine)
}

pub struct ElectionUi;

impl LabUi for ElectionUi {
    fn hints(&self) -> &'static [KeyHint] {
        HINTS
    }

    fn legend(&self) -> &'static [(&'static str, &'static str)] {
        LEGEND
    }

    fn selectable(&self, lab: &dyn Lab) -> usize {
        raft(lab).map_or(0, Raft::n)
    }

    fn on_key(&self, lab: &dyn Lab, selected: usize, key: KeyEvent) -> LabKey {
        let Some(r) = raft(lab) else {
            return LabKey::Unhandled;
        };
        let n = r.n();
        let sel = selected.min(n.saturating_sub(1));
        let name = crate::engines::consensus::node_name(sel);
        let net = r.net.view();
        match key.code {
            KeyCode::Char('x') if r.net.crashed(sel) => LabKey::Action(format!("restart {name}")),
            KeyCode::Char('x') => LabKey::Action(format!("crash {name}")),
            KeyCode::Char('c') => {
                let next = r.metrics().writes.len() + 1;
                LabKey::Action(format!("write x={next} @{name}"))
            }
            KeyCode::Char('o') if r.net.crashed(sel) => LabKey::Message(format!("{name} is down: x restarts it")),
            KeyCode::Char('o') if r.leaders().iter().any(|l| l.node == name) => {
                LabKey::Message(format!("{name} leads: a leader has no election timer"))
            }
            KeyCode::Char('o') => LabKey::Action(format!("timeout {name}")),
            KeyCode::Char('P') => partition_or_heal(&net, n),
            KeyCode::Char('i') => isolate(n, sel),
            KeyCode::Char('s') => move_across(&net, n, sel),
            KeyCode::Char('m') => {
                LabKey::Action(format!("majority {}", if r.config().majority { "off" } else { "on" }))
            }
            _ => LabKey::Unhandled,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, selected: usize, theme: &Theme) {
        if let Some(r) = raft(lab) {
            draw(frame, area, r, selected, theme);
        }
    }

    fn hit(&self, area: Rect, lab: &dyn Lab, _selected: usize, column: u16, row: u16) -> Option<usize> {
        let r = raft(lab)?;
        let layout = Layout::new(area, r.n());
        let m = r.net.view();
        let order = circle_order(&m, r.n());
        match layout.circle {
            Some(c) => order.iter().enumerate().find_map(|(p, &i)| {
                let (x, y) = box_at(c, p, r.n());
                (column >= x && column < x + BOX_W && row >= y && row < y + BOX_H).then_some(i)
            }),
            None => {
                let first = area.y + 1;
                (row >= first && usize::from(row - first) < r.n() && column >= area.x).then(|| usize::from(row - first))
            }
        }
    }
}

/// A node's box on the circle: three rows of this many cells.
const BOX_W: u16 = 12;
const BOX_H: u16 = 3;

/// Where the parts go: a circle with a side panel when there is room, else one row per node.
struct Layout {
    header: Rect,
    circle: Option<Rect>,
    panel: Rect,
    log: Rect,
}

impl Layout {
    fn new(area: Rect, n: usize) -> Layout {
        let header = Rect {
            height: 1.min(area.height),
            ..area
        };
        let rest = Rect {
            y: area.y + header.height,
            height: area.height - header.height,
            ..area
        };
        let circle_h = rest.height.saturating_sub(4).min(if n > 5 { 18 } else { 14 });
        if circle_h >= 10 && area.width >= 76 {
            // Wide: the circle on the left, the panel beside it, the log below.
            let circle_w = (area.width * 3 / 5).clamp(40, 72);
            let circle = Rect {
                width: circle_w,
                height: circle_h,
                ..rest
            };
            let panel = Rect {
                x: area.x + circle_w + 1,
                width: area.width - circle_w - 1,
                height: circle_h,
                ..rest
            };
            let log = Rect {
                y: rest.y + circle_h,
                height: rest.height - circle_h,
                ..rest
            };
            return Layout {
                header,
                circle: Some(circle),
                panel,
                log,
            };
        }
        if area.width >= 44 && rest.height >= 25 {
            // Narrow but tall (a lesson's pane): the circle, then the panel, then the log.
            let circle_h = if n > 5 { 14 } else { 12 };
            let panel_h = (rest.height - circle_h).min(12);
            let circle = Rect {
                height: circle_h,
                ..rest
            };
            let panel = Rect {
                y: rest.y + circle_h,
                height: panel_h,
                ..rest
            };
            let log = Rect {
                y: panel.y + panel_h,
                height: rest.height - circle_h - panel_h,
                ..rest
            };
            return Layout {
                header,
                circle: Some(circle),
                panel,
                log,
            };
        }
        // Too small for a circle: one row per node, then whatever of the panel fits.
        let rows = (n as u16).min(rest.height);
        let panel = Rect {
            y: rest.y + rows,
            height: rest.height - rows,
            ..rest
        };
        Layout {
            header,
            circle: None,
            panel,
            log: Rect { height: 0, ..panel },
        }
    }
}

/// The top-left cell of the box at circle position `p`.
fn box_at(c: Rect, p: usize, n: usize) -> (u16, u16) {
    let (cx, cy) = centre_at(c, p, n);
    let x = (cx - f64::from(BOX_W) / 2.0).round().max(0.0) as u16;
    let y = (cy - 1.0).round().max(0.0) as u16;
    (
        (c.x + x).min(c.x + c.width.saturating_sub(BOX_W)),
        (c.y + y).min(c.y + c.height.saturating_sub(BOX_H)),
    )
}

/// The centre of position `p`, in cells from the circle area's top-left.
fn centre_at(c: Rect, p: usize, n: usize) -> (f64, f64) {
    let rx = (f64::from(c.width) - f64::from(BOX_W)) / 2.0;
    let ry = (f64::from(c.height) - f64::from(BOX_H)) / 2.0;
    let a = angle(p as f64, n);
    (
        f64::from(c.width) / 2.0 + rx * a.cos(),
        f64::from(c.height) / 2.0 + ry * a.sin(),
    )
}

fn role_text(v: &NodeView, n: usize) -> String {
    if v.crashed {
        return "DOWN".into();
    }
    match v.role {
        Role::Leader => "LEADER".into(),
        Role::Candidate => format!("cand {}/{n}", v.votes),
        Role::Follower => "follow".into(),
    }
}

fn role_style(v: &NodeView, theme: &Theme) -> Style {
    match (v.crashed, v.role) {
        (true, _) => theme.dim,
        (_, Role::Leader) => theme.accent.add_modifier(Modifier::BOLD),
        (_, Role::Candidate) => theme.notice,
        _ => theme.text,
    }
}

/// A node's three rows: name and role; term and log; the election timer.
fn node_lines<'a>(r: &Raft, v: &NodeView, i: usize, selected: bool, theme: &Theme) -> [Line<'a>; 3] {
    let n = r.n();
    let name_style = if selected { theme.selected } else { node_style(theme, i) };
    let timer = if v.crashed {
        Span::styled("  down", theme.dim)
    } else if v.role == Role::Leader {
        Span::styled("♥ beats", theme.accent)
    } else {
        let left = v.timer_left_ms / r.election_max_ms().max(1) as f64;
        Span::styled(format!("▕{}▏", bar(left, 7)), theme.dim)
    };
    [
        Line::from(vec![
            Span::styled(if selected { "›" } else { " " }, theme.accent),
            Span::styled(format!("{:<3}", v.name), name_style),
            Span::styled(role_text(v, n), role_style(v, theme)),
        ]),
        Line::styled(format!(" t{} log {}/{}", v.term, v.log_len, v.commit), theme.text),
        Line::from(vec![Span::raw(" "), timer]),
    ]
}

fn header(m: &RaftMetrics, theme: &Theme) -> Line<'static> {
    let rule = if m.majority {
        "majority rule on"
    } else {
        "majority rule OFF"
    };
    let mut spans = vec![
        Span::styled(format!("term {} · {rule} ", m.term), theme.title),
        Span::styled(
            format!("· leaders {} · committed {}", m.leaders.len(), m.committed),
            theme.dim,
        ),
    ];
    if m.split_brain {
        spans.push(Span::styled(
            "  ⚠ SPLIT BRAIN",
            theme.notice.add_modifier(Modifier::BOLD),
        ));
    } else if m.leaders.len() > 1 {
        spans.push(Span::styled("  two believe they lead", theme.notice));
    }
    Line::from(spans)
}

fn draw(frame: &mut Frame, area: Rect, r: &Raft, selected: usize, theme: &Theme) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let m = r.metrics();
    let layout = Layout::new(area, r.n());
    frame.render_widget(Paragraph::new(header(&m, theme)), layout.header);
    match layout.circle {
        Some(c) => draw_circle(frame, c, r, &m, selected, theme),
        None => draw_rows(frame, area, r, &m, selected, theme),
    }
    let panel = panel_with_terms(r, &m, selected, theme, usize::from(layout.panel.height));
    frame.render_widget(Paragraph::new(panel), layout.panel);
    if layout.log.height > 0 {
        event_log(frame, layout.log, r.log.entries(), theme);
    }
}

fn draw_rows(frame: &mut Frame, area: Rect, r: &Raft, m: &RaftMetrics, selected: usize, theme: &Theme) {
    let lines: Vec<Line> = m
        .nodes
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let [a, b, c] = node_lines(r, v, i, i == selected, theme);
            let side = if m.network.partitioned {
                format!(" side {}", r.net.side_of(i) + 1)
            } else {
                String::new()
            };
            let mut spans = a.spans;
            spans.push(Span::raw(" "));
            spans.extend(b.spans);
            spans.extend(c.spans);
            spans.push(Span::styled(side, theme.notice));
            Line::from(spans)
        })
        .collect();
    let rows = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1).min(m.nodes.len() as u16),
        ..area
    };
    frame.render_widget(Paragraph::new(lines), rows);
}

fn draw_circle(frame: &mut Frame, c: Rect, r: &Raft, m: &RaftMetrics, selected: usize, theme: &Theme) {
    let n = r.n();
    let order = circle_order(&m.network, n);
    let w = f64::from(c.width);
    let h = f64::from(c.height);
    // Canvas y grows upwards; a cell's row is counted from the top.
    let to_canvas = |(x, y): (f64, f64)| (x, h - 1.0 - y);
    let centres: Vec<(f64, f64)> = {
        let mut at = vec![(0.0, 0.0); n];
        for (p, &i) in order.iter().enumerate() {
            at[i] = centre_at(c, p, n);
        }
        at
    };
    let now = r.now_ms();
    let dots: Vec<(f64, f64)> = r
        .messages()
        .iter()
        .filter_map(|msg| {
            let from = node_index(&msg.from, n).ok()?;
            let to = node_index(&msg.to, n).ok()?;
            let span = (msg.arrives_ms - msg.sent_ms).max(1e-9);
            let f = ((now - msg.sent_ms) / span).clamp(0.0, 1.0);
            let (a, b) = (centres[from], centres[to]);
            Some(to_canvas((a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f)))
        })
        .collect();
    let cuts: Vec<((f64, f64), (f64, f64))> = cut_angles(&m.network, n)
        .into_iter()
        .map(|a| {
            let centre = (w / 2.0, h / 2.0);
            let edge = (w / 2.0 + (w / 2.0) * a.cos(), h / 2.0 + (h / 2.0) * a.sin());
            (to_canvas(centre), to_canvas(edge))
        })
        .collect();
    let (dot_color, cut_color) = if theme.monochrome() {
        (Color::Reset, Color::Reset)
    } else {
        (Color::Yellow, Color::Red)
    };
    let boxes: Vec<(f64, f64, [Line; 3])> = order
        .iter()
        .enumerate()
        .map(|(p, &i)| {
            let (x, y) = box_at(c, p, n);
            let (x, y) = (f64::from(x - c.x), f64::from(y - c.y));
            (x, y, node_lines(r, &m.nodes[i], i, i == selected, theme))
        })
        .collect();
    let cut_label = (!cuts.is_empty()).then(|| Line::styled("✂", theme.notice));
    let canvas = Canvas::default()
        .marker(ratatui::symbols::Marker::Braille)
        .x_bounds([0.0, (w - 1.0).max(1.0)])
        .y_bounds([0.0, (h - 1.0).max(1.0)])
        .paint(move |ctx| {
            for (a, b) in &cuts {
                ctx.draw(&CanvasLine {
                    x1: a.0,
                    y1: a.1,
                    x2: b.0,
                    y2: b.1,
                    color: cut_color,
                });
            }
            ctx.draw(&Points {
                coords: &dots,
                color: dot_color,
            });
            ctx.layer();
            if let (Some(label), Some((_, b))) = (&cut_label, cuts.first()) {
                ctx.print(b.0.clamp(0.0, w - 1.0), b.1.clamp(0.0, h - 1.0), label.clone());
            }
            for (x, y, lines) in &boxes {
                for (row, line) in lines.iter().enumerate() {
                    ctx.print(*x, h - 1.0 - (y + row as f64), line.clone());
                }
            }
        });
    frame.render_widget(canvas, c);
}

fn panel_lines(m: &RaftMetrics, selected: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(v) = m.nodes.get(selected) {
        let voted = v.voted_for.as_deref().unwrap_or("nobody");
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", v.name), theme.selected),
            Span::styled(
                format!("{} · t{} · voted {voted}", role_text(v, m.nodes.len()), v.term),
                theme.text,
            ),
        ]));
    }
    if m.network.partitioned {
        let sides: Vec<String> = m.network.sides.iter().map(|s| s.join(",")).collect();
        lines.push(Line::styled(format!("cut: {}", sides.join(" ✂ ")), theme.notice));
    }
    let candidates: Vec<&NodeView> = m
        .nodes
        .iter()
        .filter(|v| !v.crashed && v.role == Role::Candidate)
        .collect();
    let need = m.nodes.len() / 2 + 1;
    lines.push(Line::from(vec![
        Span::styled("Votes ", theme.title),
        Span::styled(
            format!("· {} of {} elections won", m.elections, m.candidacies),
            theme.dim,
        ),
    ]));
    if candidates.is_empty() {
        lines.push(Line::styled(" no election running", theme.dim));
    }
    for v in candidates {
        lines.push(Line::styled(
            format!(
                " {} t{}: {} of {} (needs {need}{})",
                v.name,
                v.term,
                v.votes,
                m.nodes.len(),
                if m.majority { "" } else { ", or none" }
            ),
            theme.text,
        ));
    }
    lines.push(Line::styled("Writes", theme.title));
    lines.push(Line::styled(
        format!(" committed {} · uncommitted {}", m.committed, m.uncommitted),
        theme.text,
    ));
    lines.push(Line::styled(
        format!(" refused {} · lost {}", m.rejected_writes, m.lost_writes),
        if m.lost_writes > 0 { theme.notice } else { theme.text },
    ));
    lines.push(Line::styled(
        format!(" conflicting {} · dropped {}", m.conflicting_writes, m.dropped_entries),
        if m.conflicting_writes > 0 {
            theme.notice
        } else {
            theme.dim
        },
    ));
    lines
}

/// Leaders by term, newest last, as many as fit after the panel's other lines.
fn terms_lines(r: &Raft, theme: &Theme, room: usize) -> Vec<Line<'static>> {
    if room < 2 {
        return Vec::new();
    }
    let terms = r.leaders_by_term();
    let mut lines = vec![Line::styled("Leaders by term", theme.title)];
    if terms.is_empty() {
        lines.push(Line::styled(" none yet", theme.dim));
    }
    let skip = terms.len().saturating_sub(room - 1);
    for t in terms.iter().skip(skip) {
        let who: Vec<String> = t
            .leaders
            .iter()
            .map(|(name, acks)| format!("{name} ({acks} acked)"))
            .collect();
        let style = if t.leaders.len() > 1 { theme.notice } else { theme.text };
        lines.push(Line::styled(format!(" t{}: {}", t.term, who.join(" + ")), style));
    }
    lines
}

fn panel_with_terms(r: &Raft, m: &RaftMetrics, selected: usize, theme: &Theme, rows: usize) -> Vec<Line<'static>> {
    let mut lines = panel_lines(m, selected, theme);
    let room = rows.saturating_sub(lines.len());
    lines.extend(terms_lines(r, theme, room));
    lines
}
