//! The library face, in the shape of the seed's usage example: `MLPipeline` prepares
//! data, picks a CV splitter, trains models, builds an ensemble arbitrated by regime
//! and runs ablations. The CLI's commands are shells over the same functions.

use tickml_core::arbitrator::{
    ArbitrationResult, ArbitratorConfig, MarketContext, Signal, StrategyArbitrator, StrategyFamily,
    StrategyInfo, StrategySignal, Weighting,
};
use tickml_core::regime::{RegimeType, REGIMES};
use tickml_core::{Bar, FeatureConfig};

use crate::dataset::{prepare_data, Dataset, TargetType};
use crate::models::{Matrix, ModelConfig, ModelFactory, ModelType, Task, TrainedModel};
use crate::pipeline::{CvConfig, PipelineError};
use crate::stats::ablation::{AblationRow, AblationTester};

/// Most strategies an ensemble holds.
pub const MAX_STRATEGIES: usize = 8;

/// Features, models and CV in one place.
#[derive(Debug, Clone)]
pub struct MLPipeline {
    /// The feature set.
    pub feature_config: FeatureConfig,
    /// Model hyper-parameters.
    pub model_config: ModelConfig,
    /// The CV scheme (purged K-fold by default).
    pub cv: CvConfig,
    horizon: usize,
}

/// Trained models arbitrated as strategies.
pub struct Ensemble {
    /// The models, strategy `i + 1` is `models[i]`.
    pub models: Vec<(ModelType, TrainedModel)>,
    /// Each strategy's family.
    pub families: Vec<StrategyFamily>,
    /// The arbitrator.
    pub arbitrator: StrategyArbitrator<f64, MAX_STRATEGIES, 128>,
}

impl MLPipeline {
    /// A pipeline with these features and model settings.
    pub fn new(feature_config: FeatureConfig, model_config: ModelConfig) -> Self {
        MLPipeline {
            feature_config,
            model_config,
            cv: CvConfig::default(),
            horizon: 5,
        }
    }

    /// Features through the core and targets over `horizon` bars.
    pub fn prepare_data(
        &mut self,
        bars: &[Bar<f64>],
        target: TargetType,
        horizon: usize,
    ) -> Result<Dataset, PipelineError> {
        self.horizon = horizon;
        Ok(prepare_data(bars, &self.feature_config, target, horizon)?)
    }

    /// Chooses the CV scheme by name: `walk_forward` (504/63/21/5), `purged` (5 folds,
    /// purge gap 5, 2% embargo) or `combinatorial` (6 folds, 2 test folds, purge 5,
    /// embargo 5).
    pub fn create_cv_splitter(&mut self, name: &str) -> Result<CvConfig, PipelineError> {
        self.cv = match name {
            "walk_forward" => CvConfig::WalkForward {
                train_size: 504,
                test_size: 63,
                step_size: 21,
                purge_gap: 5,
                expand_train: false,
            },
            "purged" => CvConfig::default(),
            "combinatorial" => CvConfig::Combinatorial {
                n_splits: 6,
                n_test_splits: 2,
                purge: 5,
                embargo: 5,
            },
            other => {
                return Err(PipelineError::Config(format!(
                    "CV splitter `{other}`: use walk_forward, purged or combinatorial"
                )))
            }
        };
        Ok(self.cv)
    }

    fn task(data: &Dataset) -> Task {
        if data.y.iter().all(|&v| v == 0.0 || v == 1.0) {
            Task::Classification
        } else {
            Task::Regression
        }
    }

    /// Fits each model type on all of `data`.
    pub fn train_models(
        &self,
        data: &Dataset,
        model_types: &[ModelType],
    ) -> Result<Vec<(ModelType, TrainedModel)>, PipelineError> {
        let task = Self::task(data);
        model_types
            .iter()
            .map(|&m| {
                let est = ModelFactory::create(m, &self.model_config, task)?;
                Ok((
                    m,
                    est.fit(
                        &Matrix {
                            values: &data.x,
                            cols: data.width(),
                        },
                        &data.y,
                        &data.names,
                    )?,
                ))
            })
            .collect()
    }

