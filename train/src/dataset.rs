//! Features over a whole history, computed by the core's streaming engine (the one
//! code path that also runs live, so there is no train/serve skew), and the targets
//! that go with them.

use tickml_core::{Bar, DefaultFeatureSet, Error, FeatureConfig};

use crate::cv::Labels;
use crate::models::{Task, TrainError};
use crate::transforms::{NonStationarity, PcaNeutralizer};

/// A row-major matrix of features, one row per bar, NaN where a feature is absent.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    /// Feature names in column order.
    pub names: Vec<String>,
    /// Whether each column is scale-free (`FeatureKind::scale_free`).
    pub scale_free: Vec<bool>,
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

    /// The header of `set`'s features with room for `rows` rows (no values yet).
    fn empty(set: &DefaultFeatureSet<f64>, rows: usize) -> Self {
        let ids = set.schema().ids();
        FeatureMatrix {
            names: ids.iter().map(|id| id.to_string()).collect(),
            scale_free: ids.iter().map(|id| id.kind.scale_free()).collect(),
            schema_hash: set.schema().hash(),
            values: Vec::with_capacity(rows.saturating_mul(ids.len())),
            rows,
        }
    }

    /// Column index of `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

/// A universe's features, one row per record in the records' order (timestamps
/// non-decreasing): one engine per symbol, each timestamp's members updated and ranked
/// together ([`update_cross_section`](crate::cross_section::update_cross_section)), as
/// `tickml features` streams a universe file. The error names the record.
pub fn compute_panel_features(
    config: &FeatureConfig,
    records: &[crate::data::BarRecord],
) -> Result<FeatureMatrix, String> {
    let template = DefaultFeatureSet::<f64>::new(config.clone()).map_err(|e| e.to_string())?;
    let mut matrix = FeatureMatrix::empty(&template, records.len());
    let mut sets: Vec<Box<DefaultFeatureSet<f64>>> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = Default::default();
    let mut start = 0;
    while start < records.len() {
        let t = records[start].bar.timestamp();
        let end = start
            + records[start..]
                .iter()
                .take_while(|r| r.bar.timestamp() == t)
                .count();
        if let Some(next) = records.get(end) {
            if next.bar.timestamp() < t {
                return Err(format!("record {end}: its timestamp goes back in time"));
            }
        }
        let mut members = Vec::with_capacity(end - start);
        for r in &records[start..end] {
            let name = r.symbol.as_deref().unwrap_or("");
            let i = *index.entry(name).or_insert_with(|| {
                sets.push(Box::new(template.clone()));
                sets.len() - 1
            });
            members.push((i, name, r.bar));
        }
        crate::cross_section::update_cross_section(&mut sets, &members)
            .map_err(|e| format!("records {start} to {}: {e}", end - 1))?;
        for (i, _, _) in &members {
            matrix
                .values
                .extend_from_slice(sets[*i].features().values());
        }
        start = end;
    }
    Ok(matrix)
}

/// Streams `bars` through a fresh [`DefaultFeatureSet`] and stacks the outputs.
pub fn compute_features(config: &FeatureConfig, bars: &[Bar<f64>]) -> Result<FeatureMatrix, Error> {
    let mut set = DefaultFeatureSet::<f64>::new(config.clone())?;
    let mut matrix = FeatureMatrix::empty(&set, bars.len());
    for bar in bars {
        matrix.values.extend_from_slice(set.update(bar)?.values());
    }
    Ok(matrix)
}

/// What a sample's label is. All are functions of the forward return
/// `r = c[t + horizon] / c[t] - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetType {
    /// 1 if `r > 0`, else 0.
    Direction,
    /// `r` itself.
    Return,
    /// The quantile class of `r` (0 to `bins - 1`). Under cross-validation the class
    /// edges are fitted on each training fold's forward returns and applied to its test
    /// rows ([`Dataset::fold_targets`]); [`Dataset::y`] holds the classes from every
    /// sample's returns, for a final fit on all of them.
    Quantile {
        /// Number of classes.
        bins: usize,
    },
}

