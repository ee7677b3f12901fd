//! The auto-scaling engine: a group of identical instances under a traffic curve (steady, a
//! daily cycle, Black Friday), resized by target tracking, step or simple scaling with
//! evaluation periods, a cooldown, a scale-in delay, scheduled actions and instance warm-up; and
//! what it costs.
//!
//! A day at 8,000 requests a second is far too many requests to simulate one by one, so time
//! moves in one-second steps and traffic is a fluid: each second brings a Poisson number of
//! requests, the instances in service serve up to their capacity, and the rest wait in a
//! backlog. Each instance is a single queue with exponential service at its capacity (M/M/1
//! under an even spread), which gives every second's response-time distribution and so each
//! minute's p99.

pub mod cli;
pub mod cost;
pub mod cost_lab;
pub mod lab;

use std::collections::VecDeque;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::engines::sim::{self, round6, EventLog, SimRng};

const DAY_S: u64 = 86_400;
/// Seconds per metric datapoint (CloudWatch's one-minute resolution).
pub const PERIOD_S: u64 = 60;
/// p99 values are capped here (ms) so a collapsed group still charts.
const P99_CAP_MS: f64 = 600_000.0;

/// Traffic over the day, in requests per minute.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Curve {
    Steady(f64),
    /// 10K req/min on average, lowest (4K) at 04:00 and highest (16K) at 16:00.
    Daily,
    /// 10K req/min until 08:00, up to 500K by 08:30, held until 12:00, down to 100K by 20:00
    /// and back to 10K at midnight.
    BlackFriday,
}

impl Default for Curve {
    fn default() -> Self {
        Curve::Steady(10_000.0)
    }
}

impl Curve {
    pub fn parse(s: &str) -> Result<Curve, String> {
        match s.split_once(':') {
            Some(("steady", r)) => match r.replace(['_', ','], "").parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Ok(Curve::Steady(x)),
                _ => Err(format!("steady:{r}: give a rate of 0 or more requests per minute")),
            },
            None if s == "steady" => Ok(Curve::default()),
            None if s == "daily" => Ok(Curve::Daily),
            None if s == "blackfriday" || s == "black-friday" => Ok(Curve::BlackFriday),
            _ => Err(format!(
                "unknown curve {s:?}: use steady:REQ_PER_MIN, daily or blackfriday"
            )),
        }
    }

    pub fn name(&self) -> String {
        match self {
            Curve::Steady(r) => format!("steady:{r}"),
            Curve::Daily => "daily".into(),
            Curve::BlackFriday => "blackfriday".into(),
        }
    }

    /// Requests per minute at `t` seconds (the curve repeats daily).
    pub fn rate(&self, t: u64) -> f64 {
        let h = (t % DAY_S) as f64 / 3600.0;
        let lerp = |h0: f64, h1: f64, a: f64, b: f64| a + (b - a) * (h - h0) / (h1 - h0);
        match *self {
            Curve::Steady(r) => r,
            Curve::Daily => 10_000.0 * (1.0 - 0.6 * (2.0 * std::f64::consts::PI * (h - 4.0) / 24.0).cos()),
            Curve::BlackFriday => match h {
                h if h < 8.0 => 10_000.0,
                h if h < 8.5 => lerp(8.0, 8.5, 10_000.0, 500_000.0),
                h if h < 12.0 => 500_000.0,
                h if h < 20.0 => lerp(12.0, 20.0, 500_000.0, 100_000.0),
                _ => lerp(20.0, 24.0, 100_000.0, 10_000.0),
            },
        }
    }
}

/// How the group decides its size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScalingPolicy {
    /// Keep average CPU near this percentage: size = ⌈in service × CPU / target⌉.
    Target(f64),
    /// (CPU threshold %, instances to add), sorted: the highest threshold breached applies.
    Step(Vec<(f64, u32)>),
    /// One threshold, a fixed number to add, then the cooldown.
    Simple(f64, u32),
}

