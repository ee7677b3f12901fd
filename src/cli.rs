//! The command line: with no subcommand the lab opens; every subcommand prints what a screen
//! shows, as plain text or JSON, so it can be scripted and tested.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, Subcommand};
use serde::Serialize;

use crate::content::markdown::{render, MarkdownStyles};
use crate::content::{read_dir_files, Content, Problem};
use crate::safe_text::{self, clean};
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

// Built once per run: the size of the lab's flags costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Look up a glossary term (best match), or list every term
    #[command(
        after_help = "Exit status: 0 when a term is named by the query, 1 when none is (the terms whose \
text mentions it are listed instead), 2 on a usage error such as a missing QUERY."
    )]
    Glossary {
        /// What to look for, typos forgiven (needed unless --list is given)
        query: Vec<String>,
        /// Print every term name, one per line
        #[arg(long)]
        list: bool,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// List the modules and their lessons, with your progress in each
    Lessons {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Print one lesson as plain text: its steps, then its check questions with answers
    Lesson {
        /// The lesson id (as `sdlab lessons` lists it), or the start of one that names one lesson
        id: String,
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
    Ring(Box<RingArgs>),
    /// Quorums: how often a read of R replicas misses a write acknowledged by W of N
    Quorum(crate::engines::consensus::cli::QuorumArgs),
    /// A lock with leases and fencing tokens, and a client that pauses past its lease
    Lock(crate::engines::consensus::cli::LockArgs),
    /// Raft-style leader election: partitions, crashes, the majority rule and split brain
    Election(crate::engines::consensus::cli::ElectionArgs),
    /// Replication lag: a primary and replicas in time, commit modes, routing, faults, failover
    #[command(after_help = crate::engines::replication::cli::AFTER_HELP)]
    Replication(Box<crate::engines::replication::cli::ReplicationArgs>),
    /// The queue lab: Kafka's partitioner and assignors, a work queue, a partitioned log
    #[command(after_help = crate::engines::queue::cli::QUEUE_HELP)]
    Queue(Box<crate::engines::queue::cli::QueueArgs>),
    /// A cache's hit ratio under an eviction policy or a TTL, against the closed form
    #[command(after_help = crate::engines::cache::cli::CACHE_HELP)]
    Cache(crate::engines::cache::cli::CacheArgs),
    /// A CDN: edges, users, max-age, purges, versioned URLs, a shield, origin down
    #[command(after_help = crate::engines::cdn::cli::CDN_HELP)]
    Cdn(crate::engines::cdn::cli::CdnArgs),
    /// Geo-DNS: nearest healthy data center, cached answers, failover as they expire
    #[command(after_help = crate::engines::geodns::cli::GEODNS_HELP)]
    Geodns(crate::engines::geodns::cli::GeoDnsArgs),
    /// A load balancer in front of servers: one experiment of N requests, with theory beside it
    #[command(after_help = crate::engines::balancer::cli::ACTIONS)]
    Balancer(crate::engines::balancer::cli::BalancerArgs),
    /// An auto-scaling group through a day of traffic: JSON Lines over time, then a summary
    #[command(after_help = crate::engines::autoscale::cli::AUTOSCALE_HELP)]
    Autoscale(crate::engines::autoscale::cli::AutoscaleArgs),
    /// Vertical against horizontal scaling: both options' cost and servers, the break-even load
    Cost(crate::engines::autoscale::cli::CostArgs),
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

/// Every value is taken as text (even `-3`) and checked by `ring_lab`, so a bad one gets a
/// one-line answer with the real range or the choices, instead of clap's generic ones.
#[derive(Debug, clap::Args)]
pub struct RingArgs {
    /// Placement: modulo, ring, ketama, jump, rendezvous, range, geo or directory
    #[arg(long, default_value = "ring", value_name = "NAME", allow_hyphen_values = true)]
    pub strategy: String,
    /// A node count from 1 to 200 (n1, n2, …) or a list: a,b=2,c@eu (weights 1 to 100,000)
    #[arg(long, default_value = "4", allow_hyphen_values = true)]
    pub nodes: String,
    /// Virtual nodes per unit of weight (ring strategy), 1 to 1000
    #[arg(long, default_value = "100", allow_hyphen_values = true)]
    pub vnodes: String,
    /// Number of keys (user ids), 10 to 1,000,000
    #[arg(long, default_value = "10000", allow_hyphen_values = true)]
    pub keys: String,
    /// User ids: sequential or random
    #[arg(long, default_value = "sequential", value_name = "KIND", allow_hyphen_values = true)]
    pub ids: String,
    /// Zipf skew of traffic, 0 (uniform) to 3
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    pub zipf: String,
    /// Percentage of all traffic carried by one celebrity key, 0 to below 100
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    pub celebrity: String,
    /// Seed of the keyspace (any whole number from 0)
    #[arg(long, default_value = "42", allow_hyphen_values = true)]
    pub seed: String,
    /// Replication factor for preference lists, 1 to 10
    #[arg(long, default_value = "3", allow_hyphen_values = true)]
    pub replicas: String,
    /// Show where this key lives (repeatable)
    #[arg(long)]
    pub trace: Vec<String>,
    /// Start from a saved scenario (its config and actions) instead of the flags above
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Actions to apply in order, separated by ';'
    #[arg(long = "do", value_name = "ACTIONS", allow_hyphen_values = true)]
    pub actions: Option<String>,
    /// JSON Lines output (one object per state)
    #[arg(long)]
    pub json: bool,
}

/// Runs the command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            // Errors quote file names and scenario text, both of which can hold escapes.
            eprintln!("sdlab: {}", clean(&e));
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
            let query = query.join(" ");
            if query.trim().is_empty() && !list {
                return Err("glossary needs a QUERY (sdlab glossary quorum) or --list for every term".into());
            }
            let content = load(cli.content.as_deref())?;
            Ok(glossary(&content, &query, *list, *json))
        }
        Some(Command::Lessons { json }) => {
            let content = load(cli.content.as_deref())?;
            let state = load_state()?;
            lessons(&content, &state, *json);
            Ok(0)
        }
        Some(Command::Lesson { id, json }) => {
            let content = load(cli.content.as_deref())?;
            let index = find_lesson(&content, id)?;
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&lesson_json(&content, index)).unwrap_or_default()
                );
            } else {
                print!("{}", lesson_text(&content, index));
            }
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
        Some(Command::Lab(LabCommand::Quorum(args))) => crate::engines::consensus::cli::quorum(args),
        Some(Command::Lab(LabCommand::Lock(args))) => crate::engines::consensus::cli::lock(args),
        Some(Command::Lab(LabCommand::Election(args))) => crate::engines::consensus::cli::election(args),
        Some(Command::Lab(LabCommand::Replication(args))) => crate::engines::replication::cli::run(args),
        Some(Command::Lab(LabCommand::Queue(args))) => crate::engines::queue::cli::run(args),
        Some(Command::Lab(LabCommand::Cache(args))) => crate::engines::cache::cli::run(args),
        Some(Command::Lab(LabCommand::Cdn(args))) => crate::engines::cdn::cli::run(args),
        Some(Command::Lab(LabCommand::Geodns(args))) => crate::engines::geodns::cli::run(args),
        Some(Command::Lab(LabCommand::Balancer(args))) => crate::engines::balancer::cli::run(args),
        Some(Command::Lab(LabCommand::Autoscale(args))) => crate::engines::autoscale::cli::run_autoscale(args),
        Some(Command::Lab(LabCommand::Cost(args))) => crate::engines::autoscale::cli::run_cost(args),
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
                let e = format!("cannot read content from {}: {e}", dir.display());
                eprintln!("sdlab: {}", clean(&e));
                return 2;
            }
        },
    };
    // Warnings (an unlinked first mention of a term, say) are printed but never fail the check.
    let warnings = content.warnings();
    let mut out = io::stdout().lock();
    for p in problems.iter().chain(&warnings) {
        let _ = writeln!(out, "{p}");
    }
    let count = |n: usize, one: &str| match n {
        1 => format!("1 {one}"),
        n => format!("{n} {one}s"),
    };
    let summary = format!(
        "checked {} modules, {} lessons, {} glossary terms, {} quiz questions: {}{}",
        content.modules.len(),
        content.lessons.len(),
        content.terms.len(),
        content.questions.len(),
        match problems.len() {
            0 => "no problems".to_string(),
            n => count(n, "problem"),
        },
        match warnings.len() {
            0 => String::new(),
            n => format!(", {}", count(n, "warning")),
        }
    );
    let _ = writeln!(out, "{summary}");
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
            let _ = writeln!(
                out,
                "{}",
                safe_text::json(serde_json::to_string_pretty(&terms).unwrap_or_default())
            );
        } else {
            for i in all {
                let _ = writeln!(out, "{}", clean(&content.terms[i].name));
            }
        }
        return 0;
    }
    let index = SearchIndex::terms(content);
    let hits = index.search(query, usize::MAX);
    let named = hits.iter().find(|h| !h.mention).map(|h| h.target);
    let Some(Target::Term(best)) = named else {
        let mentions: Vec<&crate::content::Term> = hits
            .iter()
            .filter_map(|h| {
                if let Target::Term(i) = h.target {
                    Some(&content.terms[i])
                } else {
                    None
                }
            })
            .collect();
        return no_term_named(query.trim(), &mentions, json);
    };
    if json {
        let _ = writeln!(
            out,
            "{}",
            safe_text::json(serde_json::to_string_pretty(&term_json(content, best)).unwrap_or_default())
        );
        return 0;
    }
    let styled = io::stdout().is_terminal() && Theme::color_allowed();
    let t = &content.terms[best];
    let (bold, reset) = if styled { ("\x1b[1m", "\x1b[0m") } else { ("", "") };
    let _ = writeln!(out, "{bold}{}{reset}", clean(&t.name));
    if !t.aliases.is_empty() {
        let _ = writeln!(out, "Also: {}", clean(&t.aliases.join(", ")));
    }
    let module = content
        .module(&t.module)
        .map_or(t.module.as_str(), |m| m.title.as_str());
    let _ = writeln!(out, "Module: {}\n\n{}\n", clean(module), clean(&t.summary));
    let body = render(&t.body, 80, &MarkdownStyles::default(), None).plain();
    let _ = write!(out, "{}", clean(&body));
    let see: Vec<&str> = t
        .see_also
        .iter()
        .filter_map(|id| content.term(id))
        .map(|s| s.name.as_str())
        .collect();
    if !see.is_empty() {
        let _ = writeln!(out, "\nSee also: {}", clean(&see.join(", ")));
    }
    for &l in &t.taught_in {
        let _ = writeln!(
            out,
            "Taught in: {} ({})",
            clean(&content.lessons[l].title),
            clean(&content.lessons[l].id)
        );
    }
    0
}

