//! The cache lab in time: a cache (one node or a cluster) in front of a database, Poisson reads
//! and object updates on the logical clock, and what goes wrong between them: evictions and
//! expirations, stale values a slow reader puts back after the writer's delete, a stampede of
//! rebuilds when a hot key expires, dirty writes lost with a write-back node, and the miss
//! surge when a node dies (modulo vs ring placement, from the sharding lab's code).

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::cluster::{Cluster, Sharding};
use super::store::{Lookup, Policy, Store, TtlMode};
use super::theory;
use super::workload::{Requests, Workload};
use crate::engines::sim::{self, Anomalies, EventLog, EventQueue, Micros, SimRng};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum WritePolicy {
    /// The application reads the cache, and on a miss reads the database and sets the cache;
    /// it writes the database, then acts on the cache as `on_update` says.
    #[default]
    CacheAside,
    /// The cache loads a missing key from the database itself (through a loader); reads behave
    /// as cache-aside, writes go to the database and invalidate as `on_update` says.
    ReadThrough,
    /// Every write goes to the cache and the database together, before it is acknowledged.
    WriteThrough,
    /// Writes go to the cache only, marked dirty, and reach the database later (after
    /// `flush_ms`, or when evicted). A cache node that dies loses its dirty entries.
    WriteBack,
}

impl WritePolicy {
    pub const ALL: [WritePolicy; 4] = [
        WritePolicy::CacheAside,
        WritePolicy::ReadThrough,
        WritePolicy::WriteThrough,
        WritePolicy::WriteBack,
    ];

    pub fn name(self) -> &'static str {
        match self {
            WritePolicy::CacheAside => "cache-aside",
            WritePolicy::ReadThrough => "read-through",
            WritePolicy::WriteThrough => "write-through",
            WritePolicy::WriteBack => "write-back",
        }
    }
}

/// What a cache-aside or read-through writer does to the cache after writing the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum OnUpdate {
    /// Delete the key; the next read misses and loads the new value.
    #[default]
    Delete,
    /// Set the new value in the cache.
    Update,
    /// Leave the cache alone and rely on the TTL to expire the old value.
    Ttl,
}

impl OnUpdate {
    pub const ALL: [OnUpdate; 3] = [OnUpdate::Delete, OnUpdate::Update, OnUpdate::Ttl];

    pub fn name(self) -> &'static str {
        match self {
            OnUpdate::Delete => "delete",
            OnUpdate::Update => "update",
            OnUpdate::Ttl => "ttl",
        }
    }
}

/// The fix for the stale-set race.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RaceFix {
    #[default]
    None,
    /// The cache remembers the version each delete or write was for and refuses a set that
    /// carries an older one (Memcached's CAS, or the leases of Facebook's memcache).
    Versioned,
    /// The writer deletes the key a second time `double_delete_ms` later, removing a value a
    /// slow reader put back in between.
    DoubleDelete,
}

impl RaceFix {
    pub const ALL: [RaceFix; 3] = [RaceFix::None, RaceFix::Versioned, RaceFix::DoubleDelete];

    pub fn name(self) -> &'static str {
        match self {
            RaceFix::None => "none",
            RaceFix::Versioned => "versioned",
            RaceFix::DoubleDelete => "double-delete",
        }
    }
}

/// The fix for a stampede on a hot key's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum StampedeFix {
    #[default]
    None,
    /// One request per key rebuilds it; the others wait for that result.
    SingleFlight,
    /// A read that finds the entry within `refresh_ahead_ms` of expiring rebuilds it in the
    /// background while the old value is still served, so it never expires under load.
    EarlyRefresh,
}

impl StampedeFix {
    pub const ALL: [StampedeFix; 3] = [StampedeFix::None, StampedeFix::SingleFlight, StampedeFix::EarlyRefresh];

