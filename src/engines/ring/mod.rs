//! The sharding engine: nodes, a keyspace, and a placement strategy, with the metrics a learner
//! needs — load per node, how many keys the last change moved against the ideal, and where any
//! key lives with its replicas. Pure and deterministic: the same config and actions always give
//! the same state.

pub mod hash;
pub mod keyspace;
pub mod lab;
pub mod placement;

use serde::{Deserialize, Serialize};

pub use keyspace::{key_name, Ids, Keyspace, ID_SPACE, REGIONS};
pub use placement::{KeyRef, NodeView, Placement, Strategy};

/// The most nodes a ring holds (owners are stored in one byte).
pub const MAX_NODES: usize = 200;
/// The most traced keys; each is looked up and drawn after every action.
pub const MAX_TRACES: usize = 100;
/// The longest node name and traced key, in bytes: they are drawn in bars and tables.
pub const MAX_NAME_LEN: usize = 40;
pub const MAX_KEY_LEN: usize = 100;

/// Refuses a vnodes × weight product above MAX_RING_POINTS.
/// A traced key a scenario or an action names: short, printable text.
fn check_trace_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.len() > MAX_KEY_LEN || key.contains(char::is_control) {
        return Err(format!("bad traced key {key:?}: 1 to {MAX_KEY_LEN} bytes of text"));
    }
    Ok(())
}

/// In a scenario a node is a table (`{ name = "a", weight = 2 }`) or the short form `"a=2@eu"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum NodeInput {
    Short(String),
    Table {
        name: String,
        #[serde(default = "one")]
        weight: u32,
        #[serde(default)]
        region: Option<String>,
    },
}

