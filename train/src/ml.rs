//! The library face, in the shape of the design's usage example: `MLPipeline` prepares
//! data, picks a CV splitter, trains every model per fold (`{model}_fold_{k}`), builds an
//! ensemble arbitrated by regime on out-of-fold predictions only, and runs ablations.
//! The CLI's commands are shells over the same functions.

use tickml_core::arbitrator::{
    ArbitrationResult, ArbitratorConfig, MarketContext, StrategyArbitrator, StrategyFamily,
    StrategyInfo, Weighting,
};
use tickml_core::regime::{RegimeDetector, RegimeType, RuleConfig, RuleDetector, REGIMES};
use tickml_core::{Bar, DefaultFeatureSet, FeatureConfig};

use crate::dataset::{prepare_data, Dataset, InputConfig, TargetType};
use crate::evaluate::{cross_validate, score_samples, Scores};
use crate::models::{ModelConfig, ModelFactory, ModelType, Task, TrainedModel};
use crate::pipeline::{CvConfig, PipelineError};
use crate::replay::{replay, signals, Arbitrator};
use crate::stats::ablation::{AblationRow, AblationTester};

/// Most strategies an ensemble holds (as a bundle).
pub const MAX_STRATEGIES: usize = tickml_core::pipeline::MAX_MODELS;

/// Features, models and CV in one place.
#[derive(Debug, Clone)]
pub struct MLPipeline {
    /// The feature set.
    pub feature_config: FeatureConfig,
    /// Which features become model inputs (level features dropped by default).
    pub inputs: InputConfig,
    /// Model hyper-parameters.
    pub model_config: ModelConfig,
    /// The CV scheme (purged K-fold by default).
    pub cv: CvConfig,
    horizon: usize,
    /// The bars of the last `prepare_data`, which the ensemble replays for regimes and
    /// market returns.
    bars: Vec<Bar<f64>>,
}

/// One model under cross-validation.
pub struct CvModel {
    /// Which model.
    pub model_type: ModelType,
    /// The design's `{model}_fold_{k}`: the model fitted on split k's training rows.
    pub folds: Vec<(String, TrainedModel)>,
    /// Scores of each split's test rows.
    pub scores: Vec<Scores>,
    /// Out-of-fold prediction per sample (NaN where never tested).
    pub oof: Vec<f64>,
    /// Scores of all out-of-fold predictions together.
    pub out_of_fold: Scores,
}

/// Cross-validated models arbitrated as strategies.
pub struct Ensemble {
    /// The models, strategy `i + 1` is `models[i]`.
    pub models: Vec<CvModel>,
    /// Each strategy's family.
    pub families: Vec<StrategyFamily>,
    /// The arbitrator, scored on out-of-fold predictions only.
    pub arbitrator: Arbitrator,
    /// The arbitrator's decision at each sample every model predicted out of fold, in
    /// time order: (sample index, decision). Every figure here is out of sample.
    pub decisions: Vec<(usize, ArbitrationResult<f64, MAX_STRATEGIES>)>,
    /// The models predict P(up) (else a return).
    probability: bool,
}

