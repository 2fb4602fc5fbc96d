//! `tickml cv-splits` and `tickml fdr`: the offline research helpers.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use tickml_train::cv::{
    embargo_bars, CombinatorialPurgedCV, Labels, PurgedKFold, Split, WalkForwardCV,
};
use tickml_train::stats::fdr::{correct, Method};

use crate::io;

/// A cross-validation scheme.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// Purged K-fold.
    Purged,
    /// Walk-forward.
    WalkForward,
    /// Combinatorial purged CV.
    Cpcv,
}

/// Arguments of `tickml cv-splits`.
#[derive(clap::Args)]
pub struct CvArgs {
    /// The scheme.
    #[arg(long)]
    scheme: Scheme,
    /// Number of samples.
    #[arg(long)]
    n_samples: usize,
    /// Label horizon in bars (sample i's label spans [i, i + H]); for cpcv it switches
    /// from index mode to label mode.
    #[arg(long)]
    horizon: Option<usize>,
    /// Folds (purged, cpcv).
    #[arg(long, default_value_t = 5)]
    n_splits: usize,
    /// Test folds per split (cpcv).
    #[arg(long, default_value_t = 2)]
    n_test_splits: usize,
    /// Bars purged before each test window.
    #[arg(long, default_value_t = 0)]
    purge: usize,
    /// Embargo in bars after each test window.
    #[arg(long, conflicts_with = "embargo_pct")]
    embargo: Option<usize>,
    /// Embargo as a fraction of the samples (purged, walk-forward).
    #[arg(long)]
    embargo_pct: Option<f64>,
    /// Training samples per split (walk-forward).
    #[arg(long, default_value_t = 504)]
    train_size: usize,
    /// Test samples per split (walk-forward).
    #[arg(long, default_value_t = 63)]
    test_size: usize,
    /// Step between splits (walk-forward).
    #[arg(long, default_value_t = 21)]
    step_size: usize,
    /// Also draw the splits into this SVG file.
    #[arg(long)]
    plot: Option<PathBuf>,
}

#[derive(serde::Serialize)]
struct CvOutput<'a> {
    splits: &'a [Split],
    #[serde(skip_serializing_if = "Option::is_none")]
    paths: Option<&'a [Vec<usize>]>,
}

/// Prints the splits as JSON: `{"splits":[{"train":[...],"test":[...]}],"paths":[...]}`.
pub fn cv_splits(args: &CvArgs) -> anyhow::Result<()> {
    let n = args.n_samples;
    let labels = Labels::with_horizon(n, args.horizon.unwrap_or(0));
    let embargo = match (args.embargo, args.embargo_pct) {
        (Some(b), _) => b,
        (None, Some(p)) => embargo_bars(&labels, p),
        (None, None) => 0,
    };
    // bars to a fraction of the span that floors back to exactly those bars
    let span = n + args.horizon.unwrap_or(0);
    let pct = args.embargo_pct.unwrap_or(if embargo == 0 {
        0.0
    } else {
        (embargo as f64 + 0.5) / span.max(1) as f64
    });
    let (splits, paths) = match args.scheme {
        Scheme::Purged => (
            PurgedKFold {
                n_splits: args.n_splits,
                purge_gap: args.purge,
                embargo_pct: pct,
            }
            .split(&labels)?,
            None,
        ),
        Scheme::WalkForward => {
            let cv = WalkForwardCV {
                train_size: args.train_size,
                test_size: args.test_size,
                step_size: args.step_size,
                purge_gap: args.purge,
                expand_train: false,
            };
            (cv.split(&labels)?, None)
        }
        Scheme::Cpcv => {
            let cv = CombinatorialPurgedCV {
                n_splits: args.n_splits,
                n_test_splits: args.n_test_splits,
                purge: args.purge,
                embargo,
            };
            let out = if args.horizon.is_some() {
                cv.split_labels(&labels)?
            } else {
                cv.split_indices(n)?
            };
            (out.splits, Some(out.paths))
        }
    };
    let mut out = io::stdout();
    serde_json::to_writer(
        &mut out,
        &CvOutput {
            splits: &splits,
            paths: paths.as_deref(),
        },
    )?;
    writeln!(out)?;
    out.flush()?;
    if let Some(path) = &args.plot {
        plot(path, n, &splits).with_context(|| format!("cannot draw {}", path.display()))?;
    }
    Ok(())
}

/// One row per split: training samples blue, test orange, purged or embargoed grey.
fn plot(path: &Path, n: usize, splits: &[Split]) -> anyhow::Result<()> {
    use plotters::prelude::*;
    let height = 70 + 18 * splits.len() as u32;
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "CV splits: train blue, test orange, purged or embargoed grey",
            ("sans-serif", 14),
        )
        .margin(10)
        .x_label_area_size(25)
        .y_label_area_size(40)
        .build_cartesian_2d(0usize..n, 0usize..splits.len())?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("sample")
        .y_desc("split")
        .draw()?;
    let (train, test, gap) = (
        RGBColor(52, 101, 164),
        RGBColor(245, 121, 0),
        RGBColor(200, 200, 200),
    );
    for (row, s) in splits.iter().enumerate() {
        let mut kind = vec![gap; n];
        s.train.iter().for_each(|&i| kind[i] = train);
        s.test.iter().for_each(|&i| kind[i] = test);
        let mut start = 0;
        for i in 1..=n {
            if i == n || kind[i] != kind[start] {
                let y = row;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(start, y), (i, y + 1)],
                    kind[start].filled(),
                )))?;
                start = i;
            }
        }
    }
    root.present()?;
    Ok(())
}

