//! The replication lab's UI: the primary and its replicas with binlog positions as bars, writes
//! travelling along the links as dots, the clients' last operations, a lag chart over simulated
//! time and the event log; keys for faults, failover, modes and routing.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::timeline::{event_log, time_chart};
use crate::engines::lab::{Lab, Session};
use crate::engines::replication::{Mode, Replication};
use crate::theme::Theme;
use crate::tui::keys::{hint, more, KeyHint};
use crate::tui::lab::{LabKey, LabUi};

pub const LEGEND: &[(&str, &str)] = &[
    ("head", "the primary's binlog position: its newest write"),
    ("bar", "how much of the primary's binlog a replica has applied"),
    ("• on a link", "a write on its way to that replica"),
    ("lag", "age of the oldest write the replica has not applied yet"),
    (
        "STALE",
        "a read that returned an older value than the newest committed one",
    ),
    (
        "⚠ in the log",
        "a broken guarantee (stale read, lost write, split brain…) and its cause",
    ),
    (
        "chart",
        "the largest replica lag over simulated time; the white line is now",
    ),
];

pub const HINTS: &[KeyHint] = &[
    hint("←→", "select node"),
    hint("x", "crash/restart"),
    hint("1/2", "write/read"),
    hint("P", "partition/heal"),
    hint("f", "promote"),
    hint("m", "mode"),
    hint("o", "routing"),
    more("d", "the selected replica's delay: fixed 50 ms → exp 300 ms → exp 1 s"),
    more("F", "automatic failover (heartbeats) on / off"),
    more("k", "fencing of a replaced primary on / off"),
    more("L", "background load: off → 10 writes + 100 reads/s → 100 + 1,000/s"),
    more("s", "take a snapshot (the nightly backup)"),
    more("D", "a bad write: delete all rows"),
    more(
        "R",
        "restore: the snapshot alone, or snapshot + binlog up to a time (ms)",
    ),
];

pub fn replication(lab: &dyn Lab) -> Option<&Replication> {
    lab.as_any().downcast_ref::<Session<Replication>>().map(|s| &s.engine)
}

/// Node indices in the order the lab lists them: the primary first, then the others.
fn order(r: &Replication) -> Vec<usize> {
    let n = r.replicas().len() + 1;
    std::iter::once(r.primary())
        .chain((0..n).filter(|&i| i != r.primary()))
        .collect()
}

fn next_letter(r: &Replication) -> char {
    let n = r.head() as usize;
    (b'a' + (n % 26) as u8) as char
}

pub struct ReplicationUi;

impl LabUi for ReplicationUi {
    fn hints(&self) -> &'static [KeyHint] {
        HINTS
    }

    fn legend(&self) -> &'static [(&'static str, &'static str)] {
        LEGEND
    }

    fn selectable(&self, lab: &dyn Lab) -> usize {
        replication(lab).map_or(0, |r| r.replicas().len() + 1)
    }

    fn on_key(&self, lab: &dyn Lab, selected: usize, key: KeyEvent) -> LabKey {
        let Some(r) = replication(lab) else {
            return LabKey::Unhandled;
        };
        let nodes = order(r);
        let sel = nodes.get(selected).copied().unwrap_or(r.primary());
        let name = r.node_name(sel).to_string();
        let is_primary = sel == r.primary();
        let views = r.replicas();
        let view = views.iter().find(|v| v.name == name);
        let action = match key.code {
            KeyCode::Char('x') => {
                let up = if is_primary {
                    r.primary_up()
                } else {
                    view.is_some_and(|v| v.up)
                };
                match (up, is_primary) {
                    (true, true) => "crash primary".to_string(),
                    (true, false) => format!("crash {name}"),
                    (false, _) => format!("restart {name}"),
                }
            }
            KeyCode::Char('1') => format!("write email={}", next_letter(r)),
            KeyCode::Char('2') => "read email".to_string(),
            KeyCode::Char('P') => {
                if r.primary_partitioned() {
                    "heal".to_string()
                } else {
                    "partition primary".to_string()
                }
            }
            KeyCode::Char('f') if is_primary => "promote auto".to_string(),
            KeyCode::Char('f') => format!("promote {name}"),
            KeyCode::Char('F') => format!("failover {}", if r.auto_failover() { "manual" } else { "auto" }),
            KeyCode::Char('k') => {
                let on = lab.metrics()["fencing"].as_bool().unwrap_or(false);
                format!("fencing {}", if on { "off" } else { "on" })
            }
            KeyCode::Char('m') => match r.mode() {
                Mode::Async => "mode semisync 1".to_string(),
                Mode::Semisync => "mode sync".to_string(),
                Mode::Sync => "mode async".to_string(),
            },
            KeyCode::Char('o') => {
                let next = match r.routing().as_str() {
                    "primary" => "random".to_string(),
                    "random" => "round-robin".to_string(),
                    "round-robin" => "pinned".to_string(),
                    "pinned" => "ryw-token".to_string(),
                    "ryw-token" => "primary-after-write:500".to_string(),
                    _ => "primary".to_string(),
                };
                format!("routing {next}")
            }
            KeyCode::Char('d') if !is_primary => {
                let next = match view.map(|v| v.delay.as_str()) {
                    Some(d) if d.starts_with("fixed") => "exp:300",
                    Some(d) if d.contains("300") => "exp:1000",
                    _ => "fixed:50",
                };
                format!("delay {name} {next}")
            }
            KeyCode::Char('L') => {
                let m = lab.metrics();
                let reads = m["load_reads_per_s"].as_f64().unwrap_or(0.0);
                if reads <= 0.0 {
                    "load 10 100".to_string()
                } else if reads < 500.0 {
                    "load 100 1000".to_string()
                } else {
                    "load 0 0".to_string()
                }
            }
            KeyCode::Char('s') => "snapshot".to_string(),
            KeyCode::Char('D') => "delete all".to_string(),
            KeyCode::Char('R') => {
                return LabKey::Prompt {
                    label: "restore (snapshot, or pitr MS)",
                    command: "restore",
                    initial: "pitr ".into(),
                }
            }
            _ => return LabKey::Unhandled,
        };
        LabKey::Action(action)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, selected: usize, theme: &Theme) {
        if let Some(r) = replication(lab) {
            draw(frame, area, lab, r, selected, theme);
        }
    }

    fn hit(&self, area: Rect, lab: &dyn Lab, _selected: usize, column: u16, row: u16) -> Option<usize> {
        let r = replication(lab)?;
        let first = area.y + 1;
        let n = r.replicas().len() + 1;
        (column >= area.x && column < area.x + area.width && row >= first && usize::from(row - first) < n)
            .then(|| usize::from(row - first))
    }
}

