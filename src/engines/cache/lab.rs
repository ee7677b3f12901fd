//! The cache engine as a timed lab: the framework drives `CacheLab` by its actions and ticks.

use super::timed::{CacheLab, CacheLabConfig};
use crate::engines::lab::{from_scenario, Engine, Lab, LabInfo, Session};

impl Engine for CacheLab {
    type Config = CacheLabConfig;
    const TIMED: bool = true;

    fn event_rate(c: &CacheLabConfig, actions: &[String]) -> f64 {
        cache_rate(c, actions)
    }

    fn build(config: &CacheLabConfig) -> Result<CacheLab, String> {
        CacheLab::new(config.clone())
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        self.apply(action)?;
        self.new_window();
        Ok(())
    }

    fn tick(&mut self, ms: u64) {
        self.advance(ms);
    }

    fn now_ms(&self) -> u64 {
        self.now() / crate::engines::sim::US_PER_MS
    }

    fn metrics_json(&self) -> serde_json::Value {
        self.metrics()
    }

    fn checkpoint(&self) -> Option<CacheLab> {
        Some(self.clone())
    }

    fn series(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("hit_ratio", self.recent_hit_ratio()),
            ("db_per_s", self.recent_db_per_s()),
            ("stale_reads", self.total.stale_reads as f64),
        ]
    }
}

pub use crate::engines::lab::{bound_events, MAX_SCENARIO_EVENTS};

/// The highest event rate a cache scenario reaches: its config's read rate or a `rate`
/// action's, plus the most updates per second any setting allows.
fn cache_rate(config: &CacheLabConfig, actions: &[String]) -> f64 {
    let set = actions
        .iter()
        .filter_map(|a| a.strip_prefix("rate ")?.trim().parse::<f64>().ok())
        .fold(config.rate, f64::max);
    set + 1000.0
}

fn build(config: Option<&str>) -> Result<Box<dyn Lab>, String> {
    match config {
        None => Ok(Box::new(Session::<CacheLab>::new("cache", CacheLabConfig::default())?)),
        Some(text) => from_scenario::<CacheLab>("cache", text),
    }
}

pub const LAB: LabInfo = LabInfo {
    id: "cache",
    title: "Cache in front of a database",
    summary: "Eviction policies against their theory, TTLs, write policies, the stale-set race, stampedes, a dying cache node",
    metrics: &[
        (
            "hit_ratio",
            "hits over reads since the last action (after the warm-up of an emptied cache)",
        ),
        ("recent_hit_ratio", "hit ratio over the last 10 s of simulated time"),
        (
            "theory_hit_ratio",
            "the closed form's hit ratio for these settings (LRU: Che's approximation; none with a TTL or updates)",
        ),
        ("total_hit_ratio", "hit ratio since the start"),
        ("requests", "reads counted since the last action"),
        ("db_requests", "database reads since the last action"),
        ("db_per_s", "database reads per second over the last 10 s"),
        (
            "stale_reads",
            "reads that returned an older version than the newest written, since the last action",
        ),
        ("total_stale_reads", "stale reads since the start"),
        ("stale_cached", "cache entries holding an older version than the newest written"),
        ("evictions", "entries pushed out to make room, since the last action"),
        ("expirations", "entries found expired, since the last action"),
        ("refused_sets", "late sets a versioned cache refused, since the last action"),
        ("updates", "objects updated since the last action"),
        ("coalesced", "misses that waited for another request's rebuild, since the last action"),
        ("dirty_lost", "write-back writes lost with a cache node before reaching the database"),
        ("dirty_cached", "write-back entries the database has not seen yet"),
        ("stampede_max", "the most database reads of one key at once, since the start"),
        ("stampede", "the most database reads of one key at once, since the last action"),
        ("moved_fraction", "share of keys the last node death or return moved to another node"),
        ("anomaly_count", "stale reads, stampedes and lost writes recorded"),
        ("warming_up", "whether an emptied cache is still filling (the counts wait)"),
        ("window_s", "seconds since the last action"),
        ("policy", "lru, lfu, lfu-global, fifo or random"),
        ("capacity", "items per cache node"),
        ("catalog", "items in the database"),
        ("workload", "zipf, uniform, scan or hot-key"),
        ("zipf", "the Zipf skew α (workload zipf)"),
        ("ttl_mode", "off, write (expire after write) or access (expire after access)"),
        ("write_policy", "cache-aside, read-through, write-through or write-back"),
        ("on_update", "what a cache-aside writer does to the cache: delete, update or ttl"),
        ("race", "slow readers on: fills land slow_ms after their database read"),
        ("race_fix", "none, versioned or double-delete"),
        ("stampede_fix", "none, single-flight or early-refresh"),
        ("sharding", "modulo or ring"),
        ("nodes", "cache nodes"),
        ("live_nodes", "cache nodes up"),
    ],
    build,
    check_scenario: |text| {
        let (c, actions): (CacheLabConfig, Vec<String>) = crate::engines::lab::read_scenario(text)?;
        c.validate()?;
        bound_events(&actions, cache_rate(&c, &actions))
    },
    ui: &crate::tui::labs::cache::CacheUi,
};
