//! The application model and its update function (The Elm Architecture): `update` changes the
//! model in answer to a message and never touches the terminal, so tests drive it with key macros.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use super::{
    finder::Finder,
    glossary::Glossary,
    home::Home,
    keys,
    labs::{LabList, LabView},
    lesson::LessonView,
    lessons::LessonList,
    quiz::QuizView,
    term::TermView,
};
use crate::content::Content;
use crate::search::{SearchIndex, Target};
use crate::state::{State, Store};
use crate::theme::Theme;

pub enum Screen {
    Home(Home),
    Glossary(Glossary),
    Term(TermView),
    Lessons(LessonList),
    Lesson(LessonView),
    Quiz(QuizView),
    Labs(LabList),
    Lab(LabView),
}

impl Screen {
    pub fn name(&self) -> &'static str {
        match self {
            Screen::Home(_) => "Home",
            Screen::Glossary(_) => "Glossary",
            Screen::Term(_) => "Glossary term",
            Screen::Lessons(_) => "Lessons",
            Screen::Lesson(_) => "Lesson",
            Screen::Quiz(_) => "Quiz",
            Screen::Labs(_) => "Labs",
            Screen::Lab(_) => "Lab",
        }
    }
}

pub enum Overlay {
    None,
    /// The key list, scrolled down by this many rows.
    Help(u16),
    Finder(Finder),
}

#[derive(Debug, Clone, Copy)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Real time passed while a timed lab runs (sent only then).
    Tick,
}

/// What a screen asks the app to do after handling a key.
pub enum Cmd {
    None,
    Back,
    Quit,
    /// Open a `term:` / `lesson:` link.
    Follow(String),
    Open(Target),
    /// The learner is on this step of this lesson (index into `Content::lessons`).
    Visit(usize, usize),
    /// Forget one lesson's progress, or everything.
    Reset(Option<String>),
    /// An answered question: reschedule its card.
    Review(String, crate::quiz::Grade, f64),
    /// The learner changed the grade of the answer just scheduled: schedule it again.
    Regrade(Box<crate::quiz::Regrade>),
    /// Open a lab (by id) as a sandbox.
    OpenLab(String),
    /// Keep a lesson goal's prediction (its state key, the number).
    Predict(String, f64),
    /// Start a quiz on this selection.
    Quiz(crate::quiz::Selection),
    /// Not handled by the screen: try the global keys.
    Unhandled,
}

/// The read-only context a screen needs to handle a key.
pub struct Ctx<'a> {
    pub content: &'a Content,
    pub state: &'a State,
    pub theme: &'a Theme,
    pub size: (u16, u16),
    pub now: DateTime<Utc>,
}

pub struct App {
    pub content: Content,
    pub glossary_index: SearchIndex,
    pub finder_index: SearchIndex,
    pub theme: Theme,
    pub state: State,
    pub store: Option<Store>,
    pub stack: Vec<Screen>,
    pub overlay: Overlay,
    /// A one-line message shown on top (state file problems, save errors).
    pub notice: Option<String>,
    pub size: (u16, u16),
    pub quit: bool,
    /// The wall clock, replaceable so tests control time (quiz scheduling and timing).
    pub clock: fn() -> DateTime<Utc>,
}

impl App {
    pub fn new(content: Content, theme: Theme, state: State, store: Option<Store>) -> App {
        let glossary_index = SearchIndex::terms(&content);
        let finder_index = SearchIndex::everything(&content);
        App {
            content,
            glossary_index,
            finder_index,
            theme,
            state,
            store,
            stack: vec![Screen::Home(Home::default())],
            overlay: Overlay::None,
            notice: None,
            size: (120, 40),
            quit: false,
            clock: Utc::now,
        }
    }

    /// Whether a timed lab on screen is running, so the loop must send ticks.
    pub fn wants_ticks(&self) -> bool {
        match self.stack.last() {
            Some(Screen::Lab(s)) => s.pane.running(),
            Some(Screen::Lesson(s)) => s.pane.as_ref().is_some_and(super::lab::LabPane::running),
            _ => false,
        }
    }

