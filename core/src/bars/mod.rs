//! Trades into bars, O(1) per trade, no allocation: time, tick, volume and dollar bars
//! and the information-driven imbalance and run bars of Lopez de Prado (AFML 2.3.2).
//!
//! - A trade's sign `b` is its side when the feed gives it, else the tick rule: +1 on
//!   an uptick, -1 on a downtick, the previous sign when the price is unchanged (+1
//!   for the first trade).
//! - A bar takes whole trades: the trade that reaches the threshold closes it.
//! - Bars are stamped with their last trade's timestamp (time bars: their bucket's
//!   end), and a bar never completes at the timestamp of the bar before it: trades that
//!   share a timestamp stay in one bar, so bar timestamps strictly increase, as the
//!   feature engine requires.
//! - Imbalance bars close once `|theta| >= E[T] |E[b x]|` with `theta = sum b x` over
//!   the bar; run bars once `max(sum_{b=+1} x, sum_{b=-1} x) >= E[T] max(P E[x|buy],
//!   (1 - P) E[x|sell])`; `x` is 1, size or price x size ([`Measure`]). The first bar
//!   is a tick bar of `E0` trades and seeds the expectations; after each bar every
//!   expectation moves by `alpha = 2 / (span + 1)` towards the bar's own value (its
//!   length `T`, its mean `theta / T`, its buy share, its mean buy and sell `x`).
//! - Bounds: an information-driven bar holds at least `E0 / bound` (and 1) and at most
//!   `E0 x bound` trades, so `E[T]` stays in that range and a threshold that collapses
//!   (an expected imbalance near 0) or runs away (long bars raising `E[T]` raising the
//!   threshold) cannot stop bars or make one per trade.

mod rule;
mod trade;

pub use rule::{BarRule, Information, Measure};
pub use trade::{Side, Trade};

use crate::bar::Bar;
use crate::error::Error;
use crate::num::Float;

/// The bar being built.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Partial<T> {
    bucket: i64,
    last: i64,
    open: T,
    high: T,
    low: T,
    close: T,
    volume: T,
    dollars: T,
    trades: u32,
    /// `sum b x`.
    imbalance: T,
    /// `sum x` over buys and over sells, and the number of buys.
    buy_x: T,
    sell_x: T,
    buys: u32,
}

/// The expectations of an information-driven rule.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Expectations<T> {
    /// `E[T]`, trades per bar.
    trades: T,
    /// `E[b x]` per trade (imbalance bars).
    imbalance: T,
    /// `P[b = +1]` (run bars).
    buy_share: T,
    /// `E[x | buy]`, `E[x | sell]` (run bars).
    buy_x: T,
    sell_x: T,
}

/// Builds bars from trades by a [`BarRule`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BarBuilder<T> {
    rule: BarRule,
    building: Option<Partial<T>>,
    last_trade: Option<(i64, T)>,
    last_sign: i8,
    last_bar: Option<i64>,
    expected: Option<Expectations<T>>,
}

/// Bars closed, trades and volume still in the bar being built: what a caller needs to
/// account for every trade.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pending<T> {
    /// Trades in the bar being built.
    pub trades: u32,
    /// Their volume.
    pub volume: T,
}

impl<T: Float> BarBuilder<T> {
    /// A builder for `rule` (checked).
    pub fn new(rule: BarRule) -> Result<Self, Error> {
        rule.check()?;
        Ok(BarBuilder {
            rule,
            building: None,
            last_trade: None,
            last_sign: 1,
            last_bar: None,
            expected: None,
        })
    }

    /// The rule.
    pub fn rule(&self) -> BarRule {
        self.rule
    }

    /// What the bar being built holds.
    pub fn pending(&self) -> Pending<T> {
        self.building.map_or(
            Pending {
                trades: 0,
                volume: T::ZERO,
            },
            |b| Pending {
                trades: b.trades,
                volume: b.volume,
            },
        )
    }

    /// `E[T]`, the expected trades per bar of an information-driven rule once seeded.
    pub fn expected_trades(&self) -> Option<T> {
        self.expected.map(|e| e.trades)
    }

    /// Adds a trade; returns the bar it completes, if any. A trade older than the last
    /// one is refused ([`Error::TimestampDecreasing`]) and changes nothing; equal
    /// timestamps are accepted.
    pub fn on_trade(&mut self, trade: &Trade<T>) -> Result<Option<Bar<T>>, Error> {
        let ts = trade.timestamp();
        if let Some((previous, _)) = self.last_trade {
            if ts < previous {
                return Err(Error::TimestampDecreasing { previous, got: ts });
            }
        }
        let sign = match (trade.side(), self.last_trade) {
            (Some(Side::Buy), _) => 1,
            (Some(Side::Sell), _) => -1,
            (None, Some((_, p))) if trade.price() > p => 1,
            (None, Some((_, p))) if trade.price() < p => -1,
            (None, _) => self.last_sign,
        };
        self.last_trade = Some((ts, trade.price()));
        self.last_sign = sign;
        if let BarRule::Time { width_ns } = self.rule {
            let bucket = ts.checked_div_euclid(width_ns).unwrap_or(0);
            let done = match self.building {
                Some(b) if b.bucket != bucket => {
                    self.building = None;
                    Some(self.complete(b)?)
                }
                _ => None,
            };
            self.add(bucket, trade, sign);
            return Ok(done);
        }
        self.add(0, trade, sign);
        let Some(b) = self.building else {
            return Ok(None);
        };
        let after_last = self.last_bar.is_none_or(|t| ts > t);
        if after_last && self.is_complete(&b) {
            self.building = None;
            self.learn(&b);
            return Ok(Some(self.complete(b)?));
        }
        Ok(None)
    }

