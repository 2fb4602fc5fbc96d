//! `tickml._core.LivePipeline`: a deployed bundle's `Pipeline::on_bar`, one bar at a
//! time or over a whole history, with the core's snapshots for pickling.

use std::sync::Mutex;

use numpy::ndarray::Array2;
use numpy::IntoPyArray;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use tickml_core::model::ScorerRecord;
use tickml_core::pipeline::{Decision, Pipeline, PipelineError};

use crate::arbitrator::{result_dict, summary_list};
use crate::{bar, BarColumns};

/// A fresh pipeline of each bundle in use, its trees laid out (`Pipeline::lay_out_trees`), kept
/// for the life of the process: a `Pipeline` borrows its bundle's bytes and its layout
/// (the core never copies models or allocates), and a Python object cannot lend to
/// itself, so both are kept here and each new pipeline is a clone of its bundle's.
static TEMPLATES: Mutex<Vec<(&'static [u8], Pipeline<'static, f64>)>> = Mutex::new(Vec::new());

fn fresh_pipeline(bundle: Vec<u8>) -> Result<Pipeline<'static, f64>, PipelineError> {
    let mut kept = TEMPLATES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, template)) = kept.iter().find(|(b, _)| *b == bundle.as_slice()) {
        return Ok(template.clone());
    }
    let needed = Pipeline::<f64>::from_bundle(&bundle)?.scorer_records_needed();
    let bytes: &'static [u8] = Box::leak(bundle.into_boxed_slice());
    let records = Box::leak(vec![ScorerRecord::default(); needed].into_boxed_slice());
    let mut template = Pipeline::<f64>::from_bundle(bytes)?;
    template.lay_out_trees(records)?;
    kept.push((bytes, template.clone()));
    Ok(template)
}

fn bad_bundle(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("bad bundle: {e}"))
}

/// The pipeline of one bundle (one series; a universe bundle is refused).
#[pyclass(module = "tickml._core")]
pub struct LivePipeline {
    inner: Pipeline<'static, f64>,
}

impl LivePipeline {
    fn snapshot_bytes(&self) -> PyResult<Vec<u8>> {
        let mut size = 1 << 16;
        loop {
            let mut buf = vec![0u8; size];
            match self.inner.snapshot(&mut buf) {
                Ok(used) => return Ok(used.to_vec()),
                Err(_) if size < 1 << 24 => size *= 2,
                Err(e) => return Err(PyValueError::new_err(e.to_string())),
            }
        }
    }
}

#[pymethods]
impl LivePipeline {
    /// Decodes and checks `bundle` (`ValueError` with the core's reason).
    #[new]
    fn new(bundle: Vec<u8>) -> PyResult<Self> {
        let inner = fresh_pipeline(bundle).map_err(bad_bundle)?;
        if !inner.universe().is_empty() {
            return Err(PyValueError::new_err(
                "the bundle declares a universe: replay it with `tickml stream`",
            ));
        }
        Ok(LivePipeline { inner })
    }

    /// The base models' names, bundle order.
    fn model_names(&self) -> Vec<String> {
        self.inner
            .model_names()
            .iter()
            .map(|n| n.to_string())
            .collect()
    }

