use super::{RegimeDetector, RegimeState, RegimeType, REGIMES};
use crate::features::Schema;
use crate::model::{FeatureBinding, ModelError};
use crate::num::Float;

/// Thresholds of the rule-based detector. A bar's candidate regime is the first rule
/// that holds, in this order:
///
/// 1. `Crisis`: `dist_max_100 <= crisis_drawdown` and `close_to_sma_200 < 0`;
/// 2. `HighVolatility`: `vol_regime >= high_vol` and not a bull trend;
/// 3. `BullTrend`: `close_to_sma_200 > 0` and `slope_50 > 0`;
/// 4. `BearTrend`: `close_to_sma_200 < 0` and `slope_50 < 0`;
/// 5. `LowVolatility`: `vol_regime <= low_vol`;
/// 6. `Trending`: `trend_strength_20 >= trending`;
/// 7. `Ranging` otherwise.
///
/// While any input is still warming up the candidate is [`RegimeType::Unknown`]: no
/// regime yet, confidence 0 (about 200 bars on the default features). The first known
/// candidate is reported at once; after that the reported regime changes only after a
/// new candidate has held for `dwell` consecutive bars (hysteresis against flicker).
/// Probabilities are the shares of the known candidates over the last `vote_window`
/// bars; confidence is the reported regime's share.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RuleConfig {
    /// Drawdown from the 100-bar high that marks a crisis (default -0.15).
    pub crisis_drawdown: f64,
    /// `vol_regime` at or above which volatility is high (default 0.8).
    pub high_vol: f64,
    /// `vol_regime` at or below which volatility is low (default 0.2).
    pub low_vol: f64,
    /// Efficiency ratio at or above which a move is trending (default 0.4).
    pub trending: f64,
    /// Bars a new candidate must hold before it is reported (default 3).
    pub dwell: u16,
    /// Bars of candidates the probabilities are taken over (default 10, 1 to 32).
    pub vote_window: u16,
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig {
            crisis_drawdown: -0.15,
            high_vol: 0.8,
            low_vol: 0.2,
            trending: 0.4,
            dwell: 3,
            vote_window: 10,
        }
    }
}

/// The feature names the rules read, in this order.
pub const RULE_FEATURES: [&str; 5] = [
    "dist_max_100",
    "close_to_sma_200",
    "slope_50",
    "vol_regime",
    "trend_strength_20",
];

const MAX_VOTES: usize = 32;

/// The rule-based detector (see [`RuleConfig`]).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RuleDetector<T> {
    config: RuleConfig,
    index: [u16; 5],
    reported: RegimeType,
    pending: RegimeType,
    pending_for: u16,
    votes: crate::window::RingBuffer<u8, MAX_VOTES>,
    counts: [u16; REGIMES],
    state: RegimeState<T>,
}

impl<T: Float> RuleDetector<T> {
    /// Binds the rules' inputs (`RULE_FEATURES`) in `schema`; a missing feature is an
    /// error naming it.
    pub fn new<const F: usize>(config: RuleConfig, schema: &Schema<F>) -> Result<Self, ModelError> {
        if config.vote_window == 0
            || usize::from(config.vote_window) > MAX_VOTES
            || config.dwell == 0
        {
            return Err(ModelError::Malformed {
                what: "rule detector: vote_window must be 1 to 32 and dwell at least 1",
            });
        }
        let thresholds = [
            config.crisis_drawdown,
            config.high_vol,
            config.low_vol,
            config.trending,
        ];
        if thresholds.iter().any(|v| !v.is_finite()) || config.low_vol >= config.high_vol {
            return Err(ModelError::Malformed {
                what: "rule detector: thresholds must be finite with low_vol < high_vol",
            });
        }
        let binding: FeatureBinding<5> = FeatureBinding::bind(RULE_FEATURES, schema)?;
        let mut index = [0u16; 5];
        for (slot, i) in index.iter_mut().zip(binding.indices()) {
            *slot = *i;
        }
        Ok(RuleDetector {
            config,
            index,
            reported: RegimeType::Unknown,
            pending: RegimeType::Unknown,
            pending_for: 0,
            votes: crate::window::RingBuffer::new(),
            counts: [0; REGIMES],
            state: RegimeState::unknown(),
        })
    }

    /// The candidate regime of one bar's features.
    pub fn candidate(&self, features: &[T]) -> RegimeType {
        let get = |k: usize| {
            let i = self.index.get(k).copied().unwrap_or(u16::MAX);
            features
                .get(usize::from(i))
                .map_or(f64::NAN, |v| v.to_f64())
        };
        let (drawdown, above_trend, slope, vol, strength) =
            (get(0), get(1), get(2), get(3), get(4));
        if [drawdown, above_trend, slope, vol, strength]
            .iter()
            .any(|v| v.is_nan())
        {
            return RegimeType::Unknown;
        }
        let c = &self.config;
        let bull = above_trend > 0.0 && slope > 0.0;
        let bear = above_trend < 0.0 && slope < 0.0;
        if drawdown <= c.crisis_drawdown && above_trend < 0.0 {
            RegimeType::Crisis
        } else if vol >= c.high_vol && !bull {
            RegimeType::HighVolatility
        } else if bull {
            RegimeType::BullTrend
        } else if bear {
            RegimeType::BearTrend
        } else if vol <= c.low_vol {
            RegimeType::LowVolatility
        } else if strength >= c.trending {
            RegimeType::Trending
        } else {
            RegimeType::Ranging
        }
    }
}

impl<T: Float> RegimeDetector<T> for RuleDetector<T> {
    fn update(&mut self, features: &[T]) -> RegimeState<T> {
        let candidate = self.candidate(features);
        // hysteresis: a new candidate must hold `dwell` bars (none from Unknown: the
        // first known regime is reported at once)
        if self.reported == RegimeType::Unknown {
            self.reported = candidate;
            self.pending = candidate;
            self.pending_for = 0;
        } else if candidate == self.reported {
            self.pending_for = 0;
        } else if candidate == self.pending {
            self.pending_for = self.pending_for.saturating_add(1);
        } else {
            self.pending = candidate;
            self.pending_for = 1;
        }
        if self.pending_for >= self.config.dwell {
            self.reported = self.pending;
            self.pending_for = 0;
        }
        // vote shares over the last `vote_window` candidates
        let window = usize::from(self.config.vote_window);
        if self.votes.len() >= window {
            if let Some(old) = self.votes.lag(window.saturating_sub(1)) {
                if let Some(c) = self.counts.get_mut(usize::from(old)) {
                    *c = c.saturating_sub(1);
                }
            }
        }
        self.votes.push(candidate as u8);
        if let Some(c) = self.counts.get_mut(candidate.index()) {
            *c = c.saturating_add(1);
        }
        let total: u16 = self.counts.iter().fold(0, |a, &c| a.saturating_add(c));
        let mut probabilities = [T::ZERO; REGIMES];
        for (p, &c) in probabilities.iter_mut().zip(self.counts.iter()) {
            *p = T::from_usize(usize::from(c)) / T::from_usize(usize::from(total.max(1)));
        }
        let confidence = probabilities
            .get(self.reported.index())
            .copied()
            .unwrap_or(T::ZERO);
        self.state = RegimeState {
            regime: self.reported,
            confidence,
            probabilities,
        };
        self.state
    }

    fn state(&self) -> RegimeState<T> {
        self.state
    }
}
