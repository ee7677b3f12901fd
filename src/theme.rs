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
    /// Colours that tell a lab's nodes apart, cycled; each readable on the theme's background.
    pub nodes: [Color; 10],
}

/// Node colours on a dark background: light tints from the 256-colour cube, whose RGB values
/// are fixed (the 16 named colours vary from terminal to terminal).
const DARK_NODES: [Color; 10] = [
    Color::Indexed(51),
    Color::Indexed(226),
    Color::Indexed(213),
    Color::Indexed(83),
    Color::Indexed(203),
    Color::Indexed(75),
    Color::Indexed(229),
    Color::Indexed(177),
    Color::Indexed(121),
    Color::Indexed(209),
];

/// Node colours on a light background: deep tones, each at least 4.5:1 against white.
const LIGHT_NODES: [Color; 10] = [
    Color::Indexed(25),
    Color::Indexed(124),
    Color::Indexed(28),
    Color::Indexed(127),
    Color::Indexed(130),
    Color::Indexed(23),
    Color::Indexed(54),
    Color::Indexed(94),
    Color::Indexed(90),
    Color::Indexed(18),
];

impl Theme {
    pub fn new(name: ThemeName, color: bool) -> Theme {
        if !color {
            return Theme::no_color();
        }
        // Light: ANSI 7 ("gray") is pale grey on white, and ANSI blue, magenta, red and green
        // are too light there too; the 256-colour cube has darker tones of each with fixed RGB
        // (the contrast test below checks every one against the background).
        let (fg, accent, accent2, dim, code_fg, done, nodes) = match name {
            ThemeName::Dark => (
                Color::Reset,
                Color::Cyan,
                Color::Yellow,
                Color::DarkGray,
                Color::LightYellow,
                Color::Green,
                DARK_NODES,
            ),
            ThemeName::Light => (
                Color::Reset,
                Color::Indexed(25),
                Color::Indexed(127),
                Color::Indexed(242),
                Color::Indexed(124),
                Color::Indexed(28),
                LIGHT_NODES,
            ),
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
            done: Style::new().fg(done),
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
            nodes,
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
            nodes: [Color::Reset; 10],
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

#[cfg(test)]
mod tests {
    use super::*;

    /// RGB of a colour: the 16 named colours as xterm's default palette has them, the 256-colour
    /// cube and grey ramp as xterm defines them (what most terminals copy).
    fn rgb(c: Color) -> (u8, u8, u8) {
        const NAMED: [(u8, u8, u8); 16] = [
            (0, 0, 0),
            (205, 0, 0),
            (0, 205, 0),
            (205, 205, 0),
            (0, 0, 238),
            (205, 0, 205),
            (0, 205, 205),
            (229, 229, 229),
            (127, 127, 127),
            (255, 0, 0),
            (0, 255, 0),
            (255, 255, 0),
            (92, 92, 255),
            (255, 0, 255),
            (0, 255, 255),
            (255, 255, 255),
        ];
        let index = match c {
            Color::Black => 0,
            Color::Red => 1,
            Color::Green => 2,
            Color::Yellow => 3,
            Color::Blue => 4,
            Color::Magenta => 5,
            Color::Cyan => 6,
            Color::Gray => 7,
            Color::DarkGray => 8,
            Color::LightRed => 9,
            Color::LightGreen => 10,
            Color::LightYellow => 11,
            Color::LightBlue => 12,
            Color::LightMagenta => 13,
            Color::LightCyan => 14,
            Color::White => 15,
            Color::Indexed(i) => i,
            Color::Rgb(r, g, b) => return (r, g, b),
            Color::Reset => panic!("the terminal's own colour has no fixed value"),
        };
        match index {
            0..=15 => NAMED[usize::from(index)],
            16..=231 => {
                let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
                let i = index - 16;
                (level(i / 36), level(i / 6 % 6), level(i % 6))
            }
            _ => {
                let v = 8 + 10 * (index - 232);
                (v, v, v)
            }
        }
    }

    /// WCAG 2 relative luminance.
    fn luminance(c: Color) -> f64 {
        let (r, g, b) = rgb(c);
        let lin = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.040_45 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    }

    fn contrast(a: Color, b: Color) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn xterm_values_give_the_published_contrast_ratios() {
        // WCAG's own reference points: black on white is 21:1; #767676 on white is 4.54:1.
        assert!((contrast(Color::Black, Color::White) - 21.0).abs() < 1e-9);
        assert!((contrast(Color::Indexed(243), Color::White) - 4.54).abs() < 0.01);
    }

    #[test]
    fn every_coloured_text_is_readable_on_its_background() {
        // WCAG 2.1 AA asks 4.5:1 for body text. Dark themes are read on black, light on white.
        for (name, background) in [(ThemeName::Dark, Color::Black), (ThemeName::Light, Color::White)] {
            let t = Theme::new(name, true);
            let m = &t.markdown;
            let styles = [
                ("dim", t.dim),
                ("title", t.title),
                ("accent", t.accent),
                ("matched", t.matched),
                ("border", t.border),
                ("done", t.done),
                ("notice", t.notice),
                ("key", t.key),
                ("code", m.code),
                ("code block", m.code_block),
                ("link", m.link),
                ("heading", m.heading),
                ("rule", m.rule),
            ];
            let colours = styles
                .iter()
                .filter_map(|(what, s)| s.fg.filter(|c| *c != Color::Reset).map(|c| (what.to_string(), c)))
                .chain(t.nodes.iter().enumerate().map(|(i, c)| (format!("node {i}"), *c)));
            for (what, c) in colours {
                let ratio = contrast(c, background);
                assert!(
                    ratio >= 4.5,
                    "{name:?} theme: {what} {c:?} is {ratio:.2}:1 on {background:?}"
                );
            }
        }
    }

    #[test]
    fn light_secondary_text_is_not_ansi_grey() {
        // ANSI 7 is pale grey (#e5e5e5 in xterm, 1.3:1 on white): it was the light theme's dim.
        let t = Theme::new(ThemeName::Light, true);
        assert_ne!(t.dim.fg, Some(Color::Gray));
        assert!(contrast(Color::Gray, Color::White) < 1.5);
    }
}
