//! Snapshots of every screen through ratatui's TestBackend, at 80×24 and 120×40.

mod common;

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use sdlab::tui::app::{press, App, Overlay};
use sdlab::tui::{update, view::view, Msg};

fn draw(app: &mut App, width: u16, height: u16) -> String {
    update(app, Msg::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(app, f)).unwrap();
    terminal.backend().to_string()
}

fn both_sizes(name: &str, keys: &str) {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = common::app();
        update(&mut app, Msg::Resize(w, h));
        press(&mut app, keys);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), draw(&mut app, w, h));
    }
}

#[test]
fn home() {
    both_sizes("home", "");
}

#[test]
fn glossary_with_a_query() {
    both_sizes("glossary_quorm", "g quorm");
}

#[test]
fn a_term() {
    both_sizes("term_quorum", "g quorum <enter> <tab>");
}

#[test]
fn a_lesson_step() {
    both_sizes("lesson_step", ": why shard <enter> n");
}

#[test]
fn lesson_list() {
    both_sizes("lessons", "l");
}

#[test]
fn help_overlay() {
    both_sizes("help_home", "?");
}

#[test]
fn finder() {
    both_sizes("finder", "<c-p> leader");
}

#[test]
fn too_small_notice() {
    let mut app = common::app();
    insta::assert_snapshot!("too_small_59x17", draw(&mut app, 59, 17));
    let mut app = common::app();
    press(&mut app, "g quorum <enter>");
    for (w, h) in [(1, 1), (10, 3), (59, 30), (200, 17)] {
        let screen = draw(&mut app, w, h);
        assert!(w < 20 || screen.contains("too small"), "{w}x{h}:\n{screen}");
    }
}

#[test]
fn one_lesson_step_per_module_fits_80x24() {
    let mut app = common::app();
    let ids: Vec<String> = app
        .content
        .modules
        .iter()
        .map(|m| app.content.lessons[m.lessons[0]].id.clone())
        .collect();
    for id in ids {
        let mut app = common::app();
        let li = app.content.lesson_idx(&id).unwrap();
        app.open_lesson(li);
        insta::assert_snapshot!(format!("module_step_{}", id.replace('/', "_")), draw(&mut app, 80, 24));
    }
    // Every step of every lesson renders within 80 columns without panicking.
    for li in 0..app.content.lessons.len() {
        app.open_lesson(li);
        for _ in 0..app.content.lessons[li].step_count() {
            draw(&mut app, 80, 24);
            press(&mut app, "n");
        }
        press(&mut app, "<esc>");
    }
}

#[test]
fn quiz_question_feedback_and_summary() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = common::app();
        app.clock = common::fixed_now;
        update(&mut app, Msg::Resize(w, h));
        press(&mut app, "t");
        insta::assert_snapshot!(format!("quiz_setup_{w}x{h}"), draw(&mut app, w, h));
        press(&mut app, "<enter>");
        insta::assert_snapshot!(format!("quiz_question_{w}x{h}"), draw(&mut app, w, h));
        common::answer(&mut app, false);
        insta::assert_snapshot!(format!("quiz_feedback_{w}x{h}"), draw(&mut app, w, h));
        press(&mut app, "<enter>");
        common::answer(&mut app, true);
        press(&mut app, "<esc>");
        insta::assert_snapshot!(format!("quiz_summary_{w}x{h}"), draw(&mut app, w, h));
    }
}

/// The screens issue 9 changed: an estimate's error under the kept input, a design answer above
/// the key points being ticked, feedback after the learner changed the grade, and a summary of
/// missed questions scrolled to the last one.
#[test]
fn quiz_estimate_recall_regrade_and_missed_summary() {
    use sdlab::quiz::Selection;
    use sdlab::tui::app::Cmd;
    let first_of = |app: &App, kind: &str| {
        app.content
            .questions
            .iter()
            .find(|q| q.kind.name() == kind)
            .unwrap()
            .id
            .clone()
    };
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = common::app();
        app.clock = common::fixed_now;
        update(&mut app, Msg::Resize(w, h));
        let ids = vec![first_of(&app, "estimate"), first_of(&app, "design prompt")];
        app.apply(Cmd::Quiz(Selection::Questions(ids)));
        press(&mut app, "12,34 <enter>");
        insta::assert_snapshot!(format!("quiz_estimate_error_{w}x{h}"), draw(&mut app, w, h));
        press(&mut app, "<bs> <bs> <bs> <bs> <bs> 2.8k <enter> 2");
        insta::assert_snapshot!(format!("quiz_regraded_{w}x{h}"), draw(&mut app, w, h));
        press(&mut app, "<enter>");
        press(
            &mut app,
            "Shard <space> posts <space> by <space> user <space> id, <space> replicate <space> each <space> shard \
             <space> three <space> ways <space> and <space> keep <space> a <space> cache <space> of <space> hot \
             <space> timelines <space> in <space> front. <c-j> Fan <space> out <space> on <space> write.",
        );
        press(&mut app, "<enter> 1 <down> <down>");
        insta::assert_snapshot!(format!("quiz_recall_ticking_{w}x{h}"), draw(&mut app, w, h));

        let mut app = common::app();
        app.clock = common::fixed_now;
        update(&mut app, Msg::Resize(w, h));
        press(&mut app, "t <enter>");
        for _ in 0..10 {
            common::answer(&mut app, false);
            press(&mut app, "<enter>");
        }
        press(&mut app, &"<down> ".repeat(9));
        insta::assert_snapshot!(format!("quiz_summary_missed_{w}x{h}"), draw(&mut app, w, h));
    }
}

