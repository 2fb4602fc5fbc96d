//! The random forest and the single decision tree on the shared histogram learner
//! ([`super::hist_tree`]): CART trees on 0/1 labels (`g = -y w`, `h = w`, no penalty,
//! so a split maximises the weighted Gini decrease and a leaf holds its weighted class
//! fraction) over 255 quantile bins. The forest, as scikit-learn's
//! `RandomForestClassifier`, fits each tree on a bootstrap sample (the draw counts as
//! weights) trying `floor(sqrt(p))` random features per split, and predicts the mean of
//! its trees' leaf fractions; the single tree sees every row and feature.

use tickml_core::model::{Aggregation, Link, ThresholdWidth};

use super::hist_tree::{self, Binned, Tree, TreeParams};
use super::{Matrix, ModelConfig, TrainError};
use crate::export::TreeEnsembleSpec;
use crate::rng::XorShift64;

/// Quantile bins per feature.
const BINS: usize = hist_tree::MAX_BINS;

/// Bootstrap rows and subsample features (a forest), or neither (one tree).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sampling {
    /// `n_estimators` trees on bootstrap samples, `floor(sqrt(p))` features per split.
    Forest,
    /// One tree on every row, every feature at every split.
    SingleTree,
}

/// Fitted trees whose predictions are averaged.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Forest {
    trees: Vec<Tree>,
    gain: Vec<f64>,
}

impl Forest {
    /// Fits on 0/1 labels `y` with optional per-row `weights`.
    pub(crate) fn fit(
        x: &Matrix,
        y: &[f64],
        weights: Option<&[f64]>,
        config: &ModelConfig,
        sampling: Sampling,
    ) -> Result<Self, TrainError> {
        let n = x.rows();
        if n == 0 || n > u32::MAX as usize {
            return Err(TrainError::Data(format!("a forest cannot fit {n} rows")));
        }
        let binned = Binned::new(x, BINS, weights);
        let (trees, features_per_split) = match sampling {
            Sampling::Forest => (
                usize::from(config.n_estimators).max(1),
                ((x.cols as f64).sqrt().floor() as usize).max(1),
            ),
            Sampling::SingleTree => (1, x.cols),
        };
        let params = TreeParams {
            max_depth: config.max_depth,
            min_samples_leaf: config.min_samples_leaf,
            l2: 0.0,
            shrinkage: 1.0,
            features_per_split,
        };
        let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
        let mut rng = XorShift64::new(config.seed);
        let mut forest = Forest {
            trees: Vec::with_capacity(trees),
            gain: vec![0.0; x.cols],
        };
        let (mut g, mut h) = (vec![0.0; n], vec![0.0; n]);
        let mut counts = vec![0u32; n];
        for _ in 0..trees {
            counts.fill(0);
            match sampling {
                Sampling::Forest => {
                    for _ in 0..n {
                        counts[rng.below(n as u64) as usize] += 1;
                    }
                }
                Sampling::SingleTree => counts.fill(1),
            }
            let mut rows = Vec::with_capacity(n);
            for i in 0..n {
                let w = f64::from(counts[i]) * weight(i);
                if w > 0.0 {
                    g[i] = -y[i] * w;
                    h[i] = w;
                    rows.push(i as u32);
                }
            }
            let tree = hist_tree::grow(&binned, &g, &h, rows, &params, &mut rng, &mut forest.gain);
            forest.trees.push(tree);
        }
        Ok(forest)
    }

    /// The mean of the trees' leaf values (P(1)).
    pub(crate) fn predict_row(&self, x: &[f64]) -> f64 {
        let sum: f64 = self.trees.iter().map(|t| t.value(x)).sum();
        sum / self.trees.len().max(1) as f64
    }

    /// Total Gini decrease per feature, normalised to sum 1 (scikit-learn's
    /// `feature_importances_` up to its per-tree normalisation).
    pub(crate) fn importance(&self) -> Vec<f64> {
        hist_tree::normalised(&self.gain)
    }

    /// The trees for export: their mean, no link.
    pub(crate) fn to_spec(&self, names: &[String]) -> TreeEnsembleSpec {
        TreeEnsembleSpec {
            feature_names: names.to_vec(),
            outputs: 1,
            aggregation: Aggregation::Mean,
            link: Link::Identity,
            link_scale: 1.0,
            threshold_width: ThresholdWidth::F64,
            input_zero_threshold: 0.0,
            base_margin: vec![0.0],
            trees: self.trees.iter().map(Tree::to_spec).collect(),
        }
    }
}
