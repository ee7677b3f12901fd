//! The keys a ring places: user ids, their hashes, their traffic and (for geographic sharding)
//! their home region. Generated from the config and a seed, so the same config gives the same
//! keyspace on every machine.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::hash;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Ids {
    /// 1, 2, 3, … as an auto-increment column hands them out.
    #[default]
    Sequential,
    /// Spread at random over 1 ..= 10⁹, as with random or hashed ids.
    Random,
}

/// The largest id random ids are drawn from; range sharding splits 0 ..= ID_SPACE.
pub const ID_SPACE: u64 = 1_000_000_000;

/// Region names and their share of users, uneven on purpose: real populations are.
pub const REGIONS: &[(&str, f64)] = &[("na", 0.40), ("eu", 0.30), ("apac", 0.20), ("sa", 0.07), ("af", 0.03)];

#[derive(Debug, Clone)]
pub struct Keyspace {
    pub ids: Vec<u64>,
    pub hashes: Vec<u64>,
    /// libketama hashes, computed only when the ketama strategy needs them (MD5 is slow).
    pub ketama: Option<Vec<u32>>,
    /// Share of all traffic each key gets; sums to 1.
    pub traffic: Vec<f64>,
    pub regions: Vec<u8>,
    /// Index of the celebrity key, when there is one.
    pub celebrity: Option<usize>,
}

pub fn key_name(id: u64) -> String {
    format!("user:{id}")
}

impl Keyspace {
    pub fn generate(count: usize, ids: Ids, zipf: f64, celebrity_pct: f64, seed: u64) -> Keyspace {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let id_list: Vec<u64> = match ids {
            Ids::Sequential => (1..=count as u64).collect(),
            Ids::Random => {
                let mut seen = std::collections::HashSet::with_capacity(count);
                let mut v = Vec::with_capacity(count);
                while v.len() < count {
                    let id = rng.random_range(1..=ID_SPACE);
                    if seen.insert(id) {
                        v.push(id);
                    }
                }
                v.sort_unstable();
                v
            }
        };
        let hashes = id_list.iter().map(|&id| hash::h64(key_name(id).as_bytes())).collect();
        let regions = (0..count)
            .map(|_| {
                let mut x: f64 = rng.random();
                for (i, (_, share)) in REGIONS.iter().enumerate() {
                    if x < *share {
                        return i as u8;
                    }
                    x -= share;
                }
                (REGIONS.len() - 1) as u8
            })
            .collect();
        // Zipf popularity: the key of rank r gets traffic ∝ 1 / r^s. Ranks are a seeded
        // shuffle, so hot keys are scattered over the id space rather than the first ids.
        let mut ranks: Vec<usize> = (1..=count).collect();
        for i in (1..count).rev() {
            let j = rng.random_range(0..=i);
            ranks.swap(i, j);
        }
        let mut traffic: Vec<f64> = ranks
            .iter()
            .map(|&r| if zipf > 0.0 { (r as f64).powf(-zipf) } else { 1.0 })
            .collect();
        let total: f64 = traffic.iter().sum();
        traffic.iter_mut().for_each(|t| *t /= total);
        let celebrity = (celebrity_pct > 0.0 && count > 1).then(|| {
            // The celebrity is the most popular key; it carries celebrity_pct of all traffic and
            // the others share the rest in their existing proportions.
            let c = ranks.iter().position(|&r| r == 1).unwrap_or(0);
            let share = (celebrity_pct / 100.0).clamp(0.0, 1.0);
            let rest: f64 = 1.0 - traffic[c];
            for (i, t) in traffic.iter_mut().enumerate() {
                *t = if i == c { share } else { *t / rest * (1.0 - share) };
            }
            c
        });
        Keyspace {
            ids: id_list,
            hashes,
            ketama: None,
            traffic,
            regions,
            celebrity,
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn ensure_ketama(&mut self) -> &[u32] {
        if self.ketama.is_none() {
            self.ketama = Some(self.ids.iter().map(|&id| hash::ketama_key(&key_name(id))).collect());
        }
        self.ketama.as_deref().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_keys() {
        let a = Keyspace::generate(1000, Ids::Random, 1.0, 0.0, 7);
        let b = Keyspace::generate(1000, Ids::Random, 1.0, 0.0, 7);
        assert_eq!(a.ids, b.ids);
        assert_eq!(a.traffic, b.traffic);
        let c = Keyspace::generate(1000, Ids::Random, 1.0, 0.0, 8);
        assert_ne!(a.ids, c.ids);
    }

    #[test]
    fn traffic_sums_to_one_and_the_celebrity_gets_its_share() {
        let k = Keyspace::generate(10_000, Ids::Sequential, 0.8, 25.0, 1);
        let total: f64 = k.traffic.iter().sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert!((k.traffic[k.celebrity.unwrap()] - 0.25).abs() < 1e-12);
    }

    #[test]
    fn regions_follow_their_populations() {
        let k = Keyspace::generate(100_000, Ids::Sequential, 0.0, 0.0, 3);
        let na = k.regions.iter().filter(|&&r| r == 0).count() as f64 / 100_000.0;
        // Binomial sd at p = 0.4, n = 1e5 is 0.0015; allow 4 sd.
        assert!((na - 0.40).abs() < 0.006, "{na}");
    }
}
