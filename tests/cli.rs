//! The command line as a user or script calls it.

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
fn glossary_without_a_match_fails() {
    let home = tempfile::tempdir().unwrap();
    sdlab(&home)
        .args(["glossary", "zzzzqqqq"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no glossary term matches"));
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
        .stdout("")
        .stderr(predicate::str::contains("no problems"));
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
        "lessons/alpha/03-lab.md:7: goal check: lab ring has no metric \"speed\"",
        "lessons/alpha/03-lab.md:14: goal step 9 does not exist",
        "lessons/alpha/03-lab.md:21: goal scenario: vnodes must be 1 to 1000",
        "lessons/alpha/04-nolab.md:5: unknown lab \"warp-drive\"",
        "lessons/alpha/04-nolab.md:18: code line is 89 columns wide; at most 74 fit an 80-column terminal",
    ];
    for e in expect {
        assert!(text.contains(e), "missing {e:?} in:\n{text}");
    }
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
        let prompt_start: String = q["prompt"]
            .as_str()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .chars()
            .take(20)
            .collect();
        assert!(
            fields[0].starts_with(prompt_start.trim()),
            "{} vs {prompt_start}",
            fields[0]
        );
    }
    sdlab(&home)
        .args(["quiz", "--export", "csv"])
        .arg(&file)
        .assert()
        .code(2);
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

#[test]
fn lab_ring_rejects_bad_arguments_with_one_line_and_exit_2() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        vec!["lab", "ring", "--strategy", "nope"],
        vec!["lab", "ring", "--vnodes", "0"],
        vec!["lab", "ring", "--keys", "5"],
        vec!["lab", "ring", "--do", "explode n1"],
        vec!["lab", "ring", "--do", "remove zz"],
        vec!["lab", "ring", "--nodes", "a,a"],
    ] {
        let out = sdlab(&home).args(&args).assert().code(2).get_output().stderr.clone();
        let err = String::from_utf8(out).unwrap();
        assert!(!err.trim().is_empty(), "{args:?}");
        if !args.contains(&"--strategy") {
            assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        }
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
    assert_eq!(states.len(), 2, "the scenario's state, then one per --do action");
    assert_eq!(states[0]["vnodes"], 10);
    assert_eq!(states[0]["nodes"].as_array().unwrap().len(), 5);
    assert_eq!(states[0]["nodes"][2]["weight"], 2);
    assert_eq!(states[1]["nodes"].as_array().unwrap().len(), 4);
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
        ("too-many-points.toml", "points on the ring: at most 500000"),
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
        assert!(err.starts_with(&format!("sdlab: {path}: ")), "{file}: {err}");
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
