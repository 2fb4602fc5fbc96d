use crate::error::Error;
use crate::num::Float;

/// True range: `max(high - low, |high - prev_close|, |low - prev_close|)` (TA-Lib's
/// order of comparisons).
#[inline]
pub fn true_range<T: Float>(high: T, low: T, prev_close: T) -> T {
    let mut range = high - low;
    let up = (high - prev_close).abs();
    if up > range {
        range = up;
    }
    let down = (low - prev_close).abs();
    if down > range {
        range = down;
    }
    range
}

/// Average true range, Wilder smoothing seeded with the SMA of the first `n` true
/// ranges, as TA-Lib: the first true range is at the second bar, so the first ATR is
/// at input `n`; then `atr = (atr (n - 1) + tr) / n`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Atr<T> {
    period: u16,
    ranges: u16,
    prev_close: Option<T>,
    sum: T,
    value: Option<T>,
}

impl<T: Float> Atr<T> {
    /// An ATR over `period >= 1` true ranges.
    pub fn new(period: u16) -> Result<Self, Error> {
        crate::window::check("atr period", period, 1, usize::MAX)?;
        Ok(Atr {
            period,
            ranges: 0,
            prev_close: None,
            sum: T::ZERO,
            value: None,
        })
    }

    /// Takes one bar's high, low and close.
    #[inline]
    pub fn update(&mut self, high: T, low: T, close: T) -> Option<T> {
        let prev = self.prev_close.replace(close)?;
        let tr = true_range(high, low, prev);
        let n = T::from_usize(usize::from(self.period));
        match self.value {
            Some(atr) => {
                let mut v = atr * (n - T::ONE);
                v += tr;
                self.value = Some(v / n);
            }
            None => {
                self.sum += tr;
                self.ranges = self.ranges.saturating_add(1);
                if self.ranges == self.period {
                    self.value = Some(self.sum / n);
                }
            }
        }
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
