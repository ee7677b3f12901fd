//! The ring lab's widget and key map: the circle of hash points (or a range bar / directory
//! table), load per node against the ideal, and the keys that drive the ring engine.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Circle, Points};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::engines::lab::{Lab, Session};
use crate::engines::ring::{key_name, movement_line, Placement, Ring, RingMetrics, Strategy, ID_SPACE};
use crate::theme::Theme;
use crate::tui::keys::{hint, more, KeyHint};
use crate::tui::lab::{LabKey, LabUi};
use crate::tui::view::{grouped, truncate};
use unicode_width::UnicodeWidthStr;

/// What the numbers on the lab mean (shown under `?`).
pub const LEGEND: &[(&str, &str)] = &[
    (
        "max/mean",
        "the largest traffic of a node over its ideal share; 1.00 is perfectly even",
    ),
    (
        "sd",
        "standard deviation of per-node traffic over ideal share",
    ),
    (
        "fan-out",
        "nodes a scan of 100 consecutive ids (from the middle) must ask",
    ),
    (
        "│ in a bar",
        "the node's ideal share: its weight over the total weight, or an equal share where the strategy ignores weights",
    ),
    ("+N −M", "keys the node gained and lost in the last action"),
    (
        "moved",
        "keys whose owner changed in the last action, against the ideal",
    ),
    ("modulo", "what hash mod N would have moved for the same node change"),
];

pub const HINTS: &[KeyHint] = &[
    hint("a/d", "add/remove node"),
    hint("←→", "select"),
    hint("+/-", "weight"),
    hint("v/V", "vnodes"),
    hint("s", "strategy"),
    hint("/", "trace key"),
    more("k/K", "fewer / more keys (÷10, ×10)"),
    more("z", "traffic skew: uniform → Zipf 0.8 → 1.2"),
    more("c", "celebrity key with 30% of traffic, on / off"),
    more("i", "sequential / random ids"),
    more(
        "e",
        "rebalance: range — split the busiest range onto the emptiest node; directory — even out",
    ),
    more("click", "select a node in the load chart"),
];

/// The ring lab's UI, as the lab registry reaches it.
pub struct RingUi;

impl LabUi for RingUi {
    fn hints(&self) -> &'static [KeyHint] {
        HINTS
    }

    fn legend(&self) -> &'static [(&'static str, &'static str)] {
        LEGEND
    }

    fn selectable(&self, lab: &dyn Lab) -> usize {
        ring(lab).map_or(0, |r| r.config.nodes.len())
    }

    fn on_key(&self, lab: &dyn Lab, selected: usize, key: KeyEvent) -> LabKey {
        let Some(ring) = ring(lab) else {
            return LabKey::Unhandled;
        };
        if key.code == KeyCode::Char('/') {
            return LabKey::Prompt {
                label: "trace",
                command: "trace",
                initial: "user:".into(),
            };
        }
        match action_for(key, ring, selected) {
            Some(Ok(action)) => LabKey::Action(action),
            Some(Err(why)) => LabKey::Message(why),
            None => LabKey::Unhandled,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, selected: usize, theme: &Theme) {
        if let Some(ring) = ring(lab) {
            draw(frame, area, ring, selected, theme);
        }
    }

    fn hit(&self, area: Rect, lab: &dyn Lab, selected: usize, column: u16, row: u16) -> Option<usize> {
        node_at(area, ring(lab)?, selected, column, row)
    }
}

pub fn node_color(i: usize, theme: &Theme) -> Style {
    if theme.monochrome() {
        return theme.text;
    }
    Style::new().fg(theme.nodes[i % theme.nodes.len()])
}

pub fn ring(lab: &dyn Lab) -> Option<&Ring> {
    lab.as_any().downcast_ref::<Session<Ring>>().map(|s| &s.engine)
}

/// The next free name `nK`.
fn fresh_name(ring: &Ring) -> String {
    (1..)
        .map(|i| format!("n{i}"))
        .find(|n| ring.config.nodes.iter().all(|x| &x.name != n))
        .unwrap_or_default()
}

