//! The quorum store's UI: each node (the N home replicas, then the stand-ins) with the versions
//! it holds and the hints it keeps, the last requests with their outcome, R, W and the repair
//! settings, a chart of the stale share and the event log.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{isolate, move_across, node_style, partition_or_heal};
use crate::engines::consensus::node_name;
use crate::engines::consensus::voter::{Outcome, Voter};
use crate::engines::lab::{Lab, Session};
use crate::theme::Theme;
use crate::tui::keys::{hint, more, KeyHint};
use crate::tui::lab::{LabKey, LabUi};
use crate::tui::labs::timeline::{event_log, time_chart};

pub const HINTS: &[KeyHint] = &[
    hint("←→", "select node"),
    hint("c/v", "write/read x"),
    hint("P", "cut / heal"),
    hint("1/2", "R −/+"),
    hint("3/4", "W −/+"),
    hint("S", "sloppy quorum"),
    more("E", "read repair on / off"),
    more("A", "anti-entropy: off → every 500 ms → off"),
    more("x", "crash / restart the selected node"),
    more("i", "cut the selected node off alone"),
    more("s", "move the selected node to the other side of the cut (pick a side)"),
];

pub const LEGEND: &[(&str, &str)] = &[
    ("home", "one of the N replicas every key lives on"),
    (
        "stand-in",
        "a node past N: with a sloppy quorum it takes writes for unreachable replicas",
    ),
    ("x=v3", "the node holds version 3 of key x"),
    (
        "(hint n2)",
        "a stand-in's copy kept for n2, handed back once n2 is reachable",
    ),
    (
        "STALE",
        "the read returned an older version than one acknowledged before it began",
    ),
    ("chart", "stale reads over answered reads, over simulated time"),
];

pub fn voter(lab: &dyn Lab) -> Option<&Voter> {
    lab.as_any().downcast_ref::<Session<Voter>>().map(|s| &s.engine)
}

pub struct VoterUi;

impl LabUi for VoterUi {
    fn hints(&self) -> &'static [KeyHint] {
        HINTS
    }

    fn legend(&self) -> &'static [(&'static str, &'static str)] {
        LEGEND
    }

    fn selectable(&self, lab: &dyn Lab) -> usize {
        voter(lab).map_or(0, |v| v.config().nodes)
    }

    fn on_key(&self, lab: &dyn Lab, selected: usize, key: KeyEvent) -> LabKey {
        let Some(v) = voter(lab) else {
            return LabKey::Unhandled;
        };
        let c = v.config();
        let n = c.nodes;
        let sel = selected.min(n.saturating_sub(1));
        let name = node_name(sel);
        let net = v.net.view();
        let step = |what: &str, now: usize, up: bool| -> LabKey {
            match (up, now) {
                (true, x) if x >= c.n => {
                    LabKey::Message(format!("{} = {x} is the most (N = {})", what.to_uppercase(), c.n))
                }
                (false, 1) => LabKey::Message(format!("{} = 1 is the least", what.to_uppercase())),
                (true, x) => LabKey::Action(format!("{what} {}", x + 1)),
                (false, x) => LabKey::Action(format!("{what} {}", x - 1)),
            }
        };
        let on_off = |on: bool| if on { "off" } else { "on" };
        match key.code {
            KeyCode::Char('c') => LabKey::Action(format!("write x @{name}")),
            KeyCode::Char('v') => LabKey::Action(format!("read x @{name}")),
            KeyCode::Char('P') => partition_or_heal(&net, n),
            KeyCode::Char('i') => isolate(n, sel),
            KeyCode::Char('s') => move_across(&net, n, sel),
            KeyCode::Char('x') if v.net.crashed(sel) => LabKey::Action(format!("restart {name}")),
            KeyCode::Char('x') => LabKey::Action(format!("crash {name}")),
            KeyCode::Char('1') => step("r", c.r, false),
            KeyCode::Char('2') => step("r", c.r, true),
            KeyCode::Char('3') => step("w", c.w, false),
            KeyCode::Char('4') => step("w", c.w, true),
            KeyCode::Char('S') => LabKey::Action(format!("sloppy {}", on_off(c.sloppy))),
            KeyCode::Char('E') => LabKey::Action(format!("repair {}", on_off(c.read_repair))),
            KeyCode::Char('A') => {
                LabKey::Action(format!("anti-entropy {}", if c.anti_entropy_ms == 0 { 500 } else { 0 }))
            }
            _ => LabKey::Unhandled,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, selected: usize, theme: &Theme) {
        let Some(v) = voter(lab) else { return };
        let top = lines(v, selected, theme);
        let top_h = (top.len() as u16).min(area.height);
        frame.render_widget(Paragraph::new(top), Rect { height: top_h, ..area });
        let rest = area.height - top_h;
        if rest < 3 {
            return;
        }
        let chart_h = (rest / 2).clamp(3, 6);
        let chart = Rect {
            y: area.y + top_h,
            height: chart_h,
            ..area
        };
        let color = if theme.monochrome() {
            Color::Reset
        } else {
            Color::Yellow
        };
        time_chart(frame, chart, lab, "p_stale", "", color, theme);
        let log = Rect {
            y: chart.y + chart_h,
            height: rest - chart_h,
            ..area
        };
        event_log(frame, log, v.log.entries(), theme);
    }

    fn hit(&self, area: Rect, lab: &dyn Lab, _selected: usize, column: u16, row: u16) -> Option<usize> {
        let n = voter(lab)?.config().nodes;
        let first = area.y + 1;
        (column >= area.x && row >= first && usize::from(row - first) < n).then(|| usize::from(row - first))
    }
}

