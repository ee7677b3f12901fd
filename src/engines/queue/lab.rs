//! The queue engine as a lab: its id, the metrics lesson goals may test, and how text actions
//! reach the model it runs.

use super::{Compare, Queue, QueueConfig, Running};
use crate::engines::lab::{from_scenario, Engine, Lab, LabInfo, Session};

impl Engine for Queue {
    type Config = QueueConfig;
    const TIMED: bool = true;

    // Each message arrives, is delivered and acked (more with retries); `rate R` raises the log's
    // production rate.
    fn event_rate(c: &QueueConfig, actions: &[String]) -> f64 {
        use crate::engines::lab::largest_arg;
        let log = c.log.rate.max(largest_arg(actions, "rate", 1)) + c.log.consume_rate;
        4.0 * c.work.arrival_rate + 2.0 * log + 1_000.0
    }

    fn build(config: &QueueConfig) -> Result<Queue, String> {
        Queue::new(config)
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        self.apply(action)
    }

    fn tick(&mut self, ms: u64) {
        Queue::tick(self, ms);
    }

    fn now_ms(&self) -> u64 {
        Queue::now_ms(self)
    }

    fn metrics_json(&self) -> serde_json::Value {
        let mut v = match &self.running {
            Running::Work(q) => {
                let m = q.metrics();
                let mut v = serde_json::to_value(&m).unwrap_or_default();
                v["dlq_count"] = m.dlq.len().into();
                v["dlq_attempts_max"] = m.dlq.iter().map(|d| d.attempts).max().unwrap_or(0).into();
                v["consumers_alive"] = m.consumers.iter().filter(|c| c.alive).count().into();
                v
            }
            Running::Log(l) => {
                let m = l.metrics();
                let mut v = serde_json::to_value(&m).unwrap_or_default();
                v["idle_consumers"] = m.groups.first().map_or(0, |g| g.idle.len()).into();
                v["lag_max"] = m.lag.iter().copied().max().unwrap_or(0).into();
                v["group_count"] = m.groups.len().into();
                v["processed"] = m.groups.first().map_or(0, |g| g.processed).into();
                // First-time processings over all groups per record produced: 1 for a queue
                // (one group), one per group for a topic.
                let firsts: u64 = m.groups.iter().map(|g| g.processed - g.reprocessed).sum();
                v["deliveries_per_record"] = if m.produced == 0 {
                    0.0.into()
                } else {
                    (firsts as f64 / m.produced as f64).into()
                };
                v
            }
        };
        v["now_ms"] = Queue::now_ms(self).into();
        v["compare"] = match self.compare {
            None => "off",
            Some(Compare::Chain(_)) => "chain",
            Some(Compare::Push { .. }) => "push",
        }
        .into();
        if let Some(r) = self.chain_report() {
            v["chain_down"] = r.down.unwrap_or("none").into();
            v["chain_requests"] = r.requests.into();
            v["sync_ms"] = r.sync_mean_ms.into();
            v["sync_errors"] = r.sync_errors.into();
            v["queue_ms"] = r.queue_mean_ms.into();
            v["queue_errors"] = r.queue_errors.into();
            v["queue_backlog"] = r.queue_backlog.into();
            v["queue_end_to_end_ms"] = r.queue_end_to_end_ms.into();
        }
        if let Some(r) = self.push_report() {
            v["sent"] = r.sent.into();
            v["push_overflowed"] = r.push_overflowed.into();
            v["push_buffered"] = r.push_buffered.into();
            v["pull_backlog"] = r.pull_backlog.into();
            v["pull_held"] = r.pull_held.into();
        }
        v
    }

    fn checkpoint(&self) -> Option<Queue> {
        Some(self.clone())
    }

    /// The same names whichever model runs (the session fixes them when it starts); the model
    /// not running reads 0.
    fn series(&self) -> Vec<(&'static str, f64)> {
        let (depth, in_flight, dead, lag, violations) = match &self.running {
            Running::Work(q) => {
                let m = q.metrics();
                (m.depth as f64, m.in_flight as f64, m.dlq.len() as f64, 0.0, 0.0)
            }
            Running::Log(l) => {
                let m = l.metrics();
                (0.0, 0.0, 0.0, m.lag_total as f64, m.ordering_violations as f64)
            }
        };
        vec![
            ("depth", depth),
            ("in_flight", in_flight),
            ("dead_letters", dead),
            ("lag", lag),
            ("ordering_violations", violations),
        ]
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
        ("acked", "messages acked (work)"),
        ("consumers_alive", "consumers running (work)"),
        ("in_flight", "messages received and not acked yet"),
        ("delivery", "at-most-once or at-least-once"),
        ("idempotent", "whether the consumer dedupes by message id"),
        ("now_ms", "the lab's simulated time"),
        ("produced", "records appended to the topic (log)"),
        ("group_count", "consumer groups subscribed to the topic"),
        (
            "deliveries_per_record",
            "first-time processings per record over all groups: 1 for a queue, one per group for a topic",
        ),
        ("compare", "the comparison shown: off, chain or push"),
        (
            "chain_down",
            "the step of the checkout that is down (none when all are up)",
        ),
        ("chain_requests", "checkouts since the chain comparison opened"),
        ("sync_ms", "mean user-facing latency of the synchronous chain"),
        ("sync_errors", "checkouts the synchronous chain failed"),
        ("queue_ms", "mean user-facing latency through the queue"),
        ("queue_errors", "checkouts that failed through the queue"),
        ("queue_backlog", "queued checkouts waiting for a down step"),
        ("queue_end_to_end_ms", "mean time until the queued work was all done"),
        (
            "sent",
            "messages the producer sent since the push / pull comparison opened",
        ),
        (
            "push_overflowed",
            "pushed messages the slow consumer's full buffer could not take",
        ),
        ("push_buffered", "messages in the pushed-to consumer's buffer"),
        (
            "pull_backlog",
            "messages waiting in the broker for the pulling consumer",
        ),
        (
            "pull_held",
            "messages the pulling consumer holds (at most its prefetch)",
        ),
    ],
    build,
    check_scenario: |text| crate::engines::lab::parse_scenario::<QueueConfig>(text)?.validate(),
    ui: &crate::tui::labs::queue::QueueUi,
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
