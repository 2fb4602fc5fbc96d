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
    use tickml_core::arbitrator::{ArbitratorConfig, StrategyFamily};
    use tickml_core::model::Link;
    use tickml_train::export::{BundleSpec, LinearSpec};
    let model = LinearSpec {
        feature_names: vec!["rsi_14".into()],
        link: Link::Sigmoid,
        intercept: 0.0,
        coefficients: vec![0.01],
    }
    .to_blob(0)
    .unwrap();
    let other = BundleSpec {
        features: tickml_core::FeatureConfig::default(),
        models: vec![(1, StrategyFamily::Momentum, "rsi".into(), true, model)],
        regime: Ok(tickml_core::regime::RuleConfig::default()),
        arbitrator: ArbitratorConfig::default(),
        meta_learner: None,
    }
    .to_blob()
    .unwrap();
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
    use tickml_core::arbitrator::{ArbitratorConfig, StrategyFamily};
    use tickml_train::export::BundleSpec;
    let text =
        std::fs::read_to_string(repo_path("tests/fixtures/models/lgb_multiclass.txt")).unwrap();
    let model = tickml_train::import::lightgbm::parse(&text)
        .unwrap()
        .to_blob(0)
        .unwrap();
    let bundle = BundleSpec {
        features: tickml_core::FeatureConfig::default(),
        models: vec![(3, StrategyFamily::MlModel, "classes".into(), true, model)],
        regime: Ok(tickml_core::regime::RuleConfig::default()),
        arbitrator: ArbitratorConfig::default(),
        meta_learner: None,
    }
    .to_blob()
    .unwrap();
    assert!(matches!(
        Pipeline::<f64>::from_bundle(&bundle),
        Err(PipelineError::MultiOutputStrategy {
            strategy_id: 3,
            outputs: 3
        })
    ));
}
