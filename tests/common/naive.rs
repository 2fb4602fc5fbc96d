//! Naive batch recomputation of the window features: each value recomputed from the
//! whole slice of bars up to t, with two-pass statistics and no shared state. The
//! streaming engine must agree with it (the recursive TA-Lib indicators are checked
//! against TA-Lib itself in talib_parity.rs).

use chrono::{Datelike, Timelike};
use tickml_core::Bar;

fn closes(bars: &[Bar<f64>]) -> Vec<f64> {
    bars.iter().map(|b| b.close()).collect()
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn var_pop(xs: &[f64]) -> f64 {
    let m = mean(xs);
    xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64
}

fn var_sample(xs: &[f64]) -> f64 {
    var_pop(xs) * xs.len() as f64 / (xs.len() as f64 - 1.0)
}

/// The last n values ending at t, if there are n.
fn window(xs: &[f64], t: usize, n: usize) -> Option<&[f64]> {
    (t + 1 >= n).then(|| &xs[t + 1 - n..=t])
}

/// One-bar log returns; index i is the return into bar i (NaN at 0).
fn log_returns(c: &[f64]) -> Vec<f64> {
    (0..c.len())
        .map(|i| {
            if i == 0 {
                f64::NAN
            } else {
                (c[i] / c[i - 1]).ln()
            }
        })
        .collect()
}

/// Returns ending at t (bar indices 1..=t), the last n of them.
fn return_window(r: &[f64], t: usize, n: usize) -> Option<&[f64]> {
    (t >= n).then(|| &r[t + 1 - n..=t])
}

fn split(name: &str) -> (&str, Option<usize>) {
    match name.rsplit_once('_') {
        Some((stem, n)) if n.chars().all(|c| c.is_ascii_digit()) => (stem, n.parse().ok()),
        _ => (name, None),
    }
}

/// The naive value of feature `name` at bar t, or `Some(None)` when absent; `None` when
/// the feature has no naive reference here (recursive TA-Lib indicators, `xs_*`).
pub fn feature(name: &str, bars: &[Bar<f64>], t: usize) -> Option<Option<f64>> {
    let c = closes(bars);
    let r = log_returns(&c);
    let (stem, n) = split(name);
    let w = n.unwrap_or(0);
    let ct = c[t];
    let b = &bars[t];
    let value = match stem {
        "sma" => window(&c, t, w).map(mean),
        "close_to_sma" => window(&c, t, w).map(|x| ct / mean(x) - 1.0),
        "slope" => window(&c, t, w).map(|x| {
            let y: Vec<f64> = x.iter().map(|v| v.ln()).collect();
            let mx = (w as f64 - 1.0) / 2.0;
            let my = mean(&y);
            let num: f64 = y
                .iter()
                .enumerate()
                .map(|(i, v)| (i as f64 - mx) * (v - my))
                .sum();
            let den: f64 = (0..w).map(|i| (i as f64 - mx).powi(2)).sum();
            num / den
        }),
        "roc" => (t >= w).then(|| (ct / c[t - w] - 1.0) * 100.0),
        "ret" => (t >= w).then(|| ct / c[t - w] - 1.0),
        "logret" => (t >= w).then(|| (ct / c[t - w]).ln()),
        "rvol" => return_window(&r, t, w).map(|x| var_sample(x).sqrt()),
        "parkinson" => {
            let sq: Vec<f64> = bars
                .iter()
                .map(|b| (b.high() / b.low()).ln().powi(2))
                .collect();
            window(&sq, t, w).map(|x| (mean(x) / (4.0 * 2f64.ln())).sqrt())
        }
        "garman_klass" => {
            let gk: Vec<f64> = bars
                .iter()
                .map(|b| {
                    0.5 * (b.high() / b.low()).ln().powi(2)
                        - (2.0 * 2f64.ln() - 1.0) * (b.close() / b.open()).ln().powi(2)
                })
                .collect();
            window(&gk, t, w).map(|x| mean(x).sqrt())
        }
        "trange" => (t >= 1).then(|| {
            let p = c[t - 1];
            (b.high() - b.low())
                .max((b.high() - p).abs())
                .max((b.low() - p).abs())
        }),
        "bb_upper" | "bb_middle" | "bb_lower" | "bb_pctb" | "bb_width" => window(&c, t, w)
            .and_then(|x| {
                let (m, sd) = (mean(x), var_pop(x).sqrt());
                let (up, lo) = (m + 2.0 * sd, m - 2.0 * sd);
                match stem {
                    "bb_upper" => Some(up),
                    "bb_middle" => Some(m),
                    "bb_lower" => Some(lo),
                    "bb_pctb" => (up > lo).then(|| (ct - lo) / (up - lo)),
                    _ => Some((up - lo) / m),
                }
            }),
        "volume_sma" | "volume_ratio" | "volume_zscore" => {
            let v: Vec<f64> = bars.iter().map(|b| b.volume()).collect();
            window(&v, t, w).and_then(|x| {
                let m = mean(x);
                let sd = var_pop(x).sqrt();
                match stem {
                    "volume_sma" => Some(m),
                    "volume_ratio" => (m > 0.0).then(|| b.volume() / m),
                    _ => (sd > 0.0).then(|| (b.volume() - m) / sd),
                }
            })
        }
        "vwap" | "vwap_dist" => {
            let v: Vec<f64> = bars.iter().map(|b| b.volume()).collect();
            let pv: Vec<f64> = bars
                .iter()
                .map(|b| (b.high() + b.low() + b.close()) / 3.0 * b.volume())
                .collect();
            window(&v, t, w).zip(window(&pv, t, w)).and_then(|(v, pv)| {
                let total: f64 = v.iter().sum();
                let vwap = pv.iter().sum::<f64>() / total;
                (total > 0.0).then(|| {
                    if stem == "vwap" {
                        vwap
                    } else {
                        ct / vwap - 1.0
                    }
                })
            })
        }
        "zscore" => window(&c, t, w).and_then(|x| {
            let sd = var_pop(x).sqrt();
            (sd > 0.0).then(|| (ct - mean(x)) / sd)
        }),
        "dist_max" => {
            window(&c, t, w).map(|x| ct / x.iter().cloned().fold(f64::MIN, f64::max) - 1.0)
        }
        "dist_min" => {
            window(&c, t, w).map(|x| ct / x.iter().cloned().fold(f64::MAX, f64::min) - 1.0)
        }
        "ret_rank" => return_window(&r, t, w)
            .map(|x| x.iter().filter(|&&v| v <= r[t]).count() as f64 / w as f64),
        "trend_strength" => (t >= w).then(|| {
            let path: f64 = (t + 1 - w..=t).map(|i| (c[i] - c[i - 1]).abs()).sum();
            if path > 0.0 {
                (ct - c[t - w]).abs() / path
            } else {
                0.0
            }
        }),
        "vol_regime" => {
            // rvol_20 at each bar, then the fraction of the last 100 <= the current one
            let vol = |s: usize| return_window(&r, s, 20).map(|x| var_sample(x).sqrt());
            (t >= 20 + 99).then(|| {
                let now = vol(t).unwrap();
                (t - 99..=t).filter(|&s| vol(s).unwrap() <= now).count() as f64 / 100.0
            })
        }
        "day_of_week" | "day_of_week_sin" | "day_of_week_cos" | "day_of_month"
        | "day_of_month_sin" | "day_of_month_cos" | "month" | "month_sin" | "month_cos"
        | "quarter" | "quarter_sin" | "quarter_cos" | "hour" | "hour_sin" | "hour_cos" => {
            let dt = chrono::DateTime::from_timestamp_nanos(b.timestamp());
            let (base, f) = stem
                .rsplit_once('_')
                .filter(|(_, f)| *f == "sin" || *f == "cos")
                .unwrap_or((stem, ""));
            let (value, origin, period) = match base {
                "day_of_week" => (dt.weekday().num_days_from_monday() as f64, 0.0, 7.0),
                "day_of_month" => (dt.day() as f64, 1.0, 31.0),
                "month" => (dt.month() as f64, 1.0, 12.0),
                "quarter" => (((dt.month() - 1) / 3 + 1) as f64, 1.0, 4.0),
                _ => (dt.hour() as f64, 0.0, 24.0),
            };
            let angle = std::f64::consts::TAU * (value - origin) / period;
            Some(match f {
                "sin" => angle.sin(),
                "cos" => angle.cos(),
                _ => value,
            })
        }
        _ => return None,
    };
    Some(value)
}
