//! A lock service with leases and fencing tokens, a storage service, and clients that can pause
//! (a GC pause, a stalled network) for longer than their lease.
//!
//! The lock service grants a lease of `lease_ms` with a token one higher than any before. A
//! client that pauses after taking the lock wakes up still believing it holds it and writes; by
//! then its lease may have expired and a second client may hold the lock with a higher token.
//! Storage that checks tokens accepts a write only if its token is not lower than the highest it
//! has seen (so a holder can write again with its own token) and so refuses the stale write;
//! without the check the stale write overwrites newer data (Kleppmann, "How to do distributed
//! locking", 2016; DDIA ch. 8).

use std::collections::VecDeque;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::engines::sim::{ms_to_us, us_to_ms, Anomalies, Anomaly, EventLog, EventQueue, Micros, SimRng};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LockConfig {
    /// Lease length in ms.
    pub lease_ms: u64,
    /// How long the first client pauses between taking the lock and writing, in ms.
    pub pause_ms: u64,
    /// Whether storage checks fencing tokens.
    pub fencing: bool,
    pub seed: u64,
    /// One-way message delay to the lock service and to storage, in ms (±20% jitter).
    pub delay_ms: f64,
    /// Run the classic schedule: c1 takes the lock, pauses, writes, releases; c2 asks for the
    /// lock 10 ms in, then writes and releases. Off, clients act only on actions.
    pub scripted: bool,
    /// Number of clients, 1 to 5 (c1..cN).
    pub clients: usize,
}

impl Default for LockConfig {
    fn default() -> Self {
        LockConfig {
            lease_ms: 1000,
            pause_ms: 1500,
            fencing: true,
            seed: 42,
            delay_ms: 5.0,
            scripted: true,
            clients: 2,
        }
    }
}

impl LockConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=600_000).contains(&self.lease_ms) {
            return Err(format!("lease {} ms: give 1 to 600000 ms", self.lease_ms));
        }
        if self.pause_ms > 600_000 {
            return Err(format!("pause {} ms: give 0 to 600000 ms", self.pause_ms));
        }
        if !(0.0..=1000.0).contains(&self.delay_ms) {
            return Err(format!("delay {} ms: give 0 to 1000 ms", self.delay_ms));
        }
        if !(1..=5).contains(&self.clients) || (self.scripted && self.clients < 2) {
            return Err(format!(
                "{} clients: give 1 to 5 (the scripted schedule needs 2)",
                self.clients
            ));
        }
        Ok(())
    }
}

