//! The work queue (RabbitMQ / SQS style): competing consumers take messages one at a time,
//! process them (fixed or exponential time, a failure probability, poison messages that always
//! fail), and ack or nack. A nacked message comes back after an exponential backoff until its
//! receive count reaches the maximum, then moves to the dead-letter queue. A message a consumer
//! took but never acked becomes visible again when its visibility timeout runs out.
//!
//! Delivery modes: at-most-once acks on receipt, so a crash or a failure loses the message;
//! at-least-once acks after processing, so a crash before the ack redelivers it and, without an
//! idempotent consumer, repeats its side effect (a second charge).

use std::collections::VecDeque;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::engines::sim::{
    exponential, ms_to_us, percentile, rng, round6, us_to_ms, Anomalies, Anomaly, EventLog, EventQueue, LogEntry,
    Micros, SimRng,
};

/// How long one processing attempt takes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Service {
    Fixed { ms: f64 },
    Exponential { mean_ms: f64 },
}

impl Service {
    /// `fixed:MS` or `exp:MEAN_MS`.
    pub fn parse(text: &str) -> Result<Service, String> {
        let bad = || format!("service {text:?}: write fixed:MS or exp:MEAN_MS, e.g. fixed:1000");
        let (kind, ms) = text.split_once(':').ok_or_else(bad)?;
        let ms: f64 = ms.trim().parse().map_err(|_| bad())?;
        if !(ms.is_finite() && ms > 0.0 && ms <= 3_600_000.0) {
            return Err(format!("service time {ms} ms: give more than 0 and at most 3600000"));
        }
        match kind.trim() {
            "fixed" => Ok(Service::Fixed { ms }),
            "exp" => Ok(Service::Exponential { mean_ms: ms }),
            _ => Err(bad()),
        }
    }

    pub fn mean_ms(&self) -> f64 {
        match *self {
            Service::Fixed { ms } => ms,
            Service::Exponential { mean_ms } => mean_ms,
        }
    }
}

impl TryFrom<String> for Service {
    type Error = String;
    fn try_from(s: String) -> Result<Service, String> {
        Service::parse(&s)
    }
}

