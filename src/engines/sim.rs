//! What every engine that runs in time shares: a discrete-event queue on the logical clock,
//! the engine's own seeded RNG, the event log the lab shows, and the anomalies an engine records
//! when a guarantee it is meant to show breaks.
//!
//! Time is integer microseconds so that ordering never depends on floating-point rounding, and
//! events at the same instant run in the order they were scheduled (a sequence number breaks the
//! tie): the same seed and the same actions always give the same run.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Logical time in microseconds.
pub type Micros = u64;

pub const US_PER_MS: Micros = 1_000;

pub fn ms_to_us(ms: f64) -> Micros {
    (ms * US_PER_MS as f64).round().max(0.0) as Micros
}

pub fn us_to_ms(us: Micros) -> f64 {
    us as f64 / US_PER_MS as f64
}

/// The engine's RNG: a fixed algorithm, so a seed means the same run on every platform.
pub type SimRng = ChaCha8Rng;

pub fn rng(seed: u64) -> SimRng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// An exponential sample with the given mean (inverse transform of a uniform in (0, 1]).
pub fn exponential(rng: &mut SimRng, mean: f64) -> f64 {
    let u: f64 = 1.0 - rng.random::<f64>();
    -mean * u.ln()
}

struct Scheduled<E> {
    at: Micros,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<E> Eq for Scheduled<E> {}
impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Scheduled<E> {
    // Reversed: BinaryHeap is a max-heap and the earliest event must come out first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Events ordered by (time, order of scheduling).
pub struct EventQueue<E> {
    heap: BinaryHeap<Scheduled<E>>,
    next_seq: u64,
}

impl<E: Clone> Clone for EventQueue<E> {
    fn clone(&self) -> Self {
        EventQueue {
            heap: self
                .heap
                .iter()
                .map(|s| Scheduled {
                    at: s.at,
                    seq: s.seq,
                    event: s.event.clone(),
                })
                .collect(),
            next_seq: self.next_seq,
        }
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn schedule(&mut self, at: Micros, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Scheduled { at, seq, event });
    }

    /// The next event due at or before `until`, removed from the queue.
    pub fn pop_due(&mut self, until: Micros) -> Option<(Micros, E)> {
        if self.heap.peek()?.at > until {
            return None;
        }
        self.heap.pop().map(|s| (s.at, s.event))
    }

    pub fn next_time(&self) -> Option<Micros> {
        self.heap.peek().map(|s| s.at)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Drops every pending event that fails `keep` (a crashed node's timers, say).
    pub fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        self.heap.retain(|s| keep(&s.event));
    }

    /// Pending events in no particular order (for drawing messages in flight).
    pub fn iter(&self) -> impl Iterator<Item = (Micros, &E)> {
        self.heap.iter().map(|s| (s.at, &s.event))
    }
}

/// A broken guarantee and the short chain of events behind it, e.g. kind `stale_read`, detail
/// `c1 wrote email=b (pos 41) at 1.20 s; read r2 at 1.25 s, r2 had applied pos 38`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anomaly {
    pub kind: &'static str,
    pub at_ms: f64,
    pub detail: String,
}

/// One line of a lab's event log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    pub at_ms: f64,
    pub text: String,
    /// Set when the line records an anomaly, so the log pane can make it stand out.
    pub anomaly: bool,
}

/// The most recent events of a run, bounded so a long run keeps constant memory.
#[derive(Debug, Clone)]
pub struct EventLog {
    entries: VecDeque<LogEntry>,
    capacity: usize,
    /// Events ever recorded, including those dropped off the front.
    total: u64,
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog::with_capacity(200)
    }
}

impl EventLog {
    pub fn with_capacity(capacity: usize) -> EventLog {
        EventLog {
            entries: VecDeque::with_capacity(capacity.min(64)),
            capacity: capacity.max(1),
            total: 0,
        }
    }

    pub fn push(&mut self, at: Micros, text: impl Into<String>, anomaly: bool) {
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(LogEntry {
            at_ms: us_to_ms(at),
            text: text.into(),
            anomaly,
        });
        self.total += 1;
    }

    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &LogEntry> + ExactSizeIterator {
        self.entries.iter()
    }

    pub fn total(&self) -> u64 {
        self.total
    }
}