impl Default for ScalingPolicy {
    fn default() -> Self {
        ScalingPolicy::Target(60.0)
    }
}

impl ScalingPolicy {
    /// `target:60`, `step:70=+1,80=+2,90=+5`, `simple:80=+2`.
    pub fn parse(s: &str) -> Result<ScalingPolicy, String> {
        let pct = |x: &str| match x.trim_end_matches('%').parse::<f64>() {
            Ok(p) if p > 0.0 && p <= 100.0 => Ok(p),
            _ => Err(format!("{x:?} is not a CPU percentage above 0 and at most 100")),
        };
        let step = |x: &str| -> Result<(f64, u32), String> {
            let (t, n) = x
                .split_once('=')
                .ok_or_else(|| format!("{x:?}: write THRESHOLD=+N, e.g. 80=+2"))?;
            let n = n
                .trim_start_matches('+')
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| format!("{x:?}: add 1 to 1000 instances"))?;
            Ok((pct(t)?, n))
        };
        match s.split_once(':') {
            Some(("target", t)) => Ok(ScalingPolicy::Target(pct(t)?)),
            Some(("step", list)) => {
                let mut steps = list.split(',').map(step).collect::<Result<Vec<_>, _>>()?;
                steps.sort_by(|a, b| a.0.total_cmp(&b.0));
                Ok(ScalingPolicy::Step(steps))
            }
            Some(("simple", x)) => {
                let (t, n) = step(x)?;
                Ok(ScalingPolicy::Simple(t, n))
            }
            _ => Err(format!(
                "unknown scaling policy {s:?}: use target:60, step:70=+1,80=+2,90=+5 or simple:80=+2"
            )),
        }
    }

    pub fn name(&self) -> String {
        match self {
            ScalingPolicy::Target(t) => format!("target:{t}"),
            ScalingPolicy::Step(steps) => format!(
                "step:{}",
                steps
                    .iter()
                    .map(|(t, n)| format!("{t}=+{n}"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            ScalingPolicy::Simple(t, n) => format!("simple:{t}=+{n}"),
        }
    }

    /// The CPU percentages the policy acts at, for drawing on the chart.
    pub fn thresholds(&self) -> Vec<f64> {
        match self {
            ScalingPolicy::Target(t) | ScalingPolicy::Simple(t, _) => vec![*t],
            ScalingPolicy::Step(steps) => steps.iter().map(|s| s.0).collect(),
        }
    }
}

/// At `at_s` seconds, set the group's bounds (and optionally its size): a pre-scale before a
/// known peak.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheduled {
    pub at_s: u64,
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub desired: Option<u32>,
}

impl Scheduled {
    /// `08:00 min=150,max=200` or `28800 desired=150`.
    pub fn parse(s: &str) -> Result<Scheduled, String> {
        let (at, rest) = s
            .trim()
            .split_once(' ')
            .ok_or_else(|| format!("{s:?}: write HH:MM min=N,max=N,desired=N"))?;
        let at_s = match at.split_once(':') {
            Some((h, m)) => match (h.parse::<u64>(), m.parse::<u64>()) {
                (Ok(h), Ok(m)) if h < 24 && m < 60 => h * 3600 + m * 60,
                _ => return Err(format!("{at:?} is not a time of day (HH:MM)")),
            },
            None => at
                .parse()
                .map_err(|_| format!("{at:?} is not a time (HH:MM or seconds)"))?,
        };
        let mut out = Scheduled {
            at_s,
            min: None,
            max: None,
            desired: None,
        };
        for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("{part:?}: write key=N"))?;
            let v: u32 = v
                .parse()
                .map_err(|_| format!("{part:?}: {v:?} is not a whole number"))?;
            match k {
                "min" => out.min = Some(v),
                "max" => out.max = Some(v),
                "desired" => out.desired = Some(v),
                _ => return Err(format!("{k:?}: a schedule sets min, max or desired")),
            }
        }
        Ok(out)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutoscaleConfig {
    pub curve: Curve,
    /// Requests per minute one instance serves flat out.
    pub capacity: f64,
    pub policy: ScalingPolicy,
    pub min: u32,
    pub max: u32,
    /// Size at the start; None: `min`.
    pub desired: Option<u32>,
    /// Seconds after a scaling action before the next.
    pub cooldown_s: u64,
    /// Seconds a new instance takes before it serves (it is paid for meanwhile).
    pub warmup_s: u64,
    /// Datapoints in a row that must breach before scaling out (None: 3 for target tracking,
    /// 2 otherwise) and in (None: 15 for target tracking, 5 otherwise).
    pub eval_out: Option<u32>,
    pub eval_in: Option<u32>,
    /// Step and simple scaling remove one instance when CPU stays below this.
    pub scale_in_below: f64,
    /// Seconds after a scale-out before any scale-in.
    pub scale_in_delay_s: u64,
    pub schedule: Vec<Scheduled>,
    /// Price of one instance-hour: a $100-a-month server by default (730 hours a month).
    pub price_per_hour: f64,
    /// Share of instances on spot capacity, and the spot discount.
    pub spot_share: f64,
    pub spot_discount: f64,
    /// p99 target in ms: minutes above it are SLA breaches.
    pub sla_ms: f64,
    pub duration_s: u64,
    /// Poisson noise in arrivals (off: exactly the curve).
    pub noise: bool,
    pub seed: u64,
}

impl Default for AutoscaleConfig {
    fn default() -> Self {
        AutoscaleConfig {
            curve: Curve::default(),
            capacity: 5_000.0,
            policy: ScalingPolicy::default(),
            min: 2,
            max: 200,
            desired: None,
            cooldown_s: 300,
            warmup_s: 120,
            eval_out: None,
            eval_in: None,
            scale_in_below: 30.0,
            scale_in_delay_s: 600,
            schedule: Vec::new(),
            price_per_hour: 100.0 / 730.0,
            spot_share: 0.0,
            spot_discount: 0.7,
            sla_ms: 500.0,
            duration_s: DAY_S,
            noise: true,
            seed: 42,
        }
    }
}

impl AutoscaleConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(self.capacity.is_finite() && self.capacity > 0.0) {
            return Err(format!(
                "capacity must be above 0 requests per minute (got {})",
                self.capacity
            ));
        }
        if self.min < 1 || self.max < self.min || self.max > 10_000 {
            return Err(format!(
                "the group needs 1 ≤ min ≤ max ≤ 10,000 (got min {}, max {})",
                self.min, self.max
            ));
        }
        if let Some(d) = self.desired {
            if !(self.min..=self.max).contains(&d) {
                return Err(format!("desired {d} is outside min {}..max {}", self.min, self.max));
            }
        }
        if let Curve::Steady(r) = self.curve {
            if !(r.is_finite() && r >= 0.0) {
                return Err(format!("a steady rate must be 0 or more requests per minute (got {r})"));
            }
        }
        if !(0.0..=1.0).contains(&self.spot_share) || !(0.0..=1.0).contains(&self.spot_discount) {
            return Err("spot share and spot discount must be 0 to 1".into());
        }
        if !(self.price_per_hour.is_finite() && self.price_per_hour >= 0.0) {
            return Err("the price per instance-hour must be 0 or more".into());
        }
        if !(self.sla_ms.is_finite() && self.sla_ms > 0.0) {
            return Err("the p99 target must be above 0 ms".into());
        }
        if self.duration_s == 0 || self.duration_s > 7 * DAY_S {
            return Err("run for 1 s to 7 days".into());
        }
        if self.cooldown_s > DAY_S || self.warmup_s > DAY_S || self.scale_in_delay_s > DAY_S {
            return Err("cooldown, warm-up and scale-in delay must be at most a day".into());
        }
        for e in [self.eval_out, self.eval_in].into_iter().flatten() {
            if !(1..=60).contains(&e) {
                return Err("evaluation periods must be 1 to 60".into());
            }
        }
        Ok(())
    }

    fn eval_out(&self) -> usize {
        let d = if matches!(self.policy, ScalingPolicy::Target(_)) {
            3
        } else {
            2
        };
        self.eval_out.unwrap_or(d) as usize
    }

    fn eval_in(&self) -> usize {
        let d = if matches!(self.policy, ScalingPolicy::Target(_)) {
            15
        } else {
            5
        };
        self.eval_in.unwrap_or(d) as usize
    }
}

