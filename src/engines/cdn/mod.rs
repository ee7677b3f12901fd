//! The CDN engine: edges in regions caching an origin's objects for users everywhere, with
//! Cache-Control max-age, pull or push, purges that take time to reach every edge, versioned
//! URLs, an origin shield, and an origin that can go down (with or without serving stale).
//! Pure and deterministic: Poisson requests from each user region on the logical clock.

pub mod cli;
pub mod geo;
pub mod lab;

use serde::{Deserialize, Serialize};

use crate::engines::cache::zipf_probabilities;
use crate::engines::sim::{self, EventLog, EventQueue, Micros, SimRng};
use rand::RngExt;
use rand_distr::weighted::WeightedAliasIndex;
use rand_distr::Distribution;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Edges fetch an object from the origin on the first request (and when it expires).
    #[default]
    Pull,
    /// The origin copies every object to every edge ahead of time and on every update.
    Push,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CdnConfig {
    /// Regions with an edge.
    pub edges: Vec<String>,
    /// Regions users request from (each at `rate`).
    pub users: Vec<String>,
    pub origin: String,
    /// Region of the origin shield (a mid-tier cache every edge asks before the origin).
    pub shield: Option<String>,
    pub mode: Mode,
    /// Cache-Control: max-age, in seconds.
    pub max_age_s: f64,
    /// Static objects; the first are logo.png, app.js, style.css, hero.jpg.
    pub objects: usize,
    pub zipf: f64,
    /// Requests per second from each user region.
    pub rate: f64,
    /// Share of requests that are dynamic (never cached, always answered by the origin).
    pub dynamic_share: f64,
    pub static_kb: f64,
    pub dynamic_kb: f64,
    /// Time a purge (or a push) takes to reach the last edge; edges receive it in turn.
    pub purge_delay_s: f64,
    /// Serve an expired copy when the origin cannot be reached (stale-if-error).
    pub serve_stale: bool,
    /// Origin processing time per request.
    pub origin_ms: f64,
    pub seed: u64,
}

impl Default for CdnConfig {
    fn default() -> Self {
        CdnConfig {
            edges: ["us-east", "eu-west", "ap-northeast"].map(String::from).to_vec(),
            users: geo::REGIONS.iter().map(|r| r.0.to_string()).collect(),
            origin: "us-east".into(),
            shield: None,
            mode: Mode::Pull,
            max_age_s: 3600.0,
            objects: 200,
            zipf: 0.9,
            rate: 20.0,
            dynamic_share: 0.2,
            static_kb: 100.0,
            dynamic_kb: 20.0,
            purge_delay_s: 5.0,
            serve_stale: false,
            origin_ms: 20.0,
            seed: 42,
        }
    }
}

impl CdnConfig {
    pub fn validate(&self) -> Result<(), String> {
        geo::region_list(&self.edges.join(","))?;
        geo::region_list(&self.users.join(","))?;
        geo::region_index(&self.origin)?;
        if let Some(s) = &self.shield {
            geo::region_index(s)?;
        }
        if !(self.max_age_s >= 0.0 && self.max_age_s <= 1e8) {
            return Err(format!(
                "max-age must be 0 to 100,000,000 seconds (got {})",
                self.max_age_s
            ));
        }
        if !(1..=100_000).contains(&self.objects) {
            return Err(format!("objects must be 1 to 100,000 (got {})", self.objects));
        }
        if !(0.0..=5.0).contains(&self.zipf) {
            return Err(format!("zipf skew must be 0 to 5 (got {})", self.zipf));
        }
        if !(self.rate > 0.0 && self.rate <= 10_000.0) {
            return Err(format!(
                "rate must be above 0 and at most 10,000 requests/s per region (got {})",
                self.rate
            ));
        }
        if !(0.0..=1.0).contains(&self.dynamic_share) {
            return Err(format!("the dynamic share must be 0 to 1 (got {})", self.dynamic_share));
        }
        for (name, v) in [
            ("static_kb", self.static_kb),
            ("dynamic_kb", self.dynamic_kb),
            ("purge_delay_s", self.purge_delay_s),
            ("origin_ms", self.origin_ms),
        ] {
            if !(0.0..=1e7).contains(&v) {
                return Err(format!("{name} must be 0 or more (got {v})"));
            }
        }
        Ok(())
    }
}

