//! `tickml._core`: the Rust functions behind the `tickml` package's classes. Each one
//! calls the same code as the `tickml` command line (the core's feature engine, the
//! train crate's splitters); the Python side only shapes arguments and results.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use tickml_core::{Bar, FeatureConfig};
use tickml_train::cv::{CombinatorialPurgedCV, Labels, PurgedKFold, Split, WalkForwardCV};
use tickml_train::data::BarRecord;
use tickml_train::stats::fdr::{self, Method};

mod arbitrator;
mod backtest;
mod dataset;
mod pipeline;
mod stats;

/// A feature configuration from TOML text (the `[features]` table's contents; empty:
/// the design's 110 features), with the CLI's message on an error.
fn feature_config(toml_text: &str) -> PyResult<FeatureConfig> {
    toml::from_str(toml_text)
        .map_err(|e| PyValueError::new_err(format!("invalid feature configuration: {e}")))
}

/// One validated bar, or the core's reason naming the row.
pub(crate) fn bar(
    row: usize,
    t: i64,
    o: f64,
    h: f64,
    l: f64,
    c: f64,
    v: f64,
) -> PyResult<Bar<f64>> {
    Bar::new(t, o, h, l, c, v).map_err(|e| PyValueError::new_err(format!("row {row}: {e}")))
}

/// Bars as Python passes them: a tuple of unix-nanosecond timestamps and the open,
/// high, low, close and volume columns (`bar_columns` in `_features.py`).
#[derive(FromPyObject)]
pub(crate) struct BarColumns<'py>(
    PyReadonlyArray1<'py, i64>,
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray1<'py, f64>,
);

impl BarColumns<'_> {
    /// Validated bars, or the first bad row's reason.
    pub(crate) fn bars(&self) -> PyResult<Vec<Bar<f64>>> {
        let t = self.0.as_array();
        let columns = [&self.1, &self.2, &self.3, &self.4, &self.5].map(|c| c.as_array());
        if columns.iter().any(|c| c.len() != t.len()) {
            return Err(PyValueError::new_err(
                "timestamp, open, high, low, close and volume must have the same length",
            ));
        }
        (0..t.len())
            .map(|i| {
                let [o, h, l, c, v] = [0, 1, 2, 3, 4].map(|k| columns[k][i]);
                bar(i, t[i], o, h, l, c, v)
            })
            .collect()
    }
}

/// The feature names of a configuration, in schema order.
#[pyfunction]
fn feature_names(config: &str) -> PyResult<Vec<String>> {
    let set = tickml_core::DefaultFeatureSet::<f64>::new(feature_config(config)?)
        .map_err(|e| PyValueError::new_err(format!("invalid feature configuration: {e}")))?;
    Ok(set.schema().ids().iter().map(|id| id.to_string()).collect())
}

/// Features of bars (unix-nanosecond timestamps and OHLCV columns), one row per bar,
/// NaN while a feature warms up; with `symbols` a universe: each symbol its own engine,
/// each timestamp's cross-section ranked over its members, as `tickml features` does.
/// The GIL is released while the engine runs.
#[pyfunction]
#[pyo3(signature = (config, bars, symbols=None))]
fn compute_features<'py>(
    py: Python<'py>,
    config: &str,
    bars: BarColumns<'py>,
    symbols: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let config = feature_config(config)?;
    let bars = bars.bars()?;
    let n = bars.len();
    if symbols.as_ref().is_some_and(|s| s.len() != n) {
        return Err(PyValueError::new_err(
            "symbol must have as many rows as the bars",
        ));
    }
    if symbols.is_none() {
        let t = |i: usize| bars[i].timestamp();
        if let Some(i) = (1..n).find(|&i| t(i) <= t(i - 1)) {
            return Err(PyValueError::new_err(format!(
                "row {i}: timestamp {} is not after the previous row's {}",
                t(i),
                t(i - 1)
            )));
        }
    }
    let result = py.detach(move || -> Result<(usize, Vec<f64>), String> {
        match symbols {
            None => tickml_train::dataset::compute_features(&config, &bars)
                .map(|m| (m.names.len(), m.values))
                .map_err(|e| e.to_string()),
            Some(symbols) => {
                let records: Vec<BarRecord> = bars
                    .iter()
                    .zip(symbols)
                    .map(|(bar, symbol)| BarRecord {
                        bar: *bar,
                        symbol: Some(symbol),
                        timestamp_text: String::new(),
                        line: 0,
                    })
                    .collect();
                tickml_train::dataset::compute_panel_features(&config, &records)
                    .map(|m| (m.names.len(), m.values))
                    .map_err(|e| e.to_string())
            }
        }
    });
    let (width, values) = result.map_err(PyValueError::new_err)?;
    let rows = values.len().checked_div(width).unwrap_or(0);
    Array2::from_shape_vec((rows, width), values)
        .map(|a| a.into_pyarray(py))
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Labels from bar positions: `t0` the sample's bar, `t1` its label's last bar.
fn labels(t0: Vec<i64>, t1: Vec<i64>) -> PyResult<Labels> {
    if t0.len() != t1.len() {
        return Err(PyValueError::new_err("t0 and t1 must have the same length"));
    }
    if let Some(i) = (0..t0.len()).find(|&i| t1[i] < t0[i] || t0[i] < 0) {
        return Err(PyValueError::new_err(format!(
            "sample {i}: its label ends (t1 = {}) before it starts (t0 = {})",
            t1[i], t0[i]
        )));
    }
    let position = |v: Vec<i64>| v.into_iter().map(|x| x as usize).collect();
    Ok(Labels {
        t0: position(t0),
        t1: position(t1),
    })
}

