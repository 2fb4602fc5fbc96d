//! When a bar is complete: the standard rules and the information-driven ones, and
//! their text form (`tickml ... --bars RULE`).

use crate::error::Error;

/// What a trade contributes to an information-driven bar: 1 (ticks), its size
/// (volume) or price x size (dollars).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Measure {
    /// Each trade counts 1.
    Ticks,
    /// Each trade counts its size.
    Volume,
    /// Each trade counts price x size.
    Dollars,
}

/// Parameters of an imbalance or run bar (AFML 2.3.2).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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

    /// Parses the text form: `time:30s` (`ms`, `s`, `m`, `h`, `d`), `tick:N`,
    /// `volume:X`, `dollar:X`, and `<tick|volume|dollar>-<imbalance|run>:E0` with
    /// optional `,span=S,bound=B` (defaults 20 and 10).
    pub fn parse(text: &str) -> Result<BarRule, Error> {
        let bad = |field| Error::InvalidParameter { field };
        let (kind, rest) = text
            .split_once(':')
            .ok_or(bad("bars: expected kind:value"))?;
        let mut parts = rest.split(',');
        let value = parts.next().unwrap_or("").trim();
        let number = |v: &str| v.trim().parse::<f64>().map_err(|_| bad("bars: value"));
        let count = |v: &str| v.trim().parse::<u32>().map_err(|_| bad("bars: count"));
        let rule = match kind.trim() {
            "time" => {
                let digits = value
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(value.len());
                let (n, unit) = value
                    .split_at_checked(digits)
                    .ok_or(bad("bars: time width"))?;
                let n: i64 = n.parse().map_err(|_| bad("bars: time width"))?;
                let unit: i64 = match unit {
                    "ms" => 1_000_000,
                    "s" | "" => 1_000_000_000,
                    "m" => 60_000_000_000,
                    "h" => 3_600_000_000_000,
                    "d" => 86_400_000_000_000,
                    _ => return Err(bad("bars: time unit (ms, s, m, h, d)")),
                };
                BarRule::Time {
                    width_ns: n.checked_mul(unit).ok_or(bad("bars: time width"))?,
                }
            }
            "tick" => BarRule::Tick {
                trades: count(value)?,
            },
            "volume" => BarRule::Volume {
                volume: number(value)?,
            },
            "dollar" => BarRule::Dollar {
                dollars: number(value)?,
            },
            other => {
                let (measure, shape) = other.split_once('-').ok_or(bad("bars: kind"))?;
                let measure = match measure {
                    "tick" => Measure::Ticks,
                    "volume" => Measure::Volume,
                    "dollar" => Measure::Dollars,
                    _ => return Err(bad("bars: kind")),
                };
                let mut info = Information {
                    measure,
                    expected_trades: count(value)?,
                    span: 20,
                    bound: 10,
                };
                for option in parts.by_ref() {
                    let (key, v) = option.split_once('=').ok_or(bad("bars: option"))?;
                    let v: u16 = v.trim().parse().map_err(|_| bad("bars: option value"))?;
                    match key.trim() {
                        "span" => info.span = v,
                        "bound" => info.bound = v,
                        _ => return Err(bad("bars: option (span, bound)")),
                    }
                }
                match shape {
                    "imbalance" => BarRule::Imbalance(info),
                    "run" => BarRule::Run(info),
                    _ => return Err(bad("bars: kind")),
                }
            }
        };
        if parts.next().is_some() {
            return Err(bad("bars: option"));
        }
        rule.check()?;
        Ok(rule)
    }
}
