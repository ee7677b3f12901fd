//! sdlab: an interactive terminal lab for learning system design.

pub mod cli;
pub mod content;
pub mod engines;
pub mod quiz;
pub mod safe_text;
pub mod search;
pub mod state;
pub mod theme;
pub mod tui;
