//! The multi-master engine as a lab: its id, the metrics lesson goals may test, and how text
//! actions and the clock reach it.

use super::{MultiMaster, MultiMasterConfig};
use crate::engines::lab::{from_scenario, Engine, Lab, LabInfo, Session};

impl Engine for MultiMaster {
    type Config = MultiMasterConfig;
    const TIMED: bool = true;

    fn build(config: &MultiMasterConfig) -> Result<MultiMaster, String> {
        MultiMaster::new(config.clone())
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        MultiMaster::apply_text(self, action)
    }

    fn tick(&mut self, ms: u64) {
        MultiMaster::tick(self, ms);
    }

    fn now_ms(&self) -> u64 {
        self.now / crate::engines::sim::US_PER_MS
    }

    fn metrics_json(&self) -> serde_json::Value {
        MultiMaster::metrics_json(self)
    }

    fn checkpoint(&self) -> Option<MultiMaster> {
        Some(self.clone())
    }

    fn series(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("lost_updates", self.lost_updates() as f64),
            ("rows_differ", self.rows_differ() as f64),
        ]
    }
}

fn build(config: Option<&str>) -> Result<Box<dyn Lab>, String> {
    match config {
        None => Ok(Box::new(Session::<MultiMaster>::new(
            "multi-master",
            MultiMasterConfig::default(),
        )?)),
        Some(text) => from_scenario::<MultiMaster>("multi-master", text),
    }
}

pub const LAB: LabInfo = LabInfo {
    id: "multi-master",
    title: "Multi-master conflicts",
    summary: "Two masters replicating both ways with a delay: last-write-wins on skewed clocks, and auto-increment ids with and without offsets",
    metrics: &[
        ("time_ms", "simulated time"),
        ("delay_ms", "one-way replication delay between the masters"),
        ("skew_a_ms", "how far a's clock is ahead of true time (negative: behind)"),
        ("skew_b_ms", "how far b's clock is ahead of true time"),
        ("offsets", "auto_increment_increment = 2 with offsets 1 and 2"),
        ("partitioned", "the link between the masters is cut"),
        ("writes", "client writes made on either master"),
        ("conflicts", "pairs of writes to one row made before either master saw the other"),
        ("lost_updates", "acknowledged writes last-write-wins discarded"),
        ("older_wins", "discards in which the kept write was made earlier in true time"),
        ("inserts", "rows inserted with an auto-increment id"),
        ("id_collisions", "ids both masters handed out (a duplicate key on replication)"),
        ("in_flight", "changes on their way between the masters"),
        ("rows_differ", "rows whose value differs between the masters"),
        ("converged", "nothing in flight and both masters hold the same rows"),
        ("anomaly_count", "broken guarantees recorded"),
    ],
    build,
    check_scenario: |text| crate::engines::lab::parse_scenario::<MultiMasterConfig>(text)?.validate(),
    ui: &crate::tui::labs::multimaster::MultiMasterUi,
};
