//! What a replication run starts from: the topology, the commit mode, each link's delay, the
//! client load and read routing, and the failure detector's settings. Every value the command
//! line or a key can set is parsed here, with errors that say what is valid.

use serde::{Deserialize, Serialize};

use crate::engines::sim::{self, SimRng};

pub const MAX_REPLICAS: usize = 7;
pub const MAX_CLIENTS: usize = 9;

/// When the primary acknowledges a write to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// At once: replicas get the write later.
    #[default]
    Async,
    /// Once `acks` replicas have the write in their relay log (or after the timeout).
    Semisync,
    /// Once every replica has applied the write.
    Sync,
}

impl Mode {
    pub fn parse(s: &str) -> Result<Mode, String> {
        match s {
            "async" => Ok(Mode::Async),
            "semisync" | "semi-sync" => Ok(Mode::Semisync),
            "sync" => Ok(Mode::Sync),
            other => Err(format!("unknown mode {other:?}: use async, semisync or sync")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Async => "async",
            Mode::Semisync => "semisync",
            Mode::Sync => "sync",
        }
    }
}

/// A link's one-way replication delay, optionally with rare spikes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Delay {
    pub kind: DelayKind,
    /// Milliseconds: the fixed delay or the exponential's mean.
    pub ms: f64,
    /// Probability that one message takes `spike_ms` longer (0 = never).
    #[serde(default)]
    pub spike_p: f64,
    #[serde(default)]
    pub spike_ms: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DelayKind {
    Fixed,
    Exp,
}

impl Default for Delay {
    fn default() -> Self {
        Delay::fixed(50.0)
    }
}

impl Delay {
    pub fn fixed(ms: f64) -> Delay {
        Delay {
            kind: DelayKind::Fixed,
            ms,
            spike_p: 0.0,
            spike_ms: 0.0,
        }
    }

    pub fn exp(mean: f64) -> Delay {
        Delay {
            kind: DelayKind::Exp,
            ..Delay::fixed(mean)
        }
    }

    /// `fixed:MS`, `exp:MEAN_MS`, either followed by `+spike:PROB:MS`.
    pub fn parse(s: &str) -> Result<Delay, String> {
        const VALID: &str = "use fixed:MS or exp:MEAN_MS (milliseconds, 0 to 600000), optionally +spike:PROB:MS";
        let (base, spike) = match s.split_once('+') {
            Some((b, sp)) => (b, Some(sp)),
            None => (s, None),
        };
        let ms = |v: &str| -> Result<f64, String> {
            match v.trim().parse::<f64>() {
                Ok(x) if x.is_finite() && (0.0..=600_000.0).contains(&x) => Ok(x),
                _ => Err(format!("delay {s:?}: {v:?} is not a delay; {VALID}")),
            }
        };
        let mut d = match base.split_once(':') {
            Some(("fixed", v)) => Delay::fixed(ms(v)?),
            Some(("exp", v)) => Delay::exp(ms(v)?),
            None if base.trim().parse::<f64>().is_ok() => Delay::fixed(ms(base)?),
            _ => return Err(format!("delay {s:?}: {VALID}")),
        };
        if let Some(sp) = spike {
            let mut parts = sp.split(':');
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some("spike"), Some(p), Some(extra), None) => {
                    d.spike_p = match p.parse::<f64>() {
                        Ok(x) if (0.0..=1.0).contains(&x) => x,
                        _ => {
                            return Err(format!(
                                "delay {s:?}: the spike probability {p:?} must be between 0 and 1"
                            ))
                        }
                    };
                    d.spike_ms = ms(extra)?;
                }
                _ => return Err(format!("delay {s:?}: {VALID}")),
            }
        }
        Ok(d)
    }

    /// One message's delay in milliseconds.
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        let base = match self.kind {
            DelayKind::Fixed => self.ms,
            DelayKind::Exp => sim::exponential(rng, self.ms),
        };
        if self.spike_p > 0.0 && rand::RngExt::random::<f64>(rng) < self.spike_p {
            base + self.spike_ms
        } else {
            base
        }
    }

    pub fn describe(&self) -> String {
        let base = match self.kind {
            DelayKind::Fixed => format!("fixed:{}", sim::round6(self.ms)),
            DelayKind::Exp => format!("exp:{}", sim::round6(self.ms)),
        };
        if self.spike_p > 0.0 {
            format!("{base}+spike:{}:{}", self.spike_p, sim::round6(self.spike_ms))
        } else {
            base
        }
    }
}

