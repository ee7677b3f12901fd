//! Budgets (issue: sharding lab): owner lookup on a 10-node × 160-vnode ring ≥ 10 M lookups/s on
//! one core and not slower than the `hashring` crate in the same run; recomputing every metric
//! after a change with 1,000,000 keys ≤ 100 ms; drawing the lab with 1,000,000 keys ≤ 2 ms.
use std::hash::{Hash, Hasher};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use sdlab::engines::ring::{hash, NodeSpec, NodeView, Placement, Ring, RingAction, RingConfig, Strategy};
use sdlab::theme::{Theme, ThemeName};

#[derive(Clone, Debug, PartialEq)]
struct VNode {
    node: usize,
    replica: usize,
}

impl Hash for VNode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        format!("n{}#{}", self.node, self.replica).hash(state);
    }
}

fn keys() -> Vec<String> {
    (0..10_000).map(|i| format!("user:{i}")).collect()
}

fn lookups(c: &mut Criterion) {
    let names: Vec<String> = (1..=10).map(|i| format!("n{i}")).collect();
    let views: Vec<NodeView> = names
        .iter()
        .map(|n| NodeView {
            name: n,
            weight: 1,
            region: None,
        })
        .collect();
    let placement = Placement::ring(&views, 160);
    let Placement::Circle { points, .. } = &placement else {
        unreachable!()
    };
    let keys = keys();
    let mut group = c.benchmark_group("owner lookup, 10 nodes × 160 vnodes");
    group.throughput(Throughput::Elements(keys.len() as u64));
    group.bench_function("sdlab ring (xxh3 + binary search)", |b| {
        b.iter(|| {
            let mut acc = 0u32;
            for k in &keys {
                let h = hash::h64(k.as_bytes());
                let i = points.partition_point(|(p, _)| *p < h);
                acc = acc.wrapping_add(u32::from(points[if i == points.len() { 0 } else { i }].1));
            }
            acc
        })
    });
    let mut ring = hashring::HashRing::new();
    for node in 0..10 {
        for replica in 0..160 {
            ring.add(VNode { node, replica });
        }
    }
    group.bench_function("hashring crate (SipHash + binary search)", |b| {
        b.iter(|| {
            let mut acc = 0usize;
            for k in &keys {
                acc = acc.wrapping_add(ring.get(k).map_or(0, |v| v.node));
            }
            acc
        })
    });
    group.finish();
}

fn million() -> Ring {
    let config = RingConfig {
        strategy: Strategy::Ring,
        nodes: NodeSpec::numbered(10),
        vnodes: 160,
        keys: 1_000_000,
        ..RingConfig::default()
    };
    Ring::new(config).unwrap()
}

fn recompute(c: &mut Criterion) {
    let base = million();
    let mut group = c.benchmark_group("1,000,000 keys");
    group.sample_size(10);
    group.bench_function("add a node and recompute every metric", |b| {
        b.iter_batched(
            || base.clone(),
            |mut ring| {
                ring.apply(&RingAction::parse("add n11").unwrap()).unwrap();
                ring.metrics()
            },
            criterion::BatchSize::LargeInput,
        )
    });
    let theme = Theme::new(ThemeName::Dark, true);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    group.bench_function("draw the lab at 200x60", |b| {
        b.iter(|| {
            terminal
                .draw(|f| sdlab::tui::labs::ring::draw(f, f.area(), &base, 0, &theme))
                .unwrap()
                .area
        })
    });
    group.finish();
}

fn scaling(c: &mut Criterion) {
    use sdlab::engines::autoscale::{AutoscaleConfig, Autoscaler, Curve, ScalingPolicy};
    use sdlab::engines::balancer::{Balancer, BalancerConfig, Policy};
    let mut group = c.benchmark_group("scaling lab");
    group.sample_size(10);
    for policy in [Policy::P2c, Policy::SharedQueue] {
        group.bench_function(format!("1,000,000 requests over 10 servers ({})", policy.name()), |b| {
            b.iter(|| {
                let mut lb = Balancer::new(BalancerConfig {
                    servers: 10,
                    arrival: 80.0,
                    service: 10.0,
                    policy,
                    requests: Some(1_000_000),
                    warmup: 0,
                    sample_cap: 1_000_000,
                    ..BalancerConfig::default()
                })
                .unwrap();
                lb.run_to_completion();
                lb.metrics().response_ms.p99
            })
        });
    }
    group.bench_function("a Black Friday day in 1-second steps (target tracking)", |b| {
        b.iter(|| {
            let mut a = Autoscaler::new(AutoscaleConfig {
                curve: Curve::BlackFriday,
                policy: ScalingPolicy::Target(70.0),
                ..AutoscaleConfig::default()
            })
            .unwrap();
            a.run_to_end();
            a.summary().sla_breach_minutes
        })
    });
    group.finish();
}

criterion_group!(benches, lookups, recompute, scaling);
criterion_main!(benches);
