//! The consensus lab's engines as labs: ids, the metrics lesson goals may test, and how text
//! actions reach each engine. Four labs, one per part: `quorum` (the PBS staleness experiment),
//! `election` (Raft), `lock` (leases and fencing) and `cap` (CP vs AP), each with its screen in
//! `tui/labs/consensus/`.

use super::cap::{Cap, CapConfig};
use super::lock::{LockConfig, LockLab};
use super::quorum::{QuorumConfig, QuorumLab};
use super::raft::{Raft, RaftConfig};
use super::voter::{Voter, VoterConfig};
use crate::engines::lab::{from_scenario, parse_scenario, Engine, Lab, LabInfo, Session};

impl Engine for LockLab {
    type Config = LockConfig;
    const TIMED: bool = true;

    fn build(config: &LockConfig) -> Result<LockLab, String> {
        LockLab::new(config.clone())
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        self.apply(action)
    }

    fn tick(&mut self, ms: u64) {
        LockLab::tick(self, ms);
    }

    fn now_ms(&self) -> u64 {
        self.now_ms() as u64
    }

    fn metrics_json(&self) -> serde_json::Value {
        let m = self.metrics();
        let mut v = serde_json::to_value(&m).unwrap_or_default();
        v["holder_token"] = m.holder.as_ref().map_or(0, |h| h.token).into();
        v["tokens_issued"] = m.tokens.len().into();
        v["anomaly_count"] = m.anomalies.len().into();
        v
    }

    fn checkpoint(&self) -> Option<Self> {
        Some(self.clone())
    }

    fn series(&self) -> Vec<(&'static str, f64)> {
        let m = self.metrics();
        vec![
            ("believers", m.believers as f64),
            ("highest_token_seen", m.highest_token_seen as f64),
        ]
    }
}

fn build_lock(config: Option<&str>) -> Result<Box<dyn Lab>, String> {
    match config {
        None => Ok(Box::new(Session::<LockLab>::new("lock", LockConfig::default())?)),
        Some(text) => from_scenario::<LockLab>("lock", text),
    }
}

pub const LOCK: LabInfo = LabInfo {
    id: "lock",
    title: "Locks, leases and fencing tokens",
    summary: "A client pauses longer than its lease; a second client takes the lock; does storage let the stale write through?",
    metrics: &[
        ("lease_ms", "lease length in ms"),
        ("pause_ms", "the first client's pause in ms"),
        ("fencing", "whether storage checks tokens"),
        ("holder_token", "the token of the lease the lock service holds now (0 when free)"),
        ("tokens_issued", "how many tokens the lock service has issued"),
        ("believers", "clients that believe they hold the lock right now"),
        ("highest_token_seen", "the highest token storage has seen on a write"),
        ("writes_accepted", "writes storage accepted"),
        ("writes_rejected", "writes storage refused"),
        ("stale_writes_accepted", "writes with an outdated token that storage let through"),
        ("stale_writes_rejected", "writes with an outdated token that storage refused"),
        ("corrupted", "a stale write overwrote newer data"),
        ("anomaly_count", "broken guarantees recorded"),
    ],
    build: build_lock,
    check_scenario: |text| parse_scenario::<LockConfig>(text)?.validate(),
    ui: &crate::tui::labs::consensus::lock::LockUi,
};

impl Engine for Raft {
    type Config = RaftConfig;
    const TIMED: bool = true;

    // Heartbeats go from every node to every other at the heartbeat interval at most.
    fn event_rate(c: &RaftConfig, _actions: &[String]) -> f64 {
        let n = c.nodes as f64;
        n * n * 1000.0 / c.heartbeat_ms.max(1) as f64 + 1_000.0
    }

    fn build(config: &RaftConfig) -> Result<Raft, String> {
        Raft::new(config.clone())
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        Raft::apply_text(self, action)
    }

    fn tick(&mut self, ms: u64) {
        Raft::tick(self, ms);
    }

    fn now_ms(&self) -> u64 {
        Raft::now_ms(self) as u64
    }

    fn metrics_json(&self) -> serde_json::Value {
        let m = self.metrics();
        let mut v = serde_json::to_value(&m).unwrap_or_default();
        v["leader_count"] = m.leaders.len().into();
        // Which side of a cut each leader is on: a side holding a majority of all nodes can
        // elect and commit; a leader on any other side only believes it leads.
        let n = self.n();
        let on_majority_side = |name: &str| {
            super::node_index(name, n).is_ok_and(|i| {
                let side = self.net.side_of(i);
                (0..n).filter(|&j| self.net.side_of(j) == side).count() > n / 2
            })
        };
        let majority_side = m.leaders.iter().filter(|l| on_majority_side(&l.node)).count();
        v["majority_side_leaders"] = majority_side.into();
        v["minority_side_leaders"] = (m.leaders.len() - majority_side).into();
        v["partitioned"] = m.network.partitioned.into();
        v["crashed_count"] = m.network.crashed.len().into();
        v["anomaly_count"] = m.anomalies.len().into();
        v
    }

