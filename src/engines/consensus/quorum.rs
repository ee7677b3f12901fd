//! Dynamo-style N/R/W quorums and how often a read misses the latest write: the
//! Probabilistically Bounded Staleness experiment (Bailis et al., VLDB 2012) run as a Monte
//! Carlo trial, next to its closed form.
//!
//! A trial writes to exactly W of N replicas picked at random (nothing spreads the write
//! afterwards), then reads R distinct random replicas. The read is stale when none of the R holds
//! the write; for k-staleness, K writes each land on their own random W-set and the read is
//! k-stale when it sees none of the last k versions.

use rand::RngExt;
use serde::Serialize;

use crate::engines::sim::{self, round6, SimRng};

/// The largest cluster the lab simulates.
pub const MAX_NODES: usize = 9;
pub const MAX_TRIALS: u64 = 100_000_000;
pub const MAX_K: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QuorumSpec {
    pub n: usize,
    pub r: usize,
    pub w: usize,
}

impl QuorumSpec {
    pub fn new(n: usize, r: usize, w: usize) -> Result<QuorumSpec, String> {
        if !(1..=MAX_NODES).contains(&n) {
            return Err(format!("N = {n}: a cluster has 1 to {MAX_NODES} replicas"));
        }
        if !(1..=n).contains(&r) {
            return Err(format!("R = {r}: a read asks 1 to N = {n} replicas"));
        }
        if !(1..=n).contains(&w) {
            return Err(format!("W = {w}: a write waits for 1 to N = {n} replicas"));
        }
        Ok(QuorumSpec { n, r, w })
    }

    /// R + W > N: every read set meets every write set, so no read is ever stale.
    pub fn strict(&self) -> bool {
        self.r + self.w > self.n
    }

    /// A majority of N (the smallest quorum two of which always share a node).
    pub fn majority(n: usize) -> usize {
        n / 2 + 1
    }
}

/// C(n, k) exactly (n ≤ 9 here, far from overflow).
pub fn binomial(n: usize, k: usize) -> u64 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    (0..k).fold(1u64, |acc, i| acc * (n - i) as u64 / (i + 1) as u64)
}

/// The probability that a read of R misses one write of W: C(N−W, R) / C(N, R) (PBS, §3.1).
pub fn p_stale_theory(q: QuorumSpec) -> f64 {
    binomial(q.n - q.w, q.r) as f64 / binomial(q.n, q.r) as f64
}

/// The probability that a read misses each of the last k independent writes: the single-write
/// probability to the power k, because the k write sets are drawn independently (PBS, §3.2).
pub fn p_stale_k_theory(q: QuorumSpec, k: usize) -> f64 {
    p_stale_theory(q).powi(k as i32)
}

