//! The balancer and auto-scaling labs on screen: snapshots at 80×24 and 120×40, keys that do
//! what their hints say, and small panes that do not panic.

mod common;

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use sdlab::engines::autoscale::{Autoscaler, Curve, ScalingPolicy};
use sdlab::engines::balancer::{Balancer, Policy, SessionStore};
use sdlab::engines::lab::Session;
use sdlab::tui::app::{press, App, Screen};
use sdlab::tui::{update, view::view, Msg};

fn draw(app: &mut App, width: u16, height: u16) -> String {
    update(app, Msg::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(app, f)).unwrap();
    terminal.backend().to_string()
}

/// The app with lab `id` open full-screen from the Labs list.
fn open(id: &str, w: u16, h: u16) -> App {
    let mut app = common::app();
    update(&mut app, Msg::Resize(w, h));
    let i = sdlab::engines::lab::registry()
        .iter()
        .position(|l| l.id == id)
        .expect("registered");
    press(&mut app, &format!("b {}<enter>", "<down> ".repeat(i)));
    assert!(matches!(app.screen(), Screen::Lab(_)), "{id} opened");
    app
}

fn balancer(app: &App) -> &Balancer {
    let Screen::Lab(v) = app.screen() else {
        panic!("not in a lab")
    };
    &v.pane
        .lab
        .as_any()
        .downcast_ref::<Session<Balancer>>()
        .expect("balancer")
        .engine
}

fn autoscaler(app: &App) -> &Autoscaler {
    let Screen::Lab(v) = app.screen() else {
        panic!("not in a lab")
    };
    &v.pane
        .lab
        .as_any()
        .downcast_ref::<Session<Autoscaler>>()
        .expect("autoscale")
        .engine
}

/// Crash s2 and slow s3 down, paused before the health check catches s2.
const BALANCER_KEYS: &str = "] ] ] . <right> x . <right> s .";
/// Black Friday with a pre-scale, run to early afternoon.
const AUTOSCALE_KEYS: &str = "c c P ] ] ] ] ] ] . . . . . . . . . . . . .";

#[test]
fn balancer_views() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = open("balancer", w, h);
        press(&mut app, BALANCER_KEYS);
        let screen = draw(&mut app, w, h);
        assert!(screen.contains("LB"), "{screen}");
        assert!(screen.contains("slow×4"), "{screen}");
        assert!(screen.contains("✗"), "s2 is down but still in rotation:\n{screen}");
        insta::assert_snapshot!(format!("lab_balancer_{w}x{h}"), screen);
    }
}

#[test]
fn autoscale_views() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = open("autoscale", w, h);
        press(&mut app, AUTOSCALE_KEYS);
        let screen = draw(&mut app, w, h);
        assert!(screen.contains("blackfriday"), "{screen}");
        assert!(screen.contains("cost $"), "{screen}");
        assert!(screen.contains("in breach"), "{screen}");
        insta::assert_snapshot!(format!("lab_autoscale_{w}x{h}"), screen);
    }
}

#[test]
fn a_dead_server_in_rotation_flashes_until_the_health_check_takes_it_out() {
    let mut app = open("balancer", 120, 40);
    // Crash s2 at once; the checks every 5 s need two failures, so it stays in rotation to 10 s.
    press(&mut app, "<right> x");
    let mut phases = Vec::new();
    for _ in 0..5 {
        press(&mut app, ".");
        let screen = draw(&mut app, 120, 40);
        phases.push(screen.contains("✗ FAILING"));
        assert!(screen.contains('✗'), "{screen}");
    }
    assert!(phases.contains(&true) && phases.contains(&false), "{phases:?}");
    press(&mut app, "] ] ] ] ] ] . .");
    let screen = draw(&mut app, 120, 40);
    assert!(!balancer(&app).servers[1].in_rotation);
    assert!(screen.contains("down·out"), "{screen}");
    assert!(!screen.contains('✗'), "caught: no longer flashing\n{screen}");
    let failed = balancer(&app).metrics().per_server[1].failed;
    assert!(failed > 50, "{failed}");
    assert!(screen.contains(&format!("{failed} fail")), "{screen}");
}

