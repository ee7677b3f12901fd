//! The lab framework: an engine plus its action log, behind one object-safe trait so the lab
//! screen, lessons and the CLI reach every engine by id.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// What an engine provides to be driven as a lab.
pub trait Engine: Sized {
    type Config: Serialize + DeserializeOwned + Clone + Default;
    fn build(config: &Self::Config) -> Result<Self, String>;
    /// Parses and applies one action written as text (`add n5`, `vnodes 1`, …). On error the
    /// engine is unchanged.
    fn apply_text(&mut self, action: &str) -> Result<(), String>;
    /// Whether the engine evolves in time. A timed engine is advanced by `tick` actions, which
    /// the lab's clock writes into the same log as the learner's actions.
    const TIMED: bool = false;
    /// Advances the engine's logical clock by `ms` milliseconds (timed engines only), processing
    /// every event due by then. `tick(a)` then `tick(b)` must equal `tick(a + b)`: saved scenarios
    /// merge runs of ticks.
    fn tick(&mut self, _ms: u64) {}
    /// Simulated milliseconds the lab's clock advances per millisecond of playback: 1 for a
    /// balancer measured in seconds, more for an engine whose story takes a day (the clock's
    /// ticks still log simulated time, so replay is unchanged).
    const TIME_SCALE: u64 = 1;
    /// An upper bound on the events one simulated second costs with this config and these
    /// actions (timed engines). A scenario whose ticks would cost more than
    /// `MAX_SCENARIO_EVENTS` is refused before it is replayed, so a shared file cannot keep the
    /// app busy for minutes. Engines whose rates a config can raise say so here.
    fn event_rate(_config: &Self::Config, _actions: &[String]) -> f64 {
        1_000.0
    }
    /// The engine's logical time, in milliseconds.
    fn now_ms(&self) -> u64 {
        0
    }
    fn metrics_json(&self) -> serde_json::Value;
    /// Frees the engine's bulk data just before a replay builds its replacement, so undo on a
    /// large engine never holds two copies. The engine is not used again afterwards.
    fn release(&mut self) {}
    /// A copy a replay can resume from (undo and scrubbing restart at the nearest one instead of
    /// at the config). Timed engines return `Some(self.clone())`; None where a copy costs more
    /// memory than a replay costs time (the ring at a million keys).
    fn checkpoint(&self) -> Option<Self> {
        None
    }
    /// Numbers sampled after every action for the lab's time-series charts, by name.
    fn series(&self) -> Vec<(&'static str, f64)> {
        Vec::new()
    }
    /// Turns `self` into the state `actions` reach from `config` (undo, reset, scrubbing). The
    /// default builds afresh and applies each action; an engine overrides it when it can get
    /// there faster. It works in place, rather than building a new engine, so an engine can
    /// keep what the new state shares with the old (the ring reuses its million-key keyspace).
    fn replay(&mut self, config: &Self::Config, actions: &[String]) -> Result<(), String> {
        self.release();
        let mut engine = Self::build(config)?;
        // Every logged action applied once already; should one fail now, the others still apply
        // and the first error is reported.
        let mut first_error = Ok(());
        for a in actions {
            if let Err(e) = apply_logged(&mut engine, a) {
                first_error = first_error.and(Err(format!("{a}: {e}")));
            }
        }
        *self = engine;
        first_error
    }
}

/// Applies one logged action: `tick N` advances a timed engine, anything else is the engine's.
fn apply_logged<E: Engine>(engine: &mut E, action: &str) -> Result<(), String> {
    match action.strip_prefix("tick ") {
        Some(ms) if E::TIMED => {
            engine.tick(
                ms.trim()
                    .parse()
                    .map_err(|_| format!("tick {ms:?}: not a number of milliseconds"))?,
            );
            Ok(())
        }
        _ => engine.apply_text(action),
    }
}

/// The state after each action, in numbers a chart can draw (see `Engine::series`).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub time_ms: u64,
    pub values: Vec<f64>,
}

