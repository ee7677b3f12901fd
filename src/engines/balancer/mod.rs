//! The load-balancer engine: Poisson traffic from users with sessions, a balancer with one of
//! eight routing policies, and servers with a concurrency limit, a queue, crashes, slowdowns and
//! health checks. A discrete-event simulation on the shared clock of `sim`: pure and seeded.
//!
//! What it teaches is measured, not assumed: requests keep going to a crashed server until the
//! health check has failed `unhealthy` times in a row; users lose their session when it lived in
//! the memory of a server that died or was scaled in; and every latency stands beside what
//! queueing theory predicts for the same setting (`theory`).

pub mod cli;
pub mod lab;
pub mod policy;
pub mod theory;

use std::collections::VecDeque;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::engines::sim::{
    self, exponential, round6, us_to_ms, Anomalies, Anomaly, EventLog, EventQueue, Micros, SimRng,
};
pub use policy::{Policy, Router, POLICIES};

const US_PER_S: f64 = 1_000_000.0;
/// A non-negative duration to whole microseconds, rounded to nearest (`f64::round` is a libm
/// call on the hot path of a million-request run; the values here are never negative).
fn to_micros(x: f64) -> Micros {
    (x + 0.5) as Micros
}

/// Anomalies of one kind kept one by one; past it they are only counted (a server left in
/// rotation for a minute under heavy load would otherwise fill memory with identical lines).
const ANOMALIES_PER_KIND: u64 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ServiceTime {
    /// Exponential with mean 1/μ (M/M/c).
    #[default]
    Exponential,
    /// Always exactly 1/μ (M/D/c).
    Fixed,
}

/// Where a user's session lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStore {
    /// In the memory of the server that created it: lost when that server dies or leaves, and
    /// missing whenever the user lands on another server.
    Memory,
    /// In a shared store (Redis-like) every server reads.
    Shared,
    /// In a signed token the client sends with every request: no server holds it.
    Jwt,
}

impl SessionStore {
    pub fn parse(s: &str) -> Result<SessionStore, String> {
        match s {
            "memory" => Ok(SessionStore::Memory),
            "shared" | "redis" => Ok(SessionStore::Shared),
            "jwt" | "token" => Ok(SessionStore::Jwt),
            _ => Err(format!("unknown session store {s:?}: use memory, shared or jwt")),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            SessionStore::Memory => "memory",
            SessionStore::Shared => "shared",
            SessionStore::Jwt => "jwt",
        }
    }
}

/// Health checks: every `interval_s` the balancer probes each server; `unhealthy` failures in a
/// row take it out of rotation, `healthy` passes in a row put it back. Interval 0 turns them off
/// (a dead server then stays in rotation for good).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthCheck {
    pub interval_s: f64,
    pub unhealthy: u32,
    pub healthy: u32,
}

impl Default for HealthCheck {
    // Shorter than a cloud balancer's usual 30 s so that a crash and its detection fit on one
    // screen; the thresholds are AWS's target-group defaults' order (2 to leave, a few to return).
    fn default() -> Self {
        HealthCheck {
            interval_s: 5.0,
            unhealthy: 2,
            healthy: 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BalancerConfig {
    pub servers: usize,
    /// Arrival rate λ, requests per second.
    pub arrival: f64,
    /// Service rate μ of one worker, requests per second.
    pub service: f64,
    pub service_time: ServiceTime,
    pub policy: Policy,
    /// Requests one server works on at once.
    pub concurrency: usize,
    /// Requests a server (or the shared queue) holds waiting; beyond it a request is refused.
    /// None: unbounded.
    pub queue_limit: Option<usize>,
    /// Per-server weights for weighted round robin; missing ones are 1.
    pub weights: Vec<u32>,
    pub health: HealthCheck,
    /// Where sessions live; None: in server memory under an affinity policy (why one uses
    /// them), in a shared store otherwise.
    pub sessions: Option<SessionStore>,
    pub users: usize,
    /// Share of users who are heavy, and how many times more often they send requests.
    pub heavy_users: f64,
    pub heavy_factor: f64,
    /// Seconds a server removed from rotation may finish its work (connection draining);
    /// 0 cuts its requests off at once.
    pub drain_s: f64,
    /// Requests at the start left out of every statistic (the queues filling from empty).
    pub warmup: u64,
    /// Stop sending requests after this many (past the warm-up); None: run for as long as ticked.
    pub requests: Option<u64>,
    /// Latency samples kept for percentiles; the oldest go first past it.
    pub sample_cap: usize,
    pub seed: u64,
}

impl Default for BalancerConfig {
    fn default() -> Self {
        BalancerConfig {
            servers: 3,
            arrival: 20.0,
            service: 10.0,
            service_time: ServiceTime::Exponential,
            policy: Policy::Rr,
            concurrency: 1,
            queue_limit: None,
            weights: Vec::new(),
            health: HealthCheck::default(),
            sessions: None,
            users: 1000,
            heavy_users: 0.1,
            heavy_factor: 10.0,
            drain_s: 30.0,
            warmup: 0,
            requests: None,
            sample_cap: 20_000,
            seed: 42,
        }
    }
}

fn positive_rate(name: &str, x: f64) -> Result<(), String> {
    if x.is_finite() && x >= 0.0 {
        Ok(())
    } else {
        Err(format!(
            "{name} must be a rate of 0 or more requests per second (got {x})"
        ))
    }
}

impl BalancerConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=1000).contains(&self.servers) {
            return Err(format!("servers must be 1 to 1000 (got {})", self.servers));
        }
        positive_rate("the arrival rate", self.arrival)?;
        positive_rate("the service rate", self.service)?;
        if self.service <= 0.0 {
            return Err("the service rate must be above 0 requests per second".into());
        }
        if !(1..=1000).contains(&self.concurrency) {
            return Err(format!("concurrency must be 1 to 1000 (got {})", self.concurrency));
        }
        if self.weights.iter().any(|w| !(1..=100).contains(w)) {
            return Err("weights must be 1 to 100".into());
        }
        let h = &self.health;
        if !(h.interval_s == 0.0 || (0.1..=3600.0).contains(&h.interval_s)) {
            return Err(format!(
                "the health-check interval must be 0 (off) or 0.1 to 3600 s (got {})",
                h.interval_s
            ));
        }
        if !(1..=10).contains(&h.unhealthy) || !(1..=10).contains(&h.healthy) {
            return Err("health-check thresholds must be 1 to 10".into());
        }
        if !(1..=1_000_000).contains(&self.users) {
            return Err(format!("users must be 1 to 1,000,000 (got {})", self.users));
        }
        if !(0.0..=1.0).contains(&self.heavy_users) || !(1.0..=1000.0).contains(&self.heavy_factor) {
            return Err("heavy users must be a share 0 to 1 with a factor 1 to 1000".into());
        }
        if !(0.0..=3600.0).contains(&self.drain_s) {
            return Err(format!("drain time must be 0 to 3600 s (got {})", self.drain_s));
        }
        if self.sample_cap == 0 {
            return Err("keep at least one latency sample".into());
        }
        Ok(())
    }

