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
//! ([`super::compact`]'s full rule) are kept in runs after the others and all
//! evaluated; a NaN input scans its whole run, each node by its missing-value
//! direction.
//!
//! [`QuickScorer::predict_many`] scores [`ROW_LANES`] rows side by side (the vectorised
//! QuickScorer of Lucchese et al., TOIS 2016): each node is compared with every row's
//! input at once and clears its leaves in the rows it sends right; a run ends at the
//! first node that sends every row left. One row is the case of one lane. Trees of at
//! most 32 leaves keep 32-bit words, twice as many to a vector register, and 16-byte
//! nodes. The words of a block take `BLOCK_TREES * ROW_LANES * 8` bytes of stack at
//! most (16 KiB).
//!
//! The buffer is of 8-byte words ([`ScorerRecord`]), so what a row reads is dense: one
//! word per tree (its first leaf's word and its output), one per block (the word after
//! its runs), each block's runs, then every tree's leaves left to right, a word each
//! (the value's bits). A run is a header word (its node count, feature and whether its
//! nodes need the full rule) and its nodes sorted by threshold, two words each (three
//! for trees of more than 32 leaves): the threshold's bits, then the tree within the block, the node's
//! missing-value direction and feature in the low 32 bits of a word whose high 32 bits
//! are a `u32` mask, or of a word after a `u64` mask. Runs are sorted by (full rule last,
//! feature).

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

/// One 8-byte word of a laid-out tree buffer: [`QuickScorer`]'s (the layout is in the
/// module's docs) or [`super::CompleteTrees`]', kept as its two 32-bit halves so that
/// either half loads on its own.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[repr(C, align(8))]
pub struct ScorerRecord {
    lo: u32,
    hi: u32,
}

impl ScorerRecord {
    /// A zero word, for a buffer in a `static`.
    pub const ZERO: Self = ScorerRecord::from_bits(0);

    /// The word of `bits` (a layout written out as source, e.g. into flash by a build
    /// script: [`super::CompleteTrees::from_records`] checks it).
    pub const fn from_bits(bits: u64) -> Self {
        ScorerRecord {
            lo: bits as u32,
            hi: (bits >> 32) as u32,
        }
    }

    /// The word's 64 bits.
    #[inline(always)]
    pub fn bits(self) -> u64 {
        u64::from(self.lo) | u64::from(self.hi) << 32
    }
}

/// What a laid-out node carries beside its threshold and mask.
#[derive(Debug, Clone, Copy, PartialEq)]
struct NodeMeta {
    /// The tree within its block.
    tree: u8,
    /// [`split_rule`]'s kind: the missing-value direction, or [`FULL_RULE`].
    kind: u8,
    feature: u16,
}

impl NodeMeta {
    fn bits(self) -> u32 {
        u32::from(self.tree) | u32::from(self.kind) << 8 | u32::from(self.feature) << 16
    }
    fn from_bits(b: u32) -> Self {
        NodeMeta {
            tree: b as u8,
            kind: (b >> 8) as u8,
            feature: (b >> 16) as u16,
        }
    }
    /// What a node's run is keyed by: full rule last, then the feature.
    fn run_key(self) -> (u8, u16) {
        (self.kind & FULL_RULE, self.feature)
    }
}

/// A run's header: `count` nodes on `feature`, [`FULL_RULE`] in `kind` if they need it.
fn run_header(count: usize, (kind, feature): (u8, u16)) -> Option<ScorerRecord> {
    let count = u32::try_from(count).ok()?;
    Some(ScorerRecord::from_bits(
        u64::from(count) | u64::from(feature) << 32 | u64::from(kind) << 48,
    ))
}

/// A run header's node count, feature and whether its nodes need the full rule.
#[inline(always)]
fn read_run_header(h: ScorerRecord) -> (usize, u16, bool) {
    (
        h.lo as usize,
        h.hi as u16,
        (h.hi >> 16) as u8 & FULL_RULE != 0,
    )
}

/// A validated tree ensemble laid out for QuickScorer in a [`ScorerRecord`] buffer;
/// predicts exactly as the ensemble does, bit for bit.
#[derive(Debug, Clone, Copy)]
pub struct QuickScorer<'a> {
    ensemble: TreeEnsemble<'a>,
    records: &'a [ScorerRecord],
    /// Every tree has at most 32 leaves: `u32` leaf words and 16-byte nodes.
    narrow: bool,
}

