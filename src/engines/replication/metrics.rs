//! What the replication engine shows: read-only views for the lab's drawing, the metrics lesson
//! goals test, and the numbers sampled for charts.

use serde::Serialize;
use serde_json::json;

use super::{Change, Mode, Pos, Replication, Role};
use crate::engines::sim::{self, Anomaly, EventLog, Micros};

/// What became of a client operation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Outcome {
    /// Taken by the primary, not yet acknowledged (or acknowledged at once in async).
    Accepted,
    Committed {
        after_ms: f64,
    },
    /// Taken by a replaced primary that does not know it (split brain).
    OldPrimary,
    /// The node was down.
    Failed,
    Read {
        stale: bool,
        ryw: bool,
        went_back: bool,
    },
}

/// One client operation as the client panel shows it (text is built only when drawn).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClientOp {
    pub at_ms: f64,
    /// 0-based client index (c1 is 0).
    pub client: usize,
    pub write: bool,
    /// Index of the node that served it (see `Replication::node_name`).
    pub node: usize,
    /// The write's position, or the position of the version a read returned.
    pub pos: Option<Pos>,
    /// The write, or for a read the key and the value it returned.
    change: Change,
    pub outcome: Outcome,
}

impl ClientOp {
    pub(super) fn new(
        at: Micros,
        client: usize,
        write: bool,
        node: usize,
        pos: Option<Pos>,
        change: Change,
        outcome: Outcome,
    ) -> ClientOp {
        ClientOp {
            at_ms: sim::us_to_ms(at),
            client,
            write,
            node,
            pos,
            change,
            outcome,
        }
    }

    /// `email=b` for a write, `email` for a read.
    pub fn what(&self, engine: &Replication) -> String {
        match (self.write, self.change) {
            (false, Change::Set { key, .. }) => engine.keys[key as usize].clone(),
            (_, c) => engine.change_text(c),
        }
    }

    /// `accepted`, `committed after 120 ms`, `FAILED · down`, `a`, `a · STALE`, …
    pub fn outcome_text(&self, engine: &Replication) -> String {
        match self.outcome {
            Outcome::Accepted => "accepted".into(),
            Outcome::Committed { after_ms } => format!("committed after {} ms", sim::round6(after_ms)),
            Outcome::OldPrimary => "accepted by the old primary".into(),
            Outcome::Failed => "FAILED · down".into(),
            Outcome::Read { stale, ryw, went_back } => {
                let value = match self.change {
                    Change::Set { value, .. } => engine.value_text(value),
                    Change::DeleteAll => String::new(),
                };
                let mut s = value;
                for (on, flag) in [(stale, "STALE"), (ryw, "NOT YOUR WRITE"), (went_back, "WENT BACK")] {
                    if on {
                        s.push_str(" · ");
                        s.push_str(flag);
                    }
                }
                s
            }
        }
    }

    /// `c1 wrote email=b → p · accepted` or `c2 read email r2 → a · STALE`.
    pub fn text(&self, engine: &Replication) -> String {
        let node = engine.node_name(self.node);
        if self.write {
            format!(
                "c{} wrote {} → {node} · {}",
                self.client + 1,
                self.what(engine),
                self.outcome_text(engine)
            )
        } else {
            format!(
                "c{} read {} {node} → {}",
                self.client + 1,
                self.what(engine),
                self.outcome_text(engine)
            )
        }
    }
}

/// A binlog event on its way from the primary to a replica.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InFlight {
    pub from: usize,
    pub to: usize,
    pub pos: Pos,
    pub arrive_ms: f64,
}

/// One non-primary node as the lab draws it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplicaView {
    pub name: String,
    /// `replica`, `old primary` (split brain) or `rebuild` (needs rebuilding when it returns).
    pub role: &'static str,
    pub up: bool,
    /// Cut off from the primary by a partition.
    pub partitioned: bool,
    pub received: Pos,
    pub applied: Pos,
    /// Writes the primary has that it has not applied.
    pub lag_positions: Pos,
    /// Age of the oldest write it has not applied (0 when caught up).
    pub lag_ms: f64,
    pub delay: String,
    pub slow_ms: f64,
}

