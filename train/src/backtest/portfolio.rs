//! The portfolio backtest of a universe: the walk-forward schedule of the one-series
//! backtest over the universe's time index, one pooled bundle per window (trained on
//! every member's earlier samples, declaring the universe), one pipeline per member
//! warmed on its own earlier bars, and each timestamp's members decided together
//! ([`decide_cross_section`], the code `tickml stream` runs). A timestamp's decisions
//! become portfolio weights by a [`PortfolioMode`], accounted with costs per traded
//! notional ([`account_portfolio`]) against equal-weight buy and hold of the universe.

use std::collections::BTreeMap;

use tickml_core::pipeline::{Decision, Pipeline};

use super::accounting::{account_portfolio, buy_and_hold_weights, periods_per_year, summarise};
use super::{
    core_error, cpcv_of, grid_pbo, schedule, train_window, variants, window_bundles, window_of,
    Backtest, BacktestConfig, BarRow, ConfigurationResult, Window,
};
use crate::cross_section::{decide_cross_section, Member};
use crate::data::BarRecord;
use crate::pipeline::PipelineError;

/// Bars of trailing volatility that scale [`LegWeights::InverseVolatility`] legs.
pub const VOLATILITY_WINDOW: usize = 20;

/// How the weights within a long or short leg are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegWeights {
    /// Every name of the leg the same.
    #[default]
    Equal,
    /// In proportion to `1 / sd`, the sample standard deviation of the name's last
    /// [`VOLATILITY_WINDOW`] one-bar returns (names without one are left out).
    InverseVolatility,
}

/// How a timestamp's decisions become portfolio weights (fractions of equity).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum PortfolioMode {
    /// Each member's own position (the one-series position rule) on `1 / m` of the
    /// equity, m the members decided at the timestamp: gross exposure at most 1.
    #[default]
    PerSymbol,
    /// Cross-sectional: the members ranked by their position (ties by symbol order), long
    /// the top `k = max(1, floor(quantile m))`, short the bottom k, each leg half the
    /// equity (gross exposure 1, net 0); flat when the legs' scores do not differ.
    LongShort {
        /// The fraction of members in each leg, in (0, 0.5].
        quantile: f64,
        /// Weights within a leg.
        legs: LegWeights,
    },
}

impl PortfolioMode {
    /// Checks the quantile.
    pub fn validate(&self) -> Result<(), PipelineError> {
        match *self {
            PortfolioMode::LongShort { quantile, .. } if !(quantile > 0.0 && quantile <= 0.5) => {
                Err(PipelineError::Config(format!(
                    "long-short quantile {quantile}: use a fraction in (0, 0.5]"
                )))
            }
            _ => Ok(()),
        }
    }

    /// One timestamp's weights from the members' scores (their positions in [-1, 1]; NaN
    /// for a member without a decision) and trailing volatilities.
    pub fn weights(&self, scores: &[f64], volatility: &[f64]) -> Vec<f64> {
        let mut w = vec![0.0; scores.len()];
        match *self {
            PortfolioMode::PerSymbol => {
                let m = scores.iter().filter(|s| !s.is_nan()).count();
                for (w, &s) in w.iter_mut().zip(scores) {
                    if !s.is_nan() {
                        *w = s / m as f64;
                    }
                }
            }
            PortfolioMode::LongShort { quantile, legs } => {
                let scaled = legs == LegWeights::InverseVolatility;
                let sd = |i: usize| volatility.get(i).copied().unwrap_or(f64::NAN);
                let mut order: Vec<usize> = (0..scores.len())
                    .filter(|&i| !scores[i].is_nan() && (!scaled || sd(i) > 0.0))
                    .collect();
                if order.len() < 2 {
                    return w;
                }
                let k =
                    ((quantile * order.len() as f64).floor() as usize).clamp(1, order.len() / 2);
                order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
                let (long, short) = (&order[..k], &order[order.len() - k..]);
                if scores[long[k - 1]] <= scores[short[0]] {
                    return w;
                }
                for (leg, sign) in [(long, 0.5), (short, -0.5)] {
                    let raw: Vec<f64> = leg
                        .iter()
                        .map(|&i| if scaled { 1.0 / sd(i) } else { 1.0 })
                        .collect();
                    let total: f64 = raw.iter().sum();
                    for (&i, r) in leg.iter().zip(raw) {
                        w[i] = sign * r / total;
                    }
                }
            }
        }
        w
    }
}