/// One minute of the run, as the charts and the JSON Lines show it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Minute {
    /// End of the minute, seconds from the start.
    pub time_s: u64,
    /// Instances in service at the end of the minute.
    pub instances: u32,
    /// Instances launched but still warming up.
    pub warming: u32,
    pub desired: u32,
    /// Average CPU of the instances in service, percent.
    pub cpu: f64,
    pub p99_ms: f64,
    /// Requests that arrived in the minute.
    pub load: f64,
    /// Requests waiting at the end of the minute.
    pub backlog: f64,
    /// Money spent so far.
    pub cost: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AutoscaleSummary {
    pub policy: String,
    pub curve: String,
    pub time_s: u64,
    pub max_instances: u32,
    /// Instances in service at the end.
    pub instances_end: u32,
    pub desired_end: u32,
    pub sla_breach_minutes: u64,
    pub cost: f64,
    /// What the same run costs with the peak's instances all day (no auto-scaling).
    pub cost_fixed_at_peak: f64,
    pub scaling_actions: u64,
    pub peak_p99_ms: f64,
}

/// One second's response-time distribution: a wait of `wait_s` then an exponential tail of
/// rate `rate`, for `weight` requests.
#[derive(Debug, Clone, Copy)]
struct Second {
    weight: f64,
    wait_s: f64,
    rate: f64,
}

