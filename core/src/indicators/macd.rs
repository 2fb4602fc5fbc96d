use crate::error::Error;
use crate::num::Float;

use super::Ema;

/// MACD line, signal and histogram.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MacdOutput<T> {
    /// Fast EMA minus slow EMA.
    pub macd: T,
    /// EMA of the MACD line.
    pub signal: T,
    /// MACD line minus signal.
    pub hist: T,
}

/// MACD with TA-Lib's aligned seeding: the slow EMA is seeded with the SMA of the
/// first `slow` values; the fast EMA is seeded at the same bar with the SMA of the
/// `fast` values ending there; the signal EMA is seeded with the SMA of the first
/// `signal` MACD values. Output starts at input `slow + signal - 1` (12/26/9: bar 33).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Macd<T> {
    fast: Ema<T>,
    slow: Ema<T>,
    signal: Ema<T>,
    fast_period: u16,
    slow_period: u16,
    seen: u16,
    fast_seed_sum: T,
    value: Option<MacdOutput<T>>,
}

impl<T: Float> Macd<T> {
    /// `1 <= fast < slow`, `signal >= 1`.
    pub fn new(fast: u16, slow: u16, signal: u16) -> Result<Self, Error> {
        if fast >= slow {
            return Err(Error::InvalidParameter {
                field: "macd: fast period must be shorter than slow",
            });
        }
        Ok(Macd {
            fast: Ema::new(fast)?,
            slow: Ema::new(slow)?,
            signal: Ema::new(signal)?,
            fast_period: fast,
            slow_period: slow,
            seen: 0,
            fast_seed_sum: T::ZERO,
            value: None,
        })
    }

    /// Takes one close.
    #[inline]
    pub fn update(&mut self, x: T) -> Option<MacdOutput<T>> {
        let slow = self.slow.update(x);
        let fast = if self.seen < self.slow_period {
            self.seen = self.seen.saturating_add(1);
            if self.seen > self.slow_period.saturating_sub(self.fast_period) {
                self.fast_seed_sum += x;
            }
            if self.seen == self.slow_period {
                self.fast
                    .seed(self.fast_seed_sum / T::from_usize(usize::from(self.fast_period)));
            }
            self.fast.value()
        } else {
            self.fast.update(x)
        };
        if let (Some(f), Some(s)) = (fast, slow) {
            let macd = f - s;
            self.value = self.signal.update(macd).map(|signal| MacdOutput {
                macd,
                signal,
                hist: macd - signal,
            });
        }
        self.value
    }

    /// The current value, if warmed up.
    pub fn value(&self) -> Option<MacdOutput<T>> {
        self.value
    }

    /// Forgets all input.
    pub fn reset(&mut self) {
        // the parameters were accepted when it was built
        if let Ok(fresh) = Self::new(self.fast_period, self.slow_period, self.signal.period()) {
            *self = fresh;
        }
    }
}
