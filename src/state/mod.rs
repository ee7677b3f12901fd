//! Progress, settings and the last place the learner was, in one TOML file.
//!
//! The file lives under the platform data directory, or `$SDLAB_HOME` when set. Writes go to a
//! temporary file in the same directory and are renamed over the old one, so a crash never leaves
//! half a file. A file that cannot be read or parsed is moved aside, never overwritten.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::quiz::CardRecord;
use crate::theme::ThemeName;

pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<ThemeName>,
    /// The lesson the learner was last reading, for "continue where you left off".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_lesson: Option<String>,
    #[serde(default)]
    pub lessons: BTreeMap<String, LessonProgress>,
    /// Spaced-repetition cards by question id.
    #[serde(default)]
    pub cards: BTreeMap<String, CardRecord>,
    /// Each sandbox lab's session (its scenario: config and actions) by lab id, so a lab
    /// reopens where the learner left it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labs: BTreeMap<String, toml::Table>,
    /// Predictions made in predict-then-run lesson goals, by `lesson-id#goal-number`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub predictions: BTreeMap<String, f64>,
}

impl Default for State {
    fn default() -> Self {
        State {
            version: VERSION,
            theme: None,
            last_lesson: None,
            lessons: BTreeMap::new(),
            cards: BTreeMap::new(),
            labs: BTreeMap::new(),
            predictions: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonProgress {
    /// The step the learner is on (0-based).
    pub step: usize,
    /// Set once the learner has reached the last step.
    pub completed: bool,
}

impl State {
    pub fn progress(&self, lesson: &str) -> LessonProgress {
        self.lessons.get(lesson).cloned().unwrap_or_default()
    }

    /// Records that the learner is on `step` of `step_count`.
    pub fn visit(&mut self, lesson: &str, step: usize, step_count: usize) {
        let p = self.lessons.entry(lesson.to_string()).or_default();
        p.step = step;
        if step + 1 >= step_count {
            p.completed = true;
        }
        self.last_lesson = Some(lesson.to_string());
    }

    /// The key a lesson goal's prediction is kept under.
    pub fn prediction_key(lesson: &str, goal: usize) -> String {
        format!("{lesson}#{}", goal + 1)
    }

    /// Forgets one lesson's progress, or all progress when `lesson` is None.
    pub fn reset(&mut self, lesson: Option<&str>) {
        match lesson {
            Some(id) => {
                let prefix = format!("{id}#");
                self.predictions.retain(|k, _| !k.starts_with(&prefix));
                self.lessons.remove(id);
                if self.last_lesson.as_deref() == Some(id) {
                    self.last_lesson = None;
                }
            }
            None => {
                self.predictions.clear();
                self.lessons.clear();
                self.last_lesson = None;
            }
        }
    }
}

/// Where the state file lives and whether it may be written.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    /// False when an existing file could not be moved aside or is from a newer sdlab: saving
    /// would destroy it.
    writable: bool,
}

impl Store {
    /// `$SDLAB_HOME`, else the platform data directory.
    pub fn locate() -> io::Result<Store> {
        if let Some(home) = std::env::var_os("SDLAB_HOME").filter(|h| !h.is_empty()) {
            return Ok(Store::at(PathBuf::from(home)));
        }
        directories::ProjectDirs::from("", "", "sdlab")
            .map(|d| Store::at(d.data_dir().to_path_buf()))
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no home directory: set SDLAB_HOME"))
    }

    pub fn at(dir: PathBuf) -> Store {
        Store { dir, writable: true }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join("state.toml")
    }

    /// Loads the state. A missing file is a fresh start; a broken one is moved aside and the
    /// returned notice says where.
    pub fn load(&mut self) -> (State, Option<String>) {
        let path = self.path();
        let text = match fs::read(&path) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|e| e.to_string()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return (State::default(), None),
            Err(e) => Err(e.to_string()),
        };
        let parsed = text.and_then(|t| toml::from_str::<State>(&t).map_err(|e| e.message().to_string()));
        match parsed {
            Ok(state) if state.version > VERSION => {
                self.writable = false;
                let notice = format!(
                    "{} was written by a newer sdlab (version {}); progress will not be saved this session",
                    path.display(),
                    state.version
                );
                (State::default(), Some(notice))
            }
            Ok(state) => (state, None),
            Err(reason) => (State::default(), Some(self.move_aside(&path, &reason))),
        }
    }

    fn move_aside(&mut self, path: &Path, reason: &str) -> String {
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut aside = self.dir.join(format!("state.toml.corrupt-{stamp}"));
        let mut n = 1;
        while aside.exists() {
            aside = self.dir.join(format!("state.toml.corrupt-{stamp}-{n}"));
            n += 1;
        }
        let reason = reason.trim().lines().next().unwrap_or("unreadable");
        match fs::rename(path, &aside) {
            Ok(()) => format!(
                "state file was unreadable ({reason}); kept it as {} and started fresh",
                aside.display()
            ),
            Err(e) => {
                self.writable = false;
                format!(
                    "state file {} is unreadable ({reason}) and could not be moved aside ({e}); progress will not be saved",
                    path.display()
                )
            }
        }
    }

    /// Writes the state atomically: a temporary file in the same directory, then a rename.
    pub fn save(&self, state: &State) -> io::Result<()> {
        if !self.writable {
            return Ok(());
        }
        fs::create_dir_all(&self.dir)?;
        let text = toml::to_string(state).map_err(io::Error::other)?;
        let tmp = self.dir.join(format!(".state.toml.tmp-{}", std::process::id()));
        let result = (|| {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            fs::rename(&tmp, self.path())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_writes_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::at(dir.path().to_path_buf());
        let mut state = State::default();
        state.visit("sharding/01-why-shard", 2, 5);
        state.theme = Some(ThemeName::Light);
        store.save(&state).unwrap();
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            vec![std::ffi::OsString::from("state.toml")],
            "no temp file left behind"
        );
        let (loaded, notice) = store.load();
        assert_eq!(notice, None);
        assert_eq!(loaded, state);
    }

    #[test]
    fn corrupt_file_is_kept_aside_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("state.toml"), "version = [[[ not toml").unwrap();
        let mut store = Store::at(dir.path().to_path_buf());
        let (state, notice) = store.load();
        assert_eq!(state, State::default());
        let notice = notice.expect("a notice");
        assert!(notice.contains("state.toml.corrupt-"), "{notice}");
        let aside: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("state.toml.corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(
            fs::read_to_string(dir.path().join(&aside[0])).unwrap(),
            "version = [[[ not toml"
        );
        store.save(&State::default()).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join(&aside[0])).unwrap(),
            "version = [[[ not toml"
        );
    }

    #[test]
    fn newer_version_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("state.toml"), "version = 99\n").unwrap();
        let mut store = Store::at(dir.path().to_path_buf());
        let (_, notice) = store.load();
        assert!(notice.unwrap().contains("newer sdlab"));
        store.save(&State::default()).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("state.toml")).unwrap(),
            "version = 99\n"
        );
    }

    #[test]
    fn visiting_the_last_step_completes_a_lesson() {
        let mut state = State::default();
        state.visit("a/01-x", 0, 3);
        assert!(!state.progress("a/01-x").completed);
        state.visit("a/01-x", 2, 3);
        assert!(state.progress("a/01-x").completed);
        state.reset(Some("a/01-x"));
        assert_eq!(state.progress("a/01-x"), LessonProgress::default());
        assert_eq!(state.last_lesson, None);
    }
}
