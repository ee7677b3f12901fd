//! The replication-lag engine: one primary and 1 to 7 replicas on the shared discrete-event
//! clock. Writes go into the primary's binlog and travel to each replica over its own link
//! (fixed or exponential delay, FIFO), the commit mode decides when the client hears "committed",
//! reads are routed to a node by the routing strategy, and faults (crashes, partitions, slow
//! links) and failover show what each guarantee costs. Every broken guarantee is recorded as an
//! anomaly with the events behind it.
//!
//! Every node's data is a prefix of one binlog (the current primary's), so a node is its store
//! plus two positions: received (relay log) and applied. A promotion cuts the binlog at the new
//! primary's position; what lay beyond it is the old primary's alone, and the acknowledged part
//! of it is lost.

pub mod actions;
pub mod cli;
pub mod config;
pub mod experiment;
pub mod lab;
mod metrics;
pub mod multimaster;

use std::collections::VecDeque;

use rand::RngExt;

pub use actions::{Action, Request, Target};
pub use config::{Delay, Mode, ReplicationConfig, Routing};
pub use experiment::{experiment, Experiment};
pub use metrics::{ClientOp, InFlight, Outcome, ReplicaView};

use crate::engines::sim::{self, Anomalies, EventLog, EventQueue, Micros, SimRng};

/// A binlog position: 1 is the first write.
pub type Pos = u32;

/// Recent commit latencies kept for the percentiles; the mean covers the whole run.
const LATENCY_WINDOW: usize = 4096;
const RECENT_OPS: usize = 12;

/// A stored value: a name the learner typed, one the background load made up, or a deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value {
    Text(u16),
    Gen(u32),
    Deleted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Set { key: u16, value: Value },
    DeleteAll,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    pos: Pos,
    change: Change,
    /// 0-based client index.
    client: u8,
    accepted: Micros,
    acked: Option<Micros>,
}

/// The current primary's binlog, from the oldest entry some node still needs.
#[derive(Debug, Clone, Default)]
struct Binlog {
    /// Position of the entry just before `entries[0]`.
    base: Pos,
    entries: VecDeque<Entry>,
}

impl Binlog {
    fn head(&self) -> Pos {
        self.base + self.entries.len() as Pos
    }
    fn get(&self, pos: Pos) -> Option<&Entry> {
        let i = pos.checked_sub(self.base + 1)? as usize;
        self.entries.get(i)
    }
    fn get_mut(&mut self, pos: Pos) -> Option<&mut Entry> {
        let i = pos.checked_sub(self.base + 1)? as usize;
        self.entries.get_mut(i)
    }
    /// Removes and returns every entry after `pos`.
    fn cut_after(&mut self, pos: Pos) -> Vec<Entry> {
        let keep = pos.saturating_sub(self.base) as usize;
        self.entries.drain(keep.min(self.entries.len())..).collect()
    }
    /// Forgets entries at or before `pos`.
    fn trim_through(&mut self, pos: Pos) {
        while self.base < pos && !self.entries.is_empty() {
            self.entries.pop_front();
            self.base += 1;
        }
    }
}

/// One version of a key as a node holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    pos: Pos,
    value: Value,
}

const NO_VERSION: Version = Version {
    pos: 0,
    value: Value::Deleted,
};

/// A node's data: the newest version of every key, and the last `delete all` it applied.
#[derive(Debug, Clone, Default)]
struct Store {
    versions: Vec<Version>,
    cleared: Option<Pos>,
}

