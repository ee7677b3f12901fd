//! The queue lab in the real binary, in a pseudo-terminal: predict the drain time of 100 tasks
//! with 3 consumers, drain the queue, and see the goal met with the prediction checked.

mod common;

use common::pty::Session;

#[test]
fn predicting_the_drain_time_then_draining_the_queue_in_a_real_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path());
    s.wait_for("home", |sc| sc.contains("Modules"));
    s.open_lesson("producers queues consumers", "queues/02-producers-queues-consumers");
    s.send("n");
    s.wait_for("the question", |sc| sc.contains("Predict first"));
    s.send("34000\r");
    s.wait_for("the prediction kept", |sc| sc.contains("you predicted 34"));
    s.wait_for("the queue lab beside the step", |sc| {
        sc.contains("work queue · at-least-once")
    });
    s.send("e");
    s.wait_for("the goal met, measured against the prediction", |sc| {
        sc.contains("the lab measured") && sc.contains("✓ Drain 100 tasks")
    });
    assert!(s.screen().contains("drained 34.0 s"), "{}", s.screen());
    s.send("\x03");
    s.wait_exit();
    let state = std::fs::read_to_string(home.path().join("state.toml")).unwrap();
    assert!(
        state.contains("\"queues/02-producers-queues-consumers#1\" = 34000.0"),
        "{state}"
    );
}
