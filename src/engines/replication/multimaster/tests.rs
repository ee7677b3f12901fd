use proptest::prelude::*;

use super::*;

fn run(config: MultiMasterConfig, actions: &str) -> MultiMaster {
    let mut mm = MultiMaster::new(config).unwrap();
    for a in actions.split(';').map(str::trim).filter(|a| !a.is_empty()) {
        match a.strip_prefix("tick ") {
            Some(ms) => mm.tick(ms.parse().unwrap()),
            None => mm.apply_text(a).unwrap(),
        }
    }
    mm
}

fn value(mm: &MultiMaster, node: usize, row: &str) -> Option<String> {
    mm.rows(node).find(|(r, _)| *r == row).map(|(_, w)| w.value.clone())
}

fn m(mm: &MultiMaster, key: &str) -> serde_json::Value {
    mm.metrics_json()[key].clone()
}

/// The classic skew case: a's clock is 300 ms slow; b sets age = 30 at 0 ms, a sets age = 25 at
/// 100 ms true time (stamped -200 ms) before b's change arrives. LWW keeps 30, the older write.
#[test]
fn a_slow_clock_lets_the_older_write_win() {
    let c = MultiMasterConfig {
        delay_ms: 500.0,
        skew_a_ms: -300.0,
        ..Default::default()
    };
    let mm = run(c, "write b age=30; tick 100; write a age=25; tick 1000");
    assert_eq!(value(&mm, 0, "age").as_deref(), Some("30"));
    assert_eq!(value(&mm, 1, "age").as_deref(), Some("30"));
    assert_eq!(m(&mm, "conflicts"), 1);
    assert_eq!(m(&mm, "lost_updates"), 1);
    assert_eq!(m(&mm, "older_wins"), 1);
    assert_eq!(m(&mm, "converged"), true);
    assert_eq!(mm.anomalies().count("older_write_won"), 1);
}

/// Same writes with synchronised clocks: the later write wins, one update is still lost.
#[test]
fn with_true_clocks_the_later_concurrent_write_wins() {
    let mm = run(
        MultiMasterConfig {
            delay_ms: 500.0,
            ..Default::default()
        },
        "write b age=30; tick 100; write a age=25; tick 1000",
    );
    assert_eq!(value(&mm, 0, "age").as_deref(), Some("25"));
    assert_eq!(value(&mm, 1, "age").as_deref(), Some("25"));
    assert_eq!(m(&mm, "lost_updates"), 1);
    assert_eq!(m(&mm, "older_wins"), 0);
    assert_eq!(mm.anomalies().count("lost_update"), 1);
}

/// Before convergence the masters disagree: each holds its own write until the other arrives.
#[test]
fn copies_disagree_while_changes_are_in_flight() {
    let mm = run(MultiMasterConfig::default(), "write a age=25; write b age=30; tick 50");
    assert_eq!(m(&mm, "rows_differ"), 1);
    assert_eq!(m(&mm, "in_flight"), 2);
    assert_eq!(m(&mm, "converged"), false);
}

#[test]
fn a_write_after_seeing_the_other_is_an_update_not_a_conflict() {
    let mm = run(
        MultiMasterConfig::default(),
        "write a age=25; tick 200; write b age=30; tick 200",
    );
    assert_eq!(value(&mm, 0, "age").as_deref(), Some("30"));
    assert_eq!(m(&mm, "conflicts"), 0);
    assert_eq!(m(&mm, "lost_updates"), 0);
}

/// A write made after its master applied the other's is still thrown away when its clock reads
/// earlier: no concurrency at all, only skew.
#[test]
fn skew_discards_even_a_causally_later_write() {
    let c = MultiMasterConfig {
        skew_b_ms: -500.0,
        ..Default::default()
    };
    let mm = run(c, "write a age=25; tick 200; write b age=30; tick 200");
    assert_eq!(value(&mm, 1, "age").as_deref(), Some("25"));
    assert_eq!(m(&mm, "conflicts"), 0);
    assert_eq!(m(&mm, "lost_updates"), 1);
    assert_eq!(m(&mm, "older_wins"), 1);
}

