//! The auto-scaling group as a lab: its id, the metrics lesson goals may test, and its actions.

use super::{AutoscaleConfig, Autoscaler, Curve, ScalingPolicy, Scheduled};
use crate::engines::lab::{from_scenario, parse_scenario, Engine, Lab, LabInfo, Session};

/// Minutes of history the metrics carry for the charts.
const CHART_MINUTES: usize = 240;

impl Autoscaler {
    /// `policy P`, `curve C`, `min N`, `max N`, `desired N`, `cooldown S`, `warmup S`,
    /// `schedule HH:MM min=N,…`, `prescale HH:MM-HH:MM N`, `spike FACTOR SECONDS`. On an error
    /// nothing changes.
    pub fn apply_text(&mut self, text: &str) -> Result<(), String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let whole = |s: &str| s.parse::<u64>().map_err(|_| format!("{s:?} is not a whole number"));
        let mut config = self.config.clone();
        match words.as_slice() {
            ["policy", p] => config.policy = ScalingPolicy::parse(p)?,
            ["curve", c] => config.curve = Curve::parse(c)?,
            ["min", n] => config.min = whole(n)? as u32,
            ["max", n] => config.max = whole(n)? as u32,
            ["cooldown", s] => config.cooldown_s = whole(s)?,
            ["warmup", s] => config.warmup_s = whole(s)?,
            ["desired", n] => {
                let n = whole(n)? as u32;
                if !(config.min..=config.max).contains(&n) {
                    return Err(format!("desired {n} is outside min {}..max {}", config.min, config.max));
                }
                self.resize_now(n);
                return Ok(());
            }
            ["prescale", window, n] => {
                // A known peak: raise the floor for a window of the day, then put it back.
                let (from, to) = window
                    .split_once('-')
                    .ok_or_else(|| format!("{window:?}: write HH:MM-HH:MM"))?;
                let n = whole(n)? as u32;
                let start = Scheduled::parse(&format!("{from} min={n}"))?;
                let end = Scheduled::parse(&format!("{to} min={}", config.min))?;
                if end.at_s <= start.at_s {
                    return Err(format!("{window:?}: the window must end after it starts"));
                }
                if n > config.max {
                    return Err(format!("a pre-scale to {n} is above max {}", config.max));
                }
                config.schedule.extend([start, end]);
                config.schedule.sort_by_key(|s| s.at_s);
            }
            ["schedule", rest @ ..] => {
                let s = Scheduled::parse(&rest.join(" "))?;
                config.schedule.push(s);
                config.schedule.sort_by_key(|s| s.at_s);
            }
            ["spike", f, s] => {
                let f: f64 = f
                    .trim_end_matches('x')
                    .parse()
                    .map_err(|_| format!("{f:?} is not a number"))?;
                if !(0.0..=1000.0).contains(&f) {
                    return Err("a spike multiplies traffic by 0 to 1000".into());
                }
                self.spike(f, whole(s)?);
                return Ok(());
            }
            _ => return Err(format!("unknown action {text:?}; see `sdlab lab autoscale --help`")),
        }
        config.validate()?;
        let schedule_changed = config.schedule != self.config.schedule;
        self.config = config;
        if schedule_changed {
            // Entries already due are not replayed; the rest run when their time comes.
            let t = self.time_s();
            self.skip_schedule_before(t);
        }
        let d = self.desired().clamp(self.config.min, self.config.max);
        if d != self.desired() {
            self.resize_now(d);
        }
        Ok(())
    }
}

impl Engine for Autoscaler {
    type Config = AutoscaleConfig;
    const TIMED: bool = true;

    // The group is evaluated in one-second steps whatever the traffic, and a day is its story.
    fn event_rate(_c: &AutoscaleConfig, _actions: &[String]) -> f64 {
        10.0
    }
    // One second of playback is ten simulated minutes, so a day plays in under two and a half
    // minutes at ×1 and in seconds at ×64; ticks still log simulated milliseconds.
    const TIME_SCALE: u64 = 600;

    fn build(config: &AutoscaleConfig) -> Result<Autoscaler, String> {
        Autoscaler::new(config.clone())
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        Autoscaler::apply_text(self, action)
    }

    fn tick(&mut self, ms: u64) {
        self.advance_ms(ms);
    }

    fn now_ms(&self) -> u64 {
        self.time_ms()
    }

    fn metrics_json(&self) -> serde_json::Value {
        let s = self.summary();
        let mut v = serde_json::to_value(&s).unwrap_or_default();
        let last = self.minutes.last();
        v["instances"] = self.in_service().into();
        v["warming"] = self.warming().into();
        v["desired"] = self.desired().into();
        v["cpu"] = last.map_or(0.0, |m| m.cpu).into();
        v["p99_ms"] = last.map_or(0.0, |m| m.p99_ms).into();
        v["load_per_min"] = self.load_now().into();
        v["backlog"] = self.backlog().round().into();
        v["scheduled_actions"] = self.config.schedule.len().into();
        v["thresholds"] = serde_json::to_value(self.config.policy.thresholds()).unwrap_or_default();
        let n = self.minutes.len();
        v["history"] = serde_json::to_value(&self.minutes[n.saturating_sub(CHART_MINUTES)..]).unwrap_or_default();
        let e = self.log.entries().len();
        v["events"] =
            serde_json::to_value(self.log.entries().skip(e.saturating_sub(12)).collect::<Vec<_>>()).unwrap_or_default();
        v
    }

    fn checkpoint(&self) -> Option<Autoscaler> {
        Some(self.clone())
    }

    fn series(&self) -> Vec<(&'static str, f64)> {
        let last = self.minutes.last();
        vec![
            ("instances", f64::from(self.in_service())),
            ("cpu", last.map_or(0.0, |m| m.cpu)),
            ("p99_ms", last.map_or(0.0, |m| m.p99_ms)),
            ("cost", self.cost()),
        ]
    }
}

fn build(config: Option<&str>) -> Result<Box<dyn Lab>, String> {
    match config {
        None => Ok(Box::new(Session::<Autoscaler>::new(
            "autoscale",
            AutoscaleConfig::default(),
        )?)),
        Some(text) => from_scenario::<Autoscaler>("autoscale", text),
    }
}

pub const LAB: LabInfo = LabInfo {
    id: "autoscale",
    title: "Auto-scaling group",
    summary: "Keep up with a day of traffic (or Black Friday) with target tracking, step or simple scaling, and see what it costs",
    metrics: &[
        ("policy", "target:T, step:… or simple:T=+N"),
        ("curve", "steady:REQ_PER_MIN, daily or blackfriday"),
        ("time_s", "simulated seconds since midnight of the first day"),
        ("instances", "instances in service now"),
        ("warming", "instances launched, not yet serving"),
        ("desired", "the size the group is heading for"),
        ("cpu", "average CPU of the last minute, percent"),
        ("p99_ms", "99th percentile response time of the last minute, ms"),
        ("max_instances", "the most instances the group reached"),
        ("sla_breach_minutes", "minutes with p99 above the target"),
        ("cost", "money spent so far"),
        ("cost_fixed_at_peak", "what the peak's instances would have cost all along"),
        ("scaling_actions", "times the group changed size"),
        ("scheduled_actions", "scheduled changes of the group's bounds (a pre-scale is two)"),
        ("load_per_min", "traffic now, requests per minute"),
        ("backlog", "requests waiting for an instance"),
    ],
    build,
    check_scenario: |text| parse_scenario::<AutoscaleConfig>(text)?.validate(),
    ui: &crate::tui::labs::autoscale::AutoscaleUi,
};