/// An engine as the app drives it: by id, with undo, reset and scenarios.
pub trait Lab {
    fn id(&self) -> &'static str;
    fn apply(&mut self, action: &str) -> Result<(), String>;
    /// Takes back the last action; false when there is nothing to undo. Right after a reset it
    /// brings back everything the reset cleared.
    fn undo(&mut self) -> bool;
    /// Back to the config, keeping what was cleared so one undo restores it.
    fn reset(&mut self);
    fn metrics(&self) -> serde_json::Value;
    fn log(&self) -> &[String];
    /// The config and the actions so far, as TOML a scenario file (or a lesson step) can hold.
    fn scenario(&self) -> String;
    fn as_any(&self) -> &dyn std::any::Any;
    /// Whether the lab evolves in time (and so shows its clock).
    fn timed(&self) -> bool;
    /// Logical time in milliseconds.
    fn now_ms(&self) -> u64;
    /// Simulated milliseconds per millisecond of the clock's playback (`Engine::TIME_SCALE`).
    fn time_scale(&self) -> u64 {
        1
    }
    /// The time scrubber: moves the cut between the actions in effect and the ones undone by
    /// scrubbing, by `delta` actions, and replays. Returns (position, length of the history).
    fn scrub(&mut self, delta: isize) -> (usize, usize);
    /// (position, length) of the history without moving.
    fn history(&self) -> (usize, usize);
    /// Names of the numbers in each sample.
    fn series_names(&self) -> &[&'static str];
    /// One sample per state of the whole history (the start, then after each action, including
    /// those scrubbed back over); sample `history().0` is the state on screen.
    fn samples(&self) -> &[Sample];
}

/// How often (in actions) a session keeps a copy of the engine to replay from.
const CHECKPOINT_EVERY: usize = 32;
/// At most this many copies are kept; past it every other one is dropped, so memory stays
/// bounded on long runs while replays stay short.
const MAX_CHECKPOINTS: usize = 96;

/// An engine, the config it started from, and the actions applied since.
pub struct Session<E: Engine> {
    id: &'static str,
    config: E::Config,
    log: Vec<String>,
    /// Actions scrubbed back over, in order, ready to scrub forward again.
    future: Vec<String>,
    /// What the last reset cleared (log, future), for undo.
    before_reset: Option<(Vec<String>, Vec<String>, Vec<Sample>)>,
    /// Copies of the engine after `index` actions of the history, by index.
    checkpoints: Vec<(usize, E)>,
    series_names: Vec<&'static str>,
    samples: Vec<Sample>,
    pub engine: E,
}

impl<E: Engine> Session<E> {
    pub fn new(id: &'static str, config: E::Config) -> Result<Session<E>, String> {
        let engine = E::build(&config)?;
        let mut s = Session {
            id,
            config,
            log: Vec::new(),
            future: Vec::new(),
            before_reset: None,
            checkpoints: Vec::new(),
            series_names: Vec::new(),
            samples: Vec::new(),
            engine,
        };
        s.series_names = s.engine.series().iter().map(|(n, _)| *n).collect();
        s.record_sample();
        s.keep_checkpoint();
        Ok(s)
    }

    /// Samples the state on screen as history entry `log.len()`.
    fn record_sample(&mut self) {
        if self.series_names.is_empty() {
            return;
        }
        self.samples.truncate(self.log.len());
        let values = self.engine.series().into_iter().map(|(_, v)| v).collect();
        self.samples.push(Sample {
            time_ms: self.engine.now_ms(),
            values,
        });
    }

    fn keep_checkpoint(&mut self) {
        let at = self.log.len();
        if !at.is_multiple_of(CHECKPOINT_EVERY) || self.checkpoints.last().is_some_and(|(i, _)| *i >= at) {
            return;
        }
        if let Some(copy) = self.engine.checkpoint() {
            self.checkpoints.push((at, copy));
            if self.checkpoints.len() > MAX_CHECKPOINTS {
                let mut n = 0;
                self.checkpoints.retain(|_| {
                    n += 1;
                    n % 2 == 1
                });
            }
        }
    }

    /// Rebuilds the engine as it was after the first `to` actions of the log: from the nearest
    /// checkpoint when there is one, else from the config.
    fn replay_to(&mut self, to: usize) {
        // The config built once already, and the actions applied once: neither can fail now.
        let from = self.checkpoints.iter().rev().find(|(i, _)| *i <= to);
        let (start, engine) = match from {
            Some((i, copy)) => (*i, copy.checkpoint()),
            None => (0, None),
        };
        match engine {
            Some(mut engine) => {
                for a in &self.log[start..to] {
                    let _ = apply_logged(&mut engine, a);
                }
                self.engine = engine;
            }
            None => {
                let _ = self.engine.replay(&self.config, &self.log[..to]);
            }
        }
    }

