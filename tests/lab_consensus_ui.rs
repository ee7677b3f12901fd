//! The consensus labs' screens: snapshots of each view at 80×24 and 120×40, and keys that do
//! what their hints say (checked on the engine's metrics, not on the drawing).

mod common;

use sdlab::tui::app::{press, Cmd, Screen};
use sdlab::tui::{update, Msg};

fn open(id: &str) -> sdlab::tui::App {
    let mut app = common::app();
    app.apply(Cmd::OpenLab(id.into()));
    assert!(matches!(app.screen(), Screen::Lab(_)), "{id} opens as a lab");
    app
}

fn metrics(app: &sdlab::tui::App) -> serde_json::Value {
    match app.screen() {
        Screen::Lab(view) => view.pane.lab.metrics(),
        _ => panic!("not on a lab"),
    }
}

fn footer(screen: &str) -> String {
    screen.lines().last().unwrap_or("").to_string()
}

/// Drives each lab into an interesting state and snapshots it at both sizes.
#[test]
fn consensus_views_at_80x24_and_120x40() {
    // (lab, keys, what the picture must show)
    let cases: [(&str, &str, &[&str]); 5] = [
        ("quorum", "x", &["N=5 R=1 W=1", "p_stale measured", "theory"]),
        (
            "election",
            "] ] ] . . P . . . .",
            &["term", "✂", "LEADER", "Leaders by term"],
        ),
        ("lock", "] ] ] . . .", &["lock service", "storage", "stale refused 1"]),
        ("cap", "P ] ] ] . . .", &["CP: majority quorums", "side", "avail"]),
        (
            "voter",
            "S <right> <right> c . P c . <left> <left> v .",
            &["sloppy on", "(hint n1)", "STALE"],
        ),
    ];
    for (id, keys, shows) in cases {
        for (w, h) in [(80u16, 24u16), (120, 40)] {
            let mut app = open(id);
            update(&mut app, Msg::Resize(w, h));
            press(&mut app, keys);
            let screen = common::screen(&mut app, w, h);
            for s in shows {
                // The 80×24 view may drop the panel's lower lines; the header never goes.
                if w == 120 || !s.contains("Leaders by term") {
                    assert!(screen.contains(s), "{id} {w}x{h} lacks {s:?}:\n{screen}");
                }
            }
            insta::assert_snapshot!(format!("consensus_{id}_{w}x{h}"), screen);
        }
    }
}

/// Every consensus lab draws at every size from tiny to wide without panicking, keeps the
/// footer's hints, and never writes past the frame.
#[test]
fn consensus_views_draw_at_every_size() {
    for id in ["quorum", "election", "lock", "cap", "voter"] {
        let mut app = open(id);
        press(&mut app, "] ] . . P .");
        for w in (20..=160).step_by(7) {
            for h in (4..=50).step_by(3) {
                let screen = common::screen(&mut app, w, h);
                assert_eq!(screen.lines().count(), usize::from(h));
            }
        }
        let screen = common::screen(&mut app, 80, 24);
        assert!(
            footer(&screen).contains("undo") || footer(&screen).contains("more"),
            "{screen}"
        );
    }
}

#[test]
fn quorum_keys_move_r_w_and_n_within_bounds() {
    let mut app = open("quorum");
    press(&mut app, "2 2");
    assert_eq!(metrics(&app)["r"], 3);
    press(&mut app, "4 4");
    let m = metrics(&app);
    assert_eq!((m["w"].as_u64(), m["strict"].as_bool()), (Some(3), Some(true)));
    assert_eq!(m["p_stale"], 0.0, "R + W > N: never stale");
    press(&mut app, "2 2 2 2");
    assert_eq!(metrics(&app)["r"], 5, "R stops at N");
    press(&mut app, "5");
    let m = metrics(&app);
    assert_eq!((m["n"].as_u64(), m["r"].as_u64()), (Some(4), Some(4)), "N − clamps R");
    press(&mut app, "1 1 1 1 1");
    assert_eq!(metrics(&app)["r"], 1, "R stops at 1");
    let seed = metrics(&app)["seed"].as_u64();
    press(&mut app, "x");
    assert_ne!(metrics(&app)["seed"].as_u64(), seed, "x reruns with the next seed");
    press(&mut app, "K");
    assert_eq!(metrics(&app)["k"], 4);
}

