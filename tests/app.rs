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
    // On to the last step (one more n would open the next lesson).
    for _ in 2..lesson.step_count() {
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

    // A new session remembers the finished lesson, but Continue offers the next one, unread.
    let mut again = common::app_with_store(dir.path());
    assert_eq!(again.state.last_lesson.as_deref(), Some(lesson.id.as_str()));
    press(&mut again, "c");
    let Screen::Lesson(view) = again.screen() else {
        panic!("continue opens a lesson")
    };
    let order = sdlab::tui::lesson::course_order(&again.content);
    assert_eq!(view.lesson, order[1], "the lesson after the finished one");
    assert_eq!(view.step, 0);
    press(&mut again, "<esc>");

    // Reset from the lesson list (the first lesson is selected: the module's first unfinished
    // one would be the second, so move up to it).
    press(&mut again, "l <up> r y");
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
    use sdlab::tui::labs::ring::ring;
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
    press(&mut app, "u");
    assert_eq!(node_count(&app), 6, "one undo brings back what the reset cleared");
    press(&mut app, "q");
    assert!(matches!(app.screen(), Screen::Labs(_)));
}

#[test]
fn a_lab_reopens_where_the_learner_left_it_even_after_a_restart() {
    use sdlab::tui::labs::ring::ring;
    let dir = tempfile::tempdir().unwrap();
    let node_count = |app: &sdlab::tui::App| {
        let Screen::Lab(view) = app.screen() else { panic!("lab") };
        ring(view.pane.lab.as_ref()).unwrap().config.nodes.len()
    };
    let mut app = common::app_with_store(dir.path());
    press(&mut app, "b <enter> a a s");
    press(&mut app, "q <enter>");
    assert_eq!(node_count(&app), 6, "leaving and coming back keeps the session");
    let Screen::Lab(view) = app.screen() else { panic!() };
    assert_eq!(view.pane.lab.log().len(), 3);
    assert_eq!(view.pane.lab.metrics()["strategy"], "ketama");
    press(&mut app, "a");
    app.on_exit();
    let mut again = common::app_with_store(dir.path());
    press(&mut again, "b <enter>");
    assert_eq!(node_count(&again), 7, "the state file kept it across a restart");
    press(&mut again, "u");
    assert_eq!(node_count(&again), 6, "and its undo history");
    press(&mut again, "r q");
    press(&mut again, "<enter>");
    assert_eq!(node_count(&again), 4, "a reset session is not kept");
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
                if matches!(app.screen(), Screen::Lesson(v) if v.predicting.is_some()) {
                    press(&mut app, "<esc>");
                }
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
fn a_prediction_is_asked_first_then_compared_with_what_the_lab_measures() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app_with_store(dir.path());
    let li = app.content.lesson_idx("sharding/04-hash-and-modulo-sharding").unwrap();
    let (gi, goal) = app.content.lessons[li]
        .goals
        .iter()
        .enumerate()
        .find(|(_, g)| g.predict.is_some())
        .map(|(i, g)| (i, g.clone()))
        .expect("a predict goal");
    app.open_lesson(li);
    for _ in 0..goal.step {
        press(&mut app, "n");
    }
    let Screen::Lesson(view) = app.screen() else {
        panic!("lesson")
    };
    assert_eq!(view.predicting.as_ref().map(|p| p.0), Some(gi), "the step asks first");
    press(&mut app, "a");
    let Screen::Lesson(view) = app.screen() else { panic!() };
    assert!(view.met.is_empty(), "keys go to the prediction field, not the lab");
    press(&mut app, "<bs> 0 . 8 <enter>");
    let Screen::Lesson(view) = app.screen() else { panic!() };
    assert!(view.predicting.is_none());
    assert_eq!(view.predictions.get(&gi), Some(&0.8));
    press(&mut app, &goal.solution);
    let Screen::Lesson(view) = app.screen() else { panic!() };
    assert!(view.met.contains(&gi));
    let measured = view.measured[&gi];
    assert!(
        (measured - 0.8).abs() < 0.05,
        "4 → 5 under mod N moves about 4/5: {measured}"
    );
    let screen = common::screen(&mut app, 200, 60);
    assert!(screen.contains("you predicted 0.8"), "{screen}");
    assert!(screen.contains("within 0.05 ✓"), "{screen}");
    // Kept in the state file: a new session does not ask again.
    let again = common::app_with_store(dir.path());
    assert_eq!(
        again.state.predictions.get("sharding/04-hash-and-modulo-sharding#1"),
        Some(&0.8)
    );
}

