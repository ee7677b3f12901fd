//! `sdlab lab replication`: drives the engine headless and prints its states as JSON Lines (or a
//! line of text each), or runs the experiment mode's trials and prints one summary.

use std::io::{self, Write};

use super::actions::{Action, Target, HELP};
use super::config::{Delay, Mode, ReplicationConfig, Routing, MAX_REPLICAS};
use super::Replication;

pub const AFTER_HELP: &str = HELP;

#[derive(Debug, clap::Args)]
pub struct ReplicationArgs {
    /// Commit mode: async, semisync or sync
    #[arg(long, default_value = "async", allow_hyphen_values = true)]
    pub mode: String,
    /// Replicas r1..rN, 1 to 7
    #[arg(long, default_value = "2", allow_hyphen_values = true)]
    pub replicas: String,
    /// Semi-sync: replica acknowledgements to wait for (1 to the number of replicas)
    #[arg(long, default_value = "1", allow_hyphen_values = true)]
    pub acks: String,
    /// Every link's one-way delay: fixed:MS or exp:MEAN_MS, optionally +spike:PROB:MS
    #[arg(long, default_value = "fixed:100", allow_hyphen_values = true)]
    pub delay: String,
    /// Time an acknowledgement takes back to the primary, in ms
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    pub ack_delay: String,
    /// Writes a replica applies per second (0: each on arrival)
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    pub apply_rate: String,
    /// Semi-sync timeout before falling back to async, in ms (MySQL's default: 10000)
    #[arg(long, default_value = "10000", allow_hyphen_values = true)]
    pub semisync_timeout: String,
    /// Read routing: primary, random, round-robin, pinned, ryw-token or primary-after-write:MS
    #[arg(long, default_value = "random", allow_hyphen_values = true)]
    pub routing: String,
    #[arg(long, default_value = "42", allow_hyphen_values = true)]
    pub seed: String,
    /// Actions to apply in order, separated by ';'
    #[arg(long = "do", value_name = "ACTIONS")]
    pub actions: Option<String>,
    /// Experiment mode: run this many independent one-write, one-read trials
    #[arg(long, allow_hyphen_values = true)]
    pub trials: Option<String>,
    /// Experiment mode: read this many ms after the write's commit
    #[arg(long, allow_hyphen_values = true)]
    pub read_after: Option<String>,
    /// JSON Lines output (one object per state)
    #[arg(long)]
    pub json: bool,
}

fn num<T: std::str::FromStr>(flag: &str, s: &str, valid: &str) -> Result<T, String> {
    s.trim().parse().map_err(|_| format!("--{flag} {s:?}: must be {valid}"))
}

fn ms(flag: &str, s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && (0.0..=600_000.0).contains(&x) => Ok(x),
        _ => Err(format!("--{flag} {s:?}: must be milliseconds between 0 and 600000")),
    }
}

/// The config the flags describe, checked.
pub fn config(args: &ReplicationArgs) -> Result<ReplicationConfig, String> {
    let mode = Mode::parse(&args.mode).map_err(|e| format!("--mode: {e}"))?;
    let replicas: usize = num("replicas", &args.replicas, "a whole number between 1 and 7")?;
    if !(1..=MAX_REPLICAS).contains(&replicas) {
        return Err(format!("--replicas {replicas}: must be between 1 and {MAX_REPLICAS}"));
    }
    let acks: usize = num(
        "acks",
        &args.acks,
        "a whole number between 1 and the number of replicas",
    )?;
    if !(1..=replicas).contains(&acks) {
        return Err(format!(
            "--acks {acks}: must be between 1 and {replicas} (the number of replicas)"
        ));
    }
    let config = ReplicationConfig {
        mode,
        replicas,
        acks,
        delay: Delay::parse(&args.delay).map_err(|e| format!("--{e}"))?,
        ack_delay_ms: ms("ack-delay", &args.ack_delay)?,
        apply_rate: match args.apply_rate.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && (0.0..=1_000_000.0).contains(&x) => x,
            _ => {
                return Err(format!(
                    "--apply-rate {:?}: must be writes per second between 0 and 1000000",
                    args.apply_rate
                ))
            }
        },
        semisync_timeout_ms: match ms("semisync-timeout", &args.semisync_timeout)? {
            x if x >= 1.0 => x,
            _ => return Err("--semisync-timeout: must be at least 1 ms".into()),
        },
        routing: Routing::parse(&args.routing).map_err(|e| format!("--{e}"))?,
        seed: num("seed", &args.seed, "a whole number between 0 and 18446744073709551615")?,
        ..ReplicationConfig::default()
    };
    config.validate()?;
    Ok(config)
}

enum Step {
    Tick(u64),
    Act(Action),
}