/// The correction of `tickml fdr`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum FdrMethod {
    /// Benjamini-Hochberg.
    Bh,
    /// Benjamini-Yekutieli.
    By,
    /// Holm.
    Holm,
}

/// Arguments of `tickml fdr`.
#[derive(clap::Args)]
pub struct FdrArgs {
    /// The correction.
    #[arg(long, default_value = "bh")]
    method: FdrMethod,
    /// The level.
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
}

/// Reads one p-value per line from standard input (`nan` for a test that has none) and
/// prints `p,adjusted,rejected` per line in input order; NaN p-values are not tests
/// (left out of m, adjusted NaN, not rejected) and stderr says how many there were.
pub fn fdr(args: &FdrArgs) -> anyhow::Result<()> {
    let mut p = Vec::new();
    for (i, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line?;
        let text = line.trim();
        match text.parse::<f64>() {
            Ok(v) => p.push(v),
            Err(_) => bail!("line {}: `{text}` is not a p-value", i + 1),
        }
    }
    let method = match args.method {
        FdrMethod::Bh => Method::BenjaminiHochberg,
        FdrMethod::By => Method::BenjaminiYekutieli,
        FdrMethod::Holm => Method::Holm,
    };
    let c = correct(&p, args.alpha, method)?;
    let mut out = io::stdout();
    writeln!(out, "p,adjusted,rejected")?;
    for ((p, a), r) in p.iter().zip(&c.adjusted).zip(&c.rejected) {
        writeln!(out, "{p},{a},{r}")?;
    }
    out.flush()?;
    eprintln!(
        "tickml fdr: {} p-values, m = {} tests{}",
        p.len(),
        p.len() - c.untested,
        if c.untested > 0 {
            format!(" ({} NaN p-values left out of m)", c.untested)
        } else {
            String::new()
        }
    );
    Ok(())
}

/// Arguments of `tickml stats`.
#[derive(clap::Args)]
pub struct StatsArgs {
    /// One return per line (`-` for standard input).
    #[arg(long)]
    returns: String,
    /// Periods a year for the annualised Sharpe ratio.
    #[arg(long, default_value_t = 252.0)]
    periods_per_year: f64,
    /// Trials behind this series (for the Deflated Sharpe Ratio).
    #[arg(long, requires = "trials_sharpe_var")]
    trials: Option<usize>,
    /// Variance of the trials' per-period Sharpe ratios.
    #[arg(long, requires = "trials")]
    trials_sharpe_var: Option<f64>,
}

/// Prints the Sharpe ratio's figures of a return series as JSON.
pub fn stats(args: &StatsArgs) -> anyhow::Result<()> {
    use tickml_train::stats::sharpe::{deflated_sharpe_ratio, sharpe_stats};
    let mut r = Vec::new();
    let input = io::open_input(&args.returns)?;
    for (i, line) in std::io::BufReader::new(input).lines().enumerate() {
        let line = line?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => r.push(v),
            _ => bail!("line {}: `{text}` is not a finite return", i + 1),
        }
    }
    if r.len() < 2 {
        bail!("{}: at least 2 returns are needed", args.returns);
    }
    if !(args.periods_per_year.is_finite() && args.periods_per_year > 0.0) {
        bail!("--periods-per-year must be positive");
    }
    let s = sharpe_stats(&r, args.periods_per_year);
    let mut json = serde_json::to_value(s)?;
    if let (Some(n), Some(v)) = (args.trials, args.trials_sharpe_var) {
        if n == 0 || !(v.is_finite() && v >= 0.0) {
            bail!("--trials must be at least 1 and --trials-sharpe-var a non-negative number");
        }
        json["dsr"] = serde_json::json!(deflated_sharpe_ratio(
            s.sharpe, s.n, s.skew, s.kurtosis, n, v
        ));
    }
    let mut out = io::stdout();
    writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
    out.flush()?;
    Ok(())
}

/// Arguments of `tickml pbo`.
#[derive(clap::Args)]
pub struct PboArgs {
    /// CSV: a header of configuration names, one row of per-period returns per period.
    #[arg(long)]
    input: String,
    /// CSCV blocks (even).
    #[arg(long, default_value_t = 16)]
    splits: usize,
}

/// Prints CSCV's probability of backtest overfitting as JSON.
pub fn pbo(args: &PboArgs) -> anyhow::Result<()> {
    use tickml_train::stats::pbo::probability_of_backtest_overfitting;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(io::open_input(&args.input)?);
    let names: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: no header", args.input))?
        .iter()
        .map(str::to_string)
        .collect();
    if names.len() < 2 || names.iter().any(|n| n.trim().is_empty()) {
        bail!(
            "{}: the header must name at least 2 configurations",
            args.input
        );
    }
    let mut values = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.with_context(|| format!("line {line}"))?;
        if record.len() != names.len() {
            bail!(
                "line {line}: {} values for {} configurations",
                record.len(),
                names.len()
            );
        }
        for (cell, name) in record.iter().zip(&names) {
            match cell.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => values.push(v),
                _ => bail!("line {line}: `{cell}` ({name}) is not a finite return"),
            }
        }
    }
    let p = probability_of_backtest_overfitting(&values, names.len(), args.splits)?;
    let json = serde_json::json!({
        "configurations": names,
        "splits": args.splits,
        "combinations": p.logits.len(),
        "pbo": p.pbo,
        "logits": p.logits,
        "degradation_slope": p.degradation_slope,
        "prob_oos_loss": p.prob_oos_loss,
    });
    let mut out = io::stdout();
    writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
    out.flush()?;
    Ok(())
}