impl Second {
    #[cfg(test)]
    fn below(&self, x: f64) -> f64 {
        if x <= self.wait_s {
            0.0
        } else {
            1.0 - (-(x - self.wait_s) * self.rate).exp()
        }
    }
    fn p99(&self) -> f64 {
        self.wait_s + 100f64.ln() / self.rate
    }
}

/// The 99th percentile of a mixture of seconds: Newton's method on the mixture's CDF, kept
/// inside the bracket the seconds' own p99s give (a step that would leave it bisects instead).
/// The CDF is increasing and concave past every second's wait, so Newton converges in a few
/// steps where bisection took thirty: this runs once per simulated minute, and a scrub step
/// replays hours of them.
fn mixture_p99(seconds: &[Second]) -> f64 {
    let total: f64 = seconds.iter().map(|s| s.weight).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let (mut lo, mut hi) = seconds
        .iter()
        .filter(|s| s.weight > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), s| {
            (lo.min(s.p99()), hi.max(s.p99()))
        });
    let mut x = 0.5 * (lo + hi);
    for _ in 0..60 {
        if hi - lo <= 1e-9 * hi {
            break;
        }
        let (mut below, mut density) = (0.0, 0.0);
        for s in seconds.iter().filter(|s| s.weight > 0.0 && x > s.wait_s) {
            let tail = (-(x - s.wait_s) * s.rate).exp();
            below += s.weight * (1.0 - tail);
            density += s.weight * s.rate * tail;
        }
        let f = below / total - 0.99;
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let newton = x - f * total / density;
        let next = if density > 0.0 && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - x).abs() <= 1e-9 * x.max(1e-12) {
            x = next;
            break;
        }
        x = next;
    }
    x
}