    pub fn name(self) -> &'static str {
        match self {
            StampedeFix::None => "none",
            StampedeFix::SingleFlight => "single-flight",
            StampedeFix::EarlyRefresh => "early-refresh",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheLabConfig {
    pub policy: Policy,
    /// Items per cache node.
    pub capacity: usize,
    pub catalog: usize,
    pub workload: Workload,
    /// Seconds an entry lives; None for no TTL.
    pub ttl_s: Option<f64>,
    pub ttl_mode: TtlMode,
    /// Reads per second, in all.
    pub rate: f64,
    /// Object updates per second, in all (items drawn by the same popularity as reads).
    pub update_rate: f64,
    pub write_policy: WritePolicy,
    pub on_update: OnUpdate,
    /// Time from a read's database query to its cache set.
    pub db_ms: f64,
    /// The stale-set race, staged on every update: the key had just expired, a reader missed
    /// it and read the old value from the database, then stalled `slow_ms` (a GC pause, a slow
    /// network) before setting what it read; the writer's update comes `race_gap_ms` after
    /// that read, so its delete lands before the slow reader's set.
    pub race: bool,
    pub slow_ms: f64,
    pub race_gap_ms: f64,
    pub race_fix: RaceFix,
    pub double_delete_ms: f64,
    pub stampede_fix: StampedeFix,
    pub refresh_ahead_ms: f64,
    /// Write-back: how long a dirty entry waits before it is written to the database.
    pub flush_ms: f64,
    pub nodes: usize,
    pub sharding: Sharding,
    pub seed: u64,
}

impl Default for CacheLabConfig {
    fn default() -> Self {
        CacheLabConfig {
            policy: Policy::Lru,
            capacity: 100,
            catalog: 10_000,
            workload: Workload::Zipf { alpha: 1.0 },
            ttl_s: None,
            ttl_mode: TtlMode::Write,
            rate: 1000.0,
            update_rate: 0.0,
            write_policy: WritePolicy::CacheAside,
            on_update: OnUpdate::Delete,
            db_ms: 5.0,
            race: false,
            slow_ms: 500.0,
            race_gap_ms: 100.0,
            race_fix: RaceFix::None,
            double_delete_ms: 1000.0,
            stampede_fix: StampedeFix::None,
            refresh_ahead_ms: 1000.0,
            flush_ms: 5000.0,
            nodes: 1,
            sharding: Sharding::Ring,
            seed: 42,
        }
    }
}

/// Bounds every setting keeps, so a scenario cannot make a replay run for minutes.
pub const MAX_CATALOG: usize = 100_000;
pub const MAX_CAPACITY: usize = 10_000;
pub const MAX_RATE: f64 = 20_000.0;
/// Concurrent database reads of one key that count as a stampede.
pub const STAMPEDE: u32 = 20;

impl CacheLabConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_CAPACITY).contains(&self.capacity) {
            return Err(format!(
                "capacity must be 1 to {MAX_CAPACITY} items per node (got {})",
                self.capacity
            ));
        }
        if !(1..=MAX_CATALOG).contains(&self.catalog) {
            return Err(format!(
                "the catalog must be 1 to {MAX_CATALOG} items (got {})",
                self.catalog
            ));
        }
        self.workload.validate()?;
        if let Some(t) = self.ttl_s {
            if !(t > 0.0 && t <= 86_400.0) {
                return Err(format!("the TTL must be above 0 and at most 86,400 s (got {t})"));
            }
        }
        if !(self.rate > 0.0 && self.rate <= MAX_RATE) {
            return Err(format!(
                "rate must be above 0 and at most 20,000 reads/s (got {})",
                self.rate
            ));
        }
        if !(0.0..=1000.0).contains(&self.update_rate) {
            return Err(format!(
                "update_rate must be 0 to 1,000 per second (got {})",
                self.update_rate
            ));
        }
        for (name, v) in [
            ("db_ms", self.db_ms),
            ("slow_ms", self.slow_ms),
            ("race_gap_ms", self.race_gap_ms),
            ("double_delete_ms", self.double_delete_ms),
            ("refresh_ahead_ms", self.refresh_ahead_ms),
            ("flush_ms", self.flush_ms),
        ] {
            if !(0.0..=600_000.0).contains(&v) {
                return Err(format!("{name} must be 0 to 600,000 ms (got {v})"));
            }
        }
        if !(1..=16).contains(&self.nodes) {
            return Err(format!("a cluster has 1 to 16 cache nodes (got {})", self.nodes));
        }
        Ok(())
    }

    fn ttl(&self) -> Option<(Micros, TtlMode)> {
        self.ttl_s.map(|t| (sim::ms_to_us(t * 1000.0), self.ttl_mode))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Event {
    Read,
    Update,
    /// A reader's database answer reaches the cache: `version` as the database had it when
    /// the read was made.
    Fill {
        item: u32,
        version: u64,
    },
    /// The writer's half of a staged race.
    Write {
        item: u32,
    },
    SecondDelete {
        item: u32,
    },
    Flush {
        item: u32,
        version: u64,
    },
}

/// Counts over a stretch of time (since the last action, or the whole run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    pub requests: u64,
    pub hits: u64,
    pub db_requests: u64,
    pub stale_reads: u64,
    pub evictions: u64,
    pub expirations: u64,
    pub refused_sets: u64,
    pub coalesced: u64,
    pub updates: u64,
    /// The most database reads of one key at once.
    pub stampede: u32,
}

