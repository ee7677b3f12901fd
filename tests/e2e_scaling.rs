//! The real binary in a pseudo-terminal: a load-balancing lesson's predict-then-run goal,
//! typed and driven as a learner would.

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
fn a_crashed_server_costs_what_was_predicted_in_a_real_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path());
    s.wait_for("home", |sc| sc.contains("Modules"));
    s.send("\x10");
    s.wait_for("go to anything", |sc| sc.contains("Go to anything"));
    s.send("health checks");
    s.wait_for("the lesson among the results", |sc| {
        sc.contains("load-balancing/04-health-checks")
    });
    // The selected result is the line marked › that is not the query field (it has a cursor).
    let selected = |sc: &str| {
        sc.lines()
            .find(|l| l.contains('›') && !l.contains('▏'))
            .unwrap_or("")
            .to_string()
    };
    for _ in 0..10 {
        let now = selected(&s.screen());
        if now.contains("load-balancing/04-health") {
            break;
        }
        s.send("\x1b[B");
        s.wait_for("the selection to move", |sc| selected(sc) != now);
    }
    s.send("\r");
    s.wait_for("the lesson with its lab", |sc| {
        sc.contains("Step 1 of") && sc.contains("Load balancer")
    });
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
    wait_exit(&mut s);
    let state = std::fs::read_to_string(home.path().join("state.toml")).unwrap();
    assert!(
        state
            .lines()
            .any(|l| l.starts_with("\"load-balancing/04-health-checks#") && l.ends_with("= 100.0")),
        "the prediction is kept:\n{state}"
    );
}
