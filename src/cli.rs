//! The command line: with no subcommand the lab opens; every subcommand prints what a screen
//! shows, as plain text or JSON, so it can be scripted and tested.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, Subcommand};
use serde::Serialize;

use crate::content::markdown::{render, MarkdownStyles};
use crate::content::{read_dir_files, Content, Problem};
use crate::search::{SearchIndex, Target};
use crate::state::Store;
use crate::theme::{Theme, ThemeName};

#[derive(Debug, Parser)]
#[command(name = "sdlab", version, about = "An interactive terminal lab for learning system design", long_about = None)]
pub struct Cli {
    /// Use the content tree in DIR (content/ and lessons/) instead of the built-in one
    #[arg(long, global = true, value_name = "DIR")]
    pub content: Option<PathBuf>,
    /// Colours for a dark or a light terminal (default: the saved setting, else dark)
    #[arg(long, global = true, value_enum)]
    pub theme: Option<ThemeName>,
    /// Open a saved lab scenario (a TOML file written with `w` in a lab)
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Look up a glossary term (best match), or list every term
    Glossary {
        /// What to look for; typos are forgiven
        #[arg(required_unless_present = "list")]
        query: Vec<String>,
        /// Print every term name, one per line
        #[arg(long)]
        list: bool,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// List the modules and their lessons
    Lessons {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Validate a content tree (the built-in one when DIR is omitted)
    Check {
        /// A directory holding content/ and lessons/
        dir: Option<PathBuf>,
    },
    /// Show lesson progress, or reset it
    Progress {
        /// Forget the progress of LESSON, or of every lesson when none is given
        #[arg(long, value_name = "LESSON", num_args = 0..=1)]
        reset: Option<Option<String>>,
    },
    /// Interview questions: what is due, the whole bank, or an Anki export
    Quiz {
        /// List the questions due for review now (and how many are new)
        #[arg(long)]
        due: bool,
        /// Write the bank as an Anki-importable TSV: --export anki FILE
        #[arg(long, num_args = 2, value_names = ["FORMAT", "FILE"])]
        export: Option<Vec<String>>,
        /// Print the question bank as JSON
        #[arg(long)]
        json: bool,
    },
    /// Drive a lab engine headless and print its states
    #[command(subcommand)]
    Lab(LabCommand),
    /// Print a shell completion script
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// The sharding ring: place keys on nodes and watch what each change moves
    #[command(after_help = RING_ACTIONS)]
    Ring(RingArgs),
    /// A cache's hit ratio under an eviction policy or a TTL, against the closed form
    #[command(after_help = crate::engines::cache::cli::CACHE_HELP)]
    Cache(crate::engines::cache::cli::CacheArgs),
    /// A CDN: edges, users, max-age, purges, versioned URLs, a shield, origin down
    #[command(after_help = crate::engines::cdn::cli::CDN_HELP)]
    Cdn(crate::engines::cdn::cli::CdnArgs),
    /// Geo-DNS: nearest healthy data center, cached answers, failover as they expire
    #[command(after_help = crate::engines::geodns::cli::GEODNS_HELP)]
    Geodns(crate::engines::geodns::cli::GeoDnsArgs),
}

const RING_ACTIONS: &str = "Actions for --do, separated by ';':
  add NAME[=WEIGHT][@REGION]   remove NAME      weight NAME W     vnodes V
  strategy S                   keys K           ids sequential|random
  zipf S                       celebrity PCT    trace KEY
  split I / assign I NODE      (range sharding: split range I, give range I to NODE)
  move KEY NODE                (directory sharding: repoint one key)
  rebalance                    (range: split the busiest range onto the emptiest node;
                                directory: move the fewest keys that even out the load)
Regions: na, eu, apac, sa, af. One JSON object per state: the initial one, then one per action.";

#[derive(Debug, clap::Args)]
pub struct RingArgs {
    #[arg(long, value_enum, default_value = "ring")]
    pub strategy: crate::engines::ring::Strategy,
    /// A node count (n1, n2, …) or a list: a,b=2,c@eu
    #[arg(long, default_value = "4")]
    pub nodes: String,
    /// Virtual nodes per unit of weight (ring strategy), 1 to 1000
    #[arg(long, default_value_t = 100)]
    pub vnodes: u32,
    /// Number of keys (user ids), 10 to 1,000,000
    #[arg(long, default_value_t = 10_000)]
    pub keys: usize,
    #[arg(long, value_enum, default_value = "sequential")]
    pub ids: IdsArg,
    /// Zipf skew of traffic (0 = uniform)
    #[arg(long, default_value_t = 0.0)]
    pub zipf: f64,
    /// Percentage of all traffic carried by one celebrity key
    #[arg(long, default_value_t = 0.0)]
    pub celebrity: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Replication factor for preference lists
    #[arg(long, default_value_t = 3)]
    pub replicas: usize,
    /// Show where this key lives (repeatable)
    #[arg(long)]
    pub trace: Vec<String>,
    /// Start from a saved scenario (its config and actions) instead of the flags above
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Actions to apply in order, separated by ';'
    #[arg(long = "do", value_name = "ACTIONS")]
    pub actions: Option<String>,
    /// JSON Lines output (one object per state)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum IdsArg {
    Sequential,
    Random,
}

/// Runs the command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sdlab: {e}");
            2
        }
    }
}

