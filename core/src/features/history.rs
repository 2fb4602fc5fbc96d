//! The per-bar series every window feature reads: one ring buffer per series,
//! shared by all windows over it.

use heapless::Vec;

use super::config::{FeatureConfig, MAX_WINDOWS};
use crate::bar::Bar;
use crate::error::Error;
use crate::num::Float;
use crate::window::{Moments, RingBuffer, Rolling};

/// The most close windows: the trend and mean-reversion lists and the Bollinger window.
const CLOSE_WINDOWS: usize = 2 * MAX_WINDOWS + 1;

/// The most log-return windows: the volatility list and the volatility-regime window.
const RETURN_WINDOWS: usize = MAX_WINDOWS + 1;

/// `windows`, each once, in order.
fn distinct<const N: usize>(windows: impl IntoIterator<Item = u16>) -> Vec<u16, N> {
    let mut once: Vec<u16, N> = Vec::new();
    for w in windows {
        if !once.contains(&w) {
            let _ = once.push(w);
        }
    }
    once
}

/// The close windows whose moments [`History::close_moments`] keeps, each once.
fn close_windows(config: &FeatureConfig) -> Vec<u16, CLOSE_WINDOWS> {
    let trend = config.trend_windows.iter();
    let bollinger = [config.bollinger_window];
    distinct(
        trend
            .chain(config.mean_reversion_windows.iter())
            .chain(&bollinger)
            .copied(),
    )
}

/// The log-return windows whose moments [`History::return_moments`] keeps, each once.
fn return_windows(config: &FeatureConfig) -> Vec<u16, RETURN_WINDOWS> {
    let regime = [config.vol_regime_window];
    distinct(config.volatility_windows.iter().chain(&regime).copied())
}

/// Where window `w`'s position is among `windows`.
fn index_in(windows: &[u16], w: u16) -> Result<u8, Error> {
    windows
        .iter()
        .position(|&x| x == w)
        .and_then(|i| u8::try_from(i).ok())
        .ok_or(Error::InvalidParameter {
            field: "shared windows",
        })
}

/// Where the close's moments over `w` are in [`History::close_moments`].
pub(crate) fn close_index(config: &FeatureConfig, w: u16) -> Result<u8, Error> {
    index_in(&close_windows(config), w)
}

/// Where the log return's moments over `w` are in [`History::return_moments`].
pub(crate) fn return_index(config: &FeatureConfig, w: u16) -> Result<u8, Error> {
    index_in(&return_windows(config), w)
}

/// Rolling moments of one series over every window the families read them over, each
/// window once: the trend SMA, the mean-reversion z-score and the Bollinger bands all
/// read the close's, the realized volatility and the volatility regime the log
/// return's.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct SharedMoments<T, const N: usize> {
    windows: Vec<Rolling<Moments<T>>, N>,
}

impl<T: Float, const N: usize> SharedMoments<T, N> {
    /// Moments over each of `windows` (validated by [`FeatureConfig::validate`], so
    /// each at least 1).
    fn new(windows: &[u16]) -> Self {
        let mut shared = Vec::new();
        for &w in windows {
            if let Ok(rolling) = Rolling::new(w.max(1)) {
                let _ = shared.push(rolling);
            }
        }
        SharedMoments { windows: shared }
    }

    /// The moments at `index` ([`close_index`], [`return_index`]), once its window is
    /// full.
    #[inline]
    pub fn full(&self, index: u8) -> Option<&Moments<T>> {
        self.windows.get(usize::from(index))?.full()
    }

    /// Takes the newest value of `ring` into every window (the ring's newest value
    /// read once).
    #[inline]
    fn push<const W: usize>(&mut self, ring: &RingBuffer<T, W>) {
        let Some(x) = ring.newest() else { return };
        for w in self.windows.iter_mut() {
            w.take(x, ring.lag(usize::from(w.window())));
        }
    }
}

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
    /// Moments of the close over the trend, mean-reversion and Bollinger windows.
    pub close_moments: SharedMoments<T, CLOSE_WINDOWS>,
    /// Moments of the log return over the volatility and volatility-regime windows.
    pub return_moments: SharedMoments<T, RETURN_WINDOWS>,
}

impl<T: Float, const W: usize> History<T, W> {
    /// Empty series, and the shared moments `config` (validated) reads.
    pub fn new(config: &FeatureConfig) -> Self {
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
            close_moments: SharedMoments::new(&close_windows(config)),
            return_moments: SharedMoments::new(&return_windows(config)),
        }
    }

    /// Appends one (validated) bar.
    #[inline]
    pub fn push(&mut self, bar: &Bar<T>) {
        let c = bar.close();
        if let Some(prev) = self.close.newest() {
            self.log_return.push((c / prev).ln());
            self.abs_change.push((c - prev).abs());
            self.return_moments.push(&self.log_return);
        }
        let hl = (bar.high() / bar.low()).ln();
        let co = (c / bar.open()).ln();
        let two_ln2_minus_1 = T::from_f64(2.0 * core::f64::consts::LN_2 - 1.0);
        self.close.push(c);
        self.close_moments.push(&self.close);
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
    slots: core::slice::IterMut<'a, T>,
}

impl<'a, T: Float> Writer<'a, T> {
    pub fn new(slots: &'a mut [T]) -> Self {
        Writer {
            slots: slots.iter_mut(),
        }
    }

    #[inline]
    pub fn put(&mut self, value: Option<T>) {
        let slot = self.slots.next();
        debug_assert!(slot.is_some(), "more values than the schema's features");
        if let Some(slot) = slot {
            *slot = match value {
                Some(v) if v.is_finite() => v,
                _ => T::NAN,
            };
        }
    }

    /// Slots not yet written: none once every family has (checked in debug builds).
    pub fn unwritten(&self) -> usize {
        self.slots.len()
    }
}
