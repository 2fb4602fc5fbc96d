//! Linear models: logistic, linear/ridge, elastic net and lasso all predict
//! `link(intercept + sum_j w_j x_j)`; any standardisation is folded into `w` and the
//! intercept at export.

use serde::{Deserialize, Serialize};

use super::blob::{BlobKind, ModelBlob};
use super::link::Link;
use super::{FeatureNames, ModelError};
use crate::num::Float;

/// The postcard payload of a linear-model blob.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinearPayload<'a> {
    /// Feature names, `\n`-separated, in model order.
    pub feature_names: &'a str,
    /// Identity (regression) or sigmoid (logistic).
    pub link: Link,
    /// The intercept.
    pub intercept: f64,
    /// One f64 coefficient per feature, little-endian.
    pub coefficients: &'a [u8],
}

/// A validated linear model reading its blob in place.
#[derive(Debug, Clone, Copy)]
pub struct LinearModel<'a> {
    p: LinearPayload<'a>,
    schema_hash: u64,
}

impl<'a> LinearModel<'a> {
    /// Parses and validates a linear-model blob.
    pub fn from_blob(bytes: &'a [u8]) -> Result<Self, ModelError> {
        let blob = ModelBlob::parse(bytes)?;
        let payload = blob.payload_of(BlobKind::Linear)?;
        let p: LinearPayload<'a> =
            postcard::from_bytes(payload).map_err(|_| ModelError::Malformed {
                what: "linear payload does not decode",
            })?;
        let n = blob.header().feature_count as usize;
        // checked: n comes from the header, and n * 8 can wrap a 32-bit usize
        if Some(p.coefficients.len()) != n.checked_mul(8) {
            return Err(ModelError::Malformed {
                what: "coefficient count differs from the feature count",
            });
        }
        if FeatureNames::new(p.feature_names).count() != n {
            return Err(ModelError::Malformed {
                what: "feature names do not match the header's feature count",
            });
        }
        if matches!(p.link, Link::Softmax) {
            return Err(ModelError::Malformed {
                what: "a linear model has one output: no softmax",
            });
        }
        let model = LinearModel {
            p,
            schema_hash: blob.header().schema_hash,
        };
        if !(p.intercept.is_finite() && model.coefficients().all(f64::is_finite)) {
            return Err(ModelError::Malformed {
                what: "a coefficient is not finite",
            });
        }
        Ok(model)
    }

    fn coefficients(&self) -> impl Iterator<Item = f64> + 'a {
        self.p
            .coefficients
            .chunks_exact(8)
            .map(|c| c.try_into().map_or(0.0, f64::from_le_bytes))
    }

    /// The payload.
    pub fn payload(&self) -> &LinearPayload<'a> {
        &self.p
    }

    /// Number of features.
    pub fn feature_count(&self) -> usize {
        self.p.coefficients.len() / 8
    }

    /// The feature names in model order.
    pub fn feature_names(&self) -> FeatureNames<'a> {
        FeatureNames::new(self.p.feature_names)
    }

    /// The schema hash in the header.
    pub fn schema_hash(&self) -> u64 {
        self.schema_hash
    }

    /// Predicts from `x` (model order) into `out[0]`. A missing (NaN) input makes the
    /// prediction NaN: a linear model has no rule for missing values. Not inlined: in a
    /// caller's body the compiler made its loop about twice as long.
    #[inline(never)]
    pub fn predict<T: Float>(&self, x: &[T], out: &mut [T]) -> Result<(), ModelError> {
        let n = self.feature_count();
        let x = x.get(..n).ok_or(ModelError::InputTooShort { needed: n })?;
        let out = out
            .get_mut(..1)
            .ok_or(ModelError::OutputTooShort { needed: 1 })?;
        let mut m = T::from_f64(self.p.intercept);
        for (w, &v) in self.coefficients().zip(x) {
            m += T::from_f64(w) * v;
        }
        for o in out.iter_mut() {
            *o = m;
        }
        self.p.link.apply(T::ONE, out);
        Ok(())
    }
}