type SplitArrays<'py> = Vec<(Bound<'py, PyArray1<usize>>, Bound<'py, PyArray1<usize>>)>;

/// A splitter's result, or its message as a `ValueError`.
fn splitter<T>(result: Result<T, tickml_train::cv::CvError>) -> PyResult<T> {
    result.map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Splits as (train, test) index arrays.
fn to_arrays(py: Python<'_>, splits: Vec<Split>) -> SplitArrays<'_> {
    splits
        .into_iter()
        .map(|s| (s.train.into_pyarray(py), s.test.into_pyarray(py)))
        .collect()
}

/// `PurgedKFold` splits: (train, test) index arrays.
#[pyfunction]
fn purged_kfold(
    py: Python<'_>,
    t0: Vec<i64>,
    t1: Vec<i64>,
    n_splits: usize,
    purge_gap: usize,
    embargo_pct: f64,
) -> PyResult<SplitArrays<'_>> {
    let cv = PurgedKFold {
        n_splits,
        purge_gap,
        embargo_pct,
    };
    Ok(to_arrays(py, splitter(cv.split(&labels(t0, t1)?))?))
}

/// `WalkForwardCV` splits: (train, test) index arrays.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn walk_forward(
    py: Python<'_>,
    t0: Vec<i64>,
    t1: Vec<i64>,
    train_size: usize,
    test_size: usize,
    step_size: usize,
    purge_gap: usize,
    expand_train: bool,
) -> PyResult<SplitArrays<'_>> {
    let cv = WalkForwardCV {
        train_size,
        test_size,
        step_size,
        purge_gap,
        expand_train,
    };
    Ok(to_arrays(py, splitter(cv.split(&labels(t0, t1)?))?))
}

/// Combinatorial purged CV: the splits and `paths[p][f]`, the split whose test fold `f`
/// belongs to backtest path `p`. Index mode without labels (purge and embargo in
/// samples), label mode (purged by `t1`) with them.
#[pyfunction]
#[pyo3(signature = (n_samples, n_splits, n_test_splits, purge, embargo, t0=None, t1=None))]
#[allow(clippy::too_many_arguments)]
fn combinatorial(
    py: Python<'_>,
    n_samples: usize,
    n_splits: usize,
    n_test_splits: usize,
    purge: usize,
    embargo: usize,
    t0: Option<Vec<i64>>,
    t1: Option<Vec<i64>>,
) -> PyResult<(SplitArrays<'_>, Vec<Vec<usize>>)> {
    let cv = CombinatorialPurgedCV {
        n_splits,
        n_test_splits,
        purge,
        embargo,
    };
    let result = splitter(match (t0, t1) {
        (Some(t0), Some(t1)) => cv.split_labels(&labels(t0, t1)?),
        _ => cv.split_indices(n_samples),
    })?;
    Ok((to_arrays(py, result.splits), result.paths))
}

