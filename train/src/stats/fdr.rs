//! Multiple-testing corrections, as statsmodels' `multipletests` computes them
//! (`fdr_bh`, `fdr_by`, `holm`): adjusted p-values and rejections.
//!
//! NaN policy: a NaN p-value is not a test. It is left out of the family (the count m
//! is the number of finite p-values), its adjusted value is NaN and it is not rejected;
//! [`Correction::untested`] counts them, so a report can say how many were left out.
//! A p-value outside [0, 1] is an error.

/// The correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Benjamini-Hochberg (FDR under independence or positive dependence).
    BenjaminiHochberg,
    /// Benjamini-Yekutieli (FDR under any dependence).
    BenjaminiYekutieli,
    /// Holm's step-down (family-wise error rate).
    Holm,
}

/// Adjusted p-values and rejections, in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    /// Rejected at the given alpha.
    pub rejected: Vec<bool>,
    /// Adjusted p-values (NaN for NaN inputs).
    pub adjusted: Vec<f64>,
    /// NaN p-values, left out of the family size m.
    pub untested: usize,
}

/// What is wrong with the p-values.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FdrError {
    /// A p-value outside [0, 1].
    #[error("p-value {index} is {value}, outside [0, 1]")]
    OutOfRange {
        /// 0-based position.
        index: usize,
        /// The value.
        value: f64,
    },
    /// alpha outside (0, 1).
    #[error("alpha must be in (0, 1)")]
    BadAlpha,
}

/// Benjamini-Hochberg.
pub fn benjamini_hochberg(p: &[f64], alpha: f64) -> Result<Correction, FdrError> {
    correct(p, alpha, Method::BenjaminiHochberg)
}

/// Benjamini-Yekutieli.
pub fn benjamini_yekutieli(p: &[f64], alpha: f64) -> Result<Correction, FdrError> {
    correct(p, alpha, Method::BenjaminiYekutieli)
}

/// Holm.
pub fn holm(p: &[f64], alpha: f64) -> Result<Correction, FdrError> {
    correct(p, alpha, Method::Holm)
}

/// Applies `method` at `alpha`.
pub fn correct(p: &[f64], alpha: f64, method: Method) -> Result<Correction, FdrError> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(FdrError::BadAlpha);
    }
    if let Some((index, &value)) = p
        .iter()
        .enumerate()
        .find(|(_, v)| !v.is_nan() && !(0.0..=1.0).contains(*v))
    {
        return Err(FdrError::OutOfRange { index, value });
    }
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let m = order.len();
    let sorted: Vec<f64> = order.iter().map(|&i| p[i]).collect();
    let (adjusted_sorted, rejected_sorted) = match method {
        Method::BenjaminiHochberg | Method::BenjaminiYekutieli => {
            let cm = if method == Method::BenjaminiYekutieli {
                (1..=m).map(|i| 1.0 / i as f64).sum::<f64>()
            } else {
                1.0
            };
            // ecdffactor_i = (i + 1) / m / cm
            let factor: Vec<f64> = (1..=m).map(|i| i as f64 / m as f64 / cm).collect();
            let below: Vec<bool> = sorted
                .iter()
                .zip(&factor)
                .map(|(p, f)| *p <= f * alpha)
                .collect();
            let last = below.iter().rposition(|&b| b);
            let rejected: Vec<bool> = (0..m).map(|i| last.is_some_and(|l| i <= l)).collect();
            let mut adjusted: Vec<f64> = sorted.iter().zip(&factor).map(|(p, f)| p / f).collect();
            for i in (0..m.saturating_sub(1)).rev() {
                adjusted[i] = adjusted[i].min(adjusted[i + 1]);
            }
            (
                adjusted.into_iter().map(|v| v.min(1.0)).collect::<Vec<_>>(),
                rejected,
            )
        }
        Method::Holm => {
            let mut notreject: Vec<bool> = sorted
                .iter()
                .enumerate()
                .map(|(i, p)| *p > alpha / (m - i) as f64)
                .collect();
            if let Some(first) = notreject.iter().position(|&b| b) {
                notreject[first..].iter_mut().for_each(|b| *b = true);
            }
            let mut adjusted: Vec<f64> = sorted
                .iter()
                .enumerate()
                .map(|(i, p)| p * (m - i) as f64)
                .collect();
            for i in 1..m {
                adjusted[i] = adjusted[i].max(adjusted[i - 1]);
            }
            (
                adjusted.into_iter().map(|v| v.min(1.0)).collect(),
                notreject.into_iter().map(|b| !b).collect(),
            )
        }
    };
    let mut adjusted = vec![f64::NAN; p.len()];
    let mut rejected = vec![false; p.len()];
    for (k, &i) in order.iter().enumerate() {
        adjusted[i] = adjusted_sorted[k];
        rejected[i] = rejected_sorted[k];
    }
    Ok(Correction {
        rejected,
        adjusted,
        untested: p.len() - m,
    })
}
