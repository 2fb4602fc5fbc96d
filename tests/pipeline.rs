//! The deployable pipeline: snapshots restore to identical decisions, refused bars
//! change nothing, and a bundle for another schema is refused.

mod common;

use common::repo_path;
use tickml_core::pipeline::{Pipeline, PipelineError};
use tickml_core::Bar;

fn bundle() -> Vec<u8> {
    std::fs::read(repo_path("stream-cli/assets/default_bundle.tml")).unwrap()
}

#[test]
fn snapshots_restore_to_identical_decisions() {
    let bytes = bundle();
    let bars = common::load("spx_daily.csv");
    let mut straight = Pipeline::<f64>::from_bundle(&bytes).unwrap();
    let mut first = Pipeline::<f64>::from_bundle(&bytes).unwrap();
    for b in &bars[..700] {
        straight.on_bar(b).unwrap();
        first.on_bar(b).unwrap();
    }
    let mut buf = vec![0u8; 1 << 20];
    let snapshot = first.snapshot(&mut buf).unwrap().to_vec();
    let mut restored = Pipeline::<f64>::from_bundle(&bytes).unwrap();
    restored.restore(&snapshot).unwrap();
    for b in &bars[700..1500] {
        let (x, y) = (straight.on_bar(b).unwrap(), restored.on_bar(b).unwrap());
        assert_eq!(format!("{x:?}"), format!("{y:?}"));
    }
    println!("pipeline state snapshot: {} bytes", snapshot.len());
}

/// A clone of a fresh pipeline decides as one decoded from the bundle, and a clone taken
/// mid-stream goes on as the original (what `train::session` relies on when it clones
/// its template for each new symbol).
#[test]
fn a_clone_decides_as_a_decoded_pipeline() {
    let bytes = bundle();
    let bars = common::load("spx_daily.csv");
    let template = Pipeline::<f64>::from_bundle(&bytes).unwrap();
    let mut decoded = Pipeline::<f64>::from_bundle(&bytes).unwrap();
    let mut cloned = template.clone();
    for b in &bars[..700] {
        let (x, y) = (decoded.on_bar(b).unwrap(), cloned.on_bar(b).unwrap());
        assert_eq!(format!("{x:?}"), format!("{y:?}"));
    }
    let mut midway = decoded.clone();
    for b in &bars[700..1200] {
        let (x, y) = (decoded.on_bar(b).unwrap(), midway.on_bar(b).unwrap());
        assert_eq!(format!("{x:?}"), format!("{y:?}"));
    }
    // the template saw nothing
    let mut fresh = Pipeline::<f64>::from_bundle(&bytes).unwrap();
    let mut again = template.clone();
    let (x, y) = (
        fresh.on_bar(&bars[0]).unwrap(),
        again.on_bar(&bars[0]).unwrap(),
    );
    assert_eq!(format!("{x:?}"), format!("{y:?}"));
}

#[test]
fn a_warmed_pipeline_sees_the_same_features_and_regime_with_a_fresh_arbitrator() {
    let bytes = bundle();
    let bars = common::load("spx_daily.csv");
    let mut straight = Pipeline::<f64>::from_bundle(&bytes).unwrap();
    let mut warmed = Pipeline::<f64>::from_bundle(&bytes).unwrap();
    for b in &bars[..700] {
        straight.on_bar(b).unwrap();
        warmed.warm(b).unwrap();
    }
    // the strategies have no record yet: nothing was scored while warming
    assert!(warmed
        .strategy_summary()
        .iter()
        .all(|s| s.score.is_none() && s.bars_silenced == 0));
    let mut fresh_weights_seen = false;
    for (k, b) in bars[700..800].iter().enumerate() {
        let (x, y) = (straight.on_bar(b).unwrap(), warmed.on_bar(b).unwrap());
        assert_eq!(x.predictions, y.predictions, "bar {k}");
        assert_eq!(x.arbitration.regime, y.arbitration.regime);
        assert_eq!(
            x.arbitration.regime_confidence,
            y.arbitration.regime_confidence
        );
        if k == 0 {
            // no scores yet: every active strategy weighs the same
            let w: Vec<f64> = y
                .arbitration
                .strategy_breakdown
                .iter()
                .map(|s| s.weight)
                .collect();
            assert!(w.iter().all(|v| (v - w[0]).abs() < 1e-15), "{w:?}");
            fresh_weights_seen =
                x.arbitration.strategy_breakdown != y.arbitration.strategy_breakdown;
        }
    }
    assert!(
        fresh_weights_seen,
        "the straight pipeline's arbitrator had a record"
    );
    // a refused bar leaves a warming pipeline unchanged
    let mut buf = vec![0u8; 1 << 20];
    let before = warmed.snapshot(&mut buf).unwrap().to_vec();
    assert!(warmed.warm(&bars[10]).is_err());
    assert_eq!(warmed.snapshot(&mut buf).unwrap().to_vec(), before);
}