impl TryFrom<NodeInput> for NodeSpec {
    type Error = String;
    fn try_from(input: NodeInput) -> Result<NodeSpec, String> {
        match input {
            NodeInput::Short(s) => NodeSpec::parse(&s),
            NodeInput::Table { name, weight, region } => Ok(NodeSpec { name, weight, region }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "NodeInput")]
pub struct NodeSpec {
    pub name: String,
    #[serde(default = "one")]
    pub weight: u32,
    /// Home region (geographic sharding); one of REGIONS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

fn one() -> u32 {
    1
}

/// The largest weight a node may have. Weights are often a server's memory in MB, as in
/// libketama's own test configuration (weights 100 to 1000).
pub const MAX_WEIGHT: u32 = 100_000;

/// The most points the xxh3 ring may hold (vnodes × total weight): 3.2 MB of points, so a
/// million keys and the ring stay within the memory budget.
pub const MAX_RING_POINTS: u64 = 200_000;

/// 1000000 → "1,000,000"; four digits stay as they are (1000).
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    if digits.len() <= 4 {
        return digits;
    }
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A whole number from `lo` to `hi` (commas and underscores allowed, as in 1,000,000); the
/// error names `what` and says the range in words.
pub fn whole_in(text: &str, lo: u64, hi: u64, what: &str) -> Result<u64, String> {
    text.replace([',', '_'], "")
        .parse::<u64>()
        .ok()
        .filter(|n| (lo..=hi).contains(n))
        .ok_or_else(|| {
            format!(
                "{what} must be a whole number between {} and {} (got {text})",
                grouped(lo),
                grouped(hi)
            )
        })
}

/// A number from `lo` to `hi` (below `hi` when `below`); the error names `what`.
pub fn number_in(text: &str, lo: f64, hi: f64, below: bool, what: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|x| *x >= lo && if below { *x < hi } else { *x <= hi })
        .ok_or_else(|| {
            let to = if below { "below" } else { "at most" };
            format!("{what} must be a number from {lo} to {to} {hi} (got {text})")
        })
}

/// Refuses a ring (xxh3 strategy) with more points than the memory budget allows.
fn check_ring_points(strategy: Strategy, vnodes: u32, total_weight: u64) -> Result<(), String> {
    let points = u64::from(vnodes) * total_weight;
    if strategy == Strategy::Ring && points > MAX_RING_POINTS {
        return Err(format!(
            "the ring would have {} points (vnodes {vnodes} × total weight {}); at most {} fit: lower the vnodes or the weights",
            grouped(points),
            grouped(total_weight),
            grouped(MAX_RING_POINTS)
        ));
    }
    Ok(())
}

/// The strategy names, for error messages.
fn strategy_names() -> String {
    Strategy::ALL.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
}

impl NodeSpec {
    /// `n1` … `nN`, each of weight 1: the nodes a bare count stands for.
    pub fn numbered(count: usize) -> Vec<NodeSpec> {
        (1..=count)
            .map(|i| NodeSpec {
                name: format!("n{i}"),
                weight: 1,
                region: None,
            })
            .collect()
    }

    /// `name`, `name=weight`, `name@region` or `name=weight@region`.
    pub fn parse(spec: &str) -> Result<NodeSpec, String> {
        let (rest, region) = match spec.split_once('@') {
            Some((r, g)) => (r, Some(g.to_string())),
            None => (spec, None),
        };
        let (name, weight) = match rest.split_once('=') {
            Some((n, w)) => (
                n,
                whole_in(w, 1, u64::from(MAX_WEIGHT), &format!("the weight of {n}"))? as u32,
            ),
            None => (rest, 1),
        };
        if name.is_empty()
            || name.starts_with('-')
            || name.contains(|c: char| c.is_whitespace() || c.is_control() || ",;=@".contains(c))
        {
            return Err(format!(
                "bad node name {name:?}: a name is letters, digits, '-' or '_', and does not start with '-'"
            ));
        }
        if name.len() > MAX_NAME_LEN {
            return Err(format!(
                "node name {:?}… is {} bytes long: at most {MAX_NAME_LEN}",
                name.chars().take(12).collect::<String>(),
                name.len()
            ));
        }
        if let Some(r) = &region {
            if !REGIONS.iter().any(|(n, _)| n == r) {
                let names: Vec<&str> = REGIONS.iter().map(|(n, _)| *n).collect();
                return Err(format!("unknown region {r:?}: use one of {}", names.join(", ")));
            }
        }
        Ok(NodeSpec {
            name: name.to_string(),
            weight,
            region,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RingConfig {
    pub strategy: Strategy,
    pub nodes: Vec<NodeSpec>,
    /// Virtual nodes per unit of weight (ring strategy), 1 to 1000.
    pub vnodes: u32,
    pub keys: usize,
    pub ids: Ids,
    /// Zipf skew of traffic over keys; 0 is uniform.
    pub zipf: f64,
    /// Percentage of all traffic carried by one celebrity key; 0 for none.
    pub celebrity: f64,
    pub seed: u64,
    /// Replication factor for preference lists.
    pub replicas: usize,
    pub traces: Vec<String>,
}

impl Default for RingConfig {
    fn default() -> Self {
        RingConfig {
            strategy: Strategy::Ring,
            nodes: NodeSpec::numbered(4),
            vnodes: 100,
            keys: 10_000,
            ids: Ids::Sequential,
            zipf: 0.0,
            celebrity: 0.0,
            seed: 42,
            replicas: 3,
            traces: Vec::new(),
        }
    }
}

impl RingConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.nodes.is_empty() {
            return Err("at least one node is needed".into());
        }
        if self.nodes.len() > MAX_NODES {
            return Err(format!("at most {MAX_NODES} nodes (got {})", self.nodes.len()));
        }
        if !(1..=1000).contains(&self.vnodes) {
            return Err(format!("vnodes must be between 1 and 1000 (got {})", self.vnodes));
        }
        if self.traces.len() > MAX_TRACES {
            return Err(format!("at most {MAX_TRACES} traced keys (got {})", self.traces.len()));
        }
        for key in &self.traces {
            check_trace_key(key)?;
        }
        if !(10..=1_000_000).contains(&self.keys) {
            return Err(format!(
                "keys must be between 10 and 1,000,000 (got {})",
                grouped(self.keys as u64)
            ));
        }
        if !(0.0..=3.0).contains(&self.zipf) {
            return Err(format!("zipf skew must be between 0 and 3 (got {})", self.zipf));
        }
        if !(0.0..100.0).contains(&self.celebrity) {
            return Err(format!(
                "the celebrity share must be a percentage from 0 to below 100 (got {})",
                self.celebrity
            ));
        }
        if !(1..=10).contains(&self.replicas) {
            return Err(format!("replicas must be between 1 and 10 (got {})", self.replicas));
        }
        let mut names: Vec<&str> = self.nodes.iter().map(|n| n.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("node {} is listed twice", w[0]));
        }
        for n in &self.nodes {
            let region = n.region.as_deref().map_or(String::new(), |r| format!("@{r}"));
            NodeSpec::parse(&format!("{}={}{region}", n.name, n.weight))?;
        }
        let total: u64 = self.nodes.iter().map(|n| u64::from(n.weight)).sum();
        check_ring_points(self.strategy, self.vnodes, total)
    }
}

/// Something the learner does to the ring.
#[derive(Debug, Clone, PartialEq)]
pub enum RingAction {
    Add(NodeSpec),
    Remove(String),
    Weight(String, u32),
    Vnodes(u32),
    Strategy(Strategy),
    Keys(usize),
    Ids(Ids),
    Zipf(f64),
    Celebrity(f64),
    Trace(String),
    /// Range sharding: split range I at the median of its keys (both halves stay put).
    Split(usize),
    /// Range sharding: give range I to a node.
    Assign(usize, String),
    /// Directory sharding: point a key's directory entry at a node.
    Move(String, String),
    /// Directory sharding: move the fewest keys that even out the load. Range sharding: split
    /// the busiest range and give half to the least-loaded node.
    Rebalance,
}

impl RingAction {
    pub fn parse(text: &str) -> Result<RingAction, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let index = |s: &str| whole_in(s, 0, 10_000, "a range number").map(|i| i as usize);
        let action = match words.as_slice() {
            ["add", spec] => RingAction::Add(NodeSpec::parse(spec)?),
            ["remove" | "rm", name] => RingAction::Remove(name.to_string()),
            ["weight", name, w] => {
                RingAction::Weight(name.to_string(), whole_in(w, 1, u64::from(MAX_WEIGHT), "a weight")? as u32)
            }
            ["vnodes", v] => RingAction::Vnodes(whole_in(v, 1, 1000, "vnodes")? as u32),
            ["strategy", s] => RingAction::Strategy(
                Strategy::parse(s)
                    .ok_or_else(|| format!("unknown strategy {s:?}: use one of {}", strategy_names()))?,
            ),
            ["keys", k] => RingAction::Keys(whole_in(k, 10, 1_000_000, "keys")? as usize),
            ["ids", "sequential"] => RingAction::Ids(Ids::Sequential),
            ["ids", "random"] => RingAction::Ids(Ids::Random),
            ["ids", other] => return Err(format!("unknown ids {other:?}: use sequential or random")),
            ["zipf", s] => RingAction::Zipf(number_in(s, 0.0, 3.0, false, "zipf skew")?),
            ["celebrity", p] => RingAction::Celebrity(number_in(
                p.trim_end_matches('%'),
                0.0,
                100.0,
                true,
                "the celebrity share (percent)",
            )?),
            ["trace", key] => RingAction::Trace(key.to_string()),
            ["split", i] => RingAction::Split(index(i)?),
            ["assign", i, node] => RingAction::Assign(index(i)?, node.to_string()),
            ["move", key, node] => RingAction::Move(key.to_string(), node.to_string()),
            ["rebalance"] => RingAction::Rebalance,
            _ => {
                return Err(format!(
                    "unknown action {text:?}: the actions are add, remove, weight, vnodes, strategy, keys, ids, zipf, celebrity, trace, split, assign, move and rebalance (`sdlab lab ring --help` shows how to write them)"
                ))
            }
        };
        Ok(action)
    }
}

/// How many keys the last change moved, against the ideal and against hash-mod-N.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Movement {
    pub moved_fraction: Option<f64>,
    pub ideal_moved_fraction: Option<f64>,
    pub modulo_moved_fraction: Option<f64>,
}

/// What one action moved: the shares, and per node the keys it gained and lost.
type Moved = (Movement, Vec<(usize, usize)>);

#[derive(Debug, Clone)]
pub struct Ring {
    pub config: RingConfig,
    pub keys: Keyspace,
    pub placement: Placement,
    /// Owner (node index) of every key; one byte, as a ring has at most 200 nodes.
    pub owners: Vec<u8>,
    /// Range sharding: (first id, node name), sorted.
    pub ranges: Vec<(u64, String)>,
    /// Directory sharding: node index per key.
    pub directory: Vec<u8>,
    pub movement: Movement,
    /// Keys each node gained and lost in the last action (by node index after it); empty when
    /// the action changed the keyspace itself.
    pub moves: Vec<(usize, usize)>,
    /// Metrics of the current state, computed once per change so drawing a frame stays cheap.
    summary: Option<RingMetrics>,
    /// The config the ring was built from, and every action applied since with the movement
    /// it caused (when known): undo and scrubbing replay a prefix of this, and the last
    /// action's movement then needs no placement of the keys before it.
    origin: RingConfig,
    /// Each action with what it moved, when known (the per-node gains and losses too, so an
    /// undo shows the step it returns to as it was).
    history: Vec<(RingAction, Option<Moved>)>,
    /// How many actions of `history` are in effect; those after were undone.
    applied: usize,
}

impl Ring {
    pub fn new(config: RingConfig) -> Result<Ring, String> {
        Ring::assemble(config, &mut None, true)
    }