/// A quiz of the first question of each of these kinds, in that order.
fn quiz_of_kinds(app: &mut sdlab::tui::App, kinds: &[&str]) -> Vec<String> {
    let ids: Vec<String> = kinds
        .iter()
        .map(|k| {
            app.content
                .questions
                .iter()
                .find(|q| q.kind.name() == *k)
                .unwrap_or_else(|| panic!("a {k} question"))
                .id
                .clone()
        })
        .collect();
    app.apply(sdlab::tui::app::Cmd::Quiz(sdlab::quiz::Selection::Questions(
        ids.clone(),
    )));
    ids
}

fn quiz_phase(app: &sdlab::tui::App) -> &sdlab::tui::quiz::Phase {
    let Screen::Quiz(view) = app.screen() else {
        panic!("left the quiz")
    };
    &view.phase
}

#[test]
fn backspace_on_feedback_keeps_the_quiz_and_esc_ends_it_with_the_summary() {
    use sdlab::tui::quiz::Phase;
    let mut app = common::app();
    app.clock = common::fixed_now;
    press(&mut app, "t <enter>");
    common::answer(&mut app, true);
    press(&mut app, "<bs> <bs>");
    assert!(
        matches!(quiz_phase(&app), Phase::Feedback(..)),
        "Backspace stays on the feedback"
    );
    press(&mut app, "<esc>");
    let Phase::Summary(session) = quiz_phase(&app) else {
        panic!("Esc shows the summary")
    };
    assert_eq!(session.results.len(), 1);
}

#[test]
fn question_mark_opens_help_unless_a_text_is_being_typed() {
    use sdlab::tui::quiz::Phase;
    for kind in ["multiple choice", "true or false", "put in order"] {
        let mut app = common::app();
        quiz_of_kinds(&mut app, &[kind]);
        press(&mut app, "?");
        assert!(matches!(app.overlay, Overlay::Help(_)), "{kind}: ? opens help");
    }
    let mut app = common::app();
    quiz_of_kinds(&mut app, &["design prompt"]);
    press(&mut app, "why? <enter>");
    assert!(matches!(app.overlay, Overlay::None));
    let Phase::Asking(_, a) = quiz_phase(&app) else {
        panic!()
    };
    assert_eq!(a.input, "why?");
    press(&mut app, "?");
    assert!(
        matches!(app.overlay, Overlay::Help(_)),
        "ticking key points: ? opens help"
    );
    let mut app = common::app();
    quiz_of_kinds(&mut app, &["estimate"]);
    press(&mut app, "3?");
    assert!(matches!(app.overlay, Overlay::None));
}

#[test]
fn an_estimate_error_keeps_the_input_once() {
    use sdlab::tui::quiz::Phase;
    let mut app = common::app();
    quiz_of_kinds(&mut app, &["estimate"]);
    press(&mut app, "12,34 <enter>");
    let Phase::Asking(_, a) = quiz_phase(&app) else {
        panic!("an error stays on the question")
    };
    assert_eq!(a.input, "12,34");
    let error = a.error.clone().expect("an error");
    assert!(
        !error.contains("12,34"),
        "the input is shown in its field, not again in {error:?}"
    );
    let screen = common::screen(&mut app, 80, 24);
    assert_eq!(screen.matches("12,34").count(), 1, "{screen}");
    press(&mut app, "<bs> <bs> <bs> <bs> <bs> 2.8k");
    let Phase::Asking(_, a) = quiz_phase(&app) else {
        panic!()
    };
    assert_eq!(a.input, "2.8k");
    assert!(a.error.is_none());
}