    fn drop_checkpoints_after(&mut self, at: usize) {
        self.checkpoints.retain(|(i, _)| *i <= at);
    }
}

#[derive(Serialize, serde::Deserialize)]
struct Scenario<C> {
    /// Which lab the scenario is for; saved files carry it so `--scenario` can open them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lab: Option<String>,
    config: C,
    #[serde(default)]
    actions: Vec<String>,
}

/// The log as a scenario keeps it: runs of ticks merged into one (`tick a` then `tick b` is
/// `tick a+b` for every timed engine), so a long run saves as a short file.
fn compact(log: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(log.len());
    let mut pending: u64 = 0;
    for a in log {
        match a.strip_prefix("tick ").and_then(|ms| ms.trim().parse::<u64>().ok()) {
            Some(ms) => pending = pending.saturating_add(ms),
            None => {
                if pending > 0 {
                    out.push(format!("tick {pending}"));
                    pending = 0;
                }
                out.push(a.clone());
            }
        }
    }
    if pending > 0 {
        out.push(format!("tick {pending}"));
    }
    out
}

impl<E: Engine + 'static> Lab for Session<E> {
    fn id(&self) -> &'static str {
        self.id
    }

    fn apply(&mut self, action: &str) -> Result<(), String> {
        let action = action.trim();
        apply_logged(&mut self.engine, action)?;
        // A new action starts a new history from here.
        self.future.clear();
        self.before_reset = None;
        self.drop_checkpoints_after(self.log.len());
        self.log.push(action.to_string());
        self.record_sample();
        self.keep_checkpoint();
        Ok(())
    }

    fn undo(&mut self) -> bool {
        if let (true, Some((log, future, samples))) = (self.log.is_empty(), self.before_reset.take()) {
            self.log = log;
            self.future = future;
            self.samples = samples;
            let at = self.log.len();
            self.replay_to(at);
            return true;
        }
        if self.log.pop().is_none() {
            return false;
        }
        self.future.clear();
        let at = self.log.len();
        self.drop_checkpoints_after(at);
        self.samples.truncate(at + 1);
        self.replay_to(at);
        true
    }

    fn reset(&mut self) {
        if self.log.is_empty() && self.future.is_empty() {
            return;
        }
        let samples = self.samples.clone();
        self.before_reset = Some((std::mem::take(&mut self.log), std::mem::take(&mut self.future), samples));
        self.replay_to(0);
        self.samples.truncate(1);
    }

    fn metrics(&self) -> serde_json::Value {
        self.engine.metrics_json()
    }

    fn log(&self) -> &[String] {
        &self.log
    }

    fn scenario(&self) -> String {
        let s = Scenario {
            lab: Some(self.id.to_string()),
            config: self.config.clone(),
            actions: compact(&self.log),
        };
        toml::to_string(&s).unwrap_or_default()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn timed(&self) -> bool {
        E::TIMED
    }

    fn now_ms(&self) -> u64 {
        self.engine.now_ms()
    }

    fn time_scale(&self) -> u64 {
        E::TIME_SCALE
    }

    fn scrub(&mut self, delta: isize) -> (usize, usize) {
        let total = self.log.len() + self.future.len();
        let target = self.log.len().saturating_add_signed(delta).min(total);
        if target == self.log.len() {
            return (target, total);
        }
        if target > self.log.len() {
            // Forward is cheap: apply the actions scrubbed over again, in order.
            let n = target - self.log.len();
            let forward: Vec<String> = self.future.drain(..n).collect();
            for a in forward {
                let _ = apply_logged(&mut self.engine, &a);
                self.log.push(a);
                self.keep_checkpoint();
            }
        } else {
            let mut back = self.log.split_off(target);
            back.append(&mut self.future);
            self.future = back;
            self.replay_to(target);
        }
        (self.log.len(), total)
    }

    fn history(&self) -> (usize, usize) {
        (self.log.len(), self.log.len() + self.future.len())
    }

    fn series_names(&self) -> &[&'static str] {
        &self.series_names
    }

    fn samples(&self) -> &[Sample] {
        &self.samples
    }
}