/// How many mentioning terms the text message names before "and N more".
const MENTIONS_SHOWN: usize = 8;

/// No term is named by the query: say so (stderr in text, a JSON error object on stdout with
/// `--json`), with the terms whose text mentions it, and exit 1.
fn no_term_named(query: &str, mentions: &[&crate::content::Term], json: bool) -> i32 {
    let error = format!("no term named {query:?}");
    if json {
        let mentioned: Vec<serde_json::Value> = mentions
            .iter()
            .map(|t| serde_json::json!({ "id": t.id, "name": t.name }))
            .collect();
        let v = serde_json::json!({ "error": error, "query": query, "mentioned_in": mentioned });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return 1;
    }
    eprintln!("sdlab: {error}");
    if !mentions.is_empty() {
        let names: Vec<&str> = mentions.iter().take(MENTIONS_SHOWN).map(|t| t.name.as_str()).collect();
        let more = match mentions.len().saturating_sub(MENTIONS_SHOWN) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        eprintln!("mentioned in: {}{more}", names.join(", "));
    }
    1
}

/// The saved state, its trouble (a file moved aside) reported on stderr.
fn load_state() -> Result<crate::state::State, String> {
    let mut store = Store::locate().map_err(|e| e.to_string())?;
    let (state, notice) = store.load();
    if let Some(n) = notice {
        eprintln!("sdlab: {n}");
    }
    Ok(state)
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
    lab: Option<&'a str>,
    /// None until the learner opens the lesson.
    progress: Option<ProgressJson>,
}

