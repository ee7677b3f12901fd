//! Two masters replicating to each other with a delay: concurrent updates of one row resolved by
//! last-write-wins on each node's own clock, and auto-increment ids with and without offsets.
//!
//! Each write carries the writer's clock reading (true time plus that node's skew). Every node,
//! for its own writes and for replicated ones alike, keeps the version with the greater
//! (stamp, node) pair, as an LWW register does (Cassandra resolves cells this way): the copies
//! always converge, and the price is that a write can be discarded after its client was told
//! "saved". Which discards are losses is decided by causality, not by stamps: each write records
//! how many writes of each master its node had seen (a vector clock), so replacing a write its
//! successor had seen is an ordinary update, and anything else is a lost update.

pub mod lab;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::engines::sim::{ms_to_us, us_to_ms, Anomalies, EventLog, EventQueue, Micros};

pub const NODES: [&str; 2] = ["a", "b"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MultiMasterConfig {
    /// One-way replication delay between the masters.
    pub delay_ms: f64,
    /// How far master a's clock is ahead of true time (negative: behind).
    pub skew_a_ms: f64,
    pub skew_b_ms: f64,
    /// MySQL's auto_increment_increment = 2 with offsets 1 and 2 (odd and even ids).
    pub offsets: bool,
}

impl Default for MultiMasterConfig {
    fn default() -> Self {
        MultiMasterConfig {
            delay_ms: 100.0,
            skew_a_ms: 0.0,
            skew_b_ms: 0.0,
            offsets: false,
        }
    }
}

/// Delays and skews are bounded so stamps stay far inside i64 microseconds.
const MAX_MS: f64 = 3_600_000.0;

impl MultiMasterConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=MAX_MS).contains(&self.delay_ms) {
            return Err(format!(
                "delay_ms must be between 0 and {MAX_MS} (got {})",
                self.delay_ms
            ));
        }
        for (name, s) in [("skew_a_ms", self.skew_a_ms), ("skew_b_ms", self.skew_b_ms)] {
            if !(-MAX_MS..=MAX_MS).contains(&s) {
                return Err(format!("{name} must be between -{MAX_MS} and {MAX_MS} (got {s})"));
            }
        }
        Ok(())
    }
}

/// One client write as it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub node: usize,
    /// Its place among its master's writes, from 1.
    pub seq: usize,
    /// True (simulated) time it was made.
    pub at: Micros,
    /// The writer's clock reading, in microseconds (may be negative with a slow clock).
    pub stamp: i64,
    pub row: String,
    pub value: String,
    /// Writes of each master its node had applied when it was made, itself included.
    seen: [usize; 2],
    /// Discarded by last-write-wins although no write that saw it replaced it.
    pub lost: bool,
}

impl Write {
    /// Whether `self` happened before `later` (the node of `later` had applied `self`).
    fn before(&self, later: &Write) -> bool {
        later.seen[self.node] >= self.seq
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Change {
    Update(usize),
    Insert(u64),
}

#[derive(Debug, Clone, PartialEq)]
struct Delivery {
    to: usize,
    change: Change,
}

#[derive(Clone)]
pub struct MultiMaster {
    config: MultiMasterConfig,
    now: Micros,
    queue: EventQueue<Delivery>,
    /// Changes held while the link is cut, in order, for each receiving node.
    held: [Vec<Change>; 2],
    partitioned: bool,
    writes: Vec<Write>,
    /// Per node: row → the write whose value it holds.
    rows: [BTreeMap<String, usize>; 2],
    /// Per node: auto-increment ids present → which master inserted it.
    ids: [BTreeMap<u64, usize>; 2],
    /// Per node: writes of each master applied there.
    seen: [[usize; 2]; 2],
    skew_ms: [f64; 2],
    delay_ms: f64,
    offsets: bool,
    conflict_pairs: BTreeSet<(usize, usize)>,
    older_wins: u64,
    inserts: u64,
    /// Ids both masters handed out.
    collided: BTreeSet<u64>,
    log: EventLog,
    anomalies: Anomalies,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Write { node: usize, row: String, value: String },
    Insert(usize),
    Skew(usize, f64),
    Delay(f64),
    Offsets(bool),
    Partition,
    Heal,
}

fn node_index(name: &str) -> Result<usize, String> {
    NODES
        .iter()
        .position(|n| *n == name)
        .ok_or_else(|| format!("unknown master {name:?} (the masters are a and b)"))
}

fn number(text: &str, what: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("{what} must be a number of milliseconds (got {text:?})"))
}

impl Action {
    pub fn parse(text: &str) -> Result<Action, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            ["write", node, assignment] => {
                let (row, value) = assignment
                    .split_once('=')
                    .filter(|(r, v)| !r.is_empty() && !v.is_empty())
                    .ok_or_else(|| format!("write wants ROW=VALUE, e.g. write a age=25 (got {assignment:?})"))?;
                Ok(Action::Write {
                    node: node_index(node)?,
                    row: row.to_string(),
                    value: value.to_string(),
                })
            }
            ["insert", node] => Ok(Action::Insert(node_index(node)?)),
            ["skew", node, ms] => Ok(Action::Skew(node_index(node)?, number(ms, "skew")?)),
            ["delay", ms] => Ok(Action::Delay(number(ms, "delay")?)),
            ["offsets", "on"] => Ok(Action::Offsets(true)),
            ["offsets", "off"] => Ok(Action::Offsets(false)),
            ["partition"] => Ok(Action::Partition),
            ["heal"] => Ok(Action::Heal),
            _ => Err(format!(
                "unknown action {text:?}: write a|b ROW=VALUE, insert a|b, skew a|b MS, delay MS, \
                 offsets on|off, partition, heal"
            )),
        }
    }
}

