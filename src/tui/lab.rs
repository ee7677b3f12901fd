//! A live lab: an engine session, the keys that drive it and its drawing. Used full-screen as a
//! sandbox (the Labs screen) and as the lab pane beside lesson steps.
//!
//! This file names no lab. Each lab's UI (its keys, legend, drawing and mouse hits) implements
//! [`LabUi`] in `tui/labs/<lab>.rs` and is reached through the lab registry; the pane adds what
//! every lab shares: the clock of timed labs, undo, reset, saving, the text prompt and the
//! status line.

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::keys::{hint, more, typed_char, KeyHint};
use crate::engines::lab::{find, Lab};
use crate::theme::Theme;

/// What a lab's UI makes of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabKey {
    /// Not one of the lab's keys.
    Unhandled,
    /// The lab's key, with nothing to apply (say, a view toggle).
    Handled,
    /// An action for the engine, as the text its log records.
    Action(String),
    /// The lab's key, refused: the sentence says why (e.g. a setting already at its limit).
    Message(String),
    /// Asks for a line of text: the pane shows `label › text`, and Enter applies
    /// `command text` (e.g. `trace user:42`, `write email=b`).
    Prompt {
        label: &'static str,
        command: &'static str,
        initial: String,
    },
}

/// One lab's user interface. The engine is reached by downcasting `lab` (see `Lab::as_any`).
pub trait LabUi: Sync {
    /// The lab's own keys, declared once: the footer and the help overlay render them.
    fn hints(&self) -> &'static [KeyHint];
    /// What the numbers and marks on the lab mean, for the help overlay.
    fn legend(&self) -> &'static [(&'static str, &'static str)];
    /// How many elements (nodes, replicas) ←/→ and clicks select among; 0 for none.
    fn selectable(&self, lab: &dyn Lab) -> usize;
    fn on_key(&self, lab: &dyn Lab, selected: usize, key: KeyEvent) -> LabKey;
    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, selected: usize, theme: &Theme);
    /// The element a click at (column, row) selects, given where the lab was drawn.
    fn hit(&self, _area: Rect, _lab: &dyn Lab, _selected: usize, _column: u16, _row: u16) -> Option<usize> {
        None
    }
}

/// The UI of a lab that has none of its own (engines under test): its metrics as a table.
pub struct MetricsUi;

impl LabUi for MetricsUi {
    fn hints(&self) -> &'static [KeyHint] {
        &[]
    }
    fn legend(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
    fn selectable(&self, _lab: &dyn Lab) -> usize {
        0
    }
    fn on_key(&self, _lab: &dyn Lab, _selected: usize, _key: KeyEvent) -> LabKey {
        LabKey::Unhandled
    }
    fn draw(&self, frame: &mut Frame, area: Rect, lab: &dyn Lab, _selected: usize, theme: &Theme) {
        let metrics = lab.metrics();
        let lines: Vec<Line> = metrics
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, v)| !v.is_array() && !v.is_object())
            .map(|(k, v)| {
                Line::from(vec![
                    Span::styled(format!("{k:<24}"), theme.dim),
                    Span::styled(v.to_string(), theme.text),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), area);
    }
}

pub struct LabPane {
    pub lab: Box<dyn Lab>,
    ui: &'static dyn LabUi,
    pub selected: usize,
    /// A line being typed (after a lab's prompt key, `/` in the ring).
    pub input: Option<Input>,
    /// The last error or confirmation.
    pub message: Option<String>,
    /// Where the lab was last drawn, for mouse clicks.
    area: Cell<Rect>,
    /// Playback of a timed lab: running or paused, and how fast.
    pub clock: Clock,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub label: &'static str,
    pub command: &'static str,
    pub text: String,
}

/// A timed lab's playback. Each tick message while running adds `tick (TICK_MS × speed)` to
/// the log, so pausing, single-stepping, speed and scrubbing all work on the same replayable
/// log (RaftScope's controls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Clock {
    pub running: bool,
    /// Speed as a power of two: -2 is ×¼, 0 is ×1, 6 is ×64.
    pub speed_exp: i8,
}

impl Clock {
    pub const SLOWEST: i8 = -2;
    pub const FASTEST: i8 = 6;