impl Counts {
    pub fn hit_ratio(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.hits as f64 / self.requests as f64
        }
    }
}

/// A key with database reads in flight: how many, and how many started since it had none.
#[derive(Debug, Clone, Copy, Default)]
struct InFlight {
    now: u32,
    burst: u32,
}

/// One second of logical time: (second, hits, requests, database requests).
type Bucket = (u64, u64, u64, u64);

#[derive(Clone)]
pub struct CacheLab {
    pub config: CacheLabConfig,
    pub cluster: Cluster,
    reads: Requests,
    writes: Requests,
    rng: SimRng,
    queue: EventQueue<Event>,
    now: Micros,
    /// Per item: the newest version written (what a reader should see).
    truth: Vec<u64>,
    /// Per item: the version the database holds.
    db: Vec<u64>,
    /// Per item: the newest version a delete or write established (versioned sets refuse older).
    fence: Vec<u64>,
    /// Per item: the truth version whose stale read was last reported (one anomaly each).
    reported: Vec<u64>,
    inflight: HashMap<u32, InFlight>,
    /// Requests still to go before the window counts (after the cache was emptied).
    warm_left: u64,
    pub window: Counts,
    window_start: Micros,
    pub total: Counts,
    pub dirty_lost: u64,
    pub stampede_max: u32,
    recent: VecDeque<Bucket>,
    /// The theory's hit ratio for the current settings, when there is one.
    theory: Option<f64>,
    /// Evictions in the last 100 ms of logical time (when, node, item), for the view's flash.
    pub recent_evictions: VecDeque<(Micros, u16, u32)>,
    pub log: EventLog,
    pub anomalies: Anomalies,
}

fn us(ms: f64) -> Micros {
    sim::ms_to_us(ms)
}

impl CacheLab {
    pub fn new(config: CacheLabConfig) -> Result<CacheLab, String> {
        config.validate()?;
        let cluster = build_cluster(&config)?;
        let n = config.catalog;
        let mut lab = CacheLab {
            reads: Requests::new(&config.workload, n)?,
            writes: Requests::new(&config.workload, n)?,
            rng: sim::rng(config.seed),
            queue: EventQueue::new(),
            now: 0,
            truth: vec![1; n],
            db: vec![1; n],
            fence: vec![1; n],
            reported: vec![0; n],
            inflight: HashMap::new(),
            warm_left: 0,
            window: Counts::default(),
            window_start: 0,
            total: Counts::default(),
            dirty_lost: 0,
            stampede_max: 0,
            recent: VecDeque::new(),
            theory: None,
            recent_evictions: VecDeque::new(),
            log: EventLog::default(),
            anomalies: Anomalies::default(),
            cluster,
            config,
        };
        lab.warm_left = lab.warmup();
        lab.theory = lab.compute_theory();
        let gap = lab.gap(lab.config.rate);
        lab.queue.schedule(gap, Event::Read);
        if lab.config.update_rate > 0.0 {
            let gap = lab.gap(lab.config.update_rate);
            lab.queue.schedule(gap, Event::Update);
        }
        Ok(lab)
    }

    pub fn now(&self) -> Micros {
        self.now
    }

    /// Requests an empty cache takes to fill and settle before the window counts: five times
    /// the total capacity, at least 1,000.
    fn warmup(&self) -> u64 {
        (self.config.capacity * self.config.nodes * 5).max(1000) as u64
    }

    pub fn warming_up(&self) -> bool {
        self.warm_left > 0
    }

    fn gap(&mut self, rate: f64) -> Micros {
        (sim::exponential(&mut self.rng, 1e6 / rate).round() as Micros).max(1)
    }

    /// The closed form for the current settings: independent requests, no TTL and no updates,
    /// and the whole cluster's capacity as one cache (exact for one node; for several, hashing
    /// splits the catalog evenly, which Che's approximation treats the same to first order).
    fn compute_theory(&self) -> Option<f64> {
        if self.config.ttl_s.is_some() || self.config.update_rate > 0.0 {
            return None;
        }
        let live = (0..self.config.nodes).filter(|&i| self.cluster.alive(i)).count();
        let p = self.config.workload.probabilities(self.config.catalog)?;
        if live == 0 {
            // No cache node is up: every read goes to the database.
            return Some(0.0);
        }
        theory::policy_hit_ratio(self.config.policy, &p, self.config.capacity * live).map(sim::round6)
    }