impl TargetType {
    /// The learning task. Quantile classes are a multiclass task, which the factory does
    /// not train (its learners are binary or regression): an error that says so.
    pub fn task(self) -> Result<Task, TrainError> {
        match self {
            TargetType::Direction => Ok(Task::Classification),
            TargetType::Return => Ok(Task::Regression),
            TargetType::Quantile { bins } => Err(TrainError::Data(format!(
                "a quantile target has {bins} classes, and the model factory trains binary \
                 classifiers and regressors only; use target direction or return, or train a \
                 multiclass model in LightGBM or XGBoost on these features and convert it \
                 with `tickml import` (the core runs multiclass blobs)"
            ))),
        }
    }
}

/// The class edges of `bins` quantiles of `r`: the values at ranks `k n / bins`.
fn quantile_edges(r: &[f64], bins: usize) -> Vec<f64> {
    let mut sorted = r.to_vec();
    sorted.sort_by(f64::total_cmp);
    (1..bins)
        .map(|k| sorted[(k * sorted.len() / bins).min(sorted.len().saturating_sub(1))])
        .collect()
}

/// The class of `v`: the number of edges `<= v`.
fn quantile_class(v: f64, edges: &[f64]) -> f64 {
    edges.iter().filter(|&&e| v >= e).count() as f64
}

/// What the level features (not scale-free: prices, volumes, their averages) become.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelFeatures {
    /// Left out (default): the models see ratios, returns, oscillators and z-scores only.
    #[default]
    Drop,
    /// Passed through untransformed. Under K-fold a tree can then recognise the period
    /// from the price level; for comparison only.
    Keep,
    /// Passed through [`InputConfig::transform`].
    Transform,
}

/// Which engine outputs become model inputs, and how (`[inputs]` in `train.toml`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct InputConfig {
    /// The level features: `drop`, `keep` or `transform`.
    pub level_features: LevelFeatures,
    /// The transform of `level_features = "transform"` (default: rolling z-score over
    /// 252 bars).
    pub transform: NonStationarity,
    /// Principal components removed from the inputs, fitted on each training fold
    /// (0: off).
    pub pca_neutralize: usize,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig {
            level_features: LevelFeatures::Drop,
            transform: NonStationarity::Normalize { window: 252 },
            pca_neutralize: 0,
        }
    }
}

impl InputConfig {
    /// True when every input is an engine feature as the core computes it live, so a
    /// model trained on them can run in a bundle.
    pub fn is_live(&self) -> bool {
        self.level_features != LevelFeatures::Transform && self.pca_neutralize == 0
    }
}

/// One model input column.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InputColumn {
    /// The column's name as the models see it (`<transform>(<feature>)` when transformed).
    pub name: String,
    /// The engine feature it comes from.
    pub feature: String,
    /// The transform applied, if any (e.g. `normalize_252`).
    pub transform: Option<String>,
}

/// The default cost per unit of turnover, basis points (a liquid index product).
pub const DEFAULT_COST_BPS: f64 = 1.0;

