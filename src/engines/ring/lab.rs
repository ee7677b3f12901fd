//! The ring engine as a lab: its id, the metrics lesson goals may test, and how text actions
//! reach it.

use super::{Ring, RingAction, RingConfig};
use crate::engines::lab::{from_scenario, Engine, Lab, LabInfo, Session};

impl Engine for Ring {
    type Config = RingConfig;

    fn build(config: &RingConfig) -> Result<Ring, String> {
        Ring::new(config.clone())
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        self.apply(&RingAction::parse(action)?)
    }

    fn metrics_json(&self) -> serde_json::Value {
        let m = self.metrics();
        let mut v = serde_json::to_value(&m).unwrap_or_default();
        // Scalars lesson goals can compare directly.
        v["fanout_nodes"] = m.fanout.nodes.into();
        v["celebrity_share"] = m.celebrity.as_ref().map_or(0.0, |c| c.share).into();
        v["traced"] = m.traces.len().into();
        v
    }

    fn replay(&mut self, config: &RingConfig, actions: &[String]) -> Result<(), String> {
        let parsed: Result<Vec<RingAction>, String> = actions.iter().map(|a| RingAction::parse(a)).collect();
        match parsed.and_then(|parsed| Ring::replay(self, config, &parsed)) {
            Ok(()) => Ok(()),
            // The fast path refused a log applied once already: the slow one still gives a
            // usable ring and says which action failed.
            Err(_) => {
                *self = Ring::new(config.clone())?;
                let mut first_error = Ok(());
                for a in actions {
                    if let Err(e) = self.apply_text(a) {
                        first_error = first_error.and(Err(format!("{a}: {e}")));
                    }
                }
                first_error
            }
        }
    }

    fn release(&mut self) {
        self.keys = Default::default();
        self.owners = Vec::new();
        self.directory = Vec::new();
    }
}

fn build(config: Option<&str>) -> Result<Box<dyn Lab>, String> {
    match config {
        None => Ok(Box::new(Session::<Ring>::new("ring", RingConfig::default())?)),
        Some(text) => from_scenario::<Ring>("ring", text),
    }
}

pub const LAB: LabInfo = LabInfo {
    id: "ring",
    title: "Sharding ring",
    summary:
        "Place keys on nodes with hash mod N, consistent hashing, ketama, jump, rendezvous, range, geo or a directory",
    metrics: &[
        (
            "strategy",
            "modulo, ring, ketama, jump, rendezvous, range, geo or directory",
        ),
        ("node_count", "how many nodes"),
        ("keys", "how many keys"),
        ("vnodes", "virtual nodes per unit of weight"),
        ("points", "points on the circle"),
        ("max_over_mean", "busiest node's load over the mean (1 is perfect)"),
        ("stddev", "spread of per-node load, as a fraction of the mean"),
        ("moved_fraction", "share of keys the last change moved"),
        ("ideal_moved_fraction", "the least the last change could have moved"),
        ("modulo_moved_fraction", "what hash mod N would have moved"),
        ("fanout_nodes", "nodes a scan of 100 consecutive ids touches"),
        ("celebrity_share", "the celebrity key's share of traffic"),
        ("traced", "how many keys are traced"),
    ],
    build,
    check_scenario: |text| crate::engines::lab::parse_scenario::<RingConfig>(text)?.validate(),
    ui: &crate::tui::labs::ring::RingUi,
};