/// The most actions a scenario may hold. Scenarios are shared between learners, so one must not
/// be able to keep the app replaying for minutes; each engine bounds the cost of what remains.
pub const MAX_SCENARIO_ACTIONS: usize = 10_000;
/// The longest action a scenario may hold, in bytes (real ones are a few words).
pub const MAX_SCENARIO_ACTION_LEN: usize = 200;
/// The largest scenario file read: 10,000 actions of ~40 bytes with room to spare.
pub const MAX_SCENARIO_BYTES: usize = 1 << 20;

/// Reads a scenario file, refusing a larger one before reading it all (a shared file could be
/// huge, or a device that never ends). Every error names the file.
pub fn read_scenario_file(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read;
    let name = path.display();
    let failed = |e: std::io::Error| format!("could not read the scenario {name}: {}", crate::state::io_reason(&e));
    let file = std::fs::File::open(path).map_err(failed)?;
    let mut bytes = Vec::new();
    file.take(MAX_SCENARIO_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() > MAX_SCENARIO_BYTES {
        return Err(format!(
            "{name}: a scenario file is at most {} KiB",
            MAX_SCENARIO_BYTES / 1024
        ));
    }
    String::from_utf8(bytes).map_err(|_| format!("{name}: a scenario file must be UTF-8 text"))
}

/// A scenario's TOML parsed and held to the limits every lab shares: its size, the number and
/// length of its actions, and text without control characters (node names, keys and actions
/// are printed by the headless CLI and must not carry terminal escapes).
fn parse_bounded<C: DeserializeOwned>(text: &str) -> Result<Scenario<C>, String> {
    check_text(text)?;
    let s: Scenario<C> = toml::from_str(text).map_err(|e| at_line(text, &e))?;
    if s.actions.len() > MAX_SCENARIO_ACTIONS {
        return Err(format!(
            "{} actions: a scenario holds at most {MAX_SCENARIO_ACTIONS}",
            s.actions.len()
        ));
    }
    if let Some((i, a)) = s
        .actions
        .iter()
        .enumerate()
        .find(|(_, a)| a.len() > MAX_SCENARIO_ACTION_LEN)
    {
        return Err(format!(
            "action {} is {} bytes long: at most {MAX_SCENARIO_ACTION_LEN}",
            i + 1,
            a.len()
        ));
    }
    Ok(s)
}

/// The checks on a scenario's text before it is parsed at all.
fn check_text(text: &str) -> Result<(), String> {
    if text.len() > MAX_SCENARIO_BYTES {
        return Err(format!("a scenario is at most {} KiB", MAX_SCENARIO_BYTES / 1024));
    }
    if let Some((line, c)) = crate::content::first_control_in_toml(text) {
        return Err(format!(
            "line {line}: control character {}: a scenario may hold only text",
            crate::safe_text::code(c)
        ));
    }
    Ok(())
}

/// Builds a session from a scenario's TOML (a `[config]` table and optional `actions`).
pub fn from_scenario<E: Engine + 'static>(id: &'static str, toml_text: &str) -> Result<Box<dyn Lab>, String> {
    let s: Scenario<E::Config> = parse_bounded(toml_text)?;
    if E::TIMED {
        bound_events(&s.actions, E::event_rate(&s.config, &s.actions))?;
    }
    let mut session = Session::<E>::new(id, s.config)?;
    for a in &s.actions {
        session.apply(a).map_err(|e| format!("action {a:?}: {e}"))?;
    }
    Ok(Box::new(session))
}

/// The most simulated events a scenario may ask a timed lab to replay: a few seconds of work.
pub const MAX_SCENARIO_EVENTS: f64 = 20_000_000.0;

/// Refuses a scenario whose ticks at `per_s` events per second come to more than
/// `MAX_SCENARIO_EVENTS` (the replay cost is the events simulated, not the actions).
pub fn bound_events(actions: &[String], per_s: f64) -> Result<(), String> {
    let ms: f64 = actions
        .iter()
        .filter_map(|a| a.strip_prefix("tick ")?.trim().parse::<f64>().ok())
        .sum();
    let events = ms / 1000.0 * per_s;
    if events > MAX_SCENARIO_EVENTS || events.is_nan() {
        return Err(format!(
            "the scenario simulates about {events:.0} events ({:.0} s at {per_s:.0}/s): at most {MAX_SCENARIO_EVENTS:.0}",
            ms / 1000.0
        ));
    }
    Ok(())
}

