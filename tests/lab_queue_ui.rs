//! The queue lab's screens (the work queue, the log, the two comparisons) at 80×24 and 120×40,
//! and its keys doing what their hints say.

mod common;

use sdlab::engines::lab::{Lab, Session};
use sdlab::engines::queue::Queue;
use sdlab::tui::app::{press, App, Screen};

/// The queue lab opened full-screen from the Labs screen.
fn open_queue() -> App {
    let mut app = common::app();
    press(&mut app, "b");
    let i = sdlab::engines::lab::registry()
        .iter()
        .position(|l| l.id == "queue")
        .unwrap();
    press(&mut app, &"<down> ".repeat(i));
    press(&mut app, "<enter>");
    assert!(matches!(app.screen(), Screen::Lab(_)), "the queue lab is open");
    app
}

fn lab(app: &App) -> &dyn Lab {
    match app.screen() {
        Screen::Lab(v) => v.pane.lab.as_ref(),
        _ => panic!("not on a lab"),
    }
}

fn engine(app: &App) -> &Queue {
    &lab(app).as_any().downcast_ref::<Session<Queue>>().unwrap().engine
}

fn metrics(app: &App) -> serde_json::Value {
    lab(app).metrics()
}

fn last_action(app: &App) -> String {
    lab(app).log().last().cloned().unwrap_or_default()
}

/// The work queue two seconds in, c1 crashed before its ack.
fn work_scene() -> App {
    let mut app = open_queue();
    press(&mut app, "x ] ] . . . . .");
    app
}

/// The log with a fourth, idle consumer and records half read.
fn log_scene() -> App {
    let mut app = open_queue();
    press(&mut app, "l o o a .");
    app
}

#[test]
fn work_queue_view() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = work_scene();
        let screen = common::screen(&mut app, w, h);
        assert!(
            screen.contains("work queue · at-least-once · idempotent off"),
            "{screen}"
        );
        assert!(screen.contains("✗ down"), "c1 crashed before its ack:\n{screen}");
        assert!(screen.contains("DLQ 0"), "{screen}");
        // m1 stays in flight after the crash: its visibility timeout has not run out.
        assert!(screen.contains("in flight 3"), "{screen}");
        if h >= 40 {
            assert!(
                screen.contains("c1 processed m1 and crashed before its ack"),
                "{screen}"
            );
        }
        insta::assert_snapshot!(format!("lab_queue_work_{w}x{h}"), screen);
    }
}

#[test]
fn log_view() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = log_scene();
        let screen = common::screen(&mut app, w, h);
        assert!(screen.contains("log · orders · 3 partitions · range"), "{screen}");
        assert!(screen.contains("c4  → idle (no partition)"), "{screen}");
        assert!(screen.contains("p2 "), "{screen}");
        insta::assert_snapshot!(format!("lab_queue_log_{w}x{h}"), screen);
    }
}

#[test]
fn chain_comparison_view() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = open_queue();
        press(&mut app, "c D D D ] ] ] ] ] . . .");
        let screen = common::screen(&mut app, w, h);
        assert!(screen.contains("sync chain vs queue"), "{screen}");
        assert!(screen.contains("email DOWN = 5370 ms"), "{screen}");
        assert!(screen.contains("publish 10 = 80 ms"), "{screen}");
        insta::assert_snapshot!(format!("lab_queue_chain_{w}x{h}"), screen);
    }
}

#[test]
fn push_pull_comparison_view() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = open_queue();
        press(&mut app, "v ] ] ] ] ] . . .");
        let screen = common::screen(&mut app, w, h);
        assert!(screen.contains("push vs pull"), "{screen}");
        assert!(screen.contains("100/100"), "the pushed-to buffer is full:\n{screen}");
        assert!(screen.contains("10/10"), "the puller holds its prefetch:\n{screen}");
        insta::assert_snapshot!(format!("lab_queue_push_{w}x{h}"), screen);
    }
}

#[test]
fn a_lesson_with_the_queue_lab_beside_it() {
    let mut app = common::app();
    let li = app
        .content
        .lesson_idx("queues/07-kafka-partitions-consumer-groups-offsets")
        .unwrap();
    app.open_lesson(li);
    press(&mut app, "n n <esc> a");
    let screen = common::screen(&mut app, 80, 24);
    insta::assert_snapshot!("lab_queue_kafka_lesson_80x24", screen);
    let screen = common::screen(&mut app, 120, 40);
    assert!(screen.contains("idle (no partition)"), "{screen}");
    insta::assert_snapshot!("lab_queue_kafka_lesson_120x40", screen);
}

