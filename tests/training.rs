//! Research correctness of the training flow: targets fitted on training folds only,
//! scale-free inputs and the non-stationarity transforms, PCA fitted per fold, the
//! prediction-to-signal mapping shared with serving, and ensembles scored out of fold.

mod common;

use tickml_core::arbitrator::{Signal, StrategyFamily};
use tickml_core::pipeline::Pipeline;
use tickml_core::{Bar, FeatureConfig};
use tickml_train::cv::{Labels, PurgedKFold};
use tickml_train::dataset::{
    compute_features, prepare_data, Dataset, InputColumn, InputConfig, LevelFeatures, TargetType,
};
use tickml_train::ml::MLPipeline;
use tickml_train::models::{Matrix, ModelConfig, ModelType};
use tickml_train::pipeline::{build_bundle, meta_signals, train, CvConfig, TrainConfig};
use tickml_train::transforms::NonStationarity;

fn spx(n: usize) -> Vec<Bar<f64>> {
    common::load("spx_daily.csv").into_iter().take(n).collect()
}

fn dataset(bars: &[Bar<f64>], inputs: &InputConfig, target: TargetType) -> Dataset {
    prepare_data(bars, &FeatureConfig::default(), inputs, target, 5).unwrap()
}

/// Quantile classes of a fold come from edges fitted on its training rows: the test
/// rows' returns do not move a training label, and the edges equal a naive
/// recomputation (the values at ranks k n / bins of the sorted training returns).
#[test]
fn quantile_edges_are_fitted_on_the_training_fold() {
    let mut data = dataset(
        &spx(1500),
        &InputConfig::default(),
        TargetType::Quantile { bins: 3 },
    );
    let splits = PurgedKFold::default().split(&data.labels).unwrap();
    let split = &splits[1];
    let (ytr, yte) = data.fold_targets(&split.train, &split.test);
    let mut r: Vec<f64> = split
        .train
        .iter()
        .map(|&i| data.forward_return[i])
        .collect();
    r.sort_by(f64::total_cmp);
    let edges = [r[r.len() / 3], r[2 * r.len() / 3]];
    let class = |v: f64| edges.iter().filter(|&&e| v >= e).count() as f64;
    for (&i, &y) in split.train.iter().zip(&ytr) {
        assert_eq!(y, class(data.forward_return[i]));
    }
    for (&i, &y) in split.test.iter().zip(&yte) {
        assert_eq!(y, class(data.forward_return[i]));
    }
    // a wild test fold changes no training label
    for &i in &split.test {
        data.forward_return[i] *= 50.0;
    }
    assert_eq!(data.fold_targets(&split.train, &split.test).0, ytr);
}

/// The factory trains binary and regression models; a quantile target is refused with a
/// message that says what to do instead.
#[test]
fn quantile_targets_are_refused_with_a_clear_error() {
    let config = TrainConfig {
        target: "quantile:3".into(),
        ..TrainConfig::default()
    };
    let err = train(&spx(600), &config, &|_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("3 classes") && err.contains("tickml import"),
        "{err}"
    );
    let bad = TrainConfig {
        target: "quantile:1".into(),
        ..TrainConfig::default()
    };
    assert!(bad.task().unwrap_err().to_string().contains("quantile:N"));
}

/// The default inputs are scale-free: multiplying every price by 1000 and every volume
/// by 7 leaves every input as it was; kept level features would change.
#[test]
fn default_inputs_do_not_see_the_price_level() {
    let bars = spx(800);
    let scaled: Vec<Bar<f64>> = bars
        .iter()
        .map(|b| {
            Bar::new(
                b.timestamp(),
                b.open() * 1000.0,
                b.high() * 1000.0,
                b.low() * 1000.0,
                b.close() * 1000.0,
                b.volume() * 7.0,
            )
            .unwrap()
        })
        .collect();
    let a = dataset(&bars, &InputConfig::default(), TargetType::Direction);
    let b = dataset(&scaled, &InputConfig::default(), TargetType::Direction);
    assert_eq!(a.names, b.names);
    for name in [
        "sma_20",
        "ema_50",
        "macd",
        "atr_14",
        "obv",
        "vwap_10",
        "bb_upper_20",
    ] {
        assert!(!a.names.iter().any(|n| n == name), "{name} is an input");
        assert!(a.dropped_level_features.iter().any(|n| n == name));
    }
    for (c, name) in a.names.iter().enumerate() {
        for i in 0..a.len() {
            let (x, y) = (a.row(i)[c], b.row(i)[c]);
            assert!(
                (x - y).abs() <= 1e-7 * x.abs().max(1e-3),
                "{name} row {i}: {x} vs {y}"
            );
        }
    }
    let keep = InputConfig {
        level_features: LevelFeatures::Keep,
        ..InputConfig::default()
    };
    let a = dataset(&bars, &keep, TargetType::Direction);
    let b = dataset(&scaled, &keep, TargetType::Direction);
    let c = a.names.iter().position(|n| n == "sma_20").unwrap();
    assert!((b.row(0)[c] / a.row(0)[c] - 1000.0).abs() < 1e-6);
}

