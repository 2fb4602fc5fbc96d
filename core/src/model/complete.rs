//! A shallow tree ensemble padded to complete binary trees and walked level by level
//! with no branch on the data, from a caller-provided buffer.
//!
//! Every tree is padded to the ensemble's depth `d` (at least 2, at most
//! [`MAX_COMPLETE_DEPTH`]): a leaf above that depth becomes nodes that send every input
//! left (threshold `+inf`) down to copies of the leaf. Nodes are numbered from 1 (the
//! root) with node `j`'s children at `2j` and `2j + 1`, so a walk is `d` steps of
//! `j = 2j + (x[f_j] > t_j)`, and the exit leaf is `j - 2^d`. A tree is three blocks of
//! `2^d` words ([`ScorerRecord`]): the thresholds' bits, the features (the first word,
//! which no node uses, holds the tree's output), and the leaves' bits; every index is a
//! mask into a fixed-size block, so a step has no bounds check either. The walk visits
//! `d` nodes a tree where QuickScorer scans about half of them, and a tree's steps do
//! not wait on a mispredicted branch.
//!
//! A node's decision is its threshold alone ([`split_rule`]): a model with a node that
//! needs more (categorical, missing-as-zero, an `f32` threshold inside the input zero
//! threshold) is refused. A row with a NaN among the model's inputs takes the blob's walk,
//! which sends it where each node's missing-value rule says.

use super::compact::{split_rule, FULL_RULE};
use super::quickscorer::ScorerRecord;
use super::tree::{add_leaf, SumTrees, TreeEnsemble, LEAF_BIT};
use super::ModelError;
use crate::num::Float;

/// The deepest tree [`CompleteTrees`] lays out: `2^6` words a block.
pub const MAX_COMPLETE_DEPTH: usize = 6;

/// The most features a model [`CompleteTrees`] lays out may read (a row is copied into
/// a block of this many values).
pub const MAX_COMPLETE_FEATURES: usize = 256;

/// A validated tree ensemble laid out as complete trees in a [`ScorerRecord`] buffer;
/// predicts exactly as the ensemble does, bit for bit.
#[derive(Debug, Clone, Copy)]
pub struct CompleteTrees<'a> {
    ensemble: TreeEnsemble<'a>,
    records: &'a [ScorerRecord],
    /// The padded depth, 2 to [`MAX_COMPLETE_DEPTH`].
    depth: u8,
}

/// The depth of the tree under `reference`, if at most `limit`.
fn depth_within(ensemble: &TreeEnsemble<'_>, reference: u32, limit: usize) -> Option<usize> {
    if reference & LEAF_BIT != 0 {
        return Some(0);
    }
    let below = limit.checked_sub(1)?;
    let node = ensemble.node(reference as usize)?;
    let left = depth_within(ensemble, node.left, below)?;
    let right = depth_within(ensemble, node.right, below)?;
    Some(left.max(right).saturating_add(1))
}

/// The padded depth of `ensemble`'s trees, if they can be laid out: every tree at most
/// [`MAX_COMPLETE_DEPTH`] deep, at most [`MAX_COMPLETE_FEATURES`] features, no node
/// that needs more than its threshold.
fn padded_depth(ensemble: &TreeEnsemble<'_>) -> Result<usize, ModelError> {
    if ensemble.feature_count() > MAX_COMPLETE_FEATURES {
        return Err(ModelError::CapacityExceeded {
            what: "complete-tree features",
            capacity: MAX_COMPLETE_FEATURES,
        });
    }
    let mut depth = 2;
    for tree in (0..ensemble.tree_count()).filter_map(|t| ensemble.tree(t)) {
        let d = depth_within(ensemble, tree.root, MAX_COMPLETE_DEPTH).ok_or(
            ModelError::CapacityExceeded {
                what: "complete-tree depth",
                capacity: MAX_COMPLETE_DEPTH,
            },
        )?;
        depth = depth.max(d);
    }
    let nodes = (0..ensemble.node_count()).filter_map(|i| {
        let node = ensemble.node(i)?;
        Some(split_rule(ensemble, &node, u32::try_from(i).ok()?).1)
    });
    for kind in nodes {
        if kind & FULL_RULE != 0 {
            return Err(ModelError::Unsupported {
                what: "complete trees: a node that needs more than its threshold",
            });
        }
    }
    Ok(depth)
}

