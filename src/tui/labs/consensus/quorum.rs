//! The quorum lab's UI: the N replicas, the W that one write landed on and the R that one read
//! asked (so the learner sees a stale read happen), then the measured share of stale reads
//! against C(N−W, R) / C(N, R) and the same for the last k versions.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::bar;
use crate::engines::consensus::quorum::{QuorumLab, MAX_K, MAX_NODES};
use crate::engines::lab::{Lab, Session};
use crate::theme::Theme;
use crate::tui::keys::{hint, more, KeyHint};
use crate::tui::lab::{LabKey, LabUi};
use crate::tui::view::grouped;

pub const HINTS: &[KeyHint] = &[
    hint("1/2", "R −/+"),
    hint("3/4", "W −/+"),
    hint("5/6", "N −/+"),
    hint("x", "rerun"),
    more("K", "look back over one more version (k), from 1 to 5"),
];

pub const LEGEND: &[(&str, &str)] = &[
    (
        "W ●",
        "a replica the example write landed on (nothing copies it further)",
    ),
    (
        "R ○",
        "a replica the example read asked; ◉ when it also holds the write",
    ),
    ("STALE", "none of the replicas the read asked holds the write"),
    (
        "p_stale",
        "the share of stale reads over all trials, ± one standard error",
    ),
    (
        "theory",
        "C(N−W, R) / C(N, R): the chance two random sets of sizes W and R miss",
    ),
    (
        "k-stale",
        "the read returned none of the last k versions (each write on its own random set)",
    ),
];

pub fn quorum(lab: &dyn Lab) -> Option<&QuorumLab> {
    lab.as_any().downcast_ref::<Session<QuorumLab>>().map(|s| &s.engine)
}

pub struct QuorumUi;

impl LabUi for QuorumUi {
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
        let Some(q) = quorum(lab) else {
            return LabKey::Unhandled;
        };
        let c = &q.config;
        let step = |what: &str, now: usize, up: bool, max: usize| -> LabKey {
            match (up, now) {
                (true, x) if x >= max => {
                    LabKey::Message(format!("{} = {x} is the most (N = {})", what.to_uppercase(), c.n))
                }
                (false, 1) => LabKey::Message(format!("{} = 1 is the least", what.to_uppercase())),
                (true, x) => LabKey::Action(format!("{what} {}", x + 1)),
                (false, x) => LabKey::Action(format!("{what} {}", x - 1)),
            }
        };
        match key.code {
            KeyCode::Char('1') => step("r", c.r, false, c.n),
            KeyCode::Char('2') => step("r", c.r, true, c.n),
            KeyCode::Char('3') => step("w", c.w, false, c.n),
            KeyCode::Char('4') => step("w", c.w, true, c.n),
            KeyCode::Char('5') => step("n", c.n, false, MAX_NODES),
            KeyCode::Char('6') => step("n", c.n, true, MAX_NODES),
            KeyCode::Char('x') => LabKey::Action("rerun".into()),
            KeyCode::Char('K') => LabKey::Action(format!("k {}", if c.k >= 5.min(MAX_K) { 1 } else { c.k + 1 })),
            _ => LabKey::Unhandled,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, _selected: usize, theme: &Theme) {
        if let Some(q) = quorum(lab) {
            frame.render_widget(Paragraph::new(lines(q, usize::from(area.width), theme)), area);
        }
    }
}

fn lines(q: &QuorumLab, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let c = &q.config;
    let rep = &q.report;
    let strict = rep.strict;
    let kind = if strict {
        "R + W > N: strict quorum"
    } else {
        "R + W ≤ N: partial quorum"
    };
    let mut out = vec![Line::from(vec![
        Span::styled(format!("N={} R={} W={} ", c.n, c.r, c.w), theme.title),
        Span::styled(
            format!("· {kind} · {} trials · seed {}", grouped(rep.trials as usize), c.seed),
            theme.dim,
        ),
    ])];
    out.push(Line::default());
    let ex = q.example();
    let cell = |i: usize, set: u16, mark: &str| -> String {
        if set & (1 << i) != 0 {
            format!("{mark:^4}")
        } else {
            format!("{:^4}", "·")
        }
    };
    let names: String = (0..c.n).map(|i| format!("{:^4}", format!("n{}", i + 1))).collect();
    out.push(Line::from(vec![
        Span::styled("replicas   ", theme.dim),
        Span::styled(names, theme.text),
    ]));
    let writes: String = (0..c.n).map(|i| cell(i, ex.write, "●")).collect();
    out.push(Line::from(vec![
        Span::styled("write (W)  ", theme.dim),
        Span::styled(writes, theme.accent),
        Span::styled(format!("  landed on {} of {}", c.w, c.n), theme.dim),
    ]));
    let reads: String = (0..c.n)
        .map(|i| cell(i, ex.read, if ex.write & (1 << i) != 0 { "◉" } else { "○" }))
        .collect();
    let verdict = if ex.stale() {
        Span::styled(
            format!("  asked {}: none has it · STALE", c.r),
            theme.notice.add_modifier(Modifier::BOLD),
        )
    } else {
        let hits = (ex.write & ex.read).count_ones();
        Span::styled(format!("  asked {}: {hits} has the write · fresh", c.r), theme.done)
    };
    out.push(Line::from(vec![
        Span::styled("read (R)   ", theme.dim),
        Span::styled(reads, theme.text),
        verdict,
    ]));
    out.push(Line::default());
    let bar_w = width.saturating_sub(40).clamp(8, 40);
    out.push(Line::from(vec![
        Span::styled("p_stale measured ", theme.title),
        Span::styled(format!("{:.4} ± {:.4} ", rep.p_stale, rep.std_error), theme.text),
        Span::styled(bar(rep.p_stale, bar_w), theme.accent),
    ]));
    out.push(Line::from(vec![
        Span::styled("        theory   ", theme.title),
        Span::styled(format!("{:.4}          ", rep.p_stale_theory), theme.text),
        Span::styled(bar(rep.p_stale_theory, bar_w), theme.dim),
    ]));
    out.push(Line::styled(
        format!(
            "  C(N−W,R)/C(N,R) = C({},{})/C({},{}): the chance a random read set misses the write set",
            c.n - c.w,
            c.r,
            c.n,
            c.r
        ),
        theme.dim,
    ));
    let advice = if strict {
        "every read set of R meets every write set of W, so no read can be stale".to_string()
    } else {
        format!(
            "no read is ever stale from R ≥ {} (with W = {}) or W ≥ {} (with R = {})",
            c.n - c.w + 1,
            c.w,
            c.n - c.r + 1,
            c.r
        )
    };
    out.push(Line::styled(
        format!("  {advice}"),
        if strict { theme.done } else { theme.text },
    ));
    out.push(Line::default());
    out.push(Line::styled(
        "k-staleness: share of reads missing all of the last k versions (theory)",
        theme.title,
    ));
    let ks: Vec<String> = rep
        .p_stale_k
        .iter()
        .zip(&rep.p_stale_k_theory)
        .enumerate()
        .map(|(i, (m, t))| format!("k={} {m:.4} ({t:.4})", i + 1))
        .collect();
    // As many per line as fit.
    let mut line = String::from(" ");
    for k in ks {
        if line.chars().count() + k.chars().count() + 2 > width.max(20) {
            out.push(Line::styled(
                std::mem::replace(&mut line, String::from(" ")),
                theme.text,
            ));
        }
        line.push_str(&k);
        line.push_str("  ");
    }
    out.push(Line::styled(line, theme.text));
    out
}
