//! Research on a universe: one feature engine per symbol with cross-sections ranked over
//! every member of a timestamp, samples whatever the order of rows within a timestamp,
//! and cross-validation purged by time across symbols (a planted leak through a second
//! symbol is caught).

mod common;

use common::repo_path;
use tickml_core::FeatureConfig;
use tickml_train::cv::PurgedKFold;
use tickml_train::data::{load_bars, BarRecord};
use tickml_train::dataset::{prepare_panel, Dataset, InputConfig, TargetType};
use tickml_train::evaluate::cross_validate;
use tickml_train::models::{ModelConfig, ModelFactory, ModelType, Task};

fn panel(records: &[BarRecord]) -> Dataset {
    prepare_panel(
        records,
        &FeatureConfig::default(),
        &InputConfig::default(),
        TargetType::Direction,
        5,
    )
    .unwrap()
}

#[test]
fn samples_do_not_depend_on_the_order_within_a_timestamp() {
    let records = load_bars(repo_path("data/spx_goog_daily.csv")).unwrap();
    // every other timestamp with its two rows swapped
    let mut shuffled = records.clone();
    for (k, pair) in shuffled.chunks_mut(2).enumerate() {
        if k % 2 == 1 {
            pair.swap(0, 1);
        }
    }
    assert_ne!(shuffled, records);
    let (a, b) = (panel(&records), panel(&shuffled));
    assert_eq!(a, b);
    assert_eq!(a.symbol_names, vec!["GOOG".to_string(), "SPX".to_string()]);
    // samples in time order, symbols by name within a time; labels in the time index
    assert!(a.labels.t0.windows(2).all(|w| w[0] <= w[1]));
    for k in 0..a.len() {
        assert_eq!(
            a.labels.t1[k],
            a.labels.t0[k] + 5,
            "both symbols trade every day"
        );
    }
}

#[test]
fn cross_sectional_features_rank_every_member_of_the_timestamp() {
    let records = load_bars(repo_path("data/spx_goog_daily.csv")).unwrap();
    let data = panel(&records);
    let (rank, pct) = (
        data.names.iter().position(|n| n == "xs_rank").unwrap(),
        data.names.iter().position(|n| n == "xs_pct").unwrap(),
    );
    // naive: each symbol's one-bar log return at the sample's timestamp, ranked among both
    let close = |symbol: &str, ts: i64| -> Option<(f64, f64)> {
        let own: Vec<&BarRecord> = records
            .iter()
            .filter(|r| r.symbol.as_deref() == Some(symbol))
            .collect();
        let k = own.iter().position(|r| r.bar.timestamp() == ts)?;
        Some((own.get(k.checked_sub(1)?)?.bar.close(), own[k].bar.close()))
    };
    let mut checked = 0;
    for k in 0..data.len() {
        let me = data.symbol_names[data.symbol[k] as usize].as_str();
        let other = if me == "SPX" { "GOOG" } else { "SPX" };
        let ts = data.timestamps[k];
        let (Some((p0, p1)), Some((q0, q1))) = (close(me, ts), close(other, ts)) else {
            continue;
        };
        let (mine, theirs) = ((p1 / p0).ln(), (q1 / q0).ln());
        // rank 1 = lowest, ties share the lowest rank
        let want = if mine > theirs { 2.0 } else { 1.0 };
        assert_eq!(data.row(k)[rank], want, "{me} at {ts}");
        assert_eq!(data.row(k)[pct], want - 1.0, "{me} at {ts}");
        checked += 1;
        if checked == 400 {
            break;
        }
    }
    assert_eq!(checked, 400);
}

/// SPX and an exact copy of it under another name: at every timestamp the copy's row
/// is the original's. A training row of the copy whose label overlaps the test window is
/// the test row itself; purging by time across the panel removes it, purging each symbol
/// on its own would not.
#[test]
fn purging_by_time_catches_a_leak_through_a_second_symbol() {
    let spx = load_bars(repo_path("data/spx_daily.csv")).unwrap();
    let mut records = Vec::new();
    for r in spx.iter().take(1500) {
        for name in ["SPX", "SPX_COPY"] {
            records.push(BarRecord {
                symbol: Some(name.into()),
                ..r.clone()
            });
        }
    }
    let data = panel(&records);
    let splits = PurgedKFold {
        n_splits: 5,
        purge_gap: 0,
        embargo_pct: 0.0,
    }
    .split(&data.labels)
    .unwrap();
    let overlaps = |i: usize, j: usize| {
        data.labels.t0[i] <= data.labels.t1[j] && data.labels.t0[j] <= data.labels.t1[i]
    };
    for s in &splits {
        assert!(s
            .train
            .iter()
            .all(|&i| s.test.iter().all(|&j| !overlaps(i, j))));
    }
    // a deep tree memorises rows: with the copy's leaked rows it would read the answers
    let config = ModelConfig {
        max_depth: 30,
        min_samples_leaf: 1,
        ..ModelConfig::default()
    };
    let tree =
        ModelFactory::create(ModelType::DecisionTree, &config, Task::Classification).unwrap();
    let all: Vec<usize> = (0..data.width()).collect();
    let accuracy = |splits: &[tickml_train::cv::Split]| {
        let r = cross_validate(&tree, &data, splits, &all).unwrap();
        r.folds.iter().map(|f| f.accuracy).sum::<f64>() / r.folds.len() as f64
    };
    // scored on the original's test rows; the time-purged training set against the one
    // purging each symbol on its own would give: plus the copy's rows at the test times
    let original = |s: &tickml_train::cv::Split| -> Vec<usize> {
        s.test
            .iter()
            .copied()
            .filter(|&j| data.symbol[j] == 0)
            .collect()
    };
    let purged_splits: Vec<tickml_train::cv::Split> = splits
        .iter()
        .map(|s| tickml_train::cv::Split {
            train: s.train.clone(),
            test: original(s),
        })
        .collect();
    let purged = accuracy(&purged_splits);
    let leaky: Vec<tickml_train::cv::Split> = splits
        .iter()
        .map(|s| {
            let test = original(s);
            let mut train = s.train.clone();
            train.extend((0..data.len()).filter(|&i| {
                data.symbol[i] == 1 && test.iter().any(|&j| data.labels.t0[i] == data.labels.t0[j])
            }));
            train.sort();
            tickml_train::cv::Split { train, test }
        })
        .collect();
    let leaked = accuracy(&leaky);
    println!("out-of-fold accuracy: purged by time {purged:.3}, per symbol {leaked:.3}");
    assert!(leaked > 0.95, "the leak is real: {leaked}");
    assert!(purged < 0.6, "and purging by time removes it: {purged}");
}

