//! The queue lab's UI: the work queue as a pipe (ready line, in-flight, acked and dead-letter
//! bins, each consumer with the message it holds), or the log as partition lanes with offsets,
//! the group's cursors, lag per partition and the assignment; the sync-chain and push/pull
//! comparisons; a depth (or lag) chart over simulated time and the event log.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::timeline::{event_log, time_chart};
use crate::engines::lab::{Lab, Session};
use crate::engines::queue::chain::{self, STEPS};
use crate::engines::queue::log::Log;
use crate::engines::queue::push;
use crate::engines::queue::work::WorkQueue;
use crate::engines::queue::{Compare, Delivery, Queue};
use crate::engines::sim::LogEntry;
use crate::theme::Theme;
use crate::tui::keys::{hint, more, KeyHint};
use crate::tui::lab::{LabKey, LabUi};

pub const LEGEND: &[(&str, &str)] = &[
    ("ready", "messages waiting on the queue, oldest first"),
    (
        "in flight",
        "received by a consumer and not acked yet (invisible to the others)",
    ),
    (
        "acked / DLQ",
        "done for good / dead-lettered after its last allowed receive, with its attempts",
    ),
    (
        "● c1 m7 #2",
        "consumer c1 processing message 7, its second receive; ✗ is a crashed consumer",
    ),
    (
        "dup / double",
        "runs of an already processed message / side effects (charges) that ran twice",
    ),
    (
        "lane p0",
        "a partition: offsets from the log start to the end; ▲ is the group's read position",
    ),
    ("lag", "records in a partition past the group's committed offset"),
    (
        "idle",
        "a group member with no partition (more members than partitions)",
    ),
    (
        "⚠ in the log",
        "a duplicate side effect, a lost message or a record out of order for its key",
    ),
    (
        "chart",
        "queue depth (work) or total lag (log) over simulated time; the white line is now",
    ),
];

pub const HINTS: &[KeyHint] = &[
    hint("←→", "consumer"),
    hint("x", "crash before ack"),
    hint("a/d", "add/remove"),
    hint("z", "poison"),
    hint("l", "queue/log"),
    hint("e", "drain"),
    more(
        "X",
        "crash the selected consumer in the middle of its message; x again restarts it",
    ),
    more("s", "slow the selected consumer ×4 (again: back to normal)"),
    more("i", "idempotent consumer (dedupe by message id) on / off"),
    more("m", "delivery: at-least-once ↔ at-most-once"),
    more("o", "produce: 10 more tasks (queue) or 30 records (log)"),
    more("b", "rewind the group's offsets to the log start (replay)"),
    more("g", "subscribe one more consumer group to the topic (topic vs queue)"),
    more("c", "compare: the synchronous chain against the same work on a queue"),
    more(
        "D",
        "chain comparison: take the next step down (payment, inventory, email, web, db, none)",
    ),
    more("v", "compare: push against pull to a slow consumer"),
];

pub fn queue(lab: &dyn Lab) -> Option<&Queue> {
    lab.as_any().downcast_ref::<Session<Queue>>().map(|s| &s.engine)
}

pub struct QueueUi;

