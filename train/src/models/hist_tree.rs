//! The one tree learner behind the booster, the forest and the single tree: histogram
//! splits on quantile bins of the training rows, with missing values.
//!
//! Each feature is cut into at most `max_bins` bins at quantiles of its training values
//! (every distinct value when there are few; NaN in a bin of its own; from a sample of
//! 200,000 rows of larger data), as HistGradientBoosting bins. A node sums the per-row gradients `g` and hessians `h` of
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

/// The training rows' bins, row-major (a node's histogram reads each of its rows'
/// bins from one or two cache lines).
pub(crate) struct Binned {
    /// Per feature: the thresholds, ascending (a bin `k` holds `t[k-1] < x <= t[k]`).
    thresholds: Vec<Vec<f64>>,
    /// `bins[r * cols + f]`: row `r`'s bin of feature `f`; `thresholds[f].len() + 1` is NaN.
    bins: Vec<u8>,
    /// Per feature: some training value is NaN.
    has_missing: Vec<bool>,
    /// Feature `f`'s bins in a node histogram: `offsets[f]..offsets[f + 1]` (its
    /// thresholds plus two: the last value bin and NaN).
    offsets: Vec<usize>,
}

impl Binned {
    /// Bins every column of `x` into at most `max_bins` (2..=255) quantile bins, each
    /// row counted `weights[r]` times (rows of weight 0 do not move an edge).
    pub(crate) fn new(x: &Matrix, max_bins: usize, weights: Option<&[f64]>) -> Self {
        use rayon::prelude::*;
        let (rows, cols) = (x.rows(), x.cols);
        let max_bins = max_bins.clamp(2, MAX_BINS);
        // edges from at most EDGE_SAMPLE rows, every stride-th (LightGBM and scikit-learn
        // also cut bins from a sample of large data)
        let stride = rows.div_ceil(EDGE_SAMPLE).max(1);
        let columns: Vec<(Vec<f64>, Vec<u8>, bool)> = (0..cols)
            .into_par_iter()
            .map(|c| {
                let value = |r: usize| x.row(r)[c];
                let weight = |r: usize| weights.map_or(1.0, |w| w[r]);
                let sample = (0..rows).step_by(stride);
                let t = edges(
                    sample
                        .map(|r| (value(r), weight(r)))
                        .filter(|(v, w)| !v.is_nan() && *w > 0.0)
                        .collect(),
                    max_bins,
                );
                let bins: Vec<u8> = (0..rows)
                    .map(|r| {
                        let v = value(r);
                        if v.is_nan() {
                            (t.len() + 1) as u8
                        } else {
                            t.partition_point(|&e| e < v) as u8
                        }
                    })
                    .collect();
                let has_missing = (0..rows).any(|r| value(r).is_nan());
                (t, bins, has_missing)
            })
            .collect();
        let mut thresholds = Vec::with_capacity(cols);
        let mut bins = vec![0u8; rows * cols];
        let mut has_missing = Vec::with_capacity(cols);
        let mut offsets = vec![0];
        for (f, (t, column, missing)) in columns.into_iter().enumerate() {
            offsets.push(offsets[offsets.len() - 1] + t.len() + 2);
            thresholds.push(t);
            for (r, b) in column.into_iter().enumerate() {
                bins[r * cols + f] = b;
            }
            has_missing.push(missing);
        }
        Binned {
            thresholds,
            bins,
            has_missing,
            offsets,
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

    /// Row `r`'s bins, feature by feature.
    fn row(&self, r: usize) -> &[u8] {
        let cols = self.cols();
        &self.bins[r * cols..(r + 1) * cols]
    }

    /// Row `r`'s bin of feature `f`.
    fn bin(&self, r: usize, f: usize) -> usize {
        usize::from(self.bins[r * self.cols() + f])
    }
}

/// Rows the bin edges are cut from, at most.
const EDGE_SAMPLE: usize = 200_000;

/// The edges of `values` (value, weight; no NaN, weights > 0), cut as
/// HistGradientBoosting (scikit-learn 1.9) cuts them: the midpoints of consecutive
/// distinct values when there are at most `max_bins`, else the weighted percentiles at
/// q = k / max_bins, k = 1 .. max_bins - 1, by the averaged inverted CDF (numpy's
/// `method="averaged_inverted_cdf"`): the first value whose cumulative weight reaches
/// q of the total, or, where it lands on q exactly, the midpoint of that value and the
/// next. Repeated edges are kept once, and none reaches the largest value.
fn edges(mut values: Vec<(f64, f64)>, max_bins: usize) -> Vec<f64> {
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut distinct: Vec<f64> = values.iter().map(|p| p.0).collect();
    distinct.dedup();
    if distinct.len() <= max_bins {
        return distinct.windows(2).map(|w| (w[0] + w[1]) * 0.5).collect();
    }
    let largest = distinct[distinct.len() - 1];
    let cumulative: Vec<f64> = values
        .iter()
        .scan(0.0, |c, p| {
            *c += p.1;
            Some(*c)
        })
        .collect();
    let (n, total) = (values.len(), cumulative[values.len() - 1]);
    let mut t: Vec<f64> = Vec::with_capacity(max_bins);
    for k in 1..max_bins {
        let rank = k as f64 / max_bins as f64 * total;
        let i = cumulative.partition_point(|&c| c < rank).min(n - 1);
        let a = values[i].0;
        let edge = if cumulative[i] - rank > f64::EPSILON {
            a
        } else {
            // numpy's lerp at 1/2: b - (b - a) / 2
            let b = values[(i + 1).min(n - 1)].0;
            b - (b - a) * 0.5
        };
        if edge < largest && t.last() != Some(&edge) {
            t.push(edge);
        }
    }
    t
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

/// One bin's sums over a node's rows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Bin {
    g: f64,
    h: f64,
    n: u32,
}

/// Rows a thread bins into one histogram of a large node.
const ROW_CHUNK: usize = 8_192;

/// Grows one tree on `rows` (distinct row indices) of `binned` with per-row gradients
/// `g` and hessians `h` (weights already applied), adding each split's gain to
/// `gain[feature]`. `rng` draws the features of each split when `features_per_split`
/// is below the feature count. With every feature tried, a node's histogram covers all
/// features and the larger child's is the parent's minus the smaller child's.
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
        sampling: params.features_per_split < binned.cols(),
    };
    grower.grow(rows, 0, None);
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
    /// Fewer features than all are tried per split (no whole-node histograms).
    sampling: bool,
}

