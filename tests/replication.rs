//! The replication engine against theory (issue 11 §4) and its headless command line.
//!
//! Theory: with iid exponential one-way delays of mean m per replica, instant acks and replicas
//! that apply a write the moment it arrives, a write reaches replica i after D_i ~ Exp(m).
//! - async commits at once; a read t ms later at a uniformly chosen replica is stale iff its
//!   D > t: P = e^(−t/m).
//! - semi-sync with k of n commits at the k-th order statistic D_(k), whose mean is
//!   m·Σ_{i=0}^{k−1} 1/(n−i) and variance m²·Σ 1/(n−i)² (the gaps between exponential order
//!   statistics are independent Exp with rates (n−i)/m: Rényi's representation; e.g. David &
//!   Nagaraja, Order Statistics, §2.5). The read picks one of the k replicas that have the write
//!   with probability k/n; any other one's remaining delay is again Exp(m) by memorylessness, so
//!   P(stale) = ((n−k)/n)·e^(−t/m).
//! - sync commits at the maximum, mean m·H_n; every replica has the write: P(stale) = 0.
//!
//! Tolerance: 4 standard errors of the sample (binomial for the fraction, the order statistic's
//! standard deviation over √T for the mean), so a correct engine fails about once in 16,000 runs;
//! the seed is fixed, so the run is the same every time.

use assert_cmd::Command;
use sdlab::engines::replication::{experiment, Delay, Mode, ReplicationConfig};

const TRIALS: usize = 20_000;
const MEAN_MS: f64 = 100.0;

fn config(mode: Mode, replicas: usize, acks: usize) -> ReplicationConfig {
    ReplicationConfig {
        mode,
        replicas,
        acks,
        delay: Delay::exp(MEAN_MS),
        ack_delay_ms: 0.0,
        seed: 2024,
        ..ReplicationConfig::default()
    }
}

fn check(mode: Mode, n: usize, k: usize, t: f64) {
    let r = experiment(&config(mode, n, k), TRIALS, t).unwrap();
    let (acked_by, fresh_share) = match mode {
        Mode::Async => (0, 0.0),
        Mode::Semisync => (k, k as f64 / n as f64),
        Mode::Sync => (n, 1.0),
    };
    let p = (1.0 - fresh_share) * (-t / MEAN_MS).exp();
    let se_p = (p * (1.0 - p) / TRIALS as f64).sqrt();
    let got = r.stale_read_fraction;
    if p == 0.0 {
        assert_eq!(got, 0.0, "{mode:?} t={t}: no read can be stale");
    } else {
        assert!(
            (got - p).abs() <= 4.0 * se_p,
            "{mode:?} n={n} k={k} t={t}: stale {got}, theory {p:.6} ± {:.6}",
            4.0 * se_p
        );
    }
    let mean: f64 = (0..acked_by).map(|i| MEAN_MS / (n - i) as f64).sum();
    let var: f64 = (0..acked_by).map(|i| (MEAN_MS / (n - i) as f64).powi(2)).sum();
    let se = (var / TRIALS as f64).sqrt();
    let m = r.commit_latency_ms.mean;
    if acked_by == 0 {
        assert_eq!(m, 0.0, "async commits at once");
    } else {
        // Delays are kept in whole microseconds: at most 0.5 µs of rounding per sample.
        assert!(
            (m - mean).abs() <= 4.0 * se + 0.001,
            "{mode:?} n={n} k={k}: mean {m}, theory {mean:.3} ± {:.3}",
            4.0 * se
        );
    }
}

#[test]
fn async_stale_reads_follow_the_exponential_tail() {
    for t in [0.0, 50.0, 150.0, 300.0] {
        check(Mode::Async, 3, 1, t);
    }
}

#[test]
fn semisync_with_one_ack_matches_the_first_order_statistic() {
    for t in [0.0, 50.0, 150.0] {
        check(Mode::Semisync, 3, 1, t);
    }
}

#[test]
fn semisync_with_two_acks_matches_the_second_order_statistic() {
    for t in [0.0, 50.0, 150.0] {
        check(Mode::Semisync, 3, 2, t);
        check(Mode::Semisync, 5, 2, t);
    }
}

#[test]
fn sync_waits_for_the_slowest_and_never_reads_stale() {
    for t in [0.0, 100.0] {
        check(Mode::Sync, 3, 1, t);
    }
}

