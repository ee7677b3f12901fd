//! The cost lab's UI: both monthly bills at the current load, and both cost curves over load as
//! bars, the current load marked, so the break-even and the ceiling can be seen.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::engines::autoscale::cost_lab::CostLab;
use crate::engines::lab::{Lab, Session};
use crate::theme::Theme;
use crate::tui::keys::{hint, KeyHint};
use crate::tui::lab::{LabKey, LabUi};
use crate::tui::view::grouped;

pub const LEGEND: &[(&str, &str)] = &[
    (
        "V bar",
        "the smallest machine on the price list that carries that load, per month",
    ),
    (
        "H bar",
        "enough small servers for that load plus the balancer, per month",
    ),
    ("›", "the load you set"),
    (
        "no machine",
        "past the largest machine's capacity only horizontal remains",
    ),
];

pub const HINTS: &[KeyHint] = &[hint("+/-", "load ±500 req/s")];

/// How much one key moves the load, requests per second.
const STEP: f64 = 500.0;

pub fn cost_lab(lab: &dyn Lab) -> Option<&CostLab> {
    lab.as_any().downcast_ref::<Session<CostLab>>().map(|s| &s.engine)
}

pub struct CostUi;

impl LabUi for CostUi {
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
        let Some(c) = cost_lab(lab) else {
            return LabKey::Unhandled;
        };
        let load = c.input.load;
        match key.code {
            KeyCode::Char('+') | KeyCode::Char('=') => LabKey::Action(format!("load {}", load + STEP)),
            KeyCode::Char('-') if load <= 0.0 => LabKey::Message("load 0 · already the minimum".into()),
            KeyCode::Char('-') => LabKey::Action(format!("load {}", (load - STEP).max(0.0))),
            _ => LabKey::Unhandled,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, _selected: usize, theme: &Theme) {
        if let Some(c) = cost_lab(lab) {
            draw(frame, area, c, theme);
        }
    }

    fn hit(&self, _area: Rect, _lab: &dyn Lab, _selected: usize, _column: u16, _row: u16) -> Option<usize> {
        None
    }
}

fn money(x: f64) -> String {
    format!("${}", grouped(x.round() as usize))
}

fn bar(value: f64, max: f64, width: usize) -> String {
    let n = ((value / max.max(1.0)) * width as f64).round() as usize;
    "█".repeat(n.min(width))
}

fn draw(frame: &mut Frame, area: Rect, c: &CostLab, theme: &Theme) {
    let r = &c.report;
    let rps = |x: f64| format!("{} req/s", grouped(x.round() as usize));
    let mut lines = vec![
        // The break-even shows once the load is past it: a lesson asks for it as a prediction.
        Line::styled(
            format!(
                "load {} · small server {}{} · ceiling {}",
                rps(r.load),
                grouped(r.per_server.round() as usize),
                if r.load > r.break_even_load {
                    format!(" · break-even {}", grouped(r.break_even_load.round() as usize))
                } else {
                    String::new()
                },
                rps(r.vertical.ceiling)
            ),
            theme.title,
        ),
        match (&r.vertical.tier, r.vertical.cost) {
            (Some(tier), Some(cost)) => Line::styled(
                format!(
                    "vertical   one {tier} machine {}/month · it is a single point of failure",
                    money(cost)
                ),
                theme.text,
            ),
            _ => Line::styled(
                "vertical   no machine on the price list carries this load",
                theme.notice,
            ),
        },
        Line::styled(
            format!(
                "horizontal {} small server{} + balancer {}/month{}",
                r.horizontal.servers,
                if r.horizontal.servers == 1 { "" } else { "s" },
                money(r.horizontal.cost),
                if r.horizontal.spof {
                    " · one server: no redundancy"
                } else {
                    ""
                }
            ),
            theme.text,
        ),
        Line::styled(format!("cheaper at this load: {}", r.cheaper), theme.accent),
        Line::default(),
    ];
    let rows = usize::from(area.height).saturating_sub(lines.len());
    let points: Vec<_> = r.curve.iter().take(rows.min(16)).collect();
    let max = points
        .iter()
        .map(|p| p.vertical.unwrap_or(0.0).max(p.horizontal))
        .fold(0.0, f64::max);
    let bar_w = usize::from(area.width).saturating_sub(40).clamp(4, 40) / 2;
    for p in points {
        // Costs are constant on each step ((k−1)·per_server, k·per_server]: the row of the step
        // the load falls in.
        let here = (r.load > p.load - r.per_server && r.load <= p.load) || (r.load <= 0.0 && p.load <= r.per_server);
        let v = match p.vertical {
            Some(v) => format!("V {:<bar_w$} {:>7}", bar(v, max, bar_w), money(v)),
            None => format!("V {:<bar_w$} {:>7}", "no machine", ""),
        };
        let h = format!("H {:<bar_w$} {:>7}", bar(p.horizontal, max, bar_w), money(p.horizontal));
        lines.push(Line::from(vec![
            Span::styled(if here { "›" } else { " " }, theme.accent),
            Span::styled(
                format!("{:>12} ", rps(p.load)),
                if here { theme.selected } else { theme.dim },
            ),
            Span::styled(v, if p.vertical.is_some() { theme.text } else { theme.dim }),
            Span::styled("  ", theme.dim),
            Span::styled(h, theme.text),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