/// Anomalies of a run with the event log they also appear in. Counts cover the whole run; the
/// list keeps only the newest records, so a long busy run (thousands of stale reads) stays cheap
/// to clone for checkpoints.
#[derive(Debug, Clone)]
pub struct Anomalies {
    list: VecDeque<Anomaly>,
    capacity: usize,
    counts: Vec<(&'static str, u64)>,
}

impl Default for Anomalies {
    fn default() -> Self {
        Anomalies::with_capacity(200)
    }
}

impl Anomalies {
    pub fn with_capacity(capacity: usize) -> Anomalies {
        Anomalies {
            list: VecDeque::new(),
            capacity: capacity.max(1),
            counts: Vec::new(),
        }
    }

    /// Records an anomaly and writes it to the log as well.
    pub fn record(&mut self, log: &mut EventLog, at: Micros, kind: &'static str, detail: String) {
        log.push(at, format!("{}: {detail}", kind.replace('_', " ")), true);
        self.tally(kind);
        if self.list.len() == self.capacity {
            self.list.pop_front();
        }
        self.list.push_back(Anomaly {
            kind,
            at_ms: us_to_ms(at),
            detail,
        });
    }

    /// Counts an anomaly without writing it out (a busy run's surplus: see the engine's rate).
    pub fn tally(&mut self, kind: &'static str) {
        match self.counts.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => self.counts.push((kind, 1)),
        }
    }

    /// The newest anomalies, oldest first (at most the capacity).
    pub fn list(&self) -> impl DoubleEndedIterator<Item = &Anomaly> + ExactSizeIterator {
        self.list.iter()
    }

    /// How many anomalies of `kind` the whole run recorded.
    pub fn count(&self, kind: &str) -> u64 {
        self.counts.iter().find(|(k, _)| *k == kind).map_or(0, |(_, n)| *n)
    }

    /// How many anomalies the whole run recorded.
    pub fn len(&self) -> u64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// Percentiles of a sample by the nearest-rank method (p in 0..=100); None when empty.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Rounds a float for people and for JSON (`1.14755`, not `1.1475499999999998`).
pub fn round6(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1e6).round() / 1e6
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_out_by_time_then_by_scheduling_order() {
        let mut q = EventQueue::new();
        q.schedule(30, "c");
        q.schedule(10, "a");
        q.schedule(30, "d");
        q.schedule(10, "b");
        q.schedule(50, "late");
        let mut out = Vec::new();
        while let Some((t, e)) = q.pop_due(40) {
            out.push((t, e));
        }
        assert_eq!(out, vec![(10, "a"), (10, "b"), (30, "c"), (30, "d")]);
        assert_eq!(q.next_time(), Some(50));
    }

    #[test]
    fn exponential_samples_have_the_requested_mean() {
        // Mean of 200,000 Exp(mean 300) samples: the standard error is 300/sqrt(200000) ≈ 0.67,
        // so 4 standard errors is about 2.7.
        let mut r = rng(7);
        let n = 200_000;
        let mean = (0..n).map(|_| exponential(&mut r, 300.0)).sum::<f64>() / n as f64;
        assert!((mean - 300.0).abs() < 2.7, "mean {mean}");
    }

    #[test]
    fn the_log_keeps_the_newest_entries() {
        let mut log = EventLog::with_capacity(3);
        for i in 0..5 {
            log.push(i * 1000, format!("e{i}"), false);
        }
        let texts: Vec<_> = log.entries().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["e2", "e3", "e4"]);
        assert_eq!(log.total(), 5);
    }

    #[test]
    fn anomalies_count_the_whole_run_and_keep_the_newest() {
        let mut log = EventLog::with_capacity(10);
        let mut a = Anomalies::with_capacity(2);
        for i in 0..5 {
            let kind = if i % 2 == 0 { "stale_read" } else { "lost_write" };
            a.record(&mut log, i * 1000, kind, format!("#{i}"));
        }
        assert_eq!((a.len(), a.count("stale_read"), a.count("lost_write")), (5, 3, 2));
        a.tally("lost_write");
        assert_eq!((a.len(), a.count("lost_write"), a.list().len()), (6, 3, 2));
        let kept: Vec<_> = a.list().map(|x| x.detail.as_str()).collect();
        assert_eq!(kept, ["#3", "#4"]);
        assert_eq!(log.total(), 5);
        assert!(log.entries().all(|e| e.anomaly));
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
