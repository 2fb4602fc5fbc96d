//! Gradient-boosted trees on quantile bins, with missing values: log-loss (Newton
//! steps on `g = p - y`, `h = p (1 - p)`) for classification, squared error for
//! regression. Every split is `x <= t` with `t` a training value, NaN going to the side
//! learned at that split, so the exported trees reproduce the model exactly.

use tickml_core::model::{Aggregation, Link, ThresholdWidth, DEFAULT_LEFT, MISSING_NAN};

use super::{Matrix, ModelConfig, Task, TrainError};
use crate::export::{number_nodes, SplitSpec, TreeEnsembleSpec, TreeSpec};

/// Candidate thresholds per feature.
const MAX_BINS: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Split {
        feature: usize,
        threshold: f64,
        missing_left: bool,
        left: usize,
        right: usize,
    },
    Leaf(f64),
}

/// A fitted boosted ensemble.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientBoosting {
    task: Task,
    base: f64,
    trees: Vec<Vec<Node>>,
    gain: Vec<f64>,
}

struct Binned {
    /// per feature: thresholds (ascending)
    thresholds: Vec<Vec<f64>>,
    /// per row, per feature: bin (thresholds.len() + 1 means missing)
    bins: Vec<u8>,
    cols: usize,
}

fn bin_features(x: &Matrix) -> Binned {
    let (rows, cols) = (x.rows(), x.cols);
    let mut thresholds = Vec::with_capacity(cols);
    for c in 0..cols {
        let mut v: Vec<f64> = (0..rows)
            .map(|r| x.row(r)[c])
            .filter(|v| !v.is_nan())
            .collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        let t: Vec<f64> = if v.len() <= MAX_BINS {
            v.iter().take(v.len().saturating_sub(1)).copied().collect()
        } else {
            let mut t: Vec<f64> = (1..MAX_BINS).map(|k| v[k * v.len() / MAX_BINS]).collect();
            t.dedup();
            t
        };
        thresholds.push(t);
    }
    let mut bins = vec![0u8; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            let v = x.row(r)[c];
            let t = &thresholds[c];
            bins[r * cols + c] = if v.is_nan() {
                (t.len() + 1) as u8
            } else {
                t.partition_point(|&e| e < v) as u8
            };
        }
    }
    Binned {
        thresholds,
        bins,
        cols,
    }
}

struct Best {
    gain: f64,
    feature: usize,
    bin: usize,
    missing_left: bool,
}

impl GradientBoosting {
    /// Fits `config.n_estimators` trees of depth `config.max_depth`.
    pub fn fit(
        x: &Matrix,
        y: &[f64],
        task: Task,
        config: &ModelConfig,
    ) -> Result<Self, TrainError> {
        let n = x.rows();
        if n == 0 || y.iter().any(|v| !v.is_finite()) {
            return Err(TrainError::Data(
                "boosting needs rows and finite labels".into(),
            ));
        }
        let binned = bin_features(x);
        let mean = y.iter().sum::<f64>() / n as f64;
        let base = match task {
            Task::Classification => {
                let p = mean.clamp(1e-6, 1.0 - 1e-6);
                (p / (1.0 - p)).ln()
            }
            Task::Regression => mean,
        };
        let mut margin = vec![base; n];
        let mut model = GradientBoosting {
            task,
            base,
            trees: Vec::new(),
            gain: vec![0.0; x.cols],
        };
        let (mut g, mut h) = (vec![0.0; n], vec![0.0; n]);
        for _ in 0..config.n_estimators {
            for i in 0..n {
                match task {
                    Task::Classification => {
                        let p = 1.0 / (1.0 + (-margin[i]).exp());
                        g[i] = p - y[i];
                        h[i] = (p * (1.0 - p)).max(1e-12);
                    }
                    Task::Regression => {
                        g[i] = margin[i] - y[i];
                        h[i] = 1.0;
                    }
                }
            }
            let mut nodes = Vec::new();
            let rows: Vec<usize> = (0..n).collect();
            model.grow(&binned, &g, &h, rows, 0, config, &mut nodes);
            for (i, m) in margin.iter_mut().enumerate() {
                *m += leaf_value(&nodes, x.row(i));
            }
            model.trees.push(nodes);
        }
        Ok(model)
    }