#[test]
fn grouped_splits_test_every_symbol_once_and_never_train_on_it() {
    let records = load_bars(repo_path("data/synthetic_universe_daily.csv")).unwrap();
    let data = panel(&records);
    assert_eq!(data.symbol_names.len(), 8);
    let splits = tickml_train::cv::group_kfold(&data.symbol, 3).unwrap();
    let mut tested = vec![0usize; data.len()];
    for s in &splits {
        let test_symbols: std::collections::BTreeSet<u32> =
            s.test.iter().map(|&i| data.symbol[i]).collect();
        assert!(s
            .train
            .iter()
            .all(|&i| !test_symbols.contains(&data.symbol[i])));
        assert_eq!(s.train.len() + s.test.len(), data.len());
        s.test.iter().for_each(|&i| tested[i] += 1);
    }
    assert!(tested.iter().all(|&c| c == 1));
    // symbols dealt in turn: folds of 3, 3 and 2 names
    let sizes: Vec<usize> = splits
        .iter()
        .map(|s| {
            s.test
                .iter()
                .map(|&i| data.symbol[i])
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        })
        .collect();
    assert_eq!(sizes, vec![3, 3, 2]);
    assert!(tickml_train::cv::group_kfold(&data.symbol, 9).is_err());
}

/// The extended cross-section (`cross_section = "extended"`) against a naive
/// recomputation on the 8-symbol universe: the one-bar log returns from the closes,
/// demeaned and z-scored (population sd) over the timestamp's members, and the
/// percentile ranks of each member's `rvol_20` and `volume_ratio_20` among the others'.
#[test]
fn extended_cross_section_equals_a_naive_recomputation() {
    let records = load_bars(repo_path("data/synthetic_universe_daily.csv")).unwrap();
    let config = FeatureConfig {
        cross_section: tickml_core::features::CrossSection::Extended,
        ..FeatureConfig::default()
    };
    let data = prepare_panel(
        &records,
        &config,
        &InputConfig::default(),
        TargetType::Direction,
        5,
    )
    .unwrap();
    let col = |name: &str| data.names.iter().position(|n| n == name).unwrap();
    let (demeaned, zscore) = (col("xs_demeaned"), col("xs_zscore"));
    let (vol_rank, volume_rank) = (col("xs_rvol_rank_20"), col("xs_volume_ratio_rank_20"));
    let (rvol, ratio) = (col("rvol_20"), col("volume_ratio_20"));
    // previous close of each record's symbol
    let mut last: std::collections::HashMap<String, f64> = Default::default();
    let mut log_return: std::collections::HashMap<(String, i64), f64> = Default::default();
    for r in &records {
        let s = r.symbol.clone().unwrap();
        if let Some(prev) = last.insert(s.clone(), r.bar.close()) {
            log_return.insert((s, r.bar.timestamp()), (r.bar.close() / prev).ln());
        }
    }
    let mut checked = 0;
    let mut k = 0;
    while k < data.len() {
        let ts = data.timestamps[k];
        let rows: Vec<usize> = (k..data.len())
            .take_while(|&j| data.timestamps[j] == ts)
            .collect();
        k += rows.len();
        if rows.len() != 8 {
            continue; // a member's sample missing (end of data): its features still count
        }
        let r: Vec<f64> = rows
            .iter()
            .map(|&j| log_return[&(data.symbol_names[data.symbol[j] as usize].clone(), ts)])
            .collect();
        let mean = r.iter().sum::<f64>() / 8.0;
        let sd = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 8.0).sqrt();
        let pct = |c: usize, i: usize| {
            let own = data.row(rows[i])[c];
            let below = rows.iter().filter(|&&j| data.row(j)[c] < own).count();
            below as f64 / 7.0
        };
        for (i, &j) in rows.iter().enumerate() {
            let row = data.row(j);
            assert!((row[demeaned] - (r[i] - mean)).abs() < 1e-15, "{ts}");
            assert!((row[zscore] - (r[i] - mean) / sd).abs() < 1e-12, "{ts}");
            assert_eq!(row[vol_rank], pct(rvol, i), "{ts}");
            assert_eq!(row[volume_rank], pct(ratio, i), "{ts}");
            checked += 1;
        }
    }
    assert!(checked > 10_000, "{checked}");
    // the design's default fills only the ranks
    let plain = panel(&records);
    assert!(plain.names.iter().all(|n| n != "xs_zscore"));
}