#[test]
fn election_keys_crash_cut_write_and_toggle_the_majority_rule() {
    let mut app = open("election");
    // Run 2 s at ×8 (800 ms a step): a leader is elected.
    press(&mut app, "] ] ] . . .");
    let m = metrics(&app);
    assert_eq!(m["leader_count"], 1, "{m}");
    press(&mut app, "P");
    assert_eq!(metrics(&app)["partitioned"], true);
    press(&mut app, "P");
    assert_eq!(metrics(&app)["partitioned"], false, "P again heals");
    press(&mut app, "x");
    assert_eq!(metrics(&app)["crashed_count"], 1);
    press(&mut app, "x");
    assert_eq!(metrics(&app)["crashed_count"], 0, "x again restarts");
    press(&mut app, "m");
    assert_eq!(metrics(&app)["majority"], false);
    press(&mut app, "m");
    assert_eq!(metrics(&app)["majority"], true);
    // A write to every node: the leader commits one, the followers refuse theirs.
    press(&mut app, "c <right> c <right> c <right> c <right> c . .");
    let m = metrics(&app);
    assert_eq!(
        (m["committed"].as_u64(), m["rejected_writes"].as_u64()),
        (Some(1), Some(4)),
        "{m}"
    );
    let candidacies = m["candidacies"].as_u64().unwrap();
    // Time out a follower now: it stands for a new term at once.
    let follower = match app.screen() {
        Screen::Lab(v) => {
            let r = sdlab::tui::labs::consensus::election::raft(v.pane.lab.as_ref()).unwrap();
            r.metrics()
                .nodes
                .iter()
                .position(|n| n.role != sdlab::engines::consensus::raft::Role::Leader)
                .unwrap()
        }
        _ => unreachable!(),
    };
    let sel = match app.screen() {
        Screen::Lab(v) => v.pane.selected,
        _ => unreachable!(),
    };
    let moves = (follower + 5 - sel) % 5;
    press(&mut app, &"<right> ".repeat(moves));
    press(&mut app, "o");
    assert_eq!(metrics(&app)["candidacies"].as_u64(), Some(candidacies + 1));
    press(&mut app, "i");
    assert_eq!(metrics(&app)["partitioned"], true, "i cuts the selected node off");
    press(&mut app, "s");
    assert_eq!(metrics(&app)["partitioned"], false, "moving the lone node back heals");
}

#[test]
fn lock_keys_toggle_fencing_and_drive_the_selected_client() {
    let mut app = open("lock");
    press(&mut app, "f");
    assert_eq!(metrics(&app)["fencing"], false);
    // The scripted run: c1 pauses past its lease and writes after c2; unfenced, that corrupts.
    press(&mut app, "] ] ] . . .");
    let m = metrics(&app);
    assert_eq!(
        (m["stale_writes_accepted"].as_u64(), m["corrupted"].as_bool()),
        (Some(1), Some(true)),
        "{m}"
    );
    press(&mut app, "f");
    assert_eq!(metrics(&app)["fencing"], true);
    let m = metrics(&app);
    let (issued, accepted) = (
        m["tokens_issued"].as_u64().unwrap(),
        m["writes_accepted"].as_u64().unwrap(),
    );
    // Take the lock, write under its token and let go, within one 800 ms step (lease 1000 ms).
    press(&mut app, "a c e .");
    let m = metrics(&app);
    assert_eq!(
        m["tokens_issued"].as_u64(),
        Some(issued + 1),
        "a takes the lock: a new token"
    );
    assert_eq!(
        m["writes_accepted"].as_u64(),
        Some(accepted + 1),
        "c writes with the token"
    );
    assert_eq!(m["highest_token_seen"].as_u64(), Some(issued + 1));
    assert_eq!(m["holder_token"], 0, "e releases the lock before the lease ends");
    press(&mut app, "a z .");
    let screen = common::screen(&mut app, 120, 40);
    assert!(screen.contains("PAUSED"), "{screen}");
}

