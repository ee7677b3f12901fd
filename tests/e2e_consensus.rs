//! The real binary in a pseudo-terminal: a consensus lesson's predict-then-run goal reached
//! with the keys a learner types, and the prediction kept in the state file.

mod common;

use common::pty::Session;

#[test]
fn the_stale_read_rate_is_predicted_then_measured_in_a_real_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path());
    s.wait_for("home", |sc| sc.contains("Modules"));
    s.open_lesson("clusters and quorums", "consensus/03-clusters-and-quorums");
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
    s.wait_exit();
    let state = std::fs::read_to_string(home.path().join("state.toml")).unwrap();
    assert!(
        state.contains("\"consensus/03-clusters-and-quorums#1\" = 0.8"),
        "{state}"
    );
}
