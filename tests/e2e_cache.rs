//! The cache lab in the real binary, in a pseudo-terminal: a lesson's predict goal reached by
//! typing a prediction and killing a cache node, and the stale-set race staged from the keys.

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

/// Opens a lesson by its id through Go to anything, moving the selection onto it wherever the
/// ranking puts it.
fn open_lesson(s: &mut Session, query: &str, id: &str) {
    s.send("\x10");
    s.wait_for("go to anything", |sc| sc.contains("Go to anything"));
    s.send(query);
    s.wait_for("the lesson among the results", |sc| sc.contains(id));
    let selected = |sc: &str| {
        sc.lines()
            .find(|l| l.contains('›') && !l.contains('▏'))
            .unwrap_or("")
            .to_string()
    };
    for _ in 0..10 {
        let now = selected(&s.screen());
        if now.contains(id) {
            break;
        }
        s.send("\x1b[B");
        s.wait_for("the selection to move", |sc| selected(sc) != now);
    }
    s.send("\r");
    s.wait_for("the lesson", |sc| sc.contains("Step 1 of"));
}

#[test]
fn killing_a_cache_node_under_modulo_meets_the_predict_goal() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path());
    s.wait_for("home", |sc| sc.contains("Modules"));
    open_lesson(&mut s, "cache single point of failure", "caching/06-cache-as-spof");
    s.send("nn");
    s.wait_for("the question", |sc| sc.contains("Predict first"));
    s.send("0.75\r");
    s.wait_for("the prediction kept", |sc| sc.contains("you predicted 0.75"));
    // → selects c2, x kills it: 3 of 4 keys move under hash mod N.
    s.send("\x1b[Cx");
    s.wait_for("prediction against measurement", |sc| {
        sc.contains("the lab measured") && sc.contains("✓")
    });
    assert!(s.screen().contains("c2 DOWN"), "{}", s.screen());
    s.send("\x03");
    wait_exit(&mut s);
}