// ---- command line ---------------------------------------------------------------------------

/// The binary with its state directory in a temporary directory, so no test touches the real
/// home.
fn sdlab(home: &tempfile::TempDir) -> Command {
    let mut cmd = Command::cargo_bin("sdlab").unwrap();
    cmd.env("SDLAB_HOME", home.path()).env("NO_COLOR", "1");
    cmd
}

fn json_lines(args: &[&str]) -> Vec<serde_json::Value> {
    let home = tempfile::tempdir().unwrap();
    let out = sdlab(&home).args(args).assert().success().get_output().stdout.clone();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_cli_prints_the_initial_state_and_one_object_per_action() {
    let states = json_lines(&[
        "lab",
        "replication",
        "--mode",
        "async",
        "--replicas",
        "2",
        "--delay",
        "fixed:100",
        "--json",
        "--do",
        "write email=b; tick 50; read email; tick 100; crash primary; promote auto",
    ]);
    assert_eq!(states.len(), 7);
    for s in &states {
        for key in [
            "mode",
            "time_ms",
            "replicas",
            "commit_latency_ms",
            "stale_read_fraction",
            "ryw_violations",
            "monotonic_violations",
            "lost_writes",
            "downtime_ms",
            "anomalies",
        ] {
            assert!(s.get(key).is_some(), "missing {key} in {s}");
        }
        for stat in ["mean", "p50", "p99"] {
            assert!(s["commit_latency_ms"][stat].is_number());
        }
    }
    assert_eq!(states[0]["replicas"][1]["name"], "r2");
    assert_eq!(states[2]["time_ms"], 50.0);
    assert_eq!(states[2]["replicas"][0]["lag_ms"], 50.0);
    assert_eq!(states[3]["stale_read_fraction"], 1.0);
    assert_eq!(states[3]["anomalies"][0]["kind"], "stale_read");
    assert!(states[3]["anomalies"][0]["detail"]
        .as_str()
        .unwrap()
        .starts_with("c1 wrote email=b (pos 1) at 0.00 s; c1 read email from r"));
    assert_eq!(states[4]["replicas"][0]["applied"], 1);
    // The write reached both replicas before the crash: nothing acknowledged is lost.
    assert_eq!(states[6]["lost_writes"], 0);
    assert_eq!(states[6]["primary"], "r1");
}

#[test]
fn the_experiment_mode_prints_one_summary() {
    let out = json_lines(&[
        "lab",
        "replication",
        "--mode",
        "semisync",
        "--replicas",
        "3",
        "--acks",
        "2",
        "--delay",
        "exp:100",
        "--trials",
        "2000",
        "--read-after",
        "50",
        "--json",
    ]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0]["trials"], 2000);
    assert!(out[0]["stale_read_fraction"].as_f64().unwrap() > 0.1);
    assert!(
        out[0]["commit_latency_ms"]["p99"].as_f64().unwrap() > out[0]["commit_latency_ms"]["p50"].as_f64().unwrap()
    );
}

#[test]
fn bad_arguments_get_one_line_and_exit_2() {
    for (args, says) in [
        (vec!["--mode", "quorum"], "async, semisync or sync"),
        (vec!["--replicas", "9"], "between 1 and 7"),
        (vec!["--replicas", "2", "--acks", "3"], "between 1 and 2"),
        (vec!["--delay", "fixed:-5"], "fixed:MS"),
        (vec!["--ack-delay", "-1"], "between 0 and 600000"),
        (vec!["--routing", "closest"], "ryw-token"),
        (vec!["--do", "crash r5"], "r1 to r2"),
        (vec!["--do", "write email"], "KEY=VALUE"),
        (vec!["--do", "tick soon"], "milliseconds"),
    ] {
        let mut full = vec!["lab", "replication", "--json"];
        full.extend(args.iter().copied());
        let home = tempfile::tempdir().unwrap();
        let out = sdlab(&home).args(&full).assert().code(2).get_output().clone();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} printed a state");
    }
}

#[test]
fn without_json_each_state_is_a_short_summary() {
    let home = tempfile::tempdir().unwrap();
    let out = sdlab(&home)
        .args(["lab", "replication", "--do", "write a=1; tick 200"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("primary p pos 1"), "{text}");
    assert!(text.contains("r1 pos 1 lag 0 ms"), "{text}");
}
