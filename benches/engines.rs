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

/// 1,000,000 records produced and then read by four consumers of 12 partitions (3 each) at
/// 400,000 records/s each: all read within one simulated second.
fn queue_million() -> sdlab::engines::queue::Log {
    use sdlab::engines::queue::{Keys, Log, LogAction, LogConfig};
    let mut log = Log::new(LogConfig {
        partitions: 12,
        consumers: 4,
        keys: Keys::Many,
        consume_rate: 400_000.0,
        ..LogConfig::default()
    })
    .unwrap();
    log.apply(&LogAction::Produce(1_000_000, None)).unwrap();
    log.tick(1000);
    log
}

fn queue(c: &mut Criterion) {
    use sdlab::engines::queue::partition_for_key;
    let m = queue_million().metrics();
    assert_eq!((m.produced, m.groups[0].processed), (1_000_000, 1_000_000));
    let mut group = c.benchmark_group("queue lab");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1_000_000));
    group.bench_function("1,000,000 messages, 12 partitions, 4 consumers", |b| {
        b.iter(queue_million)
    });
    group.finish();
    let keys = keys();
    let mut group = c.benchmark_group("Kafka default partitioner");
    group.throughput(Throughput::Elements(keys.len() as u64));
    group.bench_function("murmur2 + toPositive mod 12 (user:N keys)", |b| {
        b.iter(|| {
            let mut acc = 0u32;
            for k in &keys {
                acc = acc.wrapping_add(partition_for_key(std::hint::black_box(k.as_bytes()), 12));
            }
            acc
        })
    });
    group.finish();
}

criterion_group!(benches, lookups, recompute, queue);
criterion_main!(benches);
