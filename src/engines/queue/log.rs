//! The log (Kafka style): one topic split into partitions, records appended with an offset and
//! kept until retention deletes them (reading removes nothing), and consumer groups whose
//! members share the partitions through Kafka's assignors. Each group keeps its own committed
//! offsets, so every group sees every record (a topic) while inside a group each record goes to
//! one member (a queue).
//!
//! Time runs in poll rounds of `POLL_MS`: each round the producer appends what its rate allows,
//! retention trims old records, every live member fetches up to its rate's share from its
//! partitions, and groups auto-commit on their interval. Rounds fall on fixed multiples of the
//! poll interval, so `tick(a)` then `tick(b)` is `tick(a + b)`.

use std::collections::{BTreeMap, VecDeque};

use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::kafka::{assign, partition_for_key, Assignor, Member};
use crate::engines::sim::{rng, us_to_ms, Anomalies, Anomaly, EventLog, LogEntry, Micros, SimRng};

pub const POLL_MS: u64 = 100;
/// Anomalies kept in full per kind; beyond this they are only counted.
const ANOMALY_DETAIL_LIMIT: usize = 50;
const MANY_KEYS: usize = 1000;

/// Which keys the producer puts on its records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Keys {
    /// No key: records go round the partitions in turn. Each still belongs to one of many
    /// users, so the order per user can be checked.
    None,
    /// Three hot keys carry 90% of the records; the rest spread over many keys.
    Hot,
    /// Many keys (user-1 … user-1000), evenly.
    Many,
    /// These keys, evenly.
    List(Vec<String>),
}

impl Keys {
    pub fn parse(text: &str) -> Result<Keys, String> {
        match text {
            "none" => Ok(Keys::None),
            "hot" => Ok(Keys::Hot),
            "many" => Ok(Keys::Many),
            list => {
                let keys: Vec<String> = list.split(',').map(|k| k.trim().to_string()).collect();
                if keys.iter().any(|k| k.is_empty()) || keys.len() > 10_000 {
                    return Err(format!(
                        "keys {list:?}: use none, hot, many or a list of 1 to 10000 keys like a,b,c"
                    ));
                }
                Ok(Keys::List(keys))
            }
        }
    }

    fn names(&self) -> Vec<String> {
        match self {
            Keys::List(keys) => keys.clone(),
            _ => (1..=MANY_KEYS).map(|i| format!("user-{i}")).collect(),
        }
    }
}

impl TryFrom<String> for Keys {
    type Error = String;
    fn try_from(s: String) -> Result<Keys, String> {
        Keys::parse(&s)
    }
}

impl From<Keys> for String {
    fn from(k: Keys) -> String {
        match k {
            Keys::None => "none".into(),
            Keys::Hot => "hot".into(),
            Keys::Many => "many".into(),
            Keys::List(keys) => keys.join(","),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    pub topic: String,
    pub partitions: u32,
    /// Members c1 … cC of group g1.
    pub consumers: usize,
    pub assignor: Assignor,
    pub keys: Keys,
    /// Records the producer appends per second.
    pub rate: f64,
    /// Records each consumer processes per second at most.
    pub consume_rate: f64,
    /// Records older than this are deleted whether read or not; 0 keeps them forever.
    pub retention_ms: u64,
    /// Groups commit their members' positions this often (Kafka's auto.commit.interval.ms
    /// defaults to 5 s); 0 commits only on `commit`.
    pub auto_commit_ms: u64,
    pub seed: u64,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            topic: "orders".into(),
            partitions: 3,
            consumers: 3,
            assignor: Assignor::Range,
            keys: Keys::Many,
            rate: 0.0,
            consume_rate: 10.0,
            retention_ms: 0,
            auto_commit_ms: 5000,
            seed: 42,
        }
    }
}

