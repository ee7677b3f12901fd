//! The app driven headless by key macros, the way a learner drives it.

mod common;

use sdlab::search::Target;
use sdlab::tui::app::{press, Overlay, Screen};

#[test]
fn glossary_search_open_follow_and_back() {
    let mut app = common::app();
    press(&mut app, "g quorm");
    let Screen::Glossary(g) = app.screen() else {
        panic!("glossary")
    };
    let Target::Term(first) = g.hits[0].target else {
        panic!()
    };
    assert_eq!(app.content.terms[first].name, "Quorum");
    press(&mut app, "<enter>");
    let Screen::Term(t) = app.screen() else {
        panic!("term view")
    };
    assert_eq!(app.content.terms[t.current].name, "Quorum");
    press(&mut app, "<tab> <enter>");
    let Screen::Term(t) = app.screen() else {
        panic!("term view")
    };
    assert_ne!(app.content.terms[t.current].name, "Quorum", "followed a link");
    assert_eq!(t.history.len(), 1);
    press(&mut app, "<bs>");
    let Screen::Term(t) = app.screen() else {
        panic!("term view")
    };
    assert_eq!(app.content.terms[t.current].name, "Quorum");
    press(&mut app, "<esc>");
    assert!(matches!(app.screen(), Screen::Glossary(_)));
    press(&mut app, "<esc>");
    let Screen::Glossary(g) = app.screen() else {
        panic!("glossary")
    };
    assert!(g.query.is_empty(), "first Esc clears the query");
    press(&mut app, "<esc>");
    assert!(matches!(app.screen(), Screen::Home(_)));
    assert!(!app.quit, "Esc never quits");
    press(&mut app, "<esc> q");
    assert!(app.quit, "q on home quits");
}

#[test]
fn a_text_field_takes_every_printable_key() {
    let mut app = common::app();
    press(&mut app, "g q?gl:");
    let Screen::Glossary(g) = app.screen() else {
        panic!("glossary")
    };
    assert_eq!(g.query, "q?gl:");
    assert!(!app.quit);
    assert!(matches!(app.overlay, Overlay::None));
}

#[test]
fn lessons_step_through_and_progress_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app_with_store(dir.path());
    press(&mut app, "l <enter>");
    let Screen::Lesson(view) = app.screen() else {
        panic!("lesson")
    };
    let lesson = app.content.lessons[view.lesson].clone();
    assert_eq!(lesson.id, app.content.lessons[0].id);
    press(&mut app, "n n");
    assert_eq!(app.state.progress(&lesson.id).step, 2);
    press(&mut app, "p");
    assert_eq!(app.state.progress(&lesson.id).step, 1);
    for _ in 0..lesson.step_count() {
        press(&mut app, "n");
    }
    assert!(app.state.progress(&lesson.id).completed);
    let Screen::Lesson(view) = app.screen() else {
        panic!("lesson")
    };
    assert!(!view.revealed);
    press(&mut app, "a");
    let Screen::Lesson(view) = app.screen() else {
        panic!("lesson")
    };
    assert!(view.revealed, "answers revealed on the check step");

    // A new session continues where this one stopped.
    let mut again = common::app_with_store(dir.path());
    assert_eq!(again.state.last_lesson.as_deref(), Some(lesson.id.as_str()));
    press(&mut again, "c");
    let Screen::Lesson(view) = again.screen() else {
        panic!("continue opens the lesson")
    };
    assert_eq!(view.step, lesson.step_count() - 1);

    // Reset from the lesson list.
    press(&mut again, "<esc> l r y");
    assert!(!again.state.lessons.contains_key(&lesson.id));
    let saved = std::fs::read_to_string(dir.path().join("state.toml")).unwrap();
    assert!(!saved.contains(&lesson.id));
}

#[test]
fn reset_all_needs_confirmation() {
    let mut app = common::app();
    press(&mut app, "l <enter> n <esc> R x");
    assert!(!app.state.lessons.is_empty(), "any key but y cancels");
    press(&mut app, "R y");
    assert!(app.state.lessons.is_empty());
}

#[test]
fn finder_reaches_terms_lessons_and_modules() {
    let mut app = common::app();
    press(&mut app, "<c-p> consistent hashing <enter>");
    let Screen::Term(t) = app.screen() else { panic!("term") };
    assert_eq!(app.content.terms[t.current].name, "Consistent hashing");
    press(&mut app, "<esc> : replication <enter>");
    assert!(matches!(app.screen(), Screen::Lessons(_)), "a module opens its lessons");
}

