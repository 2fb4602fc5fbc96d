//! When a bar is complete: the standard rules and the information-driven ones. A rule
//! travels in bundles, so it is always (de)serialisable; its text form
//! (`tickml ... --bars RULE`) is parsed by `tickml-train`, off the live path.

use crate::error::Error;

/// What a trade contributes to an information-driven bar: 1 (ticks), its size
/// (volume) or price x size (dollars).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Measure {
    /// Each trade counts 1.
    Ticks,
    /// Each trade counts its size.
    Volume,
    /// Each trade counts price x size.
    Dollars,
}

/// Parameters of an imbalance or run bar (AFML 2.3.2).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Information {
    /// What a trade contributes.
    pub measure: Measure,
    /// `E0[T]`: the expected bar length in trades before any bar was seen. The first
    /// bar is a tick bar of this many trades; it seeds the expectations.
    pub expected_trades: u32,
    /// Span of the exponentially weighted expectations, in bars: `alpha = 2 / (span +
    /// 1)` (default 20).
    pub span: u16,
    /// Bars hold between `expected_trades / bound` (at least 1) and `expected_trades x
    /// bound` trades (default 10): the guard against thresholds that collapse to
    /// every trade or run away to bars that never close.
    pub bound: u16,
}

/// How trades become bars.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum BarRule {
    /// Calendar buckets of `width_ns` from the unix epoch, each bar stamped at its
    /// bucket's end. A bucket without trades yields no bar.
    Time {
        /// Bucket width, unix ns.
        width_ns: i64,
    },
    /// Every `trades` trades.
    Tick {
        /// Trades per bar.
        trades: u32,
    },
    /// Once the volume reaches `volume`.
    Volume {
        /// Volume per bar.
        volume: f64,
    },
    /// Once price x size reaches `dollars`.
    Dollar {
        /// Dollar value per bar.
        dollars: f64,
    },
    /// Imbalance bars: once `|sum of b x|` reaches `E[T] |E[b x]|`.
    Imbalance(Information),
    /// Run bars: once `max(sum of buys' x, sum of sells' x)` reaches
    /// `E[T] max(P[buy] E[x | buy], (1 - P[buy]) E[x | sell])`.
    Run(Information),
}

impl BarRule {
    /// Checks the parameters: positive width, count, volume or dollars; `E0 >= 1`,
    /// `span >= 1`, `bound >= 1`.
    pub fn check(&self) -> Result<(), Error> {
        let bad = |field| Err(Error::InvalidParameter { field });
        match *self {
            BarRule::Time { width_ns } if width_ns <= 0 => bad("bars: time width"),
            BarRule::Tick { trades: 0 } => bad("bars: trades per bar"),
            BarRule::Volume { volume } if !(volume.is_finite() && volume > 0.0) => {
                bad("bars: volume per bar")
            }
            BarRule::Dollar { dollars } if !(dollars.is_finite() && dollars > 0.0) => {
                bad("bars: dollars per bar")
            }
            BarRule::Imbalance(i) | BarRule::Run(i)
                if i.expected_trades == 0 || i.span == 0 || i.bound == 0 =>
            {
                bad("bars: E0, span and bound must be at least 1")
            }
            _ => Ok(()),
        }
    }
}
