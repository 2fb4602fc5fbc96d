//! `tickml backtest`: the walk-forward backtest of the live pipeline, its report and
//! the trials log.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use tickml_train::backtest::portfolio::{run_universe, LegWeights, PortfolioMode};
use tickml_train::backtest::{run, BacktestConfig, PositionRule};
use tickml_train::data::load_input;
use tickml_train::pipeline::CvConfig;
use tickml_train::trials;

use crate::io;
use crate::train::load_config;

/// Arguments of `tickml backtest`.
#[derive(clap::Args)]
pub struct Args {
    /// OHLCV CSV.
    #[arg(long)]
    input: PathBuf,
    /// Directory for report.json, report.html and trials.jsonl.
    #[arg(long)]
    out: PathBuf,
    /// Training configuration (TOML, as `tickml train`'s: features, inputs, target,
    /// horizon, the inner CV of the meta-learner, models).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Cost per unit of turnover, basis points.
    #[arg(long, default_value_t = 1.0)]
    cost_bps: f64,
    /// Training bars per window.
    #[arg(long, default_value_t = 504, conflicts_with = "expanding")]
    train_size: usize,
    /// Train on every earlier bar.
    #[arg(long)]
    expanding: bool,
    /// Bars between retrains.
    #[arg(long, default_value_t = 63)]
    retrain_every: usize,
    /// Bars left out between training and test (and the inner CV's purge gap).
    #[arg(long, default_value_t = 5)]
    purge: usize,
    /// The inner CV's embargo fraction.
    #[arg(long, default_value_t = 0.02)]
    embargo_pct: f64,
    /// Decision to position: weighted_signal (clipped), signal, signal_times_confidence.
    #[arg(long, default_value = "weighted_signal")]
    position: String,
    /// CSCV blocks for PBO.
    #[arg(long, default_value_t = 16)]
    pbo_splits: usize,
    /// CPCV folds for the path-Sharpe distribution (0: skip); 2 of them test each split.
    #[arg(long, default_value_t = 6)]
    cpcv_splits: usize,
    /// The trials log (default: OUT/trials.jsonl).
    #[arg(long)]
    trials: Option<PathBuf>,
    /// The input is trades, made into bars by this rule (as `tickml bars`).
    #[arg(long)]
    bars: Option<String>,
    /// A universe's weights: per_symbol (each member's position on 1/m of the equity) or
    /// long_short (long the top --quantile by position, short the bottom, gross 1).
    #[arg(long, default_value = "per_symbol")]
    portfolio: String,
    /// The fraction of members in each long-short leg.
    #[arg(long, default_value_t = 0.2)]
    quantile: f64,
    /// Weights within a long-short leg: equal or inverse_volatility (1 / sd of the last
    /// 20 returns).
    #[arg(long, default_value = "equal")]
    legs: String,
}

fn portfolio_mode(args: &Args) -> anyhow::Result<PortfolioMode> {
    let legs = match args.legs.as_str() {
        "equal" => LegWeights::Equal,
        "inverse_volatility" => LegWeights::InverseVolatility,
        other => anyhow::bail!("--legs {other}: use equal or inverse_volatility"),
    };
    let mode = match args.portfolio.as_str() {
        "per_symbol" => PortfolioMode::PerSymbol,
        "long_short" => PortfolioMode::LongShort {
            quantile: args.quantile,
            legs,
        },
        other => anyhow::bail!("--portfolio {other}: use per_symbol or long_short"),
    };
    mode.validate()?;
    Ok(mode)
}

fn position_rule(name: &str) -> anyhow::Result<PositionRule> {
    Ok(match name {
        "weighted_signal" => PositionRule::WeightedSignal,
        "signal" => PositionRule::Signal,
        "signal_times_confidence" => PositionRule::SignalTimesConfidence,
        other => anyhow::bail!(
            "--position {other}: use weighted_signal, signal or signal_times_confidence"
        ),
    })
}

