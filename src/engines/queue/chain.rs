//! A checkout handled two ways, on the lab's clock: a synchronous chain (the web server calls
//! every step in turn before it answers) against the same work put on a queue (the request path
//! saves the order and publishes an event; background workers do the rest).
//!
//! Requests arrive at a fixed rate. A step can be taken down and brought back; the outages are
//! kept with their times, so the whole comparison is recomputed from them at any moment (ticks
//! add up, undo and scrubbing replay exactly).
//!
//! The arithmetic the lab teaches: a synchronous chain's user-facing latency is the sum of its
//! steps, and it fails whenever any step is down; the queue's user-facing latency is only the
//! request path plus the publish, and a down background step delays its work instead of failing
//! the request (its messages wait and are retried until it is back).

use serde::Serialize;

/// One call of the checkout, with its latency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Step {
    pub name: &'static str,
    pub ms: f64,
    /// Stays on the request path when the work goes through a queue (the order must be saved
    /// before the user is told it was received).
    pub request_path: bool,
}

/// The checkout of the queues module: web 20 ms, save the order 50 ms, payment 2 s, inventory
/// 300 ms, email 3 s (illustrative numbers; the shape is what real checkouts show).
pub const STEPS: [Step; 5] = [
    Step {
        name: "web",
        ms: 20.0,
        request_path: true,
    },
    Step {
        name: "db",
        ms: 50.0,
        request_path: true,
    },
    Step {
        name: "payment",
        ms: 2000.0,
        request_path: false,
    },
    Step {
        name: "inventory",
        ms: 300.0,
        request_path: false,
    },
    Step {
        name: "email",
        ms: 3000.0,
        request_path: false,
    },
];

/// Publishing the event and waiting for the broker's confirmation.
pub const PUBLISH_MS: f64 = 10.0;
/// How long a synchronous caller waits for a step that does not answer (a client timeout).
pub const TIMEOUT_MS: f64 = 5000.0;
/// Checkouts per second.
pub const RATE: f64 = 10.0;
/// A queued message for a down step is retried this often.
pub const RETRY_MS: f64 = 1000.0;
/// Only the newest requests are recomputed, so a long run costs the same as a short one.
const WINDOW_MS: f64 = 600_000.0;

/// The user-facing latency of the synchronous chain when every step is up: the sum of its steps.
pub fn sync_latency_ms() -> f64 {
    STEPS.iter().map(|s| s.ms).sum()
}

/// The user-facing latency through the queue: the request path plus the publish.
pub fn queue_latency_ms() -> f64 {
    STEPS.iter().filter(|s| s.request_path).map(|s| s.ms).sum::<f64>() + PUBLISH_MS
}

#[derive(Debug, Clone, PartialEq)]
struct Outage {
    step: usize,
    from: f64,
    to: Option<f64>,
}

/// The comparison: when it started, and every outage so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    pub started_ms: f64,
    outages: Vec<Outage>,
}

/// What the two designs did with the requests so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainReport {
    /// The step that is down now, if any.
    pub down: Option<&'static str>,
    pub requests: u64,
    /// Mean user-facing latency of the answered requests (errors included, each after its
    /// timeout).
    pub sync_mean_ms: f64,
    pub sync_errors: u64,
    pub queue_mean_ms: f64,
    pub queue_errors: u64,
    /// Messages waiting for a down background step now.
    pub queue_backlog: u64,
    /// Background work finished, and its mean time from the request to the last step done.
    pub queue_done: u64,
    pub queue_end_to_end_ms: f64,
}

impl Chain {
    pub fn new(now_ms: f64) -> Chain {
        Chain {
            started_ms: now_ms,
            outages: Vec::new(),
        }
    }

    pub fn step_index(name: &str) -> Result<usize, String> {
        STEPS.iter().position(|s| s.name == name).ok_or_else(|| {
            let names: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
            format!("no step {name:?}: the steps are {}", names.join(", "))
        })
    }

    /// The step down now.
    pub fn down_now(&self) -> Option<usize> {
        self.outages.iter().find(|o| o.to.is_none()).map(|o| o.step)
    }

    /// Takes `step` down at `now` (one step at a time: the one down before comes back).
    pub fn take_down(&mut self, step: usize, now: f64) {
        self.bring_up(now);
        self.outages.push(Outage {
            step,
            from: now,
            to: None,
        });
    }

    pub fn bring_up(&mut self, now: f64) {
        for o in self.outages.iter_mut().filter(|o| o.to.is_none()) {
            o.to = Some(now);
        }
    }

    fn is_down(&self, step: usize, t: f64) -> bool {
        self.outages
            .iter()
            .any(|o| o.step == step && o.from <= t && o.to.is_none_or(|to| t < to))
    }

    /// When a down step comes back after `t`, if it has by `now`.
    fn up_again(&self, step: usize, t: f64) -> Option<f64> {
        self.outages
            .iter()
            .filter(|o| o.step == step && o.from <= t && o.to.is_none_or(|to| t < to))
            .map(|o| o.to)
            .next()
            .flatten()
    }