    /// A ring from its config, with its keyspace taken from `spare` when that is the right one;
    /// the keys are placed (and the metrics computed) only when `place` says so.
    fn assemble(config: RingConfig, spare: &mut Option<Keyspace>, place: bool) -> Result<Ring, String> {
        config.validate()?;
        let origin = config.clone();
        let mut config = config;
        assign_regions(&mut config.nodes);
        let keys = keyspace_for(&config, spare);
        let mut ring = Ring {
            config,
            keys,
            placement: Placement::modulo(1),
            owners: Vec::new(),
            ranges: Vec::new(),
            directory: Vec::new(),
            movement: Movement::default(),
            moves: Vec::new(),
            summary: None,
            origin,
            history: Vec::new(),
            applied: 0,
        };
        ring.ranges = ring.initial_ranges();
        ring.directory = (0..ring.keys.len())
            .map(|i| (ring.keys.hash(i) % ring.config.nodes.len() as u64) as u8)
            .collect();
        if place {
            ring.place();
            ring.summary = Some(ring.compute_metrics());
        }
        Ok(ring)
    }

    /// Equal ranges over the id space in use; sequential ids leave room to grow (twice the
    /// current keys), which is exactly why the newest range becomes the hotspot.
    fn initial_ranges(&self) -> Vec<(u64, String)> {
        let top = match self.config.ids {
            Ids::Sequential => 2 * self.config.keys as u64,
            Ids::Random => ID_SPACE,
        };
        let n = self.config.nodes.len() as u64;
        // Ids start at 1: range i covers ids from 1 + i·top/n on.
        self.config
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| (if i == 0 { 0 } else { 1 + i as u64 * top / n }, node.name.clone()))
            .collect()
    }

