//! Volatility family: realized, Parkinson and Garman-Klass volatility, ATR, NATR,
//! true range and Bollinger bands.

use crate::error::Error;
use heapless::Vec;

use super::config::{FeatureConfig, MAX_WINDOWS};
use super::history::{History, Writer};
use super::schema::{FeatureId, FeatureKind as K};
use crate::bar::Bar;
use crate::indicators::{true_range, Atr, Bollinger};
use crate::num::Float;
use crate::window::{Moments, Rolling};

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct VolWindow<T> {
    returns: Rolling<Moments<T>>,
    range_sq: Rolling<Moments<T>>,
    garman_klass: Rolling<Moments<T>>,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Volatility<T> {
    windows: Vec<VolWindow<T>, MAX_WINDOWS>,
    atr: Atr<T>,
    atr_period: u16,
    bollinger: Bollinger<T>,
    bollinger_window: u16,
}

impl<T: Float> Volatility<T> {
    pub fn new(config: &FeatureConfig) -> Result<Self, Error> {
        Ok(Volatility {
            windows: crate::fixed::try_fill(config.volatility_windows.iter().map(|&n| {
                Ok(VolWindow {
                    returns: Rolling::new(n)?,
                    range_sq: Rolling::new(n)?,
                    garman_klass: Rolling::new(n)?,
                })
            }))?,
            atr: Atr::new(config.atr_period)?,
            atr_period: config.atr_period,
            bollinger: Bollinger::new(config.bollinger_window, T::from_f64(config.bollinger_k))?,
            bollinger_window: config.bollinger_window,
        })
    }

    pub fn ids(&self, out: &mut impl FnMut(FeatureId)) {
        for kind in [K::RealizedVol, K::Parkinson, K::GarmanKlass] {
            for w in &self.windows {
                out(FeatureId::windowed(kind, w.returns.window()));
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
            if h.has_change() {
                w.returns.push(&h.log_return);
            }
            w.range_sq.push(&h.range_sq);
            w.garman_klass.push(&h.garman_klass);
        }
        for w in &self.windows {
            out.put(
                w.returns
                    .full()
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
        let bands = self.bollinger.update(&h.close);
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
