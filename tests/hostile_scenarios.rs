//! Lab scenarios written by someone else, opened the way `sdlab --scenario FILE` opens them:
//! each is refused up front with a reason, or opens and survives the lab's keys and every
//! screen size without a panic.

mod common;

use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use sdlab::engines::lab::{read_scenario_file, scenario_lab, MAX_SCENARIO_ACTIONS};
use sdlab::tui::app::{press, App, Screen};
use sdlab::tui::lab::LabPane;
use sdlab::tui::labs::LabView;
use sdlab::tui::{update, view::view, Msg};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hostile-scenarios");

/// What `sdlab --scenario FILE` does between reading the file and drawing the lab.
fn open(app: &mut App, text: &str) -> Result<(), String> {
    let id = scenario_lab(text)?;
    let pane = LabPane::new(&id, Some(text))?;
    app.stack.push(Screen::Lab(LabView { pane }));
    Ok(())
}

fn fixture(name: &str) -> String {
    read_scenario_file(&std::path::Path::new(FIXTURES).join(name)).unwrap()
}

/// A scenario of `actions` (TOML array items) on `config`.
fn scenario(config: &str, actions: impl Iterator<Item = String>) -> String {
    let actions: Vec<String> = actions.map(|a| format!("{a:?}")).collect();
    format!(
        "lab = \"ring\"\nactions = [{}]\n\n[config]\n{config}\n",
        actions.join(", ")
    )
}

fn draw(app: &mut App, width: u16, height: u16) {
    update(app, Msg::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(app, f)).unwrap();
}

#[test]
fn hostile_scenarios_are_refused_up_front_with_a_reason() {
    let fixtures = [
        ("escape-in-node-name.toml", "line 6: control character U+001B"),
        ("escape-in-action.toml", "line 3: control character U+001B"),
        (
            "too-many-points.toml",
            "1,100,000 points (vnodes 1000 × total weight 1100); at most 200,000 fit",
        ),
        ("long-node-name.toml", "is 58 bytes long: at most 40"),
        ("bad-region.toml", "unknown region \"mars\""),
        ("long-action.toml", "action 1 is 219 bytes long: at most 200"),
        ("rendezvous-heavy.toml", "about 34000500 key placements"),
    ];
    let mut cases: Vec<(String, String, &str)> = fixtures
        .iter()
        .map(|(file, why)| (file.to_string(), fixture(file), *why))
        .collect();
    let n = MAX_SCENARIO_ACTIONS;
    cases.push((
        "one action too many".into(),
        scenario("keys = 10", (0..=n).map(|_| "trace user:1".to_string())),
        "10001 actions: a scenario holds at most 10000",
    ));
    // The case the issue names: a million keys and the most actions. Replaying it would place
    // keys ten thousand times over (about an hour in a release build); it is refused unread.
    cases.push((
        "a million keys and 10,000 actions".into(),
        scenario("keys = 1000000", (0..n).map(|i| format!("vnodes {}", 1 + i % 1000))),
        "key placements (1000000 keys, 10000 actions)",
    ));
    cases.push((
        "a circle of half a million points, rebuilt by 20 actions".into(),
        scenario(
            "keys = 10\nvnodes = 1000\nnodes = [\"a=100\", \"b=100\", \"c=100\", \"d=100\", \"e=100\"]",
            (0..20).map(|i| format!("weight a {}", 100 - i)),
        ),
        "at most 200,000 fit",
    ));
    cases.push((
        "101 traced keys".into(),
        scenario(
            &format!(
                "traces = [{}]",
                (0..101).map(|i| format!("\"user:{i}\"")).collect::<Vec<_>>().join(", ")
            ),
            std::iter::empty(),
        ),
        "at most 100 traced keys (got 101)",
    ));
    cases.push((
        "a keys action to a million keys, repeated".into(),
        scenario("keys = 10", (0..20).map(|i| format!("keys {}", 1_000_000 - i))),
        "key placements",
    ));
    for (name, text, why) in cases {
        let mut app = common::app();
        let started = Instant::now();
        let err = open(&mut app, &text).expect_err(&name);
        let took = started.elapsed();
        assert!(err.contains(why), "{name}: {err:?} does not say {why:?}");
        assert!(!err.contains(|c: char| c.is_control()), "{name}: {err:?}");
        // Refused before anything is built: parsing 10,000 actions is the whole cost. A
        // debug build on a loaded machine takes ~0.2 s for it; a replay would take minutes.
        assert!(took < Duration::from_secs(3), "{name}: refusing took {took:?}");
        assert!(matches!(app.screen(), Screen::Home(_)), "{name}: nothing opened");
    }
}

