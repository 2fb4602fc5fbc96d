//! Online regime detection: a rule-based detector over the feature engine's outputs
//! and a Gaussian HMM forward filter, behind one trait. Both use only the past: the
//! HMM reports filtered probabilities, never smoothed ones.

mod hmm;
mod rules;

pub use hmm::{GaussianHmm, HmmDetector, HmmPayload, MAX_DIM, MAX_STATES};
pub use rules::{RuleConfig, RuleDetector};

use crate::num::Float;

/// Number of [`RegimeType`]s.
pub const REGIMES: usize = 7;

/// A market regime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum RegimeType {
    /// Rising prices in a long-term uptrend.
    BullTrend = 0,
    /// Falling prices in a long-term downtrend.
    BearTrend = 1,
    /// A directional move without a settled long-term trend.
    Trending = 2,
    /// No direction, ordinary volatility.
    Ranging = 3,
    /// Volatility high against its recent history.
    HighVolatility = 4,
    /// Volatility low against its recent history.
    LowVolatility = 5,
    /// A deep drawdown below the long-term trend.
    Crisis = 6,
    /// No regime yet: the detector's inputs are still warming up. Reported with
    /// confidence 0 and no probabilities; not in [`RegimeType::ALL`], and per-regime
    /// tables (multipliers) have no column for it, so it weighs every family 1.
    Unknown = 7,
}

impl RegimeType {
    /// All regimes a detector can find, in index order ([`RegimeType::Unknown`] is not
    /// one).
    pub const ALL: [RegimeType; REGIMES] = [
        RegimeType::BullTrend,
        RegimeType::BearTrend,
        RegimeType::Trending,
        RegimeType::Ranging,
        RegimeType::HighVolatility,
        RegimeType::LowVolatility,
        RegimeType::Crisis,
    ];

    /// Index into per-regime arrays.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The regime with index `i`.
    pub fn from_index(i: usize) -> Option<Self> {
        Self::ALL.get(i).copied()
    }

    /// Snake-case name, e.g. `high_volatility`.
    pub const fn name(self) -> &'static str {
        match self {
            RegimeType::BullTrend => "bull_trend",
            RegimeType::BearTrend => "bear_trend",
            RegimeType::Trending => "trending",
            RegimeType::Ranging => "ranging",
            RegimeType::HighVolatility => "high_volatility",
            RegimeType::LowVolatility => "low_volatility",
            RegimeType::Crisis => "crisis",
            RegimeType::Unknown => "unknown",
        }
    }
}

/// The detector's belief after a bar.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RegimeState<T> {
    /// The reported regime.
    pub regime: RegimeType,
    /// Confidence in `regime`, in [0, 1].
    pub confidence: T,
    /// Probability of each regime (index by [`RegimeType::index`]); sums to 1 once the
    /// detector has seen its inputs (all 0 while the regime is unknown).
    pub probabilities: [T; REGIMES],
}

impl<T: Float> RegimeState<T> {
    /// No regime yet: [`RegimeType::Unknown`], confidence 0, every probability 0.
    pub fn unknown() -> Self {
        RegimeState {
            regime: RegimeType::Unknown,
            confidence: T::ZERO,
            probabilities: [T::ZERO; REGIMES],
        }
    }

    /// Certainty of `regime`.
    pub fn certain(regime: RegimeType) -> Self {
        let mut probabilities = [T::ZERO; REGIMES];
        if let Some(p) = probabilities.get_mut(regime.index()) {
            *p = T::ONE;
        }
        RegimeState {
            regime,
            confidence: T::ONE,
            probabilities,
        }
    }
}

/// A detector that updates from one bar's features (the engine's dense output, NaN
/// where absent) in O(1).
pub trait RegimeDetector<T: Float> {
    /// Takes one bar's features and returns the new state.
    fn update(&mut self, features: &[T]) -> RegimeState<T>;
    /// The current state.
    fn state(&self) -> RegimeState<T>;
}

/// Either detector, chosen at run time. (No boxing without a heap: the enum is as
/// large as the HMM, under 1 KiB.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Detector<T> {
    /// The rule-based detector.
    Rules(RuleDetector<T>),
    /// The HMM forward filter.
    Hmm(HmmDetector<T>),
}

impl<T: Float> RegimeDetector<T> for Detector<T> {
    fn update(&mut self, features: &[T]) -> RegimeState<T> {
        match self {
            Detector::Rules(d) => d.update(features),
            Detector::Hmm(d) => d.update(features),
        }
    }
    fn state(&self) -> RegimeState<T> {
        match self {
            Detector::Rules(d) => d.state(),
            Detector::Hmm(d) => d.state(),
        }
    }
}
