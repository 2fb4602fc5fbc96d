//! The `tickml` binary run as a user runs it, shared by the command-line tests.

use std::process::{Command, Output, Stdio};

/// Runs `tickml args`, feeding `stdin` (from another thread: the child's stdout must be
/// drained meanwhile), and returns what it printed.
pub fn run_tickml(args: &[&str], stdin: &[u8]) -> Output {
    run_tickml_into(args, stdin, Stdio::piped())
}

/// [`run_tickml`] with the child's standard output sent to `stdout` (a file, say).
pub fn run_tickml_into(args: &[&str], stdin: &[u8], stdout: Stdio) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tickml"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(stdout)
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

/// Trains `dir/universe.tml`, a logistic-regression bundle with the extended
/// cross-section, on the universe file `input` (research's outputs go to `dir`).
pub fn train_universe_bundle(dir: &std::path::Path, input: &std::path::Path) -> std::path::PathBuf {
    let config = dir.join("train.toml");
    std::fs::write(
        &config,
        "models = [\"logistic_regression\"]\n[features]\ncross_section = \"extended\"\n",
    )
    .unwrap();
    let bundle = dir.join("universe.tml");
    let out = run_tickml(
        &[
            "train",
            "--input",
            input.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
            "--bundle",
            bundle.to_str().unwrap(),
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    bundle
}
