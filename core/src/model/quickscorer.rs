//! QuickScorer (Lucchese et al., SIGIR 2015): a tree ensemble evaluated feature by
//! feature instead of tree by tree, from a caller-provided buffer.
//!
//! Each tree's leaves are numbered left to right, bit `i` of a 64-bit word for leaf
//! `i`. A node that sends an input right rules out the leaves of its left subtree:
//! its mask clears their bits. The nodes of up to [`BLOCK_TREES`] trees are sorted by
//! feature, then threshold, so for a numeric input the nodes that send it right are a
//! prefix of its feature's run (those with `threshold < x`); the scan of a run stops at
//! the first node that sends it left. Once every feature is scanned, each tree's exit
//! leaf is the lowest bit still set. Nodes whose rule needs more than a threshold
//! ([`super::compact`]'s full rule) are kept after the runs and all evaluated; a NaN
//! input scans its whole run, each node by its missing-value direction.
//!
//! [`QuickScorer::predict_many`] scores [`ROW_LANES`] rows side by side (the vectorised
//! QuickScorer of Lucchese et al., TOIS 2016): each node is compared with every row's
//! input at once and clears its leaves in the rows it sends right; a run ends at the
//! first node that sends every row left. One row is the case of one lane. Trees of at
//! most 32 leaves keep 32-bit words, twice as many to a vector register. The words of
//! a block take `BLOCK_TREES * ROW_LANES * 8` bytes of stack at most (16 KiB).

use super::compact::{below, full_rule, split_rule, FULL_RULE};
use super::tree::{add_leaf, SumRows, SumTrees, TreeEnsemble, LEAF_BIT, MAX_OUTPUTS};
use super::{ModelError, MAX_DEPTH};
use crate::num::Float;
use core::ops::{BitAnd, BitOr, Not};

/// Trees scored together: the bitvectors of one block live on the stack.
pub const BLOCK_TREES: usize = 256;

/// The most leaves a tree may have (the bits of its leaf word).
pub const MAX_LEAVES: usize = 64;

/// Rows [`QuickScorer::predict_many`] scores side by side.
pub const ROW_LANES: usize = 8;

/// One record of a [`QuickScorer`] buffer. The buffer holds, in order: one record per
/// tree (`next` its first leaf record, `feature` its output); one per block of
/// [`BLOCK_TREES`] trees (`next` the record after the block's nodes); each block's
/// nodes sorted by (full rule last, feature, threshold) (`value` the threshold,
/// `mask` the leaves kept when the node sends an input right, `tree` the tree within
/// the block, `next` the records from it to the end of its feature run); then every tree's
/// leaves left to right (`value`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[repr(C, align(8))]
pub struct ScorerRecord {
    value: f64,
    mask: u64,
    next: u32,
    feature: u16,
    tree: u8,
    kind: u8,
}

/// A validated tree ensemble laid out for QuickScorer in a [`ScorerRecord`] buffer;
/// predicts exactly as the ensemble does, bit for bit.
#[derive(Debug, Clone, Copy)]
pub struct QuickScorer<'a> {
    ensemble: TreeEnsemble<'a>,
    records: &'a [ScorerRecord],
    /// Every tree has at most 32 leaves: leaf words are `u32`, twice as many a vector.
    narrow: bool,
}

impl<'a> QuickScorer<'a> {
    /// Records `ensemble` needs: one per tree and per block, and per node and leaf.
    pub fn records_needed(ensemble: &TreeEnsemble<'_>) -> usize {
        let trees = ensemble.tree_count();
        trees
            .saturating_add(trees.div_ceil(BLOCK_TREES))
            .saturating_add(ensemble.node_count())
            .saturating_add(ensemble.leaf_count())
    }

