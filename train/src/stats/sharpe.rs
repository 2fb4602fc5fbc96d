//! The Sharpe ratio with a standard error that survives fat tails and autocorrelation,
//! the Probabilistic Sharpe Ratio and the Deflated Sharpe Ratio.
//!
//! Conventions (checked against scipy and numpy by `tests/fixtures/gen_backtest.py`):
//! - Sharpe per period `SR = mean(r) / sd(r)`, `sd` with ddof 1 (as in CSCV), 0 risk-free.
//! - Moments are population moments: `g3 = m3 / m2^1.5` (`scipy.stats.skew`) and
//!   `g4 = m4 / m2^2`, non-excess (`scipy.stats.kurtosis(fisher=False)`).
//! - The standard error is Lo (2002)'s GMM estimator with a Newey-West (Bartlett) long-run
//!   covariance of `(r - mu, (r - mu)^2 - s^2)`, `q = floor(4 (T / 100)^(2/9))` lags, the
//!   delta method through `SR = mu / s` (`s^2` the 1/T variance): valid for non-normal,
//!   serially correlated returns. It is per period, like `SR`.

use statrs::distribution::{ContinuousCDF, Normal};

/// The Euler-Mascheroni constant.
pub const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// What a return series says about its Sharpe ratio.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SharpeStats {
    /// Returns.
    pub n: usize,
    /// Per-period Sharpe ratio (ddof 1); NaN below 2 returns or with zero variance.
    pub sharpe: f64,
    /// `sharpe * sqrt(periods_per_year)`.
    pub sharpe_annualised: f64,
    /// Lo (2002) HAC standard error of the per-period Sharpe ratio.
    pub sharpe_se: f64,
    /// Population skewness.
    pub skew: f64,
    /// Population kurtosis, non-excess (3 for a normal).
    pub kurtosis: f64,
    /// PSR against 0.
    pub psr: f64,
}

/// The per-period Sharpe ratio `mean / sd` (ddof 1): NaN below 2 values or for zero
/// variance.
pub fn sharpe(r: &[f64]) -> f64 {
    let sd = sample_sd(r);
    if sd > 0.0 {
        r.iter().sum::<f64>() / r.len() as f64 / sd
    } else {
        f64::NAN
    }
}

