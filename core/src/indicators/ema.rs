use crate::error::Error;
use crate::num::Float;

/// Exponential moving average with `k = 2 / (n + 1)`, seeded with the SMA of the
/// first `n` values (TA-Lib's default, "classic" compatibility): first value at the
/// `n`-th input, then `ema += k (x - ema)`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Ema<T> {
    period: u16,
    k: T,
    seen: u16,
    seed_sum: T,
    value: Option<T>,
}

impl<T: Float> Ema<T> {
    /// An EMA over `period >= 1` values.
    pub fn new(period: u16) -> Result<Self, Error> {
        crate::window::check("ema period", period, 1, usize::MAX)?;
        Ok(Ema {
            period,
            k: T::from_f64(2.0 / (f64::from(period) + 1.0)),
            seen: 0,
            seed_sum: T::ZERO,
            value: None,
        })
    }

    /// Sets the current value directly (MACD seeds its fast EMA this way).
    pub(crate) fn seed(&mut self, value: T) {
        self.seen = self.period;
        self.value = Some(value);
    }

    /// Takes one value.
    #[inline]
    pub fn update(&mut self, x: T) -> Option<T> {
        match self.value {
            Some(prev) => self.value = Some((x - prev) * self.k + prev),
            None => {
                self.seed_sum += x;
                self.seen = self.seen.saturating_add(1);
                if self.seen == self.period {
                    self.value = Some(self.seed_sum / T::from_usize(usize::from(self.period)));
                }
            }
        }
        self.value
    }

    /// The period.
    pub fn period(&self) -> u16 {
        self.period
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