fn dispatch(cli: Cli) -> Result<i32, String> {
    match &cli.command {
        Some(Command::Check { dir }) => Ok(check(dir.as_deref().or(cli.content.as_deref()))),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(*shell, &mut Cli::command(), "sdlab", &mut io::stdout());
            Ok(0)
        }
        Some(Command::Glossary { query, list, json }) => {
            let content = load(cli.content.as_deref())?;
            Ok(glossary(&content, &query.join(" "), *list, *json))
        }
        Some(Command::Lessons { json }) => {
            let content = load(cli.content.as_deref())?;
            lessons(&content, *json);
            Ok(0)
        }
        Some(Command::Progress { reset }) => {
            let content = load(cli.content.as_deref())?;
            progress(&content, reset.as_ref())
        }
        Some(Command::Quiz { due, export, json }) => {
            let content = load(cli.content.as_deref())?;
            quiz(&content, *due, export.as_deref(), *json)
        }
        Some(Command::Lab(LabCommand::Ring(args))) => ring_lab(args),
        Some(Command::Lab(LabCommand::Cache(args))) => crate::engines::cache::cli::run(args),
        Some(Command::Lab(LabCommand::Cdn(args))) => crate::engines::cdn::cli::run(args),
        Some(Command::Lab(LabCommand::Geodns(args))) => crate::engines::geodns::cli::run(args),
        None => open_lab(&cli),
    }
}

/// Loads the built-in content or DIR's; problems are printed and stop the command.
fn load(dir: Option<&Path>) -> Result<Content, String> {
    let (content, problems) = match dir {
        None => Content::embedded(),
        Some(dir) => {
            let files = read_dir_files(dir).map_err(|e| format!("cannot read content from {}: {e}", dir.display()))?;
            Content::load(&files)
        }
    };
    if problems.is_empty() {
        return Ok(content);
    }
    for p in &problems {
        eprintln!("{p}");
    }
    let which = dir.map_or(String::new(), |d| format!(" {}", d.display()));
    Err(format!(
        "{} problem(s) in the content; see them all with `sdlab check{which}`",
        problems.len()
    ))
}

fn check(dir: Option<&Path>) -> i32 {
    let (content, problems): (Content, Vec<Problem>) = match dir {
        None => Content::embedded(),
        Some(dir) => match read_dir_files(dir) {
            Ok(files) => Content::load(&files),
            Err(e) => {
                eprintln!("sdlab: cannot read content from {}: {e}", dir.display());
                return 2;
            }
        },
    };
    let mut out = io::stdout().lock();
    for p in &problems {
        let _ = writeln!(out, "{p}");
    }
    let summary = format!(
        "checked {} modules, {} lessons, {} glossary terms, {} quiz questions: {}",
        content.modules.len(),
        content.lessons.len(),
        content.terms.len(),
        content.questions.len(),
        match problems.len() {
            0 => "no problems".to_string(),
            1 => "1 problem".to_string(),
            n => format!("{n} problems"),
        }
    );
    eprintln!("{summary}");
    i32::from(!problems.is_empty())
}

