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