/// The universe's prices on its time index: each symbol's close carried forward (NaN
/// before its first bar) and its simple return into each time (0 where it has no bar).
struct Panel {
    times: Vec<i64>,
    symbols: Vec<String>,
    /// Each time's records (indices into the input).
    at: Vec<Vec<usize>>,
    returns: Vec<Vec<f64>>,
    closes: Vec<Vec<f64>>,
    /// Sample sd of each symbol's last [`VOLATILITY_WINDOW`] returns at each time.
    volatility: Vec<Vec<f64>>,
}

impl Panel {
    fn new(records: &[BarRecord], symbols: Vec<String>) -> Panel {
        let mut by_time: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (k, r) in records.iter().enumerate() {
            by_time.entry(r.bar.timestamp()).or_default().push(k);
        }
        let n = symbols.len();
        let id = |r: &BarRecord| symbols.binary_search(r.symbol.as_ref().unwrap_or(&String::new()));
        let (mut closes, mut returns, mut volatility) = (Vec::new(), Vec::new(), Vec::new());
        let mut last = vec![f64::NAN; n];
        let mut recent: Vec<std::collections::VecDeque<f64>> = vec![Default::default(); n];
        for rows in by_time.values() {
            let mut r = vec![0.0; n];
            for &k in rows {
                if let Ok(i) = id(&records[k]) {
                    let c = records[k].bar.close();
                    if last[i].is_finite() {
                        r[i] = c / last[i] - 1.0;
                        recent[i].push_back(r[i]);
                        if recent[i].len() > VOLATILITY_WINDOW {
                            recent[i].pop_front();
                        }
                    }
                    last[i] = c;
                }
            }
            volatility.push(
                recent
                    .iter()
                    .map(|q| {
                        let v: Vec<f64> = q.iter().copied().collect();
                        if v.len() < 2 {
                            f64::NAN
                        } else {
                            crate::stats::sharpe::sample_sd(&v)
                        }
                    })
                    .collect(),
            );
            closes.push(last.clone());
            returns.push(r);
        }
        Panel {
            times: by_time.keys().copied().collect(),
            at: by_time.into_values().collect(),
            symbols,
            returns,
            closes,
            volatility,
        }
    }

    fn id(&self, r: &BarRecord) -> Result<usize, PipelineError> {
        let name = r.symbol.as_deref().unwrap_or("");
        self.symbols
            .binary_search_by(|s| s.as_str().cmp(name))
            .map_err(|_| PipelineError::Config(format!("line {}: no symbol", r.line)))
    }
}

/// What one window produced: per variant, per decided time, per symbol, a decision.
struct WindowRun {
    window: Window,
    decisions: Vec<Vec<Vec<Option<Decision<f64>>>>>,
    models: Vec<String>,
}