/// Which node serves a client's read.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "ms")]
pub enum Routing {
    /// Every read goes to the primary.
    Primary,
    /// A replica chosen uniformly at random.
    #[default]
    Random,
    /// The replicas in turn.
    RoundRobin,
    /// Each client's session sticks to one replica.
    Pinned,
    /// A random replica if it has applied the session's last write, else the primary.
    RywToken,
    /// The primary for this many ms after the session's last write, else a random replica.
    PrimaryAfterWrite(f64),
}

impl Routing {
    pub fn parse(s: &str) -> Result<Routing, String> {
        const VALID: &str = "use primary, random, round-robin, pinned, ryw-token or primary-after-write:MS";
        Ok(match s {
            "primary" => Routing::Primary,
            "random" => Routing::Random,
            "round-robin" | "roundrobin" => Routing::RoundRobin,
            "pinned" => Routing::Pinned,
            "ryw-token" | "token" => Routing::RywToken,
            other => match other.strip_prefix("primary-after-write:") {
                Some(ms) => match ms.parse::<f64>() {
                    Ok(x) if x.is_finite() && (0.0..=3_600_000.0).contains(&x) => Routing::PrimaryAfterWrite(x),
                    _ => {
                        return Err(format!(
                            "routing {other:?}: {ms:?} must be milliseconds between 0 and 3600000"
                        ))
                    }
                },
                None => return Err(format!("unknown routing {other:?}: {VALID}")),
            },
        })
    }

