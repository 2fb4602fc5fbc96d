//! The per-bar series every window feature reads: one ring buffer per series,
//! shared by all windows over it.

use crate::bar::Bar;
use crate::num::Float;
use crate::window::RingBuffer;

/// Ring buffers of the derived bar series, newest at lag 0.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct History<T, const W: usize> {
    /// Bars accepted so far.
    pub bars: u64,
    /// Closes.
    pub close: RingBuffer<T, W>,
    /// `ln c`.
    pub log_close: RingBuffer<T, W>,
    /// One-bar log returns `ln(c_t / c_{t-1})` (from the second bar).
    pub log_return: RingBuffer<T, W>,
    /// `|c_t - c_{t-1}|` (from the second bar).
    pub abs_change: RingBuffer<T, W>,
    /// `ln(H/L)^2`.
    pub range_sq: RingBuffer<T, W>,
    /// `0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2`.
    pub garman_klass: RingBuffer<T, W>,
    /// Volume.
    pub volume: RingBuffer<T, W>,
    /// Typical price `(H + L + C) / 3` times volume.
    pub price_volume: RingBuffer<T, W>,
}

impl<T: Float, const W: usize> History<T, W> {
    pub fn new() -> Self {
        History {
            bars: 0,
            close: RingBuffer::new(),
            log_close: RingBuffer::new(),
            log_return: RingBuffer::new(),
            abs_change: RingBuffer::new(),
            range_sq: RingBuffer::new(),
            garman_klass: RingBuffer::new(),
            volume: RingBuffer::new(),
            price_volume: RingBuffer::new(),
        }
    }

    /// Appends one (validated) bar.
    #[inline]
    pub fn push(&mut self, bar: &Bar<T>) {
        let c = bar.close();
        if let Some(prev) = self.close.newest() {
            self.log_return.push((c / prev).ln());
            self.abs_change.push((c - prev).abs());
        }
        let hl = (bar.high() / bar.low()).ln();
        let co = (c / bar.open()).ln();
        let two_ln2_minus_1 = T::from_f64(2.0 * core::f64::consts::LN_2 - 1.0);
        self.close.push(c);
        self.log_close.push(c.ln());
        self.range_sq.push(hl * hl);
        self.garman_klass
            .push(T::from_f64(0.5) * hl * hl - two_ln2_minus_1 * co * co);
        self.volume.push(bar.volume());
        let typical = (bar.high() + bar.low() + c) / T::from_usize(3);
        self.price_volume.push(typical * bar.volume());
        self.bars = self.bars.saturating_add(1);
    }

    /// True from the second bar on: a one-bar change exists.
    #[inline]
    pub fn has_change(&self) -> bool {
        self.bars >= 2
    }

    /// Sequence number of the newest bar (wrapping), for the extrema deques.
    #[inline]
    pub fn seq(&self) -> u32 {
        self.bars.wrapping_sub(1) as u32
    }

    /// `c_t / c_{t-n} - 1`, as `(c_t - c_{t-n}) / c_{t-n}`: the subtraction of two
    /// nearby prices is exact, so the result keeps full relative precision in `f32`.
    #[inline]
    pub fn simple_return(&self, n: u16) -> Option<T> {
        let past = self.close.lag(usize::from(n))?;
        Some((self.close.newest()? - past) / past)
    }
}

/// Writes feature values in schema order into the dense output. Anything not finite
/// is stored as absent (NaN).
pub(crate) struct Writer<'a, T> {
    slots: &'a mut [T],
    pos: usize,
}

impl<'a, T: Float> Writer<'a, T> {
    pub fn new(slots: &'a mut [T]) -> Self {
        Writer { slots, pos: 0 }
    }

    #[inline]
    pub fn put(&mut self, value: Option<T>) {
        if let Some(slot) = self.slots.get_mut(self.pos) {
            *slot = match value {
                Some(v) if v.is_finite() => v,
                _ => T::NAN,
            };
        }
        self.pos = self.pos.saturating_add(1);
    }

    /// Slots written: must equal the schema's length (checked in debug builds).
    pub fn written(&self) -> usize {
        self.pos
    }
}
