//! Volatility family: realized, Parkinson and Garman-Klass volatility, ATR, NATR,
//! true range and Bollinger bands.

use crate::error::Error;
use heapless::Vec;

use super::config::{FeatureConfig, MAX_WINDOWS};
use super::history::{close_index, return_index};
use super::history::{History, Writer};
use super::schema::{FeatureId, FeatureKind as K};
use crate::bar::Bar;
use crate::indicators::{true_range, Atr, BollingerBands};
use crate::num::Float;
use crate::window::{Rolling, Sum};

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct VolWindow<T> {
    /// The log return's moments over the window, in [`History::return_moments`].
    returns: u8,
    range_sq: Rolling<Sum<T>>,
    garman_klass: Rolling<Sum<T>>,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Volatility<T> {
    windows: Vec<VolWindow<T>, MAX_WINDOWS>,
    atr: Atr<T>,
    atr_period: u16,
    /// The close's moments over the Bollinger window, in [`History::close_moments`].
    bollinger: u8,
    bollinger_window: u16,
    bollinger_k: T,
}

impl<T: Float> Volatility<T> {
    pub fn new(config: &FeatureConfig) -> Result<Self, Error> {
        let bollinger_k = T::from_f64(config.bollinger_k);
        if !(bollinger_k.is_finite() && bollinger_k >= T::ZERO) {
            return Err(Error::InvalidParameter {
                field: "bollinger k",
            });
        }
        Ok(Volatility {
            windows: crate::fixed::try_fill(config.volatility_windows.iter().map(|&n| {
                Ok(VolWindow {
                    returns: return_index(config, n)?,
                    range_sq: Rolling::new(n)?,
                    garman_klass: Rolling::new(n)?,
                })
            }))?,
            atr: Atr::new(config.atr_period)?,
            atr_period: config.atr_period,
            bollinger: close_index(config, config.bollinger_window)?,
            bollinger_window: config.bollinger_window,
            bollinger_k,
        })
    }

    pub fn ids(&self, out: &mut impl FnMut(FeatureId)) {
        for kind in [K::RealizedVol, K::Parkinson, K::GarmanKlass] {
            for w in &self.windows {
                out(FeatureId::windowed(kind, w.range_sq.window()));
            }
        }
        out(FeatureId::windowed(K::Atr, self.atr_period));
        out(FeatureId::windowed(K::Natr, self.atr_period));
        out(FeatureId::plain(K::TrueRange));
        for kind in [
            K::BollingerUpper,
            K::BollingerMiddle,
            K::BollingerLower,
            K::BollingerPercentB,
            K::BollingerWidth,
        ] {
            out(FeatureId::windowed(kind, self.bollinger_window));
        }
    }

    pub fn update<const W: usize>(
        &mut self,
        bar: &Bar<T>,
        prev_close: Option<T>,
        h: &History<T, W>,
        out: &mut Writer<T>,
    ) {
        for w in self.windows.iter_mut() {
            w.range_sq.push(&h.range_sq);
            w.garman_klass.push(&h.garman_klass);
        }
        for w in &self.windows {
            out.put(
                h.return_moments
                    .full(w.returns)
                    .and_then(|m| m.sample_variance())
                    .map(T::sqrt),
            );
        }
        let four_ln2 = T::from_f64(4.0 * core::f64::consts::LN_2);
        for w in &self.windows {
            out.put(
                w.range_sq
                    .full()
                    .map(|m| (m.mean().max(T::ZERO) / four_ln2).sqrt()),
            );
        }
        for w in &self.windows {
            out.put(w.garman_klass.full().map(|m| m.mean().max(T::ZERO).sqrt()));
        }
        let c = bar.close();
        let atr = self.atr.update(bar.high(), bar.low(), c);
        out.put(atr);
        out.put(atr.map(|a| T::from_f64(100.0) * (a / c)));
        out.put(prev_close.map(|p| true_range(bar.high(), bar.low(), p)));
        let bands = h
            .close_moments
            .full(self.bollinger)
            .map(|m| BollingerBands::from_moments(m, self.bollinger_k));
        out.put(bands.map(|b| b.upper));
        out.put(bands.map(|b| b.middle));
        out.put(bands.map(|b| b.lower));
        out.put(bands.and_then(|b| {
            let width = b.upper - b.lower;
            (width > T::ZERO).then(|| (c - b.lower) / width)
        }));
        out.put(bands.map(|b| (b.upper - b.lower) / b.middle));
    }
}
