//! Input and output plumbing shared by the commands.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use anyhow::Context;
use tickml_core::FeatureConfig;
use tickml_train::data::BarRecord;

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

/// The records of a universe file grouped by timestamp as they arrive (rows in time
/// order: a timestamp before the previous one is an error naming its line); one
/// series (no symbol column): every record alone.
pub struct Timestamps<I: Iterator> {
    records: std::iter::Peekable<I>,
    last: Option<i64>,
}

impl<I> Timestamps<I>
where
    I: Iterator<Item = Result<BarRecord, tickml_train::data::DataError>>,
{
    /// Groups `records`.
    pub fn new(records: I) -> Self {
        Timestamps {
            records: records.peekable(),
            last: None,
        }
    }
}

impl<I> Iterator for Timestamps<I>
where
    I: Iterator<Item = Result<BarRecord, tickml_train::data::DataError>>,
{
    type Item = anyhow::Result<Vec<BarRecord>>;

    fn next(&mut self) -> Option<Self::Item> {
        let first = match self.records.next()? {
            Ok(r) => r,
            Err(e) => return Some(Err(e.into())),
        };
        let ts = first.bar.timestamp();
        if first.symbol.is_some() && self.last.is_some_and(|last| ts < last) {
            return Some(Err(anyhow::anyhow!(
                "line {}: rows are not in time order (a timestamp before the previous row's)",
                first.line
            )));
        }
        self.last = Some(ts);
        let mut batch = vec![first];
        while batch[0].symbol.is_some() {
            match self.records.peek() {
                Some(Ok(r)) if r.bar.timestamp() == ts => {}
                _ => break,
            }
            if let Some(Ok(r)) = self.records.next() {
                batch.push(r);
            }
        }
        Some(Ok(batch))
    }
}

/// One feature engine per symbol of a universe, created as symbols appear (or one
/// for a single series).
#[derive(Default)]
pub struct Engines {
    sets: Vec<Box<tickml_core::DefaultFeatureSet<f64>>>,
    index: std::collections::HashMap<String, usize>,
}

impl Engines {
    /// Takes one timestamp's records ([`tickml_train::cross_section::update_cross_section`])
    /// and returns each record's engine index. One series (no symbol) is not ranked: its
    /// cross-sectional features stay absent.
    pub fn update(
        &mut self,
        config: &FeatureConfig,
        batch: &[BarRecord],
    ) -> anyhow::Result<Vec<usize>> {
        if let [record @ BarRecord { symbol: None, .. }] = batch {
            if self.sets.is_empty() {
                self.sets.push(Box::new(tickml_core::DefaultFeatureSet::new(
                    config.clone(),
                )?));
            }
            self.sets[0]
                .update(&record.bar)
                .with_context(|| format!("line {}", record.line))?;
            return Ok(vec![0]);
        }
        let mut members = Vec::with_capacity(batch.len());
        for r in batch {
            let name = r.symbol.as_deref().unwrap_or("");
            let i = match self.index.get(name) {
                Some(&i) => i,
                None => {
                    self.sets.push(Box::new(tickml_core::DefaultFeatureSet::new(
                        config.clone(),
                    )?));
                    self.index.insert(name.to_string(), self.sets.len() - 1);
                    self.sets.len() - 1
                }
            };
            members.push((i, name, r.bar));
        }
        tickml_train::cross_section::update_cross_section(&mut self.sets, &members)
            .with_context(|| format!("line {}", batch[0].line))?;
        Ok(members.iter().map(|m| m.0).collect())
    }

    /// Engine `i`.
    pub fn get(&self, i: usize) -> &tickml_core::DefaultFeatureSet<f64> {
        &self.sets[i]
    }
}
