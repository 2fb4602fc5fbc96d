//! Research statistics against scipy: the Nadeau-Bengio corrected resampled t-test
//! (`tests/fixtures/gen_stats.py`), and the split selection it runs on.

mod common;

use common::repo_path;
use tickml_train::cv::{disjoint_tests, CombinatorialPurgedCV, Labels, WalkForwardCV};
use tickml_train::stats::ttest::corrected_resampled_ttest;

#[test]
fn corrected_resampled_ttest_equals_scipy() {
    let text = std::fs::read_to_string(repo_path("tests/fixtures/ttest_scipy.json")).unwrap();
    let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut worst: f64 = 0.0;
    for c in cases.as_array().unwrap() {
        let d: Vec<f64> = c["d"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let got = corrected_resampled_ttest(
            &d,
            c["n_train"].as_f64().unwrap(),
            c["n_test"].as_f64().unwrap(),
        );
        let (t, p) = (c["t"].as_f64().unwrap(), c["p"].as_f64().unwrap());
        assert!(
            (got.t - t).abs() <= 1e-10 * t.abs().max(1.0),
            "{} vs {t}",
            got.t
        );
        assert!((got.p_value - p).abs() <= 1e-10, "{} vs {p}", got.p_value);
        worst = worst.max((got.p_value - p).abs());
        // the correction is conservative: never a smaller p than the plain paired test
        // when the mean difference is positive
        let plain = c["plain_p"].as_f64().unwrap();
        if t > 0.0 {
            assert!(got.p_value >= plain, "{} < {plain}", got.p_value);
        }
    }
    println!("worst p-value difference {worst:e}");
}

#[test]
fn zero_variance_gives_no_p_value() {
    // identical differences: the statistic is undefined, not infinitely significant
    let t = corrected_resampled_ttest(&[0.02, 0.02, 0.02, 0.02], 800.0, 200.0);
    assert!(t.p_value.is_nan() && t.t.is_nan());
    assert!(corrected_resampled_ttest(&[0.02], 800.0, 200.0)
        .p_value
        .is_nan());
}

/// Overlapping walk-forward windows and CPCV's repeated test groups are thinned to
/// splits whose test sets are disjoint before a test treats them as replications.
#[test]
fn tests_run_on_disjoint_test_sets() {
    let labels = Labels::with_horizon(400, 0);
    let wf = WalkForwardCV {
        train_size: 100,
        test_size: 30,
        step_size: 10,
        purge_gap: 0,
        expand_train: false,
    }
    .split(&labels)
    .unwrap();
    let chosen = disjoint_tests(&wf);
    // windows start at 100, 110, ...: every third one (100, 130, ...) is disjoint
    assert_eq!(wf.len(), 28);
    assert_eq!(
        chosen.iter().map(|s| s.test[0]).collect::<Vec<_>>(),
        (0..10).map(|k| 100 + 30 * k).collect::<Vec<_>>()
    );
    let cpcv = CombinatorialPurgedCV {
        n_splits: 6,
        n_test_splits: 2,
        purge: 0,
        embargo: 0,
    }
    .split_indices(600)
    .unwrap();
    let chosen = disjoint_tests(&cpcv.splits);
    // (0,1), (2,3), (4,5): three splits cover every group once
    assert_eq!(chosen.len(), 3);
    let mut seen = vec![0; 600];
    chosen
        .iter()
        .flat_map(|s| s.test.iter())
        .for_each(|&i| seen[i] += 1);
    assert!(seen.iter().all(|&c| c == 1));
}
