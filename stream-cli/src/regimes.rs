//! `tickml regimes`: bars in, the detected regime per bar out.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use tickml_core::regime::{Detector, HmmDetector, RegimeDetector, RuleConfig, RuleDetector};
use tickml_core::DefaultFeatureSet;
use tickml_train::data::BarReader;

use crate::io;

/// Arguments of `tickml regimes`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: io::FeatureInput,
    /// A Gaussian-HMM blob: use the HMM forward filter instead of the rules.
    #[arg(long)]
    hmm: Option<PathBuf>,
}

/// Prints `timestamp,regime,regime_confidence`, one row per bar (for a universe,
/// `timestamp,symbol,...`, each symbol's own detector).
pub fn run(args: &Args) -> anyhow::Result<()> {
    let config = io::load_config(args.source.config.as_deref())?;
    let set = DefaultFeatureSet::<f64>::new(config).context("invalid feature configuration")?;
    let hmm = args
        .hmm
        .as_ref()
        .map(|path| std::fs::read(path).with_context(|| format!("cannot read {}", path.display())))
        .transpose()?;
    let schema = set.schema().clone();
    let detector = || -> anyhow::Result<Detector<f64>> {
        Ok(match &hmm {
            Some(blob) => Detector::Hmm(HmmDetector::new(blob, &schema).with_context(|| {
                args.hmm
                    .as_ref()
                    .map_or(String::new(), |p| p.display().to_string())
            })?),
            None => Detector::Rules(RuleDetector::new(RuleConfig::default(), &schema)?),
        })
    };
    // one engine and one detector per symbol (one of each for a single series), each
    // timestamp of a universe ranked together
    let mut engines = io::Engines::default();
    let mut detectors: Vec<Detector<f64>> = Vec::new();
    let mut out = io::stdout();
    let mut started = false;
    for batch in io::Timestamps::new(BarReader::new(io::open_input(&args.source.input)?)?) {
        let batch = batch?;
        let universe = batch[0].symbol.is_some();
        if !started {
            out.write_all(if universe {
                b"timestamp,symbol,regime,regime_confidence\n"
            } else {
                b"timestamp,regime,regime_confidence\n"
            })?;
            started = true;
        }
        for (record, i) in batch.iter().zip(engines.update(set.config(), &batch)?) {
            while detectors.len() <= i {
                detectors.push(detector()?);
            }
            let state = detectors[i].update(engines.get(i).features().values());
            out.write_all(record.timestamp_text.as_bytes())?;
            if let Some(symbol) = &record.symbol {
                write!(out, ",{symbol}")?;
            }
            writeln!(out, ",{},{}", state.regime.name(), state.confidence)?;
        }
    }
    out.flush()?;
    Ok(())
}