/// Turns a key into an engine action (as text), given the selected node; `Err` says why the
/// key does nothing (a setting already at its limit).
pub fn action_for(key: KeyEvent, ring: &Ring, selected: usize) -> Option<Result<String, String>> {
    let sel = ring
        .config
        .nodes
        .get(selected)
        .map(|n| n.name.clone())
        .unwrap_or_default();
    let c = &ring.config;
    let weight = ring.config.nodes.get(selected).map_or(1, |n| n.weight);
    // Said in the action's own words, as the line after an action reads ("› vnodes 1"), so the
    // learner sees the setting and why the key changed nothing.
    let at_limit = |what: &str, limit: String, max: bool| {
        Some(Err(format!(
            "› {what} {limit} · already the {}",
            if max { "maximum" } else { "minimum" }
        )))
    };
    let action = match key.code {
        KeyCode::Char('a') => format!("add {}", fresh_name(ring)),
        KeyCode::Char('d') => format!("remove {sel}"),
        KeyCode::Char('+') | KeyCode::Char('=') if weight >= MAX_WEIGHT => {
            return at_limit(&format!("weight {sel}"), MAX_WEIGHT.to_string(), true)
        }
        KeyCode::Char('-') if weight <= 1 => return at_limit(&format!("weight {sel}"), "1".into(), false),
        KeyCode::Char('v') if c.vnodes <= 1 => return at_limit("vnodes", "1".into(), false),
        KeyCode::Char('V') if c.vnodes >= MAX_VNODES => return at_limit("vnodes", MAX_VNODES.to_string(), true),
        KeyCode::Char('k') if c.keys <= MIN_KEYS => return at_limit("keys", grouped(MIN_KEYS), false),
        KeyCode::Char('K') if c.keys >= MAX_KEYS => return at_limit("keys", grouped(MAX_KEYS), true),
        KeyCode::Char('+') | KeyCode::Char('=') => format!(
            "weight {sel} {}",
            (ring.config.nodes.get(selected)?.weight + 1).min(MAX_WEIGHT)
        ),
        KeyCode::Char('-') => format!(
            "weight {sel} {}",
            ring.config.nodes.get(selected)?.weight.saturating_sub(1).max(1)
        ),
        KeyCode::Char('v') => format!("vnodes {}", (c.vnodes / 2).max(1)),
        KeyCode::Char('V') => format!("vnodes {}", (c.vnodes * 2).min(MAX_VNODES)),
        KeyCode::Char('s') => format!("strategy {}", c.strategy.next().name()),
        KeyCode::Char('k') => format!("keys {}", (c.keys / 10).max(MIN_KEYS)),
        KeyCode::Char('K') => format!("keys {}", (c.keys * 10).min(MAX_KEYS)),
        KeyCode::Char('z') => format!(
            "zipf {}",
            if c.zipf == 0.0 {
                0.8
            } else if c.zipf < 1.0 {
                1.2
            } else {
                0.0
            }
        ),
        KeyCode::Char('c') => format!("celebrity {}", if c.celebrity > 0.0 { 0 } else { 30 }),
        KeyCode::Char('i') => format!(
            "ids {}",
            if c.ids == crate::engines::ring::Ids::Sequential {
                "random"
            } else {
                "sequential"
            }
        ),
        KeyCode::Char('e') => "rebalance".to_string(),
        _ => return None,
    };
    Some(Ok(action))
}

/// The limits the keys step within (the engine's own ranges).
const MAX_WEIGHT: u32 = 100;
const MAX_VNODES: u32 = 1000;
const MIN_KEYS: usize = 10;
const MAX_KEYS: usize = 1_000_000;

/// Draws the ring lab into `area`.
/// The picture (circle, ranges or table) and, beside or below it, the load chart.
fn split(area: Rect) -> (Rect, Rect) {
    if area.width >= 2 * area.height + 20 {
        let w = (area.height * 2 + 4).min(area.width / 2);
        let [a, b] = Layout::horizontal([Constraint::Length(w), Constraint::Min(20)]).areas(area);
        (a, b)
    } else {
        let h = (area.height / 2).max(6);
        let [a, b] = Layout::vertical([Constraint::Length(h), Constraint::Min(4)]).areas(area);
        (a, b)
    }
}

/// The load chart's header (title, then the numbers on the same line when they fit), and how
/// many node rows fit under it with the legend and movement lines: what drawing and mouse
/// clicks both go by.
fn load_header(m: &RingMetrics, side: Rect) -> (String, String, bool, usize) {
    let title = format!("{} · {} keys", m.strategy, grouped(m.keys));
    let stats = format!(
        "max/mean {:.2} · sd {:.2} · fan-out {}",
        m.max_over_mean, m.stddev, m.fanout.nodes
    );
    let one_line = title.width() + 2 + stats.width() <= usize::from(side.width);
    let header_rows = if one_line { 1 } else { 2 };
    let rows = usize::from(side.height).saturating_sub(5 + header_rows).max(1);
    (title, stats, one_line, rows)
}

