//! The CAP lab's UI: each replica with its side of the cut and the versions it holds, a table of
//! availability, stale reads and conflicting writes per side, the design (CP or AP) and how a
//! heal reconciles, an availability chart and the event log.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{isolate, move_across, node_style, partition_or_heal};
use crate::engines::consensus::cap::{Cap, CapMetrics, Mode, Reconcile};
use crate::engines::consensus::node_name;
use crate::engines::lab::{Lab, Session};
use crate::theme::Theme;
use crate::tui::keys::{hint, more, KeyHint};
use crate::tui::lab::{LabKey, LabUi};
use crate::tui::labs::timeline::{event_log, time_chart};

pub const HINTS: &[KeyHint] = &[
    hint("←→", "select node"),
    hint("m", "CP/AP"),
    hint("P", "cut 2|3 / heal"),
    hint("c/v", "write/read k1"),
    hint("x", "crash/restart"),
    more("i", "cut the selected node off alone"),
    more("s", "move the selected node to the other side of the cut (pick a side)"),
    more("L", "how a heal reconciles AP writes: last-write-wins or keep siblings"),
];

pub const LEGEND: &[(&str, &str)] = &[
    ("CP", "every read and write needs a majority: the minority side refuses"),
    (
        "AP",
        "any replica answers and takes writes: both sides stay up and drift apart",
    ),
    ("k1=4", "the replica's version of key k1 (write #4); 4|6 are siblings"),
    ("avail", "share of the side's requests answered during the partition"),
    ("stale", "reads that missed the latest acknowledged write"),
    (
        "conflicts",
        "writes to a key that another side also wrote during the partition",
    ),
    ("lost to LWW", "acknowledged updates last-write-wins discarded at heal"),
    ("chart", "share of all requests answered so far"),
];

pub fn cap(lab: &dyn Lab) -> Option<&Cap> {
    lab.as_any().downcast_ref::<Session<Cap>>().map(|s| &s.engine)
}

pub struct CapUi;

impl LabUi for CapUi {
    fn hints(&self) -> &'static [KeyHint] {
        HINTS
    }

    fn legend(&self) -> &'static [(&'static str, &'static str)] {
        LEGEND
    }

    fn selectable(&self, lab: &dyn Lab) -> usize {
        cap(lab).map_or(0, |c| c.config().nodes)
    }

    fn on_key(&self, lab: &dyn Lab, selected: usize, key: KeyEvent) -> LabKey {
        let Some(c) = cap(lab) else {
            return LabKey::Unhandled;
        };
        let n = c.config().nodes;
        let sel = selected.min(n.saturating_sub(1));
        let name = node_name(sel);
        let net = c.net.view();
        match key.code {
            KeyCode::Char('m') => LabKey::Action(
                match c.config().mode {
                    Mode::Cp => "mode ap",
                    Mode::Ap => "mode cp",
                }
                .into(),
            ),
            KeyCode::Char('L') => LabKey::Action(
                match c.config().reconcile {
                    Reconcile::Lww => "reconcile siblings",
                    Reconcile::Siblings => "reconcile lww",
                }
                .into(),
            ),
            KeyCode::Char('P') => partition_or_heal(&net, n),
            KeyCode::Char('i') => isolate(n, sel),
            KeyCode::Char('s') => move_across(&net, n, sel),
            KeyCode::Char('c') => LabKey::Action(format!("write k1=1 @{name}")),
            KeyCode::Char('v') => LabKey::Action(format!("read k1 @{name}")),
            KeyCode::Char('x') if c.net.crashed(sel) => LabKey::Action(format!("restart {name}")),
            KeyCode::Char('x') => LabKey::Action(format!("crash {name}")),
            _ => LabKey::Unhandled,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, selected: usize, theme: &Theme) {
        let Some(c) = cap(lab) else { return };
        let m = c.metrics();
        let top = lines(c, &m, selected, theme);
        let top_h = (top.len() as u16).min(area.height);
        frame.render_widget(Paragraph::new(top), Rect { height: top_h, ..area });
        let rest = area.height - top_h;
        if rest < 3 {
            return;
        }
        let chart_h = (rest / 2).clamp(3, 7);
        let chart = Rect {
            y: area.y + top_h,
            height: chart_h,
            ..area
        };
        let color = if theme.monochrome() { Color::Reset } else { Color::Green };
        time_chart(frame, chart, lab, "availability", "", color, theme);
        let log = Rect {
            y: chart.y + chart_h,
            height: rest - chart_h,
            ..area
        };
        event_log(frame, log, c.log.entries(), theme);
    }

    fn hit(&self, area: Rect, lab: &dyn Lab, _selected: usize, column: u16, row: u16) -> Option<usize> {
        let n = cap(lab)?.config().nodes;
        let first = area.y + 1;
        (column >= area.x && row >= first && usize::from(row - first) < n).then(|| usize::from(row - first))
    }
}

