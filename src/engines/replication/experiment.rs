//! The experiment mode: many independent trials of "one write, then one read `t` ms after that
//! write's commit at a replica chosen uniformly at random", the setting in which the stale-read
//! probability and the commit latency have closed forms (see tests/replication.rs).

use serde::Serialize;

use super::{Change, ReplicationConfig, Routing, Value};
use crate::engines::sim::{self, SimRng};

#[derive(Debug, Clone, Serialize)]
pub struct LatencySummary {
    pub mean: f64,
    pub p50: f64,
    pub p99: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Experiment {
    pub mode: &'static str,
    pub replicas: usize,
    pub acks: usize,
    pub delay: String,
    pub read_after_ms: f64,
    pub trials: usize,
    pub stale_reads: usize,
    pub stale_read_fraction: f64,
    pub commit_latency_ms: LatencySummary,
}

/// Runs the trials. Each trial is a fresh engine with its own seed drawn from `config.seed`;
/// replicas apply each write the moment it arrives, so a link's delay is the whole lag.
pub fn experiment(config: &ReplicationConfig, trials: usize, read_after_ms: f64) -> Result<Experiment, String> {
    config.validate()?;
    if !(1..=1_000_000).contains(&trials) {
        return Err(format!("--trials {trials}: must be between 1 and 1000000"));
    }
    if !(read_after_ms.is_finite() && (0.0..=3_600_000.0).contains(&read_after_ms)) {
        return Err(format!(
            "--read-after {read_after_ms}: must be between 0 and 3600000 ms"
        ));
    }
    let mut seeds: SimRng = sim::rng(config.seed);
    let trial_config = ReplicationConfig {
        apply_rate: 0.0,
        clients: 1,
        routing: Routing::Random,
        write_rate: 0.0,
        read_rate: 0.0,
        auto_failover: false,
        ..config.clone()
    };
    let mut latencies = Vec::with_capacity(trials);
    let mut stale = 0;
    for _ in 0..trials {
        let mut engine = super::Replication::new(ReplicationConfig {
            seed: rand::RngExt::random(&mut seeds),
            ..trial_config.clone()
        })?;
        let key = engine.intern_key("x")?;
        engine.client_write(
            0,
            Change::Set {
                key,
                value: Value::Gen(1),
            },
            false,
        );
        while engine.stats.commits == 0 && engine.step() {}
        latencies.push(sim::us_to_ms(engine.now));
        engine.advance(sim::ms_to_us(read_after_ms));
        let before = engine.stats.stale_reads;
        engine.client_read(0, key, false);
        if engine.stats.stale_reads > before {
            stale += 1;
        }
    }
    let mean = latencies.iter().sum::<f64>() / trials as f64;
    latencies.sort_by(f64::total_cmp);
    Ok(Experiment {
        mode: config.mode.name(),
        replicas: config.replicas,
        acks: config.acks,
        delay: config.delay.describe(),
        read_after_ms,
        trials,
        stale_reads: stale,
        stale_read_fraction: sim::round6(stale as f64 / trials as f64),
        commit_latency_ms: LatencySummary {
            mean: sim::round6(mean),
            p50: sim::round6(sim::percentile(&latencies, 50.0).unwrap_or(0.0)),
            p99: sim::round6(sim::percentile(&latencies, 99.0).unwrap_or(0.0)),
        },
    })
}