impl LabUi for QueueUi {
    fn hints(&self) -> &'static [KeyHint] {
        HINTS
    }

    fn legend(&self) -> &'static [(&'static str, &'static str)] {
        LEGEND
    }

    fn selectable(&self, lab: &dyn Lab) -> usize {
        match queue(lab) {
            Some(q) => match (q.work(), q.log()) {
                (Some(w), _) => w.consumers().len(),
                (_, Some(l)) => l.groups.first().map_or(0, |g| g.members.len()),
                _ => 0,
            },
            None => 0,
        }
    }

    fn on_key(&self, lab: &dyn Lab, selected: usize, key: KeyEvent) -> LabKey {
        let Some(q) = queue(lab) else {
            return LabKey::Unhandled;
        };
        // Keys every model shares first.
        match key.code {
            KeyCode::Char('l') => {
                let to = if q.work().is_some() { "log" } else { "work" };
                return LabKey::Action(format!("model {to}"));
            }
            KeyCode::Char('c') => {
                let open = matches!(q.compare, Some(Compare::Chain(_)));
                return LabKey::Action(if open { "compare off" } else { "compare chain" }.into());
            }
            KeyCode::Char('v') => {
                let open = matches!(q.compare, Some(Compare::Push { .. }));
                return LabKey::Action(if open { "compare off" } else { "compare push" }.into());
            }
            KeyCode::Char('D') => {
                let Some(Compare::Chain(c)) = &q.compare else {
                    return LabKey::Message("D takes a step of the checkout down: open the comparison with c".into());
                };
                return LabKey::Action(format!("down {}", next_down(c.down_now())));
            }
            _ => {}
        }
        if let Some(w) = q.work() {
            work_key(w, selected, key)
        } else if let Some(l) = q.log() {
            log_key(l, selected, key)
        } else {
            LabKey::Unhandled
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, selected: usize, theme: &Theme) {
        let Some(q) = queue(lab) else { return };
        let mut lines = match (q.work(), q.log()) {
            (Some(w), _) => work_lines(w, selected, usize::from(area.width), theme),
            (_, Some(l)) => log_lines(l, selected, usize::from(area.width), theme),
            _ => Vec::new(),
        };
        let mut top = match &q.compare {
            Some(Compare::Chain(c)) => chain_lines(c, q.now_ms() as f64, theme),
            Some(Compare::Push { started_ms }) => {
                push_lines(q.now_ms() as f64 - started_ms, usize::from(area.width), theme)
            }
            None => Vec::new(),
        };
        top.append(&mut lines);
        let lines = top;
        let top_h = (lines.len() as u16).min(area.height);
        frame.render_widget(Paragraph::new(lines), Rect { height: top_h, ..area });
        let rest = area.height.saturating_sub(top_h);
        if rest < 3 {
            return;
        }
        let chart_h = (rest / 2).clamp(3, 8);
        let chart = Rect {
            y: area.y + top_h,
            height: chart_h,
            ..area
        };
        let (series, color) = if q.work().is_some() {
            ("depth", Color::Cyan)
        } else {
            ("lag", Color::Yellow)
        };
        time_chart(frame, chart, lab, series, "msgs", color, theme);
        let log_area = Rect {
            y: chart.y + chart_h,
            height: rest - chart_h,
            ..area
        };
        let entries = match (q.work(), q.log()) {
            (Some(w), _) => w.log.entries(),
            (_, Some(l)) => l.log.entries(),
            _ => return,
        };
        // The model keeps its own clock from when the lab switched to it; show lab time.
        let offset = q.offset_ms() as f64;
        let shown: Vec<LogEntry> = entries
            .rev()
            .take(usize::from(log_area.height))
            .rev()
            .map(|e| LogEntry {
                at_ms: e.at_ms + offset,
                ..e.clone()
            })
            .collect();
        event_log(frame, log_area, shown.iter(), theme);
    }

    fn hit(&self, area: Rect, lab: &dyn Lab, _selected: usize, column: u16, row: u16) -> Option<usize> {
        let q = queue(lab)?;
        let compare_rows = match q.compare {
            Some(Compare::Chain(_)) => CHAIN_ROWS,
            Some(Compare::Push { .. }) => PUSH_ROWS,
            None => 0,
        };
        let first = area.y + compare_rows + if q.work().is_some() { 2 } else { 1 + log_lanes(q) };
        let n = self.selectable(lab);
        let inside = column >= area.x && column < area.x + area.width && row >= first;
        (inside && usize::from(row - first) < n).then(|| usize::from(row - first))
    }
}

