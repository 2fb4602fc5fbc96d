//! The training run behind `tickml train` and `tickml ablate`: features through the
//! core, targets, purged CV, the configured models, scores, final fits and blobs.

use tickml_core::arbitrator::Signal;
use tickml_core::{Bar, FeatureConfig};

use crate::cv::{CombinatorialPurgedCV, CvError, PurgedKFold, Split, WalkForwardCV};
use crate::dataset::{prepare_data, Dataset, InputColumn, InputConfig, TargetType};
use crate::evaluate::{cross_validate, path_sharpes, score_samples, Scores};
use crate::models::{Matrix, ModelConfig, ModelFactory, ModelType, Task, TrainError};
use crate::stats::ablation::{family_groups, AblationRow, AblationTester};

/// The cross-validation scheme of a run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(tag = "scheme", rename_all = "snake_case", deny_unknown_fields)]
pub enum CvConfig {
    /// Purged K-fold.
    Purged {
        /// Folds.
        n_splits: usize,
        /// Extra purge (bars).
        purge_gap: usize,
        /// Embargo fraction.
        embargo_pct: f64,
    },
    /// Walk-forward.
    WalkForward {
        /// Training samples.
        train_size: usize,
        /// Test samples.
        test_size: usize,
        /// Step.
        step_size: usize,
        /// Samples left out between training and test.
        purge_gap: usize,
        /// Train on every earlier sample instead of the last `train_size`.
        #[serde(default)]
        expand_train: bool,
    },
    /// Grouped K-fold by symbol (a universe): generalisation to unseen names
    /// ([`crate::cv::group_kfold`]).
    BySymbol {
        /// Folds (at most the number of symbols).
        n_splits: usize,
    },
    /// Combinatorial purged CV in label mode.
    Combinatorial {
        /// Folds.
        n_splits: usize,
        /// Test folds per split.
        n_test_splits: usize,
        /// Purge (bars).
        purge: usize,
        /// Embargo (bars).
        embargo: usize,
    },
}

impl Default for CvConfig {
    /// The design's purged K-fold: 5 folds, `cv_purge_gap = 5`, `cv_embargo_pct = 0.02`.
    fn default() -> Self {
        let d = PurgedKFold::default();
        CvConfig::Purged {
            n_splits: d.n_splits,
            purge_gap: d.purge_gap,
            embargo_pct: d.embargo_pct,
        }
    }
}

impl CvConfig {
    /// The combinatorial splits with their backtest paths, for a combinatorial scheme.
    pub fn combinatorial(
        &self,
        data: &Dataset,
    ) -> Result<Option<crate::cv::CombinatorialSplits>, CvError> {
        match *self {
            CvConfig::Combinatorial {
                n_splits,
                n_test_splits,
                purge,
                embargo,
            } => CombinatorialPurgedCV {
                n_splits,
                n_test_splits,
                purge,
                embargo,
            }
            .split_labels(&data.labels)
            .map(Some),
            _ => Ok(None),
        }
    }

    /// The splits of `data`.
    pub fn splits(&self, data: &Dataset) -> Result<Vec<Split>, CvError> {
        match *self {
            CvConfig::Purged {
                n_splits,
                purge_gap,
                embargo_pct,
            } => PurgedKFold {
                n_splits,
                purge_gap,
                embargo_pct,
            }
            .split(&data.labels),
            CvConfig::WalkForward {
                train_size,
                test_size,
                step_size,
                purge_gap,
                expand_train,
            } => WalkForwardCV {
                train_size,
                test_size,
                step_size,
                purge_gap,
                expand_train,
            }
            .split(&data.labels),
            CvConfig::BySymbol { n_splits } => crate::cv::group_kfold(&data.symbol, n_splits),
            CvConfig::Combinatorial { .. } => Ok(self
                .combinatorial(data)?
                .map(|c| c.splits)
                .unwrap_or_default()),
        }
    }
}

/// Everything a training run needs (`train.toml`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// The feature set.
    pub features: FeatureConfig,
    /// Which features become model inputs, and how (level features dropped by default).
    pub inputs: InputConfig,
    /// `direction` (classification), `return` (regression) or `quantile:N` (N classes;
    /// refused with a message until the factory trains multiclass models).
    pub target: String,
    /// Label horizon in bars.
    pub horizon: usize,
    /// Cost per unit of turnover in basis points, for the net Sharpe of the scores
    /// (default 1).
    pub cost_bps: f64,
    /// The bar rule when the input is trades (`BarRule::parse` text, e.g.
    /// `dollar-imbalance:40`); it goes into the bundle, so a deployment streams the same
    /// bars. None: the input is bars.
    pub bars: Option<String>,
    /// Cross-validation.
    pub cv: CvConfig,
    /// Models by name.
    pub models: Vec<String>,
    /// Hyper-parameters.
    pub model: ModelConfig,
    /// How samples are weighted in every fit (default `auto`: by average uniqueness when
    /// the horizon is longer than one bar).
    pub sample_weights: SampleWeights,
}

