//! The consensus labs' screens: the quorum experiment, the quorum store in time, Raft-style election, the lock service
//! with fencing tokens, and CAP under a partition. What two of them share lives here: nodes
//! placed on a circle with each side of a partition on its own arc, the cut drawn between the
//! arcs, and the keys that cut the network.

pub mod cap;
pub mod election;
pub mod lock;
pub mod quorum;
pub mod voter;

use std::f64::consts::PI;

use ratatui::style::Style;

use crate::engines::consensus::network::NetworkView;
use crate::engines::consensus::{node_index, node_name};
use crate::theme::Theme;
use crate::tui::lab::LabKey;

/// Each side of the partition as node indices (one side holding everyone when healed).
pub fn sides(view: &NetworkView, n: usize) -> Vec<Vec<usize>> {
    if view.sides.is_empty() {
        return vec![(0..n).collect()];
    }
    view.sides
        .iter()
        .map(|s| s.iter().filter_map(|name| node_index(name, n).ok()).collect())
        .collect()
}

/// The nodes in circle order: side by side, so every side holds one arc of the circle and a
/// straight cut can separate them.
pub fn circle_order(view: &NetworkView, n: usize) -> Vec<usize> {
    sides(view, n).into_iter().flatten().collect()
}

/// The angle of position `p` of `n`, clockwise from the top.
pub fn angle(p: f64, n: usize) -> f64 {
    -PI / 2.0 + 2.0 * PI * p / n.max(1) as f64
}

/// The angles (between two neighbours on the circle) where one side ends and the next begins:
/// the cut runs from the centre out through each.
pub fn cut_angles(view: &NetworkView, n: usize) -> Vec<f64> {
    let order = circle_order(view, n);
    let all = sides(view, n);
    if all.len() < 2 {
        return Vec::new();
    }
    let side_of = |i: usize| all.iter().position(|s| s.contains(&i)).unwrap_or(0);
    (0..order.len())
        .filter(|&p| side_of(order[p]) != side_of(order[(p + 1) % order.len()]))
        .map(|p| angle(p as f64 + 0.5, n))
        .collect()
}

/// `n1,n2|n3,n4,n5` for the given sides.
fn partition_text(sides: &[Vec<usize>]) -> String {
    let named: Vec<String> = sides
        .iter()
        .map(|s| s.iter().map(|&i| node_name(i)).collect::<Vec<_>>().join(","))
        .collect();
    format!("partition {}", named.join("|"))
}

/// The preset cut: a minority of ⌊(n−1)/2⌋ nodes (n1, n2 of five) against the majority, or
/// heal when the network is already split.
pub fn partition_or_heal(view: &NetworkView, n: usize) -> LabKey {
    if view.partitioned || !view.cuts.is_empty() {
        return LabKey::Action("heal".into());
    }
    if n < 2 {
        return LabKey::Message("one node has nothing to be cut off from".into());
    }
    let k = ((n - 1) / 2).max(1);
    LabKey::Action(partition_text(&[(0..k).collect(), (k..n).collect()]))
}

/// Cuts the selected node off from every other.
pub fn isolate(n: usize, selected: usize) -> LabKey {
    if n < 2 {
        return LabKey::Message("one node has nothing to be cut off from".into());
    }
    let rest: Vec<usize> = (0..n).filter(|&i| i != selected).collect();
    LabKey::Action(partition_text(&[vec![selected], rest]))
}

/// Pick a side: moves the selected node to the next side of the cut (cutting it off alone
/// when the network is whole); the network heals once one side is left.
pub fn move_across(view: &NetworkView, n: usize, selected: usize) -> LabKey {
    let mut all = sides(view, n);
    if all.len() < 2 {
        return isolate(n, selected);
    }
    let from = all.iter().position(|s| s.contains(&selected)).unwrap_or(0);
    all[from].retain(|&i| i != selected);
    let to = (from + 1) % all.len();
    all[to].push(selected);
    all[to].sort_unstable();
    all.retain(|s| !s.is_empty());
    if all.len() < 2 {
        LabKey::Action("heal".into())
    } else {
        LabKey::Action(partition_text(&all))
    }
}

/// A bar of `width` cells, `filled` of it (0 to 1) solid.
pub fn bar(filled: f64, width: usize) -> String {
    let f = (filled.clamp(0.0, 1.0) * width as f64).round() as usize;
    let mut s = "█".repeat(f.min(width));
    s.push_str(&"░".repeat(width - f.min(width)));
    s
}

/// A node's colour, or plain text in monochrome.
pub fn node_style(theme: &Theme, i: usize) -> Style {
    if theme.monochrome() {
        theme.text
    } else {
        Style::new().fg(theme.nodes[i % theme.nodes.len()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::consensus::network::{NetAction, Network};

    fn view(sides: &str, n: usize) -> NetworkView {
        let mut net = Network::new(n, 1.0, 0.0);
        let parsed = crate::engines::consensus::network::parse_sides(sides, n).unwrap();
        net.apply(&NetAction::Partition(parsed));
        net.view()
    }

    #[test]
    fn sides_sit_on_their_own_arcs_with_one_cut_between_each_pair() {
        let v = view("n1,n4|n2,n3,n5", 5);
        assert_eq!(circle_order(&v, 5), vec![0, 3, 1, 2, 4]);
        assert_eq!(cut_angles(&v, 5).len(), 2);
        let whole = Network::new(5, 1.0, 0.0).view();
        assert!(cut_angles(&whole, 5).is_empty());
    }

    #[test]
    fn partition_keys_write_actions_the_engines_parse() {
        let whole = Network::new(5, 1.0, 0.0).view();
        assert_eq!(
            partition_or_heal(&whole, 5),
            LabKey::Action("partition n1,n2|n3,n4,n5".into())
        );
        assert_eq!(isolate(5, 2), LabKey::Action("partition n3|n1,n2,n4,n5".into()));
        let v = view("n1,n2|n3,n4,n5", 5);
        assert_eq!(partition_or_heal(&v, 5), LabKey::Action("heal".into()));
        assert_eq!(move_across(&v, 5, 2), LabKey::Action("partition n1,n2,n3|n4,n5".into()));
        let alone = view("n1|n2,n3", 3);
        assert_eq!(move_across(&alone, 3, 0), LabKey::Action("heal".into()));
        assert!(matches!(partition_or_heal(&whole, 1), LabKey::Message(_)));
    }
}
