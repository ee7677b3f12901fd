//! The balancer as a lab: its id, the metrics lesson goals may test, and how text actions
//! reach it.

use super::{Balancer, BalancerConfig};
use crate::engines::lab::{from_scenario, parse_scenario, Engine, Lab, LabInfo, Session};

/// Log lines the metrics carry for the lab's event pane.
const RECENT_EVENTS: usize = 12;

impl Engine for Balancer {
    type Config = BalancerConfig;
    const TIMED: bool = true;

    // Each request arrives, may queue, and departs; `arrival R` and `spike F D` raise the rate.
    fn event_rate(c: &BalancerConfig, actions: &[String]) -> f64 {
        use crate::engines::lab::largest_arg;
        let arrival = c.arrival.max(largest_arg(actions, "arrival", 1));
        let spike = largest_arg(actions, "spike", 1).max(1.0);
        3.0 * arrival * spike + 10.0 * c.servers as f64 + 1_000.0
    }

    fn build(config: &BalancerConfig) -> Result<Balancer, String> {
        Balancer::new(config.clone())
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        Balancer::apply_text(self, action)
    }

    fn tick(&mut self, ms: u64) {
        let until = self.now().saturating_add(ms.saturating_mul(1_000));
        self.run_until(until);
    }

    fn now_ms(&self) -> u64 {
        self.now() / 1_000
    }

    fn metrics_json(&self) -> serde_json::Value {
        let m = self.metrics();
        let mut v = serde_json::to_value(&m).unwrap_or_default();
        // Scalars lesson goals can compare directly.
        v["p99_ms"] = m.response_ms.p99.into();
        v["mean_response_ms"] = m.response_ms.mean.into();
        v["in_rotation"] = m.per_server.iter().filter(|s| s.in_rotation).count().into();
        v["slowest_share"] = slowest_share(&m).into();
        let n = self.log.entries().len();
        v["events"] = serde_json::to_value(
            self.log
                .entries()
                .skip(n.saturating_sub(RECENT_EVENTS))
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default();
        v["anomaly_list"] = serde_json::to_value(self.anomalies()).unwrap_or_default();
        v
    }

    fn checkpoint(&self) -> Option<Balancer> {
        Some(self.clone())
    }

    fn series(&self) -> Vec<(&'static str, f64)> {
        let m = self.metrics();
        vec![
            ("in_flight", m.in_flight as f64),
            ("failed", m.failed as f64),
            ("p99_ms", m.response_ms.p99),
            (
                "in_rotation",
                m.per_server.iter().filter(|s| s.in_rotation).count() as f64,
            ),
        ]
    }
}

/// The share of all requests that the slowest server (the one with the largest slow-down, if
/// any is slowed) received: a third under round robin over three, whatever its speed.
fn slowest_share(m: &super::BalancerMetrics) -> f64 {
    let slowest = m
        .per_server
        .iter()
        .filter(|s| !s.removed && s.slow > 1.0)
        .max_by(|a, b| a.slow.total_cmp(&b.slow));
    match slowest {
        Some(s) if m.requests > 0 => crate::engines::sim::round6(s.requests as f64 / m.requests as f64),
        _ => 0.0,
    }
}

fn build(config: Option<&str>) -> Result<Box<dyn Lab>, String> {
    match config {
        None => Ok(Box::new(Session::<Balancer>::new(
            "balancer",
            BalancerConfig::default(),
        )?)),
        Some(text) => from_scenario::<Balancer>("balancer", text),
    }
}

pub const LAB: LabInfo = LabInfo {
    id: "balancer",
    title: "Load balancer",
    summary: "Spread requests over servers with round robin, least connections, two choices or a hash; crash one and watch the health check",
    metrics: &[
        ("policy", "rr, wrr, random, least, p2c, ip-hash, sticky or shared-queue"),
        ("sessions", "where sessions live: memory, shared or jwt"),
        ("servers", "servers not removed"),
        ("in_rotation", "servers the balancer sends traffic to"),
        ("service", "service rate μ of one server, requests per second"),
        ("arrival", "arrival rate λ now, requests per second"),
        ("slowest_share", "share of all requests sent to the slowed server (0 when none is slow)"),
        ("offered_load", "arrival rate over the capacity of the servers up"),
        ("stable", "whether the servers up can keep up (offered load below 1)"),
        ("requests", "requests sent"),
        ("failed", "requests that failed"),
        ("requests_to_dead_server", "requests sent to a crashed server still in rotation"),
        ("sessions_lost", "users logged out because their session was on another or a lost server"),
        ("p_wait", "share of requests that queued"),
        ("p99_ms", "99th percentile response time, ms"),
        ("mean_response_ms", "mean response time, ms"),
        ("utilisation", "mean share of time servers were busy"),
        ("in_flight", "requests in service or queued now"),
        ("anomalies", "broken guarantees recorded"),
    ],
    build,
    check_scenario: |text| parse_scenario::<BalancerConfig>(text)?.validate(),
    ui: &crate::tui::labs::balancer::BalancerUi,
};