impl LogConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=1000).contains(&self.partitions) {
            return Err(format!("partitions: give 1 to 1000 (got {})", self.partitions));
        }
        if self.consumers > 100 {
            return Err(format!("consumers: give 0 to 100 (got {})", self.consumers));
        }
        if self.topic.is_empty() || self.topic.contains(char::is_whitespace) {
            return Err(format!("topic {:?}: a name without spaces", self.topic));
        }
        for (name, v) in [("rate", self.rate), ("consume rate", self.consume_rate)] {
            if !(v.is_finite() && (0.0..=100_000_000.0).contains(&v)) {
                return Err(format!("{name}: give 0 to 100000000 records per second (got {v})"));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
struct Record {
    key: u32,
    /// The record's number among its key's records, in production order.
    seq: u32,
    ts: Micros,
    /// Bit g set once group g has processed it.
    done: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Partition {
    records: VecDeque<Record>,
    /// Offset of the first record still kept (Kafka's log start offset).
    pub start: u64,
}

impl Partition {
    /// The offset the next record gets (Kafka's log end offset).
    pub fn end(&self) -> u64 {
        self.start + self.records.len() as u64
    }

    fn get(&mut self, offset: u64) -> Option<&mut Record> {
        let i = offset.checked_sub(self.start)?;
        self.records.get_mut(usize::try_from(i).ok()?)
    }
}

#[derive(Debug, Clone)]
pub struct GroupMember {
    pub id: String,
    pub slowness: f64,
    budget: f64,
    /// Where its next fetch starts among its partitions.
    next: usize,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub members: Vec<GroupMember>,
    /// Partition → index of the member that owns it.
    pub owner: Vec<Option<usize>>,
    pub committed: Vec<u64>,
    /// Next offset each partition's owner will read.
    pub position: Vec<u64>,
    max_seq: Vec<Option<u32>>,
    pub processed: u64,
    /// Records processed again (after a rebalance from uncommitted offsets, or a rewind).
    pub reprocessed: u64,
    pub ordering_violations: u64,
    violations_by_key: BTreeMap<u32, u64>,
    /// Records retention deleted before this group read them.
    pub lost: u64,
    pub rebalances: u64,
}

#[derive(Debug, Clone)]
pub struct Log {
    pub config: LogConfig,
    now: Micros,
    rng: SimRng,
    key_names: Vec<String>,
    /// Each key's partition, computed with Kafka's partitioner when the key is first used.
    key_partition: Vec<u32>,
    key_seq: Vec<u32>,
    pub partitions: Vec<Partition>,
    pub groups: Vec<Group>,
    /// Records produced so far by the rate (fractional remainder kept in `owed`).
    owed: f64,
    next_round_robin: u32,
    produced: u64,
    depth_history: VecDeque<(f64, u64)>,
    pub log: EventLog,
    pub anomalies: Anomalies,
    anomaly_counts: BTreeMap<&'static str, u64>,
}

/// One group as the metrics show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupView {
    pub name: String,
    /// Member → partitions (`topic-partition`), idle members with an empty list.
    pub assignment: BTreeMap<String, Vec<String>>,
    pub idle: Vec<String>,
    /// Per partition: log end offset minus the committed offset.
    pub lag: Vec<u64>,
    pub committed: Vec<u64>,
    pub position: Vec<u64>,
    pub processed: u64,
    pub reprocessed: u64,
    pub ordering_violations: u64,
    pub ordering_violations_by_key: BTreeMap<String, u64>,
    pub lost: u64,
    pub rebalances: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionView {
    pub partition: u32,
    pub start_offset: u64,
    pub end_offset: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogMetrics {
    pub model: &'static str,
    pub now_ms: f64,
    pub topic: String,
    pub assignor: &'static str,
    pub keys: String,
    pub produced: u64,
    pub partitions: Vec<PartitionView>,
    /// The first group's assignment, lag, violations (the group the CLI's consumers join).
    pub assignment: BTreeMap<String, Vec<String>>,
    pub lag: Vec<u64>,
    pub lag_total: u64,
    pub ordering_violations: u64,
    pub reprocessed: u64,
    pub lost: u64,
    pub groups: Vec<GroupView>,
    pub anomaly_counts: BTreeMap<&'static str, u64>,
    pub anomalies: Vec<Anomaly>,
}

impl Log {
    pub fn new(config: LogConfig) -> Result<Log, String> {
        config.validate()?;
        let key_names = config.keys.names();
        let n = config.partitions as usize;
        let mut log = Log {
            rng: rng(config.seed),
            now: 0,
            key_partition: Vec::new(),
            key_seq: vec![0; key_names.len()],
            key_names,
            partitions: vec![Partition::default(); n],
            groups: Vec::new(),
            owed: 0.0,
            next_round_robin: 0,
            produced: 0,
            depth_history: VecDeque::new(),
            log: EventLog::default(),
            anomalies: Anomalies::default(),
            anomaly_counts: BTreeMap::new(),
            config,
        };
        log.hash_keys();
        let members: Vec<String> = (1..=log.config.consumers).map(|i| format!("c{i}")).collect();
        log.add_group("g1", &members)?;
        Ok(log)
    }

    fn hash_keys(&mut self) {
        let p = self.config.partitions;
        self.key_partition = self
            .key_names
            .iter()
            .map(|k| partition_for_key(k.as_bytes(), p))
            .collect();
    }

    pub fn key_name(&self, key: u32) -> &str {
        &self.key_names[key as usize]
    }

    fn add_group(&mut self, name: &str, members: &[String]) -> Result<(), String> {
        if self.groups.len() >= 32 {
            return Err("at most 32 groups".into());
        }
        if self.groups.iter().any(|g| g.name == name) {
            return Err(format!("group {name} exists"));
        }
        let n = self.partitions.len();
        // A new group starts at the log start (auto.offset.reset=earliest), so it sees the
        // whole retained topic.
        let starts: Vec<u64> = self.partitions.iter().map(|p| p.start).collect();
        self.groups.push(Group {
            name: name.to_string(),
            members: members
                .iter()
                .map(|id| GroupMember {
                    id: id.clone(),
                    slowness: 1.0,
                    budget: 0.0,
                    next: 0,
                })
                .collect(),
            owner: vec![None; n],
            committed: starts.clone(),
            position: starts,
            max_seq: vec![None; self.key_names.len()],
            processed: 0,
            reprocessed: 0,
            ordering_violations: 0,
            violations_by_key: BTreeMap::new(),
            lost: 0,
            rebalances: 0,
        });
        let g = self.groups.len() - 1;
        self.rebalance(g);
        Ok(())
    }

    /// An eager rebalance: every member gives up its partitions, the assignor deals them again,
    /// and each new owner starts from the group's committed offset.
    fn rebalance(&mut self, g: usize) {
        let topic = self.config.topic.clone();
        let topics: BTreeMap<String, u32> = [(topic.clone(), self.config.partitions)].into();
        let group = &mut self.groups[g];
        let members: Vec<Member> = group
            .members
            .iter()
            .map(|m| Member {
                id: m.id.clone(),
                topics: vec![topic.clone()],
            })
            .collect();
        let assignment = assign(self.config.assignor, &topics, &members);
        group.owner.iter_mut().for_each(|o| *o = None);
        for (id, tps) in &assignment {
            let Some(idx) = group.members.iter().position(|m| &m.id == id) else {
                continue;
            };
            for tp in tps {
                group.owner[tp.partition as usize] = Some(idx);
            }
        }
        group.position.clone_from(&group.committed);
        group.rebalances += 1;
        let text = format!("{}: rebalanced over {} member(s)", group.name, group.members.len());
        self.log.push(self.now, text, false);
    }

    fn group(&self, name: &str) -> Result<usize, String> {
        self.groups.iter().position(|g| g.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.groups.iter().map(|g| g.name.as_str()).collect();
            format!("no group {name:?}: the groups are {}", names.join(", "))
        })
    }

    fn anomaly(&mut self, kind: &'static str, detail: impl FnOnce() -> String) {
        let n = self.anomaly_counts.entry(kind).or_insert(0);
        *n += 1;
        if *n as usize <= ANOMALY_DETAIL_LIMIT {
            self.anomalies.record(&mut self.log, self.now, kind, detail());
        }
    }

    fn pick_key(&mut self) -> u32 {
        let n = self.key_names.len() as u32;
        match self.config.keys {
            Keys::Hot if n > 3 && self.rng.random::<f64>() >= 0.9 => self.rng.random_range(3..n),
            Keys::Hot => self.rng.random_range(0..3.min(n)),
            _ => self.rng.random_range(0..n),
        }
    }

    /// Appends one record with `key` (its user, for the order check); `keyed` says whether
    /// the producer sends the key, which decides the partition.
    fn append(&mut self, key: u32, keyed: bool) {
        let p = if keyed {
            self.key_partition[key as usize]
        } else {
            // Keyless records go round the partitions, as the pre-2.4 default partitioner and
            // today's RoundRobinPartitioner do; the current default instead sticks to one
            // partition per batch (KIP-480), which spreads evenly too but in runs.
            let p = self.next_round_robin;
            self.next_round_robin = (p + 1) % self.config.partitions;
            p
        };
        let seq = self.key_seq[key as usize];
        self.key_seq[key as usize] = seq + 1;
        self.partitions[p as usize].records.push_back(Record {
            key,
            seq,
            ts: self.now,
            done: 0,
        });
        self.produced += 1;
    }

    fn produce(&mut self, n: u64) {
        let keyed = self.config.keys != Keys::None;
        for _ in 0..n {
            let key = self.pick_key();
            self.append(key, keyed);
        }
    }

    fn trim(&mut self) {
        if self.config.retention_ms == 0 {
            return;
        }
        let horizon = self.now.saturating_sub(self.config.retention_ms * 1000);
        for p in 0..self.partitions.len() {
            let part = &mut self.partitions[p];
            while part.records.front().is_some_and(|r| r.ts < horizon) {
                part.records.pop_front();
                part.start += 1;
            }
            let start = part.start;
            for g in 0..self.groups.len() {
                // A group behind the log start jumps to it (auto.offset.reset=earliest): what it
                // skipped was deleted unread.
                let group = &mut self.groups[g];
                let behind = start.saturating_sub(group.position[p]);
                if behind > 0 {
                    let from = group.position[p];
                    group.position[p] = start;
                    group.committed[p] = group.committed[p].max(start);
                    group.lost += behind;
                    let name = group.name.clone();
                    let topic = self.config.topic.clone();
                    self.anomaly("lost_message", || {
                        format!(
                            "retention deleted offsets {from}..{} of {topic}-{p} before {name} read them",
                            start - 1
                        )
                    });
                } else if group.committed[p] < start {
                    group.committed[p] = start;
                }
            }
        }
    }

    /// One member's fetch: up to its budget, from its partitions in turn.
    fn poll(&mut self, g: usize, m: usize) {
        let rate = self.config.consume_rate / self.groups[g].members[m].slowness;
        let member = &mut self.groups[g].members[m];
        member.budget += rate * POLL_MS as f64 / 1000.0;
        let mut budget = member.budget.floor() as u64;
        member.budget -= budget as f64;
        let mine: Vec<usize> = (0..self.partitions.len())
            .filter(|&p| self.groups[g].owner[p] == Some(m))
            .collect();
        if mine.is_empty() {
            self.groups[g].members[m].budget = 0.0;
            return;
        }
        let bit = 1u32 << g;
        let mut idle_rounds = 0;
        let mut turn = self.groups[g].members[m].next % mine.len();
        // Take up to a fair share from each partition per pass, so one busy partition cannot
        // starve the others.
        while budget > 0 && idle_rounds < mine.len() {
            let p = mine[turn];
            turn = (turn + 1) % mine.len();
            let share = budget.div_ceil(mine.len() as u64).max(1);
            let mut took = 0;
            while took < share && self.groups[g].position[p] < self.partitions[p].end() {
                let offset = self.groups[g].position[p];
                let Some(rec) = self.partitions[p].get(offset) else {
                    break;
                };
                let first = rec.done & bit == 0;
                rec.done |= bit;
                let (key, seq) = (rec.key, rec.seq);
                self.process(g, p, offset, key, seq, first);
                self.groups[g].position[p] = offset + 1;
                took += 1;
            }
            budget -= took;
            idle_rounds = if took == 0 { idle_rounds + 1 } else { 0 };
        }
        self.groups[g].members[m].next = turn;
        if budget > 0 {
            // Nothing left to read: an idle consumer does not bank capacity for later.
            self.groups[g].members[m].budget = 0.0;
        }
    }

    fn process(&mut self, g: usize, p: usize, offset: u64, key: u32, seq: u32, first: bool) {
        let group = &mut self.groups[g];
        group.processed += 1;
        if !first {
            group.reprocessed += 1;
            return;
        }
        let last = &mut group.max_seq[key as usize];
        match *last {
            Some(newest) if seq < newest => {
                group.ordering_violations += 1;
                *group.violations_by_key.entry(key).or_insert(0) += 1;
                let name = group.name.clone();
                let member = group.owner[p].map(|m| group.members[m].id.clone()).unwrap_or_default();
                let key_name = self.key_names[key as usize].clone();
                let topic = self.config.topic.clone();
                self.anomaly("out_of_order", || {
                    format!("{name}/{member} processed {key_name} #{seq} ({topic}-{p}@{offset}) after #{newest}")
                });
            }
            _ => *last = Some(seq),
        }
    }

    fn commit(&mut self, g: usize) {
        let group = &mut self.groups[g];
        group.committed.clone_from(&group.position);
    }

    /// One poll round at time `at`.
    fn round(&mut self, at: Micros) {
        self.now = at;
        if self.config.rate > 0.0 {
            self.owed += self.config.rate * POLL_MS as f64 / 1000.0;
            let n = self.owed.floor();
            self.owed -= n;
            self.produce(n as u64);
        }
        self.trim();
        for g in 0..self.groups.len() {
            for m in 0..self.groups[g].members.len() {
                self.poll(g, m);
            }
            let every = self.config.auto_commit_ms * 1000;
            if every > 0 && at.is_multiple_of(every) {
                self.commit(g);
            }
        }
    }

    pub fn tick(&mut self, ms: u64) {
        let until = self.now + ms * 1000;
        let step = POLL_MS * 1000;
        let mut next = (self.now / step + 1) * step;
        while next <= until {
            self.round(next);
            next += step;
        }
        self.now = until;
        self.sample_depth();
    }

    fn sample_depth(&mut self) {
        if self.depth_history.len() == 600 {
            self.depth_history.pop_front();
        }
        let lag = self.lag_total(0);
        self.depth_history.push_back((us_to_ms(self.now), lag));
    }

    pub fn now_ms(&self) -> u64 {
        self.now / 1000
    }

    fn lag_total(&self, g: usize) -> u64 {
        self.groups.get(g).map_or(0, |group| {
            self.partitions
                .iter()
                .zip(&group.committed)
                .map(|(p, c)| p.end().saturating_sub(*c))
                .sum()
        })
    }

    pub fn apply(&mut self, action: &LogAction) -> Result<(), String> {
        match action {
            LogAction::Produce(n, key) => {
                if *n == 0 || *n > 10_000_000 {
                    return Err("produce: give 1 to 10000000 records".into());
                }
                match key {
                    None => self.produce(*n),
                    Some(k) => {
                        let idx = match self.key_names.iter().position(|x| x == k) {
                            Some(i) => i,
                            None => {
                                self.key_names.push(k.clone());
                                self.key_seq.push(0);
                                self.key_partition
                                    .push(partition_for_key(k.as_bytes(), self.config.partitions));
                                for g in &mut self.groups {
                                    g.max_seq.push(None);
                                }
                                self.key_names.len() - 1
                            }
                        };
                        for _ in 0..*n {
                            self.append(idx as u32, true);
                        }
                    }
                }
            }
            LogAction::Join(id, group) => {
                let g = self.group(group)?;
                if self.groups[g].members.iter().any(|m| &m.id == id) {
                    return Err(format!("{id} is already in {group}"));
                }
                if self.groups[g].members.len() >= 100 {
                    return Err("at most 100 members in a group".into());
                }
                self.groups[g].members.push(GroupMember {
                    id: id.clone(),
                    slowness: 1.0,
                    budget: 0.0,
                    next: 0,
                });
                self.log.push(self.now, format!("{id} joined {group}"), false);
                // A graceful join: the others commit before giving their partitions up.
                self.commit(g);
                self.rebalance(g);
            }
            LogAction::Leave(id, group, graceful) => {
                let g = self.group(group)?;
                let Some(m) = self.groups[g].members.iter().position(|x| &x.id == id) else {
                    return Err(format!("no member {id:?} in {group}"));
                };
                if *graceful {
                    self.commit(g);
                }
                self.groups[g].members.remove(m);
                let how = if *graceful {
                    "left"
                } else {
                    "crashed (uncommitted work will be read again)"
                };
                self.log.push(self.now, format!("{id} {how}"), false);
                self.rebalance(g);
            }
            LogAction::Commit(group) => {
                let g = self.group(group)?;
                self.commit(g);
            }
            LogAction::Rewind(group, to) => {
                let g = self.group(group)?;
                for p in 0..self.partitions.len() {
                    let part = &self.partitions[p];
                    let offset = match to {
                        None => part.start,
                        Some(o) => (*o).clamp(part.start, part.end()),
                    };
                    self.groups[g].position[p] = offset;
                    self.groups[g].committed[p] = offset;
                }
                self.log.push(self.now, format!("{group} rewound its offsets"), false);
            }
            LogAction::Slow(id, group, factor) => {
                let g = self.group(group)?;
                if !(factor.is_finite() && (0.01..=100.0).contains(factor)) {
                    return Err(format!("slow {id} {factor}: give a factor from 0.01 to 100"));
                }
                let Some(m) = self.groups[g].members.iter_mut().find(|x| &x.id == id) else {
                    return Err(format!("no member {id:?} in {group}"));
                };
                m.slowness = *factor;
            }
            LogAction::Group(name, n) => {
                if *n > 100 {
                    return Err("a group holds at most 100 members".into());
                }
                let members: Vec<String> = (1..=*n).map(|i| format!("c{i}")).collect();
                self.add_group(name, &members)?;
            }
            LogAction::Keys(keys) => {
                if let Keys::List(_) = keys {
                    return Err("keys: in a running lab switch between none, hot and many".into());
                }
                if matches!(self.config.keys, Keys::List(_)) {
                    return Err("keys: this run produces a fixed list of keys".into());
                }
                self.config.keys = keys.clone();
            }
            LogAction::Rate(r) => {
                if !(r.is_finite() && (0.0..=100_000_000.0).contains(r)) {
                    return Err(format!("rate: give 0 to 100000000 records per second (got {r})"));
                }
                self.config.rate = *r;
            }
        }
        self.sample_depth();
        Ok(())
    }

    /// Records kept in partition `p`: (offset, key name, per-key number), oldest first.
    pub fn records(&self, p: usize) -> impl Iterator<Item = (u64, &str, u32)> + '_ {
        let part = &self.partitions[p];
        part.records
            .iter()
            .enumerate()
            .map(move |(i, r)| (part.start + i as u64, self.key_names[r.key as usize].as_str(), r.seq))
    }

    /// Total lag of the first group after each tick or action: (time ms, lag).
    pub fn depth_history(&self) -> impl Iterator<Item = &(f64, u64)> {
        self.depth_history.iter()
    }

    pub fn last_events(&self, n: usize) -> impl Iterator<Item = &LogEntry> {
        let skip = self.log.entries().len().saturating_sub(n);
        self.log.entries().skip(skip)
    }

    fn group_view(&self, g: &Group) -> GroupView {
        let topic = &self.config.topic;
        let mut assignment: BTreeMap<String, Vec<String>> =
            g.members.iter().map(|m| (m.id.clone(), Vec::new())).collect();
        for (p, owner) in g.owner.iter().enumerate() {
            if let Some(m) = owner {
                if let Some(list) = assignment.get_mut(&g.members[*m].id) {
                    list.push(format!("{topic}-{p}"));
                }
            }
        }
        let idle = assignment
            .iter()
            .filter(|(_, v)| v.is_empty())
            .map(|(k, _)| k.clone())
            .collect();
        GroupView {
            name: g.name.clone(),
            assignment,
            idle,
            lag: self
                .partitions
                .iter()
                .zip(&g.committed)
                .map(|(p, c)| p.end().saturating_sub(*c))
                .collect(),
            committed: g.committed.clone(),
            position: g.position.clone(),
            processed: g.processed,
            reprocessed: g.reprocessed,
            ordering_violations: g.ordering_violations,
            ordering_violations_by_key: g
                .violations_by_key
                .iter()
                .map(|(k, n)| (self.key_names[*k as usize].clone(), *n))
                .collect(),
            lost: g.lost,
            rebalances: g.rebalances,
        }
    }

    pub fn metrics(&self) -> LogMetrics {
        let groups: Vec<GroupView> = self.groups.iter().map(|g| self.group_view(g)).collect();
        let first = groups.first();
        LogMetrics {
            model: "log",
            now_ms: us_to_ms(self.now),
            topic: self.config.topic.clone(),
            assignor: self.config.assignor.name(),
            keys: String::from(self.config.keys.clone()),
            produced: self.produced,
            partitions: self
                .partitions
                .iter()
                .enumerate()
                .map(|(i, p)| PartitionView {
                    partition: i as u32,
                    start_offset: p.start,
                    end_offset: p.end(),
                })
                .collect(),
            assignment: first.map(|g| g.assignment.clone()).unwrap_or_default(),
            lag: first.map(|g| g.lag.clone()).unwrap_or_default(),
            lag_total: self.lag_total(0),
            ordering_violations: first.map_or(0, |g| g.ordering_violations),
            reprocessed: first.map_or(0, |g| g.reprocessed),
            lost: first.map_or(0, |g| g.lost),
            groups,
            anomaly_counts: self.anomaly_counts.clone(),
            anomalies: self.anomalies.list().cloned().collect(),
        }
    }
}

/// Something the learner does to the log.
#[derive(Debug, Clone, PartialEq)]
pub enum LogAction {
    /// N records with the configured keys, or all with one key.
    Produce(u64, Option<String>),
    /// A member joins a group (rebalance).
    Join(String, String),
    /// A member leaves (committing first) or crashes (without committing).
    Leave(String, String, bool),
    Commit(String),
    /// Every partition of the group back to an offset (None: the log start), committed.
    Rewind(String, Option<u64>),
    Slow(String, String, f64),
    /// A new group of N members subscribing to the topic.
    Group(String, usize),
    Keys(Keys),
    Rate(f64),
}

impl LogAction {
    /// Group names default to g1: `join c4`, `join c1 g2`.
    pub fn parse(text: &str) -> Result<LogAction, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let group = |i: usize| words.get(i).unwrap_or(&"g1").to_string();
        let count = |w: &str| {
            w.parse::<u64>()
                .map_err(|_| format!("{text:?}: {w:?} is not a whole number"))
        };
        let action = match words.as_slice() {
            ["produce", n] => LogAction::Produce(count(n)?, None),
            ["produce", n, "key", k] => LogAction::Produce(count(n)?, Some(k.to_string())),
            ["join", c] | ["join", c, _] => LogAction::Join(c.to_string(), group(2)),
            ["leave", c] | ["leave", c, _] => LogAction::Leave(c.to_string(), group(2), true),
            ["crash", c] | ["crash", c, _] => LogAction::Leave(c.to_string(), group(2), false),
            ["commit"] | ["commit", _] => LogAction::Commit(group(1)),
            ["rewind"] => LogAction::Rewind("g1".into(), None),
            ["rewind", g_or_to] | ["rewind", _, g_or_to] => {
                let (g, to) = if words.len() == 3 { (words[1], *g_or_to) } else { ("g1", *g_or_to) };
                let to = match to {
                    "earliest" => None,
                    n => Some(count(n)?),
                };
                LogAction::Rewind(g.to_string(), to)
            }
            ["slow", c, f] | ["slow", c, _, f] => {
                let g = if words.len() == 4 { words[2] } else { "g1" };
                let f = f.parse().map_err(|_| format!("{text:?}: the factor is a number"))?;
                LogAction::Slow(c.to_string(), g.to_string(), f)
            }
            ["group", name, n] => LogAction::Group(name.to_string(), count(n)? as usize),
            ["keys", k] => LogAction::Keys(Keys::parse(k)?),
            ["rate", r] => LogAction::Rate(r.parse().map_err(|_| format!("{text:?}: the rate is a number"))?),
            _ => {
                return Err(format!(
                    "unknown action {text:?}: use produce N [key K], join C [G], leave C [G], crash C [G], commit [G], rewind [G] earliest|OFFSET, slow C [G] FACTOR, group NAME N, keys none|hot|many, rate R, tick MS"
                ))
            }
        };
        Ok(action)
    }
}
