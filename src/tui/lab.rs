//! A live lab: an engine session, the keys that drive it and its drawing. Used full-screen as a
//! sandbox (the Labs screen) and as the lab pane beside lesson steps.

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::keys::{typed_char, KeyHint};
use super::ring_lab;
use crate::engines::lab::{find, Lab};
use crate::theme::Theme;

pub struct LabPane {
    pub lab: Box<dyn Lab>,
    pub selected: usize,
    /// Text being typed for a trace (after `/`).
    pub input: Option<String>,
    /// The last error or confirmation.
    pub message: Option<String>,
    /// Where the lab was last drawn, for mouse clicks.
    area: Cell<Rect>,
    /// Playback of a timed lab: running or paused, and how fast.
    pub clock: Clock,
}

/// A timed lab's playback. Each tick message while running adds `tick TICK_MS × speed` to the
/// log, so pausing, single-stepping, speed and scrubbing all work on the same replayable log
/// (RaftScope's controls).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub running: bool,
    pub speed: u64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            running: false,
            speed: 1,
        }
    }
}

/// Logical milliseconds per tick at speed ×1; the app sends ticks every TICK_MS of real time.
pub const TICK_MS: u64 = 100;

const CLOCK_HINTS: &[KeyHint] = &[
    super::keys::hint("Space", "run / pause"),
    super::keys::hint(".", "step"),
    super::keys::hint("[ ]", "slower / faster"),
    super::keys::hint("< >", "scrub back / forward"),
];

const TRACE_HINTS: &[KeyHint] = &[
    super::keys::hint("type", "a key, e.g. user:42"),
    super::keys::hint("Enter", "trace it"),
    super::keys::hint("Esc", "cancel"),
];

impl LabPane {
    /// A lab by id, from a scenario's config (TOML) or the default.
    pub fn new(id: &str, scenario: Option<&str>) -> Result<LabPane, String> {
        let info = find(id).ok_or_else(|| format!("no lab {id:?}"))?;
        let lab = (info.build)(scenario)?;
        Ok(LabPane::from_lab(lab))
    }

    /// A pane around a lab already built.
    pub fn from_lab(lab: Box<dyn Lab>) -> LabPane {
        LabPane {
            lab,
            selected: 0,
            input: None,
            message: None,
            area: Cell::new(Rect::default()),
            clock: Clock::default(),
        }
    }

    /// Whether the pane wants tick messages (a timed lab that is running).
    pub fn running(&self) -> bool {
        self.lab.timed() && self.clock.running
    }

    /// One tick of real time: advances a running timed lab.
    pub fn tick(&mut self) -> bool {
        if !self.running() {
            return false;
        }
        self.apply(&format!("tick {}", TICK_MS * self.clock.speed))
    }

    /// Keys of a timed lab's clock; returns (handled, changed).
    fn clock_key(&mut self, key: KeyEvent) -> (bool, bool) {
        match key.code {
            KeyCode::Char(' ') => {
                self.clock.running = !self.clock.running;
                (true, false)
            }
            KeyCode::Char('.') => {
                self.clock.running = false;
                (true, self.apply(&format!("tick {TICK_MS}")))
            }
            KeyCode::Char('[') => {
                self.clock.speed = (self.clock.speed / 2).max(1);
                (true, false)
            }
            KeyCode::Char(']') => {
                self.clock.speed = (self.clock.speed * 2).min(16);
                (true, false)
            }
            KeyCode::Char('<') | KeyCode::Char('>') => {
                self.clock.running = false;
                let (at, total) = self.lab.scrub(if key.code == KeyCode::Char('<') { -1 } else { 1 });
                self.message = Some(format!("history {at} of {total}"));
                (true, true)
            }
            _ => (false, false),
        }
    }

