//! The linear models on standardised features (weighted mean and sd when the rows are
//! weighted, as a repeated row would count); the standardisation is folded into the
//! exported coefficients (`w' = w / sd`, `b' = b - sum w mean / sd`).
//!
//! Every objective is scikit-learn's, each row's loss counted `s_i` times (its sample
//! weight; 1 without weights), the intercept not penalised:
//! - logistic regression, `sum s (log(1 + e^m) - y m) + alpha / 2 |w|^2` (`C = 1 /
//!   alpha`): Newton's method (IRLS) with a Cholesky solve of the `(p + 1)`-square
//!   Hessian (nalgebra), a handful of `O(n p^2)` steps where smartcore's gradient solver
//!   took forty times longer;
//! - ridge, `sum s (y - m)^2 + alpha |w|^2`: the closed form on weighted-centred columns,
//!   `(Z'SZ + alpha I) w = Z'Sy`, by the same Cholesky solve;
//! - elastic net and lasso (`l1_ratio = 1`), `sum s (y - m)^2 / (2 sum s) + alpha l1_ratio
//!   |w|_1 + alpha (1 - l1_ratio) / 2 |w|^2`: cyclic coordinate descent with soft
//!   thresholding (glmnet's and scikit-learn's method) until no coefficient moves by
//!   more than 1e-10.

use nalgebra::{DMatrix, DVector};
use tickml_core::model::Link;

use super::{Estimator, Export, Matrix, ModelType, TrainError, TrainedModel};
use crate::export::LinearSpec;
use crate::transforms::Standardizer;

/// Coefficients `w` and intercept `b` fitted on standardised columns, in the columns'
/// own units: `w' = w / sd`, `b' = b - sum w' mean`.
fn fold(scaler: &Standardizer, w: &[f64], b: f64) -> (Vec<f64>, f64) {
    let coefficients: Vec<f64> = w.iter().zip(&scaler.sd).map(|(w, s)| w / s).collect();
    let intercept = b - coefficients
        .iter()
        .zip(&scaler.mean)
        .map(|(w, m)| w * m)
        .sum::<f64>();
    (coefficients, intercept)
}

pub(super) fn fit(
    est: &Estimator,
    x: &Matrix,
    y: &[f64],
    weights: Option<&[f64]>,
    names: &[String],
) -> Result<TrainedModel, TrainError> {
    let scaler = Standardizer::fit_weighted(x.values, x.cols, weights);
    let z = design(&scaler, x);
    let weights = DVector::from_iterator(
        x.rows(),
        (0..x.rows()).map(|i| weights.map_or(1.0, |w| w[i])),
    );
    let c = est.config;
    let (w, b, link): (Vec<f64>, f64, Link) = match est.model_type {
        ModelType::LogisticRegression => {
            let (w, b) = logistic(&z, y, &weights, c.alpha)?;
            (w, b, Link::Sigmoid)
        }
        ModelType::Ridge => {
            let (w, b) = ridge(&z, y, &weights, c.alpha)?;
            (w, b, Link::Identity)
        }
        ModelType::ElasticNet => {
            let (w, b) = elastic_net(&z, y, &weights, c.alpha, c.l1_ratio)?;
            (w, b, Link::Identity)
        }
        ModelType::Lasso => {
            let (w, b) = elastic_net(&z, y, &weights, c.alpha, 1.0)?;
            (w, b, Link::Identity)
        }
        other => return Err(TrainError::Data(format!("{} is not linear", other.name()))),
    };
    if w.len() != x.cols {
        return Err(TrainError::Data(format!(
            "{} coefficients for {} features",
            w.len(),
            x.cols
        )));
    }
    // the model's own prediction: the fitted coefficients on the standardised rows
    let own = {
        let (w, b, scaler) = (w.clone(), b, scaler.clone());
        move |x: &Matrix| -> Vec<f64> {
            (0..x.rows())
                .map(|r| {
                    let z = scaler.apply(x.row(r));
                    let m = b + w.iter().zip(&z).map(|(w, z)| w * z).sum::<f64>();
                    if link == Link::Sigmoid {
                        1.0 / (1.0 + (-m).exp())
                    } else {
                        m
                    }
                })
                .collect()
        }
    };
    let (coefficients, intercept) = fold(&scaler, &w, b);
    Ok(TrainedModel {
        model_type: est.model_type,
        task: est.task,
        native: Box::new(own),
        export: Export::Linear(LinearSpec {
            feature_names: names.to_vec(),
            link,
            intercept,
            coefficients,
        }),
        importance: None,
    })
}

