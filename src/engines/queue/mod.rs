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

pub mod chain;
pub mod cli;
pub mod kafka;
pub mod lab;
pub mod log;
pub mod push;
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

/// The model a lab runs now.
#[derive(Clone)]
pub enum Running {
    Work(Box<WorkQueue>),
    Log(Box<Log>),
}

/// A comparison shown beside the model, on the same clock.
#[derive(Debug, Clone, PartialEq)]
pub enum Compare {
    /// The synchronous chain against the same work through a queue.
    Chain(chain::Chain),
    /// Push against pull to a slow consumer, since this time (ms).
    Push { started_ms: f64 },
}

/// The engine the lab drives: one of the two models, switchable in place (the other starts
/// afresh from its config at the current time), and an optional comparison.
#[derive(Clone)]
pub struct Queue {
    pub config: QueueConfig,
    pub running: Running,
    /// Lab time at which the running model started.
    offset_ms: u64,
    pub compare: Option<Compare>,
}

impl Queue {
    pub fn new(config: &QueueConfig) -> Result<Queue, String> {
        config.validate()?;
        Ok(Queue {
            running: Queue::start(config, config.model)?,
            config: config.clone(),
            offset_ms: 0,
            compare: None,
        })
    }

    fn start(config: &QueueConfig, model: Model) -> Result<Running, String> {
        Ok(match model {
            Model::Work => Running::Work(Box::new(WorkQueue::new(config.work.clone())?)),
            Model::Log => Running::Log(Box::new(Log::new(config.log.clone())?)),
        })
    }

    pub fn model(&self) -> Model {
        match self.running {
            Running::Work(_) => Model::Work,
            Running::Log(_) => Model::Log,
        }
    }

    pub fn work(&self) -> Option<&WorkQueue> {
        match &self.running {
            Running::Work(q) => Some(q),
            Running::Log(_) => None,
        }
    }

    pub fn log(&self) -> Option<&Log> {
        match &self.running {
            Running::Log(l) => Some(l),
            Running::Work(_) => None,
        }
    }

    /// Lab time at which the running model started (its own clock starts at 0 there).
    pub fn offset_ms(&self) -> u64 {
        self.offset_ms
    }

    /// Lab time in milliseconds, across model switches.
    pub fn now_ms(&self) -> u64 {
        self.offset_ms
            + match &self.running {
                Running::Work(q) => q.now_ms(),
                Running::Log(l) => l.now_ms(),
            }
    }

    pub fn tick(&mut self, ms: u64) {
        match &mut self.running {
            Running::Work(q) => q.tick(ms),
            Running::Log(l) => l.tick(ms),
        }
    }

    /// The chain comparison now, if it is open.
    pub fn chain_report(&self) -> Option<chain::ChainReport> {
        match &self.compare {
            Some(Compare::Chain(c)) => Some(c.report(self.now_ms() as f64)),
            _ => None,
        }
    }

    /// The push / pull comparison now, if it is open.
    pub fn push_report(&self) -> Option<push::PushReport> {
        match self.compare {
            Some(Compare::Push { started_ms }) => Some(push::report(self.now_ms() as f64 - started_ms)),
            _ => None,
        }
    }

    /// Applies one action: the lab's own (`model`, `compare`, `down`, `drain`) or the running
    /// model's.
    pub fn apply(&mut self, action: &str) -> Result<(), String> {
        let words: Vec<&str> = action.split_whitespace().collect();
        let now = self.now_ms();
        match words.as_slice() {
            ["model", m] => {
                let model = match *m {
                    "work" => Model::Work,
                    "log" => Model::Log,
                    other => return Err(format!("model {other:?}: use work or log")),
                };
                if model == self.model() {
                    return Err(format!("the lab already runs the {m} model"));
                }
                self.running = Queue::start(&self.config, model)?;
                self.offset_ms = now;
            }
            ["compare", what] => {
                self.compare = match *what {
                    "chain" => Some(Compare::Chain(chain::Chain::new(now as f64))),
                    "push" => Some(Compare::Push { started_ms: now as f64 }),
                    "off" => None,
                    other => return Err(format!("compare {other:?}: use chain, push or off")),
                };
            }
            ["down", step] => {
                let Some(Compare::Chain(c)) = &mut self.compare else {
                    return Err("down: open the chain comparison first (compare chain)".into());
                };
                if *step == "none" {
                    c.bring_up(now as f64);
                } else {
                    c.take_down(chain::Chain::step_index(step)?, now as f64);
                }
            }
            ["drain"] => match &mut self.running {
                Running::Work(q) => q.run_to_end(),
                Running::Log(_) => return Err("drain: the log keeps its records; run the clock instead".into()),
            },
            _ => match &mut self.running {
                Running::Work(q) => q.apply(&WorkAction::parse(action)?)?,
                Running::Log(l) => l.apply(&LogAction::parse(action)?)?,
            },
        }
        Ok(())
    }
}
