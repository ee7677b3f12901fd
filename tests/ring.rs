//! The ring engine against theory and against a real memcached client's published results.

use proptest::prelude::{prop_assert, prop_assert_eq, proptest, ProptestConfig};
use sdlab::engines::ring::{Ids, NodeSpec, Ring, RingAction, RingConfig, Strategy};

fn config(strategy: Strategy, nodes: usize, vnodes: u32, keys: usize) -> RingConfig {
    RingConfig {
        strategy,
        nodes: NodeSpec::numbered(nodes),
        vnodes,
        keys,
        ids: Ids::Random,
        ..RingConfig::default()
    }
}

fn owners_by_name(ring: &Ring) -> Vec<String> {
    ring.owners
        .iter()
        .map(|&o| ring.config.nodes[usize::from(o)].name.clone())
        .collect()
}

/// Adding the (N+1)th node to a ring with V ≥ 100 moves close to the ideal 1/(N+1) of keys.
/// Tolerance ±25% relative, as the issue states: with V = 100 points per node the arc a new
/// node takes varies by roughly 1/√V = 10% around its mean (Karger et al. 1997; the variance of
/// the sum of V exponential gaps), so ±25% is about 2.5 standard deviations.
#[test]
fn adding_a_node_moves_about_one_over_n_plus_one() {
    for n in [4, 9, 19] {
        let mut ring = Ring::new(config(Strategy::Ring, n, 100, 100_000)).unwrap();
        ring.apply(&RingAction::parse("add new").unwrap()).unwrap();
        let m = ring.metrics();
        let ideal = 1.0 / (n as f64 + 1.0);
        assert!((m.ideal_moved_fraction.unwrap() - ideal).abs() < 1e-12);
        let moved = m.moved_fraction.unwrap();
        assert!(
            (moved - ideal).abs() <= 0.25 * ideal,
            "N={n}: moved {moved}, ideal {ideal}"
        );
        // Hash mod N moves N/(N+1) instead: a key stays only when h mod N = h mod (N+1), which
        // holds for 1 in N+1 keys. Binomial sd at K = 1e5 is < 0.0016; allow 0.01.
        let modulo = m.modulo_moved_fraction.unwrap();
        assert!(
            (modulo - n as f64 / (n as f64 + 1.0)).abs() < 0.01,
            "N={n}: modulo moved {modulo}"
        );
    }
}

#[test]
fn modulo_itself_moves_n_over_n_plus_one() {
    for n in [3, 5, 10] {
        let mut ring = Ring::new(config(Strategy::Modulo, n, 1, 100_000)).unwrap();
        ring.apply(&RingAction::parse("add extra").unwrap()).unwrap();
        let moved = ring.metrics().moved_fraction.unwrap();
        assert!((moved - n as f64 / (n as f64 + 1.0)).abs() < 0.01, "N={n}: {moved}");
    }
}

/// With 160 virtual nodes each, 10 nodes and a million keys, the busiest node carries at most
/// 25% over the mean. (Expected max/mean is about 1 + 2.5/√160 ≈ 1.2 for the largest of ten
/// arcs; the keys add a negligible 1/√100000 of noise.)
#[test]
fn balance_at_ten_nodes_and_a_million_keys() {
    let ring = Ring::new(RingConfig {
        ids: Ids::Sequential,
        ..config(Strategy::Ring, 10, 160, 1_000_000)
    })
    .unwrap();
    let m = ring.metrics();
    assert!(m.max_over_mean <= 1.25, "max/mean {}", m.max_over_mean);
    assert_eq!(m.points, 1600);
}

#[test]
fn one_virtual_node_is_badly_unbalanced() {
    let ring = Ring::new(config(Strategy::Ring, 10, 1, 100_000)).unwrap();
    assert!(
        ring.metrics().max_over_mean > 1.5,
        "a single point per node leaves arcs very uneven"
    );
}

#[test]
fn removing_a_node_moves_exactly_its_keys_on_a_ring() {
    let mut ring = Ring::new(config(Strategy::Ring, 5, 100, 50_000)).unwrap();
    let held = ring.metrics().nodes[2].keys as f64 / 50_000.0;
    ring.apply(&RingAction::Remove("n3".into())).unwrap();
    let m = ring.metrics();
    assert!((m.moved_fraction.unwrap() - held).abs() < 1e-12);
    assert!((m.ideal_moved_fraction.unwrap() - held).abs() < 1e-12);
}