/// The step the D key takes down after `now` (None: all up).
fn next_down(now: Option<usize>) -> &'static str {
    // Background steps first: they are the ones a queue shields the user from.
    const ORDER: [&str; 5] = ["payment", "inventory", "email", "web", "db"];
    match now.map(|i| STEPS[i].name) {
        None => ORDER[0],
        Some(name) => match ORDER.iter().position(|n| *n == name) {
            Some(i) if i + 1 < ORDER.len() => ORDER[i + 1],
            _ => "none",
        },
    }
}

fn work_key(w: &WorkQueue, selected: usize, key: KeyEvent) -> LabKey {
    let consumers = w.consumers();
    let Some(c) = consumers.get(selected.min(consumers.len().saturating_sub(1))) else {
        return LabKey::Unhandled;
    };
    let name = &c.name;
    let action = match key.code {
        KeyCode::Char('x') if !c.alive => format!("restart {name}"),
        KeyCode::Char('x') if c.crash_before_ack => {
            return LabKey::Message(format!("{name} already crashes right before its next ack"))
        }
        KeyCode::Char('x') => format!("crash-before-ack {name}"),
        KeyCode::Char('X') if !c.alive => format!("restart {name}"),
        KeyCode::Char('X') => format!("crash {name}"),
        KeyCode::Char('a') => "add".into(),
        KeyCode::Char('d') => {
            return LabKey::Message(
                "competing consumers share one queue, so there is nothing to rebalance: X stops one, a adds one".into(),
            )
        }
        KeyCode::Char('z') => "poison".into(),
        KeyCode::Char('e') => "drain".into(),
        KeyCode::Char('o') => "produce 10".into(),
        KeyCode::Char('s') => format!("slow {name} {}", if c.slowness == 1.0 { 4 } else { 1 }),
        KeyCode::Char('i') => format!("idempotent {}", if w.config.idempotent { "off" } else { "on" }),
        KeyCode::Char('m') => match w.config.delivery {
            Delivery::AtLeastOnce => "delivery at-most-once".into(),
            Delivery::AtMostOnce => "delivery at-least-once".into(),
        },
        KeyCode::Char('b' | 'g') => {
            return LabKey::Message("offsets and groups belong to the log: l switches to it".into())
        }
        _ => return LabKey::Unhandled,
    };
    LabKey::Action(action)
}

fn log_key(l: &Log, selected: usize, key: KeyEvent) -> LabKey {
    let members = l.groups.first().map(|g| g.members.as_slice()).unwrap_or_default();
    let member = members.get(selected.min(members.len().saturating_sub(1)));
    let need_member = || LabKey::Message("the group has no member: a adds one".into());
    let action =
        match key.code {
            KeyCode::Char('x' | 'X') => match member {
                Some(m) => format!("crash {}", m.id),
                None => return need_member(),
            },
            KeyCode::Char('d') => match member {
                Some(m) => format!("leave {}", m.id),
                None => return need_member(),
            },
            KeyCode::Char('a') => {
                let n = (1..)
                    .find(|i| !members.iter().any(|m| m.id == format!("c{i}")))
                    .unwrap_or(1);
                format!("join c{n}")
            }
            KeyCode::Char('s') => match member {
                Some(m) => format!("slow {} {}", m.id, if m.slowness == 1.0 { 4 } else { 1 }),
                None => return need_member(),
            },
            KeyCode::Char('b') => "rewind g1 earliest".into(),
            KeyCode::Char('o') => "produce 30".into(),
            KeyCode::Char('g') => format!("group g{} 1", l.groups.len() + 1),
            KeyCode::Char('z' | 'i' | 'm' | 'e') => return LabKey::Message(
                "poison messages, delivery modes, idempotency and draining belong to the work queue: l switches to it"
                    .into(),
            ),
            _ => return LabKey::Unhandled,
        };
    LabKey::Action(action)
}

fn style(theme: &Theme, color: Color) -> Style {
    if theme.monochrome() {
        theme.text
    } else {
        Style::new().fg(color)
    }
}

