//! The balancer and auto-scaling labs on screen: snapshots at 80×24 and 120×40, and keys that
//! do what their hints say.

mod common;

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use sdlab::engines::autoscale::Autoscaler;
use sdlab::engines::balancer::Balancer;
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
    press(&mut app, &format!("b {} <enter>", "<down> ".repeat(i)));
    app
}

fn balancer(app: &App) -> &Balancer {
    let Screen::Lab(v) = app.screen() else { panic!("not in a lab") };
    &v.pane.lab.as_any().downcast_ref::<Session<Balancer>>().expect("balancer").engine
}

fn autoscaler(app: &App) -> &Autoscaler {
    let Screen::Lab(v) = app.screen() else { panic!("not in a lab") };
    &v.pane.lab.as_any().downcast_ref::<Session<Autoscaler>>().expect("autoscale").engine
}

#[test]
fn preview() {
    let mut app = open("balancer", 120, 40);
    press(&mut app, "] ] ] . <right> x . . <right> s . .");
    println!("{}", draw(&mut app, 120, 40));
    println!("{}", draw(&mut app, 80, 24));
    let mut app = open("autoscale", 120, 40);
    press(&mut app, "c c ] ] ] ] ] ] P . . . . . . . . . . . .");
    println!("{}", draw(&mut app, 120, 40));
    println!("{}", draw(&mut app, 80, 24));
    let _ = autoscaler(&app);
}