    pub fn theory_hit_ratio(&self) -> Option<f64> {
        self.theory
    }

    /// Hit ratio over the last (up to) ten seconds of logical time.
    pub fn recent_hit_ratio(&self) -> f64 {
        let (h, r) = self.recent.iter().fold((0, 0), |(h, r), b| (h + b.1, r + b.2));
        if r == 0 {
            0.0
        } else {
            h as f64 / r as f64
        }
    }

    /// Database requests per second over the last (up to) ten seconds.
    pub fn recent_db_per_s(&self) -> f64 {
        let secs = self.recent.len().max(1) as f64;
        self.recent.iter().map(|b| b.3).sum::<u64>() as f64 / secs
    }

    fn bucket(&mut self, hit: bool, db: bool) {
        let sec = self.now / 1_000_000;
        if self.recent.back().is_none_or(|b| b.0 != sec) {
            self.recent.push_back((sec, 0, 0, 0));
            while self.recent.front().is_some_and(|b| b.0 + 10 <= sec) {
                self.recent.pop_front();
            }
        }
        if let Some(b) = self.recent.back_mut() {
            b.1 += u64::from(hit);
            b.2 += 1;
            b.3 += u64::from(db);
        }
    }

    fn count(&mut self, f: impl Fn(&mut Counts)) {
        f(&mut self.total);
        if self.warm_left == 0 {
            f(&mut self.window);
        }
    }

    pub fn advance(&mut self, ms: u64) {
        let until = self.now.saturating_add(ms.saturating_mul(sim::US_PER_MS));
        while let Some((at, ev)) = self.queue.pop_due(until) {
            self.now = at;
            match ev {
                Event::Read => {
                    let item = self.reads.next(&mut self.rng);
                    self.read(item);
                    let gap = self.gap(self.config.rate);
                    self.queue.schedule(at + gap, Event::Read);
                }
                Event::Update => {
                    let item = self.writes.next(&mut self.rng);
                    self.update(item);
                    let gap = self.gap(self.config.update_rate);
                    self.queue.schedule(at + gap, Event::Update);
                }
                Event::Fill { item, version } => self.fill(item, version),
                Event::Write { item } => self.write(item),
                Event::SecondDelete { item } => {
                    if let Some(o) = self.cluster.owner(item) {
                        self.cluster.nodes[usize::from(o)].remove(item);
                    }
                }
                Event::Flush { item, version } => self.flush(item, version),
            }
        }
        self.now = until;
        let cutoff = self.now.saturating_sub(100_000);
        while self.recent_evictions.front().is_some_and(|e| e.0 < cutoff) {
            self.recent_evictions.pop_front();
        }
    }

    fn put(&mut self, node: usize, item: u32, version: u64, dirty: bool) {
        if let Some(ev) = self.cluster.nodes[node].put(item, version, dirty, self.now) {
            self.count(|c| c.evictions += 1);
            if self.recent_evictions.len() >= 64 {
                self.recent_evictions.pop_front();
            }
            self.recent_evictions.push_back((self.now, node as u16, ev.item));
            if ev.dirty {
                // A write-back cache writes a dirty entry to the database when it evicts it.
                let i = ev.item as usize;
                self.db[i] = self.db[i].max(ev.version);
            }
        }
    }

    fn stale_check(&mut self, item: u32, version: u64, how: &str) {
        let i = item as usize;
        if version >= self.truth[i] {
            return;
        }
        self.count(|c| c.stale_reads += 1);
        if self.reported[i] != self.truth[i] {
            self.reported[i] = self.truth[i];
            let detail = format!("item {item} read v{version} {how} after v{} was written", self.truth[i]);
            self.anomalies.record(&mut self.log, self.now, "stale_read", detail);
        } else {
            self.anomalies.tally("stale_read");
        }
    }

