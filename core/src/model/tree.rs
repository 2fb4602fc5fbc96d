//! Tree ensembles: a validated zero-copy view over the blob's fixed-width records.
//!
//! One comparison rule: go left iff `x <= threshold`. Per-node flags say what a
//! missing value does, whether zero counts as missing, and whether the node tests
//! category membership instead. Importers convert each library's rule to this one.

use serde::{Deserialize, Serialize};

use super::blob::{f64_at, u16_at, u32_at, BlobKind, ModelBlob};
use super::link::Link;
use super::{FeatureNames, ModelError};
use crate::num::Float;

/// The node goes to its default child on a missing value (else right).
pub const DEFAULT_LEFT: u8 = 1 << 0;
/// NaN is a missing value. Without this flag NaN is read as 0.0 (LightGBM's `None`
/// missing type) on numeric nodes and as "not in the set" on categorical ones.
pub const MISSING_NAN: u8 = 1 << 1;
/// `|x| <= 1e-35` is a missing value (LightGBM's `Zero` missing type; NaN is 0 there).
pub const MISSING_ZERO: u8 = 1 << 2;
/// A categorical node: `trunc(x)` is looked up in a bitset of categories.
pub const CATEGORICAL: u8 = 1 << 3;
/// On a categorical node, members of the set go right (XGBoost); else left (LightGBM).
pub const SET_GOES_RIGHT: u8 = 1 << 4;
const KNOWN_FLAGS: u8 = DEFAULT_LEFT | MISSING_NAN | MISSING_ZERO | CATEGORICAL | SET_GOES_RIGHT;

/// A child reference with this bit set is a leaf index; otherwise a node index.
pub const LEAF_BIT: u32 = 1 << 31;

/// LightGBM's `kZeroThreshold`.
const ZERO_THRESHOLD: f64 = 1e-35;

/// Width of the thresholds of a model, chosen to reproduce the source library:
/// LightGBM compares doubles, XGBoost compares `f32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ThresholdWidth {
    /// Inputs are cast to `f32` and compared with `f32` thresholds.
    F32,
    /// Inputs are compared as `f64`.
    F64,
}

impl ThresholdWidth {
    /// Bytes of one node record.
    pub const fn node_size(self) -> usize {
        match self {
            ThresholdWidth::F32 => 16,
            ThresholdWidth::F64 => 20,
        }
    }
}

/// How the trees of one output combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Aggregation {
    /// Boosting: base margin plus the sum of the trees.
    Sum,
    /// Random forest: base margin plus the mean of the trees.
    Mean,
}

/// The postcard payload of a tree-ensemble blob. Arrays are little-endian
/// fixed-width records inside byte strings, read in place (they are unaligned).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TreePayload<'a> {
    /// Feature names, `\n`-separated, in model order.
    pub feature_names: &'a str,
    /// Number of outputs (1, or the number of classes).
    pub outputs: u16,
    /// How trees combine.
    pub aggregation: Aggregation,
    /// The link from margins to predictions.
    pub link: Link,
    /// Scale inside the sigmoid (LightGBM's `sigmoid` parameter; 1 otherwise).
    pub link_scale: f64,
    /// Threshold width of the node records; also the precision trees are summed in
    /// (XGBoost sums in `f32`, LightGBM in `f64`).
    pub threshold_width: ThresholdWidth,
    /// Inputs with `|x| <= input_zero_threshold` are read as 0 before any split (LightGBM
    /// drops them from its sparse rows: `kZeroThreshold`, 1e-35 as f32); 0 disables.
    pub input_zero_threshold: f64,
    /// `outputs` x f64: margin each output starts from.
    pub base_margin: &'a [u8],
    /// Tree records, 16 bytes: root u32, first node u32, node count u32, output u16, 0u16.
    pub trees: &'a [u8],
    /// Node records in pre-order per tree: threshold (f32 or f64), feature u16, flags u8,
    /// 0u8, left u32, right u32. A categorical node keeps a category-set index (u32) in
    /// the first 4 threshold bytes.
    pub nodes: &'a [u8],
    /// Leaf values, f64.
    pub leaves: &'a [u8],
    /// Category sets, 8 bytes: first word u32, word count u32.
    pub category_sets: &'a [u8],
    /// Category bitset words, u32 (bit `c % 32` of word `c / 32`).
    pub category_words: &'a [u8],
}

