//! The consensus lab's headless commands: `sdlab lab quorum`, `election` and `lock`. Their flags
//! and JSON keys are a contract other tools check; keep them.

use std::io::{self, Write};

use super::quorum::{staleness, QuorumSpec};

#[derive(Debug, clap::Args)]
pub struct QuorumArgs {
    /// Replicas holding each key, 1 to 9
    #[arg(long)]
    pub n: usize,
    /// Replicas a read asks, 1 to N
    #[arg(long)]
    pub r: usize,
    /// Replicas a write waits for, 1 to N
    #[arg(long)]
    pub w: usize,
    /// Independent trials (a write, then a read), 1 to 100,000,000
    #[arg(long, default_value_t = 100_000)]
    pub trials: u64,
    /// Also measure reads that miss all of the last k writes, for k = 1..K (1 to 20)
    #[arg(long, default_value_t = 1)]
    pub k: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print one JSON object instead of a summary
    #[arg(long)]
    pub json: bool,
}

pub fn quorum(args: &QuorumArgs) -> Result<i32, String> {
    let q = QuorumSpec::new(args.n, args.r, args.w)?;
    let report = staleness(q, args.trials, args.k, args.seed)?;
    let mut out = io::stdout().lock();
    if args.json {
        let _ = writeln!(out, "{}", report.to_json());
    } else {
        let _ = writeln!(out, "{}", report.describe());
    }
    Ok(0)
}