    /// Lays `ensemble` out in `buf` (at least [`Self::records_needed`] records).
    /// `CapacityExceeded` if `buf` is short, a tree has more than [`MAX_LEAVES`] leaves
    /// or is deeper than [`MAX_DEPTH`]; `Malformed` if a node is reached twice.
    pub fn new(
        ensemble: TreeEnsemble<'a>,
        buf: &'a mut [ScorerRecord],
    ) -> Result<Self, ModelError> {
        let trees = ensemble.tree_count();
        let blocks = trees.div_ceil(BLOCK_TREES);
        let short = ModelError::CapacityExceeded {
            what: "QuickScorer records",
            capacity: buf.len(),
        };
        let headers_end = trees.saturating_add(blocks);
        let (headers, body) = buf.split_at_mut_checked(headers_end).ok_or(short.clone())?;
        let (tree_headers, block_headers) = headers.split_at_mut(trees);
        // every block's nodes first, then the leaves
        let nodes_end = headers_end.saturating_add(ensemble.node_count());
        let (nodes, leaves) = body
            .split_at_mut_checked(ensemble.node_count())
            .ok_or(short.clone())?;
        let (mut node_at, mut leaf_at, mut widest) = (0usize, 0usize, 0usize);
        for (b, block_header) in block_headers.iter_mut().enumerate() {
            let block_start = node_at;
            let first = b.saturating_mul(BLOCK_TREES);
            let last = trees.min(first.saturating_add(BLOCK_TREES));
            for t in first..last {
                let tree = ensemble
                    .tree(t)
                    .ok_or(ModelError::Malformed { what: "tree" })?;
                let header = tree_headers
                    .get_mut(t)
                    .ok_or(ModelError::Malformed { what: "tree" })?;
                *header = ScorerRecord {
                    next: u32::try_from(nodes_end.saturating_add(leaf_at))
                        .map_err(|_| short.clone())?,
                    feature: tree.output,
                    ..ScorerRecord::default()
                };
                let placed = lay_out(
                    &ensemble,
                    tree.root,
                    t.saturating_sub(first) as u8,
                    nodes.get_mut(node_at..).unwrap_or(&mut []),
                    leaves.get_mut(leaf_at..).unwrap_or(&mut []),
                )
                .map_err(|e| match e {
                    Layout::Full => short.clone(),
                    Layout::Deep => ModelError::CapacityExceeded {
                        what: "tree depth",
                        capacity: MAX_DEPTH,
                    },
                    Layout::Wide => ModelError::CapacityExceeded {
                        what: "leaves per tree",
                        capacity: MAX_LEAVES,
                    },
                    Layout::Bad => ModelError::Malformed { what: "node" },
                })?;
                if placed.0 > tree.node_count as usize {
                    return Err(ModelError::Malformed {
                        what: "a node is reached twice (not a tree)",
                    });
                }
                widest = widest.max(placed.1);
                node_at = node_at.saturating_add(placed.0);
                leaf_at = leaf_at.saturating_add(placed.1);
            }
            let block = nodes.get_mut(block_start..node_at).unwrap_or(&mut []);
            block.sort_unstable_by(|a, b| {
                (a.kind & FULL_RULE, a.feature)
                    .cmp(&(b.kind & FULL_RULE, b.feature))
                    .then(a.value.total_cmp(&b.value))
            });
            link_runs(block);
            *block_header = ScorerRecord {
                next: u32::try_from(headers_end.saturating_add(node_at))
                    .map_err(|_| short.clone())?,
                ..ScorerRecord::default()
            };
        }
        let used = nodes_end.saturating_add(leaf_at);
        let records: &'a [ScorerRecord] = buf;
        Ok(QuickScorer {
            ensemble,
            records: records.get(..used).unwrap_or(records),
            narrow: widest <= 32,
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
    /// `out` (`outputs` values each), [`ROW_LANES`] rows side by side: each node is
    /// compared with all of them at once and clears its leaves in the rows it sends
    /// right (the vectorised QuickScorer of Lucchese et al., TOIS 2016). Equal to
    /// [`Self::predict`] row by row, bit for bit.
    pub fn predict_many<T: Float>(&self, rows: &[T], out: &mut [T]) -> Result<(), ModelError> {
        self.ensemble
            .predict_many_by::<_, T, ROW_LANES>(self, rows, out)
    }

    /// Adds every tree's leaf for each row of `xs` to that row's `sums`, in tree order.
    #[inline(always)]
    fn sum_lanes<T: Float, const WIDE: bool, const L: usize>(
        &self,
        xs: &[&[T]; L],
        sums: [&mut [f64]; L],
    ) {
        if self.narrow {
            self.sum_words::<T, u32, WIDE, L>(xs, sums);
        } else {
            self.sum_words::<T, u64, WIDE, L>(xs, sums);
        }
    }

    /// [`Self::sum_lanes`] with leaf words `W`.
    #[inline(always)]
    fn sum_words<T: Float, W: LeafWord, const WIDE: bool, const L: usize>(
        &self,
        xs: &[&[T]; L],
        mut sums: [&mut [f64]; L],
    ) {
        let trees = self.ensemble.tree_count();
        let (tree_headers, rest) = self.records.split_at(trees.min(self.records.len()));
        let blocks = trees.div_ceil(BLOCK_TREES);
        let mut start = trees.saturating_add(blocks);
        let mut leaves = [[W::ALL; L]; BLOCK_TREES];
        for (b, block) in rest.iter().take(blocks).enumerate() {
            let end = block.next as usize;
            let first = b.saturating_mul(BLOCK_TREES);
            let last = trees.min(first.saturating_add(BLOCK_TREES));
            let headers = tree_headers.get(first..last).unwrap_or(&[]);
            let words = leaves.get_mut(..headers.len()).unwrap_or(&mut []);
            words.fill([W::ALL; L]);
            self.scan::<T, W, WIDE, L>(start, end, xs, &mut leaves);
            start = end;
            for (h, words) in headers.iter().zip(leaves.iter()) {
                for (s, word) in sums.iter_mut().zip(words) {
                    let exit = (h.next as usize).saturating_add(word.first_leaf());
                    let leaf = self.records.get(exit).map_or(0.0, |r| r.value);
                    add_leaf::<WIDE>(s, h.feature, leaf);
                }
            }
        }
    }

    /// Clears, in each row's word of `leaves`, the leaves the nodes in `start..end`
    /// rule out for that row of `xs`.
    #[inline(always)]
    fn scan<T: Float, W: LeafWord, const WIDE: bool, const L: usize>(
        &self,
        start: usize,
        end: usize,
        xs: &[&[T]; L],
        leaves: &mut [[W; L]; BLOCK_TREES],
    ) {
        let mut rest = self.records.get(start..end).unwrap_or(&[]);
        while let Some(first) = rest.first() {
            if first.kind & FULL_RULE != 0 {
                // the full-rule nodes close the block: each decides for itself
                for r in rest {
                    let mut right = [W::NONE; L];
                    for (g, x) in right.iter_mut().zip(xs) {
                        *g = W::all_if(!full_rule(&self.ensemble, r.value, r.feature, x));
                    }
                    rule_out(leaves, r, &right);
                }
                return;
            }
            let (run, after) = rest
                .split_at_checked((first.next as usize).max(1))
                .unwrap_or((rest, &[]));
            rest = after;
            // each row's input, in the model's width (an f32 in an f64 compares as f32)
            let mut v = [f64::NAN; L];
            for (v, x) in v.iter_mut().zip(xs) {
                let x = x
                    .get(usize::from(first.feature))
                    .map_or(f64::NAN, |v| v.to_f64());
                *v = if WIDE { x } else { f64::from(x as f32) };
            }
            if v.iter().any(|v| v.is_nan()) {
                for r in run {
                    let mut right = [W::NONE; L];
                    for (g, v) in right.iter_mut().zip(v) {
                        *g = W::all_if(!below::<WIDE>(v, r.value, r.kind));
                    }
                    rule_out(leaves, r, &right);
                }
            } else if let [v] = v.as_slice() {
                let v = *v;
                // one row: a node of the prefix sends it right, so it only clears leaves
                for r in run {
                    if v > threshold::<WIDE>(r) {
                        if let Some(w) = leaves
                            .get_mut(usize::from(r.tree))
                            .and_then(|w| w.first_mut())
                        {
                            *w = *w & W::from_mask(r.mask);
                        }
                    } else {
                        break;
                    }
                }
            } else {
                // thresholds ascend: the first node that sends every row left ends the run
                for r in run {
                    let t = threshold::<WIDE>(r);
                    let (mut right, mut any) = ([W::NONE; L], W::NONE);
                    for (g, v) in right.iter_mut().zip(v) {
                        *g = W::all_if(v > t);
                        any = any | *g;
                    }
                    if any == W::NONE {
                        break;
                    }
                    rule_out(leaves, r, &right);
                }
            }
        }
    }
}

/// Node `r`'s threshold in the model's width (an `f32` threshold compares as `f32`).
#[inline(always)]
fn threshold<const WIDE: bool>(r: &ScorerRecord) -> f64 {
    if WIDE {
        r.value
    } else {
        f64::from(r.value as f32)
    }
}

/// Clears the leaves node `r` rules out from its tree's word in each row it sends
/// right (`right` all ones).
#[inline(always)]
fn rule_out<W: LeafWord, const L: usize>(
    leaves: &mut [[W; L]; BLOCK_TREES],
    r: &ScorerRecord,
    right: &[W; L],
) {
    if let Some(words) = leaves.get_mut(usize::from(r.tree)) {
        let mask = W::from_mask(r.mask);
        for (w, g) in words.iter_mut().zip(right) {
            *w = *w & (mask | !*g);
        }
    }
}

/// A tree's leaves still possible, bit `i` for leaf `i`.
trait LeafWord:
    Copy + PartialEq + BitAnd<Output = Self> + BitOr<Output = Self> + Not<Output = Self>
{
    /// Every leaf.
    const ALL: Self;
    /// No leaf.
    const NONE: Self;
    /// A node's mask, cut to the word (the bits past it are leaves the tree lacks).
    fn from_mask(mask: u64) -> Self;
    /// The exit leaf: the lowest bit set.
    fn first_leaf(self) -> usize;
    /// [`Self::ALL`] if `b`, else [`Self::NONE`].
    #[inline(always)]
    fn all_if(b: bool) -> Self {
        if b {
            Self::ALL
        } else {
            Self::NONE
        }
    }
}

impl LeafWord for u64 {
    const ALL: Self = u64::MAX;
    const NONE: Self = 0;
    #[inline(always)]
    fn from_mask(mask: u64) -> Self {
        mask
    }
    #[inline(always)]
    fn first_leaf(self) -> usize {
        self.trailing_zeros() as usize
    }
}

impl LeafWord for u32 {
    const ALL: Self = u32::MAX;
    const NONE: Self = 0;
    #[inline(always)]
    fn from_mask(mask: u64) -> Self {
        mask as u32
    }
    #[inline(always)]
    fn first_leaf(self) -> usize {
        self.trailing_zeros() as usize
    }
}

impl SumRows<ROW_LANES> for QuickScorer<'_> {
    fn sum_rows<T: Float, const WIDE: bool>(
        &self,
        rows: &[T],
        width: usize,
        sums: &mut [[f64; MAX_OUTPUTS]; ROW_LANES],
    ) {
        // spare lanes score the group's first row again and are not written
        let mut xs: [&[T]; ROW_LANES] = [rows.get(..width).unwrap_or(&[]); ROW_LANES];
        for (lane, x) in xs.iter_mut().zip(rows.chunks_exact(width)) {
            *lane = x;
        }
        self.sum_lanes::<T, WIDE, ROW_LANES>(&xs, sums.each_mut().map(|s| s.as_mut_slice()));
    }
}

impl SumTrees for QuickScorer<'_> {
    fn sum_trees<T: Float, const WIDE: bool>(&self, x: &[T], sums: &mut [f64]) {
        self.sum_lanes::<T, WIDE, 1>(&[x], [sums]);
    }
}

enum Layout {
    Full,
    Deep,
    Wide,
    Bad,
}

/// Writes the nodes of the tree under `root` (tree `tree` of its block) into `nodes`
/// and its leaves, left to right, into `leaves`; returns how many of each.
fn lay_out(
    ensemble: &TreeEnsemble<'_>,
    root: u32,
    tree: u8,
    nodes: &mut [ScorerRecord],
    leaves: &mut [ScorerRecord],
) -> Result<(usize, usize), Layout> {
    // pending subtrees, left child on top: (reference, node whose right child it is)
    let mut stack = [(0u32, usize::MAX); MAX_DEPTH];
    stack[0].0 = root;
    let mut depth = 1usize;
    let (mut node_count, mut leaf_count) = (0usize, 0usize);
    while depth > 0 {
        depth = depth.saturating_sub(1);
        let (reference, parent) = stack.get(depth).copied().ok_or(Layout::Bad)?;
        // a right child starts after its parent's left subtree's leaves
        if let Some(p) = nodes.get_mut(parent) {
            let first = p.mask as u32;
            let width = (leaf_count as u32).saturating_sub(first);
            let ones = match width {
                64.. => u64::MAX,
                w => (1u64 << w).wrapping_sub(1),
            };
            let ruled_out = ones.checked_shl(first).unwrap_or(0);
            p.mask = !ruled_out;
        }
        if reference & LEAF_BIT != 0 {
            let leaf = ensemble
                .leaf((reference & !LEAF_BIT) as usize)
                .ok_or(Layout::Bad)?;
            if leaf_count >= MAX_LEAVES {
                return Err(Layout::Wide);
            }
            let record = leaves.get_mut(leaf_count).ok_or(Layout::Full)?;
            *record = ScorerRecord {
                value: leaf,
                ..ScorerRecord::default()
            };
            leaf_count = leaf_count.saturating_add(1);
        } else {
            let node = ensemble.node(reference as usize).ok_or(Layout::Bad)?;
            let (value, kind) = split_rule(ensemble, &node, reference);
            let record = nodes.get_mut(node_count).ok_or(Layout::Full)?;
            *record = ScorerRecord {
                value,
                // until its right child is reached: its first leaf
                mask: leaf_count as u64,
                next: 0,
                feature: node.feature,
                tree,
                kind,
            };
            let [right, left] = stack
                .get_mut(depth..depth.saturating_add(2))
                .and_then(|s| <&mut [_; 2]>::try_from(s).ok())
                .ok_or(Layout::Deep)?;
            *right = (node.right, node_count);
            *left = (node.left, usize::MAX);
            depth = depth.saturating_add(2);
            node_count = node_count.saturating_add(1);
        }
    }
    Ok((node_count, leaf_count))
}

/// Sets each node of a sorted block to the records from it to the end of its feature
/// run (1 for a full-rule node).
fn link_runs(block: &mut [ScorerRecord]) {
    let mut after: Option<ScorerRecord> = None;
    for r in block.iter_mut().rev() {
        let numeric = r.kind & FULL_RULE == 0;
        r.next = match after {
            Some(a) if numeric && a.kind & FULL_RULE == 0 && a.feature == r.feature => {
                a.next.saturating_add(1)
            }
            _ => 1,
        };
        after = Some(*r);
    }
}