/// The next auto-increment id after the largest present: MySQL takes the smallest value of the
/// series offset + k × increment above it.
fn next_id(ids: &BTreeMap<u64, usize>, node: usize, offsets: bool) -> u64 {
    let max = ids.keys().next_back().copied().unwrap_or(0);
    if !offsets {
        return max + 1;
    }
    let offset = node as u64 + 1;
    let mut id = max + 1;
    while id % 2 != offset % 2 {
        id += 1;
    }
    id
}

impl MultiMaster {
    pub fn new(config: MultiMasterConfig) -> Result<MultiMaster, String> {
        config.validate()?;
        Ok(MultiMaster {
            now: 0,
            queue: EventQueue::new(),
            held: [Vec::new(), Vec::new()],
            partitioned: false,
            writes: Vec::new(),
            rows: [BTreeMap::new(), BTreeMap::new()],
            ids: [BTreeMap::new(), BTreeMap::new()],
            seen: [[0; 2]; 2],
            skew_ms: [config.skew_a_ms, config.skew_b_ms],
            delay_ms: config.delay_ms,
            offsets: config.offsets,
            conflict_pairs: BTreeSet::new(),
            older_wins: 0,
            inserts: 0,
            collided: BTreeSet::new(),
            log: EventLog::default(),
            anomalies: Anomalies::default(),
            config,
        })
    }

    pub fn apply_text(&mut self, text: &str) -> Result<(), String> {
        self.apply(&Action::parse(text)?)
    }

    pub fn apply(&mut self, action: &Action) -> Result<(), String> {
        match action {
            Action::Write { node, row, value } => self.write(*node, row, value)?,
            Action::Insert(node) => self.insert(*node)?,
            Action::Skew(node, ms) => {
                if !(-MAX_MS..=MAX_MS).contains(ms) {
                    return Err(format!("skew must be between -{MAX_MS} and {MAX_MS} ms (got {ms})"));
                }
                self.skew_ms[*node] = *ms;
                self.log
                    .push(self.now, format!("{}'s {}", NODES[*node], clock_text(*ms)), false);
            }
            Action::Delay(ms) => {
                if !(0.0..=MAX_MS).contains(ms) {
                    return Err(format!("delay must be between 0 and {MAX_MS} ms (got {ms})"));
                }
                self.delay_ms = *ms;
                self.log
                    .push(self.now, format!("replication delay {ms} ms each way"), false);
            }
            Action::Offsets(on) => {
                self.offsets = *on;
                let text = if *on {
                    "auto_increment_increment = 2: a takes odd ids, b even ones"
                } else {
                    "auto_increment_increment = 1 on both: ids from the same sequence"
                };
                self.log.push(self.now, text, false);
            }
            Action::Partition => {
                if self.partitioned {
                    return Err("the masters are already cut off from each other".into());
                }
                self.partitioned = true;
                // What is on the wire now is held and sent again on heal, in order.
                let mut cut: Vec<(Micros, Delivery)> = Vec::new();
                while let Some(next) = self.queue.pop_due(Micros::MAX) {
                    cut.push(next);
                }
                for (_, d) in cut {
                    self.held[d.to].push(d.change);
                }
                self.log.push(
                    self.now,
                    "link cut: both masters keep taking writes, replication waits",
                    false,
                );
            }
            Action::Heal => {
                if !self.partitioned {
                    return Err("the masters are not cut off".into());
                }
                self.partitioned = false;
                let at = self.now + ms_to_us(self.delay_ms);
                for to in 0..2 {
                    for change in std::mem::take(&mut self.held[to]) {
                        self.queue.schedule(at, Delivery { to, change });
                    }
                }
                self.log.push(self.now, "link healed: held changes replicate", false);
            }
        }
        Ok(())
    }