/// The sample standard deviation (ddof 1); NaN below 2 values.
pub fn sample_sd(r: &[f64]) -> f64 {
    let n = r.len() as f64;
    if r.len() < 2 {
        return f64::NAN;
    }
    let mean = r.iter().sum::<f64>() / n;
    (r.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// Population skewness and non-excess kurtosis (NaN for constant series).
pub fn moments(r: &[f64]) -> (f64, f64) {
    let n = r.len() as f64;
    let mean = r.iter().sum::<f64>() / n;
    let central = |k: i32| r.iter().map(|v| (v - mean).powi(k)).sum::<f64>() / n;
    let m2 = central(2);
    if m2 <= 0.0 || r.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    (central(3) / m2.powf(1.5), central(4) / (m2 * m2))
}

/// Newey-West lags for `t` observations: `floor(4 (t / 100)^(2/9))`.
pub fn newey_west_lags(t: usize) -> usize {
    (4.0 * (t as f64 / 100.0).powf(2.0 / 9.0)).floor() as usize
}

/// Lo (2002)'s standard error of the per-period Sharpe ratio (module docs).
pub fn sharpe_standard_error(r: &[f64]) -> f64 {
    let t = r.len();
    if t < 2 {
        return f64::NAN;
    }
    let n = t as f64;
    let mu = r.iter().sum::<f64>() / n;
    let s2 = r.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / n;
    if s2 <= 0.0 {
        return f64::NAN;
    }
    let psi: Vec<[f64; 2]> = r.iter().map(|v| [v - mu, (v - mu).powi(2) - s2]).collect();
    let gamma = |j: usize| {
        let mut g = [[0.0; 2]; 2];
        for k in j..t {
            for (a, row) in g.iter_mut().enumerate() {
                for (b, cell) in row.iter_mut().enumerate() {
                    *cell += psi[k][a] * psi[k - j][b];
                }
            }
        }
        g.map(|row| row.map(|v| v / n))
    };
    let mut omega = gamma(0);
    let q = newey_west_lags(t).min(t - 1);
    for j in 1..=q {
        let w = 1.0 - j as f64 / (q as f64 + 1.0);
        let g = gamma(j);
        for (a, row) in omega.iter_mut().enumerate() {
            for (b, cell) in row.iter_mut().enumerate() {
                *cell += w * (g[a][b] + g[b][a]);
            }
        }
    }
    let s = s2.sqrt();
    let grad = [1.0 / s, -mu / (2.0 * s2 * s)];
    let var = (0..2)
        .flat_map(|a| (0..2).map(move |b| (a, b)))
        .map(|(a, b)| grad[a] * omega[a][b] * grad[b])
        .sum::<f64>()
        / n;
    var.max(0.0).sqrt()
}

fn normal() -> Normal {
    Normal::standard()
}

/// Probabilistic Sharpe Ratio (Bailey and Lopez de Prado 2012):
/// `Phi((SR - SR*) sqrt(T - 1) / sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2))`, every Sharpe
/// ratio per period. NaN when undefined (fewer than 2 returns, zero variance, or a
/// non-positive denominator).
pub fn probabilistic_sharpe_ratio(sr: f64, benchmark: f64, t: usize, skew: f64, kurt: f64) -> f64 {
    let denominator = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr;
    if t < 2 || denominator.is_nan() || denominator <= 0.0 || !sr.is_finite() {
        return f64::NAN;
    }
    normal().cdf((sr - benchmark) * ((t - 1) as f64).sqrt() / denominator.sqrt())
}

/// The expected maximum per-period Sharpe ratio of `trials` unskilled trials whose
/// Sharpe ratios have variance `variance` (Bailey and Lopez de Prado 2014):
/// `sqrt(V) ((1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e)))`. One trial: 0.
pub fn expected_max_sharpe(trials: usize, variance: f64) -> f64 {
    if trials <= 1 {
        return 0.0;
    }
    let n = trials as f64;
    let z = |p: f64| normal().inverse_cdf(p);
    variance.sqrt()
        * ((1.0 - EULER_GAMMA) * z(1.0 - 1.0 / n)
            + EULER_GAMMA * z(1.0 - 1.0 / (n * std::f64::consts::E)))
}

/// Deflated Sharpe Ratio: the PSR against [`expected_max_sharpe`] of the trials.
pub fn deflated_sharpe_ratio(
    sr: f64,
    t: usize,
    skew: f64,
    kurt: f64,
    trials: usize,
    variance: f64,
) -> f64 {
    probabilistic_sharpe_ratio(sr, expected_max_sharpe(trials, variance), t, skew, kurt)
}

/// Sample variance (ddof 1) of trials' per-period Sharpe ratios; NaN below 2.
pub fn trials_variance(sharpes: &[f64]) -> f64 {
    let finite: Vec<f64> = sharpes.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.len() < 2 {
        return f64::NAN;
    }
    let n = finite.len() as f64;
    let mean = finite.iter().sum::<f64>() / n;
    finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

/// Every figure of [`SharpeStats`] for returns `r`.
pub fn sharpe_stats(r: &[f64], periods_per_year: f64) -> SharpeStats {
    let sr = sharpe(r);
    let (skew, kurtosis) = moments(r);
    SharpeStats {
        n: r.len(),
        sharpe: sr,
        sharpe_annualised: sr * periods_per_year.sqrt(),
        sharpe_se: sharpe_standard_error(r),
        skew,
        kurtosis,
        psr: probabilistic_sharpe_ratio(sr, 0.0, r.len(), skew, kurtosis),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iid_normal_standard_error_is_close_to_the_textbook_formula() {
        // for i.i.d. normal returns Lo's estimator tends to sqrt((1 + SR^2 / 2) / T)
        let mut rng = crate::rng::XorShift64::new(7);
        let r: Vec<f64> = (0..20_000).map(|_| 0.01 + 0.02 * rng.normal()).collect();
        let sr = sharpe(&r);
        let textbook = ((1.0 + sr * sr / 2.0) / r.len() as f64).sqrt();
        let lo = sharpe_standard_error(&r);
        assert!((lo / textbook - 1.0).abs() < 0.05, "{lo} vs {textbook}");
    }
}
