//! Generated tree code (`tickml codegen`, `tickml_train::codegen`; made by `build.rs`
//! from the committed fixture models) compiles and predicts exactly what the blob
//! predicts on every fixture row (NaN, +-inf, zeros and every threshold at, below and
//! above), and so within the fixtures' bounds of LightGBM and XGBoost themselves.

mod common;

use common::repo_path;
use tickml_core::model::Model;

macro_rules! generated {
    ($($name:ident),*) => {
        $(
            #[allow(clippy::all, clippy::pedantic, dead_code, unused_parens)]
            mod $name {
                include!(concat!(env!("OUT_DIR"), "/codegen/", stringify!($name), ".rs"));
            }
        )*
    };
}

generated!(
    lgb_binary,
    lgb_regression,
    lgb_multiclass,
    lgb_rf,
    lgb_zero_missing,
    lgbm_200x31,
    xgb_binary,
    xgb_regression,
    xgb_multiclass,
    xgb_categorical
);

/// A fixture CSV of numbers: `<name>.rows.csv` (with a header) or `<name>.pred.csv`.
fn numbers(file: &str) -> Vec<Vec<f64>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(file.ends_with(".rows.csv"))
        .from_path(repo_path(&format!("tests/fixtures/models/{file}")))
        .unwrap();
    r.records()
        .map(|rec| {
            rec.unwrap()
                .iter()
                .map(|c| c.parse::<f64>().unwrap())
                .collect()
        })
        .collect()
}

/// Every row through the blob and the generated `predict`: bit for bit the same, and
/// within `tolerance` (relative) of the library's own predictions.
fn check<const N: usize, const K: usize>(
    file: &str,
    names: &[&str; N],
    predict: fn(&[f64; N]) -> [f64; K],
    tolerance: f64,
) {
    let name = file.split('.').next().unwrap();
    let blob = common::fixture_blob(file);
    let model = Model::from_blob(&blob).unwrap();
    assert_eq!(model.feature_names().collect::<Vec<_>>(), names.to_vec());
    let (rows, want) = (
        numbers(&format!("{name}.rows.csv")),
        numbers(&format!("{name}.pred.csv")),
    );
    assert!(rows.len() > 100, "{name}");
    let mut out = vec![0.0f64; K];
    for (i, (row, want)) in rows.iter().zip(&want).enumerate() {
        model.predict(row, &mut out).unwrap();
        let x: [f64; N] = row[..N].try_into().unwrap();
        let got = predict(&x);
        for k in 0..K {
            assert_eq!(
                got[k].to_bits(),
                out[k].to_bits(),
                "{name} row {i} output {k}"
            );
            let rel = (got[k] - want[k]).abs() / want[k].abs().max(1e-300);
            assert!(
                rel <= tolerance,
                "{name} row {i}: {} vs {}",
                got[k],
                want[k]
            );
        }
    }
}

#[test]
fn generated_lightgbm_code_predicts_as_the_blob() {
    check(
        "lgb_binary.txt",
        &lgb_binary::FEATURES,
        lgb_binary::predict,
        1e-12,
    );
    check(
        "lgb_regression.txt",
        &lgb_regression::FEATURES,
        lgb_regression::predict,
        1e-12,
    );
    check(
        "lgb_multiclass.txt",
        &lgb_multiclass::FEATURES,
        lgb_multiclass::predict,
        1e-12,
    );
    check("lgb_rf.txt", &lgb_rf::FEATURES, lgb_rf::predict, 1e-12);
    check(
        "lgb_zero_missing.txt",
        &lgb_zero_missing::FEATURES,
        lgb_zero_missing::predict,
        1e-12,
    );
}

#[test]
fn generated_xgboost_code_predicts_as_the_blob() {
    check(
        "xgb_binary.json",
        &xgb_binary::FEATURES,
        xgb_binary::predict,
        1e-6,
    );
    check(
        "xgb_regression.json",
        &xgb_regression::FEATURES,
        xgb_regression::predict,
        1e-6,
    );
    check(
        "xgb_multiclass.json",
        &xgb_multiclass::FEATURES,
        xgb_multiclass::predict,
        1e-6,
    );
    check(
        "xgb_categorical.json",
        &xgb_categorical::FEATURES,
        xgb_categorical::predict,
        1e-6,
    );
}

/// The benchmark's 200-tree model on pseudo-random rows with NaNs: bit for bit the blob.
#[test]
fn generated_code_of_the_benchmark_model_predicts_as_the_blob() {
    let blob = common::fixture_blob("lgbm_200x31.txt");
    let model = Model::from_blob(&blob).unwrap();
    let mut rng = tickml_train::rng::XorShift64::new(42);
    let mut out = [0.0f64];
    for _ in 0..2000 {
        let mut x = [0.0f64; 100];
        for v in x.iter_mut() {
            *v = if rng.uniform() < 0.05 {
                f64::NAN
            } else {
                4.0 * rng.uniform() - 2.0
            };
        }
        model.predict(&x, &mut out).unwrap();
        assert_eq!(lgbm_200x31::predict(&x)[0].to_bits(), out[0].to_bits());
    }
}
