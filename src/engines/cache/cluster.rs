//! A cache cluster: several cache nodes, each key on the node the placement picks, placed by
//! hash mod N or on a consistent-hash ring. The placement is the sharding lab's own code
//! (`ring::Placement`), so both labs show the same remapping for the same change.

use serde::{Deserialize, Serialize};

use super::store::{Policy, Store};
use crate::engines::ring::{hash, KeyRef, NodeView, Placement};
use crate::engines::sim::Micros;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Sharding {
    /// hash(key) mod (number of live nodes)
    Modulo,
    /// A consistent-hash ring with virtual nodes.
    #[default]
    Ring,
}

impl Sharding {
    pub fn name(self) -> &'static str {
        match self {
            Sharding::Modulo => "modulo",
            Sharding::Ring => "ring",
        }
    }

    pub fn parse(s: &str) -> Result<Sharding, String> {
        match s {
            "modulo" | "mod" => Ok(Sharding::Modulo),
            "ring" => Ok(Sharding::Ring),
            _ => Err(format!("unknown sharding {s:?}: use modulo or ring")),
        }
    }
}

/// Virtual nodes per cache node on the ring (the sharding lab's default).
pub const VNODES: u32 = 100;

#[derive(Debug, Clone)]
pub struct Cluster {
    sharding: Sharding,
    names: Vec<String>,
    pub nodes: Vec<Store>,
    alive: Vec<bool>,
    /// Live node indices, in the order the placement numbers them.
    live: Vec<u16>,
    placement: Placement,
    /// Each catalog item's key hash (XXH3 of `item:<i>`, as the ring hashes keys).
    hashes: Vec<u64>,
    /// Each item's owner before the last kill or revive (for moved-key counts).
    owners: Vec<u16>,
    /// Share of the catalog the last membership change moved to another node.
    pub moved_fraction: f64,
    /// Requests that reached the database (misses).
    pub db_reads: u64,
}

impl Cluster {
    pub fn new(
        sharding: Sharding,
        nodes: usize,
        capacity: usize,
        policy: Policy,
        catalog: usize,
        seed: u64,
    ) -> Result<Cluster, String> {
        if !(1..=64).contains(&nodes) {
            return Err(format!("a cluster has 1 to 64 cache nodes (got {nodes})"));
        }
        if capacity == 0 {
            return Err("each cache node needs a capacity of at least 1 item".into());
        }
        let names: Vec<String> = (1..=nodes).map(|i| format!("c{i}")).collect();
        let hashes = (0..catalog)
            .map(|i| hash::h64(format!("item:{i}").as_bytes()))
            .collect();
        let mut c = Cluster {
            sharding,
            nodes: (0..nodes)
                .map(|i| Store::new(policy, capacity, catalog, None, seed.wrapping_add(i as u64)))
                .collect(),
            alive: vec![true; nodes],
            live: Vec::new(),
            placement: Placement::modulo(1),
            names,
            hashes,
            owners: Vec::new(),
            moved_fraction: 0.0,
            db_reads: 0,
        };
        c.place();
        c.owners = c.owner_table();
        Ok(c)
    }

    fn place(&mut self) {
        self.live = (0..self.names.len() as u16)
            .filter(|&i| self.alive[usize::from(i)])
            .collect();
        let views: Vec<NodeView> = self
            .live
            .iter()
            .map(|&i| NodeView {
                name: &self.names[usize::from(i)],
                weight: 1,
                region: None,
            })
            .collect();
        self.placement = match self.sharding {
            Sharding::Modulo => Placement::modulo(views.len().max(1)),
            Sharding::Ring => Placement::ring(&views, VNODES),
        };
    }

    fn owner_table(&self) -> Vec<u16> {
        (0..self.hashes.len() as u32)
            .map(|i| self.owner(i).unwrap_or(u16::MAX))
            .collect()
    }

    /// The live node that holds an item; None when every node is down.
    pub fn owner(&self, item: u32) -> Option<u16> {
        if self.live.is_empty() {
            return None;
        }
        let key = KeyRef {
            hash: self.hashes[item as usize],
            ketama: 0,
            id: u64::from(item),
            listed: 0,
        };
        Some(self.live[usize::from(self.placement.owner(&key))])
    }

    /// A read: a hit on the owner, or a miss that reads the database and fills the owner.
    pub fn request(&mut self, item: u32, now: Micros) -> bool {
        match self.owner(item) {
            Some(n) => {
                let hit = self.nodes[usize::from(n)].request(item, now);
                self.db_reads += u64::from(!hit);
                hit
            }
            None => {
                self.db_reads += 1;
                false
            }
        }
    }

    fn membership_changed(&mut self) {
        self.place();
        let now = self.owner_table();
        let moved = now.iter().zip(&self.owners).filter(|(a, b)| a != b).count();
        self.moved_fraction = moved as f64 / now.len().max(1) as f64;
        self.owners = now;
    }

    /// Kills a node: its cached items are gone and its keys go to the other nodes.
    pub fn kill(&mut self, node: usize) -> Result<(), String> {
        if !self.alive.get(node).copied().unwrap_or(false) {
            return Err(format!("no live cache node {}", node + 1));
        }
        self.alive[node] = false;
        self.nodes[node].clear();
        self.membership_changed();
        Ok(())
    }

    /// Brings a node back, empty.
    pub fn revive(&mut self, node: usize) -> Result<(), String> {
        if self.alive.get(node).copied().unwrap_or(true) {
            return Err(format!("cache node {} is not down", node + 1));
        }
        self.alive[node] = true;
        self.membership_changed();
        Ok(())
    }

    pub fn node_index(&self, name: &str) -> Result<usize, String> {
        self.names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| format!("no cache node {name:?}: the nodes are c1 to c{}", self.names.len()))
    }

    /// Each node as a view draws it: (name, alive, items cached, share of keys it owns).
    pub fn node_views(&self) -> Vec<(&str, bool, usize, f64)> {
        let total = self.owners.len().max(1) as f64;
        (0..self.names.len())
            .map(|i| {
                let owned = self.owners.iter().filter(|&&o| usize::from(o) == i).count();
                (
                    self.names[i].as_str(),
                    self.alive[i],
                    self.nodes[i].len(),
                    owned as f64 / total,
                )
            })
            .collect()
    }

    pub fn alive(&self, node: usize) -> bool {
        self.alive.get(node).copied().unwrap_or(false)
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn sharding(&self) -> Sharding {
        self.sharding
    }

    /// The share of the catalog a node owns right now.
    pub fn share(&self, node: usize) -> f64 {
        self.owners.iter().filter(|&&o| usize::from(o) == node).count() as f64 / self.owners.len().max(1) as f64
    }
}
