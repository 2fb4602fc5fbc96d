//! A tree ensemble re-laid out once into a caller-provided buffer for fast walks.
//!
//! Each tree becomes its nodes and leaves in pre-order, one aligned 16-byte
//! [`CompactNode`] each: a node's left child is the next record, so a step is one load
//! of the node, one of the input and a conditional move (no branch on the comparison).
//! A leaf sends every input to itself, so trees walked side by side need no test of
//! which have finished. The decision rule is the blob's ([`super::TreeEnsemble`]):
//! what NaN does at a numeric node, and where an input read as zero goes, are worked
//! out when the buffer is filled, and nodes whose rule needs more (categorical,
//! missing-as-zero, an `f32` threshold inside the input zero threshold) are marked and
//! decided by the blob's own rule.

use core::hint::select_unpredictable;

use super::tree::{
    add_leaf, Node, SumTrees, TreeEnsemble, CATEGORICAL, DEFAULT_LEFT, LEAF_BIT, MISSING_NAN,
};
use super::tree::{SumRows, MAX_OUTPUTS, MISSING_ZERO};
use super::ModelError;
use crate::num::Float;

/// A NaN input goes left at this numeric node.
pub(super) const NAN_LEFT: u8 = 1 << 0;
/// Decided by the blob's rule at the node whose index is `value`'s bits.
pub(super) const FULL_RULE: u8 = 1 << 1;

/// The deepest tree [`CompactTrees::new`] lays out (the depth of its explicit stack).
pub const MAX_DEPTH: usize = 256;

/// Trees walked side by side.
const LANES: usize = 8;

/// Rows whose sums [`CompactTrees::predict_many`] keeps at a time.
const ROWS_PER_PASS: usize = 32;

/// One record of a compact tree ensemble. The first `tree_count` records of the buffer
/// are trees (`right` the root record, `feature` the output); then each tree's nodes
/// and leaves in pre-order. A node goes left to the record `step` (1) after it, right
/// to `right`; a leaf holds its value, `step` 0 and `right` itself, so it keeps every
/// input.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[repr(C, align(16))]
pub struct CompactNode {
    /// Threshold, leaf value, or (full rule) the blob node's index as bits.
    value: f64,
    right: u32,
    feature: u16,
    kind: u8,
    step: u8,
}

/// A validated tree ensemble laid out in a [`CompactNode`] buffer; predicts exactly
/// as the ensemble does, bit for bit.
#[derive(Debug, Clone, Copy)]
pub struct CompactTrees<'a> {
    ensemble: TreeEnsemble<'a>,
    records: &'a [CompactNode],
}

impl<'a> CompactTrees<'a> {
    /// Records `ensemble` needs: one per tree, plus one per node and leaf of each tree.
    pub fn records_needed(ensemble: &TreeEnsemble<'_>) -> usize {
        // n internal nodes of a binary tree have n + 1 leaves
        let trees = ensemble.tree_count();
        trees
            .saturating_mul(2)
            .saturating_add(ensemble.node_count().saturating_mul(2))
    }