#[derive(Serialize)]
struct ProgressJson {
    /// The step the learner is on, counted from 1.
    step: usize,
    steps: usize,
    completed: bool,
}

fn lessons(content: &Content, state: &crate::state::State, json: bool) {
    let mut out = io::stdout().lock();
    let progress = |l: &crate::content::Lesson| {
        state.lessons.get(&l.id).map(|p| ProgressJson {
            step: p.step + 1,
            steps: l.step_count(),
            completed: p.completed,
        })
    };
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
                            lab: l.lab.as_deref(),
                            progress: progress(l),
                        }
                    })
                    .collect(),
            })
            .collect();
        let _ = writeln!(
            out,
            "{}",
            safe_text::json(serde_json::to_string_pretty(&modules).unwrap_or_default())
        );
        return;
    }
    for (i, m) in content.modules.iter().enumerate() {
        let line = format!("{:>2}. {} ({}) — {}", i + 1, m.title, m.id, m.summary);
        let _ = writeln!(out, "{}", clean(&line));
        for &l in &m.lessons {
            let l = &content.lessons[l];
            let mark = match progress(l) {
                Some(p) if p.completed => "✓".to_string(),
                Some(p) => format!("step {}/{}", p.step, p.steps),
                None => String::new(),
            };
            let lab = l.lab.as_deref().map_or(String::new(), |lab| format!("  [lab: {lab}]"));
            let line = format!("  {mark:<10} {:<44} {:>3} min  {}{lab}", l.id, l.minutes, l.title);
            let _ = writeln!(out, "{}", clean(&line));
        }
    }
}

