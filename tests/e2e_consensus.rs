//! The real binary in a pseudo-terminal: a consensus lesson's predict-then-run goal reached
//! with the keys a learner types, and the prediction kept in the state file.

mod common;

use std::time::{Duration, Instant};

use common::pty::Session;

fn wait_exit(s: &mut Session) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "sdlab did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_stale_read_rate_is_predicted_then_measured_in_a_real_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path());
    s.wait_for("home", |sc| sc.contains("Modules"));
    s.send("\x10");
    s.wait_for("go to anything", |sc| sc.contains("Go to anything"));
    s.send("clusters and quorums");
    s.wait_for("the lesson among the results", |sc| {
        sc.contains("consensus/03-clusters-and-quorums")
    });
    // The selected result is the line marked › that is not the query field (which has a cursor).
    let selected = |sc: &str| {
        sc.lines()
            .find(|l| l.contains('›') && !l.contains('▏'))
            .unwrap_or("")
            .to_string()
    };
    for _ in 0..10 {
        let now = selected(&s.screen());
        if now.contains("consensus/03-clusters") {
            break;
        }
        s.send("\x1b[B");
        s.wait_for("the selection to move", |sc| selected(sc) != now);
    }
    s.send("\r");
    s.wait_for("the lesson", |sc| sc.contains("Step 1 of"));
    // Step 5 (Dynamo-style quorums) asks first.
    s.send("nnnn");
    s.wait_for("the question", |sc| sc.contains("Predict first"));
    s.send("0.8\r");
    s.wait_for("the prediction kept", |sc| sc.contains("you predicted 0.8"));
    s.send("x");
    s.wait_for("prediction against measurement", |sc| {
        sc.contains("the lab measured") && sc.contains("✓")
    });
    // Then R + W > N: R and W up twice each, and the stale rate is exactly zero.
    s.send("2244");
    s.wait_for("the strict quorum goal met", |sc| sc.contains("✓ Raise R and W"));
    assert!(s.screen().contains("R + W > N: strict quorum"), "{}", s.screen());
    s.send("\x03");
    wait_exit(&mut s);
    let state = std::fs::read_to_string(home.path().join("state.toml")).unwrap();
    assert!(
        state.contains("\"consensus/03-clusters-and-quorums#1\" = 0.8"),
        "{state}"
    );
}
