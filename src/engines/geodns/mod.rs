//! The geo-DNS engine: users resolve the service name to the nearest healthy data center, each
//! resolver keeps the answer for the record's TTL, and health checks notice a failure only at
//! the next check. So when a data center fails, its traffic moves only as cached answers
//! expire, and writes it had not yet replicated are missing at the survivors.

pub mod cli;
pub mod lab;

use std::collections::VecDeque;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::engines::cdn::geo;
use crate::engines::sim::{self, EventLog, EventQueue, Micros, SimRng};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeoDnsConfig {
    /// Regions with a data center.
    pub dcs: Vec<String>,
    /// Regions users are in.
    pub users: Vec<String>,
    /// TTL of the DNS answer, seconds.
    pub dns_ttl_s: f64,
    /// Seconds between health checks of every data center.
    pub check_interval_s: f64,
    /// Recursive resolvers per user region (each caches its own answer).
    pub resolvers: usize,
    /// Requests per second from each user region.
    pub rate: f64,
    /// Share of requests that are writes.
    pub write_share: f64,
    /// How far asynchronous replication between data centers lags, seconds.
    pub replication_lag_s: f64,
    pub seed: u64,
}

impl Default for GeoDnsConfig {
    fn default() -> Self {
        GeoDnsConfig {
            dcs: ["us-east", "eu-west", "ap-northeast"].map(String::from).to_vec(),
            users: geo::REGIONS.iter().map(|r| r.0.to_string()).collect(),
            dns_ttl_s: 60.0,
            check_interval_s: 10.0,
            resolvers: 50,
            rate: 20.0,
            write_share: 0.1,
            replication_lag_s: 2.0,
            seed: 42,
        }
    }
}

