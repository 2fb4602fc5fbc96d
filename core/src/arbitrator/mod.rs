//! The StrategyArbitrator: weights up to `S` strategies by market regime and recent
//! performance, silences losers with hysteresis, and scores its confidence.
//!
//! Per call of [`StrategyArbitrator::process_signals`]:
//! 1. everything is validated first (a refused call changes nothing);
//! 2. each strategy's realised return, its previous signal times `market_return`, enters
//!    its rolling window ([`PerformanceTracker`], `lookback` bars);
//! 3. scores (the configured [`PerformanceMetric`]) drive silencing: `silence_after`
//!    consecutive bars below `silence_below` silence a strategy; it returns only above
//!    `revive_above`;
//! 4. active strategies (signalled this bar, not silenced) get weights by the configured
//!    [`Weighting`]; `weighted_sum = sum w_i s_i c_i` (s = +1/-1/0, c = confidence);
//!    `weighted_signal`, which drives `signal`, is the meta-learner's output when one is
//!    set and `weighted_sum` otherwise (both are reported);
//! 5. `weighted_signal` is scaled by the regime's exposure (default 1) and compared
//!    with the threshold;
//! 6. `confidence = 0.4 strength + 0.2 mean confidence + 0.2 consensus + 0.2 regime
//!    confidence`, clipped to [0, 1].

mod error;
mod meta;
mod performance;
mod signal;

pub use error::ArbitratorError;
pub use meta::{meta_feature_count, meta_feature_name, meta_feature_value, MetaLearner};
pub use performance::{PerformanceMetric, PerformanceTracker};
pub use signal::{
    ArbitrationResult, Signal, SignalSource, StrategyBreakdown, StrategyFamily, StrategyInfo,
    StrategySignal, StrategySummary, FAMILIES,
};

use heapless::Vec;

use crate::num::Float;
use crate::regime::{RegimeState, REGIMES};

/// How active strategies are weighted.
///
/// What regime multipliers can and cannot do: under `RegimeSoftmax` they scale each
/// strategy's score before the softmax, so they shift *relative* weights only. The
/// weights still sum to 1, so a multiplier cannot cut everyone's exposure in a regime,
/// and a multiplier of 0 gives a strategy the weight of a zero score (not zero weight).
/// Under `FixedShareHedge` they scale the expert weights before normalising (a 0 there
/// does exclude the strategy, unless every active strategy has 0).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Weighting {
    /// `w_i = softmax(score_i x multiplier[family_i][regime] / temperature)` over the
    /// active strategies (a strategy without history scores 0). The design's softmax,
    /// `exp(score - max)` with no temperature, is `temperature = 1`
    /// ([`Weighting::DESIGN_SOFTMAX`]); the default 0.1 is a documented change: per-bar
    /// Sharpe ratios are of order 0.05, so at temperature 1 every weight is within a few
    /// percent of equal and performance hardly moves the allocation.
    RegimeSoftmax {
        /// Softmax temperature, in units of the metric (default 0.1 per-bar Sharpe).
        temperature: f64,
    },
    /// Exponentially weighted forecaster (Hedge) with Fixed-Share mixing
    /// (Herbster & Warmuth 1998): each bar `w_i *= exp(eta r_i)` with `r_i` the realised
    /// return, then `w <- (1 - share) w + share / N`. Kept as log-weights normalised by
    /// log-sum-exp, so a bar with `|eta r|` past `exp`'s range (709 in f64, 88 in f32; a
    /// bad tick) moves the weights as far as they can go instead of turning them NaN. Silenced strategies sleep: their
    /// weight moves with the awake mixture's return, so waking does not reset them.
    /// Active weights are `w_i x multiplier[family_i][regime]`, normalised.
    FixedShareHedge {
        /// Learning rate per unit of return (default 10).
        eta: f64,
        /// Share redistributed each bar, for regime switches (default 0.01).
        share: f64,
    },
    /// Every active strategy the same weight, `1 / n`: no scores, no multipliers. The
    /// baseline a performance-weighted arbitrator has to beat.
    Equal,
}