/// Runs the backtest, prints the table, writes the report and appends the trials.
pub fn run_backtest(args: &Args) -> anyhow::Result<()> {
    let mut train = load_config(args.config.as_deref(), args.bars.as_deref())?;
    if let CvConfig::Purged {
        purge_gap,
        embargo_pct,
        ..
    } = &mut train.cv
    {
        *purge_gap = args.purge;
        *embargo_pct = args.embargo_pct;
    }
    if !(args.cost_bps.is_finite() && args.cost_bps >= 0.0) {
        anyhow::bail!("--cost-bps must be a non-negative number");
    }
    train.cost_bps = args.cost_bps;
    let config = BacktestConfig {
        train,
        train_size: args.train_size,
        expanding: args.expanding,
        retrain_every: args.retrain_every,
        purge: args.purge,
        position: position_rule(&args.position)?,
        pbo_splits: args.pbo_splits,
        cpcv: (args.cpcv_splits > 0).then_some((args.cpcv_splits, 2)),
        portfolio: portfolio_mode(args)?,
        ..BacktestConfig::default()
    };
    let input = std::fs::read(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let records = load_input(&args.input, config.train.bar_rule()?)?;
    let universe = tickml_train::data::symbols(&records).len() > 1;
    let started = Instant::now();
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("walk-forward [{bar:30}] {pos}/{len} windows {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let mut bt = if universe {
        run_universe(&records, &config, &progress)?
    } else {
        let bars: Vec<_> = records.iter().map(|r| r.bar).collect();
        let mut bt = run(&bars, &config, &progress)?;
        for r in &mut bt.rows {
            r.timestamp = records[r.bar].timestamp_text.clone();
        }
        bt
    };
    bar.finish_and_clear();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let log = args
        .trials
        .clone()
        .unwrap_or_else(|| args.out.join("trials.jsonl"));
    let grid: Vec<(String, f64, usize)> = bt
        .configurations
        .iter()
        .filter(|c| c.in_grid)
        .map(|c| {
            let s = &c.performance.sharpe;
            (c.name.clone(), s.sharpe, s.n)
        })
        .collect();
    let (n_trials, variance) =
        trials::record(&log, &input, "backtest", &config.trial_settings(), &grid)?;
    bt.deflate(n_trials, variance);
    let elapsed = started.elapsed().as_secs_f64();

    let mut out = io::stdout();
    let first = &bt
        .rows
        .first()
        .map(|r| r.timestamp.clone())
        .unwrap_or_default();
    let last = &bt
        .rows
        .last()
        .map(|r| r.timestamp.clone())
        .unwrap_or_default();
    if universe {
        writeln!(
            out,
            "universe of {} symbols ({}), portfolio {}; bars below are timestamps of the universe, buy_and_hold is equal-weight buy and hold of its members, costs per traded notional",
            bt.symbols.len(),
            bt.symbols.join(","),
            match config.portfolio {
                PortfolioMode::PerSymbol => "per_symbol (each member's position on 1/m of the equity)".to_string(),
                PortfolioMode::LongShort { quantile, legs } => format!("long_short (quantile {quantile}, legs {legs:?})"),
            }
        )?;
    }
    writeln!(
        out,
        "walk-forward: {} windows, retrain every {} bars on {}, {} decided bars ({first} .. {last}), {:.1} bars a year (from the timestamps), cost {} bps, positions {}",
        bt.windows.len(),
        config.retrain_every,
        if config.expanding { "every earlier bar".to_string() } else { format!("{} bars", config.train_size) },
        bt.rows.len(),
        bt.periods_per_year,
        config.train.cost_bps,
        args.position
    )?;
    writeln!(
        out,
        "{:<28}{:>8}{:>8}{:>7}{:>7}{:>8}{:>9}{:>8}{:>8}",
        "configuration (net, OOS)",
        "sharpe",
        "se",
        "psr",
        "dsr",
        "max_dd",
        "turnover",
        "costs",
        "return"
    )?;
    for c in &bt.configurations {
        let p = &c.performance;
        writeln!(
            out,
            "{:<28}{:>8}{:>8}{:>7}{:>7}{:>8}{:>9}{:>8}{:>8}",
            c.name,
            io::cell(p.sharpe.sharpe_annualised, 3),
            io::cell(p.sharpe.sharpe_se * bt.periods_per_year.sqrt(), 3),
            io::cell(p.sharpe.psr, 3),
            io::cell(p.dsr, 3),
            io::cell(p.max_drawdown, 3),
            io::cell(p.turnover_per_year, 1),
            io::cell(p.costs_paid, 4),
            io::cell(p.total_return, 3),
        )?;
    }
    writeln!(
        out,
        "sharpe: annualised net Sharpe; se: Lo (2002) HAC standard error, annualised by sqrt(bars a year); psr: P(true Sharpe > 0); dsr: deflated for {n_trials} trials on this data (V = {})",
        io::cell(variance, 6)
    )?;
    match (&bt.pbo, &bt.pbo_error) {
        (Some(p), _) => writeln!(
            out,
            "PBO over the {} grid configurations (CSCV, {} blocks, {} combinations): {:.3}; degradation slope {:.3}; P(OOS loss) {:.3}",
            bt.configurations.iter().filter(|c| c.in_grid).count(),
            config.pbo_splits,
            p.logits.len(),
            p.pbo,
            p.degradation_slope,
            p.prob_oos_loss
        )?,
        (None, Some(e)) => writeln!(out, "PBO not computed: {e}")?,
        _ => {}
    }
    for c in &bt.cpcv {
        io::write_path_sharpes(
            &mut out,
            &c.model,
            &c.sharpe_annualised,
            bt.cpcv_buy_and_hold,
        )?;
    }
    let json = args.out.join("report.json");
    let report = serde_json::json!({
        "input": args.input.display().to_string(),
        "config": {
            "cost_bps": config.train.cost_bps,
            "train_size": (!config.expanding).then_some(config.train_size),
            "expanding": config.expanding,
            "retrain_every": config.retrain_every,
            "purge": config.purge,
            "embargo_pct": args.embargo_pct,
            "position": config.position,
            "pbo_splits": config.pbo_splits,
            "cpcv": config.cpcv,
            "grid": bt.configurations.iter().filter(|c| c.in_grid).map(|c| c.name.as_str()).collect::<Vec<_>>(),
            "baselines": bt.configurations.iter().filter(|c| !c.in_grid).map(|c| c.name.as_str()).collect::<Vec<_>>(),
        },
        "trials": { "log": log.display().to_string(), "count": n_trials, "sharpe_variance": variance },
        "backtest": bt,
    });
    std::fs::write(&json, serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("cannot write {}", json.display()))?;
    let html = args.out.join("report.html");
    let title = format!(
        "tickml backtest: {}",
        args.input
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    );
    std::fs::write(
        &html,
        tickml_train::backtest::html::render(&bt, &title, n_trials),
    )
    .with_context(|| format!("cannot write {}", html.display()))?;
    writeln!(
        out,
        "wrote {} and {} in {elapsed:.1} s",
        json.display(),
        html.display()
    )?;
    out.flush()?;
    Ok(())
}
