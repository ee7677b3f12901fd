//! The replication engine as a lab: its id, the metrics lesson goals may test, and how text
//! actions and the clock reach it.

use super::{Replication, ReplicationConfig};
use crate::engines::lab::{from_scenario, Engine, Lab, LabInfo, Session};

impl Engine for Replication {
    type Config = ReplicationConfig;
    const TIMED: bool = true;

    // Each write reaches every replica and is acknowledged; each read is one event; heartbeats
    // go to every replica. `load W R` raises the rates.
    fn event_rate(c: &ReplicationConfig, actions: &[String]) -> f64 {
        use crate::engines::lab::largest_arg;
        let writes = c.write_rate.max(largest_arg(actions, "load", 1));
        let reads = c.read_rate.max(largest_arg(actions, "load", 2));
        let beats = c.replicas as f64 * 1000.0 / c.heartbeat_ms.max(1.0);
        writes * (2.0 * c.replicas as f64 + 2.0) + 2.0 * reads + beats + 1_000.0
    }

    fn build(config: &ReplicationConfig) -> Result<Replication, String> {
        Replication::new(config.clone())
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        Replication::apply_text(self, action)
    }

    fn tick(&mut self, ms: u64) {
        Replication::tick(self, ms);
    }

    fn now_ms(&self) -> u64 {
        self.now / crate::engines::sim::US_PER_MS
    }

    fn metrics_json(&self) -> serde_json::Value {
        Replication::metrics_json(self)
    }

    fn checkpoint(&self) -> Option<Replication> {
        Some(self.clone())
    }

    fn series(&self) -> Vec<(&'static str, f64)> {
        Replication::series(self)
    }
}

fn build(config: Option<&str>) -> Result<Box<dyn Lab>, String> {
    match config {
        None => Ok(Box::new(Session::<Replication>::new(
            "replication",
            ReplicationConfig::default(),
        )?)),
        Some(text) => from_scenario::<Replication>("replication", text),
    }
}

pub const LAB: LabInfo = LabInfo {
    id: "replication",
    title: "Replication lag",
    summary: "A primary and its replicas over links with delay: commit modes, read routing, crashes, failover, split brain and backups",
    metrics: &[
        ("mode", "async, semisync or sync"),
        ("acks", "replica acknowledgements semi-sync waits for"),
        ("semisync_fallback", "semi-sync timed out and runs as async until replicas catch up"),
        ("routing", "primary, random, round-robin, pinned, ryw-token or primary-after-write:MS"),
        ("time_ms", "simulated time"),
        ("head", "the primary's binlog position (its newest write)"),
        ("max_lag_ms", "the largest replica lag: age of its oldest unapplied write"),
        ("acked_writes", "writes the clients were told are committed"),
        ("failed_writes", "writes refused or cut off by a crash before commit"),
        ("pending_writes", "writes waiting for replica acknowledgements"),
        ("reads", "reads served"),
        ("primary_read_share", "share of reads the primary served"),
        ("stale_reads", "reads that returned an older value than the newest committed one"),
        ("stale_read_fraction", "stale reads over all reads"),
        ("ryw_violations", "reads that missed the reader's own committed write"),
        ("monotonic_violations", "reads older than what the same client had already read"),
        ("lost_writes", "acknowledged writes that no surviving primary holds"),
        ("downtime_ms", "time from a primary crash to the first write a primary accepts"),
        ("primaries", "nodes taking writes (2 in a split brain)"),
        ("split_brain", "promotions that left the old primary taking writes"),
        ("rows", "rows on the primary"),
        ("restored_rows_lost", "acknowledged writes a restore did not bring back"),
        ("anomaly_count", "broken guarantees recorded"),
    ],
    build,
    check_scenario: |text| crate::engines::lab::parse_scenario::<ReplicationConfig>(text)?.validate(),
    ui: &crate::tui::labs::replication::ReplicationUi,
};
