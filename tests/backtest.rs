//! The backtest's accounting and statistics against numpy and scipy
//! (`tests/fixtures/gen_backtest.py`), planted-skill and no-skill cases, and the walk-forward
//! backtest's causality: a backtest of a prefix decides every shared bar identically.

mod common;

use common::repo_path;
use serde_json::Value;
use tickml_train::backtest::accounting::account;
use tickml_train::backtest::{run, BacktestConfig};
use tickml_train::models::ModelConfig;
use tickml_train::pipeline::{CvConfig, TrainConfig};
use tickml_train::rng::XorShift64;
use tickml_train::stats::pbo::probability_of_backtest_overfitting;
use tickml_train::stats::sharpe::{
    deflated_sharpe_ratio, expected_max_sharpe, probabilistic_sharpe_ratio, sharpe_stats,
    trials_variance,
};

fn reference() -> Value {
    let text =
        std::fs::read_to_string(repo_path("tests/fixtures/backtest_reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn accounting_equals_numpy() {
    let r = &reference()["accounting"];
    let ledger = account(
        &floats(&r["closes"]),
        &floats(&r["positions"]),
        r["cost_bps"].as_f64().unwrap(),
    );
    for (ours, name) in [
        (&ledger.gross, "gross"),
        (&ledger.cost, "cost"),
        (&ledger.net, "net"),
        (&ledger.equity, "equity"),
    ] {
        let theirs = floats(&r[name]);
        assert_eq!(ours.len(), theirs.len());
        for (t, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert!(close(*a, *b, 1e-12), "{name}[{t}]: {a} vs {b}");
        }
    }
}

#[test]
fn sharpe_psr_and_dsr_equal_scipy() {
    for c in reference()["sharpe"].as_array().unwrap() {
        let r = floats(&c["returns"]);
        let name = c["name"].as_str().unwrap();
        let s = sharpe_stats(&r, 252.0);
        let want = |k: &str| c[k].as_f64().unwrap();
        for (ours, key) in [
            (s.sharpe, "sharpe"),
            (s.skew, "skew"),
            (s.kurtosis, "kurtosis"),
            (s.sharpe_se, "se"),
            (s.psr, "psr0"),
        ] {
            assert!(
                close(ours, want(key), 1e-10),
                "{name} {key}: {ours} vs {}",
                want(key)
            );
        }
        let psr05 = probabilistic_sharpe_ratio(s.sharpe, 0.05, r.len(), s.skew, s.kurtosis);
        assert!(close(psr05, want("psr05"), 1e-10), "{name}: {psr05}");
        let trials = c["trials"].as_u64().unwrap() as usize;
        let sr0 = expected_max_sharpe(trials, want("variance"));
        assert!(
            close(sr0, want("sr0"), 1e-10),
            "{name}: {sr0} vs {}",
            want("sr0")
        );
        let dsr = deflated_sharpe_ratio(
            s.sharpe,
            r.len(),
            s.skew,
            s.kurtosis,
            trials,
            want("variance"),
        );
        assert!(
            close(dsr, want("dsr"), 1e-10),
            "{name}: {dsr} vs {}",
            want("dsr")
        );
        assert!((s.sharpe_annualised - s.sharpe * 252f64.sqrt()).abs() < 1e-15);
    }
}

#[test]
fn pbo_equals_a_numpy_cscv() {
    for c in reference()["pbo"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let rows: Vec<Vec<f64>> = c["matrix"].as_array().unwrap().iter().map(floats).collect();
        let n = rows[0].len();
        let flat: Vec<f64> = rows.concat();
        let splits = c["splits"].as_u64().unwrap() as usize;
        let p = probability_of_backtest_overfitting(&flat, n, splits).unwrap();
        assert_eq!(p.pbo, c["pbo"].as_f64().unwrap(), "{name}");
        let logits = floats(&c["logits"]);
        assert_eq!(p.logits.len(), logits.len());
        for (k, (a, b)) in p.logits.iter().zip(&logits).enumerate() {
            assert!(close(*a, *b, 1e-10), "{name} logit {k}: {a} vs {b}");
        }
        for (ours, key) in [
            (p.degradation_slope, "degradation_slope"),
            (p.prob_oos_loss, "prob_oos_loss"),
        ] {
            let want = c[key].as_f64().unwrap();
            assert!(close(ours, want, 1e-10), "{name} {key}: {ours} vs {want}");
        }
    }
}

fn normal_matrix(rows: usize, cols: usize, seed: u64, edge: &[(usize, f64)]) -> Vec<f64> {
    let mut rng = XorShift64::new(seed);
    let mut m: Vec<f64> = (0..rows * cols).map(|_| 0.01 * rng.normal()).collect();
    for &(c, mu) in edge {
        (0..rows).for_each(|t| m[t * cols + c] += mu);
    }
    m
}

fn column(m: &[f64], cols: usize, c: usize) -> Vec<f64> {
    m.iter().skip(c).step_by(cols).copied().collect()
}

#[test]
fn planted_skill_is_found_and_not_called_overfit() {
    // 20 configurations: 19 of noise and one with a real edge of 0.2 sd a period
    let (rows, cols) = (1000, 20);
    let m = normal_matrix(rows, cols, 11, &[(7, 0.002)]);
    let p = probability_of_backtest_overfitting(&m, cols, 16).unwrap();
    assert!(p.pbo < 0.05, "PBO {}", p.pbo);
    assert!(p.prob_oos_loss < 0.05, "{}", p.prob_oos_loss);
    let s = sharpe_stats(&column(&m, cols, 7), 252.0);
    assert!(s.psr > 0.99, "PSR {}", s.psr);
    let sharpes: Vec<f64> = (0..cols)
        .map(|c| sharpe_stats(&column(&m, cols, c), 252.0).sharpe)
        .collect();
    let dsr = deflated_sharpe_ratio(
        s.sharpe,
        rows,
        s.skew,
        s.kurtosis,
        cols,
        trials_variance(&sharpes),
    );
    assert!(dsr > 0.95, "DSR {dsr}");
}

#[test]
fn the_best_of_noise_looks_good_until_deflated() {
    let (rows, cols) = (1000, 20);
    let m = normal_matrix(rows, cols, 12, &[]);
    let p = probability_of_backtest_overfitting(&m, cols, 16).unwrap();
    assert!(p.pbo > 0.35, "PBO {}", p.pbo);
    let stats: Vec<_> = (0..cols)
        .map(|c| sharpe_stats(&column(&m, cols, c), 252.0))
        .collect();
    let best = stats
        .iter()
        .max_by(|a, b| a.sharpe.total_cmp(&b.sharpe))
        .unwrap();
    let sharpes: Vec<f64> = stats.iter().map(|s| s.sharpe).collect();
    let dsr = deflated_sharpe_ratio(
        best.sharpe,
        rows,
        best.skew,
        best.kurtosis,
        cols,
        trials_variance(&sharpes),
    );
    // the winner's own PSR says "skill"; counted against the 20 tries it does not
    assert!(best.psr > 0.9, "PSR {}", best.psr);
    assert!(dsr < 0.7, "DSR {dsr}");
}

fn small_config() -> BacktestConfig {
    BacktestConfig {
        train: TrainConfig {
            models: vec!["gradient_boosting".into(), "logistic_regression".into()],
            model: ModelConfig {
                n_estimators: 20,
                ..ModelConfig::default()
            },
            cv: CvConfig::Purged {
                n_splits: 3,
                purge_gap: 5,
                embargo_pct: 0.02,
            },
            ..TrainConfig::default()
        },
        train_size: 250,
        retrain_every: 40,
        cpcv: None,
        pbo_splits: 4,
        ..BacktestConfig::default()
    }
}

#[test]
fn a_prefix_backtest_decides_every_shared_bar_identically() {
    let bars = common::load("spx_daily.csv");
    let config = small_config();
    let long = run(&bars[..760], &config, &|_, _| {}).unwrap();
    let short = run(&bars[..700], &config, &|_, _| {}).unwrap();
    assert_eq!(long.first_bar, short.first_bar);
    assert!(short.rows.len() > 150, "{} decided bars", short.rows.len());
    // every decision and position of the shorter run, in every configuration
    assert_eq!(short.rows[..], long.rows[..short.rows.len()]);
    for (a, b) in short.configurations.iter().zip(&long.configurations) {
        assert_eq!(a.name, b.name);
        assert_eq!(
            a.positions[..],
            b.positions[..a.positions.len()],
            "{}",
            a.name
        );
        assert_eq!(
            a.ledger.net[..],
            b.ledger.net[..a.ledger.net.len()],
            "{}",
            a.name
        );
    }
    // the windows: each trained on bars before its test window only
    for w in &long.windows {
        // the last training label ends before the window, `purge` bars are left out
        assert!(
            w.train_bars.1 + config.train.horizon < w.test_bars.0,
            "{w:?}"
        );
        assert!(w.train_bars.1 + config.purge < w.test_bars.0, "{w:?}");
    }
}

#[test]
fn changing_a_bar_moves_only_the_decisions_after_it() {
    // the prefix test's power: the decisions do depend on the data, bar by bar
    let mut bars = common::load("spx_daily.csv")[..700].to_vec();
    let config = small_config();
    let base = run(&bars, &config, &|_, _| {}).unwrap();
    let k = base.first_bar + 10;
    let b = bars[k];
    bars[k] = tickml_core::Bar::new(
        b.timestamp(),
        b.open(),
        b.high() * 1.05,
        b.low(),
        b.close() * 1.04,
        b.volume(),
    )
    .unwrap();
    let moved = run(&bars, &config, &|_, _| {}).unwrap();
    let positions =
        |bt: &tickml_train::backtest::Backtest| bt.configurations.last().unwrap().positions.clone();
    let (p, q) = (positions(&base), positions(&moved));
    assert_eq!(p[..10], q[..10], "bars before the change cannot move");
    assert_ne!(p[10..], q[10..], "bars after it must");
}
