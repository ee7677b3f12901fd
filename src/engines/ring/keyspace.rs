//! The keys a ring places: user ids, their hashes, their traffic and (for geographic sharding)
//! their home region. Generated from the config and a seed, so the same config gives the same
//! keyspace on every machine.
//!
//! Stored lean because the lab goes to a million keys within a 30 MB budget: sequential ids are
//! implicit, random ids fit in 32 bits, a key's hash is recomputed from its id when needed (xxh3
//! of a short name is a few nanoseconds, cheaper than 8 MB), traffic shares are `f32` and kept
//! only when traffic is skewed, and a key's region is derived from its hash rather than stored.

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

#[derive(Debug, Clone, Default)]
pub struct Keyspace {
    count: usize,
    /// Random ids, sorted; empty when ids are sequential (key `i` has id `i + 1`).
    random_ids: Vec<u32>,
    /// libketama hashes, computed only when the ketama strategy needs them (MD5 is slow).
    pub ketama: Option<Vec<u32>>,
    /// Share of all traffic each key gets; sums to 1 (to `f32` precision per key). Empty when
    /// traffic is uniform: every key then gets 1 / count.
    pub traffic: Vec<f32>,
    /// Index of the celebrity key, when there is one.
    pub celebrity: Option<usize>,
    /// What the keyspace was generated from, so a replay can reuse it instead of generating
    /// the same million keys again; None once released.
    pub made_from: Option<KeyParams>,
}

/// Everything a keyspace is a function of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyParams {
    pub count: usize,
    pub ids: Ids,
    pub zipf: f64,
    pub celebrity_pct: f64,
    pub seed: u64,
}

pub fn key_name(id: u64) -> String {
    format!("user:{id}")
}

/// `hash::h64(key_name(id).as_bytes())` without building a `String`: placing a million keys
/// hashes every name once per change.
pub fn hash_of_id(id: u64) -> u64 {
    let mut buf = [0u8; 25];
    buf[..5].copy_from_slice(b"user:");
    let mut digits = [0u8; 20];
    let mut n = id;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for k in 0..len {
        buf[5 + k] = digits[len - 1 - k];
    }
    hash::h64(&buf[..5 + len])
}

/// The home region of a key with this hash, drawn with the regions' population shares. The
/// hash is remixed first so a key's region is independent of where it lands on the ring.
pub fn region_of(key_hash: u64) -> u8 {
    let mut x = (hash::pair(0x5eed_2e61_0e5a_11ce, key_hash) >> 11) as f64 / (1u64 << 53) as f64;
    for (i, (_, share)) in REGIONS.iter().enumerate() {
        if x < *share {
            return i as u8;
        }
        x -= share;
    }
    (REGIONS.len() - 1) as u8
}