#[test]
fn a_refused_bar_changes_nothing() {
    let bytes = bundle();
    let bars = common::load("spx_daily.csv");
    let mut p = Pipeline::<f64>::from_bundle(&bytes).unwrap();
    for b in &bars[..300] {
        p.on_bar(b).unwrap();
    }
    let mut buf = vec![0u8; 1 << 20];
    let before = p.snapshot(&mut buf).unwrap().to_vec();
    let stale = Bar::new(bars[299].timestamp(), 10.0, 11.0, 9.0, 10.0, 1.0).unwrap();
    assert!(matches!(
        p.on_bar(&stale),
        Err(PipelineError::Features(
            tickml_core::Error::TimestampNotIncreasing { .. }
        ))
    ));
    assert_eq!(p.snapshot(&mut buf).unwrap().to_vec(), before);
}

#[test]
fn damaged_or_foreign_bundles_are_refused() {
    let mut bytes = bundle();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    assert!(Pipeline::<f64>::from_bundle(&bytes).is_err());
    // a model blob is not a bundle
    let model = std::fs::read(repo_path("tests/fixtures/models/lgb_binary.txt")).unwrap();
    let blob = tickml_train::import::lightgbm::parse(std::str::from_utf8(&model).unwrap())
        .unwrap()
        .to_blob(0)
        .unwrap();
    assert!(matches!(
        Pipeline::<f64>::from_bundle(&blob),
        Err(PipelineError::Model(
            tickml_core::model::ModelError::UnexpectedKind { kind: 1 }
        ))
    ));
}

/// A snapshot is bound to its bundle: restoring one from a pipeline of another bundle
/// (same features, other models) is refused and changes nothing, instead of silently
/// replacing this pipeline's strategies and arbitrator.
#[test]
fn a_snapshot_of_another_bundle_is_refused() {
    use tickml_core::arbitrator::StrategyFamily;
    use tickml_core::model::Link;
    use tickml_train::export::LinearSpec;
    let model = LinearSpec {
        feature_names: vec!["rsi_14".into()],
        link: Link::Sigmoid,
        intercept: 0.0,
        coefficients: vec![0.01],
    }
    .to_blob(0)
    .unwrap();
    let other = common::one_model_bundle(1, StrategyFamily::Momentum, model, None);
    let bars = common::load("spx_daily.csv");
    let mut foreign = Pipeline::<f64>::from_bundle(&other).unwrap();
    let default = bundle();
    let mut ours = Pipeline::<f64>::from_bundle(&default).unwrap();
    for b in &bars[..260] {
        foreign.on_bar(b).unwrap();
        ours.on_bar(b).unwrap();
    }
    let mut buf = vec![0u8; 1 << 20];
    let snapshot = foreign.snapshot(&mut buf).unwrap().to_vec();
    let mut mine = vec![0u8; 1 << 20];
    let before = ours.snapshot(&mut mine).unwrap().to_vec();
    assert!(matches!(
        ours.restore(&snapshot),
        Err(PipelineError::ForeignSnapshot { .. })
    ));
    assert_eq!(ours.snapshot(&mut mine).unwrap().to_vec(), before);
}