    pub fn store(&self) -> SessionStore {
        self.sessions.unwrap_or(if self.policy.has_affinity() {
            SessionStore::Memory
        } else {
            SessionStore::Shared
        })
    }
}

/// A request on its way through.
#[derive(Debug, Clone, Copy)]
struct Req {
    arrived: Micros,
    user: u32,
    /// Past the warm-up: counted in the statistics.
    counted: bool,
}

/// The balancer's view of a server from its health checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Healthy,
    Unhealthy,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub name: String,
    pub weight: u32,
    /// Actually running (the balancer learns of a crash only through health checks).
    pub up: bool,
    /// Service times are multiplied by this (1 is normal speed).
    pub slow: f64,
    /// The balancer sends it traffic.
    pub in_rotation: bool,
    pub health: Health,
    /// Failed (while healthy) or passed (while unhealthy) probes in a row.
    pub streak: u32,
    /// Being drained before removal, until this time.
    pub draining_until: Option<Micros>,
    pub removed: bool,
    pub busy: usize,
    queue: VecDeque<Req>,
    epoch: u32,
    /// Counted requests routed to it.
    pub requests: u64,
    /// Counted requests that failed on it: sent while it was down, or cut off in it by a crash
    /// or a removal.
    pub failed: u64,
    busy_us: f64,
    since: Micros,
}

impl Server {
    fn new(name: String, weight: u32, now: Micros) -> Server {
        Server {
            name,
            weight,
            up: true,
            slow: 1.0,
            in_rotation: true,
            health: Health::Healthy,
            streak: 0,
            draining_until: None,
            removed: false,
            busy: 0,
            queue: VecDeque::new(),
            epoch: 0,
            requests: 0,
            failed: 0,
            busy_us: 0.0,
            since: now,
        }
    }

    /// Requests waiting in its queue.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Requests in service or queued: its open connections.
    pub fn connections(&self) -> usize {
        self.busy + self.queue.len()
    }

    fn account(&mut self, now: Micros) {
        self.busy_us += self.busy as f64 * now.saturating_sub(self.since) as f64;
        self.since = now;
    }
}

struct Servers<'a>(&'a [Server]);

impl policy::View for Servers<'_> {
    fn weight(&self, server: u16) -> u32 {
        self.0[usize::from(server)].weight
    }
    fn connections(&self, server: u16) -> usize {
        self.0[usize::from(server)].connections()
    }
}

#[derive(Debug, Clone)]
enum Event {
    Arrive,
    Done {
        server: u16,
        epoch: u32,
        req: Req,
    },
    Probe,
    /// An action written with `@T`, due now.
    Action(String),
    DrainDeadline {
        server: u16,
        epoch: u32,
    },
    SpikeEnd,
}

/// Latency samples: exact running means, percentiles over the newest `cap` samples.
#[derive(Debug, Clone)]
struct Samples {
    values: Vec<f32>,
    next: usize,
    cap: usize,
    sum: f64,
    count: u64,
}

impl Samples {
    fn new(cap: usize) -> Samples {
        Samples {
            values: Vec::with_capacity(cap.min(1 << 20)),
            next: 0,
            cap,
            sum: 0.0,
            count: 0,
        }
    }

    fn push(&mut self, ms: f64) {
        self.sum += ms;
        self.count += 1;
        if self.values.len() < self.cap {
            self.values.push(ms as f32);
        } else {
            self.values[self.next] = ms as f32;
            self.next = (self.next + 1) % self.cap;
        }
    }

    fn summary(&self) -> Latency {
        let mut v = self.values.clone();
        Latency {
            mean: if self.count == 0 {
                0.0
            } else {
                round6(self.sum / self.count as f64)
            },
            p50: round6(nearest_rank(&mut v, 50.0)),
            p99: round6(nearest_rank(&mut v, 99.0)),
        }
    }
}

