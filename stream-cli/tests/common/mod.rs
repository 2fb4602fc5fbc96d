//! The `tickml` binary run as a user runs it, shared by the command-line tests.

use std::process::{Command, Output, Stdio};

/// Runs `tickml args`, feeding `stdin` (from another thread: the child's stdout must be
/// drained meanwhile), and returns what it printed.
pub fn run_tickml(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tickml"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}
