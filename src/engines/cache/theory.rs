//! Closed forms the engine is checked against, and that the lab draws as the "theory" line.
//!
//! All assume the independent reference model: each request picks item i with probability p_i,
//! independently of every other request.

/// Solves g(T) = C for T where g is concave, increasing, g(0) = 0 and g(T) ≤ T. Newton's
/// method from T = C stays left of the root (a concave function lies below its tangents) and
/// climbs to it monotonically, so no bracketing is needed.
fn solve(c: f64, g: impl Fn(f64) -> (f64, f64)) -> f64 {
    let mut t = c;
    for _ in 0..200 {
        let (value, slope) = g(t);
        if slope <= 0.0 {
            break;
        }
        let step = (c - value) / slope;
        t += step;
        if step.abs() <= 1e-12 * t {
            break;
        }
    }
    t
}

/// LRU's hit ratio by Che's approximation (Che, Tung & Wang, IEEE JSAC 2002): the
/// characteristic time T solves Σ_i (1 − e^(−p_i·T)) = C, and hit = Σ_i p_i (1 − e^(−p_i·T)).
pub fn che_lru(p: &[f64], capacity: usize) -> f64 {
    if capacity >= p.len() {
        return 1.0;
    }
    let t = solve(capacity as f64, |t| {
        p.iter().fold((0.0, 0.0), |(v, d), &pi| {
            let e = (-pi * t).exp();
            (v + 1.0 - e, d + pi * e)
        })
    });
    p.iter().map(|&pi| pi * (1.0 - (-pi * t).exp())).sum()
}

/// FIFO's and random replacement's hit ratio (the two are equal under independent requests,
/// Gelenbe 1973; the approximation is Dan & Towsley 1990, in Che's form): T solves
/// Σ_i p_i·T / (1 + p_i·T) = C, and hit = Σ_i p_i · p_i·T / (1 + p_i·T).
pub fn fifo_random(p: &[f64], capacity: usize) -> f64 {
    if capacity >= p.len() {
        return 1.0;
    }
    let t = solve(capacity as f64, |t| {
        p.iter().fold((0.0, 0.0), |(v, d), &pi| {
            let x = pi * t;
            (v + x / (1.0 + x), d + pi / ((1.0 + x) * (1.0 + x)))
        })
    });
    p.iter().map(|&pi| pi * pi * t / (1.0 + pi * t)).sum()
}

/// The best any cache of C items can do without knowing the future: keep the C most popular
/// items (what LFU with global counts converges to).
pub fn top_mass(p: &[f64], capacity: usize) -> f64 {
    let mut sorted = p.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    sorted.iter().take(capacity).sum()
}

/// Hit ratio of one item requested as a Poisson process of rate λ under an expire-after-write
/// TTL of T: a miss starts a TTL window holding λ·T hits on average, then the next request
/// misses again, so hit = λT / (1 + λT) (a renewal argument; Jung, Berger & Balakrishnan,
/// "Modeling TTL-based Internet caches", INFOCOM 2003).
pub fn ttl_write(rate: f64, ttl: f64) -> f64 {
    let x = rate * ttl;
    x / (1.0 + x)
}

/// The same under expire-after-access: a request hits exactly when the gap since the previous
/// one is shorter than T, so hit = P(Exp(λ) < T) = 1 − e^(−λT).
pub fn ttl_access(rate: f64, ttl: f64) -> f64 {
    1.0 - (-rate * ttl).exp()
}

/// Which model each policy is checked against, in words the lab can show.
pub fn model_name(policy: super::Policy) -> &'static str {
    match policy {
        super::Policy::Lru => "Che's approximation (Che, Tung & Wang 2002)",
        super::Policy::Fifo | super::Policy::Random => {
            "FIFO/random approximation: Σ p·T/(1+p·T) = C (Dan & Towsley 1990)"
        }
        super::Policy::LfuGlobal => "mass of the C most popular items",
        super::Policy::Lfu => "no closed form (in-cache counts depend on history)",
    }
}

/// The closed form for a policy, when it has one.
pub fn policy_hit_ratio(policy: super::Policy, p: &[f64], capacity: usize) -> Option<f64> {
    match policy {
        super::Policy::Lru => Some(che_lru(p, capacity)),
        super::Policy::Fifo | super::Policy::Random => Some(fifo_random(p, capacity)),
        super::Policy::LfuGlobal => Some(top_mass(p, capacity)),
        super::Policy::Lfu => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_popularity_gives_c_over_n_for_every_policy() {
        // Under uniform requests every policy that keeps C of N items hits C/N.
        let p = vec![1.0 / 1000.0; 1000];
        for h in [che_lru(&p, 100), fifo_random(&p, 100), top_mass(&p, 100)] {
            assert!((h - 0.1).abs() < 1e-9, "{h}");
        }
    }

    #[test]
    fn the_orderings_theory_predicts() {
        // Under skew, LRU beats FIFO/random (Che 2002, fig. 3) and perfect LFU beats both.
        let p = super::super::workload::zipf_probabilities(10_000, 0.8);
        let (lru, fifo, lfu) = (che_lru(&p, 100), fifo_random(&p, 100), top_mass(&p, 100));
        assert!(fifo < lru && lru < lfu, "{fifo} {lru} {lfu}");
    }

    #[test]
    fn ttl_closed_forms() {
        assert!((ttl_write(2.0, 0.5) - 0.5).abs() < 1e-12);
        assert!((ttl_access(1.0, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
    }
}