fn run_window(
    records: &[BarRecord],
    panel: &Panel,
    config: &BacktestConfig,
    task: crate::models::Task,
    train_times: &[usize],
    test: (usize, usize),
) -> Result<WindowRun, PipelineError> {
    let (start, end) = test;
    let cut = panel.times[start];
    let before: Vec<BarRecord> = records
        .iter()
        .filter(|r| r.bar.timestamp() < cut)
        .cloned()
        .collect();
    let all = config.train.dataset_of(&before)?;
    if all.symbol_names != panel.symbols {
        return Err(PipelineError::Config(format!(
            "the bars before {} hold {:?}: every member must trade before the first window",
            crate::data::format_timestamp(cut),
            all.symbol_names
        )));
    }
    let (data, report) = train_window(&all, config, task, train_times)?;
    let mut decisions = Vec::new();
    for blob in window_bundles(&data, config, &report)? {
        let mut pipelines = panel
            .symbols
            .iter()
            .map(|_| Pipeline::<f64>::from_bundle(&blob).map_err(core_error))
            .collect::<Result<Vec<_>, _>>()?;
        for r in &before {
            pipelines[panel.id(r)?].warm(&r.bar).map_err(core_error)?;
        }
        let mut decided = Vec::with_capacity(end - start);
        for t in start..end {
            let members = panel.at[t]
                .iter()
                .map(|&k| {
                    let r = &records[k];
                    Ok((panel.id(r)?, r.symbol.as_deref().unwrap_or(""), r.bar))
                })
                .collect::<Result<Vec<Member>, PipelineError>>()?;
            let mut row = vec![None; panel.symbols.len()];
            for (m, d) in members
                .iter()
                .zip(decide_cross_section(&mut pipelines, &members))
            {
                row[m.0] = Some(d.map_err(core_error)?);
            }
            decided.push(row);
        }
        decisions.push(decided);
    }
    Ok(WindowRun {
        window: window_of(&data, test),
        decisions,
        models: report.models.iter().map(|m| m.model.clone()).collect(),
    })
}

