use crate::error::Error;
use heapless::{Deque, Vec};

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
/// position inside it, so one deque serves all of a family's windows
/// ([`WindowExtremes`] keeps that position per window); a push is amortised O(1).
/// Values are read from the series' [`RingBuffer`], so the deque holds only `u32`
/// positions.
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

    /// Takes in the newest value of `ring`, whose sequence number is `seq`; returns the
    /// newest earlier candidate it keeps (`None` when the new value dominates them all or
    /// `ring` is empty).
    #[inline]
    pub fn push<T: Float>(&mut self, seq: u32, ring: &RingBuffer<T, N>) -> Option<u32> {
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
        let kept = self.seqs.back().copied();
        // Cannot fail: at most `window < N` positions are ever held.
        let _ = self.seqs.push_back(seq);
        kept
    }

    /// The position of the first candidate among the newest `n` positions (the newest is
    /// `seq`): a binary search.
    #[inline]
    fn first_inside(&self, n: u16, seq: u32) -> Option<u32> {
        let outside = |s: &u32| seq.wrapping_sub(*s) >= u32::from(n);
        let (front, back) = self.seqs.as_slices();
        match front.partition_point(outside) {
            i if i < front.len() => front.get(i),
            _ => back.get(back.partition_point(outside)),
        }
        .copied()
    }
}

/// The extremes of a fixed set of windows (at most `K`, each shorter than `N`) over one
/// series: a [`MonotonicDeque`] for the longest, and for each window the position of its
/// extreme, kept up to date as the deque changes. A window's extreme moves only when the
/// new value dominates it (to the new value) or when it leaves the window (to the next
/// candidate, a binary search): a push is amortised O(1) per window and a query O(1).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct WindowExtremes<const N: usize, const K: usize> {
    deque: MonotonicDeque<N>,
    windows: Vec<u16, K>,
    /// Each window's extreme's position, from the first push on.
    firsts: Vec<Option<u32>, K>,
}

impl<const N: usize, const K: usize> WindowExtremes<N, K> {
    /// Extremes of `windows` (each `1 <= w < N`, at most `K` of them; none gives a
    /// tracker that holds nothing).
    pub fn new(windows: &[u16], extreme: Extreme) -> Result<Self, Error> {
        let longest = windows.iter().copied().max().unwrap_or(1);
        let mut tracked = Vec::new();
        let mut firsts = Vec::new();
        for &w in windows {
            super::check("extremum window", w, 1, N)?;
            tracked.push(w).map_err(|_| Error::InvalidParameter {
                field: "extremum windows",
            })?;
            let _ = firsts.push(None);
        }
        Ok(WindowExtremes {
            deque: MonotonicDeque::new(longest, extreme)?,
            windows: tracked,
            firsts,
        })
    }

    /// Takes in the newest value of `ring`, whose sequence number is `seq`.
    #[inline]
    pub fn push<T: Float>(&mut self, seq: u32, ring: &RingBuffer<T, N>) {
        if ring.is_empty() {
            return;
        }
        let kept = self.deque.push(seq, ring);
        for (first, &n) in self.firsts.iter_mut().zip(self.windows.iter()) {
            // an extreme the new value dominated was dropped from the back: the new value
            // is the extreme of every window then
            let at = match *first {
                Some(f) if kept.is_some_and(|k| seq.wrapping_sub(f) >= seq.wrapping_sub(k)) => f,
                _ => seq,
            };
            *first = if seq.wrapping_sub(at) >= u32::from(n) {
                self.deque.first_inside(n, seq)
            } else {
                Some(at)
            };
        }
    }

    /// The extreme of the newest `windows[k]` values of `ring` (the newest's sequence
    /// number is `seq`), once it holds that many.
    #[inline]
    pub fn extreme<T: Float>(&self, k: usize, seq: u32, ring: &RingBuffer<T, N>) -> Option<T> {
        let n = *self.windows.get(k)?;
        if ring.len() < usize::from(n) {
            return None;
        }
        ring.lag(seq.wrapping_sub((*self.firsts.get(k)?)?) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ties, then a falling and a rising run that fill the max and the min deque (so
    /// their storage wraps and a query spans both runs of it), then small repeated
    /// values and swings of both signs.
    fn ties_and_runs() -> std::vec::Vec<f64> {
        (0..600)
            .map(|i| match i {
                0..200 => ((i * 7919) % 101) as f64 + 1.0,
                200..350 => 1000.0 - i as f64,
                350..450 => i as f64,
                450..500 => (i % 3) as f64,
                _ => i as f64 * ((i % 5) as f64 - 2.0),
            })
            .collect()
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

    #[test]
    fn window_extremes_match_naive_windows_across_a_restore_and_a_seq_wrap() {
        // sequence numbers that wrap past u32::MAX halfway, and a restore from a snapshot
        let xs = ties_and_runs();
        let windows = [1u16, 3, 7, 19, 20];
        let start = u32::MAX - 300;
        let mut ring: RingBuffer<f64, 32> = RingBuffer::new();
        let mut max: WindowExtremes<32, 8> = WindowExtremes::new(&windows, Extreme::Max).unwrap();
        let mut min: WindowExtremes<32, 8> = WindowExtremes::new(&windows, Extreme::Min).unwrap();
        for (i, &x) in xs.iter().enumerate() {
            ring.push(x);
            let seq = start.wrapping_add(i as u32);
            max.push(seq, &ring);
            min.push(seq, &ring);
            if i == 333 {
                let mut buf = [0u8; 512];
                max = postcard::from_bytes(postcard::to_slice(&max, &mut buf).unwrap()).unwrap();
                min = postcard::from_bytes(postcard::to_slice(&min, &mut buf).unwrap()).unwrap();
            }
            for (k, &n) in windows.iter().enumerate() {
                let (hi, lo) = (max.extreme(k, seq, &ring), min.extreme(k, seq, &ring));
                let n = usize::from(n);
                if i + 1 < n {
                    assert_eq!((hi, lo), (None, None));
                } else {
                    let w = &xs[i + 1 - n..=i];
                    assert_eq!(hi, w.iter().cloned().reduce(f64::max), "max {n} at {i}");
                    assert_eq!(lo, w.iter().cloned().reduce(f64::min), "min {n} at {i}");
                }
            }
        }
        assert!(WindowExtremes::<32, 2>::new(&[3, 4, 5], Extreme::Max).is_err());
        assert!(WindowExtremes::<32, 8>::new(&[3, 32], Extreme::Max).is_err());
    }
}