/// The nearest-rank percentile (as `sim::percentile`), by selection instead of a full sort so a
/// million samples take a few milliseconds.
fn nearest_rank(v: &mut [f32], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    let k = rank.clamp(1, v.len()) - 1;
    let (_, x, _) = v.select_nth_unstable_by(k, f32::total_cmp);
    f64::from(*x)
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    pub mean: f64,
    pub p50: f64,
    pub p99: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerMetrics {
    pub name: String,
    pub requests: u64,
    pub failed: u64,
    pub utilisation: f64,
    pub weight: u32,
    pub busy: usize,
    pub queued: usize,
    pub up: bool,
    pub slow: f64,
    pub in_rotation: bool,
    pub health: Health,
    pub draining: bool,
    pub removed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalancerMetrics {
    pub time_s: f64,
    pub policy: &'static str,
    pub sessions: &'static str,
    pub servers: usize,
    pub arrival: f64,
    pub service: f64,
    /// λ over the capacity of the servers up (1 or more: the queues grow without bound).
    pub offered_load: f64,
    pub stable: bool,
    pub requests: u64,
    pub completed: u64,
    pub failed: u64,
    pub requests_to_dead_server: u64,
    pub sessions_lost: u64,
    pub wait_ms: Latency,
    pub response_ms: Latency,
    pub p_wait: f64,
    pub utilisation: f64,
    pub per_server: Vec<ServerMetrics>,
    pub in_flight: usize,
    /// The queueing model's prediction for this setting, when one applies.
    pub theory: Option<TheoryMs>,
    pub anomalies: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TheoryMs {
    pub model: &'static str,
    pub p_wait: Option<f64>,
    pub wait_ms: f64,
    pub response_ms: f64,
}

/// Requests the lab shows as dots on the servers they went to.
pub const RECENT_ROUTED: usize = 6;

#[derive(Clone)]
pub struct Balancer {
    pub config: BalancerConfig,
    pub servers: Vec<Server>,
    now: Micros,
    queue: EventQueue<Event>,
    rng: SimRng,
    router: Router,
    /// Indices of the servers in rotation, in order (what the router picks from).
    rotation: Vec<u16>,
    shared: VecDeque<Req>,
    shared_cursor: usize,
    /// Current arrival rate (λ, times a spike's factor while one lasts).
    rate: f64,
    /// Arrivals so far, warm-up included.
    arrivals: u64,
    /// Where each user's session lives (memory store), and the server its cookie names.
    session_on: Vec<Option<u16>>,
    cookie: Vec<Option<u16>>,
    stats_from: Micros,
    stats_to: Option<Micros>,
    waits: Samples,
    responses: Samples,
    queued: u64,
    completed: u64,
    failed: u64,
    to_dead: u64,
    sessions_lost: u64,
    pub log: EventLog,
    anomalies: Anomalies,
    /// The server the latest request was sent to.
    last_routed: Option<u16>,
    /// The servers the last few requests went to, oldest first: the lab draws them as dots.
    recent: std::collections::VecDeque<u16>,
    /// Whether an anomaly of this outage was already written per server (one line per outage).
    dead_reported: Vec<bool>,
}

impl Balancer {
    pub fn new(config: BalancerConfig) -> Result<Balancer, String> {
        config.validate()?;
        let servers = (0..config.servers)
            .map(|i| Server::new(format!("s{}", i + 1), config.weights.get(i).copied().unwrap_or(1), 0))
            .collect();
        let mut b = Balancer {
            rng: sim::rng(config.seed),
            servers,
            now: 0,
            queue: EventQueue::new(),
            router: Router::default(),
            rotation: Vec::new(),
            shared: VecDeque::new(),
            shared_cursor: 0,
            rate: config.arrival,
            arrivals: 0,
            session_on: vec![None; config.users],
            cookie: vec![None; config.users],
            stats_from: 0,
            stats_to: None,
            waits: Samples::new(config.sample_cap),
            responses: Samples::new(config.sample_cap),
            queued: 0,
            completed: 0,
            failed: 0,
            to_dead: 0,
            sessions_lost: 0,
            log: EventLog::default(),
            anomalies: Anomalies::default(),
            dead_reported: vec![false; config.servers],
            last_routed: None,
            recent: std::collections::VecDeque::with_capacity(RECENT_ROUTED),
            config,
        };
        b.rebuild_rotation();
        b.schedule_arrival();
        if b.config.health.interval_s > 0.0 {
            b.queue.schedule(b.probe_interval(), Event::Probe);
        }
        Ok(b)
    }

    fn probe_interval(&self) -> Micros {
        (self.config.health.interval_s * US_PER_S).round() as Micros
    }

    fn rebuild_rotation(&mut self) {
        self.rotation = (0..self.servers.len())
            .filter(|&i| self.servers[i].in_rotation && !self.servers[i].removed)
            .map(|i| i as u16)
            .collect();
    }

    fn sending(&self) -> bool {
        self.rate > 0.0
            && self
                .config
                .requests
                .is_none_or(|n| self.arrivals < self.config.warmup + n)
    }

    fn schedule_arrival(&mut self) {
        if self.sending() {
            let gap = to_micros(exponential(&mut self.rng, US_PER_S / self.rate));
            self.queue.schedule(self.now + gap, Event::Arrive);
        }
    }

    /// Draws the next arrival again from now: after a change of rate (memorylessness makes
    /// this exact for Poisson traffic).
    fn reschedule_arrival(&mut self) {
        self.queue.retain(|e| !matches!(e, Event::Arrive));
        self.schedule_arrival();
    }

    fn service_us(&mut self, server: usize) -> Micros {
        let mean = US_PER_S / self.config.service * self.servers[server].slow;
        let t = match self.config.service_time {
            ServiceTime::Exponential => exponential(&mut self.rng, mean),
            ServiceTime::Fixed => mean,
        };
        to_micros(t)
    }

    fn pick_user(&mut self) -> u32 {
        let users = self.config.users;
        let heavy = ((users as f64 * self.config.heavy_users).round() as usize).min(users);
        let light = users - heavy;
        let heavy_share = heavy as f64 * self.config.heavy_factor;
        let p_heavy = heavy_share / (heavy_share + light as f64);
        if heavy > 0 && (light == 0 || self.rng.random::<f64>() < p_heavy) {
            self.rng.random_range(0..heavy) as u32
        } else {
            (heavy + self.rng.random_range(0..light)) as u32
        }
    }

    /// Runs every event due by `until`.
    pub fn run_until(&mut self, until: Micros) {
        while let Some((at, event)) = self.queue.pop_due(until) {
            self.now = at;
            self.handle(event);
        }
        self.now = self.now.max(until);
    }

    /// Runs the next event, whenever it is due; false when none is pending.
    pub fn step(&mut self) -> bool {
        let Some(at) = self.queue.next_time() else { return false };
        if let Some((_, event)) = self.queue.pop_due(at) {
            self.now = at;
            self.handle(event);
        }
        true
    }

    /// Runs until the configured number of requests has been sent and every one has finished
    /// or failed (an experiment). Returns false when `requests` is unset.
    pub fn run_to_completion(&mut self) -> bool {
        if self.config.requests.is_none() {
            return false;
        }
        while let Some(at) = self.queue.next_time() {
            if !self.sending() && self.in_flight() == 0 {
                break;
            }
            if let Some((_, event)) = self.queue.pop_due(at) {
                self.now = at;
                self.handle(event);
            }
        }
        true
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Arrive => self.arrive(),
            Event::Done { server, epoch, req } => {
                let s = usize::from(server);
                if self.servers[s].epoch == epoch {
                    self.finish(s, req);
                }
            }
            Event::Probe => {
                self.probe();
                let next = self.now + self.probe_interval();
                self.queue.schedule(next, Event::Probe);
            }
            Event::Action(text) => {
                if let Err(e) = self.apply_now(&text) {
                    self.log.push(self.now, format!("{text}: {e}"), false);
                }
            }
            Event::DrainDeadline { server, epoch } => {
                let s = usize::from(server);
                if self.servers[s].epoch == epoch && self.servers[s].draining_until.is_some() {
                    self.retire(s);
                }
            }
            Event::SpikeEnd => {
                self.rate = self.config.arrival;
                self.log
                    .push(self.now, format!("spike over: {} req/s", self.rate), false);
                self.reschedule_arrival();
            }
        }
    }

    fn arrive(&mut self) {
        self.arrivals += 1;
        let counted = self.arrivals > self.config.warmup;
        if self.arrivals == self.config.warmup + 1 {
            self.start_stats();
        }
        let user = self.pick_user();
        let req = Req {
            arrived: self.now,
            user,
            counted,
        };
        self.schedule_arrival();
        if !self.sending() && self.config.requests.is_some() {
            self.stats_to = Some(self.now);
            for s in &mut self.servers {
                s.account(self.now);
            }
        }
        if self.rotation.is_empty() {
            self.fail(counted);
            return;
        }
        if self.config.policy == Policy::SharedQueue {
            self.arrive_shared(req);
            return;
        }
        let server = self.route(user);
        self.routed(server);
        let s = usize::from(server);
        if counted {
            self.servers[s].requests += 1;
        }
        if !self.servers[s].up {
            self.to_dead += counted as u64;
            self.servers[s].failed += counted as u64;
            self.fail(counted);
            if !self.dead_reported[s] {
                self.dead_reported[s] = true;
                let detail = format!(
                    "{} is down but still in rotation: the health check has failed {} of {} times",
                    self.servers[s].name, self.servers[s].streak, self.config.health.unhealthy
                );
                self.anomaly("request_to_dead_server", detail);
            }
            return;
        }
        self.touch_session(user, server);
        self.enqueue(s, req);
    }

    fn route(&mut self, user: u32) -> u16 {
        let u = user as usize;
        if self.config.policy == Policy::Sticky {
            if let Some(s) = self.cookie[u] {
                if self.rotation.binary_search(&s).is_ok() {
                    return s;
                }
            }
        }
        let chosen = self.router.pick(
            self.config.policy,
            &self.rotation,
            &Servers(&self.servers),
            self.servers.len(),
            user,
            &mut self.rng,
        );
        if self.config.policy == Policy::Sticky {
            self.cookie[u] = Some(chosen);
        }
        chosen
    }

    /// A request reaches `server`: with sessions in memory, the user is logged out when the
    /// session lives on another server.
    fn touch_session(&mut self, user: u32, server: u16) {
        if self.config.store() != SessionStore::Memory {
            return;
        }
        let u = user as usize;
        match self.session_on[u] {
            Some(s) if s == server => {}
            None => self.session_on[u] = Some(server),
            Some(other) => {
                self.session_on[u] = Some(server);
                self.sessions_lost += 1;
                let detail = format!(
                    "user u{user}'s session is in {}'s memory; the request went to {}",
                    self.servers[usize::from(other)].name,
                    self.servers[usize::from(server)].name
                );
                self.anomaly("session_lost", detail);
            }
        }
    }

    fn enqueue(&mut self, s: usize, req: Req) {
        if self.servers[s].busy < self.config.concurrency {
            self.start(s, req, false);
        } else if self
            .config
            .queue_limit
            .is_some_and(|l| self.servers[s].queue.len() >= l)
        {
            self.servers[s].failed += u64::from(req.counted);
            self.fail(req.counted);
        } else {
            self.servers[s].queue.push_back(req);
        }
    }

    fn arrive_shared(&mut self, req: Req) {
        // A free server takes it at once, starting the search after the last one that did so
        // that idle servers share the work.
        let n = self.rotation.len();
        let start = self.shared_cursor;
        for k in 0..n {
            let i = usize::from(self.rotation[(start + k) % n]);
            if self.servers[i].up && self.servers[i].busy < self.config.concurrency {
                if req.counted {
                    self.servers[i].requests += 1;
                }
                self.shared_cursor = (start + k + 1) % n;
                self.routed(i as u16);
                self.start(i, req, false);
                return;
            }
        }
        if self.config.queue_limit.is_some_and(|l| self.shared.len() >= l) {
            self.fail(req.counted);
        } else {
            self.shared.push_back(req);
        }
    }
}

/// Something the learner (or a `--do` list) does to the balancer. Any action may end in `@T`
/// (seconds, or `500ms`, `2m`): it then happens at simulated time T instead of now.
#[derive(Debug, Clone, PartialEq)]
pub enum BalancerAction {
    Crash(String),
    Revive(String),
    /// Service times on the server ×k (1 restores it).
    Slow(String, f64),
    Add(Option<String>),
    /// Out of rotation now, drained, then gone.
    Remove(String),
    Weight(String, u32),
    Policy(Policy),
    Sessions(SessionStore),
    Arrival(f64),
    /// Every server's service rate μ (a bigger or smaller machine), requests per second.
    Service(f64),
    /// The arrival rate ×factor for a number of seconds.
    Spike(f64, f64),
    Health(HealthCheck),
    Drain(f64),
}

/// `10`, `10s`, `500ms`, `2m` → microseconds.
pub fn parse_time(s: &str) -> Result<Micros, String> {
    let (num, scale) = if let Some(x) = s.strip_suffix("ms") {
        (x, 1e3)
    } else if let Some(x) = s.strip_suffix('s') {
        (x, US_PER_S)
    } else if let Some(x) = s.strip_suffix('m') {
        (x, 60.0 * US_PER_S)
    } else {
        (s, US_PER_S)
    };
    match num.parse::<f64>() {
        Ok(t) if t.is_finite() && t >= 0.0 => Ok((t * scale).round() as Micros),
        _ => Err(format!("{s:?} is not a time (write 10, 10s, 500ms or 2m)")),
    }
}

impl BalancerAction {
    pub fn parse(text: &str) -> Result<BalancerAction, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let num = |s: &str| match s.trim_end_matches('x').parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            _ => Err(format!("{s:?} is not a number")),
        };
        let whole = |s: &str| s.parse::<u32>().map_err(|_| format!("{s:?} is not a whole number"));
        Ok(match words.as_slice() {
            ["crash", n] => BalancerAction::Crash(n.to_string()),
            ["revive", n] => BalancerAction::Revive(n.to_string()),
            ["slow", n, k] => {
                let k = num(k)?;
                if !(1.0..=1000.0).contains(&k) {
                    return Err(format!("slow-down factor must be 1 to 1000 (got {k})"));
                }
                BalancerAction::Slow(n.to_string(), k)
            }
            ["add"] => BalancerAction::Add(None),
            ["add", n] => BalancerAction::Add(Some(n.to_string())),
            ["remove" | "rm", n] => BalancerAction::Remove(n.to_string()),
            ["weight", n, w] => {
                let w = whole(w)?;
                if !(1..=100).contains(&w) {
                    return Err(format!("weight must be 1 to 100 (got {w})"));
                }
                BalancerAction::Weight(n.to_string(), w)
            }
            ["policy", p] => BalancerAction::Policy(Policy::parse(p)?),
            ["sessions", s] => BalancerAction::Sessions(SessionStore::parse(s)?),
            ["arrival", r] => {
                let r = num(r)?;
                positive_rate("the arrival rate", r)?;
                BalancerAction::Arrival(r)
            }
            ["service", r] => {
                let r = num(r)?;
                if !(r > 0.0 && r <= 1e6) {
                    return Err(format!(
                        "the service rate must be above 0 and at most 1,000,000 (got {r})"
                    ));
                }
                BalancerAction::Service(r)
            }
            ["spike", f, d] => {
                let (f, d) = (num(f)?, parse_time(d)? as f64 / US_PER_S);
                if !(0.0..=1000.0).contains(&f) || d <= 0.0 {
                    return Err("spike FACTOR SECONDS: a factor 0 to 1000 for more than 0 s".into());
                }
                BalancerAction::Spike(f, d)
            }
            ["health", "off"] => BalancerAction::Health(HealthCheck {
                interval_s: 0.0,
                ..HealthCheck::default()
            }),
            ["health", i, rest @ ..] if rest.len() <= 2 => {
                let d = HealthCheck::default();
                BalancerAction::Health(HealthCheck {
                    interval_s: parse_time(i)? as f64 / US_PER_S,
                    unhealthy: rest.first().map(|s| whole(s)).transpose()?.unwrap_or(d.unhealthy),
                    healthy: rest.get(1).map(|s| whole(s)).transpose()?.unwrap_or(d.healthy),
                })
            }
            ["drain", s] => BalancerAction::Drain(parse_time(s)? as f64 / US_PER_S),
            _ => return Err(format!("unknown action {text:?}; see `sdlab lab balancer --help`")),
        })
    }
}

