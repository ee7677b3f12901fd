//! The cache lab's UI: the selected node's slots in policy order with their recency or use
//! counts, evictions flashing, the hit ratio over time against the theory's line, database
//! load, stale reads and the event log; keys for the policy, TTL mode, capacity, skew, an
//! update, a node's death, the slow-reader race and its fixes.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::timeline::{event_log, short};
use crate::engines::cache::cluster::Sharding;
use crate::engines::cache::theory::model_name;
use crate::engines::cache::timed::{CacheLab, OnUpdate, RaceFix, StampedeFix, WritePolicy, MAX_CAPACITY};
use crate::engines::cache::{Policy, TtlMode, Workload};
use crate::engines::lab::{Lab, Session};
use crate::theme::Theme;
use crate::tui::keys::{hint, more, KeyHint};
use crate::tui::lab::{LabKey, LabUi};
use crate::tui::view::grouped;

pub const LEGEND: &[(&str, &str)] = &[
    (
        "slots",
        "the selected node's entries in eviction order: most recent first (LRU), newest first (FIFO), fewest uses first (LFU ×count)",
    ),
    ("✗42", "item 42 was just evicted"),
    ("42*", "a write-back entry the database has not seen yet (dirty)"),
    ("42!", "an entry older than the newest version written (stale)"),
    ("hit", "hits over reads since the last action; theory is the closed form for these settings"),
    ("db/s", "database reads per second over the last 10 s"),
    (
        "TTL write / access",
        "expire a fixed time after the write (hit = λT/(1+λT) for Poisson reads) or after the last read (hit = 1 − e^(−λT))",
    ),
    (
        "slow readers",
        "every cache fill lands 500 ms after its database read: a delete in between is undone (the stale-set race)",
    ),
    ("chart", "hit ratio over the last 10 s, over simulated time; the dashed line is the theory"),
];

pub const HINTS: &[KeyHint] = &[
    hint("a", "policy"),
    hint("m", "TTL mode"),
    hint("c/C", "capacity"),
    hint("z/Z", "skew"),
    hint("e", "update item 0"),
    hint("s", "slow readers"),
    hint("f", "race fix"),
    more("F", "stampede fix: none → single-flight → early refresh"),
    more("x", "kill / revive the selected cache node (←→ selects)"),
    more("o", "placement: hash mod N ↔ consistent-hash ring"),
    more(
        "i",
        "after an update: delete the key → set the new value → rely on the TTL",
    ),
    more(
        "W",
        "write policy: cache-aside → read-through → write-through → write-back",
    ),
    more("k", "workload: Zipf → sequential scan → one hot key → uniform"),
    more("U", "background updates: off → 5/s → 50/s"),
];

pub fn cache(lab: &dyn Lab) -> Option<&CacheLab> {
    lab.as_any().downcast_ref::<Session<CacheLab>>().map(|s| &s.engine)
}

fn next_in<T: Copy + PartialEq>(all: &[T], now: T) -> T {
    let i = all.iter().position(|&x| x == now).unwrap_or(0);
    all[(i + 1) % all.len()]
}

pub struct CacheUi;