    pub fn screen(&self) -> &Screen {
        self.stack.last().expect("home is never popped")
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            content: &self.content,
            state: &self.state,
            theme: &self.theme,
            size: self.size,
            now: (self.clock)(),
        }
    }

    fn save(&mut self) {
        if let Some(store) = &self.store {
            if let Err(e) = store.save(&self.state) {
                self.notice = Some(format!(
                    "could not save progress to {}: {}",
                    store.path().display(),
                    crate::state::io_reason(&e)
                ));
            }
        }
    }

    pub fn open_glossary(&mut self) {
        let g = Glossary::new(&self.glossary_index);
        self.stack.push(Screen::Glossary(g));
    }

    pub fn open_lessons(&mut self, module: Option<usize>) {
        let list = LessonList::new(&self.content, &self.state, module);
        self.stack.push(Screen::Lessons(list));
    }

    pub fn open_lesson(&mut self, lesson: usize) {
        let id = &self.content.lessons[lesson].id;
        let step = self
            .state
            .progress(id)
            .step
            .min(self.content.lessons[lesson].step_count().saturating_sub(1));
        let mut view = LessonView::new(&self.content.lessons[lesson], lesson, step);
        view.load_predictions(&self.content.lessons[lesson], &self.state);
        self.stack.push(Screen::Lesson(view));
        self.apply(Cmd::Visit(lesson, step));
    }

    pub fn open_target(&mut self, target: Target) {
        match target {
            Target::Term(i) => self.stack.push(Screen::Term(TermView::new(i))),
            Target::Lesson(i) => self.open_lesson(i),
            Target::Module(i) => self.open_lessons(Some(i)),
            Target::Lab(i) => self.apply(Cmd::OpenLab(crate::engines::lab::registry()[i].id.to_string())),
            Target::Quiz(i) => self.apply(Cmd::Quiz(crate::quiz::Selection::Module(
                self.content.modules[i].id.clone(),
            ))),
        }
    }

    fn follow(&mut self, link: &str) {
        match link.split_once(':') {
            Some(("term", id)) => {
                if let Some(i) = self.content.term_idx(id) {
                    self.open_target(Target::Term(i));
                }
            }
            Some(("lesson", id)) => {
                if let Some(i) = self.content.lesson_idx(id) {
                    self.open_lesson(i);
                }
            }
            _ => {}
        }
    }

    /// Keeps the sandbox lab on top (its config and actions) in the state file.
    fn keep_lab_session(&mut self) {
        let Some(Screen::Lab(view)) = self.stack.last() else {
            return;
        };
        let id = view.pane.lab.id().to_string();
        if view.pane.lab.log().is_empty() {
            // Nothing done (or all of it reset): forget any older session.
            self.state.labs.remove(&id);
        } else if let Ok(table) = toml::from_str::<toml::Table>(&view.pane.lab.scenario()) {
            self.state.labs.insert(id, table);
        }
        self.save();
    }

    /// Opens a sandbox lab, where the learner left it when a session was kept.
    fn open_lab(&mut self, id: &str) {
        let saved = self.state.labs.get(id).and_then(|t| toml::to_string(t).ok());
        let pane = match saved {
            Some(text) => match super::lab::LabPane::new(id, Some(&text)) {
                Ok(mut pane) => {
                    pane.message = Some(format!(
                        "reopened where you left it ({} actions) · r resets, u brings it back",
                        pane.lab.log().len()
                    ));
                    Ok(pane)
                }
                Err(e) => {
                    self.notice = Some(format!(
                        "the saved {id} lab could not be reopened ({e}); it starts afresh"
                    ));
                    super::lab::LabPane::new(id, None)
                }
            },
            None => super::lab::LabPane::new(id, None),
        };
        match pane {
            Ok(pane) => self.stack.push(Screen::Lab(LabView { pane })),
            Err(e) => self.notice = Some(e),
        }
    }

    /// Saves what must outlive the session before the app closes.
    pub fn on_exit(&mut self) {
        self.keep_lab_session();
    }

    fn back(&mut self) {
        if self.stack.len() > 1 {
            self.keep_lab_session();
            self.stack.pop();
            // Lists show progress; refresh it when coming back to them.
            if let Some(Screen::Lessons(list)) = self.stack.last_mut() {
                list.refresh(&self.content, &self.state);
            }
        }
    }

    pub fn apply(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::None | Cmd::Unhandled => {}
            Cmd::Back => self.back(),
            Cmd::Quit => self.quit = true,
            Cmd::Follow(link) => self.follow(&link),
            Cmd::Review(id, grade, seconds) => {
                crate::quiz::review(&mut self.state.cards, &id, grade, seconds, (self.clock)());
                self.save();
            }
            Cmd::OpenLab(id) => self.open_lab(&id),
            Cmd::Predict(key, value) => {
                self.state.predictions.insert(key, value);
                self.save();
            }
            Cmd::Regrade(regrade) => {
                regrade.apply(&mut self.state.cards);
                self.save();
            }
            Cmd::Quiz(selection) => {
                let view = QuizView::start(selection, &self.ctx());
                self.stack.push(Screen::Quiz(view));
            }
            Cmd::Open(target) => self.open_target(target),
            Cmd::Visit(lesson, step) => {
                let l = &self.content.lessons[lesson];
                self.state.visit(&l.id, step, l.step_count());
                self.save();
            }
            Cmd::Reset(lesson) => {
                self.state.reset(lesson.as_deref());
                if let Some(Screen::Lesson(view)) = self.stack.last_mut() {
                    view.restart();
                }
                if let Some(Screen::Lessons(list)) = self.stack.last_mut() {
                    list.refresh(&self.content, &self.state);
                }
                self.save();
            }
        }
    }
}

