//! Key hints: each screen declares its keys once; the footer and the `?` overlay render them.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyHint {
    pub keys: &'static str,
    pub action: &'static str,
    /// Shown in the footer as well as in the help overlay.
    pub footer: bool,
}

pub const fn hint(keys: &'static str, action: &'static str) -> KeyHint {
    KeyHint {
        keys,
        action,
        footer: true,
    }
}

/// A hint that only the help overlay lists (the footer has no room for it).
pub const fn more(keys: &'static str, action: &'static str) -> KeyHint {
    KeyHint {
        keys,
        action,
        footer: false,
    }
}

/// Keys that work on every screen without a focused text field.
pub const GLOBAL: &[KeyHint] = &[
    more("g", "glossary"),
    more("l", "lessons"),
    more("t", "quiz"),
    more("b", "labs"),
    more("Ctrl-P  :", "go to anything"),
    more("?  F1", "help for this screen"),
    more("Ctrl-C", "quit from anywhere"),
];

pub fn is_ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

/// A printable character typed without Ctrl or Alt, for text fields.
pub fn typed_char(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c) if !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => Some(c),
        _ => None,
    }
}

/// A key macro (`"/ 42 <enter>"`) as a person reads it (`/ 42 Enter`).
pub fn describe_keys(keys: &str) -> String {
    keys.split_whitespace()
        .map(|k| match k {
            "<enter>" => "Enter".to_string(),
            "<esc>" => "Esc".to_string(),
            "<tab>" => "Tab".to_string(),
            "<left>" => "←".to_string(),
            "<right>" => "→".to_string(),
            "<up>" => "↑".to_string(),
            "<down>" => "↓".to_string(),
            "<space>" => "Space".to_string(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}
