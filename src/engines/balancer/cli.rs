//! `sdlab lab balancer`: one experiment, headless, printed as one summary.

use super::{Balancer, BalancerConfig, HealthCheck, Policy, ServiceTime, SessionStore};

pub const ACTIONS: &str = "Actions for --do, separated by ';', each optionally at a time @T (seconds, or 500ms, 2m):
  crash NAME        revive NAME       slow NAME K (service times ×K; 1 restores)
  add [NAME]        remove NAME (drained first, see --drain)      weight NAME W
  policy P          sessions memory|shared|jwt                     arrival RATE
  spike FACTOR SECONDS                health INTERVAL [UNHEALTHY HEALTHY] | health off
Servers are named s1, s2, …  Example: --do \"crash s2 @10; revive s2 @40\".
Prints one JSON object: wait_ms and response_ms {mean, p50, p99}, p_wait, utilisation,
per_server [{name, requests, utilisation, …}], failed, sessions_lost, stable, theory and more.";

#[derive(Debug, clap::Args)]
pub struct BalancerArgs {
    /// Number of servers
    #[arg(long, default_value_t = 3, allow_negative_numbers = true, value_name = "C")]
    pub servers: i64,
    /// Arrival rate λ, requests per second (Poisson)
    #[arg(long, default_value_t = 20.0, allow_negative_numbers = true, value_name = "λ")]
    pub arrival: f64,
    /// Service rate μ of one server, requests per second
    #[arg(long, default_value_t = 10.0, allow_negative_numbers = true, value_name = "μ")]
    pub service: f64,
    /// rr, wrr, random, least, p2c, ip-hash, sticky or shared-queue
    #[arg(long, default_value = "rr")]
    pub policy: String,
    /// Requests measured (after the warm-up)
    #[arg(long, default_value_t = 100_000, allow_negative_numbers = true)]
    pub requests: i64,
    /// Requests left out of the statistics first (default: a tenth of --requests)
    #[arg(long, allow_negative_numbers = true)]
    pub warmup: Option<i64>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Actions, separated by ';', e.g. "crash s2 @10; revive s2 @40"
    #[arg(long = "do", value_name = "ACTIONS")]
    pub actions: Option<String>,
    /// Fixed service times of exactly 1/μ instead of exponential ones
    #[arg(long)]
    pub fixed: bool,
    /// Requests one server works on at once
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Requests a server's queue holds; more are refused (default: unbounded)
    #[arg(long)]
    pub queue_limit: Option<usize>,
    /// Where sessions live: memory, shared or jwt (default: memory for ip-hash and sticky)
    #[arg(long)]
    pub sessions: Option<String>,
    /// Weights for wrr, one per server: 3,1,1
    #[arg(long)]
    pub weights: Option<String>,
    /// Health-check interval in seconds (0 turns checks off)
    #[arg(long, default_value_t = HealthCheck::default().interval_s)]
    pub health_interval: f64,
    /// Failed checks in a row that take a server out of rotation
    #[arg(long, default_value_t = HealthCheck::default().unhealthy)]
    pub unhealthy: u32,
    /// Passed checks in a row that put it back
    #[arg(long, default_value_t = HealthCheck::default().healthy)]
    pub healthy: u32,
    /// Seconds a removed server may finish its requests (connection draining)
    #[arg(long, default_value_t = 30.0)]
    pub drain: f64,
    /// Number of users (sessions)
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

/// At most this many requests: their latencies are kept for exact percentiles.
const MAX_REQUESTS: i64 = 10_000_000;

pub fn config(args: &BalancerArgs) -> Result<BalancerConfig, String> {
    if args.servers < 1 {
        return Err(format!("--servers {}: give at least one server", args.servers));
    }
    if !(1..=MAX_REQUESTS).contains(&args.requests) {
        return Err(format!("--requests {}: give 1 to 10,000,000", args.requests));
    }
    let warmup = args.warmup.unwrap_or(args.requests / 10);
    if !(0..=MAX_REQUESTS).contains(&warmup) {
        return Err(format!("--warmup {warmup}: give 0 to 10,000,000"));
    }
    if !(args.arrival.is_finite() && args.arrival >= 0.0) {
        return Err(format!(
            "--arrival {}: the arrival rate must be 0 or more requests per second",
            args.arrival
        ));
    }
    if !(args.service.is_finite() && args.service > 0.0) {
        return Err(format!(
            "--service {}: the service rate must be above 0 requests per second",
            args.service
        ));
    }
    let weights = match &args.weights {
        None => Vec::new(),
        Some(w) => w
            .split(',')
            .map(|x| {
                x.trim()
                    .parse::<u32>()
                    .map_err(|_| format!("--weights: {x:?} is not a whole number"))
            })
            .collect::<Result<_, _>>()?,
    };
    let config = BalancerConfig {
        servers: args.servers as usize,
        arrival: args.arrival,
        service: args.service,
        service_time: if args.fixed {
            ServiceTime::Fixed
        } else {
            ServiceTime::Exponential
        },
        policy: Policy::parse(&args.policy)?,
        concurrency: args.concurrency,
        queue_limit: args.queue_limit,
        weights,
        health: HealthCheck {
            interval_s: args.health_interval,
            unhealthy: args.unhealthy,
            healthy: args.healthy,
        },
        sessions: args.sessions.as_deref().map(SessionStore::parse).transpose()?,
        users: args.users,
        drain_s: args.drain,
        warmup: warmup as u64,
        requests: Some(args.requests as u64),
        sample_cap: args.requests as usize,
        seed: args.seed,
        ..BalancerConfig::default()
    };
    config.validate()?;
    Ok(config)
}

pub fn run(args: &BalancerArgs) -> Result<i32, String> {
    let config = config(args)?;
    let mut b = Balancer::new(config)?;
    for a in args
        .actions
        .as_deref()
        .unwrap_or("")
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        b.apply_text(a).map_err(|e| format!("--do {a:?}: {e}"))?;
    }
    b.run_to_completion();
    let m = b.metrics();
    if args.json {
        println!("{}", serde_json::to_string(&m).unwrap_or_default());
        return Ok(0);
    }
    println!(
        "{} over {} servers at λ = {} req/s, μ = {} req/s each: offered load {:.3}{}",
        m.policy,
        m.servers,
        m.arrival,
        m.service,
        m.offered_load,
        if m.stable {
            ""
        } else {
            " — UNSTABLE: the queues grow without bound (λ ≥ C·μ)"
        }
    );
    println!(
        "  {} requests: response mean {:.2} ms, p50 {:.2}, p99 {:.2}; waited {:.1}% (mean wait {:.2} ms)",
        m.requests,
        m.response_ms.mean,
        m.response_ms.p50,
        m.response_ms.p99,
        m.p_wait * 100.0,
        m.wait_ms.mean
    );
    if let Some(t) = m.theory {
        println!(
            "  {} predicts: response mean {:.2} ms, mean wait {:.2} ms{}",
            t.model,
            t.response_ms,
            t.wait_ms,
            t.p_wait
                .map_or(String::new(), |p| format!(", waited {:.1}%", p * 100.0))
        );
    }
    println!(
        "  failed {} (sent to a dead server {}), sessions lost {}, utilisation {:.1}%",
        m.failed,
        m.requests_to_dead_server,
        m.sessions_lost,
        m.utilisation * 100.0
    );
    for s in &m.per_server {
        println!(
            "  {:<6} {:>9} requests  {:>5.1}% busy",
            s.name,
            s.requests,
            s.utilisation * 100.0
        );
    }
    Ok(0)
}
