use serde::Deserialize;
use toml::Spanned;

use super::{problem::Problem, text::line_of, validate::Parsed, Check, Goal, Lesson, Prediction, SourceFile, Step};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    minutes: Spanned<u32>,
    summary: String,
    #[serde(default)]
    terms: Vec<Spanned<String>>,
    #[serde(default)]
    check: Vec<RawCheck>,
    lab: Option<Spanned<String>>,
    #[serde(default)]
    goal: Vec<Spanned<RawGoal>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGoal {
    step: usize,
    text: String,
    check: String,
    hint: String,
    solution: String,
    scenario: Option<toml::Table>,
    /// Predict-then-run: the metric the learner predicts before driving the lab.
    predict: Option<String>,
    tolerance: Option<f64>,
    question: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    question: String,
    answer: String,
}

pub fn parse(file: &SourceFile, out: &mut Vec<Lesson>, parsed: &mut Parsed, problems: &mut Vec<Problem>) {
    let path = file.display.as_str();
    let rel = file.rel.strip_prefix("lessons/").unwrap_or(&file.rel);
    let id = rel.strip_suffix(".md").unwrap_or(rel).to_string();
    let Some((module, stem)) = id.split_once('/').filter(|(_, s)| !s.contains('/')) else {
        return problems.push(Problem::new(
            path,
            1,
            "a lesson must be lessons/<module>/<NN>-<slug>.md",
        ));
    };
    let (module, stem) = (module.to_string(), stem.to_string());
    let number = match stem.split_once('-') {
        Some((nn, slug))
            if nn.len() == 2 && nn.bytes().all(|b| b.is_ascii_digit()) && super::text::is_kebab_id(slug) =>
        {
            nn.parse::<u32>().unwrap_or(0)
        }
        _ => {
            return problems.push(Problem::new(
                path,
                1,
                format!("file name {stem}.md must be <NN>-<slug>.md, e.g. 01-why-shard.md"),
            ))
        }
    };
    let text: std::borrow::Cow<str> = if file.text.contains('\r') {
        file.text.replace("\r\n", "\n").into()
    } else {
        file.text.as_ref().into()
    };
    let Some(after_open) = text.strip_prefix("+++\n") else {
        return problems.push(Problem::new(
            path,
            1,
            "a lesson must start with TOML front matter between +++ lines",
        ));
    };
    let Some(close) = after_open
        .find("\n+++\n")
        .or_else(|| after_open.strip_suffix("\n+++").map(|s| s.len()))
    else {
        return problems.push(Problem::new(path, 1, "front matter is not closed: add a line with +++"));
    };
    let fm_text = &after_open[..close];
    let fm: FrontMatter = match toml::from_str(fm_text) {
        Ok(fm) => fm,
        Err(e) => {
            let fm_file = SourceFile {
                text: fm_text.to_string().into(),
                ..file.clone()
            };
            return problems.push(super::validate::toml_problem(&fm_file, 1, &e));
        }
    };
    let fm_line = |offset: usize| line_of(fm_text, offset) + 1;
    let body_offset = 4 + close + 5;
    let body = text.get(body_offset..).unwrap_or("");
    let body_first_line = line_of(&text, body_offset.min(text.len()));

    let minutes = *fm.minutes.get_ref();
    if !(1..=60).contains(&minutes) {
        problems.push(Problem::new(
            path,
            fm_line(fm.minutes.span().start),
            format!("minutes is {minutes}: give a reading time from 1 to 60"),
        ));
    }
    parsed.ids.push((path.to_string(), 1, "lesson", id.clone()));
    parsed.module_refs.push((path.to_string(), 1, module.clone()));
    parsed.lesson_lines.insert(id.clone(), (path.to_string(), 1));
    for t in &fm.terms {
        parsed.refs.push((
            path.to_string(),
            fm_line(t.span().start),
            format!("terms of lesson {id}"),
            "term",
            t.get_ref().clone(),
        ));
        parsed.lesson_terms.push((
            path.to_string(),
            fm_line(t.span().start),
            id.clone(),
            t.get_ref().clone(),
        ));
    }

    let steps = split_steps(body);
    for (line, step) in &steps {
        parsed.scan_links(path, body_first_line + line, &step.body, &format!("lesson {id}"));
    }
    let words: usize = steps
        .iter()
        .map(|(_, s)| super::word_count(&s.title) + super::word_count(&s.body))
        .sum::<usize>()
        + fm.check
            .iter()
            .map(|c| super::word_count(&c.question) + super::word_count(&c.answer))
            .sum::<usize>();
    parsed
        .lesson_stats
        .push((path.to_string(), id.clone(), steps.len(), fm.check.len(), words));

    let goals = lab_goals(&fm, steps.len(), path, &fm_line, problems);

    out.push(Lesson {
        id,
        module,
        number,
        title: fm.title,
        minutes,
        summary: fm.summary,
        terms: fm.terms.into_iter().map(Spanned::into_inner).collect(),
        steps: steps.into_iter().map(|(_, s)| s).collect(),
        checks: fm
            .check
            .into_iter()
            .map(|c| Check {
                question: c.question,
                answer: c.answer,
            })
            .collect(),
        lab: fm.lab.map(Spanned::into_inner),
        goals,
    });
}

