//! The cache engine against the closed forms of caching theory.
//!
//! Hit-ratio tests use a catalog of 10,000 items and 1,000,000 counted requests after a
//! warm-up. A debug build (`cargo test`) checks three parameter points per policy to keep the
//! run short; `cargo test --release --test cache`, or SDLAB_FULL_THEORY=1, checks the whole
//! grid: α ∈ {0.6, 0.8, 1.0, 1.2} × cache ∈ {1%, 5%, 10%} of the catalog.

use assert_cmd::Command;
use sdlab::engines::cache::run::{PolicyRun, TtlRun};
use sdlab::engines::cache::theory;
use sdlab::engines::cache::{zipf_probabilities, Policy, TtlMode, Workload};

const CATALOG: usize = 10_000;
const REQUESTS: u64 = 1_000_000;

fn full() -> bool {
    !cfg!(debug_assertions) || std::env::var_os("SDLAB_FULL_THEORY").is_some()
}

fn grid() -> Vec<(f64, usize)> {
    if full() {
        let mut g = Vec::new();
        for alpha in [0.6, 0.8, 1.0, 1.2] {
            for pct in [1, 5, 10] {
                g.push((alpha, CATALOG * pct / 100));
            }
        }
        g
    } else {
        vec![(0.6, 100), (1.0, 500), (1.2, 1000)]
    }
}

fn measure(policy: Policy, alpha: f64, capacity: usize, warmup: u64) -> f64 {
    PolicyRun {
        policy,
        capacity,
        catalog: CATALOG,
        workload: Workload::Zipf { alpha },
        requests: REQUESTS,
        warmup: Some(warmup),
        seed: 7,
    }
    .run()
    .unwrap()
    .hit_ratio
}

fn check(policy: Policy, tolerance: f64, predict: fn(&[f64], usize) -> f64, warmup: u64) {
    for (alpha, capacity) in grid() {
        let p = zipf_probabilities(CATALOG, alpha);
        let want = predict(&p, capacity);
        let got = measure(policy, alpha, capacity, warmup);
        assert!(
            (got - want).abs() <= tolerance,
            "{policy:?} α={alpha} C={capacity}: measured {got:.4}, theory {want:.4}"
        );
    }
}

/// LRU within 0.01 of Che's approximation (Che, Tung & Wang, "Hierarchical Web caching
/// systems: modeling, design and experimental results", IEEE JSAC 20(7), 2002). The
/// approximation's own error at these sizes is well under 0.01 (Fricker, Robert & Roberts,
/// "A versatile and accurate approximation for LRU cache performance", ITC 2012), and the
/// sampling error of 10⁶ requests is about 0.0005.
#[test]
fn lru_agrees_with_ches_approximation() {
    check(Policy::Lru, 0.01, theory::che_lru, 200_000);
}

/// FIFO and random replacement have the same hit ratio under independent requests (Gelenbe,
/// "A unified approach to the evaluation of a class of replacement algorithms", IEEE Trans.
/// Computers, 1973); both within 0.01 of Σ p_i·T/(1+p_i·T) = C, hit = Σ p_i²T/(1+p_i·T)
/// (Dan & Towsley, SIGMETRICS 1990, in the characteristic-time form of Che et al.).
#[test]
fn fifo_and_random_agree_with_their_approximation() {
    check(Policy::Fifo, 0.01, theory::fifo_random, 200_000);
    check(Policy::Random, 0.01, theory::fifo_random, 200_000);
}

/// LFU with global counts converges to holding the C most popular items, so its hit ratio
/// tends to their probability mass; within 0.005 once the counts have separated (a
/// 1,000,000-request warm-up: the item at rank C then has ~10² more requests' worth of count
/// than its Poisson noise could swap with items far below it).
#[test]
fn global_lfu_reaches_the_mass_of_the_most_popular_items() {
    check(Policy::LfuGlobal, 0.005, theory::top_mass, 1_000_000);
}