/// The sample weights of a run (`sample_weights` in `train.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleWeights {
    /// `uniqueness` when the horizon is longer than one bar, else `none`.
    #[default]
    Auto,
    /// Each sample weighted by its label's average uniqueness
    /// ([`average_uniqueness`](crate::uniqueness::average_uniqueness), AFML 4.4).
    Uniqueness,
    /// Every sample counts once.
    None,
}

impl SampleWeights {
    /// True when the samples of a run with this `horizon` are weighted by uniqueness.
    pub fn by_uniqueness(self, horizon: usize) -> bool {
        match self {
            SampleWeights::Auto => horizon > 1,
            SampleWeights::Uniqueness => true,
            SampleWeights::None => false,
        }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            features: FeatureConfig::default(),
            inputs: InputConfig::default(),
            target: "direction".into(),
            horizon: 5,
            cost_bps: crate::dataset::DEFAULT_COST_BPS,
            bars: None,
            cv: CvConfig::default(),
            models: vec![
                "gradient_boosting".into(),
                "random_forest".into(),
                "logistic_regression".into(),
            ],
            model: ModelConfig::default(),
            sample_weights: SampleWeights::default(),
        }
    }
}

/// A run failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// Bad configuration.
    #[error("{0}")]
    Config(String),
    /// The feature engine refused the data or the configuration.
    #[error("features: {0}")]
    Features(#[from] tickml_core::Error),
    /// Cross-validation.
    #[error("cross-validation: {0}")]
    Cv(#[from] CvError),
    /// Training.
    #[error(transparent)]
    Train(#[from] TrainError),
}

impl TrainConfig {
    /// The task and target of `target`.
    pub fn task(&self) -> Result<(Task, TargetType), PipelineError> {
        let target = match self.target.as_str() {
            "direction" => TargetType::Direction,
            "return" => TargetType::Return,
            other => match other.strip_prefix("quantile:").map(str::parse::<usize>) {
                Some(Ok(bins)) if bins >= 2 => TargetType::Quantile { bins },
                _ => {
                    return Err(PipelineError::Config(format!(
                        "target `{other}`: use direction, return or quantile:N (N >= 2)"
                    )))
                }
            },
        };
        Ok((target.task()?, target))
    }

    /// Features and targets of `bars` under this configuration, its costs attached.
    pub fn dataset(&self, bars: &[Bar<f64>]) -> Result<Dataset, PipelineError> {
        let (_, target) = self.task()?;
        let mut data = prepare_data(bars, &self.features, &self.inputs, target, self.horizon)?;
        data.cost_bps = self.cost_bps;
        self.weigh(&mut data);
        Ok(data)
    }

    /// Features and targets of a file's records: one series ([`TrainConfig::dataset`]),
    /// or a universe when they carry more than one symbol
    /// ([`prepare_panel`](crate::dataset::prepare_panel)).
    pub fn dataset_of(&self, records: &[crate::data::BarRecord]) -> Result<Dataset, PipelineError> {
        if crate::data::symbols(records).len() <= 1 {
            let bars: Vec<Bar<f64>> = records.iter().map(|r| r.bar).collect();
            return self.dataset(&bars);
        }
        let (_, target) = self.task()?;
        let mut data = crate::dataset::prepare_panel(
            records,
            &self.features,
            &self.inputs,
            target,
            self.horizon,
        )?;
        data.cost_bps = self.cost_bps;
        self.weigh(&mut data);
        Ok(data)
    }

    /// Sets the samples' weights by [`TrainConfig::sample_weights`].
    fn weigh(&self, data: &mut Dataset) {
        data.weights = self
            .sample_weights
            .by_uniqueness(self.horizon)
            .then(|| crate::uniqueness::average_uniqueness(&data.labels, &data.symbol));
    }

    /// The bar rule, parsed.
    pub fn bar_rule(&self) -> Result<Option<tickml_core::bars::BarRule>, PipelineError> {
        self.bars
            .as_deref()
            .map(|text| {
                crate::data::parse_bar_rule(text).map_err(|e| PipelineError::Config(e.to_string()))
            })
            .transpose()
    }

    /// The models, parsed.
    pub fn model_types(&self) -> Result<Vec<ModelType>, PipelineError> {
        self.models
            .iter()
            .map(|m| {
                ModelType::from_name(m)
                    .ok_or_else(|| PipelineError::Config(format!("unknown model `{m}`")))
            })
            .collect()
    }
}

/// One model's outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelReport {
    /// Model name.
    pub model: String,
    /// Scores per fold.
    pub folds: Vec<Scores>,
    /// Mean over folds.
    pub mean: Scores,
    /// Scores of all out-of-fold predictions together.
    pub out_of_fold: Scores,
    /// Impurity importance of the final fit by feature (where the model has it).
    pub importance: Option<Vec<(String, f64)>>,
    /// Exactly what the model was fed: each input column, its engine feature and
    /// transform.
    pub inputs: Vec<InputColumn>,
    /// Principal components removed from the inputs, fitted per training fold (0: none).
    pub pca_neutralize: usize,
    /// Under combinatorial CV: the annualised net Sharpe ratio of each backtest path
    /// ([`crate::evaluate::path_sharpes`]).
    pub cpcv_path_sharpes: Option<Vec<f64>>,
    /// Out-of-fold predictions (NaN where never tested).
    #[serde(skip)]
    pub oof: Vec<f64>,
    /// The final model's blob (fit on every sample).
    #[serde(skip)]
    pub blob: Vec<u8>,
}

/// A run's outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrainReport {
    /// Samples used.
    pub samples: usize,
    /// Features used.
    pub features: usize,
    /// Rows dropped while features warmed up.
    pub dropped_warmup: usize,
    /// Rows dropped because their label ran past the data.
    pub dropped_horizon: usize,
    /// Columns never present.
    pub dropped_columns: Vec<String>,
    /// Level features (prices, volumes) left out of the inputs.
    pub dropped_level_features: Vec<String>,
    /// Number of CV splits.
    pub splits: usize,
    /// The baselines on the same test rows, mean of folds: accuracy, ROC AUC and log loss
    /// of a constant prediction equal to the training rows' mean label (for direction:
    /// the majority class, with the prior as its probability); the Sharpe ratio of buy
    /// and hold (position 1 on every test bar, net of the same costs).
    pub baseline: Scores,
    /// The schema hash the blobs carry.
    pub schema_hash: String,
    /// Bars a year, measured from the timestamps (annualises every Sharpe ratio).
    pub periods_per_year: f64,
    /// Under combinatorial CV: buy and hold's annualised net Sharpe on the samples every
    /// backtest path holds (the paths' baseline).
    pub cpcv_buy_and_hold: Option<f64>,
    /// The universe's symbols (empty for one series): one pooled model over all of
    /// them, Sharpe ratios of an equal-weight portfolio of their positions.
    pub symbols: Vec<String>,
    /// Cost per unit of turnover in the net Sharpe ratios, basis points.
    pub cost_bps: f64,
    /// Per model.
    pub models: Vec<ModelReport>,
}

