//! Volume family: volume SMA, ratio and z-score, rolling VWAP and the distance from
//! it, on-balance volume.

use crate::error::Error;
use heapless::Vec;

use super::config::{FeatureConfig, MAX_WINDOWS};
use super::history::{History, Writer};
use super::schema::{FeatureId, FeatureKind as K};
use crate::bar::Bar;
use crate::indicators::Obv;
use crate::num::Float;
use crate::window::{Moments, Rolling, Sum};

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct VolumeWindow<T> {
    volume: Rolling<Moments<T>>,
    price_volume: Rolling<Sum<T>>,
    /// Bars with non-zero volume in the window: an exact test for "no volume at all",
    /// which the floating sums can only approximate.
    traded: u16,
}

impl<T: Float> VolumeWindow<T> {
    /// Mean volume: exactly 0 when nothing traded in the window.
    fn mean(&self) -> Option<T> {
        let m = self.volume.full()?;
        Some(if self.traded == 0 { T::ZERO } else { m.mean() })
    }
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Volume<T> {
    windows: Vec<VolumeWindow<T>, MAX_WINDOWS>,
    obv: Obv<T>,
}

impl<T: Float> Volume<T> {
    pub fn new(config: &FeatureConfig) -> Result<Self, Error> {
        Ok(Volume {
            windows: crate::fixed::try_fill(config.volume_windows.iter().map(|&n| {
                Ok(VolumeWindow {
                    volume: Rolling::new(n)?,
                    price_volume: Rolling::new(n)?,
                    traded: 0,
                })
            }))?,
            obv: Obv::new(),
        })
    }

    pub fn ids(&self, out: &mut impl FnMut(FeatureId)) {
        for kind in [
            K::VolumeSma,
            K::VolumeRatio,
            K::VolumeZscore,
            K::Vwap,
            K::VwapDistance,
        ] {
            for w in &self.windows {
                out(FeatureId::windowed(kind, w.volume.window()));
            }
        }
        out(FeatureId::plain(K::Obv));
    }

    pub fn update<const W: usize>(&mut self, bar: &Bar<T>, h: &History<T, W>, out: &mut Writer<T>) {
        let v = bar.volume();
        for w in self.windows.iter_mut() {
            w.volume.push(&h.volume);
            w.price_volume.push(&h.price_volume);
            if v > T::ZERO {
                w.traded = w.traded.saturating_add(1);
            }
            let leaving = h.volume.lag(usize::from(w.volume.window()));
            if leaving.is_some_and(|l| l > T::ZERO) {
                w.traded = w.traded.saturating_sub(1);
            }
        }
        let c = bar.close();
        for w in &self.windows {
            out.put(w.mean());
        }
        for w in &self.windows {
            out.put(w.mean().and_then(|m| (w.traded > 0).then(|| v / m)));
        }
        for w in &self.windows {
            out.put(w.volume.full().and_then(|m| {
                let sd = m.variance().sqrt();
                (w.traded > 0 && sd > T::ZERO).then(|| (v - m.mean()) / sd)
            }));
        }
        let vwap = |w: &VolumeWindow<T>| {
            let (vol, pv) = (w.volume.full()?, w.price_volume.full()?);
            (w.traded > 0).then(|| pv.sum() / vol.sum())
        };
        for w in &self.windows {
            out.put(vwap(w));
        }
        for w in &self.windows {
            out.put(vwap(w).map(|p| c / p - T::ONE));
        }
        out.put(self.obv.update(c, v));
    }
}