#[test]
fn weights_scale_a_nodes_share() {
    let mut c = config(Strategy::Ring, 4, 200, 100_000);
    c.nodes[0].weight = 3;
    let ring = Ring::new(c).unwrap();
    let share = ring.metrics().nodes[0].share;
    // Ideal 3/6 = 0.5; with 600 vs 200 points the arc share is within a few percent.
    assert!((share - 0.5).abs() < 0.05, "{share}");
}

#[test]
fn rendezvous_and_jump_move_the_minimum() {
    for s in [Strategy::Rendezvous, Strategy::Jump] {
        let mut ring = Ring::new(config(s, 6, 1, 60_000)).unwrap();
        ring.apply(&RingAction::parse("add n7").unwrap()).unwrap();
        let moved = ring.metrics().moved_fraction.unwrap();
        // Both are minimal-disruption: the expected share is exactly 1/7; binomial noise only.
        assert!((moved - 1.0 / 7.0).abs() < 0.01, "{s:?}: {moved}");
    }
}

#[test]
fn a_celebrity_key_stays_a_hotspot_however_many_vnodes() {
    let mut c = config(Strategy::Ring, 10, 500, 100_000);
    c.celebrity = 30.0;
    let ring = Ring::new(c).unwrap();
    let m = ring.metrics();
    // One node serves the 30% celebrity plus about a tenth of the rest: ~3.7× the mean.
    assert!(m.max_over_mean > 3.0, "{}", m.max_over_mean);
    let celeb = m.celebrity.unwrap();
    assert!((celeb.share - 0.30).abs() < 1e-12);
}

#[test]
fn range_sharding_of_sequential_ids_piles_keys_on_the_first_ranges_and_scans_stay_local() {
    let ring = Ring::new(RingConfig {
        ids: Ids::Sequential,
        ..config(Strategy::Range, 4, 1, 10_000)
    })
    .unwrap();
    let m = ring.metrics();
    // The id space 0..20000 is split in four; ids 1..=10000 fill only the first two ranges.
    assert_eq!(m.nodes[2].keys + m.nodes[3].keys, 0);
    assert!(m.fanout.nodes <= 2);
    let hashed = Ring::new(config(Strategy::Ring, 4, 100, 10_000)).unwrap();
    assert_eq!(
        hashed.metrics().fanout.nodes,
        4,
        "a hash scatters a range scan over every node"
    );
}

#[test]
fn range_split_and_assign() {
    let mut ring = Ring::new(RingConfig {
        ids: Ids::Sequential,
        ..config(Strategy::Range, 2, 1, 10_000)
    })
    .unwrap();
    assert_eq!(ring.metrics().nodes[1].keys, 0);
    ring.apply(&RingAction::parse("split 0").unwrap()).unwrap();
    ring.apply(&RingAction::parse("assign 1 n2").unwrap()).unwrap();
    let m = ring.metrics();
    assert_eq!(m.nodes[0].keys, 5_000);
    assert_eq!(m.nodes[1].keys, 5_000);
    assert!((m.moved_fraction.unwrap() - 0.5).abs() < 1e-12);
    assert!(ring.apply(&RingAction::parse("split 99").unwrap()).is_err());
}

#[test]
fn directory_moves_nothing_until_told_then_the_minimum() {
    let mut ring = Ring::new(config(Strategy::Directory, 4, 1, 10_000)).unwrap();
    ring.apply(&RingAction::parse("add n5").unwrap()).unwrap();
    assert_eq!(ring.metrics().moved_fraction, Some(0.0));
    assert_eq!(ring.metrics().nodes[4].keys, 0);
    ring.apply(&RingAction::Rebalance).unwrap();
    let m = ring.metrics();
    assert!((m.moved_fraction.unwrap() - 0.2).abs() < 0.01, "{:?}", m.moved_fraction);
    assert!(m.nodes.iter().all(|n| n.keys.abs_diff(2_000) <= 1));
    ring.apply(&RingAction::parse("move user:1 n1").unwrap()).ok();
}

