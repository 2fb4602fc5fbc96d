//! The corrected resampled t-test (Nadeau and Bengio 2003) for differences of a metric
//! over cross-validation splits.
//!
//! Splits share training data, so their differences are positively correlated and the
//! plain paired t-test, which treats them as independent, is anti-conservative. Nadeau
//! and Bengio inflate the variance: with `k` differences `d`, mean `m`, sample variance
//! `s^2` (ddof 1), and `n_train`, `n_test` the training and test sizes,
//! `t = m / sqrt((1/k + n_test/n_train) s^2)` with `k - 1` degrees of freedom.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The statistic and its one-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TTest {
    /// The corrected t statistic (NaN when undefined).
    pub t: f64,
    /// `P(T >= t)` under `T ~ t(k - 1)`: small when the mean difference is positive.
    /// NaN when the test is undefined (fewer than 2 differences, a non-finite
    /// difference, or zero variance): no p-value is made up, in particular never 0.
    pub p_value: f64,
    /// Degrees of freedom, `k - 1`.
    pub df: f64,
}

/// Nadeau-Bengio corrected resampled t-test of "mean of `d` > 0".
pub fn corrected_resampled_ttest(d: &[f64], n_train: f64, n_test: f64) -> TTest {
    let k = d.len() as f64;
    let undefined = TTest {
        t: f64::NAN,
        p_value: f64::NAN,
        df: (k - 1.0).max(0.0),
    };
    if d.len() < 2 || d.iter().any(|v| !v.is_finite()) || !(n_train > 0.0 && n_test >= 0.0) {
        return undefined;
    }
    let mean = d.iter().sum::<f64>() / k;
    let var = d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0);
    if var <= 0.0 {
        return undefined;
    }
    let t = mean / ((1.0 / k + n_test / n_train) * var).sqrt();
    let p_value = StudentsT::new(0.0, 1.0, k - 1.0).map_or(f64::NAN, |dist| dist.sf(t));
    TTest {
        t,
        p_value,
        df: k - 1.0,
    }
}