/// One thing a client does, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Acquire,
    Pause(u64),
    Write(String),
    Release,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientState {
    Idle,
    WaitingForLock,
    Paused,
    Writing,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Client {
    pub name: String,
    /// The token the client believes it holds the lock with: it keeps believing through a pause.
    pub token: Option<u64>,
    pub state: ClientState,
    #[serde(skip)]
    steps: VecDeque<Step>,
    #[serde(skip)]
    busy: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Holder {
    pub client: String,
    pub token: u64,
    pub expires_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredValue {
    pub value: String,
    pub writer: String,
    pub token: u64,
}

#[derive(Debug, Clone)]
enum Event {
    /// The client takes its next step.
    Step(usize),
    /// Messages arriving at the lock service.
    Request(usize),
    Release(usize, u64),
    LeaseEnd(u64),
    /// A grant arriving at a client.
    Granted(usize, u64),
    /// A write arriving at storage; its reply arriving at the client.
    Write(usize, u64, String),
    WriteDone(usize),
    PauseOver(usize),
}

#[derive(Clone)]
pub struct LockLab {
    config: LockConfig,
    now: Micros,
    queue: EventQueue<Event>,
    rng: SimRng,
    pub clients: Vec<Client>,
    holder: Option<(usize, u64, Micros)>,
    waiting: VecDeque<usize>,
    tokens: Vec<u64>,
    stored: Option<StoredValue>,
    /// The highest token of any write that reached storage, checked or not.
    highest_seen: u64,
    accepted: u64,
    rejected: u64,
    accepted_tokens: Vec<u64>,
    stale_accepted: u64,
    stale_rejected: u64,
    pub log: EventLog,
    pub anomalies: Anomalies,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockMetrics {
    pub now_ms: f64,
    pub lease_ms: u64,
    pub pause_ms: u64,
    pub fencing: bool,
    /// Who the lock service says holds the lock.
    pub holder: Option<Holder>,
    /// Tokens issued, in order.
    pub tokens: Vec<u64>,
    pub clients: Vec<Client>,
    /// How many clients believe they hold the lock right now (2 after a long pause).
    pub believers: usize,
    pub stored: Option<StoredValue>,
    pub highest_token_seen: u64,
    pub writes_accepted: u64,
    pub writes_rejected: u64,
    /// The token of every accepted write, in the order storage applied them.
    pub accepted_tokens: Vec<u64>,
    /// Writes carrying a token lower than one storage had already seen.
    pub stale_writes_accepted: u64,
    pub stale_writes_rejected: u64,
    /// A stale write overwrote data written under a newer lease.
    pub corrupted: bool,
    pub anomalies: Vec<Anomaly>,
}

impl LockLab {
    pub fn new(config: LockConfig) -> Result<LockLab, String> {
        config.validate()?;
        let clients = (1..=config.clients)
            .map(|i| Client {
                name: format!("c{i}"),
                token: None,
                state: ClientState::Idle,
                steps: VecDeque::new(),
                busy: false,
            })
            .collect();
        let mut lab = LockLab {
            rng: crate::engines::sim::rng(config.seed),
            now: 0,
            queue: EventQueue::new(),
            clients,
            holder: None,
            waiting: VecDeque::new(),
            tokens: Vec::new(),
            stored: None,
            highest_seen: 0,
            accepted: 0,
            rejected: 0,
            accepted_tokens: Vec::new(),
            stale_accepted: 0,
            stale_rejected: 0,
            log: EventLog::default(),
            anomalies: Anomalies::default(),
            config,
        };
        if lab.config.scripted {
            let pause = lab.config.pause_ms;
            lab.plan(
                0,
                [
                    Step::Acquire,
                    Step::Pause(pause),
                    Step::Write("c1's update".into()),
                    Step::Release,
                ],
            );
            lab.plan_at(
                ms_to_us(10.0),
                1,
                [Step::Acquire, Step::Write("c2's update".into()), Step::Release],
            );
        }
        Ok(lab)
    }

    pub fn config(&self) -> &LockConfig {
        &self.config
    }

    fn plan(&mut self, client: usize, steps: impl IntoIterator<Item = Step>) {
        self.plan_at(self.now, client, steps);
    }

    fn plan_at(&mut self, at: Micros, client: usize, steps: impl IntoIterator<Item = Step>) {
        self.clients[client].steps.extend(steps);
        if !self.clients[client].busy {
            self.clients[client].busy = true;
            self.queue.schedule(at, Event::Step(client));
        }
    }

    fn transit(&mut self) -> Micros {
        let d = self.config.delay_ms;
        ms_to_us(d + self.rng.random_range(-0.2..=0.2) * d).max(1)
    }

    fn client_index(&self, name: &str) -> Result<usize, String> {
        self.clients.iter().position(|c| c.name == name.trim()).ok_or_else(|| {
            format!(
                "unknown client {:?}: the clients are c1 to c{}",
                name.trim(),
                self.clients.len()
            )
        })
    }

    /// Actions: `acquire C`, `pause C MS`, `write C VALUE`, `release C`, `fencing on|off`.
    pub fn apply(&mut self, action: &str) -> Result<(), String> {
        let action = action.trim();
        let (verb, rest) = action.split_once(char::is_whitespace).unwrap_or((action, ""));
        let rest = rest.trim();
        let (who, arg) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        match verb {
            "fencing" => {
                self.config.fencing = match rest {
                    "on" => true,
                    "off" => false,
                    _ => return Err(format!("fencing {rest:?}: write fencing on or fencing off")),
                };
                let state = if self.config.fencing { "checks" } else { "ignores" };
                self.log
                    .push(self.now, format!("storage now {state} fencing tokens"), false);
            }
            "acquire" | "release" if arg.is_empty() => {
                let c = self.client_index(who)?;
                self.plan(
                    c,
                    [if verb == "acquire" {
                        Step::Acquire
                    } else {
                        Step::Release
                    }],
                );
            }
            "pause" => {
                let c = self.client_index(who)?;
                let ms = arg
                    .trim_end_matches("ms")
                    .parse::<u64>()
                    .ok()
                    .filter(|m| *m <= 600_000)
                    .ok_or_else(|| format!("pause {arg:?}: give 0 to 600000 ms"))?;
                self.plan(c, [Step::Pause(ms)]);
            }
            "write" if !arg.is_empty() => {
                let c = self.client_index(who)?;
                self.plan(c, [Step::Write(arg.trim().to_string())]);
            }
            _ => {
                return Err(format!(
                    "unknown action {action:?}: use acquire C, pause C MS, write C VALUE, release C or fencing on|off"
                ))
            }
        }
        Ok(())
    }

    pub fn tick(&mut self, ms: u64) {
        self.run_until(self.now + ms * 1000);
    }

    /// Runs until nothing is left to happen (or `limit_ms` of logical time passes).
    pub fn run_to_quiet(&mut self, limit_ms: u64) {
        let limit = self.now + limit_ms * 1000;
        while let Some(t) = self.queue.next_time() {
            if t > limit {
                break;
            }
            self.run_until(t);
        }
    }

    fn run_until(&mut self, until: Micros) {
        while let Some((at, event)) = self.queue.pop_due(until) {
            self.now = at;
            self.handle(event);
        }
        self.now = self.now.max(until);
    }

    fn say(&mut self, text: String) {
        self.log.push(self.now, text, false);
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Step(c) => self.step(c),
            Event::PauseOver(c) => {
                let name = self.clients[c].name.clone();
                self.say(format!("{name} resumes, still believing it holds the lock"));
                self.step(c);
            }
            Event::Request(c) => {
                if self.holder.is_none() {
                    self.grant(c);
                } else if !self.waiting.contains(&c) && self.holder.map(|h| h.0) != Some(c) {
                    self.waiting.push_back(c);
                }
            }
            Event::Granted(c, token) => {
                self.clients[c].token = Some(token);
                let name = self.clients[c].name.clone();
                self.say(format!("{name} holds the lock with token {token}"));
                self.step(c);
            }
            Event::LeaseEnd(token) => {
                if let Some((c, t, _)) = self.holder {
                    if t == token {
                        let name = self.clients[c].name.clone();
                        self.say(format!("{name}'s lease (token {token}) expired"));
                        self.holder = None;
                        self.grant_next();
                    }
                }
            }
            Event::Release(c, token) => {
                if self.holder.is_some_and(|(h, t, _)| h == c && t == token) {
                    self.holder = None;
                    self.grant_next();
                }
            }
            Event::Write(c, token, value) => self.storage_write(c, token, value),
            Event::WriteDone(c) => {
                self.clients[c].state = ClientState::Idle;
                self.step(c);
            }
        }
    }

    fn grant_next(&mut self) {
        if let Some(next) = self.waiting.pop_front() {
            self.grant(next);
        }
    }

    fn grant(&mut self, c: usize) {
        let token = self.tokens.last().map_or(1, |t| t + 1);
        self.tokens.push(token);
        let expires = self.now + self.config.lease_ms * 1000;
        self.holder = Some((c, token, expires));
        self.queue.schedule(expires, Event::LeaseEnd(token));
        let d = self.transit();
        self.queue.schedule(self.now + d, Event::Granted(c, token));
    }

    /// The client's next step, unless it waits for something.
    fn step(&mut self, c: usize) {
        let Some(step) = self.clients[c].steps.pop_front() else {
            self.clients[c].busy = false;
            self.clients[c].state = ClientState::Idle;
            return;
        };
        let name = self.clients[c].name.clone();
        let d = self.transit();
        match step {
            Step::Acquire => {
                self.clients[c].state = ClientState::WaitingForLock;
                self.say(format!("{name} asks for the lock"));
                self.queue.schedule(self.now + d, Event::Request(c));
            }
            Step::Pause(ms) => {
                self.clients[c].state = ClientState::Paused;
                self.say(format!("{name} pauses for {ms} ms (a GC pause)"));
                self.queue.schedule(self.now + ms * 1000, Event::PauseOver(c));
            }
            Step::Write(value) => {
                // A client without a token writes with token 0: whatever it believes, it is not
                // a holder, and a checking store refuses it once any holder has written.
                let token = self.clients[c].token.unwrap_or(0);
                self.clients[c].state = ClientState::Writing;
                self.say(format!("{name} writes {value:?} with token {token}"));
                self.queue.schedule(self.now + d, Event::Write(c, token, value));
            }
            Step::Release => {
                if let Some(token) = self.clients[c].token.take() {
                    self.say(format!("{name} releases the lock (token {token})"));
                    self.queue.schedule(self.now + d, Event::Release(c, token));
                }
                self.step(c);
            }
        }
    }

    fn storage_write(&mut self, c: usize, token: u64, value: String) {
        let name = self.clients[c].name.clone();
        let stale = token < self.highest_seen;
        let accept = !(self.config.fencing && stale);
        if accept {
            self.accepted += 1;
            self.accepted_tokens.push(token);
            if stale {
                self.stale_accepted += 1;
                let newer = self.highest_seen;
                let detail = format!(
                    "storage accepted {name}'s write with token {token} after a write with token {newer}: {name}'s lease had run out and it overwrote newer data"
                );
                self.anomalies
                    .record(&mut self.log, self.now, "stale_write_accepted", detail);
            } else {
                self.say(format!("storage accepts {name}'s write (token {token})"));
            }
            self.stored = Some(StoredValue {
                value,
                writer: name,
                token,
            });
        } else {
            self.rejected += 1;
            self.stale_rejected += 1;
            let seen = self.highest_seen;
            self.say(format!(
                "storage rejects {name}'s write: token {token} is lower than {seen}, the highest it has seen"
            ));
        }
        self.highest_seen = self.highest_seen.max(token);
        let d = self.transit();
        self.queue.schedule(self.now + d, Event::WriteDone(c));
    }

    pub fn now_ms(&self) -> f64 {
        us_to_ms(self.now)
    }

    pub fn metrics(&self) -> LockMetrics {
        LockMetrics {
            now_ms: self.now_ms(),
            lease_ms: self.config.lease_ms,
            pause_ms: self.config.pause_ms,
            fencing: self.config.fencing,
            holder: self.holder.map(|(c, token, exp)| Holder {
                client: self.clients[c].name.clone(),
                token,
                expires_ms: us_to_ms(exp),
            }),
            tokens: self.tokens.clone(),
            clients: self.clients.clone(),
            believers: self.clients.iter().filter(|c| c.token.is_some()).count(),
            stored: self.stored.clone(),
            highest_token_seen: self.highest_seen,
            writes_accepted: self.accepted,
            writes_rejected: self.rejected,
            accepted_tokens: self.accepted_tokens.clone(),
            stale_writes_accepted: self.stale_accepted,
            stale_writes_rejected: self.stale_rejected,
            corrupted: self.stale_accepted > 0,
            anomalies: self.anomalies.list().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lease: u64, pause: u64, fencing: bool) -> LockMetrics {
        let mut lab = LockLab::new(LockConfig {
            lease_ms: lease,
            pause_ms: pause,
            fencing,
            ..LockConfig::default()
        })
        .unwrap();
        lab.run_to_quiet(1_000_000);
        lab.metrics()
    }

    #[test]
    fn a_short_pause_keeps_the_lease_and_nothing_is_stale() {
        let m = run(1000, 200, false);
        assert_eq!(m.tokens, [1, 2]);
        assert_eq!((m.stale_writes_accepted, m.stale_writes_rejected), (0, 0));
        assert_eq!(m.stored.unwrap().writer, "c2");
    }

    #[test]
    fn the_paused_holder_is_fenced_off() {
        let m = run(1000, 1500, true);
        assert_eq!(m.tokens, [1, 2]);
        assert_eq!((m.stale_writes_accepted, m.stale_writes_rejected), (0, 1));
        assert!(!m.corrupted);
        let s = m.stored.unwrap();
        assert_eq!((s.writer.as_str(), s.token), ("c2", 2));
    }

    #[test]
    fn without_the_check_the_paused_holder_corrupts_the_data() {
        let m = run(1000, 1500, false);
        assert_eq!((m.stale_writes_accepted, m.stale_writes_rejected), (1, 0));
        assert!(m.corrupted);
        assert_eq!(m.stored.unwrap().writer, "c1");
        assert_eq!(m.anomalies[0].kind, "stale_write_accepted");
    }

    #[test]
    fn a_holder_may_write_again_with_its_own_token() {
        let mut lab = LockLab::new(LockConfig {
            scripted: false,
            ..LockConfig::default()
        })
        .unwrap();
        for a in ["acquire c1", "write c1 a", "write c1 b", "release c1"] {
            lab.apply(a).unwrap();
        }
        lab.run_to_quiet(10_000);
        let m = lab.metrics();
        assert_eq!((m.writes_accepted, m.writes_rejected), (2, 0));
        assert_eq!(m.stored.unwrap().value, "b");
    }

    #[test]
    fn mid_pause_both_clients_believe_they_hold_the_lock() {
        // c1's lease ends at about 1 s, in the middle of its 1.5 s pause; c2 then holds the lock
        // for the few ms of its write while c1, asleep, still believes it holds it.
        let mut lab = LockLab::new(LockConfig::default()).unwrap();
        lab.tick(1000);
        let mut both = false;
        for _ in 0..100 {
            lab.tick(1);
            let m = lab.metrics();
            both |= m.believers == 2 && m.holder.is_some_and(|h| h.client == "c2");
        }
        assert!(both);
    }

    #[test]
    fn bad_actions_say_what_is_valid() {
        let mut lab = LockLab::new(LockConfig::default()).unwrap();
        assert!(lab.apply("acquire c9").unwrap_err().contains("c1 to c2"));
        assert!(lab.apply("fencing maybe").unwrap_err().contains("on or"));
        assert!(lab.apply("frobnicate").is_err());
        assert!(LockLab::new(LockConfig {
            lease_ms: 0,
            ..LockConfig::default()
        })
        .is_err());
    }
}
