//! Budgets (issue: sharding lab): owner lookup on a 10-node × 160-vnode ring ≥ 10 M lookups/s on
//! one core and not slower than the `hashring` crate in the same run; recomputing every metric
//! after a change with 1,000,000 keys ≤ 100 ms; drawing the lab with 1,000,000 keys ≤ 2 ms.
use std::hash::{Hash, Hasher};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use sdlab::engines::lab::{Lab, Session};
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

/// Budgets (issue: consensus lab): `sdlab lab quorum --trials 1000000` for N=7 ≤ 1 s; a
/// 60-simulated-second election with 9 nodes and random faults ≤ 100 ms; a scrub step ≤ 16 ms.
fn consensus(c: &mut Criterion) {
    use sdlab::engines::consensus::quorum::{staleness, QuorumSpec};
    use sdlab::engines::consensus::raft::{Raft, RaftConfig};

    // A fault every 500 ms of a 60 s run: partitions, heals, crashes, restarts, loss, writes.
    fn faults() -> Vec<String> {
        let mut actions = Vec::new();
        for step in 0..120u64 {
            let a = (step * 7 + 3) % 9;
            let b = (step * 5 + 1) % 9;
            actions.push(match step % 6 {
                0 => format!(
                    "partition n{}|{}",
                    a + 1,
                    (0..9)
                        .filter(|&i| i != a)
                        .map(|i| format!("n{}", i + 1))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                1 => format!("crash n{}", b + 1),
                2 => "heal".to_string(),
                3 => format!("restart n{}", b + 1),
                4 => format!("loss {}", step % 20),
                _ => format!("write k{step}={step} @n{}", a + 1),
            });
            actions.push("tick 500".to_string());
        }
        actions
    }
    let config = RaftConfig {
        nodes: 9,
        ..RaftConfig::default()
    };
    let mut group = c.benchmark_group("consensus");
    group.sample_size(10);
    group.bench_function("quorum staleness, N=7 R=2 W=2, 1,000,000 trials", |b| {
        b.iter(|| {
            staleness(QuorumSpec::new(7, 2, 2).unwrap(), 1_000_000, 1, 42)
                .unwrap()
                .p_stale
        })
    });
    group.bench_function("election, 9 nodes, 60 simulated s with faults", |b| {
        b.iter(|| {
            let mut r = Raft::new(config.clone()).unwrap();
            for a in faults() {
                match a.strip_prefix("tick ") {
                    Some(ms) => r.tick(ms.parse().unwrap()),
                    None => r.apply_text(&a).unwrap(),
                }
            }
            r.metrics().elections
        })
    });
    let mut session = Session::<Raft>::new("election", config.clone()).unwrap();
    for a in faults() {
        session.apply(&a).unwrap();
    }
    group.bench_function(
        "election scrub one step back and one forward (two replays) over a 60 s log",
        |b| {
            b.iter(|| {
                session.scrub(-1);
                session.scrub(1)
            })
        },
    );
    group.finish();
}

/// Budget (issue 11 §6): a 10-minute simulated run at 100 writes/s and 1,000 reads/s with 5
/// replicas simulates in ≤ 200 ms. The clock advances in 100 ms ticks, as the lab's does.
fn replication_run(c: &mut Criterion) {
    use sdlab::engines::replication::{Delay, Replication, ReplicationConfig};
    let config = ReplicationConfig {
        replicas: 5,
        delay: Delay::exp(100.0),
        delays: vec![
            Delay::fixed(20.0),
            Delay::exp(50.0),
            Delay::exp(100.0),
            Delay::fixed(150.0),
            Delay::exp(200.0),
        ],
        write_rate: 100.0,
        read_rate: 1000.0,
        ..ReplicationConfig::default()
    };
    let mut group = c.benchmark_group("replication");
    group.sample_size(10);
    group.bench_function("10 simulated minutes, 100 writes/s + 1,000 reads/s, 5 replicas", |b| {
        b.iter(|| {
            let mut e = Replication::new(config.clone()).unwrap();
            for _ in 0..6_000 {
                e.tick(100);
            }
            e.head()
        })
    });
    // One scrub step back and forth after that run, as the lab's < and > do it (budget 16 ms).
    let mut session = Session::<Replication>::new("replication", config.clone()).unwrap();
    for _ in 0..6_000 {
        session.apply("tick 100").unwrap();
    }
    group.bench_function("scrub one step back and forward after the 10-minute run", |b| {
        b.iter(|| {
            session.scrub(-1);
            session.scrub(1)
        })
    });
    group.finish();
}

/// A lab session at a million keys with a few changes made, as a learner would have it.
fn session(config: RingConfig, log: &[&str]) -> Session<Ring> {
    let mut s = Session::<Ring>::new("ring", config).unwrap();
    for a in log {
        s.apply(a).unwrap();
    }
    s
}

fn undo(c: &mut Criterion) {
    let mut group = c.benchmark_group("1,000,000 keys, undo");
    group.sample_size(10);
    let config = RingConfig {
        nodes: NodeSpec::numbered(10),
        vnodes: 160,
        keys: 1_000_000,
        ..RingConfig::default()
    };
    let log = ["add n11", "weight n2 3", "remove n3", "add n12"];
    group.bench_function("undo the 4th of 4 actions", |b| {
        b.iter_batched(
            || session(config.clone(), &log),
            |mut s| {
                s.undo();
                s
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.bench_function("reset after 4 actions", |b| {
        b.iter_batched(
            || session(config.clone(), &log),
            |mut s| {
                s.reset();
                s
            },
            criterion::BatchSize::PerIteration,
        )
    });
    // The lab's `K` key raises the key count with `keys` actions: the million keys come from
    // the log, not the config.
    let small = RingConfig {
        keys: 10_000,
        ..config.clone()
    };
    let grown = ["keys 1000000", "add n11", "remove n3"];
    group.bench_function("undo after growing to a million keys with `keys`", |b| {
        b.iter_batched(
            || session(small.clone(), &grown),
            |mut s| {
                s.undo();
                s
            },
            criterion::BatchSize::PerIteration,
        )
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

fn cache(c: &mut Criterion) {
    use sdlab::engines::cache::{Policy, Requests, Store, Workload};
    let catalog = 1_000_000;
    let workload = Workload::Zipf { alpha: 0.8 };
    let requests = Requests::new(&workload, catalog).unwrap();
    let mut group = c.benchmark_group("cache, 1,000,000 requests over 1,000,000 items");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1_000_000));
    for policy in [Policy::Lru, Policy::LfuGlobal] {
        let empty = Store::new(policy, 10_000, catalog, None, 1);
        group.bench_function(
            format!("{} of 10,000 items, Zipf 0.8 draws included", policy.name()),
            |b| {
                b.iter_batched(
                    || (empty.clone(), requests.clone(), sdlab::engines::sim::rng(3)),
                    |(mut store, mut requests, mut rng)| {
                        for _ in 0..1_000_000 {
                            store.request(requests.next(&mut rng), 0);
                        }
                        store.stats.hits
                    },
                    criterion::BatchSize::LargeInput,
                )
            },
        );
    }
    group.finish();
}

/// Budgets (issue 15): each of the cache, CDN and geo-DNS labs draws a frame at 120×40 in
/// ≤ 2 ms and takes a scrub step (one action back and forward again, so a replay from the
/// nearest checkpoint) in ≤ 16 ms, after 300 clock ticks of 1.6 s (8 simulated minutes; the
/// cache lab serves 1,000 reads/s, the CDN and geo-DNS 180 requests/s).
fn cache_labs(c: &mut Criterion) {
    let theme = Theme::new(ThemeName::Dark, true);
    let mut group = c.benchmark_group("cache, CDN and geo-DNS labs");
    group.sample_size(20);
    for id in ["cache", "cdn", "geodns"] {
        let info = sdlab::engines::lab::find(id).unwrap();
        let mut lab = (info.build)(None).unwrap();
        for i in 0..300 {
            lab.apply("tick 1600").unwrap();
            if i == 150 {
                let action = match id {
                    "cache" => "update 0",
                    "cdn" => "purge logo.png",
                    _ => "fail us-east",
                };
                lab.apply(action).unwrap();
            }
        }
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        group.bench_function(format!("{id}: draw a frame at 120x40"), |b| {
            b.iter(|| {
                terminal
                    .draw(|f| info.ui.draw(f, f.area(), lab.as_ref(), 0, &theme))
                    .unwrap()
                    .area
            })
        });
        group.bench_function(format!("{id}: scrub one step back and forward"), |b| {
            b.iter(|| {
                lab.scrub(-1);
                lab.scrub(1)
            })
        });
    }
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

/// Budgets (issue 14): a frame of the queue lab ≤ 2 ms and a scrub step ≤ 16 ms, on a session
/// as a learner leaves it: ten simulated minutes in 100 ms ticks (6,000 logged ticks) with
/// crashes, a poison message and the chain comparison open, in the work and the log models.
fn queue_lab(c: &mut Criterion) {
    use sdlab::engines::queue::{Model, Queue, QueueConfig};
    use sdlab::tui::lab::LabUi;
    let lab = |model: Model, actions: &[&str]| {
        let mut config = QueueConfig {
            model,
            ..QueueConfig::default()
        };
        config.work.tasks = 5000;
        config.work.arrival_rate = 8.0;
        config.work.fail = 0.1;
        config.log.rate = 50.0;
        config.log.partitions = 6;
        let mut s = Session::<Queue>::new("queue", config).unwrap();
        for a in actions {
            s.apply(a).unwrap();
        }
        for i in 0..6_000 {
            s.apply("tick 100").unwrap();
            if i == 3_000 {
                s.apply("compare chain").unwrap();
                s.apply("down email").unwrap();
            }
        }
        s
    };
    let work = lab(Model::Work, &["crash-before-ack c1", "poison", "add", "slow c2 4"]);
    let log = lab(Model::Log, &["join c4", "group g2 2", "slow c1 4"]);
    let theme = Theme::new(ThemeName::Dark, true);
    let mut group = c.benchmark_group("queue lab, 10 simulated minutes");
    for (name, session) in [("work", &work), ("log", &log)] {
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        group.bench_function(format!("draw the {name} view at 120x40"), |b| {
            b.iter(|| {
                terminal
                    .draw(|f| sdlab::tui::labs::queue::QueueUi.draw(f, f.area(), session, 0, &theme))
                    .unwrap()
                    .area
            })
        });
    }
    group.sample_size(20);
    for (name, session) in [("work", work), ("log", log)] {
        let mut session = session;
        group.bench_function(
            format!("{name}: scrub one step back and one forward (two replays)"),
            |b| {
                b.iter(|| {
                    session.scrub(-1);
                    session.scrub(1)
                })
            },
        );
    }
    group.finish();
}

/// Budget (issue 12): a frame of each consensus lab ≤ 2 ms, drawn at 120×40 after a busy run
/// (the election with 9 nodes after 60 s of faults; CAP with background traffic under a cut).
fn consensus_frames(c: &mut Criterion) {
    use sdlab::tui::lab::LabPane;
    let theme = Theme::new(ThemeName::Dark, true);
    let mut group = c.benchmark_group("consensus frames");
    let scenario = |id: &str, config: &str, actions: &[String]| -> LabPane {
        let text = format!("lab = {id:?}\nactions = {actions:?}\n[config]\n{config}\n");
        let lab = sdlab::engines::lab::find(id).unwrap();
        LabPane::from_lab((lab.build)(Some(&text)).unwrap())
    };
    let faults: Vec<String> = (0..120u64)
        .flat_map(|step| {
            let a = (step * 7 + 3) % 9 + 1;
            let fault = match step % 4 {
                0 => format!("crash n{a}"),
                1 => format!("restart n{a}"),
                2 => format!(
                    "partition n{a}|{}",
                    (1..=9)
                        .filter(|&i| i != a)
                        .map(|i| format!("n{i}"))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                _ => "heal".to_string(),
            };
            [fault, format!("write k{step}={step} @n{a}"), "tick 500".to_string()]
        })
        .collect();
    let panes = [
        (
            "election, 9 nodes after 60 s of faults",
            scenario("election", "nodes = 9", &faults),
        ),
        ("quorum, N=7", scenario("quorum", "n = 7\nr = 2\nw = 2", &[])),
        (
            "lock, the scripted pause",
            scenario("lock", "fencing = false", &["tick 2000".to_string()]),
        ),
        (
            "voter, sloppy quorum under a cut after 200 requests",
            scenario(
                "voter",
                "sloppy = true\nread_repair = true",
                &std::iter::once("partition n1,n2|n3,n4,n5".to_string())
                    .chain((0..200).flat_map(|i| {
                        let op = if i % 2 == 0 { "write" } else { "read" };
                        [format!("{op} k{} @n{}", i % 7, i % 5 + 1), "tick 20".to_string()]
                    }))
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "cap, AP under a 2|3 cut for 30 s",
            scenario(
                "cap",
                "mode = \"ap\"",
                &["partition n1,n2|n3,n4,n5".to_string(), "tick 30000".to_string()],
            ),
        ),
    ];
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    for (name, pane) in &panes {
        group.bench_function(format!("frame at 120x40: {name}"), |b| {
            b.iter(|| terminal.draw(|f| pane.draw(f, f.area(), &theme)).unwrap().area)
        });
    }
    group.finish();
}

/// Budgets (issue 13): a frame of the balancer or autoscale lab ≤ 2 ms, a scrub step ≤ 16 ms.
/// Each lab has a history of ticks at ×64 ending one short of a checkpoint, so stepping back
/// one replays the most actions a scrub step ever replays (31).
fn scaling_ui(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling lab UI");
    let theme = Theme::new(ThemeName::Dark, true);
    // ×64: 6.4 s of a balancer, 64 minutes of an autoscaling day per tick.
    for (id, tick_ms, ticks) in [("balancer", 6_400u64, 319usize), ("autoscale", 3_840_000, 63)] {
        let info = sdlab::engines::lab::find(id).unwrap();
        let mut lab = (info.build)(None).unwrap();
        if id == "balancer" {
            lab.apply("slow s3 4").unwrap();
            lab.apply("crash s2 @100").unwrap();
        } else {
            lab.apply("curve blackfriday").unwrap();
        }
        for _ in 0..ticks - lab.log().len() {
            lab.apply(&format!("tick {tick_ms}")).unwrap();
        }
        let lab = std::cell::RefCell::new(lab);
        for (w, h) in [(120, 40), (200, 60)] {
            let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
            group.bench_function(format!("{id}: draw a frame at {w}x{h}"), |b| {
                b.iter(|| {
                    let lab = lab.borrow();
                    terminal
                        .draw(|f| info.ui.draw(f, f.area(), lab.as_ref(), 1, &theme))
                        .unwrap()
                        .area
                })
            });
        }
        group.bench_function(format!("{id}: scrub one step back and forward again"), |b| {
            b.iter(|| {
                let mut lab = lab.borrow_mut();
                let back = lab.scrub(-1);
                let forward = lab.scrub(1);
                (back, forward)
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    lookups,
    recompute,
    undo,
    consensus,
    consensus_frames,
    replication_run,
    queue,
    queue_lab,
    cache,
    cache_labs,
    scaling,
    scaling_ui
);
criterion_main!(benches);
