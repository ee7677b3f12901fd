//! The cache lab's engine: what hit ratio a cache of a given size gets under each eviction
//! policy and TTL, checked against the closed forms in `theory`.

pub mod cli;
pub mod cluster;
pub mod lab;
pub mod run;
pub mod store;
pub mod theory;
pub mod timed;
pub mod workload;

pub use store::{Evicted, Lookup, Policy, SlotView, Store, StoreStats, TtlMode};
pub use workload::{zipf_probabilities, Requests, Workload};
