//! The cache, CDN and geo-DNS labs' views: snapshots at 80×24 and 120×40, the keys doing what
//! their hints say, and every size drawing without a panic.

mod common;

use sdlab::engines::cache::timed::CacheLab;
use sdlab::engines::cdn::Cdn;
use sdlab::engines::geodns::GeoDns;
use sdlab::engines::lab::Session;
use sdlab::tui::app::{press, Cmd, Screen};
use sdlab::tui::App;

fn open(id: &str) -> App {
    let mut app = common::app();
    app.apply(Cmd::OpenLab(id.into()));
    assert!(matches!(app.screen(), Screen::Lab(_)), "{id} opens");
    app
}

fn metrics(app: &App) -> serde_json::Value {
    let Screen::Lab(v) = app.screen() else {
        panic!("not on a lab")
    };
    v.pane.lab.metrics()
}

fn with_lab<T: sdlab::engines::lab::Engine + 'static, R>(app: &App, f: impl FnOnce(&T) -> R) -> R {
    let Screen::Lab(v) = app.screen() else {
        panic!("not on a lab")
    };
    let s = v
        .pane
        .lab
        .as_any()
        .downcast_ref::<Session<T>>()
        .expect("the lab's engine");
    f(&s.engine)
}

/// Steps the clock `n` times (100 ms of simulated time each at ×1).
fn steps(app: &mut App, n: usize) {
    press(app, &". ".repeat(n));
}

#[test]
fn cdn_views() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = open("cdn");
        // ×64: each step is 6.4 s of simulated time.
        press(&mut app, "] ] ] ] ] ]");
        steps(&mut app, 20);
        let screen = common::screen(&mut app, w, h);
        assert!(screen.contains("pull · max-age 3600 s"), "{screen}");
        assert!(screen.contains("logo.png"), "{screen}");
        insta::assert_snapshot!(format!("lab_cdn_{w}x{h}"), screen);
    }
}

#[test]
fn cdn_keys_do_what_they_say() {
    let mut app = open("cdn");
    press(&mut app, "] ] ] ] ] ]");
    steps(&mut app, 5);
    // e updates the selected object (logo.png) at the origin: edges keep serving v1.
    press(&mut app, "e");
    assert_eq!(with_lab(&app, |c: &Cdn| c.versions[0]), 2);
    steps(&mut app, 2);
    assert!(metrics(&app)["stale_served"].as_u64().unwrap() > 0);
    assert!(common::screen(&mut app, 120, 40).contains("edges hold it stale"));
    // x purges it: once the purge has reached every edge (5 s), nothing is stale.
    press(&mut app, "x");
    steps(&mut app, 1);
    press(&mut app, "s s");
    steps(&mut app, 3);
    assert_eq!(metrics(&app)["stale_served"], 0, "{}", metrics(&app));
    // → selects app.js; v publishes it under a new URL: never stale.
    press(&mut app, "<right> v");
    assert_eq!(with_lab(&app, |c: &Cdn| (c.versions[1], c.urls[1])), (2, 2));
    steps(&mut app, 3);
    assert_eq!(metrics(&app)["stale_served"], 0);
    assert!(metrics(&app)["publishes"] == 1);
    // o takes the origin down: misses and dynamic requests fail; again brings it back.
    press(&mut app, "o");
    assert_eq!(metrics(&app)["origin_up"], false);
    steps(&mut app, 2);
    assert!(metrics(&app)["failed_requests"].as_u64().unwrap() > 0);
    press(&mut app, "o");
    assert_eq!(metrics(&app)["origin_up"], true);
    // m switches to push, a steps max-age, s toggles serve-stale.
    press(&mut app, "m");
    assert_eq!(metrics(&app)["mode"], "push");
    // The uploads reach the edges over the 5 s propagation delay; from then on every object
    // is on every edge.
    steps(&mut app, 1);
    press(&mut app, "a");
    assert_eq!(metrics(&app)["max_age_s"], 86_400.0);
    steps(&mut app, 2);
    assert_eq!(metrics(&app)["hit_ratio"], 1.0, "push: every object is on every edge");
    press(&mut app, "s");
    assert_eq!(metrics(&app)["serve_stale"], true);
}

#[test]
fn geodns_views() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = open("geodns");
        press(&mut app, "] ] ] ] ] ]");
        steps(&mut app, 10);
        press(&mut app, "f");
        steps(&mut app, 8);
        let screen = common::screen(&mut app, w, h);
        assert!(screen.contains("DNS TTL 60 s · checks 10 s"), "{screen}");
        assert!(screen.contains("DOWN"), "{screen}");
        insta::assert_snapshot!(format!("lab_geodns_{w}x{h}"), screen);
    }
}

#[test]
fn geodns_keys_do_what_they_say() {
    let mut app = open("geodns");
    press(&mut app, "] ] ] ] ] ]");
    steps(&mut app, 5);
    // → selects eu-west; f fails it, f again restores it.
    press(&mut app, "<right> f");
    assert_eq!(with_lab(&app, |g: &GeoDns| g.up.clone()), [true, false, true]);
    steps(&mut app, 20);
    let m = metrics(&app);
    assert!(m["total_failed_requests"].as_u64().unwrap() > 0);
    // 128 s after the failure (60 s TTL, 10 s checks) no resolver still names eu-west.
    assert_eq!(m["stranded_share"], 0.0, "{m}");
    assert!(m["failover_s"].as_f64().unwrap() > 30.0);
    press(&mut app, "f");
    assert_eq!(with_lab(&app, |g: &GeoDns| g.up.clone()), [true; 3]);
    // d flips the TTL between 60 and 300 s; c steps the check interval.
    press(&mut app, "d");
    assert_eq!(metrics(&app)["dns_ttl_s"], 300.0);
    press(&mut app, "d");
    assert_eq!(metrics(&app)["dns_ttl_s"], 60.0);
    press(&mut app, "c");
    assert_eq!(metrics(&app)["check_interval_s"], 30.0);
}

