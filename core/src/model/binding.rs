use heapless::Vec;

use super::ModelError;
use crate::features::{FeatureName, Schema};
use crate::num::Float;

/// Where each of a model's features sits in a feature pipeline's output, matched by
/// name: the model may use a subset of the pipeline's features in any order. `M` is
/// the most features a bound model may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureBinding<const M: usize> {
    index: Vec<u16, M>,
    /// The model reads the pipeline's first features in the pipeline's order.
    in_order: bool,
}

impl<const M: usize> FeatureBinding<M> {
    /// Binds `names` (the model's features, in model order) to `schema`. A name the
    /// schema lacks is [`ModelError::MissingFeature`].
    pub fn bind<'n, const F: usize>(
        names: impl IntoIterator<Item = &'n str>,
        schema: &Schema<F>,
    ) -> Result<Self, ModelError> {
        let mut index = Vec::new();
        for name in names {
            let i = schema
                .index_of(name)
                .ok_or_else(|| ModelError::MissingFeature {
                    name: FeatureName::try_from(name).unwrap_or_default(),
                })?;
            let i = u16::try_from(i).map_err(|_| ModelError::CapacityExceeded {
                what: "feature index",
                capacity: usize::from(u16::MAX),
            })?;
            index.push(i).map_err(|_| ModelError::CapacityExceeded {
                what: "bound features",
                capacity: M,
            })?;
        }
        let in_order = index.iter().enumerate().all(|(i, &f)| usize::from(f) == i);
        Ok(FeatureBinding { index, in_order })
    }

    /// The pipeline index of each model feature, in model order.
    pub fn indices(&self) -> &[u16] {
        &self.index
    }

    /// Number of bound features.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when the model reads no feature.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Copies the pipeline's `features` into model order in `out`; returns the filled part.
    pub fn gather<'o, T: Float>(&self, features: &[T], out: &'o mut [T]) -> &'o [T] {
        self.fill(features, out).0
    }

    /// The model's inputs when every feature it reads is present (not NaN), `None`
    /// otherwise: the front of `features` itself when the model reads the pipeline's
    /// first features in order (no copy), else [`Self::gather`] into `out`, checked in
    /// the same pass.
    pub fn gather_present<'o, T: Float>(
        &self,
        features: &'o [T],
        out: &'o mut [T],
    ) -> Option<&'o [T]> {
        let gathered = self.gather_present_into(features, out)?;
        Some(gathered.inputs(features, out))
    }

    /// [`Self::gather_present`], saying where the inputs are rather than borrowing them.
    pub fn gather_present_into<T: Float>(&self, features: &[T], out: &mut [T]) -> Option<Gathered> {
        if self.in_order {
            let x = features.get(..self.index.len())?;
            let missing = x.iter().fold(false, |nan, v| nan | v.to_f64().is_nan());
            return (!missing).then_some(Gathered::InPlace(x.len()));
        }
        match self.fill(features, out) {
            (x, false) => Some(Gathered::Copied(x.len())),
            (_, true) => None,
        }
    }

    /// The gathered part of `out`, and whether any of it is NaN.
    #[inline]
    fn fill<'o, T: Float>(&self, features: &[T], out: &'o mut [T]) -> (&'o [T], bool) {
        let mut missing = false;
        for (o, &i) in out.iter_mut().zip(self.index.iter()) {
            let v = features.get(usize::from(i)).copied().unwrap_or(T::NAN);
            missing |= v.to_f64().is_nan();
            *o = v;
        }
        let n = self.index.len().min(out.len());
        (out.get(..n).unwrap_or(&[]), missing)
    }
}

/// Where [`FeatureBinding::gather_present_into`] left a model's inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gathered {
    /// The front of the pipeline's features, this many (the model reads them in order).
    InPlace(usize),
    /// The front of the caller's buffer, this many.
    Copied(usize),
}

impl Gathered {
    /// The inputs: the front of `features` or of `buffer`.
    pub fn inputs<'x, T>(self, features: &'x [T], buffer: &'x [T]) -> &'x [T] {
        let (from, n) = match self {
            Gathered::InPlace(n) => (features, n),
            Gathered::Copied(n) => (buffer, n),
        };
        from.get(..n).unwrap_or(&[])
    }
}