impl LabUi for CacheUi {
    fn hints(&self) -> &'static [KeyHint] {
        HINTS
    }

    fn legend(&self) -> &'static [(&'static str, &'static str)] {
        LEGEND
    }

    fn selectable(&self, lab: &dyn Lab) -> usize {
        cache(lab).map_or(0, |c| if c.config.nodes > 1 { c.config.nodes } else { 0 })
    }

    fn on_key(&self, lab: &dyn Lab, selected: usize, key: KeyEvent) -> LabKey {
        let Some(c) = cache(lab) else {
            return LabKey::Unhandled;
        };
        let cfg = &c.config;
        let action = match key.code {
            KeyCode::Char('a') => format!("policy {}", next_in(&Policy::ALL, cfg.policy).name()),
            KeyCode::Char('m') => match (cfg.ttl_s, cfg.ttl_mode) {
                (None, _) => "ttl 10 write".into(),
                (Some(t), TtlMode::Write) => format!("ttl {t} access"),
                (Some(_), TtlMode::Access) => "ttl off".into(),
            },
            KeyCode::Char('c') if cfg.capacity <= 1 => {
                return LabKey::Message("capacity is 1 item, the smallest".into())
            }
            KeyCode::Char('C') if cfg.capacity >= MAX_CAPACITY.min(cfg.catalog) => {
                return LabKey::Message(format!(
                    "capacity {} already holds the whole catalog or the most",
                    cfg.capacity
                ))
            }
            KeyCode::Char('c') => format!("capacity {}", (cfg.capacity / 2).max(1)),
            KeyCode::Char('C') => format!("capacity {}", (cfg.capacity * 2).min(MAX_CAPACITY)),
            KeyCode::Char(k @ ('z' | 'Z')) => match cfg.workload {
                Workload::Zipf { alpha } => {
                    let next = if k == 'z' { alpha - 0.2 } else { alpha + 0.2 };
                    let next = (next * 10.0).round() / 10.0;
                    if !(0.0..=2.0).contains(&next) {
                        return LabKey::Message(format!(
                            "skew {alpha} is at the {} (0 to 2)",
                            if k == 'z' { "lowest" } else { "highest" }
                        ));
                    }
                    format!("zipf {next}")
                }
                _ => "zipf 1".into(),
            },
            KeyCode::Char('e') => "update 0".into(),
            KeyCode::Char('s') => format!("race {}", if cfg.race { "off" } else { "on" }),
            KeyCode::Char('f') => format!("race-fix {}", next_in(&RaceFix::ALL, cfg.race_fix).name()),
            KeyCode::Char('F') => format!("stampede-fix {}", next_in(&StampedeFix::ALL, cfg.stampede_fix).name()),
            KeyCode::Char('x') => {
                let n = selected.min(cfg.nodes - 1);
                let name = &c.cluster.names()[n];
                if c.cluster.alive(n) {
                    format!("kill {name}")
                } else {
                    format!("revive {name}")
                }
            }
            KeyCode::Char('o') => format!(
                "sharding {}",
                match cfg.sharding {
                    Sharding::Modulo => "ring",
                    Sharding::Ring => "modulo",
                }
            ),
            KeyCode::Char('i') => format!("on-update {}", next_in(&OnUpdate::ALL, cfg.on_update).name()),
            KeyCode::Char('W') => format!("write-policy {}", next_in(&WritePolicy::ALL, cfg.write_policy).name()),
            KeyCode::Char('k') => match cfg.workload {
                Workload::Zipf { .. } => "workload scan".into(),
                Workload::Scan => "workload hot-key 0.5".into(),
                Workload::HotKey { .. } => "workload uniform".into(),
                Workload::Uniform => "workload zipf 1".into(),
            },
            KeyCode::Char('U') => format!(
                "update-rate {}",
                if cfg.update_rate == 0.0 {
                    5
                } else if cfg.update_rate < 50.0 {
                    50
                } else {
                    0
                }
            ),
            _ => return LabKey::Unhandled,
        };
        LabKey::Action(action)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, selected: usize, theme: &Theme) {
        if let Some(c) = cache(lab) {
            draw(frame, area, lab, c, selected, theme);
        }
    }

    fn hit(&self, area: Rect, lab: &dyn Lab, _selected: usize, column: u16, row: u16) -> Option<usize> {
        // The node line is the fifth row, each node 16 cells wide.
        let c = cache(lab)?;
        if c.config.nodes < 2 || row != area.y + 4 || column < area.x {
            return None;
        }
        let i = usize::from(column - area.x) / 16;
        (i < c.config.nodes).then_some(i)
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn workload_text(w: &Workload, catalog: usize) -> String {
    match w {
        Workload::Zipf { alpha } => format!("Zipf {alpha} over {}", grouped(catalog)),
        Workload::Uniform => format!("uniform over {}", grouped(catalog)),
        Workload::Scan => format!("scan of {}", grouped(catalog)),
        Workload::HotKey { share } => format!("hot key {:.0}% of {}", share * 100.0, grouped(catalog)),
    }
}

fn draw(frame: &mut Frame, area: Rect, lab: &dyn Lab, c: &CacheLab, selected: usize, theme: &Theme) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let cfg = &c.config;
    let m = lab.metrics();
    let ttl = match cfg.ttl_s {
        None => "no TTL".to_string(),
        Some(t) => format!("TTL {t} s after {}", cfg.ttl_mode.name()),
    };
    let write = match cfg.write_policy {
        WritePolicy::CacheAside | WritePolicy::ReadThrough => {
            format!("{} ({} on update)", cfg.write_policy.name(), cfg.on_update.name())
        }
        w => w.name().to_string(),
    };
    let nodes = if cfg.nodes > 1 {
        format!(" × {} nodes ({})", cfg.nodes, cfg.sharding.name())
    } else {
        String::new()
    };
    let head = Line::from(vec![
        Span::styled(
            format!("{} · {} items{nodes} · ", cfg.policy.name(), cfg.capacity),
            theme.title,
        ),
        Span::styled(
            format!("{} · {ttl} · {write}", workload_text(&cfg.workload, cfg.catalog)),
            theme.dim,
        ),
    ]);
    let w = &c.window;
    let theory = match c.theory_hit_ratio() {
        Some(t) => format!(" (theory {})", pct(t)),
        None => String::new(),
    };
    let hit = if c.warming_up() {
        "warming up".to_string()
    } else {
        format!("hit {}{theory}", pct(w.hit_ratio()))
    };
    let stats = Line::from(vec![
        Span::styled(hit, theme.text),
        Span::styled(
            format!(
                " · db {}/s · evicted {} · expired {}",
                short(c.recent_db_per_s()),
                w.evictions,
                w.expirations,
            ),
            theme.dim,
        ),
    ]);
    let race = Line::styled(
        format!(
            "race: slow reader {}, fix {} · stampede {} (max {}), fix {}",
            if cfg.race { "on" } else { "off" },
            cfg.race_fix.name(),
            c.window.stampede,
            c.stampede_max,
            cfg.stampede_fix.name()
        ),
        theme.dim,
    );
    let stale_style = if w.stale_reads > 0 || c.dirty_lost > 0 {
        theme.notice.add_modifier(Modifier::BOLD)
    } else {
        theme.dim
    };
    let stale = Line::styled(
        format!(
            "stale reads {} · stale entries {} · dirty {} · lost writes {}",
            w.stale_reads, m["stale_cached"], m["dirty_cached"], c.dirty_lost
        ),
        stale_style,
    );
    let mut lines = vec![head, stats, race, stale];
    let node = if cfg.nodes > 1 { selected.min(cfg.nodes - 1) } else { 0 };
    if cfg.nodes > 1 {
        let mut spans = Vec::new();
        for (i, (name, alive, len, share)) in c.cluster.node_views().into_iter().enumerate() {
            let sel = i == node;
            let text = if alive {
                format!("{name} {len} {:.0}%", share * 100.0)
            } else {
                format!("{name} DOWN")
            };
            spans.push(Span::styled(if sel { "›" } else { " " }, theme.accent));
            spans.push(Span::styled(
                format!("{text:<15}"),
                if sel {
                    theme.selected
                } else if alive {
                    theme.text
                } else {
                    theme.notice
                },
            ));
        }
        lines.push(Line::from(spans));
    }
    let top_h = (lines.len() as u16).min(area.height);
    frame.render_widget(Paragraph::new(lines), Rect { height: top_h, ..area });
    let rest = area.height - top_h;
    if rest < 2 {
        return;
    }
    let slots_h = (rest / 3).clamp(1, 6);
    let slots_area = Rect {
        y: area.y + top_h,
        height: slots_h,
        ..area
    };
    slots(frame, slots_area, c, node, theme);
    let below = rest - slots_h;
    if below < 3 {
        return;
    }
    let chart_h = (below * 3 / 5).clamp(3, 12);
    let chart = Rect {
        y: slots_area.y + slots_h,
        height: chart_h,
        ..area
    };
    hit_chart(frame, chart, lab, c, theme);
    let log = Rect {
        y: chart.y + chart_h,
        height: below - chart_h,
        ..area
    };
    event_log(frame, log, c.log.entries(), theme);
}

