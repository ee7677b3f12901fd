//! `sdlab lab queue`: Kafka's partitioner and assignors on demand, a work queue run to the end,
//! and a log driven action by action. Flags are read as text and checked here so that every bad
//! argument gets one line saying what is valid.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::json;

use super::kafka::{self, Assignor, Member};
use super::log::{Keys, Log, LogAction, LogConfig};
use super::work::{Delivery, Service, WorkAction, WorkConfig, WorkQueue};

pub const QUEUE_HELP: &str = "Modes (pick one):
  --partition-of KEY --partitions P        Kafka's default partitioner: {key, murmur2, partition}
  --assign range|roundrobin --consumers C0,C1 --topics t0:3,t1:3
                                           Kafka's assignors: {assignment: {member: [topic-partition]}}
  --model work --tasks N --consumers C --service fixed:MS|exp:MEAN_MS [...]
                                           a work queue run until it drains: one summary object
      --do \"crash c1 @T; crash-before-ack c1 @T; restart c1 @T; add @T; slow c1 3 @T;
            produce N @T; poison @T\"        (T in ms, or 2s)
  --model log --partitions P --consumers C [--keys none|hot|many|a,b,c] [--rate R] ...
                                           a Kafka-style topic: one JSON object per state
      --do \"produce N [key K]; tick MS; join c4 [g]; leave c1 [g]; crash c1 [g]; commit [g];
            rewind [g] earliest|OFFSET; slow c1 [g] F; group g2 N; keys none|hot|many; rate R\"
Bad arguments exit 2.";

#[derive(Debug, clap::Args)]
pub struct QueueArgs {
    /// Print the partition Kafka's default partitioner picks for KEY
    #[arg(long, value_name = "KEY")]
    pub partition_of: Option<String>,
    /// Number of partitions (partitioner and log model)
    #[arg(long, value_name = "P")]
    pub partitions: Option<String>,
    /// Run an assignor: range or roundrobin
    #[arg(long, value_name = "ASSIGNOR")]
    pub assign: Option<String>,
    /// Consumer ids for --assign (C0,C1), or a consumer count for a model
    #[arg(long, value_name = "C")]
    pub consumers: Option<String>,
    /// Topics for --assign: NAME:PARTITIONS,…
    #[arg(long, value_name = "TOPICS")]
    pub topics: Option<String>,
    /// work or log
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Work: tasks on the queue at the start (or in all, with --rate)
    #[arg(long, value_name = "N", default_value = "100")]
    pub tasks: String,
    /// Work: fixed:MS or exp:MEAN_MS per attempt
    #[arg(long, value_name = "SERVICE", default_value = "fixed:1000")]
    pub service: String,
    /// Work: probability an attempt fails
    #[arg(long, value_name = "P", default_value = "0")]
    pub fail: String,
    /// Work: how many messages (ids 1..=N) always fail
    #[arg(long, value_name = "N", default_value = "0")]
    pub poison: String,
    /// Work: receives before a failing message is dead-lettered
    #[arg(long, value_name = "A", default_value = "3")]
    pub max_attempts: String,
    /// Work: at-most-once or at-least-once
    #[arg(long, value_name = "MODE", default_value = "at-least-once")]
    pub delivery: String,
    /// Work: dedupe by message id before the side effect (on or off)
    #[arg(long, value_name = "ON|OFF", default_value = "off")]
    pub idempotent: String,
    /// Work: visibility timeout in ms
    #[arg(long, value_name = "MS", default_value = "30000")]
    pub visibility_timeout: String,
    /// Work: first retry delay in ms, doubling each retry (0: retry at once)
    #[arg(long, value_name = "MS", default_value = "1000")]
    pub backoff: String,
    /// Work: Poisson arrivals per second (0: all tasks at once). Log: records produced per second
    #[arg(long, value_name = "R", default_value = "0")]
    pub rate: String,
    /// Log: none, hot, many, or a list of keys a,b,c
    #[arg(long, value_name = "KEYS", default_value = "many")]
    pub keys: String,
    /// Log: the group's assignor, range or roundrobin
    #[arg(long, value_name = "ASSIGNOR", default_value = "range")]
    pub assignor: String,
    /// Log: records each consumer processes per second
    #[arg(long, value_name = "R", default_value = "10")]
    pub consume_rate: String,
    /// Log: delete records older than this (ms); 0 keeps them
    #[arg(long, value_name = "MS", default_value = "0")]
    pub retention: String,
    #[arg(long, value_name = "S", default_value = "42")]
    pub seed: String,
    /// Actions separated by ';'
    #[arg(long = "do", value_name = "ACTIONS")]
    pub actions: Option<String>,
    /// JSON output
    #[arg(long)]
    pub json: bool,
}