    fn read(&mut self, item: u32) {
        self.warm_left = self.warm_left.saturating_sub(1);
        let Some(owner) = self.cluster.owner(item) else {
            // Every cache node is down: the database answers everything.
            self.count(|c| {
                c.requests += 1;
                c.db_requests += 1;
            });
            self.bucket(false, true);
            let v = self.db[item as usize];
            self.stale_check(item, v, "from the database");
            return;
        };
        let node = usize::from(owner);
        self.count(|c| c.requests += 1);
        match self.cluster.nodes[node].get(item, self.now) {
            Lookup::Hit(v) => {
                self.count(|c| c.hits += 1);
                self.stale_check(item, v, "from the cache");
                let refresh = self.config.stampede_fix == StampedeFix::EarlyRefresh
                    && !self.inflight.contains_key(&item)
                    && self.cluster.nodes[node]
                        .expires_at(item)
                        .is_some_and(|e| e <= self.now + us(self.config.refresh_ahead_ms));
                if refresh {
                    self.db_read(item, false);
                }
                self.bucket(true, refresh);
            }
            lookup @ (Lookup::Miss | Lookup::Expired) => {
                if lookup == Lookup::Expired {
                    self.count(|c| c.expirations += 1);
                }
                let waiting =
                    self.config.stampede_fix == StampedeFix::SingleFlight && self.inflight.contains_key(&item);
                if waiting {
                    self.count(|c| c.coalesced += 1);
                    self.bucket(false, false);
                } else {
                    self.db_read(item, true);
                    self.bucket(false, true);
                }
            }
        }
    }

    /// A database read whose answer is set into the cache when it arrives.
    fn db_read(&mut self, item: u32, answers_a_reader: bool) {
        self.count(|c| c.db_requests += 1);
        let version = self.db[item as usize];
        if answers_a_reader {
            self.stale_check(item, version, "from the database");
        }
        self.queue
            .schedule(self.now + us(self.config.db_ms).max(1), Event::Fill { item, version });
        let f = self.inflight.entry(item).or_default();
        f.now += 1;
        f.burst += 1;
    }

    fn fill(&mut self, item: u32, version: u64) {
        let i = item as usize;
        if let Some(f) = self.inflight.get_mut(&item) {
            f.now -= 1;
            if f.now == 0 {
                let burst = f.burst;
                self.inflight.remove(&item);
                self.stampede_max = self.stampede_max.max(burst);
                self.count(|c| c.stampede = c.stampede.max(burst));
                if burst >= STAMPEDE {
                    let detail = format!(
                        "{burst} requests queried the database for item {item} at once (its entry had expired or been deleted)"
                    );
                    self.anomalies.record(&mut self.log, self.now, "stampede", detail);
                }
            }
        }
        if self.config.race_fix == RaceFix::Versioned && version < self.fence[i] {
            self.count(|c| c.refused_sets += 1);
            if self.total.refused_sets <= 3 || self.total.refused_sets.is_power_of_two() {
                self.log.push(
                    self.now,
                    format!(
                        "versioned set refused: a late v{version} of item {item} (v{} is newer)",
                        self.fence[i]
                    ),
                    false,
                );
            }
            return;
        }
        let Some(owner) = self.cluster.owner(item) else {
            return;
        };
        let node = usize::from(owner);
        if let Some((cached, true)) = self.cluster.nodes[node].peek(item) {
            // Never overwrite a dirty write-back entry with the database's older copy.
            if cached >= version {
                return;
            }
        }
        self.put(node, item, version, false);
    }

    /// An update of an item: at once, or (race on) staged behind a slow reader.
    pub fn update(&mut self, item: u32) {
        if !self.config.race {
            self.write(item);
            return;
        }
        // The key has just expired: a reader misses it, reads the old value, and stalls.
        if let Some(o) = self.cluster.owner(item) {
            self.cluster.nodes[usize::from(o)].remove(item);
        }
        self.count(|c| {
            c.requests += 1;
            c.db_requests += 1;
        });
        let version = self.db[item as usize];
        self.queue
            .schedule(self.now + us(self.config.slow_ms).max(1), Event::Fill { item, version });
        let f = self.inflight.entry(item).or_default();
        f.now += 1;
        f.burst += 1;
        self.queue
            .schedule(self.now + us(self.config.race_gap_ms).max(1), Event::Write { item });
        if self.log.total() < 1000 || item == 0 {
            self.log.push(
                self.now,
                format!(
                    "item {item}: a slow reader misses, reads v{version} and stalls {} ms; the writer comes in {} ms",
                    self.config.slow_ms, self.config.race_gap_ms
                ),
                false,
            );
        }
    }

