//! `tickml publish` against a real `nats-server -js` (Debian's, installed by
//! `scripts/nats.sh`), started by the test on 127.0.0.1 with a temporary store and
//! killed at the end: 50 symbols over 6 partitions, every bar on its symbol's subject,
//! a republished file dropped by de-duplication, and the messages of a symbol decided by
//! `tickml stream` exactly as that symbol's rows of the file.

mod common;

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
    (server, format!("nats://127.0.0.1:{port}"))
}

/// 50 symbols x 40 daily bars, a timestamp's members together, prices a scaled slice
/// of the S&P 500 file so every bar is valid.
fn universe(dir: &std::path::Path) -> PathBuf {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/spx_daily.csv"),
    )
    .unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .take(BARS)
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
    let input = universe(&dir);
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
