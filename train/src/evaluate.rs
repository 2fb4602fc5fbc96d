//! Out-of-sample evaluation: fit on each split's training rows, predict its test rows.

use tickml_core::arbitrator::Signal;

use crate::cv::Split;
use crate::dataset::Dataset;
use crate::models::{Estimator, Matrix, Task, TrainError, TrainedModel};

/// Scores of one fold (or of all out-of-fold predictions).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Scores {
    /// Share of correct classes at 0.5 (classification), or NaN.
    pub accuracy: f64,
    /// Area under the ROC curve (ties counted half), or NaN.
    pub roc_auc: f64,
    /// Mean log loss with probabilities clipped to [1e-15, 1 - 1e-15], or NaN.
    pub log_loss: f64,
    /// Annualised net Sharpe of the positions the predictions imply ([`position`]), each
    /// held over the next bar, annualised from the data ([`score_samples`]).
    pub sharpe: f64,
}

/// The position a prediction implies: the serving mapping
/// ([`Signal::from_prediction`]) as signal x confidence, i.e. `2p - 1` for a
/// probability and the sign for a regression value (0 for NaN).
pub fn position(task: Task, prediction: f64) -> f64 {
    let (signal, confidence) = Signal::from_prediction(task == Task::Classification, prediction);
    signal.value() * confidence
}

/// Average ranks, 1-based and ascending, ties sharing their mean rank
/// (`scipy.stats.rankdata(method="average")`).
pub fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        order[i..=j].iter().for_each(|&k| ranks[k] = rank);
        i = j + 1;
    }
    ranks
}

/// ROC AUC by the Mann-Whitney statistic with average ranks for ties.
pub fn roc_auc(y: &[f64], p: &[f64]) -> f64 {
    let ranks = average_ranks(p);
    let positives = y.iter().filter(|&&v| v == 1.0).count() as f64;
    let negatives = y.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return f64::NAN;
    }
    let rank_sum: f64 = ranks
        .iter()
        .zip(y)
        .filter(|(_, &v)| v == 1.0)
        .map(|(r, _)| r)
        .sum();
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

/// Scores predictions `p` of the samples `samples` of `data` (labels `y`): accuracy,
/// ROC AUC and log loss for classification, and the backtest's Sharpe ratio of the
/// positions ([`position`]) they imply ([`Dataset::net_sharpe`]).
pub fn score_samples(
    task: Task,
    data: &Dataset,
    samples: &[usize],
    y: &[f64],
    p: &[f64],
) -> Scores {
    let n = y.len() as f64;
    let (accuracy, roc, log_loss) = match task {
        Task::Classification => {
            let acc = y
                .iter()
                .zip(p)
                .filter(|(y, p)| (**p > 0.5) == (**y == 1.0))
                .count() as f64
                / n;
            let ll = -y
                .iter()
                .zip(p)
                .map(|(y, p)| {
                    let p = p.clamp(1e-15, 1.0 - 1e-15);
                    y * p.ln() + (1.0 - y) * (1.0 - p).ln()
                })
                .sum::<f64>()
                / n;
            (acc, roc_auc(y, p), ll)
        }
        Task::Regression => (f64::NAN, f64::NAN, f64::NAN),
    };
    let positions: Vec<f64> = p.iter().map(|&v| position(task, v)).collect();
    Scores {
        accuracy,
        roc_auc: roc,
        log_loss,
        sharpe: data.net_sharpe(samples, &positions),
    }
}

/// The annualised net Sharpe ratio of each CPCV backtest path: path p holds, on each
/// fold f's samples, the predictions of split `cv.paths[p][f]` (`split_predictions[s]`
/// is split s's prediction per sample of `data`), accounted as [`Dataset::net_sharpe`].
pub fn path_sharpes(
    task: Task,
    data: &Dataset,
    cv: &crate::cv::CombinatorialSplits,
    split_predictions: &[Vec<f64>],
) -> Vec<f64> {
    cv.paths
        .iter()
        .map(|path| {
            let (mut samples, mut positions) = (Vec::new(), Vec::new());
            for (fold, &split) in cv.folds.iter().zip(path) {
                for k in fold.clone() {
                    samples.push(k);
                    positions.push(position(task, split_predictions[split][k]));
                }
            }
            data.net_sharpe(&samples, &positions)
        })
        .collect()
}

/// Out-of-fold results of one estimator.
#[derive(Debug)]
pub struct CvResult {
    /// Scores per fold.
    pub folds: Vec<Scores>,
    /// Out-of-fold prediction per sample (NaN where a sample was never tested; where
    /// test windows overlap, the last split that tested it).
    pub oof: Vec<f64>,
    /// The model fitted on each split's training rows, in split order.
    pub models: Vec<TrainedModel>,
}

/// The metric a fold is judged by for importance and ablation: ROC AUC for
/// classification, the Sharpe of the implied positions for regression.
pub fn headline(task: Task, s: &Scores) -> f64 {
    match task {
        Task::Classification => s.roc_auc,
        Task::Regression => s.sharpe,
    }
}

/// Fits and scores `estimator` on every split, using only the columns `columns`. Each
/// fold's labels and inputs come from [`Dataset::fold_targets`] and
/// [`Dataset::fold_matrices`] (anything fitted, quantile edges or PCA, sees the training
/// rows only), its weights from [`Dataset::fold_weights`]; predictions go through the
/// exported blob, as the core computes them.
pub fn cross_validate(
    estimator: &Estimator,
    data: &Dataset,
    splits: &[Split],
    columns: &[usize],
) -> Result<CvResult, TrainError> {
    let names: Vec<String> = columns.iter().map(|&c| data.names[c].clone()).collect();
    let mut result = CvResult {
        folds: Vec::with_capacity(splits.len()),
        oof: vec![f64::NAN; data.len()],
        models: Vec::with_capacity(splits.len()),
    };
    for split in splits {
        let (xtr, xte) = data.fold_matrices(&split.train, &split.test, columns);
        let (ytr, yte) = data.fold_targets(&split.train, &split.test);
        let model = estimator.fit_weighted(
            &Matrix {
                values: &xtr,
                cols: columns.len(),
            },
            &ytr,
            data.fold_weights(&split.train).as_deref(),
            &names,
        )?;
        let p = model.predict_with_blob(&Matrix {
            values: &xte,
            cols: columns.len(),
        })?;
        result
            .folds
            .push(score_samples(estimator.task, data, &split.test, &yte, &p));
        for (&i, &v) in split.test.iter().zip(&p) {
            result.oof[i] = v;
        }
        result.models.push(model);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_by_hand() {
        // positives at 0.8 and 0.4, negatives at 0.4 and 0.1: pairs (0.8>0.4, 0.8>0.1,
        // 0.4=0.4 -> 1/2, 0.4>0.1) = 3.5 / 4
        assert_eq!(roc_auc(&[1.0, 1.0, 0.0, 0.0], &[0.8, 0.4, 0.4, 0.1]), 0.875);
    }
}