    /// The writer: the database (or the write-back cache) takes the new version, and the cache
    /// is told as the write policy says.
    fn write(&mut self, item: u32) {
        let i = item as usize;
        self.truth[i] += 1;
        let v = self.truth[i];
        if self.config.race && (self.log.total() < 1000 || item == 0) {
            self.log.push(
                self.now,
                format!(
                    "the writer updates item {item} to v{v} and acts on the cache ({})",
                    self.config.on_update.name()
                ),
                false,
            );
        }
        self.count(|c| c.updates += 1);
        let owner = self.cluster.owner(item).map(usize::from);
        match self.config.write_policy {
            WritePolicy::CacheAside | WritePolicy::ReadThrough => {
                self.db[i] = v;
                match self.config.on_update {
                    OnUpdate::Delete => {
                        if let Some(n) = owner {
                            self.cluster.nodes[n].remove(item);
                        }
                        self.fence[i] = v;
                        if self.config.race_fix == RaceFix::DoubleDelete {
                            self.queue.schedule(
                                self.now + us(self.config.double_delete_ms).max(1),
                                Event::SecondDelete { item },
                            );
                        }
                    }
                    OnUpdate::Update => {
                        if let Some(n) = owner {
                            self.put(n, item, v, false);
                        }
                        self.fence[i] = v;
                    }
                    OnUpdate::Ttl => {}
                }
            }
            WritePolicy::WriteThrough => {
                self.db[i] = v;
                if let Some(n) = owner {
                    self.put(n, item, v, false);
                }
                self.fence[i] = v;
            }
            WritePolicy::WriteBack => {
                match owner {
                    Some(n) => {
                        self.put(n, item, v, true);
                        self.queue.schedule(
                            self.now + us(self.config.flush_ms).max(1),
                            Event::Flush { item, version: v },
                        );
                    }
                    // No cache to write back to: the write goes to the database.
                    None => self.db[i] = v,
                }
                self.fence[i] = v;
            }
        }
    }

    fn flush(&mut self, item: u32, version: u64) {
        // Only a write some node still holds dirty reaches the database: one lost with its
        // node is gone.
        for n in 0..self.cluster.nodes.len() {
            if let Some((v, true)) = self.cluster.nodes[n].peek(item) {
                if v >= version {
                    let i = item as usize;
                    self.db[i] = self.db[i].max(v);
                    self.cluster.nodes[n].mark_clean(item);
                }
            }
        }
    }

    /// The newest version written of an item.
    pub fn newest_version(&self, item: u32) -> u64 {
        self.truth.get(item as usize).copied().unwrap_or(0)
    }

    /// Entries holding an older version than the newest written.
    pub fn stale_cached(&self) -> usize {
        self.cluster
            .nodes
            .iter()
            .map(|s| {
                s.entries()
                    .filter(|&(item, v, _)| v < self.truth[item as usize])
                    .count()
            })
            .sum()
    }

    /// Entries holding writes the database has not seen.
    pub fn dirty_cached(&self) -> usize {
        self.cluster
            .nodes
            .iter()
            .map(|s| s.slots().filter(|v| v.dirty).count())
            .sum()
    }

    /// Starts a new window of counts (after each action).
    pub fn new_window(&mut self) {
        self.window = Counts::default();
        self.window_start = self.now;
    }

    /// Empties every cache node for new settings, counting dirty entries lost.
    fn rebuild(&mut self) -> Result<(), String> {
        let lost = self.dirty_cached() as u64;
        self.dirty_lost += lost;
        self.cluster = build_cluster(&self.config)?;
        self.inflight.clear();
        self.queue.retain(|e| matches!(e, Event::Read | Event::Update));
        self.warm_left = self.warmup();
        self.theory = self.compute_theory();
        Ok(())
    }

