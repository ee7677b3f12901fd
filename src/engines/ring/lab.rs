//! The ring engine as a lab: its id, the metrics lesson goals may test, and how text actions
//! reach it.

use super::{Ring, RingAction, RingConfig, Strategy, MAX_NODES};
use crate::engines::lab::{from_scenario, read_scenario, Engine, Lab, LabInfo, Session};

/// The most work a scenario may ask for, in key placements (one key placed by consistent
/// hashing, ~0.4 µs in a release build). Every action re-places every key, so 10,000 actions
/// at a million keys would take over an hour; this much loads in a few seconds.
pub const MAX_SCENARIO_WORK: u64 = 10_000_000;
/// What computing one state costs beyond placing keys (metrics, tables per node), in the
/// same units.
const PER_STATE: u64 = 500;

/// Estimated work of replaying a scenario: for the initial state and after each action, the
/// keys in effect times what the strategy in effect pays per key, plus the points its circle
/// is built from. Actions are read only for what changes that cost (strategy, keys, nodes,
/// weights, vnodes); ones that do not parse add the cost of a state anyway, and fail later
/// with their own message.
pub fn scenario_work(config: &RingConfig, actions: &[String]) -> u64 {
    struct State {
        strategy: Strategy,
        keys: u64,
        vnodes: u64,
        nodes: Vec<(String, u64)>,
    }
    // Per key, relative to consistent hashing (measured at a million keys): ketama about
    // 1.6×; rendezvous scores every node, about nodes / 6. A circle point (hashed, then
    // sorted) is counted like a key, which overstates it: the bound errs on the safe side.
    let cost = |s: &State| {
        let n = s.nodes.len() as u64;
        let weight: u64 = s.nodes.iter().map(|(_, w)| w).sum();
        let (factor, points) = match s.strategy {
            Strategy::Rendezvous => (n.div_ceil(6).max(1), 0),
            Strategy::Ketama => (2, 160 * n),
            Strategy::Ring => (1, s.vnodes.saturating_mul(weight)),
            _ => (1, 0),
        };
        s.keys
            .saturating_mul(factor)
            .saturating_add(points)
            .saturating_add(PER_STATE)
    };
    let mut s = State {
        strategy: config.strategy,
        keys: config.keys as u64,
        vnodes: u64::from(config.vnodes),
        nodes: config
            .nodes
            .iter()
            .map(|n| (n.name.clone(), u64::from(n.weight)))
            .collect(),
    };
    let mut total = cost(&s);
    for action in actions {
        let mut times = 1;
        match RingAction::parse(action) {
            Ok(RingAction::Strategy(strategy)) => s.strategy = strategy,
            Ok(RingAction::Keys(k)) => {
                s.keys = (k as u64).min(1_000_000);
                // A new keyspace is generated, then placed.
                times = 2;
            }
            Ok(RingAction::Vnodes(v)) => s.vnodes = u64::from(v.min(1000)),
            Ok(RingAction::Add(spec)) if s.nodes.len() < MAX_NODES => {
                s.nodes.push((spec.name, u64::from(spec.weight)));
            }
            Ok(RingAction::Remove(name)) if s.nodes.len() > 1 => s.nodes.retain(|(n, _)| *n != name),
            Ok(RingAction::Weight(name, w)) => {
                if let Some(node) = s.nodes.iter_mut().find(|(n, _)| *n == name) {
                    node.1 = u64::from(w.min(100));
                }
            }
            _ => {}
        }
        total = total.saturating_add(cost(&s).saturating_mul(times));
    }
    total
}

/// A scenario's config and actions within the ring's bounds, before anything is built.
pub fn check_scenario(config: &RingConfig, actions: &[String]) -> Result<(), String> {
    config.validate()?;
    let work = scenario_work(config, actions);
    if work > MAX_SCENARIO_WORK {
        return Err(format!(
            "the scenario asks for about {work} key placements ({} keys, {} actions); at most {MAX_SCENARIO_WORK} load in a few seconds: use fewer keys or fewer actions",
            config.keys,
            actions.len()
        ));
    }
    Ok(())
}

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
        Some(text) => {
            let (config, actions) = read_scenario::<RingConfig>(text)?;
            check_scenario(&config, &actions)?;
            from_scenario::<Ring>("ring", text)
        }
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
        (
            "max_over_mean",
            "the largest load over its ideal share (1 is perfect; the busiest over the mean when weights are equal)",
        ),
        ("stddev", "spread of per-node load over ideal share"),
        ("moved_fraction", "share of keys the last change moved"),
        ("ideal_moved_fraction", "the least the last change could have moved"),
        ("modulo_moved_fraction", "what hash mod N would have moved"),
        ("fanout_nodes", "nodes a scan of 100 consecutive ids touches"),
        ("celebrity_share", "the celebrity key's share of traffic"),
        ("traced", "how many keys are traced"),
    ],
    build,
    check_scenario: |text| {
        let (config, actions) = read_scenario::<RingConfig>(text)?;
        check_scenario(&config, &actions)
    },
    ui: &crate::tui::labs::ring::RingUi,
};
