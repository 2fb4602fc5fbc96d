//! Features over a whole history, computed by the core's streaming engine (the one
//! code path that also runs live, so there is no train/serve skew), and the targets
//! that go with them.

use tickml_core::{Bar, DefaultFeatureSet, Error, FeatureConfig};

use crate::cv::Labels;

/// A row-major matrix of features, one row per bar, NaN where a feature is absent.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    /// Feature names in column order.
    pub names: Vec<String>,
    /// The schema hash of the configuration.
    pub schema_hash: u64,
    /// `rows x names.len()` values, row-major.
    pub values: Vec<f64>,
    /// Number of rows.
    pub rows: usize,
}

impl FeatureMatrix {
    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        let width = self.names.len();
        &self.values[i * width..(i + 1) * width]
    }

    /// Column index of `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

/// Streams `bars` through a fresh [`DefaultFeatureSet`] and stacks the outputs.
pub fn compute_features(config: &FeatureConfig, bars: &[Bar<f64>]) -> Result<FeatureMatrix, Error> {
    let mut set = DefaultFeatureSet::<f64>::new(config.clone())?;
    let names: Vec<String> = set.schema().ids().iter().map(|id| id.to_string()).collect();
    let schema_hash = set.schema().hash();
    let mut values = Vec::with_capacity(bars.len() * names.len());
    for bar in bars {
        values.extend_from_slice(set.update(bar)?.values());
    }
    Ok(FeatureMatrix {
        names,
        schema_hash,
        values,
        rows: bars.len(),
    })
}

/// What a sample's label is. All are functions of the forward return
/// `r = c[t + horizon] / c[t] - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetType {
    /// 1 if `r > 0`, else 0.
    Direction,
    /// `r` itself.
    Return,
    /// The quantile class of `r` (0 to `bins - 1`), edges from the whole sample's
    /// forward returns (labels only; features never see them).
    Quantile {
        /// Number of classes.
        bins: usize,
    },
}

/// Features and labels ready for cross-validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Feature names (columns), without the never-present ones.
    pub names: Vec<String>,
    /// The schema hash of the feature configuration.
    pub schema_hash: u64,
    /// Row-major features of the kept samples.
    pub x: Vec<f64>,
    /// Labels.
    pub y: Vec<f64>,
    /// Forward returns behind the labels.
    pub forward_return: Vec<f64>,
    /// Label intervals in bar indices: sample i is bar `t0[i]`, its label ends at `t1[i]`.
    pub labels: Labels,
    /// Timestamps (unix ns) of the samples' bars.
    pub timestamps: Vec<i64>,
    /// Rows dropped because a feature was still warming up.
    pub dropped_warmup: usize,
    /// Rows dropped because the label runs past the data.
    pub dropped_horizon: usize,
    /// Columns dropped because they are absent on every bar (e.g. `xs_rank` for one symbol).
    pub dropped_columns: Vec<String>,
}

impl Dataset {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// True for no samples.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Number of features.
    pub fn width(&self) -> usize {
        self.names.len()
    }

    /// Sample i's features.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.width()..(i + 1) * self.width()]
    }

    /// The samples `indices` as a dataset of their own (label intervals keep their bar
    /// positions, so purging inside it still compares bars).
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let pick = |v: &[f64]| indices.iter().map(|&i| v[i]).collect();
        Dataset {
            names: self.names.clone(),
            schema_hash: self.schema_hash,
            x: self.rows(indices),
            y: pick(&self.y),
            forward_return: pick(&self.forward_return),
            labels: Labels {
                t0: indices.iter().map(|&i| self.labels.t0[i]).collect(),
                t1: indices.iter().map(|&i| self.labels.t1[i]).collect(),
            },
            timestamps: indices.iter().map(|&i| self.timestamps[i]).collect(),
            dropped_warmup: 0,
            dropped_horizon: 0,
            dropped_columns: Vec::new(),
        }
    }

    /// The rows `indices`, row-major.
    pub fn rows(&self, indices: &[usize]) -> Vec<f64> {
        indices
            .iter()
            .flat_map(|&i| self.row(i).iter().copied())
            .collect()
    }
}

/// Computes features through the core and builds `target` over `horizon` bars. Rows whose
/// features are warming up or whose label runs past the data are dropped and counted.
pub fn prepare_data(
    bars: &[Bar<f64>],
    config: &FeatureConfig,
    target: TargetType,
    horizon: usize,
) -> Result<Dataset, Error> {
    let m = compute_features(config, bars)?;
    let width = m.names.len();
    let present: Vec<bool> = (0..width)
        .map(|c| (0..m.rows).any(|r| !m.values[r * width + c].is_nan()))
        .collect();
    let keep_cols: Vec<usize> = (0..width).filter(|&c| present[c]).collect();
    let dropped_columns = (0..width)
        .filter(|&c| !present[c])
        .map(|c| m.names[c].clone())
        .collect();
    let mut x = Vec::new();
    let (mut t0, mut t1, mut r, mut timestamps) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut dropped_warmup, mut dropped_horizon) = (0, 0);
    for t in 0..m.rows {
        if t + horizon >= bars.len() || horizon == 0 {
            dropped_horizon += 1;
            continue;
        }
        let row = m.row(t);
        if keep_cols.iter().any(|&c| row[c].is_nan()) {
            dropped_warmup += 1;
            continue;
        }
        x.extend(keep_cols.iter().map(|&c| row[c]));
        t0.push(t);
        t1.push(t + horizon);
        r.push(bars[t + horizon].close() / bars[t].close() - 1.0);
        timestamps.push(bars[t].timestamp());
    }
    let y = match target {
        TargetType::Direction => r.iter().map(|&v| f64::from(u8::from(v > 0.0))).collect(),
        TargetType::Return => r.clone(),
        TargetType::Quantile { bins } => {
            let mut sorted = r.clone();
            sorted.sort_by(f64::total_cmp);
            let edges: Vec<f64> = (1..bins)
                .map(|k| sorted[(k * sorted.len() / bins).min(sorted.len().saturating_sub(1))])
                .collect();
            r.iter()
                .map(|v| edges.iter().filter(|&&e| *v >= e).count() as f64)
                .collect()
        }
    };
    Ok(Dataset {
        names: keep_cols.iter().map(|&c| m.names[c].clone()).collect(),
        schema_hash: m.schema_hash,
        x,
        y,
        forward_return: r,
        labels: Labels { t0, t1 },
        timestamps,
        dropped_warmup,
        dropped_horizon,
        dropped_columns,
    })
}