/// Applies one message to the model.
pub fn update(app: &mut App, msg: Msg) {
    match msg {
        Msg::Resize(w, h) => app.size = (w, h),
        Msg::Tick => match app.stack.last_mut() {
            Some(Screen::Lab(s)) => {
                s.pane.tick();
            }
            Some(Screen::Lesson(s)) => s.tick(&app.content),
            _ => {}
        },
        Msg::Mouse(mouse) => on_mouse(app, mouse),
        Msg::Key(key) if key.kind != KeyEventKind::Release => on_key(app, key),
        Msg::Key(_) => {}
    }
}

fn on_key(app: &mut App, key: KeyEvent) {
    if keys::is_ctrl(&key, 'c') {
        app.quit = true;
        return;
    }
    // A notice has been read once a key is pressed: it must not sit in every header after.
    app.notice = None;
    let help_max = matches!(app.overlay, Overlay::Help(_)).then(|| super::view::help_max_scroll(app));
    match &mut app.overlay {
        Overlay::Help(scroll) => {
            // Arrows scroll a help taller than the screen, up to its last row; any other key
            // closes it.
            let max = help_max.unwrap_or(0);
            match key.code {
                KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => *scroll = (*scroll + 1).min(max),
                KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
                KeyCode::PageDown => *scroll = (*scroll + 10).min(max),
                KeyCode::Home => *scroll = 0,
                _ => app.overlay = Overlay::None,
            }
            return;
        }
        Overlay::Finder(finder) => {
            let outcome = finder.on_key(key, &app.finder_index);
            match outcome {
                super::finder::Outcome::Stay => {}
                super::finder::Outcome::Close => app.overlay = Overlay::None,
                super::finder::Outcome::Open(target) => {
                    app.overlay = Overlay::None;
                    app.open_target(target);
                }
            }
            return;
        }
        Overlay::None => {}
    }
    if keys::is_ctrl(&key, 'p') || key.code == KeyCode::F(1) {
        if key.code == KeyCode::F(1) {
            app.overlay = Overlay::Help(0);
        } else {
            app.overlay = Overlay::Finder(Finder::new(&app.finder_index));
        }
        return;
    }
    let cmd = screen_key(app, key, false);
    match cmd {
        Cmd::Unhandled => global_key(app, key),
        cmd => app.apply(cmd),
    }
}

/// Hands a key to the screen on top. `wheel` marks keys made from mouse-wheel turns: a lesson
/// scrolls its text by three lines, and a lab ignores them.
fn screen_key(app: &mut App, key: KeyEvent, wheel: bool) -> Cmd {
    let ctx = Ctx {
        content: &app.content,
        state: &app.state,
        theme: &app.theme,
        size: app.size,
        now: (app.clock)(),
    };
    match app.stack.last_mut().expect("home is never popped") {
        Screen::Home(s) => s.on_key(key, &ctx),
        Screen::Glossary(s) => s.on_key(key, &app.glossary_index),
        Screen::Term(s) => s.on_key(key, &ctx),
        Screen::Lessons(s) => s.on_key(key, &ctx),
        Screen::Lesson(s) if wheel => s.scroll_by(if key.code == KeyCode::Down { 3 } else { -3 }, &ctx),
        Screen::Lesson(s) => s.on_key(key, &ctx),
        Screen::Quiz(s) => s.on_key(key, &ctx),
        Screen::Labs(s) => s.on_key(key),
        Screen::Lab(_) if wheel => Cmd::None,
        Screen::Lab(s) => s.on_key(key),
    }
}