/// The standardised rows of `x` as an `n x p` matrix.
fn design(scaler: &Standardizer, x: &Matrix) -> DMatrix<f64> {
    let rows: Vec<f64> = (0..x.rows()).flat_map(|r| scaler.apply(x.row(r))).collect();
    DMatrix::from_row_slice(x.rows(), x.cols, &rows)
}

/// Solves the symmetric positive-definite `a x = b`.
fn cholesky_solve(
    a: DMatrix<f64>,
    b: &DVector<f64>,
    what: &str,
) -> Result<DVector<f64>, TrainError> {
    a.cholesky()
        .map(|c| c.solve(b))
        .ok_or_else(|| TrainError::Data(format!("{what}: the normal equations are singular")))
}

/// `z` with a column of ones appended (the intercept last).
fn with_intercept(z: &DMatrix<f64>) -> DMatrix<f64> {
    z.clone().resize_horizontally(z.ncols() + 1, 1.0)
}

/// `m` with row `i` multiplied by `factors[i]`.
fn scaled_rows(m: &DMatrix<f64>, factors: impl IntoIterator<Item = f64>) -> DMatrix<f64> {
    let mut scaled = m.clone();
    for (mut row, f) in scaled.row_iter_mut().zip(factors) {
        row *= f;
    }
    scaled
}

/// L2-penalised logistic regression by Newton steps with backtracking: returns the
/// weights and the intercept. Stops when no coefficient moves by more than 1e-10 (or
/// after 100 steps).
fn logistic(
    z: &DMatrix<f64>,
    y: &[f64],
    s: &DVector<f64>,
    alpha: f64,
) -> Result<(Vec<f64>, f64), TrainError> {
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(TrainError::Data(format!(
            "logistic regression needs alpha > 0, got {alpha}"
        )));
    }
    let p = z.ncols();
    let a = with_intercept(z);
    let y = DVector::from_column_slice(y);
    let objective = |beta: &DVector<f64>| {
        let m = &a * beta;
        let loss: f64 = m
            .iter()
            .zip(y.iter().zip(s.iter()))
            .map(|(&m, (&y, &s))| s * (softplus(m) - y * m))
            .sum();
        loss + 0.5 * alpha * beta.rows(0, p).norm_squared()
    };
    let mut beta = DVector::<f64>::zeros(p + 1);
    let mut current = objective(&beta);
    for _ in 0..100 {
        let m = &a * &beta;
        let prob = m.map(|m| 1.0 / (1.0 + (-m).exp()));
        let mut gradient = a.tr_mul(&(&prob - &y).component_mul(s));
        let weighted = scaled_rows(
            &a,
            prob.iter()
                .zip(s.iter())
                .map(|(q, s)| (s * (q * (1.0 - q)).max(1e-12)).sqrt()),
        );
        let mut hessian = weighted.tr_mul(&weighted);
        for j in 0..p {
            gradient[j] += alpha * beta[j];
            hessian[(j, j)] += alpha;
        }
        let step = cholesky_solve(hessian, &gradient, "logistic regression")?;
        let mut t = 1.0;
        let mut next = &beta - &step;
        let mut value = objective(&next);
        while value > current && t > 1e-8 {
            t *= 0.5;
            next = &beta - &step * t;
            value = objective(&next);
        }
        let moved = (&step * t).amax();
        beta = next;
        current = value;
        if moved <= 1e-10 {
            break;
        }
    }
    Ok((beta.rows(0, p).iter().copied().collect(), beta[p]))
}

/// `ln(1 + e^m)` without overflow.
fn softplus(m: f64) -> f64 {
    if m > 0.0 {
        m + (-m).exp().ln_1p()
    } else {
        m.exp().ln_1p()
    }
}