/// Features and labels ready for cross-validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Input names (columns), without the never-present ones.
    pub names: Vec<String>,
    /// Each column's origin and transform.
    pub inputs: Vec<InputColumn>,
    /// The schema hash of the feature configuration.
    pub schema_hash: u64,
    /// Row-major inputs of the kept samples.
    pub x: Vec<f64>,
    /// Labels.
    pub y: Vec<f64>,
    /// What the labels are.
    pub target: TargetType,
    /// Principal components removed per training fold ([`Dataset::fold_matrices`]).
    pub pca_neutralize: usize,
    /// Forward returns behind the labels.
    pub forward_return: Vec<f64>,
    /// Each sample's bar close.
    pub close: Vec<f64>,
    /// Each sample's next-bar return, `close[t0 + 1] / close[t0] - 1`: what a position
    /// taken at the sample's close earns, one bar of lag (for the Sharpe of the scores).
    pub next_return: Vec<f64>,
    /// Bars a year, measured from the timestamps of every bar given
    /// ([`crate::backtest::accounting::periods_per_year`]).
    pub periods_per_year: f64,
    /// Cost per unit of turnover in basis points, for the net Sharpe of the scores.
    pub cost_bps: f64,
    /// Label intervals in bar indices: sample i is bar `t0[i]`, its label ends at `t1[i]`.
    pub labels: Labels,
    /// Sample weights every fit uses ([`Dataset::fold_weights`]); None: each sample counts
    /// once.
    pub weights: Option<Vec<f64>>,
    /// Timestamps (unix ns) of the samples' bars.
    pub timestamps: Vec<i64>,
    /// Each sample's symbol (an index into `symbol_names`; 0 for one series).
    pub symbol: Vec<u32>,
    /// The universe's symbols by name (empty for one series).
    pub symbol_names: Vec<String>,
    /// Rows dropped because a feature was still warming up.
    pub dropped_warmup: usize,
    /// Rows dropped because the label runs past the data.
    pub dropped_horizon: usize,
    /// Columns dropped because they are absent on every bar (e.g. `xs_rank` for one symbol).
    pub dropped_columns: Vec<String>,
    /// Level features left out ([`LevelFeatures::Drop`]).
    pub dropped_level_features: Vec<String>,
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

    /// The weights of the samples `rows` for a fit on them, rescaled to mean 1 (so a
    /// penalty weighs as much against them as against unweighted samples); None without
    /// weights.
    pub fn fold_weights(&self, rows: &[usize]) -> Option<Vec<f64>> {
        let w = self.weights.as_deref()?;
        let picked: Vec<f64> = rows.iter().map(|&i| w[i]).collect();
        let mean = picked.iter().sum::<f64>() / picked.len().max(1) as f64;
        Some(if mean > 0.0 {
            picked.into_iter().map(|v| v / mean).collect()
        } else {
            picked
        })
    }

    /// The samples `indices` as a dataset of their own (label intervals keep their bar
    /// positions, so purging inside it still compares bars).
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let pick = |v: &[f64]| indices.iter().map(|&i| v[i]).collect();
        Dataset {
            names: self.names.clone(),
            inputs: self.inputs.clone(),
            schema_hash: self.schema_hash,
            x: self.rows(indices),
            y: pick(&self.y),
            target: self.target,
            pca_neutralize: self.pca_neutralize,
            forward_return: pick(&self.forward_return),
            close: pick(&self.close),
            next_return: pick(&self.next_return),
            periods_per_year: self.periods_per_year,
            cost_bps: self.cost_bps,
            labels: Labels {
                t0: indices.iter().map(|&i| self.labels.t0[i]).collect(),
                t1: indices.iter().map(|&i| self.labels.t1[i]).collect(),
            },
            weights: self.weights.as_deref().map(pick),
            timestamps: indices.iter().map(|&i| self.timestamps[i]).collect(),
            symbol: indices.iter().map(|&i| self.symbol[i]).collect(),
            symbol_names: self.symbol_names.clone(),
            dropped_warmup: 0,
            dropped_horizon: 0,
            dropped_columns: Vec::new(),
            dropped_level_features: Vec::new(),
        }
    }

    /// The annualised net Sharpe ratio of holding `positions` on the samples `samples`
    /// (in time order): each symbol's positions accounted as the backtest does
    /// ([`account_held`](crate::backtest::accounting::account_held): held over the next
    /// bar, `cost_bps` on each change from that symbol's previous sample), then an equal
    /// weight on the symbols held at each time index; annualised with
    /// `periods_per_year`. For one series, its own ledger. 0 without variance.
    pub fn net_sharpe(&self, samples: &[usize], positions: &[f64]) -> f64 {
        let mut by_time: std::collections::BTreeMap<usize, (f64, f64)> = Default::default();
        for s in 0..self.symbol_names.len().max(1) as u32 {
            let own: Vec<usize> = (0..samples.len())
                .filter(|&k| self.symbol[samples[k]] == s)
                .collect();
            let next: Vec<f64> = own.iter().map(|&k| self.next_return[samples[k]]).collect();
            let held: Vec<f64> = own.iter().map(|&k| positions[k]).collect();
            let ledger = crate::backtest::accounting::account_held(&next, &held, self.cost_bps);
            for (&k, net) in own.iter().zip(ledger.net) {
                let slot = by_time.entry(self.labels.t0[samples[k]]).or_default();
                *slot = (slot.0 + net, slot.1 + 1.0);
            }
        }
        let nets: Vec<f64> = by_time.values().map(|(sum, n)| sum / n).collect();
        let s = crate::stats::sharpe::sharpe(&nets);
        if s.is_nan() {
            0.0
        } else {
            s * self.periods_per_year.sqrt()
        }
    }

    /// [`Dataset::net_sharpe`] of buy and hold (position 1) on every sample: the
    /// baseline of a backtest path, which holds each sample once.
    pub fn buy_and_hold_sharpe(&self) -> f64 {
        let all: Vec<usize> = (0..self.len()).collect();
        self.net_sharpe(&all, &vec![1.0; all.len()])
    }

    /// Each symbol's samples in time order (one list for one series).
    pub fn samples_by_symbol(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.symbol_names.len().max(1)];
        for (k, &s) in self.symbol.iter().enumerate() {
            out[s as usize].push(k);
        }
        out
    }

    /// The rows `indices`, row-major.
    pub fn rows(&self, indices: &[usize]) -> Vec<f64> {
        indices
            .iter()
            .flat_map(|&i| self.row(i).iter().copied())
            .collect()
    }

    /// The labels of a fold's training and test rows. Quantile classes use edges fitted
    /// on the training rows' forward returns only; other targets are `y`.
    pub fn fold_targets(&self, train: &[usize], test: &[usize]) -> (Vec<f64>, Vec<f64>) {
        match self.target {
            TargetType::Quantile { bins } => {
                let r: Vec<f64> = train.iter().map(|&i| self.forward_return[i]).collect();
                let edges = quantile_edges(&r, bins);
                let class = |rows: &[usize]| {
                    rows.iter()
                        .map(|&i| quantile_class(self.forward_return[i], &edges))
                        .collect()
                };
                (class(train), class(test))
            }
            TargetType::Direction | TargetType::Return => {
                let pick = |rows: &[usize]| rows.iter().map(|&i| self.y[i]).collect();
                (pick(train), pick(test))
            }
        }
    }

    /// The `columns` of a fold's training and test rows, row-major; with
    /// `pca_neutralize = k > 0`, neutralised by a [`PcaNeutralizer`] fitted on the
    /// training rows only.
    pub fn fold_matrices(
        &self,
        train: &[usize],
        test: &[usize],
        columns: &[usize],
    ) -> (Vec<f64>, Vec<f64>) {
        let pick = |rows: &[usize]| -> Vec<f64> {
            rows.iter()
                .flat_map(|&r| columns.iter().map(move |&c| self.row(r)[c]))
                .collect()
        };
        let (xtr, xte) = (pick(train), pick(test));
        if self.pca_neutralize == 0 {
            return (xtr, xte);
        }
        let pca = PcaNeutralizer::fit(&xtr, columns.len(), self.pca_neutralize);
        (pca.apply(&xtr), pca.apply(&xte))
    }
}

