//! `tickml import`, `tickml predict` and `tickml inspect`: model files in, blobs out,
//! predictions from blobs.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use tickml_core::model::{Model, ModelBlob};
use tickml_train::import::{lightgbm, xgboost};
use tickml_train::models::RowPredictor;

use crate::io;

/// The library a model file comes from.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Library {
    /// LightGBM v4 text model (`save_model("m.txt")`).
    Lightgbm,
    /// XGBoost 2.x/3.x JSON model (`save_model("m.json")`).
    Xgboost,
}

/// Arguments of `tickml import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// Which library wrote the model.
    library: Library,
    /// The model file.
    model: PathBuf,
    /// Where to write the blob.
    #[arg(long)]
    out: PathBuf,
}

/// Converts a LightGBM or XGBoost model into a blob.
pub fn import(args: &ImportArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.model)
        .with_context(|| format!("cannot read {}", args.model.display()))?;
    let spec = match args.library {
        Library::Lightgbm => lightgbm::parse(&text),
        Library::Xgboost => xgboost::parse(&text),
    }
    .with_context(|| format!("{}", args.model.display()))?;
    let blob = spec.to_blob(0)?;
    Model::from_blob(&blob).context("the encoded blob does not load (a bug)")?;
    std::fs::write(&args.out, &blob)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!(
        "{} -> {}: {} trees, {} features, {} bytes",
        args.model.display(),
        args.out.display(),
        spec.trees.len(),
        spec.feature_names.len(),
        blob.len()
    );
    Ok(())
}

/// Arguments of `tickml predict`.
#[derive(clap::Args)]
pub struct PredictArgs {
    /// The model blob.
    #[arg(long)]
    model: PathBuf,
    /// CSV whose header names the features (extra columns ignored), or `-`.
    #[arg(long, default_value = "-")]
    input: String,
}