impl Store {
    fn apply(&mut self, e: &Entry) {
        match e.change {
            Change::Set { key, value } => {
                let k = key as usize;
                if self.versions.len() <= k {
                    self.versions.resize(k + 1, NO_VERSION);
                }
                self.versions[k] = Version { pos: e.pos, value };
            }
            Change::DeleteAll => {
                self.versions.clear();
                self.cleared = Some(e.pos);
            }
        }
    }
    fn get(&self, key: u16) -> Version {
        let v = self.versions.get(key as usize).copied().unwrap_or(NO_VERSION);
        match self.cleared {
            Some(c) if c > v.pos => Version {
                pos: c,
                value: Value::Deleted,
            },
            _ => v,
        }
    }
    fn rows(&self) -> usize {
        self.versions.iter().filter(|v| v.value != Value::Deleted).count()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Primary,
    Replica,
    /// A replaced primary that never learnt it was replaced (cut off, not fenced): it still
    /// takes writes from the clients on its side.
    Zombie,
}

#[derive(Debug, Clone)]
struct Node {
    name: String,
    role: Role,
    up: bool,
    /// Cut off from the other database nodes (clients still reach it).
    cut: bool,
    /// Needs rebuilding from the primary when it comes back (it holds writes the primary lacks).
    stale_lineage: bool,
    store: Store,
    received: Pos,
    applied: Pos,
    delay: Delay,
    slow_ms: f64,
    /// Links are FIFO: nothing arrives before what was sent earlier.
    last_arrival: Micros,
    applying: bool,
    /// A zombie's writes since it was replaced (and its unreplicated tail before that).
    zombie_log: Vec<Entry>,
    zombie_head: Pos,
    /// Every position applied, in order (tests check each write is applied once, in order).
    #[cfg(test)]
    trace: Vec<Pos>,
}

impl Node {
    fn new(name: String, role: Role, delay: Delay) -> Node {
        Node {
            name,
            role,
            up: true,
            cut: false,
            stale_lineage: false,
            store: Store::default(),
            received: 0,
            applied: 0,
            delay,
            slow_ms: 0.0,
            last_arrival: 0,
            applying: false,
            zombie_log: Vec::new(),
            zombie_head: 0,
            #[cfg(test)]
            trace: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct Client {
    /// The node this client sends writes (and primary reads) to.
    view: usize,
    /// Per key: the position of this client's own newest acknowledged write.
    own: Vec<Pos>,
    /// Per key: the newest position this client has read.
    seen: Vec<Pos>,
    /// The read-your-writes token: the position of the client's last acknowledged write.
    token: Pos,
    last_write_at: Option<Micros>,
    pinned: Option<usize>,
}

fn slot(v: &mut Vec<Pos>, key: u16) -> &mut Pos {
    let k = key as usize;
    if v.len() <= k {
        v.resize(k + 1, 0);
    }
    &mut v[k]
}

#[derive(Debug, Clone, Copy)]
enum Ev {
    Deliver { to: u8, pos: Pos },
    Apply { node: u8 },
    Ack { from: u8, received: Pos, applied: Pos },
    SemisyncTimeout { pos: Pos },
    ZombieAck { node: u8, pos: Pos },
    Heartbeat,
}

#[derive(Debug, Clone, Default)]
struct Stats {
    reads: u64,
    primary_reads: u64,
    stale_reads: u64,
    ryw_violations: u64,
    monotonic_violations: u64,
    acked_writes: u64,
    /// Commits through the primary's binlog (the ones with a latency).
    commits: u64,
    failed_writes: u64,
    lost_writes: u64,
    latency_sum_ms: f64,
    latencies: VecDeque<f64>,
    /// Total time without a primary that accepts writes, over finished outages.
    downtime: Micros,
}

#[derive(Debug, Clone)]
struct Snapshot {
    at: Micros,
    pos: Pos,
    store: Store,
}

/// The replication engine. Cheap to clone: histories are bounded.
#[derive(Clone)]
pub struct Replication {
    config: ReplicationConfig,
    now: Micros,
    queue: EventQueue<Ev>,
    rng: SimRng,
    nodes: Vec<Node>,
    primary: usize,
    binlog: Binlog,
    mode: Mode,
    acks: usize,
    /// Semi-sync gave up waiting and runs as async until the replicas catch up.
    fallen_back: bool,
    routing: Routing,
    round_robin: usize,
    /// Writes waiting for acknowledgements, oldest first.
    pending: VecDeque<Pos>,
    /// What the primary has heard from each node: received and applied positions.
    acked_received: Vec<Pos>,
    acked_applied: Vec<Pos>,
    clients: Vec<Client>,
    keys: Vec<String>,
    texts: Vec<String>,
    generated: u32,
    /// Per key: the position of the newest acknowledged write.
    latest_acked: Vec<Pos>,
    auto_failover: bool,
    fencing: bool,
    heartbeat_scheduled: bool,
    missed: u32,
    /// When the primary that took writes went down, while no other has taken one since.
    outage_since: Option<Micros>,
    write_rate: f64,
    read_rate: f64,
    /// The background load's next write and read. Kept out of the event queue (they are most
    /// of a busy run's events): `advance` takes whichever of the three comes first.
    next_load_write: Option<Micros>,
    next_load_read: Option<Micros>,
    snapshot: Option<Snapshot>,
    /// Writes a restore threw away (acknowledged rows that did not come back).
    restored_rows_lost: u64,
    stats: Stats,
    /// When a background anomaly of each kind (stale, ryw, monotonic) was last written out.
    full_at: [Option<Micros>; 3],
    /// Commits under sync while a live replica had not applied the write (tests: must stay 0).
    #[cfg(test)]
    early_sync_commits: u64,
    recent: VecDeque<ClientOp>,
    log: EventLog,
    anomalies: Anomalies,
}

fn secs(t: Micros) -> String {
    format!("{:.2} s", sim::us_to_ms(t) / 1000.0)
}

impl Replication {
    pub fn new(config: ReplicationConfig) -> Result<Replication, String> {
        config.validate()?;
        let mut nodes = vec![Node::new("p".into(), Role::Primary, Delay::fixed(0.0))];
        for i in 0..config.replicas {
            nodes.push(Node::new(format!("r{}", i + 1), Role::Replica, config.delay_of(i)));
        }
        let n = nodes.len();
        let clients = (0..config.clients)
            .map(|_| Client {
                view: 0,
                own: Vec::new(),
                seen: Vec::new(),
                token: 0,
                last_write_at: None,
                pinned: None,
            })
            .collect();
        let mut engine = Replication {
            now: 0,
            queue: EventQueue::new(),
            rng: sim::rng(config.seed),
            nodes,
            primary: 0,
            binlog: Binlog::default(),
            mode: config.mode,
            acks: config.acks,
            fallen_back: false,
            routing: config.routing,
            round_robin: 0,
            pending: VecDeque::new(),
            acked_received: vec![0; n],
            acked_applied: vec![0; n],
            clients,
            keys: (1..=config.keys).map(|i| format!("k{i}")).collect(),
            texts: Vec::new(),
            generated: 0,
            latest_acked: Vec::new(),
            auto_failover: false,
            fencing: config.fencing,
            heartbeat_scheduled: false,
            missed: 0,
            outage_since: None,
            write_rate: 0.0,
            read_rate: 0.0,
            next_load_write: None,
            next_load_read: None,
            snapshot: None,
            restored_rows_lost: 0,
            stats: Stats::default(),
            full_at: [None; 3],
            #[cfg(test)]
            early_sync_commits: 0,
            recent: VecDeque::new(),
            log: EventLog::default(),
            anomalies: Anomalies::default(),
            config,
        };
        if engine.config.auto_failover {
            engine.set_failover(true);
        }
        let (w, r) = (engine.config.write_rate, engine.config.read_rate);
        if w > 0.0 || r > 0.0 {
            engine.set_load(w, r);
        }
        Ok(engine)
    }

    pub fn config(&self) -> &ReplicationConfig {
        &self.config
    }

    /// Applies one action. On error the engine is unchanged.
    pub fn apply(&mut self, action: &Action) -> Result<(), String> {
        match action {
            Action::Client { client, request } => {
                let c = client - 1;
                if c >= self.clients.len() {
                    return Err(format!("client c{client}: this run has c1 to c{}", self.clients.len()));
                }
                match request {
                    Request::Write { key, value } => {
                        let key = self.intern_key(key)?;
                        let value = self.intern_text(value)?;
                        self.client_write(c, Change::Set { key, value }, true);
                    }
                    Request::DeleteAll => self.client_write(c, Change::DeleteAll, true),
                    Request::Read { key } => {
                        let key = self.intern_key(key)?;
                        self.client_read(c, key, true);
                    }
                }
            }
            Action::Crash(t) => {
                let i = self.resolve(t)?;
                self.crash(i)?;
            }
            Action::Restart(t) => {
                let i = self.resolve(t)?;
                self.restart(i)?;
            }
            Action::Partition(t) => {
                let i = self.resolve(t)?;
                self.partition(i)?;
            }
            Action::Heal => self.heal(),
            Action::Slow(t, ms) => {
                let i = self.replica_of(t)?;
                self.nodes[i].slow_ms = *ms;
                let name = self.nodes[i].name.clone();
                self.log
                    .push(self.now, format!("{name}'s link slowed by {ms} ms"), false);
            }
            Action::Promote(name) => {
                let target = match name {
                    None => None,
                    Some(n) => Some(self.resolve(&Target::Named(n.clone()))?),
                };
                self.promote(target, "promote")?;
            }
            Action::Failover(on) => self.set_failover(*on),
            Action::Fencing(on) => {
                self.fencing = *on;
                let text = if *on {
                    "fencing on: a promotion powers the old primary off"
                } else {
                    "fencing off"
                };
                self.log.push(self.now, text, false);
            }
            Action::Mode(mode, acks) => self.set_mode(*mode, *acks)?,
            Action::Delay(t, d) => {
                let i = self.replica_of(t)?;
                self.nodes[i].delay = *d;
                let text = format!("{}'s delay is now {}", self.nodes[i].name, d.describe());
                self.log.push(self.now, text, false);
            }
            Action::Routing(r) => {
                self.routing = *r;
                for c in &mut self.clients {
                    c.pinned = None;
                }
                self.log.push(self.now, format!("reads routed by {}", r.name()), false);
            }
            Action::Load(w, r) => self.set_load(*w, *r),
            Action::Snapshot => self.take_snapshot(),
            Action::Restore(until) => self.restore(*until)?,
        }
        Ok(())
    }

    /// Parses and applies one action written as text.
    pub fn apply_text(&mut self, text: &str) -> Result<(), String> {
        self.apply(&Action::parse(text)?)
    }

    /// Advances the clock by `ms`, running every event due on the way.
    pub fn tick(&mut self, ms: u64) {
        self.advance(ms.saturating_mul(sim::US_PER_MS));
    }

    fn advance(&mut self, us: Micros) {
        let until = self.now.saturating_add(us);
        loop {
            // Ties: queued events first, then the load's write, then its read.
            let queued = self.queue.next_time().filter(|&t| t <= until);
            let write = self.next_load_write.filter(|&t| t <= until);
            let read = self.next_load_read.filter(|&t| t <= until);
            let first = [queued, write, read].into_iter().flatten().min();
            let Some(t) = first else { break };
            self.now = t;
            if queued == Some(t) {
                if let Some((_, ev)) = self.queue.pop_due(t) {
                    self.handle(ev);
                }
            } else if write == Some(t) {
                self.load_write();
            } else {
                self.load_read();
            }
        }
        self.now = until;
        self.trim();
    }

    fn next_time(&self) -> Option<Micros> {
        [self.queue.next_time(), self.next_load_write, self.next_load_read]
            .into_iter()
            .flatten()
            .min()
    }

    /// Runs the next pending event, if any; false when nothing is scheduled.
    fn step(&mut self) -> bool {
        match self.next_time() {
            Some(t) => {
                let t = t.max(self.now);
                self.advance(t - self.now);
                true
            }
            None => false,
        }
    }

    fn intern_key(&mut self, key: &str) -> Result<u16, String> {
        if let Some(i) = self.keys.iter().position(|k| k == key) {
            return Ok(i as u16);
        }
        if self.keys.len() >= 200 {
            return Err("too many distinct keys (200 at most)".into());
        }
        self.keys.push(key.to_string());
        Ok((self.keys.len() - 1) as u16)
    }

    fn intern_text(&mut self, text: &str) -> Result<Value, String> {
        if let Some(i) = self.texts.iter().position(|k| k == text) {
            return Ok(Value::Text(i as u16));
        }
        if self.texts.len() >= 1000 {
            return Err("too many distinct values (1000 at most)".into());
        }
        self.texts.push(text.to_string());
        Ok(Value::Text((self.texts.len() - 1) as u16))
    }

    fn value_text(&self, v: Value) -> String {
        match v {
            Value::Text(i) => self.texts[i as usize].clone(),
            Value::Gen(n) => format!("v{n}"),
            Value::Deleted => "∅".into(),
        }
    }

    fn change_text(&self, c: Change) -> String {
        match c {
            Change::Set { key, value } => format!("{}={}", self.keys[key as usize], self.value_text(value)),
            Change::DeleteAll => "delete all".into(),
        }
    }

    fn node_index(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    fn resolve(&self, t: &Target) -> Result<usize, String> {
        match t {
            Target::Primary => Ok(self.primary),
            Target::Named(n) => self.node_index(n).ok_or_else(|| {
                let names: Vec<&str> = self.nodes.iter().map(|n| n.name.as_str()).collect();
                format!("unknown node {n:?}: this run has primary, {}", names.join(", "))
            }),
        }
    }

    fn replica_of(&self, t: &Target) -> Result<usize, String> {
        let i = self.resolve(t)?;
        if i == self.primary {
            return Err(format!(
                "{} is the primary; name a replica ({})",
                self.nodes[i].name,
                self.replica_names().join(", ")
            ));
        }
        Ok(i)
    }

    fn replica_names(&self) -> Vec<&str> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != self.primary)
            .map(|(_, n)| n.name.as_str())
            .collect()
    }

    fn is_replica(&self, i: usize) -> bool {
        self.nodes[i].role == Role::Replica
    }

    fn link_open(&self, r: usize) -> bool {
        let (p, n) = (&self.nodes[self.primary], &self.nodes[r]);
        p.up && !p.cut && n.up && !n.cut && n.role == Role::Replica && !n.stale_lineage
    }

    // ---- writes -------------------------------------------------------------------------

    fn client_write(&mut self, c: usize, change: Change, scripted: bool) {
        let view = self.clients[c].view;
        let node = &self.nodes[view];
        if !node.up || node.role == Role::Replica {
            self.stats.failed_writes += 1;
            if scripted {
                let text = format!(
                    "c{} write {} failed: {} is down",
                    c + 1,
                    self.change_text(change),
                    node.name
                );
                self.log.push(self.now, text, false);
            }
            self.op(ClientOp::new(self.now, c, true, view, None, change, Outcome::Failed));
            return;
        }
        if node.role == Role::Zombie {
            self.zombie_write(c, view, change, scripted);
            return;
        }
        let pos = self.binlog.head() + 1;
        let entry = Entry {
            pos,
            change,
            client: c as u8,
            accepted: self.now,
            acked: None,
        };
        self.binlog.entries.push_back(entry);
        let p = self.primary;
        self.nodes[p].store.apply(&entry);
        self.nodes[p].received = pos;
        self.nodes[p].applied = pos;
        self.clients[c].last_write_at = Some(self.now);
        if let Some(since) = self.outage_since.take() {
            self.stats.downtime += self.now - since;
            let text = format!(
                "{} accepted its first write: the outage lasted {:.2} s",
                self.nodes[p].name,
                sim::us_to_ms(self.now - since) / 1000.0
            );
            self.log.push(self.now, text, false);
        }
        if scripted {
            let text = format!(
                "c{} write {} → {} (pos {pos})",
                c + 1,
                self.change_text(change),
                self.nodes[p].name
            );
            self.log.push(self.now, text, false);
        }
        self.op(ClientOp::new(
            self.now,
            c,
            true,
            p,
            Some(pos),
            change,
            Outcome::Accepted,
        ));
        for r in 0..self.nodes.len() {
            if r != p {
                self.send(r, pos);
            }
        }
        match self.effective_mode() {
            Mode::Async => self.commit(pos),
            Mode::Semisync => {
                self.pending.push_back(pos);
                let at = self.now + sim::ms_to_us(self.config.semisync_timeout_ms);
                self.queue.schedule(at, Ev::SemisyncTimeout { pos });
            }
            Mode::Sync => self.pending.push_back(pos),
        }
        self.try_commit();
    }

    fn zombie_write(&mut self, c: usize, z: usize, change: Change, scripted: bool) {
        let node = &mut self.nodes[z];
        node.zombie_head += 1;
        let pos = node.zombie_head;
        let acked = match self.mode {
            Mode::Async => Some(self.now),
            _ => None,
        };
        let entry = Entry {
            pos,
            change,
            client: c as u8,
            accepted: self.now,
            acked,
        };
        node.store.apply(&entry);
        node.zombie_log.push(entry);
        let name = node.name.clone();
        if self.mode == Mode::Semisync {
            // Cut off from every replica, it times out and commits alone.
            let at = self.now + sim::ms_to_us(self.config.semisync_timeout_ms);
            self.queue.schedule(at, Ev::ZombieAck { node: z as u8, pos });
        }
        if acked.is_some() {
            self.stats.acked_writes += 1;
        }
        if scripted {
            let text = format!(
                "c{} write {} → {name} (pos {pos}, a primary nobody replicates)",
                c + 1,
                self.change_text(change)
            );
            self.log.push(self.now, text, false);
        }
        self.op(ClientOp::new(
            self.now,
            c,
            true,
            z,
            Some(pos),
            change,
            Outcome::OldPrimary,
        ));
    }

    fn effective_mode(&self) -> Mode {
        if self.mode == Mode::Semisync && self.fallen_back {
            Mode::Async
        } else {
            self.mode
        }
    }

    fn send(&mut self, r: usize, pos: Pos) {
        if !self.link_open(r) {
            return;
        }
        let sample = self.nodes[r].delay.sample(&mut self.rng) + self.nodes[r].slow_ms;
        let node = &mut self.nodes[r];
        let at = (self.now + sim::ms_to_us(sample)).max(node.last_arrival);
        node.last_arrival = at;
        self.queue.schedule(at, Ev::Deliver { to: r as u8, pos });
    }

    /// Ships everything a replica lacks (after a restart, a repoint or a healed partition).
    fn catch_up(&mut self, r: usize) {
        if !self.link_open(r) {
            return;
        }
        self.queue
            .retain(|e| !matches!(e, Ev::Deliver { to, .. } if *to as usize == r));
        let from = self.nodes[r].received + 1;
        for pos in from..=self.binlog.head() {
            self.send(r, pos);
        }
    }

    /// Whether enough replicas have acknowledged `pos` for the current mode.
    fn satisfied(&self, pos: Pos) -> bool {
        match self.effective_mode() {
            Mode::Async => true,
            Mode::Semisync => {
                (0..self.nodes.len())
                    .filter(|&r| self.is_replica(r) && self.acked_received[r] >= pos)
                    .count()
                    >= self.acks
            }
            // Every replica, the down ones included: a synchronous primary waits for them.
            Mode::Sync => (0..self.nodes.len())
                .filter(|&r| self.is_replica(r))
                .all(|r| self.acked_applied[r] >= pos),
        }
    }

    fn try_commit(&mut self) {
        while let Some(&pos) = self.pending.front() {
            if !self.satisfied(pos) {
                break;
            }
            self.pending.pop_front();
            self.commit(pos);
        }
    }

    fn commit(&mut self, pos: Pos) {
        let now = self.now;
        let Some(e) = self.binlog.get_mut(pos) else {
            return;
        };
        e.acked = Some(now);
        let e = *e;
        #[cfg(test)]
        if self.effective_mode() == Mode::Sync
            && (0..self.nodes.len()).any(|r| self.is_replica(r) && self.nodes[r].up && self.nodes[r].applied < pos)
        {
            self.early_sync_commits += 1;
        }
        let latency = sim::us_to_ms(now - e.accepted);
        self.stats.acked_writes += 1;
        self.stats.commits += 1;
        self.stats.latency_sum_ms += latency;
        if self.stats.latencies.len() == LATENCY_WINDOW {
            self.stats.latencies.pop_front();
        }
        self.stats.latencies.push_back(latency);
        let client = &mut self.clients[e.client as usize];
        client.token = client.token.max(pos);
        match e.change {
            Change::Set { key, .. } => {
                *slot(&mut client.own, key) = pos;
                *slot(&mut self.latest_acked, key) = pos;
            }
            Change::DeleteAll => {
                for k in 0..self.keys.len() as u16 {
                    *slot(&mut client.own, k) = pos;
                    *slot(&mut self.latest_acked, k) = pos;
                }
            }
        }
        if latency > 0.0 {
            if let Some(op) = self
                .recent
                .iter_mut()
                .rev()
                .find(|o| o.write && o.pos == Some(pos) && o.node == self.primary)
            {
                op.outcome = Outcome::Committed { after_ms: latency };
            }
        }
    }

    // ---- replication events -------------------------------------------------------------

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Deliver { to, pos } => self.deliver(to as usize, pos),
            Ev::Apply { node } => self.apply_next(node as usize),
            Ev::Ack {
                from,
                received,
                applied,
            } => {
                let r = from as usize;
                if !self.nodes[self.primary].up || self.nodes[self.primary].cut || !self.is_replica(r) {
                    return;
                }
                self.acked_received[r] = self.acked_received[r].max(received);
                self.acked_applied[r] = self.acked_applied[r].max(applied);
                self.try_commit();
                self.maybe_resume_semisync();
            }
            Ev::SemisyncTimeout { pos } => {
                if self.mode == Mode::Semisync && !self.fallen_back && self.pending.contains(&pos) {
                    self.fallen_back = true;
                    let text = format!(
                        "semi-sync waited {} s for {} ack(s) of pos {pos}: falling back to async until replicas catch up",
                        sim::round6(self.config.semisync_timeout_ms / 1000.0),
                        self.acks
                    );
                    self.log.push(self.now, text, false);
                    self.try_commit();
                }
            }
            Ev::ZombieAck { node, pos } => {
                let z = node as usize;
                if self.nodes[z].role == Role::Zombie && self.nodes[z].up {
                    if let Some(e) = self.nodes[z].zombie_log.iter_mut().find(|e| e.pos == pos) {
                        if e.acked.is_none() {
                            e.acked = Some(self.now);
                            self.stats.acked_writes += 1;
                        }
                    }
                }
            }
            Ev::Heartbeat => self.heartbeat(),
        }
    }

