//! The CDN lab's UI: edges, users and the origin on a world map (ratatui's canvas map), each
//! user region coloured by its edge hit ratio, latency per region (p50 / p99), origin requests
//! and bytes, stale answers, the hit ratio over time and the event log; keys to update, purge
//! or re-publish an object, take the origin down, switch pull/push and set max-age.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine, Map, MapResolution};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::timeline::{event_log, short, time_chart};
use crate::engines::cdn::geo::{region_index, REGIONS};
use crate::engines::cdn::{object_name, Cdn, Mode};
use crate::engines::lab::{Lab, Session};
use crate::theme::Theme;
use crate::tui::keys::{hint, more, KeyHint};
use crate::tui::lab::{LabKey, LabUi};

pub const LEGEND: &[(&str, &str)] = &[
    (
        "■ on the map",
        "an edge (a CDN point of presence), coloured like the users in its own region",
    ),
    ("◆ on the map", "the origin"),
    (
        "• on the map",
        "users in a region, green ≥ 90% of their static requests hit the edge, yellow ≥ 50%, red below",
    ),
    (
        "hit",
        "edge hit ratio of the region's static requests since the last action",
    ),
    (
        "p50 / p99",
        "latency a region's users saw since the last action: a round trip to the edge, plus edge → origin on a miss",
    ),
    (
        "stale",
        "answers older than the origin's current version (an update not yet purged or expired)",
    ),
    (
        "v2 · url 1",
        "the selected object's version at the origin and the URL it is published under",
    ),
    ("chart", "edge hit ratio since the start, over simulated time"),
];

pub const HINTS: &[KeyHint] = &[
    hint("←→", "object"),
    hint("e", "update it"),
    hint("x", "purge"),
    hint("v", "versioned URL"),
    hint("o", "origin down/up"),
    hint("m", "pull/push"),
    hint("a", "max-age"),
    more("s", "serve stale while the origin is down (stale-if-error) on / off"),
];

/// max-age values `a` steps through, seconds.
const MAX_AGES: [f64; 4] = [60.0, 3600.0, 86_400.0, 10.0];

pub fn cdn(lab: &dyn Lab) -> Option<&Cdn> {
    lab.as_any().downcast_ref::<Session<Cdn>>().map(|s| &s.engine)
}

/// The objects ←/→ select among: the named ones.
fn objects(c: &Cdn) -> usize {
    c.config.objects.min(4)
}

pub struct CdnUi;

impl LabUi for CdnUi {
    fn hints(&self) -> &'static [KeyHint] {
        HINTS
    }

    fn legend(&self) -> &'static [(&'static str, &'static str)] {
        LEGEND
    }

    fn selectable(&self, lab: &dyn Lab) -> usize {
        cdn(lab).map_or(0, objects)
    }

    fn on_key(&self, lab: &dyn Lab, selected: usize, key: KeyEvent) -> LabKey {
        let Some(c) = cdn(lab) else {
            return LabKey::Unhandled;
        };
        let name = object_name(selected.min(objects(c).saturating_sub(1)));
        let action = match key.code {
            KeyCode::Char('e') => format!("update {name}"),
            KeyCode::Char('x') => format!("purge {name}"),
            KeyCode::Char('v') => format!("publish {name}"),
            KeyCode::Char('o') => format!("origin {}", if c.origin_up { "down" } else { "up" }),
            KeyCode::Char('s') => format!("serve-stale {}", if c.config.serve_stale { "off" } else { "on" }),
            KeyCode::Char('m') => format!("mode {}", if c.config.mode == Mode::Pull { "push" } else { "pull" }),
            KeyCode::Char('a') => {
                let next = MAX_AGES
                    .iter()
                    .position(|&m| m == c.config.max_age_s)
                    .map_or(MAX_AGES[0], |i| MAX_AGES[(i + 1) % MAX_AGES.len()]);
                format!("max-age {next}")
            }
            _ => return LabKey::Unhandled,
        };
        LabKey::Action(action)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, selected: usize, theme: &Theme) {
        if let Some(c) = cdn(lab) {
            draw(frame, area, lab, c, selected, theme);
        }
    }

    fn hit(&self, area: Rect, lab: &dyn Lab, _selected: usize, column: u16, row: u16) -> Option<usize> {
        // The object line is the second row: after `objects `, each object is 16 cells wide.
        let c = cdn(lab)?;
        if row != area.y + 1 || column < area.x + 8 {
            return None;
        }
        let i = usize::from(column - area.x - 8) / 16;
        (i < objects(c)).then_some(i)
    }
}

