//! The terminal front end: sets the terminal up, runs the event loop, and restores the terminal
//! on every way out (quit, Ctrl-C, error, panic).

pub mod app;
pub mod finder;
pub mod glossary;
pub mod home;
pub mod keys;
pub mod lab;
pub mod labs;
pub mod lesson;
pub mod lessons;
pub mod quiz;
pub mod term;
pub mod view;

use std::io::{self, stdout};
use std::time::Duration;

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::execute;
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

pub use app::{update, App, Msg};

/// Puts the terminal back as it was. Safe to call more than once.
pub fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal when dropped, so an early return or error cannot leave it raw.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

pub fn run(mut app: App) -> io::Result<()> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
    terminal::enable_raw_mode()?;
    let _guard = TerminalGuard;
    execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(stdout()))?;
    let size = terminal.size()?;
    app.size = (size.width, size.height);
    loop {
        terminal.draw(|frame| view::view(&app, frame))?;
        // Block until something happens (no redraw without a reason), then take every event
        // already queued before drawing again. Only a running timed lab wakes the loop on its
        // own, once per tick.
        if app.wants_ticks() && !event::poll(Duration::from_millis(lab::TICK_MS))? {
            update(&mut app, Msg::Tick);
            continue;
        }
        let mut event = event::read()?;
        loop {
            if let Some(msg) = to_msg(event) {
                update(&mut app, msg);
            }
            if app.quit || !event::poll(Duration::ZERO)? {
                break;
            }
            event = event::read()?;
        }
        if app.quit {
            break;
        }
    }
    app.on_exit();
    Ok(())
}

fn to_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) => Some(Msg::Key(key)),
        Event::Mouse(mouse) => Some(Msg::Mouse(mouse)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}