#[test]
fn tiny_areas_draw_without_panicking() {
    for (w, h) in [(1, 1), (10, 3), (20, 6), (40, 10), (60, 17)] {
        for scene in [work_scene(), log_scene()] {
            let mut app = scene;
            let _ = common::screen(&mut app, w, h);
            press(&mut app, "c");
            let _ = common::screen(&mut app, w, h);
            press(&mut app, "v");
            let _ = common::screen(&mut app, w, h);
        }
    }
}

#[test]
fn work_keys_do_what_their_hints_say() {
    let mut app = open_queue();
    press(&mut app, "x");
    assert_eq!(last_action(&app), "crash-before-ack c1");
    press(&mut app, "<right> X");
    assert_eq!(last_action(&app), "crash c2");
    assert_eq!(metrics(&app)["consumers_alive"], 2);
    press(&mut app, "X");
    assert_eq!(last_action(&app), "restart c2");
    press(&mut app, "a");
    assert_eq!(metrics(&app)["consumers"].as_array().unwrap().len(), 4);
    let before = metrics(&app)["depth"].as_u64().unwrap();
    press(&mut app, "z");
    assert_eq!(
        metrics(&app)["depth"].as_u64().unwrap(),
        before + 1,
        "the poison message is queued"
    );
    press(&mut app, "o");
    assert_eq!(metrics(&app)["depth"].as_u64().unwrap(), before + 11);
    press(&mut app, "s");
    assert_eq!(last_action(&app), "slow c2 4");
    assert_eq!(engine(&app).work().unwrap().consumers()[1].slowness, 4.0);
    press(&mut app, "s");
    assert_eq!(engine(&app).work().unwrap().consumers()[1].slowness, 1.0);
    press(&mut app, "i");
    assert_eq!(metrics(&app)["idempotent"], true);
    press(&mut app, "m");
    assert_eq!(metrics(&app)["delivery"], "at-most-once");
    press(&mut app, "m");
    assert_eq!(metrics(&app)["delivery"], "at-least-once");
    let actions = lab(&app).log().len();
    press(&mut app, "d b g");
    assert_eq!(lab(&app).log().len(), actions, "no work-queue action for d, b, g");
    press(&mut app, "e");
    let m = metrics(&app);
    assert!(m["drain_ms"].as_f64().is_some(), "{m}");
    assert_eq!(m["dlq_count"], 1);
    assert_eq!(m["double_side_effects"], 0, "idempotency was on");
}

#[test]
fn log_keys_do_what_their_hints_say() {
    let mut app = open_queue();
    press(&mut app, "l");
    assert_eq!(metrics(&app)["model"], "log");
    press(&mut app, "a");
    assert_eq!(last_action(&app), "join c4");
    assert_eq!(metrics(&app)["idle_consumers"], 1);
    press(&mut app, "<right> d");
    assert_eq!(last_action(&app), "leave c2");
    assert_eq!(metrics(&app)["idle_consumers"], 0, "c4 took the partition c2 gave up");
    press(&mut app, "o . . . . . . . . . .");
    assert_eq!(metrics(&app)["produced"], 30);
    press(&mut app, "b");
    assert_eq!(last_action(&app), "rewind g1 earliest");
    press(&mut app, ". . . . . . . . . .");
    assert!(metrics(&app)["reprocessed"].as_u64().unwrap() > 0);
    press(&mut app, "g");
    assert_eq!(metrics(&app)["group_count"], 2);
    press(&mut app, "x");
    assert!(last_action(&app).starts_with("crash c"), "{}", last_action(&app));
    press(&mut app, "s");
    assert!(last_action(&app).starts_with("slow c"), "{}", last_action(&app));
    let actions = lab(&app).log().len();
    press(&mut app, "z i m e");
    assert_eq!(lab(&app).log().len(), actions, "no log action for z, i, m, e");
    press(&mut app, "l");
    assert_eq!(metrics(&app)["model"], "work");
}

#[test]
fn comparison_keys_open_close_and_take_steps_down() {
    let mut app = open_queue();
    press(&mut app, "D");
    assert_eq!(metrics(&app)["compare"], "off", "D needs the chain open");
    press(&mut app, "c");
    assert_eq!(metrics(&app)["compare"], "chain");
    for step in ["payment", "inventory", "email", "web", "db", "none"] {
        press(&mut app, "D");
        assert_eq!(metrics(&app)["chain_down"], step);
    }
    press(&mut app, "v");
    assert_eq!(metrics(&app)["compare"], "push");
    press(&mut app, "v");
    assert_eq!(metrics(&app)["compare"], "off");
}

#[test]
fn hints_name_every_key_the_issue_asks_for() {
    let keys: Vec<&str> = sdlab::tui::labs::queue::HINTS.iter().map(|h| h.keys).collect();
    for k in [
        "x", "a/d", "z", "s", "b", "i", "m", "l", "c", "v", "e", "X", "g", "o", "D",
    ] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
}
