//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use tickml_core::Bar;

/// A path inside the repository.
pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The bars of a data file in the repository's `data/`.
pub fn load(name: &str) -> Vec<Bar<f64>> {
    tickml_train::data::load_bars(repo_path(&format!("data/{name}")))
        .unwrap()
        .into_iter()
        .map(|r| r.bar)
        .collect()
}

/// The tolerance: `|ours - reference| <= e * max(|reference|, 1e-3 * m)` where
/// `m` is the median magnitude of the reference over the file.
pub fn within(ours: f64, reference: f64, e: f64, median_magnitude: f64) -> bool {
    (ours - reference).abs() <= e * reference.abs().max(1e-3 * median_magnitude)
}

/// Median of `|x|` over the finite values.
pub fn median_magnitude(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values
        .into_iter()
        .filter(|x| x.is_finite())
        .map(f64::abs)
        .collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A committed LightGBM (`.txt`) or XGBoost (`.json`) fixture model, imported as a blob.
pub fn fixture_blob(file: &str) -> Vec<u8> {
    use tickml_train::import::{lightgbm, xgboost};
    let text =
        std::fs::read_to_string(repo_path(&format!("tests/fixtures/models/{file}"))).unwrap();
    let spec = if file.ends_with(".txt") {
        lightgbm::parse(&text)
    } else {
        xgboost::parse(&text)
    };
    spec.unwrap().to_blob(0).unwrap()
}

/// Converts a validated f64 bar to f32.
pub fn to_f32(bar: &Bar<f64>) -> Bar<f32> {
    Bar::new(
        bar.timestamp(),
        bar.open() as f32,
        bar.high() as f32,
        bar.low() as f32,
        bar.close() as f32,
        bar.volume() as f32,
    )
    .unwrap()
}

pub mod naive;

use proptest::prelude::*;

/// Random but valid bars: a log random walk with ranges around it, volumes that are
/// sometimes zero, and timestamps that advance by 1 to 100 hours.
pub fn arb_bars(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Bar<f64>>> {
    let step = (
        -0.03f64..0.03,
        0.0f64..0.02,
        0.0f64..0.02,
        0.0f64..1.0,
        0u32..3,
        1i64..100,
    );
    prop::collection::vec(step, len).prop_map(|steps| {
        let mut price = 100.0f64;
        let mut ts = 1_500_000_000i64 * 1_000_000_000;
        steps
            .into_iter()
            .map(|(ret, up, down, body, zero_volume, hours)| {
                let open = price;
                price *= ret.exp();
                let close = price;
                let high = open.max(close) * (1.0 + up);
                let low = open.min(close) * (1.0 - down);
                let volume = if zero_volume == 0 {
                    0.0
                } else {
                    (1.0 + body) * 1e6
                };
                ts += hours * 3_600_000_000_000;
                Bar::new(ts, open, high, low, close, volume).unwrap()
            })
            .collect()
    })
}

/// A bundle of one classifier strategy (id `id`, family `family`, model blob `model`)
/// over the default features, rule detector and arbitrator, building bars by `bars`.
pub fn one_model_bundle(
    id: u32,
    family: tickml_core::arbitrator::StrategyFamily,
    model: Vec<u8>,
    bars: Option<tickml_core::bars::BarRule>,
) -> Vec<u8> {
    tickml_train::export::BundleSpec {
        features: tickml_core::FeatureConfig::default(),
        models: vec![(id, family, "model".into(), true, model)],
        regime: Ok(tickml_core::regime::RuleConfig::default()),
        arbitrator: tickml_core::arbitrator::ArbitratorConfig::default(),
        meta_learner: None,
        bars,
        universe: vec![],
    }
    .to_blob()
    .unwrap()
}

/// A one-output tree ensemble over `features` with the settings the tests seldom vary:
/// summed from a base margin of 0, f64 thresholds, no input zero threshold, identity
/// link (override any with struct update syntax).
pub fn tree_ensemble(
    features: Vec<String>,
    trees: Vec<tickml_train::export::TreeSpec>,
) -> tickml_train::export::TreeEnsembleSpec {
    use tickml_core::model::{Aggregation, Link, ThresholdWidth};
    tickml_train::export::TreeEnsembleSpec {
        feature_names: features,
        outputs: 1,
        aggregation: Aggregation::Sum,
        link: Link::Identity,
        link_scale: 1.0,
        threshold_width: ThresholdWidth::F64,
        input_zero_threshold: 0.0,
        base_margin: vec![0.0],
        trees,
    }
}
