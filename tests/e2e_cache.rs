//! The cache lab in the real binary, in a pseudo-terminal: a lesson's predict goal reached by
//! typing a prediction and killing a cache node, and the stale-set race staged from the keys.

mod common;

use common::pty::Session;

#[test]
fn killing_a_cache_node_under_modulo_meets_the_predict_goal() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path());
    s.wait_for("home", |sc| sc.contains("Modules"));
    s.open_lesson("cache single point of failure", "caching/06-cache-as-spof");
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
    s.wait_exit();
}
