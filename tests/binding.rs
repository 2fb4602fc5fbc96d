//! A model binds to a feature pipeline by name: a subset in any order works, a missing
//! feature is an error that names it, and the bound model sees the pipeline's values.

mod common;

use tickml_core::model::{FeatureBinding, Gathered, LinearModel, Link, ModelError};
use tickml_core::{DefaultFeatureSet, FeatureConfig};
use tickml_train::export::LinearSpec;

#[test]
fn binds_a_reordered_subset_and_names_a_missing_feature() {
    let mut set = DefaultFeatureSet::<f64>::new(FeatureConfig::default()).unwrap();
    let names = ["rsi_14", "sma_20", "macd_hist"];
    let spec = LinearSpec {
        feature_names: names.iter().map(|s| s.to_string()).collect(),
        link: Link::Identity,
        intercept: 0.5,
        coefficients: vec![0.01, -0.001, 2.0],
    };
    let blob = spec.to_blob(set.schema().hash()).unwrap();
    let model = LinearModel::from_blob(&blob).unwrap();
    assert_eq!(model.schema_hash(), set.schema().hash());
    let binding: FeatureBinding<16> =
        FeatureBinding::bind(model.feature_names(), set.schema()).unwrap();
    let mut scratch = [0.0f64; 16];
    let mut present_scratch = [0.0f64; 16];
    let mut out = [0.0f64];
    let mut warm_bars = 0;
    for bar in common::load("spx_daily.csv").iter().take(300) {
        let features = set.update(bar).unwrap().values().to_vec();
        let x = binding.gather(&features, &mut scratch);
        model.predict(x, &mut out).unwrap();
        let idx = |n: &str| set.schema().index_of(n).unwrap();
        // gather_present: the same values, and only once every bound feature is present
        let naive: Vec<f64> = names.iter().map(|n| features[idx(n)]).collect();
        let present = binding.gather_present(&features, &mut present_scratch);
        if naive.iter().any(|v| v.is_nan()) {
            assert!(present.is_none());
        } else {
            let present = present.unwrap();
            assert_eq!(present, naive.as_slice());
            warm_bars += 1;
        }
        let naive = 0.5 + 0.01 * features[idx("rsi_14")] - 0.001 * features[idx("sma_20")]
            + 2.0 * features[idx("macd_hist")];
        if naive.is_nan() {
            assert!(out[0].is_nan());
        } else {
            assert!((out[0] - naive).abs() <= 1e-12 * naive.abs().max(1.0));
        }
    }
    // rsi_14, sma_20 and macd_hist (26 + 9 bars) are all present from bar 34 on
    assert_eq!(warm_bars, 300 - 33);
    let err = FeatureBinding::<16>::bind(["rsi_14", "sma_21"], set.schema()).unwrap_err();
    assert_eq!(err.to_string(), "the pipeline has no feature `sma_21`");
    assert!(matches!(err, ModelError::MissingFeature { .. }));
    let err = FeatureBinding::<1>::bind(["rsi_14", "sma_20"], set.schema()).unwrap_err();
    assert_eq!(
        err,
        ModelError::CapacityExceeded {
            what: "bound features",
            capacity: 1
        }
    );
}

/// A model that reads the pipeline's first features in order gets them as they are, and
/// one that reads them in another order or skips one gets them gathered (and
/// `gather_present_into` says which): both the values and whether every one is present
/// equal a naive lookup by name.
#[test]
fn in_order_and_reordered_bindings_see_the_same_values() {
    let mut set = DefaultFeatureSet::<f64>::new(FeatureConfig::default()).unwrap();
    let all: Vec<String> = (0..set.schema().len())
        .map(|i| set.schema().ids()[i].name().to_string())
        .collect();
    // a single series has no cross-section: its features are never present
    let first_xs = all.iter().position(|n| n.starts_with("xs_")).unwrap();
    let mut swapped = all[..12].to_vec();
    swapped.swap(0, 1);
    let without_xs: Vec<String> = all
        .iter()
        .filter(|n| !n.starts_with("xs_"))
        .cloned()
        .collect();
    let lists = [
        all[..first_xs].to_vec(),
        all[..12].to_vec(),
        swapped,
        without_xs,
    ];
    let bindings: Vec<FeatureBinding<128>> = lists
        .iter()
        .map(|names| FeatureBinding::bind(names.iter().map(String::as_str), set.schema()).unwrap())
        .collect();
    let mut present = [0; 4];
    for bar in common::load("spx_daily.csv").iter().take(600) {
        let features = set.update(bar).unwrap().values().to_vec();
        for ((names, binding), count) in lists.iter().zip(&bindings).zip(present.iter_mut()) {
            let naive: Vec<f64> = names
                .iter()
                .map(|n| features[set.schema().index_of(n).unwrap()])
                .collect();
            let mut scratch = [0.0f64; 128];
            match binding.gather_present(&features, &mut scratch) {
                Some(x) => {
                    assert_eq!(x, naive.as_slice());
                    *count += 1;
                }
                None => assert!(naive.iter().any(|v| v.is_nan())),
            }
            // the same inputs, said to be where they are: in place only in order
            let mut scratch = [0.0f64; 128];
            let at = binding.gather_present_into(&features, &mut scratch);
            let in_order = names.iter().zip(&all).all(|(n, a)| n == a);
            match at {
                Some(g) => {
                    let n = names.len();
                    let expected = if in_order {
                        Gathered::InPlace(n)
                    } else {
                        Gathered::Copied(n)
                    };
                    assert_eq!(g, expected);
                    assert_eq!(g.inputs(&features, &scratch), naive.as_slice());
                }
                None => assert!(naive.iter().any(|v| v.is_nan())),
            }
        }
    }
    assert!(present.iter().all(|&n| n > 0), "{present:?}");
}
