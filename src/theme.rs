//! Colours for dark and light terminals, and a monochrome set when NO_COLOR is set.

use ratatui::style::{Color, Modifier, Style};
use serde::{Deserialize, Serialize};

use crate::content::markdown::MarkdownStyles;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
}

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub accent: Style,
    pub selected: Style,
    pub matched: Style,
    pub border: Style,
    pub done: Style,
    pub notice: Style,
    pub key: Style,
    pub markdown: MarkdownStyles,
}

impl Theme {
    pub fn new(name: ThemeName, color: bool) -> Theme {
        if !color {
            return Theme::no_color();
        }
        let (fg, accent, accent2, dim, code_fg) = match name {
            ThemeName::Dark => (
                Color::Reset,
                Color::Cyan,
                Color::Yellow,
                Color::DarkGray,
                Color::LightYellow,
            ),
            ThemeName::Light => (Color::Reset, Color::Blue, Color::Magenta, Color::Gray, Color::Red),
        };
        let text = Style::new().fg(fg);
        Theme {
            color: true,
            text,
            dim: Style::new().fg(dim),
            title: Style::new().fg(accent).add_modifier(Modifier::BOLD),
            accent: Style::new().fg(accent),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            matched: Style::new().fg(accent2).add_modifier(Modifier::BOLD),
            border: Style::new().fg(dim),
            done: Style::new().fg(Color::Green),
            notice: Style::new().fg(accent2),
            key: Style::new().fg(accent).add_modifier(Modifier::BOLD),
            markdown: MarkdownStyles {
                text,
                heading: Style::new().fg(accent).add_modifier(Modifier::BOLD),
                code: Style::new().fg(code_fg),
                code_block: Style::new().fg(code_fg),
                link: Style::new().fg(accent).add_modifier(Modifier::UNDERLINED),
                link_selected: Style::new().fg(accent).add_modifier(Modifier::REVERSED),
                quote: Style::new().add_modifier(Modifier::ITALIC),
                rule: Style::new().fg(dim),
            },
        }
    }

    fn no_color() -> Theme {
        let plain = Style::new();
        let bold = plain.add_modifier(Modifier::BOLD);
        Theme {
            color: false,
            text: plain,
            dim: plain.add_modifier(Modifier::DIM),
            title: bold,
            accent: bold,
            selected: plain.add_modifier(Modifier::REVERSED),
            matched: plain.add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
            border: plain,
            done: bold,
            notice: bold,
            key: bold,
            markdown: MarkdownStyles {
                text: plain,
                heading: bold,
                code: plain.add_modifier(Modifier::DIM),
                code_block: plain,
                link: plain.add_modifier(Modifier::UNDERLINED),
                link_selected: plain.add_modifier(Modifier::REVERSED),
                quote: plain.add_modifier(Modifier::ITALIC),
                rule: plain,
            },
        }
    }

    pub fn monochrome(&self) -> bool {
        !self.color
    }

    /// NO_COLOR (any non-empty value) turns colour off: https://no-color.org
    pub fn color_allowed() -> bool {
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    }
}
