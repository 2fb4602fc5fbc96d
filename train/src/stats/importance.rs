//! Feature importance: impurity-based where the model has it (see
//! `TrainedModel::impurity_importance`), permutation importance under purged CV, and the
//! design's `get_feature_importance_mask(threshold)` computed inside each training fold.

use crate::cv::{PurgedKFold, Split};
use crate::dataset::Dataset;
use crate::evaluate::{cross_validate, headline, score_samples, CvResult};
use crate::models::{Estimator, Matrix, TrainError};

/// One feature's permutation importance: the drop of the headline metric when its test
/// column is shuffled.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FeatureImportance {
    /// Mean drop over splits (each split's drop is the mean over its repeats).
    pub mean: f64,
    /// Standard error of `mean`: the standard deviation (ddof 1) of the per-split drops
    /// over `sqrt(splits)`; with one split, of the repeats over `sqrt(repeats)`. NaN
    /// when there is only one value.
    pub std_error: f64,
}

fn mean_and_se(v: &[f64]) -> (f64, f64) {
    let k = v.len() as f64;
    let mean = v.iter().sum::<f64>() / k;
    if v.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0);
    (mean, (var / k).sqrt())
}

/// Permutation importance: for each split, fit on the training rows, then shuffle one
/// feature's test column `repeats` times (seeded permutations) and record the drop of
/// the headline metric each time.
pub fn permutation_importance(
    estimator: &Estimator,
    data: &Dataset,
    splits: &[Split],
    seed: u64,
    repeats: usize,
) -> Result<Vec<FeatureImportance>, TrainError> {
    let w = data.width();
    let repeats = repeats.max(1);
    // drops[c][split][repeat]
    let mut drops = vec![Vec::with_capacity(splits.len()); w];
    let mut rng = crate::rng::XorShift64::new(seed);
    let all: Vec<usize> = (0..w).collect();
    for split in splits {
        let (xtr, mut xte) = data.fold_matrices(&split.train, &split.test, &all);
        let (ytr, yte) = data.fold_targets(&split.train, &split.test);
        let model = estimator.fit_weighted(
            &Matrix {
                values: &xtr,
                cols: w,
            },
            &ytr,
            data.fold_weights(&split.train).as_deref(),
            &data.names,
        )?;
        let metric = |x: &[f64]| -> Result<f64, TrainError> {
            let p = model.predict_with_blob(&Matrix { values: x, cols: w })?;
            Ok(headline(
                estimator.task,
                &score_samples(estimator.task, data, &split.test, &yte, &p),
            ))
        };
        let base = metric(&xte)?;
        let n = split.test.len();
        let mut perm: Vec<usize> = (0..n).collect();
        for (c, per_feature) in drops.iter_mut().enumerate() {
            let original: Vec<f64> = (0..n).map(|r| xte[r * w + c]).collect();
            let mut per_repeat = Vec::with_capacity(repeats);
            for _ in 0..repeats {
                for i in (1..n).rev() {
                    perm.swap(i, rng.below(i as u64 + 1) as usize);
                }
                for r in 0..n {
                    xte[r * w + c] = original[perm[r]];
                }
                per_repeat.push(base - metric(&xte)?);
            }
            for r in 0..n {
                xte[r * w + c] = original[r];
            }
            per_feature.push(per_repeat);
        }
    }
    Ok(drops
        .iter()
        .map(|per_split| {
            let (mean, std_error) = if per_split.len() == 1 {
                mean_and_se(&per_split[0])
            } else {
                let means: Vec<f64> = per_split.iter().map(|r| mean_and_se(r).0).collect();
                mean_and_se(&means)
            };
            FeatureImportance { mean, std_error }
        })
        .collect())
}

/// The design's `get_feature_importance_mask(threshold)`: keep the features whose mean
/// importance exceeds `threshold`.
pub fn importance_mask(importance: &[FeatureImportance], threshold: f64) -> Vec<bool> {
    importance.iter().map(|v| v.mean > threshold).collect()
}

/// How the nested importance mask is computed inside each training fold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NestedMask {
    /// The inner purged K-fold over the outer training rows.
    pub inner: PurgedKFold,
    /// Keep a feature whose inner mean importance exceeds this.
    pub threshold: f64,
    /// Permutations per feature and inner split.
    pub repeats: usize,
    /// Seed of the permutations.
    pub seed: u64,
}

/// Cross-validation with feature selection nested inside it: for each outer split, the
/// importance mask comes from permutation importance on inner purged folds of that
/// split's training rows only (its test rows are never seen), then the model is refitted
/// on the kept features and scored on the test rows. Returns the masks (one per split)
/// and the out-of-fold results. A fold whose mask keeps nothing keeps every feature.
pub fn cross_validate_with_importance_mask(
    estimator: &Estimator,
    data: &Dataset,
    splits: &[Split],
    nested: &NestedMask,
) -> Result<(Vec<Vec<bool>>, CvResult), TrainError> {
    let mut masks = Vec::with_capacity(splits.len());
    let mut result = CvResult {
        folds: Vec::with_capacity(splits.len()),
        oof: vec![f64::NAN; data.len()],
        models: Vec::with_capacity(splits.len()),
    };
    for split in splits {
        let train = data.subset(&split.train);
        let inner = nested
            .inner
            .split(&train.labels)
            .map_err(|e| TrainError::Data(format!("inner CV: {e}")))?;
        let importance =
            permutation_importance(estimator, &train, &inner, nested.seed, nested.repeats)?;
        let mask = importance_mask(&importance, nested.threshold);
        let mut columns: Vec<usize> = (0..data.width()).filter(|&c| mask[c]).collect();
        if columns.is_empty() {
            columns = (0..data.width()).collect();
        }
        let fold = cross_validate(estimator, data, std::slice::from_ref(split), &columns)?;
        result.folds.extend(fold.folds);
        result.models.extend(fold.models);
        for &i in &split.test {
            result.oof[i] = fold.oof[i];
        }
        masks.push(mask);
    }
    Ok((masks, result))
}