    pub fn title(&self) -> &'static str {
        find(self.lab.id()).map_or("Lab", |i| i.title)
    }

    pub fn hints(&self) -> Vec<KeyHint> {
        if self.input.is_some() {
            return TRACE_HINTS.to_vec();
        }
        let own: &[KeyHint] = match self.lab.id() {
            "ring" => ring_lab::HINTS,
            _ => &[],
        };
        let clock: &[KeyHint] = if self.lab.timed() { CLOCK_HINTS } else { &[] };
        clock.iter().chain(own).copied().collect()
    }

    /// What the lab's on-screen numbers and marks mean, for the help overlay.
    pub fn legend(&self) -> &'static [(&'static str, &'static str)] {
        match self.lab.id() {
            "ring" => ring_lab::LEGEND,
            _ => &[],
        }
    }

    /// Whether a text field has the focus (it then takes every printable key).
    pub fn typing(&self) -> bool {
        self.input.is_some()
    }

    /// Handles a lab key; returns whether the key was the lab's. `changed` tells the caller an
    /// action was applied (so lesson goals are checked again).
    pub fn on_key(&mut self, key: KeyEvent) -> (bool, bool) {
        if let Some(input) = &mut self.input {
            match key.code {
                KeyCode::Enter => {
                    let text = format!("trace {}", input.trim());
                    self.input = None;
                    return (true, self.apply(&text));
                }
                KeyCode::Esc => self.input = None,
                KeyCode::Backspace => {
                    input.pop();
                }
                _ => {
                    if let Some(c) = typed_char(&key).filter(|c| !c.is_whitespace()) {
                        input.push(c);
                    }
                }
            }
            return (true, false);
        }
        if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
            return (false, false);
        }
        if self.lab.timed() {
            let (handled, changed) = self.clock_key(key);
            if handled {
                return (true, changed);
            }
        }
        match key.code {
            KeyCode::Char('u') => {
                let undone = self.lab.undo();
                self.message = Some(if undone {
                    "undone".into()
                } else {
                    "nothing to undo".into()
                });
                self.clamp();
                return (true, undone);
            }
            KeyCode::Char('r') => {
                self.lab.reset();
                self.message = Some("reset to the start".into());
                self.clamp();
                return (true, true);
            }
            KeyCode::Char('/') => {
                self.input = Some("user:".into());
                return (true, false);
            }
            KeyCode::Char('w') => {
                self.message = Some(match self.save() {
                    Ok(path) => format!("saved · open it again with: sdlab --scenario {}", path.display()),
                    Err(e) => e,
                });
                return (true, false);
            }
            _ => {}
        }
        if self.lab.id() == "ring" {
            let Some(ring) = ring_lab::ring(self.lab.as_ref()) else {
                return (false, false);
            };
            let n = ring.config.nodes.len();
            match key.code {
                KeyCode::Left => {
                    self.selected = (self.selected + n - 1) % n;
                    return (true, false);
                }
                KeyCode::Right => {
                    self.selected = (self.selected + 1) % n;
                    return (true, false);
                }
                _ => {}
            }
            if let Some(action) = ring_lab::action_for(key, ring, self.selected) {
                return (true, self.apply(&action));
            }
        }
        (false, false)
    }

    /// Writes the scenario (config and actions) under the data directory's `scenarios/`; the
    /// error is the sentence to show, naming the path.
    pub fn save(&self) -> Result<std::path::PathBuf, String> {
        use crate::state::io_reason;
        let store = crate::state::Store::locate().map_err(|e| format!("could not save the scenario: {e}"))?;
        let dir = store.dir().join("scenarios");
        let failed = |path: &std::path::Path, e: std::io::Error| {
            format!("could not save the scenario to {}: {}", path.display(), io_reason(&e))
        };
        std::fs::create_dir_all(&dir).map_err(|e| failed(&dir, e))?;
        let n = (1..)
            .find(|n| !dir.join(format!("{}-{n}.toml", self.lab.id())).exists())
            .unwrap_or(1);
        let path = dir.join(format!("{}-{n}.toml", self.lab.id()));
        std::fs::write(&path, self.lab.scenario()).map_err(|e| failed(&path, e))?;
        Ok(path)
    }

    /// Applies a text action, reporting an error in the message line.
    pub fn apply(&mut self, action: &str) -> bool {
        match self.lab.apply(action) {
            Ok(()) => {
                self.message = Some(format!("› {action}"));
                self.clamp();
                true
            }
            Err(e) => {
                self.message = Some(format!("{action}: {e}"));
                false
            }
        }
    }

    fn clamp(&mut self) {
        if let Some(ring) = ring_lab::ring(self.lab.as_ref()) {
            self.selected = self.selected.min(ring.config.nodes.len().saturating_sub(1));
        }
    }

    pub fn click(&mut self, column: u16, row: u16) {
        if let Some(ring) = ring_lab::ring(self.lab.as_ref()) {
            if let Some(i) = ring_lab::node_at(self.area.get(), ring, self.selected, column, row) {
                self.selected = i;
            }
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let status_rows = 1;
        let body = Rect {
            height: area.height.saturating_sub(status_rows),
            ..area
        };
        self.area.set(body);
        if let Some(ring) = ring_lab::ring(self.lab.as_ref()) {
            ring_lab::draw(frame, body, ring, self.selected, theme);
        }
        let status = Rect {
            y: area.y + area.height.saturating_sub(1),
            height: 1,
            ..area
        };
        let line = match (&self.input, &self.message) {
            (Some(input), _) => Line::from(vec![
                Span::styled("trace › ", theme.accent),
                Span::styled(format!("{input}▏"), theme.text),
            ]),
            (None, Some(m)) => Line::styled(m.clone(), theme.dim),
            (None, None) if self.lab.timed() => Line::styled(
                format!(
                    "t = {:.1} s {} ×{} · Space runs/pauses · . steps · < > scrub",
                    self.lab.now_ms() as f64 / 1000.0,
                    if self.clock.running { "▶" } else { "❚❚" },
                    self.clock.speed
                ),
                theme.dim,
            ),
            (None, None) => Line::styled(
                format!("{} actions · u undoes · r resets", self.lab.log().len()),
                theme.dim,
            ),
        };
        frame.render_widget(Paragraph::new(line), status);
    }
}
