//! The geo-DNS lab's UI: each data center with its state (really up, and what the DNS believes
//! from its health checks) and its share of traffic, the shares over simulated time so the
//! shift after a failure shows as it happens, failed requests and the resolvers still holding
//! an answer that names a dead data center; keys to fail / restore one and set the DNS TTL
//! and check interval.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::timeline::event_log;
use crate::engines::geodns::GeoDns;
use crate::engines::lab::{Lab, Session};
use crate::theme::Theme;
use crate::tui::keys::{hint, KeyHint};
use crate::tui::lab::{LabKey, LabUi};

pub const LEGEND: &[(&str, &str)] = &[
    ("up / DOWN", "whether the data center really answers"),
    (
        "dns ok / dns out",
        "what the DNS believes from its last health check: it only answers with healthy ones",
    ),
    (
        "share",
        "the data center's share of requests in the latest 10 s of simulated time",
    ),
    (
        "stranded",
        "resolvers whose cached answer still names a data center that is down: their users fail until it expires",
    ),
    (
        "failed",
        "requests sent to a data center that was down, since the start",
    ),
    ("failover", "seconds from the failure to the last request that failed"),
    ("chart", "each data center's share of traffic per 10 s, in its colour"),
];

pub const HINTS: &[KeyHint] = &[
    hint("←→", "data center"),
    hint("f", "fail/restore"),
    hint("d", "DNS TTL 60/300 s"),
    hint("c", "check interval"),
];

/// Health-check intervals `c` steps through, seconds.
const INTERVALS: [f64; 3] = [10.0, 30.0, 5.0];

pub fn geodns(lab: &dyn Lab) -> Option<&GeoDns> {
    lab.as_any().downcast_ref::<Session<GeoDns>>().map(|s| &s.engine)
}

pub struct GeoDnsUi;

impl LabUi for GeoDnsUi {
    fn hints(&self) -> &'static [KeyHint] {
        HINTS
    }

    fn legend(&self) -> &'static [(&'static str, &'static str)] {
        LEGEND
    }

    fn selectable(&self, lab: &dyn Lab) -> usize {
        geodns(lab).map_or(0, GeoDns::dc_count)
    }

    fn on_key(&self, lab: &dyn Lab, selected: usize, key: KeyEvent) -> LabKey {
        let Some(g) = geodns(lab) else {
            return LabKey::Unhandled;
        };
        let names = g.dc_names();
        let Some(&name) = names.get(selected) else {
            return LabKey::Unhandled;
        };
        let action = match key.code {
            KeyCode::Char('f') if g.up[selected] => format!("fail {name}"),
            KeyCode::Char('f') => format!("restore {name}"),
            KeyCode::Char('d') => format!("dns-ttl {}", if g.config.dns_ttl_s == 60.0 { 300 } else { 60 }),
            KeyCode::Char('c') => {
                let next = INTERVALS
                    .iter()
                    .position(|&v| v == g.config.check_interval_s)
                    .map_or(INTERVALS[0], |i| INTERVALS[(i + 1) % INTERVALS.len()]);
                format!("check-interval {next}")
            }
            _ => return LabKey::Unhandled,
        };
        LabKey::Action(action)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, selected: usize, theme: &Theme) {
        if let Some(g) = geodns(lab) {
            draw(frame, area, g, selected, theme);
        }
    }

    fn hit(&self, area: Rect, lab: &dyn Lab, _selected: usize, column: u16, row: u16) -> Option<usize> {
        let g = geodns(lab)?;
        let first = area.y + 1;
        (column >= area.x && column < area.x + area.width && row >= first && usize::from(row - first) < g.dc_count())
            .then(|| usize::from(row - first))
    }
}

const COLORS: [Color; 6] = [
    Color::Cyan,
    Color::Yellow,
    Color::Magenta,
    Color::Green,
    Color::Blue,
    Color::Red,
];

fn color(theme: &Theme, i: usize) -> Color {
    if theme.monochrome() {
        Color::Reset
    } else {
        COLORS[i % COLORS.len()]
    }
}

fn bar(share: f64, width: usize) -> String {
    let f = (share.clamp(0.0, 1.0) * width as f64).round() as usize;
    format!("{}{}", "█".repeat(f), "░".repeat(width - f))
}