    fn checkpoint(&self) -> Option<Self> {
        Some(self.clone())
    }

    fn series(&self) -> Vec<(&'static str, f64)> {
        let m = self.metrics();
        vec![
            ("term", m.term as f64),
            ("leaders", m.leaders.len() as f64),
            ("committed", m.committed as f64),
        ]
    }
}

fn build_election(config: Option<&str>) -> Result<Box<dyn Lab>, String> {
    match config {
        None => Ok(Box::new(Session::<Raft>::new("election", RaftConfig::default())?)),
        Some(text) => from_scenario::<Raft>("election", text),
    }
}

pub const ELECTION: LabInfo = LabInfo {
    id: "election",
    title: "Leader election and split brain",
    summary: "Raft-style terms, votes and a replicated log; cut the network and see which side keeps a leader",
    metrics: &[
        ("time_ms", "logical time in ms"),
        ("majority", "whether leaders and commits need a majority"),
        ("term", "the highest term any node has reached"),
        ("leader_count", "running nodes that believe they lead"),
        (
            "majority_side_leaders",
            "nodes that believe they lead on a side of the cut holding a majority of all nodes",
        ),
        (
            "minority_side_leaders",
            "nodes that believe they lead on a side of the cut holding no majority",
        ),
        ("elections", "times a node became leader"),
        ("candidacies", "elections started"),
        ("committed", "client writes acknowledged as committed"),
        (
            "uncommitted",
            "most entries a running node holds without seeing them committed",
        ),
        (
            "split_brain",
            "two nodes that believed they led both acknowledged writes at the same time",
        ),
        ("conflicting_writes", "writes acknowledged during split brain"),
        ("lost_writes", "acknowledged writes later dropped"),
        ("rejected_writes", "writes refused by a follower or a crashed node"),
        ("dropped_entries", "log entries overwritten by a newer leader's log"),
        ("partitioned", "whether the network is split"),
        ("crashed_count", "nodes down"),
        ("anomaly_count", "broken guarantees recorded"),
    ],
    build: build_election,
    check_scenario: |text| parse_scenario::<RaftConfig>(text)?.validate(),
    ui: &crate::tui::labs::consensus::election::ElectionUi,
};

impl Engine for Cap {
    type Config = CapConfig;
    const TIMED: bool = true;

    // Each request may fan out to every replica and back.
    fn event_rate(c: &CapConfig, _actions: &[String]) -> f64 {
        let n = c.nodes as f64;
        2.0 * c.rate * n * n + 1_000.0
    }

    fn build(config: &CapConfig) -> Result<Cap, String> {
        Cap::new(config.clone())
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        self.apply(action)
    }

    fn tick(&mut self, ms: u64) {
        Cap::tick(self, ms);
    }

    fn now_ms(&self) -> u64 {
        Cap::now_ms(self) as u64
    }

    fn metrics_json(&self) -> serde_json::Value {
        let m = self.metrics();
        let mut v = serde_json::to_value(&m).unwrap_or_default();
        // The worst side's availability: what a CP minority loses.
        v["min_side_availability"] = m.sides.iter().map(|s| s.availability).fold(1.0, f64::min).into();
        v["anomaly_count"] = m.anomalies.len().into();
        v
    }

    fn checkpoint(&self) -> Option<Self> {
        Some(self.clone())
    }

    fn series(&self) -> Vec<(&'static str, f64)> {
        let m = self.metrics();
        vec![("availability", m.availability), ("stale_reads", m.stale_reads as f64)]
    }
}

fn build_cap(config: Option<&str>) -> Result<Box<dyn Lab>, String> {
    match config {
        None => Ok(Box::new(Session::<Cap>::new("cap", CapConfig::default())?)),
        Some(text) => from_scenario::<Cap>("cap", text),
    }
}

pub const CAP: LabInfo = LabInfo {
    id: "cap",
    title: "CAP under a partition",
    summary: "Run the same store as CP or AP, cut the network, and count refusals, stale reads and conflicts per side",
    metrics: &[
        ("time_ms", "logical time in ms"),
        ("mode", "cp or ap"),
        ("reconcile", "lww or siblings"),
        ("partitioned", "whether the network is split"),
        ("requests", "client requests so far"),
        ("availability", "share of requests answered"),
        (
            "min_side_availability",
            "the lowest availability of any side of the partition",
        ),
        ("stale_reads", "reads that missed the latest acknowledged write"),
        (
            "conflicting_writes",
            "writes to a key that another side also wrote during the partition",
        ),
        (
            "lost_updates",
            "acknowledged updates discarded by last-write-wins at heal",
        ),
        ("siblings", "keys holding more than one version after heal"),
        ("anomaly_count", "broken guarantees recorded"),
    ],
    build: build_cap,
    check_scenario: |text| parse_scenario::<CapConfig>(text)?.validate(),
    ui: &crate::tui::labs::consensus::cap::CapUi,
};

impl Engine for QuorumLab {
    type Config = QuorumConfig;

