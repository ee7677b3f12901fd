//! The lab framework's clock for engines that evolve in time, driven through a small timed
//! engine: run, pause, single-step, speed and the time scrubber, all as replay of one log.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sdlab::engines::lab::{Engine, Session};
use sdlab::tui::lab::{LabPane, TICK_MS};

/// A tank that fills at `rate` litres per second and can be drained.
struct Tank {
    now_ms: u64,
    litres: f64,
    rate: f64,
}

impl Engine for Tank {
    type Config = TankConfig;
    const TIMED: bool = true;

    fn build(config: &TankConfig) -> Result<Tank, String> {
        Ok(Tank {
            now_ms: 0,
            litres: 0.0,
            rate: config.rate,
        })
    }

    fn apply_text(&mut self, action: &str) -> Result<(), String> {
        match action {
            "drain" => {
                self.litres = 0.0;
                Ok(())
            }
            other => Err(format!("unknown action {other:?}")),
        }
    }

    fn tick(&mut self, ms: u64) {
        self.now_ms += ms;
        self.litres += self.rate * ms as f64 / 1000.0;
    }

    fn now_ms(&self) -> u64 {
        self.now_ms
    }

    fn metrics_json(&self) -> serde_json::Value {
        serde_json::json!({ "now_ms": self.now_ms, "litres": self.litres })
    }

    fn checkpoint(&self) -> Option<Tank> {
        Some(Tank { ..*self })
    }

    fn series(&self) -> Vec<(&'static str, f64)> {
        vec![("litres", self.litres)]
    }
}

#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
struct TankConfig {
    rate: f64,
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn pane() -> LabPane {
    LabPane::from_lab(Box::new(
        Session::<Tank>::new("tank", TankConfig { rate: 2.0 }).unwrap(),
    ))
}

fn litres(p: &LabPane) -> f64 {
    p.lab.metrics()["litres"].as_f64().unwrap()
}

#[test]
fn ticks_advance_only_while_running() {
    let mut p = pane();
    assert!(!p.tick(), "paused at start");
    assert_eq!(p.lab.now_ms(), 0);
    p.on_key(key(' '));
    assert!(p.running());
    for _ in 0..5 {
        assert!(p.tick());
    }
    assert_eq!(p.lab.now_ms(), 5 * TICK_MS);
    assert!((litres(&p) - 1.0).abs() < 1e-9, "2 l/s for 0.5 s");
    p.on_key(key(' '));
    assert!(!p.tick());
    assert_eq!(p.lab.now_ms(), 5 * TICK_MS);
}

#[test]
fn single_step_and_speed() {
    let mut p = pane();
    p.on_key(key('.'));
    assert_eq!(p.lab.now_ms(), TICK_MS);
    p.on_key(key(']'));
    p.on_key(key(']'));
    p.on_key(key(' '));
    p.tick();
    assert_eq!(p.lab.now_ms(), TICK_MS + 4 * TICK_MS, "×4 speed");
    p.on_key(key('['));
    p.tick();
    assert_eq!(p.lab.now_ms(), 7 * TICK_MS, "×2 speed");
}

#[test]
fn the_scrubber_replays_back_and_forward_and_a_new_action_forks_history() {
    let mut p = pane();
    p.on_key(key(' '));
    for _ in 0..4 {
        p.tick();
    }
    p.lab.apply("drain").unwrap();
    p.tick();
    assert!((litres(&p) - 0.2).abs() < 1e-9);
    p.on_key(key('<'));
    p.on_key(key('<'));
    assert!(!p.running(), "scrubbing pauses");
    assert_eq!(p.lab.now_ms(), 4 * TICK_MS);
    assert!((litres(&p) - 0.8).abs() < 1e-9, "before the drain");
    assert_eq!(p.lab.scrub(0), (4, 6));
    p.on_key(key('>'));
    assert!(litres(&p).abs() < 1e-9, "the drain again");
    p.on_key(key('.'));
    assert_eq!(p.lab.scrub(0), (6, 6), "stepping forked a new history");
    assert_eq!(p.lab.log().last().map(String::as_str), Some("tick 100"));
}

#[test]
fn untimed_labs_refuse_ticks_and_ignore_clock_keys() {
    let mut ring = LabPane::new("ring", None).unwrap();
    assert!(!ring.lab.timed());
    assert!(ring.lab.apply("tick 100").is_err());
    ring.on_key(key(' '));
    assert!(!ring.running());
}

#[test]
fn speed_is_a_log_scale_from_a_quarter_to_sixty_four() {
    let mut p = pane();
    for _ in 0..10 {
        p.on_key(key('['));
    }
    assert_eq!(p.clock.tick_ms(), TICK_MS / 4, "×¼ is the slowest");
    assert_eq!(p.clock.speed_label(), "×¼");
    for _ in 0..20 {
        p.on_key(key(']'));
    }
    assert_eq!(p.clock.tick_ms(), TICK_MS * 64, "×64 is the fastest");
    assert!(p.message.as_deref().unwrap_or("").contains("fastest"));
}

#[test]
fn scrubbing_a_long_run_lands_on_the_same_state_as_a_full_replay() {
    // Hundreds of actions: the session resumes from checkpoints, and every position it scrubs
    // to must equal replaying the log from the start.
    let mut p = pane();
    for i in 0..300 {
        if i % 37 == 0 {
            p.lab.apply("drain").unwrap();
        } else {
            p.lab.apply(&format!("tick {}", 10 + i % 7)).unwrap();
        }
    }
    let log: Vec<String> = p.lab.log().to_vec();
    for back in [1usize, 5, 31, 32, 33, 100, 250] {
        let (at, total) = p.lab.scrub(-(back as isize));
        assert_eq!(total, 300);
        let mut fresh = pane();
        for a in &log[..at] {
            fresh.lab.apply(a).unwrap();
        }
        assert_eq!(p.lab.metrics(), fresh.lab.metrics(), "at {at}");
        p.lab.scrub(300);
    }
}

#[test]
fn reset_is_undone_by_one_undo_and_samples_follow_the_history() {
    let mut p = pane();
    for _ in 0..3 {
        p.on_key(key('.'));
    }
    let before = p.lab.metrics();
    p.on_key(key('r'));
    assert_eq!(p.lab.now_ms(), 0);
    assert!(p.message.as_deref().unwrap_or("").contains("u brings it all back"));
    p.on_key(key('u'));
    assert_eq!(p.lab.metrics(), before, "undo after reset restores the run");
    assert_eq!(p.lab.log().len(), 3);
}

#[test]
fn saved_scenarios_merge_runs_of_ticks() {
    let mut p = pane();
    for _ in 0..5 {
        p.lab.apply("tick 100").unwrap();
    }
    p.lab.apply("drain").unwrap();
    p.lab.apply("tick 50").unwrap();
    let text = p.lab.scenario();
    assert!(text.contains("\"tick 500\""), "{text}");
    assert!(text.contains("\"tick 50\""), "{text}");
}
