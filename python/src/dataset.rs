//! `tickml._core.TrainingData`: the train crate's dataset of a `train.toml`
//! configuration (features through the core, scale-free inputs, labels with their end
//! bars, uniqueness weights), its CV splits, fold preparation and scoring: what `tickml
//! train` computes, so an `MLPipeline` fitting any estimator from Python scores as the
//! command line does.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tickml_core::{Bar, FeatureConfig};
use tickml_train::backtest::accounting::account_held;
use tickml_train::data::BarRecord;
use tickml_train::dataset::Dataset;
use tickml_train::evaluate::{position, score_samples};
use tickml_train::models::Task;
use tickml_train::pipeline::TrainConfig;

use crate::BarColumns;

fn err(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A training run's dataset, as `tickml train --config` builds it.
#[pyclass(module = "tickml._core")]
pub struct TrainingData {
    config: TrainConfig,
    data: Dataset,
    task: Task,
    bars: Vec<Bar<f64>>,
}

impl TrainingData {
    /// The dataset, the bars it was computed from and their feature configuration.
    pub(crate) fn parts(&self) -> (&Dataset, &[Bar<f64>], &FeatureConfig, Task) {
        (&self.data, &self.bars, &self.config.features, self.task)
    }

    fn rows(&self, rows: &[usize]) -> PyResult<()> {
        match rows.iter().find(|&&r| r >= self.data.len()) {
            Some(r) => Err(PyValueError::new_err(format!(
                "sample {r} is past the {} samples",
                self.data.len()
            ))),
            None => Ok(()),
        }
    }

    fn matrix<'py>(
        &self,
        py: Python<'py>,
        values: Vec<f64>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let cols = self.data.width();
        Ok(
            Array2::from_shape_vec((values.len() / cols.max(1), cols), values)
                .map_err(err)?
                .into_pyarray(py),
        )
    }
}

#[pymethods]
impl TrainingData {
    /// `config`: `train.toml` text (empty: the defaults); bars as columns, in time order.
    /// The GIL is released while features and labels are computed.
    #[new]
    fn new(py: Python<'_>, config: &str, bars: BarColumns<'_>) -> PyResult<Self> {
        let config: TrainConfig = toml::from_str(config)
            .map_err(|e| PyValueError::new_err(format!("invalid training configuration: {e}")))?;
        let bars = bars.bars()?;
        let (data, task) = py
            .detach(|| -> Result<(Dataset, Task), String> {
                let (task, _) = config.task().map_err(|e| e.to_string())?;
                let records: Vec<BarRecord> = bars
                    .iter()
                    .enumerate()
                    .map(|(i, bar)| BarRecord {
                        line: i as u64,
                        timestamp_text: String::new(),
                        symbol: None,
                        bar: *bar,
                    })
                    .collect();
                let data = config.dataset_of(&records).map_err(|e| e.to_string())?;
                Ok((data, task))
            })
            .map_err(PyValueError::new_err)?;
        Ok(TrainingData {
            config,
            data,
            task,
            bars,
        })
    }

    /// `classification` or `regression`.
    fn task(&self) -> &'static str {
        match self.task {
            Task::Classification => "classification",
            Task::Regression => "regression",
        }
    }

    /// The model inputs' names.
    fn names(&self) -> Vec<String> {
        self.data.names.clone()
    }

    /// The configured models' names (`models` in `train.toml`).
    fn model_types(&self) -> Vec<String> {
        self.config.models.clone()
    }

    /// The `[model]` table as TOML (the learners' hyper-parameters).
    fn model_config(&self) -> PyResult<String> {
        toml::to_string(&self.config.model).map_err(err)
    }

    /// Samples x inputs, NaN where a value is missing.
    fn x<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        self.matrix(py, self.data.x.clone())
    }

    /// The targets (0/1 for direction, the forward return for return).
    fn y<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.data.y.clone().into_pyarray(py)
    }

    /// Each sample's bar time (unix ns).
    fn timestamps<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        self.data.timestamps.clone().into_pyarray(py)
    }

    /// Each label's first and last bar, as bar positions in the input.
    fn labels(&self) -> (Vec<usize>, Vec<usize>) {
        (self.data.labels.t0.clone(), self.data.labels.t1.clone())
    }

    /// The samples' weights (average uniqueness), None when the run does not weigh.
    fn weights<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<f64>>> {
        self.data.weights.clone().map(|w| w.into_pyarray(py))
    }

    /// The configured CV scheme's splits of the samples (train, test).
    fn splits(&self) -> PyResult<Vec<(Vec<usize>, Vec<usize>)>> {
        Ok(self
            .config
            .cv
            .splits(&self.data)
            .map_err(err)?
            .into_iter()
            .map(|s| (s.train, s.test))
            .collect())
    }

    /// A fold for a fit: (training inputs, targets, weights rescaled to mean 1 or None,
    /// test inputs, test targets), with any training-fold transform (quantile edges,
    /// PCA neutralisation) fitted on the training rows only.
    #[allow(clippy::type_complexity)]
    fn fold<'py>(
        &self,
        py: Python<'py>,
        train: Vec<usize>,
        test: Vec<usize>,
    ) -> PyResult<(
        Bound<'py, PyArray2<f64>>,
        Bound<'py, PyArray1<f64>>,
        Option<Bound<'py, PyArray1<f64>>>,
        Bound<'py, PyArray2<f64>>,
        Bound<'py, PyArray1<f64>>,
    )> {
        self.rows(&train)?;
        self.rows(&test)?;
        let all: Vec<usize> = (0..self.data.width()).collect();
        let (xtr, xte) = self.data.fold_matrices(&train, &test, &all);
        let (ytr, yte) = self.data.fold_targets(&train, &test);
        let w = self.data.fold_weights(&train).map(|w| w.into_pyarray(py));
        Ok((
            self.matrix(py, xtr)?,
            ytr.into_pyarray(py),
            w,
            self.matrix(py, xte)?,
            yte.into_pyarray(py),
        ))
    }

    /// The net return of each sample of `rows` (one series, time order) held at the
    /// position its prediction implies over the next bar, paying `cost_bps` per unit
    /// of turnover: the accounting behind `score`'s Sharpe ratio.
    fn net_returns(&self, rows: Vec<usize>, p: Vec<f64>) -> PyResult<Vec<f64>> {
        self.rows(&rows)?;
        if rows.len() != p.len() {
            return Err(PyValueError::new_err("as many predictions as samples"));
        }
        let next: Vec<f64> = rows.iter().map(|&k| self.data.next_return[k]).collect();
        let held: Vec<f64> = p.iter().map(|&v| position(self.task, v)).collect();
        Ok(account_held(&next, &held, self.data.cost_bps).net)
    }

    /// `tickml train`'s scores of predictions `p` of the samples `rows`: accuracy, ROC
    /// AUC, log loss (classification; NaN otherwise) and the annualised net Sharpe ratio
    /// of the positions they imply.
    fn score<'py>(
        &self,
        py: Python<'py>,
        rows: Vec<usize>,
        p: Vec<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        self.rows(&rows)?;
        if rows.len() != p.len() {
            return Err(PyValueError::new_err("as many predictions as samples"));
        }
        let (y, _) = self.data.fold_targets(&rows, &[]);
        let s = score_samples(self.task, &self.data, &rows, &y, &p);
        let d = PyDict::new(py);
        d.set_item("accuracy", s.accuracy)?;
        d.set_item("roc_auc", s.roc_auc)?;
        d.set_item("log_loss", s.log_loss)?;
        d.set_item("sharpe", s.sharpe)?;
        Ok(d)
    }
}