fn number<T: std::str::FromStr>(flag: &str, text: &str, what: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("--{flag} {text:?}: give {what}"))
}

fn on_off(text: &str) -> Result<bool, String> {
    match text {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("--idempotent {text:?}: give on or off")),
    }
}

fn actions(text: Option<&str>) -> Vec<&str> {
    text.unwrap_or("")
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect()
}

/// Runs `sdlab lab queue`; errors are one line for the caller to print (exit 2).
pub fn run(args: &QueueArgs) -> Result<i32, String> {
    let mut out = io::stdout().lock();
    if let Some(key) = &args.partition_of {
        let p = partitions(args)?;
        let hash = kafka::murmur2(key.as_bytes());
        let partition = kafka::partition_for_key(key.as_bytes(), p);
        if args.json {
            let _ = writeln!(
                out,
                "{}",
                json!({ "key": key, "murmur2": hash, "partition": partition })
            );
        } else {
            let _ = writeln!(
                out,
                "key {key:?}: murmur2 {hash}, positive {}, partition {partition} of {p}",
                kafka::to_positive(hash)
            );
        }
        return Ok(0);
    }
    if let Some(name) = &args.assign {
        let assignor = Assignor::parse(name)?;
        let ids = args
            .consumers
            .as_deref()
            .ok_or("--assign needs --consumers C0,C1,… (member ids)")?;
        let topics = kafka::parse_topics(
            args.topics
                .as_deref()
                .ok_or("--assign needs --topics NAME:PARTITIONS,… (e.g. t0:3,t1:3)")?,
        )?;
        let mut members = Vec::new();
        for id in ids.split(',').map(str::trim) {
            if id.is_empty() || id.contains(char::is_whitespace) {
                return Err(format!(
                    "--consumers {ids:?}: give member ids separated by commas, e.g. C0,C1"
                ));
            }
            if members.iter().any(|m: &Member| m.id == id) {
                return Err(format!("--consumers: {id} is listed twice"));
            }
            members.push(Member {
                id: id.to_string(),
                topics: topics.keys().cloned().collect(),
            });
        }
        let a = kafka::assign(assignor, &topics, &members);
        let named: BTreeMap<&String, Vec<String>> = a
            .iter()
            .map(|(k, v)| (k, v.iter().map(ToString::to_string).collect()))
            .collect();
        if args.json {
            let _ = writeln!(out, "{}", json!({ "assignor": assignor.name(), "assignment": named }));
        } else {
            for (member, tps) in &named {
                let _ = writeln!(
                    out,
                    "{member}: {}",
                    if tps.is_empty() {
                        "(idle)".into()
                    } else {
                        tps.join(", ")
                    }
                );
            }
        }
        return Ok(0);
    }
    match args.model.as_deref() {
        Some("work") => work(args, &mut out),
        Some("log") => log(args, &mut out),
        Some(other) => Err(format!("--model {other:?}: use work or log")),
        None => Err(
            "say what to run: --partition-of KEY, --assign range|roundrobin, or --model work|log (see --help)".into(),
        ),
    }
}

fn partitions(args: &QueueArgs) -> Result<u32, String> {
    let text = args.partitions.as_deref().ok_or("give --partitions P (1 or more)")?;
    let p: u32 = number("partitions", text, "a whole number of partitions, 1 or more")?;
    if p == 0 {
        return Err("--partitions 0: a topic has at least 1 partition".into());
    }
    Ok(p)
}

fn consumer_count(args: &QueueArgs, default: usize) -> Result<usize, String> {
    match args.consumers.as_deref() {
        None => Ok(default),
        Some(t) => number("consumers", t, "a number of consumers"),
    }
}

/// `crash c1 @1500` → ("crash c1", 1500 ms); `@2s` means 2000 ms.
fn timed(text: &str) -> Result<(&str, u64), String> {
    let Some((action, at)) = text.rsplit_once('@') else {
        return Ok((text, 0));
    };
    let at = at.trim();
    let bad = || format!("{text:?}: write the time after @ in ms (@1500) or seconds (@2s)");
    let ms = if let Some(s) = at.strip_suffix("ms") {
        s.trim().parse::<f64>().map_err(|_| bad())?
    } else if let Some(s) = at.strip_suffix('s') {
        s.trim().parse::<f64>().map_err(|_| bad())? * 1000.0
    } else {
        at.parse::<f64>().map_err(|_| bad())?
    };
    if !(ms.is_finite() && ms >= 0.0) {
        return Err(bad());
    }
    Ok((action.trim(), ms.round() as u64))
}

