//! The walk-forward backtest of the live pipeline.
//!
//! The schedule is [`WalkForwardCV::split_through_end`] over the bars after the feature
//! warm-up (one engine for CV and backtest): every `retrain_every` bars the base models
//! and the stacking meta-learner (fitted on out-of-fold predictions of the inner CV) are
//! trained on the `train_size` bars before the window whose labels end before it (minus
//! `purge` bars), a bundle is built, warmed on every earlier bar ([`Pipeline::warm`]:
//! features and regime, not the arbitrator) and the window's bars go through
//! [`Pipeline::on_bar`], the code `tickml stream` runs. Features, labels and models of
//! a window come from the bars before it only, so a backtest of a prefix of the data
//! decides every shared bar identically.
//!
//! Each window is streamed through several bundles with the same models, the
//! configurations the report compares (and the grid CSCV judges):
//!
//! | name | what |
//! |---|---|
//! | `buy_and_hold` | position 1 on every decided bar (baseline, not in the grid) |
//! | `model:<name>` | one base model alone, position `signal x confidence` of its prediction |
//! | `equal_weights` | the arbitrator with equal weights, no regime multipliers, no silencing |
//! | `arbitrator` | the arbitrator as configured (default: softmax at temperature 0.1, the design's multipliers) |
//! | `arbitrator_design_softmax` | the same at the design's temperature 1 |
//! | `arbitrator_meta` | as configured, with the meta-learner: the bundle `tickml train --bundle` deploys (the headline) |

pub mod accounting;
pub mod html;
pub mod portfolio;
use tickml_core::arbitrator::{ArbitratorConfig, Weighting, FAMILIES};
use tickml_core::pipeline::{Decision, Pipeline};
use tickml_core::regime::REGIMES;
use tickml_core::Bar;

use crate::cv::{CombinatorialPurgedCV, Labels, WalkForwardCV};
use crate::dataset::Dataset;
use crate::evaluate::{cross_validate, path_sharpes};
use crate::models::{ModelFactory, Task, TrainError};
use crate::pipeline::{bundle_spec, train_dataset, CvConfig, PipelineError, TrainConfig};
use crate::stats::pbo::{probability_of_backtest_overfitting, Pbo};
use accounting::{account, performance, periods_per_year, Ledger, Performance};

/// How a decision becomes a position in [-1, 1].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PositionRule {
    /// `clip(weighted_signal, -1, 1)`: the arbitrator's combined signal, or the
    /// meta-learner's when it drives the decision (default).
    #[default]
    WeightedSignal,
    /// The decision's signal: +1 long, -1 short, 0 neutral.
    Signal,
    /// The decision's signal times its confidence.
    SignalTimesConfidence,
}

impl PositionRule {
    /// The position of one decision.
    pub fn position(self, d: &Decision<f64>) -> f64 {
        let a = &d.arbitration;
        let p = match self {
            PositionRule::WeightedSignal => a.weighted_signal,
            PositionRule::Signal => a.signal.value(),
            PositionRule::SignalTimesConfidence => a.signal.value() * a.confidence,
        };
        if p.is_nan() {
            0.0
        } else {
            p.clamp(-1.0, 1.0)
        }
    }
}