#[test]
fn same_sequence_ids_collide_and_offsets_interleave() {
    let mm = run(MultiMasterConfig::default(), "insert a; insert b; tick 200");
    assert_eq!(m(&mm, "id_collisions"), 1);
    let c = MultiMasterConfig {
        offsets: true,
        ..Default::default()
    };
    let mm = run(
        c,
        "insert a; insert a; insert a; insert a; insert a; insert b; insert b; insert b; insert b; insert b; tick 200",
    );
    assert_eq!(m(&mm, "id_collisions"), 0);
    // MySQL: increment 2, offset 1 gives the odd ids, offset 2 the even ones.
    let a: Vec<u64> = mm.ids(0).collect();
    assert_eq!(a, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    let mm = run(
        MultiMasterConfig {
            offsets: true,
            ..Default::default()
        },
        "insert a; insert a; insert a",
    );
    assert_eq!(mm.ids(0).collect::<Vec<_>>(), vec![1, 3, 5]);
    // After b's 2 and 4 arrive, a's next id is the smallest odd one above them.
    let mm = run(
        MultiMasterConfig {
            offsets: true,
            ..Default::default()
        },
        "insert b; insert b; tick 200; insert a",
    );
    assert_eq!(mm.ids(0).collect::<Vec<_>>(), vec![2, 4, 5]);
}

#[test]
fn a_cut_link_holds_changes_until_heal() {
    let mm = run(
        MultiMasterConfig::default(),
        "partition; write a age=25; tick 1000; write b age=30; tick 1000",
    );
    assert_eq!(m(&mm, "rows_differ"), 1);
    let mut mm = mm;
    mm.apply_text("heal").unwrap();
    mm.tick(200);
    assert_eq!(m(&mm, "converged"), true);
    assert_eq!(value(&mm, 0, "age").as_deref(), Some("30"));
    assert_eq!(m(&mm, "conflicts"), 1);
}

#[test]
fn bad_actions_are_refused() {
    let mut mm = MultiMaster::new(MultiMasterConfig::default()).unwrap();
    for bad in [
        "write c age=1",
        "write a age",
        "skew a fast",
        "delay -1",
        "heal",
        "offsets maybe",
    ] {
        assert!(mm.apply_text(bad).is_err(), "{bad}");
    }
    assert!(MultiMaster::new(MultiMasterConfig {
        delay_ms: f64::NAN,
        ..Default::default()
    })
    .is_err());
}

fn any_action() -> impl Strategy<Value = String> {
    let node = proptest::sample::select(vec!["a", "b"]);
    let row = proptest::sample::select(vec!["age", "name"]);
    prop_oneof![
        4 => (node.clone(), row, 0u8..50).prop_map(|(n, r, v)| format!("write {n} {r}={v}")),
        2 => (0u64..400).prop_map(|ms| format!("tick {ms}")),
        1 => node.prop_map(|n| format!("insert {n}")),
        1 => Just("partition".to_string()),
        1 => Just("heal".to_string()),
    ]
}

fn drive(mm: &mut MultiMaster, actions: &[String]) {
    for a in actions {
        match a.strip_prefix("tick ") {
            Some(ms) => mm.tick(ms.parse().unwrap()),
            // partition twice or heal uncut is refused and changes nothing
            None => {
                let _ = mm.apply_text(a);
            }
        }
    }
    if mm.partitioned() {
        mm.apply_text("heal").unwrap();
    }
    mm.tick(10_000);
}

proptest! {
    /// LWW always converges; every loss is reported as an anomaly; with true clocks only
    /// concurrent writes are ever lost and the kept write is never the older one.
    #[test]
    fn lww_converges_and_reports_every_loss(
        actions in proptest::collection::vec(any_action(), 1..60),
        skew in proptest::sample::select(vec![0.0, -300.0, 250.0]),
    ) {
        let mut mm = MultiMaster::new(MultiMasterConfig { skew_a_ms: skew, ..Default::default() }).unwrap();
        drive(&mut mm, &actions);
        let j = mm.metrics_json();
        prop_assert_eq!(&j["converged"], &serde_json::Value::Bool(true));
        prop_assert_eq!(j["values_a"].clone(), j["values_b"].clone());
        let lost = mm.lost_updates() as u64;
        prop_assert_eq!(lost, mm.anomalies().count("lost_update") + mm.anomalies().count("older_write_won"));
        if skew == 0.0 {
            prop_assert_eq!(&j["older_wins"], &serde_json::json!(0));
            if lost > 0 {
                prop_assert!(j["conflicts"].as_u64().unwrap() > 0);
            }
        }
    }

    /// With offsets no id is ever handed out twice, whatever the schedule.
    #[test]
    fn offsets_never_collide(actions in proptest::collection::vec(any_action(), 1..60)) {
        let mut mm = MultiMaster::new(MultiMasterConfig { offsets: true, ..Default::default() }).unwrap();
        drive(&mut mm, &actions);
        prop_assert_eq!(&mm.metrics_json()["id_collisions"], &serde_json::json!(0));
    }
}
