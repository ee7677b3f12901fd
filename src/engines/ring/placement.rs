//! Where a key lives under each sharding strategy. A `Placement` is built from the node list
//! (and, for range and directory sharding, their tables) and answers owner and preference-list
//! queries; it never changes once built.

use serde::{Deserialize, Serialize};

use super::hash;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// hash(key) mod N
    Modulo,
    /// Consistent hashing with virtual nodes and weights.
    #[default]
    Ring,
    /// libketama's ring, as memcached clients build it.
    Ketama,
    /// Jump consistent hash (Lamping & Veach).
    Jump,
    /// Rendezvous / highest-random-weight hashing.
    Rendezvous,
    /// Ordered ranges of ids, split and moved explicitly.
    Range,
    /// Every key has a home region served by that region's shards.
    Geo,
    /// A lookup table from key to shard.
    Directory,
}

impl Strategy {
    pub const ALL: [Strategy; 8] = [
        Strategy::Modulo,
        Strategy::Ring,
        Strategy::Ketama,
        Strategy::Jump,
        Strategy::Rendezvous,
        Strategy::Range,
        Strategy::Geo,
        Strategy::Directory,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Modulo => "modulo",
            Strategy::Ring => "ring",
            Strategy::Ketama => "ketama",
            Strategy::Jump => "jump",
            Strategy::Rendezvous => "rendezvous",
            Strategy::Range => "range",
            Strategy::Geo => "geo",
            Strategy::Directory => "directory",
        }
    }

    pub fn parse(s: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|x| x.name() == s)
    }

    pub fn next(self) -> Strategy {
        let i = Strategy::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Strategy::ALL[(i + 1) % Strategy::ALL.len()]
    }

    /// Whether node weights change where keys go. Modulo and jump split keys evenly by node
    /// count; range and directory sharding follow their tables.
    pub fn uses_weights(self) -> bool {
        matches!(
            self,
            Strategy::Ring | Strategy::Ketama | Strategy::Rendezvous | Strategy::Geo
        )
    }

    /// Whether the vnode count changes where keys go: only the xxh3 ring has virtual nodes
    /// (ketama always gives 40 × 4 points per weight share).
    pub fn uses_vnodes(self) -> bool {
        self == Strategy::Ring
    }

    /// The settings this strategy ignores, in words, for the lab to say so.
    pub fn ignored(self) -> Option<String> {
        let name = self.name();
        match (self.uses_weights(), self.uses_vnodes(), self) {
            (_, _, Strategy::Ketama) => Some("ketama ignores vnodes: 40×4 points per weight share".to_string()),
            (true, true, _) => None,
            (true, false, _) => Some(format!("{name} ignores vnodes")),
            (false, _, _) => Some(format!("{name} ignores weights and vnodes")),
        }
    }

    /// Strategies drawn as a circle of hash points.
    pub fn is_circle(self) -> bool {
        matches!(self, Strategy::Ring | Strategy::Ketama)
    }
}

/// What a lookup needs to know about a key.
#[derive(Debug, Clone, Copy)]
pub struct KeyRef {
    pub hash: u64,
    pub ketama: u32,
    pub id: u64,
    /// The node the directory lists for this key (directory sharding).
    pub listed: u16,
}

#[derive(Debug, Clone)]
pub enum Placement {
    Modulo {
        n: u64,
    },
    /// Sorted (point, node) pairs; for ketama the points are 32-bit.
    Circle {
        points: Vec<(u64, u16)>,
        ketama: bool,
    },
    Jump {
        n: u32,
    },
    Rendezvous {
        nodes: Vec<(u64, f64)>,
    },
    /// Sorted (first id, node) pairs covering 0 ..
    Range {
        starts: Vec<(u64, u16)>,
    },
    /// Per region: (node hash, weight, node index) of its nodes; all nodes as a fallback.
    Geo {
        regions: Vec<Vec<(u64, f64, u16)>>,
        all: Vec<(u64, f64, u16)>,
    },
    /// The table lives in the ring (one byte a key) and reaches lookups as `KeyRef::listed`.
    Directory,
}

/// A node as placement sees it.
#[derive(Debug, Clone)]
pub struct NodeView<'a> {
    pub name: &'a str,
    pub weight: u32,
    pub region: Option<u8>,
}