pub fn work_config(args: &QueueArgs) -> Result<WorkConfig, String> {
    let c = WorkConfig {
        tasks: number("tasks", &args.tasks, "a whole number of tasks")?,
        consumers: consumer_count(args, 3)?,
        service: Service::parse(&args.service)?,
        fail: number("fail", &args.fail, "a probability from 0 to 1")?,
        poison: number("poison", &args.poison, "a whole number of poison messages")?,
        max_attempts: number(
            "max-attempts",
            &args.max_attempts,
            "a whole number of attempts, 1 or more",
        )?,
        delivery: Delivery::parse(&args.delivery)?,
        idempotent: on_off(&args.idempotent)?,
        visibility_timeout_ms: number("visibility-timeout", &args.visibility_timeout, "milliseconds")?,
        backoff_ms: number("backoff", &args.backoff, "milliseconds")?,
        backoff_cap_ms: WorkConfig::default().backoff_cap_ms,
        arrival_rate: number("rate", &args.rate, "messages per second")?,
        seed: number("seed", &args.seed, "a whole number")?,
    };
    c.validate()?;
    Ok(c)
}

fn work(args: &QueueArgs, out: &mut impl Write) -> Result<i32, String> {
    let config = work_config(args)?;
    let mut plan = Vec::new();
    for text in actions(args.actions.as_deref()) {
        let (action, at) = timed(text)?;
        plan.push((at, WorkAction::parse(action)?, text));
    }
    // Actions run at their times; those at the same time in the order written.
    plan.sort_by_key(|(at, _, _)| *at);
    let mut q = WorkQueue::new(config)?;
    for (at, action, text) in &plan {
        q.tick(at.saturating_sub(q.now_ms()));
        q.apply(action).map_err(|e| format!("{text}: {e}"))?;
    }
    q.run_to_end();
    let m = q.metrics();
    if args.json {
        let _ = writeln!(out, "{}", serde_json::to_value(&m).unwrap_or_default());
    } else {
        let drain = m
            .drain_ms
            .map_or("never (messages left)".into(), |d| format!("{:.1} s", d / 1000.0));
        let _ = writeln!(
            out,
            "drained: {drain} · processed {} · duplicates {} · lost {} · double side effects {} · dead letters {} · depth max {}",
            m.processed,
            m.duplicates,
            m.lost,
            m.double_side_effects,
            m.dlq.len(),
            m.depth_max
        );
        for d in &m.dlq {
            let _ = writeln!(out, "  dead letter m{} after {} attempts", d.id, d.attempts);
        }
    }
    Ok(0)
}

pub fn log_config(args: &QueueArgs) -> Result<LogConfig, String> {
    let c = LogConfig {
        topic: "orders".into(),
        partitions: partitions(args)?,
        consumers: consumer_count(args, 3)?,
        assignor: Assignor::parse(&args.assignor)?,
        keys: Keys::parse(&args.keys)?,
        rate: number("rate", &args.rate, "records per second")?,
        consume_rate: number("consume-rate", &args.consume_rate, "records per second")?,
        retention_ms: number("retention", &args.retention, "milliseconds")?,
        auto_commit_ms: LogConfig::default().auto_commit_ms,
        seed: number("seed", &args.seed, "a whole number")?,
    };
    c.validate()?;
    Ok(c)
}

enum Step {
    Tick(u64),
    Act(LogAction),
}

fn log(args: &QueueArgs, out: &mut impl Write) -> Result<i32, String> {
    let config = log_config(args)?;
    let texts = actions(args.actions.as_deref());
    // Every action parses before the first state prints, so a typo prints nothing.
    let steps: Vec<Step> = texts
        .iter()
        .map(|t| match t.strip_prefix("tick ") {
            Some(ms) => number("do", ms, "tick MS with a whole number of milliseconds").map(Step::Tick),
            None => LogAction::parse(t).map(Step::Act),
        })
        .collect::<Result<_, _>>()?;
    let mut l = Log::new(config)?;
    let print = |out: &mut dyn Write, l: &Log, action: Option<&str>| {
        let mut v = serde_json::to_value(l.metrics()).unwrap_or_default();
        v["action"] = json!(action);
        if args.json {
            let _ = writeln!(out, "{v}");
        } else {
            let m = l.metrics();
            let _ = writeln!(
                out,
                "{}t={:.1}s lag {:?} (total {}) · ordering violations {} · assignment {}",
                action.map_or(String::new(), |a| format!("{a}: ")),
                m.now_ms / 1000.0,
                m.lag,
                m.lag_total,
                m.ordering_violations,
                m.assignment
                    .iter()
                    .map(|(k, v)| format!("{k}=[{}]", v.join(" ")))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    };
    print(out, &l, None);
    for (step, text) in steps.iter().zip(&texts) {
        match step {
            Step::Tick(ms) => l.tick(*ms),
            Step::Act(a) => l.apply(a).map_err(|e| format!("{text}: {e}"))?,
        }
        print(out, &l, Some(text));
    }
    Ok(0)
}