    #[allow(clippy::too_many_arguments)]
    fn grow(
        &mut self,
        b: &Binned,
        g: &[f64],
        h: &[f64],
        rows: Vec<usize>,
        depth: u16,
        c: &ModelConfig,
        nodes: &mut Vec<Node>,
    ) -> usize {
        let id = nodes.len();
        let (gs, hs): (f64, f64) = rows
            .iter()
            .fold((0.0, 0.0), |(a, z), &r| (a + g[r], z + h[r]));
        let leaf = Node::Leaf(-gs / (hs + c.l2) * c.learning_rate);
        nodes.push(leaf);
        if depth >= c.max_depth || rows.len() < 2 * c.min_samples_leaf.max(1) {
            return id;
        }
        let Some(best) = self.best_split(b, g, h, &rows, gs, hs, c) else {
            return id;
        };
        self.gain[best.feature] += best.gain;
        let missing = b.thresholds[best.feature].len() + 1;
        let (left, right): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&r| {
            let bin = usize::from(b.bins[r * b.cols + best.feature]);
            if bin == missing {
                best.missing_left
            } else {
                bin <= best.bin
            }
        });
        let l = self.grow(b, g, h, left, depth + 1, c, nodes);
        let r = self.grow(b, g, h, right, depth + 1, c, nodes);
        nodes[id] = Node::Split {
            feature: best.feature,
            threshold: b.thresholds[best.feature][best.bin],
            missing_left: best.missing_left,
            left: l,
            right: r,
        };
        id
    }

    #[allow(clippy::too_many_arguments)]
    fn best_split(
        &self,
        b: &Binned,
        g: &[f64],
        h: &[f64],
        rows: &[usize],
        gs: f64,
        hs: f64,
        c: &ModelConfig,
    ) -> Option<Best> {
        let parent = gs * gs / (hs + c.l2);
        let mut best: Option<Best> = None;
        let (mut hg, mut hh, mut hn) = (
            [0.0f64; MAX_BINS + 2],
            [0.0f64; MAX_BINS + 2],
            [0usize; MAX_BINS + 2],
        );
        for f in 0..b.cols {
            let t = b.thresholds[f].len();
            if t == 0 {
                continue;
            }
            hg[..t + 2].fill(0.0);
            hh[..t + 2].fill(0.0);
            hn[..t + 2].fill(0);
            for &r in rows {
                let bin = usize::from(b.bins[r * b.cols + f]);
                hg[bin] += g[r];
                hh[bin] += h[r];
                hn[bin] += 1;
            }
            let (mg, mh, mn) = (hg[t + 1], hh[t + 1], hn[t + 1]);
            let (mut lg, mut lh, mut ln) = (0.0, 0.0, 0usize);
            for k in 0..t {
                lg += hg[k];
                lh += hh[k];
                ln += hn[k];
                for missing_left in [false, true] {
                    let (gl, hl, nl) = if missing_left {
                        (lg + mg, lh + mh, ln + mn)
                    } else {
                        (lg, lh, ln)
                    };
                    let (gr, hr, nr) = (gs - gl, hs - hl, rows.len() - nl);
                    if nl < c.min_samples_leaf.max(1) || nr < c.min_samples_leaf.max(1) {
                        continue;
                    }
                    let gain = gl * gl / (hl + c.l2) + gr * gr / (hr + c.l2) - parent;
                    if gain > 1e-12 && best.as_ref().is_none_or(|x| gain > x.gain) {
                        best = Some(Best {
                            gain,
                            feature: f,
                            bin: k,
                            missing_left,
                        });
                    }
                }
            }
        }
        best
    }

    /// The model's own prediction for one row: P(1) or the value.
    pub fn predict_row(&self, x: &[f64]) -> f64 {
        let mut m = self.base;
        for tree in &self.trees {
            m += leaf_value(tree, x);
        }
        match self.task {
            Task::Classification => 1.0 / (1.0 + (-m).exp()),
            Task::Regression => m,
        }
    }

    /// Total split gain per feature, normalised to sum 1.
    pub fn importance(&self, cols: usize) -> Vec<f64> {
        let total: f64 = self.gain.iter().sum();
        (0..cols)
            .map(|c| {
                if total > 0.0 {
                    self.gain[c] / total
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// The trees for export.
    pub fn to_spec(&self, names: &[String]) -> TreeEnsembleSpec {
        let trees = self
            .trees
            .iter()
            .map(|nodes| {
                let slot = number_nodes(nodes.iter().map(|n| matches!(n, Node::Leaf(_))));
                let mut splits = Vec::new();
                let mut leaves = Vec::new();
                for n in nodes {
                    match *n {
                        Node::Split {
                            feature,
                            threshold,
                            missing_left,
                            left,
                            right,
                        } => splits.push(SplitSpec {
                            feature: feature as u16,
                            threshold,
                            categories: None,
                            flags: MISSING_NAN | if missing_left { DEFAULT_LEFT } else { 0 },
                            left: slot[left],
                            right: slot[right],
                        }),
                        Node::Leaf(v) => leaves.push(v),
                    }
                }
                TreeSpec {
                    splits,
                    leaves,
                    root: slot[0],
                    output: 0,
                }
            })
            .collect();
        TreeEnsembleSpec {
            feature_names: names.to_vec(),
            outputs: 1,
            aggregation: Aggregation::Sum,
            link: if self.task == Task::Classification {
                Link::Sigmoid
            } else {
                Link::Identity
            },
            link_scale: 1.0,
            threshold_width: ThresholdWidth::F64,
            input_zero_threshold: 0.0,
            base_margin: vec![self.base],
            trees,
        }
    }
}

fn leaf_value(nodes: &[Node], x: &[f64]) -> f64 {
    let mut i = 0;
    loop {
        match nodes[i] {
            Node::Leaf(v) => return v,
            Node::Split {
                feature,
                threshold,
                missing_left,
                left,
                right,
            } => {
                let v = x[feature];
                let go_left = if v.is_nan() {
                    missing_left
                } else {
                    v <= threshold
                };
                i = if go_left { left } else { right };
            }
        }
    }
}