/// The node's entries as cells in eviction order, recent evictions first and flashing.
fn slots(frame: &mut Frame, area: Rect, c: &CacheLab, node: usize, theme: &Theme) {
    let store = &c.cluster.nodes[node];
    let cell = 8usize;
    let per_row = (usize::from(area.width) / cell).max(1);
    let room = per_row * usize::from(area.height);
    let counts = matches!(store.policy(), Policy::Lfu | Policy::LfuGlobal);
    let mut spans: Vec<Span> = Vec::with_capacity(room);
    let flashing = c.recent_evictions.iter().rev().filter(|e| usize::from(e.1) == node);
    for &(_, _, item) in flashing.take(per_row.min(4)) {
        spans.push(Span::styled(format!("{:<cell$}", format!("✗{item}")), theme.notice));
    }
    let shown = room.saturating_sub(spans.len() + 1);
    let len = store.len();
    for v in store.slots().take(shown) {
        let stale = v.version < c.newest_version(v.item);
        let mark = if v.dirty {
            "*"
        } else if stale {
            "!"
        } else {
            ""
        };
        let text = if counts {
            format!("{}×{}{mark}", v.item, v.mark)
        } else {
            format!("{}{mark}", v.item)
        };
        let style = if stale {
            theme.notice
        } else if v.dirty {
            theme.accent
        } else {
            theme.text
        };
        spans.push(Span::styled(format!("{text:<cell$}"), style));
    }
    if len > shown {
        spans.push(Span::styled(format!("+{}", len - shown), theme.dim));
    }
    if len == 0 {
        spans.push(Span::styled("(empty)", theme.dim));
    }
    let lines: Vec<Line> = spans.chunks(per_row).map(|row| Line::from(row.to_vec())).collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// The hit ratio over the whole history (the part scrubbed back over dimmed) and the theory's
/// value for the current settings as a dashed line.
fn hit_chart(frame: &mut Frame, area: Rect, lab: &dyn Lab, c: &CacheLab, theme: &Theme) {
    if area.height < 3 || area.width < 10 {
        return;
    }
    let Some(series) = lab.series_names().iter().position(|n| *n == "hit_ratio") else {
        return;
    };
    let samples = lab.samples();
    let (at, _) = lab.history();
    let step = (samples.len() / (2 * usize::from(area.width))).max(1);
    let mut pts: Vec<(f64, f64, bool)> = samples
        .iter()
        .enumerate()
        .step_by(step)
        .filter_map(|(i, s)| Some((s.time_ms as f64, *s.values.get(series)?, i <= at)))
        .collect();
    if let Some(last) = samples.last() {
        if pts.last().map(|p| p.0) != Some(last.time_ms as f64) {
            if let Some(v) = last.values.get(series) {
                pts.push((last.time_ms as f64, *v, samples.len() - 1 <= at));
            }
        }
    }
    let theory = c.theory_hit_ratio();
    let title = Line::from(vec![
        Span::styled("hit ratio, last 10 s ", theme.title),
        Span::styled(
            match theory {
                Some(t) => format!("· theory {} · {}", pct(t), model_name(c.config.policy)),
                None => "· no closed form with a TTL, updates or a scan".to_string(),
            },
            theme.dim,
        ),
    ]);
    frame.render_widget(Paragraph::new(title), Rect { height: 1, ..area });
    let body = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    let mono = theme.monochrome();
    let t_max = pts.last().map_or(1.0, |p| p.0).max(1.0);
    let canvas = Canvas::default()
        .marker(ratatui::symbols::Marker::Braille)
        .x_bounds([0.0, t_max])
        .y_bounds([0.0, 1.0])
        .paint(move |ctx| {
            if let Some(t) = theory {
                let dash = t_max / 24.0;
                let mut x = 0.0;
                while x < t_max {
                    ctx.draw(&CanvasLine {
                        x1: x,
                        y1: t,
                        x2: (x + dash * 0.6).min(t_max),
                        y2: t,
                        color: if mono { Color::Reset } else { Color::Yellow },
                    });
                    x += dash;
                }
            }
            for w in pts.windows(2) {
                ctx.draw(&CanvasLine {
                    x1: w[0].0,
                    y1: w[0].1,
                    x2: w[1].0,
                    y2: w[1].1,
                    color: match (mono, w[1].2) {
                        (true, _) => Color::Reset,
                        (false, true) => Color::Green,
                        (false, false) => Color::DarkGray,
                    },
                });
            }
        });
    frame.render_widget(canvas, body);
}