/// Under skew the orderings theory predicts: global LFU ≥ LRU ≥ FIFO, and in-cache LFU (which
/// forgets the counts of evicted items) no better than global LFU.
#[test]
fn policies_rank_as_theory_says_under_skew() {
    let (a, c) = (0.8, 100);
    let lru = measure(Policy::Lru, a, c, 200_000);
    let fifo = measure(Policy::Fifo, a, c, 200_000);
    let lfu = measure(Policy::Lfu, a, c, 200_000);
    let global = measure(Policy::LfuGlobal, a, c, 200_000);
    assert!(
        fifo < lru && lru < global && lfu <= global,
        "{fifo} {lru} {lfu} {global}"
    );
}

/// A loop over more items than the cache holds: LRU and FIFO always evict exactly the item
/// about to come back and never hit; random replacement keeps some of the loop and does.
/// Expected random hit ratio for a loop of N over a cache of C is positive (about 0.1 here),
/// so "> 0.05" cannot pass by accident and LRU's 0 is exact.
#[test]
fn a_scan_defeats_lru_and_fifo_but_not_random() {
    let run = |policy| {
        PolicyRun {
            policy,
            capacity: 100,
            catalog: 150,
            workload: Workload::Scan,
            requests: 100_000,
            warmup: Some(1_000),
            seed: 1,
        }
        .run()
        .unwrap()
    };
    assert_eq!(run(Policy::Lru).hits, 0);
    assert_eq!(run(Policy::Fifo).hits, 0);
    assert!(run(Policy::Random).hit_ratio > 0.05);
}

fn ttl_run(mode: TtlMode, rate: f64, ttl_ms: f64, catalog: usize, alpha: f64) -> sdlab::engines::cache::run::TtlResult {
    TtlRun {
        ttl_ms,
        mode,
        rate,
        catalog,
        workload: Workload::Zipf { alpha },
        requests: REQUESTS,
        warmup: Some(50_000),
        seed: 11,
    }
    .run_per_item()
    .unwrap()
}

/// Standard error of one item's hit ratio from `n` of its requests. Expire-after-access: each
/// request hits exactly when the exponential gap before it is under T, independently of the
/// others, so it is binomial. Expire-after-write: each TTL window is a renewal cycle of one
/// miss and K ~ Poisson(x = λT) hits; over m = n/(1+x) cycles the delta method on
/// h = K̄/(1+K̄) gives sqrt(x/m)/(1+x)².
fn item_se(mode: TtlMode, x: f64, n: f64) -> f64 {
    match mode {
        TtlMode::Access => {
            let h = theory::ttl_access(x, 1.0);
            (h * (1.0 - h) / n).sqrt()
        }
        TtlMode::Write => (x / (n / (1.0 + x))).sqrt() / ((1.0 + x) * (1.0 + x)),
    }
}

fn closed(mode: TtlMode, rate: f64, ttl_s: f64) -> f64 {
    match mode {
        TtlMode::Write => theory::ttl_write(rate, ttl_s),
        TtlMode::Access => theory::ttl_access(rate, ttl_s),
    }
}

/// One item requested as a Poisson process: each TTL mode within 4 standard errors of its
/// closed form (expire-after-write λT/(1+λT), expire-after-access 1 − e^(−λT); Jung, Berger
/// & Balakrishnan, INFOCOM 2003; Fofack et al., "Analysis of TTL-based cache networks",
/// VALUETOOLS 2012), at λT = 0.5, 1 and 3.
#[test]
fn ttl_modes_match_their_closed_forms_for_one_item() {
    for mode in [TtlMode::Write, TtlMode::Access] {
        for x in [0.5, 1.0, 3.0] {
            // λ = 10/s, T = x/10 s.
            let r = ttl_run(mode, 10.0, x * 100.0, 1, 0.0);
            let want = closed(mode, 10.0, x / 10.0);
            let se = item_se(mode, x, REQUESTS as f64);
            assert!(
                (r.hit_ratio - want).abs() <= 4.0 * se,
                "{mode:?} λT={x}: {} vs {want:.5} (4 SE = {:.5})",
                r.hit_ratio,
                4.0 * se
            );
        }
    }
}