    /// Simulated milliseconds one tick of real time advances.
    pub fn tick_ms(&self) -> u64 {
        let exp = self.speed_exp.clamp(Self::SLOWEST, Self::FASTEST);
        if exp >= 0 {
            TICK_MS << exp
        } else {
            TICK_MS >> (-exp)
        }
    }

    pub fn speed_label(&self) -> String {
        match self.speed_exp {
            -2 => "×¼".into(),
            -1 => "×½".into(),
            e => format!("×{}", 1u64 << e.max(0)),
        }
    }
}

/// Logical milliseconds per tick at speed ×1; the app sends ticks every TICK_MS of real time.
pub const TICK_MS: u64 = 100;

const CLOCK_HINTS: &[KeyHint] = &[
    hint("Space", "run / pause"),
    hint(".", "step"),
    hint("[ ]", "slower / faster"),
    hint("< >", "scrub back / forward"),
];

/// Keys every lab has, after its own.
const COMMON_HINTS: &[KeyHint] = &[
    hint("u", "undo"),
    hint("r", "reset"),
    more("w", "save this scenario (config + actions) to a file you can share"),
];

const INPUT_HINTS: &[KeyHint] = &[hint("type", "the text"), hint("Enter", "apply"), hint("Esc", "cancel")];

impl LabPane {
    /// A lab by id, from a scenario's config (TOML) or the default.
    pub fn new(id: &str, scenario: Option<&str>) -> Result<LabPane, String> {
        let info = find(id).ok_or_else(|| format!("no lab {id:?}"))?;
        let lab = (info.build)(scenario)?;
        Ok(LabPane::from_lab(lab))
    }

    /// A pane around a lab already built, with its registered UI (a metrics table if none).
    pub fn from_lab(lab: Box<dyn Lab>) -> LabPane {
        let ui = find(lab.id()).map_or(&MetricsUi as &'static dyn LabUi, |i| i.ui);
        LabPane {
            lab,
            ui,
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
        self.apply(&format!("tick {}", self.step_ms()))
    }

    /// Simulated milliseconds one tick (or one `.`) advances: the clock's speed times the lab's
    /// time scale.
    fn step_ms(&self) -> u64 {
        self.clock.tick_ms().saturating_mul(self.lab.time_scale().max(1))
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
                (true, self.apply(&format!("tick {}", self.step_ms())))
            }
            KeyCode::Char('[') | KeyCode::Char(']') => {
                let up = key.code == KeyCode::Char(']');
                let exp = self.clock.speed_exp + if up { 1 } else { -1 };
                if (Clock::SLOWEST..=Clock::FASTEST).contains(&exp) {
                    self.clock.speed_exp = exp;
                    self.message = Some(format!("speed {}", self.clock.speed_label()));
                } else {
                    self.message = Some(format!(
                        "speed {} is the {}",
                        self.clock.speed_label(),
                        if up { "fastest" } else { "slowest" }
                    ));
                }
                (true, false)
            }
            KeyCode::Char('<') | KeyCode::Char('>') => {
                self.clock.running = false;
                let (at, total) = self.lab.scrub(if key.code == KeyCode::Char('<') { -1 } else { 1 });
                self.message = Some(format!("history {at} of {total} · t = {}", seconds(self.lab.now_ms())));
                self.clamp();
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
            return INPUT_HINTS.to_vec();
        }
        let clock: &[KeyHint] = if self.lab.timed() { CLOCK_HINTS } else { &[] };
        let own = self.ui.hints();
        // The lab's footer keys first, then the clock and the common keys; keys only the help
        // overlay lists go last so the footer's cut falls on them.
        let footer = |h: &&KeyHint| h.footer;
        let rest = |h: &&KeyHint| !h.footer;
        own.iter()
            .filter(footer)
            .chain(clock.iter().filter(footer))
            .chain(COMMON_HINTS.iter().filter(footer))
            .chain(own.iter().filter(rest))
            .chain(COMMON_HINTS.iter().filter(rest))
            .copied()
            .collect()
    }

    /// What the lab's on-screen numbers and marks mean, for the help overlay.
    pub fn legend(&self) -> &'static [(&'static str, &'static str)] {
        self.ui.legend()
    }