#[test]
fn geo_keeps_keys_in_their_region_and_regions_are_uneven() {
    let nodes = "na-1@na,na-2@na,eu-1@eu,apac-1@apac,sa-1@sa,af-1@af";
    let c = RingConfig {
        strategy: Strategy::Geo,
        nodes: nodes.split(',').map(|s| NodeSpec::parse(s).unwrap()).collect(),
        keys: 100_000,
        ..RingConfig::default()
    };
    let ring = Ring::new(c).unwrap();
    let m = ring.metrics();
    let share = |name: &str| m.nodes.iter().find(|n| n.name == name).unwrap().share;
    // NA has 40% of users over two nodes, AF 3% on one: 20% vs 3% per node.
    assert!((share("na-1") + share("na-2") - 0.40).abs() < 0.01);
    assert!((share("af-1") - 0.03).abs() < 0.005);
}

#[test]
fn traces_give_owner_and_distinct_replicas() {
    let mut c = config(Strategy::Ring, 5, 100, 1_000);
    c.traces = vec!["user:42".into()];
    c.replicas = 3;
    let ring = Ring::new(c).unwrap();
    let t = &ring.metrics().traces[0];
    assert_eq!(t.preference.len(), 3);
    assert_eq!(t.preference[0], t.owner);
    let mut p = t.preference.clone();
    p.sort();
    p.dedup();
    assert_eq!(p.len(), 3, "distinct nodes");
}

/// spymemcached's ketama tests (shared/refs/ketama_spymemcached.json, from
/// dustin/java-memcached-client KetamaNodeLocatorTest.java): 3,241 key → server pairs for 8
/// servers plus the 4- and 5-node cases, all in libketama mode with MD5.
#[test]
fn ketama_reproduces_spymemcached() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/refs/ketama_spymemcached.json");
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {path} is not present");
        return;
    };
    let refs: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for case in refs["cases"].as_array().unwrap() {
        if case["mode"] != "libketama" || case["id"] == "spymemcached_fnv1a_32" {
            // The libmemcached-weighted and FNV cases use other point formulas than libketama.
            continue;
        }
        let servers = case["servers"].as_array().unwrap();
        let nodes: Vec<NodeSpec> = servers
            .iter()
            .map(|s| NodeSpec {
                name: s["label"].as_str().unwrap().into(),
                weight: s["weight"].as_u64().unwrap() as u32,
                region: None,
            })
            .collect();
        let name_of = |label: &str| {
            servers
                .iter()
                .find(|s| s["label"] == label)
                .map(|s| s["name"].as_str().unwrap().to_string())
                .unwrap()
        };
        let ring = Ring::new(RingConfig {
            strategy: Strategy::Ketama,
            nodes,
            keys: 10,
            ..RingConfig::default()
        })
        .unwrap();
        let m = ring.metrics();
        if let Some(points) = case["expected"]["num_points"].as_u64() {
            assert_eq!(m.points as u64, points, "{}", case["id"]);
        }
        if let Some(max) = case["expected"]["max_point"].as_u64() {
            let sdlab::engines::ring::Placement::Circle { points, .. } = &ring.placement else {
                panic!()
            };
            assert_eq!(points.last().unwrap().0, max);
        }
        for pair in case["expected"]["lookups"].as_array().unwrap() {
            let (key, want) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
            let got = name_of(&ring.trace(key).owner);
            assert_eq!(got, want, "{}: key {key:?}", case["id"]);
            checked += 1;
        }
    }
    assert_eq!(checked, 3241 + 6 + 7);
}