#[test]
fn a_design_answer_is_kept_beside_the_key_points_and_in_the_feedback() {
    use sdlab::tui::quiz::Phase;
    let mut app = common::app();
    app.clock = common::fixed_now;
    app.size = (80, 24);
    quiz_of_kinds(&mut app, &["design prompt"]);
    press(
        &mut app,
        "shard <space> by <space> user <space> id <c-j> cache <space> timelines",
    );
    let Phase::Asking(_, a) = quiz_phase(&app) else {
        panic!()
    };
    assert_eq!(a.input, "shard by user id\ncache timelines");
    press(&mut app, "<enter>");
    let Phase::Asking(_, a) = quiz_phase(&app) else {
        panic!("ticking")
    };
    assert!(a.revealed);
    assert_eq!(a.input, "shard by user id\ncache timelines", "the text survives Enter");
    let screen = common::screen(&mut app, 80, 24);
    assert!(screen.contains("shard by user id"), "{screen}");
    assert!(screen.contains("key points"), "{screen}");
    press(&mut app, "1 <enter>");
    assert!(matches!(quiz_phase(&app), Phase::Feedback(..)));
    let screen = common::screen(&mut app, 120, 40);
    assert!(screen.contains("shard by user id"), "{screen}");
}

#[test]
fn the_summary_scrolls_and_reopens_what_was_missed() {
    use sdlab::tui::quiz::Phase;
    let mut app = common::app();
    app.clock = common::fixed_now;
    press(&mut app, "t <enter>");
    for _ in 0..10 {
        common::answer(&mut app, false);
        press(&mut app, "<enter>");
    }
    let Screen::Quiz(view) = app.screen() else { panic!() };
    let Phase::Summary(session) = &view.phase else {
        panic!("summary after ten answers")
    };
    let last = app.content.questions[session.results[9].0].clone();
    let last_words: String = sdlab::quiz::plain_text(&last.prompt).chars().take(24).collect();
    let first_screen = common::screen(&mut app, 80, 24);
    assert!(!first_screen.contains(&last_words), "the tenth row is below the fold");
    press(&mut app, &"<down> ".repeat(9));
    let Screen::Quiz(view) = app.screen() else { panic!() };
    assert!(view.scroll > 0, "the summary scrolled");
    assert_eq!(view.link, Some(9));
    let screen = common::screen(&mut app, 80, 24);
    assert!(screen.contains(&last_words), "{screen}");
    press(&mut app, "<enter>");
    let Phase::Review(_, r) = quiz_phase(&app) else {
        panic!("Enter reviews the selected missed question")
    };
    assert_eq!(*r, 9);
    assert!(common::screen(&mut app, 120, 40).contains("Missed question 10 of 10"));
    press(&mut app, "<bs>");
    assert!(
        matches!(quiz_phase(&app), Phase::Summary(_)),
        "Backspace returns to the summary"
    );
    press(&mut app, "<pgdn> <pgup>");
    press(&mut app, "r");
    let Phase::Asking(session, _) = quiz_phase(&app) else {
        panic!("r asks the missed questions again")
    };
    assert_eq!(session.questions.len(), 10);
    assert_eq!(app.content.questions[session.questions[9]].id, last.id);
}

#[test]
fn the_learner_can_change_the_grade_and_the_card_follows_it() {
    use sdlab::quiz::{review, Grade};
    use sdlab::tui::quiz::Phase;
    let mut app = common::app();
    app.clock = common::fixed_now;
    press(&mut app, "t <enter>");
    common::answer(&mut app, true);
    let Phase::Feedback(session, _, g) = quiz_phase(&app) else {
        panic!()
    };
    let id = app.content.questions[session.questions[0]].id.clone();
    let g = *g;
    let auto = g.rating;
    assert!(
        common::screen(&mut app, 80, 24).contains("Grade: easy"),
        "the grade is said"
    );
    let expected = |rating: rs_fsrs::Rating| {
        let mut cards = std::collections::BTreeMap::new();
        let grade = Grade { rating, ..g };
        review(&mut cards, &id, grade, 0.0, common::fixed_now());
        cards.remove(&id).unwrap()
    };
    let (easy, again) = (expected(rs_fsrs::Rating::Easy), expected(rs_fsrs::Rating::Again));
    assert_eq!(auto, rs_fsrs::Rating::Easy);
    assert_eq!(app.state.cards[&id], easy);
    press(&mut app, "1");
    assert_eq!(app.state.cards[&id], again, "rescheduled as again, one review recorded");
    let Phase::Feedback(session, _, g) = quiz_phase(&app) else {
        panic!()
    };
    assert_eq!(g.rating, rs_fsrs::Rating::Again);
    assert_eq!(session.results[0].1.rating, rs_fsrs::Rating::Again);
    let screen = common::screen(&mut app, 80, 24);
    assert!(
        screen.contains("Grade: again (your choice; automatic: easy)"),
        "{screen}"
    );
    press(&mut app, "4");
    assert_eq!(app.state.cards[&id], easy, "and back");
    assert!(app.state.cards[&id].card.due > again.card.due);
}

