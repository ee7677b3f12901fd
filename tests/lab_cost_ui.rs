//! The cost lab on screen: both bills at the load set, and both curves with the load marked.

mod common;

use sdlab::tui::app::{press, Cmd};
use sdlab::tui::{update, Msg};

fn open(keys: &str, w: u16, h: u16) -> String {
    let mut app = common::app();
    update(&mut app, Msg::Resize(w, h));
    app.apply(Cmd::OpenLab("cost".into()));
    press(&mut app, keys);
    common::screen(&mut app, w, h)
}

#[test]
fn the_cost_lab_shows_both_bills_and_the_break_even() {
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = open("+ + + +", w, h);
        assert!(screen.contains("load 3,000 req/s"), "{w}x{h}:\n{screen}");
        assert!(screen.contains("one 4x machine $600/month"), "{w}x{h}:\n{screen}");
        assert!(
            screen.contains("3 small servers + balancer $350/month"),
            "{w}x{h}:\n{screen}"
        );
        assert!(
            screen.contains("cheaper at this load: horizontal"),
            "{w}x{h}:\n{screen}"
        );
        assert!(
            screen.contains("break-even 1,000 · ceiling 8,000 req/s"),
            "{w}x{h}:\n{screen}"
        );
        assert!(
            screen.contains("› 3,000 req/s") || screen.contains("›  3,000 req/s") || screen.contains("›   3,000 req/s"),
            "{w}x{h}:\n{screen}"
        );
        insta::assert_snapshot!(format!("lab_cost_{w}x{h}"), screen);
    }
    let screen = open(&"+ ".repeat(16), 80, 24);
    assert!(
        screen.contains("no machine on the price list carries this load"),
        "{screen}"
    );
    let screen = open("- - -", 80, 24);
    assert!(screen.contains("already the minimum"), "{screen}");
    for (w, h) in [(1, 1), (20, 6), (40, 10)] {
        open("+", w, h);
    }
}
