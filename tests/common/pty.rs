//! The real binary in a pseudo-terminal (100×30): type keys, read the screen as a terminal
//! would show it.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, CommandBuilder, PtySize};

pub struct Session {
    pub parser: Arc<Mutex<vt100::Parser>>,
    pub writer: Box<dyn Write + Send>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Session {
    pub fn start(home: &std::path::Path) -> Session {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 30,
                cols: 100,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_sdlab"));
        cmd.env("SDLAB_HOME", home);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            30.try_into().unwrap(),
            100.try_into().unwrap(),
            0,
        )));
        let mut reader = pty.master.try_clone_reader().unwrap();
        let sink = Arc::clone(&parser);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pty.master.take_writer().unwrap();
        // Keep the master alive for the session.
        std::mem::forget(pty.master);
        Session { parser, writer, child }
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Polls the screen until `check` holds (never a fixed sleep), failing after 10 s.
    pub fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if check(&self.screen()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("timed out waiting for {what}; screen:\n{}", self.screen());
    }

    pub fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Waits up to 10 s for the process to end.
    pub fn wait_exit(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "sdlab did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Opens the lesson `id` through Go to anything by typing `query`, moving the selection onto
    /// it wherever the ranking puts it, and waits for its first step.
    pub fn open_lesson(&mut self, query: &str, id: &str) {
        self.send("\x10");
        self.wait_for("go to anything", |sc| sc.contains("Go to anything"));
        self.send(query);
        self.wait_for("the lesson among the results", |sc| sc.contains(id));
        // The selected result is the line marked › that is not the query field (it has a cursor).
        let selected = |sc: &str| {
            sc.lines()
                .find(|l| l.contains('›') && !l.contains('▏'))
                .unwrap_or("")
                .to_string()
        };
        for _ in 0..10 {
            let now = selected(&self.screen());
            if now.contains(id) {
                break;
            }
            self.send("\x1b[B");
            self.wait_for("the selection to move", |sc| selected(sc) != now);
        }
        self.send("\r");
        self.wait_for("the lesson", |sc| sc.contains("Step 1 of"));
    }
}