impl From<Service> for String {
    fn from(s: Service) -> String {
        match s {
            Service::Fixed { ms } => format!("fixed:{ms}"),
            Service::Exponential { mean_ms } => format!("exp:{mean_ms}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    AtMostOnce,
    #[default]
    AtLeastOnce,
}

impl Delivery {
    pub fn parse(text: &str) -> Result<Delivery, String> {
        match text {
            "at-most-once" => Ok(Delivery::AtMostOnce),
            "at-least-once" => Ok(Delivery::AtLeastOnce),
            other => Err(format!("delivery {other:?}: use at-most-once or at-least-once")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Delivery::AtMostOnce => "at-most-once",
            Delivery::AtLeastOnce => "at-least-once",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkConfig {
    /// Messages produced in all.
    pub tasks: usize,
    pub consumers: usize,
    pub service: Service,
    /// Probability that one processing attempt fails (the consumer nacks).
    pub fail: f64,
    /// How many of the messages (ids 1..=poison) always fail.
    pub poison: usize,
    /// Receives after which a failing message moves to the dead-letter queue.
    pub max_attempts: u32,
    pub delivery: Delivery,
    /// Dedupe by message id before the side effect.
    pub idempotent: bool,
    /// How long a received, unacked message stays invisible to other consumers.
    pub visibility_timeout_ms: u64,
    /// The first retry waits this long after a nack, each later one twice as long; 0 retries at
    /// once.
    pub backoff_ms: u64,
    pub backoff_cap_ms: u64,
    /// Poisson arrivals at this many messages per second; 0 puts every task on the queue at
    /// time 0.
    pub arrival_rate: f64,
    pub seed: u64,
}

impl Default for WorkConfig {
    fn default() -> Self {
        WorkConfig {
            tasks: 100,
            consumers: 3,
            service: Service::Fixed { ms: 1000.0 },
            fail: 0.0,
            poison: 0,
            max_attempts: 3,
            delivery: Delivery::AtLeastOnce,
            idempotent: false,
            // SQS's default visibility timeout.
            visibility_timeout_ms: 30_000,
            backoff_ms: 1000,
            backoff_cap_ms: 60_000,
            arrival_rate: 0.0,
            seed: 42,
        }
    }
}

impl WorkConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=2_000_000).contains(&self.tasks) {
            return Err(format!("tasks: give 1 to 2000000 (got {})", self.tasks));
        }
        if !(1..=64).contains(&self.consumers) {
            return Err(format!("consumers: give 1 to 64 (got {})", self.consumers));
        }
        if !(0.0..=1.0).contains(&self.fail) {
            return Err(format!("fail: give a probability from 0 to 1 (got {})", self.fail));
        }
        if self.poison > self.tasks {
            return Err(format!(
                "poison: at most the {} tasks (got {})",
                self.tasks, self.poison
            ));
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(format!("max attempts: give 1 to 100 (got {})", self.max_attempts));
        }
        if self.visibility_timeout_ms == 0 {
            return Err("visibility timeout: give at least 1 ms".into());
        }
        if !(self.arrival_rate.is_finite() && (0.0..=1_000_000.0).contains(&self.arrival_rate)) {
            return Err(format!(
                "arrival rate: give 0 (all at once) to 1000000 messages per second (got {})",
                self.arrival_rate
            ));
        }
        Service::parse(&String::from(self.service)).map(|_| ())
    }
}

/// Where a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Where {
    /// Not produced yet (Poisson arrivals).
    Unsent,
    Ready,
    /// Waiting out its retry backoff.
    Delayed,
    /// Received and not acked; `receipt` names the latest delivery.
    InFlight {
        consumer: usize,
        receipt: u64,
    },
    Acked,
    Dead,
    Lost,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub id: u64,
    pub poison: bool,
    pub at: Where,
    /// Receives so far (SQS's ApproximateReceiveCount).
    pub attempts: u32,
    /// Completed processing runs, and how many of them had the side effect.
    pub completions: u32,
    pub side_effects: u32,
    pub enqueued: Micros,
    pub first_delivery: Option<Micros>,
}

#[derive(Debug, Clone)]
struct Job {
    msg: usize,
    receipt: u64,
    done_at: Micros,
    fails: bool,
    /// Taken under at-most-once: the broker already forgot it.
    acked_on_receipt: bool,
}

#[derive(Debug, Clone)]
pub struct Consumer {
    pub name: String,
    pub alive: bool,
    /// Dies right before its next ack.
    pub crash_before_ack: bool,
    /// Processing takes this many times longer (a slow consumer).
    pub slowness: f64,
    pub handled: u64,
    job: Option<Job>,
    /// Bumped on every crash so the finish of a killed job is ignored.
    epoch: u64,
}

impl Consumer {
    /// The message it is processing, if any.
    pub fn current(&self) -> Option<u64> {
        self.job.as_ref().map(|j| j.msg as u64 + 1)
    }
}

#[derive(Debug, Clone)]
enum Ev {
    Arrive,
    Done { consumer: usize, epoch: u64 },
    Visible { msg: usize, receipt: u64 },
    Retry { msg: usize },
}

/// A dead-lettered message and the receives it took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    pub id: u64,
    pub attempts: u32,
}

/// One consumer as the metrics show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsumerView {
    pub name: String,
    pub alive: bool,
    pub current: Option<u64>,
    pub handled: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkMetrics {
    pub model: &'static str,
    pub now_ms: f64,
    pub delivery: &'static str,
    pub idempotent: bool,
    /// When the last message was acked, dead-lettered or lost; null while any is left.
    pub drain_ms: Option<f64>,
    /// Processing runs that finished (a redelivered message counts each time).
    pub processed: u64,
    /// Finished runs of a message that had already been processed once.
    pub duplicates: u64,
    pub lost: u64,
    /// Side effects beyond the first for a message (a second charge).
    pub double_side_effects: u64,
    pub dlq: Vec<DeadLetter>,
    /// Messages the broker holds (ready, waiting to retry or in flight), now and at most.
    pub depth: usize,
    pub depth_max: usize,
    pub ready: usize,
    pub delayed: usize,
    pub in_flight: usize,
    pub acked: u64,
    pub consumers: Vec<ConsumerView>,
    /// Mean messages waiting for a consumer (ready), averaged over time.
    pub mean_waiting: f64,
    /// Time from production to the first delivery, and to the ack.
    pub mean_wait_ms: Option<f64>,
    pub mean_latency_ms: Option<f64>,
    pub p99_latency_ms: Option<f64>,
    /// Acked messages per second of simulated time.
    pub throughput: f64,
    pub anomalies: Vec<Anomaly>,
}

#[derive(Clone)]
pub struct WorkQueue {
    pub config: WorkConfig,
    now: Micros,
    rng: SimRng,
    events: EventQueue<Ev>,
    messages: Vec<Message>,
    ready: VecDeque<usize>,
    consumers: Vec<Consumer>,
    produced: usize,
    /// Configured tasks that have arrived (the rest wait for their Poisson arrival).
    arrived: usize,
    next_receipt: u64,
    delayed: usize,
    in_flight: usize,
    acked: u64,
    processed: u64,
    duplicates: u64,
    lost: u64,
    double_side_effects: u64,
    dlq: Vec<DeadLetter>,
    depth_max: usize,
    resolved: usize,
    drained_at: Option<Micros>,
    /// ∫ ready dt, for the time-average of the waiting line.
    waiting_area: f64,
    area_since: Micros,
    waits_us: Vec<Micros>,
    latencies_us: Vec<Micros>,
    depth_history: VecDeque<(f64, usize)>,
    pub log: EventLog,
    pub anomalies: Anomalies,
}

const HISTORY: usize = 600;

impl WorkQueue {
    pub fn new(config: WorkConfig) -> Result<WorkQueue, String> {
        config.validate()?;
        let mut q = WorkQueue {
            rng: rng(config.seed),
            now: 0,
            events: EventQueue::new(),
            messages: Vec::with_capacity(config.tasks),
            ready: VecDeque::new(),
            consumers: (1..=config.consumers).map(|i| new_consumer(format!("c{i}"))).collect(),
            produced: 0,
            arrived: 0,
            next_receipt: 0,
            delayed: 0,
            in_flight: 0,
            acked: 0,
            processed: 0,
            duplicates: 0,
            lost: 0,
            double_side_effects: 0,
            dlq: Vec::new(),
            depth_max: 0,
            resolved: 0,
            drained_at: None,
            waiting_area: 0.0,
            area_since: 0,
            waits_us: Vec::new(),
            latencies_us: Vec::new(),
            depth_history: VecDeque::new(),
            log: EventLog::default(),
            anomalies: Anomalies::default(),
            config,
        };
        for i in 0..q.config.tasks {
            q.messages.push(Message {
                id: i as u64 + 1,
                poison: i < q.config.poison,
                at: Where::Unsent,
                attempts: 0,
                completions: 0,
                side_effects: 0,
                enqueued: 0,
                first_delivery: None,
            });
        }
        if q.config.arrival_rate > 0.0 {
            let gap = q.gap();
            q.events.schedule(gap, Ev::Arrive);
        } else {
            for i in 0..q.config.tasks {
                q.produce(i);
            }
            q.arrived = q.config.tasks;
            q.log.push(0, format!("{} tasks on the queue", q.config.tasks), false);
        }
        q.dispatch();
        q.sample_depth();
        Ok(q)
    }

    fn gap(&mut self) -> Micros {
        ms_to_us(exponential(&mut self.rng, 1000.0 / self.config.arrival_rate)).max(1)
    }

    /// Adds one more message (beyond the configured tasks, from a lab action).
    fn push_message(&mut self, poison: bool) {
        self.messages.push(Message {
            id: self.messages.len() as u64 + 1,
            poison,
            at: Where::Unsent,
            attempts: 0,
            completions: 0,
            side_effects: 0,
            enqueued: 0,
            first_delivery: None,
        });
        self.drained_at = None;
    }

    fn produce(&mut self, i: usize) {
        self.produced += 1;
        let m = &mut self.messages[i];
        m.at = Where::Ready;
        m.enqueued = self.now;
        self.ready.push_back(i);
        self.note_depth();
    }

    fn depth(&self) -> usize {
        self.ready.len() + self.delayed + self.in_flight
    }

    fn note_depth(&mut self) {
        self.depth_max = self.depth_max.max(self.depth());
    }

    fn advance_clock(&mut self, to: Micros) {
        self.waiting_area += self.ready.len() as f64 * (to - self.area_since) as f64;
        self.area_since = to;
        self.now = to;
    }

    /// Hands ready messages to idle live consumers, lowest-numbered first.
    fn dispatch(&mut self) {
        while !self.ready.is_empty() {
            let Some(c) = self.consumers.iter().position(|c| c.alive && c.job.is_none()) else {
                return;
            };
            let Some(i) = self.ready.pop_front() else { return };
            self.receive(c, i);
        }
    }

    fn receive(&mut self, c: usize, i: usize) {
        self.next_receipt += 1;
        let receipt = self.next_receipt;
        let now = self.now;
        let fail = self.config.fail;
        let fails = self.messages[i].poison || (fail > 0.0 && self.rng.random::<f64>() < fail);
        let service = match self.config.service {
            Service::Fixed { ms } => ms,
            Service::Exponential { mean_ms } => exponential(&mut self.rng, mean_ms),
        } * self.consumers[c].slowness;
        let done_at = now + ms_to_us(service);
        let m = &mut self.messages[i];
        m.attempts += 1;
        if m.first_delivery.is_none() {
            m.first_delivery = Some(now);
            self.waits_us.push(now - m.enqueued);
        }
        let id = m.id;
        let attempt = m.attempts;
        let consumer = &mut self.consumers[c];
        consumer.job = Some(Job {
            msg: i,
            receipt,
            done_at,
            fails,
            acked_on_receipt: self.config.delivery == Delivery::AtMostOnce,
        });
        let epoch = consumer.epoch;
        let name = consumer.name.clone();
        self.events.schedule(done_at, Ev::Done { consumer: c, epoch });
        match self.config.delivery {
            Delivery::AtMostOnce => {
                // Acked on receipt: the broker forgets it now, whatever happens next.
                self.messages[i].at = Where::Acked;
                self.acked += 1;
                self.resolve(i);
                self.log
                    .push(now, format!("{name} took m{id} (acked on receipt)"), false);
            }
            Delivery::AtLeastOnce => {
                self.messages[i].at = Where::InFlight { consumer: c, receipt };
                self.in_flight += 1;
                let timeout = self.config.visibility_timeout_ms * 1000;
                self.events.schedule(now + timeout, Ev::Visible { msg: i, receipt });
                self.log
                    .push(now, format!("{name} took m{id} (attempt {attempt})"), false);
            }
        }
    }

    /// A message left the broker for good (acked, dead-lettered, lost).
    fn resolve(&mut self, _i: usize) {
        self.resolved += 1;
        self.check_drained();
    }

    fn check_drained(&mut self) {
        let busy = self.consumers.iter().any(|c| c.job.is_some());
        if self.resolved == self.messages.len() && self.produced == self.messages.len() && self.in_flight == 0 && !busy
        {
            self.drained_at.get_or_insert(self.now);
        }
    }

    fn leave_flight(&mut self, i: usize) {
        if matches!(self.messages[i].at, Where::InFlight { .. }) {
            self.in_flight -= 1;
        }
    }

    /// A failed attempt or an expired visibility timeout: retry later, or dead-letter after the
    /// last allowed receive.
    fn retry_or_dead_letter(&mut self, i: usize, why: &str) {
        self.leave_flight(i);
        let m = &self.messages[i];
        let (id, attempts) = (m.id, m.attempts);
        if attempts >= self.config.max_attempts {
            self.messages[i].at = Where::Dead;
            self.dlq.push(DeadLetter { id, attempts });
            self.log.push(
                self.now,
                format!("m{id} {why}; to the dead-letter queue after {attempts} attempts"),
                false,
            );
            self.resolve(i);
            return;
        }
        let wait = if why == "failed" && self.config.backoff_ms > 0 {
            let factor = 1u64 << (attempts - 1).min(30);
            self.config
                .backoff_ms
                .saturating_mul(factor)
                .min(self.config.backoff_cap_ms)
        } else {
            0
        };
        if wait == 0 {
            self.messages[i].at = Where::Ready;
            self.ready.push_back(i);
            self.log
                .push(self.now, format!("m{id} {why}; back on the queue"), false);
        } else {
            self.messages[i].at = Where::Delayed;
            self.delayed += 1;
            self.events.schedule(self.now + wait * 1000, Ev::Retry { msg: i });
            self.log
                .push(self.now, format!("m{id} {why}; retry in {wait} ms"), false);
        }
    }

    fn finish(&mut self, c: usize) {
        let Some(job) = self.consumers[c].job.take() else {
            return;
        };
        let i = job.msg;
        let name = self.consumers[c].name.clone();
        let id = self.messages[i].id;
        if job.fails {
            if job.acked_on_receipt {
                self.lose(
                    i,
                    format!("{name} failed on m{id}, which was acked on receipt: nothing retries it"),
                );
            } else if self.messages[i].at
                == (Where::InFlight {
                    consumer: c,
                    receipt: job.receipt,
                })
            {
                self.log.push(self.now, format!("{name} nacked m{id}"), false);
                self.retry_or_dead_letter(i, "failed");
            }
            return;
        }
        // The work is done: the side effect (the charge) happens unless the consumer dedupes.
        self.processed += 1;
        self.consumers[c].handled += 1;
        let m = &mut self.messages[i];
        m.completions += 1;
        if m.completions > 1 {
            self.duplicates += 1;
        }
        let skip = self.config.idempotent && m.side_effects > 0;
        if !skip {
            m.side_effects += 1;
        }
        let (side_effects, completions) = (m.side_effects, m.completions);
        if side_effects > 1 && !skip {
            self.double_side_effects += 1;
            self.anomalies.record(
                &mut self.log,
                self.now,
                "duplicate_side_effect",
                format!("m{id} processed {completions} times by the time {name} finished it; its side effect ran {side_effects} times (no dedupe by message id)"),
            );
        } else if skip {
            self.log.push(
                self.now,
                format!("{name} saw m{id} again and skipped its side effect"),
                false,
            );
        }
        if std::mem::take(&mut self.consumers[c].crash_before_ack) {
            self.consumers[c].alive = false;
            self.consumers[c].epoch += 1;
            self.log.push(
                self.now,
                format!("{name} processed m{id} and crashed before its ack"),
                false,
            );
            return;
        }
        if self.messages[i].at
            == (Where::InFlight {
                consumer: c,
                receipt: job.receipt,
            })
        {
            self.leave_flight(i);
            self.messages[i].at = Where::Acked;
            self.acked += 1;
            self.latencies_us.push(self.now - self.messages[i].enqueued);
            self.log.push(self.now, format!("{name} acked m{id}"), false);
            self.resolve(i);
        } else if job.acked_on_receipt {
            self.latencies_us.push(self.now - self.messages[i].enqueued);
            self.log.push(self.now, format!("{name} processed m{id}"), false);
        } else {
            // The visibility timeout ran out first: the receipt is stale and the ack does nothing.
            self.log.push(
                self.now,
                format!("{name} finished m{id} after its visibility timeout; the ack is ignored"),
                false,
            );
        }
    }

    fn lose(&mut self, i: usize, detail: String) {
        self.messages[i].at = Where::Lost;
        self.lost += 1;
        self.anomalies.record(&mut self.log, self.now, "lost_message", detail);
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Arrive => {
                self.produce(self.arrived);
                self.arrived += 1;
                if self.arrived < self.config.tasks {
                    let gap = self.gap();
                    self.events.schedule(self.now + gap, Ev::Arrive);
                }
            }
            Ev::Done { consumer, epoch } => {
                let c = &self.consumers[consumer];
                if c.alive && c.epoch == epoch && c.job.as_ref().is_some_and(|j| j.done_at == self.now) {
                    self.finish(consumer);
                }
            }
            Ev::Visible { msg, receipt } => {
                if let Where::InFlight { receipt: r, .. } = self.messages[msg].at {
                    if r == receipt {
                        self.retry_or_dead_letter(msg, "was not acked within its visibility timeout");
                    }
                }
            }
            Ev::Retry { msg } => {
                if self.messages[msg].at == Where::Delayed {
                    self.delayed -= 1;
                    self.messages[msg].at = Where::Ready;
                    self.ready.push_back(msg);
                }
            }
        }
        self.dispatch();
        self.check_drained();
    }

    /// Runs every event due by `until`.
    fn run_until(&mut self, until: Micros) {
        while let Some((at, ev)) = self.events.pop_due(until) {
            self.advance_clock(at);
            self.handle(ev);
        }
        self.advance_clock(until.max(self.now));
        self.check_drained();
    }

    pub fn tick(&mut self, ms: u64) {
        let until = self.now + ms * 1000;
        self.run_until(until);
        self.sample_depth();
    }

    /// Runs until nothing is left to happen (every message resolved, or no live consumer).
    pub fn run_to_end(&mut self) {
        // Once drained only stale timers are left; running them would just move the clock.
        while let (None, Some(t)) = (self.drained_at, self.events.next_time()) {
            self.run_until(t);
        }
        self.sample_depth();
    }

    fn sample_depth(&mut self) {
        if self.depth_history.len() == HISTORY {
            self.depth_history.pop_front();
        }
        self.depth_history.push_back((us_to_ms(self.now), self.depth()));
    }

    pub fn now_ms(&self) -> u64 {
        self.now / 1000
    }

    fn consumer(&self, name: &str) -> Result<usize, String> {
        self.consumers.iter().position(|c| c.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.consumers.iter().map(|c| c.name.as_str()).collect();
            format!("no consumer {name:?}: the consumers are {}", names.join(", "))
        })
    }

