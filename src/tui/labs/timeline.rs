//! Widgets every timed lab shares: a chart of one sampled metric over simulated time with the
//! scrub position marked, and the event log in which anomalies stand out.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::engines::lab::Lab;
use crate::engines::sim::LogEntry;
use crate::theme::Theme;

/// The chart's points: at most two per column, so a frame costs the same after a long run.
fn points(lab: &dyn Lab, series: usize, columns: usize) -> Vec<(f64, f64)> {
    let samples = lab.samples();
    let step = (samples.len() / (2 * columns.max(1))).max(1);
    let mut out: Vec<(f64, f64)> = samples
        .iter()
        .step_by(step)
        .filter_map(|s| Some((s.time_ms as f64, *s.values.get(series)?)))
        .collect();
    if let Some(last) = samples.last() {
        if let Some(v) = last.values.get(series) {
            if out.last().map(|p| p.0) != Some(last.time_ms as f64) {
                out.push((last.time_ms as f64, *v));
            }
        }
    }
    out
}

/// A line chart of sampled metric `series` (by its name) over the whole history: the part up to
/// the state on screen in `color`, the part scrubbed back over dimmed, and a marker at now.
/// `unit` follows the numbers in the title (`ms`, `%`, …).
pub fn time_chart(frame: &mut Frame, area: Rect, lab: &dyn Lab, name: &str, unit: &str, color: Color, theme: &Theme) {
    time_chart_with_levels(frame, area, lab, name, unit, color, &[], theme);
}

/// `time_chart` with horizontal dashed lines at `levels` (a policy's thresholds, a target),
/// kept inside the y range even when the data stay below them.
#[allow(clippy::too_many_arguments)]
pub fn time_chart_with_levels(
    frame: &mut Frame,
    area: Rect,
    lab: &dyn Lab,
    name: &str,
    unit: &str,
    color: Color,
    levels: &[f64],
    theme: &Theme,
) {
    if area.height < 3 || area.width < 10 {
        return;
    }
    let Some(series) = lab.series_names().iter().position(|n| *n == name) else {
        return;
    };
    let pts = points(lab, series, usize::from(area.width));
    let (at, _) = lab.history();
    let now_sample = lab.samples().get(at);
    let now_t = now_sample.map_or(0.0, |s| s.time_ms as f64);
    let now_v = now_sample.and_then(|s| s.values.get(series).copied()).unwrap_or(0.0);
    let t_max = pts.last().map_or(1.0, |p| p.0).max(1.0);
    let data_max = pts.iter().map(|p| p.1).fold(0.0, f64::max);
    let v_max = levels.iter().copied().fold(data_max, f64::max).max(1e-9);
    let levels = levels.to_vec();
    let title = Line::from(vec![
        Span::styled(format!("{name} "), theme.title),
        Span::styled(
            format!("now {} {unit} · max {} {unit}", short(now_v), short(data_max)),
            theme.dim,
        ),
    ]);
    let head = Rect { height: 1, ..area };
    frame.render_widget(Paragraph::new(title), head);
    let body = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    let (past, dim) = if theme.monochrome() {
        (Color::Reset, Color::Reset)
    } else {
        (color, Color::DarkGray)
    };
    let canvas = Canvas::default()
        .marker(ratatui::symbols::Marker::Braille)
        .x_bounds([0.0, t_max])
        .y_bounds([0.0, v_max * 1.05])
        .paint(move |ctx| {
            for &y in &levels {
                // Dashed, so the level reads as a rule rather than data.
                let n = 40;
                for i in (0..n).step_by(2) {
                    ctx.draw(&CanvasLine {
                        x1: t_max * i as f64 / n as f64,
                        y1: y,
                        x2: t_max * (i + 1) as f64 / n as f64,
                        y2: y,
                        color: dim,
                    });
                }
            }
            for w in pts.windows(2) {
                let c = if w[1].0 <= now_t { past } else { dim };
                ctx.draw(&CanvasLine {
                    x1: w[0].0,
                    y1: w[0].1,
                    x2: w[1].0,
                    y2: w[1].1,
                    color: c,
                });
            }
            ctx.draw(&CanvasLine {
                x1: now_t,
                y1: 0.0,
                x2: now_t,
                y2: v_max * 1.05,
                color: if past == Color::Reset {
                    Color::Reset
                } else {
                    Color::White
                },
            });
        });
    frame.render_widget(canvas, body);
}

/// A number in at most about five characters: 0.42, 12.3, 812, 4.1k, 2.3M.
pub fn short(x: f64) -> String {
    let a = x.abs();
    if a >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// The newest events that fit, newest last, as `t=1.25 s  text`; anomalies marked `⚠` and bold
/// in the notice colour so they stand out of a busy log.
pub fn event_log<'a>(
    frame: &mut Frame,
    area: Rect,
    entries: impl DoubleEndedIterator<Item = &'a LogEntry>,
    theme: &Theme,
) {
    let rows = usize::from(area.height);
    if rows == 0 {
        return;
    }
    let mut lines: Vec<Line> = entries
        .rev()
        .take(rows)
        .map(|e| {
            let (mark, style) = if e.anomaly {
                ("⚠ ", theme.notice.add_modifier(Modifier::BOLD))
            } else {
                ("  ", theme.text)
            };
            Line::from(vec![
                Span::styled(format!("t={:>7.2} s ", e.at_ms / 1000.0), theme.dim),
                Span::styled(mark, style),
                Span::styled(e.text.clone(), style),
            ])
        })
        .collect();
    lines.reverse();
    frame.render_widget(Paragraph::new(lines), area);
}
