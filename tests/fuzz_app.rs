//! Random input never crashes the app: the real `App` driven by random keys, mouse events, ticks
//! and resizes from every screen, overlay and lab, drawn through TestBackend after every step.
//!
//! CI runs FUZZ_EVENTS_CI events in total; `SDLAB_FUZZ_EVENTS=1000000 cargo test --release
//! --test fuzz_app -- --nocapture` runs a million once. A failure prints the shrunk sequence.

mod common;

use std::fmt;
use std::sync::OnceLock;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use ratatui::backend::{Backend, TestBackend};
use ratatui::Terminal;
use sdlab::state::State;
use sdlab::tui::app::{press, update, App, Cmd, Msg, Overlay, Screen};
use sdlab::tui::home::Home;
use sdlab::tui::view::view;

/// Events per CI run over every start: about 70 s of CPU in a debug build, split between two
/// tests that run side by side.
const FUZZ_EVENTS_CI: usize = 52_000;
/// Longest random sequence after the start; the mean is half of it.
const MAX_LEN: usize = 120;

/// Where a sequence starts: a screen reached by keys, or a lab opened by id.
#[derive(Clone, Debug)]
enum Start {
    Keys(&'static str),
    /// The first lesson with a lab.
    LessonWithLab,
    Lab(&'static str),
}

/// Screens for reading and finding (fuzzed by one test).
fn reading_starts() -> Vec<Start> {
    vec![
        Start::Keys(""),
        Start::Keys("g"),
        Start::Keys("g quorum <enter>"),
        Start::Keys("l"),
        Start::Keys(":"),
        Start::Keys("?"),
    ]
}

/// The quiz and every lab (fuzzed by the other, so the two run side by side).
fn quiz_and_lab_starts() -> Vec<Start> {
    let mut s = vec![
        Start::Keys("t"),
        Start::Keys("t <enter>"),
        Start::Keys("b"),
        Start::LessonWithLab,
    ];
    // Every lab in the registry, so a new lab joins the fuzzing by being registered.
    s.extend(sdlab::engines::lab::registry().iter().map(|l| Start::Lab(l.id)));
    s
}

fn starts() -> Vec<Start> {
    reading_starts().into_iter().chain(quiz_and_lab_starts()).collect()
}

/// One input, printed compactly so a shrunk failure reads as a recipe.
#[derive(Clone, Copy)]
enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Tick,
    Resize(u16, u16),
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Key(k) => {
                let mods = if k.modifiers.is_empty() {
                    String::new()
                } else {
                    format!("{:?}+", k.modifiers)
                };
                let kind = if k.kind == KeyEventKind::Press {
                    String::new()
                } else {
                    format!(" ({:?})", k.kind)
                };
                write!(f, "key {mods}{:?}{kind}", k.code)
            }
            Event::Mouse(m) => write!(f, "mouse {:?} at {},{}", m.kind, m.column, m.row),
            Event::Tick => write!(f, "tick"),
            Event::Resize(w, h) => write!(f, "resize {w}x{h}"),
        }
    }
}

fn key_code() -> impl Strategy<Value = KeyCode> {
    prop_oneof![
        // Printable ASCII most often: it is what reaches every screen's own keys.
        8 => (0x20u8..0x7f).prop_map(|b| KeyCode::Char(char::from(b))),
        1 => any::<char>().prop_map(KeyCode::Char),
        1 => (1u8..=24).prop_map(KeyCode::F),
        6 => prop::sample::select(vec![
            KeyCode::Esc,
            KeyCode::Enter,
            KeyCode::Tab,
            KeyCode::BackTab,
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::Left,
            KeyCode::Right,
            KeyCode::PageUp,
            KeyCode::PageDown,
            KeyCode::Home,
            KeyCode::End,
            KeyCode::Backspace,
            KeyCode::Delete,
            KeyCode::Insert,
            KeyCode::Null,
            KeyCode::CapsLock,
        ]),
    ]
}

fn modifiers() -> impl Strategy<Value = KeyModifiers> {
    prop_oneof![
        12 => Just(KeyModifiers::NONE),
        2 => Just(KeyModifiers::SHIFT),
        2 => Just(KeyModifiers::CONTROL),
        2 => Just(KeyModifiers::ALT),
        1 => (0u8..=0xff).prop_map(KeyModifiers::from_bits_truncate),
    ]
}

