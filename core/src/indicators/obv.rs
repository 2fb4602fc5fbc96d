use crate::num::Float;

/// On-balance volume as TA-Lib: starts at the first bar's volume, then adds the volume
/// on an up close and subtracts it on a down close. The running total is a Neumaier
/// compensated sum, so volumes of 1e9 do not lose their low digits in `f32`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Obv<T> {
    prev_close: Option<T>,
    value: T,
    compensation: T,
}

impl<T: Float> Default for Obv<T> {
    fn default() -> Self {
        Obv {
            prev_close: None,
            value: T::ZERO,
            compensation: T::ZERO,
        }
    }
}

impl<T: Float> Obv<T> {
    /// Before any bar.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one bar's close and volume.
    #[inline]
    pub fn update(&mut self, close: T, volume: T) -> Option<T> {
        match self.prev_close.replace(close) {
            None => self.value = volume,
            Some(prev) if close > prev => self.add(volume),
            Some(prev) if close < prev => self.add(-volume),
            Some(_) => {}
        }
        self.value()
    }

    /// Neumaier's step: `value + x` with the lost low-order part kept aside.
    #[inline]
    fn add(&mut self, x: T) {
        let sum = self.value + x;
        self.compensation += if self.value.abs() >= x.abs() {
            (self.value - sum) + x
        } else {
            (x - sum) + self.value
        };
        self.value = sum;
    }

    /// The current value, once a bar was seen.
    pub fn value(&self) -> Option<T> {
        self.prev_close.map(|_| self.value + self.compensation)
    }

    /// Forgets all input.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}