/// One node record, the unit the importers build and the view reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    /// Threshold (numeric nodes).
    pub threshold: f64,
    /// Category-set index (categorical nodes).
    pub category_set: u32,
    /// Feature index in model order.
    pub feature: u16,
    /// Flag bits ([`DEFAULT_LEFT`], ...).
    pub flags: u8,
    /// Left child reference.
    pub left: u32,
    /// Right child reference.
    pub right: u32,
}

impl Node {
    /// The record bytes for `width` (16 or 20 of the returned 20).
    pub fn encode(&self, width: ThresholdWidth) -> ([u8; 20], usize) {
        let mut b = [0u8; 20];
        let t = match width {
            ThresholdWidth::F32 => 4,
            ThresholdWidth::F64 => 8,
        };
        let (threshold, rest) = b.split_at_mut(t);
        if self.flags & CATEGORICAL != 0 {
            for (d, s) in threshold.iter_mut().zip(self.category_set.to_le_bytes()) {
                *d = s;
            }
        } else if t == 4 {
            threshold.copy_from_slice(&(self.threshold as f32).to_le_bytes());
        } else {
            threshold.copy_from_slice(&self.threshold.to_le_bytes());
        }
        let tail = [
            &self.feature.to_le_bytes()[..],
            &[self.flags, 0],
            &self.left.to_le_bytes(),
            &self.right.to_le_bytes(),
        ];
        let mut at = 0;
        for part in tail {
            for &byte in part {
                if let Some(d) = rest.get_mut(at) {
                    *d = byte;
                }
                at = at.saturating_add(1);
            }
        }
        (b, width.node_size())
    }
}

/// One tree record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tree {
    /// Root reference (a leaf for a single-leaf tree).
    pub root: u32,
    /// Index of the tree's first node.
    pub first_node: u32,
    /// Number of nodes.
    pub node_count: u32,
    /// The output this tree adds to.
    pub output: u16,
}

impl Tree {
    /// The 16 record bytes.
    pub fn encode(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        for (d, s) in b.iter_mut().zip(
            self.root
                .to_le_bytes()
                .into_iter()
                .chain(self.first_node.to_le_bytes())
                .chain(self.node_count.to_le_bytes())
                .chain(self.output.to_le_bytes()),
        ) {
            *d = s;
        }
        b
    }
}

const TREE_SIZE: usize = 16;

/// Trees walked side by side.
const LANES: usize = 8;

/// The most outputs (classes) a tree ensemble may have.
pub const MAX_OUTPUTS: usize = 64;

/// A validated tree ensemble reading its blob in place (no copy, no allocation).
#[derive(Debug, Clone, Copy)]
pub struct TreeEnsemble<'a> {
    p: TreePayload<'a>,
    feature_count: u32,
    schema_hash: u64,
    node_size: usize,
    trees_per_output: u32,
}

impl<'a> TreeEnsemble<'a> {
    /// Parses and validates a tree-ensemble blob: every child index, category set and
    /// feature index is checked here, so prediction needs no checks that can fail.
    pub fn from_blob(bytes: &'a [u8]) -> Result<Self, ModelError> {
        let blob = ModelBlob::parse(bytes)?;
        let payload = blob.payload_of(BlobKind::TreeEnsemble)?;
        let p: TreePayload<'a> =
            postcard::from_bytes(payload).map_err(|_| ModelError::Malformed {
                what: "tree payload does not decode",
            })?;
        Self::validate(p, blob.header().feature_count, blob.header().schema_hash)
    }