fn key() -> impl Strategy<Value = KeyEvent> {
    let kind = prop_oneof![
        20 => Just(KeyEventKind::Press),
        1 => Just(KeyEventKind::Repeat),
        1 => Just(KeyEventKind::Release),
    ];
    (key_code(), modifiers(), kind).prop_map(|(code, mods, kind)| KeyEvent::new_with_kind(code, mods, kind))
}

fn mouse() -> impl Strategy<Value = MouseEvent> {
    let button = prop::sample::select(vec![MouseButton::Left, MouseButton::Right, MouseButton::Middle]);
    let kind = prop_oneof![
        4 => button.clone().prop_map(MouseEventKind::Down),
        1 => button.clone().prop_map(MouseEventKind::Up),
        1 => button.prop_map(MouseEventKind::Drag),
        1 => Just(MouseEventKind::Moved),
        3 => Just(MouseEventKind::ScrollDown),
        3 => Just(MouseEventKind::ScrollUp),
        1 => Just(MouseEventKind::ScrollLeft),
        1 => Just(MouseEventKind::ScrollRight),
    ];
    // Anywhere, including past the edge of the terminal (a resize can race a click).
    (kind, 0u16..260, 0u16..90, modifiers()).prop_map(|(kind, column, row, modifiers)| MouseEvent {
        kind,
        column,
        row,
        modifiers,
    })
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        30 => key().prop_map(Event::Key),
        6 => mouse().prop_map(Event::Mouse),
        3 => Just(Event::Tick),
        // Mostly sizes where the screens draw; sometimes anything down to 1×1.
        2 => (60u16..=250, 18u16..=80).prop_map(|(w, h)| Event::Resize(w, h)),
        1 => (1u16..=250, 1u16..=80).prop_map(|(w, h)| Event::Resize(w, h)),
    ]
}

/// SDLAB_HOME for every fuzzed app: where `w` writes scenarios.
fn home() -> &'static std::path::Path {
    static HOME: OnceLock<tempfile::TempDir> = OnceLock::new();
    HOME.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        // Set once, before any app exists; every test in this file uses the same directory.
        std::env::set_var("SDLAB_HOME", dir.path());
        dir
    })
    .path()
}

/// A fresh app, as the binary starts it, saving its progress in `dir` (one per test, as
/// tests run side by side).
fn new_app(dir: &std::path::Path) -> App {
    home();
    let mut app = common::app_with_store(dir);
    app.clock = common::fixed_now;
    app
}

/// Puts an app back to how the binary starts it, without rebuilding its content and search
/// indexes (half a second in a debug build, which would be most of the fuzzing time).
fn restart(app: &mut App) {
    app.stack = vec![Screen::Home(Home::default())];
    app.overlay = Overlay::None;
    app.state = State::default();
    app.notice = None;
    app.quit = false;
}

/// Opens the start screen on a fresh app of this size.
fn go_to(app: &mut App, start: &Start, size: (u16, u16)) {
    restart(app);
    update(app, Msg::Resize(size.0, size.1));
    match start {
        Start::Keys(keys) => press(app, keys),
        Start::LessonWithLab => {
            let li = app
                .content
                .lessons
                .iter()
                .position(|l| l.lab.is_some())
                .expect("a lesson with a lab");
            app.open_lesson(li);
        }
        Start::Lab(id) => app.apply(Cmd::OpenLab(id.to_string())),
    }
}

/// The keys of the lab on screen, if one shows a keyspace.
fn lab_keys(app: &App) -> Option<u64> {
    let pane = match app.screen() {
        Screen::Lab(s) => &s.pane,
        Screen::Lesson(s) => s.pane.as_ref()?,
        _ => return None,
    };
    pane.lab.metrics().get("keys")?.as_u64()
}

/// In an unoptimised build each action on a million keys takes seconds, so there `K` stops at
/// DEBUG_MAX_KEYS; an optimised run (`--release`) presses every K it draws.
const DEBUG_MAX_KEYS: u64 = 10_000;

fn skipped(app: &App, e: &Event) -> bool {
    cfg!(debug_assertions)
        && matches!(e, Event::Key(k) if k.code == KeyCode::Char('K'))
        && lab_keys(app).is_some_and(|k| k >= DEBUG_MAX_KEYS)
}

fn draw(terminal: &mut Terminal<TestBackend>, app: &App) {
    let (w, h) = app.size;
    if terminal.backend().size().map(|s| (s.width, s.height)).ok() != Some((w, h)) {
        *terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    }
    terminal.draw(|f| view(app, f)).unwrap();
}

