//! The train crate's statistics of strategy returns: the Sharpe ratio with Lo's HAC
//! standard error, the Probabilistic and Deflated Sharpe Ratios, and the Probability of
//! Backtest Overfitting by CSCV.

use numpy::PyReadonlyArray2;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tickml_train::stats::{pbo, sharpe};

/// Every figure of `sharpe_stats` for per-period returns `r`: n, the per-period and
/// annualised Sharpe ratio (ddof 1), its HAC standard error, population skewness,
/// non-excess kurtosis and the PSR against 0.
#[pyfunction]
pub fn sharpe_statistics<'py>(
    py: Python<'py>,
    r: Vec<f64>,
    periods_per_year: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let s = sharpe::sharpe_stats(&r, periods_per_year);
    let d = PyDict::new(py);
    d.set_item("n", s.n)?;
    d.set_item("sharpe", s.sharpe)?;
    d.set_item("sharpe_annualised", s.sharpe_annualised)?;
    d.set_item("sharpe_se", s.sharpe_se)?;
    d.set_item("skew", s.skew)?;
    d.set_item("kurtosis", s.kurtosis)?;
    d.set_item("psr", s.psr)?;
    Ok(d)
}

/// The PSR of returns `r` against a per-period Sharpe ratio `benchmark`; with `trials`
/// and their Sharpe ratios' `variance`, the DSR (the benchmark is then the expected
/// maximum of that many unskilled trials).
#[pyfunction]
#[pyo3(signature = (r, benchmark=0.0, trials=None, variance=None))]
pub fn sharpe_ratio_probability(
    r: Vec<f64>,
    benchmark: f64,
    trials: Option<usize>,
    variance: Option<f64>,
) -> f64 {
    let sr = sharpe::sharpe(&r);
    let (skew, kurt) = sharpe::moments(&r);
    match (trials, variance) {
        (Some(n), Some(v)) => sharpe::deflated_sharpe_ratio(sr, r.len(), skew, kurt, n, v),
        _ => sharpe::probabilistic_sharpe_ratio(sr, benchmark, r.len(), skew, kurt),
    }
}

/// The expected maximum per-period Sharpe ratio of `trials` unskilled trials whose
/// Sharpe ratios have variance `variance`.
#[pyfunction]
pub fn expected_max_sharpe(trials: usize, variance: f64) -> f64 {
    sharpe::expected_max_sharpe(trials, variance)
}

/// CSCV over `returns` (periods x configurations) cut into `splits` blocks.
#[pyfunction]
pub fn backtest_overfitting<'py>(
    py: Python<'py>,
    returns: PyReadonlyArray2<'py, f64>,
    splits: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let m = returns.as_array();
    let values: Vec<f64> = m.iter().copied().collect();
    let cols = m.ncols();
    let p = py
        .detach(|| pbo::probability_of_backtest_overfitting(&values, cols, splits))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let d = PyDict::new(py);
    d.set_item("pbo", p.pbo)?;
    d.set_item("logits", p.logits)?;
    d.set_item("degradation_slope", p.degradation_slope)?;
    d.set_item("prob_oos_loss", p.prob_oos_loss)?;
    d.set_item("sharpe_is", p.sharpe_is)?;
    d.set_item("sharpe_oos", p.sharpe_oos)?;
    Ok(d)
}