/// The lesson on screen, or a panic naming what is there instead.
fn lesson_view(app: &sdlab::tui::App) -> &sdlab::tui::lesson::LessonView {
    match app.screen() {
        Screen::Lesson(view) => view,
        other => panic!("expected a lesson, found {}", other.name()),
    }
}

fn footer(app: &sdlab::tui::App) -> String {
    sdlab::tui::view::hints(app)
        .iter()
        .filter(|h| h.footer)
        .map(|h| format!("{} {}", h.keys, h.action))
        .collect::<Vec<_>>()
        .join(" · ")
}

#[test]
fn the_last_step_leads_on_to_the_next_lesson() {
    let mut app = common::app();
    let order = sdlab::tui::lesson::course_order(&app.content);
    press(&mut app, "l <enter>");
    let first = lesson_view(&app).lesson;
    assert_eq!(first, order[0]);
    assert!(!footer(&app).contains("next lesson"), "not before the last step");
    for _ in 1..app.content.lessons[first].step_count() {
        press(&mut app, "n");
    }
    assert_eq!(lesson_view(&app).step + 1, app.content.lessons[first].step_count());
    assert!(footer(&app).contains("n next lesson"), "{}", footer(&app));
    press(&mut app, "n");
    let view = lesson_view(&app);
    assert_eq!(view.lesson, order[1]);
    assert_eq!(view.step, 0);
    assert_eq!(
        app.state.last_lesson.as_deref(),
        Some(app.content.lessons[order[1]].id.as_str())
    );
    press(&mut app, "<esc>");
    assert!(
        matches!(app.screen(), Screen::Lessons(_)),
        "the next lesson replaced this one"
    );

    // The course's last lesson has nothing to offer; n stays put.
    let last = *order.last().unwrap();
    app.open_lesson(last);
    for _ in 0..app.content.lessons[last].step_count() {
        press(&mut app, "n");
    }
    assert!(!footer(&app).contains("next lesson"));
    assert_eq!(lesson_view(&app).lesson, last);
}

#[test]
fn continue_skips_finished_lessons_and_wraps_round() {
    let mut app = common::app();
    let order = sdlab::tui::lesson::course_order(&app.content);
    let ids: Vec<String> = order.iter().map(|&l| app.content.lessons[l].id.clone()).collect();
    // Lessons 2 and 3 are done, the learner last finished 2: Continue offers 4.
    for id in &ids[1..3] {
        app.state.visit(id, 99, 1);
    }
    app.state.visit(&ids[1], 99, 1);
    press(&mut app, "c");
    assert_eq!(lesson_view(&app).lesson, order[3]);
    // Everything after the last one read is done: Continue wraps round to the first unfinished.
    let mut app = common::app();
    for id in &ids[1..] {
        app.state.visit(id, 99, 1);
    }
    press(&mut app, "c");
    assert_eq!(lesson_view(&app).lesson, order[0]);
    // All done: nothing to continue, and home says so.
    let mut app = common::app();
    for id in &ids {
        app.state.visit(id, 99, 1);
    }
    press(&mut app, "c");
    assert!(matches!(app.screen(), Screen::Home(_)));
}