fn mean_scores(folds: &[Scores]) -> Scores {
    let k = folds.len().max(1) as f64;
    let avg = |f: fn(&Scores) -> f64| folds.iter().map(f).sum::<f64>() / k;
    Scores {
        accuracy: avg(|s| s.accuracy),
        roc_auc: avg(|s| s.roc_auc),
        log_loss: avg(|s| s.log_loss),
        sharpe: avg(|s| s.sharpe),
    }
}

/// Features, targets and splits of a run.
pub fn prepare(
    bars: &[Bar<f64>],
    config: &TrainConfig,
) -> Result<(Dataset, Vec<Split>, Task), PipelineError> {
    let (task, _) = config.task()?;
    let data = config.dataset(bars)?;
    let splits = config.cv.splits(&data)?;
    Ok((data, splits, task))
}

/// Trains every configured model under CV, then on all samples. The folds and the final
/// fit of a model run in parallel (rayon); `progress(model, done, total)` is called as
/// fits finish.
pub fn train(
    bars: &[Bar<f64>],
    config: &TrainConfig,
    progress: &(dyn Fn(&str, usize, usize) + Sync),
) -> Result<(Dataset, TrainReport), PipelineError> {
    let (data, splits, task) = prepare(bars, config)?;
    let report = train_dataset(&data, &splits, task, config, progress)?;
    Ok((data, report))
}