impl GeoDnsConfig {
    pub fn validate(&self) -> Result<(), String> {
        geo::region_list(&self.dcs.join(","))?;
        geo::region_list(&self.users.join(","))?;
        for (name, v, lo, hi) in [
            ("the DNS TTL", self.dns_ttl_s, 0.0, 86_400.0),
            ("the health-check interval", self.check_interval_s, 0.1, 3_600.0),
            ("the replication lag", self.replication_lag_s, 0.0, 3_600.0),
        ] {
            if !(lo..=hi).contains(&v) {
                return Err(format!("{name} must be {lo} to {hi} seconds (got {v})"));
            }
        }
        if !(1..=10_000).contains(&self.resolvers) {
            return Err(format!(
                "resolvers per region must be 1 to 10,000 (got {})",
                self.resolvers
            ));
        }
        if !(self.rate > 0.0 && self.rate <= 10_000.0) {
            return Err(format!(
                "rate must be above 0 and at most 10,000 requests/s per region (got {})",
                self.rate
            ));
        }
        if !(0.0..=1.0).contains(&self.write_share) {
            return Err(format!("the write share must be 0 to 1 (got {})", self.write_share));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Event {
    Arrival(usize),
    Check,
}

#[derive(Debug, Clone, Copy)]
struct Answer {
    dc: usize,
    expires: Micros,
}

/// Counts over a stretch of time.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Window {
    pub requests: u64,
    pub failed_requests: u64,
    pub dns_queries: u64,
    /// Requests each data center received (failed ones included).
    pub per_dc: Vec<u64>,
}

#[derive(Clone)]
pub struct GeoDns {
    pub config: GeoDnsConfig,
    dcs: Vec<usize>,
    users: Vec<usize>,
    /// Whether each data center is really up.
    pub up: Vec<bool>,
    /// What the DNS believes from its last health check.
    pub healthy: Vec<bool>,
    answers: Vec<Vec<Answer>>,
    /// Per data center, times of its writes not yet replicated (within the lag).
    recent_writes: Vec<VecDeque<Micros>>,
    /// Writes a failed data center had accepted but not yet replicated, in all.
    pub unreplicated_writes: u64,
    queue: EventQueue<Event>,
    rng: SimRng,
    now: Micros,
    pub window: Window,
    pub total: Window,
    /// Per 10 s of logical time: requests per data center (for the traffic-share chart).
    pub shares_over_time: Vec<Vec<u64>>,
    /// When the latest failure happened, and the latest request that failed after it.
    failed_at: Option<Micros>,
    last_failed: Option<Micros>,
    /// When the current window of counts started (the last action).
    window_start: Micros,
    pub log: EventLog,
}

fn us(s: f64) -> Micros {
    sim::ms_to_us(s * 1000.0)
}

impl GeoDns {
    pub fn new(config: GeoDnsConfig) -> Result<GeoDns, String> {
        config.validate()?;
        let dcs = geo::region_list(&config.dcs.join(","))?;
        let users = geo::region_list(&config.users.join(","))?;
        let mut rng = sim::rng(config.seed);
        let ttl = us(config.dns_ttl_s);
        // Resolvers start mid-TTL at random phases, as in a long-running steady state.
        let answers = users
            .iter()
            .map(|&u| {
                let dc = geo::nearest(u, &dcs).unwrap_or(0);
                (0..config.resolvers)
                    .map(|_| Answer {
                        dc,
                        expires: (rng.random::<f64>() * ttl as f64) as Micros,
                    })
                    .collect()
            })
            .collect();
        let n = dcs.len();
        let mut g = GeoDns {
            up: vec![true; n],
            healthy: vec![true; n],
            answers,
            recent_writes: vec![VecDeque::new(); n],
            unreplicated_writes: 0,
            queue: EventQueue::new(),
            rng,
            now: 0,
            window: Window {
                per_dc: vec![0; n],
                ..Window::default()
            },
            total: Window {
                per_dc: vec![0; n],
                ..Window::default()
            },
            shares_over_time: Vec::new(),
            failed_at: None,
            last_failed: None,
            window_start: 0,
            log: EventLog::default(),
            dcs,
            users,
            config,
        };
        for u in 0..g.users.len() {
            let gap = sim::exponential(&mut g.rng, 1e6 / g.config.rate);
            g.queue.schedule(gap.round() as Micros, Event::Arrival(u));
        }
        g.queue.schedule(us(g.config.check_interval_s), Event::Check);
        Ok(g)
    }

    pub fn now(&self) -> Micros {
        self.now
    }

    pub fn dc_names(&self) -> Vec<&'static str> {
        self.dcs.iter().map(|&d| geo::REGIONS[d].0).collect()
    }

    /// The nearest data center the DNS believes healthy (the nearest of all when none is).
    fn resolve(&self, u: usize) -> usize {
        let healthy: Vec<usize> = (0..self.dcs.len()).filter(|&d| self.healthy[d]).collect();
        let pool: Vec<usize> = if healthy.is_empty() {
            (0..self.dcs.len()).collect()
        } else {
            healthy
        };
        let regions: Vec<usize> = pool.iter().map(|&d| self.dcs[d]).collect();
        pool[geo::nearest(self.users[u], &regions).unwrap_or(0)]
    }

    pub fn advance(&mut self, ms: u64) {
        let until = self.now.saturating_add(ms.saturating_mul(sim::US_PER_MS));
        while let Some((at, ev)) = self.queue.pop_due(until) {
            self.now = at;
            match ev {
                Event::Arrival(u) => {
                    self.request(u);
                    let gap = sim::exponential(&mut self.rng, 1e6 / self.config.rate);
                    self.queue
                        .schedule(at + (gap.round() as Micros).max(1), Event::Arrival(u));
                }
                Event::Check => {
                    for d in 0..self.dcs.len() {
                        if self.healthy[d] != self.up[d] {
                            self.healthy[d] = self.up[d];
                            let what = if self.up[d] {
                                "healthy again"
                            } else {
                                "failing: DNS stops answering it"
                            };
                            self.log.push(
                                at,
                                format!("health check: {} {what}", geo::REGIONS[self.dcs[d]].0),
                                false,
                            );
                        }
                    }
                    self.queue.schedule(at + us(self.config.check_interval_s), Event::Check);
                }
            }
        }
        self.now = until;
    }

    fn request(&mut self, u: usize) {
        let r = self.rng.random_range(0..self.answers[u].len());
        if self.now >= self.answers[u][r].expires {
            let dc = self.resolve(u);
            self.answers[u][r] = Answer {
                dc,
                expires: self.now + us(self.config.dns_ttl_s),
            };
            self.window.dns_queries += 1;
            self.total.dns_queries += 1;
        }
        let dc = self.answers[u][r].dc;
        let slot = (self.now / 10_000_000) as usize;
        if self.shares_over_time.len() <= slot {
            self.shares_over_time.resize(slot + 1, vec![0; self.dcs.len()]);
        }
        self.shares_over_time[slot][dc] += 1;
        for w in [&mut self.window, &mut self.total] {
            w.requests += 1;
            w.per_dc[dc] += 1;
            w.failed_requests += u64::from(!self.up[dc]);
        }
        if !self.up[dc] {
            self.last_failed = Some(self.now);
        }
        if self.up[dc] && self.rng.random::<f64>() < self.config.write_share {
            let lag = us(self.config.replication_lag_s);
            let q = &mut self.recent_writes[dc];
            q.push_back(self.now);
            while q.front().is_some_and(|&t| t + lag <= self.now) {
                q.pop_front();
            }
        }
    }

    fn dc(&self, name: &str) -> Result<usize, String> {
        let r = geo::region_index(name)?;
        self.dcs.iter().position(|&d| d == r).ok_or_else(|| {
            format!(
                "no data center in {name}: the data centers are {}",
                self.dc_names().join(", ")
            )
        })
    }

    pub fn apply(&mut self, action: &str) -> Result<(), String> {
        let words: Vec<&str> = action.split_whitespace().collect();
        match words.as_slice() {
            ["fail", name] => {
                let d = self.dc(name)?;
                if !self.up[d] {
                    return Err(format!("{name} is already down"));
                }
                self.up[d] = false;
                self.failed_at = Some(self.now);
                self.last_failed = None;
                let lag = us(self.config.replication_lag_s);
                let now = self.now;
                let missing = self.recent_writes[d].iter().filter(|&&t| t + lag > now).count() as u64;
                self.recent_writes[d].clear();
                self.unreplicated_writes += missing;
                self.log.push(
                    now,
                    format!("{name} fails; {missing} writes it had not replicated are missing at the survivors"),
                    false,
                );
            }
            ["restore", name] => {
                let d = self.dc(name)?;
                if self.up[d] {
                    return Err(format!("{name} is not down"));
                }
                self.up[d] = true;
                self.log.push(self.now, format!("{name} restored"), false);
            }
            ["dns-ttl", v] => {
                // Answers already cached keep the TTL they were given; new ones get this one.
                let t = seconds_in(v, "the DNS TTL", 0.0, 86_400.0)?;
                self.config.dns_ttl_s = t;
                self.log
                    .push(self.now, format!("DNS TTL now {t} s for new answers"), false);
            }
            ["check-interval", v] => {
                let t = seconds_in(v, "the health-check interval", 0.1, 3_600.0)?;
                self.config.check_interval_s = t;
                self.log
                    .push(self.now, format!("health checks every {t} s from the next one"), false);
            }
            _ => {
                return Err(format!(
                    "unknown action {action:?}: use fail DC, restore DC, dns-ttl S or check-interval S"
                ))
            }
        }
        Ok(())
    }

    /// Share of resolvers whose cached, unexpired answer names a data center that is down:
    /// the users still being sent there.
    pub fn stranded_share(&self) -> f64 {
        let (mut stranded, mut all) = (0usize, 0usize);
        for a in self.answers.iter().flatten() {
            all += 1;
            stranded += usize::from(!self.up[a.dc] && a.expires > self.now);
        }
        stranded as f64 / all.max(1) as f64
    }

    /// Seconds from the latest failure to the last request that failed after it (the whole
    /// failover as users saw it, once `stranded_share` is 0).
    pub fn failover_s(&self) -> Option<f64> {
        let (from, to) = (self.failed_at?, self.last_failed?);
        Some((to.saturating_sub(from)) as f64 / 1e6)
    }

    pub fn dc_count(&self) -> usize {
        self.dcs.len()
    }

    pub fn new_window(&mut self) {
        self.window_start = self.now;
        self.window = Window {
            per_dc: vec![0; self.dcs.len()],
            ..Window::default()
        };
    }

    pub fn metrics(&self) -> serde_json::Value {
        let names = self.dc_names();
        let share = |w: &Window| {
            let mut m = serde_json::Map::new();
            for (d, n) in names.iter().enumerate() {
                let s = if w.requests == 0 {
                    0.0
                } else {
                    w.per_dc[d] as f64 / w.requests as f64
                };
                m.insert(n.to_string(), sim::round6(s).into());
            }
            serde_json::Value::Object(m)
        };
        let window_s = self.now.saturating_sub(self.window_start) as f64 / 1e6;
        let mut healthy = serde_json::Map::new();
        let mut up = serde_json::Map::new();
        for (d, n) in names.iter().enumerate() {
            healthy.insert(n.to_string(), self.healthy[d].into());
            up.insert(n.to_string(), self.up[d].into());
        }
        serde_json::json!({
            "time_s": sim::round6(self.now as f64 / 1e6),
            "share": share(&self.window),
            "requests": self.window.requests,
            "failed_requests": self.window.failed_requests,
            "dns_queries": self.window.dns_queries,
            "up": up,
            "dns_healthy": healthy,
            "unreplicated_writes": self.unreplicated_writes,
            "stranded_share": sim::round6(self.stranded_share()),
            "failover_s": self.failover_s().map(sim::round6),
            "total_failed_requests": self.total.failed_requests,
            "dns_ttl_s": self.config.dns_ttl_s,
            "window_s": sim::round6(window_s),
            "dns_queries_per_s": sim::round6(if window_s > 0.0 { self.window.dns_queries as f64 / window_s } else { 0.0 }),
            "check_interval_s": self.config.check_interval_s,
            "down_dcs": self.up.iter().filter(|u| !**u).count(),
            "total": {
                "requests": self.total.requests,
                "failed_requests": self.total.failed_requests,
                "dns_queries": self.total.dns_queries,
                "share": share(&self.total),
            },
        })
    }
}

fn seconds_in(text: &str, what: &str, lo: f64, hi: f64) -> Result<f64, String> {
    let v: f64 = text
        .parse()
        .map_err(|_| format!("{what} {text:?}: not a number of seconds"))?;
    if !(lo..=hi).contains(&v) {
        return Err(format!("{what} must be {lo} to {hi} seconds (got {v})"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed_after_failure(ttl: f64) -> u64 {
        let mut g = GeoDns::new(GeoDnsConfig {
            dns_ttl_s: ttl,
            ..GeoDnsConfig::default()
        })
        .unwrap();
        g.advance(100_000);
        g.apply("fail us-east").unwrap();
        g.advance(((ttl + 60.0) * 1000.0) as u64);
        g.new_window();
        g.advance(10_000);
        let m = g.metrics();
        assert_eq!(
            m["share"]["us-east"], 0.0,
            "after TTL + detection, nobody is sent there"
        );
        g.total.failed_requests
    }

    /// Failure at t = 100 s, health checks every 10 s (detected at 110 s: D = 10 s). Users
    /// whose nearest data center is us-east (us-east, us-west, sa-east: 3 × 20 = 60 req/s) keep
    /// it until their resolver's answer expires: every answer for the D seconds before
    /// detection (answers refreshed then still name us-east), then a share falling linearly
    /// to 0 over one TTL (answers' remaining lifetimes are uniform). So failed ≈ 60 × (D + T/2):
    /// 2,400 for T = 60 s and 9,600 for T = 300 s. Resolvers re-resolve at the first request
    /// after expiry (~2.5 s later at 0.4 req/s each), so the tolerance is +20% / −10%.
    #[test]
    fn failover_waits_for_cached_answers_to_expire() {
        for (ttl, want) in [(60.0, 2400.0), (300.0, 9600.0)] {
            let got = failed_after_failure(ttl) as f64;
            assert!(
                got > want * 0.9 && got < want * 1.2,
                "TTL {ttl}: {got} failed, expected ~{want}"
            );
        }
    }

    #[test]
    fn unreplicated_writes_are_missing_at_the_survivor() {
        // us-east takes 60 req/s, 10% writes, 2 s lag: ~12 writes in flight when it fails.
        let mut g = GeoDns::new(GeoDnsConfig::default()).unwrap();
        g.advance(50_000);
        g.apply("fail us-east").unwrap();
        assert!((3..=30).contains(&g.unreplicated_writes), "{}", g.unreplicated_writes);
        let mut none = GeoDns::new(GeoDnsConfig {
            replication_lag_s: 0.0,
            ..GeoDnsConfig::default()
        })
        .unwrap();
        none.advance(50_000);
        none.apply("fail us-east").unwrap();
        assert_eq!(none.unreplicated_writes, 0);
    }

    #[test]
    fn users_reach_their_nearest_data_center() {
        let mut g = GeoDns::new(GeoDnsConfig::default()).unwrap();
        g.advance(60_000);
        let m = g.metrics();
        // 3 of 9 regions nearest us-east, 2 eu-west, 4 ap-northeast at equal rates.
        for (dc, share) in [
            ("us-east", 3.0 / 9.0),
            ("eu-west", 2.0 / 9.0),
            ("ap-northeast", 4.0 / 9.0),
        ] {
            let s = m["share"][dc].as_f64().unwrap();
            assert!((s - share).abs() < 0.02, "{dc}: {s}");
        }
        assert_eq!(m["failed_requests"], 0);
    }
}
