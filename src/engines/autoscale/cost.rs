//! Vertical against horizontal scaling in money: one bigger machine from a price list, or more
//! of the small one behind a load balancer.

use serde::Serialize;

use crate::engines::sim::round6;

/// The machine sizes on offer, as (capacity, price) multiples of the smallest: each step doubles
/// the capacity but costs more than double (2.5×, 6×, 15×), which is what makes big machines
/// dear per request.
pub const TIERS: [(f64, f64); 4] = [(1.0, 1.0), (2.0, 2.5), (4.0, 6.0), (8.0, 15.0)];

/// Servers needed to carry `load` at `per_server` each while running at `target` utilisation
/// (0 < target ≤ 1): ⌈load / (per_server × target)⌉. 500K req/min at 5K per server is 100
/// servers flat out and 143 at a 70% target.
pub fn servers_needed(load: f64, per_server: f64, target: f64) -> u64 {
    if load <= 0.0 {
        return 0;
    }
    // The small slack keeps an exact quotient (100.000000001 from rounding) from costing a server.
    (load / (per_server * target) - 1e-9).ceil().max(1.0) as u64
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostInput {
    /// Requests per second to carry.
    pub load: f64,
    /// Requests per second one small server carries.
    pub per_server: f64,
    /// Monthly price of one small server.
    pub price: f64,
    /// Monthly price of the load balancer the horizontal option needs in front.
    pub lb_price: f64,
}

impl Default for CostInput {
    /// A $100-a-month server carrying 1,000 req/s, and a $50 balancer.
    fn default() -> Self {
        CostInput {
            load: 1000.0,
            per_server: 1000.0,
            price: 100.0,
            lb_price: 50.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vertical {
    /// The smallest machine that carries the load, as its capacity multiple (`8x`); None when
    /// even the largest cannot.
    pub tier: Option<String>,
    pub servers: u64,
    /// Monthly cost; None when the load is past the ceiling.
    pub cost: Option<f64>,
    /// The most the largest machine carries, requests per second.
    pub ceiling: f64,
    /// One machine: when it fails, everything is down.
    pub spof: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Horizontal {
    pub servers: u64,
    pub cost: f64,
    /// Only with a single server (the balancer itself is assumed redundant, as managed ones are).
    pub spof: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurvePoint {
    pub load: f64,
    pub vertical: Option<f64>,
    pub horizontal: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    pub load: f64,
    pub per_server: f64,
    pub vertical: Vertical,
    pub horizontal: Horizontal,
    /// `vertical`, `horizontal` or `equal`: the cheaper option at this load.
    pub cheaper: &'static str,
    /// Above this load (requests per second) horizontal never costs more than vertical.
    pub break_even_load: f64,
    /// Both monthly costs at every multiple of one server's capacity up to twice the ceiling
    /// (or the load, if larger): costs only change at those steps.
    pub curve: Vec<CurvePoint>,
}

fn vertical_cost(input: &CostInput, load: f64) -> Option<(f64, f64)> {
    TIERS
        .iter()
        .find(|(cap, _)| cap * input.per_server >= load)
        .map(|&(cap, price)| (cap, price * input.price))
}

fn horizontal(input: &CostInput, load: f64) -> (u64, f64) {
    let n = servers_needed(load, input.per_server, 1.0).max(1);
    (n, n as f64 * input.price + input.lb_price)
}

pub fn compare(input: &CostInput) -> Result<CostReport, String> {
    for (name, x) in [
        ("load", input.load),
        ("price", input.price),
        ("balancer price", input.lb_price),
    ] {
        if !(x.is_finite() && x >= 0.0) {
            return Err(format!("the {name} must be 0 or more (got {x})"));
        }
    }
    if !(input.per_server.is_finite() && input.per_server > 0.0) {
        return Err(format!(
            "a server must carry more than 0 requests per second (got {})",
            input.per_server
        ));
    }
    let ceiling = TIERS[TIERS.len() - 1].0 * input.per_server;
    let v = vertical_cost(input, input.load);
    let (hn, hc) = horizontal(input, input.load);
    let cheaper = match v {
        None => "horizontal",
        Some((_, vc)) if vc < hc => "vertical",
        Some((_, vc)) if vc > hc => "horizontal",
        _ => "equal",
    };
    // Both costs are constant on each step ((k−1)·per_server, k·per_server], so comparing them
    // at k·per_server for every k up to the ceiling finds the last step where vertical is
    // cheaper; past the ceiling only horizontal exists.
    let steps = (ceiling / input.per_server).round() as u64;
    let mut break_even = 0.0;
    for k in 1..=steps {
        let load = k as f64 * input.per_server;
        let vc = vertical_cost(input, load).map_or(f64::INFINITY, |(_, c)| c);
        if vc < horizontal(input, load).1 {
            break_even = load;
        }
    }
    let top = (2.0 * ceiling).max(input.load);
    let points = ((top / input.per_server).ceil() as u64).min(200);
    let curve = (1..=points)
        .map(|k| {
            let load = k as f64 * input.per_server;
            CurvePoint {
                load: round6(load),
                vertical: vertical_cost(input, load).map(|(_, c)| round6(c)),
                horizontal: round6(horizontal(input, load).1),
            }
        })
        .collect();
    Ok(CostReport {
        load: input.load,
        per_server: input.per_server,
        vertical: Vertical {
            tier: v.map(|(cap, _)| format!("{cap}x")),
            servers: u64::from(v.is_some()),
            cost: v.map(|(_, c)| round6(c)),
            ceiling: round6(ceiling),
            spof: true,
        },
        horizontal: Horizontal {
            servers: hn,
            cost: round6(hc),
            spof: hn < 2,
        },
        cheaper,
        break_even_load: round6(break_even),
        curve,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_examples() {
        // 500K req/min at 5K per server: 100 flat out, ⌈100 / 0.7⌉ = 143 at a 70% target.
        assert_eq!(servers_needed(500_000.0, 5_000.0, 1.0), 100);
        assert_eq!(servers_needed(500_000.0, 5_000.0, 0.7), 143);
        // Normal traffic, 10K req/min: 2 servers.
        assert_eq!(servers_needed(10_000.0, 5_000.0, 1.0), 2);
    }

    #[test]
    fn the_tiers_price_list() {
        let at = |load| {
            compare(&CostInput {
                load,
                ..CostInput::default()
            })
            .unwrap()
        };
        // One small server's worth: the small machine ($100) beats a server plus a balancer.
        let r = at(1000.0);
        assert_eq!(
            (r.vertical.cost, r.horizontal.cost, r.cheaper),
            (Some(100.0), 150.0, "vertical")
        );
        // Twice that: the 2x machine at 2.5× ($250) ties two servers and a balancer.
        assert_eq!(at(2000.0).cheaper, "equal");
        // 8x machine $1,500 vs 8 × $100 + $50.
        let r = at(8000.0);
        assert_eq!((r.vertical.cost, r.horizontal.cost), (Some(1500.0), 850.0));
        // Past the ceiling only horizontal exists: 50K req/s is 50 servers.
        let r = at(50_000.0);
        assert_eq!(
            (r.vertical.cost, r.horizontal.servers, r.cheaper),
            (None, 50, "horizontal")
        );
        assert_eq!(r.vertical.ceiling, 8000.0);
        assert_eq!(r.break_even_load, 1000.0);
        assert!(r.vertical.spof && !r.horizontal.spof);
    }

    #[test]
    fn bad_input_is_refused() {
        for input in [
            CostInput {
                load: -1.0,
                ..CostInput::default()
            },
            CostInput {
                per_server: 0.0,
                ..CostInput::default()
            },
        ] {
            assert!(compare(&input).is_err());
        }
    }
}
