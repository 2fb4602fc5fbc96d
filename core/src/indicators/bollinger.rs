use crate::error::Error;
use crate::num::Float;
use crate::window::{Moments, RingBuffer, Rolling};

/// Bollinger bands.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BollingerBands<T> {
    /// Middle + k standard deviations.
    pub upper: T,
    /// The SMA.
    pub middle: T,
    /// Middle - k standard deviations.
    pub lower: T,
}

/// Bollinger bands as TA-Lib's `BBANDS` with an SMA: middle = SMA(n), width = k times
/// the population standard deviation over the same n values.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Bollinger<T> {
    moments: Rolling<Moments<T>>,
    k: T,
}

impl<T: Float> Bollinger<T> {
    /// Bands over `window >= 1` values at `k >= 0` (finite) deviations.
    pub fn new(window: u16, k: T) -> Result<Self, Error> {
        if !(k.is_finite() && k >= T::ZERO) {
            return Err(Error::InvalidParameter {
                field: "bollinger k",
            });
        }
        Ok(Bollinger {
            moments: Rolling::new(window)?,
            k,
        })
    }

    /// Takes the newest value of `ring` (push it to the ring first).
    #[inline]
    pub fn update<const N: usize>(&mut self, ring: &RingBuffer<T, N>) -> Option<BollingerBands<T>> {
        self.moments.push(ring);
        self.value()
    }

    /// The current bands, once the window is full.
    pub fn value(&self) -> Option<BollingerBands<T>> {
        self.moments.full().map(|m| {
            let middle = m.mean();
            let width = self.k * m.variance().sqrt();
            BollingerBands {
                upper: middle + width,
                middle,
                lower: middle - width,
            }
        })
    }

    /// Forgets all input.
    pub fn reset(&mut self) {
        // the parameters were accepted when it was built
        if let Ok(fresh) = Self::new(self.moments.window(), self.k) {
            *self = fresh;
        }
    }
}