/// `level_features = "transform"` passes each level feature through the design's
/// dispatcher; `normalize` is the rolling z-score, here against a naive recomputation
/// from the engine's own column.
#[test]
fn level_features_can_be_transformed_causally() {
    let bars = spx(900);
    let inputs = InputConfig {
        level_features: LevelFeatures::Transform,
        transform: NonStationarity::Normalize { window: 60 },
        pca_neutralize: 0,
    };
    let data = dataset(&bars, &inputs, TargetType::Direction);
    let c = data
        .names
        .iter()
        .position(|n| n == "normalize_60(sma_20)")
        .unwrap();
    assert_eq!(
        data.inputs[c],
        InputColumn {
            name: "normalize_60(sma_20)".into(),
            feature: "sma_20".into(),
            transform: Some("normalize_60".into()),
        }
    );
    let raw = compute_features(&FeatureConfig::default(), &bars).unwrap();
    let rc = raw.column("sma_20").unwrap();
    for (k, &t) in data.labels.t0.iter().enumerate() {
        let w: Vec<f64> = (t + 1 - 60..=t).map(|r| raw.row(r)[rc]).collect();
        let mean = w.iter().sum::<f64>() / 60.0;
        let sd = (w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 60.0).sqrt();
        let expected = (raw.row(t)[rc] - mean) / sd;
        assert!((data.row(k)[c] - expected).abs() < 1e-9 * expected.abs().max(1.0));
    }
    // and the other dispatcher methods
    let x = [1.0, 4.0, 2.0, 8.0, 5.0];
    assert_eq!(NonStationarity::Diff { lag: 2 }.apply(&x)[3], 4.0);
    assert_eq!(
        NonStationarity::Quantile { window: 3 }.apply(&x)[4],
        2.0 / 3.0
    );
}