#[test]
fn following_a_lesson_link_from_a_term_opens_the_lesson() {
    let mut app = common::app();
    press(&mut app, "g sharding <enter>");
    let Screen::Term(t) = app.screen() else { panic!("term") };
    let term = app.content.terms[t.current].clone();
    // The last links of a term are its lessons.
    press(&mut app, "<backtab> <enter>");
    let Screen::Lesson(view) = app.screen() else {
        panic!("lesson")
    };
    assert!(term.taught_in.contains(&view.lesson));
    press(&mut app, "q");
    assert!(matches!(app.screen(), Screen::Term(_)));
}

#[test]
fn help_lists_the_keys_and_any_key_closes_it() {
    let mut app = common::app();
    press(&mut app, "?");
    assert!(matches!(app.overlay, Overlay::Help(_)));
    press(&mut app, "x");
    assert!(matches!(app.overlay, Overlay::None));
    assert!(!app.quit);
}

#[test]
fn mouse_wheel_scrolls_a_term() {
    use crossterm::event::{KeyModifiers, MouseEvent, MouseEventKind};
    use sdlab::tui::{update, Msg};
    let mut app = common::app();
    app.size = (60, 18);
    press(&mut app, "g consistent hashing <enter>");
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 5,
        row: 5,
        modifiers: KeyModifiers::NONE,
    };
    update(&mut app, Msg::Mouse(wheel));
    let Screen::Term(t) = app.screen() else { panic!("term") };
    assert_eq!(t.scroll, 1);
}

#[test]
fn a_quiz_session_schedules_every_answer_and_ends_with_a_summary() {
    use sdlab::tui::quiz::Phase;
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app_with_store(dir.path());
    app.clock = common::fixed_now;
    press(&mut app, "t <enter>");
    common::answer(&mut app, true);
    let Screen::Quiz(view) = app.screen() else {
        panic!("quiz")
    };
    let Phase::Feedback(_, _, grade) = &view.phase else {
        panic!("feedback after an answer")
    };
    assert!(grade.correct);
    press(&mut app, "<enter>");
    common::answer(&mut app, false);
    let Screen::Quiz(view) = app.screen() else {
        panic!("quiz")
    };
    let Phase::Feedback(_, _, grade) = &view.phase else {
        panic!("feedback")
    };
    assert!(!grade.correct);
    press(&mut app, "<enter>");
    common::answer(&mut app, true);
    press(&mut app, "<esc>");
    let Screen::Quiz(view) = app.screen() else {
        panic!("quiz")
    };
    let Phase::Summary(session) = &view.phase else {
        panic!("summary")
    };
    assert_eq!(session.results.len(), 3);
    assert_eq!(app.state.cards.len(), 3);
    let saved = std::fs::read_to_string(dir.path().join("state.toml")).unwrap();
    assert!(saved.matches("[cards.").count() >= 3, "{saved}");
    let c = sdlab::quiz::counts(app.content.questions.iter(), &app.state.cards, common::fixed_now());
    assert_eq!(c.new, app.content.questions.len() - 3);
    assert_eq!(c.later, 3, "short-term steps: nothing is due at the same instant");
    let later = common::fixed_now() + chrono::Duration::days(30);
    let c = sdlab::quiz::counts(app.content.questions.iter(), &app.state.cards, later);
    assert_eq!(c.due, 3);
}

#[test]
fn every_question_can_be_answered_right_through_keys() {
    use sdlab::quiz::Selection;
    use sdlab::tui::quiz::Phase;
    let modules: Vec<String> = common::app().content.modules.iter().map(|m| m.id.clone()).collect();
    let mut total = 0;
    for m in modules {
        let mut app = common::app();
        app.clock = common::fixed_now;
        app.apply(sdlab::tui::app::Cmd::Quiz(Selection::Module(m.clone())));
        let mut asked = 0;
        while let Screen::Quiz(view) = app.screen() {
            match &view.phase {
                Phase::Asking(..) => {
                    common::answer(&mut app, true);
                    let Screen::Quiz(view) = app.screen() else { panic!() };
                    let Phase::Feedback(s, _, g) = &view.phase else {
                        panic!("no feedback in {m}")
                    };
                    let q = &app.content.questions[s.questions[s.current]];
                    assert!(g.correct, "{} could not be answered right", q.id);
                    asked += 1;
                    press(&mut app, "<enter>");
                }
                Phase::Summary(_) => break,
                _ => panic!("unexpected phase"),
            }
        }
        assert!(asked >= 8, "module {m} has {asked} questions in a session");
        total += asked;
    }
    assert!(total >= 100);
}

