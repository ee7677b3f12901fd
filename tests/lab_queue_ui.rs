//! The queue lab's screens: the work queue, the log, the comparisons, at 80×24 and 120×40, and
//! the keys doing what their hints say.

mod common;

use sdlab::engines::lab::{Lab, Session};
use sdlab::engines::queue::Queue;
use sdlab::tui::app::{press, App, Screen};

/// The Labs screen lists ring, replication, queue: the queue lab opened full-screen.
fn open_queue(app: &mut App) {
    press(app, "b");
    let i = sdlab::engines::lab::registry()
        .iter()
        .position(|l| l.id == "queue")
        .unwrap();
    press(app, &"<down> ".repeat(i));
    press(app, "<enter>");
}

fn lab(app: &App) -> &dyn Lab {
    match app.screen() {
        Screen::Lab(v) => v.pane.lab.as_ref(),
        _ => panic!("not on a lab"),
    }
}

fn metrics(app: &App) -> serde_json::Value {
    lab(app).metrics()
}

#[test]
fn print() {
    let mut app = common::app();
    open_queue(&mut app);
    press(&mut app, ". . . . . x . . . . . . . . . . . .");
    println!("{}", common::screen(&mut app, 80, 24));
    println!("{}", common::screen(&mut app, 120, 40));
    press(&mut app, "c D D D . . . . . . . . . . . . .");
    println!("{}", common::screen(&mut app, 80, 24));
    press(&mut app, "v . . . . . . . . . . . . . . . . . .");
    println!("{}", common::screen(&mut app, 80, 24));
    press(&mut app, "v l o . . . . a a . . . . .");
    println!("{}", common::screen(&mut app, 80, 24));
    println!("{}", common::screen(&mut app, 120, 40));
    let _ = metrics(&app);
    let _ = lab(&app).as_any().downcast_ref::<Session<Queue>>();
}