    fn validate(
        p: TreePayload<'a>,
        feature_count: u32,
        schema_hash: u64,
    ) -> Result<Self, ModelError> {
        let malformed = |what| Err(ModelError::Malformed { what });
        let node_size = p.threshold_width.node_size();
        if p.outputs == 0 || usize::from(p.outputs) > MAX_OUTPUTS {
            return malformed("outputs must be 1 to 64");
        }
        if FeatureNames::new(p.feature_names).count() != feature_count as usize {
            return malformed("feature names do not match the header's feature count");
        }
        if Some(p.base_margin.len()) != usize::from(p.outputs).checked_mul(8) {
            return malformed("base margin length");
        }
        if !p.trees.len().is_multiple_of(TREE_SIZE)
            || p.nodes.len().checked_rem(node_size) != Some(0)
            || !p.leaves.len().is_multiple_of(8)
            || !p.category_sets.len().is_multiple_of(8)
            || !p.category_words.len().is_multiple_of(4)
        {
            return malformed("array length is not a whole number of records");
        }
        if !p.link_scale.is_finite() {
            return malformed("link scale is not finite");
        }
        if !(p.input_zero_threshold >= 0.0 && p.input_zero_threshold.is_finite()) {
            return malformed("input zero threshold");
        }
        let n_nodes = p.nodes.len().checked_div(node_size).unwrap_or(0);
        let n_leaves = p.leaves.len() / 8;
        let n_sets = p.category_sets.len() / 8;
        let n_words = p.category_words.len() / 4;
        if u32::try_from(n_nodes.max(n_leaves)).map_or(true, |n| n >= LEAF_BIT) {
            return malformed("too many nodes or leaves");
        }
        for i in 0..n_leaves {
            if !f64_at(p.leaves, i.saturating_mul(8)).is_some_and(f64::is_finite) {
                return malformed("a leaf value is not finite");
            }
        }
        for i in 0..usize::from(p.outputs) {
            if !f64_at(p.base_margin, i.saturating_mul(8)).is_some_and(f64::is_finite) {
                return malformed("a base margin is not finite");
            }
        }
        for s in 0..n_sets {
            let first = u32_at(p.category_sets, s.saturating_mul(8)).unwrap_or(u32::MAX) as usize;
            let count = u32_at(p.category_sets, s.saturating_mul(8).saturating_add(4))
                .unwrap_or(u32::MAX) as usize;
            if first.checked_add(count).is_none_or(|end| end > n_words) {
                return malformed("a category set runs past the words");
            }
        }
        let mut per_output = [0u32; 1];
        let n_trees = p.trees.len() / TREE_SIZE;
        for t in 0..n_trees {
            let at = t.saturating_mul(TREE_SIZE);
            let (root, first, count, output) = (
                u32_at(p.trees, at).unwrap_or(u32::MAX),
                u32_at(p.trees, at.saturating_add(4)).unwrap_or(u32::MAX),
                u32_at(p.trees, at.saturating_add(8)).unwrap_or(u32::MAX),
                u16_at(p.trees, at.saturating_add(12)).unwrap_or(u16::MAX),
            );
            if output >= p.outputs {
                return malformed("a tree adds to an output the model does not have");
            }
            if output == 0 {
                per_output[0] = per_output[0].saturating_add(1);
            }
            // checked: on a 32-bit target `first + count` of two u32 can wrap a usize
            let Some(end) = (first as usize).checked_add(count as usize) else {
                return malformed("a tree's nodes run past the node array");
            };
            if end > n_nodes {
                return malformed("a tree's nodes run past the node array");
            }
            let root_ok = if root & LEAF_BIT != 0 {
                ((root & !LEAF_BIT) as usize) < n_leaves
            } else {
                root == first && count > 0
            };
            if !root_ok {
                return Err(ModelError::BadChild { node: root });
            }
            for i in first as usize..end {
                let node = read_node(p.nodes, p.threshold_width == ThresholdWidth::F64, i)
                    .ok_or(ModelError::Malformed { what: "node" })?;
                let i32_ = i as u32;
                if node.flags & !KNOWN_FLAGS != 0 {
                    return malformed("unknown node flags");
                }
                if u32::from(node.feature) >= feature_count {
                    return Err(ModelError::FeatureOutOfRange {
                        node: i32_,
                        feature: u32::from(node.feature),
                    });
                }
                for child in [node.left, node.right] {
                    let ok = if child & LEAF_BIT != 0 {
                        ((child & !LEAF_BIT) as usize) < n_leaves
                    } else {
                        // strictly forward and inside the tree: walks end, no cycles
                        child > i32_ && (child as usize) < end
                    };
                    if !ok {
                        return Err(ModelError::BadChild { node: i32_ });
                    }
                }
                if node.flags & CATEGORICAL != 0 {
                    if node.category_set as usize >= n_sets {
                        return Err(ModelError::BadCategories { node: i32_ });
                    }
                } else if node.threshold.is_nan() {
                    return malformed("a threshold is NaN");
                }
            }
        }
        Ok(TreeEnsemble {
            p,
            feature_count,
            schema_hash,
            node_size,
            trees_per_output: per_output[0].max(1),
        })
    }