impl<'a> CompleteTrees<'a> {
    /// Words `ensemble` needs, three blocks of `2^d` a tree; an error names why it
    /// cannot be laid out (too deep, too many features, a node whose rule needs more than
    /// a threshold: categorical, missing-as-zero, an `f32` threshold near zero).
    pub fn records_needed(ensemble: &TreeEnsemble<'_>) -> Result<usize, ModelError> {
        let block = 1usize << padded_depth(ensemble)?;
        Ok(ensemble
            .tree_count()
            .saturating_mul(3)
            .saturating_mul(block))
    }

    /// Lays `ensemble` out in `buf` (at least [`Self::records_needed`] words).
    pub fn new(
        ensemble: TreeEnsemble<'a>,
        buf: &'a mut [ScorerRecord],
    ) -> Result<Self, ModelError> {
        let depth = padded_depth(&ensemble)?;
        let needed = Self::records_needed(&ensemble)?;
        let capacity = buf.len();
        let records = buf.get_mut(..needed).ok_or(ModelError::CapacityExceeded {
            what: "complete-tree records",
            capacity,
        })?;
        let mut rest = &mut *records;
        lay_out(&ensemble, depth, || {
            let (block, after) = core::mem::take(&mut rest)
                .split_at_mut_checked(1 << depth)
                .ok_or(MALFORMED)?;
            rest = after;
            Ok(block)
        })?;
        let records: &'a [ScorerRecord] = records;
        Ok(CompleteTrees {
            ensemble,
            records,
            depth: depth as u8,
        })
    }

    /// `ensemble` over `records` laid out before, by [`Self::new`] (or
    /// [`crate::pipeline::Pipeline::lay_out_trees`]) and kept, e.g. written out as a
    /// `static` by a build script so that the layout lives in flash. Every word is
    /// checked against the layout `new` makes: `LayoutMismatch` names one that differs
    /// (the first the check reaches), is missing or is one too many.
    pub fn from_records(
        ensemble: TreeEnsemble<'a>,
        records: &'a [ScorerRecord],
    ) -> Result<Self, ModelError> {
        let depth = padded_depth(&ensemble)?;
        let needed = Self::records_needed(&ensemble)?;
        let mut rest = records.get(..needed).ok_or(ModelError::LayoutMismatch {
            word: records.len(),
        })?;
        let mut offset = 0usize;
        lay_out(&ensemble, depth, || {
            let (block, after) = rest.split_at_checked(1 << depth).ok_or(MALFORMED)?;
            rest = after;
            let checked = Checked { block, offset };
            offset = offset.saturating_add(block.len());
            Ok(checked)
        })?;
        if records.len() > needed {
            return Err(ModelError::LayoutMismatch { word: needed });
        }
        Ok(CompleteTrees {
            ensemble,
            records,
            depth: depth as u8,
        })
    }

    /// The ensemble laid out.
    pub fn ensemble(&self) -> &TreeEnsemble<'a> {
        &self.ensemble
    }

    /// Predicts from `x` (model order, NaN = missing) into `out[..outputs]`, exactly as
    /// [`TreeEnsemble::predict`].
    pub fn predict<T: Float>(&self, x: &[T], out: &mut [T]) -> Result<(), ModelError> {
        self.ensemble.predict_by(self, x, out)
    }

    /// [`Self::predict`] from the front of `row`, which holds the model's inputs and no
    /// NaN among them (the pipeline's gathered inputs): a model of `f64` thresholds reads
    /// `f64` inputs where they are, without the copy and the check `predict` makes.
    pub(crate) fn predict_gathered<T: Float>(
        &self,
        row: &[T; MAX_COMPLETE_FEATURES],
        out: &mut [T],
    ) -> Result<(), ModelError> {
        self.ensemble
            .predict_by(&GatheredRow { trees: self, row }, row, out)
    }

    /// Walks every tree for `row`, the input in the model's width.
    fn walk_row<const WIDE: bool>(&self, row: &[f64; MAX_COMPLETE_FEATURES], sums: &mut [f64]) {
        match self.depth {
            0..=2 => self.walk::<4, WIDE>(row, sums),
            3 => self.walk::<8, WIDE>(row, sums),
            4 => self.walk::<16, WIDE>(row, sums),
            5 => self.walk::<32, WIDE>(row, sums),
            _ => self.walk::<64, WIDE>(row, sums),
        }
    }

    /// Walks every tree of blocks of `N = 2^depth` words and adds its leaf to its
    /// output's sum, in tree order; `row` is the input in the model's width. Trees are
    /// walked [`LANES`] at a time, a level of each in turn, so that their independent
    /// loads overlap.
    #[inline(never)]
    fn walk<const N: usize, const WIDE: bool>(
        &self,
        row: &[f64; MAX_COMPLETE_FEATURES],
        sums: &mut [f64],
    ) {
        let (blocks, _) = self.records.as_chunks::<N>();
        let (trees, _) = blocks.as_chunks::<3>();
        let (groups, rest) = trees.as_chunks::<LANES>();
        // one output: its sum stays in a register
        let single = sums.len() == 1;
        let mut total = [sums.first().copied().unwrap_or(0.0)];
        let mut add = |tree: &[[ScorerRecord; N]; 3], leaf: f64| {
            if single {
                add_leaf::<WIDE>(&mut total, 0, leaf);
            } else {
                let output = tree[1].first().map_or(0, |w| w.bits() as u16);
                add_leaf::<WIDE>(sums, output, leaf);
            }
        };
        for group in groups {
            for (tree, leaf) in group.iter().zip(exit_leaves::<N, LANES>(group, row)) {
                add(tree, leaf);
            }
        }
        for tree in rest {
            let [leaf] = exit_leaves::<N, 1>(core::array::from_ref(tree), row);
            add(tree, leaf);
        }
        if let (true, Some(s)) = (single, sums.first_mut()) {
            *s = total[0];
        }
    }
}