    /// Whether a text field has the focus (it then takes every printable key).
    pub fn typing(&self) -> bool {
        self.input.is_some()
    }

    /// Handles a lab key; returns (the key was the lab's, an action was applied) so the caller
    /// knows to check lesson goals again.
    pub fn on_key(&mut self, key: KeyEvent) -> (bool, bool) {
        if let Some(input) = &mut self.input {
            match key.code {
                KeyCode::Enter => {
                    let text = format!("{} {}", input.command, input.text.trim());
                    self.input = None;
                    return (true, self.apply(&text));
                }
                KeyCode::Esc => self.input = None,
                KeyCode::Backspace => {
                    input.text.pop();
                }
                _ => {
                    if let Some(c) = typed_char(&key) {
                        input.text.push(c);
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
                let had = !self.lab.log().is_empty();
                self.lab.reset();
                self.message = Some(if had {
                    "reset to the start · u brings it all back".into()
                } else {
                    "already at the start".into()
                });
                self.clamp();
                return (true, had);
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
        let n = self.ui.selectable(self.lab.as_ref());
        match key.code {
            KeyCode::Left if n > 0 => {
                self.selected = (self.selected + n - 1) % n;
                return (true, false);
            }
            KeyCode::Right if n > 0 => {
                self.selected = (self.selected + 1) % n;
                return (true, false);
            }
            _ => {}
        }
        match self.ui.on_key(self.lab.as_ref(), self.selected, key) {
            LabKey::Unhandled => (false, false),
            LabKey::Handled => (true, false),
            LabKey::Action(action) => (true, self.apply(&action)),
            LabKey::Message(why) => {
                self.message = Some(why);
                (true, false)
            }
            LabKey::Prompt {
                label,
                command,
                initial,
            } => {
                self.input = Some(Input {
                    label,
                    command,
                    text: initial,
                });
                (true, false)
            }
        }
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
                // Ticks would flood the message line; the clock line shows the time instead.
                self.message = (!action.starts_with("tick ")).then(|| format!("› {action}"));
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
        self.selected = self
            .selected
            .min(self.ui.selectable(self.lab.as_ref()).saturating_sub(1));
    }

    pub fn click(&mut self, column: u16, row: u16) {
        if let Some(i) = self
            .ui
            .hit(self.area.get(), self.lab.as_ref(), self.selected, column, row)
        {
            self.selected = i;
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let status_rows = 1;
        let body = Rect {
            height: area.height.saturating_sub(status_rows),
            ..area
        };
        self.area.set(body);
        self.ui.draw(frame, body, self.lab.as_ref(), self.selected, theme);
        let status = Rect {
            y: area.y + area.height.saturating_sub(1),
            height: 1,
            ..area
        };
        let line = match (&self.input, &self.message) {
            (Some(input), _) => Line::from(vec![
                Span::styled(format!("{} › ", input.label), theme.accent),
                Span::styled(format!("{}▏", input.text), theme.text),
            ]),
            (None, Some(m)) => Line::styled(m.clone(), theme.dim),
            (None, None) if self.lab.timed() => Line::styled(self.clock_line(), theme.dim),
            (None, None) => Line::styled(
                format!("{} actions · u undoes · r resets", self.lab.log().len()),
                theme.dim,
            ),
        };
        frame.render_widget(Paragraph::new(line), status);
    }

    /// Simulated time, playback and where the scrubber is.
    pub fn clock_line(&self) -> String {
        let (at, total) = self.lab.history();
        let scrubbed = if at < total {
            format!(" · history {at} of {total}")
        } else {
            String::new()
        };
        format!(
            "t = {} {} {}{scrubbed} · Space runs/pauses · . steps · < > scrub",
            seconds(self.lab.now_ms()),
            if self.clock.running { "▶" } else { "❚❚" },
            self.clock.speed_label(),
        )
    }
}

/// Simulated time for people: `12.3 s`, `4 min 05 s` past two minutes.
pub fn seconds(ms: u64) -> String {
    if ms >= 120_000 {
        format!("{} min {:02} s", ms / 60_000, (ms / 1000) % 60)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}