#[test]
fn an_oversized_file_is_refused_before_it_is_read_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.toml");
    let mut text = String::from("lab = \"ring\"\n[config]\nkeys = 10\n");
    text.push_str(&"# padding\n".repeat(110_000));
    std::fs::write(&file, text).unwrap();
    let err = read_scenario_file(&file).unwrap_err();
    assert!(err.contains("big.toml: a scenario file is at most 1024 KiB"), "{err}");
    let err = read_scenario_file(&dir.path().join("missing.toml")).unwrap_err();
    assert!(
        err.contains("could not read the scenario") && err.contains("missing.toml"),
        "{err}"
    );
}

#[test]
fn scenarios_within_the_bounds_survive_every_lab_key_and_size() {
    // The most actions at the fewest keys, and every awkward value the bounds still allow.
    let most_actions = scenario(
        "keys = 10\nstrategy = \"jump\"",
        (0..MAX_SCENARIO_ACTIONS).map(|i| {
            if i % 2 == 0 {
                "add x".to_string()
            } else {
                "remove x".to_string()
            }
        }),
    );
    for text in [fixture("odd-but-allowed.toml"), most_actions] {
        let mut app = common::app();
        let started = Instant::now();
        open(&mut app, &text).unwrap();
        eprintln!("opened in {:?}", started.elapsed());
        let started = Instant::now();
        for size in [(80, 24), (120, 40), (60, 18), (20, 6)] {
            draw(&mut app, size.0, size.1);
        }
        // Every ring key, undo past the scenario's own actions, then reset; drawn between.
        for keys in [
            "a d + - v V",
            "<left> <right> <left>",
            "s s s s s s s s",
            "k K z c i e",
            "/ 用户:42 <enter>",
            "u u u",
            "r",
            "s s s s s e e",
        ] {
            press(&mut app, keys);
            draw(&mut app, 80, 24);
        }
        assert!(matches!(app.screen(), Screen::Lab(_)), "still in the lab");
        press(&mut app, "q");
        assert!(!matches!(app.screen(), Screen::Lab(_)));
        eprintln!("driven in {:?}", started.elapsed());
    }
}

#[test]
fn saving_writes_only_under_the_data_directory_with_a_name_the_app_chose() {
    let home = tempfile::tempdir().unwrap();
    // The only test in this binary that saves; the store is found through SDLAB_HOME.
    std::env::set_var("SDLAB_HOME", home.path());
    let mut app = common::app();
    // The scenario's own text cannot steer the file name: `lab` must name a known lab.
    let err = open(&mut app, "lab = \"../../etc/passwd\"\n[config]\n").unwrap_err();
    assert!(err.contains("unknown lab"), "{err}");
    open(&mut app, &fixture("odd-but-allowed.toml")).unwrap();
    press(&mut app, "w w");
    let mut found = Vec::new();
    for entry in walk(home.path()) {
        found.push(entry.strip_prefix(home.path()).unwrap().to_string_lossy().into_owned());
    }
    found.sort();
    assert_eq!(found, ["scenarios/ring-1.toml", "scenarios/ring-2.toml"]);
    // What was saved opens again, inside the same bounds.
    let saved = read_scenario_file(&home.path().join("scenarios/ring-1.toml")).unwrap();
    let mut again = common::app();
    open(&mut again, &saved).unwrap();
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A timed lab's scenario is refused when its ticks would simulate too much at the rates its
/// config and actions allow (20 million events, a few seconds of work), and opens when they
/// would not: the same file minus the long tick loads at once.
#[test]
fn timed_scenarios_that_would_simulate_for_minutes_are_refused() {
    let heavy = [
        ("replication", "mode = \"async\"", "load 10000 100000", "tick 3600000"),
        ("balancer", "arrival = 1e9", "arrival 10", "tick 60000"),
        (
            "queue",
            "model = \"log\"\n[config.log]\nrate = 100000000",
            "rate 5",
            "tick 600000",
        ),
        ("election", "heartbeat_ms = 1", "heal", "tick 100000000"),
        ("cap", "rate = 1000\nnodes = 9", "heal", "tick 100000000"),
    ];
    for (lab, config, action, tick) in heavy {
        let text = format!("lab = \"{lab}\"\nactions = [\"{action}\", \"{tick}\"]\n\n[config]\n{config}\n");
        let started = Instant::now();
        let err = LabPane::new(lab, Some(&text))
            .err()
            .unwrap_or_else(|| panic!("{lab} opened"));
        assert!(err.contains("at most 20000000"), "{lab}: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{lab} took {:?}",
            started.elapsed()
        );
        let light = format!("lab = \"{lab}\"\nactions = [\"{action}\", \"tick 100\"]\n\n[config]\n{config}\n");
        // At a billion requests (or 100 million records) a second even 100 ms is too much.
        if lab != "balancer" && lab != "queue" {
            LabPane::new(lab, Some(&light)).unwrap_or_else(|e| panic!("{lab}: {e}"));
        }
    }
}
