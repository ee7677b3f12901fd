//! Shared set-up for the app-level tests: the built-in content, a fresh state, no colour.
#![allow(dead_code)]

pub mod pty;
use sdlab::content::Content;
use sdlab::state::{State, Store};
use sdlab::theme::{Theme, ThemeName};
use sdlab::tui::App;

pub fn app() -> App {
    let (content, problems) = Content::embedded();
    assert!(problems.is_empty(), "built-in content has problems");
    App::new(content, Theme::new(ThemeName::Dark, false), State::default(), None)
}

/// An app whose state is saved in `dir`, as the real binary does.
pub fn app_with_store(dir: &std::path::Path) -> App {
    let (content, _) = Content::embedded();
    let mut store = Store::at(dir.to_path_buf());
    let (state, _) = store.load();
    App::new(content, Theme::new(ThemeName::Dark, false), state, Some(store))
}

/// A fixed "now" so quiz timing and schedules are reproducible.
pub fn fixed_now() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

/// Answers the question on screen correctly (when `right`) or wrongly, through keys.
pub fn answer(app: &mut App, right: bool) {
    use sdlab::content::quiz::Kind;
    use sdlab::tui::app::{press, Screen};
    use sdlab::tui::quiz::Phase;
    let Screen::Quiz(view) = app.screen() else {
        panic!("not on the quiz")
    };
    let Phase::Asking(session, answer) = &view.phase else {
        panic!("not asking")
    };
    let q = app.content.questions[session.questions[session.current]].clone();
    let keys = match &q.kind {
        Kind::Choice { choices, correct } => {
            let picks: Vec<usize> = if right {
                correct.clone()
            } else {
                (0..choices.len()).filter(|i| !correct.contains(i)).take(1).collect()
            };
            picks.iter().map(|i| (i + 1).to_string()).collect::<Vec<_>>().join(" ") + " <enter>"
        }
        Kind::TrueFalse { truth } => format!("{} <enter>", if *truth == right { "t" } else { "f" }),
        Kind::Numeric { answer, tolerance, .. } => {
            let x = if right {
                *answer
            } else {
                answer + tolerance.band(*answer) * 10.0 + 1.0
            };
            format!("{x} <enter>")
        }
        Kind::Order { items } => {
            // Bubble the shown order into the right one with K (move item up).
            let mut order = answer.order.clone();
            let mut keys = String::new();
            if right {
                for target in 0..items.len() {
                    let pos = order.iter().position(|&i| i == target).unwrap();
                    keys.push_str(&format!(" {}", "<up> ".repeat(10)));
                    keys.push_str(&"<down> ".repeat(pos));
                    for p in (target + 1..=pos).rev() {
                        keys.push_str("K ");
                        order.swap(p, p - 1);
                    }
                }
            }
            keys + " <enter>"
        }
        Kind::Recall { points } => {
            let ticks: String = if right {
                (1..=points.len()).map(|i| format!("{i} ")).collect()
            } else {
                String::new()
            };
            format!("<enter> {ticks} <enter>")
        }
    };
    press(app, &keys);
}

/// The screen drawn at `width`×`height`, as text.
pub fn screen(app: &mut App, width: u16, height: u16) -> String {
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    use sdlab::tui::{update, view::view, Msg};
    update(app, Msg::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(app, f)).unwrap();
    terminal.backend().to_string()
}

/// A word that names no glossary term (no name or alias finds it, typos included) but that the
/// text of at least two terms contains: found in the content itself, so tests keep working as
/// terms are added.
pub fn mentioned_word(content: &Content) -> String {
    let index = sdlab::search::SearchIndex::terms(content);
    let mut words: Vec<String> = content
        .terms
        .iter()
        .flat_map(|t| t.body.split(|c: char| !c.is_ascii_alphabetic()))
        .filter(|w| w.len() >= 9)
        .map(str::to_lowercase)
        .collect();
    words.sort();
    words.dedup();
    words
        .into_iter()
        .find(|w| {
            let hits = index.search(w, usize::MAX);
            hits.len() >= 2 && hits.iter().all(|h| h.mention)
        })
        .expect("some long word is mentioned but names nothing")
}

/// The terms whose summary or body holds `word` as a whole word (any case), by id.
pub fn terms_mentioning(content: &Content, word: &str) -> Vec<String> {
    let has = |text: &str| {
        text.split(|c: char| !c.is_alphanumeric())
            .any(|w| w.eq_ignore_ascii_case(word))
    };
    let mut ids: Vec<String> = content
        .terms
        .iter()
        .filter(|t| has(&t.summary) || has(&t.body))
        .map(|t| t.id.clone())
        .collect();
    ids.sort();
    ids
}