fn read_blob(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// `%.17g`: 17 significant digits, trailing zeros dropped.
pub fn g17(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let sci = format!("{v:.16e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-5..17).contains(&exp) {
        let fixed = format!("{:.*}", (16 - exp).max(0) as usize, v);
        if fixed.contains('.') {
            fixed
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        } else {
            fixed
        }
    } else {
        let m = mantissa.trim_end_matches('0').trim_end_matches('.');
        format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}

/// One prediction per row: the probability for binary models, comma-separated class
/// probabilities for multiclass, 17 significant digits. Empty cells and `nan` are missing.
/// Rows are scored in batches ([`RowPredictor`]); a line that is not a row of numbers
/// stops the command with its line number, after the predictions of every line before
/// it.
pub fn predict(args: &PredictArgs) -> anyhow::Result<()> {
    let blob = read_blob(&args.model)?;
    let model = Model::from_blob(&blob).with_context(|| format!("{}", args.model.display()))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(io::open_input(&args.input)?);
    let header = reader
        .headers()
        .context("line 1: cannot read the header")?
        .clone();
    let columns: Vec<usize> = model
        .feature_names()
        .map(|name| {
            header
                .iter()
                .position(|h| h == name)
                .with_context(|| format!("the input has no column `{name}`"))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut buf = Vec::new();
    let predictor = RowPredictor::new(model, &mut buf);
    let mut rows: Vec<f64> = Vec::with_capacity(PREDICT_ROWS * columns.len());
    let mut out = io::stdout();
    let read = (|| -> anyhow::Result<()> {
        for record in reader.records() {
            let record = record.context("malformed CSV")?;
            let line = record.position().map_or(0, |p| p.line());
            for &c in &columns {
                let cell = record.get(c).unwrap_or("");
                rows.push(if cell.is_empty() {
                    f64::NAN
                } else {
                    match cell.parse() {
                        Ok(v) => v,
                        Err(_) => bail!(
                            "line {line}: `{cell}` in column `{}` is not a number",
                            header.get(c).unwrap_or("?")
                        ),
                    }
                });
            }
            if rows.len() == PREDICT_ROWS * columns.len() {
                write_predictions(&predictor, &mut rows, &mut out)?;
            }
        }
        Ok(())
    })();
    // the whole rows before a bad line are still predicted
    rows.truncate(rows.len() - rows.len() % columns.len().max(1));
    write_predictions(&predictor, &mut rows, &mut out)?;
    out.flush()?;
    read
}

/// Rows `tickml predict` scores in one `predict_many` call.
const PREDICT_ROWS: usize = 4096;

/// Writes the predictions of `rows` (then emptied), one line a row.
fn write_predictions(
    predictor: &RowPredictor<'_>,
    rows: &mut Vec<f64>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let model = predictor.model();
    let k = model.outputs();
    let mut y = vec![0.0; rows.len() / model.feature_count().max(1) * k];
    predictor.predict_many(rows, &mut y)?;
    for p in y.chunks_exact(k) {
        let cells: Vec<String> = p.iter().map(|&v| g17(v)).collect();
        writeln!(out, "{}", cells.join(","))?;
    }
    rows.clear();
    Ok(())
}

/// Arguments of `tickml inspect`.
#[derive(clap::Args)]
pub struct InspectArgs {
    /// A blob.
    blob: PathBuf,
}

/// Arguments of `tickml codegen`.
#[derive(clap::Args)]
pub struct CodegenArgs {
    /// A tree-ensemble blob (`tickml import`, `tickml train`).
    blob: PathBuf,
}

/// Prints the Rust source of a tree-ensemble blob (`tickml_train::codegen`): include it
/// in a tick handler's build (`include!`); `predict(&[f64; N]) -> [f64; K]` is exactly
/// the blob's prediction.
pub fn codegen(args: &CodegenArgs) -> anyhow::Result<()> {
    let bytes = read_blob(&args.blob)?;
    let source = tickml_train::codegen::tree_source(&bytes)
        .with_context(|| format!("{}", args.blob.display()))?;
    let mut out = io::stdout();
    out.write_all(source.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Describes a blob: kind, version, features, trees and nodes, link, CRC.
pub fn inspect(args: &InspectArgs) -> anyhow::Result<()> {
    let bytes = read_blob(&args.blob)?;
    let mut out = io::stdout();
    let header = match ModelBlob::parse(&bytes) {
        Ok(blob) => *blob.header(),
        Err(e) => {
            writeln!(out, "file: {}\nvalid: no ({e})", args.blob.display())?;
            out.flush()?;
            bail!("{}: {e}", args.blob.display());
        }
    };
    writeln!(out, "file: {}", args.blob.display())?;
    writeln!(out, "kind: {:?}", header.kind)?;
    writeln!(out, "format version: {}", header.version)?;
    writeln!(out, "bytes: {}", bytes.len())?;
    writeln!(out, "crc32: {:#010x} (holds)", header.crc)?;
    writeln!(out, "schema hash: {:#018x}", header.schema_hash)?;
    if header.kind == tickml_core::model::BlobKind::Bundle {
        return inspect_bundle(&bytes, &mut out);
    }
    let model = Model::from_blob(&bytes)?;
    match &model {
        Model::Trees(t) => {
            writeln!(out, "trees: {}", t.tree_count())?;
            writeln!(out, "internal nodes: {}", t.node_count())?;
            writeln!(out, "leaves: {}", t.leaf_count())?;
            writeln!(out, "threshold width: {:?}", t.payload().threshold_width)?;
            writeln!(out, "aggregation: {:?}", t.payload().aggregation)?;
        }
        Model::Linear(_) => {}
    }
    writeln!(out, "outputs: {}", model.outputs())?;
    writeln!(out, "link: {:?}", model.link())?;
    let names: Vec<&str> = model.feature_names().collect();
    writeln!(out, "features ({}): {}", names.len(), names.join(","))?;
    out.flush()?;
    Ok(())
}

/// The bundle part of `inspect`: its models, detector, arbitrator and meta-learner.
fn inspect_bundle(bytes: &[u8], out: &mut impl Write) -> anyhow::Result<()> {
    use tickml_core::pipeline::{BundlePayload, RegimeSpec};
    let blob = ModelBlob::parse(bytes)?;
    let payload: BundlePayload =
        postcard::from_bytes(blob.payload()).context("bundle payload does not decode")?;
    let pipeline = tickml_core::pipeline::Pipeline::<f64>::from_bundle(bytes)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    writeln!(
        out,
        "features: {} (schema hash {:#018x})",
        pipeline.feature_set().schema().len(),
        pipeline.feature_set().schema().hash()
    )?;
    for m in payload.models.iter() {
        let model = Model::from_blob(m.blob)?;
        let shape = match &model {
            Model::Trees(t) => format!(
                "{} trees, {} internal nodes, {} leaves",
                t.tree_count(),
                t.node_count(),
                t.leaf_count()
            ),
            Model::Linear(_) => "linear".to_string(),
        };
        writeln!(
            out,
            "strategy {}: {} ({:?}), {}, {} features, link {:?}, predicts {}, {} bytes",
            m.strategy_id,
            m.name,
            m.family,
            shape,
            model.feature_count(),
            model.link(),
            if m.probability {
                "a probability"
            } else {
                "a value"
            },
            m.blob.len()
        )?;
    }
    match payload.regime {
        RegimeSpec::Rules(r) => writeln!(out, "regime: rules {r:?}")?,
        RegimeSpec::Hmm(b) => writeln!(out, "regime: Gaussian HMM ({} bytes)", b.len())?,
    }
    writeln!(out, "arbitrator: {:?}", payload.arbitrator)?;
    writeln!(
        out,
        "meta-learner: {}",
        payload
            .meta_learner
            .map_or("none".to_string(), |m| format!("linear, {} bytes", m.len()))
    )?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::g17;

    #[test]
    fn seventeen_significant_digits() {
        assert_eq!(g17(0.1), "0.10000000000000001");
        assert_eq!(g17(1.0), "1");
        assert_eq!(g17(123456.5), "123456.5");
        assert_eq!(g17(1e-7), "9.9999999999999995e-08");
        assert_eq!(g17(2.5e20), "2.5e+20");
        for v in [
            0.8970007609140774,
            1e-300,
            3.0e-5,
            7.25,
            -0.0292005389928817,
        ] {
            assert_eq!(g17(v).parse::<f64>().unwrap(), v);
        }
    }
}
