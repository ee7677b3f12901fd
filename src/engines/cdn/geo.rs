//! Where regions are and how long a round trip between them takes.

/// Region name, city, latitude and longitude (degrees).
pub const REGIONS: &[(&str, &str, f64, f64)] = &[
    ("us-east", "New York", 40.71, -74.01),
    ("us-west", "San Francisco", 37.77, -122.42),
    ("sa-east", "São Paulo", -23.55, -46.63),
    ("eu-west", "London", 51.51, -0.13),
    ("eu-central", "Frankfurt", 50.11, 8.68),
    ("ap-south", "Mumbai", 19.08, 72.88),
    ("ap-southeast", "Singapore", 1.35, 103.82),
    ("ap-northeast", "Tokyo", 35.68, 139.69),
    ("au-southeast", "Sydney", -33.87, 151.21),
];

pub fn region_index(name: &str) -> Result<usize, String> {
    REGIONS.iter().position(|r| r.0 == name).ok_or_else(|| {
        let names: Vec<&str> = REGIONS.iter().map(|r| r.0).collect();
        format!("unknown region {name:?}: use {}", names.join(", "))
    })
}

/// Parses a comma-separated list of region names.
pub fn region_list(text: &str) -> Result<Vec<usize>, String> {
    let mut out = Vec::new();
    for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let i = region_index(name)?;
        if out.contains(&i) {
            return Err(format!("region {name} is listed twice"));
        }
        out.push(i);
    }
    if out.is_empty() {
        return Err("give at least one region".into());
    }
    Ok(out)
}

/// Great-circle distance in km (haversine, Earth radius 6,371 km).
pub fn distance_km(a: usize, b: usize) -> f64 {
    let (_, _, la1, lo1) = REGIONS[a];
    let (_, _, la2, lo2) = REGIONS[b];
    let (p1, p2) = (la1.to_radians(), la2.to_radians());
    let dp = p2 - p1;
    let dl = (lo2 - lo1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// Light in fibre covers about 200 km per millisecond, and real routes run roughly 1.85× the
/// great-circle path, so a round trip costs ~0.0185 ms per km of distance, plus 4 ms of
/// last-mile and processing even next door. Tokyo ↔ New York (10,850 km) comes to ~205 ms,
/// in line with the ~200 ms measured between them.
pub fn rtt_ms(a: usize, b: usize) -> f64 {
    4.0 + distance_km(a, b) * 2.0 / 200.0 * 1.85
}

/// The index in `candidates` of the region nearest to `from`.
pub fn nearest(from: usize, candidates: &[usize]) -> Option<usize> {
    candidates
        .iter()
        .enumerate()
        .min_by(|x, y| distance_km(from, *x.1).total_cmp(&distance_km(from, *y.1)))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokyo_to_new_york_is_about_200_ms() {
        let (tokyo, ny) = (region_index("ap-northeast").unwrap(), region_index("us-east").unwrap());
        // Great circle ≈ 10,850 km.
        assert!(
            (distance_km(tokyo, ny) - 10_850.0).abs() < 100.0,
            "{}",
            distance_km(tokyo, ny)
        );
        let rtt = rtt_ms(tokyo, ny);
        assert!((190.0..=215.0).contains(&rtt), "{rtt}");
        assert!(rtt_ms(ny, ny) < 5.0);
    }

    #[test]
    fn unknown_regions_are_named_with_the_valid_ones() {
        let e = region_list("us-east,mars").unwrap_err();
        assert!(e.contains("mars") && e.contains("eu-west"), "{e}");
    }
}