#[derive(Serialize)]
struct TermJson<'a> {
    id: &'a str,
    name: &'a str,
    aliases: &'a [String],
    module: &'a str,
    summary: &'a str,
    body: &'a str,
    see_also: &'a [String],
    lessons: Vec<&'a str>,
}

fn term_json<'a>(content: &'a Content, index: usize) -> TermJson<'a> {
    let t = &content.terms[index];
    TermJson {
        id: &t.id,
        name: &t.name,
        aliases: &t.aliases,
        module: &t.module,
        summary: &t.summary,
        body: &t.body,
        see_also: &t.see_also,
        lessons: t.taught_in.iter().map(|&l| content.lessons[l].id.as_str()).collect(),
    }
}

fn glossary(content: &Content, query: &str, list: bool, json: bool) -> i32 {
    let mut out = io::stdout().lock();
    if list {
        let index = SearchIndex::terms(content);
        let all: Vec<usize> = index
            .search("", usize::MAX)
            .into_iter()
            .filter_map(|h| if let Target::Term(i) = h.target { Some(i) } else { None })
            .collect();
        if json {
            let terms: Vec<TermJson> = all.iter().map(|&i| term_json(content, i)).collect();
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&terms).unwrap_or_default());
        } else {
            for i in all {
                let _ = writeln!(out, "{}", content.terms[i].name);
            }
        }
        return 0;
    }
    let index = SearchIndex::terms(content);
    let Some(Target::Term(best)) = index.search(query, 1).first().map(|h| h.target) else {
        eprintln!("sdlab: no glossary term matches {query:?}");
        return 1;
    };
    if json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&term_json(content, best)).unwrap_or_default()
        );
        return 0;
    }
    let styled = io::stdout().is_terminal() && Theme::color_allowed();
    let t = &content.terms[best];
    let (bold, reset) = if styled { ("\x1b[1m", "\x1b[0m") } else { ("", "") };
    let _ = writeln!(out, "{bold}{}{reset}", t.name);
    if !t.aliases.is_empty() {
        let _ = writeln!(out, "Also: {}", t.aliases.join(", "));
    }
    let module = content
        .module(&t.module)
        .map_or(t.module.as_str(), |m| m.title.as_str());
    let _ = writeln!(out, "Module: {module}\n\n{}\n", t.summary);
    let _ = write!(out, "{}", render(&t.body, 80, &MarkdownStyles::default(), None).plain());
    let see: Vec<&str> = t
        .see_also
        .iter()
        .filter_map(|id| content.term(id))
        .map(|s| s.name.as_str())
        .collect();
    if !see.is_empty() {
        let _ = writeln!(out, "\nSee also: {}", see.join(", "));
    }
    for &l in &t.taught_in {
        let _ = writeln!(
            out,
            "Taught in: {} ({})",
            content.lessons[l].title, content.lessons[l].id
        );
    }
    0
}

#[derive(Serialize)]
struct ModuleJson<'a> {
    id: &'a str,
    title: &'a str,
    summary: &'a str,
    lessons: Vec<LessonJson<'a>>,
}

#[derive(Serialize)]
struct LessonJson<'a> {
    id: &'a str,
    title: &'a str,
    minutes: u32,
    summary: &'a str,
    steps: Vec<&'a str>,
    terms: &'a [String],
}

fn lessons(content: &Content, json: bool) {
    let mut out = io::stdout().lock();
    if json {
        let modules: Vec<ModuleJson> = content
            .modules
            .iter()
            .map(|m| ModuleJson {
                id: &m.id,
                title: &m.title,
                summary: &m.summary,
                lessons: m
                    .lessons
                    .iter()
                    .map(|&l| {
                        let l = &content.lessons[l];
                        let mut steps: Vec<&str> = l.steps.iter().map(|s| s.title.as_str()).collect();
                        if !l.checks.is_empty() {
                            steps.push("Check yourself");
                        }
                        LessonJson {
                            id: &l.id,
                            title: &l.title,
                            minutes: l.minutes,
                            summary: &l.summary,
                            steps,
                            terms: &l.terms,
                        }
                    })
                    .collect(),
            })
            .collect();
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&modules).unwrap_or_default());
        return;
    }
    for (i, m) in content.modules.iter().enumerate() {
        let _ = writeln!(out, "{:>2}. {} ({}) — {}", i + 1, m.title, m.id, m.summary);
        for &l in &m.lessons {
            let l = &content.lessons[l];
            let _ = writeln!(out, "      {:<44} {:>3} min  {}", l.id, l.minutes, l.title);
        }
    }
}

