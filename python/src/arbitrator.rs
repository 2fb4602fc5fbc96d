//! `tickml._core.Arbitrator`: the core's `StrategyArbitrator` and the rule regime
//! detector it reads, driven one bar per call as the design's Python class is. The
//! Python side maps its string ids and enums onto this; every number comes from here.

use numpy::PyReadonlyArray2;
use std::collections::HashMap;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tickml_core::arbitrator::{
    ArbitrationResult, ArbitratorConfig, MarketContext, PerformanceMetric, Signal,
    StrategyArbitrator, StrategyFamily, StrategyInfo, StrategySignal, StrategySummary, Weighting,
    FAMILIES,
};
use tickml_core::regime::{
    RegimeDetector, RegimeState, RegimeType, RuleConfig, RuleDetector, REGIMES,
};
use tickml_core::{DefaultFeatureSet, FeatureConfig};
use tickml_train::ml::replay_with_regimes;
use tickml_train::models::Task;

use crate::dataset::TrainingData;

/// Most strategies one Python arbitrator holds.
pub const MAX_STRATEGIES: usize = 64;

type Inner = StrategyArbitrator<f64, MAX_STRATEGIES, 128>;

const FAMILY_ORDER: [StrategyFamily; FAMILIES] = [
    StrategyFamily::TrendFollowing,
    StrategyFamily::MeanReversion,
    StrategyFamily::Momentum,
    StrategyFamily::Volatility,
    StrategyFamily::MlModel,
    StrategyFamily::Other,
];

fn family(name: &str) -> PyResult<StrategyFamily> {
    FAMILY_ORDER
        .into_iter()
        .find(|f| f.name() == name)
        .ok_or_else(|| PyValueError::new_err(format!("unknown strategy type {name:?}")))
}

fn regime(name: &str) -> PyResult<RegimeType> {
    RegimeType::ALL
        .into_iter()
        .chain([RegimeType::Unknown])
        .find(|r| r.name() == name)
        .ok_or_else(|| PyValueError::new_err(format!("unknown regime {name:?}")))
}

fn signal(value: i8) -> PyResult<Signal> {
    match value {
        1 => Ok(Signal::Long),
        -1 => Ok(Signal::Short),
        0 => Ok(Signal::Neutral),
        v => Err(PyValueError::new_err(format!(
            "a signal is 1 (long), -1 (short) or 0 (neutral), not {v}"
        ))),
    }
}

fn metric_name(m: PerformanceMetric) -> &'static str {
    match m {
        PerformanceMetric::Sharpe => "sharpe",
        PerformanceMetric::Return => "return",
        PerformanceMetric::Sortino => "sortino",
        PerformanceMetric::HitRate => "hit_rate",
    }
}

/// An [`ArbitratorConfig`] from the defaults and the keys of `overrides` (the names of
/// [`config_dict`]); an unknown key is an error naming it.
fn config_of(overrides: Option<&Bound<'_, PyDict>>) -> PyResult<ArbitratorConfig> {
    let mut c = ArbitratorConfig::default();
    let Some(overrides) = overrides else {
        return Ok(c);
    };
    let (mut temperature, mut eta, mut share) = (0.1, 10.0, 0.01);
    let mut weighting = "softmax".to_string();
    if let Weighting::RegimeSoftmax { temperature: t } = c.weighting {
        temperature = t;
    }
    for (key, value) in overrides.iter() {
        let key: String = key.extract()?;
        match key.as_str() {
            "lookback_window" => c.lookback = value.extract()?,
            "min_history" => c.min_history = value.extract()?,
            "metric" => {
                let name: String = value.extract()?;
                c.metric = [
                    PerformanceMetric::Sharpe,
                    PerformanceMetric::Return,
                    PerformanceMetric::Sortino,
                    PerformanceMetric::HitRate,
                ]
                .into_iter()
                .find(|m| metric_name(*m) == name)
                .ok_or_else(|| {
                    PyValueError::new_err(format!(
                        "unknown metric {name:?}: sharpe, return, sortino or hit_rate"
                    ))
                })?;
            }
            "weighting" => weighting = value.extract()?,
            "temperature" => temperature = value.extract()?,
            "eta" => eta = value.extract()?,
            "share" => share = value.extract()?,
            "multipliers" => {
                let rows: Vec<Vec<f64>> = value.extract()?;
                if rows.len() != FAMILIES || rows.iter().any(|r| r.len() != REGIMES) {
                    return Err(PyValueError::new_err(format!(
                        "multipliers must be {FAMILIES} strategy types x {REGIMES} regimes"
                    )));
                }
                for (dst, src) in c.multipliers.iter_mut().zip(&rows) {
                    dst.copy_from_slice(src);
                }
            }
            "exposure" => {
                let row: Vec<f64> = value.extract()?;
                c.exposure = row.try_into().map_err(|_| {
                    PyValueError::new_err(format!("exposure must have {REGIMES} regimes"))
                })?;
            }
            "silence_below" => c.silence_below = value.extract()?,
            "silence_after" => c.silence_after = value.extract()?,
            "revive_above" => c.revive_above = value.extract()?,
            "signal_threshold" => c.signal_threshold = value.extract()?,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown arbitrator setting {other:?}"
                )))
            }
        }
    }
    c.weighting = match weighting.as_str() {
        "softmax" => Weighting::RegimeSoftmax { temperature },
        "hedge" => Weighting::FixedShareHedge { eta, share },
        "equal" => Weighting::Equal,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown weighting {other:?}: softmax, hedge or equal"
            )))
        }
    };
    Ok(c)
}

