//! The geo-DNS engine as a lab.

use super::{GeoDns, GeoDnsConfig};
use crate::engines::lab::{from_scenario, Engine, Lab, LabInfo, Session};

impl Engine for GeoDns {
    type Config = GeoDnsConfig;
    const TIMED: bool = true;

    // Requests per second from every user region.
    fn event_rate(c: &GeoDnsConfig, _actions: &[String]) -> f64 {
        c.rate * c.users.len() as f64
    }

    fn build(config: &GeoDnsConfig) -> Result<GeoDns, String> {
        GeoDns::new(config.clone())
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

    fn checkpoint(&self) -> Option<GeoDns> {
        Some(self.clone())
    }

    fn series(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("failed_requests", self.total.failed_requests as f64),
            ("dns_queries", self.total.dns_queries as f64),
            ("unreplicated_writes", self.unreplicated_writes as f64),
        ]
    }
}

/// The config's bounds, and the replay's (`sdlab check`; building checks both itself).
fn check(text: &str) -> Result<(), String> {
    let (c, actions): (GeoDnsConfig, Vec<String>) = crate::engines::lab::read_scenario(text)?;
    c.validate()?;
    crate::engines::lab::bound_events(&actions, GeoDns::event_rate(&c, &actions))
}

fn build(config: Option<&str>) -> Result<Box<dyn Lab>, String> {
    match config {
        None => Ok(Box::new(Session::<GeoDns>::new("geodns", GeoDnsConfig::default())?)),
        Some(text) => from_scenario::<GeoDns>("geodns", text),
    }
}

pub const LAB: LabInfo = LabInfo {
    id: "geodns",
    title: "Geo-DNS failover",
    summary: "Users sent to the nearest healthy data center; after a failure traffic moves only as DNS answers expire",
    metrics: &[
        (
            "failed_requests",
            "requests sent to a data center that is down, since the last action",
        ),
        ("dns_queries", "answers resolvers fetched again, since the last action"),
        (
            "unreplicated_writes",
            "writes a failed data center had not replicated (missing at the survivors)",
        ),
        (
            "stranded_share",
            "share of resolvers whose cached answer still names a data center that is down",
        ),
        (
            "failover_s",
            "seconds from the latest failure to the last request that failed after it",
        ),
        ("total_failed_requests", "requests that failed since the start"),
        ("dns_ttl_s", "TTL given to new DNS answers, seconds"),
        ("window_s", "seconds since the last action"),
        (
            "dns_queries_per_s",
            "DNS queries per second from resolvers, since the last action",
        ),
        ("check_interval_s", "seconds between health checks"),
        ("down_dcs", "data centers that are down"),
    ],
    build,
    check_scenario: check,
    ui: &crate::tui::labs::geodns::GeoDnsUi,
};
