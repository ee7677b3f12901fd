//! The cost calculator as a lab: one load, both options priced, and the learner moving the load
//! to find where horizontal stops costing more and where no machine is big enough.

use serde::{Deserialize, Serialize};

use super::cost::{compare, CostInput, CostReport};
use crate::engines::lab::{from_scenario, parse_scenario, Engine, Lab, LabInfo, Session};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CostLabConfig {
    /// Requests per second to carry.
    pub load: f64,
    /// Requests per second one small server carries.
    pub per_server: f64,
    /// Monthly price of one small server.
    pub price: f64,
    /// Monthly price of the balancer in front of a fleet.
    pub lb_price: f64,
}

impl Default for CostLabConfig {
    fn default() -> Self {
        let d = CostInput::default();
        CostLabConfig {
            load: d.load,
            per_server: d.per_server,
            price: d.price,
            lb_price: d.lb_price,
        }
    }
}

/// Loads above this are refused: a thousand times the largest machine is far past the lesson.
const MAX_LOAD: f64 = 1e9;

impl CostLabConfig {
    fn input(&self) -> CostInput {
        CostInput {
            load: self.load,
            per_server: self.per_server,
            price: self.price,
            lb_price: self.lb_price,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.load > MAX_LOAD {
            return Err(format!("the load is at most {MAX_LOAD} requests per second"));
        }
        compare(&self.input()).map(|_| ())
    }
}

#[derive(Debug, Clone)]
pub struct CostLab {
    pub input: CostInput,
    pub report: CostReport,
}

impl CostLab {
    fn set_load(&mut self, load: f64) -> Result<(), String> {
        if !(load.is_finite() && (0.0..=MAX_LOAD).contains(&load)) {
            return Err(format!("the load is 0 to {MAX_LOAD} requests per second (got {load})"));
        }
        let input = CostInput { load, ..self.input };
        self.report = compare(&input)?;
        self.input = input;
        Ok(())
    }
}

impl Engine for CostLab {
    type Config = CostLabConfig;

    fn build(config: &CostLabConfig) -> Result<CostLab, String> {
        config.validate()?;
        let input = config.input();
        Ok(CostLab {
            input,
            report: compare(&input)?,
        })
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        match action.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["load", x] => self.set_load(
                x.parse()
                    .map_err(|_| format!("load {x:?}: a number of requests per second"))?,
            ),
            _ => Err(format!("unknown action {action:?}: load REQ_PER_S")),
        }
    }

    fn metrics_json(&self) -> serde_json::Value {
        let r = &self.report;
        serde_json::json!({
            "load": r.load,
            "per_server": r.per_server,
            "vertical_cost": r.vertical.cost,
            "vertical_tier": r.vertical.tier,
            "vertical_fits": r.vertical.cost.is_some(),
            "ceiling": r.vertical.ceiling,
            "horizontal_cost": r.horizontal.cost,
            "horizontal_servers": r.horizontal.servers,
            "cheaper": r.cheaper,
            "break_even_load": r.break_even_load,
        })
    }
}

fn build(config: Option<&str>) -> Result<Box<dyn Lab>, String> {
    match config {
        None => Ok(Box::new(Session::<CostLab>::new("cost", CostLabConfig::default())?)),
        Some(text) => from_scenario::<CostLab>("cost", text),
    }
}

pub const LAB: LabInfo = LabInfo {
    id: "cost",
    title: "Vertical or horizontal: the bill",
    summary: "One load priced both ways: a bigger machine from a price list, or more small servers behind a balancer; find the break-even and the ceiling",
    metrics: &[
        ("load", "requests per second to carry"),
        ("per_server", "requests per second one small server carries"),
        ("vertical_cost", "monthly cost of the smallest machine that carries the load"),
        ("vertical_tier", "that machine's size, as a multiple of the small one (1x, 2x, 4x, 8x)"),
        ("vertical_fits", "some machine on the price list is big enough"),
        ("ceiling", "the most the largest machine carries, requests per second"),
        ("horizontal_cost", "monthly cost of enough small servers plus the balancer"),
        ("horizontal_servers", "small servers the load needs"),
        ("cheaper", "vertical, horizontal or equal at this load"),
        ("break_even_load", "the load above which horizontal never costs more"),
    ],
    build,
    check_scenario: |text| parse_scenario::<CostLabConfig>(text)?.validate(),
    ui: &crate::tui::labs::cost::CostUi,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> CostLab {
        CostLab::build(&CostLabConfig::default()).unwrap()
    }

    /// The price list of the lesson: $100 small servers, tiers 2.5×, 6×, 15× for 2×, 4×, 8×, a
    /// $50 balancer. At 2,000 req/s both cost $250; past that horizontal is never dearer.
    #[test]
    fn moving_the_load_moves_the_cheaper_option() {
        let mut l = lab();
        assert_eq!(l.metrics_json()["cheaper"], "vertical");
        assert_eq!(l.metrics_json()["break_even_load"], 1000.0);
        l.apply_text("load 2000").unwrap();
        assert_eq!(l.metrics_json()["cheaper"], "equal");
        l.apply_text("load 3000").unwrap();
        let m = l.metrics_json();
        assert_eq!(
            (m["vertical_cost"].clone(), m["horizontal_cost"].clone()),
            (600.0.into(), 350.0.into())
        );
        assert_eq!(m["cheaper"], "horizontal");
        l.apply_text("load 9000").unwrap();
        let m = l.metrics_json();
        assert_eq!(m["vertical_fits"], false);
        assert!(m["vertical_cost"].is_null());
        assert_eq!(m["horizontal_servers"], 9);
    }

    #[test]
    fn bad_loads_are_refused_and_change_nothing() {
        let mut l = lab();
        for bad in ["load -1", "load x", "load 1e12", "grow"] {
            assert!(l.apply_text(bad).is_err(), "{bad}");
        }
        assert_eq!(l.metrics_json()["load"], 1000.0);
    }
}
