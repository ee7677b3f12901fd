//! Live mini-engines: pure, deterministic simulations the learner drives from the keyboard.
//!
//! Every engine is its config plus the log of actions applied to it, so undo is a replay
//! without the last action, reset a replay of none, and a scenario (config + actions) can be
//! saved and shared as TOML. Engines that evolve in time get `tick` actions in the same log,
//! driven by a logical clock, never the wall clock.

pub mod autoscale;
pub mod balancer;
pub mod cache;
pub mod cdn;
pub mod consensus;
pub mod geodns;
pub mod goal;
pub mod lab;
pub mod queue;
pub mod replication;
pub mod ring;
pub mod sim;

pub use lab::{registry, Lab, LabInfo};