impl Weighting {
    /// The design's softmax: `exp(score x multiplier - max)`, temperature 1.
    pub const DESIGN_SOFTMAX: Weighting = Weighting::RegimeSoftmax { temperature: 1.0 };
}

/// The arbitrator's configuration.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ArbitratorConfig {
    /// Bars of realised returns a score is taken over (default 63; below `L`).
    pub lookback: u16,
    /// Realised returns needed before a score exists (default 20).
    pub min_history: u16,
    /// The performance metric (default Sharpe).
    pub metric: PerformanceMetric,
    /// The weighting method (default regime softmax).
    pub weighting: Weighting,
    /// Multiplier of each family (row) in each regime (column, [`crate::regime::RegimeType`] order).
    pub multipliers: [[f64; REGIMES]; FAMILIES],
    /// Score below which a strategy counts a bad bar (default -0.05).
    pub silence_below: f64,
    /// Consecutive bad bars that silence it (default 5).
    pub silence_after: u16,
    /// Score above which a silenced strategy returns (default 0.0).
    pub revive_above: f64,
    /// `|weighted_signal|` beyond which the decision is Long or Short (default 0.1).
    pub signal_threshold: f64,
    /// Exposure in each regime ([`crate::regime::RegimeType`] order), in [0, 1]: the
    /// final `weighted_signal` is scaled by it before the threshold (default 1.0
    /// everywhere, the design's behaviour). This, not a multiplier, is how a regime cuts
    /// everyone's exposure: a crisis exposure of 0.3 scales the whole decision, and 0
    /// makes it Neutral. The Unknown regime (no regime yet) has exposure 1.
    pub exposure: [f64; REGIMES],
}

/// The design's regime multipliers (the defaults), rows in [`StrategyFamily`] order,
/// columns BullTrend, BearTrend, Trending, Ranging, HighVolatility, LowVolatility,
/// Crisis. Trend following: bull 1.5, bear 1.3, trending 1.4, ranging 0.5, high
/// volatility 0.7, crisis 0.3; mean reversion: ranging 1.5, low volatility 1.4, bull 0.6,
/// bear 0.5, trending 0.4, crisis 0.2; momentum 1.4 in a bull trend; volatility 1.5 in
/// high volatility; 1.0 wherever the design gives no value.
pub const DEFAULT_MULTIPLIERS: [[f64; REGIMES]; FAMILIES] = [
    [1.5, 1.3, 1.4, 0.5, 0.7, 1.0, 0.3], // trend following
    [0.6, 0.5, 0.4, 1.5, 1.0, 1.4, 0.2], // mean reversion
    [1.4, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], // momentum
    [1.0, 1.0, 1.0, 1.0, 1.5, 1.0, 1.0], // volatility
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], // ml model
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], // other
];

/// A preset (not the default): every family filled in, trend followers leaning into
/// both trends, mean reverters into ranges and calm, volatility strategies into high
/// volatility and crises, everyone else scaled down in a crisis. Same layout as
/// [`DEFAULT_MULTIPLIERS`].
pub const FILLED_MULTIPLIERS: [[f64; REGIMES]; FAMILIES] = [
    [1.5, 1.5, 1.3, 0.5, 0.8, 0.9, 0.6], // trend following
    [0.6, 0.6, 0.7, 1.5, 0.8, 1.2, 0.4], // mean reversion
    [1.3, 1.0, 1.3, 0.6, 0.7, 1.0, 0.4], // momentum
    [0.8, 1.0, 0.9, 0.8, 1.5, 0.6, 1.3], // volatility
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], // ml model
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], // other
];

impl Default for ArbitratorConfig {
    fn default() -> Self {
        ArbitratorConfig {
            lookback: 63,
            min_history: 20,
            metric: PerformanceMetric::Sharpe,
            weighting: Weighting::RegimeSoftmax { temperature: 0.1 },
            multipliers: DEFAULT_MULTIPLIERS,
            silence_below: -0.05,
            silence_after: 5,
            revive_above: 0.0,
            signal_threshold: 0.1,
            exposure: [1.0; REGIMES],
        }
    }
}

