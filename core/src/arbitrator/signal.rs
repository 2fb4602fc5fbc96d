//! What strategies send to the arbitrator and what it sends back.

use heapless::Vec;

use crate::num::Float;
use crate::regime::RegimeType;

/// The kind of a strategy, which sets its regime multipliers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum StrategyFamily {
    /// Follows trends (moving-average crossovers, breakouts).
    TrendFollowing = 0,
    /// Fades moves (z-score, Bollinger reversion).
    MeanReversion = 1,
    /// Rides momentum (returns, RSI).
    Momentum = 2,
    /// Trades volatility.
    Volatility = 3,
    /// A trained model.
    MlModel = 4,
    /// Anything else.
    Other = 5,
}

impl StrategyFamily {
    /// Snake-case name.
    pub fn name(self) -> &'static str {
        match self {
            StrategyFamily::TrendFollowing => "trend_following",
            StrategyFamily::MeanReversion => "mean_reversion",
            StrategyFamily::Momentum => "momentum",
            StrategyFamily::Volatility => "volatility",
            StrategyFamily::MlModel => "ml_model",
            StrategyFamily::Other => "other",
        }
    }
}

/// Number of [`StrategyFamily`]s.
pub const FAMILIES: usize = 6;

/// What the arbitrator knows of a strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StrategyInfo {
    /// Its family.
    pub family: StrategyFamily,
}

/// A direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Signal {
    /// Buy / hold long.
    Long,
    /// Sell / hold short.
    Short,
    /// Flat.
    Neutral,
}

impl Signal {
    /// +1, -1 or 0.
    pub fn value(self) -> f64 {
        match self {
            Signal::Long => 1.0,
            Signal::Short => -1.0,
            Signal::Neutral => 0.0,
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Long => "long",
            Signal::Short => "short",
            Signal::Neutral => "neutral",
        }
    }

    /// The one mapping from a model's prediction to a strategy signal, used by training
    /// and serving alike. A probability of an up move `p` (`probability = true`) is Long
    /// above 0.5 and Short below, with confidence `|2p - 1|`; any other value (a
    /// regressor's predicted return) is its sign with confidence 1 (0 when it is 0); NaN
    /// is Neutral with confidence 0.
    pub fn from_prediction<T: Float>(probability: bool, p: T) -> (Signal, T) {
        if p.to_f64().is_nan() {
            return (Signal::Neutral, T::ZERO);
        }
        let d = if probability { p - T::from_f64(0.5) } else { p };
        let signal = if d > T::ZERO {
            Signal::Long
        } else if d < T::ZERO {
            Signal::Short
        } else {
            Signal::Neutral
        };
        let confidence = if probability {
            (d.abs() * T::from_f64(2.0)).min(T::ONE)
        } else if signal == Signal::Neutral {
            T::ZERO
        } else {
            T::ONE
        };
        (signal, confidence)
    }
}

/// Which value drives a decision's `signal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SignalSource {
    /// The weighted sum of the strategies' contributions.
    WeightedSum,
    /// The stacking meta-learner's output.
    MetaLearner,
}

impl SignalSource {
    /// Snake-case name.
    pub fn name(self) -> &'static str {
        match self {
            SignalSource::WeightedSum => "weighted_sum",
            SignalSource::MetaLearner => "meta_learner",
        }
    }
}

/// One strategy's view for one bar.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StrategySignal<T> {
    /// The registered id.
    pub strategy_id: u32,
    /// Unix nanoseconds of the bar.
    pub timestamp: i64,
    /// Direction.
    pub signal: Signal,
    /// The strategy's confidence, in [0, 1].
    pub confidence: T,
    /// The return it expects (informational).
    pub expected_return: T,
    /// The volatility it expects (informational).
    pub volatility: T,
    /// The regime it believes in, if any (informational).
    pub regime: Option<RegimeType>,
}

/// One strategy's part in a decision.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StrategyBreakdown<T> {
    /// The id.
    pub strategy_id: u32,
    /// Its weight (0 unless active); weights of active strategies sum to 1.
    pub weight: T,
    /// It sent a signal this bar and is not silenced.
    pub active: bool,
    /// It is silenced for poor performance.
    pub silenced: bool,
    /// Its rolling performance score (the configured metric), once it has history.
    pub score: Option<T>,
    /// The signal it sent this bar (Neutral when it sent none).
    pub signal: Signal,
    /// The confidence it sent this bar (0 when it sent none).
    pub confidence: T,
    /// `weight x signal x confidence`; the contributions add up to `weighted_sum`.
    pub contribution: T,
}

/// The arbitrator's decision for one bar.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ArbitrationResult<T, const S: usize> {
    /// Direction of `weighted_signal` beyond the threshold.
    pub signal: Signal,
    /// `0.4 strength + 0.2 mean confidence + 0.2 consensus + 0.2 regime confidence`, in
    /// [0, 1]; the mean confidence is over the active strategies.
    pub confidence: T,
    /// The value that drives `signal`, in [-1, 1]: `weighted_sum` or `meta_signal`, as
    /// `signal_source` says, clipped to [-1, 1] and scaled by the regime's exposure (0
    /// when no strategy is active).
    pub weighted_signal: T,
    /// Which value `weighted_signal` is.
    pub signal_source: SignalSource,
    /// `sum w_i s_i c_i` over the active strategies: the sum of the breakdown's
    /// contributions (0 when none is active).
    pub weighted_sum: T,
    /// The meta-learner's output in [-1, 1], when one is set.
    pub meta_signal: Option<T>,
    /// `|weighted_signal|`.
    pub signal_strength: T,
    /// Share of active strategies whose direction is `signal`.
    pub consensus_ratio: T,
    /// Strategies that sent a signal and are not silenced.
    pub n_active_strategies: usize,
    /// The market regime used.
    pub regime: RegimeType,
    /// Its confidence.
    pub regime_confidence: T,
    /// Every registered strategy, in registration order.
    pub strategy_breakdown: Vec<StrategyBreakdown<T>, S>,
}

/// One strategy's row of the design's strategy summary (`get_strategy_summary()`), as of
/// the last processed bar.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StrategySummary<T> {
    /// The id.
    pub strategy_id: u32,
    /// Its family.
    pub family: StrategyFamily,
    /// Its weight on the last bar (0 unless active).
    pub weight: T,
    /// Its score by the configured metric, once it has history.
    pub score: Option<T>,
    /// It sent a signal on the last bar and is not silenced.
    pub active: bool,
    /// It is silenced.
    pub silenced: bool,
    /// Consecutive bars it has been silenced (0 when awake).
    pub bars_silenced: u32,
    /// Sharpe ratio (per bar) of its realised returns over the lookback.
    pub recent_sharpe: Option<T>,
    /// Mean realised return per bar over the lookback.
    pub recent_return: Option<T>,
    /// Its signal on the last bar.
    pub signal: Signal,
    /// Its confidence on the last bar.
    pub confidence: T,
}
