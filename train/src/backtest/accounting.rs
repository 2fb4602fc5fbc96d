//! P&L accounting with one bar of lag, and the bars' own annualisation.
//!
//! A position decided at bar t's close is held over bar t + 1:
//! `gross[t+1] = position[t] (close[t+1] / close[t] - 1)`,
//! `cost[t+1] = cost_bps / 1e4 |position[t] - position[t-1]|` (position 0 before the
//! first bar), `net = gross - cost`, `equity[t] = prod_{s <= t} (1 + net[s])`. The first
//! bar earns nothing and costs nothing; a trade decided at the last bar is not charged
//! (it would be paid on a bar the data does not have).

/// Seconds in a year of 365.25 days.
const YEAR_NS: f64 = 365.25 * 86_400.0 * 1e9;

/// Per-bar accounting of a position series.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Ledger {
    /// Return of the position held into each bar, before costs.
    pub gross: Vec<f64>,
    /// Cost charged on each bar for the trade decided at the previous bar.
    pub cost: Vec<f64>,
    /// `gross - cost`.
    pub net: Vec<f64>,
    /// Compounded net returns, starting from 1.
    pub equity: Vec<f64>,
}

/// Accounts `positions` (one per bar of `closes`; NaN counts as flat) at `cost_bps`
/// basis points per unit of turnover, in the layout of the module docs (entry t + 1
/// holds what the position decided at bar t earned and cost).
pub fn account(closes: &[f64], positions: &[f64], cost_bps: f64) -> Ledger {
    let n = closes.len().min(positions.len());
    let next: Vec<f64> = (0..n)
        .map(|t| closes.get(t + 1).map_or(0.0, |c| c / closes[t] - 1.0))
        .collect();
    let held = account_held(&next, &positions[..n], cost_bps);
    let shift = |v: &[f64]| -> Vec<f64> {
        std::iter::once(0.0)
            .chain(v.iter().take(n.saturating_sub(1)).copied())
            .collect()
    };
    let net = shift(&held.net);
    let equity = net
        .iter()
        .scan(1.0, |e, r| {
            *e *= 1.0 + r;
            Some(*e)
        })
        .collect();
    Ledger {
        gross: shift(&held.gross),
        cost: shift(&held.cost),
        net,
        equity,
    }
}

/// The same accounting by position: entry k is what `positions[k]` earns over the bar
/// after its own, `next_returns[k]`, and what entering it cost,
/// `cost_bps / 1e4 |positions[k] - positions[k-1]|` (flat before the first). For rows
/// that are not consecutive bars (test folds with a gap), each row still earns only
/// its next bar and pays for the change from the previous row.
pub fn account_held(next_returns: &[f64], positions: &[f64], cost_bps: f64) -> Ledger {
    let flat = |p: f64| if p.is_nan() { 0.0 } else { p };
    let mut ledger = Ledger {
        gross: Vec::with_capacity(positions.len()),
        cost: Vec::with_capacity(positions.len()),
        net: Vec::with_capacity(positions.len()),
        equity: Vec::with_capacity(positions.len()),
    };
    let (mut previous, mut equity) = (0.0, 1.0);
    for (&p, &r) in positions.iter().zip(next_returns) {
        let p = flat(p);
        let gross = p * r;
        let cost = cost_bps / 1e4 * (p - previous).abs();
        equity *= 1.0 + gross - cost;
        ledger.gross.push(gross);
        ledger.cost.push(cost);
        ledger.net.push(gross - cost);
        ledger.equity.push(equity);
        previous = p;
    }
    ledger
}

/// Bars per year measured from the timestamps (unix ns): `(n - 1)` intervals over the
/// span in years of 365.25 days. Daily stock bars give about 252, hourly FX about 6,200.
/// NaN for fewer than 2 bars or no span.
pub fn periods_per_year(timestamps: &[i64]) -> f64 {
    match (timestamps.first(), timestamps.last()) {
        (Some(&a), Some(&b)) if b > a && timestamps.len() >= 2 => {
            (timestamps.len() - 1) as f64 / ((b - a) as f64 / YEAR_NS)
        }
        _ => f64::NAN,
    }
}

