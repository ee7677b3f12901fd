//! The real binary in a pseudo-terminal: type keys, read the screen, check the exit.

mod common;

use std::time::{Duration, Instant};

use common::pty::Session;

/// The line of the results list that is selected (marked with ›) under the search field.
fn first_result(screen: &str) -> Option<String> {
    screen
        .lines()
        .find(|l| l.contains("│› ") && !l.contains("quorm"))
        .map(str::to_string)
}

#[test]
fn glossary_round_trip_in_a_real_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path());
    s.wait_for("home", |sc| sc.contains("Modules") && sc.contains("Foundations"));
    assert!(
        s.parser.lock().unwrap().screen().alternate_screen(),
        "the lab uses the alternate screen"
    );
    s.send("g");
    s.wait_for("glossary", |sc| sc.contains("Search the glossary"));
    s.send("quorm");
    s.wait_for("Quorum first", |sc| {
        sc.contains("quorm") && first_result(sc).is_some_and(|l| l.contains("Quorum "))
    });
    s.send("\r");
    s.wait_for("the term", |sc| sc.contains("See also"));
    s.send("\t\r");
    s.wait_for("a followed link", |sc| sc.contains("1 back"));
    s.send("\x7f");
    s.wait_for("back on Quorum", |sc| !sc.contains("1 back") && sc.contains(" Quorum "));
    s.send("\x1b");
    s.wait_for("the list", |sc| sc.contains("Search the glossary"));
    s.send("\x1b");
    s.wait_for("cleared query", |sc| !sc.contains("quorm"));
    s.send("\x1b");
    s.wait_for("home", |sc| sc.contains("Modules"));
    s.send("q");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "sdlab did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status:?}");
    s.wait_for("alternate screen left", |_| {
        !s.parser.lock().unwrap().screen().alternate_screen()
    });
}

#[test]
fn ctrl_c_quits_and_restores_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path());
    s.wait_for("home", |sc| sc.contains("Modules"));
    s.send("g");
    s.wait_for("glossary", |sc| sc.contains("Search the glossary"));
    s.send("\x03");
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "sdlab did not exit on Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    }
    s.wait_for("alternate screen left", |_| {
        !s.parser.lock().unwrap().screen().alternate_screen()
    });
}

#[test]
fn a_corrupt_state_file_is_reported_on_screen_and_kept() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("state.toml"), "garbage = = =").unwrap();
    let mut s = Session::start(home.path());
    s.wait_for("the notice", |sc| sc.contains("corrupt-"));
    s.send("q");
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let kept: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("state.toml.corrupt-"))
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        std::fs::read_to_string(home.path().join(&kept[0])).unwrap(),
        "garbage = = ="
    );
}

#[test]
fn quiz_answers_survive_a_restart() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path());
    s.wait_for("home", |sc| sc.contains("Modules") && sc.contains("Quiz (t)"));
    let new_before = new_count(&s.screen());
    s.send("t");
    s.wait_for("quiz setup", |sc| sc.contains("What do you want to practise?"));
    s.send("\r");
    for n in 1..=3 {
        s.wait_for("a question", |sc| sc.contains(&format!("Question {n} of")));
        let screen = s.screen();
        // Any answer will do: each is graded and scheduled.
        if screen.contains("estimate") {
            s.send("1");
        } else if screen.contains("design prompt") {
            s.send("\r");
            s.wait_for("key points", |sc| sc.contains("key points"));
            s.send("1");
        } else if screen.contains("true or false") {
            s.send("t");
        } else {
            s.send("1");
        }
        s.send("\r");
        s.wait_for("feedback", |sc| sc.contains("Correct") || sc.contains("Not quite"));
        s.send("\r");
    }
    s.send("\x1b");
    s.wait_for("summary", |sc| sc.contains("Quiz summary"));
    s.send("q");
    s.wait_for("home", |sc| sc.contains("Modules"));
    s.send("q");
    s.wait_exit();

    let s = Session::start(home.path());
    s.wait_for("home", |sc| sc.contains("Quiz (t)"));
    let screen = s.screen();
    assert_eq!(new_count(&screen), new_before - 3, "{screen}");
    assert!(
        screen.contains("3 scheduled later") || screen.contains("cards due now"),
        "{screen}"
    );
}

fn new_count(screen: &str) -> usize {
    let line = screen
        .lines()
        .find(|l| l.contains("Quiz (t)"))
        .expect("quiz line on home");
    let before_new = line.split(" new").next().unwrap();
    before_new.rsplit(' ').next().unwrap().trim().parse().unwrap()
}

#[test]
fn a_lesson_goal_ticks_as_the_lab_is_driven_and_the_place_is_kept() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path());
    s.wait_for("home", |sc| sc.contains("Modules"));
    s.send("\x10");
    s.wait_for("go to anything", |sc| sc.contains("Go to anything"));
    s.send("virtual nodes");
    s.wait_for("the lesson among the results", |sc| {
        sc.contains("sharding/09-virtual-nodes")
    });
    s.send("\x1b[B\r");
    s.wait_for("the first goal, open", |sc| sc.contains("☐ Drop to one virtual node"));
    // Halve the virtual nodes from 100 down to 1.
    s.send("vvvvvvv");
    // Both in one wait: a single read of the screen can land in the middle of a redraw.
    s.wait_for("the goal met at one virtual node", |sc| {
        sc.contains("✓ Drop to one virtual node") && sc.contains("vnodes 1")
    });
    s.send("q");
    s.wait_for("home", |sc| sc.contains("Modules"));
    s.send("q");
    s.wait_exit();

    let mut s = Session::start(home.path());
    s.wait_for("home", |sc| sc.contains("Modules"));
    s.send("c");
    s.wait_for("back in the lesson", |sc| {
        sc.contains("Virtual nodes") && sc.contains("Step 1 of")
    });
    s.send("\x03");
    s.wait_exit();
}

#[test]
fn a_prediction_is_typed_then_the_lab_measures_it_in_a_real_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path());
    s.wait_for("home", |sc| sc.contains("Modules"));
    s.open_lesson("hash and modulo sharding", "sharding/04-hash-and-modulo-sharding");
    s.send("nnn");
    s.wait_for("the question", |sc| sc.contains("Predict first"));
    s.send("0.8\r");
    s.wait_for("the prediction kept", |sc| sc.contains("you predicted 0.8"));
    s.send("a");
    s.wait_for("prediction against measurement", |sc| {
        sc.contains("the lab measured") && sc.contains("✓")
    });
    s.send("\x03");
    s.wait_exit();
    let state = std::fs::read_to_string(home.path().join("state.toml")).unwrap();
    assert!(
        state.contains("\"sharding/04-hash-and-modulo-sharding#1\" = 0.8"),
        "{state}"
    );
}
