//! Ablation by feature group: retrain without a group under purged CV and measure what
//! is lost, with a p-value from the split-paired differences (the Nadeau-Bengio
//! corrected resampled t-test, on splits whose test sets do not overlap) and BH across
//! groups.

use tickml_core::features::Family;

use super::fdr::benjamini_hochberg;
use super::ttest::corrected_resampled_ttest;
use crate::cv::{disjoint_tests, Split};
use crate::dataset::Dataset;
use crate::evaluate::{cross_validate, headline};
use crate::models::{Estimator, TrainError};

/// One group's result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AblationRow {
    /// Group name (a family by default).
    pub group: String,
    /// Features in the group.
    pub features: usize,
    /// Mean headline metric with every feature.
    pub baseline: f64,
    /// Mean headline metric without the group.
    pub ablated: f64,
    /// `baseline - ablated`.
    pub importance: f64,
    /// The importance as a share of the sum of positive importances, in percent.
    pub importance_pct: f64,
    /// Splits the comparison ran on (those with pairwise disjoint test sets).
    pub splits: usize,
    /// The corrected resampled t statistic of "the group helps".
    pub t: f64,
    /// Its one-sided p-value; NaN when undefined (zero variance, fewer than 2 splits).
    pub p_value: f64,
    /// Benjamini-Hochberg adjusted across groups (NaN p-values are not tests).
    pub p_adjusted: f64,
    /// Mean over the splits of the annualised net Sharpe ratio without the group (each
    /// ablation is a trial for the Deflated Sharpe Ratio).
    pub ablated_sharpe: f64,
    /// The same with every feature.
    pub baseline_sharpe: f64,
}

/// Retrains `estimator` without each group.
pub struct AblationTester<'a> {
    /// The model.
    pub estimator: Estimator,
    /// The data.
    pub data: &'a Dataset,
    /// The CV splits.
    pub splits: &'a [Split],
}

/// The 8 families as groups: (family name, column indices).
pub fn family_groups(names: &[String]) -> Vec<(String, Vec<usize>)> {
    let set = tickml_core::DefaultFeatureSet::<f64>::new(tickml_core::FeatureConfig::default());
    let family_of = |name: &str| -> Option<Family> {
        let set = set.as_ref().ok()?;
        let i = set.schema().index_of(name)?;
        set.schema().ids().get(i).map(|id| id.kind.family())
    };
    Family::ALL
        .iter()
        .map(|f| {
            (
                f.name().to_string(),
                names
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| family_of(n) == Some(*f))
                    .map(|(i, _)| i)
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, cols)| !cols.is_empty())
        .collect()
}

impl AblationTester<'_> {
    /// Runs the baseline and one ablation per group, on the splits whose test sets are
    /// disjoint ([`disjoint_tests`]).
    pub fn run(&self, groups: &[(String, Vec<usize>)]) -> Result<Vec<AblationRow>, TrainError> {
        self.run_with_progress(groups, &|_, _| {})
    }

    /// [`AblationTester::run`], calling `progress(done, total)` after the baseline and
    /// after each group's cross-validation.
    pub fn run_with_progress(
        &self,
        groups: &[(String, Vec<usize>)],
        progress: &dyn Fn(usize, usize),
    ) -> Result<Vec<AblationRow>, TrainError> {
        let splits: Vec<Split> = disjoint_tests(self.splits).into_iter().cloned().collect();
        let k = splits.len().max(1) as f64;
        let n_train = splits.iter().map(|s| s.train.len()).sum::<usize>() as f64 / k;
        let n_test = splits.iter().map(|s| s.test.len()).sum::<usize>() as f64 / k;
        let all: Vec<usize> = (0..self.data.width()).collect();
        let task = self.estimator.task;
        let per_fold = |cols: &[usize]| -> Result<(Vec<f64>, f64), TrainError> {
            let folds = cross_validate(&self.estimator, self.data, &splits, cols)?.folds;
            let sharpe = folds.iter().map(|s| s.sharpe).sum::<f64>() / k;
            Ok((folds.iter().map(|s| headline(task, s)).collect(), sharpe))
        };
        let total = groups.len() + 1;
        let (base, baseline_sharpe) = per_fold(&all)?;
        progress(1, total);
        let mut scored = Vec::new();
        for (group, cols) in groups {
            let kept: Vec<usize> = all.iter().copied().filter(|c| !cols.contains(c)).collect();
            let (scores, sharpe) = per_fold(&kept)?;
            progress(scored.len() + 2, total);
            scored.push(GroupScores {
                group: group.clone(),
                features: cols.len(),
                scores,
                sharpe,
            });
        }
        Ok(ablation_table(
            &base,
            baseline_sharpe,
            &scored,
            n_train,
            n_test,
        ))
    }
}

/// One group's per-split scores without it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupScores {
    /// Group name.
    pub group: String,
    /// Features in the group.
    pub features: usize,
    /// The headline metric of each split without the group (the baseline's split order).
    pub scores: Vec<f64>,
    /// Mean annualised net Sharpe ratio without the group (NaN when not measured).
    pub sharpe: f64,
}

/// The ablation table from per-split scores on splits with disjoint test sets (mean
/// sizes `n_train`, `n_test`): importance `mean(base - ablated)`, its corrected resampled
/// t-test, its share of the positive importances, BH across groups. Whoever fits the
/// models (the Rust learners here, any scikit-learn estimator from Python), the
/// statistics are these.
pub fn ablation_table(
    base: &[f64],
    baseline_sharpe: f64,
    groups: &[GroupScores],
    n_train: f64,
    n_test: f64,
) -> Vec<AblationRow> {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let mut rows: Vec<AblationRow> = groups
        .iter()
        .map(|g| {
            let d: Vec<f64> = base.iter().zip(&g.scores).map(|(b, a)| b - a).collect();
            let test = corrected_resampled_ttest(&d, n_train, n_test);
            AblationRow {
                group: g.group.clone(),
                features: g.features,
                baseline: mean(base),
                ablated: mean(&g.scores),
                importance: mean(&d),
                importance_pct: 0.0,
                splits: base.len(),
                t: test.t,
                p_value: test.p_value,
                p_adjusted: f64::NAN,
                ablated_sharpe: g.sharpe,
                baseline_sharpe,
            }
        })
        .collect();
    let positive: f64 = rows.iter().map(|r| r.importance.max(0.0)).sum();
    let p: Vec<f64> = rows.iter().map(|r| r.p_value).collect();
    let adjusted = benjamini_hochberg(&p, 0.05)
        .map(|c| c.adjusted)
        .unwrap_or_else(|_| vec![f64::NAN; p.len()]);
    for (r, a) in rows.iter_mut().zip(adjusted) {
        r.importance_pct = if positive > 0.0 {
            100.0 * r.importance.max(0.0) / positive
        } else {
            0.0
        };
        r.p_adjusted = a;
    }
    rows
}
