//! How the balancer picks a server for a request.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::engines::sim::SimRng;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Round robin: the next server in a fixed cycle.
    #[default]
    Rr,
    /// Weighted round robin, nginx's smooth variant (a weight-3 server gets 3 of every cycle of
    /// the total weight, spread out rather than in a burst).
    Wrr,
    Random,
    /// Least connections: the server with the fewest requests in service or queued.
    Least,
    /// Power of two choices: two servers at random, the one with fewer connections.
    P2c,
    /// A hash of the client's address picks the server (affinity without a cookie).
    IpHash,
    /// Cookie stickiness: a user's first request goes round robin, later ones to the same server.
    Sticky,
    /// No balancing decision at all: one queue in front of every server, which pull from it when
    /// free (the M/M/c model, the best any router can do).
    SharedQueue,
}

pub const POLICIES: &str = "rr, wrr, random, least, p2c, ip-hash, sticky or shared-queue";

impl Policy {
    pub fn parse(s: &str) -> Result<Policy, String> {
        Ok(match s {
            "rr" | "round-robin" => Policy::Rr,
            "wrr" | "weighted" => Policy::Wrr,
            "random" => Policy::Random,
            "least" | "least-connections" => Policy::Least,
            "p2c" | "two-choices" => Policy::P2c,
            "ip-hash" => Policy::IpHash,
            "sticky" | "cookie" => Policy::Sticky,
            "shared-queue" | "shared" => Policy::SharedQueue,
            _ => return Err(format!("unknown policy {s:?}: use {POLICIES}")),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Policy::Rr => "rr",
            Policy::Wrr => "wrr",
            Policy::Random => "random",
            Policy::Least => "least",
            Policy::P2c => "p2c",
            Policy::IpHash => "ip-hash",
            Policy::Sticky => "sticky",
            Policy::SharedQueue => "shared-queue",
        }
    }

    /// Whether the policy pins a user to one server (and so suits sessions in server memory).
    pub fn has_affinity(self) -> bool {
        matches!(self, Policy::IpHash | Policy::Sticky)
    }

    pub fn all() -> [Policy; 8] {
        [
            Policy::Rr,
            Policy::Wrr,
            Policy::Random,
            Policy::Least,
            Policy::P2c,
            Policy::IpHash,
            Policy::Sticky,
            Policy::SharedQueue,
        ]
    }
}

/// What the router may ask of a server it considers.
pub trait View {
    fn weight(&self, server: u16) -> u32;
    /// Requests in service plus queued: what the balancer counts as open connections.
    fn connections(&self, server: u16) -> usize;
}

/// The balancer's own state between requests (cursors, smooth weights).
#[derive(Debug, Clone, Default)]
pub struct Router {
    cursor: usize,
    /// Smooth weighted round robin's current weights, by server index.
    current: Vec<i64>,
    /// Rotates where ties start, so least connections does not always favour the first server.
    tie: usize,
}

/// A fixed 64-bit mix (SplitMix64's finaliser): a client's address as the balancer hashes it.
pub fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Router {
    /// Picks among `pool` (the servers in rotation, in server order; never empty). `all` is the
    /// number of servers the balancer is configured with, in or out of rotation.
    pub fn pick(
        &mut self,
        policy: Policy,
        pool: &[u16],
        view: &impl View,
        all: usize,
        user: u32,
        rng: &mut SimRng,
    ) -> u16 {
        match policy {
            Policy::Rr | Policy::Sticky | Policy::SharedQueue => self.round_robin(pool, all),
            Policy::Wrr => self.smooth_weighted(pool, view, all),
            Policy::Random => pool[rng.random_range(0..pool.len())],
            Policy::Least => {
                let start = self.tie % pool.len();
                self.tie = self.tie.wrapping_add(1);
                let mut best = start;
                for k in 1..pool.len() {
                    let i = (start + k) % pool.len();
                    if view.connections(pool[i]) < view.connections(pool[best]) {
                        best = i;
                    }
                }
                pool[best]
            }
            Policy::P2c => {
                if pool.len() == 1 {
                    return pool[0];
                }
                let a = rng.random_range(0..pool.len());
                let mut b = rng.random_range(0..pool.len() - 1);
                if b >= a {
                    b += 1;
                }
                // Ties go to the first draw, itself random: random tie-breaking.
                if view.connections(pool[b]) < view.connections(pool[a]) {
                    pool[b]
                } else {
                    pool[a]
                }
            }
            Policy::IpHash => {
                // nginx's ip_hash: hash over every configured server, rehash while the pick is
                // out of rotation (20 tries), then fall back to round robin.
                let mut h = mix(u64::from(user));
                for _ in 0..20 {
                    let want = (h % all.max(1) as u64) as u16;
                    if pool.binary_search(&want).is_ok() {
                        return want;
                    }
                    h = mix(h);
                }
                self.round_robin(pool, all)
            }
        }
    }

    /// The next server after the last one picked, in server order, skipping those out of
    /// rotation: S1 → S2 → S3 → S1.
    fn round_robin(&mut self, pool: &[u16], all: usize) -> u16 {
        let all = all.max(1);
        let at = pool.partition_point(|&c| usize::from(c) < self.cursor % all);
        let chosen = *pool.get(at).unwrap_or(&pool[0]);
        self.cursor = usize::from(chosen) + 1;
        chosen
    }

    fn smooth_weighted(&mut self, pool: &[u16], view: &impl View, all: usize) -> u16 {
        if self.current.len() < all {
            self.current.resize(all, 0);
        }
        let total: i64 = pool.iter().map(|&c| i64::from(view.weight(c))).sum();
        let mut best = 0;
        for (k, &c) in pool.iter().enumerate() {
            self.current[usize::from(c)] += i64::from(view.weight(c));
            if self.current[usize::from(c)] > self.current[usize::from(pool[best])] {
                best = k;
            }
        }
        let chosen = pool[best];
        self.current[usize::from(chosen)] -= total;
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::sim::rng;

    struct Weights(Vec<u32>);
    impl View for Weights {
        fn weight(&self, server: u16) -> u32 {
            self.0[usize::from(server)]
        }
        fn connections(&self, _: u16) -> usize {
            0
        }
    }

    #[test]
    fn smooth_weighted_round_robin_spreads_a_heavy_server() {
        // nginx's documented example: weights 5, 1, 1 give a a b a c a a, not a a a a a b c.
        let w = Weights(vec![5, 1, 1]);
        let mut r = Router::default();
        let mut g = rng(1);
        let got: Vec<u16> = (0..7)
            .map(|_| r.pick(Policy::Wrr, &[0, 1, 2], &w, 3, 0, &mut g))
            .collect();
        assert_eq!(got, [0, 0, 1, 0, 2, 0, 0]);
    }

    #[test]
    fn round_robin_skips_a_server_out_of_rotation() {
        let w = Weights(vec![1; 3]);
        let mut r = Router::default();
        let mut g = rng(1);
        let got: Vec<u16> = (0..4).map(|_| r.pick(Policy::Rr, &[0, 2], &w, 3, 0, &mut g)).collect();
        assert_eq!(got, [0, 2, 0, 2]);
    }

    #[test]
    fn ip_hash_keeps_users_whose_server_stays() {
        let w = Weights(vec![1; 4]);
        let mut r = Router::default();
        let mut g = rng(1);
        let before: Vec<u16> = (0..200)
            .map(|u| r.pick(Policy::IpHash, &[0, 1, 2, 3], &w, 4, u, &mut g))
            .collect();
        for u in 0..200u32 {
            let after = r.pick(Policy::IpHash, &[0, 1, 3], &w, 4, u, &mut g);
            if before[u as usize] != 2 {
                assert_eq!(after, before[u as usize], "user {u} moved");
            } else {
                assert_ne!(after, 2);
            }
        }
    }
}
