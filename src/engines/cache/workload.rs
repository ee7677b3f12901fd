//! Which item each request asks for. Requests are independent draws from a popularity
//! distribution (the independent reference model the theory assumes), except the scan, which
//! walks the catalog in order and wraps.

use rand::RngExt;
use rand_distr::{Distribution, Zipf};
use serde::{Deserialize, Serialize};

use crate::engines::sim::SimRng;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Workload {
    /// Item i (from 0) has probability ∝ 1 / (i + 1)^alpha; alpha 0 is uniform.
    Zipf {
        alpha: f64,
    },
    Uniform,
    /// 0, 1, 2, …, N − 1, 0, 1, …: a loop over more items than the cache holds defeats LRU.
    Scan,
    /// Item 0 takes `share` of all requests; the rest are uniform over the others.
    HotKey {
        share: f64,
    },
}

impl Default for Workload {
    fn default() -> Self {
        Workload::Zipf { alpha: 1.0 }
    }
}

impl Workload {
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Workload::Zipf { alpha } if !(0.0..=5.0).contains(&alpha) => {
                Err(format!("zipf skew must be 0 to 5 (0 is uniform; got {alpha})"))
            }
            Workload::HotKey { share } if !(share > 0.0 && share < 1.0) => {
                Err(format!("the hot key's share must be between 0 and 1 (got {share})"))
            }
            _ => Ok(()),
        }
    }

    /// Each item's request probability, most popular first; None for the scan (not random).
    pub fn probabilities(&self, catalog: usize) -> Option<Vec<f64>> {
        let n = catalog.max(1);
        match *self {
            Workload::Zipf { alpha } => Some(zipf_probabilities(n, alpha)),
            Workload::Uniform => Some(vec![1.0 / n as f64; n]),
            Workload::Scan => None,
            Workload::HotKey { share } => {
                if n == 1 {
                    return Some(vec![1.0]);
                }
                let rest = (1.0 - share) / (n - 1) as f64;
                let mut p = vec![rest; n];
                p[0] = share;
                Some(p)
            }
        }
    }
}

/// Zipf(alpha) over n items: p_i = (i + 1)^−alpha / H(n, alpha).
pub fn zipf_probabilities(n: usize, alpha: f64) -> Vec<f64> {
    let mut p: Vec<f64> = (1..=n).map(|i| (i as f64).powf(-alpha)).collect();
    let total: f64 = p.iter().sum();
    p.iter_mut().for_each(|x| *x /= total);
    p
}

/// Draws request targets: O(1) per draw with no table, so a million-item catalog costs no
/// memory traffic beyond the cache itself. Zipf uses rejection-inversion (Hörmann & Derflinger
/// 1996, as `rand_distr::Zipf` implements it), which samples the exact distribution.
#[derive(Debug, Clone)]
pub struct Requests {
    catalog: u32,
    draw: Draw,
    next_scan: u32,
}

#[derive(Debug, Clone)]
enum Draw {
    Zipf(Zipf<f64>),
    Uniform,
    Scan,
    Hot(f64),
}

impl Requests {
    pub fn new(workload: &Workload, catalog: usize) -> Result<Requests, String> {
        workload.validate()?;
        if catalog == 0 || catalog > u32::MAX as usize / 2 {
            return Err(format!(
                "the catalog must hold 1 to 2,147,483,647 items (got {catalog})"
            ));
        }
        let draw = match *workload {
            Workload::Zipf { alpha: 0.0 } => Draw::Uniform,
            Workload::Zipf { alpha } => Draw::Zipf(Zipf::new(catalog as f64, alpha).map_err(|e| format!("zipf: {e}"))?),
            Workload::Uniform => Draw::Uniform,
            Workload::Scan => Draw::Scan,
            Workload::HotKey { share } => Draw::Hot(share),
        };
        Ok(Requests {
            catalog: catalog as u32,
            draw,
            next_scan: 0,
        })
    }

    pub fn next(&mut self, rng: &mut SimRng) -> u32 {
        match &self.draw {
            // Ranks come out as 1 ..= n; the rejection step's floor never passes n.
            Draw::Zipf(z) => (z.sample(rng) as u32).clamp(1, self.catalog) - 1,
            Draw::Uniform => rng.random_range(0..self.catalog),
            Draw::Hot(share) => {
                if self.catalog == 1 || rng.random::<f64>() < *share {
                    0
                } else {
                    rng.random_range(1..self.catalog)
                }
            }
            Draw::Scan => {
                let i = self.next_scan;
                self.next_scan = (i + 1) % self.catalog;
                i
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_draws_follow_their_probabilities() {
        // 200,000 draws: item 0 of Zipf(1) over 100 items has p = 1/H(100) ≈ 0.1928; the
        // frequency of each checked item is within 4 binomial standard errors, sqrt(p(1−p)/n).
        let p = zipf_probabilities(100, 1.0);
        assert!((p[0] - 0.192_776).abs() < 1e-5, "{}", p[0]);
        let mut r = Requests::new(&Workload::Zipf { alpha: 1.0 }, 100).unwrap();
        let mut rng = crate::engines::sim::rng(5);
        let n = 200_000;
        let mut counts = vec![0u32; 100];
        for _ in 0..n {
            counts[r.next(&mut rng) as usize] += 1;
        }
        for i in [0, 9, 99] {
            let se = (p[i] * (1.0 - p[i]) / n as f64).sqrt();
            let f = f64::from(counts[i]) / n as f64;
            assert!((f - p[i]).abs() < 4.0 * se, "item {i}: {f} vs {}", p[i]);
        }
    }

    #[test]
    fn the_scan_wraps() {
        let mut r = Requests::new(&Workload::Scan, 3).unwrap();
        let mut rng = crate::engines::sim::rng(5);
        let v: Vec<u32> = (0..7).map(|_| r.next(&mut rng)).collect();
        assert_eq!(v, [0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn hot_key_and_uniform_draws() {
        // 100,000 draws, hot share 0.3: SE sqrt(0.21/1e5) ≈ 0.0014, 4 SE ≈ 0.006.
        let mut r = Requests::new(&Workload::HotKey { share: 0.3 }, 10).unwrap();
        let mut rng = crate::engines::sim::rng(8);
        let n = 100_000;
        let hot = (0..n).filter(|_| r.next(&mut rng) == 0).count();
        assert!((hot as f64 / n as f64 - 0.3).abs() < 0.006);
        let mut u = Requests::new(&Workload::Zipf { alpha: 0.0 }, 4).unwrap();
        assert!((0..1000).all(|_| u.next(&mut rng) < 4));
    }

    #[test]
    fn bad_workloads_are_refused() {
        assert!(Requests::new(&Workload::Zipf { alpha: -0.1 }, 10).is_err());
        assert!(Requests::new(&Workload::Zipf { alpha: f64::NAN }, 10).is_err());
        assert!(Requests::new(&Workload::HotKey { share: 1.0 }, 10).is_err());
        assert!(Requests::new(&Workload::Uniform, 0).is_err());
    }
}
