//! A tree ensemble in the faster of the two one-row layouts that holds it.

use super::complete::CompleteTrees;
use super::quickscorer::{QuickScorer, ScorerRecord};
use super::tree::TreeEnsemble;
use super::ModelError;
use crate::num::Float;

/// A tree ensemble laid out in a caller-provided buffer for one row at a time: as
/// [`CompleteTrees`] when they hold it (trees at most
/// [`MAX_COMPLETE_DEPTH`](super::MAX_COMPLETE_DEPTH) deep, every node a threshold: a few
/// steps a tree, no branch on the data), for [`QuickScorer`] otherwise. Both predict as
/// the blob walk, bit for bit.
#[derive(Debug, Clone, Copy)]
pub enum LaidOutTrees<'a> {
    /// Complete trees.
    Complete(CompleteTrees<'a>),
    /// QuickScorer's layout.
    QuickScorer(QuickScorer<'a>),
}

impl<'a> LaidOutTrees<'a> {
    /// Words [`LaidOutTrees::new`] takes for `ensemble`.
    pub fn records_needed(ensemble: &TreeEnsemble<'_>) -> usize {
        CompleteTrees::records_needed(ensemble)
            .unwrap_or_else(|_| QuickScorer::records_needed(ensemble))
    }

    /// Lays `ensemble` out in `buf` (at least [`Self::records_needed`] words); the errors
    /// are [`QuickScorer::new`]'s when complete trees cannot hold it.
    pub fn new(
        ensemble: TreeEnsemble<'a>,
        buf: &'a mut [ScorerRecord],
    ) -> Result<Self, ModelError> {
        if CompleteTrees::records_needed(&ensemble).is_ok() {
            CompleteTrees::new(ensemble, buf).map(LaidOutTrees::Complete)
        } else {
            QuickScorer::new(ensemble, buf).map(LaidOutTrees::QuickScorer)
        }
    }

    /// Predicts from `x` (model order, NaN = missing) into `out[..outputs]`, exactly as
    /// [`TreeEnsemble::predict`].
    #[inline]
    pub fn predict<T: Float>(&self, x: &[T], out: &mut [T]) -> Result<(), ModelError> {
        match self {
            LaidOutTrees::Complete(trees) => trees.predict(x, out),
            LaidOutTrees::QuickScorer(scorer) => scorer.predict(x, out),
        }
    }
}
