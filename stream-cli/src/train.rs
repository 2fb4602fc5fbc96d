//! `tickml train` and `tickml ablate`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use tickml_train::data::load_input;
use tickml_train::pipeline::{ablate_dataset, build_bundle, train_records, TrainConfig};

use crate::io;

/// Arguments of `tickml train`.
#[derive(clap::Args)]
pub struct TrainArgs {
    /// OHLCV CSV.
    #[arg(long)]
    input: PathBuf,
    /// Training configuration (TOML: target, horizon, cv, models, model, features).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Directory for the blobs and report.json.
    #[arg(long)]
    out: PathBuf,
    /// Also write a deployable bundle (models, regime detector, arbitrator, meta-learner).
    #[arg(long)]
    bundle: Option<PathBuf>,
    /// The trials log each model is appended to (default: OUT/trials.jsonl).
    #[arg(long)]
    trials: Option<PathBuf>,
    /// The input is trades, made into bars by this rule (as `tickml bars`); the rule
    /// goes into the bundle, so `tickml stream` builds the same bars. Overrides `bars`
    /// in the configuration.
    #[arg(long)]
    bars: Option<String>,
}

/// Arguments of `tickml ablate`.
#[derive(clap::Args)]
pub struct AblateArgs {
    /// OHLCV CSV.
    #[arg(long)]
    input: PathBuf,
    /// Training configuration (the first model is ablated).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Feature groups: `families` (the 8 feature families).
    #[arg(long, default_value = "families")]
    groups: String,
    /// Directory for ablation.json and the trials log (trials.jsonl) every ablated
    /// configuration is appended to.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The trials log (default: OUT/trials.jsonl when --out is given).
    #[arg(long)]
    trials: Option<PathBuf>,
}

/// Appends `(configuration, annualised Sharpe, returns)` of `command` on the input at
/// `input` to the trials log at `log`; returns the distinct trials counted on that data.
fn record_trials(
    log: &Path,
    input: &Path,
    command: &str,
    settings: &impl serde::Serialize,
    periods_per_year: f64,
    configurations: &[(String, f64, usize)],
) -> anyhow::Result<usize> {
    let bytes = std::fs::read(input).with_context(|| format!("cannot read {}", input.display()))?;
    let per_period: Vec<(String, f64, usize)> = configurations
        .iter()
        .map(|(name, sharpe, n)| (name.clone(), sharpe / periods_per_year.sqrt(), *n))
        .collect();
    let (counted, _) = tickml_train::trials::record(log, &bytes, command, settings, &per_period)?;
    Ok(counted)
}

/// The training configuration at `path`, or the default; `bars` (a `--bars` rule)
/// replaces the configuration's.
pub fn load_config(path: Option<&Path>, bars: Option<&str>) -> anyhow::Result<TrainConfig> {
    let mut config: TrainConfig = match path {
        None => TrainConfig::default(),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            toml::from_str(&text)
                .with_context(|| format!("{}: invalid training configuration", p.display()))?
        }
    };
    if let Some(rule) = bars {
        config.bars = Some(rule.to_string());
    }
    Ok(config)
}

