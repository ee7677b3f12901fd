//! The queue engine as a lab: its id, the metrics lesson goals may test, and how text actions
//! reach the model it runs.

use super::{LogAction, Queue, QueueConfig, WorkAction};
use crate::engines::lab::{from_scenario, Engine, Lab, LabInfo, Session};

impl Engine for Queue {
    type Config = QueueConfig;
    const TIMED: bool = true;

    fn build(config: &QueueConfig) -> Result<Queue, String> {
        Queue::new(config)
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        match self {
            Queue::Work(q) => q.apply(&WorkAction::parse(action)?),
            Queue::Log(l) => l.apply(&LogAction::parse(action)?),
        }
    }

    fn tick(&mut self, ms: u64) {
        match self {
            Queue::Work(q) => q.tick(ms),
            Queue::Log(l) => l.tick(ms),
        }
    }

    fn now_ms(&self) -> u64 {
        match self {
            Queue::Work(q) => q.now_ms(),
            Queue::Log(l) => l.now_ms(),
        }
    }

    fn metrics_json(&self) -> serde_json::Value {
        match self {
            Queue::Work(q) => {
                let m = q.metrics();
                let mut v = serde_json::to_value(&m).unwrap_or_default();
                v["dlq_count"] = m.dlq.len().into();
                v["dlq_attempts_max"] = m.dlq.iter().map(|d| d.attempts).max().unwrap_or(0).into();
                v
            }
            Queue::Log(l) => {
                let m = l.metrics();
                let mut v = serde_json::to_value(&m).unwrap_or_default();
                v["idle_consumers"] = m.groups.first().map_or(0, |g| g.idle.len()).into();
                v["lag_max"] = m.lag.iter().copied().max().unwrap_or(0).into();
                v
            }
        }
    }

    fn checkpoint(&self) -> Option<Queue> {
        Some(self.clone())
    }

    fn series(&self) -> Vec<(&'static str, f64)> {
        match self {
            Queue::Work(q) => {
                let m = q.metrics();
                vec![
                    ("depth", m.depth as f64),
                    ("in_flight", m.in_flight as f64),
                    ("dead_letters", m.dlq.len() as f64),
                ]
            }
            Queue::Log(l) => {
                let m = l.metrics();
                vec![
                    ("lag", m.lag_total as f64),
                    ("ordering_violations", m.ordering_violations as f64),
                ]
            }
        }
    }
}

fn build(config: Option<&str>) -> Result<Box<dyn Lab>, String> {
    match config {
        None => Ok(Box::new(Session::<Queue>::new("queue", QueueConfig::default())?)),
        Some(text) => from_scenario::<Queue>("queue", text),
    }
}

pub const LAB: LabInfo = LabInfo {
    id: "queue",
    title: "Message queue",
    summary: "Producers, competing consumers, acks, retries and dead letters; Kafka partitions and consumer groups",
    metrics: &[
        ("model", "work (a queue of tasks) or log (a Kafka-style topic)"),
        ("drain_ms", "when the last task was acked, dead-lettered or lost"),
        ("processed", "processing runs that finished, repeats included"),
        ("duplicates", "runs of a message already processed once"),
        ("lost", "messages lost (work) or deleted by retention unread (log)"),
        (
            "double_side_effects",
            "side effects that ran a second time (double charges)",
        ),
        ("dlq_count", "messages in the dead-letter queue"),
        ("dlq_attempts_max", "most receives a dead-lettered message took"),
        ("depth", "messages the broker holds now"),
        ("depth_max", "most messages the broker held at once"),
        ("mean_wait_ms", "mean time from production to first delivery"),
        ("idle_consumers", "group members with no partition"),
        ("lag_total", "records produced but not yet committed by the group"),
        ("lag_max", "lag of the most behind partition"),
        (
            "ordering_violations",
            "records processed after a later record of the same key",
        ),
        ("reprocessed", "records the group read again (rebalance or rewind)"),
    ],
    build,
    check_scenario: |text| crate::engines::lab::parse_scenario::<QueueConfig>(text)?.validate(),
    ui: &crate::tui::lab::MetricsUi,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::queue::Model;

    fn config(model: Model) -> QueueConfig {
        let mut c = QueueConfig {
            model,
            ..QueueConfig::default()
        };
        c.work.service = crate::engines::queue::Service::Exponential { mean_ms: 700.0 };
        c.work.fail = 0.2;
        c.log.rate = 40.0;
        c.log.keys = crate::engines::queue::Keys::None;
        c
    }

    /// The framework merges runs of ticks in saved scenarios: split and merged runs must agree.
    #[test]
    fn ticks_add_up_and_undo_replays_exactly() {
        for (model, action) in [(Model::Work, "crash-before-ack c2"), (Model::Log, "join c4")] {
            let mut split = Session::<Queue>::new("queue", config(model)).unwrap();
            for a in ["tick 250", "tick 1750", action, "tick 3000", "tick 4000"] {
                split.apply(a).unwrap();
            }
            let mut merged = Session::<Queue>::new("queue", config(model)).unwrap();
            for a in ["tick 2000", action, "tick 7000"] {
                merged.apply(a).unwrap();
            }
            assert_eq!(split.metrics(), merged.metrics(), "{model:?}");
            assert_eq!(split.now_ms(), 9000);
            let before = {
                let mut s = Session::<Queue>::new("queue", config(model)).unwrap();
                for a in ["tick 2000", action, "tick 3000"] {
                    s.apply(a).unwrap();
                }
                s.metrics()
            };
            merged.apply("tick 1").unwrap();
            assert!(merged.undo());
            merged.scrub(-1);
            merged.apply("tick 3000").unwrap();
            assert_eq!(merged.metrics(), before, "{model:?}");
        }
    }

    #[test]
    fn scenarios_check_without_building() {
        let ok = "[config]\nmodel = \"log\"\n[config.log]\npartitions = 6\nassignor = \"roundrobin\"\nkeys = \"hot\"\n";
        (LAB.check_scenario)(ok).unwrap();
        let bad = "[config]\nmodel = \"log\"\n[config.log]\npartitions = 0\n";
        assert!((LAB.check_scenario)(bad).unwrap_err().contains("partitions"));
        let lab = (LAB.build)(Some(ok)).unwrap();
        assert_eq!(lab.metrics()["assignor"], "roundrobin");
        assert!(lab.metrics()["lag"].is_array());
    }
}