/// Computes features through the core, selects and transforms the inputs as `inputs`
/// says, and builds `target` over `horizon` bars. Rows whose inputs are warming up or
/// whose label runs past the data are dropped and counted.
pub fn prepare_data(
    bars: &[Bar<f64>],
    config: &FeatureConfig,
    inputs: &InputConfig,
    target: TargetType,
    horizon: usize,
) -> Result<Dataset, Error> {
    let m = compute_features(config, bars)?;
    let rows = Rows {
        time: (0..bars.len()).collect(),
        symbol: vec![0; bars.len()],
        by_symbol: vec![(0..bars.len()).collect()],
        bars: bars.to_vec(),
        time_stamps: bars.iter().map(Bar::timestamp).collect(),
    };
    assemble(&m, &rows, Vec::new(), inputs, target, horizon)
}

/// [`prepare_data`] for a universe (long format, rows in time order): one feature
/// engine per symbol; after a timestamp's bars are in, each member's cross-sectional
/// features are set against every member's at that timestamp, in symbol-name order
/// ([`FeatureSet::rank_against`](tickml_core::FeatureSet::rank_against), the core
/// [`Universe`](tickml_core::Universe)'s definition), so they do not depend on the
/// order of rows within a timestamp. Samples are (symbol,
/// timestamp) rows in time order, symbols by name within a timestamp; label intervals
/// are in the universe's time index (the rank of the timestamp among all of them), so
/// purging compares time across symbols; warm-up, horizon and transforms are per
/// symbol.
pub fn prepare_panel(
    records: &[crate::data::BarRecord],
    config: &FeatureConfig,
    inputs: &InputConfig,
    target: TargetType,
    horizon: usize,
) -> Result<Dataset, Error> {
    let mut names = crate::data::symbols(records);
    names.sort();
    let id = |r: &crate::data::BarRecord| -> u32 {
        let name = r.symbol.as_deref().unwrap_or("");
        names.iter().position(|n| n == name).unwrap_or(0) as u32
    };
    let set = DefaultFeatureSet::<f64>::new(config.clone())?;
    let mut sets: Vec<Box<DefaultFeatureSet<f64>>> = names
        .iter()
        .map(|_| DefaultFeatureSet::new(config.clone()).map(Box::new))
        .collect::<Result<_, _>>()?;
    let columns: Vec<String> = set.schema().ids().iter().map(|i| i.to_string()).collect();
    let width = columns.len();
    // rows sorted by (timestamp, symbol name): the sample order, whatever the file's
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by_key(|&i| (records[i].bar.timestamp(), id(&records[i])));
    let mut values = vec![f64::NAN; records.len() * width];
    let mut rows = Rows {
        time: Vec::with_capacity(records.len()),
        symbol: Vec::with_capacity(records.len()),
        by_symbol: vec![Vec::new(); names.len()],
        bars: Vec::with_capacity(records.len()),
        time_stamps: Vec::new(),
    };
    let mut start = 0;
    while start < order.len() {
        let ts = records[order[start]].bar.timestamp();
        let end = start
            + order[start..]
                .iter()
                .take_while(|&&i| records[i].bar.timestamp() == ts)
                .count();
        let batch: Vec<(u32, Bar<f64>)> = order[start..end]
            .iter()
            .map(|&i| (id(&records[i]), records[i].bar))
            .collect();
        let members: Vec<crate::cross_section::Member> = batch
            .iter()
            .map(|&(s, bar)| (s as usize, names[s as usize].as_str(), bar))
            .collect();
        crate::cross_section::update_cross_section(&mut sets, &members)?;
        for &(symbol, bar) in &batch {
            let row = rows.bars.len();
            values[row * width..(row + 1) * width]
                .copy_from_slice(sets[symbol as usize].features().values());
            rows.time.push(rows.time_stamps.len());
            rows.symbol.push(symbol);
            rows.by_symbol[symbol as usize].push(row);
            rows.bars.push(bar);
        }
        rows.time_stamps.push(ts);
        start = end;
    }
    let m = FeatureMatrix {
        names: columns,
        scale_free: set
            .schema()
            .ids()
            .iter()
            .map(|i| i.kind.scale_free())
            .collect(),
        schema_hash: set.schema().hash(),
        values,
        rows: rows.bars.len(),
    };
    assemble(&m, &rows, names, inputs, target, horizon)
}