/// Trains, prints a table per model, writes `<model>.tml` and `report.json` into `--out`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let config = load_config(args.config.as_deref(), args.bars.as_deref())?;
    let records = load_input(&args.input, config.bar_rule()?)?;
    let started = Instant::now();
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{msg:20} [{bar:30}] {pos}/{len} fits")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (data, report) = train_records(&records, &config, &|model, done, total| {
        bar.set_length(total as u64);
        bar.set_message(model.to_string());
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut out = io::stdout();
    writeln!(
        out,
        "{} samples x {} inputs ({} warm-up rows and {} unlabelled rows dropped; {} level features left out), {} CV splits, target {} over {} bars",
        report.samples,
        report.features,
        report.dropped_warmup,
        report.dropped_horizon,
        report.dropped_level_features.len(),
        report.splits,
        config.target,
        config.horizon
    )?;
    match data.weights.as_deref() {
        Some(w) => writeln!(
            out,
            "samples weighted by their labels' average uniqueness (mean {:.3}, from {:.3} to {:.3}; `sample_weights = \"none\"` turns it off)",
            w.iter().sum::<f64>() / w.len().max(1) as f64,
            w.iter().copied().fold(f64::INFINITY, f64::min),
            w.iter().copied().fold(0.0, f64::max)
        )?,
        None => writeln!(out, "samples unweighted")?,
    }
    if !report.symbols.is_empty() {
        writeln!(
            out,
            "universe of {} symbols ({}): one model pooled over them, CV purged by time across symbols, Sharpe of an equal-weight portfolio of their positions",
            report.symbols.len(),
            report.symbols.join(", ")
        )?;
    }
    writeln!(
        out,
        "{:<30}{:>10}{:>10}{:>10}{:>10}",
        "model (out of sample, folds)", "accuracy", "roc_auc", "log_loss", "sharpe"
    )?;
    let rows = report
        .models
        .iter()
        .map(|m| (m.model.as_str(), &m.mean))
        .chain(std::iter::once((
            "majority / buy and hold",
            &report.baseline,
        )));
    for (name, s) in rows {
        writeln!(
            out,
            "{:<30}{:>10}{:>10}{:>10}{:>10}",
            name,
            io::cell(s.accuracy, 4),
            io::cell(s.roc_auc, 4),
            io::cell(s.log_loss, 4),
            io::cell(s.sharpe, 4)
        )?;
    }
    let beaten: Vec<&str> = report
        .models
        .iter()
        .filter(|m| {
            m.mean.sharpe > report.baseline.sharpe
                && (m.mean.accuracy.is_nan() || m.mean.accuracy > report.baseline.accuracy)
        })
        .map(|m| m.model.as_str())
        .collect();
    writeln!(
        out,
        "sharpe: net of {} bps, each prediction held over the next bar, annualised with {:.1} bars a year (from the timestamps); baseline: the majority class's accuracy, buy and hold's Sharpe on the same test bars. {}",
        report.cost_bps,
        report.periods_per_year,
        if beaten.is_empty() {
            "No model beats the baseline on both.".to_string()
        } else {
            format!("Beating the baseline on both: {}.", beaten.join(", "))
        }
    )?;
    for m in &report.models {
        if let Some(paths) = &m.cpcv_path_sharpes {
            io::write_path_sharpes(
                &mut out,
                &m.model,
                paths,
                report.cpcv_buy_and_hold.unwrap_or(f64::NAN),
            )?;
        }
    }
    let log = args
        .trials
        .clone()
        .unwrap_or_else(|| args.out.join("trials.jsonl"));
    let counted = record_trials(
        &log,
        &args.input,
        "train",
        &config,
        report.periods_per_year,
        &report
            .models
            .iter()
            .map(|m| {
                let tested = m.oof.iter().filter(|p| !p.is_nan()).count();
                (format!("model:{}", m.model), m.out_of_fold.sharpe, tested)
            })
            .collect::<Vec<_>>(),
    )?;
    writeln!(out, "trials on this data in {}: {counted}", log.display())?;
    for m in &report.models {
        let path = args.out.join(format!("{}.tml", m.model));
        std::fs::write(&path, &m.blob)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let json = args.out.join("report.json");
    std::fs::write(&json, serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("cannot write {}", json.display()))?;
    if let Some(path) = &args.bundle {
        let bundle = build_bundle(&data, &config, &report)?;
        tickml_core::pipeline::Pipeline::<f64>::from_bundle(&bundle)
            .map_err(|e| anyhow::anyhow!("the bundle does not load: {e}"))?;
        std::fs::write(path, &bundle)
            .with_context(|| format!("cannot write {}", path.display()))?;
        writeln!(
            out,
            "wrote the bundle {} ({} bytes)",
            path.display(),
            bundle.len()
        )?;
    }
    writeln!(
        out,
        "wrote {} blobs and {} in {:.1} s",
        report.models.len(),
        json.display(),
        elapsed.as_secs_f64()
    )?;
    out.flush()?;
    Ok(())
}

/// Prints the ablation table.
pub fn run_ablation(args: &AblateArgs) -> anyhow::Result<()> {
    if args.groups != "families" {
        anyhow::bail!("--groups: only `families` is available");
    }
    let config = load_config(args.config.as_deref(), None)?;
    let records = load_input(&args.input, config.bar_rule()?)?;
    let data = config.dataset_of(&records)?;
    let bars: Vec<_> = records.iter().map(|r| r.bar).collect();
    // on stderr, drawn only when it is a terminal (indicatif hides it otherwise)
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("ablation [{bar:30}] {pos}/{len} cross-validations {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let rows = ablate_dataset(&data, &config, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    let log = args
        .trials
        .clone()
        .or_else(|| args.out.as_ref().map(|d| d.join("trials.jsonl")));
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let json = dir.join("ablation.json");
        std::fs::write(&json, serde_json::to_vec_pretty(&rows)?)
            .with_context(|| format!("cannot write {}", json.display()))?;
    }
    let counted = match &log {
        Some(log) => {
            let timestamps: Vec<i64> = bars.iter().map(|b| b.timestamp()).collect();
            let ppy = tickml_train::backtest::accounting::periods_per_year(&timestamps);
            let configurations: Vec<(String, f64, usize)> = rows
                .iter()
                .map(|r| (format!("without:{}", r.group), r.ablated_sharpe, 0))
                .collect();
            Some(record_trials(
                log,
                &args.input,
                "ablate",
                &config,
                ppy,
                &configurations,
            )?)
        }
        None => None,
    };
    let mut out = io::stdout();
    if let Some(first) = rows.first() {
        writeln!(
            out,
            "p-values: one-sided Nadeau-Bengio corrected resampled t-test over {} splits with disjoint test sets (NaN: undefined); p_bh: Benjamini-Hochberg across groups",
            first.splits
        )?;
    }
    writeln!(
        out,
        "{:<16}{:>9}{:>10}{:>10}{:>12}{:>9}{:>10}{:>10}",
        "group", "features", "baseline", "ablated", "importance", "pct", "p_value", "p_bh"
    )?;
    for r in rows {
        writeln!(
            out,
            "{:<16}{:>9}{:>10.4}{:>10.4}{:>12.4}{:>9.1}{:>10.4}{:>10.4}",
            r.group,
            r.features,
            r.baseline,
            r.ablated,
            r.importance,
            r.importance_pct,
            r.p_value,
            r.p_adjusted
        )?;
    }
    if let (Some(log), Some(n)) = (&log, counted) {
        writeln!(out, "trials on this data in {}: {n}", log.display())?;
    }
    out.flush()?;
    Ok(())
}