/// A backtest's settings (every field optional when read: the defaults below).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BacktestConfig {
    /// Features, inputs, target, horizon, the inner CV (for the meta-learner's
    /// out-of-fold predictions) and the models.
    pub train: TrainConfig,
    /// Training bars per window (default 504).
    pub train_size: usize,
    /// Train on every earlier bar instead of the last `train_size`.
    pub expanding: bool,
    /// Bars between retrains: the test window (default 63).
    pub retrain_every: usize,
    /// Bars left out between the training window and the test window (default 5); a
    /// training label reaching into the window is purged as well.
    pub purge: usize,
    /// Decision to position (default `weighted_signal`).
    pub position: PositionRule,
    /// The arbitrator as configured (default: the core's default).
    pub arbitrator: ArbitratorConfig,
    /// CSCV blocks for PBO (default 16).
    pub pbo_splits: usize,
    /// CPCV over the whole data for the path-Sharpe distribution: (folds, test folds);
    /// `None` skips it (default (6, 2): 15 splits, 5 paths per model).
    pub cpcv: Option<(usize, usize)>,
    /// How a universe's decisions become portfolio weights (one series: unused).
    pub portfolio: portfolio::PortfolioMode,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        BacktestConfig {
            train: TrainConfig::default(),
            train_size: 504,
            expanding: false,
            retrain_every: 63,
            purge: 5,
            position: PositionRule::WeightedSignal,
            arbitrator: ArbitratorConfig::default(),
            pbo_splits: 16,
            cpcv: Some((6, 2)),
            portfolio: portfolio::PortfolioMode::default(),
        }
    }
}

impl BacktestConfig {
    /// The embargo fraction of the inner CV (the design's 2% unless it is purged K-fold
    /// with another), used by CPCV too.
    pub fn embargo_pct(&self) -> f64 {
        match self.train.cv {
            CvConfig::Purged { embargo_pct, .. } => embargo_pct,
            _ => crate::cv::PurgedKFold::default().embargo_pct,
        }
    }

    /// What identifies this backtest's configurations as trials: every setting that
    /// changes their returns (not the CSCV blocks or CPCV folds, which only report).
    pub fn trial_settings(&self) -> serde_json::Value {
        serde_json::json!({
            "train": self.train,
            "train_size": self.train_size,
            "expanding": self.expanding,
            "retrain_every": self.retrain_every,
            "purge": self.purge,
            "position": self.position,
            "arbitrator": self.arbitrator,
            "portfolio": self.portfolio,
        })
    }
}

/// The equal-weight baseline arbitrator: `config`'s lookback, every weight `1 / n`, no
/// multipliers, no silencing.
pub fn equal_weight_arbitrator(config: &ArbitratorConfig) -> ArbitratorConfig {
    ArbitratorConfig {
        weighting: Weighting::Equal,
        multipliers: [[1.0; REGIMES]; FAMILIES],
        silence_below: f64::MIN,
        revive_above: f64::MIN,
        ..*config
    }
}

/// One retraining window.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    /// First and last bar of the training labels' start.
    pub train_bars: (usize, usize),
    /// Training samples.
    pub samples: usize,
    /// Bars decided by this window's bundle, `[start, end)`.
    pub test_bars: (usize, usize),
}

/// One decided bar of the headline configuration. For a universe, one decided
/// timestamp: the decision fields are the members' (signal and regime the most common,
/// confidence, weighted signal and strategy weights their means) and `position` is the
/// portfolio's net exposure.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BarRow {
    /// Bar index in the input (for a universe, the time index).
    pub bar: usize,
    /// The bar's timestamp: unix ns here, the input's own text once the caller sets it.
    pub timestamp: String,
    /// The bar's timestamp, unix ns.
    #[serde(skip)]
    pub time_ns: i64,
    /// The decision's signal.
    pub signal: &'static str,
    /// Its confidence.
    pub confidence: f64,
    /// The combined signal.
    pub weighted_signal: f64,
    /// Regime name.
    pub regime: &'static str,
    /// Regime confidence.
    pub regime_confidence: f64,
    /// Each strategy's weight (model order).
    pub weights: Vec<f64>,
    /// Position held from this bar's close.
    pub position: f64,
    /// Gross return of the bar.
    pub gross: f64,
    /// Cost charged on the bar.
    pub cost: f64,
    /// Net return.
    pub net: f64,
    /// Net equity.
    pub equity: f64,
    /// Buy and hold equity on the same bars.
    pub buy_and_hold_equity: f64,
    /// For a universe, the weight of each symbol (`Backtest::symbols` order).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub holdings: Vec<f64>,
}

