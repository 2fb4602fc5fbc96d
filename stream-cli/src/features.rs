//! `tickml features`: bars in, one CSV row of features out per bar.

use std::io::Write;

use anyhow::Context;
use tickml_core::DefaultFeatureSet;
use tickml_train::data::BarReader;

use crate::io;

/// Arguments of `tickml features`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: io::FeatureInput,
}

/// Streams the input: header `timestamp,<feature names>`, then one row per bar with
/// empty cells while a feature warms up. Row k depends only on rows <= k. The first
/// bad row stops the command with its line number and reason.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let config = io::load_config(args.source.config.as_deref())?;
    let mut set = DefaultFeatureSet::<f64>::new(config).context("invalid feature configuration")?;
    let reader = BarReader::new(io::open_input(&args.source.input)?)?;
    let mut out = io::stdout();
    out.write_all(b"timestamp")?;
    for id in set.schema().ids() {
        write!(out, ",{id}")?;
    }
    out.write_all(b"\n")?;
    for record in reader {
        let record = record?;
        let features = set
            .update(&record.bar)
            .with_context(|| format!("line {}", record.line))?;
        out.write_all(record.timestamp_text.as_bytes())?;
        io::write_cells(&mut out, features.values())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
