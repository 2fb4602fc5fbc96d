//! The lookahead audit passes the core's feature engine and names a planted leak.

mod common;

use tickml_core::FeatureConfig;
use tickml_train::audit::audit_lookahead;
use tickml_train::dataset::{compute_features, FeatureMatrix};

#[test]
fn the_core_engine_is_causal_and_a_planted_leak_is_named() {
    let bars = common::load("spx_daily.csv");
    let bars = &bars[..1500];
    let engine =
        |b: &[tickml_core::Bar<f64>]| compute_features(&FeatureConfig::default(), b).unwrap();
    let clean = audit_lookahead(bars, &engine, None, 4, 7);
    assert!(clean.is_clean(), "{clean:?}");
    // plant a leak: tomorrow's return as a feature, beside the honest ones
    let leaky = |b: &[tickml_core::Bar<f64>]| -> FeatureMatrix {
        let mut m = engine(b);
        let w = m.names.len();
        let mut values = Vec::with_capacity(m.rows * (w + 1));
        for t in 0..m.rows {
            values.extend_from_slice(m.row(t));
            values.push(if t + 1 < b.len() {
                b[t + 1].close() / b[t].close() - 1.0
            } else {
                f64::NAN
            });
        }
        m.names.push("next_return".into());
        m.values = values;
        m
    };
    let column = engine(bars)
        .names
        .iter()
        .position(|n| n == "rsi_14")
        .unwrap();
    let model = move |row: &[f64]| row[column] * 0.01 + row.last().copied().unwrap_or(0.0);
    let report = audit_lookahead(bars, &leaky, Some(&model), 4, 7);
    let names: Vec<&str> = report
        .leaking_features
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(names, ["next_return"], "{report:?}");
    assert!(report.leaking_prediction.is_some());
}