fn lines(v: &Voter, selected: usize, theme: &Theme) -> Vec<Line<'static>> {
    let c = v.config();
    let m = v.metrics();
    let onoff = |b: bool| if b { "on" } else { "off" };
    let ae = if c.anti_entropy_ms == 0 {
        "off".to_string()
    } else {
        format!("{} ms", c.anti_entropy_ms)
    };
    let mut out = vec![Line::from(vec![
        Span::styled(
            format!(
                "N={} R={} W={} {} ",
                c.n,
                c.r,
                c.w,
                if m.strict { "(R+W>N)" } else { "(R+W≤N)" }
            ),
            theme.title,
        ),
        Span::styled(
            format!(
                "· sloppy {} · read repair {} · anti-entropy {ae}",
                onoff(c.sloppy),
                onoff(c.read_repair)
            ),
            theme.dim,
        ),
    ])];
    let view = v.net.view();
    for i in 0..c.nodes {
        let sel = i == selected;
        let role = if i < c.n { "home" } else { "stand-in" };
        let state = if v.net.crashed(i) {
            "DOWN".to_string()
        } else if view.partitioned {
            format!("side {}", v.net.side_of(i) + 1)
        } else {
            String::new()
        };
        let held: Vec<String> = v
            .held(i)
            .into_iter()
            .map(|(k, ver, hint)| match hint {
                Some(h) => format!("{k}=v{ver} (hint {h})"),
                None => format!("{k}=v{ver}"),
            })
            .collect();
        out.push(Line::from(vec![
            Span::styled(if sel { "›" } else { " " }, theme.accent),
            Span::styled(
                format!("{:<4}", node_name(i)),
                if sel { theme.selected } else { node_style(theme, i) },
            ),
            Span::styled(format!("{role:<9}"), theme.dim),
            Span::styled(format!("{state:<7}"), theme.notice),
            Span::styled(
                if held.is_empty() {
                    "—".to_string()
                } else {
                    held.join("  ")
                },
                theme.text,
            ),
        ]));
    }
    let recent: Vec<Span> = v
        .ops()
        .iter()
        .rev()
        .take(3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(|o| {
            let (text, style) = match (o.write, o.outcome, o.stale) {
                (_, Outcome::Pending, _) => (
                    format!(
                        "{} {} @{} …",
                        if o.write { "write" } else { "read" },
                        o.key,
                        o.coordinator
                    ),
                    theme.dim,
                ),
                (_, Outcome::Failed, _) => (
                    format!(
                        "{} {} @{} FAILED",
                        if o.write { "write" } else { "read" },
                        o.key,
                        o.coordinator
                    ),
                    theme.notice,
                ),
                (true, Outcome::Ok, _) => (
                    format!("write {} v{} @{} ok", o.key, o.version, o.coordinator),
                    theme.text,
                ),
                (false, Outcome::Ok, true) => (
                    format!("read {} @{} → v{} STALE", o.key, o.coordinator, o.version),
                    theme.notice.add_modifier(Modifier::BOLD),
                ),
                (false, Outcome::Ok, false) => (
                    format!("read {} @{} → v{}", o.key, o.coordinator, o.version),
                    theme.done,
                ),
            };
            Span::styled(format!("{text}   "), style)
        })
        .collect();
    if !recent.is_empty() {
        out.push(Line::from(recent));
    }
    out.push(Line::styled(
        format!(
            "writes {} ok {} failed · reads {} ok {} failed · stale {} · hints {} held {} returned · repairs {}",
            m.writes_ok,
            m.writes_failed,
            m.reads_ok,
            m.reads_failed,
            m.stale_reads,
            m.hints_pending,
            m.hints_delivered,
            m.repairs
        ),
        if m.stale_reads > 0 { theme.notice } else { theme.text },
    ));
    out
}