#[test]
fn following_a_link_from_feedback_and_coming_back() {
    let mut app = common::app();
    app.clock = common::fixed_now;
    press(&mut app, "t <enter>");
    common::answer(&mut app, true);
    press(&mut app, "<tab> <enter>");
    assert!(matches!(app.screen(), Screen::Term(_) | Screen::Lesson(_)));
    press(&mut app, "<bs>");
    assert!(matches!(app.screen(), Screen::Quiz(_)), "Backspace returns to the quiz");
}

#[test]
fn the_ring_lab_is_driven_from_the_keyboard_with_undo_and_reset() {
    use sdlab::tui::ring_lab::ring;
    let mut app = common::app();
    press(&mut app, "b <enter>");
    let node_count = |app: &sdlab::tui::App| {
        let Screen::Lab(view) = app.screen() else { panic!("lab") };
        ring(view.pane.lab.as_ref()).unwrap().config.nodes.len()
    };
    assert_eq!(node_count(&app), 4);
    press(&mut app, "a a");
    assert_eq!(node_count(&app), 6);
    press(&mut app, "<right> d");
    assert_eq!(node_count(&app), 5);
    press(&mut app, "u");
    assert_eq!(node_count(&app), 6);
    press(&mut app, "/ 42 <enter>");
    let Screen::Lab(view) = app.screen() else { panic!() };
    assert_eq!(view.pane.lab.metrics()["traces"][0]["key"], "user:42");
    press(&mut app, "s");
    let Screen::Lab(view) = app.screen() else { panic!() };
    assert_eq!(view.pane.lab.metrics()["strategy"], "ketama");
    press(&mut app, "r");
    assert_eq!(node_count(&app), 4);
    press(&mut app, "q");
    assert!(matches!(app.screen(), Screen::Labs(_)));
}

#[test]
fn a_lab_scenario_saves_and_reopens_with_the_same_state() {
    use sdlab::tui::lab::LabPane;
    let dir = tempfile::tempdir().unwrap();
    let mut pane = LabPane::new("ring", None).unwrap();
    pane.apply("add n5");
    pane.apply("vnodes 7");
    pane.apply("trace user:9");
    let text = pane.lab.scenario();
    let file = dir.path().join("s.toml");
    std::fs::write(&file, &text).unwrap();
    assert_eq!(sdlab::engines::lab::scenario_lab(&text).unwrap(), "ring");
    let again = LabPane::new("ring", Some(&std::fs::read_to_string(&file).unwrap())).unwrap();
    assert_eq!(again.lab.metrics(), pane.lab.metrics());
    assert_eq!(again.lab.log(), pane.lab.log());
}

/// Every lab goal in the built-in lessons can be reached by pressing its published solution
/// (goals of one step are solved in order, as a learner would).
#[test]
fn every_lab_goal_is_reachable_with_its_solution() {
    let app = common::app();
    let with_goals: Vec<usize> = (0..app.content.lessons.len())
        .filter(|&l| !app.content.lessons[l].goals.is_empty())
        .collect();
    for li in with_goals {
        let lesson = app.content.lessons[li].clone();
        let mut app = common::app();
        app.open_lesson(li);
        for step in 0..lesson.steps.len() {
            for (gi, goal) in lesson.goals.iter().enumerate().filter(|(_, g)| g.step == step) {
                press(&mut app, &goal.solution);
                let Screen::Lesson(view) = app.screen() else {
                    panic!("left the lesson")
                };
                assert!(
                    view.met.contains(&gi),
                    "{} step {}: goal {:?} not met by {:?}",
                    lesson.id,
                    step + 1,
                    goal.text,
                    goal.solution
                );
            }
            press(&mut app, "n");
        }
    }
}

#[test]
fn a_notice_shows_until_the_first_key_and_then_leaves_the_header() {
    let mut app = common::app();
    app.notice = Some("state.toml, line 2: theme = \"purple\" is not a theme".into());
    press(&mut app, "g");
    assert_eq!(app.notice, None, "dismissed by the first key");
    assert!(
        matches!(app.screen(), Screen::Glossary(_)),
        "and the key still did its job"
    );
}