/// The largest fall of equity from its running peak, as a positive fraction.
pub fn max_drawdown(equity: &[f64]) -> f64 {
    let mut peak: f64 = 1.0;
    let mut worst: f64 = 0.0;
    for &e in equity {
        peak = peak.max(e);
        worst = worst.max(1.0 - e / peak);
    }
    worst
}

/// Summary figures of one ledger.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Performance {
    /// Total net return, `equity[last] - 1`.
    pub total_return: f64,
    /// Compound annual growth of the net equity.
    pub cagr: f64,
    /// Net returns' Sharpe figures (per period and annualised, SE, moments, PSR).
    pub sharpe: crate::stats::sharpe::SharpeStats,
    /// Deflated Sharpe ratio against the trials counted (NaN when not computed).
    pub dsr: f64,
    /// Largest peak-to-trough fall of net equity.
    pub max_drawdown: f64,
    /// Mean absolute position change per year.
    pub turnover_per_year: f64,
    /// Sum of costs charged (in units of starting equity, not compounded).
    pub costs_paid: f64,
    /// Mean absolute position.
    pub exposure: f64,
}

/// The summary of `ledger` for `positions` (one series) with `periods_per_year` bars a
/// year: turnover `|position[t] - position[t-1]|`, exposure `|position[t]|`.
pub fn performance(ledger: &Ledger, positions: &[f64], periods_per_year: f64) -> Performance {
    let flat = |p: f64| if p.is_nan() { 0.0 } else { p };
    let turnover: Vec<f64> = (0..positions.len())
        .map(|t| {
            let previous = if t == 0 { 0.0 } else { flat(positions[t - 1]) };
            (flat(positions[t]) - previous).abs()
        })
        .collect();
    let exposure: Vec<f64> = positions.iter().map(|&p| flat(p).abs()).collect();
    summarise(ledger, &turnover, &exposure, periods_per_year)
}

/// The summary of `ledger` given each bar's turnover (what was traded at its close, in
/// units of equity) and gross exposure.
pub fn summarise(
    ledger: &Ledger,
    turnover: &[f64],
    exposure: &[f64],
    periods_per_year: f64,
) -> Performance {
    let n = ledger.net.len();
    let years = n as f64 / periods_per_year;
    let last = ledger.equity.last().copied().unwrap_or(1.0);
    Performance {
        total_return: last - 1.0,
        cagr: last.powf(1.0 / years) - 1.0,
        // the first bar earns nothing by construction: it is not a return
        sharpe: crate::stats::sharpe::sharpe_stats(
            ledger.net.get(1..).unwrap_or(&[]),
            periods_per_year,
        ),
        dsr: f64::NAN,
        max_drawdown: max_drawdown(&ledger.equity),
        turnover_per_year: turnover.iter().sum::<f64>() / years,
        costs_paid: ledger.cost.iter().sum(),
        exposure: exposure.iter().sum::<f64>() / n.max(1) as f64,
    }
}

/// A portfolio's accounting: the ledger, and each bar's turnover and gross exposure.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioLedger {
    /// Per-bar returns, costs and equity, laid out as [`account`]'s.
    pub ledger: Ledger,
    /// `sum_i |w_i[t] - drifted_i[t]|`: what the close of bar t traded.
    pub turnover: Vec<f64>,
    /// `sum_i |w_i[t]|`.
    pub exposure: Vec<f64>,
}