    /// Trains each model and registers it as a strategy of the given family (ids 1, 2, ...).
    pub fn create_ensemble(
        &self,
        data: &Dataset,
        strategies: &[(ModelType, StrategyFamily)],
    ) -> Result<Ensemble, PipelineError> {
        let types: Vec<ModelType> = strategies.iter().map(|s| s.0).collect();
        let models = self.train_models(data, &types)?;
        let mut arbitrator = StrategyArbitrator::new(ArbitratorConfig::default())
            .map_err(|e| PipelineError::Config(e.to_string()))?;
        for (i, (_, family)) in strategies.iter().enumerate() {
            arbitrator
                .register_strategy(i as u32 + 1, StrategyInfo { family: *family })
                .map_err(|e| PipelineError::Config(e.to_string()))?;
        }
        Ok(Ensemble {
            models,
            families: strategies.iter().map(|s| s.1).collect(),
            arbitrator,
        })
    }

    /// Ablation of `feature_groups` (name, columns) for `model_type` under the CV scheme.
    pub fn run_ablation_study(
        &self,
        data: &Dataset,
        model_type: ModelType,
        feature_groups: &[(String, Vec<usize>)],
    ) -> Result<Vec<AblationRow>, PipelineError> {
        let splits = self.cv.splits(data)?;
        let estimator = ModelFactory::create(model_type, &self.model_config, Self::task(data))?;
        Ok(AblationTester {
            estimator,
            data,
            splits: &splits,
            horizon: self.horizon,
        }
        .run(feature_groups)?)
    }
}

impl Ensemble {
    /// Every model predicts `row`; each prediction becomes a strategy signal (Long above
    /// 0.5, Short below, confidence `|2p - 1|`) for the arbitrator.
    pub fn process_signals(
        &mut self,
        timestamp: i64,
        row: &[f64],
        market: &MarketContext<f64>,
        market_return: f64,
    ) -> Result<ArbitrationResult<f64, MAX_STRATEGIES>, PipelineError> {
        let signals: Vec<StrategySignal<f64>> = self
            .models
            .iter()
            .enumerate()
            .map(|(i, (_, m))| {
                let p = m.predict(&Matrix {
                    values: row,
                    cols: row.len(),
                })[0];
                let signal = if p > 0.5 {
                    Signal::Long
                } else if p < 0.5 {
                    Signal::Short
                } else {
                    Signal::Neutral
                };
                StrategySignal {
                    strategy_id: i as u32 + 1,
                    timestamp,
                    signal,
                    confidence: (2.0 * p - 1.0).abs().min(1.0),
                    expected_return: 0.0,
                    volatility: 0.0,
                    regime: Some(market.regime.regime),
                }
            })
            .collect();
        self.arbitrator
            .process_signals(&signals, market, market_return)
            .map_err(|e| PipelineError::Config(e.to_string()))
    }

    /// The regime-aware allocation table: for each regime, the weight each strategy would
    /// get now (its current score times its family's multiplier in that regime, through
    /// the softmax), all strategies active.
    pub fn allocation_table(&self, scores: &[Option<f64>]) -> Vec<(RegimeType, Vec<f64>)> {
        let c = self.arbitrator.config();
        let temperature = match c.weighting {
            Weighting::RegimeSoftmax { temperature } => temperature,
            Weighting::FixedShareHedge { .. } => 1.0,
        };
        RegimeType::ALL
            .iter()
            .map(|&r| {
                let raw: Vec<f64> = scores
                    .iter()
                    .zip(&self.families)
                    .map(|(s, f)| {
                        s.unwrap_or(0.0) * c.multipliers[*f as usize][r.index().min(REGIMES - 1)]
                            / temperature
                    })
                    .collect();
                let max = raw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = raw.iter().map(|v| (v - max).exp()).collect();
                let total: f64 = e.iter().sum();
                (r, e.iter().map(|v| v / total).collect())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cv_splitters_by_name() {
        let mut ml = MLPipeline::new(FeatureConfig::default(), ModelConfig::default());
        assert!(matches!(
            ml.create_cv_splitter("walk_forward").unwrap(),
            CvConfig::WalkForward {
                train_size: 504,
                test_size: 63,
                step_size: 21,
                purge_gap: 5,
                expand_train: false
            }
        ));
        assert!(matches!(
            ml.create_cv_splitter("combinatorial").unwrap(),
            CvConfig::Combinatorial { .. }
        ));
        assert_eq!(
            ml.create_cv_splitter("purged").unwrap(),
            CvConfig::default()
        );
        assert!(ml
            .create_cv_splitter("kfold")
            .unwrap_err()
            .to_string()
            .contains("use walk_forward, purged or combinatorial"));
    }
}