/// Over a Zipf(0.8) catalog of 1,000 items at 1,000 requests/s with T = 1 s (λ_i·T from ~0.1
/// to ~130): per item (ranks 1, 10, 100) and summed, within 4 standard errors. The summed
/// error adds the item-mix term (1/n)(Σ p_i h_i² − H²) to the per-item terms.
#[test]
fn ttl_modes_match_their_closed_forms_over_a_zipf_catalog() {
    let (rate, ttl_s, n_items) = (1000.0, 1.0, 1000);
    let p = zipf_probabilities(n_items, 0.8);
    for mode in [TtlMode::Write, TtlMode::Access] {
        let r = ttl_run(mode, rate, ttl_s * 1000.0, n_items, 0.8);
        for rank in [0usize, 9, 99] {
            let (n, hits) = r.per_item[rank];
            let x = p[rank] * rate * ttl_s;
            let want = closed(mode, p[rank] * rate, ttl_s);
            let se = item_se(mode, x, n as f64);
            let got = hits as f64 / n as f64;
            assert!(
                (got - want).abs() <= 4.0 * se,
                "{mode:?} rank {}: {got:.5} vs {want:.5} (4 SE = {:.5})",
                rank + 1,
                4.0 * se
            );
        }
        let total = REQUESTS as f64;
        let h: Vec<f64> = p.iter().map(|&pi| closed(mode, pi * rate, ttl_s)).collect();
        let want: f64 = p.iter().zip(&h).map(|(pi, hi)| pi * hi).sum();
        let mix = (p.iter().zip(&h).map(|(pi, hi)| pi * hi * hi).sum::<f64>() - want * want) / total;
        let items: f64 = p
            .iter()
            .map(|&pi| pi * pi * item_se(mode, pi * rate * ttl_s, pi * total).powi(2))
            .sum();
        let se = (mix + items).sqrt();
        assert!(
            (r.hit_ratio - want).abs() <= 4.0 * se,
            "{mode:?} over the catalog: {} vs {want:.5} (4 SE = {:.5})",
            r.hit_ratio,
            4.0 * se
        );
        assert_eq!(r.theory_hit_ratio.map(|t| (t - want).abs() < 1e-5), Some(true));
    }
}

fn sdlab() -> Command {
    Command::cargo_bin("sdlab").unwrap()
}

fn json_of(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap()
}