/// The runs of the block of trees `first..last`: the distinct (full rule, feature) keys
/// of their nodes, counted [`KEYS_A_PASS`] keys a pass in a bitset on the stack.
fn runs_in_block(ensemble: &TreeEnsemble<'_>, first: usize, last: usize) -> usize {
    let keys = ensemble.feature_count().saturating_mul(2);
    let mut runs = 0usize;
    for base in (0..keys).step_by(KEYS_A_PASS) {
        let mut seen = [0u64; KEYS_A_PASS / 64];
        for tree in (first..last).filter_map(|t| ensemble.tree(t)) {
            let from = tree.first_node as usize;
            for i in from..from.saturating_add(tree.node_count as usize) {
                let Some(node) = ensemble.node(i) else {
                    continue;
                };
                let full = split_rule(ensemble, &node, i as u32).1 & FULL_RULE != 0;
                let key = usize::from(node.feature)
                    .saturating_mul(2)
                    .saturating_add(usize::from(full))
                    .wrapping_sub(base);
                if let Some(bits) = seen.get_mut(key / 64) {
                    *bits |= 1 << (key % 64);
                }
            }
        }
        runs = runs.saturating_add(seen.iter().map(|b| b.count_ones() as usize).sum());
    }
    runs
}

/// Run keys [`runs_in_block`] counts a pass.
const KEYS_A_PASS: usize = 4096;

/// Every tree of `ensemble` has at most 32 leaves (at most its node count plus one).
fn is_narrow(ensemble: &TreeEnsemble<'_>) -> bool {
    (0..ensemble.tree_count())
        .filter_map(|t| ensemble.tree(t))
        .all(|t| t.node_count < 32)
}

impl<'a> QuickScorer<'a> {
    /// Words `ensemble` needs: one per tree and per block, one per run of a block, two
    /// per node (three where a tree has more than 32 leaves) and one per leaf.
    pub fn records_needed(ensemble: &TreeEnsemble<'_>) -> usize {
        let trees = ensemble.tree_count();
        let node_words = if is_narrow(ensemble) {
            <u32 as LeafWord>::NODE_WORDS
        } else {
            <u64 as LeafWord>::NODE_WORDS
        };
        let runs = (0..trees)
            .step_by(BLOCK_TREES)
            .map(|first| {
                runs_in_block(
                    ensemble,
                    first,
                    trees.min(first.saturating_add(BLOCK_TREES)),
                )
            })
            .fold(0usize, usize::saturating_add);
        trees
            .saturating_add(trees.div_ceil(BLOCK_TREES))
            .saturating_add(runs)
            .saturating_add(ensemble.node_count().saturating_mul(node_words))
            .saturating_add(ensemble.leaf_count())
    }