    pub fn apply(&mut self, action: &WorkAction) -> Result<(), String> {
        match action {
            WorkAction::Crash(name) => {
                let c = self.consumer(name)?;
                if !self.consumers[c].alive {
                    return Err(format!("{name} is already down"));
                }
                let consumer = &mut self.consumers[c];
                consumer.alive = false;
                consumer.epoch += 1;
                consumer.crash_before_ack = false;
                let job = consumer.job.take();
                self.log.push(self.now, format!("{name} crashed"), false);
                if let Some(job) = job {
                    let id = self.messages[job.msg].id;
                    // Under at-least-once the message is still in flight and its visibility
                    // timeout brings it back; acked on receipt, nothing will.
                    if job.acked_on_receipt {
                        self.lose(
                            job.msg,
                            format!("{name} crashed while processing m{id}, which was acked on receipt"),
                        );
                    }
                }
            }
            WorkAction::CrashBeforeAck(name) => {
                let c = self.consumer(name)?;
                if !self.consumers[c].alive {
                    return Err(format!("{name} is down; restart it first"));
                }
                self.consumers[c].crash_before_ack = true;
            }
            WorkAction::Restart(name) => {
                let c = self.consumer(name)?;
                if self.consumers[c].alive {
                    return Err(format!("{name} is running"));
                }
                self.consumers[c].alive = true;
                self.log.push(self.now, format!("{name} restarted"), false);
            }
            WorkAction::Add => {
                let name = format!("c{}", self.consumers.len() + 1);
                if self.consumers.len() >= 64 {
                    return Err("at most 64 consumers".into());
                }
                self.log.push(self.now, format!("{name} joined"), false);
                self.consumers.push(new_consumer(name));
            }
            WorkAction::Slow(name, factor) => {
                let c = self.consumer(name)?;
                if !(factor.is_finite() && (0.01..=100.0).contains(factor)) {
                    return Err(format!("slow {name} {factor}: give a factor from 0.01 to 100"));
                }
                self.consumers[c].slowness = *factor;
            }
            WorkAction::Produce(n, poison) => {
                if *n == 0 || self.messages.len() + n > 2_000_000 {
                    return Err("produce: give 1 or more, at most 2000000 messages in all".into());
                }
                for _ in 0..*n {
                    self.push_message(*poison);
                    self.produce(self.messages.len() - 1);
                }
            }
            WorkAction::Idempotent(on) => self.config.idempotent = *on,
            WorkAction::Delivery(d) => self.config.delivery = *d,
        }
        self.dispatch();
        self.check_drained();
        Ok(())
    }

    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// Consumers in order (c1 first), with what each is processing.
    pub fn consumers(&self) -> &[Consumer] {
        &self.consumers
    }

