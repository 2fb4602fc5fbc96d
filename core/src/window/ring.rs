use heapless::HistoryBuf;

/// The last `N` values of a series, newest at lag 0: heapless's [`HistoryBuf`] with
/// lag-based access, shared by every window feature of that series.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RingBuffer<T, const N: usize> {
    buf: HistoryBuf<T, N>,
}

impl<T: Copy, const N: usize> Default for RingBuffer<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy, const N: usize> RingBuffer<T, N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        RingBuffer {
            buf: HistoryBuf::new(),
        }
    }

    /// Appends `x`, overwriting the oldest value when full.
    #[inline]
    pub fn push(&mut self, x: T) {
        self.buf.write(x);
    }

    /// Number of values held (at most `N`).
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing was pushed yet.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The value `k` pushes ago (`k = 0` is the newest), if still held.
    #[inline]
    pub fn lag(&self, k: usize) -> Option<T> {
        if k >= self.buf.len() {
            return None;
        }
        let recent = self.buf.recent_index()?;
        self.buf.as_slice().get((recent + N - k) % N).copied()
    }

    /// The newest value.
    #[inline]
    pub fn newest(&self) -> Option<T> {
        self.lag(0)
    }
}

/// Equal when the same values are held in the same order (wherever they sit).
impl<T: PartialEq, const N: usize> PartialEq for RingBuffer<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.buf.oldest_ordered().eq(other.buf.oldest_ordered())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_follows_push_order_across_wraparound() {
        let mut r: RingBuffer<i32, 4> = RingBuffer::new();
        assert_eq!(r.lag(0), None);
        for x in 0..10 {
            r.push(x);
            for k in 0..6 {
                let expected = if k <= x as usize && k < 4 {
                    Some(x - k as i32)
                } else {
                    None
                };
                assert_eq!(r.lag(k), expected, "after {x}, lag {k}");
            }
        }
    }
}
