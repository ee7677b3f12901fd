//! The auto-scaling group and the cost calculator against the capacity arithmetic they teach,
//! and their command lines.

use assert_cmd::Command;
use sdlab::engines::autoscale::cost::{compare, servers_needed, CostInput};
use sdlab::engines::autoscale::{AutoscaleConfig, Autoscaler, Curve, ScalingPolicy, Scheduled};

fn day(config: AutoscaleConfig) -> Autoscaler {
    let mut a = Autoscaler::new(config).unwrap();
    a.run_to_end();
    a
}

fn black_friday(policy: &str) -> AutoscaleConfig {
    AutoscaleConfig {
        curve: Curve::BlackFriday,
        policy: ScalingPolicy::parse(policy).unwrap(),
        min: 3,
        ..AutoscaleConfig::default()
    }
}

/// 500K req/min at 5K req/min per server: 500K / 5K = 100 servers flat out, and
/// ⌈500K / (5K × 0.7)⌉ = ⌈142.86⌉ = 143 at a 70% target.
#[test]
fn capacity_arithmetic() {
    assert_eq!(servers_needed(500_000.0, 5_000.0, 1.0), 100);
    assert_eq!(servers_needed(500_000.0, 5_000.0, 0.7), 143);
}

/// Target tracking at 70% on a steady 500K req/min ends at exactly that 143, with or without
/// Poisson noise in the arrivals, and stays there for the second half of the day.
#[test]
fn target_tracking_settles_at_the_capacity_the_arithmetic_gives() {
    for noise in [false, true] {
        let a = day(AutoscaleConfig {
            curve: Curve::Steady(500_000.0),
            policy: ScalingPolicy::Target(70.0),
            noise,
            ..AutoscaleConfig::default()
        });
        let s = a.summary();
        assert_eq!(s.instances_end, 143, "noise {noise}");
        let second_half = &a.minutes[a.minutes.len() / 2..];
        assert!(second_half.iter().all(|m| m.instances == 143), "noise {noise}");
        let cpu = second_half.iter().map(|m| m.cpu).sum::<f64>() / second_half.len() as f64;
        // 100 servers' worth of work on 143: 69.93%.
        assert!((cpu - 100.0 * 100.0 / 143.0).abs() < 0.05, "cpu {cpu}");
    }
}

/// Black Friday: reacting to CPU alone leaves minutes over the p99 target while the group
/// catches up; a scheduled pre-scale before the doors open removes most of them, step scaling
/// (bigger steps for bigger breaches) catches up sooner than simple scaling's fixed +2.
#[test]
fn black_friday_rewards_a_pre_scale_and_punishes_small_steps() {
    let breach = |c: AutoscaleConfig| day(c).summary().sla_breach_minutes;
    let target = breach(black_friday("target:70"));
    let mut pre = black_friday("target:70");
    pre.schedule = vec![
        Scheduled::parse("07:30 min=150").unwrap(),
        Scheduled::parse("13:00 min=3").unwrap(),
    ];
    let prescaled = breach(pre);
    let step = breach(black_friday("step:70=+1,80=+2,90=+5"));
    let simple = breach(black_friday("simple:80=+2"));
    assert!(prescaled * 5 < target, "pre-scaled {prescaled} vs {target}");
    assert!(step < simple, "step {step} vs simple {simple}");
    assert!(target > 10, "the spike outruns reactive scaling: {target}");
}

/// A slower warm-up leaves the spike unserved for longer.
#[test]
fn warm_up_costs_breach_minutes() {
    let breach = |w| {
        let mut c = black_friday("target:70");
        c.warmup_s = w;
        day(c).summary().sla_breach_minutes
    };
    assert!(breach(600) > breach(60));
}

/// Cost is instance-hours × price: auto-scaling through Black Friday is far cheaper than the
/// peak's size all day, and spot capacity takes its discount off.
#[test]
fn cost_follows_instance_hours() {
    let s = day(black_friday("target:70")).summary();
    assert!(
        s.cost < 0.6 * s.cost_fixed_at_peak,
        "{} vs {}",
        s.cost,
        s.cost_fixed_at_peak
    );
    let steady = |spot_share| {
        day(AutoscaleConfig {
            curve: Curve::Steady(10_000.0),
            min: 4,
            noise: false,
            spot_share,
            ..AutoscaleConfig::default()
        })
        .summary()
        .cost
    };
    // 4 instances × 24 h at $100/730 h.
    let full = 4.0 * 24.0 * 100.0 / 730.0;
    assert!((steady(0.0) - full).abs() < 1e-6, "{}", steady(0.0));
    assert!((steady(1.0) - 0.3 * full).abs() < 1e-6);
}

