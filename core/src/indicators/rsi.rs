use crate::error::Error;
use crate::num::Float;

use super::ta_is_zero;

/// Relative strength index, Wilder smoothing as TA-Lib: average gain and loss seeded
/// with the plain means over the first `n` changes, then `avg = (avg (n - 1) + x) / n`;
/// `RSI = 100 gain / (gain + loss)`, 0 when both are (TA-Lib-)zero. First value at
/// input `n`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Rsi<T> {
    period: u16,
    changes: u16,
    prev: Option<T>,
    gain: T,
    loss: T,
    value: Option<T>,
}

impl<T: Float> Rsi<T> {
    /// An RSI over `period >= 2` changes.
    pub fn new(period: u16) -> Result<Self, Error> {
        crate::window::check("rsi period", period, 2, usize::MAX)?;
        Ok(Rsi {
            period,
            changes: 0,
            prev: None,
            gain: T::ZERO,
            loss: T::ZERO,
            value: None,
        })
    }

    /// Takes one close.
    #[inline]
    pub fn update(&mut self, x: T) -> Option<T> {
        let prev = self.prev.replace(x)?;
        let n = T::from_usize(usize::from(self.period));
        let change = x - prev;
        if self.changes < self.period {
            if change < T::ZERO {
                self.loss -= change;
            } else {
                self.gain += change;
            }
            self.changes = self.changes.saturating_add(1);
            if self.changes < self.period {
                return None;
            }
            self.loss /= n;
            self.gain /= n;
        } else {
            self.loss *= n - T::ONE;
            self.gain *= n - T::ONE;
            if change < T::ZERO {
                self.loss -= change;
            } else {
                self.gain += change;
            }
            self.loss /= n;
            self.gain /= n;
        }
        let total = self.gain + self.loss;
        let rsi = if ta_is_zero(total) {
            T::ZERO
        } else {
            T::from_f64(100.0) * (self.gain / total)
        };
        self.value = Some(rsi);
        self.value
    }

    /// The current value, if warmed up.
    pub fn value(&self) -> Option<T> {
        self.value
    }

    /// Forgets all input.
    pub fn reset(&mut self) {
        // the parameters were accepted when it was built
        if let Ok(fresh) = Self::new(self.period) {
            *self = fresh;
        }
    }
}