/// `z` and `y` centred on their `s`-weighted means, and those means.
fn centred(
    z: &DMatrix<f64>,
    y: &[f64],
    s: &DVector<f64>,
) -> (DMatrix<f64>, DVector<f64>, Vec<f64>, f64) {
    let total = s.sum();
    let mut zc = z.clone();
    let mut means = Vec::with_capacity(z.ncols());
    for mut column in zc.column_iter_mut() {
        let mean = column.dot(s) / total;
        column.add_scalar_mut(-mean);
        means.push(mean);
    }
    let y_mean = y.iter().zip(s.iter()).map(|(y, s)| y * s).sum::<f64>() / total;
    let yc = DVector::from_iterator(y.len(), y.iter().map(|v| v - y_mean));
    (zc, yc, means, y_mean)
}

/// The intercept of weights `w` fitted on centred columns.
fn intercept(means: &[f64], y_mean: f64, w: &[f64]) -> f64 {
    y_mean - means.iter().zip(w).map(|(m, w)| m * w).sum::<f64>()
}

/// Ridge: `(Zc'S Zc + alpha I) w = Zc'S yc`, `b = mean(y) - mean(z) w` (weighted means).
fn ridge(
    z: &DMatrix<f64>,
    y: &[f64],
    s: &DVector<f64>,
    alpha: f64,
) -> Result<(Vec<f64>, f64), TrainError> {
    if !(alpha.is_finite() && alpha >= 0.0) {
        return Err(TrainError::Data(format!(
            "ridge needs alpha >= 0, got {alpha}"
        )));
    }
    let (zc, yc, means, y_mean) = centred(z, y, s);
    let weighted = scaled_rows(&zc, s.iter().map(|s| s.sqrt()));
    let mut gram = weighted.tr_mul(&weighted);
    for j in 0..gram.ncols() {
        gram[(j, j)] += alpha;
    }
    let w: Vec<f64> = cholesky_solve(gram, &zc.tr_mul(&yc.component_mul(s)), "ridge")?
        .iter()
        .copied()
        .collect();
    let b = intercept(&means, y_mean, &w);
    Ok((w, b))
}

/// Elastic net by cyclic coordinate descent on weighted-centred columns:
/// `w_j = soft(sum s z_j r_j / S, alpha l1) / (sum s z_j^2 / S + alpha (1 - l1))` with
/// `r_j` the residual without feature j and `S = sum s`; at most 10,000 sweeps.
fn elastic_net(
    z: &DMatrix<f64>,
    y: &[f64],
    s: &DVector<f64>,
    alpha: f64,
    l1_ratio: f64,
) -> Result<(Vec<f64>, f64), TrainError> {
    if !(alpha.is_finite() && alpha >= 0.0 && (0.0..=1.0).contains(&l1_ratio)) {
        return Err(TrainError::Data(format!(
            "the elastic net needs alpha >= 0 and 0 <= l1_ratio <= 1, got {alpha} and {l1_ratio}"
        )));
    }
    let (zc, yc, means, y_mean) = centred(z, y, s);
    let total = s.sum();
    let (l1, l2) = (alpha * l1_ratio, alpha * (1.0 - l1_ratio));
    let weighted = scaled_rows(&zc, s.iter().copied());
    let scale: Vec<f64> = zc
        .column_iter()
        .zip(weighted.column_iter())
        .map(|(c, cs)| c.dot(&cs) / total)
        .collect();
    let mut w = vec![0.0; zc.ncols()];
    let mut residual = yc;
    for _ in 0..10_000 {
        let mut moved: f64 = 0.0;
        for (j, (column, column_s)) in zc.column_iter().zip(weighted.column_iter()).enumerate() {
            if scale[j] == 0.0 {
                continue;
            }
            let rho = column_s.dot(&residual) / total + scale[j] * w[j];
            let next = rho.signum() * (rho.abs() - l1).max(0.0) / (scale[j] + l2);
            let delta = next - w[j];
            if delta != 0.0 {
                residual.axpy(-delta, &column, 1.0);
                w[j] = next;
                moved = moved.max(delta.abs());
            }
        }
        if moved <= 1e-10 {
            break;
        }
    }
    let b = intercept(&means, y_mean, &w);
    Ok((w, b))
}
