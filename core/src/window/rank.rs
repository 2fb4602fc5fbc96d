use crate::error::Error;

use crate::num::Float;

use super::RingBuffer;

/// The rolling percentile rank of a series' newest value: the fraction of the last
/// `window` values (the newest included) that are `<=` it, pandas'
/// `rolling(window).apply(lambda w: (w <= w[-1]).mean())`.
///
/// Stateless over the series' [`RingBuffer`]: one counting pass over the window's two
/// contiguous runs, O(window), vectorisable, and nothing stored beside the ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PercentileRank<const N: usize> {
    window: u16,
}

impl<const N: usize> PercentileRank<N> {
    /// A rank over `1 <= window < N` values.
    pub fn new(window: u16) -> Result<Self, Error> {
        super::check("rank window", window, 1, N)?;
        Ok(PercentileRank { window })
    }

    /// The window length.
    pub fn window(&self) -> u16 {
        self.window
    }

    /// The rank of the newest value of `ring`, once it holds `window` values.
    #[inline]
    pub fn of<T: Float>(&self, ring: &RingBuffer<T, N>) -> Option<T> {
        let x = ring.newest()?;
        let (older, newer) = ring.newest_runs(usize::from(self.window))?;
        let at_or_below = |run: &[T]| run.iter().filter(|&&v| v <= x).count();
        let count = at_or_below(older).saturating_add(at_or_below(newer));
        Some(T::from_usize(count) / T::from_usize(usize::from(self.window)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_naive_count() {
        let xs: std::vec::Vec<f64> = (0..300).map(|i| ((i * 31) % 17) as f64).collect();
        let mut ring: RingBuffer<f64, 16> = RingBuffer::new();
        let rank = PercentileRank::new(10).unwrap();
        for (i, &x) in xs.iter().enumerate() {
            ring.push(x);
            let got = rank.of(&ring);
            if i + 1 < 10 {
                assert_eq!(got, None);
            } else {
                let w = &xs[i + 1 - 10..=i];
                let naive = w.iter().filter(|&&v| v <= x).count() as f64 / 10.0;
                assert_eq!(got, Some(naive));
            }
        }
    }
}