#[derive(Clone)]
pub struct Autoscaler {
    pub config: AutoscaleConfig,
    /// Seconds simulated.
    t: u64,
    /// Milliseconds ticked beyond the last whole second.
    pending_ms: u64,
    rng: SimRng,
    in_service: u32,
    /// When each warming instance starts serving, soonest first.
    warming: VecDeque<u64>,
    desired: u32,
    backlog: f64,
    /// Traffic multiplier and when it ends (a spike).
    spike: Option<(f64, u64)>,
    datapoints: VecDeque<f64>,
    /// This minute so far: CPU sum, arrivals, seconds.
    cpu_sum: f64,
    arrived: f64,
    seconds: Vec<Second>,
    last_action: Option<u64>,
    last_scale_out: Option<u64>,
    next_schedule: usize,
    instance_seconds: f64,
    pub minutes: Vec<Minute>,
    sla_breach_minutes: u64,
    max_instances: u32,
    scaling_actions: u64,
    pub log: EventLog,
}

impl Autoscaler {
    pub fn new(config: AutoscaleConfig) -> Result<Autoscaler, String> {
        config.validate()?;
        let mut config = config;
        config.schedule.sort_by_key(|s| s.at_s);
        let start = config.desired.unwrap_or(config.min);
        Ok(Autoscaler {
            rng: sim::rng(config.seed),
            t: 0,
            pending_ms: 0,
            in_service: start,
            warming: VecDeque::new(),
            desired: start,
            backlog: 0.0,
            spike: None,
            datapoints: VecDeque::new(),
            cpu_sum: 0.0,
            arrived: 0.0,
            seconds: Vec::with_capacity(PERIOD_S as usize),
            last_action: None,
            last_scale_out: None,
            next_schedule: 0,
            instance_seconds: 0.0,
            minutes: Vec::new(),
            sla_breach_minutes: 0,
            max_instances: start,
            scaling_actions: 0,
            log: EventLog::default(),
            config,
        })
    }

    /// A Poisson count with mean `mean`: exact (Knuth) below 30, else the normal approximation,
    /// whose error at that size is far below the sampling noise itself.
    fn poisson(&mut self, mean: f64) -> f64 {
        if !self.config.noise {
            return mean;
        }
        if mean < 30.0 {
            let limit = (-mean).exp();
            let mut k = 0.0;
            let mut p: f64 = self.rng.random();
            while p > limit {
                k += 1.0;
                p *= self.rng.random::<f64>();
            }
            return k;
        }
        // The ziggurat (rand_distr's StandardNormal): a few ns where Box–Muller's log, root and
        // cosine cost tens, on the path every simulated second takes.
        let z: f64 = self.rng.sample(rand_distr::StandardNormal);
        (mean + mean.sqrt() * z).round().max(0.0)
    }

    /// Per-instance service rate, requests per second.
    fn mu(&self) -> f64 {
        self.config.capacity / 60.0
    }

    /// Advances one second.
    pub fn step(&mut self) {
        let t = self.t;
        self.run_schedule(t);
        while self.warming.front().is_some_and(|&ready| ready <= t) {
            self.warming.pop_front();
            self.in_service += 1;
        }
        let factor = match self.spike {
            Some((f, until)) if t < until => f,
            _ => 1.0,
        };
        let arrivals = self.poisson(self.config.curve.rate(t) * factor / 60.0);
        let mu = self.mu();
        let capacity = f64::from(self.in_service) * mu;
        let work = self.backlog + arrivals;
        let served = work.min(capacity);
        self.backlog = work - served;
        let cpu = if capacity > 0.0 { served / capacity } else { 1.0 };
        let second = if self.backlog > 0.5 || capacity <= 0.0 {
            Second {
                weight: arrivals,
                wait_s: if capacity > 0.0 {
                    self.backlog / capacity
                } else {
                    3600.0
                },
                rate: mu,
            }
        } else {
            let rho = (arrivals / capacity).min(0.999_999);
            Second {
                weight: arrivals,
                wait_s: 0.0,
                rate: mu * (1.0 - rho),
            }
        };
        self.seconds.push(second);
        self.cpu_sum += cpu;
        self.arrived += arrivals;
        self.instance_seconds += f64::from(self.in_service) + self.warming.len() as f64;
        self.t += 1;
        if self.t.is_multiple_of(PERIOD_S) {
            self.end_minute();
        }
    }

