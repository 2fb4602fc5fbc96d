//! The firmware's decisions (the default bundle on a Cortex-M4 under QEMU, `firmware/`)
//! equal the host's `tickml stream` on the same bars, value for value and bit for bit.
//! Ignored in the normal suite (it needs QEMU's output): `scripts/firmware.sh` runs the
//! firmware and then this test with `TICKML_FIRMWARE_OUTPUT` naming the output.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn repo(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// Bitwise equality, NaN equal to NaN (and to JSON's null).
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
#[ignore = "needs the firmware's output (scripts/firmware.sh)"]
fn firmware_decisions_equal_the_host_stream() {
    let path = std::env::var("TICKML_FIRMWARE_OUTPUT").expect("TICKML_FIRMWARE_OUTPUT");
    let device = std::fs::read_to_string(&path).unwrap();
    let decisions: Vec<Vec<&str>> = device
        .lines()
        .filter(|l| l.starts_with("decision "))
        .map(|l| l.split(' ').collect())
        .collect();
    assert!(
        !device.lines().any(|l| l.starts_with("error")),
        "the firmware reported an error:\n{device}"
    );
    let csv = std::fs::read_to_string(repo("data/spx_daily.csv")).unwrap();
    let input: String = csv
        .lines()
        .take(1 + decisions.len())
        .map(|l| format!("{l}\n"))
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tickml"))
        .arg("stream")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let host: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(host.len(), decisions.len());
    assert_eq!(decisions.len(), 400);
    let num = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    let parse = |s: &str| s.parse::<f64>().unwrap();
    let mut spoke = 0;
    for (k, (d, h)) in decisions.iter().zip(&host).enumerate() {
        let ts = tickml_train::data::parse_timestamp(h["timestamp"].as_str().unwrap()).unwrap();
        assert_eq!(d[1].parse::<i64>().unwrap(), ts, "bar {k}");
        assert_eq!(d[2], h["signal"].as_str().unwrap(), "bar {k}");
        assert!(same(parse(d[3]), num(&h["confidence"])), "bar {k}: {d:?}");
        assert!(
            same(parse(d[4]), num(&h["weighted_signal"])),
            "bar {k}: {d:?}"
        );
        assert_eq!(d[5], h["regime"].as_str().unwrap(), "bar {k}");
        // bundle order: the strategy breakdown's
        let predictions: Vec<f64> = h["strategy_breakdown"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| num(&h["predictions"][b["name"].as_str().unwrap()]))
            .collect();
        assert_eq!(d.len(), 6 + predictions.len(), "bar {k}");
        for (p, q) in d[6..].iter().zip(&predictions) {
            assert!(same(parse(p), *q), "bar {k}: {p} vs {q}");
        }
        spoke += usize::from(!predictions[0].is_nan());
    }
    assert!(spoke > 150, "models decided {spoke} bars");
}
