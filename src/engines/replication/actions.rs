//! The text actions of the replication lab: the same words the lab's keys write into its log
//! and the command line's `--do` takes.

use super::config::{Delay, Mode, Routing};

/// A node as an action names it: whoever is primary now, or a node by name (`p`, `r2`).
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Primary,
    Named(String),
}

/// What a client asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Write { key: String, value: String },
    Read { key: String },
    DeleteAll,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A client request; `client` is 1-based (c1 when the action names none).
    Client {
        client: usize,
        request: Request,
    },
    Crash(Target),
    Restart(Target),
    Partition(Target),
    Heal,
    /// Extra one-way delay on one replica's link until `heal`.
    Slow(Target, f64),
    /// `None`: the most advanced live replica.
    Promote(Option<String>),
    /// Automatic failover on or off.
    Failover(bool),
    Fencing(bool),
    Mode(Mode, Option<usize>),
    Delay(Target, Delay),
    Routing(Routing),
    /// Background load: writes and reads per second.
    Load(f64, f64),
    /// Snapshot the primary (a nightly backup).
    Snapshot,
    /// Restore the snapshot alone, or the snapshot plus the binlog up to (not including) a time.
    Restore(Option<f64>),
}

pub const HELP: &str = "Actions for --do, separated by ';' (c2 write … / c2 read … act as client c2; c1 by default):
  write KEY=VALUE     read KEY          delete all        tick MS
  crash primary|p|rN  restart NODE      partition primary|rN   heal (ends partitions and slow links)
  slow rN MS          delay rN fixed:MS|exp:MEAN[+spike:PROB:MS]
  promote auto|rN     failover auto|manual                fencing on|off
  mode async|sync|semisync K            routing primary|random|round-robin|pinned|ryw-token|primary-after-write:MS
  load WRITES/S READS/S                 snapshot          restore snapshot|pitr MS
One JSON object per state: the initial one, then one per action.
Experiment mode: --trials T --read-after MS runs T trials of one write and one read MS after its
commit at a random replica (replicas apply on arrival) and prints one summary object.";

fn target(s: &str) -> Target {
    if s == "primary" {
        Target::Primary
    } else {
        Target::Named(s.to_string())
    }
}

fn number(what: &str, s: &str, lo: f64, hi: f64) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && (lo..=hi).contains(&x) => Ok(x),
        _ => Err(format!("{what} {s:?}: must be a number between {lo} and {hi}")),
    }
}

fn key_name(s: &str) -> Result<String, String> {
    if !s.is_empty() && s.len() <= 24 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(s.to_string())
    } else {
        Err(format!("key {s:?}: use 1 to 24 letters, digits or _"))
    }
}

impl Action {
    pub fn parse(text: &str) -> Result<Action, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let (client, rest) = match words.first() {
            Some(w) if w.len() >= 2 && w.starts_with('c') && w[1..].chars().all(|c| c.is_ascii_digit()) => {
                let n: usize = w[1..].parse().map_err(|_| format!("client {w:?}: use c1 to c9"))?;
                if !(1..=9).contains(&n) {
                    return Err(format!("client {w:?}: use c1 to c9"));
                }
                (Some(n), &words[1..])
            }
            _ => (None, &words[..]),
        };
        let bad = || format!("unknown action {text:?}; see --help for the list");
        let request = match rest {
            ["write", kv] => {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| format!("write {kv:?}: use write KEY=VALUE"))?;
                if v.is_empty() || v.len() > 24 {
                    return Err(format!("write {kv:?}: the value must be 1 to 24 characters"));
                }
                Some(Request::Write {
                    key: key_name(k)?,
                    value: v.to_string(),
                })
            }
            ["read", k] => Some(Request::Read { key: key_name(k)? }),
            ["delete", "all"] => Some(Request::DeleteAll),
            _ => None,
        };
        if let Some(request) = request {
            return Ok(Action::Client {
                client: client.unwrap_or(1),
                request,
            });
        }
        if client.is_some() {
            return Err(format!("{text:?}: a client can write, read or delete all"));
        }
        Ok(match rest {
            ["crash", n] => Action::Crash(target(n)),
            ["restart", n] => Action::Restart(target(n)),
            ["partition", n] => Action::Partition(target(n)),
            ["heal"] => Action::Heal,
            ["slow", n, ms] => Action::Slow(target(n), number("slow", ms, 0.0, 600_000.0)?),
            ["promote", "auto"] => Action::Promote(None),
            ["promote", n] => Action::Promote(Some(n.to_string())),
            ["failover", "auto"] => Action::Failover(true),
            ["failover", "manual"] => Action::Failover(false),
            ["fencing", "on"] => Action::Fencing(true),
            ["fencing", "off"] => Action::Fencing(false),
            ["mode", "semisync", k] | ["mode", "semi-sync", k] => Action::Mode(
                Mode::Semisync,
                Some(
                    k.parse()
                        .map_err(|_| format!("mode semisync {k:?}: give the number of acks, between 1 and 7"))?,
                ),
            ),
            ["mode", m] => Action::Mode(Mode::parse(m)?, None),
            ["delay", n, d] => Action::Delay(target(n), Delay::parse(d)?),
            ["routing", r] => Action::Routing(Routing::parse(r)?),
            ["load", w, r] => Action::Load(
                number("write rate", w, 0.0, 10_000.0)?,
                number("read rate", r, 0.0, 100_000.0)?,
            ),
            ["snapshot"] => Action::Snapshot,
            ["restore", "snapshot"] => Action::Restore(None),
            ["restore", "pitr", ms] => Action::Restore(Some(number("restore pitr", ms, 0.0, 1e12)?)),
            _ => return Err(bad()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_actions_parse() {
        for a in [
            "write email=b",
            "c2 read email",
            "delete all",
            "crash primary",
            "crash r2",
            "restart r2",
            "partition primary",
            "heal",
            "slow r1 2000",
            "promote auto",
            "promote r2",
            "failover auto",
            "fencing on",
            "mode semisync 1",
            "mode sync",
            "delay r2 exp:300",
            "routing ryw-token",
            "routing primary-after-write:500",
            "load 100 1000",
            "snapshot",
            "restore snapshot",
            "restore pitr 4000",
        ] {
            Action::parse(a).unwrap_or_else(|e| panic!("{a}: {e}"));
        }
        assert_eq!(
            Action::parse("c3 write age=30").unwrap(),
            Action::Client {
                client: 3,
                request: Request::Write {
                    key: "age".into(),
                    value: "30".into()
                }
            }
        );
    }

    #[test]
    fn malformed_actions_say_what_is_wrong() {
        for (a, says) in [
            ("write email", "KEY=VALUE"),
            ("mode quorum", "async, semisync or sync"),
            ("delay r1 fixed:-3", "fixed:MS"),
            ("routing nearest", "ryw-token"),
            ("c0 read x", "c1 to c9"),
            ("explode", "unknown action"),
            ("load -1 5", "between 0"),
        ] {
            let e = Action::parse(a).unwrap_err();
            assert!(e.contains(says), "{a}: {e}");
        }
    }
}
