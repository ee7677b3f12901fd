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
