//! The portfolio backtest of a universe: its accounting, buy-and-hold baseline and
//! weights against numpy (`tests/fixtures/gen_portfolio.py`), and a walk-forward run
//! whose headline returns are recomputed from its holdings and the raw closes, whose
//! decisions are what the universe's pipelines stream, and whose prefix decides the
//! same.

mod common;

use common::repo_path;
use serde_json::Value;
use tickml_train::backtest::accounting::{account_portfolio, buy_and_hold_weights};
use tickml_train::backtest::portfolio::{run_universe, LegWeights, PortfolioMode};
use tickml_train::backtest::BacktestConfig;
use tickml_train::data::{load_bars, BarRecord};
use tickml_train::models::ModelConfig;
use tickml_train::pipeline::{CvConfig, TrainConfig};

fn reference() -> Value {
    let text =
        std::fs::read_to_string(repo_path("tests/fixtures/portfolio_reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Floats with the fixture's NaN marker read back as NaN.
fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let v = x.as_f64().unwrap();
            if v == -999.0 {
                f64::NAN
            } else {
                v
            }
        })
        .collect()
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(floats).collect()
}

fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (t, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "{what}[{t}]: {x} vs {y}");
    }
}

#[test]
fn portfolio_accounting_equals_numpy() {
    let r = &reference()["accounting"];
    let pl = account_portfolio(
        &matrix(&r["returns"]),
        &matrix(&r["weights"]),
        r["cost_bps"].as_f64().unwrap(),
    );
    let want = &r["ledger"];
    assert_close(&pl.ledger.gross, &floats(&want["gross"]), 1e-15, "gross");
    assert_close(&pl.ledger.cost, &floats(&want["cost"]), 1e-15, "cost");
    assert_close(&pl.ledger.net, &floats(&want["net"]), 1e-15, "net");
    assert_close(&pl.ledger.equity, &floats(&want["equity"]), 1e-13, "equity");
    assert_close(&pl.turnover, &floats(&want["turnover"]), 1e-14, "turnover");
    assert_close(&pl.exposure, &floats(&want["exposure"]), 1e-15, "exposure");
}

#[test]
fn equal_weight_buy_and_hold_drifts_and_never_trades_again() {
    let r = &reference()["buy_and_hold"];
    let returns = matrix(&r["returns"]);
    let present: Vec<bool> = r["present"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_bool().unwrap())
        .collect();
    let w = buy_and_hold_weights(&returns, &present);
    for (t, (got, want)) in w.iter().zip(matrix(&r["weights"])).enumerate() {
        assert_close(got, &want, 1e-14, &format!("weights at {t}"));
    }
    let pl = account_portfolio(&returns, &w, 10.0);
    assert!((pl.turnover[0] - 1.0).abs() < 1e-15, "the entry trades 1");
    assert!(
        pl.turnover[1..].iter().all(|&x| x < 1e-14),
        "{:?}",
        pl.turnover
    );
}

#[test]
fn per_symbol_and_long_short_weights_equal_numpy() {
    for (k, c) in reference()["weights"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let (scores, vols) = (floats(&c["scores"]), floats(&c["vols"]));
        let quantile = c["quantile"].as_f64().unwrap();
        let modes = [
            ("per_symbol", PortfolioMode::PerSymbol),
            (
                "long_short_equal",
                PortfolioMode::LongShort {
                    quantile,
                    legs: LegWeights::Equal,
                },
            ),
            (
                "long_short_inverse_volatility",
                PortfolioMode::LongShort {
                    quantile,
                    legs: LegWeights::InverseVolatility,
                },
            ),
        ];
        for (name, mode) in modes {
            let w = mode.weights(&scores, &vols);
            assert_close(&w, &floats(&c[name]), 1e-15, &format!("case {k} {name}"));
            if name != "per_symbol" {
                let gross: f64 = w.iter().map(|x| x.abs()).sum();
                let net: f64 = w.iter().sum();
                assert!(gross == 0.0 || (gross - 1.0).abs() < 1e-12, "{gross}");
                assert!(net.abs() < 1e-12, "{net}");
            }
        }
    }
    assert!(PortfolioMode::LongShort {
        quantile: 0.7,
        legs: LegWeights::Equal
    }
    .validate()
    .is_err());
}