#[test]
fn balancer_keys_do_what_they_say() {
    let mut app = open("balancer", 120, 40);
    press(&mut app, "a");
    assert_eq!(balancer(&app).servers.len(), 4, "a adds a server");
    press(&mut app, "<right> d");
    assert!(
        balancer(&app).servers[1].removed || balancer(&app).servers[1].draining_until.is_some(),
        "d removes the selected server (s2)"
    );
    press(&mut app, "x");
    let b = balancer(&app);
    let sel = b.servers.iter().filter(|s| !s.removed).nth(1).unwrap();
    assert!(!sel.up, "x crashes the selected server");
    let name = sel.name.clone();
    press(&mut app, "x");
    assert!(
        balancer(&app).servers.iter().find(|s| s.name == name).unwrap().up,
        "x again revives it"
    );
    press(&mut app, "<left> s");
    assert_eq!(balancer(&app).servers[0].slow, 4.0);
    press(&mut app, "s");
    assert_eq!(balancer(&app).servers[0].slow, 10.0);
    press(&mut app, "s");
    assert_eq!(balancer(&app).servers[0].slow, 1.0);
    press(&mut app, "W");
    assert_eq!(balancer(&app).servers[0].weight, 2);
    press(&mut app, "o");
    assert_eq!(balancer(&app).config.policy, Policy::Wrr);
    press(&mut app, "o o o o o o o");
    assert_eq!(balancer(&app).config.policy, Policy::Rr, "o cycles all eight and back");
    // Round robin keeps sessions in a shared store unless told otherwise.
    assert_eq!(balancer(&app).config.store(), SessionStore::Shared);
    press(&mut app, "e");
    assert_eq!(balancer(&app).config.store(), SessionStore::Jwt);
    press(&mut app, "e");
    assert_eq!(balancer(&app).config.store(), SessionStore::Memory);
    let before = balancer(&app).rate();
    press(&mut app, "f");
    assert_eq!(
        balancer(&app).rate(),
        before * 3.0,
        "f: a spike of three times the rate"
    );
    press(&mut app, "+");
    assert_eq!(balancer(&app).config.arrival, 25.0);
    press(&mut app, "- -");
    assert_eq!(balancer(&app).config.arrival, 15.0);
    press(&mut app, "v");
    assert_eq!(balancer(&app).config.service, 20.0, "v: a machine twice as fast");
    press(&mut app, "V");
    assert_eq!(balancer(&app).config.service, 10.0);
    press(&mut app, "c");
    assert_eq!(balancer(&app).config.health.interval_s, 10.0);
    assert_eq!(balancer(&app).config.health.unhealthy, 3);
    press(&mut app, "c c");
    assert_eq!(balancer(&app).config.health.interval_s, 0.0, "then off");
    press(&mut app, "u");
    assert_eq!(balancer(&app).config.health.interval_s, 30.0, "u undoes the last");
}

#[test]
fn an_unstable_setting_says_so() {
    let mut app = open("balancer", 80, 24);
    assert!(!draw(&mut app, 80, 24).contains("unstable"));
    press(&mut app, "+ +");
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("unstable (λ ≥ C·μ)"), "30 req/s on 3 × 10:\n{screen}");
}

#[test]
fn clicking_a_column_selects_that_server() {
    let mut app = open("balancer", 120, 40);
    let screen = draw(&mut app, 120, 40);
    let (row, line) = screen
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("s3") && l.contains("s1"))
        .expect("the name row");
    let x = line.trim_matches('"').split("s3").next().unwrap().chars().count() as u16;
    update(
        &mut app,
        Msg::Mouse(crossterm::event::MouseEvent {
            kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
            column: x,
            row: row as u16,
            modifiers: crossterm::event::KeyModifiers::NONE,
        }),
    );
    let Screen::Lab(v) = app.screen() else { panic!() };
    assert_eq!(v.pane.selected, 2);
}