fn strategy() -> impl proptest::strategy::Strategy<Value = sdlab::engines::ring::Strategy> {
    proptest::sample::select(sdlab::engines::ring::Strategy::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_lookup_returns_a_live_node(s in strategy(), n in 1usize..12, v in 1u32..60, k in 10usize..2000, seed in 0u64..1000, key in "[a-z0-9:]{1,12}") {
        let mut c = config(s, n, v, k);
        c.seed = seed;
        c.traces = vec![key];
        let ring = Ring::new(c).unwrap();
        prop_assert!(ring.owners.iter().all(|&o| usize::from(o) < n));
        let m = ring.metrics();
        prop_assert!(m.nodes.iter().any(|x| x.name == m.traces[0].owner));
        prop_assert_eq!(m.nodes.iter().map(|x| x.keys).sum::<usize>(), k);
    }

    #[test]
    fn remove_then_readd_restores_every_owner(s in proptest::sample::select(vec![Strategy::Ring, Strategy::Ketama, Strategy::Rendezvous, Strategy::Geo]), n in 2usize..10, v in 1u32..80, victim in 0usize..10, seed in 0u64..1000) {
        let mut c = config(s, n, v, 1500);
        c.seed = seed;
        let mut ring = Ring::new(c).unwrap();
        let before = owners_by_name(&ring);
        let node = ring.config.nodes[victim % n].clone();
        ring.apply(&RingAction::Remove(node.name.clone())).unwrap();
        ring.apply(&RingAction::Add(node)).unwrap();
        prop_assert_eq!(owners_by_name(&ring), before);
    }

    #[test]
    fn adding_a_node_moves_keys_only_onto_it(s in proptest::sample::select(vec![Strategy::Ring, Strategy::Ketama, Strategy::Rendezvous, Strategy::Jump, Strategy::Geo]), n in 1usize..10, v in 1u32..80, seed in 0u64..1000) {
        let mut c = config(s, n, v, 1500);
        c.seed = seed;
        let mut ring = Ring::new(c).unwrap();
        let before = owners_by_name(&ring);
        ring.apply(&RingAction::parse("add fresh").unwrap()).unwrap();
        let after = owners_by_name(&ring);
        for (b, a) in before.iter().zip(&after) {
            prop_assert!(a == b || a == "fresh", "{} moved to {}", b, a);
        }
    }

    #[test]
    fn undo_by_replay_gives_the_same_state(s in strategy(), n in 2usize..8) {
        use sdlab::engines::lab::{Lab, Session};
        let mut lab = Session::<Ring>::new("ring", config(s, n, 20, 500)).unwrap();
        let start = lab.metrics();
        lab.apply("add x").unwrap();
        lab.apply("vnodes 3").unwrap();
        prop_assert!(lab.apply("remove nobody").is_err());
        prop_assert_eq!(lab.log().len(), 2);
        lab.undo();
        lab.undo();
        prop_assert_eq!(lab.metrics(), start);
    }
}

/// DESIGN.md's budget is 30 MB resident with all content (about 11 MB measured: 4.8 MB of heap,
/// the rest the binary's pages) and a million-key ring. Random ids after every strategy reached
/// 34 MB with 22 bytes a key, so a key may now cost at most 14 bytes in the worst case (random
/// ids, skewed traffic, ketama), which leaves room for the copy of the owners an action keeps.
/// Per-key tables only grow linearly, so 200,000 keys show the per-key cost.
#[test]
fn a_key_costs_at_most_14_bytes_on_every_strategy() {
    let keys = 200_000;
    for ids in [Ids::Sequential, Ids::Random] {
        for zipf in [0.0, 1.0] {
            let mut c = config(Strategy::Modulo, 10, 160, keys);
            c.ids = ids;
            c.zipf = zipf;
            let mut ring = Ring::new(c).unwrap();
            for s in Strategy::ALL {
                ring.apply(&RingAction::Strategy(s)).unwrap();
                let per_key = ring.heap_bytes() as f64 / keys as f64;
                // Owner 1 + directory entry 1; skewed traffic's f32 share 4, ketama's MD5 hash
                // 4, random ids 4 (hashes are recomputed from ids); node tables add a fraction.
                let expected = 2.0
                    + if zipf > 0.0 { 4.0 } else { 0.0 }
                    + if s == Strategy::Ketama { 4.0 } else { 0.0 }
                    + if ids == Ids::Random { 4.0 } else { 0.0 };
                assert!(
                    per_key <= expected + 0.2,
                    "{ids:?} zipf {zipf} {s:?}: {per_key:.2} bytes a key"
                );
                assert!(per_key <= 14.2);
            }
        }
    }
}

/// The state a log reaches when applied from scratch, one action at a time: what every undo,
/// reset and scrub must equal.
fn replayed_from_scratch(config: &RingConfig, log: &[String]) -> Ring {
    let mut ring = Ring::new(config.clone()).unwrap();
    for a in log {
        ring.apply(&RingAction::parse(a).unwrap()).unwrap();
    }
    ring
}

fn assert_same_state(got: &Ring, want: &Ring, what: &str) {
    assert_eq!(got.config, want.config, "{what}: config");
    assert_eq!(got.metrics(), want.metrics(), "{what}: metrics");
    assert_eq!(got.owners, want.owners, "{what}: owners");
    assert_eq!(got.ranges, want.ranges, "{what}: ranges");
    assert_eq!(got.directory, want.directory, "{what}: directory");
    assert_eq!(
        got.keys.ids().collect::<Vec<_>>(),
        want.keys.ids().collect::<Vec<_>>(),
        "{what}: keys"
    );
    assert_eq!(got.keys.traffic, want.keys.traffic, "{what}: traffic");
}

fn any_action() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::Strategy as _;
    let node = || proptest::sample::select(vec!["n1", "n2", "n3", "n4", "n5", "x", "y"]);
    let region = proptest::sample::select(vec!["", "@eu", "@apac", "@af"]);
    proptest::prop_oneof![
        (node(), 1u32..4, region).prop_map(|(n, w, r)| format!("add {n}={w}{r}")),
        node().prop_map(|n| format!("remove {n}")),
        (node(), 1u32..5).prop_map(|(n, w)| format!("weight {n} {w}")),
        (1u32..40).prop_map(|v| format!("vnodes {v}")),
        strategy().prop_map(|s| format!("strategy {}", s.name())),
        proptest::sample::select(vec![300usize, 500, 800]).prop_map(|k| format!("keys {k}")),
        proptest::sample::select(vec![
            "ids random",
            "ids sequential",
            "zipf 0",
            "zipf 1.1",
            "celebrity 0",
            "celebrity 20",
            "rebalance"
        ])
        .prop_map(str::to_string),
        (1u64..900).prop_map(|k| format!("trace user:{k}")),
        (0usize..6).prop_map(|i| format!("split {i}")),
        (0usize..6, node()).prop_map(|(i, n)| format!("assign {i} {n}")),
        (1u64..900, node()).prop_map(|(k, n)| format!("move user:{k} {n}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Undo, scrubbing back and reset take a fast path (the ring places keys twice, however
    /// long the log, and reuses its keyspace); each must leave exactly the state a replay from
    /// scratch gives, movement metrics of the last action included.
    #[test]
    fn undo_scrub_and_reset_equal_a_full_replay(
        s in strategy(),
        actions in proptest::collection::vec(any_action(), 1..24),
        back in 1usize..6,
    ) {
        use sdlab::engines::lab::{Lab, Session};
        let config = RingConfig { strategy: s, keys: 500, vnodes: 20, ..RingConfig::default() };
        let mut session = Session::<Ring>::new("ring", config.clone()).unwrap();
        for a in &actions {
            // Actions that do not fit the state (no such node, wrong strategy) are refused and
            // stay out of the log, as in the lab.
            let _ = session.apply(a);
        }
        let log = session.log().to_vec();
        prop_assert_eq!(session.undo(), !log.is_empty());
        let kept = log.len().saturating_sub(1);
        assert_same_state(&session.engine, &replayed_from_scratch(&config, &log[..kept]), "undo");
        let (at, total) = session.scrub(-(back as isize));
        prop_assert_eq!((at, total), (kept.saturating_sub(back), kept));
        assert_same_state(&session.engine, &replayed_from_scratch(&config, &log[..at]), "scrub back");
        session.scrub(back as isize);
        assert_same_state(&session.engine, &replayed_from_scratch(&config, &log[..kept]), "scrub forward");
        session.reset();
        assert_same_state(&session.engine, &Ring::new(config.clone()).unwrap(), "reset");
        // A ring that never applied these actions replays them with no history to lean on.
        let parsed: Vec<RingAction> = log.iter().map(|a| RingAction::parse(a).unwrap()).collect();
        let mut fresh = Ring::new(config.clone()).unwrap();
        fresh.replay(&config, &parsed[..kept]).unwrap();
        assert_same_state(&fresh, &replayed_from_scratch(&config, &log[..kept]), "replay without history");
        fresh.replay(&config, &parsed[..at]).unwrap();
        assert_same_state(&fresh, &replayed_from_scratch(&config, &log[..at]), "replay, then back");
    }
}

/// max/mean and sd compare each node with the share its strategy means it to have. Ketama with
/// weights a=1, b=2, c=1 gives b 60 of 120 digests (libketama: floor(pct × 40 × servers)), so b
/// holding about half the keys is balance, not 1.5× the mean as a plain 1/N mean made it.
#[test]
fn max_over_mean_uses_the_strategys_own_ideal() {
    let mut c = config(Strategy::Ketama, 3, 100, 100_000);
    c.nodes = ["a", "b=2", "c"].iter().map(|s| NodeSpec::parse(s).unwrap()).collect();
    let m = Ring::new(c.clone()).unwrap().metrics();
    let ideals: Vec<f64> = m.nodes.iter().map(|n| n.ideal_share).collect();
    assert_eq!(ideals, vec![0.25, 0.5, 0.25]);
    let b = m.nodes[1].share;
    // 480 points for 100,000 keys: each node's arc is within ~10% of its ideal (1/√points).
    assert!((b - 0.5).abs() < 0.05, "b holds {b}");
    assert!(m.max_over_mean < 1.25, "max/mean {}", m.max_over_mean);
    // Jump ignores weights: its ideal is 1/N whatever the weights say, and it meets it.
    c.strategy = Strategy::Jump;
    let m = Ring::new(c).unwrap().metrics();
    for n in &m.nodes {
        assert!((n.ideal_share - 1.0 / 3.0).abs() < 1e-12, "{}", n.name);
    }
    // Binomial noise only at 100,000 keys: sd of a share ≈ 0.0015.
    assert!(m.max_over_mean < 1.02, "jump max/mean {}", m.max_over_mean);
}

/// A weight change under a strategy that ignores weights moves nothing, and its ideal says so.
#[test]
fn a_weight_change_ideally_moves_nothing_where_weights_do_not_count() {
    for s in [Strategy::Jump, Strategy::Modulo] {
        let mut ring = Ring::new(config(s, 4, 100, 10_000)).unwrap();
        ring.apply(&RingAction::parse("weight n1 5").unwrap()).unwrap();
        let m = ring.metrics();
        assert_eq!(m.moved_fraction, Some(0.0), "{s:?}");
        assert_eq!(m.ideal_moved_fraction, Some(0.0), "{s:?}");
    }
}

/// After an action every node's keys gained and lost add up to the keys that moved, and a join
/// on a ring only gains.
#[test]
fn keys_gained_and_lost_account_for_every_moved_key() {
    let mut ring = Ring::new(config(Strategy::Ring, 5, 100, 50_000)).unwrap();
    ring.apply(&RingAction::parse("add n6").unwrap()).unwrap();
    let m = ring.metrics();
    let moved = (m.moved_fraction.unwrap() * 50_000.0).round() as usize;
    let gained: usize = m.nodes.iter().map(|n| n.keys_gained).sum();
    let lost: usize = m.nodes.iter().map(|n| n.keys_lost).sum();
    assert_eq!((gained, lost), (moved, moved));
    let new = m.nodes.iter().find(|n| n.name == "n6").unwrap();
    assert_eq!((new.keys_gained, new.keys_lost, new.keys), (moved, 0, moved));
    // A removal: the leaver is gone, the others gain exactly its keys and lose none.
    let held = m.nodes.iter().find(|n| n.name == "n2").unwrap().keys;
    ring.apply(&RingAction::parse("remove n2").unwrap()).unwrap();
    let m = ring.metrics();
    assert_eq!(m.nodes.iter().map(|n| n.keys_gained).sum::<usize>(), held);
    assert_eq!(m.nodes.iter().map(|n| n.keys_lost).sum::<usize>(), 0);
    // Changing the keyspace moves no key between nodes: nothing to report.
    ring.apply(&RingAction::parse("keys 20000").unwrap()).unwrap();
    assert!(ring
        .metrics()
        .nodes
        .iter()
        .all(|n| n.keys_gained == 0 && n.keys_lost == 0));
}

/// Each strategy says which of the lab's settings it ignores.
#[test]
fn strategies_say_which_settings_they_ignore() {
    for s in Strategy::ALL {
        let said = s.ignored().unwrap_or_default();
        assert_eq!(said.contains("weights"), !s.uses_weights(), "{s:?}: {said}");
        assert_eq!(said.contains("vnodes"), !s.uses_vnodes(), "{s:?}: {said}");
    }
    assert!(Strategy::Ketama
        .ignored()
        .unwrap()
        .contains("40×4 points per weight share"));
    assert!(!Strategy::Jump.uses_weights() && !Strategy::Modulo.uses_weights());
    assert!(Strategy::Ketama.uses_weights() && !Strategy::Ketama.uses_vnodes());
}