/// Plays `events` from `start`, drawing after each one; returns how many were played. Panics
/// propagate to the runner.
fn play(app: &mut App, start: &Start, size: (u16, u16), events: &[Event]) -> usize {
    go_to(app, start, size);
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    draw(&mut terminal, app);
    let mut played = 1;
    for e in events {
        if skipped(app, e) {
            continue;
        }
        let msg = match *e {
            Event::Key(k) => Msg::Key(k),
            Event::Mouse(m) => Msg::Mouse(m),
            Event::Tick => Msg::Tick,
            Event::Resize(w, h) => Msg::Resize(w, h),
        };
        update(app, msg);
        // The real loop ends here; the model is still whole, so keep exploring from it.
        app.quit = false;
        draw(&mut terminal, app);
        played += 1;
    }
    played
}

fn total_events() -> usize {
    std::env::var("SDLAB_FUZZ_EVENTS")
        .ok()
        .and_then(|v| v.replace(['_', ','], "").parse().ok())
        .unwrap_or(FUZZ_EVENTS_CI)
}

/// `SDLAB_FUZZ_SEED=N` explores other sequences than CI's.
fn seed() -> u64 {
    std::env::var("SDLAB_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
}

/// Fuzzes from each of `these` starts (its share of the total events each); returns the
/// events played.
fn fuzz(these: &[Start]) -> usize {
    let started = std::time::Instant::now();
    let all = starts();
    let per_start = total_events().div_ceil(all.len());
    let mean_len = MAX_LEN / 2 + 1;
    let cases = u32::try_from(per_start.div_ceil(mean_len)).unwrap_or(u32::MAX).max(1);
    let dir = tempfile::tempdir().unwrap();
    // The runner takes a `Fn`: the app and the count live in cells.
    let app = std::cell::RefCell::new(new_app(dir.path()));
    let played = std::cell::Cell::new(0usize);
    for start in these {
        let index = all
            .iter()
            .position(|s| format!("{s:?}") == format!("{start:?}"))
            .unwrap_or(0);
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            // A fixed seed per start: CI runs the same sequences every time, and a failure
            // reproduces by running the test again (SDLAB_FUZZ_SEED explores others).
            rng_seed: RngSeed::Fixed(seed() + index as u64),
            ..Config::default()
        });
        let size = (60u16..=250, 18u16..=80);
        let strategy = (size, prop::collection::vec(event(), 0..=MAX_LEN));
        let result = runner.run(&strategy, |((w, h), events)| {
            played.set(played.get() + play(&mut app.borrow_mut(), start, (w, h), &events));
            Ok::<(), TestCaseError>(())
        });
        if let Err(e) = result {
            match e {
                TestError::Fail(why, ((w, h), events)) => panic!(
                    "from {start:?} at {w}x{h}, these {} events crash the app ({why}):\n{events:#?}",
                    events.len()
                ),
                TestError::Abort(why) => panic!("fuzzing from {start:?} aborted: {why}"),
            }
        }
    }
    let played = played.get();
    eprintln!(
        "fuzzed {played} events from {} starts in {:.1} s",
        these.len(),
        started.elapsed().as_secs_f64()
    );
    // Skipped K presses (debug builds) aside, every drawn event was played.
    assert!(played >= per_start * these.len() * 9 / 10, "ran only {played} events");
    played
}

#[test]
fn random_input_never_crashes_the_reading_screens() {
    fuzz(&reading_starts());
}

#[test]
fn random_input_never_crashes_the_quiz_or_a_lab() {
    fuzz(&quiz_and_lab_starts());
}

/// Help open, terminal narrowed below 40 columns, then ↓: the help's width was clamped to 40
/// inside a narrower screen (`min > max`).
#[test]
fn help_scrolls_on_a_terminal_narrower_than_40_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(dir.path());
    for start in starts() {
        for (w, h) in [(39, 24), (20, 5), (1, 1), (0, 0)] {
            go_to(&mut app, &start, (120, 40));
            press(&mut app, "?");
            update(&mut app, Msg::Resize(w, h));
            press(&mut app, "<down> <pgdn> <up>");
            let mut terminal = Terminal::new(TestBackend::new(w.max(1), h.max(1))).unwrap();
            draw(&mut terminal, &app);
        }
    }
}