    pub fn name(&self) -> String {
        match self {
            Routing::Primary => "primary".into(),
            Routing::Random => "random".into(),
            Routing::RoundRobin => "round-robin".into(),
            Routing::Pinned => "pinned".into(),
            Routing::RywToken => "ryw-token".into(),
            Routing::PrimaryAfterWrite(ms) => format!("primary-after-write:{}", sim::round6(*ms)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplicationConfig {
    pub mode: Mode,
    /// Replicas r1..rN (1 to 7).
    pub replicas: usize,
    /// Semi-sync: how many replicas must acknowledge (1 to replicas).
    pub acks: usize,
    /// Every link's delay, unless `delays` names one per replica.
    pub delay: Delay,
    /// Per-replica delays (r1 first); missing entries use `delay`.
    pub delays: Vec<Delay>,
    /// Time for an acknowledgement to travel back to the primary.
    pub ack_delay_ms: f64,
    /// Writes a replica applies per second (0 = it applies each write the moment it arrives).
    pub apply_rate: f64,
    /// Semi-sync waits this long for acknowledgements, then falls back to async.
    pub semisync_timeout_ms: f64,
    pub routing: Routing,
    /// Client sessions c1..cN.
    pub clients: usize,
    /// Background load: writes and reads per second across all clients, on keys k1..kK.
    pub write_rate: f64,
    pub read_rate: f64,
    pub keys: usize,
    /// Failure detector: a heartbeat every `heartbeat_ms`; this many missed in a row is a failure.
    pub heartbeat_ms: f64,
    pub missed_heartbeats: u32,
    /// Promote automatically when the detector fires.
    pub auto_failover: bool,
    /// Shut the old primary down (STONITH) when promoting, so it cannot keep taking writes.
    pub fencing: bool,
    pub seed: u64,
}

impl Default for ReplicationConfig {
    fn default() -> Self {
        ReplicationConfig {
            mode: Mode::Async,
            replicas: 2,
            acks: 1,
            delay: Delay::fixed(100.0),
            delays: Vec::new(),
            ack_delay_ms: 0.0,
            apply_rate: 0.0,
            // MySQL's rpl_semi_sync_source_timeout defaults to 10000 ms.
            semisync_timeout_ms: 10_000.0,
            routing: Routing::Random,
            clients: 3,
            write_rate: 0.0,
            read_rate: 0.0,
            keys: 8,
            heartbeat_ms: 1_000.0,
            missed_heartbeats: 3,
            auto_failover: false,
            fencing: false,
            seed: 42,
        }
    }
}

fn in_range(name: &str, v: f64, lo: f64, hi: f64) -> Result<(), String> {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(())
    } else {
        Err(format!("{name} {v}: must be between {lo} and {hi}"))
    }
}

impl ReplicationConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_REPLICAS).contains(&self.replicas) {
            return Err(format!(
                "replicas {}: must be between 1 and {MAX_REPLICAS}",
                self.replicas
            ));
        }
        if !(1..=self.replicas).contains(&self.acks) {
            return Err(format!(
                "acks {}: must be between 1 and {} (the number of replicas)",
                self.acks, self.replicas
            ));
        }
        if self.delays.len() > self.replicas {
            return Err(format!(
                "delays: {} given for {} replicas",
                self.delays.len(),
                self.replicas
            ));
        }
        for d in std::iter::once(&self.delay).chain(&self.delays) {
            in_range("delay (ms)", d.ms, 0.0, 600_000.0)?;
            in_range("spike probability", d.spike_p, 0.0, 1.0)?;
            in_range("spike (ms)", d.spike_ms, 0.0, 600_000.0)?;
        }
        in_range("ack delay (ms)", self.ack_delay_ms, 0.0, 600_000.0)?;
        in_range("apply rate (writes/s)", self.apply_rate, 0.0, 1_000_000.0)?;
        in_range("semi-sync timeout (ms)", self.semisync_timeout_ms, 1.0, 3_600_000.0)?;
        if let Routing::PrimaryAfterWrite(ms) = self.routing {
            in_range("primary-after-write (ms)", ms, 0.0, 3_600_000.0)?;
        }
        if !(1..=MAX_CLIENTS).contains(&self.clients) {
            return Err(format!("clients {}: must be between 1 and {MAX_CLIENTS}", self.clients));
        }
        in_range("write rate (writes/s)", self.write_rate, 0.0, 10_000.0)?;
        in_range("read rate (reads/s)", self.read_rate, 0.0, 100_000.0)?;
        if !(1..=100).contains(&self.keys) {
            return Err(format!("keys {}: must be between 1 and 100", self.keys));
        }
        in_range("heartbeat interval (ms)", self.heartbeat_ms, 1.0, 600_000.0)?;
        if !(1..=100).contains(&self.missed_heartbeats) {
            return Err(format!(
                "missed heartbeats {}: must be between 1 and 100",
                self.missed_heartbeats
            ));
        }
        Ok(())
    }

    /// Replica `i`'s (0-based) delay.
    pub fn delay_of(&self, i: usize) -> Delay {
        self.delays.get(i).copied().unwrap_or(self.delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_parse_with_and_without_spikes() {
        assert_eq!(Delay::parse("fixed:20").unwrap(), Delay::fixed(20.0));
        assert_eq!(Delay::parse("exp:300").unwrap(), Delay::exp(300.0));
        let d = Delay::parse("exp:50+spike:0.01:2000").unwrap();
        assert_eq!((d.spike_p, d.spike_ms), (0.01, 2000.0));
        assert_eq!(d.describe(), "exp:50+spike:0.01:2000");
        for bad in ["fixed:-5", "exp:", "gauss:3", "fixed:10+spike:2:5", "fixed:nan"] {
            assert!(Delay::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn routings_parse_and_print_back() {
        for s in [
            "primary",
            "random",
            "round-robin",
            "pinned",
            "ryw-token",
            "primary-after-write:500",
        ] {
            assert_eq!(Routing::parse(s).unwrap().name(), s);
        }
        let e = Routing::parse("nearest").unwrap_err();
        assert!(e.contains("\"nearest\"") && e.contains("ryw-token"), "{e}");
    }

    #[test]
    fn acks_must_fit_the_replicas() {
        let c = ReplicationConfig {
            replicas: 2,
            acks: 3,
            ..Default::default()
        };
        let e = c.validate().unwrap_err();
        assert!(e.contains("between 1 and 2"), "{e}");
    }
}