#[test]
fn ring_lab_and_a_lesson_with_its_lab() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = common::app();
        update(&mut app, Msg::Resize(w, h));
        press(&mut app, "b <enter> a / 42 <enter>");
        insta::assert_snapshot!(format!("lab_ring_{w}x{h}"), draw(&mut app, w, h));
        let mut app = common::app();
        update(&mut app, Msg::Resize(w, h));
        let li = app.content.lesson_idx("sharding/09-virtual-nodes").unwrap();
        app.open_lesson(li);
        press(&mut app, "v v v v v v v h");
        insta::assert_snapshot!(format!("lesson_with_lab_{w}x{h}"), draw(&mut app, w, h));
    }
}

#[test]
fn a_help_taller_than_the_screen_scrolls_to_the_lab_legend() {
    let mut app = common::app();
    press(&mut app, "b <enter> ?");
    let first = draw(&mut app, 80, 24);
    assert!(first.contains("more ┘"), "says more rows wait below:\n{first}");
    assert!(!first.contains("What the lab shows"));
    press(&mut app, "<pgdn>");
    let scrolled = draw(&mut app, 80, 24);
    assert!(scrolled.contains("What the lab shows"), "{scrolled}");
    assert!(scrolled.contains("max/mean"));
    press(&mut app, "x");
    assert!(matches!(app.overlay, Overlay::None), "any other key closes it");
}

/// Every size from the smallest allowed up to a wide terminal draws the lab screens whole: no
/// panic, and the goal panel and lab pane both visible (resizing is just a redraw at a new size).
#[test]
fn lab_screens_draw_at_every_size() {
    let mut app = common::app();
    let li = app.content.lesson_idx("sharding/09-virtual-nodes").unwrap();
    app.open_lesson(li);
    press(&mut app, "v h h");
    for w in (60..=140).step_by(3) {
        for h in (18..=48).step_by(5) {
            let screen = draw(&mut app, w, h);
            assert!(screen.contains("Goals"), "{w}x{h}:\n{screen}");
            assert!(screen.contains("Sharding ring"), "{w}x{h}:\n{screen}");
        }
    }
    let mut app = common::app();
    press(&mut app, "b <enter> K K");
    for w in (60..=140).step_by(3) {
        for h in (18..=48).step_by(5) {
            let screen = draw(&mut app, w, h);
            assert!(screen.contains("max/mean"), "{w}x{h}:\n{screen}");
        }
    }
}

/// Every screen at every size, from far below the minimum to a wide terminal: never a panic;
/// below 60×18 the "too small" notice, above it the screen itself.
#[test]
fn every_screen_draws_at_every_size() {
    let screens = [
        "",
        "g quorm",
        "g quorm <enter>",
        "l",
        "l <enter>",
        "t",
        "t <enter>",
        "b",
        ":",
        "?",
    ];
    for keys in screens {
        let mut app = common::app();
        press(&mut app, keys);
        for w in (10..=140).step_by(13) {
            for h in (4..=48).step_by(4) {
                let screen = draw(&mut app, w, h);
                if w < 60 || h < 18 {
                    assert!(screen.contains("too small"), "{keys:?} at {w}x{h}:\n{screen}");
                } else {
                    assert!(screen.starts_with("\" sdlab"), "{keys:?} at {w}x{h}:\n{screen}");
                }
            }
        }
    }
}