impl Keyspace {
    pub fn generate(count: usize, ids: Ids, zipf: f64, celebrity_pct: f64, seed: u64) -> Keyspace {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let random_ids = match ids {
            Ids::Sequential => Vec::new(),
            Ids::Random => {
                // Draw, sort, drop duplicates and top up: no hash set of a million entries.
                let mut v: Vec<u32> = Vec::with_capacity(count);
                while v.len() < count {
                    let missing = count - v.len();
                    v.extend((0..missing).map(|_| rng.random_range(1..=ID_SPACE as u32)));
                    v.sort_unstable();
                    v.dedup();
                }
                v
            }
        };
        let mut keys = Keyspace {
            count,
            random_ids,
            made_from: Some(KeyParams {
                count,
                ids,
                zipf,
                celebrity_pct,
                seed,
            }),
            ..Keyspace::default()
        };
        if zipf == 0.0 && celebrity_pct <= 0.0 {
            return keys;
        }
        // Zipf popularity: the key of rank r gets traffic ∝ 1 / r^s. Ranks are a seeded
        // shuffle, so hot keys are scattered over the id space rather than the first ids.
        let mut ranks: Vec<u32> = (1..=count as u32).collect();
        for i in (1..count).rev() {
            let j = rng.random_range(0..=i);
            ranks.swap(i, j);
        }
        let top = ranks.iter().position(|&r| r == 1).unwrap_or(0);
        // Same-size map, so the rank buffer is reused for the shares.
        let mut traffic: Vec<f32> = ranks
            .into_iter()
            .map(|r| {
                if zipf > 0.0 {
                    f64::from(r).powf(-zipf) as f32
                } else {
                    1.0
                }
            })
            .collect();
        let total: f64 = traffic.iter().map(|&t| f64::from(t)).sum();
        let celebrity = (celebrity_pct > 0.0 && count > 1).then_some(top);
        // The celebrity is the most popular key; it carries celebrity_pct of all traffic and the
        // others share the rest in their existing proportions.
        let share = (celebrity_pct / 100.0).clamp(0.0, 1.0);
        let rest_scale = celebrity.map_or(1.0, |c| (1.0 - share) / (1.0 - f64::from(traffic[c]) / total));
        for (i, t) in traffic.iter_mut().enumerate() {
            *t = if Some(i) == celebrity {
                share as f32
            } else {
                (f64::from(*t) / total * rest_scale) as f32
            };
        }
        keys.traffic = traffic;
        keys.celebrity = celebrity;
        keys
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The id of key `i`.
    pub fn id(&self, i: usize) -> u64 {
        if self.random_ids.is_empty() {
            i as u64 + 1
        } else {
            u64::from(self.random_ids[i])
        }
    }

    /// Every id, in order.
    pub fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.count).map(|i| self.id(i))
    }

    /// The index of the key with this id, if it is in the keyspace.
    pub fn index_of(&self, id: u64) -> Option<usize> {
        if self.random_ids.is_empty() {
            (1..=self.count as u64).contains(&id).then(|| id as usize - 1)
        } else {
            u32::try_from(id)
                .ok()
                .and_then(|id| self.random_ids.binary_search(&id).ok())
        }
    }

    /// The xxh3 hash of key `i`'s name (`user:<id>`), as `hash::h64(key_name(id))` gives it.
    pub fn hash(&self, i: usize) -> u64 {
        hash_of_id(self.id(i))
    }

    /// The share of all traffic key `i` gets.
    pub fn traffic(&self, i: usize) -> f32 {
        self.traffic.get(i).copied().unwrap_or(1.0 / self.count.max(1) as f32)
    }

    /// Whether traffic is uniform over the keys (no skew, no celebrity).
    pub fn uniform(&self) -> bool {
        self.traffic.is_empty()
    }

    pub fn region(&self, i: usize) -> u8 {
        region_of(self.hash(i))
    }

    /// Bytes held on the heap, for the memory budget's test.
    pub fn heap_bytes(&self) -> usize {
        self.random_ids.capacity() * 4
            + self.ketama.as_ref().map_or(0, |k| k.capacity() * 4)
            + self.traffic.capacity() * 4
    }

    pub fn ensure_ketama(&mut self) -> &[u32] {
        if self.ketama.is_none() {
            self.ketama = Some(self.ids().map(|id| hash::ketama_key(&key_name(id))).collect());
        }
        self.ketama.as_deref().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_from_the_id_is_the_hash_of_the_name() {
        for id in [0, 1, 9, 10, 42, 999_999, 1_000_000_000, u64::MAX] {
            assert_eq!(hash_of_id(id), hash::h64(key_name(id).as_bytes()), "{id}");
        }
    }

    #[test]
    fn uniform_traffic_stores_no_shares() {
        let k = Keyspace::generate(1000, Ids::Sequential, 0.0, 0.0, 7);
        assert!(k.uniform() && k.traffic.is_empty());
        assert_eq!(k.traffic(3), 0.001);
        assert!(!Keyspace::generate(1000, Ids::Sequential, 0.0, 10.0, 7).uniform());
    }

    #[test]
    fn same_seed_same_keys() {
        let a = Keyspace::generate(1000, Ids::Random, 1.0, 0.0, 7);
        let b = Keyspace::generate(1000, Ids::Random, 1.0, 0.0, 7);
        assert_eq!(a.ids().collect::<Vec<_>>(), b.ids().collect::<Vec<_>>());
        assert_eq!(a.traffic, b.traffic);
        let c = Keyspace::generate(1000, Ids::Random, 1.0, 0.0, 8);
        assert_ne!(a.ids().collect::<Vec<_>>(), c.ids().collect::<Vec<_>>());
    }

    #[test]
    fn random_ids_are_distinct_sorted_and_found_by_id() {
        let k = Keyspace::generate(50_000, Ids::Random, 0.0, 0.0, 5);
        let ids: Vec<u64> = k.ids().collect();
        assert_eq!(ids.len(), 50_000);
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(ids.iter().all(|&id| (1..=ID_SPACE).contains(&id)));
        assert_eq!(k.index_of(ids[1234]), Some(1234));
        let s = Keyspace::generate(100, Ids::Sequential, 0.0, 0.0, 5);
        assert_eq!(
            (s.id(0), s.id(99), s.index_of(100), s.index_of(101)),
            (1, 100, Some(99), None)
        );
    }

    #[test]
    fn traffic_sums_to_one_and_the_celebrity_gets_its_share() {
        let k = Keyspace::generate(10_000, Ids::Sequential, 0.8, 25.0, 1);
        let total: f64 = k.traffic.iter().map(|&t| f64::from(t)).sum();
        // Shares are f32 (relative error ≤ 6e-8 each), summed in f64.
        assert!((total - 1.0).abs() < 1e-6, "{total}");
        assert!((f64::from(k.traffic[k.celebrity.unwrap()]) - 0.25).abs() < 1e-7);
    }

    #[test]
    fn zipf_gives_the_top_key_its_harmonic_share() {
        // With s = 1 over n keys the top key gets 1 / H(n); H(1000) = 7.48547.
        let k = Keyspace::generate(1000, Ids::Sequential, 1.0, 0.0, 2);
        let top = k.traffic.iter().copied().fold(0.0f32, f32::max);
        assert!((f64::from(top) - 1.0 / 7.485_470_860_550_345).abs() < 1e-6, "{top}");
    }

    #[test]
    fn regions_follow_their_populations() {
        let k = Keyspace::generate(100_000, Ids::Sequential, 0.0, 0.0, 3);
        for (r, (name, share)) in REGIONS.iter().enumerate() {
            let got = (0..k.len()).filter(|&i| k.region(i) == r as u8).count() as f64 / 100_000.0;
            // Binomial sd at p = 0.4, n = 1e5 is 0.0015; allow 4 sd of the largest.
            assert!((got - share).abs() < 0.006, "{name}: {got}");
        }
    }
}
