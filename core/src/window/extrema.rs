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

/// Rolling maxima or minima of every window up to `window` values ending at the newest
/// one: a deque of the positions (bar sequence numbers) of the candidates, the values no
/// later value in the longest window dominates, decreasing (max) or increasing (min)
/// from the front. The extreme of a window of `n` values is the candidate at the first
/// position inside it, so one deque serves all of a family's windows: a push is
/// amortised O(1), a query a binary search. Values are read from the series'
/// [`RingBuffer`], so the deque holds only `u32` positions.
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
    /// An empty deque for windows of at most `1 <= window < N` values.
    pub fn new(window: u16, extreme: Extreme) -> Result<Self, Error> {
        super::check("extremum window", window, 1, N)?;
        Ok(MonotonicDeque {
            seqs: Deque::new(),
            window,
            extreme,
        })
    }

    /// Takes in the newest value of `ring`, whose sequence number is `seq`.
    #[inline]
    pub fn push<T: Float>(&mut self, seq: u32, ring: &RingBuffer<T, N>) {
        let Some(x) = ring.newest() else {
            return;
        };
        let window = u32::from(self.window);
        while self
            .seqs
            .front()
            .is_some_and(|&s| seq.wrapping_sub(s) >= window)
        {
            self.seqs.pop_front();
        }
        let extreme = self.extreme;
        while let Some(back) = self
            .seqs
            .back()
            .and_then(|&s| ring.lag(seq.wrapping_sub(s) as usize))
        {
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
    }

    /// The extreme of the newest `n <= window` values of `ring` (the newest's sequence
    /// number is `seq`), once it holds `n` values.
    #[inline]
    pub fn extreme<T: Float>(&self, n: u16, seq: u32, ring: &RingBuffer<T, N>) -> Option<T> {
        if n > self.window || ring.len() < usize::from(n) {
            return None;
        }
        let outside = |s: &u32| seq.wrapping_sub(*s) >= u32::from(n);
        let (front, back) = self.seqs.as_slices();
        let first = match front.partition_point(outside) {
            i if i < front.len() => front.get(i),
            _ => back.get(back.partition_point(outside)),
        };
        ring.lag(seq.wrapping_sub(*first?) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_naive_window_extremes() {
        // ties, then a falling and a rising run that fill the max and the min deque (so
        // their storage wraps and a query spans both runs of it)
        let xs: std::vec::Vec<f64> = (0..500)
            .map(|i| match i {
                0..200 => ((i * 7919) % 101) as f64 + 1.0,
                200..350 => 1000.0 - i as f64,
                _ => i as f64,
            })
            .collect();
        let mut ring: RingBuffer<f64, 32> = RingBuffer::new();
        let mut max = MonotonicDeque::new(20, Extreme::Max).unwrap();
        let mut min = MonotonicDeque::new(20, Extreme::Min).unwrap();
        for (i, &x) in xs.iter().enumerate() {
            ring.push(x);
            let seq = i as u32;
            max.push(seq, &ring);
            min.push(seq, &ring);
            for n in [1u16, 3, 7, 19, 20, 21] {
                let (hi, lo) = (max.extreme(n, seq, &ring), min.extreme(n, seq, &ring));
                let n = usize::from(n);
                if i + 1 < n || n > 20 {
                    assert_eq!((hi, lo), (None, None));
                } else {
                    let w = &xs[i + 1 - n..=i];
                    assert_eq!(hi, w.iter().cloned().reduce(f64::max), "max {n} at {i}");
                    assert_eq!(lo, w.iter().cloned().reduce(f64::min), "min {n} at {i}");
                }
            }
        }
    }

    #[test]
    fn a_restored_deque_goes_on_as_the_original() {
        // a falling run fills the max deque past the end of its storage, so it wraps
        let xs: std::vec::Vec<f64> = (0..90).map(|i| ((i * 37) % 23) as f64 - i as f64).collect();
        let mut ring: RingBuffer<f64, 16> = RingBuffer::new();
        let mut max = MonotonicDeque::new(12, Extreme::Max).unwrap();
        let mut restored: Option<MonotonicDeque<16>> = None;
        for (i, &x) in xs.iter().enumerate() {
            ring.push(x);
            let seq = i as u32;
            max.push(seq, &ring);
            if let Some(r) = restored.as_mut() {
                r.push(seq, &ring);
                assert_eq!(*r, max);
                for n in 1..=12 {
                    assert_eq!(r.extreme(n, seq, &ring), max.extreme(n, seq, &ring));
                }
            }
            if i == 40 {
                let mut buf = [0u8; 256];
                let bytes = postcard::to_slice(&max, &mut buf).unwrap();
                restored = Some(postcard::from_bytes(bytes).unwrap());
            }
        }
        let too_many: std::vec::Vec<u32> = (0..17).collect();
        let mut buf = [0u8; 256];
        let bytes =
            postcard::to_slice(&(too_many.as_slice(), 12u16, Extreme::Max), &mut buf).unwrap();
        assert!(postcard::from_bytes::<MonotonicDeque<16>>(bytes).is_err());
    }
}