    /// Lays `ensemble` out in `buf` (at least [`Self::records_needed`] words).
    /// `CapacityExceeded` if `buf` is short, a tree has more than [`MAX_LEAVES`] leaves
    /// or is deeper than [`MAX_DEPTH`]; `Malformed` if a node is reached twice.
    pub fn new(
        ensemble: TreeEnsemble<'a>,
        buf: &'a mut [ScorerRecord],
    ) -> Result<Self, ModelError> {
        let narrow = is_narrow(&ensemble);
        let used = if narrow {
            place::<u32, 2>(&ensemble, buf)?
        } else {
            place::<u64, 3>(&ensemble, buf)?
        };
        let records: &'a [ScorerRecord] = buf;
        Ok(QuickScorer {
            ensemble,
            records: records.get(..used).unwrap_or(records),
            narrow,
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
            self.sum_words::<T, u32, 2, WIDE, L>(xs, sums);
        } else {
            self.sum_words::<T, u64, 3, WIDE, L>(xs, sums);
        }
    }

    /// [`Self::sum_lanes`] with leaf words `W` and `N`-word nodes.
    #[inline(always)]
    fn sum_words<T: Float, W: LeafWord, const N: usize, const WIDE: bool, const L: usize>(
        &self,
        xs: &[&[T]; L],
        mut sums: [&mut [f64]; L],
    ) {
        let trees = self.ensemble.tree_count();
        let (tree_headers, rest) = self.records.split_at(trees.min(self.records.len()));
        let blocks = trees.div_ceil(BLOCK_TREES);
        let mut start = trees
            .saturating_add(blocks)
            .saturating_add(self.ensemble.leaf_count());
        let mut leaves = [[W::ALL; L]; BLOCK_TREES];
        for (b, block) in rest.iter().take(blocks).enumerate() {
            let end = block.lo as usize;
            let first = b.saturating_mul(BLOCK_TREES);
            let last = trees.min(first.saturating_add(BLOCK_TREES));
            let headers = tree_headers.get(first..last).unwrap_or(&[]);
            let words = leaves.get_mut(..headers.len()).unwrap_or(&mut []);
            words.fill([W::ALL; L]);
            self.scan::<T, W, N, WIDE, L>(start, end, xs, &mut leaves);
            start = end;
            let exit = |h: &ScorerRecord, word: W| {
                let exit = (h.lo as usize).saturating_add(word.first_leaf());
                self.records
                    .get(exit)
                    .map_or(0.0, |r| f64::from_bits(r.bits()))
            };
            if self.ensemble.outputs() == 1 {
                // every tree adds to output 0: each row's sum stays in a register
                for (lane, s) in sums.iter_mut().enumerate() {
                    let Some(total) = s.first_mut() else { continue };
                    let mut sum = [*total];
                    for (h, words) in headers.iter().zip(leaves.iter()) {
                        if let Some(&word) = words.get(lane) {
                            add_leaf::<WIDE>(&mut sum, 0, exit(h, word));
                        }
                    }
                    *total = sum[0];
                }
                continue;
            }
            for (h, words) in headers.iter().zip(leaves.iter()) {
                for (s, &word) in sums.iter_mut().zip(words) {
                    add_leaf::<WIDE>(s, h.hi as u16, exit(h, word));
                }
            }
        }
    }

    /// Clears, in each row's word of `leaves`, the leaves the runs in `start..end` rule
    /// out for that row of `xs`.
    #[inline(always)]
    fn scan<T: Float, W: LeafWord, const N: usize, const WIDE: bool, const L: usize>(
        &self,
        start: usize,
        end: usize,
        xs: &[&[T]; L],
        leaves: &mut [[W; L]; BLOCK_TREES],
    ) {
        let mut rest = self.records.get(start..end).unwrap_or(&[]);
        while let Some((&header, after)) = rest.split_first() {
            let (count, feature, full) = read_run_header(header);
            let (run, after) = after
                .split_at_checked(count.saturating_mul(N))
                .unwrap_or((after, &[]));
            rest = after;
            let run = run.as_chunks::<N>().0;
            if full {
                // each decides for itself
                for node in run {
                    let mut right = [W::NONE; L];
                    for (g, x) in right.iter_mut().zip(xs) {
                        *g =
                            W::all_if(!full_rule(&self.ensemble, threshold_bits(node), feature, x));
                    }
                    rule_out(leaves, node, &right);
                }
                continue;
            }
            // each row's input, in the model's width (an f32 in an f64 compares as f32)
            let mut v = [f64::NAN; L];
            for (v, x) in v.iter_mut().zip(xs) {
                let x = x.get(usize::from(feature)).map_or(f64::NAN, |v| v.to_f64());
                *v = if WIDE { x } else { f64::from(x as f32) };
            }
            if v.iter().any(|v| v.is_nan()) {
                for node in run {
                    let kind = W::meta(node).kind;
                    let mut right = [W::NONE; L];
                    for (g, v) in right.iter_mut().zip(v) {
                        *g = W::all_if(!below::<WIDE>(v, threshold_bits(node), kind));
                    }
                    rule_out(leaves, node, &right);
                }
            } else if let [v] = v.as_slice() {
                let v = *v;
                // one row: a node of the prefix sends it right, so it only clears leaves
                for node in run {
                    if v > threshold::<WIDE>(node) {
                        if let Some(w) = leaves
                            .get_mut(usize::from(W::meta(node).tree))
                            .and_then(|w| w.first_mut())
                        {
                            *w = *w & W::mask(node);
                        }
                    } else {
                        break;
                    }
                }
            } else {
                // thresholds ascend: the first node that sends every row left, the
                // largest input among them, ends the run (no input is NaN here)
                let largest = v.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
                for node in run {
                    let t = threshold::<WIDE>(node);
                    if largest > t {
                        let mut right = [W::NONE; L];
                        for (g, v) in right.iter_mut().zip(v) {
                            *g = W::all_if(v > t);
                        }
                        rule_out(leaves, node, &right);
                    } else {
                        break;
                    }
                }
            }
        }
    }
}

/// A node's first word as a number: its threshold, or (full rule) the blob node's
/// index as bits.
#[inline(always)]
fn threshold_bits(node: &[ScorerRecord]) -> f64 {
    node.first().map_or(f64::NAN, |w| f64::from_bits(w.bits()))
}

/// A node's threshold in the model's width (an `f32` threshold compares as `f32`).
#[inline(always)]
fn threshold<const WIDE: bool>(node: &[ScorerRecord]) -> f64 {
    let t = threshold_bits(node);
    if WIDE {
        t
    } else {
        f64::from(t as f32)
    }
}

/// Clears the leaves `node` rules out from its tree's word in each row it sends right
/// (`right` all ones).
#[inline(always)]
fn rule_out<W: LeafWord, const L: usize>(
    leaves: &mut [[W; L]; BLOCK_TREES],
    node: &[ScorerRecord],
    right: &[W; L],
) {
    if let Some(words) = leaves.get_mut(usize::from(W::meta(node).tree)) {
        let mask = W::mask(node);
        for (w, g) in words.iter_mut().zip(right) {
            *w = *w & (mask | !*g);
        }
    }
}

/// A tree's leaves still possible, bit `i` for leaf `i`, and how a node that clears
/// them is laid out.
trait LeafWord:
    Copy + PartialEq + BitAnd<Output = Self> + BitOr<Output = Self> + Not<Output = Self>
{
    /// Every leaf.
    const ALL: Self;
    /// No leaf.
    const NONE: Self;
    /// Words a node takes: its threshold, then its mask and [`NodeMeta`].
    const NODE_WORDS: usize;
    /// A node's mask, cut to the word (the bits past it are leaves the tree lacks).
    fn mask(node: &[ScorerRecord]) -> Self;
    /// A node's tree, kind and feature.
    fn meta(node: &[ScorerRecord]) -> NodeMeta;
    /// Writes a node's mask and meta (its first word is the threshold).
    fn write(node: &mut [ScorerRecord], mask: u64, meta: NodeMeta);
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

/// Word `i` of a node (0 where it has none).
#[inline(always)]
fn word(node: &[ScorerRecord], i: usize) -> u64 {
    node.get(i).map_or(0, |w| w.bits())
}

/// Sets word `i` of a node, if it has one.
fn set_word(node: &mut [ScorerRecord], i: usize, bits: u64) {
    if let Some(w) = node.get_mut(i) {
        *w = ScorerRecord::from_bits(bits);
    }
}

impl LeafWord for u64 {
    const ALL: Self = u64::MAX;
    const NONE: Self = 0;
    const NODE_WORDS: usize = 3;
    #[inline(always)]
    fn mask(node: &[ScorerRecord]) -> Self {
        word(node, 1)
    }
    #[inline(always)]
    fn meta(node: &[ScorerRecord]) -> NodeMeta {
        NodeMeta::from_bits(node.get(2).map_or(0, |w| w.lo))
    }
    fn write(node: &mut [ScorerRecord], mask: u64, meta: NodeMeta) {
        set_word(node, 1, mask);
        set_word(node, 2, u64::from(meta.bits()));
    }
    #[inline(always)]
    fn first_leaf(self) -> usize {
        self.trailing_zeros() as usize
    }
}

impl LeafWord for u32 {
    const ALL: Self = u32::MAX;
    const NONE: Self = 0;
    const NODE_WORDS: usize = 2;
    #[inline(always)]
    fn mask(node: &[ScorerRecord]) -> Self {
        node.get(1).map_or(0, |w| w.hi)
    }
    #[inline(always)]
    fn meta(node: &[ScorerRecord]) -> NodeMeta {
        NodeMeta::from_bits(node.get(1).map_or(0, |w| w.lo))
    }
    fn write(node: &mut [ScorerRecord], mask: u64, meta: NodeMeta) {
        set_word(
            node,
            1,
            u64::from(meta.bits()) | u64::from(mask as u32) << 32,
        );
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

/// Lays `ensemble` out in `buf` with leaf words `W` and `N`-word nodes
/// (`N == W::NODE_WORDS`); returns the words used.
fn place<W: LeafWord, const N: usize>(
    ensemble: &TreeEnsemble<'_>,
    buf: &mut [ScorerRecord],
) -> Result<usize, ModelError> {
    let trees = ensemble.tree_count();
    let blocks = trees.div_ceil(BLOCK_TREES);
    let short = ModelError::CapacityExceeded {
        what: "QuickScorer records",
        capacity: buf.len(),
    };
    let word_at = |i: usize| u32::try_from(i).map_err(|_| short.clone());
    let headers_end = trees.saturating_add(blocks);
    let (headers, body) = buf.split_at_mut_checked(headers_end).ok_or(short.clone())?;
    let (tree_headers, block_headers) = headers.split_at_mut(trees);
    // the leaves first, a word each, then every block's runs
    let (leaves, runs) = body
        .split_at_mut_checked(ensemble.leaf_count())
        .ok_or(short.clone())?;
    let runs_start = headers_end.saturating_add(ensemble.leaf_count());
    let (mut run_at, mut leaf_at) = (0usize, 0usize);
    for (b, block_header) in block_headers.iter_mut().enumerate() {
        let block = runs.get_mut(run_at..).unwrap_or(&mut []);
        let first = b.saturating_mul(BLOCK_TREES);
        let last = trees.min(first.saturating_add(BLOCK_TREES));
        let mut node_at = 0usize;
        for t in first..last {
            let tree = ensemble
                .tree(t)
                .ok_or(ModelError::Malformed { what: "tree" })?;
            let header = tree_headers
                .get_mut(t)
                .ok_or(ModelError::Malformed { what: "tree" })?;
            let first_leaf = word_at(headers_end.saturating_add(leaf_at))?;
            *header = ScorerRecord::from_bits(u64::from(first_leaf) | u64::from(tree.output) << 32);
            let placed = lay_out::<W, N>(
                ensemble,
                tree.root,
                t.saturating_sub(first) as u8,
                block
                    .get_mut(node_at.saturating_mul(N)..)
                    .unwrap_or(&mut []),
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
            node_at = node_at.saturating_add(placed.0);
            leaf_at = leaf_at.saturating_add(placed.1);
        }
        let words = sort_into_runs::<W, N>(block, node_at).ok_or(short.clone())?;
        run_at = run_at.saturating_add(words);
        *block_header =
            ScorerRecord::from_bits(u64::from(word_at(runs_start.saturating_add(run_at))?));
    }
    Ok(runs_start.saturating_add(run_at))
}

/// Writes the nodes of the tree under `root` (tree `tree` of its block) into `nodes`
/// (`N` words each) and its leaves, left to right, into `leaves`; returns how many of
/// each.
fn lay_out<W: LeafWord, const N: usize>(
    ensemble: &TreeEnsemble<'_>,
    root: u32,
    tree: u8,
    nodes: &mut [ScorerRecord],
    leaves: &mut [ScorerRecord],
) -> Result<(usize, usize), Layout> {
    let nodes = nodes.as_chunks_mut::<N>().0;
    // pending subtrees, left child on top: (reference, node whose right child it is,
    // that node's first leaf)
    let mut stack = [(0u32, usize::MAX, 0u32); MAX_DEPTH];
    stack[0].0 = root;
    let mut depth = 1usize;
    let (mut node_count, mut leaf_count) = (0usize, 0usize);
    while depth > 0 {
        depth = depth.saturating_sub(1);
        let (reference, parent, first) = stack.get(depth).copied().ok_or(Layout::Bad)?;
        // a right child starts after its parent's left subtree's leaves
        if let Some(p) = nodes.get_mut(parent) {
            let width = (leaf_count as u32).saturating_sub(first);
            let ones = match width {
                64.. => u64::MAX,
                w => (1u64 << w).wrapping_sub(1),
            };
            let ruled_out = ones.checked_shl(first).unwrap_or(0);
            let meta = W::meta(p);
            W::write(p, !ruled_out, meta);
        }
        if reference & LEAF_BIT != 0 {
            let leaf = ensemble
                .leaf((reference & !LEAF_BIT) as usize)
                .ok_or(Layout::Bad)?;
            if leaf_count >= MAX_LEAVES {
                return Err(Layout::Wide);
            }
            let record = leaves.get_mut(leaf_count).ok_or(Layout::Full)?;
            *record = ScorerRecord::from_bits(leaf.to_bits());
            leaf_count = leaf_count.saturating_add(1);
        } else {
            let node = ensemble.node(reference as usize).ok_or(Layout::Bad)?;
            let (value, kind) = split_rule(ensemble, &node, reference);
            let record = nodes.get_mut(node_count).ok_or(Layout::Full)?;
            set_word(record, 0, value.to_bits());
            let meta = NodeMeta {
                tree,
                kind,
                feature: node.feature,
            };
            W::write(record, 0, meta);
            let [right, left] = stack
                .get_mut(depth..depth.saturating_add(2))
                .and_then(|s| <&mut [_; 2]>::try_from(s).ok())
                .ok_or(Layout::Deep)?;
            *right = (node.right, node_count, leaf_count as u32);
            *left = (node.left, usize::MAX, 0);
            depth = depth.saturating_add(2);
            node_count = node_count.saturating_add(1);
        }
    }
    Ok((node_count, leaf_count))
}

/// The run key of node `i` of `nodes` (`N` words each).
fn run_key<W: LeafWord, const N: usize>(nodes: &[ScorerRecord], i: usize) -> (u8, u16) {
    let start = i.saturating_mul(N);
    W::meta(nodes.get(start..start.saturating_add(N)).unwrap_or(&[])).run_key()
}

/// Sorts the first `count` nodes of `block` (`N` words each) by (full rule last,
/// feature, threshold) and opens a header word before each run of equal keys, moving
/// the runs from the last; returns the words the block then takes, `None` if it is
/// short.
fn sort_into_runs<W: LeafWord, const N: usize>(
    block: &mut [ScorerRecord],
    count: usize,
) -> Option<usize> {
    let nodes = block
        .get_mut(..count.checked_mul(N)?)?
        .as_chunks_mut::<N>()
        .0;
    heapsort(nodes, |a, b| {
        W::meta(a)
            .run_key()
            .cmp(&W::meta(b).run_key())
            .then(threshold_bits(a).total_cmp(&threshold_bits(b)))
            .is_lt()
    });
    let runs = (0..count)
        .filter(|&i| {
            i == 0 || run_key::<W, N>(block, i) != run_key::<W, N>(block, i.wrapping_sub(1))
        })
        .count();
    let words = runs.checked_add(count.checked_mul(N)?)?;
    if block.len() < words {
        return None;
    }
    // run r (of nodes start..end) moves to r + 1 + N start, after its header: to the
    // right of where it was, past every run before it, which has not moved yet
    let (mut end, mut run) = (count, runs);
    while end > 0 {
        let key = run_key::<W, N>(block, end.wrapping_sub(1));
        let mut start = end.wrapping_sub(1);
        while start > 0 && run_key::<W, N>(block, start.wrapping_sub(1)) == key {
            start = start.wrapping_sub(1);
        }
        run = run.checked_sub(1)?;
        let (from, to) = (start.checked_mul(N)?, end.checked_mul(N)?);
        let at = run.checked_add(from)?;
        // backwards: the run moves right, over itself
        for i in (from..to).rev() {
            let word = *block.get(i)?;
            *block.get_mut(i.checked_add(run)?.checked_add(1)?)? = word;
        }
        *block.get_mut(at)? = run_header(end.wrapping_sub(start), key)?;
        end = start;
    }
    Some(words)
}

/// Sorts `v` by `less` in place: a heapsort, which, unlike the standard library's
/// sorts, keeps no panic path for an order it cannot prove total.
fn heapsort<X>(v: &mut [X], less: impl Fn(&X, &X) -> bool) {
    let len = v.len();
    let lt = |v: &[X], i: usize, j: usize| match (v.get(i), v.get(j)) {
        (Some(a), Some(b)) => less(a, b),
        _ => false,
    };
    let swap = |v: &mut [X], i: usize, j: usize| {
        if i < v.len() && j < v.len() {
            v.swap(i, j);
        }
    };
    // moves `root` down the heap of `v[..end]` until both children are below it
    let sift = |v: &mut [X], mut root: usize, end: usize| loop {
        let mut child = root.saturating_mul(2).saturating_add(1);
        if child >= end {
            break;
        }
        let right = child.saturating_add(1);
        if right < end && lt(v, child, right) {
            child = right;
        }
        if !lt(v, root, child) {
            break;
        }
        swap(v, root, child);
        root = child;
    };
    for root in (0..len / 2).rev() {
        sift(v, root, len);
    }
    for end in (1..len).rev() {
        swap(v, 0, end);
        sift(v, 0, end);
    }
}

#[cfg(test)]
mod tests {
    use super::heapsort;

    /// Against the standard library's sort on random arrays with many ties.
    #[test]
    fn heapsort_sorts_as_the_standard_sort() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for len in 0..300 {
            let mut v: std::vec::Vec<u64> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state % 50
                })
                .collect();
            let mut expected = v.clone();
            expected.sort();
            heapsort(&mut v, |a, b| a < b);
            assert_eq!(v, expected, "len {len}");
        }
    }
}
