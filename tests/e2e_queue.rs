//! The queue lab in the real binary, in a pseudo-terminal: predict the drain time of 100 tasks
//! with 3 consumers, drain the queue, and see the goal met with the prediction checked.

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
fn predicting_the_drain_time_then_draining_the_queue_in_a_real_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path());
    s.wait_for("home", |sc| sc.contains("Modules"));
    s.send("\x10");
    s.wait_for("go to anything", |sc| sc.contains("Go to anything"));
    s.send("producers queues consumers");
    s.wait_for("the lesson among the results", |sc| {
        sc.contains("queues/02-producers-queues-consumers")
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
        if now.contains("queues/02-producers") {
            break;
        }
        s.send("\x1b[B");
        s.wait_for("the selection to move", |sc| selected(sc) != now);
    }
    s.send("\r");
    s.wait_for("the lesson", |sc| sc.contains("Step 1 of"));
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
    wait_exit(&mut s);
    let state = std::fs::read_to_string(home.path().join("state.toml")).unwrap();
    assert!(
        state.contains("\"queues/02-producers-queues-consumers#1\" = 34000.0"),
        "{state}"
    );
}
