//! Gradient boosting at scale, the tickml side (run by `scripts/boost_scale.sh`): reads
//! the 1,000,000 x 100 rows `scripts/boost_scale.py make DIR` wrote and fits 100 trees
//! of depth 6 on 64 bins (LightGBM's parameters in the same script), then prints the time
//! and the process's peak resident memory.
//!
//! `cargo run --release -p tickml-train --example boost_scale -- DIR`

use std::time::Instant;

use tickml_train::models::boosting::GradientBoosting;
use tickml_train::models::{Matrix, ModelConfig, Task};

const COLS: usize = 100;

fn read_f32(path: &str) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    bytes
        .chunks_exact(4)
        .map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
        .collect()
}

/// The kernel's peak resident set of this process (`VmHWM`), in MB.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: boost_scale DIR");
    let x = read_f32(&format!("{dir}/x.f32"));
    let y = read_f32(&format!("{dir}/y.f32"));
    let config = ModelConfig {
        n_estimators: 100,
        max_depth: 6,
        min_samples_leaf: 20,
        learning_rate: 0.1,
        l2: 1.0,
        ..ModelConfig::default()
    };
    let m = Matrix {
        values: &x,
        cols: COLS,
    };
    let started = Instant::now();
    let model = GradientBoosting::fit(&m, &y, None, Task::Classification, &config).unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let correct = (0..100_000)
        .filter(|&i| (model.predict_row(m.row(i)) > 0.5) == (y[i] > 0.5))
        .count();
    println!(
        "tickml: {elapsed:.1} s (binning and 100 trees), peak RSS {:.0} MB, training accuracy on the first 100,000 rows {:.4}",
        peak_rss_mb(),
        correct as f64 / 100_000.0
    );
}