    fn views(&self) -> Vec<NodeView<'_>> {
        self.config
            .nodes
            .iter()
            .map(|n| NodeView {
                name: &n.name,
                weight: n.weight,
                region: n
                    .region
                    .as_deref()
                    .and_then(|r| REGIONS.iter().position(|(x, _)| *x == r))
                    .map(|r| r as u8),
            })
            .collect()
    }

    fn node_index(&self, name: &str) -> Option<usize> {
        self.config.nodes.iter().position(|n| n.name == name)
    }

    fn build_placement(&mut self) -> Placement {
        if self.config.strategy == Strategy::Ketama {
            self.keys.ensure_ketama();
        } else {
            // 4 MB at a million keys; worth recomputing on the way back to ketama.
            self.keys.ketama = None;
        }
        let views = self.views();
        let n = views.len();
        match self.config.strategy {
            Strategy::Modulo => Placement::modulo(n),
            Strategy::Ring => Placement::ring(&views, self.config.vnodes),
            Strategy::Ketama => Placement::ketama(&views),
            Strategy::Jump => Placement::jump(n),
            Strategy::Rendezvous => Placement::rendezvous(&views),
            Strategy::Range => Placement::Range {
                starts: self
                    .ranges
                    .iter()
                    .map(|(s, name)| (*s, self.node_index(name).unwrap_or(0) as u16))
                    .collect(),
            },
            Strategy::Geo => Placement::geo(&views, REGIONS.len()),
            Strategy::Directory => Placement::Directory,
        }
    }

    /// Bytes the per-key tables hold on the heap (the rest of the engine is per node).
    pub fn heap_bytes(&self) -> usize {
        self.keys.heap_bytes() + self.owners.capacity() + self.directory.capacity() + self.placement.heap_bytes()
    }

    pub fn key_ref(&self, i: usize) -> KeyRef {
        KeyRef {
            hash: self.keys.hash(i),
            ketama: self.keys.ketama.as_ref().map_or(0, |k| k[i]),
            id: self.keys.id(i),
            listed: self.directory.get(i).map_or(0, |&d| u16::from(d)),
        }
    }

    /// Recomputes every key's owner.
    fn place(&mut self) {
        self.placement = self.build_placement();
        self.owners = (0..self.keys.len())
            .map(|i| self.placement.owner(&self.key_ref(i)) as u8)
            .collect();
    }

    /// Applies an action; on error nothing changes.
    pub fn apply(&mut self, action: &RingAction) -> Result<(), String> {
        let before_names: Vec<String> = self.config.nodes.iter().map(|n| n.name.clone()).collect();
        let before_owners = std::mem::take(&mut self.owners);
        match self.change(action, &before_owners, &mut None) {
            Err(e) => {
                self.owners = before_owners;
                Err(e)
            }
            Ok((same_keys, ideal)) => {
                self.place();
                self.moves = if same_keys {
                    gains_and_losses(&before_names, &before_owners, &self.config.nodes, &self.owners)
                } else {
                    Vec::new()
                };
                self.movement = if same_keys {
                    let moved = moved_fraction(&before_names, &before_owners, &self.config.nodes, &self.owners);
                    let modulo = match action {
                        RingAction::Add(_) | RingAction::Remove(_) => Some(self.modulo_moved(&before_names)),
                        _ => None,
                    };
                    Movement {
                        moved_fraction: Some(moved),
                        ideal_moved_fraction: ideal,
                        modulo_moved_fraction: modulo,
                    }
                } else {
                    Movement::default()
                };
                self.summary = Some(self.compute_metrics());
                self.history.truncate(self.applied);
                self.history
                    .push((action.clone(), Some((self.movement, self.moves.clone()))));
                self.applied = self.history.len();
                Ok(())
            }
        }
    }

    /// What an action does to the config and the strategies' tables, without placing any key:
    /// whether the keys stayed the same ones, and the least share of keys the change could move.
    /// `before_owners` is only read for that least share. A keyspace the action needs is taken
    /// from `spare` when it is the right one. On error nothing changed.
    fn change(
        &mut self,
        action: &RingAction,
        before_owners: &[u8],
        spare: &mut Option<Keyspace>,
    ) -> Result<(bool, Option<f64>), String> {
        let before_weights: Vec<u32> = self.config.nodes.iter().map(|n| n.weight).collect();
        let mut ideal = None;
        let result = (|| -> Result<bool, String> {
            match action {
                RingAction::Add(spec) => {
                    if self.node_index(&spec.name).is_some() {
                        return Err(format!("node {} already exists", spec.name));
                    }
                    if self.config.nodes.len() >= MAX_NODES {
                        return Err(format!("at most {MAX_NODES} nodes"));
                    }
                    let total: u64 = before_weights.iter().map(|&w| u64::from(w)).sum();
                    check_ring_points(self.config.strategy, self.config.vnodes, total + u64::from(spec.weight))?;
                    self.config.nodes.push(spec.clone());
                    assign_regions(&mut self.config.nodes);
                    // The least a join can move: the newcomer's fair share, and nothing else.
                    ideal = Some(self.ideal_shares().last().copied().unwrap_or(0.0));
                    if self.config.strategy == Strategy::Range {
                        self.split_busiest_for(&spec.name);
                    }
                }
                RingAction::Remove(name) => {
                    let i = self.node_index(name).ok_or_else(|| format!("no node named {name}"))?;
                    if self.config.nodes.len() == 1 {
                        return Err("cannot remove the last node".into());
                    }
                    let held = before_owners.iter().filter(|&&o| usize::from(o) == i).count();
                    ideal = Some(held as f64 / self.keys.len() as f64);
                    self.config.nodes.remove(i);
                    self.remove_from_tables(i, name);
                }
                RingAction::Weight(name, w) => {
                    let i = self.node_index(name).ok_or_else(|| format!("no node named {name}"))?;
                    if !(1..=MAX_WEIGHT).contains(w) {
                        return Err(format!(
                            "a weight must be between 1 and {} (got {w})",
                            grouped(MAX_WEIGHT.into())
                        ));
                    }
                    let old_total: u64 = before_weights.iter().map(|&w| u64::from(w)).sum();
                    let total = old_total - u64::from(before_weights[i]) + u64::from(*w);
                    check_ring_points(self.config.strategy, self.config.vnodes, total)?;
                    let old_share = f64::from(before_weights[i]) / old_total as f64;
                    self.config.nodes[i].weight = *w;
                    // Where weights do not count, nothing needs to move.
                    ideal = Some(if self.config.strategy.uses_weights() {
                        (f64::from(*w) / total as f64 - old_share).abs()
                    } else {
                        0.0
                    });
                }
                RingAction::Vnodes(v) => {
                    if !(1..=1000).contains(v) {
                        return Err(format!("vnodes must be between 1 and 1000 (got {v})"));
                    }
                    let total: u64 = before_weights.iter().map(|&w| u64::from(w)).sum();
                    check_ring_points(self.config.strategy, *v, total)?;
                    self.config.vnodes = *v;
                }
                RingAction::Strategy(s) => {
                    let total: u64 = before_weights.iter().map(|&w| u64::from(w)).sum();
                    check_ring_points(*s, self.config.vnodes, total)?;
                    self.config.strategy = *s;
                }
                RingAction::Trace(key) => {
                    check_trace_key(key)?;
                    if !self.config.traces.contains(key) && self.config.traces.len() >= MAX_TRACES {
                        return Err(format!("at most {MAX_TRACES} traced keys"));
                    }
                    if !self.config.traces.contains(key) {
                        self.config.traces.push(key.clone());
                    }
                }
                RingAction::Split(r) => {
                    if self.config.strategy != Strategy::Range {
                        return Err("split works on range sharding (strategy range)".into());
                    }
                    self.split_range(*r, None)?;
                }
                RingAction::Assign(r, node) => {
                    if self.config.strategy != Strategy::Range {
                        return Err("assign works on range sharding (strategy range)".into());
                    }
                    self.node_index(node).ok_or_else(|| format!("no node named {node}"))?;
                    let range = self.ranges.get_mut(*r).ok_or_else(|| format!("no range {r}"))?;
                    range.1 = node.clone();
                }
                RingAction::Move(key, node) => {
                    if self.config.strategy != Strategy::Directory {
                        return Err("move works on directory sharding (strategy directory)".into());
                    }
                    let n = self.node_index(node).ok_or_else(|| format!("no node named {node}"))?;
                    let id = parse_id(key).ok_or_else(|| format!("{key:?} is not a key like user:42"))?;
                    let k = self
                        .keys
                        .index_of(id)
                        .ok_or_else(|| format!("no key {key} in the keyspace"))?;
                    self.directory[k] = n as u8;
                }
                RingAction::Rebalance => match self.config.strategy {
                    Strategy::Directory => self.rebalance_directory(),
                    Strategy::Range => self.rebalance_ranges(),
                    _ => return Err("rebalance works on range and directory sharding".into()),
                },
                RingAction::Keys(_) | RingAction::Ids(_) | RingAction::Zipf(_) | RingAction::Celebrity(_) => {
                    let mut c = self.config.clone();
                    match action {
                        RingAction::Keys(k) => c.keys = *k,
                        RingAction::Ids(ids) => c.ids = *ids,
                        RingAction::Zipf(z) => c.zipf = *z,
                        RingAction::Celebrity(p) => c.celebrity = *p,
                        _ => {}
                    }
                    c.validate()?;
                    let strategy_tables_change = c.keys != self.config.keys || c.ids != self.config.ids;
                    if !strategy_tables_change && c.zipf == self.config.zipf && c.celebrity == self.config.celebrity {
                        return Ok(true);
                    }
                    self.config = c;
                    // Freed before the new one is built, so a million keys never exist twice.
                    self.keys = Keyspace::default();
                    self.keys = keyspace_for(&self.config, spare);
                    if strategy_tables_change {
                        self.ranges = self.initial_ranges();
                        let n = self.config.nodes.len() as u64;
                        self.directory = (0..self.keys.len()).map(|i| (self.keys.hash(i) % n) as u8).collect();
                    }
                    return Ok(!strategy_tables_change);
                }
            }
            Ok(true)
        })();
        result.map(|same| (same, ideal))
    }

    /// The state after `actions` from `config`, exactly as applying them one by one would
    /// leave it, but placing the keys once or twice instead of after every action: the actions
    /// change the config and the tables only, then the keys are placed. The last action's
    /// movement comes from the history when `actions` is a prefix of what this ring applied
    /// (undo, scrubbing); otherwise the keys are placed before the last action too and it is
    /// applied as usual. The keyspace of `self` is reused where the replay needs the same one
    /// (generating a million keys costs more than the rest of an undo).
    pub fn replay(&mut self, config: &RingConfig, actions: &[RingAction]) -> Result<(), String> {
        let known = config == &self.origin
            && actions.len() <= self.history.len()
            && self.history.iter().zip(actions).all(|((done, _), a)| done == a);
        let movement = match actions.len() {
            0 => Some((Movement::default(), Vec::new())),
            n if known => self.history[n - 1].1.clone(),
            _ => None,
        };
        let history = std::mem::take(&mut self.history);
        let mut spare = Some(std::mem::take(&mut self.keys)).filter(|k| k.made_from.is_some());
        // Freed before the new state is built: a million keys' tables never exist twice.
        *self = Ring::default_empty();
        let mut ring = Ring::assemble(config.clone(), &mut spare, false)?;
        let (fold, last) = match movement {
            Some(_) => (actions, None),
            None => (&actions[..actions.len() - 1], actions.last()),
        };
        for a in fold {
            ring.change(a, &[], &mut spare)?;
        }
        drop(spare);
        ring.place();
        match last {
            None => {
                (ring.movement, ring.moves) = movement.unwrap_or_default();
                ring.summary = Some(ring.compute_metrics());
                ring.history = history;
            }
            Some(last) => {
                // Movements before the last are unknown here: a later undo past them replays.
                ring.history = fold.iter().map(|a| (a.clone(), None)).collect();
                ring.applied = fold.len();
                ring.apply(last)?;
            }
        }
        ring.applied = actions.len();
        *self = ring;
        Ok(())
    }

    /// A ring holding nothing, only ever overwritten (the memory between two states).
    fn default_empty() -> Ring {
        Ring {
            config: RingConfig::default(),
            keys: Keyspace::default(),
            placement: Placement::modulo(1),
            owners: Vec::new(),
            ranges: Vec::new(),
            directory: Vec::new(),
            movement: Movement::default(),
            moves: Vec::new(),
            summary: None,
            origin: RingConfig::default(),
            history: Vec::new(),
            applied: 0,
        }
    }

    /// Fraction of keys hash-mod-N would move for the same change of node list.
    fn modulo_moved(&self, before: &[String]) -> f64 {
        let (nb, na) = (before.len() as u64, self.config.nodes.len() as u64);
        let moved = (0..self.keys.len())
            .map(|i| self.keys.hash(i))
            .filter(|h| before[(h % nb) as usize] != self.config.nodes[(h % na) as usize].name)
            .count();
        moved as f64 / self.keys.len() as f64
    }

    fn remove_from_tables(&mut self, removed: usize, name: &str) {
        // Range sharding: the removed node's ranges go to the node of the range before each.
        for i in 0..self.ranges.len() {
            if self.ranges[i].1 == name {
                let heir = (0..self.ranges.len())
                    .map(|k| (i + self.ranges.len() - 1 - k) % self.ranges.len())
                    .map(|k| self.ranges[k].1.clone())
                    .find(|n| n != name)
                    .unwrap_or_else(|| self.config.nodes[0].name.clone());
                self.ranges[i].1 = heir;
            }
        }
        // Directory sharding: the removed node's keys go to the least-loaded nodes; the other
        // entries shift down with the node list.
        let n = self.config.nodes.len();
        let mut load = vec![0usize; n + 1];
        for &d in &self.directory {
            load[usize::from(d)] += 1;
        }
        load.remove(removed);
        for d in self.directory.iter_mut() {
            let old = usize::from(*d);
            if old == removed {
                let target = (0..n).min_by_key(|&k| load[k]).unwrap_or(0);
                load[target] += 1;
                *d = target as u8;
            } else if old > removed {
                *d -= 1;
            }
        }
    }

    /// Range sharding when a node joins: split the busiest range at its key median and give
    /// the upper half to the new node, as range-based stores' balancers do.
    fn split_busiest_for(&mut self, new_node: &str) {
        let counts = self.range_key_counts();
        let busiest = (0..self.ranges.len()).max_by_key(|&i| counts[i]).unwrap_or(0);
        let _ = self.split_range(busiest, Some(new_node.to_string()));
    }

    /// Keys in each range.
    pub fn range_key_counts(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.ranges.len()];
        for id in self.keys.ids() {
            let i = self.ranges.partition_point(|(s, _)| *s <= id).saturating_sub(1);
            counts[i] += 1;
        }
        counts
    }

    fn split_range(&mut self, r: usize, new_owner: Option<String>) -> Result<(), String> {
        let (start, owner) = self.ranges.get(r).cloned().ok_or_else(|| format!("no range {r}"))?;
        let end = self.ranges.get(r + 1).map_or(u64::MAX, |x| x.0);
        let inside: Vec<u64> = self.keys.ids().filter(|id| *id >= start && *id < end).collect();
        let cut = if inside.len() >= 2 {
            inside[inside.len() / 2]
        } else {
            let top = if end == u64::MAX {
                start.saturating_mul(2).max(start + 2)
            } else {
                end
            };
            start + (top - start) / 2
        };
        if cut <= start {
            return Err(format!("range {r} is too small to split"));
        }
        self.ranges.insert(r + 1, (cut, new_owner.unwrap_or(owner)));
        Ok(())
    }

    /// One balancer step for range sharding: split the range with the most keys at its median
    /// and give the upper half to the node holding the fewest keys.
    fn rebalance_ranges(&mut self) {
        let counts = self.range_key_counts();
        let busiest = (0..self.ranges.len())
            .max_by_key(|&i| (counts[i], usize::MAX - i))
            .unwrap_or(0);
        let mut per_node = vec![0usize; self.config.nodes.len()];
        for (i, (_, name)) in self.ranges.iter().enumerate() {
            if let Some(n) = self.node_index(name) {
                per_node[n] += counts[i];
            }
        }
        let lightest = (0..per_node.len()).min_by_key(|&n| (per_node[n], n)).unwrap_or(0);
        let name = self.config.nodes[lightest].name.clone();
        let _ = self.split_range(busiest, Some(name));
    }

    /// Moves the fewest keys that bring every node within one key of the mean: a key leaves
    /// a node only while that node is above the fair share and another is below it.
    fn rebalance_directory(&mut self) {
        let n = self.config.nodes.len();
        let mut load = vec![0usize; n];
        for &d in &self.directory {
            load[usize::from(d)] += 1;
        }
        let (lo, hi) = (self.keys.len() / n, self.keys.len().div_ceil(n));
        for k in 0..self.directory.len() {
            let from = usize::from(self.directory[k]);
            let (to, min) = load
                .iter()
                .enumerate()
                .min_by_key(|(_, l)| **l)
                .map(|(i, l)| (i, *l))
                .unwrap_or((0, 0));
            if (load[from] > hi || (load[from] > lo && min < lo)) && min + 1 < load[from] {
                load[from] -= 1;
                load[to] += 1;
                self.directory[k] = to as u8;
            }
        }
    }

    /// The owner name of a key given by name (e.g. `user:42`); keys outside the keyspace are
    /// placed too, as a lookup would.
    pub fn trace(&self, key: &str) -> Trace {
        let hash = hash::h64(key.as_bytes());
        let ketama = hash::ketama_key(key);
        let id = parse_id(key).unwrap_or(hash % ID_SPACE);
        let index = self.keys.index_of(id);
        let nodes = self.config.nodes.len();
        let kr = KeyRef {
            hash,
            ketama,
            id,
            // A key the directory has never seen would be assigned like the others were.
            listed: index.map_or((hash % nodes as u64) as u16, |i| u16::from(self.directory[i])),
        };
        let owner = self.placement.owner(&kr);
        let preference = self.placement.preference(&kr, self.config.replicas, nodes);
        let shown_hash = if self.config.strategy == Strategy::Ketama {
            u64::from(ketama)
        } else {
            hash
        };
        Trace {
            key: key.to_string(),
            hash: shown_hash,
            owner: self.config.nodes[usize::from(owner)].name.clone(),
            preference: preference
                .into_iter()
                .map(|i| self.config.nodes[usize::from(i)].name.clone())
                .collect(),
        }
    }

    /// The metrics of the current state (computed when the state last changed).
    pub fn metrics(&self) -> RingMetrics {
        self.summary.clone().unwrap_or_else(|| self.compute_metrics())
    }

    /// The share of traffic each node should get under the current strategy, if it were
    /// perfectly balanced: weight over total weight, or 1/N where the strategy ignores weights.
    pub fn ideal_shares(&self) -> Vec<f64> {
        let nodes = &self.config.nodes;
        if self.config.strategy.uses_weights() {
            let total: f64 = nodes.iter().map(|n| f64::from(n.weight)).sum();
            nodes.iter().map(|n| f64::from(n.weight) / total).collect()
        } else {
            vec![1.0 / nodes.len() as f64; nodes.len()]
        }
    }

    fn compute_metrics(&self) -> RingMetrics {
        let n = self.config.nodes.len();
        let mut keys = vec![0usize; n];
        let mut load = vec![0f64; n];
        for &o in &self.owners {
            keys[usize::from(o)] += 1;
        }
        if !self.keys.uniform() {
            for (k, &o) in self.owners.iter().enumerate() {
                load[usize::from(o)] += f64::from(self.keys.traffic(k));
            }
        } else {
            // Uniform traffic: a node's share is exactly its share of keys, without the f32
            // rounding of per-key shares (0.303, not 0.30300001).
            let total = self.keys.len().max(1) as f64;
            load = keys.iter().map(|&k| k as f64 / total).collect();
        }
        // Each node's load against the share this strategy means it to have: weight over the
        // total where weights count, an equal share where they do not. With a,b=2,c under
        // ketama, b holding half the keys is exactly right, not 1.5× the mean.
        let ideals = self.ideal_shares();
        let ratios: Vec<f64> = load.iter().zip(&ideals).map(|(l, i)| l / i).collect();
        let max = ratios.iter().copied().fold(0.0, f64::max);
        let var = ratios.iter().map(|r| (r - 1.0).powi(2)).sum::<f64>() / n as f64;
        // A range scan over 100 consecutive ids from the middle of the keyspace.
        let start = self.keys.len() / 2;
        let end = (start + 100).min(self.keys.len());
        let mut touched: Vec<u8> = self.owners[start..end].to_vec();
        touched.sort_unstable();
        touched.dedup();
        RingMetrics {
            strategy: self.config.strategy.name(),
            nodes: self
                .config
                .nodes
                .iter()
                .enumerate()
                .map(|(i, node)| NodeMetrics {
                    name: node.name.clone(),
                    weight: node.weight,
                    region: node.region.clone(),
                    keys: keys[i],
                    share: load[i],
                    ideal_share: ideals[i],
                    keys_gained: self.moves.get(i).map_or(0, |m| m.0),
                    keys_lost: self.moves.get(i).map_or(0, |m| m.1),
                })
                .collect(),
            node_count: n,
            keys: self.keys.len(),
            vnodes: self.config.vnodes,
            points: match &self.placement {
                Placement::Circle { points, .. } => points.len(),
                _ => 0,
            },
            max_over_mean: max,
            stddev: var.sqrt(),
            moved_fraction: self.movement.moved_fraction,
            ideal_moved_fraction: self.movement.ideal_moved_fraction,
            modulo_moved_fraction: self.movement.modulo_moved_fraction,
            traces: self.config.traces.iter().map(|k| self.trace(k)).collect(),
            fanout: FanOut {
                query: format!(
                    "{}..={}",
                    key_name(self.keys.id(start)),
                    key_name(self.keys.id(end - 1))
                ),
                nodes: touched.len(),
            },
            celebrity: self.keys.celebrity.map(|c| Celebrity {
                key: key_name(self.keys.id(c)),
                owner: self.config.nodes[usize::from(self.owners[c])].name.clone(),
                // The configured share itself: the stored f32 would print as 0.30000001.
                share: (self.config.celebrity / 100.0).clamp(0.0, 1.0),
            }),
        }
    }
}