impl MLPipeline {
    /// A pipeline with these features and model settings.
    pub fn new(feature_config: FeatureConfig, model_config: ModelConfig) -> Self {
        MLPipeline {
            feature_config,
            inputs: InputConfig::default(),
            model_config,
            cv: CvConfig::default(),
            horizon: 5,
            bars: Vec::new(),
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
        self.bars = bars.to_vec();
        Ok(prepare_data(
            bars,
            &self.feature_config,
            &self.inputs,
            target,
            horizon,
        )?)
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

    /// Fits each model type on every split of the CV scheme (`{model}_fold_{k}`) and
    /// keeps its out-of-fold predictions and scores.
    pub fn train_models(
        &self,
        data: &Dataset,
        model_types: &[ModelType],
    ) -> Result<Vec<CvModel>, PipelineError> {
        let task = data.target.task()?;
        let splits = self.cv.splits(data)?;
        let all: Vec<usize> = (0..data.width()).collect();
        model_types
            .iter()
            .map(|&m| {
                let est = ModelFactory::create(m, &self.model_config, task)?;
                let cv = cross_validate(&est, data, &splits, &all)?;
                let tested: Vec<usize> = (0..data.len()).filter(|&i| !cv.oof[i].is_nan()).collect();
                let pick = |v: &[f64]| -> Vec<f64> { tested.iter().map(|&i| v[i]).collect() };
                let (y, _) = data.fold_targets(&tested, &[]);
                let out_of_fold = score_samples(task, data, &tested, &y, &pick(&cv.oof));
                Ok(CvModel {
                    model_type: m,
                    folds: cv
                        .models
                        .into_iter()
                        .enumerate()
                        .map(|(k, model)| (format!("{}_fold_{k}", m.name()), model))
                        .collect(),
                    scores: cv.folds,
                    oof: cv.oof,
                    out_of_fold,
                })
            })
            .collect()
    }

    /// Trains each model per fold, registers it as a strategy of the given family (ids
    /// 1, 2, ...), and replays the history through the arbitrator with the out-of-fold
    /// predictions only, bar by bar with the rule regime detector, so its scores,
    /// weights and decisions are out of sample.
    pub fn create_ensemble(
        &self,
        data: &Dataset,
        strategies: &[(ModelType, StrategyFamily)],
    ) -> Result<Ensemble, PipelineError> {
        if self.bars.is_empty() {
            return Err(PipelineError::Config(
                "create_ensemble replays the bars of prepare_data: call it first".into(),
            ));
        }
        let types: Vec<ModelType> = strategies.iter().map(|s| s.0).collect();
        let models = self.train_models(data, &types)?;
        let config_error =
            |e: tickml_core::arbitrator::ArbitratorError| PipelineError::Config(e.to_string());
        let mut arbitrator = Arbitrator::new(ArbitratorConfig::default()).map_err(config_error)?;
        for (i, (_, family)) in strategies.iter().enumerate() {
            arbitrator
                .register_strategy(i as u32 + 1, StrategyInfo { family: *family })
                .map_err(config_error)?;
        }
        let mut ensemble = Ensemble {
            models,
            families: strategies.iter().map(|s| s.1).collect(),
            arbitrator,
            decisions: Vec::new(),
            probability: data.target.task()? == Task::Classification,
        };
        let models = &ensemble.models;
        let oof = |k: usize| -> Option<Vec<f64>> {
            models
                .iter()
                .map(|m| m.oof.get(k).copied().filter(|p| !p.is_nan()))
                .collect()
        };
        ensemble.decisions = replay_with_regimes(
            &mut ensemble.arbitrator,
            &self.feature_config,
            &self.bars,
            data,
            ensemble.probability,
            oof,
        )?;
        Ok(ensemble)
    }

    /// Ablation of `feature_groups` (name, columns) for `model_type` under the CV scheme.
    pub fn run_ablation_study(
        &self,
        data: &Dataset,
        model_type: ModelType,
        feature_groups: &[(String, Vec<usize>)],
    ) -> Result<Vec<AblationRow>, PipelineError> {
        let splits = self.cv.splits(data)?;
        let estimator = ModelFactory::create(model_type, &self.model_config, data.target.task()?)?;
        Ok(AblationTester {
            estimator,
            data,
            splits: &splits,
        }
        .run(feature_groups)?)
    }
}

/// Replays `data`'s samples through `arbitrator` with the predictions `oof(k)` (strategy
/// ids 1, 2, ... in order; None: not every strategy predicted sample k out of fold, so
/// it is skipped), the market context taken causally from `bars`: the features and the
/// rule regime detector advance over every bar up to each sample's, as the live
/// pipeline's would.
pub fn replay_with_regimes<const S: usize>(
    arbitrator: &mut StrategyArbitrator<f64, S, 128>,
    feature_config: &FeatureConfig,
    bars: &[Bar<f64>],
    data: &Dataset,
    probability: bool,
    oof: impl Fn(usize) -> Option<Vec<f64>>,
) -> Result<Vec<(usize, ArbitrationResult<f64, S>)>, PipelineError> {
    let mut features = DefaultFeatureSet::<f64>::new(feature_config.clone())?;
    let mut detector = RuleDetector::<f64>::new(RuleConfig::default(), features.schema())
        .map_err(|e| PipelineError::Config(format!("regime detector: {e}")))?;
    let column = |name: &str| features.schema().index_of(name);
    let (vol, trend) = (column("vol_regime"), column("trend_strength_20"));
    // the features and the detector advance causally to each sample's bar
    let market = |t: usize| -> Result<MarketContext<f64>, PipelineError> {
        while (features.bars_seen() as usize) <= t {
            let bar = bars
                .get(features.bars_seen() as usize)
                .ok_or_else(|| PipelineError::Config("a sample past the bars".into()))?;
            detector.update(features.update(bar)?.values());
        }
        let f = features.features().values();
        let at = |c: Option<usize>| c.and_then(|c| f.get(c).copied()).unwrap_or(f64::NAN);
        Ok(MarketContext {
            vol_regime: at(vol),
            trend_strength: at(trend),
            regime: detector.state(),
        })
    };
    replay(arbitrator, data, probability, oof, market)
}

impl Ensemble {
    /// One bar's predictions (strategy order) through the arbitrator: each becomes a
    /// signal by `Signal::from_prediction`, the mapping the live pipeline uses (a
    /// probability: Long above 0.5, confidence `|2p - 1|`; a return: its sign).
    pub fn process_predictions(
        &mut self,
        timestamp: i64,
        predictions: &[f64],
        market: &MarketContext<f64>,
        market_return: f64,
    ) -> Result<ArbitrationResult<f64, MAX_STRATEGIES>, PipelineError> {
        let signals = signals(timestamp, predictions, self.probability, market);
        self.arbitrator
            .process_signals(&signals, market, market_return)
            .map_err(|e| PipelineError::Config(e.to_string()))
    }

    /// The regime-aware allocation table: for each regime, the weight each strategy would
    /// get now (its current score times its family's multiplier in that regime, through
    /// the softmax; `Equal` weighting: 1 / n), all strategies active.
    pub fn allocation_table(&self, scores: &[Option<f64>]) -> Vec<(RegimeType, Vec<f64>)> {
        let c = self.arbitrator.config();
        let temperature = match c.weighting {
            Weighting::RegimeSoftmax { temperature } => temperature,
            Weighting::FixedShareHedge { .. } => 1.0,
            Weighting::Equal => f64::INFINITY,
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
