//! Mean-reversion family: z-score of the close and distance from the rolling max/min.

use crate::error::Error;
use heapless::Vec;

use super::config::{FeatureConfig, MAX_WINDOWS};
use super::history::close_index;
use super::history::{History, Writer};
use super::schema::{FeatureId, FeatureKind as K};
use crate::num::Float;
use crate::window::{Extreme, WindowExtremes};

/// The rolling max and min of the close over every window (one deque each, sized by
/// the longest window).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Extrema<const W: usize> {
    max: WindowExtremes<W, MAX_WINDOWS>,
    min: WindowExtremes<W, MAX_WINDOWS>,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct MeanReversion<const W: usize> {
    /// Each window and where the close's moments over it are in
    /// [`History::close_moments`].
    windows: Vec<(u16, u8), MAX_WINDOWS>,
    /// `None` without windows.
    extrema: Option<Extrema<W>>,
}

impl<const W: usize> MeanReversion<W> {
    pub fn new(config: &FeatureConfig) -> Result<Self, Error> {
        let windows = &config.mean_reversion_windows;
        let extrema = if windows.is_empty() {
            None
        } else {
            Some(Extrema {
                max: WindowExtremes::new(windows, Extreme::Max)?,
                min: WindowExtremes::new(windows, Extreme::Min)?,
            })
        };
        Ok(MeanReversion {
            windows: crate::fixed::try_fill(
                windows.iter().map(|&n| Ok((n, close_index(config, n)?))),
            )?,
            extrema,
        })
    }

    pub fn ids(&self, out: &mut impl FnMut(FeatureId)) {
        for kind in [K::Zscore, K::DistanceFromMax, K::DistanceFromMin] {
            for &(n, _) in &self.windows {
                out(FeatureId::windowed(kind, n));
            }
        }
    }

    pub fn update<T: Float>(&mut self, h: &History<T, W>, out: &mut Writer<T>) {
        let c = h.close.newest().unwrap_or(T::NAN);
        let seq = h.seq();
        if let Some(e) = self.extrema.as_mut() {
            e.max.push(seq, &h.close);
            e.min.push(seq, &h.close);
        }
        for &(_, i) in &self.windows {
            out.put(h.close_moments.full(i).and_then(|m| {
                let sd = m.variance().sqrt();
                (sd > T::ZERO).then(|| (c - m.mean()) / sd)
            }));
        }
        let extrema = self.extrema.as_ref();
        for k in 0..self.windows.len() {
            let max = extrema.and_then(|e| e.max.extreme(k, seq, &h.close));
            out.put(max.map(|m| c / m - T::ONE));
        }
        for k in 0..self.windows.len() {
            let min = extrema.and_then(|e| e.min.extreme(k, seq, &h.close));
            out.put(min.map(|m| c / m - T::ONE));
        }
    }
}