/// Every setting of `c` under the names [`config_of`] reads.
fn config_dict<'py>(py: Python<'py>, c: &ArbitratorConfig) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("lookback_window", c.lookback)?;
    d.set_item("min_history", c.min_history)?;
    d.set_item("metric", metric_name(c.metric))?;
    match c.weighting {
        Weighting::RegimeSoftmax { temperature } => {
            d.set_item("weighting", "softmax")?;
            d.set_item("temperature", temperature)?;
        }
        Weighting::FixedShareHedge { eta, share } => {
            d.set_item("weighting", "hedge")?;
            d.set_item("eta", eta)?;
            d.set_item("share", share)?;
        }
        Weighting::Equal => d.set_item("weighting", "equal")?,
    }
    d.set_item(
        "multipliers",
        c.multipliers.iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
    )?;
    d.set_item("exposure", c.exposure.to_vec())?;
    d.set_item("silence_below", c.silence_below)?;
    d.set_item("silence_after", c.silence_after)?;
    d.set_item("revive_above", c.revive_above)?;
    d.set_item("signal_threshold", c.signal_threshold)?;
    Ok(d)
}

/// The arbitrator's settings by name, the defaults when `overrides` is None (checked as
/// the core checks them).
#[pyfunction]
#[pyo3(signature = (overrides=None))]
pub fn arbitrator_config<'py>(
    py: Python<'py>,
    overrides: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let c = config_of(overrides)?;
    Inner::new(c).map_err(|e| PyValueError::new_err(e.to_string()))?;
    config_dict(py, &c)
}

/// The snake-case names of the strategy families (rows of `multipliers`) and of the
/// regimes (its columns), in the core's order.
#[pyfunction]
pub fn arbitrator_tables() -> (Vec<&'static str>, Vec<&'static str>) {
    (
        FAMILY_ORDER.iter().map(|f| f.name()).collect(),
        RegimeType::ALL.iter().map(|r| r.name()).collect(),
    )
}

/// One strategy's signal as Python passes it: (strategy id, timestamp in unix ns,
/// signal 1 / -1 / 0, confidence, expected return, volatility, regime name or None).
type SignalTuple = (u32, i64, i8, f64, f64, f64, Option<String>);

/// The core's arbitrator and the rule regime detector of the default features.
#[pyclass(module = "tickml._core")]
pub struct Arbitrator {
    inner: Inner,
    detector: RuleDetector<f64>,
    /// Where each feature sits in the detector's input row (the default schema).
    schema: HashMap<String, usize>,
}

#[pymethods]
impl Arbitrator {
    #[new]
    #[pyo3(signature = (config=None))]
    fn new(config: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let inner =
            Inner::new(config_of(config)?).map_err(|e| PyValueError::new_err(e.to_string()))?;
        let features = DefaultFeatureSet::<f64>::new(FeatureConfig::default())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let detector = RuleDetector::new(RuleConfig::default(), features.schema())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let schema = features
            .schema()
            .ids()
            .iter()
            .enumerate()
            .map(|(i, id)| (id.to_string(), i))
            .collect();
        Ok(Arbitrator {
            inner,
            detector,
            schema,
        })
    }

    /// Registers strategy `id` of family `strategy_type` (a snake-case family name).
    fn register_strategy(&mut self, id: u32, strategy_type: &str) -> PyResult<()> {
        let info = StrategyInfo {
            family: family(strategy_type)?,
        };
        self.inner
            .register_strategy(id, info)
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// The settings, by the names `arbitrator_config` takes.
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        config_dict(py, self.inner.config())
    }

