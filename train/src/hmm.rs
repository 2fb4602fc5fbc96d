//! Baum-Welch for the core's Gaussian HMM (diagonal covariances, K <= 4), exported as
//! an `HmmSpec` blob. Scaled forward-backward; emissions in f64.

use tickml_core::regime::{RegimeType, MAX_DIM, MAX_STATES};

use crate::export::HmmSpec;

/// A fitted HMM and its training log-likelihood after each iteration.
#[derive(Debug, Clone)]
pub struct HmmFit {
    /// The parameters (regimes assigned by [`assign_regimes`], Ranging until then).
    pub spec: HmmSpec,
    /// Log-likelihood after each EM iteration (non-decreasing up to rounding).
    pub log_likelihood: Vec<f64>,
}

fn log_density(x: &[f64], mean: &[f64], var: &[f64]) -> f64 {
    x.iter()
        .zip(mean)
        .zip(var)
        .map(|((x, m), v)| -0.5 * ((2.0 * std::f64::consts::PI * v).ln() + (x - m).powi(2) / v))
        .sum()
}

/// Fits `k` states to the observations `x` (rows of equal length, no NaN) with at most
/// `iterations` EM steps, stopping when the log-likelihood gains less than `tol`.
/// Initialisation: states are quantile groups of the first feature.
pub fn fit_hmm(
    x: &[Vec<f64>],
    names: &[String],
    k: usize,
    iterations: usize,
    tol: f64,
) -> Result<HmmFit, String> {
    let t_len = x.len();
    let d = names.len();
    if !(1..=MAX_STATES).contains(&k) || d == 0 || d > MAX_DIM || t_len < 10 * k {
        return Err(format!(
            "need 1 <= K <= {MAX_STATES}, 1 <= D <= {MAX_DIM} and at least {} observations",
            10 * k
        ));
    }
    if x.iter()
        .any(|r| r.len() != d || r.iter().any(|v| !v.is_finite()))
    {
        return Err("observations must be complete rows of finite values".into());
    }
    let overall: Vec<f64> = (0..d)
        .map(|j| {
            let m = x.iter().map(|r| r[j]).sum::<f64>() / t_len as f64;
            x.iter().map(|r| (r[j] - m).powi(2)).sum::<f64>() / t_len as f64
        })
        .collect();
    let floor: Vec<f64> = overall.iter().map(|v| (v * 1e-3).max(1e-12)).collect();
    let mut order: Vec<usize> = (0..t_len).collect();
    order.sort_by(|&a, &b| x[a][0].total_cmp(&x[b][0]));
    let mut means = vec![vec![0.0; d]; k];
    let mut vars = vec![vec![0.0; d]; k];
    for s in 0..k {
        let group = &order[s * t_len / k..(s + 1) * t_len / k];
        for j in 0..d {
            let m = group.iter().map(|&i| x[i][j]).sum::<f64>() / group.len() as f64;
            means[s][j] = m;
            vars[s][j] = (group.iter().map(|&i| (x[i][j] - m).powi(2)).sum::<f64>()
                / group.len() as f64)
                .max(floor[j]);
        }
    }
    let mut start = vec![1.0 / k as f64; k];
    let mut trans: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| {
                    if k == 1 {
                        1.0
                    } else if i == j {
                        0.9
                    } else {
                        0.1 / (k - 1) as f64
                    }
                })
                .collect()
        })
        .collect();
    let mut history = Vec::new();
    for _ in 0..iterations {
        // emissions, scaled forward and backward
        let b: Vec<Vec<f64>> = x
            .iter()
            .map(|o| {
                (0..k)
                    .map(|s| log_density(o, &means[s], &vars[s]))
                    .collect()
            })
            .collect();
        let mut alpha = vec![vec![0.0; k]; t_len];
        let mut scale = vec![0.0; t_len];
        for t in 0..t_len {
            let m = b[t].iter().copied().fold(f64::NEG_INFINITY, f64::max);
            for s in 0..k {
                let prior = if t == 0 {
                    start[s]
                } else {
                    (0..k).map(|i| alpha[t - 1][i] * trans[i][s]).sum()
                };
                alpha[t][s] = prior * (b[t][s] - m).exp();
            }
            let c: f64 = alpha[t].iter().sum();
            alpha[t].iter_mut().for_each(|a| *a /= c);
            scale[t] = c.ln() + m;
        }
        let ll: f64 = scale.iter().sum();
        let mut beta = vec![vec![1.0; k]; t_len];
        for t in (0..t_len - 1).rev() {
            let m = b[t + 1].iter().copied().fold(f64::NEG_INFINITY, f64::max);
            for i in 0..k {
                beta[t][i] = (0..k)
                    .map(|j| trans[i][j] * (b[t + 1][j] - m).exp() * beta[t + 1][j])
                    .sum::<f64>()
                    / (scale[t + 1] - m).exp();
            }
        }
        // M-step
        let gamma: Vec<Vec<f64>> = (0..t_len)
            .map(|t| {
                let g: Vec<f64> = (0..k).map(|s| alpha[t][s] * beta[t][s]).collect();
                let z: f64 = g.iter().sum();
                g.into_iter().map(|v| v / z).collect()
            })
            .collect();
        let mut xi = vec![vec![0.0; k]; k];
        for t in 0..t_len - 1 {
            let m = b[t + 1].iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mut local = vec![vec![0.0; k]; k];
            let mut z = 0.0;
            for i in 0..k {
                for j in 0..k {
                    local[i][j] =
                        alpha[t][i] * trans[i][j] * (b[t + 1][j] - m).exp() * beta[t + 1][j];
                    z += local[i][j];
                }
            }
            for i in 0..k {
                for j in 0..k {
                    xi[i][j] += local[i][j] / z;
                }
            }
        }
        start = gamma[0].clone();
        for i in 0..k {
            let row: f64 = xi[i].iter().sum();
            if row > 0.0 {
                trans[i] = xi[i].iter().map(|v| v / row).collect();
            }
            let w: f64 = gamma.iter().map(|g| g[i]).sum();
            if w > 0.0 {
                for j in 0..d {
                    let m = gamma.iter().zip(x).map(|(g, o)| g[i] * o[j]).sum::<f64>() / w;
                    means[i][j] = m;
                    vars[i][j] = (gamma
                        .iter()
                        .zip(x)
                        .map(|(g, o)| g[i] * (o[j] - m).powi(2))
                        .sum::<f64>()
                        / w)
                        .max(floor[j]);
                }
            }
        }
        let gain = history.last().map_or(f64::INFINITY, |last| ll - last);
        history.push(ll);
        if gain < tol {
            break;
        }
    }
    Ok(HmmFit {
        spec: HmmSpec {
            feature_names: names.to_vec(),
            start,
            transition: trans,
            means,
            variances: vars,
            regimes: vec![RegimeType::Ranging; k],
        },
        log_likelihood: history,
    })
}

/// Assigns regimes to states by the mean of feature `by`, in ascending order of that
/// mean (e.g. by volatility: calm `BullTrend`, middle `Ranging`, turbulent `Crisis`).
pub fn assign_regimes(spec: &mut HmmSpec, by: usize, ascending: &[RegimeType]) {
    let mut order: Vec<usize> = (0..spec.means.len()).collect();
    order.sort_by(|&a, &b| spec.means[a][by].total_cmp(&spec.means[b][by]));
    for (rank, &state) in order.iter().enumerate() {
        if let Some(&r) = ascending.get(rank) {
            spec.regimes[state] = r;
        }
    }
}
