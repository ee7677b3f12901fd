//! The load balancer's UI: the balancer on the left, its servers as columns with queue bars,
//! utilisation, requests and failures, a crashed server flashing while the health check has
//! not caught it yet, the latency against queueing theory, a chart over simulated time and the
//! event log; keys to add, remove, crash and slow servers and to change the routing.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::timeline::{event_log, short, time_chart};
use crate::engines::balancer::{Balancer, BalancerMetrics, Health, Policy, ServerMetrics, SessionStore};
use crate::engines::lab::{Lab, Session};
use crate::theme::Theme;
use crate::tui::keys::{hint, more, KeyHint};
use crate::tui::lab::{LabKey, LabUi};

pub const LEGEND: &[(&str, &str)] = &[
    (
        "LB",
        "the balancer and its routing policy; each • on a server is one of the last six requests it took",
    ),
    (
        "column",
        "one server: its queue bar (requests in service and waiting), then numbers",
    ),
    ("util", "share of time the server was busy since the start"),
    ("req / fail", "requests sent to the server, and those that failed there"),
    (
        "✗ FAILING",
        "the server is down but still in rotation: the health check has not caught it yet",
    ),
    ("out", "down and out of rotation (the health check caught it)"),
    ("new", "up, waiting to pass the health check before it gets traffic"),
    ("slow×k", "the server takes k times as long per request"),
    (
        "load",
        "arrival rate over the capacity of the servers up; 1 or more is unstable",
    ),
    (
        "theory",
        "what queueing theory predicts for this setting, where a model applies",
    ),
    (
        "chart",
        "99th percentile response time over simulated time; the white line is now",
    ),
    ("⚠ in the log", "a request sent to a dead server, or a user logged out"),
];

pub const HINTS: &[KeyHint] = &[
    hint("←→", "select server"),
    hint("a/d", "add/remove"),
    hint("x", "crash/revive"),
    hint("s", "slow ×4/×10"),
    hint("o", "algorithm"),
    hint("e", "sessions"),
    hint("f", "spike ×3"),
    more("+/-", "arrival rate up / down by 5 requests a second"),
    more(
        "v/V",
        "scale up / down: every server twice / half as fast (service rate μ ×2 / ÷2)",
    ),
    more("c", "health check: every 5 s ×2 → 10 s ×3 → 30 s ×2 → off"),
    more("W", "the selected server's weight (for wrr): 1 → 2 → 3 → 1"),
    more("click", "select a server"),
];

pub fn balancer(lab: &dyn Lab) -> Option<&Balancer> {
    lab.as_any().downcast_ref::<Session<Balancer>>().map(|s| &s.engine)
}

/// Servers the lab shows and selects among: those not removed, in order.
fn live(b: &Balancer) -> Vec<usize> {
    (0..b.servers.len()).filter(|&i| !b.servers[i].removed).collect()
}

/// The next policy `o` moves to, in the order the lessons meet them.
fn next_policy(p: Policy) -> Policy {
    let all = Policy::all();
    let i = all.iter().position(|&x| x == p).unwrap_or(0);
    all[(i + 1) % all.len()]
}

pub struct BalancerUi;