fn colored(theme: &Theme, color: Color) -> Style {
    if theme.monochrome() {
        theme.text
    } else {
        Style::new().fg(color)
    }
}

/// A region's colour by its hit ratio; None when it made no static request.
fn hit_color(hits: u64, requests: u64) -> Option<Color> {
    if requests == 0 {
        return None;
    }
    let h = hits as f64 / requests as f64;
    Some(if h >= 0.9 {
        Color::Green
    } else if h >= 0.5 {
        Color::Yellow
    } else {
        Color::Red
    })
}

fn mb(bytes: f64) -> String {
    format!("{} MB", short(bytes / 1e6))
}

fn draw(frame: &mut Frame, area: Rect, lab: &dyn Lab, c: &Cdn, selected: usize, theme: &Theme) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let w = &c.window;
    let mode = match c.config.mode {
        Mode::Pull => "pull",
        Mode::Push => "push",
    };
    let origin = if c.origin_up { "origin up" } else { "ORIGIN DOWN" };
    let head = Line::from(vec![
        Span::styled(format!("{mode} · max-age {} s · ", c.config.max_age_s), theme.title),
        Span::styled(origin, if c.origin_up { theme.text } else { theme.notice }),
        Span::styled(
            format!(
                "{} · hit {:.0}% · origin {} req {} · stale {} · failed {}",
                if c.config.serve_stale { " · serve-stale" } else { "" },
                w.hit_ratio() * 100.0,
                w.origin_requests,
                mb(w.origin_bytes),
                w.stale_served,
                w.failed_requests
            ),
            theme.dim,
        ),
    ]);
    let mut objects_line = vec![Span::styled("objects ", theme.dim)];
    for i in 0..objects(c) {
        let sel = i == selected;
        objects_line.push(Span::styled(if sel { " ›" } else { "  " }, theme.accent));
        objects_line.push(Span::styled(
            format!(
                "{:<14}",
                format!("{} v{}·u{}", object_name(i), c.versions[i], c.urls[i])
            ),
            if sel { theme.selected } else { theme.text },
        ));
    }
    let sel = selected.min(objects(c).saturating_sub(1));
    let stale_edges = c
        .copies
        .iter()
        .filter(|e| e[sel].is_some_and(|k| k.url == c.urls[sel] && k.version < c.versions[sel]))
        .count();
    objects_line.push(Span::styled(
        format!(" · {stale_edges} of {} edges hold it stale", c.copies.len()),
        if stale_edges > 0 { theme.notice } else { theme.dim },
    ));
    let top = Rect {
        height: area.height.min(2),
        ..area
    };
    frame.render_widget(Paragraph::new(vec![head, Line::from(objects_line)]), top);
    let rest = area.height.saturating_sub(2);
    if rest < 3 {
        return;
    }
    let regions = c.user_regions();
    // The map grows with the screen; the region table needs a row per region and a header.
    let main_h = (rest * 3 / 5).max(regions.len() as u16 + 1).min(rest);
    let main = Rect {
        y: area.y + 2,
        height: main_h,
        ..area
    };
    let table_w: u16 = 45;
    let (map_area, table_area) = if area.width >= table_w + 20 {
        (
            Some(Rect {
                width: area.width - table_w - 1,
                ..main
            }),
            Rect {
                x: main.x + area.width - table_w,
                width: table_w,
                ..main
            },
        )
    } else {
        (None, main)
    };
    if let Some(m) = map_area {
        world_map(frame, m, c, theme);
    }
    region_table(frame, table_area, c, theme);
    let below = rest - main_h;
    if below < 3 {
        return;
    }
    let chart_h = (below / 2).clamp(3, 8);
    let chart = Rect {
        y: main.y + main_h,
        height: chart_h,
        ..area
    };
    time_chart(frame, chart, lab, "hit_ratio", "", Color::Green, theme);
    let log = Rect {
        y: chart.y + chart_h,
        height: below - chart_h,
        ..area
    };
    event_log(frame, log, c.log.entries(), theme);
}

