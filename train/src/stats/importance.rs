//! Feature importance: impurity-based where the model has it (see
//! `TrainedModel::impurity_importance`), and permutation importance under purged CV.

use crate::cv::Split;
use crate::dataset::Dataset;
use crate::evaluate::{headline, score};
use crate::models::{Estimator, Matrix, TrainError};

/// Permutation importance: for each split, fit on the training rows, then shuffle
/// one feature's test column (a fixed seeded permutation) and record the drop of the
/// headline metric; averaged over splits.
pub fn permutation_importance(
    estimator: &Estimator,
    data: &Dataset,
    splits: &[Split],
    horizon: usize,
    seed: u64,
) -> Result<Vec<f64>, TrainError> {
    let w = data.width();
    let mut drop = vec![0.0; w];
    let mut rng = crate::rng::XorShift64::new(seed);
    for split in splits {
        let xtr = data.rows(&split.train);
        let ytr: Vec<f64> = split.train.iter().map(|&i| data.y[i]).collect();
        let model = estimator.fit(
            &Matrix {
                values: &xtr,
                cols: w,
            },
            &ytr,
            &data.names,
        )?;
        let mut xte = data.rows(&split.test);
        let yte: Vec<f64> = split.test.iter().map(|&i| data.y[i]).collect();
        let rte: Vec<f64> = split.test.iter().map(|&i| data.forward_return[i]).collect();
        let base = headline(
            estimator.task,
            &score(
                estimator.task,
                &yte,
                &model.predict_with_blob(&Matrix {
                    values: &xte,
                    cols: w,
                })?,
                &rte,
                horizon,
            ),
        );
        let n = split.test.len();
        let mut perm: Vec<usize> = (0..n).collect();
        for c in 0..w {
            for i in (1..n).rev() {
                perm.swap(i, rng.below(i as u64 + 1) as usize);
            }
            let original: Vec<f64> = (0..n).map(|r| xte[r * w + c]).collect();
            for r in 0..n {
                xte[r * w + c] = original[perm[r]];
            }
            let p = model.predict_with_blob(&Matrix {
                values: &xte,
                cols: w,
            })?;
            drop[c] += base
                - headline(
                    estimator.task,
                    &score(estimator.task, &yte, &p, &rte, horizon),
                );
            for r in 0..n {
                xte[r * w + c] = original[r];
            }
        }
    }
    let k = splits.len().max(1) as f64;
    Ok(drop.into_iter().map(|d| d / k).collect())
}

/// Which features to keep: those whose importance exceeds `threshold`.
pub fn importance_mask(importance: &[f64], threshold: f64) -> Vec<bool> {
    importance.iter().map(|&v| v > threshold).collect()
}
