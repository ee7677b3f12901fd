//! `sdlab lab autoscale` (a day of traffic against a scaling policy) and `sdlab lab cost`
//! (vertical against horizontal), headless.

use super::cost::{compare, CostInput};
use super::{AutoscaleConfig, Autoscaler, Curve, ScalingPolicy, Scheduled, PERIOD_S};

pub const AUTOSCALE_HELP: &str =
    "Prints JSON Lines: one object per --every seconds of simulated time (time_s, instances,
warming, desired, cpu, p99_ms, load, backlog, cost), then a summary object (summary: true) with
max_instances, instances_end, sla_breach_minutes, cost, cost_fixed_at_peak, scaling_actions.
Curves: steady:REQ_PER_MIN, daily (4K-16K req/min), blackfriday (10K, then 500K req/min from
08:30 to 12:00). Example: --policy target:70 --curve blackfriday --schedule \"07:30 min=150\"";

#[derive(Debug, clap::Args)]
pub struct AutoscaleArgs {
    /// target:60, step:70=+1,80=+2,90=+5 or simple:80=+2
    #[arg(long, default_value = "target:60")]
    pub policy: String,
    /// steady:REQ_PER_MIN, daily or blackfriday
    #[arg(long, default_value = "steady:10000")]
    pub curve: String,
    /// Requests per minute one instance serves flat out
    #[arg(long, default_value_t = 5000.0, allow_negative_numbers = true)]
    pub capacity: f64,
    #[arg(long, default_value_t = 2, allow_negative_numbers = true)]
    pub min: i64,
    #[arg(long, default_value_t = 200, allow_negative_numbers = true)]
    pub max: i64,
    /// Instances at the start (default: --min)
    #[arg(long)]
    pub desired: Option<u32>,
    /// Seconds after a scaling action before the next
    #[arg(long, default_value_t = 300, allow_negative_numbers = true)]
    pub cooldown: i64,
    /// Seconds a new instance takes before it serves
    #[arg(long, default_value_t = 120, allow_negative_numbers = true)]
    pub warmup: i64,
    /// Seconds after a scale-out before a scale-in
    #[arg(long, default_value_t = 600)]
    pub scale_in_delay: u64,
    /// A scheduled action, repeatable: "HH:MM min=N,max=N,desired=N"
    #[arg(long)]
    pub schedule: Vec<String>,
    /// p99 target in ms; minutes above it count as SLA breaches
    #[arg(long, default_value_t = 500.0)]
    pub sla_ms: f64,
    /// Price of one instance-hour (default: $100 a month)
    #[arg(long)]
    pub price: Option<f64>,
    /// Share of instances on spot capacity (0 to 1), at --spot-discount off
    #[arg(long, default_value_t = 0.0)]
    pub spot: f64,
    #[arg(long, default_value_t = 0.7)]
    pub spot_discount: f64,
    /// Hours to simulate
    #[arg(long, default_value_t = 24.0)]
    pub hours: f64,
    /// Seconds of simulated time per printed line (a multiple of 60)
    #[arg(long, default_value_t = 60)]
    pub every: u64,
    /// Arrivals exactly on the curve, without Poisson noise
    #[arg(long)]
    pub no_noise: bool,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// JSON Lines (the default output is a short text summary)
    #[arg(long)]
    pub json: bool,
}

