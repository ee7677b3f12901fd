//! The consensus lab against theory and against the protocols it models: PBS staleness for
//! quorums, Raft's safety properties, fencing tokens, CAP under a partition; and its headless CLI.

use assert_cmd::Command;
use sdlab::engines::consensus::quorum::{p_stale_k_theory, p_stale_theory, staleness, QuorumSpec};

fn sdlab() -> Command {
    let home = std::env::temp_dir();
    let mut cmd = Command::cargo_bin("sdlab").unwrap();
    cmd.env("SDLAB_HOME", home);
    cmd
}

fn json_lines(cmd: &mut Command) -> Vec<serde_json::Value> {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn usage_error(cmd: &mut Command) -> String {
    let out = cmd.assert().code(2).get_output().stderr.clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.trim().lines().count(), 1, "one line: {text}");
    text
}

// ---- Quorums: Bailis et al., "Probabilistically Bounded Staleness for Practical Partial
// Quorums", VLDB 2012, §3: a read of R replicas misses a write that reached W of N with
// probability C(N−W, R) / C(N, R), and misses all of k independent writes with that to the k.

#[test]
fn p_stale_matches_pbs_for_every_quorum_up_to_seven_replicas() {
    // 10,000 trials per (N, R, W); the tolerance is 4 standard errors of a binomial share,
    // 4·sqrt(p(1 − p)/T). Where the theory says 0 (R + W > N) the measurement must be exactly 0.
    let trials = 10_000;
    for n in 1..=7 {
        for r in 1..=n {
            for w in 1..=n {
                let q = QuorumSpec::new(n, r, w).unwrap();
                let rep = staleness(q, trials, 1, (n * 100 + r * 10 + w) as u64).unwrap();
                let p = p_stale_theory(q);
                if r + w > n {
                    assert_eq!(p, 0.0);
                    assert_eq!(rep.p_stale, 0.0, "N={n} R={r} W={w}: strict quorums are never stale");
                    assert!(rep.strict);
                } else {
                    assert!(!rep.strict);
                    let se = (p * (1.0 - p) / trials as f64).sqrt();
                    assert!(
                        (rep.p_stale - p).abs() <= 4.0 * se,
                        "N={n} R={r} W={w}: measured {} vs theory {p} (4 SE = {})",
                        rep.p_stale,
                        4.0 * se
                    );
                }
            }
        }
    }
}

#[test]
fn pbs_closed_form_spot_values() {
    // N=3, R=W=1: the read misses the one written replica with probability 2/3 (PBS, Table 1's
    // partial-quorum example); N=5, R=W=1: 4/5; N=5, R=W=2: C(3,2)/C(5,2) = 3/10.
    let p = |n, r, w| p_stale_theory(QuorumSpec::new(n, r, w).unwrap());
    assert!((p(3, 1, 1) - 2.0 / 3.0).abs() < 1e-12);
    assert!((p(5, 1, 1) - 0.8).abs() < 1e-12);
    assert!((p(5, 2, 2) - 0.3).abs() < 1e-12);
    assert_eq!(p(5, 3, 3), 0.0);
}

#[test]
fn k_staleness_is_the_single_write_probability_to_the_k() {
    // PBS §3.2 (k-staleness): with independent write sets, P(miss the last k) = p^k. 50,000
    // trials, 4 standard errors of each share.
    let trials = 50_000;
    for (n, r, w) in [(3, 1, 1), (5, 1, 1), (5, 1, 2), (7, 2, 2), (7, 3, 3), (4, 2, 3)] {
        let q = QuorumSpec::new(n, r, w).unwrap();
        let rep = staleness(q, trials, 5, 9).unwrap();
        for k in 1..=5 {
            let p = p_stale_k_theory(q, k);
            let se = (p * (1.0 - p) / trials as f64).sqrt();
            let got = rep.p_stale_k[k - 1];
            if p == 0.0 {
                assert_eq!(got, 0.0);
            } else {
                assert!((got - p).abs() <= 4.0 * se, "N={n} R={r} W={w} k={k}: {got} vs {p}");
            }
        }
        // Missing the last k versions implies missing the last k − 1.
        assert!(rep.p_stale_k.windows(2).all(|w| w[1] <= w[0]));
    }
}

