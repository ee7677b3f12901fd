//! Raft-style leader election and a minimal replicated log (Ongaro and Ousterhout, "In Search
//! of an Understandable Consensus Algorithm", USENIX ATC 2014), on the simulated network.
//!
//! Terms, randomized election timeouts, heartbeats, RequestVote granted to candidates whose log
//! is at least as up to date, AppendEntries with the consistency check, and commit once a
//! majority holds an entry of the leader's own term (§5.4.2). The majority rule is a toggle: off,
//! a candidate that gathers no majority still takes over when its vote window closes, and a
//! leader commits once every node it can reach holds the entry — so both sides of a partition
//! elect a leader and acknowledge writes (split brain). On, a leader cut off in the minority may
//! still believe it leads but commits nothing, and on heal it sees the higher term, steps down
//! and its uncommitted entries are overwritten.
//!
//! An oracle watches every run: two leaders in one term, a committed entry changed or lost, a
//! leader elected without every committed entry, an acknowledged write dropped, and split brain
//! (two nodes that each believe they lead both acknowledging writes in overlapping time).

use std::collections::BTreeMap;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::network::{NetAction, Network, NetworkView};
use super::{node_index, node_name};
use crate::engines::sim::{self, ms_to_us, us_to_ms, Anomalies, Anomaly, EventLog, EventQueue, Micros, SimRng};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RaftConfig {
    /// Nodes n1..nN, 1 to 9.
    pub nodes: usize,
    /// Whether electing a leader and committing an entry need a majority.
    pub majority: bool,
    pub seed: u64,
    pub election_min_ms: u64,
    pub election_max_ms: u64,
    pub heartbeat_ms: u64,
    /// Mean one-way message delay and its uniform jitter, in ms.
    pub delay_ms: f64,
    pub jitter_ms: f64,
    /// Share of messages lost, in percent.
    pub loss: f64,
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            nodes: 5,
            majority: true,
            seed: 42,
            election_min_ms: 150,
            election_max_ms: 300,
            heartbeat_ms: 50,
            delay_ms: 5.0,
            jitter_ms: 2.0,
            loss: 0.0,
        }
    }
}

impl RaftConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=9).contains(&self.nodes) {
            return Err(format!("{} nodes: a cluster has 1 to 9 nodes", self.nodes));
        }
        if self.election_min_ms == 0 || self.election_min_ms > self.election_max_ms || self.election_max_ms > 60_000 {
            return Err(format!(
                "election timeout {}–{} ms: give a range with 0 < min ≤ max ≤ 60000",
                self.election_min_ms, self.election_max_ms
            ));
        }
        if self.heartbeat_ms == 0 || self.heartbeat_ms >= self.election_min_ms {
            return Err(format!(
                "heartbeat {} ms: give 1 ms to less than the shortest election timeout ({} ms)",
                self.heartbeat_ms, self.election_min_ms
            ));
        }
        if !(0.0..=1000.0).contains(&self.delay_ms) || !(0.0..=1000.0).contains(&self.jitter_ms) {
            return Err("delay and jitter: give 0 to 1000 ms".into());
        }
        if !(0.0..=100.0).contains(&self.loss) {
            return Err(format!("loss {}: give a percentage from 0 to 100", self.loss));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub term: u64,
    /// The client write this entry carries.
    pub id: u64,
    pub key: String,
    pub value: String,
    /// The leader that appended it (and answers its client).
    #[serde(skip)]
    by: usize,
}

#[derive(Debug, Clone)]
pub enum Msg {
    Vote {
        term: u64,
        last_idx: usize,
        last_term: u64,
    },
    VoteReply {
        term: u64,
        granted: bool,
    },
    Append {
        term: u64,
        prev_idx: usize,
        prev_term: u64,
        entries: Vec<Entry>,
        commit: usize,
    },
    AppendReply {
        term: u64,
        ok: bool,
        matched: usize,
    },
}

impl Msg {
    pub fn kind(&self) -> &'static str {
        match self {
            Msg::Vote { .. } => "vote",
            Msg::VoteReply { .. } => "vote_reply",
            Msg::Append { entries, .. } if entries.is_empty() => "heartbeat",
            Msg::Append { .. } => "append",
            Msg::AppendReply { .. } => "append_reply",
        }
    }
}

#[derive(Debug, Clone)]
enum Ev {
    Deliver {
        from: usize,
        to: usize,
        sent: Micros,
        msg: Msg,
    },
    Timer {
        node: usize,
        epoch: u32,
    },
    Heartbeat {
        node: usize,
        epoch: u32,
        term: u64,
    },
    TakeOver {
        node: usize,
        epoch: u32,
        term: u64,
    },
}