/// Splits `crash s2 @10` into the action and its time.
fn split_at_time(text: &str) -> Result<(&str, Option<Micros>), String> {
    match text.rsplit_once('@') {
        Some((a, t)) => Ok((a.trim(), Some(parse_time(t.trim())?))),
        None => Ok((text.trim(), None)),
    }
}

impl Balancer {
    /// Applies an action now, or schedules it when it ends in `@T` with T still to come. On an
    /// error nothing changes.
    pub fn apply_text(&mut self, text: &str) -> Result<(), String> {
        let (action, at) = split_at_time(text)?;
        let parsed = BalancerAction::parse(action)?;
        match at {
            Some(t) if t > self.now => {
                self.queue.schedule(t, Event::Action(action.to_string()));
                Ok(())
            }
            _ => self.apply(&parsed),
        }
    }

    fn apply_now(&mut self, text: &str) -> Result<(), String> {
        self.apply(&BalancerAction::parse(text)?)
    }

    fn index(&self, name: &str) -> Result<usize, String> {
        self.servers
            .iter()
            .position(|s| s.name == name && !s.removed)
            .ok_or_else(|| format!("no server {name:?}"))
    }

    pub fn apply(&mut self, action: &BalancerAction) -> Result<(), String> {
        match action {
            BalancerAction::Crash(n) => {
                let s = self.index(n)?;
                if self.servers[s].up {
                    self.crash(s);
                }
            }
            BalancerAction::Revive(n) => {
                let s = self.index(n)?;
                if !self.servers[s].up {
                    self.servers[s].up = true;
                    self.log.push(self.now, format!("{n} is back up"), false);
                    if self.config.health.interval_s == 0.0 {
                        self.servers[s].in_rotation = true;
                        self.rebuild_rotation();
                    }
                }
            }
            BalancerAction::Slow(n, k) => {
                let s = self.index(n)?;
                self.servers[s].slow = *k;
                self.log
                    .push(self.now, format!("{n} now takes {k}× as long per request"), false);
            }
            BalancerAction::Add(name) => {
                let name = match name {
                    Some(n) => n.clone(),
                    None => (1..)
                        .map(|i| format!("s{i}"))
                        .find(|c| self.servers.iter().all(|s| &s.name != c))
                        .unwrap_or_default(),
                };
                if self.servers.iter().any(|s| s.name == name && !s.removed) {
                    return Err(format!("there is already a server {name}"));
                }
                if self.servers.len() >= 1000 {
                    return Err("at most 1000 servers".into());
                }
                let mut server = Server::new(name.clone(), 1, self.now);
                // A new target serves only once it has passed the health check.
                if self.config.health.interval_s > 0.0 {
                    server.in_rotation = false;
                    server.health = Health::Unhealthy;
                }
                self.servers.push(server);
                self.dead_reported.push(false);
                self.rebuild_rotation();
                self.log.push(self.now, format!("{name} added"), false);
            }
            BalancerAction::Remove(n) => {
                let s = self.index(n)?;
                if self.servers.iter().filter(|x| !x.removed).count() == 1 {
                    return Err("the last server cannot be removed".into());
                }
                self.servers[s].in_rotation = false;
                self.rebuild_rotation();
                if self.config.drain_s > 0.0 && self.servers[s].connections() > 0 {
                    let until = self.now + (self.config.drain_s * US_PER_S).round() as Micros;
                    self.servers[s].draining_until = Some(until);
                    let epoch = self.servers[s].epoch;
                    self.queue.schedule(
                        until,
                        Event::DrainDeadline {
                            server: s as u16,
                            epoch,
                        },
                    );
                    self.log.push(
                        self.now,
                        format!("{n} draining (up to {} s)", self.config.drain_s),
                        false,
                    );
                } else {
                    self.retire(s);
                }
            }
            BalancerAction::Weight(n, w) => {
                let s = self.index(n)?;
                self.servers[s].weight = *w;
            }
            BalancerAction::Policy(p) => {
                if *p != self.config.policy {
                    self.config.policy = *p;
                    self.router = Router::default();
                    // Requests already queued at the servers stay there; a shared queue's
                    // requests go back through the new policy.
                    let waiting: Vec<Req> = self.shared.drain(..).collect();
                    for req in waiting {
                        self.requeue(req);
                    }
                }
            }
            BalancerAction::Sessions(store) => {
                self.config.sessions = Some(*store);
                self.session_on.iter_mut().for_each(|s| *s = None);
            }
            BalancerAction::Arrival(r) => {
                self.config.arrival = *r;
                self.rate = *r;
                self.reschedule_arrival();
            }
            BalancerAction::Service(r) => {
                // Requests in service finish at the old speed; the next ones use the new one.
                self.config.service = *r;
                self.log
                    .push(self.now, format!("every server now serves {r} requests/s"), false);
            }
            BalancerAction::Spike(f, d) => {
                self.rate = self.config.arrival * f;
                self.queue.retain(|e| !matches!(e, Event::SpikeEnd));
                self.queue
                    .schedule(self.now + (d * US_PER_S).round() as Micros, Event::SpikeEnd);
                self.log
                    .push(self.now, format!("spike: {} req/s for {d} s", self.rate), false);
                self.reschedule_arrival();
            }
            BalancerAction::Health(h) => {
                let mut config = self.config.clone();
                config.health = *h;
                config.validate()?;
                let was_on = self.config.health.interval_s > 0.0;
                self.config.health = *h;
                self.queue.retain(|e| !matches!(e, Event::Probe));
                if h.interval_s > 0.0 {
                    self.queue.schedule(self.now + self.probe_interval(), Event::Probe);
                } else if was_on {
                    // Without checks the balancer trusts every registered server again.
                    for s in &mut self.servers {
                        if s.draining_until.is_none() && !s.removed {
                            s.in_rotation = true;
                            s.health = Health::Healthy;
                        }
                    }
                    self.rebuild_rotation();
                }
            }
            BalancerAction::Drain(d) => {
                if !(0.0..=3600.0).contains(d) {
                    return Err(format!("drain time must be 0 to 3600 s (got {d})"));
                }
                self.config.drain_s = *d;
            }
        }
        Ok(())
    }