    fn end_minute(&mut self) {
        let cpu = self.cpu_sum / self.seconds.len().max(1) as f64 * 100.0;
        let p99_ms = (mixture_p99(&self.seconds) * 1e3).min(P99_CAP_MS);
        if p99_ms > self.config.sla_ms {
            self.sla_breach_minutes += 1;
        }
        self.datapoints.push_back(cpu);
        let keep = self.config.eval_out().max(self.config.eval_in());
        while self.datapoints.len() > keep {
            self.datapoints.pop_front();
        }
        self.evaluate(cpu);
        self.minutes.push(Minute {
            time_s: self.t,
            instances: self.in_service,
            warming: self.warming.len() as u32,
            desired: self.desired,
            cpu: round6(cpu),
            p99_ms: round6(p99_ms),
            load: self.arrived,
            backlog: self.backlog.round(),
            cost: round6(self.cost()),
        });
        self.cpu_sum = 0.0;
        self.arrived = 0.0;
        self.seconds.clear();
    }

    fn run_schedule(&mut self, t: u64) {
        while let Some(s) = self
            .config
            .schedule
            .get(self.next_schedule)
            .filter(|s| s.at_s <= t)
            .cloned()
        {
            self.next_schedule += 1;
            let min = s.min.unwrap_or(self.config.min).max(1);
            let max = s.max.unwrap_or(self.config.max).max(min);
            self.config.min = min;
            self.config.max = max;
            let desired = s.desired.unwrap_or(self.desired).clamp(min, max);
            self.log
                .push(t * 1_000_000, format!("schedule: min {min}, max {max}"), false);
            self.resize(desired, "scheduled action");
        }
    }