/// The lesson's lab goals, each checked against the lab's metrics and steps.
fn lab_goals(
    fm: &FrontMatter,
    steps: usize,
    path: &str,
    fm_line: &dyn Fn(usize) -> usize,
    problems: &mut Vec<Problem>,
) -> Vec<Goal> {
    let info = match &fm.lab {
        Some(lab) => match crate::engines::lab::find(lab.get_ref()) {
            Some(info) => Some(info),
            None => {
                let known: Vec<&str> = crate::engines::lab::registry().iter().map(|l| l.id).collect();
                problems.push(Problem::new(
                    path,
                    fm_line(lab.span().start),
                    format!("unknown lab {:?}: labs are {}", lab.get_ref(), known.join(", ")),
                ));
                return Vec::new();
            }
        },
        None => None,
    };
    let mut goals = Vec::new();
    for g in &fm.goal {
        let line = fm_line(g.span().start);
        let raw = g.get_ref();
        let Some(info) = info else {
            problems.push(Problem::new(
                path,
                line,
                "a [[goal]] needs the lesson to name its `lab`",
            ));
            continue;
        };
        if !(1..=steps).contains(&raw.step) {
            problems.push(Problem::new(
                path,
                line,
                format!(
                    "goal step {} does not exist: the lesson has steps 1 to {steps}",
                    raw.step
                ),
            ));
            continue;
        }
        let check = match crate::engines::goal::Check::parse(&raw.check, info) {
            Ok(check) => check,
            Err(e) => {
                problems.push(Problem::new(path, line, format!("goal check: {e}")));
                continue;
            }
        };
        let predict = match prediction(raw, info) {
            Ok(p) => p,
            Err(e) => {
                problems.push(Problem::new(path, line, e));
                continue;
            }
        };
        let scenario = raw.scenario.as_ref().map(crate::engines::lab::scenario_text);
        if let Some(text) = &scenario {
            if let Err(e) = (info.check_scenario)(text) {
                problems.push(Problem::new(path, line, format!("goal scenario: {e}")));
                continue;
            }
        }
        goals.push(Goal {
            step: raw.step - 1,
            text: raw.text.clone(),
            check,
            hint: raw.hint.clone(),
            solution: raw.solution.clone(),
            scenario,
            predict,
        });
    }
    goals
}

/// A goal's prediction: `predict` names a numeric metric of the lab, `question` asks for it
/// and `tolerance` (default 0) says how close counts.
fn prediction(raw: &RawGoal, info: &crate::engines::lab::LabInfo) -> Result<Option<Prediction>, String> {
    let Some(metric) = &raw.predict else {
        if raw.question.is_some() || raw.tolerance.is_some() {
            return Err("`question` and `tolerance` belong to a prediction: add `predict = \"METRIC\"`".into());
        }
        return Ok(None);
    };
    if !info.metrics.iter().any(|(m, _)| m == metric) {
        let known: Vec<&str> = info.metrics.iter().map(|(m, _)| *m).collect();
        return Err(format!(
            "goal predict: lab {} has no metric {metric:?}; it has {}",
            info.id,
            known.join(", ")
        ));
    }
    let question = raw.question.as_deref().map(str::trim).unwrap_or_default();
    if question.is_empty() {
        return Err(format!(
            "goal predict {metric:?} needs a `question` asking the learner for it"
        ));
    }
    let tolerance = raw.tolerance.unwrap_or(0.0);
    if !tolerance.is_finite() || tolerance < 0.0 {
        return Err(format!("goal tolerance {tolerance} must be a number of 0 or more"));
    }
    Ok(Some(Prediction {
        metric: metric.clone(),
        tolerance,
        question: question.to_string(),
    }))
}

/// Splits a lesson body at `## ` headings outside fenced code, returning each step with the
/// 0-based line (within the body) where its text starts.
fn split_steps(body: &str) -> Vec<(usize, Step)> {
    let mut steps: Vec<(usize, Step)> = Vec::new();
    let mut in_fence = false;
    for (i, line) in body.split('\n').enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
        }
        if !in_fence {
            if let Some(title) = line.strip_prefix("## ") {
                steps.push((
                    i + 1,
                    Step {
                        title: title.trim().to_string(),
                        body: String::new(),
                    },
                ));
                continue;
            }
        }
        if let Some((_, step)) = steps.last_mut() {
            step.body.push_str(line);
            step.body.push('\n');
        }
    }
    for (_, s) in &mut steps {
        let trimmed = s.body.trim_end().to_string();
        s.body = trimmed;
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_steps_but_not_inside_code() {
        let body = "intro\n## One\ntext\n```\n## not a step\n```\n## Two\nmore\n";
        let steps = split_steps(body);
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].1.title, "One");
        assert!(steps[0].1.body.contains("## not a step"));
        assert_eq!(steps[1].0, 7);
    }
}