/// The market as the arbitrator sees it for one bar.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MarketContext<T> {
    /// The `vol_regime` feature (meta-learner input).
    pub vol_regime: T,
    /// The `trend_strength_20` feature (meta-learner input).
    pub trend_strength: T,
    /// The detector's state.
    pub regime: RegimeState<T>,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Strategy<T, const L: usize> {
    id: u32,
    info: StrategyInfo,
    performance: PerformanceTracker<T, L>,
    last_signal: Signal,
    /// The confidence and weight of the last bar (0 when it sent nothing or was not active).
    last_confidence: T,
    last_weight: T,
    /// It sent a signal on the last bar and was not silenced.
    active: bool,
    silenced: bool,
    /// Consecutive bars it has been silenced (0 when awake).
    silenced_bars: u32,
    bad_bars: u16,
    /// ln of the Hedge weight (the weights sum to 1); kept in log space so that one bar
    /// with `|eta r|` past the exponent range (a bad tick) cannot overflow them.
    log_weight: T,
}

/// The arbitrator for up to `S` strategies with `L` bars of history capacity.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StrategyArbitrator<T, const S: usize, const L: usize = 128> {
    config: ArbitratorConfig,
    strategies: Vec<Strategy<T, L>, S>,
    last_timestamp: Option<i64>,
    meta: Option<MetaLearner>,
}

