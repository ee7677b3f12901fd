//! The lock lab's UI: who the lock service says holds the lock, with its token and what is left
//! of the lease; what each client believes (the paused one still believes it holds the lock);
//! storage's highest token and the stale writes it accepted or refused; the event log.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{bar, node_style};
use crate::engines::consensus::lock::{ClientState, LockLab, LockMetrics};
use crate::engines::lab::{Lab, Session};
use crate::theme::Theme;
use crate::tui::keys::{hint, more, KeyHint};
use crate::tui::lab::{LabKey, LabUi};
use crate::tui::labs::timeline::event_log;

pub const HINTS: &[KeyHint] = &[
    hint("←→", "select client"),
    hint("f", "fencing on/off"),
    hint("a", "acquire"),
    hint("z", "pause"),
    hint("c", "write"),
    more("e", "the selected client releases the lock"),
];

pub const LEGEND: &[(&str, &str)] = &[
    (
        "holder",
        "the client the lock service says holds the lock, and its token",
    ),
    (
        "lease ▕██░░▏",
        "time left on the holder's lease; at zero the lock is free again",
    ),
    (
        "believes token N",
        "the token a client thinks it holds the lock with: a paused client keeps believing",
    ),
    (
        "highest token",
        "the highest token storage has seen; with fencing it refuses any lower one",
    ),
    (
        "STALE",
        "a write whose token is lower than one storage has already seen",
    ),
];

pub fn lock(lab: &dyn Lab) -> Option<&LockLab> {
    lab.as_any().downcast_ref::<Session<LockLab>>().map(|s| &s.engine)
}

pub struct LockUi;

impl LabUi for LockUi {
    fn hints(&self) -> &'static [KeyHint] {
        HINTS
    }

    fn legend(&self) -> &'static [(&'static str, &'static str)] {
        LEGEND
    }

    fn selectable(&self, lab: &dyn Lab) -> usize {
        lock(lab).map_or(0, |l| l.clients.len())
    }

    fn on_key(&self, lab: &dyn Lab, selected: usize, key: KeyEvent) -> LabKey {
        let Some(l) = lock(lab) else {
            return LabKey::Unhandled;
        };
        let Some(client) = l.clients.get(selected) else {
            return LabKey::Unhandled;
        };
        let name = &client.name;
        match key.code {
            KeyCode::Char('f') => LabKey::Action(format!("fencing {}", if l.config().fencing { "off" } else { "on" })),
            KeyCode::Char('a') => LabKey::Action(format!("acquire {name}")),
            KeyCode::Char('z') => {
                // Long enough to outlive the lease: the case fencing exists for.
                let ms = l.config().lease_ms * 3 / 2;
                LabKey::Action(format!("pause {name} {ms}"))
            }
            KeyCode::Char('c') => {
                let n = l.metrics().writes_accepted + l.metrics().writes_rejected + 1;
                LabKey::Action(format!("write {name} {name}'s write {n}"))
            }
            KeyCode::Char('e') => LabKey::Action(format!("release {name}")),
            _ => LabKey::Unhandled,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, selected: usize, theme: &Theme) {
        let Some(l) = lock(lab) else { return };
        let m = l.metrics();
        let top = lines(&m, selected, usize::from(area.width), theme);
        let top_h = (top.len() as u16).min(area.height);
        frame.render_widget(Paragraph::new(top), Rect { height: top_h, ..area });
        let log = Rect {
            y: area.y + top_h,
            height: area.height - top_h,
            ..area
        };
        event_log(frame, log, l.log.entries(), theme);
    }

    fn hit(&self, area: Rect, lab: &dyn Lab, _selected: usize, column: u16, row: u16) -> Option<usize> {
        let l = lock(lab)?;
        // The clients' rows follow the header and the lock service's two lines.
        let first = area.y + 3;
        (column >= area.x && row >= first && usize::from(row - first) < l.clients.len())
            .then(|| usize::from(row - first))
    }
}