/// The keyspace `config` asks for: `spare` when it was made from the same parameters (it is
/// then used up), else a new one.
fn keyspace_for(config: &RingConfig, spare: &mut Option<Keyspace>) -> Keyspace {
    let params = keyspace::KeyParams {
        count: config.keys,
        ids: config.ids,
        zipf: config.zipf,
        celebrity_pct: config.celebrity,
        seed: config.seed,
    };
    if spare.as_ref().and_then(|k| k.made_from) == Some(params) {
        if let Some(keys) = spare.take() {
            return keys;
        }
    }
    if spare
        .as_ref()
        .is_some_and(|k| k.len() >= 100_000 && config.keys >= 100_000)
    {
        // Two big keyspaces at once would break the memory budget; the spare may have been
        // wanted later in the replay, which then generates it again.
        *spare = None;
    }
    Keyspace::generate(config.keys, config.ids, config.zipf, config.celebrity, config.seed)
}

/// Regions for nodes that have none: round-robin over REGIONS, so every region gets a node.
fn assign_regions(nodes: &mut [NodeSpec]) {
    for (i, node) in nodes.iter_mut().enumerate() {
        if node.region.is_none() {
            node.region = Some(REGIONS[i % REGIONS.len()].0.to_string());
        }
    }
}

/// `user:42` or `42` → 42.
pub fn parse_id(key: &str) -> Option<u64> {
    key.strip_prefix("user:").unwrap_or(key).parse().ok()
}