    /// A request taken from the shared queue after the policy changed: routed like a new one.
    fn requeue(&mut self, req: Req) {
        if self.rotation.is_empty() {
            self.fail(req.counted);
            return;
        }
        if self.config.policy == Policy::SharedQueue {
            self.arrive_shared(req);
            return;
        }
        let s = usize::from(self.route(req.user));
        if !self.servers[s].up {
            self.servers[s].failed += u64::from(req.counted);
            self.fail(req.counted);
        } else {
            self.enqueue(s, req);
        }
    }

    fn account(&mut self, s: usize) {
        let until = self.stats_to.map_or(self.now, |t| t.min(self.now));
        let server = &mut self.servers[s];
        let from = server.since;
        if until > from {
            server.busy_us += server.busy as f64 * (until - from) as f64;
        }
        server.since = self.now.max(from);
    }

    fn start_stats(&mut self) {
        for s in 0..self.servers.len() {
            self.account(s);
            self.servers[s].busy_us = 0.0;
        }
        self.stats_from = self.now;
    }

    fn start(&mut self, s: usize, req: Req, waited: bool) {
        self.account(s);
        self.servers[s].busy += 1;
        if req.counted {
            self.queued += u64::from(waited);
            self.waits.push(us_to_ms(self.now - req.arrived));
        }
        let t = self.service_us(s);
        let epoch = self.servers[s].epoch;
        self.queue.schedule(
            self.now + t,
            Event::Done {
                server: s as u16,
                epoch,
                req,
            },
        );
    }