    /// The payload.
    pub fn payload(&self) -> &TreePayload<'a> {
        &self.p
    }

    /// Number of features the model reads.
    pub fn feature_count(&self) -> usize {
        self.feature_count as usize
    }

    /// The feature names in model order.
    pub fn feature_names(&self) -> FeatureNames<'a> {
        FeatureNames::new(self.p.feature_names)
    }

    /// The schema hash in the header.
    pub fn schema_hash(&self) -> u64 {
        self.schema_hash
    }

    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        usize::from(self.p.outputs)
    }

    /// Number of trees.
    pub fn tree_count(&self) -> usize {
        self.p.trees.len() / TREE_SIZE
    }

    /// Number of internal nodes.
    pub fn node_count(&self) -> usize {
        self.p.nodes.len().checked_div(self.node_size).unwrap_or(0)
    }

    /// Number of leaves.
    pub fn leaf_count(&self) -> usize {
        self.p.leaves.len() / 8
    }

    /// Node `i` (validated: its children, feature and category set exist).
    pub fn node(&self, i: usize) -> Option<Node> {
        read_node(
            self.p.nodes,
            self.p.threshold_width == ThresholdWidth::F64,
            i,
        )
    }

    /// Tree `t`.
    pub fn tree(&self, t: usize) -> Option<Tree> {
        let at = t.checked_mul(TREE_SIZE)?;
        Some(Tree {
            root: u32_at(self.p.trees, at)?,
            first_node: u32_at(self.p.trees, at.saturating_add(4))?,
            node_count: u32_at(self.p.trees, at.saturating_add(8))?,
            output: u16_at(self.p.trees, at.saturating_add(12))?,
        })
    }

    /// Leaf value `i`.
    pub fn leaf(&self, i: usize) -> Option<f64> {
        f64_at(self.p.leaves, i.checked_mul(8)?)
    }

    /// The margin output `k` starts from.
    pub fn base_margin(&self, k: usize) -> Option<f64> {
        f64_at(self.p.base_margin, k.checked_mul(8)?)
    }

    /// Trees per output: what a random forest's sum is divided by.
    pub fn trees_per_output(&self) -> u32 {
        self.trees_per_output
    }

    /// The bitset words of category set `set` (bit `c % 32` of word `c / 32`).
    pub fn category_words(&self, set: u32) -> impl Iterator<Item = u32> + 'a {
        let at = (set as usize).saturating_mul(8);
        let first = u32_at(self.p.category_sets, at).unwrap_or(0) as usize;
        let count = u32_at(self.p.category_sets, at.saturating_add(4)).unwrap_or(0) as usize;
        let words = self.p.category_words;
        (first..first.saturating_add(count)).map_while(move |w| u32_at(words, w.saturating_mul(4)))
    }

    fn in_set(&self, set: u32, x: f64) -> bool {
        if x.is_nan() || x <= -1.0 {
            return false;
        }
        let category = x as u64; // truncation toward zero, saturating
        let at = (set as usize).saturating_mul(8);
        let (Some(first), Some(count)) = (
            u32_at(self.p.category_sets, at),
            u32_at(self.p.category_sets, at.saturating_add(4)),
        ) else {
            return false;
        };
        let word = category / 32;
        if word >= u64::from(count) {
            return false;
        }
        u32_at(
            self.p.category_words,
            (first as usize)
                .saturating_add(word as usize)
                .saturating_mul(4),
        )
        .is_some_and(|w| w & (1 << (category % 32)) != 0)
    }

    /// The full decision rule at `node` for `x` (after the input zero threshold).
    #[inline]
    pub(super) fn goes_left(&self, node: &Node, x: f64) -> bool {
        let flags = node.flags;
        if flags & CATEGORICAL != 0 {
            if x.is_nan() && flags & MISSING_NAN != 0 {
                return flags & DEFAULT_LEFT != 0;
            }
            return self.in_set(node.category_set, x) != (flags & SET_GOES_RIGHT != 0);
        }
        let x = if x.is_nan() {
            if flags & MISSING_NAN != 0 {
                return flags & DEFAULT_LEFT != 0;
            }
            0.0
        } else {
            x
        };
        if flags & MISSING_ZERO != 0 && x.abs() <= ZERO_THRESHOLD {
            return flags & DEFAULT_LEFT != 0;
        }
        match self.p.threshold_width {
            ThresholdWidth::F64 => x <= node.threshold,
            ThresholdWidth::F32 => (x as f32) <= node.threshold as f32,
        }
    }

    /// Feature `feature` of `x` as the splits read it: NaN when absent, 0 within the
    /// input zero threshold.
    #[inline(always)]
    pub(super) fn input<T: Float>(&self, x: &[T], feature: u16) -> f64 {
        let v = x.get(usize::from(feature)).map_or(f64::NAN, |v| v.to_f64());
        if v.abs() <= self.p.input_zero_threshold {
            0.0
        } else {
            v
        }
    }

    /// The child `node` sends `x` to.
    #[inline(always)]
    fn step<T: Float, const WIDE: bool>(&self, node: &Node, x: &[T]) -> u32 {
        let v = self.input(x, node.feature);
        let left = if node.flags & (CATEGORICAL | MISSING_ZERO) == 0 && !v.is_nan() {
            if WIDE {
                v <= node.threshold
            } else {
                (v as f32) <= node.threshold as f32
            }
        } else {
            self.goes_left(node, v)
        };
        if left {
            node.left
        } else {
            node.right
        }
    }

    /// Predicts from `x` (model order, NaN = missing) into `out[..outputs]`.
    ///
    /// Boosted trees are summed starting from the base margin, in the model's threshold
    /// width (`f32` for XGBoost, as it does); a random forest's trees are averaged and
    /// the base margin added after.
    pub fn predict<T: Float>(&self, x: &[T], out: &mut [T]) -> Result<(), ModelError> {
        self.predict_by(self, x, out)
    }

    /// [`Self::predict`] with the trees summed by `layout` (this ensemble laid out
    /// another way): the checks, the start of the sums and the link stay the blob's.
    pub(super) fn predict_by<L: SumTrees, T: Float>(
        &self,
        layout: &L,
        x: &[T],
        out: &mut [T],
    ) -> Result<(), ModelError> {
        // one output's sum needs no room for sixty-four
        if self.outputs() == 1 {
            self.predict_in(layout, x, out, &mut [0.0])
        } else {
            self.predict_in(layout, x, out, &mut [0.0; MAX_OUTPUTS])
        }
    }

    /// [`Self::predict_by`] with the sums in `sums` (room for every output).
    fn predict_in<L: SumTrees, T: Float>(
        &self,
        layout: &L,
        x: &[T],
        out: &mut [T],
        sums: &mut [f64],
    ) -> Result<(), ModelError> {
        let sums = self.start_sums(x, out, sums)?;
        if self.sums_in_f32() {
            layout.sum_trees::<T, false>(x, sums);
        } else {
            layout.sum_trees::<T, true>(x, sums);
        }
        self.finish(sums, out);
        Ok(())
    }

    /// [`Self::predict_by`] for every row of `rows` (row-major, `feature_count` values
    /// each) into `out` (`outputs` values each), `N` rows at a time: each group's sums
    /// start and finish as one row's do, and `layout` adds the group's leaves.
    pub(super) fn predict_many_by<L: SumRows<N>, T: Float, const N: usize>(
        &self,
        layout: &L,
        rows: &[T],
        out: &mut [T],
    ) -> Result<(), ModelError> {
        let (width, k) = (self.feature_count(), self.outputs());
        let out = super::rows_out(rows.len(), width, k, out)?;
        let mut sums = [[0.0f64; MAX_OUTPUTS]; N];
        for (rows, out) in rows
            .chunks(width.saturating_mul(N))
            .zip(out.chunks_mut(k.saturating_mul(N)))
        {
            let group = sums.iter_mut().zip(rows.chunks_exact(width));
            for ((s, x), o) in group.zip(out.chunks_exact(k)) {
                self.start_sums(x, o, s)?;
            }
            if self.sums_in_f32() {
                layout.sum_rows::<T, false>(rows, width, &mut sums);
            } else {
                layout.sum_rows::<T, true>(rows, width, &mut sums);
            }
            for (s, o) in sums.iter().zip(out.chunks_exact_mut(k)) {
                self.finish(s.get(..k).unwrap_or(&[]), o);
            }
        }
        Ok(())
    }

    /// Whether trees are summed (and thresholds compared) in `f32`.
    pub(super) fn sums_in_f32(&self) -> bool {
        self.p.threshold_width == ThresholdWidth::F32
    }

    /// Checks the lengths of `x` and `out` and sets each output's sum to where it
    /// starts: the base margin when boosting (rounded to `f32` for `f32` sums), else 0.
    pub(super) fn start_sums<'s, T: Float>(
        &self,
        x: &[T],
        out: &[T],
        sums: &'s mut [f64],
    ) -> Result<&'s mut [f64], ModelError> {
        let k = self.outputs();
        if x.len() < self.feature_count() {
            return Err(ModelError::InputTooShort {
                needed: self.feature_count(),
            });
        }
        if out.len() < k {
            return Err(ModelError::OutputTooShort { needed: k });
        }
        let sums = sums.get_mut(..k).ok_or(ModelError::CapacityExceeded {
            what: "outputs",
            capacity: MAX_OUTPUTS,
        })?;
        let summing = self.p.aggregation == Aggregation::Sum;
        for (i, s) in sums.iter_mut().enumerate() {
            let start = if summing {
                self.base_margin(i).unwrap_or(0.0)
            } else {
                0.0
            };
            *s = if self.sums_in_f32() {
                f64::from(start as f32)
            } else {
                start
            };
        }
        Ok(sums)
    }

    /// Turns the sums of every tree into predictions: a forest's mean plus its base
    /// margin, then the link.
    pub(super) fn finish<T: Float>(&self, sums: &[f64], out: &mut [T]) {
        let summing = self.p.aggregation == Aggregation::Sum;
        let Some(out) = out.get_mut(..sums.len()) else {
            return;
        };
        for (i, (o, s)) in out.iter_mut().zip(sums.iter()).enumerate() {
            *o = T::from_f64(if summing {
                *s
            } else {
                *s / f64::from(self.trees_per_output) + self.base_margin(i).unwrap_or(0.0)
            });
        }
        self.p.link.apply(T::from_f64(self.p.link_scale), out);
    }
}