/// The most common of `names` (the first of equals), "" for none.
fn most_common(names: impl Iterator<Item = &'static str>) -> &'static str {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for n in names {
        match counts.iter_mut().find(|(m, _)| *m == n) {
            Some(c) => c.1 += 1,
            None => counts.push((n, 1)),
        }
    }
    counts
        .iter()
        .fold(("", 0), |best, &c| if c.1 > best.1 { c } else { best })
        .0
}

/// Runs the portfolio backtest of a universe (records in time order, two or more
/// symbols); `progress(done, total)` as windows finish (they run in parallel).
pub fn run_universe(
    records: &[BarRecord],
    config: &BacktestConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Backtest, PipelineError> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (task, _) = config.train.task()?;
    config.portfolio.validate()?;
    let full = config.train.dataset_of(records)?;
    if full.symbol_names.len() < 2 {
        return Err(PipelineError::Config(
            "a portfolio backtest needs two or more symbols".into(),
        ));
    }
    let panel = Panel::new(records, full.symbol_names.clone());
    let first = *full.labels.t0.iter().min().ok_or_else(|| {
        PipelineError::Config("no bar has every feature: the data is too short".into())
    })?;
    let schedule = schedule(config, panel.times.len(), first)?;
    let done = AtomicUsize::new(0);
    let total = schedule.len();
    let runs = schedule
        .par_iter()
        .map(|(train, test)| {
            let r = run_window(records, &panel, config, task, train, *test);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            r
        })
        .collect::<Result<Vec<_>, _>>()?;
    let first_time = runs
        .first()
        .map_or(panel.times.len(), |r| r.window.test_bars.0);
    let returns: Vec<Vec<f64>> = panel.returns[first_time..].to_vec();
    let volatility = &panel.volatility[first_time..];
    let ppy = periods_per_year(&panel.times);
    let models = runs.first().map(|r| r.models.clone()).unwrap_or_default();
    let names: Vec<&str> = variants(config).iter().map(|v| v.0).collect();
    let headline = names.len() - 1;
    let decided = |v: usize| -> Vec<&Vec<Option<Decision<f64>>>> {
        runs.iter().flat_map(|r| r.decisions[v].iter()).collect()
    };
    let portfolio = |score: &dyn Fn(&Decision<f64>) -> f64, v: usize| -> Vec<Vec<f64>> {
        decided(v)
            .iter()
            .zip(volatility)
            .map(|(row, vol)| {
                let scores: Vec<f64> = row
                    .iter()
                    .map(|d| d.as_ref().map_or(f64::NAN, score))
                    .collect();
                config.portfolio.weights(&scores, vol)
            })
            .collect()
    };
    let present: Vec<bool> = panel.closes[first_time]
        .iter()
        .map(|c| c.is_finite())
        .collect();
    let mut weights: Vec<(String, bool, Vec<Vec<f64>>)> = vec![(
        "buy_and_hold".into(),
        false,
        buy_and_hold_weights(&returns, &present),
    )];
    for (m, name) in models.iter().enumerate() {
        let w = portfolio(
            &|d| crate::evaluate::position(task, d.predictions[m]),
            headline,
        );
        weights.push((format!("model:{name}"), true, w));
    }
    for (v, name) in names.iter().enumerate() {
        weights.push((
            name.to_string(),
            true,
            portfolio(&|d| config.position.position(d), v),
        ));
    }
    let accounted: Vec<(ConfigurationResult, Vec<Vec<f64>>)> = weights
        .into_iter()
        .map(|(name, in_grid, w)| {
            let pl = account_portfolio(&returns, &w, config.train.cost_bps);
            let net_exposure = w.iter().map(|row| row.iter().sum()).collect();
            let result = ConfigurationResult {
                name,
                in_grid,
                performance: summarise(&pl.ledger, &pl.turnover, &pl.exposure, ppy),
                positions: net_exposure,
                ledger: pl.ledger,
            };
            (result, w)
        })
        .collect();
    let holdings = &accounted.last().expect("the headline configuration").1;
    let configurations: Vec<ConfigurationResult> =
        accounted.iter().map(|(c, _)| c.clone()).collect();
    let (pbo, pbo_error) = grid_pbo(&configurations, config.pbo_splits);
    let (head, hold) = (
        &configurations[configurations.len() - 1],
        &configurations[0],
    );
    let rows = decided(headline)
        .iter()
        .enumerate()
        .map(|(t, row)| {
            let ds: Vec<&Decision<f64>> = row.iter().flatten().collect();
            let mean = |f: &dyn Fn(&Decision<f64>) -> f64| {
                ds.iter().map(|d| f(d)).sum::<f64>() / ds.len().max(1) as f64
            };
            BarRow {
                bar: first_time + t,
                timestamp: crate::data::format_timestamp(panel.times[first_time + t]),
                time_ns: panel.times[first_time + t],
                signal: most_common(ds.iter().map(|d| d.arbitration.signal.name())),
                confidence: mean(&|d| d.arbitration.confidence),
                weighted_signal: mean(&|d| d.arbitration.weighted_signal),
                regime: most_common(ds.iter().map(|d| d.arbitration.regime.name())),
                regime_confidence: mean(&|d| d.arbitration.regime_confidence),
                weights: (0..models.len())
                    .map(|s| {
                        mean(&|d| {
                            d.arbitration
                                .strategy_breakdown
                                .get(s)
                                .map_or(f64::NAN, |b| b.weight)
                        })
                    })
                    .collect(),
                position: head.positions[t],
                gross: head.ledger.gross[t],
                cost: head.ledger.cost[t],
                net: head.ledger.net[t],
                equity: head.ledger.equity[t],
                buy_and_hold_equity: hold.ledger.equity[t],
                holdings: holdings[t].clone(),
            }
        })
        .collect();
    let (cpcv, cpcv_buy_and_hold) = cpcv_of(config, &full)?;
    Ok(Backtest {
        config: config.clone(),
        periods_per_year: ppy,
        first_bar: first_time,
        windows: runs.into_iter().map(|r| r.window).collect(),
        models,
        symbols: panel.symbols.clone(),
        configurations,
        pbo,
        pbo_error,
        cpcv_buy_and_hold,
        cpcv,
        rows,
    })
}
