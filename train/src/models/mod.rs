//! Model training: one factory for every model, each trained model exportable to the
//! core's blobs, whose predictions equal the trained model's own.
//!
//! Every tree model grows on one histogram tree learner written here (`hist_tree`:
//! quantile bins, second-order gain, NaN learned per split): gradient boosting
//! ([`boosting`]), and the random forest and the single tree (`forest`: CART's Gini
//! split on bootstrap weights), which replaced smartcore's exact CART for speed and for
//! scikit-learn's averaged leaf probabilities. The linear models (`linear`) are Newton,
//! closed-form and coordinate-descent solvers on nalgebra. Every learner takes sample
//! weights ([`Estimator::fit_weighted`]).

pub mod boosting;
mod forest;
mod hist_tree;
mod linear;

use tickml_core::model::Model as CoreModel;
use tickml_core::model::{ModelError, QuickScorer, ScorerRecord};

use crate::export::{ExportError, LinearSpec, TreeEnsembleSpec};

/// What is learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Binary classification (labels 0/1); models predict P(1).
    Classification,
    /// Regression; models predict the value.
    Regression,
}

/// The models the factory builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModelType {
    /// Random forest of CART trees on the histogram learner (classification).
    RandomForest,
    /// One CART tree on the histogram learner (classification).
    DecisionTree,
    /// Gradient-boosted trees (log-loss or squared error), written here.
    GradientBoosting,
    /// L2-penalised logistic regression (classification).
    LogisticRegression,
    /// Ridge regression (regression).
    Ridge,
    /// Elastic net (regression).
    ElasticNet,
    /// Lasso (regression).
    Lasso,
    /// LightGBM, named by the design's `ModelFactory`: trained in LightGBM itself and
    /// converted with `tickml import lightgbm`; the factory refuses to train it.
    LightGbm,
    /// XGBoost, likewise: trained in XGBoost, converted with `tickml import xgboost`.
    XgBoost,
}

impl ModelType {
    /// The name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ModelType::RandomForest => "random_forest",
            ModelType::DecisionTree => "decision_tree",
            ModelType::GradientBoosting => "gradient_boosting",
            ModelType::LogisticRegression => "logistic_regression",
            ModelType::Ridge => "ridge",
            ModelType::ElasticNet => "elastic_net",
            ModelType::Lasso => "lasso",
            ModelType::LightGbm => "lightgbm",
            ModelType::XgBoost => "xgboost",
        }
    }

    /// Parses a [`ModelType::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        [
            ModelType::RandomForest,
            ModelType::DecisionTree,
            ModelType::GradientBoosting,
            ModelType::LogisticRegression,
            ModelType::Ridge,
            ModelType::ElasticNet,
            ModelType::Lasso,
            ModelType::LightGbm,
            ModelType::XgBoost,
        ]
        .into_iter()
        .find(|m| m.name() == name)
    }
}

/// Hyper-parameters (each model reads the ones it has).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ModelConfig {
    /// Trees (forest, boosting).
    pub n_estimators: u16,
    /// Maximum tree depth.
    pub max_depth: u16,
    /// Minimum samples in a leaf.
    pub min_samples_leaf: usize,
    /// Boosting shrinkage.
    pub learning_rate: f64,
    /// L2 penalty on boosting leaves.
    pub l2: f64,
    /// Penalty strength of the linear models.
    pub alpha: f64,
    /// Elastic-net mixing (1 = lasso).
    pub l1_ratio: f64,
    /// Seed of the random forest.
    pub seed: u64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            n_estimators: 100,
            max_depth: 4,
            min_samples_leaf: 20,
            learning_rate: 0.1,
            l2: 1.0,
            alpha: 1.0,
            l1_ratio: 0.5,
            seed: 42,
        }
    }
}

/// A training failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// The model does not do this task.
    #[error("{model} does not do {task:?}")]
    UnsupportedTask {
        /// The model.
        model: &'static str,
        /// The task.
        task: Task,
    },
    /// The data cannot be fitted (shape, labels, NaN).
    #[error("{0}")]
    Data(String),
    /// A model the design names but that is trained in its own library and imported.
    #[error(
        "{model} is not trained by tickml: train it in {model} on the features from \
         `tickml features`, save its model file and convert it with `tickml import {model} \
         MODEL --out MODEL.tml` (the core predicts it exactly as {model} does)"
    )]
    ImportOnly {
        /// The model.
        model: &'static str,
    },
    /// Export failed.
    #[error(transparent)]
    Export(#[from] ExportError),
}

