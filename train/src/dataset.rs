//! Features over a whole history, computed by the core's streaming engine: the one
//! code path that also runs live, so there is no train/serve skew.

use tickml_core::{Bar, DefaultFeatureSet, Error, FeatureConfig};

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