    /// One bar: the decision as the design's dict plus `timestamp` and `predictions`
    /// (bundle order). A refused bar changes nothing.
    #[allow(clippy::too_many_arguments)]
    fn on_bar<'py>(
        &mut self,
        py: Python<'py>,
        timestamp: i64,
        open: f64,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let b = bar(0, timestamp, open, high, low, close, volume)?;
        let d = self
            .inner
            .on_bar(&b)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let out = result_dict(py, &d.arbitration)?;
        out.set_item("timestamp", d.timestamp)?;
        out.set_item("predictions", d.predictions.to_vec())?;
        Ok(out)
    }

    /// Every bar of the columns through `on_bar`, continuing from this pipeline's state:
    /// a dict of columns (`predictions` and `weights` are rows x models). All or
    /// nothing: on a refused row the state is as before the call. The GIL is released
    /// while the pipeline runs.
    fn stream<'py>(
        &mut self,
        py: Python<'py>,
        bars: BarColumns<'py>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let bars = bars.bars()?;
        let before = self.snapshot_bytes()?;
        let pipeline = &mut self.inner;
        let decisions = py.detach(|| {
            bars.iter()
                .enumerate()
                .map(|(i, b)| pipeline.on_bar(b).map_err(|e| format!("row {i}: {e}")))
                .collect::<Result<Vec<_>, _>>()
        });
        let decisions = match decisions {
            Ok(d) => d,
            Err(e) => {
                self.inner
                    .restore(&before)
                    .map_err(|e| PyValueError::new_err(e.to_string()))?;
                return Err(PyValueError::new_err(e));
            }
        };
        decision_columns(py, &decisions)
    }

    /// The design's `get_strategy_summary()` of the bundle's arbitrator.
    fn strategy_summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        summary_list(py, &self.inner.strategy_summary())
    }

    /// The pipeline's state (features, regime, arbitrator) as the core's postcard
    /// snapshot.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.snapshot_bytes()?))
    }

    /// Restores a snapshot of a pipeline of the same bundle; nothing changes on an error.
    fn restore(&mut self, snapshot: &[u8]) -> PyResult<()> {
        self.inner
            .restore(snapshot)
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }
}

/// The decisions as columns: the numbers of `tickml stream --format csv`.
fn decision_columns<'py>(
    py: Python<'py>,
    decisions: &[Decision<f64>],
) -> PyResult<Bound<'py, PyDict>> {
    let n = decisions.len();
    let m = decisions.first().map_or(0, |d| d.predictions.len());
    let matrix = |f: &dyn Fn(&Decision<f64>) -> Vec<f64>| {
        let values: Vec<f64> = decisions.iter().flat_map(f).collect();
        Array2::from_shape_vec((n, m), values).map_err(|e| PyValueError::new_err(e.to_string()))
    };
    let column =
        |f: &dyn Fn(&Decision<f64>) -> f64| -> Vec<f64> { decisions.iter().map(f).collect() };
    let names = |f: &dyn Fn(&Decision<f64>) -> &'static str| -> Vec<&str> {
        decisions.iter().map(f).collect()
    };
    let out = PyDict::new(py);
    out.set_item(
        "predictions",
        matrix(&|d| d.predictions.to_vec())?.into_pyarray(py),
    )?;
    out.set_item("signal", names(&|d| d.arbitration.signal.name()))?;
    out.set_item("confidence", column(&|d| d.arbitration.confidence))?;
    out.set_item(
        "weighted_signal",
        column(&|d| d.arbitration.weighted_signal),
    )?;
    out.set_item(
        "signal_source",
        names(&|d| d.arbitration.signal_source.name()),
    )?;
    out.set_item("weighted_sum", column(&|d| d.arbitration.weighted_sum))?;
    out.set_item(
        "meta_signal",
        column(&|d| d.arbitration.meta_signal.unwrap_or(f64::NAN)),
    )?;
    out.set_item(
        "signal_strength",
        column(&|d| d.arbitration.signal_strength),
    )?;
    out.set_item(
        "consensus_ratio",
        column(&|d| d.arbitration.consensus_ratio),
    )?;
    out.set_item(
        "n_active_strategies",
        decisions
            .iter()
            .map(|d| d.arbitration.n_active_strategies)
            .collect::<Vec<_>>(),
    )?;
    out.set_item("regime", names(&|d| d.arbitration.regime.name()))?;
    out.set_item(
        "regime_confidence",
        column(&|d| d.arbitration.regime_confidence),
    )?;
    out.set_item(
        "weights",
        matrix(&|d| {
            d.arbitration
                .strategy_breakdown
                .iter()
                .map(|b| b.weight)
                .collect()
        })?
        .into_pyarray(py),
    )?;
    Ok(out)
}