/// Multiple-testing correction: (rejected, adjusted) in input order; NaN p-values are
/// not tests (adjusted NaN, not rejected). `method`: `fdr_bh`, `fdr_by` or `holm`
/// (statsmodels' names).
#[pyfunction]
fn multiple_testing(
    p_values: Vec<f64>,
    alpha: f64,
    method: &str,
) -> PyResult<(Vec<bool>, Vec<f64>)> {
    let method = match method {
        "fdr_bh" => Method::BenjaminiHochberg,
        "fdr_by" => Method::BenjaminiYekutieli,
        "holm" => Method::Holm,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown method {other:?}: fdr_bh, fdr_by or holm"
            )))
        }
    };
    let c =
        fdr::correct(&p_values, alpha, method).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok((c.rejected, c.adjusted))
}

/// Fits one of tickml's learners (`model`: a `ModelType` name; `config`: `[model]` TOML;
/// `task`: `classification` or `regression`) on row-major `x` and `y`, optional
/// `weights`; returns its blob (what the core runs) and its impurity importances.
/// The GIL is released while it fits.
#[pyfunction]
#[pyo3(signature = (model, config, task, x, y, names, weights=None))]
#[allow(clippy::too_many_arguments)]
fn fit_model(
    py: Python<'_>,
    model: &str,
    config: &str,
    task: &str,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray1<'_, f64>,
    names: Vec<String>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<(Vec<u8>, Option<Vec<f64>>)> {
    use tickml_train::models::{Matrix, ModelConfig, ModelFactory, ModelType, Task};
    let model_type = ModelType::from_name(model)
        .ok_or_else(|| PyValueError::new_err(format!("unknown model {model:?}")))?;
    let config: ModelConfig = toml::from_str(config)
        .map_err(|e| PyValueError::new_err(format!("invalid model configuration: {e}")))?;
    let task = match task {
        "classification" => Task::Classification,
        "regression" => Task::Regression,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown task {other:?}: classification or regression"
            )))
        }
    };
    let x = x.as_array();
    let cols = x.ncols();
    let values: Vec<f64> = x.iter().copied().collect();
    let y = y.as_array().to_vec();
    let weights = weights.map(|w| w.as_array().to_vec());
    py.detach(move || {
        let estimator =
            ModelFactory::create(model_type, &config, task).map_err(|e| e.to_string())?;
        let trained = estimator
            .fit_weighted(
                &Matrix {
                    values: &values,
                    cols,
                },
                &y,
                weights.as_deref(),
                &names,
            )
            .map_err(|e| e.to_string())?;
        let blob = trained.to_blob(0).map_err(|e| e.to_string())?;
        Ok((blob, trained.impurity_importance().map(<[f64]>::to_vec)))
    })
    .map_err(|e: String| PyValueError::new_err(e))
}

/// Predictions of a model blob for the rows of `x` (columns in the model's order):
/// rows x outputs, scored in one batch (`RowPredictor`: tree models by QuickScorer, rows
/// side by side) without the GIL.
#[pyfunction]
fn predict_blob<'py>(
    py: Python<'py>,
    blob: Vec<u8>,
    x: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let model = tickml_core::model::Model::from_blob(&blob)
        .map_err(|e| PyValueError::new_err(format!("bad model blob: {e}")))?;
    let x = x.as_array();
    if x.ncols() != model.feature_count() {
        return Err(PyValueError::new_err(format!(
            "the model reads {} features, X has {} columns",
            model.feature_count(),
            x.ncols()
        )));
    }
    let (n, k) = (x.nrows(), model.outputs());
    // row-major, whatever the array's strides
    let rows: Vec<f64> = x.iter().copied().collect();
    let out = py
        .detach(|| {
            let mut buf = Vec::new();
            let predictor = tickml_train::models::RowPredictor::new(model, &mut buf);
            let mut out = vec![0.0; n * k];
            predictor.predict_many(&rows, &mut out).map(|()| out)
        })
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Array2::from_shape_vec((n, k), out)
        .map(|a| a.into_pyarray(py))
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// A LightGBM text model or an XGBoost JSON model (`library`: `lightgbm` or `xgboost`)
/// converted to the core's blob by the importers `tickml import` runs, with the
/// importer's message on an error.
#[pyfunction]
fn import_model(library: &str, text: &str) -> PyResult<Vec<u8>> {
    use tickml_train::import::{lightgbm, xgboost};
    let spec = match library {
        "lightgbm" => lightgbm::parse(text),
        "xgboost" => xgboost::parse(text),
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown library {other:?}: lightgbm or xgboost"
            )))
        }
    }
    .map_err(|e| PyValueError::new_err(format!("{library} model: {e}")))?;
    let blob = spec
        .to_blob(0)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    tickml_core::model::Model::from_blob(&blob)
        .map_err(|e| PyValueError::new_err(format!("the encoded blob does not load: {e}")))?;
    Ok(blob)
}