fn region_table(frame: &mut Frame, area: Rect, c: &Cdn, theme: &Theme) {
    let edges = c.edge_regions();
    let routes = c.routes();
    let mut lines = vec![Line::styled(
        format!("{:<13}{:<13}{:>5}{:>7}{:>7}", "users in", "edge", "hit", "p50", "p99"),
        theme.dim,
    )];
    let ms = |v: Option<f64>| v.map_or("–".to_string(), |x| format!("{x:.0}"));
    for (u, region) in c.user_regions().iter().enumerate() {
        let (hits, reqs) = c.region_window[u];
        let hit = if reqs == 0 {
            "–".to_string()
        } else {
            format!("{:.0}%", hits as f64 * 100.0 / reqs as f64)
        };
        let h = &c.latency[u];
        let style = hit_color(hits, reqs).map_or(theme.dim, |col| colored(theme, col));
        lines.push(Line::from(vec![
            Span::styled(format!("{region:<13}"), theme.text),
            Span::styled(format!("{:<13}", edges[routes[u]]), theme.dim),
            Span::styled(format!("{hit:>5}"), style),
            Span::styled(
                format!("{:>7}{:>7}", ms(h.percentile(50.0)), ms(h.percentile(99.0))),
                theme.text,
            ),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn world_map(frame: &mut Frame, area: Rect, c: &Cdn, theme: &Theme) {
    if area.width < 8 || area.height < 3 {
        return;
    }
    let mono = theme.monochrome();
    let pick = |col: Color| if mono { Color::Reset } else { col };
    let edges: Vec<(f64, f64)> = c
        .edge_regions()
        .iter()
        .map(|r| {
            let (_, _, lat, lon) = REGIONS[region_index(r).unwrap_or(0)];
            (lon, lat)
        })
        .collect();
    let users: Vec<(f64, f64, Option<Color>, usize)> = c
        .user_regions()
        .iter()
        .enumerate()
        .map(|(u, r)| {
            let (_, _, lat, lon) = REGIONS[region_index(r).unwrap_or(0)];
            let (hits, reqs) = c.region_window[u];
            (lon, lat, hit_color(hits, reqs), c.routes()[u])
        })
        .collect();
    let origin = {
        let (_, _, lat, lon) = REGIONS[region_index(&c.config.origin).unwrap_or(0)];
        (lon, lat)
    };
    let origin_up = c.origin_up;
    let canvas = Canvas::default()
        .marker(ratatui::symbols::Marker::Braille)
        .x_bounds([-180.0, 180.0])
        .y_bounds([-60.0, 80.0])
        .paint(move |ctx| {
            ctx.draw(&Map {
                resolution: MapResolution::Low,
                color: pick(Color::DarkGray),
            });
            ctx.layer();
            for &(x, y, _, e) in &users {
                let (ex, ey) = edges[e];
                ctx.draw(&CanvasLine {
                    x1: x,
                    y1: y,
                    x2: ex,
                    y2: ey,
                    color: pick(Color::Blue),
                });
            }
            ctx.layer();
            // The origin sits just south of its city so an edge in the same region stays visible.
            ctx.print(
                origin.0,
                origin.1 - 12.0,
                Span::styled(
                    "◆",
                    Style::new()
                        .fg(pick(if origin_up { Color::Magenta } else { Color::Red }))
                        .add_modifier(Modifier::BOLD),
                ),
            );
            // An edge takes the colour of the users in its own region, if any.
            for &(x, y) in &edges {
                let local = users.iter().find(|u| u.0 == x && u.1 == y).and_then(|u| u.2);
                ctx.print(
                    x,
                    y,
                    Span::styled("■", Style::new().fg(pick(local.unwrap_or(Color::Cyan)))),
                );
            }
            for &(x, y, col, _) in &users {
                if edges.iter().any(|&(ex, ey)| ex == x && ey == y) {
                    continue;
                }
                ctx.print(
                    x,
                    y,
                    Span::styled("•", Style::new().fg(pick(col.unwrap_or(Color::Gray)))),
                );
            }
        });
    frame.render_widget(canvas, area);
}
