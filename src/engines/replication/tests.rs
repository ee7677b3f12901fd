//! Unit and property tests of the replication engine: the scenarios the lessons stand on, and
//! the invariants of issue 11 §4 over random action schedules.

use proptest::prelude::*;

use super::*;

fn engine(config: ReplicationConfig) -> Replication {
    Replication::new(config).unwrap()
}

fn run(e: &mut Replication, actions: &str) {
    for a in actions.split(';').map(str::trim).filter(|a| !a.is_empty()) {
        match a.strip_prefix("tick ") {
            Some(ms) => e.tick(ms.parse().unwrap()),
            None => e.apply_text(a).unwrap_or_else(|err| panic!("{a}: {err}")),
        }
    }
}

fn metric(e: &Replication, key: &str) -> f64 {
    e.metrics_json()[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no metric {key}"))
}

#[test]
fn an_async_crash_loses_the_acknowledged_writes_still_in_flight() {
    let mut e = engine(ReplicationConfig::default());
    // Delay 100 ms: the first write arrives, the next three are on the wire when p dies.
    run(
        &mut e,
        "write a=1; tick 150; write a=2; write b=3; tick 50; write c=4; crash primary; promote auto",
    );
    assert_eq!(metric(&e, "lost_writes"), 3.0);
    assert_eq!(e.primary_name(), "r1");
    assert_eq!(e.head(), 1);
    let lost: Vec<_> = e.anomalies().filter(|a| a.kind == "lost_write").collect();
    assert!(lost[0].detail.contains("a=2 (pos 2)"), "{}", lost[0].detail);
    assert!(
        lost[0].detail.contains("r1 was promoted at pos 1"),
        "{}",
        lost[0].detail
    );
}

#[test]
fn semisync_loses_nothing_it_acknowledged() {
    let mut e = engine(ReplicationConfig {
        mode: Mode::Semisync,
        ..Default::default()
    });
    run(&mut e, "write a=1; tick 100; write a=2; crash primary; promote auto");
    // a=1 was acknowledged once r1 had it; a=2 was never acknowledged: nothing acknowledged is lost.
    assert_eq!(metric(&e, "lost_writes"), 0.0);
    assert_eq!(metric(&e, "acked_writes"), 1.0);
    assert_eq!(metric(&e, "failed_writes"), 1.0);
    assert_eq!(e.metrics_json()["commit_latency_ms"]["mean"], 100.0);
}

#[test]
fn semisync_falls_back_to_async_after_its_timeout_and_returns_when_replicas_catch_up() {
    let mut e = engine(ReplicationConfig {
        mode: Mode::Semisync,
        ..Default::default()
    });
    run(&mut e, "crash r1; crash r2; write a=1; tick 9999");
    assert_eq!(metric(&e, "pending_writes"), 1.0);
    run(&mut e, "tick 1");
    assert!(e.fallen_back());
    assert_eq!(metric(&e, "pending_writes"), 0.0);
    assert_eq!(e.metrics_json()["commit_latency_ms"]["p50"], 10_000.0);
    // As async now: the next write commits at once.
    run(&mut e, "write a=2");
    assert_eq!(metric(&e, "acked_writes"), 2.0);
    run(&mut e, "restart r1; tick 150");
    assert!(!e.fallen_back(), "{:?}", e.event_log().entries().last());
    run(&mut e, "write a=3; tick 10");
    assert_eq!(metric(&e, "pending_writes"), 1.0);
}

#[test]
fn sync_waits_for_every_replica_even_a_down_one() {
    let mut e = engine(ReplicationConfig {
        mode: Mode::Sync,
        delays: vec![Delay::fixed(30.0), Delay::fixed(80.0)],
        ..Default::default()
    });
    run(&mut e, "write a=1; tick 100");
    assert_eq!(e.metrics_json()["commit_latency_ms"]["mean"], 80.0);
    run(&mut e, "crash r2; write a=2; tick 5000");
    assert_eq!(metric(&e, "pending_writes"), 1.0);
    run(&mut e, "restart r2; tick 80");
    assert_eq!(metric(&e, "pending_writes"), 0.0);
}

#[test]
fn the_token_sends_a_fresh_read_to_the_primary_and_random_routing_does_not() {
    let mut e = engine(ReplicationConfig::default());
    run(&mut e, "write email=b; tick 10; read email");
    assert_eq!(metric(&e, "ryw_violations"), 1.0);
    assert!(e
        .anomalies()
        .any(|a| a.kind == "stale_read" && a.detail.contains("c1 wrote email=b (pos 1)")));
    let mut e = engine(ReplicationConfig {
        routing: Routing::RywToken,
        ..Default::default()
    });
    run(
        &mut e,
        "write email=b; tick 10; read email; c2 read email; tick 100; read email",
    );
    assert_eq!(metric(&e, "ryw_violations"), 0.0);
    // c2 never wrote: its token sends it to a replica that has not got the write yet.
    assert_eq!(metric(&e, "stale_reads"), 1.0);
    assert_eq!(metric(&e, "primary_read_share"), 0.333333);
}

#[test]
fn pinned_sessions_never_go_back_in_time_random_ones_can() {
    let config = ReplicationConfig {
        delays: vec![Delay::fixed(10.0), Delay::fixed(500.0)],
        ..Default::default()
    };
    let script = "write x=1; tick 100; read x; read x; read x; read x; read x; read x; read x; read x";
    let mut random = engine(config.clone());
    run(&mut random, script);
    assert!(metric(&random, "monotonic_violations") > 0.0);
    let mut pinned = engine(ReplicationConfig {
        routing: Routing::Pinned,
        ..config
    });
    run(&mut pinned, script);
    assert_eq!(metric(&pinned, "monotonic_violations"), 0.0);
}

#[test]
fn automatic_failover_promotes_after_the_missed_heartbeats_and_downtime_ends_at_the_first_write() {
    let mut e = engine(ReplicationConfig {
        auto_failover: true,
        ..Default::default()
    });
    // Heartbeats at 1, 2, 3 s…; crash at 1.5 s; misses at 2, 3, 4 s → promoted at 4 s.
    run(&mut e, "write a=1; tick 1500; crash primary; tick 2400");
    assert_eq!(e.primary_name(), "p");
    run(&mut e, "tick 100");
    assert_eq!(e.primary_name(), "r1");
    run(&mut e, "tick 500; write a=2");
    assert_eq!(metric(&e, "downtime_ms"), 3000.0);
    run(&mut e, "tick 1000");
    assert_eq!(metric(&e, "downtime_ms"), 3000.0);
    assert_eq!(metric(&e, "lost_writes"), 0.0);
}

#[test]
fn promoting_without_fencing_a_cut_off_primary_is_a_split_brain() {
    let mut e = engine(ReplicationConfig::default());
    run(&mut e, "write a=1; tick 200; partition primary; promote auto");
    assert_eq!(metric(&e, "split_brain"), 1.0);
    assert_eq!(metric(&e, "primaries"), 2.0);
    // c1 is on the old primary's side, c2 on the new one's.
    run(&mut e, "write a=old; c2 write a=new; tick 200");
    assert_eq!(metric(&e, "lost_writes"), 0.0);
    run(&mut e, "heal; tick 200; c2 read a");
    assert_eq!(metric(&e, "lost_writes"), 1.0);
    assert_eq!(metric(&e, "primaries"), 1.0);
    assert!(e
        .anomalies()
        .any(|a| a.kind == "lost_write" && a.detail.contains("a=old")));
    let last = e.recent_ops().last().unwrap();
    assert_eq!(last.outcome_text(&e), "new");
}

#[test]
fn fencing_prevents_the_split_brain() {
    let mut e = engine(ReplicationConfig::default());
    run(
        &mut e,
        "fencing on; write a=1; tick 200; partition primary; promote auto; write a=2",
    );
    assert_eq!(metric(&e, "split_brain"), 0.0);
    assert_eq!(metric(&e, "primaries"), 1.0);
    assert_eq!(e.primary_name(), "r1");
    assert_eq!(metric(&e, "acked_writes"), 2.0);
}

#[test]
fn promoting_the_lagging_replica_loses_what_only_the_other_had() {
    let mut e = engine(ReplicationConfig {
        delays: vec![Delay::fixed(10.0), Delay::fixed(1000.0)],
        ..Default::default()
    });
    run(&mut e, "write a=1; write b=2; tick 100; crash primary; promote r2");
    assert_eq!(metric(&e, "lost_writes"), 2.0);
    // r1 had both writes: it is rebuilt from r2, and loses them too.
    let r1 = e.replicas().into_iter().find(|r| r.name == "r1").unwrap();
    assert_eq!(r1.applied, 0);
}

#[test]
fn a_slow_apply_rate_lets_lag_grow() {
    let mut e = engine(ReplicationConfig {
        apply_rate: 5.0,
        delay: Delay::fixed(10.0),
        ..Default::default()
    });
    run(&mut e, "load 20 0; tick 5000");
    let lag = e.max_lag_ms();
    run(&mut e, "tick 5000");
    assert!(e.max_lag_ms() > lag + 2000.0, "{lag} then {}", e.max_lag_ms());
}

#[test]
fn restoring_the_snapshot_alone_loses_the_day_and_pitr_keeps_it() {
    let script = "write a=1; tick 200; snapshot; write b=2; write c=3; tick 1000; delete all; tick 200";
    let mut e = engine(ReplicationConfig::default());
    run(&mut e, script);
    assert_eq!(metric(&e, "rows"), 0.0);
    assert!(
        e.replicas().iter().all(|r| r.applied == e.head()),
        "the delete reached every replica"
    );
    run(&mut e, "restore snapshot; tick 200");
    assert_eq!(metric(&e, "rows"), 1.0);
    assert_eq!(metric(&e, "restored_rows_lost"), 2.0);
    let mut e = engine(ReplicationConfig::default());
    run(&mut e, script);
    run(&mut e, "restore pitr 1200; tick 200; read c");
    assert_eq!(metric(&e, "rows"), 3.0);
    assert_eq!(metric(&e, "restored_rows_lost"), 0.0);
    let last = e.recent_ops().last().unwrap();
    assert_eq!(last.outcome_text(&e), "3");
    assert_eq!(last.text(&e), format!("c1 read c {} → 3", e.node_name(last.node)));
}

#[test]
fn the_same_seed_and_actions_give_the_same_run() {
    let config = ReplicationConfig {
        delay: Delay::exp(80.0),
        replicas: 3,
        ..Default::default()
    };
    let script = "load 50 200; tick 3000; crash primary; tick 500; promote auto; tick 2000";
    let (mut a, mut b) = (engine(config.clone()), engine(config));
    run(&mut a, script);
    run(&mut b, script);
    assert_eq!(a.metrics_json(), b.metrics_json());
    let c = a.clone();
    run(&mut a, "tick 1000");
    let mut c = c;
    run(&mut c, "tick 1000");
    assert_eq!(a.metrics_json(), c.metrics_json(), "a checkpoint resumes the same run");
}

// ---- properties (issue 11 §4) ---------------------------------------------------------------

fn action() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (1..4usize, 0..3usize, 0..5u32).prop_map(|(c, k, v)| format!("c{c} write k{k}=x{v}")),
        4 => (1..4usize, 0..3usize).prop_map(|(c, k)| format!("c{c} read k{k}")),
        5 => (1..400u64).prop_map(|ms| format!("tick {ms}")),
        1 => (1..4usize).prop_map(|r| format!("crash r{r}")),
        1 => (1..4usize).prop_map(|r| format!("restart r{r}")),
        1 => (1..4usize).prop_map(|r| format!("partition r{r}")),
        1 => Just("crash primary".to_string()),
        1 => Just("restart primary".to_string()),
        1 => Just("partition primary".to_string()),
        1 => Just("heal".to_string()),
        1 => (1..4usize, 1..300u32).prop_map(|(r, m)| format!("delay r{r} exp:{m}")),
        1 => (1..4usize, 0..2000u32).prop_map(|(r, m)| format!("slow r{r} {m}")),
        1 => prop_oneof![
            Just("mode async".to_string()),
            Just("mode sync".to_string()),
            (1..4usize).prop_map(|k| format!("mode semisync {k}")),
        ],
        1 => Just("load 20 20".to_string()),
        1 => Just("load 0 0".to_string()),
    ]
}