    fn deliver(&mut self, r: usize, pos: Pos) {
        if !self.link_open(r) || pos != self.nodes[r].received + 1 || self.binlog.get(pos).is_none() {
            return;
        }
        self.nodes[r].received = pos;
        if self.config.apply_rate <= 0.0 {
            self.apply_one(r);
            self.ack(r);
        } else {
            // The relay log has the write: semi-sync's acknowledgement goes now, apply later.
            self.ack(r);
            self.schedule_apply(r);
        }
    }

    fn schedule_apply(&mut self, r: usize) {
        let n = &mut self.nodes[r];
        if n.applying || n.applied >= n.received {
            return;
        }
        n.applying = true;
        let at = self.now + sim::ms_to_us(1000.0 / self.config.apply_rate).max(1);
        self.queue.schedule(at, Ev::Apply { node: r as u8 });
    }

    fn apply_next(&mut self, r: usize) {
        self.nodes[r].applying = false;
        if !self.nodes[r].up || self.nodes[r].role != Role::Replica {
            return;
        }
        if self.nodes[r].applied < self.nodes[r].received {
            self.apply_one(r);
            self.ack(r);
        }
        self.schedule_apply(r);
    }

    fn apply_one(&mut self, r: usize) {
        let pos = self.nodes[r].applied + 1;
        if let Some(e) = self.binlog.get(pos).copied() {
            self.nodes[r].store.apply(&e);
            self.nodes[r].applied = pos;
            #[cfg(test)]
            self.nodes[r].trace.push(pos);
        }
    }