/// Where the rows of a feature matrix come from.
struct Rows {
    /// Each row's time index (into `time_stamps`).
    time: Vec<usize>,
    /// Each row's symbol.
    symbol: Vec<u32>,
    /// Each symbol's rows in time order.
    by_symbol: Vec<Vec<usize>>,
    /// Each row's bar.
    bars: Vec<Bar<f64>>,
    /// The distinct timestamps in order.
    time_stamps: Vec<i64>,
}

fn assemble(
    m: &FeatureMatrix,
    rows: &Rows,
    symbol_names: Vec<String>,
    inputs: &InputConfig,
    target: TargetType,
    horizon: usize,
) -> Result<Dataset, Error> {
    let width = m.names.len();
    let column = |c: usize| -> Vec<f64> { (0..m.rows).map(|r| m.values[r * width + c]).collect() };
    // a transform runs along each symbol's own rows
    let per_symbol = |values: &[f64], f: &dyn Fn(&[f64]) -> Vec<f64>| -> Vec<f64> {
        let mut out = vec![f64::NAN; values.len()];
        for own in &rows.by_symbol {
            let series: Vec<f64> = own.iter().map(|&r| values[r]).collect();
            for (&r, v) in own.iter().zip(f(&series)) {
                out[r] = v;
            }
        }
        out
    };
    let mut columns: Vec<(InputColumn, Vec<f64>)> = Vec::new();
    let (mut dropped_columns, mut dropped_level_features) = (Vec::new(), Vec::new());
    for c in 0..width {
        let name = &m.names[c];
        let values = column(c);
        if values.iter().all(|v| v.is_nan()) {
            dropped_columns.push(name.clone());
            continue;
        }
        let plain = InputColumn {
            name: name.clone(),
            feature: name.clone(),
            transform: None,
        };
        if m.scale_free[c] {
            columns.push((plain, values));
            continue;
        }
        match inputs.level_features {
            LevelFeatures::Drop => dropped_level_features.push(name.clone()),
            LevelFeatures::Keep => columns.push((plain, values)),
            LevelFeatures::Transform => {
                let label = inputs.transform.label();
                columns.push((
                    InputColumn {
                        name: format!("{label}({name})"),
                        feature: name.clone(),
                        transform: Some(label),
                    },
                    per_symbol(&values, &|v| inputs.transform.apply(v)),
                ));
            }
        }
    }
    // each row's position in its symbol's series
    let mut position = vec![0usize; m.rows];
    for own in &rows.by_symbol {
        for (k, &r) in own.iter().enumerate() {
            position[r] = k;
        }
    }
    let mut x = Vec::new();
    let (mut t0, mut t1, mut r, mut timestamps) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut next, mut symbol, mut close) = (Vec::new(), Vec::new(), Vec::new());
    let (mut dropped_warmup, mut dropped_horizon) = (0, 0);
    for row in 0..m.rows {
        let own = &rows.by_symbol[rows.symbol[row] as usize];
        let k = position[row];
        if k + horizon >= own.len() || horizon == 0 {
            dropped_horizon += 1;
            continue;
        }
        if columns.iter().any(|(_, v)| v[row].is_nan()) {
            dropped_warmup += 1;
            continue;
        }
        let bar = |j: usize| &rows.bars[own[j]];
        x.extend(columns.iter().map(|(_, v)| v[row]));
        t0.push(rows.time[row]);
        t1.push(rows.time[own[k + horizon]]);
        r.push(bar(k + horizon).close() / bar(k).close() - 1.0);
        next.push(bar(k + 1).close() / bar(k).close() - 1.0);
        close.push(bar(k).close());
        timestamps.push(bar(k).timestamp());
        symbol.push(rows.symbol[row]);
    }
    let y = match target {
        TargetType::Direction => r.iter().map(|&v| f64::from(u8::from(v > 0.0))).collect(),
        TargetType::Return => r.clone(),
        TargetType::Quantile { bins } => {
            let edges = quantile_edges(&r, bins);
            r.iter().map(|&v| quantile_class(v, &edges)).collect()
        }
    };
    let (inputs_used, _): (Vec<InputColumn>, Vec<Vec<f64>>) = columns.into_iter().unzip();
    Ok(Dataset {
        names: inputs_used.iter().map(|c| c.name.clone()).collect(),
        inputs: inputs_used,
        schema_hash: m.schema_hash,
        x,
        y,
        target,
        pca_neutralize: inputs.pca_neutralize,
        forward_return: r,
        close,
        next_return: next,
        periods_per_year: crate::backtest::accounting::periods_per_year(&rows.time_stamps),
        cost_bps: DEFAULT_COST_BPS,
        labels: Labels { t0, t1 },
        weights: None,
        timestamps,
        symbol,
        symbol_names,
        dropped_warmup,
        dropped_horizon,
        dropped_columns,
        dropped_level_features,
    })
}