fn small_config(portfolio: PortfolioMode) -> BacktestConfig {
    BacktestConfig {
        train: TrainConfig {
            models: vec!["logistic_regression".into()],
            model: ModelConfig::default(),
            cv: CvConfig::Purged {
                n_splits: 3,
                purge_gap: 5,
                embargo_pct: 0.02,
            },
            ..TrainConfig::default()
        },
        train_size: 250,
        retrain_every: 60,
        cpcv: None,
        pbo_splits: 4,
        portfolio,
        ..BacktestConfig::default()
    }
}

/// The first `days` timestamps of the first three symbols of the factor-model universe.
fn universe(days: usize) -> Vec<BarRecord> {
    let records = load_bars(repo_path("data/synthetic_universe_daily.csv")).unwrap();
    let mut times: Vec<i64> = records.iter().map(|r| r.bar.timestamp()).collect();
    times.dedup();
    records
        .into_iter()
        .filter(|r| {
            ["S0", "S1", "S2"].contains(&r.symbol.as_deref().unwrap())
                && r.bar.timestamp() < times[days]
        })
        .collect()
}

/// The headline's net returns from its holdings and the raw closes, by a plain loop: what
/// the weights held from one timestamp's close earn by the next, less the cost of the
/// notional traded to reach them from where the previous holdings drifted.
#[test]
fn a_universe_backtest_accounts_its_holdings_and_a_prefix_decides_the_same() {
    let records = universe(620);
    let config = small_config(PortfolioMode::LongShort {
        quantile: 0.34,
        legs: LegWeights::InverseVolatility,
    });
    let bt = run_universe(&records, &config, &|_, _| {}).unwrap();
    assert_eq!(bt.symbols, ["S0", "S1", "S2"]);
    assert!(bt.rows.len() > 150, "{}", bt.rows.len());
    let close = |symbol: &str, ts: i64| {
        records
            .iter()
            .find(|r| r.symbol.as_deref() == Some(symbol) && r.bar.timestamp() == ts)
            .unwrap()
            .bar
            .close()
    };
    let bps = config.train.cost_bps / 1e4;
    let mut equity = 1.0;
    for t in 1..bt.rows.len() {
        let (a, b) = (&bt.rows[t - 1], &bt.rows[t]);
        let r: Vec<f64> = bt
            .symbols
            .iter()
            .map(|s| close(s, b.time_ns) / close(s, a.time_ns) - 1.0)
            .collect();
        let gross: f64 = a.holdings.iter().zip(&r).map(|(w, r)| w * r).sum();
        let before: Vec<f64> = if t >= 2 {
            let p = &bt.rows[t - 2];
            let rp: Vec<f64> = bt
                .symbols
                .iter()
                .map(|s| close(s, a.time_ns) / close(s, p.time_ns) - 1.0)
                .collect();
            let g: f64 = p.holdings.iter().zip(&rp).map(|(w, r)| w * r).sum();
            p.holdings
                .iter()
                .zip(&rp)
                .map(|(w, r)| w * (1.0 + r) / (1.0 + g))
                .collect()
        } else {
            vec![0.0; 3]
        };
        let traded: f64 = a
            .holdings
            .iter()
            .zip(&before)
            .map(|(w, d)| (w - d).abs())
            .sum();
        let net = gross - bps * traded;
        assert!((b.net - net).abs() < 1e-14, "row {t}: {} vs {net}", b.net);
        equity *= 1.0 + net;
        // a long-short book: gross 1 or flat, net 0
        let g: f64 = a.holdings.iter().map(|w| w.abs()).sum();
        assert!(g == 0.0 || (g - 1.0).abs() < 1e-12);
        assert!(a.position.abs() < 1e-12);
    }
    assert!((bt.rows.last().unwrap().equity - equity).abs() < 1e-12);
    let hold = bt.configuration("buy_and_hold").unwrap();
    // equal-weight buy and hold pays for its entry and nothing after
    assert!((hold.performance.costs_paid - bps).abs() < 1e-15);
    assert_eq!(bt.configurations.len(), 1 + 1 + 4);
    // causality: the same backtest over fewer timestamps decides the shared ones alike
    let short = run_universe(&universe(580), &config, &|_, _| {}).unwrap();
    assert_eq!(short.rows[..], bt.rows[..short.rows.len()]);
}
