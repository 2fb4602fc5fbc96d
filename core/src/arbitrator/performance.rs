//! Rolling performance of one strategy in O(1) per bar.

use crate::error::Error;
use crate::num::Float;
use crate::window::{Moments, RingBuffer, Rolling};

/// Which rolling statistic scores a strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PerformanceMetric {
    /// Mean over sample standard deviation of the realised returns (per bar, not
    /// annualised; 0 when the deviation is 0).
    Sharpe,
    /// Mean realised return.
    Return,
    /// Mean over downside deviation `sqrt(mean(min(r, 0)^2))` (0 when no loss).
    Sortino,
    /// Share of bars with a positive realised return.
    HitRate,
}

/// Realised returns over the last `lookback` bars: running moments of the returns and
/// of their downside part `min(r, 0)` (read from the returns as they leave), and counts
/// of wins and losses. `L` is the history capacity.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PerformanceTracker<T, const L: usize> {
    returns: RingBuffer<T, L>,
    moments: Rolling<Moments<T>>,
    downside_moments: Rolling<Moments<T>>,
    wins: u16,
    losses: u16,
    seen: u16,
}

impl<T: Float, const L: usize> PerformanceTracker<T, L> {
    /// Tracks the last `1 <= lookback < L` returns.
    pub fn new(lookback: u16) -> Result<Self, Error> {
        crate::window::check("performance lookback", lookback, 1, L)?;
        Ok(PerformanceTracker {
            returns: RingBuffer::new(),
            moments: Rolling::new(lookback)?,
            downside_moments: Rolling::new(lookback)?,
            wins: 0,
            losses: 0,
            seen: 0,
        })
    }

    /// Records one realised return.
    pub fn push(&mut self, r: T) {
        let lookback = self.moments.window();
        self.returns.push(r);
        self.moments.push(&self.returns);
        // the return leaving the window (the ring holds more than `lookback` < L)
        let leaving = self.returns.lag(usize::from(lookback));
        self.downside_moments
            .take(r.min(T::ZERO), leaving.map(|l| l.min(T::ZERO)));
        let count = |n: u16, entering: bool, left: bool| {
            n.saturating_add(u16::from(entering))
                .saturating_sub(u16::from(left))
        };
        let (gain, loss) = (|x: T| x > T::ZERO, |x: T| x < T::ZERO);
        self.wins = count(self.wins, gain(r), leaving.is_some_and(gain));
        self.losses = count(self.losses, loss(r), leaving.is_some_and(loss));
        self.seen = self.seen.saturating_add(1).min(lookback);
    }

    /// Returns in the window.
    pub fn len(&self) -> usize {
        usize::from(self.seen)
    }

    /// True before the first return.
    pub fn is_empty(&self) -> bool {
        self.seen == 0
    }

    /// The score by `metric` over the window (partial windows count too), once there are
    /// at least `min_history` returns.
    pub fn score(&self, metric: PerformanceMetric, min_history: u16) -> Option<T> {
        if self.seen < min_history.max(2) {
            return None;
        }
        let window = usize::from(self.seen);
        let (m, d) = (self.moments.current(), self.downside_moments.current());
        let mean = m.mean();
        Some(match metric {
            PerformanceMetric::Return => mean,
            PerformanceMetric::Sharpe => {
                let sd = m.sample_variance().unwrap_or(T::ZERO).sqrt();
                if sd > T::ZERO {
                    mean / sd
                } else {
                    T::ZERO
                }
            }
            PerformanceMetric::Sortino => {
                // without a loss in the window the downside is 0, not the rounding left
                // in sums that slid losses out
                let downside = if self.losses == 0 {
                    T::ZERO
                } else {
                    (d.variance() + d.mean() * d.mean()).sqrt()
                };
                if downside > T::ZERO {
                    mean / downside
                } else {
                    T::ZERO
                }
            }
            PerformanceMetric::HitRate => {
                T::from_usize(usize::from(self.wins)) / T::from_usize(window)
            }
        })
    }
}