impl<T: Float, const S: usize, const L: usize> StrategyArbitrator<T, S, L> {
    /// An arbitrator with no strategies; the configuration is checked against `L`.
    pub fn new(config: ArbitratorConfig) -> Result<Self, ArbitratorError> {
        let bad = |what| Err(ArbitratorError::BadConfig { what });
        if config.lookback < 2 || usize::from(config.lookback) >= L {
            return bad("lookback must be at least 2 and below the history capacity L");
        }
        if config.min_history > config.lookback {
            return bad("min_history exceeds lookback");
        }
        if config.silence_after == 0 {
            // 0 bad bars would silence every strategy on its first scored bar
            return bad("silence_after must be at least 1");
        }
        let finite = [
            config.silence_below,
            config.revive_above,
            config.signal_threshold,
        ];
        if finite.iter().any(|v| !v.is_finite()) || config.revive_above < config.silence_below {
            return bad("silencing thresholds must be finite with revive_above >= silence_below");
        }
        if config
            .multipliers
            .iter()
            .flatten()
            .any(|m| !(m.is_finite() && *m >= 0.0))
        {
            return bad("multipliers must be finite and non-negative");
        }
        if config.exposure.iter().any(|e| !(0.0..=1.0).contains(e)) {
            return bad("exposures must be in [0, 1]");
        }
        match config.weighting {
            Weighting::RegimeSoftmax { temperature }
                if !(temperature.is_finite() && temperature > 0.0) =>
            {
                return bad("softmax temperature must be positive")
            }
            Weighting::FixedShareHedge { eta, share }
                if !(eta.is_finite() && eta > 0.0 && (0.0..1.0).contains(&share)) =>
            {
                return bad("hedge needs eta > 0 and 0 <= share < 1")
            }
            _ => {}
        }
        Ok(StrategyArbitrator {
            config,
            strategies: Vec::new(),
            last_timestamp: None,
            meta: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ArbitratorConfig {
        &self.config
    }

    /// Registers a strategy. Duplicate ids and a full registry are errors.
    pub fn register_strategy(
        &mut self,
        id: u32,
        info: StrategyInfo,
    ) -> Result<(), ArbitratorError> {
        if self.strategies.iter().any(|s| s.id == id) {
            return Err(ArbitratorError::DuplicateStrategy { id });
        }
        if self.meta.is_some() {
            return Err(ArbitratorError::BadConfig {
                what: "register every strategy before setting the meta-learner",
            });
        }
        let n = T::from_usize(self.strategies.len().saturating_add(1));
        let strategy = Strategy {
            id,
            info,
            performance: PerformanceTracker::new(self.config.lookback).map_err(|_| {
                ArbitratorError::BadConfig {
                    what: "lookback must be at least 2 and below the history capacity L",
                }
            })?,
            last_signal: Signal::Neutral,
            last_confidence: T::ZERO,
            last_weight: T::ZERO,
            active: false,
            silenced: false,
            silenced_bars: 0,
            bad_bars: 0,
            log_weight: -n.ln(),
        };
        self.strategies
            .push(strategy)
            .map_err(|_| ArbitratorError::RegistryFull { capacity: S })?;
        // hedge weights stay a distribution over the registered strategies: the others
        // keep (n - 1) / n of theirs
        let keep = (n - T::ONE).ln() - n.ln();
        let last = self.strategies.len().saturating_sub(1);
        for (i, s) in self.strategies.iter_mut().enumerate() {
            if i != last {
                s.log_weight += keep;
            }
        }
        Ok(())
    }

    /// Number of registered strategies.
    pub fn len(&self) -> usize {
        self.strategies.len()
    }

    /// True when no strategy is registered.
    pub fn is_empty(&self) -> bool {
        self.strategies.is_empty()
    }

    /// The design's `get_strategy_summary()`: one row per registered strategy, in
    /// registration order, as of the last processed bar.
    pub fn strategy_summary(&self) -> Vec<StrategySummary<T>, S> {
        let c = &self.config;
        crate::fixed::fill(self.strategies.iter().map(|s| {
            StrategySummary {
                strategy_id: s.id,
                family: s.info.family,
                weight: s.last_weight,
                score: s.performance.score(c.metric, c.min_history),
                active: s.active,
                silenced: s.silenced,
                bars_silenced: s.silenced_bars,
                recent_sharpe: s
                    .performance
                    .score(PerformanceMetric::Sharpe, c.min_history),
                recent_return: s
                    .performance
                    .score(PerformanceMetric::Return, c.min_history),
                signal: s.last_signal,
                confidence: s.last_confidence,
            }
        }))
    }

    /// Sets the stacking meta-learner (a linear blob over the meta-features, see
    /// [`MetaLearner`]); it then produces `weighted_signal`.
    pub fn set_meta_learner(&mut self, blob: &[u8]) -> Result<(), ArbitratorError> {
        let ids: Vec<u32, S> = crate::fixed::fill(self.strategies.iter().map(|s| s.id));
        self.meta = Some(MetaLearner::from_blob(blob, &ids)?);
        Ok(())
    }

    /// Checks a call's inputs; returns, per registered strategy, the index of its
    /// signal in `signals`.
    fn validate(
        &self,
        signals: &[StrategySignal<T>],
        market: &MarketContext<T>,
        market_return: T,
    ) -> Result<Vec<Option<u16>, S>, ArbitratorError> {
        if !market_return.is_finite() {
            return Err(ArbitratorError::NonFinite {
                what: "market_return",
            });
        }
        let regime_confidence = market.regime.confidence;
        if !(regime_confidence >= T::ZERO && regime_confidence <= T::ONE) {
            return Err(ArbitratorError::NonFinite {
                what: "regime confidence",
            });
        }
        let mut slots: Vec<Option<u16>, S> =
            crate::fixed::fill(self.strategies.iter().map(|_| None));
        for (k, s) in signals.iter().enumerate() {
            let i = self
                .strategies
                .iter()
                .position(|r| r.id == s.strategy_id)
                .ok_or(ArbitratorError::UnknownStrategy { id: s.strategy_id })?;
            let slot = slots
                .get_mut(i)
                .ok_or(ArbitratorError::UnknownStrategy { id: s.strategy_id })?;
            if slot.is_some() {
                return Err(ArbitratorError::DuplicateSignal { id: s.strategy_id });
            }
            *slot = Some(k as u16);
            if !(s.confidence >= T::ZERO && s.confidence <= T::ONE) {
                return Err(ArbitratorError::ConfidenceOutOfRange { id: s.strategy_id });
            }
            if let Some(previous) = self.last_timestamp {
                // a repeated timestamp would count one bar's return twice
                if s.timestamp <= previous {
                    return Err(ArbitratorError::TimestampNotIncreasing {
                        previous,
                        got: s.timestamp,
                    });
                }
            }
        }
        if let (Some(first), true) = (
            signals.first(),
            signals
                .iter()
                .any(|s| s.timestamp != signals.first().map_or(0, |f| f.timestamp)),
        ) {
            return Err(ArbitratorError::MixedTimestamps {
                first: first.timestamp,
            });
        }
        Ok(slots)
    }

    /// Combines one bar's signals. `market_return` is the market's return over the bar
    /// that just closed (it scores the signals of the previous call). Errors change nothing.
    pub fn process_signals(
        &mut self,
        signals: &[StrategySignal<T>],
        market: &MarketContext<T>,
        market_return: T,
    ) -> Result<ArbitrationResult<T, S>, ArbitratorError> {
        let slots = self.validate(signals, market, market_return)?;
        let c = self.config;
        if let Some(first) = signals.first() {
            self.last_timestamp = Some(first.timestamp);
        }
        // realised returns of the previous signals, scores, silencing
        let mut mixture_return = T::ZERO;
        let mut awake_weight = T::ZERO;
        let mut realised: Vec<T, S> = Vec::new();
        let mut scores: Vec<Option<T>, S> = Vec::new();
        let hedge = matches!(c.weighting, Weighting::FixedShareHedge { .. });
        for s in self.strategies.iter_mut() {
            let r = T::from_f64(s.last_signal.value()) * market_return;
            let _ = realised.push(r);
            s.performance.push(r);
            let score = s.performance.score(c.metric, c.min_history);
            let _ = scores.push(score);
            if let Some(score) = score {
                let score = score.to_f64();
                if score < c.silence_below {
                    s.bad_bars = s.bad_bars.saturating_add(1);
                } else {
                    s.bad_bars = 0;
                }
                if !s.silenced && s.bad_bars >= c.silence_after {
                    s.silenced = true;
                } else if s.silenced && score > c.revive_above {
                    s.silenced = false;
                    s.bad_bars = 0;
                }
            }
            s.silenced_bars = if s.silenced {
                s.silenced_bars.saturating_add(1)
            } else {
                0
            };
            // the awake strategies' mixture, which only the hedge reads
            if hedge && !s.silenced {
                let w = s.log_weight.exp();
                mixture_return += w * r;
                awake_weight += w;
            }
        }
        if let Weighting::FixedShareHedge { eta, share } = c.weighting {
            let eta = T::from_f64(eta);
            let mixture = if awake_weight > T::ZERO {
                mixture_return / awake_weight
            } else {
                T::ZERO
            };
            // w_i *= exp(eta gain_i) in log space, bounded so an infinite product of
            // two finite values cannot enter
            let bound = T::from_f64(1e6);
            for (s, &r) in self.strategies.iter_mut().zip(realised.iter()) {
                let gain = if s.silenced { mixture } else { r };
                s.log_weight += (eta * gain).max(-bound).min(bound);
            }
            // normalise by log-sum-exp, then mix: w <- (1 - share) w + share / n
            let max = self
                .strategies
                .iter()
                .map(|s| s.log_weight)
                .fold(T::NAN, T::max);
            let sum: T = self
                .strategies
                .iter()
                .map(|s| (s.log_weight - max).exp())
                .fold(T::ZERO, |a, b| a + b);
            let log_total = max + sum.ln();
            let n = T::from_usize(self.strategies.len().max(1));
            let share = T::from_f64(share);
            for s in self.strategies.iter_mut() {
                let w = (s.log_weight - log_total).exp();
                s.log_weight = ((T::ONE - share) * w + share / n).ln();
            }
        }
        // this bar's signals
        let regime = market.regime.regime;
        let mut breakdown: Vec<StrategyBreakdown<T>, S> = Vec::new();
        let mut raw: Vec<T, S> = Vec::new();
        for ((s, slot), &score) in self
            .strategies
            .iter_mut()
            .zip(slots.iter())
            .zip(scores.iter())
        {
            let sent = slot.and_then(|k| signals.get(usize::from(k)));
            s.last_signal = sent.map_or(Signal::Neutral, |x| x.signal);
            let multiplier = c
                .multipliers
                .get(s.info.family as usize)
                .and_then(|row| row.get(regime.index()))
                .copied()
                .unwrap_or(1.0);
            let active = sent.is_some() && !s.silenced;
            let value = match c.weighting {
                Weighting::RegimeSoftmax { temperature } => {
                    score.unwrap_or(T::ZERO) * T::from_f64(multiplier / temperature)
                }
                Weighting::FixedShareHedge { .. } => s.log_weight.exp() * T::from_f64(multiplier),
                Weighting::Equal => T::ONE,
            };
            let _ = raw.push(value);
            let _ = breakdown.push(StrategyBreakdown {
                strategy_id: s.id,
                weight: T::ZERO,
                active,
                silenced: s.silenced,
                score,
                signal: s.last_signal,
                confidence: sent.map_or(T::ZERO, |x| x.confidence),
                contribution: T::ZERO,
            });
        }
        // weights over the active strategies
        let max_raw = breakdown
            .iter()
            .zip(raw.iter())
            .filter(|(b, _)| b.active)
            .map(|(_, &v)| v)
            .fold(T::NAN, T::max);
        let mut total = T::ZERO;
        for (b, v) in breakdown.iter_mut().zip(raw.iter()) {
            if b.active {
                b.weight = match c.weighting {
                    Weighting::RegimeSoftmax { .. } => (*v - max_raw).exp(),
                    Weighting::FixedShareHedge { .. } | Weighting::Equal => *v,
                };
                total += b.weight;
            }
        }
        let n_active = breakdown.iter().filter(|b| b.active).count();
        let mut weighted_sum = T::ZERO;
        let mut confidence_sum = T::ZERO;
        for b in breakdown.iter_mut().filter(|b| b.active) {
            b.weight = if total > T::ZERO {
                b.weight / total
            } else {
                T::ONE / T::from_usize(n_active)
            };
            b.contribution = b.weight * T::from_f64(b.signal.value()) * b.confidence;
            weighted_sum += b.contribution;
            confidence_sum += b.confidence;
        }
        for (s, b) in self.strategies.iter_mut().zip(breakdown.iter()) {
            s.last_confidence = b.confidence;
            s.last_weight = b.weight;
            s.active = b.active;
        }
        let meta_signal = self.meta.as_ref().map(|meta| {
            let values: Vec<T, S> = crate::fixed::fill(self.strategies.iter().map(|s| {
                if s.silenced {
                    T::ZERO
                } else {
                    T::from_f64(s.last_signal.value())
                }
            }));
            meta.predict(market.vol_regime, market.trend_strength, &values)
        });
        let one = T::ONE;
        let (signal_source, driver) = match meta_signal {
            Some(m) => (SignalSource::MetaLearner, m),
            None => (SignalSource::WeightedSum, weighted_sum),
        };
        let exposure = c.exposure.get(regime.index()).copied().unwrap_or(1.0);
        let weighted = if n_active == 0 {
            T::ZERO
        } else {
            driver.max(-one).min(one) * T::from_f64(exposure)
        };
        let threshold = T::from_f64(c.signal_threshold);
        let signal = if n_active == 0 {
            Signal::Neutral
        } else if weighted > threshold {
            Signal::Long
        } else if weighted < -threshold {
            Signal::Short
        } else {
            Signal::Neutral
        };
        let agreeing = breakdown
            .iter()
            .filter(|b| b.active && b.signal == signal)
            .count();
        let (consensus, mean_confidence) = if n_active > 0 {
            let n = T::from_usize(n_active);
            (T::from_usize(agreeing) / n, confidence_sum / n)
        } else {
            (T::ZERO, T::ZERO)
        };
        let strength = weighted.abs();
        let confidence = if n_active == 0 {
            T::ZERO
        } else {
            let (a, b) = (T::from_f64(0.4), T::from_f64(0.2));
            (a * strength + b * mean_confidence + b * consensus + b * market.regime.confidence)
                .max(T::ZERO)
                .min(one)
        };
        Ok(ArbitrationResult {
            signal,
            confidence,
            weighted_signal: weighted,
            signal_source,
            weighted_sum,
            meta_signal,
            signal_strength: strength,
            consensus_ratio: consensus,
            n_active_strategies: n_active,
            regime,
            regime_confidence: market.regime.confidence,
            strategy_breakdown: breakdown,
        })
    }
}