    fn ack(&mut self, r: usize) {
        let (received, applied) = (self.nodes[r].received, self.nodes[r].applied);
        if self.mode == Mode::Async {
            // Nobody waits for acknowledgements in async; switching mode asks the replicas
            // where they are instead (`set_mode`).
            self.acked_received[r] = received;
            self.acked_applied[r] = applied;
            return;
        }
        let at = self.now + sim::ms_to_us(self.config.ack_delay_ms);
        self.queue.schedule(
            at,
            Ev::Ack {
                from: r as u8,
                received,
                applied,
            },
        );
    }

    fn maybe_resume_semisync(&mut self) {
        if !(self.mode == Mode::Semisync && self.fallen_back) {
            return;
        }
        let head = self.binlog.head();
        let caught_up = (0..self.nodes.len())
            .filter(|&r| self.is_replica(r) && self.acked_received[r] >= head)
            .count();
        if caught_up >= self.acks {
            self.fallen_back = false;
            let text = format!("semi-sync back on: {caught_up} replica(s) caught up to pos {head}");
            self.log.push(self.now, text, false);
        }
    }

    /// Forgets binlog entries every node on the primary's line has applied (a snapshot keeps
    /// its own part for point-in-time recovery).
    fn trim(&mut self) {
        let mut keep = self
            .nodes
            .iter()
            .filter(|n| n.role != Role::Zombie && !n.stale_lineage)
            .map(|n| n.applied)
            .min()
            .unwrap_or(0);
        if let Some(s) = &self.snapshot {
            keep = keep.min(s.pos);
        }
        self.binlog.trim_through(keep);
    }