#[test]
fn cap_keys_switch_design_cut_and_send_requests() {
    let mut app = open("cap");
    press(&mut app, "P");
    assert_eq!(metrics(&app)["partitioned"], true);
    // n1 is in the two-node minority: CP refuses its write.
    press(&mut app, "c");
    let m = metrics(&app);
    assert_eq!(
        (m["requests"].as_u64(), m["availability"].as_f64()),
        (Some(1), Some(0.0)),
        "{m}"
    );
    press(&mut app, "m");
    assert_eq!(metrics(&app)["mode"], "ap");
    press(&mut app, "c");
    assert_eq!(metrics(&app)["availability"], 0.5, "AP answers the minority");
    // A write on the majority side, then a read back on the minority: stale.
    press(&mut app, "<right> <right> c <left> <left> v");
    assert_eq!(metrics(&app)["stale_reads"], 1);
    press(&mut app, "L");
    assert_eq!(metrics(&app)["reconcile"], "siblings");
    press(&mut app, "P");
    let m = metrics(&app);
    assert_eq!(
        (m["partitioned"].as_bool(), m["siblings"].as_u64()),
        (Some(false), Some(1)),
        "{m}"
    );
    press(&mut app, "x");
    let screen = common::screen(&mut app, 120, 40);
    assert!(screen.contains("DOWN"), "{screen}");
}

/// A consensus lesson with its lab beside (or below) the text: the election after the 2 | 3 cut,
/// at both sizes, with the goal ticked.
#[test]
fn election_lesson_with_its_lab() {
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let mut app = common::app();
        update(&mut app, Msg::Resize(w, h));
        let li = app.content.lesson_idx("consensus/04-leader-election").unwrap();
        app.open_lesson(li);
        // Step 3 asks for a prediction first: answer 2, then drive the lab.
        press(&mut app, "n n n 2 <enter> ] ] ] . P . . .");
        let screen = common::screen(&mut app, w, h);
        assert!(screen.contains("✓ Cut n1, n2 off"), "{screen}");
        insta::assert_snapshot!(format!("consensus_election_lesson_{w}x{h}"), screen);
    }
}

#[test]
fn voter_keys_write_read_cut_and_toggle_the_sloppy_quorum() {
    let mut app = open("voter");
    // Strict quorum (N=3, R=W=2): cut n1,n2 | n3,n4,n5, and n3 reaches one home replica of 3.
    press(&mut app, "P <right> <right> c .");
    let m = metrics(&app);
    assert_eq!(
        (m["partitioned"].as_bool(), m["writes_failed"].as_u64()),
        (Some(true), Some(1)),
        "{m}"
    );
    press(&mut app, "P S");
    assert_eq!(metrics(&app)["sloppy"], true);
    // Sloppy: n3 and two stand-ins take the write, n1's side reads the old version.
    press(&mut app, "c . P c . <left> <left> v .");
    let m = metrics(&app);
    assert_eq!(
        (m["hints_pending"].as_u64(), m["stale_reads"].as_u64()),
        (Some(2), Some(1)),
        "{m}"
    );
    // Heal: the stand-ins hand the write back, and the same read is fresh.
    press(&mut app, "P . v .");
    let m = metrics(&app);
    assert_eq!(
        (
            m["hints_delivered"].as_u64(),
            m["stale_reads"].as_u64(),
            m["reads_ok"].as_u64()
        ),
        (Some(2), Some(1), Some(2)),
        "{m}"
    );
    press(&mut app, "1");
    assert_eq!(metrics(&app)["r"], 1);
    press(&mut app, "4");
    assert_eq!(metrics(&app)["w"], 3);
    press(&mut app, "4");
    assert_eq!(metrics(&app)["w"], 3, "W stops at N");
    press(&mut app, "E A");
    let m = metrics(&app);
    assert_eq!(
        (m["read_repair"].as_bool(), m["anti_entropy_ms"].as_u64()),
        (Some(true), Some(500))
    );
    press(&mut app, "x");
    let screen = common::screen(&mut app, 120, 40);
    assert!(screen.contains("DOWN"), "{screen}");
}