impl Replication {
    /// The logical time in milliseconds.
    pub fn now_ms(&self) -> f64 {
        sim::us_to_ms(self.now)
    }

    /// Names of every node by index: `p`, `r1`, `r2`, …
    pub fn node_name(&self, i: usize) -> &str {
        self.nodes.get(i).map_or("?", |n| n.name.as_str())
    }

    /// Index of the current primary.
    pub fn primary(&self) -> usize {
        self.primary
    }

    /// The primary's name.
    pub fn primary_name(&self) -> &str {
        &self.nodes[self.primary].name
    }

    /// The primary's binlog head: the position of the newest write.
    pub fn head(&self) -> Pos {
        self.binlog.head()
    }

    /// Whether the primary is up.
    pub fn primary_up(&self) -> bool {
        self.nodes[self.primary].up
    }

    /// Whether the primary is cut off from its replicas.
    pub fn primary_partitioned(&self) -> bool {
        self.nodes[self.primary].cut
    }

    /// Every node but the primary, in name order, with positions, lag, health and delay.
    pub fn replicas(&self) -> Vec<ReplicaView> {
        (0..self.nodes.len())
            .filter(|&i| i != self.primary)
            .map(|i| self.replica_view(i))
            .collect()
    }

    fn replica_view(&self, i: usize) -> ReplicaView {
        let n = &self.nodes[i];
        let head = self.binlog.head();
        let on_line = n.role == Role::Replica && !n.stale_lineage;
        let lag_ms = if on_line && n.applied < head {
            self.binlog
                .get(n.applied + 1)
                .map_or(0.0, |e| sim::us_to_ms(self.now - e.accepted))
        } else {
            0.0
        };
        ReplicaView {
            name: n.name.clone(),
            role: match (n.role, n.stale_lineage) {
                (Role::Zombie, _) => "old primary",
                (_, true) => "rebuild",
                _ => "replica",
            },
            up: n.up,
            partitioned: n.cut,
            received: n.received,
            applied: n.applied,
            lag_positions: if on_line { head.saturating_sub(n.applied) } else { 0 },
            lag_ms: sim::round6(lag_ms),
            delay: n.delay.describe(),
            slow_ms: n.slow_ms,
        }
    }

    /// Binlog events in flight, for dots on the links.
    pub fn in_flight(&self) -> Vec<InFlight> {
        let mut v: Vec<InFlight> = self
            .queue
            .iter()
            .filter_map(|(at, e)| match e {
                super::Ev::Deliver { to, pos } => Some(InFlight {
                    from: self.primary,
                    to: *to as usize,
                    pos: *pos,
                    arrive_ms: sim::us_to_ms(at),
                }),
                _ => None,
            })
            .collect();
        v.sort_by_key(|f| (f.to, f.pos));
        v
    }

    /// When the binlog event at `pos` left the primary (for placing an in-flight dot), if the
    /// binlog still holds it.
    pub fn sent_ms(&self, pos: Pos) -> Option<f64> {
        self.binlog.get(pos).map(|e| sim::us_to_ms(e.accepted))
    }

    /// The last few client operations, oldest first.
    pub fn recent_ops(&self) -> impl DoubleEndedIterator<Item = &ClientOp> {
        self.recent.iter()
    }

    /// The event log (faults, scripted operations, mode changes, anomalies).
    pub fn event_log(&self) -> &EventLog {
        &self.log
    }

    /// The newest anomalies, oldest first.
    pub fn anomalies(&self) -> impl DoubleEndedIterator<Item = &Anomaly> + ExactSizeIterator {
        self.anomalies.list()
    }

    /// The commit mode, with semi-sync's fallback shown: `async`, `semisync`, `sync`.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Semi-sync acks required.
    pub fn acks(&self) -> usize {
        self.acks
    }

    /// Semi-sync timed out and runs as async until the replicas catch up.
    pub fn fallen_back(&self) -> bool {
        self.fallen_back
    }

    /// The read routing, as its action text (`ryw-token`, `primary-after-write:500`).
    pub fn routing(&self) -> String {
        self.routing.name()
    }

    /// Whether automatic failover is on.
    pub fn auto_failover(&self) -> bool {
        self.auto_failover
    }

    /// Heartbeats missed in a row so far.
    pub fn missed_heartbeats(&self) -> u32 {
        self.missed
    }