pub fn config(a: &AutoscaleArgs) -> Result<AutoscaleConfig, String> {
    for (name, v) in [
        ("--min", a.min),
        ("--max", a.max),
        ("--cooldown", a.cooldown),
        ("--warmup", a.warmup),
    ] {
        if v < 0 {
            return Err(format!("{name} {v}: must be 0 or more"));
        }
    }
    if a.min < 1 {
        return Err("--min 0: the group needs at least one instance".into());
    }
    if !(a.hours.is_finite() && a.hours > 0.0 && a.hours <= 168.0) {
        return Err(format!("--hours {}: give more than 0 and at most 168", a.hours));
    }
    if a.every == 0 || !a.every.is_multiple_of(PERIOD_S) {
        return Err(format!(
            "--every {}: give a whole number of minutes in seconds (60, 300, …)",
            a.every
        ));
    }
    let config = AutoscaleConfig {
        curve: Curve::parse(&a.curve)?,
        capacity: a.capacity,
        policy: ScalingPolicy::parse(&a.policy)?,
        min: u32::try_from(a.min).map_err(|_| "--min is too large".to_string())?,
        max: u32::try_from(a.max).map_err(|_| "--max is too large".to_string())?,
        desired: a.desired,
        cooldown_s: a.cooldown as u64,
        warmup_s: a.warmup as u64,
        scale_in_delay_s: a.scale_in_delay,
        schedule: a
            .schedule
            .iter()
            .map(|s| Scheduled::parse(s))
            .collect::<Result<_, _>>()?,
        price_per_hour: a.price.unwrap_or(AutoscaleConfig::default().price_per_hour),
        spot_share: a.spot,
        spot_discount: a.spot_discount,
        sla_ms: a.sla_ms,
        duration_s: (a.hours * 3600.0).round() as u64,
        noise: !a.no_noise,
        seed: a.seed,
        ..AutoscaleConfig::default()
    };
    config.validate()?;
    Ok(config)
}

pub fn run_autoscale(a: &AutoscaleArgs) -> Result<i32, String> {
    let mut engine = Autoscaler::new(config(a)?)?;
    engine.run_to_end();
    let s = engine.summary();
    if a.json {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for m in engine.minutes.iter().filter(|m| m.time_s.is_multiple_of(a.every)) {
            let _ = writeln!(out, "{}", serde_json::to_string(m).unwrap_or_default());
        }
        let mut v = serde_json::to_value(&s).unwrap_or_default();
        v["summary"] = true.into();
        let _ = writeln!(out, "{v}");
        return Ok(0);
    }
    println!(
        "{} on {} for {:.1} h: up to {} instances, {} at the end; {} minutes with p99 over {} ms",
        s.policy,
        s.curve,
        s.time_s as f64 / 3600.0,
        s.max_instances,
        s.instances_end,
        s.sla_breach_minutes,
        a.sla_ms
    );
    println!(
        "  cost ${:.2} (${:.2} with {} instances all along); {} scaling actions; worst p99 {:.0} ms",
        s.cost, s.cost_fixed_at_peak, s.max_instances, s.scaling_actions, s.peak_p99_ms
    );
    Ok(0)
}

#[derive(Debug, clap::Args)]
pub struct CostArgs {
    /// Load to carry, requests per second
    #[arg(long, allow_negative_numbers = true)]
    pub load: f64,
    /// Requests per second one small server carries
    #[arg(long, default_value_t = 1000.0, allow_negative_numbers = true)]
    pub per_server: f64,
    /// Monthly price of one small server
    #[arg(long, default_value_t = 100.0, allow_negative_numbers = true)]
    pub price: f64,
    /// Monthly price of the load balancer in front of the horizontal option
    #[arg(long, default_value_t = 50.0, allow_negative_numbers = true)]
    pub lb_price: f64,
    #[arg(long)]
    pub json: bool,
}

pub fn run_cost(a: &CostArgs) -> Result<i32, String> {
    let r = compare(&CostInput {
        load: a.load,
        per_server: a.per_server,
        price: a.price,
        lb_price: a.lb_price,
    })?;
    if a.json {
        println!("{}", serde_json::to_string(&r).unwrap_or_default());
        return Ok(0);
    }
    match (&r.vertical.tier, r.vertical.cost) {
        (Some(tier), Some(c)) => println!("vertical:   one {tier} machine, ${c:.2}/month (a single point of failure)"),
        _ => println!(
            "vertical:   impossible: the largest machine carries {} req/s",
            r.vertical.ceiling
        ),
    }
    println!(
        "horizontal: {} servers behind a balancer, ${:.2}/month{}",
        r.horizontal.servers,
        r.horizontal.cost,
        if r.horizontal.spof {
            " (one server: still a single point of failure)"
        } else {
            ""
        }
    );
    println!(
        "cheaper: {}; above {} req/s horizontal never costs more",
        r.cheaper, r.break_even_load
    );
    Ok(0)
}
