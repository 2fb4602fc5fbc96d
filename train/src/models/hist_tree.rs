//! The one tree learner behind the booster, the forest and the single tree: histogram
//! splits on quantile bins of the training rows, with missing values.
//!
//! Each feature is cut into at most `max_bins` bins at quantiles of its training values
//! (every distinct value when there are few; NaN in a bin of its own), as
//! HistGradientBoosting bins. A node sums the per-row gradients `g` and hessians `h` of
//! its rows per bin and takes the split of largest second-order gain
//! `G_L^2 / (H_L + l2) + G_R^2 / (H_R + l2) - G^2 / (H + l2)`, trying NaN on either side;
//! its leaf is `-G / (H + l2)` times the shrinkage. With `g = -y w`, `h = w` and
//! `l2 = 0` the gain is twice CART's weighted Gini decrease for 0/1 labels and the leaf
//! the weighted class fraction, so the forest's trees are scikit-learn's. Every split is
//! `x <= t` with `t` a training value (`f64::MAX` for the split of NaN from every value),
//! NaN going to the side learned at that split (to the larger child when the feature had
//! no NaN in training), so the exported trees reproduce the model exactly.

use tickml_core::model::{DEFAULT_LEFT, MISSING_NAN};

use super::Matrix;
use crate::export::{number_nodes, SplitSpec, TreeSpec};
use crate::rng::XorShift64;

/// The most bins a feature can have (a `u8` bin index, one more for NaN).
pub(crate) const MAX_BINS: usize = 255;

/// The training rows' bins, column-major.
pub(crate) struct Binned {
    /// Per feature: the thresholds, ascending (a bin `k` holds `t[k-1] < x <= t[k]`).
    thresholds: Vec<Vec<f64>>,
    /// `bins[f * rows + r]`: row `r`'s bin of feature `f`; `thresholds[f].len() + 1` is NaN.
    bins: Vec<u8>,
    /// Per feature: some training value is NaN.
    has_missing: Vec<bool>,
    rows: usize,
}

impl Binned {
    /// Bins every column of `x` into at most `max_bins` (2..=255) quantile bins.
    pub(crate) fn new(x: &Matrix, max_bins: usize) -> Self {
        let (rows, cols) = (x.rows(), x.cols);
        let max_bins = max_bins.clamp(2, MAX_BINS);
        let mut thresholds = Vec::with_capacity(cols);
        let mut bins = vec![0u8; rows * cols];
        let mut has_missing = vec![false; cols];
        for c in 0..cols {
            let mut v: Vec<f64> = (0..rows)
                .map(|r| x.row(r)[c])
                .filter(|v| !v.is_nan())
                .collect();
            has_missing[c] = v.len() < rows;
            v.sort_by(f64::total_cmp);
            let mut distinct = v.clone();
            distinct.dedup();
            let t: Vec<f64> = if distinct.len() <= max_bins {
                distinct.pop();
                distinct
            } else {
                // quantiles of the values (not of the distinct values), short of the largest
                let largest = distinct[distinct.len() - 1];
                let mut t: Vec<f64> = (1..max_bins)
                    .map(|k| v[k * v.len() / max_bins])
                    .filter(|&q| q < largest)
                    .collect();
                t.dedup();
                t
            };
            for (r, bin) in bins[c * rows..(c + 1) * rows].iter_mut().enumerate() {
                let value = x.row(r)[c];
                *bin = if value.is_nan() {
                    (t.len() + 1) as u8
                } else {
                    t.partition_point(|&e| e < value) as u8
                };
            }
            thresholds.push(t);
        }
        Binned {
            thresholds,
            bins,
            has_missing,
            rows,
        }
    }

    /// The threshold of the split `bin <= k` of feature `f`: `f64::MAX` past the last
    /// one (the split of NaN from every value).
    fn threshold(&self, f: usize, k: usize) -> f64 {
        self.thresholds[f].get(k).copied().unwrap_or(f64::MAX)
    }

    fn cols(&self) -> usize {
        self.thresholds.len()
    }

    fn column(&self, f: usize) -> &[u8] {
        &self.bins[f * self.rows..(f + 1) * self.rows]
    }
}

/// How one tree grows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TreeParams {
    /// Levels below the root.
    pub max_depth: u16,
    /// Rows each child keeps at least.
    pub min_samples_leaf: usize,
    /// L2 penalty on the leaves (`l2` in the gain and the leaf).
    pub l2: f64,
    /// Factor on every leaf (the booster's learning rate).
    pub shrinkage: f64,
    /// Features tried per split, drawn at random without replacement when fewer than all
    /// (scikit-learn's `max_features`: constant features do not count).
    pub features_per_split: usize,
}

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

