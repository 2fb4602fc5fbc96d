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
    let set = DefaultFeatureSet::<f64>::new(config).context("invalid feature configuration")?;
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
    let mut engines = io::Engines::default();
    let names: Vec<String> = set.schema().ids().iter().map(|id| id.to_string()).collect();
    let header = |out: &mut dyn Write, universe: bool| -> std::io::Result<()> {
        out.write_all(if universe {
            b"timestamp,symbol"
        } else {
            b"timestamp"
        })?;
        for name in &names {
            write!(out, ",{name}")?;
        }
        out.write_all(b"\n")
    };
    let mut started = false;
    for batch in io::Timestamps::new(records) {
        let batch = batch?;
        let universe = batch[0].symbol.is_some();
        if !started {
            header(&mut out, universe)?;
            started = true;
        }
        let engines_of = engines.update(set.config(), &batch)?;
        for (record, i) in batch.iter().zip(engines_of) {
            out.write_all(record.timestamp_text.as_bytes())?;
            if let Some(symbol) = &record.symbol {
                write!(out, ",{symbol}")?;
            }
            io::write_cells(&mut out, engines.get(i).features().values())?;
            out.write_all(b"\n")?;
        }
    }
    if !started {
        header(&mut out, false)?;
    }
    out.flush()?;
    Ok(())
}