/// PCA neutralisation is fitted on the training rows only and removes their leading
/// component: on columns driven by one common factor, the neutralised training columns
/// no longer follow it, and the test rows never change the fit.
#[test]
fn pca_neutralisation_is_fitted_on_the_training_fold() {
    let (n, cols) = (400, 5);
    let mut rng = tickml_train::rng::XorShift64::new(99);
    let factor: Vec<f64> = (0..n).map(|_| rng.uniform() - 0.5).collect();
    let x: Vec<f64> = (0..n)
        .flat_map(|i| {
            let f = factor[i];
            (0..cols)
                .map(|c| f * (1.0 + c as f64) + 0.05 * (rng.uniform() - 0.5))
                .collect::<Vec<_>>()
        })
        .collect();
    let names: Vec<String> = (0..cols).map(|c| format!("x{c}")).collect();
    let mut data = Dataset {
        inputs: vec![],
        names,
        schema_hash: 0,
        x,
        y: vec![0.0; n],
        target: TargetType::Direction,
        pca_neutralize: 1,
        forward_return: vec![0.0; n],
        close: vec![1.0; n],
        next_return: vec![0.0; n],
        periods_per_year: 252.0,
        cost_bps: 0.0,
        labels: Labels::with_horizon(n, 1),
        weights: None,
        timestamps: (0..n as i64).collect(),
        symbol: vec![0; n],
        symbol_names: vec![],
        dropped_warmup: 0,
        dropped_horizon: 0,
        dropped_columns: vec![],
        dropped_level_features: vec![],
    };
    let train_rows: Vec<usize> = (0..300).collect();
    let test: Vec<usize> = (300..n).collect();
    let all: Vec<usize> = (0..cols).collect();
    let corr = |a: &[f64], b: &[f64]| {
        let m = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / m, b.iter().sum::<f64>() / m);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        cov / (va * vb).sqrt()
    };
    let (xtr, _) = data.fold_matrices(&train_rows, &test, &all);
    let f: Vec<f64> = train_rows.iter().map(|&i| factor[i]).collect();
    for c in 0..cols {
        let column: Vec<f64> = (0..train_rows.len()).map(|r| xtr[r * cols + c]).collect();
        let raw: Vec<f64> = train_rows.iter().map(|&i| data.row(i)[c]).collect();
        assert!(corr(&raw, &f) > 0.99);
        assert!(
            corr(&column, &f).abs() < 0.2,
            "column {c}: {}",
            corr(&column, &f)
        );
    }
    // moving the test rows changes nothing in the training rows' inputs
    for i in 300 * cols..n * cols {
        data.x[i] *= -40.0;
    }
    assert_eq!(data.fold_matrices(&train_rows, &test, &all).0, xtr);
    // a model trained on research-only inputs cannot be bundled
    let config = TrainConfig {
        inputs: InputConfig {
            pca_neutralize: 2,
            ..InputConfig::default()
        },
        models: vec!["logistic_regression".into()],
        ..TrainConfig::default()
    };
    let bars = spx(900);
    let (data, report) = train(&bars, &config, &|_, _, _| {}).unwrap();
    assert_eq!(report.models[0].pca_neutralize, 2);
    let err = build_bundle(&data, &config, &report)
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot be bundled"), "{err}");
}

/// A return target's predictions are returns: its signals are their signs, in training
/// (the meta-learner's inputs) as in serving (the bundle's strategies), not a 0.5
/// threshold that would turn every prediction into Short.
#[test]
fn a_return_target_bundle_maps_predictions_by_their_sign() {
    let bars = spx(1600);
    let config = TrainConfig {
        target: "return".into(),
        models: vec!["gradient_boosting".into(), "ridge".into()],
        model: ModelConfig {
            n_estimators: 10,
            alpha: 1e-3,
            ..ModelConfig::default()
        },
        ..TrainConfig::default()
    };
    let (data, report) = train(&bars, &config, &|_, _, _| {}).unwrap();
    let mut seen = [0usize; 3];
    for i in 0..data.len() {
        let Some(signals) = meta_signals(&report.models, i, false) else {
            continue;
        };
        for (m, s) in report.models.iter().zip(&signals) {
            assert_eq!(*s, m.oof[i].signum());
            seen[(*s + 1.0) as usize] += 1;
        }
    }
    assert!(seen[0] > 0 && seen[2] > 0, "both directions: {seen:?}");
    let bundle = build_bundle(&data, &config, &report).unwrap();
    let mut pipeline = Pipeline::<f64>::from_bundle(&bundle).unwrap();
    let mut checked = 0;
    for bar in &bars {
        let d = pipeline.on_bar(bar).unwrap();
        for (p, b) in d.predictions.iter().zip(&d.arbitration.strategy_breakdown) {
            if p.is_finite() && *p != 0.0 {
                let expected = if *p > 0.0 {
                    Signal::Long
                } else {
                    Signal::Short
                };
                assert_eq!(b.signal, expected);
                assert_eq!(b.confidence, 1.0);
                checked += 1;
            }
        }
    }
    assert!(checked > 1000);
}