/// One configuration's outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConfigurationResult {
    /// Its name (module docs).
    pub name: String,
    /// Part of the grid CSCV judges (false for buy and hold).
    pub in_grid: bool,
    /// Summary figures.
    pub performance: Performance,
    /// Position per decided bar.
    #[serde(skip)]
    pub positions: Vec<f64>,
    /// Per-bar accounting.
    #[serde(skip)]
    pub ledger: Ledger,
}

/// One model's CPCV backtest paths.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CpcvPaths {
    /// Model name.
    pub model: String,
    /// Annualised net Sharpe ratio of each path (each prediction's position held over
    /// the next bar, costs as the backtest's).
    pub sharpe_annualised: Vec<f64>,
}

/// A finished backtest.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Backtest {
    /// The settings.
    pub config: BacktestConfig,
    /// Bars per year measured from the timestamps.
    pub periods_per_year: f64,
    /// Decided bars: `[first_bar, bars)`.
    pub first_bar: usize,
    /// The windows.
    pub windows: Vec<Window>,
    /// Base model names (strategy ids 1, 2, ...).
    pub models: Vec<String>,
    /// The universe's symbols (empty for one series).
    pub symbols: Vec<String>,
    /// Every configuration, buy and hold first, the headline last.
    pub configurations: Vec<ConfigurationResult>,
    /// CSCV over the grid's net returns (`None` with `pbo_error` when it cannot run).
    pub pbo: Option<Pbo>,
    /// Why PBO is missing.
    pub pbo_error: Option<String>,
    /// CPCV path Sharpe ratios per model.
    pub cpcv: Vec<CpcvPaths>,
    /// Buy and hold's annualised net Sharpe on the samples every CPCV path holds (NaN
    /// without CPCV).
    pub cpcv_buy_and_hold: f64,
    /// The headline configuration's bars.
    pub rows: Vec<BarRow>,
}

impl Backtest {
    /// A configuration by name.
    pub fn configuration(&self, name: &str) -> Option<&ConfigurationResult> {
        self.configurations.iter().find(|c| c.name == name)
    }

    /// Fills every configuration's DSR for `trials` trials whose per-period Sharpe
    /// ratios have variance `variance`.
    pub fn deflate(&mut self, trials: usize, variance: f64) {
        for c in &mut self.configurations {
            let s = &c.performance.sharpe;
            c.performance.dsr = crate::stats::sharpe::deflated_sharpe_ratio(
                s.sharpe, s.n, s.skew, s.kurtosis, trials, variance,
            );
        }
    }
}

/// The arbitrator variants streamed per window: (name, arbitrator, meta-learner).
fn variants(config: &BacktestConfig) -> Vec<(&'static str, ArbitratorConfig, bool)> {
    vec![
        (
            "equal_weights",
            equal_weight_arbitrator(&config.arbitrator),
            false,
        ),
        ("arbitrator", config.arbitrator, false),
        (
            "arbitrator_design_softmax",
            ArbitratorConfig {
                weighting: Weighting::DESIGN_SOFTMAX,
                ..config.arbitrator
            },
            false,
        ),
        ("arbitrator_meta", config.arbitrator, true),
    ]
}

/// What one window produced: per variant, its decisions over the window's bars. A
/// window runs on its own (a thread here, a Dask task from Python): it serialises.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WindowRun {
    window: Window,
    decisions: Vec<Vec<Decision<f64>>>,
    models: Vec<String>,
}

/// The training samples of a window: the samples of `all` (the data before the
/// window) whose label starts at a time in `train_times`, and the models trained on them
/// under the inner CV.
fn train_window(
    all: &Dataset,
    config: &BacktestConfig,
    task: Task,
    train_times: &[usize],
) -> Result<(Dataset, crate::pipeline::TrainReport), PipelineError> {
    let wanted: std::collections::HashSet<usize> = train_times.iter().copied().collect();
    let rows: Vec<usize> = (0..all.len())
        .filter(|&k| wanted.contains(&all.labels.t0[k]))
        .collect();
    let data: Dataset = all.subset(&rows);
    let splits = config.train.cv.splits(&data)?;
    let report = train_dataset(&data, &splits, task, &config.train, &|_, _, _| {})?;
    Ok((data, report))
}

