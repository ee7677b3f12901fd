//! Budgets: render any screen at 200×60 ≤ 2 ms; launch to first frame ≤ 50 ms (in process here;
//! benches/launch.rs times the whole process).
use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use sdlab::content::Content;
use sdlab::state::State;
use sdlab::theme::{Theme, ThemeName};
use sdlab::tui::app::{press, App};
use sdlab::tui::{update, view::view, Msg};

fn app() -> App {
    let (content, _) = Content::embedded();
    let mut app = App::new(content, Theme::new(ThemeName::Dark, true), State::default(), None);
    update(&mut app, Msg::Resize(200, 60));
    app
}

fn bench(c: &mut Criterion) {
    let screens = [
        ("home", ""),
        ("glossary with a query", "g quorm"),
        ("term", "g consistent hashing <enter> <tab>"),
        ("lesson step", ": why shard <enter> n"),
        ("lesson list", "l"),
        ("finder", "<c-p> re"),
        ("help", "?"),
        (
            "replication lab, busy",
            "b <down> <down> <down> <down> <down> <down> <enter> L . . . . . . . . . . . . . . . . . . . .",
        ),
        (
            "multi-master lab",
            "b <down> <down> <down> <down> <down> <down> <enter> 1 <right> 1 . i",
        ),
    ];
    for (name, keys) in screens {
        let mut app = app();
        press(&mut app, keys);
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
        c.bench_function(&format!("render 200x60: {name}"), |b| {
            b.iter(|| terminal.draw(|f| view(&app, f)).unwrap().area)
        });
    }
    c.bench_function("first frame in process: load content + build app + draw 120x40", |b| {
        b.iter(|| {
            let (content, _) = Content::embedded();
            let app = App::new(content, Theme::new(ThemeName::Dark, true), State::default(), None);
            let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
            terminal.draw(|f| view(&app, f)).unwrap().area
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