/// A multiclass model cannot be a strategy: its first class probability is not P(up).
#[test]
fn a_multiclass_strategy_is_refused() {
    use tickml_core::arbitrator::StrategyFamily;

    let text =
        std::fs::read_to_string(repo_path("tests/fixtures/models/lgb_multiclass.txt")).unwrap();
    let model = tickml_train::import::lightgbm::parse(&text)
        .unwrap()
        .to_blob(0)
        .unwrap();
    let bundle = common::one_model_bundle(3, StrategyFamily::MlModel, model, None);
    assert!(matches!(
        Pipeline::<f64>::from_bundle(&bundle),
        Err(PipelineError::MultiOutputStrategy {
            strategy_id: 3,
            outputs: 3
        })
    ));
}

/// A decision against an independent recomputation, bar by bar: the inputs from the
/// naive batch reference (`tests/common/naive.rs`), the model's output from smartcore's
/// own logistic regression on those inputs, and the arbitrator's arithmetic by hand for
/// one strategy (its score the Sharpe of its realised returns, weight 1, weighted sum
/// `s c`, the confidence formula).
#[test]
fn decisions_equal_an_independent_recomputation() {
    use tickml_core::arbitrator::{ArbitratorConfig, Signal, StrategyFamily};
    use tickml_core::FeatureConfig;
    use tickml_train::dataset::{prepare_data, InputConfig, TargetType};

    use tickml_train::models::{Matrix, ModelConfig, ModelFactory, ModelType, Task};
    let bars = common::load("spx_daily.csv");
    let names = ["close_to_sma_20", "logret_5", "rvol_20", "zscore_20"];
    let data = prepare_data(
        &bars,
        &FeatureConfig::default(),
        &InputConfig::default(),
        TargetType::Direction,
        5,
    )
    .unwrap();
    let cols: Vec<usize> = names
        .iter()
        .map(|n| data.names.iter().position(|m| m == n).unwrap())
        .collect();
    let rows: Vec<usize> = (0..1500).collect();
    let data = &data;
    let x: Vec<f64> = rows
        .iter()
        .flat_map(|&r| cols.iter().map(move |&c| data.row(r)[c]))
        .collect();
    let y: Vec<f64> = rows.iter().map(|&r| data.y[r]).collect();
    let names_owned: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let model = ModelFactory::create(
        ModelType::LogisticRegression,
        &ModelConfig::default(),
        Task::Classification,
    )
    .unwrap()
    .fit(
        &Matrix {
            values: &x,
            cols: 4,
        },
        &y,
        &names_owned,
    )
    .unwrap();
    let _config = ArbitratorConfig::default();
    let bundle = common::one_model_bundle(
        1,
        StrategyFamily::MlModel,
        model.to_blob(data.schema_hash).unwrap(),
        None,
    );
    let mut pipeline = Pipeline::<f64>::from_bundle(&bundle).unwrap();
    let index: Vec<usize> = names
        .iter()
        .map(|n| pipeline.feature_set().schema().index_of(n).unwrap())
        .collect();
    let mut realised: Vec<f64> = Vec::new();
    let mut previous_signal = 0.0;
    let mut checked = 0;
    for t in 0..1300 {
        let d = pipeline.on_bar(&bars[t]).unwrap();
        // every bar scores the previous signal (the first against a return of 0)
        let market = if t > 0 {
            bars[t].close() / bars[t - 1].close() - 1.0
        } else {
            0.0
        };
        realised.push(previous_signal * market);
        // the inputs, from the naive reference
        let naive: Vec<Option<f64>> = names
            .iter()
            .map(|n| common::naive::feature(n, &bars, t).unwrap())
            .collect();
        for (k, v) in naive.iter().enumerate() {
            let ours = pipeline.features().get(index[k]);
            match (ours, v) {
                (Some(a), Some(b)) => assert!(
                    (a - b).abs() <= 1e-9 * b.abs().max(1e-6),
                    "{} at {t}",
                    names[k]
                ),
                (None, None) => {}
                other => panic!("{} at {t}: {other:?}", names[k]),
            }
        }
        // the prediction, from smartcore's own model on the naive inputs
        let p = d.predictions[0];
        if naive.iter().all(Option::is_some) {
            let row: Vec<f64> = naive.iter().map(|v| v.unwrap()).collect();
            let expected = model.predict(&Matrix {
                values: &row,
                cols: 4,
            })[0];
            assert!(
                (p - expected).abs() < 1e-9,
                "prediction at {t}: {p} vs {expected}"
            );
        } else {
            assert!(p.is_nan());
        }
        // the arbitrator by hand
        let a = &d.arbitration;
        let b = &a.strategy_breakdown[0];
        let (signal, confidence) = if p.is_nan() {
            (Signal::Neutral, 0.0)
        } else if p > 0.5 {
            (Signal::Long, 2.0 * p - 1.0)
        } else {
            (Signal::Short, 1.0 - 2.0 * p)
        };
        assert_eq!((b.signal, b.confidence), (signal, confidence));
        let window = &realised[realised.len().saturating_sub(63)..];
        if window.len() >= 20 {
            let n = window.len() as f64;
            let mean = window.iter().sum::<f64>() / n;
            let sd = (window.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            let sharpe = if sd > 0.0 { mean / sd } else { 0.0 };
            assert!((b.score.unwrap() - sharpe).abs() < 1e-9, "score at {t}");
        } else {
            assert_eq!(b.score, None);
        }
        if b.silenced {
            assert_eq!(
                (a.signal, a.confidence, b.weight),
                (Signal::Neutral, 0.0, 0.0)
            );
        } else {
            let ws = signal.value() * confidence;
            assert_eq!(b.weight, 1.0);
            assert!((a.weighted_sum - ws).abs() < 1e-15 && (a.weighted_signal - ws).abs() < 1e-15);
            let decided = if ws > 0.1 {
                Signal::Long
            } else if ws < -0.1 {
                Signal::Short
            } else {
                Signal::Neutral
            };
            assert_eq!(a.signal, decided);
            let consensus = if signal == decided { 1.0 } else { 0.0 };
            let expected =
                (0.4 * ws.abs() + 0.2 * confidence + 0.2 * consensus + 0.2 * a.regime_confidence)
                    .clamp(0.0, 1.0);
            assert!((a.confidence - expected).abs() < 1e-12, "confidence at {t}");
            checked += 1;
        }
        previous_signal = signal.value();
    }
    assert!(checked > 500, "{checked}");
}

/// A universe member's bar in two halves: a second bar before the first finishes, or a
/// finish without a begin, is refused and changes nothing; finishing against the
/// member's own input alone is a lone cross-section (`xs_pct` 0.5, `xs_rank` 1).
#[test]
fn a_member_bar_begins_then_finishes_and_out_of_turn_calls_are_refused() {
    let bytes = bundle();
    let bars = common::load("spx_daily.csv");
    let mut p = Pipeline::<f64>::from_bundle(&bytes).unwrap();
    assert_eq!(p.finish_bar(&[]), Err(PipelineError::NoBarInProgress));
    for b in &bars[..300] {
        p.on_bar(b).unwrap();
    }
    let own = p
        .begin_bar(&bars[300])
        .unwrap()
        .expect("a return from the second bar on");
    assert_eq!(own.log_return, (bars[300].close() / bars[299].close()).ln());
    let mut buf = vec![0u8; 1 << 20];
    let before = p.snapshot(&mut buf).unwrap().to_vec();
    let busy = Err(PipelineError::BarInProgress {
        timestamp: bars[300].timestamp(),
    });
    assert_eq!(p.on_bar(&bars[301]).map(|_| ()), busy);
    assert_eq!(p.begin_bar(&bars[301]).map(|_| ()), busy);
    assert_eq!(p.warm(&bars[301]), busy);
    assert_eq!(p.snapshot(&mut buf).unwrap().to_vec(), before);
    p.finish_bar(&[own]).unwrap();
    let schema = p.feature_set().schema();
    let at = |name: &str| p.features().values()[schema.index_of(name).unwrap()];
    assert_eq!((at("xs_rank"), at("xs_pct")), (1.0, 0.5));
    assert!(p.on_bar(&bars[301]).is_ok());
}

/// A bundle trained on a universe declares its members; one series declares none.
#[test]
fn a_bundle_declares_its_universe() {
    use tickml_train::export::BundleSpec;
    let model = tickml_train::export::LinearSpec {
        feature_names: vec!["rsi_14".into()],
        coefficients: vec![0.01],
        intercept: -0.5,
        link: tickml_core::model::Link::Sigmoid,
    }
    .to_blob(0)
    .unwrap();
    let spec = |universe: Vec<String>| BundleSpec {
        features: tickml_core::FeatureConfig::default(),
        models: vec![(
            1,
            tickml_core::arbitrator::StrategyFamily::MlModel,
            "lr".into(),
            true,
            model.clone(),
        )],
        regime: Ok(tickml_core::regime::RuleConfig::default()),
        arbitrator: tickml_core::arbitrator::ArbitratorConfig::default(),
        meta_learner: None,
        bars: None,
        universe,
    };
    let blob = spec(vec!["SPX".into(), "GOOG".into()]).to_blob().unwrap();
    let p = Pipeline::<f64>::from_bundle(&blob).unwrap();
    assert_eq!(p.universe().iter().collect::<Vec<_>>(), ["SPX", "GOOG"]);
    assert!(p.universe().contains("GOOG") && !p.universe().contains("AAPL"));
    let one = spec(vec![]).to_blob().unwrap();
    assert!(Pipeline::<f64>::from_bundle(&one)
        .unwrap()
        .universe()
        .is_empty());
    assert!(spec(vec!["A".into(), "A".into()]).to_blob().is_err());
}

/// With its trees laid out (the default bundle's two forests of 100 trees 4 deep as
/// complete trees) the pipeline decides as with the walk from the blob, bit for bit, on
/// every S&P 500 bar; a buffer too short is refused and changes nothing.
#[test]
fn laid_out_trees_decide_as_the_blob_walk() {
    use tickml_core::model::{ModelError, ScorerRecord};
    let bytes = bundle();
    let bars = common::load("spx_daily.csv");
    // the buffers outlive the pipelines that borrow them
    let needed = Pipeline::<f64>::from_bundle(&bytes)
        .unwrap()
        .scorer_records_needed();
    assert_eq!(
        needed,
        2 * 100 * 3 * 16,
        "two forests of complete trees 4 deep"
    );
    let mut short = vec![ScorerRecord::default(); needed - 1];
    let mut buf = vec![ScorerRecord::default(); needed];
    let mut walk = Pipeline::<f64>::from_bundle(&bytes).unwrap();
    let mut laid = Pipeline::<f64>::from_bundle(&bytes).unwrap();
    assert!(matches!(
        laid.lay_out_trees(&mut short),
        Err(PipelineError::Model(ModelError::CapacityExceeded { .. }))
    ));
    laid.lay_out_trees(&mut buf).unwrap();
    let spoken = same_decisions(&mut walk, &mut laid, &bars);
    assert!(spoken > bars.len(), "the models predicted");
}

/// Records laid out before and kept (as a build script writes them into flash) are used
/// where they are once every word is checked: the pipeline then decides as the walk from
/// the blob, bit for bit, on every S&P 500 bar. A word changed anywhere (one bit of it,
/// the unused first threshold word of a tree too), a word missing or one too many is
/// refused naming that word, and the pipeline keeps deciding as before.
#[test]
fn kept_records_decide_as_the_blob_walk_and_a_changed_word_is_refused() {
    use tickml_core::model::{ModelError, ScorerRecord};
    let bytes = bundle();
    let bars = common::load("spx_daily.csv");
    let template = Pipeline::<f64>::from_bundle(&bytes).unwrap();
    let needed = template.scorer_records_needed();
    let mut buf = vec![ScorerRecord::default(); needed];
    {
        let mut layer = template.clone();
        layer.lay_out_trees(&mut buf).unwrap();
    }
    let refused = |records: &[ScorerRecord]| {
        let mut p = template.clone();
        match p.use_laid_out_trees(records) {
            Err(PipelineError::Model(ModelError::LayoutMismatch { word })) => word,
            other => panic!("{other:?}"),
        }
    };
    for k in (0..needed).step_by(7).chain([3 * 16, needed - 1]) {
        let mut changed = buf.clone();
        changed[k] = ScorerRecord::from_bits(changed[k].bits() ^ 1 << (k * 13 % 64));
        assert_eq!(refused(&changed), k, "word {k} changed");
    }
    assert_eq!(refused(&buf[..needed - 1]), needed - 1, "a word missing");
    let mut longer = buf.clone();
    longer.push(ScorerRecord::ZERO);
    assert_eq!(refused(&longer), needed, "a word too many");

    let mut changed = buf.clone();
    changed[needed / 2 + 1] = ScorerRecord::from_bits(!changed[needed / 2 + 1].bits());
    let mut walk = template.clone();
    let mut kept = template.clone();
    assert!(kept.use_laid_out_trees(&changed).is_err());
    kept.use_laid_out_trees(&buf).unwrap();
    let spoken = same_decisions(&mut walk, &mut kept, &bars);
    assert!(spoken > bars.len(), "the models predicted");
}

/// Runs `bars` through `a` and `b`, checks that every decision is the same (all fields,
/// every bit), and counts the predictions made.
fn same_decisions(a: &mut Pipeline<f64>, b: &mut Pipeline<f64>, bars: &[Bar<f64>]) -> usize {
    let mut spoken = 0;
    for bar in bars {
        let (x, y) = (a.on_bar(bar).unwrap(), b.on_bar(bar).unwrap());
        assert_eq!(
            format!("{x:?}"),
            format!("{y:?}"),
            "bar {}",
            bar.timestamp()
        );
        spoken += x.predictions.iter().filter(|p| !p.is_nan()).count();
    }
    spoken
}

/// A tree deeper than complete trees hold is laid out for QuickScorer, and one of more
/// leaves than QuickScorer's word holds keeps the walk from the blob: laying out succeeds
/// and the decisions are the walk's.
#[test]
fn deep_and_wide_trees_decide_as_the_walk() {
    use tickml_core::arbitrator::StrategyFamily;
    use tickml_core::model::{Link, ModelError, ScorerRecord, MAX_COMPLETE_DEPTH, MAX_LEAVES};
    use tickml_train::export::{Child, SplitSpec, TreeEnsembleSpec, TreeSpec};
    // a chain of splits on the volatility regime: one leaf more than splits
    for (n, words) in [
        (MAX_COMPLETE_DEPTH + 4, Some(1 + 1 + 1 + 2 * 10 + 11)),
        (MAX_LEAVES, None),
    ] {
        let splits = (0..n)
            .map(|i| SplitSpec {
                feature: 0,
                threshold: i as f64 * 0.02,
                categories: None,
                flags: 0,
                left: Child::Leaf(i),
                right: if i + 1 < n {
                    Child::Node(i + 1)
                } else {
                    Child::Leaf(n)
                },
            })
            .collect();
        let tree = TreeSpec {
            splits,
            leaves: (0..=n).map(|i| i as f64 * 0.01 - 0.3).collect(),
            root: Child::Node(0),
            output: 0,
        };
        let model = TreeEnsembleSpec {
            link: Link::Sigmoid,
            ..common::tree_ensemble(vec!["vol_regime".into()], vec![tree])
        }
        .to_blob(0)
        .unwrap();
        let bytes = common::one_model_bundle(1, StrategyFamily::MlModel, model, None);
        let bars = common::load("spx_daily.csv");
        let needed = Pipeline::<f64>::from_bundle(&bytes)
            .unwrap()
            .scorer_records_needed();
        if let Some(words) = words {
            assert_eq!(needed, words, "QuickScorer's words for a chain of {n}");
        }
        let mut buf = vec![ScorerRecord::default(); needed];
        let mut walk = Pipeline::<f64>::from_bundle(&bytes).unwrap();
        let mut laid = Pipeline::<f64>::from_bundle(&bytes).unwrap();
        // kept records are complete trees only
        assert!(matches!(
            laid.use_laid_out_trees(&[]),
            Err(PipelineError::Model(ModelError::CapacityExceeded { .. }))
        ));
        laid.lay_out_trees(&mut buf).unwrap();
        let spoken = same_decisions(&mut walk, &mut laid, &bars[..600]);
        assert!(spoken > 300, "the model predicted");
    }
}

/// Models that read the same features in the same order share one gather of their
/// inputs, and a model after them that reads others gets its own: each prediction equals
/// the model's own on its features looked up by name, and is NaN until they are present.
#[test]
fn each_model_sees_its_own_features() {
    use tickml_core::model::{LinearModel, Link};
    use tickml_train::export::LinearSpec;
    let schema_hash = Pipeline::<f64>::from_bundle(&bundle())
        .unwrap()
        .feature_set()
        .schema()
        .hash();
    let spec = |names: &[&str], intercept: f64| LinearSpec {
        feature_names: names.iter().map(|s| s.to_string()).collect(),
        link: Link::Sigmoid,
        intercept,
        coefficients: (0..names.len()).map(|i| 0.3 - 0.2 * i as f64).collect(),
    };
    let first = ["rsi_14", "zscore_20"];
    let second = ["sma_200", "rsi_14"];
    let blobs: Vec<Vec<u8>> = [spec(&first, 0.1), spec(&first, -0.2), spec(&second, 0.0)]
        .iter()
        .map(|s| s.to_blob(schema_hash).unwrap())
        .collect();
    let bytes = ml_models_bundle(&blobs);
    let mut pipeline = Pipeline::<f64>::from_bundle(&bytes).unwrap();
    let models: Vec<LinearModel> = blobs
        .iter()
        .map(|b| LinearModel::from_blob(b).unwrap())
        .collect();
    let mut spoken = [0; 3];
    for bar in common::load("spx_daily.csv").iter().take(400) {
        let d = pipeline.on_bar(bar).unwrap();
        for (k, (model, names)) in models.iter().zip([&first[..], &first, &second]).enumerate() {
            let x: Vec<f64> = names
                .iter()
                .map(|n| {
                    let i = pipeline.feature_set().schema().index_of(n).unwrap();
                    pipeline.features().get(i).unwrap_or(f64::NAN)
                })
                .collect();
            let p = d.predictions[k];
            if x.iter().any(|v| v.is_nan()) {
                assert!(p.is_nan(), "model {k}");
            } else {
                let mut out = [0.0];
                model.predict(&x, &mut out).unwrap();
                assert_eq!(p.to_bits(), out[0].to_bits(), "model {k}");
                spoken[k] += 1;
            }
        }
    }
    // sma_200 warms up later than rsi_14 and zscore_20
    assert!(
        spoken[0] == spoken[1] && spoken[1] > spoken[2] && spoken[2] > 0,
        "{spoken:?}"
    );
}

/// Laid out, a pipeline of tree models of both widths, over inputs it gathers once for
/// two models and again for others, decides bar for bar as the blob walk: stumps in
/// `f32` on two features, `f64` stumps on the same features at thresholds between a
/// real value and its `f32` rounding (where inputs of the other width go the other way),
/// a linear model on other features, and `f64` stumps on those.
#[test]
fn laid_out_models_of_both_widths_over_shared_inputs_decide_as_the_blob_walk() {
    use tickml_core::model::{Link, ThresholdWidth};
    use tickml_train::export::{Child, LinearSpec, SplitSpec, TreeSpec};
    let bars = common::load("spx_daily.csv");
    let default = bundle();
    let mut plain = Pipeline::<f64>::from_bundle(&default).unwrap();
    let schema_hash = plain.feature_set().schema().hash();
    let rsi = plain.feature_set().schema().index_of("rsi_14").unwrap();
    // rsi_14 values whose f32 rounding lies below them: (rounding, value)
    let mut below = Vec::new();
    for b in &bars[..600] {
        plain.on_bar(b).unwrap();
        if let Some(v) = plain.features().get(rsi) {
            let t = f64::from(v as f32);
            if t < v && below.len() < 24 {
                below.push((t, v));
            }
        }
    }
    assert_eq!(below.len(), 24);
    let stump = |feature: u16, threshold: f64, k: usize| TreeSpec {
        splits: vec![SplitSpec {
            feature,
            threshold,
            categories: None,
            flags: 0,
            left: Child::Leaf(0),
            right: Child::Leaf(1),
        }],
        leaves: vec![-0.01 * (k % 7) as f64, 0.02 + 0.01 * (k % 5) as f64],
        root: Child::Node(0),
        output: 0,
    };
    let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let first = names(&["rsi_14", "zscore_20"]);
    let second = names(&["sma_200", "rsi_14"]);
    let narrow_stumps: Vec<TreeSpec> = below
        .iter()
        .enumerate()
        .map(|(k, &(t, _))| stump(0, t, k))
        .chain([-1.0, 0.0, 1.0].iter().map(|&t| stump(1, t, 3)))
        .collect();
    let wide_stumps: Vec<TreeSpec> = below
        .iter()
        .enumerate()
        .map(|(k, &(t, v))| stump(0, t + (v - t) / 2.0, k))
        .collect();
    let price_stumps: Vec<TreeSpec> = [1000.0, 1200.0, 1400.0]
        .iter()
        .enumerate()
        .map(|(k, &t)| stump(0, t, k))
        .chain([50.0].iter().map(|&t| stump(1, t, 2)))
        .collect();
    let trees = |features: &[String], trees: Vec<TreeSpec>, width: ThresholdWidth| {
        tickml_train::export::TreeEnsembleSpec {
            link: Link::Sigmoid,
            threshold_width: width,
            ..common::tree_ensemble(features.to_vec(), trees)
        }
        .to_blob(schema_hash)
        .unwrap()
    };
    let linear = LinearSpec {
        feature_names: second.clone(),
        link: Link::Sigmoid,
        intercept: 0.0,
        coefficients: vec![0.001, -0.01],
    }
    .to_blob(schema_hash)
    .unwrap();
    let blobs = [
        trees(&first, narrow_stumps, ThresholdWidth::F32),
        trees(&first, wide_stumps, ThresholdWidth::F64),
        linear,
        trees(&second, price_stumps, ThresholdWidth::F64),
    ];
    let bytes = ml_models_bundle(&blobs);
    let spoken = laid_out_decides_as_the_walk(&bytes, &bars[..600]);
    assert!(spoken.iter().all(|&n| n > 100), "{spoken:?}");
    // in f32, every input reaches the f64 models' trees widened
    let bars32: Vec<_> = bars[..600].iter().map(common::to_f32).collect();
    let spoken = laid_out_decides_as_the_walk(&bytes, &bars32);
    assert!(spoken.iter().all(|&n| n > 100), "{spoken:?}");
}

/// Runs `bars` through the bundle `bytes` walked from the blob and laid out, checks that
/// every prediction has the same bits, and counts each model's predictions.
fn laid_out_decides_as_the_walk<T: tickml_core::Float>(
    bytes: &[u8],
    bars: &[Bar<T>],
) -> Vec<usize> {
    use tickml_core::model::ScorerRecord;
    let mut walk = Pipeline::<T>::from_bundle(bytes).unwrap();
    let mut buf = vec![ScorerRecord::default(); walk.scorer_records_needed()];
    let mut laid = walk.clone();
    laid.lay_out_trees(&mut buf).unwrap();
    let mut spoken = vec![0; walk.model_names().len()];
    for b in bars {
        let (x, y) = (walk.on_bar(b).unwrap(), laid.on_bar(b).unwrap());
        for (k, (p, q)) in x.predictions.iter().zip(&y.predictions).enumerate() {
            assert_eq!(
                p.to_f64().to_bits(),
                q.to_f64().to_bits(),
                "model {k} at {}",
                b.timestamp()
            );
            spoken[k] += usize::from(!p.to_f64().is_nan());
        }
    }
    spoken
}

/// A bundle of the default features, rules and arbitrator with `blobs` as machine-learning
/// strategies `m0`, `m1`, ... (ids from 1).
fn ml_models_bundle(blobs: &[Vec<u8>]) -> Vec<u8> {
    use tickml_core::arbitrator::{ArbitratorConfig, StrategyFamily};
    tickml_train::export::BundleSpec {
        features: tickml_core::FeatureConfig::default(),
        models: blobs
            .iter()
            .enumerate()
            .map(|(i, b)| {
                (
                    i as u32 + 1,
                    StrategyFamily::MlModel,
                    format!("m{i}"),
                    true,
                    b.clone(),
                )
            })
            .collect(),
        regime: Ok(tickml_core::regime::RuleConfig::default()),
        arbitrator: ArbitratorConfig::default(),
        meta_learner: None,
        bars: None,
        universe: vec![],
    }
    .to_blob()
    .unwrap()
}
