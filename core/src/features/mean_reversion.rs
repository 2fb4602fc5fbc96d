//! Mean-reversion family: z-score of the close and distance from the rolling max/min.

use crate::error::Error;
use heapless::Vec;

use super::config::{FeatureConfig, MAX_WINDOWS};
use super::history::{History, Writer};
use super::schema::{FeatureId, FeatureKind as K};
use crate::num::Float;
use crate::window::{Extreme, Moments, MonotonicDeque, Rolling};

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct ReversionWindow<T, const W: usize> {
    moments: Rolling<Moments<T>>,
    max: MonotonicDeque<W>,
    min: MonotonicDeque<W>,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct MeanReversion<T, const W: usize> {
    windows: Vec<ReversionWindow<T, W>, MAX_WINDOWS>,
}

impl<T: Float, const W: usize> MeanReversion<T, W> {
    pub fn new(config: &FeatureConfig) -> Result<Self, Error> {
        Ok(MeanReversion {
            windows: crate::fixed::try_fill(config.mean_reversion_windows.iter().map(|&n| {
                Ok(ReversionWindow {
                    moments: Rolling::new(n)?,
                    max: MonotonicDeque::new(n, Extreme::Max)?,
                    min: MonotonicDeque::new(n, Extreme::Min)?,
                })
            }))?,
        })
    }

    pub fn ids(&self, out: &mut impl FnMut(FeatureId)) {
        for kind in [K::Zscore, K::DistanceFromMax, K::DistanceFromMin] {
            for w in &self.windows {
                out(FeatureId::windowed(kind, w.moments.window()));
            }
        }
    }

    pub fn update(&mut self, h: &History<T, W>, out: &mut Writer<T>) {
        let c = h.close.newest().unwrap_or(T::NAN);
        let seq = h.seq();
        let mut extremes: Vec<(Option<T>, Option<T>), MAX_WINDOWS> = Vec::new();
        for w in self.windows.iter_mut() {
            w.moments.push(&h.close);
            let _ = extremes.push((w.max.push(seq, &h.close), w.min.push(seq, &h.close)));
        }
        for w in &self.windows {
            out.put(w.moments.full().and_then(|m| {
                let sd = m.variance().sqrt();
                (sd > T::ZERO).then(|| (c - m.mean()) / sd)
            }));
        }
        for (max, _) in &extremes {
            out.put(max.map(|m| c / m - T::ONE));
        }
        for (_, min) in &extremes {
            out.put(min.map(|m| c / m - T::ONE));
        }
    }
}