/// `size` distinct replicas out of `n`, as a bit set (a partial Fisher–Yates shuffle).
fn random_set(rng: &mut SimRng, n: usize, size: usize) -> u16 {
    let mut ids: [u8; MAX_NODES] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    let mut set = 0u16;
    for i in 0..size {
        let j = rng.random_range(i..n);
        ids.swap(i, j);
        set |= 1 << ids[i];
    }
    set
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StalenessReport {
    pub n: usize,
    pub r: usize,
    pub w: usize,
    pub strict: bool,
    pub trials: u64,
    pub seed: u64,
    /// Share of reads that missed the latest write.
    pub p_stale: f64,
    /// C(N−W, R) / C(N, R).
    pub p_stale_theory: f64,
    /// One standard error of `p_stale` under the theory: sqrt(p (1 − p) / trials).
    pub std_error: f64,
    /// For k = 1..K: share of reads that returned none of the last k versions.
    pub p_stale_k: Vec<f64>,
    pub p_stale_k_theory: Vec<f64>,
}

/// Runs `trials` independent trials of K writes followed by one read.
pub fn staleness(q: QuorumSpec, trials: u64, k: usize, seed: u64) -> Result<StalenessReport, String> {
    if !(1..=MAX_TRIALS).contains(&trials) {
        return Err(format!("trials = {trials}: run 1 to {MAX_TRIALS} trials"));
    }
    if !(1..=MAX_K).contains(&k) {
        return Err(format!("k = {k}: look back over 1 to {MAX_K} versions"));
    }
    let mut rng = sim::rng(seed);
    // misses[j]: reads that saw none of the last j + 1 writes.
    let mut misses = vec![0u64; k];
    let mut writes = [0u16; MAX_K];
    for _ in 0..trials {
        // Oldest first, so writes[k - 1] is the latest version.
        for slot in writes.iter_mut().take(k) {
            *slot = random_set(&mut rng, q.n, q.w);
        }
        let read = random_set(&mut rng, q.n, q.r);
        let mut seen = 0u16;
        for (j, miss) in misses.iter_mut().enumerate() {
            seen |= writes[k - 1 - j];
            if seen & read != 0 {
                break;
            }
            *miss += 1;
        }
    }
    let theory = p_stale_theory(q);
    let p_stale_k: Vec<f64> = misses.iter().map(|&m| round6(m as f64 / trials as f64)).collect();
    Ok(StalenessReport {
        n: q.n,
        r: q.r,
        w: q.w,
        strict: q.strict(),
        trials,
        seed,
        p_stale: p_stale_k[0],
        p_stale_theory: round6(theory),
        std_error: round6((theory * (1.0 - theory) / trials as f64).sqrt()),
        p_stale_k_theory: (1..=k).map(|j| round6(p_stale_k_theory(q, j))).collect(),
        p_stale_k,
    })
}

impl StalenessReport {
    /// The CLI's object: `p_stale_k` keyed "1".."K".
    pub fn to_json(&self) -> serde_json::Value {
        let keyed = |v: &[f64]| -> serde_json::Map<String, serde_json::Value> {
            v.iter()
                .enumerate()
                .map(|(i, p)| ((i + 1).to_string(), (*p).into()))
                .collect()
        };
        serde_json::json!({
            "n": self.n,
            "r": self.r,
            "w": self.w,
            "strict": self.strict,
            "trials": self.trials,
            "seed": self.seed,
            "p_stale": self.p_stale,
            "p_stale_theory": self.p_stale_theory,
            "std_error": self.std_error,
            "p_stale_k": keyed(&self.p_stale_k),
            "p_stale_k_theory": keyed(&self.p_stale_k_theory),
        })
    }

    pub fn describe(&self) -> String {
        let mut s = format!(
            "N={} R={} W={} ({}): {} trials, {:.4} of reads stale · theory C(N−W,R)/C(N,R) = {:.4}",
            self.n,
            self.r,
            self.w,
            if self.strict {
                "R + W > N, strict quorum"
            } else {
                "R + W ≤ N, partial quorum"
            },
            self.trials,
            self.p_stale,
            self.p_stale_theory
        );
        if self.p_stale_k.len() > 1 {
            let ks: Vec<String> = self
                .p_stale_k
                .iter()
                .zip(&self.p_stale_k_theory)
                .enumerate()
                .map(|(i, (m, t))| format!("k={}: {m:.4} (theory {t:.4})", i + 1))
                .collect();
            s.push_str(&format!("\nmissing all of the last k versions: {}", ks.join(", ")));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomials() {
        assert_eq!(binomial(5, 2), 10);
        assert_eq!(binomial(7, 0), 1);
        assert_eq!(binomial(3, 4), 0);
        assert_eq!(binomial(9, 4), 126);
    }

    #[test]
    fn random_sets_have_the_requested_size_and_stay_in_range() {
        let mut rng = sim::rng(1);
        for n in 1..=MAX_NODES {
            for size in 0..=n {
                let s = random_set(&mut rng, n, size);
                assert_eq!(s.count_ones() as usize, size);
                assert_eq!(s >> n, 0);
            }
        }
    }

    #[test]
    fn bad_quorums_say_what_is_valid() {
        assert!(QuorumSpec::new(3, 4, 1).unwrap_err().contains("1 to N = 3"));
        assert!(QuorumSpec::new(10, 1, 1).unwrap_err().contains("1 to 9"));
        assert!(QuorumSpec::new(3, 1, 0).is_err());
    }
}

/// The staleness experiment as a lab: change N, R, W or K and it measures again.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuorumConfig {
    pub n: usize,
    pub r: usize,
    pub w: usize,
    pub trials: u64,
    pub k: usize,
    pub seed: u64,
}

impl Default for QuorumConfig {
    fn default() -> Self {
        QuorumConfig {
            n: 5,
            r: 1,
            w: 1,
            trials: 100_000,
            k: 3,
            seed: 42,
        }
    }
}

impl QuorumConfig {
    pub fn validate(&self) -> Result<(), String> {
        QuorumSpec::new(self.n, self.r, self.w)?;
        if !(1..=10_000_000).contains(&self.trials) {
            return Err(format!("trials = {}: the lab runs 1 to 10,000,000 trials", self.trials));
        }
        if !(1..=MAX_K).contains(&self.k) {
            return Err(format!("k = {}: look back over 1 to {MAX_K} versions", self.k));
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct QuorumLab {
    pub config: QuorumConfig,
    pub report: StalenessReport,
}

impl QuorumLab {
    pub fn new(config: QuorumConfig) -> Result<QuorumLab, String> {
        config.validate()?;
        let q = QuorumSpec::new(config.n, config.r, config.w)?;
        let report = staleness(q, config.trials, config.k, config.seed)?;
        Ok(QuorumLab { config, report })
    }

    /// Actions: `n N`, `r R`, `w W`, `k K`, `trials T`, `seed S`, `rerun` (the next seed).
    /// Changing N clamps R and W into 1..=N.
    pub fn apply(&mut self, action: &str) -> Result<(), String> {
        let action = action.trim();
        let (verb, arg) = action.split_once(char::is_whitespace).unwrap_or((action, ""));
        let mut c = self.config.clone();
        let num = || -> Result<u64, String> {
            arg.trim()
                .parse::<u64>()
                .map_err(|_| format!("{verb} {arg:?}: give a whole number"))
        };
        match verb {
            "n" => {
                c.n = num()? as usize;
                c.r = c.r.clamp(1, c.n.max(1));
                c.w = c.w.clamp(1, c.n.max(1));
            }
            "r" => c.r = num()? as usize,
            "w" => c.w = num()? as usize,
            "k" => c.k = num()? as usize,
            "trials" => c.trials = num()?,
            "seed" => c.seed = num()?,
            "rerun" if arg.is_empty() => c.seed = c.seed.wrapping_add(1),
            _ => {
                return Err(format!(
                    "unknown action {action:?}: use n N, r R, w W, k K, trials T, seed S or rerun"
                ))
            }
        }
        *self = QuorumLab::new(c)?;
        Ok(())
    }
}

/// One trial drawn the way the experiment draws them, for the lab to show: the replicas the
/// latest write landed on and the ones the read asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExampleTrial {
    /// Bit i set: replica i holds the write.
    pub write: u16,
    /// Bit i set: the read asked replica i.
    pub read: u16,
}

impl ExampleTrial {
    /// No replica the read asked holds the write.
    pub fn stale(&self) -> bool {
        self.write & self.read == 0
    }
}

impl QuorumLab {
    /// A trial of the lab's N, R, W drawn from its own stream (seeded from the lab's seed), so
    /// the picture changes with `rerun` but never moves the measured numbers.
    pub fn example(&self) -> ExampleTrial {
        let mut rng = sim::rng(self.config.seed ^ 0x05ee_d0f7_a1a1);
        ExampleTrial {
            write: random_set(&mut rng, self.config.n, self.config.w),
            read: random_set(&mut rng, self.config.n, self.config.r),
        }
    }
}

#[cfg(test)]
mod lab_tests {
    use super::*;

    #[test]
    fn raising_r_past_n_minus_w_makes_reads_fresh() {
        let mut lab = QuorumLab::new(QuorumConfig {
            trials: 20_000,
            ..QuorumConfig::default()
        })
        .unwrap();
        assert!(lab.report.p_stale > 0.7);
        lab.apply("r 3").unwrap();
        lab.apply("w 3").unwrap();
        assert_eq!(lab.report.p_stale, 0.0);
        assert!(lab.apply("r 6").unwrap_err().contains("1 to N = 5"));
        assert_eq!(lab.config.r, 3, "a refused action changes nothing");
        lab.apply("n 2").unwrap();
        assert_eq!((lab.config.r, lab.config.w), (2, 2));
    }

    #[test]
    fn the_example_trial_has_the_quorum_sizes_and_overlaps_when_strict() {
        for seed in 0..200 {
            let lab = QuorumLab::new(QuorumConfig {
                n: 5,
                r: 3,
                w: 3,
                trials: 1,
                seed,
                ..QuorumConfig::default()
            })
            .unwrap();
            let e = lab.example();
            assert_eq!((e.write.count_ones(), e.read.count_ones()), (3, 3));
            assert!(!e.stale(), "R + W > N: the sets must meet (seed {seed})");
        }
        let stale = (0..400)
            .filter(|&seed| {
                QuorumLab::new(QuorumConfig {
                    trials: 1,
                    seed,
                    ..QuorumConfig::default()
                })
                .unwrap()
                .example()
                .stale()
            })
            .count();
        // N=5, R=W=1: the read misses with probability 4/5; 400 draws give 320 ± 8 (one sd).
        assert!((280..=360).contains(&stale), "{stale} of 400 stale");
    }
}
