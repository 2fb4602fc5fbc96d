use heapless::Vec;

/// The last `N` values of a series, newest at lag 0, shared by every window feature of
/// that series. A fixed-capacity vector filled once, then overwritten in a circle from
/// the write position; every access is checked (`get`, `push` returning a `Result`), so
/// no path of it can panic. It serialises as heapless's `HistoryBuf` does: the held
/// values, oldest first.
#[derive(Debug, Clone)]
pub struct RingBuffer<T, const N: usize> {
    values: Vec<T, N>,
    /// Where the newest value is (0 while empty): `len - 1` until the first wrap.
    newest: usize,
}

impl<T, const N: usize> Default for RingBuffer<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> RingBuffer<T, N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        RingBuffer {
            values: Vec::new(),
            newest: 0,
        }
    }

    /// Appends `x`, overwriting the oldest value when full (nothing is held when
    /// `N = 0`).
    #[inline]
    pub fn push(&mut self, x: T) {
        let len = self.values.len();
        if len < N {
            if self.values.push(x).is_ok() {
                self.newest = len;
            }
        } else {
            let next = self.newest.wrapping_add(1);
            let next = if next >= N { 0 } else { next };
            if let Some(slot) = self.values.get_mut(next) {
                *slot = x;
                self.newest = next;
            }
        }
    }

    /// Number of values held (at most `N`).
    #[inline]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when nothing was pushed yet.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// A reference to the value `k` pushes ago, if still held.
    #[inline]
    fn at(&self, k: usize) -> Option<&T> {
        if k >= self.values.len() {
            return None;
        }
        // `newest - k` wrapped into 0..N: it wraps only once full (before, newest =
        // len - 1 >= k), and k < len <= N keeps `newest + N - k` in newest + 1..N + newest
        let i = if k <= self.newest {
            self.newest.wrapping_sub(k)
        } else {
            self.newest.wrapping_add(N).wrapping_sub(k)
        };
        self.values.get(i)
    }

    /// The newest `n` values as two contiguous runs (the older run first), if `n` are
    /// held: a window's values for scans that do not care about order.
    #[inline]
    pub fn newest_runs(&self, n: usize) -> Option<(&[T], &[T])> {
        let len = self.values.len();
        if n > len {
            return None;
        }
        // the run ends just after the newest (at len until the first wrap)
        let end = self.newest.wrapping_add(1).min(len);
        match end.checked_sub(n) {
            Some(start) => Some((self.values.get(start..end)?, &[])),
            None => {
                let wrapped = n.checked_sub(end)?;
                let tail = self.values.get(len.checked_sub(wrapped)?..)?;
                Some((tail, self.values.get(..end)?))
            }
        }
    }

    /// The held values, oldest first.
    pub fn oldest_first(&self) -> impl Iterator<Item = &T> + '_ {
        (0..self.values.len()).rev().filter_map(|k| self.at(k))
    }
}

impl<T: Copy, const N: usize> RingBuffer<T, N> {
    /// The value `k` pushes ago (`k = 0` is the newest), if still held.
    #[inline]
    pub fn lag(&self, k: usize) -> Option<T> {
        self.at(k).copied()
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
        self.oldest_first().eq(other.oldest_first())
    }
}

#[cfg(feature = "serde")]
impl<T: serde::Serialize, const N: usize> serde::Serialize for RingBuffer<T, N> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.values.len()))?;
        for x in self.oldest_first() {
            seq.serialize_element(x)?;
        }
        seq.end()
    }
}

#[cfg(feature = "serde")]
impl<'de, T: serde::Deserialize<'de>, const N: usize> serde::Deserialize<'de> for RingBuffer<T, N> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Values<T, const N: usize>(core::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>, const N: usize> serde::de::Visitor<'de> for Values<T, N> {
            type Value = RingBuffer<T, N>;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "at most {N} values")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                // oldest first: filling the vector in order leaves the newest last
                let mut ring = RingBuffer::new();
                while let Some(x) = seq.next_element()? {
                    if ring.values.push(x).is_err() {
                        return Err(serde::de::Error::invalid_length(N.saturating_add(1), &self));
                    }
                }
                ring.newest = ring.values.len().saturating_sub(1);
                Ok(ring)
            }
        }
        deserializer.deserialize_seq(Values(core::marker::PhantomData))
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
        assert_eq!(
            r.oldest_first().copied().collect::<std::vec::Vec<_>>(),
            [6, 7, 8, 9]
        );
        let mut empty: RingBuffer<i32, 0> = RingBuffer::new();
        empty.push(1);
        assert_eq!((empty.len(), empty.lag(0)), (0, None));
    }

    #[test]
    fn newest_runs_hold_the_last_n_pushes() {
        let mut r: RingBuffer<i32, 5> = RingBuffer::new();
        assert_eq!(r.newest_runs(0), Some((&[][..], &[][..])));
        for x in 0..13 {
            r.push(x);
            for n in 0..7 {
                let got = r.newest_runs(n).map(|(a, b)| [a, b].concat());
                let expected =
                    (n <= r.len()).then(|| (x + 1 - n as i32..=x).collect::<std::vec::Vec<_>>());
                assert_eq!(got, expected, "after {x}, n {n}");
            }
        }
    }

    #[test]
    fn serialises_oldest_first_and_refuses_too_many() {
        let mut r: RingBuffer<i32, 3> = RingBuffer::new();
        (1..=5).for_each(|x| r.push(x));
        let mut buf = [0u8; 32];
        let bytes = postcard::to_slice(&r, &mut buf).unwrap();
        assert_eq!(&bytes[..], &[3, 6, 8, 10]); // zigzag varints of 3, 4, 5
        let mut back: RingBuffer<i32, 3> = postcard::from_bytes(bytes).unwrap();
        assert_eq!(back, r);
        // the restored buffer goes on from where the original was
        for x in 6..=7 {
            r.push(x);
            back.push(x);
            assert_eq!(
                (0..3).map(|k| back.lag(k)).collect::<std::vec::Vec<_>>(),
                (0..3).map(|k| r.lag(k)).collect::<std::vec::Vec<_>>()
            );
        }
        assert!(postcard::from_bytes::<RingBuffer<i32, 2>>(bytes).is_err());
    }
}