/// A fitted tree, nodes in pre-order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    /// The leaf value row `x` reaches.
    pub(crate) fn value(&self, x: &[f64]) -> f64 {
        let mut i = 0;
        loop {
            match self.nodes[i] {
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

    /// The tree for export.
    pub(crate) fn to_spec(&self) -> TreeSpec {
        let slot = number_nodes(self.nodes.iter().map(|n| matches!(n, Node::Leaf(_))));
        let mut splits = Vec::new();
        let mut leaves = Vec::new();
        for n in &self.nodes {
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
    }
}

struct Best {
    gain: f64,
    feature: usize,
    bin: usize,
    missing_left: bool,
}

/// Grows one tree on `rows` (distinct row indices) of `binned` with per-row gradients
/// `g` and hessians `h` (weights already applied), adding each split's gain to
/// `gain[feature]`. `rng` draws the features of each split when `features_per_split`
/// is below the feature count.
pub(crate) fn grow(
    binned: &Binned,
    g: &[f64],
    h: &[f64],
    rows: Vec<u32>,
    params: &TreeParams,
    rng: &mut XorShift64,
    gain: &mut [f64],
) -> Tree {
    let mut grower = Grower {
        b: binned,
        g,
        h,
        p: params,
        rng,
        gain,
        nodes: Vec::new(),
        order: (0..binned.cols()).collect(),
    };
    grower.grow(rows, 0);
    Tree {
        nodes: grower.nodes,
    }
}

struct Grower<'a> {
    b: &'a Binned,
    g: &'a [f64],
    h: &'a [f64],
    p: &'a TreeParams,
    rng: &'a mut XorShift64,
    gain: &'a mut [f64],
    nodes: Vec<Node>,
    /// Feature order of the current split (a permutation when subsampling).
    order: Vec<usize>,
}

impl Grower<'_> {
    fn grow(&mut self, rows: Vec<u32>, depth: u16) -> usize {
        let id = self.nodes.len();
        let (gs, hs) = rows.iter().fold((0.0, 0.0), |(a, z), &r| {
            (a + self.g[r as usize], z + self.h[r as usize])
        });
        self.nodes
            .push(Node::Leaf(-gs / (hs + self.p.l2) * self.p.shrinkage));
        let min_leaf = self.p.min_samples_leaf.max(1);
        if depth >= self.p.max_depth || rows.len() < 2 * min_leaf {
            return id;
        }
        let Some(best) = self.best_split(&rows, gs, hs) else {
            return id;
        };
        self.gain[best.feature] += best.gain;
        let missing = self.b.thresholds[best.feature].len() + 1;
        let column = self.b.column(best.feature);
        let (left, right): (Vec<u32>, Vec<u32>) = rows.iter().partition(|&&r| {
            let bin = usize::from(column[r as usize]);
            if bin == missing {
                best.missing_left
            } else {
                bin <= best.bin
            }
        });
        drop(rows);
        // a feature without NaN in training sends NaN to the child with more rows
        // (HistGradientBoosting's rule)
        let missing_left = if self.b.has_missing[best.feature] {
            best.missing_left
        } else {
            left.len() > right.len()
        };
        let l = self.grow(left, depth + 1);
        let r = self.grow(right, depth + 1);
        self.nodes[id] = Node::Split {
            feature: best.feature,
            threshold: self.b.threshold(best.feature, best.bin),
            missing_left,
            left: l,
            right: r,
        };
        id
    }

    fn best_split(&mut self, rows: &[u32], gs: f64, hs: f64) -> Option<Best> {
        let (l2, min_leaf) = (self.p.l2, self.p.min_samples_leaf.max(1));
        let parent = gs * gs / (hs + l2);
        let cols = self.b.cols();
        let sampling = self.p.features_per_split < cols;
        let mut best: Option<Best> = None;
        let (mut hg, mut hh, mut hn) = (
            [0.0f64; MAX_BINS + 2],
            [0.0f64; MAX_BINS + 2],
            [0u32; MAX_BINS + 2],
        );
        let mut visited = 0;
        for i in 0..cols {
            if sampling {
                if visited >= self.p.features_per_split {
                    break;
                }
                // Fisher-Yates, one draw per feature looked at
                let j = i + self.rng.below((cols - i) as u64) as usize;
                self.order.swap(i, j);
            }
            let f = self.order[i];
            let t = self.b.thresholds[f].len();
            hg[..t + 2].fill(0.0);
            hh[..t + 2].fill(0.0);
            hn[..t + 2].fill(0);
            let column = self.b.column(f);
            for &r in rows {
                let r = r as usize;
                let bin = usize::from(column[r]);
                hg[bin] += self.g[r];
                hh[bin] += self.h[r];
                hn[bin] += 1;
            }
            if hn[..t + 2].iter().filter(|&&n| n > 0).count() < 2 {
                continue; // constant in this node
            }
            visited += 1;
            let (mg, mh, mn) = (hg[t + 1], hh[t + 1], hn[t + 1] as usize);
            let (mut lg, mut lh, mut ln) = (0.0, 0.0, 0usize);
            // k = t: every value left, NaN right (the NaN-or-not split)
            for k in 0..=t {
                lg += hg[k];
                lh += hh[k];
                ln += hn[k] as usize;
                for missing_left in [false, true] {
                    let (gl, hl, nl) = if missing_left {
                        (lg + mg, lh + mh, ln + mn)
                    } else {
                        (lg, lh, ln)
                    };
                    let (gr, hr, nr) = (gs - gl, hs - hl, rows.len() - nl);
                    if nl < min_leaf || nr < min_leaf {
                        continue;
                    }
                    let gain = gl * gl / (hl + l2) + gr * gr / (hr + l2) - parent;
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
}

/// Total split gain per feature, normalised to sum 1 (all zero without a split).
pub(crate) fn normalised(gain: &[f64]) -> Vec<f64> {
    let total: f64 = gain.iter().sum();
    gain.iter()
        .map(|g| if total > 0.0 { g / total } else { 0.0 })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The split a naive search over every threshold and NaN side finds on the raw values
    /// (squared error, no binning: few distinct values, so bins are exact).
    #[test]
    fn the_root_split_is_the_exhaustive_best() {
        let mut rng = XorShift64::new(7);
        let (rows, cols) = (300, 3);
        let mut x = vec![0.0; rows * cols];
        let mut y = vec![0.0; rows];
        for r in 0..rows {
            for c in 0..cols {
                x[r * cols + c] = if rng.uniform() < 0.1 {
                    f64::NAN
                } else {
                    rng.below(20) as f64
                };
            }
            let a = x[r * cols + 1];
            y[r] = if a.is_nan() || a > 12.0 { 1.0 } else { 0.0 } + 0.3 * rng.uniform();
        }
        let m = Matrix { values: &x, cols };
        let binned = Binned::new(&m, 64);
        let (g, h): (Vec<f64>, Vec<f64>) = y.iter().map(|&v| (-v, 1.0)).unzip();
        let params = TreeParams {
            max_depth: 1,
            min_samples_leaf: 5,
            l2: 0.0,
            shrinkage: 1.0,
            features_per_split: cols,
        };
        let mut gain = vec![0.0; cols];
        let tree = grow(
            &binned,
            &g,
            &h,
            (0..rows as u32).collect(),
            &params,
            &mut rng,
            &mut gain,
        );
        let sse = |idx: &[usize]| {
            let mean = idx.iter().map(|&i| y[i]).sum::<f64>() / idx.len() as f64;
            idx.iter().map(|&i| (y[i] - mean).powi(2)).sum::<f64>()
        };
        let mut naive = (f64::INFINITY, 0, 0.0, false);
        for c in 0..cols {
            for t in 0..20 {
                for missing_left in [false, true] {
                    let (l, r): (Vec<usize>, Vec<usize>) = (0..rows).partition(|&i| {
                        let v = x[i * cols + c];
                        if v.is_nan() {
                            missing_left
                        } else {
                            v <= t as f64
                        }
                    });
                    if l.len() >= 5 && r.len() >= 5 && sse(&l) + sse(&r) < naive.0 - 1e-9 {
                        naive = (sse(&l) + sse(&r), c, t as f64, missing_left);
                    }
                }
            }
        }
        let Node::Split {
            feature,
            threshold,
            missing_left,
            ..
        } = tree.nodes[0]
        else {
            panic!("no split");
        };
        let naive_threshold = if naive.2 == 19.0 { f64::MAX } else { naive.2 };
        assert_eq!(
            (feature, threshold, missing_left),
            (naive.1, naive_threshold, naive.3)
        );
        assert!(gain[feature] > 0.0);
    }
}
