//! The queue lab's engine: a work queue (competing consumers, acks, retries, dead letters,
//! delivery guarantees) and a Kafka-style log (partitions, keys, consumer groups, offsets,
//! retention), both pure and deterministic for a seed.
//!
//! What a UI can draw, read-only:
//! - `WorkQueue::messages()`: every message with where it is (ready, delayed, in flight, acked,
//!   dead, lost), its receive count and how many times its side effect ran.
//! - `WorkQueue::ready_ids()`: the waiting line, oldest first; `consumers()`: each consumer,
//!   alive or not, and the message it holds (`Consumer::current`).
//! - `WorkQueue::metrics()`: the acked / in-flight / dead-letter bins (`acked`, `in_flight`,
//!   `dlq` with attempts), depth, drain time, duplicates, losses, latencies.
//! - `Log::partitions`: each partition's log start and end offsets; `records(p)` its records
//!   (offset, key, per-key number).
//! - `Log::groups`: per group, each member's partitions (`owner`), committed offsets and read
//!   positions (cursors), lag (`metrics().groups[..].lag`), ordering violations per key.
//! - `depth_history()` on both: depth (work) or total lag (log) after each tick or action.
//! - `last_events(n)` on both: the newest event-log lines, anomalies flagged.

pub mod cli;
pub mod kafka;
pub mod lab;
pub mod log;
pub mod work;

use serde::{Deserialize, Serialize};

pub use kafka::{assign, murmur2, partition_for_key, to_positive, Assignor, TopicPartition};
pub use log::{Keys, Log, LogAction, LogConfig};
pub use work::{Delivery, Service, WorkAction, WorkConfig, WorkQueue};

/// Which of the two models a lab runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    #[default]
    Work,
    Log,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    pub model: Model,
    pub work: WorkConfig,
    pub log: LogConfig,
}

impl QueueConfig {
    pub fn validate(&self) -> Result<(), String> {
        match self.model {
            Model::Work => self.work.validate(),
            Model::Log => self.log.validate(),
        }
    }
}

/// The engine the lab drives: one of the two models.
#[derive(Clone)]
pub enum Queue {
    Work(Box<WorkQueue>),
    Log(Box<Log>),
}

impl Queue {
    pub fn new(config: &QueueConfig) -> Result<Queue, String> {
        Ok(match config.model {
            Model::Work => Queue::Work(Box::new(WorkQueue::new(config.work.clone())?)),
            Model::Log => Queue::Log(Box::new(Log::new(config.log.clone())?)),
        })
    }
}