/// Points libketama gives a server: 40 MD5 digests (160 points) at equal weight, scaled by
/// weight share × server count and rounded down as libketama does.
pub fn ketama_points(nodes: &[NodeView]) -> Vec<(u64, u16)> {
    // libketama computes in C floats: `float pct = memory / total;`, then
    // `floorf(pct * 40.0 * (float)numservers)`. Doing the same in f32/f64 reproduces its
    // rounding exactly (in pure f64, 1/3 · 40 · 3 floors to 39 instead of 40).
    // libketama sums the weights as integers and converts the total once (summing in f32
    // would round once the total passes 2^24, as 200 weights of 100,000 do).
    let total = nodes.iter().map(|n| u64::from(n.weight)).sum::<u64>() as f32;
    let count = nodes.len() as f32;
    let mut points = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let pct = node.weight as f32 / total;
        let digests = ((f64::from(pct) * 40.0 * f64::from(count)) as f32).floor() as u32;
        for k in 0..digests {
            let d = hash::md5(format!("{}-{k}", node.name).as_bytes());
            for h in 0..4 {
                let p = u32::from_le_bytes([d[h * 4], d[h * 4 + 1], d[h * 4 + 2], d[h * 4 + 3]]);
                points.push((u64::from(p), i as u16));
            }
        }
    }
    points.sort_unstable();
    points
}

/// Points of the xxh3 ring: `vnodes × weight` per node.
pub fn ring_points(nodes: &[NodeView], vnodes: u32) -> Vec<(u64, u16)> {
    let mut points = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        for v in 0..vnodes.saturating_mul(node.weight) {
            points.push((hash::vnode_point(node.name, v), i as u16));
        }
    }
    points.sort_unstable();
    points
}

fn hrw(nodes: &[NodeView]) -> Vec<(u64, f64)> {
    nodes
        .iter()
        .map(|n| (hash::h64(n.name.as_bytes()), f64::from(n.weight)))
        .collect()
}

