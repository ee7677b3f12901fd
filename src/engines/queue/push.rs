//! Push against pull with a slow consumer, on the lab's clock: a producer sends `RATE` messages
//! per second to one consumer that handles `CONSUME_RATE`.
//!
//! - Push: the broker sends each message as it arrives. Without flow control the consumer's
//!   buffer takes the excess until it is full; past that, messages overflow (dropped by the
//!   consumer, or in a real one an out-of-memory crash).
//! - Pull: the consumer fetches when it has room, at most `PREFETCH` at a time; the excess waits
//!   in the broker, which is built to store it, and nothing is lost.
//!
//! The arithmetic: the backlog grows at RATE − CONSUME_RATE per second either way; push
//! overflows once it passes the buffer, after BUFFER / (RATE − CONSUME_RATE) seconds.

use std::collections::VecDeque;

use serde::Serialize;

pub const RATE: f64 = 20.0;
pub const CONSUME_RATE: f64 = 5.0;
/// Messages a pushed-to consumer can hold before it overflows.
pub const BUFFER: usize = 100;
/// Messages a pulling consumer fetches at most (RabbitMQ's prefetch, Kafka's max.poll.records).
pub const PREFETCH: usize = 10;
/// The comparison covers its first ten minutes.
pub const SPAN_MS: f64 = 600_000.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PushReport {
    pub sent: u64,
    pub push_processed: u64,
    /// Messages in the pushed-to consumer's buffer now.
    pub push_buffered: u64,
    pub push_overflowed: u64,
    pub pull_processed: u64,
    /// Messages the pulling consumer holds now (at most its prefetch).
    pub pull_held: u64,
    /// Messages waiting in the broker for the pulling consumer.
    pub pull_backlog: u64,
}

/// Both designs after `elapsed_ms` of the same arrivals.
pub fn report(elapsed_ms: f64) -> PushReport {
    let elapsed = elapsed_ms.clamp(0.0, SPAN_MS);
    let gap = 1000.0 / RATE;
    let service = 1000.0 / CONSUME_RATE;
    let sent = (elapsed / gap).floor() as u64;
    // Push: the consumer works its buffer in order; `finish` holds the buffered messages'
    // finish times (the first is the one in service).
    let mut finish: VecDeque<f64> = VecDeque::with_capacity(BUFFER);
    let (mut push_done, mut overflowed) = (0u64, 0u64);
    // Pull: the same server fed from the broker; it never takes more than it can hold, so
    // every message is processed in arrival order without loss.
    let mut pull_last = 0.0f64;
    let mut pull_done = 0u64;
    let mut pull_pending: VecDeque<f64> = VecDeque::new();
    for k in 1..=sent {
        let t = k as f64 * gap;
        while finish.front().is_some_and(|&f| f <= t) {
            finish.pop_front();
            push_done += 1;
        }
        if finish.len() < BUFFER {
            let start = finish.back().copied().unwrap_or(t).max(t);
            finish.push_back(start + service);
        } else {
            overflowed += 1;
        }
        pull_last = pull_last.max(t) + service;
        pull_pending.push_back(pull_last);
        while pull_pending.front().is_some_and(|&f| f <= t) {
            pull_pending.pop_front();
            pull_done += 1;
        }
    }
    push_done += finish.iter().filter(|&&f| f <= elapsed).count() as u64;
    let push_buffered = finish.iter().filter(|&&f| f > elapsed).count() as u64;
    pull_done += pull_pending.iter().filter(|&&f| f <= elapsed).count() as u64;
    let in_system = sent - pull_done;
    let held = in_system.min(PREFETCH as u64);
    PushReport {
        sent,
        push_processed: push_done,
        push_buffered,
        push_overflowed: overflowed,
        pull_processed: pull_done,
        pull_held: held,
        pull_backlog: in_system - held,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_overflows_after_buffer_over_excess_and_pull_loses_nothing() {
        // Excess 20 − 5 = 15 messages/s; a 100-message buffer fills after 100 / 15 ≈ 6.7 s.
        let early = report(6000.0);
        assert_eq!(early.push_overflowed, 0, "{early:?}");
        let r = report(60_000.0);
        assert_eq!(r.sent, 1200);
        // One minute: 1,200 sent, about 300 processed by either consumer.
        assert!(r.push_processed.abs_diff(300) <= 1, "{r:?}");
        assert_eq!(r.pull_processed, r.push_processed);
        assert_eq!(r.push_buffered, BUFFER as u64);
        assert_eq!(r.push_overflowed, r.sent - r.push_processed - r.push_buffered);
        assert_eq!(r.pull_held, PREFETCH as u64);
        assert_eq!(r.pull_backlog + r.pull_held + r.pull_processed, r.sent);
    }
}