/// Message ids as `m1 m2 m3 …` in at most `width` columns.
fn ids(list: impl Iterator<Item = u64>, width: usize) -> String {
    let mut out = String::new();
    for id in list {
        let next = format!("m{id} ");
        if out.len() + next.len() + 1 > width {
            out.push('…');
            return out;
        }
        out.push_str(&next);
    }
    out
}

fn work_lines(w: &WorkQueue, selected: usize, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let m = w.metrics();
    let bad = |n: u64| {
        if n > 0 {
            theme.notice.add_modifier(Modifier::BOLD)
        } else {
            theme.text
        }
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!(
                "work queue · {} · idempotent {} ",
                m.delivery,
                if m.idempotent { "on" } else { "off" }
            ),
            theme.title,
        ),
        Span::styled(
            format!(
                "· depth {} (max {}) · drained {}",
                m.depth,
                m.depth_max,
                m.drain_ms.map_or("—".to_string(), |d| format!("{:.1} s", d / 1000.0))
            ),
            theme.dim,
        ),
    ])];
    let ready_w = width.saturating_sub(22).max(8);
    lines.push(Line::from(vec![
        Span::styled(format!("ready {:>5} ", m.ready), theme.text),
        Span::styled("▕ ", theme.dim),
        Span::styled(ids(w.ready_ids(), ready_w), style(theme, Color::Cyan)),
    ]));
    for (i, c) in w.consumers().iter().enumerate() {
        let sel = i == selected;
        let (mark, mark_style) = if c.alive {
            ("●", style(theme, Color::Green))
        } else {
            ("✗", theme.notice)
        };
        let holding = match c.current() {
            Some(id) => {
                let msg = &w.messages()[(id - 1) as usize];
                let poison = if msg.poison { " poison" } else { "" };
                format!("m{id} #{}{poison}", msg.attempts)
            }
            None if c.alive => "idle".into(),
            None => "down".into(),
        };
        let mut notes = Vec::new();
        if c.slowness != 1.0 {
            notes.push(format!("×{} slower", c.slowness));
        }
        if c.crash_before_ack && c.alive {
            notes.push("crashes before its next ack".into());
        }
        lines.push(Line::from(vec![
            Span::styled(if sel { "›" } else { " " }, theme.accent),
            Span::styled(format!("{:<4}", c.name), if sel { theme.selected } else { theme.text }),
            Span::styled(format!("{mark} "), mark_style),
            Span::styled(format!("{holding:<16}"), theme.text),
            Span::styled(format!("done {:>4}  {}", c.handled, notes.join(" · ")), theme.dim),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled(
            format!("in flight {} · retry wait {} · ", m.in_flight, m.delayed),
            theme.text,
        ),
        Span::styled(format!("acked {}", m.acked), style(theme, Color::Green)),
        Span::styled(format!(" · dup {}", m.duplicates), bad(m.duplicates)),
        Span::styled(format!(" · lost {}", m.lost), bad(m.lost)),
        Span::styled(
            format!(" · double {}", m.double_side_effects),
            bad(m.double_side_effects),
        ),
    ]));
    let dead: Vec<String> = m
        .dlq
        .iter()
        .map(|d| format!("m{} ({} tries)", d.id, d.attempts))
        .collect();
    let dlq = if dead.is_empty() {
        "empty".to_string()
    } else {
        dead.join(", ")
    };
    lines.push(Line::from(vec![
        Span::styled(format!("DLQ {} ", m.dlq.len()), bad(m.dlq.len() as u64)),
        Span::styled(dlq, theme.text),
    ]));
    lines
}

/// Rows the log view draws above its member list (for mouse hits).
fn log_lanes(q: &Queue) -> u16 {
    q.log().map_or(0, |l| lanes_shown(l.partitions.len()) as u16)
}

fn lanes_shown(partitions: usize) -> usize {
    partitions.min(8)
}

