//! Shared set-up for the app-level tests: the built-in content, a fresh state, no colour.
#![allow(dead_code)]

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