/// Trees [`CompleteTrees`] walks side by side.
const LANES: usize = 8;

/// The exit leaf of each of `L` complete trees of blocks of `N = 2^depth` words
/// (thresholds, features, leaves) for `row`, walked a level of each tree in turn. Not
/// inlined: one copy serves every input type and width.
#[inline(never)]
fn exit_leaves<const N: usize, const L: usize>(
    trees: &[[[ScorerRecord; N]; 3]; L],
    row: &[f64; MAX_COMPLETE_FEATURES],
) -> [f64; L] {
    let mask = N.wrapping_sub(1);
    let mut at = [1usize; L];
    for _ in 0..N.trailing_zeros() {
        for (j, [thresholds, features, _]) in at.iter_mut().zip(trees) {
            let node = *j & mask;
            let feature = features.get(node).map_or(0, |w| w.bits() as usize);
            let v = row
                .get(feature & MAX_COMPLETE_FEATURES.wrapping_sub(1))
                .copied()
                .unwrap_or(f64::NAN);
            let t = thresholds
                .get(node)
                .map_or(f64::INFINITY, |w| f64::from_bits(w.bits()));
            *j = j.wrapping_mul(2).wrapping_add(usize::from(v > t));
        }
    }
    let mut leaves = [0.0; L];
    for ((leaf, j), [_, _, values]) in leaves.iter_mut().zip(at).zip(trees) {
        *leaf = values
            .get(j & mask)
            .map_or(0.0, |w| f64::from_bits(w.bits()));
    }
    leaves
}

const MALFORMED: ModelError = ModelError::Malformed {
    what: "complete-tree layout",
};

/// Lays every tree of `ensemble` out as a complete tree of `depth`, in the blocks
/// `block` hands out in turn (three a tree: thresholds, features, leaves).
fn lay_out<W: Words>(
    ensemble: &TreeEnsemble<'_>,
    depth: usize,
    mut block: impl FnMut() -> Result<W, ModelError>,
) -> Result<(), ModelError> {
    for t in 0..ensemble.tree_count() {
        let tree = ensemble.tree(t).ok_or(MALFORMED)?;
        let mut words = TreeWords {
            thresholds: block()?,
            features: block()?,
            leaves: block()?,
        };
        words.place(ensemble, tree.root, 1, depth)?;
        // nodes are numbered from 1: the features block's first word holds the tree's
        // output, the thresholds block's is zero
        words
            .features
            .put(0, ScorerRecord::from_bits(u64::from(tree.output)))?;
        words.thresholds.put(0, ScorerRecord::ZERO)?;
    }
    Ok(())
}

/// A block of a layout: words written into a buffer, or checked against a layout made
/// before.
trait Words {
    /// Puts `word` at `index` of the block.
    fn put(&mut self, index: usize, word: ScorerRecord) -> Result<(), ModelError>;
}