    // ---- reads --------------------------------------------------------------------------

    /// Replicas that can serve a read (up, on the primary's line), without allocating: reads
    /// are most of a busy run.
    fn readable_replicas(&self) -> ([usize; config::MAX_REPLICAS + 1], usize) {
        let mut out = [0; config::MAX_REPLICAS + 1];
        let mut n = 0;
        for (i, node) in self.nodes.iter().enumerate() {
            if node.role == Role::Replica && node.up && !node.stale_lineage {
                out[n] = i;
                n += 1;
            }
        }
        (out, n)
    }

    fn route(&mut self, c: usize) -> usize {
        let (all, len) = self.readable_replicas();
        let replicas = &all[..len];
        let view = self.clients[c].view;
        if replicas.is_empty() {
            return view;
        }
        let random = |rng: &mut SimRng| replicas[rng.random_range(0..replicas.len())];
        match self.routing {
            Routing::Primary => view,
            Routing::Random => random(&mut self.rng),
            Routing::RoundRobin => {
                self.round_robin = self.round_robin.wrapping_add(1);
                replicas[self.round_robin % replicas.len()]
            }
            Routing::Pinned => match self.clients[c].pinned {
                Some(r) if replicas.contains(&r) => r,
                _ => {
                    let r = replicas[c % replicas.len()];
                    self.clients[c].pinned = Some(r);
                    r
                }
            },
            Routing::RywToken => {
                let r = random(&mut self.rng);
                if self.nodes[r].applied >= self.clients[c].token {
                    r
                } else {
                    view
                }
            }
            Routing::PrimaryAfterWrite(ms) => {
                let recent = self.clients[c]
                    .last_write_at
                    .is_some_and(|t| self.now - t < sim::ms_to_us(ms));
                if recent {
                    view
                } else {
                    random(&mut self.rng)
                }
            }
        }
    }

    /// Whether an anomaly is written out in full: always for the learner's own operations;
    /// under background load at most ten of a kind per simulated second (all are counted), so
    /// a busy run is not spent formatting text nobody can read.
    fn in_full(&mut self, kind: usize, scripted: bool) -> bool {
        const GAP: Micros = 100_000;
        if scripted {
            return true;
        }
        match self.full_at[kind] {
            Some(t) if self.now < t + GAP => false,
            _ => {
                self.full_at[kind] = Some(self.now);
                true
            }
        }
    }