/// A lesson by id, or by the start of an id when exactly one lesson has it.
fn find_lesson(content: &Content, id: &str) -> Result<usize, String> {
    if let Some(i) = content.lesson_idx(id) {
        return Ok(i);
    }
    let matching: Vec<usize> = (0..content.lessons.len())
        .filter(|&i| content.lessons[i].id.starts_with(id))
        .collect();
    match matching.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!("no lesson {id:?}; `sdlab lessons` lists them")),
        many => {
            let ids: Vec<&str> = many.iter().take(4).map(|&i| content.lessons[i].id.as_str()).collect();
            let more = if many.len() > 4 { ", …" } else { "" };
            Err(format!(
                "{id:?} starts {} lesson ids ({}{more}); give more of one",
                many.len(),
                ids.join(", ")
            ))
        }
    }
}

/// Markdown as the reader sees it, without its markup, wrapped to the CLI's 80 columns.
fn plain(markdown: &str) -> String {
    render(markdown, 80, &MarkdownStyles::default(), None).plain()
}

/// A lesson as plain text: a header, each step under its heading, then the check questions with
/// their answers (the text of the Markdown, never its markup).
pub fn lesson_text(content: &Content, index: usize) -> String {
    let l = &content.lessons[index];
    let module = content
        .module(&l.module)
        .map_or(l.module.as_str(), |m| m.title.as_str());
    let mut out = format!("{}\n{module} · {} · {} min", l.title, l.id, l.minutes);
    if let Some(lab) = &l.lab {
        out.push_str(&format!(" · lab: {lab}"));
    }
    out.push_str(&format!("\n\n{}", plain(&l.summary)));
    let count = l.step_count();
    let heading = |out: &mut String, n: usize, title: &str| {
        let line = format!("Step {n} of {count} · {title}");
        let rule = "─".repeat(line.chars().count());
        out.push_str(&format!("\n{line}\n{rule}\n"));
    };
    for (i, step) in l.steps.iter().enumerate() {
        heading(&mut out, i + 1, &step.title);
        out.push_str(&plain(&step.body));
    }
    if !l.checks.is_empty() {
        heading(&mut out, count, "Check yourself");
        for (i, c) in l.checks.iter().enumerate() {
            out.push_str(&format!("\n{}. {}", i + 1, plain(c.question.trim())));
            let answer = plain(c.answer.trim());
            for (j, line) in answer.lines().enumerate() {
                let lead = if j == 0 { "   Answer: " } else { "           " };
                out.push_str(&format!("{lead}{line}\n"));
            }
        }
    }
    out
}

#[derive(Serialize)]
struct StepJson<'a> {
    title: &'a str,
    /// The step's Markdown, as written.
    markdown: &'a str,
    /// The same as plain text, wrapped to 80 columns.
    text: String,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    question: &'a str,
    answer: &'a str,
}

#[derive(Serialize)]
struct OneLessonJson<'a> {
    id: &'a str,
    module: &'a str,
    title: &'a str,
    minutes: u32,
    summary: &'a str,
    lab: Option<&'a str>,
    terms: &'a [String],
    steps: Vec<StepJson<'a>>,
    checks: Vec<CheckJson<'a>>,
}