fn log_lines(l: &Log, selected: usize, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let m = l.metrics();
    let Some(g) = l.groups.first() else {
        return Vec::new();
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!(
                "log · {} · {} partitions · {} ",
                m.topic,
                m.partitions.len(),
                m.assignor
            ),
            theme.title,
        ),
        Span::styled(
            format!(
                "· keys {} · lag {} · out of order {}",
                m.keys, m.lag_total, m.ordering_violations
            ),
            theme.dim,
        ),
    ])];
    let lane_w = width.saturating_sub(40).clamp(6, 40);
    let end_max = l.partitions.iter().map(|p| p.end()).max().unwrap_or(0).max(1);
    let shown = lanes_shown(l.partitions.len());
    for (p, part) in l.partitions.iter().enumerate().take(shown) {
        let pos = g.position[p];
        let owner = g.owner[p].map_or("—".to_string(), |i| g.members[i].id.clone());
        // The lane spans offsets 0 … the longest partition's end: trimmed, read and unread.
        let cell = |o: u64| ((o as f64 / end_max as f64) * lane_w as f64).round() as usize;
        let (start_c, pos_c, end_c) = (cell(part.start), cell(pos).min(lane_w), cell(part.end()));
        let mut lane: Vec<char> = (0..lane_w)
            .map(|i| {
                if i < start_c {
                    ' '
                } else if i < pos_c {
                    '━'
                } else if i < end_c {
                    '░'
                } else {
                    '·'
                }
            })
            .collect();
        if let Some(c) = lane.get_mut(pos_c.min(lane_w - 1)) {
            *c = '▲';
        }
        let lag = m.lag.get(p).copied().unwrap_or(0);
        lines.push(Line::from(vec![
            Span::styled(format!("p{p:<2} "), theme.text),
            Span::styled(lane.into_iter().collect::<String>(), style(theme, Color::Yellow)),
            Span::styled(format!(" {}..{} ", part.start, part.end()), theme.dim),
            Span::styled(format!("{owner:<4}"), theme.text),
            Span::styled(
                format!(" @{pos} lag {lag}"),
                if lag > 0 { theme.notice } else { theme.dim },
            ),
        ]));
    }
    if shown < l.partitions.len() {
        // The last lane row says how many are not drawn, so hit rows stay where they are.
        if let Some(last) = lines.last_mut() {
            last.spans.push(Span::styled(
                format!("  (+{} more partitions)", l.partitions.len() - shown),
                theme.dim,
            ));
        }
    }
    for (i, member) in g.members.iter().enumerate() {
        let sel = i == selected;
        let owned: Vec<String> = g
            .owner
            .iter()
            .enumerate()
            .filter(|(_, o)| **o == Some(i))
            .map(|(p, _)| format!("p{p}"))
            .collect();
        let (text, st) = if owned.is_empty() {
            ("idle (no partition)".to_string(), theme.notice)
        } else {
            (owned.join(" "), theme.text)
        };
        let slow = if member.slowness != 1.0 {
            format!("  ×{} slower", member.slowness)
        } else {
            String::new()
        };
        lines.push(Line::from(vec![
            Span::styled(if sel { "›" } else { " " }, theme.accent),
            Span::styled(
                format!("{:<4}", member.id),
                if sel { theme.selected } else { theme.text },
            ),
            Span::styled(format!("→ {text}"), st),
            Span::styled(slow, theme.dim),
        ]));
    }
    let others: Vec<String> = m
        .groups
        .iter()
        .map(|g| format!("{} processed {} lag {}", g.name, g.processed, g.lag.iter().sum::<u64>()))
        .collect();
    lines.push(Line::from(vec![
        Span::styled(format!("produced {} · ", m.produced), theme.text),
        Span::styled(others.join(" · "), theme.dim),
    ]));
    lines
}

const CHAIN_ROWS: u16 = 5;