/// Which nodes the chart lists in `rows` lines, keeping the selected one in view: (first,
/// one past the last, whether a line saying how many more is needed). That line takes one of
/// the rows, unless only one row is left (then the selected node alone shows).
fn node_window(selected: usize, len: usize, rows: usize) -> (usize, usize, bool) {
    if len <= rows {
        return (0, len, false);
    }
    let shown = if rows >= 2 { rows - 1 } else { 1 };
    let (start, end) = crate::tui::view::list_window(selected.min(len - 1), len, shown);
    (start, end, rows >= 2)
}

/// "↑ 3 more · ↓ 4 more": the nodes the chart has no room for.
fn more_line(start: usize, end: usize, len: usize) -> String {
    let mut parts = Vec::new();
    if start > 0 {
        parts.push(format!("↑ {start} more"));
    }
    if end < len {
        parts.push(format!("↓ {} more", len - end));
    }
    format!(" {} (←→ select)", parts.join(" · "))
}

/// `+2,401 −37`: keys a node gained and lost in the last action (empty when none moved).
fn moves_text(gained: usize, lost: usize) -> String {
    let compact = |n: usize| {
        if n >= 100_000 {
            format!("{}k", n / 1000)
        } else {
            grouped(n)
        }
    };
    match (gained, lost) {
        (0, 0) => String::new(),
        (g, 0) => format!("+{}", compact(g)),
        (0, l) => format!("−{}", compact(l)),
        (g, l) => format!("+{} −{}", compact(g), compact(l)),
    }
}

/// The note under the bars: what `│` marks under this strategy, and the settings it ignores.
fn ideal_note(ring: &Ring) -> String {
    let strategy = ring.config.strategy;
    let n = ring.config.nodes.len();
    let mark = if strategy.uses_weights() {
        let total: u32 = ring.config.nodes.iter().map(|n| n.weight).sum();
        format!("│ marks each node's ideal share (its weight / {total})")
    } else {
        format!("│ marks each node's ideal share, 1/{n}")
    };
    match strategy.ignored() {
        Some(why) => format!("{mark} · {why}"),
        None => mark,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, ring: &Ring, selected: usize, theme: &Theme) {
    let m = ring.metrics();
    let (picture, side) = split(area);
    match ring.config.strategy {
        Strategy::Range => draw_ranges(frame, picture, ring, theme),
        Strategy::Directory => draw_directory(frame, picture, ring, theme),
        _ => draw_circle(frame, picture, ring, &m, theme),
    }
    draw_loads(frame, side, ring, &m, selected, theme);
}

/// At most this many keys are drawn, whatever the keyspace: a sample keeps a frame under budget.
const KEY_SAMPLE: usize = 400;

fn angle_of(point: u64, ketama: bool) -> f64 {
    let turn = if ketama {
        point as f64 / 4_294_967_296.0
    } else {
        point as f64 / 18_446_744_073_709_551_616.0
    };
    // Clockwise from twelve o'clock, as rings are usually drawn.
    std::f64::consts::FRAC_PI_2 - turn * std::f64::consts::TAU
}

fn draw_circle(frame: &mut Frame, area: Rect, ring: &Ring, m: &RingMetrics, theme: &Theme) {
    let n = ring.config.nodes.len();
    let ketama = ring.config.strategy == Strategy::Ketama;
    // Node points (ring and ketama only), grouped per node so each gets its colour.
    let mut node_points: Vec<Vec<(f64, f64)>> = vec![Vec::new(); n];
    if let Placement::Circle { points, .. } = &ring.placement {
        let step = (points.len() / 2000).max(1);
        for (p, node) in points.iter().step_by(step) {
            let a = angle_of(*p, ketama);
            node_points[usize::from(*node)].push((a.cos(), a.sin()));
        }
    }
    let mut key_points: Vec<Vec<(f64, f64)>> = vec![Vec::new(); n];
    let step = (ring.keys.len() / KEY_SAMPLE).max(1);
    for i in (0..ring.keys.len()).step_by(step) {
        let h = if ketama {
            ring.keys.ketama.as_ref().map_or(0, |k| u64::from(k[i]))
        } else {
            ring.keys.hash(i)
        };
        let a = angle_of(h, ketama);
        key_points[usize::from(ring.owners[i])].push((0.8 * a.cos(), 0.8 * a.sin()));
    }
    // The traced key and its clockwise walk to the owner's point.
    let mut walk: Vec<(f64, f64)> = Vec::new();
    if let (Some(t), Placement::Circle { points, .. }) = (m.traces.last(), &ring.placement) {
        let start = angle_of(t.hash, ketama);
        let i = points.partition_point(|(p, _)| *p < t.hash);
        let owner_point = points[if i == points.len() { 0 } else { i }].0;
        let mut end = angle_of(owner_point, ketama);
        if end > start {
            end -= std::f64::consts::TAU;
        }
        let steps = 40;
        for s in 0..=steps {
            let a = start + (end - start) * f64::from(s) / f64::from(steps);
            walk.push((0.6 * a.cos(), 0.6 * a.sin()));
        }
    }
    let titles = match ring.config.strategy {
        Strategy::Ring => vec![format!("ring · {} points", grouped(m.points))],
        Strategy::Ketama => vec![
            format!("ketama (libketama MD5) · {} points", grouped(m.points)),
            format!("ketama · {} points", grouped(m.points)),
        ],
        s => vec![format!("{} · keys by hash", s.name())],
    };
    let title = caption(&titles, area.width);
    let palette = theme.nodes;
    let circle = theme.dim.fg.unwrap_or(Color::Reset);
    let canvas = Canvas::default()
        .marker(ratatui::symbols::Marker::Braille)
        .x_bounds([-1.1, 1.1])
        .y_bounds([-1.1, 1.1])
        .paint(move |ctx| {
            ctx.draw(&Circle {
                x: 0.0,
                y: 0.0,
                radius: 1.0,
                color: circle,
            });
            ctx.layer();
            for (i, pts) in key_points.iter().enumerate() {
                ctx.draw(&Points {
                    coords: pts,
                    color: palette[i % palette.len()],
                });
            }
            for (i, pts) in node_points.iter().enumerate() {
                ctx.draw(&Points {
                    coords: pts,
                    color: palette[i % palette.len()],
                });
            }
            if !walk.is_empty() {
                ctx.layer();
                ctx.draw(&Points {
                    coords: &walk,
                    // The terminal's own text colour: white vanished on a light background.
                    color: Color::Reset,
                });
            }
        });
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(Line::styled(title, theme.dim)), head);
    frame.render_widget(canvas, body);
}

