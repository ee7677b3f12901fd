//! The simulated network the consensus engines send messages over: per-link delay, message
//! loss, partitions along any cut (two-way or one-way), crashed nodes.

use rand::RngExt;
use serde::Serialize;

use super::{node_index, node_name};
use crate::engines::sim::{ms_to_us, Micros, SimRng};

#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    n: usize,
    /// Which side of the current partition each node is on; everyone on side 0 when healed.
    side: Vec<u8>,
    /// One-way cuts: `blocked[from * n + to]` drops messages from → to.
    blocked: Vec<bool>,
    crashed: Vec<bool>,
    /// Mean one-way delay of each link, in ms.
    delay_ms: Vec<f64>,
    /// Each message's delay is uniform in delay ± jitter.
    pub jitter_ms: f64,
    /// Probability that any one message is lost.
    pub loss: f64,
}

/// A fault or a repair, written as text in a lab's actions.
#[derive(Debug, Clone, PartialEq)]
pub enum NetAction {
    /// Two or more sides, each a set of node indices; every node is on exactly one side.
    Partition(Vec<Vec<usize>>),
    /// Drop messages from → to (one way).
    Cut(usize, usize),
    Heal,
    Crash(usize),
    Restart(usize),
    /// Delay of every link, or of one link (both directions).
    Delay(Option<(usize, usize)>, f64),
    /// Loss probability as a percentage.
    Loss(f64),
}

/// Parses `a,b|c,d,e` into sides; every node must appear on exactly one side.
pub fn parse_sides(text: &str, n: usize) -> Result<Vec<Vec<usize>>, String> {
    let usage = || {
        format!(
            "partition {text:?}: name the sides with '|' between them and ',' inside, e.g. n1,n2|n3,n4,n5, putting each of n1 to n{n} on one side"
        )
    };
    let sides: Vec<&str> = text.split('|').map(str::trim).collect();
    if sides.len() < 2 || sides.iter().any(|s| s.is_empty()) {
        return Err(usage());
    }
    let mut seen = vec![false; n];
    let mut out = Vec::new();
    for side in sides {
        let mut members = Vec::new();
        for name in side.split(',') {
            let i = node_index(name, n)?;
            if seen[i] {
                return Err(format!("partition {text:?}: {} is named twice", node_name(i)));
            }
            seen[i] = true;
            members.push(i);
        }
        out.push(members);
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(format!(
            "partition {text:?}: {} is on no side; put each of n1 to n{n} on one side",
            node_name(missing)
        ));
    }
    Ok(out)
}

impl NetAction {
    /// Parses the network's actions; `Ok(None)` when the text is some other action.
    pub fn parse(text: &str, n: usize) -> Result<Option<NetAction>, String> {
        let text = text.trim();
        let (verb, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let rest = rest.trim();
        let percent = |s: &str| -> Result<f64, String> {
            s.trim_end_matches('%')
                .parse::<f64>()
                .ok()
                .filter(|p| (0.0..=100.0).contains(p))
                .ok_or_else(|| format!("loss {s:?}: give a percentage from 0 to 100"))
        };
        let ms = |s: &str| -> Result<f64, String> {
            s.trim_end_matches("ms")
                .parse::<f64>()
                .ok()
                .filter(|d| (0.0..=10_000.0).contains(d))
                .ok_or_else(|| format!("delay {s:?}: give milliseconds from 0 to 10000"))
        };
        Ok(Some(match verb {
            "partition" => NetAction::Partition(parse_sides(rest, n)?),
            "cut" => {
                let (a, b) = rest.split_once('>').ok_or_else(|| {
                    format!("cut {rest:?}: write FROM>TO, e.g. cut n1>n2 (messages from n1 to n2 are lost)")
                })?;
                let (a, b) = (node_index(a, n)?, node_index(b, n)?);
                if a == b {
                    return Err("cut: a node always reaches itself; name two different nodes".into());
                }
                NetAction::Cut(a, b)
            }
            "heal" if rest.is_empty() => NetAction::Heal,
            "crash" => NetAction::Crash(node_index(rest, n)?),
            "restart" => NetAction::Restart(node_index(rest, n)?),
            "loss" => NetAction::Loss(percent(rest)?),
            "delay" => match rest.split_once(char::is_whitespace) {
                None => NetAction::Delay(None, ms(rest)?),
                Some((link, d)) => {
                    let (a, b) = link
                        .split_once('-')
                        .ok_or_else(|| format!("delay {rest:?}: write delay MS or delay A-B MS"))?;
                    NetAction::Delay(Some((node_index(a, n)?, node_index(b, n)?)), ms(d.trim())?)
                }
            },
            _ => return Ok(None),
        }))
    }
}

/// What a drawing needs to know about the network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkView {
    pub partitioned: bool,
    /// Node names per side while partitioned; empty when healed.
    pub sides: Vec<Vec<String>>,
    /// One-way cuts as (from, to).
    pub cuts: Vec<(String, String)>,
    pub crashed: Vec<String>,
    pub loss: f64,
}