    fn stamp(&self, node: usize) -> i64 {
        self.now as i64 + (self.skew_ms[node] * 1000.0).round() as i64
    }

    fn send(&mut self, from: usize, change: Change) {
        let to = 1 - from;
        if self.partitioned {
            self.held[to].push(change);
        } else {
            self.queue
                .schedule(self.now + ms_to_us(self.delay_ms), Delivery { to, change });
        }
    }

    fn write(&mut self, node: usize, row: &str, value: &str) -> Result<(), String> {
        if row.len() > 64 || value.len() > 64 {
            return Err("a row name or value is at most 64 characters".into());
        }
        self.seen[node][node] += 1;
        let id = self.writes.len();
        self.writes.push(Write {
            node,
            seq: self.seen[node][node],
            at: self.now,
            stamp: self.stamp(node),
            row: row.to_string(),
            value: value.to_string(),
            seen: self.seen[node],
            lost: false,
        });
        self.log.push(
            self.now,
            format!(
                "{} wrote {row}={value}, stamped {}",
                NODES[node],
                stamp_text(self.writes[id].stamp)
            ),
            false,
        );
        self.land(node, id);
        self.send(node, Change::Update(id));
        Ok(())
    }

    fn insert(&mut self, node: usize) -> Result<(), String> {
        if self.ids[node].len() >= 10_000 {
            return Err("at most 10,000 inserted rows".into());
        }
        let id = next_id(&self.ids[node], node, self.offsets);
        self.ids[node].insert(id, node);
        self.inserts += 1;
        self.log
            .push(self.now, format!("{} inserted id {id}", NODES[node]), false);
        self.send(node, Change::Insert(id));
        Ok(())
    }

    /// Last-write-wins at `node` for write `id`: keep the greater (stamp, node).
    fn land(&mut self, node: usize, id: usize) {
        let row = self.writes[id].row.clone();
        let Some(&held) = self.rows[node].get(&row) else {
            self.rows[node].insert(row, id);
            return;
        };
        let (new, old) = (&self.writes[id], &self.writes[held]);
        if !new.before(old) && !old.before(new) {
            let pair = (held.min(id), held.max(id));
            self.conflict_pairs.insert(pair);
        }
        // The sequence number orders two writes of one master at the same clock reading.
        let new_wins = (new.stamp, new.node, new.seq) > (old.stamp, old.node, old.seq);
        let (winner, loser) = if new_wins { (id, held) } else { (held, id) };
        if new_wins {
            self.rows[node].insert(row, id);
        }
        let (w, l) = (&self.writes[winner], &self.writes[loser]);
        if l.before(w) || l.lost {
            return;
        }
        let older = w.at < l.at;
        let detail = format!(
            "{} kept {}={} from {} (stamped {}, made at {}) over {}={} from {} (stamped {}, made at {})",
            NODES[node],
            w.row,
            w.value,
            NODES[w.node],
            stamp_text(w.stamp),
            time_text(w.at),
            l.row,
            l.value,
            NODES[l.node],
            stamp_text(l.stamp),
            time_text(l.at),
        );
        self.writes[loser].lost = true;
        if older {
            self.older_wins += 1;
            self.anomalies
                .record(&mut self.log, self.now, "older_write_won", detail);
        } else {
            self.anomalies.record(&mut self.log, self.now, "lost_update", detail);
        }
    }

    fn deliver(&mut self, d: Delivery) {
        match d.change {
            Change::Update(id) => {
                let from = self.writes[id].node;
                self.seen[d.to][from] = self.seen[d.to][from].max(self.writes[id].seq);
                self.land(d.to, id);
                let w = &self.writes[id];
                let kept = self.rows[d.to].get(&w.row) == Some(&id);
                let text = format!(
                    "{} received {}={} from {}: {}",
                    NODES[d.to],
                    w.row,
                    w.value,
                    NODES[from],
                    if kept {
                        "applied"
                    } else {
                        "discarded, its stamp is older"
                    }
                );
                self.log.push(self.now, text, false);
            }
            // A master never reuses an id it holds, so an id already present came from the
            // other side's own sequence: both handed it out.
            Change::Insert(id) => match self.ids[d.to].get(&id) {
                Some(_) => {
                    if !self.collided.insert(id) {
                        return;
                    }
                    let detail = format!(
                        "a and b both inserted id {id}; on {} the replicated insert fails with a \
                         duplicate key (MySQL stops replication with error 1062)",
                        NODES[d.to]
                    );
                    self.anomalies.record(&mut self.log, self.now, "id_collision", detail);
                }
                _ => {
                    self.ids[d.to].insert(id, 1 - d.to);
                }
            },
        }
    }

