//! `tickml features`: bars in, one CSV row of features out per bar.

use std::io::Write;

use anyhow::Context;
use tickml_core::DefaultFeatureSet;
use tickml_train::data::{bars_from_trades, parse_bar_rule, read_trades, BarReader, BarRecord};

use crate::io;

/// Arguments of `tickml features`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: io::FeatureInput,
    /// The input is trades (`timestamp,price,size[,side]`), made into bars by this rule
    /// (as `tickml bars`).
    #[arg(long)]
    bars: Option<String>,
}

/// Streams the input: header `timestamp,<feature names>`, then one row per bar with
/// empty cells while a feature warms up. Row k depends only on rows <= k. The first
/// bad row stops the command with its line number and reason.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let config = io::load_config(args.source.config.as_deref())?;
    let mut set = DefaultFeatureSet::<f64>::new(config).context("invalid feature configuration")?;
    let input = io::open_input(&args.source.input)?;
    let records: Box<dyn Iterator<Item = Result<BarRecord, tickml_train::data::DataError>>> =
        match &args.bars {
            None => Box::new(BarReader::new(input)?),
            Some(rule) => Box::new(
                bars_from_trades(&read_trades(input)?, parse_bar_rule(rule)?)?
                    .into_iter()
                    .map(Ok),
            ),
        };
    let mut out = io::stdout();
    out.write_all(b"timestamp")?;
    for id in set.schema().ids() {
        write!(out, ",{id}")?;
    }
    out.write_all(b"\n")?;
    for record in records {
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