#[test]
fn cache_views() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = open("cache");
        press(&mut app, "] ] ] ]");
        steps(&mut app, 30);
        let screen = common::screen(&mut app, w, h);
        assert!(screen.contains("lru · 100 items"), "{screen}");
        assert!(screen.contains("theory"), "{screen}");
        insta::assert_snapshot!(format!("lab_cache_{w}x{h}"), screen);
    }
    // A cluster shows its nodes; a dead one says so.
    let mut app = common::app();
    let scenario = "[config]\nnodes = 4\ncapacity = 250\n";
    let lab = sdlab::engines::lab::find("cache").unwrap();
    let built = (lab.build)(Some(scenario)).unwrap();
    app.stack.push(Screen::Lab(sdlab::tui::labs::LabView {
        pane: sdlab::tui::lab::LabPane::from_lab(built),
    }));
    press(&mut app, "] ] ] ] . . . . <right> x . .");
    let screen = common::screen(&mut app, 120, 40);
    assert!(screen.contains("c2 DOWN"), "{screen}");
    insta::assert_snapshot!("lab_cache_cluster_120x40", screen);
}

#[test]
fn cache_keys_do_what_they_say() {
    let mut app = open("cache");
    let m = |app: &App, k: &str| metrics(app)[k].clone();
    press(&mut app, "a");
    assert_eq!(m(&app, "policy"), "lfu");
    press(&mut app, "a a a a");
    assert_eq!(m(&app, "policy"), "lru");
    press(&mut app, "m");
    assert_eq!((m(&app, "ttl_mode"), m(&app, "ttl_s")), ("write".into(), 10.0.into()));
    press(&mut app, "m");
    assert_eq!(m(&app, "ttl_mode"), "access");
    press(&mut app, "m");
    assert_eq!(m(&app, "ttl_mode"), "off");
    press(&mut app, "C");
    assert_eq!(m(&app, "capacity"), 200);
    press(&mut app, "c c");
    assert_eq!(m(&app, "capacity"), 50);
    press(&mut app, "Z");
    assert_eq!(m(&app, "zipf"), 1.2);
    press(&mut app, "z z");
    assert_eq!(m(&app, "zipf"), 0.8);
    // Back to 100 items under Zipf 1.0, where item 0 stays cached.
    press(&mut app, "Z C");
    assert_eq!((m(&app, "zipf"), m(&app, "capacity")), (1.0.into(), 100.into()));
    // e updates item 0 at once without the race; with it (s), a slow reader puts v1 back.
    press(&mut app, "] ] ] ] . . . . e");
    assert_eq!(with_lab(&app, |c: &CacheLab| c.newest_version(0)), 2);
    press(&mut app, "s");
    assert_eq!(m(&app, "race"), true);
    press(&mut app, "e");
    steps(&mut app, 2);
    assert!(m(&app, "stale_reads").as_u64().unwrap() > 0, "{}", metrics(&app));
    assert_eq!(m(&app, "stale_cached"), 1);
    // f: versioned sets refuse the late set.
    press(&mut app, "f");
    assert_eq!(m(&app, "race_fix"), "versioned");
    press(&mut app, "e");
    steps(&mut app, 2);
    assert_eq!(m(&app, "stale_cached"), 0, "{}", metrics(&app));
    assert!(m(&app, "refused_sets").as_u64().unwrap() >= 1);
    press(&mut app, "F");
    assert_eq!(m(&app, "stampede_fix"), "single-flight");
    press(&mut app, "i");
    assert_eq!(m(&app, "on_update"), "update");
    press(&mut app, "W");
    assert_eq!(m(&app, "write_policy"), "read-through");
    press(&mut app, "k");
    assert_eq!(m(&app, "workload"), "scan");
    press(&mut app, "o");
    assert_eq!(m(&app, "sharding"), "modulo");
    press(&mut app, "U");
    assert!(with_lab(&app, |c: &CacheLab| c.config.update_rate) == 5.0);
    // One node: x kills it and every read goes to the database.
    press(&mut app, "x");
    assert_eq!(m(&app, "live_nodes"), 0);
}

/// Every size, tiny ones included: no panic, and from 60×18 up the lab itself.
#[test]
fn every_size_draws() {
    for id in ["cdn", "geodns", "cache"] {
        let mut app = open(id);
        press(&mut app, "] ] ] ] ] ] . . . . f o");
        for w in (1..=140).step_by(7) {
            for h in (1..=48).step_by(4) {
                let _ = common::screen(&mut app, w, h);
            }
        }
    }
}

/// A shared scenario cannot make a timed lab simulate for minutes: ten simulated days (over
/// 150 million events in each lab) are refused before anything is built, and a minute is fine.
#[test]
fn a_scenario_that_would_simulate_too_long_is_refused() {
    for (id, ok_ms, bad_ms) in [
        ("cache", 60_000u64, 864_000_000u64),
        ("cdn", 60_000, 864_000_000),
        ("geodns", 60_000, 864_000_000),
    ] {
        let info = sdlab::engines::lab::find(id).unwrap();
        let scenario = |ms: u64| format!("actions = [\"tick {ms}\"]\n[config]\nseed = 1\n");
        assert!((info.check_scenario)(&scenario(ok_ms)).is_ok(), "{id}");
        let err = (info.check_scenario)(&scenario(bad_ms)).unwrap_err();
        assert!(err.contains("events"), "{id}: {err}");
        assert!((info.build)(Some(&scenario(bad_ms))).is_err(), "{id}");
    }
}
