//! Every model the factory trains exports to a core blob whose predictions equal the
//! trained model's own predictions on the training rows.

mod common;

use tickml_core::FeatureConfig;
use tickml_train::dataset::{prepare_data, InputConfig, TargetType};
use tickml_train::models::{Matrix, ModelConfig, ModelFactory, ModelType, Task, TrainError};

fn spx(target: TargetType, rows: usize) -> (Vec<f64>, Vec<f64>, Vec<String>) {
    let bars = common::load("spx_daily.csv");
    let d = prepare_data(
        &bars,
        &FeatureConfig::default(),
        &InputConfig::default(),
        target,
        5,
    )
    .unwrap();
    assert_eq!(d.dropped_columns, ["xs_rank", "xs_pct"]);
    assert_eq!(d.dropped_horizon, 5);
    assert!(d.dropped_warmup >= 199, "sma_200 warms up for 199 bars");
    let take: Vec<usize> = (0..rows.min(d.len())).collect();
    (
        d.rows(&take),
        take.iter().map(|&i| d.y[i]).collect(),
        d.names.clone(),
    )
}

#[test]
fn exported_blobs_reproduce_the_trained_models() {
    let config = ModelConfig {
        n_estimators: 15,
        max_depth: 3,
        ..Default::default()
    };
    let (x, y, names) = spx(TargetType::Direction, 1200);
    let m = Matrix {
        values: &x,
        cols: names.len(),
    };
    for model_type in [
        ModelType::LogisticRegression,
        ModelType::GradientBoosting,
        ModelType::DecisionTree,
        ModelType::RandomForest,
    ] {
        let trained = ModelFactory::create(model_type, &config, Task::Classification)
            .unwrap()
            .fit(&m, &y, &names)
            .unwrap();
        let own = trained.predict(&m);
        let blob = trained.predict_with_blob(&m).unwrap();
        // the forest's own prediction is its trees' vote share (each tree predicted by
        // smartcore), which the blob's mean of 0/1 leaves must equal
        for (i, (o, b)) in own.iter().zip(&blob).enumerate() {
            assert!(
                (o - b).abs() <= 1e-12 * o.abs().max(1e-12),
                "{model_type:?} row {i}: {o} vs {b}"
            );
        }
        if model_type == ModelType::RandomForest {
            assert!(
                own.iter().any(|p| *p > 0.0 && *p < 1.0),
                "vote shares, not hard classes"
            );
        }
        if model_type != ModelType::LogisticRegression {
            let imp = trained.impurity_importance().unwrap();
            assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
    }
    let (x, y, names) = spx(TargetType::Return, 1200);
    let m = Matrix {
        values: &x,
        cols: names.len(),
    };
    let regression = ModelConfig {
        alpha: 1e-4,
        ..config
    };
    for model_type in [
        ModelType::Ridge,
        ModelType::ElasticNet,
        ModelType::Lasso,
        ModelType::GradientBoosting,
    ] {
        let trained = ModelFactory::create(model_type, &regression, Task::Regression)
            .unwrap()
            .fit(&m, &y, &names)
            .unwrap();
        let own = trained.predict(&m);
        let blob = trained.predict_with_blob(&m).unwrap();
        let scale = own.iter().map(|v| v.abs()).fold(0.0, f64::max);
        for (o, b) in own.iter().zip(&blob) {
            assert!((o - b).abs() <= 1e-12 * scale, "{model_type:?}: {o} vs {b}");
        }
    }
}

#[test]
fn the_factory_refuses_mismatched_tasks() {
    let err = ModelFactory::create(
        ModelType::Ridge,
        &ModelConfig::default(),
        Task::Classification,
    )
    .unwrap_err();
    assert!(matches!(err, TrainError::UnsupportedTask { .. }));
    assert_eq!(err.to_string(), "ridge does not do Classification");
    // the design's factory names LightGBM and XGBoost: they are imported, not trained
    for (name, command) in [
        ("lightgbm", "tickml import lightgbm"),
        ("xgboost", "tickml import xgboost"),
    ] {
        let model = ModelType::from_name(name).unwrap();
        let err =
            ModelFactory::create(model, &ModelConfig::default(), Task::Classification).unwrap_err();
        assert!(matches!(err, TrainError::ImportOnly { .. }));
        assert!(err.to_string().contains(command), "{err}");
    }
}

#[test]
fn boosting_handles_missing_values_like_its_blob() {
    // a feature that is NaN on a third of the rows and informative when present
    let n = 600;
    let x: Vec<f64> = (0..n)
        .flat_map(|i| {
            [
                if i % 3 == 0 {
                    f64::NAN
                } else {
                    (i % 17) as f64
                },
                (i % 5) as f64,
            ]
        })
        .collect();
    let y: Vec<f64> = (0..n)
        .map(|i| f64::from(u8::from(i % 3 == 0 || i % 17 > 8)))
        .collect();
    let m = Matrix {
        values: &x,
        cols: 2,
    };
    let names = vec!["a".to_string(), "b".to_string()];
    let trained = ModelFactory::create(
        ModelType::GradientBoosting,
        &ModelConfig {
            min_samples_leaf: 5,
            ..Default::default()
        },
        Task::Classification,
    )
    .unwrap()
    .fit(&m, &y, &names)
    .unwrap();
    let own = trained.predict(&m);
    let blob = trained.predict_with_blob(&m).unwrap();
    assert!(own.iter().zip(&blob).all(|(o, b)| (o - b).abs() <= 1e-12));
    // the missing rows (all label 1) are learned
    assert!(own.iter().step_by(3).all(|&p| p > 0.9), "{:?}", &own[..9]);
}

#[test]
fn permutation_importance_finds_the_informative_feature() {
    use tickml_train::cv::{Labels, PurgedKFold};
    use tickml_train::dataset::{Dataset, InputColumn};
    use tickml_train::stats::importance::{
        cross_validate_with_importance_mask, importance_mask, permutation_importance, NestedMask,
    };
    // y depends on feature 0 only; features 1 and 2 are noise
    let n = 900;
    let mut rng = tickml_train::rng::XorShift64::new(0xDEAD_BEEF);
    let mut u = move || rng.uniform();
    let x: Vec<f64> = (0..n * 3).map(|_| u() - 0.5).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| f64::from(u8::from(x[i * 3] + 0.1 * (u() - 0.5) > 0.0)))
        .collect();
    let names: Vec<String> = vec!["signal".into(), "noise_a".into(), "noise_b".into()];
    let data = Dataset {
        inputs: names
            .iter()
            .map(|n| InputColumn {
                name: n.clone(),
                feature: n.clone(),
                transform: None,
            })
            .collect(),
        names,
        schema_hash: 0,
        x,
        forward_return: y.iter().map(|v| v - 0.5).collect(),
        close: vec![1.0; y.len()],
        next_return: y.iter().map(|v| v - 0.5).collect(),
        periods_per_year: 252.0,
        cost_bps: 0.0,
        y,
        target: TargetType::Direction,
        pca_neutralize: 0,
        dropped_level_features: vec![],
        labels: Labels::with_horizon(n, 1),
        weights: None,
        timestamps: (0..n as i64).collect(),
        symbol: vec![0; n],
        symbol_names: vec![],
        dropped_warmup: 0,
        dropped_horizon: 0,
        dropped_columns: vec![],
    };
    let splits = PurgedKFold {
        n_splits: 3,
        purge_gap: 0,
        embargo_pct: 0.0,
    }
    .split(&data.labels)
    .unwrap();
    let est = ModelFactory::create(
        ModelType::GradientBoosting,
        &ModelConfig {
            n_estimators: 20,
            min_samples_leaf: 10,
            ..Default::default()
        },
        Task::Classification,
    )
    .unwrap();
    let imp = permutation_importance(&est, &data, &splits, 7, 10).unwrap();
    // the informative feature's drop is many standard errors above 0; the noise
    // features' are within a few
    assert!(
        imp[0].mean > 0.2 && imp[0].mean > 10.0 * imp[0].std_error,
        "{imp:?}"
    );
    for noise in &imp[1..] {
        assert!(
            noise.mean.abs() < 0.05 && noise.mean.abs() <= 4.0 * noise.std_error + 1e-3,
            "{imp:?}"
        );
        assert!(noise.std_error > 0.0, "repeats give a spread");
    }
    assert_eq!(importance_mask(&imp, 0.05), [true, false, false]);
    // nested: each fold's mask comes from inner folds of its training rows only, so
    // scrambling the labels of the scoring rows changes no mask
    let nested = NestedMask {
        inner: PurgedKFold {
            n_splits: 3,
            purge_gap: 1,
            embargo_pct: 0.0,
        },
        threshold: 0.05,
        repeats: 3,
        seed: 11,
    };
    let (masks, cv) = cross_validate_with_importance_mask(&est, &data, &splits, &nested).unwrap();
    assert!(
        masks.iter().all(|m| m == &[true, false, false]),
        "{masks:?}"
    );
    assert!(cv.oof.iter().all(|p| p.is_finite()));
    for (k, split) in splits.iter().enumerate() {
        let mut scrambled = data.clone();
        for &i in &split.test {
            scrambled.y[i] = 1.0 - scrambled.y[i];
            scrambled.x[i * 3] = -scrambled.x[i * 3];
        }
        let (again, _) = cross_validate_with_importance_mask(
            &est,
            &scrambled,
            std::slice::from_ref(split),
            &nested,
        )
        .unwrap();
        assert_eq!(again[0], masks[k], "fold {k}'s mask saw its scoring rows");
    }
}