    pub fn tick(&mut self, ms: u64) {
        let until = self.now + ms.saturating_mul(crate::engines::sim::US_PER_MS);
        while let Some((at, d)) = self.queue.pop_due(until) {
            self.now = at;
            self.deliver(d);
        }
        self.now = until;
    }

    pub fn now_ms(&self) -> f64 {
        us_to_ms(self.now)
    }

    pub fn config(&self) -> &MultiMasterConfig {
        &self.config
    }

    pub fn skew_ms(&self, node: usize) -> f64 {
        self.skew_ms[node]
    }

    pub fn delay_ms(&self) -> f64 {
        self.delay_ms
    }

    pub fn offsets(&self) -> bool {
        self.offsets
    }

    pub fn partitioned(&self) -> bool {
        self.partitioned
    }

    pub fn writes(&self) -> &[Write] {
        &self.writes
    }

    /// Rows at a node with the write holding each.
    pub fn rows(&self, node: usize) -> impl Iterator<Item = (&str, &Write)> {
        self.rows[node].iter().map(|(r, &w)| (r.as_str(), &self.writes[w]))
    }

    pub fn ids(&self, node: usize) -> impl Iterator<Item = u64> + '_ {
        self.ids[node].keys().copied()
    }

    /// Changes on the wire to `to`: how far along the delay each is (0 just sent, 1 arriving).
    pub fn in_flight_to(&self, to: usize) -> Vec<f64> {
        let span = ms_to_us(self.delay_ms).max(1) as f64;
        self.queue
            .iter()
            .filter(|(_, d)| d.to == to)
            .map(|(at, _)| (1.0 - (at.saturating_sub(self.now)) as f64 / span).clamp(0.0, 1.0))
            .collect()
    }

    pub fn event_log(&self) -> &EventLog {
        &self.log
    }

    pub fn anomalies(&self) -> &Anomalies {
        &self.anomalies
    }

    pub fn lost_updates(&self) -> usize {
        self.writes.iter().filter(|w| w.lost).count()
    }

    /// Rows whose value differs between the masters (or that one of them lacks).
    pub fn rows_differ(&self) -> usize {
        let all: BTreeSet<&String> = self.rows[0].keys().chain(self.rows[1].keys()).collect();
        all.into_iter()
            .filter(|r| {
                let value = |n: usize| self.rows[n].get(*r).map(|&w| &self.writes[w].value);
                value(0) != value(1)
            })
            .count()
    }

    fn in_flight(&self) -> usize {
        self.queue.len() + self.held[0].len() + self.held[1].len()
    }

    pub fn metrics_json(&self) -> serde_json::Value {
        let values = |n: usize| -> serde_json::Map<String, serde_json::Value> {
            self.rows(n)
                .map(|(r, w)| (r.to_string(), w.value.clone().into()))
                .collect()
        };
        serde_json::json!({
            "time_ms": crate::engines::sim::round6(self.now_ms()),
            "delay_ms": self.delay_ms,
            "skew_a_ms": self.skew_ms[0],
            "skew_b_ms": self.skew_ms[1],
            "offsets": self.offsets,
            "partitioned": self.partitioned,
            "writes": self.writes.len(),
            "conflicts": self.conflict_pairs.len(),
            "lost_updates": self.lost_updates(),
            "older_wins": self.older_wins,
            "inserts": self.inserts,
            "id_collisions": self.collided.len(),
            "in_flight": self.in_flight(),
            "rows_differ": self.rows_differ(),
            "converged": self.in_flight() == 0 && self.rows_differ() == 0,
            "values_a": values(0),
            "values_b": values(1),
            "anomaly_count": self.anomalies.len(),
            "anomalies": self.anomalies.list().cloned().collect::<Vec<_>>(),
        })
    }
}

/// A clock's offset from true time in words: `clock 300 ms slow`.
pub fn clock_text(skew_ms: f64) -> String {
    if skew_ms < 0.0 {
        format!("clock {} ms slow", -skew_ms)
    } else if skew_ms > 0.0 {
        format!("clock {skew_ms} ms fast")
    } else {
        "clock on time".to_string()
    }
}

/// A clock reading in seconds, e.g. `-0.200 s`.
pub fn stamp_text(stamp: i64) -> String {
    format!("{:.3} s", stamp as f64 / 1e6)
}

fn time_text(at: Micros) -> String {
    format!("{:.3} s", at as f64 / 1e6)
}

#[cfg(test)]
mod tests;