    fn client_read(&mut self, c: usize, key: u16, scripted: bool) {
        let n = self.route(c);
        let now = self.now;
        if !self.nodes[n].up {
            if scripted {
                let text = format!(
                    "c{} read {} from {} → FAILED · down",
                    c + 1,
                    self.keys[key as usize],
                    self.nodes[n].name
                );
                self.log.push(now, text, false);
            }
            self.op(ClientOp::new(
                now,
                c,
                false,
                n,
                None,
                Change::Set {
                    key,
                    value: Value::Deleted,
                },
                Outcome::Failed,
            ));
            return;
        }
        let node = &self.nodes[n];
        let v = node.store.get(key);
        let on_line = node.role != Role::Zombie;
        self.stats.reads += 1;
        if n == self.primary || node.role == Role::Zombie {
            self.stats.primary_reads += 1;
        }
        let (mut stale, mut ryw, mut went_back) = (false, false, false);
        if on_line {
            let latest = self.latest_acked.get(key as usize).copied().unwrap_or(0);
            let own = self.clients[c].own.get(key as usize).copied().unwrap_or(0);
            let seen = self.clients[c].seen.get(key as usize).copied().unwrap_or(0);
            let applied = self.nodes[n].applied;
            if latest > v.pos {
                stale = true;
                self.stats.stale_reads += 1;
                if self.in_full(0, scripted) {
                    let (key_name, name) = (&self.keys[key as usize], &self.nodes[n].name);
                    let by = self.binlog.get(latest).map_or(String::new(), |e| {
                        format!(
                            "c{} wrote {} (pos {latest}) at {}; ",
                            e.client + 1,
                            self.change_text(e.change),
                            secs(e.accepted)
                        )
                    });
                    let detail = format!(
                        "{by}c{} read {key_name} from {name} at {} → {}, {name} had applied pos {applied}",
                        c + 1,
                        secs(now),
                        self.value_text(v.value)
                    );
                    self.anomalies.record(&mut self.log, now, "stale_read", detail);
                } else {
                    self.anomalies.tally("stale_read");
                }
            }
            if own > v.pos {
                ryw = true;
                self.stats.ryw_violations += 1;
                if self.in_full(1, scripted) {
                    let (key_name, name) = (&self.keys[key as usize], &self.nodes[n].name);
                    let wrote = self
                        .binlog
                        .get(own)
                        .map_or(key_name.clone(), |e| self.change_text(e.change));
                    let detail = format!(
                        "c{} wrote {wrote} (pos {own}), then read {key_name} from {name} at {} → {}, {name} had applied pos {applied}",
                        c + 1,
                        secs(now),
                        self.value_text(v.value)
                    );
                    self.anomalies.record(&mut self.log, now, "ryw_violation", detail);
                } else {
                    self.anomalies.tally("ryw_violation");
                }
            }
            if seen > v.pos {
                went_back = true;
                self.stats.monotonic_violations += 1;
                if self.in_full(2, scripted) {
                    let (key_name, name) = (&self.keys[key as usize], &self.nodes[n].name);
                    let detail = format!(
                        "c{} had read {key_name} at pos {seen}, then from {name} at {} → {} (pos {})",
                        c + 1,
                        secs(now),
                        self.value_text(v.value),
                        v.pos
                    );
                    self.anomalies.record(&mut self.log, now, "monotonic_violation", detail);
                } else {
                    self.anomalies.tally("monotonic_violation");
                }
            }
            let s = slot(&mut self.clients[c].seen, key);
            *s = (*s).max(v.pos);
        }
        let op = ClientOp::new(
            now,
            c,
            false,
            n,
            Some(v.pos),
            Change::Set { key, value: v.value },
            Outcome::Read { stale, ryw, went_back },
        );
        if scripted {
            let text = format!(
                "c{} read {} from {} → {}",
                c + 1,
                self.keys[key as usize],
                self.nodes[n].name,
                op.outcome_text(self)
            );
            self.log.push(now, text, false);
        }
        self.op(op);
    }

    fn op(&mut self, op: ClientOp) {
        if self.recent.len() == RECENT_OPS {
            self.recent.pop_front();
        }
        self.recent.push_back(op);
    }

    // ---- faults and failover ------------------------------------------------------------

    fn crash(&mut self, i: usize) -> Result<(), String> {
        if !self.nodes[i].up {
            return Err(format!("{} is already down", self.nodes[i].name));
        }
        self.nodes[i].up = false;
        self.nodes[i].applying = false;
        let name = self.nodes[i].name.clone();
        if i == self.primary {
            // What was on the wire dies with the primary: in-flight writes never arrive.
            self.queue
                .retain(|e| !matches!(e, Ev::Deliver { .. } | Ev::Ack { .. } | Ev::SemisyncTimeout { .. }));
            let best = self.most_advanced().map_or(0, |r| self.nodes[r].received);
            let only_here = self.binlog.head().saturating_sub(best);
            let acked_only_here = ((best + 1)..=self.binlog.head())
                .filter(|&p| self.binlog.get(p).is_some_and(|e| e.acked.is_some()))
                .count();
            for pos in std::mem::take(&mut self.pending) {
                self.stats.failed_writes += 1;
                if let Some(e) = self.binlog.get(pos) {
                    let what = self.change_text(e.change);
                    self.log.push(
                        self.now,
                        format!("c{} write {what} failed: {name} crashed before commit", e.client + 1),
                        false,
                    );
                }
            }
            self.outage_since.get_or_insert(self.now);
            let text = format!(
                "{name} (primary) crashed: {only_here} write(s) on no replica, {acked_only_here} of them acknowledged"
            );
            self.log.push(self.now, text, false);
        } else {
            self.queue.retain(|e| match e {
                Ev::Deliver { to, .. } => *to as usize != i,
                Ev::Apply { node } => *node as usize != i,
                _ => true,
            });
            self.log.push(self.now, format!("{name} crashed"), false);
        }
        Ok(())
    }

    fn restart(&mut self, i: usize) -> Result<(), String> {
        let name = self.nodes[i].name.clone();
        if self.nodes[i].up {
            return Err(format!("{name} is already up"));
        }
        self.nodes[i].up = true;
        self.nodes[i].last_arrival = self.now;
        if i == self.primary {
            self.log.push(self.now, format!("{name} (primary) restarted"), false);
            for r in 0..self.nodes.len() {
                if r != i {
                    self.catch_up(r);
                }
            }
            return Ok(());
        }
        if self.nodes[i].stale_lineage || self.nodes[i].role == Role::Zombie {
            self.rebuild(i);
            let text = format!(
                "{name} restarted and rejoined as a replica of {}, rebuilt from it",
                self.nodes[self.primary].name
            );
            self.log.push(self.now, text, false);
        } else {
            self.log.push(self.now, format!("{name} restarted"), false);
            self.catch_up(i);
            self.schedule_apply(i);
        }
        Ok(())
    }

    /// Makes `i` a fresh replica of the current primary (a re-clone: what it alone held is gone).
    fn rebuild(&mut self, i: usize) {
        let p = self.primary;
        let (store, head) = (self.nodes[p].store.clone(), self.nodes[p].applied);
        let n = &mut self.nodes[i];
        n.role = Role::Replica;
        n.stale_lineage = false;
        n.store = store;
        n.received = head;
        n.applied = head;
        n.zombie_log.clear();
        n.last_arrival = self.now;
        n.applying = false;
        if n.delay.ms == 0.0 && n.delay.kind == config::DelayKind::Fixed {
            n.delay = self.config.delay;
        }
        self.acked_received[i] = head;
        self.acked_applied[i] = head;
        self.catch_up(i);
    }

    fn partition(&mut self, i: usize) -> Result<(), String> {
        let name = self.nodes[i].name.clone();
        if self.nodes[i].cut {
            return Err(format!("{name} is already partitioned"));
        }
        self.nodes[i].cut = true;
        if i == self.primary {
            self.queue.retain(|e| !matches!(e, Ev::Deliver { .. } | Ev::Ack { .. }));
            self.log.push(
                self.now,
                format!("{name} (primary) cut off from its replicas; clients still reach it"),
                false,
            );
        } else {
            self.queue
                .retain(|e| !matches!(e, Ev::Deliver { to, .. } if *to as usize == i));
            self.log
                .push(self.now, format!("{name} cut off from the primary"), false);
        }
        Ok(())
    }

