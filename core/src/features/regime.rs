//! Regime family: the volatility-regime percentile and trend strength (efficiency
//! ratio), the arbitrator's meta-features.

use crate::error::Error;
use heapless::Vec;

use super::config::{FeatureConfig, MAX_WINDOWS};
use super::history::return_index;
use super::history::{History, Writer};
use super::schema::{FeatureId, FeatureKind as K};
use crate::num::Float;
use crate::window::{PercentileRank, RingBuffer, Rolling, Sum};

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Regime<T, const W: usize> {
    /// The log return's moments over `vol_regime_window`, in [`History::return_moments`].
    returns: u8,
    vol_history: RingBuffer<T, W>,
    vol_rank: PercentileRank<W>,
    moves: Vec<Rolling<Sum<T>>, MAX_WINDOWS>,
}

impl<T: Float, const W: usize> Regime<T, W> {
    pub fn new(config: &FeatureConfig) -> Result<Self, Error> {
        Ok(Regime {
            returns: return_index(config, config.vol_regime_window)?,
            vol_history: RingBuffer::new(),
            vol_rank: PercentileRank::new(config.vol_regime_lookback)?,
            moves: crate::fixed::try_fill(
                config
                    .trend_strength_windows
                    .iter()
                    .map(|&n| Rolling::new(n)),
            )?,
        })
    }

    pub fn ids(&self, out: &mut impl FnMut(FeatureId)) {
        out(FeatureId::plain(K::VolRegime));
        for m in &self.moves {
            out(FeatureId::windowed(K::TrendStrength, m.window()));
        }
    }

    pub fn update(&mut self, h: &History<T, W>, out: &mut Writer<T>) {
        let mut vol_regime = None;
        if h.has_change() {
            let returns = h.return_moments.full(self.returns);
            if let Some(vol) = returns.and_then(|m| m.sample_variance()) {
                self.vol_history.push(vol.sqrt());
                vol_regime = self.vol_rank.of(&self.vol_history);
            }
            for m in self.moves.iter_mut() {
                m.push(&h.abs_change);
            }
        }
        out.put(vol_regime);
        for m in &self.moves {
            out.put(m.full().and_then(|path| {
                let net = (h.close.newest()? - h.close.lag(usize::from(m.window()))?).abs();
                let path = path.sum();
                Some(if path > T::ZERO { net / path } else { T::ZERO })
            }));
        }
    }
}
