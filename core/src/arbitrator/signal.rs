//! What strategies send to the arbitrator and what it sends back.

use heapless::Vec;

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
    /// `weight x signal x confidence`.
    pub contribution: T,
}

/// The arbitrator's decision for one bar.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ArbitrationResult<T, const S: usize> {
    /// Direction of `weighted_signal` beyond the threshold.
    pub signal: Signal,
    /// `0.4 strength + 0.2 mean confidence + 0.2 consensus + 0.2 regime confidence`, in [0, 1].
    pub confidence: T,
    /// Sum of the contributions (or the meta-learner's output), in [-1, 1].
    pub weighted_signal: T,
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