    fn finish(&mut self, s: usize, req: Req) {
        self.account(s);
        self.servers[s].busy -= 1;
        if req.counted {
            self.completed += 1;
            self.responses.push(us_to_ms(self.now - req.arrived));
        }
        let next = if self.config.policy == Policy::SharedQueue && self.servers[s].in_rotation {
            self.shared.pop_front()
        } else {
            self.servers[s].queue.pop_front()
        };
        if let Some(r) = next {
            self.start(s, r, true);
        } else if self.servers[s].draining_until.is_some() && self.servers[s].connections() == 0 {
            self.retire(s);
        }
    }

    fn fail(&mut self, counted: bool) {
        self.failed += u64::from(counted);
    }

    fn anomaly(&mut self, kind: &'static str, detail: String) {
        if self.anomalies.count(kind) < ANOMALIES_PER_KIND {
            self.anomalies.record(&mut self.log, self.now, kind, detail);
        }
    }

    /// Drops every request the server holds (they fail) and starts a new epoch, so its pending
    /// completions are ignored.
    fn drop_work(&mut self, s: usize) -> usize {
        self.account(s);
        let server = &mut self.servers[s];
        let lost: Vec<Req> = server.queue.drain(..).collect();
        let busy = std::mem::take(&mut server.busy);
        server.epoch += 1;
        server.draining_until = None;
        // In-flight requests are not at hand; only counted ones count, and the in-flight ones
        // started after the warm-up in every run long enough to matter.
        let counted_busy = if self.arrivals > self.config.warmup {
            busy as u64
        } else {
            0
        };
        let here = counted_busy + lost.iter().filter(|r| r.counted).count() as u64;
        self.servers[s].failed += here;
        self.failed += here;
        busy + lost.len()
    }

    fn lose_sessions(&mut self, s: usize, why: &str) {
        if self.config.store() != SessionStore::Memory {
            return;
        }
        let mut n = 0u64;
        for slot in &mut self.session_on {
            if *slot == Some(s as u16) {
                *slot = None;
                n += 1;
            }
        }
        if n > 0 {
            self.sessions_lost += n;
            let detail = format!(
                "{} {why}: {n} users whose sessions were in its memory are logged out",
                self.servers[s].name
            );
            self.anomaly("session_lost", detail);
        }
    }

    fn crash(&mut self, s: usize) {
        self.servers[s].up = false;
        let dropped = self.drop_work(s);
        self.dead_reported[s] = false;
        self.log.push(
            self.now,
            format!(
                "{} crashed ({dropped} request{} in it failed)",
                self.servers[s].name,
                if dropped == 1 { "" } else { "s" }
            ),
            true,
        );
        self.lose_sessions(s, "crashed");
        if self.config.policy == Policy::SharedQueue && !self.any_server_up() {
            let lost = self.shared.drain(..).filter(|r| r.counted).count() as u64;
            self.failed += lost;
        }
    }

    fn any_server_up(&self) -> bool {
        self.rotation.iter().any(|&i| self.servers[usize::from(i)].up)
    }

    /// The server leaves for good (scale-in, or the end of its drain).
    fn retire(&mut self, s: usize) {
        let dropped = self.drop_work(s);
        self.servers[s].removed = true;
        self.servers[s].in_rotation = false;
        self.rebuild_rotation();
        let extra = if dropped > 0 {
            format!(" ({dropped} unfinished requests failed)")
        } else {
            String::new()
        };
        self.log
            .push(self.now, format!("{} removed{extra}", self.servers[s].name), false);
        self.lose_sessions(s, "was removed");
    }