/// The first caption that fits `width` with a column to spare (so it never runs into the
/// chart's title beside it), else the last one cut.
fn caption(options: &[String], width: u16) -> String {
    let room = usize::from(width).saturating_sub(1);
    options
        .iter()
        .find(|t| t.width() <= room)
        .cloned()
        .unwrap_or_else(|| truncate(options.last().map_or("", String::as_str), room))
}

fn draw_ranges(frame: &mut Frame, area: Rect, ring: &Ring, theme: &Theme) {
    let counts = ring.range_key_counts();
    let top = match ring.config.ids {
        crate::engines::ring::Ids::Sequential => 2 * ring.config.keys as u64,
        crate::engines::ring::Ids::Random => ID_SPACE,
    };
    let width = usize::from(area.width.saturating_sub(2)).max(10);
    let title = caption(
        &["range · ordered id ranges".to_string(), "range".to_string()],
        area.width,
    );
    let mut lines = vec![Line::styled(title, theme.dim), Line::default()];
    // The id space as one bar, each cell coloured by the range that covers it.
    let mut bar = Vec::new();
    for c in 0..width {
        let id = (c as u64 * top) / width as u64;
        let r = ring.ranges.partition_point(|(s, _)| *s <= id).saturating_sub(1);
        let node = ring
            .config
            .nodes
            .iter()
            .position(|n| n.name == ring.ranges[r].1)
            .unwrap_or(0);
        bar.push(Span::styled("█", node_color(node, theme)));
    }
    lines.push(Line::from(bar));
    lines.push(Line::styled(format!("ids 0 … {top}"), theme.dim));
    lines.push(Line::default());
    for (i, (start, node)) in ring.ranges.iter().enumerate() {
        let end = ring
            .ranges
            .get(i + 1)
            .map_or("∞".to_string(), |r| (r.0 - 1).to_string());
        let ni = ring.config.nodes.iter().position(|n| &n.name == node).unwrap_or(0);
        lines.push(Line::from(vec![
            Span::styled(format!("{i:>2} "), theme.dim),
            Span::styled(format!("{start}…{end} "), theme.text),
            Span::styled(format!("→ {node} "), node_color(ni, theme)),
            Span::styled(format!("{} keys", grouped(counts[i])), theme.dim),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_directory(frame: &mut Frame, area: Rect, ring: &Ring, theme: &Theme) {
    let mut lines = vec![
        Line::styled(
            caption(
                &[
                    format!("directory · a table of {} entries", grouped(ring.directory.len())),
                    "directory".to_string(),
                ],
                area.width,
            ),
            theme.dim,
        ),
        Line::default(),
        Line::styled("key            → shard", theme.title),
    ];
    let rows = usize::from(area.height).saturating_sub(4);
    for i in 0..rows.min(ring.keys.len()) {
        let node = usize::from(ring.owners[i]);
        lines.push(Line::from(vec![
            Span::styled(format!("{:<14} ", key_name(ring.keys.id(i))), theme.text),
            Span::styled(format!("→ {}", ring.config.nodes[node].name), node_color(node, theme)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_loads(frame: &mut Frame, area: Rect, ring: &Ring, m: &RingMetrics, selected: usize, theme: &Theme) {
    let width = usize::from(area.width);
    let max_share = m
        .nodes
        .iter()
        .map(|n| n.share.max(n.ideal_share))
        .fold(0.0, f64::max)
        .max(1e-9);
    let name_w = m
        .nodes
        .iter()
        .map(|n| n.name.chars().count())
        .max()
        .unwrap_or(2)
        .min(14);
    let geo = ring.config.strategy == Strategy::Geo;
    let region = |n: &crate::engines::ring::NodeMetrics| format!(" {}", n.region.as_deref().unwrap_or("-"));
    let region_w = if geo {
        m.nodes.iter().map(|n| region(n).width()).max().unwrap_or(0)
    } else {
        0
    };
    let moves: Vec<String> = m.nodes.iter().map(|n| moves_text(n.keys_gained, n.keys_lost)).collect();
    let moves_w = moves
        .iter()
        .map(|t| t.width())
        .max()
        .map_or(0, |w| if w > 0 { w + 1 } else { 0 });
    let bar_w = width.saturating_sub(name_w + 22 + region_w + moves_w).max(4);
    let (title, stats, one_line, rows) = load_header(m, area);
    let mut lines = if one_line {
        vec![Line::from(vec![
            Span::styled(title, theme.title),
            Span::styled(format!("  {stats}"), theme.dim),
        ])]
    } else {
        vec![Line::styled(title, theme.title), Line::styled(stats, theme.dim)]
    };
    let (start, end, more) = node_window(selected, m.nodes.len(), rows);
    for (i, node) in m.nodes.iter().enumerate().take(end).skip(start) {
        let filled = ((node.share / max_share) * bar_w as f64).round() as usize;
        let ideal_at = (((node.ideal_share / max_share) * bar_w as f64).round() as usize).min(bar_w - 1);
        let mut bar = String::new();
        for c in 0..bar_w {
            bar.push(if c < filled {
                '█'
            } else if c == ideal_at {
                '│'
            } else {
                ' '
            });
        }
        let marker = if i == selected { "›" } else { " " };
        let mut spans = vec![
            Span::styled(marker, theme.accent),
            Span::styled(
                format!("{:<name_w$} ", truncate(&node.name, name_w)),
                if i == selected { theme.selected } else { theme.text },
            ),
            Span::styled(bar, node_color(i, theme)),
            Span::styled(format!(" {:>5.1}%", node.share * 100.0), theme.text),
            Span::styled(format!(" w{}", node.weight), theme.dim),
        ];
        if geo {
            spans.push(Span::styled(format!("{:<region_w$}", region(node)), theme.dim));
        }
        if !moves[i].is_empty() {
            spans.push(Span::styled(format!(" {}", moves[i]), theme.notice));
        }
        lines.push(Line::from(spans));
    }
    if more {
        lines.push(Line::styled(more_line(start, end, m.nodes.len()), theme.dim));
    }
    lines.push(Line::styled(ideal_note(ring), theme.dim));
    if let Some(line) = movement_line(m) {
        lines.push(Line::styled(line, theme.notice));
    }
    if let Some(c) = &m.celebrity {
        lines.push(Line::styled(
            format!(
                "celebrity {} ({:.0}% of traffic) lives on {}",
                c.key,
                c.share * 100.0,
                c.owner
            ),
            theme.text,
        ));
    }
    for t in m.traces.iter().rev().take(2) {
        lines.push(Line::styled(
            format!("{} → {} · replicas {}", t.key, t.owner, t.preference.join(", ")),
            theme.text,
        ));
    }
    // Bars fit the width by construction; the notes under them wrap rather than lose their end
    // (the movement line's "modulo would move …" above all).
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// Which node a click at (column, row) selects, when it lands on a row of the load chart.
pub fn node_at(area: Rect, ring: &Ring, selected: usize, column: u16, row: u16) -> Option<usize> {
    let (_, side) = split(area);
    let (_, _, one_line, rows) = load_header(&ring.metrics(), side);
    let first = side.y + if one_line { 1 } else { 2 };
    if column < side.x || column >= side.x + side.width || row < first {
        return None;
    }
    let (start, end, _) = node_window(selected, ring.config.nodes.len(), rows);
    let i = start + usize::from(row - first);
    (i < end).then_some(i)
}