/// Keys every screen shares, unless a text field took them first.
fn global_key(app: &mut App, key: KeyEvent) {
    if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
        return;
    }
    match key.code {
        KeyCode::Char('?') => app.overlay = Overlay::Help(0),
        KeyCode::Char(':') => app.overlay = Overlay::Finder(Finder::new(&app.finder_index)),
        KeyCode::Char('g') => app.open_glossary(),
        KeyCode::Char('l') => app.open_lessons(None),
        KeyCode::Char('t') => app.stack.push(Screen::Quiz(QuizView::setup())),
        KeyCode::Char('b') => app.stack.push(Screen::Labs(LabList::default())),
        KeyCode::Char('q') if app.stack.len() == 1 => app.quit = true,
        KeyCode::Char('q') | KeyCode::Esc | KeyCode::Backspace => app.back(),
        _ => {}
    }
}

fn on_mouse(app: &mut App, mouse: MouseEvent) {
    if let (MouseEventKind::Down(_), Overlay::None) = (mouse.kind, &app.overlay) {
        match app.stack.last_mut() {
            Some(Screen::Lab(s)) => s.on_mouse(mouse),
            Some(Screen::Lesson(s)) => s.on_mouse(mouse),
            _ => {}
        }
        return;
    }
    let code = match mouse.kind {
        MouseEventKind::ScrollDown => KeyCode::Down,
        MouseEventKind::ScrollUp => KeyCode::Up,
        _ => return,
    };
    if let Overlay::Help(_) = app.overlay {
        // The wheel scrolls the help as the arrow keys do.
        on_key(app, KeyEvent::new(code, KeyModifiers::NONE));
        return;
    }
    if !matches!(app.overlay, Overlay::None) {
        return;
    }
    // The wheel scrolls reading screens and moves the selection in lists.
    let cmd = screen_key(app, KeyEvent::new(code, KeyModifiers::NONE), true);
    app.apply(cmd);
}

/// Parses a key macro such as `"g quorm <enter> <tab> <esc>"`: `<name>` is a special key, a
/// word is typed character by character, and spaces separate tokens (`<space>` types one).
pub fn key_macro(keys: &str) -> Vec<KeyEvent> {
    let mut out = Vec::new();
    for token in keys.split_whitespace() {
        let special = token.strip_prefix('<').and_then(|t| t.strip_suffix('>'));
        match special {
            Some(name) => {
                let (mods, name) = match name.strip_prefix("c-") {
                    Some(rest) => (KeyModifiers::CONTROL, rest),
                    None => (KeyModifiers::NONE, name),
                };
                let code = match name {
                    "enter" => KeyCode::Enter,
                    "esc" => KeyCode::Esc,
                    "tab" => KeyCode::Tab,
                    "backtab" => KeyCode::BackTab,
                    "bs" => KeyCode::Backspace,
                    "up" => KeyCode::Up,
                    "down" => KeyCode::Down,
                    "left" => KeyCode::Left,
                    "right" => KeyCode::Right,
                    "pgup" => KeyCode::PageUp,
                    "pgdn" => KeyCode::PageDown,
                    "space" => KeyCode::Char(' '),
                    "f1" => KeyCode::F(1),
                    c if c.chars().count() == 1 => KeyCode::Char(c.chars().next().unwrap()),
                    other => panic!("unknown key <{other}>"),
                };
                out.push(KeyEvent::new(code, mods));
            }
            None => out.extend(
                token
                    .chars()
                    .map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
            ),
        }
    }
    out
}

/// Feeds a key macro to the app, as a headless test would.
pub fn press(app: &mut App, keys: &str) {
    for key in key_macro(keys) {
        update(app, Msg::Key(key));
    }
}