#[test]
fn a_toggles_the_answers_and_the_footer_says_which() {
    let mut app = common::app();
    press(&mut app, "l <enter>");
    let lesson = lesson_view(&app).lesson;
    for _ in 1..app.content.lessons[lesson].step_count() {
        press(&mut app, "n");
    }
    assert!(!lesson_view(&app).revealed);
    assert!(footer(&app).contains("a reveal answers"), "{}", footer(&app));
    press(&mut app, "a");
    assert!(lesson_view(&app).revealed);
    assert!(footer(&app).contains("a hide answers"), "{}", footer(&app));
    press(&mut app, "a");
    assert!(!lesson_view(&app).revealed, "a again hides them");
    press(&mut app, "<space>");
    assert!(lesson_view(&app).revealed, "Space toggles as a does");
}

/// Once every goal of a step is met, the hint asked for earlier goes away.
#[test]
fn the_hint_clears_once_every_goal_of_the_step_is_done() {
    let app = common::app();
    let (li, step) = app
        .content
        .lessons
        .iter()
        .enumerate()
        .find_map(|(li, l)| l.goals.first().map(|g| (li, g.step)))
        .expect("a lesson with lab goals");
    let lesson = app.content.lessons[li].clone();
    let mut app = common::app();
    app.open_lesson(li);
    // Solve every earlier step's goals, as a learner would, then move to the goal's step.
    for s in 0..step {
        for g in lesson.goals.iter().filter(|g| g.step == s) {
            press(&mut app, &g.solution);
        }
        press(&mut app, "n");
    }
    assert_eq!(lesson_view(&app).step, step);
    if lesson_view(&app).predicting.is_some() {
        press(&mut app, "<esc>");
    }
    press(&mut app, "h");
    assert_eq!(lesson_view(&app).help_level, 1, "h shows the hint");
    for g in lesson.goals.iter().filter(|g| g.step == step) {
        press(&mut app, &g.solution);
    }
    let view = lesson_view(&app);
    let step_goals: Vec<usize> = (0..lesson.goals.len())
        .filter(|&i| lesson.goals[i].step == step)
        .collect();
    assert!(step_goals.iter().all(|i| view.met.contains(i)));
    assert_eq!(view.help_level, 0, "no hint once every goal is met");
    press(&mut app, "h");
    assert_eq!(lesson_view(&app).help_level, 0, "nothing left to hint at");
}

#[test]
fn glossary_lists_mentions_below_the_named_terms() {
    let mut app = common::app();
    // A word no term is named after, in the text of some (a fixed tree would drift from the
    // built-in one; the test works out its own expectation from the content instead).
    let word = common::mentioned_word(&app.content);
    press(&mut app, &format!("g {word}"));
    let Screen::Glossary(g) = app.screen() else {
        panic!("glossary")
    };
    assert!(!g.hits.is_empty());
    assert!(g.hits.iter().all(|h| h.mention), "{word} names no term");
    assert_eq!(g.named_count(), 0);
    // The named terms come first, then the mentions.
    let mut app = common::app();
    press(&mut app, "g quorum");
    let Screen::Glossary(g) = app.screen() else {
        panic!("glossary")
    };
    let first_mention = g
        .hits
        .iter()
        .position(|h| h.mention)
        .expect("other terms mention quorums");
    assert!(first_mention > 0);
    assert!(
        g.hits[first_mention..].iter().all(|h| h.mention),
        "mentions are one block, last"
    );
}

/// "paxos" once listed JSON and "zipf" Response compression: scattered letters in a summary.
/// Whether or not terms named Paxos or Zipf exist, those two are never what they find.
#[test]
fn paxos_and_zipf_do_not_find_unrelated_terms() {
    for (query, wrong) in [("paxos", "JSON"), ("zipf", "Response compression")] {
        let mut app = common::app();
        press(&mut app, &format!("g {query}"));
        let Screen::Glossary(g) = app.screen() else {
            panic!("glossary")
        };
        for hit in g.hits.iter().filter(|h| !h.mention) {
            let Target::Term(i) = hit.target else { panic!() };
            assert_ne!(app.content.terms[i].name, wrong, "{query}");
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