impl LabUi for BalancerUi {
    fn hints(&self) -> &'static [KeyHint] {
        HINTS
    }

    fn legend(&self) -> &'static [(&'static str, &'static str)] {
        LEGEND
    }

    fn selectable(&self, lab: &dyn Lab) -> usize {
        balancer(lab).map_or(0, |b| live(b).len())
    }

    fn on_key(&self, lab: &dyn Lab, selected: usize, key: KeyEvent) -> LabKey {
        let Some(b) = balancer(lab) else {
            return LabKey::Unhandled;
        };
        let servers = live(b);
        let sel = servers.get(selected).map(|&i| &b.servers[i]);
        let name = sel.map_or_else(String::new, |s| s.name.clone());
        let action = match key.code {
            KeyCode::Char('a') => "add".to_string(),
            KeyCode::Char('d') if servers.len() <= 1 => {
                return LabKey::Message("the last server cannot be removed".into())
            }
            KeyCode::Char('d') => format!("remove {name}"),
            KeyCode::Char('x') => match sel {
                Some(s) if s.up => format!("crash {name}"),
                _ => format!("revive {name}"),
            },
            KeyCode::Char('s') => {
                let next = match sel.map_or(1.0, |s| s.slow) {
                    k if k < 4.0 => 4,
                    k if k < 10.0 => 10,
                    _ => 1,
                };
                format!("slow {name} {next}")
            }
            KeyCode::Char('W') => {
                let w = sel.map_or(1, |s| s.weight);
                format!("weight {name} {}", if w >= 3 { 1 } else { w + 1 })
            }
            KeyCode::Char('o') => format!("policy {}", next_policy(b.config.policy).name()),
            KeyCode::Char('e') => {
                let next = match b.config.store() {
                    SessionStore::Memory => "shared",
                    SessionStore::Shared => "jwt",
                    SessionStore::Jwt => "memory",
                };
                format!("sessions {next}")
            }
            KeyCode::Char('f') => "spike 3 30".to_string(),
            KeyCode::Char('v') => format!("service {}", b.config.service * 2.0),
            KeyCode::Char('V') if b.config.service <= 1.0 => {
                return LabKey::Message("μ is 1 request a second: the smallest machine here".into())
            }
            KeyCode::Char('V') => format!("service {}", b.config.service / 2.0),
            KeyCode::Char('+') => format!("arrival {}", b.config.arrival + 5.0),
            KeyCode::Char('-') if b.config.arrival <= 0.0 => return LabKey::Message("no traffic already".into()),
            KeyCode::Char('-') => format!("arrival {}", (b.config.arrival - 5.0).max(0.0)),
            KeyCode::Char('c') => {
                let h = b.config.health;
                let next = if h.interval_s == 0.0 {
                    "health 5 2"
                } else if (h.interval_s, h.unhealthy) == (5.0, 2) {
                    "health 10 3"
                } else if (h.interval_s, h.unhealthy) == (10.0, 3) {
                    "health 30 2"
                } else {
                    "health off"
                };
                next.to_string()
            }
            _ => return LabKey::Unhandled,
        };
        LabKey::Action(action)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, selected: usize, theme: &Theme) {
        if let Some(b) = balancer(lab) {
            draw(frame, area, lab, b, selected, theme);
        }
    }

    fn hit(&self, area: Rect, lab: &dyn Lab, selected: usize, column: u16, row: u16) -> Option<usize> {
        let b = balancer(lab)?;
        let l = layout(area, live(b).len(), selected);
        if row < l.columns_top || row >= l.columns_top + l.columns_height || column < l.first_x {
            return None;
        }
        let k = usize::from((column - l.first_x) / l.col_w);
        (k < l.shown).then_some(l.offset + k)
    }
}

/// Where the server columns go, shared by drawing and clicks.
struct Layout {
    /// Left edge of the first server column.
    first_x: u16,
    col_w: u16,
    /// How many columns fit, and the first server shown (so the selected one is always shown).
    shown: usize,
    offset: usize,
    columns_top: u16,
    columns_height: u16,
}

const HEADER_ROWS: u16 = 3;
const LB_W: u16 = 9;
/// Rows of a column below its queue bar: state, util, req, fail.
const NUMBER_ROWS: u16 = 4;

fn layout(area: Rect, servers: usize, selected: usize) -> Layout {
    let col_w: u16 = 10;
    let first_x = area.x + LB_W.min(area.width);
    let mut fit = usize::from(area.width.saturating_sub(LB_W) / col_w).max(1);
    if servers > fit {
        // Room for the `11–16/40` that says more servers are off screen.
        fit = usize::from(area.width.saturating_sub(LB_W + 10) / col_w).max(1);
    }
    let shown = fit.min(servers);
    let offset = if selected >= shown { selected + 1 - shown } else { 0 };
    let rest = area.height.saturating_sub(HEADER_ROWS);
    // The queue bar gets what the chart and log leave; the columns take about half the rest.
    let columns_height = (rest / 2 + 2).clamp(NUMBER_ROWS + 4, NUMBER_ROWS + 9).min(rest);
    Layout {
        first_x,
        col_w,
        shown,
        offset,
        columns_top: area.y + HEADER_ROWS.min(area.height),
        columns_height,
    }
}