    /// At the end of the input: the time bar being built, complete as far as the input
    /// knows (other rules' partial bars are not bars by their rule: `None`).
    pub fn finish(&mut self) -> Result<Option<Bar<T>>, Error> {
        match (self.rule, self.building) {
            (BarRule::Time { .. }, Some(b)) => {
                self.building = None;
                Ok(Some(self.complete(b)?))
            }
            _ => Ok(None),
        }
    }

    fn measure(&self, trade: &Trade<T>) -> T {
        match self.rule {
            BarRule::Imbalance(i) | BarRule::Run(i) => match i.measure {
                Measure::Ticks => T::ONE,
                Measure::Volume => trade.size(),
                Measure::Dollars => trade.price() * trade.size(),
            },
            _ => T::ONE,
        }
    }

    fn add(&mut self, bucket: i64, trade: &Trade<T>, sign: i8) {
        let (p, v) = (trade.price(), trade.size());
        let x = self.measure(trade);
        let b = self.building.get_or_insert(Partial {
            bucket,
            last: trade.timestamp(),
            open: p,
            high: p,
            low: p,
            close: p,
            volume: T::ZERO,
            dollars: T::ZERO,
            trades: 0,
            imbalance: T::ZERO,
            buy_x: T::ZERO,
            sell_x: T::ZERO,
            buys: 0,
        });
        b.last = trade.timestamp();
        b.high = b.high.max(p);
        b.low = b.low.min(p);
        b.close = p;
        b.volume += v;
        b.dollars += p * v;
        b.trades = b.trades.saturating_add(1);
        if sign > 0 {
            b.imbalance += x;
            b.buy_x += x;
            b.buys = b.buys.saturating_add(1);
        } else {
            b.imbalance -= x;
            b.sell_x += x;
        }
    }

    /// The trade limits `[E0 / bound (at least 1), E0 x bound]`.
    fn limits(i: &Information) -> (u32, u32) {
        let bound = u32::from(i.bound);
        let min = i.expected_trades.checked_div(bound).unwrap_or(1).max(1);
        (min, i.expected_trades.saturating_mul(bound))
    }

    fn is_complete(&self, b: &Partial<T>) -> bool {
        match self.rule {
            BarRule::Time { .. } => false,
            BarRule::Tick { trades } => b.trades >= trades,
            BarRule::Volume { volume } => b.volume >= T::from_f64(volume),
            BarRule::Dollar { dollars } => b.dollars >= T::from_f64(dollars),
            BarRule::Imbalance(i) | BarRule::Run(i) => {
                let (min, max) = Self::limits(&i);
                let Some(e) = self.expected else {
                    // the seed: a tick bar of E0 trades
                    return b.trades >= i.expected_trades;
                };
                if b.trades >= max {
                    return true;
                }
                if b.trades < min {
                    return false;
                }
                match self.rule {
                    BarRule::Imbalance(_) => b.imbalance.abs() >= e.trades * e.imbalance.abs(),
                    _ => {
                        let expected =
                            (e.buy_share * e.buy_x).max((T::ONE - e.buy_share) * e.sell_x);
                        b.buy_x.max(b.sell_x) >= e.trades * expected
                    }
                }
            }
        }
    }

    /// Moves the expectations towards a completed bar (seeds them with the first).
    fn learn(&mut self, b: &Partial<T>) {
        let (BarRule::Imbalance(i) | BarRule::Run(i)) = self.rule else {
            return;
        };
        let n = T::from_usize(usize::try_from(b.trades).unwrap_or(usize::MAX));
        let sells = b.trades.saturating_sub(b.buys);
        let mean = |sum: T, count: u32| {
            (count > 0).then(|| sum / T::from_usize(usize::try_from(count).unwrap_or(1)))
        };
        let all_x = b.buy_x + b.sell_x;
        let bar = Expectations {
            trades: n,
            imbalance: b.imbalance / n,
            buy_share: T::from_usize(usize::try_from(b.buys).unwrap_or(0)) / n,
            buy_x: mean(b.buy_x, b.buys).unwrap_or(all_x / n),
            sell_x: mean(b.sell_x, sells).unwrap_or(all_x / n),
        };
        self.expected = Some(match self.expected {
            None => bar,
            Some(e) => {
                let alpha = T::from_f64(2.0 / (f64::from(i.span) + 1.0));
                let towards = |old: T, new: T| old + alpha * (new - old);
                let (min, max) = Self::limits(&i);
                let clamp = |t: T| {
                    t.max(T::from_usize(usize::try_from(min).unwrap_or(1)))
                        .min(T::from_usize(usize::try_from(max).unwrap_or(usize::MAX)))
                };
                Expectations {
                    trades: clamp(towards(e.trades, bar.trades)),
                    imbalance: towards(e.imbalance, bar.imbalance),
                    buy_share: towards(e.buy_share, bar.buy_share),
                    buy_x: if b.buys > 0 {
                        towards(e.buy_x, bar.buy_x)
                    } else {
                        e.buy_x
                    },
                    sell_x: if sells > 0 {
                        towards(e.sell_x, bar.sell_x)
                    } else {
                        e.sell_x
                    },
                }
            }
        });
    }

    fn complete(&mut self, b: Partial<T>) -> Result<Bar<T>, Error> {
        let ts = match self.rule {
            BarRule::Time { width_ns } => b.bucket.saturating_add(1).saturating_mul(width_ns),
            _ => b.last,
        };
        self.last_bar = Some(ts);
        Bar::new(ts, b.open, b.high, b.low, b.close, b.volume)
    }
}