/// `MLPipeline` fits every model per fold (`{model}_fold_{k}`), so the splitter
/// matters, and the ensemble's decisions use out-of-fold predictions only: each equals
/// the prediction of the fold model whose split tested that sample, and that split did
/// not train on it. The forest's confidence is its vote share.
#[test]
fn the_ensemble_is_scored_out_of_fold() {
    let bars = spx(1400);
    let mut ml = MLPipeline::new(
        FeatureConfig::default(),
        ModelConfig {
            n_estimators: 10,
            ..ModelConfig::default()
        },
    );
    let data = ml.prepare_data(&bars, TargetType::Direction, 5).unwrap();
    ml.cv = CvConfig::WalkForward {
        train_size: 400,
        test_size: 100,
        step_size: 100,
        purge_gap: 5,
        expand_train: false,
    };
    let strategies = [
        (ModelType::RandomForest, StrategyFamily::MlModel),
        (
            ModelType::LogisticRegression,
            StrategyFamily::TrendFollowing,
        ),
    ];
    let ensemble = ml.create_ensemble(&data, &strategies).unwrap();
    let splits = ml.cv.splits(&data).unwrap();
    assert_eq!(ensemble.models[0].folds.len(), splits.len());
    assert_eq!(ensemble.models[0].folds[2].0, "random_forest_fold_2");
    let first_tested = splits[0].test[0];
    assert_eq!(ensemble.decisions.first().unwrap().0, first_tested);
    assert_eq!(
        ensemble.decisions.len(),
        splits.iter().map(|s| s.test.len()).sum::<usize>()
    );
    let all: Vec<usize> = (0..data.width()).collect();
    let mut partial_confidence = 0;
    for (k, decision) in &ensemble.decisions {
        let fold = splits.iter().rposition(|s| s.test.contains(k)).unwrap();
        assert!(!splits[fold].train.contains(k));
        let (_, row) = data.fold_matrices(&splits[fold].train, &[*k], &all);
        for (m, b) in ensemble.models.iter().zip(&decision.strategy_breakdown) {
            let p = m.folds[fold].1.predict_with_blob(&Matrix {
                values: &row,
                cols: all.len(),
            });
            assert_eq!(p.unwrap()[0], m.oof[*k]);
            assert!((b.confidence - (2.0 * m.oof[*k] - 1.0).abs()).abs() < 1e-12);
        }
        let forest = &decision.strategy_breakdown[0];
        if forest.confidence > 0.0 && forest.confidence < 1.0 {
            partial_confidence += 1;
        }
    }
    assert!(partial_confidence > 100, "vote shares, not hard votes");
    // another splitter, other decisions
    ml.create_cv_splitter("purged").unwrap();
    let purged = ml.create_ensemble(&data, &strategies).unwrap();
    assert_eq!(purged.decisions.len(), data.len());
}

/// The meta-learner is trained on the inputs it is served: a strategy the arbitrator
/// has silenced enters as 0, not as its out-of-fold signal. Strategy 1 here is always
/// wrong (the opposite of the next bar's move), so it is silenced after its first
/// scored bars and stays silenced; its signal and both interactions are then 0 while
/// its predictions still say long or short. The names follow the design's
/// `_create_meta_features`.
#[test]
fn the_meta_learner_sees_silenced_strategies_as_zero() {
    use tickml_core::arbitrator::ArbitratorConfig;
    use tickml_train::evaluate::Scores;
    use tickml_train::pipeline::{meta_training_rows, ModelReport};
    let bars = spx(900);
    let data = dataset(&bars, &InputConfig::default(), TargetType::Direction);
    // the next bar's move, seen from each sample's bar
    let next_up: Vec<bool> = data
        .labels
        .t0
        .iter()
        .map(|&t| bars[t + 1].close() > bars[t].close())
        .collect();
    let report = |name: &str, oof: Vec<f64>| {
        let nan = Scores {
            accuracy: f64::NAN,
            roc_auc: f64::NAN,
            log_loss: f64::NAN,
            sharpe: f64::NAN,
        };
        ModelReport {
            model: name.into(),
            folds: vec![],
            mean: nan,
            out_of_fold: nan,
            importance: None,
            inputs: vec![],
            pca_neutralize: 0,
            cpcv_path_sharpes: None,
            oof,
            blob: vec![],
        }
    };
    // a strategy's signal at sample k is scored by the move to sample k + 1
    let wrong: Vec<f64> = next_up.iter().map(|&u| if u { 0.2 } else { 0.8 }).collect();
    let noise: Vec<f64> = (0..data.len())
        .map(|k| if k % 3 == 0 { 0.6 } else { 0.4 })
        .collect();
    let reports = [report("wrong", wrong), report("noise", noise)];
    let meta = meta_training_rows(&data, &reports, true, &ArbitratorConfig::default()).unwrap();
    let (rows, x, names) = (meta.samples, meta.x, meta.names);
    assert_eq!(
        names,
        [
            "volatility_regime",
            "trend_strength",
            "signal_1",
            "interaction_1_volatility_regime",
            "interaction_1_trend_strength",
            "signal_2",
            "interaction_2_volatility_regime",
            "interaction_2_trend_strength"
        ]
    );
    assert_eq!(rows.len(), data.len());
    let w = names.len();
    let tail = &x[100 * w..];
    let zeroed = tail
        .chunks(w)
        .filter(|r| r[2] == 0.0 && r[3] == 0.0 && r[4] == 0.0)
        .count();
    assert_eq!(
        zeroed,
        tail.len() / w,
        "the always-wrong strategy stays silenced"
    );
    // the vol and trend columns are the samples' own features
    let vol = data.names.iter().position(|n| n == "vol_regime").unwrap();
    assert!(rows
        .iter()
        .zip(x.chunks(w))
        .all(|(&k, r)| r[0] == data.row(k)[vol]));
}