fn parse_step(text: &str, config: &ReplicationConfig) -> Result<Step, String> {
    if let Some(n) = text.strip_prefix("tick ") {
        return match n.trim().parse::<u64>() {
            Ok(ms) if ms <= 86_400_000 => Ok(Step::Tick(ms)),
            _ => Err(format!("tick {n:?}: give whole milliseconds between 0 and 86400000")),
        };
    }
    let action = Action::parse(text)?;
    // Node names never change, so an unknown one is caught before anything prints.
    let named = match &action {
        Action::Crash(Target::Named(n))
        | Action::Restart(Target::Named(n))
        | Action::Partition(Target::Named(n))
        | Action::Slow(Target::Named(n), _)
        | Action::Delay(Target::Named(n), _)
        | Action::Promote(Some(n)) => Some(n.as_str()),
        _ => None,
    };
    if let Some(n) = named {
        let known = n == "p"
            || n.strip_prefix('r')
                .and_then(|i| i.parse::<usize>().ok())
                .is_some_and(|i| (1..=config.replicas).contains(&i));
        if !known {
            return Err(format!(
                "{text}: unknown node {n:?}; this run has p and r1 to r{}",
                config.replicas
            ));
        }
    }
    if let Action::Mode(_, Some(k)) = action {
        if !(1..=config.replicas).contains(&k) {
            return Err(format!(
                "{text}: acks must be between 1 and {} (the number of replicas)",
                config.replicas
            ));
        }
    }
    if let Action::Client { client, .. } = action {
        if client > config.clients {
            return Err(format!("{text}: this run has clients c1 to c{}", config.clients));
        }
    }
    Ok(Step::Act(action))
}

/// A state in one line of text.
pub fn describe(e: &Replication, action: Option<&str>) -> String {
    let m = e.metrics_json();
    let replicas: Vec<String> = e
        .replicas()
        .iter()
        .map(|r| {
            let health = if !r.up {
                " DOWN"
            } else if r.partitioned {
                " CUT"
            } else {
                ""
            };
            format!("{} pos {} lag {} ms{health}", r.name, r.applied, r.lag_ms)
        })
        .collect();
    format!(
        "{}t={:.3} s  {} · primary {} pos {}{} · {} · commit p50 {} ms · stale {}/{} reads · ryw {} · monotonic {} · lost {} · downtime {} ms · anomalies {}",
        action.map_or(String::new(), |a| format!("{a}\n  ")),
        e.now_ms() / 1000.0,
        m["mode"].as_str().unwrap_or(""),
        e.primary_name(),
        e.head(),
        if e.primary_up() { "" } else { " DOWN" },
        replicas.join(", "),
        m["commit_latency_ms"]["p50"],
        m["stale_reads"],
        m["reads"],
        m["ryw_violations"],
        m["monotonic_violations"],
        m["lost_writes"],
        m["downtime_ms"],
        m["anomaly_count"],
    )
}

pub fn run(args: &ReplicationArgs) -> Result<i32, String> {
    let config = config(args)?;
    let mut out = io::stdout().lock();
    if args.trials.is_some() || args.read_after.is_some() {
        let trials: usize = num(
            "trials",
            args.trials.as_deref().unwrap_or("10000"),
            "a whole number between 1 and 1000000",
        )?;
        let read_after = match args.read_after.as_deref() {
            None => 0.0,
            Some(s) => match s.trim().parse::<f64>() {
                Ok(x) if x.is_finite() && (0.0..=3_600_000.0).contains(&x) => x,
                _ => {
                    return Err(format!(
                        "--read-after {s:?}: must be milliseconds between 0 and 3600000"
                    ))
                }
            },
        };
        if args.actions.is_some() {
            return Err("--do and --trials: the experiment mode runs its own write and read; drop one".into());
        }
        let r = super::experiment(&config, trials, read_after)?;
        if args.json {
            let _ = writeln!(out, "{}", serde_json::to_string(&r).unwrap_or_default());
        } else {
            let _ = writeln!(
                out,
                "{} trials, {} with {} replica(s), delay {}: read {} ms after commit was stale in {} ({}); commit latency mean {} ms, p50 {} ms, p99 {} ms",
                r.trials,
                r.mode,
                r.replicas,
                r.delay,
                r.read_after_ms,
                r.stale_reads,
                r.stale_read_fraction,
                r.commit_latency_ms.mean,
                r.commit_latency_ms.p50,
                r.commit_latency_ms.p99
            );
        }
        return Ok(0);
    }
    let texts: Vec<&str> = args
        .actions
        .as_deref()
        .unwrap_or("")
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect();
    let steps: Vec<Step> = texts.iter().map(|t| parse_step(t, &config)).collect::<Result<_, _>>()?;
    let mut engine = Replication::new(config)?;
    let print = |out: &mut io::StdoutLock, e: &Replication, action: Option<&str>| {
        if args.json {
            let mut v = e.metrics_json();
            v["action"] = serde_json::json!(action);
            let _ = writeln!(out, "{v}");
        } else {
            let _ = writeln!(out, "{}", describe(e, action));
        }
    };
    print(&mut out, &engine, None);
    for (step, text) in steps.iter().zip(texts) {
        match step {
            Step::Tick(ms) => engine.tick(*ms),
            Step::Act(a) => engine.apply(a).map_err(|e| format!("{text}: {e}"))?,
        }
        print(&mut out, &engine, Some(text));
    }
    Ok(0)
}