fn lines(c: &Cap, m: &CapMetrics, selected: usize, theme: &Theme) -> Vec<Line<'static>> {
    let design = match m.mode {
        Mode::Cp => "CP: majority quorums",
        Mode::Ap => "AP: any replica answers",
    };
    let heal = match m.reconcile {
        Reconcile::Lww => "heal: last-write-wins",
        Reconcile::Siblings => "heal: keep siblings",
    };
    let net = if m.partitioned { "PARTITIONED" } else { "network whole" };
    let mut out = vec![Line::from(vec![
        Span::styled(format!("{design} "), theme.title),
        Span::styled(format!("· {heal} · "), theme.dim),
        Span::styled(net, if m.partitioned { theme.notice } else { theme.done }),
    ])];
    for (i, r) in m.replicas.iter().enumerate() {
        let sel = i == selected;
        let side = if m.network.partitioned {
            format!("side {}", c.net.side_of(i) + 1)
        } else {
            String::new()
        };
        let values: Vec<String> = r
            .values
            .iter()
            .map(|(k, v)| {
                let ids: Vec<String> = v.iter().map(u64::to_string).collect();
                format!("{k}={}", ids.join("|"))
            })
            .collect();
        out.push(Line::from(vec![
            Span::styled(if sel { "›" } else { " " }, theme.accent),
            Span::styled(
                format!("{:<4}", r.name),
                if sel { theme.selected } else { node_style(theme, i) },
            ),
            Span::styled(
                format!("{:<7}", if r.crashed { "DOWN" } else { side.as_str() }),
                theme.notice,
            ),
            Span::styled(
                if values.is_empty() {
                    "no writes yet".to_string()
                } else {
                    values.join("  ")
                },
                theme.text,
            ),
        ]));
    }
    out.push(Line::styled(
        format!(
            "{:<14}{:>9}{:>9}{:>7}{:>7}{:>10}",
            "side", "requests", "answered", "avail", "stale", "conflicts"
        ),
        theme.title,
    ));
    if m.sides.is_empty() {
        out.push(Line::styled(
            " no partition yet: P cuts n1,n2 off from the rest",
            theme.dim,
        ));
    }
    for s in &m.sides {
        let style = if s.availability < 1.0 || s.stale_reads > 0 || s.conflicting_writes > 0 {
            theme.notice
        } else {
            theme.text
        };
        out.push(Line::styled(
            format!(
                "{:<14}{:>9}{:>9}{:>6.0}%{:>7}{:>10}",
                s.nodes.join(","),
                s.requests,
                s.answered,
                s.availability * 100.0,
                s.stale_reads,
                s.conflicting_writes
            ),
            style,
        ));
    }
    let bad = if m.lost_updates > 0 || m.stale_reads > 0 {
        theme.notice.add_modifier(Modifier::BOLD)
    } else {
        theme.text
    };
    out.push(Line::styled(
        format!(
            "all: {:.0}% answered · stale {} · conflicting {} · lost to LWW {} · siblings {}",
            m.availability * 100.0,
            m.stale_reads,
            m.conflicting_writes,
            m.lost_updates,
            m.siblings
        ),
        bad,
    ));
    if let Some(read) = &m.last_read {
        out.push(Line::styled(format!("last read {read}"), theme.dim));
    }
    out
}
