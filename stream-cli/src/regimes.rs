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

/// Prints `timestamp,regime,regime_confidence`, one row per bar.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let config = io::load_config(args.source.config.as_deref())?;
    let mut set = DefaultFeatureSet::<f64>::new(config).context("invalid feature configuration")?;
    let mut detector = match &args.hmm {
        Some(path) => {
            let blob =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            Detector::Hmm(
                HmmDetector::new(&blob, set.schema())
                    .with_context(|| format!("{}", path.display()))?,
            )
        }
        None => Detector::Rules(RuleDetector::new(RuleConfig::default(), set.schema())?),
    };
    let mut out = io::stdout();
    out.write_all(b"timestamp,regime,regime_confidence\n")?;
    for record in BarReader::new(io::open_input(&args.source.input)?)? {
        let record = record?;
        let features = set
            .update(&record.bar)
            .with_context(|| format!("line {}", record.line))?;
        let state = detector.update(features.values());
        writeln!(
            out,
            "{},{},{}",
            record.timestamp_text,
            state.regime.name(),
            state.confidence
        )?;
    }
    out.flush()?;
    Ok(())
}
