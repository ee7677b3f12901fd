//! The replication and multi-master labs on screen, at 80×24 and 120×40: what each key changes
//! is visible, and every view fits.

mod common;

use sdlab::tui::app::{press, Cmd};
use sdlab::tui::{update, Msg};

fn open(id: &str, keys: &str, w: u16, h: u16) -> String {
    let mut app = common::app();
    update(&mut app, Msg::Resize(w, h));
    app.apply(Cmd::OpenLab(id.into()));
    press(&mut app, keys);
    common::screen(&mut app, w, h)
}

#[test]
fn replication_lab_shows_a_stale_read_and_its_cause() {
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = open("replication", "o 1 2 . 2", w, h);
        assert!(screen.contains("head 1"), "{w}x{h}:\n{screen}");
        assert!(
            screen.contains("STALE"),
            "{w}x{h}: the read before the write arrived:\n{screen}"
        );
        assert!(
            screen.contains("stale read:"),
            "{w}x{h}: the anomaly in the log:\n{screen}"
        );
        insta::assert_snapshot!(format!("lab_replication_{w}x{h}"), screen);
    }
}

#[test]
fn replication_lab_crash_and_promote() {
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = open("replication", "1 . 1 1 x f", w, h);
        assert!(screen.contains("lost 2"), "{w}x{h}:\n{screen}");
        insta::assert_snapshot!(format!("lab_replication_failover_{w}x{h}"), screen);
    }
}

#[test]
fn multi_master_lab_shows_the_older_write_winning() {
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = open("multi-master", "d - - - <right> 1 <left> . 1 . .", w, h);
        assert!(screen.contains("clock 300 ms slow"), "{w}x{h}:\n{screen}");
        assert!(screen.contains("•"), "{w}x{h}: a change on the wire:\n{screen}");
        insta::assert_snapshot!(format!("lab_multimaster_in_flight_{w}x{h}"), screen);
        let screen = open("multi-master", "d - - - <right> 1 <left> . 1 . . . . . .", w, h);
        assert!(screen.contains("older won 1"), "{w}x{h}:\n{screen}");
        assert!(
            screen.contains("⚠ older write won: a kept age=20"),
            "{w}x{h}:\n{screen}"
        );
        assert!(screen.contains("converged"), "{w}x{h}:\n{screen}");
        insta::assert_snapshot!(format!("lab_multimaster_{w}x{h}"), screen);
    }
}

#[test]
fn multi_master_lab_ids_with_and_without_offsets() {
    let screen = open("multi-master", "i <right> i . .", 80, 24);
    assert!(screen.contains("id collisions 1"), "{screen}");
    let screen = open("multi-master", "o i i i <right> i i i . .", 80, 24);
    assert!(screen.contains("ids 1 2 3 4 5 6"), "{screen}");
    assert!(screen.contains("id collisions 0"), "{screen}");
}

#[test]
fn labs_draw_in_a_tiny_area_without_panicking() {
    for id in ["replication", "multi-master"] {
        for (w, h) in [(20, 6), (40, 10), (1, 1)] {
            open(id, "1 . P", w, h);
        }
    }
}
