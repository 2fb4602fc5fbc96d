//! smartcore's linear models on standardised features; the standardisation is folded
//! into the exported coefficients (`w' = w / sd`, `b' = b - sum w mean / sd`).

use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::elastic_net::{ElasticNet, ElasticNetParameters};
use smartcore::linear::lasso::{Lasso, LassoParameters};
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};
use smartcore::linear::ridge_regression::{RidgeRegression, RidgeRegressionParameters};
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
            let labels: Vec<u32> = y.iter().map(|&v| v as u32).collect();
            let params = LogisticRegressionParameters::default().with_alpha(c.alpha);
            let m = LogisticRegression::fit(&xs, &labels, params).map_err(smartcore_err)?;
            let w: Vec<f64> = m.coefficients().iterator(0).copied().collect();
            let b = *m.intercept().iterator(0).next().unwrap_or(&0.0);
            (w, b, Link::Sigmoid)
        }
        ModelType::Ridge => {
            let params = RidgeRegressionParameters::default()
                .with_alpha(c.alpha)
                .with_normalize(false);
            let m = RidgeRegression::fit(&xs, &y.to_vec(), params).map_err(smartcore_err)?;
            (
                m.coefficients().iterator(0).copied().collect(),
                *m.intercept(),
                Link::Identity,
            )
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
        return Err(TrainError::Smartcore(format!(
            "{} coefficients for {} features",
            w.len(),
            x.cols
        )));
    }
    // the model's own prediction: smartcore's coefficients on the standardised rows
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
