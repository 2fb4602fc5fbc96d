//! Gradient-boosted trees on the shared histogram learner (`models::hist_tree`, private):
//! log-loss (Newton steps on `g = p - y`, `h = p (1 - p)`) for classification, squared
//! error for regression, 64 quantile bins (HistGradientBoosting's setting in the tests'
//! reference), NaN learned per split.

use tickml_core::model::{Aggregation, Link, ThresholdWidth};

use super::hist_tree::{self, Binned, Tree, TreeParams};
use super::{Matrix, ModelConfig, Task, TrainError};
use crate::export::TreeEnsembleSpec;
use crate::rng::XorShift64;
use rayon::prelude::*;

/// Quantile bins per feature.
const BINS: usize = 64;

/// A fitted boosted ensemble.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientBoosting {
    task: Task,
    base: f64,
    trees: Vec<Tree>,
    gain: Vec<f64>,
}

impl GradientBoosting {
    /// Fits `config.n_estimators` trees of depth `config.max_depth`, each row's gradient
    /// and hessian scaled by its weight (rows of weight 0 left out).
    pub fn fit(
        x: &Matrix,
        y: &[f64],
        weights: Option<&[f64]>,
        task: Task,
        config: &ModelConfig,
    ) -> Result<Self, TrainError> {
        let n = x.rows();
        if n == 0 || y.iter().any(|v| !v.is_finite()) {
            return Err(TrainError::Data(
                "boosting needs rows and finite labels".into(),
            ));
        }
        let binned = Binned::new(x, BINS, weights);
        let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
        let mean = (0..n).map(|i| weight(i) * y[i]).sum::<f64>() / (0..n).map(weight).sum::<f64>();
        let base = match task {
            Task::Classification => {
                let p = mean.clamp(1e-6, 1.0 - 1e-6);
                (p / (1.0 - p)).ln()
            }
            Task::Regression => mean,
        };
        let mut margin = vec![base; n];
        let mut model = GradientBoosting {
            task,
            base,
            trees: Vec::new(),
            gain: vec![0.0; x.cols],
        };
        let params = TreeParams {
            max_depth: config.max_depth,
            min_samples_leaf: config.min_samples_leaf,
            l2: config.l2,
            shrinkage: config.learning_rate,
            features_per_split: x.cols,
        };
        // every feature is tried at every split: the generator is never drawn from
        let mut rng = XorShift64::new(config.seed);
        let (mut g, mut h) = (vec![0.0; n], vec![0.0; n]);
        for _ in 0..config.n_estimators {
            g.par_iter_mut()
                .zip(h.par_iter_mut())
                .enumerate()
                .for_each(|(i, (g, h))| {
                    let (gi, hi) = match task {
                        Task::Classification => {
                            let p = 1.0 / (1.0 + (-margin[i]).exp());
                            (p - y[i], (p * (1.0 - p)).max(1e-12))
                        }
                        Task::Regression => (margin[i] - y[i], 1.0),
                    };
                    *g = gi * weight(i);
                    *h = hi * weight(i);
                });
            let rows: Vec<u32> = (0..n as u32)
                .filter(|&i| weight(i as usize) > 0.0)
                .collect();
            let tree = hist_tree::grow(&binned, &g, &h, rows, &params, &mut rng, &mut model.gain);
            margin
                .par_iter_mut()
                .enumerate()
                .for_each(|(i, m)| *m += tree.value(x.row(i)));
            model.trees.push(tree);
        }
        Ok(model)
    }

    /// The model's own prediction for one row: P(1) or the value.
    pub fn predict_row(&self, x: &[f64]) -> f64 {
        let mut m = self.base;
        for tree in &self.trees {
            m += tree.value(x);
        }
        match self.task {
            Task::Classification => 1.0 / (1.0 + (-m).exp()),
            Task::Regression => m,
        }
    }

    /// Total split gain per feature, normalised to sum 1.
    pub fn importance(&self) -> Vec<f64> {
        hist_tree::normalised(&self.gain)
    }

    /// The trees for export.
    pub fn to_spec(&self, names: &[String]) -> TreeEnsembleSpec {
        let trees = self.trees.iter().map(Tree::to_spec).collect();
        TreeEnsembleSpec {
            feature_names: names.to_vec(),
            outputs: 1,
            aggregation: Aggregation::Sum,
            link: if self.task == Task::Classification {
                Link::Sigmoid
            } else {
                Link::Identity
            },
            link_scale: 1.0,
            threshold_width: ThresholdWidth::F64,
            input_zero_threshold: 0.0,
            base_margin: vec![self.base],
            trees,
        }
    }
}