/// The name of object `i`.
pub fn object_name(i: usize) -> String {
    match i {
        0 => "logo.png".into(),
        1 => "app.js".into(),
        2 => "style.css".into(),
        3 => "hero.jpg".into(),
        _ => format!("img/{i}.jpg"),
    }
}

fn object_index(name: &str, objects: usize) -> Result<usize, String> {
    (0..objects.min(4))
        .find(|&i| object_name(i) == name)
        .or_else(|| {
            name.strip_prefix("img/")
                .and_then(|r| r.strip_suffix(".jpg"))
                .and_then(|n| n.parse().ok())
                .filter(|&n: &usize| (4..objects).contains(&n))
        })
        .ok_or_else(|| format!("no object {name:?}: use logo.png, app.js, style.css, hero.jpg or img/N.jpg"))
}

/// A copy of an object held by an edge or the shield.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Copy {
    /// Which URL it was fetched under (versioned URLs bump it).
    pub url: u32,
    pub version: u32,
    pub fetched_at: Micros,
}

/// Latencies in 0.5 ms buckets up to 4 s: constant memory, percentiles to the half millisecond.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u32>,
    total: u64,
}

const BUCKETS: usize = 8000;

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
        }
    }
}

impl Histogram {
    pub fn add(&mut self, ms: f64) {
        let b = ((ms * 2.0) as usize).min(BUCKETS - 1);
        self.counts[b] += 1;
        self.total += 1;
    }

    /// Nearest-rank percentile, as the middle of its bucket.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((p / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0u64;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            if seen >= rank {
                return Some(b as f64 / 2.0 + 0.25);
            }
        }
        None
    }

    pub fn count(&self) -> u64 {
        self.total
    }
}

/// What happened over a stretch of time.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counters {
    pub requests: u64,
    pub static_requests: u64,
    /// Static requests an edge answered from its own copy.
    pub edge_hits: u64,
    pub shield_hits: u64,
    pub origin_requests: u64,
    pub origin_bytes: f64,
    /// Bytes sent to users by edges from their copies.
    pub edge_bytes: f64,
    pub bytes_served: f64,
    /// Answers older than the origin's current version of the object.
    pub stale_served: u64,
    /// Expired copies served because the origin was down (stale-if-error).
    pub served_expired: u64,
    pub failed_requests: u64,
    /// Bytes the origin sent to edges for push (not answers to requests).
    pub push_bytes: f64,
}

