//! Benjamini-Hochberg, Benjamini-Yekutieli and Holm equal statsmodels' `multipletests`
//! within 1e-12 (fixtures from tests/fixtures/gen_fdr.py).

mod common;

use common::repo_path;
use tickml_train::stats::fdr::{correct, FdrError, Method};

#[test]
fn equals_statsmodels() {
    let text = std::fs::read_to_string(repo_path("tests/fixtures/fdr_statsmodels.json")).unwrap();
    let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let mut worst = 0.0f64;
    for c in cases.as_array().unwrap() {
        let method = match c["method"].as_str().unwrap() {
            "fdr_bh" => Method::BenjaminiHochberg,
            "fdr_by" => Method::BenjaminiYekutieli,
            _ => Method::Holm,
        };
        let p = floats(&c["p"]);
        let got = correct(&p, c["alpha"].as_f64().unwrap(), method).unwrap();
        let want = floats(&c["adjusted"]);
        for (g, w) in got.adjusted.iter().zip(&want) {
            assert!(
                (g - w).abs() <= 1e-12 * w.abs().max(1e-300),
                "{method:?}: {g} vs {w}"
            );
            worst = worst.max((g - w).abs());
        }
        let rejected: Vec<bool> = c["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_bool().unwrap())
            .collect();
        assert_eq!(got.rejected, rejected, "{method:?} alpha {}", c["alpha"]);
    }
    println!("worst absolute difference {worst:e}");
}

#[test]
fn nan_is_not_a_test_and_bad_values_are_errors() {
    let got = correct(&[0.01, f64::NAN, 0.04], 0.05, Method::BenjaminiHochberg).unwrap();
    // m = 2: adjusted 0.02 and 0.04
    assert!(got.adjusted[1].is_nan() && !got.rejected[1]);
    assert_eq!(got.untested, 1, "the NaN is counted, not silently dropped");
    assert!((got.adjusted[0] - 0.02).abs() < 1e-15 && (got.adjusted[2] - 0.04).abs() < 1e-15);
    assert_eq!(
        correct(&[0.5, 1.5], 0.05, Method::Holm).unwrap_err(),
        FdrError::OutOfRange {
            index: 1,
            value: 1.5
        }
    );
    assert_eq!(
        correct(&[0.5], 0.0, Method::Holm).unwrap_err(),
        FdrError::BadAlpha
    );
}
