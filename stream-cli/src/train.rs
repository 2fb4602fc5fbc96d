//! `tickml train` and `tickml ablate`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use tickml_train::data::load_bars;
use tickml_train::pipeline::{ablate, build_bundle, train, TrainConfig};

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
}

/// The training configuration at `path`, or the default.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<TrainConfig> {
    match path {
        None => Ok(TrainConfig::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            toml::from_str(&text)
                .with_context(|| format!("{}: invalid training configuration", p.display()))
        }
    }
}

fn cell(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else {
        format!("{v:.4}")
    }
}

/// Trains, prints a table per model, writes `<model>.tml` and `report.json` into `--out`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let config = load_config(args.config.as_deref())?;
    let bars: Vec<_> = load_bars(&args.input)?.into_iter().map(|r| r.bar).collect();
    let started = Instant::now();
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{msg:20} [{bar:30}] {pos}/{len} fits")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (data, report) = train(&bars, &config, &|model, done, total| {
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
    writeln!(
        out,
        "{:<22}{:>10}{:>10}{:>10}{:>10}",
        "model (mean of folds)", "accuracy", "roc_auc", "log_loss", "sharpe"
    )?;
    let rows = report
        .models
        .iter()
        .map(|m| (m.model.as_str(), &m.mean))
        .chain(std::iter::once(("prior (baseline)", &report.baseline)));
    for (name, s) in rows {
        writeln!(
            out,
            "{:<22}{:>10}{:>10}{:>10}{:>10}",
            name,
            cell(s.accuracy),
            cell(s.roc_auc),
            cell(s.log_loss),
            cell(s.sharpe)
        )?;
    }
    for m in &report.models {
        let path = args.out.join(format!("{}.tml", m.model));
        std::fs::write(&path, &m.blob)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let json = args.out.join("report.json");
    std::fs::write(&json, serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("cannot write {}", json.display()))?;
    if let Some(path) = &args.bundle {
        let bundle = build_bundle(&bars, &data, &config, &report)?;
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
    let config = load_config(args.config.as_deref())?;
    let bars: Vec<_> = load_bars(&args.input)?.into_iter().map(|r| r.bar).collect();
    let rows = ablate(&bars, &config)?;
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
    out.flush()?;
    Ok(())
}