fn lesson_json(content: &Content, index: usize) -> OneLessonJson<'_> {
    let l = &content.lessons[index];
    OneLessonJson {
        id: &l.id,
        module: &l.module,
        title: &l.title,
        minutes: l.minutes,
        summary: &l.summary,
        lab: l.lab.as_deref(),
        terms: &l.terms,
        steps: l
            .steps
            .iter()
            .map(|s| StepJson {
                title: &s.title,
                markdown: &s.body,
                text: plain(&s.body),
            })
            .collect(),
        checks: l
            .checks
            .iter()
            .map(|c| CheckJson {
                question: c.question.trim(),
                answer: c.answer.trim(),
            })
            .collect(),
    }
}

fn progress(content: &Content, reset: Option<&Option<String>>) -> Result<i32, String> {
    let mut store = Store::locate().map_err(|e| e.to_string())?;
    let (mut state, notice) = store.load();
    if let Some(n) = notice {
        eprintln!("sdlab: {}", clean(&n));
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
            println!("reset progress of {}", clean(lesson));
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
            let path = store.path();
            let path = path.to_string_lossy();
            println!(
                "{done} of {} lessons done · state file: {}",
                content.lessons.len(),
                clean(&path)
            );
            for l in &content.lessons {
                if let Some(p) = state.lessons.get(&l.id) {
                    let mark = if p.completed { "✓" } else { "•" };
                    // Clamped as the lesson screen clamps it: the file may hold any number.
                    let count = l.step_count();
                    let step = p.step.min(count.saturating_sub(1)) + 1;
                    let line = format!("  {mark} {:<44} step {step} of {count}", l.id);
                    println!("{}", clean(&line));
                }
            }
        }
    }
    Ok(0)
}

