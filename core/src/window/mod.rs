//! Fixed-capacity windows over a bar series: the ring buffer every rolling feature
//! reads, drift-free rolling sums, monotonic-deque extrema and rolling percentile ranks.
//!
//! Capacities are const generics; nothing here allocates.

mod extrema;
mod rank;
mod ring;
mod rolling;

use crate::error::Error;

pub use extrema::{Extreme, MonotonicDeque, WindowExtremes};
pub use rank::PercentileRank;
pub use ring::RingBuffer;
pub use rolling::{Accumulate, LinearTrend, Moments, Rolling, Sum};

/// Checks a window or period of `window` values: at least `min`, and, with a history of
/// `capacity` slots, at most `capacity - 1` (the value leaving the window is read too;
/// pass `usize::MAX` where nothing is stored).
pub fn check(field: &'static str, window: u16, min: u16, capacity: usize) -> Result<(), Error> {
    if window < min {
        Err(Error::WindowTooShort { field, window, min })
    } else if usize::from(window) >= capacity {
        Err(Error::WindowTooLong {
            field,
            window,
            max: capacity.saturating_sub(1),
        })
    } else {
        Ok(())
    }
}