/// The 8 feature families among `names`: (family, column indices), as `tickml ablate`
/// groups them.
#[pyfunction]
fn family_groups(names: Vec<String>) -> Vec<(String, Vec<usize>)> {
    tickml_train::stats::ablation::family_groups(&names)
}

/// Which splits (given by their test indices) an ablation compares on: the first of
/// every run of overlapping test sets, so the differences are over disjoint test sets.
#[pyfunction]
fn disjoint_tests(tests: Vec<Vec<usize>>) -> Vec<usize> {
    let splits: Vec<Split> = tests
        .into_iter()
        .map(|test| Split {
            train: Vec::new(),
            test,
        })
        .collect();
    tickml_train::cv::disjoint_tests(&splits)
        .into_iter()
        .filter_map(|kept| splits.iter().position(|s| std::ptr::eq(s, kept)))
        .collect()
}

/// The ablation table of `tickml ablate` from per-split scores: `base` with every
/// feature, each group's (name, feature count, scores without it), the mean training and
/// test sizes; one dict per group.
#[pyfunction]
fn ablation_table<'py>(
    py: Python<'py>,
    base: Vec<f64>,
    groups: Vec<(String, usize, Vec<f64>)>,
    n_train: f64,
    n_test: f64,
) -> PyResult<Vec<Bound<'py, pyo3::types::PyDict>>> {
    use tickml_train::stats::ablation::{ablation_table, GroupScores};
    if groups.iter().any(|g| g.2.len() != base.len()) {
        return Err(PyValueError::new_err(
            "every group needs one score per baseline split",
        ));
    }
    let groups: Vec<GroupScores> = groups
        .into_iter()
        .map(|(group, features, scores)| GroupScores {
            group,
            features,
            scores,
            sharpe: f64::NAN,
        })
        .collect();
    ablation_table(&base, f64::NAN, &groups, n_train, n_test)
        .into_iter()
        .map(|r| {
            let d = pyo3::types::PyDict::new(py);
            d.set_item("group", r.group)?;
            d.set_item("features", r.features)?;
            d.set_item("baseline", r.baseline)?;
            d.set_item("ablated", r.ablated)?;
            d.set_item("importance", r.importance)?;
            d.set_item("importance_pct", r.importance_pct)?;
            d.set_item("splits", r.splits)?;
            d.set_item("t", r.t)?;
            d.set_item("p_value", r.p_value)?;
            d.set_item("p_adjusted", r.p_adjusted)?;
            Ok(d)
        })
        .collect()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(feature_names, m)?)?;
    m.add_function(wrap_pyfunction!(compute_features, m)?)?;
    m.add_function(wrap_pyfunction!(purged_kfold, m)?)?;
    m.add_function(wrap_pyfunction!(walk_forward, m)?)?;
    m.add_function(wrap_pyfunction!(combinatorial, m)?)?;
    m.add_function(wrap_pyfunction!(multiple_testing, m)?)?;
    m.add_class::<pipeline::LivePipeline>()?;
    m.add_class::<arbitrator::Arbitrator>()?;
    m.add_function(wrap_pyfunction!(arbitrator::arbitrator_config, m)?)?;
    m.add_function(wrap_pyfunction!(arbitrator::arbitrator_tables, m)?)?;
    m.add_function(wrap_pyfunction!(fit_model, m)?)?;
    m.add_function(wrap_pyfunction!(predict_blob, m)?)?;
    m.add_function(wrap_pyfunction!(import_model, m)?)?;
    m.add_function(wrap_pyfunction!(family_groups, m)?)?;
    m.add_function(wrap_pyfunction!(disjoint_tests, m)?)?;
    m.add_function(wrap_pyfunction!(ablation_table, m)?)?;
    m.add_class::<dataset::TrainingData>()?;
    m.add_class::<backtest::BacktestPlan>()?;
    m.add_function(wrap_pyfunction!(stats::sharpe_statistics, m)?)?;
    m.add_function(wrap_pyfunction!(stats::sharpe_ratio_probability, m)?)?;
    m.add_function(wrap_pyfunction!(stats::expected_max_sharpe, m)?)?;
    m.add_function(wrap_pyfunction!(stats::backtest_overfitting, m)?)?;
    Ok(())
}