/// An error about a file's content, led by the file: `PATH, line 3: …` or `PATH: …`.
fn in_file(file: &Path, e: &str) -> String {
    let sep = if e.starts_with("line ") { ", " } else { ": " };
    format!("{}{sep}{e}", file.display())
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
        let text = crate::engines::lab::read_scenario_file(file)?;
        let id = crate::engines::lab::scenario_lab(&text).map_err(|e| in_file(file, &e))?;
        let pane = crate::tui::lab::LabPane::new(&id, Some(&text)).map_err(|e| in_file(file, &e))?;
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
        eprintln!("wrote {} cards to {}", content.questions.len(), clean(file));
        return Ok(0);
    }
    if due {
        let mut store = Store::locate().map_err(|e| e.to_string())?;
        let (state, notice) = store.load();
        if let Some(n) = notice {
            eprintln!("sdlab: {}", clean(&n));
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
            println!("{}", safe_text::json(v.to_string()));
            return Ok(0);
        }
        println!("{} due now · {} new · {} scheduled later", c.due, c.new, c.later);
        for q in &content.questions {
            if state.cards.get(&q.id).is_some_and(|r| r.card.due <= now) {
                let line = format!("  {:<12} {}", q.module, crate::quiz::plain_text(&q.prompt));
                println!("{}", clean(&line));
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
        println!(
            "{}",
            safe_text::json(serde_json::to_string_pretty(&bank).unwrap_or_default())
        );
    } else {
        for m in &content.modules {
            let n = content.questions.iter().filter(|q| q.module == m.id).count();
            println!("{}", clean(&format!("{:<16} {n:>3} questions", m.id)));
        }
        println!(
            "{:<16} {:>3} questions (sdlab quiz --json lists them)",
            "total",
            content.questions.len()
        );
    }
    Ok(0)
}

/// The ring config the flags describe, each checked with its range or choices in words.
fn ring_config(args: &RingArgs) -> Result<crate::engines::ring::RingConfig, String> {
    use crate::engines::ring::{whole_in, Ids, NodeSpec, RingConfig, Strategy};
    let strategy = Strategy::parse(&args.strategy).ok_or_else(|| {
        let names: Vec<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();
        format!("--strategy {:?}: use one of {}", args.strategy, names.join(", "))
    })?;
    let nodes = if args
        .nodes
        .trim()
        .starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+')
    {
        let n = whole_in(args.nodes.trim(), 1, 200, "--nodes")
            .map_err(|e| format!("{e}; or give a list of names such as a,b=2,c@eu"))?;
        NodeSpec::numbered(n as usize)
    } else {
        args.nodes
            .split(',')
            .map(|s| NodeSpec::parse(s.trim()).map_err(|e| format!("--nodes: {e}")))
            .collect::<Result<Vec<_>, _>>()?
    };
    let ids = match args.ids.as_str() {
        "sequential" => Ids::Sequential,
        "random" => Ids::Random,
        other => return Err(format!("--ids {other:?}: use sequential or random")),
    };
    let number = |text: &str, lo: f64, hi: f64, below: bool, what: &str| {
        crate::engines::ring::number_in(text, lo, hi, below, what)
    };
    let config = RingConfig {
        strategy,
        nodes,
        vnodes: whole_in(&args.vnodes, 1, 1000, "--vnodes")? as u32,
        keys: whole_in(&args.keys, 10, 1_000_000, "--keys")? as usize,
        ids,
        zipf: number(&args.zipf, 0.0, 3.0, false, "--zipf")?,
        celebrity: number(&args.celebrity, 0.0, 100.0, true, "--celebrity (a percentage)")?,
        seed: whole_in(&args.seed, 0, u64::MAX, "--seed")?,
        replicas: whole_in(&args.replicas, 1, 10, "--replicas")? as usize,
        traces: args.trace.clone(),
    };
    config.validate()?;
    Ok(config)
}

fn ring_lab(args: &RingArgs) -> Result<i32, String> {
    use crate::engines::ring::{Ring, RingAction, RingConfig};
    let config = ring_config(args)?;
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
            let shown = file.display();
            let text = crate::engines::lab::read_scenario_file(file)?;
            let (mut c, acts) =
                crate::engines::lab::read_scenario::<RingConfig>(&text).map_err(|e| in_file(file, &e))?;
            c.validate().map_err(|e| in_file(file, &e))?;
            crate::engines::ring::lab::check_scenario(&c, &acts).map_err(|e| in_file(file, &e))?;
            c.traces.extend(args.trace.iter().cloned());
            let parsed = acts
                .iter()
                .map(|a| {
                    RingAction::parse(a).map_err(|e| {
                        let quoted = format!("{a:?}");
                        let line = text.lines().position(|l| l.contains(&quoted));
                        let at = line.map_or(String::new(), |l| format!(", line {}", l + 1));
                        format!("{shown}{at}: action {quoted}: {e}")
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            (c, acts.into_iter().zip(parsed).collect())
        }
    };
    let mut ring = Ring::new(config)?;
    // Printed only once every action applied, so a refused action prints the error alone.
    let mut out: Vec<u8> = Vec::new();
    let print = |out: &mut Vec<u8>, ring: &Ring, action: Option<&str>| {
        let m = ring.metrics();
        if args.json {
            let mut v = people_json(serde_json::to_value(&m).unwrap_or_default());
            for t in v["traces"].as_array_mut().into_iter().flatten() {
                // Hashes are 64-bit: as JSON numbers, jq and JavaScript would round those above
                // 2^53. A decimal string keeps them exact; the hex form is for reading.
                if let Some(h) = t["hash"].as_u64() {
                    t["hash"] = h.to_string().into();
                    t["hash_hex"] = format!("{h:016x}").into();
                }
            }
            v["action"] = serde_json::json!(action);
            let _ = writeln!(out, "{}", safe_text::json(v.to_string()));
        } else {
            let text = crate::engines::ring::describe(&m, action);
            let _ = writeln!(out, "{}", clean(&text));
        }
    };
    // The initial state, then one state per action: the scenario's, then --do's.
    print(&mut out, &ring, None);
    for (text, action) in &earlier {
        ring.apply(action)
            .map_err(|e| format!("scenario action {text:?}: {e}"))?;
        print(&mut out, &ring, Some(text));
    }
    for (action, text) in actions.iter().zip(texts) {
        ring.apply(action).map_err(|e| format!("{text}: {e}"))?;
        print(&mut out, &ring, Some(text));
    }
    let _ = io::stdout().lock().write_all(&out);
    Ok(0)
}

/// JSON for people and scripts: floats rounded to 6 decimals (`1.14755`, not
/// `1.1475499999999998`).
fn people_json(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => n
            .as_f64()
            .and_then(|x| serde_json::Number::from_f64(crate::engines::sim::round6(x)))
            .map_or(Value::Null, Value::Number),
        Value::Array(a) => Value::Array(a.into_iter().map(people_json).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, people_json(v))).collect()),
        other => other,
    }
}
