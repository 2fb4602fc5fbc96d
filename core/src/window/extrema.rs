use crate::error::Error;
use heapless::Deque;

use crate::num::Float;

use super::RingBuffer;

/// Which extreme a [`MonotonicDeque`] tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Extreme {
    /// The window maximum.
    Max,
    /// The window minimum.
    Min,
}

/// Rolling maximum or minimum in amortised O(1): a deque of the positions (bar
/// sequence numbers) of the candidates, values decreasing (max) or increasing (min)
/// from the front. Values are read from the series' [`RingBuffer`], so the deque
/// holds only `u32` positions.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MonotonicDeque<const N: usize> {
    seqs: Deque<u32, N>,
    window: u16,
    extreme: Extreme,
}

impl<const N: usize> PartialEq for MonotonicDeque<N> {
    fn eq(&self, other: &Self) -> bool {
        self.window == other.window
            && self.extreme == other.extreme
            && self.seqs.iter().eq(other.seqs.iter())
    }
}

impl<const N: usize> MonotonicDeque<N> {
    /// An empty deque over `1 <= window < N` values.
    pub fn new(window: u16, extreme: Extreme) -> Result<Self, Error> {
        super::check("extremum window", window, 1, N)?;
        Ok(MonotonicDeque {
            seqs: Deque::new(),
            window,
            extreme,
        })
    }

    /// Takes in the newest value of `ring`, whose sequence number is `seq`, and returns
    /// the extreme of the window once `ring` holds `window` values.
    #[inline]
    pub fn push<T: Float>(&mut self, seq: u32, ring: &RingBuffer<T, N>) -> Option<T> {
        let value_at = |s: u32| ring.lag(seq.wrapping_sub(s) as usize);
        let x = ring.newest()?;
        let window = u32::from(self.window);
        while self
            .seqs
            .front()
            .is_some_and(|&s| seq.wrapping_sub(s) >= window)
        {
            self.seqs.pop_front();
        }
        let extreme = self.extreme;
        while let Some(back) = self.seqs.back().and_then(|&s| value_at(s)) {
            let dominated = match extreme {
                Extreme::Max => back <= x,
                Extreme::Min => back >= x,
            };
            if !dominated {
                break;
            }
            self.seqs.pop_back();
        }
        // Cannot fail: at most `window < N` positions are ever held.
        let _ = self.seqs.push_back(seq);
        if ring.len() < usize::from(self.window) {
            return None;
        }
        self.seqs.front().and_then(|&s| value_at(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_naive_window_extremes() {
        let xs: std::vec::Vec<f64> = (0..500).map(|i| ((i * 7919) % 101) as f64 + 1.0).collect();
        let mut ring: RingBuffer<f64, 32> = RingBuffer::new();
        let mut max = MonotonicDeque::new(20, Extreme::Max).unwrap();
        let mut min = MonotonicDeque::new(20, Extreme::Min).unwrap();
        for (i, &x) in xs.iter().enumerate() {
            ring.push(x);
            let (hi, lo) = (max.push(i as u32, &ring), min.push(i as u32, &ring));
            if i + 1 < 20 {
                assert_eq!((hi, lo), (None, None));
            } else {
                let w = &xs[i + 1 - 20..=i];
                assert_eq!(hi, w.iter().cloned().reduce(f64::max));
                assert_eq!(lo, w.iter().cloned().reduce(f64::min));
            }
        }
    }
}