    /// Message ids waiting for a consumer, oldest first.
    pub fn ready_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.ready.iter().map(|&i| i as u64 + 1)
    }

    /// Depth (ready + delayed + in flight) after each tick, oldest first: (time ms, depth).
    pub fn depth_history(&self) -> impl Iterator<Item = &(f64, usize)> {
        self.depth_history.iter()
    }

    /// The newest lines of the event log.
    pub fn last_events(&self, n: usize) -> impl Iterator<Item = &LogEntry> {
        let skip = self.log.entries().len().saturating_sub(n);
        self.log.entries().skip(skip)
    }

    pub fn depth_now(&self) -> usize {
        self.depth()
    }

    pub fn metrics(&self) -> WorkMetrics {
        let mean =
            |v: &[Micros]| (!v.is_empty()).then(|| round6(v.iter().sum::<u64>() as f64 / v.len() as f64 / 1000.0));
        let mut lat: Vec<f64> = self.latencies_us.iter().map(|&u| us_to_ms(u)).collect();
        lat.sort_by(f64::total_cmp);
        let elapsed = self.drained_at.unwrap_or(self.now);
        WorkMetrics {
            model: "work",
            now_ms: us_to_ms(self.now),
            delivery: self.config.delivery.name(),
            idempotent: self.config.idempotent,
            drain_ms: self.drained_at.map(us_to_ms),
            processed: self.processed,
            duplicates: self.duplicates,
            lost: self.lost,
            double_side_effects: self.double_side_effects,
            dlq: self.dlq.clone(),
            depth: self.depth(),
            depth_max: self.depth_max,
            ready: self.ready.len(),
            delayed: self.delayed,
            in_flight: self.in_flight,
            acked: self.acked,
            consumers: self
                .consumers
                .iter()
                .map(|c| ConsumerView {
                    name: c.name.clone(),
                    alive: c.alive,
                    current: c.current(),
                    handled: c.handled,
                })
                .collect(),
            mean_waiting: if self.now == 0 {
                0.0
            } else {
                round6(self.waiting_area / self.now as f64)
            },
            mean_wait_ms: mean(&self.waits_us),
            mean_latency_ms: mean(&self.latencies_us),
            p99_latency_ms: percentile(&lat, 99.0).map(round6),
            throughput: if elapsed == 0 {
                0.0
            } else {
                round6(self.acked as f64 / (elapsed as f64 / 1e6))
            },
            anomalies: self.anomalies.list().cloned().collect(),
        }
    }
}