fn progress(content: &Content, reset: Option<&Option<String>>) -> Result<i32, String> {
    let mut store = Store::locate().map_err(|e| e.to_string())?;
    let (mut state, notice) = store.load();
    if let Some(n) = notice {
        eprintln!("sdlab: {n}");
    }
    match reset {
        Some(Some(lesson)) => {
            if content.lesson(lesson).is_none() && !state.lessons.contains_key(lesson) {
                return Err(format!("no lesson {lesson:?}; `sdlab lessons` lists them"));
            }
            state.reset(Some(lesson));
            store
                .save(&state)
                .map_err(|e| format!("cannot save {}: {e}", store.path().display()))?;
            println!("reset progress of {lesson}");
        }
        Some(None) => {
            state.reset(None);
            store
                .save(&state)
                .map_err(|e| format!("cannot save {}: {e}", store.path().display()))?;
            println!("reset all lesson progress");
        }
        None => {
            let done = content
                .lessons
                .iter()
                .filter(|l| state.progress(&l.id).completed)
                .count();
            println!(
                "{done} of {} lessons done · state file: {}",
                content.lessons.len(),
                store.path().display()
            );
            for l in &content.lessons {
                if let Some(p) = state.lessons.get(&l.id) {
                    let mark = if p.completed { "✓" } else { "•" };
                    println!("  {mark} {:<44} step {} of {}", l.id, p.step + 1, l.step_count());
                }
            }
        }
    }
    Ok(0)
}

fn open_lab(cli: &Cli) -> Result<i32, String> {
    if !io::stdout().is_terminal() {
        return Err("the lab needs a terminal; for scripting see `sdlab --help`".into());
    }
    let content = load(cli.content.as_deref())?;
    let mut store = Store::locate().map_err(|e| e.to_string())?;
    let (state, notice) = store.load();
    let theme_name = cli.theme.or(state.theme).unwrap_or_default();
    let theme = Theme::new(theme_name, Theme::color_allowed());
    let mut app = crate::tui::App::new(content, theme, state, Some(store));
    app.notice = notice;
    if let Some(file) = &cli.scenario {
        let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let id = crate::engines::lab::scenario_lab(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let pane = crate::tui::lab::LabPane::new(&id, Some(&text)).map_err(|e| format!("{}: {e}", file.display()))?;
        app.stack
            .push(crate::tui::app::Screen::Lab(crate::tui::labs::LabView { pane }));
    }
    crate::tui::run(app).map_err(|e| format!("terminal error: {e}"))?;
    Ok(0)
}

#[derive(Serialize)]
struct QuestionJson<'a> {
    id: &'a str,
    module: &'a str,
    kind: &'static str,
    prompt: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    choices: Option<&'a [String]>,
    answer: String,
    explanation: &'a str,
    terms: &'a [String],
    lesson: Option<&'a str>,
}

