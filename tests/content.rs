//! The built-in content: valid, complete against the curriculum, and fast to load.

use std::collections::HashSet;

use sdlab::content::Content;

fn curriculum() -> Option<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/curriculum.md");
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(_) => {
            eprintln!("skipped: {path} is not present, so curriculum coverage is not checked");
            None
        }
    }
}

/// Rows of curriculum.md §1 (the glossary table): (name, module, marked (G)).
fn curriculum_terms(text: &str) -> Vec<(String, String, bool)> {
    let start = text.find("## 1. Glossary terms").expect("glossary section");
    let end = text.find("## 2. Modules and lessons").expect("lessons section");
    text[start..end]
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Term"))
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            (cols.len() > 4).then(|| {
                let g = cols[1].contains("(G)");
                let name = cols[1].replace("**(G)**", "").replace("(G)", "").trim().to_string();
                (name, cols[3].to_string(), g)
            })
        })
        .collect()
}

/// Lesson ids of curriculum.md §2: `module/NN-slug`.
fn curriculum_lessons(text: &str) -> Vec<String> {
    let start = text.find("## 2. Modules and lessons").unwrap();
    let end = text.find("## 3. Interview questions").unwrap();
    let mut module = String::new();
    let mut out = Vec::new();
    for line in text[start..end].lines() {
        if let Some(rest) = line.strip_prefix("### Module ") {
            module = rest.split('`').nth(1).unwrap_or_default().to_string();
        } else if let Some(rest) = line.strip_prefix("**") {
            if let Some(id) = rest
                .split("**")
                .next()
                .filter(|id| id.as_bytes().first().is_some_and(u8::is_ascii_digit))
            {
                out.push(format!("{module}/{id}"));
            }
        }
    }
    out
}

#[test]
fn embedded_content_has_no_problems() {
    let (content, problems) = Content::embedded();
    let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        listed.join("\n")
    );
    assert!(content.modules.len() >= 12);
}

#[test]
fn every_module_has_at_least_three_lessons() {
    let (content, _) = Content::embedded();
    for m in &content.modules {
        assert!(m.lessons.len() >= 3, "module {} has {} lessons", m.id, m.lessons.len());
    }
}

#[test]
fn every_glossary_term_of_the_curriculum_is_present() {
    let Some(text) = curriculum() else { return };
    let (content, _) = Content::embedded();
    let names: HashSet<String> = content
        .terms
        .iter()
        .flat_map(|t| std::iter::once(&t.name).chain(&t.aliases))
        .map(|n| n.to_lowercase())
        .collect();
    let terms = curriculum_terms(&text);
    assert_eq!(terms.len(), 284, "the curriculum table has 284 terms");
    assert_eq!(terms.iter().filter(|t| t.2).count(), 22, "22 are marked (G)");
    let missing: Vec<&str> = terms
        .iter()
        .filter(|t| !names.contains(&t.0.to_lowercase()))
        .map(|t| t.0.as_str())
        .collect();
    assert!(missing.is_empty(), "missing terms: {missing:?}");
    for (name, module, _) in &terms {
        let term = content.terms.iter().find(|t| t.name.eq_ignore_ascii_case(name));
        if let Some(t) = term {
            assert_eq!(&t.module, module, "{name} belongs to {module}");
        }
    }
}

#[test]
fn every_lesson_of_the_curriculum_exists() {
    let Some(text) = curriculum() else { return };
    let (content, _) = Content::embedded();
    let wanted = curriculum_lessons(&text);
    assert_eq!(wanted.len(), 99);
    let missing: Vec<&String> = wanted.iter().filter(|id| content.lesson(id).is_none()).collect();
    assert!(missing.is_empty(), "missing lessons: {missing:?}");
}

#[test]
fn every_term_is_taught_and_every_link_resolves() {
    let (content, _) = Content::embedded();
    for t in &content.terms {
        assert!(!t.taught_in.is_empty(), "{} is taught nowhere", t.id);
        for s in &t.see_also {
            assert!(content.term(s).is_some(), "{} → {s}", t.id);
        }
    }
}

/// Wording that names unseen sources is an error with its file and line; an unlinked first
/// mention of a term is a warning, kept out of the problems that make content unusable.
#[test]
fn check_rejects_unseen_sources_and_warns_on_unlinked_first_mentions() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wording");
    let files = sdlab::content::read_dir_files(std::path::Path::new(dir)).expect("fixture");
    let (content, problems) = Content::load(&files);
    let at = |p: &sdlab::content::Problem| {
        let path = p.path.replace('\\', "/");
        let rel = path
            .rsplit_once("wording/")
            .map_or(path.clone(), |(_, r)| r.to_string());
        format!("{rel}:{}", p.line)
    };
    let wording: Vec<String> = problems
        .iter()
        .filter(|p| p.message.contains("never saw"))
        .map(|p| format!("{} {}", at(p), p.message.split(' ').next().unwrap_or("")))
        .collect();
    assert_eq!(
        wording,
        [
            "content/glossary/alpha.toml:4 \"seeds'\"",
            "content/glossary/alpha.toml:14 \"tutorials\"",
            "content/quizzes/alpha.toml:6 \"seed's\"",
            "lessons/alpha/01-first.md:8 \"tutorial's\"",
            "lessons/alpha/01-first.md:14 \"Our",
            "lessons/alpha/01-first.md:24 \"original",
        ],
        "all: {problems:?}"
    );
    assert!(problems.iter().all(|p| !p.is_warning()));
    let warnings: Vec<String> = content.warnings().iter().map(|w| format!("{} {}", at(w), w)).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("lessons/alpha/01-first.md:16 "), "{warnings:?}");
    assert!(
        warnings[0].ends_with(
            ": warning: first mention of term load-balancer is not linked: write [load balancer](term:load-balancer)"
        ),
        "{warnings:?}"
    );
}

#[test]
fn built_in_lessons_link_the_first_mention_of_every_term() {
    let (content, _) = Content::embedded();
    let listed: Vec<String> = content.warnings().iter().map(ToString::to_string).collect();
    assert!(listed.is_empty(), "{} warnings:\n{}", listed.len(), listed.join("\n"));
}