    /// Time without a primary taking writes, in ms (an outage still running counts up to now).
    pub fn downtime_ms(&self) -> f64 {
        let running = self.outage_since.map_or(0, |t| self.now - t);
        sim::us_to_ms(self.stats.downtime + running)
    }

    fn commit_latency(&self) -> serde_json::Value {
        let mut sorted: Vec<f64> = self.stats.latencies.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        let mean = if self.stats.commits == 0 {
            0.0
        } else {
            self.stats.latency_sum_ms / self.stats.latencies_total() as f64
        };
        json!({
            "mean": sim::round6(mean),
            "p50": sim::round6(sim::percentile(&sorted, 50.0).unwrap_or(0.0)),
            "p99": sim::round6(sim::percentile(&sorted, 99.0).unwrap_or(0.0)),
        })
    }

    /// Largest lag among replicas on the primary's line, in ms.
    pub fn max_lag_ms(&self) -> f64 {
        self.replicas().iter().map(|r| r.lag_ms).fold(0.0, f64::max)
    }

    /// Every metric as JSON: the command line's state objects and what lesson goals test.
    pub fn metrics_json(&self) -> serde_json::Value {
        let s = &self.stats;
        let frac = |n: u64, d: u64| if d == 0 { 0.0 } else { sim::round6(n as f64 / d as f64) };
        let anomalies: Vec<&Anomaly> = self.anomalies.list().collect();
        let primaries = self
            .nodes
            .iter()
            .filter(|n| n.up && matches!(n.role, Role::Primary | Role::Zombie))
            .count();
        json!({
            "mode": self.mode.name(),
            "acks": self.acks,
            "semisync_fallback": self.fallen_back,
            "routing": self.routing.name(),
            "time_ms": sim::round6(self.now_ms()),
            "primary": self.primary_name(),
            "primary_up": self.primary_up(),
            "head": self.head(),
            "replicas": self.replicas(),
            "max_lag_ms": sim::round6(self.max_lag_ms()),
            "commit_latency_ms": self.commit_latency(),
            "acked_writes": s.acked_writes,
            "failed_writes": s.failed_writes,
            "pending_writes": self.pending.len(),
            "reads": s.reads,
            "primary_read_share": frac(s.primary_reads, s.reads),
            "stale_reads": s.stale_reads,
            "stale_read_fraction": frac(s.stale_reads, s.reads),
            "ryw_violations": s.ryw_violations,
            "monotonic_violations": s.monotonic_violations,
            "lost_writes": s.lost_writes,
            "downtime_ms": sim::round6(self.downtime_ms()),
            "auto_failover": self.auto_failover,
            "fencing": self.fencing,
            "primaries": primaries,
            "split_brain": self.anomalies.count("split_brain"),
            "rows": self.nodes[self.primary].store.rows(),
            "snapshot_pos": self.snapshot.as_ref().map(|s| s.pos),
            "restored_rows_lost": self.restored_rows_lost,
            "anomaly_count": self.anomalies.len(),
            "anomalies": anomalies,
        })
    }

    /// Numbers worth charting over time, by name.
    pub fn series(&self) -> Vec<(&'static str, f64)> {
        const LAG: [&str; 8] = [
            "lag_p_ms",
            "lag_r1_ms",
            "lag_r2_ms",
            "lag_r3_ms",
            "lag_r4_ms",
            "lag_r5_ms",
            "lag_r6_ms",
            "lag_r7_ms",
        ];
        let mut v = vec![
            ("max_lag_ms", self.max_lag_ms()),
            ("stale_reads", self.stats.stale_reads as f64),
            ("lost_writes", self.stats.lost_writes as f64),
            ("ryw_violations", self.stats.ryw_violations as f64),
            ("head", f64::from(self.head())),
        ];
        for (i, name) in LAG.iter().enumerate().take(self.nodes.len()) {
            let lag = if i == self.primary {
                0.0
            } else {
                self.replica_view(i).lag_ms
            };
            v.push((name, lag));
        }
        v
    }
}

impl super::Stats {
    /// How many commits the mean is over (every one since the start).
    fn latencies_total(&self) -> u64 {
        self.commits
    }
}