impl Words for &mut [ScorerRecord] {
    fn put(&mut self, index: usize, word: ScorerRecord) -> Result<(), ModelError> {
        *self.get_mut(index).ok_or(MALFORMED)? = word;
        Ok(())
    }
}

/// A block of records laid out before, `offset` words into them.
struct Checked<'r> {
    block: &'r [ScorerRecord],
    offset: usize,
}

impl Words for Checked<'_> {
    fn put(&mut self, index: usize, word: ScorerRecord) -> Result<(), ModelError> {
        match self.block.get(index) {
            Some(w) if *w == word => Ok(()),
            _ => Err(ModelError::LayoutMismatch {
                word: self.offset.saturating_add(index),
            }),
        }
    }
}

/// One tree's three blocks while it is laid out.
struct TreeWords<W> {
    thresholds: W,
    features: W,
    leaves: W,
}

impl<W: Words> TreeWords<W> {
    /// Places the subtree under `reference` at node `j` (from 1) of a tree padded to
    /// `depth` (a leaf above it fills the subtree: nodes that send every input left, and
    /// its value in every leaf slot below).
    fn place(
        &mut self,
        ensemble: &TreeEnsemble<'_>,
        reference: u32,
        j: usize,
        depth: usize,
    ) -> Result<(), ModelError> {
        let first_leaf = 1usize << depth;
        if j >= first_leaf {
            let value = ensemble
                .leaf((reference & !LEAF_BIT) as usize)
                .ok_or(MALFORMED)?;
            return self.leaves.put(
                j.wrapping_sub(first_leaf),
                ScorerRecord::from_bits(value.to_bits()),
            );
        }
        let (threshold, feature, left, right) = if reference & LEAF_BIT != 0 {
            (f64::INFINITY, 0, reference, reference)
        } else {
            let node = ensemble.node(reference as usize).ok_or(MALFORMED)?;
            let (threshold, _) = split_rule(ensemble, &node, reference);
            (threshold, node.feature, node.left, node.right)
        };
        self.thresholds
            .put(j, ScorerRecord::from_bits(threshold.to_bits()))?;
        self.features
            .put(j, ScorerRecord::from_bits(u64::from(feature)))?;
        let left_child = j.wrapping_mul(2);
        self.place(ensemble, left, left_child, depth)?;
        self.place(ensemble, right, left_child.wrapping_add(1), depth)
    }
}

/// `x` in the model's width in the front of `row` (an `f32` model compares in `f32`, and
/// an `f32` value against an `f32` threshold compares the same in `f64`). A laid-out
/// model reads at most `row.len()` inputs.
fn widen<T: Float, const WIDE: bool>(x: &[T], row: &mut [f64; MAX_COMPLETE_FEATURES]) {
    for (r, v) in row.iter_mut().zip(x) {
        let v = v.to_f64();
        *r = if WIDE { v } else { f64::from(v as f32) };
    }
}

impl SumTrees for CompleteTrees<'_> {
    fn sum_trees<T: Float, const WIDE: bool>(&self, x: &[T], sums: &mut [f64]) {
        match x.get(..self.ensemble.feature_count()) {
            Some(x) if !x.iter().fold(false, |nan, v| nan | v.to_f64().is_nan()) => {
                let mut row = [0.0; MAX_COMPLETE_FEATURES];
                widen::<T, WIDE>(x, &mut row);
                self.walk_row::<WIDE>(&row, sums)
            }
            _ => self.ensemble.sum_trees::<T, WIDE>(x, sums),
        }
    }
}

/// A model's inputs gathered into the front of a block, none NaN
/// ([`CompleteTrees::predict_gathered`]).
struct GatheredRow<'r, 'a, T> {
    trees: &'r CompleteTrees<'a>,
    row: &'r [T; MAX_COMPLETE_FEATURES],
}

impl<T: Float> SumTrees for GatheredRow<'_, '_, T> {
    /// Sums the trees for the gathered row (which `x` is the front of).
    fn sum_trees<U: Float, const WIDE: bool>(&self, _x: &[U], sums: &mut [f64]) {
        match T::as_f64s(self.row) {
            Some(row) if WIDE => self.trees.walk_row::<WIDE>(row, sums),
            _ => {
                let mut row = [0.0; MAX_COMPLETE_FEATURES];
                let n = self.trees.ensemble.feature_count();
                widen::<T, WIDE>(self.row.get(..n).unwrap_or(&[]), &mut row);
                self.trees.walk_row::<WIDE>(&row, sums)
            }
        }
    }
}