fn bar(filled: f64, width: usize) -> String {
    let f = (filled.clamp(0.0, 1.0) * width as f64).round() as usize;
    let mut s = "█".repeat(f);
    s.push_str(&"░".repeat(width - f));
    s
}

/// A link of `width` cells with a dot for every write in flight, placed by how far along its
/// one-way delay it is.
fn link(r: &Replication, to: usize, width: usize) -> String {
    let mut cells = vec!['─'; width];
    let now = r.now_ms();
    for f in r.in_flight().iter().filter(|f| f.to == to) {
        let sent = r.sent_ms(f.pos).unwrap_or(now);
        let span = (f.arrive_ms - sent).max(1e-9);
        let at = ((now - sent) / span).clamp(0.0, 1.0);
        let i = ((at * (width.saturating_sub(1)) as f64).round() as usize).min(width - 1);
        cells[i] = '•';
    }
    if let Some(last) = cells.last_mut() {
        if *last == '─' {
            *last = '▶';
        }
    }
    cells.into_iter().collect()
}

fn draw(frame: &mut Frame, area: Rect, lab: &dyn Lab, r: &Replication, selected: usize, theme: &Theme) {
    let w = usize::from(area.width);
    let m = lab.metrics();
    let mode = match r.mode() {
        Mode::Semisync if r.fallen_back() => format!("semisync {} (fell back to async)", r.acks()),
        Mode::Semisync => format!("semisync {}", r.acks()),
        other => other.name().to_string(),
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{mode} · reads {} ", r.routing()), theme.title),
        Span::styled(
            format!(
                "· head {} · lost {} · stale {} · anomalies {}",
                r.head(),
                m["lost_writes"],
                m["stale_reads"],
                m["anomaly_count"]
            ),
            theme.dim,
        ),
    ])];
    let nodes = order(r);
    let head = f64::from(r.head()).max(1.0);
    let link_w = (w / 6).clamp(6, 16);
    let bar_w = w.saturating_sub(link_w + 34).clamp(4, 30);
    let views = r.replicas();
    for (row, &i) in nodes.iter().enumerate() {
        let name = r.node_name(i).to_string();
        let sel = row == selected;
        let marker = Span::styled(if sel { "›" } else { " " }, theme.accent);
        let name_style = if sel { theme.selected } else { theme.text };
        if i == r.primary() {
            let state = match (r.primary_up(), r.primary_partitioned()) {
                (false, _) => "DOWN",
                (true, true) => "cut off from replicas",
                (true, false) => "primary",
            };
            lines.push(Line::from(vec![
                marker,
                Span::styled(format!("{name:<3}"), name_style),
                Span::styled(format!(" {:<w$}", state, w = link_w), theme.accent),
                Span::styled(bar(1.0, bar_w), node_style(theme, Color::Cyan)),
                Span::styled(format!(" {:>5}", r.head()), theme.text),
                Span::styled(format!("  {} pending", m["pending_writes"]), theme.dim),
            ]));
            continue;
        }
        let Some(v) = views.iter().find(|v| v.name == name) else {
            continue;
        };
        let (link_text, link_style) = if !v.up {
            (
                "  down ".to_string() + &" ".repeat(link_w.saturating_sub(7)),
                theme.notice,
            )
        } else if v.partitioned {
            (format!("{:─<w$}", "─ ✂ cut ", w = link_w), theme.notice)
        } else {
            (link(r, i, link_w), theme.dim)
        };
        let lag_style = if v.lag_ms > 1000.0 { theme.notice } else { theme.text };
        lines.push(Line::from(vec![
            marker,
            Span::styled(format!("{name:<3}"), name_style),
            Span::styled(format!(" {link_text}"), link_style),
            Span::styled(bar(f64::from(v.applied) / head, bar_w), node_style(theme, Color::Green)),
            Span::styled(format!(" {:>5}", v.applied), theme.text),
            Span::styled(format!("  lag {:>6.0} ms", v.lag_ms), lag_style),
            Span::styled(format!("  {}", v.delay), theme.dim),
        ]));
    }
    let ops: Vec<_> = r.recent_ops().rev().take(2).collect();
    for op in ops.iter().rev() {
        let text = op.text(r);
        let style = if text.contains("STALE") || text.contains("FAILED") {
            theme.notice.add_modifier(Modifier::BOLD)
        } else {
            theme.text
        };
        lines.push(Line::styled(text, style));
    }
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
    time_chart(frame, chart, lab, "max_lag_ms", "ms", Color::Yellow, theme);
    let log = Rect {
        y: chart.y + chart_h,
        height: rest - chart_h,
        ..area
    };
    event_log(frame, log, r.event_log().entries(), theme);
}

fn node_style(theme: &Theme, color: Color) -> Style {
    if theme.monochrome() {
        theme.text
    } else {
        Style::new().fg(color)
    }
}
