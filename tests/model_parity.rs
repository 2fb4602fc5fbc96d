//! Imported LightGBM and XGBoost models predict what the libraries predict (fixtures
//! from tests/fixtures/gen_models.py): LightGBM within 1e-12 relative on the f64 path,
//! XGBoost within 1e-6, on rows that hit NaN, +-inf, zeros and every threshold exactly,
//! one step below and one step above. The compact layout ([`CompactTrees`]), row by row
//! and in batches, and [`QuickScorer`], row by row and rows side by side, predict bit
//! for bit as the blob walk.

mod common;

use common::repo_path;
use tickml_core::model::{
    CompactNode, CompactTrees, CompleteTrees, Model, ModelError, QuickScorer, ScorerRecord,
};
use tickml_train::import::{lightgbm, ImportError};

fn read_csv(name: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(!name.ends_with(".pred.csv"))
        .from_path(repo_path(&format!("tests/fixtures/models/{name}")))
        .unwrap();
    let header = if name.ends_with(".pred.csv") {
        vec![]
    } else {
        r.headers().unwrap().iter().map(str::to_string).collect()
    };
    let rows = r
        .records()
        .map(|rec| {
            rec.unwrap()
                .iter()
                .map(|c| c.parse::<f64>().unwrap())
                .collect()
        })
        .collect();
    (header, rows)
}

/// Returns the worst relative error over all rows and outputs.
fn check(model_file: &str, tolerance: f64) -> f64 {
    let name = model_file.split('.').next().unwrap();
    let blob = common::fixture_blob(model_file);
    let model = Model::from_blob(&blob).unwrap();
    let (header, rows) = read_csv(&format!("{name}.rows.csv"));
    let (_, expected) = read_csv(&format!("{name}.pred.csv"));
    assert_eq!(rows.len(), expected.len());
    let names: Vec<&str> = model.feature_names().collect();
    assert_eq!(names, header, "feature names come from the model file");
    let Model::Trees(trees) = model else {
        panic!("{name} is not a tree ensemble")
    };
    let mut buf = vec![CompactNode::default(); CompactTrees::records_needed(&trees)];
    let compact = CompactTrees::new(trees, &mut buf).unwrap();
    // the words QuickScorer needs are exact: one fewer is refused
    let needed = QuickScorer::records_needed(&trees);
    let mut short = vec![ScorerRecord::default(); needed - 1];
    assert!(QuickScorer::new(trees, &mut short).is_err(), "{name}");
    let mut scorer_buf = vec![ScorerRecord::default(); needed];
    let scorer = QuickScorer::new(trees, &mut scorer_buf).unwrap();
    // complete trees, where every tree is shallow enough and every node a threshold; the
    // words they need are exact
    let mut complete_buf = Vec::new();
    let complete = match CompleteTrees::records_needed(&trees) {
        Ok(needed) => {
            let mut short = vec![ScorerRecord::default(); needed - 1];
            assert!(matches!(
                CompleteTrees::new(trees, &mut short),
                Err(ModelError::CapacityExceeded { .. })
            ));
            complete_buf.resize(needed, ScorerRecord::default());
            Some(CompleteTrees::new(trees, &mut complete_buf).unwrap())
        }
        Err(e) => {
            println!("{name}: not laid out as complete trees ({e})");
            None
        }
    };
    let k = model.outputs();
    // every path: the blob walk, the compact walk row by row, and the compact batch
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    let mut batch = vec![0.0f64; rows.len() * k];
    compact.predict_many(&flat, &mut batch).unwrap();
    let mut scorer_batch = vec![0.0f64; rows.len() * k];
    scorer.predict_many(&flat, &mut scorer_batch).unwrap();
    let mut out = vec![0.0f64; k];
    let mut compact_out = vec![0.0f64; k];
    let mut scorer_out = vec![0.0f64; k];
    let mut worst = 0.0f64;
    for (i, (row, want)) in rows.iter().zip(&expected).enumerate() {
        model.predict(row, &mut out).unwrap();
        compact.predict(row, &mut compact_out).unwrap();
        scorer.predict(row, &mut scorer_out).unwrap();
        assert_eq!(out.len(), want.len(), "{name}: outputs");
        let bits = |v: &[f64]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&out),
            bits(&compact_out),
            "{name} row {i}: compact walk"
        );
        assert_eq!(bits(&out), bits(&scorer_out), "{name} row {i}: QuickScorer");
        if let Some(complete) = &complete {
            let mut complete_out = vec![0.0f64; k];
            complete.predict(row, &mut complete_out).unwrap();
            assert_eq!(
                bits(&out),
                bits(&complete_out),
                "{name} row {i}: complete trees"
            );
        }
        assert_eq!(
            bits(&out),
            bits(&batch[i * k..(i + 1) * k]),
            "{name} row {i}: batch"
        );
        assert_eq!(
            bits(&out),
            bits(&scorer_batch[i * k..(i + 1) * k]),
            "{name} row {i}: QuickScorer batch"
        );
        let paths = [
            &out[..],
            &compact_out[..],
            &batch[i * k..(i + 1) * k],
            &scorer_out[..],
            &scorer_batch[i * k..(i + 1) * k],
        ];
        let names = [
            "blob",
            "compact",
            "compact batch",
            "QuickScorer",
            "QuickScorer batch",
        ];
        for (path, got) in names.iter().zip(paths) {
            for (got, want) in got.iter().zip(want) {
                let rel = (got - want).abs() / want.abs().max(1e-300);
                assert!(
                    rel <= tolerance,
                    "{name} row {i} ({path}): {got} vs {want} (rel {rel:e}), row {row:?}"
                );
                worst = worst.max(rel);
            }
        }
    }
    println!(
        "{name}: {} rows, worst relative error {worst:e}",
        rows.len()
    );
    worst
}

#[test]
fn lightgbm_binary() {
    check("lgb_binary.txt", 1e-12);
}

#[test]
fn lightgbm_regression() {
    check("lgb_regression.txt", 1e-12);
}

#[test]
fn lightgbm_multiclass() {
    check("lgb_multiclass.txt", 1e-12);
}

#[test]
fn lightgbm_zero_as_missing() {
    check("lgb_zero_missing.txt", 1e-12);
}

#[test]
fn lightgbm_random_forest() {
    check("lgb_rf.txt", 1e-12);
}

#[test]
fn xgboost_binary() {
    check("xgb_binary.json", 1e-6);
}

#[test]
fn xgboost_regression() {
    check("xgb_regression.json", 1e-6);
}

#[test]
fn xgboost_multiclass() {
    check("xgb_multiclass.json", 1e-6);
}

#[test]
fn xgboost_categorical() {
    check("xgb_categorical.json", 1e-6);
}

#[test]
fn lightgbm_linear_trees_are_refused() {
    let text =
        std::fs::read_to_string(repo_path("tests/fixtures/models/lgb_linear_tree.txt")).unwrap();
    match lightgbm::parse(&text) {
        Err(ImportError::Format(msg)) | Err(ImportError::Unsupported(msg)) => {
            assert!(msg.contains("linear trees"), "{msg}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}
