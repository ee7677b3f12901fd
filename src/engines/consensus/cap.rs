//! CAP under a partition: the same replicated key-value store run as CP (every read and write
//! needs a majority of replicas, so the minority side refuses) or AP (any replica answers and
//! takes writes; at heal the sides are reconciled by last-write-wins, losing updates, or by
//! keeping the conflicting versions as siblings for the application to merge).
//!
//! Replication inside a connected group is immediate, so staleness here comes only from the
//! partition (replication lag is the replication lab's subject). With no partition both designs
//! answer every request with the latest write: a partition is what forces the choice (Gilbert
//! and Lynch, "Brewer's conjecture…", 2002). "CA" fits only a single node, which no partition can
//! split.

use std::collections::{BTreeMap, BTreeSet};

use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::network::{NetAction, Network, NetworkView};
use super::{node_index, node_name};
use crate::engines::sim::{
    self, exponential, round6, us_to_ms, Anomalies, Anomaly, EventLog, EventQueue, Micros, SimRng,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Cp,
    Ap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Reconcile {
    #[default]
    Lww,
    Siblings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CapConfig {
    /// Replicas n1..nN, 1 to 9; each holds every key.
    pub nodes: usize,
    pub mode: Mode,
    pub reconcile: Reconcile,
    pub seed: u64,
    /// Client requests per second arriving at each running node (0: only the learner's).
    pub rate: f64,
    /// Keys the clients use (k1..kK).
    pub keys: usize,
    /// Share of requests that are writes.
    pub write_share: f64,
}

impl Default for CapConfig {
    fn default() -> Self {
        CapConfig {
            nodes: 5,
            mode: Mode::Cp,
            reconcile: Reconcile::Lww,
            seed: 42,
            rate: 5.0,
            keys: 3,
            write_share: 0.5,
        }
    }
}

impl CapConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=9).contains(&self.nodes) {
            return Err(format!("{} nodes: a cluster has 1 to 9 nodes", self.nodes));
        }
        if !(0.0..=1000.0).contains(&self.rate) {
            return Err(format!(
                "rate {}: give 0 to 1000 requests per second per node",
                self.rate
            ));
        }
        if !(1..=100).contains(&self.keys) {
            return Err(format!("{} keys: give 1 to 100", self.keys));
        }
        if !(0.0..=1.0).contains(&self.write_share) {
            return Err(format!("write share {}: give 0 to 1", self.write_share));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Version {
    /// When the write was accepted (ties cannot happen: one write per instant per engine).
    pub at: Micros,
    /// The write's number, which is also its value.
    pub id: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SideStats {
    pub nodes: Vec<String>,
    pub requests: u64,
    pub answered: u64,
    /// Share of requests answered (1 when there were none).
    pub availability: f64,
    pub stale_reads: u64,
    pub writes: u64,
    /// Writes to a key that another side also wrote during the partition.
    pub conflicting_writes: u64,
    #[serde(skip)]
    written: BTreeMap<String, u64>,
}

#[derive(Debug, Clone)]
enum Ev {
    Request(usize),
}

#[derive(Clone)]
pub struct Cap {
    config: CapConfig,
    now: Micros,
    queue: EventQueue<Ev>,
    rng: SimRng,
    pub net: Network,
    /// Each replica's current versions of each key (more than one: siblings).
    replicas: Vec<BTreeMap<String, Vec<Version>>>,
    /// The latest acknowledged write of each key: what a linearizable read must return.
    latest: BTreeMap<String, Version>,
    next_id: u64,
    /// Versions some later write overwrote: ancestors, not rivals, when sides are merged.
    superseded: BTreeSet<u64>,
    requests: u64,
    answered: u64,
    stale_reads: u64,
    lost_updates: u64,
    /// Per side of the current (or last) partition.
    sides: Vec<SideStats>,
    last_read: Option<String>,
    pub log: EventLog,
    pub anomalies: Anomalies,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplicaView {
    pub name: String,
    pub crashed: bool,
    /// key → the value numbers it holds (two or more: siblings).
    pub values: BTreeMap<String, Vec<u64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapMetrics {
    pub time_ms: f64,
    pub mode: Mode,
    pub reconcile: Reconcile,
    pub partitioned: bool,
    pub requests: u64,
    pub answered: u64,
    pub availability: f64,
    pub stale_reads: u64,
    pub conflicting_writes: u64,
    /// Acknowledged updates discarded by last-write-wins at heal.
    pub lost_updates: u64,
    /// Keys whose replicas hold more than one version.
    pub siblings: u64,
    /// The current or last partition, per side.
    pub sides: Vec<SideStats>,
    pub replicas: Vec<ReplicaView>,
    pub network: NetworkView,
    pub last_read: Option<String>,
    pub anomalies: Vec<Anomaly>,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        1.0
    } else {
        round6(a as f64 / b as f64)
    }
}

impl Cap {
    pub fn new(config: CapConfig) -> Result<Cap, String> {
        config.validate()?;
        let n = config.nodes;
        let mut cap = Cap {
            rng: sim::rng(config.seed),
            now: 0,
            queue: EventQueue::new(),
            net: Network::new(n, 0.0, 0.0),
            replicas: vec![BTreeMap::new(); n],
            latest: BTreeMap::new(),
            next_id: 1,
            superseded: BTreeSet::new(),
            requests: 0,
            answered: 0,
            stale_reads: 0,
            lost_updates: 0,
            sides: Vec::new(),
            last_read: None,
            log: EventLog::default(),
            anomalies: Anomalies::default(),
            config,
        };
        for i in 0..n {
            cap.schedule_request(i);
        }
        Ok(cap)
    }

    pub fn config(&self) -> &CapConfig {
        &self.config
    }

    pub fn now_ms(&self) -> f64 {
        us_to_ms(self.now)
    }

    fn schedule_request(&mut self, i: usize) {
        if self.config.rate > 0.0 {
            let gap = exponential(&mut self.rng, 1e6 / self.config.rate).max(1.0) as Micros;
            self.queue.schedule(self.now + gap, Ev::Request(i));
        }
    }

    /// Actions: the network's (partition, cut, heal, crash, restart), `write K=V @N`,
    /// `read K @N`, `mode cp|ap`, `reconcile lww|siblings`.
    pub fn apply(&mut self, text: &str) -> Result<(), String> {
        let n = self.config.nodes;
        let text = text.trim();
        if let Some(a) = NetAction::parse(text, n)? {
            self.network(a);
            return Ok(());
        }
        let (verb, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let rest = rest.trim();
        let at = |rest: &str| -> Result<(String, usize), String> {
            let (what, node) = rest
                .rsplit_once('@')
                .ok_or_else(|| format!("{verb} {rest:?}: name the node, e.g. {verb} k1 @n1"))?;
            Ok((what.trim().to_string(), node_index(node, n)?))
        };
        match verb {
            "write" => {
                let (kv, node) = at(rest)?;
                let key = kv.split_once('=').map_or(kv.as_str(), |(k, _)| k).trim().to_string();
                if key.is_empty() {
                    return Err("write: give a key, e.g. write k1=5 @n1".into());
                }
                self.request(node, &key, true);
            }
            "read" => {
                let (key, node) = at(rest)?;
                if key.is_empty() {
                    return Err("read: give a key, e.g. read k1 @n1".into());
                }
                self.request(node, &key, false);
            }
            "mode" => {
                self.config.mode = match rest {
                    "cp" => Mode::Cp,
                    "ap" => Mode::Ap,
                    _ => return Err(format!("mode {rest:?}: write mode cp or mode ap")),
                }
            }
            "reconcile" => {
                self.config.reconcile = match rest {
                    "lww" => Reconcile::Lww,
                    "siblings" => Reconcile::Siblings,
                    _ => return Err(format!("reconcile {rest:?}: write reconcile lww or reconcile siblings")),
                }
            }
            _ => {
                return Err(format!(
                    "unknown action {text:?}: use partition A,B|C, heal, crash N, restart N, write K=V @N, read K @N, mode cp|ap or reconcile lww|siblings"
                ))
            }
        }
        Ok(())
    }

    fn network(&mut self, a: NetAction) {
        let was = self.net.partitioned();
        self.net.apply(&a);
        match a {
            NetAction::Heal => {
                self.log.push(self.now, "the network heals", false);
                self.reconcile_all();
            }
            NetAction::Restart(i) => {
                let group = self.net.reachable(i);
                self.merge(&group);
            }
            _ => {}
        }
        if self.net.partitioned() && !was {
            let v = self.net.view();
            self.sides = v
                .sides
                .iter()
                .map(|s| SideStats {
                    nodes: s.clone(),
                    ..SideStats::default()
                })
                .collect();
            if self.sides.is_empty() {
                // One-way cuts only: count everything on one side.
                self.sides.push(SideStats {
                    nodes: (0..self.config.nodes).map(node_name).collect(),
                    ..SideStats::default()
                });
            }
        }
    }

    /// Brings every running replica to the merged state of the whole cluster.
    fn reconcile_all(&mut self) {
        let alive: Vec<usize> = (0..self.config.nodes).filter(|&i| !self.net.crashed(i)).collect();
        self.merge(&alive);
    }

    /// Anti-entropy among `group`: the heads of every key, reconciled by the configured rule.
    fn merge(&mut self, group: &[usize]) {
        let keys: BTreeSet<String> = group.iter().flat_map(|&i| self.replicas[i].keys().cloned()).collect();
        for key in keys {
            let mut heads: Vec<Version> = group
                .iter()
                .flat_map(|&i| self.replicas[i].get(&key).cloned().unwrap_or_default())
                .collect();
            heads.sort_unstable();
            heads.dedup();
            // A version a later write overwrote is history, not a rival: drop it quietly.
            // (A group cut off from the newer writes keeps its newest version.)
            let newest = heads.last().copied();
            heads.retain(|v| !self.superseded.contains(&v.id));
            if heads.is_empty() {
                heads.extend(newest);
            }
            let kept = if heads.len() > 1 && self.config.reconcile == Reconcile::Lww {
                let winner = *heads.last().unwrap_or(&heads[0]);
                let lost = heads.len() as u64 - 1;
                self.lost_updates += lost;
                let detail = format!(
                    "last-write-wins kept write #{} of {key} and discarded {lost} acknowledged update{}",
                    winner.id,
                    if lost == 1 { "" } else { "s" }
                );
                self.anomalies.record(&mut self.log, self.now, "lost_update", detail);
                vec![winner]
            } else {
                heads
            };
            for &i in group {
                self.replicas[i].insert(key.clone(), kept.clone());
            }
        }
    }

    fn side_index(&self, i: usize) -> Option<usize> {
        if !self.net.partitioned() {
            return None;
        }
        let name = node_name(i);
        self.sides.iter().position(|s| s.nodes.contains(&name))
    }

    fn request(&mut self, i: usize, key: &str, write: bool) {
        self.requests += 1;
        let side = self.side_index(i);
        if let Some(s) = side {
            self.sides[s].requests += 1;
        }
        if self.net.crashed(i) {
            return;
        }
        let reach = self.net.reachable(i);
        let quorum = self.config.nodes / 2 + 1;
        if self.config.mode == Mode::Cp && reach.len() < quorum {
            self.log.push(
                self.now,
                format!(
                    "{} refuses: it reaches {} of {} replicas, a majority is {quorum}",
                    node_name(i),
                    reach.len(),
                    self.config.nodes
                ),
                false,
            );
            return;
        }
        self.answered += 1;
        if let Some(s) = side {
            self.sides[s].answered += 1;
        }
        if write {
            let v = Version {
                at: self.now,
                id: self.next_id,
            };
            self.next_id += 1;
            for &r in &reach {
                if let Some(old) = self.replicas[r].insert(key.to_string(), vec![v]) {
                    self.superseded.extend(old.iter().map(|o| o.id));
                }
            }
            self.latest.insert(key.to_string(), v);
            if let Some(s) = side {
                self.sides[s].writes += 1;
                *self.sides[s].written.entry(key.to_string()).or_default() += 1;
            }
        } else {
            // CP reads the newest version among a majority; AP answers from the local replica.
            let got: Vec<Version> = match self.config.mode {
                Mode::Cp => reach
                    .iter()
                    .flat_map(|&r| self.replicas[r].get(key).cloned().unwrap_or_default())
                    .max()
                    .into_iter()
                    .collect(),
                Mode::Ap => self.replicas[i].get(key).cloned().unwrap_or_default(),
            };
            let latest = self.latest.get(key).copied();
            let stale = latest.is_some_and(|l| !got.contains(&l));
            let values: Vec<String> = got.iter().map(|v| v.id.to_string()).collect();
            self.last_read = Some(format!("{key} @{}: {}", node_name(i), values.join(" | ")));
            if stale {
                self.stale_reads += 1;
                if let Some(s) = side {
                    self.sides[s].stale_reads += 1;
                }
                let detail = format!(
                    "{} returned {key} = {} but write #{} was acknowledged at {:.0} ms",
                    node_name(i),
                    if values.is_empty() {
                        "nothing".to_string()
                    } else {
                        values.join(" | ")
                    },
                    latest.map_or(0, |l| l.id),
                    latest.map_or(0.0, |l| us_to_ms(l.at))
                );
                self.anomalies.record(&mut self.log, self.now, "stale_read", detail);
            }
        }
    }

    pub fn tick(&mut self, ms: u64) {
        let until = self.now + ms * 1000;
        while let Some((at, Ev::Request(i))) = self.queue.pop_due(until) {
            self.now = at;
            let key = format!("k{}", self.rng.random_range(1..=self.config.keys));
            let write = self.rng.random::<f64>() < self.config.write_share;
            if !self.net.crashed(i) {
                self.request(i, &key, write);
            }
            self.schedule_request(i);
        }
        self.now = until;
    }

    pub fn metrics(&self) -> CapMetrics {
        let mut sides = self.sides.clone();
        for s in 0..sides.len() {
            let conflicting = sides[s]
                .written
                .iter()
                .filter(|(k, _)| (0..sides.len()).any(|o| o != s && sides[o].written.contains_key(*k)))
                .map(|(_, c)| c)
                .sum();
            sides[s].conflicting_writes = conflicting;
            sides[s].availability = ratio(sides[s].answered, sides[s].requests);
        }
        CapMetrics {
            time_ms: self.now_ms(),
            mode: self.config.mode,
            reconcile: self.config.reconcile,
            partitioned: self.net.partitioned(),
            requests: self.requests,
            answered: self.answered,
            availability: ratio(self.answered, self.requests),
            stale_reads: self.stale_reads,
            conflicting_writes: sides.iter().map(|s| s.conflicting_writes).sum(),
            lost_updates: self.lost_updates,
            siblings: {
                let keys: BTreeSet<&String> = self
                    .replicas
                    .iter()
                    .flat_map(|r| r.iter().filter(|(_, v)| v.len() > 1).map(|(k, _)| k))
                    .collect();
                keys.len() as u64
            },
            sides,
            replicas: self
                .replicas
                .iter()
                .enumerate()
                .map(|(i, r)| ReplicaView {
                    name: node_name(i),
                    crashed: self.net.crashed(i),
                    values: r
                        .iter()
                        .map(|(k, v)| (k.clone(), v.iter().map(|x| x.id).collect()))
                        .collect(),
                })
                .collect(),
            network: self.net.view(),
            last_read: self.last_read.clone(),
            anomalies: self.anomalies.list().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_node_is_both_consistent_and_available() {
        let mut c = Cap::new(CapConfig {
            nodes: 1,
            ..CapConfig::default()
        })
        .unwrap();
        c.tick(5000);
        let m = c.metrics();
        assert!(m.requests > 0);
        assert_eq!((m.availability, m.stale_reads), (1.0, 0));
        assert!(c.apply("partition n1|n2").is_err());
    }

    #[test]
    fn siblings_keep_both_sides_writes() {
        let mut c = Cap::new(CapConfig {
            mode: Mode::Ap,
            reconcile: Reconcile::Siblings,
            rate: 0.0,
            ..CapConfig::default()
        })
        .unwrap();
        for a in [
            "partition n1,n2|n3,n4,n5",
            "write x=1 @n1",
            "write x=2 @n3",
            "read x @n1",
            "heal",
            "read x @n4",
        ] {
            c.apply(a).unwrap();
        }
        let m = c.metrics();
        assert_eq!(m.siblings, 1);
        assert_eq!(m.lost_updates, 0);
        assert_eq!(m.replicas[3].values["x"], vec![1, 2]);
        assert_eq!(m.stale_reads, 1, "n1 read its own side's write while n3's was newer");
        assert_eq!(m.sides[0].conflicting_writes + m.sides[1].conflicting_writes, 2);
    }

    #[test]
    fn bad_actions_say_what_is_valid() {
        let mut c = Cap::new(CapConfig::default()).unwrap();
        assert!(c.apply("mode ca").unwrap_err().contains("mode cp or mode ap"));
        assert!(c.apply("read k1").unwrap_err().contains("@n1"));
        assert!(c.apply("write k1=2 @n8").unwrap_err().contains("n1 to n5"));
    }
}