#[test]
fn quorum_cli_prints_the_documented_object() {
    let v = json_lines(sdlab().args([
        "lab", "quorum", "--n", "5", "--r", "1", "--w", "1", "--trials", "40000", "--k", "3", "--seed", "7", "--json",
    ]));
    assert_eq!(v.len(), 1);
    let v = &v[0];
    assert_eq!(
        (v["n"].as_u64(), v["r"].as_u64(), v["w"].as_u64()),
        (Some(5), Some(1), Some(1))
    );
    assert_eq!(v["strict"], false);
    assert_eq!(v["trials"], 40000);
    // 4 SE of 40,000 trials at p = 0.8 is 0.008.
    assert!((v["p_stale"].as_f64().unwrap() - 0.8).abs() < 0.008);
    let k = v["p_stale_k"].as_object().unwrap();
    assert_eq!(k.keys().cloned().collect::<Vec<_>>(), ["1", "2", "3"]);
    assert_eq!(k["1"], v["p_stale"]);
    assert!((k["3"].as_f64().unwrap() - 0.512).abs() < 0.01);

    let strict = json_lines(sdlab().args([
        "lab", "quorum", "--n", "3", "--r", "2", "--w", "2", "--trials", "1000", "--json",
    ]));
    assert_eq!(strict[0]["strict"], true);
    assert_eq!(strict[0]["p_stale"], 0.0);
    assert_eq!(strict[0]["p_stale_k"]["1"], 0.0);
}

#[test]
fn quorum_cli_same_seed_same_answer() {
    let run = |seed: &str| {
        json_lines(sdlab().args([
            "lab", "quorum", "--n", "7", "--r", "2", "--w", "2", "--trials", "5000", "--seed", seed, "--json",
        ]))[0]["p_stale"]
            .clone()
    };
    assert_eq!(run("3"), run("3"));
}