/// Accounts a portfolio of weights (fractions of equity, one row per bar, one column
/// per asset, decided at the bar's close; NaN counts as 0) over the assets' simple
/// returns (`returns[t][i]`: asset i from bar t - 1 to t; row 0 is not read), one bar of
/// lag, costs per traded notional:
/// `gross[t+1] = sum_i w_i[t] r_i[t+1]`; the holdings drift to
/// `d_i[t+1] = w_i[t] (1 + r_i[t+1]) / (1 + gross[t+1])` (0 at the first bar, and after
/// a loss of everything); `turnover[t] = sum_i |w_i[t] - d_i[t]|`;
/// `cost[t+1] = cost_bps / 1e4 turnover[t]`; `net = gross - cost`,
/// `equity = prod(1 + net)`. Holding drifted weights trades nothing, so buy and hold pays
/// for its entry only; the trade at the last bar is not charged.
pub fn account_portfolio(
    returns: &[Vec<f64>],
    weights: &[Vec<f64>],
    cost_bps: f64,
) -> PortfolioLedger {
    let bars = returns.len().min(weights.len());
    let assets = weights.first().map_or(0, Vec::len);
    let row = |v: &[f64]| -> Vec<f64> {
        (0..assets)
            .map(|i| v.get(i).copied().filter(|x| !x.is_nan()).unwrap_or(0.0))
            .collect()
    };
    let mut out = PortfolioLedger {
        ledger: Ledger {
            gross: vec![0.0; bars],
            cost: vec![0.0; bars],
            net: vec![0.0; bars],
            equity: vec![1.0; bars],
        },
        turnover: vec![0.0; bars],
        exposure: vec![0.0; bars],
    };
    let mut drifted = vec![0.0; assets];
    let mut held = vec![0.0; assets];
    let mut equity = 1.0;
    for t in 0..bars {
        if t > 0 {
            let gross = drift(&held, &row(&returns[t]), &mut drifted);
            let cost = cost_bps / 1e4 * out.turnover[t - 1];
            let l = &mut out.ledger;
            l.gross[t] = gross;
            l.cost[t] = cost;
            l.net[t] = gross - cost;
            equity *= 1.0 + gross - cost;
            l.equity[t] = equity;
        }
        held = row(&weights[t]);
        out.turnover[t] = held.iter().zip(&drifted).map(|(w, d)| (w - d).abs()).sum();
        out.exposure[t] = held.iter().map(|w| w.abs()).sum();
    }
    out
}

/// The return of holding `w` over the returns `r`, and into `drifted` the holdings it
/// drifts to, `w_i (1 + r_i) / (1 + gross)` (all 0 after a loss of everything).
fn drift(w: &[f64], r: &[f64], drifted: &mut [f64]) -> f64 {
    let gross: f64 = w.iter().zip(r).map(|(w, r)| w * r).sum();
    for ((d, w), r) in drifted.iter_mut().zip(w).zip(r) {
        *d = if 1.0 + gross > 0.0 {
            w * (1.0 + r) / (1.0 + gross)
        } else {
            0.0
        };
    }
    gross
}

/// Equal-weight buy and hold of the assets `present` at the first bar: `1 / m` each,
/// then the drifted holdings ([`account_portfolio`]'s `d`), never rebalanced.
pub fn buy_and_hold_weights(returns: &[Vec<f64>], present: &[bool]) -> Vec<Vec<f64>> {
    let m = present.iter().filter(|&&p| p).count().max(1) as f64;
    let mut w: Vec<f64> = present
        .iter()
        .map(|&p| if p { 1.0 / m } else { 0.0 })
        .collect();
    let mut out = Vec::with_capacity(returns.len());
    for (t, r) in returns.iter().enumerate() {
        if t > 0 {
            let held = w.clone();
            drift(&held, r, &mut w);
        }
        out.push(w.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_round_trip_by_hand() {
        // long at bar 0's close, flat at bar 2's: earns bars 1 and 2, pays entry at bar 1
        // and exit at bar 3
        let l = account(&[100.0, 110.0, 99.0, 120.0], &[1.0, 1.0, 0.0, 0.0], 10.0);
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-15);
        assert!(close(&l.gross, &[0.0, 0.1, -0.1, 0.0]), "{:?}", l.gross);
        assert!(close(&l.cost, &[0.0, 0.001, 0.0, 0.001]), "{:?}", l.cost);
        assert!((l.equity[3] - 1.099 * 0.9 * 0.999).abs() < 1e-15);
    }

    #[test]
    fn daily_and_hourly_spacing() {
        let day = 86_400_000_000_000i64;
        // 366 calendar days of weekdays only: about 261 bars a year
        let weekdays: Vec<i64> = (0..366).filter(|d| d % 7 < 5).map(|d| d * day).collect();
        let ppy = periods_per_year(&weekdays);
        assert!((ppy - 261.0).abs() < 2.0, "{ppy}");
        let hourly: Vec<i64> = (0..24 * 365).map(|h| h * day / 24).collect();
        assert!((periods_per_year(&hourly) - 8766.0).abs() < 2.0);
    }
}
