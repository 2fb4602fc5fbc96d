//! `tickml publish` and the partitioned `tickml stream --nats` workers against a real
//! `nats-server -js` (Debian's, installed by `scripts/nats.sh`), started by each test on
//! 127.0.0.1 with a temporary store and killed at the end; every wait is bounded.
//!
//! - 50 symbols over 6 partitions, every bar on its symbol's subject, a republished
//!   file dropped by de-duplication, a symbol's messages decided by `tickml stream`
//!   exactly as that symbol's rows of the file;
//! - 3 workers over the 6 partitions, one killed with SIGKILL mid-run and restarted
//!   from its checkpoints: the output stream holds one decision per bar, each equal to
//!   a single-process `tickml stream` over the whole file;
//! - the same with the server killed and restarted mid-run;
//! - a cross-sectional bundle over 2 partitions: ranks within the partition, each
//!   partition's decisions equal to a single process over that partition's symbols.

mod common;

use std::collections::{HashMap, HashSet};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tickml_train::partition::partition_of;

const PARTITIONS: u32 = 6;
const SYMBOLS: usize = 50;
const BARS: usize = 40;

/// The server, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_server(store: &std::path::Path) -> (Server, String) {
    let port = free_port();
    (
        start_server_on(port, store),
        format!("nats://127.0.0.1:{port}"),
    )
}

/// A server on `port` over `store` (a restart passes the same two).
fn start_server_on(port: u16, store: &std::path::Path) -> Server {
    let child = Command::new("nats-server")
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(store)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server is not installed: run scripts/nats.sh");
    let server = Server(child);
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nats-server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// 50 symbols x `bars` daily bars, a timestamp's members together, prices a scaled
/// slice of the S&P 500 file so every bar is valid.
fn universe(dir: &std::path::Path, bars: usize) -> PathBuf {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/spx_daily.csv"),
    )
    .unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .take(bars)
        .map(|l| l.split(',').collect())
        .collect();
    let mut out = String::from("timestamp,symbol,open,high,low,close,volume\n");
    for r in &rows {
        for s in 0..SYMBOLS {
            let scale = 1.0 + s as f64 / 100.0;
            let p = |i: usize| r[i].parse::<f64>().unwrap() * scale;
            out.push_str(&format!(
                "{},S{s:02},{},{},{},{},{}\n",
                r[0],
                p(1),
                p(2),
                p(3),
                p(4),
                r[5]
            ));
        }
    }
    let path = dir.join("universe.csv");
    std::fs::write(&path, out).unwrap();
    path
}

fn tickml(args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
    common::run_tickml(args, stdin.unwrap_or(b""))
}

