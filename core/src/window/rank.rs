use crate::error::Error;
use heapless::Vec;

use crate::num::Float;

use super::RingBuffer;

/// The last `window` values of a series kept sorted, for rolling percentile ranks.
///
/// Each push is a binary search plus a shift of at most `window` values (a `memmove`);
/// an exact rolling rank cannot be O(1), and this is the cheapest exact form for the
/// short windows ranks use.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SortedWindow<T, const N: usize> {
    sorted: Vec<T, N>,
    window: u16,
}

impl<T: Float, const N: usize> SortedWindow<T, N> {
    /// An empty window of `1 <= window < N` values.
    pub fn new(window: u16) -> Result<Self, Error> {
        super::check("rank window", window, 1, N)?;
        Ok(SortedWindow {
            sorted: Vec::new(),
            window,
        })
    }

    /// Takes in the newest value of `ring` (dropping the value at lag `window`) and
    /// returns the fraction of the window's values that are `<=` the newest, once the
    /// window is full.
    pub fn push(&mut self, ring: &RingBuffer<T, N>) -> Option<T> {
        let x = ring.newest()?;
        let window = usize::from(self.window);
        if self.sorted.len() == window {
            if let Some(leaving) = ring.lag(window) {
                let i = self.sorted.partition_point(|&v| v < leaving);
                if i < self.sorted.len() {
                    self.sorted.remove(i);
                }
            }
        }
        let i = self.sorted.partition_point(|&v| v < x);
        // Cannot fail: one value left before this one came in.
        let _ = self.sorted.insert(i, x);
        (self.sorted.len() == window).then(|| {
            let at_or_below = self.sorted.partition_point(|&v| v <= x);
            T::from_usize(at_or_below) / T::from_usize(window)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_naive_count() {
        let xs: std::vec::Vec<f64> = (0..300).map(|i| ((i * 31) % 17) as f64).collect();
        let mut ring: RingBuffer<f64, 16> = RingBuffer::new();
        let mut rank = SortedWindow::new(10).unwrap();
        for (i, &x) in xs.iter().enumerate() {
            ring.push(x);
            let got = rank.push(&ring);
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