/// Row-major training data.
#[derive(Debug, Clone, Copy)]
pub struct Matrix<'a> {
    /// `rows x cols` values.
    pub values: &'a [f64],
    /// Columns.
    pub cols: usize,
}

impl<'a> Matrix<'a> {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.values.len() / self.cols.max(1)
    }
    /// Row `i`.
    pub fn row(&self, i: usize) -> &'a [f64] {
        &self.values[i * self.cols..(i + 1) * self.cols]
    }
}

/// An unfitted model: [`ModelFactory::create`]'s product.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimator {
    /// Which model.
    pub model_type: ModelType,
    /// Its hyper-parameters.
    pub config: ModelConfig,
    /// Its task.
    pub task: Task,
}

/// Builds estimators.
pub struct ModelFactory;

impl ModelFactory {
    /// An estimator of `model_type` for `task`; a model that does not do the task is an
    /// error, and so are LightGBM and XGBoost, which are imported rather than trained
    /// here ([`TrainError::ImportOnly`] says how).
    pub fn create(
        model_type: ModelType,
        config: &ModelConfig,
        task: Task,
    ) -> Result<Estimator, TrainError> {
        use ModelType::*;
        let ok = match model_type {
            RandomForest | DecisionTree | LogisticRegression => task == Task::Classification,
            Ridge | ElasticNet | Lasso => task == Task::Regression,
            GradientBoosting => true,
            LightGbm | XgBoost => {
                return Err(TrainError::ImportOnly {
                    model: model_type.name(),
                })
            }
        };
        if !ok {
            return Err(TrainError::UnsupportedTask {
                model: model_type.name(),
                task,
            });
        }
        Ok(Estimator {
            model_type,
            config: *config,
            task,
        })
    }
}

/// What a trained model exports to.
#[derive(Debug, Clone, PartialEq)]
pub enum Export {
    /// A tree ensemble.
    Trees(TreeEnsembleSpec),
    /// A linear model.
    Linear(LinearSpec),
}

/// A fitted model's own predictor (the library that fitted it).
pub(crate) type NativePredictor = Box<dyn Fn(&Matrix) -> Vec<f64> + Send + Sync>;

/// A fitted model: its own predictor, its export, its impurity importances if it has them.
pub struct TrainedModel {
    /// Which model.
    pub model_type: ModelType,
    /// Its task.
    pub task: Task,
    native: NativePredictor,
    export: Export,
    importance: Option<Vec<f64>>,
}

impl std::fmt::Debug for TrainedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainedModel")
            .field("model_type", &self.model_type)
            .field("task", &self.task)
            .finish()
    }
}

impl TrainedModel {
    /// The model's own predictions (through the code that fitted it): P(1) for
    /// classification (for the forest, the mean of its trees' leaf class fractions),
    /// values for regression.
    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        (self.native)(x)
    }

    /// The export description.
    pub fn export(&self) -> &Export {
        &self.export
    }

    /// The model as a core blob, with the feature names it was trained on.
    pub fn to_blob(&self, schema_hash: u64) -> Result<Vec<u8>, ExportError> {
        match &self.export {
            Export::Trees(t) => t.to_blob(schema_hash),
            Export::Linear(l) => l.to_blob(schema_hash),
        }
    }

    /// Predictions through the exported blob (what the core computes live), the first
    /// output of each row ([`RowPredictor`]).
    pub fn predict_with_blob(&self, x: &Matrix) -> Result<Vec<f64>, ExportError> {
        let blob = self.to_blob(0)?;
        let model = CoreModel::from_blob(&blob).map_err(ExportError::Core)?;
        let mut buf = Vec::new();
        let predictor = RowPredictor::new(model, &mut buf);
        let k = model.outputs();
        let mut out = vec![0.0; x.rows() * k];
        predictor
            .predict_many(x.values, &mut out)
            .map_err(ExportError::Core)?;
        Ok(out.chunks_exact(k).map(|o| o[0]).collect())
    }

    /// Impurity-based importances (normalised to sum 1), where the model has them.
    pub fn impurity_importance(&self) -> Option<&[f64]> {
        self.importance.as_deref()
    }
}

