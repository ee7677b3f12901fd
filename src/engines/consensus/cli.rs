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

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

impl OnOff {
    pub fn on(self) -> bool {
        self == OnOff::On
    }
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "The schedule: c1 takes the lock, pauses for --pause ms, then writes and releases; c2 asks for the lock 10 ms in, writes once it holds it, and releases."
)]
pub struct LockArgs {
    /// Lease length in ms, 1 to 600000
    #[arg(long)]
    pub lease: u64,
    /// How long c1 pauses (a GC pause) between taking the lock and writing, in ms, 0 to 600000
    #[arg(long)]
    pub pause: u64,
    /// Whether storage checks fencing tokens
    #[arg(long, value_enum, default_value = "on")]
    pub fencing: OnOff,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print one JSON object instead of a summary
    #[arg(long)]
    pub json: bool,
}

pub fn lock(args: &LockArgs) -> Result<i32, String> {
    use super::lock::{LockConfig, LockLab};
    let mut lab = LockLab::new(LockConfig {
        lease_ms: args.lease,
        pause_ms: args.pause,
        fencing: args.fencing.on(),
        seed: args.seed,
        ..LockConfig::default()
    })?;
    lab.run_to_quiet(args.lease + args.pause + 60_000);
    let m = lab.metrics();
    let mut out = io::stdout().lock();
    if args.json {
        let _ = writeln!(out, "{}", serde_json::to_value(&m).unwrap_or_default());
    } else {
        let tokens: Vec<String> = m.tokens.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "lease {} ms, pause {} ms, fencing {}: tokens issued {}; stale writes accepted {}, rejected {}; data {}",
            m.lease_ms,
            m.pause_ms,
            if m.fencing { "on" } else { "off" },
            tokens.join(", "),
            m.stale_writes_accepted,
            m.stale_writes_rejected,
            if m.corrupted { "CORRUPTED" } else { "intact" }
        );
        if let Some(s) = &m.stored {
            let _ = writeln!(
                out,
                "storage holds {:?}, written by {} with token {}",
                s.value, s.writer, s.token
            );
        }
    }
    Ok(0)
}