    /// The requests that arrived by `now`, replayed through both designs.
    pub fn report(&self, now: f64) -> ChainReport {
        let gap = 1000.0 / RATE;
        let elapsed = (now - self.started_ms).max(0.0);
        let last = (elapsed / gap).floor() as u64;
        let first = ((elapsed - WINDOW_MS).max(0.0) / gap).ceil() as u64;
        let mut r = ChainReport {
            down: self.down_now().map(|s| STEPS[s].name),
            requests: 0,
            sync_mean_ms: 0.0,
            sync_errors: 0,
            queue_mean_ms: 0.0,
            queue_errors: 0,
            queue_backlog: 0,
            queue_done: 0,
            queue_end_to_end_ms: 0.0,
        };
        let (mut sync_sum, mut queue_sum, mut e2e_sum) = (0.0, 0.0, 0.0);
        let (mut sync_answered, mut queue_answered) = (0u64, 0u64);
        for k in first..=last {
            let arrive = self.started_ms + k as f64 * gap;
            r.requests += 1;
            if let Some((ms, ok)) = self.sync_call(arrive, now) {
                sync_answered += 1;
                sync_sum += ms;
                r.sync_errors += u64::from(!ok);
            }
            match self.queued(arrive, now) {
                Queued::InFlight => {}
                Queued::Failed(ms) => {
                    queue_answered += 1;
                    queue_sum += ms;
                    r.queue_errors += 1;
                }
                Queued::Answered { user_ms, work } => {
                    queue_answered += 1;
                    queue_sum += user_ms;
                    match work {
                        Work::Done(ms) => {
                            r.queue_done += 1;
                            e2e_sum += ms;
                        }
                        Work::Waiting => r.queue_backlog += 1,
                        Work::Running => {}
                    }
                }
            }
        }
        let mean = |sum: f64, n: u64| if n == 0 { 0.0 } else { sum / n as f64 };
        r.sync_mean_ms = mean(sync_sum, sync_answered);
        r.queue_mean_ms = mean(queue_sum, queue_answered);
        r.queue_end_to_end_ms = mean(e2e_sum, r.queue_done);
        r
    }

    /// The synchronous chain for a request arriving at `arrive`: (user-facing ms, succeeded),
    /// or None while it is still running at `now`. A down step fails the request after the
    /// caller's timeout.
    fn sync_call(&self, arrive: f64, now: f64) -> Option<(f64, bool)> {
        let mut t = arrive;
        for (i, s) in STEPS.iter().enumerate() {
            if self.is_down(i, t) {
                t += TIMEOUT_MS;
                return (t <= now).then_some((t - arrive, false));
            }
            t += s.ms;
        }
        (t <= now).then_some((t - arrive, true))
    }

    /// The same request through the queue.
    fn queued(&self, arrive: f64, now: f64) -> Queued {
        let mut t = arrive;
        for (i, s) in STEPS.iter().enumerate().filter(|(_, s)| s.request_path) {
            if self.is_down(i, t) {
                // The order cannot be saved: a queue behind the request path does not help.
                t += TIMEOUT_MS;
                return if t <= now {
                    Queued::Failed(t - arrive)
                } else {
                    Queued::InFlight
                };
            }
            t += s.ms;
        }
        t += PUBLISH_MS;
        if t > now {
            return Queued::InFlight;
        }
        let user_ms = t - arrive;
        // Fan-out: each background step has its own queue and workers, so they run side by
        // side; the work is done when the slowest is.
        let mut done = t;
        for (i, s) in STEPS.iter().enumerate().filter(|(_, s)| !s.request_path) {
            let mut start = t;
            while self.is_down(i, start) {
                match self.up_again(i, start) {
                    // Retried every RETRY_MS until an attempt finds the step up.
                    Some(up) => start += ((up - start) / RETRY_MS).ceil().max(1.0) * RETRY_MS,
                    None => {
                        return Queued::Answered {
                            user_ms,
                            work: Work::Waiting,
                        }
                    }
                }
            }
            done = done.max(start + s.ms);
        }
        Queued::Answered {
            user_ms,
            work: if done <= now {
                Work::Done(done - arrive)
            } else {
                Work::Running
            },
        }
    }
}

enum Queued {
    InFlight,
    Failed(f64),
    Answered { user_ms: f64, work: Work },
}

/// The background work of an answered request.
enum Work {
    /// Blocked on a step that is still down.
    Waiting,
    Running,
    /// Done, this long after the request arrived.
    Done(f64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_every_step_up_the_chain_costs_the_sum_and_the_queue_the_request_path() {
        let c = Chain::new(0.0);
        let r = c.report(60_000.0);
        // 20 + 50 + 2,000 + 300 + 3,000 = 5,370 ms; 20 + 50 + 10 = 80 ms.
        assert_eq!(sync_latency_ms(), 5370.0);
        assert_eq!(queue_latency_ms(), 80.0);
        assert!((r.sync_mean_ms - 5370.0).abs() < 1e-9, "{r:?}");
        assert!((r.queue_mean_ms - 80.0).abs() < 1e-9, "{r:?}");
        // Fan-out: the background work ends with its slowest step, email.
        assert!((r.queue_end_to_end_ms - 3080.0).abs() < 1e-9, "{r:?}");
        assert_eq!((r.sync_errors, r.queue_errors, r.queue_backlog), (0, 0, 0));
        assert_eq!(r.requests, 601);
    }
}
