//! The linear models on standardised features; the standardisation is folded into the
//! exported coefficients (`w' = w / sd`, `b' = b - sum w mean / sd`).
//!
//! Logistic regression is Newton's method (IRLS) with a Cholesky solve of the
//! `(p + 1)`-square Hessian (nalgebra), minimising scikit-learn's
//! `sum log(1 + e^m) - y m + alpha / 2 |w|^2` (`C = 1 / alpha`, intercept not
//! penalised): a handful of steps of `O(n p^2)` where smartcore's gradient solver took
//! a hundred times longer. Ridge is its closed form on centred columns,
//! `(X'X + alpha I) w = X'y`, by the same Cholesky solve. smartcore keeps the elastic
//! net and the lasso (coordinate descent, scikit-learn's objective).

use nalgebra::{DMatrix, DVector};
use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::elastic_net::{ElasticNet, ElasticNetParameters};
use smartcore::linear::lasso::{Lasso, LassoParameters};
use tickml_core::model::Link;

use super::{smartcore_err, Estimator, Export, Matrix, ModelType, TrainError, TrainedModel};
use crate::export::LinearSpec;
use crate::transforms::Standardizer;

/// The standardised rows of `x` as smartcore's matrix.
fn standardised(scaler: &Standardizer, x: &Matrix) -> Result<DenseMatrix<f64>, TrainError> {
    let rows: Vec<Vec<f64>> = (0..x.rows()).map(|r| scaler.apply(x.row(r))).collect();
    DenseMatrix::from_2d_vec(&rows).map_err(|e| TrainError::Smartcore(e.to_string()))
}

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
    names: &[String],
) -> Result<TrainedModel, TrainError> {
    let scaler = Standardizer::fit(x.values, x.cols);
    let xs = standardised(&scaler, x)?;
    let c = est.config;
    let (w, b, link): (Vec<f64>, f64, Link) = match est.model_type {
        ModelType::LogisticRegression => {
            let z = design(&scaler, x);
            let (w, b) = logistic(&z, y, c.alpha)?;
            (w, b, Link::Sigmoid)
        }
        ModelType::Ridge => {
            let z = design(&scaler, x);
            let (w, b) = ridge(&z, y, c.alpha)?;
            (w, b, Link::Identity)
        }
        ModelType::ElasticNet => {
            let params = ElasticNetParameters::default()
                .with_alpha(c.alpha)
                .with_l1_ratio(c.l1_ratio)
                .with_normalize(false);
            let m = ElasticNet::fit(&xs, &y.to_vec(), params).map_err(smartcore_err)?;
            (
                m.coefficients().iterator(0).copied().collect(),
                *m.intercept(),
                Link::Identity,
            )
        }
        ModelType::Lasso => {
            let params = LassoParameters::default()
                .with_alpha(c.alpha)
                .with_normalize(false);
            let m = Lasso::fit(&xs, &y.to_vec(), params).map_err(smartcore_err)?;
            (
                m.coefficients().iterator(0).copied().collect(),
                *m.intercept(),
                Link::Identity,
            )
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
    let (n, p) = z.shape();
    let mut a = z.clone().resize_horizontally(p + 1, 1.0);
    a.column_mut(p).fill(1.0);
    debug_assert_eq!(a.nrows(), n);
    a
}

/// L2-penalised logistic regression by Newton steps with backtracking: returns the
/// weights and the intercept. Stops when no coefficient moves by more than 1e-10 (or
/// after 100 steps).
fn logistic(z: &DMatrix<f64>, y: &[f64], alpha: f64) -> Result<(Vec<f64>, f64), TrainError> {
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(TrainError::Data(format!(
            "logistic regression needs alpha > 0, got {alpha}"
        )));
    }
    let (n, p) = z.shape();
    let a = with_intercept(z);
    let y = DVector::from_column_slice(y);
    let objective = |beta: &DVector<f64>| {
        let m = &a * beta;
        let loss: f64 = m
            .iter()
            .zip(y.iter())
            .map(|(&m, &y)| softplus(m) - y * m)
            .sum();
        loss + 0.5 * alpha * beta.rows(0, p).norm_squared()
    };
    let mut beta = DVector::<f64>::zeros(p + 1);
    let mut current = objective(&beta);
    for _ in 0..100 {
        let m = &a * &beta;
        let prob = m.map(|m| 1.0 / (1.0 + (-m).exp()));
        let mut gradient = a.tr_mul(&(&prob - &y));
        let mut weighted = a.clone();
        for (mut row, q) in weighted.row_iter_mut().zip(prob.iter()) {
            row *= (q * (1.0 - q)).max(1e-12).sqrt();
        }
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
    debug_assert_eq!(a.nrows(), n);
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

/// Ridge on centred columns: `(Zc'Zc + alpha I) w = Zc'yc`, `b = mean(y) - mean(z) w`.
fn ridge(z: &DMatrix<f64>, y: &[f64], alpha: f64) -> Result<(Vec<f64>, f64), TrainError> {
    if !(alpha.is_finite() && alpha >= 0.0) {
        return Err(TrainError::Data(format!(
            "ridge needs alpha >= 0, got {alpha}"
        )));
    }
    let n = z.nrows() as f64;
    let means = z.row_mean();
    let mut zc = z.clone();
    for (mut column, mean) in zc.column_iter_mut().zip(means.iter()) {
        column.add_scalar_mut(-mean);
    }
    let y_mean = y.iter().sum::<f64>() / n;
    let yc = DVector::from_iterator(y.len(), y.iter().map(|v| v - y_mean));
    let mut gram = zc.tr_mul(&zc);
    for j in 0..gram.ncols() {
        gram[(j, j)] += alpha;
    }
    let w = cholesky_solve(gram, &zc.tr_mul(&yc), "ridge")?;
    let b = y_mean - means.iter().zip(w.iter()).map(|(m, w)| m * w).sum::<f64>();
    Ok((w.iter().copied().collect(), b))
}