fn draw(frame: &mut Frame, area: Rect, lab: &dyn Lab, b: &Balancer, selected: usize, theme: &Theme) {
    if area.width < 20 || area.height < 4 {
        frame.render_widget(Paragraph::new(Line::styled("widen the lab pane", theme.dim)), area);
        return;
    }
    let m = b.metrics();
    let header = header_lines(&m, b, theme);
    frame.render_widget(
        Paragraph::new(header),
        Rect {
            height: HEADER_ROWS.min(area.height),
            ..area
        },
    );
    let ids = live(b);
    let l = layout(area, ids.len(), selected);
    let cols = Rect {
        y: l.columns_top,
        height: l.columns_height,
        ..area
    };
    frame.render_widget(Paragraph::new(column_lines(b, &m, &ids, &l, selected, theme)), cols);
    let below = cols.y + cols.height;
    let rest = (area.y + area.height).saturating_sub(below);
    if rest < 3 {
        return;
    }
    let chart_h = (rest / 2).clamp(3, 8);
    time_chart(
        frame,
        Rect {
            y: below,
            height: chart_h,
            ..area
        },
        lab,
        "p99_ms",
        "ms",
        Color::Yellow,
        theme,
    );
    event_log(
        frame,
        Rect {
            y: below + chart_h,
            height: rest - chart_h,
            ..area
        },
        b.log.entries(),
        theme,
    );
}

fn header_lines(m: &BalancerMetrics, b: &Balancer, theme: &Theme) -> Vec<Line<'static>> {
    let first = vec![
        Span::styled(format!("{} · sessions {} ", m.policy, m.sessions), theme.title),
        Span::styled(
            format!(
                "· λ {} req/s · μ {} req/s × {} server{} · load {:.2}",
                m.arrival,
                m.service,
                m.servers,
                if m.servers == 1 { "" } else { "s" },
                m.offered_load.min(99.0)
            ),
            theme.dim,
        ),
    ];
    let failed_style = if m.failed > 0 { theme.notice } else { theme.text };
    let second = Line::from(vec![
        Span::styled(format!("requests {}", m.requests), theme.text),
        Span::styled(format!(" · failed {}", m.failed), failed_style),
        Span::styled(format!(" · to dead {}", m.requests_to_dead_server), failed_style),
        Span::styled(
            format!(" · logged out {}", m.sessions_lost),
            if m.sessions_lost > 0 { theme.notice } else { theme.text },
        ),
        Span::styled(
            format!(
                " · p50 {} · p99 {} ms",
                short(m.response_ms.p50),
                short(m.response_ms.p99)
            ),
            theme.text,
        ),
    ]);
    let health = b.config.health;
    let checks = if health.interval_s > 0.0 {
        format!(
            "health check every {} s: out after {} fails, in after {}",
            health.interval_s, health.unhealthy, health.healthy
        )
    } else {
        "health checks off".to_string()
    };
    let third = match m.theory {
        Some(t) => format!(
            "{checks} · theory ({}): response {} ms{}",
            t.model,
            short(t.response_ms),
            t.p_wait.map_or(String::new(), |p| format!(", waits {:.0}%", p * 100.0))
        ),
        None => checks,
    };
    let mut third = vec![Span::styled(third, theme.dim)];
    if !m.stable {
        third.insert(
            0,
            Span::styled("unstable (λ ≥ C·μ) · ", theme.notice.add_modifier(Modifier::BOLD)),
        );
    }
    vec![Line::from(first), second, Line::from(third)]
}

