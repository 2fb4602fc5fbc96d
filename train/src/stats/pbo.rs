//! Probability of Backtest Overfitting by combinatorially symmetric cross-validation
//! (CSCV; Bailey, Borwein, Lopez de Prado and Zhu 2017).
//!
//! A `T x N` matrix holds the per-period returns of `N` configurations. Its rows are cut
//! into `S` contiguous blocks as `numpy.array_split` cuts them (the first `T mod S`
//! blocks one row longer). Every choice of `S / 2` blocks (in `itertools.combinations`
//! order) is an in-sample set, the other blocks its out-of-sample set. On each, every
//! configuration's Sharpe ratio (ddof 1; a series without variance scores 0) is
//! computed; the in-sample best (the first on ties, as `numpy.argmax`) is ranked among
//! the `N` out of sample (ascending, average ranks for ties), `w = rank / (N + 1)`,
//! `logit = ln(w / (1 - w))`. PBO is the share of logits `<= 0`: how often the
//! in-sample winner lands in the bottom half out of sample.

use crate::cv::combinations;
use crate::evaluate::average_ranks;

/// CSCV's outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Pbo {
    /// Share of logits `<= 0`.
    pub pbo: f64,
    /// One logit per combination, in combination order.
    pub logits: Vec<f64>,
    /// Slope of the least-squares line of the in-sample best's out-of-sample Sharpe on
    /// its in-sample Sharpe (performance degradation; below 0 when in-sample success
    /// predicts out-of-sample failure).
    pub degradation_slope: f64,
    /// Share of combinations whose in-sample best loses out of sample (Sharpe < 0).
    pub prob_oos_loss: f64,
    /// The in-sample best's in-sample Sharpe per combination.
    pub sharpe_is: Vec<f64>,
    /// Its out-of-sample Sharpe per combination.
    pub sharpe_oos: Vec<f64>,
}

/// Why CSCV cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PboError {
    /// `S` must be even and at least 2.
    #[error("splits must be even and at least 2 (got {0})")]
    Splits(usize),
    /// Fewer than 2 configurations.
    #[error("PBO needs at least 2 configurations (got {0})")]
    Configurations(usize),
    /// Too few rows: every block needs one, every half two (a Sharpe ratio with ddof 1).
    #[error("{rows} rows are too few for {splits} blocks (one row per block, two per half)")]
    Rows {
        /// Rows.
        rows: usize,
        /// Blocks asked for.
        splits: usize,
    },
    /// The matrix is not `rows x configurations`.
    #[error("the matrix has {len} values, not a multiple of {configurations} configurations")]
    Shape {
        /// Values.
        len: usize,
        /// Configurations.
        configurations: usize,
    },
    /// A return is NaN or infinite.
    #[error("return at row {row}, configuration {configuration} is not finite")]
    NotFinite {
        /// Row (0-based).
        row: usize,
        /// Configuration (0-based).
        configuration: usize,
    },
}

/// Count, mean and sum of squared deviations of a run of returns (merged exactly by
/// Chan et al.'s pairwise update, so a combination's moments come from its blocks').
#[derive(Debug, Clone, Copy, Default)]
struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn of(values: impl Iterator<Item = f64>) -> Self {
        values.fold(Moments::default(), |m, v| {
            m.merge(Moments {
                n: 1.0,
                mean: v,
                m2: 0.0,
            })
        })
    }

    fn merge(self, o: Moments) -> Moments {
        let n = self.n + o.n;
        if n == 0.0 {
            return self;
        }
        let delta = o.mean - self.mean;
        Moments {
            n,
            mean: self.mean + delta * o.n / n,
            m2: self.m2 + o.m2 + delta * delta * self.n * o.n / n,
        }
    }

    fn sharpe(self) -> f64 {
        let var = self.m2 / (self.n - 1.0);
        if var > 0.0 {
            self.mean / var.sqrt()
        } else {
            0.0
        }
    }
}

/// The block bounds of `numpy.array_split(range(rows), splits)`.
pub fn array_split_bounds(rows: usize, splits: usize) -> Vec<(usize, usize)> {
    let (size, extra) = (rows / splits, rows % splits);
    let mut start = 0;
    (0..splits)
        .map(|b| {
            let len = size + usize::from(b < extra);
            let bounds = (start, start + len);
            start += len;
            bounds
        })
        .collect()
}

/// CSCV of `returns` (row-major, `configurations` columns) over `splits` blocks.
pub fn probability_of_backtest_overfitting(
    returns: &[f64],
    configurations: usize,
    splits: usize,
) -> Result<Pbo, PboError> {
    if splits < 2 || !splits.is_multiple_of(2) {
        return Err(PboError::Splits(splits));
    }
    if configurations < 2 {
        return Err(PboError::Configurations(configurations));
    }
    if !returns.len().is_multiple_of(configurations) {
        return Err(PboError::Shape {
            len: returns.len(),
            configurations,
        });
    }
    let rows = returns.len() / configurations;
    // half the blocks hold at least (rows / splits) * splits / 2 rows: ask for 2
    if rows < splits || (rows / splits) * (splits / 2) < 2 {
        return Err(PboError::Rows { rows, splits });
    }
    if let Some(k) = returns.iter().position(|v| !v.is_finite()) {
        return Err(PboError::NotFinite {
            row: k / configurations,
            configuration: k % configurations,
        });
    }
    let blocks: Vec<Vec<Moments>> = array_split_bounds(rows, splits)
        .into_iter()
        .map(|(a, b)| {
            (0..configurations)
                .map(|c| Moments::of((a..b).map(|t| returns[t * configurations + c])))
                .collect()
        })
        .collect();
    let sharpe_over = |chosen: &mut dyn Iterator<Item = usize>| -> Vec<f64> {
        let mut total = vec![Moments::default(); configurations];
        for b in chosen {
            for (t, m) in total.iter_mut().zip(&blocks[b]) {
                *t = t.merge(*m);
            }
        }
        total.into_iter().map(Moments::sharpe).collect()
    };
    let n = configurations as f64;
    let (mut logits, mut sharpe_is, mut sharpe_oos) = (Vec::new(), Vec::new(), Vec::new());
    for chosen in combinations(splits, splits / 2) {
        let is = sharpe_over(&mut chosen.iter().copied());
        let oos = sharpe_over(&mut (0..splits).filter(|b| !chosen.contains(b)));
        let best = (0..configurations).fold(0, |best, c| if is[c] > is[best] { c } else { best });
        let w = average_ranks(&oos)[best] / (n + 1.0);
        logits.push((w / (1.0 - w)).ln());
        sharpe_is.push(is[best]);
        sharpe_oos.push(oos[best]);
    }
    let k = logits.len() as f64;
    Ok(Pbo {
        pbo: logits.iter().filter(|&&l| l <= 0.0).count() as f64 / k,
        degradation_slope: least_squares_slope(&sharpe_is, &sharpe_oos),
        prob_oos_loss: sharpe_oos.iter().filter(|&&s| s < 0.0).count() as f64 / k,
        logits,
        sharpe_is,
        sharpe_oos,
    })
}

/// Slope of the least-squares line of `y` on `x` (`numpy.polyfit(x, y, 1)[0]`); NaN
/// when `x` has no spread.
pub fn least_squares_slope(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    if sxx > 0.0 {
        sxy / sxx
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_split_matches_numpy() {
        // numpy.array_split(range(10), 4) -> lengths 3, 3, 2, 2
        assert_eq!(
            array_split_bounds(10, 4),
            vec![(0, 3), (3, 6), (6, 8), (8, 10)]
        );
    }
}