impl Network {
    pub fn new(n: usize, delay_ms: f64, jitter_ms: f64) -> Network {
        Network {
            n,
            side: vec![0; n],
            blocked: vec![false; n * n],
            crashed: vec![false; n],
            delay_ms: vec![delay_ms; n * n],
            jitter_ms,
            loss: 0.0,
        }
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Applies a fault or repair. Crash and restart only flip the flag: the engine owning the
    /// nodes decides what a node forgets.
    pub fn apply(&mut self, action: &NetAction) {
        match action {
            NetAction::Partition(sides) => {
                for (s, members) in sides.iter().enumerate() {
                    for &i in members {
                        self.side[i] = s as u8;
                    }
                }
            }
            NetAction::Cut(a, b) => self.blocked[a * self.n + b] = true,
            NetAction::Heal => {
                self.side.iter_mut().for_each(|s| *s = 0);
                self.blocked.iter_mut().for_each(|b| *b = false);
            }
            NetAction::Crash(i) => self.crashed[*i] = true,
            NetAction::Restart(i) => self.crashed[*i] = false,
            NetAction::Delay(None, d) => self.delay_ms.iter_mut().for_each(|x| *x = *d),
            NetAction::Delay(Some((a, b)), d) => {
                self.delay_ms[a * self.n + b] = *d;
                self.delay_ms[b * self.n + a] = *d;
            }
            NetAction::Loss(p) => self.loss = p / 100.0,
        }
    }

    pub fn crashed(&self, i: usize) -> bool {
        self.crashed[i]
    }

    pub fn partitioned(&self) -> bool {
        self.side.iter().any(|&s| s != self.side[0]) || self.blocked.iter().any(|&b| b)
    }

    /// Whether a message from → to can arrive now (the link is up and both nodes run).
    pub fn link_up(&self, from: usize, to: usize) -> bool {
        from == to
            || (!self.crashed[from]
                && !self.crashed[to]
                && self.side[from] == self.side[to]
                && !self.blocked[from * self.n + to])
    }

    /// Nodes `from` can exchange messages with both ways right now, itself included.
    pub fn reachable(&self, from: usize) -> Vec<usize> {
        (0..self.n)
            .filter(|&to| !self.crashed[to] && self.link_up(from, to) && self.link_up(to, from))
            .collect()
    }

    /// The side of the partition a node is on (0 when healed).
    pub fn side_of(&self, i: usize) -> usize {
        self.side[i] as usize
    }

    /// Sampled delay of one message, or None when the message is lost on the way.
    pub fn transit(&self, rng: &mut SimRng, from: usize, to: usize) -> Option<Micros> {
        if self.loss > 0.0 && rng.random::<f64>() < self.loss {
            return None;
        }
        let mean = self.delay_ms[from * self.n + to];
        let jitter = self.jitter_ms.min(mean);
        let d = if jitter > 0.0 {
            mean + rng.random_range(-jitter..=jitter)
        } else {
            mean
        };
        Some(ms_to_us(d).max(1))
    }

    pub fn view(&self) -> NetworkView {
        let partitioned = self.side.iter().any(|&s| s != self.side[0]);
        let sides = if partitioned {
            let max = *self.side.iter().max().unwrap_or(&0) as usize;
            (0..=max)
                .map(|s| {
                    (0..self.n)
                        .filter(|&i| self.side[i] as usize == s)
                        .map(node_name)
                        .collect()
                })
                .filter(|v: &Vec<String>| !v.is_empty())
                .collect()
        } else {
            Vec::new()
        };
        let mut cuts = Vec::new();
        for a in 0..self.n {
            for b in 0..self.n {
                if self.blocked[a * self.n + b] {
                    cuts.push((node_name(a), node_name(b)));
                }
            }
        }
        NetworkView {
            partitioned,
            sides,
            cuts,
            crashed: (0..self.n).filter(|&i| self.crashed[i]).map(node_name).collect(),
            loss: self.loss,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_must_cover_every_node_once() {
        assert_eq!(
            parse_sides("n1,n2|n3,n4,n5", 5).unwrap(),
            vec![vec![0, 1], vec![2, 3, 4]]
        );
        assert!(parse_sides("n1,n2|n3", 5).unwrap_err().contains("n4 is on no side"));
        assert!(parse_sides("n1,n2", 5).is_err());
        assert!(parse_sides("n1|n1,n2", 2).unwrap_err().contains("named twice"));
        assert!(parse_sides("n1|n7", 5).unwrap_err().contains("n1 to n5"));
        assert!(parse_sides("n1||n2", 2).is_err());
    }

    #[test]
    fn partitions_and_one_way_cuts() {
        let mut net = Network::new(4, 5.0, 0.0);
        net.apply(&NetAction::parse("partition n1|n2,n3,n4", 4).unwrap().unwrap());
        assert!(!net.link_up(0, 1) && net.link_up(1, 2));
        assert_eq!(net.reachable(1), vec![1, 2, 3]);
        net.apply(&NetAction::Heal);
        net.apply(&NetAction::parse("cut n1>n2", 4).unwrap().unwrap());
        assert!(!net.link_up(0, 1) && net.link_up(1, 0));
        // A one-way cut breaks the exchange both ways: n1 and n2 no longer reach each other.
        assert_eq!(net.reachable(0), vec![0, 2, 3]);
        net.apply(&NetAction::Crash(3));
        assert_eq!(net.reachable(0), vec![0, 2]);
        assert!(NetAction::parse("cut n1-n2", 4).is_err());
        assert_eq!(NetAction::parse("write a=1 @n1", 4), Ok(None));
    }

    #[test]
    fn lossy_links_drop_about_the_requested_share() {
        // 20,000 messages at 25% loss: standard error sqrt(.25 × .75 / 20000) ≈ 0.0031; 4 SE.
        let mut net = Network::new(2, 10.0, 2.0);
        net.apply(&NetAction::Loss(25.0));
        let mut rng = crate::engines::sim::rng(3);
        let n = 20_000;
        let mut lost = 0;
        for _ in 0..n {
            match net.transit(&mut rng, 0, 1) {
                None => lost += 1,
                Some(d) => assert!((8_000..=12_000).contains(&d), "{d}"),
            }
        }
        assert!((lost as f64 / n as f64 - 0.25).abs() < 4.0 * 0.0031, "{lost}");
    }
}
