//! `tickml._core.BacktestPlan`: the train crate's walk-forward backtest of the live
//! pipeline split into its windows, so each window can run anywhere (a thread, a Dask
//! task) and the report is assembled from their runs exactly as `tickml backtest`
//! assembles it.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use tickml_core::Bar;
use tickml_train::backtest::{self, BacktestConfig, Plan, WindowRun};

use crate::BarColumns;

fn err(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A backtest's configuration, bars and walk-forward windows.
#[pyclass(module = "tickml._core")]
pub struct BacktestPlan {
    config: BacktestConfig,
    bars: Vec<Bar<f64>>,
    plan: Plan,
}

#[pymethods]
impl BacktestPlan {
    /// `config`: the `BacktestConfig` as JSON (`{}`: the defaults of `tickml
    /// backtest`); one series of bars in time order. The GIL is released while the
    /// features and the schedule are computed.
    #[new]
    fn new(py: Python<'_>, config: &str, bars: BarColumns<'_>) -> PyResult<Self> {
        let config: BacktestConfig = serde_json::from_str(config)
            .map_err(|e| PyValueError::new_err(format!("invalid backtest configuration: {e}")))?;
        let bars = bars.bars()?;
        let plan = py.detach(|| backtest::plan(&bars, &config)).map_err(err)?;
        Ok(BacktestPlan { config, bars, plan })
    }

    /// Number of walk-forward windows.
    fn windows(&self) -> usize {
        self.plan.windows.len()
    }

    /// Runs window `k`: trains its models on the bars before it, decides its bars
    /// through their bundles; the run as postcard bytes for `assemble`. The GIL is
    /// released while it runs.
    fn run_window<'py>(&self, py: Python<'py>, k: usize) -> PyResult<Bound<'py, PyBytes>> {
        let retrain = self.plan.windows.get(k).ok_or_else(|| {
            PyValueError::new_err(format!("window {k} of {}", self.plan.windows.len()))
        })?;
        let run = py
            .detach(|| backtest::run_window(&self.bars, &self.config, &self.plan, retrain))
            .map_err(err)?;
        let bytes = postcard::to_allocvec(&run).map_err(err)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The report from every window's run, in window order: `tickml backtest`'s
    /// report.json before the trial log deflates it (JSON text).
    fn assemble(&self, py: Python<'_>, runs: Vec<Vec<u8>>) -> PyResult<String> {
        let runs = runs
            .iter()
            .map(|b| postcard::from_bytes::<WindowRun>(b).map_err(err))
            .collect::<PyResult<Vec<_>>>()?;
        py.detach(|| {
            let bt = backtest::assemble(&self.bars, &self.config, &self.plan, runs)
                .map_err(|e| e.to_string())?;
            serde_json::to_string(&bt).map_err(|e| e.to_string())
        })
        .map_err(PyValueError::new_err)
    }
}