/// The window's summary from its training data.
fn window_of(data: &Dataset, test: (usize, usize)) -> Window {
    Window {
        train_bars: (
            data.labels.t0.first().copied().unwrap_or(0),
            data.labels.t0.last().copied().unwrap_or(0),
        ),
        samples: data.len(),
        test_bars: test,
    }
}

/// One bundle per variant ([`variants`]) of a window's models.
fn window_bundles(
    data: &Dataset,
    config: &BacktestConfig,
    report: &crate::pipeline::TrainReport,
) -> Result<Vec<Vec<u8>>, PipelineError> {
    variants(config)
        .into_iter()
        .map(|(_, arbitrator, meta)| {
            Ok(bundle_spec(data, &config.train, report, arbitrator, meta)?
                .to_blob()
                .map_err(TrainError::from)?)
        })
        .collect()
}

/// Trains window `retrain` of a [`Plan`] on the bars before its test bars and decides
/// those bars through the bundles of its models, warmed on everything before.
pub fn run_window(
    bars: &[Bar<f64>],
    config: &BacktestConfig,
    plan: &Plan,
    retrain: &Retrain,
) -> Result<WindowRun, PipelineError> {
    let (train_bars, test) = (&retrain.0, retrain.1);
    let task = plan.task;
    let (start, end) = test;
    let before = &bars[..start];
    let (data, report) = train_window(&config.train.dataset(before)?, config, task, train_bars)?;
    let mut decisions = Vec::new();
    for blob in window_bundles(&data, config, &report)? {
        let mut pipeline = Pipeline::<f64>::from_bundle(&blob).map_err(core_error)?;
        for b in before {
            pipeline.warm(b).map_err(core_error)?;
        }
        let decided = bars[start..end]
            .iter()
            .map(|b| pipeline.on_bar(b).map_err(core_error))
            .collect::<Result<Vec<_>, _>>()?;
        decisions.push(decided);
    }
    Ok(WindowRun {
        window: window_of(&data, test),
        decisions,
        models: report.models.iter().map(|m| m.model.clone()).collect(),
    })
}

/// One retraining of the schedule: the training times and the test times `[start, end)`.
pub type Retrain = (Vec<usize>, (usize, usize));

/// What a backtest runs: its task, the dataset of the whole history (where the
/// features have warmed up; the CPCV runs on it) and the walk-forward windows.
#[derive(Debug, Clone)]
pub struct Plan {
    task: Task,
    warm: Dataset,
    /// One retraining per window, in time order.
    pub windows: Vec<Retrain>,
}

/// The walk-forward windows of `bars` under `config`.
pub fn plan(bars: &[Bar<f64>], config: &BacktestConfig) -> Result<Plan, PipelineError> {
    let (task, _) = config.train.task()?;
    let warm = config.train.dataset(bars)?;
    let first = *warm.labels.t0.first().ok_or_else(|| {
        PipelineError::Config("no bar has every feature: the data is too short".into())
    })?;
    let windows = schedule(config, bars.len(), first)?;
    Ok(Plan {
        task,
        warm,
        windows,
    })
}