    /// The last `n` datapoints, when there are that many.
    fn last(&self, n: usize) -> Option<impl Iterator<Item = f64> + '_> {
        (self.datapoints.len() >= n).then(|| self.datapoints.iter().rev().take(n).copied())
    }

    fn evaluate(&mut self, cpu: f64) {
        let now = self.t;
        if self.last_action.is_some_and(|a| now < a + self.config.cooldown_s) {
            return;
        }
        let n = self.in_service;
        let (out, inn) = (self.config.eval_out(), self.config.eval_in());
        let may_scale_in = self
            .last_scale_out
            .is_none_or(|a| now >= a + self.config.scale_in_delay_s);
        let proposal = match &self.config.policy {
            ScalingPolicy::Target(target) => {
                let size = |m: f64| (f64::from(n) * m / target - 1e-9).ceil() as u32;
                // Scaling out needs CPU 1% above the target, so sampling noise around a group
                // sized just right does not flap it; scaling in only ever shrinks to the size
                // the target asks for, which is stable by construction.
                if self.last(out).is_some_and(|mut d| d.all(|m| m > target * 1.01)) {
                    Some(size(cpu).max(self.desired))
                } else if may_scale_in && self.last(inn).is_some_and(|mut d| d.all(|m| m < *target)) {
                    Some(size(cpu).min(self.desired))
                } else {
                    None
                }
            }
            ScalingPolicy::Step(steps) => {
                let lowest = steps.first().map_or(100.0, |s| s.0);
                if self.last(out).is_some_and(|mut d| d.all(|m| m >= lowest)) {
                    let add = steps.iter().rev().find(|s| cpu >= s.0).map_or(0, |s| s.1);
                    // Instances already launched count: a step adds to those in service.
                    Some((n + add).max(self.desired))
                } else if may_scale_in
                    && self
                        .last(inn)
                        .is_some_and(|mut d| d.all(|m| m < self.config.scale_in_below))
                {
                    Some(self.desired.saturating_sub(1))
                } else {
                    None
                }
            }
            ScalingPolicy::Simple(threshold, add) => {
                if self.last(out).is_some_and(|mut d| d.all(|m| m >= *threshold)) {
                    Some(self.desired + add)
                } else if may_scale_in
                    && self
                        .last(inn)
                        .is_some_and(|mut d| d.all(|m| m < self.config.scale_in_below))
                {
                    Some(self.desired.saturating_sub(1))
                } else {
                    None
                }
            }
        };
        if let Some(d) = proposal {
            let d = d.clamp(self.config.min, self.config.max);
            if d != self.desired {
                self.resize(d, &format!("CPU {cpu:.0}%"));
                self.last_action = Some(now);
                self.datapoints.clear();
            }
        }
    }

    /// Sets the desired size and launches or terminates instances to match: warming ones go
    /// first on a scale-in (they serve nobody yet).
    fn resize(&mut self, desired: u32, why: &str) {
        let before = self.desired;
        self.desired = desired;
        let total = self.in_service + self.warming.len() as u32;
        if desired > total {
            for _ in total..desired {
                self.warming.push_back(self.t + self.config.warmup_s);
            }
            self.last_scale_out = Some(self.t);
        } else {
            let mut excess = total - desired;
            while excess > 0 && self.warming.pop_back().is_some() {
                excess -= 1;
            }
            self.in_service -= excess.min(self.in_service.saturating_sub(1));
        }
        if desired != before {
            self.scaling_actions += 1;
            self.max_instances = self.max_instances.max(desired);
            self.log.push(
                self.t * 1_000_000,
                format!("{why}: {before} → {desired} instances"),
                false,
            );
        }
    }

    /// Multiplies traffic by `factor` for `seconds` from now.
    pub fn spike(&mut self, factor: f64, seconds: u64) {
        self.spike = Some((factor, self.t + seconds));
    }

    /// Advances `ms` milliseconds: whole seconds are stepped, the rest carried to the next
    /// call (so ticks of any size add up).
    pub fn advance_ms(&mut self, ms: u64) {
        self.pending_ms += ms;
        while self.pending_ms >= 1000 {
            self.pending_ms -= 1000;
            self.step();
        }
    }

    /// Logical time in milliseconds, including a part-second ticked.
    pub fn time_ms(&self) -> u64 {
        self.t * 1000 + self.pending_ms
    }

    /// Resizes at once (the learner's `desired N`).
    fn resize_now(&mut self, desired: u32) {
        self.resize(desired, "set by hand");
        self.last_action = Some(self.t);
    }

    /// Marks scheduled actions before `t` as done.
    fn skip_schedule_before(&mut self, t: u64) {
        self.next_schedule = self.config.schedule.iter().take_while(|s| s.at_s < t).count();
    }

    pub fn run(&mut self, seconds: u64) {
        for _ in 0..seconds {
            self.step();
        }
    }

    pub fn run_to_end(&mut self) {
        while self.t < self.config.duration_s {
            self.step();
        }
    }

    /// Money spent so far.
    pub fn cost(&self) -> f64 {
        let c = &self.config;
        self.instance_seconds / 3600.0 * c.price_per_hour * (1.0 - c.spot_share * c.spot_discount)
    }

    // Read-only views for the lab's drawing.

    /// Seconds simulated.
    pub fn time_s(&self) -> u64 {
        self.t
    }
    /// Instances serving now.
    pub fn in_service(&self) -> u32 {
        self.in_service
    }
    /// Instances launched and still warming up.
    pub fn warming(&self) -> u32 {
        self.warming.len() as u32
    }
    /// The size the group is heading for.
    pub fn desired(&self) -> u32 {
        self.desired
    }
    /// Requests waiting for an instance.
    pub fn backlog(&self) -> f64 {
        self.backlog
    }
    /// Traffic now, requests per minute (the curve times any spike).
    pub fn load_now(&self) -> f64 {
        let f = self.spike.filter(|s| self.t < s.1).map_or(1.0, |s| s.0);
        self.config.curve.rate(self.t) * f
    }

    pub fn summary(&self) -> AutoscaleSummary {
        let peak = self.max_instances.max(self.in_service);
        let c = &self.config;
        let fixed =
            f64::from(peak) * self.t as f64 / 3600.0 * c.price_per_hour * (1.0 - c.spot_share * c.spot_discount);
        AutoscaleSummary {
            policy: self.config.policy.name(),
            curve: self.config.curve.name(),
            time_s: self.t,
            max_instances: peak,
            instances_end: self.in_service,
            desired_end: self.desired,
            sla_breach_minutes: self.sla_breach_minutes,
            cost: round6(self.cost()),
            cost_fixed_at_peak: round6(fixed),
            scaling_actions: self.scaling_actions,
            peak_p99_ms: self.minutes.iter().map(|m| m.p99_ms).fold(0.0, f64::max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_as_written() {
        assert_eq!(ScalingPolicy::parse("target:60").unwrap(), ScalingPolicy::Target(60.0));
        assert_eq!(
            ScalingPolicy::parse("step:90=+5,70=+1,80=+2").unwrap(),
            ScalingPolicy::Step(vec![(70.0, 1), (80.0, 2), (90.0, 5)])
        );
        assert_eq!(
            ScalingPolicy::parse("simple:80=+2").unwrap(),
            ScalingPolicy::Simple(80.0, 2)
        );
        for bad in ["target:0", "target:150", "step:70", "simple:80=+0", "magic:1"] {
            assert!(ScalingPolicy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn black_friday_peaks_at_500k_per_minute() {
        let c = Curve::BlackFriday;
        assert_eq!(c.rate(3 * 3600), 10_000.0);
        assert_eq!(c.rate(10 * 3600), 500_000.0);
        assert_eq!(c.rate(20 * 3600), 100_000.0);
    }

    #[test]
    fn the_p99_of_one_exponential_second_is_ln_100_over_its_rate() {
        let s = [Second {
            weight: 10.0,
            wait_s: 0.0,
            rate: 2.0,
        }];
        assert!((mixture_p99(&s) - 100f64.ln() / 2.0).abs() < 1e-5);
    }

    #[test]
    fn the_p99_of_a_mixture_puts_one_percent_of_the_weight_above_it() {
        // A backlogged second (wait 2 s) among quiet ones: the mixture's CDF at the answer is
        // 0.99 to 1e-9, found by Newton's method with a bisection fallback.
        let mut s: Vec<Second> = (0..59)
            .map(|i| Second {
                weight: 100.0 + i as f64,
                wait_s: 0.0,
                rate: 5.0 + (i % 7) as f64,
            })
            .collect();
        s.push(Second {
            weight: 300.0,
            wait_s: 2.0,
            rate: 8.0,
        });
        let x = mixture_p99(&s);
        let total: f64 = s.iter().map(|s| s.weight).sum();
        let below: f64 = s.iter().map(|s| s.weight * s.below(x)).sum::<f64>() / total;
        assert!((below - 0.99).abs() < 1e-9, "{below} at {x}");
    }

    #[test]
    fn warm_up_delays_new_capacity() {
        let mut a = Autoscaler::new(AutoscaleConfig {
            curve: Curve::Steady(50_000.0),
            warmup_s: 300,
            ..AutoscaleConfig::default()
        })
        .unwrap();
        a.run(240);
        assert!(a.desired() > 2 && a.in_service() == 2, "launched but not yet serving");
        a.run(600);
        assert!(a.in_service() > 2);
    }
}
