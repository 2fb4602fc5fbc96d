//! Transforms for non-stationary inputs. The column transforms are causal: each output
//! at t uses inputs at `<= t` only (NaN until enough history). PCA neutralisation is
//! fitted on a training fold and then applied to its test rows.

/// `x[t] - x[t - lag]`.
pub fn difference(x: &[f64], lag: usize) -> Vec<f64> {
    (0..x.len())
        .map(|t| {
            if t >= lag {
                x[t] - x[t - lag]
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// `(x[t] - mean) / sd` over the last `window` values (population sd; NaN when 0).
pub fn rolling_zscore(x: &[f64], window: usize) -> Vec<f64> {
    (0..x.len())
        .map(|t| {
            if t + 1 < window || window == 0 {
                return f64::NAN;
            }
            let w = &x[t + 1 - window..=t];
            let mean = w.iter().sum::<f64>() / window as f64;
            let sd = (w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / window as f64).sqrt();
            if sd > 0.0 {
                (x[t] - mean) / sd
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// Fraction of the last `window` values that are `<= x[t]`.
pub fn rolling_rank(x: &[f64], window: usize) -> Vec<f64> {
    (0..x.len())
        .map(|t| {
            if t + 1 < window || window == 0 {
                return f64::NAN;
            }
            x[t + 1 - window..=t].iter().filter(|&&v| v <= x[t]).count() as f64 / window as f64
        })
        .collect()
}

/// The weights of fractional differencing of order `d`, `w_0 = 1`,
/// `w_k = -w_{k-1} (d - k + 1) / k`, for `window` lags.
pub fn frac_diff_weights(d: f64, window: usize) -> Vec<f64> {
    let mut w = vec![1.0];
    for k in 1..window {
        let prev = w[k - 1];
        w.push(-prev * (d - k as f64 + 1.0) / k as f64);
    }
    w
}

/// Fixed-window fractional differencing (López de Prado, AFML 5.5):
/// `y[t] = sum_{k < window} w_k x[t - k]`, NaN for the first `window - 1` values.
pub fn frac_diff(x: &[f64], d: f64, window: usize) -> Vec<f64> {
    let w = frac_diff_weights(d, window.max(1));
    (0..x.len())
        .map(|t| {
            if t + 1 >= w.len() {
                w.iter().enumerate().map(|(k, wk)| wk * x[t - k]).sum()
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// The design's `handle_non_stationarity` dispatcher for one column. Each method is
/// causal (the value at t uses inputs at `<= t` only). The design's fourth method,
/// `pca`, is fitted on training rows and lives in [`PcaNeutralizer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum NonStationarity {
    /// `x[t] - x[t - lag]` ([`difference`]).
    Diff {
        /// Lag in bars.
        lag: usize,
    },
    /// Rolling z-score over `window` bars ([`rolling_zscore`]).
    Normalize {
        /// Window in bars.
        window: usize,
    },
    /// Rolling quantile rank over `window` bars ([`rolling_rank`]).
    Quantile {
        /// Window in bars.
        window: usize,
    },
}

impl NonStationarity {
    /// The transformed series.
    pub fn apply(self, x: &[f64]) -> Vec<f64> {
        match self {
            NonStationarity::Diff { lag } => difference(x, lag),
            NonStationarity::Normalize { window } => rolling_zscore(x, window),
            NonStationarity::Quantile { window } => rolling_rank(x, window),
        }
    }

    /// A short label, e.g. `normalize_252`: the transformed column is named
    /// `<label>(<feature>)`.
    pub fn label(self) -> String {
        match self {
            NonStationarity::Diff { lag } => format!("diff_{lag}"),
            NonStationarity::Normalize { window } => format!("normalize_{window}"),
            NonStationarity::Quantile { window } => format!("quantile_{window}"),
        }
    }
}

/// Column means and population standard deviations fitted on training rows (1 for a
/// constant column): `z = (x - mean) / sd`.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Column means.
    pub mean: Vec<f64>,
    /// Column standard deviations (1 where a column is constant).
    pub sd: Vec<f64>,
}

impl Standardizer {
    /// Fits on `rows x cols` row-major values.
    pub fn fit(x: &[f64], cols: usize) -> Self {
        Self::fit_weighted(x, cols, None)
    }

    /// Fits with each row counted `weights[r]` times (weighted mean and population sd).
    pub fn fit_weighted(x: &[f64], cols: usize, weights: Option<&[f64]>) -> Self {
        let rows = x.len() / cols.max(1);
        let weight = |r: usize| weights.map_or(1.0, |w| w[r]);
        let total = (0..rows).map(weight).sum::<f64>();
        let n = if total > 0.0 { total } else { 1.0 };
        let column = |c: usize| (0..rows).map(move |r| (x[r * cols + c], weight(r)));
        let mean: Vec<f64> = (0..cols)
            .map(|c| column(c).map(|(v, w)| w * v).sum::<f64>() / n)
            .collect();
        let sd = (0..cols)
            .map(|c| {
                let v = column(c)
                    .map(|(v, w)| w * (v - mean[c]).powi(2))
                    .sum::<f64>()
                    / n;
                if v > 0.0 {
                    v.sqrt()
                } else {
                    1.0
                }
            })
            .collect();
        Standardizer { mean, sd }
    }

    /// One row, standardised.
    pub fn apply(&self, row: &[f64]) -> Vec<f64> {
        row.iter()
            .zip(self.mean.iter().zip(&self.sd))
            .map(|(v, (m, s))| (v - m) / s)
            .collect()
    }
}

/// PCA neutralisation fitted on training rows: standardise each column (training mean
/// and population sd, [`Standardizer`]), then remove the projection onto the `k` leading principal
/// components of the training rows, `z - (z V) V^T` (V: the top-k eigenvectors of the
/// training covariance). Rows it is applied to later (a test fold) never enter the fit.
#[derive(Debug, Clone, PartialEq)]
pub struct PcaNeutralizer {
    scaler: Standardizer,
    /// `k` unit eigenvectors, each of length `cols`, largest eigenvalue first.
    components: Vec<Vec<f64>>,
}

impl PcaNeutralizer {
    /// Fits on `rows x cols` row-major values (no NaN).
    pub fn fit(x: &[f64], cols: usize, k: usize) -> Self {
        let rows = x.len() / cols.max(1);
        let n = rows.max(1) as f64;
        let scaler = Standardizer::fit(x, cols);
        let mut cov = nalgebra::DMatrix::<f64>::zeros(cols, cols);
        for row in x.chunks_exact(cols.max(1)) {
            let z = scaler.apply(row);
            for a in 0..cols {
                for b in a..cols {
                    cov[(a, b)] += z[a] * z[b] / n;
                }
            }
        }
        for a in 0..cols {
            for b in 0..a {
                cov[(a, b)] = cov[(b, a)];
            }
        }
        let eigen = nalgebra::SymmetricEigen::new(cov);
        let mut order: Vec<usize> = (0..cols).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
        let components = order
            .iter()
            .take(k.min(cols))
            .map(|&i| eigen.eigenvectors.column(i).iter().copied().collect())
            .collect();
        PcaNeutralizer { scaler, components }
    }

    /// The neutralised, standardised rows of `x` (row-major, same shape).
    pub fn apply(&self, x: &[f64]) -> Vec<f64> {
        let cols = self.scaler.mean.len();
        let mut out = Vec::with_capacity(x.len());
        for row in x.chunks_exact(cols.max(1)) {
            let mut z = self.scaler.apply(row);
            for v in &self.components {
                let proj: f64 = z.iter().zip(v).map(|(a, b)| a * b).sum();
                z.iter_mut().zip(v).for_each(|(a, b)| *a -= proj * b);
            }
            out.extend(z);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frac_diff_of_order_one_is_the_difference() {
        let x: Vec<f64> = (0..20).map(|i| (i as f64 * 0.7).sin() + i as f64).collect();
        // d = 1: weights 1, -1, 0, 0, ...
        assert_eq!(frac_diff_weights(1.0, 4), vec![1.0, -1.0, 0.0, -0.0]);
        let fd = frac_diff(&x, 1.0, 2);
        let diff = difference(&x, 1);
        for t in 1..20 {
            assert!((fd[t] - diff[t]).abs() < 1e-12);
        }
        // d = 0.5: w = 1, -0.5, -0.125, -0.0625
        assert_eq!(frac_diff_weights(0.5, 4), vec![1.0, -0.5, -0.125, -0.0625]);
    }

    #[test]
    fn every_transform_is_causal() {
        let x: Vec<f64> = (0..60).map(|i| ((i * 37) % 11) as f64).collect();
        let prefix = &x[..40];
        let pairs: [(Vec<f64>, Vec<f64>); 4] = [
            (difference(&x, 3), difference(prefix, 3)),
            (rolling_zscore(&x, 7), rolling_zscore(prefix, 7)),
            (rolling_rank(&x, 7), rolling_rank(prefix, 7)),
            (frac_diff(&x, 0.4, 10), frac_diff(prefix, 0.4, 10)),
        ];
        for (full, short) in pairs {
            for t in 0..40 {
                assert!(
                    full[t] == short[t] || (full[t].is_nan() && short[t].is_nan()),
                    "t={t}"
                );
            }
        }
    }
}