#[test]
fn quorum_cli_rejects_bad_arguments_in_one_line() {
    let e = usage_error(sdlab().args(["lab", "quorum", "--n", "3", "--r", "4", "--w", "1", "--json"]));
    assert!(e.contains("1 to N = 3"), "{e}");
    let e = usage_error(sdlab().args(["lab", "quorum", "--n", "12", "--r", "1", "--w", "1"]));
    assert!(e.contains("1 to 9"), "{e}");
    let e = usage_error(sdlab().args(["lab", "quorum", "--n", "3", "--r", "1", "--w", "1", "--trials", "0"]));
    assert!(e.contains("trials"), "{e}");
    let e = usage_error(sdlab().args(["lab", "quorum", "--n", "3", "--r", "1", "--w", "1", "--k", "0"]));
    assert!(e.contains("1 to 20"), "{e}");
    let out = sdlab()
        .args(["lab", "quorum", "--n", "5", "--r", "1", "--w", "1", "--trials", "1000"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("N=5 R=1 W=1") && text.contains("stale"), "{text}");
}

// ---- Fencing tokens: Kleppmann, "How to do distributed locking" (2016) and DDIA ch. 8 — a
// store that refuses any token lower than the highest it has seen cannot be written by a client
// whose lease ran out after a newer holder wrote.

mod fencing {
    use super::*;
    use proptest::prelude::*;
    use sdlab::engines::consensus::lock::{LockConfig, LockLab};

    fn action() -> impl Strategy<Value = String> {
        let client = (1..=3usize).prop_map(|c| format!("c{c}"));
        prop_oneof![
            client.clone().prop_map(|c| format!("acquire {c}")),
            (client.clone(), 0..3000u64).prop_map(|(c, ms)| format!("pause {c} {ms}")),
            (client.clone(), 0..100u32).prop_map(|(c, v)| format!("write {c} v{v}")),
            client.prop_map(|c| format!("release {c}")),
            (0..1500u64).prop_map(|ms| format!("tick {ms}")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Any schedule of acquires, pauses, writes and releases by three clients, any lease:
        /// with the check on, storage applies writes in token order and accepts no stale write.
        #[test]
        fn with_the_check_on_no_stale_write_is_ever_accepted(
            lease in 20..2000u64,
            seed in 0..1000u64,
            actions in proptest::collection::vec(action(), 1..40),
        ) {
            let mut lab = LockLab::new(LockConfig { lease_ms: lease, seed, scripted: false, clients: 3, ..LockConfig::default() }).unwrap();
            for a in &actions {
                match a.strip_prefix("tick ") {
                    Some(ms) => lab.tick(ms.parse().unwrap()),
                    None => lab.apply(a).unwrap(),
                }
            }
            lab.run_to_quiet(100_000);
            let m = lab.metrics();
            prop_assert_eq!(m.stale_writes_accepted, 0);
            prop_assert!(!m.corrupted);
            prop_assert!(m.accepted_tokens.windows(2).all(|w| w[0] <= w[1]), "{:?}", m.accepted_tokens);
            // Tokens are issued strictly increasing, the property fencing rests on.
            prop_assert!(m.tokens.windows(2).all(|w| w[0] < w[1]));
        }

        /// The classic schedule with the pause clearly longer than the lease (c2 has written
        /// before c1 wakes): without the check, c1's stale write lands on top of c2's.
        #[test]
        fn without_the_check_a_pause_past_the_lease_corrupts(
            lease in 50..3000u64,
            extra in 50..3000u64,
            seed in 0..1000u64,
        ) {
            let config = LockConfig { lease_ms: lease, pause_ms: lease + extra, seed, fencing: false, ..LockConfig::default() };
            let mut lab = LockLab::new(config.clone()).unwrap();
            lab.run_to_quiet(100_000);
            let m = lab.metrics();
            prop_assert_eq!(&m.tokens, &vec![1, 2]);
            prop_assert!(m.corrupted);
            prop_assert_eq!(m.stale_writes_accepted, 1);
            prop_assert_eq!(m.stored.unwrap().writer, "c1");

            let mut fenced = LockLab::new(LockConfig { fencing: true, ..config }).unwrap();
            fenced.run_to_quiet(100_000);
            let f = fenced.metrics();
            prop_assert_eq!((f.stale_writes_accepted, f.stale_writes_rejected), (0, 1));
            prop_assert_eq!(f.stored.unwrap().writer, "c2");
        }
    }

    #[test]
    fn lock_cli_prints_the_documented_object() {
        let v = &json_lines(sdlab().args([
            "lab",
            "lock",
            "--lease",
            "1000",
            "--pause",
            "1500",
            "--fencing",
            "off",
            "--json",
        ]))[0];
        assert_eq!(v["tokens"], serde_json::json!([1, 2]));
        assert_eq!(v["stale_writes_accepted"], 1);
        assert_eq!(v["stale_writes_rejected"], 0);
        assert_eq!(v["corrupted"], true);
        let v = &json_lines(sdlab().args(["lab", "lock", "--lease", "1000", "--pause", "1500", "--json"]))[0];
        assert_eq!(
            (v["stale_writes_accepted"].as_u64(), v["stale_writes_rejected"].as_u64()),
            (Some(0), Some(1))
        );
        assert_eq!(v["corrupted"], false);
        let v = &json_lines(sdlab().args([
            "lab",
            "lock",
            "--lease",
            "1000",
            "--pause",
            "100",
            "--fencing",
            "off",
            "--json",
        ]))[0];
        assert_eq!(v["corrupted"], false);
        assert_eq!(v["stale_writes_accepted"], 0);
        let e = usage_error(sdlab().args(["lab", "lock", "--lease", "0", "--pause", "10"]));
        assert!(e.contains("1 to 600000"), "{e}");
    }
}

// ---- Raft: Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm"
// (USENIX ATC 2014), Figure 3: election safety (at most one leader per term), leader
// completeness and state machine safety (a committed entry is never lost or changed).

mod election {
    use super::*;
    use proptest::prelude::*;
    use sdlab::engines::consensus::raft::{Raft, RaftConfig, Role};
    use std::collections::BTreeMap;

    fn node(n: usize) -> impl Strategy<Value = String> {
        (1..=n).prop_map(|i| format!("n{i}"))
    }

    /// A random action on an n-node cluster: faults, repairs, client writes and time.
    fn action(n: usize) -> impl Strategy<Value = String> {
        prop_oneof![
            3 => (10..600u64).prop_map(|ms| format!("run {ms}")),
            2 => proptest::collection::vec(any::<bool>(), n).prop_map(move |sides| {
                let a: Vec<String> = (0..n).filter(|&i| sides[i]).map(|i| format!("n{}", i + 1)).collect();
                let b: Vec<String> = (0..n).filter(|&i| !sides[i]).map(|i| format!("n{}", i + 1)).collect();
                if a.is_empty() || b.is_empty() { "heal".to_string() } else { format!("partition {}|{}", a.join(","), b.join(",")) }
            }),
            1 => (node(n), node(n)).prop_map(|(a, b)| if a == b { "heal".into() } else { format!("cut {a}>{b}") }),
            1 => Just("heal".to_string()),
            1 => node(n).prop_map(|x| format!("crash {x}")),
            1 => node(n).prop_map(|x| format!("restart {x}")),
            1 => (0..30u32).prop_map(|p| format!("loss {p}")),
            3 => (0..5u32, 0..100u32, node(n)).prop_map(|(k, v, x)| format!("write k{k}={v} @{x}")),
            1 => node(n).prop_map(|x| format!("timeout {x}")),
        ]
    }

    fn schedule() -> impl Strategy<Value = (usize, u64, Vec<String>)> {
        (1..=9usize, 0..10_000u64)
            .prop_flat_map(|(n, seed)| (Just(n), Just(seed), proptest::collection::vec(action(n), 1..30)))
    }

    /// Checks the safety properties from the outside, after every action: leaders seen per term,
    /// and every node's committed prefix against everything seen committed before.
    struct Observer {
        leader_of_term: BTreeMap<u64, String>,
        committed: Vec<(u64, u64)>,
    }

    impl Observer {
        fn check(&mut self, r: &Raft) -> Result<(), TestCaseError> {
            for l in r.leaders() {
                let seen = self.leader_of_term.entry(l.term).or_insert_with(|| l.node.clone());
                prop_assert_eq!(&*seen, &l.node, "two leaders in term {}", l.term);
            }
            for i in 0..r.n() {
                let prefix = r.committed_entries(i);
                for (idx, e) in prefix.iter().enumerate() {
                    match self.committed.get(idx) {
                        Some(c) => prop_assert_eq!(c, e, "n{} changed committed entry {}", i + 1, idx + 1),
                        None => self.committed.push(*e),
                    }
                }
            }
            Ok(())
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// 1,000 random schedules of partitions, one-way cuts, crashes, restarts, message loss,
        /// client writes and forced timeouts on 1 to 9 nodes. (With the majority rule off this
        /// test fails within a few cases: it can fail.)
        #[test]
        fn with_the_majority_rule_raft_stays_safe_under_any_faults((n, seed, actions) in schedule()) {
            let mut r = Raft::new(RaftConfig { nodes: n, seed, ..RaftConfig::default() }).unwrap();
            let mut obs = Observer { leader_of_term: BTreeMap::new(), committed: Vec::new() };
            for a in &actions {
                r.apply_text(a).unwrap();
                obs.check(&r)?;
            }
            // Then repair everything: the cluster must settle on one leader holding every
            // write it ever acknowledged.
            for a in ["heal", "loss 0"].into_iter().map(String::from).chain((1..=n).map(|i| format!("restart n{i}"))) {
                r.apply_text(&a).unwrap();
            }
            r.tick(3000);
            obs.check(&r)?;
            let m = r.metrics();
            for kind in ["two_leaders_in_term", "committed_entry_changed", "committed_entry_lost", "leader_missing_committed", "lost_write"] {
                prop_assert_eq!(r.anomalies.count(kind), 0, "{}: {:?}", kind, m.anomalies);
            }
            prop_assert_eq!(m.lost_writes, 0);
            prop_assert_eq!(m.leaders.len(), 1, "{:?}", m.leaders);
            let leader = sdlab::engines::consensus::node_index(&m.leaders[0].node, n).unwrap();
            let ids: Vec<u64> = r.log_of(leader).iter().map(|e| e.id).collect();
            for w in m.writes.iter().filter(|w| w.acked_by.is_some()) {
                prop_assert!(ids.contains(&w.id), "acknowledged write {} missing from the leader's log", w.id);
            }
        }
    }

    fn first_leader(r: &mut Raft) -> usize {
        for _ in 0..200 {
            r.tick(10);
            if let Some(l) = r.leaders().first() {
                return sdlab::engines::consensus::node_index(&l.node, r.n()).unwrap();
            }
        }
        panic!("no leader in 2 s");
    }

    fn sides(minority: [usize; 2]) -> (Vec<usize>, Vec<usize>, String) {
        let b: Vec<usize> = (0..5).filter(|i| !minority.contains(i)).collect();
        let names = |v: &[usize]| v.iter().map(|i| format!("n{}", i + 1)).collect::<Vec<_>>().join(",");
        let text = format!("partition {}|{}", names(&minority), names(&b));
        (minority.to_vec(), b, text)
    }

    /// Without the majority rule, both sides of a 2|3 cut of five nodes get a leader. The side
    /// that lost its leader hears its last heartbeat at most one heartbeat interval (50 ms) plus
    /// a message delay (≤ 7 ms) before the cut, times out 150–300 ms after that, and takes over
    /// when its 50 ms vote window closes: so its leader appears between 150 − 57 and 300 + 50 ms
    /// after the cut; 10 ms of slack covers the vote requests' own delays.
    #[test]
    fn without_the_majority_rule_a_two_three_cut_elects_a_leader_on_each_side() {
        for seed in 0..200u64 {
            let mut r = Raft::new(RaftConfig {
                majority: false,
                seed,
                ..RaftConfig::default()
            })
            .unwrap();
            first_leader(&mut r);
            // Let the cluster settle: without the rule, a second candidate may still take over.
            r.tick(500);
            let leaders = r.leaders();
            assert_eq!(leaders.len(), 1, "seed {seed}: {leaders:?}");
            let l = sdlab::engines::consensus::node_index(&leaders[0].node, 5).unwrap();
            // Alternate which side the old leader ends up on.
            let minority = if seed % 2 == 0 {
                [l, (l + 1) % 5]
            } else {
                [(l + 1) % 5, (l + 2) % 5]
            };
            let (a, b, text) = sides(minority);
            r.apply_text(&text).unwrap();
            let t0 = r.now_ms();
            let mut first: [Option<f64>; 2] = [None, None];
            for _ in 0..400 {
                r.tick(1);
                for (s, side) in [&a, &b].into_iter().enumerate() {
                    let m = r.metrics();
                    let leads = side.iter().any(|&i| m.nodes[i].role == Role::Leader);
                    if leads && first[s].is_none() {
                        first[s] = Some(r.now_ms() - t0);
                    }
                }
            }
            let old_side = usize::from(!a.contains(&l));
            for (s, t) in first.iter().enumerate() {
                let t = t.unwrap_or_else(|| panic!("seed {seed}: side {s} elected no leader within 400 ms"));
                if s != old_side {
                    assert!(
                        (90.0..=360.0).contains(&t),
                        "seed {seed}: side {s}'s leader after {t} ms"
                    );
                }
            }
        }
    }

    /// With the rule on, the stale leader cut off with one follower still believes it leads but
    /// commits nothing; the three elect a leader of a higher term that commits; on heal the stale
    /// leader steps down and its uncommitted entry is dropped.
    #[test]
    fn with_the_majority_rule_a_stale_minority_leader_commits_nothing_and_steps_down() {
        for seed in 0..50u64 {
            let mut r = Raft::new(RaftConfig {
                seed,
                ..RaftConfig::default()
            })
            .unwrap();
            let l = first_leader(&mut r);
            let (_, b, text) = sides([l, (l + 1) % 5]);
            r.apply_text(&text).unwrap();
            r.apply_text(&format!("write stale=1 @n{}", l + 1)).unwrap();
            r.tick(1000);
            let m = r.metrics();
            assert_eq!(
                m.nodes[l].role,
                Role::Leader,
                "seed {seed}: the stale leader still believes it leads"
            );
            assert_eq!(m.committed, 0);
            let new = b
                .iter()
                .copied()
                .find(|&i| m.nodes[i].role == Role::Leader)
                .expect("the majority elects");
            assert!(m.nodes[new].term > m.nodes[l].term);
            r.apply_text(&format!("write fresh=1 @n{}", new + 1)).unwrap();
            r.tick(200);
            assert_eq!(r.metrics().committed, 1);
            r.apply_text("heal").unwrap();
            r.tick(1500);
            let m = r.metrics();
            assert_eq!(m.leaders.len(), 1, "seed {seed}");
            assert_ne!(m.nodes[l].role, Role::Leader);
            assert!(
                r.log_of(l).iter().all(|e| e.key != "stale"),
                "seed {seed}: uncommitted entry dropped"
            );
            assert!(r.log_of(l).iter().any(|e| e.key == "fresh"));
            assert!(m.dropped_entries >= 1);
            assert!(!m.split_brain && m.conflicting_writes == 0 && m.lost_writes == 0);
        }
    }

    const WRITE_EVERYWHERE: &str = "write a=1 @n1; write a=2 @n2; write a=3 @n3; write a=4 @n4; write a=5 @n5";

    #[test]
    fn election_cli_prints_a_state_per_action() {
        let script =
            format!("run 1000; partition n1,n2|n3,n4,n5; run 1000; {WRITE_EVERYWHERE}; run 300; heal; run 1000");
        let off = json_lines(sdlab().args([
            "lab",
            "election",
            "--nodes",
            "5",
            "--majority",
            "off",
            "--do",
            &script,
            "--json",
        ]));
        assert_eq!(off.len(), 1 + 11);
        for v in &off {
            for key in [
                "time_ms",
                "term",
                "leaders",
                "split_brain",
                "elections",
                "committed",
                "conflicting_writes",
            ] {
                assert!(!v[key].is_null(), "{key} in {v}");
            }
        }
        assert_eq!(off[0]["time_ms"], 0.0);
        assert_eq!(off[0]["leaders"], serde_json::json!([]));
        assert_eq!(
            off[3]["leaders"].as_array().unwrap().len(),
            2,
            "a leader on each side: {}",
            off[3]["leaders"]
        );
        assert!(off[3]["leaders"][0]["node"].is_string() && off[3]["leaders"][0]["term"].is_u64());
        let during = &off[9];
        assert_eq!(during["split_brain"], true);
        assert_eq!(during["committed"], 2);
        assert_eq!(during["conflicting_writes"], 2);
        assert_eq!(
            off[11]["leaders"].as_array().unwrap().len(),
            1,
            "healed: one leader again"
        );

        let on = json_lines(sdlab().args(["lab", "election", "--nodes", "5", "--do", &script, "--json"]));
        let last = on.last().unwrap();
        assert_eq!(last["split_brain"], false);
        assert_eq!(last["conflicting_writes"], 0);
        assert_eq!(last["committed"], 1, "only the majority side's leader commits");
    }

    #[test]
    fn election_cli_rejects_bad_arguments_in_one_line() {
        let e = usage_error(sdlab().args([
            "lab",
            "election",
            "--nodes",
            "5",
            "--do",
            "partition n1,n2|n3",
            "--json",
        ]));
        assert!(e.contains("n4 is on no side"), "{e}");
        let e = usage_error(sdlab().args(["lab", "election", "--nodes", "5", "--do", "crash n7"]));
        assert!(e.contains("n1 to n5"), "{e}");
        let e = usage_error(sdlab().args(["lab", "election", "--nodes", "10"]));
        assert!(e.contains("1 to 9"), "{e}");
        let e = usage_error(sdlab().args(["lab", "election", "--do", "partition n1;n2"]));
        assert!(e.contains("partition"), "{e}");
        let e = usage_error(sdlab().args(["lab", "election", "--do", "write x @n1"]));
        assert!(e.contains("KEY=VALUE"), "{e}");
        let text = String::from_utf8(
            sdlab()
                .args(["lab", "election", "--do", "run 800"])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone(),
        )
        .unwrap();
        assert!(text.contains("leaders:") && text.lines().count() == 2, "{text}");
    }
}

// ---- CAP: Gilbert and Lynch, "Brewer's conjecture and the feasibility of consistent,
// available, partition-tolerant web services" (2002): without a partition a replicated store can
// be both consistent and available; during one it must refuse some requests or answer some with
// stale data.

mod cap {
    use sdlab::engines::consensus::cap::{Cap, CapConfig, Mode, Reconcile};

    fn run(
        mode: Mode,
        reconcile: Reconcile,
        partition: bool,
        seed: u64,
    ) -> (Cap, sdlab::engines::consensus::cap::CapMetrics) {
        let mut c = Cap::new(CapConfig {
            mode,
            reconcile,
            seed,
            rate: 20.0,
            ..CapConfig::default()
        })
        .unwrap();
        c.tick(2000);
        if partition {
            c.apply("partition n1,n2|n3,n4,n5").unwrap();
        }
        c.tick(5000);
        let m = c.metrics();
        (c, m)
    }

    #[test]
    fn without_a_partition_both_designs_answer_every_request_consistently() {
        for seed in 0..20 {
            for mode in [Mode::Cp, Mode::Ap] {
                let (_, m) = run(mode, Reconcile::Lww, false, seed);
                assert!(m.requests > 500);
                assert_eq!(m.availability, 1.0, "{mode:?}");
                assert_eq!(
                    (m.stale_reads, m.conflicting_writes, m.lost_updates),
                    (0, 0, 0),
                    "{mode:?}"
                );
            }
        }
    }

    #[test]
    fn under_a_partition_cp_refuses_on_the_minority_and_stays_consistent() {
        for seed in 0..20 {
            let (mut c, m) = run(Mode::Cp, Reconcile::Lww, true, seed);
            let (minority, majority) = (&m.sides[0], &m.sides[1]);
            assert_eq!(minority.nodes, ["n1", "n2"]);
            assert!(minority.requests > 100 && majority.requests > 100);
            assert_eq!(minority.availability, 0.0, "the minority cannot reach a majority");
            assert_eq!(majority.availability, 1.0);
            assert_eq!(m.stale_reads, 0);
            assert_eq!(m.conflicting_writes, 0);
            c.apply("heal").unwrap();
            c.tick(1000);
            let m = c.metrics();
            assert_eq!((m.stale_reads, m.lost_updates, m.siblings), (0, 0, 0));
        }
    }

    #[test]
    fn under_a_partition_ap_answers_on_both_sides_with_conflicts() {
        for seed in 0..20 {
            let (mut c, m) = run(Mode::Ap, Reconcile::Lww, true, seed);
            assert!(m.sides.iter().all(|s| s.availability == 1.0 && s.requests > 100));
            assert!(m.sides.iter().all(|s| s.stale_reads > 0), "{:?}", m.sides);
            assert!(m.sides.iter().all(|s| s.conflicting_writes > 0));
            c.apply("heal").unwrap();
            let m = c.metrics();
            // Three keys, each written on both sides: last-write-wins drops one side's head.
            assert_eq!(m.lost_updates, 3);
            assert_eq!(m.siblings, 0);

            let (mut c, _) = run(Mode::Ap, Reconcile::Siblings, true, seed);
            c.apply("heal").unwrap();
            let m = c.metrics();
            assert_eq!((m.lost_updates, m.siblings), (0, 3));
        }
    }
}
