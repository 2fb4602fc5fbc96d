use crate::error::Error;
use crate::num::Float;

use super::RingBuffer;

/// Running sums over a window that can take a new value and drop the oldest in O(1).
///
/// Sums are kept relative to a shift (the first value the accumulator saw), so that
/// second moments of prices do not cancel catastrophically.
pub trait Accumulate: Copy {
    /// The number type summed.
    type Value: Float;
    /// An empty accumulator whose shift is `anchor`.
    fn anchored(anchor: Self::Value) -> Self;
    /// Adds `x` while the window is still filling.
    fn add(&mut self, x: Self::Value);
    /// Adds `x` and drops `leaving`, the oldest value, once the window is full.
    fn slide(&mut self, x: Self::Value, leaving: Self::Value);
    /// Number of values summed.
    fn len(&self) -> usize;
    /// True before the first value.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A window of length `window` over a [`RingBuffer`] with an exact refresh that keeps
/// add/subtract rounding from drifting.
///
/// Beside the live sums, a second accumulator sums the values pushed since its start
/// with additions only; after `window` pushes it holds exactly the current window and
/// replaces the live sums. The live sums therefore never carry the rounding of more
/// than `window` slides, at O(1) worst-case cost per push.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Rolling<A> {
    live: A,
    fresh: A,
    window: u16,
}

impl<A: Accumulate> Rolling<A> {
    /// An empty window of length `window >= 1` (it reads a ring of more than `window`
    /// values; the ring's owner checks that).
    pub fn new(window: u16) -> Result<Self, Error> {
        super::check("rolling window", window, 1, usize::MAX)?;
        Ok(Rolling {
            live: A::anchored(A::Value::ZERO),
            fresh: A::anchored(A::Value::ZERO),
            window,
        })
    }

    /// The window length.
    pub fn window(&self) -> u16 {
        self.window
    }

    /// Takes the newest value of `ring` into the window (push it to `ring` first); the
    /// value leaving the window is read from `ring` at lag `window`.
    #[inline]
    pub fn push<const N: usize>(&mut self, ring: &RingBuffer<A::Value, N>) {
        let Some(x) = ring.newest() else { return };
        self.take(x, ring.lag(usize::from(self.window)));
    }

    /// Takes `x` into the window; `leaving` is the value pushed `window` values before
    /// it (what [`Rolling::push`] reads from its ring), `None` while there is none.
    #[inline]
    pub fn take(&mut self, x: A::Value, leaving: Option<A::Value>) {
        let window = usize::from(self.window);
        if self.live.is_empty() {
            self.live = A::anchored(x);
        }
        if self.live.len() < window {
            self.live.add(x);
        } else if let Some(leaving) = leaving {
            self.live.slide(x, leaving);
        }
        if self.fresh.is_empty() {
            self.fresh = A::anchored(x);
        }
        self.fresh.add(x);
        if self.fresh.len() == window {
            self.live = self.fresh;
            self.fresh = A::anchored(x);
        }
    }

    /// The sums over the values seen so far (fewer than `window` while filling).
    #[inline]
    pub fn current(&self) -> &A {
        &self.live
    }

    /// The sums over the window, once it is full.
    #[inline]
    pub fn full(&self) -> Option<&A> {
        (self.live.len() == usize::from(self.window)).then_some(&self.live)
    }
}

/// Count and sum of `x - shift`: the sum and the mean in O(1). On its own for a window
/// that reads nothing else (the Parkinson and Garman-Klass means, the VWAP's sums, the
/// path length of the trend strength); the first part of [`Moments`] and
/// [`LinearTrend`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Sum<T> {
    shift: T,
    s1: T,
    n: u32,
}

impl<T: Float> Sum<T> {
    /// Adds `x`, returning `x - shift`.
    #[inline]
    fn add_centered(&mut self, x: T) -> T {
        let d = x - self.shift;
        self.s1 += d;
        self.n = self.n.saturating_add(1);
        d
    }
    /// Adds `x` and drops `leaving`, returning both less the shift.
    #[inline]
    fn slide_centered(&mut self, x: T, leaving: T) -> (T, T) {
        let d = x - self.shift;
        let l = leaving - self.shift;
        self.s1 += d - l;
        (d, l)
    }
    /// Sum of the values.
    #[inline]
    pub fn sum(&self) -> T {
        self.s1 + self.shift * T::from_usize(self.len())
    }
    /// Arithmetic mean.
    #[inline]
    pub fn mean(&self) -> T {
        self.shift + self.s1 / T::from_usize(self.len())
    }
}

