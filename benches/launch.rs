//! Budget: launch to first frame ≤ 50 ms, measured on the whole process: start the release
//! binary in a pseudo-terminal and stop the clock when the home screen has been drawn.
use std::io::Read;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use portable_pty::{native_pty_system, CommandBuilder, PtySize};

fn launch_once(home: &std::path::Path) -> Duration {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_sdlab"));
    cmd.env("SDLAB_HOME", home);
    cmd.env("TERM", "xterm-256color");
    let start = Instant::now();
    let mut child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 16384];
    let needle = b"Modules";
    let elapsed = loop {
        let n = reader.read(&mut buf).unwrap();
        assert!(n > 0, "sdlab exited before drawing");
        seen.extend_from_slice(&buf[..n]);
        if seen.windows(needle.len()).any(|w| w == needle) {
            break start.elapsed();
        }
    };
    child.kill().unwrap();
    let _ = child.wait();
    elapsed
}

fn bench(c: &mut Criterion) {
    let home = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("launch");
    group.sample_size(20);
    group.bench_function("whole process: start to first frame", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| launch_once(home.path())).sum())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
