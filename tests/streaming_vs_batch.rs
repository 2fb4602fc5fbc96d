//! Every window feature of the streaming engine equals a naive batch recomputation on
//! random series; snapshots restore bit-identically; refused bars change nothing.

mod common;

use common::{arb_bars, median_magnitude, naive, within};
use proptest::prelude::*;
use tickml_core::{Bar, DefaultFeatureSet, Error, FeatureConfig};

fn run(bars: &[Bar<f64>]) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut set = DefaultFeatureSet::<f64>::new(FeatureConfig::default()).unwrap();
    let names = set.schema().ids().iter().map(|id| id.to_string()).collect();
    let rows = bars
        .iter()
        .map(|b| set.update(b).unwrap().values().to_vec())
        .collect();
    (names, rows)
}

fn snapshot(set: &DefaultFeatureSet<f64>) -> Vec<u8> {
    let mut buf = vec![0u8; 256 * 1024];
    set.snapshot(&mut buf).unwrap().to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn window_features_equal_naive_recomputation(bars in arb_bars(230..420)) {
        let (names, rows) = run(&bars);
        let mut checked = 0;
        for (k, name) in names.iter().enumerate() {
            if naive::feature(name, &bars, 0).is_none() {
                continue;
            }
            checked += 1;
            let reference: Vec<Option<f64>> =
                (0..bars.len()).map(|t| naive::feature(name, &bars, t).unwrap()).collect();
            let m = median_magnitude(reference.iter().flatten().copied());
            for (t, want) in reference.iter().enumerate() {
                let got = rows[t][k];
                match want {
                    None => prop_assert!(got.is_nan(), "{} at {}: {} but naive is absent", name, t, got),
                    Some(w) => prop_assert!(
                        within(got, *w, 1e-9, m),
                        "{} at {}: {} vs naive {}", name, t, got, w
                    ),
                }
            }
        }
        prop_assert!(checked >= 80, "only {} features have a naive reference", checked);
    }

    #[test]
    fn snapshot_restore_is_bit_identical(bars in arb_bars(2..400), cut in 0.0f64..1.0) {
        let cut = ((bars.len() as f64) * cut) as usize;
        let mut uninterrupted = DefaultFeatureSet::<f64>::new(FeatureConfig::default()).unwrap();
        let mut first = DefaultFeatureSet::<f64>::new(FeatureConfig::default()).unwrap();
        for b in &bars[..cut] {
            uninterrupted.update(b).unwrap();
            first.update(b).unwrap();
        }
        let bytes = snapshot(&first);
        let mut restored = DefaultFeatureSet::<f64>::restore(&bytes).unwrap();
        for b in &bars[cut..] {
            let want: Vec<u64> = uninterrupted.update(b).unwrap().values().iter().map(|v| v.to_bits()).collect();
            let got: Vec<u64> = restored.update(b).unwrap().values().iter().map(|v| v.to_bits()).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn refused_bars_leave_the_state_unchanged(bars in arb_bars(2..300), back in 0i64..3) {
        let mut set = DefaultFeatureSet::<f64>::new(FeatureConfig::default()).unwrap();
        for b in &bars {
            set.update(b).unwrap();
        }
        let before = snapshot(&set);
        let last = bars.last().unwrap();
        let stale = Bar::new(last.timestamp() - back, 10.0, 11.0, 9.0, 10.0, 1.0).unwrap();
        prop_assert_eq!(
            set.update(&stale).unwrap_err(),
            Error::TimestampNotIncreasing { previous: last.timestamp(), got: stale.timestamp() }
        );
        prop_assert_eq!(snapshot(&set), before);
    }
}

#[test]
fn default_set_has_110_features_in_8_families() {
    use std::collections::BTreeMap;
    let set = DefaultFeatureSet::<f64>::new(FeatureConfig::default()).unwrap();
    let mut per_family = BTreeMap::new();
    for id in set.schema().ids() {
        *per_family.entry(id.kind.family()).or_insert(0) += 1;
    }
    assert_eq!(set.schema().len(), 110);
    assert_eq!(per_family.len(), 8, "{per_family:?}");
    let mut names: Vec<String> = set.schema().ids().iter().map(|i| i.to_string()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 110, "names are unique");
}

#[test]
fn configs_that_do_not_fit_are_errors() {
    let config = FeatureConfig {
        trend_windows: [5u16, 300].into_iter().collect(),
        ..FeatureConfig::default()
    };
    assert_eq!(
        DefaultFeatureSet::<f64>::new(config).unwrap_err(),
        Error::WindowTooLong {
            field: "trend_windows",
            window: 300,
            max: 255
        }
    );
    let config = FeatureConfig {
        macd: (26, 12, 9),
        ..FeatureConfig::default()
    };
    assert_eq!(
        DefaultFeatureSet::<f64>::new(config).unwrap_err(),
        Error::InvalidParameter { field: "macd" }
    );
    let small = tickml_core::FeatureSet::<f64, 256, 64>::new(FeatureConfig::default());
    assert_eq!(
        small.unwrap_err(),
        Error::TooManyFeatures {
            needed: 110,
            capacity: 64
        }
    );
}

#[test]
fn schema_hash_changes_with_the_config() {
    let a = DefaultFeatureSet::<f64>::new(FeatureConfig::default()).unwrap();
    let config = FeatureConfig {
        bollinger_k: 2.5,
        ..FeatureConfig::default()
    };
    let b = DefaultFeatureSet::<f64>::new(config).unwrap();
    assert_eq!(a.schema().ids(), b.schema().ids());
    assert_ne!(a.schema().hash(), b.schema().hash());
}