fn chain_lines(c: &chain::Chain, now: f64, theme: &Theme) -> Vec<Line<'static>> {
    let r = c.report(now);
    let bad = |n: u64| {
        if n > 0 {
            theme.notice.add_modifier(Modifier::BOLD)
        } else {
            theme.text
        }
    };
    let path = |filter: fn(&chain::Step) -> bool| {
        STEPS
            .iter()
            .filter(|s| filter(s))
            .map(|s| {
                if r.down == Some(s.name) {
                    format!("{} DOWN", s.name)
                } else {
                    format!("{} {}", s.name, s.ms)
                }
            })
            .collect::<Vec<_>>()
            .join(" → ")
    };
    vec![
        Line::from(vec![
            Span::styled("sync chain vs queue ", theme.title),
            Span::styled(
                format!(
                    "· {} checkouts/s · {} so far · down: {}",
                    chain::RATE,
                    r.requests,
                    r.down.unwrap_or("none")
                ),
                theme.dim,
            ),
        ]),
        Line::from(vec![
            Span::styled("sync  ", theme.accent),
            Span::styled(
                format!("{} = {} ms", path(|_| true), chain::sync_latency_ms()),
                theme.dim,
            ),
        ]),
        Line::from(vec![
            Span::styled(format!("      user waits {} · ", waited(r.sync_mean_ms)), theme.text),
            Span::styled(format!("errors {}", r.sync_errors), bad(r.sync_errors)),
        ]),
        Line::from(vec![
            Span::styled("queue ", theme.accent),
            Span::styled(
                format!(
                    "{} → publish {} = {} ms; the rest in workers",
                    path(|s| s.request_path),
                    chain::PUBLISH_MS,
                    chain::queue_latency_ms()
                ),
                theme.dim,
            ),
        ]),
        Line::from(vec![
            Span::styled(format!("      user waits {} · ", waited(r.queue_mean_ms)), theme.text),
            Span::styled(format!("errors {}", r.queue_errors), bad(r.queue_errors)),
            Span::styled(
                format!(
                    " · waiting {} · work done in {}",
                    r.queue_backlog,
                    waited(r.queue_end_to_end_ms)
                ),
                theme.dim,
            ),
        ]),
    ]
}

/// A mean latency, or a dash while none has been measured yet.
fn waited(ms: f64) -> String {
    if ms > 0.0 {
        format!("{ms:.0} ms")
    } else {
        "—".into()
    }
}

const PUSH_ROWS: u16 = 3;

fn push_lines(elapsed: f64, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let r = push::report(elapsed);
    let bar_w = width.saturating_sub(60).clamp(4, 20);
    let bar = |n: u64, of: usize| {
        let f = ((n as f64 / of as f64) * bar_w as f64).round() as usize;
        format!("{}{}", "█".repeat(f.min(bar_w)), "░".repeat(bar_w - f.min(bar_w)))
    };
    let bad = |n: u64| {
        if n > 0 {
            theme.notice.add_modifier(Modifier::BOLD)
        } else {
            theme.text
        }
    };
    vec![
        Line::from(vec![
            Span::styled("push vs pull ", theme.title),
            Span::styled(
                format!(
                    "· producer {}/s · slow consumer {}/s · {} sent",
                    push::RATE,
                    push::CONSUME_RATE,
                    r.sent
                ),
                theme.dim,
            ),
        ]),
        Line::from(vec![
            Span::styled("push  buffer ", theme.accent),
            Span::styled(bar(r.push_buffered, push::BUFFER), style(theme, Color::Cyan)),
            Span::styled(format!(" {}/{} · ", r.push_buffered, push::BUFFER), theme.text),
            Span::styled(format!("overflowed {}", r.push_overflowed), bad(r.push_overflowed)),
            Span::styled(format!(" · done {}", r.push_processed), theme.dim),
        ]),
        Line::from(vec![
            Span::styled("pull  holds  ", theme.accent),
            Span::styled(bar(r.pull_held, push::PREFETCH), style(theme, Color::Cyan)),
            Span::styled(
                format!(
                    " {}/{} · in the broker {} · lost 0",
                    r.pull_held,
                    push::PREFETCH,
                    r.pull_backlog
                ),
                theme.text,
            ),
            Span::styled(format!(" · done {}", r.pull_processed), theme.dim),
        ]),
    ]
}
