//! The headless measurements behind `sdlab lab cache`: a stream of requests through one cache,
//! warm-up first, then counted. Also what the theory tests call.

use serde::Serialize;

use super::store::{Lookup, Policy, Store, TtlMode};
use super::theory;
use super::workload::{Requests, Workload};
use crate::engines::sim::{self, Micros};

/// A run of independent requests through a cache of fixed capacity.
#[derive(Debug, Clone)]
pub struct PolicyRun {
    pub policy: Policy,
    pub capacity: usize,
    pub catalog: usize,
    pub workload: Workload,
    pub requests: u64,
    /// Requests before counting starts; None for the default (see `default_warmup`).
    pub warmup: Option<u64>,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyResult {
    pub policy: &'static str,
    pub capacity: usize,
    pub catalog: usize,
    pub warmup: u64,
    pub requests: u64,
    pub hits: u64,
    pub misses: u64,
    pub hit_ratio: f64,
    pub evictions: u64,
    /// The closed form's hit ratio, when the policy has one under this workload.
    pub theory_hit_ratio: Option<f64>,
    pub theory: &'static str,
}

/// Enough requests to fill the cache several times over before counting: 10 × capacity, at
/// least 100,000.
pub fn default_warmup(capacity: usize) -> u64 {
    (capacity as u64).saturating_mul(10).max(100_000)
}

pub fn validate_common(catalog: usize, requests: u64) -> Result<(), String> {
    if catalog == 0 || catalog > 100_000_000 {
        return Err(format!("--catalog must be 1 to 100,000,000 items (got {catalog})"));
    }
    if requests == 0 || requests > 1_000_000_000 {
        return Err(format!("--requests must be 1 to 1,000,000,000 (got {requests})"));
    }
    Ok(())
}

impl PolicyRun {
    pub fn run(&self) -> Result<PolicyResult, String> {
        if self.capacity == 0 {
            return Err("--capacity must be at least 1 item".into());
        }
        validate_common(self.catalog, self.requests)?;
        let mut requests = Requests::new(&self.workload, self.catalog)?;
        let mut rng = sim::rng(self.seed);
        let mut store = Store::new(self.policy, self.capacity, self.catalog, None, self.seed ^ 0x5eed);
        let warmup = self.warmup.unwrap_or_else(|| default_warmup(self.capacity));
        for _ in 0..warmup {
            store.request(requests.next(&mut rng), 0);
        }
        store.stats = Default::default();
        for _ in 0..self.requests {
            store.request(requests.next(&mut rng), 0);
        }
        let s = store.stats;
        let theory_hit_ratio = self
            .workload
            .probabilities(self.catalog)
            .and_then(|p| theory::policy_hit_ratio(self.policy, &p, self.capacity))
            .map(sim::round6);
        Ok(PolicyResult {
            policy: self.policy.name(),
            capacity: self.capacity,
            catalog: self.catalog,
            warmup,
            requests: self.requests,
            hits: s.hits,
            misses: s.misses,
            hit_ratio: sim::round6(s.hits as f64 / self.requests as f64),
            evictions: s.evictions,
            theory_hit_ratio: if self.workload == Workload::Scan {
                None
            } else {
                theory_hit_ratio
            },
            theory: theory::model_name(self.policy),
        })
    }
}

/// Poisson requests at `rate` per second in total through an unbounded cache whose entries
/// live `ttl_ms`.
#[derive(Debug, Clone)]
pub struct TtlRun {
    pub ttl_ms: f64,
    pub mode: TtlMode,
    pub rate: f64,
    pub catalog: usize,
    pub workload: Workload,
    pub requests: u64,
    pub warmup: Option<u64>,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TtlResult {
    pub ttl_ms: f64,
    pub ttl_mode: &'static str,
    pub rate: f64,
    pub catalog: usize,
    pub warmup: u64,
    pub requests: u64,
    pub hits: u64,
    pub misses: u64,
    pub hit_ratio: f64,
    pub expirations: u64,
    pub theory_hit_ratio: Option<f64>,
    /// The closed form the mode is checked against, in words.
    pub theory: &'static str,
    /// Per item (most popular first): (requests, hits) while measuring; filled only by
    /// `run_per_item`.
    #[serde(skip)]
    pub per_item: Vec<(u64, u64)>,
}

pub fn ttl_model(mode: TtlMode) -> &'static str {
    match mode {
        TtlMode::Write => "expire after write: hit_i = λ_i·T / (1 + λ_i·T)",
        TtlMode::Access => "expire after access: hit_i = 1 − e^(−λ_i·T)",
    }
}

impl TtlRun {
    pub fn run(&self) -> Result<TtlResult, String> {
        self.measure(false)
    }

    pub fn run_per_item(&self) -> Result<TtlResult, String> {
        self.measure(true)
    }

    fn measure(&self, per_item: bool) -> Result<TtlResult, String> {
        if !(self.ttl_ms > 0.0 && self.ttl_ms <= 1e9) {
            return Err(format!(
                "--ttl must be a positive number of milliseconds (got {})",
                self.ttl_ms
            ));
        }
        if !(self.rate > 0.0 && self.rate <= 1e9) {
            return Err(format!(
                "--rate must be a positive number of requests per second (got {})",
                self.rate
            ));
        }
        validate_common(self.catalog, self.requests)?;
        let mut requests = Requests::new(&self.workload, self.catalog)?;
        let mut rng = sim::rng(self.seed);
        let ttl = sim::ms_to_us(self.ttl_ms).max(1);
        let mut store = Store::new(
            Policy::Lru,
            self.catalog,
            self.catalog,
            Some((ttl, self.mode)),
            self.seed,
        );
        let warmup = self.warmup.unwrap_or(100_000);
        let mean_gap_us = 1e6 / self.rate;
        // Time kept in f64 microseconds and rounded per request, so rounding never accumulates.
        let mut t = 0.0f64;
        let mut counts = if per_item {
            vec![(0u64, 0u64); self.catalog]
        } else {
            Vec::new()
        };
        for k in 0..warmup + self.requests {
            if k == warmup {
                store.stats = Default::default();
            }
            t += sim::exponential(&mut rng, mean_gap_us);
            let item = requests.next(&mut rng);
            let hit = match store.get(item, t.round() as Micros) {
                Lookup::Hit(_) => true,
                Lookup::Miss | Lookup::Expired => {
                    store.put(item, 0, false, t.round() as Micros);
                    false
                }
            };
            if per_item && k >= warmup {
                let c = &mut counts[item as usize];
                c.0 += 1;
                c.1 += u64::from(hit);
            }
        }
        let s = store.stats;
        let ttl_s = ttl as f64 / 1e6;
        let theory_hit_ratio = self.workload.probabilities(self.catalog).map(|p| {
            sim::round6(
                p.iter()
                    .map(|&pi| {
                        pi * match self.mode {
                            TtlMode::Write => theory::ttl_write(pi * self.rate, ttl_s),
                            TtlMode::Access => theory::ttl_access(pi * self.rate, ttl_s),
                        }
                    })
                    .sum(),
            )
        });
        Ok(TtlResult {
            ttl_ms: self.ttl_ms,
            ttl_mode: self.mode.name(),
            rate: self.rate,
            catalog: self.catalog,
            warmup,
            requests: self.requests,
            hits: s.hits,
            misses: s.misses,
            hit_ratio: sim::round6(s.hits as f64 / self.requests as f64),
            expirations: s.expirations,
            theory_hit_ratio,
            theory: ttl_model(self.mode),
            per_item: counts,
        })
    }
}
