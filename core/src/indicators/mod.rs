//! Recursive indicators with TA-Lib's conventions, one per file. Each has
//! `update(input) -> Option<output>` (absent while warming up, exactly where TA-Lib
//! gives NaN), `value()` and `reset()`.
//!
//! Window statistics (SMA, Bollinger, rolling moments) live in [`crate::window`],
//! driven by a shared ring buffer.

mod atr;
mod bollinger;
mod dmi;
mod ema;
mod macd;
mod obv;
mod rsi;

pub use atr::{true_range, Atr};
pub use bollinger::{Bollinger, BollingerBands};
pub use dmi::{Dmi, DmiOutput};
pub use ema::Ema;
pub use macd::{Macd, MacdOutput};
pub use obv::Obv;
pub use rsi::Rsi;

use crate::num::Float;

/// TA-Lib's `TA_IS_ZERO`: `-1e-8 < v < 1e-8`.
#[inline]
pub(crate) fn ta_is_zero<T: Float>(v: T) -> bool {
    let eps = T::from_f64(1e-8);
    -eps < v && v < eps
}
