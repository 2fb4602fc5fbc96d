//! Model inference: tree ensembles and linear models read in place from blobs, and
//! the binding of a model's features to a feature pipeline by name.
//!
//! Loading never allocates and never panics: every index a prediction follows is
//! validated when the blob is loaded.

mod binding;
mod blob;
mod compact;
mod complete;
mod crc;
mod error;
mod laid_out;
mod linear;
mod link;
mod quickscorer;
mod tree;

pub use binding::{FeatureBinding, Gathered};
pub use blob::{write_blob, BlobHeader, BlobKind, ModelBlob, FORMAT_VERSION, HEADER_LEN, MAGIC};
pub use compact::{CompactNode, CompactTrees, MAX_DEPTH};
pub use complete::{CompleteTrees, MAX_COMPLETE_DEPTH, MAX_COMPLETE_FEATURES};
pub use crc::{crc32, Crc32};
pub use error::ModelError;
pub use laid_out::LaidOutTrees;
pub use linear::{LinearModel, LinearPayload};
pub use link::Link;
pub use quickscorer::{QuickScorer, ScorerRecord, BLOCK_TREES, MAX_LEAVES, ROW_LANES};
pub use tree::{
    Aggregation, Node, ThresholdWidth, Tree, TreeEnsemble, TreePayload, CATEGORICAL, DEFAULT_LEFT,
    LEAF_BIT, MAX_OUTPUTS, MISSING_NAN, MISSING_ZERO, SET_GOES_RIGHT,
};

use crate::num::Float;

/// Any model a blob can hold.
#[derive(Debug, Clone, Copy)]
pub enum Model<'a> {
    /// A tree ensemble.
    Trees(TreeEnsemble<'a>),
    /// A linear model.
    Linear(LinearModel<'a>),
}

impl<'a> Model<'a> {
    /// Parses and validates a blob of any model kind.
    pub fn from_blob(bytes: &'a [u8]) -> Result<Self, ModelError> {
        match ModelBlob::parse(bytes)?.header().kind {
            BlobKind::TreeEnsemble => TreeEnsemble::from_blob(bytes).map(Model::Trees),
            BlobKind::Linear => LinearModel::from_blob(bytes).map(Model::Linear),
            kind => Err(ModelError::UnexpectedKind { kind: kind as u8 }),
        }
    }

    /// Predicts from `x` (model order, NaN = missing) into `out[..outputs]`.
    pub fn predict<T: Float>(&self, x: &[T], out: &mut [T]) -> Result<(), ModelError> {
        match self {
            Model::Trees(m) => m.predict(x, out),
            Model::Linear(m) => m.predict(x, out),
        }
    }

    /// Predicts every row of `rows` (row-major, `feature_count` values each) into `out`
    /// (`outputs` values each), row by row.
    pub fn predict_many<T: Float>(&self, rows: &[T], out: &mut [T]) -> Result<(), ModelError> {
        let (width, k) = (self.feature_count(), self.outputs());
        let out = rows_out(rows.len(), width, k, out)?;
        rows.chunks_exact(width)
            .zip(out.chunks_exact_mut(k))
            .try_for_each(|(x, o)| self.predict(x, o))
    }

    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        match self {
            Model::Trees(m) => m.outputs(),
            Model::Linear(_) => 1,
        }
    }

    /// Number of features read.
    pub fn feature_count(&self) -> usize {
        match self {
            Model::Trees(m) => m.feature_count(),
            Model::Linear(m) => m.feature_count(),
        }
    }

    /// Feature names in model order.
    pub fn feature_names(&self) -> FeatureNames<'a> {
        match self {
            Model::Trees(m) => m.feature_names(),
            Model::Linear(m) => m.feature_names(),
        }
    }

    /// The feature-schema hash the blob carries (0 when not bound to a pipeline).
    pub fn schema_hash(&self) -> u64 {
        match self {
            Model::Trees(m) => m.schema_hash(),
            Model::Linear(m) => m.schema_hash(),
        }
    }

    /// The link.
    pub fn link(&self) -> Link {
        match self {
            Model::Trees(m) => m.payload().link,
            Model::Linear(m) => m.payload().link,
        }
    }
}

/// The outputs of `rows` values of rows `width` long, `outputs` a row: `out`'s first
/// `rows / width * outputs` values, or why not.
pub(crate) fn rows_out<T>(
    rows: usize,
    width: usize,
    outputs: usize,
    out: &mut [T],
) -> Result<&mut [T], ModelError> {
    if width == 0 || rows.checked_rem(width) != Some(0) {
        return Err(ModelError::Malformed {
            what: "rows are not a whole number of feature_count values",
        });
    }
    let needed = rows.checked_div(width).unwrap_or(0).saturating_mul(outputs);
    out.get_mut(..needed)
        .ok_or(ModelError::OutputTooShort { needed })
}

/// Iterator over a model's feature names (stored `\n`-separated in the payload).
#[derive(Debug, Clone)]
pub struct FeatureNames<'a> {
    rest: Option<&'a str>,
}

impl<'a> FeatureNames<'a> {
    /// Splits `\n`-joined names.
    pub fn new(joined: &'a str) -> Self {
        FeatureNames {
            rest: (!joined.is_empty()).then_some(joined),
        }
    }
}

impl<'a> Iterator for FeatureNames<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        // a byte search: `\n` is ASCII, so both sides are valid str slices (`get`
        // keeps the panic-free path the link check asks for)
        match rest.bytes().position(|b| b == b'\n') {
            Some(i) => {
                self.rest = rest.get(i.saturating_add(1)..);
                rest.get(..i)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}
