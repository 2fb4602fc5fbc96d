//! The stacking meta-learner: a linear model over the arbitrator's meta-features.

use heapless::Vec;

use super::ArbitratorError;
use crate::model::{LinearModel, Link, ModelError};
use crate::num::Float;

/// Most meta-features: `volatility_regime`, `trend_strength` and three per strategy for
/// up to 32 strategies.
const MAX_META: usize = 2 + 3 * 32;

/// The number of meta-features for `n` strategies: `2 + 3 n`.
pub const fn meta_feature_count(n: usize) -> usize {
    n.saturating_mul(3).saturating_add(2)
}

/// The design's `_create_meta_features` layout: `volatility_regime` (the `vol_regime`
/// feature), `trend_strength` (`trend_strength_20`), then for each strategy in
/// registration order `signal_<id>`, `interaction_<id>_volatility_regime` (signal x
/// volatility_regime) and `interaction_<id>_trend_strength` (signal x trend_strength).
/// Writes the name of meta-feature `k` for the strategies `ids` into `out`.
pub fn meta_feature_name(k: usize, ids: &[u32], out: &mut heapless::String<48>) {
    use core::fmt::Write;
    out.clear();
    let (strategy, part) = strategy_part(k);
    let id = ids.get(strategy).copied().unwrap_or(0);
    let _ = match (k, part) {
        (0, _) => write!(out, "volatility_regime"),
        (1, _) => write!(out, "trend_strength"),
        (_, 0) => write!(out, "signal_{id}"),
        (_, 1) => write!(out, "interaction_{id}_volatility_regime"),
        _ => write!(out, "interaction_{id}_trend_strength"),
    };
}

/// The value of meta-feature `k` (layout of [`meta_feature_name`]) for the market's
/// `vol_regime` and `trend_strength` and each strategy's signal (+1, -1, 0).
pub fn meta_feature_value(k: usize, vol_regime: f64, trend_strength: f64, signals: &[f64]) -> f64 {
    let (strategy, part) = strategy_part(k);
    let signal = signals.get(strategy).copied().unwrap_or(0.0);
    match (k, part) {
        (0, _) => vol_regime,
        (1, _) => trend_strength,
        (_, 0) => signal,
        (_, 1) => signal * vol_regime,
        _ => signal * trend_strength,
    }
}

/// For meta-feature `k >= 2`: the strategy's position and which of its three
/// meta-features it is (0 signal, 1 x volatility, 2 x trend).
fn strategy_part(k: usize) -> (usize, usize) {
    let j = k.saturating_sub(2);
    (j / 3, j % 3)
}

/// A linear model over the meta-features ([`meta_feature_name`]); each strategy's
/// signal is 0 while it is silenced or silent. The blob's feature names must be exactly
/// these. An identity link's output is clipped to [-1, 1]; a sigmoid's probability p
/// becomes `2p - 1`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MetaLearner {
    intercept: f64,
    coefficients: Vec<f64, MAX_META>,
    sigmoid: bool,
}

impl MetaLearner {
    /// Decodes a linear blob and checks its features against the strategies `ids`.
    pub fn from_blob(blob: &[u8], ids: &[u32]) -> Result<Self, ArbitratorError> {
        let model = LinearModel::from_blob(blob).map_err(ArbitratorError::MetaLearner)?;
        let n = meta_feature_count(ids.len());
        if model.feature_count() != n || n > MAX_META {
            return Err(ArbitratorError::MetaLearner(ModelError::Malformed {
                what: "meta-learner features must be 2 + 3 per strategy",
            }));
        }
        let mut name = heapless::String::new();
        for (k, got) in model.feature_names().enumerate() {
            meta_feature_name(k, ids, &mut name);
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
        // the features of `meta_feature_value` in its order: the two market inputs, then
        // each strategy's signal and its two interactions
        let (market, per_strategy) = self.coefficients.split_at(2.min(self.coefficients.len()));
        let mut m = self.intercept;
        for (&w, x) in market.iter().zip([v, t]) {
            m += w * x;
        }
        let (chunks, _) = per_strategy.as_chunks::<3>();
        for (i, &[ws, wv, wt]) in chunks.iter().enumerate() {
            let s = signals.get(i).map_or(0.0, |s| s.to_f64());
            m += ws * s;
            m += wv * (s * v);
            m += wt * (s * t);
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