    fn build(config: &QuorumConfig) -> Result<QuorumLab, String> {
        QuorumLab::new(config.clone())
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        self.apply(action)
    }

    fn metrics_json(&self) -> serde_json::Value {
        let mut v = self.report.to_json();
        v["k"] = self.config.k.into();
        // The last k the lab measured, as a plain number goals can compare.
        v["p_stale_last_k"] = self.report.p_stale_k.last().copied().unwrap_or(0.0).into();
        v
    }

    fn checkpoint(&self) -> Option<Self> {
        Some(self.clone())
    }
}

fn build_quorum(config: Option<&str>) -> Result<Box<dyn Lab>, String> {
    match config {
        None => Ok(Box::new(Session::<QuorumLab>::new("quorum", QuorumConfig::default())?)),
        Some(text) => from_scenario::<QuorumLab>("quorum", text),
    }
}

pub const QUORUM: LabInfo = LabInfo {
    id: "quorum",
    title: "Quorums and stale reads",
    summary: "Pick N, R and W and measure how often a read misses the latest write, against the PBS formula",
    metrics: &[
        ("n", "replicas"),
        ("r", "replicas a read asks"),
        ("w", "replicas a write waits for"),
        ("strict", "R + W > N"),
        ("p_stale", "measured share of reads that miss the latest write"),
        ("p_stale_theory", "C(N−W,R)/C(N,R)"),
        (
            "p_stale_last_k",
            "measured share of reads that miss all of the last k writes",
        ),
        ("k", "how many versions back p_stale_last_k looks"),
        ("trials", "trials measured"),
    ],
    build: build_quorum,
    check_scenario: |text| parse_scenario::<QuorumConfig>(text)?.validate(),
    ui: &crate::tui::labs::consensus::quorum::QuorumUi,
};

impl Engine for Voter {
    type Config = VoterConfig;
    const TIMED: bool = true;

    // Anti-entropy compares every pair of nodes at its interval.
    fn event_rate(c: &VoterConfig, _actions: &[String]) -> f64 {
        let n = c.nodes as f64;
        n * n * 1000.0 / c.anti_entropy_ms.max(1) as f64 + 1_000.0
    }

    fn build(config: &VoterConfig) -> Result<Voter, String> {
        Voter::new(config.clone())
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        self.apply(action)
    }

    fn tick(&mut self, ms: u64) {
        Voter::tick(self, ms);
    }

    fn now_ms(&self) -> u64 {
        Voter::now_ms(self) as u64
    }

    fn metrics_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self.metrics()).unwrap_or_default();
        v["partitioned"] = self.net.partitioned().into();
        v["anomaly_count"] = self.anomalies.len().into();
        v
    }

    fn checkpoint(&self) -> Option<Self> {
        Some(self.clone())
    }

    fn series(&self) -> Vec<(&'static str, f64)> {
        let m = self.metrics();
        vec![("p_stale", m.p_stale), ("success_rate", m.success_rate)]
    }
}

fn build_voter(config: Option<&str>) -> Result<Box<dyn Lab>, String> {
    match config {
        None => Ok(Box::new(Session::<Voter>::new("voter", VoterConfig::default())?)),
        Some(text) => from_scenario::<Voter>("voter", text),
    }
}

pub const VOTER: LabInfo = LabInfo {
    id: "voter",
    title: "A quorum store in time",
    summary: "Writes to all N finish after W acks; cut the network and see reads fail, go stale under a sloppy quorum, and heal by handoff, repair or anti-entropy",
    metrics: &[
        ("time_ms", "logical time in ms"),
        ("n", "replicas per key"),
        ("r", "answers a read waits for"),
        ("w", "acks a write waits for"),
        ("strict", "R + W > N"),
        ("sloppy", "whether stand-ins take writes for unreachable replicas"),
        ("read_repair", "whether a read sends the newest version to replicas that answered older"),
        ("anti_entropy_ms", "how often replicas sync (0: never)"),
        ("writes_ok", "writes acknowledged"),
        ("writes_failed", "writes that got fewer than W acks in time"),
        ("reads_ok", "reads answered"),
        ("reads_failed", "reads that got fewer than R answers in time"),
        ("stale_reads", "reads older than a write acknowledged before they began"),
        ("p_stale", "stale reads over answered reads"),
        ("versions_behind", "mean acknowledged versions a stale read missed"),
        ("success_rate", "answered requests over finished ones"),
        ("hints_pending", "writes stand-ins still hold for a home replica"),
        ("hints_delivered", "hinted writes handed back"),
        ("repairs", "read-repair messages sent"),
        ("partitioned", "whether the network is split"),
        ("anomaly_count", "broken guarantees recorded"),
    ],
    build: build_voter,
    check_scenario: |text| parse_scenario::<VoterConfig>(text)?.validate(),
    ui: &crate::tui::labs::consensus::voter::VoterUi,
};

/// The consensus labs, in teaching order.
pub const LABS: [&LabInfo; 5] = [&QUORUM, &VOTER, &ELECTION, &LOCK, &CAP];
