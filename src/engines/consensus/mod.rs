//! The consensus lab's engines: how replicas agree, and what each design does when the network
//! splits. Four parts share one simulated network (`network`):
//!
//! - `quorum`: N/R/W quorums and the probability that a read is stale (PBS);
//! - `raft`: Raft-style leader election and a replicated log, with the majority rule as a
//!   toggle so the learner can cause split brain;
//! - `lock`: a lease-based lock with fencing tokens, and the paused client that outlives its
//!   lease;
//! - `cap`: the same cluster run as CP (majority quorums) or AP (any replica answers) under a
//!   partition;
//! - `voter`: the N/R/W quorum store in time: writes to all N that complete after W acks, read
//!   repair, anti-entropy, and a sloppy quorum with hinted handoff.
//!
//! Pure and deterministic: every engine owns its seeded RNG and a logical clock.

pub mod cap;
pub mod cli;
pub mod lab;
pub mod lock;
pub mod network;
pub mod quorum;
pub mod raft;
pub mod voter;

/// `n1` … `nN`.
pub fn node_name(i: usize) -> String {
    format!("n{}", i + 1)
}

/// The index of node `name` (n1..nN) in a cluster of `n`.
pub fn node_index(name: &str, n: usize) -> Result<usize, String> {
    name.trim()
        .strip_prefix('n')
        .and_then(|d| d.parse::<usize>().ok())
        .filter(|i| (1..=n).contains(i))
        .map(|i| i - 1)
        .ok_or_else(|| format!("unknown node {:?}: the nodes are n1 to n{n}", name.trim()))
}