fn config_strategy() -> impl Strategy<Value = ReplicationConfig> {
    (0..3u8, 0u64..1000, prop::bool::ANY).prop_map(|(m, seed, slow_apply)| ReplicationConfig {
        mode: [Mode::Async, Mode::Semisync, Mode::Sync][m as usize],
        replicas: 3,
        acks: 1,
        delay: Delay::exp(60.0),
        apply_rate: if slow_apply { 30.0 } else { 0.0 },
        semisync_timeout_ms: 1000.0,
        seed,
        ..Default::default()
    })
}

/// Applies a schedule, ignoring actions the state refuses (restarting a node that is up…).
fn drive(e: &mut Replication, actions: &[String], mut each: impl FnMut(&Replication)) {
    for a in actions {
        match a.strip_prefix("tick ") {
            Some(ms) => e.tick(ms.parse().unwrap()),
            None => {
                let _ = e.apply_text(a);
            }
        }
        each(e);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn replicas_apply_each_write_once_in_order_and_positions_never_go_back(
        config in config_strategy(),
        actions in prop::collection::vec(action(), 1..60),
    ) {
        let mut e = engine(config);
        let mut last: Vec<(Pos, Pos)> = vec![(0, 0); e.nodes.len()];
        let mut head = 0;
        drive(&mut e, &actions, |e| {
            assert!(e.head() >= head, "the head went back");
            head = e.head();
            for (i, n) in e.nodes.iter().enumerate() {
                assert!(n.received >= last[i].0 && n.applied >= last[i].1, "{} went back", n.name);
                assert!(n.applied <= n.received.max(n.applied));
                last[i] = (n.received, n.applied);
            }
        });
        run(&mut e, "heal; load 0 0");
        for r in 1..e.nodes.len() {
            if !e.nodes[r].up {
                e.restart(r).unwrap();
            }
        }
        if !e.nodes[0].up {
            e.restart(0).unwrap();
        }
        e.tick(60_000);
        for n in &e.nodes[1..] {
            let expected: Vec<Pos> = (1..=e.head()).collect();
            prop_assert_eq!(&n.trace, &expected, "{} applied out of order or twice", n.name);
        }
    }

    #[test]
    fn sync_never_acknowledges_before_every_live_replica_applied(
        config in config_strategy(),
        actions in prop::collection::vec(action(), 1..60),
    ) {
        let mut e = engine(ReplicationConfig { mode: Mode::Sync, ..config });
        drive(&mut e, &actions, |_| {});
        prop_assert_eq!(e.early_sync_commits, 0);
    }

    #[test]
    fn the_ryw_token_never_lets_a_session_miss_its_own_write(
        config in config_strategy(),
        actions in prop::collection::vec(action(), 1..60),
    ) {
        let mut e = engine(ReplicationConfig { routing: Routing::RywToken, ..config });
        drive(&mut e, &actions, |_| {});
        prop_assert_eq!(metric(&e, "ryw_violations"), 0.0);
    }

    #[test]
    fn promoting_the_most_advanced_replica_loses_exactly_the_acknowledged_writes_no_replica_had(
        config in config_strategy(),
        actions in prop::collection::vec(action(), 1..60),
    ) {
        let mut e = engine(config);
        drive(&mut e, &actions, |_| {});
        if e.nodes[e.primary].up {
            e.crash(e.primary).unwrap();
        }
        let best = e.most_advanced().map(|r| e.nodes[r].received);
        let Some(best) = best else { return Ok(()) };
        let expected = ((best + 1)..=e.head())
            .filter(|&p| e.binlog.get(p).is_some_and(|x| x.acked.is_some()))
            .count() as f64;
        let before = metric(&e, "lost_writes");
        e.apply_text("promote auto").unwrap();
        prop_assert_eq!(metric(&e, "lost_writes") - before, expected);
    }
}