/// The walk-forward schedule over `n` time steps whose first `first` are the features'
/// warm-up, in the data's own time index.
fn schedule(
    config: &BacktestConfig,
    n: usize,
    first: usize,
) -> Result<Vec<Retrain>, PipelineError> {
    if config.retrain_every == 0 || config.train_size == 0 {
        return Err(PipelineError::Config(
            "train_size and retrain_every must be positive".into(),
        ));
    }
    let labels = Labels::with_horizon(n - first, config.train.horizon);
    let splits = WalkForwardCV {
        train_size: config.train_size,
        test_size: config.retrain_every,
        step_size: config.retrain_every,
        purge_gap: config.purge,
        expand_train: config.expanding,
    }
    .split_through_end(&labels)?;
    Ok(splits
        .iter()
        .map(|split| {
            let train: Vec<usize> = split.train.iter().map(|&i| i + first).collect();
            let test = (
                split.test[0] + first,
                split.test.last().map_or(0, |&t| t + first + 1),
            );
            (train, test)
        })
        .collect())
}

/// PBO by CSCV over the grid's net returns (the first decided bar earns nothing in
/// every configuration: not a return).
fn grid_pbo(
    configurations: &[ConfigurationResult],
    splits: usize,
) -> (Option<Pbo>, Option<String>) {
    let grid: Vec<&ConfigurationResult> = configurations.iter().filter(|c| c.in_grid).collect();
    let bars = grid.first().map_or(0, |c| c.ledger.net.len());
    let matrix: Vec<f64> = (1..bars)
        .flat_map(|t| grid.iter().map(move |c| c.ledger.net[t]))
        .collect();
    match probability_of_backtest_overfitting(&matrix, grid.len(), splits) {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e.to_string())),
    }
}

fn core_error(e: tickml_core::pipeline::PipelineError) -> PipelineError {
    PipelineError::Config(format!("pipeline: {e}"))
}

/// Runs the backtest; `progress(done, total)` is called as windows finish (they run in
/// parallel).
pub fn run(
    bars: &[Bar<f64>],
    config: &BacktestConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Backtest, PipelineError> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let plan = plan(bars, config)?;
    let done = AtomicUsize::new(0);
    let total = plan.windows.len();
    let runs = plan
        .windows
        .par_iter()
        .map(|retrain| {
            let r = run_window(bars, config, &plan, retrain);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            r
        })
        .collect::<Result<Vec<_>, _>>()?;
    assemble(bars, config, &plan, runs)
}

