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

const ELECTION_ACTIONS: &str = "Actions for --do, separated by ';':
  partition n1,n2|n3,n4,n5   cut n1>n2 (one way)   heal
  crash N   restart N        delay MS | delay A-B MS   loss PCT
  write KEY=VALUE @NODE      run MS                timeout N (its election timer fires now)
  majority on|off
Nodes are n1..nN. One JSON object per state: the initial one, then one per action.";

#[derive(Debug, clap::Args)]
#[command(after_help = ELECTION_ACTIONS)]
pub struct ElectionArgs {
    /// Nodes in the cluster, 1 to 9 (named n1..nN)
    #[arg(long, default_value_t = 5)]
    pub nodes: usize,
    /// Whether a leader needs a majority of votes and commits need a majority of copies
    #[arg(long, value_enum, default_value = "on")]
    pub majority: OnOff,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Actions to apply in order, separated by ';'
    #[arg(long = "do", value_name = "ACTIONS")]
    pub actions: Option<String>,
    /// JSON Lines output (one object per state)
    #[arg(long)]
    pub json: bool,
}

pub fn election(args: &ElectionArgs) -> Result<i32, String> {
    use super::raft::{Raft, RaftAction, RaftConfig};
    let config = RaftConfig {
        nodes: args.nodes,
        majority: args.majority.on(),
        seed: args.seed,
        ..RaftConfig::default()
    };
    config.validate()?;
    let texts: Vec<&str> = args
        .actions
        .as_deref()
        .unwrap_or("")
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect();
    // Every action parses before the first state prints, so a typo prints nothing.
    let actions: Vec<RaftAction> = texts
        .iter()
        .map(|t| RaftAction::parse(t, args.nodes))
        .collect::<Result<_, _>>()?;
    let mut raft = Raft::new(config)?;
    let mut out = io::stdout().lock();
    let mut print = |raft: &Raft, action: Option<&str>| {
        let m = raft.metrics();
        if args.json {
            let mut v = serde_json::to_value(&m).unwrap_or_default();
            v["action"] = serde_json::json!(action);
            let _ = writeln!(out, "{v}");
        } else {
            let leaders: Vec<String> = m
                .leaders
                .iter()
                .map(|l| format!("{} (term {})", l.node, l.term))
                .collect();
            let _ = writeln!(
                out,
                "{:>8.1} ms  {:<28} term {} · leaders: {} · elections {} · committed {} · conflicting {}{}",
                m.time_ms,
                action.unwrap_or("start"),
                m.term,
                if leaders.is_empty() {
                    "none".to_string()
                } else {
                    leaders.join(", ")
                },
                m.elections,
                m.committed,
                m.conflicting_writes,
                if m.split_brain { " · SPLIT BRAIN" } else { "" }
            );
        }
    };
    print(&raft, None);
    for (action, text) in actions.iter().zip(texts) {
        raft.apply(action);
        print(&raft, Some(text));
    }
    Ok(0)
}