    /// Applies one action; on error nothing changes.
    pub fn apply(&mut self, action: &str) -> Result<(), String> {
        let words: Vec<&str> = action.split_whitespace().collect();
        let mut next = self.config.clone();
        // Which settings empty the cache (new stores) and which only reshape the traffic.
        let mut rebuild = false;
        let mut new_workload = false;
        match words.as_slice() {
            ["policy", p] => {
                next.policy = Policy::parse(p)?;
                rebuild = true;
            }
            ["capacity", c] => {
                next.capacity = c.parse().map_err(|_| format!("capacity {c:?}: not a number of items"))?;
                rebuild = true;
            }
            ["ttl", "off"] => {
                next.ttl_s = None;
                rebuild = true;
            }
            ["ttl", s, mode] => {
                next.ttl_s = Some(s.parse().map_err(|_| format!("ttl {s:?}: not a number of seconds"))?);
                next.ttl_mode = TtlMode::parse(mode)?;
                rebuild = true;
            }
            ["zipf", a] => {
                let alpha: f64 = a.parse().map_err(|_| format!("zipf {a:?}: not a number"))?;
                next.workload = Workload::Zipf { alpha };
                new_workload = true;
            }
            ["workload", "scan"] => {
                next.workload = Workload::Scan;
                new_workload = true;
            }
            ["workload", "uniform"] => {
                next.workload = Workload::Uniform;
                new_workload = true;
            }
            ["workload", "hot-key", share] => {
                let share: f64 = share.parse().map_err(|_| format!("hot-key share {share:?}: not a number"))?;
                next.workload = Workload::HotKey { share };
                new_workload = true;
            }
            ["workload", "zipf", a] => {
                let alpha: f64 = a.parse().map_err(|_| format!("zipf {a:?}: not a number"))?;
                next.workload = Workload::Zipf { alpha };
                new_workload = true;
            }
            ["rate", r] => next.rate = r.parse().map_err(|_| format!("rate {r:?}: not a number"))?,
            ["update-rate", r] => next.update_rate = r.parse().map_err(|_| format!("update-rate {r:?}: not a number"))?,
            ["write-policy", w] => {
                next.write_policy = *WritePolicy::ALL
                    .iter()
                    .find(|p| p.name() == *w)
                    .ok_or_else(|| format!("unknown write policy {w:?}: use cache-aside, read-through, write-through or write-back"))?;
            }
            ["on-update", w] => {
                next.on_update = *OnUpdate::ALL
                    .iter()
                    .find(|p| p.name() == *w)
                    .ok_or_else(|| format!("unknown on-update {w:?}: use delete, update or ttl"))?;
            }
            ["race", v @ ("on" | "off")] => next.race = *v == "on",
            ["race-fix", f] => {
                next.race_fix = *RaceFix::ALL
                    .iter()
                    .find(|p| p.name() == *f)
                    .ok_or_else(|| format!("unknown race fix {f:?}: use none, versioned or double-delete"))?;
            }
            ["stampede-fix", f] => {
                next.stampede_fix = *StampedeFix::ALL
                    .iter()
                    .find(|p| p.name() == *f)
                    .ok_or_else(|| format!("unknown stampede fix {f:?}: use none, single-flight or early-refresh"))?;
            }
            ["sharding", s] => {
                next.sharding = Sharding::parse(s)?;
                rebuild = true;
            }
            ["update", item] => {
                let i: u32 = item.parse().map_err(|_| format!("update {item:?}: not an item number"))?;
                if i as usize >= self.config.catalog {
                    return Err(format!("no item {i}: the catalog is 0 to {}", self.config.catalog - 1));
                }
                if !self.config.race {
                    self.log.push(self.now, format!("item {i} updated to v{}", self.truth[i as usize] + 1), false);
                }
                self.update(i);
                return Ok(());
            }
            ["kill", name] => {
                let n = self.cluster.node_index(name)?;
                if !self.cluster.alive(n) {
                    return Err(format!("{name} is already down"));
                }
                let lost = self.cluster.nodes[n].entries().filter(|e| e.2).count() as u64;
                self.cluster.kill(n)?;
                self.dirty_lost += lost;
                self.theory = self.compute_theory();
                let moved = self.cluster.moved_fraction;
                self.log.push(
                    self.now,
                    format!(
                        "{name} dies: {:.0}% of keys now map to another node ({}){}",
                        moved * 100.0,
                        self.config.sharding.name(),
                        if lost > 0 {
                            format!("; {lost} dirty writes lost")
                        } else {
                            String::new()
                        }
                    ),
                    lost > 0,
                );
                if lost > 0 {
                    self.anomalies.tally("dirty_lost");
                }
                return Ok(());
            }
            ["revive", name] => {
                let n = self.cluster.node_index(name)?;
                self.cluster.revive(n)?;
                self.theory = self.compute_theory();
                self.log.push(
                    self.now,
                    format!(
                        "{name} back, empty: {:.0}% of keys move",
                        self.cluster.moved_fraction * 100.0
                    ),
                    false,
                );
                return Ok(());
            }
            _ => {
                return Err(format!(
                    "unknown action {action:?}: use policy P, capacity C, ttl off|S write|access, zipf A, workload scan|uniform|hot-key S|zipf A, rate R, update-rate R, write-policy W, on-update delete|update|ttl, race on|off, race-fix F, stampede-fix F, sharding modulo|ring, update ITEM, kill cN or revive cN"
                ))
            }
        }
        next.validate()?;
        if new_workload {
            self.reads = Requests::new(&next.workload, next.catalog)?;
            self.writes = Requests::new(&next.workload, next.catalog)?;
        }
        let update_started = self.config.update_rate == 0.0 && next.update_rate > 0.0;
        let update_stopped = next.update_rate == 0.0;
        self.config = next;
        if update_stopped {
            self.queue.retain(|e| *e != Event::Update);
        }
        if update_started {
            let gap = self.gap(self.config.update_rate);
            self.queue.schedule(self.now + gap, Event::Update);
        }
        if rebuild {
            self.rebuild()?;
            self.log
                .push(self.now, format!("{action}: the cache starts empty"), false);
        } else {
            if new_workload {
                self.warm_left = self.warmup();
            }
            self.theory = self.compute_theory();
            self.log.push(self.now, action.to_string(), false);
        }
        Ok(())
    }