    fn probe(&mut self) {
        let h = self.config.health;
        let mut changed = false;
        for s in 0..self.servers.len() {
            let server = &mut self.servers[s];
            if server.removed {
                continue;
            }
            match (server.health, server.up) {
                (Health::Healthy, true) | (Health::Unhealthy, false) => server.streak = 0,
                (Health::Healthy, false) => {
                    server.streak += 1;
                    if server.streak >= h.unhealthy {
                        server.health = Health::Unhealthy;
                        server.streak = 0;
                        server.in_rotation = false;
                        changed = true;
                        let text = format!("{} failed {} checks: out of rotation", server.name, h.unhealthy);
                        self.log.push(self.now, text, false);
                    }
                }
                (Health::Unhealthy, true) => {
                    server.streak += 1;
                    if server.streak >= h.healthy {
                        server.health = Health::Healthy;
                        server.streak = 0;
                        server.in_rotation = server.draining_until.is_none();
                        changed = true;
                        let text = format!("{} passed {} checks: in rotation", server.name, h.healthy);
                        self.log.push(self.now, text, false);
                        self.dead_reported[s] = false;
                    }
                }
            }
        }
        if changed {
            self.rebuild_rotation();
            if self.config.policy == Policy::SharedQueue {
                // Servers back in rotation pull from the shared queue.
                for s in 0..self.servers.len() {
                    while self.servers[s].in_rotation
                        && self.servers[s].up
                        && self.servers[s].busy < self.config.concurrency
                    {
                        let Some(r) = self.shared.pop_front() else { break };
                        self.start(s, r, true);
                    }
                }
            }
        }
    }

    // Read-only views for the lab's drawing.

    /// Simulated time in microseconds.
    pub fn now(&self) -> Micros {
        self.now
    }
    fn routed(&mut self, server: u16) {
        self.last_routed = Some(server);
        if self.recent.len() == RECENT_ROUTED {
            self.recent.pop_front();
        }
        self.recent.push_back(server);
    }

    /// How many of the last `RECENT_ROUTED` requests went to the server named `name`.
    pub fn recently_routed_to(&self, name: &str) -> usize {
        self.recent
            .iter()
            .filter(|&&s| self.servers[usize::from(s)].name == name)
            .count()
    }