fn lines(m: &LockMetrics, selected: usize, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let fencing = if m.fencing {
        "fencing ON: storage checks tokens"
    } else {
        "fencing OFF: storage takes any write"
    };
    let mut out = vec![Line::from(vec![
        Span::styled(
            format!("lease {} ms · pause {} ms · ", m.lease_ms, m.pause_ms),
            theme.title,
        ),
        Span::styled(fencing, if m.fencing { theme.done } else { theme.notice }),
    ])];
    let bar_w = width.saturating_sub(50).clamp(6, 20);
    out.push(match &m.holder {
        Some(h) => {
            let left = (h.expires_ms - m.now_ms).max(0.0);
            Line::from(vec![
                Span::styled("lock service  ", theme.dim),
                Span::styled(format!("holder {} · token {} · lease ", h.client, h.token), theme.text),
                Span::styled(
                    format!("▕{}▏", bar(left / m.lease_ms.max(1) as f64, bar_w)),
                    theme.accent,
                ),
                Span::styled(format!(" {left:.0} ms left"), theme.dim),
            ])
        }
        None => Line::from(vec![
            Span::styled("lock service  ", theme.dim),
            Span::styled("free", theme.text),
        ]),
    });
    let tokens: Vec<String> = m.tokens.iter().map(u64::to_string).collect();
    out.push(Line::styled(
        format!(
            "              tokens issued: {}",
            if tokens.is_empty() {
                "none yet".to_string()
            } else {
                tokens.join(", ")
            }
        ),
        theme.dim,
    ));
    let holder = m.holder.as_ref().map(|h| (h.client.as_str(), h.token));
    for (i, c) in m.clients.iter().enumerate() {
        let sel = i == selected;
        let state = match c.state {
            ClientState::Idle => "idle",
            ClientState::WaitingForLock => "waiting for the lock",
            ClientState::Paused => "PAUSED",
            ClientState::Writing => "writing",
        };
        let belief = match (c.token, holder) {
            (Some(t), Some((who, ht))) if who == c.name && ht == t => {
                Span::styled(format!("holds token {t}"), theme.text)
            }
            (Some(t), _) => Span::styled(
                format!("believes it holds token {t}: its lease ran out"),
                theme.notice.add_modifier(Modifier::BOLD),
            ),
            (None, _) => Span::styled("holds nothing", theme.dim),
        };
        out.push(Line::from(vec![
            Span::styled(if sel { "›" } else { " " }, theme.accent),
            Span::styled(
                format!("{:<4}", c.name),
                if sel { theme.selected } else { node_style(theme, i) },
            ),
            Span::styled(
                format!("{state:<21}"),
                if c.state == ClientState::Paused {
                    theme.notice
                } else {
                    theme.text
                },
            ),
            belief,
        ]));
    }
    let stored = match &m.stored {
        Some(v) => format!("{:?} by {} (token {})", v.value, v.writer, v.token),
        None => "nothing yet".into(),
    };
    out.push(Line::from(vec![
        Span::styled("storage  ", theme.dim),
        Span::styled(
            format!("holds {stored} · highest token seen {}", m.highest_token_seen),
            theme.text,
        ),
    ]));
    let stale_style = if m.stale_writes_accepted > 0 {
        theme.notice.add_modifier(Modifier::BOLD)
    } else {
        theme.text
    };
    out.push(Line::from(vec![
        Span::styled(
            format!(
                "         accepted {} · refused {} · ",
                m.writes_accepted, m.writes_rejected
            ),
            theme.text,
        ),
        Span::styled(format!("STALE accepted {}", m.stale_writes_accepted), stale_style),
        Span::styled(format!(" · stale refused {}", m.stale_writes_rejected), theme.text),
    ]));
    if m.corrupted {
        out.push(Line::styled(
            "⚠ CORRUPTED: a client whose lease had run out overwrote newer data",
            theme.notice.add_modifier(Modifier::BOLD),
        ));
    }
    out
}