    /// One bar: the regime is `regime` = (name, confidence) when given, else the rule
    /// detector's after it takes `features` (names, values: the latest feature row), else
    /// the detector's current one; then the core's `process_signals`. A refused call changes nothing (neither the
    /// arbitrator nor the detector).
    #[pyo3(signature = (signals, market_return, vol_regime, trend_strength, regime=None, features=None))]
    #[allow(clippy::too_many_arguments)]
    fn process_signals<'py>(
        &mut self,
        py: Python<'py>,
        signals: Vec<SignalTuple>,
        market_return: f64,
        vol_regime: f64,
        trend_strength: f64,
        regime: Option<(String, f64)>,
        features: Option<(Vec<String>, Vec<f64>)>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let mut detector = self.detector.clone();
        let state = match (regime, features) {
            (Some((name, confidence)), _) => {
                let r = self::regime(&name)?;
                let mut s = RegimeState::certain(r);
                s.confidence = confidence;
                s
            }
            (None, Some((names, values))) => {
                if names.len() != values.len() {
                    return Err(PyValueError::new_err(
                        "market features: as many names as values",
                    ));
                }
                let mut row = vec![f64::NAN; self.schema.len()];
                for (name, value) in names.iter().zip(&values) {
                    if let Some(slot) = self.schema.get(name).and_then(|&i| row.get_mut(i)) {
                        *slot = *value;
                    }
                }
                detector.update(&row)
            }
            (None, None) => detector.state(),
        };
        let mut parsed = Vec::with_capacity(signals.len());
        for (id, timestamp, s, confidence, expected_return, volatility, r) in signals {
            parsed.push(StrategySignal {
                strategy_id: id,
                timestamp,
                signal: signal(s)?,
                confidence,
                expected_return,
                volatility,
                regime: r.as_deref().map(self::regime).transpose()?,
            });
        }
        let market = MarketContext {
            vol_regime,
            trend_strength,
            regime: state,
        };
        let result = self
            .inner
            .process_signals(&parsed, &market, market_return)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        self.detector = detector;
        result_dict(py, &result)
    }

    /// Replays the samples of `data` in time order with `predictions` (samples x
    /// strategies in registration order, NaN where a strategy did not predict the
    /// sample out of fold: such samples are skipped), the regime and market returns taken
    /// causally from the data's bars, as `MLPipeline::create_ensemble` does in Rust:
    /// (sample, decision) per replayed sample. The GIL is released while it runs.
    fn replay<'py>(
        &mut self,
        py: Python<'py>,
        data: PyRef<'py, TrainingData>,
        predictions: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Vec<(usize, Bound<'py, PyDict>)>> {
        let (dataset, bars, features, task) = data.parts();
        let p = predictions.as_array();
        if p.nrows() != dataset.len() || p.ncols() != self.inner.len() {
            return Err(PyValueError::new_err(format!(
                "predictions must be {} samples x {} strategies, not {} x {}",
                dataset.len(),
                self.inner.len(),
                p.nrows(),
                p.ncols()
            )));
        }
        let rows: Vec<Vec<f64>> = p.rows().into_iter().map(|r| r.to_vec()).collect();
        let oof = |k: usize| -> Option<Vec<f64>> {
            let row = rows.get(k)?;
            (!row.iter().any(|v| v.is_nan())).then(|| row.clone())
        };
        let inner = &mut self.inner;
        let probability = task == Task::Classification;
        let decisions = py
            .detach(|| replay_with_regimes(inner, features, bars, dataset, probability, oof))
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        decisions
            .iter()
            .map(|(k, d)| Ok((*k, result_dict(py, d)?)))
            .collect()
    }

    /// The design's `get_strategy_summary()`, one dict per strategy in registration order.
    fn strategy_summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        summary_list(py, &self.inner.strategy_summary())
    }
}

/// The design's `get_strategy_summary()` rows as dicts (ids numeric, names snake-case).
pub fn summary_list<'py>(
    py: Python<'py>,
    summary: &[StrategySummary<f64>],
) -> PyResult<Bound<'py, PyList>> {
    let rows = PyList::empty(py);
    for s in summary {
        let d = PyDict::new(py);
        d.set_item("strategy_id", s.strategy_id)?;
        d.set_item("strategy_type", s.family.name())?;
        d.set_item("weight", s.weight)?;
        d.set_item("score", s.score)?;
        d.set_item("active", s.active)?;
        d.set_item("silenced", s.silenced)?;
        d.set_item("bars_silenced", s.bars_silenced)?;
        d.set_item("recent_sharpe", s.recent_sharpe)?;
        d.set_item("recent_return", s.recent_return)?;
        d.set_item("last_signal", s.signal.name())?;
        d.set_item("last_confidence", s.confidence)?;
        rows.append(d)?;
    }
    Ok(rows)
}

/// The design's result dict of one decision (ids numeric, names snake-case).
pub fn result_dict<'py, const S: usize>(
    py: Python<'py>,
    r: &ArbitrationResult<f64, S>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("signal", r.signal.name())?;
    d.set_item("confidence", r.confidence)?;
    d.set_item("weighted_signal", r.weighted_signal)?;
    d.set_item("signal_source", r.signal_source.name())?;
    d.set_item("weighted_sum", r.weighted_sum)?;
    d.set_item("meta_signal", r.meta_signal)?;
    d.set_item("signal_strength", r.signal_strength)?;
    d.set_item("consensus_ratio", r.consensus_ratio)?;
    d.set_item("n_active_strategies", r.n_active_strategies)?;
    d.set_item("regime", r.regime.name())?;
    d.set_item("regime_confidence", r.regime_confidence)?;
    let breakdown = PyList::empty(py);
    for b in &r.strategy_breakdown {
        let e = PyDict::new(py);
        e.set_item("strategy_id", b.strategy_id)?;
        e.set_item("weight", b.weight)?;
        e.set_item("active", b.active)?;
        e.set_item("silenced", b.silenced)?;
        e.set_item("score", b.score)?;
        e.set_item("signal", b.signal.name())?;
        e.set_item("confidence", b.confidence)?;
        e.set_item("contribution", b.contribution)?;
        breakdown.append(e)?;
    }
    d.set_item("strategy_breakdown", breakdown)?;
    Ok(d)
}
