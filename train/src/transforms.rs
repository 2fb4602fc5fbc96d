//! Causal transforms for non-stationary series: each output at t uses inputs at
//! `<= t` only (NaN until enough history).

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
