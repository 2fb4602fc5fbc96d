use core::fmt;

use crate::features::FeatureName;

/// Everything wrong with a model blob or a prediction call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelError {
    /// Fewer bytes than the header, or than the header's payload length.
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes there.
        available: usize,
    },
    /// The blob does not start with `TKML`.
    BadMagic,
    /// A format version this build does not read.
    UnsupportedVersion {
        /// The blob's version.
        version: u16,
    },
    /// An unknown blob kind, or a kind the caller did not ask for.
    UnexpectedKind {
        /// The kind byte found.
        kind: u8,
    },
    /// The CRC-32 over header and payload does not match.
    CrcMismatch {
        /// CRC stored in the header.
        stored: u32,
        /// CRC of the bytes.
        computed: u32,
    },
    /// Bytes after the payload.
    TrailingBytes,
    /// The payload does not decode (postcard), or a field has an impossible value.
    Malformed {
        /// What is wrong.
        what: &'static str,
    },
    /// A tree node refers outside its tree, backwards, or to a missing leaf.
    BadChild {
        /// Global node index.
        node: u32,
    },
    /// A node splits on a feature the model does not have.
    FeatureOutOfRange {
        /// Global node index.
        node: u32,
        /// The feature index.
        feature: u32,
    },
    /// A categorical node refers to a missing category set.
    BadCategories {
        /// Global node index.
        node: u32,
    },
    /// The model needs more room than a fixed capacity allows.
    CapacityExceeded {
        /// What ran out.
        what: &'static str,
        /// Its capacity.
        capacity: usize,
    },
    /// The blob was made for another feature schema.
    SchemaMismatch {
        /// The hash the caller expects.
        expected: u64,
        /// The hash in the blob.
        found: u64,
    },
    /// The model needs a feature the pipeline does not produce.
    MissingFeature {
        /// Its name.
        name: FeatureName,
    },
    /// The input slice is shorter than the model's feature count.
    InputTooShort {
        /// Features the model reads.
        needed: usize,
    },
    /// The output slice is shorter than the model's outputs.
    OutputTooShort {
        /// Outputs the model writes.
        needed: usize,
    },
    /// The caller's buffer cannot hold the encoded blob.
    BufferTooSmall,
    /// A layout cannot hold this model (the model itself is valid).
    Unsupported {
        /// What it cannot hold.
        what: &'static str,
    },
    /// Records laid out before are not this model's layout.
    LayoutMismatch {
        /// A word that differs (the first the check reaches), the first missing, or the
        /// first one too many.
        word: usize,
    },
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ModelError::*;
        match self {
            Truncated { needed, available } => {
                write!(f, "truncated blob: {available} bytes, {needed} needed")
            }
            BadMagic => write!(f, "not a tickml blob (bad magic)"),
            UnsupportedVersion { version } => {
                write!(f, "unsupported blob format version {version}")
            }
            UnexpectedKind { kind } => write!(f, "unexpected blob kind {kind}"),
            CrcMismatch { stored, computed } => write!(
                f,
                "CRC mismatch: header says {stored:#010x}, bytes give {computed:#010x}"
            ),
            TrailingBytes => write!(f, "bytes after the payload"),
            Malformed { what } => write!(f, "malformed payload: {what}"),
            BadChild { node } => write!(f, "node {node} has a child outside its tree or before it"),
            FeatureOutOfRange { node, feature } => {
                write!(
                    f,
                    "node {node} splits on feature {feature}, beyond the model's features"
                )
            }
            BadCategories { node } => write!(f, "node {node} refers to a missing category set"),
            CapacityExceeded { what, capacity } => {
                write!(f, "{what} exceeds the capacity of {capacity}")
            }
            SchemaMismatch { expected, found } => write!(
                f,
                "feature schema mismatch: expected {expected:#018x}, blob has {found:#018x}"
            ),
            MissingFeature { name } => write!(f, "the pipeline has no feature `{name}`"),
            InputTooShort { needed } => write!(f, "the model reads {needed} features"),
            OutputTooShort { needed } => write!(f, "the model writes {needed} outputs"),
            BufferTooSmall => write!(f, "the buffer is too small for the blob"),
            Unsupported { what } => write!(f, "unsupported by the layout: {what}"),
            LayoutMismatch { word } => {
                write!(
                    f,
                    "laid-out records differ from the model's layout at word {word}"
                )
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ModelError {}
