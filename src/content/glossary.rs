use serde::Deserialize;
use toml::Spanned;

use super::{problem::Problem, text::LineIndex, validate::Parsed, SourceFile, Term};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GlossaryFile {
    #[serde(default)]
    term: Vec<Spanned<RawTerm>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerm {
    id: String,
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    summary: String,
    #[serde(default)]
    see_also: Vec<Spanned<String>>,
    body: Spanned<String>,
}

pub fn parse(file: &SourceFile, module: &str, out: &mut Vec<Term>, parsed: &mut Parsed, problems: &mut Vec<Problem>) {
    let doc: GlossaryFile = match toml::from_str(&file.text) {
        Ok(doc) => doc,
        Err(e) => {
            // The ids the file would have declared, read line by line, so that links to them
            // elsewhere are counted once here rather than each reported as an unknown term.
            for line in file.text.lines() {
                let id = line
                    .trim()
                    .strip_prefix("id")
                    .map(str::trim_start)
                    .and_then(|r| r.strip_prefix('='))
                    .map(str::trim)
                    .and_then(|r| r.strip_prefix('"'))
                    .and_then(|r| r.split_once('"'))
                    .map(|(id, _)| id);
                if let Some(id) = id {
                    parsed.unparsed_terms.push((file.display.clone(), id.to_string()));
                }
            }
            return problems.push(super::validate::toml_problem(file, 0, &e));
        }
    };
    let lines = LineIndex::new(&file.text);
    parsed.module_refs.push((file.display.clone(), 1, module.to_string()));
    for t in doc.term {
        let line = lines.line(t.span().start);
        let t = t.into_inner();
        let body_line = body_start_line(&file.text, &lines, t.body.span().start);
        parsed.ids.push((file.display.clone(), line, "term", t.id.clone()));
        parsed.term_lines.insert(t.id.clone(), (file.display.clone(), line));
        for s in &t.see_also {
            let l = lines.line(s.span().start);
            parsed.refs.push((
                file.display.clone(),
                l,
                format!("see_also of {}", t.id),
                "term",
                s.get_ref().clone(),
            ));
        }
        parsed.scan_links(&file.display, body_line, t.body.get_ref(), &format!("term {}", t.id));
        parsed.term_bodies.push((
            file.display.clone(),
            body_line,
            t.id.clone(),
            super::word_count(t.body.get_ref()),
        ));
        if t.summary.chars().count() > 160 {
            problems.push(Problem::new(
                &file.display,
                line,
                format!(
                    "term {}: summary is {} characters (at most 160)",
                    t.id,
                    t.summary.chars().count()
                ),
            ));
        }
        out.push(Term {
            id: t.id,
            name: t.name,
            aliases: t.aliases,
            module: module.to_string(),
            summary: t.summary,
            body: t.body.into_inner(),
            see_also: t.see_also.into_iter().map(Spanned::into_inner).collect(),
            taught_in: vec![],
        });
    }
}

/// Line where a string's content starts: a `"""` string that opens with a newline starts on the
/// next line.
fn body_start_line(text: &str, lines: &LineIndex, literal_start: usize) -> usize {
    let rest = &text[literal_start.min(text.len())..];
    let skip = rest.starts_with("\"\"\"\n") || rest.starts_with("'''\n") || rest.starts_with("\"\"\"\r\n");
    lines.line(literal_start) + usize::from(skip)
}