impl Counters {
    /// Edge hits over static requests.
    pub fn hit_ratio(&self) -> f64 {
        if self.static_requests == 0 {
            0.0
        } else {
            self.edge_hits as f64 / self.static_requests as f64
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Event {
    Arrival(usize),
    /// A purge reaches an edge.
    Purge {
        edge: usize,
        object: usize,
    },
    /// A pushed copy reaches an edge.
    Push {
        edge: usize,
        object: usize,
        version: u32,
    },
}

#[derive(Clone)]
pub struct Cdn {
    pub config: CdnConfig,
    edges: Vec<usize>,
    users: Vec<usize>,
    origin: usize,
    shield: Option<usize>,
    /// Per user region: the index in `edges` it is routed to (nearest edge).
    route: Vec<usize>,
    /// Per edge, per object: its copy.
    pub copies: Vec<Vec<Option<Copy>>>,
    shield_copies: Vec<Option<Copy>>,
    /// The origin's current version and URL of each object.
    pub versions: Vec<u32>,
    pub urls: Vec<u32>,
    pub origin_up: bool,
    popularity: WeightedAliasIndex<f64>,
    queue: EventQueue<Event>,
    rng: SimRng,
    now: Micros,
    pub total: Counters,
    /// Since the last action.
    pub window: Counters,
    /// Per user region, since the last action.
    pub latency: Vec<Histogram>,
    /// Hit ratio per minute of logical time, for the chart.
    pub per_minute: Vec<(u64, u64)>,
    /// Per user region, since the last action: (edge hits, static requests), for the map.
    pub region_window: Vec<(u64, u64)>,
    /// Objects updated in place, purges sent and versioned URLs published, in all.
    pub updates: u64,
    pub purges: u64,
    pub publishes: u64,
    /// When the current window of counters started (the last action).
    window_start: Micros,
    pub log: EventLog,
}

fn us(s: f64) -> Micros {
    sim::ms_to_us(s * 1000.0)
}

impl Cdn {
    pub fn new(config: CdnConfig) -> Result<Cdn, String> {
        config.validate()?;
        let edges = geo::region_list(&config.edges.join(","))?;
        let users = geo::region_list(&config.users.join(","))?;
        let origin = geo::region_index(&config.origin)?;
        let shield = config.shield.as_deref().map(geo::region_index).transpose()?;
        let route = users.iter().map(|&u| geo::nearest(u, &edges).unwrap_or(0)).collect();
        let popularity = WeightedAliasIndex::new(zipf_probabilities(config.objects, config.zipf))
            .map_err(|e| format!("popularity: {e}"))?;
        let mut cdn = Cdn {
            copies: vec![vec![None; config.objects]; edges.len()],
            shield_copies: vec![None; config.objects],
            versions: vec![1; config.objects],
            urls: vec![1; config.objects],
            origin_up: true,
            popularity,
            queue: EventQueue::new(),
            rng: sim::rng(config.seed),
            now: 0,
            total: Counters::default(),
            window: Counters::default(),
            latency: vec![Histogram::default(); users.len()],
            per_minute: Vec::new(),
            region_window: vec![(0, 0); users.len()],
            updates: 0,
            purges: 0,
            publishes: 0,
            window_start: 0,
            log: EventLog::default(),
            edges,
            users,
            origin,
            shield,
            route,
            config,
        };
        if cdn.config.mode == Mode::Push {
            for o in 0..cdn.config.objects {
                for e in 0..cdn.edges.len() {
                    cdn.copies[e][o] = Some(Copy {
                        url: 1,
                        version: 1,
                        fetched_at: 0,
                    });
                }
            }
            let bytes = cdn.config.static_kb * 1024.0 * (cdn.config.objects * cdn.edges.len()) as f64;
            cdn.total.push_bytes += bytes;
            cdn.window.push_bytes += bytes;
        }
        for u in 0..cdn.users.len() {
            let gap = sim::exponential(&mut cdn.rng, 1e6 / cdn.config.rate);
            cdn.queue.schedule(gap.round() as Micros, Event::Arrival(u));
        }
        Ok(cdn)
    }

    pub fn now(&self) -> Micros {
        self.now
    }

    /// Edge regions as names, with the user regions each serves (for the map).
    pub fn edge_regions(&self) -> Vec<&'static str> {
        self.edges.iter().map(|&e| geo::REGIONS[e].0).collect()
    }

    pub fn user_regions(&self) -> Vec<&'static str> {
        self.users.iter().map(|&u| geo::REGIONS[u].0).collect()
    }

    /// The edge (index in `edge_regions`) each user region is routed to.
    pub fn routes(&self) -> &[usize] {
        &self.route
    }

    pub fn advance(&mut self, ms: u64) {
        let until = self.now.saturating_add(ms.saturating_mul(sim::US_PER_MS));
        while let Some((at, ev)) = self.queue.pop_due(until) {
            self.now = at;
            match ev {
                Event::Arrival(u) => {
                    let dynamic = self.rng.random::<f64>() < self.config.dynamic_share;
                    let object = self.popularity.sample(&mut self.rng);
                    self.request(u, if dynamic { None } else { Some(object) });
                    let gap = sim::exponential(&mut self.rng, 1e6 / self.config.rate);
                    self.queue
                        .schedule(at + (gap.round() as Micros).max(1), Event::Arrival(u));
                }
                Event::Purge { edge, object } => {
                    self.copies[edge][object] = None;
                }
                Event::Push { edge, object, version } => {
                    self.copies[edge][object] = Some(Copy {
                        url: self.urls[object],
                        version,
                        fetched_at: at,
                    });
                    let bytes = self.config.static_kb * 1024.0;
                    self.total.push_bytes += bytes;
                    self.window.push_bytes += bytes;
                }
            }
        }
        self.now = until;
    }

    fn count(&mut self, f: impl Fn(&mut Counters)) {
        f(&mut self.total);
        f(&mut self.window);
    }

    /// One request from user region `u` for a static object, or a dynamic page when None.
    pub fn request(&mut self, u: usize, object: Option<usize>) {
        let e = self.route[u];
        let (user, edge) = (self.users[u], self.edges[e]);
        let to_edge = geo::rtt_ms(user, edge);
        let minute = (self.now / 60_000_000) as usize;
        if self.per_minute.len() <= minute {
            self.per_minute.resize(minute + 1, (0, 0));
        }
        self.count(|c| c.requests += 1);
        let Some(o) = object else {
            if !self.origin_up {
                self.count(|c| c.failed_requests += 1);
                return;
            }
            let bytes = self.config.dynamic_kb * 1024.0;
            self.count(|c| {
                c.origin_requests += 1;
                c.origin_bytes += bytes;
                c.bytes_served += bytes;
            });
            self.latency[u].add(to_edge + geo::rtt_ms(edge, self.origin) + self.config.origin_ms);
            return;
        };
        self.count(|c| c.static_requests += 1);
        self.per_minute[minute].1 += 1;
        self.region_window[u].1 += 1;
        let bytes = self.config.static_kb * 1024.0;
        let max_age = us(self.config.max_age_s);
        let current = self.versions[o];
        let fresh = |c: &Copy, url: u32, now: Micros, push: bool| {
            c.url == url && (push || now < c.fetched_at.saturating_add(max_age))
        };
        let url = self.urls[o];
        let push = self.config.mode == Mode::Push;
        if let Some(c) = self.copies[e][o].filter(|c| fresh(c, url, self.now, push)) {
            self.count(|k| {
                k.edge_hits += 1;
                k.edge_bytes += bytes;
                k.bytes_served += bytes;
                k.stale_served += u64::from(c.version < current);
            });
            self.per_minute[minute].0 += 1;
            self.region_window[u].0 += 1;
            self.latency[u].add(to_edge);
            return;
        }
        // A miss (or an expired copy): ask the shield, then the origin.
        let mut latency = to_edge;
        let mut upstream = edge;
        if let Some(s) = self.shield {
            latency += geo::rtt_ms(edge, s);
            upstream = s;
            if let Some(c) = self.shield_copies[o].filter(|c| fresh(c, url, self.now, false)) {
                self.copies[e][o] = Some(c);
                self.count(|k| {
                    k.shield_hits += 1;
                    k.bytes_served += bytes;
                    k.stale_served += u64::from(c.version < current);
                });
                self.latency[u].add(latency);
                return;
            }
        }
        if !self.origin_up {
            let old = self.copies[e][o].filter(|c| c.url == url);
            match old {
                Some(c) if self.config.serve_stale => {
                    self.count(|k| {
                        k.served_expired += 1;
                        k.edge_bytes += bytes;
                        k.bytes_served += bytes;
                        k.stale_served += u64::from(c.version < current);
                    });
                    self.latency[u].add(to_edge);
                }
                _ => self.count(|k| k.failed_requests += 1),
            }
            return;
        }
        latency += geo::rtt_ms(upstream, self.origin) + self.config.origin_ms;
        let copy = Copy {
            url,
            version: current,
            fetched_at: self.now,
        };
        self.copies[e][o] = Some(copy);
        if self.shield.is_some() {
            self.shield_copies[o] = Some(copy);
        }
        self.count(|k| {
            k.origin_requests += 1;
            k.origin_bytes += bytes;
            k.bytes_served += bytes;
        });
        self.latency[u].add(latency);
    }

    fn object(&self, name: &str) -> Result<usize, String> {
        object_index(name, self.config.objects)
    }

    /// Edges receive a purge or a push in turn, the last after `purge_delay_s`.
    fn fan_out(&mut self, make: impl Fn(usize) -> Event) {
        let n = self.edges.len();
        for e in 0..n {
            let delay = us(self.config.purge_delay_s) * (e as u64 + 1) / n as u64;
            self.queue.schedule(self.now + delay, make(e));
        }
    }

    pub fn apply(&mut self, action: &str) -> Result<(), String> {
        let words: Vec<&str> = action.split_whitespace().collect();
        match words.as_slice() {
            ["update", name] => {
                let o = self.object(name)?;
                self.versions[o] += 1;
                self.updates += 1;
                let v = self.versions[o];
                if self.config.mode == Mode::Push {
                    self.fan_out(|edge| Event::Push { edge, object: o, version: v });
                }
                self.log.push(self.now, format!("{name} updated to v{v} at the origin"), false);
            }
            ["purge", name] => {
                let o = self.object(name)?;
                self.fan_out(|edge| Event::Purge { edge, object: o });
                self.shield_copies[o] = None;
                self.purges += 1;
                self.log.push(self.now, format!("purge {name} sent to every edge"), false);
            }
            ["publish", name] => {
                // A versioned URL: the page now links name?v=N, which no edge has yet.
                let o = self.object(name)?;
                self.versions[o] += 1;
                self.urls[o] += 1;
                self.publishes += 1;
                self.log.push(self.now, format!("{name} published under a new URL (v{})", self.versions[o]), false);
            }
            ["origin", "down"] => {
                self.origin_up = false;
                self.log.push(self.now, "origin down", false);
            }
            ["origin", "up"] => {
                self.origin_up = true;
                self.log.push(self.now, "origin up", false);
            }
            ["serve-stale", v @ ("on" | "off")] => self.config.serve_stale = *v == "on",
            ["mode", "push"] if self.config.mode == Mode::Pull => {
                // Switching to push copies every object's current version to every edge, in
                // turn over the propagation delay, as a deploy that uploads to the CDN would.
                self.config.mode = Mode::Push;
                for o in 0..self.config.objects {
                    let v = self.versions[o];
                    self.fan_out(|edge| Event::Push { edge, object: o, version: v });
                }
                self.log.push(self.now, "push: the origin uploads every object to every edge", false);
            }
            ["mode", "pull"] if self.config.mode == Mode::Push => {
                self.config.mode = Mode::Pull;
                self.log.push(self.now, "pull: edges fetch on a miss and keep copies for max-age", false);
            }
            ["mode", m @ ("push" | "pull")] => return Err(format!("the CDN is already in {m} mode")),
            ["max-age", s] => {
                let s: f64 = s.parse().map_err(|_| format!("max-age {s:?}: not a number of seconds"))?;
                if !(0.0..=1e8).contains(&s) {
                    return Err(format!("max-age must be 0 to 100,000,000 seconds (got {s})"));
                }
                self.config.max_age_s = s;
            }
            ["get", region, name] => {
                let r = geo::region_index(region)?;
                let u = self
                    .users
                    .iter()
                    .position(|&x| x == r)
                    .ok_or_else(|| format!("no users in {region}: the user regions are {}", self.user_regions().join(", ")))?;
                let o = self.object(name)?;
                self.request(u, Some(o));
            }
            _ => {
                return Err(format!(
                    "unknown action {action:?}: use update NAME, purge NAME, publish NAME, origin down|up, serve-stale on|off, mode pull|push, max-age S or get REGION NAME"
                ))
            }
        }
        Ok(())
    }

    /// Starts a new window of counters (the CLI and the lab call it after each action).
    pub fn new_window(&mut self) {
        self.window = Counters::default();
        self.latency = vec![Histogram::default(); self.users.len()];
        self.region_window = vec![(0, 0); self.users.len()];
        self.window_start = self.now;
    }

    pub fn metrics(&self) -> serde_json::Value {
        let counters = |c: &Counters| {
            serde_json::json!({
                "hit_ratio": sim::round6(c.hit_ratio()),
                "requests": c.requests,
                "static_requests": c.static_requests,
                "edge_hits": c.edge_hits,
                "shield_hits": c.shield_hits,
                "origin_requests": c.origin_requests,
                "origin_bytes": c.origin_bytes.round(),
                "edge_bytes": c.edge_bytes.round(),
                "bytes_served": c.bytes_served.round(),
                "bandwidth_saved": sim::round6(if c.bytes_served > 0.0 { c.edge_bytes / c.bytes_served } else { 0.0 }),
                "push_bytes": c.push_bytes.round(),
                "stale_served": c.stale_served,
                "served_expired": c.served_expired,
                "failed_requests": c.failed_requests,
            })
        };
        let mut v = counters(&self.window);
        let mut latency = serde_json::Map::new();
        for (u, h) in self.latency.iter().enumerate() {
            latency.insert(
                geo::REGIONS[self.users[u]].0.to_string(),
                serde_json::json!({"p50": h.percentile(50.0), "p99": h.percentile(99.0), "edge": geo::REGIONS[self.edges[self.route[u]]].0}),
            );
        }
        v["latency_ms"] = latency.into();
        v["time_s"] = sim::round6(self.now as f64 / 1e6).into();
        v["origin_up"] = self.origin_up.into();
        v["serve_stale"] = self.config.serve_stale.into();
        v["max_age_s"] = self.config.max_age_s.into();
        v["failed_share"] = sim::round6(if self.window.requests > 0 {
            self.window.failed_requests as f64 / self.window.requests as f64
        } else {
            0.0
        })
        .into();
        v["updates"] = self.updates.into();
        v["purges"] = self.purges.into();
        v["publishes"] = self.publishes.into();
        v["window_s"] = sim::round6(self.now.saturating_sub(self.window_start) as f64 / 1e6).into();
        v["mode"] = match self.config.mode {
            Mode::Pull => "pull",
            Mode::Push => "push",
        }
        .into();
        v["total"] = counters(&self.total);
        v
    }
}

/// Bytes the origin serves when `total` bytes reach users, `static_share` of them static and
/// `hit_ratio` of static bytes served by edges: every dynamic byte plus the static misses.
pub fn origin_bytes(total: f64, static_share: f64, hit_ratio: f64) -> f64 {
    total * (1.0 - static_share) + total * static_share * (1.0 - hit_ratio)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_edge() -> Cdn {
        Cdn::new(CdnConfig {
            edges: vec!["us-east".into()],
            users: vec!["us-east".into()],
            rate: 0.001,
            ..CdnConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn max_age_3600_keeps_an_object_for_one_hour() {
        let mut c = one_edge();
        c.apply("get us-east logo.png").unwrap();
        assert_eq!(c.total.origin_requests, 1);
        c.now = 3_599_999_999;
        c.apply("get us-east logo.png").unwrap();
        assert_eq!((c.total.edge_hits, c.total.origin_requests), (1, 1));
        c.now = 3_600_000_000;
        c.apply("get us-east logo.png").unwrap();
        assert_eq!(c.total.origin_requests, 2, "expired at exactly one hour");
    }

    #[test]
    fn an_update_is_served_stale_until_purged_but_a_versioned_url_never_is() {
        let mut c = one_edge();
        c.apply("get us-east logo.png").unwrap();
        c.apply("update logo.png").unwrap();
        c.apply("get us-east logo.png").unwrap();
        assert_eq!(c.total.stale_served, 1);
        c.apply("purge logo.png").unwrap();
        c.apply("get us-east logo.png").unwrap();
        assert_eq!(c.total.stale_served, 2, "the purge has not arrived yet");
        c.advance(5_001);
        c.apply("get us-east logo.png").unwrap();
        assert_eq!(c.total.stale_served, 2);
        c.apply("publish logo.png").unwrap();
        c.apply("get us-east logo.png").unwrap();
        assert_eq!(c.total.stale_served, 2);
        assert_eq!(c.total.origin_requests, 3);
    }

    #[test]
    fn origin_down_fails_misses_unless_stale_may_be_served() {
        for serve_stale in [false, true] {
            let mut c = one_edge();
            c.config.max_age_s = 10.0;
            c.config.serve_stale = serve_stale;
            c.apply("get us-east logo.png").unwrap();
            c.apply("origin down").unwrap();
            c.now = 20_000_000;
            c.apply("get us-east logo.png").unwrap();
            assert_eq!(c.total.failed_requests, u64::from(!serve_stale));
            assert_eq!(c.total.served_expired, u64::from(serve_stale));
        }
    }

    /// 10 TB served, 8 TB of it static, 90% of static bytes from edges: the origin sends the
    /// 2 TB of dynamic content plus 10% of the 8 TB static, 2.8 TB.
    #[test]
    fn the_cdn_arithmetic() {
        assert!((origin_bytes(10.0, 0.8, 0.9) - 2.8).abs() < 1e-12);
    }

    /// The engine keeps that arithmetic exactly: origin bytes are dynamic bytes plus static
    /// misses, so origin + edge bytes = bytes served.
    #[test]
    fn the_engine_keeps_the_byte_accounting() {
        let mut c = Cdn::new(CdnConfig::default()).unwrap();
        c.advance(600_000);
        let t = &c.total;
        assert!(t.requests > 50_000);
        assert!((t.origin_bytes + t.edge_bytes - t.bytes_served).abs() < 1.0);
        let static_bytes = t.static_requests as f64 * 100.0 * 1024.0;
        let share = static_bytes / t.bytes_served;
        let want = origin_bytes(t.bytes_served, share, t.hit_ratio());
        assert!((t.origin_bytes - want).abs() / want < 1e-9);
    }

    #[test]
    fn a_shield_collapses_edge_misses_into_one_origin_fetch() {
        let run = |shield: Option<&str>| {
            let mut c = Cdn::new(CdnConfig {
                edges: ["us-east", "eu-west", "ap-northeast", "ap-southeast"]
                    .map(String::from)
                    .to_vec(),
                shield: shield.map(String::from),
                ..CdnConfig::default()
            })
            .unwrap();
            c.advance(600_000);
            c.total.origin_requests - (c.total.requests - c.total.static_requests)
        };
        // Without a shield each edge fetches each object once; with one, once in all.
        assert!(
            run(Some("us-east")) * 3 < run(None),
            "{} {}",
            run(Some("us-east")),
            run(None)
        );
    }

    #[test]
    fn users_far_from_every_edge_wait_longer() {
        let mut c = Cdn::new(CdnConfig::default()).unwrap();
        c.advance(600_000);
        let m = c.metrics();
        let p50 = |r: &str| m["latency_ms"][r]["p50"].as_f64().unwrap();
        assert!(p50("ap-northeast") < 10.0, "{}", p50("ap-northeast"));
        assert!(p50("au-southeast") > 50.0, "{}", p50("au-southeast"));
    }
}