fn new_consumer(name: String) -> Consumer {
    Consumer {
        name,
        alive: true,
        crash_before_ack: false,
        slowness: 1.0,
        handled: 0,
        job: None,
        epoch: 0,
    }
}

/// Something the learner does to the work queue.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkAction {
    /// Kills a consumer in the middle of its current message.
    Crash(String),
    /// Lets a consumer finish its current (or next) message, side effect included, and kills it
    /// just before the ack.
    CrashBeforeAck(String),
    Restart(String),
    /// Adds consumer c(N+1).
    Add,
    Slow(String, f64),
    /// Produces N messages now; poison ones always fail.
    Produce(usize, bool),
    Idempotent(bool),
    Delivery(Delivery),
}

impl WorkAction {
    pub fn parse(text: &str) -> Result<WorkAction, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let on_off = |w: &str| match w {
            "on" => Ok(true),
            "off" => Ok(false),
            _ => Err(format!("{text:?}: write on or off")),
        };
        match words.as_slice() {
            ["crash", c] => Ok(WorkAction::Crash(c.to_string())),
            ["crash-before-ack", c] => Ok(WorkAction::CrashBeforeAck(c.to_string())),
            ["restart", c] => Ok(WorkAction::Restart(c.to_string())),
            ["add"] => Ok(WorkAction::Add),
            ["slow", c, f] => Ok(WorkAction::Slow(
                c.to_string(),
                f.parse().map_err(|_| format!("{text:?}: the factor is a number"))?,
            )),
            ["produce", n] => Ok(WorkAction::Produce(
                n.parse().map_err(|_| format!("{text:?}: how many messages?"))?,
                false,
            )),
            ["poison"] => Ok(WorkAction::Produce(1, true)),
            ["idempotent", w] => Ok(WorkAction::Idempotent(on_off(w)?)),
            ["delivery", d] => Ok(WorkAction::Delivery(Delivery::parse(d)?)),
            _ => Err(format!(
                "unknown action {text:?}: use crash C, crash-before-ack C, restart C, add, slow C FACTOR, produce N, poison, idempotent on|off, delivery at-most-once|at-least-once"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_produced_during_poisson_arrivals_all_drain() {
        let mut q = WorkQueue::new(WorkConfig {
            tasks: 50,
            arrival_rate: 5.0,
            service: Service::Exponential { mean_ms: 200.0 },
            ..WorkConfig::default()
        })
        .unwrap();
        q.tick(2000);
        q.apply(&WorkAction::Produce(5, false)).unwrap();
        q.apply(&WorkAction::Produce(1, true)).unwrap();
        q.run_to_end();
        let m = q.metrics();
        assert_eq!(m.acked, 55);
        assert_eq!(m.dlq, vec![DeadLetter { id: 56, attempts: 3 }]);
        assert!(m.drain_ms.is_some());
    }

    #[test]
    fn switching_delivery_mid_run_keeps_every_message_accounted_for() {
        let mut q = WorkQueue::new(WorkConfig {
            tasks: 30,
            fail: 0.3,
            service: Service::Fixed { ms: 100.0 },
            ..WorkConfig::default()
        })
        .unwrap();
        q.tick(150);
        q.apply(&WorkAction::Delivery(Delivery::AtMostOnce)).unwrap();
        q.tick(150);
        q.apply(&WorkAction::Crash("c1".into())).unwrap();
        q.apply(&WorkAction::Restart("c1".into())).unwrap();
        q.run_to_end();
        let m = q.metrics();
        assert!(m.drain_ms.is_some());
        assert_eq!((m.depth, m.in_flight), (0, 0));
        let settled = q
            .messages()
            .iter()
            .filter(|m| matches!(m.at, Where::Acked | Where::Dead | Where::Lost))
            .count();
        assert_eq!(settled, 30);
        assert_eq!(
            m.lost as usize,
            q.messages().iter().filter(|m| m.at == Where::Lost).count()
        );
    }

    #[test]
    fn a_visibility_timeout_shorter_than_the_work_redelivers_it() {
        // SQS: a message not deleted within its visibility timeout is received again, even
        // while the first consumer is still working on it. With 1 s of work and a 0.6 s
        // timeout every ack comes too late (its receipt is stale), so the message is
        // processed over and over until its receive count dead-letters it.
        let mut q = WorkQueue::new(WorkConfig {
            tasks: 1,
            consumers: 2,
            service: Service::Fixed { ms: 1000.0 },
            visibility_timeout_ms: 600,
            max_attempts: 10,
            ..WorkConfig::default()
        })
        .unwrap();
        q.run_to_end();
        let m = q.metrics();
        assert_eq!(m.acked, 0);
        assert_eq!(m.dlq, vec![DeadLetter { id: 1, attempts: 10 }]);
        assert!(m.duplicates >= 8, "{}", m.duplicates);
        assert_eq!(m.double_side_effects, m.duplicates);
    }
}
