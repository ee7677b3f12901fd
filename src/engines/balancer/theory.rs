//! The queueing formulas the balancer is checked against, and shown beside its measurements.
//! Rates are per second, times in seconds.

/// Erlang C: the probability that an arrival to an M/M/c queue with offered load `a = λ/μ` has
/// to wait (Kleinrock, Queueing Systems vol. 1, §3.5). Computed through the Erlang B recursion
/// `B(k) = a·B(k−1) / (k + a·B(k−1))`, which stays finite for hundreds of servers where the
/// factorial form overflows. 1 when the queue is unstable (a ≥ c).
pub fn erlang_c(c: usize, a: f64) -> f64 {
    if c == 0 || a >= c as f64 {
        return 1.0;
    }
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let rho = a / c as f64;
    b / (1.0 - rho * (1.0 - b))
}

/// What a model predicts for a setting: share that waits, mean wait and mean response.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Prediction {
    /// Which model: `M/M/c`, `M/M/c per server` (C independent queues) or `supermarket`.
    pub model: &'static str,
    pub p_wait: Option<f64>,
    pub wait_s: f64,
    pub response_s: f64,
}

/// One shared queue in front of `c` servers of rate `mu` (M/M/c).
pub fn mmc(c: usize, lambda: f64, mu: f64) -> Option<Prediction> {
    if c == 0 || mu <= 0.0 || lambda >= c as f64 * mu {
        return None;
    }
    let p = erlang_c(c, lambda / mu);
    let wait = p / (c as f64 * mu - lambda);
    Some(Prediction {
        model: "M/M/c",
        p_wait: Some(p),
        wait_s: wait,
        response_s: wait + 1.0 / mu,
    })
}

/// Requests spread at random (or any way independent of the queues) over `servers` queues, each
/// with `slots` workers: every server is an M/M/slots queue at λ/servers (Poisson splitting).
pub fn split(servers: usize, slots: usize, lambda: f64, mu: f64) -> Option<Prediction> {
    if servers == 0 {
        return None;
    }
    mmc(slots, lambda / servers as f64, mu).map(|p| Prediction {
        model: "M/M/c per server",
        ..p
    })
}

/// The mean-field limit of join-the-shortest-of-d queues (the supermarket model; Mitzenmacher,
/// "The power of two choices in randomized load balancing", IEEE TPDS 2001; Vvedenskaya,
/// Dobrushin & Karpelevich 1996). With per-server load ρ = λ/(nμ) the fraction of queues holding
/// at least i requests is s_i = ρ^((dⁱ − 1)/(d − 1)), so a queue holds Σ_{i≥1} s_i on average and
/// by Little's law E[T] = Σ s_i / (ρ μ).
pub fn supermarket(d: u32, rho: f64, mu: f64) -> Option<Prediction> {
    if !(0.0..1.0).contains(&rho) || d < 2 || mu <= 0.0 {
        return None;
    }
    let mut jobs = 0.0;
    let mut di = 1.0f64;
    for _ in 1..64 {
        di *= f64::from(d);
        let s = rho.powf((di - 1.0) / (f64::from(d) - 1.0));
        jobs += s;
        if s < 1e-15 {
            break;
        }
    }
    let response = if rho == 0.0 { 1.0 / mu } else { jobs / (rho * mu) };
    Some(Prediction {
        model: "supermarket",
        p_wait: None,
        wait_s: response - 1.0 / mu,
        response_s: response,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_matches_textbook_values() {
        // One server: P(wait) = ρ. Two servers at a = 1: C = 1/3 (the closed form
        // 2ρ²/(1+ρ) with ρ = 1/2). Ten servers at a = 8: 0.409 (Erlang C tables).
        assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        assert!((erlang_c(10, 8.0) - 0.4092).abs() < 1e-4);
        assert_eq!(erlang_c(3, 3.0), 1.0);
    }

    #[test]
    fn supermarket_at_half_load_beats_one_queue_per_server() {
        // d = 2 at ρ = 0.5: s_i = 0.5, 0.125, 0.0078…, E[T] = Σ s_i / 0.5 ≈ 1.2657 (μ = 1),
        // well below M/M/1's 1/(1 − ρ) = 2.
        let p = supermarket(2, 0.5, 1.0).unwrap();
        let expect = (0.5 + 0.125 + 0.5f64.powi(7) + 0.5f64.powi(15)) / 0.5;
        assert!((p.response_s - expect).abs() < 1e-6, "{}", p.response_s);
        assert!(p.response_s < 2.0);
    }
}
