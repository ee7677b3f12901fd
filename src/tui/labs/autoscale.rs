//! The auto-scaling group's UI: the time of day, traffic and the group's size, the cost so far
//! and the minutes in breach of the p99 target, then charts of instances, CPU (with the policy's
//! thresholds) and p99 (with the target) over simulated time, and the event log; keys for the
//! policy, the traffic curve, a spike, a scheduled pre-scale and the group's size.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::timeline::{short, time_chart, time_chart_with_levels};
use crate::engines::autoscale::{Autoscaler, Curve, ScalingPolicy};
use crate::engines::lab::{Lab, Session};
use crate::theme::Theme;
use crate::tui::keys::{hint, more, KeyHint};
use crate::tui::lab::{LabKey, LabUi};

pub const LEGEND: &[(&str, &str)] = &[
    (
        "hh:mm",
        "simulated time of day; one second of playback at ×1 is ten minutes",
    ),
    (
        "in service",
        "instances serving; warming ones are paid for but serve nobody yet",
    ),
    ("desired", "the size the policy (or a schedule) asked for"),
    (
        "cpu chart",
        "average CPU of the latest minute at each clock step; dashed lines are the policy's thresholds",
    ),
    (
        "p99 chart",
        "the latest minute's 99th percentile response time at each clock step; dashed: the target",
    ),
    ("in breach", "minutes whose p99 was above the target"),
    ("cost", "instance-hours so far at the price per hour, warm-up included"),
    (
        "policies (o)",
        "target 60% → target 70% → step (70/80/90% add 1/2/5) → simple (80% adds 2)",
    ),
    (
        "curves (c)",
        "steady 10K/min → daily cycle → Black Friday → steady 500K/min",
    ),
    ("spike (f)", "three times the traffic for ten minutes"),
    (
        "pre-scale (P)",
        "at least 150 instances from 07:30 to 12:00, then the old minimum",
    ),
    ("⚠ in the log", "a broken guarantee"),
];

pub const HINTS: &[KeyHint] = &[
    hint("o", "policy"),
    hint("c", "traffic curve"),
    hint("f", "spike ×3"),
    hint("P", "pre-scale"),
    hint("+/-", "desired ±5"),
    more("W", "instance warm-up: 120 s → 300 s → 0 s"),
];

pub fn autoscaler(lab: &dyn Lab) -> Option<&Autoscaler> {
    lab.as_any().downcast_ref::<Session<Autoscaler>>().map(|s| &s.engine)
}

const POLICIES: [&str; 4] = ["target:60", "target:70", "step:70=+1,80=+2,90=+5", "simple:80=+2"];

fn next_policy(p: &ScalingPolicy) -> &'static str {
    let name = p.name();
    let i = POLICIES
        .iter()
        .position(|q| ScalingPolicy::parse(q).is_ok_and(|q| q.name() == name));
    match i {
        Some(i) => POLICIES[(i + 1) % POLICIES.len()],
        None => POLICIES[0],
    }
}

fn next_curve(c: &Curve) -> &'static str {
    match c {
        Curve::Steady(r) if *r < 100_000.0 => "daily",
        Curve::Daily => "blackfriday",
        Curve::BlackFriday => "steady:500000",
        Curve::Steady(_) => "steady:10000",
    }
}

/// `08:42` (and the day after the first).
fn clock(t: u64) -> String {
    let day = t / 86_400;
    let s = t % 86_400;
    let hm = format!("{:02}:{:02}", s / 3600, (s / 60) % 60);
    if day > 0 {
        format!("day {} {hm}", day + 1)
    } else {
        hm
    }
}

pub struct AutoscaleUi;

impl LabUi for AutoscaleUi {
    fn hints(&self) -> &'static [KeyHint] {
        HINTS
    }

    fn legend(&self) -> &'static [(&'static str, &'static str)] {
        LEGEND
    }

    fn selectable(&self, _lab: &dyn Lab) -> usize {
        0
    }

    fn on_key(&self, lab: &dyn Lab, _selected: usize, key: KeyEvent) -> LabKey {
        let Some(a) = autoscaler(lab) else {
            return LabKey::Unhandled;
        };
        let c = &a.config;
        let action = match key.code {
            KeyCode::Char('o') => format!("policy {}", next_policy(&c.policy)),
            KeyCode::Char('c') => format!("curve {}", next_curve(&c.curve)),
            KeyCode::Char('f') => "spike 3 600".to_string(),
            KeyCode::Char('P') if a.time_s() % 86_400 >= 7 * 3600 + 1800 => {
                return LabKey::Message("07:30 has passed today: r resets to midnight".into())
            }
            KeyCode::Char('P') if c.max < 150 => {
                return LabKey::Message(format!("max is {}: a pre-scale to 150 needs max ≥ 150", c.max))
            }
            KeyCode::Char('P') => "prescale 07:30-12:00 150".to_string(),
            KeyCode::Char('+') if a.desired() >= c.max => {
                return LabKey::Message(format!("desired is at max {}", c.max))
            }
            KeyCode::Char('+') => format!("desired {}", (a.desired() + 5).min(c.max)),
            KeyCode::Char('-') if a.desired() <= c.min => {
                return LabKey::Message(format!("desired is at min {}", c.min))
            }
            KeyCode::Char('-') => format!("desired {}", a.desired().saturating_sub(5).max(c.min)),
            KeyCode::Char('W') => {
                let next = match c.warmup_s {
                    0 => 120,
                    w if w < 300 => 300,
                    _ => 0,
                };
                format!("warmup {next}")
            }
            _ => return LabKey::Unhandled,
        };
        LabKey::Action(action)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, _selected: usize, theme: &Theme) {
        if let Some(a) = autoscaler(lab) {
            draw(frame, area, lab, a, theme);
        }
    }
}