fn draw(frame: &mut Frame, area: Rect, g: &GeoDns, selected: usize, theme: &Theme) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let failover = g
        .failover_s()
        .map_or(String::new(), |s| format!(" · failover {s:.0} s"));
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!(
                "DNS TTL {} s · checks {} s ",
                g.config.dns_ttl_s, g.config.check_interval_s
            ),
            theme.title,
        ),
        Span::styled(
            format!(
                "· failed {} · stranded {:.0}%{failover}",
                g.total.failed_requests,
                g.stranded_share() * 100.0
            ),
            if g.stranded_share() > 0.0 {
                theme.notice
            } else {
                theme.dim
            },
        ),
    ])];
    // The slot under way may hold a handful of requests; the newest with 50 says more.
    let last = g
        .shares_over_time
        .iter()
        .rev()
        .find(|s| s.iter().sum::<u64>() >= 50)
        .or(g.shares_over_time.last());
    let total: u64 = last.map_or(0, |s| s.iter().sum());
    let bar_w = usize::from(area.width).saturating_sub(42).clamp(4, 30);
    for (d, name) in g.dc_names().iter().enumerate() {
        let sel = d == selected;
        let share = last.map_or(0.0, |s| s[d] as f64 / total.max(1) as f64);
        lines.push(Line::from(vec![
            Span::styled(if sel { "›" } else { " " }, theme.accent),
            Span::styled(format!("{name:<13}"), if sel { theme.selected } else { theme.text }),
            Span::styled(
                format!("{:<5}", if g.up[d] { "up" } else { "DOWN" }),
                if g.up[d] { theme.text } else { theme.notice },
            ),
            Span::styled(
                format!("{:<9}", if g.healthy[d] { "dns ok" } else { "dns out" }),
                theme.dim,
            ),
            Span::styled(bar(share, bar_w), Style::new().fg(color(theme, d))),
            Span::styled(format!(" {:>3.0}%", share * 100.0), theme.text),
        ]));
    }
    lines.push(Line::styled(
        format!(
            "writes not replicated when a data center failed: {} (missing at the survivors)",
            g.unreplicated_writes
        ),
        theme.dim,
    ));
    let top_h = (lines.len() as u16).min(area.height);
    frame.render_widget(Paragraph::new(lines), Rect { height: top_h, ..area });
    let rest = area.height.saturating_sub(top_h);
    if rest < 3 {
        return;
    }
    let chart_h = (rest / 2).clamp(3, 14);
    let chart = Rect {
        y: area.y + top_h,
        height: chart_h,
        ..area
    };
    share_chart(frame, chart, g, theme);
    let log = Rect {
        y: chart.y + chart_h,
        height: rest - chart_h,
        ..area
    };
    event_log(frame, log, g.log.entries(), theme);
}

/// Each data center's share per 10 s slot as a line; at most two points per column, so a long
/// run costs the same to draw.
fn share_chart(frame: &mut Frame, area: Rect, g: &GeoDns, theme: &Theme) {
    if area.height < 3 || area.width < 10 {
        return;
    }
    frame.render_widget(
        Paragraph::new(Line::styled("share of traffic per data center, per 10 s", theme.title)),
        Rect { height: 1, ..area },
    );
    let body = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    let slots = &g.shares_over_time;
    let step = (slots.len() / (2 * usize::from(area.width))).max(1);
    let n = g.dc_count();
    let series: Vec<(Color, Vec<(f64, f64)>)> = (0..n)
        .map(|d| {
            let pts = slots
                .iter()
                .enumerate()
                .step_by(step)
                .map(|(i, s)| {
                    let t: u64 = s.iter().sum();
                    (i as f64 * 10.0, s[d] as f64 / t.max(1) as f64)
                })
                .collect();
            (color(theme, d), pts)
        })
        .collect();
    let t_max = (slots.len().saturating_sub(1) as f64 * 10.0).max(10.0);
    let canvas = Canvas::default()
        .marker(ratatui::symbols::Marker::Braille)
        .x_bounds([0.0, t_max])
        .y_bounds([0.0, 1.0])
        .paint(move |ctx| {
            for (c, pts) in &series {
                for w in pts.windows(2) {
                    ctx.draw(&CanvasLine {
                        x1: w[0].0,
                        y1: w[0].1,
                        x2: w[1].0,
                        y2: w[1].1,
                        color: *c,
                    });
                }
            }
        });
    frame.render_widget(canvas, body);
}