/// The largest number given as word `index` of the actions that start with `verb` (`load 100
/// 1000` has 100 as word 1), or 0 when none does: how high an action can raise a rate.
pub fn largest_arg(actions: &[String], verb: &str, index: usize) -> f64 {
    actions
        .iter()
        .filter(|a| a.split_whitespace().next() == Some(verb))
        .filter_map(|a| a.split_whitespace().nth(index)?.parse::<f64>().ok())
        .filter(|x| x.is_finite())
        .fold(0.0, f64::max)
}

/// A scenario's TOML error with the line it is on (a file's line, for a scenario file), in
/// words rather than a parser's byte offsets.
fn at_line(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let line = 1 + text.as_bytes()[..span.start.min(text.len())]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            format!("line {line}: {message}")
        }
        None => message,
    }
}

/// Builds a lab from a scenario's TOML, or with the default config.
pub type BuildLab = fn(Option<&str>) -> Result<Box<dyn Lab>, String>;

/// A lab the app knows: adding an engine adds one entry to `registry`.
pub struct LabInfo {
    pub id: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    /// Metrics lesson goals may test, with what they mean.
    pub metrics: &'static [(&'static str, &'static str)],
    /// A lab from a scenario's `[config]` table (as TOML text), or the default config.
    pub build: BuildLab,
    /// Checks a scenario's TOML without building the engine (cheap enough for `sdlab check`).
    pub check_scenario: fn(&str) -> Result<(), String>,
    /// Its keys, legend, drawing and mouse hits.
    pub ui: &'static dyn crate::tui::lab::LabUi,
}

/// The TOML of a scenario whose `[config]` is `config`.
pub fn scenario_text(config: &toml::Table) -> String {
    let mut t = toml::Table::new();
    t.insert("config".into(), toml::Value::Table(config.clone()));
    toml::to_string(&t).unwrap_or_default()
}

/// Parses a scenario's config without building anything.
pub fn parse_scenario<C: DeserializeOwned>(text: &str) -> Result<C, String> {
    let s: Scenario<C> = parse_bounded(text)?;
    Ok(s.config)
}

/// Every lab, in the order the Labs screen lists them: the ring first, then the others in the
/// order of the modules they serve.
pub fn registry() -> &'static [LabInfo] {
    &[
        super::ring::lab::LAB,
        super::balancer::lab::LAB,
        super::autoscale::lab::LAB,
        super::autoscale::cost_lab::LAB,
        super::cache::lab::LAB,
        super::cdn::lab::LAB,
        super::replication::lab::LAB,
        super::replication::multimaster::lab::LAB,
        super::queue::lab::LAB,
        super::geodns::lab::LAB,
        super::consensus::lab::QUORUM,
        super::consensus::lab::VOTER,
        super::consensus::lab::ELECTION,
        super::consensus::lab::LOCK,
        super::consensus::lab::CAP,
    ]
}

pub fn find(id: &str) -> Option<&'static LabInfo> {
    registry().iter().find(|l| l.id == id)
}

/// The lab id a saved scenario names (its top-level `lab`).
pub fn scenario_lab(text: &str) -> Result<String, String> {
    check_text(text)?;
    let table: toml::Table = toml::from_str(text).map_err(|e| at_line(text, &e))?;
    match table.get("lab") {
        Some(toml::Value::String(id)) if find(id).is_some() => Ok(id.clone()),
        Some(toml::Value::String(id)) => Err(format!("unknown lab {id:?}")),
        _ => Err("the scenario does not say which lab it is for (lab = \"ring\")".into()),
    }
}

/// A scenario's config and actions, for replaying it outside a lab (the headless CLI).
pub fn read_scenario<C: DeserializeOwned>(text: &str) -> Result<(C, Vec<String>), String> {
    let s: Scenario<C> = parse_bounded(text)?;
    Ok((s.config, s.actions))
}