    pub fn metrics(&self) -> serde_json::Value {
        let w = &self.window;
        let workload = match self.config.workload {
            Workload::Zipf { .. } => "zipf",
            Workload::Uniform => "uniform",
            Workload::Scan => "scan",
            Workload::HotKey { .. } => "hot-key",
        };
        let zipf = match self.config.workload {
            Workload::Zipf { alpha } => Some(alpha),
            _ => None,
        };
        let live = (0..self.config.nodes).filter(|&i| self.cluster.alive(i)).count();
        let mut settings = serde_json::json!({
            "time_s": sim::round6(self.now as f64 / 1e6),
            "window_s": sim::round6(self.now.saturating_sub(self.window_start) as f64 / 1e6),
            "policy": self.config.policy.name(),
            "capacity": self.config.capacity,
            "catalog": self.config.catalog,
            "workload": workload,
            "zipf": zipf,
            "ttl_mode": if self.config.ttl_s.is_some() { self.config.ttl_mode.name() } else { "off" },
            "ttl_s": self.config.ttl_s,
            "write_policy": self.config.write_policy.name(),
            "on_update": self.config.on_update.name(),
            "race": self.config.race,
            "race_fix": self.config.race_fix.name(),
            "stampede_fix": self.config.stampede_fix.name(),
            "sharding": self.config.sharding.name(),
            "nodes": self.config.nodes,
            "live_nodes": live,
            "warming_up": self.warming_up(),
        });
        let counts = serde_json::json!({
            "requests": w.requests,
            "hits": w.hits,
            "hit_ratio": sim::round6(w.hit_ratio()),
            "recent_hit_ratio": sim::round6(self.recent_hit_ratio()),
            "theory_hit_ratio": self.theory,
            "db_requests": w.db_requests,
            "db_per_s": sim::round6(self.recent_db_per_s()),
            "stale_reads": w.stale_reads,
            "evictions": w.evictions,
            "expirations": w.expirations,
            "refused_sets": w.refused_sets,
            "coalesced": w.coalesced,
            "updates": w.updates,
            "stale_cached": self.stale_cached(),
            "dirty_cached": self.dirty_cached(),
            "dirty_lost": self.dirty_lost,
            "stampede_max": self.stampede_max,
            "stampede": w.stampede,
            "moved_fraction": sim::round6(self.cluster.moved_fraction),
            "anomaly_count": self.anomalies.len(),
            "total_requests": self.total.requests,
            "total_hit_ratio": sim::round6(self.total.hit_ratio()),
            "total_db_requests": self.total.db_requests,
            "total_stale_reads": self.total.stale_reads,
        });
        if let (Some(a), serde_json::Value::Object(b)) = (settings.as_object_mut(), counts) {
            a.extend(b);
        }
        settings
    }
}

fn build_cluster(config: &CacheLabConfig) -> Result<Cluster, String> {
    let mut cluster = Cluster::new(
        config.sharding,
        config.nodes,
        config.capacity,
        config.policy,
        config.catalog,
        config.seed,
    )?;
    if config.ttl_s.is_some() {
        let ttl = config.ttl();
        cluster.nodes = (0..config.nodes)
            .map(|i| {
                Store::new(
                    config.policy,
                    config.capacity,
                    config.catalog,
                    ttl,
                    config.seed.wrapping_add(i as u64),
                )
            })
            .collect();
    }
    Ok(cluster)
}