    fn heal(&mut self) {
        for n in &mut self.nodes {
            n.cut = false;
            n.slow_ms = 0.0;
        }
        self.log
            .push(self.now, "network healed: partitions and slow links gone", false);
        let zombies: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].role == Role::Zombie)
            .collect();
        for z in zombies {
            let tail = std::mem::take(&mut self.nodes[z].zombie_log);
            let name = self.nodes[z].name.clone();
            let primary = self.nodes[self.primary].name.clone();
            let mut lost = 0;
            for e in tail.iter().filter(|e| e.acked.is_some()) {
                lost += 1;
                let detail = format!(
                    "c{} wrote {} on {name} at {}, acknowledged while {primary} was primary (split brain); discarded when {name} stepped down",
                    e.client + 1,
                    self.change_text(e.change),
                    secs(e.accepted)
                );
                self.record_lost(detail);
            }
            if self.nodes[z].up {
                self.rebuild(z);
            } else {
                self.nodes[z].role = Role::Replica;
                self.nodes[z].stale_lineage = true;
            }
            let text =
                format!("{name} learnt {primary} is primary and stepped down: {lost} acknowledged write(s) discarded");
            self.log.push(self.now, text, false);
        }
        let p = self.primary;
        for c in &mut self.clients {
            c.view = p;
        }
        for r in 0..self.nodes.len() {
            if r != p {
                self.catch_up(r);
            }
        }
    }

    fn record_lost(&mut self, detail: String) {
        self.stats.lost_writes += 1;
        self.anomalies.record(&mut self.log, self.now, "lost_write", detail);
    }

    /// The live replica furthest along its relay log (ties: the first by name).
    fn most_advanced(&self) -> Option<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.is_replica(i) && self.nodes[i].up && !self.nodes[i].stale_lineage)
            .max_by_key(|&i| (self.nodes[i].received, std::cmp::Reverse(i)))
    }

    fn promote(&mut self, target: Option<usize>, why: &str) -> Result<(), String> {
        let new = match target {
            None => self
                .most_advanced()
                .ok_or_else(|| "no live replica to promote".to_string())?,
            Some(i) => {
                let n = &self.nodes[i];
                if i == self.primary {
                    return Err(format!("{} is already the primary", n.name));
                }
                if !n.up {
                    return Err(format!("{} is down; restart it or promote another replica", n.name));
                }
                if n.role != Role::Replica || n.stale_lineage {
                    return Err(format!("{} is not a replica of the primary", n.name));
                }
                i
            }
        };
        let old = self.primary;
        // The candidate applies what its relay log already holds, then takes over.
        while self.nodes[new].applied < self.nodes[new].received {
            self.apply_one(new);
        }
        let p = self.nodes[new].applied;
        self.queue.retain(|e| {
            !matches!(
                e,
                Ev::Deliver { .. } | Ev::Ack { .. } | Ev::SemisyncTimeout { .. } | Ev::Apply { .. }
            )
        });
        for n in &mut self.nodes {
            n.applying = false;
        }
        let tail = self.binlog.cut_after(p);
        self.pending.clear();
        let old_name = self.nodes[old].name.clone();
        let new_name = self.nodes[new].name.clone();
        let zombie = self.nodes[old].up && self.nodes[old].cut && !self.fencing;
        let mut lost = 0;
        if zombie {
            let node = &mut self.nodes[old];
            node.role = Role::Zombie;
            node.zombie_head = p + tail.len() as Pos;
            node.zombie_log = tail;
            let detail = format!(
                "{new_name} promoted at {} while {old_name}, cut off but not fenced, still takes writes: two primaries",
                secs(self.now)
            );
            self.anomalies.record(&mut self.log, self.now, "split_brain", detail);
        } else {
            for e in tail.iter().filter(|e| e.acked.is_some()) {
                lost += 1;
                let detail = format!(
                    "c{} wrote {} (pos {}), acknowledged at {}; no replica had it when {new_name} was promoted at pos {p}",
                    e.client + 1,
                    self.change_text(e.change),
                    e.pos,
                    secs(e.acked.unwrap_or(e.accepted))
                );
                self.record_lost(detail);
            }
            let node = &mut self.nodes[old];
            node.role = Role::Replica;
            if node.up && self.fencing {
                node.up = false;
                self.log
                    .push(self.now, format!("{old_name} fenced: powered off"), false);
            }
            node.stale_lineage = !tail.is_empty() || !node.up;
        }
        self.nodes[new].role = Role::Primary;
        self.nodes[new].cut = false;
        self.primary = new;
        self.fallen_back = false;
        self.missed = 0;
        for (c, client) in self.clients.iter_mut().enumerate() {
            // In a split brain the clients on the old primary's side (c1, c3, …) keep using it.
            if !(zombie && c % 2 == 0) {
                client.view = new;
            }
            for x in client.own.iter_mut().chain(client.seen.iter_mut()) {
                *x = (*x).min(p);
            }
            client.token = client.token.min(p);
            client.pinned = None;
        }
        for k in 0..self.keys.len() {
            let v = self.nodes[new].store.get(k as u16).pos;
            *slot(&mut self.latest_acked, k as u16) = v;
        }
        let mut repointed = Vec::new();
        for r in 0..self.nodes.len() {
            if r == new || self.nodes[r].role != Role::Replica {
                continue;
            }
            if r == old && !self.nodes[r].up {
                continue;
            }
            repointed.push(self.nodes[r].name.clone());
            if self.nodes[r].received > p || self.nodes[r].applied > p || self.nodes[r].stale_lineage {
                if self.nodes[r].up {
                    self.rebuild(r);
                } else {
                    self.nodes[r].stale_lineage = true;
                }
            } else {
                self.nodes[r].last_arrival = self.now;
                self.acked_received[r] = self.nodes[r].received;
                self.acked_applied[r] = self.nodes[r].applied;
                self.catch_up(r);
                self.schedule_apply(r);
            }
        }
        let text = format!(
            "{why}: {new_name} is the primary at pos {p}; {} repointed; {lost} acknowledged write(s) lost",
            if repointed.is_empty() {
                "no replica".to_string()
            } else {
                repointed.join(", ")
            }
        );
        self.log.push(self.now, text, false);
        Ok(())
    }

    fn set_failover(&mut self, on: bool) {
        self.auto_failover = on;
        self.missed = 0;
        let text = if on {
            format!(
                "automatic failover on: heartbeat every {} ms, {} missed → promote",
                sim::round6(self.config.heartbeat_ms),
                self.config.missed_heartbeats
            )
        } else {
            "automatic failover off".to_string()
        };
        self.log.push(self.now, text, false);
        if on && !self.heartbeat_scheduled {
            self.heartbeat_scheduled = true;
            self.queue
                .schedule(self.now + sim::ms_to_us(self.config.heartbeat_ms), Ev::Heartbeat);
        }
    }

    fn heartbeat(&mut self) {
        if !self.auto_failover {
            self.heartbeat_scheduled = false;
            return;
        }
        let p = &self.nodes[self.primary];
        if p.up && !p.cut {
            self.missed = 0;
        } else {
            self.missed += 1;
            let text = format!(
                "heartbeat from {} missed ({} of {})",
                p.name, self.missed, self.config.missed_heartbeats
            );
            self.log.push(self.now, text, false);
            if self.missed >= self.config.missed_heartbeats && self.most_advanced().is_some() {
                let _ = self.promote(None, "automatic failover");
            }
        }
        self.queue
            .schedule(self.now + sim::ms_to_us(self.config.heartbeat_ms), Ev::Heartbeat);
    }

    fn set_mode(&mut self, mode: Mode, acks: Option<usize>) -> Result<(), String> {
        let replicas = self.nodes.len() - 1;
        if let Some(k) = acks {
            if !(1..=replicas).contains(&k) {
                return Err(format!(
                    "mode semisync {k}: acks must be between 1 and {replicas} (the number of replicas)"
                ));
            }
            self.acks = k;
        }
        self.mode = mode;
        self.fallen_back = false;
        let text = match mode {
            Mode::Semisync => format!("mode semisync: commit after {} replica ack(s)", self.acks),
            m => format!("mode {}", m.name()),
        };
        self.log.push(self.now, text, false);
        if mode == Mode::Semisync {
            let at = self.now + sim::ms_to_us(self.config.semisync_timeout_ms);
            for &pos in &self.pending {
                self.queue.schedule(at, Ev::SemisyncTimeout { pos });
            }
        }
        self.try_commit();
        Ok(())
    }

    /// The next arrival of a Poisson stream at `rate` per second (None when it is off).
    fn next_arrival(&mut self, rate: f64) -> Option<Micros> {
        (rate > 0.0).then(|| self.now + sim::ms_to_us(sim::exponential(&mut self.rng, 1000.0 / rate)).max(1))
    }

    fn load_write(&mut self) {
        let c = self.rng.random_range(0..self.clients.len());
        let key = self.rng.random_range(0..self.config.keys) as u16;
        self.generated += 1;
        let value = Value::Gen(self.generated);
        self.client_write(c, Change::Set { key, value }, false);
        self.next_load_write = self.next_arrival(self.write_rate);
    }

    fn load_read(&mut self) {
        let c = self.rng.random_range(0..self.clients.len());
        let key = self.rng.random_range(0..self.config.keys) as u16;
        self.client_read(c, key, false);
        self.next_load_read = self.next_arrival(self.read_rate);
    }

    fn set_load(&mut self, w: f64, r: f64) {
        self.write_rate = w;
        self.read_rate = r;
        self.next_load_write = self.next_arrival(w);
        self.next_load_read = self.next_arrival(r);
        let text = format!("background load: {w} writes/s, {r} reads/s");
        self.log.push(self.now, text, false);
    }

    // ---- backups ------------------------------------------------------------------------

    /// A write by the operator (a restore): committed at once on the primary and replicated
    /// like any other, with no client waiting for it.
    fn admin_write(&mut self, change: Change) {
        let pos = self.binlog.head() + 1;
        let entry = Entry {
            pos,
            change,
            client: 0,
            accepted: self.now,
            acked: Some(self.now),
        };
        self.binlog.entries.push_back(entry);
        let p = self.primary;
        self.nodes[p].store.apply(&entry);
        self.nodes[p].received = pos;
        self.nodes[p].applied = pos;
        match change {
            Change::Set { key, .. } => *slot(&mut self.latest_acked, key) = pos,
            Change::DeleteAll => {
                for k in 0..self.keys.len() as u16 {
                    *slot(&mut self.latest_acked, k) = pos;
                }
            }
        }
        for r in 0..self.nodes.len() {
            if r != p {
                self.send(r, pos);
            }
        }
    }

    fn take_snapshot(&mut self) {
        let p = &self.nodes[self.primary];
        self.snapshot = Some(Snapshot {
            at: self.now,
            pos: p.applied,
            store: p.store.clone(),
        });
        let text = format!("snapshot of {} at pos {} ({} rows)", p.name, p.applied, p.store.rows());
        self.log.push(self.now, text, false);
    }

    /// Restores the primary from the snapshot, replaying the binlog up to `until_ms` when given,
    /// and rebuilds every replica from it: replication copies a bad write, a backup undoes it.
    fn restore(&mut self, until_ms: Option<f64>) -> Result<(), String> {
        let s = self
            .snapshot
            .clone()
            .ok_or_else(|| "no snapshot yet: take one with `snapshot`".to_string())?;
        let p = self.primary;
        if !self.nodes[p].up {
            return Err(format!("the primary {} is down", self.nodes[p].name));
        }
        let until = until_ms.map(sim::ms_to_us);
        if let Some(u) = until {
            if u < s.at {
                return Err(format!(
                    "restore pitr {}: the snapshot was taken at {} ms; pick a later time",
                    sim::round6(sim::us_to_ms(u)),
                    sim::round6(sim::us_to_ms(s.at))
                ));
            }
        }
        let head = self.binlog.head();
        let mut store = s.store.clone();
        let mut replayed = Vec::new();
        for pos in (s.pos + 1)..=head {
            let Some(e) = self.binlog.get(pos).copied() else {
                continue;
            };
            if until.is_some_and(|u| e.accepted < u) {
                store.apply(&e);
                replayed.push(e);
            }
        }
        // Rows the restore brings back as they were before the bad write; writes after the cut
        // that were not a delete-all are lost work.
        let dropped: Vec<Entry> = ((s.pos + 1)..=head)
            .filter_map(|pos| self.binlog.get(pos).copied())
            .filter(|e| until.is_none_or(|u| e.accepted >= u))
            .collect();
        let lost_rows = dropped
            .iter()
            .filter(|e| matches!(e.change, Change::Set { .. }) && e.acked.is_some())
            .count() as u64;
        self.restored_rows_lost += lost_rows;
        // The restored state becomes new binlog history: one entry per row, so replicas and
        // positions keep one line.
        let restored_rows: Vec<(u16, Value)> = (0..self.keys.len() as u16)
            .map(|k| (k, store.get(k).value))
            .filter(|(_, v)| *v != Value::Deleted)
            .collect();
        self.admin_write(Change::DeleteAll);
        for (key, value) in restored_rows {
            self.admin_write(Change::Set { key, value });
        }
        let text = match until {
            None => format!(
                "restored the snapshot of {}: {lost_rows} acknowledged write(s) since then lost",
                secs(s.at)
            ),
            Some(u) => format!(
                "restored the snapshot of {} and replayed {} binlog write(s) before {}: {lost_rows} acknowledged write(s) not replayed",
                secs(s.at),
                replayed.len(),
                secs(u)
            ),
        };
        self.log.push(self.now, text, false);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
