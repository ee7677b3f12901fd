//! No input crashes the content loader: any file, however mangled, yields content plus
//! problems that name a real file and line.

use std::borrow::Cow;

use proptest::prelude::*;
use sdlab::content::{embedded_files, Content, SourceFile};

/// How a test mangles one content file.
#[derive(Debug, Clone)]
enum Mangle {
    /// Cut the file at this fraction of its length.
    Truncate(f64),
    /// Insert text at this fraction of its length.
    Insert(f64, String),
    /// Replace the whole file.
    Replace(String),
}

fn mangle() -> impl Strategy<Value = Mangle> {
    // Fragments that matter to TOML, front matter and Markdown, mixed with arbitrary text.
    let text = prop_oneof![
        any::<String>(),
        prop::sample::select(vec![
            "+++",
            "\n+++\n",
            "[[goal]]\nstep = 0\n",
            "[[check]]",
            "\"",
            "'''",
            "= ",
            "[term]\n",
            "## ",
            "\n## \n",
            "```",
            "[[",
            "]]",
            "[link](term:nope)",
            "\u{0}",
            "é\u{301}",
            "\r\n",
            "step = 99\ncheck = \"vnodes <\"\n",
            "lab = \"nope\"\n",
            "correct = [9]\n",
        ])
        .prop_map(str::to_string),
    ];
    prop_oneof![
        (0.0..1.0).prop_map(Mangle::Truncate),
        ((0.0..1.0), text.clone()).prop_map(|(at, t)| Mangle::Insert(at, t)),
        text.prop_map(Mangle::Replace),
    ]
}

fn cut_point(text: &str, at: f64) -> usize {
    let mut i = (text.len() as f64 * at) as usize;
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_mangled_file_gives_problems_not_a_panic(which in any::<prop::sample::Index>(), how in mangle()) {
        let mut files: Vec<SourceFile> = embedded_files();
        let i = which.index(files.len());
        let text = &files[i].text;
        files[i].text = Cow::Owned(match how {
            Mangle::Truncate(at) => text[..cut_point(text, at)].to_string(),
            Mangle::Insert(at, s) => {
                let at = cut_point(text, at);
                format!("{}{}{}", &text[..at], s, &text[at..])
            }
            Mangle::Replace(s) => s,
        });
        let (_, problems) = Content::load(&files);
        for p in &problems {
            prop_assert!(files.iter().any(|f| f.display == p.path), "problem names no file: {p:?}");
            prop_assert!(p.line >= 1, "problem without a line: {p:?}");
        }
    }
}