/// The backtest from its windows' runs (in [`Plan::windows`] order): every
/// configuration's ledger and performance, PBO over the grid, the CPCV and the rows.
pub fn assemble(
    bars: &[Bar<f64>],
    config: &BacktestConfig,
    plan: &Plan,
    runs: Vec<WindowRun>,
) -> Result<Backtest, PipelineError> {
    if runs.len() != plan.windows.len() {
        return Err(PipelineError::Config(format!(
            "{} window runs for {} windows",
            runs.len(),
            plan.windows.len()
        )));
    }
    let (task, warm) = (plan.task, &plan.warm);
    let first_bar = runs.first().map_or(bars.len(), |r| r.window.test_bars.0);
    let decided = &bars[first_bar..];
    let closes: Vec<f64> = decided.iter().map(Bar::close).collect();
    let timestamps: Vec<i64> = bars.iter().map(Bar::timestamp).collect();
    let ppy = periods_per_year(&timestamps);
    let models = runs.first().map(|r| r.models.clone()).unwrap_or_default();
    let variant_names: Vec<&str> = variants(config).iter().map(|v| v.0).collect();
    let headline = variant_names.len() - 1;
    let per_variant = |v: usize| -> Vec<&Decision<f64>> {
        runs.iter().flat_map(|r| r.decisions[v].iter()).collect()
    };
    let mut positions: Vec<(String, bool, Vec<f64>)> =
        vec![("buy_and_hold".into(), false, vec![1.0; decided.len()])];
    for (m, name) in models.iter().enumerate() {
        let p = per_variant(headline)
            .iter()
            .map(|d| crate::evaluate::position(task, d.predictions[m]))
            .collect();
        positions.push((format!("model:{name}"), true, p));
    }
    for (v, name) in variant_names.iter().enumerate() {
        let p = per_variant(v)
            .iter()
            .map(|d| config.position.position(d))
            .collect();
        positions.push((name.to_string(), true, p));
    }
    let configurations: Vec<ConfigurationResult> = positions
        .into_iter()
        .map(|(name, in_grid, positions)| {
            let ledger = account(&closes, &positions, config.train.cost_bps);
            ConfigurationResult {
                name,
                in_grid,
                performance: performance(&ledger, &positions, ppy),
                positions,
                ledger,
            }
        })
        .collect();
    let (pbo, pbo_error) = grid_pbo(&configurations, config.pbo_splits);
    let head = configurations.last().expect("the headline configuration");
    let hold = &configurations[0];
    let rows = per_variant(headline)
        .iter()
        .enumerate()
        .map(|(t, d)| {
            let a = &d.arbitration;
            BarRow {
                bar: first_bar + t,
                timestamp: d.timestamp.to_string(),
                time_ns: d.timestamp,
                signal: a.signal.name(),
                confidence: a.confidence,
                weighted_signal: a.weighted_signal,
                regime: a.regime.name(),
                regime_confidence: a.regime_confidence,
                weights: a.strategy_breakdown.iter().map(|b| b.weight).collect(),
                position: head.positions[t],
                gross: head.ledger.gross[t],
                cost: head.ledger.cost[t],
                net: head.ledger.net[t],
                equity: head.ledger.equity[t],
                buy_and_hold_equity: hold.ledger.equity[t],
                holdings: Vec::new(),
            }
        })
        .collect();
    let (cpcv, cpcv_buy_and_hold) = cpcv_of(config, warm)?;
    Ok(Backtest {
        config: config.clone(),
        periods_per_year: ppy,
        first_bar,
        windows: runs.into_iter().map(|r| r.window).collect(),
        models,
        symbols: Vec::new(),
        configurations,
        pbo,
        pbo_error,
        cpcv_buy_and_hold,
        cpcv,
        rows,
    })
}

/// The configured CPCV's path Sharpe ratios over `data` and buy and hold's on the
/// samples every path holds (none and NaN without CPCV).
fn cpcv_of(
    config: &BacktestConfig,
    data: &Dataset,
) -> Result<(Vec<CpcvPaths>, f64), PipelineError> {
    Ok(match config.cpcv {
        Some((n_splits, n_test)) => (
            cpcv_paths(config, data, n_splits, n_test)?,
            data.buy_and_hold_sharpe(),
        ),
        None => (Vec::new(), f64::NAN),
    })
}

/// CPCV over the whole history (research, not a walk-forward: a path's models may be
/// trained on later data): each model's out-of-fold predictions recombined into the
/// backtest paths ([`crate::evaluate::path_sharpes`]).
fn cpcv_paths(
    config: &BacktestConfig,
    data: &Dataset,
    n_splits: usize,
    n_test: usize,
) -> Result<Vec<CpcvPaths>, PipelineError> {
    use rayon::prelude::*;
    let (task, _) = config.train.task()?;
    let cv = CombinatorialPurgedCV {
        n_splits,
        n_test_splits: n_test,
        purge: config.purge,
        embargo: crate::cv::embargo_bars(&data.labels, config.embargo_pct()),
    }
    .split_labels(&data.labels)?;
    let columns: Vec<usize> = (0..data.width()).collect();
    let mut out = Vec::new();
    for model_type in config.train.model_types()? {
        let estimator = ModelFactory::create(model_type, &config.train.model, task)?;
        let predictions: Vec<Vec<f64>> = cv
            .splits
            .par_iter()
            .map(|s| {
                cross_validate(&estimator, data, std::slice::from_ref(s), &columns).map(|r| r.oof)
            })
            .collect::<Result<_, _>>()?;
        out.push(CpcvPaths {
            model: model_type.name().to_string(),
            sharpe_annualised: path_sharpes(task, data, &cv, &predictions),
        });
    }
    Ok(out)
}