fn quiz(content: &Content, due: bool, export: Option<&[String]>, json: bool) -> Result<i32, String> {
    use crate::content::quiz::Kind;
    if let Some(args) = export {
        let (format, file) = (args[0].as_str(), &args[1]);
        if format != "anki" {
            return Err(format!("unknown export format {format:?}: the one supported is anki"));
        }
        std::fs::write(file, crate::quiz::anki_tsv(content)).map_err(|e| format!("cannot write {file}: {e}"))?;
        eprintln!("wrote {} cards to {file}", content.questions.len());
        return Ok(0);
    }
    if due {
        let mut store = Store::locate().map_err(|e| e.to_string())?;
        let (state, notice) = store.load();
        if let Some(n) = notice {
            eprintln!("sdlab: {n}");
        }
        let now = chrono::Utc::now();
        let c = crate::quiz::counts(content.questions.iter(), &state.cards, now);
        if json {
            let due: Vec<&str> = content
                .questions
                .iter()
                .filter(|q| state.cards.get(&q.id).is_some_and(|r| r.card.due <= now))
                .map(|q| q.id.as_str())
                .collect();
            let v = serde_json::json!({ "due": c.due, "new": c.new, "later": c.later, "due_ids": due });
            println!("{v}");
            return Ok(0);
        }
        println!("{} due now · {} new · {} scheduled later", c.due, c.new, c.later);
        for q in &content.questions {
            if state.cards.get(&q.id).is_some_and(|r| r.card.due <= now) {
                println!("  {:<12} {}", q.module, crate::quiz::plain_text(&q.prompt));
            }
        }
        return Ok(0);
    }
    let bank: Vec<QuestionJson> = content
        .questions
        .iter()
        .map(|q| QuestionJson {
            id: &q.id,
            module: &q.module,
            kind: match q.kind {
                Kind::Choice { .. } => "choice",
                Kind::TrueFalse { .. } => "truefalse",
                Kind::Numeric { .. } => "numeric",
                Kind::Order { .. } => "order",
                Kind::Recall { .. } => "recall",
            },
            prompt: &q.prompt,
            choices: match &q.kind {
                Kind::Choice { choices, .. } => Some(choices),
                _ => None,
            },
            answer: q.answer_text(),
            explanation: &q.explanation,
            terms: &q.terms,
            lesson: q.lesson.as_deref(),
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&bank).unwrap_or_default());
    } else {
        for m in &content.modules {
            let n = content.questions.iter().filter(|q| q.module == m.id).count();
            println!("{:<16} {n:>3} questions", m.id);
        }
        println!(
            "{:<16} {:>3} questions (sdlab quiz --json lists them)",
            "total",
            content.questions.len()
        );
    }
    Ok(0)
}

fn ring_lab(args: &RingArgs) -> Result<i32, String> {
    use crate::engines::ring::{Ids, NodeSpec, Ring, RingAction, RingConfig};
    let nodes = match args.nodes.parse::<usize>() {
        Ok(n) if (1..=200).contains(&n) => NodeSpec::numbered(n),
        Ok(n) => return Err(format!("--nodes {n}: give 1 to 200 nodes")),
        Err(_) => args
            .nodes
            .split(',')
            .map(|s| NodeSpec::parse(s.trim()))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let config = RingConfig {
        strategy: args.strategy,
        nodes,
        vnodes: args.vnodes,
        keys: args.keys,
        ids: match args.ids {
            IdsArg::Sequential => Ids::Sequential,
            IdsArg::Random => Ids::Random,
        },
        zipf: args.zipf,
        celebrity: args.celebrity,
        seed: args.seed,
        replicas: args.replicas,
        traces: args.trace.clone(),
    };
    let texts: Vec<&str> = args
        .actions
        .as_deref()
        .unwrap_or("")
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect();
    // Every action parses before the first state prints, so a typo prints nothing.
    let actions: Vec<RingAction> = texts.iter().map(|t| RingAction::parse(t)).collect::<Result<_, _>>()?;
    let (config, earlier) = match &args.scenario {
        None => (config, Vec::new()),
        Some(file) => {
            let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let (mut c, acts) = crate::engines::lab::read_scenario::<RingConfig>(&text)?;
            c.traces.extend(args.trace.iter().cloned());
            (c, acts)
        }
    };
    let mut ring = Ring::new(config)?;
    for a in &earlier {
        ring.apply(&RingAction::parse(a)?)
            .map_err(|e| format!("scenario action {a:?}: {e}"))?;
    }
    let mut out = io::stdout().lock();
    let print = |out: &mut io::StdoutLock, ring: &Ring, action: Option<String>| {
        let m = ring.metrics();
        if args.json {
            let mut v = serde_json::to_value(&m).unwrap_or_default();
            v["action"] = serde_json::json!(action);
            let _ = writeln!(out, "{v}");
        } else {
            let _ = writeln!(out, "{}", crate::engines::ring::describe(&m, action.as_deref()));
        }
    };
    print(&mut out, &ring, None);
    for (action, text) in actions.iter().zip(texts) {
        ring.apply(action).map_err(|e| format!("{text}: {e}"))?;
        print(&mut out, &ring, Some(text.to_string()));
    }
    Ok(0)
}