/// A click on a node's row in the load chart selects that node, whether the chart's header
/// takes one line (wide) or two (narrow).
#[test]
fn clicking_a_load_bar_selects_its_node() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = common::app();
        press(&mut app, "b <enter>");
        let screen = draw(&mut app, w, h);
        let (row, line) = screen
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(" n3 █"))
            .expect("n3's bar on screen");
        let column = line.chars().position(|c| c == '█').unwrap() as u16;
        update(
            &mut app,
            Msg::Mouse(MouseEvent {
                kind: MouseEventKind::Down(MouseButton::Left),
                column,
                row: row as u16,
                modifiers: KeyModifiers::NONE,
            }),
        );
        let screen = draw(&mut app, w, h);
        assert!(screen.contains("›n3 █"), "{w}x{h}: n3 selected:\n{screen}");
    }
}

#[test]
fn the_glossary_says_when_no_term_is_named_and_lists_the_mentions() {
    let mut app = common::app();
    let word = common::mentioned_word(&app.content);
    press(&mut app, &format!("g {word}"));
    let screen = draw(&mut app, 80, 24);
    assert!(
        screen.contains(&format!("No term named \"{word}\". Mentioned in:")),
        "{screen}"
    );
    assert!(screen.contains(" 0 of "), "{screen}");
    let mut app = common::app();
    press(&mut app, "g zzzzqqqq");
    let screen = draw(&mut app, 80, 24);
    assert!(
        screen.contains("No term named \"zzzzqqqq\" or mentioning it"),
        "{screen}"
    );
}

/// The ring lab at 80×24 with more nodes than rows: the list follows the selection and says
/// how many nodes it hides; each node shows the keys it gained or lost in the last action.
#[test]
fn ring_lab_lists_ten_nodes_in_a_lesson_at_80x24() {
    let mut app = common::app();
    update(&mut app, Msg::Resize(80, 24));
    let li = app.content.lesson_idx("sharding/09-virtual-nodes").unwrap();
    app.open_lesson(li);
    press(&mut app, "a a a a a a <right> <right> <right> a");
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("↑ 2 more · ↓ 7 more"), "{screen}");
    assert!(screen.contains("›n4"), "the selected node is on screen:\n{screen}");
    assert!(screen.contains(" −"), "n4 lost keys to n11:\n{screen}");
    insta::assert_snapshot!("lab_ring_ten_nodes_lesson_80x24", screen);
}

/// Captions never run into each other at 80 columns, and a strategy that ignores a setting
/// says so under the bars.
#[test]
fn ring_lab_captions_and_ignored_settings_at_80x24() {
    let mut app = common::app();
    update(&mut app, Msg::Resize(80, 24));
    let li = app.content.lesson_idx("sharding/09-virtual-nodes").unwrap();
    app.open_lesson(li);
    press(&mut app, "s");
    let screen = draw(&mut app, 80, 24);
    assert!(!screen.contains("MD5)ketama"), "{screen}");
    assert!(
        screen.contains("│ketama · 640 points   ketama · 10,000 keys"),
        "{screen}"
    );
    assert!(screen.contains("ketama ignores vnodes: 40×4"), "{screen}");
    insta::assert_snapshot!("lab_ring_ketama_lesson_80x24", screen);
    press(&mut app, "s");
    let screen = draw(&mut app, 80, 24);
    assert!(
        screen.contains("jump ignores") && screen.contains("weights and vnodes"),
        "{screen}"
    );
}

#[test]
fn the_lesson_list_marks_lessons_with_a_lab() {
    let mut app = common::app();
    let lab = app
        .content
        .lessons
        .iter()
        .position(|l| l.lab.is_some())
        .expect("a lesson with a lab");
    let module = app.content.module_idx(&app.content.lessons[lab].module).unwrap();
    app.open_lessons(Some(module));
    // Down to the lab lesson, so the window shows it and the module's lessons before it.
    let at = app.content.modules[module]
        .lessons
        .iter()
        .position(|&l| l == lab)
        .unwrap();
    update(&mut app, Msg::Resize(120, 40));
    press(&mut app, &"<down> ".repeat(at));
    let screen = draw(&mut app, 120, 40);
    let row = |title: &str| {
        screen
            .lines()
            .find(|l| l.contains(title))
            .unwrap_or_else(|| panic!("{title} not on screen:\n{screen}"))
            .to_string()
    };
    let with = row(&app.content.lessons[lab].title);
    assert!(with.contains(" lab "), "{with}");
    let without = app.content.modules[module]
        .lessons
        .iter()
        .map(|&l| &app.content.lessons[l])
        .find(|l| l.lab.is_none())
        .map(|l| row(&l.title));
    if let Some(without) = without {
        assert!(!without.contains(" lab "), "{without}");
    }
}