    /// Lays `ensemble` out in `buf` (at least [`Self::records_needed`] records).
    /// `CapacityExceeded` if `buf` is short or a tree is deeper than [`MAX_DEPTH`];
    /// `Malformed` if a node is reached twice (the blob's trees are not trees).
    pub fn new(ensemble: TreeEnsemble<'a>, buf: &'a mut [CompactNode]) -> Result<Self, ModelError> {
        let trees = ensemble.tree_count();
        let capacity = buf.len();
        let short = ModelError::CapacityExceeded {
            what: "compact tree records",
            capacity,
        };
        if capacity < trees {
            return Err(short);
        }
        let (headers, body) = buf.split_at_mut(trees);
        let mut next = trees;
        for (t, header) in headers.iter_mut().enumerate() {
            let tree = ensemble
                .tree(t)
                .ok_or(ModelError::Malformed { what: "tree" })?;
            let budget = (tree.node_count as usize)
                .saturating_mul(2)
                .saturating_add(1);
            let start = next;
            next = lay_out(&ensemble, tree.root, body, next, trees).map_err(|e| match e {
                Layout::Full => short.clone(),
                Layout::Deep => ModelError::CapacityExceeded {
                    what: "tree depth",
                    capacity: MAX_DEPTH,
                },
                Layout::Bad => ModelError::Malformed { what: "node" },
            })?;
            if next.saturating_sub(start) > budget {
                return Err(ModelError::Malformed {
                    what: "a node is reached twice (not a tree)",
                });
            }
            *header = CompactNode {
                value: 0.0,
                right: start as u32,
                feature: tree.output,
                kind: 0,
                step: 0,
            };
        }
        let records: &'a [CompactNode] = buf;
        Ok(CompactTrees {
            ensemble,
            records: records.get(..next).unwrap_or(records),
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

    /// Predicts every row of `rows` (row-major, `feature_count` values each) into
    /// `out` (`outputs` values each), tree-major: each group of trees is walked for a
    /// pass of rows while its records are in cache. Equal to [`Self::predict`] row by
    /// row.
    pub fn predict_many<T: Float>(&self, rows: &[T], out: &mut [T]) -> Result<(), ModelError> {
        self.ensemble
            .predict_many_by::<_, T, ROWS_PER_PASS>(self, rows, out)
    }

    /// Walks trees `first..first + LANES` (those below `trees`) side by side and adds
    /// their leaves to `sums` in tree order.
    #[inline(always)]
    fn walk_group<T: Float, const WIDE: bool>(
        &self,
        first: usize,
        trees: usize,
        x: &[T],
        sums: &mut [f64],
    ) {
        let headers = self
            .records
            .get(first..trees.min(first.saturating_add(LANES)))
            .unwrap_or(&[]);
        let mut at = [0u32; LANES];
        for (a, h) in at.iter_mut().zip(headers) {
            *a = h.right;
        }
        // spare lanes follow the first tree and are not added
        let lead = at[0];
        for a in at.iter_mut().skip(headers.len()) {
            *a = lead;
        }
        loop {
            let mut moved = 0u32;
            for a in at.iter_mut() {
                let next = self.step::<T, WIDE>(*a, x);
                moved |= next ^ *a;
                *a = next;
            }
            if moved == 0 {
                break;
            }
        }
        for (a, h) in at.iter().zip(headers) {
            let leaf = self.records.get(*a as usize).map_or(0.0, |r| r.value);
            add_leaf::<WIDE>(sums, h.feature, leaf);
        }
    }

    /// The record input `x` moves to from record `at`.
    #[inline(always)]
    fn step<T: Float, const WIDE: bool>(&self, at: u32, x: &[T]) -> u32 {
        let Some(r) = self.records.get(at as usize) else {
            return at;
        };
        let v = x
            .get(usize::from(r.feature))
            .map_or(f64::NAN, |v| v.to_f64());
        let left = if r.kind & FULL_RULE != 0 {
            full_rule(&self.ensemble, r.value, r.feature, x)
        } else {
            below::<WIDE>(v, r.value, r.kind)
        };
        select_unpredictable(left, at.wrapping_add(u32::from(r.step)), r.right)
    }
}

/// The blob's rule at the node a [`FULL_RULE`] record stands for (`value` its index as
/// bits) for input `x`.
#[cold]
#[inline(never)]
pub(super) fn full_rule<T: Float>(
    ensemble: &TreeEnsemble<'_>,
    value: f64,
    feature: u16,
    x: &[T],
) -> bool {
    let node = ensemble.node(value.to_bits() as usize);
    let v = ensemble.input(x, feature);
    node.is_some_and(|node| ensemble.goes_left(&node, v))
}

/// How a laid-out record decides node `reference` of `ensemble`: its threshold (in
/// the model's width) and [`NAN_LEFT`] for a numeric node; the node's index as bits
/// and [`FULL_RULE`] for one whose rule needs more (categorical, missing-as-zero, an
/// `f32` threshold inside the input zero threshold).
///
/// Inputs within the input zero threshold `z` read as 0, so they all go where 0 goes.
/// Outside `[-z, z]` a threshold has them on 0's side already; an `f64` threshold `t`
/// inside it becomes `z` when `0 <= t` (left iff `x <= z`) and the float below `-z`
/// otherwise (left iff `x < -z`).
pub(super) fn split_rule(ensemble: &TreeEnsemble<'_>, node: &Node, reference: u32) -> (f64, u8) {
    let threshold = if ensemble.sums_in_f32() {
        f64::from(node.threshold as f32)
    } else {
        node.threshold
    };
    let input_zero = ensemble.payload().input_zero_threshold;
    let near_zero = input_zero > 0.0 && threshold.abs() <= input_zero;
    if node.flags & (CATEGORICAL | MISSING_ZERO) != 0 || (near_zero && ensemble.sums_in_f32()) {
        return (f64::from_bits(u64::from(reference)), FULL_RULE);
    }
    // without MISSING_NAN a NaN is read as 0.0
    let nan_left = if node.flags & MISSING_NAN != 0 {
        node.flags & DEFAULT_LEFT != 0
    } else {
        0.0 <= threshold
    };
    let threshold = match (near_zero, 0.0 <= threshold) {
        (false, _) => threshold,
        (true, true) => input_zero,
        (true, false) => (-input_zero).next_down(),
    };
    (threshold, if nan_left { NAN_LEFT } else { 0 })
}

/// Whether numeric input `v` goes left of `threshold` (a [`split_rule`] threshold), in
/// `f64` for `WIDE` models and `f32` otherwise, NaN by `kind`'s [`NAN_LEFT`].
#[inline(always)]
pub(super) fn below<const WIDE: bool>(v: f64, threshold: f64, kind: u8) -> bool {
    let below = if WIDE {
        v <= threshold
    } else {
        (v as f32) <= threshold as f32
    };
    below | (v.is_nan() & (kind & NAN_LEFT != 0))
}

impl SumRows<ROWS_PER_PASS> for CompactTrees<'_> {
    /// Tree-major: each group of trees is walked for every row while its records are
    /// in cache.
    fn sum_rows<T: Float, const WIDE: bool>(
        &self,
        rows: &[T],
        width: usize,
        sums: &mut [[f64; MAX_OUTPUTS]; ROWS_PER_PASS],
    ) {
        let trees = self.ensemble.tree_count();
        for first in (0..trees).step_by(LANES) {
            for (x, s) in rows.chunks_exact(width).zip(sums.iter_mut()) {
                self.walk_group::<T, WIDE>(first, trees, x, s);
            }
        }
    }
}

impl SumTrees for CompactTrees<'_> {
    fn sum_trees<T: Float, const WIDE: bool>(&self, x: &[T], sums: &mut [f64]) {
        let trees = self.ensemble.tree_count();
        for first in (0..trees).step_by(LANES) {
            self.walk_group::<T, WIDE>(first, trees, x, sums);
        }
    }
}

enum Layout {
    Full,
    Deep,
    Bad,
}

/// Writes the tree under `root` in pre-order into `body` (records numbered from
/// `offset`) from record `at`; returns the record after the tree.
fn lay_out(
    ensemble: &TreeEnsemble<'_>,
    root: u32,
    body: &mut [CompactNode],
    mut at: usize,
    offset: usize,
) -> Result<usize, Layout> {
    // pending subtrees: (reference, record whose right child it is, or usize::MAX)
    let mut stack = [(0u32, usize::MAX); MAX_DEPTH];
    stack[0].0 = root;
    let mut depth = 1usize;
    while depth > 0 {
        depth = depth.saturating_sub(1);
        let (reference, parent) = stack.get(depth).copied().ok_or(Layout::Bad)?;
        let record = body
            .get_mut(at.checked_sub(offset).ok_or(Layout::Bad)?)
            .ok_or(Layout::Full)?;
        if reference & LEAF_BIT != 0 {
            let leaf = ensemble
                .leaf((reference & !LEAF_BIT) as usize)
                .ok_or(Layout::Bad)?;
            *record = CompactNode {
                value: leaf,
                right: at as u32,
                feature: 0,
                kind: 0,
                step: 0,
            };
        } else {
            let node = ensemble.node(reference as usize).ok_or(Layout::Bad)?;
            let (value, kind) = split_rule(ensemble, &node, reference);
            *record = CompactNode {
                value,
                right: 0,
                feature: node.feature,
                kind,
                step: 1,
            };
            let [right, left] = stack
                .get_mut(depth..depth.saturating_add(2))
                .and_then(|s| <&mut [_; 2]>::try_from(s).ok())
                .ok_or(Layout::Deep)?;
            *right = (node.right, at);
            *left = (node.left, usize::MAX);
            depth = depth.saturating_add(2);
        }
        if let Some(p) = parent.checked_sub(offset).and_then(|p| body.get_mut(p)) {
            p.right = at as u32;
        }
        at = at.saturating_add(1);
    }
    Ok(at)
}