impl<T: Float> Accumulate for Sum<T> {
    type Value = T;
    #[inline]
    fn anchored(anchor: T) -> Self {
        Sum {
            shift: anchor,
            s1: T::ZERO,
            n: 0,
        }
    }
    #[inline]
    fn add(&mut self, x: T) {
        self.add_centered(x);
    }
    #[inline]
    fn slide(&mut self, x: T, leaving: T) {
        self.slide_centered(x, leaving);
    }
    #[inline]
    fn len(&self) -> usize {
        self.n as usize
    }
}

/// [`Sum`] and the sum of squares of `x - shift`: mean and variance in O(1).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Moments<T> {
    /// The first moment (and the shift and count).
    first: Sum<T>,
    s2: T,
}

impl<T: Float> Accumulate for Moments<T> {
    type Value = T;
    #[inline]
    fn anchored(anchor: T) -> Self {
        Moments {
            first: Sum::anchored(anchor),
            s2: T::ZERO,
        }
    }
    #[inline]
    fn add(&mut self, x: T) {
        let d = self.first.add_centered(x);
        self.s2 += d * d;
    }
    #[inline]
    fn slide(&mut self, x: T, leaving: T) {
        let (d, l) = self.first.slide_centered(x, leaving);
        self.s2 += d * d - l * l;
    }
    #[inline]
    fn len(&self) -> usize {
        self.first.len()
    }
}

impl<T: Float> Moments<T> {
    /// Sum of the values.
    #[inline]
    pub fn sum(&self) -> T {
        self.first.sum()
    }
    /// Arithmetic mean.
    #[inline]
    pub fn mean(&self) -> T {
        self.first.mean()
    }
    /// Sum of squared deviations from the mean, `s2 - s1^2 / n`. Below the rounding
    /// noise of that subtraction (`4 n eps s2`) it is 0, so a constant window has no
    /// spurious spread.
    #[inline]
    fn centered_sum_sq(&self) -> T {
        let len = self.len();
        let n = T::from_usize(len);
        let s1 = self.first.s1;
        let m2 = self.s2 - s1 * s1 / n;
        if m2 <= T::from_usize(len.saturating_mul(4)) * T::EPSILON * self.s2 {
            T::ZERO
        } else {
            m2
        }
    }
    /// Population variance (divisor n).
    #[inline]
    pub fn variance(&self) -> T {
        self.centered_sum_sq() / T::from_usize(self.len())
    }
    /// Sample variance (divisor n - 1); `None` for fewer than 2 values.
    #[inline]
    pub fn sample_variance(&self) -> Option<T> {
        let len = self.len();
        (len >= 2).then(|| self.centered_sum_sq() / T::from_usize(len.saturating_sub(1)))
    }
}

/// Sums for the least-squares line through the window's values against their
/// positions 0..n-1 (oldest first): the slope in O(1).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LinearTrend<T> {
    /// `Sy` (and the shift and count).
    sy: Sum<T>,
    sxy: T,
}

impl<T: Float> Accumulate for LinearTrend<T> {
    type Value = T;
    #[inline]
    fn anchored(anchor: T) -> Self {
        LinearTrend {
            sy: Sum::anchored(anchor),
            sxy: T::ZERO,
        }
    }
    #[inline]
    fn add(&mut self, x: T) {
        let position = T::from_usize(self.len());
        let d = self.sy.add_centered(x);
        self.sxy += position * d;
    }
    /// Every position drops by one: `Sxy' = Sxy - (Sy - y_old) + (n - 1) y_new`.
    #[inline]
    fn slide(&mut self, x: T, leaving: T) {
        let sy = self.sy.s1;
        let (d, l) = self.sy.slide_centered(x, leaving);
        self.sxy += T::from_usize(self.len().saturating_sub(1)) * d - (sy - l);
    }
    #[inline]
    fn len(&self) -> usize {
        self.sy.len()
    }
}