/// [`train`] on a file's records: one series, or a universe (pooled: one model over
/// every symbol's samples, CV purged by time across the whole panel).
pub fn train_records(
    records: &[crate::data::BarRecord],
    config: &TrainConfig,
    progress: &(dyn Fn(&str, usize, usize) + Sync),
) -> Result<(Dataset, TrainReport), PipelineError> {
    let (task, _) = config.task()?;
    let data = config.dataset_of(records)?;
    let splits = config.cv.splits(&data)?;
    let report = train_dataset(&data, &splits, task, config, progress)?;
    Ok((data, report))
}

/// [`train`] on a prepared dataset and its splits (a walk-forward backtest's training
/// window, for instance).
pub fn train_dataset(
    data: &Dataset,
    splits: &[Split],
    task: Task,
    config: &TrainConfig,
    progress: &(dyn Fn(&str, usize, usize) + Sync),
) -> Result<TrainReport, PipelineError> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let all: Vec<usize> = (0..data.width()).collect();
    let baseline: Vec<Scores> = splits
        .iter()
        .map(|s| {
            let (ytr, yte) = data.fold_targets(&s.train, &s.test);
            let prior = ytr.iter().sum::<f64>() / ytr.len().max(1) as f64;
            Scores {
                sharpe: data.net_sharpe(&s.test, &vec![1.0; s.test.len()]),
                ..score_samples(task, data, &s.test, &yte, &vec![prior; yte.len()])
            }
        })
        .collect();
    let mut models = Vec::new();
    for model_type in config.model_types()? {
        let estimator = ModelFactory::create(model_type, &config.model, task)?;
        let done = AtomicUsize::new(0);
        let total = splits.len() + 1;
        let tick = || {
            progress(
                model_type.name(),
                done.fetch_add(1, Ordering::Relaxed) + 1,
                total,
            )
        };
        let (fold_results, final_model) = rayon::join(
            || {
                splits
                    .par_iter()
                    .map(|split| {
                        let r = cross_validate(&estimator, data, std::slice::from_ref(split), &all);
                        tick();
                        r
                    })
                    .collect::<Result<Vec<_>, _>>()
            },
            || {
                let rows: Vec<usize> = (0..data.len()).collect();
                let (x, _) = data.fold_matrices(&rows, &[], &all);
                let (y, _) = data.fold_targets(&rows, &[]);
                let m = estimator.fit_weighted(
                    &Matrix {
                        values: &x,
                        cols: data.width(),
                    },
                    &y,
                    data.fold_weights(&rows).as_deref(),
                    &data.names,
                );
                tick();
                m
            },
        );
        let mut folds = Vec::new();
        let mut oof = vec![f64::NAN; data.len()];
        let mut split_predictions = Vec::with_capacity(splits.len());
        for (r, split) in fold_results?.into_iter().zip(splits) {
            folds.extend(r.folds);
            for &i in &split.test {
                oof[i] = r.oof[i];
            }
            split_predictions.push(r.oof);
        }
        let cpcv_path_sharpes = config
            .cv
            .combinatorial(data)?
            .map(|cv| path_sharpes(task, data, &cv, &split_predictions));
        let tested: Vec<usize> = (0..data.len()).filter(|&i| !oof[i].is_nan()).collect();
        let pick = |v: &[f64]| -> Vec<f64> { tested.iter().map(|&i| v[i]).collect() };
        let out_of_fold = score_samples(task, data, &tested, &pick(&data.y), &pick(&oof));
        let final_model = final_model?;
        let importance = final_model
            .impurity_importance()
            .map(|v| data.names.iter().cloned().zip(v.iter().copied()).collect());
        let blob = final_model
            .to_blob(data.schema_hash)
            .map_err(TrainError::from)?;
        models.push(ModelReport {
            model: model_type.name().to_string(),
            mean: mean_scores(&folds),
            folds,
            out_of_fold,
            importance,
            inputs: data.inputs.clone(),
            pca_neutralize: data.pca_neutralize,
            cpcv_path_sharpes,
            oof,
            blob,
        });
    }
    let report = TrainReport {
        samples: data.len(),
        features: data.width(),
        dropped_warmup: data.dropped_warmup,
        dropped_horizon: data.dropped_horizon,
        dropped_columns: data.dropped_columns.clone(),
        dropped_level_features: data.dropped_level_features.clone(),
        splits: splits.len(),
        baseline: mean_scores(&baseline),
        schema_hash: format!("{:#018x}", data.schema_hash),
        periods_per_year: data.periods_per_year,
        symbols: data.symbol_names.clone(),
        cpcv_buy_and_hold: matches!(config.cv, CvConfig::Combinatorial { .. })
            .then(|| data.buy_and_hold_sharpe()),
        cost_bps: data.cost_bps,
        models,
    };
    Ok(report)
}

