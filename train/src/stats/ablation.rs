//! Ablation by feature group: retrain without a group under purged CV and measure what
//! is lost, with a p-value from the fold-paired differences and BH across groups.

use statrs::distribution::{ContinuousCDF, StudentsT};
use tickml_core::features::Family;

use super::fdr::benjamini_hochberg;
use crate::cv::Split;
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
    /// One-sided paired t-test p-value of "the group helps" over the folds.
    pub p_value: f64,
    /// Benjamini-Hochberg adjusted across groups.
    pub p_adjusted: f64,
}

/// Retrains `estimator` without each group.
pub struct AblationTester<'a> {
    /// The model.
    pub estimator: Estimator,
    /// The data.
    pub data: &'a Dataset,
    /// The CV splits.
    pub splits: &'a [Split],
    /// Label horizon (for the Sharpe).
    pub horizon: usize,
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
    /// Runs the baseline and one ablation per group.
    pub fn run(&self, groups: &[(String, Vec<usize>)]) -> Result<Vec<AblationRow>, TrainError> {
        let all: Vec<usize> = (0..self.data.width()).collect();
        let task = self.estimator.task;
        let per_fold = |cols: &[usize]| -> Result<Vec<f64>, TrainError> {
            Ok(
                cross_validate(&self.estimator, self.data, self.splits, cols, self.horizon)?
                    .folds
                    .iter()
                    .map(|s| headline(task, s))
                    .collect(),
            )
        };
        let base = per_fold(&all)?;
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let mut rows = Vec::new();
        for (group, cols) in groups {
            let kept: Vec<usize> = all.iter().copied().filter(|c| !cols.contains(c)).collect();
            let ablated = per_fold(&kept)?;
            let d: Vec<f64> = base.iter().zip(&ablated).map(|(b, a)| b - a).collect();
            let k = d.len() as f64;
            let md = mean(&d);
            let sd = (d.iter().map(|v| (v - md).powi(2)).sum::<f64>() / (k - 1.0).max(1.0)).sqrt();
            let p_value = if sd > 0.0 && k > 1.0 {
                StudentsT::new(0.0, 1.0, k - 1.0)
                    .map_or(f64::NAN, |t| 1.0 - t.cdf(md / (sd / k.sqrt())))
            } else if md > 0.0 {
                0.0
            } else {
                1.0
            };
            rows.push(AblationRow {
                group: group.clone(),
                features: cols.len(),
                baseline: mean(&base),
                ablated: mean(&ablated),
                importance: md,
                importance_pct: 0.0,
                p_value,
                p_adjusted: f64::NAN,
            });
        }
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
        Ok(rows)
    }
}
