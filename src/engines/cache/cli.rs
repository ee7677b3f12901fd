//! `sdlab lab cache`: one measurement, printed as one JSON object (or a line of text).

use std::io::Write;

use super::run::{PolicyRun, TtlRun};
use super::store::{Policy, TtlMode};
use super::workload::Workload;

pub const CACHE_HELP: &str = "Two measurements:
  eviction: --policy P --capacity C [--catalog N --zipf A --requests R --warmup W --seed S]
  TTL:      --ttl MS --ttl-mode write|access --rate PER_S [--catalog N --zipf A --requests R]
            (unbounded capacity, Poisson arrivals)
Both print hit_ratio, hits, requests (counted after the warm-up) and the closed form the
engine is checked against (theory_hit_ratio, theory).";

#[derive(Debug, clap::Args)]
pub struct CacheArgs {
    /// Eviction policy: lru, lfu (counts while cached), lfu-global (counts ever), fifo, random
    #[arg(long, default_value = "lru")]
    pub policy: String,
    /// Cache capacity in items (eviction measurement)
    #[arg(long)]
    pub capacity: Option<usize>,
    /// Number of distinct items
    #[arg(long, default_value_t = 100_000)]
    pub catalog: usize,
    /// Zipf skew of popularity (0 is uniform)
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub zipf: f64,
    /// Workload instead of Zipf: uniform, scan (sequential, wrapping) or hot (one hot key)
    #[arg(long)]
    pub workload: Option<String>,
    /// The hot key's share of requests (with --workload hot)
    #[arg(long, default_value_t = 0.5)]
    pub hot_share: f64,
    /// Requests counted after the warm-up
    #[arg(long, default_value_t = 1_000_000)]
    pub requests: u64,
    /// Requests before counting starts (default: 10 × capacity, at least 100,000)
    #[arg(long)]
    pub warmup: Option<u64>,
    /// Entry lifetime in milliseconds (TTL measurement)
    #[arg(long, allow_negative_numbers = true)]
    pub ttl: Option<f64>,
    /// When the TTL clock restarts: write (expire after write) or access (expire after access)
    #[arg(long, default_value = "write")]
    pub ttl_mode: String,
    /// Requests per second, all items together (TTL measurement)
    #[arg(long, default_value_t = 1000.0, allow_negative_numbers = true)]
    pub rate: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

impl CacheArgs {
    fn workload(&self) -> Result<Workload, String> {
        let w = match self.workload.as_deref() {
            None | Some("zipf") => Workload::Zipf { alpha: self.zipf },
            Some("uniform") => Workload::Uniform,
            Some("scan") => Workload::Scan,
            Some("hot") => Workload::HotKey { share: self.hot_share },
            Some(other) => {
                return Err(format!("unknown workload {other:?}: use zipf, uniform, scan or hot"));
            }
        };
        if self.zipf < 0.0 || !self.zipf.is_finite() {
            return Err(format!("--zipf must be 0 or more (0 is uniform; got {})", self.zipf));
        }
        w.validate()?;
        Ok(w)
    }
}

pub fn run(args: &CacheArgs) -> Result<i32, String> {
    let policy = Policy::parse(&args.policy)?;
    let mode = TtlMode::parse(&args.ttl_mode)?;
    let workload = args.workload()?;
    let mut out = std::io::stdout().lock();
    match args.ttl {
        Some(ttl_ms) => {
            if args.capacity.is_some() {
                return Err("--ttl measures an unbounded cache: leave out --capacity".into());
            }
            let r = TtlRun {
                ttl_ms,
                mode,
                rate: args.rate,
                catalog: args.catalog,
                workload,
                requests: args.requests,
                warmup: args.warmup,
                seed: args.seed,
            }
            .run()?;
            if args.json {
                let _ = writeln!(out, "{}", serde_json::to_value(&r).unwrap_or_default());
            } else {
                let _ = writeln!(
                    out,
                    "{} TTL {} ms at {}/s over {} items: hit ratio {:.4} ({} of {} requests); theory {} ({})",
                    r.ttl_mode,
                    r.ttl_ms,
                    r.rate,
                    r.catalog,
                    r.hit_ratio,
                    r.hits,
                    r.requests,
                    r.theory_hit_ratio.map_or("-".into(), |h| format!("{h:.4}")),
                    r.theory
                );
            }
        }
        None => {
            let capacity = args
                .capacity
                .ok_or("give --capacity C (items) to measure eviction, or --ttl MS to measure a TTL")?;
            let r = PolicyRun {
                policy,
                capacity,
                catalog: args.catalog,
                workload,
                requests: args.requests,
                warmup: args.warmup,
                seed: args.seed,
            }
            .run()?;
            if args.json {
                let _ = writeln!(out, "{}", serde_json::to_value(&r).unwrap_or_default());
            } else {
                let _ = writeln!(
                    out,
                    "{} with {} of {} items: hit ratio {:.4} ({} of {} requests), {} evictions; theory {} ({})",
                    r.policy,
                    r.capacity,
                    r.catalog,
                    r.hit_ratio,
                    r.hits,
                    r.requests,
                    r.evictions,
                    r.theory_hit_ratio.map_or("-".into(), |h| format!("{h:.4}")),
                    r.theory
                );
            }
        }
    }
    Ok(0)
}
