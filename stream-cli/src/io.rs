//! Input and output plumbing shared by the commands.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use anyhow::Context;
use tickml_core::FeatureConfig;

/// The bars a feature-engine command reads, and its feature configuration.
#[derive(clap::Args)]
pub struct FeatureInput {
    /// OHLCV CSV (`timestamp,open,high,low,close,volume`), or `-` for standard input.
    #[arg(long, default_value = "-")]
    pub input: String,
    /// Feature configuration (TOML, fields of `FeatureConfig`); the default set without it.
    #[arg(long)]
    pub config: Option<std::path::PathBuf>,
}

/// Opens `path`, or standard input for `-`.
pub fn open_input(path: &str) -> anyhow::Result<Box<dyn Read>> {
    if path == "-" {
        Ok(Box::new(BufReader::new(io::stdin().lock())))
    } else {
        let file = File::open(path).with_context(|| format!("cannot open {path}"))?;
        Ok(Box::new(BufReader::new(file)))
    }
}

/// Buffered standard output.
pub fn stdout() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::with_capacity(1 << 16, io::stdout().lock())
}

/// Reads a feature configuration from TOML; the default set without a path.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<FeatureConfig> {
    let Some(path) = path else {
        return Ok(FeatureConfig::default());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("{}: invalid feature configuration", path.display()))
}

/// True when the error is a closed downstream pipe (`tickml ... | head`): not a failure.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

/// Writes `values` as CSV cells: empty for NaN, shortest round-trip decimal otherwise.
pub fn write_cells(out: &mut impl Write, values: &[f64]) -> io::Result<()> {
    for v in values {
        if v.is_nan() {
            out.write_all(b",")?;
        } else {
            write!(out, ",{v}")?;
        }
    }
    Ok(())
}

/// One line summarising a model's CPCV backtest paths (annualised net Sharpe ratios)
/// beside buy and hold on the same samples.
pub fn write_path_sharpes(
    out: &mut impl Write,
    model: &str,
    sharpes: &[f64],
    buy_and_hold: f64,
) -> io::Result<()> {
    let mean = sharpes.iter().sum::<f64>() / sharpes.len().max(1) as f64;
    let (lo, hi) = sharpes
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    writeln!(
        out,
        "CPCV backtest paths ({model}): {} paths, annualised net Sharpe mean {mean:.3}, min {lo:.3}, max {hi:.3} (buy and hold on the same samples {buy_and_hold:.3})",
        sharpes.len()
    )
}

/// A table cell: `v` with `digits` decimals, `-` for NaN.
pub fn cell(v: f64, digits: usize) -> String {
    if v.is_nan() {
        "-".into()
    } else {
        format!("{v:.digits$}")
    }
}