/// A layout of a tree ensemble that adds each tree's leaf for `x` to its output's sum,
/// in tree order: in `f64` for `WIDE` (LightGBM) models, in `f32` otherwise.
pub(super) trait SumTrees {
    /// Adds every tree's leaf for `x` to `sums`.
    fn sum_trees<T: Float, const WIDE: bool>(&self, x: &[T], sums: &mut [f64]);
}

/// A layout that adds the leaves of up to `N` rows at a time (rows of `width` values,
/// the first `rows.len() / width` of `sums` theirs), each row's in tree order.
pub(super) trait SumRows<const N: usize> {
    /// Adds every tree's leaf for each row of `rows` to its sums.
    fn sum_rows<T: Float, const WIDE: bool>(
        &self,
        rows: &[T],
        width: usize,
        sums: &mut [[f64; MAX_OUTPUTS]; N],
    );
}

impl SumTrees for TreeEnsemble<'_> {
    /// Walks every tree and adds its leaf to its output's sum: in `f64` for `WIDE`
    /// (LightGBM) models, in `f32` otherwise (XGBoost). Trees are walked [`LANES`] at a
    /// time, one level per round, so the CPU overlaps their independent node loads
    /// instead of waiting on one path; leaves are added in tree order, as the
    /// libraries do.
    #[inline]
    fn sum_trees<T: Float, const WIDE: bool>(&self, x: &[T], sums: &mut [f64]) {
        for group in self.p.trees.chunks(LANES * TREE_SIZE) {
            let mut refs = [LEAF_BIT; LANES];
            let mut outputs = [0u16; LANES];
            for ((tree, r), o) in group
                .chunks_exact(TREE_SIZE)
                .zip(refs.iter_mut())
                .zip(outputs.iter_mut())
            {
                if let Ok(&[r0, r1, r2, r3, _, _, _, _, _, _, _, _, o0, o1, _, _]) =
                    <&[u8; TREE_SIZE]>::try_from(tree)
                {
                    *r = u32::from_le_bytes([r0, r1, r2, r3]);
                    *o = u16::from_le_bytes([o0, o1]);
                }
            }
            loop {
                let mut walking = false;
                for r in refs.iter_mut() {
                    if *r & LEAF_BIT == 0 {
                        walking = true;
                        *r = match read_node(self.p.nodes, WIDE, *r as usize) {
                            Some(node) => self.step::<T, WIDE>(&node, x),
                            None => LEAF_BIT,
                        };
                    }
                }
                if !walking {
                    break;
                }
            }
            let trees_here = group.len() / TREE_SIZE;
            for (&r, &o) in refs.iter().zip(outputs.iter()).take(trees_here) {
                let leaf = f64_at(self.p.leaves, ((r & !LEAF_BIT) as usize).saturating_mul(8))
                    .unwrap_or(0.0);
                add_leaf::<WIDE>(sums, o, leaf);
            }
        }
    }
}