#[test]
fn autoscale_keys_do_what_they_say() {
    let mut app = open("autoscale", 120, 40);
    press(&mut app, "o");
    assert_eq!(autoscaler(&app).config.policy, ScalingPolicy::Target(70.0));
    press(&mut app, "o");
    assert_eq!(
        autoscaler(&app).config.policy,
        ScalingPolicy::Step(vec![(70.0, 1), (80.0, 2), (90.0, 5)])
    );
    press(&mut app, "o o");
    assert_eq!(autoscaler(&app).config.policy, ScalingPolicy::Target(60.0));
    press(&mut app, "c");
    assert_eq!(autoscaler(&app).config.curve, Curve::Daily);
    press(&mut app, "c");
    assert_eq!(autoscaler(&app).config.curve, Curve::BlackFriday);
    press(&mut app, "f");
    let a = autoscaler(&app);
    assert_eq!(a.load_now(), 3.0 * a.config.curve.rate(a.time_s()), "f triples traffic");
    press(&mut app, "P");
    let s = &autoscaler(&app).config.schedule;
    assert_eq!(
        (s.len(), s[0].at_s, s[0].min, s[1].at_s, s[1].min),
        (2, 27_000, Some(150), 43_200, Some(2))
    );
    press(&mut app, "+");
    assert_eq!(autoscaler(&app).desired(), 7);
    press(&mut app, "- -");
    assert_eq!(autoscaler(&app).desired(), 2, "never below min");
    press(&mut app, "W");
    assert_eq!(autoscaler(&app).config.warmup_s, 300);
    // One . at ×1 is a simulated minute: the clock's scale for a day-long story.
    press(&mut app, ".");
    assert_eq!(autoscaler(&app).time_s(), 60);
    press(&mut app, "] ] ] ] ] ] . . . . . . . .");
    assert!(autoscaler(&app).time_s() > 7 * 3600 + 1800);
    press(&mut app, "P");
    let Screen::Lab(v) = app.screen() else { panic!() };
    assert!(
        v.pane
            .message
            .as_deref()
            .is_some_and(|m| m.contains("07:30 has passed")),
        "{:?}",
        v.pane.message
    );
    assert_eq!(autoscaler(&app).config.schedule.len(), 2, "refused: nothing scheduled");
}

#[test]
fn scrubbing_back_and_forward_returns_to_the_same_state() {
    let mut app = open("autoscale", 120, 40);
    press(&mut app, "c c ] ] ] ] . . . . . .");
    let before = autoscaler(&app).summary();
    press(&mut app, "< < < > > >");
    assert_eq!(autoscaler(&app).summary(), before);
    let mut app = open("balancer", 120, 40);
    press(&mut app, "] ] ] . <right> x . . .");
    let before = balancer(&app).metrics();
    press(&mut app, "< < < < > > > >");
    assert_eq!(balancer(&app).metrics(), before);
}

#[test]
fn small_panes_do_not_panic() {
    for id in ["balancer", "autoscale"] {
        let mut app = open(id, 120, 40);
        press(&mut app, "a ] ] ] . . f .");
        for (w, h) in [(1, 1), (10, 4), (24, 8), (40, 12), (60, 16), (80, 24), (200, 60)] {
            draw(&mut app, w, h);
        }
    }
}

#[test]
fn many_servers_keep_the_selected_one_on_screen() {
    let mut app = open("balancer", 80, 24);
    press(&mut app, &"a ".repeat(12));
    press(&mut app, &"<right> ".repeat(14));
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("›s15"), "{screen}");
    assert!(screen.contains("/15"), "says how many there are:\n{screen}");
}

/// The dots on the servers are the last six requests: round robin over three servers gives each
/// two; a crashed server keeps taking them until the health check ejects it, then none.
#[test]
fn request_dots_follow_the_traffic() {
    let mut app = open("balancer", 120, 40);
    press(&mut app, ". . . . . . . . . .");
    let b = balancer(&app);
    let names: Vec<String> = b.metrics().per_server.iter().map(|s| s.name.clone()).collect();
    let dots: Vec<usize> = names.iter().map(|n| b.recently_routed_to(n)).collect();
    assert_eq!(dots.iter().sum::<usize>(), sdlab::engines::balancer::RECENT_ROUTED);
    assert!(dots.iter().all(|&d| d == 2), "round robin spreads evenly: {dots:?}");
    press(&mut app, "x");
    let crashed = balancer(&app)
        .metrics()
        .per_server
        .iter()
        .find(|s| !s.up)
        .map(|s| s.name.clone())
        .expect("x crashed the selected server");
    press(&mut app, ". . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . .");
    let b = balancer(&app);
    let out = b
        .metrics()
        .per_server
        .iter()
        .any(|s| s.name == crashed && !s.in_rotation);
    assert!(out, "the health check ejected {crashed}");
    assert_eq!(
        b.recently_routed_to(&crashed),
        0,
        "no request goes to an ejected server"
    );
}
