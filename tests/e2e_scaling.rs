//! The real binary in a pseudo-terminal: a load-balancing lesson's predict-then-run goal,
//! typed and driven as a learner would.

mod common;

use common::pty::Session;

#[test]
fn a_crashed_server_costs_what_was_predicted_in_a_real_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path());
    s.wait_for("home", |sc| sc.contains("Modules"));
    s.open_lesson("health checks", "load-balancing/04-health-checks");
    s.wait_for("the lesson with its lab", |sc| sc.contains("Load balancer"));
    s.send("nn");
    s.wait_for("the question", |sc| sc.contains("Predict first"));
    // 10 s until two failed checks × 10 requests a second sent to s2.
    s.send("100\r");
    s.wait_for("the prediction kept", |sc| sc.contains("you predicted 100"));
    // Select s2, crash it, run the clock at ×64 for two steps of 6.4 s.
    s.send("\x1b[Cx");
    s.wait_for("s2 failing", |sc| sc.contains('✗'));
    s.send("]]]]]]..");
    s.wait_for("prediction against measurement", |sc| {
        sc.contains("the lab measured") && sc.contains("✓")
    });
    assert!(s.screen().contains("down·out"), "{}", s.screen());
    s.send("\x03");
    s.wait_exit();
    let state = std::fs::read_to_string(home.path().join("state.toml")).unwrap();
    assert!(
        state
            .lines()
            .any(|l| l.starts_with("\"load-balancing/04-health-checks#") && l.ends_with("= 100.0")),
        "the prediction is kept:\n{state}"
    );
}
