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

/// An I/O error in plain words: "permission denied", not "Permission denied (os error 13)".
pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::AlreadyExists => "it already exists".into(),
        io::ErrorKind::IsADirectory => "it is a directory".into(),
        io::ErrorKind::NotADirectory => "a part of the path is not a directory".into(),
        io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only".into(),
        io::ErrorKind::StorageFull => "the disk is full".into(),
        _ => {
            let text = e.to_string();
            // The OS code in brackets means nothing to a learner.
            let plain = text.split(" (os error").next().unwrap_or(&text);
            let mut chars = plain.chars();
            chars
                .next()
                .map_or(String::new(), |c| c.to_lowercase().chain(chars).collect())
        }
    }
}

/// Line (from 1) of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    1 + text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
}

/// The source text of a value, cut to fit a one-line notice.
fn shown(text: &str, span: std::ops::Range<usize>) -> String {
    let raw = text.get(span).unwrap_or("").lines().next().unwrap_or("").trim();
    if raw.chars().count() > 40 {
        format!("{}…", raw.chars().take(39).collect::<String>())
    } else {
        raw.to_string()
    }
}

/// Parses the state value by value: what cannot be used is left out and described (one
/// sentence each, naming the file and line). Err only when the text is not TOML at all.
fn parse_lenient(text: &str, path: &Path) -> Result<(State, Vec<String>), String> {
    use serde::de::DeserializeOwned;
    use toml::de::{DeTable, DeValue, ValueDeserializer};
    use toml::Spanned;
    let table = DeTable::parse(text).map_err(|e| {
        let at = e
            .span()
            .map_or(String::new(), |s| format!(" at line {}", line_at(text, s.start)));
        format!("not valid TOML{at}")
    })?;
    let mut state = State::default();
    let mut warnings = Vec::new();
    let file = path.display();
    fn value<T: DeserializeOwned>(v: &Spanned<DeValue<'_>>) -> Option<T> {
        T::deserialize(ValueDeserializer::from(v.clone())).ok()
    }
    let mut warn = |key_span: std::ops::Range<usize>, what: String, expected: &str| {
        warnings.push(format!(
            "{file}, line {}: {what} is not {expected}; it was left out",
            line_at(text, key_span.start)
        ));
    };
    for (key, v) in table.get_ref().iter() {
        let name = key.get_ref().as_ref();
        let what = || format!("{name} = {}", shown(text, v.span()));
        match name {
            "version" => match value::<u32>(v) {
                Some(n) => state.version = n,
                None => warn(key.span(), what(), "a version number such as 1"),
            },
            "theme" => match value::<ThemeName>(v) {
                Some(t) => state.theme = Some(t),
                None => warn(key.span(), what(), "a theme: \"dark\" or \"light\""),
            },
            "last_lesson" => match value::<String>(v) {
                Some(l) => state.last_lesson = Some(l),
                None => warn(key.span(), what(), "a lesson id in quotes"),
            },
            "lessons" | "cards" | "labs" | "predictions" => {
                let DeValue::Table(entries) = v.get_ref() else {
                    warn(key.span(), what(), "a table");
                    continue;
                };
                for (id, entry) in entries.iter() {
                    let id_text = id.get_ref().to_string();
                    let what = format!("{name}.{id_text}");
                    // Each entry stands alone: a bad one is left out, the others kept.
                    let kept = match name {
                        "lessons" => value::<LessonProgress>(entry).map(|p| {
                            state.lessons.insert(id_text, p);
                        }),
                        "cards" => value::<CardRecord>(entry).map(|c| {
                            state.cards.insert(id_text, c);
                        }),
                        "labs" => value::<toml::Table>(entry).map(|t| {
                            state.labs.insert(id_text, t);
                        }),
                        _ => value::<f64>(entry).map(|x| {
                            state.predictions.insert(id_text, x);
                        }),
                    };
                    if kept.is_none() {
                        let expected = match name {
                            "lessons" => "a lesson's progress (step = a whole number, completed = true or false)",
                            "cards" => "a question's review record as sdlab writes it",
                            "labs" => "a lab session (config and actions) as sdlab writes it",
                            _ => "a number",
                        };
                        warn(id.span(), what, expected);
                    }
                }
            }
            _ => warn(
                key.span(),
                what(),
                "a setting sdlab knows (version, theme, last_lesson, lessons, cards, labs, predictions)",
            ),
        }
    }
    Ok((state, warnings))
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

    /// Loads the state. A missing file is a fresh start. A value that is wrong or unknown is
    /// left out and reported (file, line, what was expected) while every other value is kept;
    /// only a file that is not TOML at all is moved aside, and the returned notice says where.
    /// A state file sdlab may not write is reported and left alone for the session.
    pub fn load(&mut self) -> (State, Option<String>) {
        let path = self.path();
        let text = match fs::read(&path) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return (State::default(), None),
            Err(e) => {
                self.writable = false;
                return (
                    State::default(),
                    Some(format!(
                        "could not read the state file {}: {}; progress will not be saved this session",
                        path.display(),
                        io_reason(&e)
                    )),
                );
            }
        };
        let read_only = fs::metadata(&path).is_ok_and(|m| m.permissions().readonly());
        let parsed = text.and_then(|t| parse_lenient(&t, &path));
        let (state, warnings) = match parsed {
            Ok((state, _)) if state.version > VERSION => {
                self.writable = false;
                let notice = format!(
                    "{} was written by a newer sdlab (version {}); progress will not be saved this session",
                    path.display(),
                    state.version
                );
                return (State::default(), Some(notice));
            }
            Ok(parsed) => parsed,
            Err(reason) if read_only => {
                self.writable = false;
                let notice = format!(
                    "the state file {} is unreadable ({reason}) and read-only; progress will not be saved this session",
                    path.display()
                );
                return (State::default(), Some(notice));
            }
            Err(reason) => return (State::default(), Some(self.move_aside(&path, &reason))),
        };
        let mut notices = warnings;
        if read_only {
            // Saving renames a new file over the old one, which a read-only file does not stop:
            // the learner made it read-only, so it is left as it is.
            self.writable = false;
            notices.push(format!(
                "the state file {} is read-only; progress will not be saved this session",
                path.display()
            ));
        }
        let notice = match notices.len() {
            0 => None,
            1 => notices.pop(),
            n => Some(format!("{} (and {} more problems in the file)", notices[0], n - 1)),
        };
        (state, notice)
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
        // An unknown or bad value is dropped and reported by `load`; only a file that is not
        // TOML at all comes here.
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
    fn a_bad_value_is_left_out_and_everything_else_kept() {
        let dir = tempfile::tempdir().unwrap();
        let text = "version = 1\ntheme = \"purple\"\nlast_lesson = \"a/01-x\"\n\n[lessons.\"a/01-x\"]\nstep = 2\ncompleted = false\n";
        fs::write(dir.path().join("state.toml"), text).unwrap();
        let mut store = Store::at(dir.path().to_path_buf());
        let (state, notice) = store.load();
        assert_eq!(state.theme, None);
        assert_eq!(state.last_lesson.as_deref(), Some("a/01-x"));
        assert_eq!(state.progress("a/01-x").step, 2);
        let notice = notice.expect("the bad value is reported");
        let path = dir.path().join("state.toml");
        assert!(notice.contains(&format!("{}, line 2", path.display())), "{notice}");
        assert!(notice.contains("theme = \"purple\""), "{notice}");
        assert!(notice.contains("\"dark\" or \"light\""), "{notice}");
        assert!(!notice.contains('\n') && !notice.contains("column"), "{notice}");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "nothing moved aside");
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            text,
            "loading never rewrites the file"
        );
    }

    #[test]
    fn unknown_settings_and_bad_entries_are_counted_in_one_notice() {
        let dir = tempfile::tempdir().unwrap();
        let text = "version = 1\ncolour = \"red\"\n[lessons]\n\"a/01-x\" = { step = \"two\" }\n\"a/02-y\" = { step = 1, completed = true }\n";
        fs::write(dir.path().join("state.toml"), text).unwrap();
        let (state, notice) = Store::at(dir.path().to_path_buf()).load();
        assert!(state.progress("a/02-y").completed, "the good entry is kept");
        assert!(!state.lessons.contains_key("a/01-x"));
        let notice = notice.unwrap();
        assert!(notice.contains("line 2: colour = \"red\" is not a setting"), "{notice}");
        assert!(notice.ends_with("(and 1 more problems in the file)"), "{notice}");
    }

    #[test]
    fn text_that_is_not_toml_is_reported_by_line_not_by_byte() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("state.toml"), "version = 1\ntheme = \n").unwrap();
        let (_, notice) = Store::at(dir.path().to_path_buf()).load();
        let notice = notice.unwrap();
        assert!(notice.contains("not valid TOML at line 2"), "{notice}");
        assert!(notice.contains("state.toml.corrupt-"), "{notice}");
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_state_file_is_reported_and_left_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.toml");
        fs::write(&path, "version = 1\ntheme = \"light\"\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
        let mut store = Store::at(dir.path().to_path_buf());
        let (state, notice) = store.load();
        assert_eq!(state.theme, Some(ThemeName::Light));
        assert!(notice.unwrap().contains("is read-only; progress will not be saved"));
        store.save(&State::default()).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "version = 1\ntheme = \"light\"\n");
    }

    #[test]
    fn io_errors_read_as_plain_words() {
        let e = io::Error::from_raw_os_error(13);
        assert_eq!(io_reason(&e), "permission denied");
        assert_eq!(io_reason(&io::Error::other("Disk on fire")), "disk on fire");
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
