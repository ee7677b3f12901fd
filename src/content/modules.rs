use serde::Deserialize;
use toml::Spanned;

use super::{problem::Problem, text::LineIndex, validate::Parsed, Module, SourceFile};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModulesFile {
    #[serde(default)]
    module: Vec<Spanned<RawModule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModule {
    id: String,
    title: String,
    summary: String,
}

pub fn parse(file: &SourceFile, out: &mut Vec<Module>, parsed: &mut Parsed, problems: &mut Vec<Problem>) {
    let doc: ModulesFile = match toml::from_str(&file.text) {
        Ok(doc) => doc,
        Err(e) => return problems.push(super::validate::toml_problem(file, 0, &e)),
    };
    let lines = LineIndex::new(&file.text);
    for m in doc.module {
        let line = lines.line(m.span().start);
        let m = m.into_inner();
        parsed.module_lines.insert(m.id.clone(), (file.display.clone(), line));
        parsed.ids.push((file.display.clone(), line, "module", m.id.clone()));
        out.push(Module {
            id: m.id,
            title: m.title,
            summary: m.summary,
            lessons: vec![],
            terms: vec![],
        });
    }
}