fn column_lines(
    b: &Balancer,
    m: &BalancerMetrics,
    ids: &[usize],
    l: &Layout,
    selected: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let w = usize::from(l.col_w);
    let rows = usize::from(l.columns_height);
    let bar_rows = rows.saturating_sub(usize::from(NUMBER_ROWS) + 2);
    let shown: Vec<(usize, &ServerMetrics)> = ids
        .iter()
        .enumerate()
        .skip(l.offset)
        .take(l.shown)
        .map(|(k, &i)| (k, &m.per_server[i]))
        .collect();
    // Bars share one scale so columns compare; at least 4 so one request is not a full bar.
    let scale = shown.iter().map(|(_, s)| s.busy + s.queued).max().unwrap_or(0).max(4);
    // Flashes twice a simulated second, so a paused lab shows one phase and snapshots are stable.
    let flash_on = (b.now() / 500_000).is_multiple_of(2);
    let mut lines: Vec<Vec<Span<'static>>> = vec![Vec::new(); rows];
    let lb_w = usize::from(LB_W);
    let lb_rows = [
        "┌─────┐".to_string(),
        "│ LB  │".to_string(),
        format!("│{:^5}│", truncate(m.policy, 5)),
        "└──┬──┘".to_string(),
    ];
    for (r, line) in lines.iter_mut().enumerate() {
        let text = match r {
            0 => String::new(),
            1..=4 => lb_rows[r - 1].clone(),
            _ if r == rows - 1 && b.shared_queue() > 0 => format!("queue {}", b.shared_queue()),
            _ => "   │".to_string(),
        };
        line.push(Span::styled(format!("{text:<lb_w$}"), theme.accent));
    }
    for (k, s) in &shown {
        let sel = *k == selected;
        let style_name = if sel { theme.selected } else { theme.title };
        let mut cells: Vec<(String, Style)> = Vec::with_capacity(rows);
        // One dot per recent request this server took: as the clock runs they move from server
        // to server the way the policy spreads the traffic.
        let dots = "•".repeat(b.recently_routed_to(&s.name).min(3));
        cells.push((
            format!(
                "{}{}{dots:<3}",
                if sel { "›" } else { " " },
                truncate(&s.name, w.saturating_sub(5).max(1))
            ),
            style_name,
        ));
        let failing = !s.up && s.in_rotation;
        let (state, state_style) = if failing {
            if flash_on {
                ("✗ FAILING".to_string(), theme.notice.add_modifier(Modifier::BOLD))
            } else {
                ("✗".to_string(), theme.notice)
            }
        } else if !s.up {
            ("down·out".to_string(), theme.notice)
        } else if s.draining {
            ("draining".to_string(), theme.dim)
        } else if !s.in_rotation && s.health == Health::Unhealthy {
            ("new".to_string(), theme.dim)
        } else if s.slow > 1.0 {
            (format!("slow×{}", s.slow), theme.notice)
        } else {
            ("up".to_string(), theme.done)
        };
        cells.push((state, state_style));
        let conns = s.busy + s.queued;
        let filled = if conns == 0 {
            0
        } else {
            ((conns as f64 / scale as f64) * bar_rows as f64).ceil() as usize
        };
        let bar_color = node_style(theme, if s.up { Color::Cyan } else { Color::Red });
        for r in 0..bar_rows {
            let from_bottom = bar_rows - r;
            if r == 0 && conns > 0 {
                cells.push((format!("{:>4}", format!("{}+{}", s.busy, s.queued)), theme.dim));
            } else if from_bottom <= filled {
                cells.push(("  ████".to_string(), bar_color));
            } else {
                cells.push(("  ░░░░".to_string(), theme.dim));
            }
        }
        cells.push((format!("{:>3.0}% util", s.utilisation * 100.0), theme.text));
        cells.push((format!("{} req", count(s.requests)), theme.text));
        let fail_style = if failing && flash_on {
            theme.notice.add_modifier(Modifier::BOLD)
        } else if s.failed > 0 {
            theme.notice
        } else {
            theme.dim
        };
        cells.push((format!("{} fail", count(s.failed)), fail_style));
        if s.weight != 1 {
            cells.push((format!("w {}", s.weight), theme.dim));
        }
        for (r, line) in lines.iter_mut().enumerate() {
            let (text, style) = cells.get(r).cloned().unwrap_or_default();
            line.push(Span::styled(format!("{:<w$}", truncate(&text, w - 1)), style));
        }
    }
    if ids.len() > l.shown {
        if let Some(line) = lines.get_mut(0) {
            line.push(Span::styled(
                format!("{}–{}/{}", l.offset + 1, l.offset + l.shown, ids.len()),
                theme.dim,
            ));
        }
    }
    lines.into_iter().map(Line::from).collect()
}

/// A count in at most five characters: exact below 10,000.
fn count(n: u64) -> String {
    if n < 10_000 {
        n.to_string()
    } else {
        short(n as f64)
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn node_style(theme: &Theme, color: Color) -> Style {
    if theme.monochrome() {
        theme.text
    } else {
        Style::new().fg(color)
    }
}