/// A core model scoring many rows: a tree ensemble laid out for QuickScorer, rows side
/// by side, bit for bit as the blob walk; a linear model (or a tree wider than
/// QuickScorer's word) row by row.
#[derive(Debug, Clone, Copy)]
pub struct RowPredictor<'a> {
    model: CoreModel<'a>,
    scorer: Option<QuickScorer<'a>>,
}

impl<'a> RowPredictor<'a> {
    /// Lays `model`'s trees out in `buf` (resized to fit).
    pub fn new(model: CoreModel<'a>, buf: &'a mut Vec<ScorerRecord>) -> Self {
        let scorer = match &model {
            CoreModel::Trees(trees) => {
                buf.resize(QuickScorer::records_needed(trees), ScorerRecord::default());
                QuickScorer::new(*trees, buf).ok()
            }
            CoreModel::Linear(_) => None,
        };
        RowPredictor { model, scorer }
    }

    /// The model.
    pub fn model(&self) -> &CoreModel<'a> {
        &self.model
    }

    /// Predicts every row of `rows` (row-major, the model's `feature_count` values each;
    /// NaN = missing) into `out` (`outputs` values each).
    pub fn predict_many(&self, rows: &[f64], out: &mut [f64]) -> Result<(), ModelError> {
        match &self.scorer {
            Some(scorer) => scorer.predict_many(rows, out),
            None => self.model.predict_many(rows, out),
        }
    }
}

impl Estimator {
    /// Fits on `x` (row-major; NaN only for the tree models) and `y`, every row counted
    /// once.
    pub fn fit(&self, x: &Matrix, y: &[f64], names: &[String]) -> Result<TrainedModel, TrainError> {
        self.fit_weighted(x, y, None, names)
    }

    /// Fits with per-row `weights` (finite, `>= 0`, not all 0): each row's loss counts
    /// `weights[i]` times, scikit-learn's `sample_weight` (the forest multiplies them into
    /// its bootstrap counts; `min_samples_leaf` still counts rows).
    pub fn fit_weighted(
        &self,
        x: &Matrix,
        y: &[f64],
        weights: Option<&[f64]>,
        names: &[String],
    ) -> Result<TrainedModel, TrainError> {
        if let Some(w) = weights {
            if w.len() != y.len() {
                return Err(TrainError::Data(format!(
                    "{} weights for {} labels",
                    w.len(),
                    y.len()
                )));
            }
            if let Some(i) = w.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(TrainError::Data(format!(
                    "sample weight {i} is {}: weights must be finite and >= 0",
                    w[i]
                )));
            }
            if !w.iter().any(|&v| v > 0.0) {
                return Err(TrainError::Data("every sample weight is 0".into()));
            }
        }
        if x.rows() != y.len() || x.rows() == 0 || names.len() != x.cols {
            return Err(TrainError::Data(format!(
                "{} rows, {} labels, {} names for {} columns",
                x.rows(),
                y.len(),
                names.len(),
                x.cols
            )));
        }
        if self.task == Task::Classification && y.iter().any(|&v| v != 0.0 && v != 1.0) {
            return Err(TrainError::Data(
                "classification labels must be 0 or 1".into(),
            ));
        }
        use ModelType::*;
        match self.model_type {
            LogisticRegression | Ridge | ElasticNet | Lasso => {
                linear::fit(self, x, y, weights, names)
            }
            RandomForest | DecisionTree => {
                let sampling = if self.model_type == RandomForest {
                    forest::Sampling::Forest
                } else {
                    forest::Sampling::SingleTree
                };
                let model = forest::Forest::fit(x, y, weights, &self.config, sampling)?;
                Ok(TrainedModel {
                    model_type: self.model_type,
                    task: self.task,
                    export: Export::Trees(model.to_spec(names)),
                    importance: Some(model.importance()),
                    native: Box::new(move |x| {
                        (0..x.rows()).map(|i| model.predict_row(x.row(i))).collect()
                    }),
                })
            }
            LightGbm | XgBoost => Err(TrainError::ImportOnly {
                model: self.model_type.name(),
            }),
            GradientBoosting => {
                let model =
                    boosting::GradientBoosting::fit(x, y, weights, self.task, &self.config)?;
                let export = Export::Trees(model.to_spec(names));
                let importance = Some(model.importance());
                Ok(TrainedModel {
                    model_type: self.model_type,
                    task: self.task,
                    native: Box::new(move |x| {
                        (0..x.rows()).map(|i| model.predict_row(x.row(i))).collect()
                    }),
                    export,
                    importance,
                })
            }
        }
    }
}