/// CPCV keeps its backtest paths: each path's Sharpe ratio equals a naive recomputation
/// from the splits' own out-of-sample predictions (path p takes fold f from split
/// `paths[p][f]`, positions 2p - 1 held one bar, net of costs, annualised from the data).
#[test]
fn cpcv_reports_the_sharpe_ratio_of_every_backtest_path() {
    use tickml_train::cv::CombinatorialPurgedCV;
    use tickml_train::evaluate::cross_validate;
    use tickml_train::models::{ModelFactory, Task};
    let bars = spx(1400);
    let config = TrainConfig {
        models: vec!["logistic_regression".into()],
        cv: CvConfig::Combinatorial {
            n_splits: 5,
            n_test_splits: 2,
            purge: 5,
            embargo: 10,
        },
        cost_bps: 3.0,
        ..TrainConfig::default()
    };
    let (data, report) = train(&bars, &config, &|_, _, _| {}).unwrap();
    let got = report.models[0].cpcv_path_sharpes.clone().unwrap();
    let cv = CombinatorialPurgedCV {
        n_splits: 5,
        n_test_splits: 2,
        purge: 5,
        embargo: 10,
    }
    .split_labels(&data.labels)
    .unwrap();
    assert_eq!(got.len(), 4, "k C(N, k) / N = 2 x 10 / 5 paths");
    let est = ModelFactory::create(
        ModelType::LogisticRegression,
        &ModelConfig::default(),
        Task::Classification,
    )
    .unwrap();
    let all: Vec<usize> = (0..data.width()).collect();
    let per_split: Vec<Vec<f64>> = cv
        .splits
        .iter()
        .map(|s| {
            cross_validate(&est, &data, std::slice::from_ref(s), &all)
                .unwrap()
                .oof
        })
        .collect();
    let n = data.len();
    let size = n / 5;
    let ppy = (bars.len() - 1) as f64
        / ((bars[bars.len() - 1].timestamp() - bars[0].timestamp()) as f64
            / (365.25 * 86_400.0 * 1e9));
    for (p, path) in cv.paths.iter().enumerate() {
        let mut net = Vec::new();
        let mut previous = 0.0;
        for (k, &t) in data.labels.t0.iter().enumerate() {
            let fold = (k / size).min(4);
            let position = 2.0 * per_split[path[fold]][k] - 1.0;
            let r = bars[t + 1].close() / bars[t].close() - 1.0;
            net.push(position * r - 3.0 / 1e4 * (position - previous).abs());
            previous = position;
        }
        let mean = net.iter().sum::<f64>() / n as f64;
        let sd = (net.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        let want = mean / sd * ppy.sqrt();
        assert!(
            (got[p] - want).abs() < 1e-9,
            "path {p}: {} vs {want}",
            got[p]
        );
    }
    // the paths' baseline: long every sample, one entry cost
    let hold: Vec<f64> = data
        .labels
        .t0
        .iter()
        .enumerate()
        .map(|(k, &t)| {
            bars[t + 1].close() / bars[t].close() - 1.0 - if k == 0 { 3e-4 } else { 0.0 }
        })
        .collect();
    let n = hold.len() as f64;
    let mean = hold.iter().sum::<f64>() / n;
    let sd = (hold.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let want = mean / sd * ppy.sqrt();
    let baseline = report.cpcv_buy_and_hold.unwrap();
    assert!((baseline - want).abs() < 1e-9, "{baseline} vs {want}");
}