/// Ablation of the 8 feature families for the first configured model.
pub fn ablate(bars: &[Bar<f64>], config: &TrainConfig) -> Result<Vec<AblationRow>, PipelineError> {
    ablate_dataset(&config.dataset(bars)?, config, &|_, _| {})
}

/// [`ablate`] on a prepared dataset (one series or a universe), calling
/// `progress(done, total)` as each cross-validation finishes.
pub fn ablate_dataset(
    data: &Dataset,
    config: &TrainConfig,
    progress: &dyn Fn(usize, usize),
) -> Result<Vec<AblationRow>, PipelineError> {
    let (task, _) = config.task()?;
    let splits = config.cv.splits(data)?;
    let model_type = *config
        .model_types()?
        .first()
        .ok_or_else(|| PipelineError::Config("no model configured".into()))?;
    let estimator = ModelFactory::create(model_type, &config.model, task)?;
    let tester = AblationTester {
        estimator,
        data,
        splits: &splits,
    };
    Ok(tester.run_with_progress(&family_groups(&data.names), progress)?)
}

/// The meta-learner's signal inputs of sample `i`: each model's out-of-fold prediction
/// mapped by [`Signal::from_prediction`] (`probability`: the models predict P(up), else
/// a return whose sign is the direction). None where a model never tested the sample.
pub fn meta_signals(reports: &[ModelReport], i: usize, probability: bool) -> Option<Vec<f64>> {
    reports
        .iter()
        .map(|m| {
            let p = m.oof[i];
            (!p.is_nan()).then(|| Signal::from_prediction(probability, p).0.value())
        })
        .collect()
}

/// The meta-learner's training inputs, as it will see them live: the out-of-fold
/// predictions replayed through an arbitrator configured as the bundle's (`arbitrator`,
/// every strategy of family `MlModel`, ids 1, 2, ... in model order), so a strategy
/// silenced at a bar enters as 0, as it does when served. Meta-features in the design's
/// layout (`meta_feature_name`).
pub fn meta_training_rows(
    data: &Dataset,
    reports: &[ModelReport],
    probability: bool,
    arbitrator: &tickml_core::arbitrator::ArbitratorConfig,
) -> Result<MetaRows, PipelineError> {
    use tickml_core::arbitrator::{
        meta_feature_count, meta_feature_name, meta_feature_value, MarketContext, StrategyFamily,
        StrategyInfo,
    };
    use tickml_core::regime::RegimeState;
    let column = |name: &str| {
        data.names.iter().position(|n| n == name).ok_or_else(|| {
            PipelineError::Config(format!("the meta-learner needs feature `{name}`"))
        })
    };
    let (vol, trend) = (column("vol_regime")?, column("trend_strength_20")?);
    let config_error =
        |e: tickml_core::arbitrator::ArbitratorError| PipelineError::Config(e.to_string());
    let oof = |k: usize| -> Option<Vec<f64>> {
        reports
            .iter()
            .map(|m| Some(m.oof[k]).filter(|p| !p.is_nan()))
            .collect()
    };
    // silencing does not depend on the regime or the meta-features
    let market = |_| {
        Ok(MarketContext {
            vol_regime: f64::NAN,
            trend_strength: f64::NAN,
            regime: RegimeState::unknown(),
        })
    };
    // each symbol has its own arbitrator live: each is replayed on its own samples
    let mut decisions = Vec::new();
    for own in data.samples_by_symbol() {
        let mut replayed = crate::replay::Arbitrator::new(*arbitrator).map_err(config_error)?;
        for id in 1..=reports.len() as u32 {
            replayed
                .register_strategy(
                    id,
                    StrategyInfo {
                        family: StrategyFamily::MlModel,
                    },
                )
                .map_err(config_error)?;
        }
        let mine = data.subset(&own);
        let replayed =
            crate::replay::replay(&mut replayed, &mine, probability, |k| oof(own[k]), market)?;
        decisions.extend(replayed.into_iter().map(|(k, d)| (own[k], d)));
    }
    decisions.sort_by_key(|(k, _)| *k);
    let n = meta_feature_count(reports.len());
    let mut x = Vec::with_capacity(decisions.len() * n);
    for (k, d) in &decisions {
        let served: Vec<f64> = d
            .strategy_breakdown
            .iter()
            .map(|b| if b.silenced { 0.0 } else { b.signal.value() })
            .collect();
        let (v, t) = (data.row(*k)[vol], data.row(*k)[trend]);
        x.extend((0..n).map(|j| meta_feature_value(j, v, t, &served)));
    }
    let ids: Vec<u32> = (1..=reports.len() as u32).collect();
    let mut name = heapless::String::new();
    let names: Vec<String> = (0..n)
        .map(|j| {
            meta_feature_name(j, &ids, &mut name);
            name.to_string()
        })
        .collect();
    Ok(MetaRows {
        samples: decisions.iter().map(|(k, _)| *k).collect(),
        x,
        names,
    })
}