/// Adds a tree's leaf to output `o`'s sum, in `f64` for `WIDE` models and in `f32`
/// otherwise (XGBoost's precision).
#[inline(always)]
pub(super) fn add_leaf<const WIDE: bool>(sums: &mut [f64], o: u16, leaf: f64) {
    if let Some(s) = sums.get_mut(usize::from(o)) {
        *s = if WIDE {
            *s + leaf
        } else {
            f64::from(*s as f32 + leaf as f32)
        };
    }
}

/// Reads node `i`: one bounds check for the record, then fixed offsets.
#[inline(always)]
fn read_node(nodes: &[u8], wide: bool, i: usize) -> Option<Node> {
    if wide {
        let at = i.saturating_mul(20);
        let r: &[u8; 20] = nodes.get(at..at.saturating_add(20))?.try_into().ok()?;
        let [t0, t1, t2, t3, t4, t5, t6, t7, f0, f1, flags, _, l0, l1, l2, l3, r0, r1, r2, r3] = *r;
        Some(Node {
            threshold: f64::from_le_bytes([t0, t1, t2, t3, t4, t5, t6, t7]),
            category_set: u32::from_le_bytes([t0, t1, t2, t3]),
            feature: u16::from_le_bytes([f0, f1]),
            flags,
            left: u32::from_le_bytes([l0, l1, l2, l3]),
            right: u32::from_le_bytes([r0, r1, r2, r3]),
        })
    } else {
        let at = i.saturating_mul(16);
        let r: &[u8; 16] = nodes.get(at..at.saturating_add(16))?.try_into().ok()?;
        let [t0, t1, t2, t3, f0, f1, flags, _, l0, l1, l2, l3, r0, r1, r2, r3] = *r;
        Some(Node {
            threshold: f64::from(f32::from_le_bytes([t0, t1, t2, t3])),
            category_set: u32::from_le_bytes([t0, t1, t2, t3]),
            feature: u16::from_le_bytes([f0, f1]),
            flags,
            left: u32::from_le_bytes([l0, l1, l2, l3]),
            right: u32::from_le_bytes([r0, r1, r2, r3]),
        })
    }
}