    /// The name of the server the latest request went to (None before the first).
    pub fn last_routed(&self) -> Option<&str> {
        self.last_routed.map(|s| self.servers[usize::from(s)].name.as_str())
    }
    /// Requests sent so far, the warm-up included.
    pub fn arrivals(&self) -> u64 {
        self.arrivals
    }
    /// Requests in service, queued at servers, or in the shared queue.
    pub fn in_flight(&self) -> usize {
        self.servers.iter().map(Server::connections).sum::<usize>() + self.shared.len()
    }
    /// Requests waiting in the shared queue (shared-queue policy).
    pub fn shared_queue(&self) -> usize {
        self.shared.len()
    }
    /// The arrival rate now (λ, or λ × a spike's factor).
    pub fn rate(&self) -> f64 {
        self.rate
    }
    /// Anomalies so far (requests sent to a dead server, sessions lost), oldest first.
    pub fn anomalies(&self) -> Vec<Anomaly> {
        self.anomalies.list().cloned().collect()
    }
    /// Requests due to complete, as (server, time in µs): the dots to draw in flight.
    pub fn in_service(&self) -> impl Iterator<Item = (u16, Micros)> + '_ {
        self.queue.iter().filter_map(|(at, e)| match e {
            Event::Done { server, epoch, .. } if self.servers[usize::from(*server)].epoch == *epoch => {
                Some((*server, at))
            }
            _ => None,
        })
    }

    /// The capacity of the servers that are up, in requests per second.
    pub fn capacity(&self) -> f64 {
        self.servers
            .iter()
            .filter(|s| s.up && !s.removed)
            .map(|s| self.config.concurrency as f64 * self.config.service / s.slow)
            .sum()
    }

    fn theory(&self) -> Option<TheoryMs> {
        let all_normal = self
            .servers
            .iter()
            .filter(|s| !s.removed)
            .all(|s| s.up && s.in_rotation && s.slow == 1.0);
        if !all_normal || self.config.service_time != ServiceTime::Exponential || self.config.queue_limit.is_some() {
            return None;
        }
        let n = self.rotation.len();
        let (lambda, mu, k) = (self.config.arrival, self.config.service, self.config.concurrency);
        let p = match self.config.policy {
            Policy::SharedQueue => theory::mmc(n * k, lambda, mu),
            Policy::Random => theory::split(n, k, lambda, mu),
            Policy::P2c if k == 1 => theory::supermarket(2, lambda / (n as f64 * mu), mu),
            _ => None,
        }?;
        Some(TheoryMs {
            model: p.model,
            p_wait: p.p_wait.map(round6),
            wait_ms: round6(p.wait_s * 1e3),
            response_ms: round6(p.response_s * 1e3),
        })
    }

    pub fn metrics(&self) -> BalancerMetrics {
        let end = self.stats_to.map_or(self.now, |t| t.min(self.now));
        let window = end.saturating_sub(self.stats_from) as f64;
        let per_server: Vec<ServerMetrics> = self
            .servers
            .iter()
            .map(|s| {
                // Busy time up to now, including the stretch since the last change.
                let busy = s.busy_us + s.busy as f64 * end.saturating_sub(s.since) as f64;
                ServerMetrics {
                    name: s.name.clone(),
                    requests: s.requests,
                    failed: s.failed,
                    utilisation: if window > 0.0 {
                        round6(busy / (window * self.config.concurrency as f64))
                    } else {
                        0.0
                    },
                    weight: s.weight,
                    busy: s.busy,
                    queued: s.queue.len(),
                    up: s.up,
                    slow: s.slow,
                    in_rotation: s.in_rotation,
                    health: s.health,
                    draining: s.draining_until.is_some(),
                    removed: s.removed,
                }
            })
            .collect();
        let live: Vec<&ServerMetrics> = per_server.iter().filter(|s| !s.removed).collect();
        let utilisation = live.iter().map(|s| s.utilisation).sum::<f64>() / live.len().max(1) as f64;
        let capacity = self.capacity();
        let offered = if capacity > 0.0 {
            self.rate / capacity
        } else {
            f64::INFINITY
        };
        BalancerMetrics {
            time_s: round6(self.now as f64 / US_PER_S),
            policy: self.config.policy.name(),
            sessions: self.config.store().name(),
            servers: live.len(),
            arrival: self.rate,
            service: self.config.service,
            offered_load: round6(offered.min(1e9)),
            stable: offered < 1.0,
            requests: self.arrivals.saturating_sub(self.config.warmup),
            completed: self.completed,
            failed: self.failed,
            requests_to_dead_server: self.to_dead,
            sessions_lost: self.sessions_lost,
            wait_ms: self.waits.summary(),
            response_ms: self.responses.summary(),
            p_wait: if self.waits.count == 0 {
                0.0
            } else {
                round6(self.queued as f64 / self.waits.count as f64)
            },
            utilisation: round6(utilisation),
            in_flight: self.in_flight(),
            theory: self.theory(),
            anomalies: self.anomalies.len() as usize,
            per_server,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(config: BalancerConfig) -> BalancerMetrics {
        let mut b = Balancer::new(config).unwrap();
        b.run_to_completion();
        b.metrics()
    }

    #[test]
    fn every_request_is_accounted_for() {
        let m = run(BalancerConfig {
            requests: Some(5_000),
            policy: Policy::Least,
            ..BalancerConfig::default()
        });
        assert_eq!(m.requests, 5_000);
        assert_eq!(m.completed + m.failed, 5_000);
        assert_eq!(m.per_server.iter().map(|s| s.requests).sum::<u64>(), 5_000);
        assert_eq!(m.in_flight, 0);
    }

    #[test]
    fn the_same_seed_gives_the_same_run() {
        let c = BalancerConfig {
            requests: Some(2_000),
            policy: Policy::P2c,
            ..BalancerConfig::default()
        };
        assert_eq!(run(c.clone()), run(c));
    }

    #[test]
    fn a_crashed_server_fails_requests_until_the_health_check_catches_it() {
        // 30 req/s round robin over 3 servers: s2 gets 10 req/s. Checks every 5 s, 2 failures to
        // leave: it is caught at the second probe after the crash (t = 15 s for a crash at
        // 7 s: probes at 10 and 15), so about 8 s × 10 req/s = 80 requests fail.
        let mut b = Balancer::new(BalancerConfig {
            arrival: 30.0,
            service: 20.0,
            ..BalancerConfig::default()
        })
        .unwrap();
        b.apply_text("crash s2 @7").unwrap();
        b.run_until(60 * 1_000_000);
        let m = b.metrics();
        assert!(!m.per_server[1].in_rotation);
        assert!(
            (60..=100).contains(&m.requests_to_dead_server),
            "{}",
            m.requests_to_dead_server
        );
        assert_eq!(b.anomalies()[0].kind, "request_to_dead_server");
        // Sent to s2 while it was dead, or cut off in it by the crash: every failure was on s2.
        assert_eq!(m.per_server[1].failed, m.failed);
        assert!(m.failed >= m.requests_to_dead_server);
        assert_eq!(m.per_server[0].failed + m.per_server[2].failed, 0);
        b.apply_text("revive s2").unwrap();
        b.run_until(80 * 1_000_000);
        assert!(
            b.metrics().per_server[1].in_rotation,
            "three passed checks bring it back"
        );
    }

    #[test]
    fn sticky_sessions_in_memory_are_lost_with_their_server_and_kept_in_a_shared_store() {
        let lost = |store: SessionStore| {
            let mut b = Balancer::new(BalancerConfig {
                policy: Policy::Sticky,
                sessions: Some(store),
                users: 300,
                ..BalancerConfig::default()
            })
            .unwrap();
            b.run_until(60 * 1_000_000);
            b.apply_text("remove s3").unwrap();
            b.run_until(120 * 1_000_000);
            b.metrics().sessions_lost
        };
        let memory = lost(SessionStore::Memory);
        // About a third of the 300 users had their session on s3.
        assert!((60..=140).contains(&memory), "{memory}");
        assert_eq!(lost(SessionStore::Shared), 0);
        assert_eq!(lost(SessionStore::Jwt), 0);
    }

    #[test]
    fn draining_lets_a_removed_server_finish_its_requests() {
        let failed = |drain: f64| {
            let mut b = Balancer::new(BalancerConfig {
                arrival: 28.0,
                drain_s: drain,
                ..BalancerConfig::default()
            })
            .unwrap();
            b.run_until(30 * 1_000_000);
            let at_removal = b.metrics().failed;
            b.apply_text("remove s1").unwrap();
            b.run_until(31 * 1_000_000);
            b.metrics().failed - at_removal
        };
        assert_eq!(failed(30.0), 0);
        assert!(failed(0.0) > 0, "at 93% load s1 holds requests when it is cut off");
    }

    #[test]
    fn a_faster_machine_raises_capacity_and_cuts_response_time() {
        // One server at λ 15, μ 10 is unstable; at μ 20 it is an M/M/1 at ρ 0.75 with a mean
        // response of 1/(μ − λ) = 200 ms (Kleinrock, Queueing Systems I, §3.2). 20,000 requests
        // after the switch: within 10% of it.
        let mut b = Balancer::new(BalancerConfig {
            servers: 1,
            arrival: 15.0,
            ..BalancerConfig::default()
        })
        .unwrap();
        assert!(!b.metrics().stable);
        b.apply_text("service 20").unwrap();
        assert!(b.metrics().stable);
        assert!((b.capacity() - 20.0).abs() < 1e-9);
        let mut fresh = Balancer::new(BalancerConfig {
            servers: 1,
            arrival: 15.0,
            service: 20.0,
            requests: Some(20_000),
            warmup: 2_000,
            ..BalancerConfig::default()
        })
        .unwrap();
        fresh.run_to_completion();
        let mean = fresh.metrics().response_ms.mean;
        assert!((mean - 200.0).abs() < 20.0, "{mean}");
        assert!(b.apply_text("service 0").is_err());
    }

    #[test]
    fn bad_actions_change_nothing() {
        let mut b = Balancer::new(BalancerConfig::default()).unwrap();
        for bad in [
            "crash s9",
            "slow s1 0.5",
            "policy fastest",
            "arrival -3",
            "remove s1 @x",
        ] {
            assert!(b.apply_text(bad).is_err(), "{bad}");
        }
        assert_eq!(b.metrics().servers, 3);
    }
}