#[test]
fn the_cache_command_prints_the_contract_keys() {
    let out = sdlab()
        .args([
            "lab",
            "cache",
            "--policy",
            "lfu-global",
            "--capacity",
            "50",
            "--catalog",
            "1000",
        ])
        .args([
            "--zipf",
            "0.9",
            "--requests",
            "20000",
            "--warmup",
            "5000",
            "--seed",
            "3",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = json_of(&out.stdout);
    assert_eq!(v["requests"], 20000);
    let hits = v["hits"].as_u64().unwrap();
    assert!((v["hit_ratio"].as_f64().unwrap() - hits as f64 / 20000.0).abs() < 1e-6);
    assert!(v["evictions"].as_u64().unwrap() > 0);

    let out = sdlab()
        .args(["lab", "cache", "--ttl", "500", "--ttl-mode", "access", "--rate", "200"])
        .args(["--catalog", "100", "--zipf", "1", "--requests", "20000", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = json_of(&out.stdout);
    assert!(v["hit_ratio"].as_f64().unwrap() > 0.0);
    assert_eq!(v["requests"], 20000);
    assert!(v["theory"].as_str().unwrap().contains("expire after access"));
}

#[test]
fn bad_cache_arguments_exit_2_with_one_line() {
    for args in [
        &["--capacity", "0"][..],
        &["--capacity", "10", "--zipf", "-0.5"],
        &["--capacity", "10", "--policy", "mru"],
        &["--ttl", "100", "--ttl-mode", "sometimes"],
        &["--ttl", "0"],
    ] {
        let out = sdlab().args(["lab", "cache"]).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
    let out = sdlab()
        .args(["lab", "cache", "--policy", "mru", "--capacity", "5"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("lru, lfu, lfu-global, fifo or random"), "{err}");
}

use sdlab::engines::cache::cluster::{Cluster, Sharding};
use sdlab::engines::cache::Requests;

/// Runs a warmed-up cluster of 4 nodes for `window` requests, killing node c2 first when
/// `kill`; returns (misses in the window, the cluster).
fn cluster_window(sharding: Sharding, kill: bool, window: u64) -> (u64, Cluster) {
    let catalog = 1_000_000;
    let mut c = Cluster::new(sharding, 4, 100_000, Policy::Lru, catalog, 1).unwrap();
    let mut req = Requests::new(&Workload::Uniform, catalog).unwrap();
    let mut rng = sdlab::engines::sim::rng(2);
    for _ in 0..800_000 {
        c.request(req.next(&mut rng), 0);
    }
    if kill {
        c.kill(1).unwrap();
    }
    let before = c.db_reads;
    for _ in 0..window {
        c.request(req.next(&mut rng), 0);
    }
    (c.db_reads - before, c)
}

/// Killing one of N cache nodes: on the ring only the dead node's keys move (exactly: every
/// other key keeps its node), while hash mod N → mod (N−1) keeps a key only when both
/// residues agree, about 1 in N, so about (N−1)/N move (Karger et al., STOC 1997, the problem
/// consistent hashing was made for). Tolerance for modulo: ±0.01 on 100,000 keys (the binomial
/// standard error is 0.0014).
///
/// The miss surge follows: in the 20,000 requests after the kill, the extra database reads
/// over the same requests without the kill are the hits the moved keys would have had, so on
/// the ring they are the dead node's share of the hits, and under modulo about (N−1)/N of
/// them. Uniform popularity over 1,000,000 items keeps "share of keys" equal to "share of
/// hits", and makes a refilled key's second request within the window rare (~1% of requests).
/// Tolerance ±15% relative covers that, the sampling error (~2,000 extra reads on the ring,
/// SE ~45) and the dead node's lost capacity.
#[test]
fn killing_a_cache_node_moves_the_dead_nodes_share_on_the_ring_and_almost_all_under_modulo() {
    let window = 20_000;
    for sharding in [Sharding::Ring, Sharding::Modulo] {
        let (control, base) = cluster_window(sharding, false, window);
        let dead_share = base.share(1);
        let (misses, killed) = cluster_window(sharding, true, window);
        let control_hits = (window - control) as f64;
        let extra = (misses - control) as f64 / control_hits;
        match sharding {
            Sharding::Ring => {
                assert!(
                    (killed.moved_fraction - dead_share).abs() < 1e-12,
                    "{}",
                    killed.moved_fraction
                );
                assert!(
                    (extra / dead_share - 1.0).abs() < 0.15,
                    "ring: extra {extra:.3}, dead share {dead_share:.3}"
                );
            }
            Sharding::Modulo => {
                assert!((killed.moved_fraction - 0.75).abs() < 0.01, "{}", killed.moved_fraction);
                assert!(
                    (extra / killed.moved_fraction - 1.0).abs() < 0.15,
                    "modulo: extra {extra:.3}"
                );
            }
        }
    }
}

#[test]
fn the_cdn_command_prints_json_lines_with_the_contract_keys() {
    let out = sdlab()
        .args([
            "lab",
            "cdn",
            "--edges",
            "us-east,eu-west",
            "--mode",
            "pull",
            "--ttl",
            "600",
            "--warm",
            "60",
            "--step",
            "30",
        ])
        .args(["--do", "update logo.png; purge logo.png; origin down", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(json_of)
        .collect();
    assert_eq!(lines.len(), 4);
    for v in &lines {
        for key in [
            "hit_ratio",
            "origin_requests",
            "origin_bytes",
            "stale_served",
            "latency_ms",
        ] {
            assert!(!v[key].is_null(), "{key} in {v}");
        }
        assert!(v["latency_ms"]["us-east"]["p50"].is_number() && v["latency_ms"]["us-east"]["p99"].is_number());
    }
    // With the origin down and no serve-stale, dynamic requests fail.
    assert!(lines[3]["failed_requests"].as_u64().unwrap() > 0);
    for bad in [&["--edges", "us-east,atlantis"][..], &["--mode", "teleport"]] {
        let out = sdlab().args(["lab", "cdn"]).args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(String::from_utf8(out.stderr).unwrap().trim().lines().count(), 1);
    }
}

#[test]
fn the_geodns_command_prints_shares_over_time() {
    let out = sdlab()
        .args(["lab", "geodns", "--dns-ttl", "60", "--check-interval", "10"])
        .args([
            "--do",
            "fail us-east @30; restore us-east @200",
            "--duration",
            "300",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(json_of)
        .collect();
    assert_eq!(lines.len(), 30);
    let share = |i: usize| lines[i]["share"]["us-east"].as_f64().unwrap();
    assert!(share(0) > 0.25);
    assert_eq!(share(15), 0.0, "two minutes after the failure nobody is sent there");
    assert!(lines[4]["failed_requests"].as_u64().unwrap() > 0);
    let out = sdlab()
        .args(["lab", "geodns", "--do", "fail mars @10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

// ---- The timed lab (`CacheLab`): the same theory in time, and the races' mechanics. ----

use sdlab::engines::cache::timed::{CacheLab, CacheLabConfig, RaceFix, StampedeFix, WritePolicy};

fn lab(config: CacheLabConfig) -> CacheLab {
    CacheLab::new(config).unwrap()
}

fn act(l: &mut CacheLab, action: &str) {
    l.apply(action).unwrap();
    l.new_window();
}

fn num(l: &CacheLab, key: &str) -> f64 {
    l.metrics()[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key}: {}", l.metrics()))
}

/// 300,000 Poisson reads (1,000/s for 300 s) through an LRU of 100 items over 10,000 under
/// Zipf 1.0: the lab's hit ratio is the static engine's, and within 0.01 of Che's
/// approximation (Che, Tung & Wang 2002; the tolerance, with a standard error of
/// about 0.001 at this sample size).
#[test]
fn the_timed_lab_hits_as_the_static_engine_and_the_theory_say() {
    let mut l = lab(CacheLabConfig::default());
    l.advance(300_000);
    let got = num(&l, "hit_ratio");
    let che = theory::che_lru(&zipf_probabilities(10_000, 1.0), 100);
    assert!((got - che).abs() < 0.01, "lab {got}, Che {che}");
    assert!((num(&l, "theory_hit_ratio") - che).abs() < 1e-6);
    let static_run = PolicyRun {
        policy: Policy::Lru,
        capacity: 100,
        catalog: 10_000,
        workload: Workload::Zipf { alpha: 1.0 },
        requests: 300_000,
        warmup: None,
        seed: 9,
    }
    .run()
    .unwrap();
    assert!(
        (got - static_run.hit_ratio).abs() < 0.01,
        "lab {got}, static {}",
        static_run.hit_ratio
    );
    // Every miss is one database read: reads = hits + database reads.
    assert_eq!(num(&l, "requests"), num(&l, "hits") + num(&l, "db_requests"));
    assert!(num(&l, "evictions") > 0.0);
}

/// A loop over 120 items through 100 slots. LRU and FIFO always evict the item that comes
/// back soonest and never hit; LFU with in-cache counts never sees a second use before it
/// evicts, so it degenerates to LRU; random replacement keeps a random part of the loop and
/// hits. Each agrees with the static engine on the same workload (random within 0.03: two
/// runs of 30,000 requests, binomial SE about 0.003 each, plus correlated runs of the loop).
#[test]
fn on_a_scan_random_replacement_wins_and_lru_fifo_lfu_get_nothing() {
    let run = |policy: Policy| {
        let mut l = lab(CacheLabConfig {
            catalog: 120,
            workload: Workload::Scan,
            ..CacheLabConfig::default()
        });
        act(&mut l, &format!("policy {}", policy.name()));
        l.advance(31_000);
        let static_run = PolicyRun {
            policy,
            capacity: 100,
            catalog: 120,
            workload: Workload::Scan,
            requests: 30_000,
            warmup: Some(1_000),
            seed: 3,
        }
        .run()
        .unwrap();
        (num(&l, "hit_ratio"), static_run.hit_ratio)
    };
    for p in [Policy::Lru, Policy::Fifo, Policy::Lfu] {
        assert_eq!(run(p), (0.0, 0.0), "{}", p.name());
    }
    let (random, static_random) = run(Policy::Random);
    assert!(random > 0.1, "{random}");
    assert!((random - static_random).abs() < 0.03, "{random} vs {static_random}");
    let (global, _) = run(Policy::LfuGlobal);
    assert!(global < random, "lfu-global {global}");
}

fn race(fix: RaceFix, slow: bool) -> CacheLab {
    let mut l = lab(CacheLabConfig {
        race: slow,
        race_fix: fix,
        ..CacheLabConfig::default()
    });
    l.advance(5_000);
    // The hottest item: with the race staged, a reader that read v1 sets it 500 ms later,
    // 400 ms after the writer wrote v2 and deleted the key.
    act(&mut l, "update 0");
    l.advance(2_000);
    l
}

#[test]
fn a_slow_reader_re_caches_the_old_value_after_the_writers_delete() {
    let l = race(RaceFix::None, true);
    assert!(num(&l, "stale_reads") > 50.0, "{}", l.metrics());
    assert_eq!(
        num(&l, "stale_cached"),
        1.0,
        "item 0 holds v1 while the database has v2"
    );
    assert!(l.anomalies.count("stale_read") >= 1);
    // Without the slow reader the delete is followed by fresh fills only.
    let fast = race(RaceFix::None, false);
    assert_eq!(num(&fast, "stale_reads"), 0.0, "{}", fast.metrics());
}

#[test]
fn versioned_sets_and_a_delayed_second_delete_prevent_the_stale_set() {
    let v = race(RaceFix::Versioned, true);
    assert_eq!(num(&v, "stale_reads"), 0.0, "{}", v.metrics());
    assert!(num(&v, "refused_sets") > 0.0);
    // The second delete comes 1 s after the writer's: the stale value lives from the slow
    // set (t + 500 ms) until then (t + 1,100 ms).
    let d = race(RaceFix::DoubleDelete, true);
    assert_eq!(num(&d, "stale_cached"), 0.0, "{}", d.metrics());
    assert!(num(&d, "stale_reads") > 0.0, "stale until the second delete");
    assert!(num(&d, "stale_reads") < num(&race(RaceFix::None, true), "stale_reads"));
}

fn stampede(fix: StampedeFix) -> CacheLab {
    let mut l = lab(CacheLabConfig {
        workload: Workload::HotKey { share: 0.5 },
        rate: 2000.0,
        ttl_s: Some(5.0),
        db_ms: 200.0,
        stampede_fix: fix,
        ..CacheLabConfig::default()
    });
    l.advance(21_000);
    l
}

/// The hot key takes 1,000 reads/s; when its entry expires, every read in the 200 ms rebuild
/// misses and queries the database: 1 + 1,000 × 0.2 ≈ 201 at once (Poisson, SD ≈ 14).
#[test]
fn a_hot_keys_expiry_sets_off_a_stampede_that_single_flight_or_early_refresh_stops() {
    let none = stampede(StampedeFix::None);
    let max = num(&none, "stampede_max");
    assert!((150.0..=260.0).contains(&max), "{max}");
    assert!(none.anomalies.count("stampede") >= 3, "one per expiry, every 5.2 s");
    let single = stampede(StampedeFix::SingleFlight);
    assert_eq!(num(&single, "stampede_max"), 1.0);
    assert!(num(&single, "coalesced") > 500.0);
    // Early refresh rebuilds before expiry, so only the cold start (an empty cache) stampedes.
    let early = stampede(StampedeFix::EarlyRefresh);
    assert_eq!(early.anomalies.count("stampede"), 1);
    assert_eq!(num(&early, "expirations"), 0.0);
}

/// Four nodes of 1,000 items over 10,000: killing one moves its quarter of the keys on the
/// ring, but about 3/4 of all keys under hash mod N (N − 1 of N keys change owner going from
/// 4 to 3). Every cached item that moved is a miss when next read, so modulo's extra database
/// reads over the next 20 s exceed the ring's by the re-read half of the cache: a rough
/// estimate from Che's characteristic time puts that near 1,100, and the test asks for more
/// than 300, over three standard deviations of the difference of two runs (each ~3,700 misses,
/// Poisson SD ≈ 60).
#[test]
fn killing_a_node_costs_its_share_on_the_ring_and_almost_everything_under_modulo() {
    let run = |sharding: &str| {
        let mut l = lab(CacheLabConfig {
            nodes: 4,
            capacity: 1000,
            ..CacheLabConfig::default()
        });
        act(&mut l, &format!("sharding {sharding}"));
        l.advance(40_000);
        act(&mut l, "kill c2");
        l.advance(20_000);
        (num(&l, "moved_fraction"), num(&l, "db_requests"))
    };
    let (ring_moved, ring_db) = run("ring");
    let (mod_moved, mod_db) = run("modulo");
    assert!((ring_moved - 0.25).abs() < 0.08, "{ring_moved}");
    assert!((mod_moved - 0.75).abs() < 0.03, "{mod_moved}");
    assert!(mod_db > ring_db + 300.0, "modulo {mod_db} vs ring {ring_db}");
}

#[test]
fn a_write_back_node_that_dies_loses_its_dirty_writes() {
    let run = |policy: WritePolicy| {
        let mut l = lab(CacheLabConfig {
            nodes: 2,
            update_rate: 50.0,
            write_policy: policy,
            ..CacheLabConfig::default()
        });
        l.advance(10_000);
        act(&mut l, "kill c1");
        l.advance(10_000);
        l
    };
    let back = run(WritePolicy::WriteBack);
    assert!(num(&back, "dirty_lost") > 0.0, "{}", back.metrics());
    let through = run(WritePolicy::WriteThrough);
    assert_eq!(num(&through, "dirty_lost"), 0.0);
}

#[test]
fn the_lab_is_deterministic_and_ticks_compose() {
    let mut a = lab(CacheLabConfig::default());
    let mut b = lab(CacheLabConfig::default());
    a.advance(3_000);
    b.advance(1_000);
    b.advance(2_000);
    assert_eq!(a.metrics(), b.metrics());
    assert!(CacheLab::new(CacheLabConfig {
        capacity: 0,
        ..CacheLabConfig::default()
    })
    .is_err());
    assert!(a.apply("policy mru").is_err());
}

/// TTLs in the timed lab, with room for the whole catalog so only expiry removes entries:
/// 1,000 Poisson reads/s over 1,000 items under Zipf 0.8, a 1 s TTL, 200,000 reads. Each
/// mode's hit ratio is within 0.01 of its closed form summed over the catalog (Jung, Berger &
/// Balakrishnan 2003: λT/(1+λT) per item after write, 1 − e^(−λT) after access); the
/// binomial SE is about 0.001, and the 5 ms fill delay costs about λ × 5 ms misses per cycle.
#[test]
fn the_timed_labs_ttl_modes_follow_their_closed_forms() {
    let p = zipf_probabilities(1000, 0.8);
    for mode in ["write", "access"] {
        let mut l = lab(CacheLabConfig {
            catalog: 1000,
            capacity: 1000,
            workload: Workload::Zipf { alpha: 0.8 },
            ..CacheLabConfig::default()
        });
        act(&mut l, &format!("ttl 1 {mode}"));
        l.advance(201_000);
        let want: f64 = p
            .iter()
            .map(|&pi| {
                let (rate, ttl) = (1000.0 * pi, 1.0);
                pi * if mode == "write" {
                    theory::ttl_write(rate, ttl)
                } else {
                    theory::ttl_access(rate, ttl)
                }
            })
            .sum();
        let got = num(&l, "hit_ratio");
        assert!((got - want).abs() < 0.01, "{mode}: lab {got}, closed form {want}");
        assert!(num(&l, "expirations") > 0.0);
    }
}