/// The meta-learner's training rows.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaRows {
    /// The samples, in time order.
    pub samples: Vec<usize>,
    /// Their meta-features, row-major.
    pub x: Vec<f64>,
    /// The meta-feature names.
    pub names: Vec<String>,
}

/// Trains the stacking meta-learner (ridge, the design's `train_meta_learner`) on
/// [`meta_training_rows`], target the direction of the forward return as +1 / -1.
pub fn train_meta_learner(
    data: &Dataset,
    reports: &[ModelReport],
    probability: bool,
    arbitrator: &tickml_core::arbitrator::ArbitratorConfig,
    alpha: f64,
) -> Result<Vec<u8>, PipelineError> {
    let MetaRows { samples, x, names } =
        meta_training_rows(data, reports, probability, arbitrator)?;
    let y: Vec<f64> = samples
        .iter()
        .map(|&k| {
            if data.forward_return[k] > 0.0 {
                1.0
            } else {
                -1.0
            }
        })
        .collect();
    let config = ModelConfig {
        alpha,
        ..ModelConfig::default()
    };
    let model = ModelFactory::create(ModelType::Ridge, &config, Task::Regression)?.fit(
        &Matrix {
            values: &x,
            cols: names.len(),
        },
        &y,
        &names,
    )?;
    Ok(model.to_blob(0).map_err(TrainError::from)?)
}

/// The bundle of a finished run: each model a strategy (family `MlModel`, ids 1, 2, ...),
/// the rule-based regime detector, the default arbitrator and the meta-learner trained
/// on out-of-fold predictions.
pub fn build_bundle(
    data: &Dataset,
    config: &TrainConfig,
    report: &TrainReport,
) -> Result<Vec<u8>, PipelineError> {
    let arbitrator = tickml_core::arbitrator::ArbitratorConfig::default();
    let spec = bundle_spec(data, config, report, arbitrator, true)?;
    Ok(spec.to_blob().map_err(TrainError::from)?)
}

/// The bundle of a finished run with `arbitrator`, and with a meta-learner (trained on
/// the out-of-fold predictions replayed through that arbitrator, each symbol's on its
/// own) when `meta_learner`. A universe's bundle declares its symbols.
pub fn bundle_spec(
    data: &Dataset,
    config: &TrainConfig,
    report: &TrainReport,
    arbitrator: tickml_core::arbitrator::ArbitratorConfig,
    meta_learner: bool,
) -> Result<crate::export::BundleSpec, PipelineError> {
    use tickml_core::arbitrator::StrategyFamily;
    if !config.inputs.is_live() {
        return Err(PipelineError::Config(
            "a bundle runs the core's features as they are live; transformed level features \
             and PCA neutralisation are research options the core does not apply, so a model \
             trained on them cannot be bundled (set inputs.level_features to drop or keep and \
             inputs.pca_neutralize to 0)"
                .into(),
        ));
    }
    let probability = config.task()?.0 == Task::Classification;
    let meta = if meta_learner {
        Some(train_meta_learner(
            data,
            &report.models,
            probability,
            &arbitrator,
            1.0,
        )?)
    } else {
        None
    };
    Ok(crate::export::BundleSpec {
        features: config.features.clone(),
        models: report
            .models
            .iter()
            .enumerate()
            .map(|(i, m)| {
                (
                    i as u32 + 1,
                    StrategyFamily::MlModel,
                    m.model.clone(),
                    probability,
                    m.blob.clone(),
                )
            })
            .collect(),
        regime: Ok(tickml_core::regime::RuleConfig::default()),
        arbitrator,
        meta_learner: meta,
        bars: config.bar_rule()?,
        universe: data.symbol_names.clone(),
    })
}