#[derive(Debug, Clone)]
struct Node {
    term: u64,
    voted_for: Option<usize>,
    log: Vec<Entry>,
    /// Entries 1..=commit are committed as far as this node knows.
    commit: usize,
    role: Role,
    deadline: Micros,
    timer_pending: bool,
    /// Bumped on crash so the timers of a previous life are ignored.
    epoch: u32,
    votes: u16,
    next: Vec<usize>,
    matched: Vec<usize>,
    heard: Vec<Option<Micros>>,
    leader: Option<usize>,
    tenure: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Write {
    pub id: u64,
    pub key: String,
    pub value: String,
    pub node: String,
    pub at_ms: f64,
    /// The leader that told the client the write was committed, and when.
    pub acked_by: Option<String>,
    pub acked_ms: Option<f64>,
    /// Refused: the node was down or not the leader.
    pub rejected: Option<String>,
    /// Acknowledged while another node that believed it led also acknowledged writes.
    pub conflicting: bool,
    /// Acknowledged, then dropped from the log of the leader that acknowledged it.
    pub lost: bool,
}

#[derive(Debug, Clone)]
struct Tenure {
    node: usize,
    term: u64,
    start: Micros,
    end: Option<Micros>,
    /// (time, write id) of every write acknowledged in this tenure.
    acks: Vec<(Micros, u64)>,
}

/// Something done to the cluster, parsed before anything runs.
#[derive(Debug, Clone, PartialEq)]
pub enum RaftAction {
    Net(NetAction),
    Write {
        key: String,
        value: String,
        node: usize,
    },
    Run(u64),
    /// The node's election timer fires now.
    Timeout(usize),
    Majority(bool),
}

impl RaftAction {
    pub fn parse(text: &str, n: usize) -> Result<RaftAction, String> {
        let text = text.trim();
        if let Some(a) = NetAction::parse(text, n)? {
            return Ok(RaftAction::Net(a));
        }
        let (verb, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let rest = rest.trim();
        match verb {
            "write" => {
                let (kv, node) = rest
                    .rsplit_once('@')
                    .ok_or_else(|| format!("write {rest:?}: write KEY=VALUE @NODE, e.g. write x=1 @n1"))?;
                let (key, value) = kv
                    .trim()
                    .split_once('=')
                    .filter(|(k, _)| !k.trim().is_empty())
                    .ok_or_else(|| format!("write {rest:?}: write KEY=VALUE @NODE, e.g. write x=1 @n1"))?;
                Ok(RaftAction::Write {
                    key: key.trim().to_string(),
                    value: value.trim().to_string(),
                    node: node_index(node, n)?,
                })
            }
            "run" => rest
                .trim_end_matches("ms")
                .parse::<u64>()
                .ok()
                .filter(|ms| *ms <= 3_600_000)
                .map(RaftAction::Run)
                .ok_or_else(|| format!("run {rest:?}: give a number of milliseconds up to 3600000")),
            "timeout" => Ok(RaftAction::Timeout(node_index(rest, n)?)),
            "majority" => match rest {
                "on" => Ok(RaftAction::Majority(true)),
                "off" => Ok(RaftAction::Majority(false)),
                _ => Err(format!("majority {rest:?}: write majority on or majority off")),
            },
            _ => Err(format!(
                "unknown action {text:?}: use partition A,B|C,D, cut A>B, heal, crash N, restart N, delay MS, loss PCT, write K=V @N, run MS, timeout N or majority on|off"
            )),
        }
    }
}

#[derive(Clone)]
pub struct Raft {
    config: RaftConfig,
    now: Micros,
    queue: EventQueue<Ev>,
    rng: SimRng,
    pub net: Network,
    nodes: Vec<Node>,
    writes: Vec<Write>,
    tenures: Vec<Tenure>,
    /// The first entry any node committed at each index (the oracle's record).
    chosen: Vec<(u64, u64)>,
    leader_of_term: BTreeMap<u64, usize>,
    elections: u64,
    candidacies: u64,
    split_brain: bool,
    dropped_entries: u64,
    messages_lost: u64,
    pub log: EventLog,
    pub anomalies: Anomalies,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeaderView {
    pub node: String,
    pub term: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeView {
    pub name: String,
    pub role: Role,
    pub term: u64,
    pub voted_for: Option<String>,
    pub log_len: usize,
    pub commit: usize,
    pub crashed: bool,
    /// Votes a candidate holds (itself included).
    pub votes: u32,
    /// Time left on the election timer, in ms (0 for leaders and crashed nodes).
    pub timer_left_ms: f64,
}

/// Who led one term, and how many writes each acknowledged in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TermLeaders {
    pub term: u64,
    pub leaders: Vec<(String, usize)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageView {
    pub from: String,
    pub to: String,
    pub kind: &'static str,
    pub sent_ms: f64,
    pub arrives_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RaftMetrics {
    pub time_ms: f64,
    pub majority: bool,
    /// The highest term any node has reached.
    pub term: u64,
    /// Every running node that believes it leads.
    pub leaders: Vec<LeaderView>,
    pub split_brain: bool,
    /// Times a node became leader.
    pub elections: u64,
    /// Elections started.
    pub candidacies: u64,
    /// Client writes acknowledged as committed.
    pub committed: u64,
    /// Entries in some running node's log that it has not seen committed.
    pub uncommitted: u64,
    pub conflicting_writes: u64,
    pub lost_writes: u64,
    pub rejected_writes: u64,
    /// Entries a node dropped from its log because a leader's log disagreed.
    pub dropped_entries: u64,
    pub messages_lost: u64,
    pub nodes: Vec<NodeView>,
    pub network: NetworkView,
    pub writes: Vec<Write>,
    pub anomalies: Vec<Anomaly>,
}

fn majority_of(n: usize) -> usize {
    n / 2 + 1
}

impl Raft {
    pub fn new(config: RaftConfig) -> Result<Raft, String> {
        config.validate()?;
        let n = config.nodes;
        let mut net = Network::new(n, config.delay_ms, config.jitter_ms);
        net.apply(&NetAction::Loss(config.loss));
        let node = Node {
            term: 0,
            voted_for: None,
            log: Vec::new(),
            commit: 0,
            role: Role::Follower,
            deadline: 0,
            timer_pending: false,
            epoch: 0,
            votes: 0,
            next: vec![1; n],
            matched: vec![0; n],
            heard: vec![None; n],
            leader: None,
            tenure: None,
        };
        let mut raft = Raft {
            rng: sim::rng(config.seed),
            now: 0,
            queue: EventQueue::new(),
            net,
            nodes: vec![node; n],
            writes: Vec::new(),
            tenures: Vec::new(),
            chosen: Vec::new(),
            leader_of_term: BTreeMap::new(),
            elections: 0,
            candidacies: 0,
            split_brain: false,
            dropped_entries: 0,
            messages_lost: 0,
            log: EventLog::default(),
            anomalies: Anomalies::default(),
            config,
        };
        for i in 0..n {
            raft.reset_timer(i);
        }
        Ok(raft)
    }

    pub fn config(&self) -> &RaftConfig {
        &self.config
    }

    pub fn n(&self) -> usize {
        self.nodes.len()
    }

    pub fn now_ms(&self) -> f64 {
        us_to_ms(self.now)
    }

    pub fn apply_text(&mut self, text: &str) -> Result<(), String> {
        let action = RaftAction::parse(text, self.n())?;
        self.apply(&action);
        Ok(())
    }

    pub fn apply(&mut self, action: &RaftAction) {
        match action {
            RaftAction::Net(a) => match a {
                NetAction::Crash(i) => self.crash(*i),
                NetAction::Restart(i) => {
                    if self.net.crashed(*i) {
                        self.net.apply(a);
                        self.say(format!("{} restarts as a follower", node_name(*i)));
                        self.reset_timer(*i);
                    }
                }
                _ => {
                    self.net.apply(a);
                    let text = match a {
                        NetAction::Partition(sides) => format!(
                            "partition: {}",
                            sides
                                .iter()
                                .map(|s| s.iter().map(|&i| node_name(i)).collect::<Vec<_>>().join(","))
                                .collect::<Vec<_>>()
                                .join(" | ")
                        ),
                        NetAction::Cut(x, y) => {
                            format!("messages from {} to {} are lost", node_name(*x), node_name(*y))
                        }
                        NetAction::Heal => "the network heals".to_string(),
                        NetAction::Loss(p) => format!("message loss {p}%"),
                        NetAction::Delay(..) => "link delay changed".to_string(),
                        NetAction::Crash(_) | NetAction::Restart(_) => unreachable!(),
                    };
                    self.say(text);
                }
            },
            RaftAction::Write { key, value, node } => self.client_write(*node, key, value),
            RaftAction::Run(ms) => self.tick(*ms),
            RaftAction::Timeout(i) => {
                if !self.net.crashed(*i) && self.nodes[*i].role != Role::Leader {
                    self.start_election(*i);
                }
            }
            RaftAction::Majority(on) => {
                self.config.majority = *on;
                self.say(format!("majority rule {}", if *on { "on" } else { "off" }));
            }
        }
    }

    pub fn tick(&mut self, ms: u64) {
        let until = self.now + ms * 1000;
        while let Some((at, ev)) = self.queue.pop_due(until) {
            self.now = at;
            self.handle(ev);
        }
        self.now = until;
    }

    fn say(&mut self, text: String) {
        self.log.push(self.now, text, false);
    }

    fn anomaly(&mut self, kind: &'static str, detail: String) {
        self.anomalies.record(&mut self.log, self.now, kind, detail);
    }

    fn reset_timer(&mut self, i: usize) {
        let (lo, hi) = (self.config.election_min_ms, self.config.election_max_ms);
        let ms = self.rng.random_range(lo as f64..=hi as f64);
        let node = &mut self.nodes[i];
        node.deadline = self.now + ms_to_us(ms);
        if !node.timer_pending {
            node.timer_pending = true;
            let (at, epoch) = (node.deadline, node.epoch);
            self.queue.schedule(at, Ev::Timer { node: i, epoch });
        }
    }

    fn send(&mut self, from: usize, to: usize, msg: Msg) {
        if self.net.crashed(from) {
            return;
        }
        match self.net.transit(&mut self.rng, from, to) {
            None => self.messages_lost += 1,
            Some(d) => self.queue.schedule(
                self.now + d,
                Ev::Deliver {
                    from,
                    to,
                    sent: self.now,
                    msg,
                },
            ),
        }
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Deliver { from, to, msg, .. } => {
                if self.net.link_up(from, to) {
                    self.receive(to, from, msg);
                }
            }
            Ev::Timer { node, epoch } => {
                let n = &mut self.nodes[node];
                if n.epoch != epoch {
                    return;
                }
                n.timer_pending = false;
                if self.net.crashed(node) || n.role == Role::Leader {
                    return;
                }
                if self.now < n.deadline {
                    n.timer_pending = true;
                    let at = n.deadline;
                    self.queue.schedule(at, Ev::Timer { node, epoch });
                } else {
                    self.start_election(node);
                }
            }
            Ev::Heartbeat { node, epoch, term } => {
                let n = &self.nodes[node];
                if n.epoch == epoch && n.role == Role::Leader && n.term == term {
                    self.broadcast_append(node);
                    let at = self.now + self.config.heartbeat_ms * 1000;
                    self.queue.schedule(at, Ev::Heartbeat { node, epoch, term });
                }
            }
            Ev::TakeOver { node, epoch, term } => {
                let n = &self.nodes[node];
                if !self.config.majority && n.epoch == epoch && n.role == Role::Candidate && n.term == term {
                    let votes = n.votes.count_ones();
                    self.say(format!(
                        "{} takes over with {votes} of {} votes: no majority needed",
                        node_name(node),
                        self.n()
                    ));
                    self.become_leader(node);
                }
            }
        }
    }

    fn start_election(&mut self, i: usize) {
        let n = &mut self.nodes[i];
        n.term += 1;
        n.role = Role::Candidate;
        n.voted_for = Some(i);
        n.votes = 1 << i;
        n.leader = None;
        let (term, last_idx) = (n.term, n.log.len());
        let last_term = n.log.last().map_or(0, |e| e.term);
        self.candidacies += 1;
        self.say(format!("{} times out and stands for term {term}", node_name(i)));
        self.reset_timer(i);
        if majority_of(self.n()) == 1 {
            self.become_leader(i);
            return;
        }
        for j in 0..self.n() {
            if j != i {
                self.send(
                    i,
                    j,
                    Msg::Vote {
                        term,
                        last_idx,
                        last_term,
                    },
                );
            }
        }
        if !self.config.majority {
            // The vote window: one heartbeat interval, long enough for replies on a healthy link.
            let epoch = self.nodes[i].epoch;
            let at = self.now + self.config.heartbeat_ms * 1000;
            self.queue.schedule(at, Ev::TakeOver { node: i, epoch, term });
        }
    }

    fn become_leader(&mut self, i: usize) {
        let n = self.n();
        let node = &mut self.nodes[i];
        node.role = Role::Leader;
        node.leader = Some(i);
        node.next = vec![node.log.len() + 1; n];
        node.matched = vec![0; n];
        let now = self.now;
        let votes = node.votes;
        node.heard = (0..n).map(|j| (votes & (1 << j) != 0).then_some(now)).collect();
        let term = node.term;
        self.elections += 1;
        self.tenures.push(Tenure {
            node: i,
            term,
            start: now,
            end: None,
            acks: Vec::new(),
        });
        self.nodes[i].tenure = Some(self.tenures.len() - 1);
        self.say(format!("{} leads term {term}", node_name(i)));
        match self.leader_of_term.get(&term) {
            Some(&other) if other != i => self.anomaly(
                "two_leaders_in_term",
                format!("{} and {} both lead term {term}", node_name(other), node_name(i)),
            ),
            _ => {
                self.leader_of_term.insert(term, i);
            }
        }
        let missing = self
            .chosen
            .iter()
            .enumerate()
            .find(|(idx, &(t, id))| self.nodes[i].log.get(*idx).is_none_or(|e| (e.term, e.id) != (t, id)));
        if let Some((idx, _)) = missing {
            let detail = format!("{} leads term {term} without committed entry {}", node_name(i), idx + 1);
            self.anomaly("leader_missing_committed", detail);
        }
        self.broadcast_append(i);
        let epoch = self.nodes[i].epoch;
        let at = self.now + self.config.heartbeat_ms * 1000;
        self.queue.schedule(at, Ev::Heartbeat { node: i, epoch, term });
        self.advance_commit(i);
    }

    fn step_down(&mut self, i: usize, term: u64) {
        let node = &mut self.nodes[i];
        let was = node.role;
        if term > node.term {
            node.term = term;
            node.voted_for = None;
        }
        node.role = Role::Follower;
        if was == Role::Leader {
            if let Some(t) = node.tenure.take() {
                self.tenures[t].end = Some(self.now);
            }
            let term = self.nodes[i].term;
            self.say(format!("{} sees term {term} and steps down", node_name(i)));
            self.reset_timer(i);
        }
    }

    fn crash(&mut self, i: usize) {
        if self.net.crashed(i) {
            return;
        }
        self.net.apply(&NetAction::Crash(i));
        let node = &mut self.nodes[i];
        if let Some(t) = node.tenure.take() {
            self.tenures[t].end = Some(self.now);
        }
        node.role = Role::Follower;
        node.epoch += 1;
        node.timer_pending = false;
        node.votes = 0;
        node.leader = None;
        // Term, vote and log are on disk; the commit index is relearned from the next leader.
        node.commit = 0;
        self.say(format!("{} crashes", node_name(i)));
    }

    fn broadcast_append(&mut self, i: usize) {
        for j in 0..self.n() {
            if j != i {
                self.send_append(i, j);
            }
        }
    }

    fn send_append(&mut self, i: usize, j: usize) {
        let node = &self.nodes[i];
        let next = node.next[j].clamp(1, node.log.len() + 1);
        let prev_idx = next - 1;
        let prev_term = if prev_idx == 0 { 0 } else { node.log[prev_idx - 1].term };
        let entries: Vec<Entry> = node.log[prev_idx..].iter().take(64).cloned().collect();
        let msg = Msg::Append {
            term: node.term,
            prev_idx,
            prev_term,
            entries,
            commit: node.commit,
        };
        self.send(i, j, msg);
    }

    fn receive(&mut self, i: usize, from: usize, msg: Msg) {
        let msg_term = match &msg {
            Msg::Vote { term, .. }
            | Msg::VoteReply { term, .. }
            | Msg::Append { term, .. }
            | Msg::AppendReply { term, .. } => *term,
        };
        if msg_term > self.nodes[i].term {
            self.step_down(i, msg_term);
        }
        match msg {
            Msg::Vote {
                term,
                last_idx,
                last_term,
            } => {
                let node = &self.nodes[i];
                let my_last_term = node.log.last().map_or(0, |e| e.term);
                let up_to_date = (last_term, last_idx) >= (my_last_term, node.log.len());
                let granted = term == node.term && node.voted_for.is_none_or(|v| v == from) && up_to_date;
                if granted {
                    self.nodes[i].voted_for = Some(from);
                    self.reset_timer(i);
                }
                let term = self.nodes[i].term;
                self.send(i, from, Msg::VoteReply { term, granted });
            }
            Msg::VoteReply { term, granted } => {
                let node = &mut self.nodes[i];
                if node.role == Role::Candidate && term == node.term && granted {
                    node.votes |= 1 << from;
                    if node.votes.count_ones() as usize >= majority_of(self.nodes.len()) {
                        self.become_leader(i);
                    }
                }
            }
            Msg::Append {
                term,
                prev_idx,
                prev_term,
                entries,
                commit,
            } => self.receive_append(i, from, term, prev_idx, prev_term, entries, commit),
            Msg::AppendReply { term, ok, matched } => {
                let node = &mut self.nodes[i];
                if node.role != Role::Leader || term != node.term {
                    return;
                }
                node.heard[from] = Some(self.now);
                if ok {
                    node.matched[from] = node.matched[from].max(matched);
                    node.next[from] = node.matched[from] + 1;
                    self.advance_commit(i);
                } else {
                    node.next[from] = (node.next[from].saturating_sub(1)).min(matched + 1).max(1);
                    self.send_append(i, from);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn receive_append(
        &mut self,
        i: usize,
        from: usize,
        term: u64,
        prev_idx: usize,
        prev_term: u64,
        entries: Vec<Entry>,
        commit: usize,
    ) {
        let my_term = self.nodes[i].term;
        let reject = |raft: &mut Raft, hint: usize| {
            let term = raft.nodes[i].term;
            raft.send(
                i,
                from,
                Msg::AppendReply {
                    term,
                    ok: false,
                    matched: hint,
                },
            );
        };
        if term < my_term {
            reject(self, self.nodes[i].log.len());
            return;
        }
        match self.nodes[i].role {
            // Only without the majority rule can two leaders share a term; the lower-numbered
            // one keeps it, so a healed cluster settles on one.
            Role::Leader if from > i => {
                reject(self, self.nodes[i].log.len());
                return;
            }
            Role::Leader | Role::Candidate => self.step_down(i, term),
            Role::Follower => {}
        }
        self.nodes[i].leader = Some(from);
        self.reset_timer(i);
        let node = &self.nodes[i];
        if prev_idx > node.log.len() || (prev_idx > 0 && node.log[prev_idx - 1].term != prev_term) {
            let hint = node.log.len().min(prev_idx.saturating_sub(1));
            reject(self, hint);
            return;
        }
        let last_new = prev_idx + entries.len();
        for (k, e) in entries.into_iter().enumerate() {
            let idx = prev_idx + 1 + k;
            let node = &self.nodes[i];
            match node.log.get(idx - 1) {
                Some(have) if have.term == e.term => continue,
                Some(_) => self.truncate(i, idx),
                None => {}
            }
            self.nodes[i].log.push(e);
        }
        let node = &self.nodes[i];
        let new_commit = commit.min(last_new);
        if new_commit > node.commit {
            self.set_commit(i, new_commit);
        }
        let term = self.nodes[i].term;
        self.send(
            i,
            from,
            Msg::AppendReply {
                term,
                ok: true,
                matched: last_new,
            },
        );
    }

    /// Drops entries idx.. from node i's log (a leader's log disagrees with them).
    fn truncate(&mut self, i: usize, idx: usize) {
        let node = &mut self.nodes[i];
        let dropped: Vec<Entry> = node.log.split_off(idx - 1);
        let commit = node.commit;
        self.dropped_entries += dropped.len() as u64;
        self.say(format!(
            "{} drops {} uncommitted entr{} from index {idx}",
            node_name(i),
            dropped.len(),
            if dropped.len() == 1 { "y" } else { "ies" }
        ));
        if idx <= commit {
            let detail = format!("{} dropped entry {idx}, which it had seen committed", node_name(i));
            self.anomaly("committed_entry_lost", detail);
            self.nodes[i].commit = idx - 1;
        }
        for e in dropped {
            let w = &mut self.writes[e.id as usize];
            if w.acked_by.as_deref() == Some(node_name(i).as_str()) && !w.lost {
                w.lost = true;
                let detail = format!(
                    "{} acknowledged {}={} at {:.0} ms, then dropped it for another leader's log",
                    node_name(i),
                    w.key,
                    w.value,
                    w.acked_ms.unwrap_or(0.0)
                );
                self.anomaly("lost_write", detail);
            }
        }
    }

    fn advance_commit(&mut self, i: usize) {
        let node = &self.nodes[i];
        let len = node.log.len();
        let holds = |j: usize| if j == i { len } else { node.matched[j] };
        let new_commit = if self.config.majority {
            let need = majority_of(self.nodes.len());
            (node.commit + 1..=len)
                .rev()
                .find(|&idx| {
                    node.log[idx - 1].term == node.term
                        && (0..self.nodes.len()).filter(|&j| holds(j) >= idx).count() >= need
                })
                .unwrap_or(node.commit)
        } else {
            // Without the rule the leader counts only the nodes that answered it lately: every
            // one of them must hold the entry.
            let recent = self.now.saturating_sub(2 * self.config.heartbeat_ms * 1000);
            (0..self.nodes.len())
                .filter(|&j| j == i || node.heard[j].is_some_and(|t| t >= recent))
                .map(holds)
                .min()
                .unwrap_or(len)
                .max(node.commit)
        };
        if new_commit > node.commit {
            self.set_commit(i, new_commit);
        }
    }

    fn set_commit(&mut self, i: usize, new_commit: usize) {
        let old = self.nodes[i].commit;
        for idx in old + 1..=new_commit {
            let e = &self.nodes[i].log[idx - 1];
            let (term, id, by) = (e.term, e.id, e.by);
            match self.chosen.get(idx - 1) {
                None => self.chosen.push((term, id)),
                Some(&(t, c)) if (t, c) != (term, id) => {
                    let detail = format!(
                        "{} committed write #{id} (term {term}) at index {idx}, where write #{c} (term {t}) was committed",
                        node_name(i)
                    );
                    self.anomaly("committed_entry_changed", detail);
                }
                Some(_) => {}
            }
            if by == i && self.nodes[i].role == Role::Leader {
                self.acknowledge(i, id);
            }
        }
        self.nodes[i].commit = new_commit;
    }

    /// Node i, leading, tells the client its write is committed.
    fn acknowledge(&mut self, i: usize, id: u64) {
        let now = self.now;
        let w = &mut self.writes[id as usize];
        if w.acked_by.is_some() {
            return;
        }
        w.acked_by = Some(node_name(i));
        w.acked_ms = Some(us_to_ms(now));
        let text = format!("{} acknowledges {}={} as committed", node_name(i), w.key, w.value);
        self.say(text);
        let Some(mine) = self.nodes[i].tenure else { return };
        self.tenures[mine].acks.push((now, id));
        let start = self.tenures[mine].start;
        let mut conflicting = Vec::new();
        for (t, other) in self.tenures.iter().enumerate() {
            if t == mine || other.node == i || other.end.is_some() {
                continue;
            }
            let since = start.max(other.start);
            let theirs: Vec<u64> = other
                .acks
                .iter()
                .filter(|(a, _)| *a >= since)
                .map(|&(_, w)| w)
                .collect();
            if !theirs.is_empty() {
                conflicting.extend(theirs);
                conflicting.push(id);
                if !self.split_brain {
                    self.split_brain = true;
                    let detail = format!(
                        "{} and {} both believe they lead and both acknowledged writes",
                        node_name(other.node),
                        node_name(i)
                    );
                    self.anomalies.record(&mut self.log, now, "split_brain", detail);
                }
            }
        }
        for w in conflicting {
            self.writes[w as usize].conflicting = true;
        }
    }

    fn client_write(&mut self, i: usize, key: &str, value: &str) {
        let id = self.writes.len() as u64;
        let mut write = Write {
            id,
            key: key.to_string(),
            value: value.to_string(),
            node: node_name(i),
            at_ms: self.now_ms(),
            acked_by: None,
            acked_ms: None,
            rejected: None,
            conflicting: false,
            lost: false,
        };
        let node = &self.nodes[i];
        if self.net.crashed(i) {
            write.rejected = Some(format!("{} is down", node_name(i)));
        } else if node.role != Role::Leader {
            let hint = node.leader.map_or("it knows no leader".to_string(), |l| {
                format!("it follows {}", node_name(l))
            });
            write.rejected = Some(format!("{} is not the leader ({hint})", node_name(i)));
        }
        let rejected = write.rejected.clone();
        self.writes.push(write);
        if let Some(why) = rejected {
            self.say(format!("write {key}={value} refused: {why}"));
            return;
        }
        let term = self.nodes[i].term;
        self.nodes[i].log.push(Entry {
            term,
            id,
            key: key.to_string(),
            value: value.to_string(),
            by: i,
        });
        let len = self.nodes[i].log.len();
        self.say(format!("{} appends {key}={value} at index {len}", node_name(i)));
        self.broadcast_append(i);
        self.advance_commit(i);
    }

    /// The committed prefix of node i's log, as (term, write id).
    pub fn committed_entries(&self, i: usize) -> Vec<(u64, u64)> {
        let n = &self.nodes[i];
        n.log[..n.commit].iter().map(|e| (e.term, e.id)).collect()
    }

    pub fn log_of(&self, i: usize) -> &[Entry] {
        &self.nodes[i].log
    }

    /// Messages on the wire, for drawing them as moving dots.
    pub fn messages(&self) -> Vec<MessageView> {
        self.queue
            .iter()
            .filter_map(|(at, ev)| match ev {
                Ev::Deliver { from, to, sent, msg } => Some(MessageView {
                    from: node_name(*from),
                    to: node_name(*to),
                    kind: msg.kind(),
                    sent_ms: us_to_ms(*sent),
                    arrives_ms: us_to_ms(at),
                }),
                _ => None,
            })
            .collect()
    }

    pub fn leaders(&self) -> Vec<LeaderView> {
        (0..self.n())
            .filter(|&i| !self.net.crashed(i) && self.nodes[i].role == Role::Leader)
            .map(|i| LeaderView {
                node: node_name(i),
                term: self.nodes[i].term,
            })
            .collect()
    }

    /// Every term some node led, with the nodes that led it (two only without the majority
    /// rule) and how many writes each acknowledged in it, oldest term first.
    pub fn leaders_by_term(&self) -> Vec<TermLeaders> {
        let mut out: Vec<TermLeaders> = Vec::new();
        for t in &self.tenures {
            let led = (node_name(t.node), t.acks.len());
            match out.iter_mut().find(|x| x.term == t.term) {
                Some(x) => x.leaders.push(led),
                None => out.push(TermLeaders {
                    term: t.term,
                    leaders: vec![led],
                }),
            }
        }
        out.sort_by_key(|x| x.term);
        out
    }

    /// The election timer's full range, for drawing how much of it is left.
    pub fn election_max_ms(&self) -> u64 {
        self.config.election_max_ms
    }

    pub fn split_brain(&self) -> bool {
        self.split_brain
    }

    pub fn metrics(&self) -> RaftMetrics {
        let nodes: Vec<NodeView> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let crashed = self.net.crashed(i);
                NodeView {
                    name: node_name(i),
                    role: n.role,
                    term: n.term,
                    voted_for: n.voted_for.map(node_name),
                    log_len: n.log.len(),
                    commit: n.commit,
                    crashed,
                    votes: if n.role == Role::Candidate {
                        n.votes.count_ones()
                    } else {
                        0
                    },
                    timer_left_ms: if crashed || n.role == Role::Leader {
                        0.0
                    } else {
                        us_to_ms(n.deadline.saturating_sub(self.now))
                    },
                }
            })
            .collect();
        RaftMetrics {
            time_ms: self.now_ms(),
            majority: self.config.majority,
            term: self.nodes.iter().map(|n| n.term).max().unwrap_or(0),
            leaders: self.leaders(),
            split_brain: self.split_brain,
            elections: self.elections,
            candidacies: self.candidacies,
            committed: self.writes.iter().filter(|w| w.acked_by.is_some()).count() as u64,
            uncommitted: nodes
                .iter()
                .filter(|n| !n.crashed)
                .map(|n| (n.log_len - n.commit) as u64)
                .max()
                .unwrap_or(0),
            conflicting_writes: self.writes.iter().filter(|w| w.conflicting).count() as u64,
            lost_writes: self.writes.iter().filter(|w| w.lost).count() as u64,
            rejected_writes: self.writes.iter().filter(|w| w.rejected.is_some()).count() as u64,
            dropped_entries: self.dropped_entries,
            messages_lost: self.messages_lost,
            nodes,
            network: self.net.view(),
            writes: self.writes.clone(),
            anomalies: self.anomalies.list().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leader(r: &Raft) -> Option<usize> {
        r.leaders().first().map(|l| node_index(&l.node, r.n()).unwrap())
    }

    #[test]
    fn a_healthy_cluster_elects_one_leader_and_commits_on_a_majority() {
        let mut r = Raft::new(RaftConfig::default()).unwrap();
        r.tick(1000);
        let m = r.metrics();
        assert_eq!(m.leaders.len(), 1, "{:?}", m.leaders);
        let l = leader(&r).unwrap();
        r.apply_text(&format!("write x=1 @{}", node_name(l))).unwrap();
        r.tick(100);
        let m = r.metrics();
        assert_eq!(m.committed, 1);
        assert!(m.nodes.iter().all(|n| n.commit == 1), "{:?}", m.nodes);
        assert!(r.anomalies.is_empty());
    }

    #[test]
    fn a_single_node_leads_itself() {
        let mut r = Raft::new(RaftConfig {
            nodes: 1,
            ..RaftConfig::default()
        })
        .unwrap();
        r.tick(400);
        r.apply_text("write a=1 @n1").unwrap();
        assert_eq!(r.metrics().committed, 1);
    }

    #[test]
    fn writes_to_followers_are_refused_with_the_leader_named() {
        let mut r = Raft::new(RaftConfig::default()).unwrap();
        r.tick(1000);
        let l = leader(&r).unwrap();
        let f = (l + 1) % 5;
        r.apply_text(&format!("write x=1 @{}", node_name(f))).unwrap();
        let w = &r.metrics().writes[0];
        assert!(w
            .rejected
            .as_ref()
            .unwrap()
            .contains(&format!("follows {}", node_name(l))));
    }

    #[test]
    fn actions_parse_or_say_what_is_valid() {
        assert!(RaftAction::parse("write x=1 @n9", 5).unwrap_err().contains("n1 to n5"));
        assert!(RaftAction::parse("write x @n1", 5).is_err());
        assert!(RaftAction::parse("run soon", 5).is_err());
        assert!(RaftAction::parse("fly", 5).unwrap_err().contains("partition"));
        assert_eq!(RaftAction::parse("run 300", 5), Ok(RaftAction::Run(300)));
        assert!(Raft::new(RaftConfig {
            nodes: 10,
            ..RaftConfig::default()
        })
        .is_err());
    }
}