impl Grower<'_> {
    /// Every feature's bins over `rows`, one row's bins after another. Past
    /// [`ROW_CHUNK`] rows, chunks of that many are binned in parallel and their
    /// histograms added in chunk order (the same sums whatever the thread count).
    fn node_histogram(&self, rows: &[u32]) -> Vec<Bin> {
        use rayon::prelude::*;
        let size = self.b.offsets[self.b.offsets.len() - 1];
        let offsets = &self.b.offsets[..self.b.cols()];
        let chunk = |rows: &[u32]| {
            let mut hist = vec![Bin::default(); size];
            for &r in rows {
                let r = r as usize;
                let (g, h) = (self.g[r], self.h[r]);
                for (&offset, &b) in offsets.iter().zip(self.b.row(r)) {
                    if let Some(bin) = hist.get_mut(offset + usize::from(b)) {
                        bin.g += g;
                        bin.h += h;
                        bin.n += 1;
                    }
                }
            }
            hist
        };
        if rows.len() <= ROW_CHUNK {
            return chunk(rows);
        }
        let parts: Vec<Vec<Bin>> = rows.par_chunks(ROW_CHUNK).map(chunk).collect();
        let mut parts = parts.into_iter();
        let mut hist = parts.next().unwrap_or_else(|| vec![Bin::default(); size]);
        for part in parts {
            for (a, b) in hist.iter_mut().zip(&part) {
                a.g += b.g;
                a.h += b.h;
                a.n += b.n;
            }
        }
        hist
    }

    /// Feature `f`'s bins over `rows` into `out` (zeroed first).
    fn feature_histogram(&self, f: usize, rows: &[u32], out: &mut [Bin]) {
        out.fill(Bin::default());
        for &r in rows {
            let r = r as usize;
            if let Some(bin) = out.get_mut(self.b.bin(r, f)) {
                bin.g += self.g[r];
                bin.h += self.h[r];
                bin.n += 1;
            }
        }
    }

    fn grow(&mut self, rows: Vec<u32>, depth: u16, hist: Option<Vec<Bin>>) -> usize {
        use rayon::prelude::*;
        let id = self.nodes.len();
        let (g, h) = (self.g, self.h);
        let sums = |rows: &[u32]| {
            rows.iter().fold((0.0, 0.0), |(a, z), &r| {
                (a + g[r as usize], z + h[r as usize])
            })
        };
        // chunk by chunk past ROW_CHUNK rows, added in chunk order
        let (gs, hs) = if rows.len() <= ROW_CHUNK {
            sums(&rows)
        } else {
            let parts: Vec<(f64, f64)> = rows.par_chunks(ROW_CHUNK).map(sums).collect();
            parts
                .iter()
                .fold((0.0, 0.0), |(a, z), p| (a + p.0, z + p.1))
        };
        self.nodes
            .push(Node::Leaf(-gs / (hs + self.p.l2) * self.p.shrinkage));
        let min_leaf = self.p.min_samples_leaf.max(1);
        if depth >= self.p.max_depth || rows.len() < 2 * min_leaf {
            return id;
        }
        let hist = if self.sampling {
            None
        } else {
            Some(hist.unwrap_or_else(|| self.node_histogram(&rows)))
        };
        let Some(best) = self.best_split(&rows, gs, hs, hist.as_deref()) else {
            return id;
        };
        self.gain[best.feature] += best.gain;
        let missing = self.b.thresholds[best.feature].len() + 1;
        let b = self.b;
        let goes_left = |r: u32| {
            let bin = b.bin(r as usize, best.feature);
            if bin == missing {
                best.missing_left
            } else {
                bin <= best.bin
            }
        };
        let split =
            |rows: &[u32]| -> (Vec<u32>, Vec<u32>) { rows.iter().partition(|&&r| goes_left(r)) };
        let (left, right) = if rows.len() <= ROW_CHUNK {
            split(&rows)
        } else {
            let parts: Vec<(Vec<u32>, Vec<u32>)> = rows.par_chunks(ROW_CHUNK).map(split).collect();
            let (mut left, mut right) = (Vec::new(), Vec::new());
            for (l, r) in parts {
                left.extend_from_slice(&l);
                right.extend_from_slice(&r);
            }
            (left, right)
        };
        drop(rows);
        // a feature without NaN in training sends NaN to the child with more rows
        // (HistGradientBoosting's rule)
        let missing_left = if self.b.has_missing[best.feature] {
            best.missing_left
        } else {
            left.len() > right.len()
        };
        // the children's histograms, when they may split: the smaller one's built, the
        // larger one's the parent's minus it
        let (left_hist, right_hist) = match hist {
            Some(mut parent) if depth + 1 < self.p.max_depth => {
                let small = self.node_histogram(if left.len() <= right.len() {
                    &left
                } else {
                    &right
                });
                for (p, s) in parent.iter_mut().zip(&small) {
                    p.g -= s.g;
                    p.h -= s.h;
                    p.n -= s.n;
                }
                if left.len() <= right.len() {
                    (Some(small), Some(parent))
                } else {
                    (Some(parent), Some(small))
                }
            }
            _ => (None, None),
        };
        let l = self.grow(left, depth + 1, left_hist);
        let r = self.grow(right, depth + 1, right_hist);
        self.nodes[id] = Node::Split {
            feature: best.feature,
            threshold: self.b.threshold(best.feature, best.bin),
            missing_left,
            left: l,
            right: r,
        };
        id
    }

    fn best_split(&mut self, rows: &[u32], gs: f64, hs: f64, hist: Option<&[Bin]>) -> Option<Best> {
        let (l2, min_leaf) = (self.p.l2, self.p.min_samples_leaf.max(1));
        let parent = gs * gs / (hs + l2);
        let cols = self.b.cols();
        let mut best: Option<Best> = None;
        let mut scratch = [Bin::default(); MAX_BINS + 2];
        let mut visited = 0;
        for i in 0..cols {
            if self.sampling {
                if visited >= self.p.features_per_split {
                    break;
                }
                // Fisher-Yates, one draw per feature looked at
                let j = i + self.rng.below((cols - i) as u64) as usize;
                self.order.swap(i, j);
            }
            let f = self.order[i];
            let t = self.b.thresholds[f].len();
            let bins: &[Bin] = match hist {
                Some(h) => &h[self.b.offsets[f]..self.b.offsets[f + 1]],
                None => {
                    self.feature_histogram(f, rows, &mut scratch[..t + 2]);
                    &scratch[..t + 2]
                }
            };
            if bins.iter().filter(|b| b.n > 0).count() < 2 {
                continue; // constant in this node
            }
            visited += 1;
            let m = bins[t + 1];
            let (mut lg, mut lh, mut ln) = (0.0, 0.0, 0usize);
            // k = t: every value left, NaN right (the NaN-or-not split)
            for (k, bin) in bins.iter().take(t + 1).enumerate() {
                lg += bin.g;
                lh += bin.h;
                ln += bin.n as usize;
                for missing_left in [false, true] {
                    let (gl, hl, nl) = if missing_left {
                        (lg + m.g, lh + m.h, ln + m.n as usize)
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

    /// Edges against the averaged inverted CDF in closed form: on the values 0 .. n - 1
    /// the percentile at q is floor(nq) where nq is fractional, and the midpoint
    /// nq - 1/2 of rows nq - 1 and nq where it is whole; few distinct values give their
    /// midpoints.
    #[test]
    fn edges_are_the_averaged_inverted_cdf() {
        for n in [65usize, 100, 4000, 4001] {
            let got = edges((0..n).rev().map(|v| (v as f64, 1.0)).collect(), 64);
            let want: Vec<f64> = (1..64)
                .map(|k| {
                    let nq = (n * k) as f64 / 64.0;
                    if nq.fract() == 0.0 {
                        nq - 0.5
                    } else {
                        nq.floor()
                    }
                })
                .collect();
            assert_eq!(got, want, "n = {n}");
        }
        let few: Vec<(f64, f64)> = [3.0, 1.0, 2.0, 1.0, 5.0].map(|v| (v, 1.0)).to_vec();
        assert_eq!(edges(few, 64), vec![1.5, 2.5, 4.0]);
    }

    /// Integer weights cut the edges of the rows repeated.
    #[test]
    fn integer_weights_are_repeated_rows() {
        let mut rng = XorShift64::new(3);
        let rows: Vec<(f64, f64)> = (0..500)
            .map(|_| ((rng.below(300) as f64) / 7.0, (1 + rng.below(4)) as f64))
            .collect();
        let repeated: Vec<(f64, f64)> = rows
            .iter()
            .flat_map(|&(v, w)| std::iter::repeat_n((v, 1.0), w as usize))
            .collect();
        assert_eq!(edges(rows, 64), edges(repeated, 64));
    }

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
        let binned = Binned::new(&m, 64, None);
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
        // the edges of 20 distinct values are their midpoints
        let naive_threshold = if naive.2 == 19.0 {
            f64::MAX
        } else {
            naive.2 + 0.5
        };
        assert_eq!(
            (feature, threshold, missing_left),
            (naive.1, naive_threshold, naive.3)
        );
        assert!(gain[feature] > 0.0);
    }
}
