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

impl<T: Float> BollingerBands<T> {
    /// The bands of a full window's `moments` at `k` deviations: middle = the mean,
    /// width = k times the population standard deviation.
    #[inline]
    pub fn from_moments(moments: &Moments<T>, k: T) -> Self {
        let middle = moments.mean();
        let width = k * moments.variance().sqrt();
        BollingerBands {
            upper: middle + width,
            middle,
            lower: middle - width,
        }
    }
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
        self.moments
            .full()
            .map(|m| BollingerBands::from_moments(m, self.k))
    }

    /// Forgets all input.
    pub fn reset(&mut self) {
        // the parameters were accepted when it was built
        if let Ok(fresh) = Self::new(self.moments.window(), self.k) {
            *self = fresh;
        }
    }
}
