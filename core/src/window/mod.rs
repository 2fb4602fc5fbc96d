//! Fixed-capacity windows over a bar series: the ring buffer every rolling feature
//! reads, drift-free rolling sums, monotonic-deque extrema and a sorted window for ranks.
//!
//! Capacities are const generics; nothing here allocates.

mod extrema;
mod rank;
mod ring;
mod rolling;

pub use extrema::{Extreme, MonotonicDeque};
pub use rank::SortedWindow;
pub use ring::RingBuffer;
pub use rolling::{Accumulate, LinearTrend, Moments, Rolling};