#[test]
fn publish_partitions_every_bar_and_deduplicates_a_replay() {
    let dir = std::env::temp_dir().join(format!("tickml-nats-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = universe(&dir, BARS);
    let (_server, url) = start_server(&dir.join("store"));
    let args = |p: &std::path::Path| {
        vec![
            "publish".to_string(),
            "--nats".into(),
            url.clone(),
            "--stream".into(),
            "BARS".into(),
            "--partitions".into(),
            PARTITIONS.to_string(),
            "--input".into(),
            p.display().to_string(),
        ]
    };
    let run = |p: &std::path::Path| {
        let a = args(p);
        tickml(&a.iter().map(String::as_str).collect::<Vec<_>>(), None)
    };
    let first = run(&input);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let again = run(&input);
    let note = String::from_utf8_lossy(&again.stderr).to_string();
    assert!(again.status.success(), "{note}");
    assert!(note.contains("(2000 already there"), "{note}");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let messages: Vec<(String, Vec<u8>)> = runtime.block_on(async {
        let js = async_nats::jetstream::new(async_nats::connect(&url).await.unwrap());
        let mut stream = js.get_stream("BARS").await.unwrap();
        let n = stream.info().await.unwrap().state.messages;
        assert_eq!(
            n,
            (SYMBOLS * BARS) as u64,
            "one message per bar, none twice"
        );
        let mut out = Vec::new();
        for seq in 1..=n {
            let m = stream.get_raw_message(seq).await.unwrap();
            out.push((m.subject.to_string(), m.payload.to_vec()));
        }
        out
    });
    let mut per_partition = [0usize; PARTITIONS as usize];
    for (subject, _) in &messages {
        let parts: Vec<&str> = subject.split('.').collect();
        assert_eq!(parts.len(), 3, "{subject}");
        assert_eq!(parts[0], "bars");
        let p: u32 = parts[1].parse().unwrap();
        assert_eq!(p, partition_of(parts[2], PARTITIONS).unwrap(), "{subject}");
        per_partition[p as usize] += 1;
    }
    assert!(per_partition.iter().all(|&c| c > 0), "{per_partition:?}");

    // a symbol's messages, streamed, decide as that symbol's rows of the file
    let symbol = "S07";
    let lines: Vec<u8> = messages
        .iter()
        .filter(|(s, _)| s.ends_with(&format!(".{symbol}")))
        .flat_map(|(_, p)| p.iter().copied().chain([b'\n']))
        .collect();
    let from_nats = tickml(
        &["stream", "--input", "-", "--format", "jsonl"],
        Some(&lines),
    );
    assert!(
        from_nats.status.success(),
        "{}",
        String::from_utf8_lossy(&from_nats.stderr)
    );
    let text = std::fs::read_to_string(&input).unwrap();
    let mut own = String::from("timestamp,symbol,open,high,low,close,volume\n");
    for l in text.lines().filter(|l| l.split(',').nth(1) == Some(symbol)) {
        own.push_str(l);
        own.push('\n');
    }
    let from_file = tickml(
        &["stream", "--input", "-", "--format", "jsonl"],
        Some(own.as_bytes()),
    );
    assert!(from_file.status.success());
    assert_eq!(
        from_nats.stdout.iter().filter(|&&b| b == b'\n').count(),
        BARS
    );
    assert_eq!(
        String::from_utf8_lossy(&from_nats.stdout),
        String::from_utf8_lossy(&from_file.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A `tickml stream --nats` worker, killed when dropped.
struct Worker {
    child: Child,
    log: PathBuf,
}

impl Worker {
    fn start(url: &str, partitions: &[u32], extra: &[&str], log: PathBuf) -> Worker {
        let mut args: Vec<String> = vec!["stream".into(), "--nats".into(), url.into()];
        for p in partitions {
            args.push("--partition".into());
            args.push(format!("{p}/{PARTITIONS}"));
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Command::new(env!("CARGO_BIN_EXE_tickml"))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Worker { child, log }
    }

    /// SIGTERM, then the exit within 30 s; what it printed.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the worker did not stop"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let log = std::fs::read_to_string(&self.log).unwrap();
        assert!(status.success(), "{log}");
        log
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Messages in `stream` (0 while it does not exist or the server is away).
fn count(url: &str, stream: &str) -> u64 {
    runtime().block_on(async {
        let Ok(client) = async_nats::connect(url).await else {
            return 0;
        };
        let js = async_nats::jetstream::new(client);
        let Ok(mut s) = js.get_stream(stream).await else {
            return 0;
        };
        s.info().await.map_or(0, |i| i.state.messages)
    })
}

/// Waits (at most 120 s) until `stream` holds at least `n` messages; the count then.
fn wait_for(url: &str, stream: &str, n: u64) -> u64 {
    let started = Instant::now();
    loop {
        let c = count(url, stream);
        if c >= n {
            return c;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{stream} holds {c} of {n} messages"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Every message of `stream`: its subject and payload.
fn messages(url: &str, stream: &str) -> Vec<(String, String)> {
    runtime().block_on(async {
        let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
        let mut s = js.get_stream(stream).await.unwrap();
        let n = s.info().await.unwrap().state.last_sequence;
        let mut out = Vec::new();
        for seq in 1..=n {
            if let Ok(m) = s.get_raw_message(seq).await {
                out.push((
                    m.subject.to_string(),
                    String::from_utf8(m.payload.to_vec()).unwrap(),
                ));
            }
        }
        out
    })
}

/// Rows `[from, to)` of timestamps of a universe file (50 rows each), with the header.
fn rows(path: &std::path::Path, from: usize, to: usize, name: &str) -> PathBuf {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = format!("{}\n", lines[0]);
    for l in &lines[1 + from * SYMBOLS..1 + to * SYMBOLS] {
        out.push_str(l);
        out.push('\n');
    }
    let p = path.with_file_name(name);
    std::fs::write(&p, out).unwrap();
    p
}

fn publish(url: &str, input: &std::path::Path, partitions: u32) {
    // a server just restarted may refuse for a moment: bounded retries
    for attempt in 0..50 {
        let out = tickml(
            &[
                "publish",
                "--nats",
                url,
                "--partitions",
                &partitions.to_string(),
                "--input",
                input.to_str().unwrap(),
            ],
            None,
        );
        if out.status.success() {
            return;
        }
        assert!(attempt < 49, "{}", String::from_utf8_lossy(&out.stderr));
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `tickml stream` in one process over a file: each decision line by symbol and
/// timestamp.
fn single_process(
    input: &std::path::Path,
    bundle: Option<&str>,
) -> HashMap<(String, String), String> {
    let mut args = vec!["stream", "--input", input.to_str().unwrap()];
    if let Some(b) = bundle {
        args.extend(["--bundle", b]);
    }
    let out = tickml(&args, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| (key(l), l.to_string()))
        .collect()
}

fn key(line: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    (
        v["symbol"].as_str().unwrap().to_string(),
        v["timestamp"].as_str().unwrap().to_string(),
    )
}

/// The output stream holds exactly one decision per input bar, each on its symbol's
/// partition subject and equal to the single process's.
fn assert_equal_decisions(
    url: &str,
    expected: &HashMap<(String, String), String>,
    partitions: u32,
) {
    let got = messages(url, "DECISIONS");
    assert_eq!(
        got.len(),
        expected.len(),
        "one decision per bar, none twice"
    );
    let mut seen = HashSet::new();
    for (subject, payload) in &got {
        let k = key(payload);
        assert!(seen.insert(k.clone()), "{k:?} twice");
        let p = partition_of(&k.0, partitions).unwrap();
        assert_eq!(subject, &format!("decisions.{p}.{}", k.0));
        assert_eq!(Some(payload), expected.get(&k), "{k:?}");
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tickml-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_worker_killed_mid_run_resumes_from_its_checkpoints() {
    let dir = scratch("nats-kill");
    let full = universe(&dir, 120);
    let (first, rest) = (rows(&full, 0, 40, "a.csv"), rows(&full, 40, 120, "b.csv"));
    let (_server, url) = start_server(&dir.join("store"));
    publish(&url, &first, PARTITIONS);
    let every = ["--checkpoint-every", "25"];
    let log = |n: &str| dir.join(format!("{n}.log"));
    let w0 = Worker::start(&url, &[0, 3], &every, log("w0"));
    let mut w1 = Worker::start(&url, &[1, 4], &every, log("w1"));
    let w2 = Worker::start(&url, &[2, 5], &every, log("w2"));
    wait_for(&url, "DECISIONS", 2000);
    publish(&url, &rest, PARTITIONS);
    let at_kill = wait_for(&url, "DECISIONS", 2300);
    eprintln!("worker 1 killed with {at_kill} of 6000 decisions out");
    w1.child.kill().unwrap();
    w1.child.wait().unwrap();
    let w1 = Worker::start(&url, &[1, 4], &every, log("w1-restarted"));
    wait_for(&url, "DECISIONS", 6000);
    // nothing more arrives: every replayed decision was a duplicate
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(count(&url, "DECISIONS"), 6000);
    let restarted = w1.stop();
    for w in [w0, w2] {
        w.stop();
    }
    let restored: usize = restarted
        .lines()
        .filter_map(|l| {
            l.split(" symbols restored")
                .next()?
                .rsplit(' ')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum();
    assert!(
        restored > 0,
        "the restarted worker began from checkpoints: {restarted}"
    );
    assert_equal_decisions(&url, &single_process(&full, None), PARTITIONS);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn workers_ride_out_a_server_restart() {
    let dir = scratch("nats-restart");
    let full = universe(&dir, 120);
    let parts = [
        rows(&full, 0, 40, "a.csv"),
        rows(&full, 40, 80, "b.csv"),
        rows(&full, 80, 120, "c.csv"),
    ];
    let store = dir.join("store");
    let port = free_port();
    let url = format!("nats://127.0.0.1:{port}");
    let mut server = start_server_on(port, &store);
    publish(&url, &parts[0], PARTITIONS);
    let log = |n: &str| dir.join(format!("{n}.log"));
    let every = ["--checkpoint-every", "40"];
    let w0 = Worker::start(&url, &[0, 1, 2], &every, log("w0"));
    let w1 = Worker::start(&url, &[3, 4, 5], &every, log("w1"));
    wait_for(&url, "DECISIONS", 2000);
    publish(&url, &parts[1], PARTITIONS);
    wait_for(&url, "DECISIONS", 2200);
    // the server dies mid-run and comes back on the same port and store
    let _ = server.0.kill();
    let _ = server.0.wait();
    std::thread::sleep(Duration::from_millis(300));
    server = start_server_on(port, &store);
    publish(&url, &parts[2], PARTITIONS);
    wait_for(&url, "DECISIONS", 6000);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(count(&url, "DECISIONS"), 6000);
    for log in [w0.stop(), w1.stop()] {
        assert!(log.contains("server: disconnected"), "{log}");
    }
    assert_equal_decisions(&url, &single_process(&full, None), PARTITIONS);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Cross-sectional features in a partitioned deployment rank a symbol among its
/// partition's members at the timestamp: each partition decides as a single process
/// over that partition's symbols, and not as one over the whole universe.
#[test]
fn a_cross_sectional_bundle_ranks_within_its_partition() {
    let dir = scratch("nats-xs");
    let input =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/synthetic_universe_daily.csv");
    let bundle = common::train_universe_bundle(&dir, &input);
    let text = std::fs::read_to_string(&input).unwrap();
    let (header, body) = text.split_once('\n').unwrap();
    // the first 400 timestamps, 8 symbols each
    let lines: Vec<&str> = body.lines().take(400 * 8).collect();
    let file = dir.join("xs.csv");
    std::fs::write(&file, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
    let (_server, url) = start_server(&dir.join("store"));
    publish(&url, &file, 2);
    let b = bundle.to_str().unwrap();
    let mut args = vec!["--bundle", b, "--idle-exit", "1"];
    args.extend(["--checkpoint-every", "100"]);
    let w = Command::new(env!("CARGO_BIN_EXE_tickml"))
        .args([
            "stream",
            "--nats",
            &url,
            "--partition",
            "0/2",
            "--partition",
            "1/2",
        ])
        .args(&args)
        .output()
        .unwrap();
    assert!(w.status.success(), "{}", String::from_utf8_lossy(&w.stderr));
    let mut expected = HashMap::new();
    for p in 0..2 {
        let own: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| partition_of(l.split(',').nth(1).unwrap(), 2).unwrap() == p)
            .collect();
        let f = dir.join(format!("p{p}.csv"));
        std::fs::write(&f, format!("{header}\n{}\n", own.join("\n"))).unwrap();
        expected.extend(single_process(&f, Some(b)));
    }
    assert_eq!(expected.len(), 3200);
    assert_equal_decisions(&url, &expected, 2);
    let whole = single_process(&file, Some(b));
    let differing = expected
        .iter()
        .filter(|(k, v)| whole.get(*k) != Some(*v))
        .count();
    assert!(
        differing > 3000,
        "ranks over the partition, not the universe: {differing}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