/// Geo sharding shows each node's region beside its bar.
#[test]
fn ring_lab_geo_shows_regions() {
    let mut app = common::app();
    update(&mut app, Msg::Resize(120, 40));
    press(&mut app, "b <enter> s s s s s");
    let screen = draw(&mut app, 120, 40);
    assert!(screen.contains("geo · 10,000 keys"), "{screen}");
    for (node, region) in [("n1", "na"), ("n2", "eu"), ("n3", "apac"), ("n4", "sa")] {
        assert!(
            screen
                .lines()
                .any(|l| l.contains(&format!("{node} █")) && l.contains(&format!("w1 {region} "))),
            "{node} in {region}:\n{screen}"
        );
    }
    insta::assert_snapshot!("lab_ring_geo_120x40", screen);
}

/// Keys at their limits say so instead of doing nothing.
#[test]
fn ring_lab_settings_at_their_limit_say_so() {
    let mut app = common::app();
    press(&mut app, "b <enter> K K K");
    assert!(draw(&mut app, 80, 24).contains("› keys 1,000,000 · already the maximum"));
    press(&mut app, "V V V V V V V V");
    assert!(draw(&mut app, 80, 24).contains("› vnodes 1000 · already the maximum"));
}

/// Beside a lesson's text the lab is a whole box, its right and bottom border included.
#[test]
fn lesson_lab_box_is_closed_at_160x48() {
    let mut app = common::app();
    update(&mut app, Msg::Resize(160, 48));
    let li = app.content.lesson_idx("sharding/09-virtual-nodes").unwrap();
    app.open_lesson(li);
    let screen = draw(&mut app, 160, 48);
    let lines: Vec<&str> = screen.lines().collect();
    let top = lines
        .iter()
        .position(|l| l.contains("┌ Sharding ring"))
        .expect("lab box");
    assert!(lines[top].contains("┐"), "top right corner:\n{screen}");
    assert!(
        lines
            .iter()
            .skip(top)
            .any(|l| l.contains("└") && l.matches('┘').count() == 1 && l.contains("┘│")),
        "bottom border:\n{screen}"
    );
    insta::assert_snapshot!("lesson_with_lab_160x48", screen);
}

/// Every footer ends with its help key, whatever the width: the keys that fit, then `? more`
/// when the help lists more (`? help` otherwise). Home's footer names the labs and the quiz.
#[test]
fn footers_keep_their_help_key_at_60x18() {
    let home = draw(&mut common::app(), 120, 40);
    let footer = home.lines().last().unwrap();
    assert!(footer.contains(" b labs ") && footer.contains(" t quiz "), "{footer}");
    for keys in ["", "l", "l <enter>", "g quorum <enter>", "b", "b <enter>", "t"] {
        let mut app = common::app();
        press(&mut app, keys);
        for (w, h) in [(60, 18), (80, 24), (200, 40)] {
            let screen = draw(&mut app, w, h);
            let footer = screen.lines().last().unwrap().trim_matches('"').trim_end();
            assert!(
                footer.ends_with("? more") || footer.ends_with("? help"),
                "{keys:?} at {w}x{h}: {footer:?}"
            );
        }
    }
    let mut app = common::app();
    let li = app.content.lesson_idx("sharding/09-virtual-nodes").unwrap();
    app.open_lesson(li);
    let screen = draw(&mut app, 60, 18);
    assert!(screen.lines().last().unwrap().contains("? more"), "{screen}");
}

/// The Labs screen scrolls to the selected lab on a short terminal and says how many it hides;
/// on a tall one every lab fits.
#[test]
fn the_labs_list_follows_the_selection_at_80x24() {
    let labs = sdlab::engines::lab::registry();
    let mut app = common::app();
    press(&mut app, "b");
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("› Sharding ring"), "{screen}");
    assert!(screen.contains("↓"), "the hidden labs are counted:\n{screen}");
    press(&mut app, &"<down> ".repeat(labs.len() - 1));
    let screen = draw(&mut app, 80, 24);
    let last = labs.last().unwrap().title;
    assert!(screen.contains(&format!("› {last}")), "{screen}");
    assert!(screen.contains("↓ 0 more"), "{screen}");
    let mut app = common::app();
    press(&mut app, "b");
    let screen = draw(&mut app, 120, 50);
    assert!(labs.iter().all(|l| screen.contains(l.title)), "{screen}");
    assert!(!screen.contains("more · ↓"), "{screen}");
}
