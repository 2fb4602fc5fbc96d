//! Cross-validation: combinatorial purged CV equals skfolio on committed fixtures, and
//! the invariants hold on random label layouts.

mod common;

use common::repo_path;
use proptest::prelude::*;
use tickml_train::cv::{
    embargo_bars, CombinatorialPurgedCV, Labels, PurgedKFold, Split, WalkForwardCV,
};
use tickml_train::pipeline::CvConfig;

fn ints(v: &serde_json::Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn cpcv_index_mode_equals_skfolio() {
    let text = std::fs::read_to_string(repo_path("tests/fixtures/cpcv_skfolio.json")).unwrap();
    let configs: serde_json::Value = serde_json::from_str(&text).unwrap();
    for c in configs.as_array().unwrap() {
        let n = c["n_samples"].as_u64().unwrap() as usize;
        let cv = CombinatorialPurgedCV {
            n_splits: c["n_folds"].as_u64().unwrap() as usize,
            n_test_splits: c["n_test_folds"].as_u64().unwrap() as usize,
            purge: c["purged_size"].as_u64().unwrap() as usize,
            embargo: c["embargo_size"].as_u64().unwrap() as usize,
        };
        let ours = cv.split_indices(n).unwrap();
        let theirs = c["splits"].as_array().unwrap();
        assert_eq!(ours.splits.len(), theirs.len(), "{cv:?}");
        for (i, (o, t)) in ours.splits.iter().zip(theirs).enumerate() {
            assert_eq!(o.train, ints(&t["train"]), "{cv:?} split {i} train");
            assert_eq!(o.test, ints(&t["test"]), "{cv:?} split {i} test");
        }
        // recombined_paths[fold][path] = split id; ours is paths[path][fold]
        let recombined: Vec<Vec<usize>> = c["recombined_paths"]
            .as_array()
            .unwrap()
            .iter()
            .map(ints)
            .collect();
        for (p, path) in ours.paths.iter().enumerate() {
            for (f, &split) in path.iter().enumerate() {
                assert_eq!(split, recombined[f][p], "{cv:?} path {p} fold {f}");
            }
        }
    }
}

/// skfolio's `WalkForward(test_size, train_size, purged_size, expand_train)` moves by
/// `test_size`; ours with `step_size = test_size` gives the same splits: `train_size`
/// training samples, then the purge gap, then the test window.
#[test]
fn walk_forward_equals_skfolio() {
    let text =
        std::fs::read_to_string(repo_path("tests/fixtures/walk_forward_skfolio.json")).unwrap();
    let configs: serde_json::Value = serde_json::from_str(&text).unwrap();
    for c in configs.as_array().unwrap() {
        let n = c["n_samples"].as_u64().unwrap() as usize;
        let test_size = c["test_size"].as_u64().unwrap() as usize;
        let cv = WalkForwardCV {
            train_size: c["train_size"].as_u64().unwrap() as usize,
            test_size,
            step_size: test_size,
            purge_gap: c["purged_size"].as_u64().unwrap() as usize,
            expand_train: c["expand_train"].as_bool().unwrap(),
        };
        let ours = cv.split(&Labels::with_horizon(n, 0)).unwrap();
        let theirs = c["splits"].as_array().unwrap();
        assert_eq!(ours.len(), theirs.len(), "{cv:?}");
        for (i, (o, t)) in ours.iter().zip(theirs).enumerate() {
            assert_eq!(o.train, ints(&t["train"]), "{cv:?} split {i} train");
            assert_eq!(o.test, ints(&t["test"]), "{cv:?} split {i} test");
        }
    }
    // train 40 / purge 3: 40 training samples, not 37
    let cv = WalkForwardCV {
        train_size: 40,
        test_size: 10,
        step_size: 10,
        purge_gap: 3,
        expand_train: false,
    };
    let first = &cv.split(&Labels::with_horizon(100, 0)).unwrap()[0];
    assert_eq!((first.train.len(), first.test[0]), (40, 43));
}

/// The embargo is a number of bars of the series, not of samples. Samples on every
/// other bar (a gap after each): 50 samples spanning bars 0..=99 (horizon 1), so a 10%
/// embargo is 10 bars, which holds 5 samples; counted in samples it would be 5 bars.
#[test]
fn the_embargo_counts_bars_when_samples_have_gaps() {
    let labels = Labels {
        t0: (0..50).map(|i| 2 * i).collect(),
        t1: (0..50).map(|i| 2 * i + 1).collect(),
    };
    assert_eq!(embargo_bars(&labels, 0.1), 10);
    let cv = PurgedKFold {
        n_splits: 5,
        purge_gap: 0,
        embargo_pct: 0.1,
    };
    let splits = cv.split(&labels).unwrap();
    // fold 0 = samples 0..10 (bars 0..=19); the embargo covers bars 20..=29 = samples 10..15
    assert_eq!(splits[0].test, (0..10).collect::<Vec<_>>());
    assert_eq!(splits[0].train.first(), Some(&15));
    // fold 2 = samples 20..30 (bars 40..=59): train resumes at bar 70 = sample 35
    assert!(splits[2].train.contains(&19) && !splits[2].train.contains(&34));
    assert!(splits[2].train.contains(&35));
}

/// The design's defaults: `cv_purge_gap = 5`, `cv_embargo_pct = 0.02`.
#[test]
fn default_cv_is_the_designs() {
    assert_eq!(
        CvConfig::default(),
        CvConfig::Purged {
            n_splits: 5,
            purge_gap: 5,
            embargo_pct: 0.02
        }
    );
    assert_eq!(
        PurgedKFold::default(),
        PurgedKFold {
            n_splits: 5,
            purge_gap: 5,
            embargo_pct: 0.02
        }
    );
}

/// Random label intervals: starts increasing, each label 0 to 15 bars long.
fn arb_labels() -> impl Strategy<Value = Labels> {
    prop::collection::vec(0usize..16, 40..200).prop_map(|lens| Labels {
        t0: (0..lens.len()).collect(),
        t1: lens.iter().enumerate().map(|(i, l)| i + l).collect(),
    })
}

fn overlaps(labels: &Labels, a: usize, b: usize) -> bool {
    labels.t0[a] <= labels.t1[b] && labels.t0[b] <= labels.t1[a]
}

fn no_leak(labels: &Labels, split: &Split) -> bool {
    split
        .train
        .iter()
        .all(|&i| split.test.iter().all(|&j| !overlaps(labels, i, j)))
}

proptest! {
    #[test]
    fn purged_kfold_invariants(labels in arb_labels(), k in 2usize..8, embargo_pct in 0.0f64..0.1) {
        let cv = PurgedKFold { n_splits: k, purge_gap: 0, embargo_pct };
        let splits = cv.split(&labels).unwrap();
        // the embargo in bars: the span from the first label start to the last label end
        let span = labels.t1.iter().max().unwrap() - labels.t0[0] + 1;
        let embargo = (span as f64 * embargo_pct).floor() as usize;
        let mut tested = vec![0usize; labels.len()];
        for s in &splits {
            prop_assert!(no_leak(&labels, s));
            let end = s.test.iter().map(|&j| labels.t1[j]).max().unwrap();
            for &i in &s.train {
                prop_assert!(!(labels.t0[i] > end && labels.t0[i] <= end + embargo), "embargo");
            }
            s.test.iter().for_each(|&j| tested[j] += 1);
        }
        prop_assert!(tested.iter().all(|&c| c == 1), "every sample tested exactly once");
    }

    #[test]
    fn walk_forward_invariants(labels in arb_labels(), train in 10usize..40, test in 5usize..20, step in 1usize..10) {
        prop_assume!(train + test <= labels.len());
        prop_assume!(train + 2 + test <= labels.len());
        let cv = WalkForwardCV { train_size: train, test_size: test, step_size: step, purge_gap: 2, expand_train: false };
        for s in cv.split(&labels).unwrap() {
            prop_assert!(no_leak(&labels, &s));
            prop_assert_eq!(s.test.len(), test);
            let window = s.test[0] - 2 - train..s.test[0] - 2;
            prop_assert!(s.train.iter().all(|i| window.contains(i)), "the training window, then the gap");
            // only label overlap removes samples from the window
            let kept = window.filter(|&j| labels.t1[j] < labels.t0[s.test[0]]).count();
            prop_assert_eq!(s.train.len(), kept);
        }
    }

    #[test]
    fn walk_forward_through_the_end_tests_every_later_sample_once(labels in arb_labels(), train in 10usize..40, test in 5usize..20, expand in proptest::bool::ANY) {
        prop_assume!(train + 2 + test <= labels.len());
        let cv = WalkForwardCV { train_size: train, test_size: test, step_size: test, purge_gap: 2, expand_train: expand };
        let full = cv.split(&labels).unwrap();
        let all = cv.split_through_end(&labels).unwrap();
        // the full windows first, unchanged, then at most one shorter one
        prop_assert_eq!(&all[..full.len()], &full[..]);
        prop_assert!(all.len() <= full.len() + 1);
        let mut tested = vec![0usize; labels.len()];
        for s in &all {
            prop_assert!(no_leak(&labels, s));
            prop_assert!(s.train.iter().all(|&i| i + 2 < s.test[0]), "training ends before the gap");
            s.test.iter().for_each(|&j| tested[j] += 1);
        }
        prop_assert!(tested[..train + 2].iter().all(|&c| c == 0));
        prop_assert!(tested[train + 2..].iter().all(|&c| c == 1), "every later sample tested once");
    }

    #[test]
    fn cpcv_label_mode_invariants(labels in arb_labels(), n in 3usize..7, k in 1usize..3) {
        prop_assume!(k < n && labels.len() / n > 4);
        let cv = CombinatorialPurgedCV { n_splits: n, n_test_splits: k, purge: 1, embargo: 2 };
        let out = cv.split_labels(&labels).unwrap();
        for s in &out.splits {
            prop_assert!(no_leak(&labels, s));
        }
        // every path covers every sample exactly once
        let folds: Vec<Vec<usize>> = {
            let idx = cv.split_indices(labels.len()).unwrap();
            (0..n).map(|f| idx.splits[out.paths[0][f]].test.iter().copied().filter(|&i| (i / (labels.len() / n)).min(n - 1) == f).collect()).collect()
        };
        for path in &out.paths {
            let mut covered = vec![0usize; labels.len()];
            for (f, &split) in path.iter().enumerate() {
                for &i in &folds[f] {
                    prop_assert!(out.splits[split].test.contains(&i));
                    covered[i] += 1;
                }
            }
            prop_assert!(covered.iter().all(|&c| c == 1));
        }
        let expected_paths = out.splits.len() * k / n;
        prop_assert_eq!(out.paths.len(), expected_paths);
    }
}
