//! The CDN engine as a lab.

use super::{Cdn, CdnConfig};
use crate::engines::lab::{from_scenario, Engine, Lab, LabInfo, Session};

impl Engine for Cdn {
    type Config = CdnConfig;
    const TIMED: bool = true;

    // Requests per second from every user region.
    fn event_rate(c: &CdnConfig, _actions: &[String]) -> f64 {
        c.rate * c.users.len() as f64
    }

    fn build(config: &CdnConfig) -> Result<Cdn, String> {
        Cdn::new(config.clone())
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        // Validate on a copy-free path: `apply` changes nothing when it fails.
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

    fn checkpoint(&self) -> Option<Cdn> {
        Some(self.clone())
    }

    fn series(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("hit_ratio", self.total.hit_ratio()),
            ("origin_requests", self.total.origin_requests as f64),
            ("stale_served", self.total.stale_served as f64),
            ("failed_requests", self.total.failed_requests as f64),
        ]
    }
}

/// The config's bounds, and the replay's (`sdlab check`; building checks both itself).
fn check(text: &str) -> Result<(), String> {
    let (c, actions): (CdnConfig, Vec<String>) = crate::engines::lab::read_scenario(text)?;
    c.validate()?;
    crate::engines::lab::bound_events(&actions, Cdn::event_rate(&c, &actions))
}

fn build(config: Option<&str>) -> Result<Box<dyn Lab>, String> {
    match config {
        None => Ok(Box::new(Session::<Cdn>::new("cdn", CdnConfig::default())?)),
        Some(text) => from_scenario::<Cdn>("cdn", text),
    }
}

pub const LAB: LabInfo = LabInfo {
    id: "cdn",
    title: "CDN",
    summary: "Edges caching an origin for users worldwide: max-age, purges, versioned URLs, a shield, origin down",
    metrics: &[
        (
            "hit_ratio",
            "static requests answered by an edge's own copy, since the last action",
        ),
        (
            "origin_requests",
            "requests that reached the origin, since the last action",
        ),
        ("origin_bytes", "bytes the origin sent, since the last action"),
        (
            "stale_served",
            "answers older than the origin's current version, since the last action",
        ),
        ("failed_requests", "requests that got no answer, since the last action"),
        (
            "failed_share",
            "share of requests that got no answer, since the last action",
        ),
        ("bandwidth_saved", "share of bytes served from edge copies"),
        (
            "served_expired",
            "expired copies served while the origin was down, since the last action",
        ),
        (
            "window_s",
            "seconds since the last action (the window the counts above cover)",
        ),
        ("mode", "pull or push"),
        ("max_age_s", "Cache-Control max-age, seconds"),
        ("origin_up", "whether the origin answers"),
        (
            "serve_stale",
            "whether edges serve an expired copy when the origin is down",
        ),
        ("updates", "objects updated in place at the origin, in all"),
        ("purges", "purges sent, in all"),
        (
            "publishes",
            "new versions published under a new (versioned) URL, in all",
        ),
    ],
    build,
    check_scenario: check,
    ui: &crate::tui::labs::cdn::CdnUi,
};
