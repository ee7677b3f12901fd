//! The command line as a user or script calls it.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;

fn sdlab(home: &tempfile::TempDir) -> Command {
    let mut cmd = Command::cargo_bin("sdlab").unwrap();
    cmd.env("SDLAB_HOME", home.path()).env_remove("NO_COLOR");
    cmd
}

/// Runs a command that must succeed and prints JSON Lines; returns one value per line.
fn json_lines(cmd: &mut Command) -> Vec<serde_json::Value> {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn glossary_lookup_forgives_typos_and_prints_plain_text() {
    let home = tempfile::tempdir().unwrap();
    let out = sdlab(&home)
        .args(["glossary", "qourum"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("Quorum\n"), "{text}");
    assert!(!text.contains('\x1b'), "no escape codes when stdout is not a terminal");
    assert!(text.contains("Module: CAP & consensus"));
    assert!(text.contains("Taught in:"));
}

#[test]
fn glossary_json_has_the_documented_shape() {
    let home = tempfile::tempdir().unwrap();
    let out = sdlab(&home)
        .args(["glossary", "shrading", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["id"], "sharding");
    assert_eq!(v["name"], "Sharding");
    assert_eq!(v["module"], "sharding");
    for key in ["aliases", "see_also", "lessons"] {
        assert!(v[key].is_array(), "{key} is an array");
    }
    assert!(v["body"].as_str().unwrap().split_whitespace().count() >= 80);
}

#[test]
fn glossary_list_prints_every_term() {
    let home = tempfile::tempdir().unwrap();
    let out = sdlab(&home)
        .args(["glossary", "--list"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let names: Vec<String> = String::from_utf8(out).unwrap().lines().map(str::to_string).collect();
    assert!(names.len() >= 120, "{} terms", names.len());
    assert!(names.iter().any(|n| n == "Consistent hashing"));
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "alphabetical");
}

#[test]
fn glossary_without_a_match_says_so_and_exits_1() {
    let home = tempfile::tempdir().unwrap();
    sdlab(&home)
        .args(["glossary", "zzzzqqqq"])
        .assert()
        .code(1)
        .stdout("")
        .stderr("sdlab: no term named \"zzzzqqqq\"\n");
    let out = sdlab(&home)
        .args(["glossary", "zzzzqqqq", "--json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["error"], "no term named \"zzzzqqqq\"");
    assert_eq!(v["query"], "zzzzqqqq");
    assert_eq!(v["mentioned_in"], serde_json::json!([]));
}

/// A word that names no term but is in the text of some: exit 1, and the terms that mention it.
#[test]
fn glossary_offers_the_terms_that_mention_a_word_no_term_is_named() {
    let home = tempfile::tempdir().unwrap();
    let (content, _) = sdlab::content::Content::embedded();
    let word = common::mentioned_word(&content);
    let expected = common::terms_mentioning(&content, &word);
    assert!(expected.len() >= 2, "{word}: {expected:?}");
    let out = sdlab(&home)
        .args(["glossary", &word])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    let mut lines = err.lines();
    assert_eq!(lines.next(), Some(format!("sdlab: no term named \"{word}\"").as_str()));
    let mentioned = lines.next().and_then(|l| l.strip_prefix("mentioned in: ")).expect(&err);
    let first = content.term(&expected[0]).unwrap().name.as_str();
    assert!(expected.len() > 8 || mentioned.contains(first), "{mentioned}");

    let out = sdlab(&home)
        .args(["glossary", &word, "--json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let mut ids: Vec<String> = v["mentioned_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, expected, "every term whose text holds {word}, and no other");
}

/// "paxos" once printed JSON's entry and "zipf" Response compression's, with exit 0.
#[test]
fn glossary_paxos_and_zipf_never_answer_with_an_unrelated_term() {
    let home = tempfile::tempdir().unwrap();
    for (query, wrong) in [("paxos", "JSON\n"), ("zipf", "Response compression\n")] {
        let out = sdlab(&home).args(["glossary", query]).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.starts_with(wrong), "{query}: {text}");
        if out.status.code() == Some(1) {
            assert!(String::from_utf8(out.stderr).unwrap().contains("no term named"));
        }
    }
}

#[test]
fn glossary_without_a_query_is_a_usage_error_and_the_help_agrees() {
    let home = tempfile::tempdir().unwrap();
    let out = sdlab(&home)
        .arg("glossary")
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("needs a QUERY") && err.contains("--list"), "{err}");
    sdlab(&home)
        .args(["glossary", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("[QUERY]...").and(predicate::str::contains("needed unless --list")));
}

#[test]
fn lesson_prints_steps_and_answers_as_plain_text() {
    let home = tempfile::tempdir().unwrap();
    let (content, _) = sdlab::content::Content::embedded();
    let first = &content.lessons[content.modules[0].lessons[0]];
    // The start of an id is enough when it names one lesson.
    let prefix = &first.id[..first.id.find('-').unwrap()];
    let out = sdlab(&home)
        .args(["lesson", prefix])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with(&format!("{}\n", first.title)), "{text}");
    let count = first.step_count();
    for (i, step) in first.steps.iter().enumerate() {
        let heading = format!("Step {} of {count} · {}\n", i + 1, step.title);
        assert!(text.contains(&heading), "missing {heading:?}");
    }
    assert!(text.contains(&format!("Step {count} of {count} · Check yourself")));
    assert_eq!(text.matches("   Answer: ").count(), first.checks.len());
    sdlab(&home)
        .args(["lesson", "no/such-lesson"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no lesson \"no/such-lesson\""));
    sdlab(&home)
        .args(["lesson", "s"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("give more of one"));
}

/// Every lesson prints without Markdown markup: no backticks, no `**`, no link syntax, no `#`
/// headings (a code block's lines are its content, kept as written).
#[test]
fn every_lesson_prints_without_markdown_markup() {
    let (content, _) = sdlab::content::Content::embedded();
    for i in 0..content.lessons.len() {
        let lesson = &content.lessons[i];
        let mut code = std::collections::HashSet::new();
        for step in &lesson.steps {
            let mut inside = false;
            for line in step.body.lines() {
                if line.trim_start().starts_with("```") {
                    inside = !inside;
                } else if inside {
                    code.insert(line.trim().to_string());
                }
            }
        }
        let full = sdlab::cli::lesson_text(&content, i);
        let text: Vec<&str> = full.lines().filter(|l| !code.contains(l.trim())).collect();
        let text = text.join("\n");
        let id = &lesson.id;
        for markup in ["`", "**", "](", "\n#"] {
            assert!(!text.contains(markup), "{id} prints {markup:?}");
        }
        for check in &content.lessons[i].checks {
            let start: String = check.question.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
            let start = start.replace(['*', '`'], "");
            assert!(text.contains(start.trim()), "{id}: question {start:?} missing");
        }
    }
}

#[test]
fn lesson_json_has_steps_and_checks() {
    let home = tempfile::tempdir().unwrap();
    let (content, _) = sdlab::content::Content::embedded();
    let lesson = content
        .lessons
        .iter()
        .find(|l| l.lab.is_some())
        .expect("a lesson with a lab");
    let out = sdlab(&home)
        .args(["lesson", &lesson.id, "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["id"], lesson.id.as_str());
    assert_eq!(v["lab"], lesson.lab.as_deref().unwrap());
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), lesson.steps.len());
    for (s, step) in steps.iter().zip(&lesson.steps) {
        assert_eq!(s["title"], step.title.as_str());
        assert_eq!(s["markdown"], step.body.as_str());
        assert!(!s["text"].as_str().unwrap().contains("**"));
    }
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), lesson.checks.len());
    assert!(checks
        .iter()
        .all(|c| c["question"].is_string() && c["answer"].is_string()));
}

#[test]
fn lessons_show_progress_and_labs() {
    let home = tempfile::tempdir().unwrap();
    let (content, _) = sdlab::content::Content::embedded();
    let order: Vec<&sdlab::content::Lesson> = content
        .modules
        .iter()
        .flat_map(|m| m.lessons.iter().map(|&l| &content.lessons[l]))
        .collect();
    let (done, started) = (order[0], order[1]);
    std::fs::write(
        home.path().join("state.toml"),
        format!(
            "version = 1\n[lessons.\"{}\"]\nstep = {}\ncompleted = true\n[lessons.\"{}\"]\nstep = 2\ncompleted = false\n",
            done.id,
            done.step_count() - 1,
            started.id
        ),
    )
    .unwrap();
    let out = sdlab(&home)
        .arg("lessons")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let line = |id: &str| text.lines().find(|l| l.contains(id)).unwrap().to_string();
    assert!(line(&done.id).trim_start().starts_with('✓'), "{}", line(&done.id));
    let step = format!("step 3/{}", started.step_count());
    assert!(
        line(&started.id).trim_start().starts_with(&step),
        "{}",
        line(&started.id)
    );
    assert!(!line(&order[2].id).contains('✓') && !line(&order[2].id).contains("step "));
    let lab = content.lessons.iter().find(|l| l.lab.is_some()).unwrap();
    assert!(line(&lab.id).contains("[lab: "), "{}", line(&lab.id));

    let out = sdlab(&home)
        .args(["lessons", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let all: Vec<&serde_json::Value> = v
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["lessons"].as_array().unwrap())
        .collect();
    let find = |id: &str| *all.iter().find(|l| l["id"] == id).unwrap();
    assert_eq!(find(&done.id)["progress"]["completed"], true);
    assert_eq!(find(&started.id)["progress"]["step"], 3);
    assert_eq!(find(&started.id)["progress"]["steps"], started.step_count());
    assert!(find(&order[2].id)["progress"].is_null());
    assert_eq!(find(&lab.id)["lab"], lab.lab.as_deref().unwrap());
}

#[test]
fn lessons_lists_modules_in_order_as_json() {
    let home = tempfile::tempdir().unwrap();
    let out = sdlab(&home)
        .args(["lessons", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(&ids[..3], ["foundations", "scaling", "load-balancing"]);
    let first = &v[0]["lessons"][0];
    assert!(first["id"].as_str().unwrap().starts_with("foundations/01-"));
    assert_eq!(first["steps"].as_array().unwrap().last().unwrap(), "Check yourself");
}

#[test]
fn check_passes_on_the_built_in_content() {
    let home = tempfile::tempdir().unwrap();
    sdlab(&home)
        .arg("check")
        .assert()
        .success()
        .stderr("")
        .stdout(predicate::str::starts_with("checked ").and(predicate::str::ends_with("no problems\n")));
}

#[test]
fn check_names_file_and_line_of_every_problem_and_exits_1() {
    let home = tempfile::tempdir().unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/broken");
    let out = sdlab(&home)
        .args(["check", dir])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let expect = [
        "content/glossary/alpha.toml:5: see_also of widget: unknown term \"nowhere\"",
        "content/glossary/alpha.toml:7: term widget: unknown term \"missing-term\"",
        "content/glossary/alpha.toml:7: term widget: body has 11 words (80 to 250)",
        "content/glossary/alpha.toml:10: term gadget is not taught by any lesson",
        "content/glossary/unknown-module.toml:8: invalid TOML: unknown field `colour`",
        "content/modules.toml:6: module id \"Bad_Id\" must be lowercase kebab-case",
        "lessons/alpha/01-first.md:3: minutes is 0",
        "lessons/alpha/01-first.md:5: term widget is taught here but never linked",
        "lessons/alpha/01-first.md:14: lesson alpha/01-first: unknown term \"no-such-term\"",
        "lessons/alpha/01-first.md:1: lesson alpha/01-first has 1 [[check]] questions (2 to 4)",
        "lessons/alpha/02-second.md:2: invalid TOML",
        "lessons/alpha/third.md:1: file name third.md must be <NN>-<slug>.md",
        "content/quizzes/alpha.toml:1: question alpha-bad-choice: correct choice 3 does not exist",
        "content/quizzes/alpha.toml:10: question alpha-zero-tolerance: tolerance must be a number above 0",
        "content/quizzes/alpha.toml:20: question alpha-mixed: `choices` does not belong to kind = \"truefalse\"",
        "content/quizzes/alpha.toml:27: question alpha-mixed: unknown term \"nope\"",
        "content/quizzes/alpha.toml:28: question alpha-mixed: unknown lesson \"alpha/99-missing\"",
        "content/quizzes/alpha.toml:35: question alpha-wide-tolerance: tolerance_pct must be above 0 and at most 50 (it is 80)",
        "content/quizzes/alpha.toml:46: question alpha-two-tolerances: give `tolerance` (absolute) or `tolerance_pct` (relative), not both",
        "lessons/alpha/03-lab.md:7: goal check: lab ring has no metric \"speed\"",
        "lessons/alpha/03-lab.md:14: goal step 9 does not exist",
        "lessons/alpha/03-lab.md:21: goal scenario: vnodes must be between 1 and 1000",
        "lessons/alpha/03-lab.md:29: goal predict: lab ring has no metric \"lost_writes\"",
        "lessons/alpha/03-lab.md:38: goal predict \"moved_fraction\" needs a `question`",
        "lessons/alpha/03-lab.md:47: `question` and `tolerance` belong to a prediction",
        "lessons/alpha/04-nolab.md:5: unknown lab \"warp-drive\"",
        "lessons/alpha/04-nolab.md:18: code line is 89 columns wide; at most 74 fit an 80-column terminal",
    ];
    for e in expect {
        assert!(text.contains(e), "missing {e:?} in:\n{text}");
    }
    // unknown-module.toml does not parse: reported once, and the two links to its term `orphan`
    // counted in one line there instead of each reported as an unknown term.
    assert!(
        text.contains("content/glossary/unknown-module.toml:1: 2 links elsewhere point to terms of this file"),
        "{text}"
    );
    assert!(!text.contains("unknown term \"orphan\""), "{text}");
    let summary = text.lines().last().unwrap();
    let problems = text.lines().count() - 1;
    assert!(
        summary.starts_with("checked ") && summary.ends_with(&format!(": {problems} problems")),
        "the summary is the last line on stdout and counts the lines above it: {summary}"
    );
}

#[test]
fn check_of_a_missing_directory_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    sdlab(&home)
        .args(["check", "/no/such/dir"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read content"));
}

#[test]
fn bad_arguments_exit_2() {
    let home = tempfile::tempdir().unwrap();
    sdlab(&home).arg("--no-such-flag").assert().code(2);
    sdlab(&home).args(["--theme", "purple", "lessons"]).assert().code(2);
}

#[test]
fn content_flag_uses_another_tree_and_refuses_a_broken_one() {
    let home = tempfile::tempdir().unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/broken");
    sdlab(&home)
        .args(["--content", dir, "lessons"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sdlab check"));
}

#[test]
fn progress_reset_and_corrupt_state() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("state.toml"), "version = 1\nlast_lesson = \"sharding/01-why-shard\"\n[lessons.\"foundations/01-what-is-system-design\"]\nstep = 2\ncompleted = true\n").unwrap();
    sdlab(&home)
        .arg("progress")
        .assert()
        .success()
        .stdout(predicate::str::contains("1 of"));
    sdlab(&home)
        .args(["progress", "--reset", "foundations/01-what-is-system-design"])
        .assert()
        .success();
    sdlab(&home)
        .arg("progress")
        .assert()
        .success()
        .stdout(predicate::str::contains("0 of"));
    sdlab(&home)
        .args(["progress", "--reset", "no/such-lesson"])
        .assert()
        .code(2);
    std::fs::write(home.path().join("state.toml"), "this is = = not toml").unwrap();
    sdlab(&home)
        .arg("progress")
        .assert()
        .success()
        .stderr(predicate::str::contains("state.toml.corrupt-"));
    let kept = std::fs::read_dir(home.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("state.toml.corrupt-")
        })
        .count();
    assert_eq!(kept, 1);
}

#[test]
fn progress_keeps_good_values_beside_a_bad_one_and_clamps_the_step() {
    let home = tempfile::tempdir().unwrap();
    let lesson = "foundations/01-what-is-system-design";
    std::fs::write(
        home.path().join("state.toml"),
        format!("version = 1\ntheme = \"purple\"\n[lessons.\"{lesson}\"]\nstep = 1000\ncompleted = false\n"),
    )
    .unwrap();
    let out = sdlab(&home).arg("progress").assert().success().get_output().clone();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(stderr.contains("state.toml, line 2: theme = \"purple\""), "{stderr}");
    let line = stdout.lines().find(|l| l.contains(lesson)).expect("the lesson is kept");
    let (step, count) = line
        .split_once("step ")
        .and_then(|(_, r)| r.split_once(" of "))
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .unwrap();
    assert_eq!(step, count, "step 1000 is shown as the last step: {line}");
    let aside = std::fs::read_dir(home.path()).unwrap().count();
    assert_eq!(aside, 1, "nothing moved aside");
}

#[test]
fn completions_and_version() {
    let home = tempfile::tempdir().unwrap();
    sdlab(&home)
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("sdlab"));
    sdlab(&home)
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("sdlab "));
}

#[test]
fn the_lab_refuses_to_start_without_a_terminal() {
    let home = tempfile::tempdir().unwrap();
    sdlab(&home)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs a terminal"));
}

/// An Anki field's text: tags removed, entities decoded.
fn untag(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

#[test]
fn anki_export_round_trips() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("cards.tsv");
    sdlab(&home)
        .args(["quiz", "--export", "anki"])
        .arg(&file)
        .assert()
        .success();
    let out = sdlab(&home)
        .args(["quiz", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let bank: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let bank = bank.as_array().unwrap();
    let tsv = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = tsv.lines().collect();
    assert_eq!(lines.len(), bank.len(), "one line per question");
    for (line, q) in lines.iter().zip(bank) {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 3, "front, back, tags: {line}");
        assert!(fields.iter().all(|f| !f.is_empty() && !f.contains('\r')));
        assert_eq!(fields[2], format!("sdlab::{}", q["module"].as_str().unwrap()));
        let front_text = untag(fields[0]);
        let prompt_text = sdlab::quiz::plain_text(q["prompt"].as_str().unwrap());
        let prompt_start: String = prompt_text.chars().take(20).collect();
        assert!(front_text.starts_with(&prompt_start), "{front_text} vs {prompt_start}");
        for field in &fields[..2] {
            assert!(!field.contains('`') && !field.contains("**"), "raw Markdown in {field}");
        }
    }
    assert!(tsv.contains("<code>"), "inline code is rendered as HTML");
    sdlab(&home)
        .args(["quiz", "--export", "csv"])
        .arg(&file)
        .assert()
        .code(2);
}

/// A due card whose prompt has inline code prints as plain text: no backticks in the terminal.
#[test]
fn quiz_due_prints_prompts_without_markdown() {
    use sdlab::quiz::{review, Grade};
    let home = tempfile::tempdir().unwrap();
    let (content, _) = sdlab::content::Content::embedded();
    let q = content
        .questions
        .iter()
        .find(|q| q.prompt.contains('`'))
        .expect("a prompt with inline code");
    let mut store = sdlab::state::Store::at(home.path().to_path_buf());
    let (mut state, _) = store.load();
    let long_ago = chrono::Utc::now() - chrono::Duration::days(400);
    let grade = Grade {
        correct: false,
        score: 0.0,
        rating: rs_fsrs::Rating::Again,
    };
    review(&mut state.cards, &q.id, grade, 5.0, long_ago);
    store.save(&state).unwrap();
    let out = sdlab(&home)
        .args(["quiz", "--due"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("1 due now"), "{text}");
    let line = text.lines().nth(1).unwrap();
    assert!(line.contains(&q.module), "{line}");
    assert!(!line.contains('`') && !line.contains("**"), "{line}");
    let first_code = q.prompt.split('`').nth(1).unwrap();
    assert!(line.contains(first_code), "{line}");
}

#[test]
fn quiz_bank_json_and_due_list() {
    let home = tempfile::tempdir().unwrap();
    let out = sdlab(&home)
        .args(["quiz", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let bank: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let bank = bank.as_array().unwrap();
    assert!(bank.len() >= 150, "{} questions", bank.len());
    for q in bank {
        for key in ["id", "module", "kind", "prompt", "answer", "explanation", "terms"] {
            assert!(!q[key].is_null(), "{key} in {q}");
        }
    }
    let out = sdlab(&home)
        .args(["quiz", "--due", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let due: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(due["due"], 0);
    assert_eq!(due["new"].as_u64().unwrap() as usize, bank.len());
}

#[test]
fn lab_ring_prints_one_json_object_per_state() {
    let home = tempfile::tempdir().unwrap();
    let states = json_lines(
        sdlab(&home)
            .args([
                "lab", "ring", "--nodes", "a,b=2,c", "--keys", "20000", "--trace", "user:42", "--json",
            ])
            .args(["--do", "add d; remove b; weight a 3; vnodes 50"]),
    );
    assert_eq!(states.len(), 5, "initial state plus one per action");
    for s in &states {
        for key in [
            "strategy",
            "nodes",
            "max_over_mean",
            "stddev",
            "moved_fraction",
            "ideal_moved_fraction",
            "modulo_moved_fraction",
            "traces",
        ] {
            assert!(s.get(key).is_some(), "{key} missing from {s}");
        }
        let node = &s["nodes"][0];
        for key in ["name", "weight", "keys", "share"] {
            assert!(node.get(key).is_some(), "node field {key}");
        }
        let trace = &s["traces"][0];
        for key in ["key", "hash", "owner", "preference"] {
            assert!(trace.get(key).is_some(), "trace field {key}");
        }
    }
    assert!(states[0]["moved_fraction"].is_null());
    assert_eq!(states[0]["nodes"][1]["weight"], 2);
    let add = &states[1];
    assert_eq!(add["action"], "add d");
    // Weights a=1, b=2, c=1, d=1: the new node's ideal share is 1/5.
    assert!((add["ideal_moved_fraction"].as_f64().unwrap() - 0.2).abs() < 1e-9);
    assert!(add["modulo_moved_fraction"].as_f64().unwrap() > 0.5);
    assert_eq!(states[2]["nodes"].as_array().unwrap().len(), 3);
}

#[test]
fn lab_ring_is_deterministic_for_a_seed() {
    let home = tempfile::tempdir().unwrap();
    let run = |seed: &str| {
        sdlab(&home)
            .args([
                "lab", "ring", "--ids", "random", "--zipf", "1.1", "--seed", seed, "--json", "--do", "add n5",
            ])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    assert_eq!(run("7"), run("7"));
    assert_ne!(run("7"), run("8"));
}

/// Every flag and action of `sdlab lab ring`, fed a bad value: exit 2 and one line that gives
/// the real range in words or lists the choices.
#[test]
fn lab_ring_rejects_bad_arguments_with_one_line_and_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let table: &[(&[&str], &str)] = &[
        (
            &["--nodes=-3"],
            "--nodes must be a whole number between 1 and 200 (got -3)",
        ),
        (&["--nodes", "0"], "between 1 and 200"),
        (&["--nodes", "a,,b"], "bad node name \"\""),
        (&["--nodes", "a,a"], "node a is listed twice"),
        (
            &["--nodes", "a=0"],
            "the weight of a must be a whole number between 1 and 100,000 (got 0)",
        ),
        (
            &["--nodes", "a@mars"],
            "unknown region \"mars\": use one of na, eu, apac, sa, af",
        ),
        (
            &["--keys", "-1"],
            "--keys must be a whole number between 10 and 1,000,000 (got -1)",
        ),
        (&["--keys", "5"], "between 10 and 1,000,000"),
        (
            &["--vnodes=-5"],
            "--vnodes must be a whole number between 1 and 1000 (got -5)",
        ),
        (&["--vnodes", "0"], "between 1 and 1000"),
        (&["--zipf", "4"], "--zipf must be a number from 0 to at most 3 (got 4)"),
        (&["--zipf", "nan"], "from 0 to at most 3"),
        (&["--celebrity", "100"], "from 0 to below 100 (got 100)"),
        (&["--seed", "-1"], "--seed must be a whole number between 0 and"),
        (
            &["--replicas", "11"],
            "--replicas must be a whole number between 1 and 10 (got 11)",
        ),
        (
            &["--strategy", "bogus"],
            "use one of modulo, ring, ketama, jump, rendezvous, range, geo, directory",
        ),
        (&["--ids", "uuid"], "--ids \"uuid\": use sequential or random"),
        (
            &["--vnodes", "1000", "--nodes", "a=1000,b"],
            "the ring would have 1,001,000 points",
        ),
        (
            &["--do", "strategy bogus"],
            "use one of modulo, ring, ketama, jump, rendezvous, range, geo, directory",
        ),
        (
            &["--do", "vnodes -5"],
            "vnodes must be a whole number between 1 and 1000 (got -5)",
        ),
        (
            &["--do", "weight n1 0"],
            "a weight must be a whole number between 1 and 100,000 (got 0)",
        ),
        (
            &["--do", "keys 2000000"],
            "keys must be a whole number between 10 and 1,000,000",
        ),
        (
            &["--do", "zipf -1"],
            "zipf skew must be a number from 0 to at most 3 (got -1)",
        ),
        (&["--do", "celebrity 150%"], "below 100 (got 150)"),
        (&["--do", "ids uuid"], "use sequential or random"),
        (&["--do", "split x"], "a range number must be a whole number"),
        (&["--do", "explode n1"], "the actions are add, remove, weight"),
        (&["--do", "remove zz"], "no node named zz"),
        (&["--do", "add -3"], "bad node name \"-3\""),
        (&["--nodes", "10", "--do", "add x=100000"], "at most 200,000 fit"),
    ];
    for (args, expected) in table {
        let out = sdlab(&home)
            .args(["lab", "ring"])
            .args(*args)
            .assert()
            .code(2)
            .get_output()
            .clone();
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(out.stdout.is_empty(), "{args:?}: nothing printed before the error");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
        assert!(err.starts_with("sdlab: "), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: expected {expected:?} in {err}");
        assert!(!err.contains("..="), "{args:?}: no Rust range syntax: {err}");
    }
}

/// libketama's own test configuration weighs servers by memory (weights 100 to 1000); a weight
/// of 100,000 is accepted too, with libketama's point count: floor(w / Σw · 40 · N) digests of
/// four points each.
#[test]
fn ketama_takes_memory_sized_weights() {
    let home = tempfile::tempdir().unwrap();
    let states = json_lines(sdlab(&home).args([
        "lab",
        "ring",
        "--strategy",
        "ketama",
        "--nodes",
        "a=600,b=100000,c=1000",
        "--keys",
        "1000",
        "--json",
    ]));
    // Σw = 101,600, N = 3: a gets floor(600/101600·120) = 0 digests, b floor(118.11) = 118,
    // c floor(1.18) = 1: (0 + 118 + 1) · 4 points.
    assert_eq!(states[0]["points"], 476);
    assert_eq!(states[0]["nodes"][1]["weight"], 100_000);
}

#[test]
fn lab_ring_json_is_exact_for_scripts() {
    let home = tempfile::tempdir().unwrap();
    let states = json_lines(sdlab(&home).args([
        "lab", "ring", "--nodes", "3", "--keys", "1000", "--zipf", "1.1", "--trace", "user:42", "--json", "--do",
        "add n4",
    ]));
    for s in &states {
        for key in ["max_over_mean", "stddev"] {
            let x = s[key].as_f64().unwrap();
            let text = s[key].to_string();
            let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
            assert!(decimals <= 6, "{key} = {text} is rounded to 6 decimals");
            assert!((x * 1e6 - (x * 1e6).round()).abs() < 1e-6);
        }
        let t = &s["traces"][0];
        let hash: u64 = t["hash"].as_str().expect("the hash is a string").parse().unwrap();
        assert_eq!(t["hash_hex"], format!("{hash:016x}"));
        // XXH3-64 of "user:42", as xxhsum -H3 prints it.
        assert_eq!(hash, sdlab::engines::ring::hash::h64(b"user:42"));
    }
}

#[test]
fn a_saved_scenario_replays_headless() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("ring.toml");
    std::fs::write(
        &file,
        "lab = \"ring\"\nactions = [\"add n5\", \"vnodes 10\"]\n[config]\nstrategy = \"ring\"\nnodes = [\"n1\", \"n2\", \"n3=2\", \"n4\"]\nkeys = 5000\n",
    )
    .unwrap();
    let states = json_lines(
        sdlab(&home)
            .args(["lab", "ring", "--json", "--do", "remove n1", "--scenario"])
            .arg(&file),
    );
    assert_eq!(
        states.len(),
        4,
        "the initial state, one per scenario action, one per --do action"
    );
    let actions: Vec<&serde_json::Value> = states.iter().map(|s| &s["action"]).collect();
    assert_eq!(
        actions,
        [
            &serde_json::Value::Null,
            &"add n5".into(),
            &"vnodes 10".into(),
            &"remove n1".into()
        ]
    );
    assert_eq!(states[0]["vnodes"], 100);
    assert_eq!(states[0]["nodes"].as_array().unwrap().len(), 4);
    assert_eq!(states[0]["nodes"][2]["weight"], 2);
    assert_eq!(states[1]["nodes"].as_array().unwrap().len(), 5);
    assert_eq!(states[2]["vnodes"], 10);
    assert_eq!(states[3]["nodes"].as_array().unwrap().len(), 4);
}

#[test]
fn a_broken_scenario_names_its_file_and_line() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("garbage.toml");
    std::fs::write(&file, "lab = \"ring\"\n[config]\nvnode = 10\n").unwrap();
    let err = sdlab(&home)
        .args(["lab", "ring", "--scenario"])
        .arg(&file)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(
        err.contains(&format!("{}, line 3: unknown field `vnode`", file.display())),
        "{err}"
    );
    std::fs::write(
        &file,
        "lab = \"ring\"\nactions = [\"add n5\", \"vnodes 0\"]\n[config]\nkeys = 100\n",
    )
    .unwrap();
    let err = sdlab(&home)
        .args(["lab", "ring", "--scenario"])
        .arg(&file)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(
        err.contains(&format!("{}, line 2: action \"vnodes 0\"", file.display())),
        "{err}"
    );
    let missing = home.path().join("missing.toml");
    let err = sdlab(&home)
        .args(["lab", "ring", "--scenario"])
        .arg(&missing)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert_eq!(
        err.trim(),
        format!(
            "sdlab: could not read the scenario {}: no such file or directory",
            missing.display()
        )
    );
}

#[test]
fn check_prints_warnings_without_failing_on_them() {
    let home = tempfile::tempdir().unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wording");
    let out = sdlab(&home).args(["check", dir]).assert().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("lessons/alpha/01-first.md:16: warning: first mention of term load-balancer is not linked"),
        "{text}"
    );
    assert!(text.contains(", 1 warning"), "{text}");
}

/// Fails if `bytes` hold a byte a terminal could act on: C0 controls other than newline and tab,
/// DEL, and the C1 controls (U+0080 to U+009F, C2 80 to C2 9F in UTF-8).
fn assert_no_controls(bytes: &[u8], what: &str) {
    let text = String::from_utf8_lossy(bytes);
    for (i, c) in text.char_indices() {
        assert!(
            !(c.is_control() && c != '\n' && c != '\t'),
            "{what} holds control character U+{:04X} at byte {i}:\n{text}",
            u32::from(c)
        );
    }
}

const HOSTILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hostile");

#[test]
fn check_reports_control_characters_in_every_content_kind() {
    let home = tempfile::tempdir().unwrap();
    let out = sdlab(&home)
        .args(["check", HOSTILE])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_no_controls(&out.stdout, "check's stdout");
    assert_no_controls(&out.stderr, "check's stderr");
    let text = String::from_utf8(out.stdout).unwrap();
    let escaped = "(written as an escape): content may hold only text, newlines and tabs";
    let expect = [
        // A module summary: backspaces (\b) and a bell.
        format!("content/modules.toml:4: control character U+0008 {escaped}"),
        // A glossary term: name (\e), alias (C1 CSI), summary (OSC title), body (OSC 52).
        format!("content/glossary/evil.toml:3: control character U+001B {escaped}"),
        format!("content/glossary/evil.toml:4: control character U+009B {escaped}"),
        format!("content/glossary/evil.toml:5: control character U+001B {escaped}"),
        format!("content/glossary/evil.toml:7: control character U+001B {escaped}"),
        // A lesson: front matter title and check answer, raw ESC and a bare CR in the body.
        format!("lessons/evil/01-escapes.md:2: control character U+001B {escaped}"),
        format!("lessons/evil/01-escapes.md:9: control character U+0085 {escaped}"),
        "lessons/evil/01-escapes.md:18: control character U+001B: content may".to_string(),
        "lessons/evil/01-escapes.md:24: control character U+000D: content may".to_string(),
        // A quiz question: prompt and a choice.
        format!("content/quizzes/evil.toml:4: control character U+001B {escaped}"),
        format!("content/quizzes/evil.toml:5: control character U+009D {escaped}"),
    ];
    for e in &expect {
        assert!(text.contains(e.as_str()), "missing {e:?} in:\n{text}");
    }
    assert_eq!(text.matches("control character").count(), expect.len(), "{text}");
}

#[test]
fn hostile_content_never_reaches_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["glossary", "retitle"][..],
        &["glossary", "--list"],
        &["glossary", "retitle", "--json"],
        &["lessons"],
        &["quiz", "--due"],
        &["quiz", "--json"],
        &["progress"],
    ] {
        let out = sdlab(&home)
            .arg("--content")
            .arg(HOSTILE)
            .args(args)
            .assert()
            .code(2)
            .get_output()
            .clone();
        assert_no_controls(&out.stdout, &format!("stdout of {args:?}"));
        assert_no_controls(&out.stderr, &format!("stderr of {args:?}"));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("evil.toml:5: control character U+001B"), "{args:?}: {err}");
    }
    let export = home.path().join("cards.tsv");
    sdlab(&home)
        .arg("--content")
        .arg(HOSTILE)
        .args(["quiz", "--export", "anki"])
        .arg(&export)
        .assert()
        .code(2);
    assert!(
        !export.exists(),
        "hostile content is refused before anything is written"
    );
}

#[test]
fn file_names_with_escapes_are_shown_escaped() {
    let home = tempfile::tempdir().unwrap();
    let tree = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tree.path().join("content/glossary")).unwrap();
    std::fs::write(tree.path().join("content/modules.toml"), "").unwrap();
    // The file name itself retitles the window if printed raw.
    std::fs::write(tree.path().join("content/glossary/x\x1b]0;owned\x07.toml"), "").unwrap();
    let out = sdlab(&home)
        .arg("check")
        .arg(tree.path())
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_no_controls(&out.stdout, "check's stdout");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("x\\u{1b}]0;owned\\u{7}.toml:1: unknown module"), "{text}");

    let missing = tree.path().join("no\x1b[2Jsuch");
    let out = sdlab(&home)
        .arg("check")
        .arg(&missing)
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert_no_controls(&out.stderr, "stderr for a missing directory");
    let out = sdlab(&home)
        .arg("--content")
        .arg(&missing)
        .arg("lessons")
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert_no_controls(&out.stderr, "stderr for a missing --content directory");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no\\u{1b}[2Jsuch"));
}

#[test]
fn hostile_scenarios_are_refused_naming_the_file() {
    let home = tempfile::tempdir().unwrap();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hostile-scenarios");
    for (file, why) in [
        ("escape-in-node-name.toml", "line 6: control character U+001B"),
        ("escape-in-action.toml", "line 3: control character U+001B"),
        ("too-many-points.toml", "at most 200,000 fit"),
        ("rendezvous-heavy.toml", "key placements"),
    ] {
        let path = format!("{fixtures}/{file}");
        let out = sdlab(&home)
            .args(["lab", "ring", "--json", "--scenario", &path])
            .assert()
            .code(2)
            .get_output()
            .clone();
        assert!(out.stdout.is_empty(), "{file}: nothing printed before the refusal");
        assert_no_controls(&out.stderr, file);
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with(&format!("sdlab: {path}: ")) || err.starts_with(&format!("sdlab: {path}, line ")),
            "{file}: {err}"
        );
        assert!(err.contains(why), "{file}: {err}");
    }
    // A million keys and the most actions: refused up front, not replayed for an hour.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge\x1b]0;x\x07.toml");
    let actions = vec!["\"vnodes 50\""; 10_000].join(", ");
    std::fs::write(
        &file,
        format!("lab = \"ring\"\nactions = [{actions}]\n[config]\nkeys = 1000000\n"),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let out = sdlab(&home)
        .args(["lab", "ring", "--scenario"])
        .arg(&file)
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_no_controls(&out.stderr, "stderr naming a file with escapes");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("huge\\u{1b}]0;x\\u{7}.toml: the scenario asks for about"),
        "{err}"
    );
}
