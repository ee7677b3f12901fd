//! `sdlab lab cdn`: traffic for a while, then each action followed by more traffic, printed as
//! one JSON line per state.

use std::io::Write;

use super::{Cdn, CdnConfig, Mode};

pub const CDN_HELP: &str = "Actions for --do, separated by ';' (each is followed by --step seconds of traffic):
  update NAME        a new version at the origin (edges keep serving theirs until it expires)
  purge NAME         edges drop their copy as the purge reaches them (the last after --purge-delay)
  publish NAME       a new version under a new (versioned) URL: no edge has it, none serves stale
  origin down|up     serve-stale on|off     max-age S     get REGION NAME     wait S
Objects: logo.png, app.js, style.css, hero.jpg, img/N.jpg. Each line covers the time since the
previous one (hit_ratio, origin_requests, origin_bytes, stale_served, failed_requests, latency_ms
per user region {p50, p99}); `total` holds the same counters since the start.";

#[derive(Debug, clap::Args)]
pub struct CdnArgs {
    /// Regions with an edge, comma-separated
    #[arg(long, default_value = "us-east,eu-west,ap-northeast")]
    pub edges: String,
    /// Regions users request from (default: every region)
    #[arg(long)]
    pub users: Option<String>,
    #[arg(long, default_value = "us-east")]
    pub origin: String,
    /// Region of an origin shield
    #[arg(long)]
    pub shield: Option<String>,
    /// pull (fetch on first request) or push (copied to every edge ahead of time)
    #[arg(long, default_value = "pull")]
    pub mode: String,
    /// Cache-Control max-age in seconds
    #[arg(long, default_value_t = 3600.0, allow_negative_numbers = true)]
    pub ttl: f64,
    /// Requests per second from each user region
    #[arg(long, default_value_t = 20.0, allow_negative_numbers = true)]
    pub rate: f64,
    /// Share of requests that are dynamic (never cached)
    #[arg(long, default_value_t = 0.2, allow_negative_numbers = true)]
    pub dynamic: f64,
    /// Seconds for a purge to reach the last edge
    #[arg(long, default_value_t = 5.0, allow_negative_numbers = true)]
    pub purge_delay: f64,
    /// Serve expired copies while the origin is down
    #[arg(long)]
    pub serve_stale: bool,
    /// Seconds of traffic before the first line
    #[arg(long, default_value_t = 300.0, allow_negative_numbers = true)]
    pub warm: f64,
    /// Seconds of traffic after each action
    #[arg(long, default_value_t = 60.0, allow_negative_numbers = true)]
    pub step: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long = "do", value_name = "ACTIONS")]
    pub actions: Option<String>,
    /// JSON Lines output
    #[arg(long)]
    pub json: bool,
}

fn seconds(name: &str, s: f64) -> Result<u64, String> {
    if !(0.0..=86_400.0 * 30.0).contains(&s) {
        return Err(format!("--{name} must be 0 to 2,592,000 seconds (got {s})"));
    }
    Ok((s * 1000.0).round() as u64)
}

pub fn run(args: &CdnArgs) -> Result<i32, String> {
    let mode = match args.mode.as_str() {
        "pull" => Mode::Pull,
        "push" => Mode::Push,
        m => return Err(format!("unknown mode {m:?}: use pull or push")),
    };
    let split = |s: &str| {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
    };
    let mut config = CdnConfig {
        edges: split(&args.edges),
        origin: args.origin.clone(),
        shield: args.shield.clone(),
        mode,
        max_age_s: args.ttl,
        rate: args.rate,
        dynamic_share: args.dynamic,
        purge_delay_s: args.purge_delay,
        serve_stale: args.serve_stale,
        seed: args.seed,
        ..CdnConfig::default()
    };
    if let Some(u) = &args.users {
        config.users = split(u);
    }
    let mut cdn = Cdn::new(config)?;
    let (warm, step) = (seconds("warm", args.warm)?, seconds("step", args.step)?);
    let actions: Vec<&str> = args
        .actions
        .as_deref()
        .unwrap_or("")
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect();
    // Every action is checked on a copy first, so a typo prints nothing.
    let mut probe = cdn.clone();
    for a in &actions {
        match a.strip_prefix("wait ") {
            Some(s) => {
                seconds(
                    "wait",
                    s.trim().parse().map_err(|_| format!("{a}: not a number of seconds"))?,
                )?;
            }
            None => probe.apply(a).map_err(|e| format!("{a}: {e}"))?,
        }
    }
    let mut out = std::io::stdout().lock();
    let mut print = |cdn: &Cdn, action: Option<&str>| {
        let mut v = cdn.metrics();
        v["action"] = serde_json::json!(action);
        if args.json {
            let _ = writeln!(out, "{v}");
        } else {
            let _ = writeln!(
                out,
                "t={}s {}: hit ratio {:.3}, origin {} requests / {} bytes, stale {}, failed {}",
                v["time_s"],
                action.unwrap_or("start"),
                v["hit_ratio"].as_f64().unwrap_or(0.0),
                v["origin_requests"],
                v["origin_bytes"],
                v["stale_served"],
                v["failed_requests"]
            );
        }
    };
    cdn.advance(warm);
    print(&cdn, None);
    for a in actions {
        cdn.new_window();
        match a.strip_prefix("wait ") {
            Some(s) => cdn.advance(seconds("wait", s.trim().parse().unwrap_or(0.0))?),
            None => {
                cdn.apply(a)?;
                cdn.advance(step);
            }
        }
        print(&cdn, Some(a));
    }
    Ok(0)
}