/// Keys each node (by index in `nodes`) gained and lost between two owner tables; a node that
/// left is not in `nodes`, so only its keys' new owners count them.
fn gains_and_losses(before_names: &[String], before: &[u8], nodes: &[NodeSpec], after: &[u8]) -> Vec<(usize, usize)> {
    let mut out = vec![(0usize, 0usize); nodes.len()];
    if before.len() != after.len() {
        return out;
    }
    let map: Vec<Option<u8>> = before_names
        .iter()
        .map(|name| nodes.iter().position(|n| &n.name == name).map(|i| i as u8))
        .collect();
    for (b, a) in before.iter().zip(after) {
        let old = map[usize::from(*b)];
        if old != Some(*a) {
            out[usize::from(*a)].0 += 1;
            if let Some(o) = old {
                out[usize::from(o)].1 += 1;
            }
        }
    }
    out
}

/// Fraction of keys whose owner (by node name) changed.
fn moved_fraction(before_names: &[String], before: &[u8], nodes: &[NodeSpec], after: &[u8]) -> f64 {
    if before.len() != after.len() || before.is_empty() {
        return 0.0;
    }
    // Old node index → new node index, so comparing owners is an array lookup per key.
    let map: Vec<Option<u8>> = before_names
        .iter()
        .map(|name| nodes.iter().position(|n| &n.name == name).map(|i| i as u8))
        .collect();
    let moved = before
        .iter()
        .zip(after)
        .filter(|(b, a)| map[usize::from(**b)] != Some(**a))
        .count();
    moved as f64 / before.len() as f64
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace {
    pub key: String,
    pub hash: u64,
    pub owner: String,
    pub preference: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeMetrics {
    pub name: String,
    pub weight: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub keys: usize,
    /// Share of all traffic this node serves.
    pub share: f64,
    /// The share the strategy means this node to have (what max/mean and sd compare with).
    pub ideal_share: f64,
    /// Keys that moved to this node in the last action.
    pub keys_gained: usize,
    /// Keys that moved away from this node in the last action.
    pub keys_lost: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FanOut {
    pub query: String,
    pub nodes: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Celebrity {
    pub key: String,
    pub owner: String,
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RingMetrics {
    pub strategy: &'static str,
    pub nodes: Vec<NodeMetrics>,
    pub node_count: usize,
    pub keys: usize,
    pub vnodes: u32,
    /// Points on the circle (ring and ketama).
    pub points: usize,
    /// The largest load of a node over its ideal share (1.0 is perfect balance; with equal
    /// ideals, the busiest node over the mean).
    pub max_over_mean: f64,
    /// Standard deviation of per-node load over ideal share.
    pub stddev: f64,
    pub moved_fraction: Option<f64>,
    pub ideal_moved_fraction: Option<f64>,
    pub modulo_moved_fraction: Option<f64>,
    pub traces: Vec<Trace>,
    /// Nodes a scan of 100 consecutive ids touches.
    pub fanout: FanOut,
    pub celebrity: Option<Celebrity>,
}

/// A plain-text account of a state, for the CLI without --json.
pub fn describe(m: &RingMetrics, action: Option<&str>) -> String {
    let mut out = match action {
        None => format!("initial: {} with {} nodes, {} keys\n", m.strategy, m.node_count, m.keys),
        Some(a) => format!("after `{a}`:\n"),
    };
    for n in &m.nodes {
        out.push_str(&format!(
            "  {:<16} weight {:<3} {:>8} keys  {:>6.2}% of traffic\n",
            n.name,
            n.weight,
            n.keys,
            n.share * 100.0
        ));
    }
    out.push_str(&format!(
        "  max/mean {:.3} · stddev {:.3} · a 100-id scan touches {} node(s)\n",
        m.max_over_mean, m.stddev, m.fanout.nodes
    ));
    if let Some(line) = movement_line(m) {
        out.push_str(&format!("  {line}\n"));
    }
    for t in &m.traces {
        out.push_str(&format!(
            "  {} → {} (replicas: {})\n",
            t.key,
            t.owner,
            t.preference.join(", ")
        ));
    }
    out
}

/// "23.9% of keys moved · ideal 20.0% · modulo would move 80.1%"
pub fn movement_line(m: &RingMetrics) -> Option<String> {
    let moved = m.moved_fraction?;
    let mut line = format!("{:.1}% of keys moved", moved * 100.0);
    if let Some(i) = m.ideal_moved_fraction {
        line.push_str(&format!(" · ideal {:.1}%", i * 100.0));
    }
    if let Some(x) = m.modulo_moved_fraction {
        line.push_str(&format!(" · modulo would move {:.1}%", x * 100.0));
    }
    Some(line)
}