/// The vertical price list (2× / 4× / 8× the capacity at 2.5× / 6× / 15× the price) against
/// $100 servers of 1,000 req/s behind a $50 balancer: 50K req/s is 50 servers, and no single
/// machine carries it.
#[test]
fn vertical_against_horizontal() {
    let r = compare(&CostInput {
        load: 50_000.0,
        ..CostInput::default()
    })
    .unwrap();
    assert_eq!(r.horizontal.servers, 50);
    assert_eq!(r.horizontal.cost, 5_050.0);
    assert_eq!(r.vertical.cost, None);
    assert_eq!(r.vertical.ceiling, 8_000.0);
    let r = compare(&CostInput {
        load: 3_500.0,
        ..CostInput::default()
    })
    .unwrap();
    assert_eq!((r.vertical.tier.as_deref(), r.vertical.cost), (Some("4x"), Some(600.0)));
    assert_eq!(r.horizontal.cost, 450.0);
}

fn sdlab() -> Command {
    Command::cargo_bin("sdlab").unwrap()
}

#[test]
fn autoscale_cli_prints_json_lines_then_a_summary() {
    let out = sdlab()
        .args([
            "lab",
            "autoscale",
            "--policy",
            "step:70=+1,80=+2,90=+5",
            "--curve",
            "blackfriday",
        ])
        .args([
            "--capacity",
            "5000",
            "--min",
            "2",
            "--max",
            "200",
            "--cooldown",
            "120",
            "--warmup",
            "60",
        ])
        .args(["--seed", "3", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 24 * 60 + 1);
    for key in ["time_s", "instances", "cpu", "p99_ms"] {
        assert!(lines[0][key].is_number(), "{key}");
    }
    let summary = lines.last().unwrap();
    for key in ["max_instances", "instances_end", "sla_breach_minutes", "cost"] {
        assert!(summary[key].is_number(), "{key}");
    }
    assert!(summary["max_instances"].as_u64().unwrap() > 100);
}

#[test]
fn cost_cli_prints_both_options_and_the_break_even() {
    let out = sdlab()
        .args(["lab", "cost", "--load", "5000", "--per-server", "1000", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["vertical"]["cost"], 1500.0);
    assert_eq!(v["vertical"]["servers"], 1);
    assert_eq!(v["horizontal"]["cost"], 550.0);
    assert_eq!(v["horizontal"]["servers"], 5);
    assert_eq!(v["break_even_load"], 1000.0);
}

#[test]
fn bad_arguments_are_one_line_errors() {
    for args in [
        &["autoscale", "--policy", "magic:3"][..],
        &["autoscale", "--capacity", "-5"],
        &["autoscale", "--min", "0"],
        &["autoscale", "--curve", "monday"],
        &["cost", "--load", "-1"],
        &["cost", "--load", "10", "--per-server", "0"],
    ] {
        let out = sdlab().arg("lab").args(args).arg("--json").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn a_pre_scale_raises_the_floor_for_its_window_then_puts_it_back() {
    // Black Friday under target tracking at 60%: the pre-scale the lab's P key schedules keeps
    // at least 150 instances from 07:30, so the ramp at 08:00 meets warm capacity; at 12:00 the
    // floor returns to the group's own minimum and tracking alone sizes the group.
    let mut a = Autoscaler::new(black_friday("target:60")).unwrap();
    a.apply_text("prescale 07:30-12:00 150").unwrap();
    assert_eq!(a.config.schedule.len(), 2);
    a.run(7 * 3600 + 1800 + 1);
    assert_eq!(a.config.min, 150);
    assert!(a.desired() >= 150);
    a.run(4 * 3600 + 1800);
    assert_eq!(a.config.min, 3, "back to the group's minimum at noon");
    let mut without = Autoscaler::new(black_friday("target:60")).unwrap();
    without.run(12 * 3600);
    assert!(
        a.summary().sla_breach_minutes * 4 < without.summary().sla_breach_minutes,
        "{} vs {}",
        a.summary().sla_breach_minutes,
        without.summary().sla_breach_minutes
    );
    for bad in [
        "prescale 12:00-07:30 150",
        "prescale 07:30 150",
        "prescale 07:30-12:00 500",
    ] {
        assert!(a.apply_text(bad).is_err(), "{bad}");
    }
}