const HEADER_ROWS: u16 = 3;

fn draw(frame: &mut Frame, area: Rect, lab: &dyn Lab, a: &Autoscaler, theme: &Theme) {
    if area.width < 20 || area.height < 4 {
        frame.render_widget(Paragraph::new(Line::styled("widen the lab pane", theme.dim)), area);
        return;
    }
    let s = a.summary();
    let c = &a.config;
    let last = a.minutes.last();
    let cpu = last.map_or(0.0, |m| m.cpu);
    let p99 = last.map_or(0.0, |m| m.p99_ms);
    let spike = a.load_now() > c.curve.rate(a.time_s()) + 0.5;
    let mut first = vec![
        Span::styled(format!("{} · {} ", s.policy, s.curve), theme.title),
        Span::styled(
            format!(
                "· {} · traffic {}/min{}",
                clock(a.time_s()),
                short(a.load_now()),
                if spike { " (spike)" } else { "" }
            ),
            theme.dim,
        ),
    ];
    if a.backlog() >= 1.0 {
        first.push(Span::styled(format!(" · backlog {}", short(a.backlog())), theme.notice));
    }
    first.push(Span::styled(
        format!(
            " · peak {} · {} scaling{}",
            s.max_instances,
            s.scaling_actions,
            if s.scaling_actions == 1 { "" } else { "s" }
        ),
        theme.dim,
    ));
    let breach_style = if s.sla_breach_minutes > 0 {
        theme.notice.add_modifier(Modifier::BOLD)
    } else {
        theme.text
    };
    let second = Line::from(vec![
        Span::styled(
            format!(
                "in service {} · warming {} · desired {} ({}–{})",
                a.in_service(),
                a.warming(),
                a.desired(),
                c.min,
                c.max
            ),
            theme.text,
        ),
        Span::styled(format!(" · CPU {cpu:.0}% · p99 {} ms", short(p99)), theme.text),
    ]);
    let third = Line::from(vec![
        Span::styled(format!("cost ${:.2}", s.cost), theme.accent),
        Span::styled(format!(" (fixed at peak ${:.2})", s.cost_fixed_at_peak), theme.dim),
        Span::styled(
            format!(" · in breach {} min (p99 > {} ms)", s.sla_breach_minutes, c.sla_ms),
            breach_style,
        ),
    ]);
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), second, third]),
        Rect {
            height: HEADER_ROWS.min(area.height),
            ..area
        },
    );
    let rest = area.height.saturating_sub(HEADER_ROWS);
    if rest < 3 {
        return;
    }
    let log_h = if rest >= 14 { (rest / 5).clamp(2, 6) } else { 0 };
    let charts_h = rest - log_h;
    let top = area.y + HEADER_ROWS;
    let thresholds = c.policy.thresholds();
    let sla = [c.sla_ms];
    let charts: [(&str, &str, Color, &[f64]); 3] = [
        ("instances", "", Color::Cyan, &[]),
        ("cpu", "%", Color::Green, &thresholds),
        ("p99_ms", "ms", Color::Yellow, &sla),
    ];
    if area.width >= 100 {
        let w = area.width / 3;
        for (i, (name, unit, color, levels)) in charts.iter().enumerate() {
            let r = Rect {
                x: area.x + w * i as u16,
                y: top,
                width: if i == 2 {
                    area.width - 2 * w
                } else {
                    w.saturating_sub(1)
                },
                height: charts_h,
            };
            chart(frame, r, lab, name, unit, *color, levels, theme);
        }
    } else {
        // Each chart needs three rows; a short pane keeps the first ones.
        let shown = usize::from(charts_h / 3).clamp(1, 3);
        let h = charts_h / shown as u16;
        for (i, (name, unit, color, levels)) in charts.iter().take(shown).enumerate() {
            let r = Rect {
                y: top + h * i as u16,
                height: h,
                ..area
            };
            chart(frame, r, lab, name, unit, *color, levels, theme);
        }
    }
    if log_h > 0 {
        let log = Rect {
            y: top + charts_h,
            height: log_h,
            ..area
        };
        day_log(frame, log, a, theme);
    }
}

/// The event log with times of day: `t=47880.00 s` says nothing on a day-long run, `13:18` does.
fn day_log(frame: &mut Frame, area: Rect, a: &Autoscaler, theme: &Theme) {
    let rows = usize::from(area.height);
    let mut lines: Vec<Line> = a
        .log
        .entries()
        .rev()
        .take(rows)
        .map(|e| {
            let style = if e.anomaly {
                theme.notice.add_modifier(Modifier::BOLD)
            } else {
                theme.text
            };
            Line::from(vec![
                Span::styled(format!("{:>8} ", clock((e.at_ms / 1000.0) as u64)), theme.dim),
                Span::styled(if e.anomaly { "⚠ " } else { "  " }, style),
                Span::styled(e.text.clone(), style),
            ])
        })
        .collect();
    lines.reverse();
    frame.render_widget(Paragraph::new(lines), area);
}

#[allow(clippy::too_many_arguments)]
fn chart(
    frame: &mut Frame,
    r: Rect,
    lab: &dyn Lab,
    name: &str,
    unit: &str,
    color: Color,
    levels: &[f64],
    theme: &Theme,
) {
    if levels.is_empty() {
        time_chart(frame, r, lab, name, unit, color, theme);
    } else {
        time_chart_with_levels(frame, r, lab, name, unit, color, levels, theme);
    }
}
