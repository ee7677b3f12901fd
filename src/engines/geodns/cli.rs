//! `sdlab lab geodns`: a run in logical time with failures and restores at given seconds,
//! printed as one JSON line every `--every` seconds.

use std::io::Write;

use super::{GeoDns, GeoDnsConfig};

pub const GEODNS_HELP: &str = "Actions for --do, separated by ';', each at a time in seconds:
  fail DC @T      the data center stops answering at T (DNS notices at the next health check)
  restore DC @T   it answers again
Each line covers the --every seconds before time_s: share (of requests per data center),
requests, failed_requests, dns_queries, up, dns_healthy, unreplicated_writes.";

#[derive(Debug, clap::Args)]
pub struct GeoDnsArgs {
    /// Regions with a data center, comma-separated
    #[arg(long, default_value = "us-east,eu-west,ap-northeast")]
    pub dcs: String,
    /// TTL of the DNS answer, seconds
    #[arg(long, default_value_t = 60.0, allow_negative_numbers = true)]
    pub dns_ttl: f64,
    /// Seconds between health checks
    #[arg(long, default_value_t = 10.0, allow_negative_numbers = true)]
    pub check_interval: f64,
    /// Requests per second from each user region
    #[arg(long, default_value_t = 20.0, allow_negative_numbers = true)]
    pub rate: f64,
    /// Replication lag between data centers, seconds
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true)]
    pub replication_lag: f64,
    /// Seconds per line
    #[arg(long, default_value_t = 10.0, allow_negative_numbers = true)]
    pub every: f64,
    /// Seconds to run (default: 120 s past the last action plus two TTLs)
    #[arg(long, allow_negative_numbers = true)]
    pub duration: Option<f64>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long = "do", value_name = "ACTIONS")]
    pub actions: Option<String>,
    /// JSON Lines output
    #[arg(long)]
    pub json: bool,
}

fn ms(name: &str, s: f64) -> Result<u64, String> {
    if !(0.0..=86_400.0 * 7.0).contains(&s) {
        return Err(format!("{name} must be 0 to 604,800 seconds (got {s})"));
    }
    Ok((s * 1000.0).round() as u64)
}

pub fn run(args: &GeoDnsArgs) -> Result<i32, String> {
    let config = GeoDnsConfig {
        dcs: args
            .dcs
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        dns_ttl_s: args.dns_ttl,
        check_interval_s: args.check_interval,
        rate: args.rate,
        replication_lag_s: args.replication_lag,
        seed: args.seed,
        ..GeoDnsConfig::default()
    };
    let mut g = GeoDns::new(config)?;
    let mut actions: Vec<(u64, String)> = Vec::new();
    for a in args
        .actions
        .as_deref()
        .unwrap_or("")
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        let (what, at) = a
            .rsplit_once('@')
            .ok_or_else(|| format!("{a}: say when, e.g. \"fail us-east @60\" (seconds)"))?;
        let t: f64 = at
            .trim()
            .parse()
            .map_err(|_| format!("{a}: {at:?} is not a number of seconds"))?;
        actions.push((ms("an action's time", t)?, what.trim().to_string()));
    }
    actions.sort_by_key(|(t, _)| *t);
    // Every action is checked on a copy first, so a typo prints nothing.
    let mut probe = g.clone();
    for (_, a) in &actions {
        probe.apply(a).map_err(|e| format!("{a}: {e}"))?;
    }
    let every = ms("--every", args.every)?.max(100);
    let last = actions.last().map_or(0, |(t, _)| *t);
    let duration = match args.duration {
        Some(d) => ms("--duration", d)?,
        None => last + 120_000 + 2 * ms("--dns-ttl", args.dns_ttl)?,
    };
    let mut out = std::io::stdout().lock();
    let mut pending = actions.into_iter().peekable();
    let mut now = 0u64;
    let mut done_actions: Vec<String> = Vec::new();
    while now < duration {
        let end = (now + every).min(duration);
        g.new_window();
        while let Some((t, a)) = pending.next_if(|(t, _)| *t < end) {
            g.advance(t.saturating_sub(now));
            now = now.max(t);
            g.apply(&a)?;
            done_actions.push(format!("{a} @{}", t as f64 / 1000.0));
        }
        g.advance(end - now);
        now = end;
        let mut v = g.metrics();
        v["actions"] = serde_json::json!(std::mem::take(&mut done_actions));
        if args.json {
            let _ = writeln!(out, "{v}");
        } else {
            let _ = writeln!(
                out,
                "t={}s share {} failed {}",
                v["time_s"], v["share"], v["failed_requests"]
            );
        }
    }
    Ok(0)
}