impl<T: Float> LinearTrend<T> {
    /// OLS slope per step: `(Sxy - Sx Sy / n) / (n (n^2 - 1) / 12)`, `Sx = n (n - 1) / 2`.
    /// `None` for fewer than 2 values.
    #[inline]
    pub fn slope(&self) -> Option<T> {
        let len = self.len();
        (len >= 2).then(|| {
            let n = T::from_usize(len);
            let sx = T::from_usize(len.saturating_mul(len.saturating_sub(1)) / 2);
            let sxx_centered = n * (n * n - T::ONE) / T::from_usize(12);
            (self.sxy - sx * self.sy.s1 / n) / sxx_centered
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two-pass mean and population variance: the naive reference.
    fn two_pass(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        (mean, var)
    }

    fn naive_slope(ys: &[f64]) -> f64 {
        let n = ys.len() as f64;
        let mx = (n - 1.0) / 2.0;
        let my = ys.iter().sum::<f64>() / n;
        let num: f64 = ys
            .iter()
            .enumerate()
            .map(|(i, y)| (i as f64 - mx) * (y - my))
            .sum();
        let den: f64 = (0..ys.len()).map(|i| (i as f64 - mx).powi(2)).sum();
        num / den
    }

    /// A deterministic random walk (xorshift), so the test needs no extra crate.
    fn random_walk(len: usize) -> impl Iterator<Item = f64> {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut price = 1000.0f64;
        (0..len).map(move |_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            price *= (0.02 * u).exp();
            price
        })
    }

    /// Ten million slides must not drift: the window sums equal a fresh two-pass
    /// recomputation within 1e-9 relative (the bound). The sum without squares
    /// is, bit for bit, the first moment of [`Moments`].
    #[test]
    fn ten_million_updates_do_not_drift() {
        const N: usize = 64;
        let window = 50u16;
        let mut ring: RingBuffer<f64, N> = RingBuffer::new();
        let mut moments: Rolling<Moments<f64>> = Rolling::new(window).unwrap();
        let mut trend: Rolling<LinearTrend<f64>> = Rolling::new(window).unwrap();
        let mut sum: Rolling<Sum<f64>> = Rolling::new(window).unwrap();
        for (i, x) in random_walk(10_000_000).enumerate() {
            ring.push(x);
            moments.push(&ring);
            trend.push(&ring);
            sum.push(&ring);
            // checking every bar would be slow in debug builds; every prime-th is enough
            if i % 99_991 == 0 || i == 9_999_999 {
                let w: std::vec::Vec<f64> = (0..usize::from(window))
                    .rev()
                    .filter_map(|k| ring.lag(k))
                    .collect();
                if w.len() < usize::from(window) {
                    continue;
                }
                let (mean, var) = two_pass(&w);
                let m = moments.full().unwrap();
                assert!((m.mean() - mean).abs() <= 1e-9 * mean.abs(), "mean at {i}");
                assert!((m.variance() - var).abs() <= 1e-9 * var, "variance at {i}");
                let total = sum.full().unwrap().sum();
                let naive = w.iter().sum::<f64>();
                assert!((total - naive).abs() <= 1e-9 * naive.abs(), "sum at {i}");
                assert_eq!(total.to_bits(), m.sum().to_bits(), "sum at {i}");
                let mean_bits = sum.full().unwrap().mean().to_bits();
                assert_eq!(mean_bits, m.mean().to_bits(), "mean at {i}");
                let s = naive_slope(&w);
                let got = trend.full().unwrap().slope().unwrap();
                assert!(
                    (got - s).abs() <= 1e-9 * s.abs().max(1e-12),
                    "slope at {i}: {got} vs {s}"
                );
            }
        }
    }

    #[test]
    fn partial_window_is_not_full() {
        let mut ring: RingBuffer<f64, 8> = RingBuffer::new();
        let mut m: Rolling<Moments<f64>> = Rolling::new(3).unwrap();
        for x in [1.0, 2.0] {
            ring.push(x);
            m.push(&ring);
            assert!(m.full().is_none());
        }
        ring.push(6.0);
        m.push(&ring);
        assert_eq!(m.full().unwrap().mean(), 3.0);
        assert_eq!(m.full().unwrap().sample_variance(), Some(7.0));
    }
}