/// Weighted rendezvous score: −w / ln(u) with u uniform in (0, 1) (Schindelhauer & Schomaker's
/// logarithmic method), so a node of weight w wins a share w / Σw of keys.
fn hrw_score(node_hash: u64, weight: f64, key_hash: u64) -> f64 {
    let u = ((hash::pair(node_hash, key_hash) >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    -weight / u.ln()
}

impl Placement {
    /// Bytes the lookup tables hold on the heap.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Placement::Modulo { .. } | Placement::Jump { .. } | Placement::Directory => 0,
            Placement::Circle { points, .. } => points.capacity() * std::mem::size_of::<(u64, u16)>(),
            Placement::Rendezvous { nodes } => nodes.capacity() * std::mem::size_of::<(u64, f64)>(),
            Placement::Range { starts } => starts.capacity() * std::mem::size_of::<(u64, u16)>(),
            Placement::Geo { regions, all } => {
                (all.capacity() + regions.iter().map(Vec::capacity).sum::<usize>())
                    * std::mem::size_of::<(u64, f64, u16)>()
            }
        }
    }

    pub fn modulo(n: usize) -> Placement {
        Placement::Modulo { n: n as u64 }
    }
    pub fn ring(nodes: &[NodeView], vnodes: u32) -> Placement {
        Placement::Circle {
            points: ring_points(nodes, vnodes),
            ketama: false,
        }
    }
    pub fn ketama(nodes: &[NodeView]) -> Placement {
        Placement::Circle {
            points: ketama_points(nodes),
            ketama: true,
        }
    }
    pub fn jump(n: usize) -> Placement {
        Placement::Jump { n: n as u32 }
    }
    pub fn rendezvous(nodes: &[NodeView]) -> Placement {
        Placement::Rendezvous { nodes: hrw(nodes) }
    }
    pub fn geo(nodes: &[NodeView], regions: usize) -> Placement {
        let all: Vec<(u64, f64, u16)> = hrw(nodes)
            .into_iter()
            .enumerate()
            .map(|(i, (h, w))| (h, w, i as u16))
            .collect();
        let by_region = (0..regions)
            .map(|r| {
                all.iter()
                    .copied()
                    .filter(|(_, _, i)| nodes[*i as usize].region == Some(r as u8))
                    .collect()
            })
            .collect();
        Placement::Geo {
            regions: by_region,
            all,
        }
    }

    /// The owner of a key (a node index). There is always one while there is a node.
    pub fn owner(&self, key: &KeyRef) -> u16 {
        match self {
            Placement::Modulo { n } => (key.hash % n) as u16,
            Placement::Circle { points, ketama } => {
                let h = if *ketama { u64::from(key.ketama) } else { key.hash };
                let i = points.partition_point(|(p, _)| *p < h);
                points[if i == points.len() { 0 } else { i }].1
            }
            Placement::Jump { n } => hash::jump(key.hash, *n) as u16,
            Placement::Rendezvous { nodes } => {
                best(nodes.iter().enumerate().map(|(i, (h, w))| (*h, *w, i as u16)), key.hash)
            }
            Placement::Range { starts } => {
                let i = starts.partition_point(|(s, _)| *s <= key.id);
                starts[i.saturating_sub(1)].1
            }
            Placement::Geo { regions, all } => {
                let local = regions
                    .get(usize::from(super::keyspace::region_of(key.hash)))
                    .filter(|r| !r.is_empty())
                    .unwrap_or(all);
                best(local.iter().copied(), key.hash)
            }
            Placement::Directory => key.listed,
        }
    }

    /// The first `r` distinct nodes responsible for a key: the owner, then the replicas.
    pub fn preference(&self, key: &KeyRef, r: usize, node_count: usize) -> Vec<u16> {
        let r = r.min(node_count);
        let mut out: Vec<u16> = Vec::with_capacity(r);
        let push = |n: u16, out: &mut Vec<u16>| {
            if !out.contains(&n) {
                out.push(n);
            }
        };
        match self {
            Placement::Circle { points, ketama } => {
                let h = if *ketama { u64::from(key.ketama) } else { key.hash };
                let start = points.partition_point(|(p, _)| *p < h);
                for k in 0..points.len() {
                    if out.len() == r {
                        break;
                    }
                    push(points[(start + k) % points.len()].1, &mut out);
                }
            }
            Placement::Rendezvous { nodes } => {
                let mut scored: Vec<(f64, u16)> = nodes
                    .iter()
                    .enumerate()
                    .map(|(i, (h, w))| (hrw_score(*h, *w, key.hash), i as u16))
                    .collect();
                scored.sort_by(|a, b| b.0.total_cmp(&a.0));
                out.extend(scored.into_iter().take(r).map(|(_, i)| i));
            }
            Placement::Geo { regions, all } => {
                let local = regions
                    .get(usize::from(super::keyspace::region_of(key.hash)))
                    .filter(|r| !r.is_empty())
                    .unwrap_or(all);
                let mut scored: Vec<(f64, u16)> = local
                    .iter()
                    .map(|(h, w, i)| (hrw_score(*h, *w, key.hash), *i))
                    .collect();
                scored.sort_by(|a, b| b.0.total_cmp(&a.0));
                let mut rest: Vec<(f64, u16)> = all.iter().map(|(h, w, i)| (hrw_score(*h, *w, key.hash), *i)).collect();
                rest.sort_by(|a, b| b.0.total_cmp(&a.0));
                for (_, n) in scored.into_iter().chain(rest) {
                    if out.len() == r {
                        break;
                    }
                    push(n, &mut out);
                }
            }
            Placement::Range { starts } => {
                let i = starts.partition_point(|(s, _)| *s <= key.id).saturating_sub(1);
                for k in 0..starts.len() {
                    if out.len() == r {
                        break;
                    }
                    push(starts[(i + k) % starts.len()].1, &mut out);
                }
            }
            _ => {
                // Modulo, jump and directory: the owner, then the next nodes in list order.
                let owner = self.owner(key);
                for k in 0..node_count {
                    if out.len() == r {
                        break;
                    }
                    push(((usize::from(owner) + k) % node_count) as u16, &mut out);
                }
            }
        }
        out
    }
}

fn best(nodes: impl Iterator<Item = (u64, f64, u16)>, key_hash: u64) -> u16 {
    let mut best = (f64::NEG_INFINITY, 0u16);
    for (h, w, i) in nodes {
        let s = hrw_score(h, w, key_hash);
        if s > best.0 {
            best = (s, i);
        }
    }
    best.1
}
