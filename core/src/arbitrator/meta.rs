//! The stacking meta-learner: a linear model over the arbitrator's meta-features.

use heapless::Vec;

use super::ArbitratorError;
use crate::model::{LinearModel, Link, ModelError};
use crate::num::Float;

/// Most meta-features: `vol_regime`, `trend_strength_20` and three per strategy for up
/// to 32 strategies.
const MAX_META: usize = 2 + 3 * 32;

/// A linear model over, in this order: `vol_regime`, `trend_strength_20`, each
/// strategy's signal `signal_<id>` (registration order; 0 when silenced or silent), each
/// `signal_<id>_x_vol_regime`, each `signal_<id>_x_trend_strength_20`. The blob's
/// feature names must be exactly these. An identity link's output is clipped to [-1, 1];
/// a sigmoid's probability p becomes `2p - 1`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MetaLearner {
    intercept: f64,
    coefficients: Vec<f64, MAX_META>,
    sigmoid: bool,
}

fn expected_name(k: usize, ids: &[u32], out: &mut heapless::String<48>) {
    use core::fmt::Write;
    out.clear();
    let n = ids.len();
    let _ = match k {
        0 => write!(out, "vol_regime"),
        1 => write!(out, "trend_strength_20"),
        k if k < 2 + n => write!(out, "signal_{}", ids.get(k - 2).copied().unwrap_or(0)),
        k if k < 2 + 2 * n => write!(
            out,
            "signal_{}_x_vol_regime",
            ids.get(k - 2 - n).copied().unwrap_or(0)
        ),
        k => write!(
            out,
            "signal_{}_x_trend_strength_20",
            ids.get(k - 2 - 2 * n).copied().unwrap_or(0)
        ),
    };
}

impl MetaLearner {
    /// Decodes a linear blob and checks its features against the strategies `ids`.
    pub fn from_blob(blob: &[u8], ids: &[u32]) -> Result<Self, ArbitratorError> {
        let model = LinearModel::from_blob(blob).map_err(ArbitratorError::MetaLearner)?;
        let n = 2 + 3 * ids.len();
        if model.feature_count() != n || n > MAX_META {
            return Err(ArbitratorError::MetaLearner(ModelError::Malformed {
                what: "meta-learner features must be 2 + 3 per strategy",
            }));
        }
        let mut name = heapless::String::new();
        for (k, got) in model.feature_names().enumerate() {
            expected_name(k, ids, &mut name);
            if got != name.as_str() {
                return Err(ArbitratorError::MetaLearner(ModelError::MissingFeature {
                    name: crate::features::FeatureName::try_from(name.as_str()).unwrap_or_default(),
                }));
            }
        }
        let p = model.payload();
        let coefficients = crate::fixed::fill(
            p.coefficients
                .chunks_exact(8)
                .map(|c| c.try_into().map_or(0.0, f64::from_le_bytes)),
        );
        Ok(MetaLearner {
            intercept: p.intercept,
            coefficients,
            sigmoid: matches!(p.link, Link::Sigmoid),
        })
    }

    /// The weighted signal for these meta-inputs.
    pub fn predict<T: Float>(&self, vol_regime: T, trend_strength: T, signals: &[T]) -> T {
        let (v, t) = (vol_regime.to_f64(), trend_strength.to_f64());
        let n = signals.len();
        let mut m = self.intercept;
        for (k, &w) in self.coefficients.iter().enumerate() {
            let x = match k {
                0 => v,
                1 => t,
                k if k < 2 + n => signals.get(k - 2).map_or(0.0, |s| s.to_f64()),
                k if k < 2 + 2 * n => signals.get(k - 2 - n).map_or(0.0, |s| s.to_f64()) * v,
                k => signals.get(k - 2 - 2 * n).map_or(0.0, |s| s.to_f64()) * t,
            };
            m += w * x;
        }
        let out = if self.sigmoid {
            2.0 / (1.0 + libm::exp(-m)) - 1.0
        } else {
            m
        };
        // NaN inputs (features still warming up) give no opinion
        T::from_f64(if out.is_nan() {
            0.0
        } else {
            out.clamp(-1.0, 1.0)
        })
    }
}
